/**
 * The offline preview: capture a stack's graph with no credentials and no network, check it against
 * the policy pack, and print either a readable tree or the plan document.
 * Exit status: 0 clean, 1 a mandatory policy is violated, 2 bad arguments or invalid stack config,
 * 3 the program itself threw.
 */
import * as fs from "fs";
import * as path from "path";
import { captureStack, Graph, programFailureHint } from "./capture";
import { toPlanDocument } from "./plan";
import { Enforcement, evaluatePolicies, Violation } from "./policy-runner";
import { NameLimitError } from "./naming";
import { listStacks, readStackConfig, StackConfigError } from "./stack-config";

export const EXIT = { ok: 0, mandatoryViolation: 1, badInput: 2, programFailed: 3 } as const;

export interface PreviewOptions {
  programDir: string;
  stack: string;
  json: boolean;
}

export interface PreviewResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The policy config a stack uses: `policy/config.<environment>.json`, the file `pulumi preview` is given too. */
export function policyConfigFor(
  programDir: string,
  environment: string,
): { enforcement: Enforcement; config: Record<string, Record<string, unknown>> } {
  const file = path.join(programDir, "policy", `config.${environment}.json`);
  const raw = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : { all: "mandatory" };
  const { all, ...config } = raw;
  return { enforcement: all === "advisory" ? "advisory" : "mandatory", config };
}

/** By name for ConfigError: each capture reloads the program's modules, so its class is not this module's. */
export function isInputError(err: unknown): boolean {
  const name = (err as Error)?.name;
  return (
    err instanceof StackConfigError ||
    name === "ConfigError" ||
    name === "StackReferenceError" ||
    name === "ProgramEntryError" ||
    isSdkConfigError(err)
  );
}

/**
 * What `pulumi.Config`'s `require*` and `get*` throw for a missing or bad value (ConfigMissingError,
 * ConfigTypeError, ConfigEnumError, ConfigRangeError, ConfigPatternError in @pulumi/pulumi's config.ts):
 * the stack's config is at fault, not the program.
 */
function isSdkConfigError(err: unknown): boolean {
  return isRunError(err) && /^Config(Missing|Type|Enum|Range|Pattern)Error$/.test((err as object).constructor.name);
}

/**
 * An error the SDK raises for the user (a RunError): the CLI's host prints its message without a stack
 * ("Always hide the stack for RunErrors", sdk/nodejs/cmd/run/run.ts).
 */
export function isRunError(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { __pulumiRunError?: boolean }).__pulumiRunError === true;
}

/**
 * A failed program's report: its trace, or a RunError's message alone, as the CLI prints them; then a hint
 * where a common cause is known (programFailureHint). Ends with a newline.
 */
export function programFailureReport(err: unknown, programDir: string): string {
  const text = isRunError(err) ? (err as Error).message : String((err as Error)?.stack ?? err);
  return `${text}\n${programFailureHint(err, programDir)}`;
}

/** A bad stack's message, with a hint when the stack has no file (the CLI runs it with an empty config). */
export function describeInputError(err: unknown, programDir: string, stack: string): string {
  const message = (err as Error).message;
  if ((err as Error).name === "ProgramEntryError") return message;
  if (!fs.existsSync(path.join(programDir, "Pulumi.yaml")) || fs.existsSync(path.join(programDir, `Pulumi.${stack}.yaml`))) return message;
  return `${message}\n  (there is no Pulumi.${stack}.yaml, so the stack has an empty config; stacks with a file here: ${listStacks(programDir).join(", ") || "none"})`;
}

export async function runPreview(options: PreviewOptions): Promise<PreviewResult> {
  let graph: Graph;
  let environment = "prod";
  try {
    const { project, config } = readStackConfig(options.programDir, options.stack);
    environment = config[`${project}:environment`] ?? "prod";
    graph = await captureStack(options.programDir, options.stack);
  } catch (err) {
    if (isInputError(err))
      return { exitCode: EXIT.badInput, stdout: "", stderr: `error: ${describeInputError(err, options.programDir, options.stack)}\n` };
    if (err instanceof NameLimitError) return { exitCode: EXIT.programFailed, stdout: "", stderr: `error: ${err.message}\n` };
    return {
      exitCode: EXIT.programFailed,
      stdout: "",
      stderr: `error: the program failed: ${programFailureReport(err, options.programDir)}`,
    };
  }
  const { enforcement, config } = policyConfigFor(options.programDir, environment);
  const violations = await evaluatePolicies(graph.resources, { enforcement, config });
  const exitCode = violations.some((v) => v.enforcement === "mandatory") ? EXIT.mandatoryViolation : EXIT.ok;
  const stdout = options.json
    ? JSON.stringify(await toPlanDocument(graph, violations), null, 2) + "\n"
    : renderTree(graph) + renderPolicies(violations, enforcement);
  return { exitCode, stdout, stderr: "" };
}

/** A tree in the spirit of `pulumi preview`: components with their children, then a count per type. */
export function renderTree(graph: Graph): string {
  const lines = [
    `Previewing stack ${graph.stack} of ${graph.project} offline (account ${graph.placement.accountId}, ${graph.placement.region})`,
    "",
  ];
  const children = new Map<string | null, typeof graph.resources>();
  for (const r of graph.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const walk = (parent: string | null, indent: string) => {
    for (const r of children.get(parent) ?? []) {
      const flags = [r.options.protect ? "protected" : "", r.options.retainOnDelete ? "retained" : ""].filter(Boolean).join(", ");
      lines.push(`${indent}+ ${r.type.padEnd(Math.max(1, 60 - indent.length))} ${r.name}${flags ? `  [${flags}]` : ""}`);
      walk(r.urn, indent + "   ");
    }
  };
  walk(null, "");
  const counts = new Map<string, number>();
  for (const r of graph.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  lines.push("", `Resources: ${graph.resources.length} to create`);
  for (const [type, count] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
    lines.push(`  ${String(count).padStart(4)}  ${type}`);
  return lines.join("\n") + "\n";
}

export function renderPolicies(violations: Violation[], enforcement: Enforcement): string {
  const lines = ["", `Policies (${enforcement}):`];
  if (violations.length === 0) lines.push("  all policies pass");
  for (const v of violations) lines.push(`  [${v.enforcement}] ${v.policy}: ${v.message}${v.urn ? `\n      ${v.urn}` : ""}`);
  return lines.join("\n") + "\n";
}
