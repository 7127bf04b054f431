import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import * as z from "zod/mini";

export const MAX_BODY_BYTES = 64 * 1024;

/** A JSON response in payload format 2.0. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/** A client error: answered with its status and `{"error": message}`, never as a 500. */
export class HttpError extends Error {
  constructor(
    public readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function errorResponse(err: HttpError): APIGatewayProxyStructuredResultV2 {
  return json(err.statusCode, { error: err.message });
}

/** Header lookup; payload 2.0 lower-cases names, but a direct invoke may not. */
export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const type = value.split(";")[0].trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/** "items[0].quantity" from zod's ["items", 0, "quantity"]. */
export function fieldPath(path: PropertyKey[]): string {
  return (
    path.reduce<string>(
      (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
      "",
    ) || "(body)"
  );
}

/**
 * Reads and validates a JSON request body, in the order a client can act on:
 * 415 for a non-JSON content type, 413 over `maxBytes`, 400 for invalid JSON, 400 naming the first bad field.
 */
export function readJsonBody<T extends z.ZodMiniType>(event: APIGatewayProxyEventV2, schema: T, maxBytes = MAX_BODY_BYTES): z.infer<T> {
  const contentType = header(event, "content-type");
  if (!isJsonContentType(contentType)) throw new HttpError(415, `content-type must be application/json (got ${contentType ?? "none"})`);
  const raw = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
  if (raw.length > maxBytes) throw new HttpError(413, `body is ${raw.length} bytes; the limit is ${maxBytes}`);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw new HttpError(400, `body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = z.safeParse(schema, value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, `${fieldPath(issue.path)}: ${issue.message}`);
  }
  return parsed.data;
}
