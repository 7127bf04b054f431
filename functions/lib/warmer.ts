/** Recognises the warm-up payload the Warmer component sends (`{"warmer": true}`). */
export function isWarmup(event: unknown): boolean {
  return typeof event === "object" && event !== null && (event as { warmer?: unknown }).warmer === true;
}
