/**
 * What an AWS API request asks to do, in IAM's words: the actions and resources it needs, read from
 * the request itself as the service reads it. SQS speaks JSON (`X-Amz-Target: AmazonSQS.<Op>`),
 * DynamoDB JSON (`DynamoDB_20120810.<Op>`), SNS the query protocol (`Action=<Op>`), S3 REST (method,
 * path and sub-resource). Batch and transaction operations need the action of each item they hold, and
 * a request on a resource encrypted with a customer key also needs that key (kms:Decrypt or
 * kms:GenerateDataKey, via the service). Action names follow the Service Authorization Reference.
 */
import type { IncomingHttpHeaders } from "http";

export type Service = "sqs" | "dynamodb" | "s3" | "sns";

export interface ServiceRequest {
  method: string;
  /** Path and query, as the request line carries them. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The body, for the JSON and query protocols and S3's multi-object delete; other S3 bodies are streamed past. */
  body?: Buffer;
}

/** One authorization a request needs. */
export interface Call {
  action: string;
  resource: string;
  /** Request-specific condition keys (kms:ViaService, s3:prefix, ...). */
  context?: Record<string, string>;
}

export interface ParsedRequest {
  service: Service;
  /** The API operation, as its SDK command is named without "Command": PutItem, GetObject, SendMessage. */
  operation: string;
  calls: Call[];
}

/** Maps the local names a request carries to the cloud ARNs the policies are written against. */
export interface ResourceResolver {
  region: string;
  accountId: string;
  queueArn(urlOrName: string): string;
  tableArn(name: string): string;
  topicArn(arn: string): string;
  /** The customer key encrypting a resource, if any. */
  keyFor(resourceArn: string): string | undefined;
}

/** A request the local IAM proxy cannot map to actions: denied with this message rather than let through. */
export class UnrecognizedRequestError extends Error {
  constructor(what: string) {
    super(`${what}: the local cloud does not know which IAM actions this request needs, so it denies it`);
    this.name = "UnrecognizedRequestError";
  }
}

/** The service a request was signed for: the credential scope's fourth part (`AKID/date/region/<service>/aws4_request`). */
export function signedService(headers: IncomingHttpHeaders, url: string): string | undefined {
  const auth = String(headers.authorization ?? "");
  const scope = /Credential=([^,\s]+)/.exec(auth)?.[1] ?? new URL(url, "http://local").searchParams.get("X-Amz-Credential") ?? "";
  return scope.split("/")[3];
}

/** The access key id a request was signed with, from its Authorization header or a presigned URL. */
export function accessKeyOf(headers: IncomingHttpHeaders, url: string): string | undefined {
  const auth = String(headers.authorization ?? "");
  const scope = /Credential=([^,\s]+)/.exec(auth)?.[1] ?? new URL(url, "http://local").searchParams.get("X-Amz-Credential") ?? "";
  return scope.split("/")[0] || undefined;
}

/** Which service a request is for: its signature's scope, else its protocol's marks. */
export function serviceOf(request: ServiceRequest): Service | undefined {
  const signed = signedService(request.headers, request.url);
  if (signed === "sqs" || signed === "dynamodb" || signed === "s3" || signed === "sns") return signed;
  const target = String(request.headers["x-amz-target"] ?? "");
  if (target.startsWith("AmazonSQS.")) return "sqs";
  if (target.startsWith("DynamoDB_")) return "dynamodb";
  if (String(request.headers["content-type"] ?? "").includes("x-www-form-urlencoded")) return "sns";
  return signed === undefined ? undefined : "s3";
}

export function parseRequest(request: ServiceRequest, resolver: ResourceResolver): ParsedRequest {
  const service = serviceOf(request);
  switch (service) {
    case "sqs":
      return sqsRequest(request, resolver);
    case "dynamodb":
      return dynamodbRequest(request, resolver);
    case "sns":
      return snsRequest(request, resolver);
    case "s3":
      return s3Request(request, resolver);
    default:
      throw new UnrecognizedRequestError(`${request.method} ${request.url} (no AWS signature naming its service)`);
  }
}

