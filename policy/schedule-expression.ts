/**
 * EventBridge schedule expressions, read as EventBridge reads them ("Schedule expressions for rules",
 * EventBridge User Guide; "Schedule types", EventBridge Scheduler User Guide): one grammar for the
 * config's validation, the components, the policy pack and the local cloud, so an expression passes
 * here exactly when AWS would accept it.
 *
 * - `rate(value unit)`: a positive whole value; the unit singular for 1 and plural above
 *   (`rate(1 minute)`, `rate(5 minutes)`; `rate(5 minute)` and `rate(1 minutes)` are refused).
 * - `cron(minutes hours day-of-month month day-of-week year)`, in UTC: exactly one of the day fields is
 *   `?`; each field takes its own wildcards (`, - * /` everywhere, `? L W` in day-of-month, `? L #` in
 *   day-of-week); `L` is the last day (of the month, or `5L` the last Thursday), `15W` the weekday nearest
 *   the 15th (`LW` the last weekday), `2#1` the first Monday.
 * - `at(yyyy-mm-ddThh:mm:ss)`: one time, EventBridge Scheduler only.
 *
 * A maintained parser was tried (`aws-cron-parser`): it accepts what AWS refuses (a value in both day
 * fields) and fails on `LW`, so the grammar is written out here, with tests taken from AWS's examples.
 */

export class ScheduleExpressionError extends Error {
  constructor(expression: string, reason: string) {
    super(`${expression} is not a valid schedule expression: ${reason}`);
    this.name = "ScheduleExpressionError";
  }
}

export interface DayOfMonth {
  days: Set<number>;
  /** `L`: the month's last day. */
  last: boolean;
  /** `LW`: the month's last weekday. */
  lastWeekday: boolean;
  /** `15W`: the weekday nearest the 15th, within the month. */
  nearestWeekday: number[];
}

export interface DayOfWeek {
  /** 1 (Sunday) to 7 (Saturday). */
  days: Set<number>;
  /** `5L`: the month's last Thursday. */
  lastOf: number[];
  /** `2#1`: the first Monday, as [day, week]. */
  nth: [number, number][];
}

