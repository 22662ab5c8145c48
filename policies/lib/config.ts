/**
 * The pack's configuration: the exceptions a team may grant itself, each documented in the README's
 * "Policy pack" table. CrossGuard gives every policy its own config object, so the shared keys
 * (`migrationBuckets`, `stage`) are declared on each policy that reads them.
 *
 * The engine applies the schema's defaults; tests call the policies with `{}`, so every reader goes
 * through `readConfig`, which applies the same defaults.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";

export interface PackConfig {
  /** Bucket names treated as migration buckets in addition to the tag and name conventions. */
  migrationBuckets: string[];
  /** Migration stage (prepare, bulk, cutover, complete); overrides the stage tag. */
  stage: string;
  /** Role names (IAM name or logical name) the execution-role policies leave alone. */
  exemptRoles: string[];
  /** Wildcard actions allowed on execution roles beyond MWAA's documented ones, e.g. `sqs:Get*`. */
  extraAllowedWildcardActions: string[];
  /** AWS managed policy names or ARNs an execution role may have attached. */
  allowedManagedPolicies: string[];
  /** Actions allowed on `Resource: "*"` beyond MWAA's documented ones. */
  extraResourceStarActions: string[];
  /** Object key prefix the grants must stay inside, e.g. `migration`; empty accepts any non-empty prefix. */
  migrationPrefix: string;
  /** Actions the export grant may have beyond writing objects, e.g. `s3:PutObjectTagging`. */
  extraExportActions: string[];
  /** Actions the import grant may have beyond reading objects (and reading the source's task logs). */
  extraImportActions: string[];
  /** The source environment's task log group name, when the source is not an environment in this stack. */
  sourceTaskLogGroup: string;
  /** Bucket names the data-protection policy leaves alone. */
  exemptBuckets: string[];
  /** Environment names the environment policies leave alone. */
  exemptEnvironments: string[];
  /** Environment names allowed a public webserver (PUBLIC_ONLY or PUBLIC_AND_PRIVATE); `*` allows every environment. */
  allowPublicWebserver: string[];
  /** Airflow versions accepted for new environments; replaces the built-in list when set. */
  supportedAirflowVersions: string[];
  /** Secret-name prefixes execution roles may read (`airflow/connections`); empty accepts any `<prefix>/`. */
  secretsPrefixes: string[];
  /** Principals (ARNs or names of roles, users, groups; permission-set names) allowed the Admin Airflow role in the UI. */
  webUiAdmins: string[];
}

export type ConfigKey = keyof PackConfig;

const stringList = (description: string) => ({
  type: "array" as const,
  items: { type: "string" as const },
  default: [],
  description,
});

const SCHEMAS: Record<ConfigKey, PolicyConfigSchema["properties"][string]> = {
  migrationBuckets: stringList("Bucket names treated as migration buckets besides the tag/name convention."),
  stage: {
    type: "string",
    default: "",
    description: "Migration stage; overrides the mwaa-migration:stage tag.",
  },
  exemptRoles: stringList("Role names (IAM or logical) these checks leave alone."),
  extraAllowedWildcardActions: stringList("Wildcard actions allowed beyond MWAA's documented set."),
  allowedManagedPolicies: stringList("AWS managed policy names or ARNs an execution role may carry."),
  extraResourceStarActions: stringList('Actions allowed on Resource "*" beyond MWAA\'s documented set.'),
  migrationPrefix: {
    type: "string",
    default: "",
    description: "Object key prefix the grants must stay inside.",
  },
  extraExportActions: stringList("Extra actions the export grant may have."),
  extraImportActions: stringList("Extra actions the import grant may have."),
  sourceTaskLogGroup: {
    type: "string",
    default: "",
    description: "Source task log group when not in the stack.",
  },
  exemptBuckets: stringList("Bucket names the data-protection checks leave alone."),
  exemptEnvironments: stringList("Environment names these checks leave alone."),
  allowPublicWebserver: stringList(
    'Environment names allowed a public webserver (PUBLIC_ONLY, PUBLIC_AND_PRIVATE); "*" for all.',
  ),
  supportedAirflowVersions: stringList(
    "Accepted Airflow versions; replaces the built-in list when non-empty.",
  ),
  secretsPrefixes: stringList(
    "Secret-name prefixes execution roles may read; empty: any prefix ending in /.",
  ),
  webUiAdmins: stringList("Principals (ARNs or names) allowed to open the Airflow UI as Admin."),
};

const DEFAULTS: PackConfig = {
  migrationBuckets: [],
  stage: "",
  exemptRoles: [],
  extraAllowedWildcardActions: [],
  allowedManagedPolicies: [],
  extraResourceStarActions: [],
  migrationPrefix: "",
  extraExportActions: [],
  extraImportActions: [],
  sourceTaskLogGroup: "",
  exemptBuckets: [],
  exemptEnvironments: [],
  allowPublicWebserver: [],
  supportedAirflowVersions: [],
  secretsPrefixes: [],
  webUiAdmins: [],
};

/** The config schema for a policy that reads `keys`. */
export function configSchema(keys: ConfigKey[]): PolicyConfigSchema {
  const properties: PolicyConfigSchema["properties"] = {};
  for (const k of keys) properties[k] = SCHEMAS[k];
  return { properties };
}

/** The policy's config with defaults filled in and list values checked. */
export function readConfig(raw: object | undefined): PackConfig {
  const merged = { ...DEFAULTS, ...(raw ?? {}) } as PackConfig;
  for (const [key, value] of Object.entries(merged)) {
    const expected = DEFAULTS[key as ConfigKey];
    if (Array.isArray(expected) && !Array.isArray(value)) {
      throw new Error(`policy config "${key}" must be a list of strings, got ${JSON.stringify(value)}`);
    }
  }
  return merged;
}
