/** The local cloud's pure parts: route selection, schedule expressions, batch item failures, the graph model. */
import { expect } from "chai";
import { buildModel, GraphRefusedError } from "../../local/model";
import { AlarmBoard } from "../../local/alarms";
import { Reporter } from "../../local/console";
import { LambdaService, LambdaServiceOptions, qualifierOf, randomHex, traceHeader } from "../../local/lambda/service";
import { PendingAsyncEvent, PendingDeliveries, readPending } from "../../local/pending";
import type { LocalFunction, LocalModel, LocalSchedule } from "../../local/model";
import { Scheduler } from "../../local/schedules";
import { EventRouter, EventRouterOptions } from "../../local/events";
import { DEFAULT_RETRY_POLICY } from "../../local/event-retry";
import { batchItemFailures } from "../../local/queues";
import type { IncomingMessage } from "http";
import { EventParts, mapResponseV1, mapResponseV2, payloadV1 } from "../../local/http-api";
import { outsideModule, packageOf } from "../../local/lambda/module-scope";
import { compileRoute, RouteTable } from "../../local/routes";
import { parseScheduleExpression } from "../../local/schedule-expression";
import { decodeInvocation, decodeResult, encodeInvocation, encodeResult } from "../../local/lambda/wire";
import { FunctionPool } from "../../local/lambda/pool";
import { stackGraph } from "../harness";
import { eventually } from "./harness";

describe("local cloud: route selection", () => {
  const KEYS = ["GET /a/b", "GET /a/{x}", "ANY /a/{x}", "GET /{p+}", "POST /a/{x}/c", "GET /", "$default"];
  // Built in each test, not as the file loads: a mutant in route compilation is then live when it runs.
  const tableOf = (keys: string[]) => new RouteTable(keys.map((routeKey) => ({ routeKey, target: routeKey })));
  const pick = (method: string, path: string) => tableOf(KEYS).match(method, path);

  it("picks the same route whatever order the routes were declared in", () => {
    const requests: [string, string][] = [
      ["GET", "/a/b"],
      ["GET", "/a/z"],
      ["DELETE", "/a/z"],
      ["GET", "/a/z/y"],
      ["POST", "/a/z/c"],
      ["GET", "/"],
      ["PUT", "/nothing/here"],
    ];
    const expected = requests.map(([method, path]) => pick(method, path)!.route.target);
    expect(expected).to.deep.equal(["GET /a/b", "GET /a/{x}", "ANY /a/{x}", "GET /{p+}", "POST /a/{x}/c", "GET /", "$default"]);
    for (const order of [[...KEYS].reverse(), [...KEYS.slice(3), ...KEYS.slice(0, 3)], [...KEYS].sort()])
      expect(
        requests.map(([method, path]) => tableOf(order).match(method, path)!.route.target),
        order.join(", "),
      ).to.deep.equal(expected);
  });

  it("prefers a literal segment, then a variable, then a greedy variable", () => {
    expect(pick("GET", "/a/b")!.route.target).to.equal("GET /a/b");
    expect(pick("GET", "/a/z")!.route.target).to.equal("GET /a/{x}");
    expect(pick("GET", "/a/z/y")!.route.target).to.equal("GET /{p+}");
  });

  it("prefers a method over ANY, and falls back to ANY for other methods", () => {
    expect(pick("GET", "/a/z")!.route.target).to.equal("GET /a/{x}");
    expect(pick("DELETE", "/a/z")!.route.target).to.equal("ANY /a/{x}");
  });

  it("fills path parameters, decoded, and the greedy one with the rest of the path", () => {
    expect(pick("POST", "/a/hello%20world/c")!.pathParameters).to.deep.equal({ x: "hello world" });
    expect(pick("GET", "/q/r/s")!.pathParameters).to.deep.equal({ p: "q/r/s" });
  });

  it("matches the root only to its own route, and anything unmatched to $default", () => {
    expect(pick("GET", "/")!.route.target).to.equal("GET /");
    expect(pick("PUT", "/nothing/here")!.route.target).to.equal("$default");
    expect(new RouteTable([{ routeKey: "GET /a", target: 1 }]).match("GET", "/b")).to.equal(undefined);
    expect(pick("PUT", "/nothing/here")).to.deep.equal({
      route: { routeKey: "$default", method: "$default", segments: [], target: "$default" },
    });
  });

  it("compiles a route key into its method and segments: literals, variables and a greedy variable by name", () => {
    expect(compileRoute("GET /files/{id}/{rest+}", 7)).to.deep.equal({
      routeKey: "GET /files/{id}/{rest+}",
      method: "GET",
      segments: [
        { kind: "literal", value: "files" },
        { kind: "param", name: "id" },
        { kind: "greedy", name: "rest" },
      ],
      target: 7,
    });
    expect(compileRoute("GET /", 1).segments).to.deep.equal([]);
  });

  it("gives a greedy variable after a literal the rest of the path only, and never an empty rest", () => {
    const files = new RouteTable(["GET /files/{key+}", "GET /{p+}"].map((routeKey) => ({ routeKey, target: routeKey })));
    expect(files.match("GET", "/files/a/b")).to.deep.include({ pathParameters: { key: "a/b" } });
    expect(files.match("GET", "/files/a/b")!.route.target).to.equal("GET /files/{key+}");
    // Nothing after the literal: the greedy variable has nothing to take, so the catch-all does.
    for (const path of ["/files", "/files/"]) expect(files.match("GET", path)!.route.target, path).to.equal("GET /{p+}");
    // The rest as sent: an empty part inside it stays, so a doubled / reaches the handler as the client wrote it.
    expect(files.match("GET", "/files/a//b")).to.deep.include({ pathParameters: { key: "a//b" } });
  });

  it("gives no path parameters at all to a route without variables, as API Gateway leaves them out", () => {
    expect(pick("GET", "/a/b")).to.deep.equal({ route: pick("GET", "/a/b")!.route, pathParameters: undefined });
    expect(pick("GET", "/a/b")!.pathParameters).to.equal(undefined);
  });

  it("never fills a path variable with an empty segment, and keeps a segment that is not valid percent-encoding as it is", () => {
    expect(pick("POST", "/a//c")!.route.target).to.equal("$default");
    expect(pick("GET", "/a/%E0%A4%A")!.pathParameters).to.deep.equal({ x: "%E0%A4%A" });
  });
});

