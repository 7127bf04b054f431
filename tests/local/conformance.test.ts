/**
 * The local cloud answers as API Gateway HTTP APIs do (payload format 2.0), checked field by field
 * against a fixture program of raw aws resources with an echo function. It also checks the Lambda
 * side: realistic context, init once per container, the timeout, and a fresh container after one.
 */
import * as http from "http";
import * as path from "path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";

const FIXTURE = path.join(__dirname, "..", "fixtures", "echo-api");

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  raw: Buffer;
}

function request(
  base: string,
  method: string,
  target: string,
  options: { headers?: Record<string, string | string[]>; body?: Buffer | string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(target, base), { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body: raw.toString("utf8"), raw });
      });
    });
    req.on("error", reject);
    for (const [name, value] of Object.entries(options.headers ?? {})) req.setHeader(name, value);
    req.end(options.body);
  });
}

/** Runs `body` against a local cloud of its own for the fixture, started with `options`, and stops it whatever happens. */
async function withFixtureCloud(options: Partial<Parameters<typeof startLocalCloud>[0]>, body: (cloud: LocalCloud) => Promise<void>) {
  const cloud = await startLocalCloud({
    programDir: FIXTURE,
    stack: "test",
    port: 0,
    write: () => undefined,
    stateFile: false,
    ...options,
  });
  try {
    await body(cloud);
  } finally {
    await cloud.stop();
  }
}

