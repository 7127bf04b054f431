/**
 * An HTTP API's first-class AWS service integrations (an `AWS_PROXY` integration with an
 * `integrationSubtype`): API Gateway calls the service's API itself, with the integration's role
 * (`credentialsArn`), and answers what the service answered. Emulated: `EventBridge-PutEvents` and
 * `SQS-SendMessage`, the storage-first pattern (a request is kept in a bus or a queue before any code
 * runs). The other subtypes are named at start-up and answer 500, said at the request.
 *
 * Sources: "Create AWS service integrations for HTTP APIs in API Gateway" (the request parameters'
 * mapping expressions) and "Integration subtype reference" (each subtype's parameters, and which are
 * required), API Gateway Developer Guide.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { Answer } from "./http-api";
import type { IamAuthority } from "./iam/authority";
import type { LocalModel } from "./model";

/** The subtypes emulated here, each with its parameters, required first ("Integration subtype reference"). */
export const SUBTYPES: Record<string, { required: string[]; optional: string[] }> = {
  "EventBridge-PutEvents": {
    required: ["Detail", "DetailType", "Source"],
    optional: ["Time", "EventBusName", "Resources", "Region", "TraceHeader"],
  },
  "SQS-SendMessage": {
    required: ["QueueUrl", "MessageBody"],
    optional: ["DelaySeconds", "MessageAttributes", "MessageDeduplicationId", "MessageGroupId", "MessageSystemAttributes", "Region"],
  },
};

/** The subtypes API Gateway has that are not emulated here: an integration of one answers 500. */
export const NOT_EMULATED_SUBTYPES = [
  "SQS-ReceiveMessage",
  "SQS-DeleteMessage",
  "SQS-PurgeQueue",
  "AppConfig-GetConfiguration",
  "Kinesis-PutRecord",
  "StepFunctions-StartExecution",
  "StepFunctions-StartSyncExecution",
  "StepFunctions-StopExecution",
];

/**
 * Why CreateIntegration would refuse an integration of `subtype` with these parameters ("You must
 * configure all required parameters to create an integration"), or undefined when it would accept it.
 */
export function serviceIntegrationProblem(subtype: string, parameters: Record<string, unknown>): string | undefined {
  const spec = SUBTYPES[subtype];
  if (!spec) {
    if (NOT_EMULATED_SUBTYPES.includes(subtype)) return undefined;
    return `integration subtype ${subtype} is not one API Gateway has (${[...Object.keys(SUBTYPES), ...NOT_EMULATED_SUBTYPES].join(", ")})`;
  }
  const missing = spec.required.filter((name) => typeof parameters[name] !== "string" || parameters[name] === "");
  if (missing.length) return `integration subtype ${subtype} needs the request parameters ${missing.join(", ")}`;
  const unknown = Object.keys(parameters).filter((name) => !spec.required.includes(name) && !spec.optional.includes(name));
  if (unknown.length) return `integration subtype ${subtype} takes no request parameter ${unknown.join(", ")}`;
  return undefined;
}

/** What a request parameter's mapping expression may read of the request. */
export interface ParameterSource {
  /** Lowercased names; repeated headers joined with commas. */
  headers: Record<string, string>;
  /** Repeated parameters joined with commas. */
  query: Record<string, string>;
  path: Record<string, string>;
  body: string;
  stageVariables: Record<string, string>;
  /** `$context.<name>`: requestId, routeKey, stage, apiId, accountId, httpMethod, path, ... */
  context: Record<string, string>;
}

/**
 * A request parameter's value: a mapping expression (`$request.header.<name>`, case-insensitive;
 * `$request.querystring.<name>`; `$request.path.<name>`; `$request.body`, or a JSON path into it as
 * `$request.body.<path>`; `$context.<name>`; `$stageVariables.<name>`) evaluated against the request, or a
 * static value as written. What the request lacks is empty.
 */
export function evaluateParameter(expression: string, source: ParameterSource): string {
  const match = /^\$(request\.header|request\.querystring|request\.path|request\.body|context|stageVariables)(?:\.(.+))?$/.exec(expression);
  if (!match) return expression;
  const [, where, name] = match;
  if (where === "request.body") return name === undefined ? source.body : jsonPath(source.body, name);
  if (name === undefined) return expression;
  if (where === "request.header") return source.headers[name.toLowerCase()] ?? "";
  if (where === "request.querystring") return source.query[name] ?? "";
  if (where === "request.path") return source.path[name] ?? "";
  if (where === "context") return source.context[name] ?? "";
  return source.stageVariables[name] ?? "";
}

/** A JSON path into a JSON body (`a.b`, `items[0].id`): a string as is, anything else as JSON; empty when absent or the body is not JSON. */
function jsonPath(body: string, path: string): string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return "";
  }
  for (const step of path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "")) {
    if (value === null || typeof value !== "object") return "";
    value = (value as Record<string, unknown>)[step];
  }
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** What the service integrations call: the local EventBridge, the SQS emulator, IAM. */
export interface ServiceBackends {
  model: LocalModel;
  iam?: IamAuthority;
  /** PutEvents with one entry, as the integration's role: the entry's result, or why the role was denied. */
  putEvent(
    entry: Record<string, unknown>,
    roleArn: string | undefined,
  ): { EventId: string } | { ErrorCode: string; ErrorMessage: string } | { denied: string };
  /** The local URL of a queue, by its cloud ARN. */
  queueUrls: Map<string, string>;
  sqs: { send(command: SendMessageCommand): Promise<{ MessageId?: string; MD5OfMessageBody?: string; SequenceNumber?: string }> };
  /** A line for the developer. */
  say(line: string): void;
}

