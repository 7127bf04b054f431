/**
 * The local API gateway's front (local/http-front.ts) against node:http: the same bytes on the wire give
 * the same request to the handler and the same answer bytes back (the Date header aside), whether the
 * front reads the request or hands the connection to node:http, and the test says which did.
 */
import * as http from "http";
import * as net from "net";
import { expect } from "chai";
import { createFront, type FrontRequest, type FrontResponse } from "../../local/http-front";

interface Seen {
  by: "front" | "node:http";
  method?: string;
  url?: string;
  httpVersion: string;
  headers: Record<string, unknown>;
  rawHeaders: string[];
  body: string;
  remoteAddress?: string;
}

/** The answers of /hold requests, sent when a test calls them. */
const held: (() => void)[] = [];

/** What a handler answers: the request's path picks it. */
function answer(req: FrontRequest, res: FrontResponse, body: Buffer, seen: Seen[]): void {
  seen.push({
    by: req instanceof http.IncomingMessage ? "node:http" : "front",
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    headers: { ...req.headers },
    rawHeaders: req.rawHeaders,
    body: body.toString("latin1"),
    remoteAddress: req.socket.remoteAddress,
  });
  const text = JSON.stringify({ path: req.url, size: body.length });
  const path = req.url ?? "/";
  const respond = () => {
    if (path.startsWith("/bytes"))
      res.writeHead(200, ["content-type", "application/octet-stream", "content-length", "3"]).end(Buffer.from([1, 2, 3]));
    else if (path.startsWith("/none")) res.writeHead(204, ["x-empty", "yes", "content-length", "0"]).end("");
    else if (path.startsWith("/close")) res.writeHead(200, ["connection", "close", "content-length", "2"]).end("ok");
    else if (path.startsWith("/dated")) res.writeHead(200, ["Date", "Tue, 01 Dec 2026 00:00:00 GMT", "content-length", "2"]).end("ok");
    else if (path.startsWith("/odd-status")) res.writeHead(599, ["content-length", "0"]).end("");
    else if (path.startsWith("/latin")) res.writeHead(200, ["x-name", "caf\u00e9", "content-length", "5"]).end("caf\u00e9");
    else if (path.startsWith("/bad-header")) {
      try {
        res.writeHead(200, ["x-bad", "line\nbreak"]);
        res.end("unreachable");
      } catch (err) {
        // A 200: node:http keeps the status message of the writeHead that threw.
        res.writeHead(200, ["x-error", (err as NodeJS.ErrnoException).code ?? "none", "content-length", "0"]).end("");
      }
    } else res.writeHead(200, ["content-type", "application/json", "content-length", String(Buffer.byteLength(text))]).end(text);
  };
  // The slow path answers a turn later, as an invocation does, so pipelined requests wait for it; a held one
  // when the test lets it go.
  if (path.startsWith("/slow")) setTimeout(respond, 20);
  else if (path.startsWith("/hold")) held.push(respond);
  else respond();
}

/** node:http's own server with the handler, as the gateway ran before the front. */
function nodeServer(seen: Seen[], keepAliveMs = 60_000): http.Server {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => answer(req, res as unknown as FrontResponse, Buffer.concat(chunks), seen));
  });
  server.keepAliveTimeout = keepAliveMs;
  return server;
}

function front(seen: Seen[], keepAliveMs?: number): net.Server & { closeAllConnections(): void } {
  return createFront((req, res, body) => answer(req, res, body, seen), nodeServer(seen), keepAliveMs);
}

async function listening<S extends net.Server>(server: S): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

/**
 * Writes `chunks` on one connection (each in its own write, a pause between them) and reads until the
 * server closes the connection or `answers` answers have come; returns what came back, Date headers blanked.
 */