describe("local cloud: schedule expressions", () => {
  const from = new Date("2026-11-27T10:15:30Z");

  it("fires a rate one interval after the start, then every interval", () => {
    const rate = parseScheduleExpression("rate(5 minutes)", from);
    expect(rate.next(from)!.toISOString()).to.equal("2026-11-27T10:20:30.000Z");
    expect(rate.next(new Date("2026-11-27T10:20:30Z"))!.toISOString()).to.equal("2026-11-27T10:25:30.000Z");
  });

  it("evaluates AWS cron in UTC, with ? and day-of-week 1-7 from Sunday", () => {
    expect(parseScheduleExpression("cron(0 6 * * ? *)").next(from)!.toISOString()).to.equal("2026-11-28T06:00:00.000Z");
    // 2026-11-27 is a Friday; MON is 2 in AWS's numbering.
    expect(parseScheduleExpression("cron(30 9 ? * MON *)").next(from)!.toISOString()).to.equal("2026-11-30T09:30:00.000Z");
    expect(parseScheduleExpression("cron(0/15 * * * ? *)").next(from)!.toISOString()).to.equal("2026-11-27T10:30:00.000Z");
    expect(parseScheduleExpression("cron(0 0 L * ? *)").next(from)!.toISOString()).to.equal("2026-11-30T00:00:00.000Z");
  });

  it("rejects malformed expressions, naming the problem", () => {
    expect(() => parseScheduleExpression("cron(0 6 * * *)")).to.throw(/6 fields/);
    expect(() => parseScheduleExpression("cron(0 6 * * MON *)")).to.throw(/one of day-of-month and day-of-week must be \?, and only one/);
    expect(() => parseScheduleExpression("cron(61 6 * * ? *)")).to.throw(/"61" is not a value from 0 to 59/);
    expect(() => parseScheduleExpression("every day")).to.throw(/expected rate/);
  });
});

describe("local cloud: ReportBatchItemFailures", () => {
  const batch = [{ MessageId: "m1" }, { MessageId: "m2" }, { MessageId: "m3" }];

  it("retries only the items the function names", () => {
    expect(batchItemFailures(JSON.stringify({ batchItemFailures: [{ itemIdentifier: "m2" }] }), batch)).to.deep.equal(["m2"]);
  });

  it("treats an empty list, null or no field as full success", () => {
    for (const payload of [JSON.stringify({ batchItemFailures: [] }), "null", JSON.stringify({})])
      expect(batchItemFailures(payload, batch)).to.deep.equal([]);
  });

  it("fails the whole batch when the response names an id that is not in it, or is malformed", () => {
    const all = ["m1", "m2", "m3"];
    expect(batchItemFailures(JSON.stringify({ batchItemFailures: [{ itemIdentifier: "other" }] }), batch)).to.deep.equal(all);
    expect(batchItemFailures(JSON.stringify({ batchItemFailures: [{}] }), batch)).to.deep.equal(all);
    expect(batchItemFailures(JSON.stringify({ batchItemFailures: "m1" }), batch)).to.deep.equal(all);
  });
});

describe("local cloud: the model read from the dev graph", () => {
  it("finds every function, route, queue with its redrive, table, schedule and mapping of the app", async () => {
    const graph = await stackGraph("dev");
    const model = buildModel(graph.graph);
    // Queues and tables carry the names `pulumi up` generates for them.
    const physical = (type: string, name: string) => graph.one(type, name).state.name as string;
    expect(model.functions.map((f) => f.name).sort()).to.deep.equal([
      "platform-dev-create-order",
      "platform-dev-daily-report",
      "platform-dev-get-order",
      "platform-dev-health",
      "platform-dev-process-order",
    ]);
    expect(model.apis[0].routes.map((r) => r.routeKey).sort()).to.deep.equal([
      "ANY /{proxy+}",
      "GET /health",
      "GET /orders/{orderId}",
      "POST /orders",
    ]);
    const work = model.queues.find((q) => q.name === physical("aws:sqs/queue:Queue", "process-order-queue"))!;
    expect(work.name).to.match(/^process-order-queue-[0-9a-f]{7}$/);
    expect(work.redrive).to.deep.equal({
      deadLetterTargetArn: `arn:aws:sqs:eu-west-1:111111111111:${physical("aws:sqs/queue:Queue", "process-order-dlq")}`,
      maxReceiveCount: 3,
    });
    expect(model.eventSourceMappings).to.deep.equal([
      {
        queueArn: work.arn,
        functionName: "arn:aws:lambda:eu-west-1:111111111111:function:platform-dev-process-order:live",
        batchSize: 10,
        batchingWindowSeconds: 0,
        reportBatchItemFailures: true,
        enabled: true,
      },
    ]);
    const report = model.functions.find((f) => f.name === "platform-dev-daily-report")!;
    expect(report.async).to.deep.equal({
      retryAttempts: 2,
      maximumEventAgeSeconds: 3600,
      onFailure: `arn:aws:sqs:eu-west-1:111111111111:${physical("aws:sqs/queue:Queue", "daily-report-dlq")}`,
      onSuccess: undefined,
    });
    expect(model.schedules.map((s) => [s.expression, s.targets.map((t) => t.functionArn)])).to.deep.equal([
      ["cron(0 6 * * ? *)", [`${report.arn}:live`]],
    ]);
    expect(model.tables.map((t) => [t.name, t.hashKey])).to.deep.equal([[physical("aws:dynamodb/table:Table", "orders"), "orderId"]]);
    expect(model.skipped.filter((s) => s.reason === "unsupported")).to.deep.equal([]);
  });
});

describe("local cloud: FIFO queue targets EventBridge refuses", () => {
  const FIFO = "arn:aws:sqs:eu-west-1:111111111111:jobs.fifo";
  const GROUP_PROBLEM = "is a FIFO queue, which EventBridge sends to only in a message group";

  it("stops the start on a rule target to a FIFO queue without a message group, naming the target, and starts with one", async () => {
    const { graph } = await stackGraph("dev");
    const target = graph.resources.find((r) => r.type === "aws:cloudwatch/eventTarget:EventTarget")!;
    const withTarget = (state: Record<string, unknown>) => ({
      ...graph,
      resources: graph.resources.map((r) => (r === target ? { ...r, state: { ...r.state, ...state } } : r)),
    });
    expect(() => buildModel(withTarget({ arn: FIFO }))).to.throw(
      `${target.urn}: its target ${FIFO} ${GROUP_PROBLEM}: set sqsTarget.messageGroupId`,
    );
    expect(() => buildModel(withTarget({ arn: FIFO, sqsTarget: { messageGroupId: "" } }))).to.throw(
      /the local cloud does not start on it either$/,
    );
    const grouped = buildModel(withTarget({ arn: FIFO, sqsTarget: { messageGroupId: "jobs" } }));
    const targets = [...grouped.schedules.flatMap((s) => s.targets), ...grouped.eventRules.flatMap((r) => r.targets)];
    expect(targets.find((t) => ("functionArn" in t ? t.functionArn : t.arn) === FIFO)?.messageGroupId).to.equal("jobs");
    // A standard queue needs none.
    expect(() => buildModel(withTarget({ arn: "arn:aws:sqs:eu-west-1:111111111111:jobs" }))).not.to.throw();
  });

  it("stops the start on a Scheduler schedule to a FIFO queue without sqsParameters.messageGroupId", async () => {
    const { graph } = await stackGraph("dev");
    const schedule = (target: Record<string, unknown>) => ({
      ...graph.resources[0],
      urn: "urn:pulumi:dev::platform::aws:scheduler/schedule:Schedule::jobs",
      type: "aws:scheduler/schedule:Schedule",
      name: "jobs",
      state: {
        name: "jobs",
        scheduleExpression: "rate(1 day)",
        target: { arn: FIFO, roleArn: "arn:aws:iam::111111111111:role/r", ...target },
      },
    });
    const withSchedule = (target: Record<string, unknown>) => ({ ...graph, resources: [...graph.resources, schedule(target)] });
    expect(() => buildModel(withSchedule({}))).to.throw(
      `urn:pulumi:dev::platform::aws:scheduler/schedule:Schedule::jobs: its target ${FIFO} ${GROUP_PROBLEM}: set target.sqsParameters.messageGroupId`,
    );
    const model = buildModel(withSchedule({ sqsParameters: { messageGroupId: "jobs" } }));
    expect(model.schedules.find((s) => s.name === "jobs")?.targets[0]).to.deep.include({ functionArn: FIFO, messageGroupId: "jobs" });
  });
});

