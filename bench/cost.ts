/**
 * Cost per million requests, per API route, from a captured plan and measured warm durations. The
 * plan says which function each route invokes (and which queue worker that function feeds), with its
 * memory and architecture; the benchmark measures how long each runs warm. The same figures are then
 * priced as the plan is (HTTP API, its architecture) and as the alternatives (REST API, x86_64).
 */
import { Graph } from "../graph/capture";
import { buildModel, findFunction, LocalFunction, LocalModel } from "../local/model";

export type ApiKind = "http" | "rest";
export type Architecture = "arm64" | "x86_64";

/** us-east-1 list prices (November 2026). CloudFront: $0.0100 per 10,000 HTTPS requests (US, Europe). */
export const PRICES = {
  lambdaRequestPerMillion: 0.2,
  gbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 } as Record<Architecture, number>,
  apiPerMillion: { http: 1.0, rest: 3.5 } as Record<ApiKind, number>,
  cloudFrontPerMillion: 1.0,
  /** Provisioned concurrency: per GB-second kept initialized, and per GB-second of duration while it serves. */
  provisionedGbSecond: { arm64: 0.0000033334, x86_64: 0.0000041667 } as Record<Architecture, number>,
  provisionedDurationGbSecond: { arm64: 0.0000077778, x86_64: 0.0000097222 } as Record<Architecture, number>,
  /** An interface VPC endpoint, per AZ per hour, and per GB it carries; gateway endpoints (DynamoDB, S3) are free. */
  interfaceEndpointHour: 0.01,
  interfaceEndpointGb: 0.01,
  /** A NAT gateway per hour, and per GB it carries. */
  natGatewayHour: 0.045,
  natGatewayGb: 0.045,
};

/** A private network's shape, as `network` config makes it: interface endpoints in each AZ, and NAT gateways. */
export interface NetworkShape {
  availabilityZones: number;
  interfaceEndpoints: number;
  natGateways: "None" | "Single" | "OnePerAz";
}

/**
 * What a network costs: a monthly floor (interface endpoints per AZ, NAT gateways) paid before the first
 * request, and per million requests the data they carry at `kbPerRequest` each way through an endpoint
 * (or, with NAT, the NAT gateway's price instead). Lambda's own price per request does not change.
 */
export function networkCost(n: NetworkShape, kbPerRequest: number): { monthlyFloor: number; perMillion: number } {
  const nats = n.natGateways === "None" ? 0 : n.natGateways === "Single" ? 1 : n.availabilityZones;
  const gbPerMillion = (kbPerRequest * 2 * 1e6) / (1024 * 1024);
  return {
    monthlyFloor: 730 * (n.interfaceEndpoints * n.availabilityZones * PRICES.interfaceEndpointHour + nats * PRICES.natGatewayHour),
    perMillion: gbPerMillion * (nats > 0 ? PRICES.natGatewayGb : PRICES.interfaceEndpointGb),
  };
}

/** Seconds in the month AWS prices by (730 hours). */
export const SECONDS_PER_MONTH = 730 * 3600;

export interface Invocation {
  functionName: string;
  memoryMb: number;
  architecture: Architecture;
  /** How the request reaches it: "route" or "queue <name>". */
  via: string;
}

export interface RouteCost {
  routeKey: string;
  /** The functions one request runs: the route's own, then the queue workers it feeds (one message each). */
  invocations: Invocation[];
}

/** A function kept warm by provisioned concurrency on its alias: what it costs whether or not it serves. */
export interface Provisioned {
  functionName: string;
  memoryMb: number;
  architecture: Architecture;
  /** Instances always initialized; auto scaling may add up to `max`. */
  min: number;
  max?: number;
}

export interface CostPlan {
  api: ApiKind;
  edge: boolean;
  routes: RouteCost[];
  provisioned: Provisioned[];
}

