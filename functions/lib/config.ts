import { ENV } from "../../policy/contracts";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import * as z from "zod/mini";
import { requireEnv } from "./env";
import { logger } from "./instrument";

/**
 * The stack's config document from the ConfigStore bucket (CONFIG_BUCKET, CONFIG_KEY). It is fetched
 * on first use and cached for CONFIG_TTL_SECONDS (default 300): one S3 GET per warm container per
 * TTL, not per request. It fails closed: a missing or malformed document throws, and is logged with
 * its bucket and key, instead of running on defaults.
 */
export class ConfigUnavailableError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
    reason: string,
  ) {
    super(`config s3://${bucket}/${key} is unavailable: ${reason}`);
    this.name = "ConfigUnavailableError";
  }
}

let s3: S3Client | undefined;
let cached: { value: unknown; fetchedAt: number } | undefined;

/** The S3 client the loader uses; created on first use. */
export function configS3Client(): S3Client {
  s3 ??= new S3Client({});
  return s3;
}

/** Forgets the cached document, as a new container would. */
export function resetConfigCache(): void {
  cached = undefined;
}

/** The document, checked against `schema` (a zod/mini schema: the full zod would triple a bundle). */
export async function loadConfig<T extends z.ZodMiniType>(schema: T): Promise<z.infer<T>> {
  const ttlMs = Number(process.env[ENV.configTtlSeconds] ?? 300) * 1000;
  if (!cached || Date.now() - cached.fetchedAt >= ttlMs) cached = { value: await fetchDocument(), fetchedAt: Date.now() };
  const parsed = z.safeParse(schema, cached.value);
  if (!parsed.success) {
    const error = new ConfigUnavailableError(
      requireEnv(ENV.configBucket),
      requireEnv(ENV.configKey),
      `it does not match the schema: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join("; ")}`,
    );
    cached = undefined;
    logger.error("config invalid", { error });
    throw error;
  }
  return parsed.data;
}

async function fetchDocument(): Promise<unknown> {
  const bucket = requireEnv(ENV.configBucket);
  const key = requireEnv(ENV.configKey);
  let text: string;
  try {
    const object = await configS3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = await object.Body!.transformToString();
  } catch (err) {
    const error = new ConfigUnavailableError(bucket, key, `${(err as Error).name}: ${(err as Error).message}`);
    logger.error("config unavailable", { error });
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const error = new ConfigUnavailableError(bucket, key, `it is not valid JSON (${(err as Error).message})`);
    logger.error("config unavailable", { error });
    throw error;
  }
}
