/** ops/target.ts in-process: which stack a tool works on, where its outputs come from, and AWS errors said plainly. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { awsProblem, resolveTarget, stackOf, ToolInputError } from "../../ops/target";
import { PROGRAM_DIR } from "../harness";

describe("ops/target: where an operations tool works", () => {
  const saved = { path: process.env.PATH, outputs: process.env.PLATFORM_STACK_OUTPUTS };
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "target-"));
  });
  afterEach(() => {
    process.env.PATH = saved.path;
    if (saved.outputs === undefined) delete process.env.PLATFORM_STACK_OUTPUTS;
    else process.env.PLATFORM_STACK_OUTPUTS = saved.outputs;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  /** A stand-in `pulumi` on PATH that prints `stdout`, or fails with `stderr`. */
  const fakePulumi = (script: string) => {
    fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\n${script}\n`);
    fs.chmodSync(path.join(dir, "pulumi"), 0o755);
    process.env.PATH = `${dir}:${saved.path}`;
  };

  it("takes the stack named, else dev for the local cloud, else the one the CLI selected, by its short name", () => {
    expect(stackOf({ stack: "stage", local: true, program: PROGRAM_DIR })).to.equal("stage");
    expect(stackOf({ local: true, program: PROGRAM_DIR })).to.equal("dev");
    fakePulumi('echo "acme/platform/prod"');
    expect(stackOf({ local: false, program: PROGRAM_DIR })).to.equal("prod");
  });

  it("never guesses against AWS: no CLI, no selection, or a CLI error each name --stack", () => {
    process.env.PATH = dir;
    const none = (() => {
      try {
        stackOf({ local: false, program: PROGRAM_DIR });
      } catch (err) {
        return err as Error;
      }
    })()!;
    expect(none).to.be.instanceOf(ToolInputError);
    expect(none.message).to.equal(
      "name the stack with --stack <name> (or --local for the local cloud): the Pulumi CLI is not installed, so there is no selected stack to use",
    );
    /** stackOf against AWS refuses, naming --stack and why there is no stack to use. */
    const refusedBecause = (reason: string) =>
      expect(() => stackOf({ local: false, program: PROGRAM_DIR })).to.throw(
        ToolInputError,
        `name the stack with --stack <name> (or --local for the local cloud): ${reason}`,
      );
    fakePulumi('echo ""');
    refusedBecause("the Pulumi CLI has no stack selected");
    // A CLI that is there but cannot be run says so, and one that fails silently means no selection.
    fakePulumi("exit 0");
    fs.chmodSync(path.join(dir, "pulumi"), 0o644);
    process.env.PATH = dir;
    refusedBecause("the Pulumi CLI could not be run (EACCES), so there is no selected stack to use");
    fakePulumi("exit 3");
    refusedBecause("no stack is selected, so there is no selected stack to use");
    // Its first line that says anything, blank lines before it skipped.
    fakePulumi('printf "\\n  error: no stack selected\\nmore\\n" >&2; exit 255');
    refusedBecause("error: no stack selected, so there is no selected stack to use");
    fakePulumi('echo "error: no stack selected; please use pulumi stack select" >&2; exit 255');
    refusedBecause("error: no stack selected; please use pulumi stack select, so there is no selected stack to use");
  });

  it("reads a deployed stack's outputs from --outputs, else PLATFORM_STACK_OUTPUTS, else `pulumi stack output`, with its region", () => {
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, JSON.stringify({ from: "file" }));
    process.env.PLATFORM_STACK_OUTPUTS = JSON.stringify({ from: "env" });
    fakePulumi(`echo '{"from":"cli"}'`);
    const target = resolveTarget({ stack: "prod", local: false, program: PROGRAM_DIR, outputs: file });
    expect(target.outputs).to.deep.equal({ from: "file" });
    expect(target.region).to.equal("eu-west-1");
    expect(target.client("sqs")).to.deep.equal({ region: "eu-west-1" });
    expect(target.local).to.equal(undefined);
    expect(resolveTarget({ stack: "prod", local: false, program: PROGRAM_DIR }).outputs).to.deep.equal({ from: "env" });
    delete process.env.PLATFORM_STACK_OUTPUTS;
    expect(resolveTarget({ stack: "prod", local: false, program: PROGRAM_DIR }).outputs).to.deep.equal({ from: "cli" });
  });

  it("runs the CLI exactly as `pulumi stack --show-name` and `pulumi stack output --json --stack <name>`, in the program's folder, without input", () => {
    // The stand-in refuses any other arguments, another folder, or a stdin it could wait on (a pipe).
    fakePulumi(
      [
        `[ "$(pwd -P)" = "${fs.realpathSync(PROGRAM_DIR)}" ] || { echo "ran in $(pwd -P)" >&2; exit 9; }`,
        `{ [ -p /dev/stdin ] || [ -S /dev/stdin ]; } && { echo "stdin is a pipe" >&2; exit 9; }`,
        `case "$*" in`,
        `  "stack --show-name") echo "acme/platform/stage" ;;`,
        `  "stack output --json --stack prod") echo '{"from":"cli"}' ;;`,
        `  *) echo "unexpected arguments: $*" >&2; exit 9 ;;`,
        `esac`,
      ].join("\n"),
    );
    delete process.env.PLATFORM_STACK_OUTPUTS;
    expect(stackOf({ local: false, program: PROGRAM_DIR })).to.equal("stage");
    expect(resolveTarget({ stack: "prod", local: false, program: PROGRAM_DIR }).outputs).to.deep.equal({ from: "cli" });
  });

  it("names what is wrong with the outputs: a missing file, text that is not JSON, a CLI that fails, a stack without a file", () => {
    const bad = (opts: { stack?: string; outputs?: string }) => {
      try {
        resolveTarget({ stack: opts.stack ?? "prod", local: false, program: PROGRAM_DIR, outputs: opts.outputs });
      } catch (err) {
        expect(err).to.be.instanceOf(ToolInputError);
        return (err as Error).message;
      }
      throw new Error("expected bad input");
    };
    expect(bad({ outputs: path.join(dir, "none.json") })).to.equal(`--outputs ${path.join(dir, "none.json")}: no such file`);
    fs.writeFileSync(path.join(dir, "bad.json"), "{ not json");
    expect(bad({ outputs: path.join(dir, "bad.json") })).to.match(/^the stack outputs are not JSON: /);
    fakePulumi('echo "error: stack prod not found" >&2; exit 1');
    expect(bad({})).to.match(
      /^could not read stack prod's outputs with `pulumi stack output --json` \(Command failed: .*\); pass --outputs <file> or set PLATFORM_STACK_OUTPUTS$/,
    );
    expect(bad({ stack: "nope" })).to.match(/nope/);
  });

  it("works against the running local cloud from its state file: its outputs, region, credentials and each service's endpoint", () => {
    const state = {
      pid: process.pid,
      stack: "dev",
      apis: [],
      lambdaEndpoint: "http://127.0.0.1:4001",
      environment: {
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local-secret",
        AWS_ENDPOINT_URL_SQS: "http://sqs.eu-west-1.localhost:4002",
      },
      outputs: { deadLetterQueues: {} },
      functions: [],
      schedules: [],
    };
    fs.mkdirSync(path.join(dir, ".build", "local", "dev"), { recursive: true });
    fs.writeFileSync(path.join(dir, ".build", "local", "dev", "state.json"), JSON.stringify(state));
    const target = resolveTarget({ stack: "dev", local: true, program: dir });
    expect(target.outputs).to.deep.equal({ deadLetterQueues: {} });
    expect(target.region).to.equal("eu-west-1");
    expect(target.local).to.deep.equal(state);
    const credentials = { accessKeyId: "local", secretAccessKey: "local-secret" };
    expect(target.client("sqs")).to.deep.equal({ endpoint: "http://sqs.eu-west-1.localhost:4002", region: "eu-west-1", credentials });
    expect(target.client("lambda")).to.deep.equal({ endpoint: "http://127.0.0.1:4001", region: "eu-west-1", credentials });
    expect(target.client("logs")).to.deep.equal({ endpoint: "http://127.0.0.1:4001", region: "eu-west-1", credentials });
    // No local cloud for another stack: said, with the command that starts one.
    expect(() => resolveTarget({ stack: "stage", local: true, program: dir })).to.throw(
      'no local cloud is running for stack "stage"; start one with `npm start -- --stack stage`',
    );
  });

  it("says the usual AWS errors plainly, and leaves the rest alone", () => {
    const err = (name: string) => Object.assign(new Error("details"), { name });
    expect(awsProblem(err("CredentialsProviderError"))).to.equal("no valid AWS credentials for this stack's account (details)");
    expect(awsProblem(err("ExpiredTokenException"))).to.equal("no valid AWS credentials for this stack's account (details)");
    expect(awsProblem(err("ThrottlingException"))).to.equal(
      "AWS is throttling these calls; try again later or with a smaller --max (details)",
    );
    expect(awsProblem(err("TooManyRequestsException"))).to.match(/^AWS is throttling/);
    expect(awsProblem(err("AccessDeniedException"))).to.equal("access denied: details");
    expect(awsProblem(err("QueueDoesNotExist"))).to.equal("not found in this account and region: details");
    expect(awsProblem(err("ResourceNotFoundException"))).to.equal("not found in this account and region: details");
    expect(awsProblem(err("ValidationException"))).to.equal(undefined);
  });
});
