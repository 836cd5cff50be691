/*
 * StoredKeyset: a keyset bound to a KeyStore, so that what the documentation asks of callers
 * ("save after rotating, before sealing") cannot be forgotten. Every key it hands out for
 * sealing or signing is in the store first, and every use it hands out is covered by a saved
 * use reservation, so neither a crash nor a failing store can lose a key that sealed data or
 * let a reloaded keyset count fewer uses than were made (SPEC.md §9, use counts).
 */
import type { AeadKey, SigningKey } from '../backend/crypto-backend.js';
import { sameBytes } from '../bytes.js';
import type { KeyAgreementRecipient, KeyWrapRecipient } from '../cose/encrypt.js';
import { ArgumentError, KeyError } from '../errors.js';
import type { KeyAlgorithm } from '../backend/crypto-backend.js';
import { checkKeysetName } from './key-store.js';
import type { KeyStore } from './key-store.js';
import type { Keyset } from './keyset.js';
import type { KeysetKeyInfo } from './keyset-document.js';

/** Options of {@link StoredKeyset.load} and {@link StoredKeyset.create}. */
export interface StoredKeysetOptions {
  /**
   * Uses reserved by each save, default {@link DEFAULT_USE_RESERVATION}. One save per this
   * many seals or signatures; a crash counts at most this many uses that were never made.
   */
  readonly reserveUses?: number;
}

/**
 * Default use reservation: 65,536 uses per save. Against the 2^31 default limit of a
 * random-nonce key, a crash after every reservation would still leave 32,768 reservations.
 */
export const DEFAULT_USE_RESERVATION = 65_536;

/** What the store is known to hold: the primary and the use count its reservation reaches. */
interface Persisted {
  readonly primaryKid: Uint8Array | undefined;
  readonly usesThrough: number;
}

/**
 * A {@link Keyset} bound to a name in a {@link KeyStore}. Its sealing accessors
 * ({@link StoredKeyset.signer}, {@link StoredKeyset.sharedKey}, {@link StoredKeyset.recipient})
 * hand out the primary only once the store holds it, and only within a saved use reservation;
 * its lifecycle operations save before they resolve. A store that cannot save makes them
 * fail: nothing unsaved is ever handed out for sealing.
 *
 * For opening, use the keyset itself ({@link StoredKeyset.keyset}): `recipientKey()`,
 * `openingKey()` and `publicKeys()` need no saves. Changing the keyset directly is allowed
 * (a `rotate()` on it, say): the next sealing accessor sees an unsaved primary and saves first.
 *
 * @example
 * ```ts
 * import { Keyset, MemoryKeyStore, StoredKeyset, sealEnvelope } from '@ward/core';
 *
 * const store = new MemoryKeyStore(backend); // or FileKeyStore from @ward/node
 * const zone = await StoredKeyset.create(store, 'zone-a', await Keyset.generate(backend, { purpose: 'shared' }));
 * const envelope = await sealEnvelope(reading, { backend, signer, key: await zone.sharedKey(), claims, attributes });
 * await zone.rotate(); // saved before it resolves; the next seal uses the new key
 * ```
 */
export class StoredKeyset {
  readonly #store: KeyStore;
  readonly #name: string;
  readonly #keyset: Keyset;
  readonly #reserve: number;
  #persisted: Persisted;
  /** The save in flight; sealing accessors wait for it and look again. */
  #saving: Promise<void> | undefined;

  private constructor(store: KeyStore, name: string, keyset: Keyset, reserve: number, persisted: Persisted) {
    this.#store = store;
    this.#name = name;
    this.#keyset = keyset;
    this.#reserve = reserve;
    this.#persisted = persisted;
  }

  /**
   * Loads the keyset stored under `name`. Its saved use counts already include the
   * reservation its last session held, so the first seal saves a new one.
   *
   * @param store - the keystore
   * @param name - the keyset name
   * @param options - the use reservation per save
   * @returns the bound keyset
   * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` when the store holds no keyset of that name
   * @throws whatever the store's `load` throws (`KeyStoreError`)
   * @example
   * ```ts
   * const readers = await StoredKeyset.load(fileKeyStore, 'city-readers');
   * ```
   */
  static async load(store: KeyStore, name: string, options?: StoredKeysetOptions): Promise<StoredKeyset> {
    const reserve = checkOptions(store, name, options);
    const keyset = await store.load(name);
    if (keyset === undefined) throw new KeyError('ERR_KEY_NOT_FOUND', `no keyset named ${name} in the store`);
    return new StoredKeyset(store, name, keyset, reserve, loaded(keyset));
  }

