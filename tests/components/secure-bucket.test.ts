import { expect } from "chai";
import { SecureBucket } from "../../components/secure-bucket";
import { captureComponents, constructionError, GraphView, parsed } from "../harness";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("SecureBucket", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      new SecureBucket("plain");
      new SecureBucket("tuned", {
        kmsKeyArn: KEY,
        versioning: false,
        archiveAfterDays: 30,
        expirationDays: 400,
        protect: false,
        objectOwnership: "BucketOwnerPreferred",
        policyStatements: (arn) => [
          { Sid: "ReadersRead", Principal: { Service: "logging.s3.amazonaws.com" }, Action: ["s3:PutObject"], Resource: arn },
        ],
      });
      new SecureBucket("history", { noncurrentVersionExpirationDays: 30 });
      const deferred = new SecureBucket("deferred", { deferPolicy: true });
      deferred.attachPolicy([]);
    });
  });
  const one = (type: string, name: string) => graph.one(type, name);
  const lifecycleRule = (name: string) =>
    one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", `${name}-lifecycle`).inputs.rules[0];

  it("by default blocks public access, turns ACLs off, encrypts with S3's key, keeps versions 90 days, and is protected", () => {
    const bucket = one("aws:s3/bucket:Bucket", "plain");
    expect(bucket.inputs.forceDestroy).to.equal(false);
    expect(bucket.options).to.deep.include({ protect: true, retainOnDelete: true });
    expect(one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "plain-public-access").inputs).to.deep.include({
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "plain-ownership").inputs.rule).to.deep.equal({
      objectOwnership: "BucketOwnerEnforced",
    });
    expect(
      one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "plain-encryption").inputs.rules,
    ).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    expect(one("aws:s3/bucketVersioning:BucketVersioning", "plain-versioning").inputs.versioningConfiguration).to.deep.equal({
      status: "Enabled",
    });
    expect(lifecycleRule("plain")).to.deep.equal({
      id: "expire-and-archive",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      noncurrentVersionExpiration: { noncurrentDays: 90 },
    });
    expect(lifecycleRule("history").noncurrentVersionExpiration).to.deep.equal({ noncurrentDays: 30 });
  });

  it("refuses plain HTTP in its one policy, for the bucket and its objects, beside the statements it is given", () => {
    const plain = one("aws:s3/bucket:Bucket", "plain");
    expect(parsed(one("aws:s3/bucketPolicy:BucketPolicy", "plain-policy"), "policy").Statement).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:*"],
        Resource: [plain.arn, `${plain.arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
    const tuned = one("aws:s3/bucket:Bucket", "tuned");
    const statements = parsed(one("aws:s3/bucketPolicy:BucketPolicy", "tuned-policy"), "policy").Statement;
    expect(statements.map((s: any) => s.Sid)).to.deep.equal(["DenyInsecureTransport", "ReadersRead"]);
    expect(statements[1]).to.deep.include({ Effect: "Allow", Resource: tuned.arn });
    expect(one("aws:s3/bucketPolicy:BucketPolicy", "plain-policy").parent).to.equal(one("platform:storage:SecureBucket", "plain").urn);
  });

  it("takes a customer key, no versions, archiving, expiry, ACLs and no protection when told", () => {
    const bucket = one("aws:s3/bucket:Bucket", "tuned");
    expect(bucket.inputs.forceDestroy).to.equal(true);
    expect(bucket.options.protect).to.equal(false);
    expect(one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "tuned-ownership").inputs.rule).to.deep.equal({
      objectOwnership: "BucketOwnerPreferred",
    });
    expect(
      one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "tuned-encryption").inputs.rules,
    ).to.deep.equal([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }, bucketKeyEnabled: true }]);
    expect(graph.all("aws:s3/bucketVersioning:BucketVersioning").map((v) => v.name)).to.not.include("tuned-versioning");
    expect(lifecycleRule("tuned")).to.deep.equal({
      id: "expire-and-archive",
      status: "Enabled",
      filter: {},
      abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      transitions: [{ days: 30, storageClass: "GLACIER_IR" }],
      expiration: { days: 400 },
    });
  });

  it("attaches a deferred policy once, and refuses a second, naming the bucket", async () => {
    expect(parsed(one("aws:s3/bucketPolicy:BucketPolicy", "deferred-policy"), "policy").Statement).to.have.length(1);
    const message = await constructionError(() => {
      const bucket = new SecureBucket("twice", { deferPolicy: true });
      bucket.attachPolicy([]);
      bucket.attachPolicy([]);
    });
    expect(message).to.equal('SecureBucket "twice": its policy was already attached; S3 keeps one policy per bucket');
    expect(await constructionError(() => new SecureBucket("once").attachPolicy([]))).to.equal(
      'SecureBucket "once": its policy was already attached; S3 keeps one policy per bucket',
    );
  });
});
