import * as path from "path";
import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarms";
import { bundleHandler } from "./bundle";
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
  /** Keep the function's own DLQ when the stack is destroyed. @default true */
  retainDeadLetters?: boolean;
  /** The key the stack exports the function's own DLQ under in `deadLetterQueues`. @default "<name>-dlq" */
  deadLetterOutputKey?: string;
}

export interface FunctionArgs {
  /** Handler file (TypeScript or JavaScript) exporting `handler`, bundled with esbuild. Set this or `callback`. */
  entry?: string;
  /** An inline closure, serialized by Pulumi. Set this or `entry`. */
  callback?: aws.lambda.Callback<any, any>;
  /** What a closure's archive packs besides the closure. @default excludes every production dependency (closures use the runtime's SDK v3) */
  codePathOptions?: pulumi.runtime.CodePathOptions;
  /** Memory in MB; CPU scales with it. Required: a default would hide a cost and latency decision. */
  memoryMb: number;
  /** Timeout in seconds. Required, for the same reason. */
  timeoutSeconds: number;
  /** Environment variables (non-secret settings only). @default {} */
  environment?: Record<string, pulumi.Input<string>>;
  /** Extra least-privilege statements for the function's own role. @default [] */
  policyStatements?: pulumi.Input<PolicyStatement>[];
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
}

const RUNTIME = "nodejs22.x";

export class Function extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  public readonly rolePolicy: aws.iam.RolePolicy;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  public readonly eventInvokeConfig?: aws.lambda.FunctionEventInvokeConfig;
  /** The function's own DLQ, when it is async and no other target was given. */
  public readonly deadLetterQueue?: DeadLetterQueue;
  public readonly deadLetterTarget?: DeadLetterTarget;
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  public readonly timeoutSeconds: number;

  constructor(name: string, args: FunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:compute:Function", name, {}, opts);
    validate(name, args);
    this.timeoutSeconds = args.timeoutSeconds;
    const functionName = `${pulumi.getProject()}-${pulumi.getStack()}-${name}`;
    if (functionName.length > 64) throw new Error(`Function "${name}": the name ${functionName} is over Lambda's 64 characters`);

    this.logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays ?? 30 },
      { parent: this },
    );

    if (args.async) {
      if (args.async.deadLetter) {
        this.deadLetterTarget = args.async.deadLetter;
      } else {
        this.deadLetterQueue = new DeadLetterQueue(
          `${name}-dlq`,
          {
            alertTopicArn: args.alertTopicArn,
            retainOnDelete: args.async.retainDeadLetters ?? true,
            source: `function:${name}`,
            outputKey: args.async.deadLetterOutputKey,
          },
          { parent: this },
        );
        this.deadLetterTarget = { kind: "sqs", arn: this.deadLetterQueue.arn };
      }
    }

    this.role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: trustPolicy("lambda.amazonaws.com"),
      },
      { parent: this },
    );
    const statements: pulumi.Input<PolicyStatement>[] = [
      { Sid: "WriteOwnLogs", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: pulumi.interpolate`${this.logGroup.arn}:*` },
      ...(this.deadLetterTarget ? [deadLetterStatement(this.deadLetterTarget)] : []),
      ...(args.policyStatements ?? []),
    ];
    this.rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.id, policy: policyDocument(statements) },
      { parent: this },
    );

    const common = {
      name: functionName,
      role: this.role.arn,
      runtime: RUNTIME,
      architectures: ["arm64"],
      memorySize: args.memoryMb,
      timeout: args.timeoutSeconds,
      reservedConcurrentExecutions: args.reservedConcurrency,
      environment: { variables: { NODE_OPTIONS: "--enable-source-maps", ...(args.environment ?? {}) } },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
    };
    // The role's policy (logs, DLQ) must exist before the function: Lambda checks destination access at creation.
    const functionOpts = { parent: this, dependsOn: [this.rolePolicy] };
    this.function = args.callback
      ? new aws.lambda.CallbackFunction(
          `${name}`,
          {
            ...common,
            callback: args.callback,
            codePathOptions: args.codePathOptions ?? { extraExcludePackages: productionDependencies() },
          },
          functionOpts,
        )
      : new aws.lambda.Function(`${name}`, { ...common, handler: "index.handler", code: bundleArchive(args.entry!) }, functionOpts);
    this.name = this.function.name;
    this.arn = this.function.arn;

    if (args.async && this.deadLetterTarget) {
      this.eventInvokeConfig = new aws.lambda.FunctionEventInvokeConfig(
        `${name}-async`,
        {
          functionName: this.function.name,
          maximumRetryAttempts: args.async.retryAttempts ?? 2,
          maximumEventAgeInSeconds: args.async.maximumEventAgeSeconds ?? 3600,
          destinationConfig: { onFailure: { destination: this.deadLetterTarget.arn } },
        },
        { parent: this, dependsOn: [this.rolePolicy] },
      );
    }
    this.createAlarms(name, functionName, args);
    this.registerOutputs({ name: this.name, arn: this.arn });
  }

  private createAlarms(name: string, functionName: string, args: FunctionArgs): void {
    const dimensions = { FunctionName: this.function.name };
    const logs = ` Look at log group /aws/lambda/${functionName}.`;
    const dlq = this.deadLetterQueue ? ` Failed events wait in its DLQ: ${inspectCommand(this.deadLetterQueue.outputKey)}.` : "";
    const lambdaAlarm = (
      suffix: string,
      description: string,
      metricName: string,
      threshold: number,
      extra: { extendedStatistic?: string; statistic?: string } = {},
    ) =>
      this.alarms.push(
        metricAlarm(
          `${name}-${suffix}`,
          {
            description: description + logs,
            namespace: "AWS/Lambda",
            metricName,
            dimensions,
            threshold,
            evaluationPeriods: args.alarmEvaluationPeriods ?? 1,
            ...extra,
          },
          args.alertTopicArn,
          this,
        ),
      );
    lambdaAlarm("errors", `Function ${name} is failing invocations.${dlq}`, "Errors", args.errorsThreshold ?? 1);
    lambdaAlarm("throttles", `Function ${name} is being throttled: raise its reserved concurrency or the account limit.`, "Throttles", 1);
    const ratio = args.durationAlarmRatio ?? 0.8;
    lambdaAlarm(
      "duration-p99",
      `Function ${name}'s p99 duration is at ${Math.round(ratio * 100)}% of its timeout.`,
      "Duration",
      args.timeoutSeconds * 1000 * ratio,
      {
        extendedStatistic: "p99",
      },
    );
    if (args.async) {
      lambdaAlarm(
        "async-delivery-failures",
        `Function ${name} could not deliver a failed event to its DLQ: check the DLQ's policy and the role's rights.`,
        "DestinationDeliveryFailures",
        1,
      );
      lambdaAlarm("async-events-dropped", `Function ${name} dropped async events.${dlq}`, "AsyncEventsDropped", 1);
    }
  }
}

function deadLetterStatement(target: DeadLetterTarget): PolicyStatement {
  return target.kind === "sqs"
    ? { Sid: "SendFailedEventsToDlq", Action: ["sqs:SendMessage"], Resource: target.arn }
    : { Sid: "PublishFailedEventsToDlq", Action: ["sns:Publish"], Resource: target.arn };
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

function validate(name: string, args: FunctionArgs): void {
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
  if (problems.length > 0) throw new Error(`Function "${name}": ${problems.join("; ")}`);
}
