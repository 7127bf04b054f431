/**
 * API Gateway HTTP API route selection: the most specific route wins. Segment by segment, a literal
 * beats a path variable, which beats a greedy `{proxy+}`; then a method beats ANY; `$default` catches
 * whatever is left.
 */
export type Segment = { kind: "literal"; value: string } | { kind: "param"; name: string } | { kind: "greedy"; name: string };

export interface CompiledRoute<T> {
  routeKey: string;
  method: string;
  segments: Segment[];
  target: T;
}

export interface RouteMatch<T> {
  route: CompiledRoute<T>;
  pathParameters?: Record<string, string>;
}

const RANK = { literal: 0, param: 1, greedy: 2 } as const;

export function compileRoute<T>(routeKey: string, target: T): CompiledRoute<T> {
  if (routeKey === "$default") return { routeKey, method: "$default", segments: [], target };
  const [method, path] = routeKey.split(" ");
  // The model refused any key API Gateway refuses (policy/route-key.ts), so no part here is empty.
  const segments = (path === "/" ? [] : path.split("/").slice(1)).map((s): Segment => {
    const variable = s.match(/^\{([^}]+?)(\+)?\}$/);
    if (!variable) return { kind: "literal", value: s };
    return variable[2] ? { kind: "greedy", name: variable[1] } : { kind: "param", name: variable[1] };
  });
  return { routeKey, method, segments, target };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function matchPath(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.kind === "greedy") {
      // The rest of the path as sent, inner empty parts and all; an empty rest matches no greedy variable.
      const rest = parts.slice(i).join("/");
      if (rest === "") return undefined;
      params[segment.name] = decode(rest);
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.kind === "literal") {
      if (segment.value !== part) return undefined;
    } else {
      if (part === "") return undefined;
      params[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

function compare<T>(a: CompiledRoute<T>, b: CompiledRoute<T>): number {
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const ra = a.segments[i] ? RANK[a.segments[i].kind] : -1;
    const rb = b.segments[i] ? RANK[b.segments[i].kind] : -1;
    if (ra !== rb) return ra - rb;
  }
  return (a.method === "ANY" ? 1 : 0) - (b.method === "ANY" ? 1 : 0);
}

export class RouteTable<T> {
  private readonly routes: CompiledRoute<T>[];
  private readonly fallback?: CompiledRoute<T>;

  constructor(routes: { routeKey: string; target: T }[]) {
    const compiled = routes.map((r) => compileRoute(r.routeKey, r.target));
    this.fallback = compiled.find((r) => r.method === "$default");
    this.routes = compiled.filter((r) => r.method !== "$default").sort(compare);
  }

  match(method: string, path: string): RouteMatch<T> | undefined {
    const parts = path === "/" ? [] : path.split("/").slice(1);
    for (const route of this.routes) {
      if (route.method !== "ANY" && route.method !== method) continue;
      const params = matchPath(route.segments, parts);
      if (params) return { route, pathParameters: Object.keys(params).length > 0 ? params : undefined };
    }
    return this.fallback ? { route: this.fallback } : undefined;
  }
}
