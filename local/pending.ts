/**
 * Events the local cloud accepted and has not finished with: Lambda's async events (from Invoke with
 * InvocationType Event, S3 notifications, SNS, schedules and EventBridge) until they ran or went to
 * their destination, and EventBridge's deliveries to a rule's queue or topic until delivered or
 * dead-lettered. AWS keeps them through anything; locally a stop ends them, so when it stops the local
 * cloud says what it drops, and `--persist` saves them and takes them up again after the next start.
 */
import type { DeliveryFailure } from "./event-retry";
import type { LambdaError } from "./lambda/bootstrap";

/** An async event of a function: Lambda runs it, retries it as configured, then sends it to its destination. */
export interface PendingAsyncEvent {
  kind: "lambda";
  /** The function as it was invoked: a name or ARN, qualified or not. */
  function: string;
  requestId: string;
  event: unknown;
  /** What invoked it, for the invocation lines ("eventbridge nightly", "invoke"). */
  trigger: string;
  /** When Lambda accepted it (ms since the epoch): its age counts from here, across restarts. */
  received: number;
  /** The attempts made so far, a throttled one not counted: the next attempt's number, 0 for the first. */
  attempts: number;
  /** The last attempt's error, for the destination's record should the event be too old to try again. */
  lastError?: LambdaError;
}

/** An EventBridge rule's delivery to a queue or topic (a function target hands its event to Lambda at once). */
export interface PendingRuleDelivery {
  kind: "eventbridge";
  /** The rule's ARN and the target's, as the graph names them. */
  rule: string;
  target: string;
  /** What the target gets: the event, or what the target's input or inputPath makes of it. */
  event: unknown;
  /** Whether `event` is text to send as written (a Scheduler schedule's input to a queue or topic), not JSON to write. @default false */
  asText?: boolean;
  /** When PutEvents accepted the event, or the schedule fired (ms since the epoch). */
  arrived: number;
  /** The retry to make next, 0 before the first attempt. */
  retry: number;
  /** The last attempt's failure, for the DLQ should the event be too old to try again. */
  lastFailure?: DeliveryFailure;
}

export type PendingDelivery = PendingAsyncEvent | PendingRuleDelivery;

/** The accepted events not yet done with, as the Lambda service and the event router add and finish them. */
export class PendingDeliveries {
  private readonly entries = new Set<PendingDelivery>();

  add<T extends PendingDelivery>(entry: T): T {
    this.entries.add(entry);
    return entry;
  }

  /** The event ran, was delivered, or went to its destination or DLQ: nothing is left to do. */
  done(entry: PendingDelivery): void {
    this.entries.delete(entry);
  }

  list(): PendingDelivery[] {
    return [...this.entries];
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * What is pending, counted by where it goes, for the line a stop prints: "2 async event(s) of
   * process-order, 1 EventBridge event(s) of rule nightly for arn:...:queue". Empty when nothing is.
   */
  describe(): string {
    const counts = new Map<string, number>();
    for (const entry of this.entries) {
      const what =
        entry.kind === "lambda"
          ? `async event(s) of ${entry.function}`
          : `EventBridge event(s) of ${ruleName(entry.rule)} for ${entry.target}`;
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    return [...counts].map(([what, n]) => `${n} ${what}`).join(", ");
  }
}

/** "nightly" of arn:aws:events:...:rule/nightly or arn:aws:events:...:rule/bus/nightly. */
function ruleName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1);
}

/**
 * Reads what `--persist` saved back, entry by entry: an entry that is not what this build writes is
 * refused with the reason (a hand-edited or older state file), and the rest are kept.
 */
export function readPending(saved: unknown): { entries: PendingDelivery[]; refused: string[] } {
  const entries: PendingDelivery[] = [];
  const refused: string[] = [];
  if (saved === undefined) return { entries, refused };
  if (!Array.isArray(saved)) return { entries, refused: ["pending: not a list"] };
  saved.forEach((entry: any, i) => {
    const problem = problemOf(entry);
    if (problem) refused.push(`pending[${i}]: ${problem}`);
    else entries.push(entry as PendingDelivery);
  });
  return { entries, refused };
}

function problemOf(entry: any): string | undefined {
  if (entry === null || typeof entry !== "object") return "not an object";
  const text = (key: string) => (typeof entry[key] === "string" && entry[key] ? undefined : `${key} is not a non-empty string`);
  const count = (key: string) => (Number.isInteger(entry[key]) && entry[key] >= 0 ? undefined : `${key} is not a whole number ≥ 0`);
  if (entry.kind === "lambda") return text("function") ?? text("requestId") ?? text("trigger") ?? count("received") ?? count("attempts");
  if (entry.kind === "eventbridge")
    return (
      text("rule") ??
      text("target") ??
      count("arrived") ??
      count("retry") ??
      (entry.asText === undefined || (entry.asText === true && typeof entry.event === "string")
        ? undefined
        : "asText is set, but not to true with a string event")
    );
  return `kind is ${JSON.stringify(entry.kind)}, not "lambda" or "eventbridge"`;
}
