/**
 * The policy pack loads the way the Pulumi CLI loads it: the CLI's Node.js language host starts
 * `@pulumi/pulumi/cmd/run-policy-pack <engine-address> <policy pack dir>` (pulumi/pulumi
 * `sdk/nodejs/cmd/pulumi-language-nodejs/main.go`, `RunPlugin`), which type-checks and runs the pack
 * and serves the analyzer gRPC protocol (`proto/pulumi/analyzer.proto`) on the port it prints.
 */
import { ChildProcess, spawn } from "child_process";
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as path from "path";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzeRequest, AnalyzerInfo, AnalyzerResourceOptions, AnalyzeResponse, EnforcementLevel } from "@pulumi/pulumi/proto/analyzer_pb";
import { policies } from "../policy/policies";
import { PROGRAM_DIR } from "./harness";

const call = <T>(fn: (cb: (err: grpc.ServiceError | null, res: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));

describe("the policy pack, loaded as the CLI loads it", function () {
  this.timeout(120_000);
  let analyzer: ChildProcess;
  let client: AnalyzerClient;
  let stderr = "";

  before(async () => {
    const runPolicyPack = path.dirname(require.resolve("@pulumi/pulumi/cmd/run-policy-pack"));
    // As the language host runs it: from the program's directory, the engine address, then the pack's directory.
    analyzer = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", path.join(PROGRAM_DIR, "policy")], {
      cwd: PROGRAM_DIR,
      // Without the test run's transpile cache (TS_NODE_PROJECT): the CLI's runner type-checks the pack.
      env: { ...process.env, PULUMI_NODEJS_TYPESCRIPT: "true", NODE_OPTIONS: "", TS_NODE_PROJECT: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    analyzer.stderr!.on("data", (d) => (stderr += d));
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      analyzer.stdout!.on("data", (d) => {
        out += d;
        const line = /^(\d+)\s*$/m.exec(out);
        if (line) resolve(line[1]);
      });
      analyzer.on("exit", (code) => reject(new Error(`run-policy-pack exited ${code}: ${stderr}`)));
    });
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  after(() => {
    client?.close();
    analyzer?.kill();
  });

  it("type-checks and starts, and GetAnalyzerInfo lists every policy, mandatory by default", async () => {
    const info = await call<AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb));
    expect(info.getName()).to.equal("platform");
    const listed = info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
    expect(listed).to.deep.equal(policies.map((p) => [p.name, EnforcementLevel.MANDATORY]));
  });

  it("Analyze reports a violation on a bad resource, and none on a good one", async () => {
    const analyze = (props: Record<string, unknown>) => {
      const request = new AnalyzeRequest();
      request.setType("aws:sqs/queue:Queue");
      request.setName("orders");
      request.setUrn("urn:pulumi:prod::platform::aws:sqs/queue:Queue::orders");
      request.setProperties(Struct.fromJavaScript(props as any));
      // The CLI always sends the resource's options; the pack refuses a request without them.
      request.setOptions(new AnalyzerResourceOptions().setProtect(true));
      return call<AnalyzeResponse>((cb) => client.analyze(request, cb));
    };
    const bad = (await analyze({ visibilityTimeoutSeconds: 60 })).getDiagnosticsList();
    expect(bad.map((d) => [d.getPolicyname(), d.getMessage().split("\n")[0], d.getEnforcementlevel()])).to.deep.include([
      "queues-encrypted",
      "Every SQS queue is encrypted.",
      EnforcementLevel.MANDATORY,
    ]);
    expect(bad.find((d) => d.getPolicyname() === "queues-encrypted")!.getMessage()).to.include("queue orders is not encrypted");
    expect((await analyze({ sqsManagedSseEnabled: true })).getDiagnosticsList()).to.deep.equal([]);
  });
});
