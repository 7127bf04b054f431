import type { Context } from "aws-lambda";
import { LeanLogger } from "./lean-logger";
import { rejectUnlessFromEdge } from "./origin";
import { ENV, isWarmupEvent } from "../../policy/contracts";

/** One structured logger per container; every line carries the request id, function and cold-start flag. */
export const logger = new LeanLogger(process.env[ENV.serviceName] ?? "platform");

/**
 * An application metric, emitted as a structured log event the log shipping pipeline carries,
 * not as a CloudWatch custom metric.
 */
export function metric(name: string, value = 1, dimensions: Record<string, string> = {}): void {
  logger.info("metric", { metric: { name, value, ...dimensions } });
}

/**
 * Wraps a handler: a warm-up event returns `warmResult` before any work and is logged as such
 * (and never counted in metrics); an API event that did not come through the edge (when the edge is
 * on) gets 403; every other event gets one summary line with its duration.
 */
export function instrument<E, R>(
  fn: (event: E, context: Context) => Promise<R>,
  warmResult: R,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    const started = performance.now();
    logger.addContext(context);
    if (isWarmupEvent(event)) {
      logger.info("warm-up", { warmup: true });
      return warmResult;
    }
    // API events must come through the edge when it is on.
    if ((event as { requestContext?: { http?: unknown } })?.requestContext?.http) {
      const rejected = rejectUnlessFromEdge(event as never);
      if (rejected) {
        logger.warn("rejected: the request did not come through the edge", { outcome: "forbidden" });
        return rejected as R;
      }
    }
    try {
      const result = await fn(event, context);
      logger.info("invocation", { duration_ms: Math.round((performance.now() - started) * 100) / 100, outcome: "ok" });
      return result;
    } catch (err) {
      logger.error("invocation failed", {
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        outcome: "error",
        error: err as Error,
      });
      throw err;
    }
  };
}
