/**
 * What becomes of an event EventBridge, or EventBridge Scheduler, gave up delivering to a target: it is
 * counted, then put in the target's dead-letter queue with what failed as message attributes, or dropped.
 *
 * - A rule's dead letter is the event, with RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE,
 *   EXHAUSTED_RETRY_CONDITION (only after retries) and RETRY_ATTEMPTS ("Using dead-letter queues to
 *   process undelivered events", EventBridge User Guide). The rule sends it as the service, so with IAM
 *   on the queue's policy (and its key's) must let events.amazonaws.com send for that rule. It is counted
 *   as `AWS/Events` FailedInvocations, then InvocationsSentToDlq or InvocationsFailedToBeSentToDlq.
 * - A Scheduler schedule's dead letter is the target's input, with ERROR_CODE (the target API's own
 *   code), ERROR_MESSAGE, EXECUTION_ID, EXHAUSTED_RETRY_CONDITION (only after retries),
 *   IS_PAYLOAD_TRUNCATED, RETRY_ATTEMPTS, SCHEDULED_TIME, SCHEDULE_ARN and TARGET_ARN ("Configuring a
 *   schedule's dead-letter queue", EventBridge Scheduler User Guide, "Retrieve the dead-letter event").
 *   The schedule's execution role sends it and needs sqs:SendMessage on the DLQ. It is counted under
 *   `AWS/Scheduler` by ScheduleGroup: InvocationDroppedCount, then InvocationsSentToDeadLetterCount or
 *   InvocationsFailedToBeSentToDeadLetterCount (and each attempt before, by `countSchedulerAttempt`).
 *
 * Otherwise, as in AWS, the event is dropped, and the local cloud says so.
 */
import { randomBytes } from "crypto";
import type { AlarmBoard } from "./alarms";
import type { Reporter } from "./console";
import type { DeliveryFailure, ExhaustedCondition } from "./event-retry";
import type { IamAuthority } from "./iam/authority";
import type { Destinations } from "./lambda/service";

export interface EventDeadLetters {
  reporter: Reporter;
  /** Where dead letters go. @default none (every undeliverable event is dropped, as without a DLQ) */
  destinations?: Destinations;
  /** IAM as the local cloud enforces it. @default not enforced */
  iam?: IamAuthority;
  /** The graph's alarms, which count the metrics above. @default none counted */
  alarms?: Pick<AlarmBoard, "count">;
}

/** An EventBridge rule, or an EventBridge Scheduler schedule, and how the local cloud names it in its lines. */
export interface EventSource {
  name: string;
  arn: string;
  /** "schedule x", "eventbridge y". */
  trigger: string;
  /**
   * Set for an EventBridge Scheduler schedule: its target's execution role, which sends to the target and
   * to the DLQ, and when the invocation was due (SCHEDULED_TIME, ms since the epoch). @default an
   * EventBridge rule, which sends as the service
   */
  scheduler?: { roleArn: string; scheduledAt: number };
}

export interface UndeliveredEvent extends DeliveryFailure {
  rule: EventSource;
  target: { arn: string; deadLetterArn?: string };
  /** The dead letter's body: the event a rule matched, or a schedule's input, as the target would have had it. */
  body: string;
  /** The retries made before giving up (RETRY_ATTEMPTS). @default 0 */
  retryAttempts?: number;
  /** @default none: not retried (a missing permission, a target that is gone) */
  exhausted?: ExhaustedCondition;
}

/** A Scheduler schedule's group, from its ARN (`…:schedule/<group>/<name>`), for the `ScheduleGroup` dimension. */
export function scheduleGroupOf(scheduleArn: string): string {
  return /:schedule\/([^/]+)\/[^/]+$/.exec(scheduleArn)?.[1] ?? "default";
}

/**
 * Counts one attempt of a Scheduler schedule to invoke its target, as the Scheduler does by schedule group:
 * InvocationAttemptCount, and for a failed attempt TargetErrorCount (TargetErrorThrottledCount too when
 * the target throttled). An EventBridge rule counts no attempt metric of its own.
 */
export function countSchedulerAttempt(
  alarms: Pick<AlarmBoard, "count"> | undefined,
  rule: EventSource,
  target: string,
  failure?: DeliveryFailure,
): void {
  if (!rule.scheduler || !alarms) return;
  const dimensions = { ScheduleGroup: scheduleGroupOf(rule.arn) };
  alarms.count("AWS/Scheduler", "InvocationAttemptCount", dimensions, `${rule.trigger} invoked ${target}`);
  if (!failure) return;
  const reason = `${rule.trigger} could not invoke ${target}: ${failure.message}`;
  alarms.count("AWS/Scheduler", "TargetErrorCount", dimensions, reason);
  if (failure.code === "THROTTLING") alarms.count("AWS/Scheduler", "TargetErrorThrottledCount", dimensions, reason);
}

