/**
 * A Lambda function URL on a local port: every path and method invokes the function (or the alias or
 * version the URL's qualifier names) with a payload format 2.0 event, and its result is mapped to the
 * HTTP response as API Gateway's 2.0 format maps it ("Invoking Lambda function URLs", Lambda Developer
 * Guide). Where a function URL differs from an HTTP API, it answers as Lambda does:
 *
 * - no routes, stages or stage variables: `routeKey` and `stage` are `$default`, and the event has no
 *   `pathParameters` or `stageVariables`;
 * - `requestContext.accountId` is `anonymous` for a URL of auth type NONE, and `apiId` and `domainPrefix`
 *   are the URL's id;
 * - a function error, or a result that is no response, is 502 `Internal Server Error`; a throttle (the
 *   function's reserved concurrency in use) is 429; a refused caller is 403 with Lambda's
 *   AccessDeniedException message;
 * - no 30 s integration timeout: the function's own timeout ends it; requests up to 6 MB (Lambda's
 *   invocation payload limit);
 * - CORS, when configured, is answered by Lambda: preflights, and the configured headers on every response.
 */
import { randomUUID } from "crypto";
import type { Reporter } from "./console";
import { type FrontRequest, type FrontResponse, gatewayServer } from "./http-front";
import { isPreflight, preflightHeaders } from "./cors";
import {
  Answer,
  apiError,
  clfTime,
  eventBody,
  hostOf,
  iamCaller,
  listen,
  LocalServer,
  mapResponseV2,
  requestFields,
  sourceIpOf,
  writeAnswer,
} from "./http-api";
import type { IamAuthority } from "./iam/authority";
import { accessKeyOf, Call } from "./iam/requests";
import type { LambdaService } from "./lambda/service";
import type { LocalFunctionUrl } from "./model";

export interface FunctionUrlServerOptions {
  url: LocalFunctionUrl;
  /** The functions, read at request time: undefined until the local cloud is ready, when every request gets 503. */
  lambda: () => LambdaService | undefined;
  reporter: Reporter;
  accountId: string;
  region: string;
  port: number;
  host?: string;
  /** IAM as the local cloud enforces it: an `AWS_IAM` URL's caller needs lambda:InvokeFunctionUrl and lambda:InvokeFunction. @default not enforced */
  iam?: IamAuthority;
}

/** A function URL's port: `serve` takes its function, auth type and CORS as they now are. */
export type FunctionUrlServer = LocalServer<LocalFunctionUrl>;

/** Lambda's synchronous invocation payload limit, which a function URL's request body counts toward. */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

/** Lambda's answer to a function error or a result that is no response. */
const FUNCTION_ERROR: Answer = { status: 502, headers: [["content-type", "text/plain"]], body: "Internal Server Error" };

/** Lambda's JSON error answers: `{"Message": ...}` with the error's type in x-amzn-ErrorType. */
const lambdaError = (status: number, type: string, message: string): Answer => ({
  status,
  headers: [
    ["content-type", "application/json"],
    ["x-amzn-errortype", type],
  ],
  body: JSON.stringify({ Message: message }),
});

/** What Lambda answers a caller the URL's auth type or the function's policy refuses. */
export const FORBIDDEN = lambdaError(
  403,
  "AccessDeniedException",
  "Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
);

