import { expect } from "chai";
import { LambdaFunction } from "../../components/lambda-function";
import { Schedule } from "../../components/schedule";
import { Table } from "../../components/table";
import { Warmer } from "../../components/warmer";
import { isWarmupEvent } from "../../policy/contracts";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY as HEALTH } from "../harness";

describe("Warmer and Schedule", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      const fn = new LambdaFunction("warm-me", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new Warmer("warmer", { functions: [fn], schedule: "rate(3 minutes)" });
    });
  });

  it("invokes each function on the schedule with the warm-up payload the helper recognises", () => {
    const rule = graph.one("aws:cloudwatch/eventRule:EventRule", "warmer");
    // Keyed by the function, never by position.
    const target = graph.one("aws:cloudwatch/eventTarget:EventTarget", "warmer-warm-me-target");
    expect(rule.inputs.scheduleExpression).to.equal("rate(3 minutes)");
    expect(target.inputs.rule).to.equal(rule.id);
    expect(target.inputs.arn).to.equal(graph.one("aws:lambda/alias:Alias", "warm-me-live").arn);
    expect(isWarmupEvent(JSON.parse(target.inputs.input))).to.equal(true);
  });

  it("scopes the invoke permission to the rule", () => {
    const permission = graph.one("aws:lambda/permission:Permission", "warmer-warm-me-permission");
    expect(permission.inputs.principal).to.equal("events.amazonaws.com");
    expect(permission.inputs.qualifier).to.equal("live");
    expect(permission.inputs.sourceArn).to.equal(graph.one("aws:cloudwatch/eventRule:EventRule", "warmer").arn);
  });

  it("rejects a malformed schedule expression", async () => {
    const message = await constructionError(() => {
      const fn = new LambdaFunction("f", { entry: HEALTH, memoryMb: 128, timeoutSeconds: 3, alertTopicArn: ALERT_TOPIC });
      new Schedule("s", { schedule: "every 5 minutes", targets: [{ function: fn }] });
    });
    expect(message).to.equal('Schedule "s": every 5 minutes is not a valid schedule expression: expected rate(value unit), cron(6 fields)');
  });
});

describe("Table", () => {
  it("is on-demand, encrypted, recoverable, protected and retained by default", async () => {
    const graph = await captureComponents(() => new Table("t", { hashKey: "id" }));
    const table = graph.one("aws:dynamodb/table:Table", "t");
    expect(table.inputs.billingMode).to.equal("PAY_PER_REQUEST");
    expect(table.inputs.pointInTimeRecovery).to.deep.equal({ enabled: true });
    expect(table.inputs.deletionProtectionEnabled).to.equal(true);
    expect(table.inputs.serverSideEncryption).to.deep.equal({ enabled: true });
    expect(table.options.retainOnDelete).to.equal(true);
  });
});
