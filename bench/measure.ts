/** What `npm run bench` measures and checks, kept apart from the runner so the budgets can be tested. */

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
}

export interface Figures {
  functions: FunctionFigures[];
  previewMs?: number;
  /** `npm run test:unit`: the tests that start no emulator process. */
  unitTestsMs?: number;
}

/** The budgets: each miss names the figure that missed. */
export function budgetMisses(figures: Figures): string[] {
  const misses: string[] = [];
  for (const f of figures.functions) {
    if (f.initMs > 1.2 * f.floorInitMs)
      misses.push(
        `${f.name}: init ${f.initMs.toFixed(1)} ms is over 1.2 x its floor of ${f.floorInitMs.toFixed(1)} ms (${f.sdk.join(", ") || "no SDK"})`,
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
