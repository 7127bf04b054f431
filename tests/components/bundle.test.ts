/** Bundles are built once per run and cached by content hash, in the process and on disk. */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createHash } from "crypto";
import { bundleHandler, FUNCTION_BUILD_OPTIONS, rebuildBundlesReading } from "../../components/bundle";

const inProcess = () => (globalThis as Record<symbol, Map<string, unknown>>)[Symbol.for("platform.bundles")];

describe("bundle cache", () => {
  let dir: string;
  let entry: string;
  const saved = process.env.PLATFORM_BUNDLE_CACHE_DIR;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-cache-"));
    entry = path.join(dir, "handler.ts");
    fs.writeFileSync(entry, `export const handler = async () => "one";\n`);
    process.env.PLATFORM_BUNDLE_CACHE_DIR = path.join(dir, "cache");
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.PLATFORM_BUNDLE_CACHE_DIR;
    else process.env.PLATFORM_BUNDLE_CACHE_DIR = saved;
    delete process.env.PLATFORM_BUNDLE_CACHE;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("returns this process's bundle again while the inputs are unchanged, and survives the module being reloaded", () => {
    const first = bundleHandler(entry);
    delete require.cache[require.resolve("../../components/bundle")];
    const reloaded: typeof import("../../components/bundle") = require("../../components/bundle");
    expect(reloaded.bundleHandler(entry)).to.equal(first);
  });

  it("rebuilds when an input's contents change", () => {
    const first = bundleHandler(entry);
    fs.writeFileSync(entry, `export const handler = async () => "two, longer";\n`);
    const second = bundleHandler(entry);
    expect(second.hash).to.not.equal(first.hash);
    expect(second.files["index.js"]).to.contain("two, longer");
  });

  it("reads a later process's bundle from disk, keyed by the SHA-256 of the inputs' contents", () => {
    bundleHandler(entry);
    const [file] = fs.readdirSync(process.env.PLATFORM_BUNDLE_CACHE_DIR!);
    // Mark the stored artifact, then forget this process's copy, as a new process would start.
    const stored = JSON.parse(fs.readFileSync(path.join(process.env.PLATFORM_BUNDLE_CACHE_DIR!, file), "utf8"));
    stored.bundle.files["index.js"] += "/* from disk */";
    fs.writeFileSync(path.join(process.env.PLATFORM_BUNDLE_CACHE_DIR!, file), JSON.stringify(stored));
    inProcess().delete(entry);
    expect(bundleHandler(entry).files["index.js"]).to.match(/from disk \*\/$/);

    // Same size and a new mtime are not enough to trust it: the contents' hash decides.
    inProcess().delete(entry);
    fs.writeFileSync(entry, `export const handler = async () => "ONE";\n`);
    const rebuilt = bundleHandler(entry);
    expect(rebuilt.files["index.js"]).to.contain("ONE").and.not.contain("from disk");
  });

  it("does not read a bundle another esbuild version stored, though every input is unchanged", () => {
    bundleHandler(entry);
    const cache = process.env.PLATFORM_BUNDLE_CACHE_DIR!;
    const [file] = fs.readdirSync(cache);
    const stored = JSON.parse(fs.readFileSync(path.join(cache, file), "utf8"));
    stored.bundle.files["index.js"] += "/* from disk */";
    fs.writeFileSync(path.join(cache, file), JSON.stringify(stored));
    // The same module loaded against another esbuild release, as after `npm update esbuild`.
    const esbuildPath = require.resolve("esbuild");
    const bundlePath = require.resolve("../../components/bundle");
    const real = require.cache[esbuildPath]!.exports;
    const reload = (esbuild: unknown): typeof import("../../components/bundle") => {
      require.cache[esbuildPath]!.exports = esbuild;
      delete require.cache[bundlePath];
      inProcess().delete(entry);
      try {
        return require(bundlePath);
      } finally {
        require.cache[esbuildPath]!.exports = real;
      }
    };
    try {
      const upgraded = reload(new Proxy(real, { get: (target, key) => (key === "version" ? "999.0.0" : target[key]) }));
      expect(upgraded.bundleHandler(entry).files["index.js"]).to.not.contain("from disk");
      expect(fs.readdirSync(cache)).to.have.length(2);
      // Back on the release that stored it, the stored bundle is read again.
      expect(reload(real).bundleHandler(entry).files["index.js"]).to.match(/from disk \*\/$/);
    } finally {
      delete require.cache[bundlePath];
    }
  });

  it("builds every time with PLATFORM_BUNDLE_CACHE=off", () => {
    process.env.PLATFORM_BUNDLE_CACHE = "off";
    const first = bundleHandler(entry);
    expect(bundleHandler(entry)).to.not.equal(first);
    expect(fs.existsSync(process.env.PLATFORM_BUNDLE_CACHE_DIR!)).to.equal(false);
  });

  it("refuses an entry that does not exist, naming it", () => {
    expect(() => bundleHandler(path.join(dir, "missing.ts"))).to.throw(`handler entry ${path.join(dir, "missing.ts")} does not exist`);
  });

  it("builds a minified CommonJS bundle for Node 22 with a linked source map, hashed, listing every file it read", () => {
    fs.writeFileSync(path.join(dir, "greeting.ts"), `export const greeting = (name: string) => "hello " + name;\n`);
    fs.writeFileSync(entry, `import { greeting } from "./greeting";\nexport const handler = async () => greeting("world");\n`);
    const bundle = bundleHandler(entry);
    expect(Object.keys(bundle.files).sort()).to.deep.equal(["index.js", "index.js.map"]);
    expect(bundle.files["index.js"]).to.match(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
    const map = JSON.parse(bundle.files["index.js.map"]);
    expect(map.version).to.equal(3);
    // The map names the sources but does not carry them: the artifact holds no source code.
    expect(map.sources.length).to.be.greaterThan(0);
    expect(map).to.not.have.property("sourcesContent");
    expect(bundle.hash).to.equal(createHash("sha256").update(bundle.files["index.js"]).digest("hex"));
    expect(bundle.inputs).to.have.members([entry, path.join(dir, "greeting.ts")]);
    const mod: { exports: any } = { exports: {} };
    new (globalThis.Function as any)("module", "exports", "require", bundle.files["index.js"])(mod, mod.exports, require);
    return mod.exports.handler().then((answer: string) => expect(answer).to.equal("hello world"));
  });

  it("is built as every function is: Node 22, CommonJS, minified, credentials from the environment only", () => {
    expect(FUNCTION_BUILD_OPTIONS).to.deep.include({
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      minify: true,
      logLevel: "silent",
    });
    expect(FUNCTION_BUILD_OPTIONS.mainFields).to.deep.equal(["module", "main"]);
    expect(FUNCTION_BUILD_OPTIONS.alias).to.deep.equal({
      "@aws-sdk/credential-provider-node": path.resolve(__dirname, "..", "..", "functions", "lib", "env-credentials.ts"),
    });
  });

  it("rebuilds when a file it imports changes or is gone, not only the entry", () => {
    const lib = path.join(dir, "lib.ts");
    fs.writeFileSync(lib, `export const word = "first";\n`);
    fs.writeFileSync(entry, `import { word } from "./lib";\nexport const handler = async () => word;\n`);
    const first = bundleHandler(entry);
    fs.writeFileSync(lib, `export const word = "second, longer";\n`);
    const second = bundleHandler(entry);
    expect(second.files["index.js"]).to.contain("second, longer");
    // The import goes, and its file with it: the stamp says "gone", so the bundle is built again.
    fs.writeFileSync(entry, `export const handler = async () => "inline";\n`);
    fs.rmSync(lib);
    const third = bundleHandler(entry);
    expect(third.files["index.js"]).to.contain("inline");
    expect(new Set([first.hash, second.hash, third.hash]).size).to.equal(3);
  });

  it("builds again over a cache file it cannot read, and still bundles where it cannot write one", () => {
    bundleHandler(entry);
    const cache = process.env.PLATFORM_BUNDLE_CACHE_DIR!;
    for (const file of fs.readdirSync(cache)) fs.writeFileSync(path.join(cache, file), "{ not json");
    inProcess().delete(entry);
    expect(bundleHandler(entry).files["index.js"]).to.contain("one");
    // A file where the cache folder would go: the folder cannot be made, and nothing fails.
    const blocked = path.join(dir, "blocked");
    fs.writeFileSync(blocked, "");
    process.env.PLATFORM_BUNDLE_CACHE_DIR = path.join(blocked, "cache");
    inProcess().delete(entry);
    expect(bundleHandler(entry).files["index.js"]).to.contain("one");
  });

  it("for hot reload, rebuilds exactly the bundles that read a changed file, each with its artifact before and after", () => {
    const shared = path.join(dir, "shared.ts");
    const other = path.join(dir, "other.ts");
    fs.writeFileSync(shared, `export const v = "old";\n`);
    fs.writeFileSync(entry, `import { v } from "./shared";\nexport const handler = async () => v;\n`);
    fs.writeFileSync(other, `export const handler = async () => "untouched";\n`);
    const before = bundleHandler(entry);
    bundleHandler(other);
    fs.writeFileSync(shared, `export const v = "new, longer";\n`);
    const rebuilt = rebuildBundlesReading([shared]);
    expect(rebuilt.map((r) => r.entry)).to.deep.equal([entry]);
    expect(rebuilt[0].before).to.equal(before);
    expect(rebuilt[0].after.files["index.js"]).to.contain("new, longer");
    // An entry deleted meanwhile is left alone.
    fs.writeFileSync(shared, `export const v = "newer still";\n`);
    fs.rmSync(entry);
    expect(rebuildBundlesReading([shared])).to.deep.equal([]);
    inProcess().delete(entry);
    inProcess().delete(other);
  });

  it("caches under the program's .build/bundles unless PLATFORM_BUNDLE_CACHE_DIR says where", () => {
    delete process.env.PLATFORM_BUNDLE_CACHE_DIR;
    fs.writeFileSync(entry, `export const handler = async () => "default cache ${path.basename(dir)}";\n`);
    bundleHandler(entry);
    const cache = path.resolve(__dirname, "..", "..", ".build", "bundles");
    const written = fs
      .readdirSync(cache)
      .map((f) => path.join(cache, f))
      .filter((f) => f.endsWith(".json") && JSON.parse(fs.readFileSync(f, "utf8")).bundle.inputs.includes(entry));
    expect(written).to.have.length(1);
    fs.rmSync(written[0]);
    inProcess().delete(entry);
  });
});
