/**
 * The stack config, parsed and validated once. Every problem is reported in one error, each naming
 * the key and the stack, so a typo or a bad value fails before anything is planned.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { HTTP_URL, PRIVATE_ORIGIN } from "./components/http-api";
import { scheduleProblem } from "./policy/schedule-expression";
import { DEPLOYMENT_PREFERENCES, ENV } from "./policy/contracts";

export const PROJECT = "platform";

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

// Read as EventBridge reads it, so an expression AWS would refuse fails `pulumi preview`, naming the key.
const schedule = z.string().superRefine((value, ctx) => {
  const problem = scheduleProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
/** An integer within a range, named as Pulumi.yaml's descriptions state it. */
const between = (min: number, max: number) =>
  z
    .number()
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be from ${min} to ${max}`)
    .max(max, `must be from ${min} to ${max}`);
const deploymentPreference = z.enum(DEPLOYMENT_PREFERENCES, {
  error: () => `must be one of CodeDeploy's nine Lambda deployment configs: ${DEPLOYMENT_PREFERENCES.join(", ")}`,
});
/** A function's short name (create-order), as per-function settings key it. */
const functionKey = z.string().regex(/^[a-z][a-z0-9-]*$/, "must be a function's short name (create-order)");
const provisionedConcurrency = z
  .object({
    min: between(1, 10000),
    max: between(1, 10000).optional(),
    targetUtilization: z.number().min(0.1, "must be from 0.1 to 0.9").max(0.9, "must be from 0.1 to 0.9").optional(),
  })
  .strict()
  .refine((pc) => pc.max === undefined || pc.max >= pc.min, { message: "max must be at least min" });
/** Private networking: a VPC made with awsx (`create`), or an existing one (`vpcId` and its `privateSubnetIds`). */
const network = z
  .object({
    create: z
      .object({
        natGateways: z.enum(["None", "Single", "OnePerAz"]).default("None"),
        availabilityZones: between(1, 6).default(2),
        cidrBlock: z
          .string()
          .regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-8])$/, "must be an IPv4 range from /16 to /28, like 10.0.0.0/16")
          .default("10.0.0.0/16"),
      })
      .strict()
      .optional(),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]{8,17}$/, "must be a VPC id like vpc-0123456789abcdef0")
      .optional(),
    privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "must be a subnet id like subnet-0123456789abcdef0")).optional(),
    endpointSecurityGroupId: z
      .string()
      .regex(/^sg-[0-9a-f]{8,17}$/, "must be a security group id like sg-0123456789abcdef0")
      .optional(),
    functions: z.array(functionKey).optional(),
  })
  .strict();
/** Text Pulumi.yaml defaults to "" to mean unset: "" reads as absent, anything else must match `inner`. */
const optionalText = (inner: z.ZodType<string>) => z.preprocess((v) => (v === "" ? undefined : v), inner.optional());

