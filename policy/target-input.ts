/**
 * The constant input of an EventBridge target, as EventBridge and EventBridge Scheduler read it. A rule's
 * target `input` must be valid JSON text (Target.Input, EventBridge API Reference; PutTargets refuses
 * other text: "Input for target … is not a valid JSON text"). A Scheduler schedule's input may be any
 * text, except for its templated Lambda, Step Functions and EventBridge targets, which need well-formed
 * JSON (Target.Input, EventBridge Scheduler API Reference). One rule for the policy pack and the local
 * cloud, so `pulumi preview` refuses what `pulumi up` would fail on and `npm start` does too.
 */

/** The Scheduler's templated targets whose input must be JSON, by the service of the target's ARN. */
const JSON_ONLY_SCHEDULER_TARGETS = new Set(["lambda", "states", "events"]);

/**
 * Why AWS would refuse this target's input, or undefined. `scheduler`: the target is a Scheduler
 * schedule's (else a rule's); `property` names where the program sets the input.
 */
export function targetInputProblem(input: unknown, targetArn: unknown, scheduler: boolean, property: string): string | undefined {
  if (input === undefined || input === null) return undefined;
  const service = typeof targetArn === "string" ? targetArn.split(":")[2] : undefined;
  if (scheduler && !JSON_ONLY_SCHEDULER_TARGETS.has(service ?? "")) return undefined;
  if (typeof input === "string") {
    try {
      JSON.parse(input);
      return undefined;
    } catch {
      // Not JSON: said below.
    }
  }
  const shown = typeof input === "string" ? JSON.stringify(input) : `of type ${typeof input}`;
  return scheduler
    ? `its ${property} ${shown} is not valid JSON text, which the Scheduler's templated ${service} target requires (CreateSchedule refuses it)`
    : `its ${property} ${shown} is not valid JSON text, which an EventBridge target requires (PutTargets refuses it: "Input for target … is not a valid JSON text")`;
}
