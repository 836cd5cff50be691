/*
 * The KeyStore seam: where named keysets live between runs. Core ships an in-memory store;
 * `@ward/node` ships a file store encrypted at rest; the browser package will add IndexedDB.
 */
import type { CryptoBackend, MaybePromise } from '../backend/crypto-backend.js';
import { ArgumentError } from '../errors.js';
import { Keyset } from './keyset.js';
import { keysetDocumentRevision } from './keyset-document.js';

/**
 * Named keysets, persisted. Implementations must make {@link KeyStore.save} atomic: a reader
 * (or the next process after a crash) sees either the previous keyset or the new one, never a
 * mix, and `save` resolves only once the new one is durable.
 *
 * Rollback (SPEC.md §9, keyset revisions): every saved document carries a revision
 * ({@link Keyset.revision}). A store keeps, per name, the highest revision it has saved or
 * loaded (also after `delete`), writes each save above it (`toDocument({ revisionAbove })`)
 * and refuses to load a lower one (`fromDocument({ minRevision })`) with `KeyStoreError`
 * `ERR_KEYSTORE_ROLLBACK`, so an older copy of a keyset (from before a revocation) cannot
 * come back. How far that mark reaches is the store's to document: across restarts it needs
 * state kept apart from the keysets (a `StateStore`).
 */
export interface KeyStore {
  /**
   * The keyset stored under `name`, or undefined.
   *
   * @throws KeyStoreError `ERR_KEYSTORE_CORRUPT`, `ERR_KEYSTORE_UNLOCK_FAILED`, `ERR_KEYSTORE_IO`
   *   or `ERR_KEYSTORE_ROLLBACK`
   */
  load(name: string): MaybePromise<Keyset | undefined>;
  /** Stores `keyset` under `name`, replacing what was there, atomically and durably. */
  save(name: string, keyset: Keyset): MaybePromise<void>;
  /** Removes `name`; resolves to whether it existed. */
  delete(name: string): MaybePromise<boolean>;
  /** The stored names, sorted. */
  names(): MaybePromise<readonly string[]>;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks a keyset name: 1 to 128 characters of letters, digits, `.`, `_` and `-`, starting
 * with a letter or digit (safe as a file name and in any store).
 *
 * @param name - the name
 * @returns the name
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for any other name
 * @example
 * ```ts
 * import { checkKeysetName } from '@ward/core/keys';
 *
 * checkKeysetName('city-readers'); // 'city-readers'
 * ```
 */
export function checkKeysetName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new ArgumentError('a keyset name is 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  return name;
}

/**
 * A {@link KeyStore} in memory: keysets are kept as their serialised documents (so a loaded
 * keyset is a copy, as from any other store) and vanish with the process. For tests, and for
 * devices that receive their keys at boot.
 *
 * @example
 * ```ts
 * import { Keyset, MemoryKeyStore } from '@ward/core';
 *
 * const store = new MemoryKeyStore(backend);
 * await store.save('zone-a', await Keyset.generate(backend, { purpose: 'shared' }));
 * const zoneA = await store.load('zone-a');
 * ```
 */
export class MemoryKeyStore implements KeyStore {
  readonly #backend: CryptoBackend;
  readonly #documents = new Map<string, Uint8Array>();
  /** The highest revision saved under each name, kept after delete. */
  readonly #revisions = new Map<string, number>();

  /** @param backend - the backend loaded keysets import their keys into */
  constructor(backend: CryptoBackend) {
    this.#backend = backend;
  }

  /**
   * The keyset stored under `name`, as a fresh copy.
   *
   * @param name - the keyset name
   * @returns the keyset, or undefined
   * @example
   * ```ts
   * const keyset = await store.load('zone-a');
   * ```
   */
  async load(name: string): Promise<Keyset | undefined> {
    const document = this.#documents.get(checkKeysetName(name));
    return document === undefined ? undefined : Keyset.fromDocument(document, { backend: this.#backend });
  }

  /**
   * Stores a snapshot of `keyset` under `name`, at a revision above every one saved under
   * that name before (deleted ones included).
   *
   * @param name - the keyset name
   * @param keyset - the keyset
   * @example
   * ```ts
   * await keyset.rotate();
   * await store.save('zone-a', keyset);
   * ```
   */
  async save(name: string, keyset: Keyset): Promise<void> {
    checkKeysetName(name);
    const document = await keyset.toDocument({ revisionAbove: this.#revisions.get(name) ?? 0 });
    this.#revisions.set(name, Math.max(this.#revisions.get(name) ?? 0, keysetDocumentRevision(document)));
    this.#documents.get(name)?.fill(0);
    this.#documents.set(name, document);
  }

  /**
   * Removes `name`, wiping its stored document.
   *
   * @param name - the keyset name
   * @returns whether it existed
   * @example
   * ```ts
   * await store.delete('zone-a');
   * ```
   */
  delete(name: string): boolean {
    const document = this.#documents.get(checkKeysetName(name));
    document?.fill(0);
    return this.#documents.delete(name);
  }

  /**
   * The stored names, sorted.
   *
   * @returns the names
   * @example
   * ```ts
   * console.log(store.names()); // ['zone-a']
   * ```
   */
  names(): readonly string[] {
    return [...this.#documents.keys()].sort();
  }
}
