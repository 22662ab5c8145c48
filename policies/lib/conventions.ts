/**
 * How the policies recognise the migration's own resources. The program marks them with tags; the
 * name conventions are a fallback for resources that cannot carry tags (a RolePolicy has none) and
 * for stacks written by hand.
 *
 * - Migration bucket: a bucket inside the program's `MigrationBucket` component (its URN's type chain
 *   holds `mwaa-migration:storage:MigrationBucket`), tag `mwaa-migration:purpose` = `migration-bucket`,
 *   listed in the pack config `migrationBuckets`, or a logical name containing `migration-bucket`.
 * - Grants: a policy inside the program's `MigrationGrants` component (`mwaa-migration:grants:MigrationGrants`
 *   in the URN) whose name says `export` or `import`; tag `mwaa-migration:grant` = `export` | `import`;
 *   or a logical name, `name` input or parent name containing `export-grant` / `import-grant`.
 * - Stage: pack config `stage`, else the stack's `stage` output (the program exports it; the engine
 *   passes stack outputs as the props of the `pulumi:pulumi:Stack` resource), else the tag
 *   `mwaa-migration:stage` on any resource.
 * - Source environment read by the program: an environment inside its `SourceEnvironment` component
 *   (`mwaa-migration:source:SourceEnvironment` in the URN); see sourceEnvironment.ts for other stacks.
 */
import { globMatches } from "./iamDocument";
import { CarriedDocument, ResourceLike, TYPES, bucketName, ofType, tagsOf } from "./stackModel";

export const PURPOSE_TAG = "mwaa-migration:purpose";
export const MIGRATION_BUCKET_PURPOSE = "migration-bucket";
export const GRANT_TAG = "mwaa-migration:grant";
export const STAGE_TAG = "mwaa-migration:stage";
const STACK_TYPE = "pulumi:pulumi:Stack";

export const MIGRATION_BUCKET_COMPONENT = "mwaa-migration:storage:MigrationBucket";
export const GRANTS_COMPONENT = "mwaa-migration:grants:MigrationGrants";
export const SOURCE_COMPONENT = "mwaa-migration:source:SourceEnvironment";

export type GrantKind = "export" | "import";

/** True when the resource was created inside a component of the given type (read from its URN). */
export function isInside(resource: ResourceLike, componentType: string): boolean {
  const typeChain = resource.urn.split("::")[2] ?? "";
  return typeChain.split("$").slice(0, -1).includes(componentType);
}

export function isMigrationBucket(bucket: ResourceLike, configured: string[] = []): boolean {
  if (isInside(bucket, MIGRATION_BUCKET_COMPONENT)) return true;
  if (tagsOf(bucket)[PURPOSE_TAG] === MIGRATION_BUCKET_PURPOSE) return true;
  const name = bucketName(bucket);
  if (name && configured.includes(name)) return true;
  return /migration[-_]?bucket/i.test(bucket.name);
}

export function migrationBuckets(resources: ResourceLike[], configured: string[] = []): ResourceLike[] {
  return ofType(resources, TYPES.buckets).filter((b) => isMigrationBucket(b, configured));
}

function kindFromText(text: unknown): GrantKind | undefined {
  if (typeof text !== "string") return undefined;
  if (/export[-_]?grant/i.test(text)) return "export";
  if (/import[-_]?grant/i.test(text)) return "import";
  return undefined;
}

/** Which migration grant a carried document is, if any. */
export function grantKind(doc: CarriedDocument): GrantKind | undefined {
  const carrier = doc.carrier;
  const tagged = tagsOf(carrier)[GRANT_TAG];
  if (tagged === "export" || tagged === "import") return tagged;
  if (isInside(carrier, GRANTS_COMPONENT)) {
    const named = `${carrier.name} ${carrier.props.name ?? ""}`;
    if (/export/i.test(named)) return "export";
    if (/import/i.test(named)) return "import";
  }
  return (
    kindFromText(carrier.name) ??
    kindFromText(carrier.props.name) ??
    kindFromText(doc.where) ??
    kindFromText(carrier.parent?.name)
  );
}

export function grants(docs: CarriedDocument[], kind: GrantKind): CarriedDocument[] {
  return docs.filter((d) => grantKind(d) === kind);
}

/** The migration stage, from pack config, the stack's `stage` output, or a stage tag. */
export function migrationStage(resources: ResourceLike[], configured?: string): string | undefined {
  if (configured) return configured;
  const exported = resources.find((r) => r.type === STACK_TYPE)?.props.stage;
  if (typeof exported === "string" && exported !== "") return exported;
  for (const r of resources) {
    const stage = tagsOf(r)[STAGE_TAG];
    if (typeof stage === "string" && stage !== "") return stage;
  }
  return undefined;
}

/** The S3 ARNs that address a bucket: the bucket itself and its objects. */
export function bucketArnPrefix(name: string): string {
  return `arn:aws:s3:::${name}`;
}

/**
 * True when an S3 resource ARN or pattern addresses the named bucket or objects in it: literally
 * (`arn:aws:s3:::b/prefix/*`) or through a wildcard (`*`, `arn:aws:s3:::*`, `arn:aws:s3:::b*`).
 */
export function addressesBucket(resource: string, name: string): boolean {
  const prefix = bucketArnPrefix(name);
  const r = resource.replace(/^arn:aws[a-z-]*:/, "arn:aws:");
  if (r === prefix || r.startsWith(`${prefix}/`)) return true;
  return globMatches(r, prefix) || globMatches(r, `${prefix}/any-object`);
}
