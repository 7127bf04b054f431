import * as s3 from "@pulumi/aws/s3";
import * as ssm from "@pulumi/aws/ssm";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { captureStack, programFailureHint } from "../graph/capture";
import { SECRET, toPlanDocument } from "../graph/plan";
import { captureComponents, PROGRAM_DIR as ROOT } from "./harness";

describe("the plan document", () => {
  it("never prints a secret, in inputs or in outputs", async () => {
    const view = await captureComponents(() => {
      const param = new ssm.Parameter("p", { type: "SecureString", value: pulumi.secret("hunter2") });
      return { token: pulumi.secret("hunter2"), type: param.type };
    });
    const doc = await toPlanDocument(view.graph, []);
    const text = JSON.stringify(doc);
    expect(text).to.not.include("hunter2");
    expect(doc.resources.find((r) => r.name === "p")!.inputs.value).to.equal(SECRET);
    expect(doc.outputs).to.deep.equal({ token: SECRET, type: "SecureString" });
  });
});

describe("the capture", () => {
  it("formats stack traces plainly while it runs, and gives the process its own formatter back, even when the program throws", async () => {
    const original = Error.prepareStackTrace;
    const installed = (error: Error) => `formatted: ${error.message}`;
    Error.prepareStackTrace = installed;
    let during: unknown = "unset";
    try {
      const failure = await captureComponents(() => {
        during = Error.prepareStackTrace;
        throw new Error("the program failed");
      }).catch((err: Error) => err);
      expect(during).to.equal(undefined);
      expect(failure).to.be.instanceOf(Error);
      expect(Error.prepareStackTrace).to.equal(installed);
    } finally {
      Error.prepareStackTrace = original;
    }
  });

  it("fails with what the program throws in an apply, as the CLI fails the run, and leaves the process's handlers as they were", async () => {
    const listeners = () => [process.listenerCount("unhandledRejection"), process.listenerCount("uncaughtException")];
    const before = listeners();
    let during: number[] = [];
    const failure = await captureComponents(() => {
      during = listeners();
      const bucket = new s3.Bucket("b");
      new s3.BucketObject("o", {
        bucket: bucket.id,
        content: bucket.arn.apply((): string => {
          throw new Error("no region in the apply");
        }),
      });
    }).catch((err: Error) => err);
    expect(failure).to.be.instanceOf(Error);
    expect((failure as Error).message).to.equal('error serializing property "content": no region in the apply');
    expect(during).to.deep.equal(before.map((n) => n + 1));
    expect(listeners()).to.deep.equal(before);
    // The runtime is fit for the next capture (hot reload captures again after a failed edit).
    const next = await captureComponents(() => {
      new s3.Bucket("fine");
    });
    expect(next.graph.resources.filter((r) => r.type === "aws:s3/bucket:Bucket").map((r) => r.name)).to.deep.equal(["fine"]);
  });

  it("hints at the cause of the failures programs run unmodified meet most, and of no other", () => {
    expect(programFailureHint(new Error("No AWS region has been configured"), "/p")).to.equal(
      "hint: the program reads the AWS region, which neither the stack's aws:region nor AWS_REGION sets: `pulumi config set aws:region us-east-1`, or AWS_REGION=us-east-1 for this run\n",
    );
    const missing = (name: string) =>
      Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- /p/index.ts`), { code: "MODULE_NOT_FOUND" });
    expect(programFailureHint(missing("@pulumi/aws-apigateway"), "/p")).to.equal(
      "hint: the program imports @pulumi/aws-apigateway, which is not installed where it can find it: run `npm install` in /p\n",
    );
    expect(programFailureHint(missing("aws-sdk/clients/s3"), "/p")).to.include("the program imports aws-sdk, ");
    // The program's own files, and errors that only look alike, get no hint.
    expect(programFailureHint(missing("./handler"), "/p")).to.equal("");
    expect(programFailureHint(new Error("Cannot find module 'x'"), "/p")).to.equal("");
    expect(programFailureHint(new Error("something else"), "/p")).to.equal("");
  });

  it("runs a program whose exports are a function, and uses what it returns as the stack's outputs, as the CLI's host does", async () => {
    const dir = path.join(ROOT, ".build", "scratch", `async-export-${process.pid}`);
    const write = (index: string) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: async-export\nruntime: nodejs\n");
      fs.writeFileSync(path.join(dir, "index.ts"), `import * as aws from "@pulumi/aws";\n${index}\n`);
    };
    try {
      write('export = async () => {\n  const queue = new aws.sqs.Queue("jobs");\n  return { queueUrl: queue.url };\n};');
      const graph = await captureStack(dir, "dev");
      expect(graph.resources.filter((r) => r.type === "aws:sqs/queue:Queue").map((r) => r.name)).to.deep.equal(["jobs"]);
      expect(Object.keys(graph.outputs)).to.deep.equal(["queueUrl"]);
      // A default export of a CommonJS program is not called by the host: nothing is declared.
      write('export default async () => {\n  new aws.sqs.Queue("jobs");\n};');
      const ignored = await captureStack(dir, "dev");
      expect(ignored.resources.filter((r) => r.type === "aws:sqs/queue:Queue")).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
