/**
 * The local cloud: captures a Pulumi program's graph under mocks, starts the embedded emulators,
 * creates in them what the graph declares, and runs its functions, APIs, queue pollers, schedules
 * and alarms on this machine. Importable: `startLocalCloud({ programDir, stack, port })`.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { buildSync } from "esbuild";
import { captureStack, esmProgramFiles, forgetProgramModules, Graph } from "../graph/capture";
import { AlarmBoard } from "./alarms";
import { LocalRolloutOutcome, rehearseRollout } from "./rollout";
import { InvocationReport, Reporter } from "./console";
import { Emulators, startEmulators } from "./emulators";
import { EventRouter } from "./events";
import { RETRY_BASE_MS } from "./event-retry";
import { ApiServer, startApiServer } from "./http-api";
import type { ServiceBackends } from "./service-integrations";
import { FunctionUrlServer, startFunctionUrlServer } from "./function-url";
import { IamAuthority } from "./iam/authority";
import { buildIamModel } from "./iam/model";
import { startIamProxy } from "./iam/proxy";
import type { ResourceResolver } from "./iam/requests";
import { unpackArtifact, unpackFunctionCode } from "./lambda/artifact";
import type { InvokeOutcome } from "./lambda/pool";
import { Destinations, LambdaService } from "./lambda/service";
import { startLambdaApi } from "./lambda-api";
import { LogStore } from "./logs";
import { buildModel, findFunction, LocalModel } from "./model";
import { PendingDeliveries, PendingDelivery } from "./pending";
import { restoreState, saveState } from "./persist";
import { httpsJson, JwtValidator } from "./jwt";
import { Clients, provision, Provisioned } from "./provision";
import { QueuePoller, QueueWatcher } from "./queues";
import { Scheduler } from "./schedules";
import { Reloader } from "./reload";
import { RequestProfile } from "./profile";
import { printStartup } from "./startup-table";
import { FolderWatcher } from "./watch";

export interface LocalCloudOptions {
  /** The Pulumi program's directory. @default this project */
  programDir?: string;
  /** The stack whose config to run with. @default "dev" */
  stack?: string;
  /** Port of the (first) HTTP API; 0 picks a free one. @default 3000 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port of the Lambda Invoke API. @default 0 (a free port) */
  lambdaPort?: number;
  /**
   * A graph captured already, run instead of capturing `programDir`'s: for tools and tests that change
   * what the program declares (a grant removed) without editing it. @default the program's, captured now
   */
  graph?: Graph;
  /** Config values replacing the stack file's, as `pulumi config set` would. @default {} */
  config?: Record<string, string>;
  /** Where output lines go. @default stdout */
  write?: (line: string) => void;
  /** Print one line per invocation. @default true */
  invocationLines?: boolean;
  /** Called with every invocation's report (function, trigger, duration, init on a cold start). @default none */
  onInvocation?: (report: InvocationReport) => void;
  /** Containers per function at most (reserved concurrency lowers it). @default 4 */
  maxContainers?: number;
  /** First retry delay in ms, doubling per retry, for Lambda's async events and EventBridge rule targets. @default RETRY_BASE_MS (1000; Lambda: about a minute) */
  asyncRetryBaseMs?: number;
  /** Seconds before a failed SQS message is received again; undefined keeps the queue's visibility timeout. @default 1 */
  retryVisibilitySeconds?: number;
  /** Enforce the API stage's throttling with 429s. @default false */
  enforceThrottle?: boolean;
  /**
   * IAM: "on" authorizes every AWS call a function makes (and Lambda, API Gateway and EventBridge make
   * for it) as AWS would, from the graph's roles and policies; "off" lets everything through. @default "on"
   */
  iam?: "on" | "off";
  /**
   * Hot reload: watch the program's folder and apply edits without a restart (handler code at once,
   * the program by capturing it again). @default false (`npm start` turns it on for dev stacks)
   */
  watch?: boolean;
  /** Time every API request's phases, for `npm run bench:local` (GET /_local/profile on the Lambda API). @default false */
  profile?: boolean;
  /** Keep tables, queues' messages and buckets' objects under `.build/local/<stack>/data` across restarts. @default false (in memory) */
  persist?: boolean;
  /**
   * A CA (PEM) to trust besides the system's when a JWT authorizer fetches its issuer's keys: a private
   * identity provider, or a test's. @default the system's CAs only
   */
  issuerCa?: string;
  /** Write `.build/local/<stack>/state.json` in the program's directory for `npm run invoke`, `dlq --local`, `logs --local`. @default true */
  stateFile?: boolean;
}

