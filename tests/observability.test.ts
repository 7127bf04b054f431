/** Observability in each stack's graph: log shipping, its roles, the dashboard, and alarm routing. */
import { expect } from "chai";
import { GraphView, parsed, stackGraph, stageVariantGraph } from "./harness";

const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

function expectEveryGroupShippedOnce(view: GraphView, destinationArn: string): void {
  const groups = view.all(LOG_GROUP);
  expect(groups.length).to.be.greaterThan(5);
  for (const group of groups) {
    const filters = view.all(FILTER).filter((f) => f.inputs.logGroup === group.state.name);
    expect(filters, `${group.name}`).to.have.length(1);
    expect(filters[0].inputs).to.include({ destinationArn, filterPattern: "" });
    // Created after its group exists (the group is declared, so Lambda cannot create it first).
    expect(filters[0].options.dependsOn).to.include(group.urn);
  }
}

describe("log shipping", function () {
  this.timeout(120_000);

  for (const stack of ["dev", "stage", "prod"]) {
    it(`ships every log group of ${stack} through exactly one subscription filter to the Firehose archive`, async () => {
      const view = await stackGraph(stack);
      expectEveryGroupShippedOnce(view, view.all("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")[0].arn!);
    });
  }

  it("archives to a KMS-encrypted bucket that archives then expires logs as configured, with failures under an error prefix", async () => {
    const view = await stackGraph("dev");
    const shipping = view.one("platform:observability:LogShipping", "logs");
    const stream = view.descendants(shipping, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")[0];
    const bucket = view.descendants(shipping, "aws:s3/bucket:Bucket")[0];
    const key = view.descendants(shipping, "aws:kms/key:Key")[0];
    const s3 = stream.inputs.extendedS3Configuration;
    expect(s3).to.include({ bucketArn: bucket.arn, kmsKeyArn: key.arn, compressionFormat: "GZIP" });
    expect(s3.errorOutputPrefix).to.match(/^delivery-errors\//);
    const lifecycle = view.descendants(shipping, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0].inputs.rules[0];
    expect(lifecycle.transitions).to.deep.equal([{ days: 30, storageClass: "GLACIER_IR" }]);
    expect(lifecycle.expiration).to.deep.equal({ days: 365 });
    const encryption = view.descendants(
      shipping,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )[0];
    expect(encryption.inputs.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({
      sseAlgorithm: "aws:kms",
      kmsMasterKeyId: key.arn,
    });
    const alarm = view.descendants(shipping, ALARM)[0];
    expect(alarm.inputs).to.include({ namespace: "AWS/Firehose", metricName: "DeliveryToS3.DataFreshness" });
  });

  it("gives CloudWatch Logs and Firehose least-privilege roles", async () => {
    const view = await stackGraph("dev");
    const shipping = view.one("platform:observability:LogShipping", "logs");
    const roles = view.descendants(shipping, "aws:iam/role:Role");
    const policyOf = (roleName: string) =>
      parsed(
        view
          .descendants(shipping, "aws:iam/rolePolicy:RolePolicy")
          .find((p) => p.inputs.role === roles.find((r) => r.name === roleName)!.id)!,
        "policy",
      );
    const stream = view.descendants(shipping, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")[0];
    const bucket = view.descendants(shipping, "aws:s3/bucket:Bucket")[0];
    const key = view.descendants(shipping, "aws:kms/key:Key")[0];

    const logsTrust = parsed(
      roles.find((r) => r.name === "logs-logs-role")!,
      "assumeRolePolicy",
    ).Statement[0];
    expect(logsTrust.Principal).to.deep.equal({ Service: "logs.eu-west-1.amazonaws.com" });
    expect(logsTrust.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "111111111111" } });
    expect(policyOf("logs-logs-role").Statement).to.deep.equal([
      { Sid: "PutLogRecords", Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch"], Resource: stream.arn },
    ]);

    const firehose = policyOf("logs-firehose-role").Statement;
    expect(firehose.map((s: any) => s.Resource)).to.deep.equal([[bucket.arn, `${bucket.arn}/*`], key.arn]);
    expect(firehose.flatMap((s: any) => s.Action).every((a: string) => /^(s3|kms):[A-Za-z]+$/.test(a))).to.equal(true);
  });

  it("feeds an encrypted Kinesis stream, with the configured retention, when the stack selects kinesis", async () => {
    const view = await stageVariantGraph();
    const stream = view.all("aws:kinesis/stream:Stream");
    expect(stream).to.have.length(1);
    expect(stream[0].inputs).to.include({ encryptionType: "KMS", retentionPeriod: 72 });
    expect(view.all("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")).to.have.length(0);
    expectEveryGroupShippedOnce(view, stream[0].arn!);
    const logsPolicy = view.all("aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "logs-logs-policy")!;
    expect(parsed(logsPolicy, "policy").Statement[0]).to.deep.include({
      Action: ["kinesis:PutRecord", "kinesis:PutRecords"],
      Resource: stream[0].arn,
    });
  });
});

describe("dashboard and alarm routing", function () {
  this.timeout(60_000);

  it("charts every function and every queue of the stack on one dashboard", async () => {
    const view = await stackGraph("prod");
    const dashboard = view.all("aws:cloudwatch/dashboard:Dashboard");
    expect(dashboard).to.have.length(1);
    const body = JSON.parse(dashboard[0].inputs.dashboardBody);
    const referenced = JSON.stringify(body.widgets.flatMap((w: any) => w.properties.metrics));
    for (const fn of view.all("aws:lambda/function:Function")) expect(referenced, fn.name).to.include(`"${fn.inputs.name}"`);
    for (const queue of view.all("aws:sqs/queue:Queue")) expect(referenced, queue.name).to.include(`"${queue.state.name}"`);
    expect(body.widgets.map((w: any) => w.properties.title)).to.include.members([
      "Errors",
      "Throttles",
      "Duration p99 (ms)",
      "API 4xx and 5xx",
      "API latency p99 (ms)",
      "DLQ depth",
      "Age of the oldest message (s)",
      "Log delivery",
    ]);
  });

  it("combines the critical alarms into one 'application unhealthy' composite", async () => {
    const view = await stackGraph("prod");
    // Sorted by name: registration order is whichever input settled first.
    const composite = view.all("aws:cloudwatch/compositeAlarm:CompositeAlarm").sort((a, b) => a.name.localeCompare(b.name));
    expect(composite.map((c) => c.name)).to.deep.equal(["monitoring-unhealthy", "monitoring-unhealthy-us-east-1"]);
    // Alarms are auto-named, so the rule names each by the physical name it was given.
    const critical = [
      "api-5xx",
      "health-errors",
      "create-order-errors",
      "get-order-errors",
      "process-order-dlq-messages-visible",
      "daily-report-dlq-messages-visible",
      "daily-report-schedule-dlq-messages-visible",
      "daily-report-schedule-dlq-send-failures",
    ];
    expect(composite[0].inputs.alarmRule.split(" OR ")).to.deep.equal(critical.map((n) => `ALARM("${view.one(ALARM, n).state.name}")`));
    // A composite combines only alarms of its own region: the edge's, in us-east-1 with CloudFront's metrics, has its own there.
    const edgeAlarm = view.one(ALARM, "edge-5xx-rate");
    expect(composite[1].inputs.alarmRule).to.equal(`ALARM("${edgeAlarm.state.name}")`);
    expect(composite[1].provider).to.equal(edgeAlarm.provider);
    expect(composite[1].inputs.alarmActions).to.deep.equal([view.one("aws:sns/topic:Topic", "edge-alerts").arn]);
  });

  it("says in each alarm's description where to look", async () => {
    const view = await stackGraph("prod");
    const description = (name: string) => view.one(ALARM, name).inputs.alarmDescription as string;
    expect(description("create-order-errors")).to.include("Look at log group /aws/lambda/platform-prod-create-order");
    expect(description("daily-report-errors")).to.include("npm run dlq -- inspect --stack prod --queue dailyReport.");
    expect(description("process-order-dlq-messages-visible")).to.include("npm run dlq -- inspect --stack prod --queue orders,");
    expect(description("api-5xx")).to.include("access log group");
  });

  it("takes thresholds and evaluation periods from config", async () => {
    const view = await stageVariantGraph();
    expect(view.one(ALARM, "create-order-errors").inputs).to.include({ threshold: 5, evaluationPeriods: 3 });
    expect(view.one(ALARM, "api-5xx").inputs).to.include({ threshold: 10, evaluationPeriods: 3 });
    const defaults = await stackGraph("stage");
    expect(defaults.one(ALARM, "create-order-errors").inputs).to.include({ threshold: 1, evaluationPeriods: 1 });
  });
});
