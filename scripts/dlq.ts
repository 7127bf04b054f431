/**
 * `npm run dlq -- <list|inspect|redrive|purge> [--stack <name> | --local] [--queue <name> | --all] [--max N] [--dry-run] [--yes]`
 * Against AWS the stack is `--stack` or the one `pulumi stack select` chose, never a default. `purge`
 * takes one `--queue`, or `--all`, which in a prod stack also wants the stack's name typed back.
 * Exit status: 0 done, 1 some messages could not be redriven, 2 bad arguments, unknown stack or
 * queue, or no outputs to read, 3 an AWS error (missing credentials, throttling, access denied).
 */
import { createInterface } from "readline/promises";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SQSClient } from "@aws-sdk/client-sqs";
import { SingleBar } from "cli-progress";
import { Command } from "commander";
import { Clients, depthOf, describe, Dlq, dlqsOf, peek, purge, redrive, select, status } from "../ops/dlq";
import { readStackConfig } from "../graph/stack-config";
import { resolveTarget, stackOf, ToolInputError } from "../ops/target";
import { EXIT_BAD_INPUT, parseArguments, reportToolError, withTargetOptions } from "./cli";

const EXIT = { ok: 0, partial: 1, badInput: EXIT_BAD_INPUT, aws: 3 } as const;

interface Options {
  stack: string;
  local: boolean;
  queue?: string;
  all: boolean;
  max?: string;
  dryRun: boolean;
  yes: boolean;
  outputs?: string;
  program: string;
}

/** The stack's outputs and clients for where it runs: the local cloud, or AWS with the default credentials. */
function connect(opts: Options): { outputs: Record<string, any>; clients: Clients } {
  const target = resolveTarget(opts);
  return {
    outputs: target.outputs,
    clients: { sqs: new SQSClient(target.client("sqs")), lambda: new LambdaClient(target.client("lambda")) },
  };
}

/** The stack's kind (dev, stage, prod) from its config; a program without the key goes by the stack's name. */
function environmentOf(opts: Options): string {
  try {
    return readStackConfig(opts.program, opts.stack).config["platform:environment"] ?? opts.stack;
  } catch {
    return opts.stack;
  }
}

