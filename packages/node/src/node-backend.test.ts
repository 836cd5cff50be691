/*
 * The node:crypto backend's own behaviour: misuse errors, handle opacity, the checks it adds
 * where OpenSSL is laxer than the noble backend (pinned against raw node:crypto), low-S ECDSA,
 * and known answers, some against the noble backend. Wycheproof and cross-backend properties
 * live in their own files.
 */
import { createECDH, createHash, createPublicKey, verify as opensslVerify } from 'node:crypto';
import { inspect } from 'node:util';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ArgumentError, KeyError, WardError, createNobleBackend } from '@ward/core';
import { BackendError, DecryptionError, KeyAgreementError, UnsupportedAlgorithmError } from '@ward/core/errors';
import type {
  AeadAlgorithm, AeadKey, AgreementPrivateKey, AgreementPublicKey, AsymmetricAlgorithm, KeyAlgorithm,
  KeyHandle, KeyKind, MacKey, SigningKey, VerifyingKey, WardErrorCode, WrappingKey,
} from '@ward/core';
import { runKnownAnswerSuite } from '../../core/test-kit/known-answers.js';
import { SMALL_ORDER_ED25519 } from '../../core/test-kit/strict-ed25519.js';
import { createNodeBackend, NodeBackend } from './index.js';
import { OKP_PRIVATE_IMPORTS } from './node-backend.js';

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */
/* ------------------------------------------------------------------------------------------ */

const backend = createNodeBackend();
/** A second, independent instance: its handles are foreign to `backend`. */
const other = createNodeBackend();
const noble = createNobleBackend();

/** P-256 group order n. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** Ed25519 group order L and field prime p. */
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;
const ED25519_P = 2n ** 255n - 19n;
/** Canonical encodings of the eight Ed25519 points of small order. */
const ED25519_SMALL_ORDER = SMALL_ORDER_ED25519.map(([, encoding]) => encoding);

