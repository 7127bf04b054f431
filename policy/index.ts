/**
 * The CrossGuard pack: `pulumi preview --policy-pack policy [--policy-pack-config policy/config.<env>.json]`.
 * Mandatory by default; `config.dev.json` makes every policy advisory for dev stacks.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("platform", { enforcementLevel: "mandatory", policies });
