import { spawnSync } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import type { PlanDocument } from "../graph/plan";
import { listStacks } from "../graph/stack-config";
import { PROGRAM_DIR } from "./harness";

/** Runs `npm run preview` the way a user or CI does, through its real entry point. */
function preview(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(PROGRAM_DIR, "scripts/preview.ts"), ...args],
    {
      cwd: PROGRAM_DIR,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    },
  );
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

const fixtures: string[] = [];
after(() => fixtures.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A throwaway program next to the real one (removed after the run): its own Pulumi.yaml and stack file, and an index.ts of our choosing. */
function fixtureProgram(stackYaml: string, indexTs: string, projectYaml?: string, stack = "prod"): string {
  // Inside the project, so the fixture resolves the project's node_modules.
  fs.mkdirSync(path.join(PROGRAM_DIR, ".build"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(PROGRAM_DIR, ".build", "preview-fixture-"));
  fixtures.push(dir);
  if (projectYaml) fs.writeFileSync(path.join(dir, "Pulumi.yaml"), projectYaml);
  else fs.copyFileSync(path.join(PROGRAM_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackYaml);
  fs.writeFileSync(path.join(dir, "index.ts"), indexTs);
  return dir;
}

describe("npm run preview", () => {
  let plan: PlanDocument;
  let status: number;
  before(() => {
    const result = preview(["--stack", "prod", "--json"]);
    status = result.status;
    plan = JSON.parse(result.stdout);
  });

  it("prints the prod plan document and exits 0", () => {
    expect(status).to.equal(0);
    expect(plan.project).to.equal("platform");
    expect(plan.stack).to.equal("prod");
    expect(plan.policies).to.deep.equal([]);
    expect(plan.outputs.apiUrl).to.match(/^https:\/\/\w+\.execute-api\.eu-west-1\.amazonaws\.com$/);
  });

  it("lists every resource with the contract's fields, components included", () => {
    const fields = ["urn", "type", "name", "id", "arn", "parent", "custom", "provider", "inputs", "options"];
    for (const r of plan.resources) {
      expect(Object.keys(r), r.urn).to.have.members(fields);
      expect(Object.keys(r.options)).to.have.members(["protect", "retainOnDelete", "dependsOn", "ignoreChanges"]);
    }
    expect(plan.resources.filter((r) => !r.custom).map((r) => r.type)).to.include.members([
      "platform:compute:LambdaFunction",
      "platform:api:HttpApi",
    ]);
    const urns = new Set(plan.resources.map((r) => r.urn));
    for (const r of plan.resources) {
      if (r.parent) expect(urns.has(r.parent), `${r.urn} parent`).to.equal(true);
      for (const dep of r.options.dependsOn) expect(urns.has(dep), `${r.urn} dependsOn`).to.equal(true);
    }
  });

  it("carries options: prod's stateful resources are protected and retained, functions wait for their policy", () => {
    const table = plan.resources.find((r) => r.type === "aws:dynamodb/table:Table")!;
    expect(table.options).to.include({ protect: true, retainOnDelete: true });
    const fn = plan.resources.find((r) => r.type === "aws:lambda/function:Function" && r.name === "health")!;
    expect(fn.options.dependsOn).to.deep.equal([
      "urn:pulumi:prod::platform::platform:compute:LambdaFunction$aws:iam/rolePolicy:RolePolicy::health-policy",
    ]);
  });

  it("makes every reference joinable by value", () => {
    const byArn = new Map(plan.resources.filter((r) => r.arn).map((r) => [r.arn!, r]));
    const byId = new Map(plan.resources.filter((r) => r.custom && r.id).map((r) => [r.id!, r]));
    const joins: [string, string, (inputs: any) => string, string][] = [
      ["aws:lambda/function:Function", "role", (i) => i.role, "aws:iam/role:Role"],
      [
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "onFailure",
        (i) => i.destinationConfig.onFailure.destination,
        "aws:sqs/queue:Queue",
      ],
      ["aws:lambda/eventSourceMapping:EventSourceMapping", "eventSourceArn", (i) => i.eventSourceArn, "aws:sqs/queue:Queue"],
      ["aws:lambda/eventSourceMapping:EventSourceMapping", "functionName", (i) => i.functionName, "aws:lambda/alias:Alias"],
      ["aws:cloudwatch/metricAlarm:MetricAlarm", "alarmActions", (i) => i.alarmActions[0], "aws:sns/topic:Topic"],
      ["aws:sns/topic:Topic", "kmsMasterKeyId", (i) => i.kmsMasterKeyId, "aws:kms/key:Key"],
      ["aws:apigatewayv2/stage:Stage", "accessLogSettings", (i) => i.accessLogSettings.destinationArn, "aws:cloudwatch/logGroup:LogGroup"],
      ["aws:cloudwatch/eventTarget:EventTarget", "arn", (i) => i.arn, "aws:lambda/alias:Alias"],
    ];
    for (const [type, field, pick, target] of joins) {
      const sources = plan.resources.filter((r) => r.type === type);
      expect(sources.length, type).to.be.greaterThan(0);
      for (const source of sources) expect(byArn.get(pick(source.inputs))?.type, `${source.name}.${field}`).to.equal(target);
    }
    for (const route of plan.resources.filter((r) => r.type === "aws:apigatewayv2/route:Route")) {
      expect(byId.get(route.inputs.apiId as string)?.type).to.equal("aws:apigatewayv2/api:Api");
      expect(byId.get((route.inputs.target as string).replace("integrations/", ""))?.type).to.equal(
        "aws:apigatewayv2/integration:Integration",
      );
    }
    const queue = plan.resources.find((r) => r.name === "process-order-queue")!;
    expect(byArn.get(JSON.parse(queue.inputs.redrivePolicy as string).deadLetterTargetArn)?.name).to.equal("process-order-dlq");
  });

  it("describes deployment artifacts by hash and size, not by content", () => {
    const fn = plan.resources.find((r) => r.type === "aws:lambda/function:Function")!;
    const code = (fn.inputs.code as any).archive["index.js"];
    expect(code.sha256).to.match(/^[0-9a-f]{64}$/);
    expect(code.bytes).to.be.greaterThan(1000);
  });

  it("prints a readable tree with a count per type and the policy report", () => {
    const result = preview(["--stack", "dev"]);
    expect(result.status).to.equal(0);
    expect(result.stdout).to.include("+ pulumi:pulumi:Stack");
    expect(result.stdout).to.match(/\n {3}\+ platform:compute:LambdaFunction\s+health\n/);
    expect(result.stdout).to.match(/\n {6}\+ aws:lambda\/function:Function\s+health\n/);
    expect(result.stdout).to.match(/\n\s+5 {2}aws:lambda\/function:Function\n/);
    expect(result.stdout).to.include("Policies (advisory):\n  all policies pass");
  });

  it("exits 1 naming the policy and the resource when a mandatory policy is violated", () => {
    // A DLQ whose retention was removed (back to SQS's 4-day default), fed by a redriving queue.
    const dir = fixtureProgram(
      'config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: ["333333333333"]\n',
      `import * as aws from "@pulumi/aws";
import { DeadLetterQueue } from ${JSON.stringify(path.join(PROGRAM_DIR, "components", "dead-letter-queue"))};
const dlq = new DeadLetterQueue("short-lived", { alertTopicArn: "arn:aws:sns:us-east-1:333333333333:t", retentionSeconds: 345600 });
new aws.sqs.Queue("feeds-short-lived", { sqsManagedSseEnabled: true, redrivePolicy: dlq.arn.apply((arn) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: 3 })) });
`,
      "name: platform\nruntime: nodejs\n",
    );
    const result = preview(["--stack", "prod", "--program", dir]);
    expect(result.status, result.stderr).to.equal(1);
    expect(result.stdout).to.include(
      "[mandatory] dlq-retention-14-days: dead-letter queue short-lived keeps messages for 345600 s, not 14 days (1209600)",
    );
    expect(result.stdout).to.include("urn:pulumi:prod::platform::platform:messaging:DeadLetterQueue$aws:sqs/queue:Queue::short-lived");
  });

  it("exits 3 naming the resource, the name, its length and the limit when AWS would refuse a name", () => {
    const dir = fixtureProgram(
      "config:\n  aws:region: us-east-1\n",
      `import * as aws from "@pulumi/aws";\nnew aws.sqs.Queue("orders", { name: "${"o".repeat(81)}" });\n`,
      "name: platform\nruntime: nodejs\n",
    );
    const result = preview(["--stack", "prod", "--program", dir]);
    expect(result.status).to.equal(3);
    expect(result.stderr).to.equal(
      `error: names AWS or Pulumi would refuse:\n  - aws:sqs/queue:Queue "orders": name "${"o".repeat(81)}" is 81 characters; AWS allows at most 80\n`,
    );
  });

  it("exits 3 with the program's own trace when it throws in an apply, as the CLI fails such a run", () => {
    const program = path.join(PROGRAM_DIR, "tests", "fixtures", "throwing-in-apply");
    const result = preview(["--stack", "dev", "--program", program]);
    expect(result.status).to.equal(3);
    expect(result.stderr).to.match(
      /^error: the program failed: Error: error serializing property "content": the fixture program throws in an apply/,
    );
    expect(result.stderr.split("\n")[1]).to.equal(`    at ${path.join(program, "index.ts")}:13:11`);
    expect(result.stderr).to.not.include("<ref *1>");
  });

  it("exits 2 with the SDK's words, and no trace, for config the program requires and the stack lacks or gets wrong", () => {
    const program = (code: string) =>
      fixtureProgram(
        "config:\n  platform:count: many\n",
        `import * as pulumi from "@pulumi/pulumi";\n${code}\n`,
        "name: platform\nruntime: nodejs\n",
      );
    const missing = preview(["--stack", "prod", "--program", program('new pulumi.Config().require("webhookUrl");')]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.equal(
      "error: Missing required configuration variable 'platform:webhookUrl'\n\tplease set a value using the command `pulumi config set platform:webhookUrl <value>`\n",
    );
    const typed = preview(["--stack", "prod", "--program", program('new pulumi.Config().requireNumber("count");')]);
    expect(typed.status).to.equal(2);
    expect(typed.stderr).to.match(/^error: Configuration 'platform:count' value 'many' is not a valid number\n$/);
    // Any other error the program throws is the program's: exit 3, with its trace.
    const thrown = preview(["--stack", "prod", "--program", program('throw new Error("not config");')]);
    expect(thrown.status).to.equal(3);
    expect(thrown.stderr).to.match(/^error: the program failed: Error: not config\n {4}at /);
  });

  it("exits 2 with the CLI's words for a program folder with nothing to run", () => {
    fs.mkdirSync(path.join(PROGRAM_DIR, ".build"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(PROGRAM_DIR, ".build", "preview-fixture-"));
    fixtures.push(dir);
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: empty\nruntime: nodejs\n");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ main: "dist/index.js" }));
    const result = preview(["--stack", "dev", "--program", dir]);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.equal(
      `error: We failed to locate the entry point for your program: ${dir} (it has no index.ts or index.js, and its package.json names no main file that exists)\n`,
    );
    // Its main file, once there, is what runs.
    fs.mkdirSync(path.join(dir, "dist"));
    fs.writeFileSync(path.join(dir, "dist", "index.js"), 'const aws = require("@pulumi/aws");\nnew aws.sqs.Queue("jobs");\n');
    const ran = preview(["--stack", "dev", "--program", dir]);
    expect(ran.stderr).to.not.include("entry point");
    expect(ran.stdout).to.match(/\+ aws:sqs\/queue:Queue +jobs\n/);
  });

  it("runs the program where Pulumi.yaml's main puts it, in that folder, as the CLI does, and refuses a main it cannot read", () => {
    fs.mkdirSync(path.join(PROGRAM_DIR, ".build"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(PROGRAM_DIR, ".build", "preview-fixture-"));
    fixtures.push(dir);
    const project = (main: string) => fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: nested\nruntime: nodejs\nmain: ${main}\n`);
    project("infra/");
    fs.mkdirSync(path.join(dir, "infra"));
    // The working directory is main's folder ("so that any relative paths inside of the program are correct").
    fs.writeFileSync(path.join(dir, "infra", "queue-name.txt"), "from-the-main-folder");
    fs.writeFileSync(
      path.join(dir, "infra", "index.ts"),
      'import * as fs from "fs";\nimport * as aws from "@pulumi/aws";\nnew aws.sqs.Queue(fs.readFileSync("queue-name.txt", "utf8"));\n',
    );
    expect(preview(["--stack", "dev", "--program", dir]).stdout).to.match(/\+ aws:sqs\/queue:Queue +from-the-main-folder\n/);
    // A file as main: it runs, in the folder that holds it.
    fs.renameSync(path.join(dir, "infra", "index.ts"), path.join(dir, "infra", "program.ts"));
    project("infra/program.ts");
    expect(preview(["--stack", "dev", "--program", dir]).stdout).to.match(/\+ aws:sqs\/queue:Queue +from-the-main-folder\n/);
    project("nowhere/");
    const missing = preview(["--stack", "dev", "--program", dir]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr.split("\n")[0]).to.match(
      /^error: project 'main' could not be read: ENOENT: no such file or directory, stat '.*\/nowhere'$/,
    );
    project("[infra]");
    const refused = preview(["--stack", "dev", "--program", dir]);
    expect(refused.status).to.equal(2);
    expect(refused.stderr.split("\n")[0]).to.equal(
      `error: could not validate '${path.join(dir, "Pulumi.yaml")}': main: expected string, but got array`,
    );
  });

  it("exits 2 with the CLI's words for a plain value of a key declared secret", () => {
    const stackFile = fs.readFileSync(path.join(PROGRAM_DIR, "Pulumi.prod.yaml"), "utf8") + "  platform:reportSigningKey: not-encrypted\n";
    const dir = fixtureProgram(stackFile, `module.exports = require(${JSON.stringify(path.join(PROGRAM_DIR, "index"))});\n`);
    const result = preview(["--stack", "prod", "--program", dir]);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.equal("error: Stack 'prod' with configuration key 'reportSigningKey' must be encrypted as it's secret\n");
  });

  it("passes a developer's dev-<name> stack made as the README says: Pulumi.dev.yaml copied", () => {
    const dir = fixtureProgram(
      fs.readFileSync(path.join(PROGRAM_DIR, "Pulumi.dev.yaml"), "utf8"),
      `module.exports = require(${JSON.stringify(path.join(PROGRAM_DIR, "index"))});\n`,
      undefined,
      "dev-alice",
    );
    // The same policy config as the project's: a dev-<name> stack is checked as dev is.
    fs.symlinkSync(path.join(PROGRAM_DIR, "policy"), path.join(dir, "policy"));
    const result = preview(["--stack", "dev-alice", "--program", dir, "--json"]);
    expect(result.status, result.stderr).to.equal(0);
    const doc = JSON.parse(result.stdout) as PlanDocument;
    expect(doc.resources.filter((r) => r.type === "aws:lambda/function:Function").map((r) => r.inputs.name)).to.include(
      "platform-dev-alice-health",
    );
  });

  it("exits 2 with a clear message for bad arguments and an unknown stack", () => {
    const missing = preview([]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.include("required option '-s, --stack <name>' not specified");
    // As the CLI does, a stack without a file runs with an empty config: here every required key is missing.
    const unknown = preview(["--stack", "qa"]);
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.include(
      "error: Stack 'qa' is missing configuration values 'environment', 'faultInjection', 'logRetentionDays', 'protectStatefulResources', 'throttleBurstLimit', 'throttleRateLimit' and 'warmerEnabled'",
    );
    expect(unknown.stderr).to.include(
      // Whatever stack files the repository holds (a developer's dev-<name> among them), they are listed.
      `there is no Pulumi.qa.yaml, so the stack has an empty config; stacks with a file here: ${listStacks(PROGRAM_DIR).join(", ")}`,
    );
  });

  it("exits 2 naming the key and the stack for a broken stack config", () => {
    const stackFile = fs
      .readFileSync(path.join(PROGRAM_DIR, "Pulumi.prod.yaml"), "utf8")
      .replace("platform:logRetentionDays: 90", "platform:logRetentionDays: 91");
    const dir = fixtureProgram(stackFile, `module.exports = require(${JSON.stringify(path.join(PROGRAM_DIR, "index"))});\n`);
    const result = preview(["--stack", "prod", "--program", dir]);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.include('Invalid config for stack "prod"');
    expect(result.stderr).to.include("platform:logRetentionDays: must be one of CloudWatch's retention periods");
  });
});
