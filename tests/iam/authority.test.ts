/** The local cloud's IAM authority: each function's identity and credentials, decisions and what they print, unused grants. */
import { expect } from "chai";
import { Reporter } from "../../local/console";
import { IamAuthority } from "../../local/iam/authority";
import type { NamedPolicy, Statement } from "../../local/iam/evaluate";
import type { IamModel } from "../../local/iam/model";

const ACCOUNT = "111122223333";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/orders-role`;
const TABLE = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders`;
const QUEUE = `arn:aws:sqs:eu-west-1:${ACCOUNT}:jobs`;
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k`;
const FN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:orders`;
const policy = (name: string, ...Statement: Statement[]): NamedPolicy => ({ name, document: { Statement } });

function authority(extra: Partial<IamModel> = {}, statements: Statement[] = []) {
  const lines: string[] = [];
  const model: IamModel = {
    accountId: ACCOUNT,
    region: "eu-west-1",
    roles: new Map([
      [
        ROLE,
        {
          arn: ROLE,
          name: "orders-role",
          policies: [
            policy(
              "inline policy orders-policy",
              { Sid: "Store", Effect: "Allow", Action: ["dynamodb:PutItem", "dynamodb:GetItem"], Resource: TABLE },
              { Sid: "Enqueue", Effect: "Allow", Action: "sqs:Send*", Resource: QUEUE },
              ...statements,
            ),
          ],
        },
      ],
    ]),
    resourcePolicies: new Map([
      [
        FN,
        policy("resource policy of function orders", {
          Sid: "api",
          Effect: "Allow",
          Principal: { Service: "apigateway.amazonaws.com" },
          Action: "lambda:InvokeFunction",
          Resource: FN,
          Condition: { ArnLike: { "AWS:SourceArn": `arn:aws:execute-api:eu-west-1:${ACCOUNT}:api1/*/POST/orders` } },
        }),
      ],
    ]),
    keys: new Map([
      [
        KEY,
        policy("key policy of k", { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }),
      ],
    ]),
    encryption: new Map([[QUEUE, KEY]]),
    ...extra,
  };
  const functions = [
    { name: "orders", arn: FN, roleArn: ROLE },
    { name: "reports", arn: `${FN}-reports`, roleArn: ROLE },
  ];
  return { iam: new IamAuthority(model, functions, new Reporter((l) => lines.push(l), false)), lines };
}

