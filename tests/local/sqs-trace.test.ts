/**
 * SQS's AWSTraceHeader in the local cloud's emulated SQS (local/sqs-trace.ts): a message keeps the trace
 * it was sent with, as SQS keeps it, through the real SDK: inside a function (AWS_LAMBDA_FUNCTION_NAME and
 * _X_AMZN_TRACE_ID set) the SDK sends X-Amzn-Trace-Id by itself; an explicit system attribute wins.
 */
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { Emulators, startEmulators } from "../../local/emulators";
import { IamProxy, startIamProxy } from "../../local/iam/proxy";
import type { IamAuthority } from "../../local/iam/authority";

const TRACE = "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1";
const OTHER = "Root=1-67a1b2c3-fedcba9876543210fedcba98;Parent=1111111111111111;Sampled=0";

describe("local cloud: SQS keeps each message's AWSTraceHeader", () => {
  let emulators: Emulators;
  let proxy: IamProxy;
  const saved = { fn: process.env.AWS_LAMBDA_FUNCTION_NAME, trace: process.env._X_AMZN_TRACE_ID };
  const restore = () => {
    for (const [key, value] of [
      ["AWS_LAMBDA_FUNCTION_NAME", saved.fn],
      ["_X_AMZN_TRACE_ID", saved.trace],
    ] as const)
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  };
  /** Runs `work` as code inside a function whose invocation carries `trace` would. */
  const insideFunction = async <T>(trace: string, work: () => Promise<T>): Promise<T> => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = "create-order";
    process.env._X_AMZN_TRACE_ID = trace;
    try {
      return await work();
    } finally {
      restore();
    }
  };

  before(async () => {
    emulators = await startEmulators("eu-west-1");
    proxy = await startIamProxy({
      authority: { functionForAccessKey: () => undefined } as unknown as IamAuthority,
      resolver: {} as never,
      upstream: { messaging: "http://127.0.0.1:1", dynamodb: "http://127.0.0.1:1" },
      messagingHandler: emulators.messagingHandler,
    });
  });
  after(async () => {
    restore();
    await proxy?.close();
    await emulators?.stop();
  });

  // Straight to fauxqs over loopback (--iam off), and handed in-process by the IAM proxy (--iam on).
  for (const route of ["over loopback", "through the IAM proxy"]) {
    describe(route, () => {
      let sqs: SQSClient;
      let queueUrl: string;
      before(async () => {
        const endpoint = route === "over loopback" ? emulators.sqs : `http://sqs.eu-west-1.localhost:${proxy.port}`;
        sqs = new SQSClient({ region: "eu-west-1", endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
        ({ QueueUrl: queueUrl } = (await sqs.send(new CreateQueueCommand({ QueueName: `traced-${route.replace(/\W/g, "")}` }))) as {
          QueueUrl: string;
        });
      });
      after(() => sqs.destroy());
      const receiveAll = async (names: { MessageSystemAttributeNames?: any[]; AttributeNames?: any[] }) => {
        const { Messages } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, ...names }),
        );
        return new Map((Messages ?? []).map((m) => [m.Body, m.Attributes?.AWSTraceHeader]));
      };

      it("gives each message the trace it was sent with, from the SDK's header or an explicit system attribute", async () => {
        await insideFunction(TRACE, () => sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "from-header" })));
        await insideFunction(TRACE, () =>
          sqs.send(
            new SendMessageCommand({
              QueueUrl: queueUrl,
              MessageBody: "explicit",
              MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: OTHER } },
            }),
          ),
        );
        await insideFunction(TRACE, () =>
          sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: [
                { Id: "a", MessageBody: "batch-header" },
                {
                  Id: "b",
                  MessageBody: "batch-explicit",
                  MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: OTHER } },
                },
              ],
            }),
          ),
        );
        // Outside a function the SDK sends no trace: the message has none.
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "untraced" }));

        const traces = await receiveAll({ MessageSystemAttributeNames: ["AWSTraceHeader"] });
        expect(Object.fromEntries(traces)).to.deep.equal({
          "from-header": TRACE,
          explicit: OTHER,
          "batch-header": TRACE,
          "batch-explicit": OTHER,
          untraced: undefined,
        });
      });

      it("answers it only when ReceiveMessage asks for it (by name or All, either parameter)", async () => {
        const asked = [{ MessageSystemAttributeNames: ["All"] }, { AttributeNames: ["All"] }, { AttributeNames: ["AWSTraceHeader"] }];
        for (const names of asked) expect((await receiveAll(names)).get("from-header"), JSON.stringify(names)).to.equal(TRACE);
        for (const names of [{}, { MessageSystemAttributeNames: ["SentTimestamp"] }])
          expect((await receiveAll(names)).get("from-header"), JSON.stringify(names)).to.equal(undefined);
      });

      it("answers a message's own attributes only when MessageAttributeNames asks for them, as SQS does", async () => {
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `attributed-${route.replace(/\W/g, "")}` }));
        await sqs.send(
          new SendMessageCommand({
            QueueUrl,
            MessageBody: "with attributes",
            MessageAttributes: {
              origin: { DataType: "String", StringValue: "checkout" },
              "trace.id": { DataType: "String", StringValue: "t-1" },
            },
          }),
        );
        const receive = async (MessageAttributeNames?: string[]) => {
          const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0, MessageAttributeNames }));
          const [message] = Messages ?? [];
          return { names: Object.keys(message?.MessageAttributes ?? {}).sort(), digest: message?.MD5OfMessageAttributes !== undefined };
        };
        expect(await receive()).to.deep.equal({ names: [], digest: false });
        expect(await receive([])).to.deep.equal({ names: [], digest: false });
        for (const all of [["All"], [".*"]])
          expect(await receive(all), all[0]).to.deep.equal({ names: ["origin", "trace.id"], digest: true });
        expect((await receive(["origin"])).names).to.deep.equal(["origin"]);
        expect((await receive(["trace.*"])).names).to.deep.equal(["trace.id"]);
      });
    });
  }
});

