import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { kept, Transform, transformed } from "./child";
import { denyInsecureTransport, policyDocument, PolicyStatement } from "./iam";

/** An S3 bucket with the protections every platform bucket has: no public access, encryption, TLS only, versions that expire. */
export interface SecureBucketArgs {
  /** Customer-managed KMS key for SSE-KMS (with an S3 bucket key). @default SSE-S3 (AES256) */
  kmsKeyArn?: pulumi.Input<string>;
  /** Keep every version of every object. @default true */
  versioning?: boolean;
  /** Days after which a replaced version is deleted. @default 90 */
  noncurrentVersionExpirationDays?: number;
  /** Days after which current objects move to Glacier Instant Retrieval. @default never */
  archiveAfterDays?: number;
  /** Days after which current objects are deleted. @default never */
  expirationDays?: number;
  /** Statements added to the bucket policy, given the bucket's ARN; the TLS-only deny is always there. @default none */
  policyStatements?: (bucketArn: pulumi.Output<string>) => pulumi.Input<PolicyStatement>[];
  /**
   * Create the bucket policy only when `attachPolicy` is called, for statements that name resources
   * made after the bucket. The policy pack flags a bucket whose policy never came. @default false
   */
  deferPolicy?: boolean;
  /** Protect the bucket and keep it (and its objects) when the stack is destroyed. @default true */
  protect?: boolean;
  /** Object ownership; CloudFront's access logs need ACLs, so "BucketOwnerPreferred" there. @default "BucketOwnerEnforced" (ACLs off) */
  objectOwnership?: "BucketOwnerEnforced" | "BucketOwnerPreferred";
  /** Adjusts a child before it is created. @default none */
  transform?: { bucket?: Transform<aws.s3.BucketArgs>; lifecycle?: Transform<aws.s3.BucketLifecycleConfigurationArgs> };
}

export class SecureBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public policy?: aws.s3.BucketPolicy;
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;

  constructor(
    private readonly resourceName: string,
    args: SecureBucketArgs = {},
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("platform:storage:SecureBucket", resourceName, {}, opts);
    const name = resourceName;
    const protect = args.protect ?? true;
    this.bucket = new aws.s3.Bucket(
      ...transformed(args.transform?.bucket, name, { forceDestroy: !protect }, { parent: this, ...kept(protect) }),
    );
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    const bucket = this.bucket.id;

    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket, rule: { objectOwnership: args.objectOwnership ?? "BucketOwnerEnforced" } },
      { parent: this },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket,
        rules: [
          args.kmsKeyArn
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
        ],
      },
      { parent: this },
    );
    const versioned = args.versioning ?? true;
    if (versioned)
      new aws.s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: "Enabled" } }, { parent: this });
    new aws.s3.BucketLifecycleConfiguration(
      ...transformed(
        args.transform?.lifecycle,
        `${name}-lifecycle`,
        {
          bucket,
          rules: [
            {
              id: "expire-and-archive",
              status: "Enabled",
              filter: {},
              abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
              ...(versioned ? { noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionExpirationDays ?? 90 } } : {}),
              ...(args.archiveAfterDays ? { transitions: [{ days: args.archiveAfterDays, storageClass: "GLACIER_IR" }] } : {}),
              ...(args.expirationDays ? { expiration: { days: args.expirationDays } } : {}),
            },
          ],
        },
        { parent: this },
      ),
    );
    if (!args.deferPolicy) this.attachPolicy(args.policyStatements?.(this.arn) ?? []);
    this.registerOutputs({ name: this.name, arn: this.arn });
  }

  /** Creates the bucket's one policy: TLS only, plus `statements`. Once per bucket. */
  attachPolicy(statements: pulumi.Input<PolicyStatement>[]): aws.s3.BucketPolicy {
    if (this.policy)
      throw new Error(`SecureBucket "${this.resourceName}": its policy was already attached; S3 keeps one policy per bucket`);
    this.policy = new aws.s3.BucketPolicy(
      `${this.resourceName}-policy`,
      {
        bucket: this.bucket.id,
        policy: policyDocument([denyInsecureTransport("s3", [this.arn, pulumi.interpolate`${this.arn}/*`]), ...statements]),
      },
      { parent: this },
    );
    return this.policy;
  }
}
