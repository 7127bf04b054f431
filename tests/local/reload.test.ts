/**
 * Hot reload: edits reach the running local cloud without a restart, and what it holds survives. The
 * program is a scratch copy written here (under .build/, so its imports resolve to this repository):
 * a platform LambdaFunction bundled from a handler file, and a raw function packed from a folder.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { eventually, ROOT, statusAndBody } from "./harness";

const DIR = path.join(ROOT, ".build", "scratch", `reload-${process.pid}`);

const PROGRAM = (extraRoute: boolean, extraQueue: boolean) => `
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LambdaFunction } from "${path.join(ROOT, "components", "lambda-function")}";

const bundled = new LambdaFunction("bundled", { entry: path.join(__dirname, "handler.ts"), memoryMb: 128, timeoutSeconds: 3 });
const role = new aws.iam.Role("raw-role", { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] }) });
const raw = new aws.lambda.Function("raw", { role: role.arn, runtime: "nodejs22.x", handler: "index.handler", code: new pulumi.asset.FileArchive("./app") });
// Code a build step of the deploy would make: not here, so the function is not run, and program edits still apply.
new aws.lambda.Function("built-later", { role: role.arn, runtime: "nodejs22.x", handler: "index.handler", code: new pulumi.asset.FileArchive("./dist") });
const api = new aws.apigatewayv2.Api("api", { protocolType: "HTTP" });
const integration = (name: string, fn: aws.lambda.Function) =>
  new aws.apigatewayv2.Integration(name, { apiId: api.id, integrationType: "AWS_PROXY", integrationUri: fn.invokeArn, payloadFormatVersion: "2.0" });
const toBundled = integration("to-bundled", bundled.function);
const toRaw = integration("to-raw", raw);
new aws.apigatewayv2.Route("hello", { apiId: api.id, routeKey: "GET /hello", target: pulumi.interpolate\`integrations/\${toBundled.id}\` });
new aws.apigatewayv2.Route("raw", { apiId: api.id, routeKey: "GET /raw", target: pulumi.interpolate\`integrations/\${toRaw.id}\` });
${extraRoute ? 'new aws.apigatewayv2.Route("bye", { apiId: api.id, routeKey: "GET /bye", target: pulumi.interpolate`integrations/${toRaw.id}` });' : ""}
${extraQueue ? 'new aws.sqs.Queue("later", {});' : ""}
new aws.lambda.FunctionUrl("raw-url", { functionName: raw.name, authorizationType: "NONE", cors: { allowOrigins: ["https://${extraRoute ? "two" : "one"}.example"] } });
new aws.apigatewayv2.Stage("stage", { apiId: api.id, name: "$default", autoDeploy: true });
for (const [name, fn] of [["bundled", bundled.function], ["raw", raw]] as const)
  new aws.lambda.Permission(\`\${name}-from-api\`, { action: "lambda:InvokeFunction", function: fn.name, principal: "apigateway.amazonaws.com", sourceArn: pulumi.interpolate\`\${api.executionArn}/*/*\` });
`;
const HANDLER = (word: string) => `export const handler = async () => ({ statusCode: 200, body: "${word}" });\n`;
const RAW = (word: string) => `exports.handler = async (event) => ({ statusCode: 200, body: "${word} " + event.rawPath });\n`;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(DIR, file)), { recursive: true });
  fs.writeFileSync(path.join(DIR, file), text);
}

