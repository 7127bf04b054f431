/**
 * An HTTP API route's Lambda authorizer, as API Gateway runs it ("Working with AWS Lambda authorizers for
 * HTTP APIs", API Gateway Developer Guide), of payload format 2.0 or 1.0:
 *
 * - the identity sources are read first; when one is missing the client gets 401 and the function is
 *   not invoked;
 * - the function gets the route's request as a `REQUEST` event (the integration's 2.0 event without the
 *   body, with `type`, `routeArn` and the identity sources' values), and answers `{ isAuthorized, context }`
 *   (simple responses) or an IAM policy for `execute-api:Invoke` on the route's ARN; a 1.0 authorizer
 *   gets REST's REQUEST event instead (`authorizerEventV1`) and must answer an IAM policy;
 * - a denial is 403, and an authorizer API Gateway may not invoke, one that fails, or an answer of another
 *   shape is 500;
 * - with `authorizerResultTtlInSeconds` (and an identity source), the verdict is kept for the same
 *   identity sources' values: a simple verdict for every route, a policy evaluated for each;
 * - the integration gets the answer's `context` as `requestContext.authorizer.lambda`.
 */
import { wildcard } from "./iam/evaluate";
import type { LocalAuthorizer } from "./model";

/** Where an identity source's value comes from. */
export interface IdentityInputs {
  /** Header names lowercased, as the 2.0 event has them. */
  headers: Record<string, string>;
  query?: Record<string, string>;
  stageVariables: Record<string, string>;
  /** `$context` variables: routeKey, stage, httpMethod, path, requestId, sourceIp. */
  context: Record<string, string>;
}

/** The identity sources' values in order, or undefined when one is missing or empty (then 401, without invoking). */
export function identityOf(sources: string[], inputs: IdentityInputs): string[] | undefined {
  const values: string[] = [];
  for (const source of sources) {
    const [, kind, name] = /^\$(request\.header|request\.querystring|context|stageVariables)\.(.+)$/.exec(source) ?? [];
    const value =
      kind === "request.header"
        ? inputs.headers[name.toLowerCase()]
        : kind === "request.querystring"
          ? inputs.query?.[name]
          : kind === "context"
            ? inputs.context[name]
            : kind === "stageVariables"
              ? inputs.stageVariables[name]
              : undefined;
    if (value === undefined || value === "") return undefined;
    values.push(value);
  }
  return values;
}

/** The authorizer's event: the route's 2.0 event, without its body, as a REQUEST for the route's ARN. */
export function authorizerEvent(routeEvent: Record<string, unknown>, routeArn: string, identity: string[]): Record<string, unknown> {
  const { version, body: _body, isBase64Encoded: _encoded, ...rest } = routeEvent;
  return { version, type: "REQUEST", routeArn, identitySource: identity, ...rest };
}

/**
 * A payload format 1.0 authorizer's event, as REST APIs send theirs (for compatibility with them): the
 * route's ARN as `methodArn`, the identity sources' values joined with commas as `identitySource` and
 * `authorizationToken`, the route's path as `resource` (`$default` for the default route), and a
 * `requestContext` of REST's shape. Read from the route's 2.0 event: headers lowercased, repeated
 * values joined with commas.
 */
export function authorizerEventV1(routeEvent: Record<string, any>, routeArn: string, identity: string[]): Record<string, unknown> {
  const context = routeEvent.requestContext;
  const resource = resourceOf(routeEvent.routeKey);
  return {
    version: "1.0",
    type: "REQUEST",
    methodArn: routeArn,
    identitySource: identity.join(","),
    authorizationToken: identity.join(","),
    resource,
    path: routeEvent.rawPath,
    httpMethod: context.http.method,
    headers: routeEvent.headers,
    queryStringParameters: routeEvent.queryStringParameters ?? null,
    pathParameters: routeEvent.pathParameters ?? {},
    stageVariables: routeEvent.stageVariables ?? null,
    requestContext: {
      path: context.http.path,
      accountId: context.accountId,
      stage: context.stage,
      requestId: context.requestId,
      identity: { sourceIp: context.http.sourceIp, userAgent: context.http.userAgent },
      resourcePath: resource,
      httpMethod: context.http.method,
      apiId: context.apiId,
    },
  };
}

