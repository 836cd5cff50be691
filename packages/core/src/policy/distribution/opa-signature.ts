/*
 * OPA's bundle signature: `.signatures.json` as `opa build --signing-key` and `opa sign` write
 * it (OPA docs, "Bundle Signing"; open-policy-agent/opa v1/bundle/verify.go):
 *
 *   { "signatures": ["<compact JWS>"], "plugin"?: "_default" }
 *   JWS header:  { "alg": "ES256" | "EdDSA" | …, "kid"?: "<key id>", "typ"?: "JWT" }
 *   JWS payload: { "files": [{ "name": "<path>", "hash": "<hex>", "algorithm": "SHA-256" }, …],
 *                  "keyid"?: "<key id>", "scope"?: "<scope>", …other claims }
 *
 * Every file of the bundle except `.signatures.json` must be listed with its OPA hash (see
 * policy/strict-json.ts for structured files; raw bytes for the rest), and nothing else may be listed.
 * Stricter than OPA where OPA is lenient: exactly one JWS, no plugin but the default one, a
 * `crit` or `b64` header refused, only SHA-256, names in canonical form and listed once, the
 * header `kid` and the deprecated payload `keyid` agreeing when both are present.
 */
import type { CryptoBackend, VerifyingKey } from '../../backend/crypto-backend.js';
import { settle } from '../../backend/crypto-backend.js';
import { decodeCanonicalBase64, fromHex, sameBytes } from '../../bytes.js';
import { PolicyError } from '../../errors.js';
import { parseJson } from '../strict-json.js';
import type { JsonNode } from '../strict-json.js';
import { quoted, signatureRefused as refused } from './refusal.js';
import { normalizeBundlePath } from './tar.js';

/**
 * Verify OPA's own signature format: `.signatures.json` holding one JWS, as written by
 * `opa build --signing-key <key.pem> --signing-alg ES256` (or `EdDSA`) and `opa sign`.
 */
export interface OpaBundleVerification {
  /** OPA's `.signatures.json`. */
  readonly form: 'opa';
  /**
   * The trusted keys by key id: the JWS header `kid` (or, when the header has none, the
   * payload's deprecated `keyid` claim) picks one; an unknown key id is refused. An ES256
   * signature needs an `ECDSA-P256` public key, an EdDSA one an `Ed25519` public key.
   *
   * A key is a verifying key handle, or the PEM text of its SubjectPublicKeyInfo
   * (`-----BEGIN PUBLIC KEY-----`, the file `opa build --verification-key` takes), which
   * `readPolicyBundle` imports with the backend before it reads the bundle.
   */
  readonly keys: Readonly<Record<string, VerifyingKey | string>>;
  /**
   * The scope the signature must carry (its `scope` claim). As in OPA, the claim must equal
   * this exactly: without `scope` here, a signature that names a scope is refused.
   */
  readonly scope?: string;
}

/** What a verified `.signatures.json` tells. */
export interface OpaSignatureFacts {
  readonly keyId: string;
}

/** Deepest nesting `.signatures.json` and the JWS parts need (resource exhaustion: nothing deeper is parsed). */
const SIGNATURES_JSON_DEPTH = 4;

function members(node: JsonNode, what: string): Map<string, JsonNode> {
  if (node.kind !== 'object') throw refused(`${what} is not a JSON object`);
  return new Map(node.entries);
}

/** Parses a JSON object strictly; any failure is a refused signature (the parser's own error kept as cause). */
function parseObject(bytes: Uint8Array, what: string): Map<string, JsonNode> {
  try {
    return members(parseJson(bytes, what, SIGNATURES_JSON_DEPTH), what);
  } catch (error) {
    throw PolicyError.isInstance(error) && error.code === 'ERR_POLICY_BUNDLE_SIGNATURE' ? error : refused(`${what} is malformed`, error);
  }
}

function optionalString(map: Map<string, JsonNode>, key: string, what: string): string | undefined {
  const node = map.get(key);
  if (node === undefined) return undefined;
  if (node.kind !== 'string') throw refused(`${what} "${key}" is not a string`);
  return node.value;
}

/** Strict base64url without padding (RFC 7515 §2): canonical, so one JWS has one encoding. */
function base64url(text: string, what: string): Uint8Array {
  const decoded = decodeCanonicalBase64(text, 'base64url');
  if (decoded === 'malformed') throw refused(`${what} is not base64url`);
  if (decoded === 'non-canonical') throw refused(`${what} is not canonical base64url`);
  return decoded;
}