export interface LocalCloud {
  /** The first HTTP API's URL. */
  url: string;
  apis: { name: string; id: string; url: string }[];
  /** Each function URL's local URL (no trailing slash), by the resource's name. */
  functionUrls: { name: string; urlId: string; url: string }[];
  /** The Lambda Invoke API endpoint (AWS_ENDPOINT_URL_LAMBDA). */
  lambdaEndpoint: string;
  emulators: Emulators;
  /** The stack's outputs, with cloud URLs and ARNs replaced by their local ones. */
  outputs: Record<string, any>;
  model: LocalModel;
  /** Environment that points an AWS SDK at this local cloud. */
  environment: Record<string, string>;
  invoke(functionRef: string, event: unknown): Promise<InvokeOutcome>;
  invokeAsync(functionRef: string, event: unknown): string;
  /** Fires a schedule's targets now, as EventBridge would. */
  fireSchedule(name: string): string[];
  /** IAM as enforced here, when it is on: its unused-grant report among other things. */
  iam?: IamAuthority;
  /** Hot reload, when watching: applies a batch of changed files as the watcher would. */
  reloader?: Reloader;
  /**
   * The rehearsal of `npm run rollout`: each deployment group (or those named) moves its function's live
   * alias to the newest version in its config's steps, `minuteMs` per minute, rolling back on its alarms.
   */
  rollout(options?: { groups?: string[]; minuteMs?: number }): Promise<LocalRolloutOutcome[]>;
  /** Publishes new code for a function, as a deploy would: the directory of its unpacked artifact becomes the newest version. */
  publish(functionRef: string, taskRoot: string): void;
  /** With `profile`: where API requests' time went. */
  profile?: RequestProfile;
  stop(): Promise<void>;
}

/** What a running local cloud writes to `.build/local/<stack>/state.json`, for the tools that talk to it. */
export interface LocalCloudState {
  pid: number;
  stack: string;
  url?: string;
  apis: { name: string; id: string; url: string }[];
  functionUrls: { name: string; urlId: string; url: string }[];
  lambdaEndpoint: string;
  /** AWS_ENDPOINT_URL_* and credentials that point an AWS SDK at the emulators and the Lambda API. */
  environment: Record<string, string>;
  outputs: Record<string, any>;
  functions: string[];
  schedules: { name: string; functions: string[] }[];
}

/** Reads the state of the local cloud running `stack` for the program in `programDir`, or explains why there is none. */
export function readLocalCloudState(programDir: string, stack: string): LocalCloudState {
  const file = path.join(path.resolve(programDir), ".build", "local", stack, "state.json");
  const missing = `no local cloud is running for stack "${stack}"; start one with \`npm start -- --stack ${stack}\``;
  if (!fs.existsSync(file)) throw new Error(missing);
  const state = JSON.parse(fs.readFileSync(file, "utf8")) as LocalCloudState;
  try {
    process.kill(state.pid, 0);
  } catch {
    throw new Error(`${missing} (the one that wrote ${file} has exited)`);
  }
  return state;
}

/** Captures the program, and lists the program's own modules that loaded for it: the files whose edit is a program change. */
async function captureWithModules(
  programDir: string,
  stack: string,
  config: Record<string, string>,
): Promise<{ graph: Graph; modules: string[] }> {
  // The capture forgets and reloads the program's modules; forgetting them first makes each one new here.
  forgetProgramModules(programDir);
  const before = new Set(Object.keys(require.cache));
  const graph = await captureStack(programDir, stack, config);
  const root = path.resolve(programDir) + path.sep;
  // A CommonJS program's files are the modules its capture required; an ES module program is compiled, not
  // required, and its files are the ones the compiler read.
  const loaded = [...Object.keys(require.cache).filter((f) => !before.has(f)), ...esmProgramFiles(programDir)];
  const modules = loaded.filter((f) => f.startsWith(root) && !f.includes(`${path.sep}node_modules${path.sep}`));
  return { graph, modules };
}

