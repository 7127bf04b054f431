import * as pulumi from "@pulumi/pulumi";

/** One IAM policy statement, with resources scoped by ARN. */
export interface PolicyStatement {
  Sid?: string;
  Effect?: "Allow" | "Deny";
  Action: string[];
  Resource: pulumi.Input<string> | pulumi.Input<string>[];
  Principal?: unknown;
  Condition?: Record<string, unknown>;
}

/** A policy document as a JSON string, resolving any Output inside the statements. */
export function policyDocument(statements: pulumi.Input<PolicyStatement>[]): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => pulumi.output(s).apply((st) => ({ Effect: "Allow", ...st }))),
  });
}

/** The trust policy of a role that `service` assumes, optionally only on behalf of `sourceAccount`. */
export function trustPolicy(service: pulumi.Input<string>, sourceAccount?: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(sourceAccount ? { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } } : {}),
      },
    ],
  });
}

/** Denies every request to `arns` of `service` (e.g. "sqs", "s3") that does not arrive over TLS. */
export function denyInsecureTransport(service: string, arns: pulumi.Input<string>[]): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: [`${service}:*`],
    Resource: arns,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
