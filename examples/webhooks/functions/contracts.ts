/** The environment variables the webhooks program sets and its handlers read: one home for both sides. */
export const WEBHOOK_ENV = {
  /** The webhooks queue's URL. */
  queueUrl: "WEBHOOKS_QUEUE_URL",
  /** The table that keeps every webhook, by id. */
  table: "WEBHOOKS_TABLE",
  /** The accepted sources, comma-separated. */
  sources: "WEBHOOK_SOURCES",
} as const;
