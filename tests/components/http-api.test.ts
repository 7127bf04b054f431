import { expect } from "chai";
import { LambdaFunction } from "../../components/lambda-function";
import { HttpApi, routeArnSuffix } from "../../components/http-api";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY as HEALTH } from "../harness";

describe("HttpApi", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      const fn = new LambdaFunction("fn", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new HttpApi("api", {
        routes: { "GET /items/{itemId}": fn, "POST /items": fn },
        passthrough: { origin: "https://legacy.example.com/" },
        throttleRateLimit: 100,
        throttleBurstLimit: 200,
        logRetentionDays: 14,
        alertTopicArn: ALERT_TOPIC,
      });
    });
  });
  const api = () => graph.one("aws:apigatewayv2/api:Api", "api");

  it("routes each Lambda route through a payload 2.0 proxy integration to its function", () => {
    const route = graph.one("aws:apigatewayv2/route:Route", "api-get-items-itemid");
    const integration = graph.one("aws:apigatewayv2/integration:Integration", "api-get-items-itemid-integration");
    expect(route.inputs.routeKey).to.equal("GET /items/{itemId}");
    expect(route.inputs.target).to.equal(`integrations/${integration.id}`);
    expect(integration.inputs).to.deep.include({ integrationType: "AWS_PROXY", payloadFormatVersion: "2.0", apiId: api().id });
    // Through the live alias, never $LATEST.
    expect(integration.inputs.integrationUri).to.equal(graph.one("aws:lambda/alias:Alias", "fn-live").state.invokeArn);
    expect(integration.inputs.integrationUri).to.match(/:function:platform-test-fn:live\/invocations$/);
  });

  it("scopes each invoke permission to its route's method and path", () => {
    const permission = graph.one("aws:lambda/permission:Permission", "api-get-items-itemid-permission");
    expect(permission.inputs.principal).to.equal("apigateway.amazonaws.com");
    expect(permission.inputs.qualifier).to.equal("live");
    expect(permission.inputs.sourceArn).to.equal(`${api().state.executionArn}/*/GET/items/*`);
    expect(routeArnSuffix("ANY /{proxy+}")).to.equal("*/*/*");
  });

  it("proxies every other path to the legacy origin with HTTP_PROXY", () => {
    const route = graph.one("aws:apigatewayv2/route:Route", "api-any-proxy");
    const integration = graph.one("aws:apigatewayv2/integration:Integration", "api-any-proxy-integration");
    expect(route.inputs.routeKey).to.equal("ANY /{proxy+}");
    expect(integration.inputs).to.deep.include({
      integrationType: "HTTP_PROXY",
      integrationMethod: "ANY",
      integrationUri: "https://legacy.example.com/{proxy}",
    });
  });

  it("deploys a $default stage with JSON access logs to a log group with retention", () => {
    const stage = graph.one("aws:apigatewayv2/stage:Stage", "api-stage");
    const logs = graph.one("aws:cloudwatch/logGroup:LogGroup", "api-access-logs");
    expect(stage.inputs.name).to.equal("$default");
    expect(stage.inputs.accessLogSettings.destinationArn).to.equal(logs.arn);
    expect(JSON.parse(stage.inputs.accessLogSettings.format)).to.include({ requestId: "$context.requestId", status: "$context.status" });
    expect(logs.inputs.retentionInDays).to.equal(14);
  });

  it("throttles the default route settings as configured", () => {
    const settings = graph.one("aws:apigatewayv2/stage:Stage", "api-stage").inputs.defaultRouteSettings;
    expect(settings).to.include({ throttlingRateLimit: 100, throttlingBurstLimit: 200 });
  });

  it("alarms on 5xx responses and p99 latency", () => {
    const alarms = graph.all("aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => a.inputs.namespace === "AWS/ApiGateway");
    expect(alarms.map((a) => a.inputs.metricName).sort()).to.deep.equal(["5xx", "Latency"]);
    for (const alarm of alarms) expect(alarm.inputs.dimensions).to.deep.equal({ ApiId: api().id, Stage: "$default" });
  });

  it("rejects malformed route keys and a non-URL origin", async () => {
    const message = await constructionError(
      () =>
        new HttpApi("bad", {
          routes: {},
          passthrough: { origin: "legacy", routes: ["FETCH /x"] },
          throttleRateLimit: 1,
          throttleBurstLimit: 1,
          alertTopicArn: ALERT_TOPIC,
        }),
    );
    expect(message).to.include('route key "FETCH /x" is not');
    expect(message).to.include(
      `passthrough origin "legacy" is not an http(s) URL, a load balancer listener's ARN or a Cloud Map service's ARN`,
    );
  });

  it("refuses a private origin without a VPC link, and a server name for a public one", async () => {
    const base = { routes: {}, throttleRateLimit: 1, throttleBurstLimit: 1, alertTopicArn: ALERT_TOPIC };
    expect(await constructionError(() => new HttpApi("p", { ...base, passthrough: { origin: LISTENER } }))).to.equal(
      `HttpApi "p": passthrough origin "${LISTENER}" is private: it needs vpcLink (private subnets and a security group)`,
    );
    expect(
      await constructionError(
        () =>
          new HttpApi("q", { ...base, passthrough: { origin: "https://legacy.example.com", serverNameToVerify: "legacy.example.com" } }),
      ),
    ).to.equal(
      'HttpApi "q": passthrough serverNameToVerify applies to a private origin only (a public one is verified by its URL\'s host)',
    );
  });
});

const LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/legacy/50dc6c495c0c9188/f2f7dc8efc522ab2";

describe("HttpApi with a private legacy origin", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      const fn = new LambdaFunction("fn", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new HttpApi("api", {
        routes: { "POST /items": fn },
        passthrough: {
          origin: LISTENER,
          routes: ["ANY /{proxy+}", "GET /reports/{id}"],
          vpcLink: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-link"] },
          serverNameToVerify: "legacy.internal.example.com",
        },
        throttleRateLimit: 100,
        throttleBurstLimit: 200,
        alertTopicArn: ALERT_TOPIC,
      });
    });
  });

  it("reaches it through one VPC link in the private subnets, with a private HTTP_PROXY integration per passthrough route", () => {
    const link = graph.one("aws:apigatewayv2/vpcLink:VpcLink", "api-vpc-link");
    expect(link.inputs).to.deep.include({ subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-link"] });
    for (const slug of ["api-any-proxy", "api-get-reports-id"]) {
      const integration = graph.one("aws:apigatewayv2/integration:Integration", `${slug}-integration`);
      expect(integration.inputs).to.deep.include({
        integrationType: "HTTP_PROXY",
        integrationMethod: "ANY",
        connectionType: "VPC_LINK",
        connectionId: link.id,
        integrationUri: LISTENER,
        tlsConfig: { serverNameToVerify: "legacy.internal.example.com" },
      });
      expect(graph.one("aws:apigatewayv2/route:Route", slug).inputs.target).to.equal(`integrations/${integration.id}`);
    }
    // The Lambda route stays a Lambda route.
    expect(graph.one("aws:apigatewayv2/integration:Integration", "api-post-items-integration").inputs).to.not.have.property(
      "connectionType",
    );
  });
});