/**
 * The app's keys, in the `platform:` namespace. Pulumi.yaml declares the same keys, types and defaults
 * for the CLI, which merges its defaults in before the program runs; these defaults serve programs run
 * without the CLI (component tests). tests/config-schema.test.ts keeps the two in step.
 */
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
    throttleRateLimit: between(1, 10000),
    throttleBurstLimit: between(1, 5000),
    faultInjection: z.boolean(),
    legacyOrigin: optionalText(
      z
        .string()
        .refine(
          (v) => HTTP_URL.test(v) || PRIVATE_ORIGIN.test(v),
          "must be an http(s) URL, or a private backend: an internal load balancer listener's ARN or a Cloud Map service's ARN",
        ),
    ),
    legacyOriginPort: between(1, 65535).default(443),
    legacyOriginServerName: optionalText(
      z
        .string()
        .regex(
          /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
          "must be a lower-case DNS name like legacy.internal.example.com",
        ),
    ),
    maxReceiveCount: between(1, 1000).default(5),
    queueBatchSize: between(1, 10).default(10),
    queueMaxConcurrency: between(2, 1000).default(5),
    reservedConcurrency: z
      .record(z.string().regex(/^(\*|[a-z][a-z0-9-]*)$/, "must be a function's short name (create-order) or *"), between(1, 1000))
      .default({}),
    asyncRetryAttempts: between(0, 2).default(2),
    asyncMaxEventAgeSeconds: between(60, 21600).default(3600),
    dailyReportSchedule: schedule.default("cron(0 6 * * ? *)"),
    eventRetryAttempts: between(0, 185).default(3),
    eventMaxAgeSeconds: between(60, 86400).default(3600),
    protectStatefulResources: z.boolean(),
    baselineStack: optionalText(z.string().regex(/^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/, "must be org/project/stack")),
    logDestination: z.enum(["s3", "kinesis"]).default("s3"),
    logArchiveAfterDays: between(1, 3650).default(30),
    logExpireAfterDays: between(2, 3650).default(365),
    logStreamRetentionHours: between(24, 8760).default(24),
    alarmEvaluationPeriods: between(1, 10).default(1),
    functionErrorsThreshold: between(1, 100000).default(1),
    apiServerErrorsThreshold: between(1, 100000).default(1),
    apiLatencyP99ThresholdMs: between(100, 30000).default(3000),
    edgeEnabled: z.boolean().default(true),
    edgeDomain: optionalText(
      z
        .string()
        .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lower-case DNS name like api.example.com"),
    ),
    edgeHostedZoneId: optionalText(z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route53 hosted zone id like Z0123456789ABCDEFGHIJ")),
    edgeNoDomainReason: optionalText(z.string().min(10, "must say why, in a sentence")),
    wafEnabled: z.boolean().default(true),
    wafRateLimit: between(100, 2000000000).default(2000),
    tracing: z.enum(["Active", "PassThrough"]).default("Active"),
    codeDeployRollouts: z.boolean().default(false),
    deploymentPreference: deploymentPreference.default("AllAtOnce"),
    deploymentPreferences: z.record(functionKey, deploymentPreference).default({}),
    provisionedConcurrency: z.record(functionKey, provisionedConcurrency).default({}),
    network: network.default({}),
    functionEnvironment: z
      .record(
        z.string().regex(/^(\*|[a-z][a-z0-9-]*)$/, "must be a function's short name (create-order) or *"),
        z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"), z.string()),
      )
      .default({}),
  })
  .strict();

