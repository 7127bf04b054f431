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
    fs.writeFileSync(
      broken,
      fs.readFileSync(path.join(WORKFLOWS, "pr.yml"), "utf8").replace("runs-on: ubuntu-latest", "runs-onn: ubuntu-latest"),
    );
    expect(validate(broken).status).to.not.equal(0);
  });

  it("runs the offline preview for every stack file on every pull request, and real previews only for this repository's branches", () => {
    const pr = parse(fs.readFileSync(path.join(WORKFLOWS, "pr.yml"), "utf8"));
    const script = pr.jobs.test.steps.map((s: any) => s.run ?? "").join("\n");
    expect(script).to.include("npm test");
    // Every stack file, developers' included, so a new stack is checked the day it is added.
    expect(script).to.match(/for file in Pulumi\.\*\.yaml; do[\s\S]*npm run -s preview -- --stack "\$stack"/);
    expect(pr.jobs.preview.if).to.equal("github.event.pull_request.head.repo.full_name == github.repository");
    const previewStep = pr.jobs.preview.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions") && s.with?.command);
    expect(previewStep.with).to.include({ command: "preview", policyPacks: "policy" });
  });

  it("previews with read-only rights: the stack's assumed role becomes the preview role before the preview", () => {
    const steps = parse(fs.readFileSync(path.join(WORKFLOWS, "pr.yml"), "utf8")).jobs.preview.steps;
    const override = steps.findIndex((s: any) =>
      /pulumi config set --path 'aws:assumeRoles\[0\]\.roleArn' "\$\{\{ vars\.AWS_PREVIEW_ROLE_ARN \}\}"/.test(s.run ?? ""),
    );
    const preview = steps.findIndex((s: any) => s.with?.command === "preview");
    expect(override).to.be.greaterThan(-1);
    expect(override).to.be.lessThan(preview);
    expect(steps.find((s: any) => String(s.uses).startsWith("aws-actions/configure-aws-credentials")).with["role-to-assume"]).to.equal(
      "${{ vars.AWS_CI_ROLE_ARN }}",
    );
  });

  it("runs the CLI transpile-only where tsc already ran, and reaches Pulumi Cloud over OIDC with the token as fallback", () => {
    const pr = parse(fs.readFileSync(path.join(WORKFLOWS, "pr.yml"), "utf8"));
    const up = parse(fs.readFileSync(path.join(WORKFLOWS, "deploy-stack.yml"), "utf8")).jobs.up;
    for (const job of [pr.jobs.preview, up]) {
      expect(job.env.PULUMI_NODEJS_TRANSPILE_ONLY).to.equal("true");
      const auth = job.steps.find((s: any) => String(s.uses).startsWith("pulumi/auth-actions"));
      expect(auth.with.organization).to.equal("${{ vars.PULUMI_ORG }}");
      expect(auth.with["requested-token-type"]).to.equal("urn:pulumi:token-type:access_token:organization");
      for (const step of job.steps.filter((s: any) => s.with?.command))
        expect(step.env.PULUMI_ACCESS_TOKEN).to.equal("${{ env.PULUMI_ACCESS_TOKEN || secrets.PULUMI_ACCESS_TOKEN }}");
    }
    // The deploy type-checks before the transpile-only CLI runs; the PR's preview job needs the test job, which ran npm test.
    const typecheck = up.steps.findIndex((s: any) => s.run === "npm run typecheck");
    expect(typecheck).to.be.greaterThan(-1);
    expect(typecheck).to.be.lessThan(up.steps.findIndex((s: any) => s.with?.command === "up"));
    expect(pr.jobs.preview.needs).to.equal("test");
  });

  it("deploys dev, then stage, then prod, one at a time behind each environment", () => {
    const deploy = parse(fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8"));
    expect(deploy.on.push.branches).to.deep.equal(["main"]);
    expect([deploy.jobs.dev.needs, deploy.jobs.stage.needs, deploy.jobs.prod.needs]).to.deep.equal(["test", "dev", "stage"]);
    for (const stack of ["dev", "stage", "prod"]) expect(deploy.jobs[stack].with).to.deep.equal({ stack });
    const reusable = parse(fs.readFileSync(path.join(WORKFLOWS, "deploy-stack.yml"), "utf8"));
    expect(reusable.jobs.up.environment).to.equal("${{ inputs.stack }}");
    // After pulumi up, as the deploy role, the rollout moves the aliases; its failure (a rollback) fails the job.
    const steps: any[] = reusable.jobs.up.steps;
    const up = steps.findIndex((s) => s.with?.command === "up");
    const asDeployRole = steps.findIndex((s) => s.with?.["role-to-assume"] === "${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    const rollout = steps.findIndex((s) => typeof s.run === "string" && s.run.includes('npm run rollout -- --stack "${{ inputs.stack }}"'));
    expect(up).to.be.greaterThan(-1);
    expect(asDeployRole).to.be.greaterThan(up);
    expect(steps[asDeployRole].if).to.equal(undefined);
    expect(rollout).to.be.greaterThan(asDeployRole);
    expect(steps[rollout].if).to.equal(undefined);
    expect(steps[rollout]["continue-on-error"]).to.equal(undefined);
  });
});

describe("the project's Node.js engine", () => {
  it("is what the dependencies declare: the strictest of their engines", () => {
    const semver = require("semver");
    const root = JSON.parse(fs.readFileSync(path.join(PROGRAM_DIR, "package.json"), "utf8"));
    const declared: string[] = Object.keys(root.dependencies)
      .map((dep) => JSON.parse(fs.readFileSync(path.join(PROGRAM_DIR, "node_modules", dep, "package.json"), "utf8")).engines?.node)
      .filter(Boolean);
    const strictest = declared.map((range) => semver.minVersion(range).version).sort(semver.rcompare)[0];
    expect(semver.minVersion(root.engines.node).version).to.equal(strictest);
    for (const range of declared) expect(semver.satisfies(semver.minVersion(root.engines.node), range), range).to.equal(true);
  });
});
