import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyStatement } from "./iam";
import { Transform, transformed } from "./child";
import { customerKey } from "./kms";
import { SecureBucket } from "./secure-bucket";

/** Bulk and secret application config: one JSON object per stack in an encrypted bucket only the readers may read. */
export interface ConfigStoreArgs {
  /** The config document as JSON text; pass it as a Pulumi secret when it holds secrets. */
  document: pulumi.Input<string>;
  /** Object key of the document. @default "config/<stack>.json" */
  key?: string;
  /** Protect the bucket and key, and keep them when the stack is destroyed. @default true */
  protect?: boolean;
  /** Adjusts a child before it is created. @default none */
  transform?: { document?: Transform<aws.s3.BucketObjectv2Args> };
}

/**
 * A customer-managed rotating KMS key, a SecureBucket encrypted with it, and the config object.
 * Call `grantRead` once with the roles that may read it: the bucket policy denies every other role.
 */
export class ConfigStore extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  public readonly bucket: SecureBucket;
  public readonly object: aws.s3.BucketObjectv2;
  public readonly bucketName: pulumi.Output<string>;
  public readonly objectKey: string;

  constructor(
    private readonly resourceName: string,
    args: ConfigStoreArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("platform:config:ConfigStore", resourceName, {}, opts);
    const name = resourceName;
    const protect = args.protect ?? true;
    // The account administers the key; who may decrypt is granted on the readers' roles.
    this.key = customerKey(`${name}-key`, { description: `Encrypts the ${name} config bucket`, protect }, this);
    this.bucket = new SecureBucket(`${name}-bucket`, { kmsKeyArn: this.key.arn, protect, deferPolicy: true }, { parent: this });
    this.bucketName = this.bucket.name;
    this.objectKey = args.key ?? `config/${pulumi.getStack()}.json`;
    this.object = new aws.s3.BucketObjectv2(
      ...transformed(
        args.transform?.document,
        `${name}-document`,
        {
          bucket: this.bucket.bucket.id,
          key: this.objectKey,
          content: args.document,
          contentType: "application/json",
          serverSideEncryption: "aws:kms",
          kmsKeyId: this.key.arn,
        },
        { parent: this },
      ),
    );
    this.registerOutputs({ bucketName: this.bucketName, objectKey: this.objectKey });
  }

  /** The statements a reader's role needs: get the one object, decrypt with the one key. */
  readStatements(): PolicyStatement[] {
    return [
      { Sid: "ReadConfigObject", Action: ["s3:GetObject"], Resource: pulumi.interpolate`${this.bucket.arn}/${this.objectKey}` },
      {
        Sid: "DecryptConfig",
        Action: ["kms:Decrypt"],
        Resource: this.key.arn,
        Condition: {
          StringEquals: { "kms:ViaService": pulumi.interpolate`s3.${aws.getRegionOutput({}, { parent: this }).name}.amazonaws.com` },
        },
      },
    ];
  }

  /** Attaches the bucket policy: TLS only, and object reads denied to every principal but `roleArns`. */
  grantRead(roleArns: pulumi.Input<string>[]): void {
    if (roleArns.length === 0) throw new Error(`ConfigStore "${this.resourceName}": grantRead needs at least one role`);
    this.bucket.attachPolicy([
      {
        Sid: "OnlyReadersGetObjects",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: pulumi.interpolate`${this.bucket.arn}/*`,
        Condition: { ArnNotEquals: { "aws:PrincipalArn": roleArns } },
      },
    ]);
  }
}
