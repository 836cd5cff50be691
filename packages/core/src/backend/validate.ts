/*
 * Argument checks shared by every backend, so that all of them reject the same inputs with
 * the same codes before any material is touched or any memory is allocated for output.
 */
import { ArgumentError, BackendError, KeyAgreementError, KeyError, UnsupportedAlgorithmError } from '../errors.js';
import { CRYPTO_BACKEND_VERSION } from './crypto-backend.js';
import type { CryptoBackend, HkdfInput, KeyAgreementAlgorithm, KeyAlgorithm, KeyKind } from './crypto-backend.js';

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
  if (nonce.length !== AEAD_NONCE_LENGTH) throw new ArgumentError(`nonce must be ${AEAD_NONCE_LENGTH} bytes`);
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
