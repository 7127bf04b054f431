import * as path from "path";
import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { LIVE_ALIAS, NODE_RUNTIMES } from "../policy/contracts";
import { AlarmSpec, metricAlarm } from "./alarms";
import { bundleHandler } from "./bundle";
import { Transform, transformed } from "./child";
import { DeadLetterQueue, inspectCommand } from "./dead-letter-queue";
import { policyDocument, PolicyStatement, trustPolicy } from "./iam";

/** Where a function's failed async events go once retries are spent. */
export interface DeadLetterTarget {
  /** "sqs" for a queue, "sns" for a topic. */
  kind: "sqs" | "sns";
  arn: pulumi.Input<string>;
}

/** Settings for functions invoked asynchronously (schedules, events, `InvocationType: Event`). */
export interface AsyncInvokeArgs {
  /** Retries after the first failed attempt, 0 to 2. @default 2 */
  retryAttempts?: number;
  /** How long an event may wait for a successful attempt, 60 to 21600 seconds. @default 3600 */
  maximumEventAgeSeconds?: number;
  /** Where failed events go. @default a DeadLetterQueue of this function's own */
  deadLetter?: DeadLetterTarget;
  /** Protect the function's own DLQ and keep it when the stack is destroyed. @default true */
  protect?: boolean;
  /** The key the stack exports the function's own DLQ under in `deadLetterQueues`. @default "<name>-dlq" */
  deadLetterOutputKey?: string;
}

/**
 * Instances kept initialized on the live alias. With `max` above `min`, Application Auto Scaling tracks
 * their utilisation between the two.
 */
export interface ProvisionedConcurrencyArgs {
  /** Instances always kept initialized, at least 1. */
  min: number;
  /** Upper bound for auto scaling on utilisation. @default min (no auto scaling) */
  max?: number;
  /** Utilisation auto scaling keeps, from 0.1 to 0.9. @default 0.7 */
  targetUtilization?: number;
}

/** A Node.js runtime the platform runs (policy/contracts.ts lists them; the policy pack refuses any other). */
export type Runtime = (typeof NODE_RUNTIMES)[number];

/** A function in a VPC: the subnets its network interfaces use and the security groups they carry. */
export interface FunctionVpcArgs {
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The AWS services reachable from these subnets (their VPC endpoints) when there is no NAT gateway: the
   * preview warns about a service the function's role calls that is not among them, whose calls would time
   * out. @default every service (a NAT gateway, or a network whose endpoints are not known)
   */
  reachableServices?: string[];
}

/** Services the Lambda service itself calls for a function (its logs, its trace segments, its network interfaces), not through the function's network. */
const CALLED_BY_LAMBDA = new Set(["logs", "xray", "ec2"]);

/** The AWS services a role's statements let the function call (action prefixes), as far as they are known before deploy. */
export function calledServices(statements: pulumi.Input<PolicyStatement>[]): string[] {
  const services = new Set<string>();
  for (const statement of statements) {
    if (pulumi.Output.isInstance(statement)) continue;
    for (const action of (statement as PolicyStatement).Action) {
      const service = action.split(":")[0];
      if (action.includes(":") && !CALLED_BY_LAMBDA.has(service)) services.add(service);
    }
  }
  return [...services].sort();
}