describe("local IAM: the authority", () => {
  it("gives each function its own STS-shaped credentials and knows the function by its key", () => {
    const { iam } = authority();
    const orders = iam.credentialsFor("orders");
    const reports = iam.credentialsFor("reports");
    expect(orders.AWS_ACCESS_KEY_ID).to.match(/^ASIA[A-Z2-7]{16}$/);
    expect(orders.AWS_ACCESS_KEY_ID).to.not.equal(reports.AWS_ACCESS_KEY_ID);
    expect(orders.AWS_SECRET_ACCESS_KEY).to.have.length(40);
    expect(orders.AWS_SESSION_TOKEN).to.equal("local-session-orders");
    expect(iam.functionForAccessKey(orders.AWS_ACCESS_KEY_ID)!.name).to.equal("orders");
    expect(iam.functionForAccessKey("local")).to.equal(undefined);
    expect(iam.functionForAccessKey(undefined)).to.equal(undefined);
  });

  it("allows what the role grants, and says nothing", () => {
    const { iam, lines } = authority();
    const fn = iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    expect(iam.checkFunction(fn, [{ action: "dynamodb:PutItem", resource: TABLE }]).allowed).to.equal(true);
    expect(lines).to.deep.equal([]);
  });

  it("denies with AWS's message and one line naming the function, the action, the resource and the grant, once", () => {
    const { iam, lines } = authority();
    const fn = iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    const verdict = iam.checkFunction(fn, [{ action: "dynamodb:DeleteItem", resource: TABLE }]);
    expect(verdict.allowed).to.equal(false);
    expect(verdict.message).to.equal(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/orders-role/orders is not authorized to perform: dynamodb:DeleteItem on resource: ${TABLE} because no identity-based policy allows the dynamodb:DeleteItem action`,
    );
    iam.checkFunction(fn, [{ action: "dynamodb:DeleteItem", resource: TABLE }]);
    expect(lines).to.deep.equal([
      `AccessDenied orders: dynamodb:DeleteItem on ${TABLE}; grant it with { "Effect": "Allow", "Action": "dynamodb:DeleteItem", "Resource": "${TABLE}" } in orders-role's policy`,
    ]);
  });

  it("stops at the first call of a request that is denied: the queue's key, here", () => {
    const { iam, lines } = authority();
    const fn = iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    const calls = iam.deliveryCalls(QUEUE);
    expect(calls.map((c) => c.action)).to.deep.equal(["sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"]);
    expect(calls[1].context).to.deep.equal({ "kms:ViaService": "sqs.eu-west-1.amazonaws.com", "kms:CallerAccount": ACCOUNT });
    const verdict = iam.checkFunction(fn, calls, "Lambda delivering an async event");
    expect(verdict.call).to.deep.equal(calls[1]);
    expect(lines).to.deep.equal([
      `AccessDenied orders (Lambda delivering an async event): kms:GenerateDataKey on ${KEY}; grant it with { "Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": "${KEY}" } in orders-role's policy`,
    ]);
  });

  it("names the statement of an explicit deny, and says when the boundary or a key policy is what is missing", () => {
    const { iam, lines } = authority({}, [{ Sid: "NoDeletes", Effect: "Deny", Action: "sqs:DeleteMessage", Resource: "*" }]);
    const fn = iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    expect(iam.checkFunction(fn, [{ action: "sqs:DeleteMessage", resource: QUEUE }]).message).to.match(
      /with an explicit deny in an identity-based policy$/,
    );
    expect(lines.pop()).to.equal(
      `AccessDenied orders: sqs:DeleteMessage on ${QUEUE}; denied by inline policy orders-policy, statement NoDeletes`,
    );

    const bounded = authority();
    bounded.iam.model.roles.get(ROLE)!.boundary = policy("boundary", { Effect: "Allow", Action: "sqs:*", Resource: "*" });
    const boundedFn = bounded.iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    expect(bounded.iam.checkFunction(boundedFn, [{ action: "dynamodb:GetItem", resource: TABLE }]).message).to.match(
      /because no permissions boundary allows the dynamodb:GetItem action$/,
    );
    expect(bounded.lines).to.deep.equal([
      `AccessDenied orders: dynamodb:GetItem on ${TABLE}; the role's permissions boundary allows no dynamodb:GetItem`,
    ]);

    const locked = authority(
      {
        keys: new Map([
          [
            KEY,
            policy("key policy of k", {
              Effect: "Allow",
              Principal: { AWS: "arn:aws:iam::999999999999:root" },
              Action: "kms:*",
              Resource: "*",
            }),
          ],
        ]),
      },
      [{ Effect: "Allow", Action: "kms:Decrypt", Resource: KEY }],
    );
    const lockedFn = locked.iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    expect(locked.iam.checkFunction(lockedFn, [{ action: "kms:Decrypt", resource: KEY }]).message).to.match(
      /because no resource-based policy allows the kms:Decrypt action$/,
    );
    expect(locked.lines).to.deep.equal([
      `AccessDenied orders: kms:Decrypt on ${KEY}; the key policy allows no one the role could be; grant it there`,
    ]);
  });

  it("denies, with the evaluator's message, a request a policy it cannot evaluate applies to: never a silent allow", () => {
    const { iam, lines } = authority({}, [
      {
        Sid: "Tagged",
        Effect: "Allow",
        Action: "dynamodb:Query",
        Resource: TABLE,
        Condition: { "ForAnyValue:StringLike": { "dynamodb:Attributes": ["a*"] } },
      },
    ]);
    const fn = iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    const verdict = iam.checkFunction(fn, [{ action: "dynamodb:Query", resource: TABLE }]);
    expect(verdict.allowed).to.equal(false);
    const message =
      "policy inline policy orders-policy, statement Tagged: the condition operator ForAnyValue:StringLike is not supported by the local IAM evaluator, so the request is denied";
    expect(verdict.message).to.equal(message);
    expect(lines).to.deep.equal([`AccessDenied orders: dynamodb:Query on ${TABLE}; ${message}`]);
  });

  it("lets a service invoke only for a source its permission names, and says which permission is missing", () => {
    const { iam, lines } = authority();
    const fn = iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    const source = (method: string) => `arn:aws:execute-api:eu-west-1:${ACCOUNT}:api1/$default/${method}/orders`;
    expect(iam.checkServiceInvoke("apigateway.amazonaws.com", fn, source("POST"), "api POST /orders").allowed).to.equal(true);
    expect(iam.checkServiceInvoke("apigateway.amazonaws.com", fn, source("GET"), "api GET /orders").allowed).to.equal(false);
    expect(iam.checkServiceInvoke("events.amazonaws.com", fn, `arn:aws:events:eu-west-1:${ACCOUNT}:rule/r`, "schedule r").allowed).to.equal(
      false,
    );
    expect(lines).to.deep.equal([
      `AccessDenied api GET /orders: apigateway.amazonaws.com may not invoke orders for ${source("GET")}; add an aws.lambda.Permission { action: "lambda:InvokeFunction", function: "orders", principal: "apigateway.amazonaws.com", sourceArn: "${source("GET")}" } (a wildcard such as arn:aws:execute-api:eu-west-1:${ACCOUNT}:api1/*/GET/orders covers more)`,
      `AccessDenied schedule r: events.amazonaws.com may not invoke orders for arn:aws:events:eu-west-1:${ACCOUNT}:rule/r; add an aws.lambda.Permission { action: "lambda:InvokeFunction", function: "orders", principal: "events.amazonaws.com", sourceArn: "arn:aws:events:eu-west-1:${ACCOUNT}:rule/r" } (a wildcard such as arn:aws:events:eu-west-1:${ACCOUNT}:rule/r covers more)`,
    ]);
  });

  it("lists each grant no allowed call used, action by action, and drops those a call used", () => {
    const { iam } = authority();
    const fn = iam.identityOf({ name: "orders", arn: FN, role: ROLE });
    const unused = () => iam.unusedGrants().map((g) => `${g.sid} ${g.action} ${g.resource} [${g.functions.join(",")}]`);
    expect(unused()).to.deep.equal([
      `Store dynamodb:PutItem ${TABLE} [orders,reports]`,
      `Store dynamodb:GetItem ${TABLE} [orders,reports]`,
      `Enqueue sqs:Send* ${QUEUE} [orders,reports]`,
    ]);
    iam.checkFunction(fn, [{ action: "dynamodb:GetItem", resource: TABLE }]);
    // A denied call uses nothing; a grant by wildcard is used by any call it matches.
    iam.checkFunction(fn, [{ action: "dynamodb:DeleteItem", resource: TABLE }]);
    iam.checkFunction(fn, [
      { action: "sqs:SendMessage", resource: QUEUE },
      { action: "kms:GenerateDataKey", resource: KEY },
    ]);
    expect(unused()).to.deep.equal([`Store dynamodb:PutItem ${TABLE} [orders,reports]`]);
    // A quiet check (may the caller list the bucket?) records nothing either.
    iam.checkQuietly(fn, { action: "dynamodb:PutItem", resource: TABLE });
    expect(unused()).to.have.length(1);
  });
});
