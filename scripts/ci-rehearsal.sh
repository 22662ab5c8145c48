#!/usr/bin/env bash
# The rehearsal as CI runs it: a small history (MWAA_REHEARSE_CI_RUNS, default 10 DAG runs) migrated
# end to end by `npm run rehearse` from Airflow 2.10.3 to Airflow 3.3.2 (MWAA_REHEARSE_CI_SOURCE and
# MWAA_REHEARSE_CI_TARGET; the engine layer covers 2.x targets), with the target in a second AWS account of
# moto (MWAA_REHEARSE_CI_TARGET_ACCOUNT, reached as its role) and the Data Pipeline examples converted,
# delivered and run once on the target (--pipelines examples/pipelines), then every number of its report counted
# again in the source and target databases and log groups, and on an Airflow 3 target a migrated task's
# log read through the target's REST API (test/rehearsal/check_report.py). Then the end-to-end tests of the
# command itself (test/rehearsal/e2e, mocha): the rehearsal's bulk export rehearsed again from an
# s3:// URI with --bundle, and nothing left running after Ctrl-C or a failure half-way (on a stack of
# their own at MWAA_LOCAL_PORT_BASE+100). Stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${MWAA_REHEARSE_CI_RUNS:-10}
SOURCE_VERSION=${MWAA_REHEARSE_CI_SOURCE:-2.10.3}
TARGET_VERSION=${MWAA_REHEARSE_CI_TARGET:-3.3.2}
TARGET_ACCOUNT=${MWAA_REHEARSE_CI_TARGET_ACCOUNT:-210987654321}
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
REPORTS="$ROOT/reports/ci"
STATE_DIR=${MWAA_LOCAL_STATE_DIR:-local/.state}
rm -rf "$REPORTS"

tools_python() {
  echo "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["venvs"]["tools"])' "$STATE_DIR/env.json")/bin/python"
}

stack_was_up=0
bash local/stack.sh status >/dev/null 2>&1 && stack_was_up=1

# What the rehearsal left running with --keep: its Airflows and the MWAA stand-in.
stop_rehearsal() {
  if [ -f "$STATE_DIR/pids/mwaa-standin.pid" ]; then kill -- "-$(cat "$STATE_DIR/pids/mwaa-standin.pid")" 2>/dev/null || true; fi
  PYTHONPATH=local "$(tools_python)" local/mwaa_local/envs.py stop rehearse-src rehearse-tgt >/dev/null || true
}

stop_all() {
  if [ "$stack_was_up" = 1 ]; then
    # Someone else's stack: stop only what the rehearsal left running.
    stop_rehearsal
  else
    bash local/stack.sh down || true
  fi
}
trap stop_all EXIT

started=$(date +%s)
status=0
npm run --silent rehearse -- --source-version "$SOURCE_VERSION" --target-version "$TARGET_VERSION" --runs "$RUNS" --keep --reports-dir "$REPORTS" \
  --pipelines examples/pipelines --target-account "$TARGET_ACCOUNT" || status=$?
if [ ! -f "$REPORTS/latest.json" ]; then
  echo "ci-rehearsal: the rehearsal wrote no report (exit $status)" >&2
  exit 1
fi
rehearsed=$(date +%s)

echo "== ci-rehearsal: the report's numbers against the source and target databases"
PYTHONPATH="local:local/mwaa_local" "$(tools_python)" test/rehearsal/check_report.py "$REPORTS/latest.json"
checked=$(date +%s)
[ "$status" = 0 ] || exit "$status"

echo "== ci-rehearsal: end-to-end tests of npm run rehearse (--bundle from S3, nothing left after Ctrl-C or a failure)"
stop_rehearsal
npx mocha --no-config --exit --require ts-node/register/transpile-only --timeout 600000 'test/rehearsal/e2e/*.e2e.ts'
echo "ci-rehearsal: rehearsal $((rehearsed - started)) s, check $((checked - rehearsed)) s, end-to-end tests $(($(date +%s) - checked)) s"
