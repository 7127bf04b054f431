import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";

/** What one CloudWatch alarm watches. Everything else (actions, missing data) is the platform's default. */
export interface AlarmSpec {
  /** One line saying what firing means, shown in the notification. */
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  /** A standard statistic. @default "Sum" (ignored when `extendedStatistic` is set) */
  statistic?: string;
  /** A percentile such as "p99", used instead of `statistic`. */
  extendedStatistic?: string;
  threshold: pulumi.Input<number>;
  /** @default "GreaterThanOrEqualToThreshold" */
  comparisonOperator?: string;
  /** @default 60 */
  periodSeconds?: number;
  /** @default 1 */
  evaluationPeriods?: number;
}

/**
 * A metric alarm that notifies `topicArn` on ALARM and on OK, and treats missing data as fine
 * (an idle function has no Errors datapoints, which must not read as an outage).
 */
export function metricAlarm(
  name: string,
  spec: AlarmSpec,
  topicArn: pulumi.Input<string>,
  parent: pulumi.Resource,
  /** For metrics that live in another region, e.g. CloudFront's in us-east-1. @default the parent's */
  provider?: aws.Provider,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      alarmDescription: spec.description,
      namespace: spec.namespace,
      metricName: spec.metricName,
      dimensions: spec.dimensions,
      statistic: spec.extendedStatistic ? undefined : (spec.statistic ?? "Sum"),
      extendedStatistic: spec.extendedStatistic,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator ?? "GreaterThanOrEqualToThreshold",
      period: spec.periodSeconds ?? 60,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      treatMissingData: "notBreaching",
      alarmActions: [topicArn],
      okActions: [topicArn],
    },
    { parent, provider },
  );
}
