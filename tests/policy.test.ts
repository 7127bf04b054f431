import { expect } from "chai";
import type { CapturedResource } from "../graph/capture";
import { evaluatePolicies } from "../graph/policy-runner";
import { policies } from "../policy/policies";
import { stackGraph } from "./harness";

let counter = 0;
function res(type: string, name: string, props: Record<string, any>, options: Partial<CapturedResource["options"]> = {}): CapturedResource {
  counter++;
  return {
    urn: `urn:pulumi:test::platform::${type}::${name}`,
    type,
    name,
    id: props.id ?? `${name}-id-${counter}`,
    arn: props.arn ?? null,
    parent: null,
    custom: true,
    provider: null,
    inputs: props,
    state: props,
    options: { protect: false, retainOnDelete: false, dependsOn: [], ...options },
  };
}

const FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn";
const DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:dlq";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts";
const fn = (extra: Record<string, any> = {}) =>
  res("aws:lambda/function:Function", "fn", {
    name: "fn",
    arn: FN_ARN,
    loggingConfig: { logGroup: "/aws/lambda/fn" },
    environment: { variables: {} },
    ...extra,
  });
const alarm = (metricName: string, extra: Record<string, any> = {}) =>
  res("aws:cloudwatch/metricAlarm:MetricAlarm", `fn-${metricName}`, {
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { FunctionName: "fn" },
    alarmActions: [TOPIC],
    okActions: [TOPIC],
    ...extra,
  });
const logGroup = (retentionInDays?: number) =>
  res("aws:cloudwatch/logGroup:LogGroup", "fn-logs", { name: "/aws/lambda/fn", retentionInDays });
const wellWatchedFunction = () => [fn(), logGroup(30), alarm("Errors"), alarm("Throttles"), alarm("Duration")];
const schedule = (input?: string) => res("aws:cloudwatch/eventTarget:EventTarget", "target", { arn: FN_ARN, input });
const invokeConfig = (extra: Record<string, any> = {}) =>
  res("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "fn-async", {
    functionName: "fn",
    maximumRetryAttempts: 2,
    destinationConfig: { onFailure: { destination: DLQ_ARN } },
    ...extra,
  });
const queue = (name: string, extra: Record<string, any> = {}) =>
  res("aws:sqs/queue:Queue", name, { arn: `arn:aws:sqs:us-east-1:123456789012:${name}`, sqsManagedSseEnabled: true, ...extra });
const rolePolicy = (actions: string[], effect = "Allow") =>
  res("aws:iam/rolePolicy:RolePolicy", "p", {
    policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: effect, Action: actions, Resource: "arn:x" }] }),
  });
const bucket = () => res("aws:s3/bucket:Bucket", "logs", { bucket: "logs", arn: "arn:aws:s3:::logs", id: "logs" });
const bucketGuards = () => [
  res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-pab", {
    bucket: "logs",
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  }),
  res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "logs-sse", {
    bucket: "logs",
    rules: [{}],
  }),
  res("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", {
    bucket: "logs",
    policy: JSON.stringify({
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "arn:aws:s3:::logs/*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    }),
  }),
];
const distribution = (extra: Record<string, any> = {}) =>
  res("aws:cloudfront/distribution:Distribution", "cdn", {
    viewerCertificate: { minimumProtocolVersion: "TLSv1.2_2021", sslSupportMethod: "sni-only" },
    origins: [{ originId: "api", customOriginConfig: { originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] } }],
    customErrorResponses: [500, 502, 503, 504].map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })),
    ...extra,
  });

interface Case {
  policy: string;
  compliant: CapturedResource[];
  violating: CapturedResource[];
  message: string;
  config?: Record<string, unknown>;
}

