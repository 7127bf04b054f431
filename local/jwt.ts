/**
 * An HTTP API route's JWT authorizer, as API Gateway runs it ("Controlling access to HTTP APIs with JWT
 * authorizers" and "Troubleshooting issues with HTTP API JWT authorizers", API Gateway Developer Guide):
 *
 * - the token is the identity source's value, with or without a `Bearer ` prefix;
 * - its signature is checked with the issuer's keys, found through `<issuer>/.well-known/openid-configuration`
 *   and its `jwks_uri` (RSA algorithms only, the key named by the token's `kid`), and `iss`, `exp` and
 *   `nbf` are checked (by jose, a maintained JOSE library, rather than by hand);
 * - its `aud` must be one of the authorizer's audiences, or, when it has no `aud`, its `client_id`;
 * - a route with authorization scopes needs one of them in the token's `scope` (or `scp`);
 * - a token that fails is 401 and a missing scope 403, each with API Gateway's `www-authenticate` header;
 * - the integration gets the claims (each as text, a list as `[a b]`) and scopes as `requestContext.authorizer.jwt`.
 *
 * The issuer's keys are fetched once per issuer and run, and again for a token signed with a key they
 * lack (rotated keys); an issuer that cannot be reached fails the token (the local cloud says why), and
 * is asked again at the next request.
 */
import * as https from "https";
import * as tls from "tls";
import { createLocalJWKSet, JSONWebKeySet, jwtVerify } from "jose";

/** A JWT authorizer's verdict: the claims and scopes for the integration, or the status and `www-authenticate` header. */
export type JwtVerdict =
  | { allowed: true; claims: Record<string, string>; scopes: string[] | null }
  | { allowed: false; status: 401 | 403; why: string; wwwAuthenticate: string };

/** GETs a JSON document over HTTPS. */
export type FetchJson = (url: string) => Promise<unknown>;

/** API Gateway signs a JWT authorizer's tokens with RSA only. */
const ALGORITHMS = ["RS256", "RS384", "RS512"];

export class JwtValidator {
  private readonly keySets = new Map<string, Promise<JSONWebKeySet>>();

  /** `fetchJson`: how the issuer's documents are fetched. @default HTTPS with the system's CAs */
  constructor(private readonly fetchJson: FetchJson = httpsJson()) {}

  /**
   * Checks `token` (the identity source's value; undefined when the request has none) for an authorizer of
   * `issuer` and `audiences`, on a route that needs one of `scopes` (none: any valid token).
   */
  async validate(config: { issuer: string; audiences: string[] }, token: string | undefined, scopes: string[] = []): Promise<JwtVerdict> {
    const invalid = (why: string): JwtVerdict => ({
      allowed: false,
      status: 401,
      why,
      wwwAuthenticate: `Bearer scope="" error="invalid_token" error_description="${why}"`,
    });
    const jwt = token?.startsWith("Bearer ") ? token.slice("Bearer ".length) : token;
    if (!jwt) return invalid("the request has no token");
    let claims: Record<string, unknown>;
    try {
      claims = await this.verify(jwt, config.issuer);
    } catch (err) {
      return invalid((err as Error).message);
    }
    const audiences = claims.aud !== undefined ? asList(claims.aud) : asList(claims.client_id);
    if (!audiences.some((a) => config.audiences.includes(a))) return invalid("the token does not have a valid audience");
    const granted = asList(claims.scope ?? claims.scp)
      .flatMap((s) => s.split(" "))
      .filter(Boolean);
    if (scopes.length && !scopes.some((s) => granted.includes(s)))
      return {
        allowed: false,
        status: 403,
        why: `the token has none of the route's scopes (${scopes.join(", ")})`,
        wwwAuthenticate: `Bearer scope="${scopes.join(" ")}" error="insufficient_scope" error_description="the token does not have the required scopes"`,
      };
    return { allowed: true, claims: flatClaims(claims), scopes: granted.length ? granted : null };
  }

  /**
   * The token's claims once its signature, issuer and times check out. A token signed with a key the
   * kept set does not have sends for the issuer's keys again, once: the issuer may have rotated them
   * (a local identity provider restarted).
   */
  private async verify(jwt: string, issuer: string, again = true): Promise<Record<string, unknown>> {
    try {
      const keys = await this.keysOf(issuer);
      return (await jwtVerify(jwt, createLocalJWKSet(keys), { issuer, algorithms: ALGORITHMS })).payload;
    } catch (err) {
      if (!again || (err as { code?: string }).code !== "ERR_JWKS_NO_MATCHING_KEY") throw err;
      this.keySets.delete(issuer);
      return this.verify(jwt, issuer, false);
    }
  }

  /** The issuer's key set, through its discovery document; a failed fetch is not kept, so the next request asks again. */
  private keysOf(issuer: string): Promise<JSONWebKeySet> {
    let keys = this.keySets.get(issuer);
    if (!keys) {
      keys = (async () => {
        if (!issuer.startsWith("https://")) throw new Error(`the issuer ${issuer} is not an https URL`);
        const discovery = (await this.fetchJson(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`)) as { jwks_uri?: unknown };
        if (typeof discovery?.jwks_uri !== "string") throw new Error(`the issuer ${issuer} publishes no jwks_uri`);
        const set = (await this.fetchJson(discovery.jwks_uri)) as JSONWebKeySet;
        if (!Array.isArray(set?.keys)) throw new Error(`${discovery.jwks_uri} is not a JSON Web Key Set`);
        return set;
      })();
      this.keySets.set(issuer, keys);
      keys.catch(() => this.keySets.delete(issuer));
    }
    return keys;
  }
}

/** The claims as API Gateway hands them to an integration: text, numbers and booleans as text, a list as `[a b]`. */
export function flatClaims(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims))
    out[name] = Array.isArray(value)
      ? `[${value.join(" ")}]`
      : typeof value === "object" && value !== null
        ? JSON.stringify(value)
        : String(value);
  return out;
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : []);

/** GETs JSON over HTTPS, trusting `ca` (PEM) besides the system's CAs when given, within 5 s. */
export function httpsJson(ca?: string): FetchJson {
  return (url) =>
    new Promise((resolve, reject) => {
      const req = https.get(url, { ca: ca ? [...tls.rootCertificates, ca] : undefined, timeout: 5000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 400) return reject(new Error(`${url} answered ${res.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch {
            reject(new Error(`${url} did not answer JSON`));
          }
        });
      });
      req.on("timeout", () => req.destroy(new Error(`${url} did not answer within 5 s`)));
      req.on("error", reject);
    });
}
