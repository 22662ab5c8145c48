/**
 * Which environment the migration copies from, as far as the stack tells: an import grant that reads task
 * logs may read that environment's and no other's.
 *
 * The engine does not tell a stack policy which resources the program only reads
 * (`aws.mwaa.Environment.get`); a read environment arrives like any other, its outputs as props. What
 * does tell: a read has no inputs, so the engine passes no property dependency for it, and it runs as
 * a role from outside the stack. An environment with a property dependency, or that runs as a role the
 * stack creates, is created here, and an environment the stack creates is never the source. Nor is an
 * environment whose role carries the import grant, read or not: that is the import's target.
 *
 * The source, in order: the pack config's `sourceTaskLogGroup`; among the environments the stack reads,
 * those whose role carries the export grant; else every environment the stack reads. With none of
 * these the pack cannot tell, and says so rather than taking another environment for the source.
 */
import { PackConfig } from "./config";
import { GrantKind, SOURCE_COMPONENT, grantKind, isInside } from "./conventions";
import { ResourceLike, TYPES, environmentRole, executionRoleOf, ofType, rolePermissions } from "./stackModel";
import { peek } from "./unknowns";

export type MigrationSource = { known: true; taskLogGroups: string[] } | { known: false; reason: string };

/** True when the stack creates the environment rather than reading it. */
export function isCreatedHere(resources: ResourceLike[], environment: ResourceLike): boolean {
  if (isInside(environment, SOURCE_COMPONENT)) return false;
  const dependencies = Object.values(environment.propertyDependencies ?? {});
  if (dependencies.some((list) => list.length > 0)) return true;
  return environmentRole(resources, environment) !== undefined;
}

/** True when the environment's execution role carries a migration grant of this kind. */
function runsWithGrant(resources: ResourceLike[], environment: ResourceLike, kind: GrantKind): boolean {
  const role = executionRoleOf(resources, environment);
  return !!role && rolePermissions(resources, role).documents.some((d) => grantKind(d) === kind);
}

function environmentName(environment: ResourceLike): string | undefined {
  const name = peek(environment.props, "name");
  return typeof name === "string" && name !== "" ? name : undefined;
}

/**
 * The task log groups of an environment: MWAA's `airflow-<name>-Task`, and the group MWAA reports in
 * the environment's logging configuration (what the program's grant names for a read source).
 */
function taskLogGroups(environment: ResourceLike): string[] {
  const groups: string[] = [];
  const name = environmentName(environment);
  if (name) groups.push(`airflow-${name}-Task`);
  const logging = peek(environment.props, "loggingConfiguration");
  const taskLogs =
    logging && typeof logging === "object" ? peek(logging as Record<string, unknown>, "taskLogs") : undefined;
  const arn =
    taskLogs && typeof taskLogs === "object"
      ? peek(taskLogs as Record<string, unknown>, "cloudWatchLogGroupArn")
      : undefined;
  const reported = typeof arn === "string" ? /:log-group:([^:]+)/.exec(arn)?.[1] : undefined;
  if (reported && !groups.includes(reported)) groups.push(reported);
  return groups;
}

/** The environments the stack reads, other than the import's target. */
function readEnvironments(resources: ResourceLike[]): ResourceLike[] {
  return ofType(resources, TYPES.environment).filter(
    (env) => !isCreatedHere(resources, env) && !runsWithGrant(resources, env, "import"),
  );
}

export function migrationSource(resources: ResourceLike[], config: PackConfig): MigrationSource {
  if (config.sourceTaskLogGroup) return { known: true, taskLogGroups: [config.sourceTaskLogGroup] };
  const read = readEnvironments(resources);
  const exporting = read.filter((env) => runsWithGrant(resources, env, "export"));
  const groups = [...new Set((exporting.length ? exporting : read).flatMap(taskLogGroups))];
  if (groups.length) return { known: true, taskLogGroups: groups };
  return {
    known: false,
    reason:
      "the stack reads no MWAA environment, sourceTaskLogGroup is not set, and no export grant is on an environment's role",
  };
}

/**
 * Task log groups that are certainly not the source's, each with what its environment is: those of the
 * environments the stack creates and of the import's target.
 */
export function notSourceTaskLogGroups(resources: ResourceLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const env of ofType(resources, TYPES.environment)) {
    const name = environmentName(env) ?? env.name;
    const what = isCreatedHere(resources, env)
      ? `"${name}", an environment this stack creates`
      : runsWithGrant(resources, env, "import")
        ? `"${name}", the environment the import grant is for`
        : undefined;
    if (!what) continue;
    for (const group of taskLogGroups(env)) out.set(group, what);
  }
  return out;
}
