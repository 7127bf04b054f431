/**
 * Lambda, locally: every function of the graph as a pool of containers, invoked synchronously
 * (API routes, queue pollers, the Invoke API) or asynchronously (schedules, `InvocationType: Event`).
 * Async events follow FunctionEventInvokeConfig: the configured retries with backoff, a maximum
 * event age, then a record in the onFailure destination in AWS's format, or the function's DLQ.
 */
import * as path from "path";
import { randomFillSync, randomUUID } from "crypto";
import type { AlarmBoard } from "../alarms";
import type { Reporter } from "../console";
import type { IamAuthority } from "../iam/authority";
import type { LogStore } from "../logs";
import { RetryWaits } from "../event-retry";
import { findFunction, LocalFunction, LocalModel } from "../model";
import { PendingAsyncEvent, PendingDeliveries } from "../pending";
import type { LambdaError } from "./bootstrap";
import { FunctionPool, InvokeOutcome } from "./pool";

/** Where failed (or successful) async events are delivered: SQS queues and SNS topics, by cloud ARN. */
export interface Destinations {
  send(arn: string, body: string, attributes?: Record<string, string>): Promise<void>;
}

export interface LambdaServiceOptions {
  bootstrapFile: string;
  /** Unpacked artifact directory per function name. */
  taskRoots: Record<string, string>;
  /** Where each of the program's layers (by version ARN) is unpacked: its functions' containers resolve modules there. @default none */
  layerRoots?: Record<string, string>;
  /** AWS_ENDPOINT_URL_* and credentials for the emulators, plus anything else every container gets. */
  baseEnvironment: Record<string, string>;
  /** Containers per function at most. */
  maxContainers: number;
  /** First async retry delay; each further retry doubles it. Lambda waits about a minute; locally a second keeps tests fast. */
  asyncRetryBaseMs: number;
  reporter: Reporter;
  alarms: AlarmBoard;
  /** Keeps each function's log lines for `npm run logs -- --local`. @default none */
  logs?: LogStore;
  destinations: Destinations;
  /** Time each invocation's phases, for the API's request profile. @default false */
  profile?: boolean;
  /** IAM, when enforced: each function's credentials, and Lambda's own calls on its behalf (logs, failure destinations). @default none (IAM off) */
  iam?: IamAuthority;
  /** Where async events are kept until done with (a stop drops or saves them). @default a ledger of its own */
  pending?: PendingDeliveries;
}

/** Refs whose resolution is kept; past this the cache starts over. */
const REFS_KEPT = 1000;

export class UnknownFunctionError extends Error {
  constructor(ref: string, known: string[]) {
    super(`Function not found: ${ref}. Functions: ${known.join(", ")}`);
    this.name = "ResourceNotFoundException";
  }
}

/**
 * Where a function's alias sends invocations: to `version`, and a `share` (0 to 1) of them to
 * `weighted.version`, as an alias's routingConfig does during a canary or linear step.
 */
export interface AliasRouting {
  version: number;
  weighted?: { version: number; share: number };
}

/** A function's versions locally: the newest code is $LATEST and the highest version; older ones kept while an alias may route to them. */
interface Versions {
  latest: number;
  /** Pools of older versions, kept because a managed alias may still route to them. */
  kept: Map<number, FunctionPool>;
  /** Routing of each alias, by name. */
  aliases: Map<string, AliasRouting>;
}

export class LambdaService {
  private readonly pools = new Map<string, FunctionPool>();
  /** Every pool of each function that may still run something: the newest code's, kept versions', retired ones finishing. */
  private readonly functionPools = new Map<string, Set<FunctionPool>>();
  private readonly versions = new Map<string, Versions>();
  /** Async events waiting for a retry; a stop ends their waits. */
  private readonly retries = new RetryWaits();
  private readonly pending: PendingDeliveries;
  private readonly logsAllowed = new Map<string, boolean>();
  private readonly permitted = new Map<string, boolean>();
  private permittedModel?: object;
  /**
   * What each ref an invocation named resolved to: the function and the ref's qualifier. Asked on every
   * invocation (an API request asks twice), and the lookup is two regexes and a scan; kept until a
   * function is replaced, and at most REFS_KEPT refs (the Invoke API takes any qualifier).
   */
  private readonly refs = new Map<string, { fn: LocalFunction; qualifier: string | undefined }>();

