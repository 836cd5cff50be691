/**
 * The `CryptoBackend` primitives, each measured on every backend through the backend API only:
 * keys and inputs are made once in setup, and only the one method call is timed.
 */
import { ok } from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { createNobleBackend } from '@ward/core';
import type { AeadAlgorithm, CryptoBackend, KeyAgreementAlgorithm, SignatureAlgorithm } from '@ward/core';
import { createNodeBackend } from '@ward/node';
import type { BenchCase, Op, Suite } from '../lib/types.js';

/** Random bytes in a plain `Uint8Array` (not a `Buffer`), as Ward's callers pass them. */
function random(length: number): Uint8Array {
  return randomFillSync(new Uint8Array(length));
}

/** Byte-for-byte equality, to check a round trip once in setup. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** A payload size: the label goes into the case name, the length into MB/s. */
interface Payload {
  readonly label: string;
  readonly data: Uint8Array;
}

const SMALL: Payload = { label: '256 B', data: random(256) };
const LARGE: Payload = { label: '1 MiB', data: random(1024 * 1024) };
/** What gets signed: a small reading's COSE `Sig_structure` is of this order. */
const MESSAGE = SMALL.data;
/** AAD for every AEAD op, about the size of a COSE `Enc_structure`. */
const AAD = random(16);
/**
 * BENCHMARK ONLY: every encryption below reuses this one nonce under one key, which would
 * destroy confidentiality (and, for GCM, authenticity) in real use. Ward draws a fresh nonce
 * per message; here a fixed one keeps `randomBytes` out of the timed op.
 */
const NONCE = random(12);

/** One row: its name, bytes per op (for MB/s), and how to build each backend's timed op. */
interface Row {
  readonly name: string;
  readonly bytes?: number;
  /** Creates keys and inputs on `backend` (untimed) and returns the op to time. */
  readonly prepare: (backend: CryptoBackend) => Promise<Op>;
}

function signature(label: string, algorithm: SignatureAlgorithm): Row[] {
  return [
    {
      name: `${label} sign`,
      prepare: async (backend) => {
        const key = await backend.generateKey(algorithm);
        return () => backend.sign(key, MESSAGE);
      },
    },
    {
      name: `${label} verify`,
      prepare: async (backend) => {
        const key = await backend.generateKey(algorithm);
        const publicKey = await backend.publicKey(key);
        const signed = await backend.sign(key, MESSAGE);
        ok(await backend.verify(publicKey, MESSAGE, signed), `${backend.name}: ${label} rejects its own signature`);
        return () => backend.verify(publicKey, MESSAGE, signed);
      },
    },
  ];
}

function agreement(label: string, algorithm: KeyAgreementAlgorithm): Row {
  return {
    name: `${label} ECDH`,
    prepare: async (backend) => {
      const privateKey = await backend.generateKey(algorithm);
      const peer = await backend.publicKey(await backend.generateKey(algorithm));
      return () => backend.deriveSharedSecret(privateKey, peer);
    },
  };
}

function sha256(payload: Payload): Row {
  return {
    name: `SHA-256 ${payload.label}`,
    bytes: payload.data.length,
    prepare: async (backend) => () => backend.sha256(payload.data),
  };
}

function aead(label: string, algorithm: AeadAlgorithm, payload: Payload): Row[] {
  const bytes = payload.data.length;
  return [
    {
      name: `${label} encrypt ${payload.label}`,
      bytes,
      prepare: async (backend) => {
        const key = await backend.generateKey(algorithm);
        return () => backend.aeadEncrypt(key, { nonce: NONCE, plaintext: payload.data, aad: AAD });
      },
    },
    {
      name: `${label} decrypt ${payload.label}`,
      bytes,
      prepare: async (backend) => {
        const key = await backend.generateKey(algorithm);
        const ciphertext = await backend.aeadEncrypt(key, { nonce: NONCE, plaintext: payload.data, aad: AAD });
        const input = { nonce: NONCE, ciphertext, aad: AAD };
        ok(same(await backend.aeadDecrypt(key, input), payload.data), `${backend.name}: ${label} round trip failed`);
        return () => backend.aeadDecrypt(key, input);
      },
    },
  ];
}

function publicKeyImport(label: string, algorithm: SignatureAlgorithm): Row {
  return {
    name: `${label} public key import`,
    prepare: async (backend) => {
      const raw = await backend.exportKey(await backend.publicKey(await backend.generateKey(algorithm)));
      return () => backend.importKey(algorithm, 'public', raw);
    },
  };
}

const ROWS: readonly Row[] = [
  ...signature('Ed25519', 'Ed25519'),
  ...signature('ECDSA P-256', 'ECDSA-P256'),
  agreement('X25519', 'X25519'),
  agreement('P-256', 'ECDH-P256'),
  {
    name: 'HKDF-SHA-256 32 B out',
    prepare: async (backend) => {
      /* A 32-byte ECDH secret and an info string the size of a small COSE_KDF_Context. */
      const input = { ikm: random(32), info: random(48), length: 32 };
      return () => backend.hkdfSha256(input);
    },
  },
  {
    name: `HMAC-SHA-256 ${SMALL.label}`,
    bytes: SMALL.data.length,
    prepare: async (backend) => {
      const key = await backend.generateKey('HMAC-SHA256');
      return () => backend.hmacSha256(key, SMALL.data);
    },
  },
  sha256(SMALL),
  sha256(LARGE),
  ...aead('AES-256-GCM', 'AES-GCM', SMALL),
  ...aead('AES-256-GCM', 'AES-GCM', LARGE),
  ...aead('ChaCha20-Poly1305', 'ChaCha20-Poly1305', SMALL),
  ...aead('ChaCha20-Poly1305', 'ChaCha20-Poly1305', LARGE),
  {
    name: 'AES-256-KW wrap 32 B key',
    prepare: async (backend) => {
      const kek = await backend.generateKey('AES-KW');
      const contentKey = random(32);
      return () => backend.wrapKey(kek, contentKey);
    },
  },
  {
    name: 'AES-256-KW unwrap 32 B key',
    prepare: async (backend) => {
      const kek = await backend.generateKey('AES-KW');
      const contentKey = random(32);
      const wrapped = await backend.wrapKey(kek, contentKey);
      ok(same(await backend.unwrapKey(kek, wrapped), contentKey), `${backend.name}: AES-KW round trip failed`);
      return () => backend.unwrapKey(kek, wrapped);
    },
  },
  { name: 'Ed25519 keygen', prepare: async (backend) => () => backend.generateKey('Ed25519') },
  { name: 'X25519 keygen', prepare: async (backend) => () => backend.generateKey('X25519') },
  publicKeyImport('Ed25519', 'Ed25519'),
  publicKeyImport('P-256', 'ECDSA-P256'),
];

/** noble (pure JS) against node (OpenSSL through `node:crypto`), node being the baseline. */
export const primitives: Suite = {
  name: 'primitives',
  title: 'CryptoBackend primitives, noble (pure JS) vs node (node:crypto, OpenSSL); signatures over 256 B',
  baseline: 'node',
  async setup(): Promise<BenchCase[]> {
    const backends: readonly CryptoBackend[] = [createNobleBackend(), createNodeBackend()];
    const cases: BenchCase[] = [];
    for (const row of ROWS) {
      const ops: Record<string, Op> = {};
      for (const backend of backends) ops[backend.name] = await row.prepare(backend);
      cases.push({ name: row.name, ...(row.bytes === undefined ? {} : { bytes: row.bytes }), ops });
    }
    return cases;
  },
};
