/*
 * Backend-agnostic known-answer suite: the Wycheproof vectors for every primitive of the
 * `CryptoBackend` contract, plus the RFC 3394 §4 AES key wrap vectors and tampered unwraps.
 *
 * Test-only code (never shipped): it reads the vector files with node:fs at collection time, so
 * every test name carries its case counts, and it drives the backend through the public
 * `CryptoBackend` API only. Every disagreement is collected; each test then asserts that the
 * list is empty, so one run names every failing tcId at once.
 *
 * Usage, from a backend's test file:
 *
 * ```ts
 * import { runWycheproofSuite } from '../../test-kit/wycheproof.js';
 * runWycheproofSuite('noble', () => createNobleBackend());
 * ```
 *
 * The vectors are the repository's `vectors/` folder, or the copy named by `WARD_VECTORS_DIR`
 * (the directory that contains `wycheproof/`); see `vectors-dir.ts`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AeadAlgorithm, CryptoBackend, KeyHandle, MaybePromise } from '../src/backend/crypto-backend.js';
import { WardError } from '../src/errors.js';
import type { WardErrorCode } from '../src/errors.js';
import { vectorsDir, vectorUrl } from './vectors-dir.js';

/* ------------------------------------------------------------------------------------------ */
/* Decisions on "acceptable" cases                                                             */
/* ------------------------------------------------------------------------------------------ */

/**
 * What Ward does with a Wycheproof flag on an `acceptable` case:
 * - `reject`: the case must be rejected (with the suite's stated error code);
 * - `accept`: the case must be accepted and produce the expected output;
 * - `neutral`: the flag only describes the construction and decides nothing.
 *
 * A case is rejected when any of its flags says `reject`, accepted when none does and at least
 * one says `accept`. A case with an unknown flag, or with only `neutral` flags, is a failure:
 * every acceptable case must be covered by a stated decision.
 */
export type FlagDecision = 'accept' | 'reject' | 'neutral';

/** One decision, with the reason it was taken. */
export interface DecisionEntry {
  readonly decision: FlagDecision;
  readonly why: string;
}

/**
 * The product's decisions, per vector file and flag. Pseudo-flags in `Derived*` are attached
 * by this kit to cases it derives from valid vectors (see {@link runWycheproofSuite}).
 */
export const ACCEPTABLE_DECISIONS: Readonly<Record<string, Readonly<Record<string, DecisionEntry>>>> = {
  'x25519_test.json': {
    ZeroSharedSecret: { decision: 'reject', why: 'RFC 7748 §6.1 all-zero check; RFC 9180 §7.1.4 requires it for HPKE; ERR_KEY_AGREEMENT_FAILED' },
    LowOrderPublic: { decision: 'reject', why: 'a low-order peer point yields the all-zero secret; ERR_KEY_AGREEMENT_FAILED' },
    SmallPublicKey: { decision: 'reject', why: 'u = 0 or 1 (or their non-canonical forms): low order; ERR_KEY_AGREEMENT_FAILED' },
    NonCanonicalPublic: { decision: 'accept', why: 'RFC 7748 §5 defines the value (mask bit 255, reduce mod p) and §7 recommends accepting' },
    Twist: { decision: 'accept', why: 'X25519 is defined on the twist (RFC 7748 §5); the result must be the specified one' },
    EdgeCaseMultiplication: { decision: 'neutral', why: 'describes the arithmetic edge case only' },
    EdgeCaseShared: { decision: 'neutral', why: 'describes the shared secret only' },
    SpecialPublicKey: { decision: 'neutral', why: 'describes the public key only' },
    Ktv: { decision: 'neutral', why: 'known test vector; decided by its other flags' },
  },
  'ecdh_secp256r1_ecpoint_test.json': {
    CompressedPublic: { decision: 'accept', why: 'RawKeyFormat accepts 33-byte SEC1 compressed points; the secret must match' },
    CompressedPoint: { decision: 'accept', why: 'as CompressedPublic (invalid compressed points are separate `invalid` cases)' },
  },
  'ed25519_test.json': {
    /* The file has no acceptable case; these record the strict RFC 8032 §5.1.7 decision, which
       the kit also checks on derived S + L signatures (pseudo-flag DerivedNonCanonicalS). */
    SignatureMalleability: { decision: 'reject', why: 'strict RFC 8032: S must be < L' },
    InvalidEncoding: { decision: 'reject', why: 'strict RFC 8032: non-canonical R or A encodings are rejected (not ZIP-215)' },
    DerivedNonCanonicalS: { decision: 'reject', why: 'strict RFC 8032: S + L in place of S of a valid signature' },
  },
  'ecdsa_secp256r1_sha256_p1363_test.json': {
    /* No acceptable case in the file; high S appears among `valid` cases and in derived ones. */
    DerivedHighS: { decision: 'accept', why: '(r, n − s) of a valid signature: RFC 9053 §2.1 does not require low S; other signers emit high S' },
  },
  'ecdsa_secp256r1_sha256_test.json': {
    DerivedHighS: { decision: 'accept', why: 'as in the P1363 file, after strict DER decoding' },
  },
  'aes_gcm_test.json': {},
  'chacha20_poly1305_test.json': {},
  'hkdf_sha256_test.json': {},
};

