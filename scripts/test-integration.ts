/**
 * `npm run test:integration -- --stack <name> | --local [--outputs <file>]`: the integration suite
 * (tests/integration) against a deployed stack, or against a local cloud it starts itself. Without
 * either it takes the stack `pulumi stack select` chose, and fails rather than guess one.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { Command } from "commander";
import { stackOf } from "../ops/target";
import { EXIT_BAD_INPUT, parseArguments } from "./cli";

function main(argv: string[]): number {
  const program = new Command("test:integration")
    .description("Run the integration suite against a deployed stack or the local cloud")
    .option(
      "-s, --stack <name>",
      "a deployed stack (AWS credentials for its account; outputs from `pulumi stack output --json`); default: the selected stack",
    )
    .option("--local", "a local cloud this run starts itself", false)
    .option("--outputs <file>", "the stack's outputs as JSON, instead of asking the Pulumi CLI");
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  const opts = program.opts<{ stack?: string; local: boolean; outputs?: string }>();
  const root = path.resolve(__dirname, "..");
  if (opts.stack && opts.local) {
    process.stderr.write("error: give --stack <name> or --local, not both\n");
    return EXIT_BAD_INPUT;
  }
  if (!opts.local) {
    try {
      opts.stack = stackOf({ stack: opts.stack, local: false, program: root });
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      return EXIT_BAD_INPUT;
    }
  }
  const env = {
    ...process.env,
    ...(opts.stack ? { INTEGRATION_STACK: opts.stack } : {}),
    ...(opts.outputs ? { INTEGRATION_OUTPUTS: path.resolve(opts.outputs) } : {}),
  };
  const result = spawnSync(
    process.execPath,
    [
      path.join(root, "node_modules", "mocha", "bin", "mocha.js"),
      // Only this suite: not the project's .mocharc, whose spec is every test.
      "--no-config",
      ...["--require", "ts-node/register/transpile-only", "--require", "tests/setup.ts", "--extension", "ts", "--timeout", "60000"],
      "tests/integration/**/*.test.ts",
    ],
    { cwd: root, env, stdio: "inherit" },
  );
  return result.status ?? 1;
}

process.exit(main(process.argv));
