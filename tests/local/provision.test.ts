/**
 * What local/provision.ts makes in the real emulators (fauxqs, dynalite) from a model, read back
 * through the AWS SDK as a function would see it: each queue's attributes and redrive policy (its DLQ
 * made first, whatever the order declared), tables with their keys and indexes, objects from text and
 * from assets, topics; and each refusal named: a redrive cycle, a DLQ not in the graph, an asset kind
 * the local cloud does not upload.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { Emulators, startEmulators } from "../../local/emulators";
import type { LocalModel, LocalQueue, LocalTable } from "../../local/model";
import { Clients, provision } from "../../local/provision";

const REGION = "eu-west-1";
const CLOUD = "arn:aws:sqs:eu-west-1:123456789012";

describe("local cloud: provisioning the graph's queues, tables, objects and topics in the emulators", function () {
  let emulators: Emulators;
  let clients: Clients;
  let programDir: string;
  let n = 0;

  before(async () => {
    emulators = await startEmulators(REGION);
    const settings = { region: REGION, credentials: { accessKeyId: "local", secretAccessKey: "local" } };
    clients = {
      sqs: new SQSClient({ ...settings, endpoint: emulators.sqs }),
      sns: new SNSClient({ ...settings, endpoint: emulators.sns }),
      s3: new S3Client({ ...settings, endpoint: emulators.s3, forcePathStyle: true }),
      dynamodb: new DynamoDBClient({ ...settings, endpoint: emulators.dynamodb }),
    };
    programDir = fs.mkdtempSync(path.join(os.tmpdir(), "provision-"));
    fs.mkdirSync(path.join(programDir, "site"));
    fs.writeFileSync(path.join(programDir, "site", "index.html"), "<h1>from a file</h1>");
  });
  after(async () => {
    for (const client of Object.values(clients ?? {})) client.destroy();
    await emulators?.stop();
    fs.rmSync(programDir, { recursive: true, force: true });
  });

  /** A model holding only what provisioning reads. */
  const model = (parts: Partial<Pick<LocalModel, "queues" | "tables" | "buckets" | "objects" | "topics">>): LocalModel =>
    ({ programDir, queues: [], tables: [], buckets: [], objects: [], topics: [], ...parts }) as unknown as LocalModel;
  const queue = (name: string, extra: Partial<LocalQueue> = {}): LocalQueue => ({
    name,
    arn: `${CLOUD}:${name}`,
    cloudUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`,
    fifo: false,
    visibilityTimeoutSeconds: 30,
    ...extra,
  });
  const attributes = async (url: string) =>
    (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))).Attributes!;

  describe("queues", () => {
    it("makes each queue with its visibility, retention and delay, and leaves SQS's defaults where the graph sets none", async () => {
      const id = ++n;
      const { queueUrls } = await provision(
        model({
          queues: [
            queue(`tuned-${id}`, { visibilityTimeoutSeconds: 120, messageRetentionSeconds: 86400, delaySeconds: 5 }),
            queue(`plain-${id}`),
          ],
        }),
        clients,
      );
      expect(await attributes(queueUrls.get(`${CLOUD}:tuned-${id}`)!)).to.deep.include({
        VisibilityTimeout: "120",
        MessageRetentionPeriod: "86400",
        DelaySeconds: "5",
      });
      // SQS's own defaults: four days, no delay.
      expect(await attributes(queueUrls.get(`${CLOUD}:plain-${id}`)!)).to.deep.include({
        VisibilityTimeout: "30",
        MessageRetentionPeriod: "345600",
        DelaySeconds: "0",
      });
    });

    it("makes a FIFO queue FIFO, deduplicating by content only where the queue says so", async () => {
      const id = ++n;
      const { queueUrls } = await provision(
        model({
          queues: [queue(`orders-${id}.fifo`, { fifo: true }), queue(`hashed-${id}.fifo`, { fifo: true, contentBasedDeduplication: true })],
        }),
        clients,
      );
      expect(await attributes(queueUrls.get(`${CLOUD}:orders-${id}.fifo`)!)).to.deep.include({
        FifoQueue: "true",
        ContentBasedDeduplication: "false",
      });
      expect(await attributes(queueUrls.get(`${CLOUD}:hashed-${id}.fifo`)!)).to.deep.include({
        FifoQueue: "true",
        ContentBasedDeduplication: "true",
      });
    });

    it("makes a DLQ before the queue that redrives to it, whatever the order declared, and points the redrive at its local ARN", async () => {
      const id = ++n;
      const work = queue(`work-${id}`, { redrive: { deadLetterTargetArn: `${CLOUD}:work-${id}-dlq`, maxReceiveCount: 4 } });
      const { queueUrls, localArns } = await provision(model({ queues: [work, queue(`work-${id}-dlq`)] }), clients);
      const local = localArns.get(`${CLOUD}:work-${id}-dlq`)!;
      expect(local).to.match(new RegExp(`^arn:aws:sqs:eu-west-1:\\d{12}:work-${id}-dlq$`));
      expect(JSON.parse((await attributes(queueUrls.get(`${CLOUD}:work-${id}`)!)).RedrivePolicy!)).to.deep.equal({
        deadLetterTargetArn: local,
        maxReceiveCount: 4,
      });
      expect([...queueUrls.keys()]).to.deep.equal([`${CLOUD}:work-${id}-dlq`, `${CLOUD}:work-${id}`]);
    });

    it("refuses a redrive cycle, and a DLQ the graph does not hold, naming the queues", async () => {
      const id = ++n;
      const a = queue(`a-${id}`, { redrive: { deadLetterTargetArn: `${CLOUD}:b-${id}`, maxReceiveCount: 1 } });
      const b = queue(`b-${id}`, { redrive: { deadLetterTargetArn: `${CLOUD}:a-${id}`, maxReceiveCount: 1 } });
      const cycle = await provision(model({ queues: [queue(`c-${id}`), a, b] }), clients).catch((err: Error) => err.message);
      expect(cycle).to.equal(`queues a-${id}, b-${id} redrive to each other in a cycle`);
      const orphan = queue(`orphan-${id}`, { redrive: { deadLetterTargetArn: `${CLOUD}:elsewhere`, maxReceiveCount: 1 } });
      const missing = await provision(model({ queues: [orphan] }), clients).catch((err: Error) => err.message);
      expect(missing).to.equal(`queue orphan-${id}: its dead-letter target ${CLOUD}:elsewhere is not in the graph`);
    });
  });

  describe("tables", () => {
    const table = (name: string, extra: Partial<LocalTable> = {}): LocalTable => ({
      name,
      arn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${name}`,
      hashKey: "pk",
      attributes: [{ name: "pk", type: "S" }],
      globalSecondaryIndexes: [],
      localSecondaryIndexes: [],
      ...extra,
    });
    const describeTable = async (name: string) => (await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table!;

    it("makes a table on demand with its keys, and defines only the attributes a key or an index uses", async () => {
      const name = `orders-${++n}`;
      await provision(
        model({
          tables: [
            table(name, {
              rangeKey: "sk",
              attributes: [
                { name: "pk", type: "S" },
                { name: "sk", type: "N" },
                { name: "unused", type: "S" },
              ],
            }),
          ],
        }),
        clients,
      );
      const made = await describeTable(name);
      expect(made.BillingModeSummary?.BillingMode ?? "PAY_PER_REQUEST").to.equal("PAY_PER_REQUEST");
      expect(made.KeySchema).to.deep.equal([
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ]);
      expect(made.AttributeDefinitions).to.have.deep.members([
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "N" },
      ]);
      expect(made.GlobalSecondaryIndexes).to.equal(undefined);
      expect(made.LocalSecondaryIndexes).to.equal(undefined);
    });

    it("makes each index with its keys and projection: everything unless told, and the attributes an INCLUDE names", async () => {
      const name = `indexed-${++n}`;
      await provision(
        model({
          tables: [
            table(name, {
              rangeKey: "sk",
              attributes: [
                { name: "pk", type: "S" },
                { name: "sk", type: "S" },
                { name: "status", type: "S" },
                { name: "createdAt", type: "N" },
                { name: "customer", type: "S" },
              ],
              globalSecondaryIndexes: [
                { name: "by-status", hashKey: "status", rangeKey: "createdAt" },
                { name: "by-customer", hashKey: "customer", projectionType: "INCLUDE", nonKeyAttributes: ["total"] },
              ],
              localSecondaryIndexes: [{ name: "by-created", rangeKey: "createdAt", projectionType: "KEYS_ONLY" }],
            }),
          ],
        }),
        clients,
      );
      const made = await describeTable(name);
      const gsi = Object.fromEntries((made.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, [i.KeySchema, i.Projection]]));
      expect(gsi).to.deep.equal({
        "by-status": [
          [
            { AttributeName: "status", KeyType: "HASH" },
            { AttributeName: "createdAt", KeyType: "RANGE" },
          ],
          { ProjectionType: "ALL" },
        ],
        "by-customer": [[{ AttributeName: "customer", KeyType: "HASH" }], { ProjectionType: "INCLUDE", NonKeyAttributes: ["total"] }],
      });
      expect((made.LocalSecondaryIndexes ?? []).map((i) => [i.IndexName, i.KeySchema, i.Projection])).to.deep.equal([
        [
          "by-created",
          [
            { AttributeName: "pk", KeyType: "HASH" },
            { AttributeName: "createdAt", KeyType: "RANGE" },
          ],
          { ProjectionType: "KEYS_ONLY" },
        ],
      ]);
    });

    it("keeps a table that is there already (a persisted one), and passes on any other refusal", async () => {
      const name = `kept-${++n}`;
      await provision(model({ tables: [table(name)] }), clients);
      await provision(model({ tables: [table(name)] }), clients);
      expect((await describeTable(name)).TableName).to.equal(name);
      // A key attribute with no definition: DynamoDB refuses the table, and so does provisioning.
      const refused = await provision(model({ tables: [table(`bad-${++n}`, { attributes: [] })] }), clients).catch((err: Error) => err);
      expect(refused).to.be.instanceOf(Error);
      expect((refused as Error).name).to.equal("ValidationException");
    });
  });

  describe("buckets, objects and topics", () => {
    it("uploads text, a string asset and a file asset from the program's folder, with their content types", async () => {
      const bucket = `site-${++n}`;
      await provision(
        model({
          buckets: [{ name: bucket, arn: `arn:aws:s3:::${bucket}` }],
          objects: [
            { bucket, key: "plain.txt", source: "plain text", contentType: "text/plain" },
            { bucket, key: "asset.json", source: new pulumi.asset.StringAsset('{"from":"asset"}'), contentType: "application/json" },
            { bucket, key: "index.html", source: new pulumi.asset.FileAsset("site/index.html"), contentType: "text/html" },
          ],
        }),
        clients,
      );
      const get = async (key: string) => {
        const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return [await object.Body!.transformToString(), object.ContentType];
      };
      expect(await get("plain.txt")).to.deep.equal(["plain text", "text/plain"]);
      expect(await get("asset.json")).to.deep.equal(['{"from":"asset"}', "application/json"]);
      expect(await get("index.html")).to.deep.equal(["<h1>from a file</h1>", "text/html"]);
    });

    it("refuses an asset it cannot upload locally, naming the object", async () => {
      const bucket = `remote-${++n}`;
      for (const source of [new pulumi.asset.RemoteAsset("https://example.com/x"), { some: "object" }]) {
        const refused = await provision(
          model({
            buckets: [{ name: `${bucket}-${++n}`, arn: "arn:aws:s3:::x" }],
            objects: [{ bucket: `${bucket}-${n}`, key: "x", source }],
          }),
          clients,
        ).catch((err: Error) => err.message);
        expect(refused).to.equal(`object s3://${bucket}-${n}/x: only string content and string or file assets are uploaded locally`);
      }
    });

    it("makes each topic and maps its cloud ARN to the local one", async () => {
      const name = `alerts-${++n}`;
      const { localArns } = await provision(
        model({ topics: [{ name, arn: `arn:aws:sns:eu-west-1:123456789012:${name}`, subscriptions: [] }] }),
        clients,
      );
      const local = localArns.get(`arn:aws:sns:eu-west-1:123456789012:${name}`);
      const { Topics } = await clients.sns.send(new ListTopicsCommand({}));
      expect(Topics?.map((t) => t.TopicArn)).to.include(local);
      expect(local).to.match(new RegExp(`:${name}$`));
    });
  });
});