describe("local cloud: API Gateway HTTP API conformance (fixture program)", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  const lines: string[] = [];
  const echoed = async (method: string, target: string, options: Parameters<typeof request>[3] = {}) => {
    const reply = await request(cloud.url, method, target, options);
    expect(reply.status, reply.body).to.equal(200);
    return JSON.parse(reply.body);
  };

  before(async () => {
    cloud = await startLocalCloud({ programDir: FIXTURE, stack: "test", port: 0, maxContainers: 3, write: (line) => lines.push(line) });
  });
  after(async () => {
    await cloud?.stop();
  });

  it("builds the 2.0 event: route key, raw path and query, cookies, lower-cased and comma-joined headers, parameters", async () => {
    const event = await echoed("GET", "/echo/item%2042?a=1&a=2&b=x%20y", {
      headers: { Cookie: "c1=v1; c2=v2", "X-Multi": ["one", "two"], "User-Agent": "conformance" },
    });
    expect(event.version).to.equal("2.0");
    expect(event.routeKey).to.equal("GET /echo/{id}");
    expect(event.rawPath).to.equal("/echo/item%2042");
    expect(event.rawQueryString).to.equal("a=1&a=2&b=x%20y");
    expect(event.cookies).to.deep.equal(["c1=v1", "c2=v2"]);
    expect(event.headers["x-multi"]).to.equal("one,two");
    expect(event.headers).to.not.have.property("cookie");
    expect(Object.keys(event.headers).every((k: string) => k === k.toLowerCase())).to.equal(true);
    expect(event.queryStringParameters).to.deep.equal({ a: "1,2", b: "x y" });
    expect(event.pathParameters).to.deep.equal({ id: "item 42" });
    expect(event.requestContext.http).to.deep.equal({
      method: "GET",
      path: "/echo/item%2042",
      protocol: "HTTP/1.1",
      sourceIp: "127.0.0.1",
      userAgent: "conformance",
    });
    expect(event.requestContext).to.include({ routeKey: "GET /echo/{id}", stage: "$default", apiId: cloud.apis[0].id });
    expect(event.requestContext.requestId).to.be.a("string").and.not.equal("");
    expect(event.isBase64Encoded).to.equal(false);
    expect(event).to.not.have.property("body");
  });

  it("leaves out queryStringParameters, pathParameters and cookies when there are none", async () => {
    const event = await echoed("GET", "/echo");
    expect(event.routeKey).to.equal("ANY /echo");
    expect(event.rawQueryString).to.equal("");
    for (const absent of ["queryStringParameters", "pathParameters", "cookies"]) expect(event, absent).to.not.have.property(absent);
  });

  it("passes text bodies as text and binary bodies base64-encoded", async () => {
    const json = await echoed("POST", "/echo", { headers: { "content-type": "application/json" }, body: '{"a":1}' });
    expect(json).to.include({ body: '{"a":1}', isBase64Encoded: false });
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const binary = await echoed("POST", "/echo", { headers: { "content-type": "application/octet-stream" }, body: bytes });
    expect(binary.isBase64Encoded).to.equal(true);
    expect(Buffer.from(binary.body, "base64")).to.deep.equal(bytes);
  });

  it("answers 500 for a route whose function is not in the program, says which and why, and keeps serving", async () => {
    const table = lines.find((l) => l.includes("GET /elsewhere"));
    expect(table).to.match(
      /λ arn:aws:lambda:us-east-1:123456789012:function:made-elsewhere \(not in this program: not run locally, answers 500\)$/,
    );
    const reply = await request(cloud.url, "GET", "/elsewhere");
    expect(reply.status).to.equal(500);
    expect(JSON.parse(reply.body)).to.deep.equal({ message: "Internal Server Error" });
    expect(reply.body).to.not.include("made-elsewhere");
    expect(lines).to.include(
      "api GET /elsewhere: arn:aws:lambda:us-east-1:123456789012:function:made-elsewhere is not a function of this program, so it does not run locally and the route answers 500; define the function in the program to run it here",
    );
    // The local cloud is still up, and a function of the program still answers.
    expect((await request(cloud.url, "GET", "/echo")).status).to.equal(200);
  });

  it("lists a queue whose event source mapping's function is not in the program, and leaves it unpolled", async () => {
    expect(lines.find((l) => l.trimStart().startsWith("orphan-queue"))).to.match(
      /arn:aws:lambda:us-east-1:123456789012:function:made-elsewhere \(not in this program: not polled locally\)$/,
    );
    expect(lines).to.include(
      "queue orphan-queue: its event source mapping's function arn:aws:lambda:us-east-1:123456789012:function:made-elsewhere is not in this program, so nothing polls the queue locally",
    );
  });

  it("reads a chunked body whole, and serves a request without Content-Length or Transfer-Encoding as bodiless", async () => {
    // Written in parts with no length given, node:http sends the body chunked.
    const chunked = await new Promise<Reply>((resolve, reject) => {
      const req = http.request(new URL("/echo", cloud.url), { method: "POST", headers: { "content-type": "text/plain" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), raw: Buffer.alloc(0) }),
        );
      });
      req.on("error", reject);
      req.write("first part, ");
      setTimeout(() => req.end("second part"), 50);
    });
    expect(chunked.status, chunked.body).to.equal(200);
    expect(JSON.parse(chunked.body)).to.include({ body: "first part, second part", isBase64Encoded: false });
    expect(JSON.parse(chunked.body).headers).to.have.property("transfer-encoding", "chunked");
    // A DELETE with neither header: no body, and nothing of the next request on the connection taken for one.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const bodiless = await new Promise<string[]>((resolve, reject) => {
      const replies: string[] = [];
      for (const method of ["DELETE", "POST"]) {
        const req = http.request(
          new URL("/echo", cloud.url),
          { method, agent, headers: method === "POST" ? { "content-type": "text/plain" } : {} },
          (res) => {
            let text = "";
            res.on("data", (c) => (text += c));
            res.on("end", () => (replies.push(text), replies.length === 2 && resolve(replies)));
          },
        );
        req.on("error", reject);
        req.end(method === "POST" ? "after" : undefined);
      }
    });
    agent.destroy();
    const [deleted, posted] = bodiless.map((text) => JSON.parse(text));
    expect(deleted.requestContext.http.method).to.equal("DELETE");
    expect(deleted).to.not.have.property("body");
    expect(deleted.headers).to.not.have.any.keys("content-length", "transfer-encoding");
    expect(posted).to.include({ body: "after" });
  });

  it("selects the most specific route: literal over variable over greedy, a method over ANY", async () => {
    const literal = JSON.parse((await request(cloud.url, "GET", "/echo/special")).body);
    expect(literal).to.deep.equal({ from: "closure", path: "/echo/special" });
    const greedy = JSON.parse((await request(cloud.url, "GET", "/echo/a/b/c")).body);
    expect(greedy).to.deep.equal({ from: "closure", path: "/echo/a/b/c" });
    expect((await echoed("GET", "/echo/12")).routeKey).to.equal("GET /echo/{id}");
    expect((await echoed("DELETE", "/echo")).routeKey).to.equal("ANY /echo");
  });

  it('answers a path with no route 404 {"message":"Not Found"}, and $default catches every path of an API that has it', async () => {
    const missing = await request(cloud.url, "GET", "/nowhere");
    expect(missing.status).to.equal(404);
    expect(JSON.parse(missing.body)).to.deep.equal({ message: "Not Found" });
    expect(missing.headers["content-type"]).to.equal("application/json");
    const fallback = JSON.parse((await request(cloud.apis[1].url, "PATCH", "/any/where?x=1")).body);
    expect(fallback).to.include({ routeKey: "$default", rawPath: "/any/where" });
    expect(fallback.requestContext.routeKey).to.equal("$default");
  });

  it("maps a result without statusCode to 200 application/json, and a plain string to its text", async () => {
    const plain = await request(cloud.url, "GET", "/echo?mode=plain");
    expect(plain.status).to.equal(200);
    expect(plain.headers["content-type"]).to.equal("application/json");
    expect(JSON.parse(plain.body)).to.have.property("hello", "world");
    const text = await request(cloud.url, "GET", "/echo?mode=string");
    expect(text.status).to.equal(200);
    expect(text.body).to.equal("just a string");
  });

  it("maps statusCode, headers, cookies to set-cookie, and a base64 body to bytes", async () => {
    const reply = await request(cloud.url, "GET", "/echo?mode=cookies");
    expect(reply.status).to.equal(201);
    expect(reply.headers["x-custom"]).to.equal("yes");
    expect(reply.headers["set-cookie"]).to.deep.equal(["a=1; Path=/", "b=2"]);
    expect(reply.body).to.equal("binary!");
  });

  it("answers 500 for a response header HTTP cannot carry, sends nothing of it, and keeps serving", async () => {
    const reply = await request(cloud.url, "GET", "/echo?mode=bad-header");
    expect(reply.status).to.equal(500);
    expect(JSON.parse(reply.body)).to.deep.equal({ message: "Internal Server Error" });
    expect(reply.headers).to.not.have.property("x-injected");
    expect(reply.headers).to.not.have.property("x-note");
    expect((await request(cloud.url, "GET", "/echo?mode=plain")).status).to.equal(200);
  });

  it('answers a function error 500 {"message":"Internal Server Error"} and prints an invocation line with the error', async () => {
    const reply = await request(cloud.url, "GET", "/echo?mode=throw");
    expect(reply.status).to.equal(500);
    expect(JSON.parse(reply.body)).to.deep.equal({ message: "Internal Server Error" });
    expect(lines.some((l) => l.includes("λ echo") && l.includes("TypeError: echo was asked to fail"))).to.equal(true);
  });

  it("gives the handler a realistic context and its environment, and runs init once per warm container", async () => {
    const first = await echoed("GET", "/echo?mode=context");
    const second = await echoed("GET", "/echo?mode=context");
    expect(first).to.include({
      functionName: "echo",
      functionVersion: "$LATEST",
      memoryLimitInMB: "128",
      invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:echo",
    });
    expect(first.awsRequestId).to.match(/^[0-9a-f-]{36}$/);
    expect(first.awsRequestId).to.not.equal(second.awsRequestId);
    expect(first.remaining).to.be.within(1, 1000);
    const { trace, ...env } = first.env;
    expect(env).to.deep.equal({ fn: "echo", mem: "128", greeting: "hi" });
    // Each invocation its own trace, as Lambda's runtime sets _X_AMZN_TRACE_ID; not sampled without active tracing.
    expect(trace).to.match(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    expect(second.env.trace.split(";")[0]).to.not.equal(trace.split(";")[0]);
    // Module state survives between invocations of one container: init did not run again.
    expect(second.invocations).to.equal(first.invocations + 1);
  });

  it("continues a caller's trace: the request's X-Amzn-Trace-Id Root and sampling, with a Parent of its own", async () => {
    const header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    const traced = await echoed("GET", "/echo?mode=context", { headers: { "x-amzn-trace-id": header } });
    const fields = Object.fromEntries(traced.env.trace.split(";").map((f: string) => f.split("=")));
    expect(fields.Root).to.equal("1-5759e988-bd862e3fe1be46a994272793");
    expect(fields.Sampled).to.equal("1");
    expect(fields.Parent)
      .to.match(/^[0-9a-f]{16}$/)
      .and.not.equal("53995c3f42cd8ad8");
    // A malformed header starts a new trace instead.
    const fresh = await echoed("GET", "/echo?mode=context", { headers: { "x-amzn-trace-id": "Root=nonsense" } });
    expect(fresh.env.trace)
      .to.match(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};/)
      .and.not.include("nonsense");
  });

  it("enforces the timeout with a 500, replaces the timed-out container, and the next request succeeds", async () => {
    const before = await echoed("GET", "/echo?mode=plain");
    expect(before.invocations).to.be.greaterThan(1);
    const slow = await request(cloud.url, "GET", "/echo?mode=sleep&ms=3000");
    expect(slow.status).to.equal(500);
    expect(JSON.parse(slow.body)).to.deep.equal({ message: "Internal Server Error" });
    expect(lines.some((l) => l.includes("Sandbox.Timedout") && l.includes("Task timed out after 1.00 seconds"))).to.equal(true);
    const after = await echoed("GET", "/echo?mode=plain");
    // A fresh container: its module state starts again.
    expect(after.invocations).to.equal(1);
  });

  it("times an invocation out at its own deadline, not at one left over from the container's previous invocation", async () => {
    // The container keeps its timeout timer armed between invocations: the plain request's timer fires
    // about 600 ms into the slow one, which must run on to its own 1 s. The slow one reuses the plain
    // one's container (the last released is the next taken).
    await echoed("GET", "/echo?mode=plain");
    await new Promise((resolve) => setTimeout(resolve, 400));
    const from = lines.length;
    const slow = await request(cloud.url, "GET", "/echo?mode=sleep&ms=1600");
    expect(slow.status).to.equal(500);
    const line = lines.slice(from).find((l) => l.includes("Sandbox.Timedout"));
    expect(line, lines.slice(from).join("\n")).to.not.equal(undefined);
    expect(line).to.not.include("cold start");
    const durationMs = Number(/ (\d+\.\d) ms /.exec(line!)![1]);
    expect(durationMs).to.be.at.least(1000);
    expect(durationMs).to.be.below(1600);
  });

  it("serves many concurrent requests with at most the configured containers", async () => {
    const replies = await Promise.all(Array.from({ length: 60 }, () => request(cloud.url, "GET", "/echo?mode=sleep&ms=20")));
    expect(replies.map((r) => r.status)).to.deep.equal(replies.map(() => 200));
    expect(cloud.model.functions.find((f) => f.name === "echo")).to.not.equal(undefined);
    const containers = lines.filter((l) => l.startsWith("λ echo") && l.includes("cold start")).length;
    expect(containers).to.be.at.most(3 + 2); // 3 at once, plus the replacements after the error and the timeout tests
  });

  it("serves Lambda's Invoke API to the AWS SDK: results, function errors, unknown functions", async () => {
    const client = new LambdaClient({
      endpoint: cloud.lambdaEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const ok = await client.send(
      new InvokeCommand({ FunctionName: "echo", Payload: Buffer.from(JSON.stringify({ queryStringParameters: { mode: "plain" } })) }),
    );
    expect(ok.FunctionError).to.equal(undefined);
    expect(JSON.parse(Buffer.from(ok.Payload!).toString())).to.have.property("hello", "world");
    const failed = await client.send(
      new InvokeCommand({ FunctionName: "echo", Payload: Buffer.from(JSON.stringify({ queryStringParameters: { mode: "throw" } })) }),
    );
    expect(failed.FunctionError).to.equal("Unhandled");
    expect(JSON.parse(Buffer.from(failed.Payload!).toString())).to.include({
      errorType: "TypeError",
      errorMessage: "echo was asked to fail",
    });
    const missing = await client.send(new InvokeCommand({ FunctionName: "nope" })).catch((err) => err);
    expect(missing.name).to.equal("ResourceNotFoundException");
    client.destroy();
  });

  it("throttles past a function's reserved concurrency as Lambda does: Invoke 429, the API 500, async events retried", async () => {
    const client = new LambdaClient({
      endpoint: cloud.lambdaEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    });
    const sleep = (ms: number, marker = "") =>
      Buffer.from(JSON.stringify({ queryStringParameters: { mode: "sleep", ms: String(ms) }, marker }));
    // "single" has a reserved concurrency of 1: while one invocation runs, a second is refused at once.
    const [first, second] = await Promise.all([
      client.send(new InvokeCommand({ FunctionName: "single", Payload: sleep(400) })).catch((err) => err),
      new Promise((r) => setTimeout(r, 100)).then(() =>
        client.send(new InvokeCommand({ FunctionName: "single", Payload: sleep(0) })).catch((err) => err),
      ),
    ]);
    expect(JSON.parse(Buffer.from(first.Payload!).toString())).to.deep.equal({ slept: 400 });
    expect(second.name).to.equal("TooManyRequestsException");
    expect(second.$metadata.httpStatusCode).to.equal(429);
    expect(second.Reason).to.equal("ReservedFunctionConcurrentInvocationLimitExceeded");
    // The limit is on concurrency, not on a count: the next one runs.
    const third = await client.send(new InvokeCommand({ FunctionName: "single", Payload: sleep(0) }));
    expect(third.FunctionError).to.equal(undefined);
    // Through the API, a throttled invocation is API Gateway's 500, as an integration failure.
    const replies = await Promise.all([
      request(cloud.url, "GET", "/single?mode=sleep&ms=400"),
      new Promise((r) => setTimeout(r, 100)).then(() => request(cloud.url, "GET", "/single?mode=sleep&ms=0")),
    ]);
    expect(replies.map((r) => r.status)).to.deep.equal([200, 500]);
    expect(JSON.parse(replies[1].body)).to.deep.equal({ message: "Internal Server Error" });
    expect(lines.some((l) => l.startsWith("λ single") && l.includes("TooManyRequestsException"))).to.equal(true);
    // An async event that meets the limit waits and runs once it is free: a throttle uses up no retry.
    const before = lines.filter((l) => l.startsWith("λ single") && l.includes("(async") && !l.includes("error")).length;
    await Promise.all([
      client.send(new InvokeCommand({ FunctionName: "single", InvocationType: "Event", Payload: sleep(300, "a") })),
      client.send(new InvokeCommand({ FunctionName: "single", InvocationType: "Event", Payload: sleep(0, "b") })),
    ]);
    const ran = () => lines.filter((l) => l.startsWith("λ single") && l.includes("(async") && !l.includes("error")).length - before;
    for (let waited = 0; ran() < 2 && waited < 20_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(ran()).to.equal(2);
    // Each ran as its first attempt: the throttled one was held back, not counted as a failed try.
    expect(lines.filter((l) => l.startsWith("λ single") && l.includes("async retry"))).to.deep.equal([]);
    client.destroy();
  });

  it("lists the graph's cloud-only and unsupported resources at start-up instead of ignoring them", () => {
    const at = (title: string) => lines.indexOf(lines.find((l) => l.startsWith(title))!);
    expect(lines[at("Cloud only") + 1]).to.include("aws:cloudfront/originAccessControl:OriginAccessControl");
    expect(lines[at("Unsupported") + 1]).to.include("aws:ec2/vpc:Vpc");
  });
});

describe("local cloud: stage throttling, when enforced", function () {
  this.timeout(60_000);
  it('answers 429 {"message":"Too Many Requests"} past the stage\'s burst', () =>
    withFixtureCloud({ enforceThrottle: true }, async (cloud) => {
      const replies = await Promise.all(Array.from({ length: 5 }, () => request(cloud.url, "GET", "/echo?mode=plain")));
      const limited = replies.filter((r) => r.status === 429);
      // Burst 2 at 1 request a second: two pass at once, the rest are throttled.
      expect(replies.filter((r) => r.status === 200)).to.have.length(2);
      expect(limited).to.have.length(3);
      expect(JSON.parse(limited[0].body)).to.deep.equal({ message: "Too Many Requests" });
    }));
});

describe("local cloud: --profile, where an API request's time goes", function () {
  this.timeout(60_000);
  it("times every phase of each request, the container's own through its result, and starts over on reset", () =>
    withFixtureCloud({ profile: true }, async (cloud) => {
      for (let i = 0; i < 3; i++) expect((await request(cloud.url, "GET", "/echo?mode=plain")).status).to.equal(200);
      const summary = cloud.profile!.summary();
      expect(summary.requests).to.equal(3);
      const means = Object.fromEntries(summary.phases.map((p) => [p.phase, p.meanUs]));
      expect(Object.keys(means)).to.deep.equal(["read", "route", "to container", "handler", "from container", "map", "write"]);
      // The container's clock readings (received, handler start and end) come back with the result.
      for (const phase of ["to container", "handler", "from container"]) expect(means[phase], phase).to.be.greaterThan(0);
      expect(Object.values(means).every((us) => us >= 0)).to.equal(true);
      expect(summary.phases.reduce((sum, p) => sum + p.share, 0)).to.be.closeTo(1, 1e-9);
      cloud.profile!.reset();
      expect(cloud.profile!.summary().requests).to.equal(0);
    }));
});
