/*
 * COSE algorithm identifiers Ward implements (IANA "COSE Algorithms" registry, RFC 9053) and
 * how each maps onto a CryptoBackend primitive. The algorithm of a message is always checked
 * against the key's own algorithm (RFC 9052 §8: "the key and algorithm must match"); nothing
 * here lets a message choose a primitive for a key.
 */
import type { AeadAlgorithm, SignatureAlgorithm } from '../backend/crypto-backend.js';
import { ArgumentError } from '../errors.js';

/**
 * COSE algorithm identifiers used by Ward (RFC 9053 and the IANA registry).
 *
 * @example
 * ```ts
 * import { CoseAlgorithm } from '@ward/core/cose';
 *
 * CoseAlgorithm.EdDSA; // -8
 * ```
 */
export const CoseAlgorithm = {
  /** EdDSA (Ed25519 in Ward), RFC 9053 §2.2. Polymorphic: the key's curve completes it. */
  EdDSA: -8,
  /** ECDSA w/ SHA-256 (P-256 in Ward), RFC 9053 §2.1. Polymorphic: the key's curve completes it. */
  ES256: -7,
  /** Ed25519, the fully-specified EdDSA (RFC 9864 §2.2): exactly what Ward means by EdDSA. */
  Ed25519: -19,
  /** ESP256, the fully-specified ECDSA w/ SHA-256 on P-256 (RFC 9864 §2.1): exactly Ward's ES256. */
  ESP256: -9,
  /** HMAC w/ SHA-256, 256-bit tag, RFC 9053 §3.1. */
  HMAC_256_256: 5,
  /** AES-GCM mode w/ 128-bit key, 128-bit tag, RFC 9053 §4.1. */
  A128GCM: 1,
  /** AES-GCM mode w/ 192-bit key, 128-bit tag. */
  A192GCM: 2,
  /** AES-GCM mode w/ 256-bit key, 128-bit tag. */
  A256GCM: 3,
  /** ChaCha20/Poly1305 w/ 256-bit key, 128-bit tag, RFC 9053 §4.3. */
  ChaCha20Poly1305: 24,
  /** Direct use of a shared content key, RFC 9053 §6.1.1 (used only when decoding peers). */
  Direct: -6,
  /** AES key wrap w/ 128-bit key, RFC 9053 §6.2.1. */
  A128KW: -3,
  /** AES key wrap w/ 192-bit key. */
  A192KW: -4,
  /** AES key wrap w/ 256-bit key. */
  A256KW: -5,
  /** ECDH ES w/ HKDF-256, direct key agreement, RFC 9053 §6.3.1. */
  ECDH_ES_HKDF_256: -25,
  /** ECDH ES w/ HKDF-256 then A128KW, RFC 9053 §6.4.1. */
  ECDH_ES_A128KW: -29,
  /** ECDH ES w/ HKDF-256 then A192KW. */
  ECDH_ES_A192KW: -30,
  /** ECDH ES w/ HKDF-256 then A256KW. */
  ECDH_ES_A256KW: -31,
} as const;

/** One of the identifiers in {@link CoseAlgorithm}. */
export type CoseAlgorithmId = (typeof CoseAlgorithm)[keyof typeof CoseAlgorithm];

/**
 * COSE signature algorithm → backend signature algorithm. Both identifiers of each algorithm
 * are here (RFC 9864 §2): the polymorphic one Ward emits by default (-8, -7) and the
 * fully-specified one (-19, -9), which names exactly the same operation on the same keys, so
 * a key verifies a message under either and never under the other algorithm's pair.
 */
export const SIGNATURE_ALGORITHMS: ReadonlyMap<number, SignatureAlgorithm> = new Map<number, SignatureAlgorithm>([
  [CoseAlgorithm.EdDSA, 'Ed25519'],
  [CoseAlgorithm.ES256, 'ECDSA-P256'],
  [CoseAlgorithm.Ed25519, 'Ed25519'],
  [CoseAlgorithm.ESP256, 'ECDSA-P256'],
]);

