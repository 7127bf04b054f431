import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { Transform, transformed } from "./child";
import type { DeadLetterQueue } from "./dead-letter-queue";
import type { Edge } from "./edge";
import type { LambdaFunction } from "./lambda-function";
import type { HttpApi } from "./http-api";
import type { LogShipping } from "./log-shipping";

/** The stack's operations view: one CloudWatch dashboard, and one composite "application unhealthy" alarm. */
export interface MonitoringArgs {
  /** Every function, by the label its dashboard widgets carry. */
  functions: Record<string, LambdaFunction>;
  /** The HTTP API. */
  api: HttpApi;
  /** Work queues by label, with their DLQs. */
  queues: Record<string, { queue: aws.sqs.Queue; deadLetterQueue: DeadLetterQueue }>;
  /** DLQs not behind a work queue (async functions' own), by label. @default {} */
  deadLetterQueues?: Record<string, DeadLetterQueue>;
  /** The log shipping pipeline, whose delivery is charted. @default none */
  logShipping?: LogShipping;
  /** The CloudFront edge, whose error rates are charted (from us-east-1). @default none */
  edge?: Edge;
  /** Alarms of the stack's region whose firing means users are affected; the composite fires when any does. */
  criticalAlarms: aws.cloudwatch.MetricAlarm[];
  /**
   * Critical alarms in other regions, such as the edge's in us-east-1 where CloudFront's metrics are. A
   * composite alarm may only combine alarms of its own region, so each gets a composite of its own
   * there, notifying that region's topic. @default none
   */
  criticalAlarmsElsewhere?: {
    region: string;
    provider: aws.Provider;
    alarms: aws.cloudwatch.MetricAlarm[];
    alertTopicArn: pulumi.Input<string>;
  }[];
  /** Topic the composite alarm notifies. */
  alertTopicArn: pulumi.Input<string>;
  /** The account's alert topic (the baseline's), which the composite notifies too. @default none */
  accountAlertTopicArn?: pulumi.Input<string>;
  /** Adjusts a child before it is created. @default none */
  transform?: { dashboard?: Transform<aws.cloudwatch.DashboardArgs>; unhealthy?: Transform<aws.cloudwatch.CompositeAlarmArgs> };
}

type Metric = (string | { stat?: string; label?: string })[];

export class Monitoring extends pulumi.ComponentResource {
  public readonly dashboard: aws.cloudwatch.Dashboard;
  public readonly unhealthy: aws.cloudwatch.CompositeAlarm;
  /** The composites of other regions, by region. */
  public readonly unhealthyElsewhere: Record<string, aws.cloudwatch.CompositeAlarm> = {};

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:Monitoring", name, {}, opts);
    const region = aws.getRegionOutput({}, { parent: this }).name;
    const functions = Object.entries(args.functions).map(([label, fn]) => pulumi.all([label, fn.name]));
    const dlqs = [
      ...Object.entries(args.queues).map(([label, q]) => [label, q.deadLetterQueue] as const),
      ...Object.entries(args.deadLetterQueues ?? {}),
    ].map(([label, dlq]) => pulumi.all([label, dlq.queue.name]));
    const queues = Object.entries(args.queues).map(([label, q]) => pulumi.all([label, q.queue.name]));
    const delivery = args.logShipping?.deliveryStream
      ? args.logShipping.deliveryStream.name.apply((n): Metric[] => [
          ["AWS/Firehose", "DeliveryToS3.DataFreshness", "DeliveryStreamName", n, { stat: "Maximum" }],
          ["AWS/Firehose", "DeliveryToS3.Success", "DeliveryStreamName", n, { stat: "Average" }],
        ])
      : args.logShipping?.stream
        ? args.logShipping.stream.name.apply((n): Metric[] => [
            ["AWS/Kinesis", "WriteProvisionedThroughputExceeded", "StreamName", n],
            ["AWS/Kinesis", "IncomingRecords", "StreamName", n],
          ])
        : pulumi.output<Metric[]>([]);

