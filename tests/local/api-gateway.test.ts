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
