/**
 * EventBridge schedules, locally: each rule and Scheduler schedule fires its targets on its schedule: a
 * function as an async invocation, a queue or topic through the event router (retried, then its DLQ).
 */
import { randomUUID } from "crypto";
import type { Reporter } from "./console";
import type { IamAuthority } from "./iam/authority";
import { deadLetterEvent } from "./event-dlq";
import type { EventRouter } from "./events";
import type { Destinations, LambdaService } from "./lambda/service";
import type { LocalModel, LocalSchedule } from "./model";
import { parseScheduleExpression, ScheduleExpression } from "./schedule-expression";

/** setTimeout's longest delay; longer waits are re-armed. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  readonly nextRuns = new Map<string, Date | undefined>();

  constructor(
    private readonly model: LocalModel,
    private readonly lambda: LambdaService,
    private readonly reporter: Reporter,
    /** Where an event EventBridge could not deliver goes: the target's dead-letter queue. @default none (dropped, as without a DLQ) */
    private readonly deadLetters?: Destinations,
    /** IAM as the local cloud enforces it: a rule's DLQ takes the event only if its policy lets EventBridge send. @default not enforced */
    private readonly iam?: IamAuthority,
    /** What delivers to a queue or topic target. @default none (such a target is listed, and nothing is sent) */
    private readonly router?: Pick<EventRouter, "deliversTo" | "deliverScheduled">,
  ) {}

  start(): void {
    for (const schedule of this.model.schedules) {
      if (!schedule.enabled) continue;
      let expression: ScheduleExpression;
      try {
        expression = parseScheduleExpression(schedule.expression);
      } catch (err) {
        this.reporter.info(`schedule ${schedule.name}: ${(err as Error).message}; it runs only on demand (npm run invoke)`);
        continue;
      }
      this.arm(schedule, expression);
    }
  }

  /**
   * Fires one schedule now, as EventBridge would; returns the functions' async request ids. A rule invokes through
   * the function's permission for the rule's ARN, a Scheduler schedule with its target's role; a target
   * either does not allow is not invoked (the local cloud says why).
   */
  fire(schedule: LocalSchedule): string[] {
    const trigger = `schedule ${schedule.name}`;
    const ids: string[] = [];
    for (const target of schedule.targets) {
      const event = eventFor(this.model, schedule, target.input);
      // A queue or topic of the graph gets the event as a rule's target does, with retries and its DLQ.
      if (this.router?.deliversTo(target.functionArn)) {
        this.router.deliverScheduled(schedule, target.functionArn, event);
        continue;
      }
      // A target that is neither (a function made elsewhere, another service) is not run locally; a schedule
      // firing must not take the local cloud down with it.
      if (!this.lambda.knows(target.functionArn)) {
        this.reporter.info(
          `${trigger}: ${target.functionArn} is not a function or queue or topic of this program, so the schedule does not reach it locally`,
        );
        continue;
      }
      const allowed =
        schedule.kind === "rule" || !target.roleArn
          ? this.lambda.permitsInvoke(target.functionArn, "events.amazonaws.com", schedule.arn, trigger)
          : this.lambda.roleMayInvoke(target.roleArn, target.functionArn, trigger);
      if (allowed) ids.push(this.lambda.invokeAsync(target.functionArn, event, trigger));
      else
        void deadLetterEvent(
          { reporter: this.reporter, destinations: this.deadLetters, iam: this.iam },
          {
            rule: { arn: schedule.arn, trigger, viaRole: schedule.kind === "scheduler" ? target.roleArn : undefined },
            target: { arn: target.functionArn, deadLetterArn: target.deadLetterArn },
            event,
            code: "NO_PERMISSIONS",
            message: `EventBridge may not invoke ${target.functionArn}`,
          },
        );
    }
    return ids;
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(schedule: LocalSchedule, expression: ScheduleExpression): void {
    const next = expression.next(new Date());
    this.nextRuns.set(schedule.name, next);
    if (!next) return;
    const delay = next.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        if (delay <= MAX_DELAY_MS) this.fire(schedule);
        this.arm(schedule, expression);
      },
      Math.min(Math.max(0, delay), MAX_DELAY_MS),
    );
    timer.unref();
    this.timers.set(schedule.name, timer);
  }
}

/** The target's constant input, or EventBridge's "Scheduled Event". */
export function eventFor(model: LocalModel, schedule: LocalSchedule, input?: string): unknown {
  if (input) return JSON.parse(input);
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: model.accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: model.region,
    resources: [schedule.arn],
    detail: {},
  };
}