/** The service's answer: JSON, as the service's AWS JSON protocol answers it. */
const serviceAnswer = (status: number, body: unknown, errorType?: string): Answer => ({
  status,
  headers: [["content-type", "application/json"], ...(errorType ? ([["x-amzn-errortype", errorType]] as [string, string][]) : [])],
  body: JSON.stringify(body),
});

/**
 * Calls the service an integration names, with the request parameters evaluated, as API Gateway would
 * with the integration's role. `trigger` names the route for the lines it writes.
 */
export async function callService(
  backends: ServiceBackends,
  integration: { subtype: string; parameters: Record<string, string>; credentialsArn?: string },
  source: ParameterSource,
  trigger: string,
): Promise<Answer> {
  const params = Object.fromEntries(Object.entries(integration.parameters).map(([k, v]) => [k, evaluateParameter(v, source)]));
  if (integration.subtype === "EventBridge-PutEvents") return putEvents(backends, params, integration.credentialsArn, trigger);
  if (integration.subtype === "SQS-SendMessage") return sendMessage(backends, params, integration.credentialsArn, trigger);
  backends.say(`${trigger}: the integration subtype ${integration.subtype} is not emulated locally, so the route answers 500`);
  // API Gateway's own 500, when it cannot call the service at all.
  return serviceAnswer(500, { message: "Internal Server Error" });
}

function putEvents(backends: ServiceBackends, params: Record<string, string>, roleArn: string | undefined, trigger: string): Answer {
  const entry: Record<string, unknown> = {
    Source: params.Source,
    DetailType: params.DetailType,
    Detail: params.Detail,
    ...(params.EventBusName ? { EventBusName: params.EventBusName } : {}),
    ...(params.Time ? { Time: params.Time } : {}),
    ...(params.Resources ? { Resources: params.Resources.split(",").map((r) => r.trim()) } : {}),
    ...(params.TraceHeader ? { TraceHeader: params.TraceHeader } : {}),
  };
  const result = backends.putEvent(entry, roleArn);
  if ("denied" in result) {
    backends.say(`${trigger}: API Gateway's call to EventBridge PutEvents was denied: ${result.denied}`);
    return serviceAnswer(400, { __type: "AccessDeniedException", Message: result.denied }, "AccessDeniedException");
  }
  if ("ErrorCode" in result) backends.say(`${trigger}: EventBridge refused the event: ${result.ErrorCode} ${result.ErrorMessage}`);
  return serviceAnswer(200, { Entries: [result], FailedEntryCount: "ErrorCode" in result ? 1 : 0 });
}

async function sendMessage(
  backends: ServiceBackends,
  params: Record<string, string>,
  roleArn: string | undefined,
  trigger: string,
): Promise<Answer> {
  const queue = backends.model.queues.find(
    (q) => q.cloudUrl === params.QueueUrl || q.arn === params.QueueUrl || q.name === params.QueueUrl,
  );
  const localUrl = queue && backends.queueUrls.get(queue.arn);
  if (!queue || !localUrl) {
    backends.say(`${trigger}: the queue ${params.QueueUrl} is not one of this program's, so SQS answers that it does not exist`);
    return serviceAnswer(
      400,
      { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." },
      "AWS.SimpleQueueService.NonExistentQueue",
    );
  }
  const { iam } = backends;
  if (iam) {
    const calls = [{ action: "sqs:SendMessage", resource: queue.arn }, ...iam.keyCalls(queue.arn, ["kms:GenerateDataKey", "kms:Decrypt"])];
    const verdict = roleArn
      ? iam.checkRole(roleArn, calls, `API Gateway (${trigger})`, "its integration's credentialsArn")
      : { allowed: false, message: "the integration has no credentialsArn, so API Gateway has no role to call SQS with" };
    if (!verdict.allowed) {
      backends.say(`${trigger}: API Gateway's call to SQS SendMessage was denied: ${verdict.message}`);
      return serviceAnswer(400, { __type: "com.amazon.coral.service#AccessDeniedException", message: verdict.message }, "AccessDenied");
    }
  }
  let attributes: Record<string, any> | undefined;
  if (params.MessageAttributes) {
    try {
      attributes = JSON.parse(params.MessageAttributes);
    } catch {
      return serviceAnswer(
        400,
        { __type: "com.amazonaws.sqs#InvalidParameterValue", message: "MessageAttributes is not a JSON object." },
        "InvalidParameterValue",
      );
    }
  }
  try {
    const sent = await backends.sqs.send(
      new SendMessageCommand({
        QueueUrl: localUrl,
        MessageBody: params.MessageBody,
        DelaySeconds: params.DelaySeconds ? Number(params.DelaySeconds) : undefined,
        MessageGroupId: params.MessageGroupId || undefined,
        MessageDeduplicationId: params.MessageDeduplicationId || undefined,
        MessageAttributes: attributes,
      }),
    );
    return serviceAnswer(200, { MD5OfMessageBody: sent.MD5OfMessageBody, MessageId: sent.MessageId, SequenceNumber: sent.SequenceNumber });
  } catch (err) {
    const error = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    backends.say(`${trigger}: SQS refused the message: ${error.name}: ${error.message}`);
    return serviceAnswer(error.$metadata?.httpStatusCode ?? 400, { __type: error.name, message: error.message }, error.name);
  }
}
