/**
 * End to end, against `npm start`'s own entry point on free ports: the reference app's order flow,
 * its bad-input answers, the legacy passthrough, both DLQ paths with nothing lost, and a clean stop.
 */
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import type { LocalCloudState } from "../../local/cloud";
import { resolveLocalhostSubdomains } from "../../local/localhost-dns";
import { eventually, freePort, ROOT, runToEnd, StartedCloud, startCloud } from "./harness";

const STATE_FILE = path.join(ROOT, ".build", "local", "dev", "state.json");
const ORDER = { customerId: "c-1", items: [{ sku: "SKU-1", quantity: 2 }] };

interface LegacyRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe("npm start: the reference app on the local cloud, end to end", function () {
  this.timeout(180_000);
  let cloud: StartedCloud;
  let legacy: http.Server;
  const legacyRequests: LegacyRequest[] = [];
  let state: LocalCloudState;
  let sqs: SQSClient;

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${cloud.url}/orders`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const statusOf = async (orderId: string) => ((await (await fetch(`${cloud.url}/orders/${orderId}`)).json()) as { status: string }).status;
  const depth = async (queueUrl: string) => {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
    return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
  };

  before(async () => {
    resolveLocalhostSubdomains();
    legacy = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        legacyRequests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.writeHead(207, { "content-type": "text/plain", "x-legacy": "yes" });
        res.end(`legacy saw ${req.method} ${req.url}`);
      });
    });
    await new Promise<void>((resolve) => legacy.listen(0, "127.0.0.1", resolve));
    const legacyOrigin = `http://127.0.0.1:${(legacy.address() as net.AddressInfo).port}`;
    cloud = await startCloud(["--stack", "dev", "--config", `legacyOrigin=${legacyOrigin}`], await freePort());
    state = JSON.parse(fs.readFileSync(STATE_FILE, "utf8"));
    sqs = new SQSClient({ endpoint: state.environment.AWS_ENDPOINT_URL_SQS, region: state.environment.AWS_REGION, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  });

  after(async () => {
    sqs?.destroy();
    if (cloud && cloud.child.exitCode === null) await cloud.stop();
    await new Promise((resolve) => legacy.close(resolve));
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

  it("answers each bad input with the status DESIGN.md names and a JSON error", async () => {
    const cases: [string, Promise<Response>, number, RegExp][] = [
      ["invalid JSON", post("{not json"), 400, /JSON/i],
      ["schema violation", post({ customerId: "c", items: [{ sku: "A", quantity: 0 }] }), 400, /items\.0\.quantity|items\[0\]\.quantity/],
      ["body over 64 KiB", post({ customerId: "c", items: [{ sku: "A".repeat(70_000), quantity: 1 }] }), 413, /limit/],
      ["non-JSON content type", fetch(`${cloud.url}/orders`, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }), 415, /content-type/],
      ["malformed order id", fetch(`${cloud.url}/orders/not-a-uuid`), 400, /UUID/],
      ["unknown order id", fetch(`${cloud.url}/orders/00000000-0000-4000-8000-000000000000`), 404, /not found/],
    ];
    for (const [what, response, status, message] of cases) {
      const res = await response;
      expect(res.status, what).to.equal(status);
      expect(((await res.json()) as { error: string }).error, what).to.match(message);
    }
  });

  it("passes unmigrated paths through to the legacy backend, with method, path, query, headers and body", async () => {
    const res = await fetch(`${cloud.url}/legacy/reports/7?format=csv`, { method: "PUT", headers: { "x-caller": "test", "content-type": "text/plain" }, body: "payload" });
    expect(res.status).to.equal(207);
    expect(res.headers.get("x-legacy")).to.equal("yes");
    expect(await res.text()).to.equal("legacy saw PUT /legacy/reports/7?format=csv");
    const seen = legacyRequests.at(-1)!;
    expect(seen).to.include({ method: "PUT", url: "/legacy/reports/7?format=csv", body: "payload" });
    expect(seen.headers["x-caller"]).to.equal("test");
  });

  const accepted: string[] = [];
  const poison: string[] = [];

  it("accepts 200 concurrent orders, every one with 202", async () => {
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post({ customerId: `load-${i}`, items: [{ sku: "SKU", quantity: 1 }] }, i % 50 === 7 ? { "x-fault-inject": "processOrder" } : {})),
    );
    expect(responses.map((r) => r.status)).to.deep.equal(responses.map(() => 202));
    for (const [i, res] of responses.entries()) {
      const { orderId } = (await res.json()) as { orderId: string };
      accepted.push(orderId);
      if (i % 50 === 7) poison.push(orderId);
    }
    expect(poison).to.have.length(4);
  });

  it("loses nothing: every accepted order is processed or, after maxReceiveCount, in the orders DLQ, and its alarm fires", async () => {
    const dlqUrl: string = state.outputs.deadLetterQueues.orders.url;
    expect(dlqUrl).to.match(/^http:\/\/sqs\.eu-west-1\.localhost:\d+\//);
    await eventually(async () => ((await depth(dlqUrl)) >= poison.length ? true : undefined), "the poison orders to reach the DLQ", 300);
    // The alarm watches visible messages: look for it before this test receives them.
    await eventually(async () => (cloud.lines.some((l) => l.startsWith("ALARM process-order-dlq")) ? true : undefined), "the orders DLQ alarm line");
    const inDlq = new Set<string>();
    for (let i = 0; i < 3 && inDlq.size < poison.length; i++) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
      for (const m of Messages ?? []) inDlq.add(JSON.parse(m.Body!).orderId);
    }
    expect([...inDlq].sort()).to.deep.equal([...poison].sort());
    const processed = await eventually(async () => {
      const statuses = await Promise.all(accepted.filter((id) => !inDlq.has(id)).map(statusOf));
      return statuses.every((s) => s === "processed") ? statuses.length : undefined;
    }, "every good order to be processed");
    expect(processed + inDlq.size).to.equal(accepted.length);
  });

  it("retries a failing async dailyReport as configured, then puts Lambda's failure record in its DLQ", async () => {
    const eventFile = path.join(ROOT, ".build", "local", "daily-report-fault.json");
    const event = { faultInject: "dailyReport", marker: Date.now() };
    fs.writeFileSync(eventFile, JSON.stringify(event));
    const invoked = await runToEnd("invoke.ts", ["daily-report", "--event", eventFile, "--async"]);
    expect(invoked.code, invoked.stderr).to.equal(0);
    const dlqUrl: string = state.outputs.deadLetterQueues.dailyReport.url;
    const record = await eventually(async () => {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      const bodies = (Messages ?? []).map((m) => JSON.parse(m.Body!));
      return bodies.find((b) => b.requestPayload?.marker === event.marker);
    }, "the failure record in the dailyReport DLQ", 60);
    expect(record.version).to.equal("1.0");
    expect(record.requestContext).to.include({ condition: "RetriesExhausted", approximateInvokeCount: 3, functionArn: "arn:aws:lambda:eu-west-1:111111111111:function:platform-dev-daily-report:$LATEST" });
    expect(record.requestPayload).to.deep.equal(event);
    expect(record.responseContext).to.deep.equal({ statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" });
    expect(record.responsePayload).to.include({ errorType: "InjectedFault", errorMessage: "injected fault in dailyReport" });
    const attempts = cloud.lines.filter((l) => l.startsWith("λ platform-dev-daily-report invoke api (async"));
    expect(attempts.map((l) => l.match(/\(async( retry \d)?\)/)![0])).to.deep.equal(["(async)", "(async retry 1)", "(async retry 2)"]);
  });

  it("runs dailyReport with its config and secret from the ConfigStore's bucket in the local S3", async () => {
    const client = new LambdaClient({ endpoint: state.lambdaEndpoint, region: state.environment.AWS_REGION, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    const result = await client.send(new InvokeCommand({ FunctionName: "platform-dev-daily-report", Payload: Buffer.from("{}") }));
    client.destroy();
    expect(result.FunctionError).to.equal(undefined);
    const report = JSON.parse(Buffer.from(result.Payload!).toString());
    expect(report.title).to.equal("Daily orders report (dev)");
    expect(report.signature).to.match(/^[0-9a-f]{64}$/);
    expect(report.total).to.be.greaterThan(0);
  });

  it("stops everything on SIGINT: exit 0, the port released, the state file removed", async () => {
    const port = Number(new URL(cloud.url).port);
    const code = await cloud.stop("SIGINT");
    expect(code, cloud.stderr()).to.equal(0);
    expect(fs.existsSync(STATE_FILE)).to.equal(false);
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    });
    expect(refused).to.equal("ECONNREFUSED");
  });
});

describe("npm start: bad input", function () {
  this.timeout(60_000);

  it("exits 2 naming an unknown stack", async () => {
    const run = await runToEnd("start.ts", ["--stack", "nope"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/unknown stack "nope"/);
  });

  it("exits 2 naming the key and the stack for a bad config value", async () => {
    const run = await runToEnd("start.ts", ["--config", "maxReceiveCount=0"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/maxReceiveCount/).and.match(/"dev"/);
  });

  it("exits 2 when the port is in use", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const run = await runToEnd("start.ts", [], { PORT: String(port) });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.include(`port ${port} is already in use`);
    } finally {
      holder.close();
    }
  });

  it("exits 2 for a PORT that is not a port", async () => {
    const run = await runToEnd("start.ts", [], { PORT: "eighty" });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/PORT must be an integer/);
  });
});
