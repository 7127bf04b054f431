/**
 * The platform's practices as CrossGuard policies. One implementation, two runners: `policy/index.ts`
 * packs them for `pulumi preview --policy-pack policy`, and `graph/policy-runner.ts` evaluates the
 * same functions on the offline graph. They read only resource props and options, as CrossGuard
 * provides them; JSON-string props (policy documents) stay strings.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { DLQ_RETENTION_SECONDS, ENV, LIVE_ALIAS, NODE_RUNTIMES, WARMER_INPUT } from "./contracts";
import { actionProblem, documentProblems, policyDocumentOf } from "./iam-actions";
import { fifoTargetProblem, isFifoQueueArn } from "./fifo-target";
import { inputTransformerProblem, targetInputProblem } from "./target-input";
import { routeKeyProblem } from "./route-key";
import { scheduleProblem } from "./schedule-expression";

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** Settings a stack's policy config may give; the defaults are prod's, the strictest. */
export interface PlatformPolicyConfig {
  /** "prod" turns on the prod-only checks. @default "prod" */
  environment?: string;
}

const configSchema = {
  properties: { environment: { type: "string" as const, enum: ["dev", "stage", "prod"], default: "prod" } },
};

const FUNCTION = "aws:lambda/function:Function";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const QUEUE = "aws:sqs/queue:Queue";
const INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig";
const EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const SCHEDULER_SCHEDULE = "aws:scheduler/schedule:Schedule";
const PERMISSION = "aws:lambda/permission:Permission";
const BUCKET = "aws:s3/bucket:Bucket";
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const ROLE = "aws:iam/role:Role";
const ALIAS = "aws:lambda/alias:Alias";
const FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl";
const INTEGRATION = "aws:apigatewayv2/integration:Integration";
const DEPLOYMENT_GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup";
/** What an account (and region) may hold only once, so two stacks declaring it collide in AWS. */
export const ACCOUNT_SINGLETONS = [
  "aws:cfg/recorder:Recorder",
  "aws:cfg/deliveryChannel:DeliveryChannel",
  "aws:cfg/recorderStatus:RecorderStatus",
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
  "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
  "aws:iam/accountAlias:AccountAlias",
  "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
  "aws:ebs/encryptionByDefault:EncryptionByDefault",
  "aws:guardduty/detector:Detector",
  "aws:securityhub/account:Account",
  "aws:macie2/account:Account",
  "aws:apigateway/account:Account",
] as const;
/** Where each resource type keeps policy documents. */
const POLICY_PROPS: Record<string, (props: any) => unknown[]> = {
  [ROLE]: (p) => [p.assumeRolePolicy, ...asList(p.inlinePolicies?.map((i: any) => i.policy))],
  "aws:iam/rolePolicy:RolePolicy": (p) => [p.policy],
  "aws:iam/policy:Policy": (p) => [p.policy],
  "aws:iam/userPolicy:UserPolicy": (p) => [p.policy],
  "aws:iam/groupPolicy:GroupPolicy": (p) => [p.policy],
  "aws:sqs/queuePolicy:QueuePolicy": (p) => [p.policy],
  [QUEUE]: (p) => [p.policy],
  "aws:s3/bucketPolicy:BucketPolicy": (p) => [p.policy],
  "aws:sns/topicPolicy:TopicPolicy": (p) => [p.policy],
  "aws:sns/topic:Topic": (p) => [p.policy],
  "aws:kms/key:Key": (p) => [p.policy],
  "aws:dynamodb/resourcePolicy:ResourcePolicy": (p) => [p.policy],
};
const STATEFUL = ["aws:dynamodb/table:Table", QUEUE, BUCKET, "aws:kms/key:Key"];
// EventBridge invocations are found through their targets, which lets warm-up targets be told apart.
const ASYNC_PRINCIPALS = ["sns.amazonaws.com", "s3.amazonaws.com"];

/** A policy document's statements, the document a JSON string or an object (policyDocumentOf). */
function statements(policy: unknown): any[] {
  const doc = policyDocumentOf(policy);
  if (!doc || typeof doc !== "object") return [];
  return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
}

