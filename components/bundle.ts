import * as crypto from "crypto";
import * as fs from "fs";
import * as esbuild from "esbuild";

/** A function's deployment artifact: the minified bundle and its source map. */
export interface Bundle {
  /** File name to contents, as they go into the zip. */
  files: Record<string, string>;
  /** SHA-256 of the bundle, which changes exactly when the deployed code does. */
  hash: string;
}

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
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    mainFields: ["module", "main"],
    outfile: "index.js",
    logLevel: "silent",
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
