/**
 * `npm run bench:iam`: what enforcing IAM costs the local cloud, as a ratio measured in one run: POST
 * /orders (a DynamoDB write and an SQS send per request, each authorized through the IAM proxy when on,
 * and the worker's polling behind them) from autocannon, in turns with `--iam on` and `--iam off`. The
 * ratio is on's requests per second over off's, summed over the turns. Budget: at least 0.9.
 * Options: --duration <s> (10 per turn), --turns <n> (3 per mode). Writes bench/out/iam.md.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import autocannon = require("autocannon");
import { Command } from "commander";
import { freePort, ROOT } from "../tests/local/harness";

/** The least share of --iam off's throughput that --iam on must keep. */
export const IAM_THROUGHPUT_BUDGET = 0.9;

const ORDER = JSON.stringify({ customerId: "bench", items: [{ sku: "SKU-1", quantity: 1 }] });

async function startCloud(iam: "on" | "off"): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      path.join(ROOT, "scripts", "start.ts"),
      "--stack",
      "dev",
      "--iam",
      iam,
      "--quiet",
      "--no-watch",
    ],
    { cwd: ROOT, env: { ...process.env, PORT: String(port), NO_COLOR: "1" }, stdio: ["ignore", fs.openSync("/dev/null", "w"), "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let ready = false; !ready;) {
    if (child.exitCode !== null) throw new Error(`the local cloud (--iam ${iam}) exited with ${child.exitCode}`);
    ready = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url };
}

async function orders(url: string, seconds: number): Promise<{ requests: number; non2xx: number }> {
  const result = await autocannon({
    url: `${url}/orders`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: ORDER,
    connections: 10,
    duration: seconds,
  });
  return { requests: result.requests.total, non2xx: result.non2xx + result.errors + result.timeouts };
}

/** The ratio line and whether it is within budget. */
export function iamRatio(on: number, off: number): { ratio: number; withinBudget: boolean } {
  const ratio = off > 0 ? on / off : 0;
  return { ratio, withinBudget: ratio >= IAM_THROUGHPUT_BUDGET };
}

/**
 * Runs the comparison: `turns` turns per mode of `seconds` each. Each turn has a fresh local cloud to
 * itself (started, warmed, loaded, stopped), so no mode works off another's queue backlog, and the
 * modes alternate which goes first, so the machine's drift falls on both alike.
 */
export async function measureIam(
  seconds: number,
  turns: number,
): Promise<{ report: string; ratio: number; withinBudget: boolean; failedRequests: number }> {
  const totals = { on: { requests: 0, non2xx: 0 }, off: { requests: 0, non2xx: 0 } };
  const rows: string[] = [];
  for (let turn = 1; turn <= turns; turn++) {
    for (const mode of turn % 2 ? (["off", "on"] as const) : (["on", "off"] as const)) {
      const cloud = await startCloud(mode);
      try {
        await orders(cloud.url, 3);
        const result = await orders(cloud.url, seconds);
        totals[mode].requests += result.requests;
        totals[mode].non2xx += result.non2xx;
        rows.push(`| ${turn} | --iam ${mode} | ${Math.round(result.requests / seconds)} | ${result.non2xx} |`);
      } finally {
        cloud.child.kill("SIGINT");
        await new Promise((resolve) => cloud.child.once("exit", resolve));
      }
    }
  }
  const { ratio, withinBudget } = iamRatio(totals.on.requests, totals.off.requests);
  const report = [
    `POST /orders, autocannon, 10 connections, ${seconds} s per turn after 3 s of warm-up; each turn on a fresh local cloud of the dev stack, the modes alternating which goes first.`,
    "",
    "| turn | mode | req/s | non-2xx |",
    "|---|---|---|---|",
    ...rows,
    "",
    `--iam on kept ${(100 * ratio).toFixed(1)}% of --iam off's throughput (budget: at least ${100 * IAM_THROUGHPUT_BUDGET}%): ${withinBudget ? "within budget" : "OVER BUDGET"}.`,
  ].join("\n");
  return { report, ratio, withinBudget, failedRequests: totals.on.non2xx + totals.off.non2xx };
}

async function main(): Promise<void> {
  const opts = new Command("bench:iam")
    .option("--duration <s>", "seconds per turn", "10")
    .option("--turns <n>", "turns per mode", "3")
    .parse(process.argv)
    .opts<{ duration: string; turns: string }>();
  const result = await measureIam(Number(opts.duration), Number(opts.turns));
  const report = `# IAM enforcement in the local cloud (${new Date().toISOString()}, node ${process.version}, ${require("os").cpus().length} cores)\n\n${result.report}\n`;
  process.stdout.write(report);
  fs.mkdirSync(path.join(ROOT, "bench", "out"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, "bench", "out", "iam.md"), report);
  if (!result.withinBudget || result.failedRequests > 0) process.exitCode = 1;
}

if (require.main === module)
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err) => {
      process.stderr.write(`error: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
