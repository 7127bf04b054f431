import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as esbuild from "esbuild";

/** A function's deployment artifact: the minified bundle and its source map. */
export interface Bundle {
  /** File name to contents, as they go into the zip. */
  files: Record<string, string>;
  /** SHA-256 of the bundle, which changes exactly when the deployed code does. */
  hash: string;
  /** The files esbuild read for it, as absolute paths. */
  inputs: string[];
}

/** How every function is bundled; the benchmark's baselines are bundled the same way. */
export const FUNCTION_BUILD_OPTIONS: esbuild.BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  minify: true,
  mainFields: ["module", "main"],
  logLevel: "silent",
  // Function bundles read credentials from the environment only; see functions/lib/env-credentials.ts.
  alias: { "@aws-sdk/credential-provider-node": path.join(__dirname, "..", "functions", "lib", "env-credentials.ts") },
};

/** What the artifact also depends on besides its inputs: a change to either invalidates every cached bundle. */
const BUILD_KEY = JSON.stringify({ esbuild: esbuild.version, options: FUNCTION_BUILD_OPTIONS, sourcemap: "linked" });

/** Where bundles are cached between runs. @default <program>/.build/bundles; PLATFORM_BUNDLE_CACHE=off turns caching off. */
function cacheDir(): string {
  return process.env.PLATFORM_BUNDLE_CACHE_DIR ?? path.join(__dirname, "..", ".build", "bundles");
}

/**
 * This process's bundles by entry, kept on `globalThis` because a capture forgets the program's
 * modules (this one included) to run the program again; without it each capture rebuilt every bundle.
 */
const built: Map<string, { stamp: string; bundle: Bundle }> = ((globalThis as Record<symbol, unknown>)[Symbol.for("platform.bundles")] ??=
  new Map()) as never;

/**
 * Bundles a handler file with esbuild: minified, AWS SDK v3 bundled in (fewer files to load at init
 * than the runtime's copy, and pinned by our lockfile), linked source map.
 *
 * Built once per run, cached by content hash: in this process while no input's size or mtime
 * changed, and on disk (cacheDir) while the SHA-256 of every input's contents and the build options
 * match, so a preview, the tests and the local cloud do not rebuild unchanged handlers.
 */
export function bundleHandler(entry: string): Bundle {
  if (!fs.existsSync(entry)) throw new Error(`handler entry ${entry} does not exist`);
  const caching = process.env.PLATFORM_BUNDLE_CACHE !== "off";
  const inProcess = built.get(entry);
  if (caching && inProcess && inProcess.stamp === stampOf(inProcess.bundle.inputs)) return inProcess.bundle;
  const onDisk = caching ? readCached(entry) : undefined;
  const bundle = onDisk ?? build(entry);
  if (caching) {
    built.set(entry, { stamp: stampOf(bundle.inputs), bundle });
    if (!onDisk) writeCached(entry, bundle);
  }
  return bundle;
}

function build(entry: string): Bundle {
  // esbuild would otherwise resolve against the working directory its service started in, not the program's.
  const cwd = process.cwd();
  const result = esbuild.buildSync({
    ...FUNCTION_BUILD_OPTIONS,
    absWorkingDir: cwd,
    entryPoints: [entry],
    write: false,
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    outfile: "index.js",
  });
  const files: Record<string, string> = {};
  for (const out of result.outputFiles) files[out.path.split(/[\\/]/).pop()!] = out.text;
  const inputs = Object.keys(result.metafile!.inputs).map((f) => path.resolve(cwd, f));
  return { files, hash: crypto.createHash("sha256").update(files["index.js"]).digest("hex"), inputs };
}

/** Size and modification time of every input: the cheap check for this process's own cache. */
function stampOf(inputs: string[]): string {
  return inputs
    .map((f) => {
      const stat = fs.statSync(f, { throwIfNoEntry: false });
      return stat ? `${stat.size}:${stat.mtimeMs}` : "gone";
    })
    .join(",");
}

/** SHA-256 over the build options and every input's path and contents. */
function digestOf(inputs: string[]): string {
  const hash = crypto.createHash("sha256").update(BUILD_KEY);
  for (const file of inputs) {
    if (!fs.existsSync(file)) return "gone";
    hash.update(file).update("\0").update(fs.readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

function cacheFile(entry: string): string {
  // The working directory too: the source map names the sources relative to it.
  const key = crypto.createHash("sha256").update(BUILD_KEY).update(entry).update("\0").update(process.cwd());
  return path.join(cacheDir(), `${key.digest("hex").slice(0, 32)}.json`);
}

/** The cached bundle of `entry`, when its inputs' contents are what they were when it was built. */
function readCached(entry: string): Bundle | undefined {
  let cached: { digest: string; bundle: Bundle };
  try {
    cached = JSON.parse(fs.readFileSync(cacheFile(entry), "utf8"));
  } catch {
    return undefined; // Absent or unreadable: build it.
  }
  return cached.digest === digestOf(cached.bundle.inputs) ? cached.bundle : undefined;
}

function writeCached(entry: string, bundle: Bundle): void {
  const file = cacheFile(entry);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written whole, then renamed, so a concurrent reader sees the old file or the new one.
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify({ digest: digestOf(bundle.inputs), bundle }));
    fs.renameSync(temporary, file);
  } catch {
    // A read-only checkout still bundles; it only does not cache.
  }
}

/**
 * For the local cloud's hot reload: rebuilds this process's bundles that read any of `files`, and
 * returns each one's artifact before and after, so the functions running the old one get the new one.
 */
export function rebuildBundlesReading(files: string[]): { entry: string; before: Bundle; after: Bundle }[] {
  const changed = new Set(files.map((f) => path.resolve(f)));
  const rebuilt: { entry: string; before: Bundle; after: Bundle }[] = [];
  for (const [entry, { bundle }] of [...built.entries()]) {
    if (!bundle.inputs.some((input) => changed.has(input))) continue;
    if (!fs.existsSync(entry)) continue;
    rebuilt.push({ entry, before: bundle, after: bundleHandler(entry) });
  }
  return rebuilt;
}
