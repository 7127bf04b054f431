/**
 * The platform and its reference orders application, as deployed by `pulumi up`.
 *
 *   client ─► HttpApi ─┬─ GET  /health          ─► health        (warmed where enabled)
 *                      ├─ POST /orders          ─► createOrder ─► orders table + orders queue
 *                      ├─ GET  /orders/{id}     ─► getOrder    ─► orders table
 *                      └─ ANY  /{proxy+}        ─► legacy backend (passthrough, when configured)
 *   orders queue ─► processOrder (QueueWorker) ─► orders table;  poison messages ─► orders DLQ
 *   schedule ─► dailyReport (async: retries, then its DLQ) ◄─ ConfigStore (KMS-encrypted S3: title, signing key)
 *   every function: a version per deploy, a live alias every trigger invokes (provisioned concurrency in prod)
 *   Rollouts (prod): CodeDeploy moves each live alias, canary for the API, rolling back on its alarms (npm run rollout)
 *   every alarm ─► Alerts topic ─► email, SMS
 *   account baseline stack (baseline/: CI roles, AWS Config) ─► its alert topic, which also gets "application unhealthy"
 *   every log group ─► LogShipping (Firehose ─► S3 archive, or a Kinesis stream)
 *   client ─► Edge (CloudFront, TLS 1.2+, Shield, WAF; stage and prod) ─► HttpApi, with a secret origin header
 *   Monitoring: one dashboard, and an "application unhealthy" composite of the critical alarms
 */
import { createHash } from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Alerts } from "./components/alerts";
import { ConfigStore } from "./components/config-store";
import { Edge } from "./components/edge";
import { HttpApi, PRIVATE_ORIGIN } from "./components/http-api";
import { LambdaFunction } from "./components/lambda-function";
import { LogShipping } from "./components/log-shipping";
import { Monitoring } from "./components/monitoring";
import { Network } from "./components/network";
import { QueueWorker } from "./components/queue-worker";
import { Rollouts } from "./components/rollouts";
import { Schedule } from "./components/schedule";
import { StackSecret } from "./components/stack-secret";
import { Table } from "./components/table";
import { Warmer } from "./components/warmer";
import { ConfigError, parseConfig, PROJECT, readAppConfigDocument, siblingAccounts } from "./config";
import { ENV } from "./policy/contracts";

// Under the CLI (an engine is attached) placeholder accounts, addresses and domains stop the deploy.
const config = parseConfig(pulumi.runtime.allConfig(), pulumi.getStack(), {
  siblings: siblingAccounts(__dirname, pulumi.getStack()),
  deploying: pulumi.runtime.hasEngine(),
});
const app = config.app;
const protect = app.protectStatefulResources;
const handler = (file: string) => path.join(__dirname, "functions", file);

