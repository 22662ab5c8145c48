#!/usr/bin/env bash
# Sourced. make_certificate CERT KEY writes a self-signed certificate for 127.0.0.1 (the MWAA
# stand-in's HTTPS webserver) unless both files exist.
make_certificate() {
  local cert=$1 key=$2
  [ -s "$cert" ] && [ -s "$key" ] && return 0
  command -v openssl >/dev/null || {
    echo "openssl is needed for the stand-in's certificate: apt-get install -y openssl" >&2
    return 1
  }
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$key" -out "$cert" 2>/dev/null
}

# trust_certificate CERT BUNDLE writes BUNDLE = the certificates already trusted (the first of
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

# standin_certificate DIR makes (once) the MWAA stand-in's certificate in DIR, trusts it, and exports
# MWAA_REHEARSE_TLS_CERT / MWAA_REHEARSE_TLS_KEY for the node process that starts the stand-in. Node
# reads extra CA certificates only at start, so this runs before that process does.
standin_certificate() {
  local dir=$1
  mkdir -p "$dir"
  make_certificate "$dir/tls-cert.pem" "$dir/tls-key.pem"
  dir=$(cd "$dir" && pwd)
  export MWAA_REHEARSE_TLS_CERT="$dir/tls-cert.pem"
  export MWAA_REHEARSE_TLS_KEY="$dir/tls-key.pem"
  trust_certificate "$MWAA_REHEARSE_TLS_CERT" "$dir/ca-bundle.pem"
}
