/**
 * The one graph-capture mechanism. It runs a Pulumi program under the SDK's mock monitor, with a
 * stack's config, and records every resource the program registers: inputs as passed, the
 * options the engine would see (parent, provider, protect, retainOnDelete, dependsOn), and the
 * identity the offline run assigned. Tests, the offline preview and the local cloud all read this.
 */
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import * as pulumi from "@pulumi/pulumi";
import {
  checkSdkInternals,
  deserializeProperties,
  deserializeProperty,
  isRpcSecret,
  MockMonitor,
  specialResourceSig,
  specialSigKey,
  unwrapRpcSecret,
} from "./sdk-internals";
import { assignIdentity, Placement } from "./identity";
import { nameResource, NameLimitError } from "./naming";
import { policyDocument } from "./policy-document";
import { resolveReference, ResolvedReference, StackReferenceError } from "./stack-reference";
import { programLocation, readProject, readStackConfig } from "./stack-config";

export interface CapturedResource {
  urn: string;
  type: string;
  name: string;
  id: string | null;
  arn: string | null;
  parent: string | null;
  custom: boolean;
  /**
   * A remote component (awsx's `Vpc`): its provider plugin builds its children, so under mocks it is one
   * node whose outputs the capture makes up (graph/identity.ts). @default false
   */
  remote?: boolean;
  provider: string | null;
  /** Inputs exactly as the program passed them (secrets stay wrapped, assets stay assets). */
  inputs: Record<string, any>;
  /**
   * Per input property, the URNs of the resources its value came from, as the SDK registers them
   * (RegisterResourceRequest.propertyDependencies) and the engine hands the policy pack: what links a
   * function to its security group while the group's id is still unknown in a preview. @default none
   */
  propertyDependencies?: Record<string, string[]>;
  /** The outputs the offline run gave the resource: inputs plus the assigned identity. */
  state: Record<string, any>;
  options: { protect: boolean; retainOnDelete: boolean; dependsOn: string[]; ignoreChanges: string[] };
}

export interface Graph {
  project: string;
  stack: string;
  placement: Placement;
  /** The program's directory, the working directory it ran in: relative asset paths resolve against it. @default the process's */
  programDir?: string;
  /** Whether the stack has a `Pulumi.<stack>.yaml`; without one it ran with an empty config, as the CLI runs it. */
  hasStackFile?: boolean;
  /** The stack's config the program ran with, secrets left out (`<namespace>:<key>` to its text): for hints that name a key. */
  config?: Record<string, string>;
  resources: CapturedResource[];
  outputs: Record<string, any>;
}

export interface CaptureSettings {
  project: string;
  stack: string;
  /** Stack config as `<namespace>:<key>` to string, as the Pulumi CLI hands it to a program. */
  config?: Record<string, string>;
  /** Config keys whose values the program must read as secrets. */
  secretKeys?: string[];
  /** Where resources are placed. @default the first `aws:allowedAccountIds` entry and `aws:region`, else 123456789012 / us-east-1 */
  placement?: Placement;
  /** The Pulumi organization the stack belongs to. @default "organization", the CLI's name for a backend without one */
  organization?: string;
  /** The working directory the program runs in, as the CLI's language host sets it (`--pwd`). @default the process's */
  cwd?: string;
  /** Resolves a StackReference's outputs. @default none: a program that references a stack fails, naming it */
  resolveStackReference?: (name: string) => Promise<ResolvedReference>;
}

/** The mock monitor, extended to keep each registration's options next to the resource it registered. */
class RecordingMonitor extends MockMonitor {
  readonly records: Omit<CapturedResource, "options" | "state" | "id" | "arn">[] = [];
  readonly meta = new Map<string, { protect: boolean; retainOnDelete: boolean; id: string | null; ignoreChanges?: string[] }>();
  /** The ARN each custom resource was given, by URN. */
  readonly arns = new Map<string, string | null>();
  /** The stacks references resolved to, by reference name, for messages about their outputs. */
  readonly references = new Map<string, ResolvedReference>();
  /** Names AWS or Pulumi's auto-naming would refuse, reported together once the capture ends. */
  readonly nameProblems: string[] = [];
  /** Stack references that could not be resolved, reported together once the capture ends. */
  readonly referenceProblems: string[] = [];
  /** The URN of the registration in progress: the mock's newResource runs synchronously inside it. */
  pendingUrn = "";

