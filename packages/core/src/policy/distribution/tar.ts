/*
 * tar for policy bundles (POSIX.1-2017, IEEE Std 1003.1-2017, `pax` utility, EXTENDED
 * DESCRIPTION: "ustar Interchange Format" and "pax Interchange Format", whose header block is
 * the ustar one): a strict reader of hostile archives and a deterministic writer. Section
 * names below are those of that page.
 *
 * The reader accepts what `opa build` (Go's archive/tar: ustar, with pax `x` headers for long
 * or non-ASCII names and large sizes) and GNU tar write, and nothing that could make a bundle
 * mean something else than it seems: regular files and directories only (no symlinks,
 * hardlinks, devices, FIFOs, sparse files or GNU long-name records), names normalised and
 * refused when they escape the bundle root or repeat, every header checksum verified, and
 * the archive ending with its two zero blocks followed by nothing but zero padding.
 */
import { bundleInvalid as invalid, quoted } from './refusal.js';

/** A regular file of an archive, its name normalised (see {@link normalizeBundlePath}). */
export interface TarFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** What {@link readTar} enforces. */
export interface TarLimits {
  /** Most regular files. */
  readonly maxFiles: number;
  /** Largest regular file, in bytes. */
  readonly maxFileBytes: number;
}

/** ustar Interchange Format: an archive is a series of 512-octet logical records. */
const BLOCK = 512;
/** Longest normalised path, in UTF-8 bytes (Linux's PATH_MAX). */
export const MAX_PATH_BYTES = 4096;
/** Largest pax extended header accepted (Go's archive/tar allows 1 MiB; names and sizes need far less). */
const MAX_PAX_BYTES = 64 * 1024;

/** The header fields and their offsets (ustar Interchange Format, "ustar Header Block"). */
const FIELD = {
  name: [0, 100], mode: [100, 108], uid: [108, 116], gid: [116, 124], size: [124, 136], mtime: [136, 148],
  checksum: [148, 156], typeflag: [156, 157], magic: [257, 263], version: [263, 265], prefix: [345, 500],
} as const;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  '1': 'a hard link', '2': 'a symbolic link', '3': 'a character device', '4': 'a block device', '6': 'a FIFO',
  '7': 'a contiguous file', g: 'a pax global header', L: 'a GNU long name', K: 'a GNU long link name',
  S: 'a GNU sparse file', D: 'a GNU directory dump', M: 'a GNU multi-volume continuation', V: 'a GNU volume label',
};

/* Name confusion: a leading U+FEFF is part of the name, as in Go's archive/tar; TextDecoder would drop it by default. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
/* C0 controls, DEL and the backslash: never in a bundle path (log injection, Windows separators). */
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/u;

function text(bytes: Uint8Array, what: string): string {
  /* Name confusion: a name that is not UTF-8 would read differently in every tool (pax Extended Header: UTF-8 values). */
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw invalid(`${what} is not UTF-8`, error);
  }
}