describe("local cloud: hot reload (--watch)", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let lines: string[];
  const get = (route: string) => statusAndBody(`${cloud.url}${route}`);
  const until = (route: string, expected: string) =>
    eventually(async () => ((await get(route)) === expected ? expected : undefined), `${route} to answer ${expected}`, 200, 50);

  before(async () => {
    fs.rmSync(DIR, { recursive: true, force: true });
    write("Pulumi.yaml", "name: reload-scratch\nruntime: nodejs\n");
    write("index.ts", PROGRAM(false, false));
    write("handler.ts", HANDLER("one"));
    write("app/index.js", RAW("raw-one"));
    lines = [];
    cloud = await startLocalCloud({ programDir: DIR, stack: "dev", port: 0, stateFile: false, watch: true, write: (l) => lines.push(l) });
  });
  after(async () => {
    await cloud?.stop();
    fs.rmSync(DIR, { recursive: true, force: true });
  });

  it("serves a handler edit without a restart: only its bundle is rebuilt", async () => {
    expect(await get("/hello")).to.equal("200 one");
    write("handler.ts", HANDLER("two"));
    await until("/hello", "200 two");
    expect(
      lines.some((l) =>
        /^reload \(handler\.ts\): new code for bundled-[0-9a-f]{7}|^reload \(handler\.ts\): new code for .*bundled/.test(l),
      ),
    ).to.equal(true);
    expect(await get("/raw")).to.equal("200 raw-one /raw");
  });

  it("serves an edit inside a FileArchive folder", async () => {
    write("app/index.js", RAW("raw-two"));
    await until("/raw", "200 raw-two /raw");
  });

  it("applies a new route live by capturing the program again, and names what needs a restart", async () => {
    expect(await get("/bye")).to.equal('404 {"message":"Not Found"}');
    const allowedOrigin = async () =>
      (await fetch(`${cloud.functionUrls[0].url}/`, { headers: { origin: "https://two.example" } })).headers.get(
        "access-control-allow-origin",
      );
    expect(await allowedOrigin()).to.equal(null);
    write("index.ts", PROGRAM(true, true));
    await until("/bye", "200 raw-two /bye");
    const line = await eventually(async () => lines.find((l) => l.startsWith("reload (index.ts)")), "the reload line");
    expect(line).to.include("applied API api");
    // A function URL's CORS too, on the port it had.
    expect(line).to.include("function URL raw-url's function, auth type and CORS");
    expect(await allowedOrigin()).to.equal("https://two.example");
    expect(line).to.match(/; restart to apply: changed queues$/);
  });

  it("keeps serving the previous code when an edit breaks the build, and says why", async () => {
    write("handler.ts", 'export const handler = async () => ({ statusCode: 200, body: "three" ');
    await eventually(
      async () =>
        lines.some((l) => l.startsWith("reload (handler.ts):") && l.includes("still serving the previous code")) ? true : undefined,
      "the failure line",
    );
    expect(await get("/hello")).to.equal("200 two");
    write("handler.ts", HANDLER("three"));
    await until("/hello", "200 three");
  });

  it("keeps serving the previous graph when a program edit throws in an apply, and says why", async () => {
    const broken = `${PROGRAM(true, true)}\nnew aws.sqs.Queue("broken", { name: api.id.apply((): string => { throw new Error("the edit throws in an apply"); }) });\n`;
    write("index.ts", broken);
    const line = await eventually(
      async () => lines.find((l) => l.startsWith("reload (index.ts):") && l.includes("the edit throws in an apply")),
      "the failure line",
    );
    expect(line).to.equal(
      'reload (index.ts): error serializing property "name": the edit throws in an apply; still serving the previous code',
    );
    expect(await get("/bye")).to.equal("200 raw-two /bye");
    // A program that throws as its module runs: the SDK's own promises reject with the error a turn later,
    // which must not end the local cloud as Node ends a process on an unhandled rejection.
    write("index.ts", `${PROGRAM(true, true)}\nthrow new Error("the edit throws as it runs");\n`);
    await eventually(
      async () => lines.find((l) => l === "reload (index.ts): the edit throws as it runs; still serving the previous code"),
      "the second failure line",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await get("/bye")).to.equal("200 raw-two /bye");
    write("index.ts", PROGRAM(true, true));
  });

  it("applies a batch of changed files as the watcher would, through the reloader", async () => {
    write("handler.ts", HANDLER("four"));
    const report = await cloud.reloader!.onChange([path.join(DIR, "handler.ts")]);
    // The watcher may have applied it first; either way the route now serves it.
    expect(report === undefined || report.reloaded.length === 1).to.equal(true);
    await until("/hello", "200 four");
  });
});
