/**
 * The plan document (contract: docs/plan-document.md): every registered resource with
 * its inputs as passed, its assigned identity and its options, plus the stack outputs and policy
 * results. Secrets print as "[secret]"; artifacts print as their hash and size, not their bytes.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey, unknownValue } from "./sdk-internals";
import type { CapturedResource, Graph } from "./capture";
import type { Violation } from "./policy-runner";

export const SECRET = "[secret]";

/** A captured resource as the contract lists it: the offline outputs left out, inputs made JSON-safe. */
export type PlanResource = Omit<CapturedResource, "state" | "inputs"> & { inputs: Record<string, unknown> };

export interface PlanDocument {
  project: string;
  stack: string;
  resources: PlanResource[];
  outputs: Record<string, unknown>;
  policies: Violation[];
}

function describeText(text: string) {
  return { sha256: crypto.createHash("sha256").update(text).digest("hex"), bytes: Buffer.byteLength(text) };
}

/** A JSON-safe copy of a captured value. */
export async function toPlain(value: unknown): Promise<unknown> {
  if (value === undefined || value === unknownValue) return null;
  if (value === null || typeof value !== "object") return value;
  if ((value as any)[specialSigKey] === specialSecretSig) return SECRET;
  if (pulumi.asset.Asset.isInstance(value)) {
    const asset = value as any;
    if (asset.text !== undefined) return { asset: describeText(await asset.text) };
    if (asset.path !== undefined) return { asset: { path: await asset.path } };
    return { asset: { uri: await asset.uri } };
  }
  if (pulumi.asset.Archive.isInstance(value)) {
    const archive = value as any;
    if (archive.assets !== undefined) {
      const assets = await archive.assets;
      const files: Record<string, unknown> = {};
      for (const name of Object.keys(assets).sort()) files[name] = ((await toPlain(assets[name])) as any).asset ?? null;
      return { archive: files };
    }
    return { archive: { path: (await archive.path) ?? null } };
  }
  if (pulumi.Resource.isInstance(value)) return await new Promise((resolve) => (value as pulumi.Resource).urn.apply(resolve));
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map(toPlain));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = await toPlain(inner);
  return out;
}

export async function toPlanDocument(graph: Graph, policies: Violation[]): Promise<PlanDocument> {
  const resources: PlanResource[] = [];
  for (const r of graph.resources) {
    resources.push({
      urn: r.urn,
      type: r.type,
      name: r.name,
      id: r.id,
      arn: r.arn,
      parent: r.parent,
      custom: r.custom,
      ...(r.remote ? { remote: true } : {}),
      provider: r.provider,
      inputs: (await toPlain(r.inputs)) as Record<string, unknown>,
      options: r.options,
    });
  }
  return {
    project: graph.project,
    stack: graph.stack,
    resources,
    outputs: (await toPlain(graph.outputs)) as Record<string, unknown>,
    policies,
  };
}
