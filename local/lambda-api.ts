/**
 * Lambda's Invoke API (POST /2015-03-31/functions/{name}/invocations) on a local port, so the AWS
 * SDK's LambdaClient, pointed here with AWS_ENDPOINT_URL_LAMBDA, invokes the local functions:
 * `npm run invoke`, the DLQ tool's redrive, and handlers that invoke other functions.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import type { IamAuthority } from "./iam/authority";
import { accessKeyOf } from "./iam/requests";
import { qualifierOf, type LambdaService } from "./lambda/service";
import type { LogStore } from "./logs";
import type { RequestProfile } from "./profile";

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
/** The local cloud's own control routes: fire a schedule now, as EventBridge would; read or follow a function's logs. */
const FIRE_PATH = /^\/_local\/schedules\/([^/]+)\/fire$/;
const LOGS_PATH = /^\/_local\/logs\/([^/]+)$/;
const TRACE_PATH = /^\/_local\/traces\/([^/]+)$/;
/** The grants of the functions' roles that no call has used so far (`npm run iam -- report`). */
const UNUSED_PATH = "/_local/iam/unused";
/** With --profile: where API requests' time went (GET), or start over (DELETE). */
const PROFILE_PATH = "/_local/profile";
/** POST { groups?, minuteMs? }: the local rehearsal of `npm run rollout`, answered when every rollout ended. */
const ROLLOUT_PATH = "/_local/rollout";

export interface LambdaApi {
  url: string;
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { "content-type": "application/json", "x-amzn-requestid": headers["x-amzn-requestid"] ?? "local", ...headers });
  res.end(body);
}

function awsError(res: http.ServerResponse, status: number, type: string, message: string): void {
  reply(res, status, { "x-amzn-errortype": type }, JSON.stringify({ Type: "User", message }));
}

