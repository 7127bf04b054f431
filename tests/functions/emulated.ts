/** Starts the real local emulators once for the handler tests and points the SDK at them. */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { Emulators, startEmulators } from "../../local/emulators";

export interface Backends {
  emulators: Emulators;
  table: string;
  queueUrl: string;
  sqs: SQSClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  configBucket: string;
}

/** The config document the handler tests run with, as the ConfigStore would hold it. */
export const TEST_APP_CONFIG = { report: { title: "Test report" }, secrets: { reportSigningKey: "test-signing-key-0123456789" } };

let started: Promise<Backends> | undefined;

export function backends(): Promise<Backends> {
  started ??= (async () => {
    const emulators = await startEmulators();
    Object.assign(process.env, emulators.environment);
    const dynamodb = new DynamoDBClient({});
    const sqs = new SQSClient({});
    const table = "orders-test";
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "orderId", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "orderId", AttributeType: "S" }],
      }),
    );
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "orders-test" }));
    const s3 = new S3Client({ forcePathStyle: true });
    const configBucket = "app-config-test";
    await s3.send(new CreateBucketCommand({ Bucket: configBucket }));
    await s3.send(new PutObjectCommand({ Bucket: configBucket, Key: "config/test.json", Body: JSON.stringify(TEST_APP_CONFIG) }));
    process.env.ORDERS_TABLE = table;
    process.env.ORDERS_QUEUE_URL = QueueUrl!;
    process.env.CONFIG_BUCKET = configBucket;
    process.env.CONFIG_KEY = "config/test.json";
    return { emulators, table, queueUrl: QueueUrl!, sqs, s3, dynamodb, configBucket };
  })();
  return started;
}

after(async () => {
  if (started) await (await started).emulators.stop();
});

export function lambdaContext(functionName: string): Context {
  return {
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "test",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 5000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
