/**
 * What the local cloud prints: the start-up table, one line per invocation, handlers' own log lines
 * prefixed with their function, and alarm transitions. Every line goes through `write`, so tests and
 * `--quiet` can take them elsewhere.
 */
import type { LambdaError } from "./lambda/bootstrap";

export interface InvocationReport {
  functionName: string;
  /** What invoked it: "api GET /orders/{id}", "sqs orders-queue (3 records)", "schedule nightly", "async (retry 1)". */
  trigger: string;
  durationMs: number;
  error?: LambdaError;
  /** Set on a cold start. */
  initMs?: number;
  /** For API invocations, the status sent to the client. */
  status?: number;
  /** The version that ran, once a function has more than one. */
  version?: string;
}

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
export const color = { red: paint(31), green: paint(32), yellow: paint(33), dim: paint(2), bold: paint(1), cyan: paint(36) };

/** How many bytes of lines may wait to be written to stdout. */
export const STDOUT_FLUSH_BYTES = 256 * 1024;

/**
 * Lines for stdout, written together at the end of each event-loop turn (or once STDOUT_FLUSH_BYTES wait)
 * rather than one system call each. Each line is encoded straight into the waiting bytes: joining the
 * lines into one string (a two-byte string once a line has a `λ`) and encoding that cost about as much
 * as the write itself. A line is out by the end of the turn that wrote it, before the next turn's
 * I/O is handled (as it was when each turn's lines were joined). Lines still waiting at exit are written then.
 */
export function bufferedStdout(out: { write(bytes: Uint8Array): unknown } = process.stdout): (line: string) => void {
  // A new buffer for each write: on some platforms stdout writes to a pipe asynchronously.
  let waiting: Buffer | undefined;
  let used = 0;
  const flush = () => {
    if (!waiting) return;
    const bytes = waiting.subarray(0, used);
    waiting = undefined;
    used = 0;
    out.write(bytes);
  };
  process.on("exit", flush);
  return (line) => {
    const size = Buffer.byteLength(line) + 1;
    if (waiting && used + size > waiting.length) flush();
    if (!waiting) {
      waiting = Buffer.allocUnsafe(Math.max(STDOUT_FLUSH_BYTES, size));
      setImmediate(flush);
    }
    used += waiting.write(line, used);
    waiting[used++] = 10;
  };
}

export class Reporter {
  constructor(
    private readonly write: (line: string) => void = bufferedStdout(),
    /** Print one line per invocation. @default true */
    private readonly invocations = true,
    /** Also hands each invocation's report to this, printed or not (the benchmark's warm durations). @default none */
    private readonly observer?: (report: InvocationReport) => void,
  ) {}

  info(text: string): void {
    this.write(text);
  }

  invocation(report: InvocationReport): void {
    this.observer?.(report);
    if (!this.invocations) return;
    const outcome = report.error
      ? color.red(`error ${report.error.errorType}: ${report.error.errorMessage.split("\n")[0]}`)
      : color.green("ok");
    const status = report.status !== undefined ? ` ${report.status}` : "";
    const cold = report.initMs !== undefined ? color.yellow(` cold start (init ${report.initMs.toFixed(0)} ms)`) : "";
    const name = report.version ? `${report.functionName}:${report.version}` : report.functionName;
    this.write(`λ ${name} ${color.dim(report.trigger)} ${report.durationMs.toFixed(1)} ms${status} ${outcome}${cold}`);
  }

  handlerLog(functionName: string, line: string): void {
    this.write(`${color.cyan(`[${functionName}]`)} ${line}`);
  }

  alarm(name: string, state: "ALARM" | "OK", reason: string): void {
    this.write(state === "ALARM" ? color.red(`ALARM ${name}: ${reason}`) : color.green(`OK ${name}: ${reason}`));
  }

  table(title: string, rows: string[][]): void {
    if (rows.length === 0) return;
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
    this.write(color.bold(title));
    for (const row of rows) this.write("  " + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "));
  }
}
