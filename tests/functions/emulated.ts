/** Starts the real local emulators once for the handler tests and points the SDK at them. */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { Emulators, startEmulators } from "../../local/emulators";

export interface Backends {
  emulators: Emulators;
  table: string;
  queueUrl: string;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
}

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
    process.env.ORDERS_TABLE = table;
    process.env.ORDERS_QUEUE_URL = QueueUrl!;
    return { emulators, table, queueUrl: QueueUrl!, sqs, dynamodb };
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
