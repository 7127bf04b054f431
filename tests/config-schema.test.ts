/**
 * One source of truth for config the CLI accepts: Pulumi.yaml declares every key the program reads,
 * with its type and (for optional keys) its default; config.ts's schema is the second line. Every
 * key, type, default and range must agree, or the CLI and the program would disagree on a stack.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { appConfigSchema, PROJECT, SECRET_KEYS } from "../config";
import { readProject } from "../graph/stack-config";
import { PROGRAM_DIR } from "./harness";

const project = readProject(PROGRAM_DIR);
const declared = project.config;
const schemaKeys = Object.keys(appConfigSchema.shape);
const plainKeys = Object.keys(declared).filter((k) => !(SECRET_KEYS as readonly string[]).includes(k));

/** The keys Pulumi.yaml requires, with valid values: a config that is otherwise complete. */
const REQUIRED: Record<string, unknown> = {
  environment: "dev",
  logRetentionDays: 7,
  warmerEnabled: false,
  throttleRateLimit: 1,
  throttleBurstLimit: 1,
  faultInjection: false,
  protectStatefulResources: false,
};

/** What zod makes of one key alone, on top of a config that is otherwise valid. */
function parseKey(key: string, value: unknown): { ok: boolean; value?: unknown } {
  const parsed = appConfigSchema.safeParse(value === undefined ? REQUIRED : { ...REQUIRED, [key]: value });
  return parsed.success ? { ok: true, value: (parsed.data as Record<string, unknown>)[key] } : { ok: false };
}

/** A value of the declared type, for probing a key's kind. */
function sampleOf(type: string | undefined): unknown {
  return { string: "x", integer: 1, boolean: true, array: [] as unknown[] }[type ?? "string"];
}

describe("Pulumi.yaml and config.ts agree", () => {
  it("validates against the CLI's project rules, and is named for the config namespace", () => {
    expect(project.name).to.equal(PROJECT);
  });

  it("declares exactly the keys the schema reads, plus the secrets", () => {
    expect(plainKeys.sort()).to.deep.equal([...schemaKeys].sort());
    for (const key of SECRET_KEYS) expect(declared[key], key).to.include({ type: "string", secret: true, default: "" });
  });

  it("declares every key with a type and a description", () => {
    for (const [key, d] of Object.entries(declared)) {
      expect(d.type, key).to.be.a("string");
      expect(d.description, key).to.be.a("string").and.not.equal("");
    }
  });

  it("gives a key a default exactly where the schema has one, and the same one", () => {
    for (const key of plainKeys) {
      const zodDefault = parseKey(key, undefined);
      const yamlDefault = declared[key].default;
      if (yamlDefault === undefined) {
        // Required by the CLI, so it must be required by the schema too.
        const { [key]: _, ...without } = REQUIRED;
        expect(REQUIRED, `${key} is required in Pulumi.yaml`).to.have.property(key);
        expect(appConfigSchema.safeParse(without).success, `${key} is required in Pulumi.yaml but optional in config.ts`).to.equal(false);
      } else {
        // "" is Pulumi.yaml's way of saying unset: the schema reads it as absent.
        expect(zodDefault.value, key).to.deep.equal(yamlDefault === "" ? undefined : yamlDefault);
        expect(parseKey(key, yamlDefault).ok, `${key}'s Pulumi.yaml default must pass config.ts`).to.equal(true);
      }
    }
  });

  it("types every key the same way: the schema accepts a value of the declared type and refuses one of another", () => {
    for (const key of plainKeys) {
      const type = declared[key].type;
      const wrong = type === "string" ? 1 : type === "boolean" ? "true" : type === "array" ? "x" : "x";
      expect(parseKey(key, wrong).ok, `${key} (${type}) accepted ${JSON.stringify(wrong)}`).to.equal(false);
      if (type === "array") expect(declared[key].items?.type, key).to.equal("string");
      if (type === "boolean" || type === "array") expect(parseKey(key, sampleOf(type)).ok, key).to.equal(true);
      if (type === "integer") expect(parseKey(key, 1.5).ok, `${key} accepted a fraction`).to.equal(false);
    }
  });

  it("enforces each range a description states, at both ends", () => {
    let ranges = 0;
    for (const key of plainKeys) {
      const match = /\((-?\d+) to (-?\d+)\)/.exec(declared[key].description ?? "");
      if (declared[key].type === "integer" && key !== "logRetentionDays") expect(match, `${key} states no range`).to.not.equal(null);
      if (!match) continue;
      ranges++;
      const [min, max] = [Number(match[1]), Number(match[2])];
      expect(parseKey(key, min).ok, `${key} = ${min}`).to.equal(true);
      expect(parseKey(key, max).ok, `${key} = ${max}`).to.equal(true);
      expect(parseKey(key, min - 1).ok, `${key} = ${min - 1}`).to.equal(false);
      expect(parseKey(key, max + 1).ok, `${key} = ${max + 1}`).to.equal(false);
    }
    expect(ranges).to.be.greaterThan(10);
  });

  it("leaves each committed stack file's keys declared, so no value is a typo the CLI would pass silently", () => {
    for (const file of fs.readdirSync(PROGRAM_DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
      const keys = Object.keys(parse(fs.readFileSync(path.join(PROGRAM_DIR, file), "utf8")).config ?? {});
      for (const key of keys.filter((k) => k.startsWith(`${PROJECT}:`)))
        expect(declared, `${file}: ${key}`).to.have.property(key.slice(PROJECT.length + 1));
    }
  });
});
