/**
 * The two messages of every invocation, between the local cloud and a container, as single strings.
 * A string crosses a MessagePort as one block of bytes; an object is cloned property by property by
 * V8's serializer on the way out and rebuilt by its deserializer on the way in, which on this path cost
 * about a tenth of the main thread's time per request (measured against a worker round trip that passes
 * strings; see docs/local-cloud.md, "Throughput"). Errors and the container's other messages (ready,
 * init errors, output outside an invocation) are rare and stay objects.
 *
 * An invocation is `requestId \n deadline \n traceId \n profile \n event`: the first four fields never hold
 * a newline (a UUID, a number, an X-Ray header this process built, a flag), and the event is the rest.
 * A result is `requestId \n timing \n logs length \n logs payload`: the handler's output may hold any
 * character, so its length says where the payload starts.
 */

/** One invocation, as the container needs it. */
export interface Invocation {
  requestId: string;
  /** The event as JSON. */
  event: string;
  /** When the invocation times out (ms since the epoch): the context's getRemainingTimeInMillis. */
  deadline: number;
  /** The invocation's X-Ray trace header, which Lambda's runtime puts in `_X_AMZN_TRACE_ID` for the handler. */
  traceId?: string;
  /** Time the invocation's phases (npm start -- --profile). */
  profile?: boolean;
}

/** With `profile`: when the container got the invocation, and when the handler started and ended (ms since the epoch). */
export type ContainerTiming = [received: number, start: number, end: number];

/** A successful invocation's answer. */
export interface InvocationResult {
  requestId: string;
  /** The handler's result as JSON. */
  payload: string;
  /** What the handler wrote to stdout and stderr during the invocation. */
  logs: string;
  timing?: ContainerTiming;
}

export function encodeInvocation(invocation: Invocation): string {
  return `${invocation.requestId}\n${invocation.deadline}\n${invocation.traceId ?? ""}\n${invocation.profile ? "1" : ""}\n${invocation.event}`;
}

export function decodeInvocation(message: string): Invocation {
  const a = message.indexOf("\n");
  const b = message.indexOf("\n", a + 1);
  const c = message.indexOf("\n", b + 1);
  const d = message.indexOf("\n", c + 1);
  if (a < 0 || b < 0 || c < 0 || d < 0) throw new Error(`not an invocation: ${JSON.stringify(message.slice(0, 80))}`);
  const invocation: Invocation = { requestId: message.slice(0, a), deadline: Number(message.slice(a + 1, b)), event: message.slice(d + 1) };
  if (c > b + 1) invocation.traceId = message.slice(b + 1, c);
  if (d > c + 1) invocation.profile = true;
  return invocation;
}

export function encodeResult(result: InvocationResult): string {
  const timing = result.timing ? result.timing.join(",") : "";
  return `${result.requestId}\n${timing}\n${result.logs.length}\n${result.logs}${result.payload}`;
}

export function decodeResult(message: string): InvocationResult {
  const a = message.indexOf("\n");
  const b = message.indexOf("\n", a + 1);
  const c = message.indexOf("\n", b + 1);
  const logsLength = Number(message.slice(b + 1, c));
  if (a < 0 || b < 0 || c < 0 || !Number.isInteger(logsLength) || logsLength < 0 || c + 1 + logsLength > message.length)
    throw new Error(`not an invocation result: ${JSON.stringify(message.slice(0, 80))}`);
  const logsEnd = c + 1 + logsLength;
  const result: InvocationResult = {
    requestId: message.slice(0, a),
    logs: logsLength ? message.slice(c + 1, logsEnd) : "",
    payload: message.slice(logsEnd),
  };
  if (b > a + 1)
    result.timing = message
      .slice(a + 1, b)
      .split(",")
      .map(Number) as ContainerTiming;
  return result;
}
