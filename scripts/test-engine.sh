#!/usr/bin/env bash
# The engine layer of `npm test`: the migration's stages run by the real Pulumi engine (the CLI from
# local/pulumi-cli/build.sh, an Automation API inline program, a file:// backend) on the local stack,
# with a fault proxy in front of moto: test/engine/*.e2e.ts (mocha). Brings the local stack up when it
# is not running and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
# The MWAA stand-in's webserver speaks HTTPS; its certificate is made and trusted here.
# shellcheck source=scripts/trust-cert.sh
source scripts/trust-cert.sh
standin_certificate "${MWAA_LOCAL_STATE_DIR:-local/.state}/engine-tls"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

echo "== engine: the stages through the real Pulumi engine, and the fault matrix (mocha)"
npx mocha --no-config --exit --require ts-node/register/transpile-only --timeout 1800000 \
  --file test/engine/hooks.ts "${@:-test/engine/*.e2e.ts}"
