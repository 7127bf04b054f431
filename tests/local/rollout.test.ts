/**
 * The local rehearsal of a rollout (`npm run rollout -- --local`) on the reference app, run with the
 * config prod uses for rollouts: CodeDeploy groups, canary for the API functions, aliases the deploy
 * does not move. A new version is published as a deploy would publish it; the rehearsal steps the
 * live alias toward it and rolls back when the group's alarms fire.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { stepsOf } from "../../local/rollout";
import { ROOT, runToEnd } from "./harness";

const SCRATCH = path.join(ROOT, ".build", "scratch", `rollout-${process.pid}`);

/** A new version's artifact: an index.js whose handler answers warm-ups (so it passes the pre-traffic invocation), and otherwise `body`. */
function artifact(name: string, body: string): string {
  const dir = path.join(SCRATCH, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "index.js"),
    `exports.handler = async (event) => { if (event && event.warmer) return { statusCode: 200, body: "warm" }; ${body} };\n`,
  );
  return dir;
}

describe("stepsOf: CodeDeploy's Lambda deployment configs as steps", () => {
  it("gives a canary its share for its minutes, then all; a linear config 10% more each interval; AllAtOnce one step", () => {
    expect(stepsOf("Canary10Percent5Minutes")).to.deep.equal([
      { percent: 10, minutes: 5 },
      { percent: 100, minutes: 0 },
    ]);
    expect(stepsOf("Canary10Percent30Minutes")[0]).to.deep.equal({ percent: 10, minutes: 30 });
    const linear = stepsOf("Linear10PercentEvery1Minute");
    expect(linear.map((s) => s.percent)).to.deep.equal([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(linear.slice(0, 9).every((s) => s.minutes === 1)).to.equal(true);
    expect(stepsOf("Linear10PercentEvery10Minutes")[8]).to.deep.equal({ percent: 90, minutes: 10 });
    expect(stepsOf("AllAtOnce")).to.deep.equal([{ percent: 100, minutes: 0 }]);
    expect(() => stepsOf("Canary10Percent")).to.throw("Canary10Percent is not a CodeDeploy Lambda deployment config");
  });
});

/**
 * The reference app's local cloud for the suite this is called in, with the config prod uses for rollouts
 * (and `extra`): started before its tests, stopped after them. `fn` names a function by its short name.
 */
function rolloutCloud(extra: Record<string, string> = {}) {
  const suite = { cloud: undefined as unknown as LocalCloud, lines: [] as string[], fn: (short: string) => short };
  suite.fn = (short) => suite.cloud.model.functions.find((f) => f.name.endsWith(`-${short}`))!.name;
  before(async () => {
    fs.rmSync(SCRATCH, { recursive: true, force: true });
    suite.cloud = await startLocalCloud({
      programDir: ROOT,
      stack: "dev",
      port: 0,
      write: (l) => suite.lines.push(l),
      config: { "platform:codeDeployRollouts": "true", "platform:deploymentPreference": "Canary10Percent5Minutes", ...extra },
    });
  });
  after(async () => {
    await suite.cloud?.stop();
    fs.rmSync(SCRATCH, { recursive: true, force: true });
  });
  return suite;
}

describe("local cloud: rehearsing a rollout (npm run rollout -- --local)", function () {
  this.timeout(120_000);
  const suite = rolloutCloud();
  const { lines, fn } = suite;

  it("reads each function's deployment group, joined through the alarms it rolls back on", () => {
    const getOrder = suite.cloud.model.rollouts.find((r) => r.group === "get-order")!;
    expect(getOrder.functionName).to.equal(fn("get-order"));
    expect(getOrder.preference).to.equal("Canary10Percent5Minutes");
    expect(getOrder.alarms.length).to.equal(2);
    expect(suite.cloud.model.rollouts.find((r) => r.group === "process-order")!.preference).to.equal("AllAtOnce");
  });

  it("keeps the live alias on the old version after a deploy, until the rollout moves it", async () => {
    suite.cloud.publish(fn("health"), artifact("health-v2", `return { statusCode: 200, body: "v2" };`));
    expect(await (await fetch(`${suite.cloud.url}/health`)).json()).to.deep.equal({ status: "ok" });
    // $LATEST is the new code, as `aws lambda invoke` without a qualifier would find.
    expect(JSON.parse((await suite.cloud.invoke(fn("health"), {})).payload!).body).to.equal("v2");

    const [outcome] = await suite.cloud.rollout({ groups: ["health"], minuteMs: 20 });
    expect(outcome).to.deep.include({ group: "health", result: "succeeded", from: 1, to: 2 });
    for (let i = 0; i < 5; i++) expect(await (await fetch(`${suite.cloud.url}/health`)).text()).to.equal("v2");
    expect(lines).to.include("health: version 2 takes 10% for 5 min (100 ms here)");
    expect(lines).to.include("health: version 2 takes all traffic");
    // Nothing left to move.
    expect((await suite.cloud.rollout({ groups: ["health"] }))[0].result).to.equal("up-to-date");
  });

  it("rolls a failing canary back when its alarm fires: no request after the rollback reaches the bad version", async () => {
    const created = await fetch(`${suite.cloud.url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "rollout-test-1" },
      body: JSON.stringify({ customerId: "c-1", items: [{ sku: "sku-1", quantity: 1 }] }),
    });
    expect(created.status).to.equal(202);
    const { orderId } = (await created.json()) as { orderId: string };
    const getOrder = () => fetch(`${suite.cloud.url}/orders/${orderId}`).then((r) => r.status);
    expect(await getOrder()).to.equal(200);

    suite.cloud.publish(fn("get-order"), artifact("get-order-v2", `throw new Error("version 2 is broken");`));
    const rollout = suite.cloud.rollout({ groups: ["get-order"], minuteMs: 4000 });
    // A second rollout of the same function is refused while the first runs.
    const second = await suite.cloud.rollout({ groups: ["get-order"] }).catch((err: Error) => err.message);
    expect(second).to.match(/^a rollout of .*get-order \(group get-order\) is running already$/);

    // Traffic during the canary: about 10% reaches version 2, fails, and fires the function's errors alarm.
    let done = false;
    void rollout.then(() => (done = true));
    const during: number[] = [];
    while (!done) during.push(await getOrder());
    const [outcome] = await rollout;
    expect(outcome).to.deep.include({ group: "get-order", result: "rolled-back", from: 1, to: 2 });
    expect(outcome.message).to.match(/^alarm .*get-order.*went into ALARM at 10%$/);
    expect(during).to.include(500);
    expect(lines.some((l) => new RegExp(`^ALARM get-order-errors-[0-9a-f]{7}: ${fn("get-order")} failed: Error`).test(l))).to.equal(true);

    const rolledBackAt = lines.length;
    const after: number[] = [];
    for (let i = 0; i < 40; i++) after.push(await getOrder());
    expect(after.every((s) => s === 200)).to.equal(true);
    const ran = lines.slice(rolledBackAt).filter((l) => l.startsWith(`λ ${fn("get-order")}:`));
    expect(ran.length).to.be.greaterThan(0);
    expect(ran.filter((l) => l.startsWith(`λ ${fn("get-order")}:2 `))).to.deep.equal([]);
  });

  it("is what npm run rollout -- --local asks for, and exit 2 names a group the stack does not have", async () => {
    const unknown = await runToEnd("rollout.ts", ["--local", "--function", "get-orders"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/^error: no deployment group get-orders; groups: .*get-order/);
    const health = await runToEnd("rollout.ts", ["--local", "--function", "health", "--minute-ms", "10"]);
    expect(health.code, health.stderr).to.equal(0);
    expect(health.stdout).to.include("local rehearsal: each configured minute lasts 10 ms");
    expect(health.stdout).to.include("health: at version 2 already");
  });
});

describe("local cloud: reserved concurrency across a function's versions", function () {
  this.timeout(120_000);
  const suite = rolloutCloud({ "platform:reservedConcurrency": JSON.stringify({ health: 1 }) });
  const { fn } = suite;

  it("throttles the live alias's version while the new version runs the one reserved invocation, as Lambda counts them together", async () => {
    const health = fn("health");
    expect(suite.cloud.model.functions.find((f) => f.name === health)!.reservedConcurrency).to.equal(1);
    suite.cloud.publish(
      health,
      artifact("health-slow", `await new Promise((r) => setTimeout(r, 600)); return { statusCode: 200, body: "v2" };`),
    );
    // Version 2 ($LATEST) takes the function's one reserved execution; live still routes to version 1.
    const slow = suite.cloud.invoke(health, {});
    await new Promise((r) => setTimeout(r, 200));
    const live = await suite.cloud.invoke(`${health}:live`, {});
    expect(live.error?.errorType).to.equal("TooManyRequestsException");
    expect(live.throttled).to.equal(true);
    expect(JSON.parse((await slow).payload!).body).to.equal("v2");
    // Once version 2 is done, version 1 runs.
    const after = await suite.cloud.invoke(`${health}:live`, {});
    expect(after.error).to.equal(undefined);
    expect(after.version).to.equal("1");
  });
});