const alerts = new Alerts("alerts", { emails: app.alarmEmails, smsNumbers: app.alarmSmsNumbers, protect });
// What exists once per account (CI's roles, AWS Config, the account's alert topic) lives in the baseline stack.
const baseline = new pulumi.StackReference("baseline", {
  name: app.baselineStack ?? `${pulumi.getOrganization()}/platform-baseline/${app.environment}`,
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
// Private networking, off by default: a VPC made with awsx, or one that exists; the functions it lists run in its private subnets.
const network =
  app.network.create || app.network.vpcId
    ? new Network("network", {
        region: config.region,
        create: app.network.create ? { ...app.network.create, flowLogRetentionDays: app.logRetentionDays } : undefined,
        existing: app.network.vpcId
          ? {
              vpcId: app.network.vpcId,
              privateSubnetIds: app.network.privateSubnetIds ?? [],
              endpointSecurityGroupId: app.network.endpointSecurityGroupId,
            }
          : undefined,
      })
    : undefined;
/** How a function is deployed: who moves its live alias, its concurrency, and its network, from the stack's config. */
const deploymentOf = (shortName: string) => ({
  vpc: network && app.network.functions?.includes(shortName) ? network.placement(shortName) : undefined,
  tracing: app.tracing,
  aliasManagedByRollout: app.codeDeployRollouts,
  provisionedConcurrency: app.provisionedConcurrency[shortName],
  reservedConcurrency: app.reservedConcurrency[shortName] ?? app.reservedConcurrency["*"],
});
/** A function's environment: what every function gets, its own, then the stack's extra variables for all and for it. */
const environmentOf = (shortName: string, own: Record<string, pulumi.Input<string>> = {}): Record<string, pulumi.Input<string>> => ({
  [ENV.serviceName]: "orders",
  [ENV.stack]: config.stack,
  [ENV.faultInjection]: app.faultInjection ? "on" : "off",
  ...(originSecret
    ? { [ENV.originVerifySha256]: pulumi.unsecret(originSecret.apply((s) => createHash("sha256").update(s).digest("hex"))) }
    : {}),
  ...own,
  ...app.functionEnvironment["*"],
  ...app.functionEnvironment[shortName],
});

const orders = new Table("orders", { hashKey: "orderId", deletionProtection: protect, protect });

const processOrder = new QueueWorker("process-order", {
  alertTopicArn: alerts.topicArn,
  maxReceiveCount: app.maxReceiveCount,
  batchSize: app.queueBatchSize,
  maximumConcurrency: app.queueMaxConcurrency,
  protect,
  deadLetterOutputKey: "orders",
  worker: {
    ...functionDefaults,
    entry: handler("processOrder.ts"),
    memoryMb: 256,
    timeoutSeconds: 10,
    ...deploymentOf("process-order"),
    environment: environmentOf("process-order", { [ENV.ordersTable]: orders.name }),
    policyStatements: [{ Sid: "MarkOrdersProcessed", Action: ["dynamodb:UpdateItem"], Resource: orders.arn }],
  },
});

const health = new LambdaFunction("health", {
  ...functionDefaults,
  entry: handler("health.ts"),
  memoryMb: 128,
  timeoutSeconds: 3,
  ...deploymentOf("health"),
  environment: environmentOf("health"),
});

const createOrder = new LambdaFunction("create-order", {
  ...functionDefaults,
  entry: handler("createOrder.ts"),
  memoryMb: 256,
  timeoutSeconds: 6,
  ...deploymentOf("create-order"),
  environment: environmentOf("create-order", { [ENV.ordersTable]: orders.name, [ENV.ordersQueueUrl]: processOrder.queue.url }),
  policyStatements: [
    { Sid: "StoreOrders", Action: ["dynamodb:PutItem", "dynamodb:GetItem"], Resource: orders.arn },
    { Sid: "EnqueueOrders", Action: ["sqs:SendMessage"], Resource: processOrder.queue.arn },
  ],
});

const getOrder = new LambdaFunction("get-order", {
  ...functionDefaults,
  entry: handler("getOrder.ts"),
  memoryMb: 256,
  timeoutSeconds: 6,
  ...deploymentOf("get-order"),
  environment: environmentOf("get-order", { [ENV.ordersTable]: orders.name }),
  policyStatements: [{ Sid: "ReadOrders", Action: ["dynamodb:GetItem"], Resource: orders.arn }],
});

// Bulk and secret settings: config/<stack>.json plus the stack's secrets, one encrypted object.
const reportSigningKey = new StackSecret("report-signing-key", {
  configKey: "reportSigningKey",
  configured: config.secretsSet.reportSigningKey,
});
const configStore = new ConfigStore("app-config", {
  document: pulumi.jsonStringify({ ...readAppConfigDocument(__dirname, config), secrets: { reportSigningKey: reportSigningKey.value } }),
  protect,
});

const dailyReport = new LambdaFunction("daily-report", {
  ...functionDefaults,
  entry: handler("dailyReport.ts"),
  memoryMb: 512,
  timeoutSeconds: 60,
  ...deploymentOf("daily-report"),
  environment: environmentOf("daily-report", {
    [ENV.ordersTable]: orders.name,
    [ENV.configBucket]: configStore.bucketName,
    [ENV.configKey]: configStore.objectKey,
  }),
  policyStatements: [{ Sid: "CountOrders", Action: ["dynamodb:Scan"], Resource: orders.arn }, ...configStore.readStatements()],
  async: {
    retryAttempts: app.asyncRetryAttempts,
    maximumEventAgeSeconds: app.asyncMaxEventAgeSeconds,
    protect,
    deadLetterOutputKey: "dailyReport",
  },
});
configStore.grantRead([dailyReport.role.arn]);
const dailyReportSchedule = new Schedule("daily-report-schedule", {
  schedule: app.dailyReportSchedule,
  targets: [{ function: dailyReport }],
  alertTopicArn: alerts.topicArn,
  retryAttempts: app.eventRetryAttempts,
  maximumEventAgeSeconds: app.eventMaxAgeSeconds,
  protect,
  deadLetterOutputKey: "dailyReportSchedule",
});

const api = new HttpApi("api", {
  routes: {
    "GET /health": health,
    "POST /orders": createOrder,
    "GET /orders/{orderId}": getOrder,
  },
  passthrough: app.legacyOrigin
    ? {
        origin: app.legacyOrigin,
        // A private backend (a listener or Cloud Map service ARN) is reached through a VPC link in the network.
        vpcLink: PRIVATE_ORIGIN.test(app.legacyOrigin) ? network!.vpcLinkPlacement(app.legacyOriginPort) : undefined,
        serverNameToVerify: app.legacyOriginServerName,
      }
    : undefined,
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
      protect,
    })
  : undefined;

const functions = { health, createOrder, getOrder, processOrder: processOrder.worker, dailyReport };

// The API's functions take new versions as deploymentPreference says; the others all at once, unless the stack says otherwise.
const apiFunctions = new Set([health, createOrder, getOrder]);
const rollouts = app.codeDeployRollouts
  ? new Rollouts("rollouts", {
      targets: Object.values(functions).map((fn) => ({
        function: fn,
        preference: app.deploymentPreferences[fn.shortName] ?? (apiFunctions.has(fn) ? app.deploymentPreference : "AllAtOnce"),
        alarms: apiFunctions.has(fn) ? [fn.errorsAlarm, api.serverErrorsAlarm] : [fn.errorsAlarm],
      })),
      alertTopicArn: alerts.topicArn,
      logRetentionDays: app.logRetentionDays,
    })
  : undefined;
// Every function the stack runs, the rollout hook included: each one's logs shipped, each one charted.
const allFunctions = rollouts ? { ...functions, rolloutHook: rollouts.hook } : functions;
const logShipping = new LogShipping("logs", {
  destination:
    app.logDestination === "s3"
      ? { kind: "s3", archiveAfterDays: app.logArchiveAfterDays, expireAfterDays: app.logExpireAfterDays }
      : { kind: "kinesis", retentionHours: app.logStreamRetentionHours },
  logGroups: { ...Object.fromEntries(Object.entries(allFunctions).map(([label, fn]) => [label, fn.logGroup])), apiAccess: api.accessLogs },
  alertTopicArn: alerts.topicArn,
  protect,
});

new Monitoring("monitoring", {
  functions: allFunctions,
  api,
  queues: { orders: processOrder },
  deadLetterQueues: { dailyReport: dailyReport.deadLetterQueue!, dailyReportSchedule: dailyReportSchedule.deadLetterQueue },
  logShipping,
  edge,
  // Users are affected: the API fails, a function behind it fails, work is stuck in a DLQ or lost, or the edge fails.
  criticalAlarms: [
    api.serverErrorsAlarm,
    health.errorsAlarm,
    createOrder.errorsAlarm,
    getOrder.errorsAlarm,
    processOrder.deadLetterQueue.messagesVisibleAlarm,
    dailyReport.deadLetterQueue!.messagesVisibleAlarm,
    dailyReportSchedule.deadLetterQueue.messagesVisibleAlarm,
    // An event the schedule could not deliver, nor put in its DLQ, is lost.
    dailyReportSchedule.deadLetterFailuresAlarm,
  ],
  criticalAlarmsElsewhere: edge
    ? [{ region: "us-east-1", provider: edge.usEast1, alarms: [edge.serverErrorRateAlarm], alertTopicArn: edge.alerts.topicArn }]
    : [],
  alertTopicArn: alerts.topicArn,
  // The account's on-call hears when any application in it is failing users.
  accountAlertTopicArn: baseline.requireOutput("alertTopicArn") as pulumi.Output<string>,
});

// A function with provisioned concurrency is warm already: the warmer is for stacks without it.
const warmed = [health, createOrder, getOrder].filter((fn) => !app.provisionedConcurrency[fn.shortName]);
const warmer =
  app.warmerEnabled && warmed.length > 0
    ? new Warmer("warmer", { functions: warmed, schedule: app.warmerSchedule, alertTopicArn: alerts.topicArn, protect })
    : undefined;

// Per-function settings may name only functions this program has.
const shortNames = Object.values(functions).map((fn) => fn.shortName);
const unknownTargets = (["functionEnvironment", "deploymentPreferences", "provisionedConcurrency", "reservedConcurrency"] as const).flatMap(
  (setting) =>
    Object.keys(app[setting])
      .filter((key) => key !== "*" || (setting !== "functionEnvironment" && setting !== "reservedConcurrency"))
      .filter((key) => !shortNames.includes(key))
      .map((key) => `${PROJECT}:${setting}.${key}: no such function; functions: ${shortNames.join(", ")}`),
);
for (const key of (app.network.functions ?? []).filter((k) => !shortNames.includes(k)))
  unknownTargets.push(`${PROJECT}:network.functions: ${key}: no such function; functions: ${shortNames.join(", ")}`);
if (unknownTargets.length > 0) throw new ConfigError(config.stack, unknownTargets);

/** The public URL: the edge's (custom domain or CloudFront's) when the edge is on, else the API's. */
export const url = edge ? edge.url : api.url;
export const apiUrl = api.url;
/** What `npm run rollout` moves, per function: its alias, the version this deploy published, its CodeDeploy group. */
export const rolloutPlans = rollouts ? rollouts.plans : {};
export const functionNames = Object.fromEntries(Object.entries(functions).map(([key, fn]) => [key, fn.name]));
export const ordersTableName = orders.name;
export const ordersQueueUrl = processOrder.queue.url;
/** Every DLQ with what feeds it, for the DLQ tool: a queue (native redrive) or a function (re-invoke). */
export const deadLetterQueues = {
  [processOrder.deadLetterQueue.outputKey]: { url: processOrder.deadLetterQueue.url, source: "queue", sourceUrl: processOrder.queue.url },
  [dailyReport.deadLetterQueue!.outputKey]: { url: dailyReport.deadLetterQueue!.url, source: "function", functionName: dailyReport.name },
  // What EventBridge could not deliver; a redrive invokes each event's target again.
  [dailyReportSchedule.deadLetterQueue.outputKey]: { url: dailyReportSchedule.deadLetterQueue.url, source: "schedule" },
  ...(warmer ? { [warmer.deadLetterQueue.outputKey]: { url: warmer.deadLetterQueue.url, source: "schedule" } } : {}),
};
export const alertTopicArn = alerts.topicArn;
export const configBucketName = configStore.bucketName;
/** Whether a header may make processOrder or dailyReport fail, for the integration tests' DLQ paths. */
export const faultInjection = app.faultInjection;