export interface LambdaFunctionArgs {
  /** Handler file (TypeScript or JavaScript) exporting the handler, bundled with esbuild. Set this or `callback`. */
  entry?: string;
  /** An inline closure, serialized by Pulumi. Set this or `entry`. */
  callback?: aws.lambda.Callback<any, any>;
  /** What a closure's archive packs besides the closure. @default excludes every production dependency (closures use the runtime's SDK v3) */
  codePathOptions?: pulumi.runtime.CodePathOptions;
  /** Memory in MB; CPU scales with it. Required: a default would hide a cost and latency decision. */
  memoryMb: number;
  /** Timeout in seconds. Required, for the same reason. */
  timeoutSeconds: number;
  /** The Node.js runtime. @default "nodejs22.x" */
  runtime?: Runtime;
  /** The instruction set. @default "arm64" (cheaper per GB-second, and as fast for this kind of work) */
  architecture?: "arm64" | "x86_64";
  /** The bundled file's export that handles events, as `index.<export>`. @default "index.handler" */
  handler?: string;
  /** Environment variables (non-secret settings only). @default {} */
  environment?: Record<string, pulumi.Input<string>>;
  /** Extra least-privilege statements for the function's role. @default [] */
  policyStatements?: pulumi.Input<PolicyStatement>[];
  /**
   * A role of your own instead of the one the function makes. The function still attaches its own
   * least-privilege statements (its logs, its DLQ, `policyStatements`) to it. @default a role of its own
   */
  role?: aws.iam.Role;
  /** Lambda layer version ARNs, at most 5. @default none */
  layers?: pulumi.Input<string>[];
  /** Run in a VPC, to reach private resources. @default none: Lambda's own network */
  vpc?: FunctionVpcArgs;
  /** Log retention in days. @default 30 */
  logRetentionDays?: number;
  /** Topic that receives this function's alarms. */
  alertTopicArn: pulumi.Input<string>;
  /** Async invocation retries and failure destination; set for any function invoked asynchronously. @default none (sync only) */
  async?: AsyncInvokeArgs;
  /** Reserved concurrency, which also caps it. @default none (unreserved) */
  reservedConcurrency?: number;
  /** Fraction of the timeout at which the p99 duration alarm fires, at least 0.8. @default 0.8 */
  durationAlarmRatio?: number;
  /** Error count per minute that fires the errors alarm. @default 1 */
  errorsThreshold?: number;
  /** Minutes a condition must hold before an alarm fires. @default 1 */
  alarmEvaluationPeriods?: number;
  /**
   * A rollout (CodeDeploy, or `npm run rollout`) moves the live alias, not `pulumi up`: the alias keeps
   * the version and routing the rollout gave it. @default false: each `pulumi up` points it at the new version
   */
  aliasManagedByRollout?: boolean;
  /**
   * X-Ray: "Active" records each invocation's segment (and the role may write traces); "PassThrough"
   * only passes an incoming trace on. No X-Ray SDK is bundled either way. @default "Active"
   */
  tracing?: "Active" | "PassThrough";
  /** Provisioned concurrency on the live alias: the production answer to cold starts. @default none */
  provisionedConcurrency?: ProvisionedConcurrencyArgs;
  /** Adjusts a child before it is created. @default none */
  transform?: {
    function?: Transform<aws.lambda.FunctionArgs>;
    alias?: Transform<aws.lambda.AliasArgs>;
    recursion?: Transform<aws.lambda.FunctionRecursionConfigArgs>;
    provisionedConcurrency?: Transform<aws.lambda.ProvisionedConcurrencyConfigArgs>;
    role?: Transform<aws.iam.RoleArgs>;
    rolePolicy?: Transform<aws.iam.RolePolicyArgs>;
    logGroup?: Transform<aws.cloudwatch.LogGroupArgs>;
    eventInvokeConfig?: Transform<aws.lambda.FunctionEventInvokeConfigArgs>;
  };
}

/** A metric of this function, for an alarm of the caller's own: `metricAlarm(name, { ...fn.metricErrors(), ... })`. */
export type FunctionMetric = Pick<AlarmSpec, "namespace" | "metricName" | "dimensions" | "statistic" | "extendedStatistic">;

export const DEFAULT_RUNTIME: Runtime = NODE_RUNTIMES[0];

/**
 * A Lambda function as the platform runs them: explicit memory and timeout, its own least-privilege
 * role, a JSON log group with retention, alarms on errors, throttles and p99 duration, and for async
 * functions retries with a DLQ. Named LambdaFunction so it does not shadow JavaScript's `Function`.
 */
