/*
 * FileKeyStore: every named keyset of a store in one passphrase-encrypted file, replaced
 * atomically and durably on each change (see atomic-file.ts).
 *
 * File = COSE_Encrypt0 (RFC 9052 §5.2), tag 16:
 *   protected   { 1 (alg): 3 (A256GCM), 3 (content type): "application/ward-keystore+cbor",
 *                 -65600 (Ward keystore KDF): { 1: "scrypt", 2: salt (16 bytes), 3: log2 N, 4: r, 5: p } }
 *   unprotected { 5 (IV): 12 random bytes, fresh on every save }
 *   ciphertext  AES-256-GCM under KEK = scrypt(NFC(passphrase), salt, N, r, p, 32 bytes),
 *               external AAD "Ward keystore v1"
 *   plaintext   deterministic CBOR map { keyset name (text) → plaintext keyset document (bytes) }
 *
 * The KDF parameters sit in the protected bucket, so they are authenticated by the AEAD tag; they
 * are read (and bounded) before anything is derived, because deriving is what a hostile file
 * would try to make expensive.
 */
import { scrypt } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ArgumentError, KeyStoreError, Keyset, WardError } from '@ward/core';
import { CoseTag, HeaderLabel, decodeProtectedHeader, decryptEncrypt0, createEncrypt0 } from '@ward/core/cose';
import { CborTag, decodeCbor, encodeCbor } from '@ward/core/cbor';
import { checkKeysetName, keysetDocumentRevision } from '@ward/core/keys';
import type { AeadKey, CborValue, CryptoBackend, HeaderMap, KeyStore, StateStore } from '@ward/core';
import { concatBytes, encodeHead } from '@ward/core/backend-kit';
import { removeStaleTempFiles, writeFileAtomic } from './atomic-file.js';
import { readInto } from '../durable-fs.js';
import { FileStateStore } from './file-state-store.js';

/** scrypt cost parameters (RFC 7914 §2). */
export interface ScryptParameters {
  /** CPU/memory cost: a power of two. Memory use is 128 · N · r bytes. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelisation. */
  readonly p: number;
}

/**
 * The default key derivation: scrypt with N = 2^17, r = 8, p = 1 (128 MiB, about half a second
 * on a current server core), OWASP's recommended minimum for scrypt (Password Storage Cheat
 * Sheet), with a 16-byte random salt and a 32-byte key.
 */
export const DEFAULT_KEYSTORE_SCRYPT: ScryptParameters = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });

/** Options shared by {@link FileKeyStore.create} and {@link FileKeyStore.open}. */
export interface FileKeyStoreUnlockOptions {
  /**
   * The passphrase. A string is normalised to Unicode NFC and encoded as UTF-8 (so the same
   * passphrase typed on different systems unlocks the store); bytes are used as given.
   */
  readonly passphrase: string | Uint8Array;
  /** The backend the KEK and every loaded keyset's keys live in. */
  readonly backend: CryptoBackend;
  /**
   * Accept scrypt parameters below the production floor (N ≥ 2^14 and N·r·p ≥ 2^19), down to
   * N = 2^10. For tests only: such a file can be brute-forced cheaply. Default false.
   */
  readonly insecureTestParameters?: boolean;
  /**
   * Where the store keeps, per keyset name, the highest revision it has saved or loaded, so a
   * keystore file restored from an older copy cannot bring back a keyset from before a
   * revocation after a restart: loading such a keyset is refused with `ERR_KEYSTORE_ROLLBACK`.
   *
   * Default: a {@link FileStateStore} beside the keystore file, at `<keystore path>.revisions`
   * (symlinks resolved; mode 0600, written with the same atomic, durable writer). That stops
   * one old keystore file put back over the newer one, but not whoever rolls back or deletes
   * the whole directory: deleting the `.revisions` file alone is a first start again (the marks
   * come from whatever file is there), so it reopens the rollback window. Pass a state kept
   * where replacing it is harder than replacing the keystore (a `FileStateStore` on another
   * volume, a database with its own history, a TPM NV counter behind your own
   * {@link StateStore}) to close that too. On read-only media with no writable place for the
   * marks, `new MemoryStateStore()` keeps them for this process only: a deliberate weakening.
   * See SPEC.md §9, keyset revisions.
   */
  readonly state?: StateStore;
}

/** Options of {@link FileKeyStore.create}. */
export interface FileKeyStoreCreateOptions extends FileKeyStoreUnlockOptions {
  /** scrypt parameters; default {@link DEFAULT_KEYSTORE_SCRYPT}. */
  readonly kdf?: ScryptParameters;
}

/** Options of {@link FileKeyStore.open}. */
export interface FileKeyStoreOpenOptions extends FileKeyStoreUnlockOptions {
  /**
   * Open a keystore file that group or others may read or write (on POSIX systems). By default
   * such a file is refused with `ERR_KEYSTORE_IO`: anyone who can read it can brute-force the
   * passphrase offline, and anyone who can write it can roll it back. The next save writes
   * mode 0600 either way. Default false.
   */
  readonly allowInsecurePermissions?: boolean;
}

/** Options of {@link FileKeyStore.changePassphrase}. */
export interface ChangePassphraseOptions {
  /** New scrypt parameters; default: those of the file. */
  readonly kdf?: ScryptParameters;
  /** As in {@link FileKeyStoreUnlockOptions.insecureTestParameters}. */
  readonly insecureTestParameters?: boolean;
}

