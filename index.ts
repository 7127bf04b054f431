/**
 * The platform and its reference orders application, as deployed by `pulumi up`.
 *
 *   client ─► HttpApi ─┬─ GET  /health          ─► health        (warmed where enabled)
 *                      ├─ POST /orders          ─► createOrder ─► orders table + orders queue
 *                      ├─ GET  /orders/{id}     ─► getOrder    ─► orders table
 *                      └─ ANY  /{proxy+}        ─► legacy backend (passthrough, when configured)
 *   orders queue ─► processOrder (QueueWorker) ─► orders table;  poison messages ─► orders DLQ
 *   schedule ─► dailyReport (async: retries, then its DLQ) ◄─ ConfigStore (KMS-encrypted S3: title, signing key)
 *   every alarm ─► Alerts topic ─► email, SMS
 *   AWS Config recorder (dev by default) ─► its own secure bucket
 *   every log group ─► LogShipping (Firehose ─► S3 archive, or a Kinesis stream)
 *   client ─► Edge (CloudFront, TLS 1.2+, Shield, WAF in prod; stage and prod) ─► HttpApi, with a secret origin header
 *   Monitoring: one dashboard, and an "application unhealthy" composite of the critical alarms
 */
import { createHash } from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Alerts } from "./components/alerts";
import { ConfigRecorder } from "./components/config-recorder";
import { ConfigStore } from "./components/config-store";
import { Function } from "./components/function";
import { Edge } from "./components/edge";
import { HttpApi } from "./components/http-api";
import { LogShipping } from "./components/log-shipping";
import { Monitoring } from "./components/monitoring";
import { QueueWorker } from "./components/queue-worker";
import { Schedule } from "./components/schedule";
import { StackSecret } from "./components/stack-secret";
import { Table } from "./components/table";
import { Warmer } from "./components/warmer";
import { parseConfig, readAppConfigDocument, siblingAccounts } from "./config";

// Under the CLI (an engine is attached) placeholder accounts, addresses and domains stop the deploy.
const config = parseConfig(pulumi.runtime.allConfig(), pulumi.getStack(), {
  siblings: siblingAccounts(__dirname, pulumi.getStack()),
  deploying: pulumi.runtime.hasEngine(),
});
const app = config.app;
const handler = (file: string) => path.join(__dirname, "functions", file);

const alerts = new Alerts("alerts", {
  emails: app.alarmEmails,
  smsNumbers: app.alarmSmsNumbers,
  retainOnDelete: app.protectStatefulResources,
});

/** What every function shares: log retention, the alert topic, and the non-secret settings. */
const functionDefaults = {
  logRetentionDays: app.logRetentionDays,
  alertTopicArn: alerts.topicArn,
  errorsThreshold: app.functionErrorsThreshold,
  alarmEvaluationPeriods: app.alarmEvaluationPeriods,
};
// With the edge on, the API answers only CloudFront: functions hold the origin secret's hash, never the secret.
const originSecret = app.edgeEnabled
  ? new StackSecret("origin-verify-secret", { configKey: "originVerifySecret", configured: config.secretsSet.originVerifySecret }).value
  : undefined;
const appEnvironment = {
  SERVICE_NAME: "orders",
  STACK: config.stack,
  FAULT_INJECTION: app.faultInjection ? "on" : "off",
  ...(originSecret
    ? { ORIGIN_VERIFY_SHA256: pulumi.unsecret(originSecret.apply((s) => createHash("sha256").update(s).digest("hex"))) }
    : {}),
};

const orders = new Table("orders", {
  hashKey: "orderId",
  deletionProtection: app.protectStatefulResources,
  retainOnDelete: app.protectStatefulResources,
});

const processOrder = new QueueWorker("process-order", {
  alertTopicArn: alerts.topicArn,
  maxReceiveCount: app.maxReceiveCount,
  batchSize: app.queueBatchSize,
  retainOnDelete: app.protectStatefulResources,
  deadLetterOutputKey: "orders",
  worker: {
    ...functionDefaults,
    entry: handler("processOrder.ts"),
    memoryMb: 256,
    timeoutSeconds: 10,
    environment: { ...appEnvironment, ORDERS_TABLE: orders.name },
    policyStatements: [{ Sid: "MarkOrdersProcessed", Action: ["dynamodb:UpdateItem"], Resource: orders.arn }],
  },
});

const health = new Function("health", {
  ...functionDefaults,
  entry: handler("health.ts"),
  memoryMb: 128,
  timeoutSeconds: 3,
  environment: appEnvironment,
});

const createOrder = new Function("create-order", {
  ...functionDefaults,
  entry: handler("createOrder.ts"),
  memoryMb: 256,
  timeoutSeconds: 6,
  environment: { ...appEnvironment, ORDERS_TABLE: orders.name, ORDERS_QUEUE_URL: processOrder.queue.url },
  policyStatements: [
    { Sid: "StoreOrders", Action: ["dynamodb:PutItem", "dynamodb:GetItem"], Resource: orders.arn },
    { Sid: "EnqueueOrders", Action: ["sqs:SendMessage"], Resource: processOrder.queue.arn },
  ],
});

const getOrder = new Function("get-order", {
  ...functionDefaults,
  entry: handler("getOrder.ts"),
  memoryMb: 256,
  timeoutSeconds: 6,
  environment: { ...appEnvironment, ORDERS_TABLE: orders.name },
  policyStatements: [{ Sid: "ReadOrders", Action: ["dynamodb:GetItem"], Resource: orders.arn }],
});

