/**
 * EventBridge schedule expressions, locally: when each fires next, in UTC. The grammar (and what AWS
 * refuses) is policy/schedule-expression.ts's, shared with the config, the components and the policy pack.
 */
import { DayOfMonth, DayOfWeek, parseSchedule, ScheduleExpressionError } from "../policy/schedule-expression";

export { ScheduleExpressionError };

export interface ScheduleExpression {
  /** The next fire time strictly after `from`, or undefined when there is none. */
  next(from: Date): Date | undefined;
}

export function parseScheduleExpression(expression: string, startedAt = new Date()): ScheduleExpression {
  const schedule = parseSchedule(expression, { allowAt: true });
  switch (schedule.kind) {
    case "rate": {
      const every = schedule.everyMs;
      // Like EventBridge, the first run comes one interval after the rule is created.
      return { next: (from) => new Date(startedAt.getTime() + (Math.floor((from.getTime() - startedAt.getTime()) / every) + 1) * every) };
    }
    case "at":
      return { next: (from) => (schedule.when > from ? schedule.when : undefined) };
    case "cron":
      return {
        next(from) {
          const t = new Date(Math.floor(from.getTime() / 60_000) * 60_000 + 60_000);
          // Minute steps, skipping whole days and hours that cannot match; bounded to ten years ahead.
          const limit = t.getTime() + 10 * 366 * 86_400_000;
          while (t.getTime() < limit) {
            const dayOk =
              schedule.years.has(t.getUTCFullYear()) &&
              schedule.months.has(t.getUTCMonth() + 1) &&
              (schedule.dayOfMonth ? dayOfMonthMatches(schedule.dayOfMonth, t) : dayOfWeekMatches(schedule.dayOfWeek!, t));
            if (!dayOk) {
              t.setUTCHours(24, 0, 0, 0);
              continue;
            }
            if (!schedule.hours.has(t.getUTCHours())) {
              t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
              continue;
            }
            if (schedule.minutes.has(t.getUTCMinutes())) return new Date(t);
            t.setUTCMinutes(t.getUTCMinutes() + 1);
          }
          return undefined;
        },
      };
  }
}

const daysIn = (t: Date) => new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
/** 0 (Sunday) to 6 (Saturday) of day `d` of `t`'s month. */
const weekday = (t: Date, d: number) => new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), d)).getUTCDay();

/** The weekday nearest day `n` of the month, never crossing into another month; none when the month is shorter. */
function nearestWeekday(t: Date, n: number): number | undefined {
  const last = daysIn(t);
  if (n > last) return undefined;
  const w = weekday(t, n);
  if (w === 6) return n === 1 ? 3 : n - 1;
  if (w === 0) return n === last ? n - 2 : n + 1;
  return n;
}

function dayOfMonthMatches(spec: DayOfMonth, t: Date): boolean {
  const d = t.getUTCDate();
  const last = daysIn(t);
  if (spec.days.has(d) || (spec.last && d === last)) return true;
  if (spec.lastWeekday && d === nearestWeekday(t, last)) return true;
  return spec.nearestWeekday.some((n) => nearestWeekday(t, n) === d);
}

function dayOfWeekMatches(spec: DayOfWeek, t: Date): boolean {
  const d = t.getUTCDate();
  const day = t.getUTCDay() + 1;
  if (spec.days.has(day)) return true;
  if (spec.lastOf.includes(day) && d + 7 > daysIn(t)) return true;
  return spec.nth.some(([x, week]) => x === day && Math.ceil(d / 7) === week);
}
