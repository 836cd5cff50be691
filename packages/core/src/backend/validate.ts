/*
 * The one home of the checks every backend shares, so that all of them reject the same inputs
 * with the same codes before any material is touched or any memory is allocated for output:
 * argument shapes and lengths (keys, nonces, AAD, HKDF, key wrap), the HMAC tag comparison, the
 * X25519 all-zero check, the foreign-error guard, and the argument checks of the public functions.
 */
import { sameBytes } from '../bytes.js';
import {
  ArgumentError, BackendError, DecryptionError, KeyAgreementError, KeyError, UnsupportedAlgorithmError, WardError,
} from '../errors.js';
import { CRYPTO_BACKEND_VERSION } from './crypto-backend.js';
import type {
  AeadDecryptInput, AeadEncryptInput, CryptoBackend, HkdfInput, KeyAgreementAlgorithm, KeyAlgorithm, KeyHandle, KeyKind,
  SecretKindOf,
} from './crypto-backend.js';

/** AEAD nonce length: 96 bits for both AES-GCM and ChaCha20-Poly1305 (RFC 9053 §4.1, §4.3). */
export const AEAD_NONCE_LENGTH = 12;
/** AEAD tag length: 128 bits (RFC 9053 §4.1). */
export const AEAD_TAG_LENGTH = 16;
/** Largest HKDF-SHA-256 output: 255 × HashLen (RFC 5869 §2.3). */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;
/** Largest key a Ward backend will wrap (RFC 3394 allows more; no COSE key needs it). */
export const KEY_WRAP_MAX_LENGTH = 4096;
/** Accepted HMAC-SHA-256 key lengths: at least the output size (RFC 2104 §3), at most 128. */
export const HMAC_KEY_MIN_LENGTH = 32;
export const HMAC_KEY_MAX_LENGTH = 128;
/** Largest single `randomBytes` request. */
export const RANDOM_MAX_LENGTH = 1 << 20;
/** Signature length of both signing algorithms: Ed25519 R ‖ S (RFC 8032 §5.1.6), ECDSA P-256 r ‖ s (RFC 9053 §2.1). */
export const SIGNATURE_LENGTH = 64;

const ALGORITHMS: readonly KeyAlgorithm[] = [
  'Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256', 'AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256',
];

/**
 * Throws unless `value` is a Uint8Array.
 *
 * @example
 * ```ts
 * assertBytes(input.nonce, 'nonce');
 * ```
 */
export function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ArgumentError(`${name} must be a Uint8Array`);
}

/**
 * Throws unless `algorithm` is one this interface version knows.
 *
 * @example
 * ```ts
 * assertAlgorithm('Ed25519'); // passes; 'RSA' would throw ERR_UNSUPPORTED_ALGORITHM
 * ```
 */
export function assertAlgorithm(algorithm: unknown): asserts algorithm is KeyAlgorithm {
  if (!ALGORITHMS.includes(algorithm as KeyAlgorithm)) {
    throw new UnsupportedAlgorithmError(`unknown key algorithm ${String(algorithm)}`);
  }
}

/**
 * True for asymmetric algorithms.
 *
 * @example
 * ```ts
 * isAsymmetric('X25519'); // true
 * ```
 */
export function isAsymmetric(algorithm: KeyAlgorithm): boolean {
  return algorithm === 'Ed25519' || algorithm === 'ECDSA-P256' || algorithm === 'X25519' || algorithm === 'ECDH-P256';
}

/**
 * Checks the length of raw key material for `algorithm` and `kind` (see `RawKeyFormat`).
 * Curve membership is checked by the backend that parses the key.
 *
 * @example
 * ```ts
 * checkRawKey('ECDSA-P256', 'public', raw); // 65 or 33 bytes with a SEC1 prefix
 * ```
 */
