/*
 * Test-only helpers for the COSE tests (never shipped): locating and reading the public vector
 * sets, decoding the JWK-like keys of the cose-wg and GlueCOSE formats into backend handles, a
 * backend wrapper that records what the COSE layer hands to each primitive (so a test can
 * compare Ward's Sig_structure, Enc_structure, KDF context and CEK with a vector's
 * intermediates), and small assertions around WardError.
 *
 * The vectors are the repository's `vectors/` folder, or the copy named by `WARD_VECTORS_DIR`
 * (the directory that contains `cose-wg-examples/`); see `vectors-dir.ts`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import fc from 'fast-check';
import { createNodeBackend } from '@ward/node';
import type {
  AeadDecryptInput, AeadEncryptInput, AeadKey, AgreementPrivateKey, AgreementPublicKey, AsymmetricAlgorithm, CryptoBackend, HkdfInput,
  KeyAlgorithm, KeyHandle, KeyKind, KeyOptions, MacKey, SigningKey, VerifyingKey, WrappingKey,
} from '../src/backend/crypto-backend.js';
import { isPromise } from '../src/backend/crypto-backend.js';
import { CborTag, decodeCbor, encodeCbor } from '../src/cbor/index.js';
import type { CborValue } from '../src/cbor/index.js';
import { createNobleBackend } from '../src/backend/noble-backend.js';
import { DecodeError, DecryptionError, KeyError, WardError } from '../src/errors.js';
import type { WardErrorCode } from '../src/errors.js';
import { vectorUrl } from './vectors-dir.js';

/* ------------------------------------------------------------------------------------------ */
/* Files                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Reads and parses one JSON vector file (path relative to the vectors directory). */
export function readVectorJson<T>(relative: string): T {
  return JSON.parse(readFileSync(vectorUrl(relative), 'utf8')) as T;
}

/** Sorted names of the sub-directories of a vectors folder. */
export function vectorSubdirs(relative: string): string[] {
  const dir = vectorUrl(relative.endsWith('/') ? relative : `${relative}/`);
  return readdirSync(dir).filter((name) => statSync(new URL(name, dir)).isDirectory()).sort();
}

/** Sorted names of the `.json` files of a vectors folder. */
export function vectorJsonFiles(relative: string): string[] {
  const dir = vectorUrl(relative.endsWith('/') ? relative : `${relative}/`);
  return readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
}

/* ------------------------------------------------------------------------------------------ */
/* Bytes                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Hex (either case, no separators) to bytes. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not hex: ${hex.slice(0, 32)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Bytes to lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** base64url (no padding) to bytes. */
export function fromBase64Url(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A copy of `bytes` with bit `bit` (0 = most significant bit of byte 0) flipped. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  const index = bit >> 3;
  copy[index] = (copy[index] ?? 0) ^ (0x80 >> (bit & 7));
  return copy;
}

/* ------------------------------------------------------------------------------------------ */
/* JWK-like keys (cose-wg examples, GlueCOSE)                                                  */
/* ------------------------------------------------------------------------------------------ */

/** The JWK-like key objects of the cose-wg and GlueCOSE formats (base64url, or `*_hex`). */
export interface VectorJwk {
  readonly kty: string;
  readonly crv?: string;
  readonly kid?: string;
  readonly use?: string;
  readonly x?: string;
  readonly y?: string;
  readonly d?: string;
  readonly k?: string;
  readonly x_hex?: string;
  readonly y_hex?: string;
  readonly d_hex?: string;
  readonly k_hex?: string;
}

/** One field of a JWK as bytes: `field` in base64url, else `field_hex`; undefined when absent. */
export function jwkField(jwk: VectorJwk, field: 'x' | 'y' | 'd' | 'k'): Uint8Array | undefined {
  const b64 = jwk[field];
  if (b64 !== undefined) return fromBase64Url(b64);
  const hex = jwk[`${field}_hex`];
  return hex === undefined ? undefined : fromHex(hex);
}

