import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarms";
import { Function } from "./function";

/** Routes not yet migrated, proxied to the legacy backend. */
export interface PassthroughArgs {
  /** Base URL of the legacy backend, e.g. https://legacy.example.com. */
  origin: string;
  /** Route keys proxied to it; path variables are carried over. @default ["ANY /{proxy+}"] (every unmatched path) */
  routes?: string[];
}

/** An API Gateway HTTP API: Lambda routes, legacy passthrough routes, JSON access logs, throttling, alarms. */
export interface HttpApiArgs {
  /** Route key ("GET /orders/{orderId}") to the function that serves it, with payload format 2.0. */
  routes: Record<string, Function>;
  /** Legacy passthrough, for migrating a backend route by route. @default none: unmatched paths get API Gateway's 404 */
  passthrough?: PassthroughArgs;
  /** Steady-state requests per second across the default route settings. */
  throttleRateLimit: number;
  /** Burst of requests allowed above the rate. */
  throttleBurstLimit: number;
  /** Access log retention in days. @default 30 */
  logRetentionDays?: number;
  /** Topic for the API's alarms. */
  alertTopicArn: pulumi.Input<string>;
  /** 5xx responses per minute that fire the alarm. @default 1 */
  serverErrorsThreshold?: number;
  /** p99 integration latency in milliseconds that fires the alarm. @default 3000 */
  latencyP99ThresholdMs?: number;
  /** Minutes the 5xx condition must hold before its alarm fires (latency takes at least 3). @default 1 */
  alarmEvaluationPeriods?: number;
}

/** One JSON object per request; field names follow API Gateway's $context variables. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  routeKey: "$context.routeKey",
  path: "$context.path",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationStatus: "$context.integrationStatus",
  integrationError: "$context.integrationErrorMessage",
  userAgent: "$context.identity.userAgent",
});

/** An http(s) base URL, as a passthrough origin must be. */
export const HTTP_URL = /^https?:\/\/[^/\s]+(\/\S*)?$/;

const ROUTE_KEY = /^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\/[^\s]*)$|^\$default$/;

/** "GET /orders/{orderId}" → "get-orders-orderid": a name fragment for the route's resources. */
export function routeSlug(routeKey: string): string {
  return (
    routeKey
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "root"
  );
}

/** The execute-api ARN suffix that scopes a permission to one route: method and path, variables as wildcards. */
export function routeArnSuffix(routeKey: string): string {
  if (routeKey === "$default") return "*/$default";
  const [method, path] = routeKey.split(" ");
  return `*/${method === "ANY" ? "*" : method}${path.replace(/\{[^}]+\}/g, "*")}`;
}

export class HttpApi extends pulumi.ComponentResource {
  public readonly api: aws.apigatewayv2.Api;
  public readonly stage: aws.apigatewayv2.Stage;
  public readonly accessLogs: aws.cloudwatch.LogGroup;
  public readonly routes: Record<string, aws.apigatewayv2.Route> = {};
  public readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: HttpApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:api:HttpApi", name, {}, opts);
    validate(name, args);

    this.api = new aws.apigatewayv2.Api(name, { protocolType: "HTTP" }, { parent: this });
    this.accessLogs = new aws.cloudwatch.LogGroup(
      `${name}-access-logs`,
      { retentionInDays: args.logRetentionDays ?? 30 },
      { parent: this },
    );
    // No API Gateway cache: HTTP APIs have none, and caching belongs at the edge where errors are kept out of it.
    this.stage = new aws.apigatewayv2.Stage(
      `${name}-stage`,
      {
        apiId: this.api.id,
        name: "$default",
        autoDeploy: true,
        accessLogSettings: { destinationArn: this.accessLogs.arn, format: ACCESS_LOG_FORMAT },
        defaultRouteSettings: {
          throttlingRateLimit: args.throttleRateLimit,
          throttlingBurstLimit: args.throttleBurstLimit,
          detailedMetricsEnabled: true,
        },
      },
      { parent: this },
    );

