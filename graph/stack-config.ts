/**
 * Reads a Pulumi project and one stack's config file the way the Pulumi CLI would hand them to the
 * program, without the CLI. Secure values are ciphertext only the stack's secrets provider can
 * decrypt, so offline runs substitute a clearly marked placeholder (or a local value from the
 * environment) and mark the key secret; they never fail on a secret, and never print one.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export interface ProjectFile {
  name: string;
  /** Declared config keys, without namespace, with their declared default where one is given. */
  config: Record<string, { type?: string; description?: string; default?: unknown; secret?: boolean }>;
}

export interface StackConfig {
  project: string;
  stack: string;
  /** `<namespace>:<key>` to string, objects and arrays as JSON, as `pulumi.Config` reads them. */
  config: Record<string, string>;
  secretKeys: string[];
}

export class StackConfigError extends Error {}

/** The placeholder an offline run sees for a secret it cannot decrypt. */
export function secretPlaceholder(key: string): string {
  return `offline-placeholder-for-${key.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/** `PLATFORM_SECRET_<KEY>` supplies a real local value for a secret key, e.g. PLATFORM_SECRET_APPCONFIG. */
export function localSecretVariable(key: string): string {
  return `PLATFORM_SECRET_${key.split(":").pop()!.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()}`;
}

export function readProject(programDir: string): ProjectFile {
  const file = path.join(programDir, "Pulumi.yaml");
  if (!fs.existsSync(file)) throw new StackConfigError(`no Pulumi.yaml in ${programDir}`);
  const doc = parse(fs.readFileSync(file, "utf8")) ?? {};
  if (typeof doc.name !== "string") throw new StackConfigError(`${file}: "name" is missing`);
  return { name: doc.name, config: doc.config ?? {} };
}

function isSecure(value: unknown): value is { secure: string } {
  return typeof value === "object" && value !== null && typeof (value as any).secure === "string";
}

/** Lists the stacks that have a `Pulumi.<stack>.yaml` next to the project. */
export function listStacks(programDir: string): string[] {
  return fs
    .readdirSync(programDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

export function readStackConfig(programDir: string, stack: string, env: NodeJS.ProcessEnv = process.env): StackConfig {
  const project = readProject(programDir);
  const file = path.join(programDir, `Pulumi.${stack}.yaml`);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new StackConfigError(`invalid stack name "${stack}"`);
  if (!fs.existsSync(file)) {
    const known = listStacks(programDir);
    throw new StackConfigError(`unknown stack "${stack}": no Pulumi.${stack}.yaml (stacks here: ${known.join(", ") || "none"})`);
  }
  let doc: any;
  try {
    doc = parse(fs.readFileSync(file, "utf8")) ?? {};
  } catch (err) {
    throw new StackConfigError(`stack "${stack}": Pulumi.${stack}.yaml is not valid YAML: ${(err as Error).message}`);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, declared] of Object.entries(project.config)) {
    if (declared && typeof declared === "object" && "default" in declared) {
      const full = key.includes(":") ? key : `${project.name}:${key}`;
      config[full] = typeof declared.default === "string" ? declared.default : JSON.stringify(declared.default);
    }
  }
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const full = key.includes(":") ? key : `${project.name}:${key}`;
    if (isSecure(value)) {
      config[full] = env[localSecretVariable(full)] ?? secretPlaceholder(full);
      secretKeys.push(full);
    } else {
      config[full] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  // A key the project declares secret but this stack file has not set yet: offline runs still go on.
  for (const [key, declared] of Object.entries(project.config)) {
    const full = key.includes(":") ? key : `${project.name}:${key}`;
    if (declared?.secret && !(full in config)) {
      config[full] = env[localSecretVariable(full)] ?? secretPlaceholder(full);
      secretKeys.push(full);
    }
  }
  return { project: project.name, stack, config, secretKeys };
}
