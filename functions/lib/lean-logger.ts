import type { Context } from "aws-lambda";

const LEVELS = { DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, SILENT: 28 } as const;
type Level = keyof typeof LEVELS;

/** True until the container's first invocation (never for provisioned concurrency), as Powertools counts it. */
let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== "provisioned-concurrency";

/**
 * Every function's structured logger: the same JSON lines as Powertools' Logger (level, message,
 * timestamp, service, cold_start, function_*, sampling_rate, then the extra keys; WARN and ERROR on
 * stderr), without Powertools. Powertools adds about 22 KB and 6-9 ms to every cold start, which the
 * budgets of #8 cannot carry: health under 20 KB, each init within 1.2x the bundle of only its SDK
 * clients. tests/functions/logging.test.ts holds the two to the same line, key for key. Honours
 * POWERTOOLS_LOG_LEVEL, then AWS_LAMBDA_LOG_LEVEL, as Powertools does.
 */
export class LeanLogger {
  private level: number;
  private context: Record<string, unknown> = {};
  /** The trace the lines are about, when it is not the invocation's own (see `inTrace`). */
  private traceHeader?: string;

  constructor(private readonly service: string) {
    this.level = LEVELS[levelName(process.env.POWERTOOLS_LOG_LEVEL ?? process.env.AWS_LAMBDA_LOG_LEVEL)];
  }

  setLogLevel(level: Level): void {
    this.level = LEVELS[levelName(level)];
  }

  addContext(context: Context): void {
    this.context = {
      cold_start: coldStart,
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB,
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
      sampling_rate: 0,
    };
    coldStart = false;
  }

  /**
   * Runs `work` with every line carrying the trace of `header` instead of the invocation's: an SQS
   * record's `AWSTraceHeader`, the trace of the request that sent the message. A queue worker's lines
   * about one message then carry the id of the request that accepted it. Without a header, the
   * invocation's own trace stays.
   */
  async inTrace<T>(header: string | undefined, work: () => Promise<T>): Promise<T> {
    const previous = this.traceHeader;
    this.traceHeader = header || previous;
    try {
      return await work();
    } finally {
      this.traceHeader = previous;
    }
  }

  info(message: string, extra?: Record<string, unknown>): void {
    this.write("INFO", message, extra);
  }

  warn(message: string, extra?: Record<string, unknown>): void {
    this.write("WARN", message, extra);
  }

  error(message: string, extra?: Record<string, unknown>): void {
    this.write("ERROR", message, extra);
  }

  private write(level: Level, message: string, extra: Record<string, unknown> = {}): void {
    if (LEVELS[level] < this.level) return;
    const line = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.service,
      ...this.context,
      // The request's X-Ray trace (its Root), which Lambda sets per invocation: one id across every function a request reaches.
      xray_trace_id: traceRoot(this.traceHeader ?? process.env._X_AMZN_TRACE_ID),
      ...extra,
    };
    const text =
      JSON.stringify(line, (_key, value) =>
        value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value,
      ) + "\n";
    (LEVELS[level] >= LEVELS.WARN ? process.stderr : process.stdout).write(text);
  }
}

/** The trace id in `_X_AMZN_TRACE_ID` ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=...;Sampled=1"), as Powertools reads it. */
export function traceRoot(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (!header.includes("=")) return header;
  for (const field of header.split(";")) {
    const [key, value] = field.split("=");
    if (key === "Root") return value;
  }
  return undefined;
}

function levelName(value: string | undefined): Level {
  const upper = (value ?? "INFO").toUpperCase();
  return upper in LEVELS ? (upper as Level) : "INFO";
}
