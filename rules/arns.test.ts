import * as assert from "node:assert/strict";
import {
  airflowRoleArn,
  celeryQueuesArn,
  environmentLogGroupsArn,
  mwaaEnvironmentArn,
  partitionOf,
  partitionOfArn,
  s3BucketArn,
} from "./arns";

describe("ARNs", () => {
  it("take the partition from the region", () => {
    assert.equal(partitionOf("us-east-1"), "aws");
    assert.equal(partitionOf("eu-central-1"), "aws");
    assert.equal(partitionOf("cn-northwest-1"), "aws-cn");
    assert.equal(partitionOf("us-gov-west-1"), "aws-us-gov");
    assert.equal(partitionOf("us-iso-east-1"), "aws-iso");
    assert.equal(partitionOf("us-isob-east-1"), "aws-iso-b");
  });

  it("build every regional ARN in the region's partition", () => {
    const china = { region: "cn-north-1", account: "123456789012" };
    assert.equal(
      mwaaEnvironmentArn(china, "env"),
      "arn:aws-cn:airflow:cn-north-1:123456789012:environment/env",
    );
    assert.equal(
      airflowRoleArn(china, "env", "Admin"),
      "arn:aws-cn:airflow:cn-north-1:123456789012:role/env/Admin",
    );
    assert.equal(
      environmentLogGroupsArn(china, "env"),
      "arn:aws-cn:logs:cn-north-1:123456789012:log-group:airflow-env-*",
    );
    assert.equal(celeryQueuesArn(china), "arn:aws-cn:sqs:cn-north-1:*:airflow-celery-*");
    assert.equal(s3BucketArn("aws-cn", "b"), "arn:aws-cn:s3:::b");
  });

  it("read the partition back from an ARN", () => {
    assert.equal(partitionOfArn("arn:aws-us-gov:kms:us-gov-west-1:1:key/k"), "aws-us-gov");
    assert.equal(partitionOfArn("alias/aws/s3"), undefined);
  });
});
