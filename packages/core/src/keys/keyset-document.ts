/*
 * The keyset document that Keyset.toDocument() writes and Keyset.fromDocument() reads: its CBOR
 * field table, the encoder, the strict decoder of the plaintext map (shapes, limits, states
 * that fit the purpose), the COSE_Encrypt0 wrapping under a key-encryption key, and
 * keysetDocumentRevision. The Keyset class (keyset.ts) owns the lifecycle; this file owns the
 * bytes and the vocabulary they record (purposes, states, key metadata).
 */
import type { AeadKey, CryptoBackend, KeyAlgorithm } from '../backend/crypto-backend.js';
import type { CborValue } from '../cbor/index.js';
import { decodeCbor, encodeCbor } from '../cbor/index.js';
import { decryptEncrypt0, createEncrypt0 } from '../cose/encrypt0.js';
import { HeaderLabel } from '../cose/headers.js';
import { ArgumentError, KeyError } from '../errors.js';
import { toHex } from '../bytes.js';
import type { CoseKey } from '../cose/cose-key.js';
import { decodeCoseKeyValue, encodeCoseKeyValue } from './cose-key.js';

/**
 * What a keyset's keys are for. One keyset holds keys of one purpose:
 *
 * - `sign`: a producer's signing keys (Ed25519, ECDSA P-256). The primary signs.
 * - `recipient`: a reader's key-agreement keys (X25519, ECDH P-256). Producers seal to the
 *   primary's public key; older keys still open older envelopes.
 * - `shared`: content keys for single-key envelopes (AES-GCM, ChaCha20-Poly1305). The primary seals.
 * - `wrap`: key-encryption keys for symmetric recipients (AES-KW).
 */
export type KeysetPurpose = 'sign' | 'recipient' | 'shared' | 'wrap';

/**
 * A key's lifecycle state.
 *
 * | state | seals / signs | opens / verifies | material |
 * | --- | --- | --- | --- |
 * | `active` (the primary) | yes | yes | kept |
 * | `decrypt-only` (`verify-only` for signing keys) | no | yes | kept |
 * | `revoked` | no | no (refused, with the revocation time) | kept until destroyed |
 * | `destroyed` | no | no: data under it is crypto-shredded | erased |
 */
export type KeyState = 'active' | 'decrypt-only' | 'verify-only' | 'revoked' | 'destroyed';

/** A key of a keyset, as metadata (never material). */
export interface KeysetKeyInfo {
  /** The key id: the RFC 9679 thumbprint of the key's COSE_Key. */
  readonly kid: Uint8Array;
  /** The backend algorithm. */
  readonly algorithm: KeyAlgorithm;
  /** Key size in bytes. */
  readonly size: number;
  /** The lifecycle state. */
  readonly state: KeyState;
  /** Whether it is the primary (then `state` is `active`). */
  readonly primary: boolean;
  /** When it was created, seconds since the epoch. */
  readonly createdAt: number;
  /** When it became primary. */
  readonly activatedAt?: number;
  /** When it stepped down to decrypt-only / verify-only. */
  readonly retiredAt?: number;
  /** When it was revoked. */
  readonly revokedAt?: number;
  /** Why it was revoked. */
  readonly revocationReason?: string;
  /** When its material was erased. */
  readonly destroyedAt?: number;
  /** Seals or signatures counted against it. */
  readonly uses: number;
}

/** The backend algorithms each purpose's keys may use. Internal to keys/. */
export const PURPOSE_ALGORITHMS: Readonly<Record<KeysetPurpose, readonly KeyAlgorithm[]>> = {
  sign: ['Ed25519', 'ECDSA-P256'],
  recipient: ['X25519', 'ECDH-P256'],
  shared: ['AES-GCM', 'ChaCha20-Poly1305'],
  wrap: ['AES-KW'],
};
/** The purposes a keyset may have. Internal to keys/. */
export const PURPOSES: ReadonlySet<string> = new Set(['sign', 'recipient', 'shared', 'wrap']);
const STATES: ReadonlySet<string> = new Set(['active', 'decrypt-only', 'verify-only', 'revoked', 'destroyed']);
const ALGORITHMS: ReadonlySet<string> = new Set(Object.values(PURPOSE_ALGORITHMS).flat());

