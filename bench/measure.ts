/** What `npm run bench` measures and checks, kept apart from the runner so the budgets can be tested. */
import { spawnSync } from "child_process";

/** Wall time of one run of a command that must exit 0; its output is dropped, and its stderr's end quoted if it fails. */
export function commandMs(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...options.env },
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} (in ${options.cwd}) exited ${result.status}: ${String(result.stderr).slice(-2000)}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * The SDK names a function's own source files import (clients and commands), by package, from
 * their `import { ... } from "@aws-sdk/..."` statements; type-only imports load nothing and are
 * left out. The SDK-only floor imports exactly these: what the function cannot avoid loading to
 * make its calls, and nothing of its own.
 */
export function sdkImports(sources: string[]): Record<string, string[]> {
  const found: Record<string, Set<string>> = {};
  for (const text of sources) {
    for (const match of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+"(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))"/g)) {
      if (match[1]) continue;
      const names = match[2]
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n && !n.startsWith("type "));
      for (const name of names) (found[match[3]] ??= new Set()).add(name.split(/\s+as\s+/)[0]);
    }
  }
  return Object.fromEntries(
    Object.entries(found)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([pkg, names]) => [pkg, [...names].sort()]),
  );
}

/** The source of the SDK-only floor: an empty handler that imports `clients` (package to class names). */
export function floorSource(clients: Record<string, string[]>): string {
  const names = Object.values(clients).flat();
  const imports = Object.entries(clients).map(([pkg, classes]) => `import { ${classes.join(", ")} } from "${pkg}";`);
  return `${imports.join("\n")}\nexport const handler = async () => [${names.join(", ")}].length;\n`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value below which a share `q` (0 to 1) of `values` lies, interpolated between neighbours. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
}

/** A bundle's init over its floor's, taken round by round: each round loads both, so drift touches both alike. */
export interface PairedRatio {
  median: number;
  /** The first and third quartiles of the rounds' ratios: the spread the check has to see past. */
  q1: number;
  q3: number;
  rounds: number;
}

/** Pairs the i-th sample of `inits` with the i-th of `floors` (the same round) and sums up their ratios. */
export function pairedRatio(inits: number[], floors: number[]): PairedRatio {
  if (inits.length !== floors.length || inits.length === 0) throw new Error("paired samples need one init and one floor per round");
  const ratios = inits.map((init, i) => init / floors[i]);
  return { median: median(ratios), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75), rounds: ratios.length };
}

/** A function's init may be at most this many times its SDK-only floor's. */
export const INIT_BUDGET = 1.2;

export interface FunctionFigures {
  name: string;
  bytes: number;
  files: number;
  sdk: string[];
  initMs: number;
  /** Init of an empty handler bundled the same way. */
  emptyInitMs: number;
  /** Init of a bundle of only the SDK clients the function uses (the empty handler's when it uses none). */
  floorInitMs: number;
  /** Init over the floor, paired per round: what the budget is checked on. */
  initRatio: PairedRatio;
  /** Set when a first measure missed the budget and a longer one was run to confirm it: that one's ratio. */
  confirmed?: PairedRatio;
}

/**
 * The check's own proof that it can see a miss: a bundle of a function's floor plus one more SDK client,
 * measured in the same rounds. If its ratio does not clear the budget, the machine is too noisy for the
 * init figures to be checked at all.
 */
export interface Canary {
  what: string;
  ratio: PairedRatio;
}

export interface Figures {
  functions: FunctionFigures[];
  canary?: Canary;
  previewMs?: number;
  /** `npm run test:unit`: the tests that start no emulator process. */
  unitTestsMs?: number;
}

/** The budgets: each miss names the figure that missed. */
export function budgetMisses(figures: Figures): string[] {
  const misses: string[] = [];
  const spread = (r: PairedRatio) => `${r.rounds} paired rounds, quartiles ${r.q1.toFixed(2)}-${r.q3.toFixed(2)}`;
  if (figures.canary && figures.canary.ratio.median <= INIT_BUDGET)
    misses.push(
      `the init check cannot see a miss: ${figures.canary.what} came out at ${figures.canary.ratio.median.toFixed(2)} x (${spread(figures.canary.ratio)}); the machine is too noisy to check init`,
    );
  for (const f of figures.functions) {
    // A miss stands only if the longer confirming measure, when one was run, misses too.
    const ratio = f.confirmed ?? f.initRatio;
    if (ratio.median > INIT_BUDGET)
      misses.push(
        `${f.name}: init is ${ratio.median.toFixed(2)} x its SDK-only floor (${spread(ratio)}), over ${INIT_BUDGET} x: ${f.initMs.toFixed(1)} ms against ${f.floorInitMs.toFixed(1)} ms (${f.sdk.join(", ") || "no SDK"})`,
      );
    if (f.bytes > 400 * 1024) misses.push(`${f.name}: bundle ${(f.bytes / 1024).toFixed(0)} KB is over 400 KB`);
    if (f.name === "health" && f.bytes >= 20 * 1024) misses.push(`health: bundle ${(f.bytes / 1024).toFixed(1)} KB is not under 20 KB`);
    if (f.name === "health" && f.sdk.length > 0) misses.push(`health: loads the AWS SDK (${f.sdk.join(", ")})`);
  }
  if (figures.previewMs !== undefined && figures.previewMs >= 10_000)
    misses.push(`prod preview: ${(figures.previewMs / 1000).toFixed(1)} s is not under 10 s`);
  if (figures.unitTestsMs !== undefined && figures.unitTestsMs >= 60_000)
    misses.push(`unit tests: ${(figures.unitTestsMs / 1000).toFixed(1)} s is not under 60 s`);
  return misses;
}