describe("local cloud: target inputs AWS refuses", () => {
  const QUEUE = "arn:aws:sqs:eu-west-1:111111111111:jobs";

  it("stops the start on a rule target whose input is not JSON, naming the target; JSON text starts", async () => {
    const { graph } = await stackGraph("dev");
    const target = graph.resources.find((r) => r.type === "aws:cloudwatch/eventTarget:EventTarget")!;
    const withInput = (input: unknown) => ({
      ...graph,
      resources: graph.resources.map((r) => (r === target ? { ...r, state: { ...r.state, input } } : r)),
    });
    expect(() => buildModel(withInput("Hello world!"))).to.throw(
      GraphRefusedError,
      `${target.urn}: its input "Hello world!" is not valid JSON text, which an EventBridge target requires`,
    );
    const transformed = (inputTransformer: unknown) => ({
      ...graph,
      resources: graph.resources.map((r) => (r === target ? { ...r, state: { ...r.state, input: undefined, inputTransformer } } : r)),
    });
    expect(() => buildModel(transformed({ inputTemplate: "order <id>" }))).to.throw(
      GraphRefusedError,
      `${target.urn}: its inputTransformer.inputTemplate "order <id>" is neither JSON nor a string in quotes`,
    );
    const kept = buildModel(transformed({ inputPaths: { id: "$.id" }, inputTemplate: '"order <id>"' }));
    expect(
      [...kept.schedules.flatMap((s) => s.targets), ...kept.eventRules.flatMap((r) => r.targets)].map((t) => t.inputTransformer),
    ).to.deep.include({ inputPaths: { id: "$.id" }, inputTemplate: '"order <id>"' });
    const model = buildModel(withInput('{ "job": "nightly" }'));
    const targets = [...model.schedules.flatMap((s) => s.targets), ...model.eventRules.flatMap((r) => r.targets)];
    expect(targets.map((t) => t.input)).to.include('{ "job": "nightly" }');
  });

  it("stops the start on a Scheduler schedule's Lambda target with text input, and starts with text for a queue", async () => {
    const { graph } = await stackGraph("dev");
    const withSchedule = (target: Record<string, unknown>) => ({
      ...graph,
      resources: [
        ...graph.resources,
        {
          ...graph.resources[0],
          urn: "urn:pulumi:dev::platform::aws:scheduler/schedule:Schedule::jobs",
          type: "aws:scheduler/schedule:Schedule",
          name: "jobs",
          state: { name: "jobs", scheduleExpression: "rate(1 day)", target: { roleArn: "arn:aws:iam::111111111111:role/r", ...target } },
        },
      ],
    });
    const fn = "arn:aws:lambda:eu-west-1:111111111111:function:f";
    expect(() => buildModel(withSchedule({ arn: fn, input: "Hello world!" }))).to.throw(
      GraphRefusedError,
      'urn:pulumi:dev::platform::aws:scheduler/schedule:Schedule::jobs: its target.input "Hello world!" is not valid JSON text',
    );
    const model = buildModel(withSchedule({ arn: QUEUE, input: "Hello world!" }));
    expect(model.schedules.find((s) => s.name === "jobs")?.targets[0]).to.deep.include({ functionArn: QUEUE, input: "Hello world!" });
  });
});

describe("local cloud: route keys API Gateway refuses", () => {
  /** The dev graph with one route's key, or the API's quick-create key, replaced. */
  const withKey = async (type: string, name: string, routeKey: string, extra: Record<string, unknown> = {}) => {
    const { graph } = await stackGraph("dev");
    const resources = graph.resources.map((r) =>
      r.type === type && r.name === name ? { ...r, state: { ...r.state, routeKey, ...extra } } : r,
    );
    return { ...graph, resources };
  };

  it("stops the start on a route whose key AWS would refuse, naming the route and the reason, as pulumi up would fail on it", async () => {
    const graph = await withKey("aws:apigatewayv2/route:Route", "api-get-health", "GET /health/");
    const route = graph.resources.find((r) => r.name === "api-get-health")!;
    expect(() => buildModel(graph)).to.throw(
      `${route.urn}: route key "GET /health/" has path parts API Gateway refuses: an empty part (a trailing or doubled /)`,
    );
    expect(() => buildModel(graph)).to.throw(/API Gateway refuses it, so it is not served here either$/);
    const valid = await withKey("aws:apigatewayv2/route:Route", "api-get-health", "GET /health");
    expect(() => buildModel(valid)).not.to.throw();
  });

  it("checks a quick-create API's key too", async () => {
    const graph = await withKey("aws:apigatewayv2/api:Api", "api", "GET /{a+}/b", {
      target: "arn:aws:lambda:eu-west-1:111111111111:function:f",
    });
    const api = graph.resources.find((r) => r.type === "aws:apigatewayv2/api:Api")!;
    expect(() => buildModel(graph)).to.throw(`${api.urn}: route key "GET /{a+}/b" has a greedy variable before its last part`);
  });
});

