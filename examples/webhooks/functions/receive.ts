import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "zod/mini";
import { requireEnv } from "../../../functions/lib/env";
import { errorResponse, HttpError, json, readJsonBody } from "../../../functions/lib/http";
import { instrument, metric } from "../../../functions/lib/instrument";
import { sqsClient } from "../../../functions/lib/sqs";
import { WEBHOOK_ENV } from "./contracts";

const payload = z.record(z.string(), z.unknown());

/** POST /webhooks/{source}: accepts a JSON payload from a known sender and queues it; 202, or 4xx naming the problem. */
async function receive(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    const source = event.pathParameters?.source ?? "";
    const sources = requireEnv(WEBHOOK_ENV.sources).split(",");
    if (!sources.includes(source)) throw new HttpError(404, `unknown webhook source "${source}"; sources: ${sources.join(", ")}`);
    const body = readJsonBody(event, payload);
    const id = event.requestContext.requestId;
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: requireEnv(WEBHOOK_ENV.queueUrl),
        MessageBody: JSON.stringify({ id, source, body, receivedAt: new Date().toISOString() }),
      }),
    );
    metric("WebhooksAccepted");
    return json(202, { id, status: "queued" });
  } catch (err) {
    if (err instanceof HttpError) return errorResponse(err);
    throw err;
  }
}

export const handler = instrument(receive, json(200, { status: "warm" }));
