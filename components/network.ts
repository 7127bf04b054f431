/**
 * Private networking for functions that must reach something private (a database, an internal service,
 * a legacy backend behind an internal load balancer). Either a VPC made here with awsx, or one that
 * exists already. docs/decisions/0002-awsx.md says why awsx is used here and nowhere else.
 */
import * as awsxEc2 from "@pulumi/awsx/ec2";
import * as pulumi from "@pulumi/pulumi";
import type * as awsInput from "@pulumi/aws/types/input";
import * as aws from "./aws";
import { Transform, transformed } from "./child";
import { policyDocument, trustPolicy } from "./iam";
import type { FunctionVpcArgs } from "./lambda-function";

/** How the VPC's private subnets reach the internet: not at all, one NAT gateway, or one per AZ. */
export type NatStrategy = "None" | "Single" | "OnePerAz";

/** A VPC made here: awsx's `Vpc`, private subnets across the AZs, endpoints for AWS's services, flow logs. */
export interface CreateNetworkArgs {
  /** NAT gateways. A function then reaches AWS through the VPC endpoints only. @default "None" */
  natGateways?: NatStrategy;
  /** Availability zones the private subnets span; the policy pack wants at least two in prod. @default 2 */
  availabilityZones?: number;
  /** The VPC's address range. @default "10.0.0.0/16" */
  cidrBlock?: string;
  /** Days the flow logs are kept. */
  flowLogRetentionDays: number;
  /** Services that get an interface endpoint (`com.amazonaws.<region>.<service>`). @default ["sqs", "kms", "logs"] */
  interfaceEndpoints?: string[];
}

/** A VPC that exists already: its id and the private subnets functions go in. */
export interface ExistingNetworkArgs {
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string>[];
  /** The security group of the VPC's endpoints, which functions may reach on 443. @default none: functions may reach 443 anywhere (through the VPC's own NAT or endpoints) */
  endpointSecurityGroupId?: pulumi.Input<string>;
}

export interface NetworkArgs {
  /** Make the VPC here. Set this or `existing`. */
  create?: CreateNetworkArgs;
  /** Use a VPC that exists. Set this or `create`. */
  existing?: ExistingNetworkArgs;
  /** The stack's region, for the endpoints' service names. */
  region: string;
  /** Adjusts children before they are created. @default none */
  transform?: {
    vpc?: Transform<awsxEc2.VpcArgs>;
    flowLog?: Transform<aws.ec2.FlowLogArgs>;
    securityGroup?: Transform<aws.ec2.SecurityGroupArgs>;
  };
}

/** What a function's security group lets out besides the endpoints: a private backend's port, for one. */
export interface Egress {
  port: number;
  /** Where to: an address range. */
  cidrBlocks: string[];
  description: string;
}

export const GATEWAY_ENDPOINTS = ["dynamodb", "s3"] as const;
/** The interface endpoints made unless `create.interfaceEndpoints` says otherwise: what the platform's functions call. */
export const DEFAULT_INTERFACE_ENDPOINTS = ["sqs", "kms", "logs"];

/** `create` with every default filled in. */
type ResolvedCreate = Required<CreateNetworkArgs>;

function resolveCreate(create: CreateNetworkArgs): ResolvedCreate {
  return {
    natGateways: create.natGateways ?? "None",
    availabilityZones: create.availabilityZones ?? 2,
    cidrBlock: create.cidrBlock ?? "10.0.0.0/16",
    flowLogRetentionDays: create.flowLogRetentionDays,
    interfaceEndpoints: create.interfaceEndpoints ?? DEFAULT_INTERFACE_ENDPOINTS,
  };
}

