/**
 * Every component registers its outputs (what `pulumi stack` shows under it, and what the engine keeps in
 * the state file): the prod stack's components and the account baseline's, each by its type's keys, none
 * of them empty. A component that forgets its outputs would still deploy, silently showing nothing.
 */
import { expect } from "chai";
import * as path from "path";
import { captureStack } from "../graph/capture";
import { GraphView, PROGRAM_DIR, remembered, stackGraph } from "./harness";

/** The outputs each kind of component registers. */
const REGISTERED: Record<string, string[]> = {
  "platform:compute:LambdaFunction": ["arn", "name"],
  "platform:api:HttpApi": ["url"],
  "platform:messaging:DeadLetterQueue": ["arn", "url"],
  "platform:messaging:QueueWorker": ["deadLetterQueueUrl", "queueUrl"],
  "platform:storage:SecureBucket": ["arn", "name"],
  "platform:data:Table": ["arn", "name"],
  "platform:observability:Alerts": ["topicArn"],
  "platform:observability:Monitoring": ["dashboardName"],
  "platform:observability:LogShipping": ["destinationArn"],
  "platform:config:ConfigStore": ["bucketName", "objectKey"],
  "platform:edge:Edge": ["url"],
  "platform:deploy:Rollouts": ["plans"],
  "platform:events:Schedule": ["ruleArn"],
  "platform:account:AccountAccess": ["deployRoleArn", "previewRoleArn"],
  "platform:governance:ConfigRecorder": ["bucketName"],
  // A secret's value is never an output: it registers none on purpose.
  "platform:config:StackSecret": [],
};

describe("every component registers its outputs", function () {
  this.timeout(120_000);
  const baseline = () =>
    remembered.get("baseline dev", () => captureStack(path.join(PROGRAM_DIR, "baseline"), "dev").then((g) => new GraphView(g)));

  for (const [label, graph] of [
    ["the prod stack", () => stackGraph("prod")],
    ["the dev account's baseline", baseline],
  ] as const) {
    it(`in ${label}: each component its type's outputs, none empty`, async () => {
      const components = (await graph()).resources.filter((r) => !r.custom && r.type.startsWith("platform:"));
      expect(components.length).to.be.greaterThan(3);
      for (const component of components) {
        const expected = REGISTERED[component.type];
        expect(expected, `${component.type} is listed here`).to.not.equal(undefined);
        expect(Object.keys(component.state).sort(), component.name).to.deep.equal(expected);
        for (const key of expected) expect(component.state[key], `${component.name}.${key}`).to.not.be.oneOf([undefined, null, ""]);
      }
    });
  }
});