function jsonBody(request: ServiceRequest, what: string): Record<string, any> {
  try {
    return JSON.parse(request.body?.toString("utf8") || "{}");
  } catch {
    throw new UnrecognizedRequestError(`${what} with a body that is not JSON`);
  }
}

/** kms:<action> on `key` (if there is one), as `service` calls KMS for the caller: kms:ViaService names the service. */
export function kmsCalls(
  key: string | undefined,
  service: string,
  where: { region: string; accountId: string },
  actions: string[],
  context: Record<string, string> = {},
): Call[] {
  if (!key) return [];
  return actions.map((action) => ({
    action,
    resource: key,
    context: { "kms:ViaService": `${service}.${where.region}.amazonaws.com`, "kms:CallerAccount": where.accountId, ...context },
  }));
}

/** kms:<action> on the key that encrypts `resourceArn`, if a customer key does. */
function viaKms(resolver: ResourceResolver, resourceArn: string, service: Service, actions: string[]): Call[] {
  return kmsCalls(resolver.keyFor(resourceArn), service, resolver, actions);
}

/** SQS actions named differently from their operations: a batch needs its single action. */
const SQS_ACTIONS: Record<string, string> = {
  SendMessageBatch: "SendMessage",
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
};

/** SQS's query protocol: `Action=<Op>` and the parameters in a form body (or the query string), the queue's URL as the path or a parameter. */
function sqsQueryBody(request: ServiceRequest): { operation: string; body: Record<string, string> } | undefined {
  const url = new URL(request.url, "http://local");
  const form = new URLSearchParams(
    String(request.headers["content-type"] ?? "").includes("x-www-form-urlencoded") ? (request.body?.toString("utf8") ?? "") : "",
  );
  const params: Record<string, string> = { ...Object.fromEntries(url.searchParams), ...Object.fromEntries(form) };
  if (!params.Action) return undefined;
  if (!params.QueueUrl && url.pathname.split("/").filter(Boolean).length === 2) params.QueueUrl = url.pathname;
  return { operation: params.Action, body: params };
}

function sqsRequest(request: ServiceRequest, resolver: ResourceResolver): ParsedRequest {
  const target = String(request.headers["x-amz-target"] ?? "");
  const query = target ? undefined : sqsQueryBody(request);
  const operation = target.startsWith("AmazonSQS.") ? target.slice("AmazonSQS.".length) : (query?.operation ?? "");
  if (!operation)
    throw new UnrecognizedRequestError(`an SQS request with neither X-Amz-Target nor Action (${request.method} ${request.url})`);
  const body = query ? query.body : jsonBody(request, `SQS ${operation}`);
  const action = `sqs:${SQS_ACTIONS[operation] ?? operation}`;
  if (operation === "ListQueues") return { service: "sqs", operation, calls: [{ action, resource: "*" }] };
  const ref = body.QueueUrl ?? body.QueueName;
  if (typeof ref !== "string") throw new UnrecognizedRequestError(`SQS ${operation} without QueueUrl or QueueName`);
  const queue = resolver.queueArn(ref);
  const kms =
    operation === "SendMessage" || operation === "SendMessageBatch"
      ? viaKms(resolver, queue, "sqs", ["kms:GenerateDataKey", "kms:Decrypt"])
      : operation === "ReceiveMessage"
        ? viaKms(resolver, queue, "sqs", ["kms:Decrypt"])
        : [];
  return { service: "sqs", operation, calls: [{ action, resource: queue }, ...kms] };
}

