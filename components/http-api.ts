import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "./alarms";
import { slug as routeSlug, Transform, transformed } from "./child";
import { LambdaFunction } from "./lambda-function";
import { routeKeyProblem } from "../policy/route-key";

/** Routes not yet migrated, proxied to the legacy backend. */
export interface PassthroughArgs {
  /**
   * The legacy backend: a public base URL (https://legacy.example.com), or a private one, reached through a
   * VPC link: an internal load balancer's listener ARN, or a Cloud Map service's ARN.
   */
  origin: string;
  /**
   * Route keys proxied to it; path variables are carried over. `$default` only for a private origin: a public
   * one's URI would name no path, so every request would reach its root. @default ["ANY /{proxy+}"] (every unmatched path)
   */
  routes?: string[];
  /** Where the VPC link's network interfaces go, for a private origin: private subnets and a security group. @default none (required for a private origin) */
  vpcLink?: { subnetIds: pulumi.Input<pulumi.Input<string>[]>; securityGroupIds: pulumi.Input<pulumi.Input<string>[]> };
  /** The name a private HTTPS backend's certificate must carry (tlsConfig.serverNameToVerify). @default none: plain HTTP, or no name check */
  serverNameToVerify?: string;
}

/** An API Gateway HTTP API: Lambda routes, legacy passthrough routes, JSON access logs, throttling, alarms. */
export interface HttpApiArgs {
  /** Route key ("GET /orders/{orderId}") to the function that serves it, with payload format 2.0. */
  routes: Record<string, LambdaFunction>;
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
  /** The stage's name; a named stage is served under /<name>, `$default` at the root. @default "$default" */
  stageName?: string;
  /** Adjusts a child before it is created. @default none */
  transform?: {
    api?: Transform<aws.apigatewayv2.ApiArgs>;
    stage?: Transform<aws.apigatewayv2.StageArgs>;
    accessLogs?: Transform<aws.cloudwatch.LogGroupArgs>;
    integration?: Transform<aws.apigatewayv2.IntegrationArgs>;
    route?: Transform<aws.apigatewayv2.RouteArgs>;
    vpcLink?: Transform<aws.apigatewayv2.VpcLinkArgs>;
  };
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

/** An http(s) base URL, as a public passthrough origin must be. */
export const HTTP_URL = /^https?:\/\/[^/\s]+(\/\S*)?$/;
/**
 * What a private integration of an HTTP API targets (API Gateway's "Working with private integrations for
 * HTTP APIs"): an Application or Network Load Balancer's listener, or a Cloud Map service.
 */
export const PRIVATE_ORIGIN =
  /^arn:aws[a-z-]*:(elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/(app|net)\/[\w-]+\/[0-9a-f]+\/[0-9a-f]+|servicediscovery:[a-z0-9-]+:\d{12}:service\/srv-[0-9a-z]+)$/;

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
  /** 5xx answers per minute at or over the threshold. */
  public readonly serverErrorsAlarm: aws.cloudwatch.MetricAlarm;
  /** p99 latency at or over the threshold for three minutes or more. */
  public readonly latencyAlarm: aws.cloudwatch.MetricAlarm;
  /** The stage's base URL: the API's endpoint, and /<stage> for a named stage. */
  public readonly url: pulumi.Output<string>;
  public readonly stageName: string;

  constructor(name: string, args: HttpApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:api:HttpApi", name, {}, opts);
    validate(name, args);

    this.stageName = args.stageName ?? "$default";
    this.api = new aws.apigatewayv2.Api(...transformed(args.transform?.api, name, { protocolType: "HTTP" }, { parent: this }));
    this.accessLogs = new aws.cloudwatch.LogGroup(
      ...transformed(args.transform?.accessLogs, `${name}-access-logs`, { retentionInDays: args.logRetentionDays ?? 30 }, { parent: this }),
    );
    this.stage = this.createStage(name, args);
    for (const [routeKey, fn] of Object.entries(args.routes)) this.addLambdaRoute(name, routeKey, fn, args);
    if (args.passthrough) {
      const link = this.createVpcLink(name, args.passthrough, args);
      for (const routeKey of args.passthrough.routes ?? ["ANY /{proxy+}"]) this.addPassthroughRoute(name, routeKey, link, args);
    }
    [this.serverErrorsAlarm, this.latencyAlarm] = this.createAlarms(name, args);
    this.url = this.stageName === "$default" ? this.api.apiEndpoint : pulumi.interpolate`${this.api.apiEndpoint}/${this.stageName}`;
    this.registerOutputs({ url: this.url });
  }

  /** Both alarms, for dashboards and checks that go through them all. */
  get alarms(): aws.cloudwatch.MetricAlarm[] {
    return [this.serverErrorsAlarm, this.latencyAlarm];
  }

  // No API Gateway cache: HTTP APIs have none, and caching belongs at the edge where errors are kept out of it.
  private createStage(name: string, args: HttpApiArgs): aws.apigatewayv2.Stage {
    return new aws.apigatewayv2.Stage(
      ...transformed(
        args.transform?.stage,
        `${name}-stage`,
        {
          apiId: this.api.id,
          name: this.stageName,
          autoDeploy: true,
          accessLogSettings: { destinationArn: this.accessLogs.arn, format: ACCESS_LOG_FORMAT },
          defaultRouteSettings: {
            throttlingRateLimit: args.throttleRateLimit,
            throttlingBurstLimit: args.throttleBurstLimit,
            detailedMetricsEnabled: true,
          },
        },
        { parent: this },
      ),
    );
  }

