/**
 * What a function's code can `require` in Lambda: its artifact (/var/task), its layers (NODE_PATH, under
 * /opt), Node's built-ins and the runtime's own AWS SDK for JavaScript v3 ("Lambda runtimes": the Node.js
 * runtimes include the SDK v3). Locally the artifact is unpacked inside the program's folder, so Node also
 * finds the program's node_modules: a module found only there would fail in AWS with
 * Runtime.ImportModuleError. Such a `require` still succeeds here (the rest of the run goes on), and is
 * said once per package, in the function's logs.
 */
import * as path from "path";

/** The package a bare specifier names: `zod` of `zod/lib/x`, `@scope/pkg` of `@scope/pkg/sub`. */
export function packageOf(request: string): string {
  const parts = request.split("/");
  return request.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/**
 * Whether `request` made by the module `parent` (a file of the function's) reaches a module Lambda would
 * not have: a bare specifier, neither built in nor the runtime's SDK, that resolved outside every root.
 */
export function outsideModule(
  request: string,
  parentFile: string | undefined,
  resolved: string,
  roots: string[],
  isBuiltin: (r: string) => boolean,
): boolean {
  if (!parentFile || request.startsWith(".") || path.isAbsolute(request) || request.startsWith("node:") || isBuiltin(request)) return false;
  if (packageOf(request).startsWith("@aws-sdk/")) return false;
  const within = (file: string) => roots.some((root) => file.startsWith(root));
  return within(parentFile) && !within(resolved);
}

/** Watches the container's CommonJS `require`s (an ESM `import` is not seen), saying each outside package once through `say`. */
export function watchModuleScope(taskRoot: string, nodePath: string | undefined, say: (line: string) => void): void {
  const Module = require("module");
  const roots = [taskRoot, ...(nodePath ?? "").split(path.delimiter).filter(Boolean)].map((r) => path.resolve(r) + path.sep);
  const said = new Set<string>();
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) {
    const resolved: string = resolve.call(this, request, parent, ...rest);
    if (outsideModule(request, parent?.filename, resolved, roots, Module.isBuiltin) && !said.has(packageOf(request))) {
      said.add(packageOf(request));
      say(
        `local cloud: require("${request}") found ${resolved}, outside the function's artifact and layers; Lambda has only those and the runtime's AWS SDK, so there it fails with Runtime.ImportModuleError: package "${packageOf(request)}" into the artifact or a layer`,
      );
    }
    return resolved;
  };
}