/* Resource exhaustion: document limits, checked before allocating (the CBOR decoder enforces them). */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** The most keys (entries, tombstones included) one keyset holds. Internal to keys/. */
export const MAX_KEYS = 4096;
/** The longest revocation reason, in UTF-16 code units. Internal to keys/. */
export const MAX_REASON_LENGTH = 1024;
const DOCUMENT_VERSION = 1;
const KEYSET_CONTENT_TYPE = 'application/ward-keyset+cbor';
/* Cross-protocol substitution: binds the encrypted document to its role, so no other Encrypt0
 * under the same KEK passes as a keyset (RFC 9052 §5.3 external AAD). */
const KEYSET_AAD = new TextEncoder().encode('Ward keyset v1');

/** Document map labels. */
const D = { version: 1, purpose: 2, primary: 3, policy: 4, keys: 5, entries: 6, revision: 7 } as const;
const P = { maxAgeSeconds: 1, maxUses: 2 } as const;
const E = {
  kid: 1, algorithm: 2, size: 3, state: 4, createdAt: 5, activatedAt: 6, retiredAt: 7, revokedAt: 8, reason: 9,
  destroyedAt: 10, uses: 11,
} as const;

/** What a keyset document holds, as {@link encodeKeysetDocument} takes it and {@link decodeKeysetDocument} returns it. Internal to keys/. */
export interface KeysetDocumentContent {
  readonly purpose: KeysetPurpose;
  /** The rotation policy as recorded; the decoder checks only its shape, the Keyset its values. */
  readonly policy: { readonly maxAgeSeconds?: number; readonly maxUses?: number };
  /** The primary's kid, or null. */
  readonly primary: Uint8Array | null;
  /** The COSE_Keys of the keys that still have material, each carrying its kid (a COSE_KeySet, RFC 9052 §7). */
  readonly keys: readonly CoseKey[];
  /** Every key's metadata, destroyed keys' tombstones too; `primary` is not recorded (read as false). */
  readonly entries: readonly KeysetKeyInfo[];
  readonly revision: number;
}

/** `ERR_KEYSET_INVALID`. Internal to keys/. */
export function keysetInvalid(message: string, cause?: unknown): KeyError {
  return new KeyError('ERR_KEYSET_INVALID', message, cause === undefined ? undefined : { cause });
}
const invalid = keysetInvalid;

/** The plaintext document: a deterministic CBOR map (RFC 8949 §4.2.1). It holds private keys. Internal to keys/. */
export function encodeKeysetDocument(content: KeysetDocumentContent): Uint8Array {
  const entries = content.entries.map((info) => {
    const map = new Map<CborValue, CborValue>([
      [E.kid, info.kid], [E.algorithm, info.algorithm], [E.size, info.size], [E.state, info.state],
      [E.createdAt, info.createdAt], [E.uses, info.uses],
    ]);
    if (info.activatedAt !== undefined) map.set(E.activatedAt, info.activatedAt);
    if (info.retiredAt !== undefined) map.set(E.retiredAt, info.retiredAt);
    if (info.revokedAt !== undefined) map.set(E.revokedAt, info.revokedAt);
    if (info.revocationReason !== undefined) map.set(E.reason, info.revocationReason);
    if (info.destroyedAt !== undefined) map.set(E.destroyedAt, info.destroyedAt);
    return map;
  });
  const policy = new Map<CborValue, CborValue>();
  if (content.policy.maxAgeSeconds !== undefined) policy.set(P.maxAgeSeconds, content.policy.maxAgeSeconds);
  if (content.policy.maxUses !== undefined) policy.set(P.maxUses, content.policy.maxUses);
  return encodeCbor(new Map<CborValue, CborValue>([
    [D.version, DOCUMENT_VERSION], [D.purpose, content.purpose],
    [D.primary, content.primary],
    [D.policy, policy], [D.keys, content.keys.map(encodeCoseKeyValue)], [D.entries, entries], [D.revision, content.revision],
  ]));
}

/**
 * Seals a plaintext document in a COSE_Encrypt0 (RFC 9052 §5.2) under `kek`, with Ward's
 * content type and external AAD, and zeroes the plaintext. Internal to keys/.
 */
export async function sealKeysetDocument(
  document: Uint8Array,
  kek: { readonly key: AeadKey; readonly kid?: Uint8Array },
  backend: CryptoBackend,
): Promise<Uint8Array> {
  try {
    return await createEncrypt0(document, {
      backend, key: kek.key, ...(kek.kid === undefined ? {} : { kid: kek.kid }),
      protectedHeader: new Map([[HeaderLabel.contentType, KEYSET_CONTENT_TYPE]]), externalAad: KEYSET_AAD,
    });
  } finally {
    document.fill(0);
  }
}

