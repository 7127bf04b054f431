import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { json } from "./lib/http";
import { instrument } from "./lib/instrument";

/** GET /health: 200 {"status":"ok"}. Loads no AWS SDK, so it stays small and starts fast. */
export const handler = instrument<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(
  async () => json(200, { status: "ok" }),
  json(200, { status: "warm" }),
);