/** Resolves the outcome the decision table prescribes for `flags`, or explains why none. */
export function decide(file: string, flags: readonly string[]): { outcome: 'accept' | 'reject' } | { error: string } {
  const table = ACCEPTABLE_DECISIONS[file] ?? {};
  const missing = flags.filter((f) => !Object.prototype.hasOwnProperty.call(table, f));
  if (missing.length > 0) return { error: `no decision for flag(s) ${missing.join(', ')}` };
  const decisions = flags.map((f) => table[f]!.decision);
  if (decisions.includes('reject')) return { outcome: 'reject' };
  if (decisions.includes('accept')) return { outcome: 'accept' };
  return { error: `only neutral flags (${flags.join(', ')}): no decision` };
}

/* ------------------------------------------------------------------------------------------ */
/* Vector files                                                                               */
/* ------------------------------------------------------------------------------------------ */

type Result = 'valid' | 'invalid' | 'acceptable';

interface TestBase {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly result: Result;
}
interface SigTest extends TestBase { readonly msg: string; readonly sig: string }
interface XdhTest extends TestBase { readonly public: string; readonly private: string; readonly shared: string }
interface EcdhTest extends TestBase { readonly public: string; readonly private: string; readonly shared: string }
interface AeadTest extends TestBase {
  readonly key: string; readonly iv: string; readonly aad: string; readonly msg: string; readonly ct: string; readonly tag: string;
}
interface HkdfTest extends TestBase {
  readonly ikm: string; readonly salt: string; readonly info: string; readonly size: number; readonly okm: string;
}
interface Group<T> { readonly type: string; readonly tests: readonly T[]; readonly [k: string]: unknown }
interface VectorFile<T> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly Group<T>[];
}

/** Reads one Wycheproof file synchronously and checks its declared test count. */
export function loadWycheproof<T extends TestBase>(file: string, dir: URL = vectorsDir()): VectorFile<T> {
  const url = vectorUrl(`wycheproof/testvectors_v1/${file}`, dir);
  const data = JSON.parse(readFileSync(url, 'utf8')) as VectorFile<T>;
  const total = data.testGroups.reduce((n, g) => n + g.tests.length, 0);
  if (total !== data.numberOfTests) throw new Error(`${file}: numberOfTests ${data.numberOfTests} but ${total} tests found`);
  return data;
}

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                              */
/* ------------------------------------------------------------------------------------------ */

