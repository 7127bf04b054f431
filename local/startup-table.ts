/** The start-up table: what runs locally, where, and what the graph holds that only the cloud runs. */
import type { Reporter } from "./console";
import type { Emulators } from "./emulators";
import { findFunction, type LocalModel, type LocalRoute } from "./model";
import type { Provisioned } from "./provision";
import type { Scheduler } from "./schedules";
import { SUBTYPES } from "./service-integrations";

export interface StartupInfo {
  model: LocalModel;
  apis: { name: string; id: string; url: string }[];
  /** Each function URL's local URL, in the model's order. */
  functionUrls: { name: string; urlId: string; url: string }[];
  lambdaEndpoint: string;
  emulators: Emulators;
  provisioned: Provisioned;
  /** The PutEvents endpoint. */
  eventBridge?: string;
  /** SNS subscriptions only the cloud delivers (email, sms, https). */
  cloudOnlySubscriptions: string[];
  scheduler: Scheduler;
  retryVisibilitySeconds?: number;
  enforceThrottle: boolean;
  /** Whether IAM is enforced. */
  iam: boolean;
}

const REGION_SOURCES: Record<string, string> = {
  "aws:region": "from the stack's aws:region",
  AWS_REGION: "from AWS_REGION; the stack sets no aws:region",
  AWS_DEFAULT_REGION: "from AWS_DEFAULT_REGION; the stack sets no aws:region",
  default: "the default: neither the stack's aws:region nor AWS_REGION is set",
};

/** What a route hands its requests to, in the start-up table. */
function integrationCell(model: LocalModel, integration: LocalRoute["integration"]): string {
  if (integration.type === "AWS_SERVICE")
    return `→ ${integration.subtype}${SUBTYPES[integration.subtype] ? "" : " (not emulated locally: answers 500)"}`;
  if (integration.type === "HTTP_PROXY") return `→ ${integration.uri} (HTTP proxy)`;
  if (!findFunction(model, integration.functionArn))
    return `λ ${integration.functionArn} (not in this program: not run locally, answers 500)`;
  return `λ ${integration.functionArn.split(":").pop()}${integration.payloadFormatVersion === "1.0" ? " (payload format 1.0)" : ""}`;
}

