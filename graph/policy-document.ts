/**
 * `aws.iam.getPolicyDocument` as the provider answers it, for the capture's mocks: the statements a program
 * writes as data, rendered as the JSON policy document. A program that hands its result's `json` to a role
 * or a policy gets the document it would get from `pulumi up`, so the policy pack and the local cloud's IAM
 * read what AWS would be given.
 *
 * Ported as behaviour from hashicorp/terraform-provider-aws (which pulumi-aws bridges):
 * internal/service/iam/policy_document_data_source.go (defaults, validation, `&{` to `${`, merging source
 * and override documents by Sid) and internal/service/iam/policy_model.go (how each element is written:
 * one value as a string, several sorted in reverse; `{"*": "*"}` as `"*"`; condition values in their
 * order, merged per test and variable). The JSON is Go's: map keys sorted, `<`, `>` and `&` escaped, two
 * spaces of indent for `json`, none for `minifiedJson`; the id is the CRC-32 of `json`.
 */
import { crc32 } from "zlib";

type Values = string | string[];
interface Principal {
  type: string;
  identifiers: Values;
}
interface Condition {
  test: string;
  variable: string;
  values: Values;
}
interface Statement {
  sid: string;
  effect: string;
  actions?: Values;
  notActions?: Values;
  resources?: Values;
  notResources?: Values;
  principals?: Principal[];
  notPrincipals?: Principal[];
  conditions?: Condition[];
}
interface Doc {
  version: string;
  id: string;
  statements: Statement[];
}

const VERSIONS = ["2008-10-17", "2012-10-17"];

/** One value as itself, several (a set: each once) sorted in reverse, as the provider writes a list of the config. */
function decodeStrings(list: unknown[]): Values {
  const values = [...new Set(list.map(String))];
  return values.length === 1 ? values[0] : values.sort().reverse();
}

/** `&{aws:username}` is how a policy variable is written in the config; the document gets `${aws:username}`. */
function replaceVars(values: Values, version: string): Values {
  const replace = (v: string) => {
    if (version === "2008-10-17" && v.includes("&{"))
      throw new Error(`found &{ sequence in (${v}), which is not supported in document version 2008-10-17`);
    return v.split("&{").join("${");
  };
  return typeof values === "string" ? replace(values) : values.map(replace);
}

const present = (list: unknown): list is unknown[] => Array.isArray(list) && list.length > 0;

/** The statements a program wrote (`statements` of getPolicyDocument's arguments). */
function statementsOf(args: Record<string, any>, version: string): Statement[] {
  const seen = new Set<string>();
  return (args.statements ?? []).map((s: Record<string, any>): Statement => {
    const sid = String(s.sid ?? "");
    if (!/^[a-zA-Z0-9]*$/.test(sid)) throw new Error(`invalid value for sid (${sid}): must only include alphanumeric characters`);
    if (sid && seen.has(sid))
      throw new Error(`writing IAM Policy Document: duplicate Sid (${sid}). Remove the Sid or ensure the Sid is unique.`);
    seen.add(sid);
    const effect = String(s.effect ?? "Allow");
    if (effect !== "Allow" && effect !== "Deny") throw new Error(`expected effect to be one of ["Allow" "Deny"], got ${effect}`);
    const principals = (list: unknown) =>
      present(list)
        ? (list as Record<string, any>[]).map((p) => ({
            type: String(p.type),
            identifiers: replaceVars(decodeStrings(p.identifiers ?? []), version),
          }))
        : undefined;
    return {
      sid,
      effect,
      actions: present(s.actions) ? decodeStrings(s.actions) : undefined,
      notActions: present(s.notActions) ? decodeStrings(s.notActions) : undefined,
      resources: present(s.resources) ? replaceVars(decodeStrings(s.resources), version) : undefined,
      notResources: present(s.notResources) ? replaceVars(decodeStrings(s.notResources), version) : undefined,
      principals: principals(s.principals),
      notPrincipals: principals(s.notPrincipals),
      conditions: present(s.conditions)
        ? (s.conditions as Record<string, any>[]).map((c) => {
            const values = replaceVars((c.values ?? []).map(String), version) as string[];
            return { test: String(c.test), variable: String(c.variable), values: values.length === 1 ? values[0] : values };
          })
        : undefined,
    };
  });
}

/** A document given as JSON (`sourcePolicyDocuments`, `overridePolicyDocuments`), read as the provider reads it. */
function parseDocument(json: string, what: string): Doc {
  let raw: any;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`writing IAM Policy Document: merging ${what}: ${(err as Error).message}`);
  }
  const list = (value: unknown): Values | undefined =>
    value === undefined ? undefined : Array.isArray(value) ? value.map(String) : String(value);
  const principals = (value: unknown): Principal[] | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === "string") return [{ type: "*", identifiers: ["*"] }];
    return Object.entries(value as Record<string, unknown>).map(([type, ids]) => ({
      type,
      identifiers: Array.isArray(ids) ? ids.map(String).sort() : String(ids),
    }));
  };
  const statements = ([] as any[]).concat(raw.Statement ?? []).map((s): Statement => ({
    sid: String(s.Sid ?? ""),
    effect: s.Effect === undefined ? "" : String(s.Effect),
    actions: list(s.Action),
    notActions: list(s.NotAction),
    resources: list(s.Resource),
    notResources: list(s.NotResource),
    principals: principals(s.Principal),
    notPrincipals: principals(s.NotPrincipal),
    conditions: s.Condition
      ? Object.entries(s.Condition as Record<string, Record<string, unknown>>).flatMap(([test, variables]) =>
          Object.entries(variables).map(([variable, values]) => ({
            test,
            variable,
            values: Array.isArray(values) ? values.map(String) : typeof values === "boolean" ? String(values) : [String(values)],
          })),
        )
      : undefined,
  }));
  return { version: String(raw.Version ?? ""), id: String(raw.Id ?? ""), statements };
}

