/*
 * Keysets: one primary key plus older keys, each in a lifecycle state, with a rotation policy
 * (in the spirit of Tink's keysets and NIST SP 800-57 Part 1 §5.3 key states).
 *
 *   active ──rotate/retire──▶ decrypt-only | verify-only ──revoke──▶ revoked ──destroy──▶ destroyed
 *      │                                │                                              ▲
 *      └───────────────revoke───────────┴──────────────────destroy─────────────────────┘
 *
 * Destroyed is terminal: the material is erased (backend.destroyKey) and only a tombstone (kid,
 * times) stays, so an envelope under it reports ERR_KEY_DESTROYED instead of "unknown key".
 */
import type {
  AeadKey, AgreementPrivateKey, AgreementPublicKey, CryptoBackend, KeyAlgorithm, KeyHandle, MaybePromise, SigningKey,
  WrappingKey,
} from '../backend/crypto-backend.js';
import { settle } from '../backend/crypto-backend.js';
import type { CborValue } from '../cbor/index.js';
import { decodeCbor, encodeCbor } from '../cbor/index.js';
import { decryptEncrypt0, createEncrypt0 } from '../cose/encrypt0.js';
import type { KeyAgreementRecipient, KeyWrapRecipient, RecipientKey, RecipientLookup } from '../cose/encrypt.js';
import { HeaderLabel } from '../cose/headers.js';
import type { KeyLookup } from '../cose/key-lookup.js';
import { ArgumentError, KeyError, KeyStoreError, WardError } from '../errors.js';
import { assertBytes, checkBackendOption, checkBackendOptions } from '../backend/validate.js';
import type { CoseKey, CoseKeyOpValue } from './cose-key.js';
import { CoseKeyOp, coseKeyFromHandle, coseKeyThumbprint, decodeCoseKeyValue, encodeCoseKeyValue, importCoseKey } from './cose-key.js';
import { toHex } from '../bytes.js';

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

/**
 * When the primary must be replaced. Ward checks both on every {@link Keyset.signer} /
 * {@link Keyset.sharedKey} call and refuses with `ERR_KEY_LIMIT_REACHED` once a limit is hit;
 * {@link Keyset.rotationDue} tells ahead of time.
 */
export interface RotationPolicy {
  /** Seconds a key may stay primary. Default: no limit. */
  readonly maxAgeSeconds?: number;
  /**
   * Seals or signatures per key. For AES-GCM and ChaCha20-Poly1305 `shared` keys, which take a
   * random 96-bit nonce per message, the default is {@link DEFAULT_RANDOM_NONCE_USE_LIMIT} and
   * the ceiling {@link RANDOM_NONCE_USE_LIMIT}. Default for other purposes: no limit.
   */
  readonly maxUses?: number;
}

/**
 * NIST SP 800-38D §8.3: with random 96-bit IVs, one AES-GCM key may be used for at most 2^32
 * encryptions, which keeps the chance of an IV collision (which would leak the GHASH key and
 * XOR of plaintexts) below 2^-32. ChaCha20-Poly1305 with random 96-bit nonces has the same
 * birthday bound, so Ward applies the same ceiling to it.
 */
export const RANDOM_NONCE_USE_LIMIT = 2 ** 32;

/**
 * Ward's default use limit for random-nonce `shared` keys: half the NIST ceiling. Use counts
 * live in memory and reach storage when the keyset is saved, so a keyset saved by hand can
 * forget the uses since its last save in a crash; the margin keeps even a badly under-counted
 * key below 2^32. A {@link StoredKeyset} never under-counts (it saves use reservations first).
 */
export const DEFAULT_RANDOM_NONCE_USE_LIMIT = 2 ** 31;

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

/** Options of {@link Keyset.generate}. */
export interface GenerateKeysetOptions {
  /** What the keys are for. */
  readonly purpose: KeysetPurpose;
  /**
   * The algorithm of the first (and, unless {@link Keyset.rotate} says otherwise, every) key.
   * Defaults: sign Ed25519, recipient X25519, shared AES-GCM, wrap AES-KW.
   */
  readonly algorithm?: KeyAlgorithm;
  /** Key size in bytes for AES keys (16, 24 or 32). Default 32. */
  readonly size?: number;
  /** The rotation policy. */
  readonly policy?: RotationPolicy;
  /** The clock, seconds since the epoch. Default: the system clock. */
  readonly now?: () => number;
}

/** A key-encryption key for a keyset document (see {@link Keyset.toDocument}). */
export interface KeysetEncryptionKey {
  /** An AES-GCM or ChaCha20-Poly1305 key. */
  readonly key: AeadKey;
  /** Its id, recorded so the right KEK can be found; it is not secret. */
  readonly kid?: Uint8Array;
}

/** Options of {@link Keyset.fromDocument}. */
export interface KeysetFromDocumentOptions {
  /** The backend to import the keys into. */
  readonly backend: CryptoBackend;
  /**
   * The key-encryption key. When given, the document must be encrypted under it: a plaintext
   * document is refused, so a swapped-in unencrypted keyset cannot slip past. When absent, the
   * document must be plaintext.
   */
  readonly kek?: AeadKey;
  /** The clock, seconds since the epoch. Default: the system clock. */
  readonly now?: () => number;
  /**
   * The lowest revision to accept (see {@link Keyset.revision}): a document whose revision is
   * below it is refused with `KeyStoreError` `ERR_KEYSTORE_ROLLBACK`. Pass the highest
   * revision you have saved or loaded under this name, so an older copy of the document (from
   * before a revocation, say) cannot come back. Default 0 (any).
   */
  readonly minRevision?: number;
}

/** Options of {@link Keyset.toDocument}. */
export interface KeysetToDocumentOptions {
  /** The key-encryption key to encrypt under. Default: plaintext. */
  readonly kek?: KeysetEncryptionKey;
  /**
   * The document's revision will be above this one (and above every revision this keyset
   * wrote or was loaded from). A store passes the highest revision it holds under the name,
   * so a keyset saved over another one still moves the name forward. Default 0.
   */
  readonly revisionAbove?: number;
}

/** What a reader or sealer hands to `openEnvelope()` / `sealEnvelope()` for a keyset's keys. */
export type KeysetRecipientKey = (lookup: RecipientLookup) => MaybePromise<RecipientKey | undefined>;

