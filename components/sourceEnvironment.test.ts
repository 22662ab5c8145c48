import * as assert from "node:assert/strict";
import { roleNameFromArn } from "./sourceEnvironment";

describe("source environment", () => {
  it("takes the role name from an execution role ARN, with or without a path", () => {
    assert.equal(
      roleNameFromArn("arn:aws:iam::123456789012:role/service-role/AmazonMWAA-legacy-x1"),
      "AmazonMWAA-legacy-x1",
    );
    assert.equal(roleNameFromArn("arn:aws:iam::123456789012:role/mwaa-exec"), "mwaa-exec");
  });
});
