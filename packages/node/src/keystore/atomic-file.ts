/*
 * Atomic, durable file replacement for the file keystore (POSIX rename semantics):
 *
 *   open(".<name>.tmp-<random>", O_CREAT|O_EXCL|O_WRONLY, 0600) → write all → fsync(file) → close
 *   → rename(temp, target)            (or link(temp, target) + unlink(temp) to refuse an existing target)
 *   → fsync(directory)                (the rename itself reaches the disk)
 *
 * A reader, or the next process after a crash at any point, sees either the old file or the
 * new one: rename(2) swaps the directory entry in one step and the new inode's data was synced
 * before it became reachable. A crash before the rename leaves a stray temp file that the
 * keystore ignores and removes on its next open ({@link removeStaleTempFiles}).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KeyStoreError } from '@ward/core';
import { errorCode, syncDirectory } from '../durable-fs.js';

/**
 * The `node:fs/promises` functions the atomic writer uses. Injectable (internal) so tests can
 * make any step fail; production code always uses `node:fs/promises`.
 */
export interface AtomicFileSystem {
  /** `fs.promises.open`. */
  open(path: string, flags: number | string, mode?: number): Promise<FileHandle>;
  /** `fs.promises.rename`. */
  rename(from: string, to: string): Promise<void>;
  /** `fs.promises.link`. */
  link(existing: string, created: string): Promise<void>;
  /** `fs.promises.unlink`. */
  unlink(path: string): Promise<void>;
  /** `fs.promises.readdir`. */
  readdir(path: string): Promise<string[]>;
}

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /**
   * Refuse to replace an existing target (`ERR_KEYSTORE_IO`, cause code `EEXIST`): the temp
   * file is hard-linked to the target name, which fails atomically when the name is taken (on
   * file systems without hard links, the name is claimed with `O_EXCL` and renamed over).
   */
  readonly noClobber?: boolean;
  /** Internal: the file system to use. Default `node:fs/promises`. */
  readonly fs?: AtomicFileSystem;
}

/** File mode of the temp file and therefore of the target: owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;
const TEMP_MARKER = '.tmp-';
const TEMP_SUFFIX = /^[0-9a-f]{16}$/;
/** Errors of link(2) on file systems without hard links. */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * The prefix of the temp files {@link writeFileAtomic} creates next to `path`:
 * `.<file name>.tmp-`, followed by 16 random hex digits.
 *
 * @param path - the target file
 * @returns the prefix (a file name, without directory)
 * @example
 * ```ts
 * tempFilePrefix('/var/lib/ward/keys.ward'); // '.keys.ward.tmp-'
 * ```
 */
export function tempFilePrefix(path: string): string {
  return `.${basename(path)}${TEMP_MARKER}`;
}

/**
 * Whether `name` (a directory entry) is one of the temp files {@link writeFileAtomic} makes
 * for `path`.
 *
 * @param path - the target file
 * @param name - a file name in the target's directory
 * @returns true for a temp file of `path`
 * @example
 * ```ts
 * isTempFileOf('/var/lib/ward/keys.ward', '.keys.ward.tmp-0123456789abcdef'); // true
 * ```
 */
export function isTempFileOf(path: string, name: string): boolean {
  const prefix = tempFilePrefix(path);
  return name.startsWith(prefix) && TEMP_SUFFIX.test(name.slice(prefix.length));
}

