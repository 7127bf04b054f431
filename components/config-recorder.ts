import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { Transform, transformed } from "./child";
import { customerKey } from "./kms";
import { trustPolicy } from "./iam";
import { SecureBucket } from "./secure-bucket";

/** AWS Config for the account: every supported resource type recorded, delivered to a secure bucket. */
export interface ConfigRecorderArgs {
  /** Record global resource types (IAM) too; enable in one region per account only. @default true */
  includeGlobalResourceTypes?: boolean;
  /** Days the delivered snapshots and history are kept. @default 365 */
  retentionDays?: number;
  /** Protect the delivery bucket and keep it when the stack is destroyed. @default true */
  protect?: boolean;
  /** Adjusts a child before it is created. @default none */
  transform?: { recorder?: Transform<aws.cfg.RecorderArgs>; deliveryChannel?: Transform<aws.cfg.DeliveryChannelArgs> };
}

export class ConfigRecorder extends pulumi.ComponentResource {
  public readonly recorder: aws.cfg.Recorder;
  public readonly bucket: SecureBucket;
  public readonly key: aws.kms.Key;

  constructor(name: string, args: ConfigRecorderArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("platform:governance:ConfigRecorder", name, {}, opts);
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: trustPolicy("config.amazonaws.com") }, { parent: this });
    // AWS's own policy for the Config service role: read-only describe rights over what it records.
    new aws.iam.RolePolicyAttachment(
      `${name}-role-policy`,
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole" },
      { parent: this },
    );

    const serviceFromThisAccount = { StringEquals: { "aws:SourceAccount": account } };
    const protect = args.protect ?? true;
    this.key = customerKey(
      `${name}-key`,
      {
        description: `Encrypts what AWS Config delivers to ${name}`,
        statements: [
          {
            Sid: "ConfigEncryptsDeliveries",
            Principal: { Service: "config.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: "*",
            Condition: serviceFromThisAccount,
          },
        ],
        protect,
      },
      this,
    );
    this.bucket = new SecureBucket(
      `${name}-bucket`,
      {
        kmsKeyArn: this.key.arn,
        protect,
        expirationDays: args.retentionDays ?? 365,
        policyStatements: (arn) => [
          {
            Sid: "ConfigChecksBucket",
            Principal: { Service: "config.amazonaws.com" },
            Action: ["s3:GetBucketAcl", "s3:ListBucket"],
            Resource: arn,
            Condition: serviceFromThisAccount,
          },
          {
            Sid: "ConfigDelivers",
            Principal: { Service: "config.amazonaws.com" },
            Action: ["s3:PutObject"],
            Resource: pulumi.interpolate`${arn}/AWSLogs/${account}/Config/*`,
            Condition: serviceFromThisAccount,
          },
        ],
      },
      { parent: this },
    );
    this.recorder = new aws.cfg.Recorder(
      ...transformed(
        args.transform?.recorder,
        `${name}-recorder`,
        { roleArn: role.arn, recordingGroup: { allSupported: true, includeGlobalResourceTypes: args.includeGlobalResourceTypes ?? true } },
        { parent: this },
      ),
    );
    const channel = new aws.cfg.DeliveryChannel(
      ...transformed(
        args.transform?.deliveryChannel,
        `${name}-delivery`,
        { s3BucketName: this.bucket.name, s3KmsKeyArn: this.key.arn },
        { parent: this, dependsOn: [this.recorder, this.bucket] },
      ),
    );
    new aws.cfg.RecorderStatus(`${name}-status`, { name: this.recorder.name, isEnabled: true }, { parent: this, dependsOn: [channel] });
    this.registerOutputs({ bucketName: this.bucket.name });
  }
}
