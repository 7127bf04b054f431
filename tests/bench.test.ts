import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { costPerMillion, costPlan, CostPlan, PRICES, provisionedCost, RouteCost, variants } from "../bench/cost";
import { budgetMisses, floorSource, FunctionFigures, median, pairedRatio, quantile, sdkImports } from "../bench/measure";
import { stackGraph } from "./harness";

const fn = (overrides: Partial<FunctionFigures>): FunctionFigures => ({
  name: "f",
  bytes: 1000,
  files: 2,
  sdk: [],
  initMs: 10,
  emptyInitMs: 1,
  floorInitMs: 10,
  initRatio: { median: 1, q1: 0.95, q3: 1.05, rounds: 31 },
  ...overrides,
});
const ratio = (median: number) => ({ median, q1: median - 0.05, q3: median + 0.05, rounds: 31 });

describe("npm run bench: figures and budgets", () => {
  it("takes the median", () => {
    expect(median([5, 1, 3])).to.equal(3);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
  });

  it("passes figures within every budget", () => {
    expect(
      budgetMisses({
        functions: [fn({ name: "health", bytes: 10_000, initMs: 1.1, floorInitMs: 1, initRatio: ratio(1.2) })],
        canary: { what: "a floor with one more client", ratio: ratio(1.21) },
        previewMs: 5000,
        unitTestsMs: 30_000,
      }),
    ).to.deep.equal([]);
  });

  it("pairs each round's init with the same round's floor, and gives the quartiles of the ratios", () => {
    // Drift that slows a whole round slows both: the paired ratio stays 1.1 where the medians alone would not say so.
    expect(pairedRatio([11, 22, 33, 44, 110], [10, 20, 30, 40, 100])).to.deep.include({ median: 1.1, rounds: 5 });
    const spread = pairedRatio([10, 12, 14, 16, 18], [10, 10, 10, 10, 10]);
    expect(spread).to.deep.equal({ median: 1.4, q1: 1.2, q3: 1.6, rounds: 5 });
    expect(quantile([4, 1, 3, 2], 0.5)).to.equal(2.5);
    expect(quantile([1, 2], 0)).to.equal(1);
    expect(quantile([1, 2], 1)).to.equal(2);
    expect(() => pairedRatio([1, 2], [1])).to.throw(/one init and one floor per round/);
    expect(() => pairedRatio([], [])).to.throw(/one init and one floor per round/);
  });

  it("counts a miss only if the longer confirming measure misses too, and says when the check cannot see one", () => {
    expect(budgetMisses({ functions: [fn({ name: "a", initRatio: ratio(1.3), confirmed: ratio(1.15) })] })).to.deep.equal([]);
    expect(budgetMisses({ functions: [fn({ name: "a", initRatio: ratio(1.1), confirmed: ratio(1.25) })] })).to.have.length(1);
    expect(budgetMisses({ functions: [fn({ name: "a", initRatio: ratio(1.3), confirmed: ratio(1.25) })] })).to.deep.equal([
      "a: init is 1.25 x its SDK-only floor (31 paired rounds, quartiles 1.20-1.30), over 1.2 x: 10.0 ms against 10.0 ms (no SDK)",
    ]);
    expect(
      budgetMisses({ functions: [], canary: { what: "create-order's floor with @aws-sdk/client-s3 added", ratio: ratio(1.2) } }),
    ).to.deep.equal([
      "the init check cannot see a miss: create-order's floor with @aws-sdk/client-s3 added came out at 1.20 x (31 paired rounds, quartiles 1.15-1.25); the machine is too noisy to check init",
    ]);
  });

  it("names each missed budget with its figure", () => {
    const misses = budgetMisses({
      functions: [
        fn({ name: "health", bytes: 25_111, sdk: ["@aws-sdk/client-sqs"], initMs: 5, floorInitMs: 1, initRatio: ratio(5) }),
        fn({ name: "big", bytes: 500 * 1024 }),
      ],
      previewMs: 12_000,
      unitTestsMs: 61_000,
    });
    expect(misses).to.deep.equal([
      "health: init is 5.00 x its SDK-only floor (31 paired rounds, quartiles 4.95-5.05), over 1.2 x: 5.0 ms against 1.0 ms (@aws-sdk/client-sqs)",
      "health: bundle 24.5 KB is not under 20 KB",
      "health: loads the AWS SDK (@aws-sdk/client-sqs)",
      "big: bundle 500 KB is over 400 KB",
      "prod preview: 12.0 s is not under 10 s",
      "unit tests: 61.0 s is not under 60 s",
    ]);
  });

  it("builds the SDK-only floor from the SDK names the function's own files import, not whole packages", () => {
    const imports = sdkImports([
      'import { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nimport { GetCommand, PutCommand as Put } from "@aws-sdk/lib-dynamodb";',
      'import { ScanCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";\nimport type { Message } from "@aws-sdk/client-sqs";\nimport { fromEnv } from "@aws-sdk/credential-provider-env";',
    ]);
    expect(imports).to.deep.equal({
      "@aws-sdk/client-dynamodb": ["DynamoDBClient", "ScanCommand"],
      "@aws-sdk/lib-dynamodb": ["GetCommand", "PutCommand"],
    });
    expect(
      floorSource({ "@aws-sdk/client-sqs": ["SQSClient", "SendMessageCommand"], "@aws-sdk/client-dynamodb": ["DynamoDBClient"] }),
    ).to.equal(
      'import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";\nimport { DynamoDBClient } from "@aws-sdk/client-dynamodb";\nexport const handler = async () => [SQSClient, SendMessageCommand, DynamoDBClient].length;\n',
    );
  });
});

