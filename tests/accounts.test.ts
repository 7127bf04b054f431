/**
 * Accounts as code: the baseline stack holds what an account has once (CI's OIDC provider and roles,
 * AWS Config, the account's alert topic), application stacks read it through a stack reference, and
 * any number of application stacks (dev, developers' dev-<name>, other applications) share an account.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { captureStack, Graph } from "../graph/capture";
import { evaluatePolicies } from "../graph/policy-runner";
import { policyConfigFor } from "../graph/preview";
import { ACCOUNT_SINGLETONS } from "../policy/policies";
import { GraphView, parsed, PROGRAM_DIR, remembered, stackGraph } from "./harness";

const BASELINE = path.join(PROGRAM_DIR, "baseline");
const baselineGraph = (stack: string) =>
  remembered.get(`baseline ${stack}`, () => captureStack(BASELINE, stack).then((g) => new GraphView(g)));

describe("the account baseline stack", function () {
  this.timeout(60_000);

  for (const stack of ["dev", "stage", "prod"]) {
    it(`previews ${stack} clean under its own policy config, singletons allowed`, async () => {
      const graph = await baselineGraph(stack);
      const { enforcement, config } = policyConfigFor(BASELINE, stack);
      expect(await evaluatePolicies(graph.resources, { enforcement, config })).to.deep.equal([]);
      expect(graph.graph.placement.accountId).to.equal({ dev: "111111111111", stage: "222222222222", prod: "333333333333" }[stack]);
    });
  }

  it("trusts GitHub's OIDC token only for this repository's deploy environments and pull requests, and only as the entry roles", async () => {
    const graph = await baselineGraph("dev");
    const provider = graph.all("aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0];
    expect(provider.inputs).to.deep.include({ url: "https://token.actions.githubusercontent.com", clientIdLists: ["sts.amazonaws.com"] });
    const trust = (name: string) =>
      parsed(
        graph.all("aws:iam/role:Role").find((r) => r.inputs.name === name)!,
        "assumeRolePolicy",
      ).Statement[0];
    expect(trust("platform-ci-deploy")).to.deep.include({
      Principal: { Federated: provider.arn },
      Action: "sts:AssumeRoleWithWebIdentity",
    });
    expect(trust("platform-ci-deploy").Condition.StringEquals).to.deep.equal({
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": ["repo:example-org/serverless-platform:environment:dev"],
    });
    expect(trust("platform-ci-preview").Condition.StringEquals["token.actions.githubusercontent.com:sub"]).to.deep.equal([
      "repo:example-org/serverless-platform:pull_request",
    ]);
    for (const working of ["platform-deploy", "platform-preview"])
      expect(trust(working).Principal).to.deep.equal({ AWS: "arn:aws:iam::111111111111:root" });
  });

  it("lets each entry role assume only its working role", async () => {
    const graph = await baselineGraph("dev");
    const policyOf = (role: string) =>
      parsed(
        graph.all("aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === role)!,
        "policy",
      ).Statement;
    expect(policyOf("platform-ci-deploy")).to.deep.equal([
      {
        Effect: "Allow",
        Sid: "AssumeWorkingRole",
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Resource: "arn:aws:iam::111111111111:role/platform-deploy",
      },
    ]);
    expect(policyOf("platform-ci-preview")[0].Resource).to.equal("arn:aws:iam::111111111111:role/platform-preview");
  });

  it("bounds the deploy role: not this account's access, no long-lived credentials, not the account's settings", async () => {
    const graph = await baselineGraph("dev");
    const deploy = graph.all("aws:iam/role:Role").find((r) => r.inputs.name === "platform-deploy")!;
    const boundary = graph.all("aws:iam/policy:Policy")[0];
    expect(deploy.inputs.permissionsBoundary).to.equal(boundary.arn);
    const denies = parsed(boundary, "policy").Statement.filter((s: any) => s.Effect === "Deny");
    expect(denies.map((s: any) => s.Sid)).to.deep.equal(["NotThisAccountsAccess", "NoLongLivedCredentials", "NotTheAccountsSettings"]);
    expect(denies[0].Resource).to.include("arn:aws:iam::111111111111:role/platform-*");
    expect(denies[1].Action).to.include.members(["iam:CreateUser", "iam:CreateAccessKey"]);
  });

  it("gives the preview role read-only rights and takes data reads back", async () => {
    const graph = await baselineGraph("dev");
    const attachments = graph.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => [a.inputs.role, a.inputs.policyArn]);
    expect(attachments).to.deep.include(["platform-preview", "arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    const deny = parsed(
      graph.all("aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === "platform-preview")!,
      "policy",
    ).Statement[0];
    expect(deny.Effect).to.equal("Deny");
    expect(deny.Action).to.include.members([
      "s3:GetObject",
      "dynamodb:Scan",
      "sqs:ReceiveMessage",
      "secretsmanager:GetSecretValue",
      "kms:Decrypt",
    ]);
  });

  it("records every supported resource type in the dev account, delivering to a KMS-encrypted secure bucket", async () => {
    const dev = await baselineGraph("dev");
    const recorder = dev.all("aws:cfg/recorder:Recorder");
    expect(recorder).to.have.length(1);
    expect(recorder[0].inputs.recordingGroup).to.deep.equal({ allSupported: true, includeGlobalResourceTypes: true });
    const component = dev.one("platform:governance:ConfigRecorder", "aws-config");
    const bucket = dev.descendants(component, "aws:s3/bucket:Bucket")[0];
    const key = dev.descendants(component, "aws:kms/key:Key")[0];
    const channel = dev.all("aws:cfg/deliveryChannel:DeliveryChannel")[0];
    expect(channel.inputs).to.include({ s3BucketName: bucket.state.bucket, s3KmsKeyArn: key.arn });
    expect(key.inputs.enableKeyRotation).to.equal(true);
    const encryption = dev
      .all("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
      .find((e) => e.inputs.bucket === bucket.id)!;
    expect(encryption.inputs.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({
      sseAlgorithm: "aws:kms",
      kmsMasterKeyId: key.arn,
    });
    expect(dev.all("aws:cfg/recorderStatus:RecorderStatus")[0].inputs).to.include({ isEnabled: true });
  });

  it("records AWS Config in the dev account only, and exports what application stacks read", async () => {
    expect((await baselineGraph("dev")).all("aws:cfg/recorder:Recorder")).to.have.length(1);
    for (const stack of ["stage", "prod"]) expect((await baselineGraph(stack)).all("aws:cfg/recorder:Recorder"), stack).to.have.length(0);
    expect(Object.keys((await baselineGraph("dev")).graph.outputs).sort()).to.deep.equal([
      "alertTopicArn",
      "awsConfigBucket",
      "ciDeployRoleArn",
      "ciPreviewRoleArn",
      "deployRoleArn",
      "previewRoleArn",
    ]);
  });
});

describe("application stacks and the accounts they share", function () {
  this.timeout(120_000);

  it("read the baseline's alert topic through a stack reference resolved by capturing the baseline", async () => {
    const app = await stackGraph("prod");
    const reference = app.all("pulumi:pulumi:StackReference")[0];
    expect(reference.inputs.name).to.equal("organization/platform-baseline/prod");
    const accountTopic = (await baselineGraph("prod")).graph.outputs.alertTopicArn;
    expect(accountTopic).to.match(/^arn:aws:sns:eu-west-1:333333333333:account-alerts-[0-9a-f]{7}$/);
    const composite = app.one("aws:cloudwatch/compositeAlarm:CompositeAlarm", "monitoring-unhealthy");
    expect(composite.inputs.alarmActions).to.deep.equal([app.one("aws:sns/topic:Topic", "alerts").arn, accountTopic]);
  });

  it("create no account singleton: the policy pack refuses one in an application stack", async () => {
    const app = await stackGraph("dev");
    expect(app.resources.filter((r) => (ACCOUNT_SINGLETONS as readonly string[]).includes(r.type))).to.deep.equal([]);
    const baseline = await baselineGraph("dev");
    const violations = await evaluatePolicies(baseline.resources, { enforcement: "mandatory", config: {} });
    expect(violations.filter((v) => v.policy === "no-account-singletons").map((v) => v.message.split(" ")[0])).to.deep.equal([
      "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
      "aws:cfg/recorder:Recorder",
      "aws:cfg/deliveryChannel:DeliveryChannel",
      "aws:cfg/recorderStatus:RecorderStatus",
    ]);
  });

  it("let dev and two developers' stacks share the dev account: no physical name or singleton claimed twice", async () => {
    const stacks: Graph[] = [(await stackGraph("dev")).graph];
    const devFile = fs.readFileSync(path.join(PROGRAM_DIR, "Pulumi.dev.yaml"), "utf8");
    for (const name of ["dev-alice", "dev-bob"]) {
      const file = path.join(PROGRAM_DIR, `Pulumi.${name}.yaml`);
      fs.writeFileSync(file, devFile);
      try {
        stacks.push(await captureStack(PROGRAM_DIR, name));
      } finally {
        fs.rmSync(file);
      }
    }
    const claimed = new Map<string, string>();
    const collisions: string[] = [];
    for (const graph of stacks) {
      for (const r of graph.resources.filter((r) => r.custom && r.arn)) {
        const owner = claimed.get(r.arn!);
        if (owner && owner !== graph.stack) collisions.push(`${r.arn} (${owner} and ${graph.stack})`);
        claimed.set(r.arn!, graph.stack);
      }
    }
    expect(collisions).to.deep.equal([]);
    expect(stacks.map((g) => g.resources.find((r) => r.type === "pulumi:pulumi:StackReference")?.inputs.name)).to.deep.equal([
      "organization/platform-baseline/dev",
      "organization/platform-baseline/dev",
      "organization/platform-baseline/dev",
    ]);
  });

  it("name the baseline stack, the missing output and the command that creates it, as bad input", async () => {
    const missingStack = await captureStack(PROGRAM_DIR, "dev", { baselineStack: "organization/platform-baseline/qa" }).catch((err) => err);
    expect(missingStack.name).to.equal("StackReferenceError");
    expect(missingStack.message).to.equal(
      'stack reference "organization/platform-baseline/qa": the stack platform-baseline/qa does not exist (no baseline/Pulumi.qa.yaml); create it with: pulumi stack init qa -C baseline && pulumi up -C baseline -s qa',
    );
    const noProject = await captureStack(PROGRAM_DIR, "dev", { baselineStack: "organization/elsewhere/dev" }).catch((err) => err);
    expect(noProject.message).to.include('stack reference "organization/elsewhere/dev": no Pulumi project named "elsewhere"');
  });
});