  constructor(
    private readonly model: LocalModel,
    private readonly options: LambdaServiceOptions,
  ) {
    this.pending = options.pending ?? new PendingDeliveries();
    for (const fn of model.functions) {
      this.pools.set(fn.name, this.poolFor(fn, options.taskRoots[fn.name]));
      // The deploy published version 1, and each alias points at it.
      this.versions.set(fn.name, {
        latest: 1,
        kept: new Map(),
        aliases: new Map(Object.keys(fn.aliases ?? {}).map((a) => [a, { version: 1 }])),
      });
    }
  }

  private poolFor(fn: LocalFunction, taskRoot: string): FunctionPool {
    const options = this.options;
    const pool: FunctionPool = new FunctionPool(fn, {
      bootstrapFile: options.bootstrapFile,
      taskRoot,
      environment: {
        ...containerEnvironment(fn, this.model, options.baseEnvironment, taskRoot, options.layerRoots ?? {}),
        // Lambda hands each function its role's session credentials; locally they say which function signed a call.
        ...(options.iam?.credentialsFor(fn.name) ?? {}),
      },
      maxContainers: Math.max(1, Math.min(fn.reservedConcurrency ?? Infinity, options.maxContainers)),
      profile: options.profile,
      onLog: (line) => {
        options.reporter.handlerLog(fn.name, line);
        // Lambda writes the logs with the function's role: without logs:PutLogEvents they never reach the log group.
        if (this.mayWriteLogs(fn)) options.logs?.append(fn.name, line);
      },
      busyElsewhere: () => this.busyOutside(fn.name, pool),
    });
    const pools = this.functionPools.get(fn.name) ?? new Set<FunctionPool>();
    this.functionPools.set(fn.name, pools.add(pool));
    return pool;
  }

  /**
   * The invocations a function's pools other than `except` are running: its other versions, and replaced
   * code finishing what it ran. A retired pool is forgotten once it runs nothing (it takes nothing new).
   */
  private busyOutside(name: string, except: FunctionPool): number {
    const pools = this.functionPools.get(name)!;
    let busy = 0;
    for (const pool of pools) {
      if (pool === except) continue;
      if (pool.isRetired && pool.busy === 0) pools.delete(pool);
      else busy += pool.busy;
    }
    return busy;
  }

  /**
   * Hot reload: the function's new code (in `taskRoot`) or settings take over. New invocations go to a
   * fresh pool at once; the old pool's busy containers finish what they run, then go.
   */
  replaceFunction(fn: LocalFunction, taskRoot: string): void {
    const index = this.model.functions.findIndex((f) => f.name === fn.name);
    if (index < 0)
      throw new UnknownFunctionError(
        fn.name,
        this.model.functions.map((f) => f.name),
      );
    this.model.functions[index] = fn;
    this.options.taskRoots[fn.name] = taskRoot;
    this.logsAllowed.delete(fn.name);
    this.permitted.clear();
    this.refs.clear();
    const old = this.pools.get(fn.name)!;
    this.pools.set(fn.name, this.poolFor(fn, taskRoot));
    // A new deploy publishes a new version. An alias pulumi up moves follows it; one a rollout moves keeps
    // routing to the version it had, whose containers stay until no alias needs them.
    const versions = this.versions.get(fn.name)!;
    const previous = versions.latest;
    versions.latest += 1;
    const managed = Object.entries(fn.aliases ?? {}).filter(([, a]) => a.managed);
    for (const [name, routing] of versions.aliases)
      if (!managed.some(([m]) => m === name)) versions.aliases.set(name, { version: versions.latest });
      else if (routing.version === previous || routing.weighted?.version === previous) versions.kept.set(previous, old);
    if (!versions.kept.has(previous)) old.retire();
    this.retireUnrouted(fn.name);
  }

  /** The versions of a function: the newest, and where each alias routes. */
  versionsOf(ref: string): { latest: number; aliases: Record<string, AliasRouting> } {
    const v = this.versions.get(this.resolve(ref).name)!;
    return { latest: v.latest, aliases: Object.fromEntries(v.aliases) };
  }