const cases: Case[] = [
  {
    policy: "async-functions-have-dlq",
    compliant: [fn(), schedule(), invokeConfig(), schedule(JSON.stringify({ warmer: true }))],
    violating: [fn(), schedule()],
    message:
      "function fn is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
  },
  {
    policy: "functions-have-log-retention",
    compliant: [fn(), logGroup(14)],
    violating: [fn(), logGroup(undefined)],
    message: "log group /aws/lambda/fn of function fn keeps logs forever: set retentionInDays",
  },
  {
    policy: "functions-supported-runtime",
    compliant: [fn({ runtime: "nodejs22.x" })],
    violating: [fn({ runtime: "nodejs16.x" })],
    message: "function fn runs nodejs16.x; the platform runs nodejs22.x or nodejs20.x",
  },
  {
    policy: "functions-have-alarms",
    compliant: wellWatchedFunction(),
    violating: [fn(), logGroup(30), alarm("Errors"), alarm("Duration")],
    message: "function fn has no alarm on Throttles",
  },
  {
    policy: "no-wildcard-actions",
    compliant: [rolePolicy(["sqs:SendMessage"]), rolePolicy(["*"], "Deny")],
    violating: [rolePolicy(["s3:*"])],
    message: "p allows the wildcard action s3:*",
  },
  {
    policy: "no-admin-managed-policies",
    compliant: [
      res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {
        policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      }),
    ],
    violating: [
      res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { policyArn: "arn:aws:iam::aws:policy/AWSLambda_FullAccess" }),
    ],
    message: "a attaches the broad managed policy arn:aws:iam::aws:policy/AWSLambda_FullAccess",
  },
  {
    policy: "queues-encrypted",
    compliant: [queue("q")],
    violating: [queue("q", { sqsManagedSseEnabled: false })],
    message: "queue q is not encrypted",
  },
  {
    policy: "dlq-retention-14-days",
    compliant: [
      queue("work", { redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 }) }),
      queue("dlq", { messageRetentionSeconds: 1209600 }),
    ],
    violating: [invokeConfig(), queue("dlq", { messageRetentionSeconds: 345600 })],
    message: "dead-letter queue dlq keeps messages for 345600 s, not 14 days (1209600)",
  },
  {
    policy: "alarms-have-actions",
    compliant: [alarm("Errors")],
    violating: [alarm("Errors", { okActions: [] })],
    message: "alarm fn-Errors has no okActions",
  },
  {
    policy: "api-access-logs-json",
    compliant: [
      res("aws:apigatewayv2/stage:Stage", "s", {
        accessLogSettings: { destinationArn: "arn:logs", format: '{"requestId":"$context.requestId"}' },
      }),
    ],
    violating: [
      res("aws:apigatewayv2/stage:Stage", "s", {
        accessLogSettings: { destinationArn: "arn:logs", format: "$context.requestId $context.status" },
      }),
    ],
    message: "stage s writes access logs that are not JSON",
  },
  {
    policy: "no-api-gateway-cache",
    compliant: [res("aws:apigateway/stage:Stage", "v1", { cacheClusterEnabled: false })],
    violating: [res("aws:apigateway/stage:Stage", "v1", { cacheClusterEnabled: true })],
    message: "stage v1 enables the API Gateway cache",
  },
  {
    policy: "buckets-secure",
    compliant: [bucket(), ...bucketGuards()],
    violating: [bucket(), ...bucketGuards().slice(0, 2)],
    message: "bucket logs does not deny non-TLS requests",
  },
  {
    policy: "kms-keys-rotate",
    compliant: [res("aws:kms/key:Key", "k", { enableKeyRotation: true })],
    violating: [res("aws:kms/key:Key", "k", { enableKeyRotation: false })],
    message: "KMS key k does not rotate",
  },
  {
    policy: "no-fault-injection-in-prod",
    compliant: [fn({ environment: { variables: { FAULT_INJECTION: "off" } } })],
    violating: [fn({ environment: { variables: { FAULT_INJECTION: "on" } } })],
    message: "function fn has fault injection on in prod",
  },
  {
    policy: "stateful-resources-protected-in-prod",
    compliant: [res("aws:dynamodb/table:Table", "t", {}, { protect: true }), queue("q", {})].map((r, i) =>
      i === 1 ? { ...r, options: { ...r.options, retainOnDelete: true } } : r,
    ),
    violating: [res("aws:dynamodb/table:Table", "t", {})],
    message: "Table t is neither protected nor retained in prod",
  },
  {
    policy: "edge-tls-1-2",
    compliant: [distribution()],
    violating: [distribution({ viewerCertificate: { minimumProtocolVersion: "TLSv1_2016" } })],
    message: "distribution cdn allows viewer protocols below TLS 1.2 (TLSv1_2016)",
  },
  {
    policy: "edge-no-5xx-caching",
    compliant: [distribution()],
    violating: [distribution({ customErrorResponses: [500, 502, 503].map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })) })],
    message: "distribution cdn may cache 504 responses: set errorCachingMinTtl 0",
  },
];

async function messagesOf(policyName: string, resources: CapturedResource[], config: Record<string, unknown> = {}): Promise<string[]> {
  const policy = policies.find((p) => p.name === policyName)!;
  const violations = await evaluatePolicies(resources, { enforcement: "mandatory", policies: [policy], config: { [policyName]: config } });
  return violations.map((v) => v.message);
}

describe("the policy pack", () => {
  it("has a test case for every policy", () => {
    expect(cases.map((c) => c.policy).sort()).to.deep.equal(policies.map((p) => p.name).sort());
  });

  for (const c of cases) {
    describe(c.policy, () => {
      it("passes a compliant fixture", async () => {
        expect(await messagesOf(c.policy, c.compliant, c.config)).to.deep.equal([]);
      });
      it(`fails a violating one: "${c.message}"`, async () => {
        expect(await messagesOf(c.policy, c.violating, c.config)).to.include(c.message);
      });
    });
  }

  it("checks prod-only practices only where the stack's policy config says prod", async () => {
    const violating = [fn({ environment: { variables: { FAULT_INJECTION: "on" } } })];
    expect(await messagesOf("no-fault-injection-in-prod", violating, { environment: "dev" })).to.deep.equal([]);
  });

  for (const stack of ["dev", "stage", "prod"]) {
    it(`finds no violation in the ${stack} plan`, async () => {
      const graph = await stackGraph(stack);
      const violations = await evaluatePolicies(graph.resources, { enforcement: "mandatory", config: {} });
      expect(violations.filter((v) => !(stack !== "prod" && v.policy.endsWith("-in-prod")))).to.deep.equal([]);
    });
  }
});
