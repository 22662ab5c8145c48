import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigurationError } from "../rules/config";
import { AirflowRole, type AirflowTarget } from "../providers";
import {
  type CustomRoleSpec,
  type WebUiMapping,
  customRoles,
  foreignPrincipalProblems,
  webLoginPolicy,
  webLoginPolicyName,
} from "../rules/webUiAccess";

export interface WebUiAccessArgs {
  readonly environmentName: string;
  readonly region: string;
  readonly account: pulumi.Input<string>;
  readonly mappings: readonly WebUiMapping[];
  /** Where the mapped permission sets are: their login policies are attached there. Undefined: left to the user. */
  readonly ssoInstanceArn?: string;
  /** The target as the providers reach it; resolves once the environment exists. */
  readonly airflow: pulumi.Input<AirflowTarget>;
  readonly tags?: Record<string, string>;
}

/** A principal's part of a logical name: unique per kind and name, within this component. */
const slug = (m: WebUiMapping) => `${m.principal.kind}-${m.principal.name}`.replace(/[^A-Za-z0-9_-]/g, "-");

/**
 * The target's UI access: for each mapped principal, a policy allowing `airflow:CreateWebLoginToken` on
 * the environment's Airflow role, attached as the principal's kind allows (see rules/webUiAccess.ts); a
 * permission set's policy is attached to it when the stack names the Identity Center instance.
 * Custom roles are created on the target (AirflowRole: Airflow 2's REST API, the FAB auth manager's API
 * on Airflow 3).
 */
export class WebUiAccess extends pulumi.ComponentResource {
  readonly policies: pulumi.Resource[] = [];
  /** For each IAM Identity Center permission set: the customer-managed policy it should reference. */
  readonly permissionSetPolicies: Record<string, pulumi.Output<string>> = {};
  /** The policies attached to their permission sets (with `ssoInstanceArn`). */
  readonly permissionSetAttachments: aws.ssoadmin.CustomerManagedPolicyAttachment[] = [];
  /** Custom Airflow roles the mapping names, as the REST API's POST /roles body. */
  readonly customRoles: CustomRoleSpec[];
  /** The custom roles the stack creates. */
  readonly airflowRoles: AirflowRole[] = [];

  constructor(name: string, args: WebUiAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mwaa-migration:webui:WebUiAccess", name, {}, opts);
    const parent = { parent: this };
    const scope = pulumi.output(args.account).apply((account) => {
      const problems = foreignPrincipalProblems(args.mappings, { region: args.region, account });
      if (problems.length > 0) throw new ConfigurationError(problems);
      return { region: args.region, account };
    });
    for (const m of args.mappings) {
      const policy = scope.apply((s) =>
        JSON.stringify(webLoginPolicy(s, args.environmentName, m.airflowRole)),
      );
      const policyName = webLoginPolicyName(args.environmentName, m.principal);
      const logical = `${name}-${slug(m)}`;
      switch (m.principal.kind) {
        case "role":
          this.policies.push(
            new aws.iam.RolePolicy(logical, { name: policyName, role: m.principal.name, policy }, parent),
          );
          break;
        case "user":
          this.policies.push(
            new aws.iam.UserPolicy(logical, { name: policyName, user: m.principal.name, policy }, parent),
          );
          break;
        case "group":
          this.policies.push(
            new aws.iam.GroupPolicy(logical, { name: policyName, group: m.principal.name, policy }, parent),
          );
          break;
        case "sso": {
          const managed = new aws.iam.Policy(
            logical,
            {
              name: policyName,
              description: `Opens the Airflow UI of ${args.environmentName} as ${m.airflowRole}; reference it from permission set ${m.principal.name}`,
              policy,
              tags: { ...args.tags, "mwaa-migration:web-ui-principal": m.principal.given },
            },
            parent,
          );
          this.policies.push(managed);
          this.permissionSetPolicies[m.principal.name] = managed.name;
          if (args.ssoInstanceArn) this.attach(logical, args.ssoInstanceArn, m.principal.name, managed);
          break;
        }
      }
    }
    this.customRoles = customRoles(args.mappings);
    for (const role of this.customRoles)
      this.airflowRoles.push(
        new AirflowRole(
          `${name}-role-${role.name}`,
          { airflow: args.airflow, roleName: role.name, permissions: role.actions, region: args.region },
          parent,
        ),
      );
    this.registerOutputs({ customRoles: this.customRoles });
  }

  /**
   * Attaches the login policy to the permission set, found by name in the instance. The AWS provider then
   * provisions the permission set again, so the policy reaches every account it is assigned in (the policy
   * must exist there by the same name: this stack creates it in the target's account).
   */
  private attach(logical: string, instanceArn: string, permissionSet: string, policy: aws.iam.Policy): void {
    const found = aws.ssoadmin.getPermissionSetOutput({ instanceArn, name: permissionSet }, { parent: this });
    this.permissionSetAttachments.push(
      new aws.ssoadmin.CustomerManagedPolicyAttachment(
        `${logical}-attachment`,
        {
          instanceArn,
          permissionSetArn: found.arn,
          // The login policy is created at IAM's root path.
          customerManagedPolicyReference: { name: policy.name, path: "/" },
        },
        { parent: this },
      ),
    );
  }
}
