/** What the command-line entry points share: argument parsing with exit codes instead of process.exit. */
import * as path from "path";
import { Command, CommanderError } from "commander";
import { awsProblem, ToolInputError } from "../ops/target";

// The AWS SDK warns once per process that its 2027 releases need Node 22; the lockfile pins today's, and
// the warning would otherwise open every command's output on this Node 20 machine.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Exit status 2: bad arguments, bad config, or nothing to talk to. Every CLI here uses it. */
export const EXIT_BAD_INPUT = 2;

/**
 * Parses `argv` with `program`. Returns an exit status when parsing ended the run (0 after --help,
 * 2 for bad arguments, with commander's message on stderr), or undefined to go on.
 */
export function parseArguments(program: Command, argv: string[]): number | undefined {
  program.exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv);
    return undefined;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    throw err;
  }
}

/** The options every operations tool takes to say where it works: a deployed stack, or the local cloud. */
export function withTargetOptions(program: Command): Command {
  return program
    .option("-s, --stack <name>", "the stack (default: the one `pulumi stack select` chose; dev with --local)")
    .option("--local", "the running local cloud of the stack, instead of AWS", false)
    .option("--outputs <file>", "stack outputs as JSON (default: `pulumi stack output --json`, or PLATFORM_STACK_OUTPUTS)")
    .option("--program <dir>", "directory of the Pulumi program", path.resolve(__dirname, ".."));
}

/** Reports an operations tool's failure on stderr; returns 2 for bad input, 3 for an AWS error. */
export function reportToolError(err: unknown): number {
  const message = (err as Error).message;
  if (err instanceof ToolInputError || /no local cloud is running/.test(message)) {
    process.stderr.write(`error: ${message}\n`);
    return EXIT_BAD_INPUT;
  }
  process.stderr.write(`error: ${awsProblem(err as Error) ?? `${(err as Error).name}: ${message}`}\n`);
  return 3;
}