describe("npm run bench: IAM enforcement's cost", () => {
  const { iamRatio, IAM_THROUGHPUT_BUDGET } = require("../bench/iam") as typeof import("../bench/iam");
  it("holds --iam on to at least 90% of --iam off's throughput, on both sides of the line", () => {
    expect(IAM_THROUGHPUT_BUDGET).to.equal(0.9);
    expect(iamRatio(900, 1000)).to.deep.equal({ ratio: 0.9, withinBudget: true });
    expect(iamRatio(899, 1000)).to.deep.equal({ ratio: 0.899, withinBudget: false });
    expect(iamRatio(1100, 1000).withinBudget).to.equal(true);
    expect(iamRatio(10, 0)).to.deep.equal({ ratio: 0, withinBudget: false });
  });
});

describe("npm run bench: what a private network costs", () => {
  const { networkCost } = require("../bench/cost") as typeof import("../bench/cost");
  it("charges interface endpoints per AZ and NAT gateways per strategy every month, and the data per million requests", () => {
    const none = networkCost({ availabilityZones: 2, interfaceEndpoints: 3, natGateways: "None" }, 4);
    expect(none.monthlyFloor).to.be.closeTo(43.8, 1e-9);
    // 4 KB each way for a million requests is 7.63 GB, at $0.01 per GB through the endpoints.
    expect(none.perMillion).to.be.closeTo(0.0763, 1e-4);
    const single = networkCost({ availabilityZones: 2, interfaceEndpoints: 3, natGateways: "Single" }, 4);
    expect(single.monthlyFloor).to.be.closeTo(43.8 + 32.85, 1e-9);
    expect(single.perMillion).to.be.closeTo(0.3433, 1e-4);
    const perAz = networkCost({ availabilityZones: 3, interfaceEndpoints: 0, natGateways: "OnePerAz" }, 0);
    expect(perAz.monthlyFloor).to.be.closeTo(730 * 3 * 0.045, 1e-9);
    expect(perAz.perMillion).to.equal(0);
  });
});

describe("npm run bench: what awsx adds to an install and a type-check", () => {
  const { alternating } = require("../bench/awsx") as typeof import("../bench/awsx");
  it("measures both ways every round, alternating which goes first, and keeps each way's samples apart", () => {
    const calls: string[] = [];
    let clock = 0;
    const samples = alternating(
      3,
      () => (calls.push("without"), ++clock),
      () => (calls.push("with"), 100 + ++clock),
    );
    expect(calls).to.deep.equal(["without", "with", "with", "without", "without", "with"]);
    expect(samples).to.deep.equal({ without: [1, 4, 5], with: [102, 103, 106] });
  });
});

