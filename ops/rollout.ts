/**
 * Rollouts of the live aliases, as `npm run rollout` starts them after `pulumi up`: for each function
 * whose alias is behind the version the deploy published, one CodeDeploy deployment with the AppSpec
 * SAM would write (the function, its alias, current and target version, the BeforeAllowTraffic hook).
 * CodeDeploy shifts the traffic in the group's steps and rolls back on a failed hook or an alarm; this
 * waits for the outcome unless asked not to, so a deploy job fails when a rollout rolls back.
 */
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, ListDeploymentsCommand } from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { RolloutPlan } from "../components/rollouts";
import { ToolInputError } from "./target";

/** What a rollout asks of AWS: Lambda's GetAlias and CodeDeploy's deployments. */
export interface RolloutClient {
  aliasVersion(functionName: string, alias: string): Promise<string>;
  /** Deployments of the group that are created, queued, in progress or ready, by id. */
  activeDeployments(application: string, deploymentGroup: string): Promise<string[]>;
  createDeployment(application: string, deploymentGroup: string, appSpec: string, description: string): Promise<string>;
  deployment(id: string): Promise<{ status: string; message?: string }>;
}

export interface RolloutOutcome {
  key: string;
  functionName: string;
  /** up-to-date: nothing to do; started: not waited for; succeeded; rolled-back: failed or stopped, the alias is back. */
  result: "up-to-date" | "started" | "succeeded" | "rolled-back";
  from?: string;
  to: string;
  deploymentId?: string;
  message?: string;
}

export interface RolloutOptions {
  /** Wait for each deployment's outcome. @default true */
  wait?: boolean;
  /** Between two looks at a deployment, in ms. @default 15000 */
  pollMs?: number;
  /** Only these functions (short names). @default every one */
  only?: string[];
  log?: (line: string) => void;
}

/** A rollout not started because one of the same group is running: CodeDeploy would queue or refuse it, and the two would fight. */
export class RolloutInProgressError extends ToolInputError {}

/** The stack's rollout plans, checked: the output `pulumi up` exported, by function short name. */
export function rolloutPlansOf(outputs: Record<string, any>, stack: string): Record<string, RolloutPlan> {
  const plans = outputs.rolloutPlans;
  if (!plans || typeof plans !== "object" || Object.keys(plans).length === 0)
    throw new ToolInputError(
      `stack ${stack} exports no rolloutPlans: its functions' aliases move with pulumi up (set platform:codeDeployRollouts true for rollouts)`,
    );
  for (const [key, plan] of Object.entries(plans as Record<string, Partial<RolloutPlan>>)) {
    const missing = (["functionName", "alias", "targetVersion", "application", "deploymentGroup", "hook"] as const).filter((k) => !plan[k]);
    if (missing.length)
      throw new ToolInputError(`rolloutPlans.${key} lacks ${missing.join(", ")}: run pulumi up with this version of the program`);
  }
  return plans;
}

/** The AppSpec of one Lambda deployment, as SAM writes it; JSON, which CodeDeploy accepts as well as YAML. */
export function appSpec(plan: RolloutPlan, currentVersion: string): string {
  return JSON.stringify({
    version: 0.0,
    Resources: [
      {
        [plan.deploymentGroup]: {
          Type: "AWS::Lambda::Function",
          Properties: { Name: plan.functionName, Alias: plan.alias, CurrentVersion: currentVersion, TargetVersion: plan.targetVersion },
        },
      },
    ],
    Hooks: [{ BeforeAllowTraffic: plan.hook }],
  });
}

const DONE = new Set(["Succeeded", "Failed", "Stopped"]);

