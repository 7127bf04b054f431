/**
 * HttpApi's details: the access log format field by field, the stage's settings and URL (named or
 * $default), each alarm's words, thresholds and periods, a passthrough integration's settings, each
 * route's permission scope, the transforms, and every argument's limits on both sides.
 */
import { expect } from "chai";
import { ACCESS_LOG_FORMAT, HttpApi, HttpApiArgs, routeArnSuffix } from "../../components/http-api";
import { LambdaFunction } from "../../components/lambda-function";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY } from "../harness";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const INTEGRATION = "aws:apigatewayv2/integration:Integration";
const CLOUD_MAP = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abc123";
const NLB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/legacy/50dc6c495c0c9188/f2f7dc8efc522ab2";

describe("HttpApi's details", () => {
  let graph: GraphView;
  const urls: Record<string, string> = {};
  const alarmCounts: Record<string, number> = {};
  before(async () => {
    graph = await captureComponents(() => {
      const fn = new LambdaFunction("fn", { entry: HEALTH_ENTRY, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      const plain = new HttpApi("plain", {
        routes: { "GET /a": fn },
        throttleRateLimit: 10,
        throttleBurstLimit: 20,
        alertTopicArn: ALERT_TOPIC,
      });
      const named = new HttpApi("named", {
        routes: { $default: fn },
        passthrough: { origin: "https://legacy.example.com/", routes: ["GET /reports/{id}", "ANY /files/{path+}"] },
        stageName: "v1",
        throttleRateLimit: 10,
        throttleBurstLimit: 20,
        alertTopicArn: ALERT_TOPIC,
        serverErrorsThreshold: 5,
        latencyP99ThresholdMs: 1500,
        alarmEvaluationPeriods: 2,
        transform: {
          api: (args) => void (args.description = "custom api"),
          stage: (args) => void (args.description = "custom stage"),
          accessLogs: (args) => void (args.retentionInDays = 90),
          integration: (args) => void (args.description = "custom integration"),
          route: (args) => void (args.operationName = "custom-route"),
        },
      });
      const slow = new HttpApi("slow", {
        routes: {},
        passthrough: { origin: CLOUD_MAP, vpcLink: { subnetIds: ["subnet-a"], securityGroupIds: ["sg-a"] } },
        throttleRateLimit: 10,
        throttleBurstLimit: 20,
        alertTopicArn: ALERT_TOPIC,
        alarmEvaluationPeriods: 5,
        transform: { vpcLink: (args) => void (args.name = "custom-link") },
      });
      for (const api of [plain, named, slow]) {
        api.url.apply((url) => (urls[api.stageName + ":" + api.api.urn] = url));
        alarmCounts[api.stageName] = api.alarms.length;
      }
      plain.url.apply((url) => (urls.plain = url));
      named.url.apply((url) => (urls.named = url));
    });
  });
  const alarm = (name: string) => graph.one(ALARM, name).inputs;
  const endpoint = (name: string) => graph.one("aws:apigatewayv2/api:Api", name).state.apiEndpoint;

  it("logs every field API Gateway's $context gives, one JSON object per request", () => {
    expect(JSON.parse(ACCESS_LOG_FORMAT)).to.deep.equal({
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
  });

  it("makes an HTTP API whose stage deploys itself with detailed metrics, keeping access logs 30 days unless told", () => {
    expect(graph.one("aws:apigatewayv2/api:Api", "plain").inputs.protocolType).to.equal("HTTP");
    const stage = graph.one("aws:apigatewayv2/stage:Stage", "plain-stage").inputs;
    expect(stage).to.deep.include({ autoDeploy: true, name: "$default" });
    expect(stage.defaultRouteSettings).to.deep.equal({ throttlingRateLimit: 10, throttlingBurstLimit: 20, detailedMetricsEnabled: true });
    expect(graph.one("aws:cloudwatch/logGroup:LogGroup", "plain-access-logs").inputs.retentionInDays).to.equal(30);
  });

  it("serves $default at the API's endpoint and a named stage under /<name>", () => {
    expect(urls.plain).to.equal(endpoint("plain"));
    expect(urls.named).to.equal(`${endpoint("named")}/v1`);
    expect(graph.one("aws:apigatewayv2/stage:Stage", "named-stage").inputs.name).to.equal("v1");
  });

  it("alarms on 5xx and on p99 latency, saying where to look, with their defaults", () => {
    expect(alarm("plain-5xx")).to.deep.include({
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      threshold: 1,
      evaluationPeriods: 1,
      alarmDescription:
        "API plain is answering with 5xx errors. Look at its access log group (integrationError, routeKey) and the logs of the route's function.",
    });
    expect(alarm("plain-latency-p99")).to.deep.include({
      namespace: "AWS/ApiGateway",
      metricName: "Latency",
      extendedStatistic: "p99",
      threshold: 3000,
      // Latency takes at least three minutes, so one slow minute does not page anyone.
      evaluationPeriods: 3,
      alarmDescription:
        "API plain's p99 latency is high. Look at integrationLatency in its access log group and the functions' p99 duration.",
    });
    expect(alarmCounts).to.deep.equal({ $default: 2, v1: 2 });
  });

  it("takes the thresholds and periods it is given, latency never under three periods", () => {
    expect(alarm("named-5xx")).to.deep.include({
      threshold: 5,
      evaluationPeriods: 2,
      dimensions: { ApiId: graph.one("aws:apigatewayv2/api:Api", "named").id, Stage: "v1" },
    });
    expect(alarm("named-latency-p99")).to.deep.include({ threshold: 1500, evaluationPeriods: 3 });
    expect(alarm("slow-5xx").evaluationPeriods).to.equal(5);
    expect(alarm("slow-latency-p99").evaluationPeriods).to.equal(5);
  });

  it("proxies a public origin's routes with the request's path, payload 1.0 and API Gateway's 29 s, without a link", () => {
    const integration = (slug: string) => graph.one(INTEGRATION, `named-${slug}-integration`).inputs;
    expect(integration("get-reports-id")).to.deep.include({
      integrationType: "HTTP_PROXY",
      integrationMethod: "ANY",
      integrationUri: "https://legacy.example.com/reports/{id}",
      payloadFormatVersion: "1.0",
      timeoutMilliseconds: 29000,
    });
    // A greedy variable is passed on as a plain one, which API Gateway fills with the rest of the path.
    expect(integration("any-files-path").integrationUri).to.equal("https://legacy.example.com/files/{path}");
    for (const key of ["connectionType", "connectionId", "tlsConfig"]) expect(integration("get-reports-id")).to.not.have.property(key);
    expect(graph.all("aws:apigatewayv2/vpcLink:VpcLink").map((l) => l.name)).to.deep.equal(["slow-vpc-link"]);
  });

  it("reaches a Cloud Map service through its link, with no server name to verify unless given", () => {
    const integration = graph.one(INTEGRATION, "slow-any-proxy-integration").inputs;
    expect(integration).to.deep.include({ connectionType: "VPC_LINK", integrationUri: CLOUD_MAP });
    expect(integration).to.not.have.property("tlsConfig");
    expect(graph.one("aws:apigatewayv2/vpcLink:VpcLink", "slow-vpc-link").inputs.name).to.equal("custom-link");
  });

  it("scopes a $default route's permission to the $default route, and a path's variables to wildcards", () => {
    expect(routeArnSuffix("$default")).to.equal("*/$default");
    expect(routeArnSuffix("POST /a/{b}/c")).to.equal("*/POST/a/*/c");
    const permission = graph.one("aws:lambda/permission:Permission", "named-default-permission");
    expect(permission.inputs.sourceArn).to.equal(`${graph.one("aws:apigatewayv2/api:Api", "named").state.executionArn}/*/$default`);
  });

  it("lets a transform adjust the API, the stage, the access logs, each integration and each route before they are created", () => {
    expect(graph.one("aws:apigatewayv2/api:Api", "named").inputs.description).to.equal("custom api");
    expect(graph.one("aws:apigatewayv2/stage:Stage", "named-stage").inputs.description).to.equal("custom stage");
    expect(graph.one("aws:cloudwatch/logGroup:LogGroup", "named-access-logs").inputs.retentionInDays).to.equal(90);
    expect(graph.one(INTEGRATION, "named-get-reports-id-integration").inputs.description).to.equal("custom integration");
    expect(graph.one(INTEGRATION, "named-default-integration").inputs.description).to.equal("custom integration");
    expect(graph.one("aws:apigatewayv2/route:Route", "named-get-reports-id").inputs.operationName).to.equal("custom-route");
  });
});

describe("HttpApi's arguments, on both sides", () => {
  const base: HttpApiArgs = { routes: {}, throttleRateLimit: 1, throttleBurstLimit: 1, alertTopicArn: ALERT_TOPIC };
  const problems = (extra: Partial<HttpApiArgs>) => constructionError(() => new HttpApi("api", { ...base, ...extra }));
  const refused = (what: string) => `HttpApi "api": ${what}`;

  it("takes route keys as <METHOD> /<path> or $default, nothing else", async () => {
    const passthrough = (routes: string[]) => ({
      passthrough: { origin: CLOUD_MAP, routes, vpcLink: { subnetIds: ["subnet-a"], securityGroupIds: ["sg-a"] } },
    });
    for (const key of ["GET /x", "ANY /{proxy+}", "OPTIONS /", "$default"]) expect(await problems(passthrough([key])), key).to.equal("");
    for (const key of ["get /x", "GET x", "FETCH /x", " GET /x", "$default2", "x$default"])
      expect(await problems(passthrough([key]))).to.equal(
        refused(
          `route key "${key}" is not "<METHOD> /<path>" (METHOD one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS) or "$default"`,
        ),
      );
    // API Gateway's own path rules (policy/route-key.ts), in a Lambda route and a passthrough route alike, each named.
    expect(await problems({ routes: { "GET /users/": undefined as never }, ...passthrough(["ANY /{proxy+}/x"]) })).to.equal(
      refused(
        [
          'route key "GET /users/" has path parts API Gateway refuses: an empty part (a trailing or doubled /); each part is text of letters, digits and . : _ - or a whole {variable} (^(\\{[\\w.:-]+\\+?\\}|[a-zA-Z0-9.:_-]+)$)',
          'route key "ANY /{proxy+}/x" has a greedy variable before its last part: {name+} can only end the path',
        ].join("; "),
      ),
    );
  });

  it("passes $default to a private origin, which gets the request's path, and refuses it for a public one, whose URI would name none", async () => {
    expect(await problems({ passthrough: { origin: "https://legacy.example.com", routes: ["$default"] } })).to.equal(
      refused(
        'passthrough route "$default" would send every request to the public origin\'s root, as its URI names no path: use "ANY /{proxy+}", which carries the path',
      ),
    );
    const graph = await captureComponents(
      () =>
        new HttpApi("private", {
          ...base,
          passthrough: { origin: NLB, routes: ["$default"], vpcLink: { subnetIds: ["subnet-a"], securityGroupIds: ["sg-a"] } },
        }),
    );
    expect(graph.one(INTEGRATION, "private-default-integration").inputs).to.deep.include({
      integrationUri: NLB,
      connectionType: "VPC_LINK",
    });
    expect(graph.one("aws:apigatewayv2/route:Route", "private-default").inputs.routeKey).to.equal("$default");
  });

  it("names every problem at once, each duplicated key once", async () => {
    const passthrough = { origin: CLOUD_MAP, routes: ["GET /a", "GET /b", "GET /a", "GET /b"] };
    expect(await problems({ passthrough, stageName: "has space" })).to.equal(
      refused(
        'route keys defined twice: GET /a, GET /b; passthrough origin "' +
          CLOUD_MAP +
          '" is private: it needs vpcLink (private subnets and a security group); stageName "has space" is not $default or 1 to 128 letters, digits, - and _',
      ),
    );
  });

  it("refuses a route key defined twice, in the routes and the passthrough together", async () => {
    const message = await constructionError(() => {
      const fn = new LambdaFunction("fn", { entry: HEALTH_ENTRY, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new HttpApi("api", { ...base, routes: { "GET /x": fn }, passthrough: { origin: "https://legacy.example.com", routes: ["GET /x"] } });
    });
    expect(message).to.equal(refused("route keys defined twice: GET /x"));
  });

  it("takes an http(s) URL, a load balancer listener's ARN or a Cloud Map service's ARN as the origin", async () => {
    const link = { subnetIds: ["subnet-a"], securityGroupIds: ["sg-a"] };
    const china = "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:listener/app/legacy/50dc6c495c0c9188/f2f7dc8efc522ab2";
    for (const origin of ["https://legacy.example.com", "http://10.0.0.1:8080/base", NLB, CLOUD_MAP, china])
      expect(await problems({ passthrough: { origin, vpcLink: origin.startsWith("arn:") ? link : undefined } }), origin).to.equal("");
    for (const origin of [
      "ftp://legacy.example.com",
      "https://",
      "legacy.example.com",
      "https://legacy example.com",
      "git+https://legacy.example.com",
      `${NLB}/extra`,
    ])
      expect(await problems({ passthrough: { origin } })).to.equal(
        refused(`passthrough origin "${origin}" is not an http(s) URL, a load balancer listener's ARN or a Cloud Map service's ARN`),
      );
  });

  it("takes a stage name of 1 to 128 letters, digits, - and _, or $default", async () => {
    for (const stageName of ["$default", "v1", "a", "s".repeat(128), "dev_2-b"])
      expect(await problems({ stageName }), stageName).to.equal("");
    for (const stageName of ["", "s".repeat(129), "has space", "v1/x", "$defaults"])
      expect(await problems({ stageName })).to.equal(
        refused(`stageName "${stageName}" is not $default or 1 to 128 letters, digits, - and _`),
      );
  });
});
