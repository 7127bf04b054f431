/**
 * Physical names as `pulumi up` gives them, and AWS's limits on them.
 *
 * Auto-naming, ported as behaviour from pulumi/pulumi-aws (`provider/autonaming.go` and the
 * per-resource `AutoName` settings in `provider/resource_overrides.go`) and pulumi/pulumi
 * (`NewUniqueHex` in `sdk/go/common/resource/resource_id.go`): a resource whose name property the
 * program leaves unset is named `<logical name><separator><7 random hex>`. Any resource with a `name`
 * input gets this with a 255-character cap; some types have their own property, cap or transform.
 * When the logical name plus the separator plus 7 characters exceeds the cap, the provider fails.
 * The real suffix is random; offline it is derived from the URN, so a stack's names are stable.
 *
 * AWS's limits on the final name (explicit or generated) come from each service's API reference.
 */
import { createHash } from "crypto";

interface AutoName {
  /** The input property that holds the physical name. */
  property: string;
  /** Pulumi's cap on a generated name. */
  maxLength: number;
  separator?: string;
  /** Applied to the logical name before the suffix (S3: lower case). */
  transform?: (name: string) => string;
  /** Applied to the generated name (FIFO suffixes, the KMS alias prefix). */
  post?: (name: string, inputs: Record<string, any>) => string;
}

/** The 255-character rule pulumi-aws applies to every resource with a `name` input of its own. */
const generic: AutoName = { property: "name", maxLength: 255 };
const fifo = (flag: string) => (name: string, inputs: Record<string, any>) => (inputs[flag] === true ? `${name}.fifo` : name);

const AUTO_NAMES: Record<string, AutoName> = {
  "aws:lambda/function:Function": { property: "name", maxLength: 64 },
  "aws:lambda/alias:Alias": generic,
  "aws:lambda/permission:Permission": { property: "statementId", maxLength: 100 },
  "aws:iam/role:Role": { property: "name", maxLength: 64 },
  "aws:iam/policy:Policy": generic,
  "aws:iam/rolePolicy:RolePolicy": generic,
  "aws:iam/instanceProfile:InstanceProfile": generic,
  "aws:sqs/queue:Queue": { property: "name", maxLength: 80, post: fifo("fifoQueue") },
  "aws:sns/topic:Topic": { property: "name", maxLength: 80, post: fifo("fifoTopic") },
  "aws:s3/bucket:Bucket": { property: "bucket", maxLength: 63, transform: (n) => n.toLowerCase() },
  "aws:s3/bucketV2:BucketV2": { property: "bucket", maxLength: 63, transform: (n) => n.toLowerCase() },
  "aws:dynamodb/table:Table": generic,
  "aws:cloudwatch/logGroup:LogGroup": generic,
  "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": generic,
  "aws:cloudwatch/eventRule:EventRule": { property: "name", maxLength: 64 },
  "aws:cloudwatch/eventTarget:EventTarget": { property: "targetId", maxLength: 255 },
  "aws:cloudwatch/eventBus:EventBus": generic,
  "aws:scheduler/schedule:Schedule": generic,
  "aws:cloudwatch/metricAlarm:MetricAlarm": generic,
  "aws:kms/alias:Alias": { property: "name", maxLength: 238, post: (n) => (n.startsWith("alias/") ? n : `alias/${n}`) },
  "aws:apigatewayv2/api:Api": generic,
  "aws:apigatewayv2/stage:Stage": generic,
  "aws:apigatewayv2/vpcLink:VpcLink": generic,
  "aws:apigateway/restApi:RestApi": generic,
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": generic,
  "aws:kinesis/stream:Stream": generic,
  "aws:wafv2/webAcl:WebAcl": generic,
  "aws:cloudfront/cachePolicy:CachePolicy": generic,
  "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": generic,
  "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": generic,
  "aws:cfg/recorder:Recorder": generic,
  "aws:cfg/deliveryChannel:DeliveryChannel": generic,
  "aws:sfn/stateMachine:StateMachine": generic,
  "aws:codedeploy/application:Application": generic,
  "aws:ec2/securityGroup:SecurityGroup": generic,
  "aws:lb/targetGroup:TargetGroup": { property: "name", maxLength: 32 },
  "aws:lb/loadBalancer:LoadBalancer": generic,
  "aws:secretsmanager/secret:Secret": generic,
  "aws:ssm/parameter:Parameter": generic,
};

/** What AWS accepts as a physical name: its property, length and characters. */
interface AwsNameLimit {
  property: string;
  max: number;
  min?: number;
  pattern?: RegExp;
  rule?: string;
}

