/**
 * The README says what the code does: its configuration table lists exactly Pulumi.yaml's keys, with
 * their types, ranges and defaults, and says which of dev, stage and prod set each key, and to what.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROJECT } from "../config";
import { readProject } from "../graph/stack-config";
import { PROGRAM_DIR } from "./harness";

const readme = fs.readFileSync(path.join(PROGRAM_DIR, "README.md"), "utf8");
const declared = readProject(PROGRAM_DIR).config;
const COMMITTED = ["dev", "stage", "prod"];

interface Row {
  key: string;
  type: string;
  default: string;
  perStack: string;
}

function configTable(): Row[] {
  const section = readme.slice(readme.indexOf("## Configuration reference"));
  const body = section.slice(0, section.indexOf("\n## "));
  return body
    .split("\n")
    .filter((line) => /^\| `[A-Za-z0-9]+` \|/.test(line))
    .map((line) => {
      const [key, type, def, perStack] = line
        .split("|")
        .slice(1, 5)
        .map((c) => c.trim());
      return { key: key.replace(/`/g, ""), type, default: def, perStack };
    });
}

/** The stack file's value of a key, as YAML gave it, or undefined. */
function stackValue(stack: string, key: string): unknown {
  return parse(fs.readFileSync(path.join(PROGRAM_DIR, `Pulumi.${stack}.yaml`), "utf8")).config?.[`${PROJECT}:${key}`];
}

describe("the README's configuration table", () => {
  const rows = configTable();

  it("lists exactly the keys Pulumi.yaml declares", () => {
    expect(rows.map((r) => r.key).sort()).to.deep.equal(Object.keys(declared).sort());
  });

  it("gives each key Pulumi.yaml's type, and the range its description states", () => {
    for (const row of rows) {
      const d = declared[row.key];
      const type = d.type === "array" ? `${d.items!.type}[]` : d.secret ? `secret ${d.type}` : d.type!;
      const range = /\((-?\d+) to (-?\d+)\)/.exec(d.description ?? "");
      expect(row.type, row.key).to.equal(range ? `${type} (${range[1]}–${range[2]})` : type);
    }
  });

  it("gives each key Pulumi.yaml's default, or says it is required", () => {
    for (const row of rows) {
      const d = declared[row.key];
      if (d.default === undefined) {
        expect(row.default, row.key).to.equal("required");
        continue;
      }
      const literal = /^`(.*)`$/.exec(row.default)?.[1];
      expect(literal, `${row.key}: ${row.default}`).to.not.equal(undefined);
      let value: unknown = literal;
      try {
        value = JSON.parse(literal!);
      } catch {
        // A bare string such as rate(5 minutes).
      }
      expect(value, row.key).to.deep.equal(d.default);
    }
  });

  it("says which committed stacks set each key, and to what where it gives a value", () => {
    for (const row of rows) {
      const cells =
        row.perStack === ""
          ? ["–", "–", "–"]
          : row.perStack.includes(" / ")
            ? row.perStack.split(" / ")
            : [row.perStack, row.perStack, row.perStack];
      COMMITTED.forEach((stack, i) => {
        const value = stackValue(stack, row.key);
        const cell = cells[i];
        if (cell === "–") {
          expect(value, `${row.key} in ${stack}: the table says unset`).to.equal(undefined);
          return;
        }
        expect(value, `${row.key} in ${stack}: the table says "${cell}"`).to.not.equal(undefined);
        if (/^(\d+|true|false|dev|stage|prod)$/.test(cell)) expect(String(value), `${row.key} in ${stack}`).to.equal(cell);
      });
    }
  });
});
