/** What the local cloud's IAM reads from a graph: roles and their policies, resource and key policies, permissions, encryption. */
import { expect } from "chai";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { buildIamModel, IamModel } from "../../local/iam/model";
import { captureComponents, GraphView } from "../harness";

const doc = (...Statement: object[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const trust = doc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" });

describe("local IAM: the model read from a graph", () => {
  let graph: GraphView;
  let model: IamModel;
  before(async () => {
    graph = await captureComponents(() => {
      const boundary = new aws.iam.Policy("boundary", { policy: doc({ Effect: "Allow", Action: ["s3:*", "sqs:*"], Resource: "*" }) });
      const shared = new aws.iam.Policy("shared", {
        policy: doc({ Sid: "Shared", Effect: "Allow", Action: "sqs:ListQueues", Resource: "*" }),
      });
      const role = new aws.iam.Role("worker-role", {
        assumeRolePolicy: trust,
        inlinePolicies: [{ name: "own", policy: doc({ Sid: "Own", Effect: "Allow", Action: "s3:ListBucket", Resource: "*" }) }],
        managedPolicyArns: ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        permissionsBoundary: boundary.arn,
      });
      new aws.iam.RolePolicy("worker-extra", {
        role: role.id,
        policy: doc({ Sid: "Extra", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }),
      });
      new aws.iam.RolePolicyAttachment("worker-shared", { role: role.name, policyArn: shared.arn });
      new aws.iam.RolePolicyAttachment("worker-elsewhere", {
        role: role.name,
        policyArn: "arn:aws:iam::123456789012:policy/from-another-stack",
      });
      const other = new aws.iam.Role("other-role", { assumeRolePolicy: trust });
      // The role given as the resource itself, and the document as an object, as pulumi/examples write them.
      new aws.iam.RolePolicy("other-own", {
        role: other,
        policy: { Version: "2012-10-17", Statement: [{ Sid: "OtherOwn", Effect: "Allow", Action: "sqs:ListQueues", Resource: "*" }] },
      });
      new aws.iam.RolePolicyAttachment("other-logs", { role: other, policyArn: aws.iam.ManagedPolicy.AWSLambdaBasicExecutionRole });
      new aws.iam.PolicyAttachment("both-shared", { roles: [role.name, other.name], policyArn: shared.arn });

      const key = new aws.kms.Key("key", {});
      const queue = new aws.sqs.Queue("inbox", { kmsMasterKeyId: key.arn });
      new aws.sqs.Queue("managed-key", { kmsMasterKeyId: "alias/aws/sqs" });
      new aws.sqs.QueuePolicy("inbox-policy", {
        queueUrl: queue.url,
        policy: doc({ Sid: "Producers", Effect: "Allow", Principal: { AWS: role.arn }, Action: "sqs:SendMessage", Resource: "*" }),
      });
      const bucket = new aws.s3.Bucket("docs", {});
      new aws.s3.BucketPolicy("docs-policy", {
        bucket: bucket.id,
        policy: doc({ Sid: "NoPrivate", Effect: "Deny", Principal: "*", Action: "s3:GetObject", Resource: "*" }),
      });
      new aws.s3.BucketServerSideEncryptionConfiguration("docs-encryption", {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn } }],
      });
      new aws.s3.BucketObjectv2("doc", {
        bucket: bucket.id,
        key: "a.txt",
        content: "a",
        serverSideEncryption: "aws:kms",
        kmsKeyId: key.arn,
      });
      const topic = new aws.sns.Topic("news", { kmsMasterKeyId: key.id });
      new aws.sns.TopicPolicy("news-policy", {
        arn: topic.arn,
        policy: doc({ Sid: "Pub", Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sns:Publish", Resource: "*" }),
      });

      const fn = new aws.lambda.Function("handler", {
        role: role.arn,
        runtime: "nodejs22.x",
        handler: "index.handler",
        code: new pulumi.asset.AssetArchive({}),
      });
      new aws.lambda.Permission("from-api", {
        action: "lambda:InvokeFunction",
        function: fn.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: "arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/x",
      });
      new aws.lambda.Permission("from-account", {
        action: "lambda:InvokeFunction",
        function: fn.arn,
        principal: "210987654321",
        qualifier: "live",
      });
    });
    model = buildIamModel(graph.graph);
  });

  const roleOf = (name: string) => model.roles.get(graph.one("aws:iam/role:Role", name).arn!)!;

  it("gives a role its inline, separate inline, attached customer, AWS managed and group-attached policies", () => {
    const policies = roleOf("worker-role").policies;
    expect(policies.map((p) => p.name)).to.have.members([
      "inline policy own",
      `inline policy ${graph.one("aws:iam/rolePolicy:RolePolicy", "worker-extra").state.name}`,
      "AWS managed policy AWSLambdaBasicExecutionRole",
      `managed policy ${graph.one("aws:iam/policy:Policy", "shared").state.name}`,
      `managed policy ${graph.one("aws:iam/policy:Policy", "shared").state.name}`,
      "policy arn:aws:iam::123456789012:policy/from-another-stack (attached by attachment worker-elsewhere)",
    ]);
    expect(roleOf("other-role").policies.map((p) => p.name)).to.deep.equal([
      `inline policy ${graph.one("aws:iam/rolePolicy:RolePolicy", "other-own").state.name}`,
      "AWS managed policy AWSLambdaBasicExecutionRole",
      `managed policy ${graph.one("aws:iam/policy:Policy", "shared").state.name}`,
    ]);
    expect(roleOf("other-role").policies[0].document.Statement).to.deep.equal([
      { Sid: "OtherOwn", Effect: "Allow", Action: "sqs:ListQueues", Resource: "*" },
    ]);
  });

  it("names a role given to a policy as the resource itself by its ID, as the engine passes it to pulumi-aws", () => {
    const role = graph.one("aws:iam/role:Role", "other-role");
    expect(graph.one("aws:iam/rolePolicy:RolePolicy", "other-own").state.role).to.equal(role.id);
    expect(graph.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "other-logs").inputs.role).to.equal(role.id);
  });

  it("reads AWS managed policies from their published documents", () => {
    const basic = roleOf("worker-role").policies.find((p) => p.name === "AWS managed policy AWSLambdaBasicExecutionRole")!;
    const actions = ([] as any[]).concat(basic.document.Statement).flatMap((s) => s.Action);
    expect(actions).to.include.members(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]);
  });

  it("marks a policy outside the graph and AWS's as unavailable, so evaluating it fails closed", () => {
    const elsewhere = roleOf("worker-role").policies.find((p) => p.name.includes("from-another-stack"))!;
    expect(elsewhere.unavailable).to.equal("it is neither in the graph nor one of AWS's managed policies");
    expect(roleOf("worker-role").policies.filter((p) => p.unavailable)).to.have.length(1);
  });

  it("sets the permissions boundary from the role's own setting", () => {
    expect(roleOf("worker-role").boundary!.name).to.equal(`managed policy ${graph.one("aws:iam/policy:Policy", "boundary").state.name}`);
    expect(roleOf("other-role").boundary).to.equal(undefined);
  });

  it("finds each resource's policy by the resource's ARN", () => {
    const sid = (arn: string) => ([] as any[]).concat(model.resourcePolicies.get(arn)!.document.Statement).map((s) => s.Sid);
    expect(sid(graph.one("aws:sqs/queue:Queue", "inbox").arn!)).to.deep.equal(["Producers"]);
    expect(sid(graph.one("aws:s3/bucket:Bucket", "docs").arn!)).to.deep.equal(["NoPrivate"]);
    expect(sid(graph.one("aws:sns/topic:Topic", "news").arn!)).to.deep.equal(["Pub"]);
    expect(model.resourcePolicies.has(graph.one("aws:sqs/queue:Queue", "managed-key").arn!)).to.equal(false);
  });

  it("writes each function permission as Lambda's AddPermission would", () => {
    const fn = graph.one("aws:lambda/function:Function", "handler");
    const statements = ([] as any[]).concat(model.resourcePolicies.get(fn.arn!)!.document.Statement);
    const api = statements.find((s) => s.Sid === graph.one("aws:lambda/permission:Permission", "from-api").state.statementId);
    expect(api).to.deep.equal({
      Sid: api.Sid,
      Effect: "Allow",
      Principal: { Service: "apigateway.amazonaws.com" },
      Action: "lambda:InvokeFunction",
      Resource: fn.arn,
      Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/x" } },
    });
    const account = statements.find((s) => s !== api);
    expect(account.Principal).to.deep.equal({ AWS: "arn:aws:iam::210987654321:root" });
    expect(account.Resource).to.equal(`${fn.arn}:live`);
    expect(account.Condition).to.equal(undefined);
  });

  it("knows which customer key encrypts a bucket, an object, a queue and a topic, and ignores AWS managed keys", () => {
    const key = graph.one("aws:kms/key:Key", "key").arn!;
    const bucket = graph.one("aws:s3/bucket:Bucket", "docs");
    expect(model.encryption.get(bucket.arn!)).to.equal(key);
    expect(model.encryption.get(`arn:aws:s3:::${bucket.id}/a.txt`)).to.equal(key);
    expect(model.encryption.get(graph.one("aws:sqs/queue:Queue", "inbox").arn!)).to.equal(key);
    expect(model.encryption.get(graph.one("aws:sns/topic:Topic", "news").arn!)).to.equal(key);
    expect(model.encryption.has(graph.one("aws:sqs/queue:Queue", "managed-key").arn!)).to.equal(false);
  });

  it("gives a key without a policy KMS's default one, which delegates to the account", () => {
    const policy = model.keys.get(graph.one("aws:kms/key:Key", "key").arn!)!;
    expect(policy.document.Statement).to.deep.equal([
      {
        Sid: "Enable IAM User Permissions",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${model.accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ]);
  });
});
