/**
 * Dead-letter queue operations on a stack's DLQs, as its `deadLetterQueues` output lists them:
 * list, inspect (without consuming), redrive (SQS's native move task back to the source queue, or
 * re-invoking the function with the original event for Lambda onFailure records), and purge.
 * Every path deletes a message only after its replacement was accepted: a crash duplicates, never loses.
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { ToolInputError } from "./target";

/** One entry of the stack's `deadLetterQueues` output. */
export type DlqOutput =
  | { url: string; source: "queue"; sourceUrl: string }
  | { url: string; source: "function"; functionName: string }
  /** EventBridge's: each message is an event for the target its TARGET_ARN attribute names. */
  | { url: string; source: "schedule" };

export interface Dlq {
  /** The output's key, e.g. "orders". */
  key: string;
  /** The queue's name, from its URL. */
  name: string;
  spec: DlqOutput;
}

export interface Clients {
  sqs: SQSClient;
  lambda: LambdaClient;
}

export function dlqsOf(outputs: Record<string, any>): Dlq[] {
  const entries = outputs.deadLetterQueues;
  if (!entries || typeof entries !== "object") throw new ToolInputError("the stack's outputs have no deadLetterQueues");
  return Object.entries<DlqOutput>(entries).map(([key, spec]) => ({ key, name: spec.url.split("/").pop()!, spec }));
}

/** The DLQs `queue` names (an output key or a queue name), or all of them. */
export function select(dlqs: Dlq[], queue?: string): Dlq[] {
  if (!queue) return dlqs;
  const found = dlqs.filter((d) => d.key === queue || d.name === queue);
  if (found.length === 0) throw new ToolInputError(`no DLQ "${queue}"; DLQs: ${dlqs.map((d) => `${d.key} (${d.name})`).join(", ")}`);
  return found;
}

export interface DlqStatus {
  dlq: Dlq;
  depth: number;
  inFlight: number;
  /** Age in seconds of the oldest message seen in a peek of up to ten. */
  oldestSeenSeconds?: number;
}

/** Visible and in-flight message counts, from the queue's attributes alone. */
export async function depthOf(clients: Clients, dlq: Dlq): Promise<{ depth: number; inFlight: number }> {
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlq.spec.url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    depth: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Depth, in flight, and the age of the oldest message a peek sees. */
export async function status(clients: Clients, dlq: Dlq): Promise<DlqStatus> {
  const { depth, inFlight } = await depthOf(clients, dlq);
  let oldestSeenSeconds: number | undefined;
  if (depth > 0) {
    const peeked = await peek(clients, dlq, 10);
    const sent = peeked.map((m) => Number(m.Attributes?.SentTimestamp ?? Date.now()));
    if (sent.length > 0) oldestSeenSeconds = Math.round((Date.now() - Math.min(...sent)) / 1000);
  }
  return { dlq, depth, inFlight, oldestSeenSeconds };
}

/** Receives up to `max` messages and makes them visible again at once: nothing is consumed. */
export async function peek(clients: Clients, dlq: Dlq, max: number): Promise<Message[]> {
  const messages: Message[] = [];
  while (messages.length < max) {
    const { Messages } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.spec.url,
        MaxNumberOfMessages: Math.min(10, max - messages.length),
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    if (!Messages?.length) break;
    messages.push(...Messages);
  }
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: dlq.spec.url,
        Entries: batch.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    );
  }
  return messages;
}

/** What a DLQ message says: for a Lambda onFailure record, the failure and the original event. */
export function describe(message: Message): Record<string, unknown> {
  let body: any = message.Body;
  try {
    body = JSON.parse(message.Body ?? "");
  } catch {
    // Not JSON: shown as it is.
  }
  const base = {
    messageId: message.MessageId,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: message.Attributes?.SentTimestamp ? new Date(Number(message.Attributes.SentTimestamp)).toISOString() : undefined,
    attributes: Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? v.BinaryValue])),
  };
  if (isFailureRecord(body)) {
    return {
      ...base,
      failure: {
        condition: body.requestContext.condition,
        attempts: body.requestContext.approximateInvokeCount,
        requestId: body.requestContext.requestId,
        function: body.requestContext.functionArn,
        error: body.responsePayload ? { type: body.responsePayload.errorType, message: body.responsePayload.errorMessage } : undefined,
      },
      originalEvent: body.requestPayload,
    };
  }
  return { ...base, body };
}

function isFailureRecord(body: any): boolean {
  return !!body && typeof body === "object" && body.version === "1.0" && !!body.requestContext?.functionArn && "requestPayload" in body;
}