/** Counts an event given up on, then puts it in its target's DLQ, or says why it is dropped. */
export async function deadLetterEvent(deps: EventDeadLetters, undelivered: UndeliveredEvent): Promise<void> {
  const { rule, target, message, retryAttempts = 0 } = undelivered;
  const { reporter, destinations, iam } = deps;
  const count = metricsOf(deps, rule);
  count.givenUp(`${rule.trigger} could not deliver to ${target.arn}`);
  if (!target.deadLetterArn || !destinations) {
    reporter.info(`${rule.trigger}: the event for ${target.arn} is dropped: ${message}, and the target has no DLQ`);
    return;
  }
  const via = `${rule.trigger} (its DLQ)`;
  const roleArn = rule.scheduler?.roleArn;
  const refused = iam
    ?.deliveryCalls(target.deadLetterArn)
    .find(
      (call) =>
        !(roleArn ? iam.checkRole(roleArn, [call], rule.trigger, via) : iam.checkServiceCall("events.amazonaws.com", call, rule.arn, via))
          .allowed,
    );
  if (refused) {
    count.deadLetter(false, `${rule.trigger} may not ${refused.action} on its DLQ`);
    reporter.info(
      `${rule.trigger}: the event for ${target.arn} is dropped: ${message}, and ${roleArn ? `its role ${roleArn}` : "EventBridge"} may not ${refused.action} on its DLQ ${target.deadLetterArn}`,
    );
    return;
  }
  const attributes = deadLetterAttributes(undelivered);
  try {
    await destinations.send(target.deadLetterArn, undelivered.body, attributes);
    count.deadLetter(true, `${rule.trigger} put an event in its DLQ`);
    const retried = retryAttempts > 0 ? ` after ${retryAttempts} ${retryAttempts === 1 ? "retry" : "retries"}` : "";
    reporter.info(`${rule.trigger}: the event for ${target.arn} went to its DLQ (${attributes.ERROR_CODE})${retried}`);
  } catch (err) {
    count.deadLetter(false, `${rule.trigger} could not put an event in its DLQ`);
    reporter.info(`${rule.trigger}: could not put the event in its DLQ ${target.deadLetterArn}: ${(err as Error).message}`);
  }
}

/** The message attributes of a dead letter, in the format of the service that sends it. */
export function deadLetterAttributes(undelivered: UndeliveredEvent): Record<string, string> {
  const { rule, target, code, message, apiCode, retryAttempts = 0, exhausted } = undelivered;
  const condition: Record<string, string> = exhausted ? { EXHAUSTED_RETRY_CONDITION: exhausted } : {};
  if (!rule.scheduler)
    return {
      RULE_ARN: rule.arn,
      TARGET_ARN: target.arn,
      ERROR_CODE: code,
      ERROR_MESSAGE: message,
      ...condition,
      RETRY_ATTEMPTS: String(retryAttempts),
    };
  return {
    // The target API's code; the Scheduler's own when the failure was not the target's.
    ERROR_CODE: apiCode ?? "AWS.Scheduler.InternalServerError",
    ERROR_MESSAGE: message,
    EXECUTION_ID: randomBytes(8).toString("hex"),
    ...condition,
    IS_PAYLOAD_TRUNCATED: "false",
    RETRY_ATTEMPTS: String(retryAttempts),
    SCHEDULED_TIME: new Date(rule.scheduler.scheduledAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
    SCHEDULE_ARN: rule.arn,
    TARGET_ARN: target.arn,
  };
}

/** The metrics an event given up on counts: EventBridge's by rule, or the Scheduler's by schedule group. */
function metricsOf(deps: EventDeadLetters, rule: EventSource) {
  const count = (namespace: string, metric: string, dimensions: Record<string, string>, reason: string) =>
    deps.alarms?.count(namespace, metric, dimensions, reason);
  if (!rule.scheduler) {
    const dimensions = { RuleName: rule.name };
    return {
      // FailedInvocations counts the events a rule failed for good, not each failed attempt.
      givenUp: (reason: string) => count("AWS/Events", "FailedInvocations", dimensions, reason),
      deadLetter: (sent: boolean, reason: string) =>
        count("AWS/Events", sent ? "InvocationsSentToDlq" : "InvocationsFailedToBeSentToDlq", dimensions, reason),
    };
  }
  const dimensions = { ScheduleGroup: scheduleGroupOf(rule.arn) };
  return {
    givenUp: (reason: string) => count("AWS/Scheduler", "InvocationDroppedCount", dimensions, reason),
    deadLetter: (sent: boolean, reason: string) =>
      count("AWS/Scheduler", sent ? "InvocationsSentToDeadLetterCount" : "InvocationsFailedToBeSentToDeadLetterCount", dimensions, reason),
  };
}
