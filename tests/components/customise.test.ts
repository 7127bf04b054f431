/**
 * Customisation without forking: every component's transforms reach the child they name before it is
 * created; LambdaFunction takes a role, layers, a VPC, a runtime, an architecture and a handler of the
 * caller's, and offers grantInvoke and named metrics for alarms of the caller's own.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { metricAlarm } from "../../components/alarms";
import { DeadLetterQueue } from "../../components/dead-letter-queue";
import { HttpApi } from "../../components/http-api";
import { LambdaFunction } from "../../components/lambda-function";
import { Table } from "../../components/table";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY, parsed } from "../harness";

const base = { entry: HEALTH_ENTRY, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC };

describe("customising components", () => {
  let graph: GraphView;
  let fn: LambdaFunction;
  before(async () => {
    graph = await captureComponents(() => {
      const role = new aws.iam.Role("shared-role", { assumeRolePolicy: "{}" });
      fn = new LambdaFunction("custom", {
        ...base,
        role,
        layers: ["arn:aws:lambda:us-east-1:123456789012:layer:otel:3"],
        vpc: { subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-1"] },
        runtime: "nodejs20.x",
        architecture: "x86_64",
        handler: "index.main",
        transform: {
          function: { description: "from a transform" },
          logGroup: (args) => ({ ...args, retentionInDays: 3 }),
        },
      });
      metricAlarm("custom-duration-p50", { ...fn.metricDuration("p50"), description: "p50 is slow", threshold: 500 }, ALERT_TOPIC, fn);
      fn.grantInvoke("s3.amazonaws.com", "arn:aws:s3:::uploads", { name: "custom-from-uploads" });
      new Table("tbl", { hashKey: "id", transform: { table: (args, opts) => void (opts.ignoreChanges = ["readCapacity"]) } });
      new DeadLetterQueue("dlq", { alertTopicArn: ALERT_TOPIC, transform: { queue: { delaySeconds: 5 } } });
      new HttpApi("named", {
        routes: { "GET /x": fn },
        throttleRateLimit: 1,
        throttleBurstLimit: 1,
        alertTopicArn: ALERT_TOPIC,
        stageName: "v1",
      });
    });
  });
  const resource = (type: string, name: string) => graph.one(type, name);

  it("uses the caller's role, and still attaches the function's own least-privilege statements to it", () => {
    const role = resource("aws:iam/role:Role", "shared-role");
    expect(resource("aws:lambda/function:Function", "custom").inputs.role).to.equal(role.arn);
    expect(graph.all("aws:iam/role:Role").map((r) => r.name)).to.deep.equal(["shared-role"]);
    const policy = resource("aws:iam/rolePolicy:RolePolicy", "custom-policy");
    expect(policy.inputs.role).to.equal(role.id);
    expect(parsed(policy, "policy").Statement.map((s: any) => s.Sid)).to.deep.equal([
      "WriteOwnLogs",
      "ManageVpcNetworkInterfaces",
      "WriteTraces",
    ]);
  });

  it("takes layers, a VPC, the runtime, the architecture and the handler", () => {
    const inputs = resource("aws:lambda/function:Function", "custom").inputs;
    expect(inputs).to.deep.include({
      runtime: "nodejs20.x",
      architectures: ["x86_64"],
      handler: "index.main",
      layers: ["arn:aws:lambda:us-east-1:123456789012:layer:otel:3"],
    });
    expect(inputs.vpcConfig).to.deep.equal({ subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-1"] });
  });

  it("applies transforms before the child is created: merged objects, and functions over args and options", () => {
    expect(resource("aws:lambda/function:Function", "custom").inputs.description).to.equal("from a transform");
    expect(resource("aws:cloudwatch/logGroup:LogGroup", "custom-logs").inputs.retentionInDays).to.equal(3);
    expect(resource("aws:sqs/queue:Queue", "dlq").inputs).to.deep.include({ delaySeconds: 5, messageRetentionSeconds: 1209600 });
    expect(resource("aws:dynamodb/table:Table", "tbl").inputs.billingMode).to.equal("PAY_PER_REQUEST");
  });

  it("offers named metrics for the caller's alarms, and grantInvoke scoped to a source", () => {
    const alarm = resource("aws:cloudwatch/metricAlarm:MetricAlarm", "custom-duration-p50");
    expect(alarm.inputs).to.deep.include({ namespace: "AWS/Lambda", metricName: "Duration", extendedStatistic: "p50", threshold: 500 });
    expect(alarm.inputs.dimensions).to.deep.equal({ FunctionName: resource("aws:lambda/function:Function", "custom").state.name });
    expect(fn.metricErrors()).to.deep.include({ namespace: "AWS/Lambda", metricName: "Errors", statistic: "Sum" });
    const permission = resource("aws:lambda/permission:Permission", "custom-from-uploads");
    expect(permission.inputs).to.deep.include({
      action: "lambda:InvokeFunction",
      principal: "s3.amazonaws.com",
      sourceArn: "arn:aws:s3:::uploads",
    });
    expect(graph.byUrn(permission.parent!).name).to.equal("custom");
  });

  it("serves a named stage under its name, with its metrics by that name", () => {
    const stage = resource("aws:apigatewayv2/stage:Stage", "named-stage");
    expect(stage.inputs.name).to.equal("v1");
    const api = resource("aws:apigatewayv2/api:Api", "named");
    expect(resource("aws:cloudwatch/metricAlarm:MetricAlarm", "named-5xx").inputs.dimensions).to.deep.equal({ ApiId: api.id, Stage: "v1" });
  });

  it("refuses what the policies would not allow: another runtime, a handler outside the bundle, six layers, a bad stage name", async () => {
    const message = await constructionError(
      () =>
        new LambdaFunction("bad", {
          ...base,
          runtime: "python3.12" as any,
          handler: "main.handler",
          layers: ["a", "b", "c", "d", "e", "f"],
        }),
    );
    expect(message).to.equal(
      'LambdaFunction "bad": runtime must be one of nodejs22.x, nodejs20.x (got python3.12); handler must be index.<export> (got main.handler); Lambda allows at most 5 layers (got 6)',
    );
    const stage = await constructionError(() => {
      const f = new LambdaFunction("ok", base);
      new HttpApi("api", {
        routes: { "GET /": f },
        throttleRateLimit: 1,
        throttleBurstLimit: 1,
        alertTopicArn: ALERT_TOPIC,
        stageName: "has space",
      });
    });
    expect(stage).to.include('stageName "has space" is not $default or 1 to 128 letters');
  });
});
