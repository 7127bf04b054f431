/**
 * Runbooks that work in AWS: every command an alarm names carries the stack and the DLQ's output key,
 * and resolves against that stack. The tools never guess a stack, and purging is hard to do by accident.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { stackGraph } from "../harness";
import { ROOT, runToEnd } from "./harness";

/** Every `npm run dlq -- ...` command quoted in the prod plan's alarm descriptions. */
async function runbookCommands(stack: string): Promise<string[][]> {
  const graph = await stackGraph(stack);
  const commands = new Set<string>();
  for (const alarm of graph.all("aws:cloudwatch/metricAlarm:MetricAlarm")) {
    for (const match of String(alarm.inputs.alarmDescription ?? "").matchAll(/npm run dlq -- ([^.,;]+)/g)) commands.add(match[1].trim());
  }
  return [...commands].map((c) => c.split(/\s+/));
}

describe("runbooks in alarm descriptions", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  before(async () => {
    cloud = await startLocalCloud({ programDir: ROOT, stack: "prod", port: 0, write: () => undefined });
  });
  after(async () => cloud?.stop());

  it("name the stack and the DLQ's output key, never a queue name that only exists offline", async () => {
    const commands = await runbookCommands("prod");
    expect(commands.map((c) => c.join(" ")).sort()).to.deep.equal([
      "inspect --stack prod --queue dailyReport",
      "inspect --stack prod --queue dailyReportSchedule",
      "inspect --stack prod --queue orders",
    ]);
  });

  it("each resolve against the local cloud running that stack", async () => {
    for (const args of await runbookCommands("prod")) {
      const run = await runToEnd("dlq.ts", [...args, "--local"]);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).to.equal(0);
      const key = args[args.indexOf("--queue") + 1];
      expect(run.stdout).to.match(new RegExp(`^# ${key} \\(.+-dlq-[0-9a-f]{7}\\): 0 message\\(s\\) shown, none consumed`));
    }
  });
});

describe("the operations tools choose a stack, never guess one", function () {
  this.timeout(60_000);
  let bin: string;
  before(() => {
    // A stand-in for the Pulumi CLI: `stack --show-name` answers as a logged-in CLI with stage selected.
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
    fs.writeFileSync(
      path.join(bin, "pulumi"),
      '#!/bin/sh\nif [ "$1 $2" = "stack --show-name" ]; then echo acme/stage; exit 0; fi\necho "pulumi $*: not in this stand-in" >&2; exit 1\n',
      { mode: 0o755 },
    );
  });
  after(() => fs.rmSync(bin, { recursive: true, force: true }));

  it("fail against AWS without --stack when no stack is selected, naming the option", async () => {
    for (const [script, args] of [
      ["dlq.ts", ["list"]],
      ["logs.ts", ["health"]],
      ["test-integration.ts", []],
    ] as const) {
      const run = await runToEnd(script, [...args], { PATH: path.dirname(process.execPath) });
      expect(run.code, script).to.equal(2);
      expect(run.stderr, script).to.include(
        "name the stack with --stack <name> (or --local for the local cloud): the Pulumi CLI is not installed",
      );
    }
  });

  it("take the stack the CLI has selected, and dev only for the local cloud", async () => {
    const selected = await runToEnd("dlq.ts", ["list"], { PATH: `${bin}:${path.dirname(process.execPath)}` });
    expect(selected.code).to.equal(2);
    expect(selected.stderr).to.include("could not read stack stage's outputs");
    const local = await runToEnd("dlq.ts", ["list", "--local"], { PATH: path.dirname(process.execPath) });
    expect(local.stderr).to.include('no local cloud is running for stack "dev"');
  });

  it("refuse to purge without --queue, and every DLQ of prod without its name typed back", async () => {
    const noQueue = await runToEnd("dlq.ts", ["purge", "--stack", "dev"]);
    expect(noQueue.code).to.equal(2);
    expect(noQueue.stderr).to.include(
      "purge needs --queue <name> (an output key such as orders), or --all to purge every DLQ of the stack",
    );
    const prodAll = await runToEnd("dlq.ts", ["purge", "--all", "--yes", "--stack", "prod"]);
    expect(prodAll.code).to.equal(2);
    expect(prodAll.stderr).to.include("purging every DLQ of the prod stack prod needs its name typed back at a terminal");
    const both = await runToEnd("dlq.ts", ["purge", "--all", "--queue", "orders", "--stack", "dev"]);
    expect(both.stderr).to.include("give --queue <name> or --all, not both");
  });
});