function requireField(jwk: VectorJwk, field: 'x' | 'y' | 'd' | 'k'): Uint8Array {
  const value = jwkField(jwk, field);
  if (value === undefined) throw new Error(`JWK (${jwk.kty}/${jwk.crv ?? '-'}) has no ${field}`);
  return value;
}

async function settle<T>(value: T | Promise<T>): Promise<T> {
  return isPromise(value) ? await value : value;
}

/** The JWK's public key as a Ward verifying key (EC P-256 → ECDSA-P256, OKP Ed25519 → Ed25519). */
export async function importVerifyingKey(backend: CryptoBackend, jwk: VectorJwk): Promise<VerifyingKey> {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const point = new Uint8Array(65);
    point[0] = 0x04;
    point.set(requireField(jwk, 'x'), 1);
    point.set(requireField(jwk, 'y'), 33);
    return settle(backend.importKey('ECDSA-P256', 'public', point));
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return settle(backend.importKey('Ed25519', 'public', requireField(jwk, 'x')));
  throw new Error(`no Ward verifying key for ${jwk.kty}/${jwk.crv ?? '-'}`);
}

/** The JWK's private key as a Ward signing key. */
export async function importSigningKey(backend: CryptoBackend, jwk: VectorJwk): Promise<SigningKey> {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return settle(backend.importKey('ECDSA-P256', 'private', requireField(jwk, 'd')));
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return settle(backend.importKey('Ed25519', 'private', requireField(jwk, 'd')));
  throw new Error(`no Ward signing key for ${jwk.kty}/${jwk.crv ?? '-'}`);
}

/** The JWK's private key as a Ward ECDH key (EC P-256 → ECDH-P256, OKP X25519 → X25519). */
export async function importAgreementPrivateKey(backend: CryptoBackend, jwk: VectorJwk): Promise<AgreementPrivateKey> {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return settle(backend.importKey('ECDH-P256', 'private', requireField(jwk, 'd')));
  if (jwk.kty === 'OKP' && jwk.crv === 'X25519') return settle(backend.importKey('X25519', 'private', requireField(jwk, 'd')));
  throw new Error(`no Ward agreement key for ${jwk.kty}/${jwk.crv ?? '-'}`);
}

/** The symmetric key of an `oct` JWK as raw bytes. */
export function octKey(jwk: VectorJwk): Uint8Array {
  if (jwk.kty !== 'oct') throw new Error(`not a symmetric JWK: ${jwk.kty}`);
  return requireField(jwk, 'k');
}

/* ------------------------------------------------------------------------------------------ */
/* Backends                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** The backends every COSE test runs on. */
export const BACKENDS: readonly { readonly name: 'noble' | 'node'; readonly create: () => CryptoBackend }[] = [
  { name: 'noble', create: () => createNobleBackend() },
  { name: 'node', create: () => createNodeBackend() },
];

/** What the COSE layer passed to the backend, in call order. */
export interface BackendLog {
  readonly signed: Uint8Array[];
  readonly verified: Uint8Array[];
  readonly macInputs: Uint8Array[];
  readonly aeadAad: Uint8Array[];
  readonly aeadNonces: Uint8Array[];
  readonly hkdfInfo: Uint8Array[];
  readonly hkdfSalt: (Uint8Array | undefined)[];
  readonly agreements: { readonly privateAlgorithm: string; readonly publicAlgorithm: string }[];
  readonly unwraps: number[];
}

const copy = (bytes: Uint8Array | undefined): Uint8Array => (bytes === undefined ? new Uint8Array(0) : bytes.slice());

/**
 * A backend that forwards every call to `inner` and records the inputs the COSE layer builds:
 * to-be-signed bytes, MAC inputs, AEAD additional data and nonces, HKDF info, ECDH calls.
 * Key handles stay those of `inner`.
 */