export class LambdaFunction extends pulumi.ComponentResource {
  /** The component's own name, e.g. "create-order": what children keyed by this function are named after. */
  public readonly shortName: string;
  public readonly function: aws.lambda.Function;
  /** The `live` alias: every trigger invokes the function through it, never `$LATEST`. */
  public readonly alias: aws.lambda.Alias;
  /** Lambda stops a recursive loop (function, queue or topic, function again) after about 16 rounds, explicitly. */
  public readonly recursion: aws.lambda.FunctionRecursionConfig;
  public readonly provisionedConcurrency?: aws.lambda.ProvisionedConcurrencyConfig;
  public readonly scalingTarget?: aws.appautoscaling.Target;
  public readonly scalingPolicy?: aws.appautoscaling.Policy;
  public readonly role: aws.iam.Role;
  public readonly rolePolicy: aws.iam.RolePolicy;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly eventInvokeConfig?: aws.lambda.FunctionEventInvokeConfig;
  /** The function's own DLQ, when it is async and no other target was given. */
  public readonly deadLetterQueue?: DeadLetterQueue;
  public readonly deadLetterTarget?: DeadLetterTarget;
  public readonly errorsAlarm: aws.cloudwatch.MetricAlarm;
  public readonly throttlesAlarm: aws.cloudwatch.MetricAlarm;
  public readonly durationAlarm: aws.cloudwatch.MetricAlarm;
  /** Lambda stopped a recursive loop through this function. */
  public readonly recursionAlarm: aws.cloudwatch.MetricAlarm;
  /** Async functions only: a failed event could not reach the DLQ, or an event was dropped. */
  public readonly asyncDeliveryFailuresAlarm?: aws.cloudwatch.MetricAlarm;
  public readonly asyncEventsDroppedAlarm?: aws.cloudwatch.MetricAlarm;
  public readonly name: pulumi.Output<string>;
  /** The function's own (unqualified) ARN: for IAM statements and metrics, not for triggers. */
  public readonly arn: pulumi.Output<string>;
  /** The version this deploy published. */
  public readonly version: pulumi.Output<string>;
  /** The live alias's ARN: what a trigger (event source mapping, schedule, destination) names. */
  public readonly liveArn: pulumi.Output<string>;
  /** The live alias's API Gateway invoke ARN: what an API integration names. */
  public readonly liveInvokeArn: pulumi.Output<string>;
  public readonly timeoutSeconds: number;

