/**
 * The runtime inside one local Lambda container (a worker thread). It loads the function's deployment
 * artifact once (the init phase), then serves invocations posted by the parent, one at a time, as
 * Lambda's Node.js runtime does. Bundled by esbuild at start-up into one file, so a container loads
 * nothing of the local cloud but this.
 */
import * as path from "path";
import { pathToFileURL } from "url";
import { MessagePort, workerData } from "worker_threads";
import { resolveLocalhostSubdomains } from "../localhost-dns";
import { watchModuleScope } from "./module-scope";
import { type ContainerTiming, type Invocation, decodeInvocation, encodeResult } from "./wire";

export interface ContainerData {
  /** Directory the artifact was unpacked into (LAMBDA_TASK_ROOT). */
  taskRoot: string;
  /** The channel to the parent, for this container's life. */
  port?: MessagePort;
  /** Lambda's handler setting: "<module path>.<export>". */
  handler: string;
  functionName: string;
  functionArn: string;
  memoryMb: number;
  logGroupName: string;
  logStreamName: string;
  enableSourceMaps: boolean;
}

/** What the local cloud sends a container: an invocation, encoded by wire.ts. */
export type ToContainer = string;

/** What a container sends back: a successful invocation's result encoded by wire.ts, or one of the rarer messages. */
export type FromContainer =
  | string
  | { type: "ready"; initMs: number }
  | { type: "init-error"; error: LambdaError }
  | { type: "error"; requestId: string; error: LambdaError; logs: string; timing?: ContainerTiming }
  | { type: "logs"; logs: string };

/** The error document Lambda's Node.js runtime returns for a failed invocation. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

const data = workerData as ContainerData;
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<any>;

function toLambdaError(err: unknown, fallbackType = "Error"): LambdaError {
  if (err instanceof Error)
    return { errorType: err.name || fallbackType, errorMessage: err.message, trace: String(err.stack ?? "").split("\n") };
  return { errorType: fallbackType, errorMessage: typeof err === "string" ? err : (JSON.stringify(err) ?? String(err)), trace: [] };
}

async function loadHandler(): Promise<(...args: any[]) => any> {
  const dot = data.handler.lastIndexOf(".");
  if (dot <= 0)
    throw Object.assign(new Error(`Bad handler ${data.handler}: expected "<file>.<export>"`), { name: "Runtime.MalformedHandlerName" });
  const modulePath = path.resolve(data.taskRoot, data.handler.slice(0, dot));
  const exportPath = data.handler.slice(dot + 1).split(".");
  let mod: any;
  const candidates = [".js", ".cjs", ".mjs"].map((ext) => modulePath + ext);
  const file = candidates.find((f) => require("fs").existsSync(f));
  if (!file)
    throw Object.assign(new Error(`Cannot find module '${data.handler.slice(0, dot)}' in ${data.taskRoot}`), {
      name: "Runtime.ImportModuleError",
    });
  try {
    mod = file.endsWith(".mjs") ? await importEsm(pathToFileURL(file).href) : require(file);
  } catch (err) {
    if (err instanceof Error && (err as any).code === "ERR_REQUIRE_ESM") mod = await importEsm(pathToFileURL(file).href);
    else throw err;
  }
  let fn: any = mod;
  for (const key of exportPath) fn = fn?.[key];
  if (typeof fn !== "function")
    throw Object.assign(new Error(`${data.handler} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  return fn;
}

function contextFor(message: Invocation) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: data.logGroupName,
    logStreamName: data.logStreamName,
    // Invoke's ClientContext (mobile SDK callers) is not emulated: undefined, as Lambda has it without one.
    clientContext: undefined,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
}

/** Runs a promise-returning or callback-style handler to one result. */
function call(handler: (...args: any[]) => any, event: unknown, context: ReturnType<typeof contextFor>): Promise<unknown> {
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const maybe = handler(event, context, (err: unknown, result: unknown) => (err ? reject(err) : resolve(result)));
      if (maybe && typeof maybe.then === "function") maybe.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

/**
 * The handler's stdout and stderr, collected and sent with the invocation's result: one message per
 * invocation instead of one per line. Output outside an invocation (init, background work) follows shortly.
 */
function captureOutput(port: MessagePort): { take(): string } {
  let buffered = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (buffered) port.postMessage({ type: "logs", logs: take() } satisfies FromContainer);
  };
  const take = () => {
    const text = buffered;
    buffered = "";
    return text;
  };
  const capture = (chunk: unknown, encoding?: unknown, callback?: unknown) => {
    buffered +=
      typeof chunk === "string"
        ? chunk
        : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
    if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 50).unref();
    }
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") process.nextTick(done as () => void);
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  return { take };
}

async function main(): Promise<void> {
  const port: MessagePort = workerData.port;
  const output = captureOutput(port);
  resolveLocalhostSubdomains();
  // A module the artifact lacks that only the program's node_modules has would fail in AWS: said in the logs.
  watchModuleScope(data.taskRoot, process.env.NODE_PATH, (line) => console.warn(line));
  if (data.enableSourceMaps) process.setSourceMapsEnabled(true);
  const started = performance.now();
  let handler: (...args: any[]) => any;
  try {
    handler = await loadHandler();
  } catch (err) {
    port.postMessage({ type: "init-error", error: toLambdaError(err, "Runtime.ImportModuleError") } satisfies FromContainer);
    return;
  }
  port.postMessage({ type: "ready", initMs: performance.now() - started } satisfies FromContainer);
  const clock = () => performance.timeOrigin + performance.now();
  port.on("message", async (encoded: ToContainer) => {
    const message = decodeInvocation(encoded);
    const received = message.profile ? clock() : 0;
    let start = 0;
    const timing = (): ContainerTiming | undefined => (message.profile ? [received, start, clock()] : undefined);
    try {
      const event = JSON.parse(message.event);
      // Per invocation, as Lambda's Node.js runtime sets it: the SDK and the logger read it from here.
      if (message.traceId) process.env._X_AMZN_TRACE_ID = message.traceId;
      else delete process.env._X_AMZN_TRACE_ID;
      if (message.profile) start = clock();
      const result = await call(handler, event, contextFor(message));
      const done = timing();
      // Lambda serializes the result as JSON; `undefined` becomes null.
      port.postMessage(
        encodeResult({ requestId: message.requestId, payload: JSON.stringify(result) ?? "null", logs: output.take(), timing: done }),
      );
    } catch (err) {
      port.postMessage({
        type: "error",
        requestId: message.requestId,
        error: toLambdaError(err),
        logs: output.take(),
        timing: timing(),
      } satisfies FromContainer);
    }
  });
}

void main();
