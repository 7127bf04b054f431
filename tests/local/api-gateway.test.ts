/**
 * API Gateway, closer to AWS: passthrough errors that say what failed and how to point it elsewhere;
 * quick-create APIs; named stages under /{stage}; stage variables; CORS.
 */
import { expect } from "chai";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { ROOT } from "./harness";

describe("local cloud: passthrough to an origin that cannot be reached", function () {
  this.timeout(120_000);
  let cloud: LocalCloud;
  let lines: string[];
  before(async () => {
    lines = [];
    cloud = await startLocalCloud({
      programDir: ROOT,
      stack: "dev",
      port: 0,
      stateFile: false,
      config: { legacyOrigin: "http://127.0.0.1:1" },
      write: (l) => lines.push(l),
    });
  });
  after(() => cloud?.stop());

  it("answers API Gateway's 503, and names the origin, the error and the config key that points it elsewhere", async () => {
    const answer = await fetch(`${cloud.url}/legacy/reports?x=1`);
    expect(answer.status).to.equal(503);
    expect(await answer.json()).to.deep.equal({ message: "Service Unavailable" });
    expect(lines).to.include(
      "passthrough GET /legacy/reports: http://127.0.0.1:1 could not be reached (ECONNREFUSED); point it elsewhere with `npm start -- --config legacyOrigin=http://127.0.0.1:8080` (or the stack's legacyOrigin)",
    );
  });
});

describe("local cloud: passthrough to a private origin (through a VPC link in AWS)", function () {
  this.timeout(120_000);
  const LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:111111111111:listener/app/legacy/50dc6c495c0c9188/f2f7dc8efc522ab2";
  let cloud: LocalCloud;
  const lines: string[] = [];
  before(async () => {
    cloud = await startLocalCloud({
      programDir: ROOT,
      stack: "dev",
      port: 0,
      stateFile: false,
      config: { legacyOrigin: LISTENER, network: JSON.stringify({ create: {}, functions: ["get-order"] }) },
      write: (l) => lines.push(l),
    });
  });
  after(() => cloud?.stop());

  it("answers 503 and says how to point the private backend at one this machine reaches; the VPC function still runs", async () => {
    const answer = await fetch(`${cloud.url}/legacy/reports`);
    expect(answer.status).to.equal(503);
    expect(await answer.json()).to.deep.equal({ message: "Service Unavailable" });
    expect(lines).to.include(
      `passthrough GET /legacy/reports: ${LISTENER} is a private backend, reached in AWS through a VPC link; locally, point it at a backend this machine reaches with \`npm start -- --config legacyOrigin=http://127.0.0.1:8080\``,
    );
    // getOrder, in the VPC, answers as any function: here its own 400 for an id of the wrong shape.
    expect((await fetch(`${cloud.url}/orders/ord_missing`)).status).to.equal(400);
    expect(lines.some((l) => /aws:apigatewayv2\/vpcLink:VpcLink/.test(l))).to.equal(true);
  });
});