/** Keys read only as Pulumi secrets (`pulumi.Config.requireSecret`), never into the plain config object. */
export const SECRET_KEYS = ["reportSigningKey", "originVerifySecret"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

export type AppConfig = z.infer<typeof appConfigSchema>;

export interface PlatformConfig {
  stack: string;
  region: string;
  accountId: string;
  /** The deploy role `aws:assumeRoles` names, for providers the program creates itself. */
  deployRoleArn: string;
  app: AppConfig;
  /** Which secrets the stack sets itself; the rest the program generates and keeps as secrets. */
  secretsSet: Record<SecretKey, boolean>;
}

export interface ParseOptions {
  /** The other stacks' accounts, so prod can be refused one it shares. @default [] */
  siblings?: SiblingAccount[];
  /** A real deploy (the CLI's engine is attached): placeholder accounts, roles, addresses and domains are refused. @default false */
  deploying?: boolean;
}

const ACCOUNT_ID = /^\d{12}$/;
/** Variables the program sets itself, which per-stack extra environment may not override. */
const RESERVED_VARIABLES = new Set<string>([...Object.values(ENV), "NODE_OPTIONS"]);

export class ConfigError extends Error {
  constructor(
    public readonly stack: string,
    public readonly problems: string[],
  ) {
    super(`Invalid config for stack "${stack}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Whether a key holds text, which Pulumi hands over as is; other kinds arrive as JSON text. */
function holdsText(schema: z.ZodType | undefined): boolean {
  const def = (schema as any)?._zod?.def;
  if (!def) return false;
  if (def.type === "string" || def.type === "enum") return true;
  if (def.type === "default" || def.type === "optional") return holdsText(def.innerType);
  if (def.type === "pipe") return holdsText(def.out);
  return false;
}

/** A config value's path as the stack file spells it: `alarmEmails[0]`, `provisionedConcurrency.health.min`. */
function keyPath(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("");
}

/** Decodes the string Pulumi hands over for `key` into the value the schema checks. */
function decode(key: string, raw: string): unknown {
  if (holdsText(appConfigSchema.shape[key as keyof AppConfig])) return raw;
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
export function parseConfig(raw: Record<string, string>, stack: string, options: ParseOptions = {}): PlatformConfig {
  const siblings = options.siblings ?? [];
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
        // At the top, a key the schema does not have; inside an object value (provisionedConcurrency.health), a field it does not take.
        const within = issue.path.length ? `${keyPath(issue.path)}.` : "";
        for (const key of issue.keys)
          problems.push(`${PROJECT}:${within}${key}: unknown key (a typo? see the configuration table in README.md)`);
      } else {
        const key = issue.path.length ? String(issue.path[0]) : undefined;
        const value = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], app);
        const got = key !== undefined && key in app ? ` (got ${JSON.stringify(value)})` : "";
        problems.push(
          `${PROJECT}:${key === undefined ? "?" : keyPath(issue.path)}: ${issue.code === "invalid_type" && !(key! in app) ? "is required" : issue.message}${got}`,
        );
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
    problems.push(
      'aws:assumeRoles: is required: the deploy role to assume in the stack\'s account (see "Stacks and accounts" in README.md)',
    );
  } else {
    const list = jsonOrUndefined(roles);
    const arn = Array.isArray(list) && list.length === 1 ? (list[0] as { roleArn?: unknown })?.roleArn : undefined;
    if (typeof arn === "string") deployRoleArn = arn;
    const roleAccount = typeof arn === "string" ? /^arn:aws:iam::(\d{12}):role\/[\w+=,.@\/-]+$/.exec(arn)?.[1] : undefined;
    if (!roleAccount)
      problems.push(`aws:assumeRoles: must list exactly one { roleArn: arn:aws:iam::<account>:role/<name> } (got ${roles})`);
    else if (accountId && roleAccount !== accountId)
      problems.push(`aws:assumeRoles: the role ${arn} is in account ${roleAccount}, not in the stack's account ${accountId}`);
  }

  if (parsed.success) {
    const cfg = parsed.data;
    if (cfg.environment === "prod" && accountId) {
      for (const sibling of siblings.filter((s) => s.accountId === accountId && s.environment !== "prod")) {
        problems.push(
          `aws:allowedAccountIds: prod shares account ${accountId} with the ${sibling.environment} stack "${sibling.stack}"; prod needs an account of its own`,
        );
      }
    }
    if (!!cfg.edgeDomain !== !!cfg.edgeHostedZoneId)
      problems.push(`${PROJECT}:edgeDomain: set it together with edgeHostedZoneId, or neither`);
    if (cfg.edgeDomain && !cfg.edgeEnabled) problems.push(`${PROJECT}:edgeEnabled: must be true for edgeDomain to apply`);
    if (cfg.environment === "prod" && !cfg.edgeEnabled)
      problems.push(`${PROJECT}:edgeEnabled: must be true in a prod environment (CloudFront, Shield, WAF)`);
    if (cfg.environment === "prod" && !cfg.wafEnabled) problems.push(`${PROJECT}:wafEnabled: must not be false in a prod environment`);
    if (cfg.edgeEnabled && cfg.environment !== "dev" && !cfg.edgeDomain && !cfg.edgeNoDomainReason) {
      problems.push(
        `${PROJECT}:edgeDomain: outside dev the edge needs a domain (ACM certificate, TLS 1.2+ for every viewer): set edgeDomain and edgeHostedZoneId, or say why not in edgeNoDomainReason`,
      );
    }
    if (cfg.edgeDomain && cfg.edgeNoDomainReason) problems.push(`${PROJECT}:edgeNoDomainReason: remove it: the stack sets edgeDomain`);
    for (const [fn, variables] of Object.entries(cfg.functionEnvironment)) {
      for (const name of Object.keys(variables).filter((v) => RESERVED_VARIABLES.has(v) || v.startsWith("AWS_"))) {
        problems.push(`${PROJECT}:functionEnvironment.${fn}.${name}: is the platform's own (or Lambda's); it cannot be set here`);
      }
    }
    if (cfg.logExpireAfterDays <= cfg.logArchiveAfterDays)
      problems.push(`${PROJECT}:logExpireAfterDays: must be after logArchiveAfterDays (${cfg.logArchiveAfterDays})`);
    if (cfg.throttleBurstLimit < cfg.throttleRateLimit)
      problems.push(`${PROJECT}:throttleBurstLimit: must be at least throttleRateLimit (${cfg.throttleRateLimit})`);
    if (cfg.environment === "prod" && cfg.faultInjection) problems.push(`${PROJECT}:faultInjection: must be false in a prod environment`);
    if (cfg.environment === "prod" && !cfg.protectStatefulResources)
      problems.push(`${PROJECT}:protectStatefulResources: must be true in a prod environment`);
    // The orders queue's mapping must not run more invocations than processOrder may: the rest would be throttled and churn.
    const workerKey = "process-order" in cfg.reservedConcurrency ? "process-order" : "*";
    const workerReserved = cfg.reservedConcurrency[workerKey];
    if (workerReserved !== undefined && cfg.queueMaxConcurrency > workerReserved)
      problems.push(
        `${PROJECT}:queueMaxConcurrency: ${cfg.queueMaxConcurrency} is above processOrder's reserved concurrency (${workerReserved}, from reservedConcurrency.${workerKey}); lower it or reserve more`,
      );
    // Only CodeDeploy shifts traffic in steps: without it, every preference but AllAtOnce would be a silent no-op.
    if (!cfg.codeDeployRollouts) {
      const stepped = [
        ...(cfg.deploymentPreference !== "AllAtOnce" ? [["deploymentPreference", cfg.deploymentPreference]] : []),
        ...Object.entries(cfg.deploymentPreferences)
          .filter(([, p]) => p !== "AllAtOnce")
          .map(([fn, p]) => [`deploymentPreferences.${fn}`, p]),
      ];
      for (const [key, preference] of stepped)
        problems.push(`${PROJECT}:${key}: ${preference} needs codeDeployRollouts: true (CodeDeploy shifts the traffic)`);
    }
    problems.push(...networkProblems(cfg));
    if (cfg.environment === "prod" && !cfg.codeDeployRollouts)
      problems.push(`${PROJECT}:codeDeployRollouts: must be true in a prod environment (canary rollouts that roll back on alarms)`);
  }
  if (parsed.success && options.deploying) problems.push(...placeholders(raw, stack, parsed.data));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(stack, problems);
  const secretsSet = Object.fromEntries(SECRET_KEYS.map((key) => [key, (raw[`${PROJECT}:${key}`] ?? "") !== ""])) as Record<
    SecretKey,
    boolean
  >;
  return { stack, region: region!, accountId, deployRoleArn, app: parsed.data, secretsSet };
}

/** The placeholder account ids: twelve of one digit, or the AWS documentation's 123456789012. */
const PLACEHOLDER_ACCOUNT = /^(\d)\1{11}$|^123456789012$/;
/** Domains reserved for documentation (RFC 2606), which never receive mail or traffic. */
const EXAMPLE_DOMAIN = /(^|\.|@)example\.(com|org|net)$/;

/**
 * What the committed stack files hold only as examples: fine offline, fatal in a real deploy, where
 * AWS would answer with an opaque error (a foreign account) or fail silently (an alarm email nobody reads).
 */
function placeholders(raw: Record<string, string>, stack: string, app: AppConfig): string[] {
  const where = (key: string, what: string, fix: string) =>
    `Pulumi.${stack}.yaml: ${key} holds ${what}; ${fix} (README.md, "Before the first deploy")`;
  const found: string[] = [];
  const account = (jsonOrUndefined(raw["aws:allowedAccountIds"] ?? "") as string[] | undefined)?.[0] ?? "";
  if (PLACEHOLDER_ACCOUNT.test(account))
    found.push(where("aws:allowedAccountIds", `the placeholder account ${account}`, `put the ${app.environment} account's id there`));
  const role = /arn:aws:iam::(\d{12}):/.exec(raw["aws:assumeRoles"] ?? "")?.[1] ?? "";
  if (PLACEHOLDER_ACCOUNT.test(role))
    found.push(
      where(
        "aws:assumeRoles",
        `a deploy role in the placeholder account ${role}`,
        "name the deploy role the baseline stack created in your account",
      ),
    );
  for (const email of app.alarmEmails.filter((e) => EXAMPLE_DOMAIN.test(e)))
    found.push(where(`${PROJECT}:alarmEmails`, `the example address ${email}`, "list addresses someone reads"));
  for (const phone of app.alarmSmsNumbers.filter((n) => /^\+1\d{3}55501\d{2}$/.test(n)))
    found.push(where(`${PROJECT}:alarmSmsNumbers`, `the fictional number ${phone}`, "list numbers of the on-call"));
  const origin = app.legacyOrigin ? new URL(app.legacyOrigin).hostname : "";
  if (EXAMPLE_DOMAIN.test(origin))
    found.push(
      where(`${PROJECT}:legacyOrigin`, `the example origin ${app.legacyOrigin}`, 'point it at your backend, or set it to "" for none'),
    );
  if (app.edgeDomain && EXAMPLE_DOMAIN.test(app.edgeDomain))
    found.push(where(`${PROJECT}:edgeDomain`, `the example domain ${app.edgeDomain}`, "use a domain in your Route53 zone"));
  if (app.edgeHostedZoneId?.includes("EXAMPLE"))
    found.push(where(`${PROJECT}:edgeHostedZoneId`, `the example zone ${app.edgeHostedZoneId}`, "use your Route53 hosted zone's id"));
  return found;
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
    if (Array.isArray(ids) && typeof ids[0] === "string")
      siblings.push({ stack: other, environment: String(doc[`${PROJECT}:environment`] ?? "unknown"), accountId: ids[0] });
  }
  return siblings;
}

/** The stack's non-secret config document: config/<stack>.json, else config/<environment>.json. */
export function readAppConfigDocument(programDir: string, config: PlatformConfig): Record<string, unknown> {
  const candidates = [config.stack, config.app.environment].map((name) => path.join(programDir, "config", `${name}.json`));
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file)
    throw new ConfigError(config.stack, [
      `no config document: add ${path.relative(programDir, candidates[0])} (or one for its environment)`,
    ]);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(config.stack, [`${path.relative(programDir, file)} is not valid JSON: ${(err as Error).message}`]);
  }
}

