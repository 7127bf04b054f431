/** `npm start`'s own behaviour: a clean stop, and exit 2 for bad input. The app itself is in tests/integration. */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { expect } from "chai";
import { freePort, ROOT, runToEnd, startCloud } from "./harness";

const STATE_FILE = path.join(ROOT, ".build", "local", "dev", "state.json");

describe("npm start: stopping", function () {
  this.timeout(60_000);

  it("stops everything on SIGINT: exit 0, the port released, the state file removed", async () => {
    const cloud = await startCloud(["--stack", "dev"], await freePort());
    const port = Number(new URL(cloud.url).port);
    expect(fs.existsSync(STATE_FILE)).to.equal(true);
    const code = await cloud.stop("SIGINT");
    expect(code, cloud.stderr()).to.equal(0);
    expect(fs.existsSync(STATE_FILE)).to.equal(false);
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    });
    expect(refused).to.equal("ECONNREFUSED");
  });
});

describe("npm start: bad input", function () {
  this.timeout(60_000);

  it("exits 2 for a stack without a file, listing every key the CLI would miss", async () => {
    const run = await runToEnd("start.ts", ["--stack", "nope"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include(
      "Stack 'nope' is missing configuration values 'environment', 'faultInjection', 'logRetentionDays', 'protectStatefulResources', 'throttleBurstLimit', 'throttleRateLimit' and 'warmerEnabled'",
    );
    expect(run.stderr).to.include("there is no Pulumi.nope.yaml");
  });

  it("exits 2 naming the key and the stack for a bad config value", async () => {
    const run = await runToEnd("start.ts", ["--config", "maxReceiveCount=0"], { PORT: String(await freePort()) });
    expect(run.code).to.equal(2);
    expect(run.stderr)
      .to.match(/maxReceiveCount/)
      .and.match(/"dev"/);
  });

  it("exits 2 when the port is in use", async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const run = await runToEnd("start.ts", [], { PORT: String(port) });
      expect(run.code).to.equal(2);
      expect(run.stderr).to.include(`port ${port} is already in use`);
    } finally {
      holder.close();
    }
  });

  it("exits 2 for a PORT that is not a port", async () => {
    const run = await runToEnd("start.ts", [], { PORT: "eighty" });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/PORT must be an integer/);
  });
});
