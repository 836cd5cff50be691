/*
 * Test-only: strict RFC 8032 Ed25519 verification, run on every backend. ZIP-215 (noble's
 * default) and plain OpenSSL accept R = identity, S = 0 under any small-order public key A for
 * every message: [8][S]B = [8]R + [8][k]A holds because [8]A is the identity. A key that
 * verifies every message is no key; Ward's backends refuse it (noble: zip215 false; node: a
 * small-order key check), so a signature cannot be forged by registering such a key.
 */
import { describe, expect, test } from 'vitest';
import type { CryptoBackend } from '../src/backend/crypto-backend.js';
import { fromHex } from './x25519-low-order.js';

/** The eight small-order points of edwards25519 (canonical encodings), by order. */
export const SMALL_ORDER_ED25519: readonly (readonly [string, string])[] = [
  ['identity (order 1)', '0100000000000000000000000000000000000000000000000000000000000000'],
  ['order 2', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['order 4', '0000000000000000000000000000000000000000000000000000000000000000'],
  ['order 4, x negative', '0000000000000000000000000000000000000000000000000000000000000080'],
  ['order 8', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
  ['order 8, x negative', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'],
  ['order 8 (second)', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'],
  ['order 8 (second), x negative', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'],
];

/** R = the identity, S = 0: valid under ZIP-215 for any small-order key and any message. */
function identitySignature(): Uint8Array {
  const signature = new Uint8Array(64);
  signature[0] = 1;
  return signature;
}

/** Runs the strict-Ed25519 suite on a backend. */
export function runStrictEd25519Suite(name: string, makeBackend: () => CryptoBackend): void {
  describe(`strict Ed25519 verification (${name} backend)`, () => {
    test.each(SMALL_ORDER_ED25519.map(([what, hex]) => [what, hex] as const))(
      'small-order public key, %s: the universal signature (R = identity, S = 0) does not verify',
      async (_what, hex) => {
        const backend = makeBackend();
        const message = new TextEncoder().encode('open gate 4');
        const verdict = await (async () => {
          const key = await backend.importKey('Ed25519', 'public', fromHex(hex));
          return backend.verify(key, message, identitySignature());
        })().catch(() => 'refused at import' as const);
        expect(verdict === false || verdict === 'refused at import').toBe(true);
      },
    );

    test('control: a genuine signature verifies, and a non-canonical S (S + L) does not', async () => {
      const backend = makeBackend();
      const key = await backend.generateKey('Ed25519');
      const publicKey = await backend.publicKey(key);
      const message = new TextEncoder().encode('open gate 4');
      const signature = await backend.sign(key, message);
      expect(await backend.verify(publicKey, message, signature)).toBe(true);
      // S + L, little-endian: RFC 8032 §5.1.7 requires S < L
      const L = (1n << 252n) + 27742317777372353535851937790883648493n;
      let s = 0n;
      for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
      let t = s + L;
      const malleable = signature.slice();
      for (let i = 32; i < 64; i++) {
        malleable[i] = Number(t & 0xffn);
        t >>= 8n;
      }
      expect(await backend.verify(publicKey, message, malleable)).toBe(false);
    });
  });
}
