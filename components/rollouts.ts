/**
 * Canary and linear rollouts with automatic rollback, as SAM's AutoPublishAlias plus DeploymentPreference
 * give them: one CodeDeploy application (compute platform Lambda) per stack, a deployment group per
 * function that may move its live alias, rolling back on a failed deployment and on any of its alarms,
 * and a BeforeAllowTraffic hook that invokes each new version once before it takes traffic.
 *
 * Pulumi has no UpdatePolicy, so nothing here starts a deployment: `npm run rollout` does, after
 * `pulumi up`, from the stack's `rollouts` output (docs/decisions/0007-rollouts.md). The functions
 * are made with `aliasManagedByRollout`, so `pulumi up` publishes versions and never moves the alias.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "./aws";
import { codeDeployConfigName, DeploymentPreference, ENV, LIVE_ALIAS } from "../policy/contracts";
import { Transform, transformed } from "./child";
import { policyDocument, trustPolicy } from "./iam";
import { LambdaFunction } from "./lambda-function";

/** One function whose live alias a rollout moves. */
export interface RolloutTarget {
  /** A function made with `aliasManagedByRollout: true`. */
  function: LambdaFunction;
  /** How its new versions take traffic. */
  preference: DeploymentPreference;
  /** Alarms that stop the deployment and roll it back: at least the function's errors alarm. */
  alarms: aws.cloudwatch.MetricAlarm[];
  /** The event the hook sends the new version; an answer with statusCode 500 or more fails it. @default the warm-up event */
  smokeEvent?: unknown;
}

/** What `npm run rollout` needs for one function, as the stack exports it. */
export interface RolloutPlan {
  functionName: string;
  alias: string;
  /** The version this deploy published: where the rollout moves the alias. */
  targetVersion: string;
  preference: DeploymentPreference;
  application: string;
  deploymentGroup: string;
  /** The BeforeAllowTraffic hook's function name. */
  hook: string;
}

export interface RolloutsArgs {
  /** The functions, each keyed by its short name in children and outputs. */
  targets: RolloutTarget[];
  /** Topic that receives the hook function's own alarms. */
  alertTopicArn: pulumi.Input<string>;
  /** The hook function's log retention in days. @default 30 */
  logRetentionDays?: number;
  /** Adjusts a child before it is created. @default none */
  transform?: {
    application?: Transform<aws.codedeploy.ApplicationArgs>;
    deploymentGroup?: Transform<aws.codedeploy.DeploymentGroupArgs>;
    role?: Transform<aws.iam.RoleArgs>;
    rolePolicy?: Transform<aws.iam.RolePolicyArgs>;
  };
}

export class Rollouts extends pulumi.ComponentResource {
  public readonly application: aws.codedeploy.Application;
  public readonly role: aws.iam.Role;
  public readonly rolePolicy: aws.iam.RolePolicy;
  public readonly hook: LambdaFunction;
  /** Each function's deployment group, by its short name. */
  public readonly deploymentGroups: Record<string, aws.codedeploy.DeploymentGroup> = {};
  /** What `npm run rollout` reads, by the function's short name. */
  public readonly plans: pulumi.Output<Record<string, RolloutPlan>>;

  constructor(name: string, args: RolloutsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:deploy:Rollouts", name, {}, opts);
    validate(name, args);
    this.application = new aws.codedeploy.Application(
      ...transformed(
        args.transform?.application,
        `${name}-app`,
        { name: `${pulumi.getProject()}-${pulumi.getStack()}`, computePlatform: "Lambda" },
        { parent: this },
      ),
    );
    this.hook = this.createHook(name, args);
    this.role = new aws.iam.Role(
      ...transformed(args.transform?.role, `${name}-role`, { assumeRolePolicy: trustPolicy("codedeploy.amazonaws.com") }, { parent: this }),
    );
    this.rolePolicy = this.createRolePolicy(name, args);
    for (const target of args.targets) this.deploymentGroups[target.function.shortName] = this.createDeploymentGroup(name, args, target);
    this.grantHook(args);
    this.plans = pulumi.output(
      Object.fromEntries(
        args.targets.map((t) => [
          t.function.shortName,
          pulumi.output({
            functionName: t.function.name,
            alias: LIVE_ALIAS,
            targetVersion: t.function.version,
            preference: t.preference,
            application: this.application.name,
            deploymentGroup: this.deploymentGroups[t.function.shortName].deploymentGroupName,
            hook: this.hook.name,
          }),
        ]),
      ),
    );
    this.registerOutputs({ plans: this.plans });
  }

