import { ENV } from "../policy/contracts";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { documentClient } from "./lib/dynamodb";
import { requireEnv } from "./lib/env";
import { sqsClient } from "./lib/sqs";
import { FAULT_HEADER, faultInjectionEnabled } from "./lib/faults";
import { errorResponse, header, HttpError, json, readJsonBody } from "./lib/http";
import { instrument, logger, metric } from "./lib/instrument";
import { orderRequestSchema } from "./lib/order-request";
import { isValidIdempotencyKey, Order, orderIdFor, requestHash } from "./lib/orders";

/**
 * POST /orders: store the order as `accepted`, enqueue it, answer 202. With an Idempotency-Key a
 * retry returns the same order; if that order is still `accepted` it is enqueued again, because
 * the first attempt may have stored it and failed before enqueueing (the worker is idempotent).
 */
async function createOrder(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    const request = readJsonBody(event, orderRequestSchema);
    const key = header(event, "idempotency-key");
    if (key !== undefined && !isValidIdempotencyKey(key))
      throw new HttpError(400, "Idempotency-Key must be 1 to 128 visible ASCII characters");
    const fault = faultInjectionEnabled() ? header(event, FAULT_HEADER) : undefined;
    const order: Order = {
      ...request,
      orderId: orderIdFor(request.customerId, key),
      status: "accepted",
      createdAt: new Date().toISOString(),
      requestHash: requestHash(request),
      ...(fault ? { faultInject: fault } : {}),
    };
    const table = requireEnv(ENV.ordersTable);
    const stored = await putOnce(table, order);
    if (stored.requestHash !== order.requestHash)
      throw new HttpError(409, "Idempotency-Key was already used with a different request body");
    if (stored.status === "accepted") await enqueue(stored);
    if (stored === order) metric("OrdersAccepted");
    logger.info("order accepted", { orderId: stored.orderId, enqueued: stored.status === "accepted" });
    return json(202, { orderId: stored.orderId, status: "accepted" }, { location: `/orders/${stored.orderId}` });
  } catch (err) {
    if (err instanceof HttpError) return errorResponse(err);
    throw err;
  }
}

/** Writes the order unless one with its id exists; returns whichever order is stored. */
async function putOnce(table: string, order: Order): Promise<Order> {
  try {
    await documentClient().send(new PutCommand({ TableName: table, Item: order, ConditionExpression: "attribute_not_exists(orderId)" }));
    return order;
  } catch (err) {
    if ((err as Error).name !== "ConditionalCheckFailedException") throw err;
    const existing = await documentClient().send(
      new GetCommand({ TableName: table, Key: { orderId: order.orderId }, ConsistentRead: true }),
    );
    return existing.Item as Order;
  }
}

async function enqueue(order: Order): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: requireEnv(ENV.ordersQueueUrl),
      MessageBody: JSON.stringify({ orderId: order.orderId }),
      MessageAttributes: order.faultInject ? { faultInject: { DataType: "String", StringValue: order.faultInject } } : undefined,
    }),
  );
}

export const handler = instrument(createOrder, json(200, { status: "warm" }));
