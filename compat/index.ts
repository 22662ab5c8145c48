/**
 * The DAG compatibility check (`npm run check-dags`) as a library, for callers that put its findings
 * in their own report (the rehearsal, a preview): `check` runs every category against a target version
 * and returns the findings; `reportText` prints them as the command does; the pure checks are here for
 * callers that have the tools' answers already.
 */

export { check, defaultSource, lockedVersions, type CliOptions as CheckOptions } from "./cli";
export {
  configFindings,
  constraintFindings,
  importErrorFinding,
  pluginFindings,
  removedContextKeys,
  requirementFindings,
  ruffFindings,
  ruffRules,
  templateFindings,
  type ConfigProbe,
  type PluginEntry,
  type RuffDiagnostic,
} from "./checks";
export {
  CATEGORIES,
  categoryTable,
  isBlocked,
  reportText,
  type Category,
  type CategoryNote,
  type Finding,
  type Report,
  type Severity,
} from "./findings";
