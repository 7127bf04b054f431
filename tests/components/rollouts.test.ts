/**
 * Rollouts on its own: the CodeDeploy application and a blue/green deployment group per function,
 * CodeDeploy's role and what it may do, the pre-traffic hook (its settings, smoke events and rights),
 * the plans `npm run rollout` reads, the transforms, and bad targets all named at once.
 */
import { expect } from "chai";
import * as aws from "../../components/aws";
import { LambdaFunction } from "../../components/lambda-function";
import { RolloutPlan, Rollouts } from "../../components/rollouts";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY, parsed } from "../harness";

const base = { entry: HEALTH_ENTRY, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC, aliasManagedByRollout: true };
const GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup";
const POLICY = "aws:iam/rolePolicy:RolePolicy";
const FUNCTION = "aws:lambda/function:Function";

describe("Rollouts", () => {
  let graph: GraphView;
  let plans: Record<string, RolloutPlan>;
  before(async () => {
    graph = await captureComponents(
      () => {
        const getOrder = new LambdaFunction("get-order", base);
        const report = new LambdaFunction("report", base);
        const extra = new aws.cloudwatch.MetricAlarm("api-5xx", {
          name: "api-5xx",
          comparisonOperator: "GreaterThanThreshold",
          evaluationPeriods: 1,
        });
        const rollouts = new Rollouts("rollouts", {
          targets: [
            {
              function: getOrder,
              preference: "Canary10Percent5Minutes",
              alarms: [getOrder.errorsAlarm, extra],
              smokeEvent: { path: "/orders/smoke" },
            },
            { function: report, preference: "AllAtOnce", alarms: [report.errorsAlarm] },
          ],
          alertTopicArn: ALERT_TOPIC,
          logRetentionDays: 14,
        });
        rollouts.plans.apply((p) => (plans = p));
        const other = new LambdaFunction("other", base);
        new Rollouts("custom", {
          targets: [{ function: other, preference: "Linear10PercentEvery1Minute", alarms: [other.errorsAlarm] }],
          alertTopicArn: ALERT_TOPIC,
          transform: {
            application: (args) => void (args.tags = { team: "orders" }),
            deploymentGroup: (args) => void (args.tags = { team: "orders" }),
            role: (args) => void (args.description = "custom role"),
            rolePolicy: (args) => void (args.name = "custom-policy"),
          },
        });
      },
      "prod",
      { "aws:region": "eu-west-1" },
    );
  });
  const fnArn = (name: string) => graph.one(FUNCTION, name).arn;
  const alias = (name: string) => graph.one("aws:lambda/alias:Alias", `${name}-live`);

  it("makes one CodeDeploy application for Lambda, named after the project and stack", () => {
    expect(graph.one("aws:codedeploy/application:Application", "rollouts-app").inputs).to.deep.include({
      name: "platform-prod",
      computePlatform: "Lambda",
    });
  });

  it("gives each function a blue/green group with traffic control, its preference, and rollback on failure and on its alarms", () => {
    const group = graph.one(GROUP, "rollouts-get-order");
    expect(group.inputs).to.deep.include({
      appName: "platform-prod",
      deploymentGroupName: "get-order",
      serviceRoleArn: graph.one("aws:iam/role:Role", "rollouts-role").arn,
      deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent5Minutes",
      deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "BLUE_GREEN" },
      autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
    });
    expect(group.inputs.alarmConfiguration).to.deep.equal({
      enabled: true,
      alarms: [graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "get-order-errors").state.name, "api-5xx"],
    });
    expect(graph.one(GROUP, "rollouts-report").inputs.deploymentConfigName).to.equal("CodeDeployDefault.LambdaAllAtOnce");
    // The group never outlives the policy that lets CodeDeploy act.
    expect(group.options.dependsOn).to.include(graph.one(POLICY, "rollouts-policy").urn);
  });

  it("lets CodeDeploy read the rollback alarms, move only these live aliases, and invoke only the hook", () => {
    const trust = parsed(graph.one("aws:iam/role:Role", "rollouts-role"), "assumeRolePolicy").Statement;
    expect(trust).to.deep.equal([{ Effect: "Allow", Principal: { Service: "codedeploy.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    const policy = graph.one(POLICY, "rollouts-policy");
    expect(policy.inputs.role).to.equal(graph.one("aws:iam/role:Role", "rollouts-role").id);
    const alarmArn = (name: string) => graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", name).arn;
    expect(parsed(policy, "policy").Statement).to.deep.equal([
      {
        Sid: "ReadRollbackAlarms",
        Effect: "Allow",
        Action: ["cloudwatch:DescribeAlarms"],
        Resource: [alarmArn("get-order-errors"), alarmArn("api-5xx"), alarmArn("report-errors")],
      },
      {
        Sid: "ShiftLiveAliases",
        Effect: "Allow",
        Action: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
        Resource: [alias("get-order").arn, alias("report").arn],
      },
      { Sid: "RunPreTrafficHook", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: fnArn("rollouts-hook") },
    ]);
  });

  it("runs the hook with 256 MB, a minute, at most five at once, the given log retention, and the smoke events by function name", () => {
    const hook = graph.one(FUNCTION, "rollouts-hook");
    expect(hook.inputs).to.deep.include({ memorySize: 256, timeout: 60, reservedConcurrentExecutions: 5 });
    expect(graph.one("aws:cloudwatch/logGroup:LogGroup", "rollouts-hook-logs").inputs.retentionInDays).to.equal(14);
    // Only a target with a smoke event of its own is listed; the others get the warm-up event.
    expect(JSON.parse(hook.inputs.environment.variables.ROLLOUT_SMOKE_EVENTS)).to.deep.equal({
      [graph.one(FUNCTION, "get-order").inputs.name]: { path: "/orders/smoke" },
    });
    expect(JSON.parse(graph.one(FUNCTION, "custom-hook").inputs.environment.variables.ROLLOUT_SMOKE_EVENTS)).to.deep.equal({});
  });

  it("lets the hook read its deployments, report back, and invoke the targets' versions, nothing else", () => {
    const grant = graph.one(POLICY, "rollouts-hook-rollout");
    expect(grant.inputs.role).to.equal(graph.one("aws:iam/role:Role", "rollouts-hook-role").id);
    expect(parsed(grant, "policy").Statement).to.deep.equal([
      {
        Sid: "ReadOwnDeployments",
        Effect: "Allow",
        Action: ["codedeploy:GetDeployment"],
        Resource: [graph.one(GROUP, "rollouts-get-order").arn, graph.one(GROUP, "rollouts-report").arn],
      },
      { Sid: "ReportHookStatus", Effect: "Allow", Action: ["codedeploy:PutLifecycleEventHookExecutionStatus"], Resource: "*" },
      {
        Sid: "SmokeTestNewVersions",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [`${fnArn("get-order")}:*`, `${fnArn("report")}:*`],
      },
    ]);
  });

  it("exports each function's plan: its name, alias, new version, preference, application, group and hook", () => {
    expect(Object.keys(plans)).to.deep.equal(["get-order", "report"]);
    expect(plans["get-order"]).to.deep.equal({
      functionName: graph.one(FUNCTION, "get-order").inputs.name,
      alias: "live",
      targetVersion: graph.one(FUNCTION, "get-order").state.version,
      preference: "Canary10Percent5Minutes",
      application: "platform-prod",
      deploymentGroup: "get-order",
      hook: graph.one(FUNCTION, "rollouts-hook").inputs.name,
    });
    expect(plans.report).to.deep.include({ preference: "AllAtOnce", deploymentGroup: "report" });
  });

  it("lets a transform adjust the application, each group, the role and its policy before they are created", () => {
    expect(graph.one("aws:codedeploy/application:Application", "custom-app").inputs.tags).to.deep.equal({ team: "orders" });
    expect(graph.one(GROUP, "custom-other").inputs).to.deep.include({
      tags: { team: "orders" },
      deploymentConfigName: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    });
    expect(graph.one("aws:iam/role:Role", "custom-role").inputs.description).to.equal("custom role");
    expect(graph.one(POLICY, "custom-policy").inputs.name).to.equal("custom-policy");
    expect(graph.one("aws:iam/role:Role", "rollouts-role").inputs.description).to.equal(undefined);
  });

  it("names every bad target at once: none, one twice, one without alarms", async () => {
    expect(await constructionError(() => new Rollouts("none", { targets: [], alertTopicArn: ALERT_TOPIC }))).to.equal(
      'Rollouts "none": give at least one target',
    );
    const message = await constructionError(() => {
      const a = new LambdaFunction("a", base);
      const b = new LambdaFunction("b", base);
      new Rollouts("bad", {
        targets: [
          { function: a, preference: "AllAtOnce", alarms: [a.errorsAlarm] },
          { function: a, preference: "AllAtOnce", alarms: [a.errorsAlarm] },
          { function: a, preference: "AllAtOnce", alarms: [] },
          { function: b, preference: "AllAtOnce", alarms: [] },
        ],
        alertTopicArn: ALERT_TOPIC,
      });
    });
    expect(message).to.equal(
      'Rollouts "bad": a is a target twice; a needs at least one alarm to roll back on; b needs at least one alarm to roll back on',
    );
  });
});
