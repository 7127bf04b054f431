import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import type { RolloutPlan } from "../../components/rollouts";
import { appSpec, rollout, RolloutClient, RolloutInProgressError, rolloutPlansOf } from "../../ops/rollout";
import { main } from "../../scripts/rollout";
import { PROGRAM_DIR } from "../harness";

const plan = (group: string, targetVersion = "8"): RolloutPlan => ({
  functionName: `platform-prod-${group}`,
  alias: "live",
  targetVersion,
  preference: "Canary10Percent5Minutes",
  application: "platform-prod",
  deploymentGroup: group,
  hook: "platform-prod-rollouts-hook",
});

/**
 * CodeDeploy and Lambda as a rollout sees them, in memory: aliases at versions, deployments that run
 * through the statuses given, and every call recorded. (No local CodeDeploy exists to run against.)
 */
function fakeAws(aliases: Record<string, string>, statuses: Record<string, string[]> = {}, running: Record<string, string[]> = {}) {
  const created: { group: string; appSpec: string; description: string }[] = [];
  const looks = new Map<string, number>();
  const client: RolloutClient = {
    aliasVersion: async (fn) => aliases[fn],
    activeDeployments: async (_app, group) => running[group] ?? [],
    createDeployment: async (_app, group, spec, description) => {
      created.push({ group, appSpec: spec, description });
      return `d-${group}`;
    },
    deployment: async (id) => {
      const seq = statuses[id.slice(2)] ?? ["Succeeded"];
      const n = looks.get(id) ?? 0;
      looks.set(id, n + 1);
      const status = seq[Math.min(n, seq.length - 1)];
      return { status, message: status === "Stopped" ? "alarm platform-prod-get-order-errors fired" : undefined };
    },
  };
  return { client, created };
}

