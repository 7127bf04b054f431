/**
 * `npm run logs -- <function> [--stack <name> | --local] [--since 10m] [--follow] [--filter <pattern>]`
 * Tails a function's logs: CloudWatch Logs for a deployed stack (FilterLogEvents for what is there, then
 * with --follow StartLiveTail's stream, ops/live-tail.ts), or the local cloud's log stream. JSON lines are pretty-printed and errors highlighted.
 *
 * `npm run logs -- --trace <id> [--stack <name> | --local] [--since 1h]` prints every line of one request
 * across every function, in time order, each with its function's name: the lines whose `xray_trace_id`
 * is the trace's id (a queue worker's lines about a message carry the trace of the request that sent it).
 * Exit status: 0, 2 for bad arguments or an unknown function, 3 for an AWS error.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { Command } from "commander";
import { color } from "../local/console";
import { functionNamed } from "../local/function-names";
import { liveTail, logGroupArn } from "../ops/live-tail";
import { resolveTarget, stackOf, ToolInputError } from "../ops/target";
import { parseArguments, reportToolError, withTargetOptions } from "./cli";

interface Options {
  stack: string;
  local: boolean;
  since: string;
  follow: boolean;
  filter?: string;
  trace?: string;
  outputs?: string;
  program: string;
}

/** An X-Ray trace id (`1-5759e988-bd862e3fe1be46a994272793`), also read from a whole header (`Root=...;Parent=...`). */
function traceIdOf(text: string): string {
  const root = /(?:^|;)\s*Root=([^;]+)/.exec(text)?.[1] ?? text.trim();
  if (!/^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(root))
    throw new ToolInputError(`--trace takes an X-Ray trace id like 1-5759e988-bd862e3fe1be46a994272793 (got "${text}")`);
  return root;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseSince(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (!match) throw new ToolInputError(`--since takes a duration like 30s, 10m, 2h or 1d (got "${text}")`);
  return Date.now() - Number(match[1]) * UNITS[match[2]];
}

/** One log line for a terminal: a JSON line as time, level, message and the rest; errors in red. */
function pretty(timestamp: number, message: string): string {
  const time = color.dim(new Date(timestamp).toISOString().slice(11, 23));
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(message);
  } catch {
    return `${time} ${/error|exception|timed out/i.test(message) ? color.red(message) : message}`;
  }
  const { level, message: text, timestamp: _t, ...rest } = entry as Record<string, any>;
  for (const noise of ["service", "sampling_rate", "function_arn", "function_memory_size", "function_name"]) delete rest[noise];
  const isError = level === "ERROR" || rest.outcome === "error";
  const head = `${String(level ?? "").padEnd(5)} ${text ?? ""}`;
  return `${time} ${isError ? color.red(head) : head} ${color.dim(JSON.stringify(rest))}`;
}

function matches(filter: string | undefined, message: string): boolean {
  if (!filter) return true;
  const regex = /^\/(.+)\/$/.exec(filter);
  return regex ? new RegExp(regex[1]).test(message) : message.includes(filter);
}

async function tailLocal(opts: Options, ref: string, since: number): Promise<void> {
  const target = resolveTarget(opts);
  const url = `${target.local!.lambdaEndpoint}/_local/logs/${encodeURIComponent(ref)}?since=${since}${opts.follow ? "&follow=1" : ""}`;
  const res = await fetch(url);
  if (res.status === 404) throw new ToolInputError(((await res.json()) as { message: string }).message);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let partial = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    partial += decoder.decode(value, { stream: true });
    const lines = partial.split("\n");
    partial = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const { timestamp, message } = JSON.parse(line) as { timestamp: number; message: string };
      if (matches(opts.filter, message)) process.stdout.write(pretty(timestamp, message) + "\n");
    }
  }
}

/** One request's lines, each with the short name of the function that wrote it. */
function printTraced(lines: { timestamp: number; functionName: string; message: string }[]): void {
  const width = Math.max(0, ...lines.map((l) => l.functionName.length));
  for (const line of lines) process.stdout.write(`${color.dim(line.functionName.padEnd(width))} ${pretty(line.timestamp, line.message)}\n`);
  if (lines.length === 0) process.stdout.write("no line carries this trace id in that time (--since widens it)\n");
}

