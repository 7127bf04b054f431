import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { kept, Transform, transformed } from "./child";
import { policyDocument, PolicyStatement } from "./iam";

/** GitHub Actions' OIDC issuer, and the audience AWS's official action asks for. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
const GITHUB_AUDIENCE = "sts.amazonaws.com";

/** The roles an account gives deploys and previews, by their fixed names: stack files and workflows name them. */
export const ROLE_NAMES = {
  deploy: "platform-deploy",
  preview: "platform-preview",
  ciDeploy: "platform-ci-deploy",
  ciPreview: "platform-ci-preview",
  boundary: "platform-deploy-boundary",
} as const;

/** Who may deploy into and preview an account: GitHub's OIDC provider, the CI entry roles, and the roles that do the work. */
export interface AccountAccessArgs {
  /** The repository whose workflows may deploy and preview, as owner/name. */
  repository: string;
  /** The GitHub environments whose deploy jobs may deploy into this account, e.g. ["dev"]. */
  deployEnvironments: string[];
  /** Protect the OIDC provider and the roles, and keep them on destroy: every deploy depends on them. @default true */
  protect?: boolean;
  /** Adjusts a child before it is created. @default none */
  transform?: {
    deployRole?: Transform<aws.iam.RoleArgs>;
    previewRole?: Transform<aws.iam.RoleArgs>;
    boundary?: Transform<aws.iam.PolicyArgs>;
  };
}

/**
 * Two roles per purpose (see docs/decisions/0005-ci-roles.md): GitHub's token may assume only an entry
 * role, scoped by its `sub` claim, and the entry role may only assume the role that does the work.
 * The deploy role holds broad rights under a permissions boundary that keeps it off this account's
 * access itself, long-lived credentials, and the account's own settings.
 */
export class AccountAccess extends pulumi.ComponentResource {
  public readonly oidcProvider: aws.iam.OpenIdConnectProvider;
  public readonly boundary: aws.iam.Policy;
  public readonly deployRole: aws.iam.Role;
  public readonly previewRole: aws.iam.Role;
  public readonly ciDeployRole: aws.iam.Role;
  public readonly ciPreviewRole: aws.iam.Role;

