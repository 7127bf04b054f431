/**
 * An HTTP API's first-class AWS service integrations (tests/fixtures/storage-first): the request kept in a
 * queue or put on a bus by API Gateway itself, with the integration's role; the parameters' mapping
 * expressions; what CreateIntegration refuses; a subtype not emulated.
 */
import { createHash } from "crypto";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { buildModel, GraphRefusedError } from "../../local/model";
import { evaluateParameter, ParameterSource, serviceIntegrationProblem } from "../../local/service-integrations";
import { captureStack } from "../../graph/capture";
import { eventually, ROOT } from "./harness";

const PROGRAM = `${ROOT}/tests/fixtures/storage-first`;

describe("local cloud: HTTP API service integrations (fixture storage-first)", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let lines: string[];
  let sqs: SQSClient;

  before(async () => {
    lines = [];
    cloud = await startLocalCloud({ programDir: PROGRAM, stack: "dev", port: 0, stateFile: false, write: (l) => lines.push(l) });
    sqs = new SQSClient({
      region: cloud.model.region,
      endpoint: cloud.environment.AWS_ENDPOINT_URL_SQS,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  });
  after(async () => {
    sqs?.destroy();
    await cloud?.stop();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${cloud.url}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  const receive = async (url: string) =>
    (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];

  it("lists each route's service, and a subtype it does not emulate as answering 500", () => {
    const row = (key: string) =>
      lines
        .find((l) => l.trim().startsWith(key))
        ?.trim()
        .split(/\s{2,}/);
    expect(row("POST /orders")).to.deep.equal(["POST /orders", "→ SQS-SendMessage"]);
    expect(row("POST /events")).to.deep.equal(["POST /events", "→ EventBridge-PutEvents"]);
    expect(row("POST /workflow")).to.deep.equal(["POST /workflow", "→ StepFunctions-StartExecution (not emulated locally: answers 500)"]);
  });

  it("keeps the request body in the queue, and answers SendMessage's result", async () => {
    const res = await post("/orders", JSON.stringify({ id: 1 }));
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.equal("application/json");
    const answer = (await res.json()) as { MessageId: string; MD5OfMessageBody: string };
    expect(answer.MD5OfMessageBody).to.equal(
      createHash("md5")
        .update(JSON.stringify({ id: 1 }))
        .digest("hex"),
    );
    const messages = await eventually(async () => {
      const got = await receive(cloud.outputs.ordersQueueUrl);
      return got.length ? got : undefined;
    }, "the order in its queue");
    expect(messages.map((m) => [m.MessageId, m.Body])).to.deep.equal([[answer.MessageId, JSON.stringify({ id: 1 })]]);
  });

  it("puts the request on the bus with the mapped detail type, and the bus's rule delivers it", async () => {
    const res = await post("/events", JSON.stringify({ id: 2 }), { "X-Detail-Type": "OrderPlaced" });
    expect(res.status).to.equal(200);
    const answer = (await res.json()) as { Entries: { EventId: string }[]; FailedEntryCount: number };
    expect(answer.FailedEntryCount).to.equal(0);
    const [delivered] = await eventually(async () => {
      const got = await receive(cloud.outputs.fromBusQueueUrl);
      return got.length ? got : undefined;
    }, "the event in the rule's queue");
    const event = JSON.parse(delivered.Body!);
    expect(event).to.deep.include({ id: answer.Entries[0].EventId, source: "orders.api", "detail-type": "OrderPlaced", detail: { id: 2 } });
  });

  it("answers PutEvents' failed entry for a body EventBridge refuses as detail, and delivers nothing", async () => {
    const res = await post("/events", "not json", { "x-detail-type": "OrderPlaced" });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({
      Entries: [{ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }],
      FailedEntryCount: 1,
    });
    expect(await receive(cloud.outputs.fromBusQueueUrl)).to.deep.equal([]);
    expect(lines).to.include("api POST /events: EventBridge refused the event: MalformedDetail Detail is malformed.");
  });

  it("answers the service's AccessDenied when the integration's role may not send, and the queue gets nothing", async () => {
    const res = await post("/denied", JSON.stringify({ id: 3 }));
    expect(res.status).to.equal(400);
    expect(res.headers.get("x-amzn-errortype")).to.equal("AccessDenied");
    const body = (await res.json()) as { message: string };
    expect(body.message).to.match(/api-weak-role-[0-9a-f]{7}.* is not authorized to perform: sqs:SendMessage on resource: arn:aws:sqs:/);
    expect(lines.some((l) => l.startsWith("api POST /denied: API Gateway's call to SQS SendMessage was denied"))).to.equal(true);
    expect((await receive(cloud.outputs.ordersQueueUrl)).map((m) => m.Body)).to.not.include(JSON.stringify({ id: 3 }));
  });

  it("passes the optional parameters on: message attributes, the bus by its ARN, the event's time and resources", async () => {
    expect((await post("/tagged", JSON.stringify({ id: 4 }))).status).to.equal(200);
    const tagged = await eventually(async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: cloud.outputs.ordersQueueUrl, MessageAttributeNames: ["All"], WaitTimeSeconds: 1 }),
      );
      return Messages?.find((m) => m.Body === JSON.stringify({ id: 4 }));
    }, "the tagged order");
    expect(tagged.MessageAttributes).to.deep.equal({ kind: { DataType: "String", StringValue: "order" } });
    expect((await post("/events-full", JSON.stringify({ id: 5 }))).status).to.equal(200);
    const [delivered] = await eventually(async () => {
      const got = await receive(cloud.outputs.fromBusQueueUrl);
      return got.length ? got : undefined;
    }, "the backfilled event");
    expect(JSON.parse(delivered.Body!)).to.deep.include({
      "detail-type": "OrderBackfilled",
      time: "2026-01-02T03:04:05Z",
      resources: ["arn:aws:s3:::a", "arn:aws:s3:::b"],
      detail: { id: 5 },
    });
  });

  it("answers SQS's errors: message attributes that are not JSON, and an integration with no role to call with", async () => {
    const bad = await post("/bad-attributes", "not json");
    expect(bad.status).to.equal(400);
    expect(bad.headers.get("x-amzn-errortype")).to.equal("InvalidParameterValue");
    const noRole = await post("/no-role", JSON.stringify({ id: 6 }));
    expect(noRole.status).to.equal(400);
    expect(((await noRole.json()) as { message: string }).message).to.equal(
      "the integration has no credentialsArn, so API Gateway has no role to call SQS with",
    );
    const left = (await receive(cloud.outputs.ordersQueueUrl)).map((m) => m.Body);
    expect(left).to.not.include(JSON.stringify({ id: 6 }));
    expect(left).to.not.include("not json");
  });

  it("answers the service's errors for a role that may not put events, and for a queue that is not the program's", async () => {
    const denied = await post("/events-denied", JSON.stringify({ id: 7 }));
    expect(denied.status).to.equal(400);
    expect(denied.headers.get("x-amzn-errortype")).to.equal("AccessDeniedException");
    expect(((await denied.json()) as { Message: string }).Message).to.match(
      /api-weak-role-[0-9a-f]{7}.* is not authorized to perform: events:PutEvents/,
    );
    const nowhere = await post("/nowhere", JSON.stringify({ id: 8 }));
    expect(nowhere.status).to.equal(400);
    expect(nowhere.headers.get("x-amzn-errortype")).to.equal("AWS.SimpleQueueService.NonExistentQueue");
    expect(lines).to.include(
      "api POST /nowhere: the queue https://sqs.us-east-1.amazonaws.com/123456789012/nowhere is not one of this program's, so SQS answers that it does not exist",
    );
    expect((await receive(cloud.outputs.fromBusQueueUrl)).map((m) => m.Body)).to.deep.equal([]);
  });

  it("answers 500 for a subtype it does not emulate, and says so", async () => {
    const res = await post("/workflow", "{}");
    expect(res.status).to.equal(500);
    expect(res.headers.get("content-type")).to.equal("application/json");
    expect(await res.json()).to.deep.equal({ message: "Internal Server Error" });
    expect(lines).to.include(
      "api POST /workflow: the integration subtype StepFunctions-StartExecution is not emulated locally, so the route answers 500",
    );
  });
});

