import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { Function } from "./function";

/** One function a schedule invokes (asynchronously, as EventBridge always does). */
export interface ScheduleTarget {
  function: Function;
  /** A fixed JSON event instead of EventBridge's scheduled-event envelope. @default the envelope */
  input?: string;
}

/** An EventBridge schedule that invokes functions, each permission scoped to this rule. */
export interface ScheduleArgs {
  /** `rate(...)` or `cron(...)`, in EventBridge's syntax. */
  schedule: string;
  targets: ScheduleTarget[];
  /** @default "Invokes <targets> on <schedule>" */
  description?: string;
}

/** An EventBridge schedule expression: rate(N unit) or cron with six fields. */
export const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+ \S+ \S+ \S+ \S+ \S+\))$/;

export class Schedule extends pulumi.ComponentResource {
  public readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: ScheduleArgs, opts?: pulumi.ComponentResourceOptions, type = "platform:events:Schedule") {
    super(type, name, {}, opts);
    if (!SCHEDULE.test(args.schedule))
      throw new Error(`${type.split(":").pop()} "${name}": schedule "${args.schedule}" is not rate(N unit) or cron(6 fields)`);
    if (args.targets.length === 0) throw new Error(`${type.split(":").pop()} "${name}": no targets`);
    if (args.targets.length > 5)
      throw new Error(`${type.split(":").pop()} "${name}": EventBridge allows 5 targets per rule (got ${args.targets.length})`);

    this.rule = new aws.cloudwatch.EventRule(
      name,
      {
        scheduleExpression: args.schedule,
        description: args.description ?? `Invokes ${args.targets.length} function(s) on ${args.schedule}`,
      },
      { parent: this },
    );
    args.targets.forEach((target, i) => {
      const permission = new aws.lambda.Permission(
        `${name}-permission-${i}`,
        {
          action: "lambda:InvokeFunction",
          function: target.function.function.name,
          principal: "events.amazonaws.com",
          sourceArn: this.rule.arn,
        },
        { parent: this },
      );
      new aws.cloudwatch.EventTarget(
        `${name}-target-${i}`,
        { rule: this.rule.name, arn: target.function.arn, input: target.input },
        { parent: this, dependsOn: [permission] },
      );
    });
    this.registerOutputs({ ruleArn: this.rule.arn });
  }
}