async function traceLocal(opts: Options, traceId: string, since: number): Promise<void> {
  const target = resolveTarget(opts);
  const res = await fetch(`${target.local!.lambdaEndpoint}/_local/traces/${traceId}?since=${since}`);
  const text = await res.text();
  printTraced(
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
}

/** Every function's log group, filtered on the JSON field, merged by time: CloudWatch Logs keeps a group per function. */
async function traceCloud(opts: Options, traceId: string, since: number): Promise<void> {
  const target = resolveTarget(opts);
  const names: string[] = Object.values(target.outputs.functionNames ?? {});
  const client = new CloudWatchLogsClient(target.client("logs"));
  const lines: { timestamp: number; functionName: string; message: string }[] = [];
  for (const name of names)
    for await (const event of filteredEvents(client, `/aws/lambda/${name}`, since, `{ $.xray_trace_id = "${traceId}" }`))
      lines.push({ ...event, functionName: name });
  printTraced(lines.sort((a, b) => a.timestamp - b.timestamp));
}

/** Every event of a log group since `since` that `filterPattern` matches, page after page as they come. */
async function* filteredEvents(
  client: CloudWatchLogsClient,
  logGroupName: string,
  since: number,
  filterPattern: string | undefined,
): AsyncGenerator<{ timestamp: number; message: string }> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(new FilterLogEventsCommand({ logGroupName, startTime: since, filterPattern, nextToken }));
    for (const event of page.events ?? []) yield { timestamp: event.timestamp!, message: event.message!.trimEnd() };
    nextToken = page.nextToken;
  } while (nextToken);
}

async function tailCloud(opts: Options, ref: string, since: number): Promise<void> {
  const target = resolveTarget(opts);
  const names: string[] = Object.values(target.outputs.functionNames ?? {});
  const name = functionNamed(names, ref);
  if (!name) throw new ToolInputError(`no function "${ref}" in stack ${opts.stack}; functions: ${names.join(", ")}`);
  const client = new CloudWatchLogsClient(target.client("logs"));
  const group = `/aws/lambda/${name}`;
  for await (const event of filteredEvents(client, group, since, opts.filter))
    process.stdout.write(pretty(event.timestamp, event.message) + "\n");
  if (!opts.follow) return;
  // From here on, lines as they are ingested (StartLiveTail) until Ctrl-C.
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  await liveTail(
    client,
    [await logGroupArn(client, group)],
    opts.filter,
    (line) => process.stdout.write(pretty(line.timestamp, line.message) + "\n"),
    stop.signal,
  );
}

async function main(argv: string[]): Promise<number> {
  const program = withTargetOptions(new Command("logs"))
    .description("Tail a function's logs, in AWS or in the local cloud")
    .argument("[function]", "function name, full (platform-dev-create-order) or short (create-order)")
    .option("--since <duration>", "how far back to start: 30s, 10m, 2h, 1d", "10m")
    .option("-f, --follow", "keep printing new lines", false)
    .option("--filter <pattern>", "only matching lines (CloudWatch filter pattern in AWS; text or /regex/ locally)")
    .option("--trace <id>", "every function's lines of one request (its X-Ray trace id), in time order");
  const parsed = parseArguments(program, argv);
  if (parsed !== undefined) return parsed;
  const opts = program.opts<Options>();
  try {
    opts.stack = stackOf(opts);
    const since = parseSince(opts.since);
    const ref = program.args[0];
    if (opts.trace !== undefined) {
      if (ref !== undefined || opts.follow || opts.filter !== undefined)
        throw new ToolInputError("--trace reads one request across every function: give it no function, --follow or --filter");
      const traceId = traceIdOf(opts.trace);
      await (opts.local ? traceLocal(opts, traceId, since) : traceCloud(opts, traceId, since));
      return 0;
    }
    if (ref === undefined) throw new ToolInputError("name a function (or --trace <id> for one request across every function)");
    await (opts.local ? tailLocal(opts, ref, since) : tailCloud(opts, ref, since));
    return 0;
  } catch (err) {
    return reportToolError(err);
  }
}

main(process.argv).then((code) => process.exit(code));
