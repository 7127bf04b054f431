/**
 * `npm run iam -- report [--stack <name>] [--program <dir>] [--strict]`: the grants of every function's
 * role that no call used since the running local cloud started, like IAM Access Analyzer's unused-access
 * findings. Run the app's traffic (or its integration suite) first; each line left is a grant to remove
 * or a path no test took.
 * Exit status: 0 (with --strict: only when nothing is unused), 1 with --strict when a grant is unused,
 * 2 for bad arguments, no running local cloud, or one running with --iam off.
 */
import * as path from "path";
import { Command } from "commander";
import { readLocalCloudState } from "../local/cloud";
import type { UnusedGrant } from "../local/iam/authority";
import { EXIT_BAD_INPUT, parseArguments } from "./cli";

async function main(argv: string[]): Promise<number> {
  const program = new Command("iam")
    .description("IAM in the running local cloud")
    .argument("<command>", "report: the grants no call used during this run")
    .option("-s, --stack <name>", "stack the local cloud runs", "dev")
    .option("--program <dir>", "directory of the Pulumi program", path.resolve(__dirname, ".."))
    .option("--strict", "exit 1 when any grant is unused", false);
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  const [command] = program.args;
  const opts = program.opts<{ stack: string; program: string; strict: boolean }>();
  if (command !== "report") {
    process.stderr.write(`error: unknown command "${command}"; the one command is: report\n`);
    return EXIT_BAD_INPUT;
  }
  let state;
  try {
    state = readLocalCloudState(opts.program, opts.stack);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return EXIT_BAD_INPUT;
  }
  const res = await fetch(`${state.lambdaEndpoint}/_local/iam/unused`);
  const body = (await res.json()) as { unused?: UnusedGrant[]; message?: string };
  if (!res.ok) {
    process.stderr.write(`error: ${body.message ?? `HTTP ${res.status}`}\n`);
    return EXIT_BAD_INPUT;
  }
  const unused = body.unused!;
  if (unused.length === 0) {
    process.stdout.write(`every grant of every function's role in stack ${opts.stack} has been used\n`);
    return 0;
  }
  process.stdout.write(`${unused.length} grant(s) unused since the local cloud of stack ${opts.stack} started:\n`);
  for (const g of unused) {
    process.stdout.write(`  ${g.functions.join(", ")}  ${g.action}  ${g.resource}  (${g.policy}${g.sid ? `, statement ${g.sid}` : ""})\n`);
  }
  return opts.strict ? 1 : 0;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(EXIT_BAD_INPUT);
  },
);
