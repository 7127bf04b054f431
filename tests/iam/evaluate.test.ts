/**
 * The local IAM evaluator against AWS's documented evaluation logic. Cases follow the IAM User Guide:
 * "Policy evaluation logic" (deny wins, then allow, else implicit deny; resource-based policies within
 * an account; permissions boundaries), "Condition operators" and "Conditions with multiple context keys
 * or values" (missing keys, IfExists, Null, AND across keys, OR across values), and the KMS Developer
 * Guide's "Key policies" (a key policy must allow, directly or through the account's root).
 */
import { expect } from "chai";
import {
  actionMatches,
  authorize,
  AuthorizationRequest,
  NamedPolicy,
  PolicyUnavailableError,
  Principal,
  resourceMatches,
  Statement,
  UnsupportedPolicyError,
} from "../../local/iam/evaluate";

const ACCOUNT = "111122223333";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app-role`;
const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/app-role/app-function`;
const BUCKET = "arn:aws:s3:::docs";
const role: Principal = { kind: "role", arn: ROLE, account: ACCOUNT, sessionArn: SESSION };
const service = (name: string): Principal => ({ kind: "service", arn: name, account: ACCOUNT });

const policy = (name: string, ...statements: Statement[]): NamedPolicy => ({
  name,
  document: { Version: "2012-10-17", Statement: statements },
});
const request = (
  action: string,
  resource: string,
  context: AuthorizationRequest["context"] = {},
  principal = role,
): AuthorizationRequest => ({
  principal,
  action,
  resource,
  context: { "aws:SecureTransport": "true", "aws:PrincipalArn": ROLE, ...context },
});
const allow = (Action: string | string[], Resource: string | string[], extra: Partial<Statement> = {}): Statement => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});

