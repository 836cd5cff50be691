#!/usr/bin/env bash
# Rebuilds contract.wasm for the input-contract tests with the pinned OPA (scripts/ensure-opa.sh).
set -euo pipefail
cd "$(dirname "$0")"
opa="${OPA:-opa}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$opa" build -t wasm -e ward/contract/decision contract.rego -o "$tmp/bundle.tar.gz"
tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" /policy.wasm 2>/dev/null || tar -xzf "$tmp/bundle.tar.gz" -C "$tmp" policy.wasm
cp "$tmp/policy.wasm" contract.wasm