export interface RedriveResult {
  moved: number;
  failed: { messageId?: string; error: string }[];
  /** How queue DLQs were redriven: SQS's move task, or message by message where the endpoint lacks it. */
  method: "move-task" | "message-by-message" | "re-invoke";
}

/**
 * Moves messages back for processing; `onProgress(done, total)` as it goes. Queue DLQs use SQS's
 * StartMessageMoveTask; function DLQs re-invoke the function asynchronously with the original event.
 */
export async function redrive(
  clients: Clients,
  dlq: Dlq,
  options: { max?: number; onProgress?: (done: number, total: number) => void },
): Promise<RedriveResult> {
  const { depth } = await depthOf(clients, dlq);
  const total = Math.min(depth, options.max ?? depth);
  // A move task moves everything; a --max redrive goes message by message.
  if (dlq.spec.source === "queue" && options.max === undefined) {
    const native = await moveTask(clients, dlq, total, options.onProgress);
    if (native) return native;
  }
  const result: RedriveResult = { moved: 0, failed: [], method: dlq.spec.source === "queue" ? "message-by-message" : "re-invoke" };
  while (result.moved + result.failed.length < total) {
    const { Messages } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.spec.url,
        MaxNumberOfMessages: Math.min(10, total - result.moved - result.failed.length),
        VisibilityTimeout: 60,
        MessageAttributeNames: ["All"],
      }),
    );
    if (!Messages?.length) break;
    for (const message of Messages) {
      try {
        await replay(clients, dlq.spec, message);
        // Only now, with the replacement accepted, does the DLQ copy go.
        await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq.spec.url, ReceiptHandle: message.ReceiptHandle! }));
        result.moved++;
      } catch (err) {
        result.failed.push({ messageId: message.MessageId, error: `${(err as Error).name}: ${(err as Error).message}` });
      }
      options.onProgress?.(result.moved + result.failed.length, total);
    }
  }
  return result;
}

async function replay(clients: Clients, spec: DlqOutput, message: Message): Promise<void> {
  if (spec.source === "schedule") {
    // EventBridge put the event itself here, with the target it could not invoke as an attribute.
    const target = message.MessageAttributes?.TARGET_ARN?.StringValue;
    if (!target) throw new Error("the message has no TARGET_ARN attribute, so there is no target to invoke again");
    const result = await clients.lambda.send(
      new InvokeCommand({ FunctionName: target, InvocationType: "Event", Payload: Buffer.from(message.Body ?? "null") }),
    );
    if (result.StatusCode !== 202) throw new Error(`Lambda did not accept the event (status ${result.StatusCode})`);
    return;
  }
  if (spec.source === "queue") {
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: spec.sourceUrl, MessageBody: message.Body!, MessageAttributes: message.MessageAttributes }),
    );
    return;
  }
  let body: any = message.Body;
  try {
    body = JSON.parse(message.Body ?? "null");
  } catch {
    throw new Error("the message is not JSON, so it is no event to re-invoke with");
  }
  const event = isFailureRecord(body) ? body.requestPayload : body;
  const result = await clients.lambda.send(
    new InvokeCommand({ FunctionName: spec.functionName, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }),
  );
  if (result.StatusCode !== 202) throw new Error(`Lambda did not accept the event (status ${result.StatusCode})`);
}

/** SQS's own move task, with progress; undefined where the endpoint does not offer it (the local emulator). */
async function moveTask(
  clients: Clients,
  dlq: Dlq,
  total: number,
  onProgress?: (done: number, total: number) => void,
): Promise<RedriveResult | undefined> {
  const arnOf = async (url: string) =>
    (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  const sourceArn = await arnOf(dlq.spec.url);
  const destinationArn = await arnOf((dlq.spec as Extract<DlqOutput, { source: "queue" }>).sourceUrl);
  try {
    await clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }));
  } catch (err) {
    if (/Unsupported|InvalidAction|UnknownOperation|NotImplemented|not supported/i.test(`${(err as Error).name} ${(err as Error).message}`))
      return undefined;
    throw err;
  }
  for (;;) {
    const { Results } = await clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = Results?.[0];
    onProgress?.(Number(task?.ApproximateNumberOfMessagesMoved ?? 0), total);
    if (!task || task.Status !== "RUNNING") {
      if (task?.Status === "FAILED") throw new Error(`the move task failed: ${task.FailureReason}`);
      return { moved: Number(task?.ApproximateNumberOfMessagesMoved ?? 0), failed: [], method: "move-task" };
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function purge(clients: Clients, dlq: Dlq): Promise<void> {
  await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: dlq.spec.url }));
}
