/** --persist: a table's items, a queue's messages and a bucket's objects outlive a restart; without it, nothing does. */
import * as fs from "fs";
import * as path from "path";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { ROOT } from "./harness";

const DATA = path.join(ROOT, ".build", "local", "dev", "data");
const ORDER = { customerId: "c-persist", items: [{ sku: "SKU-1", quantity: 1 }] };

describe("local cloud: --persist", function () {
  this.timeout(120_000);
  let lines: string[];
  const start = (persist: boolean) => {
    lines = [];
    return startLocalCloud({ programDir: ROOT, stack: "dev", port: 0, stateFile: false, persist, write: (l) => lines.push(l) });
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
      }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: archive(cloud), Key: "2026/11/30/log.gz", Body: "archived", ContentType: "application/gzip" }),
    );
    clients.sqs.destroy();
    clients.s3.destroy();
    await cloud.stop();
    // The config document the program declares is an object of the config bucket too.
    expect(lines).to.include("Saved 1 message(s) and 2 object(s) to .build/local/dev/data");

    cloud = await start(true);
    try {
      expect(lines.some((l) => l.includes("restored 1 message(s) and 2 object(s)"))).to.equal(true);
      const order = (await (await fetch(`${cloud.url}/orders/${orderId}`)).json()) as { customerId: string };
      expect(order.customerId).to.equal("c-persist");
      expect(await depth(cloud)).to.equal(1);
      clients = clientsOf(cloud);
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: archive(cloud), Key: "2026/11/30/log.gz" }));
      expect(await object.Body!.transformToString()).to.equal("archived");
      expect(object.ContentType).to.equal("application/gzip");
      clients.s3.destroy();
      clients.sqs.destroy();
    } finally {
      await cloud.stop();
    }
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
});
