/**
 * AWS's policy evaluation logic for a request within one account, written from AWS's documentation
 * ("Policy evaluation logic", "IAM JSON policy elements: Condition operators", "Conditions with multiple
 * context keys or values"), with tests drawn from its examples (tests/local/iam-evaluate.test.ts):
 *
 * - an explicit Deny in any policy that applies wins;
 * - otherwise an Allow in the principal's identity policies, or in the resource's policy naming the
 *   principal, allows (within the account; a permissions boundary must allow too);
 * - a KMS key is its own authority: its key policy must allow the principal, or allow the account
 *   (its root) and leave the rest to identity policies;
 * - otherwise the request is implicitly denied.
 *
 * Condition operators the platform's policies use are evaluated as AWS does: a key missing from the
 * request makes a condition false, a negated one true, an ...IfExists one true; several values of a
 * key are ORed (NORed when negated), keys and operators are ANDed. Any other operator fails closed
 * with an error naming the policy, the statement and the operator: never a silent allow.
 */

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: PrincipalBlock;
  NotPrincipal?: PrincipalBlock;
  Condition?: Record<string, Record<string, unknown>>;
}

export type PrincipalBlock = "*" | Record<string, string | string[]>;

export interface PolicyDocument {
  Version?: string;
  Statement: Statement | Statement[];
}

/** A policy and where it came from, for messages: "role create-order-role, inline policy create-order-policy". */
export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
  /** Set when the document could not be found (an attached policy outside the graph): evaluating it fails closed with this. */
  unavailable?: string;
}

export interface Principal {
  /** The role's ARN, or the service's principal name (events.amazonaws.com) for a service-side call. */
  arn: string;
  kind: "role" | "service";
  /** A role session's ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>), which resource policies may name instead of the role. */
  sessionArn?: string;
  account: string;
}

export interface AuthorizationRequest {
  principal: Principal;
  /** service:Action, as AWS names it. */
  action: string;
  resource: string;
  /** Context keys: aws:SecureTransport, aws:SourceArn, aws:SourceAccount, kms:ViaService, ... */
  context: Record<string, string | string[] | undefined>;
}

export interface PolicySet {
  identity: NamedPolicy[];
  /** The permissions boundary of the principal's role, if it has one. */
  boundary?: NamedPolicy;
  /** The resource's own policy (bucket, queue, topic, function permissions). */
  resource?: NamedPolicy;
  /** True for a KMS key: its resource policy (the key policy) is required, not optional. */
  keyPolicy?: boolean;
}

/** The kind of policy that decided a denial, as AWS's messages name it. */
export type PolicyKind = "identity-based policy" | "resource-based policy" | "permissions boundary";

export interface Decision {
  allowed: boolean;
  reason: "explicit-deny" | "allowed" | "implicit-deny";
  /** The statement that decided it: the Deny that matched, or the Allow. */
  by?: { policy: string; sid?: string };
  /** For a denial, the kind of policy that denied explicitly, or that had no Allow. */
  kind?: PolicyKind;
}

/** A policy the evaluator cannot evaluate faithfully; it never allows instead. */
export class UnsupportedPolicyError extends Error {
  constructor(policy: string, sid: string | undefined, what: string) {
    super(
      `policy ${policy}, statement ${sid ?? "(no Sid)"}: ${what} is not supported by the local IAM evaluator, so the request is denied`,
    );
    this.name = "UnsupportedPolicyError";
  }
}

/** A policy that applies to the request but whose document is not known: the request is denied rather than guessed. */
export class PolicyUnavailableError extends Error {
  constructor(policy: string, why: string) {
    super(`${policy}: ${why}, so the local cloud cannot evaluate it and denies the request`);
    this.name = "PolicyUnavailableError";
  }
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM's wildcards: `*` any run of characters, `?` any one. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, ignoreCase ? "is" : "s").test(value);
}

/** Actions match case-insensitively ("sqs:sendmessage" is "sqs:SendMessage"). */
export const actionMatches = (pattern: string, action: string) => wildcard(pattern, action, true);
/** Resources (ARNs) match case-sensitively. */
export const resourceMatches = (pattern: string, resource: string) => pattern === "*" || wildcard(pattern, resource, false);

