/**
 * `npm run rollout -- [--stack <name> | --local [--minute-ms <ms>]] [--function <short name>,...] [--no-wait] [--poll <seconds>]`
 * After `pulumi up` in a stack with codeDeployRollouts, moves each function's live alias to the version
 * the deploy published, through CodeDeploy (canary or linear, as the stack's preferences say), and waits.
 * Exit status: 0 every rollout succeeded, was started (--no-wait) or had nothing to do; 1 one rolled back;
 * 2 bad arguments, no rollout plans, or a rollout of the same function already running; 3 an AWS error.
 * With --local, the running local cloud rehearses the same steps, each configured minute lasting --minute-ms.
 */
import { CodeDeployClient } from "@aws-sdk/client-codedeploy";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { Command } from "commander";
import { awsRolloutClient, rollout, rolloutPlansOf } from "../ops/rollout";
import { resolveTarget, stackOf, ToolInputError } from "../ops/target";
import type { LocalRolloutOutcome } from "../local/rollout";
import { parseArguments, reportToolError, withTargetOptions } from "./cli";

interface Options {
  stack: string;
  local: boolean;
  outputs?: string;
  program: string;
  function?: string;
  wait: boolean;
  poll: string;
  minuteMs: string;
}

/** The local cloud's rehearsal: it runs the steps itself and answers when every rollout has ended. */
async function rehearse(opts: Options): Promise<number> {
  const minuteMs = Number(opts.minuteMs);
  if (!Number.isInteger(minuteMs) || minuteMs < 1)
    throw new ToolInputError(`--minute-ms must be a positive whole number (got "${opts.minuteMs}")`);
  const target = resolveTarget({ ...opts, stack: stackOf(opts) });
  process.stdout.write(`local rehearsal: each configured minute lasts ${minuteMs} ms\n`);
  const res = await fetch(`${target.local!.lambdaEndpoint}/_local/rollout`, {
    method: "POST",
    body: JSON.stringify({ groups: opts.function?.split(",").map((s) => s.trim()), minuteMs }),
  });
  const answer = (await res.json()) as { outcomes?: LocalRolloutOutcome[]; message?: string };
  if (!res.ok) throw new ToolInputError(answer.message ?? `the local cloud answered ${res.status}`);
  for (const o of answer.outcomes!)
    process.stdout.write(
      `${o.group}: ${o.result === "up-to-date" ? `at version ${o.from} already` : `${o.result}, ${o.from} -> ${o.to}${o.message ? `: ${o.message}` : ""}`}\n`,
    );
  const rolledBack = answer.outcomes!.filter((o) => o.result === "rolled-back");
  if (rolledBack.length)
    process.stderr.write(`error: ${rolledBack.map((o) => `${o.group} rolled back to version ${o.from}`).join("; ")}\n`);
  return rolledBack.length ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = withTargetOptions(new Command("rollout"))
    .description("move each function's live alias to the version pulumi up published, through CodeDeploy")
    .option("--function <names>", "only these functions, by short name (comma-separated)")
    .option("--no-wait", "start the deployments and return; CodeDeploy goes on without this command")
    .option("--poll <seconds>", "seconds between two looks at a deployment", "15")
    .option("--minute-ms <ms>", "with --local: how long each configured minute lasts", "1000");
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  const opts = program.opts<Options>();
  try {
    if (opts.local) return await rehearse(opts);
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