/**
 * The plaintext of a stored document: `document` itself when no KEK is given, else the opened
 * COSE_Encrypt0 (a fresh buffer the caller zeroes). Internal to keys/.
 */
export async function openKeysetDocument(document: Uint8Array, kek: AeadKey | undefined, backend: CryptoBackend): Promise<Uint8Array> {
  /* Downgrade: tag 16 = COSE_Encrypt0 (0xd0); a plaintext document is a map. Refuse the mismatch
   * both ways: a swapped-in plaintext keyset must not load where an encrypted one is expected. */
  const encrypted = document[0] === 0xd0;
  if (kek !== undefined && !encrypted) throw invalid('expected an encrypted keyset document');
  if (kek === undefined && encrypted) throw invalid('the keyset document is encrypted: pass its kek');
  if (kek === undefined) return document;
  const opened = await decryptEncrypt0(document, { backend, key: kek, externalAad: KEYSET_AAD, maxBytes: MAX_DOCUMENT_BYTES + 1024 });
  /* Cross-protocol substitution: another Ward document under the same KEK is not a keyset. */
  if (opened.protectedHeader.get(HeaderLabel.contentType) !== KEYSET_CONTENT_TYPE) {
    opened.plaintext.fill(0);
    throw invalid('the encrypted document is not a Ward keyset');
  }
  return opened.plaintext;
}

function decodeDocumentMap(bytes: Uint8Array): CborValue {
  return decodeCbor(bytes, { maxBytes: MAX_DOCUMENT_BYTES, maxArrayEntries: MAX_KEYS, maxItems: MAX_KEYS * 64, rejectIntegralFloats: true });
}

/**
 * Decodes a plaintext document strictly: known labels only, a known version and purpose, a
 * policy map of known fields, a COSE_KeySet whose keys carry distinct kids, entries whose
 * fields, states and times are consistent and fit the purpose, distinct entry kids. What ties
 * keys to entries (material, the primary, key_ops, thumbprints) the Keyset checks. Throws
 * `ERR_KEYSET_INVALID`, or the CBOR / COSE_Key error it met. Internal to keys/.
 */
export function decodeKeysetDocument(bytes: Uint8Array): KeysetDocumentContent {
  const value = decodeDocumentMap(bytes);
  if (!(value instanceof Map)) throw invalid('a keyset document is a CBOR map');
  for (const label of value.keys()) if (!Object.values(D).includes(label as never)) throw invalid('unknown field in keyset document');
  if (value.get(D.version) !== DOCUMENT_VERSION) throw invalid('unsupported keyset document version');
  const purpose = value.get(D.purpose);
  if (typeof purpose !== 'string' || !PURPOSES.has(purpose)) throw invalid('unknown keyset purpose');
  const policyValue = value.get(D.policy);
  if (!(policyValue instanceof Map)) throw invalid('policy must be a map');
  for (const label of policyValue.keys()) if (label !== P.maxAgeSeconds && label !== P.maxUses) throw invalid('unknown policy field');
  const policy = {
    ...(policyValue.has(P.maxAgeSeconds) ? { maxAgeSeconds: policyValue.get(P.maxAgeSeconds) as number } : {}),
    ...(policyValue.has(P.maxUses) ? { maxUses: policyValue.get(P.maxUses) as number } : {}),
  };
  const revision = revisionOf(value);
  const keys = value.get(D.keys);
  const entries = value.get(D.entries);
  if (!Array.isArray(keys) || !Array.isArray(entries)) throw invalid('keys and entries must be arrays');
  if (entries.length === 0) throw invalid('a keyset holds at least one key');
  const kids = new Set<string>();
  const coseKeys = keys.map((raw) => {
    const coseKey = decodeCoseKeyValue(raw);
    if (coseKey.kid === undefined) throw invalid('every stored key carries its kid');
    const id = toHex(coseKey.kid);
    if (kids.has(id)) throw invalid('two stored keys share a kid');
    kids.add(id);
    return coseKey;
  });
  const primary = value.get(D.primary);
  if (primary !== null && !(primary instanceof Uint8Array)) throw invalid('primary must be a kid or null');
  const entryKids = new Set<string>();
  const infos = entries.map((raw) => {
    const info = decodeEntry(raw, purpose as KeysetPurpose);
    const id = toHex(info.kid);
    if (entryKids.has(id)) throw invalid('two entries share a kid');
    entryKids.add(id);
    return info;
  });
  return { purpose: purpose as KeysetPurpose, policy, primary, keys: coseKeys, entries: infos, revision };
}

