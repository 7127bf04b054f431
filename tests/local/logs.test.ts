/** The local cloud's log store (a byte ring per function) and its buffered stdout. */
import { execFileSync } from "child_process";
import { expect } from "chai";
import { bufferedStdout, STDOUT_FLUSH_BYTES } from "../../local/console";
import { KEEP_BYTES, KEEP_LINES, LogStore } from "../../local/logs";
import { ROOT } from "./harness";

const texts = (store: LogStore, name: string) => store.since(name, 0).map((l) => l.message);
const spanOf = (text: string) => Buffer.byteLength(text) + 1;

describe("local cloud: the log store", () => {
  it("keeps each function's lines in order with their time and arrival order, and reads them from a time on", () => {
    const store = new LogStore();
    const before = Date.now();
    store.append("orders", "one");
    store.append("billing", "elsewhere");
    store.append("orders", "");
    store.append("orders", "three λ ✓");
    const lines = store.since("orders", 0);
    expect(lines.map((l) => [l.functionName, l.message, l.seq])).to.deep.equal([
      ["orders", "one", 0],
      ["orders", "", 2],
      ["orders", "three λ ✓", 3],
    ]);
    expect(lines.every((l) => l.timestamp >= before && l.timestamp <= Date.now())).to.equal(true);
    // A line at exactly the time asked for is included; one before it is not.
    expect(store.since("orders", lines[2].timestamp).map((l) => l.message)).to.include("three λ ✓");
    expect(store.since("orders", lines[2].timestamp + 1)).to.deep.equal([]);
    expect(store.since("nobody", 0)).to.deep.equal([]);
  });

  it("keeps the newest lines up to its line count, dropping the oldest", () => {
    const store = new LogStore(3, 1024);
    for (let i = 1; i <= 5; i++) store.append("f", `line ${i}`);
    expect(texts(store, "f")).to.deep.equal(["line 3", "line 4", "line 5"]);
    const exact = new LogStore(3, 1024);
    for (let i = 1; i <= 3; i++) exact.append("f", `line ${i}`);
    expect(texts(exact, "f")).to.deep.equal(["line 1", "line 2", "line 3"]);
  });

  it("keeps the newest lines that fit its bytes, whole, across wrap-arounds", () => {
    // Each line takes its bytes and one more: three of 10 bytes take 33, more than 32.
    const store = new LogStore(100, 32);
    store.append("f", "aaaaaaaaaa");
    store.append("f", "bbbbbbbbbb");
    expect(texts(store, "f")).to.deep.equal(["aaaaaaaaaa", "bbbbbbbbbb"]);
    store.append("f", "cccccccccc");
    expect(texts(store, "f")).to.deep.equal(["bbbbbbbbbb", "cccccccccc"]);
    // A line goes when a new one lands on its bytes, even if the total would fit elsewhere: dd lands on b's.
    store.append("f", "dd");
    expect(texts(store, "f")).to.deep.equal(["cccccccccc", "dd"]);
    store.append("f", "eeeeeeeeeeeeeeeeeeee");
    expect(texts(store, "f")).to.deep.equal(["eeeeeeeeeeeeeeeeeeee"]);
  });

  it("drops the lines left past the writer before those it wraps onto, which are newer", () => {
    const store = new LogStore(100, 32);
    // a [0,11) b [11,22) c [22,28); d wraps onto a; e lands on b; c is left past the writer, the oldest.
    for (const text of ["aaaaaaaaaa", "bbbbbbbbbb", "ccccc", "dddddddddd", "ee"]) store.append("f", text);
    expect(texts(store, "f")).to.deep.equal(["ccccc", "dddddddddd", "ee"]);
    // g does not fit after e: it wraps onto d and e, so c, older than both, goes too.
    store.append("f", "g".repeat(19));
    expect(texts(store, "f")).to.deep.equal(["g".repeat(19)]);
  });

  it("never returns a line other than as written, whatever the mix of sizes, characters and empty lines", () => {
    // A seeded walk through many wrap-arounds of a small ring, checked against what was appended.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const alphabet = ["a", "é", "λ", "✓", "😀", " "];
    for (const [keepLines, keepBytes] of [
      [5, 64],
      [50, 64],
      [1000, 300],
    ]) {
      const store = new LogStore(keepLines, keepBytes);
      const appended: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const length = Math.floor(random() * 20);
        const text = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
        store.append("f", text);
        appended.push(text);
        const kept = texts(store, "f");
        // The newest lines, in order, the last one always among them, within both limits.
        expect(kept, `after ${i + 1}`).to.deep.equal(appended.slice(appended.length - kept.length));
        expect(kept.length).to.be.within(1, keepLines);
        expect(kept.reduce((sum, t) => sum + spanOf(t), 0)).to.be.at.most(keepBytes);
      }
    }
  });

  it("grows its buffer up to its byte limit before it wraps, losing nothing on the way", () => {
    const store = new LogStore(KEEP_LINES, KEEP_BYTES);
    // 3000 lines of 200 bytes: 600 kB, past the first 64 kB buffer and three doublings.
    const lines = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(6, "0")} ${"x".repeat(193)}`);
    for (const line of lines) store.append("f", line);
    expect(texts(store, "f")).to.deep.equal(lines);
    // Past KEEP_LINES, the oldest go by count.
    for (const line of lines) store.append("f", line);
    expect(texts(store, "f")).to.have.length(KEEP_LINES);
  });

  it("keeps what fits of a line longer than the ring, in whole characters", () => {
    const store = new LogStore(10, 16);
    store.append("f", "before");
    store.append("f", "λ".repeat(20));
    // 15 bytes at most for the text: seven two-byte characters.
    expect(texts(store, "f")).to.deep.equal(["λ".repeat(7)]);
  });

  it("sends a follower each new line of its function until it stops following", () => {
    const store = new LogStore();
    const got: string[] = [];
    const stop = store.follow("orders", (line) => got.push(`${line.functionName}:${line.message}:${line.seq}`));
    store.append("orders", "a");
    store.append("billing", "b");
    store.append("orders", "c");
    stop();
    store.append("orders", "d");
    expect(got).to.deep.equal(["orders:a:0", "orders:c:2"]);
  });

  it("finds one request's JSON lines across functions by trace id, in the order they were written", () => {
    const store = new LogStore();
    const root = "1-5759e988-bd862e3fe1be46a994272793";
    store.append("api", JSON.stringify({ message: "in", xray_trace_id: root }));
    store.append("worker", JSON.stringify({ message: "other", xray_trace_id: "1-00000000-000000000000000000000000" }));
    store.append("worker", JSON.stringify({ message: "done", xray_trace_id: root }));
    store.append("api", JSON.stringify({ message: "out", xray_trace_id: root }));
    // Naming the id is not enough: the line must be JSON with it as its trace id.
    store.append("api", `plain text about ${root}`);
    store.append("api", JSON.stringify({ message: `mentions ${root}` }));
    expect(store.traced(root, 0).map((l) => `${l.functionName}:${JSON.parse(l.message).message}`)).to.deep.equal([
      "api:in",
      "worker:done",
      "api:out",
    ]);
    expect(store.traced(root, Date.now() + 1000)).to.deep.equal([]);
  });
});

describe("local cloud: stdout, buffered", () => {
  const collect = () => {
    const writes: string[] = [];
    return { writes, out: { write: (bytes: Uint8Array) => writes.push(Buffer.from(bytes).toString("utf8")) } };
  };

  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it("writes a turn's lines together, one per line, at the end of that turn", async () => {
    const { writes, out } = collect();
    const write = bufferedStdout(out);
    write("λ first");
    write("second");
    expect(writes).to.deep.equal([]);
    // Immediates run in the order they were set: this one runs right after the writer's.
    await nextTurn();
    expect(writes).to.deep.equal(["λ first\nsecond\n"]);
    write("third");
    await nextTurn();
    expect(writes).to.deep.equal(["λ first\nsecond\n", "third\n"]);
  });

  it("writes what waits before a line that would not fit, and a line longer than the buffer whole", async () => {
    const { writes, out } = collect();
    const write = bufferedStdout(out);
    const half = "h".repeat(STDOUT_FLUSH_BYTES / 2);
    write(half);
    write(half);
    expect(writes).to.deep.equal([`${half}\n`]);
    const long = "l".repeat(STDOUT_FLUSH_BYTES * 2);
    write(long);
    expect(writes).to.deep.equal([`${half}\n`, `${half}\n`]);
    await nextTurn();
    expect(writes).to.deep.equal([`${half}\n`, `${half}\n`, `${long}\n`]);
  });

  it("writes the lines still waiting when the process exits", () => {
    const program = `require("./local/console").bufferedStdout()("last words λ"); process.exit(0);`;
    const printed = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", program], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(printed).to.equal("last words λ\n");
  });
});
