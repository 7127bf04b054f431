/**
 * Reads a Pulumi project and one stack's config the way the Pulumi CLI hands them to the program,
 * without the CLI: the project's declared keys merged and checked by the CLI's own rules
 * (graph/cli-config.ts). Secure values are ciphertext only the stack's secrets provider can decrypt,
 * so offline runs substitute a clearly marked placeholder (or a local value from the environment)
 * and mark the key secret; they never print one.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ConfigDeclaration, fullKey, mergeProjectConfig, readDeclarations, StackConfigError, StackValue, stackValueOf } from "./cli-config";

export { StackConfigError };

export interface ProjectFile {
  name: string;
  /** Pulumi.yaml's `main`: where the program is, relative to the project's folder. @default the project's folder */
  main?: string;
  /** Declared config keys as written (bare for the project's own), shorthand rewritten as the CLI does. */
  config: Record<string, ConfigDeclaration>;
}

export interface StackConfig {
  project: string;
  stack: string;
  /** `<namespace>:<key>` to string, objects and arrays as JSON, as `pulumi.Config` reads them. */
  config: Record<string, string>;
  secretKeys: string[];
  /** False when the stack has no `Pulumi.<stack>.yaml`: the CLI runs it with an empty config. */
  hasFile: boolean;
}

/** The placeholder an offline run sees for a secret it cannot decrypt. */
export function secretPlaceholder(key: string): string {
  return `offline-placeholder-for-${key.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/**
 * `PLATFORM_SECRET_<KEY>` supplies a local value for a secret key, e.g. PLATFORM_SECRET_REPORTSIGNINGKEY:
 * it stands in for ciphertext offline runs cannot decrypt, and for a declared secret the stack file
 * leaves unset it acts as `pulumi config set --secret` would.
 */
export function localSecretVariable(key: string): string {
  return `PLATFORM_SECRET_${key
    .split(":")
    .pop()!
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase()}`;
}

function readYaml(file: string, what: string): any {
  try {
    return parse(fs.readFileSync(file, "utf8")) ?? {};
  } catch (err) {
    throw new StackConfigError(`${what}: ${path.basename(file)} is not valid YAML: ${(err as Error).message}`);
  }
}

export function readProject(programDir: string): ProjectFile {
  checkProgramDir(programDir);
  const file = path.join(programDir, "Pulumi.yaml");
  if (!fs.existsSync(file)) throw new StackConfigError(`no Pulumi.yaml in ${programDir}`);
  const doc = readYaml(file, "project");
  if (typeof doc.name !== "string" || doc.name === "")
    throw new StackConfigError(`could not validate '${file}': project is missing a non-empty string 'name' attribute`);
  checkRuntime(doc.runtime, file);
  if (doc.main !== undefined && typeof doc.main !== "string")
    throw new StackConfigError(
      `could not validate '${file}': main: expected string, but got ${Array.isArray(doc.main) ? "array" : typeof doc.main}`,
    );
  return { name: doc.name, ...(doc.main ? { main: doc.main } : {}), config: readDeclarations(doc.name, doc.config, file) };
}

/**
 * Where the CLI runs a project's program, and what it runs: Pulumi.yaml's `main`, relative to the project's
 * folder, is the program; the working directory is `main` when it is a folder, or the folder that holds it
 * ("so that any relative paths inside of the program are correct"). Ported from `getPwdMain` in pulumi/pulumi
 * pkg/engine/project.go.
 */
export function programLocation(projectDir: string, main?: string): { pwd: string; program: string } {
  const root = path.resolve(projectDir);
  if (!main) return { pwd: root, program: root };
  const program = path.resolve(root, main);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(program);
  } catch (err) {
    throw new StackConfigError(`project 'main' could not be read: ${(err as Error).message}`);
  }
  return stat.isDirectory() ? { pwd: program, program } : { pwd: path.dirname(program), program };
}

/** project.json's `runtime`: a non-empty name, or `{ name, options }` and nothing else. */
function checkRuntime(runtime: unknown, file: string): void {
  const fail = (why: string) => {
    throw new StackConfigError(`could not validate '${file}': runtime: ${why}`);
  };
  if (typeof runtime === "string") {
    if (runtime === "") fail("must not be empty");
    return;
  }
  if (typeof runtime !== "object" || runtime === null || Array.isArray(runtime))
    return fail("must be a name, or a map with name and options");
  const extra = Object.keys(runtime).filter((k) => k !== "name" && k !== "options");
  if (extra.length > 0) fail(`additional properties ${extra.map((k) => `'${k}'`).join(", ")} not allowed`);
  const { name, options } = runtime as { name?: unknown; options?: unknown };
  if (typeof name !== "string" || name === "") fail("name must be a non-empty string");
  if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) fail("options must be a map");
}

/** Lists the stacks that have a `Pulumi.<stack>.yaml` next to the project. */
/** A program folder the CLI could run: it exists, is a folder, and may be read. */
export function checkProgramDir(programDir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(programDir);
  } catch {
    throw new StackConfigError(`the program folder ${programDir} does not exist`);
  }
  if (!stat.isDirectory()) throw new StackConfigError(`the program folder ${programDir} is a file, not a folder`);
  try {
    fs.accessSync(programDir, fs.constants.R_OK | fs.constants.X_OK);
  } catch (err) {
    throw new StackConfigError(`the program folder ${programDir} cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
}

