/**
 * Hot reload (`npm start -- --watch`): an edit reaches the running local cloud without a restart, so
 * queues, tables, buckets and their contents survive.
 *
 * - A handler's source (an input of a function's esbuild bundle): that bundle alone is rebuilt and its
 *   functions get new containers; invocations in flight finish on the old ones.
 * - A file inside a function's FileArchive folder: that function's code is unpacked again.
 * - The program itself (a module it loaded, `index.ts` or a component): the graph is captured again and
 *   compared. Function code and settings, API routes, stages and CORS, function URLs' settings, and IAM apply live; a change
 *   that cannot (a new queue, table or function) is named, with the restart it needs.
 */
import * as path from "path";
import { rebuildBundlesReading } from "../components/bundle";
import { CapturedResource, Graph } from "../graph/capture";
import type { Reporter } from "./console";
import type { ApiServer } from "./http-api";
import type { FunctionUrlServer } from "./function-url";
import type { IamAuthority } from "./iam/authority";
import { buildIamModel } from "./iam/model";
import { artifactDigest, missingCode, unpackFunctionCode } from "./lambda/artifact";
import type { LambdaService } from "./lambda/service";
import { buildModel, LocalFunction, LocalModel } from "./model";

export interface ReloaderOptions {
  model: LocalModel;
  service: LambdaService;
  apis: ApiServer[];
  /** The function URLs' servers, in the model's order. @default none */
  urls?: FunctionUrlServer[];
  iam?: IamAuthority;
  reporter: Reporter;
  /** Where a function's code generation `n` is unpacked. */
  taskRootFor(functionName: string, generation: number): string;
  /** Captures the program again; returns the graph and the program's own modules it loaded. */
  capture(): Promise<{ graph: Graph; modules: string[] }>;
  /** Cloud identities (queue URLs, ARNs) in a function's environment replaced by local ones. */
  localize(environment: Record<string, string>): Record<string, string>;
  /** The program's own modules the first capture loaded. */
  modules: string[];
  /** The graph the local cloud started from. */
  graph: Graph;
}

/** What one reload did, for its line and for tests. */
export interface ReloadReport {
  trigger: string[];
  reloaded: string[];
  applied: string[];
  needsRestart: string[];
  ms: number;
}

export class Reloader {
  private modules: Set<string>;
  private generation = 0;
  private busy: Promise<unknown> = Promise.resolve();
  /** Each function's code digest, to tell which a re-capture changed. */
  private digests = new Map<string, string>();

  constructor(private readonly options: ReloaderOptions) {
    this.modules = new Set(options.modules);
    this.iamDigest = iamDigest(options.graph);
  }

  /** Records each function's current code, before the first edit. */
  async prime(): Promise<void> {
    for (const fn of this.options.model.functions) this.digests.set(fn.name, await codeDigest(fn, this.options.model.programDir));
  }

