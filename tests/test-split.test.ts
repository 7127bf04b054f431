/**
 * `npm test` runs its checks and its two halves of the mocha suite side by side (run-p): the local cloud
 * on the repository's own stacks (`.mocharc.cloud.json`: the files that share `.build/local/<stack>` of
 * this repository, so they stay one after another), and everything else (`.mocharc.rest.json`). The split
 * must lose no spec file and run none twice: checked here with mocha's own file collection.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { ROOT } from "./local/harness";

// Mocha's own: how it turns a config's spec and ignore globs into files.
const collectFiles = require("mocha/lib/cli/collect-files") as (options: {
  spec: string[];
  ignore: string[];
  extension: string[];
  file: string[];
  recursive: boolean;
  sort: boolean;
}) => { files: string[] };

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

/** The spec files a mocha config runs, relative to the repository. */
function filesOf(config: { spec: string[]; ignore?: string[]; extension?: string[] }): string[] {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const { files } = collectFiles({
      spec: config.spec,
      ignore: config.ignore ?? [],
      extension: config.extension ?? ["ts"],
      file: [],
      recursive: false,
      sort: true,
    });
    return files.map((f) => path.relative(ROOT, f));
  } finally {
    process.chdir(cwd);
  }
}

describe("npm test's split of the suite", () => {
  it("runs every spec file of .mocharc.json in exactly one half, and nothing else", () => {
    const all = filesOf(read(".mocharc.json"));
    const cloud = filesOf(read(".mocharc.cloud.json"));
    const rest = filesOf(read(".mocharc.rest.json"));
    expect(all.length).to.be.greaterThan(50);
    expect(cloud).to.include("tests/local/start.test.ts");
    expect(rest).to.include("tests/test-split.test.ts");
    expect(
      cloud.filter((f) => rest.includes(f)),
      "run twice",
    ).to.deep.equal([]);
    expect([...cloud, ...rest].sort()).to.deep.equal([...all].sort());
  });

  it("puts every test that runs a local cloud on the repository's own stacks in the cloud half", () => {
    const rest = filesOf(read(".mocharc.rest.json"));
    const onRoot = rest
      .filter((f) => f !== path.relative(ROOT, __filename))
      .filter((f) => /programDir: ROOT|runScript\(|runToEnd\(|startCloud\(/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(onRoot).to.deep.equal([]);
  });

  it("runs both halves, the type check and the lint from npm test, and the halves with the same setup as .mocharc.json", () => {
    const scripts = read("package.json").scripts as Record<string, string>;
    expect(scripts.test.split(/\s+/)).to.include.members(["typecheck", "lint", "test:cloud", "test:rest"]);
    expect(scripts["test:cloud"]).to.equal("mocha --config .mocharc.cloud.json");
    expect(scripts["test:rest"]).to.equal("mocha --config .mocharc.rest.json");
    const { spec: _all, ...setup } = read(".mocharc.json");
    for (const half of [".mocharc.cloud.json", ".mocharc.rest.json"]) {
      const { spec: _spec, ignore: _ignore, ...own } = read(half);
      expect(own, half).to.deep.equal(setup);
    }
  });
});
