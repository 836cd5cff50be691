#!/usr/bin/env bash
# Makes sure the pinned OPA compiler is available and prints its absolute path (the only line on
# stdout; progress goes to stderr). The policy scripts (scripts/policies.mjs: `npm run
# policies:test`, `policies:build`, `policies:check`) and .ci/run use it, so a fresh machine
# with Go needs nothing else.
#
# OPA is built from source with `go install` through the Go module proxy (no binary download).
# Pinned to v1.22.2. Never go below v1.21.3: earlier releases let bundle signature verification
# be side-stepped (GHSA-g2pf-6v5v-qcc8: a stripped signature was accepted when a `signing` block
# had no keyid, and unsigned delta bundles replaced signed snapshots). Ward ships signed bundles,
# so the compiler that builds and signs them stays on a fixed release; bump OPA_VERSION (and
# rebuild with `npm run policies:build`) to move.
#
# Lookup order: $WARD_OPA (an explicit binary), `opa` on PATH, then the project-local install
# in policies/.opa/v$OPA_VERSION/ (git-ignored); each only if `opa version` says the pinned
# version. Otherwise installs into that project-local directory (about 2 minutes the first
# time; Go's build cache makes later installs fast). Idempotent.
set -euo pipefail

OPA_VERSION=1.22.2
root="$(cd "$(dirname "$0")/.." && pwd)"
local_bin="$root/policies/.opa/v$OPA_VERSION"

version_of() { "$1" version 2>/dev/null | sed -n 's/^Version: *//p' | head -n1; }

candidates=()
[ -n "${WARD_OPA:-}" ] && candidates+=("$WARD_OPA")
command -v opa >/dev/null 2>&1 && candidates+=("$(command -v opa)")
candidates+=("$local_bin/opa")

for candidate in "${candidates[@]}"; do
  if [ -x "$candidate" ] && [ "$(version_of "$candidate")" = "$OPA_VERSION" ]; then
    printf '%s\n' "$candidate"
    exit 0
  fi
done

if [ -n "${WARD_OPA:-}" ]; then
  printf 'WARD_OPA=%s is not OPA %s (it says: %s); installing the pinned version instead\n' \
    "$WARD_OPA" "$OPA_VERSION" "$(version_of "$WARD_OPA" || true)" >&2
fi
if ! command -v go >/dev/null 2>&1; then
  cat >&2 <<MSG
OPA $OPA_VERSION not found, and Go is not installed to build it.
Install Go 1.24+ (https://go.dev/doc/install; Debian: apt-get install golang), then run again:
  bash scripts/ensure-opa.sh
or point WARD_OPA at an OPA $OPA_VERSION binary.
MSG
  exit 1
fi

printf '==> OPA %s missing: go install github.com/open-policy-agent/opa@v%s into %s\n' \
  "$OPA_VERSION" "$OPA_VERSION" "$local_bin" >&2
mkdir -p "$local_bin"
# GOFLAGS=-mod=mod keeps a surrounding go.work or vendor setting out of the way; -trimpath makes
# the binary independent of this checkout's path.
GOBIN="$local_bin" GOFLAGS="-mod=mod -trimpath" go install "github.com/open-policy-agent/opa@v$OPA_VERSION" >&2
installed="$(version_of "$local_bin/opa" || true)"
if [ "$installed" != "$OPA_VERSION" ]; then
  printf 'installed %s/opa reports version "%s", expected %s\n' "$local_bin" "$installed" "$OPA_VERSION" >&2
  exit 1
fi
printf '%s\n' "$local_bin/opa"
