import * as ssm from "@pulumi/aws/ssm";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { SECRET, toPlanDocument } from "../graph/plan";
import { captureComponents } from "./harness";

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
});