  constructor(name: string, args: LambdaFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    // Was "platform:compute:Function": the alias keeps every existing stack's function and its children.
    super(
      "platform:compute:LambdaFunction",
      name,
      {},
      { ...opts, aliases: [...(opts?.aliases ?? []), { type: "platform:compute:Function" }] },
    );
    validate(name, args);
    this.shortName = name;
    this.timeoutSeconds = args.timeoutSeconds;
    const functionName = `${pulumi.getProject()}-${pulumi.getStack()}-${name}`;

    this.logGroup = this.createLogGroup(name, functionName, args);
    if (args.async) [this.deadLetterQueue, this.deadLetterTarget] = this.createDeadLetter(name, args, args.async);
    this.role =
      args.role ??
      new aws.iam.Role(
        ...transformed(args.transform?.role, `${name}-role`, { assumeRolePolicy: trustPolicy("lambda.amazonaws.com") }, { parent: this }),
      );
    this.rolePolicy = this.createRolePolicy(name, args);
    this.function = this.createFunction(name, functionName, args);
    this.name = this.function.name;
    this.arn = this.function.arn;
    this.version = this.function.version;
    this.alias = this.createAlias(name, args);
    // Terminate is the account default today; written down, so no account setting or console change can turn it off unseen.
    this.recursion = new aws.lambda.FunctionRecursionConfig(
      ...transformed(
        args.transform?.recursion,
        `${name}-recursion`,
        { functionName: this.function.name, recursiveLoop: "Terminate" },
        { parent: this },
      ),
    );
    this.liveArn = this.alias.arn;
    this.liveInvokeArn = this.alias.invokeArn;
    if (args.provisionedConcurrency)
      ({
        config: this.provisionedConcurrency,
        target: this.scalingTarget,
        policy: this.scalingPolicy,
      } = this.createProvisionedConcurrency(name, args, args.provisionedConcurrency));
    if (args.async && this.deadLetterTarget)
      this.eventInvokeConfig = this.createEventInvokeConfig(name, args, args.async, this.deadLetterTarget);

    const alarm = (suffix: string, description: string, metric: FunctionMetric, threshold: number) =>
      metricAlarm(
        `${name}-${suffix}`,
        {
          ...metric,
          description: description + ` Look at log group /aws/lambda/${functionName}.`,
          threshold,
          evaluationPeriods: args.alarmEvaluationPeriods ?? 1,
        },
        args.alertTopicArn,
        this,
      );
    const dlq = this.deadLetterQueue ? ` Failed events wait in its DLQ: ${inspectCommand(this.deadLetterQueue.outputKey)}.` : "";
    this.errorsAlarm = alarm("errors", `Function ${name} is failing invocations.${dlq}`, this.metricErrors(), args.errorsThreshold ?? 1);
    this.throttlesAlarm = alarm(
      "throttles",
      `Function ${name} is being throttled: raise its reserved concurrency or the account limit.`,
      this.metric("Throttles"),
      1,
    );
    const ratio = args.durationAlarmRatio ?? 0.8;
    this.durationAlarm = alarm(
      "duration-p99",
      `Function ${name}'s p99 duration is at ${Math.round(ratio * 100)}% of its timeout.`,
      this.metricDuration("p99"),
      args.timeoutSeconds * 1000 * ratio,
    );
    this.recursionAlarm = alarm(
      "recursion",
      `Function ${name} is part of a recursive loop that Lambda stopped: look for what it sends to a queue or topic that invokes it again.`,
      this.metric("RecursiveInvocationsDropped"),
      1,
    );
    if (args.async) {
      this.asyncDeliveryFailuresAlarm = alarm(
        "async-delivery-failures",
        `Function ${name} could not deliver a failed event to its DLQ: check the DLQ's policy and the role's rights.`,
        this.metric("DestinationDeliveryFailures"),
        1,
      );
      this.asyncEventsDroppedAlarm = alarm(
        "async-events-dropped",
        `Function ${name} dropped async events.${dlq}`,
        this.metric("AsyncEventsDropped"),
        1,
      );
    }
    this.registerOutputs({ name: this.name, arn: this.arn });
  }

  /** Every alarm of this function, for dashboards and checks that go through them all. */
  get alarms(): aws.cloudwatch.MetricAlarm[] {
    return [
      this.errorsAlarm,
      this.throttlesAlarm,
      this.durationAlarm,
      this.recursionAlarm,
      this.asyncDeliveryFailuresAlarm,
      this.asyncEventsDroppedAlarm,
    ].filter((a): a is aws.cloudwatch.MetricAlarm => a !== undefined);
  }