/** Merges `next` into `doc`: its Id, a newer Version, its statements replacing those of the same Sid. */
function merge(doc: Doc, next: Doc): void {
  if (next.id) doc.id = next.id;
  if (next.version > doc.version) doc.version = next.version;
  for (const statement of next.statements) {
    const at = statement.sid ? doc.statements.findIndex((s) => s.sid === statement.sid) : -1;
    if (at >= 0) doc.statements[at] = statement;
    else doc.statements.push(statement);
  }
}

/** One value or several, as a list. */
const asList = (values: Values | undefined): string[] => (values === undefined ? [] : typeof values === "string" ? [values] : values);

/** A map as Go writes one: keys sorted. */
const sortedKeys = <T>(map: Map<string, T>): Record<string, T> =>
  Object.fromEntries([...map.keys()].sort().map((key) => [key, map.get(key)!]));

function principalJson(set: Principal[]): unknown {
  if (set.length === 1 && set[0].type === "*") {
    const ids = set[0].identifiers;
    if (ids === "*" || (Array.isArray(ids) && ids.length === 1 && ids[0] === "*")) return "*";
  }
  const raw = new Map<string, Values>();
  for (const { type, identifiers } of set) {
    const existing = raw.get(type);
    if (Array.isArray(identifiers)) raw.set(type, [...asList(existing), ...[...identifiers].sort().reverse()]);
    else raw.set(type, existing === undefined ? identifiers : [...asList(existing), identifiers]);
  }
  return sortedKeys(raw);
}

function conditionJson(set: Condition[]): unknown {
  const raw = new Map<string, Map<string, string[]>>();
  for (const { test, variable, values } of set) {
    const variables = raw.get(test) ?? new Map<string, string[]>();
    raw.set(test, variables);
    variables.set(variable, [...(variables.get(variable) ?? []), ...asList(values)]);
  }
  const flat = new Map(
    [...raw].map(([test, variables]) => [
      test,
      sortedKeys(new Map([...variables].map(([v, items]) => [v, items.length === 1 ? items[0] : items]))),
    ]),
  );
  return sortedKeys(flat);
}

/** The document as the provider marshals it: fields in their order, the empty ones left out. */
function documentJson(doc: Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (doc.version) out.Version = doc.version;
  if (doc.id) out.Id = doc.id;
  if (doc.statements.length)
    out.Statement = doc.statements.map((s) => {
      const statement: Record<string, unknown> = {};
      if (s.sid) statement.Sid = s.sid;
      if (s.effect) statement.Effect = s.effect;
      const set = (key: string, value: Values | undefined) => {
        if (value !== undefined && value.length > 0) statement[key] = value;
      };
      set("Action", s.actions);
      set("NotAction", s.notActions);
      set("Resource", s.resources);
      set("NotResource", s.notResources);
      if (s.principals?.length) statement.Principal = principalJson(s.principals);
      if (s.notPrincipals?.length) statement.NotPrincipal = principalJson(s.notPrincipals);
      if (s.conditions?.length) statement.Condition = conditionJson(s.conditions);
      return statement;
    });
  return out;
}

/** Go's encoding/json escapes these in every string, for HTML safety. */
const goEscape = (json: string) => json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** getPolicyDocument's result for these arguments: `json`, `minifiedJson` and `id`, the arguments echoed. */
export function policyDocument(args: Record<string, any>): Record<string, unknown> {
  const version = String(args.version ?? "2012-10-17");
  if (!VERSIONS.includes(version)) throw new Error(`expected version to be one of ${JSON.stringify(VERSIONS)}, got ${version}`);
  const merged: Doc = { version: "", id: "", statements: [] };
  const sids = new Set<string>();
  for (const [i, source] of (args.sourcePolicyDocuments ?? []).entries()) {
    if (source === undefined || source === null || source === "") continue;
    const doc = parseDocument(String(source), `source document ${i}`);
    for (const [n, s] of doc.statements.entries()) {
      if (!s.sid) continue;
      if (sids.has(s.sid))
        throw new Error(
          `writing IAM Policy Document: merging source document ${i}: duplicate Sid (${s.sid}) in source_policy_documents (statement ${n}). Remove the Sid or ensure Sids are unique.`,
        );
      sids.add(s.sid);
    }
    merge(merged, doc);
  }
  merge(merged, { version, id: String(args.policyId ?? ""), statements: statementsOf(args, version) });
  for (const [i, override] of (args.overridePolicyDocuments ?? []).entries()) {
    if (override === undefined || override === null || override === "") continue;
    merge(merged, parseDocument(String(override), `override document ${i}`));
  }
  const body = documentJson(merged);
  const json = goEscape(JSON.stringify(body, null, 2));
  return { ...args, version, json, minifiedJson: goEscape(JSON.stringify(body)), id: String(crc32(json)) };
}
