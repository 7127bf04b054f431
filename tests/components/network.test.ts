/** The Network component under mocks: awsx's Vpc as the one remote node it is there, and what is made around it. */
import { expect } from "chai";
import { LambdaFunction } from "../../components/lambda-function";
import { Network } from "../../components/network";
import { ALERT_TOPIC, captureComponents, constructionError, GraphView, HEALTH_ENTRY as HEALTH, parsed } from "../harness";

describe("Network", () => {
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      const made = new Network("net", { region: "eu-west-1", create: { flowLogRetentionDays: 30 } });
      const fn = new LambdaFunction("private-fn", {
        entry: HEALTH,
        memoryMb: 128,
        timeoutSeconds: 3,
        alertTopicArn: ALERT_TOPIC,
        vpc: made.placement("private-fn", [{ port: 8443, cidrBlocks: ["10.1.0.0/16"], description: "the legacy backend" }]),
      });
      void fn;
      const existing = new Network("old", {
        region: "eu-west-1",
        existing: { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-01", "subnet-02"] },
      });
      existing.placement("reader");
      made.vpcLinkPlacement(8443);
      existing.vpcLinkPlacement(443);
    });
  });

  it("makes the VPC with awsx: private subnets over two AZs, no NAT gateway unless asked, one remote node", () => {
    const vpc = graph.one("awsx:ec2:Vpc", "net-vpc");
    expect(vpc.remote).to.equal(true);
    expect(vpc.inputs).to.deep.include({ numberOfAvailabilityZones: 2, cidrBlock: "10.0.0.0/16", subnetStrategy: "Auto" });
    expect(vpc.inputs.natGateways).to.deep.equal({ strategy: "None" });
    expect(vpc.inputs.subnetSpecs).to.deep.equal([{ type: "Private" }]);
    // Its children are the plugin's to make: none is in the graph.
    expect(graph.resources.filter((r) => r.parent === vpc.urn)).to.deep.equal([]);
    expect(vpc.state.vpcId).to.match(/^vpc-[0-9a-f]{17}$/);
    expect(vpc.state.privateSubnetIds).to.have.length(2);
  });

  it("adds gateway endpoints for DynamoDB and S3, and interface endpoints behind a group that takes HTTPS from the VPC", () => {
    const endpoints = graph.all("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => [e.name, e.inputs.serviceName, e.inputs.vpcEndpointType]);
    expect(endpoints.sort()).to.deep.equal([
      ["net-dynamodb", "com.amazonaws.eu-west-1.dynamodb", "Gateway"],
      ["net-kms", "com.amazonaws.eu-west-1.kms", "Interface"],
      ["net-logs", "com.amazonaws.eu-west-1.logs", "Interface"],
      ["net-s3", "com.amazonaws.eu-west-1.s3", "Gateway"],
      ["net-sqs", "com.amazonaws.eu-west-1.sqs", "Interface"],
    ]);
    const group = graph.one("aws:ec2/securityGroup:SecurityGroup", "net-endpoints");
    expect(group.inputs.ingress).to.deep.equal([
      { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"], description: "HTTPS from the VPC" },
    ]);
    expect(group.inputs).to.deep.include({ description: "VPC endpoints: HTTPS from inside the VPC", egress: [] });
    const vpc = graph.one("awsx:ec2:Vpc", "net-vpc");
    expect(graph.one("aws:ec2/vpcEndpoint:VpcEndpoint", "net-sqs").inputs).to.deep.include({
      vpcId: vpc.state.vpcId,
      privateDnsEnabled: true,
      subnetIds: vpc.state.privateSubnetIds,
      securityGroupIds: [group.id],
    });
    // The gateway endpoints go on every route table awsx made, one per subnet.
    const routeTableIds = vpc.state.routeTables.map((t: { id: string }) => t.id);
    expect(routeTableIds)
      .to.have.length(2)
      .and.satisfy((ids: string[]) => ids.every((id) => /^rtb-[0-9a-f]{17}$/.test(id)));
    for (const gateway of ["net-s3", "net-dynamodb"])
      expect(graph.one("aws:ec2/vpcEndpoint:VpcEndpoint", gateway).inputs).to.deep.include({ vpcId: vpc.state.vpcId, routeTableIds });
  });

  it("sends the VPC's flow logs, accepted and rejected, to a log group with retention, through a role of their own", () => {
    const flow = graph.one("aws:ec2/flowLog:FlowLog", "net-flow-log");
    const group = graph.one("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs");
    expect(flow.inputs).to.deep.include({ trafficType: "ALL", logDestinationType: "cloud-watch-logs", logDestination: group.arn });
    expect(flow.inputs.vpcId).to.equal(graph.one("awsx:ec2:Vpc", "net-vpc").state.vpcId);
    expect(group.inputs.retentionInDays).to.equal(30);
    const role = graph.one("aws:iam/role:Role", "net-flow-logs");
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).to.deep.equal([
      { Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const policy = graph.one("aws:iam/rolePolicy:RolePolicy", "net-flow-logs");
    expect(policy.inputs.role).to.equal(role.id);
    expect(JSON.parse(policy.inputs.policy)).to.deep.equal({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"], Resource: `${group.arn}:*` },
      ],
    });
    expect(flow.inputs.iamRoleArn).to.equal(role.arn);
    for (const child of [flow, group, role, policy])
      expect(child.parent, child.name).to.equal(graph.one("platform:network:Network", "net").urn);
  });

  it("resolves DNS inside the VPC, and adds public subnets only to hold NAT gateways", async () => {
    expect(graph.one("awsx:ec2:Vpc", "net-vpc").inputs).to.deep.include({ enableDnsHostnames: true, enableDnsSupport: true });
    const nat = await captureComponents(
      () => new Network("nat", { region: "eu-west-1", create: { natGateways: "Single", flowLogRetentionDays: 30 } }),
    );
    expect(nat.one("awsx:ec2:Vpc", "nat-vpc").inputs.subnetSpecs).to.deep.equal([{ type: "Private" }, { type: "Public" }]);
    expect(nat.one("awsx:ec2:Vpc", "nat-vpc").inputs.natGateways).to.deep.equal({ strategy: "Single" });
  });

  it("gives a function its own group: nothing in, HTTPS to the endpoints and the backend's port out, in the private subnets", () => {
    const group = graph.one("aws:ec2/securityGroup:SecurityGroup", "net-private-fn");
    expect(group.inputs.ingress).to.deep.equal([]);
    expect(group.inputs.egress).to.deep.equal([
      {
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        securityGroups: [graph.one("aws:ec2/securityGroup:SecurityGroup", "net-endpoints").id],
        description: "HTTPS to the VPC endpoints",
      },
      { protocol: "tcp", fromPort: 8443, toPort: 8443, cidrBlocks: ["10.1.0.0/16"], description: "the legacy backend" },
    ]);
    const fn = graph.one("aws:lambda/function:Function", "private-fn");
    expect(fn.inputs.vpcConfig).to.deep.equal({
      subnetIds: graph.one("awsx:ec2:Vpc", "net-vpc").state.privateSubnetIds,
      securityGroupIds: [group.id],
    });
  });

  it("lets a function in the VPC manage its network interfaces, which name no resource of their own", () => {
    const statements = parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "private-fn-policy"), "policy").Statement;
    expect(statements.find((s: { Sid?: string }) => s.Sid === "ManageVpcNetworkInterfaces")).to.deep.equal({
      Sid: "ManageVpcNetworkInterfaces",
      Effect: "Allow",
      Action: [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      Resource: "*",
    });
  });

  it("names each group for what it is: a function's, and the VPC link's, each with nothing in", () => {
    const groups = graph.all("aws:ec2/securityGroup:SecurityGroup").map((g) => [g.name, g.inputs.description, g.inputs.ingress]);
    expect(groups.sort()).to.deep.equal([
      [
        "net-endpoints",
        "VPC endpoints: HTTPS from inside the VPC",
        graph.one("aws:ec2/securityGroup:SecurityGroup", "net-endpoints").inputs.ingress,
      ],
      ["net-private-fn", "private-fn: no ingress; egress to what it calls", []],
      ["net-vpc-link", "API Gateway VPC link: no ingress; the private backend's port out", []],
      ["old-reader", "reader: no ingress; egress to what it calls", []],
      ["old-vpc-link", "API Gateway VPC link: no ingress; the private backend's port out", []],
    ]);
  });

  it("lets a VPC link out only to the backend's port: inside the VPC it made, anywhere in an existing one (its range is not known)", () => {
    const egress = (name: string) => graph.one("aws:ec2/securityGroup:SecurityGroup", name).inputs.egress;
    expect(egress("net-vpc-link")).to.deep.equal([
      { protocol: "tcp", fromPort: 8443, toPort: 8443, cidrBlocks: ["10.0.0.0/16"], description: "the private backend" },
    ]);
    expect(egress("old-vpc-link")).to.deep.equal([
      { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "the private backend" },
    ]);
    expect(graph.one("aws:ec2/securityGroup:SecurityGroup", "old-vpc-link").inputs.vpcId).to.equal("vpc-0abc");
  });

  it("registers its VPC and private subnets, made or existing, and parents every child it makes to itself", () => {
    const made = graph.one("platform:network:Network", "net");
    const vpc = graph.one("awsx:ec2:Vpc", "net-vpc");
    expect(made.state).to.deep.equal({ vpcId: vpc.state.vpcId, privateSubnetIds: vpc.state.privateSubnetIds });
    const existing = graph.one("platform:network:Network", "old");
    expect(existing.state).to.deep.equal({ vpcId: "vpc-0abc", privateSubnetIds: ["subnet-01", "subnet-02"] });
    const children = (network: typeof made, prefix: string) =>
      graph.resources.filter((r) => r.name.startsWith(prefix) && r.urn !== network.urn);
    expect(children(made, "net-").length).to.equal(13);
    for (const child of children(made, "net-")) expect(child.parent, child.name).to.equal(made.urn);
    expect(
      children(existing, "old-")
        .map((c) => c.name)
        .sort(),
    ).to.deep.equal(["old-reader", "old-vpc-link"]);
    for (const child of children(existing, "old-")) expect(child.parent, child.name).to.equal(existing.urn);
  });

  it("uses an existing VPC as given, making no VPC, endpoint or flow log of its own", () => {
    expect(graph.all("awsx:ec2:Vpc").map((v) => v.name)).to.deep.equal(["net-vpc"]);
    const group = graph.one("aws:ec2/securityGroup:SecurityGroup", "old-reader");
    expect(group.inputs.vpcId).to.equal("vpc-0abc");
    expect(group.inputs.egress).to.deep.equal([
      { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS to AWS's services" },
    ]);
    expect(graph.all("aws:ec2/flowLog:FlowLog").map((f) => f.name)).to.deep.equal(["net-flow-log"]);
  });

  it("refuses both forms or neither, an AZ count out of range and an existing VPC without subnets, naming each", async () => {
    expect(await constructionError(() => new Network("n", { region: "eu-west-1" }))).to.equal(
      'Network "n": set create or existing, and only one',
    );
    expect(
      await constructionError(
        () =>
          new Network("n", {
            region: "eu-west-1",
            create: { flowLogRetentionDays: 7, availabilityZones: 7 },
            existing: { vpcId: "vpc-1", privateSubnetIds: [] },
          }),
      ),
    ).to.equal(
      'Network "n": set create or existing, and only one; availabilityZones must be 1 to 6 (got 7); existing.privateSubnetIds must name at least one subnet',
    );
    expect(
      await constructionError(() => new Network("n", { region: "eu-west-1", create: { flowLogRetentionDays: 7, availabilityZones: 0 } })),
    ).to.equal('Network "n": availabilityZones must be 1 to 6 (got 0)');
    for (const availabilityZones of [1, 6])
      expect(
        await constructionError(() => new Network("n", { region: "eu-west-1", create: { flowLogRetentionDays: 7, availabilityZones } })),
        String(availabilityZones),
      ).to.equal("");
    expect(
      await constructionError(() => new Network("n", { region: "eu-west-1", create: { flowLogRetentionDays: 7, availabilityZones: 2.5 } })),
    ).to.equal('Network "n": availabilityZones must be 1 to 6 (got 2.5)');
  });
});

describe("the program with a network", function () {
  this.timeout(120_000);
  it("puts the functions the stack lists in the private subnets, and passes the policy pack", async () => {
    const { captureStack } = await import("../../graph/capture");
    const { evaluatePolicies } = await import("../../graph/policy-runner");
    const { policyConfigFor } = await import("../../graph/preview");
    const { PROGRAM_DIR } = await import("../harness");
    const graph = await captureStack(PROGRAM_DIR, "prod", {
      "platform:network": JSON.stringify({ create: { availabilityZones: 2 }, functions: ["get-order", "process-order"] }),
      "platform:legacyOrigin": "arn:aws:elasticloadbalancing:eu-west-1:444444444444:listener/app/legacy/50dc6c495c0c9188/f2f7dc8efc522ab2",
      "platform:legacyOriginPort": "8443",
    });
    // The private passthrough: a VPC link whose group lets out only the backend's port, inside the VPC.
    const link = graph.resources.find((r) => r.type === "aws:apigatewayv2/vpcLink:VpcLink")!;
    const linkGroup = graph.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name === "network-vpc-link")!;
    expect(link.inputs.securityGroupIds).to.deep.equal([linkGroup.id]);
    expect(linkGroup.inputs.ingress).to.deep.equal([]);
    expect(linkGroup.inputs.egress).to.deep.equal([
      { protocol: "tcp", fromPort: 8443, toPort: 8443, cidrBlocks: ["10.0.0.0/16"], description: "the private backend" },
    ]);
    const fns = graph.resources.filter((r) => r.type === "aws:lambda/function:Function");
    const inVpc = fns.filter((f) => f.inputs.vpcConfig).map((f) => f.name);
    expect(inVpc.sort()).to.deep.equal(["get-order", "process-order"]);
    // The capture keeps what the SDK registers as each input's sources, as the engine hands them to the
    // policy pack: a function's vpcConfig comes from its security group (whose id a new stack's preview does not know).
    const getOrder = fns.find((f) => f.name === "get-order")!;
    const groups = graph.resources.filter((r) => r.type === "aws:ec2/securityGroup:SecurityGroup");
    const ownGroup = groups.find((g) => getOrder.inputs.vpcConfig.securityGroupIds.includes(g.id))!;
    expect(getOrder.propertyDependencies?.vpcConfig).to.include(ownGroup.urn);
    expect(getOrder.propertyDependencies?.role).to.have.length(1);
    const vpc = graph.resources.find((r) => r.type === "awsx:ec2:Vpc")!;
    expect(vpc.remote).to.equal(true);
    // The remote node is the Network component's child, as every child is its component's.
    expect(vpc.parent).to.equal(graph.resources.find((r) => r.type === "platform:network:Network")!.urn);
    const violations = await evaluatePolicies(graph.resources, {
      enforcement: "mandatory",
      config: policyConfigFor(PROGRAM_DIR, "prod").config,
    });
    expect(violations).to.deep.equal([]);
    // Opted-in functions' roles may manage their network interfaces; the others' may not.
    const policyOf = (fn: string) =>
      graph.resources
        .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name.startsWith(fn))
        .map((r) => String(r.state.policy))
        .join("");
    expect(policyOf("get-order")).to.include("ec2:CreateNetworkInterface");
    expect(policyOf("health")).to.not.include("ec2:CreateNetworkInterface");
  });
});

