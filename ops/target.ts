/**
 * Where an operations tool works: a deployed stack (its outputs from `pulumi stack output --json`, a
 * file, or PLATFORM_STACK_OUTPUTS; the AWS SDK's default credentials) or the running local cloud (its
 * state file: outputs with local URLs, and the emulators' endpoints).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { readStackConfig } from "../graph/stack-config";
import { LocalCloudState, readLocalCloudState } from "../local/cloud";
import { resolveLocalhostSubdomains } from "../local/localhost-dns";

/** Bad input to a tool: it exits 2 with the message. */
export class ToolInputError extends Error {}

export interface Target {
  outputs: Record<string, any>;
  region: string;
  /** Client settings: endpoints and credentials for the local cloud; empty for AWS (the default chain). */
  client(service: "sqs" | "lambda" | "logs"): {
    endpoint?: string;
    region: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
  };
  /** Set for the local cloud. */
  local?: LocalCloudState;
}

export interface TargetOptions {
  /** The stack; resolved by `stackOf` when the command line names none. */
  stack: string;
  local: boolean;
  program: string;
  /** A file with the stack's outputs as JSON. */
  outputs?: string;
}

/**
 * The stack a tool works on: the one named, else for the local cloud `dev`, else the stack the Pulumi
 * CLI has selected for this project (`pulumi stack select`). Against AWS it never guesses: without
 * either, it fails naming `--stack`, so a prod alarm's runbook cannot act on dev by accident.
 */
export function stackOf(opts: { stack?: string; local: boolean; program: string }): string {
  if (opts.stack) return opts.stack;
  if (opts.local) return "dev";
  let selected = "";
  try {
    selected = execFileSync("pulumi", ["stack", "--show-name"], {
      cwd: opts.program,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A code is a failure to start the CLI at all; otherwise it ran, failed, and said why on stderr.
    const reason =
      code === "ENOENT"
        ? "the Pulumi CLI is not installed"
        : typeof code === "string"
          ? `the Pulumi CLI could not be run (${code})`
          : ((err as { stderr?: string }).stderr ?? "").trim().split("\n")[0] || "no stack is selected";
    throw new ToolInputError(
      `name the stack with --stack <name> (or --local for the local cloud): ${reason}, so there is no selected stack to use`,
    );
  }
  if (!selected)
    throw new ToolInputError("name the stack with --stack <name> (or --local for the local cloud): the Pulumi CLI has no stack selected");
  // The CLI may print an organization-qualified name; the stack files go by the short one.
  return selected.split("/").pop()!;
}

export function resolveTarget(opts: TargetOptions): Target {
  if (opts.local) {
    const state = readLocalCloudState(opts.program, opts.stack);
    resolveLocalhostSubdomains();
    const region = state.environment.AWS_REGION;
    const credentials = { accessKeyId: state.environment.AWS_ACCESS_KEY_ID, secretAccessKey: state.environment.AWS_SECRET_ACCESS_KEY };
    const endpoints = { sqs: state.environment.AWS_ENDPOINT_URL_SQS, lambda: state.lambdaEndpoint, logs: state.lambdaEndpoint };
    return { outputs: state.outputs, region, local: state, client: (service) => ({ endpoint: endpoints[service], region, credentials }) };
  }
  let config: Record<string, string>;
  try {
    config = readStackConfig(opts.program, opts.stack).config;
  } catch (err) {
    throw new ToolInputError((err as Error).message);
  }
  const region = config["aws:region"];
  return { outputs: stackOutputs(opts), region, client: () => ({ region }) };
}

function stackOutputs(opts: TargetOptions): Record<string, any> {
  let text: string;
  if (opts.outputs) {
    if (!fs.existsSync(opts.outputs)) throw new ToolInputError(`--outputs ${opts.outputs}: no such file`);
    text = fs.readFileSync(opts.outputs, "utf8");
  } else if (process.env.PLATFORM_STACK_OUTPUTS) {
    text = process.env.PLATFORM_STACK_OUTPUTS;
  } else {
    try {
      text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", opts.stack], {
        cwd: opts.program,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (err) {
      throw new ToolInputError(
        `could not read stack ${opts.stack}'s outputs with \`pulumi stack output --json\` (${(err as Error).message.split("\n")[0]}); pass --outputs <file> or set PLATFORM_STACK_OUTPUTS`,
      );
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ToolInputError(`the stack outputs are not JSON: ${(err as Error).message}`);
  }
}

/** An AWS SDK error, said plainly, or undefined when it is not one of the usual ones. */
export function awsProblem(err: Error): string | undefined {
  const name = err.name ?? "";
  if (/CredentialsProviderError|ExpiredToken|InvalidClientTokenId|UnrecognizedClient/.test(name))
    return `no valid AWS credentials for this stack's account (${err.message})`;
  if (/Throttl|RequestThrottled|TooManyRequests/.test(name))
    return `AWS is throttling these calls; try again later or with a smaller --max (${err.message})`;
  if (/AccessDenied/.test(name)) return `access denied: ${err.message}`;
  if (/NonExistentQueue|QueueDoesNotExist|ResourceNotFound/.test(name)) return `not found in this account and region: ${err.message}`;
  return undefined;
}
