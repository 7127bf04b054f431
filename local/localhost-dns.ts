/**
 * Resolves every `*.localhost` name to 127.0.0.1 in this process, as browsers do (RFC 6761). The
 * SQS emulator hands out AWS-style queue URLs (http://sqs.<region>.localhost:<port>/...), and the
 * SDK sends to a queue URL's host, so handlers need this to reach it without code changes.
 */
import dns = require("dns");

const original = dns.lookup;
let installed = false;

export function resolveLocalhostSubdomains(): void {
  if (installed) return;
  installed = true;
  (dns as any).lookup = function lookup(hostname: string, options: any, callback?: any) {
    const cb = typeof options === "function" ? options : callback;
    const opts = typeof options === "object" && options !== null ? options : {};
    if (typeof hostname === "string" && hostname.endsWith(".localhost")) {
      if (opts.all) return process.nextTick(() => cb(null, [{ address: "127.0.0.1", family: 4 }]));
      return process.nextTick(() => cb(null, "127.0.0.1", 4));
    }
    return (original as any).call(dns, hostname, options, callback);
  };
}
