/**
 * The IAM proxy's in-process route to the emulators: an authorized request is handed to dynalite's and
 * fauxqs's own request handlers. The proxy's loopback origins point at a closed port here, so a request
 * answered at all was answered in-process.
 */
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { Emulators, startEmulators } from "../../local/emulators";
import type { IamAuthority } from "../../local/iam/authority";
import { IamProxy, startIamProxy } from "../../local/iam/proxy";

const CLOSED = "http://127.0.0.1:1";
// Signed with the developer's key, which no function holds: the proxy passes it on unchecked.
const client = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
const anyone = { functionForAccessKey: () => undefined } as unknown as IamAuthority;

describe("local cloud: the IAM proxy's in-process route to the emulators", () => {
  let emulators: Emulators;
  const proxies: IamProxy[] = [];
  before(async () => {
    emulators = await startEmulators();
  });
  after(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await emulators?.stop();
  });

  async function proxy(inProcess: boolean): Promise<string> {
    const started = await startIamProxy({
      authority: anyone,
      resolver: {} as never,
      upstream: { messaging: CLOSED, dynamodb: CLOSED },
      dynamodbHandler: inProcess ? emulators.dynamodbHandler : undefined,
      messagingHandler: inProcess ? emulators.messagingHandler : undefined,
    });
    proxies.push(started);
    return `http://127.0.0.1:${started.port}`;
  }

  it("finds fauxqs's request handler, which fauxqs does not expose", () => {
    expect(emulators.messagingHandler).to.be.a("function");
  });

  it("answers DynamoDB, SQS and streamed S3 calls from the emulators' own handlers", async () => {
    const endpoint = await proxy(true);
    const dynamodb = new DynamoDBClient({ ...client, endpoint });
    await dynamodb.send(
      new CreateTableCommand({
        TableName: "in-process",
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      }),
    );
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).to.include("in-process");

    const sqs = new SQSClient({ ...client, endpoint });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "in-process" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello" }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((m) => m.Body)).to.deep.equal(["hello"]);

    const s3 = new S3Client({ ...client, endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "in-process" }));
    await s3.send(new PutObjectCommand({ Bucket: "in-process", Key: "a/b.txt", Body: "x".repeat(100_000) }));
    const object = await s3.send(new GetObjectCommand({ Bucket: "in-process", Key: "a/b.txt" }));
    expect(await object.Body!.transformToString()).to.have.length(100_000);
  });

  it("goes over loopback without the handlers, and names an unreachable emulator", async () => {
    const endpoint = await proxy(false);
    const answer = await fetch(`${endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues" },
      body: "{}",
    });
    expect(answer.status).to.equal(502);
    expect(await answer.text()).to.match(/^local emulator unreachable: .*ECONNREFUSED/);
  });
});
