/**
 * LogShipping on its own, both destinations: the Firehose archive (its bucket, stream settings, role and
 * freshness alarm) and the Kinesis stream (its settings and throttle alarm), each log group's filter,
 * the role CloudWatch Logs assumes, what is protected, and the transforms.
 */
import { expect } from "chai";
import * as aws from "../../components/aws";
import { LogShipping } from "../../components/log-shipping";
import { captureComponents, GraphView, keptOptions, parsed } from "../harness";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:alerts";
const STREAM = "aws:kinesis/stream:Stream";
const FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream";
const FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const POLICY = "aws:iam/rolePolicy:RolePolicy";

describe("LogShipping", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(
      () => {
        const groups = {
          health: new aws.cloudwatch.LogGroup("health-logs", { name: "/aws/lambda/health", retentionInDays: 30 }),
          api: new aws.cloudwatch.LogGroup("api-logs", { name: "/aws/apigateway/api", retentionInDays: 30 }),
        };
        new LogShipping("archive", { destination: { kind: "s3" }, logGroups: groups, alertTopicArn: TOPIC });
        new LogShipping("archive90", {
          destination: { kind: "s3", archiveAfterDays: 7, expireAfterDays: 90 },
          logGroups: {},
          alertTopicArn: TOPIC,
          protect: false,
          transform: {
            deliveryStream: (args) =>
              void (args.extendedS3Configuration = { ...(args.extendedS3Configuration as object), bufferingInterval: 60 } as any),
          },
        });
        new LogShipping("feed", { destination: { kind: "kinesis" }, logGroups: { health: groups.health }, alertTopicArn: TOPIC });
        // Under a provider of another region, CloudWatch Logs of that region puts the records.
        const west = new aws.Provider("west", { region: "us-west-2" });
        new LogShipping("western", { destination: { kind: "kinesis" }, logGroups: {}, alertTopicArn: TOPIC }, { providers: { aws: west } });
        new LogShipping("feed72", {
          destination: { kind: "kinesis", retentionHours: 72 },
          logGroups: { api: groups.api },
          alertTopicArn: TOPIC,
          protect: false,
          transform: {
            stream: (args) => void (args.shardLevelMetrics = ["IncomingRecords"]),
            filter: (args) => void (args.filterPattern = "ERROR"),
          },
        });
      },
      "prod",
      { "aws:region": "eu-west-1" },
    );
  });
  const shipping = (name: string) => graph.one("platform:observability:LogShipping", name);
  const below = (name: string, type: string) => graph.descendants(shipping(name), type);
  const key = (name: string) => graph.one("aws:kms/key:Key", `${name}-key`);

  describe("to an S3 archive through Firehose", () => {
    it("delivers gzip batches of five minutes or 5 MB, encrypted with its own key, by the hour, failures under their own prefix", () => {
      const stream = graph.one(FIREHOSE, "archive-delivery");
      const bucket = graph.one("aws:s3/bucket:Bucket", "archive-archive");
      const role = graph.one("aws:iam/role:Role", "archive-firehose-role");
      expect(stream.inputs.destination).to.equal("extended_s3");
      expect(stream.inputs.serverSideEncryption).to.deep.equal({
        enabled: true,
        keyType: "CUSTOMER_MANAGED_CMK",
        keyArn: key("archive").arn,
      });
      expect(stream.inputs.extendedS3Configuration).to.deep.equal({
        bucketArn: bucket.arn,
        roleArn: role.arn,
        kmsKeyArn: key("archive").arn,
        compressionFormat: "GZIP",
        bufferingInterval: 300,
        bufferingSize: 5,
        prefix: "logs/!{timestamp:yyyy/MM/dd/HH}/",
        errorOutputPrefix: "delivery-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
      });
      // Delivery waits for the role's policy: a stream created first fails its first writes.
      expect(stream.options.dependsOn).to.include(graph.one(POLICY, "archive-firehose-policy").urn);
      expect(key("archive").inputs.description).to.equal("Encrypts the logs shipped by archive");
      // The transform adjusts the stream's settings before it is created.
      expect(graph.one(FIREHOSE, "archive90-delivery").inputs.extendedS3Configuration.bufferingInterval).to.equal(60);
    });

    it("keeps logs in an unversioned bucket: 30 days, then Glacier Instant Retrieval, deleted after a year, unless told", () => {
      const rules = (name: string) =>
        graph.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `${name}-archive-lifecycle`).inputs.rules;
      expect(rules("archive")[0].transitions).to.deep.equal([{ days: 30, storageClass: "GLACIER_IR" }]);
      expect(rules("archive")[0].expiration).to.deep.equal({ days: 365 });
      expect(rules("archive90")[0].transitions).to.deep.equal([{ days: 7, storageClass: "GLACIER_IR" }]);
      expect(rules("archive90")[0].expiration).to.deep.equal({ days: 90 });
      expect(below("archive", "aws:s3/bucketVersioning:BucketVersioning")).to.deep.equal([]);
    });

    it("lets only Firehose of this account write the archive, with its key", () => {
      const trust = parsed(graph.one("aws:iam/role:Role", "archive-firehose-role"), "assumeRolePolicy").Statement;
      expect(trust).to.deep.equal([
        {
          Effect: "Allow",
          Principal: { Service: "firehose.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": graph.graph.placement.accountId } },
        },
      ]);
      const bucket = graph.one("aws:s3/bucket:Bucket", "archive-archive");
      const policy = graph.one(POLICY, "archive-firehose-policy");
      expect(policy.inputs.role).to.equal(graph.one("aws:iam/role:Role", "archive-firehose-role").id);
      expect(parsed(policy, "policy").Statement).to.deep.equal([
        {
          Sid: "WriteArchive",
          Effect: "Allow",
          Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
          Resource: [bucket.arn, `${bucket.arn}/*`],
        },
        { Sid: "EncryptArchive", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: key("archive").arn },
      ]);
    });

    it("alarms when the archive's newest record is over 15 minutes old, at its maximum over five minutes", () => {
      const alarm = graph.one(ALARM, "archive-delivery-freshness");
      expect(alarm.inputs).to.deep.include({
        namespace: "AWS/Firehose",
        metricName: "DeliveryToS3.DataFreshness",
        dimensions: { DeliveryStreamName: graph.one(FIREHOSE, "archive-delivery").state.name },
        statistic: "Maximum",
        threshold: 900,
        period: 300,
        alarmActions: [TOPIC],
      });
      expect(alarm.inputs.alarmDescription).to.equal(
        "Logs are not reaching the archive bucket of archive: see its delivery-errors/ prefix and the Firehose stream's metrics.",
      );
      expect(below("archive", STREAM)).to.deep.equal([]);
    });
  });

  describe("to a Kinesis stream", () => {
    it("feeds an on-demand stream encrypted with its own key, kept a day unless told", () => {
      expect(graph.one(STREAM, "feed-stream").inputs).to.deep.include({
        streamModeDetails: { streamMode: "ON_DEMAND" },
        encryptionType: "KMS",
        kmsKeyId: key("feed").arn,
        retentionPeriod: 24,
      });
      expect(graph.one(STREAM, "feed72-stream").inputs).to.deep.include({ retentionPeriod: 72, shardLevelMetrics: ["IncomingRecords"] });
      expect(below("feed", FIREHOSE)).to.deep.equal([]);
      expect(below("feed", "aws:s3/bucket:Bucket")).to.deep.equal([]);
    });

    it("alarms on any throttled write over five minutes", () => {
      const alarm = graph.one(ALARM, "feed-throttled");
      expect(alarm.inputs).to.deep.include({
        namespace: "AWS/Kinesis",
        metricName: "WriteProvisionedThroughputExceeded",
        dimensions: { StreamName: graph.one(STREAM, "feed-stream").state.name },
        threshold: 1,
        period: 300,
        alarmActions: [TOPIC],
      });
      expect(alarm.inputs.alarmDescription).to.equal(
        "Log records are being throttled on the feed stream: check its consumers and the Logs DeliveryThrottling metric.",
      );
    });
  });

  it("subscribes each log group once, by its label, with every line, after the group and the role's policy exist", () => {
    const filter = (name: string) => graph.one(FILTER, name);
    expect(graph.all(FILTER).map((f) => f.name)).to.have.members(["archive-health", "archive-api", "feed-health", "feed72-api"]);
    const stream = graph.one(FIREHOSE, "archive-delivery");
    expect(filter("archive-health").inputs).to.deep.equal({
      logGroup: "/aws/lambda/health",
      filterPattern: "",
      destinationArn: stream.arn,
      roleArn: graph.one("aws:iam/role:Role", "archive-logs-role").arn,
    });
    expect(filter("archive-health").options.dependsOn).to.have.members([
      graph.one("aws:cloudwatch/logGroup:LogGroup", "health-logs").urn,
      graph.one(POLICY, "archive-logs-policy").urn,
    ]);
    expect(filter("feed-health").inputs.destinationArn).to.equal(graph.one(STREAM, "feed-stream").arn);
    expect(filter("feed72-api").inputs.filterPattern).to.equal("ERROR");
  });

  it("lets CloudWatch Logs of this region and account put records, and on a stream use its key, nothing else", () => {
    const trust = parsed(graph.one("aws:iam/role:Role", "feed-logs-role"), "assumeRolePolicy").Statement[0];
    expect(trust.Principal).to.deep.equal({ Service: "logs.eu-west-1.amazonaws.com" });
    expect(parsed(graph.one("aws:iam/role:Role", "western-logs-role"), "assumeRolePolicy").Statement[0].Principal).to.deep.equal({
      Service: "logs.us-west-2.amazonaws.com",
    });
    expect(trust.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": graph.graph.placement.accountId } });
    const statements = (name: string) => parsed(graph.one(POLICY, `${name}-logs-policy`), "policy").Statement;
    expect(graph.one(POLICY, "feed-logs-policy").inputs.role).to.equal(graph.one("aws:iam/role:Role", "feed-logs-role").id);
    expect(statements("archive")).to.deep.equal([
      {
        Sid: "PutLogRecords",
        Effect: "Allow",
        Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
        Resource: graph.one(FIREHOSE, "archive-delivery").arn,
      },
    ]);
    expect(statements("feed")).to.deep.equal([
      {
        Sid: "PutLogRecords",
        Effect: "Allow",
        Action: ["kinesis:PutRecord", "kinesis:PutRecords"],
        Resource: graph.one(STREAM, "feed-stream").arn,
      },
      { Sid: "EncryptRecords", Effect: "Allow", Action: ["kms:GenerateDataKey"], Resource: key("feed").arn },
    ]);
  });

  it("protects and keeps the archive, the stream and their keys by default, and not when told", () => {
    expect(keptOptions(graph.one("aws:s3/bucket:Bucket", "archive-archive"))).to.deep.equal([true, true]);
    expect(keptOptions(key("archive"))).to.deep.equal([true, true]);
    expect(keptOptions(graph.one(STREAM, "feed-stream"))).to.deep.equal([true, true]);
    expect(keptOptions(key("feed"))).to.deep.equal([true, true]);
    expect(keptOptions(graph.one("aws:s3/bucket:Bucket", "archive90-archive"))).to.deep.equal([false, false]);
    expect(keptOptions(key("archive90"))).to.deep.equal([false, false]);
    expect(keptOptions(graph.one(STREAM, "feed72-stream"))).to.deep.equal([false, false]);
    expect(keptOptions(key("feed72"))).to.deep.equal([false, false]);
  });
});
