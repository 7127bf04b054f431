import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { json } from "./lib/http";
import { LeanLogger } from "./lib/lean-logger";
import { instrumentWith } from "./lib/wrap";

/** The health function's logger: Powertools' JSON lines without Powertools (see LeanLogger). */
export const logger = new LeanLogger(process.env.SERVICE_NAME ?? "platform");

/** GET /health: 200 {"status":"ok"}. Loads no AWS SDK and no Powertools, so it stays small and starts fast. */
export const handler = instrumentWith(logger)<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(async () => json(200, { status: "ok" }), json(200, { status: "warm" }));
