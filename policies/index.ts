// The policy pack served by `pulumi preview --policy-pack policies`. Policies live in ./policies.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

new PolicyPack("mwaa-migration", {
  description: "IAM and data-protection guardrails for an Amazon MWAA migration.",
  provider: "aws",
  policies: allPolicies,
});
