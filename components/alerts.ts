import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { Transform, transformed, uniqueSlugs } from "./child";
import { denyInsecureTransport, policyDocument } from "./iam";
import { customerKey } from "./kms";

/** The topic every platform alarm notifies, fanned out to email and SMS. */
export interface AlertsArgs {
  /** Email addresses subscribed to the topic; each must confirm the subscription once. @default [] */
  emails?: string[];
  /** Phone numbers in E.164 form (+15555550100) that receive SMS. @default [] */
  smsNumbers?: string[];
  /** Protect the topic's KMS key and keep it when the stack is destroyed. @default true */
  protect?: boolean;
  /** Adjusts a child before it is created. @default none */
  transform?: { topic?: Transform<aws.sns.TopicArgs>; subscription?: Transform<aws.sns.TopicSubscriptionArgs> };
}

export class Alerts extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  public readonly topic: aws.sns.Topic;
  /** One subscription per address or number, keyed by it. */
  public readonly subscriptions: Record<string, aws.sns.TopicSubscription> = {};
  public readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:Alerts", name, {}, opts);
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    // A customer-managed key: with the AWS-managed SNS key, CloudWatch cannot encrypt and alarms are silently dropped.
    this.key = customerKey(
      `${name}-key`,
      {
        description: `Encrypts the ${name} alert topic`,
        statements: [
          {
            Sid: "CloudWatchAlarmsEncrypt",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": account } },
          },
        ],
        // The key's own default: protected.
        protect: args.protect,
      },
      this,
    );
    this.topic = new aws.sns.Topic(...transformed(args.transform?.topic, name, { kmsMasterKeyId: this.key.arn }, { parent: this }));
    new aws.sns.TopicPolicy(
      `${name}-policy`,
      {
        arn: this.topic.arn,
        policy: policyDocument([
          {
            Sid: "CloudWatchAlarmsPublish",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["sns:Publish"],
            Resource: this.topic.arn,
            Condition: { StringEquals: { "aws:SourceAccount": account } },
          },
          denyInsecureTransport("sns", [this.topic.arn]),
        ]),
      },
      { parent: this },
    );
    this.subscribe(name, "email", args.emails ?? [], args);
    this.subscribe(name, "sms", args.smsNumbers ?? [], args);
    this.topicArn = this.topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }

  /**
   * One subscription per endpoint, named after the endpoint: removing or reordering one never replaces
   * another, which would make every later address confirm its subscription again. The alias keeps the
   * subscription of a stack made when they were named by position.
   */
  private subscribe(name: string, protocol: "email" | "sms", endpoints: string[], args: AlertsArgs): void {
    const slugs = uniqueSlugs(`Alerts "${name}" ${protocol}`, endpoints);
    endpoints.forEach((endpoint, i) => {
      this.subscriptions[endpoint] = new aws.sns.TopicSubscription(
        ...transformed(
          args.transform?.subscription,
          `${name}-${protocol}-${slugs[i]}`,
          { topic: this.topic.arn, protocol, endpoint },
          { parent: this, aliases: [{ name: `${name}-${protocol}-${i}` }] },
        ),
      );
    });
  }
}
