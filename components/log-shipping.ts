import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarms";
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
}

export class LogShipping extends pulumi.ComponentResource {
  public readonly destinationArn: pulumi.Output<string>;
  public readonly filters: aws.cloudwatch.LogSubscriptionFilter[] = [];
  public readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  /** The archive bucket (S3 mode). */
  public readonly archive?: SecureBucket;
  /** The Firehose delivery stream (S3 mode) or the Kinesis stream (Kinesis mode). */
  public readonly deliveryStream?: aws.kinesis.FirehoseDeliveryStream;
  public readonly stream?: aws.kinesis.Stream;

  constructor(name: string, args: LogShippingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:LogShipping", name, {}, opts);
    const protect = args.protect ?? true;
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const region = aws.getRegionOutput({}, { parent: this }).name;
    const key = customerKey(`${name}-key`, { description: `Encrypts the logs shipped by ${name}`, protect }, this);

    let putActions: string[];
    if (args.destination.kind === "s3") {
      this.archive = new SecureBucket(
        `${name}-archive`,
        {
          kmsKeyArn: key.arn,
          protect,
          versioning: false,
          archiveAfterDays: args.destination.archiveAfterDays ?? 30,
          expirationDays: args.destination.expireAfterDays ?? 365,
        },
        { parent: this },
      );
      const firehoseRole = new aws.iam.Role(
        `${name}-firehose-role`,
        { assumeRolePolicy: trustPolicy("firehose.amazonaws.com", account) },
        { parent: this },
      );
      const firehosePolicy = new aws.iam.RolePolicy(
        `${name}-firehose-policy`,
        {
          role: firehoseRole.id,
          policy: policyDocument([
            {
              Sid: "WriteArchive",
              Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
              Resource: [this.archive.arn, pulumi.interpolate`${this.archive.arn}/*`],
            },
            { Sid: "EncryptArchive", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: key.arn },
          ]),
        },
        { parent: this },
      );
      this.deliveryStream = new aws.kinesis.FirehoseDeliveryStream(
        `${name}-delivery`,
        {
          destination: "extended_s3",
          serverSideEncryption: { enabled: true, keyType: "CUSTOMER_MANAGED_CMK", keyArn: key.arn },
          extendedS3Configuration: {
            bucketArn: this.archive.arn,
            roleArn: firehoseRole.arn,
            kmsKeyArn: key.arn,
            compressionFormat: "GZIP",
            bufferingInterval: 300,
            bufferingSize: 5,
            prefix: "logs/!{timestamp:yyyy/MM/dd/HH}/",
            errorOutputPrefix: "delivery-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
          },
        },
        { parent: this, dependsOn: [firehosePolicy] },
      );
      this.destinationArn = this.deliveryStream.arn;
      putActions = ["firehose:PutRecord", "firehose:PutRecordBatch"];
      this.alarms.push(
        metricAlarm(
          `${name}-delivery-freshness`,
          {
            description: `Logs are not reaching the archive bucket of ${name}: see its delivery-errors/ prefix and the Firehose stream's metrics.`,
            namespace: "AWS/Firehose",
            metricName: "DeliveryToS3.DataFreshness",
            dimensions: { DeliveryStreamName: this.deliveryStream.name },
            statistic: "Maximum",
            threshold: 900,
            periodSeconds: 300,
          },
          args.alertTopicArn,
          this,
        ),
      );
    } else {
      this.stream = new aws.kinesis.Stream(
        `${name}-stream`,
        {
          streamModeDetails: { streamMode: "ON_DEMAND" },
          encryptionType: "KMS",
          kmsKeyId: key.arn,
          retentionPeriod: args.destination.retentionHours ?? 24,
        },
        { parent: this, protect, retainOnDelete: protect },
      );
      this.destinationArn = this.stream.arn;
      putActions = ["kinesis:PutRecord", "kinesis:PutRecords"];
      this.alarms.push(
        metricAlarm(
          `${name}-throttled`,
          {
            description: `Log records are being throttled on the ${name} stream: check its consumers and the Logs DeliveryThrottling metric.`,
            namespace: "AWS/Kinesis",
            metricName: "WriteProvisionedThroughputExceeded",
            dimensions: { StreamName: this.stream.name },
            threshold: 1,
            periodSeconds: 300,
          },
          args.alertTopicArn,
          this,
        ),
      );
    }

    // CloudWatch Logs assumes this role to put each group's events into the destination, and nothing else.
    const logsRole = new aws.iam.Role(
      `${name}-logs-role`,
      { assumeRolePolicy: trustPolicy(pulumi.interpolate`logs.${region}.amazonaws.com`, account) },
      { parent: this },
    );
    const logsPolicy = new aws.iam.RolePolicy(
      `${name}-logs-policy`,
      {
        role: logsRole.id,
        policy: policyDocument([
          { Sid: "PutLogRecords", Action: putActions, Resource: this.destinationArn },
          ...(args.destination.kind === "kinesis" ? [{ Sid: "EncryptRecords", Action: ["kms:GenerateDataKey"], Resource: key.arn }] : []),
        ]),
      },
      { parent: this },
    );
    for (const [label, group] of Object.entries(args.logGroups)) {
      // After the group exists (it is declared, never left for Lambda to create), and after the role may write.
      this.filters.push(
        new aws.cloudwatch.LogSubscriptionFilter(
          `${name}-${label}`,
          { logGroup: group.name, filterPattern: "", destinationArn: this.destinationArn, roleArn: logsRole.arn },
          { parent: this, dependsOn: [group, logsPolicy] },
        ),
      );
    }
    this.registerOutputs({ destinationArn: this.destinationArn });
  }
}
