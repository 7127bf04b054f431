/**
 * Monitoring on its own: the dashboard's every widget, as CloudWatch reads its body, and the composite
 * "application unhealthy" alarms (the home region's, telling the account's topic too, and one per other
 * region). The functions, API, queues, log pipeline and edge it charts are stand-ins carrying only the
 * names and ids Monitoring reads, so each widget's metrics can be compared whole.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as aws from "../../components/aws";
import { Monitoring, MonitoringArgs } from "../../components/monitoring";
import { captureComponents, constructionError, GraphView } from "../harness";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const ACCOUNT_TOPIC = "arn:aws:sns:eu-west-1:123456789012:account-alerts";
const EDGE_TOPIC = "arn:aws:sns:us-east-1:123456789012:edge-alerts";

/** What Monitoring reads of each part: names and ids. */
const named = (name: string) => ({ name: pulumi.output(name) });
function parts(options: { delivery?: "firehose" | "kinesis"; edge?: boolean }): Omit<MonitoringArgs, "criticalAlarms" | "alertTopicArn"> {
  return {
    functions: { health: named("fn-health"), createOrder: named("fn-create-order") } as any,
    api: { api: { id: pulumi.output("api123") }, stageName: "$default" } as any,
    queues: { orders: { queue: named("q-orders"), deadLetterQueue: { queue: named("q-orders-dlq") } } } as any,
    deadLetterQueues: { dailyReport: { queue: named("q-report-dlq") } } as any,
    logShipping:
      options.delivery === "firehose"
        ? ({ deliveryStream: named("logs-firehose") } as any)
        : options.delivery === "kinesis"
          ? ({ stream: named("logs-kinesis") } as any)
          : undefined,
    edge: options.edge ? ({ distribution: { id: pulumi.output("E123") } } as any) : undefined,
  };
}

