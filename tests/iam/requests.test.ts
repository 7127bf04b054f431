/**
 * Requests read as IAM reads them: the action names of the Service Authorization Reference, the ARN
 * of the resource each one names, and the KMS calls a service makes for the caller on a customer key.
 */
import { expect } from "chai";
import { accessKeyOf, parseRequest, ResourceResolver, serviceOf, ServiceRequest, UnrecognizedRequestError } from "../../local/iam/requests";

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k1`;
const resolver: ResourceResolver = {
  region: REGION,
  accountId: ACCOUNT,
  queueArn: (ref) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${ref.split("/").pop()}`,
  tableArn: (name) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
  topicArn: (arn) => arn.replace("000000000000", ACCOUNT),
  keyFor: (arn) =>
    ["arn:aws:s3:::secrets", `arn:aws:sqs:${REGION}:${ACCOUNT}:sealed`, `arn:aws:sns:${REGION}:${ACCOUNT}:sealed`].includes(arn)
      ? KEY
      : undefined,
};
const signed = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261130/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=abc`;
const json = (service: string, target: string, body: unknown): ServiceRequest => ({
  method: "POST",
  url: "/",
  headers: { authorization: signed(service), "x-amz-target": target, "content-type": "application/x-amz-json-1.0" },
  body: Buffer.from(JSON.stringify(body)),
});
const s3 = (method: string, url: string, headers: Record<string, string> = {}, body?: string): ServiceRequest => ({
  method,
  url,
  headers: { authorization: signed("s3"), host: "127.0.0.1:4566", ...headers },
  body: body === undefined ? undefined : Buffer.from(body),
});
const sns = (form: Record<string, string>): ServiceRequest => ({
  method: "POST",
  url: "/",
  headers: { authorization: signed("sns"), "content-type": "application/x-www-form-urlencoded" },
  body: Buffer.from(new URLSearchParams(form).toString()),
});
const calls = (request: ServiceRequest) => parseRequest(request, resolver).calls;
const queue = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`;