  constructor(name: string, args: AccountAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:account:AccountAccess", name, {}, opts);
    validate(name, args);
    const protect = kept(args.protect ?? true);
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const roleArn = (role: string) => pulumi.interpolate`arn:aws:iam::${account}:role/${role}`;

    this.oidcProvider = new aws.iam.OpenIdConnectProvider(
      `${name}-github`,
      { url: `https://${GITHUB_OIDC_HOST}`, clientIdLists: [GITHUB_AUDIENCE] },
      { parent: this, ...protect },
    );
    this.boundary = this.createBoundary(name, args, account);
    this.deployRole = this.createWorkingRole(name, "deploy", args, account, protect, {
      description: "Deploys the application stacks of this account, under a permissions boundary",
      permissionsBoundary: this.boundary.arn,
    });
    new aws.iam.RolePolicyAttachment(
      `${name}-deploy-rights`,
      { role: this.deployRole.name, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
      { parent: this },
    );
    this.previewRole = this.createWorkingRole(name, "preview", args, account, protect, {
      description: "Previews the application stacks of this account: reads configuration, never data",
    });
    new aws.iam.RolePolicyAttachment(
      `${name}-preview-rights`,
      { role: this.previewRole.name, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-preview-no-data`,
      { role: this.previewRole.name, policy: policyDocument([noDataReads()]) },
      { parent: this },
    );
    const subject = (claim: string) => `repo:${args.repository}:${claim}`;
    this.ciDeployRole = this.createEntryRole(
      name,
      ROLE_NAMES.ciDeploy,
      args.deployEnvironments.map((e) => subject(`environment:${e}`)),
      roleArn(ROLE_NAMES.deploy),
      protect,
    );
    this.ciPreviewRole = this.createEntryRole(name, ROLE_NAMES.ciPreview, [subject("pull_request")], roleArn(ROLE_NAMES.preview), protect);
    this.registerOutputs({ deployRoleArn: this.deployRole.arn, previewRoleArn: this.previewRole.arn });
  }

  /** The ceiling on what the deploy role can do: everything but the account's access, credentials and settings. */
  private createBoundary(name: string, args: AccountAccessArgs, account: pulumi.Output<string>): aws.iam.Policy {
    const own = [
      pulumi.interpolate`arn:aws:iam::${account}:role/platform-*`,
      pulumi.interpolate`arn:aws:iam::${account}:policy/platform-*`,
      pulumi.interpolate`arn:aws:iam::${account}:oidc-provider/${GITHUB_OIDC_HOST}`,
    ];
    const statements: PolicyStatement[] = [
      { Sid: "Ceiling", Action: ["*"], Resource: "*" },
      { Sid: "NotThisAccountsAccess", Effect: "Deny", Action: ["iam:*"], Resource: own },
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
    ];
    return new aws.iam.Policy(
      ...transformed(
        args.transform?.boundary,
        `${name}-boundary`,
        { name: ROLE_NAMES.boundary, description: "The deploy role's permissions boundary", policy: policyDocument(statements) },
        { parent: this },
      ),
    );
  }

  /** A role that does the work, trusted by the account: its admins, and the CI entry role that may assume it. */
  private createWorkingRole(
    name: string,
    purpose: "deploy" | "preview",
    args: AccountAccessArgs,
    account: pulumi.Output<string>,
    protect: { protect: boolean; retainOnDelete: boolean },
    extra: Partial<aws.iam.RoleArgs>,
  ): aws.iam.Role {
    const trust = pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: pulumi.interpolate`arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }],
    });
    const transform = purpose === "deploy" ? args.transform?.deployRole : args.transform?.previewRole;
    return new aws.iam.Role(
      ...transformed(
        transform,
        `${name}-${purpose}`,
        { name: ROLE_NAMES[purpose], assumeRolePolicy: trust, maxSessionDuration: 3600, ...extra },
        { parent: this, ...protect },
      ),
    );
  }

  /** An entry role for GitHub's OIDC token with one of `subjects`, allowed nothing but assuming `target`. */
  private createEntryRole(
    name: string,
    roleName: string,
    subjects: string[],
    target: pulumi.Input<string>,
    protect: { protect: boolean; retainOnDelete: boolean },
  ): aws.iam.Role {
    const trust = pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: this.oidcProvider.arn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_AUDIENCE, [`${GITHUB_OIDC_HOST}:sub`]: subjects } },
        },
      ],
    });
    const key = `${name}-${roleName.replace(/^platform-/, "")}`;
    const role = new aws.iam.Role(key, { name: roleName, assumeRolePolicy: trust, maxSessionDuration: 3600 }, { parent: this, ...protect });
    new aws.iam.RolePolicy(
      `${key}-policy`,
      {
        role: role.name,
        policy: policyDocument([{ Sid: "AssumeWorkingRole", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: target }]),
      },
      { parent: this },
    );
    return role;
  }
}

/**
 * What a preview never needs: the data in objects, items, messages and secrets. ReadOnlyAccess allows
 * reading them; this takes it back, so a pull request's preview cannot read production data.
 */
function noDataReads(): PolicyStatement {
  return {
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
      // npm run logs --follow's live tail session. Not logs:DescribeLogGroups, its first step: that is the
      // log group's settings, which `pulumi preview --refresh` reads every log group with.
      "logs:StartLiveTail",
    ],
    Resource: "*",
  };
}

function validate(name: string, args: AccountAccessArgs): void {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(args.repository))
    problems.push(`repository must be owner/name (got "${args.repository}")`);
  if (args.deployEnvironments.length === 0) problems.push("deployEnvironments must name at least one GitHub environment that deploys here");
  for (const e of args.deployEnvironments.filter((e) => !/^[A-Za-z0-9_.-]+$/.test(e)))
    problems.push(`"${e}" is not a GitHub environment name`);
  if (problems.length > 0) throw new Error(`AccountAccess "${name}": ${problems.join("; ")}`);
}
