/**
 * A ts-node transpiler for the test run: TypeScript's own `transpileModule`, its output kept on disk
 * under `.build/ts-cache/`, keyed by the TypeScript version, the compiler options, the file's name and its
 * text. `npm test` starts dozens of processes (the local cloud, the preview, the CLI commands), and each
 * spent most of its start-up transpiling the same files again; with the cache only the first one does.
 *
 * The output is the compiler's own, byte for byte, so what a test captures is what the Pulumi CLI's
 * ts-node would run. SWC was tried and refused: its module interop helper keeps a WeakMap that Pulumi's
 * closure serializer cannot carry, so a `CallbackFunction` broke (see docs/decisions/0003-transpile-only.md).
 * The interface is ts-node's custom transpiler (`create({ service })` → `{ transpile(text, { fileName }) }`,
 * ts-node/dist/transpilers/types.d.ts).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const CACHE_DIR = path.join(__dirname, "..", "..", ".build", "ts-cache");

exports.create = function create({ service }) {
  const ts = require(service.projectLocalResolveHelper("typescript", true));
  const compilerOptions = service.config.options;
  const salt = `${ts.version}\0${JSON.stringify(compilerOptions)}\0`;
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  return {
    transpile(text, { fileName }) {
      const key = crypto.createHash("sha256").update(salt).update(fileName).update("\0").update(text).digest("hex");
      const file = path.join(CACHE_DIR, `${key}.json`);
      try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
      } catch {
        // Not cached yet (or a torn file from a killed process): transpile, as ts-node would.
      }
      const output = ts.transpileModule(text, { fileName, compilerOptions, reportDiagnostics: true });
      if (!output.diagnostics || output.diagnostics.length === 0) {
        // Written aside and renamed: a process reading concurrently sees the whole file or none.
        const partial = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(partial, JSON.stringify({ outputText: output.outputText, sourceMapText: output.sourceMapText }));
        fs.renameSync(partial, file);
      }
      return output;
    },
  };
};
