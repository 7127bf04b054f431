import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { StackSecret } from "../../components/stack-secret";
import { revealSecrets } from "../../graph/capture";
import { captureComponents, settledValue } from "../harness";

/** Whether an output is marked secret, and its value, once settled. */
async function settle(output: pulumi.Output<string>): Promise<{ secret: boolean; value: string }> {
  const secret = await (output as any).isSecret;
  const value = await settledValue(output);
  return { secret, value };
}

describe("StackSecret", () => {
  it("generates a 48-character secret of letters and digits when the stack sets none, and keeps it secret", async () => {
    let settled: Promise<{ secret: boolean; value: string }> | undefined;
    const view = await captureComponents(() => {
      settled = settle(new StackSecret("signing", { configKey: "reportSigningKey", configured: false }).value);
    });
    const password = view.one("random:index/randomPassword:RandomPassword", "signing-value");
    expect(password.inputs).to.deep.include({ length: 48, special: false });
    expect(view.byUrn(password.parent!).type).to.equal("platform:config:StackSecret");
    expect(await settled).to.deep.equal({ secret: true, value: revealSecrets(password.state.result) });
  });

  it("uses the stack's own secret when it sets one, and generates nothing", async () => {
    let settled: Promise<{ secret: boolean; value: string }> | undefined;
    const view = await captureComponents(
      () => {
        settled = settle(new StackSecret("signing", { configKey: "reportSigningKey", configured: true }).value);
      },
      "test",
      { "platform:reportSigningKey": "from-the-stack" },
      ["platform:reportSigningKey"],
    );
    expect(view.all("random:index/randomPassword:RandomPassword")).to.deep.equal([]);
    expect(await settled).to.deep.equal({ secret: true, value: "from-the-stack" });
  });

  it("lets a transform adjust the generator", async () => {
    const view = await captureComponents(
      () => new StackSecret("s", { configKey: "k", configured: false, transform: { password: (args) => ({ ...args, length: 64 }) } }),
    );
    expect(view.one("random:index/randomPassword:RandomPassword", "s-value").inputs.length).to.equal(64);
    // A transform that leaves the generator alone.
    const untouched = await captureComponents(() => new StackSecret("t", { configKey: "k", configured: false, transform: {} }));
    expect(untouched.one("random:index/randomPassword:RandomPassword", "t-value").inputs).to.deep.include({ length: 48, special: false });
  });
});
