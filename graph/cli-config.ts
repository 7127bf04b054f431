/**
 * The Pulumi CLI's rules for a project's declared config and a stack's values, ported as behaviour
 * (not code) so the offline tools accept and reject exactly what `pulumi preview` and `pulumi up` do.
 * Sources, in pulumi/pulumi:
 * - `sdk/go/common/workspace/project.json`: the shape of a `config:` declaration;
 * - `sdk/go/common/workspace/project.go`: `Project.Validate`, `RewriteShorthandConfigValues`,
 *   `ValidateConfigValue`, `InferFullTypeName`;
 * - `pkg/workspace/config.go`: `mergeConfig`, `validateStackConfigValue`, `formatMissingKeys`;
 * - `sdk/go/common/resource/config/object.go`: how a stack file's YAML values become config text;
 * - `sdk/go/common/workspace/loaders.go`: a stack without a file has an empty config.
 * Their cases are ported in tests/cli-config.test.ts from `pkg/workspace/config_project_test.go`.
 */

/** One declared key, after the CLI's shorthand rewrite. */
export interface ConfigDeclaration {
  type?: ConfigTypeName;
  items?: ItemsType;
  description?: string;
  secret?: boolean;
  default?: unknown;
  value?: unknown;
}

export type ConfigTypeName = "string" | "integer" | "boolean" | "array" | "object";
export interface ItemsType {
  type: ConfigTypeName;
  items?: ItemsType;
}

/** A stack value as the CLI holds it: text, plus whether it is ciphertext and whether it is JSON (a list or map). */
export interface StackValue {
  text: string;
  secure: boolean;
  object: boolean;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const TYPE_NAMES: readonly string[] = ["string", "integer", "boolean", "array", "object"];
const DECLARATION_KEYS: readonly string[] = ["type", "items", "description", "secret", "default", "value"];

/** Bad project or stack config, in the CLI's own words, so a message here reads exactly as `pulumi` prints it. */
export class StackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackConfigError";
  }
}

function namespacedByProject(project: string, key: string): boolean {
  return !key.includes(":") || key.startsWith(`${project}:`);
}

