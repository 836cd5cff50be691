#!/usr/bin/env bash
# Rebuilds the builtin test fixtures with the pinned OPA (scripts/ensure-opa.sh):
#   builtins.tar.gz  builtins.rego, elsechain.rego, cidr.rego; entrypoints ward/authz/decision,
#                    elsechain/decision, elsechain/safe, cidr/result (an opa build bundle: its
#                    manifest names them)
#   missing.wasm     missing.rego (time.format, time.diff: host builtins Ward lacks)
# Usage: bash build.sh [OUT_DIR]   (default: this directory; builtins.test.ts builds into a
# temporary directory and compares, so the committed files always match their sources)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(cd "${1:-$here}" && pwd)"
opa="${OPA:-$(bash "$here/../../../../../../scripts/ensure-opa.sh")}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$here"
"$opa" build -t wasm -e ward/authz/decision -e elsechain/decision -e elsechain/safe -e cidr/result \
  builtins.rego elsechain.rego cidr.rego -o "$out/builtins.tar.gz"
"$opa" build -t wasm -e ward/authz/decision missing.rego -o "$tmp/missing.tar.gz"
tar -xzf "$tmp/missing.tar.gz" -C "$tmp" /policy.wasm 2>/dev/null || tar -xzf "$tmp/missing.tar.gz" -C "$tmp" policy.wasm
cp "$tmp/policy.wasm" "$out/missing.wasm"
