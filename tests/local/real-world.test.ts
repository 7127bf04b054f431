/**
 * The local cloud runs a program as the Pulumi CLI runs it (tests/fixtures/real-world): in the
 * program's own folder, so relative paths resolve; a stack without a Pulumi.<stack>.yaml with an empty
 * config; the region from aws:region, else the environment, else us-east-1; and it says which.
 */
import * as path from "path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { captureStack } from "../../graph/capture";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { ROOT } from "./harness";

const PROGRAM = path.join(ROOT, "tests", "fixtures", "real-world");

describe("local cloud: a program run as the CLI runs it (fixture real-world)", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let lines: string[];
  const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };

  before(async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    lines = [];
    cloud = await startLocalCloud({ programDir: PROGRAM, stack: "dev", port: 0, stateFile: false, write: (l) => lines.push(l) });
  });
  after(async () => {
    await cloud?.stop();
    for (const [key, value] of Object.entries(saved))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  });

  it("runs the program in its own folder: a relative read at capture time, a FileArchive and a FileAsset", async () => {
    expect(process.cwd()).to.not.equal(PROGRAM);
    const outcome = await cloud.invoke(cloud.outputs.functionName, { rawPath: "/direct" });
    expect(JSON.parse(JSON.parse(outcome.payload!).body).greeting).to.equal("hello from a relative path");
    const s3 = new S3Client({
      endpoint: cloud.environment.AWS_ENDPOINT_URL_S3,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const object = await s3.send(new GetObjectCommand({ Bucket: cloud.outputs.bucketName, Key: "index.html" }));
    expect(await object.Body!.transformToString()).to.equal("<h1>static</h1>\n");
    s3.destroy();
  });

  it("says the stack has no config file and runs it with an empty config", () => {
    expect(lines).to.include("Config: no Pulumi.dev.yaml, so the stack runs with an empty config (as `pulumi up` would run it)");
  });

  it("takes the region from AWS_REGION, then AWS_DEFAULT_REGION, when the stack sets no aws:region", async () => {
    try {
      process.env.AWS_DEFAULT_REGION = "eu-north-1";
      expect((await captureStack(PROGRAM, "dev")).placement).to.deep.include({ region: "eu-north-1", regionSource: "AWS_DEFAULT_REGION" });
      process.env.AWS_REGION = "ap-south-1";
      expect((await captureStack(PROGRAM, "dev")).placement).to.deep.include({ region: "ap-south-1", regionSource: "AWS_REGION" });
      expect((await captureStack(PROGRAM, "dev", { "aws:region": "sa-east-1" })).placement).to.deep.include({
        region: "sa-east-1",
        regionSource: "aws:region",
      });
    } finally {
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
    }
  });

  it("says where the region came from", () => {
    expect(cloud.model.region).to.equal("us-east-1");
    expect(lines).to.include("Region: us-east-1 (the default: neither the stack's aws:region nor AWS_REGION is set)");
  });
});