/** A document's revision: a non-negative safe integer; absent (documents written before revisions existed) reads as 0. */
function revisionOf(document: Map<CborValue, CborValue>): number {
  if (!document.has(D.revision)) return 0;
  const revision = document.get(D.revision);
  /* Rollback (see Keyset.fromDocument minRevision): a revision must be a number one can compare. */
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) throw invalid('revision must be a non-negative integer');
  return revision;
}

/**
 * The revision of a plaintext keyset document ({@link Keyset.revision}), read without
 * importing its keys: for a store that keeps its documents decrypted in memory and needs
 * their revisions (a file keystore catching up its high-water marks). A document written
 * before revisions existed reads as 0.
 *
 * @param document - a plaintext keyset document
 * @returns its revision
 * @throws {@link KeyError} `ERR_KEYSET_INVALID` for bytes that are not a plaintext keyset
 *   document of a known version, or a malformed revision
 * @example
 * ```ts
 * import { keysetDocumentRevision } from '@ward/core/keys';
 *
 * keysetDocumentRevision(await keyset.toDocument()); // keyset.revision
 * ```
 */
export function keysetDocumentRevision(document: Uint8Array): number {
  if (!(document instanceof Uint8Array)) throw new ArgumentError('document must be a Uint8Array');
  let value: CborValue;
  try {
    value = decodeDocumentMap(document);
  } catch (error) {
    throw invalid('malformed keyset document', error);
  }
  if (!(value instanceof Map) || value.get(D.version) !== DOCUMENT_VERSION) throw invalid('not a plaintext keyset document');
  return revisionOf(value);
}

function optionalTime(map: Map<CborValue, CborValue>, label: number): number | undefined {
  if (!map.has(label)) return undefined;
  const value = map.get(label);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid('times are non-negative integers');
  return value;
}

function decodeEntry(raw: CborValue, purpose: KeysetPurpose): KeysetKeyInfo {
  if (!(raw instanceof Map)) throw invalid('an entry is a map');
  for (const label of raw.keys()) if (!Object.values(E).includes(label as never)) throw invalid('unknown entry field');
  const kid = raw.get(E.kid);
  const algorithm = raw.get(E.algorithm);
  const size = raw.get(E.size);
  const state = raw.get(E.state);
  const uses = raw.get(E.uses);
  const createdAt = optionalTime(raw, E.createdAt);
  if (!(kid instanceof Uint8Array) || kid.length !== 32) throw invalid('kid must be a 32-byte thumbprint');
  if (typeof algorithm !== 'string' || !ALGORITHMS.has(algorithm) || !PURPOSE_ALGORITHMS[purpose].includes(algorithm as KeyAlgorithm)) {
    throw invalid('entry algorithm does not fit the keyset purpose');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 16 || size > 32) throw invalid('bad key size');
  if (typeof state !== 'string' || !STATES.has(state)) throw invalid('unknown key state');
  /* verify-only belongs to signing keys, decrypt-only to every other purpose. */
  if ((state === 'verify-only' && purpose !== 'sign') || (state === 'decrypt-only' && purpose === 'sign')) throw invalid('state does not fit the purpose');
  if (typeof uses !== 'number' || !Number.isSafeInteger(uses) || uses < 0) throw invalid('uses must be a non-negative integer');
  if (createdAt === undefined) throw invalid('entry has no createdAt');
  const reason = raw.get(E.reason);
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH)) throw invalid('bad revocation reason');
  const revokedAt = optionalTime(raw, E.revokedAt);
  const destroyedAt = optionalTime(raw, E.destroyedAt);
  const activatedAt = optionalTime(raw, E.activatedAt);
  const retiredAt = optionalTime(raw, E.retiredAt);
  if (state === 'revoked' && revokedAt === undefined) throw invalid('a revoked key has no revocation time');
  if (state === 'destroyed' && destroyedAt === undefined) throw invalid('a destroyed key has no destruction time');
  if (state !== 'destroyed' && destroyedAt !== undefined) throw invalid('only destroyed keys have a destruction time');
  return {
    kid, algorithm: algorithm as KeyAlgorithm, size, state: state as KeyState, primary: false, createdAt, uses,
    ...(activatedAt === undefined ? {} : { activatedAt }),
    ...(retiredAt === undefined ? {} : { retiredAt }),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    ...(typeof reason === 'string' ? { revocationReason: reason } : {}),
    ...(destroyedAt === undefined ? {} : { destroyedAt }),
  };
}