/** Largest keystore file: checked with fstat before a byte is read. */
export const MAX_KEYSTORE_BYTES = 16 * 1024 * 1024;
/** Most keysets one keystore file holds. */
export const MAX_KEYSTORE_KEYSETS = 1024;

const CONTENT_TYPE = 'application/ward-keystore+cbor';
/* Binds the ciphertext to its role: no other Encrypt0 under a KEK derived from the same passphrase passes as a keystore. */
const KEYSTORE_AAD = new TextEncoder().encode('Ward keystore v1');
/** Private-use header label (RFC 9052 §3: below -65536) of the KDF parameters. */
const KDF_LABEL = -65600;
const K = { algorithm: 1, salt: 2, logN: 3, r: 4, p: 5 } as const;
const KDF_NAME = 'scrypt';
const SALT_BYTES = 16;
const MIN_SALT_BYTES = 16;
const MAX_SALT_BYTES = 64;
const KEK_BYTES = 32;
/** Production floor: N ≥ 2^14 (16 MiB at r = 8) and half the default's work, which admits OWASP's equivalent settings at r = 8 (N = 2^16/p = 2, 2^15/p = 3, 2^14/p = 5). */
const MIN_LOG_N = 14;
const MIN_WORK = 2 ** 19;
/** Floor with insecureTestParameters. */
const MIN_TEST_LOG_N = 10;
/** Ceilings, so a hostile file cannot make us allocate gigabytes or spin for minutes before the tag is checked. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_WORK = 2 ** 23;
const MAX_R = 32;
const MAX_P = 16;
/** A keyset document's own ceiling (core's keyset decoder), plus room for the map heads. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
const MIN_FILE_BYTES = 32;
const IS_WINDOWS = process.platform === 'win32';

interface KdfParameters {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Uint8Array;
}

/** The revision state record: { 1: 1 (version), 2: { keyset name → highest revision } }. */
const STATE_VERSION = 1;
const MAX_STATE_NAMES = 65_536;

function encodeRevisions(revisions: ReadonlyMap<string, number>): Uint8Array {
  return encodeCbor(new Map<CborValue, CborValue>([[1, STATE_VERSION], [2, new Map<CborValue, CborValue>(revisions)]]));
}

/** Strict: a damaged record is ERR_KEYSTORE_CORRUPT, never an empty one (that would forget every mark). */
function decodeRevisions(bytes: Uint8Array | undefined): Map<string, number> {
  const revisions = new Map<string, number>();
  if (bytes === undefined) return revisions;
  let value: CborValue;
  try {
    value = decodeCbor(bytes, { maxDepth: 2, maxMapEntries: MAX_STATE_NAMES, maxItems: 2 * MAX_STATE_NAMES + 8, requireDeterministic: true, rejectIntegralFloats: true });
  } catch (error) {
    throw corrupt('the keystore revision state is malformed', error);
  }
  if (!(value instanceof Map) || value.size !== 2 || value.get(1) !== STATE_VERSION || !(value.get(2) instanceof Map)) {
    throw corrupt('the keystore revision state is not a version 1 record');
  }
  for (const [name, revision] of value.get(2) as Map<CborValue, CborValue>) {
    if (typeof name !== 'string' || typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) {
      throw corrupt('a keystore revision state entry is not name → revision');
    }
    checkStoredName(name, 'a keystore revision state entry has an invalid name');
    revisions.set(name, revision);
  }
  return revisions;
}

/** The revision state merged with the revisions the file holds: the file may be ahead after a crash between its write and the state's. */
function caughtUp(revisions: Map<string, number>, documents: ReadonlyMap<string, Uint8Array>): boolean {
  let raised = false;
  for (const [name, document] of documents) {
    let revision: number;
    try {
      revision = keysetDocumentRevision(document);
    } catch {
      continue; /* load(name) reports it as ERR_KEYSTORE_CORRUPT */
    }
    if (revision > (revisions.get(name) ?? 0)) {
      revisions.set(name, revision);
      raised = true;
    }
  }
  return raised;
}

function corrupt(message: string, cause?: unknown): KeyStoreError {
  return new KeyStoreError('ERR_KEYSTORE_CORRUPT', message, cause === undefined ? undefined : { cause });
}

function io(message: string, cause?: unknown): KeyStoreError {
  return new KeyStoreError('ERR_KEYSTORE_IO', message, cause === undefined ? undefined : { cause });
}

/**
 * Why `params` are refused, or undefined when they are acceptable. Shared by the caller's
 * options (ArgumentError) and a file's header (ERR_KEYSTORE_CORRUPT).
 */
function scryptProblem(logN: number, r: number, p: number, insecure: boolean): string | undefined {
  if (!Number.isSafeInteger(logN) || !Number.isSafeInteger(r) || !Number.isSafeInteger(p) || logN < 1 || r < 1 || p < 1) {
    return 'scrypt N must be a power of two and r, p positive integers';
  }
  /* Resource exhaustion (RFC 7914 §2: memory 128·N·r): ceilings first, since a hostile file
   * header names the parameters; they bound what we are about to allocate. */
  if (logN > 30 || 128 * 2 ** logN * r > MAX_MEMORY_BYTES) return `scrypt memory 128·N·r exceeds ${MAX_MEMORY_BYTES / 2 ** 20} MiB`;
  if (r > MAX_R || p > MAX_P) return `scrypt r may be at most ${MAX_R} and p at most ${MAX_P}`;
  if (2 ** logN * r * p > MAX_WORK) return 'scrypt work N·r·p exceeds 2^23';
  /* Offline brute force (RFC 7914 §2, OWASP scrypt minimums): below the floors the passphrase is
   * cheap to guess from a stolen file. */
  if (insecure) {
    if (logN < MIN_TEST_LOG_N) return `scrypt N must be at least 2^${MIN_TEST_LOG_N}, even for tests`;
  } else if (logN < MIN_LOG_N || 2 ** logN * r * p < MIN_WORK) {
    return `scrypt parameters below the floor (N ≥ 2^${MIN_LOG_N} and N·r·p ≥ 2^19); insecureTestParameters admits them for tests only`;
  }
  return undefined;
}

