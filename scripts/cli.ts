/** What the command-line entry points share: argument parsing with exit codes instead of process.exit. */
import { Command, CommanderError } from "commander";

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
