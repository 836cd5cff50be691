/*
 * JsonLinesDecisionLog: a decision-log sink that appends one JSON object per line to a file
 * (format in json-lines-format.ts), optionally signing (COSE_Sign1) and hash-chaining every
 * record, and continuing the chain of an existing file when reopened.
 *
 *   open(path, O_RDWR | O_APPEND | O_CREAT [| O_EXCL] | O_NOFOLLOW, 0600)
 *   → read the last line; refuse a corrupt one; drop a torn one only when asked
 *   → per record, in call order: link + sign → write(line) → fdatasync (by default)
 *
 * O_APPEND puts every write at the end of the file, whatever else touched it. A crash during
 * a write leaves at most one unterminated ("torn") last line, which the next open detects.
 * One writer per file: the chain assumes nobody else appends in between (the same process is
 * refused a second open; other processes must not write the file).
 */
import { Buffer } from 'node:buffer';
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ArgumentError, WardError } from '@ward/core';
import {
  DecisionChain, decisionRecordDigest, decodeDecisionRecord, encodeDecisionRecord, inspectSignedDecisionRecord, signDecisionRecord,
} from '@ward/core/policy';
import { DecisionLogError } from '@ward/core/errors';
import type { CryptoBackend, DecisionLogSink, DecisionRecord } from '@ward/core';
import type { SignDecisionRecordOptions } from '@ward/core/policy';
import { errorCode, syncDirectory } from '../durable-fs.js';
import { createNodeBackend } from '../node-backend.js';
import { MAX_DECISION_LINE_BYTES, formatDecisionLine, parseDecisionLine, sameDecisionRecord } from './json-lines-format.js';

/** When {@link JsonLinesDecisionLog} flushes to disk: after every record (`fdatasync`), or never (the OS decides). */
export type DecisionLogFsync = 'every-record' | 'none';

/** Options of {@link JsonLinesDecisionLog.open}. */
export interface JsonLinesDecisionLogOptions {
  /**
   * Sign every record (COSE_Sign1 with the record's time as CWT `iat`); each line then also
   * carries `"cose"`. The key's kid must be trusted with role `decision-log` by the auditors.
   * Default unsigned.
   */
  readonly sign?: Omit<SignDecisionRecordOptions, 'issuedAt'>;
  /** Hash-chain the records (`previous`). Default `true` when signing, else `false`. */
  readonly chain?: boolean;
  /**
   * `every-record` (default): `write()` resolves only once the line is on disk (`fdatasync`),
   * so an allow is never acted on before its record survives a power cut. `none`: faster; the
   * last records may be lost on a crash (a torn line is then possible too).
   */
  readonly fsync?: DecisionLogFsync;
  /**
   * When the file ends in a torn line (no newline: a crash during an append), truncate it
   * away instead of refusing to open. Only an unterminated tail is dropped; a complete but
   * corrupt last line is always refused. Default `false`.
   */
  readonly repairTornTail?: boolean;
  /** Hashes the chain links. Default `sign.backend`, else a Node backend. */
  readonly backend?: CryptoBackend;
}

const FSYNC_MODES: ReadonlySet<unknown> = new Set<unknown>(['every-record', 'none']);
/* Disclosure: the log names subjects and their purposes (personal data); only its owner reads it. */
const PRIVATE_FILE_MODE = 0o600;
/* Symlink attack (CWE-59): with O_NOFOLLOW a symlink planted at the log's path cannot redirect the appends (absent on Windows). */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NEWLINE = 0x0a;

/** Files (device:inode) open for writing in this process. */
const OPEN_LOGS = new Set<string>();

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const invalid = (text: string, cause?: unknown): DecisionLogError =>
  new DecisionLogError('ERR_DECISION_LOG_INVALID', text, cause === undefined ? undefined : { cause });
const unavailable = (text: string, cause?: unknown): DecisionLogError =>
  new DecisionLogError('ERR_DECISION_LOG_UNAVAILABLE', text, cause === undefined ? undefined : { cause });

async function readAt(handle: FileHandle, length: number, position: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  for (let offset = 0; offset < length;) {
    const { bytesRead } = await handle.read(buffer, offset, length - offset, position + offset);
    if (bytesRead === 0) throw new Error('the file shrank while it was read');
    offset += bytesRead;
  }
  return buffer;
}

