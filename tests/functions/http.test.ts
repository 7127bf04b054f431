import { createHash } from "crypto";
import { expect } from "chai";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { fieldPath, HttpError, json, MAX_BODY_BYTES, readJsonBody } from "../../functions/lib/http";
import { orderRequestSchema } from "../../functions/lib/order-request";

export function apiEvent(overrides: Partial<APIGatewayProxyEventV2> & { method?: string; path?: string } = {}): APIGatewayProxyEventV2 {
  const { method = "POST", path = "/orders", ...rest } = overrides;
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers: { "content-type": "application/json" },
    isBase64Encoded: false,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "r1",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: "",
      timeEpoch: 0,
    },
    ...rest,
  };
}

const VALID = { customerId: "c-1", items: [{ sku: "sku-1", quantity: 2 }] };

function statusOf(event: APIGatewayProxyEventV2): { status: number; message: string } {
  try {
    readJsonBody(event, orderRequestSchema);
  } catch (err) {
    if (err instanceof HttpError) return { status: err.statusCode, message: err.message };
    throw err;
  }
  return { status: 200, message: "" };
}

describe("request body validation", () => {
  it("accepts a valid order, also as base64 and with a charset", () => {
    expect(statusOf(apiEvent({ body: JSON.stringify(VALID) })).status).to.equal(200);
    expect(
      statusOf(
        apiEvent({
          body: Buffer.from(JSON.stringify(VALID)).toString("base64"),
          isBase64Encoded: true,
          headers: { "content-type": "application/json; charset=utf-8" },
        }),
      ).status,
    ).to.equal(200);
  });

  it("answers 415 for a non-JSON or missing content type", () => {
    expect(statusOf(apiEvent({ body: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } }))).to.deep.equal({
      status: 415,
      message: "content-type must be application/json (got application/x-www-form-urlencoded)",
    });
    expect(statusOf(apiEvent({ body: "{}", headers: {} }))).to.deep.equal({
      status: 415,
      message: "content-type must be application/json (got none)",
    });
  });

  it("answers JSON with its content type, the caller's headers added", () => {
    expect(json(201, { id: "a" })).to.deep.equal({ statusCode: 201, headers: { "content-type": "application/json" }, body: '{"id":"a"}' });
    expect(json(200, [], { "cache-control": "no-store" }).headers).to.deep.equal({
      "content-type": "application/json",
      "cache-control": "no-store",
    });
  });

  it("answers 413 for a body over 64 KiB, counting decoded bytes", () => {
    const big = JSON.stringify({ ...VALID, pad: "x".repeat(MAX_BODY_BYTES) });
    expect(statusOf(apiEvent({ body: big })).status).to.equal(413);
  });

  it("answers 400 for invalid JSON", () => {
    const result = statusOf(apiEvent({ body: "{not json" }));
    expect(result.status).to.equal(400);
    expect(result.message).to.match(/^body is not valid JSON/);
    // No body at all is the empty text, not some other text that fails to parse.
    expect(statusOf(apiEvent({ body: undefined })).message).to.equal("body is not valid JSON: Unexpected end of JSON input");
  });

  it("answers 400 naming the field path of a schema violation", () => {
    const cases: [unknown, string][] = [
      [{ items: VALID.items }, "customerId"],
      [{ ...VALID, customerId: "x".repeat(65) }, "customerId"],
      [{ ...VALID, items: [] }, "items"],
      [{ ...VALID, items: Array(51).fill(VALID.items[0]) }, "items"],
      [{ ...VALID, items: [{ sku: "", quantity: 1 }] }, "items[0].sku"],
      [{ ...VALID, items: [VALID.items[0], { sku: "a", quantity: 1.5 }] }, "items[1].quantity"],
      [{ ...VALID, items: [{ sku: "a", quantity: 1001 }] }, "items[0].quantity"],
      [[1, 2], "(body)"],
    ];
    for (const [body, path] of cases) {
      const result = statusOf(apiEvent({ body: JSON.stringify(body) }));
      expect(result.status, path).to.equal(400);
      expect(result.message.startsWith(`${path}: `), result.message).to.equal(true);
    }
  });

  it("formats zod paths as a reader writes them", () => {
    expect(fieldPath(["items", 3, "sku"])).to.equal("items[3].sku");
  });
});

describe("the origin check, with the edge on", () => {
  const SECRET_VALUE = "edge-origin-secret-value";
  afterEach(() => {
    delete process.env.ORIGIN_VERIFY_SHA256;
  });

  it("answers 403 to a request without the CDN's header, or with a wrong one, and lets the right one through", async () => {
    const { handler: health } = await import("../../functions/health");
    const { lambdaContext } = await import("./emulated");
    process.env.ORIGIN_VERIFY_SHA256 = createHash("sha256").update(SECRET_VALUE).digest("hex");
    const call = (headers: Record<string, string>) =>
      health(apiEvent({ method: "GET", path: "/health", headers }), lambdaContext("health")) as Promise<any>;
    expect((await call({})).statusCode).to.equal(403);
    expect(JSON.parse((await call({})).body).error).to.match(/CDN/);
    expect((await call({ "x-origin-verify": "wrong" })).statusCode).to.equal(403);
    expect((await call({ "x-origin-verify": SECRET_VALUE })).statusCode).to.equal(200);
  });

  it("answers 403, never throws, to a request without headers, an empty header, or when the variable is malformed", async () => {
    const { handler: health } = await import("../../functions/health");
    const { lambdaContext } = await import("./emulated");
    const call = (headers?: Record<string, string>) => {
      const event = apiEvent({ method: "GET", path: "/health", headers: headers ?? {} });
      if (!headers) delete (event as { headers?: unknown }).headers;
      return health(event, lambdaContext("health")) as Promise<any>;
    };
    // The hash of nothing: a missing or empty header must not pass as the empty secret.
    process.env.ORIGIN_VERIFY_SHA256 = createHash("sha256").update("").digest("hex");
    expect((await call()).statusCode).to.equal(403);
    expect((await call({})).statusCode).to.equal(403);
    expect((await call({ "x-origin-verify": "" })).statusCode).to.equal(403);
    process.env.ORIGIN_VERIFY_SHA256 = "abcd";
    expect((await call({ "x-origin-verify": SECRET_VALUE })).statusCode).to.equal(403);
  });

  it("is off when the edge is off", async () => {
    const { handler: health } = await import("../../functions/health");
    const { lambdaContext } = await import("./emulated");
    const reply = (await health(apiEvent({ method: "GET", path: "/health", headers: {} }), lambdaContext("health"))) as any;
    expect(reply.statusCode).to.equal(200);
  });
});
