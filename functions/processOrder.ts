import { ENV } from "../policy/contracts";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { documentClient } from "./lib/dynamodb";
import { requireEnv } from "./lib/env";
import { InjectedFault, shouldFail } from "./lib/faults";
import { instrument, logger, metric } from "./lib/instrument";
import { isOrderId } from "./lib/orders";

/**
 * Consumes the orders queue. Each message that fails is reported as a partial batch failure, so
 * only it returns to the queue; after maxReceiveCount receives SQS moves it to the orders DLQ.
 * Marking an order processed twice is harmless, so redelivered messages are safe.
 */
async function processOrders(event: SQSEvent): Promise<SQSBatchResponse> {
  const table = requireEnv(ENV.ordersTable);
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    // Lines about this message carry the trace of the request that sent it (SQS's AWSTraceHeader).
    await logger.inTrace(record.attributes?.AWSTraceHeader, async () => {
      try {
        const orderId = await processOne(table, record);
        logger.info("order processed", { orderId, messageId: record.messageId });
        metric("OrdersProcessed");
      } catch (err) {
        logger.error("order failed", {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          error: err as Error,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    });
  }
  return { batchItemFailures };
}

/** Marks the message's order processed, and says which order it was. */
async function processOne(table: string, record: SQSRecord): Promise<string> {
  const { orderId } = JSON.parse(record.body) as { orderId?: string };
  if (!isOrderId(orderId)) throw new Error(`message ${record.messageId} has no valid orderId`);
  if (shouldFail("processOrder", record.messageAttributes?.faultInject?.stringValue)) throw new InjectedFault("processOrder");
  await documentClient().send(
    new UpdateCommand({
      TableName: table,
      Key: { orderId },
      UpdateExpression: "SET #status = :processed, processedAt = if_not_exists(processedAt, :now)",
      ConditionExpression: "attribute_exists(orderId)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":processed": "processed", ":now": new Date().toISOString() },
    }),
  );
  return orderId;
}

export const handler = instrument(processOrders, { batchItemFailures: [] });
