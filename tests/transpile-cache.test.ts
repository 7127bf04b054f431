/** The test run's transpile cache (tests/transpile-cache): the compiler's own output, keyed by content. */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const { create } = require("./transpile-cache/transpiler.js");
const CACHE_DIR = path.join(__dirname, "..", ".build", "ts-cache");

describe("the test run's transpile cache", () => {
  const compilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true };
  const transpiler = () =>
    create({ service: { projectLocalResolveHelper: (name: string) => require.resolve(name), config: { options: compilerOptions } } });
  // A name no other test uses, so the entries counted here are this test's own.
  const fileName = path.join(__dirname, `transpile-cache-${process.pid}-${Date.now()}.ts`);
  const entries = () => fs.readdirSync(CACHE_DIR).length;

  it("returns TypeScript's own output, and the same from the cache in another process's transpiler", () => {
    const text = "import * as fs from 'fs';\nexport const size = (p: string): number => fs.statSync(p).size;\n";
    const expected = ts.transpileModule(text, { fileName, compilerOptions });
    const before = fs.existsSync(CACHE_DIR) ? entries() : 0;
    const first = transpiler().transpile(text, { fileName });
    expect(entries()).to.equal(before + 1);
    const second = transpiler().transpile(text, { fileName });
    expect(entries()).to.equal(before + 1);
    for (const output of [first, second]) {
      expect(output.outputText).to.equal(expected.outputText);
      expect(output.sourceMapText).to.equal(expected.sourceMapText);
    }
  });

  it("never serves a file's old output after its text changes", () => {
    const cache = transpiler();
    expect(cache.transpile("export const answer: number = 41;\n", { fileName }).outputText).to.contain("exports.answer = 41;");
    const changed = cache.transpile("export const answer: number = 42;\n", { fileName }).outputText;
    expect(changed).to.contain("exports.answer = 42;").and.not.contain("41");
  });

  it("reports a syntax error as ts-node would, and keeps no entry for it", () => {
    const before = entries();
    const output = transpiler().transpile("export const = ;\n", { fileName });
    expect(output.diagnostics.length).to.be.greaterThan(0);
    expect(entries()).to.equal(before);
  });
});
