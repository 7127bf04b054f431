/**
 * IAM for the local cloud: who each function is (its role, and the credentials its containers sign
 * with), whether a call is allowed (the evaluator over the role's policies, the resource's policy and
 * the key's), what a denial says (AWS's message, and one local line naming the function, the action,
 * the resource and the statement that would grant it), and which grants no call used.
 */
import { createHash } from "crypto";
import type { Reporter } from "../console";
import { color } from "../console";
import {
  actionMatches,
  authorize,
  Decision,
  NamedPolicy,
  PolicySet,
  PolicyUnavailableError,
  Principal,
  resourceMatches,
  Statement,
  UnsupportedPolicyError,
} from "./evaluate";
import type { IamModel, IamRole } from "./model";
import { Call, kmsCalls } from "./requests";

/** A function as IAM sees it: its ARN, and the role its code runs as. */
export interface FunctionIdentity {
  name: string;
  arn: string;
  roleArn: string;
}

/** The outcome of one check: allowed, or the AWS message and the local hint. */
export interface Verdict {
  allowed: boolean;
  /** The call that was denied (the first of a request's calls that failed). */
  call?: Call;
  decision?: Decision;
  /** AWS's wording: "User: <session> is not authorized to perform: <action> on resource: <arn> because ...". */
  message?: string;
}

/** One grant no call used during the run. */
export interface UnusedGrant {
  role: string;
  functions: string[];
  policy: string;
  sid?: string;
  action: string;
  resource: string;
}

export class IamAuthority {
  private readonly functions = new Map<string, FunctionIdentity>();
  private readonly byAccessKey = new Map<string, FunctionIdentity>();
  private readonly cache = new Map<string, Decision | Error>();
  /** Allowed calls per role ARN: "action\0resource". */
  private readonly used = new Map<string, Set<string>>();
  /** Denial lines already printed, so a retrying poller says it once. */
  private readonly said = new Set<string>();

  constructor(
    public model: IamModel,
    functions: FunctionIdentity[],
    private readonly reporter?: Reporter,
  ) {
    for (const fn of functions) {
      this.functions.set(fn.name, fn);
      this.byAccessKey.set(accessKeyId(fn.name), fn);
    }
  }

  /** Hot reload: the graph's policies changed. Decisions are made afresh; what was used stays recorded. */
  replaceModel(model: IamModel): void {
    this.model = model;
    this.cache.clear();
    this.said.clear();
  }