describe("the local cloud with a network", function () {
  this.timeout(120_000);
  it("lists the VPC and its parts as cloud only, runs the VPC functions as any other, and drops nothing silently", async () => {
    const { captureStack } = await import("../../graph/capture");
    const { buildModel } = await import("../../local/model");
    const { PROGRAM_DIR } = await import("../harness");
    const graph = await captureStack(PROGRAM_DIR, "dev", { "platform:network": JSON.stringify({ create: {}, functions: ["get-order"] }) });
    const model = buildModel(graph);
    const cloudOnly = model.skipped.filter((s) => s.reason === "cloud-only").map((s) => s.type);
    expect(cloudOnly).to.include.members([
      "awsx:ec2:Vpc",
      "aws:ec2/securityGroup:SecurityGroup",
      "aws:ec2/vpcEndpoint:VpcEndpoint",
      "aws:ec2/flowLog:FlowLog",
    ]);
    expect(model.skipped.filter((s) => s.reason === "unsupported")).to.deep.equal([]);
    expect(model.functions.map((f) => f.name)).to.include("platform-dev-get-order");
  });
});

describe("a VPC function that calls a service no endpoint serves", () => {
  it("is warned about in the preview when there is no NAT gateway, naming the services, and not otherwise", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const warnings: string[] = [];
    const warn = pulumi.log.warn;
    (pulumi.log as { warn: typeof warn }).warn = (message: string) => {
      warnings.push(message);
      return Promise.resolve();
    };
    try {
      await captureComponents(() => {
        const closed = new Network("closed", { region: "eu-west-1", create: { flowLogRetentionDays: 7 } });
        const nat = new Network("nat", { region: "eu-west-1", create: { flowLogRetentionDays: 7, natGateways: "Single" } });
        const calls = [
          { Action: ["sns:Publish", "sqs:SendMessage"], Resource: "*" },
          { Action: ["events:PutEvents", "dynamodb:GetItem"], Resource: "*" },
        ];
        const fn = (name: string, network: Network) =>
          new LambdaFunction(name, {
            entry: HEALTH,
            memoryMb: 128,
            timeoutSeconds: 3,
            alertTopicArn: ALERT_TOPIC,
            vpc: network.placement(name),
            policyStatements: calls,
          });
        fn("cut-off", closed);
        fn("behind-nat", nat);
        new LambdaFunction("in-reach", {
          entry: HEALTH,
          memoryMb: 128,
          timeoutSeconds: 3,
          alertTopicArn: ALERT_TOPIC,
          vpc: closed.placement("in-reach"),
          policyStatements: [{ Action: ["sqs:SendMessage", "s3:GetObject", "kms:Decrypt"], Resource: "*" }],
        });
      });
    } finally {
      (pulumi.log as { warn: typeof warn }).warn = warn;
    }
    expect(warnings).to.deep.equal([
      "function cut-off runs in a VPC without a NAT gateway, and its role calls events, sns, which no VPC endpoint there serves: those calls will time out. Add an interface endpoint for each (Network's create.interfaceEndpoints), or a NAT gateway",
    ]);
  });
});
