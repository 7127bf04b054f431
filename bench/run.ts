/**
 * `npm run bench [-- --check] [--runs N] [--init-runs N] [--skip-tests] [--skip-iam]`: every figure from this machine, in one run,
 * next to its baseline:
 * - per function: bundle size, artifact files, module init (fresh process, median) against an empty
 *   handler and against a bundle of only the SDK clients it uses;
 * - the prod preview's wall time, and the before and after of each speed-up of the feedback loop;
 * - the test suite's wall time (`npm test`, `npm run test:unit`);
 * - warm durations on the local cloud, and the cost per million requests of each route;
 * - what enforcing IAM costs the local cloud: --iam on's throughput over --iam off's (bench/iam.ts);
 * - the `npm run bench:local` figures, when they exist.
 * Writes bench/report.md. With --check, exits 1 naming every budget missed.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Command } from "commander";
import * as esbuild from "esbuild";
import { bundleHandler, FUNCTION_BUILD_OPTIONS } from "../components/bundle";
import { captureStack } from "../graph/capture";
import { costPerMillion, costPlan, CostPlan, networkCost, PRICES, provisionedCost, variants } from "./cost";
import { installFootprint, typecheckFootprint } from "./awsx";
import { IAM_THROUGHPUT_BUDGET, measureIam } from "./iam";
import {
  budgetMisses,
  Canary,
  commandMs,
  Figures,
  floorSource,
  FunctionFigures,
  INIT_BUDGET,
  median,
  pairedRatio,
  sdkImports,
} from "./measure";
import { warmDurations } from "./warm";

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "bench", "out");
const QUIET_SDK = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
Object.assign(process.env, QUIET_SDK);

/** Bundles `source` the way functions are bundled, into OUT/bundles/<name>/index.js. */
function bundleSource(name: string, source: string): string {
  const dir = path.join(OUT, "bundles", name);
  fs.mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, "entry.ts");
  fs.writeFileSync(entry, source);
  esbuild.buildSync({
    ...FUNCTION_BUILD_OPTIONS,
    entryPoints: [entry],
    outfile: path.join(dir, "index.js"),
    nodePaths: [path.join(ROOT, "node_modules")],
  });
  return path.join(dir, "index.js");
}

