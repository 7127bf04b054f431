import { ENV } from "../policy/contracts";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { documentClient } from "./lib/dynamodb";
import { requireEnv } from "./lib/env";
import { json } from "./lib/http";
import { instrument } from "./lib/instrument";
import { isOrderId, Order, publicView } from "./lib/orders";

/** GET /orders/{orderId}: 200 with the order, 404 if unknown, 400 if the id is not a UUID. */
async function getOrder(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const orderId = event.pathParameters?.orderId;
  if (!isOrderId(orderId)) return json(400, { error: `orderId must be a lower-case UUID (got ${JSON.stringify(orderId ?? null)})` });
  const result = await documentClient().send(new GetCommand({ TableName: requireEnv(ENV.ordersTable), Key: { orderId } }));
  if (!result.Item) return json(404, { error: `order ${orderId} not found` });
  return json(200, publicView(result.Item as Order));
}

export const handler = instrument(getOrder, json(200, { status: "warm" }));
