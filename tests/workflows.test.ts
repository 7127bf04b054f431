import { spawnSync } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PROGRAM_DIR } from "./harness";

const WORKFLOWS = path.join(PROGRAM_DIR, ".github", "workflows");
const VALIDATOR = path.join(PROGRAM_DIR, "node_modules", "@action-validator", "cli", "cli.mjs");

function validate(file: string): { status: number; output: string } {
  const result = spawnSync(process.execPath, [VALIDATOR, file], { encoding: "utf8" });
  return { status: result.status ?? -1, output: result.stdout + result.stderr };
}

describe("GitHub workflows", () => {
  for (const file of ["pr.yml", "deploy.yml", "deploy-stack.yml"]) {
    it(`${file} passes action-validator's schema check`, () => {
      const result = validate(path.join(WORKFLOWS, file));
      expect(result.status, result.output).to.equal(0);
    });
  }

  it("the validator rejects a broken workflow, so the checks above can fail", () => {
    fs.mkdirSync(path.join(PROGRAM_DIR, ".build"), { recursive: true });
    const broken = path.join(PROGRAM_DIR, ".build", "broken-workflow.yml");
    fs.writeFileSync(broken, fs.readFileSync(path.join(WORKFLOWS, "pr.yml"), "utf8").replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest"));
    expect(validate(broken).status).to.not.equal(0);
  });

  it("runs the offline preview for every stack on every pull request, and real previews only for this repository's branches", () => {
    const pr = parse(fs.readFileSync(path.join(WORKFLOWS, "pr.yml"), "utf8"));
    const script = pr.jobs.test.steps.map((s: any) => s.run ?? "").join("\n");
    expect(script).to.include("npm test");
    expect(script).to.match(/for stack in dev stage prod; do[\s\S]*npm run -s preview -- --stack "\$stack"/);
    expect(pr.jobs.preview.if).to.equal("github.event.pull_request.head.repo.full_name == github.repository");
    expect(pr.jobs.preview.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions")).with).to.include({ command: "preview", policyPacks: "policy" });
  });

  it("deploys dev, then stage, then prod, one at a time behind each environment", () => {
    const deploy = parse(fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8"));
    expect(deploy.on.push.branches).to.deep.equal(["main"]);
    expect([deploy.jobs.dev.needs, deploy.jobs.stage.needs, deploy.jobs.prod.needs]).to.deep.equal(["test", "dev", "stage"]);
    for (const stack of ["dev", "stage", "prod"]) expect(deploy.jobs[stack].with).to.deep.equal({ stack });
    const reusable = parse(fs.readFileSync(path.join(WORKFLOWS, "deploy-stack.yml"), "utf8"));
    expect(reusable.jobs.up.environment).to.equal("${{ inputs.stack }}");
  });
});