/** The port is taken: the CLI reports it and exits 2. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use; stop what is using it or set PORT`);
    this.name = "PortInUseError";
  }
}

const PROJECT_DIR = path.resolve(__dirname, "..");

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const programDir = path.resolve(options.programDir ?? PROJECT_DIR);
  const stack = options.stack ?? "dev";
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 3000;
  if (port !== 0) await assertPortFree(port, host);
  const captured = options.graph
    ? { graph: options.graph, modules: [] }
    : await captureWithModules(programDir, stack, options.config ?? {});
  const model = buildModel(captured.graph);
  const startup = new Startup(model, captured.graph, { ...options, programDir, stack, host, port }, captured.modules);
  try {
    return await startup.run();
  } catch (err) {
    await startup.stop();
    throw err;
  }
}

type StartupOptions = LocalCloudOptions & { programDir: string; stack: string; host: string; port: number };

/**
 * Starting a local cloud, step by step; `run` reads as its table of contents. The servers listen
 * before the functions are loaded and reach them through `service`, which stays undefined (so they
 * answer 503) until every step has run. `stop` undoes whatever steps ran, in reverse.
 */
class Startup {
  private readonly stoppers: (() => unknown)[] = [];
  private readonly reporter: Reporter;
  private readonly localRoot: string;
  /** Set last: until then every port answers 503. */
  private service?: LambdaService;
  /** What HTTP APIs' service integrations call: set once the event router and the queues exist. */
  private services?: ServiceBackends;
  private scheduler?: Scheduler;
  private readonly profile?: RequestProfile;
  private provisioned?: Provisioned;
  /** Events accepted and not yet delivered: Lambda's async events and EventBridge's deliveries to queues and topics. */
  private readonly pending = new PendingDeliveries();

  constructor(
    private readonly model: LocalModel,
    private readonly graph: Graph,
    private readonly options: StartupOptions,
    /** The program's own modules its capture loaded. */
    private readonly modules: string[] = [],
  ) {
    this.reporter = new Reporter(options.write, options.invocationLines ?? true, options.onInvocation);
    this.profile = options.profile ? new RequestProfile() : undefined;
    this.localRoot = path.join(options.programDir, ".build", "local", options.stack);
  }

  async run(): Promise<LocalCloud> {
    // The port asked for is taken first: the emulators below listen on ports the system picks, and one
    // of those could otherwise be the very port asked for. Until the last step it answers 503.
    const alarms = this.track(new AlarmBoard(this.model.alarms, this.reporter), (a) => a.stop());
    // IAM is built from the graph alone (no port): the APIs need it for their IAM-authorized routes.
    const iam = this.createIam();
    const apis = await this.startApis(alarms, iam);
    const urls = await this.startFunctionUrls(iam, apis.length === 0);
    const raw = await this.startEmulators();
    const emulators = iam ? await this.enforceIam(raw, iam) : raw;
    // Provisioned through the front door, so queue URLs name it; the local cloud's own calls (pollers,
    // watchers, Lambda's deliveries, each authorized explicitly) then go straight to the emulators.
    const provisioned = (this.provisioned = await provision(this.model, this.createClients(emulators)));
    const clients = iam ? this.createClients(raw, { direct: true }) : this.createClients(emulators);
    // Saved events not yet delivered are taken up once the functions run, below.
    const saved = this.options.persist ? await this.persist(raw, clients, provisioned) : this.sayWhatStopDrops();
    const logs = new LogStore();
    const lambdaApi = this.track(
      await startLambdaApi(
        () => this.service,
        (name) => this.fireSchedule(name),
        logs,
        this.options.lambdaPort ?? 0,
        this.options.host,
        iam,
        this.profile,
        (request) => this.rollout(alarms, request),
      ),
      (a) => a.close(),
    );
    const rewrite = localRewriter(this.model, provisioned, apis, urls);
    for (const fn of this.model.functions) fn.environment = rewrite(fn.environment);
    // Where Lambda's async records and EventBridge's undeliverable events go: queues and topics, by cloud ARN.
    const destinations: Destinations = {
      send: (arn, body, attributes) => sendToDestination(clients, provisioned, arn, body, attributes),
    };
    const router = this.track(
      new EventRouter({
        model: this.model,
        clients,
        provisioned,
        reporter: this.reporter,
        alarms,
        iam,
        destinations,
        retryBaseMs: this.options.asyncRetryBaseMs ?? RETRY_BASE_MS,
        pending: this.pending,
      }),
      (r) => r.stop(),
    );
    const environment = {
      ...emulators.environment,
      AWS_ENDPOINT_URL_EVENTBRIDGE: await router.listen(this.options.host),
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi.url,
      // Lambda runs nodejs22.x, where the SDK has nothing to warn about; this machine's Node 20 is not the function's.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    const service = this.createService(
      await this.unpackFunctions(),
      await this.unpackLayers(),
      environment,
      destinations,
      alarms,
      logs,
      iam,
    );
    await router.start(service, raw.onS3Change);
    this.services = {
      model: this.model,
      iam,
      putEvent: (entry, roleArn) => router.putEventAs(entry, roleArn),
      queueUrls: provisioned.queueUrls,
      sqs: clients.sqs,
      say: (line) => this.reporter.info(line),
    };
    const retryVisibilitySeconds = "retryVisibilitySeconds" in this.options ? this.options.retryVisibilitySeconds : 1;
    this.startPollers(service, clients, provisioned, alarms, retryVisibilitySeconds);
    // EventBridge delivers to a rule's DLQ as the service, so the queue's policy must allow it (checked with IAM on), not any function's role.
    const scheduler = this.track(
      new Scheduler(this.model, service, { reporter: this.reporter, deadLetters: destinations, iam, router, alarms }),
      (s) => s.stop(),
    );
    scheduler.start();
    this.scheduler = scheduler;
    this.resume(saved, service, router);

    const outputs = rewrite(this.model.outputs);
    const apiList = this.model.apis.map((api, i) => ({ name: api.name, id: api.id, url: apis[i].url }));
    const urlList = this.model.functionUrls.map((u, i) => ({ name: u.name, urlId: u.urlId, url: urls[i].url }));
    printStartup(this.reporter, {
      model: this.model,
      apis: apiList,
      functionUrls: urlList,
      lambdaEndpoint: lambdaApi.url,
      emulators,
      provisioned,
      scheduler,
      retryVisibilitySeconds,
      enforceThrottle: !!this.options.enforceThrottle,
      iam: !!iam,
      cloudOnlySubscriptions: router.cloudOnlySubscriptions,
      eventBridge: environment.AWS_ENDPOINT_URL_EVENTBRIDGE,
    });
    if (this.options.stateFile ?? true) this.writeStateFile({ apiList, urlList, lambdaEndpoint: lambdaApi.url, environment, outputs });
    const reloader = this.options.watch ? await this.watch(service, apis, urls, iam, rewrite) : undefined;
    this.service = service;
    return {
      url: apiList[0]?.url ?? urlList[0]?.url ?? "",
      apis: apiList,
      functionUrls: urlList,
      lambdaEndpoint: lambdaApi.url,
      emulators,
      outputs,
      model: this.model,
      environment,
      invoke: (ref, event) => service.invoke(ref, event, "invoke"),
      invokeAsync: (ref, event) => service.invokeAsync(ref, event, "invoke"),
      fireSchedule: (name) => this.fireSchedule(name),
      iam,
      reloader,
      rollout: (request) => this.rollout(alarms, request),
      publish: (ref, taskRoot) => service.replaceFunction(service.resolve(ref), taskRoot),
      profile: this.profile,
      stop: () => this.stop(),
    };
  }

