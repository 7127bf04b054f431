/**
 * The local cloud's log stream: every function's recent log lines, kept in memory (a bounded ring per
 * function), readable and followable over the Lambda API's control route, as CloudWatch Logs is in AWS.
 *
 * The lines are kept as UTF-8 bytes in one buffer per function, not as a string and an object each: a
 * line outlives several young-generation collections, so kept on the heap every line was copied into the
 * old generation and collected there again, the largest single cost of a request under load. Buffer
 * memory is outside the heap; a line becomes a string again only when it is read.
 */
export interface LogLine {
  timestamp: number;
  functionName: string;
  message: string;
  /** The order lines arrived in, across functions. */
  seq: number;
}

/** Lines kept per function; older ones drop off, as retention would drop them. */
export const KEEP_LINES = 5000;
/** Bytes of lines kept per function, at most; older lines drop off to make room. The buffer starts small and doubles up to this. */
export const KEEP_BYTES = 8 * 1024 * 1024;
const FIRST_BYTES = 64 * 1024;

/** One function's lines: a byte ring for the text, and typed arrays for where each line is and when it came. */
class LineRing {
  private bytes: Buffer;
  private readonly starts: Uint32Array;
  private readonly lengths: Uint32Array;
  private readonly times: Float64Array;
  private readonly seqs: Float64Array;
  /** Slot of the oldest line, and how many there are. */
  private first = 0;
  private count = 0;
  /** Where the next line's bytes go. */
  private writeAt = 0;

  constructor(
    private readonly keepLines: number,
    private readonly keepBytes: number,
  ) {
    this.bytes = Buffer.alloc(Math.min(FIRST_BYTES, keepBytes));
    this.starts = new Uint32Array(keepLines);
    this.lengths = new Uint32Array(keepLines);
    this.times = new Float64Array(keepLines);
    this.seqs = new Float64Array(keepLines);
  }

  push(message: string, timestamp: number, seq: number): void {
    // A line longer than the whole ring keeps what fits (whole characters only). Each line spans one byte
    // more than its text, so no line takes no room and byte ranges alone say which lines a new one overwrites.
    const size = Math.min(Buffer.byteLength(message), this.keepBytes - 1);
    const span = size + 1;
    if (this.writeAt + span > this.bytes.length) {
      // The buffer grows to make room until it reaches keepBytes; only then does it wrap around, so while
      // it grows every line lies before the writer.
      if (this.bytes.length < this.keepBytes) this.grow(this.writeAt + span);
      if (this.writeAt + span > this.bytes.length) {
        // The lines past the writer, left from the last time round, are the oldest: they go before any
        // line at the start of the ring can, so that the lines kept are always the newest ones.
        const tail = this.writeAt;
        while (this.count > 0 && this.starts[this.first] >= tail) this.dropOldest();
        this.writeAt = 0;
      }
    }
    // The oldest lines go while the slots are all taken or the new line's bytes land on theirs. From the
    // writer on, lines lie in the order they came, so once the oldest is clear of the new line, all are.
    while (this.count > 0 && (this.count === this.keepLines || this.overwrites(this.first, span))) this.dropOldest();
    const slot = (this.first + this.count) % this.keepLines;
    const written = this.bytes.write(message, this.writeAt, size, "utf8");
    this.starts[slot] = this.writeAt;
    this.lengths[slot] = written;
    this.times[slot] = timestamp;
    this.seqs[slot] = seq;
    this.writeAt += written + 1;
    this.count++;
  }

  /** The lines from the oldest kept, in order. */
  *lines(functionName: string): Generator<LogLine> {
    for (let i = 0; i < this.count; i++) {
      const slot = (this.first + i) % this.keepLines;
      yield {
        timestamp: this.times[slot],
        functionName,
        message: this.bytes.toString("utf8", this.starts[slot], this.starts[slot] + this.lengths[slot]),
        seq: this.seqs[slot],
      };
    }
  }

  /** Whether a line of `span` bytes written next would land on the bytes of the line in `slot`. */
  private overwrites(slot: number, span: number): boolean {
    const from = this.starts[slot];
    return from < this.writeAt + span && from + this.lengths[slot] + 1 > this.writeAt;
  }

  private dropOldest(): void {
    this.first = (this.first + 1) % this.keepLines;
    this.count--;
  }

  private grow(needed: number): void {
    let length = this.bytes.length;
    while (length < needed && length < this.keepBytes) length *= 2;
    const bytes = Buffer.alloc(Math.min(length, this.keepBytes));
    this.bytes.copy(bytes, 0, 0, this.writeAt);
    this.bytes = bytes;
  }
}

export class LogStore {
  private readonly rings = new Map<string, LineRing>();
  private readonly followers = new Set<{ functionName: string; send(line: LogLine): void }>();
  private seq = 0;

  constructor(
    /** Lines kept per function. @default KEEP_LINES */
    private readonly keepLines = KEEP_LINES,
    /** Bytes of lines kept per function. @default KEEP_BYTES */
    private readonly keepBytes = KEEP_BYTES,
  ) {}

  append(functionName: string, message: string): void {
    const timestamp = Date.now();
    const seq = this.seq++;
    let ring = this.rings.get(functionName);
    if (!ring) this.rings.set(functionName, (ring = new LineRing(this.keepLines, this.keepBytes)));
    ring.push(message, timestamp, seq);
    for (const follower of this.followers)
      if (follower.functionName === functionName) follower.send({ timestamp, functionName, message, seq });
  }

  since(functionName: string, timestamp: number): LogLine[] {
    return [...(this.rings.get(functionName)?.lines(functionName) ?? [])].filter((l) => l.timestamp >= timestamp);
  }

  /**
   * Every function's lines about one request since `timestamp`, in the order they were written: the JSON
   * lines whose `xray_trace_id` is `traceId` (the trace's Root, as the functions' logger writes it).
   */
  traced(traceId: string, timestamp: number): LogLine[] {
    const about = (line: LogLine) => {
      if (line.timestamp < timestamp || !line.message.includes(traceId)) return false;
      try {
        return JSON.parse(line.message).xray_trace_id === traceId;
      } catch {
        return false;
      }
    };
    return [...this.rings].flatMap(([name, ring]) => [...ring.lines(name)].filter(about)).sort((a, b) => a.seq - b.seq);
  }

  /** Calls `send` with each new line of `functionName` until the returned function is called. */
  follow(functionName: string, send: (line: LogLine) => void): () => void {
    const follower = { functionName, send };
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }
}