export function checkRawKey(algorithm: KeyAlgorithm, kind: KeyKind, raw: unknown): asserts raw is Uint8Array {
  assertAlgorithm(algorithm);
  assertBytes(raw, 'key');
  const asymmetric = isAsymmetric(algorithm);
  /* Key confusion: a key is imported for one algorithm and one kind, and a symmetric one is never private or public. */
  if (asymmetric === (kind === 'secret') || !['private', 'public', 'secret'].includes(kind)) {
    throw new KeyError('ERR_KEY_USAGE', `${algorithm} keys are not of kind ${String(kind)}`);
  }
  const n = raw.length;
  let ok: boolean;
  switch (algorithm) {
    case 'Ed25519':
    case 'X25519':
      ok = n === 32;
      break;
    case 'ECDSA-P256':
    case 'ECDH-P256':
      /* SEC1 §2.3.3: a public point is 04 ‖ x ‖ y or 02/03 ‖ x; the backend checks it is on the curve. */
      ok = kind === 'private' ? n === 32 : (n === 65 && raw[0] === 0x04) || (n === 33 && (raw[0] === 0x02 || raw[0] === 0x03));
      break;
    case 'AES-GCM':
    case 'AES-KW':
      ok = n === 16 || n === 24 || n === 32;
      break;
    case 'ChaCha20-Poly1305':
      ok = n === 32;
      break;
    case 'HMAC-SHA256':
      ok = n >= HMAC_KEY_MIN_LENGTH && n <= HMAC_KEY_MAX_LENGTH;
      break;
  }
  if (!ok) throw new KeyError('ERR_KEY_INVALID', `invalid ${algorithm} ${kind} key encoding (${n} bytes)`);
}

/**
 * Checks an AEAD nonce.
 *
 * @example
 * ```ts
 * checkNonce(input.nonce); // exactly 12 bytes
 * ```
 */
export function checkNonce(nonce: unknown): asserts nonce is Uint8Array {
  assertBytes(nonce, 'nonce');
  /* RFC 9053 §4.1, §4.3: both AEADs take exactly a 96-bit nonce (a short one is not padded for the caller). */
  if (nonce.length !== AEAD_NONCE_LENGTH) throw new ArgumentError(`nonce must be ${AEAD_NONCE_LENGTH} bytes`);
}

/**
 * Checks the input of `aeadEncrypt`: a 12-byte nonce, the plaintext and optional AAD, in that order.
 *
 * @example
 * ```ts
 * checkAeadEncryptInput(input); // then encrypt input.plaintext under input.nonce
 * ```
 */
export function checkAeadEncryptInput(input: AeadEncryptInput): void {
  checkNonce(input.nonce);
  assertBytes(input.plaintext, 'plaintext');
  checkOptionalBytes(input.aad, 'aad');
}

/**
 * Checks the input of `aeadDecrypt`: a 12-byte nonce, the ciphertext and optional AAD, in that order.
 *
 * @example
 * ```ts
 * checkAeadDecryptInput(input); // then decrypt input.ciphertext under input.nonce
 * ```
 */
export function checkAeadDecryptInput(input: AeadDecryptInput): void {
  checkNonce(input.nonce);
  assertBytes(input.ciphertext, 'ciphertext');
  checkOptionalBytes(input.aad, 'aad');
}

/**
 * Whether an HMAC `tag` equals the `expected` one, after checking that it is bytes. The
 * comparison runs over the whole length (`sameBytes`): an early exit would leak, through
 * timing, how many leading bytes of a forged tag are right (a byte-at-a-time forgery).
 *
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` unless `tag` is a Uint8Array
 * @example
 * ```ts
 * return macTagMatches(this.hmacSha256(key, data), tag);
 * ```
 */
export function macTagMatches(expected: Uint8Array, tag: unknown): boolean {
  assertBytes(tag, 'tag');
  return sameBytes(expected, tag);
}

/**
 * Checks the input of `unwrapKey`: bytes of a length an RFC 3394 output can have. A wrong
 * length is a failed unwrap like any other (`DecryptionError`, no detail for an oracle).
 *
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` unless bytes; {@link DecryptionError} for a bad length
 * @example
 * ```ts
 * checkUnwrapInput(wrapped); // 24..4104 bytes, a multiple of 8
 * ```
 */
