/**
 * What the local cloud runs, read from a captured graph. This is the only place that knows which
 * resource types it emulates; everything is derived from the resources' own inputs and identities,
 * never from the names of a particular app.
 */
import { CapturedResource, Graph, revealSecrets } from "../graph/capture";
import { fifoTargetProblem } from "../policy/fifo-target";
import { serviceIntegrationProblem } from "./service-integrations";
import { routeKeyProblem } from "../policy/route-key";
import { inputTransformerProblem, targetInputProblem } from "../policy/target-input";
import { checkPattern } from "./event-pattern";
import { DEFAULT_RETRY_POLICY, RetryPolicy } from "./event-retry";
import { functionNamed } from "./function-names";
import type { InputTransformer } from "./input-transformer";

export interface LocalFunction {
  name: string;
  arn: string;
  /** The execution role's ARN: what the function's code, and Lambda on its behalf, is authorized as. */
  role: string;
  /** "<file>.<export>", as Lambda's `handler` setting. */
  handler: string;
  runtime: string;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
  /** The deployment artifact as the graph holds it: a Pulumi AssetArchive. */
  code: any;
  reservedConcurrency?: number;
  /** From FunctionEventInvokeConfig, or Lambda's defaults (2 retries, 6 hours). */
  async: { retryAttempts: number; maximumEventAgeSeconds: number; onFailure?: string; onSuccess?: string };
  /** The function's own `deadLetterConfig` target, used when no onFailure destination is set. */
  deadLetterArn?: string;
  logGroup: string;
  /** X-Ray tracing mode: Active samples new traces. @default "PassThrough" */
  tracing: "Active" | "PassThrough";
  /**
   * The function's aliases, by name. A managed alias is moved by rollouts (its program ignores changes
   * to its version): a new version of the code does not take its traffic until a rollout gives it.
   */
  aliases: Record<string, { managed: boolean }>;
  /** Its layers' version ARNs, in the function's order: a later layer's files win over an earlier one's. @default none */
  layers?: string[];
  /**
   * Why the local cloud does not run the function, when it does not: it runs Node.js functions whose zip
   * the program builds. Such a function is listed at start-up, and an invocation of it fails saying why,
   * while the rest of the program runs. @default run
   */
  notRun?: string;
}

/** The runtimes the local cloud runs: Lambda's Node.js ones. */
const NODE_RUNTIME = /^nodejs\d+\.x$/;

/** Why a function is not run locally, from its settings (see `LocalFunction.notRun`); undefined when it is run. */
function notRunReason(s: Record<string, any>, runtime: string): string | undefined {
  if (s.packageType === "Image" || s.imageUri) return "it is a container image function, and the local cloud runs zip functions only";
  if (!s.code) return "its code is in S3 (s3Bucket and s3Key), which the local cloud does not read";
  if (!NODE_RUNTIME.test(runtime)) return `its runtime is ${runtime}, and the local cloud runs Node.js runtimes (nodejs<N>.x) only`;
  return undefined;
}

/** A Lambda layer version of the program (aws.lambda.LayerVersion), whose archive functions see under /opt in AWS. */
export interface LocalLayer {
  /** Its version ARN, as functions list it. */
  arn: string;
  name: string;
  /** The archive as the graph holds it; none when its code is in S3, which the local cloud cannot read. */
  code?: any;
}

/** A CodeDeploy deployment group of a Lambda function, as the local rehearsal of a rollout runs it. */
export interface LocalRollout {
  group: string;
  /** The function it moves: the one its rollback alarms watch. */
  functionName: string;
  /** The deployment config, without CodeDeploy's `CodeDeployDefault.Lambda` prefix (Canary10Percent5Minutes). */
  preference: string;
  /** Names of the alarms that stop and roll back a step. */
  alarms: string[];
}

export type Integration =
  | { type: "AWS_PROXY"; functionArn: string; payloadFormatVersion: string }
  | {
      /** A first-class AWS service integration (`AWS_PROXY` with an `integrationSubtype`): local/service-integrations.ts. */
      type: "AWS_SERVICE";
      /** `integrationSubtype`: EventBridge-PutEvents, SQS-SendMessage, ... */
      subtype: string;
      /** `requestParameters` as written: static values or mapping expressions ($request.body, $context.requestId, ...). */
      parameters: Record<string, string>;
      /** The role API Gateway calls the service with. @default none: the call is denied with IAM on */
      credentialsArn?: string;
    }
  | {
      type: "HTTP_PROXY";
      uri: string;
      method: string;
      timeoutMs: number;
      /** The config key whose value set the URI's origin, to say how to point it elsewhere. @default none found */
      configKey?: string;
      /** A private integration's target (a listener or Cloud Map service ARN, through a VPC link): not reachable here. @default none */
      privateTarget?: string;
    };

export interface LocalRoute {
  routeKey: string;
  integration: Integration;
  /**
   * Who may call it: `CUSTOM` runs the route's Lambda authorizer first (local/authorizer.ts), `JWT`
   * validates the request's token (local/jwt.ts); `AWS_IAM` is not enforced locally, and says so. @default "NONE"
   */
  authorizationType?: "NONE" | "CUSTOM" | "JWT" | "AWS_IAM";
  /** The authorizer a `CUSTOM` or `JWT` route names. @default none */
  authorizer?: LocalAuthorizer;
  /** A JWT route's scopes: the token must carry one of them. @default none (any valid token) */
  authorizationScopes?: string[];
}

/** An HTTP API's authorizer (aws.apigatewayv2.Authorizer). */
export interface LocalAuthorizer {
  id: string;
  name: string;
  type: "REQUEST" | "JWT";
  /** A REQUEST authorizer's function, from its `authorizerUri`. @default none */
  functionArn?: string;
  /** A JWT authorizer's issuer and the audiences it accepts. @default none */
  jwt?: { issuer: string; audiences: string[] };
  /** Selection expressions: `$request.header.Authorization`, `$request.querystring.token`, `$context.routeKey`, `$stageVariables.x`. */
  identitySources: string[];
  /** "2.0" or "1.0": a 1.0 authorizer gets REST's REQUEST event and answers with an IAM policy. */
  payloadFormatVersion: string;
  /** Whether the function answers `{ isAuthorized, context }` rather than an IAM policy. */
  simpleResponses: boolean;
  /** How long a verdict is kept for the same identity sources; 0 keeps none. */
  resultTtlSeconds: number;
}

