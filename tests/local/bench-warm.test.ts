/** The benchmark's warm durations come from real traffic on the local cloud running the prod stack. */
import { expect } from "chai";
import { warmDurations } from "../../bench/warm";
import { localSecretVariable } from "../../graph/stack-config";
import { PROGRAM_DIR } from "../harness";

describe("npm run bench: warm durations", function () {
  this.timeout(120_000);

  it("measures every function of the prod stack warm, through the API with the edge's header, the queue and the schedule", async () => {
    const durations = await warmDurations(PROGRAM_DIR, 5);
    expect(Object.keys(durations).sort()).to.deep.equal([
      "platform-prod-create-order",
      "platform-prod-daily-report",
      "platform-prod-get-order",
      "platform-prod-health",
      "platform-prod-process-order",
    ]);
    for (const ms of Object.values(durations)) expect(ms).to.be.greaterThan(0);
    // The origin secret it set for the run is gone afterwards.
    expect(process.env[localSecretVariable("originVerifySecret")]).to.equal(undefined);
  });
});