export function recordingBackend(inner: CryptoBackend): { backend: CryptoBackend; log: BackendLog } {
  const log: BackendLog = {
    signed: [], verified: [], macInputs: [], aeadAad: [], aeadNonces: [], hkdfInfo: [], hkdfSalt: [], agreements: [], unwraps: [],
  };
  const backend: CryptoBackend = {
    version: inner.version,
    name: inner.name,
    synchronous: inner.synchronous,
    randomBytes: (length: number) => inner.randomBytes(length),
    sha256: (data: Uint8Array) => inner.sha256(data),
    generateKey: <A extends KeyAlgorithm>(algorithm: A, options?: KeyOptions) => inner.generateKey(algorithm, options),
    importKey: <A extends KeyAlgorithm, K extends KeyKind>(algorithm: A, kind: K, raw: Uint8Array, options?: KeyOptions) =>
      inner.importKey(algorithm, kind, raw, options),
    exportKey: (key: KeyHandle) => inner.exportKey(key),
    publicKey: <A extends AsymmetricAlgorithm>(key: KeyHandle<A, 'private'>) => inner.publicKey(key),
    sign: (key: SigningKey, data: Uint8Array) => {
      log.signed.push(copy(data));
      return inner.sign(key, data);
    },
    verify: (key: VerifyingKey, data: Uint8Array, signature: Uint8Array) => {
      log.verified.push(copy(data));
      return inner.verify(key, data, signature);
    },
    deriveSharedSecret: (privateKey: AgreementPrivateKey, publicKey: AgreementPublicKey) => {
      log.agreements.push({ privateAlgorithm: privateKey.algorithm, publicAlgorithm: publicKey.algorithm });
      return inner.deriveSharedSecret(privateKey, publicKey);
    },
    hkdfSha256: (input: HkdfInput) => {
      log.hkdfInfo.push(copy(input.info));
      log.hkdfSalt.push(input.salt?.slice());
      return inner.hkdfSha256(input);
    },
    hmacSha256: (key: MacKey, data: Uint8Array) => {
      log.macInputs.push(copy(data));
      return inner.hmacSha256(key, data);
    },
    hmacSha256Verify: (key: MacKey, data: Uint8Array, tag: Uint8Array) => {
      log.macInputs.push(copy(data));
      return inner.hmacSha256Verify(key, data, tag);
    },
    aeadEncrypt: (key: AeadKey, input: AeadEncryptInput) => {
      log.aeadAad.push(copy(input.aad));
      log.aeadNonces.push(copy(input.nonce));
      return inner.aeadEncrypt(key, input);
    },
    aeadDecrypt: (key: AeadKey, input: AeadDecryptInput) => {
      log.aeadAad.push(copy(input.aad));
      log.aeadNonces.push(copy(input.nonce));
      return inner.aeadDecrypt(key, input);
    },
    wrapKey: (kek: WrappingKey, keyData: Uint8Array) => inner.wrapKey(kek, keyData),
    unwrapKey: (kek: WrappingKey, wrapped: Uint8Array) => {
      log.unwraps.push(kek.size);
      return inner.unwrapKey(kek, wrapped);
    },
  };
  return { backend, log };
}

/* ------------------------------------------------------------------------------------------ */
/* Outcomes                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** How a call ended: a value, a WardError (by code), or anything else thrown (a crash). */
export type Outcome<T> =
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'ward'; readonly code: WardErrorCode; readonly error: WardError }
  | { readonly kind: 'crash'; readonly error: unknown };

/** Runs `action` and classifies how it ended. */
export async function outcomeOf<T>(action: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { kind: 'value', value: await action() };
  } catch (error) {
    if (WardError.isInstance(error)) return { kind: 'ward', code: error.code, error };
    return { kind: 'crash', error };
  }
}

/** A short text of an outcome for assertion messages (with the WardError's cause, if any). */
export function describeOutcome(outcome: Outcome<unknown>): string {
  switch (outcome.kind) {
    case 'value': return 'returned a value';
    case 'ward': {
      const { cause } = outcome.error;
      const because = cause === undefined ? '' : ` (cause: ${WardError.isInstance(cause) ? `${cause.name} ${cause.code}: ${cause.message}` : String(cause)})`;
      return `${outcome.error.name} ${outcome.code}: ${outcome.error.message}${because}`;
    }
    default: return `non-Ward throw: ${String(outcome.error)}`;
  }
}