  /** One of the function's AWS/Lambda metrics, summed per period. */
  metric(metricName: string): FunctionMetric {
    return { namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: this.function.name }, statistic: "Sum" };
  }

  /** Failed invocations per period. */
  metricErrors(): FunctionMetric {
    return this.metric("Errors");
  }

  /** Duration at a percentile (p99 by default), in milliseconds. */
  metricDuration(percentile = "p99"): FunctionMetric {
    return {
      namespace: "AWS/Lambda",
      metricName: "Duration",
      dimensions: { FunctionName: this.function.name },
      extendedStatistic: percentile,
    };
  }

  /**
   * Lets `principal` invoke the function's live alias, only on behalf of `sourceArn`: the permission an API route,
   * a schedule or a bucket needs. `opts.name` keys it by what it grants for, never by position.
   */
  grantInvoke(
    principal: string,
    sourceArn: pulumi.Input<string>,
    opts: { name: string; parent?: pulumi.Resource; aliases?: pulumi.Input<pulumi.Alias>[] },
  ): aws.lambda.Permission {
    return new aws.lambda.Permission(
      opts.name,
      // On the alias: a permission on the bare function does not let anyone invoke `function:<name>:live`.
      { action: "lambda:InvokeFunction", function: this.function.name, qualifier: this.alias.name, principal, sourceArn },
      { parent: opts.parent ?? this, aliases: opts.aliases },
    );
  }

  private createLogGroup(name: string, functionName: string, args: LambdaFunctionArgs): aws.cloudwatch.LogGroup {
    return new aws.cloudwatch.LogGroup(
      ...transformed(
        args.transform?.logGroup,
        `${name}-logs`,
        { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays ?? 30 },
        { parent: this },
      ),
    );
  }

  private createDeadLetter(
    name: string,
    args: LambdaFunctionArgs,
    async: AsyncInvokeArgs,
  ): [DeadLetterQueue | undefined, DeadLetterTarget] {
    if (async.deadLetter) return [undefined, async.deadLetter];
    const queue = new DeadLetterQueue(
      `${name}-dlq`,
      {
        alertTopicArn: args.alertTopicArn,
        protect: async.protect ?? true,
        source: `function:${name}`,
        outputKey: async.deadLetterOutputKey,
      },
      { parent: this },
    );
    return [queue, { kind: "sqs", arn: queue.arn }];
  }

  private createRolePolicy(name: string, args: LambdaFunctionArgs): aws.iam.RolePolicy {
    const statements: pulumi.Input<PolicyStatement>[] = [
      { Sid: "WriteOwnLogs", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${this.logGroup.arn}:*` },
      ...(this.deadLetterTarget ? [deadLetterStatement(this.deadLetterTarget)] : []),
      ...(args.vpc ? [networkInterfaceStatement()] : []),
      ...((args.tracing ?? "Active") === "Active" ? [traceWritingStatement()] : []),
      ...(args.policyStatements ?? []),
    ];
    const unreachable = args.vpc?.reachableServices
      ? calledServices(statements).filter((service) => !args.vpc!.reachableServices!.includes(service))
      : [];
    if (unreachable.length > 0)
      void pulumi.log.warn(
        `function ${name} runs in a VPC without a NAT gateway, and its role calls ${unreachable.join(", ")}, which no VPC endpoint there serves: those calls will time out. Add an interface endpoint for each (Network's create.interfaceEndpoints), or a NAT gateway`,
        this,
      );
    return new aws.iam.RolePolicy(
      ...transformed(
        args.transform?.rolePolicy,
        `${name}-policy`,
        { role: this.role.id, policy: policyDocument(statements) },
        { parent: this },
      ),
    );
  }

  private createFunction(name: string, functionName: string, args: LambdaFunctionArgs): aws.lambda.Function {
    const common = {
      name: functionName,
      role: this.role.arn,
      runtime: args.runtime ?? DEFAULT_RUNTIME,
      architectures: [args.architecture ?? "arm64"],
      memorySize: args.memoryMb,
      timeout: args.timeoutSeconds,
      reservedConcurrentExecutions: args.reservedConcurrency,
      layers: args.layers,
      vpcConfig: args.vpc ? { subnetIds: args.vpc.subnetIds, securityGroupIds: args.vpc.securityGroupIds } : undefined,
      // Each deploy whose code or configuration changed publishes a version for the live alias to point at.
      publish: true,
      tracingConfig: { mode: args.tracing ?? "Active" },
      environment: { variables: { NODE_OPTIONS: "--enable-source-maps", ...(args.environment ?? {}) } },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
    };
    // The role's policy (logs, DLQ) must exist before the function: Lambda checks destination access at creation.
    const functionOpts = { parent: this, dependsOn: [this.rolePolicy] };
    if (args.callback) {
      const callbackArgs = {
        ...common,
        callback: args.callback,
        codePathOptions: args.codePathOptions ?? { extraExcludePackages: productionDependencies() },
      };
      const [resourceName, finalArgs, finalOpts] = transformed(
        args.transform?.function as Transform<typeof callbackArgs>,
        name,
        callbackArgs,
        functionOpts,
      );
      return new aws.lambda.CallbackFunction(resourceName, finalArgs, finalOpts);
    }
    return new aws.lambda.Function(
      ...transformed(
        args.transform?.function,
        name,
        { ...common, handler: args.handler ?? "index.handler", code: bundleArchive(args.entry!) },
        functionOpts,
      ),
    );
  }

  private createAlias(name: string, args: LambdaFunctionArgs): aws.lambda.Alias {
    return new aws.lambda.Alias(
      ...transformed(
        args.transform?.alias,
        `${name}-live`,
        {
          name: LIVE_ALIAS,
          functionName: this.function.name,
          functionVersion: this.function.version,
          description: args.aliasManagedByRollout
            ? "Moved by rollouts (CodeDeploy), not by pulumi up"
            : "The version the last deploy published",
        },
        // A rollout in progress owns the version and the weights; the next `pulumi up` must not fight it.
        { parent: this, ignoreChanges: args.aliasManagedByRollout ? ["functionVersion", "routingConfig"] : [] },
      ),
    );
  }

  private createProvisionedConcurrency(
    name: string,
    args: LambdaFunctionArgs,
    pc: ProvisionedConcurrencyArgs,
  ): { config: aws.lambda.ProvisionedConcurrencyConfig; target?: aws.appautoscaling.Target; policy?: aws.appautoscaling.Policy } {
    const config = new aws.lambda.ProvisionedConcurrencyConfig(
      ...transformed(
        args.transform?.provisionedConcurrency,
        `${name}-provisioned`,
        { functionName: this.function.name, qualifier: this.alias.name, provisionedConcurrentExecutions: pc.min },
        { parent: this },
      ),
    );
    if (pc.max === undefined || pc.max === pc.min) return { config };
    const target = new aws.appautoscaling.Target(
      `${name}-provisioned-scaling`,
      {
        serviceNamespace: "lambda",
        resourceId: pulumi.interpolate`function:${this.function.name}:${this.alias.name}`,
        scalableDimension: "lambda:function:ProvisionedConcurrency",
        minCapacity: pc.min,
        maxCapacity: pc.max,
      },
      { parent: this, dependsOn: [config] },
    );
    const policy = new aws.appautoscaling.Policy(
      `${name}-provisioned-utilization`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        resourceId: target.resourceId,
        scalableDimension: target.scalableDimension,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: pc.targetUtilization ?? 0.7,
          predefinedMetricSpecification: { predefinedMetricType: "LambdaProvisionedConcurrencyUtilization" },
        },
      },
      { parent: this },
    );
    return { config, target, policy };
  }

  private createEventInvokeConfig(
    name: string,
    args: LambdaFunctionArgs,
    async: AsyncInvokeArgs,
    target: DeadLetterTarget,
  ): aws.lambda.FunctionEventInvokeConfig {
    return new aws.lambda.FunctionEventInvokeConfig(
      ...transformed(
        args.transform?.eventInvokeConfig,
        `${name}-async`,
        {
          functionName: this.function.name,
          // Triggers invoke the alias, and an invoke config applies to the qualifier it is set on.
          qualifier: this.alias.name,
          maximumRetryAttempts: async.retryAttempts ?? 2,
          maximumEventAgeInSeconds: async.maximumEventAgeSeconds ?? 3600,
          destinationConfig: { onFailure: { destination: target.arn } },
        },
        { parent: this, dependsOn: [this.rolePolicy] },
      ),
    );
  }
}