/** The last line of a log, as found on open. */
interface Tail {
  /** The parsed last line. */
  readonly line: { readonly record: DecisionRecord; readonly cose: Uint8Array | undefined };
  /** Whether lines precede it. */
  readonly preceded: boolean;
}

/**
 * Reads (and, if asked, repairs) the end of the log: returns its last complete line, or
 * `undefined` for an empty file.
 */
async function readTail(handle: FileHandle, path: string, repairTornTail: boolean): Promise<Tail | undefined> {
  let size = (await handle.stat()).size;
  if (size === 0) return undefined;
  /* Resource exhaustion: at most one line plus the newline before it is read, enough to find where the last line starts. */
  let window = Math.min(size, MAX_DECISION_LINE_BYTES + 1);
  let bytes = await readAt(handle, window, size - window);
  if (bytes[bytes.length - 1] !== NEWLINE) {
    /* A crash during an append leaves an unterminated last line: the record was never fully written. */
    const start = bytes.lastIndexOf(NEWLINE) + 1;
    /* Only a torn append is repaired: a tail longer than any line Ward writes is someone else's data, never truncated. */
    if (start === 0 && size > window) {
      throw invalid(`${path} ends in more than ${MAX_DECISION_LINE_BYTES} bytes without a newline: not a torn append, refusing to touch it`);
    }
    if (!repairTornTail) {
      throw invalid(`the last line of ${path} is torn (no newline at the end: a crash during an append?); open it with repairTornTail: true to drop that line`);
    }
    size = size - window + start;
    await handle.truncate(size);
    await handle.sync();
    if (size === 0) return undefined;
    window = Math.min(size, MAX_DECISION_LINE_BYTES + 1);
    bytes = await readAt(handle, window, size - window);
  }
  const start = bytes.lastIndexOf(NEWLINE, bytes.length - 2) + 1;
  if (start === 0 && size > window) throw invalid(`the last line of ${path} is longer than ${MAX_DECISION_LINE_BYTES} bytes`);
  let line: { record: DecisionRecord; cose: Uint8Array | undefined };
  try {
    line = parseDecisionLine(bytes.subarray(start, bytes.length - 1));
    /* The chain continues from the signed bytes: a last line whose plain fields differ from its signed record is corrupt, not resumed. */
    if (line.cose !== undefined && !sameDecisionRecord(line.record, inspectSignedDecisionRecord(line.cose).record)) {
      throw invalid('its plain fields differ from its signed record');
    }
  } catch (error) {
    throw invalid(`the last line of ${path} is corrupt (a complete line, not a torn append): ${message(error)}`, error);
  }
  return { line, preceded: size - window + start > 0 };
}

/**
 * A decision log in a JSON-lines file: one record per line, appended in the order `write()` is
 * called, greppable (`grep '"allow":false' decisions.jsonl`), and, with `sign`, carrying each
 * record's COSE_Sign1 as a `"cose"` field and a hash chain (`previous`) through the records,
 * which `verifyJsonLinesDecisionLog` checks line by line.
 *
 * The file is opened with `O_APPEND` (and `O_NOFOLLOW`: a symlink at the path is refused) and
 * created with mode 0600. Reopening continues the chain from the last line. A torn last line
 * (a crash mid-append) is refused unless `repairTornTail` is set; a corrupt complete line
 * always is, as is reopening with other signing or chaining settings than the file's.
 *
 * A failed write is reported (`ERR_DECISION_LOG_UNAVAILABLE`) and then every later write too:
 * the file may end in a torn line, so the log must be reopened. The policy engine treats a
 * failed write of an allow as a deny by default.
 *
 * @example
 * ```ts
 * import { JsonLinesDecisionLog, createNodeBackend } from '@ward/node';
 *
 * const backend = createNodeBackend();
 * const log = await JsonLinesDecisionLog.open('/var/log/ward/decisions.jsonl', {
 *   sign: { backend, signer: { key: logKey, kid: logKid }, issuer: 'ward-gateway-3' },
 * });
 * await log.write(record);
 * await log.close();
 * ```
 */
export class JsonLinesDecisionLog implements DecisionLogSink {
  readonly #path: string;
  readonly #handle: FileHandle;
  readonly #identity: string;
  readonly #fsync: DecisionLogFsync;
  readonly #chain: DecisionChain | undefined;
  readonly #sign: Omit<SignDecisionRecordOptions, 'issuedAt'> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #failure: unknown;