export async function rollout(
  plans: Record<string, RolloutPlan>,
  client: RolloutClient,
  options: RolloutOptions = {},
): Promise<RolloutOutcome[]> {
  const log = options.log ?? (() => {});
  const unknown = (options.only ?? []).filter((k) => !plans[k]);
  if (unknown.length)
    throw new ToolInputError(`--function ${unknown.join(", ")}: no such function; functions: ${Object.keys(plans).join(", ")}`);
  const chosen = Object.entries(plans).filter(([key]) => !options.only || options.only.includes(key));

  // Every group is checked before any deployment starts: a refused rollout starts nothing.
  const current = new Map<string, string>();
  for (const [key, plan] of chosen) {
    const running = await client.activeDeployments(plan.application, plan.deploymentGroup);
    if (running.length)
      throw new RolloutInProgressError(
        `${key}: deployment ${running.join(", ")} of ${plan.application}/${plan.deploymentGroup} is still running; wait for it (or stop it with \`aws deploy stop-deployment --deployment-id ${running[0]} --auto-rollback-enabled\`), then run the rollout again`,
      );
    current.set(key, await client.aliasVersion(plan.functionName, plan.alias));
  }

  const outcomes: RolloutOutcome[] = [];
  const started: RolloutOutcome[] = [];
  for (const [key, plan] of chosen) {
    const from = current.get(key)!;
    if (from === plan.targetVersion) {
      outcomes.push({ key, functionName: plan.functionName, result: "up-to-date", from, to: plan.targetVersion });
      log(`${key}: ${plan.alias} is at version ${from} already`);
      continue;
    }
    const id = await client.createDeployment(
      plan.application,
      plan.deploymentGroup,
      appSpec(plan, from),
      `${plan.functionName}:${plan.alias} ${from} -> ${plan.targetVersion} (${plan.preference})`,
    );
    log(`${key}: ${plan.alias} ${from} -> ${plan.targetVersion}, ${plan.preference}: deployment ${id}`);
    const outcome: RolloutOutcome = {
      key,
      functionName: plan.functionName,
      result: "started",
      from,
      to: plan.targetVersion,
      deploymentId: id,
    };
    outcomes.push(outcome);
    started.push(outcome);
  }
  if (options.wait === false) return outcomes;

  // The deployments run side by side, as CodeDeploy runs them; each is watched until it ends.
  const pending = new Set(started);
  while (pending.size) {
    for (const outcome of [...pending]) {
      const { status, message } = await client.deployment(outcome.deploymentId!);
      if (!DONE.has(status)) continue;
      pending.delete(outcome);
      outcome.result = status === "Succeeded" ? "succeeded" : "rolled-back";
      outcome.message = message;
      log(
        outcome.result === "succeeded"
          ? `${outcome.key}: deployment ${outcome.deploymentId} succeeded: ${outcome.to} takes all traffic`
          : `${outcome.key}: deployment ${outcome.deploymentId} ${status.toLowerCase()} and rolled back to ${outcome.from}${message ? `: ${message}` : ""}`,
      );
    }
    if (pending.size) await new Promise((r) => setTimeout(r, options.pollMs ?? 15000));
  }
  return outcomes;
}

/** The statuses of a deployment that has not ended; one of them in a group means a rollout is running there. */
const ACTIVE_STATUSES = ["Created", "Queued", "InProgress", "Baking", "Ready"] as const;

/** The rollout client for AWS, with the SDK's clients (default credentials, or the endpoints the environment names). */
export function awsRolloutClient(codedeploy: CodeDeployClient, lambda: LambdaClient): RolloutClient {
  return {
    aliasVersion: async (functionName, alias) => {
      const answer = await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
      return answer.FunctionVersion!;
    },
    activeDeployments: async (application, deploymentGroup) => {
      const answer = await codedeploy.send(
        new ListDeploymentsCommand({
          applicationName: application,
          deploymentGroupName: deploymentGroup,
          includeOnlyStatuses: [...ACTIVE_STATUSES],
        }),
      );
      return answer.deployments ?? [];
    },
    createDeployment: async (application, deploymentGroup, content, description) => {
      const answer = await codedeploy.send(
        new CreateDeploymentCommand({
          applicationName: application,
          deploymentGroupName: deploymentGroup,
          description,
          revision: { revisionType: "AppSpecContent", appSpecContent: { content } },
        }),
      );
      return answer.deploymentId!;
    },
    deployment: async (id) => {
      const { deploymentInfo } = await codedeploy.send(new GetDeploymentCommand({ deploymentId: id }));
      return { status: deploymentInfo?.status ?? "Unknown", message: deploymentInfo?.errorInformation?.message };
    },
  };
}
