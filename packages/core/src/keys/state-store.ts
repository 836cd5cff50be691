/*
 * The StateStore seam: a small record that must only move forward, kept apart from what it
 * guards. A trust store keeps its serial high-water mark and sticky revocations in one; a
 * file keystore can keep its keysets' revision high-water marks in one. Core ships a memory
 * implementation; `@ward/node` ships a crash-safe file (FileStateStore).
 */
import type { MaybePromise } from '../backend/crypto-backend.js';
import { ArgumentError } from '../errors.js';

/**
 * One opaque state record, persisted. Implementations must make {@link StateStore.save}
 * atomic and durable (a reader, or the next process after a crash, sees the previous record
 * or the new one, never a mix, and `save` resolves only once the new one is durable), and
 * must never turn a damaged record into "no record": `load` throws `KeyStoreError`
 * `ERR_KEYSTORE_CORRUPT` or `ERR_KEYSTORE_IO` instead, because an empty state would reopen
 * every rollback it exists to stop.
 *
 * Local state stops a rollback of what it guards (an older trust-store document, an older
 * keystore file restored from a backup); it cannot stop someone who rolls back or deletes the
 * state record too. Keep it where that is harder than replacing the guarded data (another
 * volume, a database with its own history, a TPM NV counter).
 */
export interface StateStore {
  /**
   * The stored record, or undefined when none was ever saved.
   *
   * @throws KeyStoreError `ERR_KEYSTORE_CORRUPT` or `ERR_KEYSTORE_IO`
   */
  load(): MaybePromise<Uint8Array | undefined>;
  /**
   * Replaces the record, atomically and durably.
   *
   * @throws KeyStoreError `ERR_KEYSTORE_IO`
   */
  save(state: Uint8Array): MaybePromise<void>;
}

/**
 * A {@link StateStore} in memory: the record lives as long as the object. Share one between
 * the stores of one process (a restarted `TrustStore` object, say); for state that must
 * survive the process, use `FileStateStore` from `@ward/node` or your own store.
 *
 * @example
 * ```ts
 * import { MemoryStateStore, TrustStore } from '@ward/core';
 *
 * const state = new MemoryStateStore();
 * const trust = await TrustStore.restore({ backend, state });
 * ```
 */
export class MemoryStateStore implements StateStore {
  #state: Uint8Array | undefined;

  /**
   * A copy of the record.
   *
   * @returns the record, or undefined
   * @example
   * ```ts
   * const bytes = state.load();
   * ```
   */
  load(): Uint8Array | undefined {
    return this.#state?.slice();
  }

  /**
   * Keeps a copy of `state`.
   *
   * @param state - the record
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `state` is not a Uint8Array
   * @example
   * ```ts
   * state.save(new Uint8Array([1]));
   * ```
   */
  save(state: Uint8Array): void {
    if (!(state instanceof Uint8Array)) throw new ArgumentError('state must be a Uint8Array');
    this.#state = state.slice();
  }
}

/**
 * Checks that `store` looks like a {@link StateStore}.
 *
 * @internal
 */
export function checkStateStore(store: unknown, name: string): StateStore {
  if (typeof store !== 'object' || store === null || typeof (store as StateStore).load !== 'function' || typeof (store as StateStore).save !== 'function') {
    throw new ArgumentError(`${name} must be a StateStore (load, save)`);
  }
  return store as StateStore;
}
