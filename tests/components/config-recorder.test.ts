import { expect } from "chai";
import { ConfigRecorder } from "../../components/config-recorder";
import { captureComponents, GraphView, parsed } from "../harness";

describe("ConfigRecorder", () => {
  let graph: GraphView;
  let account: string;
  before(async () => {
    graph = await captureComponents(() => {
      new ConfigRecorder("config");
      new ConfigRecorder("regional", { includeGlobalResourceTypes: false, retentionDays: 90, protect: false });
    });
    account = graph.graph.placement.accountId;
  });
  const one = (type: string, name: string) => graph.one(type, name);

  it("records every supported type, global ones too unless told, through a role only AWS Config assumes", () => {
    const role = one("aws:iam/role:Role", "config-role");
    // IAM's current policy language, in every document made here.
    expect(parsed(role, "assumeRolePolicy").Version).to.equal("2012-10-17");
    expect(parsed(one("aws:s3/bucketPolicy:BucketPolicy", "config-bucket-policy"), "policy").Version).to.equal("2012-10-17");
    expect(parsed(role, "assumeRolePolicy").Statement).to.deep.equal([
      { Effect: "Allow", Principal: { Service: "config.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const attachment = one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "config-role-policy");
    expect(attachment.inputs).to.deep.include({ role: role.state.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole" });
    expect(one("aws:cfg/recorder:Recorder", "config-recorder").inputs).to.deep.include({
      roleArn: role.arn,
      recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
    });
    expect(one("aws:cfg/recorder:Recorder", "regional-recorder").inputs.recordingGroup).to.deep.equal({
      allSupported: true,
      includeGlobalResourceTypes: false,
    });
  });

  it("lets only AWS Config, acting for this account, use the key and deliver to the bucket's AWSLogs prefix", () => {
    const sameAccount = { StringEquals: { "aws:SourceAccount": account } };
    const key = one("aws:kms/key:Key", "config-key");
    expect(key.inputs.description).to.equal("Encrypts what AWS Config delivers to config");
    expect(parsed(key, "policy").Statement.find((s: any) => s.Sid === "ConfigEncryptsDeliveries")).to.deep.equal({
      Sid: "ConfigEncryptsDeliveries",
      Effect: "Allow",
      Principal: { Service: "config.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: sameAccount,
    });
    const bucket = one("aws:s3/bucket:Bucket", "config-bucket");
    const statements = parsed(one("aws:s3/bucketPolicy:BucketPolicy", "config-bucket-policy"), "policy").Statement;
    expect(statements.find((s: any) => s.Sid === "ConfigChecksBucket")).to.deep.equal({
      Sid: "ConfigChecksBucket",
      Effect: "Allow",
      Principal: { Service: "config.amazonaws.com" },
      Action: ["s3:GetBucketAcl", "s3:ListBucket"],
      Resource: bucket.arn,
      Condition: sameAccount,
    });
    expect(statements.find((s: any) => s.Sid === "ConfigDelivers")).to.deep.equal({
      Sid: "ConfigDelivers",
      Effect: "Allow",
      Principal: { Service: "config.amazonaws.com" },
      Action: ["s3:PutObject"],
      Resource: `${bucket.arn}/AWSLogs/${account}/Config/*`,
      Condition: sameAccount,
    });
  });

  it("delivers encrypted to its bucket once the recorder and bucket exist, then turns recording on", () => {
    const recorder = one("aws:cfg/recorder:Recorder", "config-recorder");
    const channel = one("aws:cfg/deliveryChannel:DeliveryChannel", "config-delivery");
    expect(channel.inputs).to.deep.include({
      s3BucketName: one("aws:s3/bucket:Bucket", "config-bucket").state.bucket,
      s3KmsKeyArn: one("aws:kms/key:Key", "config-key").arn,
    });
    expect(channel.options.dependsOn).to.include.members([recorder.urn, one("platform:storage:SecureBucket", "config-bucket").urn]);
    const status = one("aws:cfg/recorderStatus:RecorderStatus", "config-status");
    expect(status.inputs).to.deep.include({ name: recorder.state.name, isEnabled: true });
    expect(status.options.dependsOn).to.deep.equal([channel.urn]);
  });

  it("keeps a year of deliveries and protects what holds them, unless told otherwise", () => {
    const rules = (name: string) => one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", name).inputs.rules;
    expect(JSON.stringify(rules("config-bucket-lifecycle"))).to.include('"expiration":{"days":365}');
    expect(JSON.stringify(rules("regional-bucket-lifecycle"))).to.include('"expiration":{"days":90}');
    expect(one("aws:kms/key:Key", "config-key").options.protect).to.equal(true);
    expect(one("aws:s3/bucket:Bucket", "config-bucket").options.protect).to.equal(true);
    expect(one("aws:kms/key:Key", "regional-key").options.protect).to.equal(false);
    expect(one("aws:s3/bucket:Bucket", "regional-bucket").options.protect).to.equal(false);
    // Every child hangs under its recorder.
    const component = one("platform:governance:ConfigRecorder", "config");
    for (const [type, name] of [
      ["aws:iam/role:Role", "config-role"],
      ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "config-role-policy"],
      ["aws:cfg/recorder:Recorder", "config-recorder"],
      ["aws:cfg/deliveryChannel:DeliveryChannel", "config-delivery"],
      ["aws:cfg/recorderStatus:RecorderStatus", "config-status"],
    ])
      expect(one(type, name).parent, name).to.equal(component.urn);
  });
});