/** Which functions each route of the plan's API runs, read from the same model the local cloud runs. */
export function costPlan(graph: Graph): CostPlan {
  const model = buildModel(graph);
  const architectures = new Map(
    graph.resources
      .filter((r) => r.type === "aws:lambda/function:Function")
      .map((r) => [r.arn, ((r.inputs.architectures ?? [])[0] ?? "x86_64") as Architecture]),
  );
  const invocation = (fn: LocalFunction, via: string): Invocation => ({
    functionName: fn.name,
    memoryMb: fn.memoryMb,
    architecture: architectures.get(fn.arn) ?? "x86_64",
    via,
  });
  const routes: RouteCost[] = [];
  for (const api of model.apis) {
    for (const route of api.routes) {
      const invocations: Invocation[] = [];
      if (route.integration.type === "AWS_PROXY") {
        const fn = findFunction(model, route.integration.functionArn);
        if (fn)
          invocations.push(
            invocation(fn, "route"),
            ...fedWorkers(model, fn, new Set([fn.name])).map(([worker, queue]) => invocation(worker, `queue ${queue}`)),
          );
      }
      routes.push({ routeKey: route.routeKey, invocations });
    }
  }
  const api: ApiKind = graph.resources.some((r) => r.type === "aws:apigateway/restApi:RestApi") ? "rest" : "http";
  const scaling = graph.resources.filter((r) => r.type === "aws:appautoscaling/target:Target" && r.inputs.serviceNamespace === "lambda");
  const provisioned = graph.resources
    .filter((r) => r.type === "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")
    .flatMap((r): Provisioned[] => {
      const fn = findFunction(model, String(r.inputs.functionName));
      if (!fn) return [];
      const max = scaling.find((t) => t.inputs.resourceId === `function:${fn.name}:${r.inputs.qualifier}`)?.inputs.maxCapacity;
      return [{ ...invocation(fn, "provisioned"), min: r.inputs.provisionedConcurrentExecutions, ...(max ? { max } : {}) }].map(
        ({ via: _, ...p }) => p,
      );
    });
  return { api, edge: graph.resources.some((r) => r.type === "aws:cloudfront/distribution:Distribution"), routes, provisioned };
}

/**
 * What provisioned concurrency costs: `min` instances kept initialized all month, and a million
 * requests of `ms` each served by them (at the lower provisioned duration price) against on demand.
 */
export function provisionedCost(
  p: Provisioned,
  ms: number,
): { monthlyFloor: number; perMillionProvisioned: number; perMillionOnDemand: number } {
  const gb = p.memoryMb / 1024;
  const billed = Math.ceil(ms) / 1000;
  return {
    monthlyFloor: p.min * gb * SECONDS_PER_MONTH * PRICES.provisionedGbSecond[p.architecture],
    perMillionProvisioned: PRICES.lambdaRequestPerMillion + gb * billed * PRICES.provisionedDurationGbSecond[p.architecture] * 1e6,
    perMillionOnDemand: PRICES.lambdaRequestPerMillion + gb * billed * PRICES.gbSecond[p.architecture] * 1e6,
  };
}

/** The queue workers a function sends to (a queue URL in its environment), and theirs in turn. */
function fedWorkers(model: LocalModel, fn: LocalFunction, seen: Set<string>): [LocalFunction, string][] {
  const out: [LocalFunction, string][] = [];
  for (const queue of model.queues.filter((q) => Object.values(fn.environment).includes(q.cloudUrl))) {
    for (const mapping of model.eventSourceMappings.filter((m) => m.queueArn === queue.arn && m.enabled)) {
      const worker = findFunction(model, mapping.functionName);
      if (!worker || seen.has(worker.name)) continue;
      seen.add(worker.name);
      out.push([worker, queue.name], ...fedWorkers(model, worker, seen));
    }
  }
  return out;
}

/** Dollars per million requests to `route`, priced with `api` and `architecture`; durations are warm medians in ms by function. */
export function costPerMillion(
  route: RouteCost,
  durations: Record<string, number>,
  api: ApiKind,
  architecture: Architecture,
  edge: boolean,
): number {
  let dollars = PRICES.apiPerMillion[api] + (edge ? PRICES.cloudFrontPerMillion : 0);
  for (const call of route.invocations) {
    const ms = durations[call.functionName];
    if (ms === undefined) throw new Error(`no warm duration measured for ${call.functionName} (route ${route.routeKey})`);
    // Lambda bills duration rounded up to the millisecond, at memory/1024 GB.
    const gbSeconds = (call.memoryMb / 1024) * (Math.ceil(ms) / 1000);
    dollars += PRICES.lambdaRequestPerMillion + gbSeconds * PRICES.gbSecond[architecture] * 1e6;
  }
  return dollars;
}

/** The plan's own pricing first, then the other three combinations of API kind and architecture. */
export function variants(plan: CostPlan): { api: ApiKind; architecture: Architecture; label: string }[] {
  const own = plan.routes.flatMap((r) => r.invocations)[0]?.architecture ?? "arm64";
  const all = (["http", "rest"] as ApiKind[]).flatMap((api) =>
    (["arm64", "x86_64"] as Architecture[]).map((architecture) => ({ api, architecture })),
  );
  const label = (v: { api: ApiKind; architecture: Architecture }) => `${v.api === "http" ? "HTTP API" : "REST API"}, ${v.architecture}`;
  const ordered = [
    ...all.filter((v) => v.api === plan.api && v.architecture === own),
    ...all.filter((v) => !(v.api === plan.api && v.architecture === own)),
  ];
  return ordered.map((v, i) => ({ ...v, label: i === 0 ? `${label(v)} (this plan)` : label(v) }));
}
