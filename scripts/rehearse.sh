#!/usr/bin/env bash
# `npm run rehearse [-- options]`: the whole migration on real Airflow on this machine (see
# rehearsal/main.ts and `npm run rehearse -- --help`). A fresh clone needs nothing else:
# npm packages, the local stack's virtualenvs and PostgreSQL are installed on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-node-modules.sh
# The AWS SDK's notice that its 2027 releases will want Node.js 22 says nothing about the rehearsal.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

for tool in python3 openssl; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "rehearse: '$tool' is not installed; install it (Debian: apt-get install -y $tool) and retry" >&2
    exit 1
  }
done

# The MWAA stand-in's webserver speaks HTTPS as MWAA's does; its certificate is made and trusted here.
# shellcheck source=scripts/trust-cert.sh
source scripts/trust-cert.sh
standin_certificate "${MWAA_LOCAL_STATE_DIR:-local/.state}/rehearse"

exec node -r ts-node/register/transpile-only rehearsal/main.ts "$@"