async function exchange(
  port: number,
  chunks: (string | Buffer)[],
  options: { answers?: number; end?: boolean } = {},
): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  let text = "";
  let closed = false;
  const done = new Promise<void>((resolve) => {
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (
        options.answers !== undefined &&
        (text.match(/HTTP\/1\.1 \d{3}/g) ?? []).length >= options.answers &&
        completeAnswers(text) >= options.answers
      )
        resolve();
    });
    socket.on("close", () => {
      closed = true;
      resolve();
    });
  });
  for (const chunk of chunks) {
    socket.write(chunk);
    await new Promise((r) => setTimeout(r, 5));
  }
  if (options.end) socket.end();
  const timeout = setTimeout(() => socket.destroy(), 3000);
  await done;
  clearTimeout(timeout);
  await new Promise((r) => setTimeout(r, 30));
  socket.destroy();
  // node:http's Date is an IMF-fixdate (RFC 9110, section 5.6.7); the front's must be one too, then both are blanked.
  for (const [, date] of text.matchAll(/^Date: (.*)\r$/gim))
    expect(date).to.match(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  return { text: text.replace(/^Date: .*$/gim, "Date: -"), closed };
}

/** How many whole answers (head and Content-Length body) `text` holds. */
function completeAnswers(text: string): number {
  let count = 0;
  let at = 0;
  for (;;) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd < 0) return count;
    const length = Number(/content-length: (\d+)/i.exec(text.slice(at, headEnd))?.[1] ?? 0);
    const bodiless = /^HTTP\/1\.1 (204|304)/.test(text.slice(at));
    const end = headEnd + 4 + (bodiless ? 0 : length);
    if (text.length < end) return count;
    count++;
    at = end;
  }
}

const GET = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

