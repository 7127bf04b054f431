/** The DLQ tool against the local cloud: list, inspect without consuming, redrive both kinds of DLQ, purge. */
import { LambdaClient } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { Clients, describe as describeMessage, dlqsOf, peek, purge, redrive, select, status } from "../../ops/dlq";
import { eventually, ROOT, runToEnd } from "./harness";

describe("npm run dlq and npm run logs, against the local cloud", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let clients: Clients;
  const depth = async (url: string) => {
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
  };

  const dlq = (key: string) => dlqsOf(cloud.outputs).find((d) => d.key === key)!;
  const printed: string[] = [];

  before(async () => {
    cloud = await startLocalCloud({ programDir: ROOT, stack: "dev", port: 0, write: (l) => printed.push(l) });
    const credentials = { accessKeyId: "local", secretAccessKey: "local" };
    clients = {
      sqs: new SQSClient({ endpoint: cloud.environment.AWS_ENDPOINT_URL_SQS, region: cloud.model.region, credentials }),
      lambda: new LambdaClient({ endpoint: cloud.lambdaEndpoint, region: cloud.model.region, credentials }),
    };
  });
  after(async () => {
    clients?.sqs.destroy();
    clients?.lambda.destroy();
    await cloud?.stop();
  });

  it("lists every DLQ of the stack with its depth and source, from the stack's outputs", async () => {
    const dlqs = dlqsOf(cloud.outputs);
    expect(dlqs.map((d) => [d.key, d.name.replace(/-[0-9a-f]{7}$/, "-<7 hex>"), d.spec.source]).sort()).to.deep.equal([
      ["dailyReport", "daily-report-dlq-<7 hex>", "function"],
      ["dailyReportSchedule", "daily-report-schedule-dlq-<7 hex>", "schedule"],
      ["orders", "process-order-dlq-<7 hex>", "queue"],
    ]);
    expect(await status(clients, dlq("orders"))).to.deep.include({ depth: 0, inFlight: 0, oldestSeenSeconds: undefined });
    expect(select(dlqs, dlq("orders").name)).to.deep.equal([dlq("orders")]);
    expect(() => select(dlqs, "nope")).to.throw(/no DLQ "nope"; DLQs: .*dailyReport \(daily-report-dlq-[0-9a-f]{7}\)/);
  });

  it("inspects a Lambda onFailure record, naming the failure and the original event, without consuming it", async () => {
    const report = dlq("dailyReport");
    cloud.invokeAsync("daily-report", { faultInject: "dailyReport", marker: "inspect-me" });
    await eventually(async () => ((await depth(report.spec.url)) === 1 ? true : undefined), "the failure record", 100);
    const [message] = await peek(clients, report, 10);
    const described = describeMessage(message) as any;
    expect(described.failure).to.deep.include({
      condition: "RetriesExhausted",
      attempts: 3,
      error: { type: "InjectedFault", message: "injected fault in dailyReport" },
    });
    expect(described.originalEvent).to.deep.equal({ faultInject: "dailyReport", marker: "inspect-me" });
    const seen = await status(clients, report);
    expect(seen).to.deep.include({ depth: 1, inFlight: 0 });
    // The age of the message just peeked, in whole seconds (not milliseconds), by its own SentTimestamp.
    const age = (Date.now() - Number(message.Attributes!.SentTimestamp)) / 1000;
    expect(seen.oldestSeenSeconds)
      .to.be.a("number")
      .within(Math.floor(age) - 1, Math.ceil(age) + 1);
  });

  it("purges a DLQ", async () => {
    const report = dlq("dailyReport");
    await purge(clients, report);
    expect(await depth(report.spec.url)).to.equal(0);
  });

  it("redrives a function DLQ by re-invoking the function with the original event, deleting only what was accepted", async () => {
    const report = dlq("dailyReport");
    // A record whose cause is fixed: its event no longer asks for a fault.
    const record = {
      version: "1.0",
      requestContext: {
        requestId: "r1",
        functionArn: "arn:aws:lambda:eu-west-1:111111111111:function:platform-dev-daily-report:$LATEST",
        condition: "RetriesExhausted",
        approximateInvokeCount: 3,
      },
      requestPayload: { marker: "fixed" },
      responseContext: { statusCode: 200 },
      responsePayload: { errorType: "Error", errorMessage: "was broken" },
    };
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: report.spec.url, MessageBody: JSON.stringify(record) }));
    const progress: number[] = [];
    const result = await redrive(clients, report, { onProgress: (done) => progress.push(done) });
    expect(result).to.deep.equal({ moved: 1, failed: [], method: "re-invoke" });
    expect(progress).to.deep.equal([1]);
    expect(await depth(report.spec.url)).to.equal(0);
  });

  it("redrives an EventBridge DLQ by invoking each event's target again, and keeps a message that names no target", async () => {
    const schedule = dlq("dailyReportSchedule");
    const target = cloud.model.schedules.find((s) => s.name.startsWith("daily-report-schedule"))!.targets[0].functionArn;
    const report = cloud.model.functions.find((f) => f.name.endsWith("daily-report"))!.name;
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: schedule.spec.url,
        MessageBody: JSON.stringify({ "detail-type": "Scheduled Event", source: "aws.events", marker: "redriven" }),
        MessageAttributes: {
          TARGET_ARN: { DataType: "String", StringValue: target },
          ERROR_CODE: { DataType: "String", StringValue: "NO_PERMISSIONS" },
        },
      }),
    );
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: schedule.spec.url, MessageBody: "{}" }));
    const from = printed.length;
    const result = await redrive(clients, schedule, {});
    expect(result.moved).to.equal(1);
    expect(result.failed.map((f) => f.error)).to.deep.equal([
      "Error: the message has no TARGET_ARN attribute, so there is no target to invoke again",
    ]);
    expect(result.method).to.equal("re-invoke");
    expect(await depth(schedule.spec.url)).to.equal(1);
    // The target ran the event, through its live alias.
    await eventually(
      async () => (printed.slice(from).some((l) => l.startsWith(`λ ${report} invoke api (async)`) && l.includes(" ok")) ? true : undefined),
      "the target's invocation",
      100,
    );
    await purge(clients, schedule);
  });

  it("redrives a queue DLQ back to its source queue, where the message is processed", async () => {
    const orders = dlq("orders");
    const created = await fetch(`${cloud.url}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ customerId: "redrive", items: [{ sku: "A", quantity: 1 }] }),
    });
    const { orderId } = (await created.json()) as { orderId: string };
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: orders.spec.url, MessageBody: JSON.stringify({ orderId }) }));
    const result = await redrive(clients, orders, {});
    // The emulator has no StartMessageMoveTask, so locally the tool moves message by message.
    expect(result).to.deep.equal({ moved: 1, failed: [], method: "message-by-message" });
    expect(await depth(orders.spec.url)).to.equal(0);
    await eventually(async () => {
      const order = (await (await fetch(`${cloud.url}/orders/${orderId}`)).json()) as { status: string };
      return order.status === "processed" ? true : undefined;
    }, "the redriven order to be processed");
  });

  it("keeps a message it could not redrive, and says why", async () => {
    const report = dlq("dailyReport");
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: report.spec.url, MessageBody: "not json" }));
    const result = await redrive(clients, report, {});
    expect(result.moved).to.equal(0);
    expect(result.failed[0].error).to.match(/not JSON/);
    expect(await depth(report.spec.url)).to.equal(1);
    await purge(clients, report);
  });

  it("runs as a command: list exits 0, an unknown queue exits 2 naming the DLQs", async () => {
    const list = await runToEnd("dlq.ts", ["list", "--local"]);
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/orders\s+process-order-dlq-[0-9a-f]{7}\s+depth\s+0/);
    const unknown = await runToEnd("dlq.ts", ["inspect", "--local", "--queue", "nope"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include('no DLQ "nope"');
    const noOutputs = await runToEnd("dlq.ts", ["list", "--stack", "prod"], { PATH: "/nonexistent" });
    expect(noOutputs.code).to.equal(2);
    expect(noOutputs.stderr).to.match(/could not read stack prod's outputs/);
  });

  it("tails a function's logs from the local cloud: JSON lines pretty-printed, filtered, errors included", async () => {
    const run = await runToEnd("logs.ts", ["daily-report", "--local", "--filter", "InjectedFault"], { NO_COLOR: "1" });
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines.length).to.be.greaterThan(0);
    expect(lines.every((l) => l.includes("InjectedFault"))).to.equal(true);
    expect(lines[0]).to.match(/^\d\d:\d\d:\d\d\.\d{3} ERROR invocation failed \{/);
    const unknown = await runToEnd("logs.ts", ["nope", "--local"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include("Function not found: nope");
  });

  it("follows one order from POST to processed by its trace id alone: npm run logs -- --trace", async () => {
    const traceOf = (n: number) => `1-6700000${n}-${String(n).repeat(24)}`;
    const post = (trace: string, customerId: string) =>
      fetch(`${cloud.url}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-amzn-trace-id": `Root=${trace};Sampled=1` },
        body: JSON.stringify({ customerId, items: [{ sku: "A", quantity: 1 }] }),
      }).then((r) => r.json() as Promise<{ orderId: string }>);
    const followed = await post(traceOf(1), "traced-one");
    const other = await post(traceOf(2), "traced-two");
    for (const { orderId } of [followed, other])
      await eventually(
        async () =>
          ((await (await fetch(`${cloud.url}/orders/${orderId}`)).json()) as { status: string }).status === "processed" ? true : undefined,
        `order ${orderId} processed`,
        100,
      );

    const run = await runToEnd("logs.ts", ["--trace", traceOf(1), "--local"], { NO_COLOR: "1" });
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout.trim().split("\n");
    const messages = lines.map((l) => /^(\S+)\s+\S+ (?:INFO|WARN|ERROR)\s+(.+?) \{/.exec(l)?.slice(1, 3).join(": "));
    // The API's function accepts it, and the queue's worker processes it: in that order, under one trace.
    const accepted = messages.findIndex((m) => /create-order[^:]*: order accepted/.test(m ?? ""));
    const processed = messages.findIndex((m) => /process-order[^:]*: order processed/.test(m ?? ""));
    expect(accepted, run.stdout).to.be.greaterThan(-1);
    expect(processed, run.stdout).to.be.greaterThan(accepted);
    expect(run.stdout).to.include(followed.orderId).and.not.include(other.orderId);
    expect(run.stdout).to.not.include(traceOf(2));
    // A whole header names the same trace; a malformed id, or a trace with a function, is bad input.
    const fromHeader = await runToEnd("logs.ts", ["--trace", `Root=${traceOf(1)};Parent=53995c3f42cd8ad8`, "--local"], { NO_COLOR: "1" });
    expect(fromHeader.stdout).to.equal(run.stdout);
    const malformed = await runToEnd("logs.ts", ["--trace", "1-abc", "--local"]);
    expect(malformed.code).to.equal(2);
    expect(malformed.stderr).to.include('--trace takes an X-Ray trace id like 1-5759e988-bd862e3fe1be46a994272793 (got "1-abc")');
    const both = await runToEnd("logs.ts", ["create-order", "--trace", traceOf(1), "--local"]);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.include("--trace reads one request across every function");
  });
});
