import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { ORIGIN_VERIFY_HEADER } from "../policy/contracts";
import { metricAlarm } from "./alarms";
import { Alerts } from "./alerts";
import { Transform, transformed, uniqueSlugs } from "./child";
import { SecureBucket } from "./secure-bucket";

/** AWS managed CloudFront policies (their ids are fixed). */
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/** The AWS managed WAF rule groups the web ACL uses unless told otherwise, in priority order. */
export const DEFAULT_WAF_RULE_GROUPS = ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"];

/** A path that may be cached, with explicit TTLs; its cache key holds what makes its responses differ. */
export interface CachedRoute {
  /** CloudFront path pattern, e.g. "/catalog/*". */
  pathPattern: string;
  /** Seconds a response is fresh when the origin says nothing. */
  defaultTtlSeconds: number;
  /** Longest time any response is kept. */
  maxTtlSeconds: number;
  /** Query strings in the cache key. @default none */
  queryStrings?: string[];
  /** Headers in the cache key. @default none */
  headers?: string[];
}

/** A custom domain for the distribution, with its Route53 zone. */
export interface EdgeDomain {
  /** e.g. api.example.com */
  name: string;
  /** The Route53 hosted zone that holds it. */
  hostedZoneId: string;
}

/** CloudFront in front of the HTTP API: TLS 1.2+, Shield Standard, optional WAF, uncached errors, a custom domain. */
export interface EdgeArgs {
  /** The HTTP API's endpoint, e.g. https://abc.execute-api.eu-west-1.amazonaws.com. */
  apiEndpoint: pulumi.Input<string>;
  /** The secret CloudFront sends in `x-origin-verify`; a Pulumi secret. */
  originSecret: pulumi.Input<string>;
  /** The stack's account and deploy role, for the us-east-1 provider's account guard. */
  accountId: string;
  /** Deploy role to assume in us-east-1, as the default provider does. @default none */
  assumeRoleArn?: string;
  /** Custom domain and its zone: an ACM certificate, TLS 1.2+ for every viewer. Set this or `noDomainReason`. */
  domain?: EdgeDomain;
  /**
   * Why the distribution serves its own *.cloudfront.net domain instead (no certificate of yours, and
   * viewers may negotiate TLS 1.0 there). Printed as a warning by every preview. Set this or `domain`.
   */
  noDomainReason?: string;
  /** Paths that opt into caching. @default none: nothing is cached */
  cachedRoutes?: CachedRoute[];
  /** Which edge locations serve viewers: PriceClass_100 (North America, Europe), _200, or _All. @default "PriceClass_100" */
  priceClass?: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
  /** Put a WAF web ACL in front. @default true */
  waf?: boolean;
  /** The AWS managed rule groups of the web ACL, in priority order, before the rate limit. @default DEFAULT_WAF_RULE_GROUPS */
  wafRuleGroups?: string[];
  /** Requests per 5 minutes per IP before the WAF blocks. @default 2000 */
  wafRateLimit?: number;
  /** Who gets the edge's alarms (CloudFront's metrics, so its alarms, live in us-east-1). */
  alarmEmails?: string[];
  alarmSmsNumbers?: string[];
  /** Protect the access log bucket and the us-east-1 alert key, and keep them on destroy. @default true */
  protect?: boolean;
  /** Seconds a 404 may be cached. @default 10 */
  notFoundTtlSeconds?: number;
  /** Adjusts a child before it is created. @default none */
  transform?: {
    distribution?: Transform<aws.cloudfront.DistributionArgs>;
    webAcl?: Transform<aws.wafv2.WebAclArgs>;
    certificate?: Transform<aws.acm.CertificateArgs>;
    cachePolicy?: Transform<aws.cloudfront.CachePolicyArgs>;
    responseHeadersPolicy?: Transform<aws.cloudfront.ResponseHeadersPolicyArgs>;
  };
}

