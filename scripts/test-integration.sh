#!/usr/bin/env bash
# Integration layer of `npm test`: the providers against real Airflow, moto and the MWAA stand-in.
# Brings up the local stack (if it is not up), one Airflow environment, and the stand-in (API on
# MWAA_LOCAL_PORT_BASE+2, its HTTPS "webserver" on base+3); runs the mocha integration tests and the boto3
# cross-check of the stand-in; then stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT_BASE=${MWAA_LOCAL_PORT_BASE:-24000}
STACK_STATE=${MWAA_LOCAL_STATE_DIR:-$ROOT/local/.state}
STATE="$STACK_STATE/mwaa-standin"
mkdir -p "$STATE"

stack_was_up=0
bash local/stack.sh status >/dev/null 2>&1 && stack_was_up=1
# 3.3.2: test/integration/airflow3Client.test.ts starts its own Airflow 3 for the direct REST client (API v2).
MWAA_LOCAL_AIRFLOW_VERSIONS=${MWAA_LOCAL_AIRFLOW_VERSIONS:-2.11.0,3.3.2} bash local/stack.sh up
# shellcheck source=/dev/null
source "$STACK_STATE/env.sh"
TOOLS_PY=$MWAA_LOCAL_TOOLS_VENV/bin/python

standin_pid=""
cleanup() {
  local status=$?
  if [ -n "$standin_pid" ]; then kill "$standin_pid" 2>/dev/null || true; fi
  PYTHONPATH=local "$TOOLS_PY" test/integration/harness.py down "$STATE" || true
  if [ "$stack_was_up" = 0 ]; then bash local/stack.sh down || true; fi
  exit $status
}
trap cleanup EXIT

echo "== integration: Airflow environment for the providers"
PYTHONPATH=local "$TOOLS_PY" test/integration/harness.py up "$STATE"

# The stand-in's webserver speaks HTTPS as MWAA's does; clients trust its certificate through
# NODE_EXTRA_CA_CERTS (Node) and REQUESTS_CA_BUNDLE (Python), the standard settings for a private CA.
# shellcheck source=scripts/trust-cert.sh
source scripts/trust-cert.sh
make_certificate "$STATE/tls-cert.pem" "$STATE/tls-key.pem"

API_PORT=$((PORT_BASE + 2))
WEB_PORT=$((PORT_BASE + 3))
for port in "$API_PORT" "$WEB_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port (MWAA stand-in) is taken; stop what uses it or pick another MWAA_LOCAL_PORT_BASE" >&2
    exit 1
  fi
done
node -r ts-node/register/transpile-only local/mwaa-standin/main.ts --config "$STATE/environments.json" \
  --api-port "$API_PORT" --web-port "$WEB_PORT" --tls-cert "$STATE/tls-cert.pem" --tls-key "$STATE/tls-key.pem" \
  >"$STACK_STATE/logs/mwaa-standin.log" 2>&1 &
standin_pid=$!
for _ in $(seq 1 60); do
  (exec 3<>"/dev/tcp/127.0.0.1/$API_PORT") 2>/dev/null && break
  kill -0 "$standin_pid" 2>/dev/null || { cat "$STACK_STATE/logs/mwaa-standin.log" >&2; exit 1; }
  sleep 0.5
done

export AWS_ENDPOINT_URL_MWAA="http://127.0.0.1:$API_PORT"
trust_certificate "$STATE/tls-cert.pem" "$STATE/ca-bundle.pem"
export MWAA_IT_INFO="$STATE/it.json"

echo "== integration: the MWAA stand-in against boto3's own mwaa client"
"$TOOLS_PY" -m pytest -q test/integration/test_standin_boto3.py

echo "== integration: providers (mocha)"
npx mocha --no-config --exit --require ts-node/register --extension ts --timeout 600000 \
  'test/integration/**/*.test.ts' 'test/grpc/**/*.test.ts'

echo "== benchmark: task-log copy throughput against the GetLogEvents quota"
npx ts-node --transpile-only test/integration/logCopyBenchmark.ts 100 40
