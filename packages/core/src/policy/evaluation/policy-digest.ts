/*
 * The digest of a policy given as raw parts (`{ wasm, data }`, no bundle): it covers the
 * compiled policy AND its data, so "same revision, same digest" means the same decisions
 * (issue 11: a same-revision activation with other data was accepted when only the wasm was
 * hashed). A bundle read by readPolicyBundle brings its own digest, the SHA-256 of the whole
 * bundle file, which covers both already.
 *
 * The construction, for anyone recomputing it (policies/README.md, "The contract"):
 *
 *   SHA-256( "ward/policy-digest/v1" || u64be(len(wasm)) || wasm || u64be(len(D)) || D )
 *
 * where D is the UTF-8 of `data` (default `{}`) as JSON.stringify gives it (the value the wasm
 * receives through setData), in OPA's canonical form: object keys sorted by code point, no
 * insignificant whitespace, strings written as Go's encoder writes them, numbers as written.
 * The length prefixes keep the two parts apart: no wasm/data split hashes like another.
 */
import type { CryptoBackend } from '../../backend/crypto-backend.js';
import { isPromise } from '../../backend/crypto-backend.js';
import { ArgumentError } from '../../errors.js';
import { concatBytes } from '../../bytes.js';
import { opaCanonicalBytes, parseJson } from '../strict-json.js';

const LABEL = new TextEncoder().encode('ward/policy-digest/v1');
/* As deep as a bundle's data.json may ever nest (bundle.ts MAX_JSON_DEPTH). */
const MAX_DATA_DEPTH = 1000;

function u64be(length: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(length));
  return out;
}

/** The canonical JSON bytes of a policy's data, as the digest covers them. Internal to core. */
export function policyDataBytes(data: unknown): Uint8Array {
  let json: string | undefined;
  try {
    json = JSON.stringify(data ?? {});
  } catch (error) {
    throw new ArgumentError('policy data must be JSON (no cycles, no BigInt)', { cause: error });
  }
  if (json === undefined) throw new ArgumentError('policy data must be a JSON value');
  try {
    return opaCanonicalBytes(parseJson(new TextEncoder().encode(json), 'data', MAX_DATA_DEPTH));
  } catch (error) {
    throw new ArgumentError('policy data must be JSON within the bundle limits (well-formed text, bounded depth)', { cause: error });
  }
}

/**
 * The digest of raw policy parts (see the file notes for the construction). Internal to the
 * policy engine, which records it in every decision (`EngineDecision.digest`, the decision
 * log's `bundle.digest`).
 */
export async function policyDigest(wasm: Uint8Array, data: unknown, backend: CryptoBackend): Promise<Uint8Array> {
  const canonicalData = policyDataBytes(data);
  const digest = backend.sha256(concatBytes([LABEL, u64be(wasm.length), wasm, u64be(canonicalData.length), canonicalData]));
  return isPromise(digest) ? await digest : digest;
}