function dynamodbRequest(request: ServiceRequest, resolver: ResourceResolver): ParsedRequest {
  const target = String(request.headers["x-amz-target"] ?? "");
  const operation = target.replace(/^DynamoDB_\d+\./, "");
  if (!operation || operation === target)
    throw new UnrecognizedRequestError(`a DynamoDB request without X-Amz-Target (${request.method} ${request.url})`);
  const body = jsonBody(request, `DynamoDB ${operation}`);
  const table = (name: unknown) => {
    if (typeof name !== "string") throw new UnrecognizedRequestError(`DynamoDB ${operation} without a TableName`);
    return resolver.tableArn(name);
  };
  const kms = (arn: string) => viaKms(resolver, arn, "dynamodb", ["kms:Decrypt"]);
  const call = (action: string, arn: string): Call[] => [{ action: `dynamodb:${action}`, resource: arn }, ...kms(arn)];
  switch (operation) {
    case "ListTables":
    case "DescribeLimits":
    case "DescribeEndpoints":
      return { service: "dynamodb", operation, calls: [{ action: `dynamodb:${operation}`, resource: "*" }] };
    case "BatchGetItem":
    case "BatchWriteItem":
      return {
        service: "dynamodb",
        operation,
        calls: Object.keys(body.RequestItems ?? {}).flatMap((name) => call(operation, table(name))),
      };
    case "TransactWriteItems": {
      const kinds: Record<string, string> = {
        Put: "PutItem",
        Update: "UpdateItem",
        Delete: "DeleteItem",
        ConditionCheck: "ConditionCheckItem",
      };
      const calls = (body.TransactItems ?? []).flatMap((item: Record<string, any>) =>
        Object.entries(item).flatMap(([kind, spec]) => {
          if (!kinds[kind]) throw new UnrecognizedRequestError(`DynamoDB TransactWriteItems item ${kind}`);
          return call(kinds[kind], table(spec?.TableName));
        }),
      );
      return { service: "dynamodb", operation, calls };
    }
    case "TransactGetItems":
      return {
        service: "dynamodb",
        operation,
        calls: (body.TransactItems ?? []).flatMap((item: any) => call("GetItem", table(item?.Get?.TableName))),
      };
    case "ExecuteStatement":
    case "BatchExecuteStatement":
    case "ExecuteTransaction":
      throw new UnrecognizedRequestError(`DynamoDB ${operation} (PartiQL; its actions depend on the statement)`);
    default: {
      const arn = table(body.TableName);
      const resource = body.IndexName && (operation === "Query" || operation === "Scan") ? `${arn}/index/${body.IndexName}` : arn;
      return { service: "dynamodb", operation, calls: call(operation, resource) };
    }
  }
}

function snsRequest(request: ServiceRequest, resolver: ResourceResolver): ParsedRequest {
  const form = new URLSearchParams(request.body?.toString("utf8") ?? "");
  const operation = form.get("Action") ?? "";
  if (!operation) throw new UnrecognizedRequestError(`an SNS request without Action (${request.method} ${request.url})`);
  const action = `sns:${operation === "PublishBatch" ? "Publish" : operation}`;
  if (["ListTopics", "ListSubscriptions", "CreatePlatformApplication", "ListPlatformApplications"].includes(operation))
    return { service: "sns", operation, calls: [{ action, resource: "*" }] };
  if (operation === "Publish" && !form.get("TopicArn") && !form.get("TargetArn"))
    return { service: "sns", operation, calls: [{ action, resource: "*" }] };
  const ref = form.get("TopicArn") ?? form.get("TargetArn") ?? form.get("ResourceArn");
  if (operation === "CreateTopic") {
    const name = form.get("Name") ?? "";
    return { service: "sns", operation, calls: [{ action, resource: `arn:aws:sns:${resolver.region}:${resolver.accountId}:${name}` }] };
  }
  if (!ref) throw new UnrecognizedRequestError(`SNS ${operation} without TopicArn`);
  const topic = resolver.topicArn(ref);
  const kms =
    operation === "Publish" || operation === "PublishBatch" ? viaKms(resolver, topic, "sns", ["kms:GenerateDataKey", "kms:Decrypt"]) : [];
  return { service: "sns", operation, calls: [{ action, resource: topic }, ...kms] };
}

/** Bucket sub-resources (the query's flag) and the action each needs, per method. */
const BUCKET_SUBRESOURCES: Record<string, Record<string, string>> = {
  GET: {
    location: "GetBucketLocation",
    versioning: "GetBucketVersioning",
    policy: "GetBucketPolicy",
    acl: "GetBucketAcl",
    tagging: "GetBucketTagging",
    encryption: "GetEncryptionConfiguration",
    lifecycle: "GetLifecycleConfiguration",
    notification: "GetBucketNotification",
    cors: "GetBucketCORS",
    uploads: "ListBucketMultipartUploads",
    versions: "ListBucketVersions",
  },
  PUT: {
    versioning: "PutBucketVersioning",
    policy: "PutBucketPolicy",
    acl: "PutBucketAcl",
    tagging: "PutBucketTagging",
    encryption: "PutEncryptionConfiguration",
    lifecycle: "PutLifecycleConfiguration",
    notification: "PutBucketNotification",
    cors: "PutBucketCORS",
  },
  DELETE: { policy: "DeleteBucketPolicy", tagging: "PutBucketTagging", cors: "PutBucketCORS", lifecycle: "PutLifecycleConfiguration" },
};

