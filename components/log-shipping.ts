import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarms";
import { kept, Transform, transformed } from "./child";
import { policyDocument, trustPolicy } from "./iam";
import { customerKey } from "./kms";
import { SecureBucket } from "./secure-bucket";

/** Where the logs go: an S3 archive through Firehose, or a Kinesis stream other tools consume. */
export type LogDestination =
  | {
      kind: "s3";
      /** Days before archived logs move to Glacier Instant Retrieval. @default 30 */
      archiveAfterDays?: number;
      /** Days before archived logs are deleted. @default 365 */
      expireAfterDays?: number;
    }
  | {
      kind: "kinesis";
      /** Hours the stream keeps records, 24 to 8760. @default 24 */
      retentionHours?: number;
    };

/** Ships every given log group, each through one subscription filter, to the destination. */
export interface LogShippingArgs {
  destination: LogDestination;
  /** The log groups to ship, by a stable label that names each one's filter: every function's and the API's access logs. */
  logGroups: Record<string, aws.cloudwatch.LogGroup>;
  /** Topic for the delivery-failure alarm. */
  alertTopicArn: pulumi.Input<string>;
  /** Protect the archive bucket, the stream and their key, and keep them on destroy. @default true */
  protect?: boolean;
  /** Adjusts a child before it is created. @default none */
  transform?: {
    deliveryStream?: Transform<aws.kinesis.FirehoseDeliveryStreamArgs>;
    stream?: Transform<aws.kinesis.StreamArgs>;
    filter?: Transform<aws.cloudwatch.LogSubscriptionFilterArgs>;
  };
}

/** Where records go, which actions put them there, the alarm on their delivery, and what was made for it. */
interface Destination {
  arn: pulumi.Output<string>;
  putActions: string[];
  alarm: aws.cloudwatch.MetricAlarm;
  archive?: SecureBucket;
  deliveryStream?: aws.kinesis.FirehoseDeliveryStream;
  stream?: aws.kinesis.Stream;
}

export class LogShipping extends pulumi.ComponentResource {
  public readonly destinationArn: pulumi.Output<string>;
  /** One subscription filter per shipped log group, keyed by its label. */
  public readonly filters: Record<string, aws.cloudwatch.LogSubscriptionFilter> = {};
  /** Logs are not being delivered: archive freshness (s3) or throttled writes (kinesis). */
  public readonly deliveryAlarm: aws.cloudwatch.MetricAlarm;
  /** The archive bucket (S3 mode). */
  public readonly archive?: SecureBucket;
  /** The Firehose delivery stream (S3 mode) or the Kinesis stream (Kinesis mode). */
  public readonly deliveryStream?: aws.kinesis.FirehoseDeliveryStream;
  public readonly stream?: aws.kinesis.Stream;
  private readonly key: aws.kms.Key;
  private readonly account: pulumi.Output<string>;

  constructor(name: string, args: LogShippingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:LogShipping", name, {}, opts);
    const protect = args.protect ?? true;
    this.account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    this.key = customerKey(`${name}-key`, { description: `Encrypts the logs shipped by ${name}`, protect }, this);
    const destination =
      args.destination.kind === "s3"
        ? this.createArchive(name, args, args.destination, protect)
        : this.createStream(name, args, args.destination, protect);
    this.destinationArn = destination.arn;
    this.deliveryAlarm = destination.alarm;
    this.archive = destination.archive;
    this.deliveryStream = destination.deliveryStream;
    this.stream = destination.stream;
    this.subscribe(name, args, destination);
    this.registerOutputs({ destinationArn: this.destinationArn });
  }

