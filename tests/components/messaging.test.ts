import { expect } from "chai";
import { DeadLetterQueue } from "../../components/dead-letter-queue";
import { QueueWorker } from "../../components/queue-worker";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, parsed, PROGRAM_DIR } from "../harness";

const WORKER = `${PROGRAM_DIR}/functions/processOrder.ts`;

describe("DeadLetterQueue", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      new DeadLetterQueue("kept", { alertTopicArn: ALERT_TOPIC });
      new DeadLetterQueue("disposable", { alertTopicArn: ALERT_TOPIC, protect: false });
    });
  });

  it("is encrypted and keeps messages for 14 days", () => {
    const queue = graph.one("aws:sqs/queue:Queue", "kept");
    expect(queue.inputs.sqsManagedSseEnabled).to.equal(true);
    expect(queue.inputs.messageRetentionSeconds).to.equal(1209600);
  });

  it("denies every request that does not use TLS", () => {
    const policy = graph.one("aws:sqs/queuePolicy:QueuePolicy", "kept-policy");
    const queue = graph.one("aws:sqs/queue:Queue", "kept");
    expect(policy.inputs.queueUrl).to.equal(queue.id);
    expect(parsed(policy, "policy").Statement).to.deep.include({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: ["sqs:*"],
      Resource: [queue.arn],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("alarms as soon as one message is visible", () => {
    const alarm = graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "kept-messages-visible");
    expect(alarm.inputs).to.deep.include({ namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", threshold: 1 });
    expect(alarm.inputs.comparisonOperator).to.equal("GreaterThanOrEqualToThreshold");
    // The queue is auto-named as `pulumi up` names it: the logical name and 7 hex characters.
    const queue = graph.one("aws:sqs/queue:Queue", "kept");
    expect(queue.state.name).to.match(/^kept-[0-9a-f]{7}$/);
    expect(alarm.inputs.dimensions).to.deep.equal({ QueueName: queue.state.name });
    expect(alarm.inputs.alarmActions).to.deep.equal([ALERT_TOPIC]);
  });

  it("is kept when the stack is destroyed unless told otherwise", () => {
    expect(graph.one("aws:sqs/queue:Queue", "kept").options.retainOnDelete).to.equal(true);
    expect(graph.one("aws:sqs/queue:Queue", "disposable").options.retainOnDelete).to.equal(false);
  });
});

describe("QueueWorker", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      new QueueWorker("jobs", {
        alertTopicArn: ALERT_TOPIC,
        maxReceiveCount: 4,
        batchSize: 7,
        worker: { entry: WORKER, memoryMb: 256, timeoutSeconds: 20 },
      });
    });
  });
  const queue = () => graph.one("aws:sqs/queue:Queue", "jobs-queue");

  it("redrives to its DLQ after maxReceiveCount receives", () => {
    expect(parsed(queue(), "redrivePolicy")).to.deep.equal({
      deadLetterTargetArn: graph.one("aws:sqs/queue:Queue", "jobs-dlq").arn,
      maxReceiveCount: 4,
    });
  });

  it("sets the visibility timeout to 6 times the worker's timeout, and is encrypted", () => {
    expect(queue().inputs.visibilityTimeoutSeconds).to.equal(120);
    expect(queue().inputs.sqsManagedSseEnabled).to.equal(true);
  });

  it("maps the queue to the worker with partial batch failures and the configured batch size", () => {
    const mapping = graph.one("aws:lambda/eventSourceMapping:EventSourceMapping", "jobs-events");
    expect(mapping.inputs.eventSourceArn).to.equal(queue().arn);
    expect(mapping.inputs.functionName).to.equal(graph.one("aws:lambda/alias:Alias", "jobs-live").arn);
    expect(mapping.inputs.functionResponseTypes).to.deep.equal(["ReportBatchItemFailures"]);
    expect(mapping.inputs.batchSize).to.equal(7);
    // A cap on what the queue pushes downstream at once, by default.
    expect(mapping.inputs.scalingConfig).to.deep.equal({ maximumConcurrency: 5 });
    expect(mapping.options.dependsOn).to.include(graph.one("aws:iam/rolePolicy:RolePolicy", "jobs-policy").urn);
  });

  it("lets the worker consume exactly its own queue, with only what Lambda's poller uses", () => {
    const statements = parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "jobs-policy"), "policy").Statement;
    const consume = statements.find((s: any) => s.Sid === "ConsumeWorkQueue");
    expect(consume.Resource).to.equal(queue().arn);
    // AWSLambdaSQSQueueExecutionRole's three; ChangeMessageVisibility went unused (the local cloud's unused-grant report).
    expect(consume.Action).to.have.members(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]);
  });

  it("alarms when messages wait too long", () => {
    const alarm = graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "jobs-backlog-age");
    expect(alarm.inputs.metricName).to.equal("ApproximateAgeOfOldestMessage");
    expect(alarm.inputs.dimensions).to.deep.equal({ QueueName: queue().state.name });
  });

  it("refuses a visibility timeout below 6 times the worker's timeout", async () => {
    const message = await constructionError(
      () =>
        new QueueWorker("tight", {
          alertTopicArn: ALERT_TOPIC,
          visibilityTimeoutSeconds: 30,
          worker: { entry: WORKER, memoryMb: 256, timeoutSeconds: 10 },
        }),
    );
    expect(message).to.equal(`QueueWorker "tight": visibilityTimeoutSeconds 30 is below 6 × the worker's timeout (60)`);
  });

  it("caps the mapping's concurrency from 2 to 1000, and never above the worker's reserved concurrency", async () => {
    const worker = (maximumConcurrency: number, reservedConcurrency?: number) =>
      constructionError(
        () =>
          new QueueWorker("capped", {
            alertTopicArn: ALERT_TOPIC,
            maximumConcurrency,
            worker: { entry: WORKER, memoryMb: 256, timeoutSeconds: 10, reservedConcurrency },
          }),
      );
    expect(await worker(1)).to.equal(`QueueWorker "capped": maximumConcurrency must be a whole number from 2 to 1000 (got 1)`);
    expect(await worker(1001)).to.equal(`QueueWorker "capped": maximumConcurrency must be a whole number from 2 to 1000 (got 1001)`);
    expect(await worker(11, 10)).to.equal(
      `QueueWorker "capped": maximumConcurrency 11 is above the worker's reservedConcurrency 10: the extra invocations would be throttled and their messages churn back to the queue`,
    );
    expect(await worker(10, 10)).to.equal("");
    expect(await worker(2)).to.equal("");
    expect(await worker(1000)).to.equal("");
  });
});
