/**
 * `npm run bench [-- --check] [--runs N] [--with-tests]`: per-function bundle size, artifact files and
 * module init time (fresh process, median) against an empty handler and an SDK-only floor bundled the
 * same way; the prod preview's wall time; with --with-tests, the unit tests' wall time. Writes
 * bench/report.md. With --check, exits 1 naming every budget missed.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Command } from "commander";
import * as esbuild from "esbuild";
import { bundleHandler, bundleInputs, FUNCTION_BUILD_OPTIONS } from "../components/bundle";
import { budgetMisses, Figures, FunctionFigures, median, sdkPackages } from "./measure";

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "bench", "out");

/** Bundles `source` the way functions are bundled, into OUT/<name>/index.js. */
function bundleSource(name: string, source: string): string {
  const dir = path.join(OUT, "bundles", name);
  fs.mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, "entry.ts");
  fs.writeFileSync(entry, source);
  esbuild.buildSync({ ...FUNCTION_BUILD_OPTIONS, entryPoints: [entry], outfile: path.join(dir, "index.js"), nodePaths: [path.join(ROOT, "node_modules")] });
  return path.join(dir, "index.js");
}

/** Milliseconds to require `file` in a fresh Node process, the median of `runs`. */
function initMs(file: string, runs: number): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const env = { ...process.env, AWS_REGION: "eu-west-1", POWERTOOLS_LOG_LEVEL: "SILENT", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  return median(Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ["-e", script], { env, encoding: "utf8" }))));
}

function wallMs(command: string, args: string[], runs: number): number {
  return median(
    Array.from({ length: runs }, () => {
      const started = process.hrtime.bigint();
      const result = spawnSync(command, args, { cwd: ROOT, stdio: "ignore", env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } });
      if (result.status !== 0 && result.status !== 1) throw new Error(`${command} ${args.join(" ")} exited ${result.status}`);
      return Number(process.hrtime.bigint() - started) / 1e6;
    }),
  );
}

function measure(runs: number, withTests: boolean): Figures {
  const empty = bundleSource("empty", "export const handler = async () => ({});\n");
  const emptyInitMs = initMs(empty, runs);
  const functions: FunctionFigures[] = [];
  for (const file of fs.readdirSync(path.join(ROOT, "functions")).filter((f) => f.endsWith(".ts")).sort()) {
    const name = path.basename(file, ".ts");
    const bundle = bundleHandler(path.join(ROOT, "functions", file));
    const dir = path.join(OUT, "bundles", name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [artifact, text] of Object.entries(bundle.files)) fs.writeFileSync(path.join(dir, artifact), text);
    const sdk = sdkPackages(bundleInputs(bundle));
    const floor = sdk.length
      ? bundleSource(`${name}-sdk-floor`, sdk.map((p, i) => `import * as m${i} from "${p}";`).join("\n") + `\nexport const handler = async () => [${sdk.map((_, i) => `m${i}`).join(", ")}].length;\n`)
      : empty;
    functions.push({
      name,
      bytes: Buffer.byteLength(bundle.files["index.js"]),
      files: Object.keys(bundle.files).length,
      sdk,
      initMs: initMs(path.join(dir, "index.js"), runs),
      emptyInitMs,
      floorInitMs: sdk.length ? initMs(floor, runs) : emptyInitMs,
    });
  }
  const previewMs = wallMs(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/preview.ts", "--stack", "prod", "--json"], 3);
  const unitTestsMs = withTests ? wallMs(process.execPath, [path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js"), "--reporter", "dot"], 1) : undefined;
  return { functions, previewMs, unitTestsMs };
}

function report(figures: Figures, runs: number, misses: string[]): string {
  const local = path.join(OUT, "local.md");
  return [
    `# Benchmark report (${new Date().toISOString()}, node ${process.version})`,
    "",
    `Medians of ${runs} fresh-process runs on this machine. Reproduce with \`npm run bench\`; \`npm run bench -- --check\` checks the budgets.`,
    "",
    "| function | bundle | files | SDK clients | init | empty handler | SDK-only floor | init / floor |",
    "|---|---|---|---|---|---|---|---|",
    ...figures.functions.map(
      (f) =>
        `| ${f.name} | ${(f.bytes / 1024).toFixed(1)} KB | ${f.files} | ${f.sdk.join(", ") || "none"} | ${f.initMs.toFixed(1)} ms | ${f.emptyInitMs.toFixed(1)} ms | ${f.floorInitMs.toFixed(1)} ms | ${(f.initMs / f.floorInitMs).toFixed(2)}x |`,
    ),
    "",
    `Prod preview (\`npm run preview -- --stack prod --json\`): ${(figures.previewMs! / 1000).toFixed(2)} s, median of 3.`,
    figures.unitTestsMs !== undefined ? `Test suite (mocha, one run): ${(figures.unitTestsMs / 1000).toFixed(1)} s.` : "Test suite: not measured (--with-tests).",
    "",
    "## Budgets",
    "",
    misses.length ? misses.map((m) => `- missed: ${m}`).join("\n") : "- all met",
    "",
    fs.existsSync(local) ? `## Local cloud\n\n${fs.readFileSync(local, "utf8").split("\n").slice(2).join("\n")}` : "## Local cloud\n\nRun `npm run bench:local` for its figures.",
  ].join("\n");
}

function main(): number {
  const opts = new Command("bench")
    .option("--check", "exit 1 when a budget is missed", false)
    .option("--runs <n>", "fresh-process repetitions per init figure", "7")
    .option("--with-tests", "also time the test suite (about two minutes)", false)
    .parse(process.argv)
    .opts<{ check: boolean; runs: string; withTests: boolean }>();
  const runs = Number(opts.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`error: --runs must be a positive integer (got "${opts.runs}")\n`);
    return 2;
  }
  const figures = measure(runs, opts.withTests);
  const misses = budgetMisses(figures);
  const text = report(figures, runs, misses);
  fs.writeFileSync(path.join(ROOT, "bench", "report.md"), text + "\n");
  process.stdout.write(text + "\n");
  if (opts.check && misses.length > 0) {
    process.stderr.write(`${misses.length} budget(s) missed:\n${misses.map((m) => `  ${m}`).join("\n")}\n`);
    return 1;
  }
  return 0;
}

process.exit(main());