/** A route's `resource` in payload format 1.0: its key's path ("GET /pets/{id}": "/pets/{id}"), or `$default`. */
export function resourceOf(routeKey: string): string {
  return routeKey === "$default" ? routeKey : routeKey.slice(routeKey.indexOf(" ") + 1);
}

/** What an authorizer decided: allowed, with the context the integration gets; or why not. */
export type Verdict =
  | {
      allowed: true;
      context?: Record<string, unknown>;
      jwt?: { claims: Record<string, string>; scopes: string[] | null };
      /** An IAM-authorized caller, as `requestContext.authorizer.iam` reports it. */
      iam?: Record<string, string | null>;
    }
  | { allowed: false; status: 401 | 403 | 500; why: string; headers?: [string, string][] };

/** What the function answered, kept for its TTL: a simple verdict, or a policy to evaluate for each route. */
export type Decision =
  | { simple: true; isAuthorized: boolean; context?: Record<string, unknown> }
  | { simple: false; statements: PolicyStatement[]; context?: Record<string, unknown> };

interface PolicyStatement {
  effect: string;
  actions: string[];
  resources: string[];
}

/** Reads the function's answer; undefined when it is not of the shape the authorizer's settings ask for (then 500). */
export function decisionOf(payload: unknown, simpleResponses: boolean): Decision | undefined {
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) return undefined;
  const answer = payload as Record<string, unknown>;
  const context =
    answer.context && typeof answer.context === "object" && !Array.isArray(answer.context)
      ? (answer.context as Record<string, unknown>)
      : undefined;
  if (simpleResponses && typeof answer.isAuthorized === "boolean") return { simple: true, isAuthorized: answer.isAuthorized, context };
  const document = answer.policyDocument as { Statement?: unknown } | undefined;
  if (!document || typeof document !== "object") return undefined;
  const list = Array.isArray(document.Statement) ? document.Statement : document.Statement ? [document.Statement] : [];
  const asList = (value: unknown) => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);
  const statements = list.map((st: Record<string, unknown>) => ({
    effect: String(st.Effect),
    actions: asList(st.Action),
    resources: asList(st.Resource),
  }));
  return { simple: false, statements, context };
}

/** A decision's verdict for one route: a simple one as it is; a policy's by IAM's rule, an explicit Deny over any Allow. */
export function verdictFor(decision: Decision, routeArn: string): Verdict {
  if (decision.simple)
    return decision.isAuthorized
      ? { allowed: true, context: decision.context }
      : { allowed: false, status: 403, why: "isAuthorized is false" };
  const applies = (st: PolicyStatement) =>
    st.actions.some((a) => wildcard(a, "execute-api:Invoke", true)) && st.resources.some((r) => wildcard(r, routeArn, false));
  if (decision.statements.some((st) => st.effect === "Deny" && applies(st)))
    return { allowed: false, status: 403, why: `its policy denies execute-api:Invoke on ${routeArn}` };
  if (!decision.statements.some((st) => st.effect === "Allow" && applies(st)))
    return { allowed: false, status: 403, why: `its policy does not allow execute-api:Invoke on ${routeArn}` };
  return { allowed: true, context: decision.context };
}

/** Verdicts kept for an authorizer's TTL, by its identity sources' values. */
export class AuthorizerCache {
  private readonly kept = new Map<string, { decision: Decision; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(authorizer: LocalAuthorizer, identity: string[]): Decision | undefined {
    const key = keyOf(authorizer, identity);
    const hit = key && this.kept.get(key);
    if (!hit) return undefined;
    if (hit.until > this.now()) return hit.decision;
    this.kept.delete(key);
    return undefined;
  }

  set(authorizer: LocalAuthorizer, identity: string[], decision: Decision): void {
    const key = keyOf(authorizer, identity);
    if (key) this.kept.set(key, { decision, until: this.now() + authorizer.resultTtlSeconds * 1000 });
  }

  /** Forgets every verdict: the authorizers may have changed (a reload). */
  clear(): void {
    this.kept.clear();
  }
}

/** Caching needs a TTL and at least one identity source (API Gateway's rule); the key is the authorizer and the values. */
function keyOf(authorizer: LocalAuthorizer, identity: string[]): string | undefined {
  if (authorizer.resultTtlSeconds <= 0 || authorizer.identitySources.length === 0) return undefined;
  return JSON.stringify([authorizer.id, identity]);
}
