/*
 * The signed trust-store document: a COSE_Sign1 over a deterministic CBOR list of trusted
 * public keys, so a fleet of verifiers can take its TrustStore from one place and every
 * verifier can check who published it. The byte layout is in the TSDoc of
 * {@link signTrustStoreDocument}; `TrustStore.update()` (trust-store.ts) verifies and applies
 * it. This file holds the format: the vocabulary, the limits, the encoder and the strict
 * decoder of the (already signature-checked) payload.
 */
import { decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue, DecodeCborOptions } from '../cbor/index.js';
import type { CryptoBackend, SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import { assertBytes } from '../backend/validate.js';
import { CoseAlgorithm, sameSignatureAlgorithm } from '../cose/algorithms.js';
import { HeaderLabel } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { createSign1 } from '../cose/sign1.js';
import type { VerifiedSign1 } from '../cose/sign1.js';
import { ClaimKey } from '../profile/labels.js';
import { ArgumentError, KeyStoreError, TrustError } from '../errors.js';
import type { CoseKey } from '../cose/cose-key.js';
import { coseKeyThumbprint, createCoseKey, decodeCoseKey, encodeCoseKey } from './cose-key.js';
import { compareBytes, sameBytes } from '../bytes.js';
import { resolveLimits } from '../limits.js';
import { MAX_SHORT_TEXT, isSeconds, isWellFormedText } from '../text.js';
import { readSignedDocumentHeader } from '../profile/signed-document.js';

/**
 * Every role a trusted key can hold, in the order they are documented:
 *
 * | role | the key may sign… |
 * | --- | --- |
 * | `producer` | sealed envelopes (the default role) |
 * | `rewrap` | envelopes re-wrapped for new readers by a re-wrap authority |
 * | `trust-store` | trust-store documents ({@link signTrustStoreDocument}) |
 * | `policy-bundle` | policy bundles |
 * | `decision-log` | decision-log records |
 *
 * @example
 * ```ts
 * import { TRUST_ROLES } from '@ward/core/keys';
 *
 * TRUST_ROLES.includes('producer'); // true
 * ```
 */
export const TRUST_ROLES = Object.freeze(['producer', 'rewrap', 'trust-store', 'policy-bundle', 'decision-log'] as const);

/** One of the {@link TRUST_ROLES}: what a trusted key may sign. */
export type TrustRole = (typeof TRUST_ROLES)[number];

/**
 * The content type (COSE header 3) of a trust-store document. A private text media type, so
 * a document can never be mistaken for an envelope (whose content type is a CoAP number) or
 * another signed Ward object, even when one key signs both.
 *
 * @example
 * ```ts
 * import { HeaderLabel } from '@ward/core/cose';
 * import { TRUST_STORE_CONTENT_TYPE } from '@ward/core/keys';
 *
 * verified.protectedHeader.get(HeaderLabel.contentType) === TRUST_STORE_CONTENT_TYPE;
 * ```
 */
export const TRUST_STORE_CONTENT_TYPE = 'application/ward-trust-store+cbor';

/**
 * The one trust-store document version this code writes and reads. Another version is
 * refused (`ERR_TRUST_DOCUMENT_INVALID`): a reader never guesses at fields it does not know.
 *
 * @example
 * ```ts
 * import { TRUST_STORE_DOCUMENT_VERSION } from '@ward/core/keys';
 *
 * TRUST_STORE_DOCUMENT_VERSION; // 1
 * ```
 */
export const TRUST_STORE_DOCUMENT_VERSION = 1;

/** Ceilings on a trust-store document, checked before anything is allocated for it. */
export interface TrustDocumentLimits {
  /** Largest document (the whole COSE_Sign1), in bytes. Default 4 MiB (4,194,304). */
  readonly maxDocumentBytes: number;
  /** Most entries (trusted keys) in one document. Default 10,000. */
  readonly maxEntries: number;
}

/**
 * The default {@link TrustDocumentLimits}: 4 MiB and 10,000 entries (an entry is about
 * 150 bytes, so a full document is well under the byte limit).
 *
 * @example
 * ```ts
 * import { TrustStore } from '@ward/core';
 * import { DEFAULT_TRUST_DOCUMENT_LIMITS } from '@ward/core/keys';
 *
 * await store.update(document, { anchors, limits: { ...DEFAULT_TRUST_DOCUMENT_LIMITS, maxEntries: 500 } });
 * ```
 */
export const DEFAULT_TRUST_DOCUMENT_LIMITS: Readonly<TrustDocumentLimits> = Object.freeze({
  maxDocumentBytes: 4 * 1024 * 1024,
  maxEntries: 10_000,
});

/**
 * A trusted key and what it is trusted for. Frozen; holds public material only. Its
 * `String()`, `JSON.stringify()` and `util.inspect()` forms print the kid in hex, the
 * metadata and the public key, and never anything private.
 */
export interface TrustedKey {
  /** The key id the signer names in its protected header. */
  readonly kid: Uint8Array;
  /** The COSE algorithm the key verifies: EdDSA (-8) or ES256 (-7). */
  readonly alg: number;
  /** The identity the key may sign as (CWT `iss`). */
  readonly issuer: string;
  /** What the key may sign. */
  readonly roles: readonly TrustRole[];
  /** Seconds since the epoch, inclusive lower bound of the signing time. */
  readonly notBefore?: number;
  /** Seconds since the epoch, exclusive upper bound of the signing time. */
  readonly notAfter?: number;
  /** Seconds since the epoch at which the key was revoked (the earliest, if revoked more than once). */
  readonly revokedAt?: number;
  /** Why the key was revoked, if said. */
  readonly revocationReason?: string;
  /** The verifying key handle, of the store's backend. */
  readonly key: VerifyingKey;
  /** The public COSE_Key: kty, crv, x (, y) and alg; no kid. */
  readonly coseKey: CoseKey;
}

/** Anything that lists trusted keys, such as a `TrustStore`. */
export interface TrustedKeyList {
  entries(): readonly TrustedKey[];
}

/** Options of {@link signTrustStoreDocument}. */
export interface SignTrustStoreDocumentOptions {
  /** The backend that holds `signer.key`. */
  readonly backend: CryptoBackend;
  /**
   * The publisher's signing key and its kid. Verifiers must hold the public key as an anchor
   * with role `trust-store` under this kid and `issuer`.
   */
  readonly signer: { readonly key: SigningKey; readonly kid: Uint8Array };
  /** The publisher's identity, written as the CWT `iss` claim; must equal the anchor's issuer. */
  readonly issuer: string;
  /**
   * The document's serial number, an unsigned integer below 2^64. Verifiers refuse a document
   * whose serial is not greater than the one they hold, so every new document needs a larger one.
   */
  readonly serial: bigint | number;
  /** Seconds since the epoch; default now. Written twice: CWT `iat` and payload key 3. */
  readonly issuedAt?: number;
  /** Refuse to sign a document the verifiers would refuse for its size. Default {@link DEFAULT_TRUST_DOCUMENT_LIMITS}. */
  readonly limits?: Partial<TrustDocumentLimits> | undefined;
}

/* ------------------------------------------------------------------------------------------ */
/* Internal: shared with trust-store.ts                                                        */
/* ------------------------------------------------------------------------------------------ */

/** Payload map keys. */
const DocKey = { version: 1, serial: 2, issuedAt: 3, entries: 4 } as const;
/** Entry map keys. */
const EntryKey = { key: 1, issuer: 2, roles: 3, notBefore: 4, notAfter: 5, revokedAt: 6, reason: 7 } as const;
/** COSE_Key labels an entry's key may carry (RFC 9052 §7.1, RFC 9053 §7): kty, alg, crv, x, y. */
const KEY_LABELS: ReadonlySet<CborValue> = new Set<CborValue>([1, 3, -1, -2, -3]);
const ROLE_SET: ReadonlySet<unknown> = new Set<unknown>(TRUST_ROLES);
const TWO_64 = 1n << 64n;

/** One entry of a decoded document, before its key is imported. */
export type DocumentEntry = Pick<TrustedKey, 'coseKey' | 'issuer' | 'roles' | 'notBefore' | 'notAfter' | 'revokedAt' | 'revocationReason'>;

/** A decoded document payload. */
export interface DocumentContent {
  readonly serial: bigint;
  readonly issuedAt: number;
  readonly entries: readonly DocumentEntry[];
}

const invalid = (message: string): TrustError => new TrustError('ERR_TRUST_DOCUMENT_INVALID', `trust-store document ${message}`);

/** Checks a role list: a non-empty array of known roles without repeats. Returns the problem, or undefined. */
export function roleProblem(roles: unknown): string | undefined {
  if (!Array.isArray(roles) || roles.length === 0) return 'roles must be a non-empty array';
  const seen = new Set<unknown>();
  for (const role of roles as unknown[]) {
    if (!ROLE_SET.has(role)) return `roles holds ${typeof role === 'string' ? `"${role.slice(0, 32)}"` : 'a value'} that is not a trust role`;
    if (seen.has(role)) return 'roles repeats a role';
    seen.add(role);
  }
  return undefined;
}

/** Fills in and checks document limits. */
export function resolveTrustDocumentLimits(limits: Partial<TrustDocumentLimits> | undefined): TrustDocumentLimits {
  return resolveLimits(DEFAULT_TRUST_DOCUMENT_LIMITS, limits, { what: 'trust-store document limit' });
}

/** The CBOR decoding limits for a payload under `limits`: as tight as the format allows. */
function payloadDecodeLimits(limits: TrustDocumentLimits): DecodeCborOptions {
  return {
    requireDeterministic: true,
    rejectIntegralFloats: true,
    maxBytes: limits.maxDocumentBytes,
    /* payload map → entries array → entry map → key map / roles array */
    maxDepth: 4,
    maxArrayEntries: Math.max(limits.maxEntries, TRUST_ROLES.length),
    maxMapEntries: 8,
    /* issuer and reason: at most 256 UTF-16 units, so 768 UTF-8 bytes; x and y 32 bytes */
    maxStringBytes: 1024,
    /* an entry is at most 1 + 14 + 10 + 6 = 31 items; the payload adds 9 */
    maxItems: limits.maxEntries * 31 + 16,
  };
}

function requireTime(value: CborValue | undefined, what: string): number {
  if (!isSeconds(value)) throw invalid(`${what} must be an unsigned integer of at most 2^53 - 1`);
  return value;
}

/** The CoseKey of an entry's key map: public, Ed25519 with EdDSA or P-256 with ES256, no kid. */
function decodeEntryKey(value: CborValue | undefined, index: number): CoseKey {
  if (!(value instanceof Map)) throw invalid(`entry ${index}: key must be a COSE_Key map`);
  let key: CoseKey;
  try {
    /* The strict COSE_Key decoder refuses private (d) and Symmetric keys and checks every parameter. */
    key = decodeCoseKey(encodeCbor(value), { publicOnly: true });
  } catch (error) {
    throw new TrustError('ERR_TRUST_DOCUMENT_INVALID', `trust-store document entry ${index}: key is not an acceptable public COSE_Key`, { cause: error });
  }
  /* The kid is always the key's thumbprint, so the document carries none: no kid can point at another key. */
  for (const label of value.keys()) {
    if (!KEY_LABELS.has(label)) throw invalid(`entry ${index}: key may carry only kty, alg, crv, x and y`);
  }
  const signing = (key.kty === 1 && key.crv === 6 && key.alg !== undefined && sameSignatureAlgorithm(key.alg, CoseAlgorithm.EdDSA))
    || (key.kty === 2 && key.crv === 1 && key.alg !== undefined && sameSignatureAlgorithm(key.alg, CoseAlgorithm.ES256));
  if (!signing) throw invalid(`entry ${index}: key must be Ed25519 with alg EdDSA or P-256 with alg ES256`);
  return key;
}

function decodeEntry(value: CborValue, index: number): DocumentEntry {
  if (!(value instanceof Map)) throw invalid(`entry ${index} must be a map`);
  for (const label of value.keys()) {
    if (typeof label !== 'number' || !Number.isInteger(label) || label < EntryKey.key || label > EntryKey.reason) {
      throw invalid(`entry ${index} holds a field this version does not define`);
    }
  }
  const coseKey = decodeEntryKey(value.get(EntryKey.key), index);
  const issuer = value.get(EntryKey.issuer);
  if (!isWellFormedText(issuer)) throw invalid(`entry ${index}: issuer must be text of 1 to ${MAX_SHORT_TEXT} characters`);
  const roles = value.get(EntryKey.roles);
  const problem = roleProblem(roles);
  if (problem !== undefined) throw invalid(`entry ${index}: ${problem}`);
  const entry: { -readonly [K in keyof DocumentEntry]: DocumentEntry[K] } = { coseKey, issuer, roles: roles as TrustRole[] };
  if (value.has(EntryKey.notBefore)) entry.notBefore = requireTime(value.get(EntryKey.notBefore), `entry ${index}: notBefore`);
  if (value.has(EntryKey.notAfter)) entry.notAfter = requireTime(value.get(EntryKey.notAfter), `entry ${index}: notAfter`);
  if (entry.notBefore !== undefined && entry.notAfter !== undefined && entry.notBefore >= entry.notAfter) {
    throw invalid(`entry ${index}: notBefore must be before notAfter`);
  }
  if (value.has(EntryKey.revokedAt)) entry.revokedAt = requireTime(value.get(EntryKey.revokedAt), `entry ${index}: revokedAt`);
  if (value.has(EntryKey.reason)) {
    if (entry.revokedAt === undefined) throw invalid(`entry ${index}: a revocation reason needs revokedAt`);
    const reason = value.get(EntryKey.reason);
    if (!isWellFormedText(reason)) throw invalid(`entry ${index}: reason must be text of 1 to ${MAX_SHORT_TEXT} characters`);
    entry.revocationReason = reason;
  }
  return entry;
}

/**
 * Decodes and checks a document payload (bytes whose signature has already verified). Pure:
 * no backend, no key import. Throws TrustError `ERR_TRUST_DOCUMENT_INVALID`, or the
 * DecodeError of the CBOR decoder (the caller wraps it).
 */
export function decodeTrustStorePayload(payload: Uint8Array, limits: TrustDocumentLimits): DocumentContent {
  const value = decodeCbor(payload, payloadDecodeLimits(limits));
  if (!(value instanceof Map)) throw invalid('payload must be a map');
  for (const label of value.keys()) {
    if (label !== DocKey.version && label !== DocKey.serial && label !== DocKey.issuedAt && label !== DocKey.entries) {
      throw invalid('payload holds a field this version does not define');
    }
  }
  const version = value.get(DocKey.version);
  if (version !== TRUST_STORE_DOCUMENT_VERSION) throw invalid(`version must be ${TRUST_STORE_DOCUMENT_VERSION}`);
  const serial = value.get(DocKey.serial);
  if (!((typeof serial === 'number' && Number.isSafeInteger(serial) && serial >= 0) || (typeof serial === 'bigint' && serial >= 0n))) {
    throw invalid('serial must be an unsigned integer');
  }
  const issuedAt = requireTime(value.get(DocKey.issuedAt), 'issuedAt');
  const entries = value.get(DocKey.entries);
  if (!Array.isArray(entries)) throw invalid('entries must be an array');
  /* The decoder already refused a longer array before allocating it; this is the same limit, stated. */
  if (entries.length > limits.maxEntries) throw invalid(`holds more than ${limits.maxEntries} entries`);
  return { serial: BigInt(serial), issuedAt, entries: entries.map(decodeEntry) };
}

/**
 * Checks the headers of a verified document: only alg, content type, kid and CWT claims
 * (iss, iat) in the protected bucket, nothing unprotected. Returns the claimed iat.
 */
export function checkDocumentHeaders(verified: VerifiedSign1): number {
  const header = readSignedDocumentHeader(verified.protectedHeader, verified.unprotectedHeader, TRUST_STORE_CONTENT_TYPE);
  if ('problem' in header) throw invalid(header.problem);
  return header.issuedAt;
}

/* ------------------------------------------------------------------------------------------ */
/* Signing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** The public, kid-less COSE_Key map of a trusted key, built by the COSE_Key encoder. */
function entryKeyMap(coseKey: CoseKey, alg: number): CborValue {
  let key: CoseKey;
  if (coseKey.kty === 1) key = createCoseKey({ kty: 1, crv: coseKey.crv, alg, x: coseKey.x });
  else if (coseKey.kty === 2) key = createCoseKey({ kty: 2, crv: coseKey.crv, alg, x: coseKey.x, y: coseKey.y });
  else throw new ArgumentError('a trust-store document holds public signature keys only');
  return decodeCbor(encodeCoseKey(key));
}

async function encodeEntry(entry: TrustedKey, index: number, backend: CryptoBackend): Promise<Map<CborValue, CborValue>> {
  if (typeof entry !== 'object' || entry === null) throw new ArgumentError(`entry ${index} must be a TrustedKey`);
  assertBytes(entry.kid, `entry ${index} kid`);
  if (entry.alg !== CoseAlgorithm.EdDSA && entry.alg !== CoseAlgorithm.ES256) throw new ArgumentError(`entry ${index}: alg must be EdDSA or ES256`);
  const keyMap = entryKeyMap(entry.coseKey, entry.alg);
  /* Documents carry no kid: loading recomputes the thumbprint, so any other kid would silently change. */
  if (!sameBytes(entry.kid, await coseKeyThumbprint(entry.coseKey, backend))) {
    throw new ArgumentError(`entry ${index}: its kid is not the RFC 9679 thumbprint of its key; trust-store documents carry thumbprint kids only`);
  }
  if (!isWellFormedText(entry.issuer)) throw new ArgumentError(`entry ${index}: issuer must be text of 1 to ${MAX_SHORT_TEXT} characters`);
  const problem = roleProblem(entry.roles);
  if (problem !== undefined) throw new ArgumentError(`entry ${index}: ${problem}`);
  const map = new Map<CborValue, CborValue>([
    [EntryKey.key, keyMap],
    [EntryKey.issuer, entry.issuer],
    [EntryKey.roles, [...entry.roles]],
  ]);
  const time = (value: number | undefined, key: number, name: string): void => {
    if (value === undefined) return;
    if (!isSeconds(value)) throw new ArgumentError(`entry ${index}: ${name} must be a non-negative safe integer`);
    map.set(key, value);
  };
  time(entry.notBefore, EntryKey.notBefore, 'notBefore');
  time(entry.notAfter, EntryKey.notAfter, 'notAfter');
  if (entry.notBefore !== undefined && entry.notAfter !== undefined && entry.notBefore >= entry.notAfter) {
    throw new ArgumentError(`entry ${index}: notBefore must be before notAfter`);
  }
  time(entry.revokedAt, EntryKey.revokedAt, 'revokedAt');
  if (entry.revocationReason !== undefined) {
    if (entry.revokedAt === undefined) throw new ArgumentError(`entry ${index}: a revocation reason needs revokedAt`);
    if (!isWellFormedText(entry.revocationReason)) throw new ArgumentError(`entry ${index}: reason must be text of 1 to ${MAX_SHORT_TEXT} characters`);
    map.set(EntryKey.reason, entry.revocationReason);
  }
  return map;
}

/**
 * Signs a trust-store document listing `entries` (or every entry of a TrustStore, revoked
 * ones included, so that verifiers learn the revocations). Verifiers apply it with
 * `TrustStore.load()` / `update()`, which accept it only when `signer` is one of their
 * anchors with role `trust-store` and issuer `issuer`.
 *
 * ## Format (version 1)
 *
 * A tagged COSE_Sign1 (RFC 9052 §4.2, tag 18) with
 * - protected header: `1` (alg) EdDSA or ES256, `3` (content type) the text
 *   `"application/ward-trust-store+cbor"`, `4` (kid) the signer's kid, `15` (CWT claims,
 *   RFC 9597) `{1 (iss): issuer, 6 (iat): issuedAt}`; nothing else;
 * - unprotected header: the empty map;
 * - payload, deterministic CBOR (RFC 8949 §4.2.1):
 *
 * ```
 * payload = {
 *   1: 1,                 ; version
 *   2: uint,              ; serial, < 2^64, strictly increasing per publisher
 *   3: uint,              ; issuedAt, seconds since the epoch, equal to the CWT iat
 *   4: [* entry]          ; at most 10,000 by default, sorted by kid (bytewise)
 * }
 * entry = {
 *   1: COSE_Key,          ; public: {1: 1 (OKP), 3: -8 (EdDSA), -1: 6 (Ed25519), -2: x}
 *                         ;      or {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
 *                         ; no kid (2), key_ops (4) or d (-4); no Symmetric keys
 *   2: tstr,              ; issuer, 1 to 256 characters: the CWT iss the key may sign as
 *   3: [+ role],          ; role = "producer" / "rewrap" / "trust-store" / "policy-bundle" / "decision-log", no repeats
 *   ? 4: uint,            ; notBefore, inclusive
 *   ? 5: uint,            ; notAfter, exclusive (> notBefore)
 *   ? 6: uint,            ; revokedAt
 *   ? 7: tstr             ; revocation reason, 1 to 256 characters; only with 6
 * }
 * ```
 *
 * An entry's kid is not written: it is always the RFC 9679 thumbprint (SHA-256) of its
 * COSE_Key, recomputed by the reader. So every entry passed here must have its thumbprint as
 * kid (the default of `TrustStore.add()`); no two entries may share a key. Unknown fields,
 * versions, roles or header parameters are refused by readers, not ignored.
 *
 * @param entries - the trusted keys to publish, or a TrustStore whose entries to publish
 * @param options - backend, signer, issuer, serial, issuedAt
 * @returns the encoded document
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for an entry whose kid is not its
 *   thumbprint, duplicate entries, a bad serial, issuer or time, or more entries or bytes
 *   than the limits allow
 * @throws {@link KeyError} when `signer.key` is not a signing key of `backend`
 * @example
 * ```ts
 * import { TrustStore, createNobleBackend, signTrustStoreDocument } from '@ward/core';
 *
 * const backend = createNobleBackend();
 * const published = new TrustStore({ backend });
 * await published.add({ key: counterPublicKey, issuer: 'footfall-counter-17' });
 * const document = await signTrustStoreDocument(published, {
 *   backend,
 *   signer: { key: trustAdminKey, kid: trustAdminKid },
 *   issuer: 'city-trust-admin',
 *   serial: 42n,
 * });
 * ```
 */
export async function signTrustStoreDocument(
  entries: readonly TrustedKey[] | TrustedKeyList,
  options: SignTrustStoreDocumentOptions,
): Promise<Uint8Array> {
  if (typeof options !== 'object' || options === null || options.backend === undefined || options.signer === undefined) {
    throw new ArgumentError('options need backend and signer');
  }
  const { backend, signer } = options;
  assertBytes(signer.kid, 'signer.kid');
  if (!isWellFormedText(options.issuer)) throw new ArgumentError(`issuer must be text of 1 to ${MAX_SHORT_TEXT} characters`);
  const serial = options.serial;
  if (!((typeof serial === 'number' && Number.isSafeInteger(serial) && serial >= 0) || (typeof serial === 'bigint' && serial >= 0n && serial < TWO_64))) {
    throw new ArgumentError('serial must be an unsigned integer below 2^64');
  }
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  if (!isSeconds(issuedAt)) throw new ArgumentError('issuedAt must be a non-negative safe integer');
  const limits = resolveTrustDocumentLimits(options.limits);
  const list = Array.isArray(entries) ? (entries as readonly TrustedKey[]) : (entries as TrustedKeyList).entries();
  if (list.length > limits.maxEntries) throw new ArgumentError(`a trust-store document holds at most ${limits.maxEntries} entries`);

  const sorted = [...list].sort((a, b) => compareBytes(a.kid, b.kid));
  const encoded: CborValue[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i]!;
    if (i > 0 && sameBytes(sorted[i - 1]!.kid, entry.kid)) throw new ArgumentError('two entries have the same key (kid)');
    encoded.push(await encodeEntry(entry, i, backend));
  }
  const payload = encodeCbor(new Map<CborValue, CborValue>([
    [DocKey.version, TRUST_STORE_DOCUMENT_VERSION],
    [DocKey.serial, serial],
    [DocKey.issuedAt, issuedAt],
    [DocKey.entries, encoded],
  ]));
  const protectedHeader: HeaderMap = new Map<number | string, CborValue>([
    [HeaderLabel.contentType, TRUST_STORE_CONTENT_TYPE],
    [HeaderLabel.cwtClaims, new Map<CborValue, CborValue>([[ClaimKey.issuer, options.issuer], [ClaimKey.issuedAt, issuedAt]])],
  ]);
  const document = await createSign1(payload, { backend, key: signer.key, kid: signer.kid, protectedHeader });
  if (document.length > limits.maxDocumentBytes) {
    throw new ArgumentError(`the document is ${document.length} bytes, above maxDocumentBytes (${limits.maxDocumentBytes})`);
  }
  return document;
}

