-- Synthetic history for the benchmark: psql -v runs=N -v tis_per_run=N -v logs=N -v xcoms=N -v dags=N
-- into a freshly truncated metadata database whose dag table already has bench_dag_0..N-1.
-- Set-based inserts, so seeding a million task instances takes seconds, not hours.
SET TIME ZONE 'UTC';

INSERT INTO dag_run (dag_id, run_id, execution_date, queued_at, start_date, end_date, state, run_type,
                     external_trigger, data_interval_start, data_interval_end, clear_number, conf)
SELECT 'bench_dag_' || (i % :dags),
       'scheduled__' || to_char(ts, 'YYYY-MM-DD"T"HH24:MI:SS+00:00'),
       ts, ts, ts + interval '1 minute', ts + interval '2 minutes', 'success', 'scheduled', false,
       ts - interval '1 hour', ts, 0, '\x80057d942e'::bytea
FROM (SELECT i, timestamptz '2020-01-01' + (i / :dags) * interval '1 hour' AS ts
      FROM generate_series(0, :runs - 1) AS i) AS runs;

INSERT INTO task_instance (dag_id, task_id, run_id, map_index, start_date, end_date, duration, state, try_number,
                           max_tries, hostname, unixname, pool, pool_slots, queue, priority_weight, operator,
                           executor_config, updated_at, queued_dttm)
SELECT r.dag_id, 'task_' || k, r.run_id, -1, r.start_date, r.end_date, 60.0,
       CASE WHEN k = 0 AND r.id % 10 = 0 THEN 'failed' ELSE 'success' END, 1, 0, 'worker-1', 'airflow',
       'default_pool', 1, 'default', 1, 'PythonOperator', '\x80057d942e'::bytea, r.end_date, r.start_date
FROM dag_run r CROSS JOIN generate_series(0, :tis_per_run - 1) AS k
WHERE r.dag_id LIKE 'bench_dag_%';

INSERT INTO log (dttm, dag_id, task_id, event, execution_date, owner, extra)
SELECT r.start_date + (j * interval '1 second'), r.dag_id, 'task_' || (j % :tis_per_run), 'cli_task_run',
       r.execution_date, 'airflow', '{"host_name": "worker-1", "full_command": "[''airflow'', ''tasks'', ''run'']"}'
FROM (SELECT j, 1 + (j % :runs) AS run_number FROM generate_series(0, :logs - 1) AS j) AS l
JOIN dag_run r ON r.id = l.run_number;

INSERT INTO xcom (dag_run_id, task_id, map_index, key, dag_id, run_id, value, timestamp)
SELECT r.id, 'task_0', -1, 'return_value', r.dag_id, r.run_id,
       convert_to('{"rows": ' || r.id || ', "path": "s3://bucket/key/' || r.id || '"}', 'UTF8'), r.end_date
FROM dag_run r
WHERE r.dag_id LIKE 'bench_dag_%'
ORDER BY r.id
LIMIT :xcoms;

ANALYZE;
