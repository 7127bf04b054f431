import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

/** Created on first use and reused by the warm container; the endpoint comes from AWS_ENDPOINT_URL_DYNAMODB when set. */
let client: DynamoDBClient | undefined;

/**
 * The low-level client, in a file of its own so a function that reads a single attribute does not
 * carry lib-dynamodb's marshaller (esbuild cannot drop that module's classes once it is imported).
 */
export function dynamoClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}
