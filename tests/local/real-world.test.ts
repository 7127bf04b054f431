/**
 * The local cloud runs a program as the Pulumi CLI runs it (tests/fixtures/real-world): in the
 * program's own folder, so relative paths resolve; a stack without a Pulumi.<stack>.yaml with an empty
 * config; the region from aws:region, else the environment, else us-east-1; and it says which.
 */
import * as path from "path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { captureStack } from "../../graph/capture";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { eventually, ROOT } from "./harness";

const PROGRAM = path.join(ROOT, "tests", "fixtures", "real-world");

describe("local cloud: a program run as the CLI runs it (fixture real-world)", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let lines: string[];
  const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };

  before(async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    lines = [];
    cloud = await startLocalCloud({ programDir: PROGRAM, stack: "dev", port: 0, stateFile: false, write: (l) => lines.push(l) });
  });
  after(async () => {
    await cloud?.stop();
    for (const [key, value] of Object.entries(saved))
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
  });

  it("runs the program in its own folder: a relative read at capture time, a FileArchive and a FileAsset", async () => {
    expect(process.cwd()).to.not.equal(PROGRAM);
    const outcome = await cloud.invoke(cloud.outputs.functionName, { rawPath: "/direct" });
    expect(JSON.parse(JSON.parse(outcome.payload!).body).greeting).to.equal("hello from a relative path");
    const s3 = new S3Client({
      endpoint: cloud.environment.AWS_ENDPOINT_URL_S3,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const object = await s3.send(new GetObjectCommand({ Bucket: cloud.outputs.bucketName, Key: "index.html" }));
    expect(await object.Body!.transformToString()).to.equal("<h1>static</h1>\n");
    s3.destroy();
  });

  it("says the stack has no config file and runs it with an empty config", () => {
    expect(lines).to.include("Config: no Pulumi.dev.yaml, so the stack runs with an empty config (as `pulumi up` would run it)");
  });

  it("takes the region from AWS_REGION, then AWS_DEFAULT_REGION, when the stack sets no aws:region", async () => {
    try {
      process.env.AWS_DEFAULT_REGION = "eu-north-1";
      expect((await captureStack(PROGRAM, "dev")).placement).to.deep.include({ region: "eu-north-1", regionSource: "AWS_DEFAULT_REGION" });
      process.env.AWS_REGION = "ap-south-1";
      expect((await captureStack(PROGRAM, "dev")).placement).to.deep.include({ region: "ap-south-1", regionSource: "AWS_REGION" });
      expect((await captureStack(PROGRAM, "dev", { "aws:region": "sa-east-1" })).placement).to.deep.include({
        region: "sa-east-1",
        regionSource: "aws:region",
      });
    } finally {
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
    }
  });

  const api = (name: string) => cloud.apis.find((a) => a.name.startsWith(name))!;
  const bodyOf = async (res: Response) => JSON.parse(await res.text());

  it("serves a quick-create API: its $default route on its $default stage, invoking the target function", async () => {
    const res = await fetch(`${api("quick").url}/any/path`);
    expect(res.status).to.equal(200);
    expect(await bodyOf(res)).to.deep.include({ path: "/any/path", stage: "$default", stageVariables: null });
    expect(lines).to.include("  quick create: AWS made its route, integration and $default stage");
  });

  it("takes a quick-create target given as the function's invoke ARN, and serves only the route key given", async () => {
    const url = api("by-invoke-arn").url;
    const res = await fetch(`${url}/`);
    expect(res.status).to.equal(200);
    expect(await bodyOf(res)).to.deep.include({ path: "/", stage: "$default" });
    expect((await fetch(`${url}/other`)).status).to.equal(404);
    expect(lines.some((l) => l.includes("not in this program"))).to.equal(false);
  });

  it("serves a named stage under /{stage}, with its variables, and nothing at the root or on an undeployed stage", async () => {
    const staged = api("staged").url;
    const res = await fetch(`${staged}/dev/hello`);
    expect(res.status).to.equal(200);
    // A named stage's rawPath keeps the stage, as API Gateway's does.
    const body = await bodyOf(res);
    expect(body).to.deep.include({
      greeting: "hello from a relative path",
      path: "/dev/hello",
      stage: "dev",
      stageVariables: { color: "blue" },
    });
    expect(body.event.version).to.equal("2.0");
    for (const path of ["/hello", "/v0/hello", "/dev/nope"]) {
      const missing = await fetch(`${staged}${path}`);
      expect([path, missing.status, await missing.json()]).to.deep.equal([path, 404, { message: "Not Found" }]);
    }
    expect(lines).to.include(`  stage dev ${staged}/dev stage variables color`);
    expect(lines).to.include(`  stage v0 ${staged}/v0 (not deployed: no autoDeploy and no deployment, so it serves nothing)`);
  });

  it("hands an integration without payloadFormatVersion the 1.0 event, the provider's default, and maps its result as 1.0 does", async () => {
    const staged = api("staged").url;
    const res = await fetch(`${staged}/dev/v1/apples?size=big&tag=a&tag=b`, {
      method: "POST",
      headers: { cookie: "c=1", "x-team": "red", "content-type": "application/json" },
      body: '{"n":1}',
    });
    expect(res.status).to.equal(200);
    const { event } = await bodyOf(res);
    expect(event).to.deep.include({
      version: "1.0",
      resource: "/v1/{item}",
      path: "/dev/v1/apples",
      httpMethod: "POST",
      queryStringParameters: { size: "big", tag: "b" },
      multiValueQueryStringParameters: { size: ["big"], tag: ["a", "b"] },
      pathParameters: { item: "apples" },
      stageVariables: { color: "blue" },
      body: '{"n":1}',
      isBase64Encoded: false,
    });
    // The Cookie header stays a header in 1.0; 2.0's fields are absent.
    expect(event.headers).to.deep.include({ cookie: "c=1", "x-team": "red" });
    expect(event.multiValueHeaders["x-team"]).to.deep.equal(["red"]);
    for (const v2 of ["routeKey", "rawPath", "rawQueryString", "cookies"]) expect(event).to.not.have.property(v2);
    expect(event.requestContext).to.deep.include({
      httpMethod: "POST",
      path: "/dev/v1/apples",
      resourcePath: "/v1/{item}",
      stage: "dev",
      authorizer: { claims: null, scopes: null },
      resourceId: null,
    });
    expect(event.requestContext.identity).to.deep.include({ sourceIp: "127.0.0.1", accessKey: null, userArn: null });
    expect(event.requestContext.extendedRequestId).to.equal(event.requestContext.requestId);
    // The start-up table says which routes get 1.0.
    expect(lines.find((l) => l.trim().startsWith("ANY /v1/{item}"))).to.match(/λ app-[0-9a-f]{7} \(payload format 1\.0\)$/);
    expect(lines.find((l) => l.trim().startsWith("GET /hello"))).to.not.include("payload format");
    // Without a body, or a query string: nulls, as REST gives them.
    const bare = (await bodyOf(await fetch(`${staged}/dev/v1/pears`))).event;
    expect(bare).to.deep.include({
      body: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      isBase64Encoded: false,
    });
    // 1.0 infers no response from a plain value, and takes multi-value headers.
    const plain = await fetch(`${staged}/dev/v1/apples?plain=1`);
    expect([plain.status, await plain.json()]).to.deep.equal([500, { message: "Internal Server Error" }]);
    const multi = await fetch(`${staged}/dev/v1/apples?multi=1`);
    expect(multi.headers.getSetCookie()).to.deep.equal(["a=1", "b=2"]);
    expect(multi.headers.get("x-one")).to.equal("1");
  });

  it("says once, in the function's logs, that a package found only in the program's node_modules would fail in Lambda", async () => {
    const staged = api("staged").url;
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${staged}/dev/v1/x?outside=1`);
      expect(await bodyOf(res)).to.deep.equal({ parsed: { a: 1 }, sdk: "object" });
    }
    const said = lines.filter((l) => l.includes("outside the function's artifact and layers"));
    expect(said).to.have.length(1);
    expect(said[0]).to.match(
      /local cloud: require\("yaml"\) found .*node_modules\/yaml\/.*; Lambda has only those and the runtime's AWS SDK, so there it fails with Runtime\.ImportModuleError: package "yaml" into the artifact or a layer/,
    );
    // The runtime's SDK, and the function's own files, are Lambda's too.
    expect(lines.some((l) => l.includes('require("@aws-sdk/client-sqs") found'))).to.equal(false);
  });

  it("answers a CORS preflight itself, for an allowed origin only, and adds the configured headers to responses", async () => {
    const staged = api("staged").url;
    const preflight = (origin: string) =>
      fetch(`${staged}/dev/anything`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
    const allowed = await preflight("https://app.example.com");
    expect(allowed.status).to.equal(204);
    expect(Object.fromEntries([...allowed.headers].filter(([k]) => k.startsWith("access-control-")))).to.deep.equal({
      "access-control-allow-origin": "https://app.example.com",
      "access-control-allow-methods": "GET,POST",
      "access-control-allow-headers": "content-type,authorization",
      "access-control-max-age": "300",
    });
    const wildcard = await preflight("https://pr-7.preview.example.com");
    expect(wildcard.headers.get("access-control-allow-origin")).to.equal("https://pr-7.preview.example.com");
    const refused = await preflight("https://evil.example.org");
    expect(refused.status).to.equal(204);
    expect([...refused.headers].filter(([k]) => k.startsWith("access-control-"))).to.deep.equal([]);

    const actual = await fetch(`${staged}/dev/hello`, { headers: { origin: "https://app.example.com" } });
    expect(actual.headers.get("access-control-allow-origin")).to.equal("https://app.example.com");
    expect(actual.headers.get("access-control-expose-headers")).to.equal("x-request-id");
    const foreign = await fetch(`${staged}/dev/hello`, { headers: { origin: "https://evil.example.org" } });
    expect(foreign.headers.get("access-control-allow-origin")).to.equal(null);
  });

  it("lists REST APIs and Step Functions as not emulated, by name, and still runs the function behind them", async () => {
    const i = lines.findIndex((l) => l.startsWith("Not emulated: REST APIs and Step Functions"));
    expect(i).to.be.greaterThan(-1);
    expect(lines.slice(i + 1, i + 3).map((l) => l.trim().split(/\s+/))).to.have.deep.members([
      ["aws:apigateway/restApi:RestApi", "1"],
      ["aws:sfn/stateMachine:StateMachine", "1"],
    ]);
    expect((await cloud.invoke(cloud.outputs.functionName, {})).error).to.equal(undefined);
  });

  it("shows each function container to a debugger as a worker of the process (what --inspect attaches to)", async () => {
    const inspector = await import("inspector");
    const session = new inspector.Session();
    session.connect();
    const attached: string[] = [];
    session.on("NodeWorker.attachedToWorker", (message: any) => attached.push(message.params.workerInfo.url));
    await new Promise<void>((resolve, reject) =>
      session.post("NodeWorker.enable", { waitForDebuggerOnStart: false }, (err) => (err ? reject(err) : resolve())),
    );
    await cloud.invoke(cloud.outputs.functionName, {});
    const containers = await eventually(
      async () => (attached.some((url) => url.includes("bootstrap-")) ? attached : undefined),
      "a container to attach",
    );
    session.disconnect();
    expect(containers.some((url) => url.includes("bootstrap-"))).to.equal(true);
  });

  it("lists the functions it does not run, says why, and fails their invocations saying so, starting nothing", async () => {
    const named = (prefix: string) => cloud.model.functions.find((f) => f.name.startsWith(`${prefix}-`))!;
    const dotnet = named("dotnet");
    const image = named("image");
    const row = (name: string) =>
      lines
        .find((l) => l.trim().startsWith(`${name} `))
        ?.trim()
        .split(/\s{2,}/);
    expect(row(dotnet.name)).to.deep.equal([
      dotnet.name,
      "dotnet8 128 MB 3 s",
      "not run locally: its runtime is dotnet8, and the local cloud runs Node.js runtimes (nodejs<N>.x) only; its invocations fail",
    ]);
    expect(row(image.name)).to.deep.equal([
      image.name,
      "image 128 MB 60 s",
      "not run locally: it is a container image function, and the local cloud runs zip functions only; its invocations fail",
    ]);
    // Its artifact (a .NET publish folder never built) is not unpacked, so the start did not fail on it.
    const outcome = await cloud.invoke(dotnet.name, {});
    expect(outcome.error).to.deep.equal({
      errorType: "Runtime.NotRunLocally",
      errorMessage: `${dotnet.name} is not run locally: its runtime is dotnet8, and the local cloud runs Node.js runtimes (nodejs<N>.x) only`,
      trace: [],
    });
    expect((await cloud.invoke(image.name, {})).error?.errorType).to.equal("Runtime.NotRunLocally");
    const later = named("built-later");
    expect(row(later.name)).to.deep.equal([
      later.name,
      "nodejs22.x 128 MB 3 s",
      "not run locally: its code dist/built-later does not exist on this machine; build it, then restart; its invocations fail",
    ]);
    expect((await cloud.invoke(later.name, {})).error?.errorMessage).to.equal(
      `${later.name} is not run locally: its code dist/built-later does not exist on this machine; build it, then restart`,
    );
    // Its role's grants are no function's that runs here: none is reported unused.
    expect(cloud.iam!.unusedGrants().some((g) => g.role.startsWith("dotnet-role-"))).to.equal(false);
  });

  it("says where the region came from", () => {
    expect(cloud.model.region).to.equal("us-east-1");
    expect(lines).to.include("Region: us-east-1 (the default: neither the stack's aws:region nor AWS_REGION is set)");
  });
});
