/**
 * Assigns the identifiers AWS would: a physical name, an id, an ARN and the handful of computed
 * attributes (URLs, endpoints) other resources reference. Offline runs use these in place of the
 * engine, so every reference between resources carries a value that can be joined back to its source.
 */

export interface Placement {
  accountId: string;
  region: string;
  /** Where the region came from: the stack's `aws:region`, the environment (AWS_REGION, AWS_DEFAULT_REGION), or the default. @default "aws:region" */
  regionSource?: "aws:region" | "AWS_REGION" | "AWS_DEFAULT_REGION" | "default";
}

export interface Identity {
  id: string;
  arn: string | null;
  /** Computed attributes merged into the resource's outputs. */
  attributes: Record<string, unknown>;
}

/** Builds an identity from the resource's physical name (or its logical name, for types without one). */
type Builder = (name: string, inputs: Record<string, any>, at: Placement, urn: string) => Identity;

/** A short, stable, hex id derived from the logical name, like the ids AWS generates. */
export function shortId(name: string, length = 10): string {
  let hash = 2166136261;
  for (const ch of name) hash = Math.imul(hash ^ ch.charCodeAt(0), 16777619) >>> 0;
  let out = "";
  while (out.length < length) {
    hash = Math.imul(hash ^ out.length, 16777619) >>> 0;
    out += hash.toString(36);
  }
  return out.slice(0, length);
}

/**
 * An id AWS generates (a key id, a mapping's UUID), in its 8-4-4-4-12 shape. AWS makes it at random; here
 * it comes from the URN, so it is stable for a stack and different in every other stack.
 */
function uuidOf(urn: string): string {
  return [8, 4, 4, 4, 12].map((length, i) => shortId(`${urn}#${i}`, length)).join("-");
}

const regional = (service: string, resource: string) => (at: Placement) => `arn:aws:${service}:${at.region}:${at.accountId}:${resource}`;

/** A bucket's id is its name, and its ARN has neither region nor account. */
function bucketIdentity(name: string, _inputs: Record<string, any>, at: Placement): Identity {
  return {
    id: name,
    arn: `arn:aws:s3:::${name}`,
    attributes: {
      bucket: name,
      bucketDomainName: `${name}.s3.amazonaws.com`,
      bucketRegionalDomainName: `${name}.s3.${at.region}.amazonaws.com`,
    },
  };
}

