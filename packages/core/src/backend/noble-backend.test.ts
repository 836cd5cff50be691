import { createHash, createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ArgumentError, BackendError, DecryptionError, KeyAgreementError, KeyError, UnsupportedAlgorithmError, WardError,
} from '../errors.js';
import type { WardErrorCode } from '../errors.js';
import type {
  AeadAlgorithm, AeadKey, AgreementPrivateKey, AgreementPublicKey, KeyAlgorithm, KeyHandle, KeyKind, MacKey, SigningKey,
  VerifyingKey, WrappingKey,
} from './crypto-backend.js';
import { createNobleBackend, NobleBackend } from './noble-backend.js';
import { RFC6979_P256_SAMPLE, runKnownAnswerSuite } from '../../test-kit/known-answers.js';

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */
/* ------------------------------------------------------------------------------------------ */

const backend = createNobleBackend();
/** A second, independent instance: its handles are foreign to `backend`. */
const other = createNobleBackend();

/** P-256 group order n. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** Ed25519 group order L. */
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}
function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}
function bigIntTo32Bytes(value: bigint): Uint8Array {
  return hex(value.toString(16).padStart(64, '0'));
}
function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
/** A copy of `bytes` with bit `bit` of byte `index` flipped. */
function flipBit(bytes: Uint8Array, index: number, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = copy[index]! ^ (1 << bit);
  return copy;
}

type ErrorFamily =
  | typeof ArgumentError | typeof UnsupportedAlgorithmError | typeof KeyError | typeof KeyAgreementError
  | typeof DecryptionError | typeof BackendError;

/**
 * Asserts that `fn` throws (does not return) a WardError of `family` with exactly `code`, and
 * that the family's `isInstance` agrees with `instanceof`.
 */
function expectWardError(fn: () => unknown, family: ErrorFamily, code: WardErrorCode): void {
  let returned: unknown = undefined;
  let threw = false;
  let caught: unknown;
  try {
    returned = fn();
  } catch (error) {
    threw = true;
    caught = error;
  }
  expect(returned, 'must not return a value').toBeUndefined();
  expect(threw, `expected ${family.family} ${code}`).toBe(true);
  expect(WardError.isInstance(caught)).toBe(true);
  expect(caught).toBeInstanceOf(WardError);
  expect(caught).toBeInstanceOf(family);
  expect((family as typeof WardError).isInstance(caught)).toBe(true);
  expect((caught as WardError).code).toBe(code);
  expect((caught as WardError).name).toBe(family.family);
}

/** Arbitrary raw key bytes of exactly `length`. */
const rawKey = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
/** A valid P-256 private scalar in [1, n-1], as 32 big-endian bytes. */
const p256Scalar = fc.bigInt({ min: 1n, max: P256_N - 1n }).map(bigIntTo32Bytes);
const payload = fc.uint8Array({ maxLength: 4096 });
const optionalAad = fc.option(fc.uint8Array({ maxLength: 256 }), { nil: undefined });
const nonceArb = rawKey(12);

const AEAD_VARIANTS: readonly { name: string; algorithm: AeadAlgorithm; keyLength: number }[] = [
  { name: 'AES-GCM 128', algorithm: 'AES-GCM', keyLength: 16 },
  { name: 'AES-GCM 192', algorithm: 'AES-GCM', keyLength: 24 },
  { name: 'AES-GCM 256', algorithm: 'AES-GCM', keyLength: 32 },
  { name: 'ChaCha20-Poly1305', algorithm: 'ChaCha20-Poly1305', keyLength: 32 },
];

const ALL_ALGORITHMS: readonly KeyAlgorithm[] = [
  'Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256', 'AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256',
];
const ASYMMETRIC: readonly KeyAlgorithm[] = ['Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256'];
const SYMMETRIC: readonly KeyAlgorithm[] = ['AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256'];

function aeadInput(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined) {
  return aad === undefined ? { nonce, plaintext } : { nonce, plaintext, aad };
}
function aeadDecryptInput(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array | undefined) {
  return aad === undefined ? { nonce, ciphertext } : { nonce, ciphertext, aad };
}

/* ------------------------------------------------------------------------------------------ */
/* Shape                                                                                      */
/* ------------------------------------------------------------------------------------------ */