    for (const [routeKey, fn] of Object.entries(args.routes)) this.addLambdaRoute(name, routeKey, fn);
    if (args.passthrough) {
      for (const routeKey of args.passthrough.routes ?? ["ANY /{proxy+}"])
        this.addPassthroughRoute(name, routeKey, args.passthrough.origin);
    }
    this.createAlarms(name, args);
    this.url = this.api.apiEndpoint;
    this.registerOutputs({ url: this.url });
  }

  private addLambdaRoute(name: string, routeKey: string, fn: Function): void {
    const slug = `${name}-${routeSlug(routeKey)}`;
    const integration = new aws.apigatewayv2.Integration(
      `${slug}-integration`,
      { apiId: this.api.id, integrationType: "AWS_PROXY", integrationUri: fn.function.invokeArn, payloadFormatVersion: "2.0" },
      { parent: this },
    );
    this.routes[routeKey] = new aws.apigatewayv2.Route(
      slug,
      { apiId: this.api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
      { parent: this },
    );
    new aws.lambda.Permission(
      `${slug}-permission`,
      {
        action: "lambda:InvokeFunction",
        function: fn.function.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${this.api.executionArn}/${routeArnSuffix(routeKey)}`,
      },
      { parent: this },
    );
  }

  private addPassthroughRoute(name: string, routeKey: string, origin: string): void {
    const slug = `${name}-${routeSlug(routeKey)}`;
    const path = routeKey.split(" ")[1].replace(/\{([^}+]+)\+\}/g, "{$1}");
    const integration = new aws.apigatewayv2.Integration(
      `${slug}-integration`,
      {
        apiId: this.api.id,
        integrationType: "HTTP_PROXY",
        integrationMethod: "ANY",
        integrationUri: `${origin.replace(/\/$/, "")}${path}`,
        payloadFormatVersion: "1.0",
        timeoutMilliseconds: 29000,
      },
      { parent: this },
    );
    this.routes[routeKey] = new aws.apigatewayv2.Route(
      slug,
      { apiId: this.api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
      { parent: this },
    );
  }

  private createAlarms(name: string, args: HttpApiArgs): void {
    const dimensions = { ApiId: this.api.id, Stage: "$default" };
    this.alarms.push(
      metricAlarm(
        `${name}-5xx`,
        {
          description: `API ${name} is answering with 5xx errors. Look at its access log group (integrationError, routeKey) and the logs of the route's function.`,
          namespace: "AWS/ApiGateway",
          metricName: "5xx",
          dimensions,
          threshold: args.serverErrorsThreshold ?? 1,
          evaluationPeriods: args.alarmEvaluationPeriods ?? 1,
        },
        args.alertTopicArn,
        this,
      ),
      metricAlarm(
        `${name}-latency-p99`,
        {
          description: `API ${name}'s p99 latency is high. Look at integrationLatency in its access log group and the functions' p99 duration.`,
          namespace: "AWS/ApiGateway",
          metricName: "Latency",
          dimensions,
          extendedStatistic: "p99",
          threshold: args.latencyP99ThresholdMs ?? 3000,
          evaluationPeriods: Math.max(3, args.alarmEvaluationPeriods ?? 1),
        },
        args.alertTopicArn,
        this,
      ),
    );
  }
}

function validate(name: string, args: HttpApiArgs): void {
  const problems: string[] = [];
  const keys = [...Object.keys(args.routes), ...(args.passthrough ? (args.passthrough.routes ?? ["ANY /{proxy+}"]) : [])];
  for (const key of keys) if (!ROUTE_KEY.test(key)) problems.push(`route key "${key}" is not "<METHOD> /<path>" or "$default"`);
  const duplicates = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (duplicates.length > 0) problems.push(`route keys defined twice: ${duplicates.join(", ")}`);
  if (args.passthrough && !HTTP_URL.test(args.passthrough.origin))
    problems.push(`passthrough origin "${args.passthrough.origin}" is not an http(s) URL`);
  if (problems.length > 0) throw new Error(`HttpApi "${name}": ${problems.join("; ")}`);
}
