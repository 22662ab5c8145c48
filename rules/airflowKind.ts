/**
 * The two kinds of Airflow this project migrates from or to: an MWAA environment (reached through
 * the MWAA API) or a self-managed Airflow (reached through its own REST API).
 */
export const AIRFLOW_KINDS = ["mwaa", "self-managed"] as const;
export type AirflowKind = (typeof AIRFLOW_KINDS)[number];

/** The kind as a value says it; `selfManaged` is how states written by older versions spell it. */
export function airflowKindOf(value: unknown): AirflowKind | undefined {
  if (value === "mwaa" || value === "self-managed") return value;
  if (value === "selfManaged") return "self-managed";
  return undefined;
}
