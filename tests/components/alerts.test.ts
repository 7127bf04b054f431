import { expect } from "chai";
import { Alerts } from "../../components/alerts";
import { captureComponents, constructionError, GraphView, parsed, recordAliases } from "../harness";

describe("Alerts", () => {
  let graph: GraphView;
  let aliasesOf: Map<string, unknown[]>;
  const record: { alerts?: Alerts } = {};
  before(async () => {
    graph = await captureComponents(() => {
      aliasesOf = recordAliases();
      record.alerts = new Alerts("alerts", { emails: ["ops@example.com"], smsNumbers: ["+15555550100"] });
      new Alerts("scratch", { protect: false });
    });
  });

  it("encrypts the topic with a customer-managed key that rotates", () => {
    const key = graph.one("aws:kms/key:Key", "alerts-key");
    expect(key.inputs.enableKeyRotation).to.equal(true);
    expect(graph.one("aws:sns/topic:Topic", "alerts").inputs.kmsMasterKeyId).to.equal(key.arn);
  });

  it("lets CloudWatch use the key and publish to the topic", () => {
    const keyStatements = parsed(graph.one("aws:kms/key:Key", "alerts-key"), "policy").Statement;
    const cloudwatch = keyStatements.find((s: any) => s.Sid === "CloudWatchAlarmsEncrypt");
    // Only this account's alarms: the key and the topic name the account CloudWatch acts for.
    const sameAccount = { StringEquals: { "aws:SourceAccount": graph.graph.placement.accountId } };
    expect(cloudwatch).to.deep.include({
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: sameAccount,
    });
    expect(graph.one("aws:kms/key:Key", "alerts-key").inputs.description).to.equal("Encrypts the alerts alert topic");
    const topic = graph.one("aws:sns/topic:Topic", "alerts");
    const policy = graph.one("aws:sns/topicPolicy:TopicPolicy", "alerts-policy");
    expect(policy.inputs.arn).to.equal(topic.arn);
    const publish = parsed(policy, "policy").Statement.find((s: any) => s.Sid === "CloudWatchAlarmsPublish");
    expect(publish).to.deep.include({
      Effect: "Allow",
      Action: ["sns:Publish"],
      Resource: topic.arn,
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Condition: sameAccount,
    });
    expect(parsed(policy, "policy").Statement.find((s: any) => s.Sid === "DenyInsecureTransport")).to.deep.include({
      Effect: "Deny",
      Resource: [topic.arn],
    });
  });

  it("hangs the topic under the component, and keeps the key protected unless told otherwise", () => {
    const component = graph.one("platform:observability:Alerts", "alerts");
    expect(graph.one("aws:sns/topic:Topic", "alerts").parent).to.equal(component.urn);
    expect(graph.one("aws:kms/key:Key", "alerts-key").options.protect).to.equal(true);
    expect(graph.one("aws:kms/key:Key", "scratch-key").options.protect).to.equal(false);
  });

  it("subscribes every email address and phone number", () => {
    const subscriptions = graph.all("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.inputs.protocol, s.inputs.endpoint]);
    expect(subscriptions).to.have.deep.members([
      ["email", "ops@example.com"],
      ["sms", "+15555550100"],
    ]);
    // Keyed by the endpoint, each named after it, with its old positional name as an alias.
    expect(Object.keys(record.alerts!.subscriptions).sort()).to.deep.equal(["+15555550100", "ops@example.com"]);
    const email = graph.all("aws:sns/topicSubscription:TopicSubscription").find((s) => s.inputs.protocol === "email")!;
    expect(email.name).to.match(/^alerts-email-ops/);
    expect(aliasesOf.get(email.name)).to.deep.equal([{ name: "alerts-email-0" }]);
    const sms = graph.all("aws:sns/topicSubscription:TopicSubscription").find((s) => s.inputs.protocol === "sms")!;
    expect(aliasesOf.get(sms.name)).to.deep.equal([{ name: "alerts-sms-0" }]);
  });

  it("refuses two addresses that would name the same subscription, naming both", async () => {
    const message = await constructionError(() => new Alerts("a", { emails: ["ops@example.com", "OPS@example.com"] }));
    expect(message).to.match(/^Alerts "a" email: "ops@example.com" and "OPS@example.com" would name the same child/);
  });
});
