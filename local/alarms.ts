/**
 * The graph's CloudWatch alarms, evaluated locally on the events the local cloud sees: a count
 * metric (a function error, an API 5xx) fires an alarm whose threshold it reaches within the
 * alarm's period; a gauge (a queue's depth) fires while it is at or above the threshold.
 */
import type { Reporter } from "./console";
import type { LocalAlarm } from "./model";

interface State {
  alarm: LocalAlarm;
  state: "OK" | "ALARM";
  events: number[];
}

export class AlarmBoard {
  private readonly states: State[];
  private readonly timer: NodeJS.Timeout;

  constructor(
    alarms: LocalAlarm[],
    private readonly reporter: Reporter,
  ) {
    this.states = alarms.map((alarm) => ({ alarm, state: "OK", events: [] }));
    // Count alarms return to OK once a whole period passes below the threshold.
    this.timer = setInterval(() => this.settle(), 1000);
    this.timer.unref();
  }

  /** The alarms watching `metricName` in `namespace` whose dimensions all match `dimensions`. */
  watching(namespace: string, metricName: string, dimensions: Record<string, string>): LocalAlarm[] {
    return this.matching(namespace, metricName, dimensions).map((s) => s.alarm);
  }

  count(namespace: string, metricName: string, dimensions: Record<string, string>, reason: string): void {
    const now = Date.now();
    for (const s of this.matching(namespace, metricName, dimensions)) {
      s.events.push(now);
      s.events = s.events.filter((t) => now - t < s.alarm.periodSeconds * 1000);
      if (s.state === "OK" && s.events.length >= s.alarm.threshold) this.transition(s, "ALARM", reason);
    }
  }

  gauge(namespace: string, metricName: string, dimensions: Record<string, string>, value: number): void {
    for (const s of this.matching(namespace, metricName, dimensions)) {
      const breaching = value >= s.alarm.threshold;
      if (breaching && s.state === "OK") this.transition(s, "ALARM", `${metricName} is ${value} (threshold ${s.alarm.threshold})`);
      else if (!breaching && s.state === "ALARM") this.transition(s, "OK", `${metricName} is ${value}`);
    }
  }

  stateOf(name: string): "OK" | "ALARM" | undefined {
    return this.states.find((s) => s.alarm.name === name)?.state;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private matching(namespace: string, metricName: string, dimensions: Record<string, string>): State[] {
    return this.states.filter(
      (s) =>
        s.alarm.namespace === namespace &&
        s.alarm.metricName === metricName &&
        Object.entries(s.alarm.dimensions).every(([k, v]) => dimensions[k] === v),
    );
  }

  private settle(): void {
    const now = Date.now();
    for (const s of this.states) {
      if (s.state !== "ALARM" || s.events.length === 0) continue;
      s.events = s.events.filter((t) => now - t < s.alarm.periodSeconds * 1000);
      if (s.events.length < s.alarm.threshold)
        this.transition(s, "OK", `below ${s.alarm.threshold} ${s.alarm.metricName} in ${s.alarm.periodSeconds} s`);
    }
  }

  private transition(s: State, state: "OK" | "ALARM", reason: string): void {
    s.state = state;
    this.reporter.alarm(s.alarm.name, state, state === "ALARM" && s.alarm.description ? `${reason}. ${s.alarm.description}` : reason);
  }
}
