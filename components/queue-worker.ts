import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarms";
import { kept, Transform, transformed } from "./child";
import { DeadLetterQueue } from "./dead-letter-queue";
import { denyInsecureTransport, policyDocument } from "./iam";
import { LambdaFunction, LambdaFunctionArgs } from "./lambda-function";

/** An SQS queue consumed by a function in batches, with partial batch failures and a redrive to a DLQ. */
export interface QueueWorkerArgs {
  /** The consuming function. Its role gets exactly the permissions to consume this queue. */
  worker: Omit<LambdaFunctionArgs, "async" | "alertTopicArn">;
  /** Topic for the worker's, the queue's and the DLQ's alarms. */
  alertTopicArn: pulumi.Input<string>;
  /** Receives before a message is moved to the DLQ. @default 5 */
  maxReceiveCount?: number;
  /** Messages per batch handed to the worker, 1 to 10000. @default 10 */
  batchSize?: number;
  /**
   * Concurrent worker invocations the mapping may run, 2 to 1000: what the queue may push downstream at
   * once. At most the worker's reserved concurrency, or messages are throttled and churn back. @default 5
   */
  maximumConcurrency?: number;
  /** How long to gather a batch, in seconds (required above 10 messages). @default 0 */
  maximumBatchingWindowSeconds?: number;
  /** Visibility timeout in seconds; AWS advises at least 6 times the worker's timeout. @default 6 × worker timeout */
  visibilityTimeoutSeconds?: number;
  /** Message retention of the work queue in seconds, kept below the DLQ's 14 days. @default 345600 (4 days) */
  retentionSeconds?: number;
  /** Age of the oldest message, in seconds, that raises the backlog alarm. @default 300 */
  backlogAgeAlarmSeconds?: number;
  /** Protect both queues and keep them when the stack is destroyed. @default true */
  protect?: boolean;
  /** The key the stack exports the DLQ under in `deadLetterQueues`. @default "<name>-dlq" */
  deadLetterOutputKey?: string;
  /** Adjusts a child before it is created (the worker's own children: `worker.transform`). @default none */
  transform?: {
    queue?: Transform<aws.sqs.QueueArgs>;
    queuePolicy?: Transform<aws.sqs.QueuePolicyArgs>;
    eventSourceMapping?: Transform<aws.lambda.EventSourceMappingArgs>;
  };
}

export class QueueWorker extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  public readonly deadLetterQueue: DeadLetterQueue;
  public readonly worker: LambdaFunction;
  public readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  public readonly backlogAlarm: aws.cloudwatch.MetricAlarm;

  constructor(name: string, args: QueueWorkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:messaging:QueueWorker", name, {}, opts);
    const timeout = args.worker.timeoutSeconds;
    const visibility = args.visibilityTimeoutSeconds ?? 6 * timeout;
    if (visibility < 6 * timeout) {
      throw new Error(`QueueWorker "${name}": visibilityTimeoutSeconds ${visibility} is below 6 × the worker's timeout (${6 * timeout})`);
    }
    const batchSize = args.batchSize ?? 10;
    const window = args.maximumBatchingWindowSeconds ?? 0;
    if (batchSize > 10 && window < 1)
      throw new Error(`QueueWorker "${name}": a batchSize over 10 needs maximumBatchingWindowSeconds of at least 1`);
    const protect = args.protect ?? true;
    const maximumConcurrency = args.maximumConcurrency ?? 5;
    if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < 2 || maximumConcurrency > 1000)
      throw new Error(`QueueWorker "${name}": maximumConcurrency must be a whole number from 2 to 1000 (got ${maximumConcurrency})`);
    const reserved = args.worker.reservedConcurrency;
    if (reserved !== undefined && maximumConcurrency > reserved)
      throw new Error(
        `QueueWorker "${name}": maximumConcurrency ${maximumConcurrency} is above the worker's reservedConcurrency ${reserved}: the extra invocations would be throttled and their messages churn back to the queue`,
      );

    this.deadLetterQueue = new DeadLetterQueue(
      `${name}-dlq`,
      { alertTopicArn: args.alertTopicArn, protect, source: `queue:${name}`, outputKey: args.deadLetterOutputKey },
      { parent: this },
    );
    this.queue = this.createQueue(name, args, visibility, protect);
    this.worker = new LambdaFunction(
      name,
      {
        ...args.worker,
        alertTopicArn: args.alertTopicArn,
        policyStatements: [
          ...(args.worker.policyStatements ?? []),
          {
            Sid: "ConsumeWorkQueue",
            Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            Resource: this.queue.arn,
          },
        ],
      },
      { parent: this },
    );
    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      ...transformed(
        args.transform?.eventSourceMapping,
        `${name}-events`,
        {
          eventSourceArn: this.queue.arn,
          functionName: this.worker.liveArn,
          batchSize,
          maximumBatchingWindowInSeconds: window,
          functionResponseTypes: ["ReportBatchItemFailures"],
          scalingConfig: { maximumConcurrency },
        },
        { parent: this, dependsOn: [this.worker.rolePolicy] },
      ),
    );
    this.backlogAlarm = metricAlarm(
      `${name}-backlog-age`,
      {
        description: `Messages are waiting too long in queue ${name}: the worker is failing or cannot keep up. Look at the worker function's log group and its errors and throttles alarms.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: this.queue.name },
        statistic: "Maximum",
        threshold: args.backlogAgeAlarmSeconds ?? 300,
      },
      args.alertTopicArn,
      this,
    );
    this.registerOutputs({ queueUrl: this.queue.url, deadLetterQueueUrl: this.deadLetterQueue.url });
  }

  private createQueue(name: string, args: QueueWorkerArgs, visibility: number, protect: boolean): aws.sqs.Queue {
    const queue = new aws.sqs.Queue(
      ...transformed(
        args.transform?.queue,
        `${name}-queue`,
        {
          sqsManagedSseEnabled: true,
          visibilityTimeoutSeconds: visibility,
          messageRetentionSeconds: args.retentionSeconds ?? 345600,
          redrivePolicy: pulumi.jsonStringify({
            deadLetterTargetArn: this.deadLetterQueue.arn,
            maxReceiveCount: args.maxReceiveCount ?? 5,
          }),
          tags: { "platform:role": "work-queue" },
        },
        { parent: this, ...kept(protect) },
      ),
    );
    new aws.sqs.QueuePolicy(
      ...transformed(
        args.transform?.queuePolicy,
        `${name}-queue-policy`,
        { queueUrl: queue.url, policy: policyDocument([denyInsecureTransport("sqs", [queue.arn])]) },
        { parent: this },
      ),
    );
    return queue;
  }
}
