/*
 * TrustStore: the verifier's answer to "may this key sign this, as this issuer, at this
 * time, in this role?". Each trusted public key is bound to one issuer identity, a set of
 * roles, an optional validity window and an optional revocation; verifyEnvelope() asks through
 * keySource(), other verifiers (policy bundles, decision logs, re-wrap) through resolve().
 * A store can be filled by hand (add, revoke) or from a signed trust-store document
 * (load, update; format in trust-store-document.ts) whose signer is itself checked against a
 * second store of anchors.
 */
import type { CryptoBackend, KeyHandle, VerifyingKey } from '../backend/crypto-backend.js';
import { settle } from '../backend/crypto-backend.js';
import { CoseAlgorithm, sameSignatureAlgorithm } from '../cose/algorithms.js';
import { HeaderLabel } from '../cose/headers.js';
import type { KeyLookup } from '../cose/key-lookup.js';
import { verifySign1 } from '../cose/sign1.js';
import { ClaimKey } from '../profile/labels.js';
import { ArgumentError, KeyError, TrustError, WardError } from '../errors.js';
import type { CoseKey } from '../cose/cose-key.js';
import { CoseKeyOp } from '../cose/cose-key.js';
import { coseKeyFromHandle, freezeWithView, coseKeyThumbprint, createCoseKey, importCoseKey } from './cose-key.js';
import {
  checkDocumentHeaders, decodeTrustState, decodeTrustStorePayload, encodeTrustState, resolveTrustDocumentLimits,
  roleProblem,
} from './trust-store-document.js';
import type { DocumentEntry, TrustDocumentLimits, TrustRole, TrustedKey } from './trust-store-document.js';
import { checkStateStore } from './state-store.js';
import type { StateStore } from './state-store.js';
import { fromHex, sameBytes, toHex } from '../bytes.js';
import { isSeconds, isWellFormedText } from '../text.js';

/** A key to trust, as given to {@link TrustStore.add}. */
export interface TrustedKeyInput {
  /**
   * The public key: a public COSE_Key (Ed25519, or P-256 for ES256; imported through the
   * store's backend) or a verifying key handle of the store's backend. Private and
   * symmetric keys are refused.
   */
  readonly key: CoseKey | VerifyingKey;
  /** The identity this key may sign as: the CWT `iss` of everything it signs must equal it. */
  readonly issuer: string;
  /** What the key may sign. Default `['producer']`. */
  readonly roles?: readonly TrustRole[];
  /** Seconds since the epoch; data claiming to be signed before it is refused. Inclusive. Default unbounded. */
  readonly notBefore?: number;
  /** Seconds since the epoch; data claiming to be signed at or after it is refused. Exclusive. Default unbounded. */
  readonly notAfter?: number;
  /**
   * The key id signers put in their protected header. Default: the RFC 9679 thumbprint of
   * the public COSE_Key (the only kid a signed trust-store document can carry).
   */
  readonly kid?: Uint8Array;
}

/** Options of the {@link TrustStore} constructor. */
export interface TrustStoreOptions {
  /** The backend that imports the keys and verifies with them. */
  readonly backend: CryptoBackend;
  /** The current time in seconds since the epoch. Default `Math.floor(Date.now() / 1000)`. */
  readonly now?: () => number;
  /**
   * How far in the future a claimed signing time may lie, for clocks that run apart. Default 300.
   */
  readonly clockSkewSeconds?: number;
  /**
   * Accept data from a revoked key when it claims to have been signed before the
   * revocation. Default `false`: once a key is revoked, nothing it signed is accepted.
   *
   * WARNING: the signing time (`iat`) is claimed by the signer. Whoever stole the key can
   * write any `iat`, so with this option a thief can backdate new data to before the
   * revocation and have it accepted. Turn it on only where data signed before the
   * revocation must stay usable and the policy looks at `entry.revokedAt` (surfaced by
   * {@link TrustStore.resolve}) and at other evidence of the signing time (a replay window,
   * an arrival log).
   */
  readonly acceptSignedBeforeRevocation?: boolean;
}

/** What {@link TrustStore.resolve} is asked. */
export interface TrustResolveRequest {
  /** The signer's kid, from the protected header. */
  readonly kid: Uint8Array;
  /** The COSE algorithm of the signature. */
  readonly alg: number;
  /** The identity the data claims to come from (CWT `iss`). */
  readonly issuer: string;
  /** The signing time the data claims (CWT `iat`), seconds since the epoch. */
  readonly issuedAt: number;
  /** What the signature is for. */
  readonly role: TrustRole;
}

/** What {@link TrustStore.resolve} returns for an accepted signer. */
export interface TrustResolution {
  /** The key to verify the signature with. */
  readonly key: VerifyingKey;
  /** The trusted-key entry, for the policy (revocation time, window, roles). */
  readonly entry: TrustedKey;
}

/** Options of {@link TrustStore.update}. */
export interface TrustDocumentOptions {
  /**
   * The stores whose keys may sign trust-store documents: the signer must be in `anchors`
   * with role `trust-store`, its issuer must be the document's CWT `iss`, and it must be
   * valid and unrevoked at the document's `iat` under the anchors' own clock and options.
   */
  readonly anchors: TrustStore;
  /** Document size and entry limits. Default {@link DEFAULT_TRUST_DOCUMENT_LIMITS}. */
  readonly limits?: Partial<TrustDocumentLimits> | undefined;
}

