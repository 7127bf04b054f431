/**
 * The account baseline: what exists once per AWS account and region, so that any number of
 * application stacks (dev, developers' dev-<name>, other applications) deploy beside each other.
 * `pulumi up -C baseline -s <account>` with administrator credentials, once per account.
 *
 *   GitHub Actions (OIDC) ─► platform-ci-deploy ─► platform-deploy (under a permissions boundary) ─► app stacks
 *                        └─► platform-ci-preview ─► platform-preview (read-only, no data reads)  ─► PR previews
 *   AWS Config recorder and delivery channel (dev by default) ─► its own secure bucket
 *   account alerts topic ◄─ what the baseline watches; app stacks' "application unhealthy" alarms too
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AccountAccess } from "../components/account-access";
import { Alerts } from "../components/alerts";
import { ConfigRecorder } from "../components/config-recorder";

const schema = z
  .object({
    environment: z.enum(["dev", "stage", "prod"]),
    githubRepository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be owner/name"),
    deployEnvironments: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be a GitHub environment name"))
      .min(1, "must name at least one environment"),
    awsConfigRecorder: z.boolean(),
    alarmEmails: z.array(z.string().email("must be an email address")),
    protect: z.boolean(),
  })
  .strict();

function readConfig(): z.infer<typeof schema> {
  const project = pulumi.getProject();
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [namespace, name] = key.split(":");
    if (namespace !== project) continue;
    raw[name] = ["environment", "githubRepository"].includes(name) ? value : JSON.parse(value);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${project}:${i.path.join(".")}: ${i.message}`);
    throw Object.assign(new Error(`Invalid config for stack "${pulumi.getStack()}":\n${problems.join("\n")}`), { name: "ConfigError" });
  }
  return parsed.data;
}

const config = readConfig();

const access = new AccountAccess("access", {
  repository: config.githubRepository,
  deployEnvironments: config.deployEnvironments,
  protect: config.protect,
});

const alerts = new Alerts("account-alerts", { emails: config.alarmEmails, protect: config.protect });

const recorder = config.awsConfigRecorder ? new ConfigRecorder("aws-config", { protect: config.protect }) : undefined;

/** What application stacks read through a StackReference to this stack. */
export const deployRoleArn = access.deployRole.arn;
export const previewRoleArn = access.previewRole.arn;
export const ciDeployRoleArn = access.ciDeployRole.arn;
export const ciPreviewRoleArn = access.ciPreviewRole.arn;
export const alertTopicArn = alerts.topicArn;
export const awsConfigBucket = recorder ? recorder.bucket.name : "";
