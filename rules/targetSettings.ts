/**
 * The target environment's settings: explicit config over the source's allowlisted settings over
 * defaults. Pure, so precedence, the task-log floor and MWAA's class and version rules are tested
 * without Pulumi.
 */
import { ClonedSettings, LOG_TYPES, LogLevel, LogType, TASK_LOG_LEVELS, mergeSettings } from "./clone";
import {
  ConfigurationError,
  SINGLE_INSTANCE_CLASS,
  restrictedSettingProblems,
  type ExplicitTargetSettings,
  type RestrictedSettings,
  type SettingOrigin,
  type SettingOrigins,
} from "./config";

export interface TargetSettings {
  readonly environmentClass: string;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly schedulers: number;
  /** Undefined: MWAA's default (2; 1 on mw1.micro). */
  readonly minWebservers?: number;
  /** Undefined: MWAA's default (2; 1 on mw1.micro). */
  readonly maxWebservers?: number;
  readonly webserverAccessMode: string;
  readonly weeklyMaintenanceWindowStart: string;
  /** Undefined: MWAA's default (FORCED). Explicit only: the source does not report it. */
  readonly workerReplacementStrategy?: string;
  /** Undefined: MWAA's default (SERVICE). Explicit only: it belongs to the source's network. */
  readonly endpointManagement?: string;
  readonly logLevels: Readonly<Record<LogType, LogLevel>>;
  readonly airflowConfigurationOptions: Readonly<Record<string, string>>;
}

/**
 * Defaults for a migration target. New DAGs start paused: the import fills history into a paused target
 * and cutover unpauses exactly the DAGs that were active on the source. Settings left out here are
 * MWAA's to default. On mw1.micro the scheduler default is 1 (see resolveTargetSettings).
 */
export const DEFAULT_TARGET_SETTINGS: TargetSettings = {
  environmentClass: "mw1.small",
  minWorkers: 1,
  maxWorkers: 10,
  schedulers: 2,
  webserverAccessMode: "PRIVATE_ONLY",
  weeklyMaintenanceWindowStart: "SUN:03:00",
  logLevels: {
    dagProcessingLogs: "WARNING",
    schedulerLogs: "WARNING",
    taskLogs: "INFO",
    webserverLogs: "WARNING",
    workerLogs: "WARNING",
  },
  airflowConfigurationOptions: { "core.dags_are_paused_at_creation": "True" },
};

/** How many schedulers or webservers MWAA runs on a class when none is given. */
function defaultCount(environmentClass: string): number {
  return environmentClass === SINGLE_INSTANCE_CLASS ? 1 : 2;
}

export interface ResolvedTargetSettings {
  readonly settings: TargetSettings;
  /** What was decided on the user's behalf, for the preview log. */
  readonly notes: string[];
}

/**
 * Resolves the target's settings and checks them against MWAA's rules for the resolved class and the
 * target's Airflow version. Throws a ConfigurationError listing every setting MWAA would refuse, each
 * saying whether its value was explicit, cloned from the source (and how to override it) or a default.
 */
