/**
 * Deterministic fault injection for driving the failure paths in tests. Only active when the stack
 * sets FAULT_INJECTION=on (dev and local; a policy forbids it in prod).
 */
import { ENV } from "../../policy/contracts";

export type FaultTarget = "processOrder" | "dailyReport";

export const FAULT_HEADER = "x-fault-inject";

export function faultInjectionEnabled(): boolean {
  return process.env[ENV.faultInjection] === "on";
}

/** Whether `requested` (a header or event field) asks `target` to fail, and injection is on. */
export function shouldFail(target: FaultTarget, requested: unknown): boolean {
  return faultInjectionEnabled() && requested === target;
}

export class InjectedFault extends Error {
  constructor(target: FaultTarget) {
    super(`injected fault in ${target}`);
    this.name = "InjectedFault";
  }
}
