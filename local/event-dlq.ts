/**
 * Where EventBridge puts an event it could not deliver to a target: the target's dead-letter queue, with
 * the event as the body and what failed as message attributes ("Event retry policy and using dead-letter
 * queues", EventBridge User Guide). A rule sends as the service, so with IAM on the queue's policy (and its
 * key's) must let events.amazonaws.com send for that rule; an EventBridge Scheduler schedule sends with
 * its execution role, which needs sqs:SendMessage on the DLQ ("Configuring a schedule's dead-letter
 * queue", EventBridge Scheduler User Guide). Otherwise, as in AWS, the event is dropped.
 */
import type { Reporter } from "./console";
import type { IamAuthority } from "./iam/authority";
import type { Destinations } from "./lambda/service";

export interface EventDeadLetters {
  reporter: Reporter;
  /** Where dead letters go. @default none (every undeliverable event is dropped, as without a DLQ) */
  destinations?: Destinations;
  /** IAM as the local cloud enforces it. @default not enforced */
  iam?: IamAuthority;
}

export interface UndeliveredEvent {
  /**
   * The rule (or Scheduler schedule) that matched, and how the local cloud names it in its lines:
   * "schedule x", "eventbridge y". `viaRole` is a Scheduler schedule's execution role. @default none: the rule sends as EventBridge
   */
  rule: { arn: string; trigger: string; viaRole?: string };
  target: { arn: string; deadLetterArn?: string };
  event: unknown;
  /** EventBridge's ERROR_CODE: NO_PERMISSIONS, NO_RESOURCE, THROTTLING, CONNECTION_FAILURE, SDK_CLIENT_ERROR. */
  code: string;
  message: string;
  /** The retries made before giving up (RETRY_ATTEMPTS). @default 0 */
  retryAttempts?: number;
}

/** Puts an undeliverable event in its target's DLQ, or says why it is dropped. */
export async function deadLetterEvent(deps: EventDeadLetters, undelivered: UndeliveredEvent): Promise<void> {
  const { rule, target, code, message, retryAttempts = 0 } = undelivered;
  const { reporter, destinations, iam } = deps;
  if (!target.deadLetterArn || !destinations) {
    reporter.info(`${rule.trigger}: the event for ${target.arn} is dropped: ${message}, and the target has no DLQ`);
    return;
  }
  const via = `${rule.trigger} (its DLQ)`;
  const roleArn = rule.viaRole;
  const refused = iam
    ?.deliveryCalls(target.deadLetterArn)
    .find(
      (call) =>
        !(roleArn ? iam.checkRole(roleArn, [call], rule.trigger, via) : iam.checkServiceCall("events.amazonaws.com", call, rule.arn, via))
          .allowed,
    );
  if (refused) {
    reporter.info(
      `${rule.trigger}: the event for ${target.arn} is dropped: ${message}, and ${rule.viaRole ? `its role ${rule.viaRole}` : "EventBridge"} may not ${refused.action} on its DLQ ${target.deadLetterArn}`,
    );
    return;
  }
  try {
    await destinations.send(target.deadLetterArn, JSON.stringify(undelivered.event), {
      RULE_ARN: rule.arn,
      TARGET_ARN: target.arn,
      ERROR_CODE: code,
      ERROR_MESSAGE: message,
      RETRY_ATTEMPTS: String(retryAttempts),
    });
    const retried = retryAttempts > 0 ? ` after ${retryAttempts} ${retryAttempts === 1 ? "retry" : "retries"}` : "";
    reporter.info(`${rule.trigger}: the event for ${target.arn} went to its DLQ (${code})${retried}`);
  } catch (err) {
    reporter.info(`${rule.trigger}: could not put the event in its DLQ ${target.deadLetterArn}: ${(err as Error).message}`);
  }
}
