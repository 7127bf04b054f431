import * as pulumi from "@pulumi/pulumi";
import { WARMER_INPUT } from "../policy/contracts";
import { LambdaFunction } from "./lambda-function";
import { Schedule, ScheduleArgs } from "./schedule";

/** Keeps chosen functions warm by invoking them on a schedule with a warm-up payload. */
export interface WarmerArgs {
  /** Functions to keep warm (up to 5 per warmer). */
  functions: LambdaFunction[];
  /** How often to invoke them. @default "rate(5 minutes)" */
  schedule?: string;
  /** Topic for the alarm on the warmer's dead-letter queue. */
  alertTopicArn: pulumi.Input<string>;
  /** Protect the DLQ and keep it on destroy. @default true */
  protect?: boolean;
  /** Adjusts a child before it is created. @default none */
  transform?: ScheduleArgs["transform"];
}

export class Warmer extends Schedule {
  constructor(name: string, args: WarmerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      name,
      {
        schedule: args.schedule ?? "rate(5 minutes)",
        description: "Keeps functions warm with a warm-up payload",
        targets: args.functions.map((fn) => ({ function: fn, input: WARMER_INPUT })),
        alertTopicArn: args.alertTopicArn,
        protect: args.protect,
        // A lost warm-up costs one cold start: EventBridge tries once more, then keeps it for a look.
        retryAttempts: 1,
        transform: args.transform,
      },
      opts,
      "platform:latency:Warmer",
    );
  }
}
