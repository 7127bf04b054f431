import { expect } from "chai";
import { DeadLetterQueue } from "../../components/dead-letter-queue";
import { QueueWorker } from "../../components/queue-worker";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, keptOptions, parsed, PROGRAM_DIR } from "../harness";

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

  it("is tagged a dead-letter queue of its source", () => {
    expect(graph.one("aws:sqs/queue:Queue", "kept").inputs.tags).to.deep.equal({
      "platform:role": "dead-letter-queue",
      "platform:source": "kept",
    });
  });

  it("alarms as soon as one message is visible", () => {
    const alarm = graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "kept-messages-visible");
    expect(alarm.inputs.statistic).to.equal("Maximum");
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

describe("QueueWorker's defaults, options and limits", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      new QueueWorker("plain", { alertTopicArn: ALERT_TOPIC, worker: { entry: WORKER, memoryMb: 256, timeoutSeconds: 10 } });
      new QueueWorker("tuned", {
        alertTopicArn: ALERT_TOPIC,
        batchSize: 50,
        maximumBatchingWindowSeconds: 2,
        visibilityTimeoutSeconds: 61,
        retentionSeconds: 86400,
        backlogAgeAlarmSeconds: 60,
        protect: false,
        deadLetterOutputKey: "orders",
        worker: {
          entry: WORKER,
          memoryMb: 256,
          timeoutSeconds: 10,
          policyStatements: [
            { Sid: "ReadOrders", Action: ["dynamodb:GetItem"], Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders" },
          ],
        },
        transform: {
          queue: (args) => void (args.delaySeconds = 5),
          queuePolicy: (args) => void (args.queueUrl = "https://sqs.example/other"),
          eventSourceMapping: (args) => void (args.enabled = false),
        },
      });
    }, "prod");
  });
  const queue = (name: string) => graph.one("aws:sqs/queue:Queue", `${name}-queue`);
  const mapping = (name: string) => graph.one("aws:lambda/eventSourceMapping:EventSourceMapping", `${name}-events`);

  it("takes batches of ten at once, redrives after five receives, keeps messages four days, and is tagged a work queue", () => {
    expect(mapping("plain").inputs).to.deep.include({ batchSize: 10, maximumBatchingWindowInSeconds: 0 });
    expect(parsed(queue("plain"), "redrivePolicy").maxReceiveCount).to.equal(5);
    expect(queue("plain").inputs).to.deep.include({ messageRetentionSeconds: 345600, visibilityTimeoutSeconds: 60 });
    expect(queue("plain").inputs.tags).to.deep.equal({ "platform:role": "work-queue" });
  });

  it("takes the batch, window, visibility, retention and backlog age it is given", () => {
    expect(mapping("tuned").inputs).to.deep.include({ batchSize: 50, maximumBatchingWindowInSeconds: 2, enabled: false });
    expect(queue("tuned").inputs).to.deep.include({ messageRetentionSeconds: 86400, visibilityTimeoutSeconds: 61, delaySeconds: 5 });
    expect(graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "tuned-backlog-age").inputs.threshold).to.equal(60);
    expect(graph.one("aws:sqs/queuePolicy:QueuePolicy", "tuned-queue-policy").inputs.queueUrl).to.equal("https://sqs.example/other");
  });

  it("denies its own queue every request without TLS", () => {
    const policy = graph.one("aws:sqs/queuePolicy:QueuePolicy", "plain-queue-policy");
    expect(policy.inputs.queueUrl).to.equal(queue("plain").id);
    expect(parsed(policy, "policy").Statement).to.deep.equal([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: ["sqs:*"],
        Resource: [queue("plain").arn],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("alarms at a five-minute-old message, at its maximum, telling where to look", () => {
    const alarm = graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "plain-backlog-age");
    expect(alarm.inputs).to.deep.include({ namespace: "AWS/SQS", statistic: "Maximum", threshold: 300, alarmActions: [ALERT_TOPIC] });
    expect(alarm.inputs.alarmDescription).to.equal(
      "Messages are waiting too long in queue plain: the worker is failing or cannot keep up. Look at the worker function's log group and its errors and throttles alarms.",
    );
  });

  it("gives a worker without statements of its own only its logs, traces and the queue", () => {
    const statements = parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "plain-policy"), "policy").Statement;
    expect(statements.map((s: any) => s.Sid)).to.deep.equal(["WriteOwnLogs", "WriteTraces", "ConsumeWorkQueue"]);
  });

  it("keeps the caller's own statements beside the right to consume the queue", () => {
    const statements = parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "tuned-policy"), "policy").Statement;
    expect(statements.map((s: any) => s.Sid)).to.include.members(["ReadOrders", "ConsumeWorkQueue"]);
  });

  it("protects and keeps both queues by default, neither when told, and exports its DLQ under the key given", () => {
    const kept = (name: string) => keptOptions(graph.one("aws:sqs/queue:Queue", name));
    expect([kept("plain-queue"), kept("plain-dlq")]).to.deep.equal([
      [true, true],
      [true, true],
    ]);
    expect([kept("tuned-queue"), kept("tuned-dlq")]).to.deep.equal([
      [false, false],
      [false, false],
    ]);
    const alarm = (name: string) =>
      graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", `${name}-dlq-messages-visible`).inputs.alarmDescription;
    expect(alarm("tuned")).to.include("npm run dlq -- inspect --stack prod --queue orders,");
    expect(alarm("plain")).to.include("--queue plain-dlq,");
    expect(graph.one("aws:sqs/queue:Queue", "plain-dlq").inputs.tags["platform:source"]).to.equal("queue:plain");
  });

  it("needs a batching window of a second or more above ten messages, and a whole concurrency", async () => {
    const worker = (batchSize: number, maximumBatchingWindowSeconds?: number, maximumConcurrency?: number) =>
      constructionError(
        () =>
          new QueueWorker("batch", {
            alertTopicArn: ALERT_TOPIC,
            batchSize,
            maximumBatchingWindowSeconds,
            maximumConcurrency,
            worker: { entry: WORKER, memoryMb: 256, timeoutSeconds: 10 },
          }),
      );
    const needsWindow = `QueueWorker "batch": a batchSize over 10 needs maximumBatchingWindowSeconds of at least 1`;
    expect(await worker(11)).to.equal(needsWindow);
    expect(await worker(11, 0)).to.equal(needsWindow);
    expect(await worker(11, 1)).to.equal("");
    expect(await worker(10)).to.equal("");
    expect(await worker(10, undefined, 2.5)).to.equal(
      `QueueWorker "batch": maximumConcurrency must be a whole number from 2 to 1000 (got 2.5)`,
    );
  });
});