const OBJECT_SUBRESOURCES: Record<string, Record<string, string>> = {
  GET: {
    tagging: "GetObjectTagging",
    acl: "GetObjectAcl",
    attributes: "GetObjectAttributes",
    uploadId: "ListMultipartUploadParts",
    retention: "GetObjectRetention",
    "legal-hold": "GetObjectLegalHold",
  },
  PUT: { tagging: "PutObjectTagging", acl: "PutObjectAcl", retention: "PutObjectRetention", "legal-hold": "PutObjectLegalHold" },
  DELETE: { tagging: "DeleteObjectTagging", uploadId: "AbortMultipartUpload" },
};

/** Query parameters of a bucket listing. */
const LIST_PARAMETERS =
  /^(x-id|list-type|prefix|delimiter|max-keys|marker|continuation-token|start-after|encoding-type|fetch-owner|x-amz-[a-z-]+)$/i;

/** Query parameters of object requests that select or shape, not change, the action (the SDK adds x-id). */
const OBJECT_PARAMETERS = /^(x-id|versionId|partNumber|uploadId|uploads|response-[a-z-]+|x-amz-[a-z-]+)$/i;

/** S3's bucket and key: path style (`/bucket/key`), or virtual-hosted (`bucket.host/key`) as fauxqs reads it. */
function bucketAndKey(request: ServiceRequest): { bucket: string; key: string; query: URLSearchParams } {
  const url = new URL(request.url, "http://local");
  const hostname = String(request.headers.host ?? "").split(":")[0];
  const virtual = hostname.includes(".") && !/^\d+\.\d+\.\d+\.\d+$/.test(hostname) && !hostname.startsWith("s3.");
  const path = url.pathname.replace(/^\//, "");
  if (virtual) return { bucket: hostname.slice(0, hostname.indexOf(".")), key: decodeURIComponent(path), query: url.searchParams };
  const slash = path.indexOf("/");
  return slash < 0
    ? { bucket: decodeURIComponent(path), key: "", query: url.searchParams }
    : { bucket: decodeURIComponent(path.slice(0, slash)), key: decodeURIComponent(path.slice(slash + 1)), query: url.searchParams };
}

function s3Request(request: ServiceRequest, resolver: ResourceResolver): ParsedRequest {
  const method = request.method.toUpperCase();
  const { bucket, key, query } = bucketAndKey(request);
  if (!bucket) {
    if (method === "GET") return { service: "s3", operation: "ListBuckets", calls: [{ action: "s3:ListAllMyBuckets", resource: "*" }] };
    throw new UnrecognizedRequestError(`S3 ${method} ${request.url}`);
  }
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const flags = [...query.keys()];
  if (!key) {
    const sub = flags.find((f) => BUCKET_SUBRESOURCES[method]?.[f]);
    if (sub)
      return {
        service: "s3",
        operation: BUCKET_SUBRESOURCES[method][sub],
        calls: [{ action: `s3:${BUCKET_SUBRESOURCES[method][sub]}`, resource: bucketArn }],
      };
    if (method === "POST" && query.has("delete")) {
      const keys = [...(request.body?.toString("utf8") ?? "").matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => decodeXml(m[1]));
      return {
        service: "s3",
        operation: "DeleteObjects",
        calls: keys.map((k) => ({ action: "s3:DeleteObject", resource: `${bucketArn}/${k}` })),
      };
    }
    const unknown = flags.filter((f) => !LIST_PARAMETERS.test(f));
    if ((method === "GET" || method === "HEAD") && unknown.length === 0) {
      const operation = method === "HEAD" ? "HeadBucket" : query.get("list-type") === "2" ? "ListObjectsV2" : "ListObjects";
      const prefix = query.get("prefix");
      return {
        service: "s3",
        operation,
        calls: [{ action: "s3:ListBucket", resource: bucketArn, context: prefix !== null ? { "s3:prefix": prefix } : undefined }],
      };
    }
    if (method === "PUT" && flags.length === 0)
      return { service: "s3", operation: "CreateBucket", calls: [{ action: "s3:CreateBucket", resource: bucketArn }] };
    if (method === "DELETE" && flags.length === 0)
      return { service: "s3", operation: "DeleteBucket", calls: [{ action: "s3:DeleteBucket", resource: bucketArn }] };
    throw new UnrecognizedRequestError(`S3 ${method} on bucket ${bucket} with ${flags.join("&") || "no sub-resource"}`);
  }
  const objectArn = `${bucketArn}/${key}`;
  // With an S3 Bucket Key the encryption context is the bucket's ARN.
  const kms = (actions: string[]) =>
    kmsCalls(resolver.keyFor(objectArn) ?? resolver.keyFor(bucketArn), "s3", resolver, actions, {
      "kms:EncryptionContext:aws:s3:arn": bucketArn,
    });
  const sub = flags.find((f) => OBJECT_SUBRESOURCES[method]?.[f]);
  const unknown = flags.filter((f) => f !== sub && !OBJECT_PARAMETERS.test(f));
  if (unknown.length > 0) throw new UnrecognizedRequestError(`S3 ${method} on s3://${bucket}/${key} with ${unknown.join("&")}`);
  if (sub) {
    const operation = OBJECT_SUBRESOURCES[method][sub];
    return { service: "s3", operation, calls: [{ action: `s3:${operation}`, resource: objectArn }] };
  }
  switch (method) {
    case "GET":
    case "HEAD": {
      const version = query.has("versionId");
      const operation = method === "HEAD" ? "HeadObject" : "GetObject";
      return {
        service: "s3",
        operation,
        calls: [{ action: version ? "s3:GetObjectVersion" : "s3:GetObject", resource: objectArn }, ...kms(["kms:Decrypt"])],
      };
    }
    case "PUT": {
      const copySource = request.headers["x-amz-copy-source"];
      const encryption = request.headers["x-amz-server-side-encryption"];
      const put: Call = {
        action: "s3:PutObject",
        resource: objectArn,
        context: encryption ? { "s3:x-amz-server-side-encryption": String(encryption) } : undefined,
      };
      if (query.has("partNumber")) return { service: "s3", operation: "UploadPart", calls: [put, ...kms(["kms:GenerateDataKey"])] };
      if (copySource) {
        const source = decodeURIComponent(String(copySource).replace(/^\//, "").split("?")[0]);
        const sourceArn = `arn:aws:s3:::${source}`;
        const sourceKey = resolver.keyFor(sourceArn) ?? resolver.keyFor(`arn:aws:s3:::${source.split("/")[0]}`);
        return {
          service: "s3",
          operation: "CopyObject",
          calls: [
            { action: "s3:GetObject", resource: sourceArn },
            put,
            ...kmsCalls(sourceKey, "s3", resolver, ["kms:Decrypt"]),
            ...kms(["kms:GenerateDataKey"]),
          ],
        };
      }
      return { service: "s3", operation: "PutObject", calls: [put, ...kms(["kms:GenerateDataKey"])] };
    }
    case "POST":
      if (query.has("uploads"))
        return {
          service: "s3",
          operation: "CreateMultipartUpload",
          calls: [{ action: "s3:PutObject", resource: objectArn }, ...kms(["kms:GenerateDataKey"])],
        };
      if (query.has("uploadId"))
        return { service: "s3", operation: "CompleteMultipartUpload", calls: [{ action: "s3:PutObject", resource: objectArn }] };
      break;
    case "DELETE":
      return {
        service: "s3",
        operation: "DeleteObject",
        calls: [{ action: query.has("versionId") ? "s3:DeleteObjectVersion" : "s3:DeleteObject", resource: objectArn }],
      };
  }
  throw new UnrecognizedRequestError(`S3 ${method} on s3://${bucket}/${key} with ${flags.join("&") || "no sub-resource"}`);
}

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
