#!/usr/bin/env bash
# Installs the two COSE peers of Ward's interop test (packages/node/src/interop.test.ts):
#   - pycose, into interop/.venv, from interop/python/requirements.txt (every version pinned);
#   - go-cose, via the Go module proxy (pinned in interop/go/go.mod and go.sum), built into
#     interop/.build/ward-interop-go.
# Idempotent: run it as often as you like; a second run only checks. Needs python3 (3.10+)
# with the venv module and Go 1.21+. CI runs it before `npm test`.
set -euo pipefail
cd "$(dirname "$0")"
interop="$(pwd)"
started=$(date +%s)
step() { printf '\n==> interop setup: %s\n' "$*"; }
die() { printf '\ninterop setup FAILED: %s\n' "$*" >&2; exit 1; }

# ---- Python: pycose in interop/.venv ----------------------------------------------------
step "python (pycose into interop/.venv)"
command -v python3 >/dev/null 2>&1 || die "python3 not found. Install Python 3.10+ (Debian: apt-get install python3 python3-venv)."
python3 --version
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "python3 is $(python3 --version 2>&1); pycose's pinned cbor2 needs Python 3.10+."
venv="$interop/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  # Debian and Ubuntu ship the venv module (with ensurepip) separately from python3.
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    die "python3 has no working venv module (ensurepip is missing).
  On Debian/Ubuntu install it with:   apt-get install -y python3-venv
  then run this script again."
  fi
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed (Debian/Ubuntu: apt-get install -y python3-venv)."
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$interop/python/requirements.txt"
"$venv/bin/python" -c 'import pycose, cbor2, cryptography; from importlib.metadata import version; print("pycose", version("pycose"), "| cbor2", version("cbor2"), "| cryptography", version("cryptography"))'

# ---- Go: go-cose, built into interop/.build ------------------------------------------------
step "go (go-cose via the module proxy, built into interop/.build)"
command -v go >/dev/null 2>&1 || die "go not found. Install Go 1.21+ (go-cose v1.3.0 needs 1.21)."
go version
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
[ "${go_minor:-0}" -ge 21 ] 2>/dev/null || die "$(go version) is too old: go-cose v1.3.0 needs Go 1.21+."
mkdir -p "$interop/.build"
(
  cd "$interop/go"
  go mod download
  go mod verify >/dev/null
  go build -buildvcs=false -o "$interop/.build/ward-interop-go" ./...
)
usage=$("$interop/.build/ward-interop-go" 2>&1 || true)
case "$usage" in *usage*) ;; *) die "the built interop binary does not run: $usage" ;; esac
echo "built interop/.build/ward-interop-go"

step "done in $(( $(date +%s) - started ))s"