/** Whether a Principal block names the requester: the role itself, its service, or everyone. */
function principalMatches(block: PrincipalBlock | undefined, principal: Principal): "session" | "direct" | "account" | false {
  if (block === undefined) return false;
  if (block === "*") return "direct";
  for (const [kind, value] of Object.entries(block)) {
    for (const entry of list(value)) {
      if (kind === "AWS") {
        if (principal.sessionArn && entry === principal.sessionArn) return "session";
        if (entry === "*" || entry === principal.arn) return "direct";
        // The account (its id or its root) delegates to the principal's own identity policies.
        if (principal.kind === "role" && (entry === principal.account || entry === `arn:aws:iam::${principal.account}:root`))
          return "account";
      }
      if (kind === "Service" && principal.kind === "service" && entry === principal.arn) return "direct";
    }
  }
  return false;
}

type Operator = (policyValue: string, requestValue: string) => boolean;
const OPERATORS: Record<string, { test: Operator; negated: boolean }> = {
  StringEquals: { test: (p, r) => p === r, negated: false },
  StringNotEquals: { test: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { test: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { test: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { test: (p, r) => wildcard(p, r, false), negated: false },
  StringNotLike: { test: (p, r) => wildcard(p, r, false), negated: true },
  ArnEquals: { test: (p, r) => wildcard(p, r, false), negated: false },
  ArnLike: { test: (p, r) => wildcard(p, r, false), negated: false },
  ArnNotEquals: { test: (p, r) => wildcard(p, r, false), negated: true },
  ArnNotLike: { test: (p, r) => wildcard(p, r, false), negated: true },
  Bool: { test: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  NumericEquals: { test: (p, r) => Number(p) === Number(r), negated: false },
  NumericNotEquals: { test: (p, r) => Number(p) === Number(r), negated: true },
  NumericLessThan: { test: (p, r) => Number(r) < Number(p), negated: false },
  NumericLessThanEquals: { test: (p, r) => Number(r) <= Number(p), negated: false },
  NumericGreaterThan: { test: (p, r) => Number(r) > Number(p), negated: false },
  NumericGreaterThanEquals: { test: (p, r) => Number(r) >= Number(p), negated: false },
};

/** One operator over its keys: every key must hold (AND); a key's values are ORed, or NORed when negated. */
function operatorHolds(
  operator: string,
  keys: Record<string, unknown>,
  context: AuthorizationRequest["context"],
  where: [string, string | undefined],
): boolean {
  if (operator === "Null") {
    return Object.entries(keys).every(([key, value]) => {
      const absent = context[key.toLowerCase()] === undefined;
      return list(value as string | string[]).some((v) => String(v).toLowerCase() === String(absent));
    });
  }
  const ifExists = operator.endsWith("IfExists");
  const base = ifExists ? operator.slice(0, -"IfExists".length) : operator;
  const op = OPERATORS[base];
  if (!op || base.includes(":")) throw new UnsupportedPolicyError(where[0], where[1], `the condition operator ${operator}`);
  return Object.entries(keys).every(([key, value]) => {
    const requested = context[key.toLowerCase()];
    if (requested === undefined) return ifExists || op.negated;
    const policyValues = list(value as string | string[]).map(String);
    const requestValues = list(requested);
    const anyMatch = policyValues.some((p) => requestValues.some((r) => op.test(p, r)));
    return op.negated ? !anyMatch : anyMatch;
  });
}

function statementsOf(policy: NamedPolicy): Statement[] {
  const s = policy.document.Statement;
  return Array.isArray(s) ? s : [s];
}

/** Whether a statement applies to the request: its action, resource, principal (in a resource policy) and condition. */
function applies(
  statement: Statement,
  policy: NamedPolicy,
  request: AuthorizationRequest,
  inResourcePolicy: boolean,
): "session" | "direct" | "account" | false {
  const where: [string, string | undefined] = [policy.name, statement.Sid];
  for (const key of Object.keys(statement)) {
    if (!["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"].includes(key))
      throw new UnsupportedPolicyError(policy.name, statement.Sid, `the element ${key}`);
  }
  if (statement.NotPrincipal !== undefined) throw new UnsupportedPolicyError(policy.name, statement.Sid, "NotPrincipal");
  const actionOk =
    statement.Action !== undefined
      ? list(statement.Action).some((a) => actionMatches(a, request.action))
      : !list(statement.NotAction).some((a) => actionMatches(a, request.action));
  if (!actionOk) return false;
  const resourceOk =
    statement.Resource !== undefined
      ? list(statement.Resource).some((r) => resourceMatches(r, request.resource))
      : statement.NotResource !== undefined
        ? !list(statement.NotResource).some((r) => resourceMatches(r, request.resource))
        : inResourcePolicy;
  if (!resourceOk) return false;
  const principal = inResourcePolicy ? principalMatches(statement.Principal, request.principal) : "direct";
  if (!principal) return false;
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    if (!operatorHolds(operator, keys, request.context, where)) return false;
  }
  return principal;
}

/** Decides a request as AWS would, given the policies that apply to it. Throws UnsupportedPolicyError rather than guess. */
export function authorize(asked: AuthorizationRequest, policies: PolicySet): Decision {
  // Condition keys are case-insensitive (aws:SourceArn is AWS:SourceArn); their values are not.
  const request = { ...asked, context: Object.fromEntries(Object.entries(asked.context).map(([k, v]) => [k.toLowerCase(), v])) };
  const asRole = request.principal.kind === "role";
  const identity = asRole ? policies.identity : [];
  const boundary = asRole ? policies.boundary : undefined;
  const all: [NamedPolicy, PolicyKind][] = [
    ...identity.map((p): [NamedPolicy, PolicyKind] => [p, "identity-based policy"]),
    ...(boundary ? [[boundary, "permissions boundary"] as [NamedPolicy, PolicyKind]] : []),
    ...(policies.resource ? [[policies.resource, "resource-based policy"] as [NamedPolicy, PolicyKind]] : []),
  ];
  for (const [policy] of all) if (policy.unavailable) throw new PolicyUnavailableError(policy.name, policy.unavailable);
  for (const [policy, kind] of all) {
    for (const s of statementsOf(policy).filter((s) => s.Effect === "Deny")) {
      if (applies(s, policy, request, kind === "resource-based policy"))
        return { allowed: false, reason: "explicit-deny", by: { policy: policy.name, sid: s.Sid }, kind };
    }
  }
  const allowIn = (policy: NamedPolicy, inResource: boolean) => {
    for (const s of statementsOf(policy).filter((s) => s.Effect === "Allow")) {
      const match = applies(s, policy, request, inResource);
      if (match) return { match, by: { policy: policy.name, sid: s.Sid } };
    }
    return undefined;
  };
  const fromIdentity = identity.map((p) => allowIn(p, false)).find(Boolean);
  const withinBoundary = !boundary || !!allowIn(boundary, false);
  const fromResource = policies.resource ? allowIn(policies.resource, true) : undefined;
  const denied = (kind: PolicyKind): Decision => ({ allowed: false, reason: "implicit-deny", kind });

  const allowed = (by: { policy: string; sid?: string }): Decision => ({ allowed: true, reason: "allowed", by });
  // A grant to the role session itself is not capped by the boundary; a grant to the role (or to "*") is.
  if (fromResource?.match === "session") return allowed(fromResource.by);
  if (policies.keyPolicy) {
    // KMS: the key policy must allow the principal itself, or the account and then an identity policy.
    if (fromResource?.match === "direct") return withinBoundary ? allowed(fromResource.by) : denied("permissions boundary");
    if (fromResource?.match !== "account") return denied("resource-based policy");
    if (!fromIdentity) return denied("identity-based policy");
    return withinBoundary ? allowed(fromIdentity.by) : denied("permissions boundary");
  }
  // Within one account, a resource policy naming the principal allows without an identity policy.
  const grant = fromResource?.match === "direct" ? fromResource : fromIdentity;
  if (!grant) return denied(asRole ? "identity-based policy" : "resource-based policy");
  return withinBoundary ? allowed(grant.by) : denied("permissions boundary");
}