export function listStacks(programDir: string): string[] {
  if (!fs.existsSync(programDir)) return [];
  return fs
    .readdirSync(programDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

/** A secure value's stand-in: the local value from the environment, else the placeholder; nested secrets of a list or map alike. */
function offlinePlaintext(key: string, value: StackValue, env: NodeJS.ProcessEnv): string {
  const local = env[localSecretVariable(key)];
  if (!value.object) return local ?? secretPlaceholder(key);
  const replace = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v) && typeof (v as any).secure === "string" && Object.keys(v).length === 1
      ? (local ?? secretPlaceholder(key))
      : Array.isArray(v)
        ? v.map(replace)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, replace(inner)]))
          : v;
  return JSON.stringify(replace(JSON.parse(value.text)));
}

/**
 * The config the CLI would hand the program for `stack`. `overrides` are set on top of the stack file,
 * as `pulumi config set` would (a key without a namespace is the project's), before the CLI's checks.
 */
export function readStackConfig(
  programDir: string,
  stack: string,
  overrides: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): StackConfig {
  const project = readProject(programDir);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackConfigError(`invalid stack name "${stack}": use letters, digits, '-', '_' and '.'`);
  const file = path.join(programDir, `Pulumi.${stack}.yaml`);
  const hasFile = fs.existsSync(file);
  const doc = hasFile ? readYaml(file, `stack "${stack}"`) : {};
  const values: Record<string, StackValue> = {};
  for (const [key, raw] of Object.entries(doc.config ?? {})) values[fullKey(project.name, key)] = stackValueOf(raw);
  for (const [key, text] of Object.entries(overrides))
    values[fullKey(project.name, key)] = { text, secure: false, object: /^\s*[[{]/.test(text) };
  // A local value for a declared secret counts as `pulumi config set --secret`: secure, and read by the program as set.
  for (const [key, declared] of Object.entries(project.config)) {
    const full = fullKey(project.name, key);
    const local = env[localSecretVariable(full)];
    if (declared.secret && local !== undefined && !values[full]?.secure) values[full] = { text: local, secure: true, object: false };
  }

  const merged = mergeProjectConfig(project.name, stack, project.config, values, {
    // Ciphertext cannot be read offline; a local value from the environment is type-checked like the real one.
    decrypt: (key) => env[localSecretVariable(key)],
  });
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(merged)) {
    config[key] = value.secure ? offlinePlaintext(key, value, env) : value.text;
    if (value.secure) secretKeys.push(key);
  }
  return { project: project.name, stack, config, secretKeys, hasFile };
}
