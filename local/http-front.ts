/**
 * The local gateways' front door (an HTTP API's port, a function URL's): a lean HTTP/1.1 server for the requests a gateway sees most (a
 * well-formed head, and a body sent whole with Content-Length or none), and node:http for every other.
 *
 * Why not node:http alone: on the gateway's path node:http's own JavaScript (a Readable IncomingMessage
 * and a Writable ServerResponse per request, their events and header bookkeeping) was about a quarter of
 * the main thread, and the main thread is what limits the local cloud's throughput (docs/local-cloud.md,
 * "Throughput"). This front reads a request's head from the socket's bytes and writes the answer as one
 * string, as node:http writes it.
 *
 * Why it is safe: it accepts only a strict subset of HTTP/1.1 (RFC 9112), which node:http accepts alike
 * and reads the same way, and hands the connection to node:http, whose parser is llhttp, at the first
 * request outside that subset: another HTTP version, a method it does not list, a request target that
 * is not origin-form, a byte outside printable ASCII in the head, a header name that is no token, a
 * header given twice, Transfer-Encoding, Expect, Upgrade, no Host, a Content-Length that is not digits
 * or over 1 MiB, or a head over 8 KiB. node:http then answers it and the rest of the connection,
 * errors (400, 431) included. tests/local/http-front.test.ts holds the two servers to the same reading
 * of each request and the same answer bytes.
 */
import * as http from "http";
import * as net from "net";

/** What the gateway reads of a request: node:http's IncomingMessage has the same fields. */
export interface FrontRequest {
  /** Always set on the requests a server receives (node:http types them as optional). */
  method?: string;
  url?: string;
  httpVersion: string;
  /** Lowercased names; each header once (the front hands repeated headers to node:http). */
  headers: http.IncomingHttpHeaders;
  /** Names as sent, values without surrounding whitespace: [name, value, name, value, ...]. */
  rawHeaders: string[];
  socket: { remoteAddress?: string; localPort?: number };
}

/** How the gateway answers: node:http's ServerResponse has the same two calls. */
export interface FrontResponse {
  /** The status and the headers, flat: [name, value, name, value, ...]. */
  writeHead(status: number, headers: string[]): FrontResponse;
  end(body: string | Buffer): unknown;
}

/** Serves one request, its body read whole (empty without one). */
export type FrontHandler = (req: FrontRequest, res: FrontResponse, body: Buffer) => void;

/** A server with the front's connections and the ones it handed to node:http to close at once. */
export type FrontServer = net.Server & { closeAllConnections(): void };

/** Larger heads go to node:http: half its default limit (--max-http-header-size, 16 KiB), so it decides every head near that. */
const MAX_HEAD_BYTES = 8 * 1024;
/** Larger bodies go to node:http, which streams them. */
const MAX_FRONT_BODY_BYTES = 1024 * 1024;
/** Bytes read ahead of a request that is being answered before the connection stops reading, until the answer is out. */
const MAX_READ_AHEAD_BYTES = 64 * 1024;
/** node:http's keepAliveTimeout as the gateway sets it: an idle connection is closed after it. */
export const KEEP_ALIVE_MS = 60_000;

const REQUEST_LINE = /^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
/** A header field name: a token (RFC 9110, section 5.1). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything in a head but printable ASCII, space, tab and the CRLFs between lines. */
const OUTSIDE_SUBSET = /[^\t\r\n\x20-\x7e]/;
/** What sends a request to node:http, by (lowercased) name. */
const HANDED_OFF = new Set(["transfer-encoding", "expect", "upgrade", "http2-settings"]);
const EMPTY = Buffer.alloc(0);

/**
 * A server on which `handle` serves the requests the front reads, and `fallback` (a node:http server
 * that is never listened on) each connection from the first request the front does not read.
 */
