/**
 * The target environment's settings: explicit config over the source's allowlisted settings over
 * defaults. Pure, so precedence and the task-log floor are tested without Pulumi.
 */
import { ClonedSettings, LOG_TYPES, LogLevel, LogType, TASK_LOG_LEVELS, mergeSettings } from "./clone";
import type { ExplicitTargetSettings } from "./config";

export interface TargetSettings {
  readonly environmentClass: string;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly schedulers: number;
  readonly webserverAccessMode: string;
  readonly weeklyMaintenanceWindowStart: string;
  readonly logLevels: Readonly<Record<LogType, LogLevel>>;
  readonly airflowConfigurationOptions: Readonly<Record<string, string>>;
}

/**
 * Defaults for a migration target. New DAGs start paused: the import fills history into a paused target
 * and cutover unpauses exactly the DAGs that were active on the source.
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

export interface ResolvedTargetSettings {
  readonly settings: TargetSettings;
  /** What was decided on the user's behalf, for the preview log. */
  readonly notes: string[];
}

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
      webserverAccessMode: explicit.webserverAccessMode,
      weeklyMaintenanceWindowStart: explicit.weeklyMaintenanceWindowStart,
      logLevels: (Object.keys(explicitLevels).length > 0 ? explicitLevels : undefined) as
        TargetSettings["logLevels"] | undefined,
      airflowConfigurationOptions: explicit.airflowConfigurationOptions,
    },
  );
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
  return { settings: { ...merged, logLevels, minWorkers, maxWorkers }, notes };
}
