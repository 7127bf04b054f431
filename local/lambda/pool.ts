/**
 * One local Lambda function: a pool of containers (worker threads), each serving one invocation at
 * a time, like Lambda's execution environments. Init runs once per container; a container that
 * times out, crashes or runs out of memory is discarded, and the next invocation gets a fresh one.
 * Messages use the worker's own port; nothing is allocated per invocation that could leak.
 */
import { randomUUID } from "crypto";
import { MessageChannel, MessagePort, Worker } from "worker_threads";
import type { LocalFunction } from "../model";
import { clock } from "../profile";
import type { ContainerData, FromContainer, LambdaError } from "./bootstrap";
import { type ContainerTiming, type Invocation, decodeResult, encodeInvocation } from "./wire";

export interface InvokeOutcome {
  requestId: string;
  /** The JSON result on success. */
  payload?: string;
  error?: LambdaError;
  durationMs: number;
  /** Set on a cold start: the init phase's duration. */
  initMs?: number;
  /** The version that ran, as Lambda's X-Amz-Executed-Version says it. */
  version?: string;
  /** Refused, not run: the function's reserved concurrency was all in use (Lambda's 429, a throttle). */
  throttled?: boolean;
  /** With profiling: when the invocation was sent, got, started, ended and came back (ms since the epoch). */
  timing?: { sent: number; received: number; start: number; end: number; back: number };
}

export interface PoolOptions {
  bootstrapFile: string;
  taskRoot: string;
  /** The container's whole environment: Lambda's reserved variables, the function's, the emulators'. */
  environment: Record<string, string>;
  /** Most containers at once; further invocations wait for one to be free. */
  maxContainers: number;
  /** Time each invocation's phases (npm start -- --profile). @default false */
  profile?: boolean;
  /** Receives each line a container writes to stdout or stderr. */
  onLog(line: string, stream: "stdout" | "stderr"): void;
  /**
   * The invocations the function's other pools are running (other versions, and replaced code still
   * finishing): Lambda counts reserved concurrency across all of a function's versions. @default none
   */
  busyElsewhere?: () => number;
}

/** Lambda's init phase limit for on-demand functions. */
const INIT_TIMEOUT_MS = 10_000;

type Outcome = { payload?: string; error?: LambdaError; timing?: InvokeOutcome["timing"] };

interface Pending {
  requestId: string;
  sent: number;
  /** When the invocation times out (performance.now()). */
  deadline: number;
  timeoutError(): LambdaError;
  resolve(outcome: Outcome): void;
}

class Container {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly ready: Promise<number>;
  pending?: Pending;
  dead = false;
  timedOut = false;
  servedOne = false;
  /** The init phase's duration, once it has finished. */
  initMs = 0;
  /** The timeout watch: one timer at a time, left armed between invocations (see `watch`). */
  private timer?: NodeJS.Timeout;