/**
 * Awaits `action` and asserts it threw a WardError (with `code` when given). Returns the
 * code. Fails with a description of what happened otherwise.
 */
export async function expectWardError(action: () => Promise<unknown> | unknown, code?: WardErrorCode): Promise<WardErrorCode> {
  const outcome = await outcomeOf(action);
  if (outcome.kind !== 'ward') throw new Error(`expected a WardError${code ? ` ${code}` : ''}, but the call ${describeOutcome(outcome)}`);
  if (code !== undefined && outcome.code !== code) {
    throw new Error(`expected ${code}, got ${describeOutcome(outcome)}`);
  }
  return outcome.code;
}

/** The cause message decryptEncrypt gives when no recipient structure yields a content key. */
const NO_RECIPIENT = /^no recipient structure yielded a content key \((.*)\)$/;

/**
 * Asserts that an outcome is decryptEncrypt's "no recipient for this key": a DecryptionError
 * `ERR_DECRYPTION_FAILED` whose `cause` is a KeyError `ERR_KEY_NOT_FOUND` with the message
 * "no recipient structure yielded a content key (<reasons>)". Returns the reasons, one per
 * recipient structure in message order ("another kid", "another curve", "unsupported alg -6",
 * "alg -3 for a 16-byte KEK", "unwrap failed", ...), for the caller to compare exactly.
 */
export function noRecipientReasons(outcome: Outcome<unknown>): string[] {
  if (outcome.kind !== 'ward' || outcome.code !== 'ERR_DECRYPTION_FAILED' || !DecryptionError.isInstance(outcome.error)) {
    throw new Error(`expected DecryptionError ERR_DECRYPTION_FAILED (no recipient), got ${describeOutcome(outcome)}`);
  }
  const { cause } = outcome.error;
  if (!KeyError.isInstance(cause) || cause.code !== 'ERR_KEY_NOT_FOUND') {
    throw new Error(`expected a KeyError ERR_KEY_NOT_FOUND cause (no recipient), got ${describeOutcome(outcome)}`);
  }
  const match = NO_RECIPIENT.exec(cause.message);
  if (match === null) throw new Error(`unexpected no-recipient cause message: ${cause.message}`);
  return match[1] === '' ? [] : match[1]!.split('; ');
}

/** Awaits `action` and asserts {@link noRecipientReasons} of its outcome; returns the reasons. */
export async function expectNoRecipient(action: () => Promise<unknown> | unknown): Promise<string[]> {
  return noRecipientReasons(await outcomeOf(action));
}

/**
 * Awaits `action` and asserts it threw DecodeError `ERR_CBOR_UNSUPPORTED` for a float with an
 * integral value (the COSE decoders' `rejectIntegralFloats`); returns the error message.
 */
export async function expectIntegralFloatRejected(action: () => Promise<unknown> | unknown): Promise<string> {
  const outcome = await outcomeOf(action);
  if (outcome.kind !== 'ward' || outcome.code !== 'ERR_CBOR_UNSUPPORTED' || !DecodeError.isInstance(outcome.error)) {
    throw new Error(`expected DecodeError ERR_CBOR_UNSUPPORTED, got ${describeOutcome(outcome)}`);
  }
  if (!outcome.error.message.startsWith('float with an integral value')) {
    throw new Error(`expected the integral float refusal, got ${describeOutcome(outcome)}`);
  }
  return outcome.error.message;
}

/* ------------------------------------------------------------------------------------------ */
/* Hand-built messages (for preconditions Ward's own encoders never produce)                   */
/* ------------------------------------------------------------------------------------------ */