/** Options of {@link TrustStore.restore}: the store's options plus where its rollback state lives. */
export interface TrustStoreRestoreOptions extends TrustStoreOptions {
  /**
   * Where the store keeps its rollback state: the serial and digest of the newest document it
   * accepted, and every revocation it has seen (`MemoryStateStore`, `FileStateStore` from
   * `@ward/node`, or your own {@link StateStore}). A store restored from the same state after
   * a restart refuses older documents and keeps revocations sticky (SPEC.md §9).
   */
  readonly state: StateStore;
}

/**
 * Options of {@link TrustStore.load}: the new store's options plus the document's anchors and
 * limits, and optionally the rollback state to restore first (as {@link TrustStore.restore}).
 */
export interface TrustStoreLoadOptions extends TrustStoreOptions, TrustDocumentOptions {
  /** The rollback state: see {@link TrustStoreRestoreOptions.state}. */
  readonly state?: StateStore;
}

/** Options of {@link TrustStore.revoke}. */
export interface TrustRevokeOptions {
  /** When the key stopped being trustworthy, seconds since the epoch. Default now. */
  readonly at?: number;
  /** Why, for the logs and the policy: 1 to 256 characters. */
  readonly reason?: string;
}

interface Revocation {
  readonly at: number;
  readonly reason: string | undefined;
}

type EntryFields = { -readonly [K in keyof TrustedKey]: TrustedKey[K] };

const DEFAULT_CLOCK_SKEW = 300;

function kidText(id: string): string {
  return id.length > 64 ? `${id.slice(0, 64)}…` : id;
}

/** A claimed text for a log line: quoted, at most 64 characters. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

const usage = (message: string): KeyError => new KeyError('ERR_KEY_USAGE', message);

/** The printable form of an entry: public material and metadata only. */
function entryView(entry: TrustedKey): Record<string, unknown> {
  const view: Record<string, unknown> = { kid: toHex(entry.kid), alg: entry.alg, issuer: entry.issuer, roles: [...entry.roles] };
  if (entry.notBefore !== undefined) view.notBefore = entry.notBefore;
  if (entry.notAfter !== undefined) view.notAfter = entry.notAfter;
  if (entry.revokedAt !== undefined) view.revokedAt = entry.revokedAt;
  if (entry.revocationReason !== undefined) view.revocationReason = entry.revocationReason;
  /* A COSE_Key from cose-key.ts prints itself redacted; this one is public anyway. */
  view.coseKey = entry.coseKey;
  view.key = { algorithm: entry.key.algorithm, kind: entry.key.kind, backend: entry.key.backend };
  return view;
}

/** A frozen TrustedKey with redacting print forms (the approach of cose-key.ts). */
function trustedKey(fields: EntryFields): TrustedKey {
  const entry: Record<string, unknown> = {
    kid: fields.kid.slice(), alg: fields.alg, issuer: fields.issuer, roles: Object.freeze([...fields.roles]),
  };
  if (fields.notBefore !== undefined) entry.notBefore = fields.notBefore;
  if (fields.notAfter !== undefined) entry.notAfter = fields.notAfter;
  if (fields.revokedAt !== undefined) entry.revokedAt = fields.revokedAt;
  if (fields.revocationReason !== undefined) entry.revocationReason = fields.revocationReason;
  entry.key = fields.key;
  entry.coseKey = fields.coseKey;
  return freezeWithView(entry as unknown as TrustedKey, 'TrustedKey', entryView);
}

function withRevocation(entry: TrustedKey, revocation: Revocation): TrustedKey {
  const fields: EntryFields = { ...entry, revokedAt: revocation.at };
  delete fields.revocationReason;
  if (revocation.reason !== undefined) fields.revocationReason = revocation.reason;
  return trustedKey(fields);
}

/**
 * Turns the caller's key into a verifying handle of `backend` and its public COSE_Key.
 * A trust store is public by construction: private, symmetric and non-signature keys are
 * refused, so no secret can end up in a store, its print forms or a document it signs.
 */
async function publicSignatureKey(
  backend: CryptoBackend,
  key: CoseKey | VerifyingKey,
): Promise<{ key: VerifyingKey; coseKey: CoseKey; alg: number }> {
  if (typeof key !== 'object' || key === null) throw new ArgumentError('key must be a public COSE_Key or a verifying key handle');
  let handle: KeyHandle;
  if ('kty' in key) {
    if (key.kty === 4) throw usage('a Symmetric COSE_Key cannot be a trusted signer: a trust store holds public keys only');
    if ((key as { d?: unknown }).d !== undefined) {
      throw usage('this COSE_Key carries a private part (d): give the trust store the public key only');
    }
    const checked = createCoseKey(key);
    if (checked.kty === 4) throw usage('a Symmetric COSE_Key cannot be a trusted signer');
    if (checked.kty === 1 && checked.crv !== 6) throw usage('an X25519 key cannot sign: a trusted signer is Ed25519 or P-256');
    const expected = checked.kty === 1 ? CoseAlgorithm.EdDSA : CoseAlgorithm.ES256;
    if (checked.alg !== undefined && !sameSignatureAlgorithm(checked.alg, expected)) throw usage(`COSE_Key alg ${checked.alg} is not the signature algorithm of this key`);
    if (checked.keyOps !== undefined && !checked.keyOps.includes(CoseKeyOp.verify)) throw usage('COSE_Key key_ops does not allow verify');
    handle = await importCoseKey(backend, checked, { as: checked.kty === 1 ? 'Ed25519' : 'ECDSA-P256' });
  } else {
    handle = key;
    if (handle.kind !== 'public') {
      throw usage(`a ${String(handle.kind)} key handle cannot be trusted: give the trust store the public key (backend.publicKey)`);
    }
    if (handle.algorithm !== 'Ed25519' && handle.algorithm !== 'ECDSA-P256') throw usage(`a ${String(handle.algorithm)} key cannot sign`);
  }
  const coseKey = await coseKeyFromHandle(backend, handle);
  const alg = handle.algorithm === 'Ed25519' ? CoseAlgorithm.EdDSA : CoseAlgorithm.ES256;
  return { key: handle as VerifyingKey, coseKey, alg };
}