/** The bytes of a NUL-terminated header field. */
function cString(header: Uint8Array, [start, end]: readonly [number, number]): Uint8Array {
  const field = header.subarray(start, end);
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

/** An octal number field: digits, optionally padded with spaces or NULs on either side (as Go and GNU tar write them). */
function octal(header: Uint8Array, [start, end]: readonly [number, number], what: string): number {
  const field = header.subarray(start, end);
  /* Size-field confusion: the GNU base-256 form (high bit set) is only needed above 8 GiB: far beyond any limit here. */
  if ((field[0]! & 0x80) !== 0) throw invalid(`tar header ${what} uses the base-256 form`);
  let i = 0;
  let j = field.length;
  while (i < j && (field[i] === 0x20 || field[i] === 0)) i++;
  while (j > i && (field[j - 1] === 0x20 || field[j - 1] === 0)) j--;
  let value = 0;
  for (let k = i; k < j; k++) {
    const digit = field[k]! - 0x30;
    /* ustar Header Block: numeric fields are octal; anything else is a size or checksum no two readers agree on. */
    if (digit < 0 || digit > 7) throw invalid(`tar header ${what} is not an octal number`);
    value = value * 8 + digit;
  }
  return value;
}

/**
 * The header checksum (ustar Header Block, chksum): the simple sum of the header's octets, the
 * chksum field itself counted as eight spaces.
 */
function headerChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= FIELD.checksum[0] && i < FIELD.checksum[1] ? 0x20 : header[i]!;
  return sum;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * The canonical form of a path inside a bundle: leading `/` (as `opa build` writes) and `.`
 * segments and empty segments dropped; `..` segments, control characters, backslashes,
 * drive letters and the empty path refused (path traversal: a bundle never names a file
 * outside its own root). `allowEmpty` admits the root itself (a directory entry `./`).
 */
export function normalizeBundlePath(raw: string, allowEmpty = false): string {
  /* Log injection and Windows separators: no control characters, no backslash. */
  if (FORBIDDEN.test(raw)) throw invalid(`path ${quoted(raw)} holds a control character or a backslash`);
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    /* Absolute paths: a leading "/" (as `opa build` writes names) and empty or "." segments are dropped, never honoured. */
    if (segment === '' || segment === '.') continue;
    /* Path traversal (zip-slip): no segment may climb out of the bundle root. */
    if (segment === '..') throw invalid(`path ${quoted(raw)} has a ".." segment`);
    segments.push(segment);
  }
  if (segments.length === 0) {
    if (allowEmpty) return '';
    throw invalid('a tar entry has an empty name');
  }
  /* Absolute paths on Windows: a drive letter would escape the bundle root when extracted there. */
  if (/^[A-Za-z]:$/u.test(segments[0]!)) throw invalid(`path ${quoted(raw)} is an absolute Windows path`);
  const path = segments.join('/');
  /* Resource limits: a name longer than any file system takes is refused before it is kept. */
  if (encoder.encode(path).length > MAX_PATH_BYTES) throw invalid(`a path is longer than ${MAX_PATH_BYTES} bytes`);
  return path;
}

interface PaxRecords {
  path?: string;
  size?: number;
}

/** Parses a pax extended header: records `"<length> <key>=<value>\n"` (POSIX.1-2017, pax, "pax Extended Header"). */
function parsePax(data: Uint8Array): PaxRecords {
  const records: PaxRecords = {};
  const seen = new Set<string>();
  let offset = 0;
  while (offset < data.length) {
    /* pax Extended Header: "%d %s=%s\n", the decimal length counting the whole record; no leading zeros, at most 11 digits. */
    const space = data.subarray(0, Math.min(data.length, offset + 12)).indexOf(0x20, offset);
    if (space <= offset) throw invalid('pax record has no length');
    let length = 0;
    for (let i = offset; i < space; i++) {
      const digit = data[i]! - 0x30;
      if (digit < 0 || digit > 9 || (i === offset && digit === 0)) throw invalid('pax record length is not a decimal number');
      length = length * 10 + digit;
    }
    const end = offset + length;
    /* Record boundaries: a length that overruns the header or does not end on the newline would desynchronise the parse. */
    if (length < space - offset + 3 || end > data.length || data[end - 1] !== 0x0a) throw invalid('pax record is malformed');
    const record = data.subarray(space + 1, end - 1);
    const equals = record.indexOf(0x3d);
    if (equals <= 0) throw invalid('pax record has no key');
    const key = text(record.subarray(0, equals), 'pax record key');
    const value = text(record.subarray(equals + 1), 'pax record value');
    /* Duplicate records (parser differential): one reader takes the first of two values, another the last. */
    if (seen.has(key)) throw invalid(`pax header repeats ${JSON.stringify(key)}`);
    seen.add(key);
    if (key === 'path') records.path = value;
    else if (key === 'size') {
      /* pax Extended Header, size: a decimal number; bounded so it stays an exact JavaScript integer. */
      if (!/^(0|[1-9][0-9]{0,15})$/u.test(value)) throw invalid('pax size is not a decimal number');
      records.size = Number(value);
    } else if (key.startsWith('GNU.sparse.')) {
      /* GNU sparse files (GNU.sparse.* pax records): read as a regular file, its content would differ from the one archived. */
      throw invalid('sparse files are not allowed in a policy bundle');
    }
    /* Other keys (times, owners, xattrs, comments, linkpath) do not change a regular file's name or bytes. */
    offset = end;
  }
  return records;
}