describe("npm run bench: cost per million requests", () => {
  let plan: CostPlan;
  before(async () => {
    plan = costPlan((await stackGraph("prod")).graph);
  });

  it("reads each route's functions, memory and architecture from the prod plan, with the queue worker a route feeds", async () => {
    expect(plan.api).to.equal("http");
    expect(plan.edge).to.equal(true);
    const byRoute = Object.fromEntries(
      plan.routes.map((r) => [r.routeKey, r.invocations.map((i) => `${i.functionName}/${i.memoryMb}/${i.architecture}/${i.via}`)]),
    );
    expect(byRoute["GET /health"]).to.deep.equal(["platform-prod-health/128/arm64/route"]);
    const queue = (await stackGraph("prod")).one("aws:sqs/queue:Queue", "process-order-queue").state.name;
    expect(byRoute["POST /orders"]).to.deep.equal([
      "platform-prod-create-order/256/arm64/route",
      `platform-prod-process-order/256/arm64/queue ${queue}`,
    ]);
    expect(byRoute["GET /orders/{orderId}"]).to.deep.equal(["platform-prod-get-order/256/arm64/route"]);
    expect(byRoute["ANY /{proxy+}"]).to.deep.equal([]);
  });

  it("prices a route: API and CloudFront per request, Lambda per request and per GB-second of billed (rounded-up) duration", () => {
    const route: RouteCost = {
      routeKey: "POST /x",
      invocations: [
        { functionName: "a", memoryMb: 512, architecture: "arm64", via: "route" },
        { functionName: "b", memoryMb: 1024, architecture: "arm64", via: "queue q" },
      ],
    };
    const durations = { a: 9.2, b: 100 };
    // a: 0.5 GB x 0.010 s; b: 1 GB x 0.100 s, per request, times a million.
    const compute = (arch: "arm64" | "x86_64") => (0.5 * 0.01 + 1 * 0.1) * PRICES.gbSecond[arch] * 1e6;
    expect(costPerMillion(route, durations, "http", "arm64", true)).to.be.closeTo(1 + 1 + 2 * 0.2 + compute("arm64"), 1e-9);
    expect(costPerMillion(route, durations, "rest", "x86_64", false)).to.be.closeTo(3.5 + 2 * 0.2 + compute("x86_64"), 1e-9);
    expect(() => costPerMillion(route, { a: 1 }, "http", "arm64", true)).to.throw("no warm duration measured for b (route POST /x)");
  });

  it("reads prod's provisioned concurrency: each function's instances, its auto scaling bound, memory and architecture", () => {
    expect(plan.provisioned.map((p) => [p.functionName, p.min, p.max, p.memoryMb, p.architecture]).sort()).to.deep.equal([
      ["platform-prod-create-order", 2, 20, 256, "arm64"],
      ["platform-prod-get-order", 2, 20, 256, "arm64"],
      ["platform-prod-health", 1, undefined, 128, "arm64"],
    ]);
  });

  it("prices provisioned concurrency: a monthly floor for the instances, and a cheaper duration while they serve", () => {
    const cost = provisionedCost({ functionName: "f", memoryMb: 1024, architecture: "arm64", min: 2 }, 9.2);
    // 2 instances x 1 GB x 730 h, whether or not they serve.
    expect(cost.monthlyFloor).to.be.closeTo(2 * 730 * 3600 * PRICES.provisionedGbSecond.arm64, 1e-9);
    expect(cost.monthlyFloor).to.be.closeTo(17.52, 0.01);
    // A million requests of 10 ms (9.2 rounded up) at 1 GB.
    expect(cost.perMillionProvisioned).to.be.closeTo(0.2 + 0.01 * PRICES.provisionedDurationGbSecond.arm64 * 1e6, 1e-9);
    expect(cost.perMillionOnDemand).to.be.closeTo(0.2 + 0.01 * PRICES.gbSecond.arm64 * 1e6, 1e-9);
    expect(cost.perMillionProvisioned).to.be.lessThan(cost.perMillionOnDemand);
    const x86 = provisionedCost({ functionName: "f", memoryMb: 512, architecture: "x86_64", min: 1 }, 1);
    expect(x86.monthlyFloor).to.be.closeTo(0.5 * 730 * 3600 * PRICES.provisionedGbSecond.x86_64, 1e-9);
  });

  it("shows the plan's own choice first, beside REST API and x86_64", () => {
    expect(variants(plan).map((v) => v.label)).to.deep.equal([
      "HTTP API, arm64 (this plan)",
      "HTTP API, x86_64",
      "REST API, arm64",
      "REST API, x86_64",
    ]);
    const health = plan.routes.find((r) => r.routeKey === "GET /health")!;
    const [own, ...others] = variants(plan).map((v) =>
      costPerMillion(health, { "platform-prod-health": 1.5 }, v.api, v.architecture, plan.edge),
    );
    for (const other of others) expect(own).to.be.lessThan(other);
  });
});

