/** Handlers log one structured JSON line per event, and application metrics as log events, never for warm-ups. */
import { expect } from "chai";
import { handler as createOrder } from "../../functions/createOrder";
import { handler as health } from "../../functions/health";
import { handler as processOrder } from "../../functions/processOrder";
import { Logger } from "@aws-lambda-powertools/logger";
import { logger } from "../../functions/lib/instrument";
import { LeanLogger, traceRoot } from "../../functions/lib/lean-logger";
import { WARMER_EVENT } from "../../policy/contracts";
import { backends, lambdaContext } from "./emulated";
import { apiEvent } from "./http.test";

/** The JSON lines the handlers' logger writes while `run` runs: on stdout, and with `stderr` its WARN and ERROR lines too. */
async function logLines(run: () => Promise<unknown>, { stderr = false } = {}): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  logger.setLogLevel("INFO");
  const capture = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  if (stderr) process.stderr.write = capture;
  try {
    await run();
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    logger.setLogLevel("SILENT");
  }
  return lines.map((l) => JSON.parse(l));
}

describe("structured logs and metrics", () => {
  before(async () => {
    await backends();
  });

  it("writes one JSON line per invocation with the request id, function, cold-start flag and duration", async () => {
    const context = lambdaContext("platform-dev-health");
    const lines = await logLines(() => health(apiEvent({}), context));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({
      level: "INFO",
      message: "invocation",
      outcome: "ok",
      function_request_id: context.awsRequestId,
      function_name: "platform-dev-health",
    });
    expect(lines[0]).to.have.property("cold_start").that.is.a("boolean");
    expect(lines[0].duration_ms).to.be.a("number");
  });

  it("emits application metrics as log events, not CloudWatch custom metrics", async () => {
    const lines = await logLines(() =>
      createOrder(
        apiEvent({
          body: JSON.stringify({ customerId: `log-${Date.now()}`, items: [{ sku: "A", quantity: 1 }] }),
          headers: { "content-type": "application/json" },
        }),
        lambdaContext("create-order"),
      ),
    );
    expect(lines.map((l) => l.message)).to.deep.equal(["metric", "order accepted", "invocation"]);
    expect(lines[0].metric).to.deep.equal({ name: "OrdersAccepted", value: 1 });
    expect(lines[1]).to.include({ enqueued: true }).and.have.property("orderId").that.is.a("string");
  });

  it("logs a request refused at the origin check as a warning, with its outcome", async () => {
    process.env.ORIGIN_VERIFY_SHA256 = "0".repeat(64);
    try {
      const lines = await logLines(() => health(apiEvent({ method: "GET", path: "/health", headers: {} }), lambdaContext("health")), {
        stderr: true,
      });
      expect(lines.find((l) => l.level === "WARN")).to.include({
        message: "rejected: the request did not come through the edge",
        outcome: "forbidden",
      });
    } finally {
      delete process.env.ORIGIN_VERIFY_SHA256;
    }
  });

  it("logs a warm-up as such, and counts no metric for it", async () => {
    const lines = await logLines(() => createOrder(WARMER_EVENT as any, lambdaContext("create-order")));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ message: "warm-up", warmup: true });
  });

  it("the functions' lean logger writes Powertools' line shape: the same keys in the same order, errors to stderr", async () => {
    const lean = new LeanLogger("svc");
    const powertools = new Logger({ serviceName: "svc" });
    const context = lambdaContext("same-shape");
    const captured: Record<string, string[]> = { stdout: [], stderr: [] };
    const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
    for (const stream of ["stdout", "stderr"] as const)
      process[stream].write = ((chunk: string | Uint8Array) =>
        captured[stream].push(...String(chunk).split("\n").filter(Boolean)) > 0) as typeof process.stdout.write;
    try {
      for (const log of [lean, powertools]) {
        log.setLogLevel("INFO");
        log.addContext(context);
        log.info("invocation", { duration_ms: 1 });
        log.error("invocation failed", { error: new Error("boom") });
      }
    } finally {
      process.stdout.write = writes.stdout;
      process.stderr.write = writes.stderr;
    }
    const [leanInfo, powertoolsInfo] = captured.stdout.map((l) => JSON.parse(l));
    expect(Object.keys(leanInfo)).to.deep.equal(Object.keys(powertoolsInfo));
    // The timestamp differs by the clock, cold_start by which logger saw this process's first invocation.
    expect({ ...leanInfo, timestamp: 0, cold_start: false }).to.deep.equal({ ...powertoolsInfo, timestamp: 0, cold_start: false });
    const [leanError, powertoolsError] = captured.stderr.map((l) => JSON.parse(l));
    expect(Object.keys(leanError)).to.deep.equal(Object.keys(powertoolsError));
    expect(leanError.error).to.include({ name: "Error", message: "boom" });
  });

  it("carries the request's X-Ray trace id where Powertools does, read from _X_AMZN_TRACE_ID at each line", async () => {
    const saved = process.env._X_AMZN_TRACE_ID;
    const lean = new LeanLogger("svc");
    const powertools = new Logger({ serviceName: "svc" });
    const context = lambdaContext("traced");
    const captured: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) =>
      captured.push(...String(chunk).split("\n").filter(Boolean)) > 0) as typeof write;
    try {
      process.env._X_AMZN_TRACE_ID = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=557abcec3ee5a047;Sampled=1";
      for (const log of [lean, powertools]) {
        log.setLogLevel("INFO");
        log.addContext(context);
        log.info("traced", { k: 1 });
      }
      process.env._X_AMZN_TRACE_ID = "Root=1-00000000-111111111111111111111111;Sampled=0";
      lean.info("next request");
    } finally {
      process.stdout.write = write;
      if (saved === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = saved;
    }
    const [leanLine, powertoolsLine, next] = captured.map((l) => JSON.parse(l));
    expect(Object.keys(leanLine)).to.deep.equal(Object.keys(powertoolsLine));
    expect(leanLine.xray_trace_id).to.equal("1-5759e988-bd862e3fe1be46a994272793");
    expect({ ...leanLine, timestamp: 0, cold_start: false }).to.deep.equal({ ...powertoolsLine, timestamp: 0, cold_start: false });
    expect(next.xray_trace_id).to.equal("1-00000000-111111111111111111111111");
    expect(traceRoot("1-abc")).to.equal("1-abc");
    expect(traceRoot("Parent=1;Sampled=1")).to.equal(undefined);
    expect(traceRoot(undefined)).to.equal(undefined);
  });

  it("writes a queue worker's lines about one message with the trace of the request that sent it", async () => {
    const saved = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = "Root=1-00000000-aaaaaaaaaaaaaaaaaaaaaaaa;Parent=1;Sampled=1";
    const record = (body: string, AWSTraceHeader?: string) => ({
      messageId: body,
      receiptHandle: "r",
      body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "0",
        SenderId: "s",
        ApproximateFirstReceiveTimestamp: "0",
        ...(AWSTraceHeader ? { AWSTraceHeader } : {}),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:eu-west-1:1:q",
      awsRegion: "eu-west-1",
    });
    let lines: Record<string, any>[];
    try {
      lines = await logLines(
        () =>
          processOrder(
            {
              Records: [
                // Each order is not in the table, so each is "order failed", about its own message.
                record('{"orderId":"not-an-order"}', "Root=1-11111111-bbbbbbbbbbbbbbbbbbbbbbbb;Parent=2;Sampled=1"),
                record('{"orderId":"also-not-one"}'),
              ],
            },
            lambdaContext("process-order"),
          ),
        { stderr: true },
      );
    } finally {
      if (saved === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = saved;
    }
    const byMessage = (id: string) => lines.find((l) => l.messageId === id)!;
    expect(byMessage('{"orderId":"not-an-order"}').xray_trace_id).to.equal("1-11111111-bbbbbbbbbbbbbbbbbbbbbbbb");
    // Without a trace on the message, and after the record: the invocation's own.
    expect(byMessage('{"orderId":"also-not-one"}').xray_trace_id).to.equal("1-00000000-aaaaaaaaaaaaaaaaaaaaaaaa");
    expect(lines.at(-1)).to.include({ message: "invocation", xray_trace_id: "1-00000000-aaaaaaaaaaaaaaaaaaaaaaaa" });
  });

  it("the lean logger's inTrace gives the trace back when its work throws, and nests", async () => {
    const lean = new LeanLogger("svc");
    lean.setLogLevel("INFO");
    const captured: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => captured.push(String(chunk)) > 0) as typeof write;
    const saved = process.env._X_AMZN_TRACE_ID;
    process.env._X_AMZN_TRACE_ID = "Root=1-00000000-cccccccccccccccccccccccc";
    try {
      await lean
        .inTrace("Root=1-22222222-dddddddddddddddddddddddd", async () => {
          lean.info("outer");
          await lean.inTrace(undefined, async () => lean.info("inner without a header"));
          throw new Error("boom");
        })
        .catch(() => undefined);
      lean.info("after");
    } finally {
      process.stdout.write = write;
      if (saved === undefined) delete process.env._X_AMZN_TRACE_ID;
      else process.env._X_AMZN_TRACE_ID = saved;
    }
    expect(captured.map((l) => JSON.parse(l).xray_trace_id)).to.deep.equal([
      "1-22222222-dddddddddddddddddddddddd",
      "1-22222222-dddddddddddddddddddddddd",
      "1-00000000-cccccccccccccccccccccccc",
    ]);
  });

  it("the lean logger honours its level: SILENT writes nothing", async () => {
    const lean = new LeanLogger("svc");
    lean.setLogLevel("SILENT");
    const lines = await logLines(async () => lean.info("quiet"));
    expect(lines).to.deep.equal([]);
  });

  it("the lean logger takes POWERTOOLS_LOG_LEVEL, then AWS_LAMBDA_LOG_LEVEL, in any case, else INFO; WARN lines say WARN", async () => {
    const setLevels = (levels: { POWERTOOLS_LOG_LEVEL?: string; AWS_LAMBDA_LOG_LEVEL?: string }) => {
      for (const [name, value] of Object.entries(levels))
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    };
    const saved = { POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL, AWS_LAMBDA_LOG_LEVEL: process.env.AWS_LAMBDA_LOG_LEVEL };
    const levelsWritten = async (POWERTOOLS_LOG_LEVEL?: string, AWS_LAMBDA_LOG_LEVEL?: string) => {
      setLevels({ POWERTOOLS_LOG_LEVEL, AWS_LAMBDA_LOG_LEVEL });
      const lean = new LeanLogger("svc");
      const lines = await logLines(
        async () => {
          lean.info("i");
          lean.warn("w");
        },
        { stderr: true },
      );
      return lines.map((l) => l.level);
    };
    try {
      expect(await levelsWritten(undefined, undefined)).to.deep.equal(["INFO", "WARN"]);
      expect(await levelsWritten(undefined, "warn")).to.deep.equal(["WARN"]);
      expect(await levelsWritten("INFO", "WARN")).to.deep.equal(["INFO", "WARN"]);
      expect(await levelsWritten("silent", undefined)).to.deep.equal([]);
      expect(await levelsWritten("LOUD", undefined)).to.deep.equal(["INFO", "WARN"]);
    } finally {
      setLevels(saved);
    }
  });
});