/** Common inputs of the crafting helpers. */
export interface CraftOptions {
  /** Protected parameters, CBOR-encoded into the protected bstr (empty map → zero-length bstr). */
  readonly protectedHeader?: Map<CborValue, CborValue>;
  /** Exact protected bstr content; overrides `protectedHeader`. */
  readonly protectedBytes?: Uint8Array;
  /** The unprotected bucket as sent (any CBOR value, to test bad ones). Default: empty map. */
  readonly unprotectedHeader?: CborValue;
  /** External AAD bound by the MAC/signature/AEAD. Default empty. */
  readonly externalAad?: Uint8Array;
  /** The CBOR tag; `null` for the untagged form. Default: the structure's tag. */
  readonly tag?: number | null;
  /** Last-step rewrite of the array fields (to break the shape after authenticating). */
  readonly fields?: (fields: CborValue[]) => CborValue[];
}

const EMPTY_BYTES = new Uint8Array(0);

function protectedOf(options: CraftOptions): Uint8Array {
  if (options.protectedBytes !== undefined) return options.protectedBytes;
  const header = options.protectedHeader;
  return header === undefined || header.size === 0 ? EMPTY_BYTES : encodeCbor(header);
}

function frame(defaultTag: number, options: CraftOptions, fields: CborValue[]): Uint8Array {
  const final = options.fields ? options.fields(fields) : fields;
  const tag = options.tag === undefined ? defaultTag : options.tag;
  return encodeCbor(tag === null ? final : new CborTag(tag, final));
}

/** A COSE_Sign1 with a valid signature over exactly the given headers and payload. */
export async function craftSign1(
  backend: CryptoBackend,
  key: SigningKey,
  options: CraftOptions & { readonly payload?: Uint8Array | null; readonly signedPayload?: Uint8Array } = {},
): Promise<Uint8Array> {
  const protectedBytes = protectedOf(options);
  const payload = options.payload === undefined ? utf8('crafted payload') : options.payload;
  const signedPayload = options.signedPayload ?? payload ?? EMPTY_BYTES;
  const tbs = encodeCbor(['Signature1', protectedBytes, options.externalAad ?? EMPTY_BYTES, signedPayload]);
  const signature = await settle(backend.sign(key, tbs));
  return frame(18, options, [protectedBytes, options.unprotectedHeader ?? new Map(), payload, signature]);
}

/** A COSE_Mac0 with a valid HMAC-SHA-256 tag over exactly the given headers and payload. */
export async function craftMac0(
  backend: CryptoBackend,
  key: MacKey,
  options: CraftOptions & { readonly payload?: Uint8Array } = {},
): Promise<Uint8Array> {
  const protectedBytes = protectedOf(options);
  const payload = options.payload ?? utf8('crafted payload');
  const tag = await settle(backend.hmacSha256(key, encodeCbor(['MAC0', protectedBytes, options.externalAad ?? EMPTY_BYTES, payload])));
  return frame(17, options, [protectedBytes, options.unprotectedHeader ?? new Map(), payload, tag]);
}

/**
 * A COSE_Encrypt0 whose ciphertext authenticates under exactly the given protected bytes, with
 * `nonce` (default: 12 random bytes). The unprotected bucket defaults to `{5: nonce}`.
 */
export async function craftEncrypt0(
  backend: CryptoBackend,
  key: AeadKey,
  options: CraftOptions & { readonly plaintext?: Uint8Array; readonly nonce?: Uint8Array } = {},
): Promise<Uint8Array> {
  const protectedBytes = protectedOf(options);
  const nonce = options.nonce ?? (await settle(backend.randomBytes(12)));
  const aad = encodeCbor(['Encrypt0', protectedBytes, options.externalAad ?? EMPTY_BYTES]);
  const ciphertext = await settle(backend.aeadEncrypt(key, { nonce, plaintext: options.plaintext ?? utf8('crafted plaintext'), aad }));
  return frame(16, options, [protectedBytes, options.unprotectedHeader ?? new Map<CborValue, CborValue>([[5, nonce]]), ciphertext]);
}