/**
 * Replaces `path` with `data` atomically and durably: writes a temp file in the same directory
 * (unique name, `O_CREAT|O_EXCL`, mode 0600), fsyncs it, renames it over `path` and fsyncs
 * the directory. Resolves only when the new content is on disk; a crash at any moment leaves
 * either the old file or the new one at `path`, never a mix. On any error the temp file is
 * removed.
 *
 * The directory fsync is skipped on Windows and tolerated where the file system refuses it
 * (`EINVAL`, `ENOTSUP`): there the rename's durability is the file system's.
 *
 * @param path - the target file
 * @param data - the complete new content
 * @param options - `noClobber` to refuse an existing target
 * @throws {@link KeyStoreError} `ERR_KEYSTORE_IO` when any step fails (the `fs` error in
 *   `cause`), including an existing target with `noClobber`
 * @example
 * ```ts
 * await writeFileAtomic('/var/lib/ward/keys.ward', encryptedKeystore);
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array, options?: WriteFileAtomicOptions): Promise<void> {
  const fs = options?.fs ?? (nodeFs as unknown as AtomicFileSystem);
  const directory = dirname(path);
  const temp = join(directory, `${tempFilePrefix(path)}${randomBytes(8).toString('hex')}`);
  let handle: FileHandle | undefined;
  let tempExists = false;
  let step = 'create the temp file';
  try {
    /* O_EXCL: never write through a file (or symlink) someone planted under the temp name. */
    handle = await fs.open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, PRIVATE_FILE_MODE);
    tempExists = true;
    step = 'set the temp file mode';
    /* The umask can only clear bits of 0600, but be exact: the keystore is never group/world accessible. */
    await handle.chmod(PRIVATE_FILE_MODE);
    step = 'write the temp file';
    for (let offset = 0; offset < data.length;) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      if (bytesWritten <= 0) throw new Error('write made no progress');
      offset += bytesWritten;
    }
    step = 'fsync the temp file';
    /* The data must be on disk before the rename makes it reachable, or a power cut could publish an empty file. */
    await handle.sync();
    step = 'close the temp file';
    const closing = handle;
    handle = undefined;
    await closing.close();
    if (options?.noClobber === true) {
      step = 'link the new file into place';
      let linked = true;
      try {
        /* link(2) fails with EEXIST when the name is taken: an atomic "create, never overwrite". */
        await fs.link(temp, path);
      } catch (error) {
        const code = errorCode(error);
        if (code === undefined || !LINK_UNSUPPORTED.has(code)) throw error;
        linked = false;
      }
      if (linked) {
        step = 'remove the temp name';
        tempExists = false;
        await fs.unlink(temp).catch(() => undefined);
      } else {
        /* No hard links here (FAT, some network file systems): claim the name with O_EXCL, then
         * rename over the empty placeholder. A crash in between leaves an empty file at `path`. */
        step = 'reserve the target name';
        await (await fs.open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, PRIVATE_FILE_MODE)).close();
        step = 'rename the new file into place';
        await fs.rename(temp, path);
        tempExists = false;
      }
    } else {
      step = 'rename the new file into place';
      await fs.rename(temp, path);
      tempExists = false;
    }
    step = 'fsync the directory';
    /* Makes the rename itself durable: without it a power cut may bring back the old directory entry. */
    await syncDirectory(directory, fs);
  } catch (error) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    if (tempExists) await fs.unlink(temp).catch(() => undefined);
    const exists = errorCode(error) === 'EEXIST' && (step === 'link the new file into place' || step === 'reserve the target name');
    throw new KeyStoreError('ERR_KEYSTORE_IO', exists ? `${path} already exists` : `could not ${step} for ${path}`, { cause: error });
  }
}

/**
 * Removes temp files that {@link writeFileAtomic} left next to `path` when a process died
 * mid-write. Best effort: errors are ignored. Call it only when no other writer can be
 * active (the keystore does, once it is unlocked).
 *
 * @param path - the target file
 * @param fs - internal: the file system
 * @returns how many temp files were removed
 * @example
 * ```ts
 * await removeStaleTempFiles('/var/lib/ward/keys.ward');
 * ```
 */
export async function removeStaleTempFiles(path: string, fs: AtomicFileSystem = nodeFs as unknown as AtomicFileSystem): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dirname(path));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!isTempFileOf(path, name)) continue;
    try {
      await fs.unlink(join(dirname(path), name));
      removed += 1;
    } catch {
      /* best effort: a file we cannot remove is still ignored by open */
    }
  }
  return removed;
}