  private constructor(
    path: string,
    handle: FileHandle,
    identity: string,
    fsync: DecisionLogFsync,
    chain: DecisionChain | undefined,
    sign: Omit<SignDecisionRecordOptions, 'issuedAt'> | undefined,
  ) {
    this.#path = path;
    this.#handle = handle;
    this.#identity = identity;
    this.#fsync = fsync;
    this.#chain = chain;
    this.#sign = sign;
  }

  /**
   * Opens (or creates) a JSON-lines decision log for appending. An existing log is resumed:
   * its last line is read and checked, and a chained log continues from it.
   *
   * @param path - the log file
   * @param options - sign, chain, fsync, repairTornTail, backend
   * @returns the open log
   * @throws DecisionLogError `ERR_DECISION_LOG_INVALID` for a torn last line (without
   *   `repairTornTail`), a corrupt last line, or a file signed or chained otherwise than asked
   * @throws DecisionLogError `ERR_DECISION_LOG_UNAVAILABLE` when the file cannot be
   *   opened or read (missing directory, permissions, a symlink, not a regular file), or is
   *   already open for writing in this process
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for bad options
   * @example
   * ```ts
   * const log = await JsonLinesDecisionLog.open('decisions.jsonl', { repairTornTail: true });
   * ```
   */
  static async open(path: string, options: JsonLinesDecisionLogOptions = {}): Promise<JsonLinesDecisionLog> {
    if (typeof path !== 'string' || path.length === 0) throw new ArgumentError('path must be a non-empty string');
    if (typeof options !== 'object' || options === null) throw new ArgumentError('options must be an object');
    const { sign, fsync = 'every-record', repairTornTail = false } = options;
    const chain = options.chain ?? sign !== undefined;
    if (!FSYNC_MODES.has(fsync)) throw new ArgumentError('fsync must be "every-record" or "none"');
    if (typeof chain !== 'boolean') throw new ArgumentError('chain must be a boolean');
    if (typeof repairTornTail !== 'boolean') throw new ArgumentError('repairTornTail must be a boolean');
    if (sign !== undefined && (typeof sign !== 'object' || sign === null || typeof sign.backend !== 'object' || typeof sign.signer !== 'object')) {
      throw new ArgumentError('sign needs a backend, a signer and an issuer');
    }
    const backend = options.backend ?? sign?.backend ?? createNodeBackend();
    const absolute = resolve(path);

    let handle: FileHandle;
    let created = false;
    const flags = constants.O_RDWR | constants.O_APPEND | NOFOLLOW;
    try {
      try {
        handle = await fsp.open(absolute, flags | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE);
        created = true;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
        handle = await fsp.open(absolute, flags);
      }
    } catch (error) {
      const symlink = errorCode(error) === 'ELOOP';
      throw unavailable(symlink ? `${absolute} is a symbolic link; a decision log must be a regular file` : `could not open ${absolute}`, error);
    }

    let identity: string | undefined;
    try {
      if (created) {
        /* The umask can only clear bits of 0600; be exact anyway. The new entry must survive a power cut too. */
        await handle.chmod(PRIVATE_FILE_MODE);
        await syncDirectory(dirname(absolute));
      }
      const stat = await handle.stat();
      /* A device, FIFO or directory at the log's path is not a log: appends there would go nowhere an auditor reads. */
      if (!stat.isFile()) throw unavailable(`${absolute} is not a regular file`);
      const key = `${stat.dev}:${stat.ino}`;
      /* Two writers would interleave their chains: one open writer per file in this process. */
      if (OPEN_LOGS.has(key)) throw unavailable(`${absolute} is already open for writing in this process`);
      OPEN_LOGS.add(key);
      identity = key;

      let tail: Tail | undefined;
      try {
        tail = await readTail(handle, absolute, repairTornTail);
      } catch (error) {
        if (WardError.isInstance(error)) throw error;
        throw unavailable(`could not read ${absolute}`, error);
      }
      let head: string | undefined;
      if (tail !== undefined) {
        const { record, cose } = tail.line;
        /* Mixed logs are refused by the verifier; refuse to write one. */
        if (cose !== undefined && sign === undefined) throw invalid(`${absolute} holds signed records; open it with sign to continue it`);
        if (cose === undefined && sign !== undefined) throw invalid(`${absolute} holds unsigned records; start a new file for a signed log`);
        if (record.previous !== undefined && !chain) throw invalid(`${absolute} is hash-chained; open it with chain: true to continue it`);
        if (record.previous === undefined && chain && tail.preceded) throw invalid(`${absolute} is not hash-chained; start a new file for a chained log`);
        if (chain) head = await decisionRecordDigest(cose ?? record, backend);
      }
      const chainer = chain ? new DecisionChain({ backend, ...(sign === undefined ? {} : { sign }), ...(head === undefined ? {} : { head }) }) : undefined;
      return new JsonLinesDecisionLog(absolute, handle, key, fsync, chainer, sign);
    } catch (error) {
      if (identity !== undefined) OPEN_LOGS.delete(identity);
      await handle.close().catch(() => undefined);
      if (WardError.isInstance(error)) throw error;
      throw unavailable(`could not open ${absolute}`, error);
    }
  }

