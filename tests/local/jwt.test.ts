/**
 * HTTP API JWT authorizers, locally (local/jwt.ts), against "Controlling access to HTTP APIs with JWT
 * authorizers" and "Troubleshooting issues with HTTP API JWT authorizers" (API Gateway Developer Guide).
 * The issuer's documents come from the test (no network); tokens are signed by jose with keys made here.
 */
import { expect } from "chai";
import { exportJWK, generateKeyPair, JWTPayload, SignJWT } from "jose";
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo } from "net";
import * as path from "path";
import { flatClaims, httpsJson, JwtValidator } from "../../local/jwt";

const ISSUER = "https://issuer.example.com";
const CONFIG = { issuer: ISSUER, audiences: ["guarded"] };

describe("local cloud: HTTP API JWT authorizers", () => {
  let sign: (claims: JWTPayload, options?: { alg?: string; expiresIn?: string | number; key?: "other" }) => Promise<string>;
  let fetched: string[];
  /** A validator whose issuer publishes the test's key, counting what it fetched; `failing` makes the issuer unreachable. */
  let validator: (failing?: () => boolean) => JwtValidator;

  before(async () => {
    const own = await generateKeyPair("RS256");
    const other = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(own.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    sign = async (claims, options = {}) => {
      const token = new SignJWT(claims)
        .setProtectedHeader({ alg: options.alg ?? "RS256", kid: "k1" })
        .setIssuer(claims.iss ?? ISSUER)
        .setIssuedAt();
      token.setExpirationTime(options.expiresIn ?? "1h");
      return token.sign(options.key === "other" ? other.privateKey : own.privateKey);
    };
    validator = (failing = () => false) =>
      new JwtValidator(async (url) => {
        fetched.push(url);
        if (failing()) throw new Error("connect ECONNREFUSED");
        if (url === `${ISSUER}/.well-known/openid-configuration`) return { issuer: ISSUER, jwks_uri: `${ISSUER}/keys` };
        if (url === `${ISSUER}/keys`) return { keys: [jwk] };
        throw new Error(`unexpected ${url}`);
      });
  });
  beforeEach(() => (fetched = []));

  it("lets a valid token through, with or without Bearer, and hands on its claims and scopes", async () => {
    const token = await sign({ sub: "ann", aud: "guarded", scope: "read write", groups: ["admin", "ops"], age: 42 });
    const jwt = validator();
    const verdict = await jwt.validate(CONFIG, `Bearer ${token}`);
    expect(verdict).to.deep.include({ allowed: true, scopes: ["read", "write"] });
    expect((verdict as { claims: Record<string, string> }).claims).to.deep.include({
      sub: "ann",
      groups: "[admin ops]",
      age: "42",
      iss: ISSUER,
    });
    expect((await jwt.validate(CONFIG, token)).allowed).to.equal(true);
    // The issuer's keys are fetched once.
    expect(fetched).to.deep.equal([`${ISSUER}/.well-known/openid-configuration`, `${ISSUER}/keys`]);
  });

  it("takes client_id as the audience only when the token has no aud, and scp for scope", async () => {
    const jwt = validator();
    expect((await jwt.validate(CONFIG, await sign({ client_id: "guarded", scp: ["admin"] }), ["admin"])).allowed).to.equal(true);
    const both = await jwt.validate(CONFIG, await sign({ aud: "elsewhere", client_id: "guarded" }));
    expect(both).to.deep.include({ allowed: false, status: 401, why: "the token does not have a valid audience" });
    expect(await jwt.validate(CONFIG, await sign({ sub: "ann" }))).to.deep.include({
      status: 401,
      why: "the token does not have a valid audience",
    });
    expect((await jwt.validate(CONFIG, await sign({ aud: ["other", "guarded"] }))).allowed).to.equal(true);
    // scp may be one string of scopes too.
    const spaced = await jwt.validate(CONFIG, await sign({ aud: "guarded", scp: "read admin" }), ["admin"]);
    expect(spaced).to.deep.include({ allowed: true, scopes: ["read", "admin"] });
  });

  it("answers 401 with invalid_token for a missing, expired, foreign, wrongly signed or non-RSA token", async () => {
    const jwt = validator();
    const refused = async (token: string | undefined) => {
      const verdict = await jwt.validate(CONFIG, token);
      expect(verdict, String(token)).to.deep.include({ allowed: false, status: 401 });
      return verdict as { why: string; wwwAuthenticate: string };
    };
    const missing = await refused(undefined);
    expect(missing.wwwAuthenticate).to.equal('Bearer scope="" error="invalid_token" error_description="the request has no token"');
    expect((await refused("Bearer ")).why).to.equal("the request has no token");
    expect((await refused(await sign({ aud: "guarded" }, { expiresIn: Math.floor(Date.now() / 1000) - 10 }))).why).to.match(/exp/);
    expect(await refused(await sign({ aud: "guarded", iss: "https://elsewhere.example.com" })))
      .to.have.property("why")
      .that.matches(/iss/);
    expect((await refused(await sign({ aud: "guarded" }, { key: "other" }))).why).to.match(/signature/);
    expect((await refused("not.a.jwt")).why).to.not.equal("");
    const hmac = await new SignJWT({ aud: "guarded" })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setIssuer(ISSUER)
      .sign(new TextEncoder().encode("a shared secret of thirty-two bytes!"));
    expect((await refused(hmac)).why).to.match(/alg/);
  });

  it("answers 403 with insufficient_scope when the route's scopes are not in the token", async () => {
    const verdict = await validator().validate(CONFIG, await sign({ aud: "guarded", scope: "read" }), ["admin", "ops"]);
    expect(verdict).to.deep.equal({
      allowed: false,
      status: 403,
      why: "the token has none of the route's scopes (admin, ops)",
      wwwAuthenticate:
        'Bearer scope="admin ops" error="insufficient_scope" error_description="the token does not have the required scopes"',
    });
    expect((await validator().validate(CONFIG, await sign({ aud: "guarded", scope: "read ops" }), ["admin", "ops"])).allowed).to.equal(
      true,
    );
  });

  it("fails a token while the issuer cannot be reached, and asks the issuer again at the next request", async () => {
    let down = true;
    const jwt = validator(() => down);
    const token = await sign({ aud: "guarded" });
    expect(await jwt.validate(CONFIG, token)).to.deep.include({ allowed: false, status: 401, why: "connect ECONNREFUSED" });
    down = false;
    expect((await jwt.validate(CONFIG, token)).allowed).to.equal(true);
    expect(fetched.filter((u) => u.endsWith("openid-configuration"))).to.have.length(2);
  });

  it("fetches the issuer's keys again, once, for a token signed with a key it does not have yet (rotated keys)", async () => {
    const rotated = await generateKeyPair("RS256");
    const keys = [{ ...(await exportJWK(rotated.publicKey)), kid: "k1", alg: "RS256" }];
    let current: object[] = [];
    const jwt = new JwtValidator(async (url) => {
      fetched.push(url);
      return url.endsWith("configuration") ? { jwks_uri: `${ISSUER}/keys` } : { keys: current };
    });
    const token = await new SignJWT({ aud: "guarded" })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(ISSUER)
      .sign(rotated.privateKey);
    // The set kept has no key of that kid, and the issuer has none either: one more fetch, then 401.
    expect(await jwt.validate(CONFIG, token)).to.deep.include({ allowed: false, status: 401 });
    expect(fetched.filter((u) => u.endsWith("/keys"))).to.have.length(2);
    current = keys;
    expect((await jwt.validate(CONFIG, token)).allowed).to.equal(true);
    expect(fetched.filter((u) => u.endsWith("/keys"))).to.have.length(3);
    // Known now: no more fetches.
    expect((await jwt.validate(CONFIG, token)).allowed).to.equal(true);
    expect(fetched.filter((u) => u.endsWith("/keys"))).to.have.length(3);
  });

  it("fetches keys only from an https issuer that publishes a jwks_uri", async () => {
    const token = await sign({ aud: "guarded" });
    expect(await validator().validate({ ...CONFIG, issuer: "http://issuer.example.com" }, token)).to.deep.include({
      status: 401,
      why: "the issuer http://issuer.example.com is not an https URL",
    });
    for (const discovery of [{ issuer: ISSUER }, null]) {
      const silent = new JwtValidator(async () => discovery);
      expect(await silent.validate(CONFIG, token)).to.deep.include({ status: 401, why: `the issuer ${ISSUER} publishes no jwks_uri` });
    }
    for (const set of [{ nothing: true }, null]) {
      const noKeys = new JwtValidator(async (url) => (url.endsWith("configuration") ? { jwks_uri: `${ISSUER}/keys` } : set));
      expect(await noKeys.validate(CONFIG, token)).to.deep.include({ status: 401, why: `${ISSUER}/keys is not a JSON Web Key Set` });
    }
  });

  describe("fetching the issuer's documents over HTTPS", () => {
    let server: https.Server;
    let base: string;
    const cert = fs.readFileSync(path.join(__dirname, "..", "fixtures", "jwt-issuer", "cert.pem"), "utf8");
    before(async () => {
      server = https.createServer(
        { cert, key: fs.readFileSync(path.join(__dirname, "..", "fixtures", "jwt-issuer", "key.pem")) },
        (req, res) => {
          const [status, body] =
            req.url === "/ok"
              ? [200, '{"jwks_uri":"x"}']
              : req.url === "/399"
                ? [399, "{}"]
                : req.url === "/400"
                  ? [400, "{}"]
                  : [200, "not json"];
          res.writeHead(status, { "content-type": "application/json" });
          res.end(body);
        },
      );
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `https://localhost:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    it("reads JSON from a server whose CA it is told to trust, and refuses it without that CA", async () => {
      expect(await httpsJson(cert)(`${base}/ok`)).to.deep.equal({ jwks_uri: "x" });
      expect(await httpsJson(cert)(`${base}/399`)).to.deep.equal({});
      await httpsJson()(`${base}/ok`).then(
        () => expect.fail("a certificate no CA vouches for was trusted"),
        (err: Error) => expect(err.message).to.match(/self[- ]signed|certificate/i),
      );
    });

    it("fails on an error status, an answer that is not JSON, and a server that is not there, naming the URL", async () => {
      const fails = (url: string) =>
        httpsJson(cert)(url).then(
          () => "no error",
          (err: Error) => err.message,
        );
      expect(await fails(`${base}/400`)).to.equal(`${base}/400 answered 400`);
      expect(await fails(`${base}/text`)).to.equal(`${base}/text did not answer JSON`);
      expect(await fails("https://127.0.0.1:1/x")).to.match(/ECONNREFUSED/);
    });
  });

  it("hands claims on as text: lists as [a b], objects as JSON", () => {
    expect(flatClaims({ s: "x", n: 1, b: true, l: ["a", "b"], o: { k: "v" } })).to.deep.equal({
      s: "x",
      n: "1",
      b: "true",
      l: "[a b]",
      o: '{"k":"v"}',
    });
  });
});