export function checkUnwrapInput(wrapped: unknown): asserts wrapped is Uint8Array {
  assertBytes(wrapped, 'wrapped');
  if (!isWrappedLength(wrapped)) throw new DecryptionError();
}

/**
 * Throws unless `key` was created extractable: `exportKey` never releases other key material.
 *
 * @throws {@link KeyError} `ERR_KEY_NOT_EXTRACTABLE`
 * @example
 * ```ts
 * const material = registry.material(key, [key.algorithm], key.kind);
 * checkExtractable(key);
 * ```
 */
export function checkExtractable(key: KeyHandle): void {
  if (!key.extractable) throw new KeyError('ERR_KEY_NOT_EXTRACTABLE', `this ${key.algorithm} ${key.kind} key is not extractable`);
}

/**
 * The kind of a key `generateKey` makes: `'private'` for asymmetric algorithms, else `'secret'`.
 *
 * @example
 * ```ts
 * generatedKind('X25519'); // 'private'
 * ```
 */
export function generatedKind<A extends KeyAlgorithm>(algorithm: A): SecretKindOf<A> {
  return (isAsymmetric(algorithm) ? 'private' : 'secret') as SecretKindOf<A>;
}

/**
 * Runs `fn`, turning anything it throws that is not a `WardError` into a `BackendError`
 * (`ERR_BACKEND_FAILURE`, the original as `cause`): a backend throws only Ward's typed errors.
 *
 * @param what - the operation, for the message (e.g. `'signing'`)
 * @throws {@link BackendError} `ERR_BACKEND_FAILURE`, or the `WardError` that `fn` threw
 * @example
 * ```ts
 * return guarded('key wrap', () => aeskw(secret).encrypt(keyData));
 * ```
 */
export function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (WardError.isInstance(error)) throw error;
    throw new BackendError('ERR_BACKEND_FAILURE', `${what} failed`, { cause: error });
  }
}

/**
 * Checks optional AAD.
 *
 * @example
 * ```ts
 * checkOptionalBytes(input.aad, 'aad');
 * ```
 */
export function checkOptionalBytes(value: unknown, name: string): asserts value is Uint8Array | undefined {
  if (value !== undefined) assertBytes(value, name);
}

/**
 * Checks HKDF input.
 *
 * @example
 * ```ts
 * checkHkdf({ ikm, info, length: 32 });
 * ```
 */
export function checkHkdf(input: HkdfInput): void {
  assertBytes(input.ikm, 'ikm');
  checkOptionalBytes(input.salt, 'salt');
  checkOptionalBytes(input.info, 'info');
  if (!Number.isSafeInteger(input.length) || input.length < 1 || input.length > HKDF_SHA256_MAX_LENGTH) {
    throw new ArgumentError(`HKDF-SHA-256 output length must be 1..${HKDF_SHA256_MAX_LENGTH}`);
  }
}

/**
 * Checks key data to be wrapped (RFC 3394 §2: n ≥ 2 64-bit blocks).
 *
 * @example
 * ```ts
 * checkWrapInput(contentKey); // 16..4096 bytes, a multiple of 8
 * ```
 */
export function checkWrapInput(keyData: unknown): asserts keyData is Uint8Array {
  assertBytes(keyData, 'keyData');
  const n = keyData.length;
  /* RFC 3394 §2: at least two 64-bit blocks, whole blocks only. */
  if (n < 16 || n > KEY_WRAP_MAX_LENGTH || n % 8 !== 0) {
    throw new ArgumentError(`key data to wrap must be 16..${KEY_WRAP_MAX_LENGTH} bytes, a multiple of 8`);
  }
}

/**
 * True when `wrapped` has a length an RFC 3394 output can have.
 *
 * @example
 * ```ts
 * if (!isWrappedLength(wrapped)) throw new DecryptionError();
 * ```
 */
