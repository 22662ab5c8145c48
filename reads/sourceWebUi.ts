/**
 * The source environment's web UI mapping as its account holds it: the customer-managed IAM policies that
 * are attached to someone and mention Airflow, each with its default version's document and the roles,
 * users and groups it is attached to. Read at preview, before anything is declared, so that cloning can
 * map the same principals on the target (rules/webUiClone decides what the documents say).
 *
 * Inline policies are not read: finding them means reading every role, user and group of the account.
 * Credentials and region come from the AWS SDK's default chain, endpoints from its standard
 * configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_IAM`).
 */
import type { IAMClient } from "@aws-sdk/client-iam";
import type { AttachedPolicy } from "../rules/webUiClone";

/** "arn:<partition>:iam::<account>:policy/..." -> its partition and account. */
function accountOf(policyArn: string): { partition: string; account: string } {
  const [, partition, , , account] = policyArn.split(":");
  return { partition, account };
}

export async function readLoginPolicies(region: string, client?: IAMClient): Promise<AttachedPolicy[]> {
  const sdk = require("@aws-sdk/client-iam") as typeof import("@aws-sdk/client-iam");
  const iam = client ?? new sdk.IAMClient({ region });
  try {
    const policies: AttachedPolicy[] = [];
    for await (const page of sdk.paginateListPolicies(
      { client: iam },
      { Scope: "Local", OnlyAttached: true },
    )) {
      for (const policy of page.Policies ?? []) {
        const version = await iam.send(
          new sdk.GetPolicyVersionCommand({ PolicyArn: policy.Arn, VersionId: policy.DefaultVersionId }),
        );
        const text = decodeURIComponent(version.PolicyVersion?.Document ?? "");
        // Only a document that names Airflow's actions can let anyone into its UI.
        if (!/airflow:/i.test(text) && !/"\*"/.test(text)) continue;
        const { partition, account } = accountOf(policy.Arn!);
        const arn = (kind: string, name?: string) => `arn:${partition}:iam::${account}:${kind}/${name}`;
        const principals: string[] = [];
        for await (const entities of sdk.paginateListEntitiesForPolicy(
          { client: iam },
          { PolicyArn: policy.Arn },
        )) {
          principals.push(
            ...(entities.PolicyRoles ?? []).map((r) => arn("role", r.RoleName)),
            ...(entities.PolicyUsers ?? []).map((u) => arn("user", u.UserName)),
            ...(entities.PolicyGroups ?? []).map((g) => arn("group", g.GroupName)),
          );
        }
        policies.push({ policyArn: policy.Arn!, document: JSON.parse(text), principals });
      }
    }
    return policies;
  } finally {
    if (!client) iam.destroy();
  }
}

/**
 * The policies for the stack's cloneWebUiAccess, read before the program declares anything; none when the
 * stack does not clone the mapping. A failed read fails the preview with what the deployer needs.
 */
export async function readConfiguredLoginPolicies(
  clones: boolean,
  region: string,
): Promise<AttachedPolicy[]> {
  if (!clones) return [];
  try {
    return await readLoginPolicies(region);
  } catch (error) {
    throw new Error(
      `mwaa-migration:cloneWebUiAccess: the account's IAM policies could not be read: ${(error as Error).message}. ` +
        "The deployer needs iam:ListPolicies, iam:GetPolicyVersion and iam:ListEntitiesForPolicy (the deployerPolicy " +
        "output's ListPoliciesForSourceWebUi and ReadPoliciesForSourceWebUi statements); or set cloneWebUiAccess to false.",
    );
  }
}
