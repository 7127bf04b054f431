import * as z from "zod/mini";

/** The app's config document in the ConfigStore: config/<stack>.json from the repository, plus its secrets. */
export const appConfigDocument = z.object({
  report: z.object({ title: z.string().check(z.minLength(1)) }),
  secrets: z.object({ reportSigningKey: z.string().check(z.minLength(16)) }),
});

export type AppConfigDocument = z.infer<typeof appConfigDocument>;
