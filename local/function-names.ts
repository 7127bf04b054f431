/**
 * The function a name refers to, among `names`: the full name (platform-dev-create-order) or the
 * short one a stack's names end with (create-order). Shared by the local cloud and the tools.
 */
export function functionNamed(names: string[], ref: string): string | undefined {
  return names.find((n) => n === ref) ?? names.find((n) => n.endsWith(`-${ref}`));
}
