import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "./lib/dynamodb";
import { requireEnv } from "./lib/env";
import { InjectedFault, shouldFail } from "./lib/faults";
import { instrument, logger, metric } from "./lib/instrument";

export interface DailyReport {
  total: number;
  byStatus: Record<string, number>;
}

/**
 * Runs on a schedule (an async invocation): counts orders by status and logs the report. A
 * failure is retried by Lambda as configured, then the event goes to the function's DLQ.
 * `{"faultInject": "dailyReport"}` in the event fails it on purpose where fault injection is on.
 */
async function dailyReport(event: { faultInject?: string; detail?: { faultInject?: string } }): Promise<DailyReport> {
  if (shouldFail("dailyReport", event?.faultInject ?? event?.detail?.faultInject)) throw new InjectedFault("dailyReport");
  const byStatus: Record<string, number> = {};
  let total = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new ScanCommand({ TableName: requireEnv("ORDERS_TABLE"), ProjectionExpression: "#s", ExpressionAttributeNames: { "#s": "status" }, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? []) {
      byStatus[item.status] = (byStatus[item.status] ?? 0) + 1;
      total++;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  logger.info("daily report", { report: { total, byStatus } });
  metric("DailyReportOrders", total);
  return { total, byStatus };
}

export const handler = instrument(dailyReport, { total: 0, byStatus: {} });
