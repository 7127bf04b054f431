/**
 * An API Gateway HTTP API on a local port, for the routes the graph declares: payload format 2.0
 * events and response mapping, HTTP_PROXY passthrough, and API Gateway's own error answers.
 */
import { randomBytes } from "crypto";
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import { type FrontRequest, type FrontResponse, type FrontServer, gatewayServer } from "./http-front";
import type { AlarmBoard } from "./alarms";
import type { Reporter } from "./console";
import type { InvokeOutcome } from "./lambda/pool";
import type { LambdaService } from "./lambda/service";
import { isPreflight, preflightHeaders, responseHeaders } from "./cors";
import { clock, RequestProfile } from "./profile";
import type { Integration, LocalApi, LocalCors, LocalRoute, LocalStage } from "./model";
import { RouteTable } from "./routes";
import {
  AuthorizerCache,
  authorizerEvent,
  authorizerEventV1,
  decisionOf,
  IdentityInputs,
  identityOf,
  resourceOf,
  Verdict,
  verdictFor,
} from "./authorizer";
import { JwtValidator } from "./jwt";
import type { IamAuthority } from "./iam/authority";
import { accessKeyOf } from "./iam/requests";
import { callService, type ParameterSource, type ServiceBackends } from "./service-integrations";

export interface ApiServerOptions {
  api: LocalApi;
  /** The functions behind the routes, read at request time: undefined until the local cloud is ready, when every request gets 503. */
  lambda: () => LambdaService | undefined;
  alarms: AlarmBoard;
  reporter: Reporter;
  accountId: string;
  region: string;
  port: number;
  host?: string;
  /** Where each Lambda route request's phases are added up (`--profile`). @default none */
  profile?: RequestProfile;
  /** Enforce the stage's throttling with 429s. @default false: local load tests may exceed the cloud's rate */
  enforceThrottle?: boolean;
  /** What validates a JWT route's tokens, with the issuers' keys it has fetched. @default one of its own, trusting the system's CAs */
  jwt?: JwtValidator;
  /** IAM as the local cloud enforces it: an `AWS_IAM` route's caller needs execute-api:Invoke on it. @default not enforced */
  iam?: IamAuthority;
  /** What first-class AWS service integrations call, read at request time like `lambda`. @default none: such a route answers 503 */
  services?: () => ServiceBackends | undefined;
}

/** A local endpoint on its own port, serving what is declared of `T` until told otherwise (hot reload). */
export interface LocalServer<T> {
  url: string;
  port: number;
  /** Serves `T` as it is now declared. */
  serve(declared: T): void;
  close(): Promise<void>;
}

/** An HTTP API's port: `serve` takes its routes, stages and CORS as they now are. */
export type ApiServer = LocalServer<LocalApi>;

/** HTTP APIs accept payloads up to 10 MB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP APIs wait at most 30 s for an integration. */
const MAX_INTEGRATION_MS = 30_000;

/** Content types API Gateway passes as text; every other body reaches the function base64-encoded. */
const TEXT_TYPE = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|[\w.+-]+\+(json|xml))\b)/i;

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/**
 * An HTTP answer. A text body stays a string: node:http then writes the head and the body in one
 * system call, where a Buffer body takes a second chunk and writev.
 */
export type Answer = { status: number; headers: [string, string][]; body: string | Buffer };

/** API Gateway's own JSON error answers: `{"message": ...}`. */
export const apiError = (status: number, message: string): Answer => ({
  status,
  headers: [["content-type", "application/json"]],
  body: JSON.stringify({ message }),
});

/** API Gateway's 500 (made once: answers are not changed once made). */
const INTERNAL_ERROR = apiError(500, "Internal Server Error");

const requestIdPrefix = randomBytes(6).toString("base64url");
let requestCount = 0;

/** API Gateway's request ids are short opaque strings; unique per process is what matters locally. */
function nextRequestId(): string {
  requestCount = (requestCount + 1) % Number.MAX_SAFE_INTEGER;
  return `${requestIdPrefix}${requestCount.toString(36).padStart(6, "0")}=`;
}

/** The stage a path is served by, and the path the routes see: /{stage}/... for a named stage, the root for $default. */
export function stageFor(stages: LocalStage[], rawPath: string): { stage: LocalStage; routePath: string } | undefined {
  const end = rawPath.indexOf("/", 1);
  const first = rawPath.slice(1, end < 0 ? undefined : end);
  const named = stages.find((s) => s.name !== "$default" && s.name === decodeURIComponent(first));
  if (named) return { stage: named, routePath: rawPath.slice(first.length + 1) || "/" };
  const root = stages.find((s) => s.name === "$default");
  return root ? { stage: root, routePath: rawPath } : undefined;
}

