/**
 * LambdaFunction's limits, each on both sides (the last value accepted and the first refused), every
 * alarm by name, description and threshold, and the smaller defaults: the DLQ's protection and source,
 * the alias's description, logging, provisioned concurrency without scaling, the services a role calls,
 * and what an inline closure packs.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { calledServices, LambdaFunction, LambdaFunctionArgs } from "../../components/lambda-function";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY, keptOptions } from "../harness";

const base = { entry: HEALTH_ENTRY, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC };
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe("LambdaFunction's limits, on both sides", () => {
  /** The construction error of a function with `extra` (project "platform", stack "test"), or "" when it is accepted. */
  const problems = (extra: Partial<LambdaFunctionArgs>, name = "fn") =>
    constructionError(() => new LambdaFunction(name, { ...base, ...extra } as LambdaFunctionArgs));
  const refused = (what: string) => `LambdaFunction "fn": ${what}`;

  it("takes memory from 128 to 10240 MB, in whole megabytes", async () => {
    for (const memoryMb of [128, 10240]) expect(await problems({ memoryMb }), String(memoryMb)).to.equal("");
    for (const memoryMb of [127, 10241, 128.5])
      expect(await problems({ memoryMb })).to.equal(refused(`memoryMb must be an integer from 128 to 10240 (got ${memoryMb})`));
  });

  it("takes a timeout from 1 to 900 seconds, in whole seconds", async () => {
    for (const timeoutSeconds of [1, 900]) expect(await problems({ timeoutSeconds }), String(timeoutSeconds)).to.equal("");
    for (const timeoutSeconds of [0, 901, 1.5])
      expect(await problems({ timeoutSeconds })).to.equal(
        refused(`timeoutSeconds must be an integer from 1 to 900 (got ${timeoutSeconds})`),
      );
  });

  it("takes 0 to 2 async retries and an event age from 60 to 21600 seconds, whole numbers only", async () => {
    for (const retryAttempts of [0, 2]) expect(await problems({ async: { retryAttempts } }), String(retryAttempts)).to.equal("");
    for (const retryAttempts of [-1, 3, 1.5])
      expect(await problems({ async: { retryAttempts } })).to.equal(
        refused(`async.retryAttempts must be 0, 1 or 2 (got ${retryAttempts})`),
      );
    for (const maximumEventAgeSeconds of [60, 21600])
      expect(await problems({ async: { maximumEventAgeSeconds } }), String(maximumEventAgeSeconds)).to.equal("");
    for (const maximumEventAgeSeconds of [59, 21601, 60.5])
      expect(await problems({ async: { maximumEventAgeSeconds } })).to.equal(
        refused(`async.maximumEventAgeSeconds must be from 60 to 21600 (got ${maximumEventAgeSeconds})`),
      );
  });

  it("takes a duration alarm ratio of at least 0.8 and below 1", async () => {
    for (const durationAlarmRatio of [0.8, 0.99]) expect(await problems({ durationAlarmRatio }), String(durationAlarmRatio)).to.equal("");
    for (const durationAlarmRatio of [0.79, 1])
      expect(await problems({ durationAlarmRatio })).to.equal(
        refused(`durationAlarmRatio must be at least 0.8 and below 1 (got ${durationAlarmRatio})`),
      );
  });

  it("takes a handler named index.<export> and nothing around it", async () => {
    for (const handler of ["index.main", "index.$handler_2"]) expect(await problems({ handler }), handler).to.equal("");
    for (const handler of ["lib/index.main", "index.main.inner", "index.main ", "index.2fast"])
      expect(await problems({ handler })).to.equal(refused(`handler must be index.<export> (got ${handler})`));
  });

  it("keeps provisioned concurrency within the reserved concurrency, when there is one", async () => {
    expect(await problems({ reservedConcurrency: 5, provisionedConcurrency: { min: 5 } })).to.equal("");
    expect(await problems({ provisionedConcurrency: { min: 50, max: 100 } })).to.equal("");
    expect(await problems({ reservedConcurrency: 5, provisionedConcurrency: { min: 3, max: 6 } })).to.equal(
      refused("provisioned concurrency (6) must not exceed reservedConcurrency (5)"),
    );
  });

  it("takes at most five layers", async () => {
    const layers = (n: number) => Array.from({ length: n }, (_, i) => `arn:aws:lambda:us-east-1:123456789012:layer:l${i}:1`);
    expect(await problems({ layers: layers(5) })).to.equal("");
    expect(await problems({ layers: layers(6) })).to.equal(refused("Lambda allows at most 5 layers (got 6)"));
  });

  it("keeps the function's name, project-stack-name, within Lambda's 64 characters", async () => {
    // "platform-test-" is 14 characters.
    expect(await problems({}, "n".repeat(50))).to.equal("");
    expect(await problems({}, "n".repeat(51))).to.equal(
      `LambdaFunction "${"n".repeat(51)}": the name platform-test-${"n".repeat(51)} is over Lambda's 64 characters`,
    );
  });
});

