#!/usr/bin/env bash
# Rebuilds policy.wasm for the PolicyEngine tests with the pinned OPA (scripts/ensure-opa.sh).
set -euo pipefail
cd "$(dirname "$0")"
opa="${OPA:-opa}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$opa" build -t wasm -e ward/authz/decision -e bad/allow_string -e bad/unknown_obligation -e bad/extra_field \
  -e bad/reasons_not_strings -e bad/undefined_decision -e bad/bare_true engine-test.rego malformed.rego -o "$tmp/bundle.tar.gz"
tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" /policy.wasm 2>/dev/null || tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" policy.wasm
cp "$tmp/policy.wasm" policy.wasm
