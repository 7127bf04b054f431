/**
 * `npm run invoke -- <function> [--event <file>] [--async] [--stack <name>]`: invokes a function of the
 * running local cloud through its Lambda Invoke API, with the AWS SDK's LambdaClient. Without
 * `--event`, a function that a schedule targets gets that schedule's event, asynchronously, exactly
 * as EventBridge would send it; any other function gets `{}`.
 * Exit status: 0 on success, 1 when the function failed, 2 for bad arguments or no running local cloud.
 */
import * as fs from "fs";
import * as path from "path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { Command } from "commander";
import { parseArguments } from "./cli";
import { readLocalCloudState } from "../local/cloud";
import { functionNamed } from "../local/function-names";
import { ToolInputError } from "../ops/target";

const EXIT = { ok: 0, functionError: 1, badInput: 2 } as const;

function readEvent(file: string): unknown {
  if (!fs.existsSync(file)) throw new ToolInputError(`--event ${file}: no such file`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new ToolInputError(`--event ${file}: not valid JSON (${(err as Error).message})`);
  }
}

async function main(argv: string[]): Promise<number> {
  const program = new Command("invoke")
    .description("Invoke a function of the running local cloud")
    .argument("<function>", "function name, full (platform-dev-daily-report) or short (daily-report)")
    .option("-e, --event <file>", "JSON file with the event")
    .option("--async", "invoke asynchronously (InvocationType Event): retries and the failure destination apply", false)
    .option("-s, --stack <name>", "stack the local cloud runs", "dev")
    .option("--program <dir>", "directory of the Pulumi program", path.resolve(__dirname, ".."));
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  const [ref] = program.args;
  const opts = program.opts<{ event?: string; async: boolean; stack: string; program: string }>();
  try {
    const state = readLocalCloudState(opts.program, opts.stack);
    const name = functionNamed(state.functions, ref);
    if (!name) throw new ToolInputError(`no function "${ref}" in stack ${opts.stack}; functions: ${state.functions.join(", ")}`);

    const schedule = state.schedules.find((s) => s.functions.includes(name));
    if (!opts.event && schedule) {
      const res = await fetch(`${state.lambdaEndpoint}/_local/schedules/${encodeURIComponent(schedule.name)}/fire`, { method: "POST" });
      const body = (await res.json()) as { requestIds?: string[]; message?: string };
      if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
      process.stdout.write(
        `fired schedule ${schedule.name}: ${body.requestIds!.length} async invocation(s) accepted (${body.requestIds!.join(", ")}); the local cloud prints their outcome\n`,
      );
      return EXIT.ok;
    }

    const event = opts.event ? readEvent(opts.event) : {};
    const client = new LambdaClient({
      endpoint: state.lambdaEndpoint,
      region: state.environment.AWS_REGION,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const result = await client.send(
      new InvokeCommand({
        FunctionName: name,
        InvocationType: opts.async ? "Event" : "RequestResponse",
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
    if (opts.async) {
      process.stdout.write(`accepted (status ${result.StatusCode}); the local cloud prints the outcome\n`);
      return EXIT.ok;
    }
    const payload = result.Payload ? Buffer.from(result.Payload).toString("utf8") : "null";
    process.stdout.write(`${JSON.stringify(JSON.parse(payload), null, 2)}\n`);
    if (result.FunctionError) {
      process.stderr.write(`error: ${name} failed (${result.FunctionError})\n`);
      return EXIT.functionError;
    }
    return EXIT.ok;
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return err instanceof ToolInputError || /no local cloud is running/.test((err as Error).message) ? EXIT.badInput : EXIT.functionError;
  }
}

main(process.argv).then((code) => process.exit(code));
