/**
 * IAM in the local cloud, proven in both directions on the reference app: with every grant the app
 * declares, its flows work; with one grant removed at a time, the call that needs it fails as AWS
 * would fail it (the SDK's AccessDenied, or API Gateway's 500), and the local cloud says which grant
 * is missing. `--iam off` lets the same call through, so enforcement is what denies.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { captureStack, CapturedResource, Graph } from "../../graph/capture";
import { LocalCloud, LocalCloudOptions, startLocalCloud } from "../../local/cloud";
import { eventually, ROOT } from "./harness";

const ORDER = { customerId: "c-1", items: [{ sku: "SKU-1", quantity: 2 }] };

/** The graph with `action` taken out of the role policy statement `sid` (the statement goes when it was its last action). */
function withoutGrant(graph: Graph, sid: string, action: string): Graph {
  let found = false;
  const resources = graph.resources.map((r): CapturedResource => {
    if (r.type !== "aws:iam/rolePolicy:RolePolicy") return r;
    const doc = JSON.parse(r.state.policy);
    const statement = doc.Statement.find((s: any) => s.Sid === sid);
    if (!statement) return r;
    const actions = ([] as string[]).concat(statement.Action);
    if (!actions.includes(action)) throw new Error(`statement ${sid} does not grant ${action}`);
    found = true;
    statement.Action = actions.filter((a) => a !== action);
    if (statement.Action.length === 0) doc.Statement = doc.Statement.filter((s: any) => s !== statement);
    return { ...r, state: { ...r.state, policy: JSON.stringify(doc) } };
  });
  if (!found) throw new Error(`no role policy statement ${sid}`);
  return { ...graph, resources };
}

/** The graph without one resource, by type and name. */
/** The graph with one resource's state changed by `change`. */
function changed(graph: Graph, type: string, name: string, change: (state: Record<string, any>) => Record<string, any>): Graph {
  if (!graph.resources.some((r) => r.type === type && r.name === name)) throw new Error(`no ${type} ${name}`);
  return { ...graph, resources: graph.resources.map((r) => (r.type === type && r.name === name ? { ...r, state: change(r.state) } : r)) };
}

function without(graph: Graph, type: string, name: string): Graph {
  const resources = graph.resources.filter((r) => !(r.type === type && r.name === name));
  if (resources.length !== graph.resources.length - 1) throw new Error(`no ${type} ${name}`);
  return { ...graph, resources };
}