  /** Firehose into a KMS-encrypted bucket that archives, then expires, what it keeps. */
  private createArchive(
    name: string,
    args: LogShippingArgs,
    destination: Extract<LogDestination, { kind: "s3" }>,
    protect: boolean,
  ): Destination {
    const archive = new SecureBucket(
      `${name}-archive`,
      {
        kmsKeyArn: this.key.arn,
        protect,
        versioning: false,
        archiveAfterDays: destination.archiveAfterDays ?? 30,
        expirationDays: destination.expireAfterDays ?? 365,
      },
      { parent: this },
    );
    const role = new aws.iam.Role(
      `${name}-firehose-role`,
      { assumeRolePolicy: trustPolicy("firehose.amazonaws.com", this.account) },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-firehose-policy`,
      {
        role: role.id,
        policy: policyDocument([
          {
            Sid: "WriteArchive",
            Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            Resource: [archive.arn, pulumi.interpolate`${archive.arn}/*`],
          },
          { Sid: "EncryptArchive", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: this.key.arn },
        ]),
      },
      { parent: this },
    );
    const stream = new aws.kinesis.FirehoseDeliveryStream(
      ...transformed(
        args.transform?.deliveryStream,
        `${name}-delivery`,
        {
          destination: "extended_s3",
          serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: this.key.arn },
          extendedS3Configuration: {
            bucketArn: archive.arn,
            roleArn: role.arn,
            kmsKeyArn: this.key.arn,
            compressionFormat: "GZIP",
            bufferingInterval: 300,
            bufferingSize: 5,
            prefix: "logs/!{timestamp:yyyy/MM/dd/HH}/",
            errorOutputPrefix: "delivery-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
          },
        },
        { parent: this, dependsOn: [policy] },
      ),
    );
    const alarm = metricAlarm(
      `${name}-delivery-freshness`,
      {
        description: `Logs are not reaching the archive bucket of ${name}: see its delivery-errors/ prefix and the Firehose stream's metrics.`,
        namespace: "AWS/Firehose",
        metricName: "DeliveryToS3.DataFreshness",
        dimensions: { DeliveryStreamName: stream.name },
        statistic: "Maximum",
        threshold: 900,
        periodSeconds: 300,
      },
      args.alertTopicArn,
      this,
    );
    return { arn: stream.arn, putActions: ["firehose:PutRecord", "firehose:PutRecordBatch"], alarm, archive, deliveryStream: stream };
  }

  /** An encrypted on-demand Kinesis stream that other tools consume. */
  private createStream(
    name: string,
    args: LogShippingArgs,
    destination: Extract<LogDestination, { kind: "kinesis" }>,
    protect: boolean,
  ): Destination {
    const stream = new aws.kinesis.Stream(
      ...transformed(
        args.transform?.stream,
        `${name}-stream`,
        {
          streamModeDetails: { streamMode: "ON_DEMAND" },
          encryptionType: "KMS",
          kmsKeyId: this.key.arn,
          retentionPeriod: destination.retentionHours ?? 24,
        },
        { parent: this, ...kept(protect) },
      ),
    );
    const alarm = metricAlarm(
      `${name}-throttled`,
      {
        description: `Log records are being throttled on the ${name} stream: check its consumers and the Logs DeliveryThrottling metric.`,
        namespace: "AWS/Kinesis",
        metricName: "WriteProvisionedThroughputExceeded",
        dimensions: { StreamName: stream.name },
        threshold: 1,
        periodSeconds: 300,
      },
      args.alertTopicArn,
      this,
    );
    return { arn: stream.arn, putActions: ["kinesis:PutRecord", "kinesis:PutRecords"], alarm, stream };
  }

  /** One filter per log group, through a role CloudWatch Logs assumes to put records, and nothing else. */
  private subscribe(name: string, args: LogShippingArgs, destination: Destination): void {
    const region = aws.getRegionOutput({}, { parent: this }).name;
    const role = new aws.iam.Role(
      `${name}-logs-role`,
      { assumeRolePolicy: trustPolicy(pulumi.interpolate`logs.${region}.amazonaws.com`, this.account) },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-logs-policy`,
      {
        role: role.id,
        policy: policyDocument([
          { Sid: "PutLogRecords", Action: destination.putActions, Resource: destination.arn },
          ...(args.destination.kind === "kinesis"
            ? [{ Sid: "EncryptRecords", Action: ["kms:GenerateDataKey"], Resource: this.key.arn }]
            : []),
        ]),
      },
      { parent: this },
    );
    for (const [label, group] of Object.entries(args.logGroups)) {
      // After the group exists (it is declared, never left for Lambda to create), and after the role may write.
      this.filters[label] = new aws.cloudwatch.LogSubscriptionFilter(
        ...transformed(
          args.transform?.filter,
          `${name}-${label}`,
          { logGroup: group.name, filterPattern: "", destinationArn: destination.arn, roleArn: role.arn },
          { parent: this, dependsOn: [group, policy] },
        ),
      );
    }
  }
}