/** The network's forms are exclusive, an existing VPC needs its subnets (two AZs' in prod), and functions need a network. */
function networkProblems(cfg: AppConfig): string[] {
  const { create, vpcId, privateSubnetIds, endpointSecurityGroupId, functions } = cfg.network;
  const key = `${PROJECT}:network`;
  const problems: string[] = [];
  if (create && vpcId) problems.push(`${key}: set create (a VPC made here) or vpcId (one that exists), not both`);
  if (privateSubnetIds && !vpcId) problems.push(`${key}.privateSubnetIds: needs network.vpcId, the VPC they are in`);
  if (endpointSecurityGroupId && !vpcId) problems.push(`${key}.endpointSecurityGroupId: needs network.vpcId, the VPC it is in`);
  if (vpcId && !privateSubnetIds?.length) problems.push(`${key}.vpcId: needs network.privateSubnetIds, the subnets functions go in`);
  if (cfg.environment === "prod" && vpcId && privateSubnetIds && privateSubnetIds.length < 2)
    problems.push(`${key}.privateSubnetIds: prod needs at least two subnets, in two availability zones (got ${privateSubnetIds.length})`);
  if (cfg.environment === "prod" && create && create.availabilityZones < 2)
    problems.push(`${key}.create.availabilityZones: prod needs at least two (got ${create.availabilityZones})`);
  const privateOrigin = !!cfg.legacyOrigin && PRIVATE_ORIGIN.test(cfg.legacyOrigin);
  if (privateOrigin && !create && !vpcId)
    problems.push(
      `${PROJECT}:legacyOrigin: a private backend is reached through a VPC link in the network's private subnets: set network.create, or network.vpcId and privateSubnetIds`,
    );
  if (cfg.legacyOriginServerName && !privateOrigin)
    problems.push(
      `${PROJECT}:legacyOriginServerName: applies to a private legacyOrigin only; a public one is checked against its URL's host`,
    );
  if (functions?.length && !create && !vpcId)
    problems.push(`${key}.functions: needs a network to run in: network.create, or network.vpcId and privateSubnetIds`);
  return problems;
}