export function createFront(
  handle: FrontHandler,
  fallback: http.Server,
  /** How long a connection may stay idle between requests before it is closed. @default KEEP_ALIVE_MS, as `fallback`'s keepAliveTimeout */
  keepAliveMs = KEEP_ALIVE_MS,
): FrontServer {
  fallback.keepAliveTimeout = keepAliveMs;
  const sockets = new Set<net.Socket>();
  // Half-open, as node:http's own server is, which the connections it is handed rely on.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
    // Kept after a hand-off too: node:http tracks connections only on a server that listens itself.
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serveConnection(socket, handle, keepAliveMs, () => fallback.emit("connection", socket));
  });
  return Object.assign(server, {
    closeAllConnections(): void {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  });
}

/**
 * A gateway's server: the front, and node:http for the rest. `handle` gets each request with its body
 * read whole: `size` bytes, of which only the first `maxBodyBytes` are kept (the gateway answers 413 past
 * its limit).
 */
export function gatewayServer(
  handle: (req: FrontRequest, res: FrontResponse, body: Buffer, size: number) => void,
  maxBodyBytes: number,
): FrontServer {
  const fallback = http.createServer((req, res) => {
    // A request with neither Content-Length nor Transfer-Encoding has no body (RFC 9112, section 6.3), and
    // node:http reads none: it is served at once, not after the stream's 'end' event a turn later.
    if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) {
      req.resume();
      return handle(req, res, EMPTY, 0);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on("end", () => handle(req, res, Buffer.concat(chunks), size));
  });
  return createFront((req, res, body) => handle(req, res, body, body.length), fallback);
}

/** One connection: requests read and answered in turn (a pipelined one waits for the answer before it). */
function serveConnection(socket: net.Socket, handle: FrontHandler, keepAliveMs: number, handOff: () => void): void {
  /** Bytes read and not yet served. */
  let buffered: Buffer = EMPTY;
  /** A request of this connection is being answered. */
  let busy = false;
  /** In `next`'s loop: an answer written at once lets the loop go on, where a nested call would grow the stack per request. */
  let reading = false;

  const onData = (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    // A client that pipelines without end behind a request still being answered waits, as TCP makes it wait.
    if (busy && buffered.length > MAX_READ_AHEAD_BYTES) socket.pause();
    next();
  };
  // A client that ends its side gets no more answers, the one it waits for included, as from node:http.
  const onEnd = () => {
    buffered = EMPTY;
    socket.end();
  };
  const onTimeout = () => {
    if (!busy) socket.destroy();
  };
  socket.on("data", onData);
  socket.on("end", onEnd);
  // net destroys a socket on its error (a reset, say); without a listener the error would be thrown.
  socket.on("error", () => undefined);
  socket.setTimeout(keepAliveMs, onTimeout);

  /** Gives node:http this connection, with the bytes not yet served. */
  const toNodeHttp = () => {
    socket.off("data", onData);
    socket.off("end", onEnd);
    socket.off("timeout", onTimeout);
    socket.setTimeout(0);
    const rest = buffered;
    buffered = EMPTY;
    handOff();
    socket.emit("data", rest);
  };

  const written = (close: boolean) => {
    busy = false;
    if (close) {
      buffered = EMPTY;
      socket.end();
      return;
    }
    socket.resume();
    if (!reading) next();
  };

  /** Reads and serves the requests in the buffer, one at a time, while they are whole. */
  const next = () => {
    reading = true;
    try {
      while (buffered.length && !busy && !socket.destroyed) {
        const headEnd = buffered.indexOf("\r\n\r\n");
        if (headEnd < 0) {
          if (buffered.length > MAX_HEAD_BYTES) toNodeHttp();
          return;
        }
        if (headEnd > MAX_HEAD_BYTES) return toNodeHttp();
        const request = readHead(buffered.toString("latin1", 0, headEnd), socket);
        if (!request) return toNodeHttp();
        const length = request.headers["content-length"] === undefined ? 0 : Number(request.headers["content-length"]);
        if (length > MAX_FRONT_BODY_BYTES) return toNodeHttp();
        const end = headEnd + 4 + length;
        if (buffered.length < end) return;
        const closeAsked = hasToken(request.headers.connection, "close");
        // Bytes after a request that closes the connection are an error node:http answers (400) in its place.
        if (closeAsked && buffered.length > end) return toNodeHttp();
        const body = length ? buffered.subarray(end - length, end) : EMPTY;
        buffered = buffered.subarray(end);
        busy = true;
        handle(request, new Answer(socket, request.method === "HEAD", closeAsked, keepAliveMs, written), body);
      }
    } finally {
      reading = false;
    }
  };
}