describe("local cloud: a queue's batch that meets a throttled function", function () {
  this.timeout(60_000);
  it("goes back to the queue, is received again, and is deleted once an invocation takes it", async () => {
    const { QueuePoller } = await import("../../local/queues");
    const emulators = await startEmulators("eu-west-1");
    const sqs = new SQSClient({
      region: "eu-west-1",
      endpoint: emulators.sqs,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "throttled-work", Attributes: { VisibilityTimeout: "30" } }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "job" }));
    // The function's reserved concurrency is in use for the first invocation only: Lambda's throttle, then a success.
    const events: any[] = [];
    const lambda = {
      mayPoll: () => true,
      invoke: async (_fn: string, event: any) => {
        events.push(event);
        return events.length === 1
          ? {
              requestId: "r1",
              durationMs: 0,
              throttled: true,
              error: { errorType: "TooManyRequestsException", errorMessage: "Rate Exceeded.", trace: [] },
            }
          : { requestId: "r2", durationMs: 1, payload: "null" };
      },
    };
    const poller = new QueuePoller(
      {
        queueArn: "arn:aws:sqs:eu-west-1:111111111111:throttled-work",
        functionName: "worker",
        batchSize: 10,
        batchingWindowSeconds: 0,
        reportBatchItemFailures: true,
        enabled: true,
      },
      {
        name: "throttled-work",
        arn: "arn:aws:sqs:eu-west-1:111111111111:throttled-work",
        cloudUrl: QueueUrl!,
        fifo: false,
        visibilityTimeoutSeconds: 30,
      },
      QueueUrl!,
      "eu-west-1",
      sqs,
      lambda as never,
      { retryVisibilitySeconds: 0, waitSeconds: 0 },
    );
    poller.start();
    try {
      for (let waited = 0; events.length < 2 && waited < 20_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await poller.stop();
    }
    expect(events.map((e) => e.Records.map((r: any) => [r.body, r.attributes.ApproximateReceiveCount]))).to.deep.equal([
      [["job", "1"]],
      [["job", "2"]],
    ]);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    expect(Messages ?? []).to.deep.equal([]);
    sqs.destroy();
    await emulators.stop();
  });
});
