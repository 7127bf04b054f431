/**
 * EventBridge's retries of a rule target, as local/event-retry.ts runs them: which failures are retried,
 * how long it waits, and when it gives up (the retry count, the event's age, the local cloud stopping).
 * The clock and the waits are the test's own, so nothing here depends on how fast the machine is.
 */
import { expect } from "chai";
import { DeliveryFailure, deliverWithRetries, errorCodeOf, retryDelay, RetryPolicy } from "../../local/event-retry";
import { EventRouter, EventRouterOptions } from "../../local/events";
import { Reporter } from "../../local/console";
import { deadLetterEvent } from "../../local/event-dlq";

/** Runs deliverWithRetries against scripted attempt results; each wait moves the test's clock on by its length. */
async function run(results: (string | undefined)[], policy: RetryPolicy, options: { baseMs?: number; stopAfterWaits?: number } = {}) {
  // The clock does not start at 0: an event's age is now minus when it arrived.
  let clock = 1_000_000;
  let attempts = 0;
  const waits: number[] = [];
  const outcome = await deliverWithRetries(
    async (): Promise<DeliveryFailure | undefined> => {
      const code = results[Math.min(attempts++, results.length - 1)];
      return code ? { code, message: `failure ${attempts}` } : undefined;
    },
    {
      policy,
      baseMs: options.baseMs ?? 100,
      now: () => clock,
      wait: async (ms) => {
        waits.push(ms);
        clock += ms;
        return waits.length <= (options.stopAfterWaits ?? Infinity);
      },
    },
  );
  return { outcome, attempts, waits };
}

const generous: RetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };

describe("local cloud: EventBridge target retries", () => {
  it("waits the base delay, then doubles it, up to 256 times the base", () => {
    expect([0, 1, 2, 7, 8, 9, 20].map((n) => retryDelay(100, n))).to.deep.equal([100, 200, 400, 12_800, 25_600, 25_600, 25_600]);
  });

  it("delivers on the first attempt without waiting", async () => {
    expect(await run([undefined], generous)).to.deep.equal({ outcome: undefined, attempts: 1, waits: [] });
  });

  it("retries a failure that can pass, waiting longer each time, until the event is delivered", async () => {
    expect(await run(["SDK_CLIENT_ERROR", "THROTTLING", undefined], generous)).to.deep.equal({
      outcome: undefined,
      attempts: 3,
      waits: [100, 200],
    });
  });

  for (const code of ["SDK_CLIENT_ERROR", "THROTTLING", "CONNECTION_FAILURE"])
    it(`retries ${code}`, async () => {
      expect((await run([code, undefined], generous)).attempts).to.equal(2);
    });

  for (const code of ["NO_PERMISSIONS", "NO_RESOURCE"])
    it(`gives up on ${code} at once, whatever retries are left`, async () => {
      expect(await run([code], generous)).to.deep.equal({
        outcome: { failure: { code, message: "failure 1" }, retries: 0 },
        attempts: 1,
        waits: [],
      });
    });

  it("gives up after maximumRetryAttempts retries, with the last failure", async () => {
    expect(await run(["THROTTLING"], { ...generous, maximumRetryAttempts: 2 })).to.deep.equal({
      outcome: { failure: { code: "THROTTLING", message: "failure 3" }, retries: 2 },
      attempts: 3,
      waits: [100, 200],
    });
  });

  it("tries once when the policy allows no retry", async () => {
    const { outcome, attempts } = await run(["THROTTLING"], { ...generous, maximumRetryAttempts: 0 });
    expect(outcome?.retries).to.equal(0);
    expect(attempts).to.equal(1);
  });

  it("does not wait for a retry the event would be too old for: at its maximum age it still may, past it not", async () => {
    // Attempts at 0, 100 and 300 ms; the next would be at 700 ms.
    const atTheLimit = await run(["THROTTLING"], { maximumRetryAttempts: 185, maximumEventAgeSeconds: 0.7 });
    expect(atTheLimit.waits).to.deep.equal([100, 200, 400]);
    expect(atTheLimit.outcome?.retries).to.equal(3);
    const pastIt = await run(["THROTTLING"], { maximumRetryAttempts: 185, maximumEventAgeSeconds: 0.699 });
    expect(pastIt.waits).to.deep.equal([100, 200]);
    expect(pastIt.outcome?.retries).to.equal(2);
  });

  it("ends without a verdict when the local cloud stops during a wait", async () => {
    expect(await run(["THROTTLING"], generous, { stopAfterWaits: 1 })).to.deep.equal({
      outcome: undefined,
      attempts: 2,
      waits: [100, 200],
    });
    expect(await run(["THROTTLING"], generous, { stopAfterWaits: 0 })).to.deep.equal({ outcome: undefined, attempts: 1, waits: [100] });
  });

  describe("ERROR_CODE of an emulator's error", () => {
    const cases: [string, unknown, string][] = [
      ["SQS's missing queue (query protocol)", { name: "AWS.SimpleQueueService.NonExistentQueue" }, "NO_RESOURCE"],
      ["SQS's missing queue (JSON protocol)", { name: "QueueDoesNotExist" }, "NO_RESOURCE"],
      ["SNS's missing topic", { name: "NotFoundException" }, "NO_RESOURCE"],
      ["a throttle by name", { name: "ThrottlingException" }, "THROTTLING"],
      ["a throttle by name (SQS)", { name: "RequestThrottled" }, "THROTTLING"],
      ["a throttle by status", { name: "Unknown", $metadata: { httpStatusCode: 429 } }, "THROTTLING"],
      ["another status", { name: "Unknown", $metadata: { httpStatusCode: 500 } }, "SDK_CLIENT_ERROR"],
      ["a refused connection", { name: "Error", code: "ECONNREFUSED" }, "CONNECTION_FAILURE"],
      ["a reset connection", { code: "ECONNRESET" }, "CONNECTION_FAILURE"],
      ["a broken pipe", { code: "EPIPE" }, "CONNECTION_FAILURE"],
      ["a timed-out connection", { code: "ETIMEDOUT" }, "CONNECTION_FAILURE"],
      ["a name that does not resolve", { code: "ENOTFOUND" }, "SDK_CLIENT_ERROR"],
      ["a code that only contains a connection error's", { code: "XECONNREFUSED" }, "SDK_CLIENT_ERROR"],
      ["a code that only starts with a connection error's", { code: "ECONNREFUSED_LATER" }, "SDK_CLIENT_ERROR"],
      ["a plain error", new Error("boom"), "SDK_CLIENT_ERROR"],
      ["nothing at all", undefined, "SDK_CLIENT_ERROR"],
    ];
    for (const [what, err, code] of cases)
      it(`${what}: ${code}`, () => {
        expect(errorCodeOf(err)).to.equal(code);
      });
  });

  describe("the router's waits between retries", () => {
    // Waiting and stopping touch none of the router's emulators or model.
    const router = () =>
      new EventRouter({} as EventRouterOptions) as unknown as { wait(ms: number): Promise<boolean>; stop(): Promise<void> };

    it("ends a wait with true once its time is up", async () => {
      expect(await router().wait(1)).to.equal(true);
    });

    it("ends every pending wait with false when the local cloud stops, and every later one at once", async () => {
      const r = router();
      const pending = [r.wait(60_000), r.wait(120_000)];
      await r.stop();
      expect(await Promise.all(pending)).to.deep.equal([false, false]);
      expect(await r.wait(60_000)).to.equal(false);
    });
  });

  describe("the DLQ message after retries", () => {
    for (const [retries, said] of [
      [2, " after 2 retries"],
      [1, " after 1 retry"],
      [0, ""],
    ] as const)
      it(`says ${retries} in RETRY_ATTEMPTS and in the line`, async () => {
        const lines: string[] = [];
        const sent: Record<string, string>[] = [];
        await deadLetterEvent(
          {
            reporter: new Reporter((l) => lines.push(l)),
            destinations: { send: async (_arn, _body, attributes) => void sent.push(attributes!) },
          },
          {
            rule: { arn: "arn:aws:events:eu-west-1:123456789012:rule/bus/r", trigger: "eventbridge r" },
            target: { arn: "arn:aws:sqs:eu-west-1:123456789012:q", deadLetterArn: "arn:aws:sqs:eu-west-1:123456789012:dlq" },
            event: {},
            code: "THROTTLING",
            message: "slow down",
            retryAttempts: retries,
          },
        );
        expect(sent.map((a) => a.RETRY_ATTEMPTS)).to.deep.equal([String(retries)]);
        expect(lines).to.deep.equal([
          `eventbridge r: the event for arn:aws:sqs:eu-west-1:123456789012:q went to its DLQ (THROTTLING)${said}`,
        ]);
      });
  });
});