export interface LocalStage {
  /** "$default" serves the root; any other name serves under /{name}. */
  name: string;
  /** Stage variables, handed to the event as `stageVariables` and substituted in HTTP integration URIs. */
  variables: Record<string, string>;
  /** Whether it serves: auto-deployed, or with a deployment. A stage without either serves nothing in AWS. */
  deployed: boolean;
  throttle?: { rateLimit: number; burstLimit: number };
}

/** An HTTP API's CORS configuration, as `corsConfiguration` sets it. */
export interface LocalCors {
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAge?: number;
  allowCredentials: boolean;
}

export interface LocalApi {
  id: string;
  name: string;
  /** The endpoint the API would have in AWS, rewritten to the local one wherever it appears. */
  cloudEndpoint: string;
  /** Its stages; none means AWS serves nothing. A quick-create API has an auto-deployed $default stage. */
  stages: LocalStage[];
  routes: LocalRoute[];
  cors?: LocalCors;
  /** Set for a quick-create API (`target` on the Api): AWS made its route, integration and stage. */
  quickCreate: boolean;
}

/**
 * A Lambda function URL (aws.lambda.FunctionUrl): every path and method of its own endpoint invokes the
 * function, or the alias or version its qualifier names, with a payload format 2.0 event.
 */
export interface LocalFunctionUrl {
  /** The resource's name in the program, for the start-up table. */
  name: string;
  /** AWS's URL id: the host's first label, and the event's apiId and domainPrefix. */
  urlId: string;
  /** What it invokes: the function's ARN, with `:<qualifier>` when it has one. */
  functionArn: string;
  /** `NONE`: public (the provider grants it, below); `AWS_IAM`: callers need lambda:InvokeFunctionUrl and lambda:InvokeFunction. */
  authType: "NONE" | "AWS_IAM";
  /** Lambda answers preflights and adds these headers to every response. @default none */
  cors?: LocalCors;
  /** `RESPONSE_STREAM` is served buffered here. @default "BUFFERED" */
  invokeMode: "BUFFERED" | "RESPONSE_STREAM";
  /** The URL it has in AWS, `https://<urlId>.lambda-url.<region>.on.aws/`, rewritten to the local one wherever it appears. */
  cloudUrl: string;
}

