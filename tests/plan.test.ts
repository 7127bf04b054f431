import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { SECRET, toPlanDocument } from "../graph/plan";
import { captureComponents } from "./harness";

describe("the plan document", () => {
  it("never prints a secret, in inputs or in outputs", async () => {
    const view = await captureComponents(() => {
      const param = new aws.ssm.Parameter("p", { type: "SecureString", value: pulumi.secret("hunter2") });
      return { token: pulumi.secret("hunter2"), type: param.type };
    });
    const doc = await toPlanDocument(view.graph, []);
    const text = JSON.stringify(doc);
    expect(text).to.not.include("hunter2");
    expect(doc.resources.find((r) => r.name === "p")!.inputs.value).to.equal(SECRET);
    expect(doc.outputs).to.deep.equal({ token: SECRET, type: "SecureString" });
  });
});