export function resolveTargetSettings(
  explicit: ExplicitTargetSettings,
  cloned: ClonedSettings | undefined,
): ResolvedTargetSettings {
  const notes: string[] = [];
  const explicitLevels: Partial<Record<LogType, LogLevel>> = {};
  for (const type of LOG_TYPES) {
    const level = type === "taskLogs" ? explicit.taskLogLevel : explicit.logLevel;
    if (level) explicitLevels[type] = level;
  }
  const merged = mergeSettings<TargetSettings>(
    DEFAULT_TARGET_SETTINGS,
    { ...(cloned ?? {}), logLevels: cloned?.logLevels as TargetSettings["logLevels"] | undefined },
    {
      environmentClass: explicit.environmentClass,
      minWorkers: explicit.minWorkers,
      maxWorkers: explicit.maxWorkers,
      schedulers: explicit.schedulers,
      minWebservers: explicit.minWebservers,
      maxWebservers: explicit.maxWebservers,
      webserverAccessMode: explicit.webserverAccessMode,
      weeklyMaintenanceWindowStart: explicit.weeklyMaintenanceWindowStart,
      workerReplacementStrategy: explicit.workerReplacementStrategy,
      endpointManagement: explicit.endpointManagement,
      logLevels: (Object.keys(explicitLevels).length > 0 ? explicitLevels : undefined) as
        TargetSettings["logLevels"] | undefined,
      airflowConfigurationOptions: explicit.airflowConfigurationOptions,
    },
  );
  const origin = (key: keyof RestrictedSettings): SettingOrigin =>
    explicit[key] !== undefined
      ? "explicit"
      : (cloned as RestrictedSettings | undefined)?.[key] !== undefined
        ? "cloned"
        : "default";

  let logLevels = merged.logLevels;
  if (!TASK_LOG_LEVELS.includes(logLevels.taskLogs)) {
    notes.push(
      `task logs raised from ${logLevels.taskLogs} (cloned) to INFO so task output is kept and copied`,
    );
    logLevels = { ...logLevels, taskLogs: "INFO" };
  }
  let { minWorkers, maxWorkers } = merged;
  if (minWorkers > maxWorkers) {
    // Only reachable when one bound is explicit and the other cloned; the explicit one wins.
    if (explicit.minWorkers !== undefined) maxWorkers = minWorkers;
    else minWorkers = maxWorkers;
    notes.push(`workers adjusted to min ${minWorkers} / max ${maxWorkers} so the explicit bound holds`);
  }
  // The default scheduler count follows the class: mw1.micro runs one.
  const schedulers =
    origin("schedulers") === "default" ? defaultCount(merged.environmentClass) : merged.schedulers;
  const webservers = resolveWebservers(merged, explicit, notes);

  const origins: SettingOrigins = {};
  for (const key of [
    "environmentClass",
    "schedulers",
    "minWebservers",
    "maxWebservers",
    "webserverAccessMode",
    "workerReplacementStrategy",
  ] as const) {
    origins[key] = origin(key);
  }
  const problems = restrictedSettingProblems(
    { ...merged, schedulers, ...webservers },
    explicit.airflowVersion,
    origins,
  );
  if (problems.length > 0) throw new ConfigurationError(problems);

  const settings: TargetSettings = {
    ...merged,
    logLevels,
    minWorkers,
    maxWorkers,
    schedulers,
    ...webservers,
  };
  // Settings left to MWAA's default are absent, not present as undefined.
  return {
    settings: Object.fromEntries(
      Object.entries(settings).filter(([, value]) => value !== undefined),
    ) as unknown as TargetSettings,
    notes,
  };
}

/**
 * The webserver bounds. Both explicit and contradictory is refused by the config; one explicit and the
 * other cloned, or one given and the other left to MWAA's default, the given (explicit) bound wins.
 */
function resolveWebservers(
  merged: TargetSettings,
  explicit: ExplicitTargetSettings,
  notes: string[],
): { minWebservers?: number; maxWebservers?: number } {
  let { minWebservers, maxWebservers } = merged;
  if (minWebservers !== undefined && maxWebservers !== undefined && minWebservers > maxWebservers) {
    if (explicit.minWebservers !== undefined) maxWebservers = minWebservers;
    else minWebservers = maxWebservers;
    notes.push(
      `webservers adjusted to min ${minWebservers} / max ${maxWebservers} so the explicit bound holds`,
    );
  } else if (
    minWebservers !== undefined &&
    maxWebservers === undefined &&
    minWebservers > defaultCount(merged.environmentClass)
  ) {
    maxWebservers = minWebservers;
    notes.push(`maxWebservers set to ${maxWebservers}, MWAA's default being below minWebservers`);
  }
  return { minWebservers, maxWebservers };
}