describe("local cloud: service integrations' parameters", () => {
  const source: ParameterSource = {
    headers: { "x-detail-type": "OrderPlaced", "x-many": "a,b" },
    query: { Kind: "big" },
    path: { id: "42" },
    body: JSON.stringify({ order: { id: 7, lines: [{ sku: "A-1" }, { sku: "B-2" }] }, note: "hi" }),
    stageVariables: { bus: "orders" },
    context: { requestId: "abc=", stage: "$default" },
  };

  it("evaluates each mapping expression against the request, and keeps a static value as written", () => {
    expect(evaluateParameter("$request.header.X-Detail-Type", source)).to.equal("OrderPlaced");
    expect(evaluateParameter("$request.header.x-many", source)).to.equal("a,b");
    expect(evaluateParameter("$request.querystring.Kind", source)).to.equal("big");
    // Query string names are case-sensitive, header names are not.
    expect(evaluateParameter("$request.querystring.kind", source)).to.equal("");
    expect(evaluateParameter("$request.path.id", source)).to.equal("42");
    expect(evaluateParameter("$request.body", source)).to.equal(source.body);
    expect(evaluateParameter("$request.body.note", source)).to.equal("hi");
    expect(evaluateParameter("$request.body.order.id", source)).to.equal("7");
    expect(evaluateParameter("$request.body.order.lines[1].sku", source)).to.equal("B-2");
    expect(evaluateParameter("$request.body.order.lines", source)).to.equal(JSON.stringify([{ sku: "A-1" }, { sku: "B-2" }]));
    expect(evaluateParameter("$request.body.missing.deeper", source)).to.equal("");
    expect(evaluateParameter("$request.body.note", { ...source, body: "not json" })).to.equal("");
    expect(evaluateParameter("$context.requestId", source)).to.equal("abc=");
    expect(evaluateParameter("$stageVariables.bus", source)).to.equal("orders");
    expect(evaluateParameter("$stageVariables.none", source)).to.equal("");
    expect(evaluateParameter("orders.api", source)).to.equal("orders.api");
    expect(evaluateParameter("$request.cookie.x", source)).to.equal("$request.cookie.x");
    // Only a whole value is an expression; a source without a name is not one.
    expect(evaluateParameter("id: $request.path.id", source)).to.equal("id: $request.path.id");
    expect(evaluateParameter("$context", source)).to.equal("$context");
    expect(evaluateParameter("$request.path.id$", source)).to.equal("");
    expect(evaluateParameter("$request.body.list[10]", { ...source, body: JSON.stringify({ list: [...Array(11).keys()] }) })).to.equal(
      "10",
    );
    expect(evaluateParameter("$request.body.none.deeper", { ...source, body: JSON.stringify({ none: null }) })).to.equal("");
  });

  it("accepts what CreateIntegration accepts, and names what it refuses", () => {
    const putEvents = { Detail: "$request.body", DetailType: "t", Source: "s" };
    expect(serviceIntegrationProblem("EventBridge-PutEvents", putEvents)).to.equal(undefined);
    expect(serviceIntegrationProblem("EventBridge-PutEvents", { ...putEvents, EventBusName: "b", Time: "t" })).to.equal(undefined);
    expect(serviceIntegrationProblem("EventBridge-PutEvents", { Detail: "$request.body", DetailType: "" })).to.equal(
      "integration subtype EventBridge-PutEvents needs the request parameters DetailType, Source",
    );
    expect(serviceIntegrationProblem("SQS-SendMessage", { QueueUrl: "u", MessageBody: "b", Delay: "5" })).to.equal(
      "integration subtype SQS-SendMessage takes no request parameter Delay",
    );
    expect(serviceIntegrationProblem("SQS-SendMessage", { QueueUrl: "u", MessageBody: "b", DelaySeconds: "5" })).to.equal(undefined);
    expect(serviceIntegrationProblem("Kinesis-PutRecord", {})).to.equal(undefined);
    expect(serviceIntegrationProblem("SQS-Publish", {})).to.match(
      /^integration subtype SQS-Publish is not one API Gateway has \(EventBridge-PutEvents, /,
    );
  });

  it("stops the start on an integration CreateIntegration refuses, naming it", async () => {
    const graph = await captureStack(PROGRAM, "dev");
    const integration = graph.resources.find((r) => r.name === "post-orders-integration")!;
    const broken = {
      ...integration,
      state: { ...integration.state, requestParameters: { QueueUrl: integration.state.requestParameters.QueueUrl } },
    };
    expect(() => buildModel({ ...graph, resources: graph.resources.map((r) => (r === integration ? broken : r)) })).to.throw(
      GraphRefusedError,
      `${integration.urn}: integration subtype SQS-SendMessage needs the request parameters MessageBody; CreateIntegration refuses it`,
    );
  });
});
