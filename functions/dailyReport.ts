import { ENV } from "../policy/contracts";
import { createHmac } from "crypto";
import { ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { appConfigDocument } from "./lib/app-config";
import { loadConfig } from "./lib/config";
import { dynamoClient } from "./lib/dynamodb-client";
import { requireEnv } from "./lib/env";
import { InjectedFault, shouldFail } from "./lib/faults";
import { instrument, logger, metric } from "./lib/instrument";

export interface DailyReport {
  title: string;
  total: number;
  byStatus: Record<string, number>;
  /** HMAC-SHA256 of `{"total","byStatus"}` with the config's secret signing key, so readers can trust the figures. */
  signature: string;
}

/**
 * Runs on a schedule (an async invocation): counts orders by status and logs the report. A
 * failure is retried by Lambda as configured, then the event goes to the function's DLQ.
 * `{"faultInject": "dailyReport"}` in the event fails it on purpose where fault injection is on.
 * Its title and signing key come from the ConfigStore; without a valid config it fails closed.
 */
async function dailyReport(event: { faultInject?: string; detail?: { faultInject?: string } }): Promise<DailyReport> {
  if (shouldFail("dailyReport", event?.faultInject ?? event?.detail?.faultInject)) throw new InjectedFault("dailyReport");
  const config = await loadConfig(appConfigDocument);
  const byStatus: Record<string, number> = {};
  let total = 0;
  // The low-level client: the report reads one string attribute, which is not worth lib-dynamodb's marshaller in the bundle.
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await dynamoClient().send(
      new ScanCommand({
        TableName: requireEnv(ENV.ordersTable),
        ProjectionExpression: "#s",
        ExpressionAttributeNames: { "#s": "status" },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const status = item.status?.S ?? "unknown";
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      total++;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const signature = createHmac("sha256", config.secrets.reportSigningKey).update(JSON.stringify({ total, byStatus })).digest("hex");
  logger.info("daily report", { report: { title: config.report.title, total, byStatus } });
  metric("DailyReportOrders", total);
  return { title: config.report.title, total, byStatus, signature };
}

export const handler = instrument(dailyReport, { title: "", total: 0, byStatus: {}, signature: "" });
