import * as http from "http";
import type { AddressInfo } from "net";
import { expect } from "chai";
import { appSpec } from "../../ops/rollout";
import { appSpecTarget, handler, smokeProblem } from "../../functions/rolloutHook";

const PLAN = {
  functionName: "platform-prod-get-order",
  alias: "live",
  targetVersion: "8",
  preference: "Canary10Percent5Minutes" as const,
  application: "platform-prod",
  deploymentGroup: "get-order",
  hook: "platform-prod-rollouts-hook",
};

describe("rolloutHook: smoke-testing a new version before it takes traffic", () => {
  it("reads the function and target version from the AppSpec npm run rollout writes", () => {
    expect(appSpecTarget(appSpec(PLAN, "7"))).to.deep.equal({
      Name: "platform-prod-get-order",
      Alias: "live",
      CurrentVersion: "7",
      TargetVersion: "8",
    });
    expect(() => appSpecTarget(undefined)).to.throw("the deployment has no AppSpec content");
    expect(() => appSpecTarget("{}")).to.throw("the AppSpec names no AWS::Lambda::Function with Name, Alias and TargetVersion");
    expect(() => appSpecTarget(JSON.stringify({ Resources: [{ x: { Type: "AWS::ECS::Service", Properties: {} } }] }))).to.throw(
      "the AppSpec names no AWS::Lambda::Function with Name, Alias and TargetVersion",
    );
  });

  it("fails a function error and an answer of 500 or more, and passes everything else", () => {
    expect(smokeProblem("Unhandled", '{"errorMessage":"boom"}')).to.equal('the new version failed (Unhandled): {"errorMessage":"boom"}');
    expect(smokeProblem(undefined, '{"statusCode":500,"body":"x"}')).to.equal(
      'the new version answered 500: {"statusCode":500,"body":"x"}',
    );
    expect(smokeProblem(undefined, '{"statusCode":503}')).to.match(/answered 503/);
    expect(smokeProblem(undefined, '{"statusCode":499}')).to.equal(undefined);
    expect(smokeProblem(undefined, '{"statusCode":200,"body":"{\\"status\\":\\"warm\\"}"}')).to.equal(undefined);
    expect(smokeProblem(undefined, "null")).to.equal(undefined);
    expect(smokeProblem(undefined, "plain text")).to.equal(undefined);
    // What is quoted of the answer stops at 500 characters.
    const long = JSON.stringify({ statusCode: 502, body: "x".repeat(600) });
    expect(smokeProblem(undefined, long)).to.equal(`the new version answered 502: ${long.slice(0, 500)}`);
    expect(smokeProblem("Unhandled", "y".repeat(600))).to.equal(`the new version failed (Unhandled): ${"y".repeat(500)}`);
  });

  describe("against CodeDeploy and Lambda (stand-ins speaking their protocols to the real SDK)", () => {
    let server: http.Server;
    const calls: { target: string; body: any }[] = [];
    let invokeAnswer: { status: number; headers: Record<string, string>; body: string };
    let deploymentAnswer: unknown;
    const KEYS = [
      "AWS_ENDPOINT_URL_CODEDEPLOY",
      "AWS_ENDPOINT_URL_LAMBDA",
      "AWS_REGION",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "ROLLOUT_SMOKE_EVENTS",
    ];
    const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

    before(async () => {
      server = http.createServer((req, res) => {
        let text = "";
        req.on("data", (c) => (text += c));
        req.on("end", () => {
          const target = String(req.headers["x-amz-target"] ?? `${req.method} ${req.url}`);
          calls.push({ target, body: text ? JSON.parse(text) : undefined });
          if (req.url?.startsWith("/2015-03-31/functions/")) {
            res.writeHead(invokeAnswer.status, invokeAnswer.headers);
            return res.end(invokeAnswer.body);
          }
          res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
          res.end(JSON.stringify(target.endsWith(".GetDeployment") ? deploymentAnswer : {}));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_CODEDEPLOY: url,
        AWS_ENDPOINT_URL_LAMBDA: url,
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        ROLLOUT_SMOKE_EVENTS: JSON.stringify({ "platform-prod-get-order": { smoke: "get-order" } }),
      });
    });
    after(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      server.close();
    });
    beforeEach(() => {
      calls.length = 0;
      deploymentAnswer = {
        deploymentInfo: { revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpec(PLAN, "7") } } },
      };
      invokeAnswer = { status: 200, headers: { "content-type": "application/json" }, body: '{"statusCode":200}' };
    });
    const event = { DeploymentId: "d-1", LifecycleEventHookExecutionId: "hook-1" };
    const reported = () => calls.find((c) => c.target.endsWith(".PutLifecycleEventHookExecutionStatus"))?.body;

    it("invokes the target version with the function's smoke event, and reports Succeeded", async () => {
      expect(await handler(event)).to.deep.equal({ status: "Succeeded", reason: undefined });
      const invoke = calls.find((c) => c.target.startsWith("POST /2015-03-31/functions/"))!;
      expect(invoke.target).to.equal("POST /2015-03-31/functions/platform-prod-get-order/invocations?Qualifier=8");
      expect(invoke.body).to.deep.equal({ smoke: "get-order" });
      expect(reported()).to.deep.equal({ deploymentId: "d-1", lifecycleEventHookExecutionId: "hook-1", status: "Succeeded" });
    });

    it("reports Failed when the new version throws", async () => {
      invokeAnswer = {
        status: 200,
        headers: { "content-type": "application/json", "x-amz-function-error": "Unhandled" },
        body: '{"errorMessage":"Cannot find module"}',
      };
      const result = await handler(event);
      expect(result.status).to.equal("Failed");
      expect(result.reason).to.match(/^the new version failed \(Unhandled\)/);
      expect(reported().status).to.equal("Failed");
    });

    it("reports Failed naming the error type alone when the failed version answered nothing", async () => {
      invokeAnswer = { status: 200, headers: { "x-amz-function-error": "Unhandled" }, body: "" };
      expect(await handler(event)).to.deep.equal({ status: "Failed", reason: "the new version failed (Unhandled): " });
    });

    it("still reports Failed when the deployment cannot be read, so CodeDeploy does not wait an hour", async () => {
      deploymentAnswer = { deploymentInfo: {} };
      const result = await handler(event);
      expect(result).to.deep.equal({ status: "Failed", reason: "the deployment has no AppSpec content" });
      expect(calls.some((c) => c.target.startsWith("POST /2015-03-31/functions/"))).to.equal(false);
      expect(reported().status).to.equal("Failed");
    });
  });
});