  /**
   * Binds `keyset` to `name` and saves it (with a first use reservation) before resolving,
   * replacing what the store held under that name.
   *
   * @param store - the keystore
   * @param name - the keyset name
   * @param keyset - the keyset, typically fresh from `Keyset.generate`
   * @param options - the use reservation per save
   * @returns the bound keyset
   * @throws whatever the store's `save` throws (`KeyStoreError`)
   * @example
   * ```ts
   * const signing = await StoredKeyset.create(store, 'sensor-17-signing', await Keyset.generate(backend, { purpose: 'sign' }));
   * ```
   */
  static async create(store: KeyStore, name: string, keyset: Keyset, options?: StoredKeysetOptions): Promise<StoredKeyset> {
    const reserve = checkOptions(store, name, options);
    if (typeof (keyset as { keys?: unknown } | null)?.keys !== 'function') throw new ArgumentError('StoredKeyset.create() keyset must be a Keyset (Keyset.generate() makes one)');
    const stored = new StoredKeyset(store, name, keyset, reserve, { primaryKid: undefined, usesThrough: 0 });
    await stored.save();
    return stored;
  }

  /** The keyset name in the store. */
  get name(): string {
    return this.#name;
  }

  /** The keyset, for opening (`recipientKey()`, `openingKey()`) and inspection (`keys()`). */
  get keyset(): Keyset {
    return this.#keyset;
  }

  /**
   * The primary signing key, as `sealEnvelope()`'s `signer`, once it is saved and within a saved use
   * reservation (saving first when needed).
   *
   * @returns the signing key and its kid
   * @throws as `Keyset.signer()`, and whatever the store's `save` throws
   * @example
   * ```ts
   * const envelope = await sealEnvelope(reading, { backend, signer: await signing.signer(), recipients, claims, attributes });
   * ```
   */
  async signer(): Promise<{ readonly key: SigningKey; readonly kid: Uint8Array }> {
    return this.#use(() => this.#keyset.signer());
  }

  /**
   * The primary shared content key, as `sealEnvelope()`'s `key`, once it is saved and within a saved
   * use reservation (saving first when needed). Call it once per seal.
   *
   * @returns the AEAD key and its kid
   * @throws as `Keyset.sharedKey()`, and whatever the store's `save` throws
   * @example
   * ```ts
   * const envelope = await sealEnvelope(reading, { backend, signer, key: await zone.sharedKey(), claims, attributes });
   * ```
   */
  async sharedKey(): Promise<{ readonly key: AeadKey; readonly kid: Uint8Array }> {
    return this.#use(() => this.#keyset.sharedKey());
  }

  /**
   * The primary as a recipient for `sealEnvelope()`, once it is saved and within a saved use
   * reservation (saving first when needed).
   *
   * @returns the recipient spec
   * @throws as `Keyset.recipient()`, and whatever the store's `save` throws
   * @example
   * ```ts
   * const envelope = await sealEnvelope(reading, { backend, signer, recipients: [await readers.recipient()], claims, attributes });
   * ```
   */
  async recipient(): Promise<KeyAgreementRecipient | KeyWrapRecipient> {
    return this.#use(() => this.#keyset.recipient());
  }

  /**
   * Rotates (`Keyset.rotate()`) and saves. The new primary seals nothing before the save
   * succeeded; if it fails, this rejects and the next sealing accessor tries to save again.
   *
   * @param options - algorithm and size of the new key, as for `Keyset.rotate()`
   * @returns the new primary's metadata
   * @throws as `Keyset.rotate()`, and whatever the store's `save` throws
   * @example
   * ```ts
   * if (zone.keyset.rotationDue().due) await zone.rotate();
   * ```
   */
  async rotate(options?: { readonly algorithm?: KeyAlgorithm; readonly size?: number }): Promise<KeysetKeyInfo> {
    return this.#saved(await this.#keyset.rotate(options));
  }

  /**
   * Retires a key (`Keyset.retire()`) and saves.
   *
   * @param kid - the key id
   * @returns the key's new metadata
   * @throws as `Keyset.retire()`, and whatever the store's `save` throws
   * @example
   * ```ts
   * await readers.retire(oldKid);
   * ```
   */
  async retire(kid: Uint8Array): Promise<KeysetKeyInfo> {
    return this.#saved(this.#keyset.retire(kid));
  }

