/**
 * Lambda function URLs, locally (local/function-url.ts), against "Invoking Lambda function URLs" and
 * "Control access to Lambda function URLs" (Lambda Developer Guide): the model read from a fixture
 * program of raw aws resources, then the URLs served.
 */
import * as path from "path";
import { expect } from "chai";
import { captureStack, Graph } from "../../graph/capture";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { Reporter } from "../../local/console";
import { FORBIDDEN, startFunctionUrlServer } from "../../local/function-url";
import { accessKeyId } from "../../local/iam/authority";
import { buildIamModel } from "../../local/iam/model";
import { buildModel, GraphRefusedError, LocalFunctionUrl } from "../../local/model";
import { freePort } from "./harness";

const PROGRAM = path.join(__dirname, "..", "fixtures", "function-url");
const FORBIDDEN_MESSAGE = JSON.parse(FORBIDDEN.body as string).Message;

describe("local cloud: Lambda function URLs", () => {
  let graph: Graph;
  before(async () => {
    graph = await captureStack(PROGRAM, "test");
  });

  describe("the model", () => {
    it("reads each URL: its function (qualified when it has a qualifier), auth type, CORS, invoke mode and cloud URL", () => {
      const model = buildModel(graph);
      const byName = Object.fromEntries(model.functionUrls.map((u) => [u.name, u]));
      expect(Object.keys(byName)).to.have.members(["open-url", "guarded-url", "off-url", "foreign-url"]);
      const open = byName["open-url"];
      expect(open.urlId).to.match(/^[a-z0-9]{32}$/);
      expect(open).to.deep.equal({
        name: "open-url",
        urlId: open.urlId,
        functionArn: model.functions.find((f) => f.name === "open")!.arn,
        authType: "NONE",
        cors: {
          allowOrigins: ["https://app.example"],
          allowMethods: ["GET", "POST"],
          allowHeaders: ["content-type"],
          exposeHeaders: [],
          maxAge: 300,
          allowCredentials: false,
        },
        invokeMode: "BUFFERED",
        cloudUrl: `https://${open.urlId}.lambda-url.eu-west-1.on.aws/`,
      });
      expect(byName["guarded-url"]).to.deep.include({ authType: "AWS_IAM", cors: undefined, invokeMode: "BUFFERED" });
      expect(byName["off-url"]).to.deep.include({ invokeMode: "RESPONSE_STREAM" });
      // A function no resource of the program is: invoked by its ARN, which does not run here.
      expect(byName["foreign-url"].functionArn).to.match(/^arn:aws:lambda:eu-west-1:\d{12}:function:billing-prod-charge$/);
      // Served, so not listed as skipped.
      expect(model.skipped.map((s) => s.type)).to.not.include("aws:lambda/functionUrl:FunctionUrl");
    });

    const withUrl = (state: Record<string, unknown>) => {
      const url = graph.resources.find((r) => r.name === "open-url")!;
      return { ...graph, resources: graph.resources.map((r) => (r === url ? { ...r, state: { ...r.state, ...state } } : r)) };
    };

    it("invokes the alias or version a qualifier names, and a function of another program by its ARN", () => {
      const open = buildModel(graph).functions.find((f) => f.name === "open")!;
      const qualified = buildModel(withUrl({ qualifier: "live" })).functionUrls.find((u) => u.name === "open-url")!;
      expect(qualified.functionArn).to.equal(`${open.arn}:live`);
      const elsewhere = "arn:aws:lambda:eu-west-1:222222222222:function:theirs";
      const foreign = buildModel(withUrl({ functionName: "theirs", functionArn: elsewhere })).functionUrls.find(
        (u) => u.name === "open-url",
      )!;
      expect(foreign.functionArn).to.equal(elsewhere);
    });

    it("refuses an auth type or an invoke mode Lambda refuses, naming the URL; the two it accepts start", () => {
      const urn = graph.resources.find((r) => r.name === "open-url")!.urn;
      expect(() => buildModel(withUrl({ authorizationType: "OPEN" }))).to.throw(
        GraphRefusedError,
        `${urn}: authorizationType must be NONE or AWS_IAM, not "OPEN"; Lambda refuses it`,
      );
      expect(() => buildModel(withUrl({ authorizationType: undefined }))).to.throw(GraphRefusedError, "not undefined");
      expect(() => buildModel(withUrl({ invokeMode: "STREAM" }))).to.throw(
        GraphRefusedError,
        `${urn}: invokeMode must be BUFFERED or RESPONSE_STREAM, not "STREAM"; Lambda refuses it`,
      );
      for (const [authorizationType, invokeMode] of [
        ["AWS_IAM", "RESPONSE_STREAM"],
        ["NONE", "BUFFERED"],
      ])
        expect(buildModel(withUrl({ authorizationType, invokeMode })).functionUrls.find((u) => u.name === "open-url")).to.deep.include({
          authType: authorizationType,
          invokeMode,
        });
    });

    it("writes a URL permission's auth type and a permission for invocations through a URL as the conditions Lambda adds", () => {
      const permission = (name: string, state: Record<string, unknown>) => ({
        ...graph.resources.find((r) => r.name === "open-url")!,
        urn: `urn:pulumi:test::function-url-fixture::aws:lambda/permission:Permission::${name}`,
        type: "aws:lambda/permission:Permission",
        name,
        state: { function: "open", principal: "*", statementId: name, ...state },
      });
      const iam = buildIamModel({
        ...graph,
        resources: [
          ...graph.resources,
          permission("url", { action: "lambda:InvokeFunctionUrl", functionUrlAuthType: "NONE" }),
          permission("via-url", { action: "lambda:InvokeFunction", invokedViaFunctionUrl: true }),
          permission("plain", { action: "lambda:InvokeFunction" }),
        ],
      });
      const open = buildModel(graph).functions.find((f) => f.name === "open")!;
      const statements = iam.resourcePolicies.get(open.arn)!.document.Statement as unknown as Record<string, any>[];
      const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
      expect(bySid.url.Condition).to.deep.equal({ StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } });
      expect(bySid["via-url"].Condition).to.deep.equal({ Bool: { "lambda:InvokedViaFunctionUrl": "true" } });
      expect(bySid.plain).to.not.have.property("Condition");
    });
  });

  describe("a URL's server before the local cloud is ready", () => {
    const options = () => ({
      url: {
        name: "early",
        urlId: "a".repeat(32),
        functionArn: "arn:aws:lambda:eu-west-1:111111111111:function:early",
        authType: "NONE",
        invokeMode: "BUFFERED",
        cloudUrl: "",
      } satisfies LocalFunctionUrl,
      lambda: () => undefined,
      reporter: new Reporter(() => undefined),
      accountId: "111111111111",
      region: "eu-west-1",
      port: 0,
    });

    it("answers 503 to every request, and never crashes", async () => {
      const server = await startFunctionUrlServer(options());
      try {
        for (const method of ["GET", "POST"]) {
          const res = await fetch(`${server.url}/anything`, { method });
          expect(res.status).to.equal(503);
          expect(res.headers.get("content-type")).to.equal("application/json");
          expect((await res.json()) as any).to.deep.equal({ message: "Service Unavailable" });
        }
      } finally {
        await server.close();
      }
    });

    it("refuses a port in use, and leaves it to its owner", async () => {
      const first = await startFunctionUrlServer({ ...options(), port: 0 });
      try {
        const taken = startFunctionUrlServer({ ...options(), port: first.port });
        await taken.then(
          () => expect.fail("a second server took the port"),
          (err: NodeJS.ErrnoException) => expect(err.code).to.equal("EADDRINUSE"),
        );
        expect((await fetch(`${first.url}/`)).status).to.equal(503);
      } finally {
        await first.close();
      }
    });
  });

  describe("served", () => {
    let cloud: LocalCloud;
    let port: number;
    const lines: string[] = [];
    const urlOf = (name: string) => cloud.functionUrls.find((u) => u.name === name)!.url;
    const signed = (fn: string) => ({
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId(fn)}/20261201/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=0`,
    });

    before(async () => {
      port = await freePort();
      cloud = await startLocalCloud({ programDir: PROGRAM, stack: "test", port, write: (line) => lines.push(line), stateFile: false });
    });
    after(async () => {
      await cloud?.stop();
    });

    it("serves each URL on its own port, the first on the port asked for when the program has no HTTP API, and lists them", () => {
      expect(cloud.apis).to.deep.equal([]);
      expect(cloud.functionUrls.map((u) => u.name)).to.deep.equal(buildModel(graph).functionUrls.map((u) => u.name));
      expect(cloud.functionUrls[0].url).to.equal(`http://127.0.0.1:${port}`);
      expect(new Set(cloud.functionUrls.map((u) => u.url)).size).to.equal(4);
      expect(cloud.url).to.equal(cloud.functionUrls[0].url);
      const table = lines.join("\n");
      expect(table).to.include("Function URLs");
      expect(table).to.match(new RegExp(`open-url +${urlOf("open-url")}/ +λ open +public \\(auth NONE\\) +CORS https://app.example`));
      expect(table).to.match(new RegExp(`guarded-url +${urlOf("guarded-url")}/ +λ guarded +AWS_IAM \\(enforced\\)`));
      expect(table).to.match(/off-url .*streamed in AWS, whole here/);
      expect(table).to.match(
        /foreign-url .*λ arn:aws:lambda:eu-west-1:\d{12}:function:billing-prod-charge \(not in this program: not run locally, answers 502\)/,
      );
    });

    it("points the program's outputs and functions' environments at the local URL", async () => {
      expect(cloud.outputs.openFunctionUrl).to.equal(`${urlOf("open-url")}/`);
      expect(cloud.outputs.guardedFunctionUrl).to.equal(`${urlOf("guarded-url")}/`);
      const outcome = await cloud.invoke("caller", {});
      expect(JSON.parse(JSON.parse(outcome.payload!).body).peer).to.equal(`${urlOf("open-url")}/`);
    });

    it("hands every method and path to the function as a 2.0 event with $default for the route and stage, anonymous, with no API parts", async () => {
      const res = await fetch(`${urlOf("open-url")}/orders/7/items?x=1&x=2&y=`, {
        method: "PUT",
        headers: { cookie: "a=1; b=2", "content-type": "application/json", "user-agent": "tests" },
        body: JSON.stringify({ qty: 3 }),
      });
      expect(res.status).to.equal(200);
      const { event } = (await res.json()) as any;
      expect(event).to.deep.include({
        version: "2.0",
        routeKey: "$default",
        rawPath: "/orders/7/items",
        rawQueryString: "x=1&x=2&y=",
        cookies: ["a=1", "b=2"],
        queryStringParameters: { x: "1,2", y: "" },
        body: '{"qty":3}',
        isBase64Encoded: false,
      });
      for (const apiOnly of ["pathParameters", "stageVariables"]) expect(event).to.not.have.property(apiOnly);
      expect(event.headers).to.not.have.property("cookie");
      expect(event.headers).to.deep.include({ "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "http", "user-agent": "tests" });
      const urlId = buildModel(graph).functionUrls.find((u) => u.name === "open-url")!.urlId;
      expect(event.requestContext).to.deep.include({
        accountId: "anonymous",
        apiId: urlId,
        domainName: "127.0.0.1",
        domainPrefix: urlId,
        routeKey: "$default",
        stage: "$default",
      });
      expect(event.requestContext).to.not.have.property("authorizer");
      expect(event.requestContext.http).to.deep.equal({
        method: "PUT",
        path: "/orders/7/items",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "tests",
      });
      // Lambda's request id, in the event and on the response.
      expect(event.requestContext.requestId).to.match(/^[0-9a-f-]{36}$/);
      expect(res.headers.get("x-amzn-requestid")).to.equal(event.requestContext.requestId);
      // A body of any other content type reaches the function base64-encoded; an empty one not at all.
      const post = { method: "POST", headers: { "content-type": "image/png" }, body: Buffer.from([0, 1, 2]) };
      const binary = (await (await fetch(`${urlOf("open-url")}/`, post)).json()) as any;
      expect(binary.event).to.deep.include({ body: "AAEC", isBase64Encoded: true });
      const empty = (await (await fetch(`${urlOf("open-url")}/`)).json()) as any;
      expect(empty.event).to.deep.include({ rawPath: "/", rawQueryString: "" });
      expect(empty.event).to.not.have.property("body");
      expect(empty.event).to.not.have.property("cookies");
      expect(empty.event).to.not.have.property("queryStringParameters");
    });

    it("maps the function's result as the 2.0 format does, and answers 502 Internal Server Error to a failure or a result that is no response", async () => {
      const created = await fetch(`${urlOf("open-url")}/?status=404&cookie=c%3D1`);
      expect(created.status).to.equal(404);
      expect(created.headers.get("set-cookie")).to.equal("c=1");
      const plain = await fetch(`${urlOf("open-url")}/p?plain=1`);
      expect(plain.status).to.equal(200);
      expect(plain.headers.get("content-type")).to.equal("application/json");
      expect((await plain.json()) as any).to.deep.equal({ echoed: "/p" });
      for (const query of ["fail=1", "invalid=1"]) {
        const failed = await fetch(`${urlOf("open-url")}/?${query}`);
        expect(failed.status, query).to.equal(502);
        expect(await failed.text(), query).to.equal("Internal Server Error");
      }
    });

    it("accepts a request body up to Lambda's 6 MB payload limit, and answers 413 past it without invoking", async () => {
      const body = (bytes: number) => ({ method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(bytes) });
      expect((await fetch(`${urlOf("open-url")}/?plain=1`, body(6 * 1024 * 1024))).status).to.equal(200);
      const tooLarge = await fetch(`${urlOf("open-url")}/?plain=1`, body(6 * 1024 * 1024 + 1));
      expect(tooLarge.status).to.equal(413);
      expect(tooLarge.headers.get("x-amzn-errortype")).to.equal("RequestTooLargeException");
      expect((await tooLarge.json()) as any).to.deep.equal({ Message: "Request must be smaller than 6291456 bytes" });
    });

    it("answers a preflight itself with the configured CORS, and puts the configured headers, not the function's, on responses", async () => {
      const preflight = await fetch(`${urlOf("open-url")}/orders`, {
        method: "OPTIONS",
        headers: { origin: "https://app.example", "access-control-request-method": "POST" },
      });
      expect(preflight.status).to.equal(204);
      expect(await preflight.text()).to.equal("");
      expect(Object.fromEntries([...preflight.headers].filter(([name]) => name.startsWith("access-control-")))).to.deep.equal({
        "access-control-allow-origin": "https://app.example",
        "access-control-allow-methods": "GET,POST",
        "access-control-allow-headers": "content-type",
        "access-control-max-age": "300",
      });
      const refused = await fetch(`${urlOf("open-url")}/orders`, {
        method: "OPTIONS",
        headers: { origin: "https://elsewhere.example", "access-control-request-method": "POST" },
      });
      expect(refused.status).to.equal(204);
      expect([...refused.headers.keys()].filter((name) => name.startsWith("access-control-"))).to.deep.equal([]);
      const actual = await fetch(`${urlOf("open-url")}/`, { headers: { origin: "https://app.example" } });
      expect(actual.headers.get("access-control-allow-origin")).to.equal("https://app.example");
      const noOrigin = await fetch(`${urlOf("open-url")}/`);
      expect(noOrigin.headers.get("access-control-allow-origin")).to.equal(null);
      // Without CORS configured, an OPTIONS request is the function's.
      const toFunction = await fetch(`${urlOf("guarded-url")}/`, {
        method: "OPTIONS",
        headers: { ...signed("caller"), origin: "https://app.example", "access-control-request-method": "POST" },
      });
      expect(toFunction.status).to.equal(200);
      expect(((await toFunction.json()) as any).event.requestContext.http.method).to.equal("OPTIONS");
    });

    it("lets an AWS_IAM URL's signed caller in when its role allows both lambda:InvokeFunctionUrl and lambda:InvokeFunction, and 403 otherwise", async () => {
      const unsigned = await fetch(`${urlOf("guarded-url")}/`);
      expect(unsigned.status).to.equal(403);
      expect(unsigned.headers.get("x-amzn-errortype")).to.equal("AccessDeniedException");
      expect((await unsigned.json()) as any).to.deep.equal({ Message: FORBIDDEN_MESSAGE });
      expect(lines.at(-1)).to.include("function URL guarded-url: answers 403: the request is not signed");
      const allowed = await fetch(`${urlOf("guarded-url")}/`, { headers: signed("caller") });
      expect(allowed.status).to.equal(200);
      const { event } = (await allowed.json()) as any;
      expect(event.requestContext.accountId).to.match(/^\d{12}$/);
      expect(event.requestContext.authorizer.iam).to.deep.include({
        accessKey: accessKeyId("caller"),
        cognitoIdentity: null,
        principalOrgId: null,
      });
      expect(event.requestContext.authorizer.iam.userArn).to.match(/^arn:aws:sts::\d{12}:assumed-role\/caller-role-[0-9a-f]+\/caller$/);
      // A role that may call the URL but not invoke the function is refused since October 2025.
      const half = await fetch(`${urlOf("guarded-url")}/`, { headers: signed("half") });
      expect(half.status).to.equal(403);
      expect(
        lines.some((l) => l.startsWith("AccessDenied half (function URL guarded-url): lambda:InvokeFunction on arn:aws:lambda:")),
      ).to.equal(true);
      expect(lines.some((l) => l.startsWith("AccessDenied half (function URL guarded-url): lambda:InvokeFunctionUrl"))).to.equal(false);
      // A role with neither is refused at the first.
      expect((await fetch(`${urlOf("guarded-url")}/`, { headers: signed("open") })).status).to.equal(403);
      expect(lines.some((l) => l.startsWith("AccessDenied open (function URL guarded-url): lambda:InvokeFunctionUrl on "))).to.equal(true);
      // The function's own policy may grant both, for this auth type and for invocations through a URL.
      expect((await fetch(`${urlOf("guarded-url")}/`, { headers: signed("granted") })).status).to.equal(200);
      // A key that is no function's (the developer's own tools) goes through, as at the emulators, and is no one's.
      const own = await fetch(`${urlOf("guarded-url")}/`, {
        headers: { authorization: "AWS4-HMAC-SHA256 Credential=local/20261201/eu-west-1/lambda/aws4_request" },
      });
      expect(own.status).to.equal(200);
      expect(((await own.json()) as any).event.requestContext.authorizer.iam).to.deep.include({
        accessKey: "local",
        callerId: null,
        userArn: null,
        userId: null,
      });
    });

    it("answers 429 while the function's reserved concurrency is zero, saying once that a streamed URL is sent whole", async () => {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${urlOf("off-url")}/`);
        expect(res.status).to.equal(429);
        expect(res.headers.get("x-amzn-errortype")).to.equal("TooManyRequestsException");
      }
      expect(lines.filter((l) => l.includes("function URL off-url: its invoke mode is RESPONSE_STREAM"))).to.have.length(1);
      expect(lines.filter((l) => l.includes("its invoke mode is RESPONSE_STREAM"))).to.have.length(1);
    });

    it("answers 502 for a function another program defines, saying on each request that it does not run here", async () => {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${urlOf("foreign-url")}/`);
        expect(res.status).to.equal(502);
        expect(await res.text()).to.equal("Internal Server Error");
      }
      expect(
        lines.filter((l) =>
          /^function URL foreign-url: arn:aws:lambda:\S+:function:billing-prod-charge is not a function of this program/.test(l),
        ),
      ).to.have.length(2);
    });
  });

  describe("served with --iam off", () => {
    let cloud: LocalCloud;
    const lines: string[] = [];
    before(async () => {
      cloud = await startLocalCloud({
        programDir: PROGRAM,
        stack: "test",
        port: 0,
        iam: "off",
        write: (line) => lines.push(line),
        stateFile: false,
      });
    });
    after(async () => {
      await cloud?.stop();
    });

    it("serves an AWS_IAM URL unsigned, as if allowed, and says once that its auth type is not enforced", async () => {
      const url = cloud.functionUrls.find((u) => u.name === "guarded-url")!.url;
      expect(lines.join("\n")).to.match(/guarded-url .*AWS_IAM \(not enforced: --iam off\)/);
      for (let i = 0; i < 2; i++) expect((await fetch(`${url}/`)).status).to.equal(200);
      expect(
        lines.filter((l) => l.startsWith("function URL guarded-url: its AWS_IAM auth type is not enforced with --iam off")),
      ).to.have.length(1);
      // A public URL says nothing of the kind.
      expect((await fetch(`${cloud.functionUrls.find((u) => u.name === "open-url")!.url}/`)).status).to.equal(200);
      expect(lines.filter((l) => l.includes("not enforced with --iam off"))).to.have.length(1);
    });
  });
});