  private addLambdaRoute(name: string, routeKey: string, fn: LambdaFunction, args: HttpApiArgs): void {
    const slug = `${name}-${routeSlug(routeKey)}`;
    const integration = new aws.apigatewayv2.Integration(
      ...transformed(
        args.transform?.integration,
        `${slug}-integration`,
        { apiId: this.api.id, integrationType: "AWS_PROXY", integrationUri: fn.liveInvokeArn, payloadFormatVersion: "2.0" },
        { parent: this },
      ),
    );
    this.addRoute(slug, routeKey, integration, args);
    fn.grantInvoke("apigateway.amazonaws.com", pulumi.interpolate`${this.api.executionArn}/${routeArnSuffix(routeKey)}`, {
      name: `${slug}-permission`,
      parent: this,
    });
  }

  private addRoute(slug: string, routeKey: string, integration: aws.apigatewayv2.Integration, args: HttpApiArgs): void {
    this.routes[routeKey] = new aws.apigatewayv2.Route(
      ...transformed(
        args.transform?.route,
        slug,
        { apiId: this.api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
        { parent: this },
      ),
    );
  }

  /** The VPC link a private origin is reached through: its network interfaces in the private subnets. */
  private createVpcLink(name: string, passthrough: PassthroughArgs, args: HttpApiArgs): aws.apigatewayv2.VpcLink | undefined {
    if (!PRIVATE_ORIGIN.test(passthrough.origin)) return undefined;
    return new aws.apigatewayv2.VpcLink(
      ...transformed(
        args.transform?.vpcLink,
        `${name}-vpc-link`,
        { subnetIds: passthrough.vpcLink!.subnetIds, securityGroupIds: passthrough.vpcLink!.securityGroupIds },
        { parent: this },
      ),
    );
  }

  private addPassthroughRoute(name: string, routeKey: string, link: aws.apigatewayv2.VpcLink | undefined, args: HttpApiArgs): void {
    const { origin, serverNameToVerify } = args.passthrough!;
    const slug = `${name}-${routeSlug(routeKey)}`;
    // A public origin takes the path in its URI (validate refuses $default there: it has no path to carry);
    // a private one is the listener (or service) itself, and API Gateway sends it the request's own path.
    const target = link
      ? { connectionType: "VPC_LINK", connectionId: link.id, integrationUri: origin }
      : { integrationUri: `${origin.replace(/\/$/, "")}${routeKey.split(" ")[1].replace(/\{([^}+]+)\+\}/g, "{$1}")}` };
    const integration = new aws.apigatewayv2.Integration(
      ...transformed(
        args.transform?.integration,
        `${slug}-integration`,
        {
          apiId: this.api.id,
          integrationType: "HTTP_PROXY",
          integrationMethod: "ANY",
          ...target,
          ...(link && serverNameToVerify ? { tlsConfig: { serverNameToVerify } } : {}),
          payloadFormatVersion: "1.0",
          timeoutMilliseconds: 29000,
        },
        { parent: this },
      ),
    );
    this.addRoute(slug, routeKey, integration, args);
  }

  private createAlarms(name: string, args: HttpApiArgs): [aws.cloudwatch.MetricAlarm, aws.cloudwatch.MetricAlarm] {
    const dimensions = { ApiId: this.api.id, Stage: this.stageName };
    return [
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
    ];
  }
}

function validate(name: string, args: HttpApiArgs): void {
  const problems: string[] = [];
  const keys = [...Object.keys(args.routes), ...(args.passthrough ? (args.passthrough.routes ?? ["ANY /{proxy+}"]) : [])];
  for (const key of keys) {
    const problem = routeKeyProblem(key);
    if (problem) problems.push(problem);
  }
  const duplicates = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (duplicates.length > 0) problems.push(`route keys defined twice: ${duplicates.join(", ")}`);
  const origin = args.passthrough?.origin;
  const isPrivate = origin !== undefined && PRIVATE_ORIGIN.test(origin);
  if (origin !== undefined && !isPrivate && !HTTP_URL.test(origin))
    problems.push(`passthrough origin "${origin}" is not an http(s) URL, a load balancer listener's ARN or a Cloud Map service's ARN`);
  if (isPrivate && !args.passthrough!.vpcLink)
    problems.push(`passthrough origin "${origin}" is private: it needs vpcLink (private subnets and a security group)`);
  if (origin !== undefined && !isPrivate && (args.passthrough!.routes ?? []).includes("$default"))
    problems.push(
      'passthrough route "$default" would send every request to the public origin\'s root, as its URI names no path: use "ANY /{proxy+}", which carries the path',
    );
  if (args.passthrough?.serverNameToVerify && !isPrivate)
    problems.push("passthrough serverNameToVerify applies to a private origin only (a public one is verified by its URL's host)");
  if (args.stageName !== undefined && !/^(\$default|[A-Za-z0-9_-]{1,128})$/.test(args.stageName))
    problems.push(`stageName "${args.stageName}" is not $default or 1 to 128 letters, digits, - and _`);
  if (problems.length > 0) throw new Error(`HttpApi "${name}": ${problems.join("; ")}`);
}
