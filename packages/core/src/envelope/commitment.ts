/*
 * Key commitment (SPEC.md §Key commitment). AES-GCM and ChaCha20-Poly1305 are not
 * key-committing: a sender can craft one ciphertext that authenticates under two keys and
 * decrypts to two plaintexts ("invisible salamanders", Dodis et al. 2018; partitioning
 * oracles, Len et al. 2021). In a multi-recipient envelope that lets a malicious sender give
 * different recipients different CEKs, and so different plaintexts, under one signature.
 * Ward signs a commitment to the CEK; every recipient recomputes it from the CEK it unwrapped
 * and refuses a mismatch before decrypting. This file holds the commitment and the one check
 * that openEnvelope() and rewrapEnvelope() both run.
 */
import type { CryptoBackend } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { sameBytes } from '../bytes.js';
import { CoseError } from '../errors.js';

/** Length of the commitment in bytes: 256 bits, so finding two keys with one commitment costs 2^128. */
export const KEY_COMMITMENT_LENGTH = 32;

const COMMITMENT_INFO = new TextEncoder().encode('Ward/1 key commitment');

/**
 * HKDF-SHA-256(ikm = CEK, salt = absent, info = "Ward/1 key commitment", L = 32). HKDF's
 * extract step is HMAC keyed by the zero salt over the CEK, so the commitment is collision
 * resistant in the CEK and reveals nothing about it.
 */
export async function commitToContentKey(backend: CryptoBackend, contentKey: Uint8Array): Promise<Uint8Array> {
  const out = backend.hkdfSha256({ ikm: contentKey, info: COMMITMENT_INFO, length: KEY_COMMITMENT_LENGTH });
  return isPromise(out) ? await out : out;
}

/**
 * The `checkContentKey` hook of COSE_Encrypt decryption for a sealed envelope: refuses
 * (`ERR_COSE_INVALID_HEADER`) a CEK whose commitment is not `signed`, the one in the producer's
 * signed header, before that CEK decrypts or is carried forward.
 */
export function checkCommittedContentKey(backend: CryptoBackend, signed: Uint8Array): (contentKey: Uint8Array) => Promise<void> {
  return async (contentKey) => {
    /* Key commitment (invisible salamanders, Dodis et al. 2018; partitioning oracles, Len et al.
     * 2021): only the CEK the producer signed for may decrypt. Compared in constant time
     * (bytes.ts sameBytes): the recomputed value derives from the unwrapped CEK, and an
     * early-exit comparison would be a timing oracle on how much of it matches a forged one. */
    if (!sameBytes(await commitToContentKey(backend, contentKey), signed)) {
      throw new CoseError('ERR_COSE_INVALID_HEADER', 'content key does not match the signed commitment');
    }
  };
}