describe("local cloud: stages, stage variables and CORS", () => {
  const { stageFor, withStageVariables } = require("../../local/http-api") as typeof import("../../local/http-api");
  const cors = require("../../local/cors") as typeof import("../../local/cors");
  const stage = (name: string) => ({ name, variables: {}, deployed: true });

  it("serves /{stage}/... from a named stage and everything else from $default, if there is one", () => {
    const both = [stage("$default"), stage("dev")];
    expect(stageFor(both, "/dev/orders")).to.deep.equal({ stage: both[1], routePath: "/orders" });
    expect(stageFor(both, "/dev")).to.deep.equal({ stage: both[1], routePath: "/" });
    expect(stageFor(both, "/dev/")).to.deep.equal({ stage: both[1], routePath: "/" });
    expect(stageFor(both, "/development/orders")).to.deep.equal({ stage: both[0], routePath: "/development/orders" });
    expect(stageFor(both, "/de/v")).to.deep.equal({ stage: both[0], routePath: "/de/v" });
    // The stage is the first segment as sent, percent-decoded; an empty first segment is no stage.
    expect(stageFor(both, "/d%65v/orders")).to.deep.equal({ stage: both[1], routePath: "/orders" });
    expect(stageFor([stage("dev"), stage("$default")], "//dev/orders")).to.deep.equal({
      stage: stage("$default"),
      routePath: "//dev/orders",
    });
    expect(stageFor([stage("dev")], "/orders")).to.equal(undefined);
    expect(stageFor([], "/")).to.equal(undefined);
  });

  it("substitutes ${stageVariables.name} in an integration URI, and leaves an unknown one as written", () => {
    expect(withStageVariables("http://${stageVariables.host}/v1/${stageVariables.x_y}", { host: "legacy.internal", x_y: "z" })).to.equal(
      "http://legacy.internal/v1/z",
    );
    expect(withStageVariables("http://${stageVariables.missing}/", {})).to.equal("http://${stageVariables.missing}/");
  });

  it("answers * only when any origin is allowed without credentials, and the origin itself otherwise", () => {
    const config = { allowOrigins: ["*"], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false };
    expect(cors.preflightHeaders(config, "https://a.example")).to.deep.equal([["access-control-allow-origin", "*"]]);
    expect(cors.preflightHeaders({ ...config, allowCredentials: true }, "https://a.example")).to.deep.equal([
      ["access-control-allow-origin", "https://a.example"],
      ["access-control-allow-credentials", "true"],
    ]);
  });

  it("drops the integration's own CORS headers, for every origin", () => {
    const config = { allowOrigins: ["https://a.example"], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false };
    const fromIntegration: [string, string][] = [
      ["Access-Control-Allow-Origin", "*"],
      ["content-type", "text/plain"],
    ];
    expect(cors.responseHeaders(config, "https://b.example", fromIntegration)).to.deep.equal([["content-type", "text/plain"]]);
    expect(cors.responseHeaders(config, undefined, fromIntegration)).to.deep.equal([["content-type", "text/plain"]]);
    expect(cors.responseHeaders(config, "https://A.example", fromIntegration)).to.deep.equal([
      ["content-type", "text/plain"],
      ["access-control-allow-origin", "https://A.example"],
    ]);
  });

  it("matches a wildcard origin within one host part only, and knows a preflight by its two headers", () => {
    const config = {
      allowOrigins: ["https://*.example.com"],
      allowMethods: [],
      allowHeaders: [],
      exposeHeaders: [],
      allowCredentials: false,
    };
    expect(cors.originAllowed(config, "https://x.example.com")).to.equal(true);
    expect(cors.originAllowed(config, "https://example.com")).to.equal(false);
    expect(cors.originAllowed(config, "http://x.example.com")).to.equal(false);
    expect(cors.originAllowed(config, "https://x.example.com.evil.org")).to.equal(false);
    expect(cors.isPreflight("OPTIONS", { origin: "o", "access-control-request-method": "GET" })).to.equal(true);
    expect(cors.isPreflight("OPTIONS", { origin: "o" })).to.equal(false);
    expect(cors.isPreflight("GET", { origin: "o", "access-control-request-method": "GET" })).to.equal(false);
  });
});

