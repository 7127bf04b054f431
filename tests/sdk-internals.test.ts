import { expect } from "chai";
import * as mocks from "@pulumi/pulumi/runtime/mocks";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { checkSdkInternals, SDK_VERSION } from "../graph/sdk-internals";

describe("the SDK internals the capture uses", () => {
  it("are all where the capture expects them in the installed @pulumi/pulumi", () => {
    expect(() => checkSdkInternals()).to.not.throw();
    expect(SDK_VERSION).to.equal(require("@pulumi/pulumi/package.json").version);
  });

  it("fail with a message naming the SDK version and each piece that moved", () => {
    const { deserializeProperty: _moved, ...rpcWithout } = rpc as Record<string, unknown>;
    class Monitor {
      registerResource() {}
    }
    expect(() => checkSdkInternals({ "runtime/mocks": { MockMonitor: Monitor }, "runtime/rpc": rpcWithout }, "9.9.9")).to.throw(
      "@pulumi/pulumi 9.9.9 no longer has what graph/capture.ts uses: runtime/rpc.deserializeProperty, runtime/mocks.MockMonitor.prototype.newUrn. Update graph/sdk-internals.ts for this SDK version, or pin the version in package.json back.",
    );
    expect(() => checkSdkInternals({ "runtime/mocks": mocks as Record<string, unknown>, "runtime/rpc": {} }, "9.9.9")).to.throw(
      /runtime\/rpc\.deserializeProperties, .*runtime\/rpc\.unknownValue/,
    );
  });
});
