/**
 * A program that is an ES module (tests/fixtures/esm-program: "type": "module", top-level await, a `.js`
 * import of a TypeScript file), run as the CLI's host runs one, served, and reloaded when its modules change.
 * A scratch copy under .build/ is edited here.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { captureStack, esmEntry } from "../../graph/capture";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { unpackArtifact } from "../../local/lambda/artifact";
import { eventually, ROOT, statusAndBody } from "./harness";

const FIXTURE = path.join(ROOT, "tests", "fixtures", "esm-program");
const DIR = path.join(ROOT, ".build", "scratch", `esm-program-${process.pid}`);

describe("local cloud: a program that is an ES module (fixture esm-program)", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let lines: string[];
  const get = (route: string) => statusAndBody(`${cloud.url}${route}`);

  before(async () => {
    fs.rmSync(DIR, { recursive: true, force: true });
    fs.cpSync(FIXTURE, DIR, { recursive: true, filter: (source) => !source.includes(`${path.sep}.build`) });
    lines = [];
    cloud = await startLocalCloud({ programDir: DIR, stack: "dev", port: 0, stateFile: false, watch: true, write: (l) => lines.push(l) });
  });
  after(async () => {
    await cloud?.stop();
    fs.rmSync(DIR, { recursive: true, force: true });
  });

  it("tells an ES module program from a CommonJS one, as the host does", () => {
    expect(esmEntry(FIXTURE)).to.equal(path.join(FIXTURE, "index.ts"));
    expect(esmEntry(path.join(ROOT, "tests", "fixtures", "real-world"))).to.equal(undefined);
    expect(esmEntry(ROOT)).to.equal(undefined);
  });

  it("captures it, top-level await included, with its exports as the stack's outputs", async () => {
    const graph = await captureStack(FIXTURE, "dev");
    expect(graph.resources.find((r) => r.type === "aws:lambda/function:Function")?.state.environment.variables).to.deep.equal({
      REGION_AT_DEPLOY: graph.placement.region,
    });
    expect(Object.keys(graph.outputs)).to.deep.equal(["functionName"]);
    // import.meta.url names the module's own file, not the compiled one under .build/capture.
    const code = graph.resources.find((r) => r.type === "aws:lambda/function:Function")!.state.code;
    expect(await code.path).to.equal(path.join(FIXTURE, "app"));
  });

  it("runs its CommonJS handler as Lambda would, though the program's package.json says module", async () => {
    expect(await get("/hello")).to.equal(`200 esm program, /hello, ${cloud.model.region}`);
  });

  it("captures it again when one of its modules changes, and serves the new graph", async () => {
    fs.writeFileSync(path.join(DIR, "routes.ts"), 'export const routeKey = "GET /bye";\n');
    await eventually(async () => ((await get("/bye")).startsWith("200 ") ? true : undefined), "the new route", 200, 50);
    expect(await get("/hello")).to.equal('404 {"message":"Not Found"}');
    expect(lines.some((l) => l.startsWith("reload (routes.ts): applied API"))).to.equal(true);
  });

  it("refuses a module with both a default and named exports, as the host does", async () => {
    fs.writeFileSync(path.join(DIR, "index.ts"), "export const a = 1;\nexport default { b: 2 };\n");
    const failure = await captureStack(DIR, "dev").catch((err: Error) => err);
    expect((failure as Error).message).to.equal("expected entrypoint module to have either a default export or named exports but not both");
  });
});

describe("local cloud: the module type of an unpacked artifact", () => {
  const dir = path.join(ROOT, ".build", "scratch", `artifact-${process.pid}`);
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("marks an artifact without a package.json as CommonJS, as Lambda loads it, and keeps an artifact's own", async () => {
    await unpackArtifact(new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler = 1;") }), dir, ROOT);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).type).to.equal("commonjs");
    const own = JSON.stringify({ type: "module" });
    await unpackArtifact(
      new pulumi.asset.AssetArchive({
        "index.js": new pulumi.asset.StringAsset("export const handler = 1;"),
        "package.json": new pulumi.asset.StringAsset(own),
      }),
      dir,
      ROOT,
    );
    expect(fs.readFileSync(path.join(dir, "package.json"), "utf8")).to.equal(own);
  });
});