function checkKdfOption(kdf: ScryptParameters | undefined, insecure: boolean): { logN: number; r: number; p: number } {
  const { N, r, p } = kdf ?? DEFAULT_KEYSTORE_SCRYPT;
  const logN = typeof N === 'number' ? Math.log2(N) : NaN;
  if (!Number.isInteger(logN)) throw new ArgumentError('kdf.N must be a power of two');
  const problem = scryptProblem(logN, r, p, insecure);
  if (problem !== undefined) throw new ArgumentError(problem);
  return { logN, r, p };
}

function passphraseBytes(passphrase: unknown): Uint8Array {
  let bytes: Uint8Array;
  if (typeof passphrase === 'string') {
    /* NFC: "é" typed as one code point or as e + combining accent must derive the same key. */
    bytes = new TextEncoder().encode(passphrase.normalize('NFC'));
  } else if (passphrase instanceof Uint8Array) {
    bytes = passphrase.slice();
  } else {
    throw new ArgumentError('passphrase must be a string or a Uint8Array');
  }
  if (bytes.length === 0) throw new ArgumentError('passphrase must not be empty');
  return bytes;
}

/** The default revision state's file: `<keystore file>.revisions`, beside it. */
const REVISION_STATE_SUFFIX = '.revisions';

/**
 * The store that keeps the revision marks: the caller's, or by default a FileStateStore beside
 * the keystore file (its path in `defaultPath`, so FileKeyStore.open() can clean up after it and name it).
 */
function revisionState(state: StateStore | undefined, target: string): { readonly store: StateStore; readonly defaultPath?: string } {
  if (state !== undefined) return { store: checkState(state) };
  /* On by default (SPEC.md §9): marks that die with the process let an older copy of the file put back load after a restart. */
  const defaultPath = `${target}${REVISION_STATE_SUFFIX}`;
  return { store: new FileStateStore(defaultPath), defaultPath };
}

function checkState(state: unknown): StateStore {
  if (typeof state !== 'object' || state === null || typeof (state as StateStore).load !== 'function' || typeof (state as StateStore).save !== 'function') {
    throw new ArgumentError('options.state must be a StateStore (load, save)');
  }
  return state as StateStore;
}

function checkBackend(backend: unknown): CryptoBackend {
  if (typeof backend !== 'object' || backend === null) throw new ArgumentError('options.backend is required');
  return backend as CryptoBackend;
}

function deriveRaw(password: Uint8Array, salt: Uint8Array, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    scrypt(password, salt, KEK_BYTES, params, (error, key) => (error ? reject(error) : resolvePromise(key)));
  });
}

/** KEK = scrypt(passphrase, salt), imported as a non-extractable AES-256-GCM key; every intermediate is wiped. */
async function deriveKek(backend: CryptoBackend, passphrase: Uint8Array, kdf: KdfParameters): Promise<AeadKey> {
  const N = 2 ** kdf.logN;
  let raw: Buffer | undefined;
  try {
    /* OpenSSL needs 128·r·(N + 2 + p) bytes; maxmem is sized to exactly these (already bounded) parameters. */
    raw = await deriveRaw(passphrase, kdf.salt, { N, r: kdf.r, p: kdf.p, maxmem: 128 * kdf.r * (N + 2 + kdf.p) + 65536 });
    return await backend.importKey('AES-GCM', 'secret', new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), { extractable: false });
  } catch (error) {
    if (WardError.isInstance(error)) throw error;
    throw new KeyStoreError('ERR_KEYSTORE_IO', 'scrypt key derivation failed', { cause: error });
  } finally {
    raw?.fill(0);
    passphrase.fill(0);
  }
}

function kdfHeader(kdf: KdfParameters): HeaderMap {
  return new Map<number | string, CborValue>([
    [HeaderLabel.contentType, CONTENT_TYPE],
    [KDF_LABEL, new Map<CborValue, CborValue>([[K.algorithm, KDF_NAME], [K.salt, kdf.salt], [K.logN, kdf.logN], [K.r, kdf.r], [K.p, kdf.p]])],
  ]);
}

