/**
 * Event sources in the local cloud (tests/fixtures/events-program): S3 notifications, SNS subscriptions
 * and EventBridge rules on a custom bus, each delivered in AWS's event shape, filtered as configured, and
 * only where the function's permission or the queue's policy lets the service deliver.
 */
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DeleteQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { eventually, ROOT } from "./harness";

describe("local cloud: event sources (fixture events-program)", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let lines: string[];
  let clients: { s3: S3Client; sns: SNSClient; sqs: SQSClient; dynamodb: DynamoDBClient };

  before(async () => {
    lines = [];
    cloud = await startLocalCloud({
      programDir: `${ROOT}/tests/fixtures/events-program`,
      stack: "test",
      port: 0,
      stateFile: false,
      asyncRetryBaseMs: 10,
      write: (l) => lines.push(l),
    });
    const common = { region: "eu-west-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
    clients = {
      s3: new S3Client({ ...common, endpoint: cloud.environment.AWS_ENDPOINT_URL_S3, forcePathStyle: true }),
      sns: new SNSClient({ ...common, endpoint: cloud.environment.AWS_ENDPOINT_URL_SNS }),
      sqs: new SQSClient({ ...common, endpoint: cloud.environment.AWS_ENDPOINT_URL_SQS }),
      dynamodb: new DynamoDBClient({ ...common, endpoint: cloud.environment.AWS_ENDPOINT_URL_DYNAMODB }),
    };
  });
  after(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await cloud?.stop();
  });

  /** The events the recorder (or the closure) stored, parsed, that match `select`. */
  const recorded = async (select: (event: any, via: string) => boolean) => {
    const { Items } = await clients.dynamodb.send(new ScanCommand({ TableName: cloud.outputs.tableName }));
    return (Items ?? []).map((i) => ({ event: JSON.parse(i.event.S!), via: i.via.S! })).filter((r) => select(r.event, r.via));
  };
  const waitFor = (what: string, select: (event: any, via: string) => boolean) =>
    eventually(async () => ((await recorded(select)).length > 0 ? (await recorded(select))[0] : undefined), what, 100);
  const put = (bucket: string, key: string) => clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "hello" }));
  const drain = async (url: string) =>
    (await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];

  it("delivers an object created under the prefix and with the suffix as S3's event, and nothing else", async () => {
    await put(cloud.outputs.uploadsBucket, "out/skip.txt");
    await put(cloud.outputs.uploadsBucket, "in/skip.csv");
    await put(cloud.outputs.uploadsBucket, "in/report 1.txt");
    const { event } = await waitFor("the upload's event", (e) => e.Records?.[0]?.s3?.object?.key?.startsWith("in/report"));
    const record = event.Records[0];
    expect(record).to.deep.include({ eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "eu-west-1", eventName: "ObjectCreated:Put" });
    expect(record.s3).to.deep.include({ s3SchemaVersion: "1.0", configurationId: "incoming" });
    expect(record.s3.bucket).to.deep.include({ name: cloud.outputs.uploadsBucket, arn: `arn:aws:s3:::${cloud.outputs.uploadsBucket}` });
    expect(record.s3.object).to.deep.include({ key: "in/report+1.txt", size: 5 });
    expect(record.s3.object.eTag).to.match(/^[0-9a-f]{32}$/);
    const keys = (await recorded((e) => e.Records?.[0]?.eventSource === "aws:s3")).map((r) => r.event.Records[0].s3.object.key);
    expect(keys).to.not.include.members(["out/skip.txt", "in/skip.csv"]);
  });

  it("delivers through the BucketNotification that bucket.onObjectCreated makes, to its closure", async () => {
    await put(cloud.outputs.photosBucket, "cat.jpg");
    const { event, via } = await waitFor(
      "the closure's record",
      (e, v) => v === "closure" && e.Records?.[0]?.s3?.object?.key === "cat.jpg",
    );
    expect(via).to.equal("closure");
    expect(event.Records[0].eventName).to.equal("ObjectCreated:Put");
  });

  it("delivers SNS messages to the function as SNS's event, through its filter policy", async () => {
    const attributes = (kind: string) => ({ kind: { DataType: "String", StringValue: kind } });
    await clients.sns.send(
      new PublishCommand({ TopicArn: cloud.outputs.newsTopic, Message: "filtered out", MessageAttributes: attributes("bad") }),
    );
    await clients.sns.send(
      new PublishCommand({ TopicArn: cloud.outputs.newsTopic, Message: "good news", Subject: "hi", MessageAttributes: attributes("good") }),
    );
    const { event } = await waitFor(
      "the SNS event",
      (e) => e.Records?.[0]?.EventSource === "aws:sns" && e.Records[0].Sns.Message === "good news",
    );
    const record = event.Records[0];
    expect(record.EventVersion).to.equal("1.0");
    expect(record.Sns).to.deep.include({ Type: "Notification", Subject: "hi", Message: "good news" });
    // The topic's cloud ARN, as the function would see it in AWS.
    expect(record.Sns.TopicArn).to.match(/^arn:aws:sns:eu-west-1:123456789012:news-[0-9a-f]{7}$/);
    expect(record.Sns.MessageAttributes.kind).to.deep.equal({ Type: "String", Value: "good" });
    expect(record.EventSubscriptionArn).to.match(/^arn:aws:sns:eu-west-1:123456789012:news-[0-9a-f]{7}:/);
    expect(await recorded((e) => e.Records?.[0]?.Sns?.Message === "filtered out")).to.deep.equal([]);
  });

  it("delivers SNS messages raw to the queue that asks for it, and what SNS may not deliver to its subscriptions' dead-letter queue", async () => {
    await clients.sns.send(
      new PublishCommand({
        TopicArn: cloud.outputs.newsTopic,
        Message: "raw body",
        MessageAttributes: { kind: { DataType: "String", StringValue: "any" } },
      }),
    );
    const copies = await eventually(async () => {
      const messages = (await drain(cloud.outputs.copiesUrl)).map((m) => m.Body);
      return messages.includes("raw body") ? messages : undefined;
    }, "the raw copy");
    expect(copies).to.include("raw body");
    // The closed queue (its policy keeps SNS out) and the function SNS may not invoke: each a client-side error,
    // so SNS puts the message, as it would have sent it, in their subscriptions' dead-letter queue at once.
    // Earlier messages to the topic are there too: the ones of this test are kept, across drains.
    const dead: any[] = [];
    await eventually(async () => {
      dead.push(...(await drain(cloud.outputs.newsDeadUrl)).map((m) => JSON.parse(m.Body!)).filter((b) => b.Message === "raw body"));
      return dead.length >= 2 ? dead : undefined;
    }, "both dead letters");
    expect(dead).to.have.length(2);
    for (const envelope of dead)
      expect(envelope).to.deep.include({ Type: "Notification", Message: "raw body", TopicArn: cloud.outputs.newsTopic });
    expect(await drain(cloud.outputs.closedUrl)).to.deep.equal([]);
    expect(
      lines.some((l) =>
        /^AccessDenied sns news-[0-9a-f]{7}: sns\.amazonaws\.com may not sqs:SendMessage on .*news-closed-[0-9a-f]{7} for /.test(l),
      ),
    ).to.equal(true);
    expect(
      lines.filter((l) =>
        /→ .*news-closed-[0-9a-f]{7}: SNS may not deliver there, a client-side error .* dead-letter queue .*news-dead-/.test(l),
      ),
    ).to.have.length(1);
    expect(
      lines.filter((l) => /→ .*photo-handler.*: SNS may not deliver there, a client-side error .* dead-letter queue .*news-dead-/.test(l)),
    ).to.have.length(1);
  });

  it("matches PutEvents on the custom bus against the rule's pattern, delivers to the function and the queue, and what it cannot deliver to that target's DLQ", async () => {
    const publish = async (entries: object[]) =>
      JSON.parse((await cloud.invoke(cloud.outputs.recorderName, { publish: entries })).payload!);
    const small = {
      Source: "shop",
      DetailType: "OrderPlaced",
      Detail: JSON.stringify({ orderId: "small", total: 20 }),
      EventBusName: cloud.outputs.busName,
    };
    const big = { ...small, Detail: JSON.stringify({ orderId: "big", total: 250 }) };
    const result = await publish([small, big]);
    expect(result.ok).to.equal(true);
    expect(result.result.FailedEntryCount).to.equal(0);
    expect(result.result.Entries.map((e: { EventId?: string }) => typeof e.EventId)).to.deep.equal(["string", "string"]);
    const { event } = await waitFor("the big order's event", (e) => e.detail?.orderId === "big");
    expect(event).to.deep.include({
      version: "0",
      source: "shop",
      "detail-type": "OrderPlaced",
      account: "123456789012",
      region: "eu-west-1",
    });
    const queued = await eventually(async () => {
      const bodies = (await drain(cloud.outputs.bigOrdersUrl)).map((m) => JSON.parse(m.Body!));
      return bodies.length ? bodies : undefined;
    }, "the queue target's message");
    // The queue target's inputPath is $.detail.
    expect(queued).to.deep.equal([{ orderId: "big", total: 250 }]);
    expect(await recorded((e) => e.detail?.orderId === "small")).to.deep.equal([]);
    // The closed queue's policy keeps EventBridge out: the event goes to that target's DLQ, unretried, with what failed.
    const dead = await eventually(async () => {
      const messages = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: cloud.outputs.bigDlqUrl, MessageAttributeNames: ["All"], WaitTimeSeconds: 1 }),
      );
      return messages.Messages?.length ? messages.Messages : undefined;
    }, "the undelivered event in the target's DLQ");
    expect(dead).to.have.length(1);
    const rule = cloud.model.eventRules.find((r) => r.arn === cloud.outputs.bigOrdersRule)!;
    const closedArn = rule.targets.find((t) => t.deadLetterArn)!.arn;
    expect(Object.fromEntries(Object.entries(dead[0].MessageAttributes!).map(([k, v]) => [k, v.StringValue]))).to.deep.equal({
      RULE_ARN: cloud.outputs.bigOrdersRule,
      TARGET_ARN: closedArn,
      ERROR_CODE: "NO_PERMISSIONS",
      ERROR_MESSAGE: `EventBridge may not sqs:SendMessage on ${closedArn}`,
      RETRY_ATTEMPTS: "0",
    });
    expect(JSON.parse(dead[0].Body!)).to.deep.include({
      source: "shop",
      "detail-type": "OrderPlaced",
      detail: { orderId: "big", total: 250 },
    });
    expect(await drain(cloud.outputs.bigClosedUrl)).to.deep.equal([]);
    expect(lines).to.include(`eventbridge ${rule.name}: the event for ${closedArn} went to its DLQ (NO_PERMISSIONS)`);
  });

  it("sends each target what its input transformer makes of the event: a string template's text, a JSON template's JSON", async () => {
    const detail = { orderId: "n-1", total: 42, items: [{ sku: "tea" }, { sku: "cup" }] };
    await cloud.invoke(cloud.outputs.recorderName, {
      publish: [{ Source: "shop", DetailType: "OrderNoted", Detail: JSON.stringify(detail), EventBusName: cloud.outputs.busName }],
    });
    const bodies = await eventually(async () => {
      const got = (await drain(cloud.outputs.notesUrl)).map((m) => m.Body!);
      return got.length === 2 ? got : undefined;
    }, "both targets' messages");
    const rule = cloud.model.eventRules.find((r) => r.arn === cloud.outputs.notedOrdersRule)!;
    const text = bodies.find((b) => !b.startsWith("{"));
    expect(text).to.equal(`order n-1 came to 42, first tea, by ${rule.name}`);
    const json = JSON.parse(bodies.find((b) => b.startsWith("{"))!);
    expect(json).to.deep.include({ order: "n-1", total: 42, note: "order n-1", absent: "" });
    expect(json.source).to.deep.include({ source: "shop", "detail-type": "OrderNoted", detail });
    // Minified, as EventBridge passes JSON on.
    expect(bodies.find((b) => b.startsWith("{"))).to.not.include(": ");
  });

  it("reads each rule target's retry policy, EventBridge's default where it sets none", () => {
    const policies = cloud.model.eventRules
      .filter((r) => r.arn === cloud.outputs.bigOrdersRule || r.arn === cloud.outputs.goneOrdersRule)
      .flatMap((r) => r.targets.map((t) => ({ rule: r.name.split("-")[0], policy: t.retryPolicy })));
    expect(policies).to.have.deep.members([
      { rule: "big", policy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 } },
      { rule: "big", policy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 } },
      { rule: "big", policy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 } },
      { rule: "gone", policy: { maximumRetryAttempts: 3, maximumEventAgeSeconds: 120 } },
    ]);
  });

  it("puts the event for a queue that no longer exists in the target's DLQ at once, as NO_RESOURCE, though its policy allows retries", async () => {
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: cloud.outputs.goneOrdersUrl }));
    const result = JSON.parse(
      (
        await cloud.invoke(cloud.outputs.recorderName, {
          publish: [
            { Source: "shop", DetailType: "OrderGone", Detail: JSON.stringify({ orderId: "gone" }), EventBusName: cloud.outputs.busName },
          ],
        })
      ).payload!,
    );
    expect(result.result.FailedEntryCount).to.equal(0);
    const dead = await eventually(async () => {
      const messages = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: cloud.outputs.goneDlqUrl, MessageAttributeNames: ["All"], WaitTimeSeconds: 1 }),
      );
      return messages.Messages?.length ? messages.Messages : undefined;
    }, "the event for the deleted queue in the target's DLQ");
    const rule = cloud.model.eventRules.find((r) => r.arn === cloud.outputs.goneOrdersRule)!;
    const queueArn = rule.targets[0].arn;
    const attributes = Object.fromEntries(Object.entries(dead[0].MessageAttributes!).map(([k, v]) => [k, v.StringValue]));
    expect(attributes).to.include({
      RULE_ARN: cloud.outputs.goneOrdersRule,
      TARGET_ARN: queueArn,
      ERROR_CODE: "NO_RESOURCE",
      RETRY_ATTEMPTS: "0",
    });
    expect(attributes.ERROR_MESSAGE).to.match(/queue/i);
    expect(JSON.parse(dead[0].Body!)).to.deep.include({ "detail-type": "OrderGone", detail: { orderId: "gone" } });
    // Tried once: with 10 ms between retries, three retries would have been made by now.
    await new Promise((r) => setTimeout(r, 200));
    expect(lines.filter((l) => l.startsWith(`eventbridge ${rule.name}: could not deliver to ${queueArn}`))).to.have.length(1);
    expect(lines).to.include(`eventbridge ${rule.name}: the event for ${queueArn} went to its DLQ (NO_RESOURCE)`);
  });

  it("fails a PutEvents entry EventBridge would fail, and refuses the call without events:PutEvents on the bus", async () => {
    const publish = async (entries: object[]) =>
      JSON.parse((await cloud.invoke(cloud.outputs.recorderName, { publish: entries })).payload!);
    const result = await publish([
      { Source: "shop", DetailType: "OrderPlaced", Detail: "not json", EventBusName: cloud.outputs.busName },
      { Source: "shop", DetailType: "OrderPlaced", Detail: "{}", EventBusName: "no-such-bus" },
    ]);
    expect(result.result.FailedEntryCount).to.equal(2);
    expect(result.result.Entries).to.deep.equal([
      { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
      { ErrorCode: "ResourceNotFoundException", ErrorMessage: "Event bus no-such-bus does not exist." },
    ]);
    // The role may put events on its bus only: an entry for the default bus fails; a call for it alone is refused.
    const mixed = await publish([
      { Source: "shop", DetailType: "X", Detail: "{}", EventBusName: "default" },
      { Source: "shop", DetailType: "X", Detail: "{}", EventBusName: cloud.outputs.busName },
    ]);
    expect(mixed.result.FailedEntryCount).to.equal(1);
    expect(mixed.result.Entries[0].ErrorCode).to.equal("AccessDeniedException");
    expect(typeof mixed.result.Entries[1].EventId).to.equal("string");
    const denied = await publish([{ Source: "shop", DetailType: "X", Detail: "{}", EventBusName: "default" }]);
    expect(denied).to.include({ ok: false, error: "AccessDeniedException" });
    expect(denied.message).to.match(
      /is not authorized to perform: events:PutEvents on resource: arn:aws:events:eu-west-1:123456789012:event-bus\/default because no identity-based policy allows the events:PutEvents action$/,
    );
  });

  describe("schedules to queues", () => {
    const scheduleNamed = (prefix: string) => cloud.model.schedules.find((s) => s.name.startsWith(prefix))!;
    const receive = (url: string) =>
      eventually(async () => {
        const { Messages } = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MessageAttributeNames: ["All"],
            MessageSystemAttributeNames: ["All"],
            WaitTimeSeconds: 1,
          }),
        );
        return Messages?.length ? Messages : undefined;
      }, `a message in ${url}`);

    it("lists a schedule's queue as its target, and reads the targets' retry policies and message groups", () => {
      const ordered = scheduleNamed("ordered-jobs-schedule");
      expect(ordered.kind).to.equal("scheduler");
      expect(ordered.targets[0]).to.deep.include({
        messageGroupId: "nightly",
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 },
      });
      const table = lines.find((l) => l.includes(ordered.name));
      expect(table).to.match(/→ ordered-jobs\.fifo$/);
      expect(table).to.not.include("not run locally");
    });

    it("delivers a scheduled rule's event to its queue, as EventBridge, through the queue's policy", async () => {
      expect(cloud.fireSchedule(scheduleNamed("nightly-jobs").name)).to.deep.equal([]);
      const [message] = await receive(cloud.outputs.jobsUrl);
      expect(JSON.parse(message.Body!)).to.deep.equal({ job: "nightly" });
    });

    it("delivers a Scheduler schedule's event with its role, to a FIFO queue in the message group the target names", async () => {
      cloud.fireSchedule(scheduleNamed("ordered-jobs-schedule").name);
      const [message] = await receive(cloud.outputs.orderedJobsUrl);
      expect(message.Body).to.equal('{ "job": "ordered" }');
      expect(message.Attributes).to.deep.include({ MessageGroupId: "nightly" });
    });

    it("puts the input whose schedule's role may not send in the schedule's DLQ, in the Scheduler's format, and nothing in the queue", async () => {
      const schedule = scheduleNamed("refused-jobs-schedule");
      const before = Date.now();
      cloud.fireSchedule(schedule.name);
      const [dead] = await receive(cloud.outputs.refusedDlqUrl);
      expect(dead.Body).to.equal("Hello world!");
      const attributes = Object.fromEntries(Object.entries(dead.MessageAttributes!).map(([k, v]) => [k, v.StringValue]));
      const target = schedule.targets[0].functionArn;
      expect(Object.keys(attributes).sort()).to.deep.equal([
        "ERROR_CODE",
        "ERROR_MESSAGE",
        "EXECUTION_ID",
        "IS_PAYLOAD_TRUNCATED",
        "RETRY_ATTEMPTS",
        "SCHEDULED_TIME",
        "SCHEDULE_ARN",
        "TARGET_ARN",
      ]);
      expect(attributes).to.include({
        ERROR_CODE: "AccessDenied",
        ERROR_MESSAGE: `${schedule.targets[0].roleArn} may not sqs:SendMessage on ${target}`,
        IS_PAYLOAD_TRUNCATED: "false",
        RETRY_ATTEMPTS: "0",
        SCHEDULE_ARN: schedule.arn,
        TARGET_ARN: target,
      });
      expect(Date.parse(attributes.SCHEDULED_TIME!)).to.be.within(Math.floor(before / 1000) * 1000, Date.now());
      expect(await drain(cloud.outputs.refusedJobsUrl)).to.deep.equal([]);
      expect(lines.some((l) => l.includes("AccessDenied") && l.includes("its target role") && l.includes("sqs:SendMessage"))).to.equal(
        true,
      );
    });
  });
});
