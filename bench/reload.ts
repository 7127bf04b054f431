/**
 * Hot reload's edit-to-served latency: from a handler file's write until the first response that carries
 * the new code, on a local cloud running with --watch. The program is a scratch copy under .build/ with
 * one platform LambdaFunction whose handler is the reference app's health check (the same imports, the
 * same bundle size), behind an HTTP API route. Budget: under 500 ms (median of the edits).
 */
import * as fs from "fs";
import * as path from "path";
import { startLocalCloud } from "../local/cloud";

const ROOT = path.resolve(__dirname, "..");

/** The most a handler edit may take to be served, at the median. */
export const RELOAD_BUDGET_MS = 500;

const program = () => `
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LambdaFunction } from "${path.join(ROOT, "components", "lambda-function")}";
const health = new LambdaFunction("health", { entry: path.join(__dirname, "health.ts"), memoryMb: 128, timeoutSeconds: 3 });
const api = new aws.apigatewayv2.Api("api", { protocolType: "HTTP" });
const integration = new aws.apigatewayv2.Integration("to-health", { apiId: api.id, integrationType: "AWS_PROXY", integrationUri: health.function.invokeArn, payloadFormatVersion: "2.0" });
new aws.apigatewayv2.Route("health", { apiId: api.id, routeKey: "GET /health", target: pulumi.interpolate\`integrations/\${integration.id}\` });
new aws.apigatewayv2.Stage("stage", { apiId: api.id, name: "$default", autoDeploy: true });
new aws.lambda.Permission("from-api", { action: "lambda:InvokeFunction", function: health.function.name, principal: "apigateway.amazonaws.com", sourceArn: pulumi.interpolate\`\${api.executionArn}/*/*\` });
`;

/** The reference health handler, with its imports made absolute and a marker in its answer. */
const handler = (marker: string) =>
  fs
    .readFileSync(path.join(ROOT, "functions", "health.ts"), "utf8")
    .replace(/from "\.\/lib\//g, `from "${path.join(ROOT, "functions", "lib")}/`)
    .replace('{ status: "ok" }', `{ status: "ok", marker: "${marker}" }`);

/** Edits the handler `edits` times; returns each edit's write-to-served time in ms. */
export async function measureReload(edits: number): Promise<number[]> {
  const dir = path.join(ROOT, ".build", "scratch", `bench-reload-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: bench-reload\nruntime: nodejs\n");
  fs.writeFileSync(path.join(dir, "index.ts"), program());
  fs.writeFileSync(path.join(dir, "health.ts"), handler("start"));
  const cloud = await startLocalCloud({ programDir: dir, stack: "dev", port: 0, stateFile: false, watch: true, write: () => undefined });
  const times: number[] = [];
  try {
    await fetch(`${cloud.url}/health`);
    for (let i = 0; i < edits; i++) {
      const marker = `edit-${i}`;
      const started = performance.now();
      fs.writeFileSync(path.join(dir, "health.ts"), handler(marker));
      for (;;) {
        const body = await (await fetch(`${cloud.url}/health`)).text();
        if (body.includes(marker)) break;
        if (performance.now() - started > 10_000) throw new Error(`edit ${i} was not served within 10 s`);
      }
      times.push(performance.now() - started);
    }
  } finally {
    await cloud.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

if (require.main === module) {
  measureReload(Number(process.argv[2] ?? 5)).then(
    (times) => {
      const sorted = [...times].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)];
      process.stdout.write(
        `edit-to-served: ${times.map((t) => t.toFixed(0)).join(", ")} ms; median ${median.toFixed(0)} ms (budget ${RELOAD_BUDGET_MS} ms)\n`,
      );
      process.exit(median < RELOAD_BUDGET_MS ? 0 : 1);
    },
    (err) => {
      process.stderr.write(`error: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