/** Decodes a tagged COSE message into its tag and array fields (for tampering tests). */
export function coseFields(message: Uint8Array): { tag: number | bigint; fields: CborValue[] } {
  const decoded = decodeCbor(message);
  if (!(decoded instanceof CborTag) || !Array.isArray(decoded.value)) throw new Error('not a tagged COSE array');
  return { tag: decoded.tag, fields: decoded.value };
}

/** Re-encodes a tagged COSE message from its fields. */
export function encodeCose(tag: number | bigint, fields: CborValue[]): Uint8Array {
  return encodeCbor(new CborTag(tag, fields));
}

/* ------------------------------------------------------------------------------------------ */
/* Bit flips                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** What a sweep of single-bit flips found. */
export interface FlipSweep {
  /** Bits whose flipped message was accepted, with the returned value. */
  readonly accepted: { readonly bit: number; readonly value: unknown }[];
  /** Bits whose flipped message threw something other than a WardError. */
  readonly crashes: { readonly bit: number; readonly error: string }[];
  /** How many flipped messages were rejected with each WardError code. */
  readonly codes: Map<string, number>;
}

/** Flips every bit of `message` in turn (or the given bits) and classifies `attempt`'s outcome. */
export async function sweepBitFlips(
  message: Uint8Array,
  attempt: (flipped: Uint8Array) => Promise<unknown>,
  bits: Iterable<number> = Array.from({ length: message.length * 8 }, (_, i) => i),
): Promise<FlipSweep> {
  const sweep: FlipSweep = { accepted: [], crashes: [], codes: new Map() };
  for (const bit of bits) {
    const outcome = await outcomeOf(() => attempt(flipBit(message, bit)));
    if (outcome.kind === 'value') sweep.accepted.push({ bit, value: outcome.value });
    else if (outcome.kind === 'crash') sweep.crashes.push({ bit, error: String(outcome.error) });
    else sweep.codes.set(outcome.code, (sweep.codes.get(outcome.code) ?? 0) + 1);
  }
  return sweep;
}

/* ------------------------------------------------------------------------------------------ */
/* Arbitraries                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** Arbitrary CBOR values shaped roughly like a COSE message, to reach past the framing checks. */
export function coseLikeArbitrary(): fc.Arbitrary<CborValue[]> {
  const { value } = fc.letrec<{ value: CborValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: -40, max: 40 }),
      fc.constantFrom<CborValue>(-8, -7, -35, 1, 2, 3, 5, 24, -3, -5, -25, -31, null, true, false, 'x', 'EdDSA'),
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ maxLength: 8 }),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(fc.tuple(fc.oneof(fc.integer({ min: -30, max: 30 }), fc.string({ maxLength: 3 })), tie('value')), { maxLength: 4 })
        .map((entries) => new Map<CborValue, CborValue>(entries)),
    ),
  }));
  const header = fc.array(fc.tuple(fc.integer({ min: -30, max: 8 }), value), { maxLength: 4 }).map((e) => new Map<CborValue, CborValue>(e));
  const protectedBytes = fc.oneof(header.map((h) => (h.size === 0 ? new Uint8Array(0) : encodeCbor(h))), fc.uint8Array({ maxLength: 8 }));
  return fc.oneof(
    fc.tuple(protectedBytes, header, fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.constant(null)), fc.uint8Array({ maxLength: 70 }))
      .map((t) => [...t] as CborValue[]),
    fc.tuple(protectedBytes, header, fc.uint8Array({ maxLength: 40 })).map((t) => [...t] as CborValue[]),
    fc.tuple(protectedBytes, header, fc.uint8Array({ maxLength: 40 }), fc.array(fc.tuple(protectedBytes, header, fc.uint8Array({ maxLength: 40 })).map((t) => [...t] as CborValue), { maxLength: 3 }))
      .map((t) => [...t] as CborValue[]),
    fc.array(value, { maxLength: 6 }),
  );
}

