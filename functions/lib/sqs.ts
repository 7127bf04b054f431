import { SQSClient } from "@aws-sdk/client-sqs";

/** Created on first use and reused by the warm container; the endpoint comes from AWS_ENDPOINT_URL_SQS when set. */
let sqs: SQSClient | undefined;

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({});
  return sqs;
}