describe("local cloud: trace headers", () => {
  it("continues a caller's trace with a new parent, and starts a sampled one for an Active function", () => {
    const continued = traceHeader("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0", true);
    expect(continued).to.match(/^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=[0-9a-f]{16};Sampled=0$/);
    expect(traceHeader(undefined, true)).to.match(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    expect(traceHeader("Root=not-a-root", false)).to.match(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  });

  it("reads the last Root and Sampled of a header, spaces around fields and all", () => {
    const root = (header: string) => /Root=([^;]+)/.exec(traceHeader(header, false))![1];
    expect(root("Root=1-5759e988-bd862e3fe1be46a994272793; Root=1-00000000-000000000000000000000000")).to.equal(
      "1-00000000-000000000000000000000000",
    );
    expect(traceHeader(" Sampled=0 ;Root=1-5759e988-bd862e3fe1be46a994272793", true)).to.match(
      /^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=[0-9a-f]{16};Sampled=0$/,
    );
    // A sampling decision other than 0 or 1, or a field without a value, counts as none.
    expect(traceHeader("Sampled=2", true)).to.match(/;Sampled=1$/);
    expect(traceHeader("Sampled=1;Root=", false)).to.match(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    expect(traceHeader("Sampled=", false)).to.match(/;Sampled=0$/);
  });

  it("draws ids from a pooled buffer that is refilled once spent, never repeating bytes", () => {
    // 1000 ids of 12 bytes spend the 4 KB pool twice over.
    const ids = Array.from({ length: 1000 }, () => randomHex(12));
    expect(ids.every((id) => /^[0-9a-f]{24}$/.test(id))).to.equal(true);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(randomHex(1)).to.match(/^[0-9a-f]{2}$/);
  });
});

describe("local cloud: the Lambda service's function refs", () => {
  const fn = (name: string, timeoutSeconds: number): LocalFunction => ({
    name,
    arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    role: "arn:aws:iam::123456789012:role/r",
    handler: "index.handler",
    runtime: "nodejs22.x",
    memoryMb: 128,
    timeoutSeconds,
    environment: {},
    code: undefined,
    async: { retryAttempts: 2, maximumEventAgeSeconds: 21600 },
    logGroup: `/aws/lambda/${name}`,
    tracing: "PassThrough",
    aliases: { live: { managed: false } },
  });
  const serviceOf = (functions: LocalFunction[], extra: Partial<LambdaServiceOptions> = {}) => {
    const reporter = new Reporter(() => undefined);
    const model = { region: "us-east-1", accountId: "123456789012", functions } as unknown as LocalModel;
    return new LambdaService(model, {
      bootstrapFile: "unused.js",
      taskRoots: {},
      baseEnvironment: {},
      maxContainers: 1,
      asyncRetryBaseMs: 1,
      reporter,
      alarms: new AlarmBoard([], reporter),
      destinations: { send: async () => undefined },
      ...extra,
    });
  };

  it("resolves names, qualified names and ARNs to the function, and the replaced function once it is replaced", async () => {
    const service = serviceOf([fn("orders", 3), fn("billing", 6)]);
    const arn = "arn:aws:lambda:us-east-1:123456789012:function:orders";
    for (const ref of ["orders", "orders:live", `${arn}:live`, arn]) expect(service.resolve(ref).timeoutSeconds, ref).to.equal(3);
    expect(service.resolve("billing").timeoutSeconds).to.equal(6);
    // Asked again, the same answer; after a deploy of new settings, the new ones, whatever was asked before.
    expect(service.resolve("orders:live").timeoutSeconds).to.equal(3);
    service.replaceFunction(fn("orders", 9), "/tmp/orders-v2");
    for (const ref of ["orders", "orders:live", `${arn}:live`, arn]) expect(service.resolve(ref).timeoutSeconds, ref).to.equal(9);
    expect(service.versionsOf("orders:live")).to.deep.equal({ latest: 2, aliases: { live: { version: 2 } } });
    expect(() => service.resolve("nothing")).to.throw(/Function not found: nothing\. Functions: orders, billing/);
    await service.stop();
  });

  it("knows a function of the program by name, qualified name or ARN, and no other", async () => {
    const service = serviceOf([fn("orders", 3)]);
    for (const ref of ["orders", "orders:live", "arn:aws:lambda:us-east-1:123456789012:function:orders"])
      expect(service.knows(ref), ref).to.equal(true);
    for (const ref of [
      "billing",
      "arn:aws:lambda:us-east-1:123456789012:function:made-elsewhere",
      "arn:aws:sqs:us-east-1:123456789012:jobs",
    ])
      expect(service.knows(ref), ref).to.equal(false);
    await service.stop();
  });

  it("a schedule whose target is no function of the program says so and invokes nothing, instead of throwing", async () => {
    const lines: string[] = [];
    const reporter = new Reporter((line) => lines.push(line));
    const service = serviceOf([fn("orders", 3)]);
    const model = { region: "us-east-1", accountId: "123456789012", functions: [fn("orders", 3)], schedules: [] } as unknown as LocalModel;
    const schedule: LocalSchedule = {
      name: "nightly",
      arn: "arn:aws:events:us-east-1:123456789012:rule/nightly",
      expression: "rate(1 day)",
      enabled: true,
      targets: [
        { functionArn: "arn:aws:sqs:us-east-1:123456789012:jobs", retryPolicy: DEFAULT_RETRY_POLICY },
        { functionArn: "arn:aws:lambda:us-east-1:123456789012:function:made-elsewhere", retryPolicy: DEFAULT_RETRY_POLICY },
      ],
      kind: "rule",
    };
    expect(new Scheduler(model, service, { reporter }).fire(schedule)).to.deep.equal([]);
    expect(lines).to.deep.equal([
      "schedule nightly: arn:aws:sqs:us-east-1:123456789012:jobs is not a function or queue or topic of this program, so the schedule does not reach it locally",
      "schedule nightly: arn:aws:lambda:us-east-1:123456789012:function:made-elsewhere is not a function or queue or topic of this program, so the schedule does not reach it locally",
    ]);
    await service.stop();
  });

  it("puts a Scheduler schedule's event its role may not invoke with in its DLQ, in the Scheduler's format, and counts it", async () => {
    const FN = "arn:aws:lambda:us-east-1:123456789012:function:orders";
    const DLQ = "arn:aws:sqs:us-east-1:123456789012:orders-schedule-dlq";
    const invoked: string[] = [];
    const lambda = {
      knows: () => true,
      roleMayInvoke: (role: string) => role.endsWith("/may"),
      permitsInvoke: () => true,
      invokeAsync: (arn: string) => (invoked.push(arn), "req"),
    } as unknown as LambdaService;
    const sent: { arn: string; body: string; attributes?: Record<string, string> }[] = [];
    const metrics: string[] = [];
    const schedule = (roleArn: string): LocalSchedule => ({
      name: "nightly",
      arn: "arn:aws:scheduler:us-east-1:123456789012:schedule/reports/nightly",
      expression: "rate(1 day)",
      enabled: true,
      targets: [{ functionArn: FN, input: '{"report":"daily"}', roleArn, deadLetterArn: DLQ, retryPolicy: DEFAULT_RETRY_POLICY }],
      kind: "scheduler",
    });
    const scheduler = new Scheduler({ accountId: "123456789012", region: "us-east-1" } as LocalModel, lambda, {
      reporter: new Reporter(() => undefined),
      deadLetters: { send: async (arn, body, attributes) => void sent.push({ arn, body, attributes }) },
      alarms: { count: (_n, metric, dimensions) => void metrics.push(`${metric} ${dimensions.ScheduleGroup}`) },
    });
    expect(scheduler.fire(schedule("arn:aws:iam::123456789012:role/may"))).to.deep.equal(["req"]);
    expect(metrics).to.deep.equal(["InvocationAttemptCount reports"]);
    metrics.length = 0;
    expect(scheduler.fire(schedule("arn:aws:iam::123456789012:role/may-not"))).to.deep.equal([]);
    await eventually(async () => (sent.length ? true : undefined), "the dead letter");
    expect(invoked).to.deep.equal([FN]);
    expect(sent[0]).to.deep.include({ arn: DLQ, body: '{"report":"daily"}' });
    expect(sent[0].attributes).to.deep.include({
      ERROR_CODE: "AccessDeniedException",
      ERROR_MESSAGE: `arn:aws:iam::123456789012:role/may-not may not invoke ${FN}`,
      SCHEDULE_ARN: "arn:aws:scheduler:us-east-1:123456789012:schedule/reports/nightly",
      TARGET_ARN: FN,
    });
    expect(metrics).to.deep.equal([
      "InvocationAttemptCount reports",
      "TargetErrorCount reports",
      "InvocationDroppedCount reports",
      "InvocationsSentToDeadLetterCount reports",
    ]);
  });

  describe("an async event a stop left pending, taken up again (--persist)", () => {
    const DESTINATION = "arn:aws:sqs:us-east-1:123456789012:orders-failures";
    const saved = (over: Partial<PendingAsyncEvent> = {}): PendingAsyncEvent => ({
      kind: "lambda",
      function: "orders",
      requestId: "req-1",
      event: { order: 7 },
      trigger: "invoke",
      received: Date.now() - 21_601_000,
      attempts: 2,
      lastError: { errorType: "Error", errorMessage: "boom", trace: ["Error: boom"] },
      ...over,
    });

    it("sends an event past its maximum age to its failure destination without running it, with its attempts so far", async () => {
      const sent: { arn: string; body: string }[] = [];
      const pending = new PendingDeliveries();
      const service = serviceOf(
        [{ ...fn("orders", 3), async: { retryAttempts: 2, maximumEventAgeSeconds: 21_600, onFailure: DESTINATION } }],
        {
          destinations: { send: async (arn, body) => void sent.push({ arn, body }) },
          pending,
        },
      );
      // The function has no code: running it would fail differently, and no record would say EventAgeExceeded.
      expect(service.resumeAsync(saved())).to.equal(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sent.map((s) => s.arn)).to.deep.equal([DESTINATION]);
      const record = JSON.parse(sent[0].body);
      expect(record.requestContext).to.deep.include({ requestId: "req-1", condition: "EventAgeExceeded", approximateInvokeCount: 2 });
      expect(record.requestPayload).to.deep.equal({ order: 7 });
      expect(record.responsePayload).to.deep.equal({ errorType: "Error", errorMessage: "boom", trace: ["Error: boom"] });
      expect(pending.size).to.equal(0);
      await service.stop();
    });

    it("does not take up an event of a function the program no longer has", async () => {
      const pending = new PendingDeliveries();
      const service = serviceOf([fn("orders", 3)], { pending });
      expect(service.resumeAsync(saved({ function: "billing" }))).to.equal(false);
      expect(pending.size).to.equal(0);
      await service.stop();
    });
  });

  it("reads a qualifier from a name or an ARN, and none from $LATEST or a bare one", () => {
    expect(qualifierOf("orders:live")).to.equal("live");
    expect(qualifierOf("arn:aws:lambda:us-east-1:123456789012:function:orders:7")).to.equal("7");
    expect(qualifierOf("orders:$LATEST")).to.equal(undefined);
    expect(qualifierOf("arn:aws:lambda:us-east-1:123456789012:function:orders")).to.equal(undefined);
    expect(qualifierOf("orders")).to.equal(undefined);
  });
});

describe("local cloud: an invocation and its result on the wire to a container", () => {
  it("carries every field of an invocation, the optional ones only when set", () => {
    const event = JSON.stringify({
      body: "line one\nline two",
      headers: { "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793" },
    });
    const full = {
      requestId: "0b5c3f5e-8a4f-4d0c-9d7e-0d7e1b8c6a11",
      event,
      deadline: 1764561234567,
      traceId: "Root=1-a;Parent=b;Sampled=1",
      profile: true,
    };
    expect(decodeInvocation(encodeInvocation(full))).to.deep.equal(full);
    const bare = { requestId: "r-1", event: "null", deadline: 5 };
    const decoded = decodeInvocation(encodeInvocation(bare));
    expect(decoded).to.deep.equal(bare);
    expect(decoded).to.not.have.any.keys("traceId", "profile");
    // The event is the whole rest, newlines and all.
    expect(decodeInvocation(encodeInvocation({ ...bare, event: "\n\n\n" })).event).to.equal("\n\n\n");
  });

  it("splits a result's logs from its payload by their length, whatever the logs hold", () => {
    for (const logs of ["", "one line\n", "two\nlines\n", "λ ünïcödé 🚀\n", "12\n34\n"]) {
      const result = { requestId: "r-2", payload: '{"statusCode":200,"body":"a\\nb"}', logs };
      expect(decodeResult(encodeResult(result)), JSON.stringify(logs)).to.deep.equal(result);
    }
    const timed = { requestId: "r-3", payload: "null", logs: "x\n", timing: [1.5, 2.25, 3] as [number, number, number] };
    expect(decodeResult(encodeResult(timed))).to.deep.equal(timed);
    expect(decodeResult(encodeResult({ requestId: "r-4", payload: "1", logs: "" }))).to.not.have.property("timing");
  });

  it("refuses a message that is not one, naming what it got", () => {
    expect(() => decodeInvocation("r-1\n5\nno more fields")).to.throw(/not an invocation: "r-1\\n5\\nno more fields"/);
    expect(() => decodeResult("r-1\n\n99\nshort")).to.throw(/not an invocation result: "r-1\\n\\n99\\nshort"/);
    expect(() => decodeResult("r-1\n\nNaN\n")).to.throw(/not an invocation result/);
    expect(() => decodeResult("r-1\n\n-1\nx")).to.throw(/not an invocation result/);
    expect(() => decodeResult("r-1")).to.throw(/not an invocation result/);
  });
});

describe("local cloud: events accepted and not yet delivered", () => {
  const asyncEvent: PendingAsyncEvent = {
    kind: "lambda",
    function: "orders:live",
    requestId: "r",
    event: null,
    trigger: "invoke",
    received: 1,
    attempts: 0,
  };
  const ruleDelivery = {
    kind: "eventbridge" as const,
    rule: "arn:aws:events:us-east-1:123456789012:rule/orders-bus/nightly",
    target: "arn:aws:sqs:us-east-1:123456789012:jobs",
    event: {},
    arrived: 1,
    retry: 2,
  };

  it("counts what is pending by where it goes, for the line a stop prints, and forgets what is done", () => {
    const pending = new PendingDeliveries();
    expect(pending.describe()).to.equal("");
    const first = pending.add({ ...asyncEvent });
    pending.add({ ...asyncEvent, requestId: "s" });
    pending.add({ ...ruleDelivery });
    expect(pending.describe()).to.equal(
      "2 async event(s) of orders:live, 1 EventBridge event(s) of nightly for arn:aws:sqs:us-east-1:123456789012:jobs",
    );
    pending.done(first);
    expect(pending.size).to.equal(2);
    expect(pending.list().map((e) => (e.kind === "lambda" ? e.requestId : e.kind))).to.deep.equal(["s", "eventbridge"]);
  });

  it("reads saved entries back, keeping the good ones and naming what is wrong with each other", () => {
    expect(readPending(undefined)).to.deep.equal({ entries: [], refused: [] });
    expect(readPending({})).to.deep.equal({ entries: [], refused: ["pending: not a list"] });
    const { entries, refused } = readPending([
      asyncEvent,
      ruleDelivery,
      null,
      { ...asyncEvent, kind: "sqs" },
      { ...asyncEvent, function: "" },
      { ...asyncEvent, attempts: -1 },
      { ...asyncEvent, received: 1.5 },
      { ...ruleDelivery, target: 7 },
      { ...ruleDelivery, retry: "2" },
      { ...ruleDelivery, event: "Hello world!", asText: true },
      { ...ruleDelivery, asText: true },
      { ...ruleDelivery, event: "Hello world!", asText: "yes" },
    ]);
    expect(entries).to.deep.equal([asyncEvent, ruleDelivery, { ...ruleDelivery, event: "Hello world!", asText: true }]);
    expect(refused).to.deep.equal([
      "pending[2]: not an object",
      'pending[3]: kind is "sqs", not "lambda" or "eventbridge"',
      "pending[4]: function is not a non-empty string",
      "pending[5]: attempts is not a whole number ≥ 0",
      "pending[6]: received is not a whole number ≥ 0",
      "pending[7]: target is not a non-empty string",
      "pending[8]: retry is not a whole number ≥ 0",
      "pending[10]: asText is set, but not to true with a string event",
      "pending[11]: asText is set, but not to true with a string event",
    ]);
  });
});

describe("local cloud: a bucket notification S3 would refuse to configure", () => {
  const QUEUE = "arn:aws:sqs:us-east-1:123456789012:uploads";
  /** A router over one bucket notification to `targets`, with IAM answering `allowed` for S3's call or invocation. */
  const start = async (target: { kind: "lambda" | "sqs" | "sns"; arn: string }, allowed: boolean, iamOn = true) => {
    const calls: string[] = [];
    const router = new EventRouter({
      model: { bucketNotifications: [{ bucket: "photos", targets: [{ ...target, events: ["s3:ObjectCreated:*"] }] }], topics: [] },
      clients: {},
      provisioned: { queueUrls: new Map([[QUEUE, "http://queue"]]), localArns: new Map() },
      reporter: new Reporter(() => undefined),
      alarms: new AlarmBoard([], new Reporter(() => undefined)),
      iam: iamOn
        ? {
            checkServiceCall: (service: string, call: { action: string }, sourceArn: string) => {
              calls.push(`${service} ${call.action} ${sourceArn}`);
              return { allowed };
            },
          }
        : undefined,
    } as unknown as EventRouterOptions);
    const lambda = {
      knows: (arn: string) => arn.endsWith(":function:thumbs"),
      permitsInvoke: (arn: string, service: string, sourceArn: string) => {
        calls.push(`${service} lambda:InvokeFunction ${sourceArn}`);
        return allowed;
      },
    } as unknown as LambdaService;
    const outcome = await router
      .start(lambda, () => undefined)
      .then(
        () => "started",
        (err: Error) => `${err.name}: ${err.message}`,
      );
    await router.stop();
    return { outcome, calls };
  };

  it("stops the start when S3 may not send to a queue of the program, as PutBucketNotificationConfiguration fails", async () => {
    expect(await start({ kind: "sqs", arn: QUEUE }, false)).to.deep.equal({
      outcome: `GraphRefusedError: bucket photos: S3 may not deliver its notifications to ${QUEUE}, so AWS refuses the bucket's notification configuration ("Unable to validate the following destination configurations") and the local cloud does not start on it either`,
      calls: ["s3.amazonaws.com sqs:SendMessage arn:aws:s3:::photos"],
    });
    expect((await start({ kind: "sqs", arn: QUEUE }, true)).outcome).to.equal("started");
  });

  it("asks the function's permission for S3 and the bucket, and leaves alone what the program does not make or IAM off", async () => {
    const fn = "arn:aws:lambda:us-east-1:123456789012:function:thumbs";
    expect((await start({ kind: "lambda", arn: fn }, false)).outcome).to.match(/^GraphRefusedError: bucket photos: S3 may not deliver/);
    expect((await start({ kind: "lambda", arn: fn }, false)).calls).to.deep.equal([
      "s3.amazonaws.com lambda:InvokeFunction arn:aws:s3:::photos",
    ]);
    const elsewhere = await start({ kind: "lambda", arn: "arn:aws:lambda:us-east-1:123456789012:function:made-elsewhere" }, false);
    expect(elsewhere).to.deep.equal({ outcome: "started", calls: [] });
    expect(await start({ kind: "sns", arn: "arn:aws:sns:us-east-1:123456789012:not-here" }, false)).to.deep.equal({
      outcome: "started",
      calls: [],
    });
    expect(await start({ kind: "sqs", arn: QUEUE }, false, false)).to.deep.equal({ outcome: "started", calls: [] });
  });
});

describe("local cloud: a function's response headers that HTTP cannot carry", () => {
  const INVALID = { status: 500, headers: [["content-type", "application/json"]], body: '{"message":"Internal Server Error"}' };
  const bad: [string, Record<string, unknown>][] = [
    ["a line break in a value", { headers: { "x-note": "one\r\nX-Injected: yes" } }],
    ["a name that is no token", { headers: { "bad name": "x" } }],
    ["a control character in a cookie", { cookies: ["a=\u0001"] }],
  ];
  for (const [what, response] of bad)
    it(`answers API Gateway's 500 for ${what}, in both payload formats`, () => {
      expect(mapResponseV2(JSON.stringify({ statusCode: 200, body: "ok", ...response }))).to.deep.equal(INVALID);
      if (!response.cookies) expect(mapResponseV1(JSON.stringify({ statusCode: 200, body: "ok", ...response }))).to.deep.equal(INVALID);
    });
  it("keeps a value node:http sends, Latin-1 text and tabs among it", () => {
    const headers = { "x-name": "caf\u00e9\tok" };
    expect(mapResponseV2(JSON.stringify({ statusCode: 200, headers })).headers).to.deep.equal([["x-name", "caf\u00e9\tok"]]);
    expect(mapResponseV1(JSON.stringify({ statusCode: 200, headers })).headers).to.deep.equal([["x-name", "caf\u00e9\tok"]]);
  });
});

describe("local cloud: an HTTP API's payload format 1.0 response", () => {
  const map = (result: unknown) => mapResponseV1(JSON.stringify(result));
  const INVALID = { status: 500, headers: [["content-type", "application/json"]], body: '{"message":"Internal Server Error"}' };

  it("takes a response: status, headers and multi-value headers (a header in both once per value), a text or base64 body", () => {
    expect(
      map({
        statusCode: 201,
        headers: { "X-One": "1", "Set-Cookie": "b=2" },
        multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"], "X-Many": ["x", "y"] },
        body: "made",
      }),
    ).to.deep.equal({
      status: 201,
      headers: [
        ["set-cookie", "a=1"],
        ["set-cookie", "b=2"],
        ["x-many", "x"],
        ["x-many", "y"],
        ["x-one", "1"],
      ],
      body: "made",
    });
    expect(map({ statusCode: 200, body: Buffer.from("bytes").toString("base64"), isBase64Encoded: true }).body).to.deep.equal(
      Buffer.from("bytes"),
    );
    expect(map({ statusCode: 204 })).to.deep.equal({ status: 204, headers: [], body: "" });
    expect(map({ statusCode: 200, body: null }).body).to.equal("");
    expect(map({ statusCode: 200, headers: null, multiValueHeaders: null, body: "ok" })).to.deep.equal({
      status: 200,
      headers: [],
      body: "ok",
    });
  });

  it("infers nothing: a plain value, a body that is not text, or a status outside 100-599 is API Gateway's 500", () => {
    for (const result of [{ greeting: "hi" }, "hi", ["a"], null, 7]) expect(map(result), JSON.stringify(result)).to.deep.equal(INVALID);
    expect(map({ statusCode: 200, body: { a: 1 } })).to.deep.equal(INVALID);
    expect(mapResponseV1("not json")).to.deep.equal(INVALID);
    for (const statusCode of [99, 600, 200.5, "teapot"]) expect(map({ statusCode }), String(statusCode)).to.deep.equal(INVALID);
    for (const statusCode of [100, 599, "404"]) expect(map({ statusCode }).status, String(statusCode)).to.equal(Number(statusCode));
  });
});

describe("local cloud: an HTTP API's payload format 1.0 event", () => {
  const request = (rawHeaders: string[]) =>
    ({ rawHeaders, method: "GET", httpVersion: "1.1", socket: { remoteAddress: "::ffff:10.0.0.9" } }) as unknown as IncomingMessage;
  const parts = (routeKey: string, variables: Record<string, string> = {}): EventParts =>
    ({
      routeKey,
      rawPath: "/things",
      rawQueryString: "",
      body: Buffer.alloc(0),
      requestId: "r1",
      stage: { name: "$default", variables, deployed: true },
      options: { accountId: "111111111111", api: { id: "api1" } },
    }) as unknown as EventParts;

  it("names the default route's resource $default, and gives no authorizer's claims or caller when there is none", () => {
    const event = payloadV1(request(["Host", "api1.example:3000", "X-A", "1", "x-a", "2", "User-Agent", "tests"]), parts("$default"));
    expect(event).to.deep.include({ resource: "$default", stageVariables: null, pathParameters: null, body: null });
    expect(event.headers).to.deep.include({ host: "api1.example:3000", "x-a": "2" });
    expect(event.multiValueHeaders).to.deep.include({ "x-a": ["1", "2"] });
    const context = event.requestContext as Record<string, any>;
    expect(context).to.deep.include({
      resourcePath: "$default",
      authorizer: { claims: null, scopes: null },
      domainName: "api1.example",
      domainPrefix: "api1",
    });
    expect(context.identity).to.deep.include({
      sourceIp: "10.0.0.9",
      userAgent: "tests",
      accessKey: null,
      accountId: null,
      caller: null,
      user: null,
      userArn: null,
    });
    expect(context.protocol).to.equal("HTTP/1.1");
  });

  it("carries a JWT's claims and scopes, a Lambda authorizer's context, an IAM caller, and the stage's variables", () => {
    const jwt = payloadV1(request([]), parts("GET /things", { tier: "gold" }), { jwt: { claims: { sub: "ann" }, scopes: ["read"] } });
    expect(jwt.stageVariables).to.deep.equal({ tier: "gold" });
    expect((jwt.requestContext as any).authorizer).to.deep.equal({ claims: { sub: "ann" }, scopes: ["read"] });
    expect((jwt.requestContext as any).resourcePath).to.equal("/things");
    // Without a Host header or a User-Agent: localhost stands in for API Gateway's domain, and no agent.
    expect(jwt.requestContext).to.deep.include({ domainName: "localhost", domainPrefix: "localhost" });
    expect((jwt.requestContext as any).identity.userAgent).to.equal("");
    const lambda = payloadV1(request([]), parts("GET /things"), { context: { user: "ann" } });
    expect((lambda.requestContext as any).authorizer).to.deep.equal({ lambda: { user: "ann" } });
    const iam = {
      accessKey: "AKIA1",
      accountId: "111111111111",
      callerId: "AROA1:caller",
      userArn: "arn:aws:sts::1:assumed-role/r/caller",
      userId: "AROA1:caller",
    };
    const signed = payloadV1(request([]), parts("GET /things"), { iam });
    expect((signed.requestContext as any).identity).to.deep.include({
      accessKey: "AKIA1",
      accountId: "111111111111",
      caller: "AROA1:caller",
      user: "AROA1:caller",
      userArn: "arn:aws:sts::1:assumed-role/r/caller",
    });
  });
});

describe("local cloud: an SNS subscription's redrive policy", () => {
  it("reads its dead-letter queue, and stops the start on a policy SNS refuses, naming the subscription", async () => {
    const { graph } = await stackGraph("dev");
    const topic = graph.resources.find((r) => r.type === "aws:sns/topic:Topic")!;
    const urn = "urn:pulumi:dev::platform::aws:sns/topicSubscription:TopicSubscription::late";
    const withPolicy = (redrivePolicy: unknown) => ({
      ...graph,
      resources: [
        ...graph.resources,
        {
          ...topic,
          urn,
          type: "aws:sns/topicSubscription:TopicSubscription",
          name: "late",
          arn: `${topic.arn}:late`,
          state: { topic: topic.arn, protocol: "sqs", endpoint: "arn:aws:sqs:eu-west-1:111111111111:late", redrivePolicy },
        },
      ],
    });
    const subscription = (model: ReturnType<typeof buildModel>) =>
      model.topics.flatMap((t) => t.subscriptions).find((s) => s.arn === `${topic.arn}:late`)!;
    const dlq = "arn:aws:sqs:eu-west-1:111111111111:late-dead";
    expect(subscription(buildModel(withPolicy(JSON.stringify({ deadLetterTargetArn: dlq })))).deadLetterArn).to.equal(dlq);
    for (const none of [undefined, ""]) expect(subscription(buildModel(withPolicy(none))).deadLetterArn).to.equal(undefined);
    for (const refused of [
      "{not json",
      JSON.stringify({}),
      JSON.stringify({ deadLetterTargetArn: "arn:aws:sns:eu-west-1:111111111111:t" }),
    ])
      expect(() => buildModel(withPolicy(refused)), refused).to.throw(
        GraphRefusedError,
        `${urn}: its redrivePolicy ${JSON.stringify(refused)} has no deadLetterTargetArn of an SQS queue; SNS refuses it`,
      );
  });
});

describe("local cloud: what a function's code may require in Lambda", () => {
  const roots = ["/task/", "/layers/a/nodejs/node_modules/"];
  const builtin = (r: string) => ["fs", "path"].includes(r);
  const outside = (request: string, parent: string | undefined, resolved: string) =>
    outsideModule(request, parent, resolved, roots, builtin);

  it("names the package of a bare specifier, scoped or not", () => {
    expect(packageOf("zod")).to.equal("zod");
    expect(packageOf("zod/lib/types")).to.equal("zod");
    expect(packageOf("@scope/pkg/sub/path")).to.equal("@scope/pkg");
  });

  it("flags a bare require from the function's files that resolved outside its artifact and layers", () => {
    expect(outside("zod", "/task/index.js", "/program/node_modules/zod/index.js")).to.equal(true);
    expect(outside("@scope/pkg/x", "/layers/a/nodejs/node_modules/own/index.js", "/program/node_modules/@scope/pkg/x.js")).to.equal(true);
  });

  it("leaves alone relative and absolute paths, built-ins, the runtime's SDK, modules the roots hold, and requires made by other packages", () => {
    expect(outside("./util", "/task/index.js", "/program/util.js")).to.equal(false);
    expect(outside("/abs/x", "/task/index.js", "/abs/x.js")).to.equal(false);
    expect(outside("node:fs", "/task/index.js", "node:fs")).to.equal(false);
    expect(outside("fs", "/task/index.js", "fs")).to.equal(false);
    expect(outside("@aws-sdk/client-sqs", "/task/index.js", "/program/node_modules/@aws-sdk/client-sqs/index.js")).to.equal(false);
    expect(outside("zod", "/task/index.js", "/task/node_modules/zod/index.js")).to.equal(false);
    expect(outside("zod", "/task/index.js", "/layers/a/nodejs/node_modules/zod/index.js")).to.equal(false);
    expect(outside("tslib", "/program/node_modules/@aws-sdk/client-sqs/index.js", "/program/node_modules/tslib/index.js")).to.equal(false);
    expect(outside("zod", undefined, "/program/node_modules/zod/index.js")).to.equal(false);
  });
});

describe("local cloud: functions it does not run", () => {
  it("runs Node.js zip functions, and says why it runs no other kind", async () => {
    const { graph } = await stackGraph("dev");
    const fn = graph.resources.find((r) => r.type === "aws:lambda/function:Function")!;
    const notRun = (state: Record<string, unknown>) =>
      buildModel({
        ...graph,
        resources: [...graph.resources.filter((r) => r.urn !== fn.urn), { ...fn, state: { ...fn.state, ...state } }],
      }).functions.find((f) => f.arn === fn.arn)!.notRun;
    for (const runtime of ["nodejs22.x", "nodejs20.x", "nodejs18.x", undefined])
      expect(notRun({ runtime }), String(runtime)).to.equal(undefined);
    for (const runtime of ["python3.12", "dotnet8", "java21", "provided.al2023", "nodejs", "nodejs22.x-beta"])
      expect(notRun({ runtime }), runtime).to.equal(
        `its runtime is ${runtime}, and the local cloud runs Node.js runtimes (nodejs<N>.x) only`,
      );
    expect(notRun({ packageType: "Image", code: undefined, runtime: undefined })).to.equal(
      "it is a container image function, and the local cloud runs zip functions only",
    );
    expect(notRun({ imageUri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1" })).to.equal(
      "it is a container image function, and the local cloud runs zip functions only",
    );
    expect(notRun({ code: undefined, s3Bucket: "artifacts", s3Key: "app.zip" })).to.equal(
      "its code is in S3 (s3Bucket and s3Key), which the local cloud does not read",
    );
  });

  it("fails an invocation of one at once, saying why, and starts no container for it", async () => {
    const fn = {
      name: "dotnet",
      arn: "arn:aws:lambda:eu-west-1:111111111111:function:dotnet",
      notRun: "its runtime is dotnet8, and the local cloud runs Node.js runtimes (nodejs<N>.x) only",
    } as LocalFunction;
    const pool = new FunctionPool(fn, {
      bootstrapFile: "/nonexistent/bootstrap.js",
      taskRoot: "/nonexistent",
      environment: {},
      maxContainers: 1,
      onLog: () => undefined,
    });
    const outcome = await pool.invoke({}, "req-1");
    expect(outcome).to.deep.equal({
      requestId: "req-1",
      error: { errorType: "Runtime.NotRunLocally", errorMessage: `dotnet is not run locally: ${fn.notRun}`, trace: [] },
      durationMs: 0,
    });
    expect(pool.containers).to.equal(0);
  });
});