describe('noble backend: identity', () => {
  test('implements CryptoBackend v1, synchronously, named "noble"', () => {
    expect(backend).toBeInstanceOf(NobleBackend);
    expect(backend.version).toBe(1);
    expect(backend.name).toBe('noble');
    expect(backend.synchronous).toBe(true);
  });

  test('property: randomBytes returns exactly the requested length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70_000 }), (length) => {
        const bytes = backend.randomBytes(length);
        expect(bytes).toBeInstanceOf(Uint8Array);
        expect(bytes.length).toBe(length);
      }),
      { numRuns: 50 },
    );
  });

  test('randomBytes rejects negative, fractional and oversized lengths', () => {
    for (const length of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, (1 << 20) + 1]) {
      expectWardError(() => backend.randomBytes(length), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
  });

  test('unknown algorithms are ERR_UNSUPPORTED_ALGORITHM', () => {
    expectWardError(() => backend.generateKey('RSA-PSS' as KeyAlgorithm), UnsupportedAlgorithmError, 'ERR_UNSUPPORTED_ALGORITHM');
    expectWardError(() => backend.importKey('AES-CBC' as KeyAlgorithm, 'secret', new Uint8Array(16)), UnsupportedAlgorithmError, 'ERR_UNSUPPORTED_ALGORITHM');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Known-answer tests (RFC vectors)                                                           */
/* ------------------------------------------------------------------------------------------ */

runKnownAnswerSuite('noble', backend);

describe('noble backend: deterministic ECDSA', () => {
  test('ECDSA-P256 RFC 6979 §A.2.5 "sample": deterministic k, s normalised to low-S', () => {
    const sk = backend.importKey('ECDSA-P256', 'private', hex(RFC6979_P256_SAMPLE.secret));
    expect(toHex(backend.sign(sk, utf8('sample')))).toBe(RFC6979_P256_SAMPLE.lowSSignature());
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Round trips                                                                                */
/* ------------------------------------------------------------------------------------------ */

describe('noble backend: round trips', () => {
  test('property: Ed25519 verifies what it signs, and nothing else', () => {
    fc.assert(
      fc.property(rawKey(32), payload, payload, (seed, message, otherMessage) => {
        const sk = backend.importKey('Ed25519', 'private', seed);
        const pk = backend.publicKey(sk);
        const signature = backend.sign(sk, message);
        expect(signature.length).toBe(64);
        expect(backend.verify(pk, message, signature)).toBe(true);
        /* Pure EdDSA is deterministic (RFC 8032 §5.1.6). */
        expect(toHex(backend.sign(sk, message))).toBe(toHex(signature));
        if (toHex(otherMessage) !== toHex(message)) expect(backend.verify(pk, otherMessage, signature)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  test('property: ECDSA-P256 verifies what it signs, and nothing else', () => {
    fc.assert(
      fc.property(p256Scalar, payload, payload, (scalar, message, otherMessage) => {
        const sk = backend.importKey('ECDSA-P256', 'private', scalar);
        const pk = backend.publicKey(sk);
        const signature = backend.sign(sk, message);
        expect(signature.length).toBe(64);
        expect(backend.verify(pk, message, signature)).toBe(true);
        if (toHex(otherMessage) !== toHex(message)) expect(backend.verify(pk, otherMessage, signature)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  test('property: ECDSA-P256 signatures are always low-S (s ≤ n/2), r and s in [1, n-1]; high-S twins verify', () => {
    fc.assert(
      fc.property(p256Scalar, fc.uint8Array({ maxLength: 256 }), (scalar, message) => {
        const sk = backend.importKey('ECDSA-P256', 'private', scalar);
        const signature = backend.sign(sk, message);
        const r = bytesToBigInt(signature.subarray(0, 32));
        const s = bytesToBigInt(signature.subarray(32));
        expect(r >= 1n && r < P256_N).toBe(true);
        expect(s >= 1n && s <= P256_N / 2n).toBe(true);
        /* Verification accepts high-S from other signers. */
        const highS = new Uint8Array([...signature.subarray(0, 32), ...bigIntTo32Bytes(P256_N - s)]);
        expect(backend.verify(backend.publicKey(sk), message, highS)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  test('property: generated signing keys work and differ', () => {
    fc.assert(
      fc.property(fc.constantFrom('Ed25519' as const, 'ECDSA-P256' as const), fc.uint8Array({ maxLength: 64 }), (algorithm, message) => {
        const a = backend.generateKey(algorithm, { extractable: true });
        const b = backend.generateKey(algorithm, { extractable: true });
        expect(toHex(backend.exportKey(a))).not.toBe(toHex(backend.exportKey(b)));
        expect(backend.verify(backend.publicKey(a), message, backend.sign(a, message))).toBe(true);
        expect(backend.verify(backend.publicKey(b), message, backend.sign(a, message))).toBe(false);
      }),
      { numRuns: 20 },
    );
  });

  for (const variant of AEAD_VARIANTS) {
    test(`property: ${variant.name} decrypts what it encrypts (plaintext 0..4096 bytes, optional AAD)`, () => {
      fc.assert(
        fc.property(rawKey(variant.keyLength), nonceArb, payload, optionalAad, (raw, nonce, plaintext, aad) => {
          const key = backend.importKey(variant.algorithm, 'secret', raw);
          const sealed = backend.aeadEncrypt(key, aeadInput(nonce, plaintext, aad));
          expect(sealed.length).toBe(plaintext.length + 16);
          const opened = backend.aeadDecrypt(key, aeadDecryptInput(nonce, sealed, aad));
          expect(toHex(opened)).toBe(toHex(plaintext));
          /* Absent AAD and empty AAD are the same thing. */
          if (aad === undefined) {
            expect(toHex(backend.aeadDecrypt(key, { nonce, ciphertext: sealed, aad: new Uint8Array(0) }))).toBe(toHex(plaintext));
          }
        }),
        { numRuns: 100 },
      );
    });

    test(`property: ${variant.name} rejects a wrong key, a wrong AAD and any flipped bit with ERR_DECRYPTION_FAILED`, () => {
      fc.assert(
        fc.property(
          rawKey(variant.keyLength), rawKey(variant.keyLength), nonceArb, fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ minLength: 1, maxLength: 64 }),
          fc.nat(), fc.integer({ min: 0, max: 7 }),
          (raw, otherRaw, nonce, plaintext, aad, at, bit) => {
            const key = backend.importKey(variant.algorithm, 'secret', raw);
            const sealed = backend.aeadEncrypt(key, { nonce, plaintext, aad });
            const tampered = flipBit(sealed, at % sealed.length, bit);
            expectWardError(() => backend.aeadDecrypt(key, { nonce, ciphertext: tampered, aad }), DecryptionError, 'ERR_DECRYPTION_FAILED');
            expectWardError(() => backend.aeadDecrypt(key, { nonce, ciphertext: sealed, aad: flipBit(aad, at % aad.length, bit) }), DecryptionError, 'ERR_DECRYPTION_FAILED');
            expectWardError(() => backend.aeadDecrypt(key, { nonce: flipBit(nonce, at % 12, bit), ciphertext: sealed, aad }), DecryptionError, 'ERR_DECRYPTION_FAILED');
            expectWardError(() => backend.aeadDecrypt(key, { nonce, ciphertext: sealed }), DecryptionError, 'ERR_DECRYPTION_FAILED');
            if (toHex(otherRaw) !== toHex(raw)) {
              const wrongKey = backend.importKey(variant.algorithm, 'secret', otherRaw);
              expectWardError(() => backend.aeadDecrypt(wrongKey, { nonce, ciphertext: sealed, aad }), DecryptionError, 'ERR_DECRYPTION_FAILED');
            }
            /* Truncated below the tag length. */
            expectWardError(() => backend.aeadDecrypt(key, { nonce, ciphertext: sealed.subarray(0, at % 16), aad }), DecryptionError, 'ERR_DECRYPTION_FAILED');
          },
        ),
        { numRuns: 100 },
      );
    });
  }

  test('property: AES-KW unwraps what it wraps (KEK 16/24/32, key data 16..64 bytes), deterministically', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((n) => rawKey(n)),
        fc.integer({ min: 2, max: 8 }).chain((blocks) => rawKey(blocks * 8)),
        (rawKek, keyData) => {
          const kek = backend.importKey('AES-KW', 'secret', rawKek);
          const wrapped = backend.wrapKey(kek, keyData);
          expect(wrapped.length).toBe(keyData.length + 8);
          expect(toHex(backend.wrapKey(kek, keyData))).toBe(toHex(wrapped));
          expect(toHex(backend.unwrapKey(kek, wrapped))).toBe(toHex(keyData));
        },
      ),
      { numRuns: 100 },
    );
  });

  test('property: AES-KW rejects any flipped bit and a wrong KEK with ERR_DECRYPTION_FAILED', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32).chain((n) => fc.tuple(rawKey(n), rawKey(n))),
        fc.integer({ min: 2, max: 8 }).chain((blocks) => rawKey(blocks * 8)),
        fc.nat(), fc.integer({ min: 0, max: 7 }),
        ([rawKek, otherKek], keyData, at, bit) => {
          const kek = backend.importKey('AES-KW', 'secret', rawKek);
          const wrapped = backend.wrapKey(kek, keyData);
          expectWardError(() => backend.unwrapKey(kek, flipBit(wrapped, at % wrapped.length, bit)), DecryptionError, 'ERR_DECRYPTION_FAILED');
          if (toHex(otherKek) !== toHex(rawKek)) {
            expectWardError(() => backend.unwrapKey(backend.importKey('AES-KW', 'secret', otherKek), wrapped), DecryptionError, 'ERR_DECRYPTION_FAILED');
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  test('property: HMAC-SHA256 tags are 32 bytes, match node:crypto, verify, and reject flipped bits and wrong lengths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 32, max: 128 }).chain((n) => rawKey(n)), payload, fc.nat(), fc.integer({ min: 0, max: 7 }),
        (raw, data, at, bit) => {
          const key = backend.importKey('HMAC-SHA256', 'secret', raw);
          const tag = backend.hmacSha256(key, data);
          expect(toHex(tag)).toBe(createHmac('sha256', raw).update(data).digest('hex'));
          expect(backend.hmacSha256Verify(key, data, tag)).toBe(true);
          expect(backend.hmacSha256Verify(key, data, flipBit(tag, at % 32, bit))).toBe(false);
          expect(backend.hmacSha256Verify(key, data, tag.subarray(0, at % 32))).toBe(false);
          expect(backend.hmacSha256Verify(key, data, new Uint8Array([...tag, 0]))).toBe(false);
          if (data.length > 0) expect(backend.hmacSha256Verify(key, flipBit(data, at % data.length, bit), tag)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });

  test('property: SHA-256 matches node:crypto', () => {
    fc.assert(
      fc.property(payload, (data) => {
        expect(toHex(backend.sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
      }),
      { numRuns: 100 },
    );
  });

  test('property: HKDF output has the requested length (1..8160) and is a prefix-consistent stream', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }), optionalAad, optionalAad, fc.integer({ min: 1, max: 8160 }), fc.integer({ min: 1, max: 8160 }),
        (ikm, salt, info, length, shorter) => {
          const input = { ikm, length, ...(salt === undefined ? {} : { salt }), ...(info === undefined ? {} : { info }) };
          const okm = backend.hkdfSha256(input);
          expect(okm.length).toBe(length);
          const m = Math.min(length, shorter);
          /* RFC 5869 §2.3: T(1) ‖ T(2) ‖ …, so a shorter output is a prefix of a longer one. */
          expect(toHex(backend.hkdfSha256({ ...input, length: m }))).toBe(toHex(okm.subarray(0, m)));
        },
      ),
      { numRuns: 50 },
    );
  });

  test('property: X25519 and ECDH-P256: both sides of an exchange agree', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.constant('X25519' as const), rawKey(32), rawKey(32)),
          fc.tuple(fc.constant('ECDH-P256' as const), p256Scalar, p256Scalar),
        ),
        ([algorithm, rawA, rawB]) => {
          const a = backend.importKey(algorithm, 'private', rawA);
          const b = backend.importKey(algorithm, 'private', rawB);
          const ab = backend.deriveSharedSecret(a, backend.publicKey(b));
          const ba = backend.deriveSharedSecret(b, backend.publicKey(a));
          expect(ab.length).toBe(32);
          expect(toHex(ab)).toBe(toHex(ba));
        },
      ),
      { numRuns: 50 },
    );
  });

  test('X25519 with a low-order (all-zero) peer key is ERR_KEY_AGREEMENT_FAILED', () => {
    const a = backend.generateKey('X25519');
    for (const lowOrder of [new Uint8Array(32), hex('0100000000000000000000000000000000000000000000000000000000000000')]) {
      const peer = backend.importKey('X25519', 'public', lowOrder);
      expectWardError(() => backend.deriveSharedSecret(a, peer), KeyAgreementError, 'ERR_KEY_AGREEMENT_FAILED');
    }
  });

  test('property: exported keys re-import to the same key (same public key, same export)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_ALGORITHMS), (algorithm) => {
        const key = backend.generateKey(algorithm, { extractable: true });
        const raw = backend.exportKey(key);
        const again = backend.importKey(algorithm, key.kind, raw, { extractable: true });
        expect(toHex(backend.exportKey(again))).toBe(toHex(raw));
        if (ASYMMETRIC.includes(algorithm)) {
          const pub = backend.exportKey(backend.publicKey(key as KeyHandle<'Ed25519', 'private'>));
          const pubAgain = backend.exportKey(backend.publicKey(again as KeyHandle<'Ed25519', 'private'>));
          expect(toHex(pubAgain)).toBe(toHex(pub));
          expect(toHex(backend.exportKey(backend.importKey(algorithm, 'public', pub)))).toBe(toHex(pub));
        }
      }),
      { numRuns: 40 },
    );
  });

  test('generated symmetric keys are 32 bytes; P-256 public keys export as 65-byte SEC1 and accept compressed input', () => {
    for (const algorithm of SYMMETRIC) {
      expect(backend.exportKey(backend.generateKey(algorithm, { extractable: true })).length).toBe(32);
    }
    for (const algorithm of ['ECDSA-P256', 'ECDH-P256'] as const) {
      const pub = backend.exportKey(backend.publicKey(backend.generateKey(algorithm)));
      expect(pub.length).toBe(65);
      expect(pub[0]).toBe(0x04);
      const compressed = new Uint8Array([0x02 | (pub[64]! & 1), ...pub.subarray(1, 33)]);
      expect(toHex(backend.exportKey(backend.importKey(algorithm, 'public', compressed)))).toBe(toHex(pub));
    }
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Misuse                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** One key of every (algorithm, kind) held by `b`. */
function keyZoo(b: NobleBackend): { algorithm: KeyAlgorithm; kind: KeyKind; key: KeyHandle }[] {
  const zoo: { algorithm: KeyAlgorithm; kind: KeyKind; key: KeyHandle }[] = [];
  for (const algorithm of ALL_ALGORITHMS) {
    const key = b.generateKey(algorithm);
    zoo.push({ algorithm, kind: key.kind, key });
    if (ASYMMETRIC.includes(algorithm)) {
      zoo.push({ algorithm, kind: 'public', key: b.publicKey(key as KeyHandle<'Ed25519', 'private'>) });
    }
  }
  return zoo;
}

/** Every key-taking operation, with the (algorithm, kind) pairs it accepts. */
function operations(b: NobleBackend) {
  const nonce = new Uint8Array(12);
  const x25519Public = b.publicKey(b.generateKey('X25519'));
  const p256Public = b.publicKey(b.generateKey('ECDH-P256'));
  return [
    { name: 'sign', accepts: ['Ed25519/private', 'ECDSA-P256/private'], run: (k: KeyHandle) => b.sign(k as SigningKey, new Uint8Array(1)) },
    { name: 'verify', accepts: ['Ed25519/public', 'ECDSA-P256/public'], run: (k: KeyHandle) => b.verify(k as VerifyingKey, new Uint8Array(1), new Uint8Array(64)) },
    { name: 'publicKey', accepts: ['Ed25519/private', 'ECDSA-P256/private', 'X25519/private', 'ECDH-P256/private'], run: (k: KeyHandle) => b.publicKey(k as KeyHandle<'Ed25519', 'private'>) },
    {
      name: 'deriveSharedSecret',
      accepts: ['X25519/private', 'ECDH-P256/private'],
      run: (k: KeyHandle) => b.deriveSharedSecret(k as AgreementPrivateKey, (k.algorithm === 'ECDH-P256' ? p256Public : x25519Public) as AgreementPublicKey),
    },
    { name: 'hmacSha256', accepts: ['HMAC-SHA256/secret'], run: (k: KeyHandle) => b.hmacSha256(k as MacKey, new Uint8Array(1)) },
    { name: 'hmacSha256Verify', accepts: ['HMAC-SHA256/secret'], run: (k: KeyHandle) => b.hmacSha256Verify(k as MacKey, new Uint8Array(1), new Uint8Array(32)) },
    { name: 'aeadEncrypt', accepts: ['AES-GCM/secret', 'ChaCha20-Poly1305/secret'], run: (k: KeyHandle) => b.aeadEncrypt(k as AeadKey, { nonce, plaintext: new Uint8Array(1) }) },
    { name: 'aeadDecrypt', accepts: ['AES-GCM/secret', 'ChaCha20-Poly1305/secret'], run: (k: KeyHandle) => b.aeadDecrypt(k as AeadKey, { nonce, ciphertext: new Uint8Array(17) }) },
    { name: 'wrapKey', accepts: ['AES-KW/secret'], run: (k: KeyHandle) => b.wrapKey(k as WrappingKey, new Uint8Array(16)) },
    { name: 'unwrapKey', accepts: ['AES-KW/secret'], run: (k: KeyHandle) => b.unwrapKey(k as WrappingKey, new Uint8Array(24)) },
    { name: 'exportKey', accepts: [], run: (k: KeyHandle) => b.exportKey(k) },
  ];
}

describe('noble backend: misuse', () => {
  test('a handle from a second noble instance is ERR_KEY_FOREIGN for every operation', () => {
    const foreignZoo = keyZoo(other);
    for (const op of operations(backend)) {
      for (const { key } of foreignZoo) expectWardError(() => op.run(key), KeyError, 'ERR_KEY_FOREIGN');
    }
    /* …also as the peer key of an agreement. */
    const mine = backend.generateKey('X25519');
    const foreignPeer = other.publicKey(other.generateKey('X25519'));
    expectWardError(() => backend.deriveSharedSecret(mine, foreignPeer), KeyError, 'ERR_KEY_FOREIGN');
  });

  test('a forged handle (plain object with handle fields) is ERR_KEY_FOREIGN; a non-object is ERR_INVALID_ARGUMENT', () => {
    const forged = { algorithm: 'AES-GCM', kind: 'secret', backend: 'noble', extractable: true } as AeadKey;
    expectWardError(() => backend.aeadEncrypt(forged, { nonce: new Uint8Array(12), plaintext: new Uint8Array(0) }), KeyError, 'ERR_KEY_FOREIGN');
    expectWardError(() => backend.exportKey(forged), KeyError, 'ERR_KEY_FOREIGN');
    const real = backend.generateKey('AES-GCM', { extractable: true });
    expectWardError(() => backend.exportKey({ ...real }), KeyError, 'ERR_KEY_FOREIGN');
    for (const notAHandle of [null, undefined, 'key', 42]) {
      expectWardError(() => backend.hmacSha256(notAHandle as unknown as MacKey, new Uint8Array(1)), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
  });

  test('a key of the wrong algorithm or kind is ERR_KEY_USAGE for every operation', () => {
    const zoo = keyZoo(backend);
    let checked = 0;
    for (const op of operations(backend)) {
      if (op.name === 'exportKey') continue;
      for (const { algorithm, kind, key } of zoo) {
        if (op.accepts.includes(`${algorithm}/${kind}`)) continue;
        expectWardError(() => op.run(key), KeyError, 'ERR_KEY_USAGE');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  test('ECDH with keys of two different curves is ERR_KEY_USAGE', () => {
    const x = backend.generateKey('X25519');
    const p = backend.generateKey('ECDH-P256');
    expectWardError(() => backend.deriveSharedSecret(x, backend.publicKey(p)), KeyError, 'ERR_KEY_USAGE');
    expectWardError(() => backend.deriveSharedSecret(p, backend.publicKey(x)), KeyError, 'ERR_KEY_USAGE');
    /* An ECDSA-P256 public key is not an ECDH-P256 key, though the curve is the same. */
    const ecdsaPublic = backend.publicKey(backend.generateKey('ECDSA-P256'));
    expectWardError(() => backend.deriveSharedSecret(p, ecdsaPublic as unknown as AgreementPublicKey), KeyError, 'ERR_KEY_USAGE');
  });

  test('importing with a kind the algorithm does not have is ERR_KEY_USAGE', () => {
    for (const algorithm of SYMMETRIC) {
      for (const kind of ['private', 'public'] as const) expectWardError(() => backend.importKey(algorithm, kind, new Uint8Array(32)), KeyError, 'ERR_KEY_USAGE');
    }
    for (const algorithm of ASYMMETRIC) expectWardError(() => backend.importKey(algorithm, 'secret', new Uint8Array(32)), KeyError, 'ERR_KEY_USAGE');
  });

  test('property: raw keys of a wrong length are ERR_KEY_INVALID', () => {
    const valid: Record<string, (n: number) => boolean> = {
      'Ed25519/private': (n) => n === 32,
      'Ed25519/public': (n) => n === 32,
      'X25519/private': (n) => n === 32,
      'X25519/public': (n) => n === 32,
      'ECDSA-P256/private': (n) => n === 32,
      'ECDSA-P256/public': (n) => n === 33 || n === 65,
      'ECDH-P256/private': (n) => n === 32,
      'ECDH-P256/public': (n) => n === 33 || n === 65,
      'AES-GCM/secret': (n) => n === 16 || n === 24 || n === 32,
      'AES-KW/secret': (n) => n === 16 || n === 24 || n === 32,
      'ChaCha20-Poly1305/secret': (n) => n === 32,
      'HMAC-SHA256/secret': (n) => n >= 32 && n <= 128,
    };
    const pairs = Object.keys(valid).map((pair) => pair.split('/') as [KeyAlgorithm, KeyKind]);
    fc.assert(
      fc.property(fc.constantFrom(...pairs), fc.uint8Array({ maxLength: 160 }), ([algorithm, kind], raw) => {
        fc.pre(!valid[`${algorithm}/${kind}`]!(raw.length));
        expectWardError(() => backend.importKey(algorithm, kind, raw, { extractable: true }), KeyError, 'ERR_KEY_INVALID');
      }),
      { numRuns: 300 },
    );
  });

  test('P-256 private scalars 0 and ≥ n are ERR_KEY_INVALID; 1 and n-1 are accepted', () => {
    for (const algorithm of ['ECDSA-P256', 'ECDH-P256'] as const) {
      for (const scalar of [0n, P256_N, P256_N + 1n, 2n ** 256n - 1n]) {
        expectWardError(() => backend.importKey(algorithm, 'private', bigIntTo32Bytes(scalar)), KeyError, 'ERR_KEY_INVALID');
      }
      for (const scalar of [1n, P256_N - 1n]) {
        const key = backend.importKey(algorithm, 'private', bigIntTo32Bytes(scalar));
        expect(backend.exportKey(backend.publicKey(key)).length).toBe(65);
      }
    }
  });

  test('property: P-256 scalars in [n, 2^256) are ERR_KEY_INVALID', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: P256_N, max: 2n ** 256n - 1n }), (scalar) => {
        expectWardError(() => backend.importKey('ECDSA-P256', 'private', bigIntTo32Bytes(scalar)), KeyError, 'ERR_KEY_INVALID');
      }),
      { numRuns: 100 },
    );
  });

  test('property: P-256 public keys off the curve are ERR_KEY_INVALID', () => {
    fc.assert(
      fc.property(p256Scalar, fc.constantFrom('ECDSA-P256' as const, 'ECDH-P256' as const), fc.integer({ min: 1, max: 1000 }), (scalar, algorithm, delta) => {
        const pub = backend.exportKey(backend.publicKey(backend.importKey(algorithm, 'private', scalar)));
        /* (x, y + δ) is on the curve only if 2yδ + δ² ≡ 0 (mod p): never for these δ. */
        const y = bytesToBigInt(pub.subarray(33));
        const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
        const offCurve = new Uint8Array([...pub.subarray(0, 33), ...bigIntTo32Bytes((y + BigInt(delta)) % p)]);
        expectWardError(() => backend.importKey(algorithm, 'public', offCurve), KeyError, 'ERR_KEY_INVALID');
      }),
      { numRuns: 50 },
    );
  });

  test('property: random 65-byte SEC1 strings are not P-256 points (ERR_KEY_INVALID)', () => {
    fc.assert(
      fc.property(rawKey(64), (xy) => {
        expectWardError(() => backend.importKey('ECDH-P256', 'public', new Uint8Array([0x04, ...xy])), KeyError, 'ERR_KEY_INVALID');
      }),
      { numRuns: 100 },
    );
  });

  test('P-256: the identity, coordinates ≥ p and compressed x without a square root are ERR_KEY_INVALID', () => {
    const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
    expectWardError(() => backend.importKey('ECDSA-P256', 'public', new Uint8Array([0x04, ...new Uint8Array(64)])), KeyError, 'ERR_KEY_INVALID');
    expectWardError(() => backend.importKey('ECDSA-P256', 'public', new Uint8Array([0x00])), KeyError, 'ERR_KEY_INVALID');
    const pub = backend.exportKey(backend.publicKey(backend.generateKey('ECDSA-P256')));
    /* x + p: same value mod p, but a non-canonical encoding. Only representable when x < 2^256 - p. */
    const x = bytesToBigInt(pub.subarray(1, 33));
    if (x + p < 2n ** 256n) {
      expectWardError(() => backend.importKey('ECDSA-P256', 'public', new Uint8Array([0x04, ...bigIntTo32Bytes(x + p), ...pub.subarray(33)])), KeyError, 'ERR_KEY_INVALID');
    }
    expectWardError(() => backend.importKey('ECDSA-P256', 'public', new Uint8Array([0x04, ...bigIntTo32Bytes(p), ...bigIntTo32Bytes(0n)])), KeyError, 'ERR_KEY_INVALID');
    /* Compressed encodings: count x values in 0..63 that do not decode; about half of them. */
    let rejected = 0;
    for (let i = 0n; i < 64n; i++) {
      try {
        backend.importKey('ECDSA-P256', 'public', new Uint8Array([0x02, ...bigIntTo32Bytes(i)]));
      } catch (error) {
        expect(KeyError.isInstance(error) && error.code === 'ERR_KEY_INVALID').toBe(true);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(10);
    expect(rejected).toBeLessThan(54);
  });

  test('Ed25519: a non-canonical public key encoding (y ≥ p) is ERR_KEY_INVALID', () => {
    /* y = 2^255 - 1 > p = 2^255 - 19. */
    const y = new Uint8Array(32).fill(0xff);
    y[31] = 0x7f;
    expectWardError(() => backend.importKey('Ed25519', 'public', y), KeyError, 'ERR_KEY_INVALID');
  });

  test('property: AEAD nonces that are not 12 bytes are ERR_INVALID_ARGUMENT', () => {
    const keys = AEAD_VARIANTS.map((v) => backend.importKey(v.algorithm, 'secret', new Uint8Array(v.keyLength)));
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.uint8Array({ maxLength: 64 }).filter((n) => n.length !== 12), (key, nonce) => {
        expectWardError(() => backend.aeadEncrypt(key, { nonce, plaintext: new Uint8Array(8) }), ArgumentError, 'ERR_INVALID_ARGUMENT');
        expectWardError(() => backend.aeadDecrypt(key, { nonce, ciphertext: new Uint8Array(24) }), ArgumentError, 'ERR_INVALID_ARGUMENT');
      }),
      { numRuns: 100 },
    );
  });

  test('non-Uint8Array inputs are ERR_INVALID_ARGUMENT', () => {
    const aead = backend.generateKey('AES-GCM');
    const notBytes = [null, undefined, 'abc', [1, 2, 3], new ArrayBuffer(12)] as unknown as Uint8Array[];
    for (const value of notBytes) {
      expectWardError(() => backend.sha256(value), ArgumentError, 'ERR_INVALID_ARGUMENT');
      expectWardError(() => backend.aeadEncrypt(aead, { nonce: value, plaintext: new Uint8Array(0) }), ArgumentError, 'ERR_INVALID_ARGUMENT');
      expectWardError(() => backend.aeadEncrypt(aead, { nonce: new Uint8Array(12), plaintext: value }), ArgumentError, 'ERR_INVALID_ARGUMENT');
      if (value !== undefined) {
        expectWardError(() => backend.aeadEncrypt(aead, { nonce: new Uint8Array(12), plaintext: new Uint8Array(0), aad: value }), ArgumentError, 'ERR_INVALID_ARGUMENT');
      }
      expectWardError(() => backend.importKey('AES-GCM', 'secret', value), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
  });

  test('exporting a non-extractable key is ERR_KEY_NOT_EXTRACTABLE', () => {
    for (const algorithm of ALL_ALGORITHMS) {
      const generated = backend.generateKey(algorithm);
      expectWardError(() => backend.exportKey(generated), KeyError, 'ERR_KEY_NOT_EXTRACTABLE');
      expectWardError(() => backend.exportKey(backend.generateKey(algorithm, { extractable: false })), KeyError, 'ERR_KEY_NOT_EXTRACTABLE');
      const raw = backend.exportKey(backend.generateKey(algorithm, { extractable: true }));
      expectWardError(() => backend.exportKey(backend.importKey(algorithm, generated.kind, raw)), KeyError, 'ERR_KEY_NOT_EXTRACTABLE');
    }
  });

  test('HKDF lengths outside 1..8160 are ERR_INVALID_ARGUMENT', () => {
    const ikm = new Uint8Array(32);
    for (const length of [0, -1, 8161, 255 * 32 + 1, 1 << 20, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectWardError(() => backend.hkdfSha256({ ikm, length }), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
    expect(backend.hkdfSha256({ ikm, length: 8160 }).length).toBe(8160);
    expect(backend.hkdfSha256({ ikm, length: 1 }).length).toBe(1);
  });

  test('property: key data to wrap that is not 16..4096 bytes in multiples of 8 is ERR_INVALID_ARGUMENT', () => {
    const kek = backend.generateKey('AES-KW');
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 4097, max: 4200 })).filter((n) => n < 16 || n > 4096 || n % 8 !== 0),
        (length) => {
          expectWardError(() => backend.wrapKey(kek, new Uint8Array(length)), ArgumentError, 'ERR_INVALID_ARGUMENT');
        },
      ),
      { numRuns: 100 },
    );
  });

  test('property: wrapped input of an impossible length is ERR_DECRYPTION_FAILED', () => {
    const kek = backend.generateKey('AES-KW');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }).filter((n) => n < 24 || n % 8 !== 0), (length) => {
        expectWardError(() => backend.unwrapKey(kek, new Uint8Array(length)), DecryptionError, 'ERR_DECRYPTION_FAILED');
      }),
      { numRuns: 100 },
    );
  });

  test('verify returns false (never throws) for malformed signatures of any length', () => {
    for (const algorithm of ['Ed25519', 'ECDSA-P256'] as const) {
      const pk = backend.publicKey(backend.generateKey(algorithm));
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 130 }), fc.uint8Array({ maxLength: 32 }), (signature, message) => {
          expect(backend.verify(pk, message, signature)).toBe(false);
        }),
        { numRuns: 100 },
      );
    }
  });

  test('property: Ed25519 rejects a non-canonical S (S + L) of a valid signature', () => {
    fc.assert(
      fc.property(rawKey(32), fc.uint8Array({ maxLength: 64 }), (seed, message) => {
        const sk = backend.importKey('Ed25519', 'private', seed);
        const signature = backend.sign(sk, message);
        const s = bytesToBigInt(signature.slice(32).reverse());
        const malleated = new Uint8Array([...signature.subarray(0, 32), ...bigIntTo32Bytes(s + ED25519_L).reverse()]);
        expect(backend.verify(backend.publicKey(sk), message, malleated)).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Handles                                                                                    */
/* ------------------------------------------------------------------------------------------ */

describe('noble backend: key handles', () => {
  const HANDLE_FIELDS = ['algorithm', 'kind', 'backend', 'extractable', 'size'];

  /** Asserts that nothing reachable from `handle` by the usual means shows `material`. */
  function expectOpaque(handle: KeyHandle, material: Uint8Array): void {
    const materialHex = toHex(material);
    const renderings = [
      String(handle),
      `${handle}`,
      JSON.stringify(handle),
      JSON.stringify({ nested: handle }),
      inspect(handle),
      inspect(handle, { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true, showProxy: true }),
    ];
    const decimal = Array.from(material.subarray(0, 8)).join(', ');
    const base64 = Buffer.from(material).toString('base64');
    for (const text of renderings) {
      expect(text).not.toContain(materialHex);
      expect(text.toLowerCase()).not.toContain(materialHex.slice(0, 16));
      expect(text).not.toContain(decimal);
      expect(text).not.toContain(base64.slice(0, 12));
      expect(text).not.toMatch(/Uint8Array|ArrayBuffer|Buffer/);
    }
    expect(Object.keys(handle).sort()).toEqual([...HANDLE_FIELDS].sort());
    expect(Reflect.ownKeys(handle).sort()).toEqual([...HANDLE_FIELDS].sort());
    for (const value of Object.values(Object.getOwnPropertyDescriptors(handle)).map((d) => d.value as unknown)) {
      expect(['string', 'boolean', 'number']).toContain(typeof value);
    }
    const proto = Object.getPrototypeOf(handle) as object;
    for (const key of Reflect.ownKeys(proto)) {
      expect(typeof (proto as Record<PropertyKey, unknown>)[key]).toBe('function');
    }
    expect(JSON.parse(JSON.stringify(handle))).toEqual({
      algorithm: handle.algorithm, kind: handle.kind, backend: 'noble', extractable: handle.extractable, size: handle.size,
    });
    expect(Object.isFrozen(handle)).toBe(true);
  }

  test('property: no handle reveals its material via String(), JSON.stringify, util.inspect or own keys', () => {
    const lengths: Record<KeyAlgorithm, number> = {
      'Ed25519': 32, 'X25519': 32, 'ECDSA-P256': 32, 'ECDH-P256': 32, 'AES-GCM': 32, 'ChaCha20-Poly1305': 32, 'AES-KW': 24, 'HMAC-SHA256': 48,
    };
    fc.assert(
      fc.property(fc.constantFrom(...ALL_ALGORITHMS), fc.boolean(), (algorithm, extractable) => {
        /* Random material (not fast-check's biased bytes) so that substrings are distinctive. */
        const raw = algorithm.includes('P256') ? backend.exportKey(backend.generateKey(algorithm, { extractable: true })) : backend.randomBytes(lengths[algorithm]);
        const kind: KeyKind = ASYMMETRIC.includes(algorithm) ? 'private' : 'secret';
        const key = backend.importKey(algorithm, kind, raw, { extractable });
        expectOpaque(key, raw);
        expect(String(key)).toBe(`KeyHandle(${algorithm} ${kind}, backend noble)`);
        if (ASYMMETRIC.includes(algorithm)) {
          const pub = backend.publicKey(key as KeyHandle<'Ed25519', 'private'>);
          expectOpaque(pub, backend.exportKey(pub));
        }
      }),
      { numRuns: 50 },
    );
  });

  test('handles are frozen: fields cannot be changed to reach the material', () => {
    const key = backend.generateKey('AES-GCM');
    expect(() => {
      (key as { extractable: boolean }).extractable = true;
    }).toThrow(TypeError);
    expect(key.extractable).toBe(false);
    expectWardError(() => backend.exportKey(key), KeyError, 'ERR_KEY_NOT_EXTRACTABLE');
  });

  test('extractable defaults to false for private and secret keys and is always true for public keys', () => {
    for (const algorithm of ALL_ALGORITHMS) {
      const generated = backend.generateKey(algorithm);
      expect(generated.extractable).toBe(false);
      expect(generated.backend).toBe('noble');
      expect(generated.algorithm).toBe(algorithm);
      expect(generated.kind).toBe(ASYMMETRIC.includes(algorithm) ? 'private' : 'secret');
      expect(backend.generateKey(algorithm, {}).extractable).toBe(false);
      expect(backend.generateKey(algorithm, { extractable: true }).extractable).toBe(true);
      const raw = backend.exportKey(backend.generateKey(algorithm, { extractable: true }));
      expect(backend.importKey(algorithm, generated.kind, raw).extractable).toBe(false);
      if (ASYMMETRIC.includes(algorithm)) {
        const pub = backend.publicKey(generated as KeyHandle<'Ed25519', 'private'>);
        expect(pub.kind).toBe('public');
        expect(pub.extractable).toBe(true);
        const pubRaw = backend.exportKey(pub);
        expect(backend.importKey(algorithm, 'public', pubRaw).extractable).toBe(true);
        expect(backend.importKey(algorithm, 'public', pubRaw, { extractable: false }).extractable).toBe(true);
      }
    }
  });

  test('property: size is the raw length of a secret key and 32 for every asymmetric key', () => {
    const secretLength: Record<string, fc.Arbitrary<number>> = {
      'AES-GCM': fc.constantFrom(16, 24, 32),
      'AES-KW': fc.constantFrom(16, 24, 32),
      'ChaCha20-Poly1305': fc.constant(32),
      'HMAC-SHA256': fc.integer({ min: 32, max: 128 }),
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...SYMMETRIC).chain((algorithm) => fc.tuple(fc.constant(algorithm), secretLength[algorithm]!)),
        fc.constantFrom(...ASYMMETRIC),
        ([symmetric, length], asymmetric) => {
          expect(backend.importKey(symmetric, 'secret', new Uint8Array(length).fill(7)).size).toBe(length);
          expect(backend.generateKey(symmetric).size).toBe(32);
          const key = backend.generateKey(asymmetric);
          expect(key.size).toBe(32);
          expect(backend.publicKey(key as KeyHandle<'Ed25519', 'private'>).size).toBe(32);
        },
      ),
      { numRuns: 50 },
    );
  });

  test('importKey copies its input: later changes to the caller\'s bytes do not change the key', () => {
    const raw = backend.randomBytes(32);
    const key = backend.importKey('AES-GCM', 'secret', raw, { extractable: true });
    const nonce = new Uint8Array(12);
    const before = backend.aeadEncrypt(key, { nonce, plaintext: new Uint8Array(16) });
    raw.fill(0);
    expect(toHex(backend.aeadEncrypt(key, { nonce, plaintext: new Uint8Array(16) }))).toBe(toHex(before));
    /* …and exportKey returns a copy. */
    const exported = backend.exportKey(key);
    exported.fill(1);
    expect(toHex(backend.aeadEncrypt(key, { nonce, plaintext: new Uint8Array(16) }))).toBe(toHex(before));
  });
});
