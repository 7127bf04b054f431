/** Handlers log one structured JSON line per event, and application metrics as log events, never for warm-ups. */
import { expect } from "chai";
import { handler as createOrder } from "../../functions/createOrder";
import { handler as health } from "../../functions/health";
import { logger } from "../../functions/lib/instrument";
import { WARMER_EVENT } from "../../components/warmer";
import { backends, lambdaContext } from "./emulated";
import { apiEvent } from "./http.test";

/** The JSON lines the handlers' logger writes while `run` runs. */
async function logLines(run: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const write = process.stdout.write;
  logger.setLogLevel("INFO");
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
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
    expect(lines[0]).to.include({ level: "INFO", message: "invocation", outcome: "ok", function_request_id: context.awsRequestId, function_name: "platform-dev-health" });
    expect(lines[0]).to.have.property("cold_start").that.is.a("boolean");
    expect(lines[0].duration_ms).to.be.a("number");
  });

  it("emits application metrics as log events, not CloudWatch custom metrics", async () => {
    const lines = await logLines(() =>
      createOrder(apiEvent({ body: JSON.stringify({ customerId: `log-${Date.now()}`, items: [{ sku: "A", quantity: 1 }] }), headers: { "content-type": "application/json" } }), lambdaContext("create-order")),
    );
    expect(lines.map((l) => l.message)).to.deep.equal(["metric", "invocation"]);
    expect(lines[0].metric).to.deep.equal({ name: "OrdersAccepted", value: 1 });
  });

  it("logs a warm-up as such, and counts no metric for it", async () => {
    const lines = await logLines(() => createOrder(WARMER_EVENT as any, lambdaContext("create-order")));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ message: "warm-up", warmup: true });
  });
});
