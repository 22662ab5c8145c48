#!/usr/bin/env bash
# Sourced: trust_certificate CERT BUNDLE writes BUNDLE = the certificates already trusted (the first of
# REQUESTS_CA_BUNDLE, SSL_CERT_FILE, Debian's bundle that exists) + CERT, and points Node
# (NODE_EXTRA_CA_CERTS) and Python (REQUESTS_CA_BUNDLE) at it. Adding rather than replacing keeps the
# package index reachable (pip reads REQUESTS_CA_BUNDLE) where it sits behind a proxy whose CA only
# the machine's bundle holds.
trust_certificate() {
  local cert=$1 bundle=$2 trusted
  : >"$bundle"
  for trusted in "${REQUESTS_CA_BUNDLE:-}" "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$trusted" ] && [ -f "$trusted" ] && [ -r "$trusted" ] && [ "$trusted" != "$bundle" ]; then
      cat "$trusted" >>"$bundle"
      echo >>"$bundle"
      break
    fi
  done
  cat "$cert" >>"$bundle"
  export NODE_EXTRA_CA_CERTS="$bundle"
  export REQUESTS_CA_BUNDLE="$bundle"
}
