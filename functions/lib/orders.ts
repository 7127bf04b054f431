import { createHash, randomUUID } from "crypto";
import type { OrderRequest } from "./order-request";

export const ORDER_STATUSES = ["accepted", "processed"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface Order extends OrderRequest {
  orderId: string;
  status: OrderStatus;
  createdAt: string;
  processedAt?: string;
  /** SHA-256 of the request that created it, to detect a reused Idempotency-Key. */
  requestHash: string;
  /** Set when the request asked for an injected fault, so the worker can honour it. */
  faultInject?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export function isOrderId(value: string | undefined): value is string {
  return typeof value === "string" && UUID.test(value);
}

export function isValidIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY.test(key);
}

export function requestHash(request: OrderRequest): string {
  return createHash("sha256").update(JSON.stringify(request)).digest("hex");
}

/**
 * The order id: random, or, with an Idempotency-Key, derived from the customer and key, so a
 * retry lands on the same item and a conditional write turns it into a read.
 */
export function orderIdFor(customerId: string, idempotencyKey?: string): string {
  if (!idempotencyKey) return randomUUID();
  const hex = createHash("sha256").update(`${customerId}\n${idempotencyKey}`).digest("hex");
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What GET /orders/{orderId} shows of an order. */
export function publicView(order: Order): Omit<Order, "requestHash" | "faultInject"> {
  const { requestHash: _hash, faultInject: _fault, ...view } = order;
  return view;
}
