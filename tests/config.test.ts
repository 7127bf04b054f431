import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ConfigError, parseConfig, SiblingAccount, siblingAccounts } from "../config";
import { captureStack } from "../graph/capture";
import { readStackConfig } from "../graph/stack-config";
import { PROGRAM_DIR } from "./harness";

const devConfig = () => ({ ...readStackConfig(PROGRAM_DIR, "dev").config });

function problemsOf(raw: Record<string, string>, stack = "dev"): string[] {
  try {
    parseConfig(raw, stack);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.include(`Invalid config for stack "${stack}"`);
    return (err as ConfigError).problems;
  }
  throw new Error("expected the config to be rejected");
}

describe("stack config", () => {
  it("parses every committed stack", () => {
    for (const stack of ["dev", "stage", "prod"]) {
      const { config } = readStackConfig(PROGRAM_DIR, stack);
      const parsed = parseConfig(config, stack);
      expect(parsed.app.environment).to.equal(stack);
      expect(parsed.accountId).to.match(/^\d{12}$/);
    }
  });

  it("maps the three stacks to three different accounts", () => {
    const ids = ["dev", "stage", "prod"].map((s) => parseConfig(readStackConfig(PROGRAM_DIR, s).config, s).accountId);
    expect(new Set(ids).size).to.equal(3);
  });

  it("fills in declared defaults", () => {
    const parsed = parseConfig(devConfig(), "dev");
    expect(parsed.app.warmerSchedule).to.equal("rate(5 minutes)");
    expect(parsed.app.asyncMaxEventAgeSeconds).to.equal(3600);
  });

  it("reports every problem at once, each naming its key", () => {
    const raw = devConfig();
    delete raw["platform:faultInjection"];
    raw["platform:logRetentionDays"] = "31";
    raw["platform:alarmEmails"] = JSON.stringify(["not-an-email"]);
    const problems = problemsOf(raw);
    expect(problems).to.have.length(3);
    expect(problems.find((p) => p.startsWith("platform:faultInjection:"))).to.equal("platform:faultInjection: is required");
    expect(problems.find((p) => p.startsWith("platform:logRetentionDays:")))
      .to.include("must be one of CloudWatch's retention periods")
      .and.include("(got 31)");
    expect(problems.find((p) => p.startsWith("platform:alarmEmails[0]:"))).to.include("must be an email address");
  });

  it("checks schedule expressions as EventBridge does, so rate(5 minute) and cron(0 10 * * * *) fail the preview", () => {
    const raw = { ...devConfig(), "platform:warmerSchedule": "rate(5 minute)", "platform:dailyReportSchedule": "cron(0 10 * * * *)" };
    expect(problemsOf(raw)).to.have.members([
      'platform:warmerSchedule: rate(5 minute) is not a valid schedule expression: a rate above 1 takes the plural unit: rate(5 minutes) (got "rate(5 minute)")',
      'platform:dailyReportSchedule: cron(0 10 * * * *) is not a valid schedule expression: one of day-of-month and day-of-week must be ?, and only one: a value or * in one needs ? in the other (got "cron(0 10 * * * *)")',
    ]);
    expect(() => parseConfig({ ...devConfig(), "platform:dailyReportSchedule": "cron(0 10 ? * 6L *)" }, "dev")).to.not.throw();
  });

  it("rejects an unknown key, which is usually a typo", () => {
    const raw = { ...devConfig(), "platform:logRetentionDay": "7" };
    expect(problemsOf(raw)).to.deep.equal(["platform:logRetentionDay: unknown key (a typo? see the configuration table in README.md)"]);
  });

  it("requires exactly one well-formed account id", () => {
    const raw: Record<string, string> = { ...devConfig(), "aws:allowedAccountIds": JSON.stringify(["1234"]) };
    expect(problemsOf(raw)[0]).to.match(/^aws:allowedAccountIds: must list exactly one 12-digit account id/);
    delete raw["aws:allowedAccountIds"];
    expect(problemsOf(raw)[0]).to.match(/^aws:allowedAccountIds: is required/);
  });

  it("forbids fault injection and unprotected state in a prod environment", () => {
    const raw = {
      ...readStackConfig(PROGRAM_DIR, "prod").config,
      "platform:faultInjection": "true",
      "platform:protectStatefulResources": "false",
    };
    const problems = problemsOf(raw, "prod");
    expect(problems).to.include("platform:faultInjection: must be false in a prod environment");
    expect(problems).to.include("platform:protectStatefulResources: must be true in a prod environment");
  });

  it("names CodeDeploy's nine Lambda configs for an unknown deployment preference", () => {
    const problems = problemsOf({ ...devConfig(), "platform:deploymentPreference": "Canary10Percent1Minute" });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^platform:deploymentPreference: must be one of CodeDeploy's nine Lambda deployment configs: /);
    for (const name of [
      "AllAtOnce",
      "Canary10Percent5Minutes",
      "Canary10Percent10Minutes",
      "Canary10Percent15Minutes",
      "Canary10Percent30Minutes",
      "Linear10PercentEvery1Minute",
      "Linear10PercentEvery2Minutes",
      "Linear10PercentEvery3Minutes",
      "Linear10PercentEvery10Minutes",
    ])
      expect(problems[0]).to.include(name);
    const perFunction = problemsOf({ ...devConfig(), "platform:deploymentPreferences": JSON.stringify({ "get-order": "Slowly" }) });
    expect(perFunction[0]).to.match(/^platform:deploymentPreferences\.get-order: must be one of CodeDeploy's nine/);
    expect(perFunction[0]).to.match(/\(got "Slowly"\)$/);
  });

  it("refuses a stepped rollout without CodeDeploy, and a prod stack without CodeDeploy rollouts", () => {
    const stepped = problemsOf({
      ...devConfig(),
      "platform:deploymentPreference": "Linear10PercentEvery1Minute",
      "platform:deploymentPreferences": JSON.stringify({ health: "AllAtOnce", "get-order": "Canary10Percent5Minutes" }),
    });
    expect(stepped).to.deep.equal([
      "platform:deploymentPreference: Linear10PercentEvery1Minute needs codeDeployRollouts: true (CodeDeploy shifts the traffic)",
      "platform:deploymentPreferences.get-order: Canary10Percent5Minutes needs codeDeployRollouts: true (CodeDeploy shifts the traffic)",
    ]);
    expect(() =>
      parseConfig({ ...devConfig(), "platform:deploymentPreferences": JSON.stringify({ health: "AllAtOnce" }) }, "dev"),
    ).to.not.throw();
    const prod = problemsOf({ ...readStackConfig(PROGRAM_DIR, "prod").config, "platform:codeDeployRollouts": "false" }, "prod");
    expect(prod).to.include("platform:codeDeployRollouts: must be true in a prod environment (canary rollouts that roll back on alarms)");
  });

  it("checks provisioned concurrency on both sides of its limits", () => {
    const pc = (value: unknown) => problemsOf({ ...devConfig(), "platform:provisionedConcurrency": JSON.stringify({ health: value }) });
    expect(pc({ min: 0 })[0]).to.match(/^platform:provisionedConcurrency\.health\.min: must be from 1 to 10000/);
    expect(pc({ min: 2, max: 1 })[0]).to.match(/^platform:provisionedConcurrency\.health: max must be at least min/);
    expect(pc({ min: 1, targetUtilization: 0.95 })[0]).to.match(/targetUtilization: must be from 0.1 to 0.9/);
    expect(pc({ min: 1, targetUtilization: 0.05 })[0]).to.match(/targetUtilization: must be from 0.1 to 0.9/);
    expect(pc({ min: 0 })[0]).to.match(/\(got 0\)$/);
    expect(pc({ min: 1, spare: 2 })).to.deep.equal([
      "platform:provisionedConcurrency.health.spare: unknown key (a typo? see the configuration table in README.md)",
    ]);
    const ok = { min: 1, max: 1, targetUtilization: 0.9 };
    expect(
      parseConfig({ ...devConfig(), "platform:provisionedConcurrency": JSON.stringify({ health: ok }) }, "dev").app.provisionedConcurrency,
    ).to.deep.equal({
      health: ok,
    });
  });

  it("names a per-function setting for a function the program does not have, listing the functions", async () => {
    const error = await captureStack(PROGRAM_DIR, "dev", {
      "platform:provisionedConcurrency": JSON.stringify({ "get-orders": { min: 1 }, health: { min: 1 } }),
      "platform:deploymentPreferences": JSON.stringify({ helth: "AllAtOnce" }),
      "platform:functionEnvironment": JSON.stringify({ "*": { A: "1" }, "daily-reports": { B: "2" } }),
      "platform:network": JSON.stringify({ create: {}, functions: ["get-ordr"] }),
    }).catch((err: Error) => err);
    // The program's own copy of config.ts threw it (the capture loads the program afresh).
    expect((error as Error).name).to.equal("ConfigError");
    const functions = "functions: health, create-order, get-order, process-order, daily-report";
    expect((error as ConfigError).problems.sort()).to.deep.equal([
      `platform:deploymentPreferences.helth: no such function; ${functions}`,
      `platform:functionEnvironment.daily-reports: no such function; ${functions}`,
      `platform:network.functions: get-ordr: no such function; ${functions}`,
      `platform:provisionedConcurrency.get-orders: no such function; ${functions}`,
    ]);
  });

  it("refuses the orders queue more concurrency than processOrder may have, by its own key or by *", () => {
    const raw = (reserved: Record<string, number>, max: number) => ({
      ...devConfig(),
      "platform:reservedConcurrency": JSON.stringify(reserved),
      "platform:queueMaxConcurrency": String(max),
    });
    expect(problemsOf(raw({ "process-order": 4, "*": 100 }, 5))).to.deep.equal([
      "platform:queueMaxConcurrency: 5 is above processOrder's reserved concurrency (4, from reservedConcurrency.process-order); lower it or reserve more",
    ]);
    expect(problemsOf(raw({ "*": 3 }, 5))).to.deep.equal([
      "platform:queueMaxConcurrency: 5 is above processOrder's reserved concurrency (3, from reservedConcurrency.*); lower it or reserve more",
    ]);
    expect(() => parseConfig(raw({ "process-order": 5, "*": 1 }, 5), "dev")).to.not.throw();
    expect(problemsOf(raw({}, 1))[0]).to.match(/^platform:queueMaxConcurrency: must be from 2 to 1000/);
    expect(problemsOf(raw({ health: 0 }, 5))[0]).to.match(/^platform:reservedConcurrency\.health: must be from 1 to 1000/);
  });

  it("refuses a network whose forms clash or are incomplete, each problem naming its key", () => {
    const raw = (network: unknown, stack = "dev") => ({
      ...(stack === "prod" ? readStackConfig(PROGRAM_DIR, "prod").config : devConfig()),
      "platform:network": JSON.stringify(network),
    });
    const ok = (network: unknown, stack = "dev") => parseConfig(raw(network, stack), stack).app.network;
    expect(ok({})).to.deep.equal({});
    expect(ok({ create: {}, functions: ["get-order"] })).to.deep.equal({
      create: { natGateways: "None", availabilityZones: 2, cidrBlock: "10.0.0.0/16" },
      functions: ["get-order"],
    });
    expect(ok({ vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0"] }).vpcId).to.equal("vpc-0123456789abcdef0");
    expect(
      problemsOf(raw({ privateSubnetIds: ["subnet-0123456789abcdef0"], endpointSecurityGroupId: "sg-0123456789abcdef0" })),
    ).to.deep.equal([
      "platform:network.privateSubnetIds: needs network.vpcId, the VPC they are in",
      "platform:network.endpointSecurityGroupId: needs network.vpcId, the VPC it is in",
    ]);
    expect(problemsOf(raw({ vpcId: "vpc-0123456789abcdef0" }))).to.deep.equal([
      "platform:network.vpcId: needs network.privateSubnetIds, the subnets functions go in",
    ]);
    expect(problemsOf(raw({ create: {}, vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0"] }))).to.deep.equal([
      "platform:network: set create (a VPC made here) or vpcId (one that exists), not both",
    ]);
    expect(problemsOf(raw({ functions: ["get-order"] }))).to.deep.equal([
      "platform:network.functions: needs a network to run in: network.create, or network.vpcId and privateSubnetIds",
    ]);
    // Prod wants two AZs, in either form; one is enough elsewhere.
    expect(
      problemsOf(raw({ vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0"] }, "prod"), "prod"),
    ).to.deep.equal(["platform:network.privateSubnetIds: prod needs at least two subnets, in two availability zones (got 1)"]);
    expect(problemsOf(raw({ create: { availabilityZones: 1 } }, "prod"), "prod")).to.deep.equal([
      "platform:network.create.availabilityZones: prod needs at least two (got 1)",
    ]);
    expect(ok({ create: { availabilityZones: 1 } }).create!.availabilityZones).to.equal(1);
    expect(ok({ create: { availabilityZones: 2 } }, "prod").create!.availabilityZones).to.equal(2);
    expect(
      problemsOf(raw({ create: { availabilityZones: 7, natGateways: "Many", cidrBlock: "10.0.0.0/8" }, vpcId: "vpc-x" })),
    ).to.deep.equal([
      'platform:network.create.natGateways: Invalid option: expected one of "None"|"Single"|"OnePerAz" (got "Many")',
      "platform:network.create.availabilityZones: must be from 1 to 6 (got 7)",
      'platform:network.create.cidrBlock: must be an IPv4 range from /16 to /28, like 10.0.0.0/16 (got "10.0.0.0/8")',
      'platform:network.vpcId: must be a VPC id like vpc-0123456789abcdef0 (got "vpc-x")',
    ]);
  });

  it("takes a private legacy origin only with a network, and a server name only for a private origin", () => {
    const listener = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/legacy/50dc6c495c0c9188/f2f7dc8efc522ab2";
    const service = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-e4anhexample0004";
    const raw = (extra: Record<string, string>) => ({ ...devConfig(), ...extra });
    expect(problemsOf(raw({ "platform:legacyOrigin": listener }))).to.deep.equal([
      "platform:legacyOrigin: a private backend is reached through a VPC link in the network's private subnets: set network.create, or network.vpcId and privateSubnetIds",
    ]);
    const withNetwork = { "platform:network": JSON.stringify({ create: {} }) };
    expect(parseConfig(raw({ "platform:legacyOrigin": service, ...withNetwork }), "dev").app.legacyOrigin).to.equal(service);
    const parsed = parseConfig(
      raw({ "platform:legacyOrigin": listener, "platform:legacyOriginServerName": "legacy.internal.example.com", ...withNetwork }),
      "dev",
    );
    expect(parsed.app).to.deep.include({ legacyOriginServerName: "legacy.internal.example.com", legacyOriginPort: 443 });
    expect(problemsOf(raw({ "platform:legacyOriginServerName": "legacy.example.com" }))).to.deep.equal([
      "platform:legacyOriginServerName: applies to a private legacyOrigin only; a public one is checked against its URL's host",
    ]);
    expect(problemsOf(raw({ "platform:legacyOriginPort": "65536" }))[0]).to.match(/^platform:legacyOriginPort: must be from 1 to 65535/);
    expect(problemsOf(raw({ "platform:legacyOriginPort": "0" }))[0]).to.match(/^platform:legacyOriginPort: must be from 1 to 65535/);
    expect(
      problemsOf(raw({ "platform:legacyOrigin": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1" }))[0],
    ).to.match(/^platform:legacyOrigin: must be an http\(s\) URL, or a private backend/);
  });

  it("rejects a burst limit below the rate limit and a bad legacy origin", () => {
    const problems = problemsOf({ ...devConfig(), "platform:throttleBurstLimit": "10", "platform:legacyOrigin": "ftp://x" });
    expect(problems).to.include(
      `platform:legacyOrigin: must be an http(s) URL, or a private backend: an internal load balancer listener's ARN or a Cloud Map service's ARN (got "ftp://x")`,
    );
    const burst = problemsOf({ ...devConfig(), "platform:throttleBurstLimit": "10" });
    expect(burst).to.deep.equal(["platform:throttleBurstLimit: must be at least throttleRateLimit (50)"]);
  });

  it("runs a stack without a file with an empty config, as the CLI does, so its required keys are missing", () => {
    expect(() => readStackConfig(PROGRAM_DIR, "qa")).to.throw(
      "Stack 'qa' is missing configuration values 'environment', 'faultInjection',",
    );
  });
});

describe("stack config: accounts and deploy roles", () => {
  const prodConfig = () => ({ ...readStackConfig(PROGRAM_DIR, "prod").config });

  it("pins each stack to its account and a deploy role in that same account", () => {
    for (const [stack, account] of [
      ["dev", "111111111111"],
      ["stage", "222222222222"],
      ["prod", "333333333333"],
    ]) {
      const raw = readStackConfig(PROGRAM_DIR, stack).config;
      expect(JSON.parse(raw["aws:allowedAccountIds"])).to.deep.equal([account]);
      expect(JSON.parse(raw["aws:assumeRoles"])[0].roleArn).to.equal(`arn:aws:iam::${account}:role/platform-deploy`);
      expect(parseConfig(raw, stack, { siblings: siblingAccounts(PROGRAM_DIR, stack) }).accountId).to.equal(account);
    }
  });

  it("rejects a stack without a deploy role, or with one in another account", () => {
    const { ["aws:assumeRoles"]: _, ...without } = devConfig();
    expect(problemsOf(without)).to.deep.include(
      'aws:assumeRoles: is required: the deploy role to assume in the stack\'s account (see "Stacks and accounts" in README.md)',
    );
    const elsewhere = {
      ...devConfig(),
      "aws:assumeRoles": JSON.stringify([{ roleArn: "arn:aws:iam::999999999999:role/platform-deploy" }]),
    };
    expect(problemsOf(elsewhere)).to.deep.include(
      "aws:assumeRoles: the role arn:aws:iam::999999999999:role/platform-deploy is in account 999999999999, not in the stack's account 111111111111",
    );
  });

  it("rejects a prod stack that shares its account with dev or stage", () => {
    const shared = [{ stack: "dev", environment: "dev", accountId: "333333333333" }];
    expect(problemsOfOrNone(prodConfig(), "prod", shared)).to.deep.equal([
      'aws:allowedAccountIds: prod shares account 333333333333 with the dev stack "dev"; prod needs an account of its own',
    ]);
    expect(problemsOfOrNone(prodConfig(), "prod", siblingAccounts(PROGRAM_DIR, "prod"))).to.deep.equal([]);
  });
});

function problemsOfOrNone(raw: Record<string, string>, stack: string, siblings: SiblingAccount[]): string[] {
  try {
    parseConfig(raw, stack, { siblings });
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

describe("stack config: placeholders", () => {
  const devConfig = () => ({ ...readStackConfig(PROGRAM_DIR, "dev").config });
  const stageConfig = () => ({ ...readStackConfig(PROGRAM_DIR, "stage").config });
  /** The dev stack with every placeholder replaced by a real-looking value. */
  const realDev = () => ({
    ...devConfig(),
    "aws:allowedAccountIds": JSON.stringify(["481516234200"]),
    "aws:assumeRoles": JSON.stringify([{ roleArn: "arn:aws:iam::481516234200:role/platform-deploy" }]),
    "platform:alarmEmails": JSON.stringify(["oncall@acme.io"]),
    "platform:legacyOrigin": "https://legacy.acme.io",
  });

  it("accepts the committed placeholders offline, where the previews and the local cloud run", () => {
    expect(() => parseConfig(devConfig(), "dev")).to.not.throw();
  });

  it("refuses every placeholder in a real deploy, naming the stack file, the key and the README section", () => {
    const problems = (() => {
      try {
        parseConfig(stageConfig(), "stage", { deploying: true });
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    const hint = '(README.md, "Before the first deploy")';
    expect(problems).to.deep.equal([
      `Pulumi.stage.yaml: aws:allowedAccountIds holds the placeholder account 222222222222; put the stage account's id there ${hint}`,
      `Pulumi.stage.yaml: aws:assumeRoles holds a deploy role in the placeholder account 222222222222; name the deploy role the baseline stack created in your account ${hint}`,
      `Pulumi.stage.yaml: platform:alarmEmails holds the example address stage-alerts@example.com; list addresses someone reads ${hint}`,
      `Pulumi.stage.yaml: platform:legacyOrigin holds the example origin https://legacy.stage.example.com; point it at your backend, or set it to "" for none ${hint}`,
      `Pulumi.stage.yaml: platform:edgeDomain holds the example domain api.stage.example.com; use a domain in your Route53 zone ${hint}`,
      `Pulumi.stage.yaml: platform:edgeHostedZoneId holds the example zone Z0123456789STAGEEXAMPLE; use your Route53 hosted zone's id ${hint}`,
    ]);
    const prod = (() => {
      try {
        parseConfig(readStackConfig(PROGRAM_DIR, "prod").config, "prod", { deploying: true });
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    expect(prod).to.include(
      `Pulumi.prod.yaml: platform:alarmSmsNumbers holds the fictional number +15555550100; list numbers of the on-call ${hint}`,
    );
  });

  it("refuses the AWS documentation's account id too, and passes a stack with real values", () => {
    const docs = {
      ...realDev(),
      "aws:allowedAccountIds": JSON.stringify(["123456789012"]),
      "aws:assumeRoles": JSON.stringify([{ roleArn: "arn:aws:iam::123456789012:role/platform-deploy" }]),
    };
    expect(() => parseConfig(docs, "dev")).to.not.throw();
    expect(() => parseConfig(docs, "dev", { deploying: true })).to.throw("holds the placeholder account 123456789012");
    expect(parseConfig(realDev(), "dev", { deploying: true }).accountId).to.equal("481516234200");
  });

  it("stops the program itself under the CLI (an engine attached), before anything is planned", async () => {
    const runtime = pulumi.runtime as { hasEngine: () => boolean };
    const hasEngine = runtime.hasEngine;
    runtime.hasEngine = () => true;
    let message = "";
    try {
      await captureStack(PROGRAM_DIR, "dev").catch((err) => (message = err.message));
    } finally {
      runtime.hasEngine = hasEngine;
    }
    expect(message).to.include('Invalid config for stack "dev"');
    expect(message).to.include("Pulumi.dev.yaml: aws:allowedAccountIds holds the placeholder account 111111111111");
    expect((await captureStack(PROGRAM_DIR, "dev")).resources.length).to.be.greaterThan(50);
  });
});
