import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { documentClient } from "../../../functions/lib/dynamodb";
import { requireEnv } from "../../../functions/lib/env";
import { instrument, logger, metric } from "../../../functions/lib/instrument";
import { WEBHOOK_ENV } from "./contracts";

/**
 * Stores each queued webhook by its id, so a redelivered message writes the same item again, and
 * reports only the failed ones back to the queue (which redrives them to its DLQ in the end).
 */
async function store(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    try {
      const webhook = JSON.parse(record.body) as { id: string; source: string; receivedAt: string; body: unknown };
      if (typeof webhook.id !== "string" || typeof webhook.source !== "string") throw new Error("not a queued webhook");
      await documentClient().send(new PutCommand({ TableName: requireEnv(WEBHOOK_ENV.table), Item: webhook }));
      metric("WebhooksStored");
    } catch (err) {
      logger.error("webhook not stored", { messageId: record.messageId, error: err as Error });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export const handler = instrument(store, { batchItemFailures: [] });