/** A security group rule as `aws.ec2.SecurityGroup` takes it inline. */
type Rule = awsInput.ec2.SecurityGroupEgress;

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The endpoints' security group (made here, or the existing one's), if any. */
  public readonly endpointSecurityGroupId?: pulumi.Output<string>;
  /** The awsx VPC, when made here. */
  public readonly vpc?: awsxEc2.Vpc;
  /** The VPC made here, its defaults filled in. */
  private readonly create?: ResolvedCreate;

  constructor(
    private readonly name: string,
    private readonly args: NetworkArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("platform:network:Network", name, {}, opts);
    validate(name, args);
    if (args.create) {
      this.create = resolveCreate(args.create);
      this.vpc = this.createVpc(this.create);
      this.vpcId = this.vpc.vpcId;
      this.privateSubnetIds = this.vpc.privateSubnetIds;
      this.endpointSecurityGroupId = this.createEndpoints(this.create, this.vpc).id;
      this.createFlowLogs(this.create, this.vpc);
    } else {
      const existing = args.existing!;
      this.vpcId = pulumi.output(existing.vpcId);
      this.privateSubnetIds = pulumi.output(existing.privateSubnetIds);
      this.endpointSecurityGroupId = existing.endpointSecurityGroupId ? pulumi.output(existing.endpointSecurityGroupId) : undefined;
    }
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
  }

  /**
   * Where a function runs in this network: the private subnets, and a security group of its own that
   * lets nothing in and lets out only HTTPS to the endpoints (or, without an endpoints' group, 443
   * anywhere) and the given egress.
   */
  placement(functionName: string, egress: Egress[] = []): FunctionVpcArgs {
    const toEndpoints: Rule = this.endpointSecurityGroupId
      ? {
          protocol: "tcp",
          fromPort: 443,
          toPort: 443,
          securityGroups: [this.endpointSecurityGroupId],
          description: "HTTPS to the VPC endpoints",
        }
      : { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS to AWS's services" };
    const group = this.closedGroup(functionName, `${functionName}: no ingress; egress to what it calls`, [
      toEndpoints,
      ...egress.map((e) => ({ protocol: "tcp", fromPort: e.port, toPort: e.port, cidrBlocks: e.cidrBlocks, description: e.description })),
    ]);
    // Without a NAT gateway, a function reaches only what the endpoints serve.
    const reachableServices = this.create?.natGateways === "None" ? [...GATEWAY_ENDPOINTS, ...this.create.interfaceEndpoints] : undefined;
    return { subnetIds: this.privateSubnetIds, securityGroupIds: [group.id], reachableServices };
  }

  /**
   * Where an API Gateway VPC link's network interfaces go, to reach a private backend on `port`: the
   * private subnets, and a group of its own that lets nothing in and only that port out, inside the VPC
   * (when it is made here) or anywhere (an existing VPC's range is not known here).
   */
  vpcLinkPlacement(port: number): { subnetIds: pulumi.Output<string[]>; securityGroupIds: pulumi.Output<string>[] } {
    const cidrBlocks = [this.create?.cidrBlock ?? "0.0.0.0/0"];
    const group = this.closedGroup("vpc-link", "API Gateway VPC link: no ingress; the private backend's port out", [
      { protocol: "tcp", fromPort: port, toPort: port, cidrBlocks, description: "the private backend" },
    ]);
    return { subnetIds: this.privateSubnetIds, securityGroupIds: [group.id] };
  }

  /** A security group in the VPC that lets nothing in and only `egress` out. */
  private closedGroup(suffix: string, description: string, egress: Rule[]): aws.ec2.SecurityGroup {
    return new aws.ec2.SecurityGroup(
      ...transformed(
        this.args.transform?.securityGroup,
        `${this.name}-${suffix}`,
        { vpcId: this.vpcId, description, ingress: [], egress },
        { parent: this },
      ),
    );
  }

  private createVpc(create: ResolvedCreate): awsxEc2.Vpc {
    // Private subnets always; public ones only to hold NAT gateways. awsx's own default is a NAT gateway per AZ.
    return new awsxEc2.Vpc(
      ...transformed(
        this.args.transform?.vpc,
        `${this.name}-vpc`,
        {
          cidrBlock: create.cidrBlock,
          numberOfAvailabilityZones: create.availabilityZones,
          natGateways: { strategy: create.natGateways },
          subnetStrategy: "Auto",
          subnetSpecs: create.natGateways === "None" ? [{ type: "Private" }] : [{ type: "Private" }, { type: "Public" }],
          enableDnsHostnames: true,
          enableDnsSupport: true,
        },
        { parent: this },
      ),
    );
  }

  /**
   * Gateway endpoints for DynamoDB and S3 (free, on the route tables) and interface endpoints for the
   * other services the functions call, behind a security group that takes HTTPS from inside the VPC.
   */
  private createEndpoints(create: ResolvedCreate, vpc: awsxEc2.Vpc): aws.ec2.SecurityGroup {
    const group = new aws.ec2.SecurityGroup(
      `${this.name}-endpoints`,
      {
        vpcId: vpc.vpcId,
        description: "VPC endpoints: HTTPS from inside the VPC",
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [create.cidrBlock], description: "HTTPS from the VPC" }],
        egress: [],
      },
      { parent: this },
    );
    // awsx makes the route tables, one per subnet; before a first deploy their ids are not known yet.
    const routeTableIds = vpc.routeTables.apply((tables) => pulumi.all(tables.map((t) => t.id)));
    for (const service of GATEWAY_ENDPOINTS)
      new aws.ec2.VpcEndpoint(
        `${this.name}-${service}`,
        {
          vpcId: vpc.vpcId,
          serviceName: `com.amazonaws.${this.args.region}.${service}`,
          vpcEndpointType: "Gateway",
          routeTableIds,
        },
        { parent: this },
      );
    for (const service of create.interfaceEndpoints)
      new aws.ec2.VpcEndpoint(
        `${this.name}-${service}`,
        {
          vpcId: vpc.vpcId,
          serviceName: `com.amazonaws.${this.args.region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: vpc.privateSubnetIds,
          securityGroupIds: [group.id],
        },
        { parent: this },
      );
    return group;
  }

  /** Every flow of the VPC, accepted and rejected, to a log group that keeps it as long as the functions' logs. */
  private createFlowLogs(create: ResolvedCreate, vpc: awsxEc2.Vpc): void {
    const group = new aws.cloudwatch.LogGroup(`${this.name}-flow-logs`, { retentionInDays: create.flowLogRetentionDays }, { parent: this });
    const role = new aws.iam.Role(
      `${this.name}-flow-logs`,
      { assumeRolePolicy: trustPolicy("vpc-flow-logs.amazonaws.com") },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${this.name}-flow-logs`,
      {
        role: role.id,
        policy: policyDocument([
          {
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: pulumi.interpolate`${group.arn}:*`,
          },
        ]),
      },
      { parent: this },
    );
    new aws.ec2.FlowLog(
      ...transformed(
        this.args.transform?.flowLog,
        `${this.name}-flow-log`,
        { vpcId: vpc.vpcId, trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: group.arn, iamRoleArn: role.arn },
        { parent: this },
      ),
    );
  }
}

function validate(name: string, args: NetworkArgs): void {
  const problems: string[] = [];
  if (!!args.create === !!args.existing) problems.push("set create or existing, and only one");
  const zones = args.create?.availabilityZones;
  if (zones !== undefined && (!Number.isInteger(zones) || zones < 1 || zones > 6))
    problems.push(`availabilityZones must be 1 to 6 (got ${zones})`);
  if (args.existing && args.existing.privateSubnetIds.length === 0)
    problems.push("existing.privateSubnetIds must name at least one subnet");
  if (problems.length > 0) throw new Error(`Network "${name}": ${problems.join("; ")}`);
}
