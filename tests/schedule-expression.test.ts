/**
 * Schedule expressions as EventBridge reads them, with the examples of "Schedule expressions for rules"
 * (EventBridge User Guide) and "Schedule types" (EventBridge Scheduler User Guide): what AWS accepts is
 * accepted, what it refuses is refused, here, in the config, the components and the local cloud alike.
 */
import { expect } from "chai";
import { parseScheduleExpression } from "../local/schedule-expression";
import { parseSchedule, scheduleProblem } from "../policy/schedule-expression";

const next = (expression: string, from: string) => parseScheduleExpression(expression).next(new Date(from))?.toISOString();

describe("schedule expressions, as EventBridge reads them", () => {
  it("accepts AWS's own examples", () => {
    for (const expression of [
      "cron(0 10 * * ? *)",
      "cron(15 12 * * ? *)",
      "cron(0 18 ? * MON-FRI *)",
      "cron(0 8 1 * ? *)",
      "cron(0/15 * * * ? *)",
      "cron(0/10 * ? * MON-FRI *)",
      "cron(0/5 8-17 ? * MON-FRI *)",
      "cron(0 9 ? * 2#1 *)",
      "cron(0 10 ? * 6L *)",
      "cron(0 12 15W * ? *)",
      "cron(0 0 LW * ? *)",
      "cron(0 0 L * ? 2027)",
      "rate(1 minute)",
      "rate(5 minutes)",
      "rate(1 hour)",
      "rate(12 hours)",
      "rate(1 day)",
      "rate(7 days)",
    ])
      expect(scheduleProblem(expression), expression).to.equal(undefined);
  });

  it("refuses a rate whose unit disagrees with its value, or whose value is not a positive whole number", () => {
    expect(scheduleProblem("rate(5 minute)")).to.equal(
      "rate(5 minute) is not a valid schedule expression: a rate above 1 takes the plural unit: rate(5 minutes)",
    );
    expect(scheduleProblem("rate(1 hours)")).to.equal(
      "rate(1 hours) is not a valid schedule expression: a rate of 1 takes the singular unit: rate(1 hour)",
    );
    expect(scheduleProblem("rate(0 minutes)")).to.match(/must be a whole number of at least 1 \(got 0\)$/);
    expect(scheduleProblem("rate(1.5 hours)")).to.match(/must be a whole number of at least 1 \(got 1.5\)$/);
    expect(scheduleProblem("rate(2 weeks)")).to.match(/the rate's unit must be minute\(s\), hour\(s\) or day\(s\) \(got weeks\)$/);
  });

  it("refuses a cron with both day fields set, or neither, and a ? anywhere else", () => {
    expect(scheduleProblem("cron(0 10 * * * *)")).to.match(/one of day-of-month and day-of-week must be \?, and only one/);
    expect(scheduleProblem("cron(0 10 ? * ? *)")).to.match(/one of day-of-month and day-of-week must be \?, and only one/);
    expect(scheduleProblem("cron(0 10 1 * MON *)")).to.match(/only one/);
    expect(scheduleProblem("cron(? 10 * * ? *)")).to.match(/minutes: "\?" is not a value from 0 to 59$/);
  });

  it("refuses each wildcard outside the fields that take it, and values out of range on both sides", () => {
    expect(scheduleProblem("cron(0 10 ? * 2#6 *)")).to.match(/day-of-week: the week in "2#6" must be 1 to 5$/);
    expect(scheduleProblem("cron(0 10 ? * 2#0 *)")).to.match(/the week in "2#0" must be 1 to 5$/);
    expect(scheduleProblem("cron(0 10 15W * 2 *)")).to.match(/only one/);
    expect(scheduleProblem("cron(0 10 ? * 2W *)")).to.match(/day-of-week: "2W" is not L, a day with L, day#week, or a value$/);
    expect(scheduleProblem("cron(0 10 1#2 * ? *)")).to.match(/day-of-month: "1#2" is not L, LW, a day with W, or a value$/);
    expect(scheduleProblem("cron(0 L * * ? *)")).to.match(/hours: "L" is not a value from 0 to 23$/);
    expect(scheduleProblem("cron(60 10 * * ? *)")).to.match(/minutes: "60" is not a value from 0 to 59$/);
    expect(scheduleProblem("cron(0 24 * * ? *)")).to.match(/hours: "24" is not a value from 0 to 23$/);
    expect(scheduleProblem("cron(0 0 0 * ? *)")).to.match(/day-of-month: "0" is not a value from 1 to 31$/);
    expect(scheduleProblem("cron(0 0 32 * ? *)")).to.match(/"32" is not a value from 1 to 31$/);
    expect(scheduleProblem("cron(0 0 1 13 ? *)")).to.match(/month: "13" is not a name or a value from 1 to 12$/);
    expect(scheduleProblem("cron(0 0 ? * 0 *)")).to.match(/day-of-week: "0" is not a name or a value from 1 to 7$/);
    expect(scheduleProblem("cron(0 0 ? * 8 *)")).to.match(/"8" is not a name or a value from 1 to 7$/);
    expect(scheduleProblem("cron(0 0 1 * ? 1969)")).to.match(/year: "1969" is not a value from 1970 to 2199$/);
    expect(scheduleProblem("cron(0 0 1 * ? 2200)")).to.match(/"2200" is not a value from 1970 to 2199$/);
    expect(scheduleProblem("cron(0 0 1 * ? 2199)")).to.equal(undefined);
    expect(scheduleProblem("cron(0 5-1 * * ? *)")).to.match(/hours: the range "5-1" runs backwards$/);
    expect(scheduleProblem("cron(0/0 * * * ? *)")).to.match(/minutes: the step in "0\/0" must be at least 1$/);
  });

  it("takes at(...) only for EventBridge Scheduler, and only a real time", () => {
    expect(scheduleProblem("at(2027-01-01T09:00:00)")).to.match(/at\(\.\.\.\) is EventBridge Scheduler's/);
    expect(scheduleProblem("at(2027-01-01T09:00:00)", { allowAt: true })).to.equal(undefined);
    expect(scheduleProblem("at(2027-02-30T09:00:00)", { allowAt: true })).to.match(/must name a real date and time$/);
    expect(scheduleProblem("every day")).to.equal(
      "every day is not a valid schedule expression: expected rate(value unit), cron(6 fields)",
    );
  });

  it("fires L, W and # on the days AWS fires them", () => {
    // December 2026: the 1st is a Tuesday; the 25th a Friday; the 31st a Thursday.
    expect(next("cron(0 10 ? * 6L *)", "2026-11-30T00:00:00Z")).to.equal("2026-12-25T10:00:00.000Z");
    expect(next("cron(0 9 ? * 2#1 *)", "2026-11-30T00:00:00Z")).to.equal("2026-12-07T09:00:00.000Z");
    // Monday 30 November 2026 is that month's fifth Monday; then none until March 2027.
    expect(next("cron(0 9 ? * 2#5 *)", "2026-11-30T00:00:00Z")).to.equal("2026-11-30T09:00:00.000Z");
    expect(next("cron(0 9 ? * 2#5 *)", "2026-12-01T00:00:00Z")).to.equal("2027-03-29T09:00:00.000Z");
    expect(next("cron(0 0 L * ? *)", "2026-12-01T00:00:00Z")).to.equal("2026-12-31T00:00:00.000Z");
    expect(next("cron(0 0 ? * L *)", "2026-12-01T00:00:00Z")).to.equal("2026-12-05T00:00:00.000Z");
    // The 13th of December 2026 is a Sunday: the nearest weekday is Monday the 14th.
    expect(next("cron(0 12 13W * ? *)", "2026-12-01T00:00:00Z")).to.equal("2026-12-14T12:00:00.000Z");
    // The 1st of August 2026 is a Saturday: 1W is Monday the 3rd, not a day of July.
    expect(next("cron(0 12 1W * ? *)", "2026-07-15T00:00:00Z")).to.equal("2026-08-03T12:00:00.000Z");
    // The last day of January 2027 is a Sunday: LW is Friday the 29th.
    expect(next("cron(0 0 LW * ? *)", "2027-01-01T00:00:00Z")).to.equal("2027-01-29T00:00:00.000Z");
    // 31W skips the months without a 31st.
    expect(next("cron(0 0 31W * ? *)", "2027-04-01T00:00:00Z")).to.equal("2027-05-31T00:00:00.000Z");
  });

  it("refuses anything before or after the expression, and names what it expected", () => {
    const expected = "expected rate(value unit), cron(6 fields)";
    for (const expression of [
      "xrate(5 minutes)",
      "rate(5 minutes)x",
      "xcron(0 10 * * ? *)",
      "cron(0 10 * * ? *)x",
      "rate(5 minutess)",
      "rate(5  minutes)",
    ])
      expect(scheduleProblem(expression), expression).to.match(
        new RegExp(`^${expression.replace(/[()*?]/g, "\\$&")} is not a valid schedule expression: `),
      );
    expect(scheduleProblem("xrate(5 minutes)")).to.equal(`xrate(5 minutes) is not a valid schedule expression: ${expected}`);
    expect(scheduleProblem("cron(0 10 * * ? *)x")).to.equal(`cron(0 10 * * ? *)x is not a valid schedule expression: ${expected}`);
    expect(scheduleProblem("rate(5 minutess)")).to.match(/the rate's unit must be minute\(s\), hour\(s\) or day\(s\) \(got minutess\)$/);
    expect(scheduleProblem("at(2027-01-01T00:00:00)x", { allowAt: true })).to.equal(
      `at(2027-01-01T00:00:00)x is not a valid schedule expression: ${expected} or at(yyyy-mm-ddThh:mm:ss)`,
    );
    expect(scheduleProblem("xat(2027-01-01T00:00:00)", { allowAt: true })).to.match(/expected rate/);
    expect(parseSchedule("at(2027-01-01T00:00:00)", { allowAt: true })).to.deep.equal({
      kind: "at",
      when: new Date("2027-01-01T00:00:00Z"),
    });
  });

  it("names the field, and the part of it, that AWS would refuse", () => {
    const problem = (fields: string) => scheduleProblem(`cron(${fields})`)?.replace(/^.* is not a valid schedule expression: /, "");
    expect(problem("0 10 * * ?")).to.equal("cron takes 6 fields (minutes hours day-of-month month day-of-week year), got 5");
    expect(problem("0  10 *  * ? *  ")).to.equal(undefined);
    expect(problem("0 10 * * ? * *")).to.equal("cron takes 6 fields (minutes hours day-of-month month day-of-week year), got 7");
    expect(problem("0 1-2-3 * * ? *")).to.match(/"1-2-3" is not a range$/);
    expect(problem("0 5-5 * * ? *")).to.equal(undefined);
    expect(problem("0 6-5 * * ? *")).to.match(/the range "6-5" runs backwards$/);
    expect(problem("0 x/5/5 * * ? *")).to.match(/"x\/5\/5" is not a value, a range, \* or a step$/);
    expect(problem("0 1x * * ? *")).to.match(/"1x" is not a value from 0 to 23$/);
    expect(problem("0 x1 * * ? *")).to.match(/"x1" is not a value from 0 to 23$/);
    expect(problem("0 0 x15W * ? *")).to.match(/day-of-month: "x15W" is not L, LW, a day with W, or a value$/);
    expect(problem("0 0 15Wx * ? *")).to.match(/day-of-month: "15Wx" is not L, LW, a day with W, or a value$/);
    expect(problem("0 0 ? * x2#1 *")).to.match(/"x2" is not a name or a value from 1 to 7$/);
    expect(problem("0 0 ? * 2#1x *")).to.match(/day-of-week: "2#1x" is not L, a day with L, day#week, or a value$/);
    expect(problem("0 0 ? * 2#10 *")).to.match(/day-of-week: the week in "2#10" must be 1 to 5$/);
    expect(problem("0 0 ? * FRIL *")).to.equal(undefined);
    expect(problem("0 0 ? * 6Lx *")).to.match(/day-of-week: "6Lx" is not L, a day with L, day#week, or a value$/);
    expect(problem("0 0 ? * x6L *")).to.match(/"x6" is not a name or a value from 1 to 7$/);
    // Whole numbers only, as written: no exponent, no hex.
    expect(problem("5e0 * * * ? *")).to.equal('minutes: "5e0" is not a value from 0 to 59');
    expect(problem("0x5 * * * ? *")).to.equal('minutes: "0x5" is not a value from 0 to 59');
    // Fields without names say so, and each message names its field.
    expect(problem("0 0 32 * ? *")).to.equal('day-of-month: "32" is not a value from 1 to 31');
    expect(problem("0 0 32W * ? *")).to.equal('day-of-month: "32" is not a value from 1 to 31');
    expect(problem("0 0 ? * 9L *")).to.equal('day-of-week: "9" is not a name or a value from 1 to 7');
    // L and # apply to one day, not to the end of a range.
    expect(problem("0 0 ? * 1-MON#2 *")).to.equal('day-of-week: "1-MON#2" is not L, a day with L, day#week, or a value');
    expect(problem("0 0 ? * 1-FRIL *")).to.equal('day-of-week: "1-FRIL" is not L, a day with L, day#week, or a value');
  });

  it("refuses a unit that only ends like one, and throws its own error type", () => {
    expect(scheduleProblem("rate(5 sminute)")).to.match(/the rate's unit must be minute\(s\), hour\(s\) or day\(s\) \(got sminute\)$/);
    expect(() => parseSchedule("rate(5 sminute)"))
      .to.throw()
      .with.property("name", "ScheduleExpressionError");
  });

  it("gives the parsed fields to every reader alike", () => {
    const cron = parseSchedule("cron(0/20 8-9 ? JAN,MAR MON#2 *)");
    expect(cron.kind).to.equal("cron");
    if (cron.kind !== "cron") return;
    expect([...cron.minutes]).to.deep.equal([0, 20, 40]);
    expect([...cron.hours]).to.deep.equal([8, 9]);
    expect([...cron.months]).to.deep.equal([1, 3]);
    expect(cron.dayOfWeek!.nth).to.deep.equal([[2, 2]]);
    expect(cron.dayOfWeek!.lastOf).to.deep.equal([]);
    expect([...cron.dayOfWeek!.days]).to.deep.equal([]);
    expect(cron.dayOfMonth).to.equal(undefined);
    const byDay = parseSchedule("cron(0 0 15W,L * ? *)");
    if (byDay.kind !== "cron") throw new Error("not a cron");
    expect(byDay.dayOfMonth).to.deep.include({ last: true, lastWeekday: false, nearestWeekday: [15] });
    expect([...byDay.dayOfMonth!.days]).to.deep.equal([]);
    expect(parseSchedule("rate(2 hours)")).to.deep.equal({ kind: "rate", everyMs: 7_200_000 });
  });
});