function checkRoles(roles: unknown): readonly TrustRole[] {
  const problem = roleProblem(roles);
  if (problem !== undefined) throw new ArgumentError(problem);
  return roles as readonly TrustRole[];
}

function checkTime(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!isSeconds(value)) throw new ArgumentError(`${name} must be a non-negative safe integer (seconds since the epoch)`);
  return value;
}

function checkKid(kid: unknown, name = 'kid'): Uint8Array {
  if (!(kid instanceof Uint8Array) || kid.length === 0) throw new ArgumentError(`${name} must be a non-empty Uint8Array`);
  return kid;
}

function earlier(current: Revocation | undefined, next: Revocation): Revocation {
  return current === undefined || next.at < current.at ? next : current;
}

function revocationOf(entry: TrustedKey): Revocation | undefined {
  return entry.revokedAt === undefined ? undefined : { at: entry.revokedAt, reason: entry.revocationReason };
}

/**
 * The verifier's trust store: which public keys may sign, as which issuer, in which roles,
 * over which validity window, and which are revoked.
 *
 * {@link TrustStore.resolve} decides one signature; {@link TrustStore.keySource} plugs the
 * store into `verifyEnvelope()` and `verifySign1()`. A store is filled by hand ({@link TrustStore.add},
 * {@link TrustStore.revoke}) or from a signed trust-store document ({@link TrustStore.load},
 * {@link TrustStore.update}) whose signer must itself be trusted by a store of anchors.
 *
 * Revocation is sticky: a kid revoked in this store, by {@link TrustStore.revoke} or by a
 * loaded document, stays revoked (at its earliest revocation time) across later updates,
 * even if a later document lists the key unrevoked or drops and re-adds it.
 *
 * @example
 * ```ts
 * import { TrustStore, createNobleBackend, verifyEnvelope } from '@ward/core';
 *
 * const backend = createNobleBackend();
 * const trust = new TrustStore({ backend });
 * await trust.add({ key: counterPublicKey, issuer: 'footfall-counter-17', kid: counterKid });
 * const facts = await verifyEnvelope(envelope, { backend, trust: trust.keySource() });
 *
 * // the counter was stolen:
 * trust.revoke(counterKid, { reason: 'device stolen from the market square' });
 * ```
 */
export class TrustStore {
  readonly #backend: CryptoBackend;
  readonly #now: () => number;
  readonly #clockSkew: number;
  readonly #acceptSignedBeforeRevocation: boolean;
  #entries = new Map<string, TrustedKey>();
  /** Every revocation ever seen, by kid (hex): what makes revocation sticky across updates. */
  readonly #revocations = new Map<string, Revocation>();
  /** Serial and digest of the newest document accepted (restored from the state, or loaded here). */
  #serial: bigint | undefined;
  #documentDigest: Uint8Array | undefined;
  /** Whether #entries are those of #documentDigest's document (false after a restore, until it is loaded again). */
  #applied = false;
  /** Where the rollback state outlives this object, if anywhere. */
  #state: StateStore | undefined;
  /** Serialises state saves with the swaps they guard. */
  #persisting: Promise<unknown> = Promise.resolve();

  /**
   * @param options - backend, clock, clock skew, revocation mode
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a missing backend or a bad option
   */
  constructor(options: TrustStoreOptions) {
    if (typeof options !== 'object' || options === null || typeof options.backend !== 'object' || options.backend === null) {
      throw new ArgumentError('a TrustStore needs options with a backend');
    }
    const { now, clockSkewSeconds = DEFAULT_CLOCK_SKEW, acceptSignedBeforeRevocation = false } = options;
    if (now !== undefined && typeof now !== 'function') throw new ArgumentError('now must be a function returning seconds');
    if (typeof clockSkewSeconds !== 'number' || !Number.isFinite(clockSkewSeconds) || clockSkewSeconds < 0) {
      throw new ArgumentError('clockSkewSeconds must be a non-negative number');
    }
    if (typeof acceptSignedBeforeRevocation !== 'boolean') throw new ArgumentError('acceptSignedBeforeRevocation must be a boolean');
    /* A state given here could not be read (the constructor is synchronous): ignoring it would
     * silently drop the rollback protection the caller asked for. */
    if ((options as { state?: unknown }).state !== undefined) throw new ArgumentError('a TrustStore with a state is made by TrustStore.restore()');
    this.#backend = options.backend;
    this.#now = now ?? ((): number => Math.floor(Date.now() / 1000));
    this.#clockSkew = clockSkewSeconds;
    this.#acceptSignedBeforeRevocation = acceptSignedBeforeRevocation;
  }

