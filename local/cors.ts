/**
 * An HTTP API's CORS configuration, applied as API Gateway applies it ("Configuring CORS for an HTTP
 * API", API Gateway Developer Guide): a preflight (OPTIONS with Origin and Access-Control-Request-Method)
 * is answered by API Gateway itself, whether or not a route matches; an actual request's response gets
 * the configured headers, and the integration's own CORS headers are ignored.
 */
import type { LocalCors } from "./model";

type Headers = [string, string][];

/** Whether an origin is allowed: `*`, an exact origin, or one with a `*` wildcard (`https://*.example.com`). */
export function originAllowed(cors: LocalCors, origin: string): boolean {
  return cors.allowOrigins.some((allowed) => {
    if (allowed === "*") return true;
    if (!allowed.includes("*")) return allowed.toLowerCase() === origin.toLowerCase();
    const pattern = allowed
      .toLowerCase()
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*");
    return new RegExp(`^${pattern}$`).test(origin.toLowerCase());
  });
}

/** The value of Access-Control-Allow-Origin: `*` when any origin is allowed without credentials, else the request's origin. */
function allowOrigin(cors: LocalCors, origin: string): string {
  return cors.allowOrigins.includes("*") && !cors.allowCredentials ? "*" : origin;
}

/** Whether a request is a CORS preflight. */
export function isPreflight(method: string | undefined, headers: Record<string, string | string[] | undefined>): boolean {
  return method === "OPTIONS" && !!headers.origin && !!headers["access-control-request-method"];
}

/** API Gateway's own answer to a preflight: 204, with the configured headers when the origin is allowed. */
export function preflightHeaders(cors: LocalCors, origin: string): Headers {
  if (!originAllowed(cors, origin)) return [];
  const headers: Headers = [["access-control-allow-origin", allowOrigin(cors, origin)]];
  if (cors.allowMethods.length) headers.push(["access-control-allow-methods", cors.allowMethods.join(",")]);
  if (cors.allowHeaders.length) headers.push(["access-control-allow-headers", cors.allowHeaders.join(",")]);
  if (cors.maxAge !== undefined) headers.push(["access-control-max-age", String(cors.maxAge)]);
  if (cors.allowCredentials) headers.push(["access-control-allow-credentials", "true"]);
  return headers;
}

/** An actual response's headers: the integration's CORS headers dropped, the configured ones added for an allowed origin. */
export function responseHeaders(cors: LocalCors, origin: string | undefined, headers: Headers): Headers {
  const kept = headers.filter(([name]) => !name.toLowerCase().startsWith("access-control-"));
  if (!origin || !originAllowed(cors, origin)) return kept;
  kept.push(["access-control-allow-origin", allowOrigin(cors, origin)]);
  if (cors.exposeHeaders.length) kept.push(["access-control-expose-headers", cors.exposeHeaders.join(",")]);
  if (cors.allowCredentials) kept.push(["access-control-allow-credentials", "true"]);
  return kept;
}