/** Reads the KDF parameters from a file's protected header, before any key is derived. */
function readKdfHeader(file: Uint8Array, insecure: boolean): KdfParameters {
  let message: CborValue;
  try {
    message = decodeCbor(file, { maxBytes: MAX_KEYSTORE_BYTES, maxDepth: 4, maxArrayEntries: 3, maxMapEntries: 8, maxItems: 64, rejectIntegralFloats: true });
  } catch (error) {
    throw corrupt('the keystore file is not well-formed CBOR', error);
  }
  /* A plaintext keyset document (a CBOR map), an encrypted keyset document or any other COSE message is not a keystore. */
  if (!(message instanceof CborTag) || message.tag !== CoseTag.Encrypt0 || !Array.isArray(message.value) || message.value.length !== 3) {
    throw corrupt('the file is not a Ward keystore (expected a COSE_Encrypt0)');
  }
  const protectedBytes = message.value[0];
  if (!(protectedBytes instanceof Uint8Array)) throw corrupt('the keystore header is malformed');
  let header: HeaderMap;
  try {
    header = decodeProtectedHeader(protectedBytes, { maxDepth: 2, maxMapEntries: 8, maxItems: 32, maxBytes: 1024 });
  } catch (error) {
    throw corrupt('the keystore header is malformed', error);
  }
  if (header.get(HeaderLabel.contentType) !== CONTENT_TYPE) throw corrupt('the file is not a Ward keystore (content type)');
  /* Exactly the labels we write: an unknown protected parameter is not something this version understands. */
  for (const label of header.keys()) {
    if (label !== HeaderLabel.alg && label !== HeaderLabel.contentType && label !== KDF_LABEL) throw corrupt('unknown keystore header parameter');
  }
  const kdf = header.get(KDF_LABEL);
  if (!(kdf instanceof Map) || kdf.size !== 5) throw corrupt('the keystore header has no valid KDF parameters');
  const salt = kdf.get(K.salt);
  const logN = kdf.get(K.logN);
  const r = kdf.get(K.r);
  const p = kdf.get(K.p);
  if (kdf.get(K.algorithm) !== KDF_NAME) throw corrupt('unsupported keystore KDF');
  if (!(salt instanceof Uint8Array) || salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) throw corrupt('bad keystore salt');
  if (typeof logN !== 'number' || typeof r !== 'number' || typeof p !== 'number') throw corrupt('bad keystore KDF parameters');
  /* Refused before deriving: a hostile file must not make us allocate gigabytes or spin (or derive with a toy cost). */
  const problem = scryptProblem(logN, r, p, insecure);
  if (problem !== undefined) throw corrupt(`keystore KDF parameters refused: ${problem}`);
  return { logN, r, p, salt };
}

/*
 * The payload is a CBOR map of text keys (keyset names: ASCII, at most 128 bytes) to byte
 * strings. It is written here rather than by encodeCbor so the keyset documents (private keys)
 * are copied only into this one buffer, which is wiped after encryption, and not into the
 * CBOR encoder's reused internal buffer.
 */
