/**
 * HTTP API route keys, read as API Gateway's CreateRoute reads them ("Create routes for HTTP APIs in API
 * Gateway", API Gateway Developer Guide): one grammar for the HttpApi component, the policy pack and the local
 * cloud, so a key passes here exactly when AWS would accept it, and `pulumi preview` refuses what `pulumi up`
 * would fail on.
 *
 * - `$default`, or an HTTP method (ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS), one space and a path.
 * - The path is `/`, or `/` and parts joined by `/`. API Gateway checks every part against
 *   `^(\{[\w.:-]+\+?\}|[a-zA-Z0-9.:_-]+)$` and answers "One or more path parts appear to be invalid": so a
 *   trailing `/` (`GET /users/`) or a doubled one leaves an empty part and is refused, and a part cannot mix a
 *   variable with text (`{id}.json`). AWS's .NET Lambda test tool validates with this expression; the
 *   failures seen in deploys (serverless/serverless#10423 for `{eventId}.json`, a trailing `/` refused as
 *   an invalid route) agree with it, and AWS CDK's HttpRouteKey refuses a trailing `/` alike.
 * - A greedy variable (`{proxy+}`) must be the path's last part, and a variable's name appears once.
 */

export const ROUTE_METHODS = ["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

/** The expression API Gateway checks each path part against. */
export const ROUTE_PATH_PART = /^(\{[\w.:-]+\+?\}|[a-zA-Z0-9.:_-]+)$/;

/** Why API Gateway would refuse this route key, or undefined when it accepts it. */
export function routeKeyProblem(routeKey: string): string | undefined {
  if (routeKey === "$default") return undefined;
  const space = routeKey.indexOf(" ");
  const method = routeKey.slice(0, space);
  const path = routeKey.slice(space + 1);
  // Without a space, `method` is the key less its last character, and no method is.
  if (!(ROUTE_METHODS as readonly string[]).includes(method) || !path.startsWith("/"))
    return `route key "${routeKey}" is not "<METHOD> /<path>" (METHOD one of ${ROUTE_METHODS.join(", ")}) or "$default"`;
  if (path === "/") return undefined;
  const parts = path.slice(1).split("/");
  const bad = parts.filter((part) => !ROUTE_PATH_PART.test(part));
  if (bad.length > 0) {
    const named = bad.map((part) => (part === "" ? "an empty part (a trailing or doubled /)" : `"${part}"`));
    return `route key "${routeKey}" has path parts API Gateway refuses: ${named.join(", ")}; each part is text of letters, digits and . : _ - or a whole {variable} (${ROUTE_PATH_PART.source})`;
  }
  // Every part passed ROUTE_PATH_PART, so a variable's braces and + are the only ones it holds.
  const names = parts.filter((part) => part.startsWith("{")).map((part) => part.replace(/[{+}]/g, ""));
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0) return `route key "${routeKey}" names the path variable ${twice.map((n) => `{${n}}`).join(", ")} more than once`;
  if (parts.slice(0, -1).some((part) => part.endsWith("+}")))
    return `route key "${routeKey}" has a greedy variable before its last part: {name+} can only end the path`;
  return undefined;
}