describe("LambdaFunction's alarms and smaller defaults", () => {
  let graph: GraphView;
  let alarmCounts: Record<string, number>;
  before(async () => {
    graph = await captureComponents(() => {
      const plain = new LambdaFunction("plain", {
        ...base,
        timeoutSeconds: 10,
        durationAlarmRatio: 0.9,
        errorsThreshold: 3,
        alarmEvaluationPeriods: 2,
      });
      const queued = new LambdaFunction("queued", { ...base, async: {} });
      const loose = new LambdaFunction("loose", { ...base, async: { protect: false, deadLetterOutputKey: "reports" } });
      const pinned = new LambdaFunction("pinned", { ...base, provisionedConcurrency: { min: 2, max: 2 } });
      alarmCounts = Object.fromEntries([plain, queued, loose, pinned].map((f) => [f.shortName, f.alarms.length]));
      new LambdaFunction("rolled", { ...base, aliasManagedByRollout: true });
      new LambdaFunction("closure", { callback: async () => "ok", memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
    });
  });
  const alarm = (name: string) => graph.one(ALARM, name).inputs;
  const fnName = (name: string) => `platform-test-${name}`;

  it("alarms on errors, throttles, a p99 duration near the timeout and stopped recursion, each saying where to look", () => {
    const look = ` Look at log group /aws/lambda/${fnName("plain")}.`;
    expect(alarm("plain-errors")).to.deep.include({
      metricName: "Errors",
      threshold: 3,
      evaluationPeriods: 2,
      alarmDescription: `Function plain is failing invocations.${look}`,
    });
    expect(alarm("plain-throttles")).to.deep.include({
      metricName: "Throttles",
      threshold: 1,
      evaluationPeriods: 2,
      alarmDescription: `Function plain is being throttled: raise its reserved concurrency or the account limit.${look}`,
    });
    expect(alarm("plain-duration-p99")).to.deep.include({
      metricName: "Duration",
      extendedStatistic: "p99",
      threshold: 9000,
      alarmDescription: `Function plain's p99 duration is at 90% of its timeout.${look}`,
    });
    expect(alarm("plain-recursion")).to.deep.include({
      metricName: "RecursiveInvocationsDropped",
      threshold: 1,
      alarmDescription: `Function plain is part of a recursive loop that Lambda stopped: look for what it sends to a queue or topic that invokes it again.${look}`,
    });
    expect(alarm("queued-duration-p99").alarmDescription).to.equal(
      `Function queued's p99 duration is at 80% of its timeout. Look at log group /aws/lambda/${fnName("queued")}.`,
    );
    expect(alarm("queued-duration-p99").threshold).to.equal(2400);
  });

  it("alarms, when invoked asynchronously, on failed deliveries to its DLQ and dropped events, naming the DLQ's command", () => {
    const look = ` Look at log group /aws/lambda/${fnName("queued")}.`;
    const inspect = " Failed events wait in its DLQ: npm run dlq -- inspect --stack test --queue queued-dlq.";
    expect(alarm("queued-errors").alarmDescription).to.equal(`Function queued is failing invocations.${inspect}${look}`);
    expect(alarm("queued-async-delivery-failures")).to.deep.include({
      metricName: "DestinationDeliveryFailures",
      threshold: 1,
      alarmDescription: `Function queued could not deliver a failed event to its DLQ: check the DLQ's policy and the role's rights.${look}`,
    });
    expect(alarm("queued-async-events-dropped")).to.deep.include({
      metricName: "AsyncEventsDropped",
      threshold: 1,
      alarmDescription: `Function queued dropped async events.${inspect}${look}`,
    });
    expect(alarm("loose-errors").alarmDescription).to.include("--queue reports.");
    expect(graph.all(ALARM).filter((a) => a.name.startsWith("plain-async"))).to.deep.equal([]);
  });

  it("lists every alarm it has: four, and six when invoked asynchronously", () => {
    expect(alarmCounts).to.deep.equal({ plain: 4, queued: 6, loose: 6, pinned: 4 });
  });

  it("protects its DLQ unless told, and tags it with the function it serves", () => {
    const dlq = (name: string) => graph.one("aws:sqs/queue:Queue", `${name}-dlq`);
    expect(keptOptions(dlq("queued"))).to.deep.equal([true, true]);
    expect(keptOptions(dlq("loose"))).to.deep.equal([false, false]);
    expect(dlq("queued").inputs.tags["platform:source"]).to.equal("function:queued");
  });

  it("logs as JSON at INFO for the application and WARN for the platform, and says who moves its alias", () => {
    expect(graph.one("aws:lambda/function:Function", "plain").inputs.loggingConfig).to.deep.equal({
      logFormat: "JSON",
      logGroup: `/aws/lambda/${fnName("plain")}`,
      applicationLogLevel: "INFO",
      systemLogLevel: "WARN",
    });
    expect(graph.one("aws:lambda/alias:Alias", "plain-live").inputs.description).to.equal("The version the last deploy published");
    expect(graph.one("aws:lambda/alias:Alias", "rolled-live").inputs.description).to.equal(
      "Moved by rollouts (CodeDeploy), not by pulumi up",
    );
  });

  it("provisions a fixed concurrency without auto scaling when max equals min", () => {
    expect(graph.one("aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "pinned-provisioned").inputs).to.deep.include({
      provisionedConcurrentExecutions: 2,
      qualifier: "live",
    });
    expect(graph.all("aws:appautoscaling/target:Target")).to.deep.equal([]);
    expect(graph.all("aws:appautoscaling/policy:Policy")).to.deep.equal([]);
  });

  it("packs none of the program's own dependencies with an inline closure", async () => {
    const assets = await graph.one("aws:lambda/function:Function", "closure").inputs.code.assets;
    expect(Object.keys(assets).filter((k) => k.startsWith("node_modules/"))).to.deep.equal([]);
  });

  it("names the services a role's statements call, leaving out Lambda's own and what is not known yet", () => {
    expect(
      calledServices([
        { Sid: "A", Action: ["sqs:SendMessage", "dynamodb:GetItem", "sqs:ReceiveMessage"], Resource: "*" },
        { Sid: "B", Action: ["logs:PutLogEvents", "xray:PutTraceSegments", "ec2:CreateNetworkInterface"], Resource: "*" },
        { Sid: "C", Action: ["*"], Resource: "*" },
        pulumi.output({ Sid: "D", Action: ["s3:GetObject"], Resource: "*" }),
      ]),
    ).to.deep.equal(["dynamodb", "sqs"]);
  });
});