  private async rollout(alarms: AlarmBoard, request: { groups?: string[]; minuteMs?: number } = {}): Promise<LocalRolloutOutcome[]> {
    const service = this.service;
    if (!service) throw new Error("the local cloud is not ready yet");
    const groups = this.model.rollouts;
    if (groups.length === 0) throw new Error("the stack has no CodeDeploy deployment groups (set platform:codeDeployRollouts true)");
    const unknown = (request.groups ?? []).filter((g) => !groups.some((r) => r.group === g));
    if (unknown.length) throw new Error(`no deployment group ${unknown.join(", ")}; groups: ${groups.map((g) => g.group).join(", ")}`);
    const chosen = groups.filter((g) => !request.groups || request.groups.includes(g.group));
    const minuteMs = request.minuteMs ?? 1000;
    this.reporter.info(`rollout (local rehearsal): each configured minute lasts ${minuteMs} ms here`);
    return Promise.all(chosen.map((g) => rehearseRollout(service, alarms, g, { minuteMs, log: (line) => this.reporter.info(line) })));
  }

  /** Hot reload: a watcher on the program's folder, and the reloader that applies what it sees. */
  private async watch(
    service: LambdaService,
    apis: ApiServer[],
    urls: FunctionUrlServer[],
    iam: IamAuthority | undefined,
    rewrite: (value: unknown) => any,
  ): Promise<Reloader> {
    const { programDir, stack, config } = this.options;
    const reloader = new Reloader({
      model: this.model,
      graph: this.graph,
      service,
      apis,
      urls,
      iam,
      reporter: this.reporter,
      modules: this.modules,
      taskRootFor: (name, generation) => path.join(this.localRoot, "functions", `${name}@${generation}`),
      capture: () => captureWithModules(programDir, stack, config ?? {}),
      localize: (environment) => rewrite(environment),
    });
    await reloader.prime();
    const watcher = new FolderWatcher(this.model.programDir, (files) => void reloader.onChange(files));
    watcher.start();
    this.track(watcher, (w) => w.stop());
    this.reporter.info(`Watching ${this.model.programDir} for edits: handlers reload at once, program changes by capturing it again`);
    return reloader;
  }

