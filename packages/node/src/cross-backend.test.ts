/*
 * Properties across backends: what one backend produces the other accepts, deterministic
 * primitives agree byte for byte, and a single flipped bit anywhere is rejected by both.
 * Every key is imported into both backends from the SAME raw bytes.
 */
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createNobleBackend, WardError } from '@ward/core';
import { DecryptionError } from '@ward/core/errors';
import type {
  AeadAlgorithm, CryptoBackend, KeyAgreementAlgorithm, KeyAlgorithm, KeyHandle, KeyKind, SignatureAlgorithm,
} from '@ward/core';
import { createNodeBackend } from '@ward/node';

/* ------------------------------------------------------------------------------------------ */
/* Backends, arbitraries, helpers                                                             */
/* ------------------------------------------------------------------------------------------ */

type BackendName = 'noble' | 'node';
const BACKENDS: Record<BackendName, CryptoBackend> = { noble: createNobleBackend(), node: createNodeBackend() };
const NAMES: readonly BackendName[] = ['noble', 'node'];
const PAIRS: readonly (readonly [BackendName, BackendName])[] = [['noble', 'node'], ['node', 'noble']];

/** P-256 group order n. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/* Runs: cheap properties (symmetric primitives, Ed25519/X25519) get 100; those that run noble's
 * P-256 (≈1 ms sign, ≈2 ms verify/ECDH) several times per run get 50. */
