/**
 * Where an API request's time goes in the local cloud, phase by phase, for `npm run bench:local`:
 * reading the request, routing and building the event, the hop to the container, the handler, the hop
 * back, mapping the response, and writing it. Off unless asked for (`npm start -- --profile`): the
 * clock reads cost little, but nothing is measured that nobody reads.
 */

/** The phases, in the order a request goes through them. */
export const PHASES = ["read", "route", "to container", "handler", "from container", "map", "write"] as const;
export type Phase = (typeof PHASES)[number];

/** Milliseconds since the epoch, comparable across threads (each thread's performance.now() has its own origin). */
export const clock = (): number => performance.timeOrigin + performance.now();

export class RequestProfile {
  private readonly totals = new Map<Phase, number>();
  private requests = 0;

  /** Adds one request's phases (milliseconds each). */
  add(phases: Partial<Record<Phase, number>>): void {
    this.requests++;
    for (const [phase, ms] of Object.entries(phases) as [Phase, number][])
      this.totals.set(phase, (this.totals.get(phase) ?? 0) + Math.max(0, ms));
  }

  /** Each phase's mean in microseconds and its share of the whole, over the requests since the last reset. */
  summary(): { requests: number; phases: { phase: Phase; meanUs: number; share: number }[] } {
    const total = [...this.totals.values()].reduce((a, b) => a + b, 0);
    return {
      requests: this.requests,
      phases: PHASES.map((phase) => {
        const sum = this.totals.get(phase) ?? 0;
        return { phase, meanUs: this.requests ? (1000 * sum) / this.requests : 0, share: total ? sum / total : 0 };
      }),
    };
  }

  reset(): void {
    this.totals.clear();
    this.requests = 0;
  }
}