  /** Points an alias (as UpdateAlias does, with its routingConfig) at versions the function has. */
  routeAlias(ref: string, alias: string, routing: AliasRouting): void {
    const fn = this.resolve(ref);
    const v = this.versions.get(fn.name)!;
    if (!v.aliases.has(alias))
      throw new UnknownFunctionError(
        `${fn.name}:${alias}`,
        [...v.aliases.keys()].map((a) => `${fn.name}:${a}`),
      );
    for (const version of [routing.version, routing.weighted?.version].filter((x): x is number => x !== undefined))
      if (version !== v.latest && !v.kept.has(version)) throw new Error(`${fn.name} has no version ${version} any more`);
    v.aliases.set(alias, routing);
    this.retireUnrouted(fn.name);
  }

  /** Stops the containers of older versions no alias routes to. */
  private retireUnrouted(name: string): void {
    const v = this.versions.get(name)!;
    const routed = new Set([...v.aliases.values()].flatMap((r) => [r.version, r.weighted?.version]));
    for (const [version, pool] of v.kept) {
      if (routed.has(version)) continue;
      v.kept.delete(version);
      pool.retire();
    }
  }

  /** The version an invocation with `qualifier` runs: an alias picks by its weights, a version number is itself, none or an unknown one is $LATEST. */
  private versionFor(name: string, qualifier: string | undefined): number {
    const v = this.versions.get(name)!;
    if (qualifier && /^\d+$/.test(qualifier)) return Number(qualifier);
    const routing = qualifier ? v.aliases.get(qualifier) : undefined;
    if (!routing) return v.latest;
    return routing.weighted && Math.random() < routing.weighted.share ? routing.weighted.version : routing.version;
  }

  resolve(ref: string): LocalFunction {
    return this.lookup(ref).fn;
  }

  /** Whether `ref` names a function of this program (a name, a qualified name or an ARN), as `resolve` would find it. */
  knows(ref: string): boolean {
    return this.refs.has(ref) || findFunction(this.model, ref) !== undefined;
  }

  private lookup(ref: string): { fn: LocalFunction; qualifier: string | undefined } {
    const known = this.refs.get(ref);
    if (known) return known;
    const fn = findFunction(this.model, ref);
    if (!fn)
      throw new UnknownFunctionError(
        ref,
        this.model.functions.map((f) => f.name),
      );
    if (this.refs.size >= REFS_KEPT) this.refs.clear();
    const found = { fn, qualifier: qualifierOf(ref) };
    this.refs.set(ref, found);
    return found;
  }

  /**
   * Whether `service` (apigateway.amazonaws.com, events.amazonaws.com) may invoke the function on behalf
   * of `sourceArn`: the function's resource policy, as its aws.lambda.Permission resources wrote it.
   */
  permitsInvoke(ref: string, service: string, sourceArn: string, trigger: string): boolean {
    const iam = this.options.iam;
    if (!iam) return true;
    // Asked on every API request: the answer is kept until the function or IAM's model changes.
    const key = `${ref}\0${service}\0${sourceArn}`;
    const known = this.permitted.get(key);
    if (known !== undefined && this.permittedModel === iam.model) return known;
    if (this.permittedModel !== iam.model) {
      this.permitted.clear();
      this.permittedModel = iam.model;
    }
    const { fn, qualifier } = this.lookup(ref);
    const allowed = iam.checkServiceInvoke(service, iam.identityOf(fn), sourceArn, trigger, qualifier).allowed;
    this.permitted.set(key, allowed);
    return allowed;
  }

  /**
   * Whether an SQS event source mapping may poll `queueArn` for the function: Lambda receives, deletes
   * and reads the queue's attributes with the function's role (and decrypts with its key, if it has one).
   */
  mayPoll(ref: string, queueArn: string): boolean {
    const iam = this.options.iam;
    if (!iam) return true;
    const fn = this.resolve(ref);
    const calls = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"].map((action) => ({ action, resource: queueArn }));
    return iam.checkFunction(iam.identityOf(fn), [...calls, ...iam.keyCalls(queueArn, ["kms:Decrypt"])], "its SQS event source mapping")
      .allowed;
  }

  /** Whether a role (an EventBridge Scheduler target's) may invoke the function: lambda:InvokeFunction in its identity policies. */
  roleMayInvoke(roleArn: string, ref: string, trigger: string): boolean {
    const iam = this.options.iam;
    if (!iam) return true;
    return iam.checkRole(roleArn, [{ action: "lambda:InvokeFunction", resource: this.resolve(ref).arn }], trigger, "its target role")
      .allowed;
  }

