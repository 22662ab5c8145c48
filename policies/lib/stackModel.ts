/**
 * Reads the stack's resources into the few relationships the policies care about: which IAM
 * documents a role ends up with (whatever resource carries them), which role an MWAA environment
 * runs as, and which resources configure a bucket.
 *
 * Resources reference each other by value (a role's name in a RolePolicy, an ARN in an
 * environment) and, in what the engine passes to stack policies, by `propertyDependencies`. Both are
 * consulted, so the links hold whether outputs are known (after `pulumi up`) or only the dependency
 * graph is (hand-built fixtures, mocks).
 */
import { AWS_MANAGED_POLICY_ARN, MWAA_TRUSTED_SERVICES } from "./facts";
import { parsePolicyDocument, ParsedDocument } from "./iamDocument";
import { isUnknown, peek } from "./unknowns";

/** The part of the engine's PolicyResource the policies read (PolicyResource satisfies it). */
export interface ResourceLike {
  type: string;
  name: string;
  urn: string;
  // The engine hands over untyped provider properties.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  props: Record<string, any>;
  parent?: { urn: string; name: string; type: string };
  propertyDependencies?: Record<string, { urn: string }[]>;
}

export const TYPES = {
  role: "aws:iam/role:Role",
  policy: "aws:iam/policy:Policy",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
  rolePolicyAttachmentsExclusive: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  user: "aws:iam/user:User",
  group: "aws:iam/group:Group",
  environment: "aws:mwaa/environment:Environment",
  kmsKey: "aws:kms/key:Key",
  buckets: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  encryption: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  bucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy"],
  lifecycle: [
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  ],
};

/** For each kind of IAM principal, the resources that attach managed policies to it and how they name it. */
const PRINCIPAL_KINDS = [
  {
    type: TYPES.role,
    attachment: TYPES.rolePolicyAttachment,
    attachmentProp: "role",
    policyAttachmentProp: "roles",
    exclusive: TYPES.rolePolicyAttachmentsExclusive,
    exclusiveProp: "roleName",
  },
  {
    type: TYPES.user,
    attachment: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    attachmentProp: "user",
    policyAttachmentProp: "users",
    exclusive: "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    exclusiveProp: "userName",
  },
  {
    type: TYPES.group,
    attachment: "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    attachmentProp: "group",
    policyAttachmentProp: "groups",
    exclusive: "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
    exclusiveProp: "groupName",
  },
];

/** One IAM permission document and the resource that carries it. */
export interface CarriedDocument {
  carrier: ResourceLike;
  /** Where in the carrier the document sits, e.g. `policy` or `inlinePolicies "read-dags"`. */
  where: string;
  raw: unknown;
  /** Undefined when the document is unreadable or (see `unknown`) not known yet. */
  parsed: ParsedDocument | undefined;
  /** True during a preview when the document is built from values not known yet. */
  unknown: boolean;
}

/** A policy ARN attached to a role that is not defined in this stack. */
export interface ExternalAttachment {
  carrier: ResourceLike;
  arn: string;
  /** The AWS managed policy's name (e.g. `AdministratorAccess`) when the ARN is one. */
  awsManagedName?: string;
}

export interface RolePermissions {
  role: ResourceLike;
  documents: CarriedDocument[];
  external: ExternalAttachment[];
}

/** Identifying values a reference to `target` may hold (an unknown one links nothing). */
function identities(target: ResourceLike): string[] {
  return ["arn", "name", "id", "bucket", "keyId"]
    .map((key) => peek(target.props, key))
    .filter((v): v is string => typeof v === "string" && v !== "");
}

/** True when `carrier.props[prop]` (a value or a list) points at `target`, by value or by dependency. */
export function refersTo(carrier: ResourceLike, prop: string, target: ResourceLike): boolean {
  const deps = carrier.propertyDependencies?.[prop];
  if (deps && deps.some((d) => d.urn === target.urn)) return true;
  const value = peek(carrier.props, prop);
  const values = Array.isArray(value) ? value : [value];
  const ids = identities(target);
  return values.some((v) => typeof v === "string" && ids.includes(v));
}

export function ofType(resources: ResourceLike[], types: string | string[]): ResourceLike[] {
  const list = Array.isArray(types) ? types : [types];
  return resources.filter((r) => list.includes(r.type));
}

