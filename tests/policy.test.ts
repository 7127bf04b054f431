import { expect } from "chai";
import type { CapturedResource } from "../graph/capture";
import { evaluatePolicies } from "../graph/policy-runner";
import { codeDeployConfigName, DEPLOYMENT_PREFERENCES, isWarmupEvent, WARMER_EVENT, WARMER_INPUT } from "../policy/contracts";
import { policies } from "../policy/policies";
import { listStacks, readStackConfig } from "../graph/stack-config";
import { policyConfigFor } from "../graph/preview";
import { PROGRAM_DIR, stackGraph } from "./harness";

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
    options: { protect: false, retainOnDelete: false, dependsOn: [], ignoreChanges: [], ...options },
  };
}

const FN_ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn";
const DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:dlq";
const FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:jobs.fifo";
/** The resource with the property dependencies the engine would hand the policy pack. */
const withDependencies = (r: CapturedResource, propertyDependencies: Record<string, string[]>): CapturedResource => ({
  ...r,
  propertyDependencies,
});
/** A security group open to the world, not yet created: its id unknown, as in a preview of a new stack. */
const NEW_GROUP = res("aws:ec2/securityGroup:SecurityGroup", "new-sg", {
  id: undefined,
  ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
});
const TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts";
const arnOf = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
/** A function other than `fn`, named `name` as a resource and in AWS. */
const namedFn = (name: string, extra: Record<string, any> = {}) =>
  res("aws:lambda/function:Function", name, { name, arn: arnOf(name), loggingConfig: { logGroup: `/aws/lambda/${name}` }, ...extra });
const fn = (extra: Record<string, any> = {}) =>
  res("aws:lambda/function:Function", "fn", {
    name: "fn",
    arn: FN_ARN,
    loggingConfig: { logGroup: "/aws/lambda/fn" },
    environment: { variables: {} },
    ...extra,
  });
/** `fn` before it exists, its inputs' sources known only as the engine's property dependencies. */
const newFn = (extra: Record<string, any>, propertyDependencies: Record<string, string[]>) =>
  withDependencies(fn(extra), propertyDependencies);
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
const UNVALIDATED = 'PutBucketNotificationConfiguration fails ("Unable to validate the following destination configurations")';
const UPLOADS_ARN = "arn:aws:sqs:us-east-1:123456789012:uploads";
/** What notification to-queue-and-topic is told of `what`, which does not let S3 `action` for bucket photos. */
const shut = (what: string, action: string) =>
  `bucket notification to-queue-and-topic: S3 sending to ${what} is not let in: no policy on it allows s3.amazonaws.com ${action} for arn:aws:s3:::photos; ${UNVALIDATED}`;
const QUEUE_AND_TOPIC_SHUT = [shut("queue uploads", "sqs:SendMessage"), shut("topic news", "sns:Publish")];
const UPLOADS_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/uploads";
const NEWS_ARN = "arn:aws:sns:us-east-1:123456789012:news";
/** A notification of bucket `photos`, depending on the resources named. */
const notification = (name: string, props: Record<string, any>, dependsOn: string[] = []) =>
  res(
    "aws:s3/bucketNotification:BucketNotification",
    name,
    { bucket: "photos", ...props },
    {
      dependsOn: dependsOn.map((n) =>
        n.endsWith("policy")
          ? `urn:pulumi:test::platform::aws:sqs/queuePolicy:QueuePolicy::${n}`
          : `urn:pulumi:test::platform::${PERMISSION_TYPE}::${n}`,
      ),
    },
  );
const PERMISSION_TYPE = "aws:lambda/permission:Permission";
const s3Permission = (name: string, extra: Record<string, any> = {}) =>
  res(PERMISSION_TYPE, name, { action: "lambda:InvokeFunction", function: "fn", principal: "s3.amazonaws.com", ...extra });
/** A policy document letting S3 (or denying it) `action`, under `condition`. */
const s3May = (action: string, condition?: object, effect = "Allow") =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: effect,
        Principal: { Service: "s3.amazonaws.com" },
        Action: action,
        Resource: "*",
        ...(condition && { Condition: condition }),
      },
    ],
  });
