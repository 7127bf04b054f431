import { LeanLogger } from "./lean-logger";
import { instrumentWith } from "./wrap";

/** One structured logger per container; every line carries the request id, function and cold-start flag. */
export const logger = new LeanLogger(process.env.SERVICE_NAME ?? "platform");

/**
 * An application metric, emitted as a structured log event the log shipping pipeline carries,
 * not as a CloudWatch custom metric.
 */
export function metric(name: string, value = 1, dimensions: Record<string, string> = {}): void {
  logger.info("metric", { metric: { name, value, ...dimensions } });
}

/** Wraps a handler with the container's logger; see `instrumentWith`. */
export const instrument = instrumentWith(logger);
