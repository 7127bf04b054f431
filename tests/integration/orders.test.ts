/**
 * The reference app end to end, against a deployed stack (INTEGRATION_STACK) or the local cloud
 * (the default, and what `npm test` runs): the order flow, idempotency, every bad input, the
 * passthrough, and both DLQ paths with nothing lost. Tests that need fault injection or the local
 * stub backend are skipped, saying why, where the target does not allow them.
 */
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { eventually } from "../local/harness";
import { IntegrationTarget, integrationTarget } from "./target";

const ORDER = { customerId: "c-1", items: [{ sku: "SKU-1", quantity: 2 }] };

describe("integration: the orders app", function () {
  this.timeout(180_000);
  let target: IntegrationTarget;

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${target.url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const statusOf = async (orderId: string) =>
    ((await (await fetch(`${target.url}/orders/${orderId}`)).json()) as { status: string }).status;
  const depth = async (queueUrl: string) => {
    const { Attributes } = await target.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
  };
  const needsFaultInjection = (ctx: Mocha.Context) => {
    if (!target.faultInjection) {
      process.stdout.write(`      (skipped: stack ${target.name} has fault injection off, so the DLQ paths cannot be driven)\n`);
      ctx.skip();
    }
  };

  before(async () => {
    target = await integrationTarget();
  });
  after(async function () {
    try {
      // Least privilege the other way round: once every test has passed locally, no grant of the app's roles went unused.
      const all = this.test!.parent!.tests;
      if (target?.local && all.every((t) => t.state === "passed")) {
        const res = await fetch(`${target.local.state.lambdaEndpoint}/_local/iam/unused`);
        const { unused } = (await res.json()) as { unused: { functions: string[]; action: string; resource: string; sid?: string }[] };
        expect(
          unused.map((g) => `${g.functions.join(",")} ${g.action} ${g.resource} (${g.sid})`),
          "grants no test used",
        ).to.deep.equal([]);
      }
    } finally {
      await target?.stop();
    }
  });

  it("answers the health check with 200", async () => {
    const res = await fetch(`${target.url}/health`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ status: "ok" });
  });

  it("accepts an order with 202, then shows it processed", async () => {
    const res = await post(ORDER);
    expect(res.status).to.equal(202);
    const { orderId, status } = (await res.json()) as { orderId: string; status: string };
    expect(status).to.equal("accepted");
    await eventually(async () => ((await statusOf(orderId)) === "processed" ? true : undefined), `order ${orderId} to be processed`);
  });

  it("returns the same order for a retried Idempotency-Key, and 409 when the key is reused with another body", async () => {
    const headers = { "idempotency-key": `key-${Date.now()}` };
    const first = (await (await post(ORDER, headers)).json()) as { orderId: string };
    const retry = await post(ORDER, headers);
    expect(retry.status).to.equal(202);
    expect(((await retry.json()) as { orderId: string }).orderId).to.equal(first.orderId);
    const conflict = await post({ ...ORDER, items: [{ sku: "SKU-2", quantity: 1 }] }, headers);
    expect(conflict.status).to.equal(409);
  });

  it("answers each bad input with the status docs/architecture.md names and a JSON error", async () => {
    const cases: [string, Promise<Response>, number, RegExp][] = [
      ["invalid JSON", post("{not json"), 400, /JSON/i],
      ["schema violation", post({ customerId: "c", items: [{ sku: "A", quantity: 0 }] }), 400, /items\.0\.quantity|items\[0\]\.quantity/],
      ["body over 64 KiB", post({ customerId: "c", items: [{ sku: "A".repeat(70_000), quantity: 1 }] }), 413, /limit/],
      [
        "non-JSON content type",
        fetch(`${target.url}/orders`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }),
        415,
        /content-type/,
      ],
      ["malformed order id", fetch(`${target.url}/orders/not-a-uuid`), 400, /UUID/],
      ["unknown order id", fetch(`${target.url}/orders/00000000-0000-4000-8000-000000000000`), 404, /not found/],
    ];
    for (const [what, response, status, message] of cases) {
      const res = await response;
      expect(res.status, what).to.equal(status);
      expect(((await res.json()) as { error: string }).error, what).to.match(message);
    }
  });

  it("passes unmigrated paths through to the legacy backend, with method, path, query, headers and body", async function () {
    if (!target.local) {
      process.stdout.write(`      (skipped: stack ${target.name}'s legacy backend is not one this test controls)\n`);
      this.skip();
    }
    const res = await fetch(`${target.url}/legacy/reports/7?format=csv`, {
      method: "PUT",
      headers: { "x-caller": "test", "content-type": "text/plain" },
      body: "payload",
    });
    expect(res.status).to.equal(207);
    expect(res.headers.get("x-legacy")).to.equal("yes");
    expect(await res.text()).to.equal("legacy saw PUT /legacy/reports/7?format=csv");
    const seen = target.local!.legacyRequests.at(-1)!;
    expect(seen).to.include({ method: "PUT", url: "/legacy/reports/7?format=csv", body: "payload" });
    expect(seen.headers["x-caller"]).to.equal("test");
  });

  const accepted: string[] = [];
  const poison: string[] = [];

  it("accepts 200 concurrent orders, every one with 202", async () => {
    const faulty = (i: number) => target.faultInjection && i % 50 === 7;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post({ customerId: `load-${i}`, items: [{ sku: "SKU", quantity: 1 }] }, faulty(i) ? { "x-fault-inject": "processOrder" } : {}),
      ),
    );
    expect(responses.map((r) => r.status)).to.deep.equal(responses.map(() => 202));
    for (const [i, res] of responses.entries()) {
      const { orderId } = (await res.json()) as { orderId: string };
      accepted.push(orderId);
      if (faulty(i)) poison.push(orderId);
    }
  });

  it("loses nothing: every accepted order is processed or, after maxReceiveCount, in the orders DLQ", async function () {
    const dlqUrl: string = target.outputs.deadLetterQueues.orders.url;
    const inDlq = new Set<string>();
    if (target.faultInjection) {
      expect(poison).to.have.length(4);
      await eventually(async () => ((await depth(dlqUrl)) >= poison.length ? true : undefined), "the poison orders to reach the DLQ", 300);
      // Locally, the alarm the DLQ would fire is printed; it watches visible messages, so look before receiving them.
      if (target.local)
        await eventually(
          async () => (target.local!.cloud.lines.some((l) => l.startsWith("ALARM process-order-dlq")) ? true : undefined),
          "the orders DLQ alarm line",
        );
      for (let i = 0; i < 3 && inDlq.size < poison.length; i++) {
        const { Messages } = await target.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
        );
        for (const m of Messages ?? []) {
          const { orderId } = JSON.parse(m.Body!);
          if (poison.includes(orderId)) inDlq.add(orderId);
        }
      }
      expect([...inDlq].sort()).to.deep.equal([...poison].sort());
    }
    const processed = await eventually(async () => {
      const statuses = await Promise.all(accepted.filter((id) => !inDlq.has(id)).map(statusOf));
      return statuses.every((s) => s === "processed") ? statuses.length : undefined;
    }, "every good order to be processed");
    expect(processed + inDlq.size).to.equal(accepted.length);
  });

  it("retries a failing async dailyReport as configured, then puts Lambda's failure record in its DLQ", async function () {
    needsFaultInjection(this);
    const event = { faultInject: "dailyReport", marker: Date.now() };
    const functionName: string = target.outputs.functionNames.dailyReport;
    const accepted = await target.lambda.send(
      new InvokeCommand({ FunctionName: functionName, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(event)) }),
    );
    expect(accepted.StatusCode).to.equal(202);
    const dlqUrl: string = target.outputs.deadLetterQueues.dailyReport.url;
    const record = await eventually(
      async () => {
        const { Messages } = await target.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        return (Messages ?? []).map((m) => JSON.parse(m.Body!)).find((b) => b.requestPayload?.marker === event.marker);
      },
      "the failure record in the dailyReport DLQ",
      target.local ? 60 : 400,
    );
    expect(record.version).to.equal("1.0");
    expect(record.requestContext).to.include({ condition: "RetriesExhausted", approximateInvokeCount: 3 });
    expect(record.requestContext.functionArn).to.match(new RegExp(`:function:${functionName}:\\$LATEST$`));
    expect(record.requestPayload).to.deep.equal(event);
    expect(record.responsePayload).to.include({ errorType: "InjectedFault", errorMessage: "injected fault in dailyReport" });
    if (target.local) {
      const attempts = target.local.cloud.lines.filter((l) => l.startsWith(`λ ${functionName} invoke api (async`));
      expect(attempts.map((l) => l.match(/\(async( retry \d)?\)/)![0])).to.deep.equal(["(async)", "(async retry 1)", "(async retry 2)"]);
    }
  });

  it("runs dailyReport with its config and secret from the ConfigStore", async () => {
    const result = await target.lambda.send(
      new InvokeCommand({ FunctionName: target.outputs.functionNames.dailyReport, Payload: Buffer.from("{}") }),
    );
    expect(result.FunctionError).to.equal(undefined);
    const report = JSON.parse(Buffer.from(result.Payload!).toString());
    expect(report.title).to.match(/^Daily orders report/);
    expect(report.signature).to.match(/^[0-9a-f]{64}$/);
    expect(report.total).to.be.greaterThan(0);
  });
});
