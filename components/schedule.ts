import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { scheduleProblem } from "../policy/schedule-expression";
import { metricAlarm } from "./alarms";
import { Transform, transformed } from "./child";
import { DeadLetterQueue } from "./dead-letter-queue";
import { LambdaFunction } from "./lambda-function";

/** One function a schedule invokes (asynchronously, as EventBridge always does). */
export interface ScheduleTarget {
  function: LambdaFunction;
  /** A fixed JSON event instead of EventBridge's scheduled-event envelope. @default the envelope */
  input?: string;
}

/** An EventBridge schedule that invokes functions, each permission scoped to this rule. */
export interface ScheduleArgs {
  /** `rate(...)` or `cron(...)`, in EventBridge's syntax, checked as EventBridge checks it (policy/schedule-expression.ts). */
  schedule: string;
  /** The functions to invoke, at most 5, each at most once. */
  targets: ScheduleTarget[];
  /** @default "Invokes <n> function(s) on <schedule>" */
  description?: string;
  /** Topic for the alarm on the schedule's dead-letter queue. */
  alertTopicArn: pulumi.Input<string>;
  /** Retries when EventBridge cannot invoke a target (throttled, denied), 0 to 185. @default 3 */
  retryAttempts?: number;
  /** How long EventBridge keeps retrying an event, 60 to 86400 seconds. @default 3600 */
  maximumEventAgeSeconds?: number;
  /** Protect the schedule's DLQ and keep it on destroy. @default true */
  protect?: boolean;
  /** The key the stack exports the DLQ under in `deadLetterQueues`. @default "<name>-dlq" */
  deadLetterOutputKey?: string;
  /** Adjusts a child before it is created. @default none */
  transform?: { rule?: Transform<aws.cloudwatch.EventRuleArgs>; target?: Transform<aws.cloudwatch.EventTargetArgs> };
}

export class Schedule extends pulumi.ComponentResource {
  public readonly rule: aws.cloudwatch.EventRule;
  /** Where EventBridge puts an event it could not deliver to a target, after its retries. */
  public readonly deadLetterQueue: DeadLetterQueue;
  /**
   * Fires when EventBridge could put an event it gave up on nowhere, not even in the DLQ (its policy or
   * key refused, the queue is gone): the event is lost, so someone must look at once.
   */
  public readonly deadLetterFailuresAlarm: aws.cloudwatch.MetricAlarm;
  /** Each target's permission and EventBridge target, keyed by the function's short name. */
  public readonly targets: Record<string, { permission: aws.lambda.Permission; target: aws.cloudwatch.EventTarget }> = {};

  constructor(name: string, args: ScheduleArgs, opts?: pulumi.ComponentResourceOptions, type = "platform:events:Schedule") {
    super(type, name, {}, opts);
    const kind = type.split(":").pop();
    // Read as EventBridge reads it: a rule AWS would refuse fails here, before any deploy.
    const problem = scheduleProblem(args.schedule);
    if (problem) throw new Error(`${kind} "${name}": ${problem}`);
    if (args.targets.length === 0) throw new Error(`${kind} "${name}": no targets`);
    if (args.targets.length > 5) throw new Error(`${kind} "${name}": EventBridge allows 5 targets per rule (got ${args.targets.length})`);
    const names = args.targets.map((t) => t.function.shortName);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw new Error(`${kind} "${name}": function ${twice} is a target twice`);
    const retries = args.retryAttempts ?? 3;
    if (!Number.isInteger(retries) || retries < 0 || retries > 185)
      throw new Error(`${kind} "${name}": retryAttempts must be from 0 to 185 (got ${retries})`);
    const age = args.maximumEventAgeSeconds ?? 3600;
    if (!Number.isInteger(age) || age < 60 || age > 86400)
      throw new Error(`${kind} "${name}": maximumEventAgeSeconds must be from 60 to 86400 (got ${age})`);

    this.rule = new aws.cloudwatch.EventRule(
      ...transformed(
        args.transform?.rule,
        name,
        {
          scheduleExpression: args.schedule,
          description: args.description ?? `Invokes ${args.targets.length} function(s) on ${args.schedule}`,
        },
        { parent: this },
      ),
    );
    // Nothing a schedule sends is lost silently: what EventBridge cannot deliver waits here, alarmed.
    this.deadLetterQueue = new DeadLetterQueue(
      `${name}-dlq`,
      {
        alertTopicArn: args.alertTopicArn,
        // The queue's own default: protected.
        protect: args.protect,
        source: `schedule:${name}`,
        outputKey: args.deadLetterOutputKey,
        senders: [{ service: "events.amazonaws.com", sourceArn: this.rule.arn }],
      },
      { parent: this },
    );
    this.deadLetterFailuresAlarm = metricAlarm(
      `${name}-dlq-send-failures`,
      {
        description: `EventBridge gave up on an event of schedule ${name} and could not put it in the schedule's dead-letter queue either: the event is lost. Check the queue's policy and key allow events.amazonaws.com for this rule.`,
        namespace: "AWS/Events",
        metricName: "InvocationsFailedToBeSentToDlq",
        dimensions: { RuleName: this.rule.name },
        threshold: 1,
      },
      args.alertTopicArn,
      this,
    );
    // Keyed by the function, never by position: removing one target replaces no other.
    args.targets.forEach((target, i) => {
      const key = `${name}-${target.function.shortName}`;
      const permission = target.function.grantInvoke("events.amazonaws.com", this.rule.arn, {
        name: `${key}-permission`,
        parent: this,
        aliases: [{ name: `${name}-permission-${i}` }],
      });
      const eventTarget = new aws.cloudwatch.EventTarget(
        ...transformed(
          args.transform?.target,
          `${key}-target`,
          {
            rule: this.rule.name,
            arn: target.function.liveArn,
            input: target.input,
            retryPolicy: { maximumRetryAttempts: retries, maximumEventAgeInSeconds: age },
            deadLetterConfig: { arn: this.deadLetterQueue.arn },
          },
          { parent: this, dependsOn: [permission, this.deadLetterQueue.policy], aliases: [{ name: `${name}-target-${i}` }] },
        ),
      );
      this.targets[target.function.shortName] = { permission, target: eventTarget };
    });
    this.registerOutputs({ ruleArn: this.rule.arn });
  }
}
