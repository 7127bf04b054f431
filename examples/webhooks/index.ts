/**
 * A second application, built only from the platform's components, in the same accounts as the
 * platform's own stacks (and beside them in each): webhooks in, stored through a queue, a daily digest.
 *
 *   sender ─► HttpApi ─ POST /webhooks/{source} ─► receive ─► webhooks queue ─► store (QueueWorker) ─► webhooks table
 *   daily schedule ─► digest (async: retries, then its DLQ) ─► counts per source, in the logs
 *   prod: Rollouts (CodeDeploy) move each function's live alias, canary for receive, rolling back on alarms
 *   every alarm ─► Alerts topic;  the account's baseline stack ─► its alert topic gets "application unhealthy"
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { Alerts } from "../../components/alerts";
import { HttpApi } from "../../components/http-api";
import { LambdaFunction } from "../../components/lambda-function";
import { Monitoring } from "../../components/monitoring";
import { QueueWorker } from "../../components/queue-worker";
import { Rollouts } from "../../components/rollouts";
import { Schedule } from "../../components/schedule";
import { Table } from "../../components/table";
import { LOG_RETENTION_DAYS } from "../../config";
import { WEBHOOK_ENV } from "./functions/contracts";

const schema = z
  .object({
    environment: z.enum(["dev", "stage", "prod"]),
    logRetentionDays: z
      .number()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), "must be one of CloudWatch's retention periods"),
    alarmEmails: z.array(z.string().email("must be an email address")),
    protect: z.boolean(),
    sources: z.array(z.string().regex(/^[a-z0-9-]+$/, "must be lower-case letters, digits and -")).min(1),
  })
  .strict()
  .refine((c) => c.environment !== "prod" || c.protect, { message: "must be true in prod", path: ["protect"] });

function readConfig(): z.infer<typeof schema> {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, name] = key.split(":");
    if (namespace === pulumi.getProject()) raw[name] = name === "environment" ? value : JSON.parse(value);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${pulumi.getProject()}:${i.path.join(".")}: ${i.message}`);
    throw Object.assign(new Error(`Invalid config for stack "${pulumi.getStack()}":\n${problems.join("\n")}`), { name: "ConfigError" });
  }
  return parsed.data;
}

const config = readConfig();
const handler = (file: string) => path.join(__dirname, "functions", file);
const alerts = new Alerts("alerts", { emails: config.alarmEmails, protect: config.protect });
// In prod a rollout (npm run rollout), not pulumi up, moves each function's live alias.
const rolledOut = config.environment === "prod";
// Prod caps every function (cost, and what reaches the table); the worker lowest.
const ceiling = (n: number) => (config.environment === "prod" ? n : undefined);
const defaults = {
  logRetentionDays: config.logRetentionDays,
  alertTopicArn: alerts.topicArn,
  aliasManagedByRollout: rolledOut,
  reservedConcurrency: ceiling(50),
};

const webhooks = new Table("webhooks", { hashKey: "id", protect: config.protect, deletionProtection: config.protect });

const store = new QueueWorker("store", {
  alertTopicArn: alerts.topicArn,
  protect: config.protect,
  deadLetterOutputKey: "webhooks",
  worker: {
    entry: handler("store.ts"),
    memoryMb: 256,
    timeoutSeconds: 10,
    logRetentionDays: config.logRetentionDays,
    aliasManagedByRollout: rolledOut,
    reservedConcurrency: ceiling(10),
    environment: { [WEBHOOK_ENV.table]: webhooks.name },
    policyStatements: [{ Sid: "StoreWebhooks", Action: ["dynamodb:PutItem"], Resource: webhooks.arn }],
  },
});

const receive = new LambdaFunction("receive", {
  ...defaults,
  entry: handler("receive.ts"),
  memoryMb: 256,
  timeoutSeconds: 5,
  environment: { [WEBHOOK_ENV.queueUrl]: store.queue.url, [WEBHOOK_ENV.sources]: config.sources.join(",") },
  policyStatements: [{ Sid: "QueueWebhooks", Action: ["sqs:SendMessage"], Resource: store.queue.arn }],
});

const digest = new LambdaFunction("digest", {
  ...defaults,
  entry: handler("digest.ts"),
  memoryMb: 256,
  timeoutSeconds: 60,
  environment: { [WEBHOOK_ENV.table]: webhooks.name },
  policyStatements: [{ Sid: "CountWebhooks", Action: ["dynamodb:Scan"], Resource: webhooks.arn }],
  async: { protect: config.protect, deadLetterOutputKey: "digest" },
});
const digestSchedule = new Schedule("digest-schedule", {
  schedule: "cron(0 7 * * ? *)",
  targets: [{ function: digest }],
  alertTopicArn: alerts.topicArn,
  protect: config.protect,
  deadLetterOutputKey: "digestSchedule",
});

const api = new HttpApi("api", {
  routes: { "POST /webhooks/{source}": receive },
  throttleRateLimit: 100,
  throttleBurstLimit: 200,
  logRetentionDays: config.logRetentionDays,
  alertTopicArn: alerts.topicArn,
});

const rollouts = rolledOut
  ? new Rollouts("rollouts", {
      targets: [
        { function: receive, preference: "Canary10Percent5Minutes", alarms: [receive.errorsAlarm, api.serverErrorsAlarm] },
        { function: store.worker, preference: "AllAtOnce", alarms: [store.worker.errorsAlarm] },
        { function: digest, preference: "AllAtOnce", alarms: [digest.errorsAlarm] },
      ],
      alertTopicArn: alerts.topicArn,
      logRetentionDays: config.logRetentionDays,
    })
  : undefined;

const baseline = new pulumi.StackReference("baseline", { name: `${pulumi.getOrganization()}/platform-baseline/${config.environment}` });
new Monitoring("monitoring", {
  // The rollout hook too, where there is one: every function the stack runs is charted.
  functions: { receive, store: store.worker, digest, ...(rollouts ? { rolloutHook: rollouts.hook } : {}) },
  api,
  queues: { webhooks: store },
  deadLetterQueues: { digest: digest.deadLetterQueue!, digestSchedule: digestSchedule.deadLetterQueue },
  criticalAlarms: [
    api.serverErrorsAlarm,
    receive.errorsAlarm,
    store.deadLetterQueue.messagesVisibleAlarm,
    digest.deadLetterQueue!.messagesVisibleAlarm,
    digestSchedule.deadLetterQueue.messagesVisibleAlarm,
  ],
  alertTopicArn: alerts.topicArn,
  accountAlertTopicArn: baseline.requireOutput("alertTopicArn") as pulumi.Output<string>,
});

export const url = api.url;
export const rolloutPlans = rollouts ? rollouts.plans : {};
export const webhooksTableName = webhooks.name;
/** Every DLQ with what feeds it, for `npm run dlq -- --program examples/webhooks`. */
export const deadLetterQueues = {
  [store.deadLetterQueue.outputKey]: { url: store.deadLetterQueue.url, source: "queue", sourceUrl: store.queue.url },
  [digest.deadLetterQueue!.outputKey]: { url: digest.deadLetterQueue!.url, source: "function", functionName: digest.name },
  [digestSchedule.deadLetterQueue.outputKey]: { url: digestSchedule.deadLetterQueue.url, source: "schedule" },
};