/**
 * Reads every regular file of a tar archive, strictly. Directory entries are checked and
 * skipped. Any problem throws `ERR_POLICY_BUNDLE_INVALID`; nothing is returned then.
 *
 * The returned `data` are views into `archive`.
 */
export function readTar(archive: Uint8Array, limits: TarLimits): TarFile[] {
  const files: TarFile[] = [];
  const seen = new Set<string>();
  let offset = 0;
  let pax: PaxRecords | undefined;
  for (;;) {
    /* Truncation: the archive must end with its end-of-archive marker, not in the middle of an entry. */
    if (offset + BLOCK > archive.length) throw invalid('tar archive is truncated (no end-of-archive marker)');
    const header = archive.subarray(offset, offset + BLOCK);
    if (isZero(header)) {
      /* A dangling pax header (describing no entry) is a truncated or crafted archive. */
      if (pax !== undefined) throw invalid('a pax header is followed by the end of the archive');
      /* ustar Interchange Format: the archive ends with two logical records of binary zeros. */
      const second = archive.subarray(offset + BLOCK, offset + 2 * BLOCK);
      if (second.length < BLOCK || !isZero(second)) throw invalid('tar end-of-archive marker is not two zero blocks');
      /* Trailing garbage: tar pads the last record with zeros, and only zeros may follow. */
      if (!isZero(archive.subarray(offset + 2 * BLOCK))) throw invalid('data follows the end of the tar archive');
      return files;
    }
    /* Corruption and non-tar input (ustar Header Block, chksum): every header's checksum must match. */
    if (octal(header, FIELD.checksum, 'checksum') !== headerChecksum(header)) throw invalid(`tar header checksum does not match at offset ${offset}`);

    const magic = String.fromCharCode(...header.subarray(FIELD.magic[0], FIELD.version[1]));
    /* ustar Header Block: magic "ustar\0" version "00"; GNU tar's "ustar  \0" is the only other form read. */
    const posix = magic === 'ustar\u000000';
    if (!posix && magic !== 'ustar  \u0000') throw invalid('not a ustar, pax or GNU tar archive');

    const type = String.fromCharCode(header[FIELD.typeflag[0]]!);
    let size = octal(header, FIELD.size, 'size');
    /* pax Extended Header, size: the record overrides the header's size field for the next entry. */
    if (pax?.size !== undefined) size = pax.size;
    const isFile = type === '0' || type === '\u0000';
    /* Resource limits (decompression and memory exhaustion): checked from the header, before the entry is read. */
    if (type === 'x' ? size > MAX_PAX_BYTES : isFile && size > limits.maxFileBytes) {
      throw invalid(type === 'x' ? 'pax header is too large' : `a file of ${size} bytes exceeds maxFileBytes (${limits.maxFileBytes})`);
    }
    const start = offset + BLOCK;
    const next = start + Math.ceil(size / BLOCK) * BLOCK;
    /* Truncation: an entry's data must lie inside the archive. */
    if (next > archive.length) throw invalid('tar archive is truncated (an entry is cut short)');
    const data = archive.subarray(start, start + size);

    if (type === 'x') {
      /* pax Header Block, typeflag x: it describes the next entry only; two for one entry leave which applies reader-dependent. */
      if (pax !== undefined) throw invalid('two pax headers in a row');
      pax = parsePax(data);
      offset = next;
      continue;
    }
    let name: string;
    /* pax Extended Header, path: overrides the name and prefix fields (the ustar name limit of 255 bytes). */
    if (pax?.path !== undefined) name = pax.path;
    else {
      const base = text(cString(header, FIELD.name), 'a tar entry name');
      /* ustar Header Block: the full name is prefix "/" name; GNU headers use those bytes for other fields. */
      const prefix = posix ? text(cString(header, FIELD.prefix), 'a tar entry name prefix') : '';
      name = prefix === '' ? base : `${prefix}/${base}`;
    }
    pax = undefined;
    if (type === '5') {
      /* A directory carries no content; its name is still checked (path traversal). */
      normalizeBundlePath(name, true);
      /* Smuggled bytes: a directory with a size would hide data some readers extract and others skip. */
      if (size !== 0) throw invalid('a tar directory entry has a size');
    } else if (isFile) {
      const path = normalizeBundlePath(name);
      /* Duplicate entries (parser differential): two entries for one path, where readers disagree on which one wins. */
      if (seen.has(path)) throw invalid(`the bundle holds ${JSON.stringify(path)} twice`);
      seen.add(path);
      /* Resource limits: the file count is bounded as entries are read. */
      if (files.length >= limits.maxFiles) throw invalid(`the bundle holds more than maxFiles (${limits.maxFiles}) files`);
      files.push({ path, data });
    } else {
      /* Links and devices (typeflags 1-4, 6, 7; GNU L/K/S/D/M/V; pax g): a bundle is plain files, a link could point anywhere. */
      const what = TYPE_NAMES[type] ?? `an entry of type ${JSON.stringify(type)}`;
      throw invalid(`${quoted(name)} is ${what}; a policy bundle holds regular files only`);
    }
    offset = next;
  }
}

