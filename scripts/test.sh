#!/usr/bin/env bash
# The test command (`npm test`): installs what the tests need on first use, then runs every layer:
# type-check, lint, unit tests (mocha, under Pulumi mocks), the Python payload against real Airflow
# (pytest), the providers against real Airflow, moto and the MWAA stand-in (mocha + pytest), and the
# stages run by the real Pulumi engine with the fault matrix (mocha).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-modules.sh
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

results=$(mktemp)
cli_log=$(mktemp)
shard_log=$(mktemp)
shard_state="$PWD/local/.state-shard"
shard=""
stop_shard() {
  if [ -n "$shard" ] && kill -0 "$shard" 2>/dev/null; then
    kill "$shard" 2>/dev/null || true
    MWAA_LOCAL_STATE_DIR="$shard_state" bash local/stack.sh down >/dev/null 2>&1 || true
  fi
  rm -f "$results" "$cli_log" "$shard_log"
}
trap stop_shard EXIT
# The engine layer needs the Pulumi CLI: on a machine without one it builds from the Go module proxy
# (minutes when Go's caches are cold), at low priority while the other layers run.
nice -n 19 bash local/pulumi-cli/build.sh >/dev/null 2>"$cli_log" &
cli_build=$!

# Half of the Python layer (the imports into Airflow 3, see test-python.sh), then the integration layer, run
# beside the other layers on a stack of their own, from the start: most of their time is spent waiting on
# Airflow. Their output is shown, in one piece, once they are done.
(
  export MWAA_LOCAL_PORT_BASE=24300 MWAA_LOCAL_STATE_DIR="$shard_state"
  status=0
  MWAA_TEST_PYTHON_SHARD=airflow3 bash scripts/test-python.sh || status=$?
  bash scripts/test-integration.sh || status=$?
  # For a caller that runs more beside the test command (CI's rehearsal): these layers' stack is down now.
  if [ -n "${MWAA_TEST_BESIDE_DONE_FILE:-}" ]; then echo "$status" >"$MWAA_TEST_BESIDE_DONE_FILE"; fi
  exit "$status"
) >"$shard_log" 2>&1 &
shard=$!

echo "== type-check (tsc --strict)"
npm run --silent build
echo "== lint (eslint + prettier)"
npm run --silent lint
echo "== unit tests (mocha)"
npx mocha 2>&1 | tee -a "$results"

MWAA_TEST_PYTHON_SHARD=airflow2 bash scripts/test-python.sh 2>&1 | tee -a "$results"
echo "== waiting for the layers run beside: Python (airflow3) and integration"
shard_status=0
wait "$shard" || shard_status=$?
tee -a "$results" <"$shard_log"
[ "$shard_status" = 0 ] || exit "$shard_status"

echo "== the Pulumi CLI for the engine layer"
if ! wait "$cli_build"; then
  cat "$cli_log" >&2
  exit 1
fi
grep -E "^built the Pulumi CLI" "$cli_log" || echo "the Pulumi CLI was already built"
bash scripts/test-engine.sh 2>&1 | tee -a "$results"

# One closing line for the whole run, summed over mocha's and pytest's own summaries.
python3 - "$results" <<'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
def total(pattern):
    return sum(int(n) for n in re.findall(pattern, text, re.M))
passed = total(r"^\s*(\d+) passing") + total(r"(\d+) passed")
failed = total(r"^\s*(\d+) failing") + total(r"(\d+) failed")
skipped = total(r"^\s*(\d+) pending") + total(r"(\d+) skipped")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
