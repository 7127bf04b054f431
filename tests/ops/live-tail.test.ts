/**
 * `npm run logs -- --follow` against AWS streams with StartLiveTail (ops/live-tail.ts). No CloudWatch
 * Logs runs here, so a stand-in answers as the service does: DescribeLogGroups in JSON, and StartLiveTail
 * as an event stream (application/vnd.amazon.eventstream frames, encoded with the SDK's own codec), read
 * by the real SDK client.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { expect } from "chai";
import { liveTail, logGroupArn, TailedLine } from "../../ops/live-tail";

const { EventStreamCodec } = require("@smithy/core/event-streams");
const codec = new EventStreamCodec(
  (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8"),
  (text: string) => new Uint8Array(Buffer.from(text, "utf8")),
);
const GROUP_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/platform-prod-create-order";

/** One event-stream frame: an event of `type` whose payload is `body`, as JSON. */
function frame(type: string, body: unknown, messageType = "event"): Buffer {
  const kind = messageType === "exception" ? ":exception-type" : ":event-type";
  return Buffer.from(
    codec.encode({
      headers: {
        ":message-type": { type: "string", value: messageType },
        [kind]: { type: "string", value: type },
        ":content-type": { type: "string", value: "application/json" },
      },
      body: new Uint8Array(Buffer.from(JSON.stringify(body))),
    }),
  );
}

const update = (...messages: string[]) =>
  frame("sessionUpdate", {
    sessionMetadata: { sampled: false },
    sessionResults: messages.map((message, i) => ({ logGroupIdentifier: GROUP_ARN, message, timestamp: 1_700_000_000_000 + i })),
  });

describe("npm run logs --follow against AWS: CloudWatch Logs' StartLiveTail", () => {
  let server: http.Server;
  let client: CloudWatchLogsClient;
  const requests: { target: string; body: any }[] = [];
  /** What each StartLiveTail session streams, in turn; the last one stays open until the client aborts. */
  let sessions: Buffer[][] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const target = String(req.headers["x-amz-target"]).split(".").pop()!;
        requests.push({ target, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") });
        if (target === "DescribeLogGroups") {
          res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
          return res.end(
            JSON.stringify({
              logGroups: [
                { logGroupName: "/aws/lambda/platform-prod-create-order-v2", arn: `${GROUP_ARN}-v2:*` },
                { logGroupName: "/aws/lambda/platform-prod-create-order", arn: `${GROUP_ARN}:*` },
              ],
            }),
          );
        }
        res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
        const frames = sessions.shift() ?? [];
        for (const f of frames) res.write(f);
        // A session with more to come stays open, as the service's does; the others end.
        if (sessions.length > 0) res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    client = new CloudWatchLogsClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: "eu-west-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      // The service's own endpoint has a "stream-" host prefix; the stand-in has none.
      disableHostPrefix: true,
    });
  });
  after(() => {
    client?.destroy();
    server.closeAllConnections();
    server.close();
  });

  it("finds the log group's ARN by its exact name, without the ':*' older answers carry", async () => {
    requests.length = 0;
    expect(await logGroupArn(client, "/aws/lambda/platform-prod-create-order")).to.equal(GROUP_ARN);
    expect(requests).to.deep.equal([
      { target: "DescribeLogGroups", body: { logGroupNamePrefix: "/aws/lambda/platform-prod-create-order" } },
    ]);
    const missing = await logGroupArn(client, "/aws/lambda/nope").catch((err) => err);
    expect(missing.message).to.equal("no log group /aws/lambda/nope in this account and region: has the function logged yet?");
  });

  it("prints each line as it streams, starts a new session when one times out, and stops when aborted", async () => {
    requests.length = 0;
    sessions = [
      [frame("sessionStart", { sessionId: "s1", logGroupIdentifiers: [GROUP_ARN] }), update('{"message":"one"}', '{"message":"two"}')],
      [frame("SessionTimeoutException", { message: "three hours are up" }, "exception")],
      [frame("sessionStart", { sessionId: "s2" }), update('{"message":"three"}\n')],
    ];
    const lines: TailedLine[] = [];
    const stop = new AbortController();
    const tail = liveTail(
      client,
      [GROUP_ARN],
      "ERROR",
      (line) => {
        lines.push(line);
        if (lines.length === 3) setTimeout(() => stop.abort(), 50);
      },
      stop.signal,
    );
    await tail;
    expect(lines.map((l) => l.message)).to.deep.equal(['{"message":"one"}', '{"message":"two"}', '{"message":"three"}']);
    expect(lines[0]).to.deep.include({ timestamp: 1_700_000_000_000, logGroup: GROUP_ARN });
    const started = requests.filter((r) => r.target === "StartLiveTail");
    expect(started).to.have.length(3);
    expect(started[0].body).to.deep.equal({ logGroupIdentifiers: [GROUP_ARN], logEventFilterPattern: "ERROR" });
    // No poll: nothing asked FilterLogEvents.
    expect(requests.map((r) => r.target)).to.not.include("FilterLogEvents");
  });

  it("fails with the service's reason when the stream breaks", async () => {
    sessions = [[frame("SessionStreamingException", { message: "the log group was deleted" }, "exception")], []];
    const failed = await liveTail(client, [GROUP_ARN], undefined, () => undefined, new AbortController().signal).catch((err) => err);
    expect(failed).to.be.instanceOf(Error);
    expect(failed.message).to.equal("live tail stopped: the log group was deleted");
    // Any other error (here, one the SDK cannot read from the stream) is passed on as it came.
    sessions = [[frame("AccessDeniedException", { message: "not allowed" }, "exception")], []];
    const other = await liveTail(client, [GROUP_ARN], undefined, () => undefined, new AbortController().signal).catch((err) => err);
    expect(other).to.be.instanceOf(Error);
    expect(other.message)
      .to.include("not allowed")
      .and.not.match(/^live tail stopped/);
  });
});