  /** The log file's absolute path. */
  get path(): string {
    return this.#path;
  }

  /**
   * The link digest of the last record written (or found on open) of a chained log;
   * `undefined` for an unchained or empty one. Keep it elsewhere now and then: it is what
   * reveals records cut off the end of the file.
   */
  get head(): string | undefined {
    return this.#chain?.head;
  }

  /**
   * Appends a record (linked and signed as configured) as one line. Writes are serialised in
   * call order; the promise resolves once the line is written (and, by default, on disk).
   *
   * @param record - the record
   * @throws DecisionLogError `ERR_DECISION_LOG_UNAVAILABLE` when the log is closed,
   *   the write or fsync failed, or an earlier write failed (reopen the log)
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for a record that breaks the format
   *   (nothing is written; the log stays usable)
   * @example
   * ```ts
   * await log.write(await createDecisionRecord(input, decision, { backend, bundle }));
   * ```
   */
  write(record: DecisionRecord): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(unavailable(`the decision log ${this.#path} is closed`));
    const next = this.#queue.then(() => this.#append(record));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #append(record: DecisionRecord): Promise<void> {
    /* Fail closed: after a failed write the file may end in a torn line and the chain's head has moved; nothing more is appended. */
    if (this.#failure !== undefined) {
      throw unavailable(`an earlier write to ${this.#path} failed; reopen the log (repairTornTail drops a torn last line)`, this.#failure);
    }
    /* Preparing: a failure here writes nothing and leaves the log usable. */
    let line: string;
    if (this.#chain !== undefined) {
      const linked = await this.#chain.append(record);
      line = formatDecisionLine(linked.record, linked.signed);
    } else {
      const checked = decodeDecisionRecord(encodeDecisionRecord(record));
      line = formatDecisionLine(checked, this.#sign === undefined ? undefined : await signDecisionRecord(checked, this.#sign));
    }
    const bytes = Buffer.from(line, 'utf8');
    try {
      /* A writer never writes a line the verifier would refuse as too long (resource exhaustion limit of the reader). */
      if (bytes.length > MAX_DECISION_LINE_BYTES) throw new Error(`the line is ${bytes.length} bytes, above ${MAX_DECISION_LINE_BYTES}`);
      for (let offset = 0; offset < bytes.length;) {
        const { bytesWritten } = await this.#handle.write(bytes, offset, bytes.length - offset);
        if (bytesWritten <= 0) throw new Error('write made no progress');
        offset += bytesWritten;
      }
      /* Durability before the caller acts: an allow is not released until its record is on disk. */
      if (this.#fsync === 'every-record') await this.#handle.datasync();
    } catch (error) {
      /* The file may now end in part of this line, and the chain's head has moved: stop here. */
      this.#failure = error;
      throw unavailable(`could not append to ${this.#path}`, error);
    }
  }

  /**
   * Waits for the writes already made, then closes the file. Later writes are refused.
   * Idempotent.
   *
   * @throws DecisionLogError `ERR_DECISION_LOG_UNAVAILABLE` when closing the file fails
   * @example
   * ```ts
   * await log.close();
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= this.#queue.then(async () => {
      OPEN_LOGS.delete(this.#identity);
      try {
        await this.#handle.close();
      } catch (error) {
        throw unavailable(`could not close ${this.#path}`, error);
      }
    });
    return this.#closing;
  }
}
