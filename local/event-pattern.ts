/**
 * EventBridge event patterns, matched as EventBridge matches them ("Creating event patterns" and
 * "Content filtering in Amazon EventBridge event patterns", EventBridge User Guide): every field of the
 * pattern must match; a leaf is a list of alternatives; a field of the event that is a list matches when
 * any element does; a missing field matches only `{"exists": false}`; `$or` takes any of its patterns.
 * Matchers: exact values (strings, numbers, booleans, null), prefix, suffix, anything-but (values,
 * prefix, suffix, wildcard), numeric, exists, equals-ignore-case, wildcard and cidr. A pattern it does
 * not understand is refused at start-up with the reason, never matched loosely.
 */

export class EventPatternError extends Error {
  constructor(reason: string) {
    super(`event pattern: ${reason}`);
    this.name = "EventPatternError";
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Checks a pattern's shape, so a bad one fails when the local cloud starts, as PutRule would refuse it. */
export function checkPattern(pattern: unknown, path = ""): void {
  if (!pattern || typeof pattern !== "object" || Array.isArray(pattern))
    throw new EventPatternError(`${path || "the pattern"} must be an object`);
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (key === "$or") {
      if (!Array.isArray(value) || value.length < 2) throw new EventPatternError(`${at} must list at least two patterns`);
      value.forEach((p, i) => checkPattern(p, `${at}[${i}]`));
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new EventPatternError(`${at} is an empty list, which matches nothing`);
      for (const matcher of value) if (matcher && typeof matcher === "object") checkMatcher(matcher as Record<string, Json>, at);
    } else if (value && typeof value === "object") checkPattern(value, at);
    else throw new EventPatternError(`${at} must be a list of values or matchers, or an object (got ${JSON.stringify(value)})`);
  }
}

const MATCHERS = ["prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case", "wildcard", "cidr"];

function checkMatcher(matcher: Record<string, Json>, at: string): void {
  const keys = Object.keys(matcher);
  if (keys.length !== 1 || !MATCHERS.includes(keys[0]))
    throw new EventPatternError(`${at}: ${JSON.stringify(matcher)} is not a matcher (${MATCHERS.join(", ")})`);
  const [key] = keys;
  const value = matcher[key];
  if (key === "numeric") {
    if (!Array.isArray(value) || value.length === 0 || value.length % 2 !== 0 || value.length > 4)
      throw new EventPatternError(`${at}: numeric takes one or two operator and number pairs`);
    for (let i = 0; i < value.length; i += 2) {
      if (!["<", "<=", "=", ">", ">="].includes(String(value[i])) || typeof value[i + 1] !== "number")
        throw new EventPatternError(`${at}: numeric ${JSON.stringify(value)} is not an operator and number pair`);
    }
  }
  if (key === "exists" && typeof value !== "boolean") throw new EventPatternError(`${at}: exists takes true or false`);
  if (key === "cidr" && (typeof value !== "string" || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(value)))
    throw new EventPatternError(`${at}: cidr takes an IPv4 block such as 10.0.0.0/24`);
}

/** Whether `event` matches `pattern`. */
export function matchesPattern(pattern: Record<string, Json>, event: unknown): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === "$or") return (expected as Record<string, Json>[]).some((p) => matchesPattern(p, event));
    const present = !!event && typeof event === "object" && !Array.isArray(event) && key in (event as object);
    const actual = present ? (event as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(expected)) return matchesLeaf(expected, present, actual);
    // A nested pattern needs the field to be an object (or objects in a list).
    if (!present) return false;
    return Array.isArray(actual)
      ? actual.some((a) => matchesPattern(expected as Record<string, Json>, a))
      : matchesPattern(expected as Record<string, Json>, actual);
  });
}

function matchesLeaf(alternatives: Json[], present: boolean, actual: unknown): boolean {
  const values = !present ? [] : Array.isArray(actual) ? actual : [actual];
  return alternatives.some((matcher) => {
    if (matcher && typeof matcher === "object" && !Array.isArray(matcher) && "exists" in matcher) return matcher.exists === present;
    if (!present) return false;
    // anything-but with a list field: no element may be among the excluded ones.
    if (matcher && typeof matcher === "object" && !Array.isArray(matcher) && "anything-but" in matcher)
      return values.length > 0 && values.every((v) => !matchesOne(matcher["anything-but"] as Json, v, true));
    return values.some((v) => matchesOne(matcher, v, false));
  });
}

/** One matcher against one value; `inner` for anything-but's operand, where a list means any of it. */
function matchesOne(matcher: Json, value: unknown, inner: boolean): boolean {
  if (Array.isArray(matcher)) return inner && matcher.some((m) => matchesOne(m, value, true));
  if (matcher === null || typeof matcher !== "object") return matcher === value;
  const [key, operand] = Object.entries(matcher)[0];
  const text = typeof value === "string" ? value : undefined;
  switch (key) {
    case "prefix":
      return (
        text !== undefined &&
        (typeof operand === "object" && operand !== null && "equals-ignore-case" in operand
          ? text.toLowerCase().startsWith(String((operand as Record<string, Json>)["equals-ignore-case"]).toLowerCase())
          : text.startsWith(String(operand)))
      );
    case "suffix":
      return (
        text !== undefined &&
        (typeof operand === "object" && operand !== null && "equals-ignore-case" in operand
          ? text.toLowerCase().endsWith(String((operand as Record<string, Json>)["equals-ignore-case"]).toLowerCase())
          : text.endsWith(String(operand)))
      );
    case "equals-ignore-case":
      return text !== undefined && text.toLowerCase() === String(operand).toLowerCase();
    case "wildcard":
      return (
        text !== undefined &&
        new RegExp(
          `^${String(operand)
            .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, ".*")}$`,
          "s",
        ).test(text)
      );
    case "numeric":
      return typeof value === "number" && numeric(operand as Json[], value);
    case "cidr":
      return text !== undefined && inCidr(String(operand), text);
    default:
      return false;
  }
}

function numeric(conditions: Json[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = conditions[i + 1] as number;
    const ok = { "<": value < bound, "<=": value <= bound, "=": value === bound, ">": value > bound, ">=": value >= bound }[
      conditions[i] as string
    ];
    if (!ok) return false;
  }
  return true;
}

function inCidr(block: string, ip: string): boolean {
  const toNumber = (address: string) => address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return false;
  const [base, bits] = block.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(ip) / size) === Math.floor(toNumber(base) / size);
}
