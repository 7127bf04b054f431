/**
 * aws.iam.getPolicyDocument under the capture's mocks (graph/policy-document.ts), with the cases and
 * expected documents of terraform-provider-aws's internal/service/iam/policy_document_data_source_test.go.
 */
import * as aws from "@pulumi/aws";
import { expect } from "chai";
import { crc32 } from "zlib";
import { policyDocument } from "../graph/policy-document";
import { captureComponents } from "./harness";

describe("aws.iam.getPolicyDocument, as the provider renders it", () => {
  it("renders the provider's basic case: one value as a string, several in reverse order, variables, principals, defaults", () => {
    const result = policyDocument({
      policyId: "policy_id",
      statements: [
        { sid: "1", actions: ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], resources: ["arn:aws:s3:::*"] },
        {
          actions: ["s3:ListBucket"],
          resources: ["arn:aws:s3:::foo"],
          conditions: [{ test: "StringLike", variable: "s3:prefix", values: ["home/", "", "home/&{aws:username}/"] }],
          notPrincipals: [{ type: "AWS", identifiers: ["arn:blahblah:example"] }],
        },
        {
          actions: ["s3:*"],
          resources: ["arn:aws:s3:::foo/home/&{aws:username}", "arn:aws:s3:::foo/home/&{aws:username}/*"],
          principals: [{ type: "AWS", identifiers: ["arn:blahblah:example"] }],
        },
        { effect: "Deny", notActions: ["s3:*"], notResources: ["arn:aws:s3:::*"] },
        { effect: "Allow", actions: ["kinesis:*"], principals: [{ type: "AWS", identifiers: ["*"] }] },
        { effect: "Allow", actions: ["firehose:*"], principals: [{ type: "*", identifiers: ["*"] }] },
      ],
    });
    const expected = `{
  "Version": "2012-10-17",
  "Id": "policy_id",
  "Statement": [
    {
      "Sid": "1",
      "Effect": "Allow",
      "Action": [
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation"
      ],
      "Resource": "arn:aws:s3:::*"
    },
    {
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::foo",
      "NotPrincipal": {
        "AWS": "arn:blahblah:example"
      },
      "Condition": {
        "StringLike": {
          "s3:prefix": [
            "home/",
            "",
            "home/\${aws:username}/"
          ]
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": [
        "arn:aws:s3:::foo/home/\${aws:username}/*",
        "arn:aws:s3:::foo/home/\${aws:username}"
      ],
      "Principal": {
        "AWS": "arn:blahblah:example"
      }
    },
    {
      "Effect": "Deny",
      "NotAction": "s3:*",
      "NotResource": "arn:aws:s3:::*"
    },
    {
      "Effect": "Allow",
      "Action": "kinesis:*",
      "Principal": {
        "AWS": "*"
      }
    },
    {
      "Effect": "Allow",
      "Action": "firehose:*",
      "Principal": "*"
    }
  ]
}`;
    expect(result.json).to.equal(expected);
    expect(result.minifiedJson).to.equal(JSON.stringify(JSON.parse(expected)));
    expect(result.id).to.equal(String(crc32(expected)));
    expect(result.version).to.equal("2012-10-17");
  });

  it("merges conditions on the same key in order, flattens one value to a string, and sorts keys as Go does", () => {
    const doc = (conditions: object[]) =>
      JSON.parse(policyDocument({ statements: [{ actions: ["s3:PutObject"], resources: ["*"], conditions }] }).json as string);
    expect(
      doc([
        { test: "StringEquals", variable: "s3:prefix", values: ["one/", "two/"] },
        { test: "StringEquals", variable: "s3:prefix", values: ["three/"] },
      ]).Statement[0].Condition,
    ).to.deep.equal({ StringEquals: { "s3:prefix": ["one/", "two/", "three/"] } });
    expect(doc([{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }]).Statement[0].Condition).to.deep.equal({
      Bool: { "aws:SecureTransport": "false" },
    });
    const keys = policyDocument({
      statements: [
        {
          principals: [
            { type: "Service", identifiers: ["b.amazonaws.com", "a.amazonaws.com"] },
            { type: "AWS", identifiers: ["arn:aws:iam::123456789012:root"] },
          ],
          conditions: [
            { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] },
            { test: "StringEquals", variable: "aws:SourceArn", values: ["x"] },
            { test: "ArnLike", variable: "aws:SourceArn", values: ["y"] },
          ],
        },
      ],
    }).minifiedJson;
    expect(keys).to.equal(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root","Service":["b.amazonaws.com","a.amazonaws.com"]},"Condition":{"ArnLike":{"aws:SourceArn":"y"},"StringEquals":{"aws:SourceArn":"x","s3:x-amz-acl":"bucket-owner-full-control"}}}]}',
    );
  });

  it("writes each action once, escapes as Go's JSON does, and leaves out what is empty", () => {
    const result = policyDocument({ statements: [{ actions: ["s3:GetObject", "s3:GetObject"], resources: ["arn:aws:s3:::a&b<c>"] }] });
    expect(result.minifiedJson).to.equal(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a\\u0026b\\u003cc\\u003e"}]}',
    );
    expect(policyDocument({}).json).to.equal('{\n  "Version": "2012-10-17"\n}');
  });

  it("merges source documents first and override documents last, by Sid", () => {
    const source = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "Keep", Effect: "Allow", Action: ["b:B", "a:A"], Resource: "*" },
        { Sid: "Replaced", Effect: "Allow", Action: "x:X", Resource: "*", Principal: "*" },
      ],
    });
    const override = JSON.stringify({ Statement: [{ Sid: "Own", Effect: "Deny", Action: "o:O", Resource: "*" }] });
    const doc = JSON.parse(
      policyDocument({
        sourcePolicyDocuments: [source],
        overridePolicyDocuments: [override],
        statements: [
          { sid: "Replaced", actions: ["y:Y"], resources: ["*"] },
          { sid: "Own", actions: ["own:Own"], resources: ["*"] },
        ],
      }).json as string,
    );
    expect(doc.Statement).to.deep.equal([
      // A source document's list keeps its order.
      { Sid: "Keep", Effect: "Allow", Action: ["b:B", "a:A"], Resource: "*" },
      { Sid: "Replaced", Effect: "Allow", Action: "y:Y", Resource: "*" },
      { Sid: "Own", Effect: "Deny", Action: "o:O", Resource: "*" },
    ]);
  });

  it("reads source and override documents as the provider reads them: their Id, a newer Version, a wildcard principal", () => {
    const source = JSON.stringify({
      Version: "2008-10-17",
      Id: "from-source",
      Statement: [
        { Sid: "First", Action: "a:A", Principal: "*" },
        { Sid: "Second", Effect: "Allow", Action: "b:B", Principal: { AWS: ["z", "a"] } },
      ],
    });
    const override = JSON.stringify({ Id: "from-override", Statement: [{ Sid: "First", Effect: "Deny", Action: "c:C" }] });
    const doc = JSON.parse(
      policyDocument({ sourcePolicyDocuments: [source, "", null], overridePolicyDocuments: ["", override] }).json as string,
    );
    expect(doc).to.deep.equal({
      // The statement's own version (2012-10-17) is newer than the source's; the override's Id is adopted last.
      Version: "2012-10-17",
      Id: "from-override",
      Statement: [
        // Replaced where it stood: the first statement.
        { Sid: "First", Effect: "Deny", Action: "c:C" },
        { Sid: "Second", Effect: "Allow", Action: "b:B", Principal: { AWS: ["z", "a"] } },
      ],
    });
    const wildcard = JSON.parse(policyDocument({ sourcePolicyDocuments: [source] }).json as string);
    // "*" as a principal stays "*", and a statement without an Effect has none.
    expect(wildcard.Statement[0]).to.deep.equal({ Sid: "First", Action: "a:A", Principal: "*" });
    expect(wildcard.Id).to.equal("from-source");
  });

  it("merges principal blocks of one type, keeps other wildcards as maps, and leaves empty lists out", () => {
    const principal = (principals: object[]) =>
      JSON.parse(policyDocument({ statements: [{ actions: [], resources: [], principals }] }).json as string).Statement[0];
    expect(
      principal([
        { type: "AWS", identifiers: ["arn:aws:iam::1:root"] },
        { type: "AWS", identifiers: ["arn:aws:iam::2:root"] },
        { type: "AWS", identifiers: ["arn:aws:iam::3:root", "arn:aws:iam::4:root"] },
      ]),
    ).to.deep.equal({
      Effect: "Allow",
      Principal: { AWS: ["arn:aws:iam::1:root", "arn:aws:iam::2:root", "arn:aws:iam::4:root", "arn:aws:iam::3:root"] },
    });
    expect(principal([{ type: "*", identifiers: ["arn:aws:iam::1:root"] }]).Principal).to.deep.equal({ "*": "arn:aws:iam::1:root" });
    expect(
      principal([
        { type: "*", identifiers: ["*"] },
        { type: "Service", identifiers: ["s.amazonaws.com"] },
      ]).Principal,
    ).to.deep.equal({
      "*": "*",
      Service: "s.amazonaws.com",
    });
    // Two one-value conditions on one key are two values.
    const condition = JSON.parse(
      policyDocument({
        statements: [
          {
            conditions: [
              { test: "StringEquals", variable: "k", values: ["a"] },
              { test: "StringEquals", variable: "k", values: ["b"] },
            ],
          },
        ],
      }).json as string,
    ).Statement[0].Condition;
    expect(condition).to.deep.equal({ StringEquals: { k: ["a", "b"] } });
  });

  it("refuses what the provider refuses, naming it", () => {
    expect(() => policyDocument({ statements: [{ sid: "A" }, { sid: "A" }] })).to.throw(
      "writing IAM Policy Document: duplicate Sid (A). Remove the Sid or ensure the Sid is unique.",
    );
    // Statements without a Sid may repeat.
    expect(() => policyDocument({ statements: [{ actions: ["a:A"] }, { actions: ["a:A"] }] })).to.not.throw();
    expect(() => policyDocument({ statements: [{ sid: "not-alnum" }] })).to.throw("must only include alphanumeric characters");
    expect(() => policyDocument({ statements: [{ effect: "allow" }] })).to.throw(
      'expected effect to be one of ["Allow" "Deny"], got allow',
    );
    expect(() => policyDocument({ version: "2020-01-01" })).to.throw("expected version to be one of");
    expect(() => policyDocument({ version: "2008-10-17", statements: [{ resources: ["arn:aws:s3:::&{aws:username}"] }] })).to.throw(
      "found &{ sequence in (arn:aws:s3:::&{aws:username}), which is not supported in document version 2008-10-17",
    );
    expect(policyDocument({ version: "2008-10-17", statements: [{ resources: ["arn:aws:s3:::x"] }] }).json).to.include(
      '"Version": "2008-10-17"',
    );
    expect(() => policyDocument({ sourcePolicyDocuments: ["{"] })).to.throw("writing IAM Policy Document: merging source document 0:");
    expect(() =>
      policyDocument({
        sourcePolicyDocuments: [JSON.stringify({ Statement: [{ Sid: "S" }] }), JSON.stringify({ Statement: [{ Sid: "S" }] })],
      }),
    ).to.throw("duplicate Sid (S) in source_policy_documents (statement 0)");
  });

  it("answers a program's getPolicyDocumentOutput in the capture, so a role gets the document", async () => {
    const view = await captureComponents(() => {
      new aws.iam.Role("by-document", {
        assumeRolePolicy: aws.iam.getPolicyDocumentOutput({
          statements: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] }],
        }).json,
      });
    });
    expect(JSON.parse(view.one("aws:iam/role:Role", "by-document").state.assumeRolePolicy)).to.deep.equal({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }],
    });
  });
});
