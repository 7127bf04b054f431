/**
 * EventBridge schedules, locally: each rule and Scheduler schedule fires its targets on its schedule: a
 * function as an async invocation, a queue or topic through the event router (retried, then its DLQ).
 */
import { randomUUID } from "crypto";
import type { AlarmBoard } from "./alarms";
import type { Reporter } from "./console";
import type { IamAuthority } from "./iam/authority";
import { countSchedulerAttempt, deadLetterEvent } from "./event-dlq";
import type { EventRouter } from "./events";
import { targetPayload, TargetPayload } from "./input-transformer";
import type { Destinations, LambdaService } from "./lambda/service";
import type { LocalModel, LocalSchedule } from "./model";
import { parseScheduleExpression, ScheduleExpression } from "./schedule-expression";

/** setTimeout's longest delay; longer waits are re-armed. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface SchedulerOptions {
  reporter: Reporter;
  /** Where an event EventBridge could not deliver goes: the target's dead-letter queue. @default none (dropped, as without a DLQ) */
  deadLetters?: Destinations;
  /** IAM as the local cloud enforces it: a rule's DLQ takes the event only if its policy lets EventBridge send. @default not enforced */
  iam?: IamAuthority;
  /** What delivers to a queue or topic target. @default none (such a target is listed, and nothing is sent) */
  router?: Pick<EventRouter, "deliversTo" | "deliverScheduled">;
  /** The graph's alarms, which count the events a schedule could not deliver. @default none counted */
  alarms?: Pick<AlarmBoard, "count">;
}

export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  readonly nextRuns = new Map<string, Date | undefined>();
  private readonly reporter: Reporter;

  constructor(
    private readonly model: LocalModel,
    private readonly lambda: LambdaService,
    private readonly options: SchedulerOptions,
  ) {
    this.reporter = options.reporter;
  }

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
    const firedAt = Date.now();
    const ids: string[] = [];
    const { router } = this.options;
    for (const target of schedule.targets) {
      const toRouter = router?.deliversTo(target.functionArn) ? router : undefined;
      // A Scheduler schedule's input to a queue or topic goes as written, for it need not be JSON.
      const payload: TargetPayload =
        toRouter && schedule.kind === "scheduler" && target.input !== undefined
          ? { event: target.input, asText: true }
          : payloadFor(this.model, schedule, target);
      // A queue or topic of the graph gets the event as a rule's target does, with retries and its DLQ.
      if (toRouter) {
        toRouter.deliverScheduled(schedule, target.functionArn, payload);
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
      const { event, asText } = payload;
      const roleArn = schedule.kind === "scheduler" ? target.roleArn : undefined;
      const allowed = roleArn
        ? this.lambda.roleMayInvoke(roleArn, target.functionArn, trigger)
        : this.lambda.permitsInvoke(target.functionArn, "events.amazonaws.com", schedule.arn, trigger);
      const source = {
        name: schedule.name,
        arn: schedule.arn,
        trigger,
        scheduler: roleArn ? { roleArn, scheduledAt: firedAt } : undefined,
      };
      const refused = allowed
        ? undefined
        : {
            code: "NO_PERMISSIONS",
            message: `${roleArn ?? "EventBridge"} may not invoke ${target.functionArn}`,
            apiCode: "AccessDeniedException",
          };
      countSchedulerAttempt(this.options.alarms, source, target.functionArn, refused);
      if (!refused) ids.push(this.lambda.invokeAsync(target.functionArn, event, trigger));
      else
        void deadLetterEvent(
          { reporter: this.reporter, destinations: this.options.deadLetters, iam: this.options.iam, alarms: this.options.alarms },
          {
            rule: source,
            target: { arn: target.functionArn, deadLetterArn: target.deadLetterArn },
            body: asText ? event : JSON.stringify(event),
            ...refused,
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

/** What a schedule's target gets: its constant input, or what its input transformer makes of the "Scheduled Event", or the event. */
function payloadFor(model: LocalModel, schedule: LocalSchedule, target: LocalSchedule["targets"][number]): TargetPayload {
  return targetPayload(target, scheduledEvent(model, schedule), schedule);
}

/** EventBridge's "Scheduled Event". */
export function scheduledEvent(model: LocalModel, schedule: LocalSchedule): unknown {
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
