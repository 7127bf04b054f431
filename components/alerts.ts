import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { denyInsecureTransport, policyDocument } from "./iam";
import { customerKey } from "./kms";

/** The topic every platform alarm notifies, fanned out to email and SMS. */
export interface AlertsArgs {
  /** Email addresses subscribed to the topic; each must confirm the subscription once. @default [] */
  emails?: string[];
  /** Phone numbers in E.164 form (+15555550100) that receive SMS. @default [] */
  smsNumbers?: string[];
  /** Protect the topic's KMS key from deletion and keep it when the stack is destroyed. @default true */
  retainOnDelete?: boolean;
}

export class Alerts extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  public readonly topic: aws.sns.Topic;
  public readonly subscriptions: aws.sns.TopicSubscription[] = [];
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
        protect: args.retainOnDelete ?? true,
      },
      this,
    );
    this.topic = new aws.sns.Topic(`${name}`, { kmsMasterKeyId: this.key.arn }, { parent: this });
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
    (args.emails ?? []).forEach((email, i) =>
      this.subscriptions.push(
        new aws.sns.TopicSubscription(
          `${name}-email-${i}`,
          { topic: this.topic.arn, protocol: "email", endpoint: email },
          { parent: this },
        ),
      ),
    );
    (args.smsNumbers ?? []).forEach((phone, i) =>
      this.subscriptions.push(
        new aws.sns.TopicSubscription(`${name}-sms-${i}`, { topic: this.topic.arn, protocol: "sms", endpoint: phone }, { parent: this }),
      ),
    );
    this.topicArn = this.topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}