// Bulk and secret settings: config/<stack>.json plus the stack's secrets, one encrypted object.
const configStore = new ConfigStore("app-config", {
  document: pulumi.jsonStringify({
    ...readAppConfigDocument(__dirname, config),
    secrets: {
      reportSigningKey: new StackSecret("report-signing-key", {
        configKey: "reportSigningKey",
        configured: config.secretsSet.reportSigningKey,
      }).value,
    },
  }),
  protect: app.protectStatefulResources,
});

const dailyReport = new Function("daily-report", {
  ...functionDefaults,
  entry: handler("dailyReport.ts"),
  memoryMb: 512,
  timeoutSeconds: 60,
  environment: { ...appEnvironment, ORDERS_TABLE: orders.name, CONFIG_BUCKET: configStore.bucketName, CONFIG_KEY: configStore.objectKey },
  policyStatements: [{ Sid: "CountOrders", Action: ["dynamodb:Scan"], Resource: orders.arn }, ...configStore.readStatements()],
  async: {
    retryAttempts: app.asyncRetryAttempts,
    maximumEventAgeSeconds: app.asyncMaxEventAgeSeconds,
    retainDeadLetters: app.protectStatefulResources,
    deadLetterOutputKey: "dailyReport",
  },
});
configStore.grantRead([dailyReport.role.arn]);
new Schedule("daily-report-schedule", { schedule: app.dailyReportSchedule, targets: [{ function: dailyReport }] });

const api = new HttpApi("api", {
  routes: {
    "GET /health": health,
    "POST /orders": createOrder,
    "GET /orders/{orderId}": getOrder,
  },
  passthrough: app.legacyOrigin ? { origin: app.legacyOrigin } : undefined,
  throttleRateLimit: app.throttleRateLimit,
  throttleBurstLimit: app.throttleBurstLimit,
  logRetentionDays: app.logRetentionDays,
  alertTopicArn: alerts.topicArn,
  serverErrorsThreshold: app.apiServerErrorsThreshold,
  latencyP99ThresholdMs: app.apiLatencyP99ThresholdMs,
  alarmEvaluationPeriods: app.alarmEvaluationPeriods,
});

const edge = originSecret
  ? new Edge("edge", {
      apiEndpoint: api.url,
      originSecret,
      accountId: config.accountId,
      assumeRoleArn: config.deployRoleArn,
      domain: app.edgeDomain && app.edgeHostedZoneId ? { name: app.edgeDomain, hostedZoneId: app.edgeHostedZoneId } : undefined,
      // Config requires a domain or a reason outside dev; a dev stack may use CloudFront's domain as it is.
      noDomainReason: app.edgeDomain ? undefined : (app.edgeNoDomainReason ?? "a dev stack"),
      waf: app.wafEnabled,
      wafRateLimit: app.wafRateLimit,
      alarmEmails: app.alarmEmails,
      alarmSmsNumbers: app.alarmSmsNumbers,
      protect: app.protectStatefulResources,
    })
  : undefined;

const functions = { health, createOrder, getOrder, processOrder: processOrder.worker, dailyReport };
const logShipping = new LogShipping("logs", {
  destination:
    app.logDestination === "s3"
      ? { kind: "s3", archiveAfterDays: app.logArchiveAfterDays, expireAfterDays: app.logExpireAfterDays }
      : { kind: "kinesis", retentionHours: app.logStreamRetentionHours },
  logGroups: { ...Object.fromEntries(Object.entries(functions).map(([label, fn]) => [label, fn.logGroup])), apiAccess: api.accessLogs },
  alertTopicArn: alerts.topicArn,
  protect: app.protectStatefulResources,
});

new Monitoring("monitoring", {
  functions,
  api,
  queues: { orders: processOrder },
  deadLetterQueues: { dailyReport: dailyReport.deadLetterQueue! },
  logShipping,
  edge,
  // Users are affected: the API fails, a function behind it fails, or work is stuck in a DLQ.
  criticalAlarms: [
    api.alarms[0],
    ...[health, createOrder, getOrder].map((fn) => fn.alarms[0]),
    processOrder.deadLetterQueue.messagesVisibleAlarm,
    dailyReport.deadLetterQueue!.messagesVisibleAlarm,
  ],
  alertTopicArn: alerts.topicArn,
});

if (app.awsConfigRecorder) new ConfigRecorder("aws-config", { protect: app.protectStatefulResources });

if (app.warmerEnabled) new Warmer("warmer", { functions: [health, createOrder, getOrder], schedule: app.warmerSchedule });

/** The public URL: the edge's (custom domain or CloudFront's) when the edge is on, else the API's. */
export const url = edge ? edge.url : api.url;
export const apiUrl = api.url;
export const functionNames = Object.fromEntries(Object.entries(functions).map(([key, fn]) => [key, fn.name]));
export const ordersTableName = orders.name;
export const ordersQueueUrl = processOrder.queue.url;
/** Every DLQ with what feeds it, for the DLQ tool: a queue (native redrive) or a function (re-invoke). */
export const deadLetterQueues = {
  [processOrder.deadLetterQueue.outputKey]: { url: processOrder.deadLetterQueue.url, source: "queue", sourceUrl: processOrder.queue.url },
  [dailyReport.deadLetterQueue!.outputKey]: { url: dailyReport.deadLetterQueue!.url, source: "function", functionName: dailyReport.name },
};
export const alertTopicArn = alerts.topicArn;
export const configBucketName = configStore.bucketName;
/** Whether a header may make processOrder or dailyReport fail, for the integration tests' DLQ paths. */
export const faultInjection = app.faultInjection;
