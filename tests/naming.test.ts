/**
 * Physical names as `pulumi up` gives them (pulumi-aws's auto-naming) and AWS's limits on them,
 * so a capture that would fail in AWS fails offline, naming the resource, the name and the limit.
 */
import { expect } from "chai";
import * as aws from "@pulumi/aws";
import { slug } from "../components/child";
import { assignIdentity } from "../graph/identity";
import { autoNameSuffix, nameResource } from "../graph/naming";
import { captureComponents, stackGraph } from "./harness";

const URN = "urn:pulumi:dev::platform::aws:sqs/queue:Queue::jobs";

/** The message a capture of `program` fails with, or "" if it succeeds. */
async function captureFailure(program: () => void): Promise<string> {
  return captureComponents(program).then(
    () => "",
    (err) => (err as Error).message,
  );
}

describe("auto-naming, as pulumi-aws does it", () => {
  it("names an unnamed resource <logical>-<7 hex>, stable for its URN and different for another stack", () => {
    const naming = nameResource("aws:sqs/queue:Queue", "jobs", URN, {});
    expect(naming).to.deep.include({ property: "name", generated: true, problem: undefined });
    expect(naming.name)
      .to.equal(`jobs-${autoNameSuffix(URN)}`)
      .and.match(/^jobs-[0-9a-f]{7}$/);
    expect(nameResource("aws:sqs/queue:Queue", "jobs", URN, {}).name).to.equal(naming.name);
    expect(nameResource("aws:sqs/queue:Queue", "jobs", URN.replace(":dev::", ":prod::"), {}).name).to.not.equal(naming.name);
  });

  it("keeps an explicit name, in the type's own name property", () => {
    expect(nameResource("aws:sqs/queue:Queue", "jobs", URN, { name: "my-jobs" })).to.deep.include({ name: "my-jobs", generated: false });
    expect(nameResource("aws:s3/bucket:Bucket", "Logs", URN, {})).to.deep.include({ property: "bucket", generated: true });
    expect(nameResource("aws:lambda/permission:Permission", "invoke", URN, {})).to.deep.include({
      property: "statementId",
      generated: true,
    });
  });

  it("applies each type's transforms: lower case for buckets, .fifo for FIFO queues and topics, alias/ for KMS aliases", () => {
    expect(nameResource("aws:s3/bucket:Bucket", "Logs", URN, {}).name).to.match(/^logs-[0-9a-f]{7}$/);
    expect(nameResource("aws:sqs/queue:Queue", "jobs", URN, { fifoQueue: true }).name).to.match(/^jobs-[0-9a-f]{7}\.fifo$/);
    expect(nameResource("aws:sns/topic:Topic", "events", URN, { fifoTopic: true }).name).to.match(/^events-[0-9a-f]{7}\.fifo$/);
    expect(nameResource("aws:kms/alias:Alias", "key", URN, {}).name).to.match(/^alias\/key-[0-9a-f]{7}$/);
  });

  it("fails, as the provider does, when the logical name leaves no room for the suffix under Pulumi's cap", () => {
    // Lambda's cap is 64: 56 characters plus "-" plus 7 fit, 57 do not.
    expect(nameResource("aws:lambda/function:Function", "f".repeat(56), URN, {}).problem).to.equal(undefined);
    expect(nameResource("aws:lambda/function:Function", "f".repeat(57), URN, {}).problem).to.equal(
      `aws:lambda/function:Function "${"f".repeat(57)}": name '${"f".repeat(57)}-' plus 7 random chars is longer than maximum length 64; shorten the resource's name or set name`,
    );
  });

  it("checks the final name against AWS's limit, where AWS's is tighter than Pulumi's cap", () => {
    // Firehose: Pulumi caps generated names at 255, AWS at 64.
    expect(nameResource("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "s".repeat(56), URN, {}).problem).to.equal(undefined);
    expect(nameResource("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "s".repeat(57), URN, {}).problem).to.match(
      /is 65 characters; AWS allows at most 64$/,
    );
  });

  it("checks explicit names against AWS's limits on both sides, and its characters", () => {
    const fn = (name: string) => nameResource("aws:lambda/function:Function", "f", URN, { name }).problem;
    expect(fn("a".repeat(64))).to.equal(undefined);
    expect(fn("a".repeat(65))).to.equal(
      `aws:lambda/function:Function "f": name "${"a".repeat(65)}" is 65 characters; AWS allows at most 64`,
    );
    expect(fn("has space")).to.equal('aws:lambda/function:Function "f": name "has space" may hold only letters, digits, - and _');
    const bucket = (name: string) => nameResource("aws:s3/bucket:Bucket", "b", URN, { bucket: name }).problem;
    expect(bucket("abc")).to.equal(undefined);
    expect(bucket("ab")).to.match(/is 2 characters; AWS needs at least 3$/);
    expect(bucket("a".repeat(63))).to.equal(undefined);
    expect(bucket("a".repeat(64))).to.match(/AWS allows at most 63$/);
    expect(bucket("Upper")).to.match(/may hold only lower-case letters/);
    const role = (name: string) => nameResource("aws:iam/role:Role", "r", URN, { name }).problem;
    expect(role("r".repeat(64))).to.equal(undefined);
    expect(role("r".repeat(65))).to.match(/AWS allows at most 64$/);
    const queue = (name: string) => nameResource("aws:sqs/queue:Queue", "q", URN, { name }).problem;
    expect(queue("q".repeat(80))).to.equal(undefined);
    expect(queue("q".repeat(81))).to.match(/AWS allows at most 80$/);
    expect(queue(`${"q".repeat(75)}.fifo`)).to.equal(undefined);
    expect(queue("a.b")).to.match(/may hold only letters, digits, - and _ \(and \.fifo\)$/);
    const schedule = (name: string) => nameResource("aws:scheduler/schedule:Schedule", "s", URN, { name }).problem;
    expect(schedule("s.v2_nightly-1".padEnd(64, "s"))).to.equal(undefined);
    expect(schedule("s".repeat(65))).to.match(/AWS allows at most 64$/);
    expect(schedule("a/b")).to.match(/may hold only letters, digits, \. - and _$/);
  });

  it("auto-names an EventBridge Scheduler schedule as any resource with a name, under the Scheduler's 64", () => {
    expect(nameResource("aws:scheduler/schedule:Schedule", "nightly", URN, {})).to.deep.include({ property: "name", generated: true });
    expect(nameResource("aws:scheduler/schedule:Schedule", "nightly", URN, {}).name).to.match(/^nightly-[0-9a-f]{7}$/);
    expect(nameResource("aws:scheduler/schedule:Schedule", "n".repeat(56), URN, {}).problem).to.equal(undefined);
    expect(nameResource("aws:scheduler/schedule:Schedule", "n".repeat(57), URN, {}).problem).to.match(
      /is 65 characters; AWS allows at most 64$/,
    );
  });

  it("gives a bucket, BucketV2 included, its name as its id and an ARN without region or account", async () => {
    const view = await captureComponents(() => {
      new aws.s3.Bucket("named", { bucket: "my-docs" });
      new aws.s3.BucketV2("legacy", { bucket: "my-old-docs" });
      new aws.s3.BucketV2("unnamed", {});
    });
    expect([view.one("aws:s3/bucket:Bucket", "named").id, view.one("aws:s3/bucket:Bucket", "named").arn]).to.deep.equal([
      "my-docs",
      "arn:aws:s3:::my-docs",
    ]);
    expect([view.one("aws:s3/bucketV2:BucketV2", "legacy").id, view.one("aws:s3/bucketV2:BucketV2", "legacy").arn]).to.deep.equal([
      "my-old-docs",
      "arn:aws:s3:::my-old-docs",
    ]);
    const unnamed = view.one("aws:s3/bucketV2:BucketV2", "unnamed");
    expect(unnamed.id).to.match(/^unnamed-[0-9a-f]{7}$/);
    expect(unnamed.state.bucket).to.equal(unnamed.id);
  });

  it("leaves types without a name alone", () => {
    expect(nameResource("aws:sqs/queuePolicy:QueuePolicy", "p", URN, {})).to.deep.equal({ generated: false });
  });

  it("fails a capture that would fail in AWS, listing every such name, and records generated names in state", async () => {
    const message = await captureFailure(() => {
      new aws.lambda.Function("too-long", {
        name: "x".repeat(70),
        role: "arn:aws:iam::123456789012:role/r",
        runtime: "nodejs22.x",
        handler: "index.handler",
        code: new (require("@pulumi/pulumi").asset.AssetArchive)({}),
      });
      new aws.iam.Role("r".repeat(60), { assumeRolePolicy: "{}" });
    });
    expect(message).to.include("names AWS or Pulumi would refuse:");
    expect(message).to.include(`aws:lambda/function:Function "too-long": name "${"x".repeat(70)}" is 70 characters; AWS allows at most 64`);
    expect(message).to.include(
      `aws:iam/role:Role "${"r".repeat(60)}": name '${"r".repeat(60)}-' plus 7 random chars is longer than maximum length 64`,
    );
    const view = await captureComponents(() => new aws.sqs.Queue("jobs", {}));
    const queue = view.one("aws:sqs/queue:Queue", "jobs");
    expect(queue.inputs).to.not.have.property("name");
    expect(queue.state.name).to.match(/^jobs-[0-9a-f]{7}$/);
    expect(queue.arn).to.equal(`arn:aws:sqs:us-east-1:123456789012:${queue.state.name}`);
    expect(queue.state.url).to.equal(`https://sqs.us-east-1.amazonaws.com/123456789012/${queue.state.name}`);
  });

  it("gives every stack's queues, tables, topics and roles generated names, and its functions explicit ones that carry the stack", async () => {
    const prod = await stackGraph("prod");
    for (const type of ["aws:sqs/queue:Queue", "aws:dynamodb/table:Table", "aws:sns/topic:Topic", "aws:iam/role:Role"]) {
      for (const r of prod.all(type)) expect(r.state.name, `${type} ${r.name}`).to.equal(`${r.name}-${autoNameSuffix(r.urn)}`);
    }
    for (const fn of prod.all("aws:lambda/function:Function")) expect(fn.inputs.name).to.equal(`platform-prod-${fn.name}`);
  });
});

describe("children named by content", () => {
  it("slugs what a child holds into a name fragment, and names what has no letters or digits root", () => {
    expect(slug("A.B@example.com")).to.equal("a-b-example-com");
    expect(slug("--/orders/{id}--")).to.equal("orders-id");
    expect(slug("/")).to.equal("root");
    expect(slug("")).to.equal("root");
  });
});

describe("a Lambda function URL's identity", () => {
  const at = { accountId: "123456789012", region: "eu-west-1" };
  const URL_URN = "urn:pulumi:dev::platform::aws:lambda/functionUrl:FunctionUrl::hook";

  it("is named by its function and alias, with a URL of its own id, as AWS and the provider name them", () => {
    const plain = assignIdentity("aws:lambda/functionUrl:FunctionUrl", "hook", { functionName: "hooks" }, at, URL_URN);
    const urlId = plain.attributes.urlId as string;
    expect(urlId).to.match(/^[0-9a-z]{32}$/);
    expect(plain).to.deep.equal({
      id: "hooks",
      arn: null,
      attributes: {
        urlId,
        functionUrl: `https://${urlId}.lambda-url.eu-west-1.on.aws/`,
        functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:hooks",
        invokeMode: "BUFFERED",
      },
    });
    const live = assignIdentity(
      "aws:lambda/functionUrl:FunctionUrl",
      "hook",
      { functionName: "arn:aws:lambda:eu-west-1:123456789012:function:hooks", qualifier: "live", invokeMode: "RESPONSE_STREAM" },
      at,
      URL_URN,
    );
    expect(live.id).to.equal("arn:aws:lambda:eu-west-1:123456789012:function:hooks/live");
    expect(live.attributes).to.deep.include({
      functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:hooks:live",
      invokeMode: "RESPONSE_STREAM",
    });
    // Stable for the stack, and another in another stack.
    expect(assignIdentity("aws:lambda/functionUrl:FunctionUrl", "hook", { functionName: "hooks" }, at, URL_URN).attributes.urlId).to.equal(
      urlId,
    );
    expect(
      assignIdentity("aws:lambda/functionUrl:FunctionUrl", "hook", { functionName: "hooks" }, at, URL_URN.replace("dev", "prod")).attributes
        .urlId,
    ).to.not.equal(urlId);
  });
});

describe("a Lambda layer version's identity", () => {
  it("is its version ARN, the first version of the layer its layerName names, as the provider sets the id", () => {
    const at = { accountId: "123456789012", region: "eu-west-1" };
    const urn = "urn:pulumi:dev::platform::aws:lambda/layerVersion:LayerVersion::deps";
    expect(assignIdentity("aws:lambda/layerVersion:LayerVersion", "deps", { layerName: "shared-deps" }, at, urn)).to.deep.equal({
      id: "arn:aws:lambda:eu-west-1:123456789012:layer:shared-deps:1",
      arn: "arn:aws:lambda:eu-west-1:123456789012:layer:shared-deps:1",
      attributes: { layerName: "shared-deps", layerArn: "arn:aws:lambda:eu-west-1:123456789012:layer:shared-deps", version: "1" },
    });
  });
});