    const distributionId = args.edge ? args.edge.distribution.id : pulumi.output("");
    const body = pulumi
      .all([region, pulumi.all(functions), args.api.api.id, pulumi.all(queues), pulumi.all(dlqs), delivery, distributionId])
      .apply(([region, fns, apiId, work, deadLetters, logDelivery, distribution]) => {
        const widget = (title: string, metrics: Metric[], x: number, y: number, extra: object = {}) => ({
          type: "metric",
          x,
          y,
          width: 12,
          height: 6,
          properties: { title, region, metrics, period: 60, stat: "Sum", view: "timeSeries", ...extra },
        });
        const perFunction = (metric: string, stat?: string): Metric[] =>
          fns.map(([label, fn]) => ["AWS/Lambda", metric, "FunctionName", fn, { label, ...(stat ? { stat } : {}) }]);
        const api = (metric: string, stat?: string): Metric => [
          "AWS/ApiGateway",
          metric,
          "ApiId",
          apiId,
          "Stage",
          args.api.stageName,
          stat ? { stat } : {},
        ];
        const widgets = [
          widget("Invocations", perFunction("Invocations"), 0, 0),
          widget("Errors", perFunction("Errors"), 12, 0),
          widget("Throttles", perFunction("Throttles"), 0, 6),
          widget("Duration p99 (ms)", perFunction("Duration", "p99"), 12, 6),
          widget("API 4xx and 5xx", [api("4xx"), api("5xx")], 0, 12),
          widget("API latency p99 (ms)", [api("Latency", "p99"), api("IntegrationLatency", "p99")], 12, 12),
          widget(
            "DLQ depth",
            deadLetters.map(([label, q]): Metric => [
              "AWS/SQS",
              "ApproximateNumberOfMessagesVisible",
              "QueueName",
              q,
              { label, stat: "Maximum" },
            ]),
            0,
            18,
          ),
          widget(
            "Age of the oldest message (s)",
            [...work, ...deadLetters].map(([label, q]): Metric => [
              "AWS/SQS",
              "ApproximateAgeOfOldestMessage",
              "QueueName",
              q,
              { label, stat: "Maximum" },
            ]),
            12,
            18,
          ),
          ...(logDelivery.length > 0 ? [widget("Log delivery", logDelivery, 0, 24)] : []),
          ...(distribution
            ? [
                widget(
                  "CloudFront error rate (%)",
                  ["4xxErrorRate", "5xxErrorRate"].map((m): Metric => [
                    "AWS/CloudFront",
                    m,
                    "DistributionId",
                    distribution,
                    "Region",
                    "Global",
                    { stat: "Average" },
                  ]),
                  12,
                  24,
                  { region: "us-east-1" },
                ),
              ]
            : []),
        ];
        return JSON.stringify({ widgets });
      });
    this.dashboard = new aws.cloudwatch.Dashboard(
      ...transformed(
        args.transform?.dashboard,
        `${name}-dashboard`,
        { dashboardName: `${pulumi.getProject()}-${pulumi.getStack()}`, dashboardBody: body },
        { parent: this },
      ),
    );

    if (args.criticalAlarms.length === 0)
      throw new Error(`Monitoring "${name}": criticalAlarms is empty; the composite alarm needs at least one`);
    const composite = (
      suffix: string,
      alarms: aws.cloudwatch.MetricAlarm[],
      topicArn: pulumi.Input<string>,
      provider?: aws.Provider,
      accountTopicArn?: pulumi.Input<string>,
    ) =>
      new aws.cloudwatch.CompositeAlarm(
        ...transformed(
          args.transform?.unhealthy,
          `${name}-unhealthy${suffix}`,
          {
            alarmName: `${pulumi.getProject()}-${pulumi.getStack()}-application-unhealthy${suffix}`,
            alarmDescription:
              "The application is failing users: an API, a function behind it, the edge, or a dead-letter queue is in alarm. Open the dashboard, then the alarm that fired.",
            alarmRule: pulumi.all(alarms.map((a) => a.name)).apply((names) => names.map((n) => `ALARM("${n}")`).join(" OR ")),
            alarmActions: accountTopicArn ? [topicArn, accountTopicArn] : [topicArn],
            okActions: accountTopicArn ? [topicArn, accountTopicArn] : [topicArn],
          },
          { parent: this, provider },
        ),
      );
    this.unhealthy = composite("", args.criticalAlarms, args.alertTopicArn, undefined, args.accountAlertTopicArn);
    for (const elsewhere of args.criticalAlarmsElsewhere ?? []) {
      this.unhealthyElsewhere[elsewhere.region] = composite(
        `-${elsewhere.region}`,
        elsewhere.alarms,
        elsewhere.alertTopicArn,
        elsewhere.provider,
      );
    }
    this.registerOutputs({ dashboardName: this.dashboard.dashboardName });
  }
}
