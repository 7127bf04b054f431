import { expect } from "chai";
import { budgetMisses, FunctionFigures, median, sdkPackages } from "../bench/measure";

const fn = (overrides: Partial<FunctionFigures>): FunctionFigures => ({ name: "f", bytes: 1000, files: 2, sdk: [], initMs: 10, emptyInitMs: 1, floorInitMs: 10, ...overrides });

describe("npm run bench: figures and budgets", () => {
  it("finds the SDK clients a bundle contains from esbuild's inputs", () => {
    expect(
      sdkPackages([
        "functions/createOrder.ts",
        "node_modules/@aws-sdk/client-sqs/dist-es/index.js",
        "node_modules/@aws-sdk/client-dynamodb/dist-es/x.js",
        "node_modules/@aws-sdk/lib-dynamodb/dist-es/y.js",
        "node_modules/@aws-sdk/core/dist-es/z.js",
        "node_modules/@smithy/smithy-client/dist-es/w.js",
      ]),
    ).to.deep.equal(["@aws-sdk/client-dynamodb", "@aws-sdk/client-sqs", "@aws-sdk/lib-dynamodb"]);
  });

  it("takes the median", () => {
    expect(median([5, 1, 3])).to.equal(3);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
  });

  it("passes figures within every budget", () => {
    expect(budgetMisses({ functions: [fn({ name: "health", bytes: 10_000, initMs: 1.1, floorInitMs: 1 })], previewMs: 5000, unitTestsMs: 30_000 })).to.deep.equal([]);
  });

  it("names each missed budget with its figure", () => {
    const misses = budgetMisses({
      functions: [fn({ name: "health", bytes: 25_111, sdk: ["@aws-sdk/client-sqs"], initMs: 5, floorInitMs: 1 }), fn({ name: "big", bytes: 500 * 1024 })],
      previewMs: 12_000,
      unitTestsMs: 61_000,
    });
    expect(misses).to.deep.equal([
      "health: init 5.0 ms is over 1.2 x its floor of 1.0 ms (@aws-sdk/client-sqs)",
      "health: bundle 24.5 KB is not under 20 KB",
      "health: loads the AWS SDK (@aws-sdk/client-sqs)",
      "big: bundle 500 KB is over 400 KB",
      "prod preview: 12.0 s is not under 10 s",
      "unit tests: 61.0 s is not under 60 s",
    ]);
  });
});
