#!/usr/bin/env bash
# The Python layer of `npm test`: the migration payload (payload/) tested with pytest
# against real Airflow (2.8.1 -> 2.11.0 and 2.10.3 -> 2.11.0; into Airflow 3 through the migration plugin:
# 2.10.3 -> 3.3.2, 2.10.3 -> 3.0.6, 2.8.1 -> 3.0.6 and 3.0.6 -> 3.3.2), PostgreSQL and moto; and the DAG
# files the Data Pipeline converter writes (datapipeline/), loaded by Airflow 2.11.0 and 3.3.2, checked with ruff
# from the tools venv, and a few of them run on 2.11.0 against moto; and `npm run check-dags` on its corpus
# of broken and fixed DAGs against Airflow 3.3.2 (from 2.10.3).
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
# MWAA_TEST_PYTHON_SHARD splits the layer in two for `npm test`, which runs the halves side by side on
# two stacks: "airflow3" (the imports into Airflow 3, the converted DAGs and the secrets backend on both
# lines) and "airflow2" (the rest).
airflow3_files=(test/python/test_airflow3.py test/python/test_airflow3_from3.py test/python/test_airflow3_from28.py
  test/python/test_datapipeline_dags.py test/python/test_datapipeline_runs.py test/python/test_secrets_backend.py)
selected=(test/python)
case "${MWAA_TEST_PYTHON_SHARD:-}" in
  "") ;;
  airflow3) selected=("${airflow3_files[@]}") ;;
  airflow2) for file in "${airflow3_files[@]}"; do ignore+=("--ignore=$file"); done ;;
  *) echo "MWAA_TEST_PYTHON_SHARD must be airflow2, airflow3 or unset, got '$MWAA_TEST_PYTHON_SHARD'" >&2; exit 2 ;;
esac
echo "== python tests ${MWAA_TEST_PYTHON_SHARD:+(${MWAA_TEST_PYTHON_SHARD}) }(pytest, real Airflow + PostgreSQL + moto)"
PYTHONDONTWRITEBYTECODE=1 "$MWAA_LOCAL_TOOLS_VENV/bin/python" -m pytest "${selected[@]}" "${ignore[@]}" \
  -p no:cacheprovider -q "$@"
