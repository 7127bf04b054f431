import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "../../../functions/lib/dynamodb";
import { requireEnv } from "../../../functions/lib/env";
import { instrument, logger } from "../../../functions/lib/instrument";
import { WEBHOOK_ENV } from "./contracts";

/** The daily digest: how many webhooks each source sent, logged as one line the log pipeline carries. */
async function digest(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new ScanCommand({
        TableName: requireEnv(WEBHOOK_ENV.table),
        ProjectionExpression: "#s",
        ExpressionAttributeNames: { "#s": "source" },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) counts[item.source] = (counts[item.source] ?? 0) + 1;
    start = page.LastEvaluatedKey;
  } while (start);
  logger.info("webhook digest", { counts });
  return counts;
}

export const handler = instrument(digest, {});