  constructor(fn: LocalFunction, options: PoolOptions, onExit: (container: Container) => void) {
    const data: ContainerData = {
      taskRoot: options.taskRoot,
      handler: fn.handler,
      functionName: fn.name,
      functionArn: fn.arn,
      memoryMb: fn.memoryMb,
      logGroupName: fn.logGroup,
      logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, "/")}/[$LATEST]${randomUUID().replace(/-/g, "")}`,
      enableSourceMaps: /--enable-source-maps/.test(fn.environment.NODE_OPTIONS ?? ""),
    };
    // One channel for the container's life: a plain MessagePort is cheaper per message than the Worker's own.
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(options.bootstrapFile, {
      workerData: { ...data, port: port2 },
      transferList: [port2],
      env: options.environment,
      // Not this process's flags (ts-node and the like): a container runs only the runtime and the artifact.
      execArgv: [],
      stdout: true,
      stderr: true,
      // The function's memory setting bounds the container's heap, as it bounds the sandbox in Lambda.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, fn.memoryMb) },
    });
    pipeLines(this.worker.stdout, (line) => options.onLog(line, "stdout"));
    pipeLines(this.worker.stderr, (line) => options.onLog(line, "stderr"));
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(runtimeError("Runtime.InitTimeout", `init did not finish in ${INIT_TIMEOUT_MS / 1000} s`)),
        INIT_TIMEOUT_MS,
      );
      // The running invocation an answer is for, now ended, with the handler's lines written; none when the
      // answer is late (its invocation timed out) and is dropped.
      const answered = (requestId: string, logs: string): Pending | undefined => {
        const pending = this.pending;
        if (pending?.requestId !== requestId) return undefined;
        emitLines(logs, options.onLog);
        this.pending = undefined;
        return pending;
      };
      this.port.on("message", (message: FromContainer) => {
        // The common case first: a successful invocation's result, as one string (wire.ts).
        if (typeof message === "string") {
          const result = decodeResult(message);
          const pending = answered(result.requestId, result.logs);
          pending?.resolve({ payload: result.payload, timing: timingOf(pending, result.timing) });
        } else if (message.type === "ready") {
          clearTimeout(timer);
          resolve(message.initMs);
        } else if (message.type === "init-error") {
          clearTimeout(timer);
          reject(message.error);
        } else if (message.type === "logs") {
          emitLines(message.logs, options.onLog);
        } else {
          const pending = answered(message.requestId, message.logs);
          pending?.resolve({ error: message.error, timing: timingOf(pending, message.timing) });
        }
      });
      const fail = (error: LambdaError) => {
        clearTimeout(timer);
        clearTimeout(this.timer);
        reject(error);
        this.dead = true;
        const pending = this.pending;
        this.pending = undefined;
        pending?.resolve({ error });
        onExit(this);
      };
      this.worker.on("error", (err) => fail(exitError(err)));
      this.worker.on("exit", (code) =>
        fail(
          runtimeError(
            "Runtime.ExitError",
            `RequestId: ${this.pending?.requestId ?? "-"} Error: Runtime exited with error: exit status ${code}`,
          ),
        ),
      );
    });
    // A rejected init is reported through invoke(); keep Node from calling it unhandled meanwhile.
    this.ready.catch(() => undefined);
  }

  /** Runs one invocation; past `timeoutMs` it resolves with Lambda's timeout error and the container is marked timed out. */
  run(message: Invocation, timeoutMs: number, timeoutError: () => LambdaError): Promise<Outcome> {
    return new Promise((resolve) => {
      this.pending = {
        requestId: message.requestId,
        sent: message.profile ? clock() : 0,
        deadline: performance.now() + timeoutMs,
        timeoutError,
        resolve,
      };
      this.timer ??= setTimeout(this.watch, timeoutMs);
      this.port.postMessage(encodeInvocation(message));
    });
  }

  /**
   * Ends the running invocation once its deadline has passed. The timer is not cleared when an invocation
   * ends: a timer set and cleared per invocation was a measurable share of a request's main-thread time.
   * A container's invocations all have its function's timeout, so a timer armed for an earlier one fires
   * at or before the current one's deadline; then it is armed again for the time left, or, idle, not at all.
   */
  private readonly watch = () => {
    this.timer = undefined;
    const pending = this.pending;
    if (!pending) return;
    const left = pending.deadline - performance.now();
    if (left > 0) {
      this.timer = setTimeout(this.watch, left);
      return;
    }
    this.timedOut = true;
    this.pending = undefined;
    pending.resolve({ error: pending.timeoutError() });
  };

  kill(): Promise<number> {
    this.dead = true;
    clearTimeout(this.timer);
    this.port.close();
    return this.worker.terminate();
  }
}

export class FunctionPool {
  private readonly idle: Container[] = [];
  private readonly all = new Set<Container>();
  private readonly waiting: ((container: Container | undefined) => void)[] = [];
  private stopped = false;
  /** Replaced by a pool with newer code: it finishes what it runs, then its containers go. */
  private retired = false;

  constructor(
    readonly fn: LocalFunction,
    private readonly options: PoolOptions,
  ) {}

  get containers(): number {
    return this.all.size;
  }

  /** Containers running an invocation, or starting for one. */
  get busy(): number {
    return this.all.size - this.idle.length;
  }

  /** Invokes the function synchronously, as RequestResponse does. Never throws: failures come back as `error`. */
  async invoke(event: unknown, requestId: string = randomUUID(), traceId?: string): Promise<InvokeOutcome> {
    // A function the local cloud does not run fails every invocation, saying why; nothing starts for it.
    if (this.fn.notRun)
      return {
        requestId,
        error: runtimeError("Runtime.NotRunLocally", `${this.fn.name} is not run locally: ${this.fn.notRun}`),
        durationMs: 0,
      };
    // Reserved concurrency is a ceiling in AWS, over all of the function's versions: past it Lambda refuses
    // at once (429), it does not queue.
    const reserved = this.fn.reservedConcurrency;
    if (reserved !== undefined && !this.stopped && this.busy + (this.options.busyElsewhere?.() ?? 0) >= reserved)
      return throttle(requestId, reserved);
    // The common case, a warm container free, takes no extra turn of the event loop.
    const warm = this.stopped ? undefined : this.idle.pop();
    const container = warm ?? (await this.coldStart(requestId));
    if (!(container instanceof Container)) return container;
    const initMs = container.servedOne ? undefined : container.initMs;
    container.servedOne = true;
    const invokeStarted = performance.now();
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const message: Invocation = { requestId, event: JSON.stringify(event ?? null), deadline: Date.now() + timeoutMs };
    if (this.options.profile) message.profile = true;
    if (traceId) message.traceId = traceId;
    const outcome = await container.run(message, timeoutMs, () =>
      runtimeError("Sandbox.Timedout", `${requestId} Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`),
    );
    // A timed-out or crashed container is never reused: its state is unknown; a retired pool's is done with.
    if (container.timedOut || container.dead || this.retired) this.discard(container);
    else this.release(container);
    return { requestId, ...outcome, durationMs: performance.now() - invokeStarted, initMs };
  }

  /** A container for one invocation, started and initialized if need be, or the error that prevented it. */
  private async coldStart(requestId: string): Promise<Container | InvokeOutcome> {
    const started = performance.now();
    const acquired = await this.acquire();
    if (!acquired) return { requestId, error: runtimeError("Runtime.Stopped", "the local cloud is stopping"), durationMs: 0 };
    try {
      acquired.initMs = await acquired.ready;
      return acquired;
    } catch (error) {
      this.discard(acquired);
      return { requestId, error: error as LambdaError, durationMs: performance.now() - started, initMs: 0 };
    }
  }

  private async acquire(): Promise<Container | undefined> {
    if (this.stopped) return undefined;
    const warm = this.idle.pop();
    if (warm) return warm;
    if (this.all.size < this.options.maxContainers) {
      const container = new Container(this.fn, this.options, (c) => this.forget(c));
      this.all.add(container);
      return container;
    }
    const container = await new Promise<Container | undefined>((resolve) => this.waiting.push(resolve));
    return container ?? this.acquire();
  }

  private release(container: Container): void {
    const next = this.waiting.shift();
    if (next) next(container);
    else this.idle.push(container);
  }

  private forget(container: Container): void {
    this.all.delete(container);
    const at = this.idle.indexOf(container);
    if (at >= 0) this.idle.splice(at, 1);
  }

  private discard(container: Container): void {
    this.forget(container);
    void container.kill();
    // Someone waiting for a container gets to start a fresh one.
    this.waiting.shift()?.(undefined);
  }

  /**
   * Retires the pool when its function's code or settings change: idle containers go now, busy ones
   * when their invocation ends; nothing new starts here (the service sends it to the new pool).
   */
  retire(): void {
    this.retired = true;
    this.stopped = true;
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
    for (const container of this.idle.splice(0)) {
      this.all.delete(container);
      void container.kill();
    }
  }

  /** Whether the pool was retired: an invocation it could not serve belongs to its successor. */
  get isRetired(): boolean {
    return this.retired;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
    await Promise.all([...this.all].map((c) => c.kill()));
    this.all.clear();
    this.idle.length = 0;
  }
}

/** With profiling: the invocation's phases, from the container's timing and when it was sent and came back. */
function timingOf(pending: Pending, container: ContainerTiming | undefined): Outcome["timing"] {
  return container ? { sent: pending.sent, received: container[0], start: container[1], end: container[2], back: clock() } : undefined;
}

function runtimeError(errorType: string, errorMessage: string): LambdaError {
  return { errorType, errorMessage, trace: [] };
}

function exitError(err: Error): LambdaError {
  const code = (err as any).code;
  if (code === "ERR_WORKER_OUT_OF_MEMORY")
    return runtimeError("Runtime.OutOfMemory", "Runtime exited with error: signal: killed (out of memory)");
  return {
    errorType: err.name === "Error" ? "Runtime.UnhandledError" : err.name,
    errorMessage: err.message,
    trace: String(err.stack ?? "").split("\n"),
  };
}

function emitLines(text: string, onLog: PoolOptions["onLog"]): void {
  if (!text) return;
  // Most invocations write one line: no array for it.
  const end = text.indexOf("\n");
  if (end < 0 || end === text.length - 1) return onLog(end < 0 ? text : text.slice(0, end), "stdout");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const line of lines) onLog(line, "stdout");
}

function pipeLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on("end", () => {
    if (buffered) onLine(buffered);
  });
}

/** Lambda's answer when a function's reserved concurrency is all in use: TooManyRequestsException, nothing run. */
function throttle(requestId: string, reserved: number): InvokeOutcome {
  return {
    requestId,
    throttled: true,
    durationMs: 0,
    error: {
      errorType: "TooManyRequestsException",
      errorMessage: `Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded: all ${reserved} of its reserved concurrency in use)`,
      trace: [],
    },
  };
}
