/**
 * HTTP API Lambda authorizers, locally (local/authorizer.ts, local/http-api.ts), against "Working with
 * AWS Lambda authorizers for HTTP APIs" (API Gateway Developer Guide): the pure parts, then a fixture
 * program of raw aws resources whose routes are guarded.
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import * as path from "path";
import { exportJWK, generateKeyPair, JWTPayload, SignJWT } from "jose";
import { expect } from "chai";
import { AuthorizerCache, authorizerEvent, authorizerEventV1, decisionOf, identityOf, verdictFor } from "../../local/authorizer";
import { LocalCloud, startLocalCloud } from "../../local/cloud";
import { AlarmBoard } from "../../local/alarms";
import { Reporter } from "../../local/console";
import { startApiServer } from "../../local/http-api";
import type { LambdaService } from "../../local/lambda/service";
import { accessKeyId } from "../../local/iam/authority";
import type { LocalAuthorizer, LocalRoute } from "../../local/model";

const ROUTE_ARN = "arn:aws:execute-api:us-east-1:123456789012:api1/$default/GET/orders/7";

describe("local cloud: HTTP API Lambda authorizers", () => {
  describe("identity sources", () => {
    const inputs = {
      headers: { authorization: "letmein", "x-team": "" },
      query: { token: "good" },
      stageVariables: { tier: "gold" },
      context: { routeKey: "GET /orders/{id}" },
    };

    it("reads headers whatever their case, query values, context and stage variables, in order", () => {
      expect(
        identityOf(["$request.header.Authorization", "$request.querystring.token", "$context.routeKey", "$stageVariables.tier"], inputs),
      ).to.deep.equal(["letmein", "good", "GET /orders/{id}", "gold"]);
      expect(identityOf([], inputs)).to.deep.equal([]);
    });

    it("is missing when any one is absent or empty, or not a selection expression it knows", () => {
      expect(identityOf(["$request.header.Authorization", "$request.header.X-Api-Key"], inputs)).to.equal(undefined);
      expect(identityOf(["$request.header.X-Team"], inputs)).to.equal(undefined);
      // Query string names are case-sensitive.
      expect(identityOf(["$request.querystring.Token"], inputs)).to.equal(undefined);
      expect(identityOf(["$request.querystring.token"], { ...inputs, query: undefined })).to.equal(undefined);
      expect(identityOf(["$request.body.token"], inputs)).to.equal(undefined);
      expect(identityOf(["x$request.header.Authorization"], inputs)).to.equal(undefined);
    });
  });

  it("sends the route's 2.0 event without its body, as a REQUEST for the route's ARN, with the identity sources' values", () => {
    const event = authorizerEvent(
      { version: "2.0", routeKey: "GET /orders/{id}", rawPath: "/orders/7", headers: { a: "b" }, body: "secret", isBase64Encoded: false },
      ROUTE_ARN,
      ["letmein"],
    );
    expect(event).to.deep.equal({
      version: "2.0",
      type: "REQUEST",
      routeArn: ROUTE_ARN,
      identitySource: ["letmein"],
      routeKey: "GET /orders/{id}",
      rawPath: "/orders/7",
      headers: { a: "b" },
    });
  });

  it("sends a 1.0 authorizer REST's REQUEST event: the route's path as resource ($default for the default route), nulls for what is absent", () => {
    const event = (routeKey: string, extra: Record<string, unknown> = {}) => ({
      version: "2.0",
      routeKey,
      rawPath: "/orders/7",
      rawQueryString: "a=1",
      headers: { authorization: "letmein" },
      requestContext: {
        accountId: "123456789012",
        apiId: "api1",
        http: { method: "POST", path: "/orders/7", protocol: "HTTP/1.1", sourceIp: "10.0.0.1", userAgent: "ua" },
        requestId: "r1",
        routeKey,
        stage: "$default",
      },
      body: "secret",
      isBase64Encoded: false,
      ...extra,
    });
    const routed = authorizerEventV1(
      event("POST /orders/{id}", { queryStringParameters: { a: "1" }, pathParameters: { id: "7" }, stageVariables: { tier: "gold" } }),
      ROUTE_ARN,
      ["letmein", "gold"],
    );
    expect(routed).to.deep.equal({
      version: "1.0",
      type: "REQUEST",
      methodArn: ROUTE_ARN,
      identitySource: "letmein,gold",
      authorizationToken: "letmein,gold",
      resource: "/orders/{id}",
      path: "/orders/7",
      httpMethod: "POST",
      headers: { authorization: "letmein" },
      queryStringParameters: { a: "1" },
      pathParameters: { id: "7" },
      stageVariables: { tier: "gold" },
      requestContext: {
        path: "/orders/7",
        accountId: "123456789012",
        stage: "$default",
        requestId: "r1",
        identity: { sourceIp: "10.0.0.1", userAgent: "ua" },
        resourcePath: "/orders/{id}",
        httpMethod: "POST",
        apiId: "api1",
      },
    });
    const fallback = authorizerEventV1(event("$default"), ROUTE_ARN, []);
    expect(fallback).to.deep.include({
      resource: "$default",
      identitySource: "",
      queryStringParameters: null,
      pathParameters: {},
      stageVariables: null,
    });
    expect((fallback.requestContext as Record<string, unknown>).resourcePath).to.equal("$default");
  });

  describe("the function's answer", () => {
    it("takes a simple response only when simple responses are on, with its context", () => {
      const allowed = decisionOf({ isAuthorized: true, context: { user: "ann" } }, true)!;
      expect(verdictFor(allowed, ROUTE_ARN)).to.deep.equal({ allowed: true, context: { user: "ann" } });
      expect(verdictFor(decisionOf({ isAuthorized: false }, true)!, ROUTE_ARN)).to.deep.include({ allowed: false, status: 403 });
      expect(decisionOf({ isAuthorized: true }, false)).to.equal(undefined);
      expect(decisionOf({ isAuthorized: "yes" }, true)).to.equal(undefined);
      for (const shape of [null, "ok", [true], 7]) expect(decisionOf(shape, true), JSON.stringify(shape)).to.equal(undefined);
      expect(verdictFor(decisionOf({ isAuthorized: false }, true)!, ROUTE_ARN)).to.deep.include({ why: "isAuthorized is false" });
      // A context that is not an object is none.
      for (const context of ["ann", ["ann"], 7])
        expect(decisionOf({ isAuthorized: true, context }, true)).to.deep.include({ context: undefined });
    });

    const policy = (...statements: object[]) =>
      decisionOf({ principalId: "p", policyDocument: { Version: "2012-10-17", Statement: statements } }, false)!;

    it("evaluates an IAM policy for the route: an Allow on it (wildcards too), an explicit Deny over any Allow", () => {
      const allow = {
        Effect: "Allow",
        Action: "execute-api:Invoke",
        Resource: "arn:aws:execute-api:us-east-1:123456789012:api1/*/GET/orders/*",
      };
      expect(verdictFor(policy(allow), ROUTE_ARN)).to.deep.equal({ allowed: true, context: undefined });
      expect(verdictFor(policy({ ...allow, Action: ["execute-api:*"] }), ROUTE_ARN).allowed).to.equal(true);
      expect(verdictFor(policy({ ...allow, Resource: ROUTE_ARN.replace("/7", "/8") }), ROUTE_ARN)).to.deep.include({
        allowed: false,
        status: 403,
      });
      expect(verdictFor(policy({ ...allow, Action: "execute-api:ManageConnections" }), ROUTE_ARN).allowed).to.equal(false);
      expect(verdictFor(policy(allow, { ...allow, Effect: "Deny", Resource: ROUTE_ARN }), ROUTE_ARN)).to.deep.include({
        allowed: false,
        status: 403,
      });
      // One statement, not a list, is a policy too; a policy with none allows nothing.
      expect(verdictFor(decisionOf({ policyDocument: { Statement: allow } }, false)!, ROUTE_ARN).allowed).to.equal(true);
      expect(verdictFor(policy(), ROUTE_ARN).allowed).to.equal(false);
      expect(decisionOf({ principalId: "p" }, false)).to.equal(undefined);
      expect(decisionOf({ principalId: "p", policyDocument: "allow" }, false)).to.equal(undefined);
    });

    it("reads a policy as IAM does: any of a statement's actions and resources, actions whatever their case, Effect and resources as written", () => {
      const allow = { Effect: "Allow", Action: ["s3:GetObject", "Execute-Api:invoke"], Resource: ["arn:aws:s3:::b", ROUTE_ARN] };
      expect(verdictFor(policy(allow), ROUTE_ARN).allowed).to.equal(true);
      expect(verdictFor(policy({ ...allow, Resource: ROUTE_ARN.toUpperCase() }), ROUTE_ARN).allowed).to.equal(false);
      expect(verdictFor(policy({ ...allow, Effect: "allow" }), ROUTE_ARN)).to.deep.equal({
        allowed: false,
        status: 403,
        why: `its policy does not allow execute-api:Invoke on ${ROUTE_ARN}`,
      });
      expect(verdictFor(policy(allow, { ...allow, Effect: "Deny" }), ROUTE_ARN)).to.deep.equal({
        allowed: false,
        status: 403,
        why: `its policy denies execute-api:Invoke on ${ROUTE_ARN}`,
      });
    });
  });

  describe("the verdicts kept for an authorizer's TTL", () => {
    const authorizer = (over: Partial<LocalAuthorizer> = {}): LocalAuthorizer => ({
      id: "a1",
      name: "a",
      type: "REQUEST",
      identitySources: ["$request.header.Authorization"],
      payloadFormatVersion: "2.0",
      simpleResponses: true,
      resultTtlSeconds: 300,
      ...over,
    });
    const decision = decisionOf({ isAuthorized: true }, true)!;

    it("keeps a verdict for the same identity, until its TTL has passed", () => {
      let now = 1_000_000;
      const cache = new AuthorizerCache(() => now);
      cache.set(authorizer(), ["t"], decision);
      expect(cache.get(authorizer(), ["t"])).to.equal(decision);
      expect(cache.get(authorizer(), ["u"])).to.equal(undefined);
      expect(cache.get(authorizer({ id: "a2" }), ["t"])).to.equal(undefined);
      now += 299_999;
      expect(cache.get(authorizer(), ["t"])).to.equal(decision);
      now += 1;
      expect(cache.get(authorizer(), ["t"])).to.equal(undefined);
    });

    it("keeps none without a TTL or without an identity source, and forgets all when cleared", () => {
      const cache = new AuthorizerCache();
      cache.set(authorizer({ resultTtlSeconds: 0 }), ["t"], decision);
      expect(cache.get(authorizer({ resultTtlSeconds: 0 }), ["t"])).to.equal(undefined);
      cache.set(authorizer({ identitySources: [] }), [], decision);
      expect(cache.get(authorizer({ identitySources: [] }), [])).to.equal(undefined);
      cache.set(authorizer(), ["t"], decision);
      cache.clear();
      expect(cache.get(authorizer(), ["t"])).to.equal(undefined);
    });
  });

  /**
   * Serves GET /x of one API, guarded as `guard` says, with `lambda` behind it; `check` gets a request
   * that answers the status, and the lines printed. The server stops whatever happens.
   */
  const withRoute = async (
    guard: Pick<LocalRoute, "authorizationType" | "authorizer">,
    lambda: Partial<Record<keyof LambdaService, unknown>>,
    check: (status: () => Promise<number>, lines: string[]) => Promise<void>,
  ) => {
    const lines: string[] = [];
    const reporter = new Reporter((l) => lines.push(l));
    const server = await startApiServer({
      api: {
        id: "api1",
        name: "api",
        cloudEndpoint: "",
        quickCreate: false,
        stages: [{ name: "$default", variables: {}, deployed: true }],
        routes: [
          {
            routeKey: "GET /x",
            integration: {
              type: "AWS_PROXY",
              functionArn: "arn:aws:lambda:us-east-1:123456789012:function:echo",
              payloadFormatVersion: "2.0",
            },
            ...guard,
          },
        ],
      },
      lambda: () => ({ knows: () => true, permitsInvoke: () => true, ...lambda }) as unknown as LambdaService,
      alarms: new AlarmBoard([], reporter),
      reporter,
      accountId: "123456789012",
      region: "us-east-1",
      port: 0,
    });
    try {
      await check(
        () => new Promise<number>((resolve) => http.get(`${server.url}/x`, (res) => (res.resume(), resolve(res.statusCode!)))),
        lines,
      );
    } finally {
      await server.close();
    }
  };

  it("serves an IAM-authorized route as allowed with IAM off (--iam off), and says so once", async () => {
    const ok = { requestId: "r", durationMs: 1, payload: JSON.stringify({ statusCode: 200, body: "ok" }) };
    await withRoute(
      { authorizationType: "AWS_IAM" },
      {
        resolve: () => ({ timeoutSeconds: 3 }),
        // As the Lambda service does: the route's status is mapped as the invocation is reported.
        invoke: async (_fn: string, _event: unknown, _trigger: string, extra: { status: (outcome: object) => number }) => (
          extra.status(ok),
          ok
        ),
      },
      async (status, lines) => {
        expect([await status(), await status()]).to.deep.equal([200, 200]);
        expect(lines.filter((l) => l.includes("not enforced"))).to.deep.equal([
          "api GET /x: its AWS_IAM authorization is not enforced locally; requests are served as if allowed",
        ]);
      },
    );
  });

  it("answers 500, and stays up, when the authorizer cannot be run at all", async () => {
    const authorizer: LocalAuthorizer = {
      id: "a1",
      name: "gate",
      type: "REQUEST",
      functionArn: "arn:aws:lambda:us-east-1:123456789012:function:gate:99",
      identitySources: [],
      payloadFormatVersion: "2.0",
      simpleResponses: true,
      resultTtlSeconds: 0,
    };
    const invoke = async () => {
      throw new Error("Function not found: gate:99");
    };
    await withRoute({ authorizationType: "CUSTOM", authorizer }, { invoke }, async (status, lines) => {
      expect(await status()).to.equal(500);
      expect(lines).to.include("api GET /x: its authorizer could not run: Function not found: gate:99");
    });
  });

  describe("on a program's routes (fixture authorizer-api)", function () {
    this.timeout(120_000);
    let cloud: LocalCloud;
    let issuer: https.Server;
    let token: (claims: JWTPayload) => Promise<string>;
    const lines: string[] = [];
    const get = (target: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: any; authenticate?: string }>((resolve, reject) => {
        const req = http.request(new URL(target, cloud.url), { method: "GET", headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode!,
              body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
              ...(res.headers["www-authenticate"] && { authenticate: String(res.headers["www-authenticate"]) }),
            }),
          );
        });
        req.on("error", reject);
        req.end();
      });

    before(async () => {
      // The JWT authorizer's issuer: HTTPS with a certificate of its own, which the local cloud is told to trust.
      const dir = path.join(__dirname, "..", "fixtures", "jwt-issuer");
      const cert = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
      const keys = await generateKeyPair("RS256");
      const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "RS256" };
      issuer = https.createServer({ cert, key: fs.readFileSync(path.join(dir, "key.pem")) }, (req, res) => {
        const url = `https://localhost:${(issuer.address() as AddressInfo).port}`;
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify(req.url === "/.well-known/openid-configuration" ? { issuer: url, jwks_uri: `${url}/keys` } : { keys: [jwk] }),
        );
      });
      await new Promise<void>((resolve) => issuer.listen(0, "127.0.0.1", resolve));
      const url = `https://localhost:${(issuer.address() as AddressInfo).port}`;
      token = (claims) =>
        new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k1" }).setIssuer(url).setExpirationTime("1h").sign(keys.privateKey);
      cloud = await startLocalCloud({
        programDir: path.join(__dirname, "..", "fixtures", "authorizer-api"),
        stack: "test",
        port: 0,
        write: (line) => lines.push(line),
        stateFile: false,
        config: { "authorizer-fixture:issuer": url },
        issuerCa: cert,
      });
    });
    after(async () => {
      await cloud?.stop();
      issuer?.close();
    });

    it("lists each route's authorizer at start-up, and says which authorizations are not enforced locally", () => {
      const row = (route: string) =>
        lines
          .find((l) => l.startsWith(`  ${route} `))
          ?.trim()
          .replace(/\s+/g, " ");
      expect(row("GET /open")).to.equal("GET /open λ echo");
      expect(row("GET /simple")).to.equal("GET /simple λ echo authorizer simple");
      expect(row("GET /jwt")).to.match(/^GET \/jwt λ echo JWT authorizer jwt \(https:\/\/localhost:\d+\)$/);
      expect(row("GET /jwt/admin")).to.match(/^GET \/jwt\/admin λ echo JWT authorizer jwt \(https:\/\/localhost:\d+, scopes admin\)$/);
      expect(row("GET /legacy")).to.equal("GET /legacy λ echo authorizer legacy (payload format 1.0)");
      expect(row("GET /iam")).to.equal("GET /iam λ echo IAM authorization (execute-api:Invoke)");
    });

    it("serves a route without authorization as before", async () => {
      expect(await get("/open")).to.deep.equal({ status: 200, body: { path: "/open", authorizer: null } });
    });

    it("answers 401 without invoking the authorizer when the identity source is missing", async () => {
      const invoked = lines.filter((l) => l.includes("authorizer simple")).length;
      expect(await get("/simple")).to.deep.equal({ status: 401, body: { message: "Unauthorized" } });
      expect(lines.filter((l) => l.includes("authorizer simple")).length).to.equal(invoked + 1);
      expect(lines.at(-1)).to.include("lacks $request.header.Authorization");
    });

    it("lets a simple response's yes through, with its context in requestContext.authorizer.lambda; a no is 403", async () => {
      const allowed = await get("/simple", { authorization: "letmein" });
      expect(allowed.status).to.equal(200);
      expect(allowed.body.authorizer.lambda).to.deep.include({ user: "ann", type: "REQUEST", identity: ["letmein"], hasBody: false });
      expect(allowed.body.authorizer.lambda.routeArn).to.match(/:[^:/]+\/\$default\/GET\/simple$/);
      expect(await get("/simple", { authorization: "guess" })).to.deep.equal({ status: 403, body: { message: "Forbidden" } });
    });

    it("answers 500 when the authorizer fails or answers another shape, and never reaches the integration", async () => {
      const integrated = () => lines.filter((l) => l.includes("echo api GET /simple")).length;
      const before = integrated();
      expect(await get("/simple", { authorization: "letmein", "x-fail": "1" })).to.deep.equal({
        status: 500,
        body: { message: "Internal Server Error" },
      });
      expect(await get("/simple", { authorization: "letmein", "x-shape": "1" })).to.deep.equal({
        status: 500,
        body: { message: "Internal Server Error" },
      });
      expect(lines.some((l) => l.includes("its answer has neither a boolean isAuthorized nor an IAM policy"))).to.equal(true);
      expect(lines.some((l) => l.includes("authorizer simple answers 500: its function failed: gate down"))).to.equal(true);
      expect(integrated()).to.equal(before);
    });

    it("answers 500 when API Gateway may not invoke the authorizer's function for the authorizer's ARN", async () => {
      expect(await get("/unpermitted", { authorization: "letmein" })).to.deep.equal({
        status: 500,
        body: { message: "Internal Server Error" },
      });
      expect(
        lines.some((l) => /authorizer unpermitted answers 500: API Gateway may not invoke .*echo for .*\/authorizers\//.test(l)),
      ).to.equal(true);
    });

    it("evaluates an IAM policy for each route, and keeps the function's answer for the TTL by the identity source", async () => {
      const first = await get("/policy/7?token=seven");
      expect(first.status).to.equal(200);
      const calls = first.body.authorizer.lambda.calls;
      // Same token, another route: the kept policy is evaluated again, and allows only /policy/7.
      expect(await get("/policy/8?token=seven")).to.deep.equal({ status: 403, body: { message: "Forbidden" } });
      const again = await get("/policy/7?token=seven");
      expect(again.body.authorizer.lambda.calls).to.equal(calls);
      // Another token is another identity: the function runs again.
      const good = await get("/policy/8?token=good");
      expect(good.status).to.equal(200);
      expect(good.body.authorizer.lambda.calls).to.be.greaterThan(calls);
      expect((await get("/policy/7?token=bad")).status).to.equal(403);
    });

    it("validates a JWT route's token with the issuer's keys, over HTTPS: 401 without one, the claims with one, 403 without the route's scope", async () => {
      const missing = await get("/jwt");
      expect(missing).to.deep.include({ status: 401, body: { message: "Unauthorized" } });
      expect(missing.authenticate).to.equal('Bearer scope="" error="invalid_token" error_description="the request has no token"');
      const ann = await token({ sub: "ann", aud: "guarded", scope: "read" });
      const allowed = await get("/jwt", { authorization: `Bearer ${ann}` });
      expect(allowed.status).to.equal(200);
      expect(allowed.body.authorizer.jwt).to.deep.include({ scopes: ["read"] });
      expect(allowed.body.authorizer.jwt.claims).to.deep.include({ sub: "ann", aud: "guarded" });
      expect((await get("/jwt", { authorization: `Bearer ${await token({ sub: "ann", aud: "elsewhere" })}` })).status).to.equal(401);
      const admin = await get("/jwt/admin", { authorization: `Bearer ${ann}` });
      expect(admin).to.deep.include({ status: 403, body: { message: "Forbidden" } });
      expect(admin.authenticate).to.include('error="insufficient_scope"');
      expect((await get("/jwt/admin", { authorization: `Bearer ${await token({ aud: "guarded", scope: "admin" })}` })).status).to.equal(
        200,
      );
    });

    it("lets an IAM-authorized route's signed caller in when its role allows execute-api:Invoke, and 403 otherwise", async () => {
      const signed = (fn: string) => ({
        authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId(fn)}/20261201/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=0`,
      });
      expect(await get("/iam")).to.deep.equal({ status: 403, body: { message: "Forbidden" } });
      expect(lines.at(-1)).to.include("the request is not signed");
      const allowed = await get("/iam", signed("caller"));
      expect(allowed.status).to.equal(200);
      expect(allowed.body.authorizer.iam).to.deep.include({
        accessKey: accessKeyId("caller"),
        cognitoIdentity: null,
        principalOrgId: null,
      });
      expect(allowed.body.authorizer.iam.userArn).to.match(/^arn:aws:sts::\d{12}:assumed-role\/caller-role-[0-9a-f]+\/caller$/);
      expect(allowed.body.authorizer.iam.userId).to.match(/^AROA[A-Z2-7]{17}:caller$/);
      expect(await get("/iam", signed("echo"))).to.deep.equal({ status: 403, body: { message: "Forbidden" } });
      expect(lines.some((l) => l.startsWith("AccessDenied echo (api GET /iam): execute-api:Invoke on arn:aws:execute-api:"))).to.equal(
        true,
      );
      // A key that is no function's (the developer's own tools) goes through, as it does at the emulators.
      expect(
        (await get("/iam", { authorization: "AWS4-HMAC-SHA256 Credential=local/20261201/us-east-1/execute-api/aws4_request" })).status,
      ).to.equal(200);
    });

    it("runs a 1.0 Lambda authorizer with REST's REQUEST event, and takes its IAM policy: 401, 403, 500 as for 2.0", async () => {
      expect(await get("/legacy")).to.deep.equal({ status: 401, body: { message: "Unauthorized" } });
      const allowed = await get("/legacy", { authorization: "letmein" });
      expect(allowed.status).to.equal(200);
      const seen = JSON.parse(allowed.body.authorizer.lambda.seen);
      expect(seen).to.deep.include({
        version: "1.0",
        type: "REQUEST",
        identitySource: "letmein",
        authorizationToken: "letmein",
        resource: "/legacy",
        path: "/legacy",
        httpMethod: "GET",
        queryStringParameters: null,
        pathParameters: {},
        stageVariables: null,
      });
      expect(seen.methodArn).to.match(/^arn:aws:execute-api:us-east-1:\d{12}:[^/]+\/\$default\/GET\/legacy$/);
      expect(seen.headers.authorization).to.equal("letmein");
      expect(seen.requestContext).to.deep.include({ path: "/legacy", stage: "$default", resourcePath: "/legacy", httpMethod: "GET" });
      expect(seen.requestContext.apiId).to.equal(seen.methodArn.split(":")[5].split("/")[0]);
      for (const v2 of ["routeArn", "routeKey", "rawPath", "rawQueryString", "cookies", "body"]) expect(seen).to.not.have.property(v2);
      expect(await get("/legacy", { authorization: "guess" })).to.deep.equal({ status: 403, body: { message: "Forbidden" } });
      expect(await get("/legacy", { authorization: "letmein", "x-shape": "1" })).to.deep.equal({
        status: 500,
        body: { message: "Internal Server Error" },
      });
      expect(lines.at(-1)).to.include("its answer has no IAM policy (policyDocument), which a payload format 1.0 authorizer must answer");
      expect(lines.some((l) => l.includes("GET /legacy: its") && l.includes("not enforced"))).to.equal(false);
    });
  });
});
