/**
 * EventBridge schedule expressions: rate(N unit), cron(minutes hours day-of-month month day-of-week
 * year) in UTC, and EventBridge Scheduler's one-time at(yyyy-mm-ddThh:mm:ss).
 */
export interface ScheduleExpression {
  /** The next fire time strictly after `from`, or undefined when there is none. */
  next(from: Date): Date | undefined;
}

const UNITS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

export class ScheduleExpressionError extends Error {}

export function parseScheduleExpression(expression: string, startedAt = new Date()): ScheduleExpression {
  const rate = expression.match(/^rate\((\d+) (minutes?|hours?|days?)\)$/);
  if (rate) {
    const every = Number(rate[1]) * UNITS[rate[2]];
    if (every <= 0) throw new ScheduleExpressionError(`${expression}: the rate must be positive`);
    // Like EventBridge, the first run comes one interval after the rule is created.
    return { next: (from) => new Date(startedAt.getTime() + (Math.floor((from.getTime() - startedAt.getTime()) / every) + 1) * every) };
  }
  const at = expression.match(/^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/);
  if (at) {
    const when = new Date(`${at[1]}Z`);
    return { next: (from) => (when > from ? when : undefined) };
  }
  const cron = expression.match(/^cron\((.+)\)$/);
  if (cron) return cronExpression(expression, cron[1].trim().split(/\s+/));
  throw new ScheduleExpressionError(`${expression}: expected rate(N unit), cron(6 fields) or at(timestamp)`);
}

function cronExpression(expression: string, fields: string[]): ScheduleExpression {
  if (fields.length !== 6)
    throw new ScheduleExpressionError(`${expression}: cron takes 6 fields (minutes hours day-of-month month day-of-week year)`);
  const [min, hour, dom, month, dow, year] = fields;
  if ((dom === "?") === (dow === "?"))
    throw new ScheduleExpressionError(`${expression}: exactly one of day-of-month and day-of-week must be "?"`);
  const minutes = field(expression, min, 0, 59);
  const hours = field(expression, hour, 0, 23);
  const months = field(expression, month, 1, 12, MONTHS, 1);
  const years = field(expression, year, 1970, 2199);
  const lastDom = dom === "L";
  const doms = dom === "?" || lastDom ? undefined : field(expression, dom, 1, 31);
  const dows = dow === "?" ? undefined : field(expression, dow, 1, 7, DAYS, 1);
  return {
    next(from) {
      const t = new Date(Math.floor(from.getTime() / 60_000) * 60_000 + 60_000);
      // Minute steps, skipping whole days and hours that cannot match; bounded to ten years ahead.
      const limit = t.getTime() + 10 * 366 * 86_400_000;
      while (t.getTime() < limit) {
        const daysInMonth = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
        const dayOk =
          years.has(t.getUTCFullYear()) &&
          months.has(t.getUTCMonth() + 1) &&
          (lastDom ? t.getUTCDate() === daysInMonth : doms ? doms.has(t.getUTCDate()) : dows!.has(t.getUTCDay() + 1));
        if (!dayOk) {
          t.setUTCHours(24, 0, 0, 0);
          continue;
        }
        if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (minutes.has(t.getUTCMinutes())) return new Date(t);
        t.setUTCMinutes(t.getUTCMinutes() + 1);
      }
      return undefined;
    },
  };
}

function field(expression: string, text: string, lo: number, hi: number, names: string[] = [], nameBase = 0): Set<number> {
  const values = new Set<number>();
  const value = (s: string): number => {
    const named = names.indexOf(s.toUpperCase());
    const n = named >= 0 ? named + nameBase : Number(s);
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new ScheduleExpressionError(`${expression}: "${s}" is not a value from ${lo} to ${hi}`);
    return n;
  };
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`${expression}: bad step in "${part}"`);
    let from: number;
    let to: number;
    if (range === "*") [from, to] = [lo, hi];
    else if (range.includes("-")) [from, to] = range.split("-").map(value) as [number, number];
    else [from, to] = [value(range), stepText === undefined ? value(range) : hi];
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}
