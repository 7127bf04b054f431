/**
 * AccountAccess on its own: GitHub's OIDC provider, the two entry roles and the two working roles by
 * their fixed names, the deploy role's boundary statement by statement, the preview role's rights and
 * the data reads it is denied, protection both ways, the transforms, and bad arguments all named at once.
 */
import { expect } from "chai";
import { AccountAccess, ROLE_NAMES } from "../../components/account-access";
import { captureComponents, constructionError, GraphView, keptOptions, parsed } from "../harness";

const ROLE = "aws:iam/role:Role";
const POLICY = "aws:iam/rolePolicy:RolePolicy";

describe("AccountAccess", () => {
  let graph: GraphView;
  let account: string;
  before(async () => {
    graph = await captureComponents(() => {
      new AccountAccess("access", { repository: "acme/shop", deployEnvironments: ["dev", "dev-alice"] });
      new AccountAccess("loose", {
        repository: "acme/shop",
        deployEnvironments: ["prod"],
        protect: false,
        transform: {
          deployRole: (args) => void (args.maxSessionDuration = 7200),
          previewRole: (args) => void (args.description = "custom preview"),
          boundary: (args) => void (args.description = "custom boundary"),
        },
      });
    });
    account = graph.graph.placement.accountId;
  });
  const role = (name: string) => graph.one(ROLE, name);
  const trust = (name: string) => parsed(role(name), "assumeRolePolicy");

  it("names the roles as stack files and workflows expect them", () => {
    expect(ROLE_NAMES).to.deep.equal({
      deploy: "platform-deploy",
      preview: "platform-preview",
      ciDeploy: "platform-ci-deploy",
      ciPreview: "platform-ci-preview",
      boundary: "platform-deploy-boundary",
    });
    expect(["access-deploy", "access-preview", "access-ci-deploy", "access-ci-preview"].map((n) => role(n).inputs.name)).to.deep.equal([
      "platform-deploy",
      "platform-preview",
      "platform-ci-deploy",
      "platform-ci-preview",
    ]);
  });

  it("trusts GitHub's token, for sts.amazonaws.com, only as an entry role and only for the subjects it names", () => {
    const provider = graph.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "access-github");
    expect(provider.inputs).to.deep.equal({ url: "https://token.actions.githubusercontent.com", clientIdLists: ["sts.amazonaws.com"] });
    expect(trust("access-ci-deploy")).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: provider.arn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": ["repo:acme/shop:environment:dev", "repo:acme/shop:environment:dev-alice"],
            },
          },
        },
      ],
    });
    expect(trust("access-ci-preview").Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]).to.deep.equal([
      "repo:acme/shop:pull_request",
    ]);
    for (const entry of ["access-ci-deploy", "access-ci-preview"]) expect(role(entry).inputs.maxSessionDuration).to.equal(3600);
  });

  it("lets each entry role do nothing but assume its working role", () => {
    const policy = (name: string) => graph.one(POLICY, name);
    expect(policy("access-ci-deploy-policy").inputs.role).to.equal("platform-ci-deploy");
    expect(parsed(policy("access-ci-deploy-policy"), "policy")).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AssumeWorkingRole",
          Effect: "Allow",
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Resource: `arn:aws:iam::${account}:role/platform-deploy`,
        },
      ],
    });
    expect(policy("access-ci-preview-policy").inputs.role).to.equal("platform-ci-preview");
    expect(parsed(policy("access-ci-preview-policy"), "policy").Statement[0].Resource).to.equal(
      `arn:aws:iam::${account}:role/platform-preview`,
    );
  });

  it("gives the working roles an hour's session, trusted by the account itself", () => {
    for (const name of ["access-deploy", "access-preview"]) {
      expect(trust(name)).to.deep.equal({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }],
      });
      expect(role(name).inputs.maxSessionDuration).to.equal(3600);
    }
    expect(role("access-deploy").inputs.description).to.equal(
      "Deploys the application stacks of this account, under a permissions boundary",
    );
    expect(role("access-preview").inputs.description).to.equal(
      "Previews the application stacks of this account: reads configuration, never data",
    );
    expect(role("access-preview").inputs.permissionsBoundary).to.equal(undefined);
  });

  it("bounds the deploy role's administrator rights: not this account's access, no long-lived credentials, not the account's settings", () => {
    const boundary = graph.one("aws:iam/policy:Policy", "access-boundary");
    expect(role("access-deploy").inputs.permissionsBoundary).to.equal(boundary.arn);
    expect(boundary.inputs).to.deep.include({ name: "platform-deploy-boundary", description: "The deploy role's permissions boundary" });
    expect(parsed(boundary, "policy")).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        { Sid: "Ceiling", Effect: "Allow", Action: ["*"], Resource: "*" },
        {
          Sid: "NotThisAccountsAccess",
          Effect: "Deny",
          Action: ["iam:*"],
          Resource: [
            `arn:aws:iam::${account}:role/platform-*`,
            `arn:aws:iam::${account}:policy/platform-*`,
            `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`,
          ],
        },
        {
          Sid: "NoLongLivedCredentials",
          Effect: "Deny",
          Action: [
            "iam:CreateUser",
            "iam:CreateAccessKey",
            "iam:CreateLoginProfile",
            "iam:UpdateLoginProfile",
            "iam:AttachUserPolicy",
            "iam:PutUserPolicy",
          ],
          Resource: "*",
        },
        {
          Sid: "NotTheAccountsSettings",
          Effect: "Deny",
          Action: [
            "organizations:*",
            "account:*",
            "config:DeleteConfigurationRecorder",
            "config:StopConfigurationRecorder",
            "config:DeleteDeliveryChannel",
            "cloudtrail:StopLogging",
            "cloudtrail:DeleteTrail",
          ],
          Resource: "*",
        },
      ],
    });
    const rights = graph.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "access-deploy-rights");
    expect(rights.inputs).to.deep.equal({ role: "platform-deploy", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
  });

  it("lets the preview role read configuration (log groups' settings too, which a refresh reads) and denies it every data read, live log tails included", () => {
    const rights = graph.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "access-preview-rights");
    expect(rights.inputs).to.deep.equal({ role: "platform-preview", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
    const noData = graph.one(POLICY, "access-preview-no-data");
    expect(noData.inputs.role).to.equal("platform-preview");
    expect(parsed(noData, "policy").Statement).to.deep.equal([
      {
        Sid: "NoDataReads",
        Effect: "Deny",
        Action: [
          "s3:GetObject",
          "s3:GetObjectVersion",
          "dynamodb:GetItem",
          "dynamodb:BatchGetItem",
          "dynamodb:Query",
          "dynamodb:Scan",
          "sqs:ReceiveMessage",
          "secretsmanager:GetSecretValue",
          "ssm:GetParameter",
          "ssm:GetParameters",
          "ssm:GetParametersByPath",
          "kms:Decrypt",
          "lambda:InvokeFunction",
          "logs:GetLogEvents",
          "logs:FilterLogEvents",
          "logs:StartLiveTail",
        ],
        Resource: "*",
      },
    ]);
  });

  it("protects and keeps the provider and the roles by default, and not when told", () => {
    const kept = (type: string, name: string) => keptOptions(graph.one(type, name));
    for (const prefix of ["access", "loose"]) {
      const expected = prefix === "access" ? [true, true] : [false, false];
      expect(kept("aws:iam/openIdConnectProvider:OpenIdConnectProvider", `${prefix}-github`), prefix).to.deep.equal(expected);
      for (const name of ["deploy", "preview", "ci-deploy", "ci-preview"])
        expect(kept(ROLE, `${prefix}-${name}`), name).to.deep.equal(expected);
    }
  });

  it("lets a transform adjust the deploy role, the preview role and the boundary before they are created", () => {
    expect(role("loose-deploy").inputs.maxSessionDuration).to.equal(7200);
    expect(role("loose-preview").inputs.description).to.equal("custom preview");
    expect(graph.one("aws:iam/policy:Policy", "loose-boundary").inputs.description).to.equal("custom boundary");
    expect(role("access-deploy").inputs.maxSessionDuration).to.equal(3600);
  });

  it("names every bad argument at once: a repository that is not owner/name, no environment, a name GitHub does not allow", async () => {
    expect(await constructionError(() => new AccountAccess("bad", { repository: "shop", deployEnvironments: [] }))).to.equal(
      'AccountAccess "bad": repository must be owner/name (got "shop"); deployEnvironments must name at least one GitHub environment that deploys here',
    );
    expect(
      await constructionError(
        () => new AccountAccess("bad", { repository: "acme/shop/extra", deployEnvironments: ["dev", "my env", "x:y"] }),
      ),
    ).to.equal(
      'AccountAccess "bad": repository must be owner/name (got "acme/shop/extra"); "my env" is not a GitHub environment name; "x:y" is not a GitHub environment name',
    );
    // Both limits of a valid name: letters, digits, _ . - on either side of one slash.
    for (const repository of ["/shop", "acme/", " acme/shop", "acme/shop "])
      expect(await constructionError(() => new AccountAccess("bad", { repository, deployEnvironments: ["dev"] }))).to.equal(
        `AccountAccess "bad": repository must be owner/name (got "${repository}")`,
      );
  });
});
