/** The runtime config loader against the real local S3 emulator (fauxqs): caching and failing closed. */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { appConfigDocument } from "../../functions/lib/app-config";
import { configS3Client, loadConfig, resetConfigCache } from "../../functions/lib/config";
import { backends, TEST_APP_CONFIG } from "./emulated";

describe("the config loader, against the local S3 emulator", () => {
  let gets = 0;
  const saved = { bucket: "", key: "", ttl: process.env.CONFIG_TTL_SECONDS };

  before(async () => {
    await backends();
    saved.bucket = process.env.CONFIG_BUCKET!;
    saved.key = process.env.CONFIG_KEY!;
    // Counts the GetObject requests that really go out to the emulator.
    configS3Client().middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "GetObjectCommand") gets++;
        return next(args);
      },
      { step: "initialize", name: "countGets" },
    );
  });
  beforeEach(() => {
    resetConfigCache();
    gets = 0;
    process.env.CONFIG_BUCKET = saved.bucket;
    process.env.CONFIG_KEY = saved.key;
    delete process.env.CONFIG_TTL_SECONDS;
  });
  after(() => {
    process.env.CONFIG_BUCKET = saved.bucket;
    process.env.CONFIG_KEY = saved.key;
    if (saved.ttl === undefined) delete process.env.CONFIG_TTL_SECONDS;
    else process.env.CONFIG_TTL_SECONDS = saved.ttl;
    resetConfigCache();
  });

  it("makes exactly one S3 call across many warm invocations", async () => {
    for (let i = 0; i < 50; i++) expect(await loadConfig(appConfigDocument)).to.deep.equal(TEST_APP_CONFIG);
    expect(gets).to.equal(1);
  });

  it("fetches again once the TTL has passed", async () => {
    process.env.CONFIG_TTL_SECONDS = "0";
    await loadConfig(appConfigDocument);
    await loadConfig(appConfigDocument);
    expect(gets).to.equal(2);
  });

  it("fails closed, naming the bucket and key, when the object is missing", async () => {
    process.env.CONFIG_KEY = "config/missing.json";
    const err = await loadConfig(appConfigDocument).catch((e) => e);
    expect(err.name).to.equal("ConfigUnavailableError");
    expect(err.message).to.include(`s3://${saved.bucket}/config/missing.json`);
  });

  it("fails closed when the object is not JSON, or does not match the schema, and does not cache the failure", async () => {
    const { s3 } = await backends();
    await s3.send(new PutObjectCommand({ Bucket: saved.bucket, Key: "config/broken.json", Body: "{not json" }));
    await s3.send(
      new PutObjectCommand({
        Bucket: saved.bucket,
        Key: "config/short.json",
        Body: JSON.stringify({ report: { title: "t" }, secrets: { reportSigningKey: "short" } }),
      }),
    );
    process.env.CONFIG_KEY = "config/broken.json";
    expect((await loadConfig(appConfigDocument).catch((e) => e)).message).to.match(
      /config\/broken\.json is unavailable: it is not valid JSON/,
    );
    process.env.CONFIG_KEY = "config/short.json";
    const mismatch = await loadConfig(appConfigDocument).catch((e) => e);
    expect(mismatch.message).to.match(/does not match the schema: secrets\.reportSigningKey/);
    await loadConfig(appConfigDocument).catch(() => undefined);
    expect(gets).to.equal(3);
  });

  it("names the document itself as (root) when it is not an object at all", async () => {
    const { s3 } = await backends();
    await s3.send(new PutObjectCommand({ Bucket: saved.bucket, Key: "config/list.json", Body: "[]" }));
    process.env.CONFIG_KEY = "config/list.json";
    const err = await loadConfig(appConfigDocument).catch((e) => e);
    expect(err.name).to.equal("ConfigUnavailableError");
    expect(err.message).to.match(/does not match the schema: \(root\) /);
  });
});