  constructor(mocks: pulumi.runtime.Mocks) {
    super(mocks);
    // URNs as the engine forms them: the root stack's type is not part of its children's type chain.
    (this as any).newUrn = (parent: string, type: string, name: string): string => {
      const parentType = parent ? parent.split("::")[2] : "";
      const chain = parent && !parentType.endsWith("pulumi:pulumi:Stack") ? `${parentType}$${type}` : type;
      return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${chain}::${name}`;
    };
  }

  /** A read resource (a StackReference, `get` of an existing one): recorded like any other, with its id. */
  async readResource(req: any, callback: (err: any, resp: any) => void): Promise<void> {
    this.pendingUrn = (this as any).newUrn(req.getParent(), req.getType(), req.getName());
    await super.readResource(req, (err: any, resp: any) => {
      if (!err && resp) {
        const urn: string = resp.getUrn();
        this.records.push({
          urn,
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || null,
          custom: true,
          provider: req.getProvider() || null,
          inputs: deserializeProperties(req.getProperties()),
        });
        this.meta.set(urn, { protect: false, retainOnDelete: false, id: req.getId() || null });
      }
      callback(err, resp);
    });
  }

  async registerResource(req: any, callback: (err: any, resp: any) => void): Promise<void> {
    this.pendingUrn = (this as any).newUrn(req.getParent(), req.getType(), req.getName());
    if (req.getCustom() && !req.getType().startsWith("pulumi:")) asProviderReceivesIt(req);
    await super.registerResource(req, (err: any, resp: any) => {
      if (!err && resp) {
        const urn: string = resp.getUrn();
        this.records.push({
          urn,
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || null,
          custom: req.getCustom(),
          ...(req.getRemote?.() ? { remote: true } : {}),
          provider: req.getProvider() || null,
          inputs: deserializeProperties(req.getObject()),
          ...propertyDependenciesOf(req),
        });
        const ignoreChanges: string[] = req.getIgnorechangesList?.() ?? [];
        this.meta.set(urn, {
          protect: !!req.getProtect(),
          retainOnDelete: !!req.getRetainondelete(),
          id: resp.getId() || null,
          ...(ignoreChanges.length ? { ignoreChanges } : {}),
        });
      }
      callback(err, resp);
    });
  }
}

/**
 * A custom resource's inputs as its provider receives them. The engine hands a resource reference (`role: role`,
 * which @pulumi/aws's types allow) to a provider that does not accept resources as the resource's ID, or its URN
 * when it has none (MarshalPropertyValue without KeepResources, sdk/go/common/resource/plugin/rpc.go in
 * pulumi/pulumi). pulumi-aws and the other Terraform-bridged providers do not accept them: their
 * ConfigureResponse leaves `acceptResources` unset (pkg/tfbridge/provider.go in pulumi-terraform-bridge). So
 * `new aws.iam.RolePolicy("p", { role })` names the role by its ID, its name, as it does in AWS.
 */
function asProviderReceivesIt(req: any): void {
  const object = req.getObject();
  if (!object) return;
  let found = false;
  const downgrade = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(downgrade);
    if (!value || typeof value !== "object") return value;
    const v = value as Record<string, unknown>;
    if (v[specialSigKey] === specialResourceSig) {
      found = true;
      return typeof v.id === "string" && v.id !== "" ? v.id : v.urn;
    }
    return Object.fromEntries(Object.entries(v).map(([key, inner]) => [key, downgrade(inner)]));
  };
  const plain = downgrade(object.toJavaScript());
  if (found) req.setObject(object.constructor.fromJavaScript(plain));
}

/** The request's property dependencies, each property with at least one URN; nothing when none has one. */
function propertyDependenciesOf(req: any): { propertyDependencies?: Record<string, string[]> } {
  const out: Record<string, string[]> = {};
  req.getPropertydependenciesMap?.().forEach((dependencies: any, key: string) => {
    const urns: string[] = dependencies.getUrnsList();
    if (urns.length) out[key] = urns;
  });
  return Object.keys(out).length ? { propertyDependencies: out } : {};
}

/** A StackReference's state: the referenced stack's outputs, resolved by capturing it; a failure is recorded, not thrown, so it is reported as bad input. */
async function referenceState(
  name: string,
  settings: CaptureSettings,
  monitor: RecordingMonitor,
): Promise<{ id: string; state: Record<string, unknown> }> {
  try {
    if (!settings.resolveStackReference)
      throw new StackReferenceError([`stack reference "${name}": this capture resolves no stack references`]);
    const resolved = await settings.resolveStackReference(name);
    monitor.references.set(name, resolved);
    return { id: name, state: { name, outputs: resolved.outputs, secretOutputNames: resolved.secretOutputNames } };
  } catch (err) {
    monitor.referenceProblems.push(...((err as StackReferenceError).problems ?? [(err as Error).message]));
    return { id: name, state: { name, outputs: {}, secretOutputNames: [] } };
  }
}

/** The program's failure said as bad input when it comes from a stack reference: unresolved, or lacking an output the program requires. */
function referenceError(err: unknown, monitor: RecordingMonitor): StackReferenceError | undefined {
  if (monitor.referenceProblems.length > 0) return new StackReferenceError(monitor.referenceProblems);
  const missing = /Required output '(.+)' does not exist on stack '(.+)'/.exec(String((err as Error)?.message ?? err));
  if (!missing) return undefined;
  const resolved = monitor.references.get(missing[2]);
  const fix = resolved
    ? `; update it with: pulumi up -C ${path.relative(process.cwd(), resolved.programDir) || "."} -s ${resolved.stack}`
    : "";
  return new StackReferenceError([`the referenced stack ${missing[2]} has no output ${missing[1]}, which this program requires${fix}`]);
}

function placementOf(settings: CaptureSettings): Placement {
  if (settings.placement) return settings.placement;
  const config = settings.config ?? {};
  let accountId = "123456789012";
  try {
    const ids = JSON.parse(config["aws:allowedAccountIds"] ?? "[]");
    if (Array.isArray(ids) && typeof ids[0] === "string") accountId = ids[0];
  } catch {
    // An unparsable list is the program's config validation's to report, not the harness's.
  }
  // The provider's order: its `aws:region` config, else the AWS_REGION and AWS_DEFAULT_REGION variables.
  if (config["aws:region"]) return { accountId, region: config["aws:region"], regionSource: "aws:region" };
  for (const variable of ["AWS_REGION", "AWS_DEFAULT_REGION"] as const) {
    if (process.env[variable]) return { accountId, region: process.env[variable]!, regionSource: variable };
  }
  return { accountId, region: "us-east-1", regionSource: "default" };
}

/**
 * @pulumi/aws creates a bucket's one BucketNotification for all its `onObjectCreated`-style subscriptions
 * when the program's process is about to exit (`process.on("beforeExit")` in its s3/s3Mixins.js), which the
 * CLI's language host lets happen. A capture runs in a process that goes on, so it calls that hook itself,
 * and only that one: other `beforeExit` listeners of this process are not the program's.
 */
function runProviderExitHooks(): void {
  for (const listener of process.listeners("beforeExit")) {
    if (listener.toString().includes("bucketSubscriptionInfos")) (listener as (code: number) => void)(0);
  }
}

/**
 * What the program throws where nobody awaits it while it is captured: an error in an apply callback
 * (which surfaces as the engine serializes the resource's inputs, as an unhandled rejection) or in a
 * timer. The CLI's Node.js host fails the run on either (its `uncaughtHandler` for `uncaughtException`
 * and `unhandledRejection`, sdk/nodejs/cmd/run/run.ts); here the capture rejects with the error, where
 * Node would otherwise end the whole process (the local cloud included) with its own dump and exit 1.
 */
function programFailures(): { first: Promise<never>; settled(): Promise<void>; stop(failure?: unknown): Promise<void> } {
  let fail!: (err: unknown) => void;
  const first = new Promise<never>((_, reject) => (fail = reject));
  // Observed by the race that reads it; unobserved when the program fails in no such way.
  first.catch(() => undefined);
  let onFailure = (err: unknown) => fail(err);
  const listener = (err: unknown) => onFailure(err);
  process.on("unhandledRejection", listener);
  process.on("uncaughtException", listener);
  // Node reports a rejection as unhandled only once the microtasks of its turn have run: a turn later,
  // every rejection of the capture has been reported.
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    first,
    settled: () => Promise.race([nextTurn(), first]),
    /**
     * Gives the process its handlers back. After a failure, the SDK's own promises (the stack's outputs) reject
     * with the same error a turn later: reported once already, they are let go, as the CLI's host reports an
     * error once (its `isErrorReported`); any other error is the process's own, thrown as Node would.
     */
    stop: async (failure?: unknown) => {
      if (failure !== undefined) {
        onFailure = (err) => {
          if (err !== failure)
            setImmediate(() => {
              throw err;
            });
        };
        await nextTurn();
      }
      process.off("unhandledRejection", listener);
      process.off("uncaughtException", listener);
    },
  };
}

/**
 * A line after a failed program's trace, for the failures programs run unmodified meet most: the AWS
 * region read by the program (`aws.config.requireRegion()`, @pulumi/aws's config/require.ts) with neither
 * `aws:region` nor AWS_REGION set, which fails `pulumi up` as it fails here; and a package the program
 * imports that is not installed beside it. Empty for any other failure.
 */
export function programFailureHint(err: unknown, programDir: string): string {
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes("No AWS region has been configured"))
    return "hint: the program reads the AWS region, which neither the stack's aws:region nor AWS_REGION sets: `pulumi config set aws:region us-east-1`, or AWS_REGION=us-east-1 for this run\n";
  const missing = /Cannot find module '([^'./][^']*)'/.exec(message)?.[1];
  if (missing && (err as { code?: string }).code === "MODULE_NOT_FOUND") {
    const name = missing.startsWith("@") ? missing.split("/").slice(0, 2).join("/") : missing.split("/")[0];
    return `hint: the program imports ${name}, which is not installed where it can find it: run \`npm install\` in ${programDir}\n`;
  }
  return "";
}

/** The URN in a provider reference, which the engine writes as `<urn>::<id>`. */
export function providerUrn(reference: string): string {
  return reference.split("::").slice(0, -1).join("::");
}

function urnOf(resource: pulumi.Resource): Promise<string> {
  return new Promise((resolve) => resource.urn.apply((urn) => resolve(urn)));
}

/**
 * Runs `program` as a Pulumi stack under mocks and returns the graph it registered.
 * The program may return (or resolve to) the stack's outputs.
 */
export function capture(program: () => unknown, settings: CaptureSettings): Promise<Graph> {
  checkSdkInternals();
  // The Pulumi runtime's state is process-global: captures must run one at a time.
  const run = queue.then(() => withPlainStackTraces(() => captureNow(program, settings)));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` with V8's own stack-trace formatting. The Pulumi SDK reads `new Error().stack` for
 * every promise and resource it makes (leak reports, source positions), and under ts-node each read
 * maps every frame through source maps: over a third of a capture's time. V8 formats a stack when
 * it is first read, so an error the program throws and nobody reads during the capture still gets
 * the mapped trace afterwards. PLATFORM_CAPTURE_MAPPED_TRACES=1 keeps the mapping (the benchmark's "before").
 */
async function withPlainStackTraces<T>(work: () => Promise<T>): Promise<T> {
  if (process.env.PLATFORM_CAPTURE_MAPPED_TRACES === "1") return work();
  const prepare = Error.prepareStackTrace;
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  try {
    return await work();
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

async function captureNow(program: () => unknown, settings: CaptureSettings): Promise<Graph> {
  // The CLI's Node.js host runs a program in its own folder (run.ts: process.chdir(--pwd)): relative paths resolve there.
  const previous = process.cwd();
  if (settings.cwd) process.chdir(settings.cwd);
  try {
    return await captureIn(program, settings);
  } finally {
    process.chdir(previous);
  }
}

async function captureIn(program: () => unknown, settings: CaptureSettings): Promise<Graph> {
  const placement = placementOf(settings);
  let monitor: RecordingMonitor;
  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      if (args.type === "pulumi:pulumi:StackReference") return referenceState(args.inputs.name, settings, monitor);
      const urn = monitor.pendingUrn;
      const naming = args.custom === false ? { generated: false } : nameResource(args.type, args.name, urn, args.inputs);
      if ("problem" in naming && naming.problem) monitor.nameProblems.push(naming.problem);
      const physical = ("name" in naming && naming.name) || args.name;
      const identity = assignIdentity(args.type, physical, args.inputs, placement, urn);
      monitor.arns.set(urn, identity.arn);
      const generated = "property" in naming && naming.generated && naming.property ? { [naming.property]: physical } : {};
      const state = { ...args.inputs, ...generated, ...identity.attributes, ...(identity.arn ? { arn: identity.arn } : {}) };
      return { id: identity.id, state };
    },
    call(args) {
      switch (args.token) {
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return { accountId: placement.accountId, arn: `arn:aws:iam::${placement.accountId}:user/offline`, userId: "OFFLINE" };
        case "aws:index/getRegion:getRegion": {
          // An invoke goes through the provider its options (or its parent's) name, as the engine sends it:
          // an explicit provider's region answers, else the stack's.
          const provider = args.provider ? monitor.records.find((r) => r.urn === providerUrn(args.provider!)) : undefined;
          const region = typeof provider?.inputs.region === "string" ? provider.inputs.region : placement.region;
          return { name: region, region, id: region };
        }
        case "aws:index/getPartition:getPartition":
          return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
        case "aws:iam/getPolicyDocument:getPolicyDocument":
          return policyDocument(args.inputs);
        default:
          return args.inputs;
      }
    },
  };

  // "organization" is what the CLI calls the organization of a backend without one (the local backend).
  const organization = settings.organization ?? "organization";
  await pulumi.runtime.setMocks(mocks, settings.project, settings.stack, false, organization);
  monitor = new RecordingMonitor(mocks);
  pulumi.runtime.setMockOptions(monitor, settings.project, settings.stack, false, organization);
  pulumi.runtime.setAllConfig(settings.config ?? {}, settings.secretKeys ?? []);

  const explicit: { resource: pulumi.Resource; dependsOn: pulumi.Resource[] }[] = [];
  const run = pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const deps = args.opts.dependsOn;
      const list = deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
      const resources = list.filter((d): d is pulumi.Resource => pulumi.Resource.isInstance(d));
      if (resources.length > 0) explicit.push({ resource: args.resource, dependsOn: resources });
      return undefined;
    });
    return await program();
  });
  let outputs: unknown;
  const failures = programFailures();
  try {
    outputs = await Promise.race([run, failures.first]);
    runProviderExitHooks();
    // Registrations still in flight (children created in applies, outputs settling) finish here.
    await Promise.race([pulumi.runtime.disconnect(), failures.first]);
    await failures.settled();
  } catch (err) {
    await failures.stop(err);
    throw referenceError(err, monitor) ?? err;
  }
  await failures.stop();
  if (monitor.referenceProblems.length > 0) throw new StackReferenceError(monitor.referenceProblems);
  if (monitor.nameProblems.length > 0) throw new NameLimitError(monitor.nameProblems);

  const dependsOn = new Map<string, string[]>();
  for (const entry of explicit) {
    const urn = await urnOf(entry.resource);
    dependsOn.set(urn, await Promise.all(entry.dependsOn.map(urnOf)));
  }

  const resources: CapturedResource[] = monitor.records.map((record) => {
    const meta = monitor.meta.get(record.urn)!;
    const registered = monitor.resources.get(record.urn);
    // Custom resources keep the serialized mock state; components keep the Struct of registerOutputs.
    const raw =
      registered?.state && typeof registered.state.toJavaScript === "function" ? registered.state.toJavaScript() : registered?.state;
    // Per key, so one secret output marks only its own key secret, not the whole object.
    const state: Record<string, any> = {};
    for (const [key, value] of Object.entries(raw ?? {})) if (value !== undefined) state[key] = deserializeProperty(value);
    return {
      ...record,
      id: record.custom ? meta.id : null,
      arn: record.custom ? (monitor.arns.get(record.urn) ?? null) : null,
      state,
      options: {
        protect: meta.protect,
        retainOnDelete: meta.retainOnDelete,
        dependsOn: dependsOn.get(record.urn) ?? [],
        ignoreChanges: meta.ignoreChanges ?? [],
      },
    };
  });
  // The stack's registered outputs keep secrets marked, unlike the values the program returned.
  const stackState = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.state;
  return {
    project: settings.project,
    stack: settings.stack,
    placement,
    resources,
    outputs: (stackState ?? outputs ?? {}) as Record<string, any>,
  };
}

/**
 * A captured value with its secret markers removed, at any depth, for readers that act on values
 * (the policy pack, the local cloud) rather than print them. The plan document keeps them masked.
 */
export function revealSecrets(value: unknown): any {
  if (isRpcSecret(value)) return revealSecrets(unwrapRpcSecret(value));
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

/** Forgets the modules of a program so that requiring it again re-runs it. Dependencies stay cached. */
export function forgetProgramModules(programDir: string): void {
  const root = path.resolve(programDir) + path.sep;
  const own = path.resolve(__dirname) + path.sep;
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(root) && !file.includes(`${path.sep}node_modules${path.sep}`) && !file.startsWith(own)) {
      delete require.cache[file];
    }
  }
}

/**
 * Requires a Pulumi program's entry point the way the Pulumi Node.js host runs a CommonJS program, and
 * returns its exports: when they are a function (`export = async () => { ... }`), what it returns. A
 * `default` export is not unwrapped or called: the host does that for ES modules only (sdk/nodejs/cmd/run/run.ts).
 */
export async function runProgramModule(projectDir: string, program = projectDir): Promise<Record<string, unknown>> {
  forgetProgramModules(projectDir);
  // Pulumi.yaml's `main` may name the program: a folder of the project, or a file.
  const entry = programEntry(program);
  if (!entry) throw new ProgramEntryError(program);
  const mod = isEsModule(entry) ? await importEsmProgram(projectDir, entry) : require(path.resolve(program));
  // Exports that are a function are called, and what it returns is the program's exports.
  const exported = typeof mod === "function" ? await mod() : mod;
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exported ?? {})) {
    if (key !== "default" && key !== "__esModule") outputs[key] = value;
  }
  return outputs;
}

/**
 * The entry point of a program that is an ES module, as the CLI's host tells one apart: its package.json
 * says `"type": "module"`, or its main file is `.mjs` or `.mts`. Undefined for a CommonJS program.
 */
export function esmEntry(program: string): string | undefined {
  const entry = programEntry(program);
  return entry && isEsModule(entry) ? entry : undefined;
}

/** Whether an entry point is an ES module, as Node decides it: the nearest package.json's type, or its extension. */
function isEsModule(entry: string): boolean {
  return nearestManifest(path.dirname(entry)).type === "module" || /\.m[jt]s$/.test(entry);
}

/** A folder's own package.json, or nothing. */
function manifestIn(dir: string): { main?: unknown; type?: unknown } {
  const manifest = path.join(dir, "package.json");
  return fs.existsSync(manifest) ? JSON.parse(fs.readFileSync(manifest, "utf8")) : {};
}

/** The package.json that governs a folder's modules, as Node finds it: the nearest one up from it. */
function nearestManifest(dir: string): { type?: unknown } {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (fs.existsSync(path.join(at, "package.json"))) return manifestIn(at);
    if (path.dirname(at) === at) return {};
  }
}

/**
 * The file the host runs for `program` (Pulumi.yaml's `main`, or the project's folder): the file itself, or
 * the folder's package.json `main` (a file, with or without its extension, or a folder's index), else its
 * index.ts, .js, .mts or .mjs.
 */
function programEntry(program: string): string | undefined {
  const resolved = path.resolve(program);
  if (fs.existsSync(resolved) && fs.statSync(resolved).isFile()) return resolved;
  const main = manifestIn(resolved).main;
  const extensions = ["ts", "js", "mts", "mjs"];
  const inFolder = (folder: string) => extensions.map((ext) => path.join(folder, `index.${ext}`));
  const target = typeof main === "string" ? path.resolve(resolved, main) : undefined;
  const candidates = target ? [target, ...extensions.map((ext) => `${target}.${ext}`), ...inFolder(target)] : inFolder(resolved);
  return candidates.find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
}

/** A program folder with nothing to run: the CLI's words, and where it looked. */
export class ProgramEntryError extends Error {
  constructor(programDir: string) {
    super(
      `We failed to locate the entry point for your program: ${path.resolve(programDir)} (it has no index.ts or index.js, and its package.json names no main file that exists)`,
    );
    this.name = "ProgramEntryError";
  }
}

/** The files of each ES module program its last capture compiled: what hot reload watches for program changes. */
const esmSources = new Map<string, string[]>();

/** The program's own files an ES module program's last capture compiled; none for a CommonJS program. */
export function esmProgramFiles(programDir: string): string[] {
  return esmSources.get(path.resolve(programDir)) ?? [];
}

// A real dynamic import: TypeScript would turn `import()` into `require()` in this CommonJS code.
const importEsm = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<any>;
let esmCaptures = 0;

/**
 * Each of the program's own modules keeps its location: `import.meta.url`, `import.meta.filename` and
 * `import.meta.dirname` name its source file, as they do when the host imports it, not the one compiled file
 * (`path.dirname(fileURLToPath(import.meta.url))` is how an ES module program finds its folder, for its
 * FileArchives and files it reads).
 */
const ownModuleLocation: import("esbuild").Plugin = {
  name: "own-module-location",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await fs.promises.readFile(args.path, "utf8");
      if (!source.includes("import.meta")) return undefined;
      const contents = source
        .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
        .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path))
        .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(path.dirname(args.path)));
      return { contents, loader: path.extname(args.path).replace(/^\.[cm]?/, "") as import("esbuild").Loader };
    });
  },
};

/**
 * Runs an ES module program: the CLI's host imports it (with ts-node's ESM loader for TypeScript). Here
 * esbuild compiles the program's own files into one module under `.build/capture/` in its folder, its
 * packages left to Node's resolution from there; each capture imports it under a new URL, since an ES
 * module, once loaded, is never loaded again (hot reload captures anew). A default export is the
 * program's exports, and a module with both a default and named exports is refused, as the host refuses it.
 */
async function importEsmProgram(projectDir: string, entry: string): Promise<unknown> {
  const dir = path.resolve(projectDir);
  const outfile = path.join(dir, ".build", "capture", "program.mjs");
  // esbuild is a dependency already (bundles and closures); it reads TypeScript without a tsconfig to find.
  const esbuild = require("esbuild") as typeof import("esbuild");
  const built = await esbuild.build({
    absWorkingDir: dir,
    metafile: true,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "silent",
    plugins: [ownModuleLocation],
  });
  // esbuild names its inputs relative to its working directory, set to the program's folder above.
  esmSources.set(
    dir,
    Object.keys(built.metafile!.inputs).map((f) => path.resolve(dir, f)),
  );
  const mod = await importEsm(`${pathToFileURL(outfile).href}?capture=${++esmCaptures}`);
  if (Object.getOwnPropertyDescriptor(mod, "default") === undefined) return mod;
  if (Object.keys(mod).length !== 1)
    throw new Error("expected entrypoint module to have either a default export or named exports but not both");
  return mod.default;
}

/**
 * Captures the program in `programDir` with the config of `stack`, read from its `Pulumi.<stack>.yaml`.
 * `overrides` replace config values, as `pulumi config set` would; a key without a namespace is the project's.
 */
export async function captureStack(programDir: string, stack: string, overrides: Record<string, string> = {}): Promise<Graph> {
  const dir = path.resolve(programDir);
  const { project, config, secretKeys, hasFile } = readStackConfig(dir, stack, overrides);
  const { pwd, program } = programLocation(dir, readProject(dir).main);
  const graph = await capture(() => runProgramModule(dir, program), {
    project,
    stack,
    config,
    secretKeys,
    cwd: pwd,
    resolveStackReference: (name) => resolveReference(dir, project, name),
  });
  const plain = Object.fromEntries(Object.entries(config).filter(([key]) => !secretKeys.includes(key)));
  return { ...graph, programDir: dir, hasStackFile: hasFile, config: plain };
}
