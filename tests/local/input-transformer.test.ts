/**
 * What an EventBridge target gets from an event (local/input-transformer.ts): the examples of "Amazon
 * EventBridge input transformation" (EventBridge User Guide), each with the EC2 event and input paths
 * the guide uses, and the edges the guide states.
 */
import { expect } from "chai";
import { pathOf, targetPayload } from "../../local/input-transformer";

const EVENT = {
  version: "0",
  id: "7bf73129-1428-4cd3-a780-95db273d1602",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "123456789012",
  time: "2015-11-11T21:29:54Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
  detail: { "instance-id": "i-0123456789", state: "RUNNING" },
};
const RULE = { name: "example", arn: "arn:aws:events:us-east-2:123456789012:rule/example" };
const inputPaths = { timestamp: "$.time", instance: "$.detail.instance-id", state: "$.detail.state" };
const transformed = (inputTemplate: string, paths: Record<string, string> = inputPaths) =>
  targetPayload({ inputTransformer: { inputPaths: paths, inputTemplate } }, EVENT, RULE);

describe("local cloud: what an EventBridge target gets (input, input path, input transformer)", () => {
  describe("the guide's examples", () => {
    it("a simple string: the text between the quotes, as text", () => {
      expect(transformed('"instance <instance> is in <state>"')).to.deep.equal({
        event: "instance i-0123456789 is in RUNNING",
        asText: true,
      });
    });

    it("simple JSON: each value as JSON", () => {
      expect(transformed('{ "instance" : <instance>, "state": <state> }')).to.deep.equal({
        event: { instance: "i-0123456789", state: "RUNNING" },
      });
    });

    it("JSON with strings and variables: a value inside a string as its text", () => {
      expect(
        transformed('{ "instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>" }'),
      ).to.deep.equal({
        event: { instance: "i-0123456789", state: "RUNNING", instanceStatus: 'instance "i-0123456789" is in RUNNING' },
      });
    });

    it("JSON with a mix of variables and static information", () => {
      expect(transformed('{ "instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes" }')).to.deep.equal({
        event: { instance: "i-0123456789", state: [9, "RUNNING", true], Transformed: "Yes" },
      });
    });

    it("reserved variables in JSON: the rule's ARN and name, and the original event", () => {
      const { event } = transformed(
        '{ "instance" : <instance>, "ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>, "originalEvent" : <aws.events.event>, "json": <aws.events.event.json> }',
      );
      expect(event).to.deep.equal({ instance: "i-0123456789", ruleArn: RULE.arn, ruleName: "example", originalEvent: EVENT, json: EVENT });
    });

    it("reserved variables in a string, and the ingestion time", () => {
      expect(transformed('"<aws.events.rule-name> triggered"')).to.deep.equal({ event: "example triggered", asText: true });
      const { event } = transformed('"<aws.events.event.ingestion-time>"');
      expect(event).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
  });

  describe("the edges", () => {
    it("gives a path the event does not have an empty value, in a string and as JSON", () => {
      const paths = { ...inputPaths, missing: "$.detail.nowhere" };
      expect(transformed('"[<missing>]"', paths)).to.deep.equal({ event: "[]", asText: true });
      expect(transformed('{"m": <missing>, "s": "<missing>"}', paths)).to.deep.equal({ event: { m: "", s: "" } });
    });

    it("takes a string template's text between its quotes, around which spaces do not count", () => {
      expect(transformed('  "<state>"\n')).to.deep.equal({ event: "RUNNING", asText: true });
    });

    it("leaves a < that opens no placeholder as written", () => {
      expect(transformed('"a < b and <state>"')).to.deep.equal({ event: "a < b and RUNNING", asText: true });
      expect(transformed('"<state> > a <"')).to.deep.equal({ event: "RUNNING > a <", asText: true });
    });

    it("leaves a placeholder no path or predefined variable names as written", () => {
      expect(transformed('"<instance> and <nobody>"')).to.deep.equal({ event: "i-0123456789 and <nobody>", asText: true });
    });

    it("puts a value that is not a string into a string as its JSON", () => {
      expect(transformed('"resources: <r>"', { r: "$.resources" })).to.deep.equal({
        event: 'resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"]',
        asText: true,
      });
    });

    it("sends the text as it is when an unescaped value breaks a JSON template", () => {
      const event = { ...EVENT, detail: { ...EVENT.detail, state: 'say "hi"' } };
      const payload = targetPayload({ inputTransformer: { inputPaths, inputTemplate: '{"s": "<state>"}' } }, event, RULE);
      expect(payload).to.deep.equal({ event: '{"s": "say "hi""}', asText: true });
    });

    it("prefers the constant input, then the transformer, then the input path, then the event", () => {
      const transformer = { inputTemplate: '"t"' };
      expect(targetPayload({ input: '{"c":1}', inputTransformer: transformer, inputPath: "$.detail" }, EVENT, RULE)).to.deep.equal({
        event: { c: 1 },
      });
      expect(targetPayload({ inputTransformer: transformer, inputPath: "$.detail" }, EVENT, RULE)).to.deep.equal({
        event: "t",
        asText: true,
      });
      expect(targetPayload({ inputPath: "$.detail" }, EVENT, RULE)).to.deep.equal({ event: EVENT.detail });
      expect(targetPayload({}, EVENT, RULE)).to.deep.equal({ event: EVENT });
    });
  });

  describe("JSON paths", () => {
    it("takes dot notation with dashes, array indices, and $ for the whole event", () => {
      expect(pathOf(EVENT, "$.detail.instance-id")).to.equal("i-0123456789");
      expect(pathOf(EVENT, "$.resources[0]")).to.equal(EVENT.resources[0]);
      expect(pathOf({ a: [{ b: [1, 2] }] }, "$.a[0].b[1]")).to.equal(2);
      expect(pathOf({ list: Array.from({ length: 13 }, (_, i) => i) }, "$.list[12]")).to.equal(12);
      expect(pathOf(EVENT, "$")).to.equal(EVENT);
    });

    it("takes every element or field at a wildcard, as a list of what each gives", () => {
      const order = { items: [{ sku: "tea" }, { sku: "cup" }, { note: "no sku" }], tags: { a: "x", b: "y" } };
      expect(pathOf({ detail: order }, "$.detail.items[*].sku")).to.deep.equal(["tea", "cup"]);
      expect(pathOf({ detail: order }, "$.detail.tags.*")).to.deep.equal(["x", "y"]);
      expect(pathOf({ detail: { items: [] } }, "$.detail.items[*]")).to.deep.equal([]);
      // A wildcard under a path the event does not have finds nothing: the variable is empty.
      expect(pathOf({ detail: order }, "$.detail.nowhere[*]")).to.equal(undefined);
      expect(transformed('{"skus": <skus>}', { skus: "$.detail.items[*]" })).to.deep.equal({ event: { skus: "" } });
      expect(
        targetPayload(
          { inputTransformer: { inputPaths: { skus: "$.detail.items[*].sku" }, inputTemplate: '"<skus>"' } },
          { detail: order },
          RULE,
        ),
      ).to.deep.equal({ event: '["tea","cup"]', asText: true });
    });

    it("finds nothing past a value that is not an object or list, nor an index into an object", () => {
      expect(pathOf(EVENT, "$.detail.state.deeper")).to.equal(undefined);
      expect(pathOf(EVENT, "$.detail[0]")).to.equal(undefined);
      expect(pathOf(EVENT, "$.resources[5]")).to.equal(undefined);
      expect(pathOf(null, "$.a")).to.equal(undefined);
      // A string has no fields to walk into, not even its length.
      expect(pathOf({ s: "abc" }, "$.s.length")).to.equal(undefined);
    });
  });
});