export function startFunctionUrlServer(options: FunctionUrlServerOptions): Promise<FunctionUrlServer> {
  let url = options.url;
  /** Lines said once per URL: what is not enforced or not done here. */
  const said = new Set<string>();
  const sayOnce = (line: string) => {
    if (said.has(line)) return;
    said.add(line);
    options.reporter.info(line);
  };

  /**
   * Who calls, for an `AWS_IAM` URL: the request must be signed (403 otherwise), and a function's role
   * must allow lambda:InvokeFunctionUrl and lambda:InvokeFunction on the function ("Control access to
   * Lambda function URLs": both since October 2025), in its own policy or the function's. As for API
   * routes, callers are known by their access key and signatures are not checked; a key that is no
   * function's (the developer's own tools) goes through.
   */
  const callerOf = (req: FrontRequest, trigger: string): { refused: true } | { refused: false; iam?: Record<string, unknown> } => {
    if (url.authType !== "AWS_IAM") return { refused: false };
    const iam = options.iam;
    if (!iam) {
      sayOnce(`${trigger}: its AWS_IAM auth type is not enforced with --iam off; requests are served as if signed and allowed`);
      return { refused: false };
    }
    const accessKey = accessKeyOf(req.headers, req.url!);
    if (!accessKey) {
      options.reporter.info(`${trigger}: answers 403: the request is not signed (Signature Version 4), and the URL's auth type is AWS_IAM`);
      return { refused: true };
    }
    const fn = iam.functionForAccessKey(accessKey);
    if (fn) {
      const calls: Call[] = [
        { action: "lambda:InvokeFunctionUrl", resource: url.functionArn, context: { "lambda:FunctionUrlAuthType": "AWS_IAM" } },
        { action: "lambda:InvokeFunction", resource: url.functionArn, context: { "lambda:InvokedViaFunctionUrl": "true" } },
      ];
      if (!iam.checkFunction(fn, calls, trigger).allowed) return { refused: true };
    }
    return { refused: false, iam: iamCaller(iam, accessKey, options.accountId) };
  };

  const handle = (req: FrontRequest, res: FrontResponse, body: Buffer, size: number) => {
    const requestId = randomUUID();
    const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
    const served = url;
    const trigger = `function URL ${served.name}`;
    const send = (answer: Answer, preflight = false) =>
      writeAnswer(res, answer, served.cors && !preflight ? { cors: served.cors, origin } : undefined, ["x-amzn-requestid", requestId]);
    const lambda = options.lambda();
    // Not ready yet (a state AWS has not): the local cloud's one answer on every port, as its API ports give it.
    if (!lambda) return send(apiError(503, "Service Unavailable"));
    // With CORS configured, Lambda answers every preflight itself.
    if (served.cors && isPreflight(req.method, req.headers))
      return send({ status: 204, headers: preflightHeaders(served.cors, origin!), body: "" }, true);
    if (size > MAX_BODY_BYTES) return send(lambdaError(413, "RequestTooLargeException", "Request must be smaller than 6291456 bytes"));
    const caller = callerOf(req, trigger);
    if (caller.refused) return send(FORBIDDEN);
    if (!lambda.knows(served.functionArn)) {
      options.reporter.info(
        `${trigger}: ${served.functionArn} is not a function of this program, so it does not run locally and the URL answers 502; define the function in the program to run it here`,
      );
      return send(FUNCTION_ERROR);
    }
    if (served.invokeMode === "RESPONSE_STREAM")
      sayOnce(`${trigger}: its invoke mode is RESPONSE_STREAM; locally the response is sent whole, once the function returns`);
    const event = functionUrlEvent(req, served, body, requestId, options.accountId, caller.iam);
    let answer: Answer = FUNCTION_ERROR;
    lambda
      .invoke(served.functionArn, event, trigger, {
        // Mapped as the invocation is reported, so its line carries the status the client gets.
        status: (outcome) =>
          (answer = outcome.throttled
            ? lambdaError(429, "TooManyRequestsException", "Rate Exceeded.")
            : outcome.error
              ? FUNCTION_ERROR
              : mapResponseV2(outcome.payload ?? "null", FUNCTION_ERROR)).status,
        trace: typeof req.headers["x-amzn-trace-id"] === "string" ? req.headers["x-amzn-trace-id"] : undefined,
      })
      .then(
        () => send(answer),
        // A qualifier that names no version or alias of the function: Lambda cannot invoke it.
        (err: Error) => {
          options.reporter.info(`${trigger}: the function could not be invoked: ${err.message}`);
          send(FUNCTION_ERROR);
        },
      );
  };

  const server = gatewayServer(handle, MAX_BODY_BYTES);

  return listen(server, options.port, options.host, (next: LocalFunctionUrl) => {
    url = next;
  });
}

/**
 * The event a function URL hands its function: payload format 2.0 with `$default` for the route and
 * the stage, the URL's id as apiId and domainPrefix, `anonymous` as the account of an unauthenticated
 * caller, and the IAM caller under `authorizer.iam` for an `AWS_IAM` URL.
 */
export function functionUrlEvent(
  req: FrontRequest,
  url: LocalFunctionUrl,
  body: Buffer,
  requestId: string,
  accountId: string,
  iam?: Record<string, unknown>,
): Record<string, unknown> {
  // A server's request always has its target (RFC 9112's origin-form: a path, and the query after ?).
  const target = req.url!;
  const q = target.indexOf("?");
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  const rawQueryString = q >= 0 ? target.slice(q + 1) : "";
  const { headers, cookies, query } = requestFields(req, rawQueryString);
  const sourceIp = sourceIpOf(req);
  // Lambda's front end adds where the request came from, as a load balancer does.
  headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, ${sourceIp}` : sourceIp;
  headers["x-forwarded-proto"] = "http";
  headers["x-forwarded-port"] = String(req.socket.localPort ?? "");
  const now = new Date();
  // Built field by field, in Lambda's order; the optional ones only when present.
  const event: Record<string, unknown> = { version: "2.0", routeKey: "$default", rawPath, rawQueryString };
  if (cookies) event.cookies = cookies;
  event.headers = headers;
  if (query) event.queryStringParameters = query;
  event.requestContext = {
    accountId: iam ? accountId : "anonymous",
    apiId: url.urlId,
    ...(iam ? { authorizer: { iam } } : {}),
    domainName: hostOf(headers),
    domainPrefix: url.urlId,
    http: {
      method: req.method,
      path: rawPath,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp,
      userAgent: headers["user-agent"] ?? "",
    },
    requestId,
    routeKey: "$default",
    stage: "$default",
    time: clfTime(now),
    timeEpoch: now.getTime(),
  };
  eventBody(event, body, headers["content-type"]);
  return event;
}
