import * as pulumi from "@pulumi/pulumi";
import { Function } from "./function";
import { Schedule } from "./schedule";

/** The event a warmer sends; `functions/lib/warmer.ts` recognises it and returns before any work. */
export const WARMER_EVENT = { warmer: true } as const;

/** Keeps chosen functions warm by invoking them on a schedule with a warm-up payload. */
export interface WarmerArgs {
  /** Functions to keep warm (up to 5 per warmer). */
  functions: Function[];
  /** How often to invoke them. @default "rate(5 minutes)" */
  schedule?: string;
}

export class Warmer extends Schedule {
  constructor(name: string, args: WarmerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      name,
      {
        schedule: args.schedule ?? "rate(5 minutes)",
        description: "Keeps functions warm with a warm-up payload",
        targets: args.functions.map((fn) => ({ function: fn, input: JSON.stringify(WARMER_EVENT) })),
      },
      opts,
      "platform:latency:Warmer",
    );
  }
}
