/**
 * Lambda layers, locally: a layer version of the program is unpacked once, and the containers of the
 * functions that list it find its modules as Lambda's NODE_PATH finds them under /opt ("Packaging your
 * layer content", "Defined runtime environment variables", Lambda Developer Guide).
 */
import * as path from "path";
import { expect } from "chai";
import { captureStack, Graph } from "../../graph/capture";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { nodePath } from "../../local/lambda/service";
import { buildModel, GraphRefusedError } from "../../local/model";

const PROGRAM = path.join(__dirname, "..", "fixtures", "layers");
const FOREIGN = "arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:20";

describe("local cloud: Lambda layers", () => {
  let graph: Graph;
  before(async () => {
    graph = await captureStack(PROGRAM, "test");
  });

  it("reads each layer version by its version ARN, and each function's layers in its order", () => {
    const model = buildModel(graph);
    const byName = Object.fromEntries(model.layers.map((l) => [l.name, l]));
    expect(Object.keys(byName)).to.have.members(["shared", "override"]);
    expect(byName.shared.arn).to.match(/^arn:aws:lambda:eu-west-1:\d{12}:layer:shared:1$/);
    expect(byName.shared.code).to.not.equal(undefined);
    const layersOf = (name: string) => model.functions.find((f) => f.name === name)!.layers;
    expect(layersOf("both")).to.deep.equal([byName.shared.arn, byName.override.arn]);
    expect(layersOf("none")).to.deep.equal([]);
    expect(layersOf("foreign")).to.deep.equal([byName.shared.arn, FOREIGN]);
    expect(model.skipped.map((s) => s.type)).to.not.include("aws:lambda/layerVersion:LayerVersion");
  });

  it("refuses a function with more than five layers, as CreateFunction does, and takes five", () => {
    const fn = graph.resources.find((r) => r.name === "none")!;
    const withLayers = (count: number) => ({
      ...graph,
      resources: graph.resources.map((r) =>
        r === fn ? { ...r, state: { ...r.state, layers: Array.from({ length: count }, (_, i) => `${FOREIGN.slice(0, -2)}${i + 1}`) } } : r,
      ),
    });
    expect(buildModel(withLayers(5)).functions.find((f) => f.name === "none")!.layers).to.have.length(5);
    expect(() => buildModel(withLayers(6))).to.throw(
      GraphRefusedError,
      `${fn.urn}: 6 layers, but a function takes at most 5; Lambda refuses it`,
    );
  });

  it("puts a later layer before an earlier one, and the runtime's own folder before the shared ones, as /opt would merge them", () => {
    const roots = { a: "/l/a", b: "/l/b" };
    expect(nodePath({ runtime: "nodejs22.x", layers: ["a", "b"] }, roots).split(path.delimiter)).to.deep.equal([
      "/l/b/nodejs/node22/node_modules",
      "/l/a/nodejs/node22/node_modules",
      "/l/b/nodejs/node_modules",
      "/l/a/nodejs/node_modules",
    ]);
    expect(nodePath({ runtime: "nodejs20.x", layers: ["a"] }, roots)).to.equal(
      ["/l/a/nodejs/node20/node_modules", "/l/a/nodejs/node_modules"].join(path.delimiter),
    );
    // A runtime without a Node.js version has the shared folders only; a layer not unpacked adds nothing.
    expect(nodePath({ runtime: "provided.al2023", layers: ["a", "elsewhere"] }, roots)).to.equal("/l/a/nodejs/node_modules");
    for (const runtime of ["java-nodejs22.x", "nodejs22.x-preview"])
      expect(nodePath({ runtime, layers: ["a"] }, roots), runtime).to.equal("/l/a/nodejs/node_modules");
    expect(nodePath({ runtime: "nodejs22.x", layers: [] }, roots)).to.equal("");
    expect(nodePath({ runtime: "nodejs22.x" }, roots)).to.equal("");
  });

  describe("served", () => {
    let cloud: LocalCloud;
    const lines: string[] = [];
    before(async () => {
      cloud = await startLocalCloud({ programDir: PROGRAM, stack: "test", port: 0, write: (line) => lines.push(line), stateFile: false });
    });
    after(async () => {
      await cloud?.stop();
    });
    const run = async (name: string) => JSON.parse((await cloud.invoke(name, {})).payload!);

    it("runs a function with its layers' modules, a later layer's over an earlier one's, the runtime's folder first", async () => {
      expect(await run("both")).to.deep.equal({ greeting: "hello from the override layer", origin: "nodejs/node22/node_modules" });
      expect(await run("first")).to.deep.equal({ greeting: "hello from the shared layer", origin: "nodejs/node22/node_modules" });
    });

    it("gives a function without layers none of them", async () => {
      expect(await run("none")).to.deep.equal({ greeting: "missing: MODULE_NOT_FOUND", origin: "missing: MODULE_NOT_FOUND" });
    });

    it("names a layer that is not the program's, once, and runs the function with the layers it has", async () => {
      expect(await run("foreign")).to.deep.equal({ greeting: "hello from the shared layer", origin: "nodejs/node22/node_modules" });
      const said = lines.filter((l) => l.includes("is not in this program (or keeps its code in S3)"));
      expect(said).to.have.length(1);
      expect(said[0]).to.equal(
        `function foreign: its layer ${FOREIGN} is not in this program (or keeps its code in S3), so its code is not here and the function runs without it; define the layer in the program to run it here`,
      );
    });
  });
});
