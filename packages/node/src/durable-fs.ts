/*
 * Durability helpers shared by the file keystore and the JSON-lines decision log (internal).
 */
import { constants } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

const IS_WINDOWS = process.platform === 'win32';
/*
 * Errors of a directory fsync on file systems that cannot sync a directory (EPERM on some
 * network and FUSE file systems); nothing better can be done there.
 */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR', 'EPERM']);

/** The `code` of a Node.js system error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
}

/**
 * fsyncs a directory so a file created or renamed in it survives a crash. Windows cannot open a
 * directory for fsync; NTFS journals the entry itself.
 */
export async function syncDirectory(
  directory: string,
  fs: { open(path: string, flags: number): Promise<FileHandle> } = nodeFs,
): Promise<void> {
  if (IS_WINDOWS) return;
  const handle = await fs.open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (code === undefined || !DIRECTORY_SYNC_UNSUPPORTED.has(code)) throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Reads the start of `handle` into `bytes`, which the caller allocated after checking the file's
 * size (limits before allocation), and returns how many bytes it read: fewer than
 * `bytes.length` when the file shrank in the meantime, which callers treat as truncation.
 */
export async function readInto(handle: FileHandle, bytes: Uint8Array): Promise<number> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return offset;
}