  /** Whether the function's role may write its log group: checked once, as the log stream is created. */
  private mayWriteLogs(fn: LocalFunction): boolean {
    const iam = this.options.iam;
    if (!iam) return true;
    let allowed = this.logsAllowed.get(fn.name);
    if (allowed === undefined) {
      const stream = `arn:aws:logs:${this.model.region}:${this.model.accountId}:log-group:${fn.logGroup}:log-stream:local`;
      const calls = ["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({ action, resource: stream }));
      allowed = iam.checkFunction(iam.identityOf(fn), calls, "Lambda writing its logs").allowed;
      this.logsAllowed.set(fn.name, allowed);
    }
    return allowed;
  }

  containers(ref: string): number {
    return this.pools.get(this.resolve(ref).name)!.containers;
  }

  /** A synchronous (RequestResponse) invocation. Reports it, and counts an error toward the function's alarms. */
  async invoke(
    ref: string,
    event: unknown,
    trigger: string,
    extra: { status?: (outcome: InvokeOutcome) => number; trace?: string } = {},
  ): Promise<InvokeOutcome> {
    const { fn, qualifier } = this.lookup(ref);
    // Lambda writes START, END and REPORT lines for every invocation, with the function's role.
    this.mayWriteLogs(fn);
    const versions = this.versions.get(fn.name)!;
    const version = this.versionFor(fn.name, qualifier);
    const pool = version === versions.latest ? this.pools.get(fn.name)! : versions.kept.get(version);
    if (!pool)
      throw new UnknownFunctionError(`${fn.name}:${version}`, [
        `${fn.name}:${versions.latest}`,
        ...[...versions.kept.keys()].map((k) => `${fn.name}:${k}`),
      ]);
    const trace = traceHeader(extra.trace, fn.tracing === "Active");
    let outcome = await pool.invoke(event, undefined, trace);
    // Waiting for a container of a pool that was replaced meanwhile: the new pool serves it.
    if (outcome.error?.errorType === "Runtime.Stopped" && pool.isRetired)
      outcome = await this.pools.get(fn.name)!.invoke(event, undefined, trace);
    // Lambda says $LATEST for an unqualified invocation, and the version number for one through an alias or a version.
    outcome.version = qualifier ? String(version) : "$LATEST";
    // The caller maps the outcome (an API route: to its HTTP answer) whether or not lines are printed.
    const status = extra.status?.(outcome);
    this.options.reporter.invocation({
      functionName: fn.name,
      // Said only once there is more than one version: which one ran.
      version: versions.latest > 1 ? String(version) : undefined,
      trigger,
      durationMs: outcome.durationMs,
      error: outcome.error,
      initMs: outcome.initMs,
      status,
    });
    // A throttle is no error of the function's: Lambda counts it as Throttles.
    if (outcome.throttled) this.options.alarms.count("AWS/Lambda", "Throttles", { FunctionName: fn.name }, `${fn.name} throttled`);
    else if (outcome.error) {
      this.options.alarms.count("AWS/Lambda", "Errors", { FunctionName: fn.name }, `${fn.name} failed: ${outcome.error.errorType}`);
    }
    return outcome;
  }

  /** An asynchronous (Event) invocation: accepted at once, then retried and dead-lettered as configured. Returns the request id. */
  invokeAsync(ref: string, event: unknown, trigger: string): string {
    this.resolve(ref);
    const entry = this.pending.add({
      kind: "lambda",
      function: ref,
      requestId: randomUUID(),
      event,
      trigger,
      received: Date.now(),
      attempts: 0,
    });
    this.startAsync(entry);
    return entry.requestId;
  }

  /**
   * Takes up an async event a stop left pending (`--persist`): returns false, and does nothing, when
   * its function is no longer in the graph.
   */
  resumeAsync(entry: PendingAsyncEvent): boolean {
    if (!this.knows(entry.function)) return false;
    this.startAsync(this.pending.add(entry));
    return true;
  }

  private startAsync(entry: PendingAsyncEvent): void {
    // Only a version an alias no longer keeps can vanish under an event; it is said, not thrown unhandled.
    this.runAsync(entry).catch((err: Error) => {
      this.pending.done(entry);
      this.options.reporter.info(`${entry.function}: async event ${entry.requestId} dropped: ${err.message}`);
    });
  }

  /**
   * Runs an accepted async event until it succeeds or is given up (then its destination or DLQ gets it).
   * A stop ends it where it stands: while it waits for a retry, or with an attempt the stop cut short
   * (which is made again), it stays pending.
   */
  private async runAsync(entry: PendingAsyncEvent): Promise<void> {
    const { requestId, event, trigger } = entry;
    const fn = this.resolve(entry.function);
    const age = () => Date.now() - entry.received;
    // An event saved past its maximum age is not tried again; Lambda sends it to its destination.
    if (entry.lastError && age() > fn.async.maximumEventAgeSeconds * 1000) {
      this.pending.done(entry);
      return this.fail(
        fn,
        requestId,
        event,
        "EventAgeExceeded",
        entry.attempts,
        { requestId, error: entry.lastError, durationMs: 0 },
        trigger,
      );
    }
    for (;;) {
      const n = entry.attempts;
      const outcome = await this.invoke(entry.function, event, n === 0 ? `${trigger} (async)` : `${trigger} (async retry ${n})`);
      if (!outcome.error) {
        this.pending.done(entry);
        if (fn.async.onSuccess)
          await this.deliver(fn, fn.async.onSuccess, record(fn, requestId, event, "Success", n + 1, outcome), trigger);
        return;
      }
      if (this.retries.stopped) return;
      // Lambda keeps retrying a throttled event until it is too old; a throttle uses up none of the function's retries.
      if (!outcome.throttled) entry.attempts = n + 1;
      entry.lastError = outcome.error;
      const delay = this.options.asyncRetryBaseMs * 2 ** n;
      if (!((outcome.throttled || n < fn.async.retryAttempts) && age() + delay < fn.async.maximumEventAgeSeconds * 1000)) {
        this.pending.done(entry);
        const condition = n < fn.async.retryAttempts ? "EventAgeExceeded" : "RetriesExhausted";
        return this.fail(fn, requestId, event, condition, n + 1, outcome, trigger);
      }
      if (!(await this.retries.wait(delay))) return;
    }
  }

  private async fail(
    fn: LocalFunction,
    requestId: string,
    event: unknown,
    condition: string,
    attempts: number,
    outcome: InvokeOutcome,
    trigger: string,
  ): Promise<void> {
    if (fn.async.onFailure) {
      await this.deliver(fn, fn.async.onFailure, record(fn, requestId, event, condition, attempts, outcome), trigger);
    } else if (fn.deadLetterArn) {
      const error = outcome.error!;
      await this.deliver(fn, fn.deadLetterArn, JSON.stringify(event ?? null), trigger, {
        RequestID: requestId,
        ErrorCode: "200",
        ErrorMessage: error.errorMessage,
      });
    } else {
      this.options.reporter.info(
        `${fn.name}: async event ${requestId} dropped after ${attempts} attempt(s) (${condition}); the function has no failure destination`,
      );
      this.options.alarms.count("AWS/Lambda", "AsyncEventsDropped", { FunctionName: fn.name }, `${fn.name} dropped an async event`);
    }
  }

  private async deliver(fn: LocalFunction, arn: string, body: string, trigger: string, attributes?: Record<string, string>): Promise<void> {
    try {
      // Lambda delivers with the function's role: it needs sqs:SendMessage or sns:Publish on the destination.
      const iam = this.options.iam;
      const verdict = iam?.checkFunction(iam.identityOf(fn), iam.deliveryCalls(arn), "Lambda delivering an async event");
      if (verdict && !verdict.allowed) throw new Error(verdict.message);
      await this.options.destinations.send(arn, body, attributes);
    } catch (err) {
      this.options.reporter.info(`${fn.name}: could not deliver the ${trigger} event to ${arn}: ${(err as Error).message}`);
      this.options.alarms.count(
        "AWS/Lambda",
        "DestinationDeliveryFailures",
        { FunctionName: fn.name },
        `${fn.name} could not deliver to ${arn}`,
      );
    }
  }

  async stop(): Promise<void> {
    this.retries.stop();
    const kept = [...this.versions.values()].flatMap((v) => [...v.kept.values()]);
    await Promise.all([...this.pools.values(), ...kept].map((p) => p.stop()));
  }
}

/** An async invocation record, in the format Lambda sends to an on-failure or on-success destination. */
function record(fn: LocalFunction, requestId: string, event: unknown, condition: string, attempts: number, outcome: InvokeOutcome): string {
  const error: LambdaError | undefined = outcome.error;
  return JSON.stringify({
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: { requestId, functionArn: `${fn.arn}:$LATEST`, condition, approximateInvokeCount: attempts },
    requestPayload: event ?? null,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", ...(error ? { functionError: "Unhandled" } : {}) },
    responsePayload: error
      ? { errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace }
      : JSON.parse(outcome.payload ?? "null"),
  });
}

/** A container's environment, as Lambda sets it: reserved variables, then the function's own, then the emulators'. */
function containerEnvironment(
  fn: LocalFunction,
  model: LocalModel,
  base: Record<string, string>,
  taskRoot: string,
  layerRoots: Record<string, string>,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    NODE_PATH: nodePath(fn, layerRoots),
    TZ: ":UTC",
    LANG: "en_US.UTF-8",
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: fn.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroup,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_DEFAULT_REGION: model.region,
    ...fn.environment,
    ...base,
  };
}

