/**
 * The Pulumi CLI's config rules, as the offline tools apply them. The cases are ported from
 * pulumi/pulumi `pkg/workspace/config_project_test.go` (merging and validating a stack's config
 * against the project's declarations) and `sdk/go/common/workspace/project.go` (`Project.Validate`),
 * each run end to end: a Pulumi.yaml and a stack file on disk, read as `pulumi preview` reads them.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatMissingKeys, validConfigValue } from "../graph/cli-config";
import { readStackConfig } from "../graph/stack-config";

const dirs: string[] = [];
after(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Reads stack "dev" of a project "test" written from the given YAML; a stack file is written only when given. */
function read(projectConfig: string, stackYaml?: string, env: NodeJS.ProcessEnv = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-config-"));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: test\nruntime: nodejs\n${projectConfig}`);
  if (stackYaml !== undefined) fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), stackYaml);
  return readStackConfig(dir, "dev", {}, env);
}

function failure(projectConfig: string, stackYaml?: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    read(projectConfig, stackYaml, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the CLI's rules to refuse this config");
}

describe("the CLI's config rules (ported from pkg/workspace/config_project_test.go)", () => {
  it("inherits shorthand project values as defaults, and lets the stack override them", () => {
    const { config } = read(
      "config:\n  instanceSize: t3.micro\n  instanceCount: 20\n  protect: true\n",
      "config:\n  test:instanceSize: t4.large\n",
    );
    expect(config).to.deep.equal({ "test:instanceSize": "t4.large", "test:instanceCount": "20", "test:protect": "true" });
  });

  it("inherits values of other namespaces, lists as JSON", () => {
    const { config } = read(
      'config:\n  aws:region: us-west-1\n  pulumi:disable-default-providers: ["*"]\n  instanceSize: t3.micro\n',
      "config:\n  test:instanceSize: t4.large\n",
    );
    expect(config).to.deep.equal({
      "test:instanceSize": "t4.large",
      "aws:region": "us-west-1",
      "pulumi:disable-default-providers": '["*"]',
    });
  });

  it("reads a stack key without a namespace as the project's", () => {
    const { config } = read("config:\n  aws:region: us-west-1\n  instanceSize: t3.micro\n", "config:\n  instanceSize: t4.large\n");
    expect(config).to.deep.equal({ "test:instanceSize": "t4.large", "aws:region": "us-west-1" });
  });

  it("does not type-check keys the project declares without a type", () => {
    const { config } = read(
      "config:\n  instanceSize: t3.micro\n  aws:region: us-west-1\n",
      "config:\n  instanceSize: 9999\n  aws:region: 42\n",
    );
    expect(config).to.deep.equal({ "test:instanceSize": "9999", "aws:region": "42" });
  });

  it("takes an untyped declaration's default or value", () => {
    const { config } = read(
      "config:\n  instanceSize:\n    default: t3.micro\n  region:\n    value: us-west-1\n",
      "config:\n  aws:answer: 42\n",
    );
    expect(config).to.deep.equal({ "test:instanceSize": "t3.micro", "test:region": "us-west-1", "aws:answer": "42" });
  });

  it("accepts stack keys the project does not declare", () => {
    const { config } = read("config:\n  createVpc: true\n", "config:\n  instanceSize: 42\n");
    expect(config).to.deep.equal({ "test:instanceSize": "42", "test:createVpc": "true" });
    expect(read("", "config:\n  hello: 21\n  world: 42\n").config).to.deep.equal({ "test:hello": "21", "test:world": "42" });
  });

  it("passes object values down as JSON", () => {
    const { config } = read(
      "config:\n  instanceSize:\n    value:\n      hello: world\n  aws:config:\n    value:\n      region: us-west-1\n",
      "config:\n  aws:whatever: 42\n",
    );
    expect(config).to.deep.equal({
      "test:instanceSize": '{"hello":"world"}',
      "aws:config": '{"region":"us-west-1"}',
      "aws:whatever": "42",
    });
  });

  it("refuses a value that is not of the declared type, naming the full type", () => {
    const project = "config:\n  values:\n    type: array\n    items:\n      type: string\n    default: [value]\n";
    expect(failure(project, "config:\n  test:values: someValue\n")).to.equal(
      "Stack 'dev' with configuration key 'values' must be of type 'array<string>'",
    );
    expect(failure(project, "config:\n  test:values: [1]\n")).to.equal(
      "Stack 'dev' with configuration key 'values' must be of type 'array<string>'",
    );
    expect(read(project, "config:\n  test:values: [a, b]\n").config["test:values"]).to.equal('["a","b"]');
  });

  it("type-checks integers: whole numbers and numeric text pass, anything else fails", () => {
    const project = "config:\n  importantNumber:\n    type: integer\n";
    expect(read(project, "config:\n  test:importantNumber: 20\n").config["test:importantNumber"]).to.equal("20");
    expect(read(project, 'config:\n  test:importantNumber: "-7"\n').config["test:importantNumber"]).to.equal("-7");
    expect(read(project, "config:\n  test:importantNumber: 7.0\n").config["test:importantNumber"]).to.equal("7");
    // YAML reads 1e3 as the float 1000, which the stack file stores as the text "1000".
    expect(read(project, "config:\n  test:importantNumber: 1e3\n").config["test:importantNumber"]).to.equal("1000");
    for (const bad of ["hello", "7.5", '"1e3"', '"9223372036854775808"']) {
      expect(failure(project, `config:\n  test:importantNumber: ${bad}\n`), bad).to.equal(
        "Stack 'dev' with configuration key 'importantNumber' must be of type 'integer'",
      );
    }
    expect(read(project, 'config:\n  test:importantNumber: "9223372036854775807"\n').config["test:importantNumber"]).to.equal(
      "9223372036854775807",
    );
  });

  it("type-checks booleans: true, false and their text pass, yes and 1 fail", () => {
    const project = "config:\n  flag:\n    type: boolean\n";
    expect(read(project, "config:\n  test:flag: false\n").config["test:flag"]).to.equal("false");
    expect(read(project, 'config:\n  test:flag: "true"\n').config["test:flag"]).to.equal("true");
    for (const bad of ["yes", "1", "on"])
      expect(failure(project, `config:\n  test:flag: ${bad}\n`), bad).to.equal(
        "Stack 'dev' with configuration key 'flag' must be of type 'boolean'",
      );
  });

  it("names one missing key, two joined by 'and', and more with commas and a final 'and', sorted", () => {
    expect(failure("config:\n  values:\n    type: array\n    items:\n      type: string\n", "")).to.equal(
      "Stack 'dev' is missing configuration value 'values'",
    );
    expect(failure("config:\n  another:\n    type: string\n  values:\n    type: array\n    items:\n      type: string\n", "")).to.equal(
      "Stack 'dev' is missing configuration values 'another' and 'values'",
    );
    expect(
      failure(
        "config:\n  world:\n    type: string\n  hello:\n    type: integer\n  values:\n    type: array\n    items:\n      type: string\n",
        "",
      ),
    ).to.equal("Stack 'dev' is missing configuration values 'hello', 'values' and 'world'");
    expect(formatMissingKeys(["b", "a"])).to.equal("'a' and 'b'");
  });

  it("runs a stack that has no file with an empty config, and requires only project keys without a default or value", () => {
    expect(read("config:\n  size:\n    default: 3\n  aws:region:\n    value: eu-west-1\n").config).to.deep.equal({
      "test:size": "3",
      "aws:region": "eu-west-1",
    });
    expect(read("config:\n  size:\n    default: 3\n").hasFile).to.equal(false);
    expect(failure("config:\n  size:\n    type: integer\n")).to.equal("Stack 'dev' is missing configuration value 'size'");
  });

  it("stops at the first badly typed key, in sorted order, before reporting missing ones", () => {
    const project = "config:\n  a:\n    type: string\n  b:\n    type: integer\n  c:\n    type: integer\n";
    expect(failure(project, "config:\n  test:b: x\n  test:c: y\n")).to.equal(
      "Stack 'dev' with configuration key 'b' must be of type 'integer'",
    );
  });

  it("requires a key declared secret to be encrypted in the stack", () => {
    const project = "config:\n  importantNumber:\n    type: integer\n    secret: true\n";
    expect(failure(project, "config:\n  test:importantNumber: 20\n")).to.equal(
      "Stack 'dev' with configuration key 'importantNumber' must be encrypted as it's secret",
    );
    const secure = read(project, "config:\n  test:importantNumber:\n    secure: v1:abc\n");
    expect(secure.secretKeys).to.deep.equal(["test:importantNumber"]);
    expect(secure.config["test:importantNumber"]).to.equal("offline-placeholder-for-test-importantNumber");
    // A local plaintext stands in for the ciphertext, and is type-checked as the decrypted value would be.
    expect(
      failure(project, "config:\n  test:importantNumber:\n    secure: v1:abc\n", { PLATFORM_SECRET_IMPORTANTNUMBER: "twenty" }),
    ).to.equal("Stack 'dev' with configuration key 'importantNumber' must be of type 'integer'");
    expect(
      read(project, "config:\n  test:importantNumber:\n    secure: v1:abc\n", { PLATFORM_SECRET_IMPORTANTNUMBER: "20" }).config[
        "test:importantNumber"
      ],
    ).to.equal("20");
  });

  it("takes a local value for an unset secret as `pulumi config set --secret` would, and never for a plain key", () => {
    const project = 'config:\n  token:\n    type: string\n    secret: true\n    default: ""\n  plain:\n    type: string\n    default: x\n';
    expect(read(project, "config: {}\n").config).to.deep.equal({ "test:token": "", "test:plain": "x" });
    const local = read(project, "config: {}\n", { PLATFORM_SECRET_TOKEN: "t0k", PLATFORM_SECRET_PLAIN: "y" });
    expect(local.config).to.deep.equal({ "test:token": "t0k", "test:plain": "x" });
    expect(local.secretKeys).to.deep.equal(["test:token"]);
  });
});

describe("the CLI's project rules (ported from sdk/go/common/workspace/project.go)", () => {
  it("refuses a declaration with both a default and a value", () => {
    expect(failure("config:\n  size:\n    default: 1\n    value: 2\n", "")).to.match(
      /could not unmarshal '.*Pulumi\.yaml': project config 'size' cannot have both a 'default' and 'value' attribute$/,
    );
  });

  it("refuses an array without items, and a default of the wrong type", () => {
    expect(failure("config:\n  names:\n    type: array\n", "")).to.include(
      "The configuration key 'names' declares an array but does not specify the underlying type via the 'items' attribute",
    );
    expect(failure("config:\n  size:\n    type: integer\n    default: big\n", "")).to.include(
      "The default value specified for configuration key 'size' is not of the expected type 'integer'",
    );
    expect(failure("config:\n  names:\n    type: array\n    items:\n      type: string\n    default: [1]\n", "")).to.include(
      "is not of the expected type 'array<string>'",
    );
  });

  it("refuses a type or a default on another namespace's key, and requires its value", () => {
    expect(failure("config:\n  aws:region:\n    type: string\n    value: x\n", "")).to.include(
      "Configuration key 'aws:region' is not namespaced by the project and should not define a type",
    );
    expect(failure("config:\n  aws:region:\n    default: x\n", "")).to.include(
      "Did you mean to use the 'value' attribute instead of 'default'?",
    );
    expect(failure("config:\n  aws:region:\n    description: where\n", "")).to.include(
      "Configuration key 'aws:region' is namespaced and must provide an attribute 'value'",
    );
  });

  it("refuses what the project schema (project.json) does not allow in a declaration", () => {
    expect(failure("config:\n  size:\n    type: number\n", "")).to.include("config.size.type: must be one of");
    expect(failure("config:\n  size:\n    type: integer\n    required: true\n", "")).to.include(
      "config.size: additional properties 'required' not allowed",
    );
    expect(failure("config:\n  names:\n    type: array\n    items:\n      type: array\n", "")).to.include(
      "config.names.items: missing properties: 'items'",
    );
  });

  it("refuses a project without a name, or with a runtime project.json does not allow", () => {
    const write = (text: string) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-project-"));
      dirs.push(dir);
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), text);
      try {
        readStackConfig(dir, "dev");
        return "";
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(write("runtime: nodejs\n")).to.include("project is missing a non-empty string 'name' attribute");
    expect(write("name: t\nruntime:\n  name: nodejs\n  version: 22\n")).to.include("runtime: additional properties 'version' not allowed");
    expect(write("name: t\nruntime:\n  options: {}\n")).to.include("runtime: name must be a non-empty string");
    expect(write("name: t\nruntime:\n  name: nodejs\n  options: {typescript: true}\n")).to.equal("");
  });

  it("checks values exactly as ValidateConfigValue does", () => {
    expect(validConfigValue("string", undefined, "x")).to.equal(true);
    expect(validConfigValue("string", undefined, 1)).to.equal(false);
    expect(validConfigValue("integer", undefined, 3)).to.equal(true);
    expect(validConfigValue("integer", undefined, 3.5)).to.equal(false);
    expect(validConfigValue("integer", undefined, "+3")).to.equal(true);
    expect(validConfigValue("boolean", undefined, "false")).to.equal(true);
    expect(validConfigValue("boolean", undefined, "False")).to.equal(false);
    expect(validConfigValue("object", undefined, { a: 1 })).to.equal(true);
    expect(validConfigValue("object", undefined, [1])).to.equal(false);
    expect(validConfigValue("array", { type: "integer" }, [1, "2"])).to.equal(true);
    expect(validConfigValue("array", undefined, [])).to.equal(false);
    expect(validConfigValue("array", { type: "array", items: { type: "string" } }, [["a"], ["b"]])).to.equal(true);
    expect(validConfigValue("array", { type: "array", items: { type: "string" } }, [["a"], [2]])).to.equal(false);
  });
});
