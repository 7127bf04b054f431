import { expect } from "chai";
import { GraphView, parsed, stackGraph } from "./harness";

const FUNCTION = "aws:lambda/function:Function";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/** The Function component that owns a Lambda function. */
function componentOf(graph: GraphView, fnUrn: string) {
  return graph.byUrn(graph.byUrn(fnUrn).parent!);
}

describe("the prod stack", () => {
  let graph: GraphView;
  before(async () => {
    graph = await stackGraph("prod");
  });

  it("deploys the five reference functions and the rollouts' pre-traffic hook", () => {
    expect(
      graph
        .all(FUNCTION)
        .map((f) => f.name)
        .sort(),
    ).to.deep.equal(["create-order", "daily-report", "get-order", "health", "process-order", "rollouts-hook"]);
  });

  it("gives every function a role of its own, used by nothing else", () => {
    const roles = graph.all(FUNCTION).map((f) => f.inputs.role);
    expect(new Set(roles).size).to.equal(roles.length);
    for (const role of roles) expect(graph.referenced(role)?.type).to.equal("aws:iam/role:Role");
  });

  it("gives every function a log group with prod's 90-day retention, wired through loggingConfig", () => {
    for (const fn of graph.all(FUNCTION)) {
      const logGroup = graph.all("aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === fn.inputs.loggingConfig.logGroup);
      expect(logGroup, fn.name).to.not.equal(undefined);
      expect(logGroup!.inputs.retentionInDays).to.equal(90);
    }
  });

  it("alarms on every function's errors, throttles and p99 duration", () => {
    for (const fn of graph.all(FUNCTION)) {
      const watched = graph
        .all(ALARM)
        .filter((a) => a.inputs.dimensions?.FunctionName === fn.inputs.name)
        .map((a) => a.inputs.metricName);
      expect(watched, fn.name).to.include.members(["Errors", "Throttles", "Duration"]);
    }
  });

  it("wires the async dailyReport to retries and its DLQ", () => {
    const fn = graph.one(FUNCTION, "daily-report");
    const config = graph
      .all("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig")
      .find((c) => c.inputs.functionName === fn.inputs.name);
    expect(config?.inputs.maximumRetryAttempts).to.equal(2);
    const dlq = graph.referenced(config!.inputs.destinationConfig.onFailure.destination);
    expect(dlq?.type).to.equal("aws:sqs/queue:Queue");
    expect(dlq?.inputs.messageRetentionSeconds).to.equal(1209600);
    const policy = graph.descendants(componentOf(graph, fn.urn), "aws:iam/rolePolicy:RolePolicy")[0];
    expect(JSON.stringify(parsed(policy, "policy"))).to.include(dlq!.arn!);
  });

  it("redrives poison orders to the orders DLQ after maxReceiveCount", () => {
    const queue = graph.one("aws:sqs/queue:Queue", "process-order-queue");
    const redrive = parsed(queue, "redrivePolicy");
    expect(graph.referenced(redrive.deadLetterTargetArn)?.name).to.equal("process-order-dlq");
    expect(redrive.maxReceiveCount).to.equal(5);
  });

  it("sends every alarm to the alerts topic on ALARM and on OK", () => {
    const topic = graph.one("aws:sns/topic:Topic", "alerts");
    const alarms = [...graph.all(ALARM), ...graph.all("aws:cloudwatch/compositeAlarm:CompositeAlarm")];
    expect(alarms.length).to.be.greaterThan(20);
    expect(alarms.some((a) => a.type === "aws:cloudwatch/compositeAlarm:CompositeAlarm")).to.equal(true);
    // CloudFront's metrics live in us-east-1, and alarms notify topics of their own region: the edge's go to its us-east-1 twin.
    const edgeTopic = graph.all("aws:sns/topic:Topic").find((t) => t.name === "edge-alerts");
    const usEast1 = graph.all("pulumi:providers:aws").find((p) => p.inputs.region === "us-east-1");
    // The home region's "application unhealthy" composite also tells the account's on-call (the baseline's topic).
    const accountTopic = graph.all("pulumi:pulumi:StackReference")[0].state.outputs.alertTopicArn;
    for (const alarm of alarms) {
      const expected =
        usEast1 && alarm.provider?.startsWith(usEast1.urn)
          ? [edgeTopic!.arn]
          : alarm.name === "monitoring-unhealthy"
            ? [topic.arn, accountTopic]
            : [topic.arn];
      expect(alarm.inputs.alarmActions, alarm.name).to.deep.equal(expected);
      expect(alarm.inputs.okActions, alarm.name).to.deep.equal(expected);
    }
  });

  it("protects its table and queues, and keeps them when the stack is destroyed", () => {
    for (const r of [...graph.all("aws:dynamodb/table:Table"), ...graph.all("aws:sqs/queue:Queue")]) {
      expect(r.options.retainOnDelete, r.name).to.equal(true);
      expect(r.options.protect, r.name).to.equal(true);
    }
    expect(graph.one("aws:dynamodb/table:Table", "orders").inputs.deletionProtectionEnabled).to.equal(true);
  });

  it("turns fault injection off in every function", () => {
    for (const fn of graph.all(FUNCTION)) expect(fn.inputs.environment.variables.FAULT_INJECTION, fn.name).to.not.equal("on");
    const off = graph.all(FUNCTION).filter((fn) => fn.inputs.environment.variables.FAULT_INJECTION === "off");
    expect(off.map((fn) => fn.name).sort()).to.deep.equal(["create-order", "daily-report", "get-order", "health", "process-order"]);
  });

  it("caps every function's concurrency, and the queue worker below the rest", () => {
    const reserved = Object.fromEntries(graph.all(FUNCTION).map((f) => [f.name, f.inputs.reservedConcurrentExecutions]));
    expect(reserved).to.deep.equal({
      health: 100,
      "create-order": 100,
      "get-order": 100,
      "process-order": 10,
      "daily-report": 100,
      "rollouts-hook": 5,
    });
    const mapping = graph.one("aws:lambda/eventSourceMapping:EventSourceMapping", "process-order-events");
    expect(mapping.inputs.scalingConfig).to.deep.equal({ maximumConcurrency: 5 });
  });

  it("keeps the API functions warm with provisioned concurrency on their live alias, and runs no warmer", () => {
    const provisioned = graph.all("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig");
    expect(provisioned.map((p) => [p.name, p.inputs.qualifier, p.inputs.provisionedConcurrentExecutions]).sort()).to.deep.equal([
      ["create-order-provisioned", "live", 2],
      ["get-order-provisioned", "live", 2],
      ["health-provisioned", "live", 1],
    ]);
    expect(
      graph
        .all("aws:appautoscaling/target:Target")
        .map((t) => [t.name, t.inputs.maxCapacity])
        .sort(),
    ).to.deep.equal([
      ["create-order-provisioned-scaling", 20],
      ["get-order-provisioned-scaling", 20],
    ]);
    const warmups = graph.all("aws:cloudwatch/eventTarget:EventTarget").filter((t) => t.inputs.input === JSON.stringify({ warmer: true }));
    expect(warmups).to.deep.equal([]);
  });

  it("rolls the API functions out by canary and the others all at once, each rolling back on its alarms", () => {
    const groups = graph.all("aws:codedeploy/deploymentGroup:DeploymentGroup");
    const alarmName = (fn: string) => graph.one(ALARM, `${fn}-errors`).state.name;
    const api5xx = graph.one(ALARM, "api-5xx").state.name;
    const byName: Record<string, any> = Object.fromEntries(groups.map((g) => [g.inputs.deploymentGroupName, g.inputs]));
    expect(Object.keys(byName).sort()).to.deep.equal(["create-order", "daily-report", "get-order", "health", "process-order"]);
    for (const fn of ["create-order", "get-order", "health"]) {
      expect(byName[fn].deploymentConfigName, fn).to.equal("CodeDeployDefault.LambdaCanary10Percent5Minutes");
      expect(byName[fn].alarmConfiguration.alarms, fn).to.have.members([alarmName(fn), api5xx]);
    }
    for (const fn of ["daily-report", "process-order"]) {
      expect(byName[fn].deploymentConfigName, fn).to.equal("CodeDeployDefault.LambdaAllAtOnce");
      expect(byName[fn].alarmConfiguration.alarms, fn).to.deep.equal([alarmName(fn)]);
    }
    for (const group of Object.values(byName)) {
      expect(group.autoRollbackConfiguration).to.deep.equal({ enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] });
      expect(group.alarmConfiguration.enabled).to.equal(true);
    }
    // pulumi up publishes versions; only the rollout moves an alias.
    for (const alias of graph.all("aws:lambda/alias:Alias").filter((a) => a.name !== "rollouts-hook-live"))
      expect(alias.options.ignoreChanges, alias.name).to.have.members(["functionVersion", "routingConfig"]);
  });

  it("allows no wildcard action in any role policy", () => {
    for (const policy of graph.all("aws:iam/rolePolicy:RolePolicy")) {
      for (const statement of parsed(policy, "policy").Statement) {
        for (const action of statement.Action) expect(action, policy.name).to.not.include("*");
      }
    }
  });

  it("passes unmigrated paths to the legacy backend", () => {
    const integration = graph.all("aws:apigatewayv2/integration:Integration").find((i) => i.inputs.integrationType === "HTTP_PROXY");
    expect(integration?.inputs.integrationUri).to.equal("https://legacy.example.com/{proxy}");
  });

  it("exports the API URL, function names, queue and DLQ URLs and the alert topic", () => {
    const out = graph.graph.outputs;
    expect(out.apiUrl).to.equal(graph.one("aws:apigatewayv2/api:Api", "api").state.apiEndpoint);
    expect(out.functionNames.processOrder).to.equal(graph.one(FUNCTION, "process-order").inputs.name);
    expect(out.ordersQueueUrl).to.equal(graph.one("aws:sqs/queue:Queue", "process-order-queue").id);
    expect(out.deadLetterQueues.orders.url).to.equal(graph.one("aws:sqs/queue:Queue", "process-order-dlq").id);
    expect(out.deadLetterQueues.dailyReport.url).to.equal(graph.one("aws:sqs/queue:Queue", "daily-report-dlq").id);
    expect(out.alertTopicArn).to.equal(graph.one("aws:sns/topic:Topic", "alerts").arn);
  });

  it("exports what npm run rollout moves: each function's alias, the version just published, its group and the hook", () => {
    const plans = graph.graph.outputs.rolloutPlans;
    expect(Object.keys(plans).sort()).to.deep.equal(["create-order", "daily-report", "get-order", "health", "process-order"]);
    expect(plans["get-order"]).to.deep.equal({
      functionName: graph.one(FUNCTION, "get-order").inputs.name,
      alias: "live",
      targetVersion: graph.one(FUNCTION, "get-order").state.version,
      preference: "Canary10Percent5Minutes",
      application: graph.one("aws:codedeploy/application:Application", "rollouts-app").inputs.name,
      deploymentGroup: "get-order",
      hook: graph.one(FUNCTION, "rollouts-hook").inputs.name,
    });
  });
});

