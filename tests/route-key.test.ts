/** HTTP API route keys, accepted and refused as API Gateway's CreateRoute accepts and refuses them (policy/route-key.ts). */
import { expect } from "chai";
import { ROUTE_METHODS, routeKeyProblem } from "../policy/route-key";

const PARTS_RULE = "each part is text of letters, digits and . : _ - or a whole {variable} (^(\\{[\\w.:-]+\\+?\\}|[a-zA-Z0-9.:_-]+)$)";

describe("HTTP API route keys", () => {
  it("accepts $default, the root, literals, variables and a greedy variable last, for every method", () => {
    for (const method of ROUTE_METHODS) expect(routeKeyProblem(`${method} /`), method).to.equal(undefined);
    for (const key of [
      "$default",
      "GET /orders",
      "GET /orders/{orderId}",
      "ANY /{proxy+}",
      "GET /files/{key+}",
      "POST /a/{x}/c/{y}",
      "GET /v1.2/a_b-c:d",
      "GET /{a.b:c-d_e}",
    ])
      expect(routeKeyProblem(key), key).to.equal(undefined);
    expect(ROUTE_METHODS).to.deep.equal(["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);
  });

  it("refuses a key that is not a method, one space and a path starting with /", () => {
    const shape = (key: string) =>
      `route key "${key}" is not "<METHOD> /<path>" (METHOD one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS) or "$default"`;
    for (const key of ["get /x", "GET x", "FETCH /x", " GET /x", "$default2", "x$default", "GET", "GET  /x", "/x", ""])
      expect(routeKeyProblem(key), key).to.equal(shape(key));
  });

  it("refuses a trailing or doubled /, naming the empty part, as API Gateway refuses GET /users/", () => {
    const empty = (key: string) =>
      `route key "${key}" has path parts API Gateway refuses: an empty part (a trailing or doubled /); ${PARTS_RULE}`;
    expect(routeKeyProblem("GET /users/")).to.equal(empty("GET /users/"));
    expect(routeKeyProblem("GET /a//b")).to.equal(empty("GET /a//b"));
    expect(routeKeyProblem("GET //")).to.equal(
      `route key "GET //" has path parts API Gateway refuses: an empty part (a trailing or doubled /), an empty part (a trailing or doubled /); ${PARTS_RULE}`,
    );
  });

  it("refuses a part that mixes a variable with text, or holds what no part may, naming each such part", () => {
    expect(routeKeyProblem("DELETE /{eventId}.json")).to.equal(
      `route key "DELETE /{eventId}.json" has path parts API Gateway refuses: "{eventId}.json"; ${PARTS_RULE}`,
    );
    expect(routeKeyProblem("GET /a b/c%20d/{}/{x+}+")).to.equal(
      `route key "GET /a b/c%20d/{}/{x+}+" has path parts API Gateway refuses: "a b", "c%20d", "{}", "{x+}+"; ${PARTS_RULE}`,
    );
    for (const key of ["GET /x?y", "GET /{x y}", "GET /{x}}", "GET /x*"])
      expect(routeKeyProblem(key), key).to.match(/has path parts API Gateway refuses/);
  });

  it("refuses a greedy variable anywhere but last", () => {
    for (const key of ["GET /{proxy+}/x", "ANY /a/{p+}/{q}"])
      expect(routeKeyProblem(key), key).to.equal(
        `route key "${key}" has a greedy variable before its last part: {name+} can only end the path`,
      );
  });

  it("refuses a variable named twice, greedy or not, and accepts names that differ only there", () => {
    expect(routeKeyProblem("GET /{id}/x/{id}")).to.equal('route key "GET /{id}/x/{id}" names the path variable {id} more than once');
    expect(routeKeyProblem("GET /{id}/{id+}")).to.equal('route key "GET /{id}/{id+}" names the path variable {id} more than once');
    expect(routeKeyProblem("GET /{id}/{ids}")).to.equal(undefined);
    // A literal part may repeat, and may share a variable's name.
    for (const key of ["GET /v1/items/v1", "GET /{id}/id", "GET /a.b/{a.b+}"]) expect(routeKeyProblem(key), key).to.equal(undefined);
    expect(routeKeyProblem("GET /{a}/{b}/{a}/{b+}")).to.equal(
      'route key "GET /{a}/{b}/{a}/{b+}" names the path variable {a}, {b} more than once',
    );
  });
});
