/**
 * Mocha's first `require`: ts-node, transpile-only, through the on-disk transpile cache. The choice travels
 * in TS_NODE_PROJECT, so every script a test spawns with `-r ts-node/register/transpile-only` inherits it.
 * The project's own tsconfig.json stays free of it: the Pulumi CLI's ts-node and its policy-pack runner
 * read that file, and the runner type-checks, which a custom transpiler forbids.
 */
"use strict";
process.env.TS_NODE_PROJECT ??= require("path").join(__dirname, "tsconfig.json");
require("ts-node/register/transpile-only");
