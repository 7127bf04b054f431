/**
 * EventBridge's retries of a rule target, as local/event-retry.ts runs them: which failures are retried,
 * how long it waits, and when it gives up (the retry count, the event's age, the local cloud stopping).
 * The clock and the waits are the test's own, so nothing here depends on how fast the machine is.
 */
import { expect } from "chai";
import { eventually } from "./harness";
import { apiCodeOf, DeliveryFailure, deliverWithRetries, errorCodeOf, retryDelay, RetryPolicy, RetryWaits } from "../../local/event-retry";
import { EventRouter, EventRouterOptions } from "../../local/events";
import { Reporter } from "../../local/console";
import {
  countSchedulerAttempt,
  deadLetterAttributes,
  deadLetterEvent,
  EventSource,
  scheduleGroupOf,
  UndeliveredEvent,
} from "../../local/event-dlq";
import { PendingDeliveries, PendingRuleDelivery } from "../../local/pending";

/** Runs deliverWithRetries against scripted attempt results; each wait moves the test's clock on by its length. */
async function run(
  results: (string | undefined)[],
  policy: RetryPolicy,
  options: { baseMs?: number; stopAfterWaits?: number; from?: { retry: number; ageMs: number; failure?: string } } = {},
) {
  // The clock does not start at 0: an event's age is now minus when it arrived.
  let clock = 1_000_000;
  let attempts = 0;
  const waits: number[] = [];
  const retried: number[] = [];
  const failures: string[] = [];
  const from = options.from;
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
      onRetry: (retry, failure) => {
        retried.push(retry);
        failures.push(failure.code);
      },
      from: from && {
        arrived: clock - from.ageMs,
        retry: from.retry,
        failure: from.failure ? { code: from.failure, message: "saved" } : undefined,
      },
    },
  );
  return { outcome, attempts, waits, retried, failures };
}

const generous: RetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };

