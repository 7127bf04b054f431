/**
 * A request handed to an in-process HTTP handler (fauxqs's, dynalite's) after its body was read already:
 * a stand-in IncomingMessage with the request's method, URL and headers that replays the body.
 */
import type * as http from "http";
import type { Socket } from "net";
import { PassThrough } from "stream";

export interface RequestHead {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  /** @default [] */
  rawHeaders?: string[];
  /** @default "1.1" */
  httpVersion?: string;
}

export function replayed(head: RequestHead, body: Buffer, socket: Socket | null): http.IncomingMessage {
  const httpVersion = head.httpVersion ?? "1.1";
  const [major, minor] = httpVersion.split(".").map(Number);
  const stand = Object.assign(new PassThrough(), {
    method: head.method,
    url: head.url,
    headers: head.headers,
    rawHeaders: head.rawHeaders ?? [],
    httpVersion,
    httpVersionMajor: major,
    httpVersionMinor: minor,
    socket,
    connection: socket,
  });
  stand.end(body);
  return stand as unknown as http.IncomingMessage;
}
