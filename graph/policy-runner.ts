/**
 * Evaluates the CrossGuard policies of `policy/policies.ts` on a captured graph, the way the Pulumi
 * engine would call them, so the offline preview and `pulumi preview --policy-pack` share one implementation.
 */
import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { Policy, policies as platformPolicies } from "../policy/policies";
import { CapturedResource, revealSecrets } from "./capture";

export type Enforcement = "mandatory" | "advisory";

export interface Violation {
  policy: string;
  enforcement: Enforcement;
  urn: string | null;
  message: string;
}

export interface PolicyRun {
  /** Per-policy config, as a `--policy-pack-config` file gives it. */
  config?: Record<string, Record<string, unknown>>;
  enforcement: Enforcement;
  policies?: Policy[];
}

function toPolicyResources(resources: CapturedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  // Custom resources, and remote components (awsx's Vpc), which the analyzer sees with their inputs and outputs.
  const out = resources
    .filter((r) => r.custom || r.remote)
    .map((r) => {
      const resource = {
        type: r.type,
        name: r.name,
        urn: r.urn,
        // Outputs as the offline run assigned them: inputs plus id, ARN and computed attributes.
        props: { ...revealSecrets(r.state), id: r.id },
        opts: {
          protect: r.options.protect,
          retainOnDelete: r.options.retainOnDelete,
          ignoreChanges: r.options.ignoreChanges ?? [],
          aliases: [],
          additionalSecretOutputs: [],
          parent: r.parent ?? undefined,
          customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        },
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
      } as unknown as PolicyResource;
      byUrn.set(r.urn, resource);
      return resource;
    });
  // As the engine hands them over: dependencies are every resource this one depends on (its properties'
  // and dependsOn), and propertyDependencies each input's own.
  const resourcesOf = (urns: string[]) => urns.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
  for (const r of resources) {
    const resource = byUrn.get(r.urn) as
      { dependencies: PolicyResource[]; propertyDependencies: Record<string, PolicyResource[]> } | undefined;
    if (!resource) continue;
    const properties = r.propertyDependencies ?? {};
    resource.dependencies = resourcesOf([...new Set([...r.options.dependsOn, ...Object.values(properties).flat()])]);
    resource.propertyDependencies = Object.fromEntries(Object.entries(properties).map(([key, urns]) => [key, resourcesOf(urns)]));
  }
  return out;
}

export async function evaluatePolicies(resources: CapturedResource[], run: PolicyRun): Promise<Violation[]> {
  const violations: Violation[] = [];
  const policyResources = toPolicyResources(resources);
  for (const policy of run.policies ?? platformPolicies) {
    const config = { ...(run.config?.[policy.name] ?? {}) };
    const common = { getConfig: <T>() => config as T, notApplicable: () => undefined, stackTags: new Map<string, string>() };
    const reporter =
      (fallbackUrn: string | null): ReportViolation =>
      (message, urn) =>
        violations.push({ policy: policy.name, enforcement: run.enforcement, urn: urn ?? fallbackUrn, message });
    if ("validateResource" in policy && policy.validateResource) {
      const validators = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
      for (const resource of policyResources) {
        for (const validate of validators) await validate({ ...resource, ...common } as any, reporter(resource.urn));
      }
    }
    if ("validateStack" in policy && policy.validateStack) {
      await policy.validateStack({ resources: policyResources, ...common } as any, reporter(null));
    }
  }
  return violations;
}