export function tagsOf(resource: ResourceLike): Record<string, string> {
  const tags = resource.props.tags;
  return tags && typeof tags === "object" ? (tags as Record<string, string>) : {};
}

export function resourceLabel(resource: ResourceLike): string {
  const short = resource.type.split(":").pop() ?? resource.type;
  return `${short} "${resource.name}"`;
}

export function carried(carrier: ResourceLike, where: string, raw: unknown): CarriedDocument {
  return { carrier, where, raw, parsed: parsePolicyDocument(raw), unknown: isUnknown(raw) };
}

/** Every IAM permission document defined in the stack, whatever resource carries it. */
export function allDocuments(resources: ResourceLike[]): CarriedDocument[] {
  const out: CarriedDocument[] = [];
  for (const r of resources) {
    if (!r.type.startsWith("aws:iam/")) continue;
    if (r.type === TYPES.role) {
      out.push(...inlineDocuments(r));
    } else if (r.props.policy !== undefined) {
      out.push(carried(r, "policy", r.props.policy));
    }
  }
  return out;
}

function inlineDocuments(role: ResourceLike): CarriedDocument[] {
  const inline = role.props.inlinePolicies;
  if (!Array.isArray(inline)) return [];
  return inline
    .filter((p) => p && p.policy !== undefined && p.policy !== "")
    .map((p) => carried(role, `inlinePolicies "${p.name ?? "?"}"`, p.policy));
}

/** A policy ARN some resource attaches; `arn` is undefined while it is not known (preview). */
interface Attachment {
  carrier: ResourceLike;
  arn: string | undefined;
  prop: string;
}

function attachment(carrier: ResourceLike, value: unknown, prop: string): Attachment {
  return { carrier, arn: isUnknown(value) ? undefined : String(value ?? ""), prop };
}