function encodePayload(documents: ReadonlyMap<string, Uint8Array>): Uint8Array {
  /* RFC 8949 §4.2.1 order: by the encoded key, which for text keys shorter than 256 bytes is by length, then bytewise. */
  const names = [...documents.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  const parts: Uint8Array[] = [encodeHead(5, names.length)];
  for (const name of names) {
    const document = documents.get(name)!;
    /* Names are ASCII (checkKeysetName), so their UTF-8 bytes are their char codes. */
    parts.push(encodeHead(3, name.length), Uint8Array.from(name, (c) => c.charCodeAt(0)), encodeHead(2, document.length), document);
  }
  return concatBytes(parts);
}

/* Path traversal: a name read back from disk passes the same rule as a name given to save(). */
function checkStoredName(name: string, message: string): void {
  try {
    checkKeysetName(name);
  } catch (error) {
    throw corrupt(message, error);
  }
}

function decodePayload(plaintext: Uint8Array): Map<string, Uint8Array> {
  let value: CborValue;
  try {
    value = decodeCbor(plaintext, {
      maxBytes: MAX_KEYSTORE_BYTES, maxDepth: 1, maxMapEntries: MAX_KEYSTORE_KEYSETS, maxItems: 2 * MAX_KEYSTORE_KEYSETS + 1,
      maxStringBytes: MAX_DOCUMENT_BYTES, requireDeterministic: true,
    });
  } catch (error) {
    throw corrupt('the keystore content is malformed', error);
  }
  if (!(value instanceof Map)) throw corrupt('the keystore content is not a map');
  const documents = new Map<string, Uint8Array>();
  for (const [name, document] of value) {
    if (typeof name !== 'string' || !(document instanceof Uint8Array)) throw corrupt('a keystore entry is not name → document');
    checkStoredName(name, 'a keystore entry has an invalid name');
    documents.set(name, document);
  }
  return documents;
}

async function readKeystoreFile(path: string, allowInsecurePermissions: boolean): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    /* O_NONBLOCK: a FIFO planted at the path must not hang open(2); it is refused below as not a regular file. */
    handle = await fsp.open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw io(`could not open keystore ${path}`, error);
  }
  try {
    let stat;
    try {
      stat = await handle.stat();
    } catch (error) {
      throw io(`could not stat keystore ${path}`, error);
    }
    if (!stat.isFile()) throw io(`keystore ${path} is not a regular file`);
    /* A file others can read can be brute-forced offline; one others can write can be rolled back or swapped. */
    if (!IS_WINDOWS && (stat.mode & 0o077) !== 0 && !allowInsecurePermissions) {
      throw io(`keystore ${path} has mode ${(stat.mode & 0o777).toString(8)}: group or others may access it (chmod 600, or pass allowInsecurePermissions)`);
    }
    /* Size checked before allocating: a huge file is refused, not read. */
    if (stat.size > MAX_KEYSTORE_BYTES) throw corrupt(`keystore file exceeds ${MAX_KEYSTORE_BYTES} bytes`);
    if (stat.size < MIN_FILE_BYTES) throw corrupt('keystore file is truncated');
    const bytes = new Uint8Array(stat.size);
    let offset = 0;
    try {
      offset = await readInto(handle, bytes);
    } catch (error) {
      throw io(`could not read keystore ${path}`, error);
    }
    if (offset !== bytes.length) throw corrupt('keystore file is truncated');
    return bytes;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * A {@link KeyStore} in one file, encrypted at rest under a passphrase and replaced atomically
 * and durably on every change: a crash at any moment leaves either the previous file or the new
 * one, and {@link FileKeyStore.save} resolves only once the new one is on disk.
 *
 * **Format.** A COSE_Encrypt0 (AES-256-GCM, a fresh random 96-bit nonce from the backend on
 * every save, external AAD `"Ward keystore v1"`) whose protected header records the key
 * derivation (scrypt, its salt, N, r and p, authenticated by the tag). The plaintext is a
 * deterministic CBOR map from keyset name to the keyset's document ({@link Keyset.toDocument}).
 *
 * **Key derivation.** KEK = scrypt(passphrase, 16-byte random salt), 32 bytes; by default
 * N = 2^17, r = 8, p = 1 ({@link DEFAULT_KEYSTORE_SCRYPT}, OWASP's recommendation). The KEK is
 * derived once, when the store is created or opened, and kept only as a non-extractable
 * backend key; the salt stays with the file for its life (the nonce is fresh per save), until
 * {@link FileKeyStore.changePassphrase} draws a new one. Parameters in a file outside
 * N ≥ 2^14, N·r·p ≥ 2^19, 128·N·r ≤ 256 MiB and N·r·p ≤ 2^23 are refused before deriving.
 *
 * **Writes.** Every change rewrites the whole file: temp file in the same directory
 * (`.<name>.tmp-<random>`, `O_CREAT|O_EXCL`, mode 0600), fsync, rename over the file, fsync
 * of the directory. The file is always mode 0600; {@link FileKeyStore.open} refuses a file
 * group or others can access unless told otherwise, and removes temp files a crash left. Calls
 * on one instance run one at a time, in call order. Two processes (or two instances) writing
 * the same file is **not supported**: each rewrites the whole file from its own memory, so the
 * last writer wins and the other's changes are lost.
 *
 * **Rollback.** Every stored keyset carries a revision ({@link Keyset.revision}); the store
 * writes each save above the highest revision it has seen under the name and refuses to load
 * a lower one (`ERR_KEYSTORE_ROLLBACK`). The marks outlive the process: by default in
 * `<keystore path>.revisions` beside the file, or in the `state` you pass
 * ({@link FileKeyStoreUnlockOptions.state}), so an older copy of the file put back (a backup
 * restored, a copy from another host) cannot bring a revoked or destroyed key back after a
 * restart. Whoever can roll back or delete the state together with the file (the whole
 * directory, by default) is not stopped: keep the state elsewhere for that (SPEC.md §9).
 *
 * **Destroyed keys.** Saving a keyset after {@link Keyset.destroy} drops the key from the
 * file, but old copies of the file (backups, or blocks the file system or SSD has not reused
 * yet) still hold it, decryptable with the passphrase they were written under. Data under a
 * destroyed key is crypto-shredded only once those copies are gone or their passphrase is;
 * {@link FileKeyStore.changePassphrase} at least keeps the copies from yielding to a
 * passphrase learned later.
 *
 * @example
 * ```ts
 * import { Keyset } from '@ward/core';
 * import { FileKeyStore, FileStateStore, createNodeBackend } from '@ward/node';
 *
 * const backend = createNodeBackend();
 * const store = await FileKeyStore.create('/var/lib/ward/keys.ward', { passphrase, backend });
 * await store.save('zone-a', await Keyset.generate(backend, { purpose: 'shared' }));
 *
 * // later, in another process; the revision marks are in /var/lib/ward/keys.ward.revisions,
 * // so an older copy of keys.ward put back fails to load with ERR_KEYSTORE_ROLLBACK
 * const again = await FileKeyStore.open('/var/lib/ward/keys.ward', { passphrase, backend });
 * const zoneA = await again.load('zone-a');
 *
 * // marks on another volume, so rolling back /var/lib/ward as a whole is caught too
 * const guarded = await FileKeyStore.open('/var/lib/ward/keys.ward', {
 *   passphrase, backend, state: new FileStateStore('/srv/ward-state/keys.revisions'),
 * });
 * ```
 */
export class FileKeyStore implements KeyStore {
  readonly #path: string;
  readonly #backend: CryptoBackend;
  #kdf: KdfParameters;
  #kek: AeadKey | undefined;
  /** Committed state: exactly what the file on disk holds. */
  #documents: Map<string, Uint8Array>;
  /** Per name, the highest revision saved or loaded (kept after delete): loads below it are rollbacks. */
  #revisions: Map<string, number>;
  /** Where #revisions outlives this instance. */
  readonly #state: StateStore;
  /** Serialises every operation, so read-modify-write cycles never interleave. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    path: string, backend: CryptoBackend, kdf: KdfParameters, kek: AeadKey, documents: Map<string, Uint8Array>,
    rollback: { readonly revisions: Map<string, number>; readonly state: StateStore },
  ) {
    this.#path = path;
    this.#backend = backend;
    this.#kdf = kdf;
    this.#kek = kek;
    this.#documents = documents;
    this.#revisions = rollback.revisions;
    this.#state = rollback.state;
  }

  /**
   * Creates a new, empty keystore file at `path` (mode 0600) and unlocks it. Refuses to
   * replace an existing file. Deriving the key takes about half a second with the default
   * parameters.
   *
   * @param path - where the file goes; its directory must exist
   * @param options - passphrase, backend, optional scrypt parameters
   * @returns the unlocked store
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for an empty passphrase or scrypt
   *   parameters outside the bounds (below the floor without `insecureTestParameters`)
   * @throws KeyStoreError `ERR_KEYSTORE_IO` when the file exists or cannot be written;
   *   `ERR_KEYSTORE_CORRUPT` or `ERR_KEYSTORE_IO` from a damaged or unreadable revision state
   *   (`options.state`, or by default `<path>.revisions`, whose marks a new file keeps)
   * @example
   * ```ts
   * const store = await FileKeyStore.create('/var/lib/ward/keys.ward', { passphrase, backend: createNodeBackend() });
   * // revision marks in /var/lib/ward/keys.ward.revisions
   * ```
   */
  static async create(path: string, options: FileKeyStoreCreateOptions): Promise<FileKeyStore> {
    if (typeof path !== 'string' || path.length === 0) throw new ArgumentError('path must be a non-empty string');
    if (typeof options !== 'object' || options === null) throw new ArgumentError('options are required');
    const backend = checkBackend(options.backend);
    const { logN, r, p } = checkKdfOption(options.kdf, options.insecureTestParameters === true);
    if (options.state !== undefined) checkState(options.state);
    let directory: string;
    try {
      /* Resolve the directory once, so later saves land next to the file even if a symlinked path changes. */
      directory = await fsp.realpath(dirname(resolve(path)));
    } catch (error) {
      throw io(`the directory of ${path} does not exist`, error);
    }
    const target = join(directory, basename(path));
    const { store: state } = revisionState(options.state, target);
    /* Marks of an earlier store under the same state (by default an earlier file at this path) carry over: a new file cannot reset them. */
    const revisions = decodeRevisions(await state.load());
    const password = passphraseBytes(options.passphrase);
    let salt: Uint8Array;
    try {
      salt = await backend.randomBytes(SALT_BYTES);
    } catch (error) {
      password.fill(0);
      throw error;
    }
    const kdf: KdfParameters = { logN, r, p, salt: salt.slice() };
    const kek = await deriveKek(backend, password, kdf);
    const store = new FileKeyStore(target, backend, kdf, kek, new Map(), { revisions, state });
    try {
      await store.#write(new Map(), { noClobber: true });
    } catch (error) {
      await store.#discardKek();
      throw error;
    }
    return store;
  }

  /**
   * Opens and unlocks an existing keystore file, and removes temp files an interrupted save
   * left next to it. The file is read whole (at most 16 MiB, checked before reading) and kept
   * decrypted in memory; the keysets are decoded when loaded.
   *
   * @param path - the keystore file (a symlink is followed once; saves replace its target)
   * @param options - passphrase, backend; `allowInsecurePermissions` for a file others may access
   * @returns the unlocked store
   * @throws KeyStoreError `ERR_KEYSTORE_UNLOCK_FAILED` for a wrong passphrase or a
   *   ciphertext that fails authentication (deliberately not told apart);
   *   `ERR_KEYSTORE_CORRUPT` or `ERR_KEYSTORE_IO` from a damaged or unreadable revision state
   *   (`options.state`, or by default `<path>.revisions`); `ERR_KEYSTORE_IO` when the marks
   *   must be written (a first start, or after a crash) and the state cannot be (read-only media);
   *   `ERR_KEYSTORE_CORRUPT` for a file that is not a well-formed Ward keystore, is truncated
   *   or too large, or whose KDF parameters are out of bounds (refused before deriving);
   *   `ERR_KEYSTORE_IO` when the file cannot be read, is not a regular file, or group or others
   *   may access it
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for an empty passphrase or missing backend
   * @example
   * ```ts
   * try {
   *   const store = await FileKeyStore.open('/var/lib/ward/keys.ward', { passphrase, backend });
   * } catch (error) {
   *   if (KeyStoreError.isInstance(error) && error.code === 'ERR_KEYSTORE_UNLOCK_FAILED') console.error('wrong passphrase');
   *   throw error;
   * }
   * ```
   */
  static async open(path: string, options: FileKeyStoreOpenOptions): Promise<FileKeyStore> {
    if (typeof path !== 'string' || path.length === 0) throw new ArgumentError('path must be a non-empty string');
    if (typeof options !== 'object' || options === null) throw new ArgumentError('options are required');
    const backend = checkBackend(options.backend);
    if (options.state !== undefined) checkState(options.state);
    let target: string;
    try {
      target = await fsp.realpath(resolve(path));
    } catch (error) {
      throw io(`could not open keystore ${path}`, error);
    }
    const { store: state, defaultPath: defaultStatePath } = revisionState(options.state, target);
    /* Read before anything is derived: a damaged state is refused, never taken as "no marks". A missing
     * one is a first start: the marks come from the file below (SPEC.md §9, what local state does not stop). */
    const revisions = decodeRevisions(await state.load());
    const password = passphraseBytes(options.passphrase);
    let file: Uint8Array;
    let kdf: KdfParameters;
    try {
      file = await readKeystoreFile(target, options.allowInsecurePermissions === true);
      kdf = readKdfHeader(file, options.insecureTestParameters === true);
    } catch (error) {
      password.fill(0);
      throw error;
    }
    const kek = await deriveKek(backend, password, kdf);
    let plaintext: Uint8Array | undefined;
    try {
      let opened;
      try {
        opened = await decryptEncrypt0(file, { backend, key: kek, externalAad: KEYSTORE_AAD, maxBytes: MAX_KEYSTORE_BYTES });
      } catch (error) {
        /* Wrong passphrase and tampered ciphertext, header or salt look the same: the tag does not verify. */
        if (WardError.isInstance(error) && error.code === 'ERR_DECRYPTION_FAILED') {
          throw new KeyStoreError('ERR_KEYSTORE_UNLOCK_FAILED', 'the keystore could not be unlocked: wrong passphrase or damaged file', { cause: error });
        }
        throw corrupt('the keystore file is malformed', error);
      }
      plaintext = opened.plaintext;
      const documents = decodePayload(plaintext);
      /* A crash between the file's write and the state's leaves the file ahead (and a first start has no
       * marks at all): move the marks up to it. */
      if (caughtUp(revisions, documents)) {
        try {
          await state.save(encodeRevisions(revisions));
        } catch (error) {
          if (defaultStatePath === undefined) throw error;
          throw io(`could not write the keystore revision state ${defaultStatePath}: on read-only media pass options.state, a StateStore on a writable volume (or new MemoryStateStore() to keep the marks for this process only)`, error);
        }
      }
      const store = new FileKeyStore(target, backend, kdf, kek, documents, { revisions, state });
      /* Unlocking proved we own the file; a temp file now can only be a leftover of a crashed save (of the file or of its default state). */
      await removeStaleTempFiles(target);
      if (defaultStatePath !== undefined) await removeStaleTempFiles(defaultStatePath);
      return store;
    } catch (error) {
      if (backend.destroyKey !== undefined) await backend.destroyKey(kek);
      throw error;
    } finally {
      plaintext?.fill(0);
    }
  }

  /** The keystore file's absolute path (symlinks resolved). */
  get path(): string {
    return this.#path;
  }

  /** The scrypt parameters of the file. */
  get kdf(): ScryptParameters {
    return Object.freeze({ N: 2 ** this.#kdf.logN, r: this.#kdf.r, p: this.#kdf.p });
  }

  /**
   * The keyset stored under `name`, decoded into a fresh {@link Keyset} (changes to it reach
   * the file only through {@link FileKeyStore.save}).
   *
   * @param name - the keyset name
   * @returns the keyset, or undefined
   * @throws KeyStoreError `ERR_KEYSTORE_CORRUPT` when the stored document does not decode;
   *   `ERR_KEYSTORE_ROLLBACK` when its revision is below the highest this store (or its
   *   `state`) has saved or loaded under `name`: the file was replaced by an older copy
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for a bad name or a closed store
   * @example
   * ```ts
   * const readers = await store.load('city-readers');
   * ```
   */
  async load(name: string): Promise<Keyset | undefined> {
    checkKeysetName(name);
    const document = await this.#enqueue(async () => this.#documents.get(name)?.slice());
    if (document === undefined) return undefined;
    try {
      /* Rollback (SPEC.md §9): a keyset older than one this store (or its state) saw is refused. */
      /* Rollback: an older copy of the file must not bring back a revoked or destroyed key. */
      return await Keyset.fromDocument(document, { backend: this.#backend, minRevision: this.#revisions.get(name) ?? 0 });
    } catch (error) {
      if (WardError.isInstance(error) && error.code === 'ERR_KEYSET_INVALID') throw corrupt(`stored keyset ${name} is malformed`, error);
      throw error;
    } finally {
      document.fill(0);
    }
  }

  /**
   * Stores `keyset` under `name` and rewrites the file atomically; resolves once the new file
   * is durable. Do not change the keyset (rotate, retire, revoke, destroy) until `save`
   * resolves: {@link Keyset.toDocument} reads the live keyset across several awaits, so a change
   * meanwhile can tear the snapshot. The snapshot is therefore decoded once before it is
   * written, and one that would not load is refused, never stored. Saves on one store are
   * applied in call order, and each snapshot is taken in its turn, with a revision above every
   * one saved under `name` before. On failure the file and the store are unchanged (or, if only the
   * final directory fsync failed, the file may already hold the new content): do not seal with
   * a key whose save did not resolve.
   *
   * @param name - the keyset name
   * @param keyset - the keyset
   * @throws KeyStoreError `ERR_KEYSTORE_IO` when the file (or, after the file was written, the
   *   `state`) cannot be written
   * @throws KeyError `ERR_KEY_NOT_EXTRACTABLE` when a key of the keyset cannot be exported;
   *   `ERR_KEYSET_INVALID` when the snapshot would not load again (the keyset changed while it
   *   was being serialised, e.g. a save not awaited after `rotate()`): nothing is written
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for a bad name, a closed store, more
   *   than 1024 keysets or a file that would exceed 16 MiB
   * @example
   * ```ts
   * await readers.rotate();
   * await store.save('city-readers', readers); // before sealing with the new primary
   * ```
   */
  async save(name: string, keyset: Keyset): Promise<void> {
    checkKeysetName(name);
    if (typeof keyset !== 'object' || keyset === null || typeof (keyset as { toDocument?: unknown }).toDocument !== 'function') {
      throw new ArgumentError('keyset must be a Keyset');
    }
    await this.#enqueue(async () => {
      /* Serialised with the other saves: the snapshot's revision is above the newest saved under
       * the name, so the file never goes back to an older revision (SPEC.md §9), and saves under
       * one name still apply in call order. */
      const document = await keyset.toDocument({ revisionAbove: this.#revisions.get(name) ?? 0 });
      try {
        /* Never replace a stored keyset with one that would not load: a snapshot taken while the keyset
         * was changing (toDocument interleaved with a rotate) can be inconsistent, and once written it
         * would make every key of the keyset unreadable. */
        await Keyset.fromDocument(document, { backend: this.#backend });
        const revision = keysetDocumentRevision(document);
        const next = new Map(this.#documents);
        next.set(name, document);
        if (next.size > MAX_KEYSTORE_KEYSETS) throw new ArgumentError(`a keystore holds at most ${MAX_KEYSTORE_KEYSETS} keysets`);
        await this.#write(next);
        const previous = this.#documents.get(name);
        this.#documents = next;
        previous?.fill(0);
        this.#revisions.set(name, revision);
        /* After the file: a crash in between leaves the state behind the file, which FileKeyStore.open() catches up;
         * the reverse order could leave a mark above every copy of the keyset, which no open could load. */
        await this.#state.save(encodeRevisions(this.#revisions));
      } catch (error) {
        if (this.#documents.get(name) !== document) document.fill(0);
        throw error;
      }
    });
  }

  /**
   * Removes `name` and rewrites the file (nothing is written when the name is absent).
   *
   * @param name - the keyset name
   * @returns whether it existed
   * @throws KeyStoreError `ERR_KEYSTORE_IO` when the file cannot be written
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for a bad name or a closed store
   * @example
   * ```ts
   * await store.delete('zone-a');
   * ```
   */
  async delete(name: string): Promise<boolean> {
    checkKeysetName(name);
    return this.#enqueue(async () => {
      const previous = this.#documents.get(name);
      if (previous === undefined) return false;
      const next = new Map(this.#documents);
      next.delete(name);
      await this.#write(next);
      this.#documents = next;
      previous.fill(0);
      return true;
    });
  }

  /**
   * The stored names, sorted.
   *
   * @returns the names
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for a closed store
   * @example
   * ```ts
   * console.log(await store.names()); // ['city-readers', 'zone-a']
   * ```
   */
  async names(): Promise<readonly string[]> {
    return this.#enqueue(async () => [...this.#documents.keys()].sort());
  }

  /**
   * Re-encrypts the file under a new passphrase, with a new random salt (and optionally new
   * scrypt parameters). The old file is replaced atomically; the store keeps working with the
   * new key. Old copies of the file (backups) stay readable with the old passphrase.
   *
   * @param passphrase - the new passphrase
   * @param options - new scrypt parameters; `insecureTestParameters` for tests
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` for an empty passphrase, parameters
   *   out of bounds or a closed store
   * @throws KeyStoreError `ERR_KEYSTORE_IO` when the file cannot be written
   * @example
   * ```ts
   * await store.changePassphrase(newPassphrase);
   * ```
   */
  async changePassphrase(passphrase: string | Uint8Array, options?: ChangePassphraseOptions): Promise<void> {
    this.#checkOpen();
    const current = this.kdf;
    const { logN, r, p } = checkKdfOption(options?.kdf ?? current, options?.insecureTestParameters === true);
    const password = passphraseBytes(passphrase);
    const salt = await this.#backend.randomBytes(SALT_BYTES);
    const kdf: KdfParameters = { logN, r, p, salt: salt.slice() };
    const kek = await deriveKek(this.#backend, password, kdf);
    let adopted = false;
    try {
      await this.#enqueue(async () => {
        await this.#writeWith(this.#documents, kdf, kek);
        const previous = this.#kek;
        this.#kdf = kdf;
        this.#kek = kek;
        adopted = true;
        if (previous !== undefined && this.#backend.destroyKey !== undefined) await this.#backend.destroyKey(previous);
      });
    } finally {
      /* A KEK that never protected the file (write failed, or the store was closed meanwhile) is erased at once. */
      if (!adopted && this.#backend.destroyKey !== undefined) await this.#backend.destroyKey(kek);
    }
  }

  /**
   * Locks the store: waits for pending writes, erases the KEK (`backend.destroyKey`) and wipes
   * the decrypted documents held in memory. Every later call throws `ERR_INVALID_ARGUMENT`.
   * Keysets already loaded are not affected.
   *
   * @example
   * ```ts
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#discardKek();
    for (const document of this.#documents.values()) document.fill(0);
    this.#documents = new Map();
  }

  #checkOpen(): void {
    if (this.#closed) throw new ArgumentError('the keystore was closed');
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    this.#checkOpen();
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #discardKek(): Promise<void> {
    const kek = this.#kek;
    this.#kek = undefined;
    if (kek !== undefined && this.#backend.destroyKey !== undefined) await this.#backend.destroyKey(kek);
  }

  #write(documents: ReadonlyMap<string, Uint8Array>, options?: { readonly noClobber?: boolean }): Promise<void> {
    return this.#writeWith(documents, this.#kdf, this.#kek!, options);
  }

  async #writeWith(documents: ReadonlyMap<string, Uint8Array>, kdf: KdfParameters, kek: AeadKey, options?: { readonly noClobber?: boolean }): Promise<void> {
    const plaintext = encodePayload(documents);
    let file: Uint8Array;
    try {
      /* Refused before encrypting: FileKeyStore.open() would refuse a file over the cap. */
      if (plaintext.length + 1024 > MAX_KEYSTORE_BYTES) throw new ArgumentError(`the keystore would exceed ${MAX_KEYSTORE_BYTES} bytes`);
      file = await createEncrypt0(plaintext, { backend: this.#backend, key: kek, protectedHeader: kdfHeader(kdf), externalAad: KEYSTORE_AAD });
    } finally {
      plaintext.fill(0);
    }
    await writeFileAtomic(this.#path, file, options?.noClobber === true ? { noClobber: true } : undefined);
  }
}