  async stop(): Promise<void> {
    this.service = undefined;
    for (const stopper of this.stoppers.splice(0).reverse()) await stopper();
  }

  /** Remembers how to undo a step, and returns what it made. */
  private track<T>(thing: T, undo: (thing: T) => unknown): T {
    this.stoppers.push(() => undo(thing));
    return thing;
  }

  private get dataDir(): string | undefined {
    return this.options.persist ? path.join(this.localRoot, "data") : undefined;
  }

  private async startEmulators(): Promise<Emulators> {
    return this.track(await startEmulators(this.model.region, this.dataDir), (e) => e.stop());
  }

  /**
   * --persist: what the last run left goes back in now, and what this run leaves is saved when it stops.
   * Returns the saved events not yet delivered, for `resume` once the functions run.
   */
  private async persist(emulators: Emulators, clients: Clients, provisioned: Provisioned): Promise<PendingDelivery[]> {
    const dir = this.dataDir!;
    const restored = await restoreState(dir, this.model, clients, provisioned);
    this.reporter.info(
      `Persisting to ${path.relative(this.options.programDir, dir)}: tables as they change, queues, buckets and undelivered events when stopped; ` +
        `restored ${restored.messages} message(s), ${restored.objects} object(s) and ${restored.pending.length} undelivered event(s)` +
        (restored.dropped.length ? `; dropped ${restored.dropped.join(", ")}` : ""),
    );
    this.track(undefined, async () => {
      const saved = await saveState(dir, this.model, emulators, clients, this.pending.list());
      this.reporter.info(
        `Saved ${saved.messages} message(s), ${saved.objects} object(s) and ${saved.pending} undelivered event(s) to ${path.relative(this.options.programDir, dir)}`,
      );
    });
    return restored.pending;
  }

  /**
   * Without --persist a stop drops the events accepted and not yet delivered (async events waiting for a
   * retry, EventBridge deliveries): said when it stops, never silently. Nothing is saved, so nothing resumes.
   */
  private sayWhatStopDrops(): PendingDelivery[] {
    // Tracked before the functions and the router, so it runs after they stop and sees what they left.
    this.track(this.pending, (pending) => {
      if (pending.size)
        this.reporter.info(
          `Stopping dropped ${pending.size} accepted event(s) not yet delivered (${pending.describe()}); \`npm start -- --persist\` keeps them across restarts`,
        );
    });
    return [];
  }

  /** Takes up the events the last run saved undelivered; one whose function, rule or target is gone is said, and dropped. */
  private resume(saved: PendingDelivery[], service: LambdaService, router: EventRouter): void {
    const gone: string[] = [];
    for (const entry of saved) {
      const resumed = entry.kind === "lambda" ? service.resumeAsync(entry) : router.resume(entry);
      if (!resumed)
        gone.push(
          entry.kind === "lambda" ? `an async event of ${entry.function}` : `an EventBridge event of ${entry.rule} for ${entry.target}`,
        );
    }
    if (gone.length) this.reporter.info(`Dropped ${gone.join(", ")}: no longer in the graph`);
  }

  /** IAM over the graph's roles and policies, unless turned off. */
  private createIam(): IamAuthority | undefined {
    if (this.options.iam === "off") return undefined;
    // A function not run here makes no calls: its role's grants are not reported unused for it.
    const functions = this.model.functions.filter((f) => !f.notRun).map((f) => ({ name: f.name, arn: f.arn, roleArn: f.role }));
    const iam = new IamAuthority(buildIamModel(this.graph), functions, this.reporter);
    this.stoppers.push(() => printUnusedGrants(this.reporter, iam));
    return iam;
  }

