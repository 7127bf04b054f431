/** The functions' small shared parts: the environment, and the credential provider bundles carry. */
import { expect } from "chai";
import { credentialsTreatedAsExpired, credentialsWillNeedRefresh, defaultProvider } from "../../functions/lib/env-credentials";
import { requireEnv } from "../../functions/lib/env";

describe("functions' shared parts", () => {
  it("requireEnv gives a variable's value, and names a missing or empty one", () => {
    process.env.LIB_TEST_VARIABLE = "value";
    try {
      expect(requireEnv("LIB_TEST_VARIABLE")).to.equal("value");
      process.env.LIB_TEST_VARIABLE = "";
      expect(() => requireEnv("LIB_TEST_VARIABLE")).to.throw("environment variable LIB_TEST_VARIABLE is not set");
      delete process.env.LIB_TEST_VARIABLE;
      expect(() => requireEnv("LIB_TEST_VARIABLE")).to.throw("environment variable LIB_TEST_VARIABLE is not set");
    } finally {
      delete process.env.LIB_TEST_VARIABLE;
    }
  });

  it("the bundles' credential provider reads the role's credentials Lambda puts in the environment, and never asks to refresh", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDLIBTEST", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "token" });
    try {
      expect(await defaultProvider()()).to.deep.include({ accessKeyId: "AKIDLIBTEST", secretAccessKey: "secret", sessionToken: "token" });
    } finally {
      for (const [name, value] of Object.entries({
        AWS_ACCESS_KEY_ID: saved.id,
        AWS_SECRET_ACCESS_KEY: saved.secret,
        AWS_SESSION_TOKEN: saved.token,
      }))
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
    expect(credentialsWillNeedRefresh()).to.equal(false);
    expect(credentialsTreatedAsExpired()).to.equal(false);
  });
});
