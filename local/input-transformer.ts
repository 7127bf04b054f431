/**
 * What an EventBridge target gets from an event: its constant `input`, the part its `inputPath` selects,
 * or what its `inputTransformer` makes of it ("Amazon EventBridge input transformation", EventBridge User
 * Guide; InputTransformer, EventBridge API Reference):
 *
 * - each `inputPaths` entry names a value the JSON path takes from the event (dot notation, array indices,
 *   wildcards); a path the event does not have gives an empty value;
 * - the template's `<name>` placeholders take those values, or the predefined `aws.events.rule-arn`,
 *   `aws.events.rule-name`, `aws.events.event` (the event), `aws.events.event.json` (the event's JSON) and
 *   `aws.events.event.ingestion-time`; a placeholder that names neither is left as written;
 * - a JSON template (an object or a list) takes a value as JSON, or as its text inside a string; the
 *   target gets the JSON, minified;
 * - a string template (in quotes, which AWS requires) takes each value as its text, unescaped, and the
 *   target gets the text between the quotes.
 *
 * The template's shape is checked before the local cloud starts (policy/target-input.ts), as PutTargets
 * checks it.
 */

import { InputTransformer, isJsonTemplate, placeholdersOf } from "../policy/target-input";

export type { InputTransformer };

/** What a target gets: an event (JSON to write) or text to send as it is (a string template's). */
export type TargetPayload = { event: unknown; asText?: false } | { event: string; asText: true };

/** The constant input, the input path's part of the event, the transformer's output, or the event itself. */
export function targetPayload(
  target: { input?: string; inputPath?: string; inputTransformer?: InputTransformer },
  event: unknown,
  rule: { name: string; arn: string },
): TargetPayload {
  if (target.input !== undefined) return { event: JSON.parse(target.input) };
  if (target.inputTransformer) return transformInput(target.inputTransformer, event, rule);
  if (target.inputPath !== undefined) return { event: pathOf(event, target.inputPath) };
  return { event };
}

/**
 * A JSON path's value in `value`: `$`, `$.detail.id`, `$.resources[0]`, `$.detail.items[1].sku`; a
 * wildcard (`[*]`, `.*`) takes every element or field, and the path's value is then the list of what
 * each gives (those that give nothing left out).
 */
export function pathOf(value: unknown, path: string): unknown {
  const steps = path.replace(/^\$/, "").match(/\[\*\]|[^.[\]]+|\[\d+\]/g) ?? [];
  let many = false;
  let found: unknown[] = [value];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const at of found) {
      if (at === null || typeof at !== "object") continue;
      if (step === "[*]" || step === "*") {
        many = true;
        next.push(...Object.values(at as Record<string, unknown>));
        continue;
      }
      const index = /^\[(\d+)\]$/.exec(step);
      const got = index ? (Array.isArray(at) ? at[Number(index[1])] : undefined) : (at as Record<string, unknown>)[step];
      if (got !== undefined) next.push(got);
    }
    found = next;
  }
  return many ? found : found[0];
}

function transformInput(transformer: InputTransformer, event: unknown, rule: { name: string; arn: string }): TargetPayload {
  const values = new Map<string, unknown>([
    ["aws.events.rule-arn", rule.arn],
    ["aws.events.rule-name", rule.name],
    ["aws.events.event", event],
    ["aws.events.event.json", event],
    ["aws.events.event.ingestion-time", new Date().toISOString().replace(/\.\d{3}Z$/, "Z")],
  ]);
  for (const [name, path] of Object.entries(transformer.inputPaths ?? {})) values.set(name, pathOf(event, path) ?? "");
  const template = transformer.inputTemplate;
  const json = isJsonTemplate(template);
  let filled = "";
  let from = 0;
  for (const placeholder of placeholdersOf(template)) {
    if (!values.has(placeholder.name)) continue;
    const value = values.get(placeholder.name);
    const text = typeof value === "string" && (placeholder.quoted || !json) ? value : JSON.stringify(value);
    filled += template.slice(from, placeholder.start) + text;
    from = placeholder.end;
  }
  filled += template.slice(from);
  if (!json) return { event: filled.trim().replace(/^"|"$/g, ""), asText: true };
  // A value EventBridge put into a string unescaped can break the JSON: the target then gets the text as it is.
  try {
    return { event: JSON.parse(filled) };
  } catch {
    return { event: filled, asText: true };
  }
}