function deadLetterStatement(target: DeadLetterTarget): PolicyStatement {
  return target.kind === "sqs"
    ? { Sid: "SendFailedEventsToDlq", Action: ["sqs:SendMessage"], Resource: target.arn }
    : { Sid: "PublishFailedEventsToDlq", Action: ["sns:Publish"], Resource: target.arn };
}

/** What active tracing needs: AWSXRayDaemonWriteAccess's two write actions, which support no resource-level permissions. */
function traceWritingStatement(): PolicyStatement {
  return { Sid: "WriteTraces", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" };
}

/**
 * What Lambda needs to attach a function to a VPC: AWSLambdaVPCAccessExecutionRole's network
 * interface actions. They do not support resource-level permissions, so their resource is "*".
 */
function networkInterfaceStatement(): PolicyStatement {
  return {
    Sid: "ManageVpcNetworkInterfaces",
    Action: [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ],
    Resource: "*",
  };
}

function bundleArchive(entry: string): pulumi.asset.AssetArchive {
  const bundle = bundleHandler(path.resolve(entry));
  const assets: Record<string, pulumi.asset.Asset> = {};
  for (const [file, text] of Object.entries(bundle.files)) assets[file] = new pulumi.asset.StringAsset(text);
  return new pulumi.asset.AssetArchive(assets);
}

function productionDependencies(): string[] {
  const manifest = path.join(process.cwd(), "package.json");
  return Object.keys(require(manifest).dependencies ?? {});
}

function validate(name: string, args: LambdaFunctionArgs): void {
  const problems: string[] = [];
  if (!!args.entry === !!args.callback) problems.push("set exactly one of `entry` and `callback`");
  if (!Number.isInteger(args.memoryMb) || args.memoryMb < 128 || args.memoryMb > 10240)
    problems.push(`memoryMb must be an integer from 128 to 10240 (got ${args.memoryMb})`);
  if (!Number.isInteger(args.timeoutSeconds) || args.timeoutSeconds < 1 || args.timeoutSeconds > 900)
    problems.push(`timeoutSeconds must be an integer from 1 to 900 (got ${args.timeoutSeconds})`);
  const retries = args.async?.retryAttempts;
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0 || retries > 2))
    problems.push(`async.retryAttempts must be 0, 1 or 2 (got ${retries})`);
  const age = args.async?.maximumEventAgeSeconds;
  if (age !== undefined && (!Number.isInteger(age) || age < 60 || age > 21600))
    problems.push(`async.maximumEventAgeSeconds must be from 60 to 21600 (got ${age})`);
  if (args.durationAlarmRatio !== undefined && (args.durationAlarmRatio < 0.8 || args.durationAlarmRatio >= 1))
    problems.push(`durationAlarmRatio must be at least 0.8 and below 1 (got ${args.durationAlarmRatio})`);
  if (args.runtime !== undefined && !(NODE_RUNTIMES as readonly string[]).includes(args.runtime))
    problems.push(`runtime must be one of ${NODE_RUNTIMES.join(", ")} (got ${args.runtime})`);
  if (args.handler !== undefined && !/^index\.[A-Za-z_$][\w$]*$/.test(args.handler))
    problems.push(`handler must be index.<export> (got ${args.handler})`);
  const pc = args.provisionedConcurrency;
  if (pc) {
    if (!Number.isInteger(pc.min) || pc.min < 1)
      problems.push(`provisionedConcurrency.min must be a whole number of at least 1 (got ${pc.min})`);
    if (pc.max !== undefined && (!Number.isInteger(pc.max) || pc.max < pc.min))
      problems.push(`provisionedConcurrency.max must be a whole number of at least min (${pc.min}) (got ${pc.max})`);
    const u = pc.targetUtilization;
    if (u !== undefined && !(u >= 0.1 && u <= 0.9))
      problems.push(`provisionedConcurrency.targetUtilization must be from 0.1 to 0.9 (got ${u})`);
    if (args.reservedConcurrency !== undefined && Math.max(pc.min, pc.max ?? 0) > args.reservedConcurrency)
      problems.push(
        `provisioned concurrency (${Math.max(pc.min, pc.max ?? 0)}) must not exceed reservedConcurrency (${args.reservedConcurrency})`,
      );
  }
  if ((args.layers?.length ?? 0) > 5) problems.push(`Lambda allows at most 5 layers (got ${args.layers!.length})`);
  if (`${pulumi.getProject()}-${pulumi.getStack()}-${name}`.length > 64)
    problems.push(`the name ${pulumi.getProject()}-${pulumi.getStack()}-${name} is over Lambda's 64 characters`);
  if (problems.length > 0) throw new Error(`LambdaFunction "${name}": ${problems.join("; ")}`);
}
