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
import { captureStack } from "../graph/capture";
import { AlarmBoard } from "./alarms";
import { InvocationReport, Reporter } from "./console";
import { Emulators, startEmulators } from "./emulators";
import { ApiServer, startApiServer } from "./http-api";
import { unpackArtifact } from "./lambda/artifact";
import type { InvokeOutcome } from "./lambda/pool";
import { LambdaService } from "./lambda/service";
import { LambdaApi, startLambdaApi } from "./lambda-api";
import { LogStore } from "./logs";
import { buildModel, findFunction, LocalModel } from "./model";
import { Clients, provision } from "./provision";
import { QueuePoller, QueueWatcher } from "./queues";
import { Scheduler } from "./schedules";
import { printStartup } from "./startup-table";

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
  /** First async retry delay in ms, doubling per retry. @default 1000 (Lambda: about a minute) */
  asyncRetryBaseMs?: number;
  /** Seconds before a failed SQS message is received again; undefined keeps the queue's visibility timeout. @default 1 */
  retryVisibilitySeconds?: number;
  /** Enforce the API stage's throttling with 429s. @default false */
  enforceThrottle?: boolean;
  /** Write `.build/local/<stack>/state.json` in the program's directory for `npm run invoke`, `dlq --local`, `logs --local`. @default true */
  stateFile?: boolean;
}

export interface LocalCloud {
  /** The first HTTP API's URL. */
  url: string;
  apis: { name: string; id: string; url: string }[];
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
  stop(): Promise<void>;
}

/** What a running local cloud writes to `.build/local/<stack>/state.json`, for the tools that talk to it. */
export interface LocalCloudState {
  pid: number;
  stack: string;
  url?: string;
  apis: { name: string; id: string; url: string }[];
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

