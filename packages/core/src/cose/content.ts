/*
 * The content layer shared by COSE_Encrypt0 and COSE_Encrypt (RFC 9052 §5.3): the
 * Enc_structure as AAD, the IV header, and the algorithm/key check.
 */
import { encodeFrame } from '../cbor/index.js';
import type { AeadKey, CryptoBackend } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { AEAD_NONCE_LENGTH } from '../backend/validate.js';
import { CoseError, UnsupportedAlgorithmError } from '../errors.js';
import { CONTENT_ALGORITHMS, CoseAlgorithm } from './algorithms.js';
import { HeaderLabel } from './headers.js';
import type { HeaderMap } from './headers.js';

/** The Enc_structure context strings (RFC 9052 §5.3). */
export type EncContext = 'Encrypt0' | 'Encrypt';

/** Header labels a content layer understands when marked critical. */
export const CONTENT_UNDERSTOOD: ReadonlySet<number | string> = new Set([
  HeaderLabel.alg, HeaderLabel.crit, HeaderLabel.contentType, HeaderLabel.kid, HeaderLabel.iv,
]);

/** The COSE content algorithm a key will be used with: fixed by the key, never by the message. */
export function contentAlgorithmOf(key: AeadKey): number {
  if (key.algorithm === 'ChaCha20-Poly1305') return CoseAlgorithm.ChaCha20Poly1305;
  switch (key.size) {
    case 16: return CoseAlgorithm.A128GCM;
    case 24: return CoseAlgorithm.A192GCM;
    default: return CoseAlgorithm.A256GCM;
  }
}

/** Checks that `alg` is a content algorithm Ward supports and that `key` is exactly for it. */
export function checkContentKey(alg: number, key: AeadKey): void {
  const expected = CONTENT_ALGORITHMS.get(alg);
  if (expected === undefined) throw new UnsupportedAlgorithmError(`COSE content algorithm ${alg} is not supported`);
  /* RFC 9052 §8: the key and algorithm must match; a 16-byte key under A256GCM is refused. */
  if (key.algorithm !== expected.aead || key.size !== expected.keyLength) {
    throw new CoseError('ERR_COSE_ALGORITHM_MISMATCH', `content alg ${alg} does not match the ${key.algorithm} key`);
  }
}

/** Enc_structure (RFC 9052 §5.3): the AEAD's additional data. */
export function encStructure(context: EncContext, protectedBytes: Uint8Array, externalAad: Uint8Array): Uint8Array {
  return encodeFrame([context, protectedBytes, externalAad]);
}

/**
 * The 12-byte IV of a content layer. Ward accepts only a full IV (label 5); a Partial IV
 * (label 6) needs a context Base IV that Ward's profile never uses.
 */
export function ivOf(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap): Uint8Array {
  /* RFC 9052 §3.1 (Partial IV): Ward keeps no Base IV context, so a Partial IV is refused, never guessed. */
  if (protectedHeader.has(HeaderLabel.partialIv) || unprotectedHeader.has(HeaderLabel.partialIv)) {
    throw new UnsupportedAlgorithmError('Partial IV (Base IV context) is not supported');
  }
  const iv = protectedHeader.get(HeaderLabel.iv) ?? unprotectedHeader.get(HeaderLabel.iv);
  /* RFC 9053 §4.1, §4.3: the IV is the 96-bit AEAD nonce; any other length is refused. */
  if (!(iv instanceof Uint8Array) || iv.length !== AEAD_NONCE_LENGTH) {
    throw new CoseError('ERR_COSE_INVALID_HEADER', `IV must be a ${AEAD_NONCE_LENGTH}-byte byte string`);
  }
  return iv;
}

/**
 * A fresh IV. Nonce discipline: every content encryption draws 96 random bits from the
 * backend's CSPRNG; with one key, the collision probability stays below 2^-32 for up to 2^32
 * messages (NIST SP 800-38D §8.3), which key rotation enforces.
 */
export async function freshIv(backend: CryptoBackend): Promise<Uint8Array> {
  const iv = backend.randomBytes(AEAD_NONCE_LENGTH);
  return isPromise(iv) ? await iv : iv;
}
