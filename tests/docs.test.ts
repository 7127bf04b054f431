/** The repository stands alone: its documents link only to files it holds, and nothing cites a file outside it. */
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROGRAM_DIR } from "./harness";

const tracked = execFileSync("git", ["ls-files"], { cwd: PROGRAM_DIR, encoding: "utf8" })
  .split("\n")
  .filter((f) => f && fs.existsSync(path.join(PROGRAM_DIR, f)));

describe("the documentation", () => {
  it("cites no file outside the repository, and no design document it does not hold", () => {
    const offenders: string[] = [];
    for (const file of tracked.filter((f) => /\.(ts|md|ya?ml|json)$/.test(f) && f !== "package-lock.json" && f !== "tests/docs.test.ts")) {
      const text = fs.readFileSync(path.join(PROGRAM_DIR, file), "utf8");
      if (/\.\.\/shared\b|(^|[^/\w])DESIGN\.md/m.test(text)) offenders.push(file);
    }
    expect(offenders).to.deep.equal([]);
  });

  it("links only to files and sections that exist", () => {
    const broken: string[] = [];
    for (const file of tracked.filter((f) => f.endsWith(".md"))) {
      const text = fs.readFileSync(path.join(PROGRAM_DIR, file), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^https?:/.test(target)) continue;
        if (!fs.existsSync(path.join(PROGRAM_DIR, path.dirname(file), target))) broken.push(`${file} -> ${target}`);
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it("has the architecture, the plan contract, the local cloud's model and the decision records", () => {
    for (const doc of ["architecture.md", "plan-document.md", "local-cloud.md", "cli-fidelity.md", "components.md"])
      expect(fs.existsSync(path.join(PROGRAM_DIR, "docs", doc)), doc).to.equal(true);
    expect(fs.readdirSync(path.join(PROGRAM_DIR, "docs", "decisions")).length).to.be.greaterThan(3);
  });
});
