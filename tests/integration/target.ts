/**
 * What the integration suite runs against: a deployed stack (INTEGRATION_STACK=<name>, its outputs
 * from `pulumi stack output --json`, INTEGRATION_OUTPUTS=<file> or PLATFORM_STACK_OUTPUTS, AWS
 * credentials from the default chain), or, by default, a local cloud it starts itself through
 * `npm start`'s entry point, with a stub legacy backend behind the passthrough.
 */
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { LocalCloudState } from "../../local/cloud";
import { resolveLocalhostSubdomains } from "../../local/localhost-dns";
import { resolveTarget } from "../../ops/target";
import { freePort, ROOT, StartedCloud, startCloud } from "../local/harness";

export interface LegacyRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface IntegrationTarget {
  /** "local" or the stack's name. */
  name: string;
  url: string;
  outputs: Record<string, any>;
  sqs: SQSClient;
  lambda: LambdaClient;
  /** Whether the stack lets a header make processOrder or dailyReport fail. */
  faultInjection: boolean;
  /** Set for the local cloud: its started process, and what the stub legacy backend saw. */
  local?: { cloud: StartedCloud; state: LocalCloudState; legacyRequests: LegacyRequest[] };
  stop(): Promise<void>;
}

export async function integrationTarget(): Promise<IntegrationTarget> {
  const stack = process.env.INTEGRATION_STACK;
  if (stack) {
    const target = resolveTarget({ stack, local: false, program: ROOT, outputs: process.env.INTEGRATION_OUTPUTS });
    const sqs = new SQSClient(target.client("sqs"));
    const lambda = new LambdaClient(target.client("lambda"));
    return {
      name: stack,
      url: target.outputs.url ?? target.outputs.apiUrl,
      outputs: target.outputs,
      sqs,
      lambda,
      faultInjection: target.outputs.faultInjection === true,
      async stop() {
        sqs.destroy();
        lambda.destroy();
      },
    };
  }

  resolveLocalhostSubdomains();
  const legacyRequests: LegacyRequest[] = [];
  const legacy = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      legacyRequests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(207, { "content-type": "text/plain", "x-legacy": "yes" });
      res.end(`legacy saw ${req.method} ${req.url}`);
    });
  });
  await new Promise<void>((resolve) => legacy.listen(0, "127.0.0.1", resolve));
  const legacyOrigin = `http://127.0.0.1:${(legacy.address() as AddressInfo).port}`;
  const cloud = await startCloud(["--stack", "dev", "--config", `legacyOrigin=${legacyOrigin}`], await freePort());
  const state = JSON.parse(fs.readFileSync(path.join(ROOT, ".build", "local", "dev", "state.json"), "utf8")) as LocalCloudState;
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  const sqs = new SQSClient({ endpoint: state.environment.AWS_ENDPOINT_URL_SQS, region: state.environment.AWS_REGION, credentials });
  const lambda = new LambdaClient({ endpoint: state.lambdaEndpoint, region: state.environment.AWS_REGION, credentials });
  return {
    name: "local",
    url: cloud.url,
    outputs: state.outputs,
    sqs,
    lambda,
    faultInjection: state.outputs.faultInjection === true,
    local: { cloud, state, legacyRequests },
    async stop() {
      sqs.destroy();
      lambda.destroy();
      if (cloud.child.exitCode === null) await cloud.stop();
      await new Promise((resolve) => legacy.close(resolve));
    },
  };
}
