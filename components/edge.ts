import * as aws from "./aws";
import * as pulumi from "@pulumi/pulumi";
import { ORIGIN_VERIFY_HEADER } from "../functions/lib/origin";
import { metricAlarm } from "./alarms";
import { Alerts } from "./alerts";
import { SecureBucket } from "./secure-bucket";

/** AWS managed CloudFront policies (their ids are fixed). */
const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

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
  /** Put a WAF web ACL in front. @default true */
  waf?: boolean;
  /** Requests per 5 minutes per IP before the WAF blocks. @default 2000 */
  wafRateLimit?: number;
  /** Who gets the edge's alarms (CloudFront's metrics, so its alarms, live in us-east-1). */
  alarmEmails?: string[];
  alarmSmsNumbers?: string[];
  /** Keep the access log bucket and the us-east-1 alert key on destroy. @default true */
  protect?: boolean;
  /** Seconds a 404 may be cached. @default 10 */
  notFoundTtlSeconds?: number;
}

export class Edge extends pulumi.ComponentResource {
  public readonly distribution: aws.cloudfront.Distribution;
  public readonly usEast1: aws.Provider;
  public readonly certificate?: aws.acm.Certificate;
  public readonly webAcl?: aws.wafv2.WebAcl;
  public readonly accessLogs: SecureBucket;
  public readonly alerts: Alerts;
  /** https:// and the custom domain, or the distribution's domain. */
  public readonly url: pulumi.Output<string>;
  private validationRecord?: aws.route53.Record;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:edge:Edge", name, {}, opts);
    if (!args.domain === !args.noDomainReason)
      throw new Error(`Edge "${name}": set exactly one of domain (ACM certificate, TLS 1.2+ for every viewer) and noDomainReason`);
    if (args.noDomainReason)
      void pulumi.log.warn(`Edge ${name} serves CloudFront's own domain, without a certificate of its own: ${args.noDomainReason}`, this);
    const protect = args.protect ?? true;
    // CloudFront's certificates, WAF and metrics live in us-east-1; the provider keeps the stack's account guard.
    this.usEast1 = new aws.Provider(
      `${name}-us-east-1`,
      {
        region: "us-east-1",
        allowedAccountIds: [args.accountId],
        assumeRoles: args.assumeRoleArn ? [{ roleArn: args.assumeRoleArn, sessionName: `pulumi-${pulumi.getStack()}-edge` }] : undefined,
      },
      { parent: this },
    );
    const inUsEast1 = { parent: this, provider: this.usEast1 };

    this.alerts = new Alerts(
      `${name}-alerts`,
      { emails: args.alarmEmails, smsNumbers: args.alarmSmsNumbers, retainOnDelete: protect },
      { parent: this, providers: { aws: this.usEast1 } },
    );
    this.accessLogs = new SecureBucket(
      `${name}-access-logs`,
      { protect, versioning: false, expirationDays: 90, objectOwnership: "BucketOwnerPreferred" },
      { parent: this },
    );

    if (args.domain) this.certificate = this.createCertificate(name, args.domain, inUsEast1);
    const validation = this.certificate
      ? new aws.acm.CertificateValidation(
          `${name}-certificate-validation`,
          { certificateArn: this.certificate.arn, validationRecordFqdns: [this.validationRecord!.fqdn] },
          inUsEast1,
        )
      : undefined;
    if (args.waf ?? true) this.webAcl = this.createWebAcl(name, args.wafRateLimit ?? 2000, inUsEast1);

    const headersPolicy = new aws.cloudfront.ResponseHeadersPolicy(
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
    );
    const originId = "api";
    const cacheBehavior = (cachePolicyId: pulumi.Input<string>) => ({
      targetOriginId: originId,
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
      cachedMethods: ["GET", "HEAD"],
      cachePolicyId,
      originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicyId: headersPolicy.id,
      compress: true,
    });
    const ordered = (args.cachedRoutes ?? []).map((route, i) => ({
      pathPattern: route.pathPattern,
      ...cacheBehavior(this.createCachePolicy(`${name}-cache-${i}`, route).id),
    }));

    this.distribution = new aws.cloudfront.Distribution(
      `${name}`,
      {
        enabled: true,
        comment: `${pulumi.getProject()}-${pulumi.getStack()} API`,
        isIpv6Enabled: true,
        httpVersion: "http2and3",
        priceClass: "PriceClass_100",
        aliases: args.domain ? [args.domain.name] : [],
        origins: [
          {
            originId,
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
          },
        ],
        defaultCacheBehavior: cacheBehavior(CACHING_DISABLED),
        orderedCacheBehaviors: ordered,
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
    );

    if (args.domain) {
      for (const type of ["A", "AAAA"]) {
        new aws.route53.Record(
          `${name}-alias-${type.toLowerCase()}`,
          {
            zoneId: args.domain.hostedZoneId,
            name: args.domain.name,
            type,
            aliases: [{ name: this.distribution.domainName, zoneId: this.distribution.hostedZoneId, evaluateTargetHealth: false }],
          },
          { parent: this },
        );
      }
    }
    metricAlarm(
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

  private createCertificate(name: string, domain: EdgeDomain, opts: pulumi.CustomResourceOptions): aws.acm.Certificate {
    const certificate = new aws.acm.Certificate(`${name}-certificate`, { domainName: domain.name, validationMethod: "DNS" }, opts);
    const option = certificate.domainValidationOptions.apply((o) => o[0]);
    this.validationRecord = new aws.route53.Record(
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
    return certificate;
  }

  private createWebAcl(name: string, rateLimit: number, opts: pulumi.CustomResourceOptions): aws.wafv2.WebAcl {
    const visibility = (metricName: string) => ({ cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName });
    const managed = (priority: number, ruleName: string) => ({
      name: ruleName,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: "AWS", name: ruleName } },
      visibilityConfig: visibility(ruleName),
    });
    return new aws.wafv2.WebAcl(
      `${name}-waf`,
      {
        scope: "CLOUDFRONT",
        defaultAction: { allow: {} },
        rules: [
          managed(1, "AWSManagedRulesCommonRuleSet"),
          managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
          {
            name: "rate-limit",
            priority: 3,
            action: { block: {} },
            statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: "IP" } },
            visibilityConfig: visibility("rate-limit"),
          },
        ],
        visibilityConfig: visibility(`${name}-waf`),
      },
      opts,
    );
  }

  private createCachePolicy(name: string, route: CachedRoute): aws.cloudfront.CachePolicy {
    return new aws.cloudfront.CachePolicy(
      name,
      {
        comment: `Caches ${route.pathPattern}`,
        defaultTtl: route.defaultTtlSeconds,
        maxTtl: route.maxTtlSeconds,
        minTtl: 0,
        parametersInCacheKeyAndForwardedToOrigin: {
          enableAcceptEncodingGzip: true,
          enableAcceptEncodingBrotli: true,
          queryStringsConfig: {
            queryStringBehavior: route.queryStrings?.length ? "whitelist" : "none",
            queryStrings: route.queryStrings?.length ? { items: route.queryStrings } : undefined,
          },
          headersConfig: {
            headerBehavior: route.headers?.length ? "whitelist" : "none",
            headers: route.headers?.length ? { items: route.headers } : undefined,
          },
          cookiesConfig: { cookieBehavior: "none" },
        },
      },
      { parent: this },
    );
  }
}
