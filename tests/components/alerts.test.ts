import { expect } from "chai";
import { Alerts } from "../../components/alerts";
import { captureComponents, GraphView, parsed } from "../harness";

describe("Alerts", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      new Alerts("alerts", { emails: ["ops@example.com"], smsNumbers: ["+15555550100"] });
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
    expect(cloudwatch.Principal).to.deep.equal({ Service: "cloudwatch.amazonaws.com" });
    expect(cloudwatch.Action).to.include("kms:GenerateDataKey*");
    const topic = graph.one("aws:sns/topic:Topic", "alerts");
    const policy = graph.one("aws:sns/topicPolicy:TopicPolicy", "alerts-policy");
    expect(policy.inputs.arn).to.equal(topic.arn);
    const publish = parsed(policy, "policy").Statement.find((s: any) => s.Sid === "CloudWatchAlarmsPublish");
    expect(publish).to.deep.include({
      Effect: "Allow",
      Action: ["sns:Publish"],
      Resource: topic.arn,
      Principal: { Service: "cloudwatch.amazonaws.com" },
    });
  });

  it("subscribes every email address and phone number", () => {
    const subscriptions = graph.all("aws:sns/topicSubscription:TopicSubscription").map((s) => [s.inputs.protocol, s.inputs.endpoint]);
    expect(subscriptions).to.have.deep.members([
      ["email", "ops@example.com"],
      ["sms", "+15555550100"],
    ]);
  });
});
