/**
 * What every component offers for its children: SST-style transforms, and the one meaning of `protect`.
 * See docs/components.md.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * Adjusts one child before it is created: an object merged over the child's args, or a function that
 * edits its args and options in place (or returns new args). It sees the child's name, and never
 * replaces what the component needs to keep the child working, such as its parent.
 */
export type Transform<Args> = Partial<Args> | ((args: Args, opts: pulumi.CustomResourceOptions, name: string) => Args | void);

/** `[name, args, opts]` for a child's constructor, with the transform applied. */
export function transformed<Args>(
  transform: Transform<Args> | undefined,
  name: string,
  args: Args,
  opts: pulumi.CustomResourceOptions,
): [string, Args, pulumi.CustomResourceOptions] {
  if (transform === undefined) return [name, args, opts];
  if (typeof transform === "function") return [name, transform(args, opts, name) ?? args, opts];
  return [name, { ...args, ...transform }, opts];
}

/** "Protect and keep on destroy", which is what `protect` means in every component: both options at once. */
export function kept(protect: boolean): { protect: boolean; retainOnDelete: boolean } {
  return { protect, retainOnDelete: protect };
}

/** A name fragment from content ("a.b@example.com" -> "a-b-example-com"), for children keyed by what they hold. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "root"
  );
}

/** Slugs for a list of values, refusing two values that would share one: a child's name must be its own. */
export function uniqueSlugs(owner: string, values: string[]): string[] {
  const slugs = values.map(slug);
  const clash = slugs.findIndex((s, i) => slugs.indexOf(s) !== i);
  if (clash >= 0)
    throw new Error(
      `${owner}: "${values[slugs.indexOf(slugs[clash])]}" and "${values[clash]}" would name the same child (${slugs[clash]})`,
    );
  return slugs;
}