  private createHook(name: string, args: RolloutsArgs): LambdaFunction {
    const smoke = Object.fromEntries(args.targets.filter((t) => t.smokeEvent !== undefined).map((t) => [t.function.shortName, t]));
    return new LambdaFunction(
      `${name}-hook`,
      {
        entry: path.join(__dirname, "..", "functions", "rolloutHook.ts"),
        memoryMb: 256,
        // Long enough for the new version's cold start and its smoke event.
        timeoutSeconds: 60,
        // One invocation per deployment: a low ceiling, like every function's.
        reservedConcurrency: 5,
        alertTopicArn: args.alertTopicArn,
        logRetentionDays: args.logRetentionDays,
        environment: {
          [ENV.rolloutSmokeEvents]: pulumi
            .all(Object.values(smoke).map((t) => pulumi.all([t.function.name, pulumi.output(t.smokeEvent)])))
            .apply((pairs) => JSON.stringify(Object.fromEntries(pairs))),
        },
      },
      { parent: this },
    );
  }

  /** What CodeDeploy does with its role: read the alarms, move the aliases, invoke the hook. */
  private createRolePolicy(name: string, args: RolloutsArgs): aws.iam.RolePolicy {
    const aliases = args.targets.map((t) => t.function.liveArn);
    return new aws.iam.RolePolicy(
      ...transformed(
        args.transform?.rolePolicy,
        `${name}-policy`,
        {
          role: this.role.id,
          policy: policyDocument([
            {
              Sid: "ReadRollbackAlarms",
              Action: ["cloudwatch:DescribeAlarms"],
              Resource: args.targets.flatMap((t) => t.alarms.map((a) => a.arn)),
            },
            {
              Sid: "ShiftLiveAliases",
              Action: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
              Resource: aliases,
            },
            { Sid: "RunPreTrafficHook", Action: ["lambda:InvokeFunction"], Resource: this.hook.arn },
          ]),
        },
        { parent: this },
      ),
    );
  }

  private createDeploymentGroup(name: string, args: RolloutsArgs, target: RolloutTarget): aws.codedeploy.DeploymentGroup {
    return new aws.codedeploy.DeploymentGroup(
      ...transformed(
        args.transform?.deploymentGroup,
        `${name}-${target.function.shortName}`,
        {
          appName: this.application.name,
          deploymentGroupName: target.function.shortName,
          serviceRoleArn: this.role.arn,
          deploymentConfigName: codeDeployConfigName(target.preference),
          deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
          autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
          alarmConfiguration: { enabled: true, alarms: target.alarms.map((a) => a.name) },
        },
        // CodeDeploy checks its role's rights when it uses them, but the group must not outlive its policy.
        { parent: this, dependsOn: [this.rolePolicy] },
      ),
    );
  }

  /** The hook reads its deployment, invokes the target's new version, and reports back. */
  private grantHook(args: RolloutsArgs): void {
    const groups = Object.values(this.deploymentGroups).map((g) => g.arn);
    new aws.iam.RolePolicy(
      `${this.hook.shortName}-rollout`,
      {
        role: this.hook.role.id,
        policy: policyDocument([
          { Sid: "ReadOwnDeployments", Action: ["codedeploy:GetDeployment"], Resource: groups },
          // PutLifecycleEventHookExecutionStatus supports no resource type: IAM accepts only "*" for it.
          { Sid: "ReportHookStatus", Action: ["codedeploy:PutLifecycleEventHookExecutionStatus"], Resource: "*" },
          {
            Sid: "SmokeTestNewVersions",
            Action: ["lambda:InvokeFunction"],
            Resource: args.targets.map((t) => pulumi.interpolate`${t.function.arn}:*`),
          },
        ]),
      },
      { parent: this },
    );
  }
}

function validate(name: string, args: RolloutsArgs): void {
  const problems: string[] = [];
  if (args.targets.length === 0) problems.push("give at least one target");
  const names = args.targets.map((t) => t.function.shortName);
  for (const dup of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`${dup} is a target twice`);
  for (const t of args.targets)
    if (t.alarms.length === 0) problems.push(`${t.function.shortName} needs at least one alarm to roll back on`);
  if (problems.length > 0) throw new Error(`Rollouts "${name}": ${problems.join("; ")}`);
}