describe("local IAM: requests as actions and resources", () => {
  it("finds the caller's access key and service in the signature, or a presigned URL's query", () => {
    const request = json("sqs", "AmazonSQS.SendMessage", {});
    expect(accessKeyOf(request.headers, request.url)).to.equal("ASIAEXAMPLE");
    expect(serviceOf(request)).to.equal("sqs");
    const presigned =
      "/docs/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAPRESIGNED%2F20261130%2Feu-west-1%2Fs3%2Faws4_request";
    expect(accessKeyOf({}, presigned)).to.equal("ASIAPRESIGNED");
    expect(serviceOf({ method: "GET", url: presigned, headers: {} })).to.equal("s3");
    expect(accessKeyOf({}, "/docs/a.txt")).to.equal(undefined);
  });

  describe("SQS (JSON protocol)", () => {
    it("names the queue of QueueUrl, and a batch by its single action", () => {
      expect(
        calls(json("sqs", "AmazonSQS.SendMessage", { QueueUrl: "http://sqs.eu-west-1.localhost:1/000000000000/orders" })),
      ).to.deep.equal([{ action: "sqs:SendMessage", resource: queue("orders") }]);
      expect(calls(json("sqs", "AmazonSQS.SendMessageBatch", { QueueUrl: "/000000000000/orders" }))[0].action).to.equal("sqs:SendMessage");
      expect(calls(json("sqs", "AmazonSQS.DeleteMessageBatch", { QueueUrl: "/0/orders" }))[0].action).to.equal("sqs:DeleteMessage");
      expect(calls(json("sqs", "AmazonSQS.ChangeMessageVisibilityBatch", { QueueUrl: "/0/orders" }))[0].action).to.equal(
        "sqs:ChangeMessageVisibility",
      );
      expect(calls(json("sqs", "AmazonSQS.GetQueueUrl", { QueueName: "orders" }))).to.deep.equal([
        { action: "sqs:GetQueueUrl", resource: queue("orders") },
      ]);
      expect(calls(json("sqs", "AmazonSQS.ListQueues", {}))).to.deep.equal([{ action: "sqs:ListQueues", resource: "*" }]);
    });

    it("reads the query protocol too: Action and QueueUrl in the form, or the queue's URL as the path", () => {
      const form = (body: Record<string, string>, url = "/"): ServiceRequest => ({
        method: "POST",
        url,
        headers: { authorization: signed("sqs"), "content-type": "application/x-www-form-urlencoded" },
        body: Buffer.from(new URLSearchParams(body).toString()),
      });
      expect(
        calls(form({ Action: "SendMessage", QueueUrl: "https://sqs.eu-west-1.amazonaws.com/1/orders", MessageBody: "m" })),
      ).to.deep.equal([{ action: "sqs:SendMessage", resource: queue("orders") }]);
      expect(calls(form({ Action: "DeleteMessageBatch" }, "/111122223333/orders"))).to.deep.equal([
        { action: "sqs:DeleteMessage", resource: queue("orders") },
      ]);
      expect(calls({ method: "GET", url: "/?Action=ListQueues", headers: { authorization: signed("sqs") } })).to.deep.equal([
        { action: "sqs:ListQueues", resource: "*" },
      ]);
    });

    it("adds the customer key's GenerateDataKey and Decrypt to a send, and Decrypt to a receive, via SQS", () => {
      const via = { "kms:ViaService": `sqs.${REGION}.amazonaws.com`, "kms:CallerAccount": ACCOUNT };
      expect(calls(json("sqs", "AmazonSQS.SendMessage", { QueueUrl: "/0/sealed" }))).to.deep.equal([
        { action: "sqs:SendMessage", resource: queue("sealed") },
        { action: "kms:GenerateDataKey", resource: KEY, context: via },
        { action: "kms:Decrypt", resource: KEY, context: via },
      ]);
      expect(calls(json("sqs", "AmazonSQS.ReceiveMessage", { QueueUrl: "/0/sealed" })).map((c) => c.action)).to.deep.equal([
        "sqs:ReceiveMessage",
        "kms:Decrypt",
      ]);
      expect(calls(json("sqs", "AmazonSQS.DeleteMessage", { QueueUrl: "/0/sealed" })).map((c) => c.action)).to.deep.equal([
        "sqs:DeleteMessage",
      ]);
    });

    it("refuses a request it cannot place", () => {
      expect(() => calls(json("sqs", "AmazonSQS.SendMessage", {}))).to.throw(
        UnrecognizedRequestError,
        "SQS SendMessage without QueueUrl or QueueName",
      );
      expect(() => calls({ ...json("sqs", "", {}), headers: { authorization: signed("sqs") } })).to.throw(
        UnrecognizedRequestError,
        /with neither X-Amz-Target nor Action/,
      );
    });
  });

  describe("DynamoDB", () => {
    it("names the table, or the index a query or scan reads", () => {
      expect(calls(json("dynamodb", "DynamoDB_20120810.PutItem", { TableName: "orders" }))).to.deep.equal([
        { action: "dynamodb:PutItem", resource: table },
      ]);
      expect(calls(json("dynamodb", "DynamoDB_20120810.Query", { TableName: "orders", IndexName: "byCustomer" }))).to.deep.equal([
        { action: "dynamodb:Query", resource: `${table}/index/byCustomer` },
      ]);
      expect(calls(json("dynamodb", "DynamoDB_20120810.GetItem", { TableName: "orders", IndexName: "ignored" }))[0].resource).to.equal(
        table,
      );
    });

    it("needs a batch's action on every table it names, and each transaction item's own action", () => {
      expect(calls(json("dynamodb", "DynamoDB_20120810.BatchWriteItem", { RequestItems: { orders: [], audit: [] } }))).to.deep.equal([
        { action: "dynamodb:BatchWriteItem", resource: table },
        { action: "dynamodb:BatchWriteItem", resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/audit` },
      ]);
      const transaction = {
        TransactItems: [
          { Put: { TableName: "orders" } },
          { Update: { TableName: "orders" } },
          { ConditionCheck: { TableName: "audit" } },
          { Delete: { TableName: "audit" } },
        ],
      };
      expect(calls(json("dynamodb", "DynamoDB_20120810.TransactWriteItems", transaction)).map((c) => c.action)).to.deep.equal([
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
      ]);
      expect(
        calls(json("dynamodb", "DynamoDB_20120810.TransactGetItems", { TransactItems: [{ Get: { TableName: "orders" } }] })),
      ).to.deep.equal([{ action: "dynamodb:GetItem", resource: table }]);
    });

    it("refuses PartiQL, whose actions depend on the statement, and a request without a table", () => {
      expect(() => calls(json("dynamodb", "DynamoDB_20120810.ExecuteStatement", { Statement: "SELECT * FROM orders" }))).to.throw(
        UnrecognizedRequestError,
        /PartiQL/,
      );
      expect(() => calls(json("dynamodb", "DynamoDB_20120810.GetItem", {}))).to.throw(
        UnrecognizedRequestError,
        "DynamoDB GetItem without a TableName",
      );
      expect(() => calls({ ...json("dynamodb", "DynamoDB_20120810.GetItem", {}), body: Buffer.from("{not json") })).to.throw(
        UnrecognizedRequestError,
        /not JSON/,
      );
    });
  });

  describe("S3 (REST)", () => {
    it("reads path-style and virtual-hosted requests alike", () => {
      expect(calls(s3("GET", "/docs/a/b.txt"))).to.deep.equal([{ action: "s3:GetObject", resource: "arn:aws:s3:::docs/a/b.txt" }]);
      expect(calls(s3("GET", "/a/b.txt", { host: "docs.localhost:4566" }))).to.deep.equal([
        { action: "s3:GetObject", resource: "arn:aws:s3:::docs/a/b.txt" },
      ]);
      expect(calls(s3("GET", "/docs/a%20b.txt"))[0].resource).to.equal("arn:aws:s3:::docs/a b.txt");
    });

    it("maps methods and sub-resources to their actions", () => {
      const action = (method: string, url: string, headers: Record<string, string> = {}) =>
        calls(s3(method, url, headers)).map((c) => c.action);
      expect(action("HEAD", "/docs/a")).to.deep.equal(["s3:GetObject"]);
      expect(action("GET", "/docs/a?versionId=3")).to.deep.equal(["s3:GetObjectVersion"]);
      expect(action("PUT", "/docs/a")).to.deep.equal(["s3:PutObject"]);
      expect(action("DELETE", "/docs/a")).to.deep.equal(["s3:DeleteObject"]);
      expect(action("DELETE", "/docs/a?versionId=3")).to.deep.equal(["s3:DeleteObjectVersion"]);
      expect(action("GET", "/docs/a?tagging")).to.deep.equal(["s3:GetObjectTagging"]);
      expect(action("PUT", "/docs/a?tagging")).to.deep.equal(["s3:PutObjectTagging"]);
      expect(action("POST", "/docs/a?uploads")).to.deep.equal(["s3:PutObject"]);
      expect(action("PUT", "/docs/a?partNumber=1&uploadId=u")).to.deep.equal(["s3:PutObject"]);
      expect(action("DELETE", "/docs/a?uploadId=u")).to.deep.equal(["s3:AbortMultipartUpload"]);
      expect(action("PUT", "/docs/b", { "x-amz-copy-source": "/docs/a" })).to.deep.equal(["s3:GetObject", "s3:PutObject"]);
      expect(action("GET", "/docs?location")).to.deep.equal(["s3:GetBucketLocation"]);
      expect(action("GET", "/docs?list-type=2")).to.deep.equal(["s3:ListBucket"]);
      expect(action("HEAD", "/docs")).to.deep.equal(["s3:ListBucket"]);
      expect(action("GET", "/")).to.deep.equal(["s3:ListAllMyBuckets"]);
    });

    it("passes a listing's prefix as s3:prefix, and the object's encryption header", () => {
      expect(calls(s3("GET", "/docs?list-type=2&prefix=home%2Fann"))).to.deep.equal([
        { action: "s3:ListBucket", resource: "arn:aws:s3:::docs", context: { "s3:prefix": "home/ann" } },
      ]);
      expect(calls(s3("PUT", "/docs/a", { "x-amz-server-side-encryption": "aws:kms" }))[0].context).to.deep.equal({
        "s3:x-amz-server-side-encryption": "aws:kms",
      });
    });

    it("needs DeleteObject on every key of a multi-object delete", () => {
      const body = "<Delete><Object><Key>a</Key></Object><Object><Key>b&amp;c</Key></Object></Delete>";
      expect(calls(s3("POST", "/docs?delete", {}, body))).to.deep.equal([
        { action: "s3:DeleteObject", resource: "arn:aws:s3:::docs/a" },
        { action: "s3:DeleteObject", resource: "arn:aws:s3:::docs/b&c" },
      ]);
    });

    it("adds kms:Decrypt to reading, and kms:GenerateDataKey to writing, an object under the bucket's customer key", () => {
      const context = {
        "kms:ViaService": `s3.${REGION}.amazonaws.com`,
        "kms:CallerAccount": ACCOUNT,
        "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::secrets",
      };
      expect(calls(s3("GET", "/secrets/config.json"))).to.deep.equal([
        { action: "s3:GetObject", resource: "arn:aws:s3:::secrets/config.json" },
        { action: "kms:Decrypt", resource: KEY, context },
      ]);
      expect(calls(s3("PUT", "/secrets/config.json")).map((c) => c.action)).to.deep.equal(["s3:PutObject", "kms:GenerateDataKey"]);
      expect(calls(s3("DELETE", "/secrets/config.json")).map((c) => c.action)).to.deep.equal(["s3:DeleteObject"]);
    });

    it("refuses a sub-resource it does not know", () => {
      expect(() => calls(s3("GET", "/docs/a?torrent"))).to.throw(
        UnrecognizedRequestError,
        "S3 GET on s3://docs/a with torrent: the local cloud does not know which IAM actions this request needs, so it denies it",
      );
      expect(() => calls(s3("POST", "/docs?select"))).to.throw(UnrecognizedRequestError, /bucket docs with select/);
    });
  });

  describe("SNS (query protocol)", () => {
    const topic = `arn:aws:sns:${REGION}:000000000000:alerts`;
    it("names the topic, a batch by sns:Publish, and a direct SMS by *", () => {
      expect(calls(sns({ Action: "Publish", TopicArn: topic, Message: "m" }))).to.deep.equal([
        { action: "sns:Publish", resource: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts` },
      ]);
      expect(calls(sns({ Action: "PublishBatch", TopicArn: topic }))[0].action).to.equal("sns:Publish");
      expect(calls(sns({ Action: "Publish", PhoneNumber: "+15555550100", Message: "m" }))).to.deep.equal([
        { action: "sns:Publish", resource: "*" },
      ]);
      expect(calls(sns({ Action: "ListTopics" }))).to.deep.equal([{ action: "sns:ListTopics", resource: "*" }]);
    });

    it("adds the topic's customer key to a publish", () => {
      expect(calls(sns({ Action: "Publish", TopicArn: `arn:aws:sns:${REGION}:000000000000:sealed` })).map((c) => c.action)).to.deep.equal([
        "sns:Publish",
        "kms:GenerateDataKey",
        "kms:Decrypt",
      ]);
    });

    it("refuses a request without an action or a topic", () => {
      expect(() => calls(sns({ TopicArn: topic }))).to.throw(UnrecognizedRequestError, /without Action/);
      expect(() => calls(sns({ Action: "Subscribe" }))).to.throw(UnrecognizedRequestError, "SNS Subscribe without TopicArn");
    });
  });

  it("refuses an unsigned request it cannot attribute to a service", () => {
    expect(() => parseRequest({ method: "GET", url: "/x", headers: {} }, resolver)).to.throw(UnrecognizedRequestError, /no AWS signature/);
  });
});
