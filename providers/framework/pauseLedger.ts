/**
 * Remembers every paused-state change a create makes, so that a failing create can put each
 * DAG back the way it found it (in reverse order) and a successful one can report what changed.
 * A closure rather than a class: Pulumi's closure serializer drops class field initializers.
 */
import type { AirflowClient } from "../airflow/client";

export interface PauseChange {
  dagId: string;
  wasPaused: boolean;
  nowPaused: boolean;
}

export interface PauseLedger {
  set(dagId: string, wasPaused: boolean, paused: boolean): Promise<void>;
  recorded(): readonly PauseChange[];
  /** Reverts every change; returns the failures instead of stopping at the first one. */
  restore(): Promise<string[]>;
}

export function pauseLedger(airflow: Pick<AirflowClient, "setPaused">): PauseLedger {
  const changes: PauseChange[] = [];
  return {
    async set(dagId, wasPaused, paused) {
      if (wasPaused === paused) return;
      await airflow.setPaused(dagId, paused);
      changes.push({ dagId, wasPaused, nowPaused: paused });
    },
    recorded: () => changes,
    async restore() {
      const problems: string[] = [];
      for (const change of [...changes].reverse()) {
        try {
          await airflow.setPaused(change.dagId, change.wasPaused);
        } catch (e) {
          problems.push(
            `could not set ${change.dagId} back to ${change.wasPaused ? "paused" : "unpaused"}: ${(e as Error).message}`,
          );
        }
      }
      changes.length = 0;
      return problems;
    },
  };
}
