/** `npm run preview -- --stack <name> [--json] [--program <dir>]`: the offline preview and policy check. */
import * as path from "path";
import { Command } from "commander";
import { parseArguments } from "./cli";
import { EXIT, runPreview } from "../graph/preview";

async function main(argv: string[]): Promise<number> {
  const program = new Command("preview")
    .description("Capture a stack's resource graph offline (no credentials, no network) and check it against the policy pack")
    .requiredOption("-s, --stack <name>", "stack whose Pulumi.<name>.yaml config to use (dev, stage, prod)")
    .option("--json", "print the plan document instead of the tree", false)
    .option("--program <dir>", "directory of the Pulumi program", path.resolve(__dirname, ".."));
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  const opts = program.opts<{ stack: string; json: boolean; program: string }>();
  const result = await runPreview({ programDir: path.resolve(opts.program), stack: opts.stack, json: opts.json });
  // Written before exiting: process.exit would cut a plan document longer than a pipe's buffer short.
  await new Promise<void>((done) => process.stdout.write(result.stdout, () => done()));
  await new Promise<void>((done) => process.stderr.write(result.stderr, () => done()));
  return result.exitCode;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${(err as Error).stack ?? err}\n`);
    process.exit(EXIT.programFailed);
  },
);
