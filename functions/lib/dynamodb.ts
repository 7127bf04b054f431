import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { dynamoClient } from "./dynamodb-client";

let documents: DynamoDBDocumentClient | undefined;

/** The document client over the container's one DynamoDBClient, created on first use. */
export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(dynamoClient(), { marshallOptions: { removeUndefinedValues: true } });
  return documents;
}