describe("local cloud: the API gateway's front door against node:http", () => {
  let frontSeen: Seen[];
  let nodeSeen: Seen[];
  let frontServer: ReturnType<typeof front>;
  let reference: http.Server;
  let frontPort: number;
  let nodePort: number;

  beforeEach(async () => {
    frontSeen = [];
    nodeSeen = [];
    frontServer = front(frontSeen);
    reference = nodeServer(nodeSeen);
    frontPort = await listening(frontServer);
    nodePort = await listening(reference);
  });
  afterEach(async () => {
    frontServer.closeAllConnections();
    reference.closeAllConnections();
    await new Promise((r) => frontServer.close(r));
    await new Promise((r) => reference.close(r));
  });

  /** Sends the same bytes to both servers; both must read the same requests and answer the same bytes. */
  async function same(chunks: (string | Buffer)[], options: { answers?: number; end?: boolean; sameReading?: boolean } = {}) {
    const [viaFront, viaNode] = [await exchange(frontPort, chunks, options), await exchange(nodePort, chunks, options)];
    expect(viaFront.text).to.equal(viaNode.text);
    expect(viaFront.closed).to.equal(viaNode.closed);
    const reading = (s: Seen[]) => s.map(({ by: _by, ...rest }) => rest);
    if (options.sameReading !== false) expect(reading(frontSeen)).to.deep.equal(reading(nodeSeen));
    expect(nodeSeen.every((s) => s.by === "node:http")).to.equal(true);
    return { text: viaFront.text, closed: viaFront.closed, by: frontSeen.map((s) => s.by) };
  }

  describe("requests it reads itself", () => {
    it("a GET with a query, header names as sent, values without surrounding whitespace", async () => {
      const { text, by } = await same([GET("/pets?limit=2&x=%20", "X-Mixed-Case:   spaced value \t\r\nAccept: */*\r\n")], { answers: 1 });
      expect(by).to.deep.equal(["front"]);
      expect(frontSeen[0].rawHeaders).to.deep.equal(["Host", "localhost", "X-Mixed-Case", "spaced value", "Accept", "*/*"]);
      expect(frontSeen[0].headers).to.deep.equal({ host: "localhost", "x-mixed-case": "spaced value", accept: "*/*" });
      expect(frontSeen[0].remoteAddress).to.equal("127.0.0.1");
      expect(text).to.match(
        /^HTTP\/1\.1 200 OK\r\ncontent-type: application\/json\r\ncontent-length: \d+\r\nDate: -\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n\{"path"/,
      );
    });

    it("any printable target, an empty header value, a set-cookie header (a list, as node:http gives it), a Content-Length with leading zeros", async () => {
      const targets = ["/a#frag", "/q?x=[1]&y={2}", '/|\\^`"<>', "//double/../%zz", "/~!$&'()*+,;=:@"];
      const { by } = await same(
        [
          ...targets.map((t) => GET(t, "X-Empty:\r\nSet-Cookie: odd=1\r\n")),
          "PUT /lead HTTP/1.1\r\nHost: localhost\r\nContent-Length: 002\r\n\r\nok",
        ],
        { answers: targets.length + 1 },
      );
      expect(by).to.deep.equal(Array(targets.length + 1).fill("front"));
      expect(frontSeen.map((r) => r.url)).to.deep.equal([...targets, "/lead"]);
      expect(frontSeen[0].rawHeaders).to.deep.equal(["Host", "localhost", "X-Empty", "", "Set-Cookie", "odd=1"]);
      expect(frontSeen[0].headers["set-cookie"]).to.deep.equal(["odd=1"]);
      expect(frontSeen[targets.length].body).to.equal("ok");
    });

    it("a POST whose body comes in pieces, and one whose head does too", async () => {
      const body = "x".repeat(3000);
      const head = `POST /items HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`;
      const { by } = await same([head + body.slice(0, 1000), body.slice(1000, 2000), body.slice(2000)], { answers: 1 });
      expect(by).to.deep.equal(["front"]);
      expect(frontSeen[0].body).to.equal(body);
      frontSeen.length = nodeSeen.length = 0;
      const split = GET("/split", "Accept: text/plain\r\n");
      expect((await same([split.slice(0, 7), split.slice(7, 30), split.slice(30)], { answers: 1 })).by).to.deep.equal(["front"]);
    });

    it("pipelined requests, answered in order, each after the one before it", async () => {
      const { text, by } = await same([GET("/slow/1") + GET("/2") + GET("/slow/3")], { answers: 3 });
      expect(by).to.deep.equal(["front", "front", "front"]);
      expect([...text.matchAll(/"path":"([^"]+)"/g)].map((m) => m[1])).to.deep.equal(["/slow/1", "/2", "/slow/3"]);
    });

    it("stops reading ahead of a request being answered past 64 KiB, and reads on once it is answered", async () => {
      const size = 900 * 1024;
      const post = `POST /big HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n\r\n${"z".repeat(size)}`;
      const { text, by } = await same([GET("/slow/ahead") + post + GET("/last")], { answers: 3 });
      expect(by).to.deep.equal(["front", "front", "front"]);
      expect([...text.matchAll(/"path":"([^"]+)","size":(\d+)/g)].map((m) => `${m[1]} ${m[2]}`)).to.deep.equal([
        "/slow/ahead 0",
        `/big ${size}`,
        "/last 0",
      ]);
    });

    it("stops reading from a client that pipelines past 64 KiB behind an answer it waits for, and reads on after it", async () => {
      const sockets: net.Socket[] = [];
      frontServer.on("connection", (s: net.Socket) => sockets.push(s));
      const client = net.connect(frontPort, "127.0.0.1");
      let received = "";
      client.on("data", (d: Buffer) => (received += d.toString("latin1")));
      const until = async (what: string, ok: () => boolean) => {
        for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
        expect(ok(), what).to.equal(true);
      };
      // Under 64 KiB ahead: read on while the first is held.
      client.write(GET("/hold/1"));
      await until("the first request is held", () => held.length === 1);
      client.write(GET("/after/1"));
      await until("the server read the request behind it", () => sockets[0]?.bytesRead === GET("/hold/1").length + GET("/after/1").length);
      expect(sockets[0].isPaused()).to.equal(false);
      held.shift()!();
      await until("both answered", () => (received.match(/HTTP\/1\.1 200/g) ?? []).length === 2);
      // Over 64 KiB ahead: the connection stops reading until the held answer is out.
      const size = 200 * 1024;
      client.write(GET("/hold/2") + `POST /ahead HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n\r\n${"a".repeat(size)}`);
      await until("the server paused", () => sockets[0].isPaused());
      expect(frontSeen.map((r) => r.url)).to.deep.equal(["/hold/1", "/after/1", "/hold/2"]);
      held.shift()!();
      await until("the rest answered", () => (received.match(/HTTP\/1\.1 200/g) ?? []).length === 4);
      expect(sockets[0].isPaused()).to.equal(false);
      expect(frontSeen.map((r) => `${r.url} ${r.body.length}`)).to.deep.equal(["/hold/1 0", "/after/1 0", "/hold/2 0", `/ahead ${size}`]);
      client.destroy();
    });

    it("hands a connection it had stopped reading to node:http with every byte, in order", async () => {
      const client = net.connect(frontPort, "127.0.0.1");
      let received = "";
      client.on("data", (d: Buffer) => (received += d.toString("latin1")));
      await new Promise((resolve) => client.once("connect", resolve));
      const size = 300 * 1024;
      const chunked = "POST /chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
      client.write(
        GET("/hold/h") + `POST /ahead HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n\r\n${"b".repeat(size)}` + chunked,
      );
      for (let i = 0; i < 300 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      // Written while the connection is paused: it waits in the socket's buffer until the hand-off.
      client.write(GET("/after-hand-off"));
      await new Promise((r) => setTimeout(r, 50));
      held.shift()!();
      for (let i = 0; i < 300 && (received.match(/HTTP\/1\.1 200/g) ?? []).length < 4; i++) await new Promise((r) => setTimeout(r, 10));
      client.destroy();
      expect([...received.matchAll(/"path":"([^"]+)","size":(\d+)/g)].map((m) => `${m[1]} ${m[2]}`)).to.deep.equal([
        "/hold/h 0",
        `/ahead ${size}`,
        "/chunked 3",
        "/after-hand-off 0",
      ]);
      expect(frontSeen.map((r) => r.by)).to.deep.equal(["front", "front", "node:http", "node:http"]);
    });

    it("serves thousands of pipelined requests answered at once without growing the stack", async () => {
      const count = 20_000;
      const requests = Array.from({ length: count }, (_, i) => GET(`/p${i}`, i === count - 1 ? "Connection: close\r\n" : "")).join("");
      const client = net.connect(frontPort, "127.0.0.1");
      let received = "";
      client.on("data", (d: Buffer) => (received += d.toString("latin1")));
      const closed = new Promise((resolve) => client.on("close", resolve));
      client.write(requests);
      await closed;
      expect(received.match(/HTTP\/1\.1 200 OK/g)).to.have.length(count);
      expect(frontSeen).to.have.length(count);
      expect(frontSeen.every((r) => r.by === "front")).to.equal(true);
    });

    it("keeps serving after a client resets its connection while its answer is pending", async () => {
      const client = net.connect(frontPort, "127.0.0.1");
      await new Promise((resolve) => client.once("connect", resolve));
      client.write(GET("/slow/reset"));
      await new Promise((r) => setTimeout(r, 5));
      client.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 50));
      expect((await exchange(frontPort, [GET("/still")], { answers: 1 })).text).to.include('"path":"/still"');
    });

    it("writes a status node:http has no text for as node:http does", async () => {
      expect((await same([GET("/odd-status")], { answers: 1 })).text).to.match(/^HTTP\/1\.1 599 unknown\r\n/);
    });

    it("HEAD gets the head without the body; 204 and a Buffer body as node:http writes them", async () => {
      const head = await same([`HEAD /things HTTP/1.1\r\nHost: localhost\r\n\r\n${GET("/after")}`], { answers: 2 });
      expect(head.by).to.deep.equal(["front", "front"]);
      expect(head.text).to.not.match(/\r\n\r\n\{"path":"\/things"/);
      frontSeen.length = nodeSeen.length = 0;
      const others = await same([GET("/none"), GET("/bytes")], { answers: 2 });
      expect(others.by).to.deep.equal(["front", "front"]);
      expect(others.text).to.match(/^HTTP\/1\.1 204 No Content\r\n[^]*\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\x01\x02\x03$/);
    });

    it("closes after the answer when the request or the answer says Connection: close, and keeps a Date the answer gives", async () => {
      // Connection's options are a list: close among them, spaced and in any case.
      const asked = await same([GET("/a", "Connection: keep-alive,  Close\r\n")]);
      expect(asked.by).to.deep.equal(["front"]);
      expect(asked.closed).to.equal(true);
      expect(asked.text).to.include("Connection: close\r\n").and.not.include("Keep-Alive");
      frontSeen.length = nodeSeen.length = 0;
      const kept = await same([GET("/k", "Connection: keep-alive\r\n"), GET("/k2")], { answers: 2 });
      expect(kept.closed).to.equal(false);
      expect(kept.by).to.deep.equal(["front", "front"]);
      frontSeen.length = nodeSeen.length = 0;
      // More bytes after it: the request goes to node:http, which answers 400 in place of the answer.
      const more = await same([GET("/a", "Connection: close\r\n") + GET("/never")]);
      expect(more.by).to.deep.equal(["node:http"]);
      expect(more.text).to.match(/^HTTP\/1\.1 400 Bad Request/);
      frontSeen.length = nodeSeen.length = 0;
      // node:http also runs the request pipelined behind it, whose answer is never sent; the front does not.
      const answered = await same([GET("/close") + GET("/never")], { sameReading: false });
      expect(frontSeen.map((r) => r.url)).to.deep.equal(["/close"]);
      expect(nodeSeen.map((r) => r.url)).to.deep.equal(["/close", "/never"]);
      expect(answered.closed).to.equal(true);
      expect(answered.text.match(/HTTP\/1\.1/g)).to.have.length(1);
      frontSeen.length = nodeSeen.length = 0;
      const dated = await same([GET("/dated")], { answers: 1 });
      expect(dated.text)
        .to.include("Date: -")
        .and.not.match(/Date: -[\s\S]*Date: -/);
    });

    it("closes at once when the client ends its side, the answer it waited for dropped as node:http drops it", async () => {
      const { text, closed, by } = await same([GET("/slow/half")], { end: true });
      expect(by).to.deep.equal(["front"]);
      expect(text).to.equal("");
      expect(closed).to.equal(true);
    });

    it("writes a header value's Latin-1 text and the body as node:http does, and refuses an invalid header as node:http does", async () => {
      expect((await same([GET("/latin")], { answers: 1 })).text).to.include("x-name: caf");
      frontSeen.length = nodeSeen.length = 0;
      const { text } = await same([GET("/bad-header")], { answers: 1 });
      expect(text).to.include("x-error: ERR_INVALID_CHAR").and.not.include("unreachable");
    });
  });

  describe("requests it hands to node:http, with the rest of their connection", () => {
    const handedOff: [string, string, RegExp][] = [
      ["a chunked body", "POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", /200 OK/],
      ["a header given twice", GET("/twice", "X-A: 1\r\nx-a: 2\r\n"), /200 OK/],
      ["HTTP/1.0", "GET /old HTTP/1.0\r\nHost: localhost\r\n\r\n", /200 OK/],
      ["Expect: 100-continue", "POST /e HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", /200 OK/],
      ["a method the front does not list", GET("/x").replace("GET", "PROPFIND"), /200 OK/],
      ["a request target that is not origin-form", "GET http://localhost/abs HTTP/1.1\r\nHost: localhost\r\n\r\n", /200 OK/],
      ["a Latin-1 byte in a header value", GET("/latin-in", "X-Name: caf\u00e9\r\n"), /200 OK/],
      ["no Host header", "GET /nohost HTTP/1.1\r\nAccept: */*\r\n\r\n", /400 Bad Request/],
      ["a header name that is no token", GET("/bad", "Bad Name: x\r\n"), /400 Bad Request/],
      ["a folded header line", GET("/fold", "X-Long: a\r\n  b\r\n"), /400 Bad Request/],
      ["a lowercase method", GET("/x").replace("GET", "get"), /400 Bad Request/],
      ["an empty line before the request line", "\r\n" + GET("/after-empty-line"), /200 OK/],
      ["a space before a header's colon", GET("/space", "X-A : 1\r\n"), /400 Bad Request/],
      ["a header line without a colon", GET("/nocolon", "NoColonHere\r\n"), /400 Bad Request/],
      ["a bare CR in a header value", GET("/cr", "X-A: a\rb\r\n"), /400 Bad Request/],
      ["empty lines before the request line, two of them", "\r\n\r\n" + GET("/after-two"), /./],
      ["a DEL in a header value", GET("/del", "X-A: a\x7fb\r\n"), /./],
      ["a head over 16 KiB", GET("/big", `X-Big: ${"b".repeat(17 * 1024)}\r\n`), /431 Request Header Fields Too Large/],
      ["a Content-Length that is not digits", "POST /n HTTP/1.1\r\nHost: localhost\r\nContent-Length: +2\r\n\r\nhi", /400 Bad Request/],
      [
        "a Content-Length with a letter after its digits",
        "POST /n HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2a\r\n\r\nhi",
        /400 Bad Request/,
      ],
    ];
    for (const [what, request, status] of handedOff)
      it(`${what}: read and answered by node:http alike`, async () => {
        const { text, by } = await same([Buffer.from(request, "latin1")], { answers: 1, end: true });
        expect(text).to.match(status);
        expect(by.every((b) => b === "node:http")).to.equal(true);
      });

    it("a head that has not ended by 8 KiB: node:http reads on, and answers 431 past its own limit", async () => {
      const { text, by } = await same([GET("/long", `X-Long: ${"l".repeat(17 * 1024)}`)], { answers: 1, end: true });
      expect(text).to.match(/^HTTP\/1\.1 431 /);
      expect(by).to.deep.equal([]);
    });

    it("a body over 1 MiB goes to node:http whole", async () => {
      const size = 1024 * 1024 + 1;
      const { by } = await same([`POST /large HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${size}\r\n\r\n`, "y".repeat(size)], {
        answers: 1,
      });
      expect(by).to.deep.equal(["node:http"]);
      expect(frontSeen[0].body).to.have.length(size);
    });

    it("on a connection the front served first: the requests before, the one handed off and the ones after are answered in order", async () => {
      const chunked = "POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
      const { text, by } = await same([GET("/slow/first") + GET("/second") + chunked + GET("/after")], { answers: 4 });
      expect(by).to.deep.equal(["front", "front", "node:http", "node:http"]);
      expect([...text.matchAll(/"path":"([^"]+)"/g)].map((m) => m[1])).to.deep.equal(["/slow/first", "/second", "/c", "/after"]);
    });
  });

  it("closes a connection idle past the keep-alive time, not one waiting for its answer", async () => {
    const quick = front([], 150);
    const port = await listening(quick);
    try {
      const socket = net.connect(port, "127.0.0.1");
      let received = "";
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.on("data", (d: Buffer) => (received += d.toString()));
      socket.write(GET("/slow/0"));
      await closed;
      expect(received).to.include('"path":"/slow/0"');
      // A request slower than the keep-alive time is answered, not cut.
      const slow = front([], 10);
      const slowPort = await listening(slow);
      const { text } = await exchange(slowPort, [GET("/slow/1")], { answers: 1 });
      expect(text).to.include('"path":"/slow/1"');
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    } finally {
      quick.closeAllConnections();
      await new Promise((r) => quick.close(r));
    }
  });

  it("closes every connection when asked, the ones it served and the ones it handed off", async () => {
    const a = net.connect(frontPort, "127.0.0.1");
    const b = net.connect(frontPort, "127.0.0.1");
    const closed = (s: net.Socket) => new Promise<void>((resolve) => s.on("close", () => resolve()));
    const both = Promise.all([closed(a), closed(b)]);
    const answered = (s: net.Socket) => new Promise<void>((resolve) => s.once("data", () => resolve()));
    a.write(GET("/front"));
    b.write("GET /node HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n");
    await Promise.all([answered(a), answered(b)]);
    expect(frontSeen.map((s) => s.by).sort()).to.deep.equal(["front", "node:http"]);
    frontServer.closeAllConnections();
    await both;
  });
});