  /**
   * Puts the IAM proxy in front of the emulators: every endpoint (the SDK's, the functions', the local
   * cloud's own clients) becomes the proxy's, which authorizes what functions sign and forwards the rest.
   */
  private async enforceIam(emulators: Emulators, iam: IamAuthority): Promise<Emulators> {
    const proxy = this.track(
      await startIamProxy({
        authority: iam,
        resolver: this.resolver(iam),
        upstream: { messaging: emulators.s3, dynamodb: emulators.dynamodb },
        dynamodbHandler: emulators.dynamodbHandler,
        messagingHandler: emulators.messagingHandler,
        host: "127.0.0.1",
      }),
      (p) => p.close(),
    );
    const front = `http://127.0.0.1:${proxy.port}`;
    // SQS's host names the region, as fauxqs's queue URLs (and the SDK's endpoint rules) expect.
    const sqs = `http://sqs.${this.model.region}.localhost:${proxy.port}`;
    return {
      ...emulators,
      sqs,
      sns: front,
      s3: front,
      dynamodb: front,
      environment: {
        ...emulators.environment,
        AWS_ENDPOINT_URL_SQS: sqs,
        AWS_ENDPOINT_URL_SNS: front,
        AWS_ENDPOINT_URL_S3: front,
        AWS_ENDPOINT_URL_DYNAMODB: front,
      },
    };
  }

  /** Local names back to the cloud ARNs the policies name. */
  private resolver(iam: IamAuthority): ResourceResolver {
    const { region, accountId } = this.model;
    const lastPart = (ref: string) => ref.split(/[/:]/).pop() ?? ref;
    return {
      region,
      accountId,
      queueArn: (ref) =>
        this.model.queues.find((q) => q.name === lastPart(ref))?.arn ?? `arn:aws:sqs:${region}:${accountId}:${lastPart(ref)}`,
      tableArn: (name) => this.model.tables.find((t) => t.name === name)?.arn ?? `arn:aws:dynamodb:${region}:${accountId}:table/${name}`,
      topicArn: (ref) => {
        const cloud = [...(this.provisioned?.localArns.entries() ?? [])].find(([, local]) => local === ref)?.[0];
        return (
          cloud ?? this.model.topics.find((t) => t.name === lastPart(ref))?.arn ?? `arn:aws:sns:${region}:${accountId}:${lastPart(ref)}`
        );
      },
      keyFor: (arn) => iam.model.encryption.get(arn),
    };
  }

  /** Clients with the developer's credentials; `direct` ones ignore the queue URL's host (the proxy's) and call the emulator itself. */
  private createClients(emulators: Emulators, options: { direct?: boolean } = {}): Clients {
    const region = this.model.region;
    const clients: Clients = {
      sqs: new SQSClient({ endpoint: emulators.sqs, region, credentials: LOCAL_CREDENTIALS, useQueueUrlAsEndpoint: !options.direct }),
      sns: new SNSClient({ endpoint: emulators.sns, region, credentials: LOCAL_CREDENTIALS }),
      s3: new S3Client({ endpoint: emulators.s3, region, credentials: LOCAL_CREDENTIALS, forcePathStyle: true }),
      dynamodb: new DynamoDBClient({ endpoint: emulators.dynamodb, region, credentials: LOCAL_CREDENTIALS }),
    };
    return this.track(clients, (c) => Object.values(c).forEach((client) => client.destroy()));
  }

  /** The first API on the port asked for, the others on free ports; each answers 503 until the cloud is ready. */
  private async startApis(alarms: AlarmBoard, iam?: IamAuthority): Promise<ApiServer[]> {
    const servers: ApiServer[] = [];
    // One validator for every API: an issuer's keys are fetched once.
    const jwt = new JwtValidator(httpsJson(this.options.issuerCa));
    for (const [i, api] of this.model.apis.entries()) {
      const server = await this.onPort(i === 0 ? this.options.port : 0, (port) =>
        startApiServer({
          api,
          lambda: () => this.service,
          alarms,
          reporter: this.reporter,
          accountId: this.model.accountId,
          region: this.model.region,
          profile: this.profile,
          port,
          host: this.options.host,
          enforceThrottle: this.options.enforceThrottle,
          jwt,
          iam,
          services: () => (this.service ? this.services : undefined),
        }),
      );
      servers.push(server);
    }
    return servers;
  }

  /** A server started on `port`, stopped with the local cloud; a port in use is the CLI's PortInUseError (exit 2). */
  private async onPort<S extends { close(): Promise<void> }>(port: number, start: (port: number) => Promise<S>): Promise<S> {
    const server = await start(port).catch((err) => {
      throw err.code === "EADDRINUSE" ? new PortInUseError(port) : err;
    });
    return this.track(server, (s) => s.close());
  }

