/**
 * The local cloud's log stream: every function's recent log lines, kept in memory (a bounded ring per
 * function), readable and followable over the Lambda API's control route, as CloudWatch Logs is in AWS.
 */
export interface LogLine {
  timestamp: number;
  functionName: string;
  message: string;
  /** The order lines arrived in, across functions. */
  seq: number;
}

/** Lines kept per function; older ones drop off, as retention would drop them. */
const KEEP = 5000;

export class LogStore {
  private readonly lines = new Map<string, LogLine[]>();
  private readonly followers = new Set<{ functionName: string; send(line: LogLine): void }>();
  private seq = 0;

  append(functionName: string, message: string): void {
    const line = { timestamp: Date.now(), functionName, message, seq: this.seq++ };
    const list = this.lines.get(functionName) ?? [];
    list.push(line);
    // Trimmed in chunks: dropping one line per append would move thousands of entries every request.
    if (list.length > KEEP + KEEP / 5) list.splice(0, list.length - KEEP);
    this.lines.set(functionName, list);
    for (const follower of this.followers) if (follower.functionName === functionName) follower.send(line);
  }

  since(functionName: string, timestamp: number): LogLine[] {
    return (this.lines.get(functionName) ?? []).filter((l) => l.timestamp >= timestamp);
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
    return [...this.lines.values()].flatMap((lines) => lines.filter(about)).sort((a, b) => a.seq - b.seq);
  }

  /** Calls `send` with each new line of `functionName` until the returned function is called. */
  follow(functionName: string, send: (line: LogLine) => void): () => void {
    const follower = { functionName, send };
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }
}