export interface LocalQueue {
  name: string;
  arn: string;
  cloudUrl: string;
  fifo: boolean;
  /** A FIFO queue's deduplication by a hash of the body, when a message brings no deduplication id. @default false */
  contentBasedDeduplication?: boolean;
  visibilityTimeoutSeconds: number;
  messageRetentionSeconds?: number;
  delaySeconds?: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

export interface LocalTable {
  name: string;
  arn: string;
  hashKey: string;
  rangeKey?: string;
  attributes: { name: string; type: string }[];
  globalSecondaryIndexes: { name: string; hashKey: string; rangeKey?: string; projectionType?: string; nonKeyAttributes?: string[] }[];
  localSecondaryIndexes: { name: string; rangeKey: string; projectionType?: string; nonKeyAttributes?: string[] }[];
}

export interface LocalBucket {
  name: string;
  arn: string;
}

export interface LocalObject {
  bucket: string;
  key: string;
  /** A Pulumi asset, or a string from `content`. */
  source: any;
  contentType?: string;
}

export interface LocalTopic {
  name: string;
  arn: string;
  subscriptions: LocalSubscription[];
}

export interface LocalSubscription {
  /** The subscription's own ARN, as SNS names it in a Lambda event's EventSubscriptionArn. */
  arn: string;
  protocol: string;
  endpoint: string;
  /** SQS and HTTP only: the message as published, without SNS's JSON envelope. */
  rawMessageDelivery: boolean;
  /** A filter policy (JSON), on the message's attributes or, with scope MessageBody, its body. */
  filterPolicy?: string;
  filterPolicyScope?: string;
  /**
   * Its redrive policy's queue: where SNS puts a message it cannot deliver. A client-side error (a function
   * SNS may not invoke, a queue whose policy keeps SNS out) is not retried, so the message goes there at
   * once ("Amazon SNS dead-letter queues (DLQs)", SNS Developer Guide). @default none: SNS discards it
   */
  deadLetterArn?: string;
}

/** A bucket's event notifications (one BucketNotification per bucket), to functions, queues and topics. */
export interface LocalBucketNotification {
  bucket: string;
  targets: { kind: "lambda" | "sqs" | "sns"; arn: string; id?: string; events: string[]; filterPrefix?: string; filterSuffix?: string }[];
}

/** An EventBridge bus: `default`, or one the graph declares. */
export interface LocalEventBus {
  name: string;
  arn: string;
}

/** An EventBridge rule with an event pattern, on a bus, and its targets. */
export interface LocalEventRule {
  name: string;
  arn: string;
  busName: string;
  pattern: Record<string, any>;
  enabled: boolean;
  /** Each target, with its retry policy (EventBridge's default where it sets none) and DLQ, if any. */
  targets: {
    arn: string;
    input?: string;
    inputPath?: string;
    /** What the target gets instead of the event, built from it (local/input-transformer.ts). @default none */
    inputTransformer?: InputTransformer;
    roleArn?: string;
    deadLetterArn?: string;
    retryPolicy: RetryPolicy;
    /** A FIFO queue target's message group (`sqsTarget.messageGroupId`). @default none */
    messageGroupId?: string;
  }[];
}

export interface LocalEventSourceMapping {
  queueArn: string;
  functionName: string;
  batchSize: number;
  batchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  enabled: boolean;
}

export interface LocalSchedule {
  name: string;
  arn: string;
  expression: string;
  enabled: boolean;
  /**
   * Each target: a function, or a queue or topic (then delivered as a rule's target is, with its retry
   * policy). An EventBridge Scheduler target calls with its own role, a rule's target through the
   * function's permission or the queue's or topic's policy; `deadLetterArn` is where EventBridge puts an
   * event it cannot deliver, if anywhere.
   */
  targets: {
    /** The target's ARN: a function's, or a queue's or topic's. */
    functionArn: string;
    input?: string;
    /** A scheduled rule's target: what it gets instead of the event, built from it. @default none */
    inputTransformer?: InputTransformer;
    roleArn?: string;
    deadLetterArn?: string;
    retryPolicy: RetryPolicy;
    /** A FIFO queue target's message group (`sqsTarget.messageGroupId`, or Scheduler's `sqsParameters.messageGroupId`). @default none */
    messageGroupId?: string;
  }[];
  /** "rule" (EventBridge rule) or "scheduler" (EventBridge Scheduler). */
  kind: "rule" | "scheduler";
}

export interface LocalAlarm {
  name: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  threshold: number;
  periodSeconds: number;
}

export interface SkippedResource {
  urn: string;
  type: string;
  name: string;
  /**
   * cloud-only: edge, log shipping, dashboards; iam: roles, policies, keys and permissions, which IAM
   * enforces (unless it is off); not-enforced: accepted, with no local effect; unsupported: not understood.
   */
  reason: "cloud-only" | "iam" | "not-enforced" | "not-emulated" | "unsupported";
}

export interface LocalModel {
  project: string;
  stack: string;
  region: string;
  /** Where the region came from, for the start-up line. */
  regionSource: NonNullable<Graph["placement"]["regionSource"]>;
  /** The program's directory: relative asset paths resolve against it, as they do under the CLI. */
  programDir: string;
  /** False when the stack has no `Pulumi.<stack>.yaml` and runs with an empty config. */
  hasStackFile: boolean;
  accountId: string;
  functions: LocalFunction[];
  layers: LocalLayer[];
  apis: LocalApi[];
  functionUrls: LocalFunctionUrl[];
  queues: LocalQueue[];
  tables: LocalTable[];
  buckets: LocalBucket[];
  objects: LocalObject[];
  topics: LocalTopic[];
  bucketNotifications: LocalBucketNotification[];
  eventBuses: LocalEventBus[];
  eventRules: LocalEventRule[];
  eventSourceMappings: LocalEventSourceMapping[];
  schedules: LocalSchedule[];
  alarms: LocalAlarm[];
  rollouts: LocalRollout[];
  skipped: SkippedResource[];
  outputs: Record<string, any>;
}

const CLOUD_ONLY = [
  /^aws:cloudfront\//,
  /^aws:route53\//,
  /^aws:acm\//,
  /^aws:wafv2\//,
  /^aws:shield\//,
  /^aws:cloudwatch\/logSubscriptionFilter:/,
  /^aws:kinesis\//,
  /^aws:cloudwatch\/dashboard:/,
  /^aws:cloudwatch\/compositeAlarm:/,
  /^aws:cfg\//,
  /^aws:lambda\/provisionedConcurrencyConfig:/,
  /^aws:appautoscaling\//,
  // Private networking: a function in a VPC runs locally as any other; a private origin is --config legacyOrigin=...
  /^awsx:ec2:Vpc$/,
  /^aws:ec2\/(securityGroup|securityGroupRule|vpcEndpoint|flowLog):/,
  /^aws:vpc\/securityGroup(Ingress|Egress)Rule:/,
  /^aws:apigatewayv2\/vpcLink:/,
];

/** What IAM reads: identities, their policies, resource policies, keys, function permissions, and which key encrypts what. */
const IAM = [
  /^aws:iam\//,
  /^aws:kms\//,
  /^aws:lambda\/permission:/,
  /^aws:sqs\/queuePolicy:/,
  /^aws:sns\/topicPolicy:/,
  /^aws:dynamodb\/resourcePolicy:/,
  /^aws:s3\/bucket(Policy|ServerSideEncryptionConfiguration(V2)?):/,
];

/** Services a serverless program often holds that the local cloud does not run: listed by name, their functions still run. */
const NOT_EMULATED = [/^aws:apigateway\//, /^aws:sfn\//];

/** Accepted and shown, but with no local effect: logs go to the console, and so on. */
const NOT_ENFORCED = [
  /^aws:cloudwatch\/logGroup:/,
  /^aws:apigatewayv2\/deployment:/,
  /^aws:s3\/bucket(PublicAccessBlock|Versioning(V2)?|LifecycleConfiguration(V2)?|OwnershipControls|Logging(V2)?):/,
  /^pulumi:providers:/,
  /^aws:lambda\/functionRecursionConfig:/,
];

const EMULATED = new Set([
  "aws:lambda/function:Function",
  "aws:apigatewayv2/api:Api",
  "aws:apigatewayv2/authorizer:Authorizer",
  "aws:apigatewayv2/route:Route",
  "aws:apigatewayv2/integration:Integration",
  "aws:apigatewayv2/stage:Stage",
  "aws:lambda/functionUrl:FunctionUrl",
  "aws:lambda/layerVersion:LayerVersion",
  "aws:sqs/queue:Queue",
  "aws:dynamodb/table:Table",
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:s3/bucketObject:BucketObject",
  "aws:s3/bucketObjectv2:BucketObjectv2",
  "aws:sns/topic:Topic",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:lambda/eventSourceMapping:EventSourceMapping",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  "aws:cloudwatch/eventRule:EventRule",
  "aws:cloudwatch/eventTarget:EventTarget",
  "aws:scheduler/schedule:Schedule",
  "aws:s3/bucketNotification:BucketNotification",
  "aws:cloudwatch/eventBus:EventBus",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:lambda/alias:Alias",
  "aws:codedeploy/application:Application",
  "aws:codedeploy/deploymentGroup:DeploymentGroup",
]);

/** Values the capture already produced (random passwords and strings): nothing to run, nothing to skip. */
const COMPUTED = [/^random:/, /^pulumi:pulumi:StackReference$/];

const nameOf = (r: CapturedResource): string => r.state.name ?? r.inputs.name ?? r.id ?? r.name;

/** The resources of one type in a graph. */
const ofType = (graph: Graph, type: string) => graph.resources.filter((r) => r.type === type);

/** Builds the local model from a graph, one reader per kind of resource. Throws, naming the resource, on a graph it cannot run. */
export function buildModel(graph: Graph): LocalModel {
  const mappings = eventSourceMappingsOf(graph);
  return {
    project: graph.project,
    stack: graph.stack,
    region: graph.placement.region,
    regionSource: graph.placement.regionSource ?? "aws:region",
    programDir: graph.programDir ?? process.cwd(),
    hasStackFile: graph.hasStackFile ?? true,
    accountId: graph.placement.accountId,
    functions: functionsOf(graph),
    layers: ofType(graph, "aws:lambda/layerVersion:LayerVersion").map((r) => ({
      arn: r.arn ?? String(r.id),
      name: String(r.state.layerName ?? r.name),
      code: r.state.code,
    })),
    apis: apisOf(graph),
    functionUrls: functionUrlsOf(graph),
    queues: queuesOf(graph),
    tables: tablesOf(graph),
    ...storageOf(graph),
    topics: topicsOf(graph),
    bucketNotifications: bucketNotificationsOf(graph),
    ...eventBridgeOf(graph),
    eventSourceMappings: mappings.emulated,
    schedules: schedulesOf(graph),
    alarms: alarmsOf(graph),
    rollouts: rolloutsOf(graph),
    skipped: [...skippedOf(graph), ...mappings.skipped],
    outputs: graph.outputs,
  };
}

/** What is not emulated, and why: cloud only, accepted with no local effect, or not understood. */
function skippedOf(graph: Graph): SkippedResource[] {
  const skipped: SkippedResource[] = [];
  for (const r of graph.resources) {
    // A remote component (awsx's Vpc) is one node here, whose children its plugin makes in the cloud.
    if ((!r.custom && !r.remote) || EMULATED.has(r.type) || COMPUTED.some((p) => p.test(r.type))) continue;
    const reason = CLOUD_ONLY.some((p) => p.test(r.type))
      ? "cloud-only"
      : IAM.some((p) => p.test(r.type))
        ? "iam"
        : NOT_EMULATED.some((p) => p.test(r.type))
          ? "not-emulated"
          : NOT_ENFORCED.some((p) => p.test(r.type))
            ? "not-enforced"
            : "unsupported";
    skipped.push({ urn: r.urn, type: r.type, name: r.name, reason });
  }
  return skipped;
}

function functionsOf(graph: Graph): LocalFunction[] {
  const invokeConfigs = new Map(
    ofType(graph, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").map((r) => [String(r.state.functionName), r.state]),
  );
  const aliases = ofType(graph, "aws:lambda/alias:Alias");
  return ofType(graph, "aws:lambda/function:Function").map((r): LocalFunction => {
    const s = r.state;
    const name = nameOf(r);
    const own = aliases.filter((a) => a.state.functionName === name || a.state.functionName === r.arn);
    const config = invokeConfigs.get(name) ?? invokeConfigs.get(r.arn ?? "");
    // An image function has no runtime setting: its image holds it.
    const runtime = String(s.runtime ?? (s.packageType === "Image" ? "image" : "nodejs22.x"));
    const notRun = notRunReason(s, runtime);
    const layers: string[] = Array.isArray(s.layers) ? s.layers.map(String) : [];
    // CreateFunction takes at most five layers ("Layers: Member must have length less than or equal to 5").
    if (layers.length > MAX_LAYERS)
      throw new GraphRefusedError(`${r.urn}: ${layers.length} layers, but a function takes at most ${MAX_LAYERS}; Lambda refuses it`);
    return {
      name,
      arn: r.arn ?? `arn:aws:lambda:${graph.placement.region}:${graph.placement.accountId}:function:${name}`,
      role: String(s.role ?? ""),
      handler: s.handler ?? "index.handler",
      runtime,
      memoryMb: s.memorySize ?? 128,
      timeoutSeconds: s.timeout ?? 3,
      environment: { ...(s.environment?.variables ?? {}) },
      code: s.code,
      reservedConcurrency:
        typeof s.reservedConcurrentExecutions === "number" && s.reservedConcurrentExecutions >= 0
          ? s.reservedConcurrentExecutions
          : undefined,
      async: {
        retryAttempts: config?.maximumRetryAttempts ?? 2,
        maximumEventAgeSeconds: config?.maximumEventAgeInSeconds ?? 21600,
        onFailure: config?.destinationConfig?.onFailure?.destination,
        onSuccess: config?.destinationConfig?.onSuccess?.destination,
      },
      deadLetterArn: s.deadLetterConfig?.targetArn,
      logGroup: s.loggingConfig?.logGroup ?? `/aws/lambda/${name}`,
      tracing: s.tracingConfig?.mode === "Active" ? "Active" : "PassThrough",
      aliases: Object.fromEntries(
        own.map((a) => [String(a.state.name ?? a.name), { managed: (a.options.ignoreChanges ?? []).includes("functionVersion") }]),
      ),
      layers,
      ...(notRun ? { notRun } : {}),
    };
  });
}

/** Lambda's limit on a function's layers. */
const MAX_LAYERS = 5;

/** A graph AWS would refuse to deploy (a route key, a FIFO target): the local cloud does not start on it either. */
export class GraphRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GraphRefusedError";
  }
}

/**
 * A target's ARN, once it is known not to be a FIFO queue without a message group: EventBridge refuses such
 * a target, which stops `pulumi up`, so it stops the start too (policy/fifo-target.ts).
 */
function checkedTargetArn(urn: string, targetArn: string, messageGroupId: unknown, property: string): string {
  refuseTarget(urn, fifoTargetProblem(targetArn, messageGroupId, property));
  return targetArn;
}

/** A target AWS would refuse (`problem`) stops the start, naming its resource. */
function refuseTarget(urn: string, problem: string | undefined): void {
  if (problem) throw new GraphRefusedError(`${urn}: ${problem}; the local cloud does not start on it either`);
}

/** A target's constant input, once it is known to be one AWS accepts (policy/target-input.ts): else the start stops. */
function checkedInput(urn: string, input: unknown, targetArn: unknown, scheduler: boolean, property: string): string | undefined {
  refuseTarget(urn, targetInputProblem(input, targetArn, scheduler, property));
  return input as string | undefined;
}

/** A target's input transformer, once it is known to be one PutTargets accepts (policy/target-input.ts): else the start stops. */
function checkedTransformer(urn: string, transformer: unknown): InputTransformer | undefined {
  if (transformer === undefined || transformer === null) return undefined;
  refuseTarget(urn, inputTransformerProblem(transformer));
  return transformer as InputTransformer;
}

/** A route key API Gateway would refuse stops the start, as it would stop `pulumi up` (policy/route-key.ts). */
function refuseRouteKey(urn: string, routeKey: string): void {
  const problem = routeKeyProblem(routeKey);
  if (problem) throw new GraphRefusedError(`${urn}: ${problem}: API Gateway refuses it, so it is not served here either`);
}

function apisOf(graph: Graph): LocalApi[] {
  const integrations = new Map(ofType(graph, "aws:apigatewayv2/integration:Integration").map((r) => [r.id, r]));
  const authorizers = new Map(ofType(graph, "aws:apigatewayv2/authorizer:Authorizer").map((r) => [r.id, authorizerOf(r)]));
  return ofType(graph, "aws:apigatewayv2/api:Api").map((api): LocalApi => {
    if ((api.state.protocolType ?? "HTTP") !== "HTTP")
      throw new Error(`${api.urn}: only HTTP APIs are emulated (protocolType ${api.state.protocolType})`);
    const routes = ofType(graph, "aws:apigatewayv2/route:Route")
      .filter((route) => route.state.apiId === api.id)
      .map((route): LocalRoute => {
        const target = String(route.state.target ?? "");
        const integration = integrations.get(target.replace(/^integrations\//, ""));
        if (!integration) throw new Error(`${route.urn}: route "${route.state.routeKey}" has no integration (target "${target}")`);
        refuseRouteKey(route.urn, route.state.routeKey);
        const authorizationType = route.state.authorizationType ?? "NONE";
        const authorizer = route.state.authorizerId ? authorizers.get(route.state.authorizerId) : undefined;
        if ((authorizationType === "CUSTOM" || authorizationType === "JWT") && !authorizer)
          throw new Error(`${route.urn}: route "${route.state.routeKey}" is ${authorizationType} but names no authorizer of the graph`);
        return {
          routeKey: route.state.routeKey,
          integration: integrationOf(integration, graph),
          authorizationType,
          authorizer,
          authorizationScopes: route.state.authorizationScopes,
        };
      });
    const stages = ofType(graph, "aws:apigatewayv2/stage:Stage")
      .filter((stage) => stage.state.apiId === api.id)
      .map((stage): LocalStage => {
        const settings = stage.state.defaultRouteSettings;
        return {
          name: stage.state.name ?? "$default",
          variables: { ...(stage.state.stageVariables ?? {}) },
          deployed: !!stage.state.autoDeploy || !!stage.state.deploymentId,
          throttle: settings?.throttlingRateLimit
            ? { rateLimit: settings.throttlingRateLimit, burstLimit: settings.throttlingBurstLimit ?? settings.throttlingRateLimit }
            : undefined,
        };
      });
    // Quick create (CreateApi's target): AWS makes the integration, a route (routeKey, else $default) and an auto-deployed $default stage.
    const quickCreate = typeof api.state.target === "string" && api.state.target !== "";
    if (quickCreate) {
      const target = String(api.state.target);
      const integration: Integration = /^https?:\/\//.test(target)
        ? { type: "HTTP_PROXY", uri: target, method: "ANY", timeoutMs: 30000, configKey: originKeyOf(graph, target) }
        : { type: "AWS_PROXY", functionArn: lambdaArnOf(target), payloadFormatVersion: "2.0" };
      const routeKey = api.state.routeKey ?? "$default";
      refuseRouteKey(api.urn, routeKey);
      routes.push({ routeKey, integration });
      if (!stages.some((stage) => stage.name === "$default")) stages.push({ name: "$default", variables: {}, deployed: true });
    }
    return {
      id: api.id!,
      name: api.inputs.name ?? api.name,
      cloudEndpoint: api.state.apiEndpoint,
      stages,
      routes,
      quickCreate,
      cors: corsOf(api.state.corsConfiguration),
    };
  });
}

/** A CORS configuration as an HTTP API's `corsConfiguration` and a function URL's `cors` both write it. */
function corsOf(cors: Record<string, any> | undefined): LocalCors | undefined {
  if (!cors) return undefined;
  return {
    allowOrigins: cors.allowOrigins ?? [],
    allowMethods: cors.allowMethods ?? [],
    allowHeaders: cors.allowHeaders ?? [],
    exposeHeaders: cors.exposeHeaders ?? [],
    maxAge: cors.maxAge,
    allowCredentials: !!cors.allowCredentials,
  };
}

/**
 * The function a resource names as Lambda's `FunctionName` takes it (a URL's, a permission's): by name,
 * id, ARN, or an ARN of a function of the same name (a partial or another-region spelling).
 */
export function functionResource(graph: Graph, ref: string): CapturedResource | undefined {
  return ofType(graph, "aws:lambda/function:Function").find(
    (f) => f.state.name === ref || f.arn === ref || f.id === ref || (!!f.arn && ref.endsWith(`:function:${f.state.name}`)),
  );
}

/**
 * Each function URL of the graph. One whose function is not in the program (a name or ARN written in) is
 * served, and says on each request that its function does not run here, as an API route to one does.
 */
function functionUrlsOf(graph: Graph): LocalFunctionUrl[] {
  return ofType(graph, "aws:lambda/functionUrl:FunctionUrl").map((r): LocalFunctionUrl => {
    const s = r.state;
    const fn = functionResource(graph, String(s.functionName ?? ""));
    // CreateFunctionUrlConfig accepts these two auth types and invoke modes, and nothing else.
    const authType = s.authorizationType;
    if (authType !== "NONE" && authType !== "AWS_IAM")
      throw new GraphRefusedError(
        `${r.urn}: authorizationType must be NONE or AWS_IAM, not ${JSON.stringify(authType)}; Lambda refuses it`,
      );
    const invokeMode = s.invokeMode ?? "BUFFERED";
    if (invokeMode !== "BUFFERED" && invokeMode !== "RESPONSE_STREAM")
      throw new GraphRefusedError(
        `${r.urn}: invokeMode must be BUFFERED or RESPONSE_STREAM, not ${JSON.stringify(invokeMode)}; Lambda refuses it`,
      );
    return {
      name: r.name,
      urlId: s.urlId,
      functionArn: fn ? (s.qualifier ? `${fn.arn}:${s.qualifier}` : fn.arn!) : s.functionArn,
      authType,
      cors: corsOf(s.cors),
      invokeMode,
      cloudUrl: s.functionUrl,
    };
  });
}

function queuesOf(graph: Graph): LocalQueue[] {
  return ofType(graph, "aws:sqs/queue:Queue").map((r): LocalQueue => {
    const s = r.state;
    const redrive = typeof s.redrivePolicy === "string" && s.redrivePolicy ? JSON.parse(s.redrivePolicy) : undefined;
    return {
      name: nameOf(r),
      arn: r.arn!,
      cloudUrl: s.url ?? r.id,
      fifo: !!s.fifoQueue,
      contentBasedDeduplication: !!s.contentBasedDeduplication,
      visibilityTimeoutSeconds: s.visibilityTimeoutSeconds ?? 30,
      messageRetentionSeconds: s.messageRetentionSeconds,
      delaySeconds: s.delaySeconds,
      redrive: redrive ? { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount) } : undefined,
    };
  });
}

function tablesOf(graph: Graph): LocalTable[] {
  return ofType(graph, "aws:dynamodb/table:Table").map((r): LocalTable => ({
    name: nameOf(r),
    arn: r.arn!,
    hashKey: r.state.hashKey,
    rangeKey: r.state.rangeKey,
    attributes: r.state.attributes ?? [],
    globalSecondaryIndexes: r.state.globalSecondaryIndexes ?? [],
    localSecondaryIndexes: r.state.localSecondaryIndexes ?? [],
  }));
}

function storageOf(graph: Graph): Pick<LocalModel, "buckets" | "objects"> {
  const buckets = [...ofType(graph, "aws:s3/bucket:Bucket"), ...ofType(graph, "aws:s3/bucketV2:BucketV2")].map((r) => ({
    name: r.state.bucket ?? r.id ?? r.name,
    arn: r.arn!,
  }));
  const objects = [...ofType(graph, "aws:s3/bucketObject:BucketObject"), ...ofType(graph, "aws:s3/bucketObjectv2:BucketObjectv2")].map(
    // Secrets are only marked in the graph; the local cloud uploads their plain value.
    (r): LocalObject => ({
      bucket: revealSecrets(r.state.bucket),
      key: revealSecrets(r.state.key) ?? r.name,
      source: revealSecrets(r.state.source ?? r.state.content) ?? "",
      contentType: r.state.contentType,
    }),
  );
  return { buckets, objects };
}

function topicsOf(graph: Graph): LocalTopic[] {
  const subscriptions = ofType(graph, "aws:sns/topicSubscription:TopicSubscription");
  return ofType(graph, "aws:sns/topic:Topic").map((r): LocalTopic => ({
    name: nameOf(r),
    arn: r.arn!,
    subscriptions: subscriptions
      .filter((s) => s.state.topic === r.arn)
      .map((s) => ({
        arn: s.arn ?? s.id ?? s.urn,
        protocol: s.state.protocol,
        endpoint: s.state.endpoint,
        rawMessageDelivery: s.state.rawMessageDelivery === true || s.state.rawMessageDelivery === "true",
        filterPolicy: s.state.filterPolicy || undefined,
        filterPolicyScope: s.state.filterPolicyScope || undefined,
        deadLetterArn: redriveTargetOf(s),
      })),
  }));
}

/** A subscription's redrive policy's queue; a policy SNS would refuse (not JSON, no queue ARN) stops the start. */
function redriveTargetOf(subscription: CapturedResource): string | undefined {
  const policy = subscription.state.redrivePolicy;
  if (policy === undefined || policy === null || policy === "") return undefined;
  let target: unknown;
  try {
    target = JSON.parse(String(policy)).deadLetterTargetArn;
  } catch {
    target = undefined;
  }
  if (typeof target !== "string" || !target.startsWith("arn:aws:sqs:"))
    throw new GraphRefusedError(
      `${subscription.urn}: its redrivePolicy ${JSON.stringify(policy)} has no deadLetterTargetArn of an SQS queue; SNS refuses it`,
    );
  return target;
}

function bucketNotificationsOf(graph: Graph): LocalBucketNotification[] {
  return ofType(graph, "aws:s3/bucketNotification:BucketNotification").map((r) => {
    const s = r.state;
    const target = (kind: "lambda" | "sqs" | "sns", arnKey: string) => (t: any) => ({
      kind,
      arn: String(t[arnKey]),
      id: t.id,
      events: t.events ?? [],
      filterPrefix: t.filterPrefix || undefined,
      filterSuffix: t.filterSuffix || undefined,
    });
    return {
      bucket: String(revealSecrets(s.bucket)),
      targets: [
        ...(s.lambdaFunctions ?? []).map(target("lambda", "lambdaFunctionArn")),
        ...(s.queues ?? []).map(target("sqs", "queueArn")),
        ...(s.topics ?? []).map(target("sns", "topicArn")),
      ],
    };
  });
}

/** Buses (the default one always) and the rules with an event pattern, with their targets. */
function eventBridgeOf(graph: Graph): Pick<LocalModel, "eventBuses" | "eventRules"> {
  const { region, accountId } = graph.placement;
  const eventBuses: LocalEventBus[] = [
    { name: "default", arn: `arn:aws:events:${region}:${accountId}:event-bus/default` },
    ...ofType(graph, "aws:cloudwatch/eventBus:EventBus").map((r) => ({
      name: nameOf(r),
      arn: r.arn ?? `arn:aws:events:${region}:${accountId}:event-bus/${nameOf(r)}`,
    })),
  ];
  const targets = ofType(graph, "aws:cloudwatch/eventTarget:EventTarget");
  const eventRules = ofType(graph, "aws:cloudwatch/eventRule:EventRule")
    .filter((r) => r.state.eventPattern)
    .map((r): LocalEventRule => {
      let pattern: Record<string, any>;
      try {
        pattern = JSON.parse(String(r.state.eventPattern));
        checkPattern(pattern);
      } catch (err) {
        throw new Error(`${r.urn}: ${(err as Error).message}`);
      }
      const bus = String(r.state.eventBusName ?? "default");
      return {
        name: nameOf(r),
        arn: r.arn!,
        busName: bus.startsWith("arn:") ? bus.split("/").pop()! : bus,
        pattern,
        enabled: r.state.state ? r.state.state === "ENABLED" : (r.state.isEnabled ?? true),
        targets: targets
          .filter((t) => t.state.rule === nameOf(r) || t.state.rule === r.id)
          .map((t) => ({
            arn: eventTargetArn(t),
            ...eventTargetSettings(t),
            inputPath: t.state.inputPath,
            roleArn: t.state.roleArn,
          })),
      };
    });
  return { eventBuses, eventRules };
}

/** What an EventTarget sets for a rule's target and a scheduled rule's alike: its input, DLQ, retries and message group. */
function eventTargetSettings(t: CapturedResource) {
  return {
    input: checkedInput(t.urn, t.state.input, t.state.arn, false, "input"),
    inputTransformer: checkedTransformer(t.urn, t.state.inputTransformer),
    deadLetterArn: t.state.deadLetterConfig?.arn as string | undefined,
    retryPolicy: retryPolicyOf(t.state.retryPolicy),
    messageGroupId: t.state.sqsTarget?.messageGroupId as string | undefined,
  };
}

/** An EventTarget's ARN, checked as `checkedTargetArn` checks it. */
function eventTargetArn(t: CapturedResource): string {
  return checkedTargetArn(t.urn, t.state.arn, t.state.sqsTarget?.messageGroupId, "sqsTarget.messageGroupId");
}

/** A target's `retryPolicy` (an EventTarget's and a Scheduler schedule's have the same fields), EventBridge's defaults filling in. */
function retryPolicyOf(given: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number } | undefined): RetryPolicy {
  return {
    maximumRetryAttempts: given?.maximumRetryAttempts ?? DEFAULT_RETRY_POLICY.maximumRetryAttempts,
    maximumEventAgeSeconds: given?.maximumEventAgeInSeconds ?? DEFAULT_RETRY_POLICY.maximumEventAgeSeconds,
  };
}

/** SQS mappings are emulated; a mapping from any other source is listed as unsupported. */
function eventSourceMappingsOf(graph: Graph): { emulated: LocalModel["eventSourceMappings"]; skipped: SkippedResource[] } {
  const all = ofType(graph, "aws:lambda/eventSourceMapping:EventSourceMapping");
  const fromSqs = (r: CapturedResource) => String(r.state.eventSourceArn ?? "").startsWith("arn:aws:sqs:");
  return {
    emulated: all.filter(fromSqs).map((r) => ({
      queueArn: r.state.eventSourceArn,
      functionName: r.state.functionName,
      batchSize: r.state.batchSize ?? 10,
      batchingWindowSeconds: r.state.maximumBatchingWindowInSeconds ?? 0,
      reportBatchItemFailures: (r.state.functionResponseTypes ?? []).includes("ReportBatchItemFailures"),
      enabled: r.state.enabled ?? true,
    })),
    skipped: all.filter((r) => !fromSqs(r)).map((r) => ({ urn: r.urn, type: r.type, name: r.name, reason: "unsupported" as const })),
  };
}

/** EventBridge rules with a schedule expression and their targets, and EventBridge Scheduler schedules. */
function schedulesOf(graph: Graph): LocalSchedule[] {
  const targets = ofType(graph, "aws:cloudwatch/eventTarget:EventTarget");
  const rules = ofType(graph, "aws:cloudwatch/eventRule:EventRule")
    .filter((r) => r.state.scheduleExpression)
    .map((r): LocalSchedule => ({
      name: nameOf(r),
      arn: r.arn!,
      expression: r.state.scheduleExpression,
      enabled: r.state.state ? r.state.state === "ENABLED" : (r.state.isEnabled ?? true),
      targets: targets
        .filter((t) => t.state.rule === nameOf(r) || t.state.rule === r.id)
        .map((t) => ({ functionArn: eventTargetArn(t), ...eventTargetSettings(t) })),
      kind: "rule" as const,
    }));
  const scheduler = ofType(graph, "aws:scheduler/schedule:Schedule").map((r): LocalSchedule => ({
    name: nameOf(r),
    arn: r.arn ?? r.urn,
    expression: r.state.scheduleExpression,
    enabled: (r.state.state ?? "ENABLED") === "ENABLED",
    targets: r.state.target
      ? [
          {
            functionArn: checkedTargetArn(
              r.urn,
              r.state.target.arn,
              r.state.target.sqsParameters?.messageGroupId,
              "target.sqsParameters.messageGroupId",
            ),
            input: checkedInput(r.urn, r.state.target.input, r.state.target.arn, true, "target.input"),
            roleArn: r.state.target.roleArn,
            deadLetterArn: r.state.target.deadLetterConfig?.arn,
            retryPolicy: retryPolicyOf(r.state.target.retryPolicy),
            messageGroupId: r.state.target.sqsParameters?.messageGroupId,
          },
        ]
      : [],
    kind: "scheduler" as const,
  }));
  return [...rules, ...scheduler];
}

/** Each Lambda deployment group, joined to its function through the alarms it rolls back on (a group names no function). */
function rolloutsOf(graph: Graph): LocalRollout[] {
  const alarms = alarmsOf(graph);
  const functions = new Set(ofType(graph, "aws:lambda/function:Function").map(nameOf));
  return ofType(graph, "aws:codedeploy/deploymentGroup:DeploymentGroup").flatMap((r) => {
    const names: string[] = r.state.alarmConfiguration?.alarms ?? [];
    const functionName = alarms.find((a) => names.includes(a.name) && functions.has(a.dimensions.FunctionName))?.dimensions.FunctionName;
    if (!functionName) return [];
    return [
      {
        group: String(r.state.deploymentGroupName ?? r.name),
        functionName,
        preference: String(r.state.deploymentConfigName ?? "CodeDeployDefault.LambdaAllAtOnce").replace(/^CodeDeployDefault\.Lambda/, ""),
        alarms: names,
      },
    ];
  });
}

function alarmsOf(graph: Graph): LocalModel["alarms"] {
  return ofType(graph, "aws:cloudwatch/metricAlarm:MetricAlarm")
    .filter((r) => r.state.namespace && r.state.metricName)
    .map((r) => ({
      name: nameOf(r),
      description: r.state.alarmDescription ?? "",
      namespace: r.state.namespace,
      metricName: r.state.metricName,
      dimensions: r.state.dimensions ?? {},
      threshold: r.state.threshold ?? 1,
      periodSeconds: r.state.period ?? 60,
    }));
}

/** The config key whose http(s) value `uri` starts with: the origin it set. */
function originKeyOf(graph: Graph, uri: string): string | undefined {
  return configKeyOf(graph, (value) => /^https?:\/\//.test(value) && uri.startsWith(value.replace(/\/$/, "")));
}

/** The first config key (project keys without their namespace) whose value `matches`. */
function configKeyOf(graph: Graph, matches: (value: string) => boolean): string | undefined {
  const entry = Object.entries(graph.config ?? {}).find(([, value]) => matches(value));
  return entry?.[0].startsWith(`${graph.project}:`) ? entry[0].slice(graph.project.length + 1) : entry?.[0];
}

/** The function an integration, authorizer or quick-create target names: its ARN, or its API Gateway invoke ARN (".../functions/<arn>/invocations"). */
function lambdaArnOf(uri: string): string {
  return uri.match(/functions\/(arn:aws:lambda:[^/]+)\/invocations$/)?.[1] ?? uri;
}

function authorizerOf(r: CapturedResource): LocalAuthorizer {
  const s = r.state;
  const uri = String(s.authorizerUri ?? "");
  return {
    id: r.id!,
    name: s.name ?? r.name,
    type: s.authorizerType === "JWT" ? "JWT" : "REQUEST",
    functionArn: uri ? lambdaArnOf(uri) : undefined,
    jwt: s.jwtConfiguration
      ? { issuer: String(s.jwtConfiguration.issuer ?? ""), audiences: s.jwtConfiguration.audiences ?? [] }
      : undefined,
    identitySources: s.identitySources ?? [],
    payloadFormatVersion: s.authorizerPayloadFormatVersion ?? "2.0",
    simpleResponses: !!s.enableSimpleResponses,
    resultTtlSeconds: s.authorizerResultTtlInSeconds ?? 0,
  };
}

function integrationOf(r: CapturedResource, graph: Graph): Integration {
  const s = r.state;
  if (s.integrationType === "AWS_PROXY" && s.integrationSubtype) {
    const parameters: Record<string, string> = { ...(s.requestParameters ?? {}) };
    const problem = serviceIntegrationProblem(String(s.integrationSubtype), parameters);
    if (problem) throw new GraphRefusedError(`${r.urn}: ${problem}; CreateIntegration refuses it`);
    return { type: "AWS_SERVICE", subtype: String(s.integrationSubtype), parameters, credentialsArn: s.credentialsArn || undefined };
  }
  if (s.integrationType === "AWS_PROXY") {
    // The provider's default is 1.0 (aws.apigatewayv2.Integration's payloadFormatVersion: "Default is `1.0`").
    return {
      type: "AWS_PROXY",
      functionArn: lambdaArnOf(String(s.integrationUri ?? "")),
      payloadFormatVersion: s.payloadFormatVersion ?? "1.0",
    };
  }
  if (s.integrationType === "HTTP_PROXY" && s.connectionType === "VPC_LINK") {
    const target = String(s.integrationUri ?? "");
    return {
      type: "HTTP_PROXY",
      uri: "",
      method: s.integrationMethod ?? "ANY",
      timeoutMs: s.timeoutMilliseconds ?? 30000,
      configKey: configKeyOf(graph, (value) => value === target),
      privateTarget: target,
    };
  }
  if (s.integrationType === "HTTP_PROXY") {
    return {
      type: "HTTP_PROXY",
      uri: s.integrationUri,
      method: s.integrationMethod ?? "ANY",
      timeoutMs: s.timeoutMilliseconds ?? 30000,
      configKey: originKeyOf(graph, String(s.integrationUri ?? "")),
    };
  }
  throw new Error(`${r.urn}: integration type ${s.integrationType} is not emulated (AWS_PROXY and HTTP_PROXY are)`);
}

/** The function an ARN, qualified ARN, full name or short name (create-order) refers to. */
export function findFunction(model: LocalModel, ref: string): LocalFunction | undefined {
  // A qualified ARN names a version ($LATEST, 3) or an alias (live) after the function's name.
  const unqualified = ref.replace(/^(arn:[^:]+:lambda:[^:]*:\d*:function:[^:]+):[^:]+$/, "$1").replace(/^([^:]+):[^:]+$/, "$1");
  const exact = model.functions.find((f) => f.name === unqualified || f.arn === ref || f.arn === unqualified);
  if (exact) return exact;
  const short = functionNamed(
    model.functions.map((f) => f.name),
    ref,
  );
  return model.functions.find((f) => f.name === short);
}