function writeOctal(header: Uint8Array, [start, end]: readonly [number, number], value: number): void {
  const digits = value.toString(8).padStart(end - start - 1, '0');
  header.set(encoder.encode(digits), start);
}

function headerBlock(name: Uint8Array, size: number, type: string): Uint8Array {
  const header = new Uint8Array(BLOCK);
  header.set(name, FIELD.name[0]);
  writeOctal(header, FIELD.mode, 0o644);
  writeOctal(header, FIELD.uid, 0);
  writeOctal(header, FIELD.gid, 0);
  writeOctal(header, FIELD.size, size);
  writeOctal(header, FIELD.mtime, 0);
  header[FIELD.typeflag[0]] = type.charCodeAt(0);
  header.set(encoder.encode('ustar\u000000'), FIELD.magic[0]);
  /* Six octal digits, NUL, space: the form ustar writers use. */
  header.set(encoder.encode(`${headerChecksum(header).toString(8).padStart(6, '0')}\u0000 `), FIELD.checksum[0]);
  return header;
}

/** A pax record `"<length> path=<value>\n"` whose length counts its own digits. */
function paxPath(path: string): Uint8Array {
  const body = encoder.encode(` path=${path}\n`);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return encoder.encode(`${length} path=${path}\n`);
}

/**
 * Writes `files` in the given order as a pax archive: mode 0644, owner 0, mtime 0, names of
 * more than 100 bytes in a pax `path` record, then the two zero blocks. Deterministic.
 */
export function writeTar(files: readonly TarFile[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  let total = 2 * BLOCK;
  const add = (header: Uint8Array, data: Uint8Array): void => {
    blocks.push(header, data);
    total += BLOCK + Math.ceil(data.length / BLOCK) * BLOCK;
  };
  for (const file of files) {
    const name = encoder.encode(file.path);
    if (name.length > 100) {
      const record = paxPath(file.path);
      add(headerBlock(encoder.encode('././@PaxHeader'), record.length, 'x'), record);
      add(headerBlock(name.subarray(0, 100), file.data.length, '0'), file.data);
    } else {
      add(headerBlock(name, file.data.length, '0'), file.data);
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < blocks.length; i += 2) {
    out.set(blocks[i]!, at);
    at += BLOCK;
    out.set(blocks[i + 1]!, at);
    at += Math.ceil(blocks[i + 1]!.length / BLOCK) * BLOCK;
  }
  return out;
}