const builders: Record<string, Builder> = {
  "aws:lambda/function:Function": (name, inputs, at) => {
    const arn = regional("lambda", `function:${name}`)(at);
    return {
      id: name,
      arn,
      attributes: {
        name,
        invokeArn: `arn:aws:apigateway:${at.region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
        // A published function's first version is 1; unpublished, its only version is $LATEST.
        qualifiedArn: `${arn}:${inputs.publish ? "1" : "$LATEST"}`,
        version: inputs.publish ? "1" : "$LATEST",
      },
    };
  },
  // A layer version is known by its version ARN (terraform-provider-aws sets the id to LayerVersionArn); a new
  // layer's first version is 1.
  "aws:lambda/layerVersion:LayerVersion": (name, inputs, at) => {
    const layerName = String(inputs.layerName ?? name);
    const layerArn = regional("lambda", `layer:${layerName}`)(at);
    return { id: `${layerArn}:1`, arn: `${layerArn}:1`, attributes: { layerName, layerArn, version: "1" } };
  },
  // CodeDeploy: an application is known by its name; a group's ARN names its application, its id is generated.
  "aws:codedeploy/application:Application": (name, _i, at) => ({
    id: name,
    arn: regional("codedeploy", `application:${name}`)(at),
    attributes: { name },
  }),
  "aws:codedeploy/deploymentGroup:DeploymentGroup": (name, inputs, at, urn) => ({
    id: `${inputs.appName}:${name}`,
    arn: regional("codedeploy", `deploymentgroup:${inputs.appName}/${name}`)(at),
    attributes: { deploymentGroupId: uuidOf(urn) },
  }),
  // An alias's ARN is its function's ARN qualified by the alias's name.
  "aws:lambda/alias:Alias": (name, inputs, at) => {
    const fn = String(inputs.functionName ?? "");
    const arn = `${fn.startsWith("arn:") ? fn : regional("lambda", `function:${fn}`)(at)}:${name}`;
    return {
      id: `${fn.split(":").pop()}:${name}`,
      arn,
      attributes: { invokeArn: `arn:aws:apigateway:${at.region}:lambda:path/2015-03-31/functions/${arn}/invocations` },
    };
  },
  "aws:iam/role:Role": (name, _i, at) => ({ id: name, arn: `arn:aws:iam::${at.accountId}:role/${name}`, attributes: { name } }),
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (name, inputs, at) => {
    const arn = `arn:aws:iam::${at.accountId}:oidc-provider/${String(inputs.url ?? name).replace(/^https:\/\//, "")}`;
    return { id: arn, arn, attributes: {} };
  },
  "aws:iam/policy:Policy": (name, _i, at) => {
    const arn = `arn:aws:iam::${at.accountId}:policy/${name}`;
    return { id: arn, arn, attributes: { name } };
  },
  "aws:cloudwatch/logGroup:LogGroup": (name, _i, at) => ({
    id: name,
    arn: regional("logs", `log-group:${name}`)(at),
    attributes: { name },
  }),
  "aws:sqs/queue:Queue": (name, _i, at) => ({
    id: `https://sqs.${at.region}.amazonaws.com/${at.accountId}/${name}`,
    arn: regional("sqs", name)(at),
    attributes: { name, url: `https://sqs.${at.region}.amazonaws.com/${at.accountId}/${name}` },
  }),
  "aws:sns/topic:Topic": (name, _i, at) => {
    const arn = regional("sns", name)(at);
    return { id: arn, arn, attributes: { name } };
  },
  "aws:sns/topicSubscription:TopicSubscription": (_name, inputs, at, urn) => {
    const arn = `${inputs.topic ?? regional("sns", "topic")(at)}:${shortId(urn, 8)}`;
    return { id: arn, arn, attributes: {} };
  },
  "aws:kms/key:Key": (_name, _i, at, urn) => {
    const keyId = uuidOf(urn);
    return { id: keyId, arn: regional("kms", `key/${keyId}`)(at), attributes: { keyId } };
  },
  "aws:kms/alias:Alias": (name, _i, at) => ({ id: name, arn: regional("kms", name)(at), attributes: { name } }),
  "aws:dynamodb/table:Table": (name, _i, at) => ({
    id: name,
    arn: regional("dynamodb", `table/${name}`)(at),
    attributes: { name },
  }),
  "aws:apigatewayv2/api:Api": (_name, _i, at, urn) => {
    const id = shortId(urn);
    return {
      id,
      arn: `arn:aws:apigateway:${at.region}::/apis/${id}`,
      attributes: {
        apiEndpoint: `https://${id}.execute-api.${at.region}.amazonaws.com`,
        executionArn: regional("execute-api", id)(at),
      },
    };
  },
  "aws:apigatewayv2/stage:Stage": (name, inputs, at) => ({
    id: inputs.name ?? name,
    arn: `arn:aws:apigateway:${at.region}::/apis/${inputs.apiId}/stages/${inputs.name ?? name}`,
    attributes: {
      invokeUrl: `https://${inputs.apiId}.execute-api.${at.region}.amazonaws.com/${inputs.name === "$default" ? "" : (inputs.name ?? name)}`,
      executionArn: `${regional("execute-api", String(inputs.apiId))(at)}/${inputs.name ?? name}`,
    },
  }),
  // A rule on a custom bus has the bus in its ARN and its id (pulumi-aws: "<bus>/<rule>").
  "aws:cloudwatch/eventRule:EventRule": (name, inputs, at) => {
    const bus =
      typeof inputs.eventBusName === "string" && inputs.eventBusName !== "default" ? inputs.eventBusName.split("/").pop() : undefined;
    return {
      id: bus ? `${bus}/${name}` : name,
      arn: regional("events", bus ? `rule/${bus}/${name}` : `rule/${name}`)(at),
      attributes: { name },
    };
  },
  "aws:cloudwatch/eventBus:EventBus": (name, _i, at) => ({ id: name, arn: regional("events", `event-bus/${name}`)(at), attributes: {} }),
  // An EventBridge Scheduler schedule's id is "<group>/<name>" (terraform-provider-aws scheduler/schedule.go,
  // scheduleCreateResourceID), its ARN arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>.
  "aws:scheduler/schedule:Schedule": (name, inputs, at) => {
    const group = typeof inputs.groupName === "string" && inputs.groupName ? inputs.groupName : "default";
    return { id: `${group}/${name}`, arn: regional("scheduler", `schedule/${group}/${name}`)(at), attributes: { groupName: group } };
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": (name, _i, at) => ({
    id: name,
    arn: regional("cloudwatch", `alarm:${name}`)(at),
    attributes: { name },
  }),
  "aws:cloudfront/distribution:Distribution": (_name, _i, at, urn) => {
    const id = `E${shortId(urn, 13).toUpperCase()}`;
    return {
      id,
      arn: `arn:aws:cloudfront::${at.accountId}:distribution/${id}`,
      attributes: { domainName: `d${shortId(urn + "d", 13)}.cloudfront.net`, hostedZoneId: "Z2FDTNDATAQYW2", status: "Deployed" },
    };
  },
  "aws:acm/certificate:Certificate": (name, inputs, at, urn) => {
    const arn = regional("acm", `certificate/${uuidOf(urn)}`)(at);
    const domain = String(inputs.domainName ?? name);
    return {
      id: arn,
      arn,
      attributes: {
        domainValidationOptions: [
          {
            domainName: domain,
            resourceRecordName: `_${shortId(domain, 16)}.${domain}.`,
            resourceRecordType: "CNAME",
            resourceRecordValue: `_${shortId(domain + "v", 16)}.acm-validations.aws.`,
          },
        ],
      },
    };
  },
  "aws:route53/record:Record": (name, inputs) => ({
    id: `${inputs.zoneId}_${inputs.name}_${inputs.type}`,
    arn: null,
    attributes: { fqdn: String(inputs.name ?? name).replace(/\.$/, "") },
  }),
  "aws:wafv2/webAcl:WebAcl": (name, _i, at, urn) => {
    const id = uuidOf(urn);
    return { id, arn: `arn:aws:wafv2:us-east-1:${at.accountId}:global/webacl/${name}/${id}`, attributes: { name } };
  },
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (name, _i, at) => {
    const arn = regional("firehose", `deliverystream/${name}`)(at);
    return { id: arn, arn, attributes: { name } };
  },
  "aws:kinesis/stream:Stream": (name, _i, at) => {
    const arn = regional("kinesis", `stream/${name}`)(at);
    return { id: name, arn, attributes: { name } };
  },
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": (name, _i, at) => ({
    id: name,
    arn: regional("cloudwatch", `alarm:${name}`)(at),
    attributes: { alarmName: name },
  }),
  "aws:cloudwatch/dashboard:Dashboard": (name, _i, at) => ({
    id: name,
    arn: `arn:aws:cloudwatch::${at.accountId}:dashboard/${name}`,
    attributes: { dashboardName: name },
  }),
  // A function URL is named by its function (and alias): id `<function>` or `<function>/<qualifier>`, as
  // terraform-provider-aws's functionURLCreateResourceID makes it; its URL id is AWS's, 32 lowercase letters
  // and digits, here stable per stack.
  "aws:lambda/functionUrl:FunctionUrl": (_name, inputs, at, urn) => {
    const fn = String(inputs.functionName ?? "");
    const qualifier = inputs.qualifier as string | undefined;
    const urlId = shortId(urn, 32);
    const functionArn = fn.startsWith("arn:") ? fn : regional("lambda", `function:${fn}`)(at);
    return {
      id: qualifier ? `${fn}/${qualifier}` : fn,
      arn: null,
      attributes: {
        urlId,
        functionUrl: `https://${urlId}.lambda-url.${at.region}.on.aws/`,
        functionArn: qualifier ? `${functionArn}:${qualifier}` : functionArn,
        invokeMode: inputs.invokeMode ?? "BUFFERED",
      },
    };
  },
  "aws:lambda/eventSourceMapping:EventSourceMapping": (_name, _i, at, urn) => {
    const uuid = uuidOf(urn);
    return { id: uuid, arn: regional("lambda", `event-source-mapping:${uuid}`)(at), attributes: { uuid } };
  },
  // Generated secrets: the real value is random; offline it is a marked, stable stand-in per resource.
  "random:index/randomPassword:RandomPassword": (_name, _i, _at, urn) => ({
    id: "none",
    arn: null,
    attributes: { result: `offline-generated-${shortId(urn, 24)}` },
  }),
  // awsx's Vpc is a remote component: its plugin builds the VPC, subnets and route tables, so under mocks it
  // is one node. Its outputs are made up here, stable per stack: a VPC id, and subnet and route table ids per AZ
  // of each kind its subnetSpecs ask for (Private and Public when it names none, as awsx makes them).
  "awsx:ec2:Vpc": (_name, inputs, _at, urn) => {
    const zones = Number(inputs.numberOfAvailabilityZones ?? 3);
    const kinds: string[] =
      Array.isArray(inputs.subnetSpecs) && inputs.subnetSpecs.length ? inputs.subnetSpecs.map((s: any) => s.type) : ["Private", "Public"];
    // An EC2 id: a prefix and 17 hex digits.
    const ec2Id = (prefix: string, seed: string) => `${prefix}-${shortId(seed, 17).replace(/[^0-9a-f]/g, "0")}`;
    const subnets = (kind: string) =>
      kinds.includes(kind) ? Array.from({ length: zones }, (_, i) => ec2Id("subnet", `${urn}#${kind}#${i}`)) : [];
    const vpcId = ec2Id("vpc", urn);
    // awsx gives each subnet a route table of its own; they stand here as their ids (a deploy gives RouteTable resources).
    const routeTables = kinds.flatMap((kind) =>
      Array.from({ length: zones }, (_, i) => ({ id: ec2Id("rtb", `${urn}#${kind}#${i}#route-table`) })),
    );
    return {
      id: "",
      arn: null,
      attributes: {
        vpcId,
        privateSubnetIds: subnets("Private"),
        isolatedSubnetIds: subnets("Isolated"),
        publicSubnetIds: subnets("Public"),
        routeTables,
      },
    };
  },
  "aws:s3/bucket:Bucket": bucketIdentity,
  // The deprecated BucketV2 is the same bucket: its id is its name too.
  "aws:s3/bucketV2:BucketV2": bucketIdentity,
};

/** The identity of one resource, for any type, from its physical name: types without an ARN get `arn: null`. */
export function assignIdentity(type: string, physical: string, inputs: Record<string, any>, at: Placement, urn: string): Identity {
  const builder = builders[type];
  if (builder) return builder(physical, inputs, at, urn);
  return { id: `${physical}-${shortId(urn, 8)}`, arn: null, attributes: {} };
}
