/**
 * The local rehearsal of a CodeDeploy rollout: the same deployment config's steps, shortened, on the
 * local cloud's versions. The new version is invoked once first (what the BeforeAllowTraffic hook
 * does), then the live alias gives it each step's share of invocations while the group's alarms are
 * watched; an alarm in ALARM stops the rollout and the alias goes back to the old version, as
 * CodeDeploy's auto-rollback does. Steps last `minuteMs` per configured minute (1 s by default).
 */
import type { AlarmBoard } from "./alarms";
import type { LambdaService } from "./lambda/service";
import type { LocalRollout } from "./model";
import { LIVE_ALIAS, WARMER_EVENT } from "../policy/contracts";

/** One step: the share of traffic the new version gets, and how many configured minutes it holds before the next. */
export interface RolloutStep {
  percent: number;
  minutes: number;
}

export interface LocalRolloutOutcome {
  group: string;
  functionName: string;
  result: "up-to-date" | "succeeded" | "rolled-back";
  from: number;
  to: number;
  message?: string;
}

/** The steps of a CodeDeploy Lambda deployment config (Canary10Percent5Minutes, Linear10PercentEvery1Minute, AllAtOnce). */
export function stepsOf(preference: string): RolloutStep[] {
  const canary = /^Canary(\d+)Percent(\d+)Minutes?$/.exec(preference);
  if (canary)
    return [
      { percent: Number(canary[1]), minutes: Number(canary[2]) },
      { percent: 100, minutes: 0 },
    ];
  const linear = /^Linear(\d+)PercentEvery(\d+)Minutes?$/.exec(preference);
  if (linear) {
    const [step, every] = [Number(linear[1]), Number(linear[2])];
    const steps: RolloutStep[] = [];
    for (let p = step; p < 100; p += step) steps.push({ percent: p, minutes: every });
    return [...steps, { percent: 100, minutes: 0 }];
  }
  if (preference === "AllAtOnce") return [{ percent: 100, minutes: 0 }];
  throw new Error(`${preference} is not a CodeDeploy Lambda deployment config`);
}

/** Rollouts that are running, by function name: a second one for the same function is refused. */
const running = new Map<LambdaService, Set<string>>();

export async function rehearseRollout(
  lambda: LambdaService,
  alarms: AlarmBoard,
  rollout: LocalRollout,
  options: { minuteMs?: number; log?: (line: string) => void } = {},
): Promise<LocalRolloutOutcome> {
  const log = options.log ?? (() => {});
  const minuteMs = options.minuteMs ?? 1000;
  const busy = running.get(lambda) ?? new Set<string>();
  running.set(lambda, busy);
  if (busy.has(rollout.functionName)) throw new Error(`a rollout of ${rollout.functionName} (group ${rollout.group}) is running already`);
  busy.add(rollout.functionName);
  try {
    const { latest: to, aliases } = lambda.versionsOf(rollout.functionName);
    const from = aliases[LIVE_ALIAS]?.version;
    if (from === undefined) throw new Error(`${rollout.functionName} has no ${LIVE_ALIAS} alias`);
    const outcome = (result: LocalRolloutOutcome["result"], message?: string): LocalRolloutOutcome => ({
      group: rollout.group,
      functionName: rollout.functionName,
      result,
      from,
      to,
      message,
    });
    if (from === to) return outcome("up-to-date");
    const back = (message: string) => {
      lambda.routeAlias(rollout.functionName, LIVE_ALIAS, { version: from });
      log(`${rollout.group}: rolled back to version ${from}: ${message}`);
      return outcome("rolled-back", message);
    };
    const firing = () => rollout.alarms.find((name) => alarms.stateOf(name) === "ALARM");
    if (firing()) return back(`alarm ${firing()} is in ALARM`);

    const smoke = await lambda.invoke(`${rollout.functionName}:${to}`, WARMER_EVENT, `rollout ${rollout.group} (pre-traffic)`);
    if (smoke.error)
      return back(`the new version failed its pre-traffic invocation: ${smoke.error.errorType}: ${smoke.error.errorMessage}`);

    for (const step of stepsOf(rollout.preference)) {
      lambda.routeAlias(
        rollout.functionName,
        LIVE_ALIAS,
        step.percent >= 100 ? { version: to } : { version: from, weighted: { version: to, share: step.percent / 100 } },
      );
      log(
        `${rollout.group}: version ${to} takes ${step.percent}%${step.minutes ? ` for ${step.minutes} min (${step.minutes * minuteMs} ms here)` : ""}`,
      );
      const until = Date.now() + step.minutes * minuteMs;
      for (;;) {
        const alarm = firing();
        if (alarm) return back(`alarm ${alarm} went into ALARM at ${step.percent}%`);
        if (Date.now() >= until) break;
        await new Promise((r) => setTimeout(r, Math.min(50, until - Date.now())));
      }
    }
    // The last step's alarms, once more: an error in the final moments still rolls back.
    const late = firing();
    if (late) return back(`alarm ${late} went into ALARM`);
    log(`${rollout.group}: version ${to} takes all traffic`);
    return outcome("succeeded");
  } finally {
    busy.delete(rollout.functionName);
  }
}
