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

const built = new Map<string, { mtimes: string; bundle: Bundle }>();
/** The source files esbuild read for each bundle. */
const sources = new WeakMap<Bundle, string[]>();

/**
 * Bundles a handler file with esbuild: minified, AWS SDK v3 bundled in (fewer files to load at init
 * than the runtime's copy, and pinned by our lockfile), linked source map. Cached per process, so
 * capturing several stacks bundles each handler once.
 */
export function bundleHandler(entry: string): Bundle {
  const cached = built.get(entry);
  if (cached && cached.mtimes === inputsStamp(cached.bundle)) return cached.bundle;
  if (!fs.existsSync(entry)) throw new Error(`handler entry ${entry} does not exist`);
  const result = esbuild.buildSync({
    ...FUNCTION_BUILD_OPTIONS,
    entryPoints: [entry],
    write: false,
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    outfile: "index.js",
  });
  const files: Record<string, string> = {};
  for (const out of result.outputFiles) files[out.path.split(/[\\/]/).pop()!] = out.text;
  const bundle: Bundle = { files, hash: crypto.createHash("sha256").update(files["index.js"]).digest("hex") };
  sources.set(bundle, Object.keys(result.metafile!.inputs));
  built.set(entry, { mtimes: inputsStamp(bundle), bundle });
  return bundle;
}

/** The files esbuild read for a bundle (paths relative to the working directory). */
export function bundleInputs(bundle: Bundle): string[] {
  return sources.get(bundle) ?? [];
}

/** Modification times of every file that went into a bundle: a change to any of them rebuilds it. */
function inputsStamp(bundle: Bundle): string {
  return (sources.get(bundle) ?? []).map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : "gone")).join(",");
}