  /** Handles one batch of changed files; reloads run one at a time, in order. */
  onChange(files: string[]): Promise<ReloadReport | undefined> {
    const run = this.busy.then(() => this.reload(files));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async reload(files: string[]): Promise<ReloadReport | undefined> {
    const started = performance.now();
    const programDir = this.options.model.programDir;
    const trigger = files.map((f) => path.relative(programDir, f));
    try {
      const report = files.some((f) => this.modules.has(f)) ? await this.recapture(trigger) : await this.rebuild(files, trigger);
      if (!report) return undefined;
      report.ms = performance.now() - started;
      this.say(report);
      return report;
    } catch (err) {
      this.options.reporter.info(
        `reload (${trigger.join(", ")}): ${(err as Error).message.split("\n")[0]}; still serving the previous code`,
      );
      return undefined;
    }
  }

  /** Handler edits: rebuild the bundles that read the files, re-unpack archive folders that hold them. */
  private async rebuild(files: string[], trigger: string[]): Promise<ReloadReport | undefined> {
    const { model } = this.options;
    const reloaded: string[] = [];
    const rebuilt = rebuildBundlesReading(files);
    for (const fn of model.functions.filter((f) => !f.notRun)) {
      const index = await indexText(fn.code);
      const bundle = rebuilt.find((b) => index !== undefined && b.before.files["index.js"] === index);
      if (bundle) {
        await this.swap({ ...fn, code: archiveOf(bundle.after.files) });
        reloaded.push(fn.name);
      } else if (await this.archiveHolds(fn, files)) {
        await this.swap(fn);
        reloaded.push(fn.name);
      }
    }
    if (reloaded.length === 0) return undefined;
    return { trigger, reloaded, applied: [], needsRestart: [], ms: 0 };
  }

  /** Program edits: capture again, then apply what can be applied live and name the rest. */
  private async recapture(trigger: string[]): Promise<ReloadReport> {
    const { model, apis, iam } = this.options;
    const { graph, modules } = await this.options.capture();
    this.modules = new Set(modules);
    const next = buildModel(graph);
    const report: ReloadReport = { trigger, reloaded: [], applied: [], needsRestart: [], ms: 0 };

    for (const fn of next.functions) {
      const current = model.functions.find((f) => f.name === fn.name);
      if (!current) {
        report.needsRestart.push(`new function ${fn.name}`);
        continue;
      }
      const updated = { ...fn, environment: this.options.localize(fn.environment) };
      const digest = await codeDigest(fn, next.programDir);
      if (digest !== this.digests.get(fn.name)) {
        await this.swap(updated, digest);
        report.reloaded.push(fn.name);
      } else if (JSON.stringify(settingsOf(updated)) !== JSON.stringify(settingsOf(current))) {
        await this.swap(updated, digest);
        report.applied.push(`${fn.name}'s settings`);
      }
    }
    for (const fn of model.functions)
      if (!next.functions.some((f) => f.name === fn.name)) report.needsRestart.push(`removed function ${fn.name}`);

    for (const api of next.apis) {
      const at = model.apis.findIndex((a) => a.id === api.id);
      if (at < 0) report.needsRestart.push(`new API ${api.name}`);
      else if (JSON.stringify(api) !== JSON.stringify(model.apis[at])) {
        model.apis[at] = api;
        apis[at].serve(api);
        report.applied.push(`API ${api.name}'s routes, stages and CORS`);
      }
    }
    // A function URL keeps its id (and so its port) while its resource keeps its name.
    for (const url of next.functionUrls) {
      const at = model.functionUrls.findIndex((u) => u.urlId === url.urlId);
      if (at < 0) report.needsRestart.push(`new function URL ${url.name}`);
      else if (JSON.stringify(url) !== JSON.stringify(model.functionUrls[at])) {
        model.functionUrls[at] = url;
        this.options.urls?.[at].serve(url);
        report.applied.push(`function URL ${url.name}'s function, auth type and CORS`);
      }
    }
    for (const url of model.functionUrls)
      if (!next.functionUrls.some((u) => u.urlId === url.urlId)) report.needsRestart.push(`removed function URL ${url.name}`);
    for (const kind of [
      "layers",
      "queues",
      "tables",
      "buckets",
      "topics",
      "schedules",
      "eventSourceMappings",
      "eventRules",
      "bucketNotifications",
    ] as const) {
      const before = new Set((model[kind] as unknown[]).map((x) => JSON.stringify(x)));
      const after = new Set((next[kind] as unknown[]).map((x) => JSON.stringify(x)));
      const differs = before.size !== after.size || [...after].some((x) => !before.has(x));
      if (differs) report.needsRestart.push(`changed ${kind.replace(/([A-Z])/g, " $1").toLowerCase()}`);
    }
    if (iam) {
      const policies = iamDigest(graph);
      if (policies !== this.iamDigest) {
        iam.replaceModel(buildIamModel(graph));
        this.iamDigest = policies;
        report.applied.push("IAM policies and permissions");
      }
    }
    return report;
  }

  private iamDigest: string;

  /** Unpacks the function's code anew and hands it to the service: new containers from now on. */
  private async swap(fn: LocalFunction, digest?: string): Promise<void> {
    const root = this.options.taskRootFor(fn.name, ++this.generation);
    if (!fn.notRun) await unpackFunctionCode(fn, root, this.options.model.programDir);
    this.options.service.replaceFunction(fn, root);
    this.digests.set(fn.name, digest ?? (await codeDigest(fn, this.options.model.programDir)));
  }

  private async archiveHolds(fn: LocalFunction, files: string[]): Promise<boolean> {
    const archivePath = (fn.code as { path?: Promise<string> }).path;
    if (archivePath === undefined) return false;
    const dir = path.resolve(this.options.model.programDir, await archivePath);
    return files.some((f) => f.startsWith(dir + path.sep));
  }

  private say(report: ReloadReport): void {
    const parts = [
      report.reloaded.length ? `new code for ${report.reloaded.join(", ")}` : "",
      report.applied.length ? `applied ${report.applied.join(", ")}` : "",
    ].filter(Boolean);
    this.options.reporter.info(
      `reload (${report.trigger.join(", ")}): ${parts.join("; ") || "nothing the local cloud runs changed"} in ${report.ms.toFixed(0)} ms` +
        (report.needsRestart.length ? `; restart to apply: ${report.needsRestart.join(", ")}` : ""),
    );
  }
}

/** A function's settings that a reload compares (its code is compared by digest). */
function settingsOf(fn: LocalFunction): unknown {
  // Whether it runs here follows from its runtime and its code, compared on their own (code by digest).
  const { code: _code, notRun: _notRun, ...settings } = fn;
  return settings;
}

/**
 * What tells a function's code apart across captures: its artifact's digest; for one not run here, or whose
 * code is not on this machine yet, why not.
 */
async function codeDigest(fn: LocalFunction, programDir: string): Promise<string> {
  if (fn.notRun) return `not run: ${fn.notRun}`;
  return artifactDigest(fn.code, programDir).catch((err: Error) => {
    const missing = missingCode(err, programDir);
    if (!missing) throw err;
    return `not run: ${missing}`;
  });
}

/** The bundle's index.js as the graph holds it, if the code is an archive of string assets. */
async function indexText(code: unknown): Promise<string | undefined> {
  const assets = (code as { assets?: Promise<Record<string, any>> }).assets;
  if (assets === undefined) return undefined;
  const index = (await assets)["index.js"];
  return index?.text !== undefined ? await index.text : undefined;
}

function archiveOf(files: Record<string, string>): unknown {
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  return new pulumi.asset.AssetArchive(
    Object.fromEntries(Object.entries(files).map(([name, text]) => [name, new pulumi.asset.StringAsset(text)])),
  );
}

/** What IAM reads from a graph, as one string: a reload rebuilds IAM's model only when it changed. */
function iamDigest(graph: Graph): string {
  const relevant = (r: CapturedResource) => /^aws:(iam|kms)\/|Policy:|lambda\/permission|bucketServerSideEncryption/.test(r.type);
  return JSON.stringify(graph.resources.filter(relevant).map((r) => [r.type, r.name, r.state]));
}