/*
 * The trust store's persisted rollback state (SPEC.md §9, trust-store state): what a restarted
 * TrustStore must not forget. Deterministic CBOR:
 *
 *   TrustState = {
 *     1 => 1,                                  ; version
 *     ? 2 => uint,                             ; serial high-water mark (< 2^64): the newest document accepted
 *     ? 3 => bstr .size 32,                    ; SHA-256 of that document (present with 2)
 *     4 => [* [bstr, uint, ? tstr]],           ; sticky revocations: kid, revokedAt, reason; sorted by kid
 *   }
 */
const StateKey = { version: 1, serial: 2, digest: 3, revocations: 4 } as const;
const TRUST_STATE_VERSION = 1;
/** Most revocations a state record holds: the decoder refuses more before allocating them. */
export const MAX_TRUST_STATE_REVOCATIONS = 1_000_000;
const MAX_STATE_KID_BYTES = 1024;

/** A trust store's rollback state, decoded. */
export interface TrustState {
  /** The serial and SHA-256 digest of the newest document accepted, if any. */
  readonly document: { readonly serial: bigint; readonly digest: Uint8Array } | undefined;
  /** Every revocation ever seen, by kid. */
  readonly revocations: readonly { readonly kid: Uint8Array; readonly at: number; readonly reason: string | undefined }[];
}