export function startLambdaApi(
  /** Undefined until the local cloud is ready: every request then gets 503, never a crash. */
  service: () => LambdaService | undefined,
  fireSchedule: (name: string) => string[],
  logs: LogStore,
  port = 0,
  host = "127.0.0.1",
  /** IAM, when enforced: a function invoking another needs lambda:InvokeFunction on it. @default none (IAM off) */
  iam?: IamAuthority,
  /** With --profile: GET /_local/profile answers where API requests' time went; DELETE starts over. @default none */
  profile?: RequestProfile,
  /** The rollout rehearsal behind POST /_local/rollout. @default none (404) */
  rollout?: (request: { groups?: string[]; minuteMs?: number }) => Promise<unknown>,
): Promise<LambdaApi> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const ready = service();
      if (!ready) return reply(res, 503, { "x-amzn-errortype": "ServiceException" }, JSON.stringify({ message: "Service Unavailable" }));
      const lambda = () => ready;
      const [rawPath, rawQuery] = (req.url ?? "").split("?");
      const path = decodeURIComponent(rawPath);
      const query = new URLSearchParams(rawQuery ?? "");
      const logPath = req.method === "GET" ? path.match(LOGS_PATH) : null;
      if (logPath) return streamLogs(req, res, query, lambda, logs, logPath[1]);
      const tracePath = req.method === "GET" ? path.match(TRACE_PATH) : null;
      if (tracePath) {
        const lines = logs.traced(tracePath[1], Number(query.get("since") ?? 0)).map((line) => JSON.stringify(line) + "\n");
        return reply(res, 200, { "content-type": "application/x-ndjson" }, lines.join(""));
      }
      if (path === PROFILE_PATH && profile) {
        if (req.method === "DELETE") profile.reset();
        return reply(res, 200, {}, JSON.stringify(profile.summary()));
      }
      if (req.method === "GET" && path === UNUSED_PATH) {
        if (!iam) return awsError(res, 404, "ResourceNotFoundException", "IAM is off in this local cloud (--iam off): nothing is recorded");
        return reply(res, 200, {}, JSON.stringify({ unused: iam.unusedGrants() }));
      }
      if (req.method === "POST" && path === ROLLOUT_PATH && rollout) {
        try {
          const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
          return reply(res, 200, {}, JSON.stringify({ outcomes: await rollout(body) }));
        } catch (err) {
          const message = (err as Error).message;
          return awsError(res, /running already/.test(message) ? 409 : 400, "InvalidParameterValueException", message);
        }
      }
      const fire = req.method === "POST" ? path.match(FIRE_PATH) : null;
      if (fire) {
        try {
          return reply(res, 202, {}, JSON.stringify({ requestIds: fireSchedule(fire[1]) }));
        } catch (err) {
          return awsError(res, 404, "ResourceNotFoundException", (err as Error).message);
        }
      }
      const match = req.method === "POST" ? path.match(INVOKE_PATH) : null;
      if (!match) return awsError(res, 404, "UnknownOperationException", `${req.method} ${path} is not emulated; only Invoke is`);
      const type = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
      const raw = Buffer.concat(chunks).toString("utf8");
      let event: unknown;
      try {
        event = raw.length === 0 ? {} : JSON.parse(raw);
      } catch {
        return awsError(res, 400, "InvalidRequestContentException", "Could not parse request body into json");
      }
      let name: string;
      // Invoke's Qualifier (a version or an alias), or one written after the name.
      const qualifier = query.get("Qualifier") ?? qualifierOf(match[1]);
      try {
        name = lambda().resolve(match[1]).name;
        if (qualifier) name = `${name}:${qualifier}`;
      } catch (err) {
        return awsError(res, 404, "ResourceNotFoundException", (err as Error).message);
      }
      // A function's own call (signed with its role's credentials) needs lambda:InvokeFunction on the target.
      const caller = iam?.functionForAccessKey(accessKeyOf(req.headers, req.url ?? "/"));
      if (caller) {
        const target = lambda().resolve(name);
        const resource = qualifier ? `${target.arn}:${qualifier}` : target.arn;
        const verdict = iam!.checkFunction(caller, [{ action: "lambda:InvokeFunction", resource }]);
        if (!verdict.allowed) return awsError(res, 403, "AccessDeniedException", verdict.message ?? "Access denied");
      }
      if (type === "DryRun") return reply(res, 204, {}, "");
      if (type === "Event") {
        const requestId = lambda().invokeAsync(name, event, "invoke api");
        return reply(res, 202, { "x-amzn-requestid": requestId }, "");
      }
      if (type !== "RequestResponse") return awsError(res, 400, "InvalidParameterValueException", `Unknown invocation type ${type}`);
      const outcome = await lambda().invoke(name, event, "invoke api");
      const headers: Record<string, string> = {
        "x-amzn-requestid": outcome.requestId,
        "x-amz-executed-version": outcome.version ?? "$LATEST",
      };
      if (outcome.throttled)
        return reply(
          res,
          429,
          { "x-amzn-requestid": outcome.requestId, "x-amzn-errortype": "TooManyRequestsException" },
          JSON.stringify({ Reason: "ReservedFunctionConcurrentInvocationLimitExceeded", Type: "User", message: "Rate Exceeded." }),
        );
      if (outcome.error) return reply(res, 200, { ...headers, "x-amz-function-error": "Unhandled" }, JSON.stringify(outcome.error));
      return reply(res, 200, headers, outcome.payload ?? "null");
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Newline-delimited JSON log lines of one function since `?since=<epoch ms>`; with `?follow=1` the response stays open. */
function streamLogs(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  query: URLSearchParams,
  lambda: () => LambdaService,
  logs: LogStore,
  ref: string,
): void {
  let name: string;
  try {
    name = lambda().resolve(ref).name;
  } catch (err) {
    return awsError(res, 404, "ResourceNotFoundException", (err as Error).message);
  }
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  for (const line of logs.since(name, Number(query.get("since") ?? 0))) res.write(JSON.stringify(line) + "\n");
  if (query.get("follow") !== "1") return void res.end();
  const stop = logs.follow(name, (line) => res.write(JSON.stringify(line) + "\n"));
  req.socket.on("close", stop);
}