describe("local cloud: EventBridge target retries", () => {
  it("waits the base delay, then doubles it, up to 256 times the base", () => {
    expect([0, 1, 2, 7, 8, 9, 20].map((n) => retryDelay(100, n))).to.deep.equal([100, 200, 400, 12_800, 25_600, 25_600, 25_600]);
  });

  it("delivers on the first attempt without waiting", async () => {
    expect(await run([undefined], generous)).to.deep.include({ outcome: "delivered", attempts: 1, waits: [] });
  });

  it("retries a failure that can pass, waiting longer each time, until the event is delivered", async () => {
    expect(await run(["SDK_CLIENT_ERROR", "THROTTLING", undefined], generous)).to.deep.include({
      outcome: "delivered",
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
      expect(await run([code], generous)).to.deep.include({
        outcome: { failure: { code, message: "failure 1" }, retries: 0 },
        attempts: 1,
        waits: [],
      });
    });

  it("gives up after maximumRetryAttempts retries, with the last failure, and says that limit ended it", async () => {
    expect(await run(["THROTTLING"], { ...generous, maximumRetryAttempts: 2 })).to.deep.include({
      outcome: { failure: { code: "THROTTLING", message: "failure 3" }, retries: 2, exhausted: "MaximumRetryAttempts" },
      attempts: 3,
      waits: [100, 200],
    });
  });

  it("tries once when the policy allows no retry", async () => {
    const { outcome, attempts } = await run(["THROTTLING"], { ...generous, maximumRetryAttempts: 0 });
    expect(outcome).to.deep.equal({ failure: { code: "THROTTLING", message: "failure 1" }, retries: 0, exhausted: "MaximumRetryAttempts" });
    expect(attempts).to.equal(1);
  });

  it("does not wait for a retry the event would be too old for: at its maximum age it still may, past it not", async () => {
    // Attempts at 0, 100 and 300 ms; the next would be at 700 ms.
    const atTheLimit = await run(["THROTTLING"], { maximumRetryAttempts: 185, maximumEventAgeSeconds: 0.7 });
    expect(atTheLimit.waits).to.deep.equal([100, 200, 400]);
    expect(atTheLimit.outcome).to.have.property("retries", 3);
    // When both limits are reached, the retries are: it is the count that stops the next one.
    const both = await run(["THROTTLING"], { maximumRetryAttempts: 2, maximumEventAgeSeconds: 0.3 });
    expect(both.outcome).to.deep.include({ retries: 2, exhausted: "MaximumRetryAttempts" });
    const pastIt = await run(["THROTTLING"], { maximumRetryAttempts: 185, maximumEventAgeSeconds: 0.699 });
    expect(pastIt.waits).to.deep.equal([100, 200]);
    expect(pastIt.outcome).to.deep.include({ retries: 2, exhausted: "MaximumEventAgeInSeconds" });
  });

  it("ends without a verdict when the local cloud stops during a wait", async () => {
    expect(await run(["THROTTLING"], generous, { stopAfterWaits: 1 })).to.deep.include({
      outcome: "stopped",
      attempts: 2,
      waits: [100, 200],
      retried: [1, 2],
    });
    expect(await run(["THROTTLING"], generous, { stopAfterWaits: 0 })).to.deep.include({
      outcome: "stopped",
      attempts: 1,
      waits: [100],
      retried: [1],
    });
  });

  it("needs no one told of its retries: without onRetry it retries all the same", async () => {
    let attempts = 0;
    const outcome = await deliverWithRetries(async () => (++attempts < 3 ? { code: "THROTTLING", message: "slow" } : undefined), {
      policy: generous,
      baseMs: 1,
      wait: async () => true,
    });
    expect({ outcome, attempts }).to.deep.equal({ outcome: "delivered", attempts: 3 });
  });

  it("tells each retry before its wait, with the failure it follows, and never after the last attempt", async () => {
    const { retried, failures } = await run(["THROTTLING", "SDK_CLIENT_ERROR", "NO_PERMISSIONS"], generous);
    expect(retried).to.deep.equal([1, 2]);
    expect(failures).to.deep.equal(["THROTTLING", "SDK_CLIENT_ERROR"]);
  });

  describe("a delivery taken up where a stop left it (--persist)", () => {
    it("goes on from its next retry: its waits and its retry count continue", async () => {
      const { outcome, waits, retried } = await run(
        ["THROTTLING"],
        { ...generous, maximumRetryAttempts: 3 },
        { from: { retry: 2, ageMs: 0 } },
      );
      // Retries 2 and 3 are made (waits before 3 only: 2 is made at once), then the policy's 3 are used up.
      expect(waits).to.deep.equal([400]);
      expect(retried).to.deep.equal([3]);
      expect(outcome).to.deep.equal({
        failure: { code: "THROTTLING", message: "failure 2" },
        retries: 3,
        exhausted: "MaximumRetryAttempts",
      });
    });

    it("counts the event's age from when it arrived, not from the restart", async () => {
      // 600 ms old at the restart: one more attempt, and the next wait (200 ms) would take it past 0.7 s.
      const { outcome, attempts } = await run(
        ["THROTTLING"],
        { maximumRetryAttempts: 185, maximumEventAgeSeconds: 0.7 },
        {
          from: { retry: 1, ageMs: 600, failure: "THROTTLING" },
        },
      );
      expect(attempts).to.equal(1);
      expect(outcome).to.deep.equal({
        failure: { code: "THROTTLING", message: "failure 1" },
        retries: 1,
        exhausted: "MaximumEventAgeInSeconds",
      });
    });

    it("is not tried again once past its maximum age: its last failure goes to the DLQ", async () => {
      const policy = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 0.7 };
      const past = await run([undefined], policy, { from: { retry: 3, ageMs: 701, failure: "THROTTLING" } });
      expect(past).to.deep.include({
        attempts: 0,
        outcome: { failure: { code: "THROTTLING", message: "saved" }, retries: 2, exhausted: "MaximumEventAgeInSeconds" },
      });
      // At its maximum age exactly it still may be tried.
      expect(await run([undefined], policy, { from: { retry: 3, ageMs: 700, failure: "THROTTLING" } })).to.deep.include({
        attempts: 1,
        outcome: "delivered",
      });
      // Without a saved failure (the stop cut its first attempt short) it is tried, whatever its age.
      expect(await run([undefined], policy, { from: { retry: 0, ageMs: 5000 } })).to.deep.include({ attempts: 1, outcome: "delivered" });
    });
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

  describe("the waits between retries (Lambda's async events and EventBridge's targets)", () => {
    it("ends a wait with true once its time is up", async () => {
      const waits = new RetryWaits();
      expect(await waits.wait(1)).to.equal(true);
      expect(waits.stopped).to.equal(false);
    });

    it("ends every pending wait with false when the local cloud stops, and every later one at once", async () => {
      const waits = new RetryWaits();
      const pending = [waits.wait(60_000), waits.wait(120_000)];
      waits.stop();
      expect(waits.stopped).to.equal(true);
      expect(await Promise.all(pending)).to.deep.equal([false, false]);
      expect(await waits.wait(60_000)).to.equal(false);
    });

    it("stops with the router: a stopped router's retries end", async () => {
      // Stopping touches none of the router's emulators or model.
      const router = new EventRouter({} as EventRouterOptions);
      const waits = (router as unknown as { waits: RetryWaits }).waits;
      const pending = waits.wait(60_000);
      await router.stop();
      expect(await pending).to.equal(false);
    });
  });

  describe("an EventBridge Scheduler schedule's DLQ, sent with its execution role", () => {
    const DLQ = "arn:aws:sqs:eu-west-1:123456789012:dlq";
    const deadLetter = async (roleArn: string) => {
      const lines: string[] = [];
      const sent: string[] = [];
      const iam = {
        deliveryCalls: (arn: string) => [{ action: "sqs:SendMessage", resource: arn }],
        // The role is asked about the DLQ itself.
        checkRole: (role: string, calls: { resource: string }[]) => ({
          allowed: role.endsWith("/may-send") && calls.length > 0 && calls.every((c) => c.resource === DLQ),
        }),
        checkServiceCall: () => ({ allowed: true }),
      } as unknown as import("../../local/iam/authority").IamAuthority;
      await deadLetterEvent(
        { reporter: new Reporter((l) => lines.push(l)), destinations: { send: async (arn) => void sent.push(arn) }, iam },
        {
          rule: {
            name: "s",
            arn: "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/s",
            trigger: "schedule s",
            scheduler: { roleArn, scheduledAt: 0 },
          },
          target: { arn: "arn:aws:sqs:eu-west-1:123456789012:q", deadLetterArn: DLQ },
          body: "{}",
          code: "NO_PERMISSIONS",
          message: "no",
        },
      );
      return { lines, sent };
    };

    it("puts the event in the DLQ when the role may send there", async () => {
      expect((await deadLetter("arn:aws:iam::123456789012:role/may-send")).sent).to.deep.equal([DLQ]);
    });

    it("drops it, naming the role, when the role may not (the queue's policy does not count: the role sends)", async () => {
      const { lines, sent } = await deadLetter("arn:aws:iam::123456789012:role/may-not");
      expect(sent).to.deep.equal([]);
      expect(lines).to.deep.equal([
        `schedule s: the event for arn:aws:sqs:eu-west-1:123456789012:q is dropped: no, and its role arn:aws:iam::123456789012:role/may-not may not sqs:SendMessage on its DLQ ${DLQ}`,
      ]);
    });
  });

  describe("the dead letter's attributes, in the format of the service that sends it", () => {
    const RULE = "arn:aws:events:eu-west-1:123456789012:rule/bus/r";
    const SCHEDULE = "arn:aws:scheduler:eu-west-1:123456789012:schedule/jobs/nightly";
    const QUEUE = "arn:aws:sqs:eu-west-1:123456789012:q";
    const undelivered = (over: Partial<UndeliveredEvent> = {}): UndeliveredEvent => ({
      rule: { name: "r", arn: RULE, trigger: "eventbridge r" },
      target: { arn: QUEUE },
      body: "{}",
      code: "THROTTLING",
      message: "slow down",
      apiCode: "RequestThrottled",
      retryAttempts: 3,
      ...over,
    });
    const scheduled = {
      name: "nightly",
      arn: SCHEDULE,
      trigger: "schedule nightly",
      scheduler: { roleArn: "r", scheduledAt: Date.UTC(2026, 11, 1, 2, 3, 4, 567) },
    };

    it("an EventBridge rule's: the rule, the target, EventBridge's code, and the limit reached only after retries", () => {
      expect(deadLetterAttributes(undelivered({ exhausted: "MaximumRetryAttempts" }))).to.deep.equal({
        RULE_ARN: RULE,
        TARGET_ARN: QUEUE,
        ERROR_CODE: "THROTTLING",
        ERROR_MESSAGE: "slow down",
        EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
        RETRY_ATTEMPTS: "3",
      });
      const unretried = deadLetterAttributes(undelivered({ code: "NO_PERMISSIONS", retryAttempts: undefined }));
      expect(unretried).to.not.have.property("EXHAUSTED_RETRY_CONDITION");
      expect(unretried).to.include({ ERROR_CODE: "NO_PERMISSIONS", RETRY_ATTEMPTS: "0" });
    });

    it("a Scheduler schedule's: the target API's code, an execution id, when it was due, and no rule", () => {
      const attributes = deadLetterAttributes(undelivered({ rule: scheduled, exhausted: "MaximumEventAgeInSeconds" }));
      expect(attributes.EXECUTION_ID).to.match(/^[0-9a-f]{16}$/);
      expect({ ...attributes, EXECUTION_ID: "x" }).to.deep.equal({
        ERROR_CODE: "RequestThrottled",
        ERROR_MESSAGE: "slow down",
        EXECUTION_ID: "x",
        EXHAUSTED_RETRY_CONDITION: "MaximumEventAgeInSeconds",
        IS_PAYLOAD_TRUNCATED: "false",
        RETRY_ATTEMPTS: "3",
        SCHEDULED_TIME: "2026-12-01T02:03:04Z",
        SCHEDULE_ARN: SCHEDULE,
        TARGET_ARN: QUEUE,
      });
      expect(deadLetterAttributes(undelivered({ rule: scheduled })).EXECUTION_ID).to.not.equal(attributes.EXECUTION_ID);
      // A failure that was not the target API's is the Scheduler's own; one not retried names no limit.
      const own = deadLetterAttributes(undelivered({ rule: scheduled, apiCode: undefined }));
      expect(own.ERROR_CODE).to.equal("AWS.Scheduler.InternalServerError");
      expect(own).to.not.have.property("EXHAUSTED_RETRY_CONDITION");
    });

    it("takes a schedule's group from its ARN, for the ScheduleGroup dimension", () => {
      expect(scheduleGroupOf(SCHEDULE)).to.equal("jobs");
      expect(scheduleGroupOf("arn:aws:scheduler:eu-west-1:123456789012:schedule/default/s")).to.equal("default");
      expect(scheduleGroupOf("urn:pulumi:dev::p::aws:scheduler/schedule:Schedule::s")).to.equal("default");
      // Not a schedule's ARN (a group and a name, no more): the default group.
      expect(scheduleGroupOf("arn:aws:scheduler:eu-west-1:123456789012:schedule/jobs/nightly/extra")).to.equal("default");
    });

    describe("the metrics an event given up on counts", () => {
      /** Gives up one event from `rule`, the DLQ answering as `dlq` says; returns what was counted, as namespace/metric dimension=value. */
      const counted = async (rule: EventSource, dlq: "takes" | "refuses" | "fails" | "none") => {
        const metrics: string[] = [];
        const alarms = {
          count: (namespace: string, metric: string, dimensions: Record<string, string>) =>
            void metrics.push(`${namespace}/${metric} ${Object.entries(dimensions).map(([k, v]) => `${k}=${v}`)}`),
        };
        const iam = {
          deliveryCalls: (arn: string) => [{ action: "sqs:SendMessage", resource: arn }],
          checkRole: () => ({ allowed: dlq !== "refuses" }),
          checkServiceCall: () => ({ allowed: dlq !== "refuses" }),
        } as unknown as import("../../local/iam/authority").IamAuthority;
        await deadLetterEvent(
          {
            reporter: new Reporter(() => undefined),
            iam,
            alarms,
            destinations: {
              send: async () => {
                if (dlq === "fails") throw new Error("queue gone");
              },
            },
          },
          undelivered({ rule, target: { arn: QUEUE, deadLetterArn: dlq === "none" ? undefined : `${QUEUE}-dlq` } }),
        );
        return metrics;
      };
      const rule = undelivered().rule;

      for (const [whose, source, namespace, dimension, givenUp, sent, failed] of [
        ["a rule's", rule, "AWS/Events", "RuleName=r", "FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq"],
        [
          "a Scheduler schedule's, by its group",
          scheduled,
          "AWS/Scheduler",
          "ScheduleGroup=jobs",
          "InvocationDroppedCount",
          "InvocationsSentToDeadLetterCount",
          "InvocationsFailedToBeSentToDeadLetterCount",
        ],
      ] as const)
        it(`${whose}: ${givenUp}, then ${sent} or ${failed}`, async () => {
          const metric = (name: string) => `${namespace}/${name} ${dimension}`;
          expect(await counted(source, "takes")).to.deep.equal([metric(givenUp), metric(sent)]);
          for (const dlq of ["refuses", "fails"] as const)
            expect(await counted(source, dlq), dlq).to.deep.equal([metric(givenUp), metric(failed)]);
          expect(await counted(source, "none")).to.deep.equal([metric(givenUp)]);
        });

      it("says in each count why, for the alarm's line", async () => {
        const reasons: string[] = [];
        const alarms = {
          count: (_n: string, metric: string, _d: Record<string, string>, reason: string) => void reasons.push(`${metric}: ${reason}`),
        };
        const reporter = new Reporter(() => undefined);
        const failing = { send: async () => Promise.reject(new Error("queue gone")) };
        const dlq = { arn: QUEUE, deadLetterArn: `${QUEUE}-dlq` };
        await deadLetterEvent({ reporter, alarms, destinations: failing }, undelivered({ target: dlq }));
        await deadLetterEvent({ reporter, alarms, destinations: { send: async () => undefined } }, undelivered({ target: dlq }));
        const refusing = {
          deliveryCalls: (arn: string) => [{ action: "sqs:SendMessage", resource: arn }],
          checkServiceCall: () => ({ allowed: false }),
        } as unknown as import("../../local/iam/authority").IamAuthority;
        await deadLetterEvent({ reporter, alarms, destinations: failing, iam: refusing }, undelivered({ target: dlq }));
        countSchedulerAttempt(alarms, scheduled, QUEUE, { code: "THROTTLING", message: "slow down" });
        expect(reasons).to.deep.equal([
          `FailedInvocations: eventbridge r could not deliver to ${QUEUE}`,
          "InvocationsFailedToBeSentToDlq: eventbridge r could not put an event in its DLQ",
          `FailedInvocations: eventbridge r could not deliver to ${QUEUE}`,
          "InvocationsSentToDlq: eventbridge r put an event in its DLQ",
          `FailedInvocations: eventbridge r could not deliver to ${QUEUE}`,
          "InvocationsFailedToBeSentToDlq: eventbridge r may not sqs:SendMessage on its DLQ",
          `InvocationAttemptCount: schedule nightly invoked ${QUEUE}`,
          `TargetErrorCount: schedule nightly could not invoke ${QUEUE}: slow down`,
          `TargetErrorThrottledCount: schedule nightly could not invoke ${QUEUE}: slow down`,
        ]);
      });
    });
  });

  describe("the Scheduler's metrics of each attempt", () => {
    const SCHEDULE = { name: "s", arn: "arn:aws:scheduler:eu-west-1:123456789012:schedule/jobs/s", trigger: "schedule s" };
    const counted = (rule: EventSource, failure?: DeliveryFailure) => {
      const metrics: string[] = [];
      countSchedulerAttempt(
        { count: (_n, metric, dimensions) => void metrics.push(`${metric} ${dimensions.ScheduleGroup}`) },
        rule,
        "t",
        failure,
      );
      return metrics;
    };
    const scheduler = { ...SCHEDULE, scheduler: { roleArn: "r", scheduledAt: 0 } };

    it("counts an attempt, and a failed one as a target error, a throttled one as a throttle too, by the schedule's group", () => {
      expect(counted(scheduler)).to.deep.equal(["InvocationAttemptCount jobs"]);
      expect(counted(scheduler, { code: "NO_PERMISSIONS", message: "no" })).to.deep.equal([
        "InvocationAttemptCount jobs",
        "TargetErrorCount jobs",
      ]);
      expect(counted(scheduler, { code: "THROTTLING", message: "slow" })).to.deep.equal([
        "InvocationAttemptCount jobs",
        "TargetErrorCount jobs",
        "TargetErrorThrottledCount jobs",
      ]);
    });

    it("counts nothing for an EventBridge rule, nor without alarms", () => {
      expect(counted(SCHEDULE, { code: "THROTTLING", message: "slow" })).to.deep.equal([]);
      expect(() => countSchedulerAttempt(undefined, scheduler, "t")).to.not.throw();
    });
  });

  describe("the target API's own error code (a Scheduler dead letter's ERROR_CODE)", () => {
    const cases: [string, unknown, string | undefined][] = [
      [
        "SQS's query-compatible code",
        { name: "QueueDoesNotExist", Code: "AWS.SimpleQueueService.NonExistentQueue" },
        "AWS.SimpleQueueService.NonExistentQueue",
      ],
      ["an error's name", { name: "NotFoundException" }, "NotFoundException"],
      ["an empty code, then the name", { name: "NotFoundException", Code: "" }, "NotFoundException"],
      ["a code that is not text, then the name", { name: "NotFoundException", Code: 42 }, "NotFoundException"],
      ["a name that is not text", { name: 7 }, undefined],
      ["an empty name", { name: "" }, undefined],
      ["a plain error", new Error("boom"), undefined],
      ["nothing at all", undefined, undefined],
    ];
    for (const [what, err, code] of cases)
      it(`${what}: ${code}`, () => {
        expect(apiCodeOf(err)).to.equal(code);
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
            rule: { name: "r", arn: "arn:aws:events:eu-west-1:123456789012:rule/bus/r", trigger: "eventbridge r" },
            target: { arn: "arn:aws:sqs:eu-west-1:123456789012:q", deadLetterArn: "arn:aws:sqs:eu-west-1:123456789012:dlq" },
            body: "{}",
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

  describe("the router's deliveries not yet done (what a stop drops, or --persist saves and takes up)", () => {
    const QUEUE = "arn:aws:sqs:eu-west-1:123456789012:target";
    const DLQ = "arn:aws:sqs:eu-west-1:123456789012:target-dlq";
    const RULE = "arn:aws:events:eu-west-1:123456789012:rule/orders/nightly";
    const SCHEDULE = "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/hourly";
    /** A router with one rule and its queue target, whose SendMessage answers as `send` says. */
    const routerWith = (send: () => Promise<unknown>, pending = new PendingDeliveries()) => {
      const lines: string[] = [];
      const dead: { arn: string; attributes?: Record<string, string> }[] = [];
      const metrics: string[] = [];
      const reporter = new Reporter((l) => lines.push(l));
      const router = new EventRouter({
        model: {
          eventRules: [
            {
              name: "nightly",
              arn: RULE,
              busName: "orders",
              pattern: {},
              enabled: true,
              targets: [{ arn: QUEUE, deadLetterArn: DLQ, retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 60 } }],
            },
          ],
          schedules: [
            {
              name: "hourly",
              arn: SCHEDULE,
              expression: "rate(1 hour)",
              enabled: true,
              kind: "scheduler",
              targets: [
                {
                  functionArn: QUEUE,
                  roleArn: "arn:aws:iam::123456789012:role/r",
                  retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 },
                },
              ],
            },
          ],
        },
        clients: { sqs: { send } },
        provisioned: { queueUrls: new Map([[QUEUE, "http://queue"]]) },
        reporter,
        alarms: {
          count: (namespace: string, metric: string, dimensions: Record<string, string>) =>
            void metrics.push(`${namespace}/${metric} ${Object.entries(dimensions).map(([k, v]) => `${k}=${v}`)}`),
        },
        destinations: {
          send: async (arn: string, _body: string, attributes?: Record<string, string>) => void dead.push({ arn, attributes }),
        },
        // The first retry waits 10 s, well within the policy's 60 s: a test ends before it.
        retryBaseMs: 10_000,
        pending,
      } as unknown as EventRouterOptions);
      return { router, pending, lines, dead, metrics };
    };
    const throttled = async () => {
      throw Object.assign(new Error("slow down"), { name: "ThrottlingException" });
    };
    const until = (condition: () => boolean, what: string) => eventually(async () => (condition() ? true : undefined), what, 200, 10);
    const entry = (over: Partial<PendingRuleDelivery> = {}): PendingRuleDelivery => ({
      kind: "eventbridge",
      rule: RULE,
      target: QUEUE,
      event: { id: "e-1" },
      arrived: Date.now(),
      retry: 0,
      ...over,
    });

    it("keeps a delivery waiting for its retry, with the retry it waits for and why, through the stop", async () => {
      const { router, pending } = routerWith(throttled);
      const waiting = entry();
      expect(router.resume(waiting)).to.equal(true);
      await until(() => waiting.retry === 1, "the first attempt's failure");
      await router.stop();
      expect(pending.list()).to.deep.equal([
        {
          ...entry({ arrived: waiting.arrived }),
          retry: 1,
          lastFailure: { code: "THROTTLING", message: "slow down", apiCode: "ThrottlingException" },
        },
      ]);
      expect(pending.describe()).to.equal(`1 EventBridge event(s) of nightly for ${QUEUE}`);
    });

    it("takes a saved delivery up at its retry, and once delivered it is no longer pending", async () => {
      let sent = 0;
      const { router, pending } = routerWith(async () => void sent++);
      expect(router.resume(entry({ retry: 3, lastFailure: { code: "THROTTLING", message: "slow down" } }))).to.equal(true);
      await until(() => sent === 1 && pending.size === 0, "the delivery");
      await router.stop();
    });

    it("sends a saved delivery past its maximum age to the DLQ without trying it, with its retries so far", async () => {
      let sent = 0;
      const { router, pending, dead } = routerWith(async () => void sent++);
      const old = entry({ arrived: Date.now() - 61_000, retry: 4, lastFailure: { code: "THROTTLING", message: "slow down" } });
      expect(router.resume(old)).to.equal(true);
      await until(() => dead.length === 1, "the DLQ message");
      expect(dead[0]).to.deep.include({ arn: DLQ });
      expect(dead[0].attributes).to.deep.include({
        ERROR_CODE: "THROTTLING",
        RETRY_ATTEMPTS: "3",
        EXHAUSTED_RETRY_CONDITION: "MaximumEventAgeInSeconds",
      });
      expect(sent).to.equal(0);
      expect(pending.size).to.equal(0);
      await router.stop();
    });

    it("takes up a schedule's delivery under the schedule's own retry policy, counting the Scheduler's metrics", async () => {
      const { router, pending, dead, lines, metrics } = routerWith(throttled);
      // The schedule allows no retry: one attempt, then its target's DLQ (it has none: dropped, and said).
      expect(router.resume(entry({ rule: SCHEDULE }))).to.equal(true);
      await until(() => pending.size === 0, "the schedule's delivery to end");
      expect(dead).to.deep.equal([]);
      expect(lines).to.include(`schedule hourly: the event for ${QUEUE} is dropped: slow down, and the target has no DLQ`);
      expect(metrics).to.deep.equal([
        "AWS/Scheduler/InvocationAttemptCount ScheduleGroup=default",
        "AWS/Scheduler/TargetErrorCount ScheduleGroup=default",
        "AWS/Scheduler/TargetErrorThrottledCount ScheduleGroup=default",
        "AWS/Scheduler/InvocationDroppedCount ScheduleGroup=default",
      ]);
      await router.stop();
    });

    it("keeps the SNS messages still on their way to a function at a stop, as the async events Lambda would have accepted", async () => {
      const INTERNAL = "http://sqs.localhost/local-sns-news";
      const envelope = { Type: "Notification", MessageId: "m-1", Message: "hello", Timestamp: "2026-12-01T00:00:00.000Z" };
      const waiting = [
        { Body: JSON.stringify(envelope), ReceiptHandle: "r-1", Attributes: { SentTimestamp: "1000" } },
        { Body: JSON.stringify({ ...envelope, MessageId: "m-2" }), ReceiptHandle: "r-2", Attributes: { SentTimestamp: "2000" } },
      ];
      const deleted: string[] = [];
      const pending = new PendingDeliveries();
      const reporter = new Reporter(() => undefined);
      const router = new EventRouter({
        model: { eventRules: [], schedules: [], topics: [] },
        reporter,
        pending,
        clients: {
          sqs: {
            send: async (command: { constructor: { name: string }; input: any }) => {
              if (command.constructor.name === "DeleteMessageCommand") return void deleted.push(command.input.ReceiptHandle);
              // One message a receive, until none is left.
              return { Messages: waiting.splice(0, 1) };
            },
          },
        },
      } as unknown as EventRouterOptions);
      const internals = router as unknown as { lambdaService: unknown; topicDeliveries: unknown[] };
      // The second message's function may not be invoked by SNS: it is not kept, as Lambda would not accept it.
      let allowed = 0;
      internals.lambdaService = { permitsInvoke: () => allowed++ === 0 };
      internals.topicDeliveries.push({
        queueUrl: INTERNAL,
        topicArn: "arn:aws:sns:eu-west-1:123456789012:news",
        subscriptionArn: "arn:aws:sns:eu-west-1:123456789012:news:sub-1",
        functionRef: "recorder",
        trigger: "sns news",
      });
      await router.stop();
      expect(deleted).to.deep.equal(["r-1", "r-2"]);
      const [kept, ...more] = pending.list();
      expect(more).to.deep.equal([]);
      expect(kept).to.deep.include({ kind: "lambda", function: "recorder", trigger: "sns news", received: 1000, attempts: 0 });
      expect((kept as { event: any }).event.Records[0]).to.deep.include({
        EventSource: "aws:sns",
        EventSubscriptionArn: "arn:aws:sns:eu-west-1:123456789012:news:sub-1",
      });
      expect((kept as { event: any }).event.Records[0].Sns).to.deep.include({ MessageId: "m-1", Message: "hello" });
    });

    it("does not take up a delivery whose rule, schedule or target the graph no longer has", async () => {
      const { router, pending } = routerWith(throttled);
      expect(router.resume(entry({ rule: `${RULE}-gone` }))).to.equal(false);
      expect(router.resume(entry({ target: `${QUEUE}-gone` }))).to.equal(false);
      expect(router.resume(entry({ rule: SCHEDULE, target: `${QUEUE}-gone` }))).to.equal(false);
      expect(pending.size).to.equal(0);
      await router.stop();
    });
  });
});
