/**
 * Every use of the Pulumi SDK's internals, in one place. The capture needs three things the public
 * mock API (`pulumi.runtime.setMocks`) does not give: the mock monitor itself, to record each
 * registration's options and parent; its URN builder, to form URNs as the engine does; and the RPC
 * (de)serializers, to read inputs exactly as the engine receives them. An SDK upgrade that moves any
 * of them fails here, once, with a message naming the SDK version and what moved, rather than in
 * every test, the preview and the local cloud at once.
 */
import * as mocks from "@pulumi/pulumi/runtime/mocks";
import * as rpc from "@pulumi/pulumi/runtime/rpc";

export const SDK_VERSION: string = require("@pulumi/pulumi/package.json").version;

/** What the capture relies on, and where it lives. */
const REQUIRED: [string, Record<string, unknown>, string][] = [
  ["runtime/mocks", mocks, "MockMonitor"],
  ["runtime/rpc", rpc, "deserializeProperties"],
  ["runtime/rpc", rpc, "deserializeProperty"],
  ["runtime/rpc", rpc, "isRpcSecret"],
  ["runtime/rpc", rpc, "unwrapRpcSecret"],
  ["runtime/rpc", rpc, "specialSecretSig"],
  ["runtime/rpc", rpc, "specialResourceSig"],
  ["runtime/rpc", rpc, "specialSigKey"],
  ["runtime/rpc", rpc, "unknownValue"],
];

/**
 * Throws, naming the SDK version and each missing piece, when the internals the capture uses are not
 * where it expects them. `modules` stands in for the SDK's own in tests.
 */
export function checkSdkInternals(
  modules: Record<string, Record<string, unknown>> = { "runtime/mocks": mocks, "runtime/rpc": rpc },
  version = SDK_VERSION,
): void {
  const missing = REQUIRED.filter(([module, , name]) => modules[module]?.[name] === undefined).map(
    ([module, , name]) => `${module}.${name}`,
  );
  const monitor = modules["runtime/mocks"]?.MockMonitor as { prototype?: Record<string, unknown> } | undefined;
  if (monitor?.prototype && typeof monitor.prototype.registerResource !== "function")
    missing.push("runtime/mocks.MockMonitor.prototype.registerResource");
  if (monitor?.prototype && typeof monitor.prototype.newUrn !== "function") missing.push("runtime/mocks.MockMonitor.prototype.newUrn");
  if (missing.length > 0) {
    throw new Error(
      `@pulumi/pulumi ${version} no longer has what graph/capture.ts uses: ${missing.join(", ")}. ` +
        "Update graph/sdk-internals.ts for this SDK version, or pin the version in package.json back.",
    );
  }
}

export const MockMonitor = mocks.MockMonitor;
export const {
  deserializeProperties,
  deserializeProperty,
  isRpcSecret,
  unwrapRpcSecret,
  specialSecretSig,
  specialResourceSig,
  specialSigKey,
  unknownValue,
} = rpc;