const ALL_ALGORITHMS: readonly KeyAlgorithm[] = [
  'Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256', 'AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256',
];
const ASYMMETRIC: readonly KeyAlgorithm[] = ['Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256'];
const AEAD_VARIANTS: readonly { name: string; algorithm: AeadAlgorithm; keyLength: number }[] = [
  { name: 'AES-GCM 128', algorithm: 'AES-GCM', keyLength: 16 },
  { name: 'AES-GCM 192', algorithm: 'AES-GCM', keyLength: 24 },
  { name: 'AES-GCM 256', algorithm: 'AES-GCM', keyLength: 32 },
  { name: 'ChaCha20-Poly1305', algorithm: 'ChaCha20-Poly1305', keyLength: 32 },
];

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}
function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
function bigIntToBytes(value: bigint): Uint8Array {
  return hex(value.toString(16).padStart(64, '0'));
}
function bytesToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${toHex(bytes)}`);
}
function le32(value: bigint): Uint8Array {
  return bigIntToBytes(value).reverse();
}
function leToBigInt(bytes: Uint8Array): bigint {
  return bytesToBigInt(bytes.slice().reverse());
}
function flipBit(bytes: Uint8Array, index: number, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = copy[index]! ^ (1 << bit);
  return copy;
}
function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

type ErrorFamily =
  | typeof ArgumentError | typeof UnsupportedAlgorithmError | typeof KeyError | typeof KeyAgreementError
  | typeof DecryptionError | typeof BackendError;

/** Asserts that `fn` throws (does not return) a WardError of `family` with exactly `code`. */
function expectWardError(fn: () => unknown, family: ErrorFamily, code: WardErrorCode): void {
  let caught: unknown;
  let returned: unknown;
  try {
    returned = fn();
  } catch (error) {
    caught = error;
  }
  expect(returned, 'must not return a value').toBeUndefined();
  expect(WardError.isInstance(caught), `expected ${family.family} ${code}, got ${String(caught)}`).toBe(true);
  expect(caught).toBeInstanceOf(family);
  expect((caught as WardError).code).toBe(code);
}

/** A raw OpenSSL Ed25519 verification, without the backend's checks. */
function opensslEd25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
  return opensslVerify(null, message, key, signature);
}

/**
 * An Ed25519 signature (R, S) with R the identity, in the given (possibly non-canonical)
 * encoding: S = k·a mod L makes [S]B = [k]A, so it is valid exactly when R is canonical.
 */
function identityRSignature(seed: Uint8Array, message: Uint8Array, encodedR: Uint8Array): { publicKey: Uint8Array; signature: Uint8Array } {
  const h = createHash('sha512').update(seed).digest();
  h[0]! &= 248;
  h[31]! &= 127;
  h[31]! |= 64;
  const a = leToBigInt(h.subarray(0, 32));
  const publicKey = noble.exportKey(noble.publicKey(noble.importKey('Ed25519', 'private', seed)));
  const k = leToBigInt(createHash('sha512').update(encodedR).update(publicKey).update(message).digest()) % ED25519_L;
  return { publicKey, signature: concat(encodedR, le32((k * a) % ED25519_L)) };
}

/**
 * Whether this Node's own Ed25519 verify returns false when R (or A) is a small-order point
 * (nodejs/node#64026, in Node 24.22; Node 20 leaves it to OpenSSL 3.0, which accepts them).
 * Probed with a valid signature whose R is the identity. The backend's checks do not rely on it.
 */
const NODE_REFUSES_SMALL_ORDER_POINTS = ((): boolean => {
  const message = utf8('probe');
  const { publicKey, signature } = identityRSignature(new Uint8Array(32).fill(7), message, hex('01'.padEnd(64, '0')));
  return !opensslEd25519Verify(publicKey, message, signature);
})();

function keyZoo(b: NodeBackend): { algorithm: KeyAlgorithm; kind: KeyKind; key: KeyHandle }[] {
  const zoo: { algorithm: KeyAlgorithm; kind: KeyKind; key: KeyHandle }[] = [];
  for (const algorithm of ALL_ALGORITHMS) {
    const key = b.generateKey(algorithm);
    zoo.push({ algorithm, kind: key.kind, key });
    if (ASYMMETRIC.includes(algorithm)) zoo.push({ algorithm, kind: 'public', key: b.publicKey(key as KeyHandle<AsymmetricAlgorithm, 'private'>) });
  }
  return zoo;
}

/** Every key-taking operation of `backend`, with the (algorithm, kind) pairs it accepts. */
function operations() {
  const nonce = new Uint8Array(12);
  const x25519Public = backend.publicKey(backend.generateKey('X25519'));
  const p256Public = backend.publicKey(backend.generateKey('ECDH-P256'));
  return [
    { name: 'sign', accepts: ['Ed25519/private', 'ECDSA-P256/private'], run: (k: KeyHandle) => backend.sign(k as SigningKey, new Uint8Array(1)) },
    { name: 'verify', accepts: ['Ed25519/public', 'ECDSA-P256/public'], run: (k: KeyHandle) => backend.verify(k as VerifyingKey, new Uint8Array(1), new Uint8Array(64)) },
    { name: 'publicKey', accepts: ['Ed25519/private', 'ECDSA-P256/private', 'X25519/private', 'ECDH-P256/private'], run: (k: KeyHandle) => backend.publicKey(k as KeyHandle<AsymmetricAlgorithm, 'private'>) },
    {
      name: 'deriveSharedSecret',
      accepts: ['X25519/private', 'ECDH-P256/private'],
      run: (k: KeyHandle) => backend.deriveSharedSecret(k as AgreementPrivateKey, k.algorithm === 'ECDH-P256' ? p256Public : x25519Public),
    },
    { name: 'hmacSha256', accepts: ['HMAC-SHA256/secret'], run: (k: KeyHandle) => backend.hmacSha256(k as MacKey, new Uint8Array(1)) },
    { name: 'hmacSha256Verify', accepts: ['HMAC-SHA256/secret'], run: (k: KeyHandle) => backend.hmacSha256Verify(k as MacKey, new Uint8Array(1), new Uint8Array(32)) },
    { name: 'aeadEncrypt', accepts: ['AES-GCM/secret', 'ChaCha20-Poly1305/secret'], run: (k: KeyHandle) => backend.aeadEncrypt(k as AeadKey, { nonce, plaintext: new Uint8Array(1) }) },
    { name: 'aeadDecrypt', accepts: ['AES-GCM/secret', 'ChaCha20-Poly1305/secret'], run: (k: KeyHandle) => backend.aeadDecrypt(k as AeadKey, { nonce, ciphertext: new Uint8Array(17) }) },
    { name: 'wrapKey', accepts: ['AES-KW/secret'], run: (k: KeyHandle) => backend.wrapKey(k as WrappingKey, new Uint8Array(16)) },
    { name: 'unwrapKey', accepts: ['AES-KW/secret'], run: (k: KeyHandle) => backend.unwrapKey(k as WrappingKey, new Uint8Array(24)) },
    { name: 'exportKey', accepts: [], run: (k: KeyHandle) => backend.exportKey(k) },
  ];
}

/* ------------------------------------------------------------------------------------------ */
/* Identity and outputs                                                                       */
/* ------------------------------------------------------------------------------------------ */

describe('node backend: identity', () => {
  test('implements CryptoBackend v1, synchronously, named "node"', () => {
    expect(backend).toBeInstanceOf(NodeBackend);
    expect(backend.version).toBe(1);
    expect(backend.name).toBe('node');
    expect(backend.synchronous).toBe(true);
    expect(backend.generateKey('Ed25519').backend).toBe('node');
  });

  test('every output is a plain Uint8Array that owns its whole ArrayBuffer (no Buffer, no pool slice)', () => {
    const sk = backend.generateKey('ECDSA-P256', { extractable: true });
    const ed = backend.generateKey('Ed25519', { extractable: true });
    const x = backend.generateKey('X25519');
    const aead = backend.generateKey('AES-GCM', { extractable: true });
    const kek = backend.generateKey('AES-KW');
    const mac = backend.generateKey('HMAC-SHA256');
    const nonce = new Uint8Array(12);
    const sealed = backend.aeadEncrypt(aead, { nonce, plaintext: utf8('secret') });
    const wrapped = backend.wrapKey(kek, new Uint8Array(32));
    const outputs = [
      backend.randomBytes(32), backend.sha256(utf8('abc')), backend.exportKey(sk), backend.exportKey(backend.publicKey(sk)),
      backend.exportKey(ed), backend.exportKey(backend.publicKey(ed)), backend.exportKey(aead), backend.sign(sk, utf8('m')),
      backend.sign(ed, utf8('m')), backend.deriveSharedSecret(x, backend.publicKey(backend.generateKey('X25519'))),
      backend.hkdfSha256({ ikm: utf8('ikm'), length: 42 }), backend.hmacSha256(mac, utf8('m')), sealed,
      backend.aeadDecrypt(aead, { nonce, ciphertext: sealed }), wrapped, backend.unwrapKey(kek, wrapped),
    ];
    for (const out of outputs) {
      expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
      expect(out.byteOffset).toBe(0);
      expect(out.buffer.byteLength).toBe(out.length);
    }
  });

  test('randomBytes returns exactly the requested length (0 to 1 MiB) and rejects bad lengths', () => {
    for (const n of [0, 1, 12, 65537, 1 << 20]) expect(backend.randomBytes(n).length).toBe(n);
    expect(toHex(backend.randomBytes(32))).not.toBe(toHex(backend.randomBytes(32)));
    for (const n of [-1, 1.5, Number.NaN, (1 << 20) + 1, '8']) {
      expectWardError(() => backend.randomBytes(n as number), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
  });

  test('unknown algorithms are ERR_UNSUPPORTED_ALGORITHM', () => {
    expectWardError(() => backend.generateKey('RSA' as KeyAlgorithm), UnsupportedAlgorithmError, 'ERR_UNSUPPORTED_ALGORITHM');
    expectWardError(() => backend.importKey('AES-CBC' as KeyAlgorithm, 'secret', new Uint8Array(32)), UnsupportedAlgorithmError, 'ERR_UNSUPPORTED_ALGORITHM');
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Known answers                                                                              */
/* ------------------------------------------------------------------------------------------ */

runKnownAnswerSuite('node', backend);

describe('node backend: agrees with noble', () => {
  test('AES-GCM 128/192/256 and ChaCha20-Poly1305 match noble, with and without AAD, including empty plaintext', () => {
    for (const { algorithm, keyLength } of AEAD_VARIANTS) {
      for (const plaintext of [new Uint8Array(0), backend.randomBytes(1), backend.randomBytes(1000)]) {
        for (const aad of [undefined, new Uint8Array(0), backend.randomBytes(40)]) {
          const raw = backend.randomBytes(keyLength);
          const nonce = backend.randomBytes(12);
          const input = aad === undefined ? { nonce, plaintext } : { nonce, plaintext, aad };
          const sealed = backend.aeadEncrypt(backend.importKey(algorithm, 'secret', raw), input);
          expect(sealed.length).toBe(plaintext.length + 16);
          expect(toHex(sealed)).toBe(toHex(noble.aeadEncrypt(noble.importKey(algorithm, 'secret', raw), input)));
        }
      }
    }
  });

  test('AES-KW wraps the largest allowed key data (4096 bytes) like noble', () => {
    const raw = backend.randomBytes(32);
    const keyData = backend.randomBytes(4096);
    const wrapped = backend.wrapKey(backend.importKey('AES-KW', 'secret', raw), keyData);
    expect(wrapped.length).toBe(4104);
    expect(toHex(wrapped)).toBe(toHex(noble.wrapKey(noble.importKey('AES-KW', 'secret', raw), keyData)));
    expect(backend.unwrapKey(backend.importKey('AES-KW', 'secret', raw), wrapped)).toEqual(keyData);
  });

  test('HKDF-SHA-256 matches noble for info over 1024 bytes (OpenSSL 3.0 hkdfSync refuses it), empty ikm and every length boundary', () => {
    const ikm = backend.randomBytes(32);
    const salt = backend.randomBytes(16);
    for (const info of [new Uint8Array(1025), backend.randomBytes(5000)]) {
      expect(toHex(backend.hkdfSha256({ ikm, salt, info, length: 64 }))).toBe(toHex(noble.hkdfSha256({ ikm, salt, info, length: 64 })));
    }
    expect(toHex(backend.hkdfSha256({ ikm: new Uint8Array(0), length: 32 }))).toBe(toHex(noble.hkdfSha256({ ikm: new Uint8Array(0), length: 32 })));
    for (const length of [1, 31, 32, 33, 64, 65, 8159, 8160]) {
      const out = backend.hkdfSha256({ ikm, salt, length });
      expect(out.length).toBe(length);
      expect(toHex(out)).toBe(toHex(noble.hkdfSha256({ ikm, salt, length })));
    }
  });

  test('HMAC-SHA256 matches noble for 32..128-byte keys', () => {
    for (const length of [32, 33, 64, 65, 128]) {
      const raw = backend.randomBytes(length);
      const data = backend.randomBytes(100);
      const tag = backend.hmacSha256(backend.importKey('HMAC-SHA256', 'secret', raw), data);
      expect(toHex(tag)).toBe(toHex(noble.hmacSha256(noble.importKey('HMAC-SHA256', 'secret', raw), data)));
    }
  });
});

describe('node backend: Ed25519/X25519 private key import on this Node', () => {
  /* RFC 8032 §7.1 TEST 1 and RFC 7748 §6.1 (Alice): private key, public key. */
  const KNOWN = {
    Ed25519: ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'],
    X25519: ['77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'],
  } as const;

  test(`each of the ${OKP_PRIVATE_IMPORTS.length} import ways Node offers derives the RFC public key and noble's for random keys; PKCS#8 works on every Node, and a fast way (raw or JWK) exists`, () => {
    const offered: string[] = [];
    OKP_PRIVATE_IMPORTS.forEach((importWay, index) => {
      for (const algorithm of ['Ed25519', 'X25519'] as const) {
        let publicHex: (raw: Uint8Array) => string;
        try {
          importWay(algorithm, hex(KNOWN[algorithm][0]));
          publicHex = (raw) => toHex(new Uint8Array(Buffer.from(createPublicKey(importWay(algorithm, raw)).export({ format: 'jwk' }).x!, 'base64url')));
        } catch {
          continue; // this Node lacks the way
        }
        offered.push(`${index}:${algorithm}`);
        expect(publicHex(hex(KNOWN[algorithm][0]))).toBe(KNOWN[algorithm][1]);
        for (let i = 0; i < 8; i++) {
          const raw = backend.randomBytes(32);
          expect(publicHex(raw)).toBe(toHex(noble.exportKey(noble.publicKey(noble.importKey(algorithm, 'private', raw)))));
        }
      }
    });
    expect(offered).toEqual(expect.arrayContaining(['2:Ed25519', '2:X25519']));
    expect(offered.some((way) => way.startsWith('0:')) || offered.some((way) => way.startsWith('1:'))).toBe(true);
  });

  test('the backend imports and uses private keys of both algorithms (the way chosen on first use)', () => {
    const ed = backend.importKey('Ed25519', 'private', hex(KNOWN.Ed25519[0]), { extractable: true });
    expect(toHex(backend.exportKey(backend.publicKey(ed)))).toBe(KNOWN.Ed25519[1]);
    expect(toHex(backend.exportKey(ed))).toBe(KNOWN.Ed25519[0]);
    const x = backend.importKey('X25519', 'private', hex(KNOWN.X25519[0]), { extractable: true });
    expect(toHex(backend.exportKey(backend.publicKey(x)))).toBe(KNOWN.X25519[1]);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Signatures: where OpenSSL differs from strict RFC 8032 / noble                             */
/* ------------------------------------------------------------------------------------------ */

describe('node backend: Ed25519 strictness', () => {
  test('S ≥ L is rejected (S + L, S = L, S + 8L, top bits set), as by noble', () => {
    const sk = backend.generateKey('Ed25519');
    const pk = backend.publicKey(sk);
    const message = utf8('reading');
    const signature = backend.sign(sk, message);
    const s = leToBigInt(signature.subarray(32));
    for (const badS of [s + ED25519_L, ED25519_L, s + 8n * ED25519_L, s | (0xe0n << 248n)]) {
      if (badS >= 2n ** 256n) continue;
      const forged = concat(signature.subarray(0, 32), le32(badS));
      expect(backend.verify(pk, message, forged)).toBe(false);
    }
    expect(backend.verify(pk, message, signature)).toBe(true);
  });

  test('a non-canonical R (the identity as y = p + 1, or with the sign bit of x = 0) is rejected; the canonical one verifies unless Node refuses a small-order R', () => {
    const seed = backend.randomBytes(32);
    const message = utf8('R is the identity');
    const canonical = identityRSignature(seed, message, hex('0100000000000000000000000000000000000000000000000000000000000000'));
    const pk = backend.importKey('Ed25519', 'public', canonical.publicKey);
    /* Known difference on Node 24: noble verifies it, node:crypto refuses the small-order R (only its signer can make one). */
    expect(backend.verify(pk, message, canonical.signature)).toBe(!NODE_REFUSES_SMALL_ORDER_POINTS);
    expect(noble.verify(noble.importKey('Ed25519', 'public', canonical.publicKey), message, canonical.signature)).toBe(true);
    for (const encodedR of [le32(ED25519_P + 1n), hex('0100000000000000000000000000000000000000000000000000000000000080')]) {
      const { signature } = identityRSignature(seed, message, encodedR);
      expect(backend.verify(pk, message, signature)).toBe(false);
      expect(noble.verify(noble.importKey('Ed25519', 'public', canonical.publicKey), message, signature)).toBe(false);
    }
  });

  test('small-order public keys import but verify nothing, though raw OpenSSL (Node 20) accepts a forgery for them', () => {
    const message = utf8('forged');
    let opensslAccepted = 0;
    for (const encoded of ED25519_SMALL_ORDER) {
      const raw = hex(encoded);
      const pk = backend.importKey('Ed25519', 'public', raw);
      const noblePk = noble.importKey('Ed25519', 'public', raw);
      for (const r of ED25519_SMALL_ORDER) {
        /* R a small-order point, S = 0: [S]B = R + [k]A holds whenever R = −[k]A. */
        const forged = concat(hex(r), new Uint8Array(32));
        if (opensslEd25519Verify(raw, message, forged)) opensslAccepted++;
        expect(backend.verify(pk, message, forged)).toBe(false);
        expect(noble.verify(noblePk, message, forged)).toBe(false);
      }
      expect(toHex(backend.exportKey(pk))).toBe(encoded);
    }
    /* Why the backend checks: Node 20's verify accepts some of these forgeries; Node 24's refuses them itself. */
    expect(opensslAccepted > 0).toBe(!NODE_REFUSES_SMALL_ORDER_POINTS);
  });

  test('non-canonical public keys (y ≥ p, or x = 0 with its sign bit set) are ERR_KEY_INVALID, as in noble', () => {
    const encodings: Uint8Array[] = [
      hex('0100000000000000000000000000000000000000000000000000000000000080'),
      hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'),
    ];
    for (let i = 0n; i < 19n; i++) {
      const y = le32(ED25519_P + i);
      encodings.push(y, flipBit(y, 31, 7));
    }
    for (const raw of encodings) {
      expectWardError(() => backend.importKey('Ed25519', 'public', raw), KeyError, 'ERR_KEY_INVALID');
      expectWardError(() => noble.importKey('Ed25519', 'public', raw), KeyError, 'ERR_KEY_INVALID');
    }
    /* Why: OpenSSL reduces y mod p, so y = p + 1 is the identity and (on Node 20) accepts the forgery R = identity, S = 0. */
    const forged = concat(hex('0100000000000000000000000000000000000000000000000000000000000000'), new Uint8Array(32));
    expect(opensslEd25519Verify(le32(ED25519_P + 1n), utf8('any'), forged)).toBe(!NODE_REFUSES_SMALL_ORDER_POINTS);
  });

  test('known difference: a canonical y with no x (not a point) imports, unlike noble, and verifies nothing', () => {
    /* y = 2: (y² − 1)/(d·y² + 1) is not a square mod p. node:crypto cannot decode points on import. */
    const raw = le32(2n);
    expectWardError(() => noble.importKey('Ed25519', 'public', raw), KeyError, 'ERR_KEY_INVALID');
    const pk = backend.importKey('Ed25519', 'public', raw);
    for (const r of ED25519_SMALL_ORDER) expect(backend.verify(pk, utf8('m'), concat(hex(r), new Uint8Array(32)))).toBe(false);
    expect(backend.verify(pk, utf8('m'), backend.sign(backend.generateKey('Ed25519'), utf8('m')))).toBe(false);
  });
});

describe('node backend: ECDSA-P256', () => {
  test('signatures are always low-S (s ≤ n/2), with r and s in [1, n-1], and verify; their high-S twins verify too', () => {
    const keys = [backend.generateKey('ECDSA-P256'), backend.generateKey('ECDSA-P256')];
    for (let i = 0; i < 400; i++) {
      const key = keys[i % 2]!;
      const message = utf8(`reading ${i}`);
      const signature = backend.sign(key, message);
      expect(signature.length).toBe(64);
      const r = bytesToBigInt(signature.subarray(0, 32));
      const s = bytesToBigInt(signature.subarray(32));
      expect(r >= 1n && r < P256_N).toBe(true);
      expect(s >= 1n && s <= P256_N / 2n).toBe(true);
      const pk = backend.publicKey(key);
      expect(backend.verify(pk, message, signature)).toBe(true);
      if (i < 20) expect(backend.verify(pk, message, concat(signature.subarray(0, 32), bigIntToBytes(P256_N - s)))).toBe(true);
    }
  });

  test('signatures verify in noble, and noble\'s verify in node (same key imported into both)', () => {
    for (let i = 0; i < 5; i++) {
      const raw = backend.exportKey(backend.generateKey('ECDSA-P256', { extractable: true }));
      const message = backend.randomBytes(i * 50);
      const nodeKey = backend.importKey('ECDSA-P256', 'private', raw);
      const nobleKey = noble.importKey('ECDSA-P256', 'private', raw);
      expect(noble.verify(noble.publicKey(nobleKey), message, backend.sign(nodeKey, message))).toBe(true);
      expect(backend.verify(backend.publicKey(nodeKey), message, noble.sign(nobleKey, message))).toBe(true);
    }
  });

  test('malformed signatures yield false, never an error', () => {
    const sk = backend.generateKey('ECDSA-P256');
    const pk = backend.publicKey(sk);
    const message = utf8('m');
    const signature = backend.sign(sk, message);
    const r = signature.subarray(0, 32);
    const s = signature.subarray(32);
    const zero = new Uint8Array(32);
    const n = bigIntToBytes(P256_N);
    const malformed = [
      concat(zero, s), concat(r, zero), new Uint8Array(64), concat(n, s), concat(r, n), new Uint8Array(64).fill(0xff),
      signature.subarray(0, 63), concat(signature, new Uint8Array(1)), new Uint8Array(0), new Uint8Array(72),
    ];
    for (const bad of malformed) expect(backend.verify(pk, message, bad)).toBe(false);
    for (let length = 0; length <= 130; length++) {
      expect(backend.verify(pk, message, backend.randomBytes(length))).toBe(false);
      expect(backend.verify(backend.publicKey(backend.generateKey('Ed25519')), message, backend.randomBytes(length))).toBe(false);
    }
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Key agreement and P-256 key import                                                         */
/* ------------------------------------------------------------------------------------------ */

describe('node backend: key agreement', () => {
  test('X25519 accepts any 32-byte public key: non-canonical u (≥ p) and bit 255 set give noble\'s result (RFC 7748 §5)', () => {
    const raw = backend.randomBytes(32);
    const mine = backend.importKey('X25519', 'private', raw);
    const nobleMine = noble.importKey('X25519', 'private', raw);
    const peer = backend.exportKey(backend.publicKey(backend.generateKey('X25519')));
    const candidates = [peer, flipBit(peer, 31, 7), le32(ED25519_P + 2n), le32(ED25519_P + 9n), le32(2n ** 255n - 1n), new Uint8Array(32).fill(0xff)];
    for (const u of candidates) {
      const shared = backend.deriveSharedSecret(mine, backend.importKey('X25519', 'public', u));
      expect(toHex(shared)).toBe(toHex(noble.deriveSharedSecret(nobleMine, noble.importKey('X25519', 'public', u))));
    }
  });

  test('X25519 low-order peers (all-zero secret, RFC 7748 §6.1) are ERR_KEY_AGREEMENT_FAILED', () => {
    const mine = backend.generateKey('X25519');
    const lowOrder = [
      le32(0n), le32(1n), le32(ED25519_P - 1n), le32(ED25519_P), le32(ED25519_P + 1n),
      hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
      hex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'),
      hex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'),
    ];
    for (const u of lowOrder) {
      const peer = backend.importKey('X25519', 'public', u);
      expectWardError(() => backend.deriveSharedSecret(mine, peer), KeyAgreementError, 'ERR_KEY_AGREEMENT_FAILED');
    }
  });

  test('ECDH-P256 returns the 32-byte x-coordinate, the same as noble', () => {
    const a = backend.exportKey(backend.generateKey('ECDH-P256', { extractable: true }));
    const b = backend.exportKey(backend.generateKey('ECDH-P256', { extractable: true }));
    const bPublic = backend.exportKey(backend.publicKey(backend.importKey('ECDH-P256', 'private', b)));
    const shared = backend.deriveSharedSecret(backend.importKey('ECDH-P256', 'private', a), backend.importKey('ECDH-P256', 'public', bPublic));
    expect(shared.length).toBe(32);
    expect(toHex(shared)).toBe(toHex(noble.deriveSharedSecret(noble.importKey('ECDH-P256', 'private', a), noble.importKey('ECDH-P256', 'public', bPublic))));
  });
});

describe('node backend: P-256 keys', () => {
  test('private scalars 0, n, n + 1 and 2^256 − 1 are ERR_KEY_INVALID; 1 and n − 1 give noble\'s public keys', () => {
    for (const algorithm of ['ECDSA-P256', 'ECDH-P256'] as const) {
      for (const bad of [0n, P256_N, P256_N + 1n, 2n ** 256n - 1n]) {
        expectWardError(() => backend.importKey(algorithm, 'private', bigIntToBytes(bad)), KeyError, 'ERR_KEY_INVALID');
      }
      for (const good of [1n, P256_N - 1n]) {
        const raw = bigIntToBytes(good);
        const key = backend.importKey(algorithm, 'private', raw, { extractable: true });
        expect(toHex(backend.exportKey(key))).toBe(toHex(raw));
        expect(toHex(backend.exportKey(backend.publicKey(key)))).toBe(toHex(noble.exportKey(noble.publicKey(noble.importKey(algorithm, 'private', raw)))));
      }
    }
  });

  test('public keys off the curve, with x ≥ p, or compressed x without a square root are ERR_KEY_INVALID', () => {
    const point = backend.exportKey(backend.publicKey(backend.generateKey('ECDSA-P256')));
    const p = hex('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
    const offCurve = [flipBit(point, 64, 0), flipBit(point, 1, 3), concat(hex('04'), new Uint8Array(64)), concat(hex('04'), p, point.subarray(33))];
    /* A compressed x with no point: found with noble, which must refuse it too. */
    let noRoot: Uint8Array | undefined;
    for (let x = 1n; noRoot === undefined; x++) {
      const candidate = concat(hex('02'), bigIntToBytes(x));
      try {
        noble.importKey('ECDSA-P256', 'public', candidate);
      } catch {
        noRoot = candidate;
      }
    }
    for (const raw of [...offCurve, noRoot, concat(hex('03'), p)]) {
      expectWardError(() => backend.importKey('ECDSA-P256', 'public', raw), KeyError, 'ERR_KEY_INVALID');
      expectWardError(() => backend.importKey('ECDH-P256', 'public', raw), KeyError, 'ERR_KEY_INVALID');
    }
  });

  test('compressed public keys import and export as 65-byte uncompressed SEC1', () => {
    for (let i = 0; i < 10; i++) {
      const point = backend.exportKey(backend.publicKey(backend.generateKey('ECDSA-P256')));
      const compressed = concat(new Uint8Array([2 + (point[64]! & 1)]), point.subarray(1, 33));
      expect(toHex(backend.exportKey(backend.importKey('ECDSA-P256', 'public', compressed)))).toBe(toHex(point));
    }
  });

  test('exports keep leading zero bytes: scalars below 2^248, coordinates below 2^248', () => {
    const smallScalar = bigIntToBytes(0x1234n);
    expect(toHex(backend.exportKey(backend.importKey('ECDH-P256', 'private', smallScalar, { extractable: true })))).toBe(toHex(smallScalar));
    const found = { x: false, y: false };
    while (!found.x || !found.y) {
      const ecdh = createECDH('prime256v1');
      const expected = new Uint8Array(ecdh.generateKeys());
      const coordinate = expected[1] === 0 ? 'x' : expected[33] === 0 ? 'y' : undefined;
      if (coordinate === undefined || found[coordinate]) continue;
      found[coordinate] = true;
      const key = backend.importKey('ECDSA-P256', 'private', new Uint8Array(ecdh.getPrivateKey()));
      expect(toHex(backend.exportKey(backend.publicKey(key)))).toBe(toHex(expected));
      expect(toHex(backend.exportKey(backend.importKey('ECDSA-P256', 'public', expected)))).toBe(toHex(expected));
    }
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Authenticated decryption and unwrap                                                        */
/* ------------------------------------------------------------------------------------------ */

describe('node backend: decryption failures', () => {
  for (const variant of AEAD_VARIANTS) {
    test(`${variant.name}: any flipped bit, wrong AAD, nonce or key is DecryptionError (ERR_DECRYPTION_FAILED)`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (plaintext, at, bit) => {
          const key = backend.generateKey(variant.algorithm);
          const nonce = backend.randomBytes(12);
          const aad = utf8('header');
          const ciphertext = backend.aeadEncrypt(key, { nonce, plaintext, aad });
          expect(backend.aeadDecrypt(key, { nonce, ciphertext, aad })).toEqual(plaintext);
          const attempts = [
            { nonce, aad, ciphertext: flipBit(ciphertext, at % ciphertext.length, bit) },
            { nonce, aad: utf8('headeR'), ciphertext },
            { nonce, ciphertext },
            { nonce: flipBit(nonce, at % 12, bit), aad, ciphertext },
          ];
          for (const input of attempts) expectWardError(() => backend.aeadDecrypt(key, input), DecryptionError, 'ERR_DECRYPTION_FAILED');
          expectWardError(() => backend.aeadDecrypt(backend.generateKey(variant.algorithm), { nonce, aad, ciphertext }), DecryptionError, 'ERR_DECRYPTION_FAILED');
        }),
        { numRuns: 50 },
      );
    });
  }

  test('ciphertexts shorter than the tag are DecryptionError, and the cause is kept', () => {
    const key = backend.generateKey('AES-GCM');
    for (let length = 0; length < 16; length++) {
      expectWardError(() => backend.aeadDecrypt(key, { nonce: new Uint8Array(12), ciphertext: new Uint8Array(length) }), DecryptionError, 'ERR_DECRYPTION_FAILED');
    }
    try {
      backend.aeadDecrypt(key, { nonce: new Uint8Array(12), ciphertext: new Uint8Array(32) });
      expect.unreachable();
    } catch (error) {
      expect(DecryptionError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe('decryption failed');
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
  });

  test('AES-KW: a flipped bit or a wrong KEK is DecryptionError; impossible lengths too', () => {
    const kek = backend.generateKey('AES-KW');
    const keyData = backend.randomBytes(32);
    const wrapped = backend.wrapKey(kek, keyData);
    for (let i = 0; i < wrapped.length; i++) {
      expectWardError(() => backend.unwrapKey(kek, flipBit(wrapped, i, i % 8)), DecryptionError, 'ERR_DECRYPTION_FAILED');
    }
    expectWardError(() => backend.unwrapKey(backend.generateKey('AES-KW'), wrapped), DecryptionError, 'ERR_DECRYPTION_FAILED');
    for (const length of [0, 8, 16, 23, 25, 33, 4112]) {
      expectWardError(() => backend.unwrapKey(kek, new Uint8Array(length)), DecryptionError, 'ERR_DECRYPTION_FAILED');
    }
    expect(backend.unwrapKey(kek, wrapped)).toEqual(keyData);
  });

  test('HMAC verify: the right tag is true; a flipped bit, a truncated or extended tag is false', () => {
    const key = backend.generateKey('HMAC-SHA256');
    const data = utf8('count=7');
    const tag = backend.hmacSha256(key, data);
    expect(backend.hmacSha256Verify(key, data, tag)).toBe(true);
    for (let i = 0; i < 32; i++) expect(backend.hmacSha256Verify(key, data, flipBit(tag, i, 0))).toBe(false);
    expect(backend.hmacSha256Verify(key, data, tag.subarray(0, 31))).toBe(false);
    expect(backend.hmacSha256Verify(key, data, concat(tag, new Uint8Array(1)))).toBe(false);
    expect(backend.hmacSha256Verify(key, data, new Uint8Array(0))).toBe(false);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Misuse                                                                                     */
/* ------------------------------------------------------------------------------------------ */

describe('node backend: misuse', () => {
  test('a handle from a noble backend or a second node instance is ERR_KEY_FOREIGN for every operation', () => {
    const foreign = [...keyZoo(other), ...ALL_ALGORITHMS.map((algorithm) => ({ key: noble.generateKey(algorithm) }))];
    for (const op of operations()) {
      for (const { key } of foreign) expectWardError(() => op.run(key), KeyError, 'ERR_KEY_FOREIGN');
    }
    const mine = backend.generateKey('X25519');
    expectWardError(() => backend.deriveSharedSecret(mine, noble.publicKey(noble.generateKey('X25519'))), KeyError, 'ERR_KEY_FOREIGN');
    const forged = { algorithm: 'AES-GCM', kind: 'secret', backend: 'node', extractable: true, size: 32 } as AeadKey;
    expectWardError(() => backend.exportKey(forged), KeyError, 'ERR_KEY_FOREIGN');
    for (const notAHandle of [null, undefined, 'key', 42]) {
      expectWardError(() => backend.hmacSha256(notAHandle as unknown as MacKey, new Uint8Array(1)), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
  });

  test('a key of the wrong algorithm or kind is ERR_KEY_USAGE for every operation', () => {
    const zoo = keyZoo(backend);
    let checked = 0;
    for (const op of operations()) {
      for (const { algorithm, kind, key } of zoo) {
        if (op.name === 'exportKey' || op.accepts.includes(`${algorithm}/${kind}`)) continue;
        expectWardError(() => op.run(key), KeyError, 'ERR_KEY_USAGE');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    const x = backend.generateKey('X25519');
    const p = backend.generateKey('ECDH-P256');
    expectWardError(() => backend.deriveSharedSecret(x, backend.publicKey(p)), KeyError, 'ERR_KEY_USAGE');
    const ecdsaPublic = backend.publicKey(backend.generateKey('ECDSA-P256'));
    expectWardError(() => backend.deriveSharedSecret(p, ecdsaPublic as unknown as AgreementPublicKey), KeyError, 'ERR_KEY_USAGE');
  });

  test('importing a kind the algorithm does not have is ERR_KEY_USAGE; a wrong length is ERR_KEY_INVALID', () => {
    for (const algorithm of ['AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256'] as const) {
      expectWardError(() => backend.importKey(algorithm, 'private', new Uint8Array(32)), KeyError, 'ERR_KEY_USAGE');
    }
    for (const algorithm of ASYMMETRIC) expectWardError(() => backend.importKey(algorithm, 'secret', new Uint8Array(32)), KeyError, 'ERR_KEY_USAGE');
    const invalid: [KeyAlgorithm, KeyKind, Uint8Array][] = [
      ['Ed25519', 'private', new Uint8Array(31)], ['Ed25519', 'public', new Uint8Array(33)], ['X25519', 'private', new Uint8Array(64)],
      ['X25519', 'public', new Uint8Array(0)], ['ECDSA-P256', 'private', new Uint8Array(33)], ['ECDH-P256', 'public', new Uint8Array(64)],
      ['ECDSA-P256', 'public', concat(hex('05'), new Uint8Array(64))], ['ECDH-P256', 'public', concat(hex('04'), new Uint8Array(32))],
      ['AES-GCM', 'secret', new Uint8Array(20)], ['AES-KW', 'secret', new Uint8Array(64)], ['ChaCha20-Poly1305', 'secret', new Uint8Array(16)],
      ['HMAC-SHA256', 'secret', new Uint8Array(31)], ['HMAC-SHA256', 'secret', new Uint8Array(129)],
    ];
    for (const [algorithm, kind, raw] of invalid) expectWardError(() => backend.importKey(algorithm, kind, raw), KeyError, 'ERR_KEY_INVALID');
  });

  test('bad nonces, HKDF lengths, wrap inputs and non-Uint8Array data are ERR_INVALID_ARGUMENT', () => {
    const aead = backend.generateKey('ChaCha20-Poly1305');
    for (const length of [0, 8, 11, 13, 16, 24]) {
      const nonce = new Uint8Array(length);
      expectWardError(() => backend.aeadEncrypt(aead, { nonce, plaintext: new Uint8Array(1) }), ArgumentError, 'ERR_INVALID_ARGUMENT');
      expectWardError(() => backend.aeadDecrypt(aead, { nonce, ciphertext: new Uint8Array(17) }), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
    for (const length of [0, -1, 8161, 1.5]) {
      expectWardError(() => backend.hkdfSha256({ ikm: new Uint8Array(32), length }), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
    const kek = backend.generateKey('AES-KW');
    for (const length of [0, 8, 15, 17, 4097, 4104]) {
      expectWardError(() => backend.wrapKey(kek, new Uint8Array(length)), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
    const notBytes = [[1, 2, 3], 'abc', Buffer.from('abc').buffer, undefined] as unknown as Uint8Array[];
    const mac = backend.generateKey('HMAC-SHA256');
    for (const value of notBytes) {
      expectWardError(() => backend.sha256(value), ArgumentError, 'ERR_INVALID_ARGUMENT');
      expectWardError(() => backend.hmacSha256(mac, value), ArgumentError, 'ERR_INVALID_ARGUMENT');
      expectWardError(() => backend.aeadEncrypt(aead, { nonce: new Uint8Array(12), plaintext: value }), ArgumentError, 'ERR_INVALID_ARGUMENT');
      expectWardError(() => backend.importKey('AES-GCM', 'secret', value), ArgumentError, 'ERR_INVALID_ARGUMENT');
    }
    expectWardError(() => backend.verify(backend.publicKey(backend.generateKey('Ed25519')), new Uint8Array(1), 'sig' as unknown as Uint8Array), ArgumentError, 'ERR_INVALID_ARGUMENT');
  });

  test('exporting a non-extractable key is ERR_KEY_NOT_EXTRACTABLE; public keys always export', () => {
    for (const algorithm of ALL_ALGORITHMS) {
      const key = backend.generateKey(algorithm);
      expectWardError(() => backend.exportKey(key), KeyError, 'ERR_KEY_NOT_EXTRACTABLE');
      const raw = backend.exportKey(backend.generateKey(algorithm, { extractable: true }));
      expectWardError(() => backend.exportKey(backend.importKey(algorithm, key.kind, raw)), KeyError, 'ERR_KEY_NOT_EXTRACTABLE');
      if (ASYMMETRIC.includes(algorithm)) {
        const publicRaw = backend.exportKey(backend.publicKey(key as KeyHandle<AsymmetricAlgorithm, 'private'>));
        expect(publicRaw.length).toBe(algorithm.includes('P256') ? 65 : 32);
      }
    }
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Key handles                                                                                */
/* ------------------------------------------------------------------------------------------ */

describe('node backend: key handles', () => {
  const HANDLE_FIELDS = ['algorithm', 'backend', 'extractable', 'kind', 'size'];

  /** Asserts that nothing reachable from `handle` by the usual means shows `material`. */
  function expectOpaque(handle: KeyHandle, material: Uint8Array): void {
    const materialHex = toHex(material);
    const renderings = [
      String(handle), `${handle}`, JSON.stringify(handle), JSON.stringify({ nested: handle }), inspect(handle),
      inspect(handle, { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true, showProxy: true }),
    ];
    const base64 = Buffer.from(material).toString('base64');
    const base64url = Buffer.from(material).toString('base64url');
    for (const text of renderings) {
      expect(text.toLowerCase()).not.toContain(materialHex.slice(0, 16));
      expect(text).not.toContain(base64.slice(0, 12));
      expect(text).not.toContain(base64url.slice(0, 12));
      expect(text).not.toContain(Array.from(material.subarray(0, 8)).join(', '));
      expect(text).not.toMatch(/KeyObject|Uint8Array|ArrayBuffer|Buffer/);
    }
    expect(Reflect.ownKeys(handle).sort()).toEqual(HANDLE_FIELDS);
    for (const { value } of Object.values(Object.getOwnPropertyDescriptors(handle))) {
      expect(['string', 'boolean', 'number']).toContain(typeof value);
    }
    expect(Object.isFrozen(handle)).toBe(true);
  }

  test('no handle reveals its material via String(), JSON.stringify, util.inspect or own keys', () => {
    for (const algorithm of ALL_ALGORITHMS) {
      for (const extractable of [false, true]) {
        const exportable = backend.generateKey(algorithm, { extractable: true });
        const raw = backend.exportKey(exportable);
        const key = backend.importKey(algorithm, exportable.kind, raw, { extractable });
        expectOpaque(key, raw);
        expectOpaque(exportable, raw);
        expect(String(key)).toBe(`KeyHandle(${algorithm} ${key.kind}, backend node)`);
        if (ASYMMETRIC.includes(algorithm)) {
          const pub = backend.publicKey(key as KeyHandle<AsymmetricAlgorithm, 'private'>);
          expectOpaque(pub, backend.exportKey(pub));
        }
      }
    }
  });

  test('extractable defaults to false for private and secret keys; sizes are recorded', () => {
    for (const algorithm of ALL_ALGORITHMS) {
      const key = backend.generateKey(algorithm);
      expect(key.extractable).toBe(false);
      expect(key.size).toBe(32);
      expect(key.kind).toBe(ASYMMETRIC.includes(algorithm) ? 'private' : 'secret');
      if (ASYMMETRIC.includes(algorithm)) {
        const pub = backend.publicKey(key as KeyHandle<AsymmetricAlgorithm, 'private'>);
        expect(pub.extractable).toBe(true);
        expect(backend.importKey(algorithm, 'public', backend.exportKey(pub), { extractable: false }).extractable).toBe(true);
      }
    }
    for (const size of [16, 24, 32]) {
      expect(backend.importKey('AES-GCM', 'secret', new Uint8Array(size)).size).toBe(size);
      expect(backend.importKey('AES-KW', 'secret', new Uint8Array(size)).size).toBe(size);
    }
    expect(backend.importKey('HMAC-SHA256', 'secret', new Uint8Array(100)).size).toBe(100);
  });

  test('importKey copies its input and exportKey returns a fresh copy', () => {
    const raw = backend.randomBytes(32);
    const key = backend.importKey('AES-GCM', 'secret', raw, { extractable: true });
    const nonce = new Uint8Array(12);
    const before = backend.aeadEncrypt(key, { nonce, plaintext: new Uint8Array(16) });
    const original = toHex(raw);
    raw.fill(0);
    expect(toHex(backend.aeadEncrypt(key, { nonce, plaintext: new Uint8Array(16) }))).toBe(toHex(before));
    const exported = backend.exportKey(key);
    expect(toHex(exported)).toBe(original);
    exported.fill(1);
    expect(toHex(backend.exportKey(key))).toBe(original);
    for (const algorithm of ['Ed25519', 'X25519', 'ECDSA-P256'] as const) {
      const secret = backend.exportKey(backend.generateKey(algorithm, { extractable: true }));
      const copy = secret.slice();
      const imported = backend.importKey(algorithm, 'private', secret, { extractable: true });
      secret.fill(0);
      expect(toHex(backend.exportKey(imported))).toBe(toHex(copy));
    }
  });
});

describe('randomBytes pool', () => {
  test('serves small requests across many pool refills without repeating bytes', () => {
    const backend = createNodeBackend();
    const seen = new Set<string>();
    // 12 × 2,000 bytes cross the 4 KiB pool boundary several times, at unaligned offsets
    for (let i = 0; i < 2000; i++) {
      const nonce = backend.randomBytes(12);
      expect(nonce).toHaveLength(12);
      seen.add(Buffer.from(nonce).toString('hex'));
    }
    expect(seen.size).toBe(2000);
  });

  test('returns independent arrays of every size, pooled (≤ 64) or not', () => {
    const backend = createNodeBackend();
    for (const length of [0, 1, 16, 63, 64, 65, 4096, 70000]) {
      const a = backend.randomBytes(length);
      const b = backend.randomBytes(length);
      expect(a).toHaveLength(length);
      expect(a.buffer).not.toBe(b.buffer);
      if (length >= 16) expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    }
  });
});