/** A SHA-256 digest as 64 hex digits (OPA writes lowercase; either case is read). */
function sha256Hex(text: string): Uint8Array | undefined {
  return /^[0-9a-fA-F]{64}$/u.test(text) ? fromHex(text) : undefined;
}

/** The JWS `alg` that goes with a verifying key (RFC 7518 §3.4, RFC 8037 §3.1). */
function jwsAlgorithm(key: VerifyingKey): string {
  if (key.algorithm === 'ECDSA-P256') return 'ES256';
  if (key.algorithm === 'Ed25519') return 'EdDSA';
  throw refused(`a ${String(key.algorithm)} key cannot verify a bundle signature`);
}

/** The signed file list: canonical names, each once, SHA-256 only. */
function signedFiles(payload: Map<string, JsonNode>): Map<string, Uint8Array> {
  const list = payload.get('files');
  if (list === undefined || list.kind !== 'array') throw refused('the JWS payload has no "files" list');
  const files = new Map<string, Uint8Array>();
  for (const item of list.items) {
    const entry = members(item, 'a signed file entry');
    for (const key of entry.keys()) {
      if (key !== 'name' && key !== 'hash' && key !== 'algorithm') throw refused(`a signed file entry holds an unknown field ${quoted(key, 32)}`);
    }
    const name = optionalString(entry, 'name', 'signed file');
    const hash = optionalString(entry, 'hash', 'signed file');
    const algorithm = optionalString(entry, 'algorithm', 'signed file');
    if (name === undefined || hash === undefined || algorithm === undefined) throw refused('a signed file entry lacks name, hash or algorithm');
    /* Weak hashes: OPA also accepts MD5 and SHA-1, which would let a collision swap a file. */
    if (algorithm !== 'SHA-256') throw refused(`file ${quoted(name)} is hashed with ${quoted(algorithm, 32)}, not SHA-256`);
    let canonical: string;
    try {
      /* Path traversal and aliasing: a signed name obeys the tar reader's rules and is in canonical form, so it names one file. */
      canonical = normalizeBundlePath(name);
    } catch (error) {
      throw refused(`the signature lists an unusable path ${quoted(name)}`, error);
    }
    if (canonical !== name) throw refused(`the signature lists ${quoted(name)}, not in canonical form ${quoted(canonical)}`);
    /* One name listed twice with two hashes: which one counts would be reader-dependent. */
    if (files.has(name)) throw refused(`the signature lists ${quoted(name)} twice`);
    /* Truncated or padded digests: exactly 32 bytes of SHA-256. */
    const digest = sha256Hex(hash);
    if (digest === undefined) throw refused(`the hash of ${quoted(name)} is not 64 hex digits`);
    files.set(name, digest);
  }
  return files;
}

/**
 * Verifies `.signatures.json` against `verification.keys` and checks that it signs exactly
 * `paths` (every bundle file but `.signatures.json`), each with the hash `opaHash` computes.
 * Throws `ERR_POLICY_BUNDLE_SIGNATURE` (or `ERR_POLICY_BUNDLE_INVALID` from `opaHash` for a
 * structured file that is not valid JSON).
 */
