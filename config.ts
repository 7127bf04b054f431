/**
 * The stack config, parsed and validated once. Every problem is reported in one error, each naming
 * the key and the stack, so a typo or a bad value fails before anything is planned.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { HTTP_URL } from "./components/http-api";
import { SCHEDULE } from "./components/schedule";

export const PROJECT = "platform";

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const schedule = z.string().regex(SCHEDULE, "must be rate(N unit) or cron(6 fields)");

/** The app's keys, in the `platform:` namespace. Pulumi.yaml declares the same keys with their types. */
export const appConfigSchema = z
  .object({
    environment: z.enum(["dev", "stage", "prod"]),
    logRetentionDays: z.number().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `must be one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(", ")}`,
    }),
    alarmEmails: z.array(z.string().email("must be an email address")).default([]),
    alarmSmsNumbers: z.array(z.string().regex(/^\+[1-9]\d{6,14}$/, "must be a phone number in E.164 form, like +15555550100")).default([]),
    warmerEnabled: z.boolean(),
    warmerSchedule: schedule.default("rate(5 minutes)"),
    throttleRateLimit: z.number().positive().max(10000),
    throttleBurstLimit: z.number().int().positive().max(5000),
    faultInjection: z.boolean(),
    legacyOrigin: z.string().regex(HTTP_URL, "must be an http(s) URL").optional(),
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    queueBatchSize: z.number().int().min(1).max(10).default(10),
    asyncRetryAttempts: z.number().int().min(0).max(2).default(2),
    asyncMaxEventAgeSeconds: z.number().int().min(60).max(21600).default(3600),
    dailyReportSchedule: schedule.default("cron(0 6 * * ? *)"),
    protectStatefulResources: z.boolean(),
    awsConfigRecorder: z.boolean().optional(),
    logDestination: z.enum(["s3", "kinesis"]).default("s3"),
    logArchiveAfterDays: z.number().int().min(1).default(30),
    logExpireAfterDays: z.number().int().min(1).default(365),
    logStreamRetentionHours: z.number().int().min(24).max(8760).default(24),
    alarmEvaluationPeriods: z.number().int().min(1).max(10).default(1),
    functionErrorsThreshold: z.number().int().min(1).default(1),
    apiServerErrorsThreshold: z.number().int().min(1).default(1),
    apiLatencyP99ThresholdMs: z.number().int().min(100).default(3000),
    edgeEnabled: z.boolean().default(false),
    edgeDomain: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lower-case DNS name like api.example.com").optional(),
    edgeHostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route53 hosted zone id like Z0123456789ABCDEFGHIJ").optional(),
    wafEnabled: z.boolean().optional(),
    wafRateLimit: z.number().int().min(100).max(2000000000).default(2000),
  })
  .strict();

/** Keys read only as Pulumi secrets (`pulumi.Config.requireSecret`), never into the plain config object. */
export const SECRET_KEYS = ["reportSigningKey", "originVerifySecret"] as const;

export type AppConfig = z.infer<typeof appConfigSchema>;

export interface PlatformConfig {
  stack: string;
  region: string;
  accountId: string;
  /** The deploy role `aws:assumeRoles` names, for providers the program creates itself. */
  deployRoleArn: string;
  app: AppConfig;
}

const ACCOUNT_ID = /^\d{12}$/;

