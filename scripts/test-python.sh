#!/usr/bin/env bash
# The Python layer of `npm test`: the migration payload (payload/) tested with pytest
# against real Airflow (2.8.1 -> 2.11.0 and 2.10.3 -> 2.11.0), PostgreSQL and moto; and the DAG
# files the Data Pipeline converter writes (datapipeline/), loaded by Airflow 2.11.0 and 3.3.2,
# checked with ruff from the tools venv, and a few of them run on 2.11.0 against moto; and
# `npm run check-dags` on its corpus of broken and fixed DAGs against Airflow 3.3.2 (from 2.10.3).
# Brings the local stack up when it is not running, and takes down what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

started_stack=0
if ! bash local/stack.sh status >/dev/null 2>&1; then
  started_stack=1
fi
MWAA_LOCAL_AIRFLOW_VERSIONS=${MWAA_LOCAL_AIRFLOW_VERSIONS:-2.8.1,2.10.3,2.11.0,3.3.2} bash local/stack.sh up

finish() {
  if [ "$started_stack" = 1 ]; then
    bash local/stack.sh down || true
  fi
}
trap finish EXIT

# shellcheck source=/dev/null
source "${MWAA_LOCAL_STATE_DIR:-local/.state}/env.sh"
# The local stack's own smoke tests (test/python/localstack, 6-8 minutes) run when asked:
# MWAA_TEST_LOCALSTACK=1.
ignore=(--ignore=test/python/localstack)
if [ "${MWAA_TEST_LOCALSTACK:-0}" = 1 ]; then
  ignore=()
fi
echo "== python tests (pytest, real Airflow + PostgreSQL + moto)"
PYTHONDONTWRITEBYTECODE=1 "$MWAA_LOCAL_TOOLS_VENV/bin/python" -m pytest test/python "${ignore[@]}" \
  -p no:cacheprovider -q "$@"
