import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { LambdaFunction } from "../../components/lambda-function";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY as HEALTH, parsed, settledValue } from "../harness";

describe("LambdaFunction", () => {
  let graph: GraphView;
  const made: Record<string, LambdaFunction> = {};
  before(async () => {
    graph = await captureComponents(() => {
      made.sync = new LambdaFunction("sync-fn", {
        entry: HEALTH,
        memoryMb: 256,
        timeoutSeconds: 10,
        alertTopicArn: ALERT_TOPIC,
        logRetentionDays: 14,
      });
      new LambdaFunction("async-fn", {
        entry: HEALTH,
        memoryMb: 512,
        timeoutSeconds: 30,
        alertTopicArn: ALERT_TOPIC,
        reservedConcurrency: 5,
        async: { retryAttempts: 1, maximumEventAgeSeconds: 600 },
      });
      new LambdaFunction("sns-dlq-fn", {
        entry: HEALTH,
        memoryMb: 128,
        timeoutSeconds: 5,
        alertTopicArn: ALERT_TOPIC,
        async: { deadLetter: { kind: "sns", arn: "arn:aws:sns:us-east-1:123456789012:failures" } },
      });
      made.rolled = new LambdaFunction("rolled-fn", {
        entry: HEALTH,
        memoryMb: 128,
        timeoutSeconds: 5,
        alertTopicArn: ALERT_TOPIC,
        aliasManagedByRollout: true,
        provisionedConcurrency: { min: 2 },
      });
      made.scaled = new LambdaFunction("scaled-fn", {
        entry: HEALTH,
        memoryMb: 128,
        timeoutSeconds: 5,
        alertTopicArn: ALERT_TOPIC,
        provisionedConcurrency: { min: 1, max: 10, targetUtilization: 0.6 },
        tracing: "PassThrough",
      });
    });
  });
  const alias = (name: string) => graph.one("aws:lambda/alias:Alias", `${name}-live`);
  const fn = (name: string) => graph.one("aws:lambda/function:Function", name);

  it("runs nodejs22.x on arm64 with the memory and timeout it was given", () => {
    const inputs = fn("sync-fn").inputs;
    expect(inputs.runtime).to.equal("nodejs22.x");
    expect(inputs.architectures).to.deep.equal(["arm64"]);
    expect(inputs.memorySize).to.equal(256);
    expect(inputs.timeout).to.equal(10);
  });

  it("ships a minified esbuild bundle with a source map, and turns source maps on", async () => {
    const inputs = fn("sync-fn").inputs;
    expect(inputs.handler).to.equal("index.handler");
    const assets = await inputs.code.assets;
    expect(Object.keys(assets).sort()).to.deep.equal(["index.js", "index.js.map"]);
    const code: string = await assets["index.js"].text;
    expect(code).to.match(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
    expect(code).to.not.include("isWarmupEvent", "minified: local names are mangled");
    expect(inputs.environment.variables.NODE_OPTIONS).to.equal("--enable-source-maps");
  });

  it("has a role of its own with no managed policies attached", () => {
    const role = graph.one("aws:iam/role:Role", "sync-fn-role");
    expect(fn("sync-fn").inputs.role).to.equal(role.arn);
    expect(parsed(role, "assumeRolePolicy").Statement[0].Principal).to.deep.equal({ Service: "lambda.amazonaws.com" });
    expect(graph.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
    expect(role.inputs.managedPolicyArns ?? []).to.have.length(0);
  });

  it("lets the role write only to the function's own log group, and traces when tracing is active", () => {
    const logGroup = graph.one("aws:cloudwatch/logGroup:LogGroup", "sync-fn-logs");
    const statements = parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "sync-fn-policy"), "policy").Statement;
    expect(statements).to.deep.equal([
      { Effect: "Allow", Sid: "WriteOwnLogs", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroup.arn}:*` },
      { Effect: "Allow", Sid: "WriteTraces", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
    ]);
    expect(fn("sync-fn").inputs.tracingConfig).to.deep.equal({ mode: "Active" });
  });

  it("passes traces on without recording them, or the right to, under PassThrough", () => {
    expect(fn("scaled-fn").inputs.tracingConfig).to.deep.equal({ mode: "PassThrough" });
    const statements = parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "scaled-fn-policy"), "policy").Statement;
    expect(statements.map((s: any) => s.Sid)).to.deep.equal(["WriteOwnLogs"]);
  });

  it("logs as JSON to an explicit log group with the configured retention", () => {
    const logGroup = graph.one("aws:cloudwatch/logGroup:LogGroup", "sync-fn-logs");
    expect(logGroup.inputs.retentionInDays).to.equal(14);
    expect(fn("sync-fn").inputs.loggingConfig).to.include({ logGroup: logGroup.inputs.name, logFormat: "JSON" });
    expect(graph.one("aws:cloudwatch/logGroup:LogGroup", "async-fn-logs").inputs.retentionInDays).to.equal(30, "default retention");
  });

  it("is created only after its role policy exists", () => {
    const policy = graph.one("aws:iam/rolePolicy:RolePolicy", "async-fn-policy");
    expect(fn("async-fn").options.dependsOn).to.include(policy.urn);
  });

  it("sends failed async events to its own DLQ after the configured retries", () => {
    const config = graph.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "async-fn-async");
    const dlq = graph.one("aws:sqs/queue:Queue", "async-fn-dlq");
    expect(config.inputs.functionName).to.equal(fn("async-fn").inputs.name);
    // Triggers invoke the live alias, and an invoke config applies only to the qualifier it names.
    expect(config.inputs.qualifier).to.equal("live");
    expect(config.inputs.maximumRetryAttempts).to.equal(1);
    expect(config.inputs.maximumEventAgeInSeconds).to.equal(600);
    expect(config.inputs.destinationConfig.onFailure.destination).to.equal(dlq.arn);
  });

  it("grants sqs:SendMessage on exactly that DLQ, and the invoke config waits for the grant", () => {
    const policy = graph.one("aws:iam/rolePolicy:RolePolicy", "async-fn-policy");
    const dlq = graph.one("aws:sqs/queue:Queue", "async-fn-dlq");
    const statement = parsed(policy, "policy").Statement.find((s: any) => s.Sid === "SendFailedEventsToDlq");
    expect(statement).to.deep.include({ Action: ["sqs:SendMessage"], Resource: dlq.arn });
    const config = graph.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "async-fn-async");
    expect(config.options.dependsOn).to.include(policy.urn);
  });

  it("can send failed events to an SNS topic instead, with sns:Publish on it", () => {
    const config = graph.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "sns-dlq-fn-async");
    expect(config.inputs.destinationConfig.onFailure.destination).to.equal("arn:aws:sns:us-east-1:123456789012:failures");
    expect(config.inputs.maximumRetryAttempts).to.equal(2, "default retries");
    const statements = parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "sns-dlq-fn-policy"), "policy").Statement;
    expect(statements).to.deep.include({
      Effect: "Allow",
      Sid: "PublishFailedEventsToDlq",
      Action: ["sns:Publish"],
      Resource: "arn:aws:sns:us-east-1:123456789012:failures",
    });
    expect(graph.resources.filter((r) => r.name === "sns-dlq-fn-dlq")).to.have.length(0);
  });

  it("alarms on errors, throttles, stopped recursion and a p99 duration at 80% of the timeout, to the alert topic on ALARM and OK", () => {
    const alarms = graph.all("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.name.startsWith("sync-fn-"));
    expect(alarms.map((a) => a.inputs.metricName).sort()).to.deep.equal(["Duration", "Errors", "RecursiveInvocationsDropped", "Throttles"]);
    const duration = alarms.find((a) => a.inputs.metricName === "Duration")!;
    expect(duration.inputs.extendedStatistic).to.equal("p99");
    expect(duration.inputs.threshold).to.equal(8000);
    for (const alarm of alarms) {
      expect(alarm.inputs.dimensions).to.deep.equal({ FunctionName: fn("sync-fn").inputs.name });
      expect(alarm.inputs.alarmActions).to.deep.equal([ALERT_TOPIC]);
      expect(alarm.inputs.okActions).to.deep.equal([ALERT_TOPIC]);
    }
  });

  it("alarms on async delivery failures and dropped events when invoked asynchronously", () => {
    const names = graph
      .all("aws:cloudwatch/metricAlarm:MetricAlarm")
      .filter((a) => a.name.startsWith("async-fn-"))
      .map((a) => a.inputs.metricName);
    expect(names).to.include.members(["DestinationDeliveryFailures", "AsyncEventsDropped"]);
  });

  it("publishes a version on each deploy and points the live alias at it", () => {
    expect(fn("sync-fn").inputs.publish).to.equal(true);
    expect(alias("sync-fn").inputs).to.deep.include({ name: "live", functionName: fn("sync-fn").state.name });
    expect(alias("sync-fn").inputs.functionVersion).to.equal(fn("sync-fn").state.version).and.to.not.equal("$LATEST");
    expect(alias("sync-fn").parent).to.equal(graph.one("platform:compute:LambdaFunction", "sync-fn").urn);
  });

  it("leaves the live alias's version and weights to the rollout when one manages it, and to pulumi up otherwise", () => {
    expect(alias("rolled-fn").options.ignoreChanges).to.have.members(["functionVersion", "routingConfig"]);
    expect(alias("sync-fn").options.ignoreChanges ?? []).to.deep.equal([]);
  });

  it("provisions concurrency on the live alias, never on $LATEST, with auto scaling only when a max is above the min", () => {
    const fixed = graph.one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "rolled-fn-provisioned");
    expect(fixed.inputs).to.deep.include({
      functionName: fn("rolled-fn").state.name,
      qualifier: "live",
      provisionedConcurrentExecutions: 2,
    });
    expect(
      graph
        .all("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
        .map((c) => c.name)
        .sort(),
    ).to.deep.equal(["rolled-fn-provisioned", "scaled-fn-provisioned"]);
    const targets = graph.all("aws:appautoscaling/target:Target");
    expect(targets.map((t) => t.name)).to.deep.equal(["scaled-fn-provisioned-scaling"]);
    expect(targets[0].inputs).to.deep.include({
      serviceNamespace: "lambda",
      resourceId: `function:${fn("scaled-fn").state.name}:live`,
      scalableDimension: "lambda:function:ProvisionedConcurrency",
      minCapacity: 1,
      maxCapacity: 10,
    });
    const policy = graph.one("aws:appautoscaling/policy:Policy", "scaled-fn-provisioned-utilization");
    expect(policy.inputs.policyType).to.equal("TargetTrackingScaling");
    expect(policy.inputs.targetTrackingScalingPolicyConfiguration).to.deep.equal({
      targetValue: 0.6,
      predefinedMetricSpecification: { predefinedMetricType: "LambdaProvisionedConcurrencyUtilization" },
    });
  });

  it("hands out its provisioned concurrency, and the scaling target and policy only when it scales, the target after the config", async () => {
    const urnOf = (resource: pulumi.Resource) => settledValue(resource.urn);
    const PC = "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig";
    expect(await urnOf(made.rolled.provisionedConcurrency!)).to.equal(graph.one(PC, "rolled-fn-provisioned").urn);
    expect([made.rolled.scalingTarget, made.rolled.scalingPolicy]).to.deep.equal([undefined, undefined]);
    expect(await urnOf(made.scaled.provisionedConcurrency!)).to.equal(graph.one(PC, "scaled-fn-provisioned").urn);
    const target = graph.one("aws:appautoscaling/target:Target", "scaled-fn-provisioned-scaling");
    expect(await urnOf(made.scaled.scalingTarget!)).to.equal(target.urn);
    expect(await urnOf(made.scaled.scalingPolicy!)).to.equal(
      graph.one("aws:appautoscaling/policy:Policy", "scaled-fn-provisioned-utilization").urn,
    );
    expect(target.options.dependsOn).to.deep.equal([graph.one(PC, "scaled-fn-provisioned").urn]);
    expect(made.sync.provisionedConcurrency).to.equal(undefined);
  });

  it("names its duration metric at p99 unless asked for another percentile", async () => {
    const { dimensions, ...rest } = made.sync.metricDuration();
    expect(rest).to.deep.equal({ namespace: "AWS/Lambda", metricName: "Duration", extendedStatistic: "p99" });
    expect(made.sync.metricDuration("p50").extendedStatistic).to.equal("p50");
    expect(await settledValue(dimensions.FunctionName)).to.equal(fn("sync-fn").state.name);
  });

  it("rejects provisioned concurrency outside its limits, on both sides", async () => {
    const bad = (pc: { min: number; max?: number; targetUtilization?: number }, reservedConcurrency?: number) =>
      constructionError(
        () =>
          new LambdaFunction("pc", {
            entry: HEALTH,
            memoryMb: 128,
            timeoutSeconds: 3,
            alertTopicArn: ALERT_TOPIC,
            provisionedConcurrency: pc,
            reservedConcurrency,
          }),
      );
    expect(await bad({ min: 0 })).to.include("provisionedConcurrency.min must be a whole number of at least 1 (got 0)");
    expect(await bad({ min: 1.5 })).to.include("provisionedConcurrency.min must be a whole number of at least 1 (got 1.5)");
    expect(await bad({ min: 3, max: 2 })).to.include("provisionedConcurrency.max must be a whole number of at least min (3) (got 2)");
    expect(await bad({ min: 1, targetUtilization: 0.05 })).to.include("targetUtilization must be from 0.1 to 0.9 (got 0.05)");
    expect(await bad({ min: 1, targetUtilization: 0.95 })).to.include("targetUtilization must be from 0.1 to 0.9 (got 0.95)");
    expect(await bad({ min: 2, max: 6 }, 5)).to.include("provisioned concurrency (6) must not exceed reservedConcurrency (5)");
    expect(await bad({ min: 1, max: 1, targetUtilization: 0.1 }, 1)).to.equal("");
    expect(await bad({ min: 1, targetUtilization: 0.9 })).to.equal("");
  });

  it("stops recursive loops explicitly, whatever the account's setting", () => {
    const config = graph.one("aws:lambda/functionRecursionConfig:FunctionRecursionConfig", "sync-fn-recursion");
    expect(config.inputs).to.deep.equal({ functionName: fn("sync-fn").state.name, recursiveLoop: "Terminate" });
    expect(graph.all("aws:lambda/functionRecursionConfig:FunctionRecursionConfig")).to.have.length(
      graph.all("aws:lambda/function:Function").length,
    );
  });

  it("reserves concurrency only when asked", () => {
    expect(fn("async-fn").inputs.reservedConcurrentExecutions).to.equal(5);
    expect(fn("sync-fn").inputs.reservedConcurrentExecutions).to.equal(undefined);
  });

  it("rejects missing code, bad memory and out-of-range retries in one error", async () => {
    const message = await constructionError(
      () => new LambdaFunction("bad", { memoryMb: 64, timeoutSeconds: 1000, alertTopicArn: ALERT_TOPIC, async: { retryAttempts: 3 } }),
    );
    expect(message).to.include('LambdaFunction "bad"');
    expect(message).to.include("set exactly one of `entry` and `callback`");
    expect(message).to.include("memoryMb must be an integer from 128 to 10240 (got 64)");
    expect(message).to.include("timeoutSeconds must be an integer from 1 to 900 (got 1000)");
    expect(message).to.include("async.retryAttempts must be 0, 1 or 2 (got 3)");
  });
});

describe("LambdaFunction with an inline closure", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      new LambdaFunction("closure-fn", {
        callback: async (event: { name?: string }) => ({ greeting: `hello ${event.name ?? "world"}` }),
        memoryMb: 128,
        timeoutSeconds: 3,
        alertTopicArn: ALERT_TOPIC,
      });
    });
  });

  it("uses its least-privilege role, not CallbackFunction's full-access default", () => {
    const fn = graph.one("aws:lambda/function:Function", "closure-fn");
    expect(fn.inputs.role).to.equal(graph.one("aws:iam/role:Role", "closure-fn-role").arn);
    expect(graph.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).to.have.length(0);
    expect(graph.all("aws:iam/role:Role")).to.have.length(1);
  });

  it("serializes a closure that runs under plain Node", async () => {
    const fn = graph.one("aws:lambda/function:Function", "closure-fn");
    const assets = await fn.inputs.code.assets;
    const text: string = await assets["__index.js"].text;
    const mod: any = { exports: {} };
    new (globalThis.Function as any)("module", "exports", "require", text)(mod, mod.exports, require);
    expect(await mod.exports.handler({ name: "pulumi" })).to.deep.equal({ greeting: "hello pulumi" });
    expect(Object.keys(assets).some((k) => k.startsWith("node_modules/@pulumi/aws"))).to.equal(false, "no heavy dependencies packed");
  });
});