describe("npm run rollout: moving live aliases through CodeDeploy", () => {
  it("writes SAM's AppSpec: the function, its alias, the current and target versions, and the BeforeAllowTraffic hook", () => {
    expect(JSON.parse(appSpec(plan("get-order"), "7"))).to.deep.equal({
      version: 0,
      Resources: [
        {
          "get-order": {
            Type: "AWS::Lambda::Function",
            Properties: { Name: "platform-prod-get-order", Alias: "live", CurrentVersion: "7", TargetVersion: "8" },
          },
        },
      ],
      Hooks: [{ BeforeAllowTraffic: "platform-prod-rollouts-hook" }],
    });
  });

  it("starts a deployment only for an alias behind its target, and waits for each to succeed", async () => {
    const aws = fakeAws(
      { "platform-prod-get-order": "7", "platform-prod-health": "8" },
      { "get-order": ["Created", "InProgress", "Succeeded"] },
    );
    const lines: string[] = [];
    const outcomes = await rollout({ "get-order": plan("get-order"), health: plan("health") }, aws.client, {
      pollMs: 1,
      log: (l) => lines.push(l),
    });
    expect(outcomes.map((o) => [o.key, o.result, o.from, o.to])).to.deep.equal([
      ["get-order", "succeeded", "7", "8"],
      ["health", "up-to-date", "8", "8"],
    ]);
    expect(aws.created.map((c) => c.group)).to.deep.equal(["get-order"]);
    expect(aws.created[0].description).to.equal("platform-prod-get-order:live 7 -> 8 (Canary10Percent5Minutes)");
    expect(lines).to.include("get-order: deployment d-get-order succeeded: 8 takes all traffic");
    expect(lines).to.include("health: live is at version 8 already");
  });

  it("waits pollMs between looks, and not after the last one", async () => {
    // A deployment that ends on the event loop's next turn: without the wait, the loop would never let it.
    let ended = false;
    let looks = 0;
    const client: RolloutClient = {
      ...fakeAws({ "platform-prod-get-order": "7" }).client,
      deployment: async () => {
        if (++looks > 1000) throw new Error("looked 1000 times without waiting");
        if (looks === 1) setImmediate(() => (ended = true));
        return { status: ended ? "Succeeded" : "InProgress" };
      },
    };
    const outcomes = await rollout({ "get-order": plan("get-order") }, client, { pollMs: 1 });
    expect(outcomes.map((o) => o.result)).to.deep.equal(["succeeded"]);
    expect(looks).to.equal(2);
    // Done at the first look: returns at once, though the next look would be an hour away.
    const done = await rollout({ "get-order": plan("get-order") }, fakeAws({ "platform-prod-get-order": "7" }).client, {
      pollMs: 3_600_000,
    });
    expect(done.map((o) => o.result)).to.deep.equal(["succeeded"]);
  });

  it("reports a deployment that failed or was stopped by an alarm as rolled back, naming why", async () => {
    const aws = fakeAws(
      { "platform-prod-get-order": "7", "platform-prod-health": "3" },
      { "get-order": ["InProgress", "Stopped"], health: ["Failed"] },
    );
    const lines: string[] = [];
    const outcomes = await rollout({ "get-order": plan("get-order"), health: plan("health", "4") }, aws.client, {
      pollMs: 1,
      log: (l) => lines.push(l),
    });
    expect(outcomes.map((o) => [o.key, o.result])).to.deep.equal([
      ["get-order", "rolled-back"],
      ["health", "rolled-back"],
    ]);
    expect(lines).to.include("get-order: deployment d-get-order stopped and rolled back to 7: alarm platform-prod-get-order-errors fired");
    expect(lines).to.include("health: deployment d-health failed and rolled back to 3");
  });

  it("starts nothing while a deployment of any chosen group runs, and names it", async () => {
    const aws = fakeAws({ "platform-prod-get-order": "7", "platform-prod-health": "7" }, {}, { health: ["d-RUNNING1"] });
    const error = await rollout({ "get-order": plan("get-order"), health: plan("health") }, aws.client).catch((e: Error) => e);
    expect(error).to.be.instanceOf(RolloutInProgressError);
    expect((error as Error).message).to.equal(
      "health: deployment d-RUNNING1 of platform-prod/health is still running; wait for it (or stop it with `aws deploy stop-deployment --deployment-id d-RUNNING1 --auto-rollback-enabled`), then run the rollout again",
    );
    expect(aws.created).to.deep.equal([]);
    // The running group is left out: the other one goes.
    const only = await rollout({ "get-order": plan("get-order"), health: plan("health") }, aws.client, { only: ["get-order"], pollMs: 1 });
    expect(only.map((o) => o.key)).to.deep.equal(["get-order"]);
  });

  it("returns once started with --no-wait, without looking at the deployments", async () => {
    const aws = fakeAws({ "platform-prod-get-order": "7" }, { "get-order": ["InProgress"] });
    const outcomes = await rollout({ "get-order": plan("get-order") }, aws.client, { wait: false });
    expect(outcomes.map((o) => [o.result, o.deploymentId])).to.deep.equal([["started", "d-get-order"]]);
  });

  it("names an unknown function, a stack without plans and a plan the program did not write", async () => {
    const aws = fakeAws({});
    const unknown = await rollout({ health: plan("health"), "get-order": plan("get-order") }, aws.client, {
      only: ["helth", "get-order", "gte-order"],
    }).catch((e: Error) => e.message);
    expect(unknown).to.equal("--function helth, gte-order: no such function; functions: health, get-order");
    for (const rolloutPlans of [undefined, null, "get-order", 7, {}])
      expect(() => rolloutPlansOf({ url: "x", rolloutPlans }, "dev"), JSON.stringify(rolloutPlans)).to.throw(
        /^stack dev exports no rolloutPlans: .*codeDeployRollouts true/,
      );
    expect(() => rolloutPlansOf({ rolloutPlans: { health: { functionName: "f", alias: "live" } } }, "prod")).to.throw(
      "rolloutPlans.health lacks targetVersion, application, deploymentGroup, hook: run pulumi up with this version of the program",
    );
  });
});

/** CodeDeploy's JSON protocol and Lambda's GetAlias, as far as the AWS SDK's calls of a rollout go. */
function standInAws(
  statuses: string[],
  running?: string[],
): Promise<{ url: string; calls: { target: string; body: any }[]; close: () => void }> {
  const calls: { target: string; body: any }[] = [];
  let looks = 0;
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? `${req.method} ${req.url}`);
      calls.push({ target, body: text ? JSON.parse(text) : undefined });
      const send = (status: number, body: unknown, type = "application/x-amz-json-1.1") => {
        res.writeHead(status, { "content-type": type });
        res.end(JSON.stringify(body));
      };
      if (req.url?.startsWith("/2015-03-31/functions/")) return send(200, { Name: "live", FunctionVersion: "7" }, "application/json");
      // With none running, the list is left out of the answer, as a JSON protocol may leave an empty one.
      if (target.endsWith(".ListDeployments")) return send(200, running ? { deployments: running } : {});
      if (target.endsWith(".CreateDeployment")) return send(200, { deploymentId: "d-ABCDEF123" });
      if (target.endsWith(".GetDeployment")) {
        const status = statuses[Math.min(looks++, statuses.length - 1)];
        return send(200, {
          deploymentInfo: {
            deploymentId: "d-ABCDEF123",
            status,
            ...(status === "Stopped"
              ? { errorInformation: { code: "ALARM_ACTIVE", message: "One or more alarms have been activated" } }
              : {}),
          },
        });
      }
      send(400, { __type: "UnknownOperationException" });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => server.close() }),
    ),
  );
}