/**
 * Which identifier Ward writes for a signature algorithm: `'polymorphic'` (EdDSA -8, ES256 -7;
 * the default, because go-cose 1.3 and pycose 1.1 know only these) or `'fully-specified'`
 * (Ed25519 -19, ESP256 -9; RFC 9864). Readers accept both whatever is chosen.
 */
export type SignatureAlgorithmIdentifier = 'polymorphic' | 'fully-specified';

/**
 * The COSE `alg` Ward writes for a signature with a key of backend algorithm `algorithm`.
 *
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for an unknown `identifier`
 */
export function signatureAlgorithmFor(algorithm: SignatureAlgorithm, identifier: SignatureAlgorithmIdentifier = 'polymorphic'): number {
  if (identifier !== 'polymorphic' && identifier !== 'fully-specified') {
    throw new ArgumentError(`algIdentifier must be 'polymorphic' or 'fully-specified', not ${String(identifier)}`);
  }
  if (algorithm === 'Ed25519') return identifier === 'polymorphic' ? CoseAlgorithm.EdDSA : CoseAlgorithm.Ed25519;
  return identifier === 'polymorphic' ? CoseAlgorithm.ES256 : CoseAlgorithm.ESP256;
}

/**
 * True when COSE signature algorithms `a` and `b` are one algorithm under two identifiers
 * (RFC 9864 §2: EdDSA -8 on an Ed25519 key is Ed25519 -19; ES256 -7 on a P-256 key is ESP256
 * -9), or the same identifier. A key or trust entry restricted to one of a pair accepts the
 * other; EdDSA never matches ES256/ESP256 and the other way round.
 */
export function sameSignatureAlgorithm(a: number, b: number): boolean {
  if (a === b) return true;
  const x = SIGNATURE_ALGORITHMS.get(a);
  return x !== undefined && x === SIGNATURE_ALGORITHMS.get(b);
}

/** A COSE content-encryption algorithm: backend primitive and key length in bytes. */
export interface ContentAlgorithm {
  readonly aead: AeadAlgorithm;
  readonly keyLength: 16 | 24 | 32;
}

/** COSE content-encryption algorithm → backend AEAD and key length. Nonces are 12 bytes for all. */
export const CONTENT_ALGORITHMS: ReadonlyMap<number, ContentAlgorithm> = new Map<number, ContentAlgorithm>([
  [CoseAlgorithm.A128GCM, { aead: 'AES-GCM', keyLength: 16 }],
  [CoseAlgorithm.A192GCM, { aead: 'AES-GCM', keyLength: 24 }],
  [CoseAlgorithm.A256GCM, { aead: 'AES-GCM', keyLength: 32 }],
  [CoseAlgorithm.ChaCha20Poly1305, { aead: 'ChaCha20-Poly1305', keyLength: 32 }],
]);

/** COSE key-wrap algorithm → key-encryption-key length in bytes. */
export const KEY_WRAP_ALGORITHMS: ReadonlyMap<number, 16 | 24 | 32> = new Map<number, 16 | 24 | 32>([
  [CoseAlgorithm.A128KW, 16],
  [CoseAlgorithm.A192KW, 24],
  [CoseAlgorithm.A256KW, 32],
]);

/** COSE ECDH-ES + key wrap algorithm → the key-wrap algorithm that follows the agreement. */
export const ECDH_KEY_WRAP_ALGORITHMS: ReadonlyMap<number, number> = new Map<number, number>([
  [CoseAlgorithm.ECDH_ES_A128KW, CoseAlgorithm.A128KW],
  [CoseAlgorithm.ECDH_ES_A192KW, CoseAlgorithm.A192KW],
  [CoseAlgorithm.ECDH_ES_A256KW, CoseAlgorithm.A256KW],
]);
