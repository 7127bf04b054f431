/**
 * Stable identities: a child is keyed by what it holds (an address, a function, a path), never by its
 * position in a list, so reordering or removing one entry leaves every other child's URN as it was.
 * And every child hangs under the component that made it.
 */
import { expect } from "chai";
import * as path from "path";
import { Edge } from "../components/edge";
import { LambdaFunction } from "../components/lambda-function";
import { Warmer } from "../components/warmer";
import { captureStack } from "../graph/capture";
import { ALERT_TOPIC, captureComponents, GraphView, HEALTH_ENTRY, PROGRAM_DIR, recordAliases, remembered, stackGraph } from "./harness";

/** The URNs one capture has and another has not. */
function difference(a: string[], b: string[]): string[] {
  const other = new Set(b);
  return a.filter((urn) => !other.has(urn)).sort();
}

async function stageWithEmails(emails: string[]): Promise<string[]> {
  const graph = await captureStack(PROGRAM_DIR, "stage", { alarmEmails: JSON.stringify(emails) });
  return graph.resources.map((r) => r.urn);
}

describe("stable identities", function () {
  this.timeout(60_000);

  it("reordering alarm emails changes no URN, and removing one removes only its subscriptions", async () => {
    const before = await stageWithEmails(["a@acme.io", "b@acme.io", "c@acme.io"]);
    const reordered = await stageWithEmails(["c@acme.io", "a@acme.io", "b@acme.io"]);
    expect(difference(before, reordered)).to.deep.equal([]);
    const removed = await stageWithEmails(["c@acme.io", "a@acme.io"]);
    // Alerts exist twice: the stack's topic, and the edge's twin in us-east-1; each loses b's subscription only.
    expect(difference(before, removed)).to.deep.equal([
      "urn:pulumi:stage::platform::platform:edge:Edge$platform:observability:Alerts$aws:sns/topicSubscription:TopicSubscription::edge-alerts-email-b-acme-io",
      "urn:pulumi:stage::platform::platform:observability:Alerts$aws:sns/topicSubscription:TopicSubscription::alerts-email-b-acme-io",
    ]);
    expect(difference(removed, before)).to.deep.equal([]);
  });

  it("reordering a warmer's functions changes no URN, and removing one removes only its permission and target", async () => {
    const warm = (order: string[]) =>
      captureComponents(() => {
        const fns = Object.fromEntries(
          ["f1", "f2", "f3"].map((n) => [
            n,
            new LambdaFunction(n, { entry: HEALTH_ENTRY, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC }),
          ]),
        );
        new Warmer("warmer", { functions: order.map((n) => fns[n]), alertTopicArn: ALERT_TOPIC });
      }).then((g) => g.resources.map((r) => r.urn));
    const before = await warm(["f1", "f2", "f3"]);
    expect(difference(before, await warm(["f3", "f2", "f1"]))).to.deep.equal([]);
    expect(difference(before, await warm(["f3", "f1"]))).to.deep.equal([
      "urn:pulumi:test::platform::platform:latency:Warmer$aws:cloudwatch/eventTarget:EventTarget::warmer-f2-target",
      "urn:pulumi:test::platform::platform:latency:Warmer$aws:lambda/permission:Permission::warmer-f2-permission",
    ]);
  });

  it("reordering an edge's cached routes changes no URN", async () => {
    const edge = (paths: string[]) =>
      captureComponents(
        () =>
          new Edge("cdn", {
            apiEndpoint: "https://abc.execute-api.eu-west-1.amazonaws.com",
            originSecret: "s",
            accountId: "123456789012",
            noDomainReason: "a component test",
            waf: false,
            cachedRoutes: paths.map((pathPattern) => ({ pathPattern, defaultTtlSeconds: 60, maxTtlSeconds: 300 })),
          }),
      ).then((g) => g.resources.map((r) => r.urn));
    const before = await edge(["/a/*", "/b/*"]);
    expect(difference(before, await edge(["/b/*", "/a/*"]))).to.deep.equal([]);
    expect(difference(before, await edge(["/b/*"]))).to.deep.equal([
      "urn:pulumi:test::platform::platform:edge:Edge$aws:cloudfront/cachePolicy:CachePolicy::cdn-cache-a",
    ]);
  });

  it("keeps each renamed child's old positional name as an alias, so a deployed stack is not replaced", async () => {
    let aliasesOf = new Map<string, unknown[]>();
    await captureComponents(() => {
      aliasesOf = recordAliases();
      const fn = new LambdaFunction("f1", { entry: HEALTH_ENTRY, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new Warmer("warmer", { functions: [fn], alertTopicArn: ALERT_TOPIC });
    });
    expect(aliasesOf.get("warmer-f1-target")).to.deep.equal([{ name: "warmer-target-0" }]);
    expect(aliasesOf.get("warmer-f1-permission")).to.deep.equal([{ name: "warmer-permission-0" }]);
    expect(aliasesOf.get("f1")).to.deep.equal([{ type: "platform:compute:Function" }]);
  });

  it("has exactly index.ts's components directly under the stack: every other child hangs below the component that made it", async () => {
    const top = async (stack: string, graphOf: (stack: string) => Promise<GraphView> = stackGraph) => {
      const graph = await graphOf(stack);
      const root = graph.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
      return graph.resources
        .filter((r) => r.parent === root.urn)
        .map((r) => `${r.type} ${r.name}`)
        .sort();
    };
    const everywhere = [
      "platform:api:HttpApi api",
      "platform:compute:LambdaFunction create-order",
      "platform:compute:LambdaFunction daily-report",
      "platform:compute:LambdaFunction get-order",
      "platform:compute:LambdaFunction health",
      "platform:config:ConfigStore app-config",
      "platform:config:StackSecret report-signing-key",
      "platform:data:Table orders",
      "platform:events:Schedule daily-report-schedule",
      "platform:messaging:QueueWorker process-order",
      "platform:observability:Alerts alerts",
      "platform:observability:LogShipping logs",
      "platform:observability:Monitoring monitoring",
      "pulumi:pulumi:StackReference baseline",
    ];
    expect(await top("dev")).to.deep.equal(everywhere);
    expect(await top("prod")).to.deep.equal(
      [
        ...everywhere,
        "platform:config:StackSecret origin-verify-secret",
        "platform:deploy:Rollouts rollouts",
        "platform:edge:Edge edge",
      ].sort(),
    );
    // The account baseline's program, likewise.
    const baseline = (stack: string) =>
      remembered.get(`baseline ${stack}`, () => captureStack(path.join(PROGRAM_DIR, "baseline"), stack).then((g) => new GraphView(g)));
    expect(await top("dev", baseline)).to.deep.equal([
      "platform:account:AccountAccess access",
      "platform:governance:ConfigRecorder aws-config",
      "platform:observability:Alerts account-alerts",
    ]);
  });

  it("hangs every cloud resource of every stack under the component that made it, and every component under the stack or a component", async () => {
    for (const stack of ["dev", "stage", "prod"]) {
      const graph = await stackGraph(stack);
      const byUrn = new Map(graph.resources.map((r) => [r.urn, r]));
      const parentType = (r: { parent: string | null }) => byUrn.get(r.parent ?? "")?.type ?? "";
      const orphans = graph.resources.filter((r) => {
        // The stack, default providers and stack references belong to the stack itself.
        if (r.type === "pulumi:pulumi:Stack" || r.type === "pulumi:pulumi:StackReference" || r.type.startsWith("pulumi:providers:"))
          return false;
        return r.custom ? !parentType(r).startsWith("platform:") : !/^(platform:|pulumi:pulumi:Stack$)/.test(parentType(r));
      });
      expect(
        orphans.map((r) => `${r.type} ${r.name}`),
        stack,
      ).to.deep.equal([]);
    }
  });
});