export function printStartup(reporter: Reporter, info: StartupInfo): void {
  const { model } = info;
  reporter.info(
    `Local cloud: ${model.project}/${model.stack} (${model.region}), ${model.functions.length} functions, ${model.queues.length} queues, ${model.tables.length} tables`,
  );
  reporter.info(
    model.hasStackFile
      ? `Config: Pulumi.${model.stack}.yaml`
      : `Config: no Pulumi.${model.stack}.yaml, so the stack runs with an empty config (as \`pulumi up\` would run it)`,
  );
  reporter.info(`Region: ${model.region} (${REGION_SOURCES[model.regionSource]})`);
  for (const [i, api] of info.apis.entries()) {
    const spec = model.apis[i];
    reporter.table(
      `API ${api.name} ${api.url}`,
      spec.routes.map((r) => [r.routeKey, integrationCell(model, r.integration), ...authorizationOf(r, info.iam)]),
    );
    if (spec.quickCreate) reporter.info("  quick create: AWS made its route, integration and $default stage");
    if (spec.stages.length === 0) reporter.info("  no stage: AWS serves nothing until the API has one (every request here gets 404)");
    for (const stage of spec.stages) {
      const url = stage.name === "$default" ? api.url : `${api.url}/${stage.name}`;
      const state = stage.deployed ? "" : " (not deployed: no autoDeploy and no deployment, so it serves nothing)";
      const variables = Object.keys(stage.variables).length ? ` stage variables ${Object.keys(stage.variables).join(", ")}` : "";
      reporter.info(`  stage ${stage.name} ${url}${state}${variables}`);
      if (stage.throttle) {
        reporter.info(
          `    throttling ${stage.throttle.rateLimit} req/s, burst ${stage.throttle.burstLimit}: ${info.enforceThrottle ? "enforced (429)" : "not enforced locally (--throttle enforces it)"}`,
        );
      }
    }
    if (spec.cors) reporter.info(`  CORS: origins ${spec.cors.allowOrigins.join(", ") || "none"}; preflights answered by API Gateway`);
  }
  reporter.table(
    "Function URLs",
    info.functionUrls.map((u, i) => {
      const spec = model.functionUrls[i];
      return [
        u.name,
        `${u.url}/`,
        findFunction(model, spec.functionArn)
          ? `λ ${spec.functionArn.split(":function:")[1]}`
          : `λ ${spec.functionArn} (not in this program: not run locally, answers 502)`,
        spec.authType === "NONE" ? "public (auth NONE)" : info.iam ? "AWS_IAM (enforced)" : "AWS_IAM (not enforced: --iam off)",
        [
          spec.cors ? `CORS ${spec.cors.allowOrigins.join(", ") || "no origins"}` : "",
          spec.invokeMode === "RESPONSE_STREAM" ? "streamed in AWS, whole here" : "",
        ]
          .filter(Boolean)
          .join("; "),
      ];
    }),
  );
  reporter.table(
    "Functions",
    model.functions.map((f) => [
      f.name,
      `${f.runtime} ${f.memoryMb} MB ${f.timeoutSeconds} s`,
      f.notRun
        ? `not run locally: ${f.notRun}; its invocations fail`
        : (f.async.onFailure ?? f.deadLetterArn)
          ? `async: ${f.async.retryAttempts} retries → ${(f.async.onFailure ?? f.deadLetterArn)!.split(":").pop()}`
          : "",
    ]),
  );
  reporter.table(
    "Queues",
    model.queues.map((q) => {
      const consumer = model.eventSourceMappings.find((m) => m.queueArn === q.arn);
      return [
        q.name,
        info.provisioned.queueUrls.get(q.arn) ?? "",
        q.redrive ? `redrive → ${q.redrive.deadLetterTargetArn.split(":").pop()} after ${q.redrive.maxReceiveCount}` : "",
        !consumer
          ? ""
          : findFunction(model, consumer.functionName)
            ? `λ ${consumer.functionName.split(":").pop()} batch ${consumer.batchSize}`
            : `${consumer.functionName} (not in this program: not polled locally)`,
      ];
    }),
  );
  if (info.retryVisibilitySeconds !== undefined && model.eventSourceMappings.length > 0) {
    reporter.info(
      `  failed messages are received again after ${info.retryVisibilitySeconds} s locally, not after the queue's visibility timeout`,
    );
  }
  reporter.table(
    "Tables",
    model.tables.map((t) => [t.name, `${t.hashKey}${t.rangeKey ? ` + ${t.rangeKey}` : ""}`]),
  );
  reporter.table(
    "Buckets",
    model.buckets.map((b) => [b.name, `${model.objects.filter((o) => o.bucket === b.name).length} objects`]),
  );
  reporter.table(
    "Schedules",
    model.schedules.map((s) => [
      s.name,
      s.expression,
      s.enabled ? `next ${info.scheduler.nextRuns.get(s.name)?.toISOString() ?? "on demand only"}` : "disabled",
      s.targets
        .map((t) =>
          findFunction(model, t.functionArn)
            ? `λ ${t.functionArn.split(":").pop()}`
            : model.queues.some((q) => q.arn === t.functionArn) || model.topics.some((topic) => topic.arn === t.functionArn)
              ? `→ ${t.functionArn.split(":").pop()}`
              : `${t.functionArn} (not in this program: not run locally)`,
        )
        .join(", "),
    ]),
  );
  reporter.table("Event sources", [
    ...model.bucketNotifications.flatMap((n) =>
      n.targets.map((t) => [
        `s3 ${n.bucket}`,
        `${t.events.join(",")}${t.filterPrefix ? ` prefix ${t.filterPrefix}` : ""}${t.filterSuffix ? ` suffix ${t.filterSuffix}` : ""}`,
        `→ ${t.arn.split(":").pop()}`,
      ]),
    ),
    ...model.topics.flatMap((topic) =>
      topic.subscriptions
        .filter((sub) => sub.protocol === "sqs" || sub.protocol === "lambda")
        .map((sub) => [
          `sns ${topic.name}`,
          `${sub.protocol}${sub.rawMessageDelivery ? " raw" : ""}${sub.filterPolicy ? ` filter ${sub.filterPolicy}` : ""}`,
          `→ ${sub.endpoint.split(":").pop()}`,
        ]),
    ),
    ...model.eventRules.map((r) => [
      `eventbridge ${r.busName}`,
      `rule ${r.name}${r.enabled ? "" : " (disabled)"}`,
      `→ ${r.targets.map((t) => t.arn.split(":").pop()).join(", ")}`,
    ]),
  ]);
  reporter.table("Alarms (printed as ALARM lines)", [
    [`${model.alarms.length} alarms: function errors, API 5xx and queue depth are evaluated locally`],
  ]);
  reporter.table("Endpoints", [
    ["lambda", info.lambdaEndpoint],
    ["sqs", info.emulators.sqs],
    ["sns", info.emulators.sns],
    ["s3", info.emulators.s3],
    ["dynamodb", info.emulators.dynamodb],
    ...(info.eventBridge ? [["eventbridge", info.eventBridge]] : []),
  ]);
  const byReason = (reason: string) => model.skipped.filter((s) => s.reason === reason);
  const summarize = (list: { type: string }[]) => {
    const counts = new Map<string, number>();
    for (const s of list) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
    return [...counts].map(([type, n]) => [type, `${n}`]);
  };
  reporter.table("Cloud only (not emulated)", [
    ...summarize(byReason("cloud-only")),
    ...info.cloudOnlySubscriptions.map((s) => ["subscription", s]),
  ]);
  reporter.table(
    info.iam
      ? "IAM: enforced (each function calls AWS as its role; API Gateway and EventBridge need their permissions; --iam off turns it off)"
      : "IAM: off (--iam off); these are accepted, not enforced",
    summarize(byReason("iam")),
  );
  if (!model.skipped.some((s) => s.reason === "iam")) reporter.info(info.iam ? "IAM: enforced" : "IAM: off (--iam off)");
  reporter.table(
    "Not emulated: REST APIs and Step Functions (the functions behind them run; invoke them with npm run invoke -- <function>)",
    summarize(byReason("not-emulated")),
  );
  reporter.table("Accepted, not enforced locally", summarize(byReason("not-enforced")));
  reporter.table("Unsupported (skipped)", summarize(byReason("unsupported")));
}

/** What guards a route, as a cell of its row: its Lambda authorizer, or an authorization the local cloud does not enforce. */
function authorizationOf(route: LocalRoute, iamOn: boolean): string[] {
  const type = route.authorizationType ?? "NONE";
  if (type === "NONE") return [];
  const format = route.authorizer?.payloadFormatVersion;
  if (type === "CUSTOM" && format === "2.0") return [`authorizer ${route.authorizer!.name}`];
  if (type === "CUSTOM" && format === "1.0") return [`authorizer ${route.authorizer!.name} (payload format 1.0)`];
  if (type === "JWT" && route.authorizer?.jwt) {
    const scopes = route.authorizationScopes?.length ? `, scopes ${route.authorizationScopes.join(" ")}` : "";
    return [`JWT authorizer ${route.authorizer.name} (${route.authorizer.jwt.issuer}${scopes})`];
  }
  if (type === "AWS_IAM" && iamOn) return ["IAM authorization (execute-api:Invoke)"];
  const what =
    type === "CUSTOM"
      ? `authorizer ${route.authorizer?.name} (payload format ${route.authorizer?.payloadFormatVersion})`
      : "IAM authorization (--iam off)";
  return [`${what}: not enforced locally`];
}