/** Hex to a plain Uint8Array (not a Buffer). */
export function hex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new Error(`bad hex: ${text.slice(0, 40)}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes to lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function short(bytes: Uint8Array): string {
  const h = toHex(bytes);
  return h.length > 48 ? `${h.slice(0, 48)}…(${bytes.length} bytes)` : h || '(empty)';
}

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Runs a backend call that may return a value or a promise, or throw synchronously. */
async function attempt<T>(fn: () => MaybePromise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

function describeError(error: unknown): string {
  if (WardError.isInstance(error)) return `WardError ${error.code}`;
  if (error instanceof Error) return `non-Ward ${error.name}: ${error.message}`;
  return `non-Ward throw: ${String(error)}`;
}

/** Null when `error` is a WardError with one of `codes` (any code if `codes` is empty). */
function rejectionProblem(error: unknown, codes: readonly WardErrorCode[]): string | null {
  if (!WardError.isInstance(error)) return `threw ${describeError(error)} (must be a WardError)`;
  if (codes.length > 0 && !codes.includes(error.code)) return `threw ${error.code}, expected ${codes.join(' or ')}`;
  return null;
}

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n;

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

function bigIntToBytes(value: bigint, length: number): Uint8Array {
  return hex(value.toString(16).padStart(length * 2, '0'));
}

/** Wycheproof writes private scalars as ASN.1-style integers (33 bytes with a 00, or shorter); COSE wants 32. */
function scalar32(text: string): Uint8Array | undefined {
  let bytes = hex(text);
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  bytes = bytes.subarray(i);
  if (bytes.length > 32) return undefined;
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Strict DER for ECDSA-Sig-Value                                                              */
/* ------------------------------------------------------------------------------------------ */

/**
 * Strict DER decoding of `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` for P-256
 * into the 64-byte `r ‖ s` the backend verifies. Returns `undefined` for anything that is not
 * the unique DER encoding: wrong tags, indefinite or non-minimal lengths, lengths that overrun
 * or underrun, trailing bytes (inside or after the SEQUENCE), empty, negative or non-minimally
 * encoded integers, or an integer longer than 32 bytes once its sign byte is removed.
 * Range checks (0 < r, s < n) are the verifier's job, not the parser's.
 */
export function parseStrictDerEcdsaSignature(der: Uint8Array): Uint8Array | undefined {
  let pos = 0;
  const readLength = (): number | undefined => {
    const first = der[pos++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count === 0 || count > 2) return undefined; // indefinite length, or absurdly long for 72 bytes
    let length = 0;
    for (let i = 0; i < count; i++) {
      const b = der[pos++];
      if (b === undefined) return undefined;
      if (i === 0 && b === 0) return undefined; // leading zero length byte
      length = length * 256 + b;
    }
    if (length < 0x80) return undefined; // long form where the short form fits
    return length;
  };
  const readInteger = (end: number): Uint8Array | undefined => {
    if (pos >= end || der[pos++] !== 0x02) return undefined;
    const length = readLength();
    if (length === undefined || length === 0 || pos + length > end) return undefined;
    let value = der.subarray(pos, pos + length);
    pos += length;
    if ((value[0]! & 0x80) !== 0) return undefined; // negative
    if (value[0] === 0 && value.length > 1) {
      if ((value[1]! & 0x80) === 0) return undefined; // non-minimal: leading zero not needed for the sign
      value = value.subarray(1);
    }
    if (value.length > 32) return undefined;
    return value;
  };

  if (der[pos++] !== 0x30) return undefined;
  const seqLength = readLength();
  if (seqLength === undefined || pos + seqLength !== der.length) return undefined; // overrun or trailing bytes
  const end = der.length;
  const r = readInteger(end);
  if (!r) return undefined;
  const s = readInteger(end);
  if (!s || pos !== end) return undefined; // a third element or garbage inside the SEQUENCE
  const out = new Uint8Array(64);
  out.set(r, 32 - r.length);
  out.set(s, 64 - s.length);
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Tallies                                                                                    */
/* ------------------------------------------------------------------------------------------ */

interface Counts {
  readonly total: number;
  readonly valid: number;
  readonly invalid: number;
  readonly acceptable: number;
  readonly outOfProfile: number;
}

class Tally {
  run = 0;
  validPassed = 0;
  invalidRejected = 0;
  acceptableDecided = 0;
  outOfProfileRejected = 0;
  readonly extras: string[] = [];
  readonly failures: string[] = [];

  fail(t: TestBase, problem: string): void {
    this.failures.push(`tcId ${t.tcId} [${t.result}; ${t.flags.join(', ') || 'no flags'}] "${t.comment}": ${problem}`);
  }

  failDerived(what: string, problem: string): void {
    this.failures.push(`${what}: ${problem}`);
  }

  report(backend: CryptoBackend, prefix: string, source: string): void {
    const extra = this.extras.length > 0 ? `, ${this.extras.join(', ')}` : '';
    console.log(
      `${prefix} ${backend.name} ${source}: ${this.run} run (valid ${this.validPassed} passed, invalid ${this.invalidRejected} rejected, ` +
        `acceptable ${this.acceptableDecided} decided, out-of-profile ${this.outOfProfileRejected} rejected${extra}), ${this.failures.length} failures`,
    );
  }
}

function count<T extends TestBase>(file: VectorFile<T>, outOfProfile: (g: Group<T>, t: T) => boolean = () => false): Counts {
  let valid = 0;
  let invalid = 0;
  let acceptable = 0;
  let oop = 0;
  for (const g of file.testGroups) {
    for (const t of g.tests) {
      if (t.result === 'valid') valid++;
      else if (t.result === 'invalid') invalid++;
      else acceptable++;
      if (outOfProfile(g, t)) oop++;
    }
  }
  return { total: valid + invalid + acceptable, valid, invalid, acceptable, outOfProfile: oop };
}

function caseCounts(c: Counts): string {
  return `${c.total} cases: ${c.valid} valid, ${c.invalid} invalid, ${c.acceptable} acceptable`;
}

function assertNoFailures(source: string, tally: Tally): void {
  expect(tally.failures, `${tally.failures.length} disagreement(s) with ${source}`).toEqual([]);
}

type BackendFactory = () => MaybePromise<CryptoBackend>;

/* ------------------------------------------------------------------------------------------ */
/* Signatures                                                                                 */
/* ------------------------------------------------------------------------------------------ */

type SigKind = 'Ed25519' | 'ECDSA-P256-P1363' | 'ECDSA-P256-DER';

async function runSignatureFile(backend: CryptoBackend, file: string, data: VectorFile<SigTest>, kind: SigKind): Promise<Tally> {
  const tally = new Tally();
  const algorithm = kind === 'Ed25519' ? 'Ed25519' : 'ECDSA-P256';
  let derived = 0;
  let derivedOk = 0;
  let highSValid = 0;
  let rejectedByDer = 0;
  const derivedFlag = kind === 'Ed25519' ? 'DerivedNonCanonicalS' : 'DerivedHighS';
  const derivedDecision = decide(file, [derivedFlag]);

  for (const group of data.testGroups) {
    if (kind !== 'Ed25519' && group.sha !== 'SHA-256') {
      for (const t of group.tests) tally.fail(t, `group hash ${String(group.sha)} is not SHA-256`);
      continue;
    }
    const pk = group.publicKey as { pk?: string; uncompressed?: string };
    const rawPublic = hex((kind === 'Ed25519' ? pk.pk : pk.uncompressed) ?? '');
    const imported = await attempt(() => backend.importKey(algorithm, 'public', rawPublic));

    for (const t of group.tests) {
      tally.run++;
      if (t.result === 'acceptable') {
        /* None exist in these files today; a future one must meet a stated decision. */
        const d = decide(file, t.flags);
        if ('error' in d) {
          tally.fail(t, d.error);
          continue;
        }
      }
      const expectAccept = t.result === 'valid' || (t.result === 'acceptable' && (decide(file, t.flags) as { outcome: string }).outcome === 'accept');
      const done = (): void => {
        if (t.result === 'valid') tally.validPassed++;
        else if (t.result === 'invalid') tally.invalidRejected++;
        else tally.acceptableDecided++;
      };

      if (!imported.ok) {
        const problem = rejectionProblem(imported.error, []);
        if (problem) tally.fail(t, `importKey(public) ${problem}`);
        else if (expectAccept) tally.fail(t, `importKey(public ${short(rawPublic)}) rejected the key: ${describeError(imported.error)}`);
        else done();
        continue;
      }

      let signature = hex(t.sig);
      if (kind === 'ECDSA-P256-DER') {
        const parsed = parseStrictDerEcdsaSignature(signature);
        if (!parsed) {
          if (expectAccept) tally.fail(t, `strict DER parser rejected ${short(signature)}`);
          else {
            rejectedByDer++;
            done();
          }
          continue;
        }
        signature = parsed;
      }

      const message = hex(t.msg);
      const verified = await attempt(() => backend.verify(imported.value as never, message, signature));
      if (!verified.ok) {
        tally.fail(t, `verify threw ${describeError(verified.error)} (the contract says verify returns false for any bad signature)`);
        continue;
      }
      if (typeof verified.value !== 'boolean') {
        tally.fail(t, `verify returned ${String(verified.value)}, not a boolean`);
        continue;
      }
      if (verified.value !== expectAccept) {
        tally.fail(t, `verify returned ${verified.value}, expected ${expectAccept}`);
        continue;
      }
      done();

      /* Derived checks of the stated decisions, on every valid signature. */
      if (t.result !== 'valid' || signature.length !== 64) continue;
      let variant: Uint8Array;
      if (kind === 'Ed25519') {
        /* S + L in little-endian: a second encoding of the same scalar, which strict RFC 8032 rejects. */
        const sLe = signature.slice(32).reverse();
        const sPlusL = bytesToBigInt(sLe) + ED25519_L;
        variant = concat(signature.subarray(0, 32), bigIntToBytes(sPlusL, 32).reverse());
      } else {
        const s = bytesToBigInt(signature.subarray(32));
        if (s > P256_N / 2n) highSValid++;
        variant = concat(signature.subarray(0, 32), bigIntToBytes(P256_N - s, 32));
      }
      derived++;
      const what = `tcId ${t.tcId} derived ${derivedFlag} ${short(variant)}`;
      if ('error' in derivedDecision) {
        tally.failDerived(what, derivedDecision.error);
        continue;
      }
      const want = derivedDecision.outcome === 'accept';
      const check = await attempt(() => backend.verify(imported.value as never, message, variant));
      if (!check.ok) tally.failDerived(what, `verify threw ${describeError(check.error)}`);
      else if (check.value !== want) tally.failDerived(what, `verify returned ${String(check.value)}, decision is ${derivedDecision.outcome}`);
      else derivedOk++;
    }
  }
  if (kind === 'Ed25519') tally.extras.push(`derived S+L ${derivedOk}/${derived} rejected`);
  else tally.extras.push(`valid with high S ${highSValid}`, `derived (r, n−s) ${derivedOk}/${derived} accepted`);
  if (kind === 'ECDSA-P256-DER') tally.extras.push(`invalid rejected by strict DER parser ${rejectedByDer}`);
  return tally;
}

/* ------------------------------------------------------------------------------------------ */
/* Key agreement                                                                              */
/* ------------------------------------------------------------------------------------------ */

async function runAgreementFile(
  backend: CryptoBackend,
  file: string,
  data: VectorFile<XdhTest | EcdhTest>,
  algorithm: 'X25519' | 'ECDH-P256',
): Promise<Tally> {
  const tally = new Tally();
  /* X25519 has no invalid cases; the stated rejections are all ERR_KEY_AGREEMENT_FAILED. */
  const rejectCodes: readonly WardErrorCode[] = algorithm === 'X25519' ? ['ERR_KEY_AGREEMENT_FAILED'] : [];
  for (const group of data.testGroups) {
    for (const t of group.tests) {
      tally.run++;
      let expectAccept: boolean;
      if (t.result === 'acceptable') {
        const d = decide(file, t.flags);
        if ('error' in d) {
          tally.fail(t, d.error);
          continue;
        }
        expectAccept = d.outcome === 'accept';
      } else {
        expectAccept = t.result === 'valid';
      }
      const expected = hex(t.shared);
      if (t.result === 'acceptable' && expectAccept && expected.length > 0 && expected.every((b) => b === 0)) {
        /* Only the decision table is checked here; `valid` cases always go to the backend. */
        tally.fail(t, 'decision table accepts a case whose shared secret is all zeros (the contract rejects it)');
        continue;
      }
      const codes = expectAccept ? [] : t.result === 'invalid' ? [] : rejectCodes;
      const done = (): void => {
        if (t.result === 'valid') tally.validPassed++;
        else if (t.result === 'invalid') tally.invalidRejected++;
        else tally.acceptableDecided++;
      };

      const privateRaw = algorithm === 'X25519' ? hex(t.private) : scalar32(t.private);
      if (!privateRaw) {
        tally.fail(t, `kit cannot express private scalar ${t.private} in 32 bytes`);
        continue;
      }
      const publicRaw = hex(t.public);
      const steps: [string, () => MaybePromise<unknown>][] = [];
      let priv: KeyHandle | undefined;
      let pub: KeyHandle | undefined;
      steps.push(['importKey(private)', async () => (priv = await backend.importKey(algorithm, 'private', privateRaw))]);
      steps.push([`importKey(public ${short(publicRaw)})`, async () => (pub = await backend.importKey(algorithm, 'public', publicRaw))]);
      steps.push(['deriveSharedSecret', () => backend.deriveSharedSecret(priv as never, pub as never)]);

      let shared: Uint8Array | undefined;
      let rejected: { step: string; error: unknown } | undefined;
      for (const [step, fn] of steps) {
        const r = await attempt(fn);
        if (!r.ok) {
          rejected = { step, error: r.error };
          break;
        }
        if (step === 'deriveSharedSecret') shared = r.value as Uint8Array;
      }

      if (rejected) {
        /* A private key that fails to import is a setup failure in every case: the vectors' private keys are all valid. */
        if (expectAccept || rejected.step === 'importKey(private)') {
          tally.fail(t, `${rejected.step} threw ${describeError(rejected.error)}, expected shared ${short(expected)}`);
          continue;
        }
        const problem = rejectionProblem(rejected.error, codes);
        if (problem) tally.fail(t, `${rejected.step} ${problem}`);
        else done();
        continue;
      }
      if (!expectAccept) {
        tally.fail(t, `accepted; deriveSharedSecret returned ${short(shared!)} (expected rejection${codes.length ? ` with ${codes.join(' or ')}` : ''})`);
        continue;
      }
      if (!(shared instanceof Uint8Array) || !equal(shared, expected)) {
        tally.fail(t, `shared secret ${shared instanceof Uint8Array ? short(shared) : String(shared)}, expected ${short(expected)}`);
        continue;
      }
      done();
    }
  }
  return tally;
}

/* ------------------------------------------------------------------------------------------ */
/* AEAD                                                                                       */
/* ------------------------------------------------------------------------------------------ */

const NONCE_LENGTH = 12;
const TAG_BITS = 128;

function aeadOutOfProfile(group: Group<AeadTest>, t: AeadTest): boolean {
  return t.iv.length / 2 !== NONCE_LENGTH || group.tagSize !== TAG_BITS || t.tag.length / 2 !== TAG_BITS / 8;
}

async function runAeadFile(backend: CryptoBackend, data: VectorFile<AeadTest>, algorithm: AeadAlgorithm): Promise<Tally> {
  const tally = new Tally();
  let outOfProfileNonce = 0;
  let outOfProfileTag = 0;
  for (const group of data.testGroups) {
    for (const t of group.tests) {
      tally.run++;
      if (t.result === 'acceptable') {
        tally.fail(t, 'no decision for acceptable AEAD cases');
        continue;
      }
      const keyRaw = hex(t.key);
      const key = await attempt(() => backend.importKey(algorithm, 'secret', keyRaw));
      if (!key.ok) {
        tally.fail(t, `importKey(${keyRaw.length}-byte key) threw ${describeError(key.error)}`);
        continue;
      }
      const nonce = hex(t.iv);
      const aad = hex(t.aad);
      const msg = hex(t.msg);
      const sealed = concat(hex(t.ct), hex(t.tag));
      const aeadKey = key.value as never;

      if (aeadOutOfProfile(group, t)) {
        if (nonce.length !== NONCE_LENGTH) {
          /* Outside Ward's profile: both directions must refuse the nonce, whatever the vector's result. */
          const dec = await attempt(() => backend.aeadDecrypt(aeadKey, { nonce, ciphertext: sealed, aad }));
          const enc = await attempt(() => backend.aeadEncrypt(aeadKey, { nonce, plaintext: msg, aad }));
          const problems: string[] = [];
          if (dec.ok) problems.push(`aeadDecrypt accepted a ${nonce.length}-byte nonce`);
          else {
            const p = rejectionProblem(dec.error, ['ERR_INVALID_ARGUMENT']);
            if (p) problems.push(`aeadDecrypt with a ${nonce.length}-byte nonce ${p}`);
          }
          if (enc.ok) problems.push(`aeadEncrypt accepted a ${nonce.length}-byte nonce`);
          else {
            const p = rejectionProblem(enc.error, ['ERR_INVALID_ARGUMENT']);
            if (p) problems.push(`aeadEncrypt with a ${nonce.length}-byte nonce ${p}`);
          }
          if (problems.length > 0) tally.fail(t, `out of profile: ${problems.join('; ')}`);
          else {
            tally.outOfProfileRejected++;
            outOfProfileNonce++;
          }
        } else {
          /* A 12-byte nonce but a tag other than 128 bits: the backend reads the last 16 bytes as the tag; it must not authenticate. */
          const dec = await attempt(() => backend.aeadDecrypt(aeadKey, { nonce, ciphertext: sealed, aad }));
          if (dec.ok) tally.fail(t, `out of profile (${t.tag.length * 4}-bit tag): aeadDecrypt accepted it`);
          else {
            const p = rejectionProblem(dec.error, ['ERR_DECRYPTION_FAILED', 'ERR_INVALID_ARGUMENT']);
            if (p) tally.fail(t, `out of profile (${t.tag.length * 4}-bit tag): aeadDecrypt ${p}`);
            else {
              tally.outOfProfileRejected++;
              outOfProfileTag++;
            }
          }
        }
        continue;
      }

      const dec = await attempt(() => backend.aeadDecrypt(aeadKey, { nonce, ciphertext: sealed, aad }));
      if (t.result === 'invalid') {
        if (dec.ok) tally.fail(t, `aeadDecrypt accepted it, returned ${short(dec.value)}`);
        else {
          const p = rejectionProblem(dec.error, ['ERR_DECRYPTION_FAILED']);
          if (p) tally.fail(t, `aeadDecrypt ${p}`);
          else tally.invalidRejected++;
        }
        continue;
      }
      const problems: string[] = [];
      if (!dec.ok) problems.push(`aeadDecrypt threw ${describeError(dec.error)}`);
      else if (!equal(dec.value, msg)) problems.push(`aeadDecrypt returned ${short(dec.value)}, expected ${short(msg)}`);
      const enc = await attempt(() => backend.aeadEncrypt(aeadKey, { nonce, plaintext: msg, aad }));
      if (!enc.ok) problems.push(`aeadEncrypt threw ${describeError(enc.error)}`);
      else if (!equal(enc.value, sealed)) problems.push(`aeadEncrypt returned ${short(enc.value)}, expected ct‖tag ${short(sealed)}`);
      if (aad.length === 0) {
        /* An absent aad must mean the empty string. */
        const enc2 = await attempt(() => backend.aeadEncrypt(aeadKey, { nonce, plaintext: msg }));
        if (!enc2.ok) problems.push(`aeadEncrypt without aad threw ${describeError(enc2.error)}`);
        else if (!equal(enc2.value, sealed)) problems.push(`aeadEncrypt without aad returned ${short(enc2.value)}, expected ${short(sealed)}`);
      }
      if (problems.length > 0) tally.fail(t, problems.join('; '));
      else tally.validPassed++;
    }
  }
  tally.extras.push(`out-of-profile: ${outOfProfileNonce} by nonce length (ERR_INVALID_ARGUMENT both ways), ${outOfProfileTag} by tag length`);
  return tally;
}

/* ------------------------------------------------------------------------------------------ */
/* HKDF                                                                                       */
/* ------------------------------------------------------------------------------------------ */

async function runHkdfFile(backend: CryptoBackend, data: VectorFile<HkdfTest>): Promise<Tally> {
  const tally = new Tally();
  let emptySaltChecked = 0;
  for (const group of data.testGroups) {
    for (const t of group.tests) {
      tally.run++;
      const ikm = hex(t.ikm);
      const salt = hex(t.salt);
      const info = hex(t.info);
      const out = await attempt(() => backend.hkdfSha256({ ikm, salt, info, length: t.size }));
      if (t.result !== 'valid') {
        if (t.result === 'acceptable') tally.fail(t, 'no decision for acceptable HKDF cases');
        else if (out.ok) tally.fail(t, `hkdfSha256 returned ${out.value.length} bytes for length ${t.size} (max 8160)`);
        else {
          const p = rejectionProblem(out.error, ['ERR_INVALID_ARGUMENT']);
          if (p) tally.fail(t, `hkdfSha256(length ${t.size}) ${p}`);
          else tally.invalidRejected++;
        }
        continue;
      }
      const okm = hex(t.okm);
      if (!out.ok) {
        tally.fail(t, `hkdfSha256(length ${t.size}) threw ${describeError(out.error)}`);
        continue;
      }
      if (!equal(out.value, okm)) {
        tally.fail(t, `okm ${short(out.value)}, expected ${short(okm)}`);
        continue;
      }
      if (salt.length === 0) {
        /* RFC 5869 §2.2: an absent salt is HashLen zero bytes, which HMAC treats like an empty key. */
        emptySaltChecked++;
        const noSalt = await attempt(() => backend.hkdfSha256({ ikm, info, length: t.size }));
        if (!noSalt.ok) {
          tally.fail(t, `hkdfSha256 without salt threw ${describeError(noSalt.error)}`);
          continue;
        }
        if (!equal(noSalt.value, okm)) {
          tally.fail(t, `hkdfSha256 without salt gave ${short(noSalt.value)}, expected ${short(okm)}`);
          continue;
        }
      }
      tally.validPassed++;
    }
  }
  tally.extras.push(`empty-salt cases also run with salt omitted ${emptySaltChecked}`);
  return tally;
}

/* ------------------------------------------------------------------------------------------ */
/* RFC 3394 AES key wrap                                                                      */
/* ------------------------------------------------------------------------------------------ */

const KEK_BYTES = hex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
const KEY_DATA_BYTES = hex('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F');

/** RFC 3394 §4.1–4.6: KEK = 00 01 02 …, key data = 00112233…EEFF 0001…, typed in from the RFC. */
export const RFC3394_VECTORS: readonly { readonly section: string; readonly kek: Uint8Array; readonly keyData: Uint8Array; readonly wrapped: Uint8Array }[] = [
  { section: '4.1', kek: KEK_BYTES.slice(0, 16), keyData: KEY_DATA_BYTES.slice(0, 16), wrapped: hex('1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5') },
  { section: '4.2', kek: KEK_BYTES.slice(0, 24), keyData: KEY_DATA_BYTES.slice(0, 16), wrapped: hex('96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D') },
  { section: '4.3', kek: KEK_BYTES.slice(0, 32), keyData: KEY_DATA_BYTES.slice(0, 16), wrapped: hex('64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7') },
  { section: '4.4', kek: KEK_BYTES.slice(0, 24), keyData: KEY_DATA_BYTES.slice(0, 24), wrapped: hex('031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2') },
  { section: '4.5', kek: KEK_BYTES.slice(0, 32), keyData: KEY_DATA_BYTES.slice(0, 24), wrapped: hex('A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1') },
  { section: '4.6', kek: KEK_BYTES.slice(0, 32), keyData: KEY_DATA_BYTES.slice(0, 32), wrapped: hex('28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21') },
];

/** The tampered forms of one wrapped key: every byte with a bit flipped, truncations, an extension, and the wrong KEK. */
function tamperings(v: (typeof RFC3394_VECTORS)[number]): { what: string; kek: Uint8Array; wrapped: Uint8Array }[] {
  const out: { what: string; kek: Uint8Array; wrapped: Uint8Array }[] = [];
  for (let i = 0; i < v.wrapped.length; i++) {
    const w = v.wrapped.slice();
    w[i]! ^= 1 << (i % 8);
    out.push({ what: `bit ${i % 8} of byte ${i} flipped`, kek: v.kek, wrapped: w });
  }
  out.push({ what: 'last 8 bytes dropped', kek: v.kek, wrapped: v.wrapped.slice(0, -8) });
  out.push({ what: 'last byte dropped', kek: v.kek, wrapped: v.wrapped.slice(0, -1) });
  out.push({ what: 'first 8 bytes (the integrity block) dropped', kek: v.kek, wrapped: v.wrapped.slice(8) });
  out.push({ what: '8 zero bytes appended', kek: v.kek, wrapped: concat(v.wrapped, new Uint8Array(8)) });
  out.push({ what: 'blocks 1 and 2 swapped', kek: v.kek, wrapped: concat(concat(v.wrapped.slice(0, 8), v.wrapped.slice(16, 24)), concat(v.wrapped.slice(8, 16), v.wrapped.slice(24))) });
  const wrongKek = v.kek.slice();
  wrongKek[0]! ^= 0x80;
  out.push({ what: 'wrong KEK (bit 7 of byte 0 flipped)', kek: wrongKek, wrapped: v.wrapped });
  return out;
}

const RFC3394_TAMPERED = RFC3394_VECTORS.reduce((n, v) => n + tamperings(v).length, 0);

async function runKeyWrap(backend: CryptoBackend): Promise<Tally> {
  const tally = new Tally();
  let tampered = 0;
  for (const v of RFC3394_VECTORS) {
    tally.run++;
    const label = `RFC 3394 §${v.section} (${v.kek.length * 8}-bit KEK, ${v.keyData.length * 8}-bit key data)`;
    const kek = await attempt(() => backend.importKey('AES-KW', 'secret', v.kek));
    if (!kek.ok) {
      tally.failDerived(label, `importKey(AES-KW) threw ${describeError(kek.error)}`);
      continue;
    }
    const problems: string[] = [];
    const wrapped = await attempt(() => backend.wrapKey(kek.value as never, v.keyData));
    if (!wrapped.ok) problems.push(`wrapKey threw ${describeError(wrapped.error)}`);
    else if (!equal(wrapped.value, v.wrapped)) problems.push(`wrapKey gave ${toHex(wrapped.value)}, expected ${toHex(v.wrapped)}`);
    const unwrapped = await attempt(() => backend.unwrapKey(kek.value as never, v.wrapped));
    if (!unwrapped.ok) problems.push(`unwrapKey threw ${describeError(unwrapped.error)}`);
    else if (!equal(unwrapped.value, v.keyData)) problems.push(`unwrapKey gave ${toHex(unwrapped.value)}, expected ${toHex(v.keyData)}`);
    if (problems.length > 0) tally.failDerived(label, problems.join('; '));
    else tally.validPassed++;

    for (const bad of tamperings(v)) {
      tampered++;
      const what = `${label} tampered: ${bad.what}`;
      const badKek = bad.kek === v.kek ? kek : await attempt(() => backend.importKey('AES-KW', 'secret', bad.kek));
      if (!badKek.ok) {
        tally.failDerived(what, `importKey(AES-KW) threw ${describeError(badKek.error)}`);
        continue;
      }
      const r = await attempt(() => backend.unwrapKey(badKek.value as never, bad.wrapped));
      if (r.ok) tally.failDerived(what, `unwrapKey accepted it, returned ${short(r.value)}`);
      else {
        const p = rejectionProblem(r.error, ['ERR_DECRYPTION_FAILED']);
        if (p) tally.failDerived(what, `unwrapKey ${p}`);
        else tally.invalidRejected++;
      }
    }
  }
  tally.run += tampered;
  return tally;
}

/* ------------------------------------------------------------------------------------------ */
/* The suite                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** Options for {@link runWycheproofSuite}. */
export interface WycheproofSuiteOptions {
  /** Directory holding `wycheproof/` (default: env `WARD_VECTORS_DIR`, else the repository's `vectors/`). */
  readonly vectorsDir?: URL;
}

/**
 * Registers one vitest `describe` with one test per vector file (plus RFC 3394), each named
 * with its case counts, run against a fresh backend from `factory`. Every case goes through
 * the `CryptoBackend` API only; every disagreement is listed on failure.
 *
 * @param label - the backend's name in test titles (the log lines use `backend.name`)
 * @param factory - creates the backend under test (may be async)
 */
export function runWycheproofSuite(label: string, factory: BackendFactory, options: WycheproofSuiteOptions = {}): void {
  const dir = options.vectorsDir ?? vectorsDir();
  const ed25519 = loadWycheproof<SigTest>('ed25519_test.json', dir);
  const p1363 = loadWycheproof<SigTest>('ecdsa_secp256r1_sha256_p1363_test.json', dir);
  const der = loadWycheproof<SigTest>('ecdsa_secp256r1_sha256_test.json', dir);
  const x25519 = loadWycheproof<XdhTest>('x25519_test.json', dir);
  const ecdh = loadWycheproof<EcdhTest>('ecdh_secp256r1_ecpoint_test.json', dir);
  const gcm = loadWycheproof<AeadTest>('aes_gcm_test.json', dir);
  const chacha = loadWycheproof<AeadTest>('chacha20_poly1305_test.json', dir);
  const hkdf = loadWycheproof<HkdfTest>('hkdf_sha256_test.json', dir);

  const decidedCounts = (file: string, data: VectorFile<TestBase>): string => {
    let accept = 0;
    let reject = 0;
    let undecided = 0;
    for (const g of data.testGroups) {
      for (const t of g.tests) {
        if (t.result !== 'acceptable') continue;
        const d = decide(file, t.flags);
        if ('error' in d) undecided++;
        else if (d.outcome === 'accept') accept++;
        else reject++;
      }
    }
    return ` (decided: ${accept} accepted, ${reject} rejected${undecided ? `, ${undecided} UNDECIDED` : ''})`;
  };

  const gcmCounts = count(gcm, aeadOutOfProfile);
  const chachaCounts = count(chacha, aeadOutOfProfile);
  const oop = (c: Counts): string => `; ${c.outOfProfile} out of profile (nonce ≠ 96 bits or tag ≠ 128 bits) must be refused`;

  const run = (title: string, source: string, body: (backend: CryptoBackend) => Promise<Tally>, prefix = 'wycheproof'): void => {
    it(title, async () => {
      const backend = await factory();
      const tally = await body(backend);
      tally.report(backend, prefix, source);
      assertNoFailures(source, tally);
    });
  };

  describe(`Wycheproof + RFC 3394 on the ${label} backend`, () => {
    run(`Ed25519 verify (strict RFC 8032) — ${caseCounts(count(ed25519))}`, 'ed25519_test.json',
      (b) => runSignatureFile(b, 'ed25519_test.json', ed25519, 'Ed25519'));
    run(`ECDSA P-256 SHA-256 verify, r‖s — ${caseCounts(count(p1363))}`, 'ecdsa_secp256r1_sha256_p1363_test.json',
      (b) => runSignatureFile(b, 'ecdsa_secp256r1_sha256_p1363_test.json', p1363, 'ECDSA-P256-P1363'));
    run(`ECDSA P-256 SHA-256 verify, strict DER → r‖s — ${caseCounts(count(der))}`, 'ecdsa_secp256r1_sha256_test.json',
      (b) => runSignatureFile(b, 'ecdsa_secp256r1_sha256_test.json', der, 'ECDSA-P256-DER'));
    run(`X25519 — ${caseCounts(count(x25519))}${decidedCounts('x25519_test.json', x25519)}`, 'x25519_test.json',
      (b) => runAgreementFile(b, 'x25519_test.json', x25519, 'X25519'));
    run(`ECDH P-256, SEC1 points — ${caseCounts(count(ecdh))}${decidedCounts('ecdh_secp256r1_ecpoint_test.json', ecdh)}`,
      'ecdh_secp256r1_ecpoint_test.json', (b) => runAgreementFile(b, 'ecdh_secp256r1_ecpoint_test.json', ecdh, 'ECDH-P256'));
    run(`AES-GCM — ${caseCounts(gcmCounts)}${oop(gcmCounts)}`, 'aes_gcm_test.json', (b) => runAeadFile(b, gcm, 'AES-GCM'));
    run(`ChaCha20-Poly1305 — ${caseCounts(chachaCounts)}${oop(chachaCounts)}`, 'chacha20_poly1305_test.json',
      (b) => runAeadFile(b, chacha, 'ChaCha20-Poly1305'));
    run(`HKDF-SHA-256 — ${caseCounts(count(hkdf))}`, 'hkdf_sha256_test.json', (b) => runHkdfFile(b, hkdf));
    run(`AES key wrap, RFC 3394 §4.1–4.6 — ${RFC3394_VECTORS.length} vectors wrapped and unwrapped, ${RFC3394_TAMPERED} tampered unwraps must fail with ERR_DECRYPTION_FAILED`,
      '§4.1–4.6', runKeyWrap, 'rfc3394');
  });
}
