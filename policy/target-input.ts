/**
 * The constant input of an EventBridge target, as EventBridge and EventBridge Scheduler read it. A rule's
 * target `input` must be valid JSON text (Target.Input, EventBridge API Reference; PutTargets refuses
 * other text: "Input for target … is not a valid JSON text"). A Scheduler schedule's input may be any
 * text, except for its templated Lambda, Step Functions and EventBridge targets, which need well-formed
 * JSON (Target.Input, EventBridge Scheduler API Reference). One rule for the policy pack and the local
 * cloud, so `pulumi preview` refuses what `pulumi up` would fail on and `npm start` does too.
 */

/** The Scheduler's templated targets whose input must be JSON, by the service of the target's ARN. */
const JSON_ONLY_SCHEDULER_TARGETS = new Set(["lambda", "states", "events"]);

/**
 * Why AWS would refuse this target's input, or undefined. `scheduler`: the target is a Scheduler
 * schedule's (else a rule's); `property` names where the program sets the input.
 */
export function targetInputProblem(input: unknown, targetArn: unknown, scheduler: boolean, property: string): string | undefined {
  if (input === undefined || input === null) return undefined;
  const service = typeof targetArn === "string" ? targetArn.split(":")[2] : undefined;
  if (scheduler && !JSON_ONLY_SCHEDULER_TARGETS.has(service ?? "")) return undefined;
  if (typeof input === "string") {
    try {
      JSON.parse(input);
      return undefined;
    } catch {
      // Not JSON: said below.
    }
  }
  const shown = typeof input === "string" ? JSON.stringify(input) : `of type ${typeof input}`;
  return scheduler
    ? `its ${property} ${shown} is not valid JSON text, which the Scheduler's templated ${service} target requires (CreateSchedule refuses it)`
    : `its ${property} ${shown} is not valid JSON text, which an EventBridge target requires (PutTargets refuses it: "Input for target … is not a valid JSON text")`;
}

/** An EventTarget's `inputTransformer`, as pulumi-aws names its fields. */
export interface InputTransformer {
  /** Placeholder name → JSON path into the event. @default none */
  inputPaths?: Record<string, string>;
  inputTemplate: string;
}

/** Whether a template is JSON (an object or a list), as opposed to a string template. */
export function isJsonTemplate(template: string): boolean {
  return /^\s*[{[]/.test(template);
}

/** Where each placeholder `<name>` of a template is, and whether it stands inside a JSON string. */
export function placeholdersOf(template: string): { name: string; start: number; end: number; quoted: boolean }[] {
  const found: { name: string; start: number; end: number; quoted: boolean }[] = [];
  let quoted = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (c === "<") {
      // A name runs to the next ">" without spaces or another "<"; a "<" that opens none is text.
      const name = /^<([^<>\s]+)>/.exec(template.slice(i))?.[1];
      if (name === undefined) continue;
      found.push({ name, start: i, end: i + name.length + 2, quoted });
      i += name.length + 1;
    }
  }
  return found;
}

/** The names EventBridge defines itself, which a transformer's `inputPaths` may not use. */
export const PREDEFINED_VARIABLES = [
  "aws.events.rule-arn",
  "aws.events.rule-name",
  "aws.events.event",
  "aws.events.event.json",
  "aws.events.event.ingestion-time",
];

/**
 * Why PutTargets would refuse this input transformer, or undefined ("Amazon EventBridge input
 * transformation", EventBridge User Guide; InputTransformer, EventBridge API Reference): at most 100
 * input paths, none named as a predefined variable; a string template in quotes; a JSON template that is
 * JSON once its placeholders are filled, so none stands as an object key.
 */
export function inputTransformerProblem(transformer: unknown): string | undefined {
  const { inputPaths = {}, inputTemplate } = (transformer ?? {}) as { inputPaths?: unknown; inputTemplate?: unknown };
  if (typeof inputTemplate !== "string" || inputTemplate.trim() === "") return "its inputTransformer has no inputTemplate";
  if (inputPaths === null || typeof inputPaths !== "object" || Array.isArray(inputPaths))
    return "its inputTransformer.inputPaths is not a map of names to JSON paths";
  const names = Object.keys(inputPaths);
  if (names.length > 100) return `its inputTransformer has ${names.length} inputPaths; EventBridge allows 100`;
  const reserved = names.find((n) => PREDEFINED_VARIABLES.includes(n));
  if (reserved) return `its inputTransformer names an input path ${reserved}, which EventBridge reserves for its own variable`;
  const notPath = names.find((n) => typeof (inputPaths as Record<string, unknown>)[n] !== "string");
  if (notPath) return `its inputTransformer's input path ${notPath} is not a JSON path`;
  if (!isJsonTemplate(inputTemplate)) {
    const text = inputTemplate.trim();
    return text.length >= 2 && text.startsWith('"') && text.endsWith('"')
      ? undefined
      : `its inputTransformer.inputTemplate ${JSON.stringify(inputTemplate)} is neither JSON nor a string in quotes, which EventBridge requires of a string template`;
  }
  const known = new Set([...names, ...PREDEFINED_VARIABLES]);
  let filled = "";
  let from = 0;
  for (const p of placeholdersOf(inputTemplate)) {
    if (!known.has(p.name)) continue;
    filled += inputTemplate.slice(from, p.start) + (p.quoted ? "x" : "null");
    from = p.end;
  }
  try {
    JSON.parse(filled + inputTemplate.slice(from));
    return undefined;
  } catch {
    return `its inputTransformer.inputTemplate is not JSON once its placeholders are filled (a placeholder may not be an object key, and each must be one EventBridge knows)`;
  }
}