  const graph = await captureStack(programDir, stack, options.config ?? {});
  const model = buildModel(graph);
  const reporter = new Reporter(options.write, options.invocationLines ?? true, options.onInvocation);
  const stoppers: (() => unknown)[] = [];
  const stop = async () => {
    for (const stopper of stoppers.splice(0).reverse()) await stopper();
  };
  try {
    const emulators = await startEmulators(model.region);
    stoppers.push(() => emulators.stop());
    const clients: Clients = {
      sqs: new SQSClient({ endpoint: emulators.sqs, region: model.region, credentials: LOCAL_CREDENTIALS }),
      sns: new SNSClient({ endpoint: emulators.sns, region: model.region, credentials: LOCAL_CREDENTIALS }),
      s3: new S3Client({ endpoint: emulators.s3, region: model.region, credentials: LOCAL_CREDENTIALS, forcePathStyle: true }),
      dynamodb: new DynamoDBClient({ endpoint: emulators.dynamodb, region: model.region, credentials: LOCAL_CREDENTIALS }),
    };
    stoppers.push(() => Object.values(clients).forEach((c) => c.destroy()));
    const provisioned = await provision(model, clients);

    let lambda: LambdaService | undefined;
    const alarms = new AlarmBoard(model.alarms, reporter);
    stoppers.push(() => alarms.stop());
    const apis: ApiServer[] = [];
    for (const [i, api] of model.apis.entries()) {
      const server = await startApiServer({
        api,
        lambda: () => lambda!,
        alarms,
        reporter,
        accountId: model.accountId,
        port: i === 0 ? port : 0,
        host,
        enforceThrottle: options.enforceThrottle,
      }).catch((err) => {
        throw err.code === "EADDRINUSE" ? new PortInUseError(port) : err;
      });
      apis.push(server);
      stoppers.push(() => server.close());
    }
    let scheduler: Scheduler | undefined;
    const fireSchedule = (name: string) => {
      const schedule = model.schedules.find((s) => s.name === name);
      if (!schedule) throw new Error(`no schedule named ${name}; schedules: ${model.schedules.map((s) => s.name).join(", ") || "none"}`);
      if (!scheduler) throw new Error("the local cloud is still starting; try again in a moment");
      return scheduler.fire(schedule);
    };
    const logs = new LogStore();
    const lambdaApi: LambdaApi = await startLambdaApi(() => lambda!, fireSchedule, logs, options.lambdaPort ?? 0, host);
    stoppers.push(() => lambdaApi.close());

    // Cloud identities (queue URLs, ARNs, API endpoints) become local ones wherever the program passed them on.
    const rewrites: [string, string][] = [
      ...model.queues.map((q): [string, string] => [q.cloudUrl, provisioned.queueUrls.get(q.arn)!]),
      ...[...provisioned.localArns.entries()],
      ...model.apis.map((api, i): [string, string] => [api.cloudEndpoint, apis[i].url]),
    ].filter(([from, to]) => from && to && from !== to);
    const rewrite = (value: unknown): any => {
      if (typeof value === "string") return rewrites.reduce((s, [from, to]) => s.split(from).join(to), value);
      if (Array.isArray(value)) return value.map(rewrite);
      if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
      return value;
    };
    for (const fn of model.functions) fn.environment = rewrite(fn.environment);

    const localRoot = path.join(programDir, ".build", "local", stack);
    const taskRoots: Record<string, string> = {};
    for (const fn of model.functions) {
      taskRoots[fn.name] = path.join(localRoot, "functions", fn.name);
      await unpackArtifact(fn.code, taskRoots[fn.name]).catch((err) => {
        throw new Error(`function ${fn.name}: ${(err as Error).message}`);
      });
    }

    const environment = {
      ...emulators.environment,
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi.url,
      // Lambda runs nodejs22.x, where the SDK has nothing to warn about; this machine's Node 20 is not the function's.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    lambda = new LambdaService(model, {
      bootstrapFile: bootstrapFile(),
      taskRoots,
      baseEnvironment: environment,
      maxContainers: options.maxContainers ?? 4,
      asyncRetryBaseMs: options.asyncRetryBaseMs ?? 1000,
      reporter,
      alarms,
      logs,
      destinations: {
        async send(arn, body, attributes) {
          const queueUrl = provisioned.queueUrls.get(arn);
          const MessageAttributes = attributes
            ? Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]))
            : undefined;
          if (queueUrl) await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes }));
          else if (arn.startsWith("arn:aws:sns:") && provisioned.localArns.has(arn))
            await clients.sns.send(new PublishCommand({ TopicArn: provisioned.localArns.get(arn), Message: body, MessageAttributes }));
          else throw new Error(`destination ${arn} is not a queue or topic of the graph`);
        },
      },
    });
    const service = lambda;
    stoppers.push(() => service.stop());

    const retryVisibilitySeconds = "retryVisibilitySeconds" in options ? options.retryVisibilitySeconds : 1;
    for (const mapping of model.eventSourceMappings.filter((m) => m.enabled)) {
      const queue = model.queues.find((q) => q.arn === mapping.queueArn);
      if (!queue) throw new Error(`an event source mapping reads queue ${mapping.queueArn}, which is not in the graph`);
      service.resolve(mapping.functionName);
      const poller = new QueuePoller(mapping, queue, provisioned.queueUrls.get(queue.arn)!, model.region, clients.sqs, service, {
        retryVisibilitySeconds,
      });
      poller.start();
      stoppers.push(() => poller.stop());
    }
    const watcher = new QueueWatcher(model, provisioned.queueUrls, clients.sqs, alarms);
    stoppers.push(() => watcher.stop());
    const running = new Scheduler(model, service, reporter);
    scheduler = running;
    running.start();
    stoppers.push(() => running.stop());

    const outputs = rewrite(model.outputs);
    const apiList = model.apis.map((api, i) => ({ name: api.name, id: api.id, url: apis[i].url }));
    printStartup(reporter, {
      model,
      apis: apiList,
      lambdaEndpoint: lambdaApi.url,
      emulators,
      provisioned,
      scheduler: running,
      retryVisibilitySeconds,
      enforceThrottle: !!options.enforceThrottle,
    });

    if (options.stateFile ?? true) {
      const stateFile = path.join(localRoot, "state.json");
      const state: LocalCloudState = {
        pid: process.pid,
        stack,
        url: apiList[0]?.url,
        apis: apiList,
        lambdaEndpoint: lambdaApi.url,
        environment,
        outputs,
        functions: model.functions.map((f) => f.name),
        schedules: model.schedules.map((s) => ({
          name: s.name,
          functions: s.targets.map((t) => findFunction(model, t.functionArn)?.name ?? t.functionArn),
        })),
      };
      fs.mkdirSync(localRoot, { recursive: true });
      fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
      stoppers.push(() => fs.rmSync(stateFile, { force: true }));
    }

    return {
      url: apiList[0]?.url ?? "",
      apis: apiList,
      lambdaEndpoint: lambdaApi.url,
      emulators,
      outputs,
      model,
      environment,
      invoke: (ref, event) => service.invoke(ref, event, "invoke"),
      invokeAsync: (ref, event) => service.invokeAsync(ref, event, "invoke"),
      fireSchedule,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
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
