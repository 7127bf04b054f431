/**
 * SQS event source mappings, locally: a poller per mapping receives up to the batch size, invokes
 * the function with an SQS event, and deletes what succeeded. With ReportBatchItemFailures only the
 * reported items stay; on a function error the whole batch does. What stays is received again, and
 * SQS's own redrive policy moves it to the DLQ after maxReceiveCount.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { AlarmBoard } from "./alarms";
import type { LambdaService } from "./lambda/service";
import type { LocalEventSourceMapping, LocalModel, LocalQueue } from "./model";

export interface PollerOptions {
  /**
   * Seconds before a failed message is received again. Lambda leaves it invisible for the queue's
   * whole visibility timeout; locally a short delay keeps the retry and redrive loop quick.
   * @default 1; undefined keeps the queue's own timeout
   */
  retryVisibilitySeconds?: number;
  /** Long-poll wait. @default 1 */
  waitSeconds?: number;
}

export class QueuePoller {
  private running = false;
  private readonly abort = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly mapping: LocalEventSourceMapping,
    private readonly queue: LocalQueue,
    private readonly queueUrl: string,
    private readonly region: string,
    private readonly sqs: SQSClient,
    private readonly lambda: LambdaService,
    private readonly options: PollerOptions,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        // Without the role's sqs:ReceiveMessage (and delete, attributes) Lambda cannot poll: messages wait in the queue.
        if (!this.lambda.mayPoll(this.mapping.functionName, this.queue.arn)) {
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        const messages = await this.receive();
        if (messages.length > 0) await this.process(messages);
      } catch (err) {
        if (!this.running) return;
        process.stderr.write(`poller ${this.queue.name}: ${(err as Error).message}\n`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async receive(): Promise<Message[]> {
    const messages: Message[] = [];
    const deadline = Date.now() + this.mapping.batchingWindowSeconds * 1000;
    do {
      const { Messages } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(10, this.mapping.batchSize - messages.length),
          WaitTimeSeconds: messages.length > 0 ? 0 : (this.options.waitSeconds ?? 1),
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
        { abortSignal: this.abort.signal },
      );
      if (!Messages?.length) break;
      messages.push(...Messages);
    } while (messages.length < this.mapping.batchSize && Date.now() < deadline);
    return messages;
  }

  private async process(messages: Message[]): Promise<void> {
    const event = { Records: messages.map((m) => this.record(m)) };
    const outcome = await this.lambda.invoke(
      this.mapping.functionName,
      event,
      `sqs ${this.queue.name} (${messages.length} record${messages.length === 1 ? "" : "s"})`,
    );
    const failed = new Set<string>();
    if (outcome.error) {
      for (const m of messages) failed.add(m.MessageId!);
    } else if (this.mapping.reportBatchItemFailures) {
      for (const id of batchItemFailures(outcome.payload, messages)) failed.add(id);
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length > 0) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    const retry = messages.filter((m) => failed.has(m.MessageId!));
    if (
      retry.length > 0 &&
      this.options.retryVisibilitySeconds !== undefined &&
      this.options.retryVisibilitySeconds < this.queue.visibilityTimeoutSeconds
    ) {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: retry.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: this.options.retryVisibilitySeconds!,
          })),
        }),
      );
    }
  }

  private record(m: Message) {
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.Attributes ?? {})) if (v !== undefined) attributes[k] = v;
    const messageAttributes: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
      messageAttributes[k] = {
        ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
        ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString("base64") } : {}),
        stringListValues: v.StringListValues ?? [],
        binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
        dataType: v.DataType,
      };
    }
    return {
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      attributes,
      messageAttributes,
      md5OfBody: m.MD5OfBody,
      ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
      eventSource: "aws:sqs",
      // The cloud ARN, as the function would see it deployed.
      eventSourceARN: this.queue.arn,
      awsRegion: this.region,
    };
  }
}

/**
 * The message ids a ReportBatchItemFailures response names. As Lambda does, a malformed response,
 * or one naming an id that is not in the batch, fails the whole batch.
 */
export function batchItemFailures(payload: string | undefined, messages: Message[]): string[] {
  const all = messages.map((m) => m.MessageId!);
  let response: any;
  try {
    response = JSON.parse(payload ?? "null");
  } catch {
    return all;
  }
  if (response === null || response === undefined || typeof response !== "object") return [];
  const failures = response.batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return all;
  const ids = failures.map((f: any) => f?.itemIdentifier);
  if (ids.some((id: unknown) => typeof id !== "string" || !all.includes(id))) return all;
  return ids;
}

/** Polls the depth of every queue an alarm watches, and feeds it to the alarm board. */
export class QueueWatcher {
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(model: LocalModel, queueUrls: Map<string, string>, sqs: SQSClient, alarms: AlarmBoard, intervalMs = 1000) {
    const watched = model.queues.filter(
      (q) => alarms.watching("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: q.name }).length > 0,
    );
    this.timer = setInterval(async () => {
      if (this.polling) return;
      this.polling = true;
      try {
        for (const queue of watched) {
          const { Attributes } = await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: queueUrls.get(queue.arn), AttributeNames: ["ApproximateNumberOfMessages"] }),
          );
          alarms.gauge(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            { QueueName: queue.name },
            Number(Attributes?.ApproximateNumberOfMessages ?? 0),
          );
        }
      } catch {
        // The emulator is stopping; the next tick (if any) tries again.
      } finally {
        this.polling = false;
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