export class ConfigError extends Error {
  constructor(
    public readonly stack: string,
    public readonly problems: string[],
  ) {
    super(`Invalid config for stack "${stack}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Which JSON type each key holds, to decode the strings Pulumi hands over. */
function decode(key: string, raw: string): unknown {
  const shape = appConfigSchema.shape[key as keyof AppConfig];
  const inner = shape instanceof z.ZodDefault || shape instanceof z.ZodOptional ? (shape as any).unwrap() : shape;
  if (inner instanceof z.ZodString || inner instanceof z.ZodEnum) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Parses the raw stack config (`<namespace>:<key>` → string, as `pulumi.runtime.allConfig()`
 * returns it). Throws one ConfigError listing every problem.
 */
export function parseConfig(raw: Record<string, string>, stack: string, siblings: SiblingAccount[] = []): PlatformConfig {
  const problems: string[] = [];
  const app: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [namespace, key] = fullKey.split(":");
    if (namespace === PROJECT && !(SECRET_KEYS as readonly string[]).includes(key)) app[key] = decode(key, value);
  }
  const parsed = appConfigSchema.safeParse(app);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) problems.push(`${PROJECT}:${key}: unknown key (a typo? see the configuration table in README.md)`);
      } else {
        const [key, ...rest] = issue.path.map(String);
        const where = `${PROJECT}:${key ?? "?"}${rest.length ? `[${rest.join("].[")}]` : ""}`;
        const got = key !== undefined && key in app ? ` (got ${JSON.stringify(app[key])})` : "";
        problems.push(`${where}: ${issue.code === "invalid_type" && !(key! in app) ? "is required" : issue.message}${got}`);
      }
    }
  }

  const region = raw["aws:region"];
  if (!region) problems.push("aws:region: is required");
  else if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) problems.push(`aws:region: "${region}" is not an AWS region name`);

  let accountId = "";
  const accounts = raw["aws:allowedAccountIds"];
  if (!accounts) {
    problems.push("aws:allowedAccountIds: is required, so credentials for the wrong account fail before any change");
  } else {
    const ids = jsonOrUndefined(accounts);
    if (!Array.isArray(ids) || ids.length !== 1 || typeof ids[0] !== "string" || !ACCOUNT_ID.test(ids[0])) {
      problems.push(`aws:allowedAccountIds: must list exactly one 12-digit account id as a string (got ${accounts})`);
    } else {
      accountId = ids[0];
    }
  }

  let deployRoleArn = "";
  const roles = raw["aws:assumeRoles"];
  if (!roles) {
    problems.push("aws:assumeRoles: is required: the deploy role to assume in the stack's account (see \"Stacks and accounts\" in README.md)");
  } else {
    const list = jsonOrUndefined(roles);
    const arn = Array.isArray(list) && list.length === 1 ? (list[0] as { roleArn?: unknown })?.roleArn : undefined;
    if (typeof arn === "string") deployRoleArn = arn;
    const roleAccount = typeof arn === "string" ? /^arn:aws:iam::(\d{12}):role\/[\w+=,.@\/-]+$/.exec(arn)?.[1] : undefined;
    if (!roleAccount) problems.push(`aws:assumeRoles: must list exactly one { roleArn: arn:aws:iam::<account>:role/<name> } (got ${roles})`);
    else if (accountId && roleAccount !== accountId) problems.push(`aws:assumeRoles: the role ${arn} is in account ${roleAccount}, not in the stack's account ${accountId}`);
  }

  if (parsed.success) {
    const cfg = parsed.data;
    if (cfg.environment === "prod" && accountId) {
      for (const sibling of siblings.filter((s) => s.accountId === accountId && s.environment !== "prod")) {
        problems.push(`aws:allowedAccountIds: prod shares account ${accountId} with the ${sibling.environment} stack "${sibling.stack}"; prod needs an account of its own`);
      }
    }
    if (!!cfg.edgeDomain !== !!cfg.edgeHostedZoneId) problems.push(`${PROJECT}:edgeDomain: set it together with edgeHostedZoneId, or neither`);
    if ((cfg.edgeDomain || cfg.wafEnabled) && !cfg.edgeEnabled) problems.push(`${PROJECT}:edgeEnabled: must be true for edgeDomain or wafEnabled to apply`);
    if (cfg.environment === "prod" && !cfg.edgeEnabled) problems.push(`${PROJECT}:edgeEnabled: must be true in a prod environment (CloudFront, Shield, WAF)`);
    if (cfg.environment === "prod" && cfg.wafEnabled === false) problems.push(`${PROJECT}:wafEnabled: must not be false in a prod environment`);
    if (cfg.logExpireAfterDays <= cfg.logArchiveAfterDays) problems.push(`${PROJECT}:logExpireAfterDays: must be after logArchiveAfterDays (${cfg.logArchiveAfterDays})`);
    if (cfg.throttleBurstLimit < cfg.throttleRateLimit) problems.push(`${PROJECT}:throttleBurstLimit: must be at least throttleRateLimit (${cfg.throttleRateLimit})`);
    if (cfg.environment === "prod" && cfg.faultInjection) problems.push(`${PROJECT}:faultInjection: must be false in a prod environment`);
    if (cfg.environment === "prod" && !cfg.protectStatefulResources) problems.push(`${PROJECT}:protectStatefulResources: must be true in a prod environment`);
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(stack, problems);
  return { stack, region: region!, accountId, deployRoleArn, app: parsed.data };
}

/** Pulumi hands list and object settings over as JSON text; malformed text is reported by the caller. */
function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Another stack of the project: its account and kind, read from its stack file. */
export interface SiblingAccount {
  stack: string;
  environment: string;
  accountId: string;
}

/** The accounts of the project's other stacks, so prod can be refused an account it shares with dev or stage. */
export function siblingAccounts(programDir: string, stack: string): SiblingAccount[] {
  const siblings: SiblingAccount[] = [];
  for (const file of fs.readdirSync(programDir)) {
    const other = /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1];
    if (!other || other === stack) continue;
    const doc = parseYaml(fs.readFileSync(path.join(programDir, file), "utf8"))?.config ?? {};
    const ids = doc["aws:allowedAccountIds"];
    if (Array.isArray(ids) && typeof ids[0] === "string") siblings.push({ stack: other, environment: String(doc[`${PROJECT}:environment`] ?? "unknown"), accountId: ids[0] });
  }
  return siblings;
}

/** The stack's non-secret config document: config/<stack>.json, else config/<environment>.json. */
export function readAppConfigDocument(programDir: string, config: PlatformConfig): Record<string, unknown> {
  const candidates = [config.stack, config.app.environment].map((name) => path.join(programDir, "config", `${name}.json`));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) throw new ConfigError(config.stack, [`no config document: add ${path.relative(programDir, candidates[0])} (or one for its environment)`]);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(config.stack, [`${path.relative(programDir, file)} is not valid JSON: ${(err as Error).message}`]);
  }
}