  /**
   * The serial of the newest trust-store document accepted (by this object, or by the one
   * whose state it was restored from); `undefined` until one is.
   */
  get serial(): bigint | undefined {
    return this.#serial;
  }

  /**
   * Makes a store that continues where an earlier one with the same `state` left off: it
   * refuses documents older than the newest that one accepted (`ERR_TRUST_DOCUMENT_ROLLBACK`),
   * accepts that same document again (to fill its entries after a restart), and keeps every
   * revocation that one saw, whatever later documents say. Its entries start empty: load the
   * current document with {@link TrustStore.update}. From then on, every accepted document
   * saves the state before it takes effect, and {@link TrustStore.saveState} saves
   * revocations made by hand.
   *
   * @param options - the store's options and its `state`
   * @returns the restored store
   * @throws KeyStoreError `ERR_KEYSTORE_CORRUPT` for a state record that does not decode
   *   (never read as an empty state), or whatever the state's `load` throws
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for bad options
   * @example
   * ```ts
   * import { TrustStore } from '@ward/core';
   * import { FileStateStore } from '@ward/node';
   *
   * const trust = await TrustStore.restore({ backend, state: new FileStateStore('/var/lib/ward/trust.state') });
   * await trust.update(await fetchTrustDocument(), { anchors }); // an older document than last time is refused
   * ```
   */
  static async restore(options: TrustStoreRestoreOptions): Promise<TrustStore> {
    if (typeof options !== 'object' || options === null) throw new ArgumentError('restore() needs options with a backend and a state');
    const { state, ...storeOptions } = options;
    const store = new TrustStore(storeOptions);
    checkStateStore(state, 'options.state');
    const bytes = await settle(state.load());
    if (bytes !== undefined) {
      const restored = decodeTrustState(bytes);
      if (restored.document !== undefined) {
        store.#serial = restored.document.serial;
        store.#documentDigest = restored.document.digest.slice();
      }
      for (const { kid, at, reason } of restored.revocations) {
        const id = toHex(kid);
        store.#revocations.set(id, earlier(store.#revocations.get(id), { at, reason }));
      }
    }
    store.#state = state;
    return store;
  }

  /**
   * Saves the rollback state now: needed after {@link TrustStore.revoke} on a restored store,
   * for the revocation to outlive a restart before the next document is accepted (which saves
   * it too). A no-op without a state.
   *
   * @throws whatever the state's `save` throws (`KeyStoreError` `ERR_KEYSTORE_IO`)
   * @example
   * ```ts
   * trust.revoke(stolenKid, { reason: 'device stolen' });
   * await trust.saveState();
   * ```
   */
  async saveState(): Promise<void> {
    await this.#persist(() => this.#stateBytes(this.#revocations, this.#serial, this.#documentDigest));
  }