const PURPOSE_ALGORITHMS: Readonly<Record<KeysetPurpose, readonly KeyAlgorithm[]>> = {
  sign: ['Ed25519', 'ECDSA-P256'],
  recipient: ['X25519', 'ECDH-P256'],
  shared: ['AES-GCM', 'ChaCha20-Poly1305'],
  wrap: ['AES-KW'],
};
const DEFAULT_ALGORITHM: Readonly<Record<KeysetPurpose, KeyAlgorithm>> = {
  sign: 'Ed25519', recipient: 'X25519', shared: 'AES-GCM', wrap: 'AES-KW',
};
/** RFC 9052 §7.1 key_ops each purpose's keys need: the primary's use, then the older keys' use. */
const PURPOSE_OPS: Readonly<Record<KeysetPurpose, { readonly seal: CoseKeyOpValue; readonly open: CoseKeyOpValue }>> = {
  sign: { seal: CoseKeyOp.sign, open: CoseKeyOp.verify },
  recipient: { seal: CoseKeyOp.deriveBits, open: CoseKeyOp.deriveBits },
  shared: { seal: CoseKeyOp.encrypt, open: CoseKeyOp.decrypt },
  wrap: { seal: CoseKeyOp.wrapKey, open: CoseKeyOp.unwrapKey },
};
const STATES: ReadonlySet<string> = new Set(['active', 'decrypt-only', 'verify-only', 'revoked', 'destroyed']);
const PURPOSES: ReadonlySet<string> = new Set(['sign', 'recipient', 'shared', 'wrap']);
const ALGORITHMS: ReadonlySet<string> = new Set(Object.values(PURPOSE_ALGORITHMS).flat());

/** Document limits, checked before allocating (the CBOR decoder enforces them). */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
const MAX_KEYS = 4096;
const MAX_REASON_LENGTH = 1024;
const DOCUMENT_VERSION = 1;
const KEYSET_CONTENT_TYPE = 'application/ward-keyset+cbor';
/* Binds the encrypted document to its role, so no other Encrypt0 under the same KEK passes as a keyset. */
const KEYSET_AAD = new TextEncoder().encode('Ward keyset v1');

/** Document map labels. */
const D = { version: 1, purpose: 2, primary: 3, policy: 4, keys: 5, entries: 6, revision: 7 } as const;
const P = { maxAgeSeconds: 1, maxUses: 2 } as const;
const E = {
  kid: 1, algorithm: 2, size: 3, state: 4, createdAt: 5, activatedAt: 6, retiredAt: 7, revokedAt: 8, reason: 9,
  destroyedAt: 10, uses: 11,
} as const;

interface Entry {
  info: KeysetKeyInfo;
  /** The key; undefined once destroyed. */
  key: KeyHandle | undefined;
  /** key_ops recorded on the stored COSE_Key, if any (RFC 9052 §7.1), enforced on use. */
  keyOps: readonly CoseKeyOpValue[] | undefined;
  /** For recipient keys: the public key producers seal to. */
  publicKey?: AgreementPublicKey;
  /** Uses reserved through this count by {@link Keyset.reserveUses}: documents record at least this many. */
  reservedThrough?: number;
}

function systemNow(): number {
  return Math.floor(Date.now() / 1000);
}

function invalid(message: string, cause?: unknown): KeyError {
  return new KeyError('ERR_KEYSET_INVALID', message, cause === undefined ? undefined : { cause });
}

function checkTime(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ArgumentError(`${name} must be a non-negative integer number of seconds`);
  return value;
}

function checkPolicy(policy: RotationPolicy | undefined, purpose: KeysetPurpose): RotationPolicy {
  if (policy === undefined) return {};
  if (typeof policy !== 'object' || policy === null) throw new ArgumentError('policy must be an object');
  const out: { maxAgeSeconds?: number; maxUses?: number } = {};
  if (policy.maxAgeSeconds !== undefined) {
    if (!Number.isSafeInteger(policy.maxAgeSeconds) || policy.maxAgeSeconds < 1) throw new ArgumentError('policy.maxAgeSeconds must be a positive integer');
    out.maxAgeSeconds = policy.maxAgeSeconds;
  }
  if (policy.maxUses !== undefined) {
    if (!Number.isSafeInteger(policy.maxUses) || policy.maxUses < 1) throw new ArgumentError('policy.maxUses must be a positive integer');
    /* NIST SP 800-38D §8.3: no policy may lift a random-nonce key past 2^32 uses. */
    if (purpose === 'shared' && policy.maxUses > RANDOM_NONCE_USE_LIMIT) {
      throw new ArgumentError(`policy.maxUses may not exceed 2^32 for random-nonce AEAD keys (NIST SP 800-38D §8.3)`);
    }
    out.maxUses = policy.maxUses;
  }
  return Object.freeze(out);
}

function checkAlgorithm(purpose: KeysetPurpose, algorithm: unknown): KeyAlgorithm {
  if (!PURPOSE_ALGORITHMS[purpose].includes(algorithm as KeyAlgorithm)) {
    throw new ArgumentError(`a ${purpose} keyset holds ${PURPOSE_ALGORITHMS[purpose].join(' or ')} keys, not ${String(algorithm)}`);
  }
  return algorithm as KeyAlgorithm;
}

function sizeOf(algorithm: KeyAlgorithm, size: number | undefined): number | undefined {
  if (algorithm === 'AES-GCM' || algorithm === 'AES-KW') {
    const chosen = size ?? 32;
    if (chosen !== 16 && chosen !== 24 && chosen !== 32) throw new ArgumentError('AES keys are 16, 24 or 32 bytes');
    return chosen;
  }
  if (size !== undefined && size !== 32) throw new ArgumentError(`${algorithm} keys are 32 bytes`);
  return undefined;
}

function freezeInfo(info: KeysetKeyInfo): KeysetKeyInfo {
  return Object.freeze({ ...info, kid: info.kid.slice() });
}