describe("npm run rollout, through the AWS SDK", function () {
  this.timeout(60_000);
  const outputs = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rollout-")), "outputs.json");
  fs.writeFileSync(outputs, JSON.stringify({ rolloutPlans: { "get-order": plan("get-order") } }));

  /** The command's own entry point, in this process: the SDK reads its endpoints and credentials from the environment. */
  async function run(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL_CODEDEPLOY: url,
      AWS_ENDPOINT_URL_LAMBDA: url,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    const out = { stdout: "", stderr: "" };
    const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
    for (const stream of ["stdout", "stderr"] as const)
      process[stream].write = ((chunk: string | Uint8Array) => ((out[stream] += String(chunk)), true)) as typeof process.stdout.write;
    try {
      const code = await main([
        "node",
        "rollout",
        "--stack",
        "prod",
        "--outputs",
        outputs,
        "--program",
        PROGRAM_DIR,
        "--poll",
        "0.01",
        ...args,
      ]);
      return { code, ...out };
    } finally {
      process.stdout.write = writes.stdout;
      process.stderr.write = writes.stderr;
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  it("creates the deployment with the AppSpec, and exits 1 naming the rollback when an alarm stops it", async () => {
    const aws = await standInAws(["InProgress", "Stopped"]);
    try {
      const { code, stdout, stderr } = await run(aws.url);
      expect(code, stderr).to.equal(1);
      expect(stdout).to.include("get-order: live 7 -> 8, Canary10Percent5Minutes: deployment d-ABCDEF123");
      expect(stderr).to.equal("error: get-order rolled back to version 7\n");
      const list = aws.calls.find((c) => c.target.endsWith(".ListDeployments"))!;
      expect(list.body).to.deep.include({ applicationName: "platform-prod", deploymentGroupName: "get-order" });
      expect(list.body.includeOnlyStatuses).to.have.members(["Created", "Queued", "InProgress", "Baking", "Ready"]);
      const create = aws.calls.find((c) => c.target.endsWith(".CreateDeployment"))!;
      expect(create.body.revision.revisionType).to.equal("AppSpecContent");
      expect(create.body.revision.appSpecContent.content).to.equal(appSpec(plan("get-order"), "7"));
      expect(aws.calls.some((c) => c.target === "GET /2015-03-31/functions/platform-prod-get-order/aliases/live")).to.equal(true);
      const looks = aws.calls.filter((c) => c.target.endsWith(".GetDeployment"));
      expect(looks.map((c) => c.body)).to.deep.equal([{ deploymentId: "d-ABCDEF123" }, { deploymentId: "d-ABCDEF123" }]);
    } finally {
      aws.close();
    }
  });

  it("exits 2 naming every deployment still running in the group, and creates none", async () => {
    const aws = await standInAws(["Succeeded"], ["d-RUNNING1", "d-RUNNING2"]);
    try {
      const { code, stderr } = await run(aws.url);
      expect(code).to.equal(2);
      expect(stderr).to.match(/^error: get-order: deployment d-RUNNING1, d-RUNNING2 of platform-prod\/get-order is still running;/);
      expect(aws.calls.map((c) => c.target).filter((t) => t.endsWith(".CreateDeployment"))).to.deep.equal([]);
    } finally {
      aws.close();
    }
  });

  it("exits 0 once the deployment succeeds, and 2 for bad input", async () => {
    const aws = await standInAws(["InProgress", "Succeeded"]);
    try {
      expect((await run(aws.url)).code).to.equal(0);
      const bad = await run(aws.url, "--poll", "soon");
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.equal('error: --poll must be a positive number of seconds (got "soon")\n');
    } finally {
      aws.close();
    }
  });
});