export function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  // What the API serves; hot reload replaces it (new routes, stages, CORS) without closing the port.
  let routes: RouteTable<LocalRoute>;
  let buckets: Map<string, () => boolean>;
  let cors: LocalApi["cors"];
  const verdicts = new AuthorizerCache();
  const jwt = options.jwt ?? new JwtValidator();
  /** Routes whose authorizer is not enforced here, said once each. */
  const unenforced = new Set<string>();

  /**
   * An `AWS_IAM` route ("Control access to HTTP APIs with IAM authorization"): the request must be signed
   * (403 otherwise), and a function's role must allow execute-api:Invoke on the route's ARN (403 and the
   * AccessDenied line otherwise). The local cloud knows callers by their access key and does not check
   * signatures; a key that is no function's (the developer's own tools) goes through, as at the emulators.
   */
  const authorizeIam = (iam: IamAuthority, route: LocalRoute, req: FrontRequest, routeArn: string): Verdict => {
    const trigger = `api ${route.routeKey}`;
    const accessKey = accessKeyOf(req.headers, req.url ?? "/");
    if (!accessKey) {
      options.reporter.info(`${trigger}: IAM authorization answers 403: the request is not signed (Signature Version 4)`);
      return { allowed: false, status: 403, why: "the request is not signed" };
    }
    const fn = iam.functionForAccessKey(accessKey);
    if (fn && !iam.checkFunction(fn, [{ action: "execute-api:Invoke", resource: routeArn }], trigger).allowed)
      return { allowed: false, status: 403, why: `${fn.name} may not execute-api:Invoke ${routeArn}` };
    return { allowed: true, iam: iamCaller(iam, accessKey, options.accountId) };
  };

  /**
   * Runs the route's authorizer before its integration, as API Gateway does: a Lambda authorizer of
   * payload format 2.0 or 1.0 (local/authorizer.ts), a JWT authorizer (local/jwt.ts), IAM authorization
   * (with IAM on). IAM authorization with `--iam off` is not enforced: the request is served as if
   * allowed, said once per route.
   */
  const authorize = async (
    lambda: LambdaService,
    route: LocalRoute,
    req: FrontRequest,
    parts: EventParts,
    routeArn: string,
    /** The route's 2.0 event, built once for the authorizer and the integration. */
    eventOf: () => Record<string, unknown>,
  ): Promise<Verdict> => {
    const trigger = `api ${route.routeKey}`;
    const authorizer = route.authorizer;
    if (route.authorizationType === "JWT" && authorizer?.jwt) {
      const [token] = identityOf(authorizer.identitySources.slice(0, 1), identityInputs(req, parts, route, eventOf())) ?? [];
      const verdict = await jwt.validate(authorizer.jwt, token, route.authorizationScopes);
      if (verdict.allowed) return { allowed: true, jwt: { claims: verdict.claims, scopes: verdict.scopes } };
      options.reporter.info(`${trigger}: JWT authorizer ${authorizer.name} answers ${verdict.status}: ${verdict.why}`);
      return { allowed: false, status: verdict.status, why: verdict.why, headers: [["www-authenticate", verdict.wwwAuthenticate]] };
    }
    if (route.authorizationType === "AWS_IAM" && options.iam) return authorizeIam(options.iam, route, req, routeArn);
    const format = authorizer?.payloadFormatVersion;
    if (route.authorizationType !== "CUSTOM" || !authorizer || (format !== "2.0" && format !== "1.0")) {
      if (!unenforced.has(route.routeKey)) {
        unenforced.add(route.routeKey);
        const what =
          route.authorizationType === "CUSTOM"
            ? `Lambda authorizer (payload format ${authorizer?.payloadFormatVersion})`
            : route.authorizationType;
        options.reporter.info(`${trigger}: its ${what} authorization is not enforced locally; requests are served as if allowed`);
      }
      return { allowed: true };
    }
    const refused = (status: 401 | 403 | 500, why: string): Verdict => {
      options.reporter.info(`${trigger}: authorizer ${authorizer.name} answers ${status}: ${why}`);
      return { allowed: false, status, why };
    };
    const event = eventOf();
    const identity = identityOf(authorizer.identitySources, identityInputs(req, parts, route, event));
    if (!identity) return refused(401, `the request lacks ${authorizer.identitySources.join(" or ")}, so the authorizer is not invoked`);
    let decision = verdicts.get(authorizer, identity);
    if (!decision) {
      const fn = authorizer.functionArn;
      if (!fn || !lambda.knows(fn)) return refused(500, `its function ${fn ?? "(none)"} is not a function of this program`);
      const sourceArn = `arn:aws:execute-api:${options.region}:${options.accountId}:${options.api.id}/authorizers/${authorizer.id}`;
      if (!lambda.permitsInvoke(fn, "apigateway.amazonaws.com", sourceArn, `${trigger} (authorizer ${authorizer.name})`))
        return refused(500, `API Gateway may not invoke ${fn} for ${sourceArn}`);
      const request = format === "1.0" ? authorizerEventV1(event, routeArn, identity) : authorizerEvent(event, routeArn, identity);
      const outcome = await lambda.invoke(fn, request, `authorizer ${authorizer.name}`);
      if (outcome.error || outcome.throttled) return refused(500, `its function failed: ${outcome.error?.errorMessage ?? "throttled"}`);
      let answer: unknown;
      try {
        answer = JSON.parse(outcome.payload ?? "null");
      } catch {
        answer = undefined;
      }
      decision = decisionOf(answer, authorizer.simpleResponses);
      if (!decision)
        return refused(
          500,
          authorizer.simpleResponses
            ? "its answer has neither a boolean isAuthorized nor an IAM policy"
            : format === "1.0"
              ? "its answer has no IAM policy (policyDocument), which a payload format 1.0 authorizer must answer"
              : "its answer has no IAM policy (policyDocument); enableSimpleResponses is off",
        );
      verdicts.set(authorizer, identity, decision);
    }
    const verdict = verdictFor(decision, routeArn);
    return verdict.allowed ? verdict : refused(verdict.status, verdict.why);
  };
  const serve = (api: LocalApi) => {
    options.api = api;
    routes = new RouteTable<LocalRoute>(api.routes.map((r) => ({ routeKey: r.routeKey, target: r })));
    // A new graph may change its authorizers: verdicts kept for the old ones go.
    verdicts.clear();
    buckets = new Map(
      api.stages
        .filter((stage) => options.enforceThrottle && stage.throttle)
        .map((stage) => [stage.name, tokenBucket(stage.throttle!.rateLimit, stage.throttle!.burstLimit)]),
    );
    cors = api.cors;
  };
  serve(options.api);

  const server = gatewayServer((req, res, body, size) => handle(req, res, body, size, options.profile ? clock() : 0), MAX_BODY_BYTES);

  /** Serves one request whose body has been read (`size` bytes; only the first MAX_BODY_BYTES are kept). */
  const handle = (req: FrontRequest, res: FrontResponse, body: Buffer, size: number, arrived: number) => {
    const read = options.profile ? clock() : 0;
    const requestId = nextRequestId();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const rawPath = q >= 0 ? url.slice(0, q) : url;
    const rawQueryString = q >= 0 ? url.slice(q + 1) : "";
    const served = stageFor(options.api.stages, rawPath);
    const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
    const send = (answer: Answer, preflight = false) => {
      if (answer.status >= 500 && served)
        options.alarms.count(
          "AWS/ApiGateway",
          "5xx",
          { ApiId: options.api.id, Stage: served.stage.name },
          `API ${options.api.name} answered ${answer.status}`,
        );
      writeAnswer(res, answer, cors && !preflight ? { cors, origin } : undefined, ["apigw-requestid", requestId]);
    };
    // The port may listen before the functions are loaded: a request then gets API Gateway's 503, never a crash.
    const lambda = options.lambda();
    if (!lambda) return send(apiError(503, "Service Unavailable"));
    // A stage that is not deployed, or a path under no stage, serves nothing.
    if (!served || !served.stage.deployed) return send(apiError(404, "Not Found"));
    // With CORS configured, API Gateway answers every preflight itself, whatever the routes.
    if (cors && isPreflight(req.method, req.headers))
      return send({ status: 204, headers: preflightHeaders(cors, origin!), body: "" }, true);
    if (size > MAX_BODY_BYTES) return send(apiError(413, "Request Entity Too Large"));
    const bucket = buckets.get(served.stage.name);
    if (bucket && !bucket()) return send(apiError(429, "Too Many Requests"));
    const match = routes.match(req.method ?? "GET", served.routePath);
    if (!match) return send(apiError(404, "Not Found"));
    const route = match.route.target;
    const parts: EventParts = {
      routeKey: route.routeKey,
      rawPath,
      rawQueryString,
      pathParameters: match.pathParameters,
      body,
      requestId,
      stage: served.stage,
      options,
    };
    // The route's ARN, for its authorizer's policy and the integration's invoke permission.
    const routeArn = `arn:aws:execute-api:${options.region}:${options.accountId}:${options.api.id}/${served.stage.name}/${req.method}${served.routePath}`;
    /**
     * Hands the request to the route's integration; `authorized`: what its authorizer said, for the event,
     * and `eventOf` the event the authorizer was given (@default built here).
     */
    const integrate = (
      authorized?: { context?: Record<string, unknown>; jwt?: unknown; iam?: unknown },
      eventOf?: () => Record<string, unknown>,
    ): void => {
      const integration = route.integration;
      if (integration.type === "AWS_SERVICE") {
        const backends = options.services?.();
        if (!backends) return send(apiError(503, "Service Unavailable"));
        const { headers, query } = requestFields(req, rawQueryString);
        const source: ParameterSource = {
          headers,
          query: query ?? {},
          path: match.pathParameters ?? {},
          body: body.toString("utf8"),
          stageVariables: served.stage.variables,
          context: {
            requestId,
            routeKey: route.routeKey,
            stage: served.stage.name,
            apiId: options.api.id,
            accountId: options.accountId,
            httpMethod: req.method ?? "GET",
            path: rawPath,
            domainName: hostOf(headers),
            "identity.sourceIp": sourceIpOf(req),
            requestTimeEpoch: String(Date.now()),
          },
        };
        void callService(backends, integration, source, `api ${route.routeKey}`).then(send, (err: Error) => {
          options.reporter.info(`api ${route.routeKey}: the ${integration.subtype} integration failed: ${err.message}`);
          send(INTERNAL_ERROR);
        });
        return;
      }
      if (integration.type === "HTTP_PROXY") {
        const uri = withStageVariables(integration.uri, served.stage.variables);
        void proxy({ ...integration, uri }, match.pathParameters ?? {}, req, rawQueryString, body, (problem) =>
          options.reporter.info(`passthrough ${req.method} ${rawPath}: ${problem}`),
        ).then(send);
        return;
      }
      // A function made elsewhere (its ARN written into the program) does not run here; API Gateway answers
      // 500 when its integration's function does not exist, and the line says what to do about it.
      if (!lambda.knows(integration.functionArn)) {
        options.reporter.info(
          `api ${route.routeKey}: ${integration.functionArn} is not a function of this program, so it does not run locally and the route answers 500; define the function in the program to run it here`,
        );
        return send(INTERNAL_ERROR);
      }
      // API Gateway invokes as apigateway.amazonaws.com for the route's ARN; without a matching permission it answers 500.
      if (!lambda.permitsInvoke(integration.functionArn, "apigateway.amazonaws.com", routeArn, `api ${route.routeKey}`))
        return send(INTERNAL_ERROR);
      // A payload format 1.0 integration gets REST's event, with the authorizer's answer in it (the authorizer,
      // if any, had the 2.0 one); a 2.0 one the event the authorizer had, if any.
      const v1 = integration.payloadFormatVersion === "1.0";
      const event = v1 ? payloadV1(req, parts, authorized) : eventOf ? eventOf() : payloadV2(req, parts);
      // A new requestContext: the authorizer's event shares the one it was built with.
      if (authorized && !v1)
        event.requestContext = {
          ...(event.requestContext as Record<string, unknown>),
          authorizer: authorized.jwt
            ? { jwt: authorized.jwt }
            : authorized.iam
              ? { iam: authorized.iam }
              : { lambda: authorized.context ?? null },
        };
      const routed = options.profile ? clock() : 0;
      void invokeRoute(lambda, integration.functionArn, event, route.routeKey, v1 ? mapResponseV1 : mapResponseV2).then(
        ({ answer, outcome }) => {
          const mapped = options.profile ? clock() : 0;
          send(answer);
          const t = outcome?.timing;
          if (options.profile && t)
            options.profile.add({
              read: read - arrived,
              route: routed - read,
              "to container": t.start - routed,
              handler: t.end - t.start,
              "from container": t.back - t.end,
              map: mapped - t.back,
              write: clock() - mapped,
            });
        },
      );
    };
    if (route.authorizationType === "CUSTOM" || route.authorizationType === "JWT" || route.authorizationType === "AWS_IAM") {
      let built: Record<string, unknown> | undefined;
      const eventOf = () => (built ??= payloadV2(req, parts));
      authorize(lambda, route, req, parts, routeArn, eventOf).then(
        (verdict) =>
          verdict.allowed
            ? integrate(verdict, eventOf)
            : send(withHeaders(apiError(verdict.status, STATUS_MESSAGES[verdict.status]), verdict.headers)),
        // An authorizer that cannot be run at all (its version gone) is API Gateway's 500, never a crash.
        (err: Error) => {
          options.reporter.info(`api ${route.routeKey}: its authorizer could not run: ${err.message}`);
          send(INTERNAL_ERROR);
        },
      );
      return;
    }
    integrate();
  };

  return listen(server, options.port, options.host, serve);
}