describe("the dev stack", () => {
  let graph: GraphView;
  before(async () => {
    graph = await stackGraph("dev");
  });

  it("turns fault injection on and keeps logs for 7 days", () => {
    expect(graph.one(FUNCTION, "create-order").inputs.environment.variables.FAULT_INJECTION).to.equal("on");
    expect(graph.one("aws:cloudwatch/logGroup:LogGroup", "create-order-logs").inputs.retentionInDays).to.equal(7);
  });

  it("has no warmer", () => {
    expect(graph.all("aws:cloudwatch/eventTarget:EventTarget").filter((t) => t.inputs.input)).to.have.length(0);
  });

  it("can be torn down: nothing is retained and the table is not deletion-protected", () => {
    expect(graph.one("aws:dynamodb/table:Table", "orders").options.retainOnDelete).to.equal(false);
    expect(graph.one("aws:dynamodb/table:Table", "orders").inputs.deletionProtectionEnabled).to.equal(false);
    expect(graph.one("aws:sqs/queue:Queue", "process-order-dlq").options.retainOnDelete).to.equal(false);
  });

  it("places every resource in the dev account and region", () => {
    for (const r of graph.resources.filter((x) => x.arn && !x.arn.startsWith("arn:aws:s3:::"))) {
      expect(r.arn, r.name).to.match(/^arn:aws:[a-z0-9-]+:(eu-west-1)?:(111111111111)?:/);
    }
  });
});
