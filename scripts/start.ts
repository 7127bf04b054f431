/**
 * `npm start [-- --stack <name>] [--program <dir>] [--config key=value ...] [--iam on|off] [--inspect[=port]] [--[no-]watch] [--persist]`: the local cloud.
 * Exit status: 0 after Ctrl-C, 2 for bad arguments, bad stack config or a port in use, 3 when the program throws.
 */
import * as inspector from "inspector";
import * as path from "path";
import { Command } from "commander";
import { parseArguments } from "./cli";
import { describeInputError, EXIT, isInputError, programFailureReport } from "../graph/preview";
import { PortInUseError, startLocalCloud } from "../local/cloud";
import { GraphRefusedError } from "../local/model";
import { StateFileError } from "../local/persist";
import { bufferedStdout } from "../local/console";

/** Stopping must finish within this; after it, the process exits regardless. */
const STOP_DEADLINE_MS = 4500;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer from 0 to 65535 (got "${value}")`);
  return port;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command("start")
    .description("Run a stack's resource graph on this machine: API, functions, queues, tables, schedules and alarms")
    .option("-s, --stack <name>", "stack whose Pulumi.<name>.yaml config to use", "dev")
    .option("--program <dir>", "directory of the Pulumi program", path.resolve(__dirname, ".."))
    .option("-c, --config <key=value...>", "override a config value, as `pulumi config set` would", [])
    .option("--concurrency <n>", "containers per function at most", "4")
    .option("--throttle", "enforce the API stage's throttling (429s)", false)
    .option("--profile", "time each API request's phases; GET /_local/profile on the Lambda API endpoint reads them", false)
    .option("--persist", "keep tables, queues and buckets under .build/local/<stack>/data across restarts", false)
    .option("--watch", "reload edits without a restart (the default for dev stacks)")
    .option("--no-watch", "do not watch the program's folder")
    .option("--inspect [port]", "let a debugger attach on this port (9229); the function containers are this process's worker threads")
    .option(
      "--iam <mode>",
      "on: every AWS call is authorized as AWS would (roles, resource and key policies, permissions); off: none is",
      "on",
    )
    .option("--quiet", "no line per invocation", false);
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  const opts = program.opts<{
    stack: string;
    program: string;
    config: string[];
    concurrency: string;
    throttle: boolean;
    iam: string;
    inspect?: string | boolean;
    watch?: boolean;
    persist: boolean;
    profile: boolean;
    quiet: boolean;
  }>();
  if (opts.inspect !== undefined) {
    const port = opts.inspect === true ? 9229 : Number(opts.inspect);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`error: --inspect takes a port from 0 to 65535 (got "${opts.inspect}")\n`);
      return EXIT.badInput;
    }
    // The containers are worker threads of this process: a debugger attached here reaches their breakpoints too.
    inspector.open(port, "127.0.0.1");
    process.stdout.write(
      `Debugger listening on ${inspector.url()} (attach VS Code with the "Attach to the local cloud" launch configuration)\n`,
    );
  }
  if (opts.iam !== "on" && opts.iam !== "off") {
    process.stderr.write(`error: --iam must be "on" or "off" (got "${opts.iam}")\n`);
    return EXIT.badInput;
  }
  const config: Record<string, string> = {};
  for (const pair of opts.config) {
    const at = pair.indexOf("=");
    if (at <= 0) {
      process.stderr.write(`error: --config takes key=value (got "${pair}")\n`);
      return EXIT.badInput;
    }
    config[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write(`error: --concurrency must be a positive integer (got "${opts.concurrency}")\n`);
    return EXIT.badInput;
  }
  let port: number;
  try {
    port = parsePort(process.env.PORT ?? "3000");
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return EXIT.badInput;
  }

  // One writer for every line from here on: the local cloud's lines wait a moment to be written
  // together, and the lines below must come after them.
  const write = bufferedStdout();
  let cloud;
  try {
    cloud = await startLocalCloud({
      write,
      programDir: path.resolve(opts.program),
      stack: opts.stack,
      port,
      config,
      maxContainers: concurrency,
      enforceThrottle: opts.throttle,
      iam: opts.iam,
      persist: opts.persist,
      profile: opts.profile,
      // Hot reload by default where developers edit: dev and their own dev-<name> stacks.
      watch: opts.watch ?? /^dev(-|$)/.test(opts.stack),
      invocationLines: !opts.quiet,
    });
  } catch (err) {
    if (err instanceof PortInUseError || err instanceof StateFileError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.badInput;
    }
    // A graph AWS would refuse to deploy fails as `pulumi up` would (exit 3), said without a stack trace: the
    // message names the resource and what to set.
    if (err instanceof GraphRefusedError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.programFailed;
    }
    if (isInputError(err)) {
      process.stderr.write(`error: ${describeInputError(err, path.resolve(opts.program), opts.stack)}\n`);
      return EXIT.badInput;
    }
    // The program failed as it ran: its own trace, and a hint where a common cause is known.
    process.stderr.write(`error: ${programFailureReport(err, path.resolve(opts.program))}`);
    return EXIT.programFailed;
  }
  return new Promise((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      write(`\n${signal}: stopping the local cloud`);
      setTimeout(() => {
        process.stderr.write("error: the local cloud did not stop in time; exiting anyway\n");
        resolve(EXIT.programFailed);
      }, STOP_DEADLINE_MS).unref();
      cloud.stop().then(
        // The last lines (the unused-grant report) may still be waiting: they are written as the process exits.
        () => resolve(EXIT.ok),
        (err) => {
          process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
          resolve(EXIT.programFailed);
        },
      );
    };
    process.on("SIGINT", () => shutdown("SIGINT"));
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    // Announced only once Ctrl-C is handled: a signal right after the line must still stop it cleanly.
    write(
      cloud.url
        ? `\nLocal cloud ready: ${cloud.url}  (Ctrl-C stops it)`
        : `\nLocal cloud ready: no HTTP API or function URL to serve; invoke functions with npm run invoke -- <function> (the Lambda API is at ${cloud.lambdaEndpoint})  (Ctrl-C stops it)`,
    );
  });
}

main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`error: ${(err as Error).stack ?? err}\n`);
    process.exit(EXIT.programFailed);
  },
);