const queuePolicy = (name: string, policy: string) => res("aws:sqs/queuePolicy:QueuePolicy", name, { queueUrl: UPLOADS_URL, policy });
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
        // The TLS guard need not stand alone in its policy.
        { Effect: "Allow", Principal: { Service: "cloudfront.amazonaws.com" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::logs/*" },
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
/** The resource, made by the component (or resource) of `parent` URN. */
const childOf = (parent: string, r: CapturedResource): CapturedResource => ({ ...r, parent });
/** The same resource with some of its properties replaced. */
const withProps = (r: CapturedResource, props: Record<string, unknown>): CapturedResource => ({
  ...r,
  inputs: { ...r.inputs, ...props },
  state: { ...r.state, ...props },
});
const distribution = (extra: Record<string, any> = {}) =>
  res("aws:cloudfront/distribution:Distribution", "cdn", {
    viewerCertificate: { minimumProtocolVersion: "TLSv1.2_2021", sslSupportMethod: "sni-only" },
    origins: [{ originId: "api", customOriginConfig: { originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.2"] } }],
    customErrorResponses: [500, 502, 503, 504].map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })),
    ...extra,
  });

const LIVE_ARN = `${FN_ARN}:live`;
const apiInvokeArn = (functionArn: string) => `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
const integration = (functionArn = LIVE_ARN) =>
  res("aws:apigatewayv2/integration:Integration", "route", { integrationType: "AWS_PROXY", integrationUri: apiInvokeArn(functionArn) });
const liveAlias = (ignoreChanges = ["functionVersion", "routingConfig"], extra: Record<string, any> = {}) =>
  res("aws:lambda/alias:Alias", "fn-live", { name: "live", functionName: "fn", arn: LIVE_ARN, ...extra }, { ignoreChanges });
const deploymentGroup = (extra: Record<string, any> = {}) =>
  res("aws:codedeploy/deploymentGroup:DeploymentGroup", "fn-group", {
    deploymentGroupName: "fn",
    alarmConfiguration: { enabled: true, alarms: ["fn-errors-alarm"] },
    autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
    ...extra,
  });
const rolledOut = (group = deploymentGroup(), alias = liveAlias()) => [
  fn(),
  integration(),
  alias,
  alarm("Errors", { name: "fn-errors-alarm" }),
  group,
];

/** One way to break a rule, and exactly what the rule must say about it. */
interface Violation {
  resources: CapturedResource[];
  messages: string[];
}

interface Case {
  policy: string;
  compliant: CapturedResource[];
  /** One entry per check the rule makes, so each check is shown to fail on its own. */
  violations: Violation[];
  config?: Record<string, unknown>;
}

const permission = (principal: string) => res("aws:lambda/permission:Permission", "push", { function: "fn", principal });
const stage = (type: string, accessLogSettings: unknown) => res(type, "s", { accessLogSettings });
const policyDoc = (statement: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

const cases: Case[] = [
  {
    policy: "async-functions-have-dlq",
    // A warm-up target does not make a function async, and a function-level deadLetterConfig counts as a destination.
    compliant: [
      fn(),
      schedule(),
      invokeConfig(),
      // Called only synchronously (warmed, and invoked by the API), so it needs no async config.
      namedFn("sync"),
      res("aws:cloudwatch/eventTarget:EventTarget", "warm-sync", { arn: arnOf("sync"), input: JSON.stringify({ warmer: true }) }),
      res("aws:lambda/permission:Permission", "api-sync", { function: "sync", principal: "apigateway.amazonaws.com" }),
      // Its retries in an invoke config without a destination, its failures in the function's own DLQ.
      namedFn("legacy", { deadLetterConfig: { targetArn: DLQ_ARN } }),
      res("aws:cloudwatch/eventTarget:EventTarget", "legacy-target", { arn: arnOf("legacy") }),
      res("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "legacy-async", {
        functionName: "legacy",
        maximumRetryAttempts: 1,
      }),
    ],
    violations: [
      // Found among targets and pushers that invoke other functions.
      {
        resources: [
          fn(),
          namedFn("quiet"),
          res("aws:cloudwatch/eventTarget:EventTarget", "t1", { arn: arnOf("quiet") }),
          res("aws:cloudwatch/eventTarget:EventTarget", "t2", { arn: FN_ARN }),
        ],
        messages: [
          "function fn is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
          "function quiet is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
        ],
      },
      // Each trigger and config counts for the function it names only: "plain" has none, so it is not async.
      {
        resources: [
          namedFn("legacy", { deadLetterConfig: { targetArn: DLQ_ARN } }),
          res("aws:cloudwatch/eventTarget:EventTarget", "legacy-target", { arn: arnOf("legacy") }),
          res("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "legacy-async", {
            functionName: "legacy",
            maximumRetryAttempts: 1,
          }),
          namedFn("plain"),
          namedFn("loud"),
          res("aws:cloudwatch/eventTarget:EventTarget", "loud-target", { arn: arnOf("loud") }),
        ],
        messages: [
          "function loud is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
        ],
      },
      {
        resources: [
          fn(),
          namedFn("quiet"),
          res("aws:lambda/permission:Permission", "p1", { function: "quiet", principal: "sns.amazonaws.com" }),
          res("aws:lambda/permission:Permission", "p2", { function: "fn", principal: "s3.amazonaws.com" }),
        ],
        messages: [
          "function fn is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
          "function quiet is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
        ],
      },
      {
        resources: [fn(), schedule()],
        messages: [
          "function fn is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
        ],
      },
      {
        resources: [fn(), permission("sns.amazonaws.com")],
        messages: [
          "function fn is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
        ],
      },
      {
        resources: [fn(), permission("s3.amazonaws.com"), invokeConfig({ maximumRetryAttempts: undefined })],
        messages: [
          "function fn is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
        ],
      },
      {
        resources: [fn(), invokeConfig({ destinationConfig: {} })],
        messages: [
          "function fn is invoked asynchronously but has no FunctionEventInvokeConfig with explicit retries and an onFailure destination",
        ],
      },
    ],
  },
  {
    policy: "functions-have-log-retention",
    compliant: [
      fn(),
      logGroup(14),
      fn({ name: "other", loggingConfig: undefined }),
      res("aws:cloudwatch/logGroup:LogGroup", "o", { name: "/aws/lambda/other", retentionInDays: 7 }),
    ],
    violations: [
      {
        resources: [fn(), logGroup(undefined)],
        messages: ["log group /aws/lambda/fn of function fn keeps logs forever: set retentionInDays"],
      },
      {
        resources: [fn(), res("aws:cloudwatch/logGroup:LogGroup", "o", { name: "/aws/lambda/other", retentionInDays: 7 })],
        messages: ["function fn has no log group /aws/lambda/fn in the stack"],
      },
    ],
  },
  {
    policy: "functions-supported-runtime",
    compliant: [fn({ runtime: "nodejs22.x" }), fn({ runtime: "nodejs20.x" })],
    violations: [
      { resources: [fn({ runtime: "nodejs16.x" })], messages: ["function fn runs nodejs16.x; the platform runs nodejs22.x or nodejs20.x"] },
      { resources: [fn({ runtime: undefined })], messages: ["function fn runs no runtime; the platform runs nodejs22.x or nodejs20.x"] },
    ],
  },
  {
    policy: "functions-have-alarms",
    // An alarm with no dimensions at all (the API's 5xx) sits beside them.
    // An account-wide Lambda alarm (ConcurrentExecutions) has no dimensions either.
    compliant: [
      ...wellWatchedFunction(),
      alarm("5xx", { namespace: "AWS/ApiGateway", dimensions: undefined }),
      alarm("ConcurrentExecutions", { dimensions: undefined }),
    ],
    violations: [
      { resources: [fn(), alarm("Errors"), alarm("Duration")], messages: ["function fn has no alarm on Throttles"] },
      { resources: [fn(), alarm("Throttles")], messages: ["function fn has no alarm on Errors, Duration"] },
      // An alarm of another namespace, or on another function, watches nothing of this one.
      {
        resources: [
          fn(),
          alarm("Errors", { namespace: "AWS/SQS" }),
          alarm("Throttles", { dimensions: { FunctionName: "other" } }),
          alarm("Duration"),
        ],
        messages: ["function fn has no alarm on Errors, Throttles"],
      },
    ],
  },
  {
    policy: "no-wildcard-actions",
    compliant: [
      rolePolicy(["sqs:SendMessage"]),
      rolePolicy(["*"], "Deny"),
      res("aws:iam/role:Role", "r", {
        inlinePolicies: [{ policy: policyDoc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }) }],
      }),
      // A permissions boundary only caps what a role may do: its Allow * is the ceiling, not a grant.
      res("aws:iam/policy:Policy", "boundary", {
        arn: "arn:aws:iam::123456789012:policy/b",
        policy: policyDoc({ Action: "*", Resource: "*" }),
      }),
      res("aws:iam/role:Role", "bounded", { permissionsBoundary: "arn:aws:iam::123456789012:policy/b" }),
    ],
    violations: [
      { resources: [rolePolicy(["s3:*"])], messages: ["p allows the wildcard action s3:*"] },
      // IAM takes one statement as an object, not a list; text that is not JSON has no statements and fails nothing here.
      {
        resources: [
          res("aws:iam/rolePolicy:RolePolicy", "single", {
            policy: JSON.stringify({ Version: "2012-10-17", Statement: { Effect: "Allow", Action: "sqs:*", Resource: "*" } }),
          }),
          res("aws:iam/rolePolicy:RolePolicy", "broken", { policy: "{ not json" }),
        ],
        messages: ["single allows the wildcard action sqs:*"],
      },
      // A document given as an object (aws.iam.PolicyDocument, as pulumi/examples write it): the provider writes it as JSON.
      {
        resources: [
          res("aws:iam/rolePolicy:RolePolicy", "object", {
            policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["logs:*", "dynamodb:GetItem"], Resource: "*" }] },
          }),
        ],
        messages: ["object allows the wildcard action logs:*"],
      },
      {
        // A role with no boundary makes no policy without an ARN a boundary.
        resources: [
          res("aws:iam/policy:Policy", "managed", { policy: policyDoc({ Action: "*", Resource: "*" }) }),
          res("aws:iam/role:Role", "plain", {}),
        ],
        messages: ["managed allows the wildcard action *"],
      },
      {
        resources: [
          res("aws:iam/role:Role", "r", {
            inlinePolicies: [{ policy: policyDoc({ Effect: "Allow", Action: ["sqs:*", "sns:Publish", "s3:*"], Resource: "*" }) }],
          }),
        ],
        messages: ["r allows the wildcard action sqs:*, s3:*"],
      },
      // The same policy, when no role uses it as its boundary, is a grant.
      {
        resources: [
          res("aws:iam/policy:Policy", "boundary", {
            arn: "arn:aws:iam::123456789012:policy/b",
            policy: policyDoc({ Action: "*", Resource: "*" }),
          }),
          res("aws:iam/role:Role", "other", { permissionsBoundary: "arn:aws:iam::123456789012:policy/c" }),
        ],
        messages: ["boundary allows the wildcard action *"],
      },
    ],
  },
  {
    policy: "no-admin-managed-policies",
    compliant: [
      res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {
        role: "r",
        policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      }),
      res("aws:iam/role:Role", "r", { name: "r", managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }),
      // Broad rights under a permissions boundary are the deploy role's pattern.
      res("aws:iam/role:Role", "deploy", {
        name: "platform-deploy",
        permissionsBoundary: "arn:aws:iam::123456789012:policy/b",
        managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      }),
      res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "deploy-rights", {
        role: "platform-deploy",
        policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
      }),
    ],
    violations: [
      {
        resources: [
          res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", {
            role: "r",
            policyArn: "arn:aws:iam::aws:policy/AWSLambda_FullAccess",
          }),
        ],
        messages: ["a attaches the broad managed policy arn:aws:iam::aws:policy/AWSLambda_FullAccess"],
      },
      {
        // Attached to an unbounded role beside a bounded one, and to users only (no role to bound it).
        resources: [
          res("aws:iam/role:Role", "r", { name: "r" }),
          res("aws:iam/role:Role", "deploy", { name: "platform-deploy", permissionsBoundary: "arn:aws:iam::123456789012:policy/b" }),
          res("aws:iam/policyAttachment:PolicyAttachment", "b", { roles: ["r"], policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
          res("aws:iam/policyAttachment:PolicyAttachment", "u", { users: ["u"], policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }),
        ],
        messages: [
          "b attaches the broad managed policy arn:aws:iam::aws:policy/AdministratorAccess",
          "u attaches the broad managed policy arn:aws:iam::aws:policy/AdministratorAccess",
        ],
      },
      {
        resources: [
          res("aws:iam/role:Role", "r", {
            managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/PowerUserAccess"],
          }),
        ],
        messages: ["r attaches the broad managed policy arn:aws:iam::aws:policy/PowerUserAccess"],
      },
      // An attachment to a bounded role and an unbounded one is not exempt.
      {
        resources: [
          res("aws:iam/role:Role", "deploy", { name: "platform-deploy", permissionsBoundary: "arn:aws:iam::123456789012:policy/b" }),
          res("aws:iam/policyAttachment:PolicyAttachment", "c", {
            roles: ["platform-deploy", "loose"],
            policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
          }),
        ],
        messages: ["c attaches the broad managed policy arn:aws:iam::aws:policy/AdministratorAccess"],
      },
    ],
  },
  {
    policy: "iam-actions-exist",
    compliant: [
      // A permission whose action is not known yet (an unresolved output) is not judged.
      res("aws:lambda/permission:Permission", "pending", { function: "fn", principal: "sns.amazonaws.com" }),
      res("aws:iam/rolePolicy:RolePolicy", "any", {
        policy: policyDoc({ Effect: "Allow", Action: ["sqs:SendMessage", "s3:Get*", "*"], Resource: "*" }),
      }),
      res("aws:iam/rolePolicy:RolePolicy", "logs", {
        policy: policyDoc({
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: "arn:aws:logs:eu-west-1:1:log-group:/aws/lambda/f:*",
        }),
      }),
      // A bucket and its objects in one statement: each action takes one of them.
      res("aws:iam/rolePolicy:RolePolicy", "archive", {
        policy: policyDoc({ Effect: "Allow", Action: ["s3:PutObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"] }),
      }),
      res("aws:iam/role:Role", "r", {
        assumeRolePolicy: policyDoc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }),
      }),
      res("aws:lambda/permission:Permission", "perm", { action: "lambda:InvokeFunction" }),
      res("aws:kms/key:Key", "k", {
        policy: policyDoc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::1:root" }, Action: "kms:*", Resource: "*" }),
      }),
    ],
    violations: [
      {
        resources: [rolePolicy(["sqs:SendMessages"])],
        messages: ['p: sqs:SendMessages is not an IAM action: sqs has no action "SendMessages"'],
      },
      { resources: [rolePolicy(["sqsx:SendMessage"])], messages: ['p: sqsx:SendMessage is not an IAM action: there is no service "sqsx"'] },
      { resources: [rolePolicy(["s3:Gte*"])], messages: ["p: s3:Gte* matches no s3 action"] },
      { resources: [rolePolicy(["SendMessage"])], messages: ["p: SendMessage is not an IAM action (service:Action)"] },
      {
        resources: [
          res("aws:iam/rolePolicy:RolePolicy", "p", {
            policy: policyDoc({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b" }),
          }),
        ],
        messages: [
          "p: s3:GetObject does not apply to arn:aws:s3:::b: it takes accesspointobject (arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}) or object (arn:${Partition}:s3:::${BucketName}/${ObjectName})",
        ],
      },
      {
        resources: [
          res("aws:iam/rolePolicy:RolePolicy", "p", {
            policy: policyDoc({ Effect: "Allow", Action: "sqs:ListQueues", Resource: "arn:aws:sqs:eu-west-1:1:q" }),
          }),
        ],
        messages: ['p: sqs:ListQueues takes no resource type, so only "Resource": "*" grants it (not arn:aws:sqs:eu-west-1:1:q)'],
      },
      {
        resources: [
          res("aws:iam/role:Role", "r", {
            assumeRolePolicy: policyDoc({ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRoles" }),
          }),
        ],
        messages: ['r: sts:AssumeRoles is not an IAM action: sts has no action "AssumeRoles"'],
      },
      {
        resources: [
          res("aws:sqs/queuePolicy:QueuePolicy", "qp", {
            policy: policyDoc({ Effect: "Deny", Principal: "*", NotAction: "sqs:Recieve*", Resource: "*" }),
          }),
        ],
        messages: ["qp: sqs:Recieve* matches no sqs action"],
      },
      {
        // Every place a resource keeps a policy document is read, each a misspelt action of its own.
        resources: [
          res("aws:iam/role:Role", "role", {
            inlinePolicies: [{ name: "inline", policy: policyDoc({ Effect: "Allow", Action: "sqs:SendMesage", Resource: "*" }) }],
          }),
          ...[
            ["aws:iam/policy:Policy", "managed", "s3:GetObjekt"],
            ["aws:iam/userPolicy:UserPolicy", "user", "s3:PutObjekt"],
            ["aws:iam/groupPolicy:GroupPolicy", "group", "s3:ListBuckit"],
            ["aws:sqs/queue:Queue", "queue", "sqs:SendMesage"],
            ["aws:s3/bucketPolicy:BucketPolicy", "bucket", "s3:GetObjekt"],
            ["aws:sns/topicPolicy:TopicPolicy", "topicpolicy", "sns:Publsh"],
            ["aws:sns/topic:Topic", "topic", "sns:Publsh"],
            ["aws:kms/key:Key", "key", "kms:Decrpt"],
            ["aws:dynamodb/resourcePolicy:ResourcePolicy", "table", "dynamodb:GetIten"],
          ].map(([type, name, action]) =>
            res(type, name, {
              policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: { Effect: "Allow", Principal: "*", Action: action, Resource: "*" },
              }),
            }),
          ),
        ],
        messages: [
          'role: sqs:SendMesage is not an IAM action: sqs has no action "SendMesage"',
          'managed: s3:GetObjekt is not an IAM action: s3 has no action "GetObjekt"',
          'user: s3:PutObjekt is not an IAM action: s3 has no action "PutObjekt"',
          'group: s3:ListBuckit is not an IAM action: s3 has no action "ListBuckit"',
          'queue: sqs:SendMesage is not an IAM action: sqs has no action "SendMesage"',
          'bucket: s3:GetObjekt is not an IAM action: s3 has no action "GetObjekt"',
          'topicpolicy: sns:Publsh is not an IAM action: sns has no action "Publsh"',
          'topic: sns:Publsh is not an IAM action: sns has no action "Publsh"',
          'key: kms:Decrpt is not an IAM action: kms has no action "Decrpt"',
          'table: dynamodb:GetIten is not an IAM action: dynamodb has no action "GetIten"',
        ],
      },
      {
        resources: [res("aws:lambda/permission:Permission", "perm", { action: "lambda:Invoke" })],
        messages: ['perm: lambda:Invoke is not an IAM action: lambda has no action "Invoke"'],
      },
    ],
  },
  {
    policy: "schedule-expressions-valid",
    compliant: [
      res("aws:cloudwatch/eventRule:EventRule", "nightly", { scheduleExpression: "cron(0 10 ? * 6L *)" }),
      res("aws:cloudwatch/eventRule:EventRule", "pattern", { eventPattern: "{}" }),
      res("aws:scheduler/schedule:Schedule", "once", { scheduleExpression: "at(2027-01-01T09:00:00)" }),
    ],
    violations: [
      {
        resources: [res("aws:cloudwatch/eventRule:EventRule", "warm", { scheduleExpression: "rate(5 minute)" })],
        messages: ["warm: rate(5 minute) is not a valid schedule expression: a rate above 1 takes the plural unit: rate(5 minutes)"],
      },
      {
        resources: [res("aws:cloudwatch/eventRule:EventRule", "once", { scheduleExpression: "at(2027-01-01T09:00:00)" })],
        messages: [
          "once: at(2027-01-01T09:00:00) is not a valid schedule expression: at(...) is EventBridge Scheduler's; an EventBridge rule takes rate(...) or cron(...)",
        ],
      },
      {
        resources: [res("aws:scheduler/schedule:Schedule", "s", { scheduleExpression: "cron(0 10 * * * *)" })],
        messages: [
          "s: cron(0 10 * * * *) is not a valid schedule expression: one of day-of-month and day-of-week must be ?, and only one: a value or * in one needs ? in the other",
        ],
      },
    ],
  },
  {
    policy: "http-api-route-keys-valid",
    compliant: [
      res("aws:apigatewayv2/route:Route", "get", { routeKey: "GET /orders/{orderId}" }),
      res("aws:apigatewayv2/route:Route", "root", { routeKey: "GET /" }),
      res("aws:apigatewayv2/route:Route", "fallback", { routeKey: "$default" }),
      // A WebSocket API's keys are not paths, and its routes are not checked as an HTTP API's.
      res("aws:apigatewayv2/route:Route", "connect", { routeKey: "$connect" }),
      res("aws:apigatewayv2/route:Route", "action", { routeKey: "send message/" }),
      res("aws:apigatewayv2/route:Route", "hashed", { routeKey: "#go /x/" }),
      res("aws:apigatewayv2/api:Api", "ws", { protocolType: "WEBSOCKET", routeKey: "GET /x/" }),
      res("aws:apigatewayv2/api:Api", "quick", { protocolType: "HTTP", routeKey: "ANY /{proxy+}" }),
      res("aws:apigatewayv2/api:Api", "plain", { protocolType: "HTTP" }),
    ],
    violations: [
      {
        resources: [res("aws:apigatewayv2/route:Route", "users", { routeKey: "GET /users/" })],
        messages: [
          'users: route key "GET /users/" has path parts API Gateway refuses: an empty part (a trailing or doubled /); each part is text of letters, digits and . : _ - or a whole {variable} (^(\\{[\\w.:-]+\\+?\\}|[a-zA-Z0-9.:_-]+)$)',
        ],
      },
      {
        resources: [res("aws:apigatewayv2/route:Route", "lower", { routeKey: "get /x" })],
        messages: [
          'lower: route key "get /x" is not "<METHOD> /<path>" (METHOD one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS) or "$default"',
        ],
      },
      {
        resources: [res("aws:apigatewayv2/api:Api", "quick", { protocolType: "HTTP", routeKey: "ANY /{proxy+}/x" })],
        messages: ['quick: route key "ANY /{proxy+}/x" has a greedy variable before its last part: {name+} can only end the path'],
      },
    ],
  },
  {
    policy: "no-account-singletons",
    compliant: [res("aws:sqs/queue:Queue", "q", {}), res("aws:iam/role:Role", "r", {})],
    violations: [
      {
        resources: [res("aws:cfg/recorder:Recorder", "rec", {})],
        messages: [
          "aws:cfg/recorder:Recorder rec exists once per account and region: it belongs in the account baseline stack (baseline/), not in an application stack",
        ],
      },
      {
        resources: [
          res("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "github", {}),
          res("aws:iam/accountPasswordPolicy:AccountPasswordPolicy", "pw", {}),
        ],
        messages: [
          "aws:iam/openIdConnectProvider:OpenIdConnectProvider github exists once per account and region: it belongs in the account baseline stack (baseline/), not in an application stack",
          "aws:iam/accountPasswordPolicy:AccountPasswordPolicy pw exists once per account and region: it belongs in the account baseline stack (baseline/), not in an application stack",
        ],
      },
    ],
  },
  {
    policy: "queues-encrypted",
    compliant: [queue("q"), queue("k", { sqsManagedSseEnabled: false, kmsMasterKeyId: "alias/k" })],
    violations: [
      { resources: [queue("q", { sqsManagedSseEnabled: false })], messages: ["queue q is not encrypted"] },
      { resources: [queue("q", { sqsManagedSseEnabled: undefined })], messages: ["queue q is not encrypted"] },
    ],
  },
  {
    policy: "dlq-retention-14-days",
    compliant: [
      queue("work", { redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 }) }),
      queue("dlq", { messageRetentionSeconds: 1209600 }),
      // A queue nobody redrives to may keep messages as long as it likes.
      queue("plain", { messageRetentionSeconds: 60 }),
      // Invoke configs with no failure destination name no dead-letter queue.
      invokeConfig({ destinationConfig: undefined }),
      invokeConfig({ destinationConfig: {} }),
    ],
    violations: [
      {
        resources: [invokeConfig(), queue("dlq", { messageRetentionSeconds: 345600 })],
        messages: ["dead-letter queue dlq keeps messages for 345600 s, not 14 days (1209600)"],
      },
      {
        resources: [queue("work", { redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN }) }), queue("dlq")],
        messages: ["dead-letter queue dlq keeps messages for 345600 s, not 14 days (1209600)"],
      },
      { resources: [queue("work", { redrivePolicy: "{not json" })], messages: ["queue work has a redrivePolicy that is not JSON"] },
    ],
  },
  {
    policy: "alarms-have-actions",
    compliant: [alarm("Errors")],
    violations: [
      { resources: [alarm("Errors", { okActions: [] })], messages: ["alarm fn-Errors has no okActions"] },
      { resources: [alarm("Errors", { alarmActions: undefined })], messages: ["alarm fn-Errors has no alarmActions"] },
    ],
  },
  {
    policy: "api-access-logs-json",
    compliant: [stage("aws:apigatewayv2/stage:Stage", { destinationArn: "arn:logs", format: '{"requestId":"$context.requestId"}' })],
    violations: [
      {
        resources: [stage("aws:apigatewayv2/stage:Stage", { destinationArn: "arn:logs", format: "$context.requestId $context.status" })],
        messages: ["stage s writes access logs that are not JSON"],
      },
      { resources: [stage("aws:apigateway/stage:Stage", undefined)], messages: ["stage s has no access logs"] },
      { resources: [stage("aws:apigatewayv2/stage:Stage", { format: "{}" })], messages: ["stage s has no access logs"] },
      {
        resources: [stage("aws:apigatewayv2/stage:Stage", { destinationArn: "arn:logs", format: '"a string"' })],
        messages: ["stage s writes access logs that are not JSON"],
      },
    ],
  },
  {
    policy: "no-api-gateway-cache",
    compliant: [
      res("aws:apigateway/stage:Stage", "v1", { cacheClusterEnabled: false }),
      res("aws:apigateway/methodSettings:MethodSettings", "m", { settings: { cachingEnabled: false } }),
      res("aws:apigateway/methodSettings:MethodSettings", "bare", {}),
    ],
    violations: [
      {
        resources: [res("aws:apigateway/stage:Stage", "v1", { cacheClusterEnabled: true })],
        messages: ["stage v1 enables the API Gateway cache"],
      },
      {
        resources: [res("aws:apigateway/methodSettings:MethodSettings", "m", { settings: { cachingEnabled: true } })],
        messages: ["method settings m enable caching"],
      },
    ],
  },
  {
    policy: "buckets-secure",
    compliant: [
      bucket(),
      ...bucketGuards(),
      // Guards may name a bucket by its name or by its id, where the two differ.
      res("aws:s3/bucket:Bucket", "named", { bucket: "named-1", id: "named-id" }),
      ...bucketGuards().map((g) => withProps(g, { bucket: "named-1" })),
      res("aws:s3/bucket:Bucket", "by-id", { bucket: "by-id-1", id: "by-id-id" }),
      ...bucketGuards().map((g) => withProps(g, { bucket: "by-id-id" })),
      // A statement with no condition beside the TLS one.
      res("aws:s3/bucketPolicy:BucketPolicy", "logs-extra", {
        bucket: "logs",
        policy: policyDoc({ Effect: "Deny", Principal: "*", Action: "s3:DeleteBucket", Resource: "arn:aws:s3:::logs" }),
      }),
    ],
    violations: [
      // Another bucket's guards guard nothing of this one.
      {
        resources: [res("aws:s3/bucket:Bucket", "bare", { bucket: "bare", id: "bare" }), bucket(), ...bucketGuards()],
        messages: [
          "bucket bare does not block all public access",
          "bucket bare has no encryption configuration",
          "bucket bare does not deny non-TLS requests",
        ],
      },
      // Deny without the condition, the condition on an Allow, or on another key: none refuses plain HTTP.
      ...[
        { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::logs/*" },
        {
          Effect: "Allow",
          Principal: "*",
          Action: "s3:*",
          Resource: "arn:aws:s3:::logs/*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "arn:aws:s3:::logs/*",
          Condition: { Bool: { "aws:SecureTransport": "true" } },
        },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: "arn:aws:s3:::logs/*",
          Condition: { StringEquals: { "aws:SecureTransport": "false" } },
        },
      ].map((statement) => ({
        resources: [
          bucket(),
          ...bucketGuards().slice(0, 2),
          res("aws:s3/bucketPolicy:BucketPolicy", "logs-policy", { bucket: "logs", policy: policyDoc(statement) }),
        ],
        messages: ["bucket logs does not deny non-TLS requests"],
      })),
      { resources: [bucket(), ...bucketGuards().slice(0, 2)], messages: ["bucket logs does not deny non-TLS requests"] },
      { resources: [bucket(), bucketGuards()[0], bucketGuards()[2]], messages: ["bucket logs has no encryption configuration"] },
      { resources: [bucket(), ...bucketGuards().slice(1)], messages: ["bucket logs does not block all public access"] },
      {
        resources: [bucket(), withProps(bucketGuards()[0], { ignorePublicAcls: false }), ...bucketGuards().slice(1)],
        messages: ["bucket logs does not block all public access"],
      },
    ],
  },
  {
    policy: "kms-keys-rotate",
    compliant: [res("aws:kms/key:Key", "k", { enableKeyRotation: true })],
    violations: [
      { resources: [res("aws:kms/key:Key", "k", { enableKeyRotation: false })], messages: ["KMS key k does not rotate"] },
      { resources: [res("aws:kms/key:Key", "k", {})], messages: ["KMS key k does not rotate"] },
    ],
  },
  {
    policy: "event-targets-have-dlq-and-retries",
    compliant: [
      res("aws:cloudwatch/eventTarget:EventTarget", "t", {
        arn: FN_ARN,
        deadLetterConfig: { arn: DLQ_ARN },
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 },
      }),
      res("aws:scheduler/schedule:Schedule", "s", {
        target: {
          arn: FN_ARN,
          deadLetterConfig: { arn: DLQ_ARN },
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        },
      }),
    ],
    violations: [
      {
        resources: [
          res("aws:cloudwatch/eventTarget:EventTarget", "t", {
            arn: FN_ARN,
            retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 60 },
          }),
        ],
        messages: ["EventBridge target t has no dead-letter queue: an event it cannot deliver is dropped"],
      },
      {
        resources: [
          res("aws:cloudwatch/eventTarget:EventTarget", "t", {
            arn: FN_ARN,
            deadLetterConfig: { arn: DLQ_ARN },
            retryPolicy: { maximumEventAgeInSeconds: 60 },
          }),
        ],
        messages: ["EventBridge target t has no explicit retry policy (maximumRetryAttempts and maximumEventAgeInSeconds)"],
      },
      {
        resources: [
          res("aws:cloudwatch/eventTarget:EventTarget", "t", {
            arn: FN_ARN,
            deadLetterConfig: { arn: DLQ_ARN },
            retryPolicy: { maximumRetryAttempts: 2 },
          }),
        ],
        messages: ["EventBridge target t has no explicit retry policy (maximumRetryAttempts and maximumEventAgeInSeconds)"],
      },
      {
        resources: [res("aws:scheduler/schedule:Schedule", "s", { target: { arn: FN_ARN, deadLetterConfig: {} } })],
        messages: [
          "schedule s has no dead-letter queue: an event it cannot deliver is dropped",
          "schedule s has no explicit retry policy (maximumRetryAttempts and maximumEventAgeInSeconds)",
        ],
      },
    ],
  },
  {
    policy: "fifo-queue-targets-valid",
    compliant: [
      queue("jobs.fifo", { fifoQueue: true, contentBasedDeduplication: true }),
      res("aws:cloudwatch/eventTarget:EventTarget", "t", { arn: FIFO_ARN, sqsTarget: { messageGroupId: "nightly" } }),
      res("aws:scheduler/schedule:Schedule", "s", { target: { arn: FIFO_ARN, sqsParameters: { messageGroupId: "nightly" } } }),
      // A standard queue takes no message group; a FIFO queue of another stack is that stack's to check for deduplication.
      res("aws:cloudwatch/eventTarget:EventTarget", "standard", { arn: DLQ_ARN }),
      res("aws:cloudwatch/eventTarget:EventTarget", "elsewhere", {
        arn: "arn:aws:sqs:us-east-1:123456789012:other.fifo",
        sqsTarget: { messageGroupId: "g" },
      }),
    ],
    violations: [
      {
        resources: [
          queue("jobs.fifo", { fifoQueue: true, contentBasedDeduplication: true }),
          res("aws:cloudwatch/eventTarget:EventTarget", "t", { arn: FIFO_ARN }),
        ],
        messages: [
          `EventBridge target t: its target ${FIFO_ARN} is a FIFO queue, which EventBridge sends to only in a message group: set sqsTarget.messageGroupId (AWS refuses the target without it: "Parameter(s) SqsParameters must be specified")`,
        ],
      },
      {
        resources: [res("aws:scheduler/schedule:Schedule", "s", { target: { arn: FIFO_ARN, sqsParameters: { messageGroupId: "" } } })],
        messages: [
          `schedule s: its target ${FIFO_ARN} is a FIFO queue, which EventBridge sends to only in a message group: set target.sqsParameters.messageGroupId (AWS refuses the target without it: "Parameter(s) SqsParameters must be specified")`,
        ],
      },
      {
        resources: [
          queue("jobs.fifo", { fifoQueue: true }),
          res("aws:cloudwatch/eventTarget:EventTarget", "t", { arn: FIFO_ARN, sqsTarget: { messageGroupId: "nightly" } }),
        ],
        messages: [
          "EventBridge target t: its FIFO queue jobs.fifo does not deduplicate by content (contentBasedDeduplication), and EventBridge sends no deduplication id: SQS refuses every event",
        ],
      },
    ],
  },
  {
    policy: "bucket-notifications-deliverable",
    compliant: [
      // A function, with S3's permission for the bucket, which the notification waits for.
      fn(),
      s3Permission("fn-from-photos", { sourceArn: "arn:aws:s3:::photos" }),
      notification("to-fn", { lambdaFunctions: [{ lambdaFunctionArn: FN_ARN }] }, ["fn-from-photos"]),
      // A queue whose own policy lets S3 send for buckets like it, and a topic whose inline policy does.
      queue("uploads", { url: UPLOADS_URL }),
      // A Deny with a condition S3 meets (TLS) keeps nothing out; an Allow for everyone lets S3 in too.
      queuePolicy(
        "uploads-policy",
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Deny", Principal: "*", Action: "sqs:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
            ...JSON.parse(s3May("sqs:SendMessage", { ArnLike: { "aws:SourceArn": "arn:aws:s3:::photo*" } })).Statement,
          ],
        }),
      ),
      res("aws:sns/topic:Topic", "news", {
        arn: NEWS_ARN,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sns:*", Resource: "*" }],
        }),
      }),
      notification("to-queue-and-topic", { queues: [{ queueArn: UPLOADS_ARN }], topics: [{ topicArn: NEWS_ARN }] }, ["uploads-policy"]),
      // A destination of another stack is that stack's to let S3 in.
      notification("elsewhere", { lambdaFunctions: [{ lambdaFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:other" }] }),
      // A preview of a new stack: the function's ARN is unknown, the engine's property dependencies say which it is.
      withDependencies(s3Permission("new-permission", { function: undefined }), { function: [fn().urn] }),
      withDependencies(notification("to-new-fn", { lambdaFunctions: [{ lambdaFunctionArn: undefined }] }, ["new-permission"]), {
        lambdaFunctions: [fn().urn],
      }),
    ],
    violations: [
      {
        resources: [fn(), notification("to-fn", { lambdaFunctions: [{ lambdaFunctionArn: FN_ARN }] })],
        messages: [
          `bucket notification to-fn: S3 invoking function fn (${FN_ARN}) has no aws.lambda.Permission for s3.amazonaws.com with sourceArn arn:aws:s3:::photos; ${UNVALIDATED}`,
        ],
      },
      {
        // For another bucket, for another qualifier, for another principal.
        resources: [
          fn(),
          s3Permission("other-bucket", { sourceArn: "arn:aws:s3:::logs" }),
          s3Permission("other-qualifier", { qualifier: "live" }),
          s3Permission("other-principal", { principal: "sns.amazonaws.com" }),
          notification("to-fn", { lambdaFunctions: [{ lambdaFunctionArn: FN_ARN }] }, [
            "other-bucket",
            "other-qualifier",
            "other-principal",
          ]),
        ],
        messages: [
          `bucket notification to-fn: S3 invoking function fn (${FN_ARN}) has no aws.lambda.Permission for s3.amazonaws.com with sourceArn arn:aws:s3:::photos; ${UNVALIDATED}`,
        ],
      },
      {
        resources: [fn(), s3Permission("fn-from-photos"), notification("to-fn", { lambdaFunctions: [{ lambdaFunctionArn: FN_ARN }] })],
        messages: [
          `bucket notification to-fn: S3 invoking function fn (${FN_ARN}) is let in by fn-from-photos, which the notification does not depend on: S3 checks the destination when the notification is put, which may come first (add dependsOn)`,
        ],
      },
      {
        resources: [
          fn(),
          withDependencies(s3Permission("unrelated", { function: undefined }), {
            function: ["urn:pulumi:test::platform::aws:lambda/function:Function::other"],
          }),
          withDependencies(notification("to-new-fn", { lambdaFunctions: [{ lambdaFunctionArn: undefined }] }, ["unrelated"]), {
            lambdaFunctions: [fn().urn],
          }),
        ],
        messages: [
          `bucket notification to-new-fn: S3 invoking its function has no aws.lambda.Permission for s3.amazonaws.com with sourceArn arn:aws:s3:::photos; ${UNVALIDATED}`,
        ],
      },
      {
        resources: [
          queue("uploads", { url: UPLOADS_URL }),
          queuePolicy("uploads-policy", s3May("sqs:SendMessage", { ArnEquals: { "aws:SourceArn": "arn:aws:s3:::logs" } })),
          res("aws:sns/topic:Topic", "news", { arn: NEWS_ARN }),
          notification("to-queue-and-topic", { queues: [{ queueArn: UPLOADS_ARN }], topics: [{ topicArn: NEWS_ARN }] }, ["uploads-policy"]),
        ],
        messages: QUEUE_AND_TOPIC_SHUT,
      },
      {
        // A Deny that always applies wins over the Allow; an Allow for another action lets nothing in.
        resources: [
          queue("uploads", { url: UPLOADS_URL }),
          queuePolicy(
            "uploads-policy",
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [...JSON.parse(s3May("sqs:*", undefined, "Deny")).Statement, ...JSON.parse(s3May("sqs:SendMessage")).Statement],
            }),
          ),
          res("aws:sns/topic:Topic", "news", { arn: NEWS_ARN, policy: s3May("SNS:Subscribe") }),
          notification("to-queue-and-topic", { queues: [{ queueArn: UPLOADS_ARN }], topics: [{ topicArn: NEWS_ARN }] }, ["uploads-policy"]),
        ],
        messages: QUEUE_AND_TOPIC_SHUT,
      },
      {
        resources: [
          queue("uploads", { url: UPLOADS_URL }),
          queuePolicy("uploads-policy", s3May("sqs:SendMessage")),
          notification("to-queue", { queues: [{ queueArn: UPLOADS_ARN }] }),
        ],
        messages: [
          "bucket notification to-queue: S3 sending to queue uploads is let in by uploads-policy, which the notification does not depend on: S3 checks the destination when the notification is put, which may come first (add dependsOn)",
        ],
      },
    ],
  },
  {
    policy: "event-target-inputs-valid",
    compliant: [
      res("aws:cloudwatch/eventTarget:EventTarget", "t", { arn: FN_ARN, input: '{ "job": "nightly" }' }),
      // JSON text need not be an object; no input is the event itself.
      res("aws:cloudwatch/eventTarget:EventTarget", "text", { arn: DLQ_ARN, input: '"nightly"' }),
      res("aws:cloudwatch/eventTarget:EventTarget", "whole", { arn: DLQ_ARN }),
      res("aws:scheduler/schedule:Schedule", "s", { target: { arn: FN_ARN, input: "{}" } }),
      // The Scheduler sends any text to a queue or a topic.
      res("aws:scheduler/schedule:Schedule", "q", { target: { arn: DLQ_ARN, input: "Hello world!" } }),
      res("aws:scheduler/schedule:Schedule", "topic", { target: { arn: TOPIC, input: "Hello world!" } }),
      // Unknown at preview (a new target's ARN), and no input at all.
      res("aws:scheduler/schedule:Schedule", "unknown-arn", { target: { input: "Hello world!" } }),
      res("aws:cloudwatch/eventTarget:EventTarget", "null-input", { arn: DLQ_ARN, input: null }),
      res("aws:cloudwatch/eventTarget:EventTarget", "json-template", {
        arn: DLQ_ARN,
        inputTransformer: {
          inputPaths: { id: "$.detail.id", items: "$.detail.items" },
          inputTemplate: '{"order": <id>, "note": "order <id>", "items": [<items>], "rule": <aws.events.rule-name>}',
        },
      }),
      res("aws:cloudwatch/eventTarget:EventTarget", "string-template", {
        arn: DLQ_ARN,
        inputTransformer: { inputPaths: { id: "$.detail.id" }, inputTemplate: '"order <id> placed"' },
      }),
    ],
    violations: [
      {
        resources: [res("aws:cloudwatch/eventTarget:EventTarget", "t", { arn: DLQ_ARN, input: "Hello world!" })],
        messages: [
          `EventBridge target t: its input "Hello world!" is not valid JSON text, which an EventBridge target requires (PutTargets refuses it: "Input for target … is not a valid JSON text")`,
        ],
      },
      {
        resources: [res("aws:scheduler/schedule:Schedule", "s", { target: { arn: FN_ARN, input: "{job: nightly}" } })],
        messages: [
          `schedule s: its target.input "{job: nightly}" is not valid JSON text, which the Scheduler's templated lambda target requires (CreateSchedule refuses it)`,
        ],
      },
      {
        resources: [
          res("aws:scheduler/schedule:Schedule", "sfn", {
            target: { arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m", input: "go" },
          }),
          res("aws:scheduler/schedule:Schedule", "bus", {
            target: { arn: "arn:aws:events:us-east-1:123456789012:event-bus/b", input: "" },
          }),
          res("aws:cloudwatch/eventTarget:EventTarget", "number", { arn: DLQ_ARN, input: 7 }),
        ],
        messages: [
          `schedule sfn: its target.input "go" is not valid JSON text, which the Scheduler's templated states target requires (CreateSchedule refuses it)`,
          `schedule bus: its target.input "" is not valid JSON text, which the Scheduler's templated events target requires (CreateSchedule refuses it)`,
          `EventBridge target number: its input of type number is not valid JSON text, which an EventBridge target requires (PutTargets refuses it: "Input for target … is not a valid JSON text")`,
        ],
      },
      {
        resources: [
          res("aws:cloudwatch/eventTarget:EventTarget", "unquoted", {
            arn: DLQ_ARN,
            inputTransformer: { inputTemplate: "order <id> placed" },
          }),
          res("aws:cloudwatch/eventTarget:EventTarget", "key", {
            arn: DLQ_ARN,
            inputTransformer: { inputPaths: { id: "$.detail.id" }, inputTemplate: "{<id>: 1}" },
          }),
          res("aws:cloudwatch/eventTarget:EventTarget", "unknown", {
            arn: DLQ_ARN,
            inputTransformer: { inputTemplate: '{"a": <nobody>}' },
          }),
          res("aws:cloudwatch/eventTarget:EventTarget", "reserved", {
            arn: DLQ_ARN,
            inputTransformer: { inputPaths: { "aws.events.rule-name": "$.detail.id" }, inputTemplate: '"x"' },
          }),
          res("aws:cloudwatch/eventTarget:EventTarget", "many", {
            arn: DLQ_ARN,
            inputTransformer: {
              inputPaths: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, "$.id"])),
              inputTemplate: '"x"',
            },
          }),
          res("aws:cloudwatch/eventTarget:EventTarget", "empty", { arn: DLQ_ARN, inputTransformer: { inputTemplate: " " } }),
          res("aws:cloudwatch/eventTarget:EventTarget", "number", { arn: DLQ_ARN, inputTransformer: { inputTemplate: 7 } }),
          res("aws:cloudwatch/eventTarget:EventTarget", "list", {
            arn: DLQ_ARN,
            inputTransformer: { inputPaths: ["$.a"], inputTemplate: '"x"' },
          }),
          res("aws:cloudwatch/eventTarget:EventTarget", "null", {
            arn: DLQ_ARN,
            inputTransformer: { inputPaths: null, inputTemplate: '"x"' },
          }),
          res("aws:cloudwatch/eventTarget:EventTarget", "path", {
            arn: DLQ_ARN,
            inputTransformer: { inputPaths: { id: 7 }, inputTemplate: '"x"' },
          }),
        ],
        messages: [
          `EventBridge target unquoted: its inputTransformer.inputTemplate "order <id> placed" is neither JSON nor a string in quotes, which EventBridge requires of a string template`,
          "EventBridge target key: its inputTransformer.inputTemplate is not JSON once its placeholders are filled (a placeholder may not be an object key, and each must be one EventBridge knows)",
          "EventBridge target unknown: its inputTransformer.inputTemplate is not JSON once its placeholders are filled (a placeholder may not be an object key, and each must be one EventBridge knows)",
          "EventBridge target reserved: its inputTransformer names an input path aws.events.rule-name, which EventBridge reserves for its own variable",
          "EventBridge target many: its inputTransformer has 101 inputPaths; EventBridge allows 100",
          "EventBridge target empty: its inputTransformer has no inputTemplate",
          "EventBridge target number: its inputTransformer has no inputTemplate",
          "EventBridge target list: its inputTransformer.inputPaths is not a map of names to JSON paths",
          "EventBridge target null: its inputTransformer.inputPaths is not a map of names to JSON paths",
          "EventBridge target path: its inputTransformer's input path id is not a JSON path",
        ],
      },
    ],
  },
  {
    policy: "queue-mappings-capped",
    compliant: [
      fn({ reservedConcurrentExecutions: 10 }),
      res("aws:lambda/eventSourceMapping:EventSourceMapping", "m", {
        eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q",
        functionName: LIVE_ARN,
        scalingConfig: { maximumConcurrency: 10 },
      }),
      res("aws:lambda/eventSourceMapping:EventSourceMapping", "stream", {
        eventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
        functionName: LIVE_ARN,
      }),
      // A function with no reservation (-1, the provider's "unreserved"), and one outside the stack.
      namedFn("open", { reservedConcurrentExecutions: -1 }),
      res("aws:lambda/eventSourceMapping:EventSourceMapping", "open-m", {
        eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q2",
        functionName: arnOf("open"),
        scalingConfig: { maximumConcurrency: 50 },
      }),
      res("aws:lambda/eventSourceMapping:EventSourceMapping", "elsewhere", {
        eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q3",
        functionName: "arn:aws:lambda:us-east-1:123456789012:function:elsewhere",
        scalingConfig: { maximumConcurrency: 2 },
      }),
    ],
    violations: [
      {
        // Reserved 0 lets nothing run: any maximum is above it.
        resources: [
          fn({ reservedConcurrentExecutions: 0 }),
          res("aws:lambda/eventSourceMapping:EventSourceMapping", "m", {
            eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q",
            functionName: LIVE_ARN,
            scalingConfig: { maximumConcurrency: 2 },
          }),
        ],
        messages: ["event source mapping m allows 2 concurrent invocations, above its function's reserved 0"],
      },
      {
        resources: [
          fn(),
          res("aws:lambda/eventSourceMapping:EventSourceMapping", "m", {
            eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q",
            functionName: LIVE_ARN,
          }),
        ],
        messages: ["event source mapping m has no maximumConcurrency: the queue can push its function to any concurrency"],
      },
      {
        resources: [
          fn({ reservedConcurrentExecutions: 10 }),
          res("aws:lambda/eventSourceMapping:EventSourceMapping", "m", {
            eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:q",
            functionName: LIVE_ARN,
            scalingConfig: { maximumConcurrency: 11 },
          }),
        ],
        messages: ["event source mapping m allows 11 concurrent invocations, above its function's reserved 10"],
      },
    ],
  },
  {
    policy: "functions-reserve-concurrency-in-prod",
    compliant: [fn({ reservedConcurrentExecutions: 1 })],
    violations: [
      { resources: [fn()], messages: ["function fn has no reserved concurrency in prod"] },
      { resources: [fn({ reservedConcurrentExecutions: 0 })], messages: ["function fn has no reserved concurrency in prod"] },
    ],
  },
  {
    policy: "functions-traced",
    compliant: [fn({ tracingConfig: { mode: "Active" } })],
    violations: [
      { resources: [fn()], messages: ["function fn sets no tracing mode"] },
      {
        resources: [fn({ tracingConfig: { mode: "PassThrough" } })],
        messages: ["function fn does not record traces (tracing PassThrough) in prod"],
      },
    ],
  },
  {
    policy: "vpc-functions-closed-to-inbound",
    compliant: [
      fn({ vpcConfig: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-fn"] } }),
      // A function outside any VPC has no groups to judge.
      namedFn("outside"),
      res("aws:ec2/securityGroup:SecurityGroup", "fn-sg", {
        id: "sg-fn",
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"] }],
        egress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
      }),
      // A group open to the world that no function is in (a public load balancer's) is not this rule's.
      res("aws:ec2/securityGroup:SecurityGroup", "alb-sg", {
        id: "sg-alb",
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }],
      }),
      res("aws:ec2/securityGroupRule:SecurityGroupRule", "alb-in", {
        type: "ingress",
        securityGroupId: "sg-alb",
        cidrBlocks: ["0.0.0.0/0"],
      }),
      res("aws:ec2/securityGroupRule:SecurityGroupRule", "fn-out", { type: "egress", securityGroupId: "sg-fn", cidrBlocks: ["0.0.0.0/0"] }),
      res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "fn-in-vpc", { securityGroupId: "sg-fn", cidrIpv4: "10.0.0.0/16" }),
      // Unknown ids match nothing by themselves: the open group and rule below belong to no function's vpcConfig.
      newFn({ vpcConfig: { subnetIds: [undefined], securityGroupIds: [undefined] } }, { vpcConfig: [] }),
      NEW_GROUP,
      res("aws:ec2/securityGroupRule:SecurityGroupRule", "new-in", {
        type: "ingress",
        securityGroupId: undefined,
        cidrBlocks: ["0.0.0.0/0"],
      }),
    ],
    violations: [
      {
        resources: [
          fn({ vpcConfig: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-other", "sg-fn"] } }),
          res("aws:ec2/securityGroup:SecurityGroup", "fn-sg", {
            id: "sg-fn",
            // An entry still unknown at preview is skipped, not a crash; the known open one is found.
            ingress: [undefined, { protocol: "tcp", fromPort: 22, toPort: 22, ipv6CidrBlocks: ["::/0"] }],
          }),
        ],
        messages: ["function fn is in security group fn-sg, which lets anyone in (ingress from anywhere)"],
      },
      {
        resources: [
          fn({ vpcConfig: { subnetIds: ["subnet-1"], securityGroupIds: ["sg-fn"] } }),
          res("aws:ec2/securityGroup:SecurityGroup", "fn-sg", { id: "sg-fn", ingress: [] }),
          res("aws:ec2/securityGroupRule:SecurityGroupRule", "fn-in", {
            type: "ingress",
            securityGroupId: "sg-fn",
            cidrBlocks: ["10.0.0.0/8", "0.0.0.0/0"],
          }),
          res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "fn-in-v4", { securityGroupId: "sg-fn", cidrIpv4: "0.0.0.0/0" }),
          res("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "fn-in-v6", { securityGroupId: "sg-fn", cidrIpv6: "::/0" }),
        ],
        messages: [
          "function fn is in a security group that fn-in opens to anyone (ingress from anywhere)",
          "function fn is in a security group that fn-in-v4 opens to anyone (ingress from anywhere)",
          "function fn is in a security group that fn-in-v6 opens to anyone (ingress from anywhere)",
        ],
      },
      // In a preview of a new stack the ids are unknown: the engine's property dependencies say which group
      // the function's vpcConfig, and a rule's securityGroupId, come from.
      {
        resources: [
          newFn({ vpcConfig: { subnetIds: [undefined], securityGroupIds: [undefined] } }, { vpcConfig: [NEW_GROUP.urn] }),
          NEW_GROUP,
          withDependencies(
            res("aws:ec2/securityGroupRule:SecurityGroupRule", "new-in", {
              type: "ingress",
              securityGroupId: undefined,
              cidrBlocks: ["0.0.0.0/0"],
            }),
            { securityGroupId: [NEW_GROUP.urn] },
          ),
        ],
        messages: [
          "function fn is in security group new-sg, which lets anyone in (ingress from anywhere)",
          "function fn is in a security group that new-in opens to anyone (ingress from anywhere)",
        ],
      },
    ],
  },
  {
    policy: "vpcs-have-flow-logs",
    compliant: [
      res("awsx:ec2:Vpc", "net-vpc", { vpcId: "vpc-1" }),
      res("aws:ec2/flowLog:FlowLog", "net-flow-log", { vpcId: "vpc-1" }),
      res("aws:ec2/vpc:Vpc", "plain", { id: "vpc-2" }),
      res("aws:ec2/flowLog:FlowLog", "plain-flow-log", { vpcId: "vpc-2" }),
      // Before it exists a VPC's id is unknown: a flow log made beside it, by the same component, counts.
      childOf("urn:net", res("awsx:ec2:Vpc", "new-vpc", { vpcId: undefined })),
      childOf("urn:net", res("aws:ec2/flowLog:FlowLog", "new-flow-log", { vpcId: undefined })),
      // awsx's inner VPC is judged through its component.
      childOf("urn:pulumi:test::platform::awsx:ec2:Vpc::net-vpc", res("aws:ec2/vpc:Vpc", "inner", { id: "vpc-3" })),
    ],
    violations: [
      {
        resources: [
          res("awsx:ec2:Vpc", "net-vpc", { vpcId: "vpc-1" }),
          res("aws:ec2/flowLog:FlowLog", "other-flow-log", { vpcId: "vpc-9" }),
          res("aws:ec2/vpc:Vpc", "plain", { id: "vpc-2" }),
        ],
        messages: [
          "VPC net-vpc has no flow log: add an aws.ec2.FlowLog for it",
          "VPC plain has no flow log: add an aws.ec2.FlowLog for it",
        ],
      },
      {
        resources: [
          childOf("urn:net", res("awsx:ec2:Vpc", "new-vpc", { vpcId: undefined })),
          childOf("urn:other", res("aws:ec2/flowLog:FlowLog", "elsewhere", { vpcId: undefined })),
          res("aws:ec2/flowLog:FlowLog", "orphan", { vpcId: undefined }),
        ],
        messages: ["VPC new-vpc has no flow log: add an aws.ec2.FlowLog for it"],
      },
    ],
  },
  {
    policy: "vpcs-span-two-azs-in-prod",
    compliant: [
      res("awsx:ec2:Vpc", "two", { numberOfAvailabilityZones: 2 }),
      res("awsx:ec2:Vpc", "named", { availabilityZoneNames: ["eu-west-1a", "eu-west-1b"] }),
      // awsx's default is three zones.
      res("awsx:ec2:Vpc", "default", {}),
    ],
    violations: [
      {
        resources: [res("awsx:ec2:Vpc", "one", { numberOfAvailabilityZones: 1 })],
        messages: ["VPC one spans 1 availability zone in prod: one zone's outage takes the functions in it down"],
      },
      {
        resources: [res("awsx:ec2:Vpc", "named", { availabilityZoneNames: ["eu-west-1a"], numberOfAvailabilityZones: 3 })],
        messages: ["VPC named spans 1 availability zone in prod: one zone's outage takes the functions in it down"],
      },
    ],
  },
  {
    policy: "functions-stop-recursive-loops",
    compliant: [
      fn(),
      res("aws:lambda/functionRecursionConfig:FunctionRecursionConfig", "fn-recursion", { functionName: "fn", recursiveLoop: "Terminate" }),
      // Other alarms beside it, one without dimensions.
      alarm("Errors"),
      alarm("5xx", { namespace: "AWS/ApiGateway", dimensions: undefined }),
      alarm("RecursiveInvocationsDropped"),
    ],
    violations: [
      // The metric, the namespace and the function must all be this alarm's.
      ...[
        alarm("Errors"),
        alarm("RecursiveInvocationsDropped", { namespace: "AWS/SQS" }),
        alarm("RecursiveInvocationsDropped", { dimensions: undefined }),
      ].map((wrong) => ({
        resources: [
          fn(),
          res("aws:lambda/functionRecursionConfig:FunctionRecursionConfig", "fn-recursion", {
            functionName: "fn",
            recursiveLoop: "Terminate",
          }),
          wrong,
        ],
        messages: ["function fn has no alarm on RecursiveInvocationsDropped"],
      })),
      {
        resources: [fn(), alarm("RecursiveInvocationsDropped")],
        messages: ["function fn has no FunctionRecursionConfig: set recursiveLoop Terminate"],
      },
      {
        resources: [
          fn(),
          res("aws:lambda/functionRecursionConfig:FunctionRecursionConfig", "fn-recursion", { functionName: "fn", recursiveLoop: "Allow" }),
          alarm("RecursiveInvocationsDropped"),
        ],
        messages: ["function fn lets recursive loops run (recursiveLoop Allow): set recursiveLoop Terminate"],
      },
      {
        resources: [
          fn(),
          res("aws:lambda/functionRecursionConfig:FunctionRecursionConfig", "fn-recursion", {
            functionName: "fn",
            recursiveLoop: "Terminate",
          }),
          alarm("RecursiveInvocationsDropped", { dimensions: { FunctionName: "other" } }),
        ],
        messages: ["function fn has no alarm on RecursiveInvocationsDropped"],
      },
    ],
  },
  {
    policy: "triggers-invoke-live-alias",
    // Every kind of trigger, each through the alias; a trigger of something that is not a function of the stack is not judged.
    compliant: [
      fn(),
      integration(),
      res("aws:lambda/eventSourceMapping:EventSourceMapping", "mapping", { functionName: LIVE_ARN }),
      res("aws:cloudwatch/eventTarget:EventTarget", "target", { arn: LIVE_ARN }),
      res("aws:sns/topicSubscription:TopicSubscription", "sub", { protocol: "lambda", endpoint: LIVE_ARN }),
      res("aws:sns/topicSubscription:TopicSubscription", "mail", { protocol: "email", endpoint: "a@example.com" }),
      res("aws:s3/bucketNotification:BucketNotification", "notify", { lambdaFunctions: [{ lambdaFunctionArn: LIVE_ARN }] }),
      invokeConfig({ qualifier: "live" }),
      res("aws:lambda/permission:Permission", "api", { function: "fn", qualifier: "live", principal: "apigateway.amazonaws.com" }),
      res("aws:cloudwatch/eventTarget:EventTarget", "other", { arn: "arn:aws:lambda:us-east-1:123456789012:function:elsewhere" }),
      res("aws:cloudwatch/eventTarget:EventTarget", "to-queue", { arn: DLQ_ARN }),
      // A passthrough integration invokes no function, whatever its URI.
      res("aws:apigatewayv2/integration:Integration", "passthrough", {
        integrationType: "HTTP_PROXY",
        integrationUri: apiInvokeArn(FN_ARN),
      }),
      // A mapping that names the alias by the function's name.
      res("aws:lambda/eventSourceMapping:EventSourceMapping", "by-name", { functionName: "fn:live" }),
      // A trigger whose function is not known yet (an output still unresolved in a preview) names none.
      res("aws:lambda/eventSourceMapping:EventSourceMapping", "unresolved", { functionName: undefined }),
    ],
    violations: [
      {
        resources: [fn(), integration(FN_ARN)],
        messages: ["API integration route invokes function fn unqualified ($LATEST); point it at the live alias"],
      },
      {
        resources: [fn(), res("aws:lambda/eventSourceMapping:EventSourceMapping", "mapping", { functionName: `${FN_ARN}:$LATEST` })],
        messages: ["event source mapping mapping invokes function fn at $LATEST; point it at the live alias"],
      },
      {
        resources: [fn(), res("aws:cloudwatch/eventTarget:EventTarget", "target", { arn: FN_ARN })],
        messages: ["EventBridge target target invokes function fn unqualified ($LATEST); point it at the live alias"],
      },
      {
        resources: [fn(), res("aws:sns/topicSubscription:TopicSubscription", "sub", { protocol: "lambda", endpoint: `${FN_ARN}:3` })],
        messages: ["SNS subscription sub invokes function fn at 3; point it at the live alias"],
      },
      {
        resources: [
          fn(),
          res("aws:s3/bucketNotification:BucketNotification", "notify", { lambdaFunctions: [{ lambdaFunctionArn: FN_ARN }] }),
        ],
        messages: ["bucket notification notify invokes function fn unqualified ($LATEST); point it at the live alias"],
      },
      {
        resources: [fn(), invokeConfig()],
        messages: ["async invoke config fn-async invokes function fn unqualified ($LATEST); point it at the live alias"],
      },
      {
        resources: [fn(), res("aws:lambda/permission:Permission", "api", { function: "fn", principal: "apigateway.amazonaws.com" })],
        messages: ["invoke permission api invokes function fn unqualified ($LATEST); point it at the live alias"],
      },
      // A qualifier on the function's name, or on its ARN, is read as such.
      {
        resources: [
          fn(),
          res("aws:lambda/permission:Permission", "by-name", { function: "fn", qualifier: "3", principal: "sns.amazonaws.com" }),
          res("aws:lambda/permission:Permission", "by-arn", { function: FN_ARN, qualifier: "$LATEST", principal: "sns.amazonaws.com" }),
          res("aws:lambda/eventSourceMapping:EventSourceMapping", "mapping", { functionName: "fn:beta" }),
        ],
        messages: [
          "invoke permission by-name invokes function fn at 3; point it at the live alias",
          "invoke permission by-arn invokes function fn at $LATEST; point it at the live alias",
          "event source mapping mapping invokes function fn at beta; point it at the live alias",
        ],
      },
    ],
  },
  {
    policy: "api-functions-roll-out-safely-in-prod",
    compliant: [
      // Another group with no alarms at all, looked at first; the function's own group also rolls back on the API's 5xx.
      res("aws:codedeploy/deploymentGroup:DeploymentGroup", "other-group", { deploymentGroupName: "other" }),
      ...rolledOut(deploymentGroup({ alarmConfiguration: { enabled: true, alarms: ["api-5xx", "fn-errors-alarm"] } })),
      alarm("ConcurrentExecutions", { dimensions: undefined }),
      // Called by a schedule only, not through the API; and an integration to a function of another stack.
      namedFn("internal"),
      res("aws:cloudwatch/eventTarget:EventTarget", "internal-target", { arn: arnOf("internal") }),
      res("aws:apigatewayv2/integration:Integration", "elsewhere", {
        integrationType: "AWS_PROXY",
        integrationUri: apiInvokeArn("arn:aws:lambda:us-east-1:123456789012:function:elsewhere:live"),
      }),
      alarm("5xx", { namespace: "AWS/ApiGateway", dimensions: undefined, name: "api-5xx" }),
    ],
    violations: [
      { resources: [fn(), integration()], messages: ["function fn is behind the API but has no live alias"] },
      // Another function's live alias, and another alias of this function, are not its live alias.
      {
        resources: [
          fn(),
          integration(),
          res(
            "aws:lambda/alias:Alias",
            "other-live",
            { name: "live", functionName: "other" },
            { ignoreChanges: ["functionVersion", "routingConfig"] },
          ),
          res(
            "aws:lambda/alias:Alias",
            "fn-beta",
            { name: "beta", functionName: "fn" },
            { ignoreChanges: ["functionVersion", "routingConfig"] },
          ),
        ],
        messages: ["function fn is behind the API but has no live alias"],
      },
      // A group that rolls back on the API's alarm, or on another function's Errors, guards not this function.
      ...[
        alarm("5xx", { namespace: "AWS/ApiGateway", dimensions: undefined, name: "api-5xx" }),
        alarm("Errors", { namespace: "AWS/SQS", name: "api-5xx" }),
        alarm("Errors", { dimensions: { FunctionName: "other" }, name: "api-5xx" }),
      ].map((wrong) => ({
        resources: [
          fn(),
          integration(),
          liveAlias(),
          wrong,
          deploymentGroup({ alarmConfiguration: { enabled: true, alarms: ["api-5xx"] } }),
        ],
        messages: ["function fn is behind the API but no CodeDeploy deployment group rolls it back on an alarm of its own"],
      })),
      {
        resources: rolledOut(deploymentGroup({ autoRollbackConfiguration: undefined })),
        messages: ["deployment group fn-group does not roll back on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM"],
      },
      {
        resources: rolledOut(deploymentGroup(), liveAlias(["functionVersion"])),
        messages: [
          "alias fn-live is moved by pulumi up: ignore changes to functionVersion and routingConfig, so a rollout in progress is not fought",
        ],
      },
      {
        resources: rolledOut(deploymentGroup(), liveAlias(["routingConfig"])),
        messages: [
          "alias fn-live is moved by pulumi up: ignore changes to functionVersion and routingConfig, so a rollout in progress is not fought",
        ],
      },
      {
        resources: rolledOut(deploymentGroup({ alarmConfiguration: { enabled: true, alarms: ["someone-elses-alarm"] } })),
        messages: ["function fn is behind the API but no CodeDeploy deployment group rolls it back on an alarm of its own"],
      },
      {
        resources: rolledOut(
          deploymentGroup({ autoRollbackConfiguration: { enabled: false, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] } }),
        ),
        messages: ["deployment group fn-group does not roll back on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM"],
      },
      {
        resources: rolledOut(deploymentGroup({ autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE"] } })),
        messages: ["deployment group fn-group does not roll back on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM"],
      },
      {
        resources: rolledOut(deploymentGroup({ autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_STOP_ON_ALARM"] } })),
        messages: ["deployment group fn-group does not roll back on DEPLOYMENT_FAILURE and DEPLOYMENT_STOP_ON_ALARM"],
      },
      {
        resources: rolledOut(deploymentGroup({ alarmConfiguration: { enabled: false, alarms: ["fn-errors-alarm"] } })),
        messages: ["deployment group fn-group has its alarms turned off"],
      },
    ],
  },
  {
    policy: "no-fault-injection-in-prod",
    compliant: [
      fn({ environment: { variables: { FAULT_INJECTION: "off" } } }),
      namedFn("plain", { environment: undefined }),
      namedFn("empty", { environment: {} }),
    ],
    violations: [
      {
        resources: [fn({ environment: { variables: { FAULT_INJECTION: "on" } } })],
        messages: ["function fn has fault injection on in prod"],
      },
    ],
  },
  {
    policy: "function-urls-private-in-prod",
    compliant: [res("aws:lambda/functionUrl:FunctionUrl", "url", { functionName: "fn", authorizationType: "AWS_IAM" })],
    violations: [
      {
        resources: [res("aws:lambda/functionUrl:FunctionUrl", "url", { functionName: "fn", authorizationType: "NONE" })],
        messages: [
          "function URL url is public (authorizationType NONE) in prod, bypassing the edge's WAF, Shield and origin check: use AWS_IAM, behind CloudFront with origin access control",
        ],
      },
    ],
  },
  {
    policy: "stateful-resources-protected-in-prod",
    compliant: [
      res("aws:dynamodb/table:Table", "t", {}, { protect: true }),
      res("aws:sqs/queue:Queue", "q", {}, { retainOnDelete: true }),
      res("aws:sqs/queuePolicy:QueuePolicy", "p", {}),
    ],
    violations: [
      { resources: [res("aws:dynamodb/table:Table", "t", {})], messages: ["Table t is neither protected nor retained in prod"] },
      { resources: [res("aws:sqs/queue:Queue", "q", {})], messages: ["Queue q is neither protected nor retained in prod"] },
      { resources: [res("aws:s3/bucket:Bucket", "b", {})], messages: ["Bucket b is neither protected nor retained in prod"] },
      { resources: [res("aws:kms/key:Key", "k", {})], messages: ["Key k is neither protected nor retained in prod"] },
    ],
  },
  {
    policy: "edge-tls-1-2",
    compliant: [distribution(), distribution({ viewerCertificate: { cloudfrontDefaultCertificate: true } })],
    violations: [
      {
        resources: [distribution({ viewerCertificate: { minimumProtocolVersion: "TLSv1_2016" } })],
        messages: ["distribution cdn allows viewer protocols below TLS 1.2 (TLSv1_2016)"],
      },
      {
        resources: [distribution({ viewerCertificate: {} })],
        messages: ["distribution cdn allows viewer protocols below TLS 1.2 (unset)"],
      },
      {
        resources: [
          distribution({
            origins: [{ originId: "api", customOriginConfig: { originProtocolPolicy: "match-viewer", originSslProtocols: ["TLSv1.2"] } }],
          }),
        ],
        messages: ["distribution cdn reaches origin api without https-only TLSv1.2"],
      },
      {
        resources: [
          distribution({
            origins: [
              { originId: "api", customOriginConfig: { originProtocolPolicy: "https-only", originSslProtocols: ["TLSv1.1", "TLSv1.2"] } },
            ],
          }),
        ],
        messages: ["distribution cdn reaches origin api without https-only TLSv1.2"],
      },
    ],
  },
  {
    policy: "edge-no-5xx-caching",
    compliant: [distribution()],
    violations: [
      {
        resources: [distribution({ customErrorResponses: [500, 502, 503].map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })) })],
        messages: ["distribution cdn may cache 504 responses: set errorCachingMinTtl 0"],
      },
      {
        resources: [
          distribution({
            customErrorResponses: [500, 502, 503, 504].map((errorCode) => ({ errorCode, errorCachingMinTtl: errorCode === 502 ? 10 : 0 })),
          }),
        ],
        messages: ["distribution cdn may cache 502 responses: set errorCachingMinTtl 0"],
      },
    ],
  },
];

const UNGOVERNED = "aws:example/unrelated:Unrelated";

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
      c.violations.forEach((violation, i) => {
        it(`fails violation ${i + 1}, saying exactly: ${violation.messages.join("; ")}`, async () => {
          expect(await messagesOf(c.policy, violation.resources, c.config)).to.deep.equal(violation.messages);
        });
      });
      // The same properties on resources of a type no rule governs are not this rule's business: a check
      // that forgot to look at the resource's type would still report them.
      it("reports none of its violations when the resources are of a type it does not govern", async () => {
        for (const violation of c.violations) {
          const retyped = violation.resources.map((r) => ({ ...r, type: UNGOVERNED }));
          expect(await messagesOf(c.policy, retyped, c.config), violation.messages.join("; ")).to.deep.equal([]);
        }
      });
    });
  }

  it("lets the account baseline, and only it, hold account singletons", async () => {
    const recorder = [res("aws:cfg/recorder:Recorder", "rec", {})];
    expect(await messagesOf("no-account-singletons", recorder, { baseline: true })).to.deep.equal([]);
    expect(await messagesOf("no-account-singletons", recorder, { baseline: false })).to.have.length(1);
  });

  it("checks prod-only practices only where the stack's policy config says prod, and as prod when it says nothing", async () => {
    const faulty = [fn({ environment: { variables: { FAULT_INJECTION: "on" } } })];
    expect(await messagesOf("no-fault-injection-in-prod", faulty, { environment: "dev" })).to.deep.equal([]);
    expect(await messagesOf("no-fault-injection-in-prod", faulty, { environment: "stage" })).to.deep.equal([]);
    expect(await messagesOf("no-fault-injection-in-prod", faulty, {})).to.have.length(1);
    const publicUrl = [res("aws:lambda/functionUrl:FunctionUrl", "url", { functionName: "fn", authorizationType: "NONE" })];
    for (const environment of ["dev", "stage"])
      expect(await messagesOf("function-urls-private-in-prod", publicUrl, { environment }), environment).to.deep.equal([]);
    expect(await messagesOf("function-urls-private-in-prod", publicUrl, { environment: "prod" })).to.have.length(1);
    expect(await messagesOf("functions-reserve-concurrency-in-prod", [fn()], { environment: "dev" })).to.deep.equal([]);
    const passThrough = [fn({ tracingConfig: { mode: "PassThrough" } })];
    expect(await messagesOf("functions-traced", passThrough, { environment: "dev" })).to.deep.equal([]);
    expect(await messagesOf("functions-traced", passThrough, { environment: "stage" })).to.deep.equal([
      "function fn does not record traces (tracing PassThrough) in stage",
    ]);
    expect(await messagesOf("api-functions-roll-out-safely-in-prod", [fn(), integration()], { environment: "stage" })).to.deep.equal([]);
    expect(await messagesOf("api-functions-roll-out-safely-in-prod", [fn(), integration()], {})).to.have.length(1);
    const unprotected = [res("aws:dynamodb/table:Table", "t", {})];
    expect(await messagesOf("stateful-resources-protected-in-prod", unprotected, { environment: "dev" })).to.deep.equal([]);
    const oneZone = [res("awsx:ec2:Vpc", "one", { numberOfAvailabilityZones: 1 })];
    expect(await messagesOf("vpcs-span-two-azs-in-prod", oneZone, { environment: "dev" })).to.deep.equal([]);
    expect(await messagesOf("vpcs-span-two-azs-in-prod", oneZone, {})).to.have.length(1);
    expect(await messagesOf("stateful-resources-protected-in-prod", unprotected, { environment: "prod" })).to.have.length(1);
  });

  // Every stack file the repository holds, developers' included: a new stack is checked the day it is added.
  for (const stack of listStacks(PROGRAM_DIR)) {
    it(`finds no violation in the ${stack} plan`, async () => {
      const graph = await stackGraph(stack);
      // With the policy config `pulumi preview` gives this kind of stack, every violation counted as mandatory.
      const environment = readStackConfig(PROGRAM_DIR, stack).config["platform:environment"];
      const violations = await evaluatePolicies(graph.resources, {
        enforcement: "mandatory",
        config: policyConfigFor(PROGRAM_DIR, environment).config,
      });
      expect(violations).to.deep.equal([]);
    });
  }
});

describe("the contracts both sides import (policy/contracts.ts)", () => {
  it("recognises the warm-up event exactly: an object whose warmer is true", () => {
    expect(isWarmupEvent(WARMER_EVENT)).to.equal(true);
    expect(isWarmupEvent(JSON.parse(WARMER_INPUT))).to.equal(true);
    for (const other of [null, undefined, "warmer", true, {}, { warmer: "true" }, { warmer: 1 }, { warmer: false }])
      expect(isWarmupEvent(other), JSON.stringify(other)).to.equal(false);
  });

  it("names each deployment preference as CodeDeploy does", () => {
    expect(DEPLOYMENT_PREFERENCES.map(codeDeployConfigName)).to.include.members([
      "CodeDeployDefault.LambdaAllAtOnce",
      "CodeDeployDefault.LambdaCanary10Percent5Minutes",
      "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
    ]);
  });
});
