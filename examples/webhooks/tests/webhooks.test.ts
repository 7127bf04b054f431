/** The second application: built from the platform's components, checked by the same pack, run by the same local cloud. */
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import * as path from "path";
import { captureStack, Graph } from "../../../graph/capture";
import { evaluatePolicies } from "../../../graph/policy-runner";
import { policyConfigFor } from "../../../graph/preview";
import { LocalCloud, startLocalCloud } from "../../../local/cloud";
import { stackGraph } from "../../../tests/harness";
import { eventually } from "../../../tests/local/harness";

const APP = path.resolve(__dirname, "..");

describe("examples/webhooks: a second application on the platform", function () {
  this.timeout(120_000);
  const graphs = new Map<string, Graph>();
  before(async () => {
    for (const stack of ["dev", "stage", "prod"]) graphs.set(stack, await captureStack(APP, stack));
  });

  it("previews every stack clean under the platform's policy pack", async () => {
    for (const [stack, graph] of graphs) {
      const { enforcement, config } = policyConfigFor(APP, stack);
      expect(await evaluatePolicies(graph.resources, { enforcement, config }), stack).to.deep.equal([]);
    }
  });

  it("is made only of the platform's components", () => {
    const components = new Set(
      graphs
        .get("prod")!
        .resources.filter((r) => !r.custom && r.type !== "pulumi:pulumi:Stack")
        .map((r) => r.type.split(":")[0]),
    );
    expect([...components]).to.deep.equal(["platform"]);
    const topLevel = graphs.get("prod")!.resources.filter((r) => r.custom && !r.parent?.includes("platform:"));
    expect(topLevel.map((r) => r.type)).to.deep.equal(["pulumi:pulumi:StackReference"]);
  });

  it("shares each account with the platform's own stack, claiming no physical name the platform claims", async () => {
    for (const stack of ["dev", "prod"]) {
      const platform = (await stackGraph(stack)).graph;
      const claimed = new Set(
        platform.resources.filter((r) => r.custom && r.arn && r.type !== "pulumi:pulumi:StackReference").map((r) => r.arn),
      );
      const shared = graphs.get(stack)!.resources.filter((r) => r.custom && r.arn && claimed.has(r.arn));
      expect(
        shared.map((r) => r.arn),
        stack,
      ).to.deep.equal([]);
      expect(graphs.get(stack)!.placement).to.deep.equal(platform.placement);
    }
  });

  describe("on the local cloud (npm start -- --program examples/webhooks)", () => {
    let cloud: LocalCloud;
    before(async () => {
      cloud = await startLocalCloud({ programDir: APP, stack: "dev", port: 0, write: () => undefined, stateFile: false });
    });
    after(async () => cloud?.stop());

    it("accepts a webhook from a known source and stores it through the queue", async () => {
      const response = await fetch(`${cloud.url}/webhooks/github`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action: "opened" }),
      });
      expect(response.status).to.equal(202);
      const { id } = (await response.json()) as { id: string };
      const dynamodb = new DynamoDBClient({
        endpoint: cloud.emulators.dynamodb,
        region: cloud.model.region,
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      });
      const stored = await eventually(async () => {
        const { Items } = await dynamodb.send(new ScanCommand({ TableName: cloud.model.tables[0].name }));
        return Items?.find((i) => i.id.S === id);
      }, "the stored webhook");
      expect(stored.source.S).to.equal("github");
      dynamodb.destroy();
    });

    it("answers 404 naming the sources for an unknown one, and 415 for a body that is not JSON", async () => {
      const unknown = await fetch(`${cloud.url}/webhooks/gitlab`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(unknown.status).to.equal(404);
      expect(await unknown.json()).to.deep.equal({ error: 'unknown webhook source "gitlab"; sources: github, stripe' });
      const text = await fetch(`${cloud.url}/webhooks/github`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" });
      expect(text.status).to.equal(415);
    });

    it("runs the daily digest, counting what each source sent", async () => {
      const outcome = await cloud.invoke("webhooks-dev-digest", {});
      expect(outcome.error).to.equal(undefined);
      expect(JSON.parse(outcome.payload!)).to.deep.include({ github: 1 });
    });
  });
});
