/**
 * `npm start -- --persist`: what the local cloud holds outlives a restart, under
 * `.build/local/<stack>/data`. Tables persist as they change (dynalite on LevelDB); queues' messages and
 * buckets' objects are written when the local cloud stops, and put back after the next start creates
 * what the graph declares. A message comes back with a new id and a receive count of zero, as if sent
 * again; an object the program also declares keeps its saved content, which is the newer. Events accepted
 * and not yet delivered (local/pending.ts) are saved too, and taken up again once the functions run.
 */
import * as fs from "fs";
import * as path from "path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { Emulators, QueuedMessage } from "./emulators";
import type { LocalModel } from "./model";
import { PendingDelivery, readPending } from "./pending";
import type { Clients, Provisioned } from "./provision";

interface Saved {
  queues: Record<string, QueuedMessage[]>;
  objects: Record<string, { key: string; file: string; contentType?: string }[]>;
  /** Absent in state files written before pending events were saved. */
  pending?: PendingDelivery[];
}

const stateFile = (dataDir: string) => path.join(dataDir, "state.json");

/** A saved state that cannot be read: bad input, said with the file and what to do, never restored in part. */
export class StateFileError extends Error {
  constructor(file: string, why: string) {
    super(`${file} is not the JSON --persist writes (${why}); move it away to start without the saved state`);
    this.name = "StateFileError";
  }
}

/** Writes every queue's messages, every bucket's objects and the events not yet delivered under `dataDir`. */
export async function saveState(
  dataDir: string,
  model: LocalModel,
  emulators: Emulators,
  clients: Clients,
  pending: PendingDelivery[],
): Promise<{ messages: number; objects: number; pending: number }> {
  const saved: Saved = { queues: {}, objects: {}, pending };
  for (const queue of model.queues) saved.queues[queue.name] = emulators.queueMessages(queue.name);
  const objectsDir = path.join(dataDir, "s3");
  fs.rmSync(objectsDir, { recursive: true, force: true });
  let n = 0;
  for (const bucket of model.buckets) {
    saved.objects[bucket.name] = [];
    let token: string | undefined;
    do {
      const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket.name, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const got = await clients.s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: object.Key! }));
        const file = path.join(objectsDir, String(n++));
        fs.mkdirSync(objectsDir, { recursive: true });
        fs.writeFileSync(file, Buffer.from(await got.Body!.transformToByteArray()));
        saved.objects[bucket.name].push({ key: object.Key!, file: path.relative(dataDir, file), contentType: got.ContentType });
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(stateFile(dataDir), JSON.stringify(saved));
  return { messages: Object.values(saved.queues).reduce((sum, list) => sum + list.length, 0), objects: n, pending: pending.length };
}

/**
 * Puts back what `saveState` wrote, into the queues and buckets the graph still declares; reports what it
 * could not. The events not yet delivered come back for the caller to take up once its functions run.
 */
export async function restoreState(
  dataDir: string,
  model: LocalModel,
  clients: Clients,
  provisioned: Provisioned,
): Promise<{ messages: number; objects: number; pending: PendingDelivery[]; dropped: string[] }> {
  const result = { messages: 0, objects: 0, pending: [] as PendingDelivery[], dropped: [] as string[] };
  if (!fs.existsSync(stateFile(dataDir))) return result;
  let saved: Saved;
  try {
    saved = JSON.parse(fs.readFileSync(stateFile(dataDir), "utf8")) as Saved;
  } catch (err) {
    // Nothing is restored, and nothing overwritten: the local cloud does not start on a state it cannot read.
    throw new StateFileError(stateFile(dataDir), (err as Error).message);
  }
  const isRecord = (value: unknown) => value !== null && typeof value === "object" && !Array.isArray(value);
  if (!isRecord(saved) || !isRecord(saved.queues) || !isRecord(saved.objects))
    throw new StateFileError(stateFile(dataDir), "it has no queues and objects to restore");
  const pending = readPending(saved.pending);
  result.pending = pending.entries;
  result.dropped.push(...pending.refused.map((why) => `${why} (not an event this build saves)`));
  for (const [name, messages] of Object.entries(saved.queues)) {
    const queue = model.queues.find((q) => q.name === name);
    if (!queue) {
      if (messages.length) result.dropped.push(`${messages.length} message(s) of queue ${name}, which the graph no longer declares`);
      continue;
    }
    for (const m of messages) {
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: provisioned.queueUrls.get(queue.arn),
          MessageBody: m.body,
          MessageAttributes: Object.keys(m.messageAttributes).length ? (m.messageAttributes as never) : undefined,
          MessageGroupId: m.messageGroupId,
          MessageDeduplicationId: m.messageDeduplicationId,
          // Sent as SQS's own attribute, so local/sqs-trace.ts keeps it for the new message as it kept it for the old.
          MessageSystemAttributes: m.traceHeader ? { AWSTraceHeader: { DataType: "String", StringValue: m.traceHeader } } : undefined,
        }),
      );
      result.messages++;
    }
  }
  for (const [bucket, objects] of Object.entries(saved.objects)) {
    if (!model.buckets.some((b) => b.name === bucket)) {
      if (objects.length) result.dropped.push(`${objects.length} object(s) of bucket ${bucket}, which the graph no longer declares`);
      continue;
    }
    for (const object of objects) {
      const body = fs.readFileSync(path.join(dataDir, object.file));
      await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: body, ContentType: object.contentType }));
      result.objects++;
    }
  }
  return result;
}