/** Policies attached to `principal` (a role, user or group) by any attachment resource in the stack. */
function attachedArns(resources: ResourceLike[], principal: ResourceLike): Attachment[] {
  const out: Attachment[] = [];
  const kind = PRINCIPAL_KINDS.find((k) => k.type === principal.type);
  if (!kind) return out;
  for (const arn of asStrings(principal.props.managedPolicyArns))
    out.push(attachment(principal, arn, "managedPolicyArns"));
  for (const a of ofType(resources, kind.attachment)) {
    if (refersTo(a, kind.attachmentProp, principal)) out.push(attachment(a, a.props.policyArn, "policyArn"));
  }
  for (const a of ofType(resources, TYPES.policyAttachment)) {
    if (refersTo(a, kind.policyAttachmentProp, principal))
      out.push(attachment(a, a.props.policyArn, "policyArn"));
  }
  for (const a of ofType(resources, kind.exclusive)) {
    if (refersTo(a, kind.exclusiveProp, principal)) {
      for (const arn of asStrings(a.props.policyArns)) out.push(attachment(a, arn, "policyArns"));
    }
  }
  return out;
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * Everything a role is granted: inline policies, RolePolicies, and attached policies. For a user or
 * group only the attachments are found (their UserPolicy/GroupPolicy documents are in allDocuments).
 */
export function rolePermissions(resources: ResourceLike[], role: ResourceLike): RolePermissions {
  const documents = inlineDocuments(role);
  for (const rp of ofType(resources, TYPES.rolePolicy)) {
    if (refersTo(rp, "role", role)) documents.push(carried(rp, "policy", rp.props.policy));
  }
  const external: ExternalAttachment[] = [];
  const stackPolicies = ofType(resources, TYPES.policy);
  for (const { carrier, arn, prop } of attachedArns(resources, role)) {
    const inStack = stackPolicies.find(
      (p) =>
        (!!arn && peek(p.props, "arn") === arn) ||
        carrier.propertyDependencies?.[prop]?.some((d) => d.urn === p.urn),
    );
    if (inStack) {
      documents.push(carried(inStack, "policy", inStack.props.policy));
      continue;
    }
    // An ARN not known yet is a policy created in this update; it is checked once it is known.
    if (arn === undefined) continue;
    const managed = AWS_MANAGED_POLICY_ARN.exec(arn);
    external.push(managed ? { carrier, arn, awsManagedName: managed[1] } : { carrier, arn });
  }
  return { role, documents, external };
}

/** Service principals a role's trust policy lets assume it. */
export function trustedServices(role: ResourceLike): string[] {
  const trust = parsePolicyDocument(role.props.assumeRolePolicy);
  if (!trust) return [];
  return trust.statements
    .filter((s) => s.effect === "Allow")
    .flatMap((s) => s.principals.filter((p) => p.kind === "Service").map((p) => p.value.toLowerCase()));
}

/** True when the role's trust policy lets MWAA assume it, whatever the role is called. */
export function isTrustedByMwaa(role: ResourceLike): boolean {
  return trustedServices(role).some((s) => MWAA_TRUSTED_SERVICES.includes(s));
}

/**
 * The stack's MWAA execution roles: every role MWAA can assume, and every role an environment in the
 * stack runs as, whatever its trust policy says (a role trusted by anyone is still the environment's).
 */
export function executionRoles(resources: ResourceLike[]): ResourceLike[] {
  const runAs = new Set(
    ofType(resources, TYPES.environment)
      .map((env) => environmentRole(resources, env)?.urn)
      .filter((urn): urn is string => urn !== undefined),
  );
  return ofType(resources, TYPES.role).filter((r) => isTrustedByMwaa(r) || runAs.has(r.urn));
}

/**
 * Execution roles that live outside the stack but that an environment in it names (the source
 * environment's role, which the export grant is added to). They stand in as roles known by name and
 * ARN, so policies the stack attaches to them are checked like those on the stack's own roles.
 */
export function externalExecutionRoles(resources: ResourceLike[]): ResourceLike[] {
  const stackRoles = ofType(resources, TYPES.role);
  const seen = new Set<string>();
  const out: ResourceLike[] = [];
  for (const env of ofType(resources, TYPES.environment)) {
    // Not known yet means made by a resource this update creates: a role in the stack, not outside it.
    const arn = peek(env.props, "executionRoleArn");
    if (
      typeof arn !== "string" ||
      seen.has(arn) ||
      stackRoles.some((r) => refersTo(env, "executionRoleArn", r))
    )
      continue;
    seen.add(arn);
    out.push(roleKnownByArn(env, arn));
  }
  return out;
}

/**
 * A role outside the stack, known by the ARN an environment names: its name is the ARN's last segment.
 * It has a URN of its own, not the environment's, so only a value naming the role links to it: a
 * property that merely depends on the environment (its version, say) is not a reference to its role.
 */
function roleKnownByArn(environment: ResourceLike, arn: string): ResourceLike {
  const name = arn.split("/").pop() ?? arn;
  return {
    type: TYPES.role,
    name,
    urn: `${environment.urn}#executionRoleArn`,
    props: { name, arn, id: name },
  };
}

/** The role an environment runs as: the stack's own, or one outside it known by its ARN. */
export function executionRoleOf(
  resources: ResourceLike[],
  environment: ResourceLike,
): ResourceLike | undefined {
  const inStack = environmentRole(resources, environment);
  if (inStack) return inStack;
  const arn = peek(environment.props, "executionRoleArn");
  return typeof arn === "string" && arn !== "" ? roleKnownByArn(environment, arn) : undefined;
}

/** The name S3 knows a bucket by (the engine's outputs carry `bucket`; `id` is the same value). */
export function bucketName(bucket: ResourceLike): string | undefined {
  const v = bucket.props.bucket ?? bucket.props.id;
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** Resources of the given types whose `bucket` input points at `bucket`. */
export function bucketConfigs(
  resources: ResourceLike[],
  bucket: ResourceLike,
  types: string[],
): ResourceLike[] {
  return ofType(resources, types).filter((c) => refersTo(c, "bucket", bucket));
}

/**
 * What identifies an environment's execution role: its ARN, or, while the ARN is not known yet, the
 * resource it comes from. Without that dependency an unknown ARN is read as such, so the policy
 * reports that it could not run rather than passing.
 */
export function executionRoleKey(environment: ResourceLike): string | undefined {
  const dependency = environment.propertyDependencies?.executionRoleArn?.[0]?.urn;
  const value = dependency ? peek(environment.props, "executionRoleArn") : environment.props.executionRoleArn;
  if (typeof value === "string") return value;
  return isUnknown(value) ? dependency : undefined;
}

/** The role an environment runs as, when it is defined in this stack. */
export function environmentRole(
  resources: ResourceLike[],
  environment: ResourceLike,
): ResourceLike | undefined {
  return ofType(resources, TYPES.role).find((r) => refersTo(environment, "executionRoleArn", r));
}
