import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { kept, Transform, transformed } from "./child";

/** A DynamoDB table keyed by one string attribute: on-demand, encrypted, recoverable. */
export interface TableArgs {
  /** The partition key attribute (a string). */
  hashKey: string;
  /** Attribute that holds an expiry time in epoch seconds. @default none */
  ttlAttribute?: string;
  /** Point-in-time recovery (35 days of restores). @default true */
  pointInTimeRecovery?: boolean;
  /** Refuse DeleteTable, even from Pulumi, until switched off. @default true */
  deletionProtection?: boolean;
  /** Protect the table and keep it when the stack is destroyed. @default true */
  protect?: boolean;
  /** Adjusts the table before it is created. @default none */
  transform?: { table?: Transform<aws.dynamodb.TableArgs> };
}

export class Table extends pulumi.ComponentResource {
  public readonly table: aws.dynamodb.Table;
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: TableArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:data:Table", name, {}, opts);
    this.table = new aws.dynamodb.Table(
      ...transformed(
        args.transform?.table,
        name,
        {
          billingMode: "PAY_PER_REQUEST",
          hashKey: args.hashKey,
          attributes: [{ name: args.hashKey, type: "S" }],
          serverSideEncryption: { enabled: true },
          pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? true },
          deletionProtectionEnabled: args.deletionProtection ?? true,
          ttl: args.ttlAttribute ? { attributeName: args.ttlAttribute, enabled: true } : undefined,
        },
        { parent: this, ...kept(args.protect ?? true) },
      ),
    );
    this.name = this.table.name;
    this.arn = this.table.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