describe("npm run test:mutation: the score per folder", () => {
  it("replaces the report's mutation section, the last, and keeps everything before it", () => {
    const { withMutationSection } = require("../bench/mutation") as typeof import("../bench/mutation");
    const report = "# Bench\n\n## Local cloud\n\nfast\n\n## Mutation score\n\nold score\n";
    expect(withMutationSection(report, "new score")).to.equal("# Bench\n\n## Local cloud\n\nfast\n\n## Mutation score\n\nnew score\n");
    expect(withMutationSection("# Bench\n\n## Local cloud\n\nfast\n", "new score")).to.equal(
      "# Bench\n\n## Local cloud\n\nfast\n\n## Mutation score\n\nnew score\n",
    );
  });

  const { scores, render } = require("../bench/mutation") as typeof import("../bench/mutation");
  const mutant = (status: string, line: number, mutatorName = "ConditionalExpression") => ({
    id: `${line}`,
    mutatorName,
    status,
    location: { start: { line, column: 1 } },
  });

  it("counts killed and timed-out mutants over every one that compiled, leaving equivalents out and naming each survivor", () => {
    const files = {
      "policy/policies.ts": {
        mutants: [
          mutant("Killed", 1),
          mutant("Timeout", 2),
          mutant("Survived", 3),
          mutant("Survived", 4, "StringLiteral"),
          mutant("CompileError", 5),
        ],
      },
      "functions/health.ts": { mutants: [mutant("NoCoverage", 9), mutant("Killed", 10)] },
    };
    const { folders, survivors } = scores(files as any, [
      { file: "policy/policies.ts", line: 4, mutator: "StringLiteral", reason: "a message no one reads" },
    ]);
    expect(folders.map((f) => [f.folder, f.killed, f.survived, f.noCoverage, f.equivalent, Number(f.score.toFixed(3))])).to.deep.equal([
      ["functions/", 1, 0, 1, 0, 0.5],
      ["policy/", 2, 1, 0, 1, 0.667],
    ]);
    expect(survivors).to.deep.equal([
      "policy/policies.ts:3 ConditionalExpression",
      "functions/health.ts:9 ConditionalExpression (no test covers it)",
    ]);
    const text = render(folders, survivors, [], "2026-11-30");
    expect(text).to.include("| functions/ | 1 | 0 | 1 | 0 | 50.0% | 85% (missed) |");
    expect(text).to.include("| policy/ | 2 | 1 | 0 | 1 | 66.7% | 85% (missed) |");
    expect(text).to.include("No mutant is judged equivalent.");
    expect(text).to.not.include("Stryker cannot watch");
  });

  it("counts a mutant a child-process test kills as killed, listed apart from the equivalents, and never as equivalent", () => {
    const files = { "policy/index.ts": { mutants: [mutant("NoCoverage", 8, "StringLiteral"), mutant("Survived", 9)] } };
    const named = [
      { file: "policy/index.ts", line: 8, mutator: "StringLiteral", reason: "the pack's name", killedBy: "tests/policy-pack.test.ts" },
      { file: "policy/index.ts", line: 9, mutator: "ConditionalExpression", reason: "no test can tell" },
    ];
    const { folders, survivors } = scores(files as any, named);
    expect(folders.map((f) => [f.killed, f.survived, f.noCoverage, f.equivalent])).to.deep.equal([[1, 0, 0, 1]]);
    expect(survivors).to.deep.equal([]);
    const text = render(folders, survivors, named, "2026-11-30");
    expect(text).to.include(
      "Equivalent mutants (no test can tell them apart):\n- policy/index.ts:9 ConditionalExpression: no test can tell\n",
    );
    expect(text).to.include(
      "Killed where Stryker cannot watch (a child process, or a module constant read before the mutant is on; each checked by hand, counted killed):\n- policy/index.ts:8 StringLiteral: the pack's name (tests/policy-pack.test.ts)",
    );
    expect(text).to.not.include("- policy/index.ts:8 StringLiteral: the pack's name\n");
  });

  it("merges every report of the folder file by file, the newer report's mutants winning, and skips the incremental files", () => {
    const { mergedReports } = require("../bench/mutation") as typeof import("../bench/mutation");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mutation-"));
    const write = (name: string, files: Record<string, unknown>, at: number) => {
      fs.writeFileSync(path.join(dir, name), JSON.stringify({ files }));
      fs.utimesSync(path.join(dir, name), at, at);
    };
    write(
      "mutation.json",
      { "policy/a.ts": { mutants: [mutant("Survived", 1)] }, "components/b.ts": { mutants: [mutant("Killed", 2)] } },
      1000,
    );
    write("policy.json", { "policy/a.ts": { mutants: [mutant("Killed", 1)] } }, 2000);
    write("incremental-policy.json", { "policy/a.ts": { mutants: [mutant("Survived", 1)] } }, 3000);
    const merged = mergedReports(dir)!;
    expect(Object.keys(merged.files).sort()).to.deep.equal(["components/b.ts", "policy/a.ts"]);
    expect(merged.files["policy/a.ts"].mutants[0].status).to.equal("Killed");
    expect(merged.newest.getTime()).to.equal(2000 * 1000);
    expect(mergedReports(path.join(dir, "missing"))).to.equal(undefined);
    fs.rmSync(dir, { recursive: true });
  });
});
