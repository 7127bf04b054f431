/**
 * SQS's `AWSTraceHeader`, which fauxqs does not keep. In AWS a SendMessage (or SendMessageBatch) request's
 * `X-Amzn-Trace-Id` header becomes the message's `AWSTraceHeader` system attribute, and an explicit
 * `MessageSystemAttributes.AWSTraceHeader` wins over the header ("Amazon SQS and AWS X-Ray", X-Ray
 * Developer Guide). The AWS SDK adds that header by itself inside a Lambda function: its recursion
 * detection middleware copies `_X_AMZN_TRACE_ID` when `AWS_LAMBDA_FUNCTION_NAME` is set
 * (@aws-sdk/core, middleware-recursion-detection). So a function that sends a message passes its trace
 * on with no code of its own, and the receiver (an event source mapping's record) reads it back.
 *
 * Locally this wraps fauxqs's request handler: it reads the trace each sent message should carry, learns
 * the message id from fauxqs's answer, and adds `Attributes.AWSTraceHeader` to ReceiveMessage answers that
 * ask for it (`MessageSystemAttributeNames` or `AttributeNames` naming it or `All`). Only SQS's JSON
 * protocol (every current SDK) is read; the older query protocol passes through untouched.
 *
 * A ReceiveMessage answer also carries a message's own attributes only when `MessageAttributeNames` asks
 * for some (names, `prefix.*`, `All` or `.*`), as SQS answers (API reference, ReceiveMessage); fauxqs
 * gives them all when none is asked for, and a consumer that forgot to ask would work here and lose them
 * in AWS.
 */
import type * as http from "http";
import { replayed } from "./replay";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Messages whose trace is remembered; the oldest are forgotten first, as a queue's retention would. */
const KEEP = 50_000;

export class SqsTraceHeaders {
  private readonly traces = new Map<string, string>();

  /** The trace header a message was sent with, if it had one and is still remembered (--persist saves it). */
  traceOf(messageId: unknown): string | undefined {
    return typeof messageId === "string" ? this.traces.get(messageId) : undefined;
  }

  /** fauxqs's handler, with SQS's trace header kept per message. */
  wrap(handler: Handler): Handler {
    return (req, res) => {
      const operation = /^AmazonSQS\.(SendMessage|SendMessageBatch|ReceiveMessage)$/.exec(String(req.headers["x-amz-target"] ?? ""))?.[1];
      if (!operation) return handler(req, res);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const input = parseJson(body.toString("utf8"));
        const header = req.headers["x-amzn-trace-id"];
        const rewrite = (answer: unknown): unknown => {
          if (operation === "ReceiveMessage") return this.addToReceived(input, answer);
          this.remember(operation, input, typeof header === "string" ? header : undefined, answer);
          return answer;
        };
        handler(replayed(req, body, req.socket), answerThrough(res, rewrite));
      });
    };
  }

  private remember(operation: string, input: any, header: string | undefined, answer: any): void {
    const explicit = (entry: any): string | undefined => {
      const value = entry?.MessageSystemAttributes?.AWSTraceHeader?.StringValue;
      return typeof value === "string" ? value : undefined;
    };
    const keep = (messageId: unknown, trace: string | undefined) => {
      if (typeof messageId !== "string" || !trace) return;
      this.traces.set(messageId, trace);
      if (this.traces.size > KEEP) this.traces.delete(this.traces.keys().next().value!);
    };
    if (operation === "SendMessage") return keep(answer?.MessageId, explicit(input) ?? header);
    const entries = new Map<string, any>((Array.isArray(input?.Entries) ? input.Entries : []).map((e: any) => [e?.Id, e]));
    for (const sent of Array.isArray(answer?.Successful) ? answer.Successful : [])
      keep(sent?.MessageId, explicit(entries.get(sent?.Id)) ?? header);
  }

  private addToReceived(input: any, answer: any): unknown {
    const messages: any[] = Array.isArray(answer?.Messages) ? answer.Messages : [];
    // Asked for none of its own attributes: SQS sends none, nor their digest.
    if (asList(input?.MessageAttributeNames).length === 0)
      for (const message of messages) {
        delete message?.MessageAttributes;
        delete message?.MD5OfMessageAttributes;
      }
    const asked = [...asList(input?.MessageSystemAttributeNames), ...asList(input?.AttributeNames)];
    if (!asked.includes("All") && !asked.includes("AWSTraceHeader")) return answer;
    for (const message of messages) {
      const trace = this.traces.get(message?.MessageId);
      if (trace) message.Attributes = { ...message.Attributes, AWSTraceHeader: trace };
    }
    return answer;
  }
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The response, held until the handler ends it: a successful JSON answer goes through `rewrite` and is
 * written with its length corrected; any other answer is written as it came. The handler's calls are
 * caught on the response itself (its own writeHead, write and end shadow the prototype's until the end),
 * so its headers, events and state stay the real response's.
 */
function answerThrough(res: http.ServerResponse, rewrite: (answer: unknown) => unknown): http.ServerResponse {
  const chunks: Buffer[] = [];
  let status: number | undefined;
  let headers: http.OutgoingHttpHeaders = {};
  const toBuffer = (chunk: unknown) => (typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  const caught = res as unknown as Record<string, unknown>;
  caught.writeHead = (code: number, ...rest: unknown[]) => {
    status = code;
    const given = rest.find((r) => typeof r === "object" && r !== null);
    if (given && !Array.isArray(given)) headers = { ...headers, ...(given as http.OutgoingHttpHeaders) };
    return res;
  };
  caught.write = (chunk: unknown) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function") chunks.push(toBuffer(chunk));
    return true;
  };
  caught.end = (chunk?: unknown) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function") chunks.push(toBuffer(chunk));
    delete caught.writeHead;
    delete caught.write;
    delete caught.end;
    let body = Buffer.concat(chunks);
    const code = status ?? res.statusCode;
    const answer = code < 300 ? parseJson(body.toString("utf8")) : undefined;
    if (answer !== undefined) body = Buffer.from(JSON.stringify(rewrite(answer)));
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value);
    res.setHeader("content-length", body.length);
    res.writeHead(code);
    res.end(body);
    return res;
  };
  return res;
}