describe("local IAM evaluator", () => {
  describe("the order of evaluation", () => {
    it("denies implicitly when no statement allows", () => {
      const decision = authorize(request("s3:GetObject", `${BUCKET}/a`), { identity: [policy("p", allow("s3:PutObject", `${BUCKET}/*`))] });
      expect(decision).to.deep.equal({ allowed: false, reason: "implicit-deny", kind: "identity-based policy" });
    });

    it("allows what an identity policy allows", () => {
      const decision = authorize(request("s3:GetObject", `${BUCKET}/a`), {
        identity: [policy("p", allow("s3:GetObject", `${BUCKET}/*`, { Sid: "Read" }))],
      });
      expect(decision).to.deep.equal({ allowed: true, reason: "allowed", by: { policy: "p", sid: "Read" } });
    });

    it("lets an explicit deny in the resource policy win over an identity allow", () => {
      const decision = authorize(request("s3:GetObject", `${BUCKET}/private/x`), {
        identity: [policy("p", allow("s3:GetObject", `${BUCKET}/*`))],
        resource: policy("bucket policy", {
          Sid: "NoPrivate",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: `${BUCKET}/private/*`,
        }),
      });
      expect(decision).to.deep.equal({
        allowed: false,
        reason: "explicit-deny",
        by: { policy: "bucket policy", sid: "NoPrivate" },
        kind: "resource-based policy",
      });
    });

    it("lets an explicit deny in an identity policy win over the resource policy's allow", () => {
      const decision = authorize(request("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:q"), {
        identity: [policy("guard", { Sid: "NoSend", Effect: "Deny", Action: "sqs:SendMessage", Resource: "*" })],
        resource: policy("queue policy", { Effect: "Allow", Principal: { AWS: ROLE }, Action: "sqs:SendMessage", Resource: "*" }),
      });
      expect(decision.reason).to.equal("explicit-deny");
      expect(decision.kind).to.equal("identity-based policy");
    });

    it("allows within the account through a resource policy that names the role, with no identity policy", () => {
      const queue = "arn:aws:sqs:eu-west-1:111122223333:inbox";
      const resource = policy("queue policy", {
        Sid: "Producer",
        Effect: "Allow",
        Principal: { AWS: ROLE },
        Action: "sqs:SendMessage",
        Resource: queue,
      });
      expect(authorize(request("sqs:SendMessage", queue), { identity: [], resource }).allowed).to.equal(true);
      // The same policy names no one else, and grants nothing else.
      const other: Principal = { ...role, arn: `arn:aws:iam::${ACCOUNT}:role/other`, sessionArn: undefined };
      expect(authorize(request("sqs:SendMessage", queue, {}, other), { identity: [], resource }).allowed).to.equal(false);
      expect(authorize(request("sqs:DeleteMessage", queue), { identity: [], resource }).allowed).to.equal(false);
    });

    it("does not take a resource policy that names only the account as a grant on its own", () => {
      const queue = "arn:aws:sqs:eu-west-1:111122223333:inbox";
      const resource = policy("queue policy", {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "sqs:*",
        Resource: queue,
      });
      expect(authorize(request("sqs:SendMessage", queue), { identity: [], resource }).allowed).to.equal(false);
      expect(
        authorize(request("sqs:SendMessage", queue), { identity: [policy("p", allow("sqs:SendMessage", queue))], resource }).allowed,
      ).to.equal(true);
    });
  });

  describe("Action, NotAction, Resource, NotResource and wildcards", () => {
    it("matches actions case-insensitively and with * and ?", () => {
      expect(actionMatches("sqs:sendmessage", "sqs:SendMessage")).to.equal(true);
      expect(actionMatches("s3:Get*", "s3:GetObjectVersion")).to.equal(true);
      expect(actionMatches("s3:Get*", "s3:PutObject")).to.equal(false);
      expect(actionMatches("s3:?etObject", "s3:GetObject")).to.equal(true);
      expect(actionMatches("s3:?etObject", "s3:GGetObject")).to.equal(false);
      expect(actionMatches("sqs:SendMessage", "sqs:SendMessageBatch")).to.equal(false);
    });

    it("matches resources case-sensitively, * spanning slashes and colons", () => {
      expect(resourceMatches(`${BUCKET}/*`, `${BUCKET}/a/b/c`)).to.equal(true);
      expect(resourceMatches(`${BUCKET}/*`, "arn:aws:s3:::DOCS/a")).to.equal(false);
      expect(
        resourceMatches(
          "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:*",
          "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:log-stream:x",
        ),
      ).to.equal(true);
      expect(
        resourceMatches(
          "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:*",
          "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/g:log-stream:x",
        ),
      ).to.equal(false);
      expect(resourceMatches("*", "anything")).to.equal(true);
      // Regular-expression characters in an ARN are literal.
      expect(resourceMatches("arn:aws:s3:::a.b/*", "arn:aws:s3:::aXb/k")).to.equal(false);
    });

    it("allows everything but NotAction's actions", () => {
      const identity = [policy("p", { Effect: "Allow", NotAction: "iam:*", Resource: "*" })];
      expect(authorize(request("s3:GetObject", `${BUCKET}/a`), { identity }).allowed).to.equal(true);
      expect(authorize(request("iam:CreateUser", "*"), { identity }).allowed).to.equal(false);
    });

    it("denies everywhere but NotResource's resources", () => {
      const identity = [policy("p", allow("s3:*", "*"), { Effect: "Deny", Action: "s3:*", NotResource: [BUCKET, `${BUCKET}/*`] })];
      expect(authorize(request("s3:GetObject", `${BUCKET}/a`), { identity }).allowed).to.equal(true);
      expect(authorize(request("s3:GetObject", "arn:aws:s3:::other/a"), { identity }).reason).to.equal("explicit-deny");
    });

    it("takes a single string or a list for Action and Resource", () => {
      const identity = [policy("p", allow(["sqs:SendMessage", "sqs:GetQueueUrl"], ["arn:aws:sqs:*:*:a", "arn:aws:sqs:*:*:b"]))];
      expect(authorize(request("sqs:GetQueueUrl", "arn:aws:sqs:eu-west-1:1:b"), { identity }).allowed).to.equal(true);
      expect(authorize(request("sqs:GetQueueUrl", "arn:aws:sqs:eu-west-1:1:c"), { identity }).allowed).to.equal(false);
    });
  });

  describe("conditions", () => {
    const readWith = (Condition: Statement["Condition"]) => [policy("p", allow("s3:GetObject", `${BUCKET}/*`, { Condition }))];
    const decide = (Condition: Statement["Condition"], context: AuthorizationRequest["context"]) =>
      authorize(request("s3:GetObject", `${BUCKET}/a`, context), { identity: readWith(Condition) }).allowed;

    it("leaves TLS-only denies idle for local requests, which count as TLS", () => {
      const resource = policy("bucket policy", {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [BUCKET, `${BUCKET}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
      const identity = readWith(undefined);
      expect(authorize(request("s3:GetObject", `${BUCKET}/a`), { identity, resource }).allowed).to.equal(true);
      expect(authorize(request("s3:GetObject", `${BUCKET}/a`, { "aws:SecureTransport": "false" }), { identity, resource }).reason).to.equal(
        "explicit-deny",
      );
    });

    it("ORs a key's values and ANDs the keys (the guide's department and role example)", () => {
      const condition = {
        StringEquals: { "aws:PrincipalTag/department": ["finance", "hr"], "aws:PrincipalTag/role": ["audit", "security"] },
      };
      expect(decide(condition, { "aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "audit" })).to.equal(true);
      expect(decide(condition, { "aws:PrincipalTag/department": "hr", "aws:PrincipalTag/role": "dev" })).to.equal(false);
      expect(decide(condition, { "aws:PrincipalTag/department": "legal", "aws:PrincipalTag/role": "audit" })).to.equal(false);
      expect(decide(condition, { "aws:PrincipalTag/department": "hr" })).to.equal(false);
    });

    it("makes a condition on a missing key false, a negated one true, and ...IfExists true", () => {
      expect(decide({ StringEquals: { "aws:SourceVpc": "vpc-1" } }, {})).to.equal(false);
      expect(decide({ StringNotEquals: { "aws:SourceVpc": "vpc-1" } }, {})).to.equal(true);
      expect(decide({ StringEqualsIfExists: { "aws:SourceVpc": "vpc-1" } }, {})).to.equal(true);
      expect(decide({ StringEqualsIfExists: { "aws:SourceVpc": "vpc-1" } }, { "aws:SourceVpc": "vpc-2" })).to.equal(false);
    });

    it("NORs a negated operator's values", () => {
      expect(
        decide({ StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "eu-central-1"] } }, { "aws:RequestedRegion": "eu-west-1" }),
      ).to.equal(false);
      expect(
        decide({ StringNotEquals: { "aws:RequestedRegion": ["eu-west-1", "eu-central-1"] } }, { "aws:RequestedRegion": "us-east-1" }),
      ).to.equal(true);
    });

    it("checks presence with Null", () => {
      expect(decide({ Null: { "aws:TokenIssueTime": "false" } }, { "aws:TokenIssueTime": "2026-01-01T00:00:00Z" })).to.equal(true);
      expect(decide({ Null: { "aws:TokenIssueTime": "false" } }, {})).to.equal(false);
      expect(decide({ Null: { "aws:TokenIssueTime": "true" } }, {})).to.equal(true);
    });

    it("compares with the string, ARN, numeric and case-insensitive operators", () => {
      expect(decide({ StringLike: { "s3:prefix": "home/*" } }, { "s3:prefix": "home/ann" })).to.equal(true);
      expect(decide({ StringLike: { "s3:prefix": "home/*" } }, { "s3:prefix": "work/ann" })).to.equal(false);
      expect(decide({ StringNotLike: { "s3:prefix": "home/*" } }, { "s3:prefix": "work/ann" })).to.equal(true);
      expect(decide({ StringEqualsIgnoreCase: { "aws:PrincipalTag/team": "Ops" } }, { "aws:PrincipalTag/team": "OPS" })).to.equal(true);
      expect(decide({ StringEquals: { "aws:PrincipalTag/team": "Ops" } }, { "aws:PrincipalTag/team": "OPS" })).to.equal(false);
      expect(
        decide(
          { ArnLike: { "aws:SourceArn": "arn:aws:events:*:*:rule/nightly-*" } },
          { "aws:SourceArn": "arn:aws:events:eu-west-1:1:rule/nightly-1" },
        ),
      ).to.equal(true);
      expect(
        decide(
          { ArnEquals: { "aws:SourceArn": "arn:aws:events:eu-west-1:1:rule/a" } },
          { "aws:SourceArn": "arn:aws:events:eu-west-1:1:rule/b" },
        ),
      ).to.equal(false);
      expect(decide({ NumericLessThan: { "s3:max-keys": "10" } }, { "s3:max-keys": "9" })).to.equal(true);
      expect(decide({ NumericLessThan: { "s3:max-keys": "10" } }, { "s3:max-keys": "10" })).to.equal(false);
      expect(decide({ NumericLessThanEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "10" })).to.equal(true);
      expect(decide({ NumericGreaterThan: { "s3:max-keys": "10" } }, { "s3:max-keys": "10" })).to.equal(false);
      expect(decide({ NumericGreaterThanEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "10" })).to.equal(true);
      expect(decide({ NumericEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "10.0" })).to.equal(true);
      expect(decide({ NumericNotEquals: { "s3:max-keys": "10" } }, { "s3:max-keys": "10" })).to.equal(false);
      expect(decide({ Bool: { "aws:MultiFactorAuthPresent": "true" } }, { "aws:MultiFactorAuthPresent": "TRUE" })).to.equal(true);
    });

    it("denies every reader of the config bucket but the listed roles (ArnNotEquals on aws:PrincipalArn)", () => {
      const resource = policy("bucket policy", {
        Sid: "OnlyReadersGetObjects",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:GetObject"],
        Resource: `${BUCKET}/*`,
        Condition: { ArnNotEquals: { "aws:PrincipalArn": [ROLE] } },
      });
      const identity = readWith(undefined);
      expect(authorize(request("s3:GetObject", `${BUCKET}/a`), { identity, resource }).allowed).to.equal(true);
      const other = `arn:aws:iam::${ACCOUNT}:role/other`;
      const otherRequest = request("s3:GetObject", `${BUCKET}/a`, { "aws:PrincipalArn": other }, { ...role, arn: other });
      expect(authorize(otherRequest, { identity, resource })).to.include({ allowed: false, reason: "explicit-deny" });
    });

    it("reads condition keys case-insensitively and their values case-sensitively", () => {
      expect(
        decide({ ArnLike: { "AWS:SourceArn": "arn:aws:events:*:*:rule/x" } }, { "aws:sourcearn": "arn:aws:events:eu-west-1:1:rule/x" }),
      ).to.equal(true);
      expect(decide({ StringEquals: { "aws:PrincipalTag/Team": "ops" } }, { "aws:principaltag/team": "Ops" })).to.equal(false);
    });
  });

  describe("permissions boundaries", () => {
    const boundary = policy("boundary", allow(["s3:*", "sqs:*"], "*"));

    it("allows only what both the identity policies and the boundary allow", () => {
      const identity = [policy("p", allow(["s3:GetObject", "dynamodb:GetItem"], "*"))];
      expect(authorize(request("s3:GetObject", `${BUCKET}/a`), { identity, boundary }).allowed).to.equal(true);
      expect(authorize(request("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:1:table/t"), { identity, boundary })).to.deep.equal({
        allowed: false,
        reason: "implicit-deny",
        kind: "permissions boundary",
      });
    });

    it("caps a resource policy's grant to the role, but not one to the role's session", () => {
      const table = "arn:aws:dynamodb:eu-west-1:111122223333:table/t";
      const toRole = policy("table policy", { Effect: "Allow", Principal: { AWS: ROLE }, Action: "dynamodb:GetItem", Resource: table });
      const toSession = policy("table policy", {
        Effect: "Allow",
        Principal: { AWS: SESSION },
        Action: "dynamodb:GetItem",
        Resource: table,
      });
      expect(authorize(request("dynamodb:GetItem", table), { identity: [], boundary, resource: toRole }).kind).to.equal(
        "permissions boundary",
      );
      expect(authorize(request("dynamodb:GetItem", table), { identity: [], boundary, resource: toSession }).allowed).to.equal(true);
    });

    it("does not apply to service principals", () => {
      const fn = "arn:aws:lambda:eu-west-1:111122223333:function:f";
      const resource = policy("function policy", {
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "lambda:InvokeFunction",
        Resource: fn,
      });
      expect(
        authorize(request("lambda:InvokeFunction", fn, {}, service("events.amazonaws.com")), {
          identity: [],
          boundary: policy("b", allow("s3:*", "*")),
          resource,
        }).allowed,
      ).to.equal(true);
    });
  });

  describe("KMS key policies", () => {
    const key = "arn:aws:kms:eu-west-1:111122223333:key/1234";
    const root = {
      Sid: "AccountAdministersKey",
      Effect: "Allow" as const,
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    };
    const decrypt = [policy("p", allow("kms:Decrypt", key))];

    it("needs an identity policy when the key policy delegates to the account", () => {
      expect(
        authorize(request("kms:Decrypt", key), { identity: decrypt, resource: policy("key policy", root), keyPolicy: true }).allowed,
      ).to.equal(true);
      expect(authorize(request("kms:Decrypt", key), { identity: [], resource: policy("key policy", root), keyPolicy: true })).to.deep.equal(
        {
          allowed: false,
          reason: "implicit-deny",
          kind: "identity-based policy",
        },
      );
    });

    it("denies an identity policy's grant when the key policy allows neither the role nor the account", () => {
      const others = policy("key policy", {
        Effect: "Allow",
        Principal: { Service: "logs.amazonaws.com" },
        Action: "kms:*",
        Resource: "*",
      });
      expect(authorize(request("kms:Decrypt", key), { identity: decrypt, resource: others, keyPolicy: true })).to.deep.equal({
        allowed: false,
        reason: "implicit-deny",
        kind: "resource-based policy",
      });
    });

    it("allows a role the key policy names, without an identity policy", () => {
      const direct = policy("key policy", { Effect: "Allow", Principal: { AWS: ROLE }, Action: "kms:Decrypt", Resource: "*" });
      expect(authorize(request("kms:Decrypt", key), { identity: [], resource: direct, keyPolicy: true }).allowed).to.equal(true);
    });

    it("honours kms:ViaService in an identity policy", () => {
      const viaS3 = [
        policy("p", allow("kms:Decrypt", key, { Condition: { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } } })),
      ];
      const set = { identity: viaS3, resource: policy("key policy", root), keyPolicy: true };
      expect(authorize(request("kms:Decrypt", key, { "kms:ViaService": "s3.eu-west-1.amazonaws.com" }), set).allowed).to.equal(true);
      expect(authorize(request("kms:Decrypt", key, { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" }), set).allowed).to.equal(false);
      expect(authorize(request("kms:Decrypt", key), set).allowed).to.equal(false);
    });
  });

  describe("service principals and function permissions", () => {
    const fn = "arn:aws:lambda:eu-west-1:111122223333:function:health";
    const permission = policy("function policy", {
      Sid: "api",
      Effect: "Allow",
      Principal: { Service: "apigateway.amazonaws.com" },
      Action: "lambda:InvokeFunction",
      Resource: fn,
      Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:eu-west-1:111122223333:abc/*/GET/health" } },
    });
    const invoke = (principal: string, sourceArn: string) =>
      authorize(request("lambda:InvokeFunction", fn, { "aws:SourceArn": sourceArn }, service(principal)), {
        identity: [],
        resource: permission,
      });

    it("lets the named service invoke for a source ARN the permission matches", () => {
      expect(invoke("apigateway.amazonaws.com", "arn:aws:execute-api:eu-west-1:111122223333:abc/$default/GET/health").allowed).to.equal(
        true,
      );
    });

    it("refuses another route, another API and another service", () => {
      expect(invoke("apigateway.amazonaws.com", "arn:aws:execute-api:eu-west-1:111122223333:abc/$default/POST/health").allowed).to.equal(
        false,
      );
      expect(invoke("apigateway.amazonaws.com", "arn:aws:execute-api:eu-west-1:111122223333:xyz/$default/GET/health").allowed).to.equal(
        false,
      );
      expect(invoke("events.amazonaws.com", "arn:aws:execute-api:eu-west-1:111122223333:abc/$default/GET/health")).to.deep.equal({
        allowed: false,
        reason: "implicit-deny",
        kind: "resource-based policy",
      });
    });

    it("never applies a role's identity policies to a service", () => {
      const identity = [policy("p", allow("lambda:InvokeFunction", "*"))];
      expect(authorize(request("lambda:InvokeFunction", fn, {}, service("sns.amazonaws.com")), { identity }).allowed).to.equal(false);
    });
  });

  describe("what it cannot evaluate, it denies with a message", () => {
    it("names the policy, the statement and an unsupported operator", () => {
      const identity = [
        policy(
          "role policy",
          allow("s3:GetObject", "*", { Sid: "Tagged", Condition: { "ForAnyValue:StringEquals": { "aws:TagKeys": ["a"] } } }),
        ),
      ];
      expect(() => authorize(request("s3:GetObject", `${BUCKET}/a`), { identity })).to.throw(
        UnsupportedPolicyError,
        "policy role policy, statement Tagged: the condition operator ForAnyValue:StringEquals is not supported by the local IAM evaluator, so the request is denied",
      );
    });

    it("refuses date operators, NotPrincipal and unknown elements rather than guess", () => {
      const dated = [
        policy("p", allow("s3:GetObject", "*", { Condition: { DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" } } })),
      ];
      expect(() => authorize(request("s3:GetObject", `${BUCKET}/a`), { identity: dated })).to.throw(UnsupportedPolicyError, /DateLessThan/);
      const notPrincipal = policy("bucket policy", { Effect: "Deny", NotPrincipal: { AWS: ROLE }, Action: "s3:*", Resource: "*" });
      expect(() => authorize(request("s3:GetObject", `${BUCKET}/a`), { identity: [], resource: notPrincipal })).to.throw(
        UnsupportedPolicyError,
        /NotPrincipal/,
      );
      const odd = [policy("p", { ...allow("s3:GetObject", "*"), Extra: 1 } as Statement)];
      expect(() => authorize(request("s3:GetObject", `${BUCKET}/a`), { identity: odd })).to.throw(
        UnsupportedPolicyError,
        /the element Extra/,
      );
    });

    it("still evaluates statements whose action does not match before reaching an unsupported one", () => {
      // The unsupported condition is on a statement for another action: it cannot change this request's outcome.
      const identity = [
        policy("p", allow("s3:GetObject", "*"), allow("sqs:SendMessage", "*", { Condition: { "ForAllValues:StringLike": { k: "v" } } })),
      ];
      expect(authorize(request("s3:GetObject", `${BUCKET}/a`), { identity }).allowed).to.equal(true);
    });

    it("denies when a policy that applies is not available", () => {
      const identity = [
        { name: "policy arn:aws:iam::1:policy/elsewhere", document: { Statement: [] }, unavailable: "it is not in the graph" },
      ];
      expect(() => authorize(request("s3:GetObject", `${BUCKET}/a`), { identity })).to.throw(
        PolicyUnavailableError,
        "policy arn:aws:iam::1:policy/elsewhere: it is not in the graph, so the local cloud cannot evaluate it and denies the request",
      );
    });
  });
});
