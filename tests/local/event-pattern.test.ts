/** EventBridge event patterns, with the examples of the EventBridge User Guide's "Content filtering" page. */
import { expect } from "chai";
import { checkPattern, EventPatternError, matchesPattern } from "../../local/event-pattern";

const event = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0", "arn:aws:ec2:us-west-1:123456789012:volume/v-1"],
  detail: {
    "instance-id": "i-1234567890abcdef0",
    state: "running",
    "c-count": 3,
    weight: null,
    tags: ["a", "b"],
    FileName: "photo.PNG",
    sourceIPAddress: "10.0.0.123",
  },
};
const matches = (pattern: object) => matchesPattern(pattern as never, event);

describe("local cloud: EventBridge event patterns", () => {
  it("matches exact values, any of a leaf's alternatives, and any element of a list field", () => {
    expect(matches({ source: ["aws.ec2"] })).to.equal(true);
    expect(matches({ source: ["aws.s3"] })).to.equal(false);
    expect(matches({ detail: { state: ["pending", "running"] } })).to.equal(true);
    expect(matches({ detail: { state: ["stopped"] } })).to.equal(false);
    expect(matches({ resources: ["arn:aws:ec2:us-west-1:123456789012:volume/v-1"] })).to.equal(true);
    expect(matches({ detail: { "c-count": [3] } })).to.equal(true);
    expect(matches({ detail: { "c-count": ["3"] } })).to.equal(false);
    // Every field must match.
    expect(matches({ source: ["aws.ec2"], detail: { state: ["stopped"] } })).to.equal(false);
  });

  it("matches null only where the field is null, and exists on presence", () => {
    expect(matches({ detail: { weight: [null] } })).to.equal(true);
    expect(matches({ detail: { missing: [null] } })).to.equal(false);
    expect(matches({ detail: { "c-count": [{ exists: true }] } })).to.equal(true);
    expect(matches({ detail: { "c-count": [{ exists: false }] } })).to.equal(false);
    expect(matches({ detail: { missing: [{ exists: false }] } })).to.equal(true);
    expect(matches({ detail: { missing: [{ exists: true }] } })).to.equal(false);
    expect(matches({ nowhere: { deeper: ["x"] } })).to.equal(false);
  });

  it("matches prefix, suffix, equals-ignore-case and wildcard", () => {
    expect(matches({ time: [{ prefix: "2017-12-22" }] })).to.equal(true);
    expect(matches({ time: [{ prefix: "2018" }] })).to.equal(false);
    expect(matches({ detail: { FileName: [{ suffix: ".PNG" }] } })).to.equal(true);
    expect(matches({ detail: { FileName: [{ suffix: ".png" }] } })).to.equal(false);
    expect(matches({ detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } })).to.equal(true);
    expect(matches({ detail: { FileName: [{ prefix: { "equals-ignore-case": "PHOTO" } }] } })).to.equal(true);
    expect(matches({ detail: { state: [{ "equals-ignore-case": "RUNNING" }] } })).to.equal(true);
    expect(matches({ detail: { FileName: [{ wildcard: "photo.*" }] } })).to.equal(true);
    expect(matches({ detail: { FileName: [{ wildcard: "*.jpg" }] } })).to.equal(false);
  });

  it("matches anything-but values, lists, prefixes and suffixes, and never a missing field", () => {
    expect(matches({ detail: { state: [{ "anything-but": "initializing" }] } })).to.equal(true);
    expect(matches({ detail: { state: [{ "anything-but": ["stopped", "running"] }] } })).to.equal(false);
    expect(matches({ detail: { state: [{ "anything-but": { prefix: "run" } }] } })).to.equal(false);
    expect(matches({ detail: { state: [{ "anything-but": { suffix: "ing" } }] } })).to.equal(false);
    expect(matches({ detail: { tags: [{ "anything-but": ["c"] }] } })).to.equal(true);
    expect(matches({ detail: { tags: [{ "anything-but": ["b"] }] } })).to.equal(false);
    expect(matches({ detail: { missing: [{ "anything-but": "x" }] } })).to.equal(false);
  });

  it("matches numeric ranges on both sides, and only numbers", () => {
    expect(matches({ detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } })).to.equal(true);
    expect(matches({ detail: { "c-count": [{ numeric: [">", 3] }] } })).to.equal(false);
    expect(matches({ detail: { "c-count": [{ numeric: [">=", 3] }] } })).to.equal(true);
    expect(matches({ detail: { "c-count": [{ numeric: ["<", 3] }] } })).to.equal(false);
    expect(matches({ detail: { "c-count": [{ numeric: ["=", 3] }] } })).to.equal(true);
    expect(matches({ detail: { state: [{ numeric: [">", 0] }] } })).to.equal(false);
  });

  it("matches $or, and cidr blocks", () => {
    const either = { detail: { $or: [{ "c-count": [{ numeric: [">", 5] }] }, { state: ["running"] }] } };
    expect(matches(either)).to.equal(true);
    expect(matches({ detail: { $or: [{ "c-count": [{ numeric: [">", 5] }] }, { state: ["stopped"] }] } })).to.equal(false);
    expect(matches({ detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } })).to.equal(true);
    expect(matches({ detail: { sourceIPAddress: [{ cidr: "10.0.1.0/24" }] } })).to.equal(false);
  });

  it("refuses a pattern PutRule would refuse, saying where", () => {
    expect(() => checkPattern({ source: [] })).to.throw(EventPatternError, "event pattern: source is an empty list, which matches nothing");
    expect(() => checkPattern({ source: "aws.ec2" })).to.throw(
      EventPatternError,
      'source must be a list of values or matchers, or an object (got "aws.ec2")',
    );
    expect(() => checkPattern({ detail: { n: [{ numeric: [">"] }] } })).to.throw(
      EventPatternError,
      "detail.n: numeric takes one or two operator and number pairs",
    );
    expect(() => checkPattern({ detail: { n: [{ numeric: ["!=", 1] }] } })).to.throw(
      EventPatternError,
      /is not an operator and number pair/,
    );
    expect(() => checkPattern({ detail: { n: [{ regex: "x" }] } })).to.throw(EventPatternError, /is not a matcher/);
    expect(() => checkPattern({ $or: [{ source: ["a"] }] })).to.throw(EventPatternError, "$or must list at least two patterns");
    expect(() => checkPattern({ detail: { ip: [{ cidr: "10.0.0.1" }] } })).to.throw(EventPatternError, /cidr takes an IPv4 block/);
    expect(() => checkPattern({ detail: { ip: [{ exists: "yes" }] } })).to.throw(EventPatternError, /exists takes true or false/);
    expect(() => checkPattern({ source: ["aws.ec2"], detail: { state: [{ prefix: "run" }] } })).to.not.throw();
  });
});
