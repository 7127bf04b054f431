import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { DLQ_RETENTION_SECONDS } from "../policy/contracts";
import { metricAlarm } from "./alarms";
import { kept, Transform, transformed } from "./child";
import { denyInsecureTransport, policyDocument } from "./iam";

/** A dead-letter queue: encrypted, 14-day retention, TLS-only, alarmed as soon as one message is waiting. */
export interface DeadLetterQueueArgs {
  /** Topic that receives the "messages waiting" alarm. */
  alertTopicArn: pulumi.Input<string>;
  /** How long failed messages are kept, in seconds. @default 1209600 (14 days, the SQS maximum) */
  retentionSeconds?: number;
  /** Protect the queue and keep it, and what is in it, when the stack is destroyed. @default true */
  protect?: boolean;
  /** What feeds this DLQ (a queue or a function), shown in the alarm and used by the DLQ tool. @default the component name */
  source?: string;
  /**
   * The key the stack exports this DLQ under in its `deadLetterQueues` output: the name `npm run dlq
   * -- --queue` takes, so the alarm's runbook command works against the deployed stack. @default the component name
   */
  outputKey?: string;
  /**
   * AWS services that deliver failed events here on behalf of a resource (EventBridge for a rule), each
   * allowed sqs:SendMessage only for that source ARN. @default none (senders use their own role's rights)
   */
  senders?: { service: string; sourceArn: pulumi.Input<string> }[];
  /** Adjusts a child before it is created. @default none */
  transform?: { queue?: Transform<aws.sqs.QueueArgs>; policy?: Transform<aws.sqs.QueuePolicyArgs> };
}

/** The runbook command for a DLQ of this stack: the physical queue name is generated, so it goes by output key. */
export function inspectCommand(outputKey: string): string {
  return `npm run dlq -- inspect --stack ${pulumi.getStack()} --queue ${outputKey}`;
}

export class DeadLetterQueue extends pulumi.ComponentResource {
  public readonly queue: aws.sqs.Queue;
  public readonly policy: aws.sqs.QueuePolicy;
  public readonly messagesVisibleAlarm: aws.cloudwatch.MetricAlarm;
  public readonly arn: pulumi.Output<string>;
  public readonly url: pulumi.Output<string>;
  /** The key to export it under in `deadLetterQueues`. */
  public readonly outputKey: string;

  constructor(name: string, args: DeadLetterQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:messaging:DeadLetterQueue", name, {}, opts);
    const source = args.source ?? name;
    this.outputKey = args.outputKey ?? name;

    this.queue = new aws.sqs.Queue(
      ...transformed(
        args.transform?.queue,
        name,
        {
          messageRetentionSeconds: args.retentionSeconds ?? DLQ_RETENTION_SECONDS,
          sqsManagedSseEnabled: true,
          tags: { "platform:role": "dead-letter-queue", "platform:source": source },
        },
        { parent: this, ...kept(args.protect ?? true) },
      ),
    );
    this.policy = new aws.sqs.QueuePolicy(
      ...transformed(
        args.transform?.policy,
        `${name}-policy`,
        {
          queueUrl: this.queue.url,
          policy: policyDocument([
            denyInsecureTransport("sqs", [this.queue.arn]),
            ...(args.senders ?? []).map((s) => ({
              Sid: `Allow${s.service.split(".")[0].replace(/^./, (c) => c.toUpperCase())}FailedEvents`,
              Principal: { Service: s.service },
              Action: ["sqs:SendMessage"],
              Resource: this.queue.arn,
              Condition: { ArnEquals: { "aws:SourceArn": s.sourceArn } },
            })),
          ]),
        },
        { parent: this },
      ),
    );
    this.messagesVisibleAlarm = metricAlarm(
      `${name}-messages-visible`,
      {
        description: `A message failed for good and is waiting in the dead-letter queue of ${source}. Inspect it with ${inspectCommand(this.outputKey)}, fix the cause, then redrive it.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: this.queue.name },
        statistic: "Maximum",
        threshold: 1,
      },
      args.alertTopicArn,
      this,
    );
    this.arn = this.queue.arn;
    this.url = this.queue.url;
    this.registerOutputs({ arn: this.arn, url: this.url });
  }
}