/**
 * A set of keys of one purpose with one primary, lifecycle states and a rotation policy.
 * Keys are identified by their RFC 9679 thumbprint. Private and secret material never leaves
 * the backend except through {@link Keyset.toDocument}, which callers should encrypt under a
 * key-encryption key (or keep in an encrypted keystore).
 *
 * Use counts (for the rotation policy) are kept in memory and saved with the document: save
 * the keyset after rotating, and before sealing with a new primary, so no key that sealed
 * data can be lost. {@link StoredKeyset} does both for you, and also saves use reservations
 * ahead of the uses, so a crash never loses count.
 *
 * @example
 * ```ts
 * import { Keyset, openEnvelope, sealEnvelope } from '@ward/core';
 *
 * const readers = await Keyset.generate(backend, { purpose: 'recipient' }); // X25519
 * const envelope = await sealEnvelope(reading, { backend, signer, recipients: [await readers.recipient()], claims, attributes });
 * await readers.rotate();                                   // new primary; the old key becomes decrypt-only
 * await openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey() }); // still opens
 * ```
 */
export class Keyset {
  readonly #backend: CryptoBackend;
  readonly #purpose: KeysetPurpose;
  readonly #policy: RotationPolicy;
  readonly #now: () => number;
  /** By hex kid, in creation order. */
  readonly #entries = new Map<string, Entry>();
  #primary: string | undefined;
  /** The revision of the last document written or read (0 for a keyset never serialised). */
  #revision = 0;

  private constructor(backend: CryptoBackend, purpose: KeysetPurpose, policy: RotationPolicy, now: () => number) {
    this.#backend = backend;
    this.#purpose = purpose;
    this.#policy = policy;
    this.#now = now;
  }

  /**
   * Creates a keyset with one freshly generated primary key. Keys are generated extractable so
   * the keyset can be saved; they leave the backend only through {@link Keyset.toDocument}.
   *
   * @param backend - the backend that generates and holds the keys
   * @param options - purpose, algorithm, AES key size, rotation policy, clock
   * @returns the keyset
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for an algorithm that does not fit
   *   the purpose, a bad size or a bad policy (for example more than 2^32 uses of an AES-GCM key)
   * @example
   * ```ts
   * import { Keyset } from '@ward/core';
   *
   * const signing = await Keyset.generate(backend, { purpose: 'sign', policy: { maxAgeSeconds: 90 * 86400 } });
   * const shared = await Keyset.generate(backend, { purpose: 'shared', algorithm: 'ChaCha20-Poly1305' });
   * ```
   */
  static async generate(backend: CryptoBackend, options: GenerateKeysetOptions): Promise<Keyset> {
    checkBackendOption(backend, 'Keyset.generate() backend');
    if (typeof options !== 'object' || options === null || !PURPOSES.has(options.purpose)) {
      throw new ArgumentError("options.purpose must be 'sign', 'recipient', 'shared' or 'wrap'");
    }
    const { purpose } = options;
    const algorithm = checkAlgorithm(purpose, options.algorithm ?? DEFAULT_ALGORITHM[purpose]);
    const keyset = new Keyset(backend, purpose, checkPolicy(options.policy, purpose), options.now ?? systemNow);
    await keyset.#addGenerated(algorithm, options.size);
    return keyset;
  }

  /** The purpose of every key in this keyset. */
  get purpose(): KeysetPurpose {
    return this.#purpose;
  }

  /** The rotation policy. */
  get policy(): RotationPolicy {
    return this.#policy;
  }

  /**
   * The revision of the document this keyset was last written to or read from: 0 for a fresh
   * keyset, and strictly increasing with every {@link Keyset.toDocument}. The revision is
   * inside the document (under a KEK, inside what the AEAD authenticates), so it cannot be
   * edited; readers refuse to go back with {@link KeysetFromDocumentOptions.minRevision}.
   */
  get revision(): number {
    return this.#revision;
  }

  /** The primary key's id, or undefined when there is no primary (after revoking or destroying it). */
  get primaryKid(): Uint8Array | undefined {
    return this.#primary === undefined ? undefined : this.#entries.get(this.#primary)!.info.kid.slice();
  }

