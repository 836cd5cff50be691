/*
 * FileStateStore: a StateStore in one small file, replaced atomically and durably on every
 * save (atomic-file.ts, the file keystore's writer). It holds rollback state — a trust
 * store's serial high-water mark and sticky revocations, a file keystore's keyset revisions —
 * so losing it quietly would reopen the rollbacks it exists to stop: a damaged file is a typed
 * error, never "no state".
 *
 * File = state bytes ‖ SHA-256(state bytes). The digest is no authentication (whoever can
 * write the file can recompute it); it turns a torn or bit-flipped file into
 * ERR_KEYSTORE_CORRUPT instead of state that decodes to something else.
 */
import { createHash } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ArgumentError, KeyStoreError } from '@ward/core';
import type { StateStore } from '@ward/core';
import { writeFileAtomic } from './atomic-file.js';
import { errorCode, readInto } from '../durable-fs.js';

/** Largest state file: checked with fstat before a byte is read. */
export const MAX_STATE_FILE_BYTES = 16 * 1024 * 1024;
const DIGEST_BYTES = 32;

function digest(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/**
 * A {@link StateStore} in one file (mode 0600), for the rollback state of a `TrustStore`
 * (`TrustStore.restore({ state })`) or a `FileKeyStore` (`{ state }`). Saves write a temp file,
 * fsync it, rename it over the file and fsync the directory, so a crash leaves the previous
 * state or the new one. A missing file loads as "no state" (the first start); a file that is
 * empty, truncated, too large or fails its SHA-256 check is `ERR_KEYSTORE_CORRUPT`, never a
 * silent reset.
 *
 * Keep the file where replacing it is harder than replacing what it guards: anyone who can
 * delete it, or roll it back together with the guarded data, undoes the protection.
 *
 * @example
 * ```ts
 * import { TrustStore } from '@ward/core';
 * import { FileStateStore } from '@ward/node';
 *
 * const state = new FileStateStore('/var/lib/ward/trust.state');
 * const trust = await TrustStore.restore({ backend, state });
 * await trust.update(await fetchTrustDocument(), { anchors });
 * ```
 */
export class FileStateStore implements StateStore {
  readonly #path: string;
  /** Serialises saves, so an older record never lands after a newer one. */
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param path - the state file; its directory must exist
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for an empty path
   */
  constructor(path: string) {
    if (typeof path !== 'string' || path.length === 0) throw new ArgumentError('path must be a non-empty string');
    this.#path = path;
  }

  /** The state file's path. */
  get path(): string {
    return this.#path;
  }

  /**
   * The stored record, or undefined when the file does not exist.
   *
   * @returns the record
   * @throws KeyStoreError `ERR_KEYSTORE_CORRUPT` for an empty, truncated, oversized or damaged
   *   file; `ERR_KEYSTORE_IO` when it cannot be read or is not a regular file
   * @example
   * ```ts
   * const bytes = await state.load();
   * ```
   */
  async load(): Promise<Uint8Array | undefined> {
    let handle: FileHandle;
    try {
      /* O_NONBLOCK: a FIFO planted at the path must not hang open(2); it is refused below. */
      handle = await fsp.open(this.#path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw new KeyStoreError('ERR_KEYSTORE_IO', `could not open state file ${this.#path}`, { cause: error });
    }
    try {
      const stat = await handle.stat().catch((error: unknown) => {
        throw new KeyStoreError('ERR_KEYSTORE_IO', `could not stat state file ${this.#path}`, { cause: error });
      });
      if (!stat.isFile()) throw new KeyStoreError('ERR_KEYSTORE_IO', `state file ${this.#path} is not a regular file`);
      if (stat.size > MAX_STATE_FILE_BYTES) throw new KeyStoreError('ERR_KEYSTORE_CORRUPT', `state file exceeds ${MAX_STATE_FILE_BYTES} bytes`);
      const bytes = new Uint8Array(stat.size);
      let offset = 0;
      try {
        offset = await readInto(handle, bytes);
      } catch (error) {
        throw new KeyStoreError('ERR_KEYSTORE_IO', `could not read state file ${this.#path}`, { cause: error });
      }
      /* Torn or damaged: refused, never read as "no state" (which would reopen every rollback). */
      if (offset !== bytes.length || bytes.length <= DIGEST_BYTES) throw new KeyStoreError('ERR_KEYSTORE_CORRUPT', `state file ${this.#path} is truncated`);
      const state = bytes.subarray(0, bytes.length - DIGEST_BYTES);
      const expected = digest(state);
      const stored = bytes.subarray(bytes.length - DIGEST_BYTES);
      /* Torn write / bit rot (not an attacker: see the file comment): a damaged state is refused. */
      if (!expected.every((byte, index) => byte === stored[index])) {
        throw new KeyStoreError('ERR_KEYSTORE_CORRUPT', `state file ${this.#path} fails its SHA-256 check`);
      }
      return state.slice();
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * Replaces the record atomically and durably; saves on one instance land in call order.
   *
   * @param state - the record (at most 16 MiB)
   * @throws KeyStoreError `ERR_KEYSTORE_IO` when the file cannot be written
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for a record that is not a
   *   non-empty Uint8Array or is too large
   * @example
   * ```ts
   * await state.save(bytes);
   * ```
   */
  save(state: Uint8Array): Promise<void> {
    if (!(state instanceof Uint8Array) || state.length === 0) throw new ArgumentError('state must be a non-empty Uint8Array');
    if (state.length + DIGEST_BYTES > MAX_STATE_FILE_BYTES) throw new ArgumentError(`state may not exceed ${MAX_STATE_FILE_BYTES - DIGEST_BYTES} bytes`);
    const file = new Uint8Array(state.length + DIGEST_BYTES);
    file.set(state);
    file.set(digest(state), state.length);
    const run = this.#queue.then(() => writeFileAtomic(this.#path, file));
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
