import * as assert from "assert";
import {
  conditionKeys,
  globMatches,
  isServiceWideWildcard,
  parsePolicyDocument,
  touchesService,
} from "./iamDocument";

describe("IAM documents", () => {
  it("reads a JSON string and an object alike, with single values or lists", () => {
    const object = {
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Action: "S3:GetObject", Resource: "arn:aws:s3:::b/*" },
    };
    const fromString = parsePolicyDocument(JSON.stringify(object));
    const fromObject = parsePolicyDocument(object);
    assert.deepStrictEqual(fromString, fromObject);
    assert.deepStrictEqual(fromObject?.statements[0].actions, ["s3:getobject"]);
    assert.deepStrictEqual(fromObject?.statements[0].resources, ["arn:aws:s3:::b/*"]);
    assert.strictEqual(fromObject?.statements[0].label, "#1");
  });

  it("keeps NotAction and NotResource apart from Action and Resource", () => {
    const d = parsePolicyDocument({
      Statement: [{ Sid: "S", Effect: "Allow", NotAction: ["IAM:*"], NotResource: "x" }],
    });
    assert.deepStrictEqual(d?.statements[0].notActions, ["iam:*"]);
    assert.deepStrictEqual(d?.statements[0].notResources, ["x"]);
    assert.deepStrictEqual(d?.statements[0].actions, []);
    assert.strictEqual(d?.statements[0].label, "S");
  });

  it("reads principals of every shape", () => {
    const d = parsePolicyDocument({
      Statement: [
        { Effect: "Allow", Principal: "*" },
        {
          Effect: "Allow",
          Principal: { Service: ["a.amazonaws.com", "b.amazonaws.com"], AWS: "arn:aws:iam::1:root" },
        },
      ],
    });
    assert.deepStrictEqual(d?.statements[0].principals, [{ kind: "*", value: "*" }]);
    assert.deepStrictEqual(
      d?.statements[1].principals.map((p) => `${p.kind}=${p.value}`),
      ["Service=a.amazonaws.com", "Service=b.amazonaws.com", "AWS=arn:aws:iam::1:root"],
    );
  });

  it("returns undefined for something that is not a document", () => {
    for (const bad of ["", "not json", "{}", 42, null, undefined])
      assert.strictEqual(parsePolicyDocument(bad), undefined);
  });

  it("matches IAM wildcards case-insensitively", () => {
    assert.ok(globMatches("s3:Delete*", "S3:DELETEOBJECT"));
    assert.ok(globMatches("iam:Put?olePolicy", "iam:PutRolePolicy"));
    assert.ok(!globMatches("s3:Get*", "s3:PutObject"));
    assert.ok(globMatches("arn:aws:s3:::bucket.name/*", "arn:aws:s3:::bucket.name/a/b"));
    assert.ok(!globMatches("arn:aws:s3:::bucket.name", "arn:aws:s3:::bucketxname"));
  });

  it("tells service-wide wildcards from partial ones", () => {
    assert.ok(isServiceWideWildcard("*"));
    assert.ok(isServiceWideWildcard("KMS:*"));
    assert.ok(!isServiceWideWildcard("s3:Get*"));
  });

  it("finds which services a statement touches, including through NotAction", () => {
    const [onlyS3, notIam] = parsePolicyDocument({
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject" },
        { Effect: "Allow", NotAction: "iam:*" },
      ],
    })!.statements;
    assert.ok(!touchesService(onlyS3, "kms"));
    assert.ok(touchesService(notIam, "kms"));
    assert.ok(!touchesService(notIam, "iam"));
  });

  it("lists condition keys whatever the operator, lower-cased", () => {
    const [s] = parsePolicyDocument({
      Statement: [
        {
          Effect: "Allow",
          Action: "kms:Decrypt",
          Condition: { StringLike: { "kms:ViaService": "s3.x" }, Bool: { "aws:SecureTransport": "true" } },
        },
      ],
    })!.statements;
    assert.deepStrictEqual(conditionKeys(s), ["kms:viaservice", "aws:securetransport"]);
  });
});
