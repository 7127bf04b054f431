/** Bundles are built once per run and cached by content hash, in the process and on disk. */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bundleHandler } from "../../components/bundle";

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

  it("builds every time with PLATFORM_BUNDLE_CACHE=off", () => {
    process.env.PLATFORM_BUNDLE_CACHE = "off";
    const first = bundleHandler(entry);
    expect(bundleHandler(entry)).to.not.equal(first);
    expect(fs.existsSync(process.env.PLATFORM_BUNDLE_CACHE_DIR!)).to.equal(false);
  });
});