describe("IAM in the local cloud, on the reference app", function () {
  this.timeout(120_000);
  let dev: Graph;
  let cloud: LocalCloud | undefined;
  let lines: string[];
  const start = async (graph: Graph, options: Partial<LocalCloudOptions> = {}) => {
    lines = [];
    cloud = await startLocalCloud({
      graph,
      programDir: ROOT,
      port: 0,
      stateFile: false,
      asyncRetryBaseMs: 10,
      write: (l) => lines.push(l),
      ...options,
    });
    return cloud;
  };
  const post = (body: unknown) =>
    fetch(`${cloud!.url}/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const denials = () => lines.filter((l) => l.startsWith("AccessDenied"));
  const functionName = (short: string) => cloud!.model.functions.find((f) => f.name.endsWith(`-${short}`))!.name;
  const arnOf = (type: string, name: string) => dev.resources.find((r) => r.type === type && r.name === name)!.arn!;

  before(async () => {
    dev = await captureStack(ROOT, "dev");
  });
  afterEach(async () => {
    await cloud?.stop();
    cloud = undefined;
  });

  it("runs every flow of the app with the grants it declares, and denies nothing", async () => {
    await start(dev);
    const created = await post(ORDER);
    expect(created.status).to.equal(202);
    const { orderId } = (await created.json()) as { orderId: string };
    await eventually(async () => {
      const order = (await (await fetch(`${cloud!.url}/orders/${orderId}`)).json()) as { status: string };
      return order.status === "processed" ? true : undefined;
    }, "the order to be processed");
    const report = await cloud!.invoke("daily-report", {});
    expect(report.error).to.equal(undefined);
    expect((await fetch(`${cloud!.url}/health`)).status).to.equal(200);
    expect(denials()).to.deep.equal([]);
    expect(lines.some((l) => l.startsWith("IAM: enforced"))).to.equal(true);
  });

  it("fails the order flow's write without dynamodb:PutItem, as DynamoDB's AccessDeniedException", async () => {
    await start(withoutGrant(dev, "StoreOrders", "dynamodb:PutItem"));
    const table = arnOf("aws:dynamodb/table:Table", "orders");
    const answer = await post(ORDER);
    expect(answer.status).to.equal(500);
    expect(denials()).to.deep.equal([
      `AccessDenied ${functionName("create-order")}: dynamodb:PutItem on ${table}; grant it with { "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "${table}" } in ${arnOf("aws:iam/role:Role", "create-order-role").split("/").pop()}'s policy`,
    ]);
    const invocation = lines.find((l) => l.startsWith(`λ ${functionName("create-order")}`));
    expect(invocation, "the invocation's error, as the SDK threw it").to.include(
      `is not authorized to perform: dynamodb:PutItem on resource: ${table} because no identity-based policy allows the dynamodb:PutItem action`,
    );
  });

  it("lets the same call through with --iam off", async () => {
    await start(withoutGrant(dev, "StoreOrders", "dynamodb:PutItem"), { iam: "off" });
    expect((await post(ORDER)).status).to.equal(202);
    expect(denials()).to.deep.equal([]);
    expect(lines).to.include("IAM: off (--iam off); these are accepted, not enforced");
  });

  it("fails enqueueing the order without sqs:SendMessage, as SQS's AccessDenied", async () => {
    await start(withoutGrant(dev, "EnqueueOrders", "sqs:SendMessage"));
    expect((await post(ORDER)).status).to.equal(500);
    const queue = arnOf("aws:sqs/queue:Queue", "process-order-queue");
    expect(denials()).to.have.length(1);
    expect(denials()[0]).to.match(new RegExp(`^AccessDenied ${functionName("create-order")}: sqs:SendMessage on ${queue};`));
    // SQS's JSON protocol keeps the query protocol's error code: the SDK throws AccessDenied, not AccessDeniedException.
    const invocation = lines.find((l) => l.startsWith(`λ ${functionName("create-order")}`));
    expect(invocation).to.include(`500 error AccessDenied: User: arn:aws:sts::111111111111:assumed-role/`);
    expect(invocation).to.include(
      `is not authorized to perform: sqs:SendMessage on resource: ${queue} because no identity-based policy allows the sqs:SendMessage action`,
    );
  });

  it("leaves the work queue unpolled without the worker's sqs:ReceiveMessage: the order waits in the queue", async () => {
    await start(withoutGrant(dev, "ConsumeWorkQueue", "sqs:ReceiveMessage"));
    expect((await post(ORDER)).status).to.equal(202);
    const queue = cloud!.model.queues.find((q) => q.name.startsWith("process-order-queue"))!;
    await eventually(async () => (denials().length > 0 ? true : undefined), "the poller's denial");
    expect(denials()[0]).to.match(
      new RegExp(`^AccessDenied ${functionName("process-order")} \\(its SQS event source mapping\\): sqs:ReceiveMessage on ${queue.arn};`),
    );
    expect(await waiting(cloud!, queue.name)).to.equal(1);
    expect(lines.some((l) => l.startsWith(`λ ${functionName("process-order")}`))).to.equal(false);
  });

  it("cannot put a failed async event in the DLQ without the function's sqs:SendMessage on it", async () => {
    await start(withoutGrant(dev, "SendFailedEventsToDlq", "sqs:SendMessage"));
    const dlq = arnOf("aws:sqs/queue:Queue", "daily-report-dlq");
    cloud!.invokeAsync("daily-report", { faultInject: "dailyReport" });
    await eventually(async () => (lines.some((l) => l.includes("could not deliver")) ? true : undefined), "the failed delivery");
    expect(denials()).to.deep.equal([
      `AccessDenied ${functionName("daily-report")} (Lambda delivering an async event): sqs:SendMessage on ${dlq}; grant it with { "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "${dlq}" } in ${arnOf("aws:iam/role:Role", "daily-report-role").split("/").pop()}'s policy`,
    ]);
    expect(await waiting(cloud!, dlq.split(":").pop()!)).to.equal(0);
  });

  it("fails reading the config without s3:GetObject on its object, as S3's AccessDenied", async () => {
    await start(withoutGrant(dev, "ReadConfigObject", "s3:GetObject"));
    const outcome = await cloud!.invoke("daily-report", {});
    expect(outcome.error!.errorType).to.equal("ConfigUnavailableError");
    expect(outcome.error!.errorMessage).to.match(
      /^config s3:\/\/app-config-bucket-[0-9a-f]{7}\/config\/dev\.json is unavailable: AccessDenied: User: arn:aws:sts::111111111111:assumed-role\/daily-report-role-[0-9a-f]{7}\/platform-dev-daily-report is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::app-config-bucket-[0-9a-f]{7}\/config\/dev\.json because no identity-based policy allows the s3:GetObject action$/,
    );
    expect(denials()).to.have.length(1);
  });

  it("fails reading the config without kms:Decrypt on its key, though s3:GetObject is granted", async () => {
    await start(withoutGrant(dev, "DecryptConfig", "kms:Decrypt"));
    const key = arnOf("aws:kms/key:Key", "app-config-key");
    const outcome = await cloud!.invoke("daily-report", {});
    expect(outcome.error!.errorMessage).to.include(`AccessDenied: User: arn:aws:sts::111111111111:assumed-role/`);
    expect(outcome.error!.errorMessage).to.include(
      `is not authorized to perform: kms:Decrypt on resource: ${key} because no identity-based policy allows the kms:Decrypt action`,
    );
    expect(denials()).to.deep.equal([
      `AccessDenied ${functionName("daily-report")}: kms:Decrypt on ${key}; grant it with { "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "${key}" } in ${arnOf("aws:iam/role:Role", "daily-report-role").split("/").pop()}'s policy`,
    ]);
  });

  it("answers 500 without invoking the function when the route has no invoke permission for API Gateway", async () => {
    await start(without(dev, "aws:lambda/permission:Permission", "api-get-health-permission"));
    const answer = await fetch(`${cloud!.url}/health`);
    expect(answer.status).to.equal(500);
    expect(await answer.json()).to.deep.equal({ message: "Internal Server Error" });
    expect(lines.some((l) => l.startsWith(`λ ${functionName("health")}`))).to.equal(false);
    const api = cloud!.model.apis[0].id;
    expect(denials()).to.deep.equal([
      `AccessDenied api GET /health: apigateway.amazonaws.com may not invoke ${functionName("health")} for arn:aws:execute-api:eu-west-1:111111111111:${api}/$default/GET/health; add an aws.lambda.Permission { action: "lambda:InvokeFunction", function: "${functionName("health")}", qualifier: "live", principal: "apigateway.amazonaws.com", sourceArn: "arn:aws:execute-api:eu-west-1:111111111111:${api}/$default/GET/health" } (a wildcard such as arn:aws:execute-api:eu-west-1:111111111111:${api}/*/GET/health covers more)`,
    ]);
    // The other routes keep their permissions.
    expect((await post(ORDER)).status).to.equal(202);
  });

  it("answers 500 when the route's permission is on the bare function: the route invokes the live alias", async () => {
    const bare = changed(dev, "aws:lambda/permission:Permission", "api-get-health-permission", ({ qualifier: _, ...state }) => state);
    await start(bare);
    expect((await fetch(`${cloud!.url}/health`)).status).to.equal(500);
    expect(denials()).to.have.length(1);
    expect(denials()[0])
      .to.include(`may not invoke ${functionName("health")} for`)
      .and.include(`qualifier: "live"`);
  });

  it("drops the event a rule could not deliver when its DLQ's policy does not let EventBridge send, saying so", async () => {
    const noPermission = without(dev, "aws:lambda/permission:Permission", "daily-report-schedule-daily-report-permission");
    // The DLQ's policy keeps only its TLS-only deny: no statement lets events.amazonaws.com send.
    const closed = changed(noPermission, "aws:sqs/queuePolicy:QueuePolicy", "daily-report-schedule-dlq-policy", (state) => {
      const policy = JSON.parse(state.policy);
      return {
        ...state,
        policy: JSON.stringify({ ...policy, Statement: policy.Statement.filter((st: { Effect: string }) => st.Effect === "Deny") }),
      };
    });
    await start(closed);
    const schedule = cloud!.model.schedules.find((s) => s.name.startsWith("daily-report-schedule"))!;
    const dlqArn = schedule.targets[0].deadLetterArn!;
    expect(cloud!.fireSchedule(schedule.name)).to.deep.equal([]);
    const dropped = await eventually(
      async () => lines.find((l) => l.startsWith(`schedule ${schedule.name}: the event for`)),
      "the schedule's word on the event",
    );
    expect(dropped).to.equal(
      `schedule ${schedule.name}: the event for ${schedule.targets[0].functionArn} is dropped: EventBridge may not invoke ${schedule.targets[0].functionArn}, and EventBridge may not sqs:SendMessage on its DLQ ${dlqArn}`,
    );
    expect(denials()[1]).to.match(
      new RegExp(
        `^AccessDenied schedule ${schedule.name} \\(its DLQ\\): events.amazonaws.com may not sqs:SendMessage on ${dlqArn} for ${schedule.arn};`,
      ),
    );
    const { Messages } = await withSqs(cloud!, (sqs) =>
      sqs.send(new ReceiveMessageCommand({ QueueUrl: cloud!.outputs.deadLetterQueues.dailyReportSchedule.url, WaitTimeSeconds: 1 })),
    );
    expect(Messages ?? []).to.deep.equal([]);
  });

  it("does not fire a schedule's function without the rule's invoke permission, and puts the event in the schedule's DLQ", async () => {
    await start(without(dev, "aws:lambda/permission:Permission", "daily-report-schedule-daily-report-permission"));
    const schedule = cloud!.model.schedules.find((s) => s.name.startsWith("daily-report-schedule"))!;
    expect(cloud!.fireSchedule(schedule.name)).to.deep.equal([]);
    expect(denials()[0]).to.match(
      new RegExp(
        `^AccessDenied schedule ${schedule.name}: events.amazonaws.com may not invoke ${functionName("daily-report")} for ${schedule.arn};`,
      ),
    );
    // EventBridge does not retry a missing permission: the event goes straight to the DLQ, with what failed.
    const queueUrl = cloud!.outputs.deadLetterQueues.dailyReportSchedule.url;
    const messages = await withSqs(cloud!, (sqs) =>
      eventually(
        async () => {
          const { Messages } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ["All"], WaitTimeSeconds: 1 }),
          );
          return Messages?.length ? Messages : undefined;
        },
        "the event in the schedule's DLQ",
        20,
      ),
    );
    const attributes = Object.fromEntries(Object.entries(messages[0].MessageAttributes!).map(([k, v]) => [k, v.StringValue]));
    expect(attributes).to.deep.equal({
      RULE_ARN: schedule.arn,
      TARGET_ARN: schedule.targets[0].functionArn,
      ERROR_CODE: "NO_PERMISSIONS",
      ERROR_MESSAGE: `EventBridge may not invoke ${schedule.targets[0].functionArn}`,
      RETRY_ATTEMPTS: "0",
    });
    expect(JSON.parse(messages[0].Body!)).to.deep.include({
      "detail-type": "Scheduled Event",
      source: "aws.events",
      resources: [schedule.arn],
    });
  });
});