  /** The temporary credentials a function's containers get, as Lambda sets them from its role. */
  credentialsFor(functionName: string): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: accessKeyId(functionName),
      AWS_SECRET_ACCESS_KEY: createHash("sha256").update(`secret:${functionName}`).digest("base64").slice(0, 40),
      AWS_SESSION_TOKEN: `local-session-${functionName}`,
    };
  }

  /** The function whose containers sign with this access key; undefined for anyone else (the developer's own tools). */
  functionForAccessKey(accessKey: string | undefined): FunctionIdentity | undefined {
    return accessKey ? this.byAccessKey.get(accessKey) : undefined;
  }

  /** Who a function's role session is, as API Gateway's IAM authorization reports the caller: its ARN and user id. */
  callerOf(fn: FunctionIdentity): { userArn: string; userId: string } {
    const principal = this.principalOf(fn);
    return { userArn: principal.sessionArn!, userId: `AROA${roleId(principal.arn)}:${fn.name}` };
  }

  /** A local function as IAM sees it. */
  identityOf(fn: { name: string; arn: string; role: string }): FunctionIdentity {
    return this.functions.get(fn.name) ?? { name: fn.name, arn: fn.arn, roleArn: fn.role };
  }

  /** What delivering to a queue or topic needs: sqs:SendMessage or sns:Publish, and its customer key if it has one. */
  deliveryCalls(arn: string): Call[] {
    const service = arn.split(":")[2];
    const action =
      service === "sqs"
        ? "sqs:SendMessage"
        : service === "sns"
          ? "sns:Publish"
          : service === "lambda"
            ? "lambda:InvokeFunction"
            : "events:PutEvents";
    return [{ action, resource: arn }, ...this.keyCalls(arn, ["kms:GenerateDataKey", "kms:Decrypt"])];
  }

  /** The KMS calls a service makes for the caller on the customer key that encrypts `arn`; none without one. */
  keyCalls(arn: string, actions: string[]): Call[] {
    return kmsCalls(this.model.encryption.get(arn), arn.split(":")[2], this.model, actions);
  }

  /** The session a function's role runs as: Lambda names it after the function. */
  principalOf(fn: FunctionIdentity): Principal {
    const roleName = fn.roleArn.split("/").pop();
    return {
      kind: "role",
      arn: fn.roleArn,
      account: this.model.accountId,
      sessionArn: `arn:aws:sts::${this.model.accountId}:assumed-role/${roleName}/${fn.name}`,
    };
  }

  /**
   * Whether a function's role may make every call of a request. `via` names who makes it when it is
   * not the function's own code: "the event source mapping", "Lambda (async failure destination)".
   */
  checkFunction(fn: FunctionIdentity, calls: Call[], via?: string): Verdict {
    const principal = this.principalOf(fn);
    for (const call of calls) {
      const verdict = this.check(principal, call);
      if (!verdict.allowed) {
        this.sayDenied(fn, call, verdict, via);
        return verdict;
      }
      this.recordUse(fn.roleArn, call);
    }
    return { allowed: true };
  }

  /**
   * Whether a role a service assumes may make every call (an EventBridge Scheduler schedule's execution
   * role, sending to its target or its DLQ); `who` names the caller in a denial.
   */
  checkRole(roleArn: string, calls: Call[], who: string, via?: string): Verdict {
    return this.checkFunction({ name: who, arn: "", roleArn }, calls, via);
  }

  /** A check that neither records a use nor prints a denial: for what AWS decides on the side (may the caller list the bucket?). */
  checkQuietly(fn: FunctionIdentity, call: Call): Verdict {
    return this.check(this.principalOf(fn), call);
  }

  /**
   * Whether a service (apigateway.amazonaws.com, events.amazonaws.com) may invoke a function, or the
   * version or alias `qualifier` names, on behalf of `sourceArn`.
   */
  checkServiceInvoke(service: string, fn: FunctionIdentity, sourceArn: string, trigger: string, qualifier?: string): Verdict {
    // Lambda checks the ARN that was invoked: a permission on the bare function does not cover `function:<name>:live`.
    const qualified = qualifier ? `, qualifier: "${qualifier}"` : "";
    const hint = () =>
      `add an aws.lambda.Permission { action: "lambda:InvokeFunction", function: "${fn.name}"${qualified}, ` +
      `principal: "${service}", sourceArn: "${sourceArn}" } (a wildcard such as ${sourceArnPattern(sourceArn)} covers more)`;
    return this.checkServiceCall(
      service,
      { action: "lambda:InvokeFunction", resource: qualifier ? `${fn.arn}:${qualifier}` : fn.arn },
      sourceArn,
      trigger,
      `invoke ${fn.name}`,
      hint,
    );
  }

  /**
   * Whether a service may make a call on behalf of `sourceArn` (SNS or S3 sending to a queue, EventBridge
   * publishing to a topic): the resource's policy must allow the service, as AWS checks it.
   */
  checkServiceCall(service: string, call: Call, sourceArn: string, trigger: string, what?: string, hint?: () => string): Verdict {
    const request: Call = {
      ...call,
      context: { "aws:SourceArn": sourceArn, "aws:SourceAccount": this.model.accountId, ...(call.context ?? {}) },
    };
    const verdict = this.check({ kind: "service", arn: service, account: this.model.accountId }, request);
    if (!verdict.allowed) {
      const advice =
        hint?.() ??
        `its resource policy must allow { "Principal": { "Service": "${service}" }, "Action": "${call.action}", "Condition": { "ArnEquals": { "aws:SourceArn": "${sourceArn}" } } }`;
      this.say(
        `${service}|${call.action}|${call.resource}|${sourceArn}`,
        `${color.red("AccessDenied")} ${trigger}: ${service} may not ${what ?? `${call.action} on ${call.resource}`} for ${sourceArn}; ${advice}`,
      );
    }
    return verdict;
  }

  /** Evaluates one call for a principal, cached: the graph does not change while the local cloud runs. */
  private check(principal: Principal, call: Call): Verdict {
    const key = `${principal.arn}\0${call.action}\0${call.resource}\0${JSON.stringify(call.context ?? {})}`;
    let decision = this.cache.get(key);
    if (!decision) {
      try {
        decision = authorize(
          { principal, action: call.action, resource: call.resource, context: this.contextFor(principal, call) },
          this.policiesFor(principal, call),
        );
      } catch (err) {
        if (!(err instanceof UnsupportedPolicyError || err instanceof PolicyUnavailableError)) throw err;
        decision = err;
      }
      this.cache.set(key, decision);
    }
    if (decision instanceof Error) return { allowed: false, call, message: decision.message };
    if (decision.allowed) return { allowed: true, decision };
    return { allowed: false, call, decision, message: awsMessage(principal, call, decision) };
  }

  /** The request context: what AWS adds to every request of a Lambda function's role session. */
  private contextFor(principal: Principal, call: Call): Record<string, string> {
    const now = new Date();
    const base: Record<string, string> =
      principal.kind === "role"
        ? {
            "aws:PrincipalArn": principal.arn,
            "aws:PrincipalAccount": principal.account,
            "aws:PrincipalType": "AssumedRole",
            "aws:userid": `AROA${roleId(principal.arn)}:${principal.sessionArn?.split("/").pop()}`,
          }
        : { "aws:PrincipalServiceName": principal.arn };
    return {
      ...base,
      // The SDK calls AWS over HTTPS; the local emulators' plain HTTP stands for it.
      "aws:SecureTransport": "true",
      "aws:RequestedRegion": this.model.region,
      "aws:CurrentTime": now.toISOString().replace(/\.\d{3}Z$/, "Z"),
      "aws:EpochTime": String(Math.floor(now.getTime() / 1000)),
      ...(call.context ?? {}),
    };
  }

  private policiesFor(principal: Principal, call: Call): PolicySet {
    const role: IamRole | undefined = principal.kind === "role" ? this.model.roles.get(principal.arn) : undefined;
    const identity: NamedPolicy[] = role?.policies ?? [];
    if (call.action.toLowerCase().startsWith("kms:")) {
      const keyPolicy = this.model.keys.get(call.resource);
      const resource = keyPolicy ?? {
        name: `key ${call.resource}`,
        document: { Statement: [] },
        unavailable: "the key is not in the graph",
      };
      return { identity, boundary: role?.boundary, resource, keyPolicy: true };
    }
    return { identity, boundary: role?.boundary, resource: this.resourcePolicy(call.resource) };
  }

  /** The policy of the resource a call is on: the bucket's for an object, the table's for an index, the function's for a version. */
  private resourcePolicy(arn: string): NamedPolicy | undefined {
    const policies = this.model.resourcePolicies;
    if (policies.has(arn)) return policies.get(arn);
    const owner = arn.startsWith("arn:aws:s3:::")
      ? arn.slice(0, arn.indexOf("/") < 0 ? arn.length : arn.indexOf("/"))
      : arn.startsWith("arn:aws:dynamodb:")
        ? arn.replace(/\/(index|stream)\/.*$/, "")
        : arn.startsWith("arn:aws:lambda:")
          ? arn.split(":").slice(0, 7).join(":")
          : arn;
    return policies.get(owner);
  }

  private recordUse(roleArn: string, call: Call): void {
    let calls = this.used.get(roleArn);
    if (!calls) this.used.set(roleArn, (calls = new Set()));
    calls.add(`${call.action}\0${call.resource}`);
  }

  private sayDenied(fn: FunctionIdentity, call: Call, verdict: Verdict, via?: string): void {
    const who = via ? `${fn.name} (${via})` : fn.name;
    const decision = verdict.decision;
    const how = !decision
      ? verdict.message
      : decision.reason === "explicit-deny"
        ? `denied by ${decision.by!.policy}, statement ${decision.by!.sid ?? "(no Sid)"}`
        : decision.kind === "resource-based policy"
          ? `the ${call.action.startsWith("kms:") ? "key" : "resource"} policy allows no one the role could be; grant it there`
          : decision.kind === "permissions boundary"
            ? `the role's permissions boundary allows no ${call.action}`
            : `grant it with { "Effect": "Allow", "Action": "${call.action}", "Resource": "${call.resource}" } in ${fn.roleArn.split("/").pop()}'s policy`;
    this.say(
      `${fn.name}|${call.action}|${call.resource}|${via ?? ""}`,
      `${color.red("AccessDenied")} ${who}: ${call.action} on ${call.resource}; ${how}`,
    );
  }

  private say(key: string, line: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.reporter?.info(line);
  }

  /**
   * Every Allow of every function role's identity policies, action by action and resource by
   * resource, that no allowed call matched during the run: IAM Access Analyzer's unused access, locally.
   */
  unusedGrants(): UnusedGrant[] {
    const rolesOfFunctions = new Map<string, string[]>();
    for (const fn of this.functions.values()) rolesOfFunctions.set(fn.roleArn, [...(rolesOfFunctions.get(fn.roleArn) ?? []), fn.name]);
    const unused: UnusedGrant[] = [];
    for (const [roleArn, functions] of rolesOfFunctions) {
      const role = this.model.roles.get(roleArn);
      if (!role) continue;
      const calls = [...(this.used.get(roleArn) ?? [])].map((c) => c.split("\0") as [string, string]);
      for (const policy of role.policies.filter((p) => !p.unavailable)) {
        const statements: Statement[] = ([] as Statement[]).concat(policy.document.Statement);
        for (const s of statements.filter((s) => s.Effect === "Allow" && s.Action !== undefined)) {
          for (const action of ([] as string[]).concat(s.Action!)) {
            for (const resource of ([] as string[]).concat(s.Resource ?? "*")) {
              const usedOnce = calls.some(([a, r]) => actionMatches(action, a) && resourceMatches(resource, r));
              if (!usedOnce) unused.push({ role: role.name, functions, policy: policy.name, sid: s.Sid, action, resource });
            }
          }
        }
      }
    }
    return unused;
  }
}