describe("Monitoring", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(
      () => {
        const alarm = (name: string, provider?: aws.Provider) =>
          new aws.cloudwatch.MetricAlarm(name, { name, comparisonOperator: "GreaterThanThreshold", evaluationPeriods: 1 }, { provider });
        const east = new aws.Provider("east", { region: "us-east-1" });
        new Monitoring("full", {
          ...parts({ delivery: "firehose", edge: true }),
          criticalAlarms: [alarm("api-5xx"), alarm("health-errors")],
          alertTopicArn: TOPIC,
          accountAlertTopicArn: ACCOUNT_TOPIC,
          criticalAlarmsElsewhere: [{ region: "us-east-1", provider: east, alarms: [alarm("edge-5xx", east)], alertTopicArn: EDGE_TOPIC }],
        });
        new Monitoring("kinesis", { ...parts({ delivery: "kinesis" }), criticalAlarms: [alarm("k-errors")], alertTopicArn: TOPIC });
        new Monitoring("plain", { ...parts({}), deadLetterQueues: undefined, criticalAlarms: [alarm("p-errors")], alertTopicArn: TOPIC });
        // Under a provider of another region, its invokes (the region) go through that provider.
        new Monitoring(
          "east",
          { ...parts({}), criticalAlarms: [alarm("e-errors", east)], alertTopicArn: TOPIC },
          { providers: { aws: east } },
        );
      },
      "prod",
      { "aws:region": "eu-west-1" },
    );
  });
  const body = (name: string) => JSON.parse(graph.one("aws:cloudwatch/dashboard:Dashboard", `${name}-dashboard`).inputs.dashboardBody);
  const widget = (name: string, title: string) => body(name).widgets.find((w: any) => w.properties.title === title);

  it("names the dashboard after the project and stack, and lays every widget out on a 12-wide grid in the stack's region", () => {
    expect(graph.one("aws:cloudwatch/dashboard:Dashboard", "full-dashboard").inputs.dashboardName).to.equal("platform-prod");
    const widgets = body("full").widgets;
    expect(widgets.map((w: any) => [w.properties.title, w.x, w.y])).to.deep.equal([
      ["Invocations", 0, 0],
      ["Errors", 12, 0],
      ["Throttles", 0, 6],
      ["Duration p99 (ms)", 12, 6],
      ["API 4xx and 5xx", 0, 12],
      ["API latency p99 (ms)", 12, 12],
      ["DLQ depth", 0, 18],
      ["Age of the oldest message (s)", 12, 18],
      ["Log delivery", 0, 24],
      ["CloudFront error rate (%)", 12, 24],
    ]);
    for (const w of widgets) {
      expect(w).to.deep.include({ type: "metric", width: 12, height: 6 });
      expect(w.properties).to.deep.include({ period: 60, stat: "Sum", view: "timeSeries" });
      expect(w.properties.region).to.equal(w.properties.title === "CloudFront error rate (%)" ? "us-east-1" : "eu-west-1");
    }
  });

  it("charts the region its provider works in, not the stack's, when it has one of its own", () => {
    expect(new Set(body("east").widgets.map((w: any) => w.properties.region))).to.deep.equal(new Set(["us-east-1"]));
  });

  it("charts each function by its label, with p99 for duration only", () => {
    expect(widget("full", "Invocations").properties.metrics).to.deep.equal([
      ["AWS/Lambda", "Invocations", "FunctionName", "fn-health", { label: "health" }],
      ["AWS/Lambda", "Invocations", "FunctionName", "fn-create-order", { label: "createOrder" }],
    ]);
    expect(widget("full", "Errors").properties.metrics.map((m: any[]) => m[1])).to.deep.equal(["Errors", "Errors"]);
    expect(widget("full", "Throttles").properties.metrics.map((m: any[]) => m[1])).to.deep.equal(["Throttles", "Throttles"]);
    expect(widget("full", "Duration p99 (ms)").properties.metrics).to.deep.equal([
      ["AWS/Lambda", "Duration", "FunctionName", "fn-health", { label: "health", stat: "p99" }],
      ["AWS/Lambda", "Duration", "FunctionName", "fn-create-order", { label: "createOrder", stat: "p99" }],
    ]);
  });

  it("charts the API's stage: errors summed, latencies at p99", () => {
    expect(widget("full", "API 4xx and 5xx").properties.metrics).to.deep.equal([
      ["AWS/ApiGateway", "4xx", "ApiId", "api123", "Stage", "$default", {}],
      ["AWS/ApiGateway", "5xx", "ApiId", "api123", "Stage", "$default", {}],
    ]);
    expect(widget("full", "API latency p99 (ms)").properties.metrics).to.deep.equal([
      ["AWS/ApiGateway", "Latency", "ApiId", "api123", "Stage", "$default", { stat: "p99" }],
      ["AWS/ApiGateway", "IntegrationLatency", "ApiId", "api123", "Stage", "$default", { stat: "p99" }],
    ]);
  });

  it("charts every DLQ's depth, and the oldest message's age of the work queues and the DLQs, at their maximum", () => {
    expect(widget("full", "DLQ depth").properties.metrics).to.deep.equal([
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "q-orders-dlq", { label: "orders", stat: "Maximum" }],
      ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "q-report-dlq", { label: "dailyReport", stat: "Maximum" }],
    ]);
    expect(widget("full", "Age of the oldest message (s)").properties.metrics).to.deep.equal([
      ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "q-orders", { label: "orders", stat: "Maximum" }],
      ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "q-orders-dlq", { label: "orders", stat: "Maximum" }],
      ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "q-report-dlq", { label: "dailyReport", stat: "Maximum" }],
    ]);
    // No DLQs of their own: only the work queue's.
    expect(widget("plain", "DLQ depth").properties.metrics.map((m: any[]) => m[3])).to.deep.equal(["q-orders-dlq"]);
  });

  it("charts log delivery from Firehose or Kinesis, whichever ships the logs, and the edge's error rates", () => {
    expect(widget("full", "Log delivery").properties.metrics).to.deep.equal([
      ["AWS/Firehose", "DeliveryToS3.DataFreshness", "DeliveryStreamName", "logs-firehose", { stat: "Maximum" }],
      ["AWS/Firehose", "DeliveryToS3.Success", "DeliveryStreamName", "logs-firehose", { stat: "Average" }],
    ]);
    expect(widget("kinesis", "Log delivery").properties.metrics).to.deep.equal([
      ["AWS/Kinesis", "WriteProvisionedThroughputExceeded", "StreamName", "logs-kinesis"],
      ["AWS/Kinesis", "IncomingRecords", "StreamName", "logs-kinesis"],
    ]);
    expect(widget("full", "CloudFront error rate (%)").properties.metrics).to.deep.equal([
      ["AWS/CloudFront", "4xxErrorRate", "DistributionId", "E123", "Region", "Global", { stat: "Average" }],
      ["AWS/CloudFront", "5xxErrorRate", "DistributionId", "E123", "Region", "Global", { stat: "Average" }],
    ]);
    // Neither shipping nor an edge: no widget for them at all.
    expect(body("plain").widgets.map((w: any) => w.properties.title)).to.not.include.members(["Log delivery"]);
    expect(body("plain").widgets.map((w: any) => w.properties.title)).to.not.include("CloudFront error rate (%)");
    expect(body("kinesis").widgets.map((w: any) => w.properties.title)).to.not.include("CloudFront error rate (%)");
  });

  it("fires one composite when any critical alarm does, telling the stack's topic and the account's", () => {
    const unhealthy = graph.one("aws:cloudwatch/compositeAlarm:CompositeAlarm", "full-unhealthy");
    expect(unhealthy.inputs).to.deep.include({
      alarmName: "platform-prod-application-unhealthy",
      alarmRule: 'ALARM("api-5xx") OR ALARM("health-errors")',
      alarmActions: [TOPIC, ACCOUNT_TOPIC],
      okActions: [TOPIC, ACCOUNT_TOPIC],
    });
    expect(unhealthy.inputs.alarmDescription).to.equal(
      "The application is failing users: an API, a function behind it, the edge, or a dead-letter queue is in alarm. Open the dashboard, then the alarm that fired.",
    );
    expect(unhealthy.provider).to.equal(null);
    // Without an account topic, only the stack's.
    const plain = graph.one("aws:cloudwatch/compositeAlarm:CompositeAlarm", "plain-unhealthy");
    expect(plain.inputs).to.deep.include({ alarmRule: 'ALARM("p-errors")', alarmActions: [TOPIC], okActions: [TOPIC] });
  });

  it("gives each other region a composite of its own there, telling that region's topic", () => {
    const elsewhere = graph.one("aws:cloudwatch/compositeAlarm:CompositeAlarm", "full-unhealthy-us-east-1");
    expect(elsewhere.inputs).to.deep.include({
      alarmName: "platform-prod-application-unhealthy-us-east-1",
      alarmRule: 'ALARM("edge-5xx")',
      alarmActions: [EDGE_TOPIC],
      okActions: [EDGE_TOPIC],
    });
    expect(elsewhere.provider).to.match(/::east::/);
    expect(graph.all("aws:cloudwatch/compositeAlarm:CompositeAlarm").map((c) => c.name)).to.have.members([
      "full-unhealthy",
      "full-unhealthy-us-east-1",
      "kinesis-unhealthy",
      "plain-unhealthy",
      "east-unhealthy",
    ]);
  });

  it("refuses a composite of no alarms, naming the component", async () => {
    const message = await constructionError(() => new Monitoring("empty", { ...parts({}), criticalAlarms: [], alertTopicArn: TOPIC }));
    expect(message).to.equal('Monitoring "empty": criticalAlarms is empty; the composite alarm needs at least one');
  });
});
