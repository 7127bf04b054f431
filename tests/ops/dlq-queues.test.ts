/**
 * The DLQ tool's queue work (ops/dlq.ts) against a real SQS emulator (fauxqs, as the local cloud runs it):
 * peeking past SQS's ten-message batches without consuming, describing a message, and redriving a queue
 * DLQ with and without --max. fauxqs has no StartMessageMoveTask; that path (and only it) answers from a
 * script of SQS's documented replies (ListMessageMoveTasks: RUNNING, COMPLETED, FAILED), wrapped around
 * the real client so every other call still reaches the emulator.
 */
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { Emulators, startEmulators } from "../../local/emulators";
import { Clients, Dlq, describe as describeMessage, peek, purge, redrive, status } from "../../ops/dlq";

const CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

describe("the DLQ tool against a real SQS emulator", function () {
  let emulators: Emulators;
  let sqs: SQSClient;
  let n = 0;

  before(async () => {
    emulators = await startEmulators("eu-west-1");
    sqs = new SQSClient({ region: "eu-west-1", endpoint: emulators.sqs, credentials: CREDENTIALS });
  });
  after(async () => {
    sqs?.destroy();
    await emulators?.stop();
  });

  /** A fresh source queue and its DLQ, holding `count` messages numbered from 0. */
  async function queueDlq(count: number): Promise<Dlq> {
    n++;
    const { QueueUrl: sourceUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `orders-${n}` }));
    const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: `orders-${n}-dlq` }));
    for (let i = 0; i < count; i++)
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: url!,
          MessageBody: JSON.stringify({ n: i }),
          MessageAttributes: { origin: { DataType: "String", StringValue: "checkout" } },
        }),
      );
    return { key: "orders", name: `orders-${n}-dlq`, spec: { url: url!, source: "queue", sourceUrl: sourceUrl! } };
  }
  const counts = async (url: string) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return {
      visible: Number(Attributes!.ApproximateNumberOfMessages),
      inFlight: Number(Attributes!.ApproximateNumberOfMessagesNotVisible),
    };
  };
  const bodies = async (url: string) => {
    const seen: number[] = [];
    for (;;) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
      if (!Messages?.length) return seen.sort((a, b) => a - b);
      seen.push(...Messages.map((m) => JSON.parse(m.Body!).n));
    }
  };
  /** The real clients, with SQS's move-task calls answered by `moveTask` and every call's name recorded. */
  function clients(moveTask?: (command: unknown) => unknown): Clients & { calls: string[] } {
    const calls: string[] = [];
    const send = async (command: any) => {
      calls.push(command.constructor.name);
      if (moveTask && (command instanceof StartMessageMoveTaskCommand || command instanceof ListMessageMoveTasksCommand))
        return moveTask(command);
      return sqs.send(command);
    };
    return { sqs: { send } as unknown as SQSClient, lambda: new LambdaClient({ region: "eu-west-1", credentials: CREDENTIALS }), calls };
  }

  describe("peek", () => {
    for (const [held, max, expected] of [
      [10, 10, 10], // one full batch: no empty visibility batch after it
      [15, 15, 15], // past one batch: two receives, two visibility batches of at most ten
      [15, 12, 12], // the second receive asks only for what is left
      [3, 10, 3], // fewer than asked: stops when the queue has no more
    ]) {
      it(`returns ${expected} of ${held} messages for at most ${max}, and leaves every one visible`, async () => {
        const dlq = await queueDlq(held);
        const peeked = await peek(clients(), dlq, max);
        expect(peeked).to.have.length(expected);
        expect(new Set(peeked.map((m) => m.MessageId)).size).to.equal(expected);
        expect(await counts(dlq.spec.url)).to.deep.equal({ visible: held, inFlight: 0 });
      });
    }

    it("brings each message's system and message attributes", async () => {
      const dlq = await queueDlq(1);
      const [message] = await peek(clients(), dlq, 1);
      expect(Number(message.Attributes?.SentTimestamp)).to.be.within(Date.now() - 60_000, Date.now());
      expect(message.Attributes?.ApproximateReceiveCount).to.equal("1");
      expect(message.MessageAttributes?.origin?.StringValue).to.equal("checkout");
    });
  });

  describe("describe", () => {
    it("gives the message's id, receive count, sent time, attributes and JSON body", async () => {
      const dlq = await queueDlq(1);
      await peek(clients(), dlq, 1);
      const [message] = await peek(clients(), dlq, 1);
      const described = describeMessage(message);
      expect(described).to.deep.equal({
        messageId: message.MessageId,
        receiveCount: 2,
        sentAt: new Date(Number(message.Attributes!.SentTimestamp)).toISOString(),
        attributes: { origin: "checkout" },
        body: { n: 0 },
      });
      expect(described).not.to.have.property("failure");
    });

    it("keeps a body that is not JSON as it is, and a message without attributes has none", () => {
      expect(describeMessage({ MessageId: "m-1", Body: "plain text" })).to.deep.equal({
        messageId: "m-1",
        receiveCount: 0,
        sentAt: undefined,
        attributes: {},
        body: "plain text",
      });
    });
  });

  describe("purge", () => {
    it("empties the DLQ", async () => {
      const dlq = await queueDlq(3);
      await purge(clients(), dlq);
      expect(await counts(dlq.spec.url)).to.deep.equal({ visible: 0, inFlight: 0 });
    });
  });

  describe("status", () => {
    it("gives the age of the oldest message it sees, not the newest", async () => {
      const dlq = await queueDlq(1);
      // The second message is sent over a second later, so whole seconds tell the two apart.
      await new Promise((r) => setTimeout(r, 1100));
      await sqs.send(new SendMessageCommand({ QueueUrl: dlq.spec.url, MessageBody: '{"n":1}' }));
      const result = await status(clients(), dlq);
      expect(result.depth).to.equal(2);
      expect(result.oldestSeenSeconds).to.be.at.least(1);
    });

    it("peeks nothing when the DLQ is empty, and gives no age", async () => {
      const dlq = await queueDlq(0);
      const tools = clients();
      const result = await status(tools, dlq);
      expect(result).to.deep.include({ depth: 0, inFlight: 0, oldestSeenSeconds: undefined });
      expect(tools.calls).to.deep.equal(["GetQueueAttributesCommand"]);
    });
  });

  describe("redrive of a queue DLQ", () => {
    it("with --max moves that many message by message, never starting a move task, with progress per message", async () => {
      const dlq = await queueDlq(5);
      const tools = clients(() => {
        throw new Error("a --max redrive must not start a move task");
      });
      const progress: [number, number][] = [];
      const result = await redrive(tools, dlq, { max: 3, onProgress: (done, total) => progress.push([done, total]) });
      expect(result).to.deep.equal({ moved: 3, failed: [], method: "message-by-message" });
      expect(progress).to.deep.equal([
        [1, 3],
        [2, 3],
        [3, 3],
      ]);
      expect(tools.calls).not.to.include("StartMessageMoveTaskCommand");
      expect(await counts(dlq.spec.url)).to.deep.equal({ visible: 2, inFlight: 0 });
      expect(await bodies((dlq.spec as { sourceUrl: string }).sourceUrl)).to.have.length(3);
    });

    it("two redrives of one DLQ at once move each message once, and each stops when the queue has no more to give", async () => {
      const dlq = await queueDlq(4);
      // Both read a depth of 4; whatever one receives is invisible to the other, which must stop, not poll forever.
      const results = await Promise.all([redrive(clients(), dlq, { max: 4 }), redrive(clients(), dlq, { max: 4 })]);
      expect(results.reduce((sum, r) => sum + r.moved, 0)).to.equal(4);
      expect(results.flatMap((r) => r.failed)).to.deep.equal([]);
      expect(await bodies((dlq.spec as { sourceUrl: string }).sourceUrl)).to.deep.equal([0, 1, 2, 3]);
    });

    it("keeps each message's attributes when it moves it back, and past ten moves exactly --max", async () => {
      const dlq = await queueDlq(15);
      expect(await redrive(clients(), dlq, { max: 12 })).to.deep.equal({ moved: 12, failed: [], method: "message-by-message" });
      expect(await counts(dlq.spec.url)).to.deep.equal({ visible: 3, inFlight: 0 });
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: (dlq.spec as { sourceUrl: string }).sourceUrl,
          MaxNumberOfMessages: 1,
          MessageAttributeNames: ["All"],
        }),
      );
      expect(Messages?.[0].MessageAttributes?.origin?.StringValue).to.equal("checkout");
    });

    it("with a --max above the depth moves what there is", async () => {
      const dlq = await queueDlq(2);
      const result = await redrive(clients(), dlq, { max: 50 });
      expect(result).to.deep.equal({ moved: 2, failed: [], method: "message-by-message" });
      expect(await bodies((dlq.spec as { sourceUrl: string }).sourceUrl)).to.deep.equal([0, 1]);
    });

    it("without --max falls back to message by message where the endpoint has no move task (fauxqs), moving all", async () => {
      const dlq = await queueDlq(12);
      const tools = clients();
      const result = await redrive(tools, dlq, {});
      expect(result).to.deep.equal({ moved: 12, failed: [], method: "message-by-message" });
      expect(tools.calls).to.include("StartMessageMoveTaskCommand");
      expect(await counts(dlq.spec.url)).to.deep.equal({ visible: 0, inFlight: 0 });
      expect(await bodies((dlq.spec as { sourceUrl: string }).sourceUrl)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    });

    it("without --max uses SQS's move task from the DLQ to its source queue, polling until it ends, with progress", async () => {
      const dlq = await queueDlq(5);
      const started: unknown[] = [];
      const answers = [
        { Status: "RUNNING", ApproximateNumberOfMessagesMoved: 2 },
        { Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 5 },
      ];
      const tools = clients((command: any) => {
        if (command instanceof StartMessageMoveTaskCommand) return (started.push(command.input), { TaskHandle: "task-1" });
        return { Results: [answers.shift()] };
      });
      const progress: [number, number][] = [];
      const result = await redrive(tools, dlq, { onProgress: (done, total) => progress.push([done, total]) });
      expect(result).to.deep.equal({ moved: 5, failed: [], method: "move-task" });
      expect(progress).to.deep.equal([
        [2, 5],
        [5, 5],
      ]);
      expect(started).to.have.length(1);
      const { SourceArn, DestinationArn } = started[0] as { SourceArn: string; DestinationArn: string };
      expect([SourceArn.split(":").pop(), DestinationArn.split(":").pop()]).to.deep.equal([dlq.name, dlq.name.replace(/-dlq$/, "")]);
      expect(SourceArn).to.match(/^arn:aws:sqs:eu-west-1:\d{12}:/);
      // The move task moved them, not this tool: nothing was received here.
      expect(tools.calls).not.to.include("ReceiveMessageCommand");
    });

    it("says why a move task failed, and reports no move when SQS lists no task", async () => {
      const dlq = await queueDlq(1);
      const failing = clients((command) =>
        command instanceof StartMessageMoveTaskCommand
          ? {}
          : { Results: [{ Status: "FAILED", FailureReason: "AWS.SimpleQueueService.NonExistentQueue" }] },
      );
      let error: Error | undefined;
      await redrive(failing, dlq, {}).catch((err) => (error = err));
      expect(error?.message).to.equal("the move task failed: AWS.SimpleQueueService.NonExistentQueue");
      const none = clients((command) => (command instanceof StartMessageMoveTaskCommand ? {} : { Results: [] }));
      const progress: [number, number][] = [];
      expect(await redrive(none, dlq, { onProgress: (done, total) => progress.push([done, total]) })).to.deep.equal({
        moved: 0,
        failed: [],
        method: "move-task",
      });
      expect(progress).to.deep.equal([[0, 1]]);
      // An answer that leaves the list out altogether means the same.
      const listed: unknown[] = [];
      const silent = clients((command: any) => (command instanceof StartMessageMoveTaskCommand ? {} : (listed.push(command.input), {})));
      expect(await redrive(silent, dlq, {})).to.deep.equal({ moved: 0, failed: [], method: "move-task" });
      expect(listed).to.have.length(1);
      expect(listed[0]).to.deep.include({ MaxResults: 1 });
      expect((listed[0] as { SourceArn: string }).SourceArn).to.match(new RegExp(`:${dlq.name}$`));
    });

    it("passes on an error starting the move task that is not the endpoint lacking it, and moves nothing itself", async () => {
      const dlq = await queueDlq(2);
      const denied = Object.assign(new Error("User is not authorized to perform sqs:StartMessageMoveTask"), { name: "AccessDenied" });
      const tools = clients(() => {
        throw denied;
      });
      let error: Error | undefined;
      await redrive(tools, dlq, {}).catch((err) => (error = err));
      expect(error).to.equal(denied);
      expect(await counts(dlq.spec.url)).to.deep.equal({ visible: 2, inFlight: 0 });
    });
  });

  describe("redrive of an EventBridge or function DLQ", () => {
    /** Lambda answering an asynchronous invoke with `statusCode` (202 is accepted, anything else is not), each invoke recorded. */
    const invoked: { FunctionName?: string; InvocationType?: string; Payload?: string }[] = [];
    const lambdaAnswering = (statusCode: number) =>
      ({
        send: async (command: unknown) => {
          if (!(command instanceof InvokeCommand)) return undefined;
          const { FunctionName, InvocationType, Payload } = command.input;
          invoked.push({ FunctionName, InvocationType, Payload: Buffer.from(Payload as Uint8Array).toString("utf8") });
          return { StatusCode: statusCode };
        },
      }) as unknown as LambdaClient;

    it("counts a failed message toward --max: past ten it takes no more than asked, even when every one fails", async () => {
      const held = await queueDlq(15);
      const result = await redrive(
        { sqs, lambda: lambdaAnswering(202) },
        { ...held, spec: { url: held.spec.url, source: "schedule" } },
        { max: 12 },
      );
      expect([result.moved, result.failed.length]).to.deep.equal([0, 12]);
      // The failed ones stay in the DLQ, out of sight for the visibility timeout; the three not asked for are untouched.
      expect(await counts(held.spec.url)).to.deep.equal({ visible: 3, inFlight: 12 });
    });

    it("schedule: invokes the target its TARGET_ARN names, asynchronously, with the event as it was; keeps one that names none", async () => {
      const held = await queueDlq(0);
      const target = "arn:aws:lambda:eu-west-1:000000000000:function:warm";
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: held.spec.url,
          MessageBody: '{"detail":"tick"}',
          MessageAttributes: { TARGET_ARN: { DataType: "String", StringValue: target } },
        }),
      );
      await sqs.send(new SendMessageCommand({ QueueUrl: held.spec.url, MessageBody: '{"detail":"orphan"}' }));
      // Attributes, but not the target's: as kept, it names none either.
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: held.spec.url,
          MessageBody: '{"detail":"ruled"}',
          MessageAttributes: { RULE_ARN: { DataType: "String", StringValue: "arn:aws:events:eu-west-1:000000000000:rule/r" } },
        }),
      );
      invoked.length = 0;
      const progress: [number, number][] = [];
      const result = await redrive(
        { sqs, lambda: lambdaAnswering(202) },
        { ...held, spec: { url: held.spec.url, source: "schedule" } },
        { onProgress: (done, total) => progress.push([done, total]) },
      );
      expect(invoked).to.deep.equal([{ FunctionName: target, InvocationType: "Event", Payload: '{"detail":"tick"}' }]);
      expect(result.moved).to.equal(1);
      expect(result.failed.map((f) => f.error)).to.deep.equal([
        "Error: the message has no TARGET_ARN attribute, so there is no target to invoke again",
        "Error: the message has no TARGET_ARN attribute, so there is no target to invoke again",
      ]);
      // Each message counts once it is done with, moved or failed.
      expect(progress.map(([done]) => done)).to.deep.equal([1, 2, 3]);
      expect(progress.every(([, total]) => total === 3)).to.equal(true);
    });

    for (const source of ["schedule", "function"] as const) {
      it(`${source}: keeps a message whose re-invoke Lambda did not accept with 202, naming the status`, async () => {
        const held = await queueDlq(0);
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: held.spec.url,
            MessageBody: JSON.stringify({ detail: "tick" }),
            MessageAttributes: { TARGET_ARN: { DataType: "String", StringValue: "arn:aws:lambda:eu-west-1:000000000000:function:warm" } },
          }),
        );
        const dlq: Dlq = {
          ...held,
          spec: source === "schedule" ? { url: held.spec.url, source } : { url: held.spec.url, source, functionName: "daily-report" },
        };
        const progress: number[] = [];
        const refused = await redrive({ sqs, lambda: lambdaAnswering(200) }, dlq, { onProgress: (done) => progress.push(done) });
        expect(progress).to.deep.equal([1]);
        expect(refused.moved).to.equal(0);
        expect(refused.failed.map((f) => f.error)).to.deep.equal(["Error: Lambda did not accept the event (status 200)"]);
        expect(await counts(dlq.spec.url)).to.deep.equal({ visible: 0, inFlight: 1 });
      });
    }
  });
});