  /**
   * Revokes a key (`Keyset.revoke()`) and saves.
   *
   * @param kid - the key id
   * @param options - revocation time and reason
   * @returns the key's new metadata
   * @throws as `Keyset.revoke()`, and whatever the store's `save` throws
   * @example
   * ```ts
   * await readers.revoke(leakedKid, { reason: 'laptop stolen' });
   * ```
   */
  async revoke(kid: Uint8Array, options?: { readonly at?: number; readonly reason?: string }): Promise<KeysetKeyInfo> {
    return this.#saved(this.#keyset.revoke(kid, options));
  }

  /**
   * Destroys a key (`Keyset.destroy()`) and saves, so the stored copy loses it too.
   *
   * @param kid - the key id
   * @returns the key's new metadata
   * @throws as `Keyset.destroy()`, and whatever the store's `save` throws
   * @example
   * ```ts
   * await readers.destroy(expiredKid); // data under it is now crypto-shredded in this store
   * ```
   */
  async destroy(kid: Uint8Array): Promise<KeysetKeyInfo> {
    return this.#saved(await this.#keyset.destroy(kid));
  }

  /**
   * Drops a destroyed key's tombstone (`Keyset.forget()`) and saves.
   *
   * @param kid - the id of a destroyed key
   * @returns true when a tombstone was dropped
   * @throws as `Keyset.forget()`, and whatever the store's `save` throws
   * @example
   * ```ts
   * await readers.forget(longDestroyedKid);
   * ```
   */
  async forget(kid: Uint8Array): Promise<boolean> {
    return this.#saved(this.#keyset.forget(kid));
  }

  /**
   * Saves the keyset with a fresh use reservation for its primary. Saves never overlap: one
   * asked for while another runs starts after it.
   *
   * @throws whatever the store's `save` throws (`KeyStoreError`)
   * @example
   * ```ts
   * await zone.save();
   * ```
   */
  async save(): Promise<void> {
    const previous = this.#saving;
    const run = (async () => {
      if (previous !== undefined) await previous.catch(() => undefined);
      /* What the document will hold, taken in the same synchronous step as the reservation:
       * only uses it covers may be handed out once it is saved. */
      const primaryKid = this.#keyset.primaryKid;
      const written: Persisted = { primaryKid, usesThrough: primaryKid === undefined ? 0 : this.#keyset.reserveUses(this.#reserve) };
      await this.#store.save(this.#name, this.#keyset);
      this.#persisted = written;
    })();
    this.#saving = run;
    try {
      await run;
    } finally {
      if (this.#saving === run) this.#saving = undefined;
    }
  }

  /** `result` of a lifecycle change, once the change is saved. */
  async #saved<T>(result: T): Promise<T> {
    await this.save();
    return result;
  }

  /** Hands out one use when the primary is saved and the use is within the saved reservation. */
  async #use<T>(take: () => T): Promise<Awaited<T>> {
    for (;;) {
      if (this.#saving !== undefined) {
        await this.#saving.catch(() => undefined);
        continue;
      }
      /* Checked and taken in one synchronous step: no other call can take the last reserved use in between. */
      if (this.#covers()) return await take();
      await this.save();
    }
  }

  /** Whether the next use of the current primary is covered by what the store holds. */
  #covers(): boolean {
    const kid = this.#keyset.primaryKid;
    /* No primary: let the keyset raise its own error. */
    if (kid === undefined) return true;
    const { primaryKid, usesThrough } = this.#persisted;
    if (primaryKid === undefined || !sameBytes(kid, primaryKid)) return false;
    return this.#keyset.get(kid)!.uses < usesThrough;
  }
}

function checkOptions(store: KeyStore, name: string, options: StoredKeysetOptions | undefined): number {
  if (typeof store !== 'object' || store === null || typeof store.save !== 'function' || typeof store.load !== 'function') {
    throw new ArgumentError('store must be a KeyStore');
  }
  checkKeysetName(name);
  const reserve = options?.reserveUses ?? DEFAULT_USE_RESERVATION;
  if (!Number.isSafeInteger(reserve) || reserve < 1) throw new ArgumentError('reserveUses must be a positive safe integer');
  return reserve;
}

/** A loaded keyset: its stored use count already includes the reservation it was saved with. */
function loaded(keyset: Keyset): Persisted {
  const primaryKid = keyset.primaryKid;
  return { primaryKid, usesThrough: primaryKid === undefined ? 0 : keyset.get(primaryKid)!.uses };
}
