/** The edge in each stack's graph: TLS, the us-east-1 certificate and its DNS, uncached errors, WAF, the origin header. */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { Edge } from "../components/edge";
import { revealSecrets } from "../graph/capture";
import { SECRET, toPlanDocument } from "../graph/plan";
import { captureStack } from "../graph/capture";
import { captureComponents, constructionError, GraphView, PROGRAM_DIR, stackGraph, stageVariantGraph } from "./harness";

const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const EDGE_TYPES = /^(aws:cloudfront\/|aws:acm\/|aws:route53\/|aws:wafv2\/|pulumi:providers:aws$|platform:edge:)/;

describe("the edge", function () {
  this.timeout(60_000);
  let prod: GraphView;
  let stage: GraphView;
  before(async () => {
    prod = await stackGraph("prod");
    stage = await stackGraph("stage");
  });
  const distribution = (view: GraphView) => view.all(DISTRIBUTION)[0];

  it("serves viewers TLS 1.2+ over HTTP/2 and HTTP/3, redirecting HTTP, with SNI, and reaches the API https-only over TLS 1.2", () => {
    const d = distribution(prod).inputs;
    expect(d).to.include({ httpVersion: "http2and3", isIpv6Enabled: true });
    expect(d.viewerCertificate).to.include({ sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" });
    expect(d.defaultCacheBehavior.viewerProtocolPolicy).to.equal("redirect-to-https");
    // The origins carry the secret header, so the whole list is a secret; reveal it to read it.
    const origin = revealSecrets(d.origins)[0];
    expect(origin.customOriginConfig).to.include({ originProtocolPolicy: "https-only", originReadTimeout: 30 });
    expect(origin.customOriginConfig.originSslProtocols).to.deep.equal(["TLSv1.2"]);
    const api = prod.all("aws:apigatewayv2/api:Api")[0];
    expect(`https://${origin.domainName}`).to.equal(api.state.apiEndpoint);
  });

  it("issues the certificate in us-east-1 through an explicit provider that keeps the account guard, validated by DNS", () => {
    const cert = prod.all("aws:acm/certificate:Certificate")[0];
    expect(cert.inputs).to.include({ domainName: "api.example.com", validationMethod: "DNS" });
    const provider = prod.providerOf(cert);
    expect(provider.inputs.region).to.equal("us-east-1");
    expect(JSON.parse(provider.inputs.allowedAccountIds)).to.deep.equal(["333333333333"]);
    expect(JSON.parse(provider.inputs.assumeRoles)[0].roleArn).to.equal("arn:aws:iam::333333333333:role/platform-deploy");
    const option = cert.state.domainValidationOptions[0];
    const record = prod.one("aws:route53/record:Record", "edge-certificate-dns");
    expect(record.inputs).to.include({ zoneId: "Z0123456789EXAMPLE", name: option.resourceRecordName, type: "CNAME" });
    expect(record.inputs.records).to.deep.equal([option.resourceRecordValue]);
    const validation = prod.all("aws:acm/certificateValidation:CertificateValidation")[0];
    expect(validation.inputs).to.deep.include({ certificateArn: cert.arn, validationRecordFqdns: [record.state.fqdn] });
    expect(distribution(prod).inputs.viewerCertificate.acmCertificateArn).to.equal(cert.arn);
  });

  it("points A and AAAA alias records of the domain at the distribution", () => {
    const d = distribution(prod);
    for (const type of ["A", "AAAA"]) {
      const record = prod.one("aws:route53/record:Record", `edge-alias-${type.toLowerCase()}`);
      expect(record.inputs).to.include({ zoneId: "Z0123456789EXAMPLE", name: "api.example.com", type });
      expect(record.inputs.aliases).to.deep.equal([
        { name: d.state.domainName, zoneId: d.state.hostedZoneId, evaluateTargetHealth: false },
      ]);
    }
  });

  it("never caches a 5xx, in any behaviour, caches a 404 briefly, and caches no API route by default", () => {
    for (const view of [prod, stage]) {
      const d = distribution(view).inputs;
      const ttl = (code: number) => d.customErrorResponses.find((r: any) => r.errorCode === code)?.errorCachingMinTtl;
      for (const code of [500, 502, 503, 504]) expect(ttl(code), `${code}`).to.equal(0);
      expect(ttl(404)).to.equal(10);
      // Error caching rules are the distribution's, so they hold for the default and every ordered behaviour.
      expect(d.defaultCacheBehavior).to.include({
        cachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        originRequestPolicyId: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
      });
      expect(d.orderedCacheBehaviors).to.deep.equal([]);
    }
  });

  it("sets HSTS and the usual security headers, and logs to a secure bucket", () => {
    const policy = prod.all("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")[0];
    expect(policy.inputs.securityHeadersConfig.strictTransportSecurity).to.include({
      accessControlMaxAgeSec: 63072000,
      includeSubdomains: true,
      override: true,
    });
    expect(policy.inputs.securityHeadersConfig.frameOptions.frameOption).to.equal("DENY");
    expect(distribution(prod).inputs.defaultCacheBehavior.responseHeadersPolicyId).to.equal(policy.id);
    const logs = prod.descendants(prod.one("platform:storage:SecureBucket", "edge-access-logs"), "aws:s3/bucket:Bucket")[0];
    expect(distribution(prod).inputs.loggingConfig.bucket).to.equal(logs.state.bucketDomainName);
  });

  it("puts a WAF in front by default: managed common and known-bad-inputs rules and a rate limit, with metrics", () => {
    const acl = prod.all("aws:wafv2/webAcl:WebAcl");
    expect(acl).to.have.length(1);
    expect(acl[0].inputs.scope).to.equal("CLOUDFRONT");
    const rules = acl[0].inputs.rules;
    expect(rules.map((r: any) => r.statement.managedRuleGroupStatement?.name ?? "rate")).to.deep.equal([
      "AWSManagedRulesCommonRuleSet",
      "AWSManagedRulesKnownBadInputsRuleSet",
      "rate",
    ]);
    expect(rules[2].statement.rateBasedStatement).to.deep.equal({ limit: 2000, aggregateKeyType: "IP" });
    for (const r of [...rules, acl[0].inputs]) expect(r.visibilityConfig.cloudwatchMetricsEnabled).to.equal(true);
    expect(distribution(prod).inputs.webAclId).to.equal(acl[0].arn);
    expect(stage.all("aws:wafv2/webAcl:WebAcl")).to.have.length(1);
  });

  it("gives stage a domain of its own, as prod has", () => {
    expect(stage.all("aws:acm/certificate:Certificate")[0].inputs.domainName).to.equal("api.stage.example.com");
    expect(distribution(stage).inputs.viewerCertificate).to.include({
      minimumProtocolVersion: "TLSv1.2_2021",
      sslSupportMethod: "sni-only",
    });
    expect(stage.graph.outputs.url).to.equal("https://api.stage.example.com");
    expect(prod.graph.outputs.url).to.equal("https://api.example.com");
  });

  it("uses the CloudFront domain and no certificate only where a stack says why, and warns about it", async () => {
    const reason = "a short-lived load-test stack with no zone of its own";
    const warnings: string[] = [];
    const warn = pulumi.log.warn;
    (pulumi.log as any).warn = (message: string) => warnings.push(message);
    let view: GraphView;
    try {
      view = new GraphView(await captureStack(PROGRAM_DIR, "stage", { edgeDomain: "", edgeHostedZoneId: "", edgeNoDomainReason: reason }));
    } finally {
      (pulumi.log as any).warn = warn;
    }
    expect(distribution(view).inputs.viewerCertificate).to.deep.equal({ cloudfrontDefaultCertificate: true });
    expect(view.all("aws:acm/certificate:Certificate")).to.have.length(0);
    expect(view.all("aws:route53/record:Record")).to.have.length(0);
    expect(view.graph.outputs.url).to.equal(`https://${distribution(view).state.domainName}`);
    expect(warnings).to.deep.equal([`Edge edge serves CloudFront's own domain, without a certificate of its own: ${reason}`]);
  });

  it("refuses an edge with neither a domain nor a reason, in the component and in stage's config", async () => {
    const args = { apiEndpoint: "https://abc.execute-api.eu-west-1.amazonaws.com", originSecret: "s", accountId: "123456789012" };
    expect(await constructionError(() => new Edge("cdn", args))).to.equal(
      'Edge "cdn": set exactly one of domain (ACM certificate, TLS 1.2+ for every viewer) and noDomainReason',
    );
    expect(
      await constructionError(
        () => new Edge("cdn", { ...args, domain: { name: "a.example.com", hostedZoneId: "Z1" }, noDomainReason: "both" }),
      ),
    ).to.include("set exactly one of");
    let message = "";
    await captureStack(PROGRAM_DIR, "stage", { edgeDomain: "", edgeHostedZoneId: "" }).catch((err) => (message = err.message));
    expect(message).to.include("platform:edgeDomain: outside dev the edge needs a domain");
  });

  it("sends the secret origin header, kept secret in the plan, and gives functions only its hash", async () => {
    // Prod sets no origin secret of its own, so the stack generates one and keeps it as a secret.
    const generated = revealSecrets(prod.one("random:index/randomPassword:RandomPassword", "origin-verify-secret-value").state.result);
    expect(generated).to.match(/^offline-generated-/);
    const header = revealSecrets(distribution(prod).inputs.origins)[0].customHeaders[0];
    expect(header).to.deep.equal({ name: "x-origin-verify", value: generated });
    const doc = await toPlanDocument(prod.graph, []);
    expect(doc.resources.find((r) => r.type === DISTRIBUTION)!.inputs.origins).to.equal(SECRET);
    const hash = createHash("sha256").update(generated).digest("hex");
    // Every function of the app; the rollout hook is invoked by CodeDeploy only, never through the API.
    const app = prod.all("aws:lambda/function:Function").filter((fn) => fn.name !== "rollouts-hook");
    expect(app).to.have.length(5);
    for (const fn of app) expect(fn.inputs.environment.variables.ORIGIN_VERIFY_SHA256, fn.name).to.equal(hash);
    expect(prod.one("aws:lambda/function:Function", "rollouts-hook").inputs.environment.variables).to.not.have.property(
      "ORIGIN_VERIFY_SHA256",
    );
  });

  it("alarms on the distribution's 5xx rate in us-east-1", () => {
    const alarm = prod.one("aws:cloudwatch/metricAlarm:MetricAlarm", "edge-5xx-rate");
    expect(alarm.inputs).to.include({ namespace: "AWS/CloudFront", metricName: "5xxErrorRate" });
    expect(alarm.inputs.dimensions).to.deep.equal({ DistributionId: distribution(prod).id, Region: "Global" });
    expect(prod.providerOf(alarm).inputs.region).to.equal("us-east-1");
  });

  it("is removed cleanly when disabled: no edge resource, no origin check, the API's URL as the main URL", async () => {
    const dev = await stackGraph("dev");
    const off = await stageVariantGraph();
    for (const view of [dev, off]) {
      expect(view.resources.filter((r) => EDGE_TYPES.test(r.type)).map((r) => r.type)).to.deep.equal([]);
      for (const fn of view.all("aws:lambda/function:Function"))
        expect(fn.inputs.environment.variables).to.not.have.property("ORIGIN_VERIFY_SHA256");
      expect(view.graph.outputs.url).to.equal(view.graph.outputs.apiUrl);
    }
  });

  it("lets a route opt into caching with explicit TTLs and a cache key of what varies", async () => {
    const view = await captureComponents(
      () =>
        new Edge("cdn", {
          apiEndpoint: "https://abc.execute-api.eu-west-1.amazonaws.com",
          originSecret: pulumi.secret("s3cret"),
          accountId: "123456789012",
          waf: false,
          noDomainReason: "a component test",
          cachedRoutes: [
            { pathPattern: "/catalog/*", defaultTtlSeconds: 60, maxTtlSeconds: 300, queryStrings: ["page"], headers: ["accept-language"] },
          ],
        }),
    );
    const policy = view.all("aws:cloudfront/cachePolicy:CachePolicy")[0];
    expect(policy.inputs).to.include({ defaultTtl: 60, maxTtl: 300, minTtl: 0 });
    const key = policy.inputs.parametersInCacheKeyAndForwardedToOrigin;
    expect(key.queryStringsConfig).to.deep.equal({ queryStringBehavior: "whitelist", queryStrings: { items: ["page"] } });
    expect(key.headersConfig).to.deep.equal({ headerBehavior: "whitelist", headers: { items: ["accept-language"] } });
    const behavior = view.all(DISTRIBUTION)[0].inputs;
    expect(JSON.stringify(behavior)).to.include(policy.id!);
    expect(view.all("aws:wafv2/webAcl:WebAcl")).to.deep.equal([]);
  });
});