/** The request a head describes, or undefined when it is outside what the front reads. */
function readHead(head: string, socket: net.Socket): FrontRequest | undefined {
  if (OUTSIDE_SUBSET.test(head)) return undefined;
  const lines = head.split("\r\n");
  const requestLine = REQUEST_LINE.exec(lines[0]);
  if (!requestLine) return undefined;
  const headers: http.IncomingHttpHeaders = {};
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    // A bare CR or LF inside a line, a line without a name: node:http's reading decides.
    if (colon <= 0 || line.includes("\r") || line.includes("\n")) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const key = name.toLowerCase();
    if (key in headers || HANDED_OFF.has(key)) return undefined;
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (key === "content-length" && !/^\d{1,7}$/.test(value)) return undefined;
    // node:http gives set-cookie as a list, even once.
    if (key === "set-cookie") headers[key] = [value];
    else headers[key] = value;
    rawHeaders.push(name, value);
  }
  if (headers.host === undefined) return undefined;
  return { method: requestLine[1], url: requestLine[2], httpVersion: "1.1", headers, rawHeaders, socket };
}

/** Whether a comma-separated header value lists `token` (case-insensitive), as Connection's options. */
function hasToken(value: string | string[] | undefined, token: string): boolean {
  if (typeof value !== "string") return false;
  return value.split(",").some((part) => part.trim().toLowerCase() === token);
}

let dateCache = { second: -1, text: "" };

/** The Date header's value, formatted once a second as node:http does. */
function utcDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateCache.second) dateCache = { second, text: new Date(now).toUTCString() };
  return dateCache.text;
}

/**
 * One answer, written as node:http writes `writeHead(status, headers)` and `end(body)` on a keep-alive
 * connection: the status line, the headers as given (validated as node:http validates them), a Date unless
 * given, Connection and Keep-Alive, and a text body in the same write as the head.
 */
class Answer implements FrontResponse {
  private head = "";
  /** No body goes out: a HEAD request's answer, or a status that has none (1xx, 204, 304). */
  private bodiless: boolean;
  private close: boolean;
  private done = false;

  constructor(
    private readonly socket: net.Socket,
    headRequest: boolean,
    /** The request asked for the connection to close after this answer. */
    closeAsked: boolean,
    private readonly keepAliveMs: number,
    private readonly written: (close: boolean) => void,
  ) {
    this.bodiless = headRequest;
    this.close = closeAsked;
  }

  writeHead(status: number, headers: string[]): this {
    let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "unknown"}\r\n`;
    if (status === 204 || status === 304 || status < 200) this.bodiless = true;
    let date = false;
    let connection = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      // The checks node:http's writeHead makes, with its errors (ERR_INVALID_HTTP_TOKEN, ERR_INVALID_CHAR).
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
      const key = name.length === 4 || name.length === 10 ? name.toLowerCase() : "";
      if (key === "date") date = true;
      else if (key === "connection") {
        // A Connection header given is written as given, and decides whether the connection stays open.
        connection = true;
        this.close = hasToken(value, "close");
      }
      head += `${name}: ${value}\r\n`;
    }
    if (!date) head += `Date: ${utcDate()}\r\n`;
    if (!connection)
      head += this.close
        ? "Connection: close\r\n"
        : `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.keepAliveMs / 1000)}\r\n`;
    this.head = head + "\r\n";
    return this;
  }

  end(body: string | Buffer): void {
    if (this.done) return;
    this.done = true;
    if (this.socket.writable) {
      // node:http writes no body for HEAD and sends a text body in the head's write, encoded as UTF-8.
      if (this.bodiless || body.length === 0) this.socket.write(this.head, "latin1");
      else if (typeof body === "string") this.socket.write(this.head + body);
      else {
        this.socket.cork();
        this.socket.write(this.head, "latin1");
        this.socket.write(body);
        this.socket.uncork();
      }
    }
    this.written(this.close);
  }
}
