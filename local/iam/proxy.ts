/**
 * The front door of the local emulators when IAM is on: one port that every function's SDK calls reach
 * (AWS_ENDPOINT_URL_SQS/_SNS/_S3/_DYNAMODB point here). A request signed with a function's access key is
 * read for the actions it needs and authorized as that function's role; a denied one gets the error
 * its service returns in AWS, so the SDK throws what it would throw there. Allowed requests, and those
 * signed with anyone else's key (the developer's own tools), go on unchanged to fauxqs or dynalite.
 */
import { randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { replayed } from "../replay";
import type { FunctionIdentity, IamAuthority, Verdict } from "./authority";
import {
  accessKeyOf,
  Call,
  parseRequest,
  ResourceResolver,
  Service,
  ServiceRequest,
  signedService,
  UnrecognizedRequestError,
} from "./requests";

export interface IamProxyOptions {
  authority: IamAuthority;
  resolver: ResourceResolver;
  /** fauxqs (SQS, SNS, S3) and dynalite (DynamoDB) origins. */
  upstream: { messaging: string; dynamodb: string };
  /** DynamoDB's own request handler: an authorized DynamoDB request goes to it in-process, not over loopback. @default none (over loopback) */
  dynamodbHandler?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** fauxqs's own request handler (SQS, SNS, S3): an authorized request goes to it in-process. @default none (over loopback) */
  messagingHandler?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** Loopback host the proxy listens on. @default "127.0.0.1" */
  host?: string;
}

export interface IamProxy {
  port: number;
  close(): Promise<void>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function startIamProxy(options: IamProxyOptions): Promise<IamProxy> {
  const server = http.createServer((req, res) => {
    const head: ServiceRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers };
    const fn = options.authority.functionForAccessKey(accessKeyOf(req.headers, head.url));
    // S3 object bodies stream through; every other body is small and needed to know the action.
    const streamed = signedService(req.headers, head.url) === "s3" && !(head.method === "POST" && head.url.includes("delete"));
    if (streamed) return void handle(options, fn, head, req, res);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void handle(options, fn, { ...head, body: Buffer.concat(chunks) }, undefined, res));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, options.host ?? "127.0.0.1", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      }),
    );
  });
}

async function handle(
  options: IamProxyOptions,
  fn: FunctionIdentity | undefined,
  request: ServiceRequest,
  stream: http.IncomingMessage | undefined,
  res: http.ServerResponse,
): Promise<void> {
  let service: Service | undefined;
  let operation = "";
  let calls: Call[] = [];
  if (fn) {
    try {
      const parsed = parseRequest(request, options.resolver);
      ({ service, operation, calls } = parsed);
    } catch (err) {
      if (!(err instanceof UnrecognizedRequestError)) throw err;
      stream?.resume();
      return deny(
        res,
        signedService(request.headers, request.url),
        request.method,
        { allowed: false, message: err.message },
        request.headers,
      );
    }
    const verdict = options.authority.checkFunction(fn, calls);
    if (!verdict.allowed) {
      stream?.resume();
      return deny(res, service, request.method, verdict, request.headers);
    }
  }
  const toDynamo = service === "dynamodb" || String(request.headers["x-amz-target"] ?? "").startsWith("DynamoDB_");
  if (toDynamo && options.dynamodbHandler && !stream) return handInProcess(options.dynamodbHandler, request, res);
  // A missing object's 404 may have to become 403 (below): only those reads go over loopback, where the answer can be read first.
  const mayBecome403 = fn && (operation === "GetObject" || operation === "HeadObject");
  if (!toDynamo && options.messagingHandler && !mayBecome403) {
    if (stream) return options.messagingHandler(stream, res);
    return handInProcess(options.messagingHandler, request, res);
  }
  const origin = toDynamo ? options.upstream.dynamodb : options.upstream.messaging;
  const upstream = http.request(new URL(request.url, origin), { method: request.method, headers: request.headers, agent }, (answer) => {
    // S3 answers 403, not 404, for a missing key when the caller may not list the bucket: it would otherwise reveal the key is absent.
    if (fn && answer.statusCode === 404 && (operation === "GetObject" || operation === "HeadObject") && !mayList(options, fn, calls[0])) {
      answer.resume();
      return deny(res, "s3", request.method, listDenied(options, fn, calls[0]));
    }
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on("error", (err) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
    res.end(`local emulator unreachable: ${err.message}`);
  });
  if (stream) stream.pipe(upstream);
  else upstream.end(request.body);
}

/** Gives a request whose body was read already to an in-process HTTP request handler, which answers on `res`. */
function handInProcess(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  request: ServiceRequest,
  res: http.ServerResponse,
): void {
  handler(replayed(request, request.body ?? Buffer.alloc(0), res.socket), res);
}

function bucketOf(objectCall: Call): string {
  return objectCall.resource.slice(0, objectCall.resource.indexOf("/"));
}

function mayList(options: IamProxyOptions, fn: FunctionIdentity, objectCall: Call): boolean {
  return options.authority.checkQuietly(fn, { action: "s3:ListBucket", resource: bucketOf(objectCall) }).allowed;
}

function listDenied(options: IamProxyOptions, fn: FunctionIdentity, objectCall: Call): Verdict {
  // AWS says the object read is denied, and why: the caller may not see whether the key exists.
  const verdict = options.authority.checkQuietly(fn, { action: "s3:ListBucket", resource: bucketOf(objectCall) });
  return {
    ...verdict,
    message: `${verdict.message} (the object does not exist, and without s3:ListBucket S3 answers AccessDenied rather than NoSuchKey)`,
  };
}

/** A denial in the shape the service's SDK parses: JSON for SQS and DynamoDB, query XML for SNS, REST XML for S3. */
function deny(
  res: http.ServerResponse,
  service: string | undefined,
  method: string,
  verdict: Verdict,
  headers: http.IncomingHttpHeaders = {},
): void {
  const requestId = randomUUID();
  const message = verdict.message ?? "Access denied";
  const kms = verdict.call?.action.toLowerCase().startsWith("kms:");
  // SQS's older query protocol (no X-Amz-Target) answers in XML, as SNS's does.
  if (service === "sqs" && !headers["x-amz-target"]) service = "sqs-query";
  switch (service) {
    case "sqs-query":
      res.writeHead(403, { "content-type": "text/xml", "x-amzn-requestid": requestId });
      return void res.end(
        `<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>AccessDenied</Code>` +
          `<Message>${escapeXml(message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    case "sqs":
      res.writeHead(400, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": requestId,
        "x-amzn-query-error": kms ? "KMS.AccessDeniedException;Sender" : "AccessDenied;Sender",
      });
      return void res.end(
        JSON.stringify({ __type: kms ? "com.amazonaws.sqs#KmsAccessDenied" : "com.amazon.coral.service#AccessDeniedException", message }),
      );
    case "dynamodb":
      res.writeHead(400, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": requestId });
      return void res.end(JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", Message: message }));
    case "sns":
      res.writeHead(403, { "content-type": "text/xml", "x-amzn-requestid": requestId });
      return void res.end(
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${kms ? "KMSAccessDenied" : "AuthorizationError"}</Code>` +
          `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    default:
      res.writeHead(403, { "content-type": "application/xml", "x-amz-request-id": requestId });
      if (method === "HEAD") return void res.end();
      return void res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message>` +
          `<RequestId>${requestId}</RequestId><HostId>local</HostId></Error>`,
      );
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
