-- A cutover delta on top of the history seed.sql wrote: psql -v runs=N -v rerun=N
-- - `runs` more scheduled runs per bench DAG after its last seeded run (five minutes apart: the last hour
--   of a busy environment), with five task instances each, finished now;
-- - `rerun` failed task instances of old runs cleared and run again to success (a second try), their runs
--   finished again now.
SET TIME ZONE 'UTC';

WITH last AS (
  SELECT dag_id, max(execution_date) AS ts FROM dag_run WHERE dag_id LIKE 'bench_dag_%' GROUP BY dag_id
), added AS (
  INSERT INTO dag_run (dag_id, run_id, execution_date, queued_at, start_date, end_date, state, run_type,
                       external_trigger, data_interval_start, data_interval_end, clear_number, conf, updated_at)
  SELECT l.dag_id, 'scheduled__' || to_char(l.ts + n * interval '5 minutes', 'YYYY-MM-DD"T"HH24:MI:SS+00:00'),
         l.ts + n * interval '5 minutes', now(), now(), now(), 'success', 'scheduled', false,
         l.ts + (n - 1) * interval '5 minutes', l.ts + n * interval '5 minutes', 0, '\x80057d942e'::bytea, now()
  FROM last l CROSS JOIN generate_series(1, :runs) AS n
  RETURNING dag_id, run_id
)
INSERT INTO task_instance (dag_id, task_id, run_id, map_index, start_date, end_date, duration, state, try_number,
                           max_tries, hostname, unixname, pool, pool_slots, queue, priority_weight, operator,
                           executor_config, updated_at, queued_dttm)
SELECT a.dag_id, 'task_' || k, a.run_id, -1, now(), now(), 1.0, 'success', 1, 0, 'worker-1', 'airflow',
       'default_pool', 1, 'default', 1, 'PythonOperator', '\x80057d942e'::bytea, now(), now()
FROM added a CROSS JOIN generate_series(0, 4) AS k;

WITH cleared AS (
  UPDATE task_instance
  SET state = 'success', try_number = try_number + 1, start_date = now(), end_date = now(), updated_at = now()
  WHERE (dag_id, task_id, run_id, map_index) IN (
    SELECT dag_id, task_id, run_id, map_index FROM task_instance
    WHERE dag_id LIKE 'bench_dag_%' AND state = 'failed' LIMIT :rerun)
  RETURNING dag_id, run_id
)
UPDATE dag_run r SET end_date = now(), updated_at = now(), clear_number = r.clear_number + 1
FROM (SELECT DISTINCT dag_id, run_id FROM cleared) c WHERE r.dag_id = c.dag_id AND r.run_id = c.run_id;

ANALYZE dag_run;
ANALYZE task_instance;
