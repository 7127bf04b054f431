/**
 * The string contracts between the infrastructure and the code it runs, each with one home. Components,
 * handlers and policies all import them from here. The file lives in the policy pack because a
 * published pack carries only its own folder, so the pack cannot import from anywhere else; it imports
 * nothing itself, so handlers can bundle it for free.
 */

/** Environment variables the program sets and the handlers read. */
export const ENV = {
  /** The service name every log line carries. */
  serviceName: "SERVICE_NAME",
  /** The stack the function belongs to. */
  stack: "STACK",
  /** "on" lets a request header make processOrder or dailyReport fail on purpose; never on in prod. */
  faultInjection: "FAULT_INJECTION",
  /** SHA-256 of the secret header only CloudFront sends, set only when the edge is on. */
  originVerifySha256: "ORIGIN_VERIFY_SHA256",
  /** The orders table's name. */
  ordersTable: "ORDERS_TABLE",
  /** The orders queue's URL. */
  ordersQueueUrl: "ORDERS_QUEUE_URL",
  /** The ConfigStore bucket and the key of the stack's config document in it. */
  configBucket: "CONFIG_BUCKET",
  configKey: "CONFIG_KEY",
  /** The rollout hook's smoke events, as JSON: { "<function name>": <event> }; others get the warm-up event. */
  rolloutSmokeEvents: "ROLLOUT_SMOKE_EVENTS",
  /** Seconds a warm container keeps the config document before fetching it again. */
  configTtlSeconds: "CONFIG_TTL_SECONDS",
} as const;

/** The header CloudFront adds to every request to the API, carrying the origin secret. */
export const ORIGIN_VERIFY_HEADER = "x-origin-verify";

/** The event a Warmer sends; handlers return before any work when they receive it. */
export const WARMER_EVENT = { warmer: true } as const;
/** The warm-up event as EventBridge's target `input` carries it. */
export const WARMER_INPUT = JSON.stringify(WARMER_EVENT);

/** Whether `event` is the warm-up event. */
export function isWarmupEvent(event: unknown): boolean {
  return typeof event === "object" && event !== null && (event as { warmer?: unknown }).warmer === WARMER_EVENT.warmer;
}

/** The Lambda runtimes the platform runs, newest first; the policy pack refuses any other. */
export const NODE_RUNTIMES = ["nodejs22.x", "nodejs20.x"] as const;

/** How long a dead-letter queue keeps a message: 14 days, the SQS maximum, longer than any source queue keeps one. */
export const DLQ_RETENTION_SECONDS = 1209600;

/** The alias every trigger invokes a function through: it moves to a new version only as a rollout allows. */
export const LIVE_ALIAS = "live";

/**
 * The nine deployment configurations CodeDeploy offers for Lambda, as SAM's DeploymentPreference names
 * them; CodeDeploy's own name is `CodeDeployDefault.Lambda<name>`.
 */
export const DEPLOYMENT_PREFERENCES = [
  "AllAtOnce",
  "Canary10Percent5Minutes",
  "Canary10Percent10Minutes",
  "Canary10Percent15Minutes",
  "Canary10Percent30Minutes",
  "Linear10PercentEvery1Minute",
  "Linear10PercentEvery2Minutes",
  "Linear10PercentEvery3Minutes",
  "Linear10PercentEvery10Minutes",
] as const;
export type DeploymentPreference = (typeof DEPLOYMENT_PREFERENCES)[number];

/** CodeDeploy's name for a deployment preference. */
export function codeDeployConfigName(preference: DeploymentPreference): string {
  return `CodeDeployDefault.Lambda${preference}`;
}
