import { createHmac } from "crypto";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { ReceiveMessageCommand, PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import type { APIGatewayProxyStructuredResultV2, SQSEvent } from "aws-lambda";
import { handler as createOrder } from "../../functions/createOrder";
import { handler as dailyReport } from "../../functions/dailyReport";
import { handler as getOrder } from "../../functions/getOrder";
import { handler as health } from "../../functions/health";
import { handler as processOrder } from "../../functions/processOrder";
import { Backends, backends, lambdaContext } from "./emulated";
import { apiEvent } from "./http.test";

const ORDER = { customerId: "c-42", items: [{ sku: "sku-1", quantity: 3 }] };

async function post(body: unknown, headers: Record<string, string> = {}): Promise<APIGatewayProxyStructuredResultV2> {
  return createOrder(
    apiEvent({ body: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } }),
    lambdaContext("create-order"),
  );
}

async function get(orderId: string): Promise<{ statusCode: number; body: any }> {
  const res = await getOrder(
    apiEvent({ method: "GET", path: `/orders/${orderId}`, pathParameters: { orderId }, body: undefined }),
    lambdaContext("get-order"),
  );
  return { statusCode: res.statusCode!, body: JSON.parse(res.body!) };
}

async function drain(b: Backends): Promise<SQSEvent> {
  const { Messages = [] } = await b.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: b.queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], WaitTimeSeconds: 0 }),
  );
  return {
    Records: Messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: { ApproximateReceiveCount: "1" } as any,
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType! }]),
      ) as any,
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:orders-test",
      awsRegion: "us-east-1",
    })),
  };
}

