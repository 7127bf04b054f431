/** --persist: a table's items, a queue's messages and a bucket's objects outlive a restart; without it, nothing does. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { restoreState } from "../../local/persist";
import type { LocalModel } from "../../local/model";
import type { Clients, Provisioned } from "../../local/provision";
import { eventually, ROOT } from "./harness";

const DATA = path.join(ROOT, ".build", "local", "dev", "data");
const ORDER = { customerId: "c-persist", items: [{ sku: "SKU-1", quantity: 1 }] };
const TRACE = "Root=1-6b0e7b11-9ae90ebc1ce8f1b9fc1a840c;Parent=53995c3f42cd8ad8;Sampled=1";

describe("local cloud: --persist", function () {
  this.timeout(120_000);
  let lines: string[];
  const start = (persist: boolean, asyncRetryBaseMs?: number) => {
    lines = [];
    return startLocalCloud({
      programDir: ROOT,
      stack: "dev",
      port: 0,
      stateFile: false,
      persist,
      asyncRetryBaseMs,
      write: (l) => lines.push(l),
    });
  };
  const clientsOf = (cloud: LocalCloud) => {
    const common = { region: cloud.model.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } };
    return {
      sqs: new SQSClient({ ...common, endpoint: cloud.environment.AWS_ENDPOINT_URL_SQS }),
      s3: new S3Client({ ...common, endpoint: cloud.environment.AWS_ENDPOINT_URL_S3, forcePathStyle: true }),
    };
  };
  const dlqUrl = (cloud: LocalCloud) => cloud.outputs.deadLetterQueues.orders.url as string;
  const archive = (cloud: LocalCloud) => cloud.model.buckets.find((b) => b.name.startsWith("logs-archive"))!.name;
  const depth = async (cloud: LocalCloud) => {
    const { sqs } = clientsOf(cloud);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl(cloud), AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    sqs.destroy();
    return Number(Attributes!.ApproximateNumberOfMessages);
  };

  before(() => fs.rmSync(DATA, { recursive: true, force: true }));
  after(() => fs.rmSync(DATA, { recursive: true, force: true }));

  it("keeps items, messages and objects across a restart", async () => {
    let cloud = await start(true);
    const created = await fetch(`${cloud.url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ORDER),
    });
    const { orderId } = (await created.json()) as { orderId: string };
    let clients = clientsOf(cloud);
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl(cloud),
        MessageBody: "poison",
        MessageAttributes: { why: { DataType: "String", StringValue: "test" } },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: TRACE } },
      }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: archive(cloud), Key: "2026/11/30/log.gz", Body: "archived", ContentType: "application/gzip" }),
    );
    clients.sqs.destroy();
    clients.s3.destroy();
    await cloud.stop();
    // The config document the program declares is an object of the config bucket too.
    expect(lines).to.include("Saved 1 message(s), 2 object(s) and 0 undelivered event(s) to .build/local/dev/data");

    cloud = await start(true);
    try {
      expect(lines.some((l) => l.includes("restored 1 message(s), 2 object(s) and 0 undelivered event(s)"))).to.equal(true);
      const order = (await (await fetch(`${cloud.url}/orders/${orderId}`)).json()) as { customerId: string };
      expect(order.customerId).to.equal("c-persist");
      expect(await depth(cloud)).to.equal(1);
      clients = clientsOf(cloud);
      // The message keeps its attributes and the trace it was sent with (fauxqs keeps no AWSTraceHeader itself).
      const received = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl(cloud),
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["AWSTraceHeader"],
        }),
      );
      expect(received.Messages?.map((m) => [m.Body, m.MessageAttributes?.why?.StringValue, m.Attributes?.AWSTraceHeader])).to.deep.equal([
        ["poison", "test", TRACE],
      ]);
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: archive(cloud), Key: "2026/11/30/log.gz" }));
      expect(await object.Body!.transformToString()).to.equal("archived");
      expect(object.ContentType).to.equal("application/gzip");
      clients.s3.destroy();
      clients.sqs.destroy();
    } finally {
      await cloud.stop();
    }
  });

  it("keeps an async event that waits for its retry, which takes up its retries after the restart", async () => {
    fs.rmSync(DATA, { recursive: true, force: true });
    // The first retry waits a minute: the stop comes before it.
    let cloud = await start(true, 60_000);
    const requestId = cloud.invokeAsync("daily-report", { faultInject: "dailyReport", marker: "persist-me" });
    await eventually(
      async () => (lines.some((l) => /-daily-report invoke \(async\) .*InjectedFault/.test(l)) ? true : undefined),
      "the first attempt",
      30,
    );
    await cloud.stop();
    expect(lines.find((l) => l.startsWith("Saved"))).to.match(/^Saved 0 message\(s\), \d+ object\(s\) and 1 undelivered event\(s\) to /);

    cloud = await start(true, 1);
    try {
      expect(lines.some((l) => /restored 0 message\(s\), \d+ object\(s\) and 1 undelivered event\(s\)/.test(l))).to.equal(true);
      // Retries 1 and 2 (the function's 2) run; the first attempt, made before the stop, does not run again.
      const record = await eventually(
        async () => {
          const { sqs } = clientsOf(cloud);
          const { Messages } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: cloud.outputs.deadLetterQueues.dailyReport.url as string, WaitTimeSeconds: 1 }),
          );
          sqs.destroy();
          return Messages?.[0] && JSON.parse(Messages[0].Body!);
        },
        "the failure record",
        30,
      );
      expect(record.requestContext).to.deep.include({ requestId, condition: "RetriesExhausted", approximateInvokeCount: 3 });
      expect(record.requestPayload).to.deep.equal({ faultInject: "dailyReport", marker: "persist-me" });
      const attempts = lines.filter((l) => /-daily-report invoke \(async/.test(l)).map((l) => / \((async[^)]*)\)/.exec(l)![1]);
      expect(attempts).to.deep.equal(["async retry 1", "async retry 2"]);
    } finally {
      await cloud.stop();
    }
    expect(lines.find((l) => l.startsWith("Saved"))).to.match(/ and 0 undelivered event\(s\) to /);
  });

  it("keeps nothing without it", async () => {
    const cloud = await start(false);
    try {
      expect(await depth(cloud)).to.equal(0);
      expect(lines.some((l) => l.startsWith("Persisting"))).to.equal(false);
    } finally {
      await cloud.stop();
    }
  });

  it("without it, a stop says which accepted events it drops, and retries none of them after", async () => {
    // An async invocation still running when the local cloud stops: the stop cuts it short.
    const printed: string[] = [];
    const cloud = await startLocalCloud({
      programDir: path.join(__dirname, "..", "fixtures", "echo-api"),
      stack: "test",
      port: 0,
      stateFile: false,
      asyncRetryBaseMs: 50,
      write: (l) => printed.push(l),
    });
    cloud.invokeAsync("echo", { queryStringParameters: { mode: "sleep", ms: "10000" } });
    await cloud.stop();
    expect(printed.filter((l) => l.startsWith("Stopping dropped"))).to.deep.equal([
      "Stopping dropped 1 accepted event(s) not yet delivered (1 async event(s) of echo); `npm start -- --persist` keeps them across restarts",
    ]);
    const atStop = printed.length;
    // Ten first-retry waits later, nothing has been invoked again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(printed.slice(atStop).filter((l) => l.includes("async retry"))).to.deep.equal([]);
  });

  it("refuses a state file it cannot read, naming it and what to do, and restores nothing from it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "persist-"));
    fs.writeFileSync(path.join(dir, "state.json"), '{"queues": {');
    // Nothing is read past the file: no model, clients or queues are needed to refuse it.
    const none = {} as never;
    const refused = await restoreState(dir, none as LocalModel, none as Clients, none as Provisioned).catch((err: Error) => err.message);
    expect(refused).to.match(
      new RegExp(
        `^${path.join(dir, "state.json")} is not the JSON --persist writes \\(.+\\); move it away to start without the saved state$`,
      ),
    );
    // JSON of another shape is refused alike, whole.
    for (const other of ["null", "[]", '{"queues": {}}', '{"queues": [], "objects": {}}']) {
      fs.writeFileSync(path.join(dir, "state.json"), other);
      const why = await restoreState(dir, none as LocalModel, none as Clients, none as Provisioned).catch((err: Error) => err.message);
      expect(why, other).to.equal(
        `${path.join(dir, "state.json")} is not the JSON --persist writes (it has no queues and objects to restore); move it away to start without the saved state`,
      );
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