export function isWrappedLength(wrapped: Uint8Array): boolean {
  const n = wrapped.length;
  /* RFC 3394 §2.2.2: the IV block plus at least two 64-bit blocks, whole blocks only. */
  return n >= 24 && n <= KEY_WRAP_MAX_LENGTH + 8 && n % 8 === 0;
}

/**
 * Checks a `randomBytes` length.
 *
 * @example
 * ```ts
 * checkRandomLength(12);
 * ```
 */
export function checkRandomLength(length: unknown): asserts length is number {
  if (!Number.isSafeInteger(length) || (length as number) < 0 || (length as number) > RANDOM_MAX_LENGTH) {
    throw new ArgumentError(`random length must be 0..${RANDOM_MAX_LENGTH}`);
  }
}

/**
 * The default raw length of a generated symmetric key.
 *
 * @example
 * ```ts
 * const raw = randomBytes(generatedSecretLength('HMAC-SHA256')); // 32
 * ```
 */
export function generatedSecretLength(algorithm: KeyAlgorithm): number {
  return algorithm === 'HMAC-SHA256' ? HMAC_KEY_MIN_LENGTH : 32;
}

/**
 * True when every byte is zero. Runs over the whole array (no early exit on secrets).
 *
 * @example
 * ```ts
 * if (isAllZero(sharedSecret)) throw new KeyAgreementError('low-order peer key');
 * ```
 */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

/**
 * The check every backend applies to an ECDH result. RFC 7748 §6.1: an all-zero X25519 output
 * means a low-order peer key, and the exchange must be aborted. For P-256 an x-coordinate of
 * zero is a genuine point (Wycheproof ecdh tcId 3) and is kept.
 *
 * @example
 * ```ts
 * return checkSharedSecret(privateKey.algorithm, x25519.getSharedSecret(secret, peer));
 * ```
 */
export function checkSharedSecret(algorithm: KeyAgreementAlgorithm, shared: Uint8Array): Uint8Array {
  if (algorithm === 'X25519' && isAllZero(shared)) throw new KeyAgreementError('X25519 shared secret is all zeros');
  return shared;
}

/**
 * Throws unless `backend` implements this core's `CryptoBackend` version.
 *
 * @example
 * ```ts
 * assertCryptoBackend(createNobleBackend());
 * ```
 */
export function assertCryptoBackend(backend: unknown): asserts backend is CryptoBackend {
  const version = (backend as { version?: unknown } | null)?.version;
  if (version !== CRYPTO_BACKEND_VERSION) {
    throw new BackendError('ERR_BACKEND_VERSION', `CryptoBackend version ${String(version)} is not supported (need ${CRYPTO_BACKEND_VERSION})`);
  }
}

/*
 * Argument checks of the public functions (issue 10 item 7c/7d): one home for "options
 * missing", "backend missing" and "this is not a key handle", so every function names the
 * missing or wrong option the same way and a common mistake gets a message naming its fix.
 */

/**
 * Throws an `ArgumentError` naming `fn` unless `options` is an object.
 *
 * @param options - the caller's options argument (untrusted)
 * @param fn - the public function's name, e.g. `'sealEnvelope'`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for `undefined`, `null` or a non-object
 * @example
 * ```ts
 * checkOptionsObject(options, 'sealEnvelope'); // "sealEnvelope() needs an options object"
 * ```
 */
export function checkOptionsObject(options: unknown, fn: string): asserts options is object {
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError(`${fn}() needs an options object, got ${describeValue(options)}`);
  }
}

/**
 * The first check of every public operation: `options` is an object and `options.backend` a
 * `CryptoBackend` of this core's version, each failure naming `fn` and what is wrong.
 *
 * @param options - the caller's options argument (untrusted)
 * @param fn - the public function's name, e.g. `'sealEnvelope'`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT`; {@link BackendError} `ERR_BACKEND_VERSION`
 * @example
 * ```ts
 * checkBackendOptions(options, 'createSign1'); // "createSign1() options.backend must be a CryptoBackend…"
 * ```
 */