  /**
   * Every key's metadata, oldest first (destroyed keys included, as tombstones).
   *
   * @returns frozen metadata objects
   * @example
   * ```ts
   * for (const key of keyset.keys()) console.log(key.state, key.uses);
   * ```
   */
  keys(): readonly KeysetKeyInfo[] {
    return [...this.#entries.values()].map((entry) => entry.info);
  }

  /**
   * One key's metadata.
   *
   * @param kid - the key id
   * @returns the metadata, or undefined for a kid this keyset never held
   * @example
   * ```ts
   * const state = keyset.get(kid)?.state; // 'active', 'decrypt-only', …
   * ```
   */
  get(kid: Uint8Array): KeysetKeyInfo | undefined {
    assertBytes(kid, 'kid');
    return this.#entries.get(toHex(kid))?.info;
  }

  /**
   * Makes a new primary key; the old primary steps down to decrypt-only (verify-only for
   * signing keys) and keeps opening the data it sealed. Save the keyset before sealing with
   * the new primary.
   *
   * @param options - the new key's algorithm and size; default: those of the current primary
   *   (else the purpose's default)
   * @returns the new primary's metadata
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for an algorithm that does not fit the purpose
   * @example
   * ```ts
   * const next = await keyset.rotate();
   * await keystore.save('city-readers', keyset); // before any seal under next.kid
   * ```
   */
  async rotate(options?: { readonly algorithm?: KeyAlgorithm; readonly size?: number }): Promise<KeysetKeyInfo> {
    const current = this.#primary === undefined ? undefined : this.#entries.get(this.#primary)!.info;
    const algorithm = checkAlgorithm(this.#purpose, options?.algorithm ?? current?.algorithm ?? DEFAULT_ALGORITHM[this.#purpose]);
    const size = options?.size ?? (options?.algorithm === undefined ? current?.size : undefined);
    sizeOf(algorithm, size);
    return this.#addGenerated(algorithm, size);
  }

  /**
   * Steps a key down to decrypt-only (verify-only for signing keys): it opens what it sealed
   * but seals nothing new (NIST SP 800-57's "deactivated"). Retiring the primary leaves the
   * keyset without one until the next {@link Keyset.rotate}.
   *
   * @param kid - the key id
   * @returns the key's new metadata
   * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` for an unknown kid; `ERR_KEY_REVOKED` or
   *   `ERR_KEY_DESTROYED` for a key past that state
   * @example
   * ```ts
   * keyset.retire(compromisedDeviceKid);
   * ```
   */
  retire(kid: Uint8Array): KeysetKeyInfo {
    const id = this.#find(kid);
    return this.#retire(id);
  }

  /**
   * Revokes a key: from now on it neither seals nor opens (`ERR_KEY_REVOKED`). The material is
   * kept until {@link Keyset.destroy}, for an investigation to decide. Revoking a revoked key
   * keeps the earlier time.
   *
   * @param kid - the key id
   * @param options - `at`: revocation time in seconds (default now); `reason`: a short text (≤ 1024 characters)
   * @returns the key's new metadata
   * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` for an unknown kid; `ERR_KEY_DESTROYED` for a destroyed key
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a bad time or reason
   * @example
   * ```ts
   * keyset.revoke(kid, { reason: 'device stolen' });
   * ```
   */
  revoke(kid: Uint8Array, options?: { readonly at?: number; readonly reason?: string }): KeysetKeyInfo {
    const id = this.#find(kid);
    const entry = this.#entries.get(id)!;
    const at = options?.at === undefined ? this.#now() : checkTime(options.at, 'options.at');
    const reason = options?.reason;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH)) {
      throw new ArgumentError(`reason must be a string of at most ${MAX_REASON_LENGTH} characters`);
    }
    if (entry.info.state === 'destroyed') throw new KeyError('ERR_KEY_DESTROYED', `key ${toHex(kid)} was destroyed`);
    if (entry.info.state === 'revoked') return entry.info;
    if (this.#primary === id) this.#primary = undefined;
    entry.info = freezeInfo({
      ...entry.info, state: 'revoked', primary: false, revokedAt: at, ...(reason === undefined ? {} : { revocationReason: reason }),
    });
    return entry.info;
  }

  /**
   * Destroys a key: asks the backend to erase its material (`backend.destroyKey`), drops it
   * from the keyset and keeps a tombstone, so envelopes under it are refused with
   * `ERR_KEY_DESTROYED`: they are crypto-shredded once no other copy of the key exists (older
   * saved documents or backups hold copies: replace them too). Irreversible.
   *
   * @param kid - the key id
   * @returns the tombstone's metadata
   * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` for an unknown kid
   * @example
   * ```ts
   * await keyset.destroy(kid);
   * await keystore.save('city-readers', keyset); // the stored copy loses the key too
   * ```
   */
  async destroy(kid: Uint8Array): Promise<KeysetKeyInfo> {
    const id = this.#find(kid);
    const entry = this.#entries.get(id)!;
    if (entry.info.state === 'destroyed') return entry.info;
    const { key } = entry;
    entry.key = undefined;
    if (this.#primary === id) this.#primary = undefined;
    entry.info = freezeInfo({ ...entry.info, state: 'destroyed', primary: false, destroyedAt: this.#now() });
    if (key !== undefined && this.#backend.destroyKey !== undefined) await settle(this.#backend.destroyKey(key));
    if (entry.publicKey !== undefined) delete entry.publicKey;
    return entry.info;
  }

  /**
   * Drops a destroyed key's tombstone. Afterwards envelopes under it are refused as sealed to
   * an unknown key rather than with `ERR_KEY_DESTROYED`. Keysets hold at most 4096 keys,
   * tombstones included, so long-lived keysets forget old tombstones.
   *
   * @param kid - the id of a destroyed key
   * @returns true when a tombstone was dropped
   * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` for an unknown kid; `ERR_KEY_USAGE` for a key that is not destroyed
   * @example
   * ```ts
   * for (const key of keyset.keys()) if (key.state === 'destroyed' && key.destroyedAt! < cutoff) keyset.forget(key.kid);
   * ```
   */
  forget(kid: Uint8Array): boolean {
    const id = this.#find(kid);
    if (this.#entries.get(id)!.info.state !== 'destroyed') throw new KeyError('ERR_KEY_USAGE', `key ${id} is not destroyed; destroy it first`);
    return this.#entries.delete(id);
  }

  /**
   * Whether the primary has reached its rotation policy's age or use limit (or there is no
   * primary). Check it on a schedule and rotate before sealing is refused.
   *
   * @returns `{ due: false }`, or `{ due: true, reason }` with `'age'`, `'uses'` or `'no-primary'`
   * @example
   * ```ts
   * if (keyset.rotationDue().due) { await keyset.rotate(); await keystore.save(name, keyset); }
   * ```
   */
  rotationDue(): { readonly due: false } | { readonly due: true; readonly reason: 'age' | 'uses' | 'no-primary' } {
    if (this.#primary === undefined) return { due: true, reason: 'no-primary' };
    const { info } = this.#entries.get(this.#primary)!;
    const limit = this.#limitReached(info);
    return limit === undefined ? { due: false } : { due: true, reason: limit };
  }

  /**
   * Reserves the primary's next `count` uses for a save: documents written from now on record
   * the primary's use count as at least its current count plus `count`, so a keyset reloaded
   * after a crash never counts fewer uses than were made, as long as no use goes past a
   * reservation that has not been saved yet. {@link StoredKeyset} does this for you: it saves a
   * reservation before handing out the uses it covers.
   *
   * @param count - uses to reserve, a positive integer
   * @returns the use count the reservation reaches
   * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` without a primary
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a count that is not a positive safe integer
   * @example
   * ```ts
   * keyset.reserveUses(65_536);
   * await keystore.save('zone-keys', keyset); // a crash from here on cannot under-count up to 65,536 seals
   * ```
   */
  reserveUses(count: number): number {
    if (!Number.isSafeInteger(count) || count < 1) throw new ArgumentError('count must be a positive safe integer');
    if (this.#primary === undefined) throw new KeyError('ERR_KEY_NOT_FOUND', 'this keyset has no primary key: rotate');
    const entry = this.#entries.get(this.#primary)!;
    entry.reservedThrough = Math.max(entry.reservedThrough ?? 0, entry.info.uses + count);
    return entry.reservedThrough;
  }

  /**
   * The primary signing key, for `sealEnvelope()`'s `signer`; counts one use.
   *
   * @returns the signing key and its kid
   * @throws {@link KeyError} `ERR_KEY_USAGE` unless this is a `sign` keyset (or the key's
   *   key_ops forbid signing); `ERR_KEY_NOT_FOUND` without a primary; `ERR_KEY_LIMIT_REACHED`
   *   past the rotation policy
   * @example
   * ```ts
   * const envelope = await sealEnvelope(reading, { backend, signer: signingKeys.signer(), recipients, claims, attributes });
   * ```
   */
  signer(): { readonly key: SigningKey; readonly kid: Uint8Array } {
    const entry = this.#usePrimary('sign');
    return { key: entry.key as SigningKey, kid: entry.info.kid.slice() };
  }

  /**
   * The primary shared content key, for `sealEnvelope()`'s `key` (single-key envelopes); counts one
   * use against the random-nonce limit. Call it once per seal.
   *
   * @returns the AEAD key and its kid
   * @throws {@link KeyError} `ERR_KEY_USAGE` unless this is a `shared` keyset; `ERR_KEY_NOT_FOUND`
   *   without a primary; `ERR_KEY_LIMIT_REACHED` past the rotation policy (by default 2^31 uses)
   * @example
   * ```ts
   * const envelope = await sealEnvelope(reading, { backend, signer, key: zoneKeys.sharedKey(), claims, attributes });
   * ```
   */
  sharedKey(): { readonly key: AeadKey; readonly kid: Uint8Array } {
    const entry = this.#usePrimary('shared');
    return { key: entry.key as AeadKey, kid: entry.info.kid.slice() };
  }

  /**
   * The primary as a recipient for `sealEnvelope()`'s `recipients`: its public key (recipient keysets)
   * or the KEK itself (wrap keysets), with its kid. Counts one use.
   *
   * @returns the recipient spec
   * @throws {@link KeyError} `ERR_KEY_USAGE` unless this is a `recipient` or `wrap` keyset;
   *   `ERR_KEY_NOT_FOUND` without a primary; `ERR_KEY_LIMIT_REACHED` past the rotation policy
   * @example
   * ```ts
   * const envelope = await sealEnvelope(reading, { backend, signer, recipients: [await analysts.recipient()], claims, attributes });
   * ```
   */
  async recipient(): Promise<KeyAgreementRecipient | KeyWrapRecipient> {
    if (this.#purpose !== 'recipient' && this.#purpose !== 'wrap') throw this.#wrongPurpose('recipient or wrap');
    const entry = this.#usePrimary(this.#purpose);
    if (this.#purpose === 'wrap') return { kek: entry.key as WrappingKey, kid: entry.info.kid.slice() };
    entry.publicKey ??= await settle(this.#backend.publicKey(entry.key as AgreementPrivateKey));
    return { publicKey: entry.publicKey, kid: entry.info.kid.slice() };
  }

  /**
   * The keys that may open data, as `openEnvelope()`'s `recipient` (recipient and wrap keysets): a
   * resolver that returns the key whose kid a recipient structure names, when it is active or
   * decrypt-only. Revoked and destroyed keys are refused with `ERR_KEY_REVOKED` /
   * `ERR_KEY_DESTROYED` (in `openEnvelope()`'s error cause); unknown kids are skipped.
   *
   * @returns the resolver
   * @throws {@link KeyError} `ERR_KEY_USAGE` unless this is a `recipient` or `wrap` keyset
   * @example
   * ```ts
   * const { plaintext } = await openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey() });
   * ```
   */
  recipientKey(): KeysetRecipientKey {
    if (this.#purpose !== 'recipient' && this.#purpose !== 'wrap') throw this.#wrongPurpose('recipient or wrap');
    return ({ kid }) => {
      if (kid === undefined) return undefined;
      const entry = this.#openable(kid);
      if (entry === undefined) return undefined;
      const id = entry.info.kid.slice();
      return this.#purpose === 'wrap'
        ? { kek: entry.key as WrappingKey, kid: id }
        : { privateKey: entry.key as AgreementPrivateKey, kid: id };
    };
  }

  /**
   * The keys that may open single-key envelopes, as `openEnvelope()`'s `key` (shared keysets): a
   * resolver by the envelope's signed kid. Revoked and destroyed keys are refused with
   * `ERR_KEY_REVOKED` / `ERR_KEY_DESTROYED`; unknown kids resolve to no key.
   *
   * @returns the resolver
   * @throws {@link KeyError} `ERR_KEY_USAGE` unless this is a `shared` keyset
   * @example
   * ```ts
   * const { plaintext } = await openEnvelope(envelope, { backend, trust, key: zoneKeys.openingKey() });
   * ```
   */
  openingKey(): (lookup: KeyLookup) => AeadKey | undefined {
    if (this.#purpose !== 'shared') throw this.#wrongPurpose('shared');
    return ({ kid }) => (kid === undefined ? undefined : (this.#openable(kid)?.key as AeadKey | undefined));
  }

  /**
   * The public COSE_Keys of the keys that may still verify (signing keysets: active and
   * verify-only) or be sealed to (recipient keysets: the primary), with their kids, to publish
   * in a trust store or to producers.
   *
   * @returns public COSE_Keys (never private material)
   * @throws {@link KeyError} `ERR_KEY_USAGE` for `shared` and `wrap` keysets, which have no public part
   * @example
   * ```ts
   * for (const coseKey of await signing.publicKeys()) await trustStore.add({ key: coseKey, issuer: 'sensor-7' });
   * ```
   */
  async publicKeys(): Promise<readonly CoseKey[]> {
    if (this.#purpose !== 'sign' && this.#purpose !== 'recipient') throw this.#wrongPurpose('sign or recipient');
    const out: CoseKey[] = [];
    for (const entry of this.#entries.values()) {
      const { state, primary, kid } = entry.info;
      const published = this.#purpose === 'sign' ? state === 'active' || state === 'verify-only' : primary;
      if (!published || entry.key === undefined) continue;
      const publicKey = await settle(this.#backend.publicKey(entry.key as SigningKey | AgreementPrivateKey));
      out.push(await coseKeyFromHandle(this.#backend, publicKey, { kid }));
    }
    return out;
  }

  /**
   * Serialises the keyset: a deterministic CBOR map holding a COSE_KeySet (RFC 9052 §7) of the
   * keys that still have material, each with its thumbprint kid and key_ops, plus Ward's
   * metadata (states, times, use counts, the primary, the policy); destroyed keys appear only
   * as tombstones in the metadata. With `kek`, the map is sealed in a COSE_Encrypt0 (fresh
   * random 96-bit nonce from the backend; external AAD "Ward keyset v1").
   *
   * Every document gets a new {@link Keyset.revision}, above every earlier one of this keyset
   * and above `revisionAbove`, so a reader can tell a newer save from an older copy.
   *
   * The plaintext form holds private keys: store it only inside an encrypted keystore.
   *
   * @param options - `kek` to encrypt under; `revisionAbove`, the revision to exceed
   * @returns the document bytes
   * @throws {@link KeyError} `ERR_KEY_NOT_EXTRACTABLE` when a key may not leave its backend
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a `revisionAbove` that is not a
   *   non-negative safe integer
   * @example
   * ```ts
   * const document = await keyset.toDocument({ kek: { key: kek, kid: kekId } });
   * const again = await Keyset.fromDocument(document, { backend, kek });
   * ```
   */
  async toDocument(options?: KeysetToDocumentOptions): Promise<Uint8Array> {
    const above = options?.revisionAbove ?? 0;
    if (!Number.isSafeInteger(above) || above < 0 || above >= Number.MAX_SAFE_INTEGER) {
      throw new ArgumentError('revisionAbove must be a non-negative safe integer');
    }
    /* A key destroyed while the snapshot was being exported: take a new snapshot, which then
     * holds its tombstone. */
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#document(options?.kek, above);
      } catch (error) {
        if (attempt >= 3 || !(WardError.isInstance(error) && error.code === 'ERR_KEY_DESTROYED')) throw error;
      }
    }
  }

  async #document(kek: KeysetEncryptionKey | undefined, above: number): Promise<Uint8Array> {
    /* A synchronous snapshot first: a rotate() or destroy() that runs while keys are being
     * exported must not produce a document mixing two states of the keyset. The revision is
     * taken in the same step, so two documents never share one. */
    this.#revision = Math.max(this.#revision, above) + 1;
    const revision = this.#revision;
    const snapshot = [...this.#entries.values()].map((entry) => ({
      info: entry.info, key: entry.key, keyOps: entry.keyOps, reservedThrough: entry.reservedThrough,
    }));
    const primaryKid = this.#primary === undefined ? null : this.#entries.get(this.#primary)!.info.kid;
    const keys: CborValue[] = [];
    const entries: CborValue[] = [];
    for (const entry of snapshot) {
      const { info } = entry;
      if (entry.key !== undefined) {
        const coseKey = await coseKeyFromHandle(this.#backend, entry.key, {
          kid: info.kid, ...(entry.keyOps === undefined ? {} : { keyOps: entry.keyOps }),
        });
        keys.push(encodeCoseKeyValue(coseKey));
      }
      const map = new Map<CborValue, CborValue>([
        [E.kid, info.kid], [E.algorithm, info.algorithm], [E.size, info.size], [E.state, info.state],
        /* A reservation counts as used: after a crash, the count resumes above every use made. */
        [E.createdAt, info.createdAt], [E.uses, Math.max(info.uses, entry.reservedThrough ?? 0)],
      ]);
      if (info.activatedAt !== undefined) map.set(E.activatedAt, info.activatedAt);
      if (info.retiredAt !== undefined) map.set(E.retiredAt, info.retiredAt);
      if (info.revokedAt !== undefined) map.set(E.revokedAt, info.revokedAt);
      if (info.revocationReason !== undefined) map.set(E.reason, info.revocationReason);
      if (info.destroyedAt !== undefined) map.set(E.destroyedAt, info.destroyedAt);
      entries.push(map);
    }
    const policy = new Map<CborValue, CborValue>();
    if (this.#policy.maxAgeSeconds !== undefined) policy.set(P.maxAgeSeconds, this.#policy.maxAgeSeconds);
    if (this.#policy.maxUses !== undefined) policy.set(P.maxUses, this.#policy.maxUses);
    const document = encodeCbor(new Map<CborValue, CborValue>([
      [D.version, DOCUMENT_VERSION], [D.purpose, this.#purpose],
      [D.primary, primaryKid],
      [D.policy, policy], [D.keys, keys], [D.entries, entries], [D.revision, revision],
    ]));
    if (kek === undefined) return document;
    try {
      return await createEncrypt0(document, {
        backend: this.#backend, key: kek.key, ...(kek.kid === undefined ? {} : { kid: kek.kid }),
        protectedHeader: new Map([[HeaderLabel.contentType, KEYSET_CONTENT_TYPE]]), externalAad: KEYSET_AAD,
      });
    } finally {
      document.fill(0);
    }
  }

  /**
   * Reads a keyset document written by {@link Keyset.toDocument}, strictly: every key's kid
   * must be its thumbprint, every state and time consistent, exactly the non-destroyed
   * entries must have a key, at most one primary, and key_ops (when recorded) must allow what
   * the state needs. Keys are imported extractable so the keyset can be saved again.
   *
   * @param document - the document (untrusted bytes)
   * @param options - backend, the KEK when the document is encrypted, clock
   * @returns the keyset
   * @throws {@link KeyError} `ERR_KEYSET_INVALID` for any malformed or inconsistent document,
   *   and for a plaintext document when a KEK was given (or the reverse); the cause says why
   * @throws {@link DecryptionError} `ERR_DECRYPTION_FAILED` when the KEK does not open it
   * @example
   * ```ts
   * import { Keyset } from '@ward/core';
   *
   * const readers = await Keyset.fromDocument(stored, { backend, kek });
   * ```
   */
  static async fromDocument(document: Uint8Array, options: KeysetFromDocumentOptions): Promise<Keyset> {
    checkBackendOptions(options, 'Keyset.fromDocument');
    if (!(document instanceof Uint8Array)) throw new ArgumentError('document must be a Uint8Array');
    const { backend, kek } = options;
    const minRevision = options.minRevision ?? 0;
    if (!Number.isSafeInteger(minRevision) || minRevision < 0) throw new ArgumentError('minRevision must be a non-negative safe integer');
    /* Tag 16 = COSE_Encrypt0 (0xd0); a plaintext document is a map. Refuse the mismatch both ways:
     * a swapped-in plaintext keyset must not load where an encrypted one is expected. */
    const encrypted = document[0] === 0xd0;
    if (kek !== undefined && !encrypted) throw invalid('expected an encrypted keyset document');
    if (kek === undefined && encrypted) throw invalid('the keyset document is encrypted: pass its kek');
    let plaintext = document;
    if (kek !== undefined) {
      const opened = await decryptEncrypt0(document, { backend, key: kek, externalAad: KEYSET_AAD, maxBytes: MAX_DOCUMENT_BYTES + 1024 });
      if (opened.protectedHeader.get(HeaderLabel.contentType) !== KEYSET_CONTENT_TYPE) {
        opened.plaintext.fill(0);
        throw invalid('the encrypted document is not a Ward keyset');
      }
      plaintext = opened.plaintext;
    }
    let keyset: Keyset;
    try {
      keyset = await Keyset.#decode(plaintext, backend, options.now ?? systemNow);
    } catch (error) {
      if (WardError.isInstance(error) && error.code === 'ERR_KEYSET_INVALID') throw error;
      throw invalid('malformed keyset document', error);
    } finally {
      if (plaintext !== document) plaintext.fill(0);
    }
    /* Rollback: an older copy of the document (from before a revocation or a destruction) must
     * not bring back what a newer save took away. The revision was authenticated with the rest. */
    if (keyset.#revision < minRevision) {
      throw new KeyStoreError('ERR_KEYSTORE_ROLLBACK', `keyset document revision ${keyset.#revision} is below ${minRevision}, the newest seen`);
    }
    return keyset;
  }

  static async #decode(bytes: Uint8Array, backend: CryptoBackend, now: () => number): Promise<Keyset> {
    const value = decodeCbor(bytes, { maxBytes: MAX_DOCUMENT_BYTES, maxArrayEntries: MAX_KEYS, maxItems: MAX_KEYS * 64, rejectIntegralFloats: true });
    if (!(value instanceof Map)) throw invalid('a keyset document is a CBOR map');
    for (const label of value.keys()) if (!Object.values(D).includes(label as never)) throw invalid('unknown field in keyset document');
    if (value.get(D.version) !== DOCUMENT_VERSION) throw invalid('unsupported keyset document version');
    const purpose = value.get(D.purpose);
    if (typeof purpose !== 'string' || !PURPOSES.has(purpose)) throw invalid('unknown keyset purpose');
    const policyValue = value.get(D.policy);
    if (!(policyValue instanceof Map)) throw invalid('policy must be a map');
    for (const label of policyValue.keys()) if (label !== P.maxAgeSeconds && label !== P.maxUses) throw invalid('unknown policy field');
    const policy = checkPolicy({
      ...(policyValue.has(P.maxAgeSeconds) ? { maxAgeSeconds: policyValue.get(P.maxAgeSeconds) as number } : {}),
      ...(policyValue.has(P.maxUses) ? { maxUses: policyValue.get(P.maxUses) as number } : {}),
    }, purpose as KeysetPurpose);
    const keyset = new Keyset(backend, purpose as KeysetPurpose, policy, now);
    keyset.#revision = revisionOf(value);

    const keys = value.get(D.keys);
    const entries = value.get(D.entries);
    if (!Array.isArray(keys) || !Array.isArray(entries)) throw invalid('keys and entries must be arrays');
    if (entries.length === 0) throw invalid('a keyset holds at least one key');
    const coseKeys = new Map<string, CoseKey>();
    for (const raw of keys) {
      const coseKey = decodeCoseKeyValue(raw);
      if (coseKey.kid === undefined) throw invalid('every stored key carries its kid');
      const id = toHex(coseKey.kid);
      if (coseKeys.has(id)) throw invalid('two stored keys share a kid');
      coseKeys.set(id, coseKey);
    }
    const primary = value.get(D.primary);
    if (primary !== null && !(primary instanceof Uint8Array)) throw invalid('primary must be a kid or null');
    const ops = PURPOSE_OPS[purpose as KeysetPurpose];
    for (const raw of entries) {
      const info = decodeEntry(raw, purpose as KeysetPurpose);
      const id = toHex(info.kid);
      if (keyset.#entries.has(id)) throw invalid('two entries share a kid');
      const isPrimary = primary instanceof Uint8Array && toHex(primary) === id;
      /* Exactly one active key, and it is the primary; a primary is always active. */
      if ((info.state === 'active') !== isPrimary) throw invalid('the primary, and only it, is active');
      const coseKey = coseKeys.get(id);
      coseKeys.delete(id);
      if (info.state === 'destroyed') {
        /* A destroyed key's material must be gone from the document, not just flagged. */
        if (coseKey !== undefined) throw invalid('a destroyed key still has material');
        keyset.#entries.set(id, { info: freezeInfo({ ...info, primary: false }), key: undefined, keyOps: undefined });
        continue;
      }
      if (coseKey === undefined) throw invalid('a key that is not destroyed has no material');
      /* RFC 9052 §7.1: key_ops, when present, restrict the key; they must allow what the state uses. */
      if (coseKey.keyOps !== undefined) {
        const needed = info.state === 'active' ? ops.seal : ops.open;
        if (info.state !== 'revoked' && !coseKey.keyOps.includes(needed)) throw invalid('key_ops do not allow what the key state needs');
      }
      const key = await importCoseKey(backend, coseKey, { as: info.algorithm, extractable: true });
      if (key.size !== info.size) throw invalid('stored key size does not match its entry');
      /* RFC 9679: the kid is the thumbprint, so a stored key cannot pose under another key's id. */
      const thumbprint = await coseKeyThumbprint(coseKey, backend);
      if (toHex(thumbprint) !== id) throw invalid('a stored kid is not the key thumbprint');
      keyset.#entries.set(id, { info: freezeInfo({ ...info, primary: isPrimary }), key, keyOps: coseKey.keyOps });
      if (isPrimary) keyset.#primary = id;
    }
    if (coseKeys.size !== 0) throw invalid('a stored key has no entry');
    if (primary instanceof Uint8Array && keyset.#primary === undefined) throw invalid('the primary kid names no active key');
    return keyset;
  }

  async #addGenerated(algorithm: KeyAlgorithm, size: number | undefined): Promise<KeysetKeyInfo> {
    const keySize = sizeOf(algorithm, size);
    /* The document limit: a keyset that could not be loaded again must not be made. */
    if (this.#entries.size >= MAX_KEYS) throw invalid(`a keyset holds at most ${MAX_KEYS} keys: destroy and forget old ones`);
    let key: KeyHandle;
    if (keySize === undefined || keySize === 32) {
      key = await settle(this.#backend.generateKey(algorithm, { extractable: true }));
    } else {
      /* AES-128/192: backends generate 32-byte keys, so draw the bytes from the backend's CSPRNG. */
      const raw = await settle(this.#backend.randomBytes(keySize));
      try {
        key = await settle(this.#backend.importKey(algorithm, 'secret', raw, { extractable: true }));
      } finally {
        raw.fill(0);
      }
    }
    const coseKey = await coseKeyFromHandle(this.#backend, key, { alg: null });
    const kid = await coseKeyThumbprint(coseKey, this.#backend);
    const id = toHex(kid);
    /* Thumbprints of fresh random keys do not collide; if one did, something is badly wrong. */
    if (this.#entries.has(id)) throw invalid('generated a key whose thumbprint is already in the keyset');
    const now = this.#now();
    const info = freezeInfo({ kid, algorithm, size: key.size, state: 'active', primary: true, createdAt: now, activatedAt: now, uses: 0 });
    const ops = PURPOSE_OPS[this.#purpose];
    /* One synchronous step from here on: no snapshot can see two active keys or none. */
    const previous = this.#primary;
    if (previous !== undefined) this.#retire(previous);
    this.#entries.set(id, { info, key, keyOps: ops.seal === ops.open ? [ops.seal] : [ops.seal, ops.open] });
    this.#primary = id;
    return info;
  }

  #retire(id: string): KeysetKeyInfo {
    const entry = this.#entries.get(id)!;
    const { state } = entry.info;
    if (state === 'revoked') throw new KeyError('ERR_KEY_REVOKED', `key ${toHex(entry.info.kid)} was revoked`);
    if (state === 'destroyed') throw new KeyError('ERR_KEY_DESTROYED', `key ${toHex(entry.info.kid)} was destroyed`);
    if (state !== 'active') return entry.info;
    if (this.#primary === id) this.#primary = undefined;
    entry.info = freezeInfo({
      ...entry.info, state: this.#purpose === 'sign' ? 'verify-only' : 'decrypt-only', primary: false, retiredAt: this.#now(),
    });
    return entry.info;
  }

  #find(kid: Uint8Array): string {
    if (!(kid instanceof Uint8Array)) throw new ArgumentError('kid must be a Uint8Array');
    const id = toHex(kid);
    if (!this.#entries.has(id)) throw new KeyError('ERR_KEY_NOT_FOUND', `no key ${id} in this keyset`);
    return id;
  }

  #wrongPurpose(needed: string): KeyError {
    return new KeyError('ERR_KEY_USAGE', `this is a ${this.#purpose} keyset; the operation needs a ${needed} keyset`);
  }

  #limitReached(info: KeysetKeyInfo): 'age' | 'uses' | undefined {
    const maxUses = this.#policy.maxUses ?? (this.#purpose === 'shared' ? DEFAULT_RANDOM_NONCE_USE_LIMIT : undefined);
    if (maxUses !== undefined && info.uses >= maxUses) return 'uses';
    const { maxAgeSeconds } = this.#policy;
    if (maxAgeSeconds !== undefined && this.#now() - (info.activatedAt ?? info.createdAt) >= maxAgeSeconds) return 'age';
    return undefined;
  }

  /** The primary, checked against purpose, key_ops and policy, with one use counted. */
  #usePrimary(purpose: KeysetPurpose): Entry & { key: KeyHandle } {
    if (this.#purpose !== purpose) throw this.#wrongPurpose(purpose);
    if (this.#primary === undefined) throw new KeyError('ERR_KEY_NOT_FOUND', 'this keyset has no primary key: rotate');
    const entry = this.#entries.get(this.#primary)!;
    const op = PURPOSE_OPS[purpose].seal;
    if (entry.keyOps !== undefined && !entry.keyOps.includes(op)) throw new KeyError('ERR_KEY_USAGE', `key_ops of ${toHex(entry.info.kid)} do not allow operation ${op}`);
    const limit = this.#limitReached(entry.info);
    if (limit !== undefined) {
      throw new KeyError('ERR_KEY_LIMIT_REACHED', `primary ${toHex(entry.info.kid)} reached its ${limit === 'age' ? 'age' : 'use'} limit: rotate`);
    }
    entry.info = freezeInfo({ ...entry.info, uses: entry.info.uses + 1 });
    return entry as Entry & { key: KeyHandle };
  }

  /** The key for `kid` if its state allows opening; throws for revoked and destroyed keys. */
  #openable(kid: Uint8Array): Entry | undefined {
    const entry = this.#entries.get(toHex(kid));
    if (entry === undefined) return undefined;
    const { state } = entry.info;
    if (state === 'revoked') throw new KeyError('ERR_KEY_REVOKED', `key ${toHex(kid)} was revoked`);
    if (state === 'destroyed' || entry.key === undefined) throw new KeyError('ERR_KEY_DESTROYED', `key ${toHex(kid)} was destroyed`);
    const op = PURPOSE_OPS[this.#purpose].open;
    if (entry.keyOps !== undefined && !entry.keyOps.includes(op)) throw new KeyError('ERR_KEY_USAGE', `key_ops of ${toHex(kid)} do not allow operation ${op}`);
    return entry;
  }
}

/** A document's revision: a non-negative safe integer; absent (documents written before revisions existed) reads as 0. */
function revisionOf(document: Map<CborValue, CborValue>): number {
  if (!document.has(D.revision)) return 0;
  const revision = document.get(D.revision);
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
    value = decodeCbor(document, { maxBytes: MAX_DOCUMENT_BYTES, maxArrayEntries: MAX_KEYS, maxItems: MAX_KEYS * 64, rejectIntegralFloats: true });
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
