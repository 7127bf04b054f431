/**
 * Preloaded by `npm start` ahead of ts-node. ts-node loads Node's REPL module as it loads, for its own
 * REPL, which `npm start` never opens; the REPL module loads node:domain, and node:domain then wraps the
 * construction and every emit of every EventEmitter for the life of the process: about 3% of the local
 * cloud's main-thread time per request, measured with perf. With this preload ts-node gets the REPL
 * module the first time it uses it, which for `npm start` is never. Plain JavaScript: it runs before
 * any TypeScript loader exists.
 */
"use strict";
const Module = require("module");

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === "repl" && parent && /[\\/]ts-node[\\/]dist[\\/]repl\.js$/.test(parent.filename)) {
    let repl;
    const real = () => (repl ??= load.call(Module, request, parent, isMain));
    return new Proxy({}, { get: (_, key) => real()[key], has: (_, key) => key in real() });
  }
  return load.apply(this, arguments);
};
