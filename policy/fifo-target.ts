/**
 * An EventBridge target that is an SQS FIFO queue, as EventBridge reads it: PutTargets refuses one
 * without a message group ("ValidationException: Parameter(s) SqsParameters must be specified for target",
 * as reported in hashicorp/terraform#20263 and awslabs/aws-ddk#183), and the Scheduler's templated SQS
 * target needs `MessageGroupId` for a FIFO queue alike (SqsParameters, EventBridge Scheduler API
 * Reference). EventBridge sends no deduplication id, so the queue must deduplicate by content; without
 * that SQS refuses each message, which is a delivery failure (retried, then the DLQ), not a refused
 * deploy. One rule for the policy pack and the local cloud, so `pulumi preview` refuses what
 * `pulumi up` would fail on and `npm start` does too.
 */

/** A FIFO queue's ARN: SQS requires a FIFO queue's name to end in `.fifo`. */
export function isFifoQueueArn(arn: unknown): arn is string {
  return typeof arn === "string" && /^arn:[^:]+:sqs:[^:]*:[^:]*:[^:]+\.fifo$/.test(arn);
}

/**
 * Why EventBridge would refuse this target, or undefined: a FIFO queue target without a message group.
 * `property` names where the program sets it (`sqsTarget.messageGroupId`, `target.sqsParameters.messageGroupId`).
 */
export function fifoTargetProblem(targetArn: unknown, messageGroupId: unknown, property: string): string | undefined {
  if (!isFifoQueueArn(targetArn) || (typeof messageGroupId === "string" && messageGroupId !== "")) return undefined;
  return `its target ${targetArn} is a FIFO queue, which EventBridge sends to only in a message group: set ${property} (AWS refuses the target without it: "Parameter(s) SqsParameters must be specified")`;
}
