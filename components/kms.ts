import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { kept } from "./child";
import { policyDocument, PolicyStatement } from "./iam";

export interface CustomerKeyArgs {
  description: string;
  /** Statements besides the account's own administration: services that may use the key. @default none */
  statements?: pulumi.Input<PolicyStatement>[];
  /** Protect the key and keep it when the stack is destroyed. @default true */
  protect?: boolean;
}

/**
 * A customer-managed KMS key as the platform makes them: yearly rotation, the longest deletion window,
 * and a key policy in which the account administers the key; who else may use it is said explicitly.
 */
export function customerKey(name: string, args: CustomerKeyArgs, parent: pulumi.Resource): aws.kms.Key {
  const account = aws.getCallerIdentityOutput({}, { parent }).accountId;
  const protect = args.protect ?? true;
  return new aws.kms.Key(
    name,
    {
      description: args.description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        {
          Sid: "AccountAdministersKey",
          Principal: { AWS: pulumi.interpolate`arn:aws:iam::${account}:root` },
          Action: ["kms:*"],
          Resource: "*",
        },
        ...(args.statements ?? []),
      ]),
    },
    { parent, ...kept(protect) },
  );
}
