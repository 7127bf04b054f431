/**
 * The parts of `@pulumi/aws` this program uses, each from its own submodule. The package index
 * declares all of AWS: importing it costs the type-checker about 2 s more on every run
 * (pulumi/pulumi#10442) and each process about 150 ms more to load, as `npm run bench` measures.
 * Components import this module as `aws`, so code reads `aws.s3.Bucket` as usual; a new service
 * is one line here.
 */
export * as acm from "@pulumi/aws/acm";
export * as appautoscaling from "@pulumi/aws/appautoscaling";
export * as apigatewayv2 from "@pulumi/aws/apigatewayv2";
export * as cfg from "@pulumi/aws/cfg";
export * as cloudfront from "@pulumi/aws/cloudfront";
export * as cloudwatch from "@pulumi/aws/cloudwatch";
export * as codedeploy from "@pulumi/aws/codedeploy";
export * as dynamodb from "@pulumi/aws/dynamodb";
export * as ec2 from "@pulumi/aws/ec2";
export * as iam from "@pulumi/aws/iam";
export * as kinesis from "@pulumi/aws/kinesis";
export * as kms from "@pulumi/aws/kms";
export * as lambda from "@pulumi/aws/lambda";
export * as route53 from "@pulumi/aws/route53";
export * as s3 from "@pulumi/aws/s3";
export * as sns from "@pulumi/aws/sns";
export * as sqs from "@pulumi/aws/sqs";
export * as wafv2 from "@pulumi/aws/wafv2";
export { Provider } from "@pulumi/aws/provider";
export { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
export { getRegionOutput } from "@pulumi/aws/getRegion";
