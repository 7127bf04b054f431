/**
 * `npm run rollout -- [--stack <name>] [--function <short name>,...] [--no-wait] [--poll <seconds>]`
 * After `pulumi up` in a stack with codeDeployRollouts, moves each function's live alias to the version
 * the deploy published, through CodeDeploy (canary or linear, as the stack's preferences say), and waits.
 * Exit status: 0 every rollout succeeded, was started (--no-wait) or had nothing to do; 1 one rolled back;
 * 2 bad arguments, no rollout plans, or a rollout of the same function already running; 3 an AWS error.
 */
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { Command } from "commander";
import { awsRolloutClient, rollout, rolloutPlansOf } from "../ops/rollout";
import { resolveTarget, stackOf, ToolInputError } from "../ops/target";
import { parseArguments, reportToolError, withTargetOptions } from "./cli";

interface Options {
  stack: string;
  local: boolean;
  outputs?: string;
  program: string;
  function?: string;
  wait: boolean;
  poll: string;
}

export async function main(argv: string[]): Promise<number> {
  const program = withTargetOptions(new Command("rollout"))
    .description("move each function's live alias to the version pulumi up published, through CodeDeploy")
    .option("--function <names>", "only these functions, by short name (comma-separated)")
    .option("--no-wait", "start the deployments and return; CodeDeploy goes on without this command")
    .option("--poll <seconds>", "seconds between two looks at a deployment", "15");
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  const opts = program.opts<Options>();
  try {
    if (opts.local)
      throw new ToolInputError("--local: the local rehearsal of a rollout is not built yet; roll out against a deployed stack");
    const poll = Number(opts.poll);
    if (!Number.isFinite(poll) || poll <= 0) throw new ToolInputError(`--poll must be a positive number of seconds (got "${opts.poll}")`);
    opts.stack = stackOf(opts);
    const target = resolveTarget(opts);
    const plans = rolloutPlansOf(target.outputs, opts.stack);
    const client = awsRolloutClient(new CodeDeployClient({ region: target.region }), new LambdaClient({ region: target.region }));
    const outcomes = await rollout(plans, client, {
      wait: opts.wait,
      pollMs: poll * 1000,
      only: opts.function?.split(",").map((s) => s.trim()),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    const rolledBack = outcomes.filter((o) => o.result === "rolled-back");
    if (rolledBack.length) {
      process.stderr.write(`error: ${rolledBack.map((o) => `${o.key} rolled back to version ${o.from}`).join("; ")}\n`);
      return 1;
    }
    return 0;
  } catch (err) {
    return reportToolError(err);
  }
}

if (require.main === module) void main(process.argv).then((code) => (process.exitCode = code));
