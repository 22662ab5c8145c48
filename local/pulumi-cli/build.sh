#!/usr/bin/env bash
# Prints the path of a Pulumi CLI whose version matches the @pulumi/pulumi in package-lock.json,
# building it from the Go module proxy on first use.
#
# Order: $MWAA_PULUMI_CLI if set; `pulumi` on PATH when its version matches; the cached build under
# ${MWAA_MIGRATION_CACHE:-~/.cache/mwaa-migration}/pulumi-cli/<version>/bin/pulumi; else a build.
#
# Why a wrapper module: `go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v` is refused because
# pkg/v3's go.mod has replace directives. So a module of ours requires pkg/v3 and sdk/v3 at that
# version, repeats the one replace that matters outside the monorepo (atotto/clipboard), and takes
# the CLI's own main package files (main.go, pulumi.go) from the module cache. Go's own caches
# (GOMODCACHE, GOCACHE) keep the downloads and compiled packages, so a rebuild takes seconds.
# Progress goes to stderr; only the binary's path goes to stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

version=$(node -e 'const l=require(process.argv[1]);console.log(l.packages["node_modules/@pulumi/pulumi"].version)' "$root/package-lock.json")
tag="v${version}"

if [ -n "${MWAA_PULUMI_CLI:-}" ]; then
  [ -x "$MWAA_PULUMI_CLI" ] || { echo "error: MWAA_PULUMI_CLI=$MWAA_PULUMI_CLI is not an executable file" >&2; exit 1; }
  echo "$MWAA_PULUMI_CLI"; exit 0
fi
if on_path=$(command -v pulumi 2>/dev/null); then
  if [ "$("$on_path" version 2>/dev/null)" = "$tag" ]; then echo "$on_path"; exit 0; fi
fi

cache="${MWAA_MIGRATION_CACHE:-$HOME/.cache/mwaa-migration}/pulumi-cli/${tag}"
if [ -x "$cache/bin/pulumi" ]; then echo "$cache/bin/pulumi"; exit 0; fi

command -v go >/dev/null 2>&1 || {
  echo "error: no Pulumi CLI ${tag} found (PATH, \$MWAA_PULUMI_CLI, $cache) and Go is not installed to build one; install Go or the Pulumi CLI ${tag}" >&2
  exit 1
}

started=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building the Pulumi CLI ${tag} from the Go module proxy into ${cache} (first use; cold Go caches take 10-20 min on 2 cores) ..." >&2
cd "$work"
cat >go.mod <<MOD
module mwaa-migration/pulumi-cli

go 1.24

require (
	github.com/pulumi/pulumi/pkg/v3 ${tag}
	github.com/pulumi/pulumi/sdk/v3 ${tag}
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
echo "  downloading modules ..." >&2
pkg_dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/pulumi/pulumi/pkg/v3@${tag}" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')
[ -f "$pkg_dir/cmd/pulumi/main.go" ] || { echo "error: cmd/pulumi/main.go not found in $pkg_dir" >&2; exit 1; }
cp "$pkg_dir/cmd/pulumi/main.go" "$pkg_dir/cmd/pulumi/pulumi.go" .
chmod u+w ./*.go
go mod tidy >&2
echo "  compiling (progress: go's package count below) ..." >&2
mkdir -p "$cache.tmp.$$/bin"
go build -trimpath -o "$cache.tmp.$$/bin/pulumi" \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${tag}" . >&2
mv -T "$cache.tmp.$$" "$cache" 2>/dev/null || rm -rf "$cache.tmp.$$"
echo "built the Pulumi CLI ${tag} in $(($(date +%s) - started)) s" >&2
echo "$cache/bin/pulumi"