/**
 * Where a function's code finds its layers' modules, as Lambda's NODE_PATH for Node.js runtimes has it
 * ("Defined runtime environment variables": /opt/nodejs/node22/node_modules, then /opt/nodejs/node_modules).
 * In AWS the layers are extracted into /opt in the function's order, a later one's files over an earlier
 * one's; here each is unpacked apart, so the later layers come first, and each runtime-specific folder
 * before any shared one. A layer not unpacked here (not in the program) adds nothing.
 */
export function nodePath(fn: Pick<LocalFunction, "runtime" | "layers">, layerRoots: Record<string, string>): string {
  const roots = (fn.layers ?? [])
    .map((arn) => layerRoots[arn])
    .filter((root): root is string => root !== undefined)
    .reverse();
  const node = /^nodejs(\d+)\.x$/.exec(fn.runtime)?.[1];
  return [
    ...(node ? roots.map((root) => path.join(root, "nodejs", `node${node}`, "node_modules")) : []),
    ...roots.map((root) => path.join(root, "nodejs", "node_modules")),
  ].join(path.delimiter);
}

/**
 * The version or alias a qualified function ARN or name names (`live` in `...:function:orders:live` or
 * `orders:live`); none for $LATEST, a bare ARN or a bare name.
 */
export function qualifierOf(ref: string): string | undefined {
  const qualifier = /^arn:[^:]+:lambda:[^:]*:\d*:function:[^:]+:([^:]+)$/.exec(ref)?.[1] ?? /^[^:]+:([^:]+)$/.exec(ref)?.[1];
  return qualifier === "$LATEST" ? undefined : qualifier;
}

