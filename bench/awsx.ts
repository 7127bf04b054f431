/**
 * What @pulumi/awsx costs the project beyond load time (issue #20): what it adds to `npm ci` and to
 * `npm run typecheck`, each measured both ways in one run, the two alternating round by round.
 *
 * - Install: this project's lockfile, and the same lockfile with awsx taken out (`npm uninstall
 *   --package-lock-only`, which drops what only awsx needed), each installed with `npm ci` into a fresh
 *   folder from the npm cache. The packages and megabytes it adds are counted, not timed.
 * - Type-check: `tsc -p .` against the same with `@pulumi/awsx/ec2` mapped (tsconfig `paths`) to a
 *   declaration of only what components/network.ts uses, so awsx's own declarations are not read.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commandMs, median } from "./measure";

const ROOT = path.resolve(__dirname, "..");

/** A before/after pair as the bench report's speed-up table shows it. */
export interface Footprint {
  what: string;
  measured: string;
  beforeMs: number;
  afterMs: number;
}

/** Both ways, `rounds` times each, alternating which goes first. */
export function alternating(rounds: number, without: () => number, withIt: () => number): { without: number[]; with: number[] } {
  const out = { without: [] as number[], with: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const has of order) (has ? out.with : out.without).push(has ? withIt() : without());
  }
  return out;
}

function megabytes(dir: string): number {
  let bytes = 0;
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) bytes += fs.statSync(full).size;
    }
  };
  walk(dir);
  return bytes / 1024 / 1024;
}

const lockedPackages = (lockfile: string) =>
  Object.keys((JSON.parse(fs.readFileSync(lockfile, "utf8")) as { packages: Record<string, unknown> }).packages).filter((k) => k !== "");

/** What awsx adds to `npm ci`: wall time, packages and size on disk. */
export function installFootprint(rounds: number): Footprint {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "bench-awsx-install-"));
  try {
    const folders = { with: path.join(base, "with"), without: path.join(base, "without") };
    for (const dir of Object.values(folders)) {
      fs.mkdirSync(dir);
      for (const file of ["package.json", "package-lock.json"]) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    const quiet = ["--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];
    commandMs("npm", ["uninstall", "@pulumi/awsx", "--package-lock-only", ...quiet], { cwd: folders.without });
    const install = (dir: string) => () => {
      fs.rmSync(path.join(dir, "node_modules"), { recursive: true, force: true });
      return commandMs("npm", ["ci", ...quiet], { cwd: dir });
    };
    const times = alternating(rounds, install(folders.without), install(folders.with));
    const lockWith = lockedPackages(path.join(folders.with, "package-lock.json"));
    const lockWithout = new Set(lockedPackages(path.join(folders.without, "package-lock.json")));
    const added = lockWith.filter((p) => !lockWithout.has(p));
    const mbWith = megabytes(path.join(folders.with, "node_modules"));
    const mbWithout = megabytes(path.join(folders.without, "node_modules"));
    return {
      what: "@pulumi/awsx in `npm ci` (what private networking adds to an install)",
      measured:
        `\`npm ci\` from the npm cache, the lockfile without @pulumi/awsx vs with it (median of ${rounds}, alternating); ` +
        `it adds ${added.length} of ${lockWith.length} packages (${added
          .map((p) =>
            p
              .replace(/^node_modules\//, "")
              .split("/node_modules/")
              .join(" > "),
          )
          .join(", ")}), ` +
        `${(mbWith - mbWithout).toFixed(1)} MB of ${mbWith.toFixed(0)} MB`,
      beforeMs: median(times.without),
      afterMs: median(times.with),
    };
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

/**
 * Only what components/network.ts uses of `@pulumi/awsx/ec2`: if it starts using more, the type-check
 * against this declaration fails and the bench says so.
 */
const AWSX_EC2_DECLARATION = `import * as pulumi from "@pulumi/pulumi";
export interface VpcArgs {
  cidrBlock?: pulumi.Input<string>;
  numberOfAvailabilityZones?: number;
  natGateways?: { strategy: "None" | "Single" | "OnePerAz" };
  subnetStrategy?: "Legacy" | "Auto" | "Exact";
  subnetSpecs?: { type: "Public" | "Private" | "Isolated" | "Unused" }[];
  enableDnsHostnames?: pulumi.Input<boolean>;
  enableDnsSupport?: pulumi.Input<boolean>;
}
export declare class Vpc extends pulumi.ComponentResource {
  constructor(name: string, args?: VpcArgs, opts?: pulumi.ComponentResourceOptions);
  readonly vpcId: pulumi.Output<string>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly routeTables: pulumi.Output<{ id: pulumi.Output<string> }[]>;
}
`;

/** What awsx's declarations add to `npm run typecheck` of this project. */
export function typecheckFootprint(rounds: number): Footprint {
  const dir = path.join(ROOT, ".build", "bench-typecheck");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "awsx-ec2.d.ts"), AWSX_EC2_DECLARATION);
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { paths: { "@pulumi/awsx/ec2": ["./awsx-ec2.d.ts"] } } }),
  );
  const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
  const files = (project: string) =>
    spawnSync(tsc, ["--noEmit", "-p", project, "--listFilesOnly"], { cwd: ROOT, encoding: "utf8" })
      .stdout.split("\n")
      .filter((f) => f.includes("/node_modules/@pulumi/awsx/")).length;
  const times = alternating(
    rounds,
    () => commandMs(tsc, ["--noEmit", "-p", dir], { cwd: ROOT }),
    () => commandMs(tsc, ["--noEmit", "-p", "."], { cwd: ROOT }),
  );
  return {
    what: "@pulumi/awsx in `npm run typecheck` (this project)",
    measured: `\`tsc -p .\` with \`@pulumi/awsx/ec2\` mapped to a declaration of what components/network.ts uses vs as installed (median of ${rounds}, alternating); awsx's own declarations read: ${files(dir)} vs ${files(".")} files`,
    beforeMs: median(times.without),
    afterMs: median(times.with),
  };
}