export class Edge extends pulumi.ComponentResource {
  public readonly distribution: aws.cloudfront.Distribution;
  public readonly usEast1: aws.Provider;
  public readonly certificate?: aws.acm.Certificate;
  public readonly webAcl?: aws.wafv2.WebAcl;
  public readonly accessLogs: SecureBucket;
  public readonly alerts: Alerts;
  /** Viewers get 5xx from the distribution; in us-east-1, where CloudFront's metrics are. */
  public readonly serverErrorRateAlarm: aws.cloudwatch.MetricAlarm;
  /** https:// and the custom domain, or the distribution's domain. */
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:edge:Edge", name, {}, opts);
    if (!args.domain === !args.noDomainReason)
      throw new Error(`Edge "${name}": set exactly one of domain (ACM certificate, TLS 1.2+ for every viewer) and noDomainReason`);
    if (args.noDomainReason)
      void pulumi.log.warn(`Edge ${name} serves CloudFront's own domain, without a certificate of its own: ${args.noDomainReason}`, this);
    const protect = args.protect ?? true;
    this.usEast1 = this.createUsEast1Provider(name, args);
    this.alerts = new Alerts(
      `${name}-alerts`,
      { emails: args.alarmEmails, smsNumbers: args.alarmSmsNumbers, protect },
      { parent: this, providers: { aws: this.usEast1 } },
    );
    this.accessLogs = new SecureBucket(
      `${name}-access-logs`,
      { protect, versioning: false, expirationDays: 90, objectOwnership: "BucketOwnerPreferred" },
      { parent: this },
    );
    const validated = args.domain ? this.createCertificate(name, args.domain, args) : undefined;
    this.certificate = validated?.certificate;
    if (args.waf ?? true) this.webAcl = this.createWebAcl(name, args);
    this.distribution = this.createDistribution(name, args, validated?.validation);
    if (args.domain) this.createAliasRecords(name, args.domain);
    this.serverErrorRateAlarm = metricAlarm(
      `${name}-5xx-rate`,
      {
        description: `CloudFront ${name} is answering 5xx to viewers. Look at the API's 5xx alarm and access logs, then the distribution's logs under cloudfront/.`,
        namespace: "AWS/CloudFront",
        metricName: "5xxErrorRate",
        dimensions: { DistributionId: this.distribution.id, Region: "Global" },
        statistic: "Average",
        threshold: 5,
        periodSeconds: 300,
      },
      this.alerts.topicArn,
      this,
      this.usEast1,
    );
    this.url = args.domain ? pulumi.output(`https://${args.domain.name}`) : pulumi.interpolate`https://${this.distribution.domainName}`;
    this.registerOutputs({ url: this.url });
  }

  /** CloudFront's certificates, WAF and metrics live in us-east-1; the provider keeps the stack's account guard and deploy role. */
  private createUsEast1Provider(name: string, args: EdgeArgs): aws.Provider {
    return new aws.Provider(
      `${name}-us-east-1`,
      {
        region: "us-east-1",
        allowedAccountIds: [args.accountId],
        assumeRoles: args.assumeRoleArn ? [{ roleArn: args.assumeRoleArn, sessionName: `pulumi-${pulumi.getStack()}-edge` }] : undefined,
      },
      { parent: this },
    );
  }

  /** The certificate, its DNS validation record, and the validation that waits for it to be issued. */
  private createCertificate(
    name: string,
    domain: EdgeDomain,
    args: EdgeArgs,
  ): { certificate: aws.acm.Certificate; validation: aws.acm.CertificateValidation } {
    const inUsEast1 = { parent: this, provider: this.usEast1 };
    const certificate = new aws.acm.Certificate(
      ...transformed(args.transform?.certificate, `${name}-certificate`, { domainName: domain.name, validationMethod: "DNS" }, inUsEast1),
    );
    const option = certificate.domainValidationOptions.apply((o) => o[0]);
    const record = new aws.route53.Record(
      `${name}-certificate-dns`,
      {
        zoneId: domain.hostedZoneId,
        name: option.resourceRecordName,
        type: option.resourceRecordType,
        records: [option.resourceRecordValue],
        ttl: 300,
        allowOverwrite: true,
      },
      { parent: this },
    );
    const validation = new aws.acm.CertificateValidation(
      `${name}-certificate-validation`,
      { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
      inUsEast1,
    );
    return { certificate, validation };
  }

  private createWebAcl(name: string, args: EdgeArgs): aws.wafv2.WebAcl {
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    const groups = args.wafRuleGroups ?? DEFAULT_WAF_RULE_GROUPS;
    const managed = groups.map((group, i) => ({
      name: group,
      priority: i + 1,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: "AWS", name: group } },
      visibilityConfig: visibility(group),
    }));
    const rateLimit = {
      name: "rate-limit",
      priority: groups.length + 1,
      action: { block: {} },
      statement: { rateBasedStatement: { limit: args.wafRateLimit ?? 2000, aggregateKeyType: "IP" } },
      visibilityConfig: visibility("rate-limit"),
    };
    return new aws.wafv2.WebAcl(
      ...transformed(
        args.transform?.webAcl,
        `${name}-waf`,
        { scope: "CLOUDFRONT", defaultAction: { allow: {} }, rules: [...managed, rateLimit], visibilityConfig: visibility(`${name}-waf`) },
        { parent: this, provider: this.usEast1 },
      ),
    );
  }

  private createDistribution(name: string, args: EdgeArgs, validation?: aws.acm.CertificateValidation): aws.cloudfront.Distribution {
    const behavior = this.cacheBehaviors(name, args);
    return new aws.cloudfront.Distribution(
      ...transformed(
        args.transform?.distribution,
        name,
        {
          enabled: true,
          comment: `${pulumi.getProject()}-${pulumi.getStack()} API`,
          isIpv6Enabled: true,
          httpVersion: "http2and3",
          priceClass: args.priceClass ?? "PriceClass_100",
          aliases: args.domain ? [args.domain.name] : [],
          origins: [apiOrigin(args)],
          defaultCacheBehavior: behavior.default,
          orderedCacheBehaviors: behavior.ordered,
          // CloudFront caches errors for 10 s by default: never a 5xx, and a 404 only briefly.
          customErrorResponses: [
            ...[500, 502, 503, 504].map((errorCode) => ({ errorCode, errorCachingMinTtl: 0 })),
            { errorCode: 404, errorCachingMinTtl: args.notFoundTtlSeconds ?? 10 },
          ],
          restrictions: { geoRestriction: { restrictionType: "none" } },
          viewerCertificate: validation
            ? { acmCertificateArn: validation.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }
            : { cloudfrontDefaultCertificate: true },
          webAclId: this.webAcl?.arn,
          loggingConfig: { bucket: this.accessLogs.bucket.bucketDomainName, prefix: "cloudfront/", includeCookies: false },
        },
        { parent: this },
      ),
    );
  }

  /** The default behavior (nothing cached) and one per cached route, each cache policy named after its path. */
  private cacheBehaviors(name: string, args: EdgeArgs) {
    const headersPolicy = new aws.cloudfront.ResponseHeadersPolicy(
      ...transformed(
        args.transform?.responseHeadersPolicy,
        `${name}-security-headers`,
        {
          comment: "HSTS and the usual security headers",
          securityHeadersConfig: {
            strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, preload: true, override: true },
            contentTypeOptions: { override: true },
            frameOptions: { frameOption: "DENY", override: true },
            referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
            xssProtection: { protection: true, modeBlock: true, override: true },
          },
        },
        { parent: this },
      ),
    );
    const behavior = (cachePolicyId: pulumi.Input<string>) => ({
      targetOriginId: API_ORIGIN,
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
      cachedMethods: ["GET", "HEAD"],
      cachePolicyId,
      originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicyId: headersPolicy.id,
      compress: true,
    });
    const routes = args.cachedRoutes ?? [];
    const slugs = uniqueSlugs(
      `Edge "${name}" cachedRoutes`,
      routes.map((r) => r.pathPattern),
    );
    const ordered = routes.map((route, i) => ({
      pathPattern: route.pathPattern,
      ...behavior(this.createCachePolicy(`${name}-cache-${slugs[i]}`, route, args, `${name}-cache-${i}`).id),
    }));
    return { default: behavior(CACHING_DISABLED), ordered };
  }

  private createCachePolicy(name: string, route: CachedRoute, args: EdgeArgs, positionalName: string): aws.cloudfront.CachePolicy {
    const inKey = (items: string[] | undefined) =>
      items?.length ? { behavior: "whitelist", items: { items } } : { behavior: "none", items: undefined };
    const query = inKey(route.queryStrings);
    const headers = inKey(route.headers);
    return new aws.cloudfront.CachePolicy(
      ...transformed(
        args.transform?.cachePolicy,
        name,
        {
          comment: `Caches ${route.pathPattern}`,
          defaultTtl: route.defaultTtlSeconds,
          maxTtl: route.maxTtlSeconds,
          minTtl: 0,
          parametersInCacheKeyAndForwardedToOrigin: {
            enableAcceptEncodingGzip: true,
            enableAcceptEncodingBrotli: true,
            queryStringsConfig: { queryStringBehavior: query.behavior, queryStrings: query.items },
            headersConfig: { headerBehavior: headers.behavior, headers: headers.items },
            cookiesConfig: { cookieBehavior: "none" },
          },
        },
        // Was named by position; the alias keeps a stack made then.
        { parent: this, aliases: [{ name: positionalName }] },
      ),
    );
  }

  private createAliasRecords(name: string, domain: EdgeDomain): void {
    for (const type of ["A", "AAAA"]) {
      new aws.route53.Record(
        `${name}-alias-${type.toLowerCase()}`,
        {
          zoneId: domain.hostedZoneId,
          name: domain.name,
          type,
          aliases: [{ name: this.distribution.domainName, zoneId: this.distribution.hostedZoneId, evaluateTargetHealth: false }],
        },
        { parent: this },
      );
    }
  }
}

const API_ORIGIN = "api";

/** The API as CloudFront's origin: https only, TLS 1.2, with the secret header the functions check. */
function apiOrigin(args: EdgeArgs) {
  return {
    originId: API_ORIGIN,
    domainName: pulumi.output(args.apiEndpoint).apply((u) => new URL(u).host),
    customOriginConfig: {
      originProtocolPolicy: "https-only",
      originSslProtocols: ["TLSv1.2"],
      httpPort: 80,
      httpsPort: 443,
      originReadTimeout: 30,
      originKeepaliveTimeout: 5,
    },
    customHeaders: [{ name: ORIGIN_VERIFY_HEADER, value: args.originSecret }],
  };
}
