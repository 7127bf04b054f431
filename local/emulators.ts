/**
 * The embedded AWS emulators, from npm: fauxqs for SQS, SNS and S3, dynalite for DynamoDB. Both run
 * in this process on free loopback ports; `environment` is what points an unchanged AWS SDK v3 at them.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { SqsTraceHeaders } from "./sqs-trace";
import { resolveLocalhostSubdomains } from "./localhost-dns";

/** An object change in the S3 emulator: the object was put (or completed), copied, or deleted. */
export interface S3Change {
  bucket: string;
  key: string;
  kind: "put" | "copy" | "delete";
}

/** A message as --persist keeps it: what a SendMessage needs to put it back. */
export interface QueuedMessage {
  body: string;
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  /** Its AWSTraceHeader, which fauxqs does not keep (local/sqs-trace.ts). @default none */
  traceHeader?: string;
}

export interface Emulators {
  sqs: string;
  sns: string;
  s3: string;
  dynamodb: string;
  /** AWS_ENDPOINT_URL_<SERVICE> variables plus dummy credentials and the region. */
  environment: Record<string, string>;
  /** Calls `listener` for each object put, copied or deleted in the S3 emulator (for bucket notifications). */
  onS3Change(listener: (change: S3Change) => void): void;
  /**
   * DynamoDB's request handler itself (dynalite's http.Server 'request' listener): the IAM proxy hands it
   * an authorized request directly instead of sending it over loopback again.
   */
  dynamodbHandler(req: import("http").IncomingMessage, res: import("http").ServerResponse): void;
  /** fauxqs's request handler (SQS, SNS, S3), when it could be found: the proxy's in-process route there. */
  messagingHandler?: (req: import("http").IncomingMessage, res: import("http").ServerResponse) => void;
  /** Every message of a queue, without receiving any (for --persist). */
  queueMessages(name: string): QueuedMessage[];
  stop(): Promise<void>;
}

// fauxqs is ESM-only; a real dynamic import keeps it loadable from this CommonJS code.
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;

/**
 * Starts the emulators. With `dataDir`, DynamoDB keeps its tables there (dynalite on LevelDB, through
 * classic-level's prebuilt binaries, so no install script is needed); queues and buckets are kept by
 * local/persist.ts when the local cloud stops.
 */
export async function startEmulators(region = "us-east-1", dataDir?: string): Promise<Emulators> {
  resolveLocalhostSubdomains();
  const dynalite = require("dynalite");
  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir ? { path: path.join(dataDir, "dynamodb") } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    dynamo.once("error", reject);
    dynamo.listen(0, "127.0.0.1", () => resolve());
  });
  const { startFauxqs } = await importEsm("fauxqs");
  // fauxqs reports every S3 change to its message spy; the smallest buffer keeps nothing, the listeners get each one.
  // fauxqs's HTTP server is kept, so the IAM proxy can hand it authorized requests in-process: fauxqs does not
  // expose it, and builds it (through fastify) with http.createServer, which is watched for that one call.
  // The module object itself (not TypeScript's read-only namespace copy) is what fastify calls.
  const httpModule: { createServer: typeof http.createServer } = require("http");
  const servers: http.Server[] = [];
  const createServer = httpModule.createServer;
  httpModule.createServer = ((...args: Parameters<typeof http.createServer>) => {
    const server = createServer.apply(httpModule, args);
    servers.push(server);
    return server;
  }) as typeof http.createServer;
  let fauxqs: any;
  try {
    fauxqs = await startFauxqs({ port: 0, logger: false, defaultRegion: region, messageSpies: { bufferSize: 1 } });
  } finally {
    httpModule.createServer = createServer;
  }
  const fauxqsServer = servers.find((server) => (server.address() as AddressInfo | null)?.port === fauxqs.port);
  const traces = fauxqsServer ? keepTraceHeaders(fauxqsServer) : undefined;
  const s3Listeners: ((change: S3Change) => void)[] = [];
  const spy = fauxqs.spy;
  const record = spy.addMessage.bind(spy);
  const kinds: Record<string, S3Change["kind"]> = { uploaded: "put", copied: "copy", deleted: "delete" };
  spy.addMessage = (message: { service: string; bucket: string; key: string; status: string }) => {
    record(message);
    if (message.service === "s3" && kinds[message.status])
      for (const listener of s3Listeners) listener({ bucket: message.bucket, key: message.key, kind: kinds[message.status] });
  };
  const dynamodb = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
  const messaging: string = fauxqs.address;
  // The origin of the queue URLs fauxqs hands out; using it as the endpoint keeps the SDK from re-targeting each call.
  const sqs = `http://sqs.${region}.localhost:${fauxqs.port}`;
  return {
    sqs,
    sns: messaging,
    s3: messaging,
    dynamodb,
    environment: {
      AWS_ENDPOINT_URL_SQS: sqs,
      AWS_ENDPOINT_URL_SNS: messaging,
      AWS_ENDPOINT_URL_S3: messaging,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_S3_FORCE_PATH_STYLE: "true",
    },
    onS3Change: (listener) => void s3Listeners.push(listener),
    dynamodbHandler: (req, res) => void dynamo.emit("request", req, res),
    messagingHandler: fauxqsServer ? (req, res) => void fauxqsServer.emit("request", req, res) : undefined,
    queueMessages: (name) => {
      const inspected = fauxqs.inspectQueue(name);
      if (!inspected) return [];
      const { ready, delayed, inflight } = inspected.messages;
      return [...ready, ...delayed, ...inflight.map((entry: { message: unknown }) => entry.message)].map((m: any) => ({
        body: m.body,
        messageAttributes: m.messageAttributes ?? {},
        messageGroupId: m.messageGroupId,
        messageDeduplicationId: m.messageDeduplicationId,
        traceHeader: traces?.traceOf(m.messageId),
      }));
    },
    async stop() {
      await fauxqs.stop();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

/**
 * Every request fauxqs's server answers (over loopback, or handed in-process by the IAM proxy) goes through
 * local/sqs-trace.ts first, so a message keeps the trace header it was sent with, as SQS's AWSTraceHeader.
 */
function keepTraceHeaders(server: http.Server): SqsTraceHeaders {
  const traces = new SqsTraceHeaders();
  const listeners = server.listeners("request") as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
  server.removeAllListeners("request");
  for (const listener of listeners) server.on("request", traces.wrap(listener.bind(server)));
  return traces;
}