describe("the orders handlers, against local DynamoDB and SQS emulators", () => {
  let b: Backends;
  before(async () => {
    b = await backends();
  });
  beforeEach(async () => {
    await b.sqs.send(new PurgeQueueCommand({ QueueUrl: b.queueUrl }));
    process.env.FAULT_INJECTION = "on";
  });

  it("GET /health answers 200 ok, and a warm-up returns before any work", async () => {
    const res = await health(apiEvent({ method: "GET", path: "/health" }), lambdaContext("health"));
    expect(res).to.deep.include({ statusCode: 200, body: JSON.stringify({ status: "ok" }) });
    const warm = await health({ warmer: true } as any, lambdaContext("health"));
    expect(JSON.parse(warm.body!)).to.deep.equal({ status: "warm" });
  });

  it("accepts an order with 202, stores it as accepted and enqueues it", async () => {
    const res = await post(ORDER);
    expect(res.statusCode).to.equal(202);
    const { orderId, status } = JSON.parse(res.body!);
    expect(status).to.equal("accepted");
    expect((await get(orderId)).body).to.deep.include({ orderId, status: "accepted", customerId: "c-42" });
    const event = await drain(b);
    expect(event.Records.map((r) => JSON.parse(r.body))).to.deep.equal([{ orderId }]);
  });

  it("answers each bad input with its status and a JSON error, never a 500", async () => {
    const cases: [Record<string, string>, string, number][] = [
      [{}, "{oops", 400],
      [{}, JSON.stringify({ customerId: "", items: [] }), 400],
      [{}, JSON.stringify({ ...ORDER, pad: "y".repeat(70000) }), 413],
      [{ "content-type": "text/plain" }, JSON.stringify(ORDER), 415],
    ];
    for (const [headers, body, status] of cases) {
      const res = await createOrder(
        apiEvent({ body, headers: { "content-type": "application/json", ...headers } }),
        lambdaContext("create-order"),
      );
      expect(res.statusCode, body.slice(0, 30)).to.equal(status);
      expect(JSON.parse(res.body!).error).to.be.a("string");
    }
  });

  it("returns the same order for a retry with the same Idempotency-Key, and stores it once", async () => {
    const first = JSON.parse((await post(ORDER, { "idempotency-key": "retry-me-1" })).body!);
    const second = await post(ORDER, { "Idempotency-Key": "retry-me-1" });
    expect(second.statusCode).to.equal(202);
    expect(JSON.parse(second.body!).orderId).to.equal(first.orderId);
    const other = JSON.parse((await post(ORDER, { "idempotency-key": "retry-me-2" })).body!);
    expect(other.orderId).to.not.equal(first.orderId);
  });

  it("rejects a reused Idempotency-Key with a different body (409) and a malformed key (400)", async () => {
    await post(ORDER, { "idempotency-key": "reuse-1" });
    const conflict = await post({ ...ORDER, items: [{ sku: "other", quantity: 1 }] }, { "idempotency-key": "reuse-1" });
    expect(conflict.statusCode).to.equal(409);
    const malformed = await post(ORDER, { "idempotency-key": "has space" });
    expect(malformed.statusCode).to.equal(400);
  });

  it("GET /orders/{orderId}: 400 for a malformed id, 404 for an unknown one", async () => {
    expect((await get("not-a-uuid")).statusCode).to.equal(400);
    const unknown = await get("00000000-0000-4000-8000-000000000000");
    expect(unknown).to.deep.equal({ statusCode: 404, body: { error: "order 00000000-0000-4000-8000-000000000000 not found" } });
  });

  it("processOrder marks queued orders processed", async () => {
    const { orderId } = JSON.parse((await post(ORDER)).body!);
    const result = await processOrder(await drain(b), lambdaContext("process-order"));
    expect(result.batchItemFailures).to.deep.equal([]);
    expect((await get(orderId)).body.status).to.equal("processed");
  });

  it("processOrder reports only the failing message of a batch as a partial failure", async () => {
    const good = JSON.parse((await post(ORDER)).body!).orderId;
    await post(ORDER, { "x-fault-inject": "processOrder" });
    const event = await drain(b);
    expect(event.Records).to.have.length(2);
    const poison = event.Records.find((r) => r.messageAttributes.faultInject)!;
    const result = await processOrder(event, lambdaContext("process-order"));
    expect(result.batchItemFailures).to.deep.equal([{ itemIdentifier: poison.messageId }]);
    expect((await get(good)).body.status).to.equal("processed");
  });

  it("ignores the fault header where fault injection is off", async () => {
    process.env.FAULT_INJECTION = "off";
    await post(ORDER, { "x-fault-inject": "processOrder" });
    const event = await drain(b);
    expect(event.Records[0].messageAttributes.faultInject).to.equal(undefined);
    expect((await processOrder(event, lambdaContext("process-order"))).batchItemFailures).to.deep.equal([]);
  });

  it("dailyReport counts orders by status, and fails on purpose when asked", async () => {
    const report = await dailyReport({}, lambdaContext("daily-report"));
    expect(report.total).to.be.greaterThan(0);
    expect(report.total).to.equal(Object.values(report.byStatus).reduce((a, n) => a + n, 0));
    expect(report.byStatus.processed).to.be.greaterThan(0);
    expect(report.title).to.equal("Test report");
    const expected = createHmac("sha256", "test-signing-key-0123456789")
      .update(JSON.stringify({ total: report.total, byStatus: report.byStatus }))
      .digest("hex");
    expect(report.signature).to.equal(expected);
    let failed: Error | undefined;
    try {
      await dailyReport({ faultInject: "dailyReport" }, lambdaContext("daily-report"));
    } catch (err) {
      failed = err as Error;
    }
    expect(failed?.message).to.equal("injected fault in dailyReport");
  });

  it("dailyReport counts an order without a status as unknown", async () => {
    const before = await dailyReport({}, lambdaContext("daily-report"));
    for (const orderId of ["no-status-1", "no-status-2"])
      await b.dynamodb.send(new PutItemCommand({ TableName: b.table, Item: { orderId: { S: orderId } } }));
    const after = await dailyReport({}, lambdaContext("daily-report"));
    expect(after.total).to.equal(before.total + 2);
    expect(after.byStatus.unknown).to.equal((before.byStatus.unknown ?? 0) + 2);
    expect(after.byStatus).to.not.have.property("");
  });
});