/**
 * A signed request's caller, as `requestContext.authorizer.iam` reports it (an IAM-authorized route's,
 * a function URL's): a function's role session, or only the key of one that is no function's.
 */
export function iamCaller(iam: IamAuthority, accessKey: string, accountId: string): Record<string, string | null> {
  const fn = iam.functionForAccessKey(accessKey);
  const caller = fn ? iam.callerOf(fn) : undefined;
  return {
    accessKey,
    accountId,
    callerId: caller?.userId ?? null,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: caller?.userArn ?? null,
    userId: caller?.userId ?? null,
  };
}

/** Listens on `port` (0: one the system picks) and resolves once it does, or rejects (EADDRINUSE) as the port refuses. */
export function listen<T>(server: FrontServer, port: number, host = "127.0.0.1", serve: (declared: T) => void): Promise<LocalServer<T>> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const bound = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${host}:${bound}`,
        port: bound,
        serve,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export interface EventParts {
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  pathParameters?: Record<string, string>;
  body: Buffer;
  requestId: string;
  stage: LocalStage;
  options: ApiServerOptions;
}

/**
 * Writes an answer: its headers, the configured CORS ones in place of its own when `cors` is given (not for
 * a preflight, whose headers are CORS's already), the request id header, and the body's length; the head
 * and a text body in one write.
 */
export function writeAnswer(
  res: FrontResponse,
  answer: Answer,
  cors: { cors: LocalCors; origin: string | undefined } | undefined,
  [idHeader, requestId]: [string, string],
): void {
  // writeHead's flat form, [name, value, name, value, ...], built at once.
  const headers: string[] = [];
  for (const [name, value] of cors ? responseHeaders(cors.cors, cors.origin, answer.headers) : answer.headers) headers.push(name, value);
  headers.push(idHeader, requestId, "content-length", String(Buffer.byteLength(answer.body)));
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

/** The host a request names, without its port (the event's domainName), or localhost when it names none. */
export const hostOf = (headers: Record<string, string>): string => (headers.host ?? "localhost").replace(/:\d+$/, "");

/** A response's `statusCode` when it is a valid HTTP status (an integer from 100 to 599), as API Gateway takes it. */
function statusOf(value: { statusCode?: unknown }): number | undefined {
  const status = Number(value.statusCode);
  return Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}

/** An answer with more headers. */
const withHeaders = (answer: Answer, headers: [string, string][] = []): Answer => ({ ...answer, headers: [...answer.headers, ...headers] });

/** Where a request's identity sources are read from (local/authorizer.ts). */
function identityInputs(req: FrontRequest, parts: EventParts, route: LocalRoute, event: Record<string, unknown>): IdentityInputs {
  return {
    headers: event.headers as Record<string, string>,
    query: event.queryStringParameters as Record<string, string> | undefined,
    stageVariables: parts.stage.variables,
    context: {
      routeKey: route.routeKey,
      stage: parts.stage.name,
      httpMethod: req.method ?? "GET",
      path: parts.rawPath,
      requestId: parts.requestId,
      sourceIp: sourceIpOf(req),
    },
  };
}

/** API Gateway's messages for the statuses an authorizer answers with. */
const STATUS_MESSAGES = { 401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error" } as const;

/**
 * What a payload format 2.0 event carries of a request, as API Gateway and Lambda function URLs both
 * read it: the headers (lowercased; repeated ones joined with commas), the cookies (the Cookie header's,
 * which the headers then lack), and the query string's parameters (repeated ones joined with commas).
 */
export function requestFields(
  req: FrontRequest,
  rawQueryString: string,
): { headers: Record<string, string>; cookies?: string[]; query?: Record<string, string> } {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    if (name === "cookie") (cookies ??= []).push(...value.split(/;\s*/).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  let query: Record<string, string> | undefined;
  if (rawQueryString) {
    query = {};
    for (const [key, value] of new URLSearchParams(rawQueryString)) query[key] = key in query ? `${query[key]},${value}` : value;
  }
  return { headers, cookies, query };
}

/** A request body as a 2.0 event carries it: text as is, any other content type base64-encoded; none when empty. */
export function eventBody(event: Record<string, unknown>, body: Buffer, contentType: string | undefined): void {
  const isText = body.length === 0 || TEXT_TYPE.test(contentType ?? "");
  if (body.length > 0) event.body = isText ? body.toString("utf8") : body.toString("base64");
  event.isBase64Encoded = !isText;
}

/** The payload format 2.0 event, as API Gateway builds it. */
export function payloadV2(req: FrontRequest, parts: EventParts): Record<string, unknown> {
  const { headers, cookies, query } = requestFields(req, parts.rawQueryString);
  const host = hostOf(headers);
  const now = new Date();
  // Built field by field, in API Gateway's order; the optional ones only when present.
  const event: Record<string, unknown> = {
    version: "2.0",
    routeKey: parts.routeKey,
    rawPath: parts.rawPath,
    rawQueryString: parts.rawQueryString,
  };
  if (cookies) event.cookies = cookies;
  event.headers = headers;
  if (query) event.queryStringParameters = query;
  event.requestContext = {
    accountId: parts.options.accountId,
    apiId: parts.options.api.id,
    domainName: host,
    domainPrefix: host.split(".")[0],
    http: {
      method: req.method,
      path: parts.rawPath,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp: sourceIpOf(req),
      userAgent: headers["user-agent"] ?? "",
    },
    requestId: parts.requestId,
    routeKey: parts.routeKey,
    stage: parts.stage.name,
    time: clfTime(now),
    timeEpoch: now.getTime(),
  };
  if (parts.pathParameters) event.pathParameters = parts.pathParameters;
  if (Object.keys(parts.stage.variables).length) event.stageVariables = parts.stage.variables;
  eventBody(event, parts.body, headers["content-type"]);
  return event;
}

/** The client's address, as requestContext.http.sourceIp gives it (IPv4 without its IPv6 mapping). */
export const sourceIpOf = (req: FrontRequest): string => (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, "");

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
let clfCache = { second: -1, text: "" };

/** "12/Mar/2020:19:03:58 +0000", the format of requestContext.time; formatted once a second. */
export function clfTime(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (clfCache.second !== second) {
    const pad = (n: number) => String(n).padStart(2, "0");
    const text = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
    clfCache = { second, text };
  }
  return clfCache.text;
}

type Routed = { answer: Answer; outcome?: InvokeOutcome };

function invokeRoute(
  lambda: LambdaService,
  functionArn: string,
  event: Record<string, unknown>,
  routeKey: string,
  /** How the function's result becomes the answer: the integration's payload format. @default 2.0's */
  map: (payload: string) => Answer = mapResponseV2,
): Promise<Routed> {
  let answer: Answer | undefined;
  const work = lambda
    .invoke(functionArn, event, `api ${routeKey}`, {
      // Mapped as the invocation is reported, so its line carries the status the client gets.
      status: (outcome) => (answer = outcome.error ? INTERNAL_ERROR : map(outcome.payload ?? "null")).status,
      trace: (event.headers as Record<string, string> | undefined)?.["x-amzn-trace-id"],
    })
    .then((outcome): Routed => ({ answer: answer!, outcome }));
  // The function's own timeout ends it first unless it is longer than the API's 30 s.
  return lambda.resolve(functionArn).timeoutSeconds * 1000 < MAX_INTEGRATION_MS ? work : withIntegrationTimeout(work);
}

/** The API's 30 s integration timeout: a 504 when the function has not answered by then. */
async function withIntegrationTimeout(work: Promise<Routed>): Promise<Routed> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Routed>((resolve) => {
    timer = setTimeout(() => resolve({ answer: apiError(504, "Gateway Timeout") }), MAX_INTEGRATION_MS);
  });
  const result = await Promise.race([work, timeout]);
  clearTimeout(timer);
  return result;
}

/**
 * Whether a header can go out on HTTP/1.1 as the function gave it: a token for a name, no control
 * character in the value (node:http's own checks, which throw). A response with one that cannot is
 * malformed, API Gateway's 500, where writing it would throw in the middle of the answer.
 */
function sendable([name, value]: [string, string]): boolean {
  try {
    http.validateHeaderName(name);
    http.validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Maps a function's result to the HTTP response, as payload format 2.0 does; a result that is no
 * response gets `invalid` (@default API Gateway's 500).
 */
export function mapResponseV2(payload: string, invalid: Answer = INTERNAL_ERROR): Answer {
  let value: any;
  try {
    value = JSON.parse(payload);
  } catch {
    return invalid;
  }
  const structured = value !== null && typeof value === "object" && !Array.isArray(value) && "statusCode" in value;
  if (!structured) {
    // No statusCode: API Gateway assumes 200, JSON, and the result as the body.
    const body = typeof value === "string" ? value : payload;
    return { status: 200, headers: [["content-type", "application/json"]], body };
  }
  const status = statusOf(value);
  if (status === undefined) return invalid;
  const headers: [string, string][] = [];
  const given = value.headers;
  if (given !== null && typeof given === "object")
    for (const name of Object.keys(given)) headers.push([name.toLowerCase(), String(given[name])]);
  for (const cookie of Array.isArray(value.cookies) ? value.cookies : []) headers.push(["set-cookie", String(cookie)]);
  if (!headers.every(sendable)) return invalid;
  const raw =
    value.body === undefined || value.body === null ? "" : typeof value.body === "string" ? value.body : JSON.stringify(value.body);
  return { status, headers, body: value.isBase64Encoded ? Buffer.from(raw, "base64") : raw };
}

/**
 * Maps a function's result to the HTTP response, as payload format 1.0 does: the result must be a response
 * (`statusCode`, `headers`, `multiValueHeaders`, a text `body`, `isBase64Encoded`); 1.0 infers nothing, so
 * anything else is API Gateway's 500.
 */
export function mapResponseV1(payload: string): Answer {
  let value: any;
  try {
    value = JSON.parse(payload);
  } catch {
    return INTERNAL_ERROR;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return INTERNAL_ERROR;
  const status = statusOf(value);
  if (status === undefined) return INTERNAL_ERROR;
  if (value.body !== undefined && value.body !== null && typeof value.body !== "string") return INTERNAL_ERROR;
  const headers: [string, string][] = [];
  const single = value.headers !== null && typeof value.headers === "object" ? value.headers : {};
  const multi = value.multiValueHeaders !== null && typeof value.multiValueHeaders === "object" ? value.multiValueHeaders : {};
  // A header in both: its multiValueHeaders values, then the single one unless it repeats one of them.
  for (const name of new Set([...Object.keys(multi), ...Object.keys(single)])) {
    const values = (Array.isArray(multi[name]) ? multi[name] : []).map(String);
    if (name in single && !values.includes(String(single[name]))) values.push(String(single[name]));
    for (const v of values) headers.push([name.toLowerCase(), v]);
  }
  if (!headers.every(sendable)) return INTERNAL_ERROR;
  const raw = value.body ?? "";
  return { status, headers, body: value.isBase64Encoded ? Buffer.from(raw, "base64") : raw };
}

/**
 * The payload format 1.0 event, as an HTTP API builds it for compatibility with REST APIs: the route's
 * path as `resource` (`$default` for the default route), the last value of a repeated header or query
 * parameter in `headers` and `queryStringParameters` and all of them in the `multiValue` fields (the
 * Cookie header among them), nulls for what is absent, and REST's `requestContext`. The route's
 * authorizer appears as `requestContext.authorizer` (a JWT's `claims` and `scopes`, a Lambda authorizer's
 * context under `lambda`), an IAM caller in `requestContext.identity`.
 */
export function payloadV1(
  req: FrontRequest,
  parts: EventParts,
  authorized?: { context?: Record<string, unknown>; jwt?: any; iam?: any },
): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    headers[name] = raw[i + 1];
    (multiValueHeaders[name] ??= []).push(raw[i + 1]);
  }
  let query: Record<string, string> | null = null;
  let multiQuery: Record<string, string[]> | null = null;
  if (parts.rawQueryString) {
    query = {};
    multiQuery = {};
    for (const [key, value] of new URLSearchParams(parts.rawQueryString)) {
      query[key] = value;
      (multiQuery[key] ??= []).push(value);
    }
  }
  const host = hostOf(headers);
  const resource = resourceOf(parts.routeKey);
  const now = new Date();
  const iam = authorized?.iam;
  const event: Record<string, unknown> = {
    version: "1.0",
    resource,
    path: parts.rawPath,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    requestContext: {
      accountId: parts.options.accountId,
      apiId: parts.options.api.id,
      authorizer: authorized?.jwt
        ? { claims: authorized.jwt.claims, scopes: authorized.jwt.scopes }
        : authorized?.context
          ? { lambda: authorized.context }
          : { claims: null, scopes: null },
      domainName: host,
      domainPrefix: host.split(".")[0],
      extendedRequestId: parts.requestId,
      httpMethod: req.method,
      identity: {
        accessKey: iam?.accessKey ?? null,
        accountId: iam ? iam.accountId : null,
        caller: iam?.callerId ?? null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: sourceIpOf(req),
        user: iam?.userId ?? null,
        userAgent: headers["user-agent"] ?? "",
        userArn: iam?.userArn ?? null,
      },
      path: parts.rawPath,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: parts.requestId,
      requestTime: clfTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: null,
      resourcePath: resource,
      stage: parts.stage.name,
    },
    pathParameters: parts.pathParameters ?? null,
    stageVariables: Object.keys(parts.stage.variables).length ? parts.stage.variables : null,
    body: null,
  };
  eventBody(event, parts.body, headers["content-type"]);
  return event;
}

/** `${stageVariables.name}` in an integration URI, replaced by the stage's value, as API Gateway does. */
export function withStageVariables(uri: string, variables: Record<string, string>): string {
  return uri.replace(/\$\{stageVariables\.([A-Za-z0-9_]+)\}/g, (whole, name: string) => variables[name] ?? whole);
}

/** HTTP_PROXY: the request goes on to the integration URI, path variables substituted, and the answer comes back as is. */
function proxy(
  integration: Extract<Integration, { type: "HTTP_PROXY" }>,
  params: Record<string, string>,
  req: FrontRequest,
  query: string,
  body: Buffer,
  report: (problem: string) => void,
): Promise<Answer> {
  // A private backend is behind a VPC link, which this machine has no way into: say how to point it at one it can reach.
  if (integration.privateTarget) {
    report(
      `${integration.privateTarget} is a private backend, reached in AWS through a VPC link; locally, ${
        integration.configKey
          ? `point it at a backend this machine reaches with \`npm start -- --config ${integration.configKey}=http://127.0.0.1:8080\``
          : "the integration's target comes from the program"
      }`,
    );
    return Promise.resolve(apiError(503, "Service Unavailable"));
  }
  const uri = integration.uri.replace(/\{([^}+]+)\+?\}/g, (_, name: string) =>
    (params[name] ?? "").split("/").map(encodeURIComponent).join("/"),
  );
  const target = new URL(uri);
  if (query) target.search = query;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  headers["content-length"] = String(body.length);
  const method = integration.method === "ANY" ? (req.method ?? "GET") : integration.method;
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const outgoing = client.request(target, { method, headers, timeout: Math.min(integration.timeoutMs, MAX_INTEGRATION_MS) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const out: [string, string][] = [];
        for (const [name, values] of Object.entries(res.headersDistinct)) {
          if (!values || HOP_BY_HOP.has(name)) continue;
          for (const v of values) out.push([name, v]);
        }
        resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
      });
      res.on("error", () => resolve(INTERNAL_ERROR));
    });
    const where = integration.configKey
      ? `point it elsewhere with \`npm start -- --config ${integration.configKey}=http://127.0.0.1:8080\` (or the stack's ${integration.configKey})`
      : "the integration's URI comes from the program";
    let timedOut = false;
    outgoing.on("timeout", () => {
      timedOut = true;
      outgoing.destroy();
      report(`${target.origin} did not answer within ${Math.min(integration.timeoutMs, MAX_INTEGRATION_MS)} ms; ${where}`);
      resolve(apiError(504, "Gateway Timeout"));
    });
    // API Gateway answers a gateway error when it cannot reach an HTTP integration.
    outgoing.on("error", (err: NodeJS.ErrnoException) => {
      if (timedOut) return;
      report(`${target.origin} could not be reached (${err.code ?? err.message}); ${where}`);
      resolve(apiError(503, "Service Unavailable"));
    });
    outgoing.end(body);
  });
}

/** A token bucket: `rate` tokens a second, holding at most `burst`. */
function tokenBucket(rate: number, burst: number): () => boolean {
  let tokens = burst;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - last) / 1000) * rate);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}