  /**
   * A port per function URL, each answering 503 until the cloud is ready; the first on the port asked for
   * when the program has no HTTP API (`firstOnPort`), the others on free ports.
   */
  private async startFunctionUrls(iam: IamAuthority | undefined, firstOnPort: boolean): Promise<FunctionUrlServer[]> {
    const servers: FunctionUrlServer[] = [];
    for (const [i, url] of this.model.functionUrls.entries()) {
      const server = await this.onPort(i === 0 && firstOnPort ? this.options.port : 0, (port) =>
        startFunctionUrlServer({
          url,
          lambda: () => this.service,
          reporter: this.reporter,
          accountId: this.model.accountId,
          region: this.model.region,
          port,
          host: this.options.host,
          iam,
        }),
      );
      servers.push(server);
    }
    return servers;
  }

  /** Each function's deployment artifact, unpacked where its containers load it from. */
  private async unpackFunctions(): Promise<Record<string, string>> {
    const taskRoots: Record<string, string> = {};
    for (const fn of this.model.functions) {
      taskRoots[fn.name] = path.join(this.localRoot, "functions", fn.name);
      // A function not run here may have no artifact yet (a .NET publish folder not built): nothing to unpack.
      if (fn.notRun) continue;
      // Code a step of the deploy builds is not here until it runs: the function is not run, and says why.
      await unpackFunctionCode(fn, taskRoots[fn.name], this.model.programDir).catch((err: Error) => {
        throw new Error(`function ${fn.name}: ${err.message}`);
      });
    }
    return taskRoots;
  }

  /**
   * Each layer of the program, unpacked once where its functions' containers find its modules (NODE_PATH);
   * a function's layer that is not the program's (an ARN written in, or code in S3) is named, since its
   * code is not here to run.
   */
  private async unpackLayers(): Promise<Record<string, string>> {
    const layerRoots: Record<string, string> = {};
    for (const layer of this.model.layers.filter((l) => l.code)) {
      const root = path.join(this.localRoot, "layers", `${layer.name}-${layer.arn.split(":").pop()}`);
      await unpackArtifact(layer.code, root, this.model.programDir).catch((err) => {
        throw new Error(`layer ${layer.name}: ${(err as Error).message}`);
      });
      layerRoots[layer.arn] = root;
    }
    for (const fn of this.model.functions.filter((f) => !f.notRun)) {
      const missing = (fn.layers ?? []).filter((arn) => !layerRoots[arn]);
      if (missing.length)
        this.reporter.info(
          `function ${fn.name}: its layer ${missing.join(", ")} is not in this program (or keeps its code in S3), so its code is not here and the function runs without it; define the layer in the program to run it here`,
        );
    }
    return layerRoots;
  }

  private createService(
    taskRoots: Record<string, string>,
    layerRoots: Record<string, string>,
    environment: Record<string, string>,
    destinations: Destinations,
    alarms: AlarmBoard,
    logs: LogStore,
    iam?: IamAuthority,
  ): LambdaService {
    const service = new LambdaService(this.model, {
      bootstrapFile: bootstrapFile(),
      taskRoots,
      layerRoots,
      baseEnvironment: environment,
      maxContainers: this.options.maxContainers ?? 4,
      asyncRetryBaseMs: this.options.asyncRetryBaseMs ?? RETRY_BASE_MS,
      pending: this.pending,
      reporter: this.reporter,
      alarms,
      logs,
      destinations,
      iam,
      profile: !!this.profile,
    });
    return this.track(service, (s) => s.stop());
  }

  private startPollers(
    service: LambdaService,
    clients: Clients,
    provisioned: Provisioned,
    alarms: AlarmBoard,
    retryVisibilitySeconds?: number,
  ): void {
    for (const mapping of this.model.eventSourceMappings.filter((m) => m.enabled)) {
      const queue = this.model.queues.find((q) => q.arn === mapping.queueArn);
      if (!queue) throw new Error(`an event source mapping reads queue ${mapping.queueArn}, which is not in the graph`);
      // A mapping to a function made elsewhere (its name or ARN written in): listed, and its queue left alone.
      if (!service.knows(mapping.functionName)) {
        this.reporter.info(
          `queue ${queue.name}: its event source mapping's function ${mapping.functionName} is not in this program, so nothing polls the queue locally`,
        );
        continue;
      }
      const poller = new QueuePoller(mapping, queue, provisioned.queueUrls.get(queue.arn)!, this.model.region, clients.sqs, service, {
        retryVisibilitySeconds,
      });
      poller.start();
      this.track(poller, (p) => p.stop());
    }
    this.track(new QueueWatcher(this.model, provisioned.queueUrls, clients.sqs, alarms), (w) => w.stop());
  }