export function checkBackendOptions(options: unknown, fn: string): asserts options is { readonly backend: CryptoBackend } {
  checkOptionsObject(options, fn);
  checkBackendOption((options as { backend?: unknown }).backend, `${fn}() options.backend`);
}

/**
 * Throws unless `backend` is a `CryptoBackend` of this core's version: an `ArgumentError`
 * naming the option when it is missing or not an object, a `BackendError` for another version.
 *
 * @param backend - the caller's `options.backend` (untrusted)
 * @param name - how to name it, e.g. `'sealEnvelope() options.backend'`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when missing; {@link BackendError} `ERR_BACKEND_VERSION`
 * @example
 * ```ts
 * checkBackendOption(options.backend, 'sealEnvelope() options.backend');
 * ```
 */
export function checkBackendOption(backend: unknown, name: string): asserts backend is CryptoBackend {
  if (typeof backend !== 'object' || backend === null) {
    throw new ArgumentError(`${name} must be a CryptoBackend (e.g. createNobleBackend()), got ${describeValue(backend)}`);
  }
  assertCryptoBackend(backend);
}

/**
 * Why `value` is not a key handle, naming the call that makes one from what was passed; or
 * `undefined` when it has a handle's shape (`algorithm` and `kind` strings). Says nothing about
 * the bytes of a value passed by mistake, only what it is.
 *
 * @param value - what a caller passed where a key handle is expected (untrusted)
 * @returns the problem and its fix, or `undefined`
 * @example
 * ```ts
 * notAKeyHandle(coseKey); // "is a COSE_Key, not a key handle: import it with importCoseKey(backend, coseKey)"
 * ```
 */
export function notAKeyHandle(value: unknown): string | undefined {
  if (value === undefined || value === null) return 'is missing';
  if (value instanceof Uint8Array) {
    return 'is raw key bytes, not a key handle: import them with backend.importKey(algorithm, kind, bytes) (or importCoseKey for a COSE_Key)';
  }
  if (typeof value !== 'object') return `must be a key handle, got ${describeValue(value)}`;
  const o = value as Record<string, unknown>;
  if ('kty' in o) return 'is a COSE_Key, not a key handle: import it with importCoseKey(backend, coseKey)';
  if (o instanceof Map && o.has(1)) return 'is a COSE_Key map, not a key handle: decode it with decodeCoseKey and import it with importCoseKey(backend, coseKey)';
  if (typeof o['keySource'] === 'function') return 'is a TrustStore, not a key handle: pass trustStore.keySource() where a key source is accepted';
  if (typeof o['recipientKey'] === 'function' || typeof o['signer'] === 'function') {
    return 'is a Keyset, not a key handle: pass one of its keys (keyset.signer().key, keyset.sharedKey().key, keyset.recipientKey())';
  }
  if (typeof o['algorithm'] !== 'string' || typeof o['kind'] !== 'string') {
    return 'is not a key handle: make one with backend.generateKey(), backend.importKey() or importCoseKey()';
  }
  return undefined;
}

/**
 * Throws an `ArgumentError` naming `name` and the fix unless `value` has a key handle's shape.
 * Whether the handle belongs to the backend, and fits the operation, is the backend's check.
 *
 * @param value - what the caller passed (untrusted)
 * @param name - how to name it, e.g. `'sealEnvelope() options.signer.key'`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT`
 * @example
 * ```ts
 * checkKeyHandleOption(options.key, 'createSign1() options.key');
 * ```
 */
export function checkKeyHandleOption(value: unknown, name: string): asserts value is KeyHandle {
  const problem = notAKeyHandle(value);
  if (problem !== undefined) throw new ArgumentError(`${name} ${problem}`);
}

/**
 * A short description of a value's type for an error message; never its content.
 *
 * @example
 * ```ts
 * describeValue(null); // 'null'
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `a ${value.length}-byte Uint8Array`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
