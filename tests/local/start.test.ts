/** `npm start`'s own behaviour: a clean stop, and exit 2 for bad input. The app itself is in tests/integration. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { expect } from "chai";
import { eventually, freePort, ROOT, runToEnd, startCloud } from "./harness";

const STATE_FILE = path.join(ROOT, ".build", "local", "dev", "state.json");

describe("npm start: stopping", function () {
  this.timeout(60_000);

  it("stops everything on SIGINT: exit 0, the port released, the state file removed", async () => {
    const cloud = await startCloud(["--stack", "dev"], await freePort());
    const port = Number(new URL(cloud.url).port);
    expect(fs.existsSync(STATE_FILE)).to.equal(true);
    const code = await cloud.stop("SIGINT");
    expect(code, cloud.stderr()).to.equal(0);
    expect(fs.existsSync(STATE_FILE)).to.equal(false);
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    });
    expect(refused).to.equal("ECONNREFUSED");
  });
});

describe("npm start and npm run iam: unused grants", function () {
  this.timeout(60_000);

  it("lists the grants no call used, while it runs and when it stops", async () => {
    const cloud = await startCloud(["--stack", "dev", "--quiet"], await freePort());
    try {
      expect(cloud.lines).to.include(
        "IAM: enforced (each function calls AWS as its role; API Gateway and EventBridge need their permissions; --iam off turns it off)",
      );
      await fetch(`${cloud.url}/health`);
      const report = await runToEnd("iam.ts", ["report"]);
      expect(report.code, report.stderr).to.equal(0);
      expect(report.stdout).to.match(/^\d+ grant\(s\) unused since the local cloud of stack dev started:\n/);
      expect(report.stdout).to.match(
        /platform-dev-create-order {2}dynamodb:PutItem {2}arn:aws:dynamodb:eu-west-1:111111111111:table\/orders-[0-9a-f]{7} {2}\(inline policy create-order-policy-[0-9a-f]{7}, statement StoreOrders\)/,
      );
      // The health check wrote its logs: its role's log grant is used, so it is not listed.
      expect(report.stdout).to.not.include("platform-dev-health");
      expect((await runToEnd("iam.ts", ["report", "--strict"])).code).to.equal(1);
    } finally {
      expect(await cloud.stop("SIGINT")).to.equal(0);
    }
    expect(cloud.lines.some((l) => /^IAM: \d+ grant\(s\) no call used during this run/.test(l))).to.equal(true);
  });
});

describe("npm start --watch: a program edit that throws", function () {
  this.timeout(60_000);
  const scratch = path.join(ROOT, ".build", "scratch", `start-throws-${process.pid}`);
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("keeps the local cloud running and serving the previous graph, and says why", async () => {
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.cpSync(path.join(ROOT, "tests", "fixtures", "echo-api"), scratch, { recursive: true });
    const cloud = await startCloud(["--program", scratch, "--stack", "test", "--watch", "--quiet"], await freePort());
    try {
      const before = (await fetch(`${cloud.url}/echo`)).status;
      fs.appendFileSync(path.join(scratch, "index.ts"), '\nthrow new Error("the edit throws as it runs");\n');
      await eventually(
        async () => cloud.lines.find((l) => l === "reload (index.ts): the edit throws as it runs; still serving the previous code"),
        "the reload line",
      );
      // The SDK's own promises reject with the program's error a turn later; Node would end the process on them.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(cloud.child.exitCode, cloud.stderr()).to.equal(null);
      expect((await fetch(`${cloud.url}/echo`)).status).to.equal(before);
    } finally {
      expect(await cloud.stop("SIGINT"), cloud.stderr()).to.equal(0);
    }
  });
});

describe("npm start --inspect", function () {
  this.timeout(60_000);

  it("opens a debugger port, and points the unpacked functions' source maps at the TypeScript files", async () => {
    const cloud = await startCloud(["--stack", "dev", "--quiet", "--inspect=0"], await freePort());
    try {
      const line = cloud.lines.find((l) => l.startsWith("Debugger listening on "))!;
      const ws = /ws:\/\/127\.0\.0\.1:(\d+)\/[\w-]+/.exec(line)!;
      const targets = (await (await fetch(`http://127.0.0.1:${ws[1]}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
      expect(targets.map((t) => t.webSocketDebuggerUrl)).to.include(ws[0]);
      const mapFile = path.join(ROOT, ".build", "local", "dev", "functions", "platform-dev-create-order", "index.js.map");
      const sources: string[] = JSON.parse(fs.readFileSync(mapFile, "utf8")).sources;
      expect(sources).to.include(path.join(ROOT, "functions", "createOrder.ts"));
      expect(sources.every((s) => path.isAbsolute(s) || s.includes("node_modules"))).to.equal(true);
    } finally {
      await cloud.stop("SIGINT");
    }
  });
});

describe("npm start: scripts/lazy-repl.js", function () {
  this.timeout(60_000);
  // Loads ts-node as npm start does, then says whether node:domain and node:repl are loaded, and what
  // ts-node's own REPL answers to a line of TypeScript.
  const probe = (preload: string[]) => {
    const program = `
      const { PassThrough } = require("stream");
      const loaded = () => ["NativeModule domain", "NativeModule repl"].filter((m) => process.moduleLoadList.includes(m));
      const before = loaded();
      const tsNode = require("ts-node");
      const input = new PassThrough(), output = new PassThrough();
      let said = "";
      const done = () => { process.stdout.write(JSON.stringify({ before, said })); process.exit(0); };
      output.on("data", (d) => { said += d; if (said.endsWith("42\\n> ")) done(); });
      setTimeout(done, 5000);
      const repl = tsNode.createRepl({ stdin: input, stdout: output, stderr: output });
      repl.setService(tsNode.create({ transpileOnly: true }));
      repl.start();
      input.write("const x: number = 40 + 2; x\\n");`;
    const printed = execFileSync(process.execPath, [...preload, "-r", "ts-node/register/transpile-only", "-e", program], {
      cwd: ROOT,
      encoding: "utf8",
    });
    return JSON.parse(printed) as { before: string[]; said: string };
  };

  it("keeps node:domain out of the process, and ts-node's REPL still works when it is used", () => {
    expect(probe([])).to.deep.equal({ before: ["NativeModule domain", "NativeModule repl"], said: "> 42\n> " });
    expect(probe(["-r", path.join(ROOT, "scripts", "lazy-repl.js")])).to.deep.equal({ before: [], said: "> 42\n> " });
  });

  it("is what npm start preloads", () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
    expect(scripts.start).to.equal("node -r ./scripts/lazy-repl.js -r ts-node/register/transpile-only scripts/start.ts");
  });
});

describe("npm start: bad input", function () {
  this.timeout(60_000);

  it("exits 2 for a stack without a file, listing every key the CLI would miss", async () => {
    const run = await runToEnd("start.ts", ["--stack", "nope"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include(
      "Stack 'nope' is missing configuration values 'environment', 'faultInjection', 'logRetentionDays', 'protectStatefulResources', 'throttleBurstLimit', 'throttleRateLimit' and 'warmerEnabled'",
    );
    expect(run.stderr).to.include("there is no Pulumi.nope.yaml");
  });

  it("exits 2 naming the key and the stack for a bad config value", async () => {
    const run = await runToEnd("start.ts", ["--config", "maxReceiveCount=0"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(2);
    expect(run.stderr)
      .to.match(/maxReceiveCount/)
      .and.match(/"dev"/);
  });

  it("exits 2 when the port is in use", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const run = await runToEnd("start.ts", [], { PORT: String(port) });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.include(`port ${port} is already in use`);
    } finally {
      holder.close();
    }
  });

  it("exits 2 for an --inspect port that is not a port", async () => {
    const run = await runToEnd("start.ts", ["--inspect=ninety"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal('error: --inspect takes a port from 0 to 65535 (got "ninety")\n');
  });

  it("exits 2 for an --iam that is neither on nor off", async () => {
    const run = await runToEnd("start.ts", ["--iam", "maybe"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal('error: --iam must be "on" or "off" (got "maybe")\n');
  });

  it("npm run iam exits 2 for an unknown command, and for a stack with no local cloud running", async () => {
    const unknown = await runToEnd("iam.ts", ["audit"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.equal('error: unknown command "audit"; the one command is: report\n');
    const none = await runToEnd("iam.ts", ["report", "--stack", "nope"]);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.include('no local cloud is running for stack "nope"');
  });

  it("exits 2 for a program folder that does not exist, or is a file", async () => {
    const missing = await runToEnd("start.ts", ["--program", path.join(ROOT, "no-such-program")], { PORT: String(await freePort()) });
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.equal(`error: the program folder ${path.join(ROOT, "no-such-program")} does not exist\n`);
    const file = await runToEnd("start.ts", ["--program", path.join(ROOT, "package.json")], { PORT: String(await freePort()) });
    expect(file.code).to.equal(2);
    expect(file.stderr).to.equal(`error: the program folder ${path.join(ROOT, "package.json")} is a file, not a folder\n`);
  });

  it("exits 3 for a program that throws, with the program's own trace (its file and line)", async () => {
    const program = path.join(ROOT, "tests", "fixtures", "throwing");
    const run = await runToEnd("start.ts", ["--program", program], { PORT: String(await freePort()) });
    expect(run.code).to.equal(3);
    expect(run.stderr).to.match(/^error: Error: the fixture program throws on line 4 \(region unset\)\n/);
    expect(run.stderr.split("\n")[1]).to.equal(`    at Object.<anonymous> (${path.join(program, "index.ts")}:4:7)`);
  });

  it("exits 3 for a program that throws in an apply, with the program's own trace, instead of Node's crash", async () => {
    const program = path.join(ROOT, "tests", "fixtures", "throwing-in-apply");
    const run = await runToEnd("start.ts", ["--program", program], { PORT: String(await freePort()) });
    expect(run.code).to.equal(3);
    expect(run.stderr).to.match(
      /^error: Error: error serializing property "content": the fixture program throws in an apply on line 13 \(bucket 6 parts\)\n/,
    );
    expect(run.stderr.split("\n")[1]).to.equal(`    at ${path.join(program, "index.ts")}:13:11`);
    // Node's own dump of an unhandled rejection is not what the user gets.
    expect(run.stderr).to.not.include("<ref *1>");
    expect(run.stdout).to.not.include("Local cloud ready");
  });

  it("exits 2 for a --persist state file it cannot read, naming it, and leaves the file as it was", async () => {
    const program = path.join(ROOT, "tests", "fixtures", "echo-api");
    const data = path.join(program, ".build", "local", "test", "data");
    fs.mkdirSync(data, { recursive: true });
    fs.writeFileSync(path.join(data, "state.json"), '{"queues": {');
    try {
      const run = await runToEnd("start.ts", ["--program", program, "--stack", "test", "--persist"], { PORT: String(await freePort()) });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(
        new RegExp(
          `^error: ${path.join(data, "state.json")} is not the JSON --persist writes \\(.+\\); move it away to start without the saved state\n$`,
        ),
      );
      expect(fs.readFileSync(path.join(data, "state.json"), "utf8")).to.equal('{"queues": {');
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  it("exits 3 for a graph AWS would refuse to deploy, naming the resource and what to set, without a stack trace", async () => {
    const program = path.join(ROOT, "tests", "fixtures", "refused");
    const run = await runToEnd("start.ts", ["--program", program, "--stack", "dev"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(3);
    expect(run.stderr).to.match(
      /^error: urn:pulumi:dev::refused-fixture::aws:cloudwatch\/eventTarget:EventTarget::nightly-to-jobs: its target arn:aws:sqs:[^ ]+\.fifo is a FIFO queue, which EventBridge sends to only in a message group: set sqsTarget\.messageGroupId .*; the local cloud does not start on it either\n$/,
    );
  });

  it("exits 2 for a PORT that is not a port", async () => {
    const run = await runToEnd("start.ts", [], { PORT: "eighty" });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/PORT must be an integer/);
  });
});