/**
 * The invocation's trace header, as Lambda hands it to the runtime: the caller's trace (an API request's
 * X-Amzn-Trace-Id) continued with a new Parent, or a new trace, sampled when the function's tracing is Active.
 */
export function traceHeader(incoming: string | undefined, active: boolean): string {
  let root: string | undefined;
  let sampled: string | undefined;
  // Most invocations carry no header (nothing to parse); a field's last occurrence wins.
  if (incoming)
    for (const field of incoming.split(";")) {
      const [key, value] = field.trim().split("=");
      if (!value) continue;
      if (key === "Root") root = value;
      else if (key === "Sampled") sampled = value;
    }
  if (!root || !/^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(root))
    root = `1-${Math.floor(Date.now() / 1000)
      .toString(16)
      .padStart(8, "0")}-${randomHex(12)}`;
  if (sampled !== "1" && sampled !== "0") sampled = active ? "1" : "0";
  return `Root=${root};Parent=${randomHex(8)};Sampled=${sampled}`;
}

// Random bytes for trace ids, drawn from one buffer refilled when spent: a randomBytes call per id was one
// getrandom system call per request, about 30 µs of this VM's CPU (randomUUID buffers the same way).
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;

/** `bytes` random bytes as lower-case hex, never the same bytes twice. */
export function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomOffset += bytes;
  return randomPool.toString("hex", randomOffset - bytes, randomOffset);
}