/** An access key id per function, shaped like the temporary keys STS issues (ASIA + 16 characters). */
export function accessKeyId(functionName: string): string {
  return `ASIA${base32(createHash("sha256").update(`akid:${functionName}`).digest()).slice(0, 16)}`;
}

function roleId(roleArn: string): string {
  return base32(createHash("sha256").update(roleArn).digest()).slice(0, 17);
}

function base32(bytes: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** arn:...:api/$default/POST/orders → arn:...:api/*\/POST/orders: what a route's permission usually names. */
function sourceArnPattern(sourceArn: string): string {
  const m = /^(arn:aws:execute-api:[^:]+:[^:]+:[^/]+)\/[^/]+\/(.*)$/.exec(sourceArn);
  return m ? `${m[1]}/*/${m[2]}` : sourceArn;
}

/**
 * AWS's wording of a denial ("Access denied error messages" in the IAM User Guide): the session, the
 * action, the resource, and which kind of policy denied explicitly or allowed nothing.
 */
export function awsMessage(principal: Principal, call: Call, decision: Decision): string {
  const who = principal.kind === "role" ? (principal.sessionArn ?? principal.arn) : principal.arn;
  const why =
    decision.reason === "explicit-deny"
      ? `with an explicit deny in ${decision.kind === "identity-based policy" ? "an" : "a"} ${decision.kind}`
      : `because no ${decision.kind ?? "identity-based policy"} allows the ${call.action} action`;
  return `User: ${who} is not authorized to perform: ${call.action} on resource: ${call.resource} ${why}`;
}
