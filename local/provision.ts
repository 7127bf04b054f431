/**
 * Creates in the emulators what the graph declares: queues (dead-letter targets first, so redrive
 * policies can point at them), tables, buckets with their objects, and topics. Returns how each cloud
 * identity maps to its local one.
 */
import * as fs from "fs";
import * as path from "path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import * as pulumi from "@pulumi/pulumi";
import type { LocalModel, LocalObject, LocalQueue } from "./model";

export interface Clients {
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
  dynamodb: DynamoDBClient;
}

export interface Provisioned {
  /** Cloud queue ARN to local queue URL. */
  queueUrls: Map<string, string>;
  /** Cloud ARN (queue or topic) to the local ARN. */
  localArns: Map<string, string>;
}

export async function provision(model: LocalModel, clients: Clients): Promise<Provisioned> {
  const queueUrls = new Map<string, string>();
  const localArns = new Map<string, string>();
  for (const queue of orderByRedrive(model.queues)) {
    const attributes: Record<string, string> = { VisibilityTimeout: String(queue.visibilityTimeoutSeconds) };
    if (queue.messageRetentionSeconds) attributes.MessageRetentionPeriod = String(queue.messageRetentionSeconds);
    if (queue.delaySeconds) attributes.DelaySeconds = String(queue.delaySeconds);
    if (queue.fifo) attributes.FifoQueue = "true";
    if (queue.fifo && queue.contentBasedDeduplication) attributes.ContentBasedDeduplication = "true";
    if (queue.redrive) {
      const target = localArns.get(queue.redrive.deadLetterTargetArn);
      if (!target) throw new Error(`queue ${queue.name}: its dead-letter target ${queue.redrive.deadLetterTargetArn} is not in the graph`);
      attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: queue.redrive.maxReceiveCount });
    }
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }));
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
    queueUrls.set(queue.arn, QueueUrl!);
    localArns.set(queue.arn, Attributes!.QueueArn!);
  }

  for (const table of model.tables) {
    const used = new Set([
      table.hashKey,
      table.rangeKey,
      ...table.globalSecondaryIndexes.flatMap((i) => [i.hashKey, i.rangeKey]),
      ...table.localSecondaryIndexes.map((i) => i.rangeKey),
    ]);
    const keys = (hash: string, range?: string) => [
      { AttributeName: hash, KeyType: "HASH" as const },
      ...(range ? [{ AttributeName: range, KeyType: "RANGE" as const }] : []),
    ];
    const projection = (i: { projectionType?: string; nonKeyAttributes?: string[] }) => ({
      ProjectionType: (i.projectionType ?? "ALL") as "ALL" | "KEYS_ONLY" | "INCLUDE",
      ...(i.nonKeyAttributes?.length ? { NonKeyAttributes: i.nonKeyAttributes } : {}),
    });
    // A persisted table (--persist) is there already, with its items: it is kept as it is.
    const created = clients.dynamodb.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: keys(table.hashKey, table.rangeKey),
        AttributeDefinitions: table.attributes
          .filter((a) => used.has(a.name))
          .map((a) => ({ AttributeName: a.name, AttributeType: a.type as "S" | "N" | "B" })),
        GlobalSecondaryIndexes: table.globalSecondaryIndexes.length
          ? table.globalSecondaryIndexes.map((i) => ({
              IndexName: i.name,
              KeySchema: keys(i.hashKey, i.rangeKey),
              Projection: projection(i),
            }))
          : undefined,
        LocalSecondaryIndexes: table.localSecondaryIndexes.length
          ? table.localSecondaryIndexes.map((i) => ({
              IndexName: i.name,
              KeySchema: keys(table.hashKey, i.rangeKey),
              Projection: projection(i),
            }))
          : undefined,
      }),
    );
    await created.catch((err: Error) => {
      if (err.name !== "ResourceInUseException") throw err;
    });
  }

  for (const bucket of model.buckets) await clients.s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
  for (const object of model.objects) {
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        Body: await objectBody(object, model.programDir),
        ContentType: object.contentType,
      }),
    );
  }

  // Subscriptions are the event router's (local/events.ts): it checks who may deliver, and delivers to functions.
  for (const topic of model.topics) {
    const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: topic.name }));
    localArns.set(topic.arn, TopicArn!);
  }
  return { queueUrls, localArns };
}

/** Queues with no redrive policy first, then those whose target exists; a cycle is reported. */
function orderByRedrive(queues: LocalQueue[]): LocalQueue[] {
  const ordered: LocalQueue[] = [];
  const pending = [...queues];
  while (pending.length > 0) {
    const ready = pending.findIndex(
      (q) =>
        !q.redrive ||
        ordered.some((o) => o.arn === q.redrive!.deadLetterTargetArn) ||
        !queues.some((o) => o.arn === q.redrive!.deadLetterTargetArn),
    );
    if (ready < 0) throw new Error(`queues ${pending.map((q) => q.name).join(", ")} redrive to each other in a cycle`);
    ordered.push(...pending.splice(ready, 1));
  }
  return ordered;
}

async function objectBody(object: LocalObject, programDir: string): Promise<string | Buffer> {
  const source = object.source;
  if (typeof source === "string") return source;
  if (pulumi.asset.Asset.isInstance(source)) {
    const asset = source as any;
    if (asset.text !== undefined) return await asset.text;
    // A relative path is the program's, as the CLI runs it in its own folder.
    if (asset.path !== undefined) return fs.readFileSync(path.resolve(programDir, await asset.path));
  }
  throw new Error(`object s3://${object.bucket}/${object.key}: only string content and string or file assets are uploaded locally`);
}