/** Milliseconds `code` takes in a fresh Node process (one sample). */
function freshProcessMs(code: string): number {
  const script = `const t=process.hrtime.bigint();${code};process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const env = { ...process.env, AWS_REGION: "eu-west-1", POWERTOOLS_LOG_LEVEL: "SILENT" };
  return Number(execFileSync(process.execPath, ["-e", script], { env, cwd: ROOT, encoding: "utf8" }));
}

const requireCode = (file: string) => `require(${JSON.stringify(file)})`;

/**
 * Milliseconds of each snippet in fresh processes, one sample per round. Each round runs every snippet
 * once, in a fresh order: the machine's drift, and whatever favours the first or last process of a
 * round, touch every figure alike, and the i-th samples of two snippets are a pair from one round.
 */
function shuffledRounds(codes: string[], rounds: number): Map<string, number[]> {
  const samples = new Map<string, number[]>(codes.map((code) => [code, []]));
  for (let round = 0; round < rounds; round++)
    for (const code of shuffled([...samples.keys()])) samples.get(code)!.push(freshProcessMs(code));
  return samples;
}

const ratioText = (r: { median: number; q1: number; q3: number }) => `${r.median.toFixed(2)}x (${r.q1.toFixed(2)}-${r.q3.toFixed(2)})`;

/** Wall time of a command that must exit 0, run in the project, the median of `runs`. */
function wallMs(command: string, args: string[], runs: number, env: Record<string, string> = {}): number {
  return median(Array.from({ length: runs }, () => commandMs(command, args, { cwd: ROOT, env })));
}

function functionFigures(rounds: number): { functions: FunctionFigures[]; canary: Canary } {
  const empty = bundleSource("empty", "export const handler = async () => ({});\n");
  const built = fs
    .readdirSync(path.join(ROOT, "functions"))
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map((file) => {
      const name = path.basename(file, ".ts");
      const bundle = bundleHandler(path.join(ROOT, "functions", file));
      const dir = path.join(OUT, "bundles", name);
      fs.mkdirSync(dir, { recursive: true });
      for (const [artifact, text] of Object.entries(bundle.files)) fs.writeFileSync(path.join(dir, artifact), text);
      const own = bundle.inputs.filter((f) => !f.split(path.sep).includes("node_modules"));
      const imports = sdkImports(own.map((f) => fs.readFileSync(f, "utf8")));
      const floor = Object.keys(imports).length ? bundleSource(`${name}-sdk-floor`, floorSource(imports)) : empty;
      return { name, bundle, file: path.join(dir, "index.js"), imports, floor };
    });
  const canary = canaryBundle(built);
  const samples = shuffledRounds(
    [...new Set([empty, canary.file, canary.floor, ...built.flatMap((b) => [b.file, b.floor])])].map(requireCode),
    rounds,
  );
  const of = (file: string) => samples.get(requireCode(file))!;
  // A ratio over the budget is measured again, twice as long, before it counts as a miss.
  const confirm = (file: string, floor: string) => {
    const again = shuffledRounds([file, floor].map(requireCode), rounds * 2);
    return pairedRatio(again.get(requireCode(file))!, again.get(requireCode(floor))!);
  };
  const functions = built.map((b): FunctionFigures => {
    const initRatio = pairedRatio(of(b.file), of(b.floor));
    return {
      name: b.name,
      bytes: Buffer.byteLength(b.bundle.files["index.js"]),
      files: Object.keys(b.bundle.files).length,
      sdk: Object.keys(b.imports),
      initMs: median(of(b.file)),
      emptyInitMs: median(of(empty)),
      floorInitMs: median(of(b.floor)),
      initRatio,
      ...(initRatio.median > INIT_BUDGET ? { confirmed: confirm(b.file, b.floor) } : {}),
    };
  });
  return {
    functions,
    canary: { what: canary.what, ratio: pairedRatio(of(canary.file), of(canary.floor)) },
  };
}

/**
 * The check's proof that it sees a miss (bench/measure.ts, Canary): the first function's SDK-only floor
 * with one more SDK client the function does not use, against that floor.
 */
function canaryBundle(built: { name: string; imports: Record<string, string[]>; floor: string }[]): {
  what: string;
  file: string;
  floor: string;
} {
  const base = built.find((b) => Object.keys(b.imports).length > 0)!;
  const extra = (
    [
      ["@aws-sdk/client-s3", ["S3Client", "GetObjectCommand"]],
      ["@aws-sdk/client-sns", ["SNSClient", "PublishCommand"]],
    ] as const
  ).find(([pkg]) => !(pkg in base.imports))!;
  const file = bundleSource(`${base.name}-canary`, floorSource({ ...base.imports, [extra[0]]: [...extra[1]] }));
  return { what: `${base.name}'s floor with ${extra[0]} added`, file, floor: base.floor };
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

interface SpeedUp {
  what: string;
  measured: string;
  beforeMs: number;
  afterMs: number;
}

const TS_NODE = ["-r", "ts-node/register/transpile-only"];
const PREVIEW = ["scripts/preview.ts", "--stack", "prod", "--json"];

/** The speed-ups of the edit-test-preview loop, each measured both ways in this run. */
function speedUps(runs: number, loadRuns: number, previewMs: number): SpeedUp[] {
  const out: SpeedUp[] = [];
  out.push({
    what: "Transpile-only TypeScript (type-checking is `npm run typecheck`, once)",
    measured: "prod preview, ts-node type-checking vs transpile-only",
    beforeMs: wallMs(process.execPath, ["-r", "ts-node/register", ...PREVIEW], 1),
    afterMs: previewMs,
  });
  out.push({
    what: "Bundles cached by content hash",
    measured: "prod preview, PLATFORM_BUNDLE_CACHE=off vs a warm cache",
    beforeMs: wallMs(process.execPath, [...TS_NODE, ...PREVIEW], runs, { PLATFORM_BUNDLE_CACHE: "off" }),
    afterMs: previewMs,
  });
  out.push({
    what: "V8's own stack-trace format while capturing",
    measured: "prod preview, PLATFORM_CAPTURE_MAPPED_TRACES=1 vs default",
    beforeMs: wallMs(process.execPath, [...TS_NODE, ...PREVIEW], runs, { PLATFORM_CAPTURE_MAPPED_TRACES: "1" }),
    afterMs: previewMs,
  });
  // @pulumi/aws: the package index against the submodules the program uses, at run time and type-check time.
  const used = fs
    .readFileSync(path.join(ROOT, "components", "aws.ts"), "utf8")
    .match(/@pulumi\/aws\/[a-zA-Z0-9]+/g)!
    .map((m) => m.slice("@pulumi/aws/".length));
  const services = used.filter((m) => m === m.toLowerCase());
  const index = `const aws=require("@pulumi/aws");for(const m of ${JSON.stringify(services)})void aws[m]`;
  const submodules = `for(const m of ${JSON.stringify(services)})require("@pulumi/aws/"+m)`;
  // awsx's package index loads its Docker and ECS parts too; components/network.ts imports only @pulumi/awsx/ec2.
  const awsxIndex = `require("@pulumi/awsx").ec2.Vpc`;
  const awsxEc2 = `require("@pulumi/awsx/ec2").Vpc`;
  const loads = shuffledRounds([index, submodules, awsxIndex, awsxEc2], loadRuns);
  out.push({
    what: "`@pulumi/awsx/ec2` submodule import (components/network.ts)",
    measured: "loading awsx's Vpc in a fresh process: the package index (with @pulumi/docker, @pulumi/docker-build) vs `@pulumi/awsx/ec2`",
    beforeMs: median(loads.get(awsxIndex)!),
    afterMs: median(loads.get(awsxEc2)!),
  });
  out.push({
    what: "`@pulumi/aws` submodule imports (components/aws.ts)",
    measured: `loading the ${services.length} services used, in a fresh process: the package index vs the submodules`,
    beforeMs: median(loads.get(index)!),
    afterMs: median(loads.get(submodules)!),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-tsc-"));
  fs.writeFileSync(path.join(dir, "index.ts"), `import * as aws from "@pulumi/aws";\nexport const bucket = new aws.s3.Bucket("b");\n`);
  fs.writeFileSync(path.join(dir, "sub.ts"), `import * as s3 from "@pulumi/aws/s3";\nexport const bucket = new s3.Bucket("b");\n`);
  const tsc = (file: string) =>
    wallMs(
      path.join(ROOT, "node_modules", ".bin", "tsc"),
      [
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "--types",
        "node",
        "--moduleResolution",
        "node",
        "--module",
        "commonjs",
        "--target",
        "es2022",
        "--baseUrl",
        ROOT,
        "--typeRoots",
        path.join(ROOT, "node_modules", "@types"),
        path.join(dir, file),
      ],
      1,
      { NODE_PATH: path.join(ROOT, "node_modules") },
    );
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  out.push({
    what: "`@pulumi/aws` submodule imports",
    measured: "type-checking a one-bucket program (pulumi/pulumi#10442): `@pulumi/aws` vs `@pulumi/aws/s3`",
    beforeMs: tsc("index.ts"),
    afterMs: tsc("sub.ts"),
  });
  fs.writeFileSync(
    path.join(dir, "awsx.ts"),
    `import * as awsx from "@pulumi/awsx";
export const vpc = new awsx.ec2.Vpc("v");
`,
  );
  fs.writeFileSync(
    path.join(dir, "awsx-ec2.ts"),
    `import * as ec2 from "@pulumi/awsx/ec2";
export const vpc = new ec2.Vpc("v");
`,
  );
  out.push({
    what: "`@pulumi/awsx/ec2` submodule import",
    measured: "type-checking a one-VPC program: `@pulumi/awsx` vs `@pulumi/awsx/ec2`",
    beforeMs: tsc("awsx.ts"),
    afterMs: tsc("awsx-ec2.ts"),
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

interface Costs {
  plan: CostPlan;
  durations: Record<string, number>;
}

async function measure(
  runs: number,
  initRuns: number,
  skipTests: boolean,
): Promise<{ figures: Figures; speedUps: SpeedUp[]; typecheckMs: number; testMs?: number; costs: Costs }> {
  const { functions, canary } = functionFigures(initRuns);
  // functionFigures bundled every handler, so the disk cache is warm for the "after" previews.
  const previewMs = wallMs(process.execPath, [...TS_NODE, ...PREVIEW], runs);
  const ups = speedUps(runs, initRuns, previewMs);
  const typecheckMs = wallMs("npm", ["run", "-s", "typecheck"], 1);
  // npm test runs its parts with run-p, which takes no mocha options; its output is not kept either way.
  const testMs = skipTests ? undefined : wallMs("npm", ["test"], 1);
  const unitTestsMs = skipTests ? undefined : wallMs("npm", ["run", "-s", "test:unit", "--", "--reporter", "dot"], 1);
  const plan = costPlan(await captureStack(ROOT, "prod"));
  ups.push(await networkCapture(runs));
  ups.push(installFootprint(2), typecheckFootprint(2));
  const durations = await warmDurations(ROOT, 30);
  return { figures: { functions, canary, previewMs, unitTestsMs }, speedUps: ups, typecheckMs, testMs, costs: { plan, durations } };
}

/**
 * What a network (awsx's Vpc, its endpoints, flow logs and groups) adds to capturing the prod stack, in
 * this process after a first capture of each has loaded every module: the two alternate, run by run.
 */
async function networkCapture(runs: number): Promise<SpeedUp> {
  const network = { "platform:network": JSON.stringify({ create: {}, functions: ["get-order", "process-order"] }) };
  const timed = async (overrides: Record<string, string>) => {
    const started = performance.now();
    await captureStack(ROOT, "prod", overrides);
    return performance.now() - started;
  };
  await timed(network);
  const [plain, withNetwork]: number[][] = [[], []];
  for (let i = 0; i < Math.max(3, runs); i++) {
    plain.push(await timed({}));
    withNetwork.push(await timed(network));
  }
  return {
    what: "Private networking in the capture (components/network.ts, awsx's Vpc as one remote node)",
    measured: "capturing the prod stack in one process, without `network` vs with `network: { create }` and two functions in it",
    beforeMs: median(plain),
    afterMs: median(withNetwork),
  };
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const msText = (ms: number) => (ms >= 1000 ? s(ms) : `${ms.toFixed(1)} ms`);
const dollars = (n: number) => `$${n.toFixed(2)}`;

function costSection({ plan, durations }: Costs): string[] {
  const priced = variants(plan);
  const rows = plan.routes.map((route) => {
    const runs =
      route.invocations
        .map(
          (i) =>
            `${i.functionName.replace(/^platform-prod-/, "")} (${i.memoryMb} MB, ${durations[i.functionName]?.toFixed(1)} ms${i.via === "route" ? "" : `, via ${i.via}`})`,
        )
        .join(" + ") || "none (passthrough)";
    return `| \`${route.routeKey}\` | ${runs} | ${priced.map((v) => dollars(costPerMillion(route, durations, v.api, v.architecture, plan.edge))).join(" | ")} |`;
  });
  return [
    "## Cost per million requests",
    "",
    `From the prod plan: each route's function (and the queue worker it feeds, one invocation per message), its memory and architecture, and its warm duration measured just now on the local cloud running the prod stack (median of 30 requests; Lambda bills it rounded up to the millisecond). ` +
      `Prices: Lambda $${PRICES.lambdaRequestPerMillion} per million requests and $${PRICES.gbSecond.arm64} (arm64) or $${PRICES.gbSecond.x86_64} (x86_64) per GB-second; HTTP API $${PRICES.apiPerMillion.http.toFixed(2)} and REST API $${PRICES.apiPerMillion.rest.toFixed(2)} per million; ${plan.edge ? `CloudFront $${PRICES.cloudFrontPerMillion.toFixed(2)} per million HTTPS requests.` : "no CloudFront in this plan."} ` +
      "DynamoDB, SQS, logs and data transfer are left out: they are the same in every column. The x86_64 columns assume the same duration.",
    "",
    `| route | runs | ${priced.map((v) => v.label).join(" | ")} |`,
    `|---|---|${priced.map(() => "---").join("|")}|`,
    ...rows,
    ...provisionedSection(plan, durations),
    ...networkSection(),
  ];
}

/** Private networking's price, for each NAT strategy over the default network (two AZs, three interface endpoints). */
function networkSection(): string[] {
  const shapes = (["None", "Single", "OnePerAz"] as const).map((natGateways) => ({
    availabilityZones: 2,
    interfaceEndpoints: 3,
    natGateways,
  }));
  return [
    "",
    "### Private networking (`network`)",
    "",
    `A network made with \`network: { create }\`: two AZs, gateway endpoints for DynamoDB and S3 (free), and interface endpoints for SQS, KMS and Logs at $${PRICES.interfaceEndpointHour} per AZ-hour and $${PRICES.interfaceEndpointGb} per GB; a NAT gateway $${PRICES.natGatewayHour} per hour and $${PRICES.natGatewayGb} per GB. The per-million column is the data of a million requests of 4 KB each way through the endpoints (or the NAT gateway); Lambda, the API and CloudFront cost per request what the table above says.`,
    "",
    "| NAT gateways | monthly floor | per million requests (4 KB each way) |",
    "|---|---|---|",
    ...shapes.map((shape) => {
      const cost = networkCost(shape, 4);
      return `| ${shape.natGateways} | ${dollars(cost.monthlyFloor)} | ${dollars(cost.perMillion)} |`;
    }),
  ];
}

/** Provisioned concurrency's price: a floor paid every month, against a cheaper duration while it serves. */
function provisionedSection(plan: CostPlan, durations: Record<string, number>): string[] {
  if (plan.provisioned.length === 0) return [];
  const rows = plan.provisioned.map((p) => {
    const ms = durations[p.functionName];
    const cost = provisionedCost(p, ms ?? 0);
    return `| ${p.functionName.replace(/^platform-prod-/, "")} | ${p.min}${p.max ? ` (up to ${p.max})` : ""} | ${p.memoryMb} MB, ${p.architecture} | ${dollars(cost.monthlyFloor)} | ${dollars(cost.perMillionProvisioned)} | ${dollars(cost.perMillionOnDemand)} |`;
  });
  return [
    "",
    "### Provisioned concurrency (prod)",
    "",
    `Each function's live alias keeps \`min\` instances initialized all month (730 hours) at $${PRICES.provisionedGbSecond.arm64} (arm64) or $${PRICES.provisionedGbSecond.x86_64} (x86_64) per GB-second, whether or not they serve; requests they serve pay $${PRICES.provisionedDurationGbSecond.arm64} (arm64) or $${PRICES.provisionedDurationGbSecond.x86_64} per GB-second of duration instead of the on-demand price. Auto scaling's instances above \`min\` cost the same per second while they exist. The per-million columns use the warm durations above; the API and CloudFront are priced in the table above.`,
    "",
    "| function | instances | memory | monthly floor | per million, provisioned | per million, on demand |",
    "|---|---|---|---|---|---|",
    ...rows,
  ];
}

function report(
  m: Awaited<ReturnType<typeof measure>> & { iam?: Awaited<ReturnType<typeof measureIam>> },
  runs: number,
  initRuns: number,
  misses: string[],
): string {
  const { figures } = m;
  const local = path.join(OUT, "local.md");
  return [
    `# Benchmark report (${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores)`,
    "",
    `Every figure is from this machine in this run. Init figures are medians of ${initRuns} fresh processes each; wall times are medians of ${runs} runs unless a line says one run. Reproduce with \`npm run bench\`; \`npm run bench -- --check\` checks the budgets.`,
    "",
    "## Functions",
    "",
    `Init is the time to load the bundle in a fresh Node process. The SDK-only floor is a bundle of only the SDK clients and commands the function's own files import, built the same way. Each round loads every bundle once, in a shuffled order. The budget (${INIT_BUDGET} x) is checked on init / floor taken round by round: the median of the rounds' ratios, with their quartiles; a ratio over it is measured again with twice the rounds, and only a confirmed one is a miss.`,
    "",
    "| function | bundle | files | SDK clients | init | empty handler | SDK-only floor | init / floor (paired, quartiles) |",
    "|---|---|---|---|---|---|---|---|",
    ...figures.functions.map(
      (f) =>
        `| ${f.name} | ${(f.bytes / 1024).toFixed(1)} KB | ${f.files} | ${f.sdk.join(", ") || "none"} | ${f.initMs.toFixed(1)} ms | ${f.emptyInitMs.toFixed(1)} ms | ${f.floorInitMs.toFixed(1)} ms | ${ratioText(f.initRatio)}${f.confirmed ? `; confirmed ${ratioText(f.confirmed)}` : ""} |`,
    ),
    "",
    figures.canary
      ? `The check's own test: ${figures.canary.what}, against that floor, came out at ${ratioText(figures.canary.ratio)}: ${figures.canary.ratio.median > INIT_BUDGET ? "over the budget, so the check sees a bundle that carries more than it needs" : "within the budget, so this run's init figures are too noisy to check"}.`
      : "",
    "",
    "## The feedback loop",
    "",
    `- Prod preview (\`npm run preview -- --stack prod --json\`): ${s(figures.previewMs!)}.`,
    `- Type-check (\`npm run typecheck\`, one run): ${s(m.typecheckMs)}.`,
    m.testMs !== undefined
      ? `- \`npm test\` (type-check, lint and every test including the local cloud's, the halves side by side; one run): ${s(m.testMs)}.`
      : "- `npm test`: not measured (--skip-tests).",
    figures.unitTestsMs !== undefined
      ? `- Unit tests alone (\`npm run test:unit\`, one run): ${s(figures.unitTestsMs)}.`
      : "- Unit tests: not measured (--skip-tests).",
    "",
    "| speed-up (or, for an added feature, its cost) | measured as | before | after | after / before |",
    "|---|---|---|---|---|",
    ...m.speedUps.map(
      (u) => `| ${u.what} | ${u.measured} | ${msText(u.beforeMs)} | ${msText(u.afterMs)} | ${(u.afterMs / u.beforeMs).toFixed(2)} |`,
    ),
    "",
    ...costSection(m.costs),
    "",
    "## Budgets",
    "",
    misses.length
      ? misses.map((miss) => `- missed: ${miss}`).join("\n")
      : "- all met: each init within 1.2x its SDK-only floor, health under 20 KB with no SDK, no bundle over 400 KB, prod preview under 10 s" +
        (figures.unitTestsMs !== undefined ? ", unit tests under 60 s" : ""),
    "",
    "## IAM enforcement in the local cloud",
    "",
    m.iam ? m.iam.report : "Not measured (--skip-iam); `npm run bench:iam` measures it alone.",
    "",
    fs.existsSync(local)
      ? `## Local cloud\n\n${fs.readFileSync(local, "utf8").split("\n").slice(2).join("\n")}`
      : "## Local cloud\n\nRun `npm run bench:local` for its figures.",
    "",
    fs.existsSync(MUTATION)
      ? `## Mutation score\n\n${fs.readFileSync(MUTATION, "utf8")}`
      : "## Mutation score\n\nRun `npm run test:mutation` for the score per folder.",
  ].join("\n");
}

/** Written by `npm run test:mutation` (bench/mutation.ts). */
const MUTATION = path.join(ROOT, "bench", "mutation.md");

async function main(): Promise<number> {
  const opts = new Command("bench")
    .option("--check", "exit 1 when a budget is missed", false)
    .option("--runs <n>", "repetitions of each wall-time figure (previews, module loads)", "3")
    .option("--init-runs <n>", "fresh processes per init figure", "31")
    .option("--skip-tests", "do not time `npm test` and the unit tests (about two minutes)", false)
    .option("--skip-iam", "do not measure IAM enforcement's cost in the local cloud (about a minute)", false)
    .parse(process.argv)
    .opts<{ check: boolean; runs: string; initRuns: string; skipTests: boolean; skipIam: boolean }>();
  const counts: Record<string, string> = { "--runs": opts.runs, "--init-runs": opts.initRuns };
  for (const [flag, value] of Object.entries(counts)) {
    if (!/^[1-9][0-9]*$/.test(value)) {
      process.stderr.write(`error: ${flag} must be a positive integer (got "${value}")\n`);
      return 2;
    }
  }
  const [runs, initRuns] = [Number(opts.runs), Number(opts.initRuns)];
  const measured = { ...(await measure(runs, initRuns, opts.skipTests)), iam: opts.skipIam ? undefined : await measureIam(10, 3) };
  const misses = budgetMisses(measured.figures);
  if (measured.iam && !measured.iam.withinBudget)
    misses.push(
      `--iam on kept ${(100 * measured.iam.ratio).toFixed(1)}% of --iam off's throughput; the budget is ${100 * IAM_THROUGHPUT_BUDGET}%`,
    );
  const text = report(measured, runs, initRuns, misses);
  fs.writeFileSync(path.join(ROOT, "bench", "report.md"), text + "\n");
  process.stdout.write(text + "\n");
  if (opts.check && misses.length > 0) {
    process.stderr.write(`${misses.length} budget(s) missed:\n${misses.map((miss) => `  ${miss}`).join("\n")}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