export async function verifyOpaSignature(
  signaturesFile: Uint8Array,
  paths: readonly string[],
  opaHash: (path: string) => Promise<Uint8Array>,
  verification: OpaBundleVerification & { readonly keys: Readonly<Record<string, VerifyingKey>> },
  backend: CryptoBackend,
): Promise<OpaSignatureFacts> {
  const document = parseObject(signaturesFile, '.signatures.json');
  /* Smuggled meaning: only the fields OPA defines (OPA docs, "Bundle Signing"). */
  for (const key of document.keys()) {
    if (key !== 'signatures' && key !== 'plugin') throw refused(`.signatures.json holds an unknown field ${quoted(key, 32)}`);
  }
  /* A signing plugin means a verifier Ward does not have: refused, never skipped. */
  const plugin = optionalString(document, 'plugin', '.signatures.json');
  if (plugin !== undefined && plugin !== '' && plugin !== '_default') throw refused(`the bundle is signed with plugin ${quoted(plugin, 32)}`);
  /* Ambiguity: several JWS would leave which one must verify to the reader; exactly one is read. */
  const list = document.get('signatures');
  if (list === undefined || list.kind !== 'array' || list.items.length !== 1 || list.items[0]!.kind !== 'string') {
    throw refused('.signatures.json must hold exactly one JWS');
  }
  const token = (list.items[0] as { readonly value: string }).value;
  /* RFC 7515 §7.1: the compact serialization is three base64url parts; the JSON serialization is not read. */
  const parts = token.split('.');
  if (parts.length !== 3) throw refused('the JWS is not in compact form');
  const [headerText, payloadText, signatureText] = parts as [string, string, string];

  /* Parser differentials: header and payload go through the strict parser (RFC 8259, no duplicate members, bounded depth). */
  const header = parseObject(base64url(headerText, 'the JWS header'), 'the JWS header');
  const payload = parseObject(base64url(payloadText, 'the JWS payload'), 'the JWS payload');
  const signature = base64url(signatureText, 'the JWS signature');
  /* RFC 7515 §4.1.11: a critical extension Ward does not implement must be refused; b64 (RFC 7797) changes what is signed. */
  if (header.has('crit') || header.has('b64')) throw refused('the JWS header carries crit or b64, which Ward does not implement');
  /* RFC 7515 §4.1.1 (alg), §4.1.4 (kid); OPA's deprecated payload claim `keyid` stands in for a missing kid. */
  const alg = optionalString(header, 'alg', 'the JWS header');
  const headerKid = optionalString(header, 'kid', 'the JWS header') || undefined;
  const claimedKeyId = optionalString(payload, 'keyid', 'the JWS payload') || undefined;
  /* Key confusion: the header kid and the deprecated keyid claim must not name two keys. */
  if (headerKid !== undefined && claimedKeyId !== undefined && headerKid !== claimedKeyId) {
    throw refused('the JWS header kid and the payload keyid differ');
  }
  const keyId = headerKid ?? claimedKeyId;
  if (keyId === undefined) throw refused('the JWS names no key id');
  /* Unknown signer: only a key the caller trusts, under the id the signature names. */
  const key = Object.hasOwn(verification.keys, keyId) ? verification.keys[keyId] : undefined;
  if (key === undefined) throw refused(`no trusted key has key id ${quoted(keyId)}`);
  /* Key confusion: a private or secret handle under a trusted id is a configuration error, never used to verify. */
  if (key.kind !== 'public') throw refused(`the key for key id ${quoted(keyId)} is not a public key`);
  /* Algorithm confusion (RFC 8725 §3.1, §2.1): the key fixes the algorithm, so "none", HS256 or another curve never verify. */
  const expected = jwsAlgorithm(key);
  if (alg !== expected) throw refused(`the JWS alg ${quoted(alg ?? '', 16)} is not ${expected}, the algorithm of key ${quoted(keyId)}`);
  /* RFC 7518 §3.4 (ES256: R || S, 32 bytes each, never DER) and RFC 8032 §5.1.6 (Ed25519): 64 bytes. */
  if (signature.length !== 64) throw refused(`an ${expected} signature is 64 bytes, not ${signature.length}`);

  /* RFC 7515 §5.2 step 8: the signature is over ASCII(BASE64URL(header) "." BASE64URL(payload)), the parts as received. */
  const signingInput = new TextEncoder().encode(`${headerText}.${payloadText}`);
  let valid: boolean;
  try {
    valid = await settle(backend.verify(key, signingInput, signature));
  } catch (error) {
    throw refused('the JWS could not be verified', error);
  }
  if (!valid) throw refused('the JWS signature does not verify');

  /* Cross-scope replay (OPA docs, "Bundle Signing", scope): the claim must equal the expected scope, "" when none is expected. */
  const scope = optionalString(payload, 'scope', 'the JWS payload') ?? '';
  if (scope !== (verification.scope ?? '')) throw refused('the signature scope does not match');

  /* File substitution, removal and smuggling: the signed list is exactly the bundle's files. */
  const signed = signedFiles(payload);
  for (const path of paths) {
    const digest = signed.get(path);
    if (digest === undefined) throw refused(`${quoted(path)} is not covered by the signature`);
    if (!sameBytes(digest, await opaHash(path))) throw refused(`${quoted(path)} does not match its signed hash`);
    signed.delete(path);
  }
  const [missing] = signed.keys();
  if (missing !== undefined) throw refused(`the signature lists ${quoted(missing)}, which the bundle does not hold`);
  return { keyId };
}