/** Whether `text` is JSON whose value is an object (an access log format is one line of JSON per request). */
function isJsonObject(text: string): boolean {
  try {
    return typeof JSON.parse(text) === "object";
  } catch {
    return false;
  }
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
const ofType = (resources: PolicyResource[], type: string) => resources.filter((r) => r.type === type);

/** Whether a function is the one a reference points at: by name or ARN, either qualified (`orders:live`, `...:function:orders:3`). */
function refersTo(fn: PolicyResource, ref: unknown): boolean {
  if (typeof ref !== "string") return false;
  return [fn.props.name, fn.props.arn].some((base) => typeof base === "string" && (ref === base || ref.startsWith(`${base}:`)));
}

/**
 * How a trigger names a function, when it names one: the ARN it invokes (qualified or not), or for an
 * invoke config or a permission the function plus its qualifier.
 */
function triggerReferences(resources: PolicyResource[]): { resource: PolicyResource; what: string; ref: unknown }[] {
  // Whether a reference names a function of the stack is `refersTo`'s to say: a target's queue ARN or a
  // subscription's e-mail address names none, so targets and subscriptions need no filter by kind here.
  const out: { resource: PolicyResource; what: string; ref: unknown }[] = [];
  const push = (resource: PolicyResource, what: string, ref: unknown) => out.push({ resource, what, ref });
  for (const r of resources) {
    if (r.type === INTEGRATION && r.props.integrationType === "AWS_PROXY")
      push(
        r,
        "API integration",
        String(r.props.integrationUri ?? "").replace(/^arn:[^:]+:apigateway:[^:]*:lambda:path\/[^/]+\/functions\/(.*)\/invocations$/, "$1"),
      );
    if (r.type === "aws:lambda/eventSourceMapping:EventSourceMapping") push(r, "event source mapping", r.props.functionName);
    if (r.type === EVENT_TARGET) push(r, "EventBridge target", r.props.arn);
    if (r.type === "aws:sns/topicSubscription:TopicSubscription") push(r, "SNS subscription", r.props.endpoint);
    if (r.type === "aws:s3/bucketNotification:BucketNotification")
      for (const l of r.props.lambdaFunctions ?? []) push(r, "bucket notification", l.lambdaFunctionArn);
    if (r.type === INVOKE_CONFIG || r.type === PERMISSION) {
      const fn = r.type === INVOKE_CONFIG ? r.props.functionName : r.props.function;
      push(
        r,
        r.type === INVOKE_CONFIG ? "async invoke config" : "invoke permission",
        r.props.qualifier ? `${fn}:${r.props.qualifier}` : fn,
      );
    }
  }
  return out;
}

/** The qualifier a function reference carries (`live` of `...:function:orders:live` or `orders:live`), if any. */
function qualifierOf(fn: PolicyResource, ref: string): string | undefined {
  for (const base of [fn.props.arn, fn.props.name])
    if (typeof base === "string" && ref.startsWith(`${base}:`)) return ref.slice(base.length + 1);
  return undefined;
}

/** `*` and `?` of a pattern (ArnLike, a permission's sourceArn, an IAM action) against a value; actions ignore case. */
function globMatches(pattern: unknown, value: string, ignoreCase = false): boolean {
  if (typeof pattern !== "string") return false;
  const glob = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${glob}$`, ignoreCase ? "i" : "").test(value);
}

/**
 * Whether a resource policy (a queue's, a topic's) lets `service` call `action` for `sourceArn` (unknown
 * while the bucket's name is: then any source counts): an Allow for the service or everyone, the action or
 * a wildcard over it, and any aws:SourceArn condition matching; a Deny that applies without conditions
 * takes it away. Other conditions (aws:SourceAccount, aws:SecureTransport) do not keep a service out.
 */
function policyLets(documents: unknown[], service: string, action: string, sourceArn: string | undefined): boolean {
  const all = documents.flatMap(statements);
  const applies = (st: any) => {
    const principal = st.Principal;
    const who =
      principal === "*" ||
      asList(principal?.Service).includes(service) ||
      (principal?.AWS !== undefined && asList(principal.AWS).includes("*"));
    const what = asList(st.Action).some((pattern) => globMatches(pattern, action, true));
    return who && what;
  };
  const sourceOk = (st: any) => {
    const conditions = Object.values(st.Condition ?? {}) as Record<string, unknown>[];
    const sources = conditions.flatMap((c) =>
      Object.entries(c ?? {})
        .filter(([k]) => k.toLowerCase() === "aws:sourcearn")
        .map(([, v]) => v),
    );
    return sourceArn === undefined || sources.every((v) => asList(v).some((pattern) => globMatches(pattern, sourceArn)));
  };
  if (all.some((st) => st.Effect === "Deny" && !st.Condition && applies(st))) return false;
  return all.some((st) => st.Effect === "Allow" && applies(st) && sourceOk(st));
}

export const policies: Policy[] = [
  {
    name: "async-functions-have-dlq",
    description: "Every asynchronously invoked function has explicit retries and an onFailure destination or DLQ.",
    validateStack: (args, report) => {
      const targets = ofType(args.resources, EVENT_TARGET).filter((t) => t.props.input !== WARMER_INPUT);
      const pushers = ofType(args.resources, PERMISSION).filter((p) => ASYNC_PRINCIPALS.includes(p.props.principal));
      const configs = ofType(args.resources, INVOKE_CONFIG);
      for (const fn of ofType(args.resources, FUNCTION)) {
        const config = configs.find((c) => refersTo(fn, c.props.functionName));
        const isAsync = !!config || targets.some((t) => refersTo(fn, t.props.arn)) || pushers.some((p) => refersTo(fn, p.props.function));
        if (!isAsync) continue;
        const hasDestination = !!config?.props.destinationConfig?.onFailure?.destination || !!fn.props.deadLetterConfig?.targetArn;
        if (config?.props.maximumRetryAttempts === undefined || !hasDestination) {
          report(
            `function ${fn.name} is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination`,
            fn.urn,
          );
        }
      }
    },
  },
  {
    name: "functions-have-log-retention",
    description: "Every function logs to an explicit log group with a retention period.",
    validateStack: (args, report) => {
      const groups = ofType(args.resources, LOG_GROUP);
      for (const fn of ofType(args.resources, FUNCTION)) {
        const name = fn.props.loggingConfig?.logGroup ?? `/aws/lambda/${fn.props.name}`;
        const group = groups.find((g) => g.props.name === name);
        if (!group) report(`function ${fn.name} has no log group ${name} in the stack`, fn.urn);
        else if (!group.props.retentionInDays)
          report(`log group ${name} of function ${fn.name} keeps logs forever: set retentionInDays`, group.urn);
      }
    },
  },
  {
    name: "functions-supported-runtime",
    description: "Every function runs a Node.js runtime the platform supports.",
    validateResource: (args, report) => {
      if (args.type === FUNCTION && !(NODE_RUNTIMES as readonly string[]).includes(args.props.runtime)) {
        report(`function ${args.name} runs ${args.props.runtime ?? "no runtime"}; the platform runs ${NODE_RUNTIMES.join(" or ")}`);
      }
    },
  },
  {
    name: "functions-have-alarms",
    description: "Every function has alarms on Errors, Throttles and Duration.",
    validateStack: (args, report) => {
      const alarms = ofType(args.resources, ALARM);
      for (const fn of ofType(args.resources, FUNCTION)) {
        const watched = alarms
          .filter((a) => a.props.namespace === "AWS/Lambda" && a.props.dimensions?.FunctionName === fn.props.name)
          .map((a) => a.props.metricName);
        const missing = ["Errors", "Throttles", "Duration"].filter((m) => !watched.includes(m));
        if (missing.length > 0) report(`function ${fn.name} has no alarm on ${missing.join(", ")}`, fn.urn);
      }
    },
  },
  {
    name: "no-wildcard-actions",
    description: "IAM identity policies allow no `*` actions; a permissions boundary, which only caps, may.",
    validateStack: (args, report) => {
      const boundaries = new Set(
        ofType(args.resources, ROLE)
          .map((r) => r.props.permissionsBoundary)
          .filter(Boolean),
      );
      for (const r of args.resources) {
        const docs =
          r.type === "aws:iam/rolePolicy:RolePolicy" || (r.type === "aws:iam/policy:Policy" && !boundaries.has(r.props.arn))
            ? [r.props.policy]
            : r.type === ROLE
              ? asList(r.props.inlinePolicies?.map((p: any) => p.policy))
              : [];
        for (const doc of docs) {
          for (const s of statements(doc)) {
            if ((s.Effect ?? "Allow") !== "Allow") continue;
            const wild = asList(s.Action).filter((a) => a === "*" || a.endsWith(":*"));
            if (wild.length > 0) report(`${r.name} allows the wildcard action ${wild.join(", ")}`, r.urn);
          }
        }
      }
    },
  },
  {
    name: "no-admin-managed-policies",
    description: "No AWS FullAccess, PowerUserAccess or AdministratorAccess policy is attached to a role without a permissions boundary.",
    validateStack: (args, report) => {
      const bounded = new Set(
        ofType(args.resources, ROLE)
          .filter((r) => r.props.permissionsBoundary)
          .flatMap((r) => [r.props.name, r.props.id, r.props.arn]),
      );
      const broad = (arns: string[]) => arns.filter((a) => /FullAccess|AdministratorAccess|PowerUserAccess/.test(a));
      for (const role of ofType(args.resources, ROLE).filter((r) => !r.props.permissionsBoundary)) {
        for (const arn of broad(asList(role.props.managedPolicyArns)))
          report(`${role.name} attaches the broad managed policy ${arn}`, role.urn);
      }
      for (const type of ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment"]) {
        for (const attachment of ofType(args.resources, type)) {
          const roles = asList(attachment.props.role ?? attachment.props.roles);
          if (roles.length > 0 && roles.every((r) => bounded.has(r))) continue;
          for (const arn of broad(asList(attachment.props.policyArn)))
            report(`${attachment.name} attaches the broad managed policy ${arn}`, attachment.urn);
        }
      }
    },
  },
  {
    name: "iam-actions-exist",
    description:
      "Every IAM action in every policy (identity, trust, resource and key policies, function permissions) is a real action, on a resource of a type it takes.",
    validateStack: async (args, report) => {
      for (const r of args.resources) {
        const documents = POLICY_PROPS[r.type]?.(r.props) ?? [];
        for (const doc of documents) for (const problem of await documentProblems(doc)) report(`${r.name}: ${problem}`, r.urn);
        if (r.type === PERMISSION && typeof r.props.action === "string") {
          const problem = await actionProblem(r.props.action);
          if (problem) report(`${r.name}: ${problem}`, r.urn);
        }
      }
    },
  },
  {
    name: "schedule-expressions-valid",
    description:
      "Every EventBridge rule's and Scheduler schedule's expression is one EventBridge accepts (rate units, both cron day fields, L, W, #).",
    validateResource: (args, report) => {
      const expression = args.props.scheduleExpression;
      if (typeof expression !== "string") return;
      if (args.type === "aws:cloudwatch/eventRule:EventRule" || args.type === "aws:scheduler/schedule:Schedule") {
        const problem = scheduleProblem(expression, { allowAt: args.type === "aws:scheduler/schedule:Schedule" });
        if (problem) report(`${args.name}: ${problem}`);
      }
    },
  },
  {
    name: "fifo-queue-targets-valid",
    description:
      "An EventBridge rule target or Scheduler schedule that sends to an SQS FIFO queue names its message group (AWS refuses the target otherwise), and the queue deduplicates by content (EventBridge sends no deduplication id, so SQS refuses every event otherwise).",
    validateStack: (args, report) => {
      const queues = ofType(args.resources, "aws:sqs/queue:Queue");
      for (const r of args.resources) {
        const rule = r.type === EVENT_TARGET;
        if (!rule && r.type !== SCHEDULER_SCHEDULE) continue;
        const arn = rule ? r.props.arn : r.props.target?.arn;
        if (!isFifoQueueArn(arn)) continue;
        const what = `${rule ? "EventBridge target" : "schedule"} ${r.name}`;
        const problem = rule
          ? fifoTargetProblem(arn, r.props.sqsTarget?.messageGroupId, "sqsTarget.messageGroupId")
          : fifoTargetProblem(arn, r.props.target?.sqsParameters?.messageGroupId, "target.sqsParameters.messageGroupId");
        if (problem) report(`${what}: ${problem}`, r.urn);
        const queue = queues.find((q) => q.props.arn === arn);
        if (queue && queue.props.contentBasedDeduplication !== true)
          report(
            `${what}: its FIFO queue ${queue.name} does not deduplicate by content (contentBasedDeduplication), and EventBridge sends no deduplication id: SQS refuses every event`,
            r.urn,
          );
      }
    },
  },
  {
    name: "event-target-inputs-valid",
    description:
      "An EventBridge rule target's constant input is valid JSON text, and its input transformer one PutTargets accepts; a Scheduler schedule's input is JSON for its templated Lambda, Step Functions and EventBridge targets (AWS refuses the target otherwise).",
    validateResource: (args, report) => {
      const problems =
        args.type === EVENT_TARGET
          ? [
              targetInputProblem(args.props.input, args.props.arn, false, "input"),
              args.props.inputTransformer ? inputTransformerProblem(args.props.inputTransformer) : undefined,
            ]
          : args.type === SCHEDULER_SCHEDULE
            ? [targetInputProblem(args.props.target?.input, args.props.target?.arn, true, "target.input")]
            : [];
      for (const problem of problems.filter(Boolean))
        report(`${args.type === EVENT_TARGET ? "EventBridge target" : "schedule"} ${args.name}: ${problem}`);
    },
  },
  {
    name: "bucket-notifications-deliverable",
    description:
      'A bucket notification to a function, queue or topic of the stack goes where S3 may deliver (an aws.lambda.Permission for s3.amazonaws.com, a queue or topic policy letting S3 send for the bucket), and depends on that permission: S3 checks each destination when the notification is put, and PutBucketNotificationConfiguration fails otherwise ("Unable to validate the following destination configurations").',
    validateStack: (args, report) => {
      const { resources } = args;
      const permissions = ofType(resources, PERMISSION).filter(
        (p) => p.props.principal === "s3.amazonaws.com" && ["lambda:InvokeFunction", "lambda:*"].includes(p.props.action),
      );
      const dependsOn = (r: PolicyResource, on: PolicyResource) => (r.dependencies ?? []).some((d) => d.urn === on.urn);
      const sharesDependency = (a: PolicyResource[] | undefined, b: PolicyResource[] | undefined) =>
        (a ?? []).some((x) => (b ?? []).some((y) => y.urn === x.urn));
      for (const notification of ofType(resources, "aws:s3/bucketNotification:BucketNotification")) {
        const bucket = notification.props.bucket;
        const bucketArn = typeof bucket === "string" ? `arn:aws:s3:::${bucket}` : undefined;
        const said = (what: string, problem: string) =>
          report(
            `bucket notification ${notification.name}: ${what} ${problem}; PutBucketNotificationConfiguration fails ("Unable to validate the following destination configurations")`,
            notification.urn,
          );
        const raced = (what: string, grant: PolicyResource) =>
          report(
            `bucket notification ${notification.name}: ${what} is let in by ${grant.name}, which the notification does not depend on: S3 checks the destination when the notification is put, which may come first (add dependsOn)`,
            notification.urn,
          );
        for (const target of notification.props.lambdaFunctions ?? []) {
          const ref = target.lambdaFunctionArn;
          const fn = ofType(resources, FUNCTION).find((f) => refersTo(f, ref));
          // Unknown (a preview of a new stack): the engine's property dependencies say which function it is.
          const deps = notification.propertyDependencies?.lambdaFunctions;
          if (!fn && (ref !== undefined || !deps?.length)) continue;
          const grant = permissions.find((p) => {
            const named = p.props.qualifier ? `${p.props.function}:${p.props.qualifier}` : p.props.function;
            const same =
              fn && typeof ref === "string" ? refersTo(fn, named) && qualifierOf(fn, ref) === qualifierOf(fn, String(named)) : false;
            const source = p.props.sourceArn === undefined || bucketArn === undefined || globMatches(p.props.sourceArn, bucketArn);
            return (same || sharesDependency(p.propertyDependencies?.function, deps)) && source;
          });
          const what = `S3 invoking ${fn ? `function ${fn.name}` : "its function"}${typeof ref === "string" && fn ? ` (${ref})` : ""}`;
          if (!grant) said(what, `has no aws.lambda.Permission for s3.amazonaws.com${bucketArn ? ` with sourceArn ${bucketArn}` : ""}`);
          else if (!dependsOn(notification, grant)) raced(what, grant);
        }
        const destinations: [string, string, string, string, string][] = [
          ["queues", "queueArn", QUEUE, "aws:sqs/queuePolicy:QueuePolicy", "sqs:SendMessage"],
          ["topics", "topicArn", "aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy", "sns:Publish"],
        ];
        for (const [list, key, type, policyType, action] of destinations)
          for (const target of notification.props[list] ?? []) {
            const destination = ofType(resources, type).find((d) => d.props.arn !== undefined && d.props.arn === target[key]);
            if (!destination) continue;
            const attached = ofType(resources, policyType).filter((p) =>
              type === QUEUE
                ? p.props.queueUrl === destination.props.url || p.props.queueUrl === destination.props.id
                : p.props.arn === destination.props.arn,
            );
            const grant = attached.find((p) => policyLets([p.props.policy], "s3.amazonaws.com", action, bucketArn));
            const what = `S3 sending to ${list === "queues" ? "queue" : "topic"} ${destination.name}`;
            if (grant) {
              if (!dependsOn(notification, grant)) raced(what, grant);
            } else if (!policyLets([destination.props.policy], "s3.amazonaws.com", action, bucketArn))
              said(what, `is not let in: no policy on it allows s3.amazonaws.com ${action}${bucketArn ? ` for ${bucketArn}` : ""}`);
          }
      }
    },
  },
  {
    name: "http-api-route-keys-valid",
    description:
      "Every HTTP API route key is one API Gateway accepts: a method and a path of valid parts (no trailing or doubled /, no part mixing a {variable} with text), a greedy variable last, each variable named once.",
    validateResource: (args, report) => {
      const key = args.props.routeKey;
      if (typeof key !== "string") return;
      // A Route does not say its API's protocol; a key shaped "<WORD> /..." is an HTTP route's (a WebSocket
      // API's keys are $connect, $disconnect, $default or an action's name). A quick-create API says it.
      const http =
        args.type === "aws:apigatewayv2/route:Route"
          ? /^[A-Za-z]+ \//.test(key)
          : args.type === "aws:apigatewayv2/api:Api" && args.props.protocolType === "HTTP";
      const problem = http ? routeKeyProblem(key) : undefined;
      if (problem) report(`${args.name}: ${problem}`);
    },
  },
  {
    name: "no-account-singletons",
    description: "An application stack creates nothing an account may hold only once; the account baseline stack holds those.",
    configSchema: { properties: { baseline: { type: "boolean" as const, default: false } } },
    validateResource: (args, report) => {
      const { baseline = false } = args.getConfig<{ baseline?: boolean }>();
      if (!baseline && (ACCOUNT_SINGLETONS as readonly string[]).includes(args.type)) {
        report(
          `${args.type} ${args.name} exists once per account and region: it belongs in the account baseline stack (baseline/), not in an application stack`,
        );
      }
    },
  },
  {
    name: "queues-encrypted",
    description: "Every SQS queue is encrypted.",
    validateResource: (args, report) => {
      if (args.type === QUEUE && args.props.sqsManagedSseEnabled !== true && !args.props.kmsMasterKeyId)
        report(`queue ${args.name} is not encrypted`);
    },
  },
  {
    name: "dlq-retention-14-days",
    description: "Dead-letter queues keep messages for 14 days.",
    validateStack: (args, report) => {
      const dlqArns = new Set<string>();
      for (const q of ofType(args.resources, QUEUE)) {
        try {
          if (q.props.redrivePolicy) dlqArns.add(JSON.parse(q.props.redrivePolicy).deadLetterTargetArn);
        } catch {
          report(`queue ${q.name} has a redrivePolicy that is not JSON`, q.urn);
        }
      }
      for (const c of ofType(args.resources, INVOKE_CONFIG)) dlqArns.add(c.props.destinationConfig?.onFailure?.destination);
      for (const q of ofType(args.resources, QUEUE)) {
        if (dlqArns.has(q.props.arn) && q.props.messageRetentionSeconds !== DLQ_RETENTION_SECONDS) {
          report(
            `dead-letter queue ${q.name} keeps messages for ${q.props.messageRetentionSeconds ?? 345600} s, not 14 days (${DLQ_RETENTION_SECONDS})`,
            q.urn,
          );
        }
      }
    },
  },
  {
    name: "alarms-have-actions",
    description: "Every alarm notifies someone on ALARM and on OK.",
    validateResource: (args, report) => {
      if (args.type !== ALARM) return;
      if (asList(args.props.alarmActions).length === 0) report(`alarm ${args.name} has no alarmActions`);
      if (asList(args.props.okActions).length === 0) report(`alarm ${args.name} has no okActions`);
    },
  },
  {
    name: "api-access-logs-json",
    description: "API stages write JSON access logs.",
    validateResource: (args, report) => {
      if (args.type !== "aws:apigatewayv2/stage:Stage" && args.type !== "aws:apigateway/stage:Stage") return;
      const { format, destinationArn } = args.props.accessLogSettings ?? {};
      if (!format || !destinationArn) report(`stage ${args.name} has no access logs`);
      else if (!isJsonObject(format)) report(`stage ${args.name} writes access logs that are not JSON`);
    },
  },
  {
    name: "no-api-gateway-cache",
    description: "API Gateway's own cache is off; cache at the edge instead.",
    validateResource: (args, report) => {
      if (args.type === "aws:apigateway/stage:Stage" && args.props.cacheClusterEnabled)
        report(`stage ${args.name} enables the API Gateway cache`);
      if (args.type === "aws:apigateway/methodSettings:MethodSettings" && args.props.settings?.cachingEnabled)
        report(`method settings ${args.name} enable caching`);
    },
  },
  {
    name: "buckets-secure",
    description: "Buckets block public access, are encrypted and accept only TLS.",
    validateStack: (args, report) => {
      const bucketRef = (r: PolicyResource) => r.props.bucket;
      for (const bucket of ofType(args.resources, BUCKET)) {
        const name = bucket.props.bucket ?? bucket.props.id;
        const mine = (type: string) =>
          ofType(args.resources, type).filter((r) => bucketRef(r) === name || bucketRef(r) === bucket.props.id);
        const block = mine("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]?.props;
        if (
          !block ||
          !["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block[k] === true)
        ) {
          report(`bucket ${bucket.name} does not block all public access`, bucket.urn);
        }
        if (mine("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").length === 0)
          report(`bucket ${bucket.name} has no encryption configuration`, bucket.urn);
        const tlsOnly = mine("aws:s3/bucketPolicy:BucketPolicy").some((p) =>
          statements(p.props.policy).some((s) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false"),
        );
        if (!tlsOnly) report(`bucket ${bucket.name} does not deny non-TLS requests`, bucket.urn);
      }
    },
  },
  {
    name: "kms-keys-rotate",
    description: "Customer-managed KMS keys rotate.",
    validateResource: (args, report) => {
      if (args.type === "aws:kms/key:Key" && args.props.enableKeyRotation !== true) report(`KMS key ${args.name} does not rotate`);
    },
  },
  {
    name: "event-targets-have-dlq-and-retries",
    description:
      "Every EventBridge target (rules and Scheduler schedules) has an explicit retry policy and an SQS dead-letter queue, so an event EventBridge cannot deliver is kept, not dropped.",
    validateResource: (args, report) => {
      const target =
        args.type === EVENT_TARGET ? args.props : args.type === "aws:scheduler/schedule:Schedule" ? args.props.target : undefined;
      if (!target) return;
      const what = `${args.type === EVENT_TARGET ? "EventBridge target" : "schedule"} ${args.name}`;
      if (!target.deadLetterConfig?.arn) report(`${what} has no dead-letter queue: an event it cannot deliver is dropped`);
      const retry = target.retryPolicy ?? {};
      if (retry.maximumRetryAttempts === undefined || retry.maximumEventAgeInSeconds === undefined)
        report(`${what} has no explicit retry policy (maximumRetryAttempts and maximumEventAgeInSeconds)`);
    },
  },
  {
    name: "queue-mappings-capped",
    description:
      "Every SQS event source mapping caps its concurrency (scalingConfig.maximumConcurrency), at most its function's reserved concurrency.",
    validateStack: (args, report) => {
      const functions = ofType(args.resources, FUNCTION);
      for (const mapping of ofType(args.resources, "aws:lambda/eventSourceMapping:EventSourceMapping")) {
        if (!String(mapping.props.eventSourceArn ?? "").startsWith("arn:aws:sqs:")) continue;
        const max = mapping.props.scalingConfig?.maximumConcurrency;
        if (max === undefined) {
          report(
            `event source mapping ${mapping.name} has no maximumConcurrency: the queue can push its function to any concurrency`,
            mapping.urn,
          );
          continue;
        }
        const reserved = functions.find((f) => refersTo(f, mapping.props.functionName))?.props.reservedConcurrentExecutions;
        if (typeof reserved === "number" && reserved >= 0 && max > reserved)
          report(
            `event source mapping ${mapping.name} allows ${max} concurrent invocations, above its function's reserved ${reserved}`,
            mapping.urn,
          );
      }
    },
  },
  {
    name: "functions-reserve-concurrency-in-prod",
    description: "In prod, every function has reserved concurrency: a ceiling on its cost and on what it sends downstream.",
    configSchema,
    validateResource: (args, report) => {
      const { environment = "prod" } = args.getConfig<PlatformPolicyConfig>();
      if (environment !== "prod" || args.type !== FUNCTION) return;
      const reserved = args.props.reservedConcurrentExecutions;
      if (typeof reserved !== "number" || reserved < 1) report(`function ${args.name} has no reserved concurrency in prod`);
    },
  },
  {
    name: "functions-traced",
    description: "Every function sets its X-Ray tracing mode explicitly, and in prod (and stage) records traces: Active.",
    configSchema,
    validateResource: (args, report) => {
      if (args.type !== FUNCTION) return;
      const { environment = "prod" } = args.getConfig<PlatformPolicyConfig>();
      const mode = args.props.tracingConfig?.mode;
      if (!mode) report(`function ${args.name} sets no tracing mode`);
      else if (environment !== "dev" && mode !== "Active")
        report(`function ${args.name} does not record traces (tracing ${mode}) in ${environment}`);
    },
  },
  {
    name: "vpc-functions-closed-to-inbound",
    description: "A function in a VPC carries no security group that lets anyone in: no ingress from 0.0.0.0/0 or ::/0.",
    validateStack: (args, report) => {
      const open = (rule: any) => asList(rule?.cidrBlocks).includes("0.0.0.0/0") || asList(rule?.ipv6CidrBlocks).includes("::/0");
      const groups = ofType(args.resources, "aws:ec2/securityGroup:SecurityGroup");
      // Rules may also stand alone, beside the group they open.
      const rules = [
        ...ofType(args.resources, "aws:ec2/securityGroupRule:SecurityGroupRule").filter((r) => r.props.type === "ingress" && open(r.props)),
        ...ofType(args.resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
          (r) => r.props.cidrIpv4 === "0.0.0.0/0" || r.props.cidrIpv6 === "::/0",
        ),
      ];
      // A resource names a group by its id once known; before (a preview of a new stack) the engine's
      // property dependencies still say which group the value comes from.
      const known = (id: unknown, ids: unknown[]) => id !== undefined && ids.includes(id);
      const dependsOn = (r: PolicyResource, property: string, group: PolicyResource) =>
        (r.propertyDependencies?.[property] ?? []).some((d) => d.urn === group.urn);
      for (const fn of ofType(args.resources, FUNCTION)) {
        if (!fn.props.vpcConfig) continue;
        const ids = asList(fn.props.vpcConfig.securityGroupIds);
        const own = groups.filter((g) => known(g.props.id, ids) || dependsOn(fn, "vpcConfig", g));
        for (const group of own)
          if ((Array.isArray(group.props.ingress) ? group.props.ingress : []).some(open))
            report(`function ${fn.name} is in security group ${group.name}, which lets anyone in (ingress from anywhere)`, group.urn);
        // A rule may open a group the stack does not make; the function names it by id.
        for (const rule of rules.filter((r) => known(r.props.securityGroupId, ids) || own.some((g) => dependsOn(r, "securityGroupId", g))))
          report(`function ${fn.name} is in a security group that ${rule.name} opens to anyone (ingress from anywhere)`, rule.urn);
      }
    },
  },
  {
    name: "vpcs-have-flow-logs",
    description: "Every VPC the stack makes (awsx's Vpc, or a plain aws.ec2.Vpc) records its flow logs: a FlowLog names it.",
    validateStack: (args, report) => {
      const flowLogs = ofType(args.resources, "aws:ec2/flowLog:FlowLog");
      const awsxVpcs = ofType(args.resources, "awsx:ec2:Vpc");
      // awsx's own inner VPC is the Vpc component's; it is judged through the component.
      const vpcs = [
        ...awsxVpcs,
        ...ofType(args.resources, "aws:ec2/vpc:Vpc").filter((v) => !awsxVpcs.some((x) => x.urn === v.opts.parent)),
      ];
      for (const vpc of vpcs) {
        const vpcId = vpc.type === "awsx:ec2:Vpc" ? vpc.props.vpcId : vpc.props.id;
        // Before the VPC exists its id is unknown: a flow log made by the same component then counts.
        const logged = flowLogs.some((f) => (vpcId ? f.props.vpcId === vpcId : !!vpc.opts.parent && f.opts.parent === vpc.opts.parent));
        if (!logged) report(`VPC ${vpc.name} has no flow log: add an aws.ec2.FlowLog for it`, vpc.urn);
      }
    },
  },
  {
    name: "vpcs-span-two-azs-in-prod",
    description: "In prod, a VPC the stack makes with awsx spans at least two availability zones.",
    configSchema,
    validateResource: (args, report) => {
      const { environment = "prod" } = args.getConfig<PlatformPolicyConfig>();
      if (environment !== "prod" || args.type !== "awsx:ec2:Vpc") return;
      // awsx's own default is three zones.
      const zones = Array.isArray(args.props.availabilityZoneNames)
        ? args.props.availabilityZoneNames.length
        : (args.props.numberOfAvailabilityZones ?? 3);
      if (zones < 2) report(`VPC ${args.name} spans ${zones} availability zone in prod: one zone's outage takes the functions in it down`);
    },
  },
  {
    name: "functions-stop-recursive-loops",
    description:
      "Every function sets Lambda's recursive loop detection to Terminate explicitly, and alarms on RecursiveInvocationsDropped.",
    validateStack: (args, report) => {
      const configs = ofType(args.resources, "aws:lambda/functionRecursionConfig:FunctionRecursionConfig");
      const alarms = ofType(args.resources, ALARM);
      for (const fn of ofType(args.resources, FUNCTION)) {
        const config = configs.find((c) => refersTo(fn, c.props.functionName));
        if (config?.props.recursiveLoop !== "Terminate")
          report(
            `function ${fn.name} ${config ? `lets recursive loops run (recursiveLoop ${config.props.recursiveLoop})` : "has no FunctionRecursionConfig"}: set recursiveLoop Terminate`,
            fn.urn,
          );
        const watched = alarms.some(
          (a) =>
            a.props.metricName === "RecursiveInvocationsDropped" &&
            a.props.namespace === "AWS/Lambda" &&
            a.props.dimensions?.FunctionName === fn.props.name,
        );
        if (!watched) report(`function ${fn.name} has no alarm on RecursiveInvocationsDropped`, fn.urn);
      }
    },
  },
  {
    name: "triggers-invoke-live-alias",
    description:
      "Every trigger (API route, queue mapping, schedule, subscription) invokes a function through its live alias, never $LATEST, and the function's invoke configs and permissions are on that alias.",
    validateStack: (args, report) => {
      const functions = ofType(args.resources, FUNCTION);
      for (const { resource, what, ref } of triggerReferences(args.resources)) {
        const fn = functions.find((f) => refersTo(f, ref));
        if (!fn) continue;
        const qualifier = qualifierOf(fn, String(ref));
        if (qualifier !== LIVE_ALIAS)
          report(
            `${what} ${resource.name} invokes function ${fn.name} ${qualifier ? `at ${qualifier}` : "unqualified ($LATEST)"}; point it at the ${LIVE_ALIAS} alias`,
            resource.urn,
          );
      }
    },
  },
  {
    name: "api-functions-roll-out-safely-in-prod",
    description:
      "In prod, every function behind the API has a live alias that pulumi up does not move, and a CodeDeploy deployment group that rolls back on failure and on alarms watching that function.",
    configSchema,
    validateStack: (args, report) => {
      const { environment = "prod" } = args.getConfig<PlatformPolicyConfig>();
      if (environment !== "prod") return;
      const functions = ofType(args.resources, FUNCTION);
      const alarms = ofType(args.resources, ALARM);
      const behindApi = new Set(
        triggerReferences(args.resources)
          .filter((t) => t.resource.type === INTEGRATION)
          .map((t) => functions.find((f) => refersTo(f, t.ref)))
          .filter((f): f is PolicyResource => f !== undefined),
      );
      for (const fn of behindApi) {
        const alias = ofType(args.resources, ALIAS).find((a) => a.props.name === LIVE_ALIAS && refersTo(fn, a.props.functionName));
        if (!alias) {
          report(`function ${fn.name} is behind the API but has no ${LIVE_ALIAS} alias`, fn.urn);
          continue;
        }
        const ignored = asList((alias.opts as { ignoreChanges?: string[] }).ignoreChanges);
        if (!ignored.includes("functionVersion") || !ignored.includes("routingConfig"))
          report(
            `alias ${alias.name} is moved by pulumi up: ignore changes to functionVersion and routingConfig, so a rollout in progress is not fought`,
            alias.urn,
          );
        // A deployment group names no function; the alarms it rolls back on say which one it guards.
        const watching = alarms
          .filter((a) => a.props.namespace === "AWS/Lambda" && a.props.dimensions?.FunctionName === fn.props.name)
          .map((a) => a.props.name);
        const group = ofType(args.resources, DEPLOYMENT_GROUP).find((g) =>
          asList(g.props.alarmConfiguration?.alarms).some((a) => watching.includes(a)),
        );
        if (!group) {
          report(`function ${fn.name} is behind the API but no CodeDeploy deployment group rolls it back on an alarm of its own`, fn.urn);
          continue;
        }
        const rollback = group.props.autoRollbackConfiguration;
        const events = asList(rollback?.events);
        if (!rollback?.enabled || !events.includes("DEPLOYMENT_FAILURE") || !events.includes("DEPLOYMENT_STOP_ON_ALARM"))
          report(`deployment group ${group.name} does not roll back on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM`, group.urn);
        if (!group.props.alarmConfiguration?.enabled) report(`deployment group ${group.name} has its alarms turned off`, group.urn);
      }
    },
  },
  {
    name: "no-fault-injection-in-prod",
    description: "Fault injection is off in prod.",
    configSchema,
    validateResource: (args, report) => {
      const { environment = "prod" } = args.getConfig<PlatformPolicyConfig>();
      if (environment === "prod" && args.type === FUNCTION && args.props.environment?.variables?.[ENV.faultInjection] === "on") {
        report(`function ${args.name} has fault injection on in prod`);
      }
    },
  },
  {
    name: "function-urls-private-in-prod",
    description:
      "No Lambda function URL is public (auth type NONE) in prod: it would bypass the edge's WAF, Shield and origin check; one of auth type AWS_IAM sits behind CloudFront's origin access control.",
    configSchema,
    validateResource: (args, report) => {
      const { environment = "prod" } = args.getConfig<PlatformPolicyConfig>();
      if (environment === "prod" && args.type === FUNCTION_URL && args.props.authorizationType !== "AWS_IAM")
        report(
          `function URL ${args.name} is public (authorizationType ${args.props.authorizationType}) in prod, bypassing the edge's WAF, Shield and origin check: use AWS_IAM, behind CloudFront with origin access control`,
        );
    },
  },
  {
    name: "stateful-resources-protected-in-prod",
    description: "Tables, queues, buckets and keys are protected (or retained) in prod.",
    configSchema,
    validateResource: (args, report) => {
      const { environment = "prod" } = args.getConfig<PlatformPolicyConfig>();
      const opts = args.opts as { protect?: boolean; retainOnDelete?: boolean };
      if (environment === "prod" && STATEFUL.includes(args.type) && !opts.protect && !opts.retainOnDelete) {
        report(`${args.type.split(":").pop()} ${args.name} is neither protected nor retained in prod`);
      }
    },
  },
  {
    name: "edge-tls-1-2",
    description: "CloudFront viewers negotiate TLS 1.2 or newer, and origins are reached over TLS 1.2.",
    validateResource: (args, report) => {
      if (args.type !== DISTRIBUTION) return;
      const cert = args.props.viewerCertificate ?? {};
      if (!cert.cloudfrontDefaultCertificate && !/^TLSv1\.2_/.test(cert.minimumProtocolVersion ?? "")) {
        report(`distribution ${args.name} allows viewer protocols below TLS 1.2 (${cert.minimumProtocolVersion ?? "unset"})`);
      }
      for (const origin of args.props.origins ?? []) {
        const custom = origin.customOriginConfig;
        if (custom && (custom.originProtocolPolicy !== "https-only" || asList(custom.originSslProtocols).some((p) => p !== "TLSv1.2"))) {
          report(`distribution ${args.name} reaches origin ${origin.originId} without https-only TLSv1.2`);
        }
      }
    },
  },
  {
    name: "edge-no-5xx-caching",
    description: "CloudFront never caches 5xx responses (its default caches them for 10 s).",
    validateResource: (args, report) => {
      if (args.type !== DISTRIBUTION) return;
      const responses: any[] = args.props.customErrorResponses ?? [];
      for (const code of [500, 502, 503, 504]) {
        const rule = responses.find((r) => Number(r.errorCode) === code);
        if (!rule || rule.errorCachingMinTtl !== 0)
          report(`distribution ${args.name} may cache ${code} responses: set errorCachingMinTtl 0`);
      }
    },
  },
];