const stateCorrupt = (message: string, cause?: unknown): KeyStoreError =>
  new KeyStoreError('ERR_KEYSTORE_CORRUPT', `trust-store state ${message}`, cause === undefined ? undefined : { cause });

/** Encodes {@link TrustState}; revocations sorted by kid so equal states are equal bytes. */
export function encodeTrustState(state: TrustState): Uint8Array {
  const revocations = [...state.revocations]
    .sort((a, b) => compareBytes(a.kid, b.kid))
    .map((r): CborValue => (r.reason === undefined ? [r.kid, r.at] : [r.kid, r.at, r.reason]));
  const map = new Map<CborValue, CborValue>([[StateKey.version, TRUST_STATE_VERSION]]);
  if (state.document !== undefined) {
    const { serial } = state.document;
    map.set(StateKey.serial, serial <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(serial) : serial);
    map.set(StateKey.digest, state.document.digest);
  }
  map.set(StateKey.revocations, revocations);
  return encodeCbor(map);
}

/**
 * Decodes a {@link TrustState} strictly: a record that does not decode exactly is
 * `ERR_KEYSTORE_CORRUPT`, never an empty state (which would reopen every rollback).
 */
export function decodeTrustState(bytes: Uint8Array): TrustState {
  let value: CborValue;
  try {
    value = decodeCbor(bytes, {
      requireDeterministic: true, rejectIntegralFloats: true, maxDepth: 3, maxMapEntries: 4,
      maxArrayEntries: MAX_TRUST_STATE_REVOCATIONS, maxItems: MAX_TRUST_STATE_REVOCATIONS * 4 + 8, maxStringBytes: MAX_STATE_KID_BYTES,
    });
  } catch (error) {
    throw stateCorrupt('is malformed', error);
  }
  if (!(value instanceof Map) || value.get(StateKey.version) !== TRUST_STATE_VERSION) throw stateCorrupt('is not a version 1 record');
  for (const label of value.keys()) {
    if (label !== StateKey.version && label !== StateKey.serial && label !== StateKey.digest && label !== StateKey.revocations) {
      throw stateCorrupt('holds an unknown field');
    }
  }
  let document: TrustState['document'];
  const serial = value.get(StateKey.serial);
  const digest = value.get(StateKey.digest);
  if (serial !== undefined || digest !== undefined) {
    if (!((typeof serial === 'number' && Number.isSafeInteger(serial) && serial >= 0) || (typeof serial === 'bigint' && serial >= 0n && serial < TWO_64))) {
      throw stateCorrupt('serial must be an unsigned integer below 2^64');
    }
    if (!(digest instanceof Uint8Array) || digest.length !== 32) throw stateCorrupt('digest must be 32 bytes');
    document = { serial: BigInt(serial), digest };
  }
  const list = value.get(StateKey.revocations);
  if (!Array.isArray(list)) throw stateCorrupt('revocations must be an array');
  const revocations = list.map((item) => {
    if (!Array.isArray(item) || item.length < 2 || item.length > 3) throw stateCorrupt('a revocation is [kid, at, reason?]');
    const [kid, at, reason] = item;
    if (!(kid instanceof Uint8Array) || kid.length === 0) throw stateCorrupt('a revoked kid must be a non-empty byte string');
    if (!isSeconds(at)) throw stateCorrupt('a revocation time must be an unsigned integer');
    if (item.length === 3 && !isWellFormedText(reason)) throw stateCorrupt('a revocation reason must be a text of 1 to 256 characters');
    return { kid, at, reason: item.length === 3 ? (reason as string) : undefined };
  });
  return { document, revocations };
}
