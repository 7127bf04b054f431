/** The DLQ tool's reading of the stack's outputs and of the queue it is asked for (ops/dlq.ts). */
import { expect } from "chai";
import { dlqsOf, select } from "../../ops/dlq";

const OUTPUTS = {
  deadLetterQueues: {
    orders: { url: "https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq-1a2b3c4", kind: "queue" },
    dailyReport: { url: "https://sqs.eu-west-1.amazonaws.com/123456789012/daily-report-dlq-5d6e7f8", kind: "function" },
  },
};

describe("the DLQ tool: which DLQs", () => {
  it("reads every DLQ from the stack's outputs, named by its queue URL's last part", () => {
    expect(dlqsOf(OUTPUTS).map((d) => [d.key, d.name])).to.deep.equal([
      ["orders", "orders-dlq-1a2b3c4"],
      ["dailyReport", "daily-report-dlq-5d6e7f8"],
    ]);
  });

  it("refuses outputs without a deadLetterQueues map, saying so", () => {
    for (const outputs of [{}, { deadLetterQueues: null }, { deadLetterQueues: "orders" }, { deadLetterQueues: 0 }])
      expect(() => dlqsOf(outputs), JSON.stringify(outputs)).to.throw("the stack's outputs have no deadLetterQueues");
  });

  it("selects by output key or queue name, all without a name, and names every DLQ when none matches", () => {
    const dlqs = dlqsOf(OUTPUTS);
    expect(select(dlqs)).to.deep.equal(dlqs);
    expect(select(dlqs, "").map((d) => d.key)).to.deep.equal(["orders", "dailyReport"]);
    expect(select(dlqs, "orders").map((d) => d.key)).to.deep.equal(["orders"]);
    expect(select(dlqs, "daily-report-dlq-5d6e7f8").map((d) => d.key)).to.deep.equal(["dailyReport"]);
    expect(() => select(dlqs, "nope")).to.throw('no DLQ "nope"; DLQs: orders (orders-dlq-1a2b3c4), dailyReport (daily-report-dlq-5d6e7f8)');
  });
});
