import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { metricAlarm } from "../../components/alarms";
import { LambdaFunction } from "../../components/lambda-function";
import { Schedule } from "../../components/schedule";
import { Table } from "../../components/table";
import { Warmer } from "../../components/warmer";
import { isWarmupEvent } from "../../policy/contracts";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY as HEALTH, settledValue } from "../harness";

describe("Warmer and Schedule", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      const fn = new LambdaFunction("warm-me", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new Warmer("warmer", { functions: [fn], schedule: "rate(3 minutes)", alertTopicArn: ALERT_TOPIC });
      const report = new LambdaFunction("report", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new Schedule("nightly", {
        schedule: "cron(0 2 * * ? *)",
        targets: [{ function: report }],
        alertTopicArn: ALERT_TOPIC,
        retryAttempts: 185,
        maximumEventAgeSeconds: 60,
        protect: false,
      });
    });
  });

  it("invokes each function on the schedule with the warm-up payload the helper recognises", () => {
    const rule = graph.one("aws:cloudwatch/eventRule:EventRule", "warmer");
    // Keyed by the function, never by position.
    const target = graph.one("aws:cloudwatch/eventTarget:EventTarget", "warmer-warm-me-target");
    expect(rule.inputs.scheduleExpression).to.equal("rate(3 minutes)");
    expect(rule.inputs.description).to.equal("Keeps functions warm with a warm-up payload");
    expect(target.inputs.rule).to.equal(rule.id);
    expect(target.inputs.arn).to.equal(graph.one("aws:lambda/alias:Alias", "warm-me-live").arn);
    expect(isWarmupEvent(JSON.parse(target.inputs.input))).to.equal(true);
  });

  it("scopes the invoke permission to the rule", () => {
    const permission = graph.one("aws:lambda/permission:Permission", "warmer-warm-me-permission");
    expect(permission.inputs.principal).to.equal("events.amazonaws.com");
    expect(permission.inputs.qualifier).to.equal("live");
    expect(permission.inputs.sourceArn).to.equal(graph.one("aws:cloudwatch/eventRule:EventRule", "warmer").arn);
  });

  it("retries a target EventBridge cannot invoke, then puts the event in the schedule's DLQ, which only that rule may send to", () => {
    const target = graph.one("aws:cloudwatch/eventTarget:EventTarget", "nightly-report-target");
    const dlq = graph.one("aws:sqs/queue:Queue", "nightly-dlq");
    expect(target.inputs.retryPolicy).to.deep.equal({ maximumRetryAttempts: 185, maximumEventAgeInSeconds: 60 });
    expect(target.inputs.deadLetterConfig).to.deep.equal({ arn: dlq.arn });
    expect(target.options.dependsOn).to.include(graph.one("aws:sqs/queuePolicy:QueuePolicy", "nightly-dlq-policy").urn);
    expect(dlq.inputs).to.deep.include({ messageRetentionSeconds: 1209600, sqsManagedSseEnabled: true });
    expect(dlq.options.protect).to.equal(false);
    const statements = JSON.parse(graph.one("aws:sqs/queuePolicy:QueuePolicy", "nightly-dlq-policy").inputs.policy).Statement;
    expect(statements.find((s: any) => s.Principal?.Service === "events.amazonaws.com")).to.deep.equal({
      Sid: "AllowEventsFailedEvents",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["sqs:SendMessage"],
      Resource: dlq.arn,
      Condition: { ArnEquals: { "aws:SourceArn": graph.one("aws:cloudwatch/eventRule:EventRule", "nightly").arn } },
    });
    const alarm = graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "nightly-dlq-messages-visible");
    expect(alarm.inputs).to.deep.include({ threshold: 1, metricName: "ApproximateNumberOfMessagesVisible" });
    // An event EventBridge could not put in the DLQ either is lost: that alarms at the first one, for this rule.
    const lost = graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "nightly-dlq-send-failures");
    expect(lost.inputs).to.deep.include({
      namespace: "AWS/Events",
      metricName: "InvocationsFailedToBeSentToDlq",
      dimensions: { RuleName: graph.one("aws:cloudwatch/eventRule:EventRule", "nightly").state.name },
      statistic: "Sum",
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      alarmActions: [ALERT_TOPIC],
    });
    expect(lost.parent).to.equal(graph.one("platform:events:Schedule", "nightly").urn);
    // The warmer's: EventBridge's defaults are not kept (185 retries over 24 hours); one retry, protected DLQ.
    const warm = graph.one("aws:cloudwatch/eventTarget:EventTarget", "warmer-warm-me-target");
    expect(warm.inputs.retryPolicy).to.deep.equal({ maximumRetryAttempts: 1, maximumEventAgeInSeconds: 3600 });
    expect(graph.one("aws:sqs/queue:Queue", "warmer-dlq").options.protect).to.equal(true);
  });

  it("refuses retries and event ages EventBridge refuses, on both sides", async () => {
    const bad = (retryAttempts: number, maximumEventAgeSeconds: number) =>
      constructionError(() => {
        const fn = new LambdaFunction("f", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
        new Schedule("s", {
          schedule: "rate(1 hour)",
          targets: [{ function: fn }],
          alertTopicArn: ALERT_TOPIC,
          retryAttempts,
          maximumEventAgeSeconds,
        });
      });
    expect(await bad(-1, 3600)).to.equal('Schedule "s": retryAttempts must be from 0 to 185 (got -1)');
    expect(await bad(186, 3600)).to.equal('Schedule "s": retryAttempts must be from 0 to 185 (got 186)');
    expect(await bad(3, 59)).to.equal('Schedule "s": maximumEventAgeSeconds must be from 60 to 86400 (got 59)');
    expect(await bad(3, 86401)).to.equal('Schedule "s": maximumEventAgeSeconds must be from 60 to 86400 (got 86401)');
    expect(await bad(0, 60)).to.equal("");
    expect(await bad(185, 86400)).to.equal("");
  });

  it("refuses a schedule without targets, with more than EventBridge's five, or with one function twice", async () => {
    const withTargets = (names: string[]) =>
      constructionError(() => {
        const fns = Object.fromEntries(
          [...new Set(names)].map((n) => [
            n,
            new LambdaFunction(n, { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC }),
          ]),
        );
        new Schedule("s", { schedule: "rate(1 hour)", targets: names.map((n) => ({ function: fns[n] })), alertTopicArn: ALERT_TOPIC });
      });
    expect(await withTargets([])).to.equal('Schedule "s": no targets');
    expect(await withTargets(["a", "b", "c", "d", "e", "f"])).to.equal('Schedule "s": EventBridge allows 5 targets per rule (got 6)');
    expect(await withTargets(["a", "b", "c", "d", "e"])).to.equal("");
    expect(await withTargets(["a", "b", "a"])).to.equal('Schedule "s": function a is a target twice');
    expect(await withTargets(["a", "b"])).to.equal("");
  });

  it("describes its rule by the targets and the schedule unless told, tags its DLQ with the rule, and keeps each target by function", async () => {
    const record: { schedule?: Schedule } = {};
    const graph = await captureComponents(() => {
      const a = new LambdaFunction("a", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      const b = new LambdaFunction("b", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      record.schedule = new Schedule("pair", {
        schedule: "rate(1 hour)",
        targets: [{ function: a }, { function: b }],
        alertTopicArn: ALERT_TOPIC,
      });
      new Schedule("told", {
        schedule: "rate(2 hours)",
        targets: [{ function: a }],
        alertTopicArn: ALERT_TOPIC,
        description: "Nightly export",
      });
    });
    expect(graph.one("aws:cloudwatch/eventRule:EventRule", "pair").inputs.description).to.equal("Invokes 2 function(s) on rate(1 hour)");
    expect(graph.one("aws:cloudwatch/eventRule:EventRule", "told").inputs.description).to.equal("Nightly export");
    expect(graph.one("aws:sqs/queue:Queue", "pair-dlq").inputs.tags).to.deep.equal({
      "platform:role": "dead-letter-queue",
      "platform:source": "schedule:pair",
    });
    expect(graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "pair-dlq-messages-visible").inputs).to.deep.include({
      statistic: "Maximum",
      threshold: 1,
    });
    // Protected by default: what EventBridge could not deliver outlives a destroy.
    expect(graph.one("aws:sqs/queue:Queue", "pair-dlq").options.protect).to.equal(true);
    expect(Object.keys(record.schedule!.targets).sort()).to.deep.equal(["a", "b"]);
    const urnOf = (resource: pulumi.Resource) => settledValue(resource.urn);
    expect(await urnOf(record.schedule!.targets.b.target)).to.equal(
      graph.one("aws:cloudwatch/eventTarget:EventTarget", "pair-b-target").urn,
    );
    expect(await urnOf(record.schedule!.targets.a.permission)).to.equal(
      graph.one("aws:lambda/permission:Permission", "pair-a-permission").urn,
    );
  });

  it("rejects a malformed schedule expression", async () => {
    const message = await constructionError(() => {
      const fn = new LambdaFunction("f", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new Schedule("s", { schedule: "every 5 minutes", targets: [{ function: fn }], alertTopicArn: ALERT_TOPIC });
    });
    expect(message).to.equal('Schedule "s": every 5 minutes is not a valid schedule expression: expected rate(value unit), cron(6 fields)');
  });
});

describe("Table", () => {
  it("is on-demand, encrypted, recoverable, protected and retained by default", async () => {
    const graph = await captureComponents(() => new Table("t", { hashKey: "id" }));
    const table = graph.one("aws:dynamodb/table:Table", "t");
    expect(table.inputs.billingMode).to.equal("PAY_PER_REQUEST");
    expect(table.inputs.pointInTimeRecovery).to.deep.equal({ enabled: true });
    expect(table.inputs.deletionProtectionEnabled).to.equal(true);
    expect(table.inputs.serverSideEncryption).to.deep.equal({ enabled: true });
    expect(table.options.retainOnDelete).to.equal(true);
    expect(table.inputs.attributes).to.deep.equal([{ name: "id", type: "S" }]);
    expect(table.inputs.ttl).to.equal(undefined);
  });

  it("expires items by their TTL attribute when given one", async () => {
    const graph = await captureComponents(() => new Table("t", { hashKey: "pk", ttlAttribute: "expiresAt" }));
    const table = graph.one("aws:dynamodb/table:Table", "t");
    expect(table.inputs.hashKey).to.equal("pk");
    expect(table.inputs.ttl).to.deep.equal({ attributeName: "expiresAt", enabled: true });
  });
});

describe("metricAlarm", () => {
  it("sums over a minute, alarms at or above the threshold, treats missing data as fine, and tells the topic both ways", async () => {
    const graph = await captureComponents(() => {
      const parent = new Table("t", { hashKey: "id" });
      metricAlarm(
        "plain",
        { description: "d", namespace: "AWS/Lambda", metricName: "Errors", dimensions: { FunctionName: "f" }, threshold: 1 },
        ALERT_TOPIC,
        parent,
      );
      metricAlarm(
        "p99",
        {
          description: "d",
          namespace: "AWS/Lambda",
          metricName: "Duration",
          dimensions: {},
          threshold: 900,
          extendedStatistic: "p99",
          periodSeconds: 300,
        },
        ALERT_TOPIC,
        parent,
      );
    });
    expect(graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "plain").inputs).to.deep.include({
      statistic: "Sum",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      period: 60,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      alarmActions: [ALERT_TOPIC],
      okActions: [ALERT_TOPIC],
    });
    const p99 = graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "p99").inputs;
    expect(p99).to.deep.include({ extendedStatistic: "p99", period: 300 });
    expect(p99.statistic).to.equal(undefined);
  });
});