async function run(command: string, opts: Options): Promise<number> {
  opts.stack = stackOf(opts);
  const max = opts.max === undefined ? undefined : Number(opts.max);
  if (max !== undefined && (!Number.isInteger(max) || max < 1))
    throw new ToolInputError(`--max must be a positive integer (got "${opts.max}")`);
  if (opts.all && opts.queue) throw new ToolInputError("give --queue <name> or --all, not both");
  if (command === "purge" && !opts.queue && !opts.all)
    throw new ToolInputError("purge needs --queue <name> (an output key such as orders), or --all to purge every DLQ of the stack");
  if (command === "purge" && opts.all && !opts.dryRun && environmentOf(opts) === "prod") await confirmStack(opts.stack);
  const { outputs, clients } = connect(opts);
  const dlqs = select(dlqsOf(outputs), opts.queue);
  switch (command) {
    case "list": {
      for (const dlq of dlqs) {
        const s = await status(clients, dlq);
        const source =
          dlq.spec.source === "queue"
            ? `queue ${dlq.spec.sourceUrl.split("/").pop()}`
            : dlq.spec.source === "schedule"
              ? "schedule (EventBridge)"
              : `function ${dlq.spec.functionName}`;
        const age = s.oldestSeenSeconds === undefined ? "-" : `${s.oldestSeenSeconds} s`;
        process.stdout.write(
          `${dlq.key.padEnd(14)} ${dlq.name.padEnd(28)} depth ${String(s.depth).padStart(5)}  in flight ${String(s.inFlight).padStart(3)}  oldest ${age.padStart(8)}  source ${source}\n`,
        );
      }
      return EXIT.ok;
    }
    case "inspect": {
      for (const dlq of dlqs) {
        const messages = await peek(clients, dlq, max ?? 10);
        process.stdout.write(`# ${dlq.key} (${dlq.name}): ${messages.length} message(s) shown, none consumed\n`);
        for (const m of messages) process.stdout.write(`${JSON.stringify(describe(m), null, 2)}\n`);
      }
      return EXIT.ok;
    }
    case "redrive": {
      let failures = 0;
      for (const dlq of dlqs) {
        const { depth } = await depthOf(clients, dlq);
        const count = Math.min(depth, max ?? depth);
        const how =
          dlq.spec.source === "queue"
            ? `back to ${dlq.spec.sourceUrl.split("/").pop()}`
            : dlq.spec.source === "schedule"
              ? "by invoking each event's target (its TARGET_ARN) again"
              : `by re-invoking ${dlq.spec.functionName} with each original event`;
        if (opts.dryRun) {
          process.stdout.write(`would redrive ${count} message(s) from ${dlq.name} ${how}\n`);
          continue;
        }
        const bar = new SingleBar({ format: `${dlq.name} [{bar}] {value}/{total}`, stream: process.stderr, noTTYOutput: false });
        bar.start(count, 0);
        const result = await redrive(clients, dlq, { max, onProgress: (done) => bar.update(done) }).finally(() => bar.stop());
        process.stdout.write(`redrove ${result.moved} message(s) from ${dlq.name} ${how} (${result.method})\n`);
        for (const f of result.failed) process.stderr.write(`  could not redrive ${f.messageId}: ${f.error}; it stays in the DLQ\n`);
        failures += result.failed.length;
      }
      return failures > 0 ? EXIT.partial : EXIT.ok;
    }
    case "purge": {
      for (const dlq of dlqs) {
        const { depth } = await depthOf(clients, dlq);
        if (opts.dryRun) {
          process.stdout.write(`would purge ${depth} message(s) from ${dlq.name}\n`);
          continue;
        }
        if (
          !opts.yes &&
          !(await confirm(`Purge ${depth} message(s) from ${dlq.name}? They cannot be recovered. Type the queue name to confirm: `, dlq))
        ) {
          process.stderr.write(`not purged: ${dlq.name}\n`);
          continue;
        }
        await purge(clients, dlq);
        process.stdout.write(`purged ${dlq.name}\n`);
      }
      return EXIT.ok;
    }
    default:
      throw new ToolInputError(`unknown command "${command}": use list, inspect, redrive or purge`);
  }
}

/** Purging every DLQ of prod wants the stack's name typed back, even with --yes: messages there are real users' work. */
async function confirmStack(stack: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw new ToolInputError(
      `purging every DLQ of the prod stack ${stack} needs its name typed back at a terminal; purge one --queue at a time, or run it in a terminal`,
    );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`Purge every DLQ of the prod stack ${stack}? Type the stack's name to confirm: `)).trim();
    if (answer !== stack) throw new ToolInputError(`not purged: "${answer}" is not the stack's name`);
  } finally {
    rl.close();
  }
}

async function confirm(question: string, dlq: Dlq): Promise<boolean> {
  if (!process.stdin.isTTY) throw new ToolInputError("refusing to purge without --yes: stdin is not a terminal to confirm on");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim() === dlq.name;
  } finally {
    rl.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const program = withTargetOptions(new Command("dlq"))
    .description("List, inspect, redrive or purge a stack's dead-letter queues")
    .argument("<command>", "list | inspect | redrive | purge")
    .option("-q, --queue <name>", "one DLQ, by output key (orders) or queue name; default all, except for purge")
    .option("--all", "every DLQ of the stack (purge needs it or --queue)", false)
    .option("--max <n>", "at most this many messages (inspect default 10)")
    .option("--dry-run", "say what would happen, change nothing", false)
    .option("-y, --yes", "purge without asking", false);
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  try {
    return await run(program.args[0], program.opts<Options>());
  } catch (err) {
    return reportToolError(err);
  }
}

main(process.argv).then((code) => process.exit(code));
