/**
 * Edge on its own, two ways (a custom domain with the defaults; CloudFront's own domain with every option
 * set): the us-east-1 provider, the distribution's settings compared whole, the security headers, the
 * web ACL's rules, each cache policy, the certificate and its DNS, the alias records, the 5xx alarm, the
 * access log bucket, the URL, the transforms, and the arguments it refuses.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { Edge, EdgeArgs } from "../../components/edge";
import { revealSecrets } from "../../graph/capture";
import { captureComponents, constructionError, GraphView, keptOptions, recordAliases } from "../harness";

const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com";
const base: EdgeArgs = { apiEndpoint: ENDPOINT, originSecret: "s3cret", accountId: "123456789012" };

describe("Edge's details", () => {
  let graph: GraphView;
  const urls: Record<string, string> = {};
  const warnings: string[] = [];
  let aliasesOf: Map<string, unknown[]>;
  /** Runs `work` with the program's warnings collected instead of printed. */
  async function collectingWarnings<T>(work: () => Promise<T>): Promise<T> {
    const warn = pulumi.log.warn;
    (pulumi.log as { warn: unknown }).warn = (message: string) => warnings.push(message);
    try {
      return await work();
    } finally {
      (pulumi.log as { warn: unknown }).warn = warn;
    }
  }
  before(async () => {
    // Each run's own warnings only: under Stryker the suite runs again for every mutant.
    warnings.length = 0;
    graph = await collectingWarnings(() =>
      captureComponents(() => {
        aliasesOf = recordAliases();
        const full = new Edge("full", { ...base, domain: { name: "api.example.com", hostedZoneId: "Z123" } });
        const own = new Edge("own", {
          ...base,
          noDomainReason: "a preview stack",
          assumeRoleArn: "arn:aws:iam::123456789012:role/platform-deploy",
          priceClass: "PriceClass_All",
          waf: false,
          notFoundTtlSeconds: 0,
          protect: false,
          cachedRoutes: [
            { pathPattern: "/catalog/*", defaultTtlSeconds: 60, maxTtlSeconds: 300, queryStrings: ["page"], headers: ["accept-language"] },
            { pathPattern: "/static/*", defaultTtlSeconds: 3600, maxTtlSeconds: 86400 },
          ],
          transform: {
            distribution: (args) => void (args.comment = "custom distribution"),
            cachePolicy: (args) => void (args.minTtl = 1),
            responseHeadersPolicy: (args) => void (args.comment = "custom headers"),
          },
        });
        new Edge("tuned", {
          ...base,
          noDomainReason: "tests",
          wafRuleGroups: ["AWSManagedRulesAmazonIpReputationList"],
          wafRateLimit: 500,
          transform: { webAcl: (args) => void (args.description = "custom acl") },
        });
        new Edge("certified", {
          ...base,
          domain: { name: "www.example.com", hostedZoneId: "Z9" },
          transform: { certificate: (args) => void (args.keyAlgorithm = "EC_prime256v1") },
        });
        full.url.apply((u) => (urls.full = u));
        own.url.apply((u) => (urls.own = u));
      }),
    );
  });
  const distribution = (name: string) => graph.one(DISTRIBUTION, name);
  const provider = (name: string) => graph.one("pulumi:providers:aws", `${name}-us-east-1`).inputs;

  it("works in us-east-1 through a provider that keeps the stack's account guard, and its deploy role when given", () => {
    expect(provider("full").region).to.equal("us-east-1");
    expect(JSON.parse(provider("full").allowedAccountIds)).to.deep.equal(["123456789012"]);
    expect(provider("full").assumeRoles).to.equal(undefined);
    expect(JSON.parse(provider("own").assumeRoles)).to.deep.equal([
      { roleArn: "arn:aws:iam::123456789012:role/platform-deploy", sessionName: "pulumi-test-edge" },
    ]);
  });

  it("serves the API over HTTP/2 and 3 and IPv6 from North America and Europe, with TLS 1.2+ on its domain, logging to its bucket", () => {
    const d = distribution("full").inputs;
    expect(d).to.deep.include({
      enabled: true,
      comment: "platform-test API",
      isIpv6Enabled: true,
      httpVersion: "http2and3",
      priceClass: "PriceClass_100",
      aliases: ["api.example.com"],
      restrictions: { geoRestriction: { restrictionType: "none" } },
      webAclId: graph.one("aws:wafv2/webAcl:WebAcl", "full-waf").arn,
    });
    expect(d.viewerCertificate).to.deep.equal({
      acmCertificateArn: graph.one("aws:acm/certificate:Certificate", "full-certificate").arn,
      sslSupportMethod: "sni-only",
      minimumProtocolVersion: "TLSv1.2_2021",
    });
    expect(d.loggingConfig).to.deep.equal({
      bucket: graph.one("aws:s3/bucket:Bucket", "full-access-logs").state.bucketDomainName,
      prefix: "cloudfront/",
      includeCookies: false,
    });
    expect(d.customErrorResponses).to.deep.equal([
      { errorCode: 500, errorCachingMinTtl: 0 },
      { errorCode: 502, errorCachingMinTtl: 0 },
      { errorCode: 503, errorCachingMinTtl: 0 },
      { errorCode: 504, errorCachingMinTtl: 0 },
      { errorCode: 404, errorCachingMinTtl: 10 },
    ]);
  });

  it("reaches the API https-only over TLS 1.2 with the secret origin header, and caches nothing by default", () => {
    const d = distribution("full").inputs;
    expect(revealSecrets(d.origins)).to.deep.equal([
      {
        originId: "api",
        domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
        customOriginConfig: {
          originProtocolPolicy: "https-only",
          originSslProtocols: ["TLSv1.2"],
          httpPort: 80,
          httpsPort: 443,
          originReadTimeout: 30,
          originKeepaliveTimeout: 5,
        },
        customHeaders: [{ name: "x-origin-verify", value: "s3cret" }],
      },
    ]);
    expect(d.defaultCacheBehavior).to.deep.equal({
      targetOriginId: "api",
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
      cachedMethods: ["GET", "HEAD"],
      cachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
      originRequestPolicyId: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
      responseHeadersPolicyId: graph.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "full-security-headers").id,
      compress: true,
    });
    expect(d.orderedCacheBehaviors).to.deep.equal([]);
  });

  it("sets HSTS for two years with subdomains and preload, nosniff, DENY framing, a strict referrer and XSS blocking", () => {
    const policy = graph.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "full-security-headers").inputs;
    expect(policy.comment).to.equal("HSTS and the usual security headers");
    expect(policy.securityHeadersConfig).to.deep.equal({
      strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, preload: true, override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: "DENY", override: true },
      referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
      xssProtection: { protection: true, modeBlock: true, override: true },
    });
  });

  it("puts AWS's common and known-bad-inputs rules, then a rate limit of 2000 per IP, in a web ACL in us-east-1, all measured", () => {
    const acl = graph.one("aws:wafv2/webAcl:WebAcl", "full-waf");
    expect(graph.providerOf(acl).inputs.region).to.equal("us-east-1");
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    expect(acl.inputs).to.deep.include({ scope: "CLOUDFRONT", defaultAction: { allow: {} }, visibilityConfig: visibility("full-waf") });
    expect(acl.inputs.rules).to.deep.equal([
      ...["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"].map((group, i) => ({
        name: group,
        priority: i + 1,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
        visibilityConfig: visibility(group),
      })),
      {
        name: "rate-limit",
        priority: 3,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: "IP" } },
        visibilityConfig: visibility("rate-limit"),
      },
    ]);
  });

  it("takes other rule groups and rate limit, and no web ACL at all when told", () => {
    const acl = graph.one("aws:wafv2/webAcl:WebAcl", "tuned-waf").inputs;
    expect(acl.rules.map((r: any) => [r.name, r.priority])).to.deep.equal([
      ["AWSManagedRulesAmazonIpReputationList", 1],
      ["rate-limit", 2],
    ]);
    expect(acl.rules[1].statement.rateBasedStatement.limit).to.equal(500);
    expect(acl.description).to.equal("custom acl");
    expect(graph.all("aws:wafv2/webAcl:WebAcl").map((a) => a.name)).to.have.members(["full-waf", "tuned-waf", "certified-waf"]);
    expect(distribution("own").inputs.webAclId).to.equal(undefined);
  });

  it("serves CloudFront's own domain without a certificate when a reason is given, with the options it was given", () => {
    const d = distribution("own").inputs;
    expect(d.viewerCertificate).to.deep.equal({ cloudfrontDefaultCertificate: true });
    expect(d).to.deep.include({ aliases: [], priceClass: "PriceClass_All", comment: "custom distribution" });
    expect(d.customErrorResponses[4]).to.deep.equal({ errorCode: 404, errorCachingMinTtl: 0 });
    expect(graph.all("aws:route53/record:Record").filter((r) => r.name.startsWith("own-"))).to.deep.equal([]);
    expect(urls.own).to.equal(`https://${distribution("own").state.domainName}`);
    expect(urls.full).to.equal("https://api.example.com");
    // Every preview says so, once per edge without a domain.
    expect(warnings.slice(0, 2)).to.deep.equal([
      "Edge own serves CloudFront's own domain, without a certificate of its own: a preview stack",
      "Edge tuned serves CloudFront's own domain, without a certificate of its own: tests",
    ]);
  });

  it("caches each opted-in path by its own policy: explicit TTLs, compressed, keyed by the query strings and headers named", () => {
    const behaviors = distribution("own").inputs.orderedCacheBehaviors;
    expect(behaviors.map((b: any) => b.pathPattern)).to.deep.equal(["/catalog/*", "/static/*"]);
    const policy = (slug: string) => graph.one("aws:cloudfront/cachePolicy:CachePolicy", `own-cache-${slug}`);
    expect(behaviors[0].cachePolicyId).to.equal(policy("catalog").id);
    expect(behaviors[0]).to.deep.include({ targetOriginId: "api", viewerProtocolPolicy: "redirect-to-https", compress: true });
    expect(policy("catalog").inputs).to.deep.equal({
      comment: "Caches /catalog/*",
      defaultTtl: 60,
      maxTtl: 300,
      minTtl: 1,
      parametersInCacheKeyAndForwardedToOrigin: {
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
        queryStringsConfig: { queryStringBehavior: "whitelist", queryStrings: { items: ["page"] } },
        headersConfig: { headerBehavior: "whitelist", headers: { items: ["accept-language"] } },
        cookiesConfig: { cookieBehavior: "none" },
      },
    });
    expect(policy("static").inputs.parametersInCacheKeyAndForwardedToOrigin).to.deep.include({
      queryStringsConfig: { queryStringBehavior: "none" },
      headersConfig: { headerBehavior: "none" },
    });
    // Named by position once: each keeps that name as an alias, so a stack made then is not replaced.
    expect(aliasesOf.get("own-cache-catalog")).to.deep.equal([{ name: "own-cache-0" }]);
    expect(aliasesOf.get("own-cache-static")).to.deep.equal([{ name: "own-cache-1" }]);
    expect(graph.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "own-security-headers").inputs.comment).to.equal(
      "custom headers",
    );
  });

  it("issues its certificate in us-east-1, validated by a DNS record in the domain's zone, and points A and AAAA at itself", () => {
    const cert = graph.one("aws:acm/certificate:Certificate", "full-certificate");
    expect(cert.inputs).to.deep.include({ domainName: "api.example.com", validationMethod: "DNS" });
    expect(graph.providerOf(cert).name).to.equal("full-us-east-1");
    const option = cert.state.domainValidationOptions[0];
    const record = graph.one("aws:route53/record:Record", "full-certificate-dns");
    expect(record.inputs).to.deep.equal({
      zoneId: "Z123",
      name: option.resourceRecordName,
      type: option.resourceRecordType,
      records: [option.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = graph.one("aws:acm/certificateValidation:CertificateValidation", "full-certificate-validation");
    expect(validation.inputs).to.deep.equal({ certificateArn: cert.arn, validationRecordFqdns: [record.state.fqdn] });
    expect(graph.providerOf(validation).name).to.equal("full-us-east-1");
    const d = distribution("full");
    for (const type of ["A", "AAAA"])
      expect(graph.one("aws:route53/record:Record", `full-alias-${type.toLowerCase()}`).inputs).to.deep.equal({
        zoneId: "Z123",
        name: "api.example.com",
        type,
        aliases: [{ name: d.state.domainName, zoneId: d.state.hostedZoneId, evaluateTargetHealth: false }],
      });
    expect(graph.one("aws:acm/certificate:Certificate", "certified-certificate").inputs.keyAlgorithm).to.equal("EC_prime256v1");
  });

  it("alarms in us-east-1 when over 5% of viewers' requests get a 5xx over five minutes, telling the edge's own topic", () => {
    const alarm = graph.one("aws:cloudwatch/metricAlarm:MetricAlarm", "full-5xx-rate");
    expect(alarm.inputs).to.deep.include({
      namespace: "AWS/CloudFront",
      metricName: "5xxErrorRate",
      dimensions: { DistributionId: distribution("full").id, Region: "Global" },
      statistic: "Average",
      threshold: 5,
      period: 300,
      alarmActions: [graph.one("aws:sns/topic:Topic", "full-alerts").arn],
    });
    expect(alarm.inputs.alarmDescription).to.equal(
      "CloudFront full is answering 5xx to viewers. Look at the API's 5xx alarm and access logs, then the distribution's logs under cloudfront/.",
    );
    expect(graph.providerOf(alarm).name).to.equal("full-us-east-1");
    // CloudFront's alarms live in us-east-1, and may only tell a topic there: the edge's own, below it.
    const topic = graph.one("aws:sns/topic:Topic", "full-alerts");
    expect(graph.providerOf(topic).name).to.equal("full-us-east-1");
    expect(graph.providerOf(graph.one("aws:kms/key:Key", "full-alerts-key")).name).to.equal("full-us-east-1");
    expect(graph.one("platform:observability:Alerts", "full-alerts").parent).to.equal(graph.one("platform:edge:Edge", "full").urn);
  });

  it("logs to an unversioned bucket CloudFront may write, kept 90 days, protected unless told", () => {
    const bucket = graph.one("aws:s3/bucket:Bucket", "full-access-logs");
    expect(keptOptions(bucket)).to.deep.equal([true, true]);
    const own = graph.one("aws:s3/bucket:Bucket", "own-access-logs");
    expect(keptOptions(own)).to.deep.equal([false, false]);
    expect(
      graph.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "full-access-logs-ownership").inputs.rule.objectOwnership,
    ).to.equal("BucketOwnerPreferred");
    expect(
      graph.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "full-access-logs-lifecycle").inputs.rules[0]
        .expiration,
    ).to.deep.equal({ days: 90 });
    expect(graph.all("aws:s3/bucketVersioning:BucketVersioning").filter((v) => v.name.startsWith("full-"))).to.deep.equal([]);
  });

  it("refuses a domain and a reason together, neither, and two cached paths that would name one policy", async () => {
    const both = "set exactly one of domain (ACM certificate, TLS 1.2+ for every viewer) and noDomainReason";
    expect(await constructionError(() => new Edge("e", base))).to.equal(`Edge "e": ${both}`);
    expect(
      await constructionError(() => new Edge("e", { ...base, noDomainReason: "x", domain: { name: "a.example.com", hostedZoneId: "Z" } })),
    ).to.equal(`Edge "e": ${both}`);
    const route = { defaultTtlSeconds: 1, maxTtlSeconds: 2 };
    expect(
      await collectingWarnings(() =>
        constructionError(
          () =>
            new Edge("e", {
              ...base,
              noDomainReason: "x",
              cachedRoutes: [
                { pathPattern: "/a/*", ...route },
                { pathPattern: "/a*", ...route },
              ],
            }),
        ),
      ),
    ).to.equal('Edge "e" cachedRoutes: "/a/*" and "/a*" would name the same child (a)');
  });
});