  private fireSchedule(name: string): string[] {
    const schedule = this.model.schedules.find((s) => s.name === name);
    if (!schedule) throw new Error(`no schedule named ${name}; schedules: ${this.model.schedules.map((s) => s.name).join(", ") || "none"}`);
    if (!this.scheduler || !this.service) throw new Error("the local cloud is still starting; try again in a moment");
    return this.scheduler.fire(schedule);
  }

  private writeStateFile(parts: {
    apiList: LocalCloudState["apis"];
    urlList: LocalCloudState["functionUrls"];
    lambdaEndpoint: string;
    environment: Record<string, string>;
    outputs: Record<string, any>;
  }): void {
    const state: LocalCloudState = {
      pid: process.pid,
      stack: this.options.stack,
      url: parts.apiList[0]?.url ?? parts.urlList[0]?.url,
      apis: parts.apiList,
      functionUrls: parts.urlList,
      lambdaEndpoint: parts.lambdaEndpoint,
      environment: parts.environment,
      outputs: parts.outputs,
      functions: this.model.functions.map((f) => f.name),
      schedules: this.model.schedules.map((s) => ({
        name: s.name,
        functions: s.targets.map((t) => findFunction(this.model, t.functionArn)?.name ?? t.functionArn),
      })),
    };
    const file = path.join(this.localRoot, "state.json");
    fs.mkdirSync(this.localRoot, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(state, null, 2));
    this.stoppers.push(() => fs.rmSync(file, { force: true }));
  }
}

/** Cloud identities (queue URLs, ARNs, API endpoints) replaced by local ones, wherever the program passed them on. */
function localRewriter(model: LocalModel, provisioned: Provisioned, apis: ApiServer[], urls: FunctionUrlServer[]): (value: unknown) => any {
  const rewrites: [string, string][] = [
    ...model.queues.map((q): [string, string] => [q.cloudUrl, provisioned.queueUrls.get(q.arn)!]),
    ...[...provisioned.localArns.entries()],
    ...model.apis.map((api, i): [string, string] => [api.cloudEndpoint, apis[i].url]),
    // A function URL's cloud URL ends with a slash, and so does its local one.
    ...model.functionUrls.map((u, i): [string, string] => [u.cloudUrl, `${urls[i].url}/`]),
  ].filter(([from, to]) => from && to && from !== to);
  const rewrite = (value: unknown): any => {
    if (typeof value === "string") return rewrites.reduce((s, [from, to]) => s.split(from).join(to), value);
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    return value;
  };
  return rewrite;
}

/** An async invocation's failure record, delivered to its destination queue or topic. */
async function sendToDestination(
  clients: Clients,
  provisioned: Provisioned,
  arn: string,
  body: string,
  attributes?: Record<string, string>,
): Promise<void> {
  const queueUrl = provisioned.queueUrls.get(arn);
  const MessageAttributes = attributes
    ? Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]))
    : undefined;
  if (queueUrl) await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes }));
  else if (arn.startsWith("arn:aws:sns:") && provisioned.localArns.has(arn))
    await clients.sns.send(new PublishCommand({ TopicArn: provisioned.localArns.get(arn), Message: body, MessageAttributes }));
  else throw new Error(`destination ${arn} is not a queue or topic of the graph`);
}

/** When the local cloud stops: the grants no call used, as IAM Access Analyzer's unused-access findings would list them. */
function printUnusedGrants(reporter: Reporter, iam: IamAuthority): void {
  const unused = iam.unusedGrants();
  if (unused.length === 0) return reporter.info("IAM: every grant of every function's role was used during this run");
  reporter.table(
    `IAM: ${unused.length} grant(s) no call used during this run (unused access; remove them, or exercise them)`,
    unused.map((g) => [g.functions.join(", "), g.action, g.resource, `${g.policy}${g.sid ? ` / ${g.sid}` : ""}`]),
  );
}

const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

function assertPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (err: NodeJS.ErrnoException) => reject(err.code === "EADDRINUSE" ? new PortInUseError(port) : err));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** The container runtime, bundled once per content into the temp directory. */
function bootstrapFile(): string {
  const source = path.join(__dirname, "lambda", "bootstrap.ts");
  const { outputFiles } = buildSync({
    entryPoints: [source],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  const text = outputFiles[0].text;
  const file = path.join(
    os.tmpdir(),
    "platform-local-cloud",
    `bootstrap-${createHash("sha256").update(text).digest("hex").slice(0, 12)}.js`,
  );
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return file;
}
