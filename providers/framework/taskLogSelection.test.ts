import { strict as assert } from "assert";
import { logGroupName, logicalDates, migratedTaskInstances } from "./taskLogSelection";

describe("task instances whose logs the import copies", () => {
  const runs = [
    {
      dag_id: "etl",
      run_id: "scheduled__2026-01-01T00:00:00+00:00",
      execution_date: "2026-01-01T00:00:00+00:00",
    },
    { dag_id: "etl", run_id: "manual_3", logical_date: "2026-01-03T10:00:00+00:00" },
  ];

  it("joins each task instance to its run's logical date (2.x execution_date or 3.x logical_date)", () => {
    const tis = migratedTaskInstances(
      [
        {
          dag_id: "etl",
          task_id: "load",
          run_id: "scheduled__2026-01-01T00:00:00+00:00",
          map_index: -1,
          try_number: 2,
          state: "success",
          end_date: "2026-01-01T00:05:00+00:00",
        },
        {
          dag_id: "etl",
          task_id: "fan",
          run_id: "manual_3",
          map_index: 4,
          try_number: 1,
          state: "failed",
          end_date: null,
        },
      ],
      logicalDates(runs),
    );
    assert.deepEqual(tis, [
      {
        dagId: "etl",
        taskId: "load",
        runId: "scheduled__2026-01-01T00:00:00+00:00",
        mapIndex: -1,
        tryNumber: 2,
        state: "success",
        logicalDate: "2026-01-01T00:00:00+00:00",
        endDate: "2026-01-01T00:05:00+00:00",
      },
      {
        dagId: "etl",
        taskId: "fan",
        runId: "manual_3",
        mapIndex: 4,
        tryNumber: 1,
        state: "failed",
        logicalDate: "2026-01-03T10:00:00+00:00",
        endDate: null,
      },
    ]);
  });

  it("leaves out task instances that never ran or whose run is not in the bundle", () => {
    const tis = migratedTaskInstances(
      [
        { dag_id: "etl", task_id: "skipped_early", run_id: "manual_3", try_number: 0, state: "skipped" },
        { dag_id: "etl", task_id: "orphan", run_id: "manual_9", try_number: 1, state: "success" },
      ],
      logicalDates(runs),
    );
    assert.deepEqual(tis, []);
  });

  it("takes a log group by name or ARN", () => {
    assert.equal(
      logGroupName("arn:aws:logs:us-east-1:123456789012:log-group:airflow-legacy-Task:*"),
      "airflow-legacy-Task",
    );
    assert.equal(logGroupName("airflow-legacy-Task"), "airflow-legacy-Task");
  });
});