/** `<project>:<key>` for a bare key, as `parseConfigKey` does. */
export function fullKey(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function isPrimitive(value: unknown): boolean {
  return typeof value === "string" || typeof value === "boolean" || typeof value === "number";
}

/**
 * Validates the raw `config:` block of Pulumi.yaml (project.json's shape, then `Project.Validate`) and
 * returns each key's declaration with shorthand values rewritten: a bare value of a project key is its
 * `default`, of another namespace's key its `value`.
 */
export function readDeclarations(project: string, raw: unknown, file = "Pulumi.yaml"): Record<string, ConfigDeclaration> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new StackConfigError(`could not validate '${file}': config must be a map of keys to declarations`);
  const declarations: Record<string, ConfigDeclaration> = {};
  for (const [key, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (isPrimitive(entry) || Array.isArray(entry)) {
      declarations[key] = namespacedByProject(project, key) ? { default: entry } : { value: entry };
      continue;
    }
    if (typeof entry !== "object" || entry === null)
      throw new StackConfigError(`could not validate '${file}': config.${key}: must be a string, integer, boolean, array or declaration`);
    const unknown = Object.keys(entry).filter((k) => !DECLARATION_KEYS.includes(k));
    if (unknown.length > 0)
      throw new StackConfigError(
        `could not validate '${file}': config.${key}: additional properties ${unknown.map((k) => `'${k}'`).join(", ")} not allowed`,
      );
    const declaration = entry as ConfigDeclaration;
    if (declaration.type !== undefined && !TYPE_NAMES.includes(declaration.type)) {
      throw new StackConfigError(
        `could not validate '${file}': config.${key}.type: must be one of ${TYPE_NAMES.map((t) => `"${t}"`).join(", ")}`,
      );
    }
    checkItems(file, key, declaration.items);
    declarations[key] = declaration;
  }
  validateProject(project, declarations, file);
  return declarations;
}

function checkItems(file: string, key: string, items: ItemsType | undefined): void {
  if (items === undefined) return;
  if (typeof items !== "object" || items === null || !TYPE_NAMES.includes(items.type as string)) {
    throw new StackConfigError(`could not validate '${file}': config.${key}.items: 'type' must be one of ${TYPE_NAMES.join(", ")}`);
  }
  if (items.type === "array" && items.items === undefined)
    throw new StackConfigError(`could not validate '${file}': config.${key}.items: missing properties: 'items'`);
  checkItems(file, key, items.items);
}

/** `Project.Validate`: the rules a declaration must meet beyond its JSON shape. */
function validateProject(project: string, declarations: Record<string, ConfigDeclaration>, file: string): void {
  for (const [key, d] of Object.entries(declarations)) {
    const fail = (message: string) => {
      throw new StackConfigError(`could not unmarshal '${file}': ${message}`);
    };
    if (d.default !== undefined && d.value !== undefined)
      fail(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
    if (namespacedByProject(project, key)) {
      if (d.type === "array" && d.items === undefined)
        fail(`The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`);
      if (d.type !== undefined && d.default !== undefined && !validConfigValue(d.type, d.items, d.default)) {
        fail(`The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(d.type, d.items)}'`);
      }
    } else {
      if (d.type !== undefined) fail(`Configuration key '${key}' is not namespaced by the project and should not define a type`);
      if (d.default !== undefined)
        fail(
          `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
        );
      if (d.value === undefined) fail(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
    }
  }
}

/** `InferFullTypeName`: "array<string>" for a list of strings. */
export function fullTypeName(type: ConfigTypeName, items?: ItemsType): string {
  return items ? `array<${fullTypeName(items.type, items.items)}>` : type;
}

/**
 * `ValidateConfigValue`: strings must be strings; integers may be whole numbers or text that parses
 * as one; booleans may be the text "true" or "false"; lists are checked item by item.
 */
export function validConfigValue(type: string, items: ItemsType | undefined, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      if (typeof value === "number") return Number.isInteger(value);
      // strconv.Atoi: an optional sign and decimal digits, within a 64-bit integer.
      return typeof value === "string" && /^[+-]?\d+$/.test(value) && BigInt(value) >= INT64_MIN && BigInt(value) <= INT64_MAX;
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return Array.isArray(value) && items !== undefined && value.every((item) => validConfigValue(items.type, items.items, item));
  }
}

function isSecureValue(value: unknown): value is { secure: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as any).secure === "string"
  );
}

function containsSecure(value: unknown): boolean {
  if (isSecureValue(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecure);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecure);
  return false;
}

/**
 * A stack file's YAML value as config text (`object.MarshalString`): scalars become their text
 * (numbers and booleans as JSON), `{secure: ...}` is ciphertext, lists and maps are JSON.
 */
export function stackValueOf(raw: unknown): StackValue {
  if (isSecureValue(raw)) return { text: raw.secure, secure: true, object: false };
  if (typeof raw === "string") return { text: raw, secure: false, object: false };
  if (raw === null || typeof raw === "number" || typeof raw === "boolean")
    return { text: JSON.stringify(raw), secure: false, object: false };
  return { text: JSON.stringify(raw), secure: containsSecure(raw), object: true };
}

/** A project default or value as config text (`createConfigValue`): primitives as text, the rest as JSON. */
function declaredValue(value: unknown): StackValue {
  if (isPrimitive(value)) return { text: String(value), secure: false, object: false };
  return { text: JSON.stringify(value), secure: false, object: true };
}

/** `formatMissingKeys`: sorted, quoted, and joined with commas and a final "and". */
export function formatMissingKeys(keys: string[]): string {
  const sorted = [...keys].sort();
  if (sorted.length === 1) return `'${sorted[0]}'`;
  return `${sorted
    .slice(0, -1)
    .map((k) => `'${k}'`)
    .join(", ")} and '${sorted[sorted.length - 1]}'`;
}

export interface MergeOptions {
  /** The plaintext of a secure value, where the caller can know it; without it, a secure value's type is not checked. */
  decrypt?: (key: string, value: StackValue) => string | undefined;
}

/**
 * `mergeConfig` with validation on, as `pulumi preview` and `pulumi up` run it: walks the declared keys
 * in sorted order; a project key with no stack value, no default and no value is missing (all of them
 * are reported together, after the walk); a default or value fills an unset key; a set key declared with
 * a type is checked, secret first, and the first bad one stops the walk.
 */
export function mergeProjectConfig(
  project: string,
  stack: string,
  declarations: Record<string, ConfigDeclaration>,
  stackConfig: Record<string, StackValue>,
  options: MergeOptions = {},
): Record<string, StackValue> {
  const merged: Record<string, StackValue> = { ...stackConfig };
  const missing: string[] = [];
  for (const key of Object.keys(declarations).sort()) {
    const d = declarations[key];
    const full = fullKey(project, key);
    const value = merged[full];
    const hasDefault = d.default !== undefined;
    const hasValue = d.value !== undefined;
    if (value === undefined) {
      if (hasDefault || hasValue) merged[full] = declaredValue(hasDefault ? d.default : d.value);
      else if (full.startsWith(`${project}:`)) missing.push(key);
      continue;
    }
    if (d.type === undefined) continue;
    if (d.secret && !value.secure)
      throw new StackConfigError(`Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
    const text = value.secure ? options.decrypt?.(full, value) : value.text;
    if (text === undefined) continue;
    let content: unknown = text;
    if (value.object) {
      try {
        content = JSON.parse(text);
      } catch (err) {
        throw new StackConfigError(`Stack '${stack}' with configuration key '${key}': ${(err as Error).message}`);
      }
    }
    if (!validConfigValue(d.type, d.items, content))
      throw new StackConfigError(`Stack '${stack}' with configuration key '${key}' must be of type '${fullTypeName(d.type, d.items)}'`);
  }
  if (missing.length > 0)
    throw new StackConfigError(
      `Stack '${stack}' is missing configuration ${missing.length > 1 ? "values" : "value"} ${formatMissingKeys(missing)}`,
    );
  return merged;
}
