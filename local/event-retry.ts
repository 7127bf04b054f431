/**
 * How EventBridge retries delivering an event to a rule's target ("How EventBridge retries delivering
 * events", EventBridge User Guide): a failed delivery is tried again with exponential back-off until the
 * target's RetryPolicy runs out, by default 185 retries or 24 hours, whichever comes first. A missing
 * permission or a target that no longer exists is not retried ("Using dead-letter queues to process
 * undelivered events"): the event goes to the target's DLQ at once.
 */

/** A target's RetryPolicy, as aws.cloudwatch.EventTarget's `retryPolicy` sets it. */
export interface RetryPolicy {
  /** Retries after the first attempt, 0 to 185. @default 185 */
  maximumRetryAttempts: number;
  /** How long after it arrived the event may still be delivered, 60 to 86,400 s. @default 86,400 */
  maximumEventAgeSeconds: number;
}

/**
 * The local cloud's first retry wait, for Lambda's async events and EventBridge's rule targets alike;
 * each further retry doubles it. AWS waits about a minute before Lambda's first retry; a second keeps a
 * local run short while the order of attempts stays AWS's.
 */
export const RETRY_BASE_MS = 1000;

/** EventBridge's policy for a target that sets none. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };

/** Why a delivery failed, in EventBridge's words: ERROR_CODE and ERROR_MESSAGE of the DLQ message. */
export interface DeliveryFailure {
  code: string;
  message: string;
  /**
   * The target service's own error code (`AccessDeniedException`, `AWS.SimpleQueueService.NonExistentQueue`),
   * which an EventBridge Scheduler dead letter carries as its ERROR_CODE. @default none (the Scheduler's
   * `AWS.Scheduler.InternalServerError`)
   */
  apiCode?: string;
}

/**
 * Which limit of the retry policy ended a delivery that was retried: a dead letter's
 * EXHAUSTED_RETRY_CONDITION. A failure that is not retried has none.
 */
export type ExhaustedCondition = "MaximumRetryAttempts" | "MaximumEventAgeInSeconds";

/** ERROR_CODEs EventBridge does not retry: someone has to act first. */
const NOT_RETRIED = new Set(["NO_PERMISSIONS", "NO_RESOURCE"]);

/**
 * The wait before retry `n` (0 for the first): `baseMs` doubled each time, at most 256 times `baseMs`.
 * EventBridge does not publish its back-off; locally the scale is `baseMs` (1 s by default) so that a
 * failing target is retried while someone watches, not over a day.
 */
export function retryDelay(baseMs: number, n: number): number {
  return baseMs * 2 ** Math.min(n, 8);
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** The first wait; see `retryDelay`. */
  baseMs: number;
  /** Waits `ms`; resolves false if the local cloud stops meanwhile, which ends the retries. */
  wait(ms: number): Promise<boolean>;
  /** The clock, in ms. @default Date.now */
  now?: () => number;
  /**
   * Where a delivery saved by `--persist` left off: when its event arrived, the retry to make next (1 for
   * the first) and the failure before it. An event already past its maximum age is not tried again.
   * @default a new event
   */
  from?: { arrived: number; retry: number; failure?: DeliveryFailure };
  /** Told before each wait, with the retry that follows it (1 for the first): where a stop during the wait leaves the delivery. */
  onRetry?: (retry: number, failure: DeliveryFailure) => void;
}

/** What became of an event that was not delivered: the last failure, the retries made before it, and the limit reached. */
export interface GivenUp {
  failure: DeliveryFailure;
  retries: number;
  /** @default none: the failure was not one to retry (NO_PERMISSIONS, NO_RESOURCE) */
  exhausted?: ExhaustedCondition;
}

/**
 * Runs `attempt` until it delivers or the policy gives up: "delivered", the last failure when it gives
 * up, or "stopped" when the local cloud stopped first (the event is then neither delivered nor given up).
 */
export async function deliverWithRetries(
  attempt: () => Promise<DeliveryFailure | undefined>,
  options: RetryOptions,
): Promise<"delivered" | "stopped" | GivenUp> {
  const now = options.now ?? Date.now;
  const arrived = options.from?.arrived ?? now();
  const { failure: before, retry: next = 0 } = options.from ?? {};
  if (before && now() - arrived > options.policy.maximumEventAgeSeconds * 1000)
    return { failure: before, retries: next - 1, exhausted: "MaximumEventAgeInSeconds" };
  for (let retries = next; ; retries++) {
    const failure = await attempt();
    if (!failure) return "delivered";
    if (NOT_RETRIED.has(failure.code)) return { failure, retries };
    if (retries >= options.policy.maximumRetryAttempts) return { failure, retries, exhausted: "MaximumRetryAttempts" };
    const delay = retryDelay(options.baseMs, retries);
    if (now() - arrived + delay > options.policy.maximumEventAgeSeconds * 1000)
      return { failure, retries, exhausted: "MaximumEventAgeInSeconds" };
    options.onRetry?.(retries + 1, failure);
    if (!(await options.wait(delay))) return "stopped";
  }
}

/**
 * The waits between retries, of Lambda's async events and EventBridge's rule targets alike: each wait
 * resolves true when its time is up, or false at once when the local cloud stops, which ends its retries.
 */
export class RetryWaits {
  private running = true;
  private readonly waits = new Map<NodeJS.Timeout, (fired: boolean) => void>();

  /** Whether the local cloud has stopped: a retry that has not begun never will. */
  get stopped(): boolean {
    return !this.running;
  }

  wait(ms: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve(true);
      }, ms);
      this.waits.set(timer, resolve);
    });
  }

  /** Ends every wait with false, and every later one at once. */
  stop(): void {
    this.running = false;
    for (const [timer, resolve] of this.waits) {
      clearTimeout(timer);
      resolve(false);
    }
    this.waits.clear();
  }
}

/**
 * EventBridge's ERROR_CODE for the error an emulator answered a delivery with: a queue or topic that is
 * gone is NO_RESOURCE (not retried), a throttle THROTTLING, a refused or broken connection
 * CONNECTION_FAILURE, anything else SDK_CLIENT_ERROR (all three retried).
 */
export function errorCodeOf(err: unknown): string {
  const { name, code, $metadata } = (err ?? {}) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (/NonExistentQueue|QueueDoesNotExist|NotFound/.test(`${name}`)) return "NO_RESOURCE";
  if (/Throttl|TooManyRequests/.test(`${name}`) || $metadata?.httpStatusCode === 429) return "THROTTLING";
  if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/.test(`${code}`)) return "CONNECTION_FAILURE";
  return "SDK_CLIENT_ERROR";
}

/**
 * The target API's own error code for an error an emulator answered with, as a Scheduler dead letter's
 * ERROR_CODE: SQS's query-compatible code where the SDK has one (`AWS.SimpleQueueService.NonExistentQueue`),
 * else the error's name (`NotFoundException`), else none.
 */
export function apiCodeOf(err: unknown): string | undefined {
  const { Code, name } = (err ?? {}) as { Code?: unknown; name?: unknown };
  if (typeof Code === "string" && Code) return Code;
  return typeof name === "string" && name && name !== "Error" ? name : undefined;
}
