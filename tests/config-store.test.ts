/**
 * Environments and configuration in each stack's graph: the ConfigStore's encryption and who may
 * read it, secrets that never reach the plan or an environment variable, and prod's protections.
 */
import { expect } from "chai";
import { revealSecrets } from "../graph/capture";
import { SECRET, toPlanDocument } from "../graph/plan";
import * as aws from "../components/aws";
import { ConfigStore } from "../components/config-store";
import { policyDocument } from "../components/iam";
import { captureComponents, constructionError, GraphView, parsed, stackGraph } from "./harness";

const BUCKET = "aws:s3/bucket:Bucket";
const POLICY = "aws:s3/bucketPolicy:BucketPolicy";

describe("the ConfigStore", () => {
  let dev: GraphView;
  before(async () => {
    dev = await stackGraph("dev");
  });

  const store = () => dev.one("platform:config:ConfigStore", "app-config");
  const statementsOf = (policy: string) => JSON.parse(policy).Statement as any[];

  it("encrypts its bucket with its own rotating KMS key, with versioning, no public access and TLS only", () => {
    const key = dev.descendants(store(), "aws:kms/key:Key")[0];
    expect(key.inputs).to.include({ enableKeyRotation: true, deletionWindowInDays: 30 });
    // The key policy names only the account; who may decrypt is decided by IAM, on the readers' roles.
    expect(statementsOf(key.inputs.policy)).to.deep.equal([
      {
        Sid: "AccountAdministersKey",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::111111111111:root" },
        Action: ["kms:*"],
        Resource: "*",
      },
    ]);
    const bucket = dev.descendants(store(), BUCKET)[0];
    const of = (type: string) => dev.descendants(store(), type).filter((r) => r.inputs.bucket === bucket.id);
    const rule = of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0].inputs.rules[0];
    expect(rule).to.deep.equal({
      applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
      bucketKeyEnabled: true,
    });
    expect(of("aws:s3/bucketVersioning:BucketVersioning")[0].inputs.versioningConfiguration).to.deep.equal({ status: "Enabled" });
    expect(of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0].inputs).to.include({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const tls = statementsOf(of(POLICY)[0].inputs.policy).find((s) => s.Sid === "DenyInsecureTransport");
    expect(tls).to.include({ Effect: "Deny", Principal: "*" });
    expect(tls.Condition).to.deep.equal({ Bool: { "aws:SecureTransport": "false" } });
  });

  it("lets only dailyReport's role read the config object: the bucket denies every other principal", () => {
    const bucket = dev.descendants(store(), BUCKET)[0];
    const policy = dev.descendants(store(), POLICY).find((p) => p.inputs.bucket === bucket.id)!;
    const deny = statementsOf(policy.inputs.policy).find((s) => s.Sid === "OnlyReadersGetObjects");
    const reportRole = dev.descendants(dev.one("platform:compute:LambdaFunction", "daily-report"), "aws:iam/role:Role")[0];
    expect(deny).to.include({ Effect: "Deny", Principal: "*", Resource: `${bucket.arn}/*` });
    expect(deny.Action).to.deep.equal(["s3:GetObject", "s3:GetObjectVersion"]);
    expect(deny.Condition).to.deep.equal({ ArnNotEquals: { "aws:PrincipalArn": [reportRole.arn] } });
  });

  it("grants dailyReport GetObject on the one object and Decrypt on the one key, and no other role either", () => {
    const key = dev.descendants(store(), "aws:kms/key:Key")[0];
    const bucket = dev.descendants(store(), BUCKET)[0];
    const object = dev.descendants(store(), "aws:s3/bucketObjectv2:BucketObjectv2")[0];
    expect(object.inputs).to.include({ key: "config/dev.json", serverSideEncryption: "aws:kms", kmsKeyId: key.arn });
    const touches = (p: { inputs: Record<string, any> }) =>
      JSON.stringify(parsed(p as any, "policy").Statement.map((st: any) => st.Resource));
    const readers = dev
      .all("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => touches(p).includes(bucket.arn!) || touches(p).includes(key.arn!));
    expect(readers.map((p) => dev.byUrn(p.parent!).name)).to.deep.equal(["daily-report"]);
    const statements = parsed(readers[0], "policy").Statement as any[];
    expect(statements.find((s) => s.Sid === "ReadConfigObject").Resource).to.equal(`${bucket.arn}/config/dev.json`);
    expect(statements.find((s) => s.Sid === "DecryptConfig").Resource).to.equal(key.arn);
  });

  it("tells dailyReport where its config is, and nothing more, through its environment", () => {
    const fn = dev.descendants(dev.one("platform:compute:LambdaFunction", "daily-report"), "aws:lambda/function:Function")[0];
    const bucket = dev.descendants(store(), BUCKET)[0];
    expect(fn.inputs.environment.variables).to.include({ CONFIG_BUCKET: bucket.state.bucket, CONFIG_KEY: "config/dev.json" });
  });
});

describe("the ConfigStore component alone", () => {
  const READER = "arn:aws:iam::123456789012:role/reader";
  let graph: GraphView;
  before(async () => {
    graph = await captureComponents(() => {
      const store = new ConfigStore("cfg", { document: '{"a":1}' });
      store.grantRead([READER]);
      new aws.iam.RolePolicy("reader-policy", { role: "reader", policy: policyDocument(store.readStatements()) });
      new ConfigStore("named", { document: "{}", key: "settings/app.json", protect: false });
      // A store under a provider of another region: its readers decrypt through S3 of that region.
      const west = new aws.Provider("west", { region: "us-west-2" });
      const regional = new ConfigStore("regional", { document: "{}" }, { providers: { aws: west } });
      new aws.iam.RolePolicy("regional-reader-policy", { role: "reader", policy: policyDocument(regional.readStatements()) });
    });
  });

  it("keeps one encrypted JSON document per stack, under a key of the stack's name unless told", () => {
    const key = graph.one("aws:kms/key:Key", "cfg-key");
    expect(key.inputs.description).to.equal("Encrypts the cfg config bucket");
    expect(key.options.protect).to.equal(true);
    expect(graph.one("aws:s3/bucketObjectv2:BucketObjectv2", "cfg-document").inputs).to.deep.include({
      bucket: graph.one(BUCKET, "cfg-bucket").id,
      key: "config/test.json",
      content: '{"a":1}',
      contentType: "application/json",
      serverSideEncryption: "aws:kms",
      kmsKeyId: key.arn,
    });
    expect(graph.one("aws:s3/bucketObjectv2:BucketObjectv2", "named-document").inputs.key).to.equal("settings/app.json");
    expect(graph.one("aws:kms/key:Key", "named-key").options.protect).to.equal(false);
  });

  it("gives a reader GetObject on the one object and Decrypt on the one key through S3 only", () => {
    const bucket = graph.one(BUCKET, "cfg-bucket");
    const { region } = graph.graph.placement;
    expect(parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "reader-policy"), "policy").Statement).to.deep.equal([
      { Sid: "ReadConfigObject", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucket.arn}/config/test.json` },
      {
        Sid: "DecryptConfig",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: graph.one("aws:kms/key:Key", "cfg-key").arn,
        Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
      },
    ]);
    const deny = parsed(graph.one(POLICY, "cfg-bucket-policy"), "policy").Statement.find((st: any) => st.Sid === "OnlyReadersGetObjects");
    expect(deny).to.deep.equal({
      Sid: "OnlyReadersGetObjects",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: `${bucket.arn}/*`,
      Condition: { ArnNotEquals: { "aws:PrincipalArn": [READER] } },
    });
  });

  it("names the S3 of the store's own region, through its provider, in the decrypt condition", () => {
    const decrypt = parsed(graph.one("aws:iam/rolePolicy:RolePolicy", "regional-reader-policy"), "policy").Statement[1];
    expect(decrypt.Condition).to.deep.equal({ StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } });
  });

  it("refuses a grant to nobody, naming the store", async () => {
    expect(await constructionError(() => new ConfigStore("empty", { document: "{}" }).grantRead([]))).to.equal(
      'ConfigStore "empty": grantRead needs at least one role',
    );
  });
});

describe("secrets", () => {
  for (const stack of ["dev", "stage", "prod"]) {
    it(`never appear in ${stack}'s plan document or in any function's environment`, async () => {
      // The committed stacks set no signing key, so each generates one: the value to look for.
      const view = await stackGraph(stack);
      const secret = revealSecrets(view.one("random:index/randomPassword:RandomPassword", "report-signing-key-value").state.result);
      expect(secret).to.match(/^offline-generated-/);
      const doc = await toPlanDocument(view.graph, []);
      expect(JSON.stringify(doc)).to.not.include(secret);
      const object = doc.resources.find((r) => r.type === "aws:s3/bucketObjectv2:BucketObjectv2")!;
      expect(object.inputs.content).to.equal(SECRET);
      for (const fn of view.all("aws:lambda/function:Function")) expect(JSON.stringify(fn.inputs.environment ?? {})).to.not.include(secret);
      // The value did reach the object: the secret is carried, only never shown.
      expect(JSON.stringify(view.all("aws:s3/bucketObjectv2:BucketObjectv2")[0].inputs.content)).to.include(secret);
    });
  }
});

describe("prod's protections", () => {
  it("protects and retains prod's config bucket and key, and lets dev's be destroyed", async () => {
    for (const [stack, protectedState] of [
      ["prod", true],
      ["dev", false],
    ] as const) {
      const view = await stackGraph(stack);
      const store = view.one("platform:config:ConfigStore", "app-config");
      for (const r of [...view.descendants(store, BUCKET), ...view.descendants(store, "aws:kms/key:Key")]) {
        expect(r.options, `${stack} ${r.type}`).to.deep.include({ protect: protectedState, retainOnDelete: protectedState });
      }
      expect(view.descendants(store, BUCKET)[0].inputs.forceDestroy).to.equal(!protectedState);
    }
  });
});
