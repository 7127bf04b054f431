import { ENV, ORIGIN_VERIFY_HEADER } from "../../policy/contracts";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { json } from "./http";

/**
 * node:crypto, required on first use rather than at init: loading it costs about 3 ms of every cold
 * start, which GET /health (no SDK, init within 1.2x an empty handler) cannot carry, and with the
 * check off it is never needed.
 */
let nodeCrypto: typeof import("crypto") | undefined;
const crypto = () => (nodeCrypto ??= require("crypto") as typeof import("crypto"));

/**
 * With the edge on, only CloudFront may call the API: it sends the origin secret in a header, and
 * the function knows only the secret's SHA-256 (ORIGIN_VERIFY_SHA256), so no secret sits in its
 * environment. Returns the 403 to send, or undefined to go on; with the variable unset the check is off.
 */
export function rejectUnlessFromEdge(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 | undefined {
  const expected = process.env[ENV.originVerifySha256];
  if (!expected) return undefined;
  const presented = event.headers?.[ORIGIN_VERIFY_HEADER];
  if (presented) {
    const { createHash, timingSafeEqual } = crypto();
    const actual = createHash("sha256").update(presented).digest();
    const wanted = Buffer.from(expected, "hex");
    // A malformed variable (not 64 hex digits) matches nothing: timingSafeEqual throws on unequal lengths.
    if (wanted.length === actual.length && timingSafeEqual(actual, wanted)) return undefined;
  }
  return json(403, { error: "forbidden: this API is reached through its CDN" });
}