/** Runs `use` with an SQS client of the local cloud holding the developer's own (unchecked) credentials, then closes it. */
async function withSqs<T>(cloud: LocalCloud, use: (sqs: SQSClient) => Promise<T>): Promise<T> {
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  const sqs = new SQSClient({ endpoint: cloud.environment.AWS_ENDPOINT_URL_SQS, region: cloud.model.region, credentials });
  try {
    return await use(sqs);
  } finally {
    sqs.destroy();
  }
}

/** Messages waiting in a queue of the local cloud. */
function waiting(cloud: LocalCloud, name: string): Promise<number> {
  return withSqs(cloud, async (sqs) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: `${cloud.environment.AWS_ENDPOINT_URL_SQS}/000000000000/${name}`,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    return Number(Attributes!.ApproximateNumberOfMessages);
  });
}

describe("IAM in the local cloud, on a program of raw aws resources (tests/fixtures/iam-program)", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let lines: string[];
  before(async () => {
    lines = [];
    cloud = await startLocalCloud({
      programDir: `${ROOT}/tests/fixtures/iam-program`,
      stack: "test",
      port: 0,
      stateFile: false,
      write: (l) => lines.push(l),
    });
  });
  after(() => cloud?.stop());

  const run = async (fn: string, event: object) => JSON.parse((await cloud.invoke(`iam-fixture-${fn}`, event)).payload!);
  const session = (fn: string) =>
    new RegExp(`^User: arn:aws:sts::123456789012:assumed-role/${fn}-role-[0-9a-f]{7}/iam-fixture-${fn} is not authorized to perform: `);

  it("reads what the role's policy grants", async () => {
    expect(await run("reader", { op: "read", key: "public/a.txt" })).to.deep.equal({ ok: true, body: "public text" });
  });

  it("denies what the bucket policy denies, though the role's policy grants it", async () => {
    const result = await run("reader", { op: "read", key: "private/b.txt" });
    expect(result).to.include({ ok: false, error: "AccessDenied", status: 403 });
    expect(result.message).to.match(session("reader"));
    expect(result.message).to.match(
      /s3:GetObject on resource: arn:aws:s3:::iam-fixture-docs\/private\/b\.txt with an explicit deny in a resource-based policy$/,
    );
    expect(lines).to.include(
      "AccessDenied iam-fixture-reader: s3:GetObject on arn:aws:s3:::iam-fixture-docs/private/b.txt; denied by bucket policy docs-policy, statement NothingPrivate",
    );
  });

  it("lets the queue policy's grant stand on its own, for the role it names only", async () => {
    expect(await run("reader", { op: "send" })).to.deep.equal({ ok: true });
    const outsider = await run("outsider", { op: "send" });
    expect(outsider).to.include({ ok: false, error: "AccessDenied", status: 400 });
    expect(outsider.message).to.match(session("outsider"));
  });

  it("answers SNS's AuthorizationError (the SDK's AuthorizationErrorException) for a publish nothing grants", async () => {
    const result = await run("reader", { op: "publish" });
    expect(result).to.include({ ok: false, error: "AuthorizationErrorException", status: 403 });
    expect(result.message).to.match(
      /sns:Publish on resource: arn:aws:sns:us-east-1:123456789012:iam-fixture-news because no identity-based policy allows the sns:Publish action$/,
    );
  });

  it("denies what nothing grants", async () => {
    const result = await run("reader", { op: "write", key: "public/new.txt" });
    expect(result).to.include({ ok: false, error: "AccessDenied", status: 403 });
    expect(result.message).to.match(
      /s3:PutObject on resource: arn:aws:s3:::iam-fixture-docs\/public\/new\.txt because no identity-based policy allows the s3:PutObject action$/,
    );
  });

  it("answers a missing key with AccessDenied to a role that may not list the bucket, and NoSuchKey to one that may", async () => {
    const blind = await run("reader", { op: "read", key: "public/none.txt" });
    expect(blind).to.include({ ok: false, error: "AccessDenied", status: 403 });
    expect(blind.message).to.include(
      "s3:ListBucket on resource: arn:aws:s3:::iam-fixture-docs because no identity-based policy allows the s3:ListBucket action",
    );
    expect(await run("lister", { op: "read", key: "public/none.txt" })).to.include({ ok: false, error: "NoSuchKey", status: 404 });
  });

  it("writes each function's logs with its role's AWS managed policy, and reports no denial for them", () => {
    expect(lines.filter((l) => l.includes("Lambda writing its logs"))).to.deep.equal([]);
  });
});