const CHEAP = { numRuns: 100 };
const P256 = { numRuns: 50 };

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
function bytesToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${toHex(bytes) || '0'}`);
}
function bigIntTo32Bytes(value: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(value.toString(16).padStart(64, '0'), 'hex'));
}
/** A copy of `bytes` with bit `bit` of byte `index` flipped. */
function flipBit(bytes: Uint8Array, index: number, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = copy[index]! ^ (1 << bit);
  return copy;
}

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
/** Payloads of 0..4096 bytes. */
const payload = fc.uint8Array({ maxLength: 4096 });
const nonEmptyPayload = fc.uint8Array({ minLength: 1, maxLength: 4096 });
/** Absent, empty or up to 256 bytes of AAD. */
const optionalAad = fc.option(fc.uint8Array({ maxLength: 256 }), { nil: undefined });
/** A P-256 private scalar in [1, n-1], 32 bytes big-endian. */
const p256Scalar = fc.bigInt({ min: 1n, max: P256_N - 1n }).map(bigIntTo32Bytes);
/** Raw private key bytes for an asymmetric algorithm. */
const privateRaw = (algorithm: SignatureAlgorithm | KeyAgreementAlgorithm) => (algorithm.endsWith('P256') ? p256Scalar : bytes(32));
/** A bit position: fast-check picks the byte (modulo the target's length) and the bit. */
const bitPosition = fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) });

interface AeadVariant {
  readonly name: string;
  readonly algorithm: AeadAlgorithm;
  readonly keyLength: number;
}
const AEAD_VARIANTS: readonly AeadVariant[] = [
  { name: 'AES-128-GCM', algorithm: 'AES-GCM', keyLength: 16 },
  { name: 'AES-192-GCM', algorithm: 'AES-GCM', keyLength: 24 },
  { name: 'AES-256-GCM', algorithm: 'AES-GCM', keyLength: 32 },
  { name: 'ChaCha20-Poly1305', algorithm: 'ChaCha20-Poly1305', keyLength: 32 },
];
const aeadCase = (variant: AeadVariant, plaintext = payload, aad = optionalAad) =>
  fc.record({ key: bytes(variant.keyLength), nonce: bytes(12), plaintext, aad });
/** A KEK of 16, 24 or 32 bytes and key data of 16..64 bytes in multiples of 8. */
const wrapCase = fc.record({
  kek: fc.constantFrom(16, 24, 32).chain((n) => bytes(n)),
  keyData: fc.integer({ min: 2, max: 8 }).chain((blocks) => bytes(blocks * 8)),
});
/** An HMAC key of 32..128 bytes. */
const hmacKey = fc.integer({ min: 32, max: 128 }).chain((n) => bytes(n));

const ALL_ALGORITHMS: readonly KeyAlgorithm[] = [
  'Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256', 'AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256',
];
const isAsymmetric = (algorithm: KeyAlgorithm): algorithm is SignatureAlgorithm | KeyAgreementAlgorithm =>
  algorithm === 'Ed25519' || algorithm === 'ECDSA-P256' || algorithm === 'X25519' || algorithm === 'ECDH-P256';

function encryptInput(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined) {
  return aad === undefined ? { nonce, plaintext } : { nonce, plaintext, aad };
}
function decryptInput(nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array | undefined) {
  return aad === undefined ? { nonce, ciphertext } : { nonce, ciphertext, aad };
}

/** The public key of `raw` (a private key) as `backend` derives and exports it. */
async function publicBytes(backend: CryptoBackend, algorithm: SignatureAlgorithm | KeyAgreementAlgorithm, raw: Uint8Array): Promise<Uint8Array> {
  const key = await backend.importKey(algorithm, 'private', raw);
  return backend.exportKey(await backend.publicKey(key));
}

/**
 * Asserts that `run` throws a DecryptionError with code ERR_DECRYPTION_FAILED and returns
 * nothing. `where` names the backend and tampered field for the failure message.
 */
async function expectDecryptionFailed(where: string, run: () => unknown): Promise<void> {
  let returned: unknown = undefined;
  let threw = false;
  let caught: unknown;
  try {
    returned = await run();
  } catch (error) {
    threw = true;
    caught = error;
  }
  expect(returned, `${where}: returned data instead of failing`).toBeUndefined();
  expect(threw, `${where}: did not throw`).toBe(true);
  expect(WardError.isInstance(caught), `${where}: threw a non-WardError ${String(caught)}`).toBe(true);
  expect(DecryptionError.isInstance(caught), `${where}: threw ${String(caught)}`).toBe(true);
  expect((caught as WardError).code, where).toBe('ERR_DECRYPTION_FAILED');
}

/* ------------------------------------------------------------------------------------------ */
/* A produces, B accepts                                                                      */
/* ------------------------------------------------------------------------------------------ */

for (const [a, b] of PAIRS) {
  const A = BACKENDS[a];
  const B = BACKENDS[b];

  describe(`${a} → ${b}`, () => {
    for (const algorithm of ['Ed25519', 'ECDSA-P256'] as const) {
      test(`whatever ${a} signs with ${algorithm}, ${b} verifies`, async () => {
        await fc.assert(
          fc.asyncProperty(privateRaw(algorithm), payload, async (raw, message) => {
            const signature = await A.sign(await A.importKey(algorithm, 'private', raw), message);
            expect(signature.length).toBe(64);
            /* B's own public key for the same private bytes… */
            const ownPublic = await B.publicKey(await B.importKey(algorithm, 'private', raw));
            expect(await B.verify(ownPublic, message, signature)).toBe(true);
            /* …and A's exported public key imported into B. */
            const importedPublic = await B.importKey(algorithm, 'public', await publicBytes(A, algorithm, raw));
            expect(await B.verify(importedPublic, message, signature)).toBe(true);
          }),
          algorithm === 'Ed25519' ? CHEAP : P256,
        );
      });
    }

    for (const variant of AEAD_VARIANTS) {
      test(`whatever ${a} encrypts with ${variant.name}, ${b} decrypts to the same plaintext`, async () => {
        await fc.assert(
          fc.asyncProperty(aeadCase(variant), async ({ key, nonce, plaintext, aad }) => {
            const sealed = await A.aeadEncrypt(await A.importKey(variant.algorithm, 'secret', key), encryptInput(nonce, plaintext, aad));
            expect(sealed.length).toBe(plaintext.length + 16);
            const keyB = await B.importKey(variant.algorithm, 'secret', key);
            expect(keyB.size).toBe(variant.keyLength);
            const opened = await B.aeadDecrypt(keyB, decryptInput(nonce, sealed, aad));
            expect(toHex(opened)).toBe(toHex(plaintext));
          }),
          CHEAP,
        );
      });
    }

    test(`whatever ${a} wraps with AES-KW (16/24/32-byte KEK, 16..64-byte key data), ${b} unwraps`, async () => {
      await fc.assert(
        fc.asyncProperty(wrapCase, async ({ kek, keyData }) => {
          const wrapped = await A.wrapKey(await A.importKey('AES-KW', 'secret', kek), keyData);
          expect(wrapped.length).toBe(keyData.length + 8);
          const unwrapped = await B.unwrapKey(await B.importKey('AES-KW', 'secret', kek), wrapped);
          expect(toHex(unwrapped)).toBe(toHex(keyData));
        }),
        CHEAP,
      );
    });

    test(`whatever HMAC-SHA256 tag ${a} computes, ${b} verifies`, async () => {
      await fc.assert(
        fc.asyncProperty(hmacKey, payload, async (raw, data) => {
          const tag = await A.hmacSha256(await A.importKey('HMAC-SHA256', 'secret', raw), data);
          expect(await B.hmacSha256Verify(await B.importKey('HMAC-SHA256', 'secret', raw), data, tag)).toBe(true);
        }),
        CHEAP,
      );
    });

    for (const algorithm of ['X25519', 'ECDH-P256'] as const) {
      test(`${a}'s ${algorithm} shared secret with a public key exported by ${b} equals ${b}'s own`, async () => {
        await fc.assert(
          fc.asyncProperty(privateRaw(algorithm), privateRaw(algorithm), async (rawMine, rawPeer) => {
            const peerPublicFromB = await publicBytes(B, algorithm, rawPeer);
            const secretA = await A.deriveSharedSecret(
              await A.importKey(algorithm, 'private', rawMine),
              await A.importKey(algorithm, 'public', peerPublicFromB),
            );
            const secretB = await B.deriveSharedSecret(
              await B.importKey(algorithm, 'private', rawMine),
              await B.publicKey(await B.importKey(algorithm, 'private', rawPeer)),
            );
            expect(secretA.length).toBe(32);
            expect(toHex(secretA)).toBe(toHex(secretB));
          }),
          algorithm === 'X25519' ? CHEAP : P256,
        );
      });
    }

    test(`keys exported by ${a} import into ${b} with the same raw bytes and the same public key`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ALL_ALGORITHMS), async (algorithm) => {
          const generated = await A.generateKey(algorithm, { extractable: true });
          const raw = await A.exportKey(generated);
          const kind: KeyKind = generated.kind;
          const imported = await B.importKey(algorithm, kind, raw, { extractable: true });
          expect(imported.algorithm).toBe(algorithm);
          expect(imported.kind).toBe(kind);
          expect(imported.backend).toBe(b);
          expect(imported.size).toBe(generated.size);
          expect(toHex(await B.exportKey(imported))).toBe(toHex(raw));
          if (isAsymmetric(algorithm)) {
            const publicA = await A.exportKey(await A.publicKey(generated as KeyHandle<typeof algorithm, 'private'>));
            const publicB = await B.exportKey(await B.publicKey(imported as KeyHandle<typeof algorithm, 'private'>));
            expect(toHex(publicB)).toBe(toHex(publicA));
            /* A's public key, imported into B, exports unchanged. */
            expect(toHex(await B.exportKey(await B.importKey(algorithm, 'public', publicA)))).toBe(toHex(publicA));
          }
        }),
        { numRuns: 48 },
      );
    });
  });
}

/* ------------------------------------------------------------------------------------------ */
/* Both backends agree byte for byte                                                          */
/* ------------------------------------------------------------------------------------------ */

describe('noble and node agree', () => {
  const { noble, node } = BACKENDS;

  for (const variant of AEAD_VARIANTS) {
    test(`${variant.name} with the same key and nonce gives byte-identical output`, async () => {
      await fc.assert(
        fc.asyncProperty(aeadCase(variant), async ({ key, nonce, plaintext, aad }) => {
          const input = encryptInput(nonce, plaintext, aad);
          const fromNoble = await noble.aeadEncrypt(await noble.importKey(variant.algorithm, 'secret', key), input);
          const fromNode = await node.aeadEncrypt(await node.importKey(variant.algorithm, 'secret', key), input);
          expect(toHex(fromNode)).toBe(toHex(fromNoble));
        }),
        CHEAP,
      );
    });
  }

  test('AES-KW wraps are byte-identical (RFC 3394 is deterministic)', async () => {
    await fc.assert(
      fc.asyncProperty(wrapCase, async ({ kek, keyData }) => {
        const fromNoble = await noble.wrapKey(await noble.importKey('AES-KW', 'secret', kek), keyData);
        const fromNode = await node.wrapKey(await node.importKey('AES-KW', 'secret', kek), keyData);
        expect(toHex(fromNode)).toBe(toHex(fromNoble));
      }),
      CHEAP,
    );
  });

  test('HMAC-SHA256 tags are identical and each backend verifies the other\'s', async () => {
    await fc.assert(
      fc.asyncProperty(hmacKey, payload, async (raw, data) => {
        const nobleKey = await noble.importKey('HMAC-SHA256', 'secret', raw);
        const nodeKey = await node.importKey('HMAC-SHA256', 'secret', raw);
        const fromNoble = await noble.hmacSha256(nobleKey, data);
        const fromNode = await node.hmacSha256(nodeKey, data);
        expect(fromNode.length).toBe(32);
        expect(toHex(fromNode)).toBe(toHex(fromNoble));
        expect(await noble.hmacSha256Verify(nobleKey, data, fromNode)).toBe(true);
        expect(await node.hmacSha256Verify(nodeKey, data, fromNoble)).toBe(true);
      }),
      CHEAP,
    );
  });

  test('HKDF-SHA-256 outputs are identical (with and without salt and info, lengths 1..8160)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 128 }), optionalAad, optionalAad,
        fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 8160 }), fc.constantFrom(1, 32, 33, 8159, 8160)),
        async (ikm, salt, info, length) => {
          const input = { ikm, length, ...(salt === undefined ? {} : { salt }), ...(info === undefined ? {} : { info }) };
          const fromNoble = await noble.hkdfSha256(input);
          const fromNode = await node.hkdfSha256(input);
          expect(fromNode.length).toBe(length);
          expect(toHex(fromNode)).toBe(toHex(fromNoble));
        },
      ),
      CHEAP,
    );
  });

  test('SHA-256 digests are identical', async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (data) => {
        expect(toHex(await node.sha256(data))).toBe(toHex(await noble.sha256(data)));
      }),
      CHEAP,
    );
  });

  for (const algorithm of ['X25519', 'ECDH-P256'] as const) {
    test(`${algorithm}: both backends, both sides of an exchange, derive one shared secret`, async () => {
      await fc.assert(
        fc.asyncProperty(privateRaw(algorithm), privateRaw(algorithm), async (rawAlice, rawBob) => {
          const secrets: string[] = [];
          for (const name of NAMES) {
            const backend = BACKENDS[name];
            const alice = await backend.importKey(algorithm, 'private', rawAlice);
            const bob = await backend.importKey(algorithm, 'private', rawBob);
            secrets.push(toHex(await backend.deriveSharedSecret(alice, await backend.publicKey(bob))));
            secrets.push(toHex(await backend.deriveSharedSecret(bob, await backend.publicKey(alice))));
          }
          expect(secrets[0]!.length).toBe(64);
          expect(new Set(secrets).size, `secrets (noble a·B, noble b·A, node a·B, node b·A): ${secrets.join(' ')}`).toBe(1);
          /* Both backends derive the same public keys from the same private bytes. */
          expect(toHex(await publicBytes(node, algorithm, rawAlice))).toBe(toHex(await publicBytes(noble, algorithm, rawAlice)));
        }),
        algorithm === 'X25519' ? CHEAP : { numRuns: 40 },
      );
    });
  }

  test('Ed25519 signatures are identical (deterministic, RFC 8032 §5.1.6)', async () => {
    await fc.assert(
      fc.asyncProperty(bytes(32), payload, async (seed, message) => {
        const fromNoble = await noble.sign(await noble.importKey('Ed25519', 'private', seed), message);
        const fromNode = await node.sign(await node.importKey('Ed25519', 'private', seed), message);
        expect(toHex(fromNode)).toBe(toHex(fromNoble));
      }),
      CHEAP,
    );
  });

  test('ECDSA-P256 signatures differ (node draws k at random) but are all low-S and cross-verify', async () => {
    await fc.assert(
      fc.asyncProperty(p256Scalar, payload, async (raw, message) => {
        const nobleKey = await noble.importKey('ECDSA-P256', 'private', raw);
        const nodeKey = await node.importKey('ECDSA-P256', 'private', raw);
        const fromNoble = await noble.sign(nobleKey, message);
        const fromNode = await node.sign(nodeKey, message);
        expect(toHex(fromNode)).not.toBe(toHex(fromNoble));
        for (const [name, signature] of [['noble', fromNoble], ['node', fromNode]] as const) {
          expect(signature.length, name).toBe(64);
          const r = bytesToBigInt(signature.subarray(0, 32));
          const s = bytesToBigInt(signature.subarray(32));
          expect(r >= 1n && r < P256_N, `${name}: r in [1, n-1]`).toBe(true);
          expect(s >= 1n && s <= P256_N / 2n, `${name}: low-S (s = ${s.toString(16)})`).toBe(true);
          expect(await noble.verify(await noble.publicKey(nobleKey), message, signature), `noble verifies ${name}`).toBe(true);
          expect(await node.verify(await node.publicKey(nodeKey), message, signature), `node verifies ${name}`).toBe(true);
        }
      }),
      P256,
    );
  });

  test('P-256 public keys: compressed and uncompressed SEC1 import to the same 65-byte export on both', async () => {
    await fc.assert(
      fc.asyncProperty(p256Scalar, fc.constantFrom('ECDSA-P256' as const, 'ECDH-P256' as const), async (raw, algorithm) => {
        const uncompressed = await publicBytes(node, algorithm, raw);
        expect(uncompressed.length).toBe(65);
        expect(uncompressed[0]).toBe(0x04);
        const compressed = new Uint8Array([0x02 | (uncompressed[64]! & 1), ...uncompressed.subarray(1, 33)]);
        for (const name of NAMES) {
          const backend = BACKENDS[name];
          for (const encoding of [uncompressed, compressed]) {
            expect(toHex(await backend.exportKey(await backend.importKey(algorithm, 'public', encoding))), `${name}, ${encoding.length} bytes`).toBe(toHex(uncompressed));
          }
        }
      }),
      P256,
    );
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Any single flipped bit is rejected by both                                                 */
/* ------------------------------------------------------------------------------------------ */

describe('any single flipped bit is rejected by both backends', () => {
  for (const producer of NAMES) {
    const P = BACKENDS[producer];

    for (const algorithm of ['Ed25519', 'ECDSA-P256'] as const) {
      const runs = algorithm === 'Ed25519' ? CHEAP : P256;

      test(`in an ${algorithm} signature made by ${producer}`, async () => {
        await fc.assert(
          fc.asyncProperty(privateRaw(algorithm), fc.uint8Array({ maxLength: 256 }), bitPosition, async (raw, message, { at, bit }) => {
            const signature = await P.sign(await P.importKey(algorithm, 'private', raw), message);
            const index = at % signature.length;
            const tampered = flipBit(signature, index, bit);
            for (const name of NAMES) {
              const V = BACKENDS[name];
              const pub = await V.publicKey(await V.importKey(algorithm, 'private', raw));
              expect(await V.verify(pub, message, signature), `${name} accepts the original`).toBe(true);
              expect(await V.verify(pub, message, tampered), `${name} accepted signature byte ${index} bit ${bit} flipped`).toBe(false);
            }
          }),
          runs,
        );
      });

      test(`in a message signed with ${algorithm} by ${producer}`, async () => {
        await fc.assert(
          fc.asyncProperty(privateRaw(algorithm), fc.uint8Array({ minLength: 1, maxLength: 1024 }), bitPosition, async (raw, message, { at, bit }) => {
            const signature = await P.sign(await P.importKey(algorithm, 'private', raw), message);
            const index = at % message.length;
            const tampered = flipBit(message, index, bit);
            for (const name of NAMES) {
              const V = BACKENDS[name];
              const pub = await V.publicKey(await V.importKey(algorithm, 'private', raw));
              expect(await V.verify(pub, tampered, signature), `${name} accepted message byte ${index} bit ${bit} flipped`).toBe(false);
            }
          }),
          runs,
        );
      });
    }

    type AeadTarget = 'tag' | 'ciphertext' | 'nonce' | 'AAD';
    const AEAD_TARGETS: readonly AeadTarget[] = ['tag', 'ciphertext', 'nonce', 'AAD'];
    for (const target of AEAD_TARGETS) {
      test(`in the AEAD ${target} of a message sealed by ${producer} (AES-GCM 16/24/32, ChaCha20-Poly1305)`, async () => {
        const input = fc.constantFrom(...AEAD_VARIANTS).chain((variant) =>
          fc.record({
            variant: fc.constant(variant),
            c: aeadCase(
              variant,
              target === 'ciphertext' ? nonEmptyPayload : payload,
              target === 'AAD' ? fc.uint8Array({ minLength: 1, maxLength: 256 }) : optionalAad,
            ),
          }),
        );
        await fc.assert(
          fc.asyncProperty(input, bitPosition, async ({ variant, c: { key, nonce, plaintext, aad } }, { at, bit }) => {
            const sealed = await P.aeadEncrypt(await P.importKey(variant.algorithm, 'secret', key), encryptInput(nonce, plaintext, aad));
            let ciphertext: Uint8Array = sealed;
            let usedNonce: Uint8Array = nonce;
            let usedAad: Uint8Array | undefined = aad;
            let index: number;
            switch (target) {
              case 'tag':
                index = sealed.length - 16 + (at % 16);
                ciphertext = flipBit(sealed, index, bit);
                break;
              case 'ciphertext':
                index = at % (sealed.length - 16);
                ciphertext = flipBit(sealed, index, bit);
                break;
              case 'nonce':
                index = at % 12;
                usedNonce = flipBit(nonce, index, bit);
                break;
              case 'AAD':
                index = at % aad!.length;
                usedAad = flipBit(aad!, index, bit);
                break;
            }
            for (const name of NAMES) {
              const V = BACKENDS[name];
              const k = await V.importKey(variant.algorithm, 'secret', key);
              await expectDecryptionFailed(`${name} ${variant.name}, ${target} byte ${index} bit ${bit} flipped`, () =>
                V.aeadDecrypt(k, decryptInput(usedNonce, ciphertext, usedAad)),
              );
            }
          }),
          CHEAP,
        );
      });
    }

    test(`in an AES-KW wrapped key made by ${producer}`, async () => {
      await fc.assert(
        fc.asyncProperty(wrapCase, bitPosition, async ({ kek, keyData }, { at, bit }) => {
          const wrapped = await P.wrapKey(await P.importKey('AES-KW', 'secret', kek), keyData);
          const index = at % wrapped.length;
          const tampered = flipBit(wrapped, index, bit);
          for (const name of NAMES) {
            const V = BACKENDS[name];
            const k = await V.importKey('AES-KW', 'secret', kek);
            await expectDecryptionFailed(`${name} AES-KW (${kek.length}-byte KEK), wrapped byte ${index} bit ${bit} flipped`, () => V.unwrapKey(k, tampered));
          }
        }),
        CHEAP,
      );
    });

    test(`in an HMAC-SHA256 tag made by ${producer}`, async () => {
      await fc.assert(
        fc.asyncProperty(hmacKey, payload, bitPosition, async (raw, data, { at, bit }) => {
          const tag = await P.hmacSha256(await P.importKey('HMAC-SHA256', 'secret', raw), data);
          const index = at % tag.length;
          for (const name of NAMES) {
            const V = BACKENDS[name];
            const k = await V.importKey('HMAC-SHA256', 'secret', raw);
            expect(await V.hmacSha256Verify(k, data, flipBit(tag, index, bit)), `${name} accepted tag byte ${index} bit ${bit} flipped`).toBe(false);
          }
        }),
        CHEAP,
      );
    });
  }
});
