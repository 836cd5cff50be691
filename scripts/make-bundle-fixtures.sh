#!/usr/bin/env bash
# Regenerates the policy-bundle test fixtures in packages/core/src/policy/distribution/fixtures/ with the
# real OPA compiler, so the bundle reader is tested against what OPA actually writes:
#
#   unsigned.tar.gz         opa build -t wasm (a tiny policy and nested data), no signature
#   opa-es256.tar.gz        the same, signed by opa build --signing-key (P-256) --signing-alg ES256, kid "city-es256"
#   opa-eddsa.tar.gz        the same, signed with an Ed25519 key, --signing-alg EdDSA, kid "city-eddsa"
#   opa-sign-nested.tar.gz  a hand-made bundle directory (nested a/b/data.json, a data.json written
#                           to stress OPA's canonical JSON hashing: escapes, number literals,
#                           non-ASCII key order), signed by `opa sign` with claims
#                           {"keyid": "city-es256", "scope": "city"} and packed by GNU tar
#   opa-*.pub.pem / .pub.hex  the public keys, as PEM and as the raw point (hex) the tests import
#
# Private keys are made in a temporary directory and deleted; only public keys are committed.
# Every signed fixture is verified by OPA itself before it is written. The signatures (and so
# the fixture bytes) change on every run; the tests do not depend on them.
#
# Usage: bash scripts/make-bundle-fixtures.sh   (needs Go for OPA, openssl, GNU tar)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/packages/core/src/policy/distribution/fixtures"

if [ -f "$root/scripts/ensure-opa.sh" ]; then
  opa="$(bash "$root/scripts/ensure-opa.sh")"
elif command -v opa >/dev/null 2>&1; then
  opa="$(command -v opa)"
else
  GOBIN="${TMPDIR:-/tmp}/ward-opa-bin" go install github.com/open-policy-agent/opa@v1.22.2
  opa="${TMPDIR:-/tmp}/ward-opa-bin/opa"
fi
echo "using $("$opa" version | head -n1) at $opa" >&2

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/src/zones/north"

cat >"$work/src/policy.rego" <<'EOF'
package ward.authz

decision := {"allow": input.x == 1, "reasons": [], "obligations": []}
EOF
printf '{"city": "Aarhus", "limits": {"footfall": 1.50}}\n' >"$work/src/data.json"
printf '{"sensors": ["s-1", "s-2"]}\n' >"$work/src/zones/north/data.json"

# Keys: P-256 for ES256, Ed25519 for EdDSA. Raw public keys: the last 65 (SEC1 uncompressed)
# or 32 bytes of the SubjectPublicKeyInfo DER.
openssl ecparam -genkey -name prime256v1 -noout -out "$work/es256.pem"
openssl ec -in "$work/es256.pem" -pubout -out "$out/opa-es256.pub.pem" 2>/dev/null
openssl ec -in "$work/es256.pem" -pubout -outform DER 2>/dev/null | tail -c 65 | od -An -tx1 -v | tr -d ' \n' >"$out/opa-es256.pub.hex"
openssl genpkey -algorithm ed25519 -out "$work/eddsa.pem"
openssl pkey -in "$work/eddsa.pem" -pubout -out "$out/opa-eddsa.pub.pem"
openssl pkey -in "$work/eddsa.pem" -pubout -outform DER | tail -c 32 | od -An -tx1 -v | tr -d ' \n' >"$out/opa-eddsa.pub.hex"

build() { (cd "$work/src" && "$opa" build -b . -t wasm -e ward/authz/decision --revision 2026.11.1 "$@"); }
verify() { # bundle, public key, key id, algorithm, extra flags…
  local bundle="$1" key="$2" kid="$3" alg="$4"
  shift 4
  "$opa" build -b "$bundle" --verification-key "$key" --verification-key-id "$kid" --signing-alg "$alg" "$@" -o "$work/verified.tar.gz"
}

build -o "$work/unsigned.tar.gz"
build -o "$work/opa-es256.tar.gz" --signing-key "$work/es256.pem" --signing-alg ES256 --verification-key-id city-es256
build -o "$work/opa-eddsa.tar.gz" --signing-key "$work/eddsa.pem" --signing-alg EdDSA --verification-key-id city-eddsa
verify "$work/opa-es256.tar.gz" "$out/opa-es256.pub.pem" city-es256 ES256
verify "$work/opa-eddsa.tar.gz" "$out/opa-eddsa.pub.pem" city-eddsa EdDSA

# A bundle directory signed by `opa sign`, which hashes each file as the verifier does
# (data.json and .manifest through OPA's canonical JSON, everything else as raw bytes).
nested="$work/nested"
mkdir -p "$nested/a/b"
tar -xzf "$work/unsigned.tar.gz" -C "$nested" policy.wasm 2>/dev/null || tar -xzf "$work/unsigned.tar.gz" -C "$nested" /policy.wasm
printf '{"revision": "nested-7", "roots": ["a", "strings"], "metadata": {"owner": "city-policy"}}\n' >"$nested/.manifest"
printf '{"zones": ["north", "s\\u00fcd"], "limit": 1.50, "max": 1E+2}\n' >"$nested/a/b/data.json"
cat >"$nested/data.json" <<'EOF'
{
  "strings": {
    "escapes": "tab\there \"q\" back\\slash \/ \u00e9 \ud83d\ude00 \u2028 \u2029 <a&b> \u007f \u0001 \u001f \b \f",
    "raw": "süd 東京 😀",
    "numbers": [0, -0, 1.50, 1e3, 1E-2, -12.5e+10, 9007199254740991],
    "order": {"z": 1, "a": 2, "é": 3, "ﬀ": 4, "😀": 5, "": 6, "A": 7},
    "empty": {"object": {}, "array": [], "null": null, "true": true, "false": false}
  }
}
EOF
printf '{"keyid": "city-es256", "scope": "city"}\n' >"$work/claims.json"
(cd "$nested" && "$opa" sign --signing-key "$work/es256.pem" --signing-alg ES256 --claims-file "$work/claims.json" --bundle . -o .)
# Explicit names (not "."), so entries carry no "./" prefix, which OPA would not match.
tar --format=gnu --owner=0 --group=0 --mtime=@0 -czf "$work/opa-sign-nested.tar.gz" -C "$nested" .manifest .signatures.json a data.json policy.wasm
verify "$work/opa-sign-nested.tar.gz" "$out/opa-es256.pub.pem" city-es256 ES256 --scope city

cp "$work/unsigned.tar.gz" "$work/opa-es256.tar.gz" "$work/opa-eddsa.tar.gz" "$work/opa-sign-nested.tar.gz" "$out/"
echo "fixtures written to $out" >&2
ls -l "$out" >&2
