/**
 * The one shared test harness: it captures a program (or a few components) with the graph capture
 * the offline preview and the local cloud use, and offers lookups on the recorded resources.
 * Assertions run on the settled record, never inside an apply.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { capture, captureStack, CapturedResource, Graph, providerUrn } from "../graph/capture";

export const PROGRAM_DIR = path.resolve(__dirname, "..");

export class GraphView {
  constructor(public readonly graph: Graph) {}

  get resources(): CapturedResource[] {
    return this.graph.resources;
  }

  all(type: string): CapturedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of `type` named `name`; fails the test if there is not exactly one. */
  one(type: string, name: string): CapturedResource {
    const found = this.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
  }

  /** The explicit provider a resource was registered with. */
  providerOf(resource: CapturedResource): CapturedResource {
    if (!resource.provider) throw new Error(`${resource.name} has no explicit provider`);
    return this.byUrn(providerUrn(resource.provider));
  }

  byUrn(urn: string): CapturedResource {
    const found = this.resources.find((r) => r.urn === urn);
    if (!found) throw new Error(`no resource ${urn}`);
    return found;
  }

  /** Every resource below `ancestor` in the parent tree. */
  descendants(ancestor: CapturedResource, type?: string): CapturedResource[] {
    const out: CapturedResource[] = [];
    const walk = (urn: string) => {
      for (const r of this.resources.filter((x) => x.parent === urn)) {
        out.push(r);
        walk(r.urn);
      }
    };
    walk(ancestor.urn);
    return type ? out.filter((r) => r.type === type) : out;
  }

  /** The resource whose assigned ARN (or id) a reference holds. */
  referenced(value: string): CapturedResource | undefined {
    return this.resources.find((r) => r.arn === value || r.id === value);
  }
}

/**
 * Each resource's aliases, which the engine reads and the capture's record leaves out: call it inside the
 * captured program. The map is new for each capture, so a run (a mutant's, under Stryker) never reads an
 * earlier run's aliases.
 */
export function recordAliases(): Map<string, unknown[]> {
  const aliasesOf = new Map<string, unknown[]>();
  pulumi.runtime.registerStackTransformation((args) => {
    if (args.opts.aliases?.length) aliasesOf.set(args.name, args.opts.aliases);
    return undefined;
  });
  return aliasesOf;
}

/** An output's value (a resource's `urn`, a component's attribute) once it has settled, for a test to compare. */
export function settledValue<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => pulumi.output(value).apply(resolve));
}

/** `[protect, retainOnDelete]`: what `protect` means in every component is both at once. */
export function keptOptions(resource: CapturedResource): [boolean, boolean] {
  return [resource.options.protect, resource.options.retainOnDelete];
}

/** A JSON-string input (a policy document, a redrive policy) parsed. */
export function parsed(resource: CapturedResource, input: string): any {
  const value = resource.inputs[input];
  if (typeof value !== "string") throw new Error(`${resource.name}.${input} is not a JSON string`);
  return JSON.parse(value);
}

/** Captures whatever `program` registers, as a stack named `stack`, with `config` (its `secretKeys` read as secrets). */
export async function captureComponents(
  program: () => unknown,
  stack = "test",
  config: Record<string, string> = {},
  secretKeys: string[] = [],
): Promise<GraphView> {
  return new GraphView(await capture(program, { project: "platform", stack, config, secretKeys }));
}

/**
 * What a capture is remembered by, for the run: tests share the few stacks they read. Under mutation
 * testing, tests/mutation-before-hooks.ts forgets them before each run, so every mutant's run captures
 * anew with the mutant active, and credits a remembered capture's coverage to each suite that reads it.
 */
export const remembered = {
  values: new Map<string, Promise<unknown>>(),
  /** Makes each value in its stead (calling `make`), and hears when a made one is read again. */
  observer: undefined as undefined | { make<T>(key: string, make: () => Promise<T>): Promise<T>; reused(key: string): void },
  get<T>(key: string, make: () => Promise<T>): Promise<T> {
    const known = this.values.get(key);
    if (known) {
      this.observer?.reused(key);
      return known as Promise<T>;
    }
    const made = this.observer ? this.observer.make(key, make) : make();
    this.values.set(key, made);
    return made;
  },
};

/** The composed program captured with a stack's config from its Pulumi.<stack>.yaml (remembered for the run). */
export function stackGraph(stack: string): Promise<GraphView> {
  return remembered.get(`stack ${stack}`, () => captureStack(PROGRAM_DIR, stack).then((g) => new GraphView(g)));
}

/**
 * The stage stack with every optional setting flipped from its default, captured once: logs to
 * Kinesis for 72 h, stricter alarm settings, and the edge (with its domain) off.
 */
export const STAGE_VARIANT = {
  logDestination: "kinesis",
  logStreamRetentionHours: "72",
  functionErrorsThreshold: "5",
  alarmEvaluationPeriods: "3",
  apiServerErrorsThreshold: "10",
  edgeEnabled: "false",
  edgeDomain: "",
  edgeHostedZoneId: "",
};
export function stageVariantGraph(): Promise<GraphView> {
  return remembered.get("stage variant", () => captureStack(PROGRAM_DIR, "stage", STAGE_VARIANT).then((g) => new GraphView(g)));
}

export const ALERT_TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts";

/** A small real handler, for component tests that need a function to bundle. */
export const HEALTH_ENTRY = path.join(PROGRAM_DIR, "functions", "health.ts");

/** The message of the error `construct` throws while building components under mocks, or "" if none. */
export async function constructionError(construct: () => void): Promise<string> {
  let message = "";
  await captureComponents(() => {
    try {
      construct();
    } catch (err) {
      message = (err as Error).message;
    }
  });
  return message;
}