const AWS_LIMITS: Record<string, AwsNameLimit> = {
  "aws:lambda/function:Function": { property: "name", max: 64, pattern: /^[a-zA-Z0-9_-]+$/, rule: "letters, digits, - and _" },
  "aws:lambda/alias:Alias": { property: "name", max: 128 },
  "aws:lambda/permission:Permission": { property: "statementId", max: 100 },
  "aws:iam/role:Role": { property: "name", max: 64, pattern: /^[\w+=,.@-]+$/, rule: "letters, digits and +=,.@_-" },
  "aws:iam/policy:Policy": { property: "name", max: 128 },
  "aws:iam/rolePolicy:RolePolicy": { property: "name", max: 128 },
  "aws:sqs/queue:Queue": { property: "name", max: 80, pattern: /^[a-zA-Z0-9_-]+(\.fifo)?$/, rule: "letters, digits, - and _ (and .fifo)" },
  "aws:sns/topic:Topic": { property: "name", max: 256, pattern: /^[a-zA-Z0-9_-]+(\.fifo)?$/, rule: "letters, digits, - and _ (and .fifo)" },
  "aws:s3/bucket:Bucket": {
    property: "bucket",
    min: 3,
    max: 63,
    pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    rule: "lower-case letters, digits, . and -, starting and ending with a letter or digit",
  },
  "aws:s3/bucketV2:BucketV2": {
    property: "bucket",
    min: 3,
    max: 63,
    pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    rule: "lower-case letters, digits, . and -, starting and ending with a letter or digit",
  },
  "aws:dynamodb/table:Table": { property: "name", min: 3, max: 255, pattern: /^[a-zA-Z0-9_.-]+$/, rule: "letters, digits, _ . and -" },
  "aws:cloudwatch/logGroup:LogGroup": { property: "name", max: 512 },
  "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": { property: "name", max: 512 },
  "aws:cloudwatch/eventRule:EventRule": { property: "name", max: 64, pattern: /^[.\-_A-Za-z0-9]+$/, rule: "letters, digits, . - and _" },
  // EventBridge Scheduler API Reference, CreateSchedule: Name, 1 to 64 of [0-9a-zA-Z-_.].
  "aws:scheduler/schedule:Schedule": { property: "name", max: 64, pattern: /^[0-9a-zA-Z\-_.]+$/, rule: "letters, digits, . - and _" },
  "aws:cloudwatch/eventTarget:EventTarget": { property: "targetId", max: 64 },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { property: "name", max: 255 },
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": { property: "alarmName", max: 255 },
  "aws:cloudwatch/dashboard:Dashboard": {
    property: "dashboardName",
    max: 255,
    pattern: /^[A-Za-z0-9_-]+$/,
    rule: "letters, digits, - and _",
  },
  "aws:kms/alias:Alias": { property: "name", max: 256 },
  "aws:apigatewayv2/api:Api": { property: "name", max: 128 },
  "aws:apigatewayv2/stage:Stage": { property: "name", max: 128 },
  "aws:apigatewayv2/vpcLink:VpcLink": { property: "name", max: 128 },
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": { property: "name", max: 64 },
  "aws:kinesis/stream:Stream": { property: "name", max: 128 },
  "aws:wafv2/webAcl:WebAcl": { property: "name", max: 128 },
  "aws:cloudfront/cachePolicy:CachePolicy": { property: "name", max: 128 },
  "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": { property: "name", max: 128 },
  "aws:cfg/recorder:Recorder": { property: "name", max: 256 },
  "aws:cfg/deliveryChannel:DeliveryChannel": { property: "name", max: 256 },
  "aws:sfn/stateMachine:StateMachine": { property: "name", max: 80 },
  "aws:codedeploy/application:Application": { property: "name", max: 100 },
  "aws:codedeploy/deploymentGroup:DeploymentGroup": { property: "deploymentGroupName", max: 100 },
  "aws:lb/targetGroup:TargetGroup": { property: "name", max: 32 },
  "aws:lb/loadBalancer:LoadBalancer": { property: "name", max: 32 },
};

/** The 7 hex characters Pulumi appends, derived here from the URN so a stack's names never change. */
export function autoNameSuffix(urn: string): string {
  return createHash("sha256").update(urn).digest("hex").slice(0, 7);
}

export interface Naming {
  /** The physical name, or undefined for types that have none. */
  name?: string;
  /** The property that holds it. */
  property?: string;
  /** Whether Pulumi generated it. */
  generated: boolean;
  /** Why `pulumi up` (auto-naming) or AWS would refuse it. */
  problem?: string;
}

/** The physical name a resource gets, generated as Pulumi does where the program left it unset, and checked against AWS's limits. */
export function nameResource(type: string, logicalName: string, urn: string, inputs: Record<string, any>): Naming {
  const auto = AUTO_NAMES[type];
  const limit = AWS_LIMITS[type];
  const property = auto?.property ?? limit?.property;
  if (!property) return { generated: false };
  const explicit = inputs[property];
  if (typeof explicit === "string" && explicit !== "")
    return { name: explicit, property, generated: false, problem: limit && checkLimit(type, logicalName, explicit, limit) };
  if (!auto) return { property, generated: false };
  const prefix = (auto.transform ?? ((n: string) => n))(logicalName) + (auto.separator ?? "-");
  if (prefix.length + 7 > auto.maxLength) {
    return {
      property,
      generated: true,
      problem: `${type} "${logicalName}": name '${prefix}' plus 7 random chars is longer than maximum length ${auto.maxLength}; shorten the resource's name or set ${property}`,
    };
  }
  const name = (auto.post ?? ((n: string) => n))(prefix + autoNameSuffix(urn), inputs);
  return { name, property, generated: true, problem: limit && checkLimit(type, logicalName, name, limit) };
}

function checkLimit(type: string, logicalName: string, name: string, limit: AwsNameLimit): string | undefined {
  const what = `${type} "${logicalName}": ${limit.property} "${name}" is ${name.length} characters`;
  if (name.length > limit.max) return `${what}; AWS allows at most ${limit.max}`;
  if (limit.min && name.length < limit.min) return `${what}; AWS needs at least ${limit.min}`;
  if (limit.pattern && !limit.pattern.test(name))
    return `${type} "${logicalName}": ${limit.property} "${name}" may hold only ${limit.rule}`;
  return undefined;
}

/** A capture that would fail in AWS, or in Pulumi's auto-naming, listing every such name. */
export class NameLimitError extends Error {
  constructor(public readonly problems: string[]) {
    super(`names AWS or Pulumi would refuse:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "NameLimitError";
  }
}