export type Schedule =
  | { kind: "rate"; everyMs: number }
  | { kind: "at"; when: Date }
  | {
      kind: "cron";
      minutes: Set<number>;
      hours: Set<number>;
      months: Set<number>;
      years: Set<number>;
      /** Exactly one of the two day fields is set; the other was `?`. */
      dayOfMonth?: DayOfMonth;
      dayOfWeek?: DayOfWeek;
    };

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** Parses an expression, or throws ScheduleExpressionError saying what AWS would refuse. `at` is Scheduler's only. */
export function parseSchedule(expression: string, options: { allowAt?: boolean } = {}): Schedule {
  const fail = (reason: string): never => {
    throw new ScheduleExpressionError(expression, reason);
  };
  const rate = /^rate\((\S+) (\S+)\)$/.exec(expression);
  if (rate) {
    const [, valueText, unit] = rate;
    const value = Number(valueText);
    if (!/^\d+$/.test(valueText) || value < 1) fail(`the rate's value must be a whole number of at least 1 (got ${valueText})`);
    const singular = unit.replace(/s$/, "");
    if (!UNIT_MS[singular]) fail(`the rate's unit must be minute(s), hour(s) or day(s) (got ${unit})`);
    if (value === 1 && unit !== singular) fail(`a rate of 1 takes the singular unit: rate(1 ${singular})`);
    if (value > 1 && unit === singular) fail(`a rate above 1 takes the plural unit: rate(${value} ${singular}s)`);
    return { kind: "rate", everyMs: value * UNIT_MS[singular] };
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    if (!options.allowAt) fail("at(...) is EventBridge Scheduler's; an EventBridge rule takes rate(...) or cron(...)");
    const when = new Date(`${at.slice(1, 4).join("-")}T${at.slice(4).join(":")}Z`);
    if (Number.isNaN(when.getTime()) || when.toISOString().slice(0, 19) !== `${at.slice(1, 4).join("-")}T${at.slice(4).join(":")}`)
      fail("at(...) must name a real date and time");
    return { kind: "at", when };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return fail(`expected rate(value unit), cron(6 fields)${options.allowAt ? " or at(yyyy-mm-ddThh:mm:ss)" : ""}`);
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) fail(`cron takes 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  const [min, hour, dom, month, dow, year] = fields;
  if ((dom === "?") === (dow === "?"))
    fail("one of day-of-month and day-of-week must be ?, and only one: a value or * in one needs ? in the other");
  return {
    kind: "cron",
    minutes: values(expression, "minutes", min, 0, 59),
    hours: values(expression, "hours", hour, 0, 23),
    months: values(expression, "month", month, 1, 12, MONTHS),
    years: values(expression, "year", year, 1970, 2199),
    dayOfMonth: dom === "?" ? undefined : dayOfMonth(expression, dom),
    dayOfWeek: dow === "?" ? undefined : dayOfWeek(expression, dow),
  };
}

/** What AWS would refuse in an expression, or undefined when it is valid. */
export function scheduleProblem(expression: string, options: { allowAt?: boolean } = {}): string | undefined {
  try {
    parseSchedule(expression, options);
    return undefined;
  } catch (err) {
    if (err instanceof ScheduleExpressionError) return err.message;
    throw err;
  }
}

/** A plain field (`, - * /` and values or names) as the set of values it selects. */
function values(expression: string, name: string, text: string, lo: number, hi: number, names: string[] = []): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) for (const n of item(expression, name, part, lo, hi, names)) out.add(n);
  return out;
}

function item(expression: string, name: string, part: string, lo: number, hi: number, names: string[]): number[] {
  const fail = (why: string): never => {
    throw new ScheduleExpressionError(expression, `${name}: ${why}`);
  };
  const value = (s: string): number => {
    const named = names.indexOf(s.toUpperCase());
    const n = named >= 0 ? named + lo : /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= lo && n <= hi)) fail(`"${s}" is not ${names.length ? `a name or ` : ""}a value from ${lo} to ${hi}`);
    return n;
  };
  const match = /^([^/]+)(?:\/(\d+))?$/.exec(part);
  if (!match) return fail(`"${part}" is not a value, a range, * or a step`);
  const [, range, stepText] = match;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (step < 1) fail(`the step in "${part}" must be at least 1`);
  let from: number;
  let to: number;
  if (range === "*") [from, to] = [lo, hi];
  else if (range.includes("-")) {
    const [a, b, ...rest] = range.split("-");
    if (rest.length) fail(`"${range}" is not a range`);
    [from, to] = [value(a), value(b)];
    if (from > to) fail(`the range "${range}" runs backwards`);
  } else [from, to] = [value(range), stepText === undefined ? value(range) : hi];
  const out: number[] = [];
  for (let n = from; n <= to; n += step) out.push(n);
  return out;
}

function dayOfMonth(expression: string, text: string): DayOfMonth {
  const spec: DayOfMonth = { days: new Set(), last: false, lastWeekday: false, nearestWeekday: [] };
  for (const part of text.split(",")) {
    if (part === "L") spec.last = true;
    else if (part === "LW") spec.lastWeekday = true;
    else if (/^\d+W$/.test(part)) spec.nearestWeekday.push(...item(expression, "day-of-month", part.slice(0, -1), 1, 31, []));
    else if (/[LW#]/.test(part))
      throw new ScheduleExpressionError(expression, `day-of-month: "${part}" is not L, LW, a day with W, or a value`);
    else for (const n of item(expression, "day-of-month", part, 1, 31, [])) spec.days.add(n);
  }
  return spec;
}

function dayOfWeek(expression: string, text: string): DayOfWeek {
  const spec: DayOfWeek = { days: new Set(), lastOf: [], nth: [] };
  const day = (s: string) => item(expression, "day-of-week", s, 1, 7, DAYS)[0];
  for (const part of text.split(",")) {
    const nth = /^(\w+)#(\d+)$/.exec(part);
    if (part === "L") spec.days.add(7);
    else if (/^\w+L$/.test(part)) spec.lastOf.push(day(part.slice(0, -1)));
    else if (nth) {
      const week = Number(nth[2]);
      if (week < 1 || week > 5) throw new ScheduleExpressionError(expression, `day-of-week: the week in "${part}" must be 1 to 5`);
      spec.nth.push([day(nth[1]), week]);
    } else if (/[LW#]/.test(part))
      throw new ScheduleExpressionError(expression, `day-of-week: "${part}" is not L, a day with L, day#week, or a value`);
    else for (const n of item(expression, "day-of-week", part, 1, 7, DAYS)) spec.days.add(n);
  }
  return spec;
}