  #stateBytes(revocations: ReadonlyMap<string, Revocation>, serial: bigint | undefined, digest: Uint8Array | undefined): Uint8Array {
    return encodeTrustState({
      document: serial === undefined || digest === undefined ? undefined : { serial, digest },
      revocations: [...revocations].map(([id, r]) => ({ kid: fromHex(id), at: r.at, reason: r.reason })),
    });
  }

  /** Runs `bytes` → state save, one at a time, then `after` in the same turn. */
  async #persist(bytes: () => Uint8Array, after?: () => void): Promise<void> {
    const state = this.#state;
    if (state === undefined) {
      after?.();
      return;
    }
    const run = this.#persisting.then(async () => {
      await settle(state.save(bytes()));
      after?.();
    });
    this.#persisting = run.catch(() => undefined);
    await run;
  }

  #clock(): number {
    const now = this.#now();
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new ArgumentError('now() must return seconds since the epoch');
    return now;
  }

  /** The entry with `id`'s remembered revocation applied (the earliest wins). */
  #withRemembered(id: string, entry: TrustedKey): TrustedKey {
    const remembered = this.#revocations.get(id);
    if (remembered === undefined || (entry.revokedAt !== undefined && entry.revokedAt <= remembered.at)) return entry;
    return withRevocation(entry, remembered);
  }

  /**
   * Trusts a public key for one issuer identity, in the given roles and validity window.
   *
   * @param input - the key, its issuer, roles (default `producer`), window and kid (default
   *   its RFC 9679 thumbprint)
   * @returns the frozen entry
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a kid already in the store, a
   *   bad issuer, role list or time, or `notBefore >= notAfter`
   * @throws {@link KeyError} `ERR_KEY_USAGE` for a private, symmetric or non-signature key;
   *   `ERR_KEY_INVALID` for a point not on its curve; `ERR_KEY_FOREIGN` for a handle of another backend
   * @throws {@link CoseError} `ERR_COSE_MALFORMED` for a malformed COSE_Key
   * @example
   * ```ts
   * const entry = await trust.add({
   *   key: decodeCoseKey(published, { publicOnly: true }),
   *   issuer: 'parking-sensor-3',
   *   roles: ['producer'],
   *   notBefore: 1_767_225_600, // 2026-01-01
   * });
   * console.log(String(entry)); // TrustedKey {"kid":"…","alg":-8,"issuer":"parking-sensor-3",…}
   * ```
   */
  async add(input: TrustedKeyInput): Promise<TrustedKey> {
    if (typeof input !== 'object' || input === null) throw new ArgumentError('add() needs a TrustedKeyInput');
    if (!isWellFormedText(input.issuer)) throw new ArgumentError('issuer must be a well-formed text of 1 to 256 characters');
    const roles = checkRoles(input.roles ?? ['producer']);
    const notBefore = checkTime(input.notBefore, 'notBefore');
    const notAfter = checkTime(input.notAfter, 'notAfter');
    if (notBefore !== undefined && notAfter !== undefined && notBefore >= notAfter) {
      throw new ArgumentError('notBefore must be before notAfter');
    }
    const givenKid = input.kid === undefined ? undefined : checkKid(input.kid).slice();
    const duplicate = (id: string): ArgumentError => new ArgumentError(`the trust store already holds kid ${kidText(id)}`);
    if (givenKid !== undefined && this.#entries.has(toHex(givenKid))) throw duplicate(toHex(givenKid));

    const { key, coseKey, alg } = await publicSignatureKey(this.#backend, input.key);
    const kid = givenKid ?? (await coseKeyThumbprint(coseKey, this.#backend));
    const id = toHex(kid);
    /* Checked again after the awaits: another add() may have taken the kid meanwhile. */
    if (this.#entries.has(id)) throw duplicate(id);
    const fields: EntryFields = { kid, alg, issuer: input.issuer, roles, key, coseKey };
    if (notBefore !== undefined) fields.notBefore = notBefore;
    if (notAfter !== undefined) fields.notAfter = notAfter;
    const entry = this.#withRemembered(id, trustedKey(fields));
    this.#entries.set(id, entry);
    return entry;
  }

  /**
   * Revokes a key. Revoking again keeps the earliest time (and that revocation's reason).
   * The revocation is remembered by kid: later documents cannot undo it (see the class notes).
   *
   * @param kid - the key's kid
   * @param options - `at` (default now) and `reason`
   * @returns the entry as revoked
   * @throws {@link TrustError} `ERR_TRUST_UNKNOWN_SIGNER` when no entry has `kid`
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a bad `at` or `reason`
   * @example
   * ```ts
   * const entry = trust.revoke(counterKid, { reason: 'device stolen' });
   * console.log(entry.revokedAt); // now, in seconds
   * ```
   */
  revoke(kid: Uint8Array, options?: TrustRevokeOptions): TrustedKey {
    const id = toHex(checkKid(kid));
    const entry = this.#entries.get(id);
    if (entry === undefined) throw new TrustError('ERR_TRUST_UNKNOWN_SIGNER', `no trusted key has kid ${kidText(id)}`);
    const at = checkTime(options?.at, 'at') ?? Math.floor(this.#clock());
    const reason = options?.reason;
    if (reason !== undefined && !isWellFormedText(reason)) throw new ArgumentError('reason must be a well-formed text of 1 to 256 characters');
    const remembered = earlier(this.#revocations.get(id), { at, reason });
    this.#revocations.set(id, remembered);
    const revoked = this.#withRemembered(id, entry);
    this.#entries.set(id, revoked);
    return revoked;
  }

  /**
   * The entry for `kid`, revoked ones included.
   *
   * @param kid - a kid
   * @returns the entry, or `undefined`
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `kid` is not a non-empty Uint8Array
   * @example
   * ```ts
   * const entry = trust.get(facts.signer.kid);
   * if (entry?.revokedAt !== undefined) console.warn(`${entry.issuer} revoked: ${entry.revocationReason}`);
   * ```
   */
  get(kid: Uint8Array): TrustedKey | undefined {
    return this.#entries.get(toHex(checkKid(kid)));
  }

  /**
   * Every entry, in the order added (document entries in document order), revoked ones included.
   *
   * @returns a frozen snapshot
   * @example
   * ```ts
   * for (const entry of trust.entries()) console.log(String(entry));
   * ```
   */
  entries(): readonly TrustedKey[] {
    return Object.freeze([...this.#entries.values()]);
  }

  /**
   * Decides whether `kid` may sign as `issuer` at `issuedAt` for `role`. Checks, in order:
   * the kid is trusted; `alg` is the key's algorithm; the key holds `role`; `issuer` is the
   * key's issuer; the key is not revoked; `issuedAt` is not in the future (beyond the clock
   * skew); `issuedAt` lies in `[notBefore, notAfter)`.
   *
   * An `alg` other than the key's is reported as `ERR_TRUST_UNKNOWN_SIGNER` (not as a
   * CoseError): the store trusts the pair (kid, algorithm), and no trusted key is that pair.
   *
   * Revocation: by default a revoked key is refused for everything once the revocation time
   * has come, whatever signing time the data claims, and data claiming a signing time at or
   * after the revocation is refused always. With `acceptSignedBeforeRevocation`, data claiming
   * `issuedAt < revokedAt` is accepted (and `entry.revokedAt` tells the policy). `issuedAt` is
   * claimed by the signer, so a thief of the key can backdate: see
   * {@link TrustStoreOptions.acceptSignedBeforeRevocation}.
   *
   * The validity window is compared with the claimed `issuedAt`, not with the clock: data
   * signed while the key was valid stays verifiable after `notAfter`. A key that may have
   * leaked must be revoked, not just left to expire.
   *
   * @param request - kid, alg, claimed issuer, claimed signing time, role
   * @returns the verifying key and the entry
   * @throws {@link TrustError} `ERR_TRUST_UNKNOWN_SIGNER`, `ERR_TRUST_ROLE`,
   *   `ERR_TRUST_ISSUER_MISMATCH`, `ERR_TRUST_REVOKED`, `ERR_TRUST_NOT_VALID`
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a malformed request
   * @example
   * ```ts
   * const { key, entry } = trust.resolve({
   *   kid: facts.signer.kid,
   *   alg: facts.signer.alg,
   *   issuer: facts.provenance.issuer,
   *   issuedAt: facts.provenance.issuedAt,
   *   role: 'producer',
   * });
   * ```
   */
  resolve(request: TrustResolveRequest): TrustResolution {
    if (typeof request !== 'object' || request === null) throw new ArgumentError('resolve() needs a request');
    const { alg, issuer, issuedAt, role } = request;
    const id = toHex(checkKid(request.kid));
    if (typeof alg !== 'number' || !Number.isInteger(alg)) throw new ArgumentError('alg must be an integer');
    if (typeof issuer !== 'string') throw new ArgumentError('issuer must be a string');
    if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) throw new ArgumentError('issuedAt must be a finite number of seconds');
    checkRoles([role]);

    const entry = this.#entries.get(id);
    /* Unknown signer: stops a key nobody vouched for (a self-made key, a key of another deployment). */
    if (entry === undefined) throw new TrustError('ERR_TRUST_UNKNOWN_SIGNER', `no trusted key has kid ${kidText(id)}`);
    /* Algorithm confusion: stops a message from choosing how a trusted key is used (RFC 9052 §8). */
    if (!sameSignatureAlgorithm(alg, entry.alg)) { // RFC 9864 §2: EdDSA -8 is Ed25519 -19, ES256 -7 is ESP256 -9
      throw new TrustError('ERR_TRUST_UNKNOWN_SIGNER', `kid ${kidText(id)} is trusted for alg ${entry.alg}, not ${alg}`);
    }
    /* Role confusion: stops a producer's key from signing trust-store documents, policy bundles or re-wraps. */
    if (!entry.roles.includes(role)) {
      throw new TrustError('ERR_TRUST_ROLE', `kid ${kidText(id)} is trusted as ${entry.roles.join(', ')}, not as ${role}`);
    }
    /* Impersonation: stops producer A's key from signing data that claims to come from producer B. */
    if (issuer !== entry.issuer) {
      throw new TrustError('ERR_TRUST_ISSUER_MISMATCH', `kid ${kidText(id)} is trusted as ${quote(entry.issuer)}, not as ${quote(issuer)}`);
    }
    const now = this.#clock();
    /* Revocation: stops a stolen or retired key; by default also the thief's backdated data. */
    if (entry.revokedAt !== undefined) {
      const refused = this.#acceptSignedBeforeRevocation
        ? issuedAt >= entry.revokedAt
        : issuedAt >= entry.revokedAt || now >= entry.revokedAt;
      if (refused) {
        throw new TrustError('ERR_TRUST_REVOKED', `kid ${kidText(id)} was revoked at ${entry.revokedAt}${entry.revocationReason === undefined ? '' : ` (${entry.revocationReason})`}`);
      }
    }
    /* Future-dating: stops data pre-signed now to pass a window or revocation check later. */
    if (issuedAt > now + this.#clockSkew) {
      throw new TrustError('ERR_TRUST_NOT_VALID', `the claimed signing time ${issuedAt} is more than ${this.#clockSkew} s in the future`);
    }
    /* Validity window: stops a key from signing before it was issued or after it expired. */
    if (entry.notBefore !== undefined && issuedAt < entry.notBefore) {
      throw new TrustError('ERR_TRUST_NOT_VALID', `kid ${kidText(id)} is valid from ${entry.notBefore}; the data claims ${issuedAt}`);
    }
    if (entry.notAfter !== undefined && issuedAt >= entry.notAfter) {
      throw new TrustError('ERR_TRUST_NOT_VALID', `kid ${kidText(id)} is valid until ${entry.notAfter}; the data claims ${issuedAt}`);
    }
    return { key: entry.key, entry };
  }

  /**
   * A key source for `verifyEnvelope()`'s `trust` option (and `verifySign1()`'s `key`): for each
   * signature it reads the signer's kid and the CWT claims `iss` and `iat` (header 15) from
   * the protected header only, and calls {@link TrustStore.resolve} with `role`. A refusal is
   * thrown as the TrustError (verifyEnvelope() wraps it as the `cause` of its EnvelopeError).
   *
   * A kid in the unprotected header is ignored: it is not signed, and an attacker could
   * point it at another entry for the same public key with another issuer or role. The
   * claims are read before the signature is checked, but they are the signed bytes the
   * returned key then verifies, so a decision on forged claims never outlives the failed
   * signature check.
   *
   * @param role - the role the signature needs; default `producer`
   * @returns the key source
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for an unknown role
   * @throws {@link TrustError} (from the returned function) `ERR_TRUST_UNKNOWN_SIGNER` for no
   *   or an unknown protected kid; `ERR_TRUST_ISSUER_MISMATCH` when the claims have no text
   *   `iss`; `ERR_TRUST_NOT_VALID` when they have no unsigned-integer `iat`; and every code
   *   of {@link TrustStore.resolve}
   * @example
   * ```ts
   * const facts = await verifyEnvelope(envelope, { backend, trust: trust.keySource() });
   * const bundle = await verifySign1(bundleBytes, { backend, key: trust.keySource('policy-bundle') });
   * ```
   */
  keySource(role: TrustRole = 'producer'): (lookup: KeyLookup) => VerifyingKey {
    checkRoles([role]);
    return (lookup: KeyLookup): VerifyingKey => {
      const header = lookup.protectedHeader;
      const kid = header.get(HeaderLabel.kid);
      /* Kid swapping: only a signed kid picks the entry. */
      if (!(kid instanceof Uint8Array) || kid.length === 0) {
        throw new TrustError('ERR_TRUST_UNKNOWN_SIGNER', 'the signer must be named by a kid in the protected header');
      }
      if (!this.#entries.has(toHex(kid))) throw new TrustError('ERR_TRUST_UNKNOWN_SIGNER', `no trusted key has kid ${kidText(toHex(kid))}`);
      const claims = header.get(HeaderLabel.cwtClaims);
      const issuer = claims instanceof Map ? claims.get(ClaimKey.issuer) : undefined;
      /* Without a claimed issuer there is no identity to bind the key to. */
      if (typeof issuer !== 'string') throw new TrustError('ERR_TRUST_ISSUER_MISMATCH', 'the signed claims name no issuer (CWT iss)');
      const issuedAt = claims instanceof Map ? claims.get(ClaimKey.issuedAt) : undefined;
      /* Without a claimed signing time there is no window or revocation to check against. */
      if (!isSeconds(issuedAt)) throw new TrustError('ERR_TRUST_NOT_VALID', 'the signed claims carry no usable signing time (CWT iat)');
      return this.resolve({ kid, alg: lookup.alg, issuer, issuedAt, role }).key;
    };
  }

  /**
   * Verifies a signed trust-store document against `anchors` and returns a new store holding
   * its entries. The format is documented at {@link signTrustStoreDocument}.
   *
   * @param document - the document bytes (untrusted)
   * @param options - the new store's options, plus `anchors` and `limits`
   * @returns the loaded store; its {@link TrustStore.serial} is the document's
   * @throws {@link TrustError} `ERR_TRUST_DOCUMENT_INVALID` for any problem with the
   *   document, with the precise failure in `cause`
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for bad options
   * @example
   * ```ts
   * const anchors = new TrustStore({ backend });
   * await anchors.add({ key: trustAdminPublicKey, issuer: 'city-trust-admin', roles: ['trust-store'] });
   * const trust = await TrustStore.load(documentBytes, { backend, anchors });
   * ```
   */
  static async load(document: Uint8Array, options: TrustStoreLoadOptions): Promise<TrustStore> {
    const { anchors, limits, state, ...storeOptions } = options ?? ({} as TrustStoreLoadOptions);
    const store = state === undefined ? new TrustStore(storeOptions) : await TrustStore.restore({ ...storeOptions, state });
    await store.update(document, { anchors, limits });
    return store;
  }

  /**
   * Replaces this store's entries with those of a newer signed trust-store document,
   * atomically: on any failure the store keeps its previous entries, serial and revocations.
   *
   * Checks, in order: the size (before decoding anything); the COSE_Sign1 and its signature,
   * with `anchors.keySource('trust-store')` (so the signer must be an anchor with role
   * `trust-store`, issuer equal to the CWT `iss`, valid and unrevoked at the CWT `iat`);
   * the headers and the payload, strictly (unknown fields, versions and roles, private or
   * symmetric keys, kids, duplicate keys, payload `issuedAt` other than the CWT `iat`, more
   * than `maxEntries` entries); then the serial: it must be greater than the loaded one.
   * A document byte-identical to the loaded one is a no-op (not a rollback); another
   * document with the same serial is a rollback. Revocations stay sticky (class notes).
   *
   * @param document - the document bytes (untrusted)
   * @param options - `anchors` and `limits`
   * @throws {@link TrustError} `ERR_TRUST_DOCUMENT_ROLLBACK` for a serial not above the loaded
   *   one; `ERR_TRUST_DOCUMENT_INVALID` for any other problem, with the precise failure in `cause`
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for bad options
   * @example
   * ```ts
   * try {
   *   await trust.update(await fetchTrustDocument(), { anchors });
   * } catch (error) {
   *   if (TrustError.isInstance(error)) log.warn('trust-store update refused', { code: error.code, cause: error.cause });
   *   else throw error;
   * }
   * ```
   */
  async update(document: Uint8Array, options: TrustDocumentOptions): Promise<void> {
    if (!(document instanceof Uint8Array)) throw new ArgumentError('document must be a Uint8Array');
    if (typeof options !== 'object' || options === null || !(options.anchors instanceof TrustStore)) {
      throw new ArgumentError('update() needs options with anchors (a TrustStore)');
    }
    const { anchors } = options;
    const limits = resolveTrustDocumentLimits(options.limits);
    /* Resource exhaustion: the size is checked before a single byte is decoded. */
    if (document.length > limits.maxDocumentBytes) {
      throw new TrustError('ERR_TRUST_DOCUMENT_INVALID', `trust-store document of ${document.length} bytes exceeds maxDocumentBytes (${limits.maxDocumentBytes})`);
    }
    const digest = await settle(this.#backend.sha256(document));
    if (this.#applied && this.#documentDigest !== undefined && sameBytes(digest, this.#documentDigest)) return;

    let serial: bigint;
    let decoded: readonly DocumentEntry[];
    try {
      /* Forged or foreign documents: only an anchor with role trust-store, as its own issuer, may sign one. */
      const verified = await verifySign1(document, {
        backend: anchors.#backend,
        key: anchors.keySource('trust-store'),
        maxBytes: limits.maxDocumentBytes,
      });
      /* Confusion with other signed objects: exact content type, only known header parameters. */
      const issuedAt = checkDocumentHeaders(verified);
      /* Malformed or smuggled content: strict decoding of the signed payload, explicit limits. */
      const content = decodeTrustStorePayload(verified.payload, limits);
      if (content.issuedAt !== issuedAt) throw new TrustError('ERR_TRUST_DOCUMENT_INVALID', 'trust-store document issuedAt differs from its CWT iat');
      serial = content.serial;
      decoded = content.entries;
    } catch (error) {
      throw documentInvalid(error);
    }
    /* Rollback: stops an attacker from replaying an older document that still trusts a since-revoked key
     * (after a restart too: a restored store starts from the saved serial). */
    this.#checkSerial(serial, digest);

    const built = new Map<string, TrustedKey>();
    try {
      for (const [index, item] of decoded.entries()) {
        const { key, coseKey, alg } = await publicSignatureKey(this.#backend, item.coseKey);
        /* The kid is always the thumbprint, so one entry cannot claim another key's kid. */
        const kid = await coseKeyThumbprint(coseKey, this.#backend);
        const id = toHex(kid);
        /* Duplicate keys: two entries for one key would make the outcome depend on which one wins. */
        if (built.has(id)) throw new TrustError('ERR_TRUST_DOCUMENT_INVALID', `trust-store document entry ${index} repeats kid ${kidText(id)}`);
        const fields: EntryFields = { kid, alg, issuer: item.issuer, roles: item.roles, key, coseKey };
        if (item.notBefore !== undefined) fields.notBefore = item.notBefore;
        if (item.notAfter !== undefined) fields.notAfter = item.notAfter;
        if (item.revokedAt !== undefined) fields.revokedAt = item.revokedAt;
        if (item.revocationReason !== undefined) fields.revocationReason = item.revocationReason;
        built.set(id, trustedKey(fields));
      }
    } catch (error) {
      throw documentInvalid(error);
    }

    /* With a state, the new high-water mark and revocations are saved before the document takes
     * effect: a restart can then never see an older serial than one this store acted on. The
     * swap runs in the same turn as the last check, so it is atomic; the serial is checked again
     * because another update may have landed meanwhile. */
    const revocations = (): Map<string, Revocation> => {
      const merged = new Map(this.#revocations);
      for (const [id, entry] of built) {
        const revocation = revocationOf(entry);
        if (revocation !== undefined) merged.set(id, earlier(merged.get(id), revocation));
      }
      return merged;
    };
    await this.#persist(() => {
      this.#checkSerial(serial, digest);
      return this.#stateBytes(revocations(), serial, digest);
    }, () => {
      this.#checkSerial(serial, digest);
      const merged = revocations();
      for (const [id, revocation] of merged) this.#revocations.set(id, revocation);
      const next = new Map<string, TrustedKey>();
      for (const [id, entry] of built) next.set(id, this.#withRemembered(id, entry));
      this.#entries = next;
      this.#serial = serial;
      this.#documentDigest = digest;
      this.#applied = true;
    });
  }

  /**
   * A serial below the newest accepted is a rollback; so is the same serial on a different
   * document (equivocation). The same document again passes: only a restored store, whose
   * entries are still empty, gets this far with it.
   */
  #checkSerial(serial: bigint, digest: Uint8Array): void {
    if (this.#serial === undefined) return;
    if (serial < this.#serial || (serial === this.#serial && !sameBytes(digest, this.#documentDigest!))) {
      throw new TrustError('ERR_TRUST_DOCUMENT_ROLLBACK', serial === this.#serial
        ? `a different trust-store document with serial ${serial} is already loaded`
        : `trust-store document serial ${serial} is below the loaded serial ${this.#serial}`);
    }
  }
}

/** Every document failure but rollback is one code, the precise reason kept in `cause`. */
function documentInvalid(error: unknown): TrustError {
  if (TrustError.isInstance(error) && error.code === 'ERR_TRUST_DOCUMENT_INVALID') return error;
  const what = WardError.isInstance(error) ? error.code : 'an unexpected error';
  return new TrustError('ERR_TRUST_DOCUMENT_INVALID', `trust-store document refused (${what})`, { cause: error });
}

