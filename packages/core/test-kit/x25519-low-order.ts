/*
 * Test-only: X25519 peer keys whose shared secret with any private key is all zeros (low-order
 * points and their non-canonical encodings), with the Wycheproof x25519_test.json case that
 * uses each (flag ZeroSharedSecret). Kept here, not read from the vector files, so the
 * all-zero check has a direct, fast test that needs no vector checkout.
 */
import { describe, expect, test } from 'vitest';
import type { CryptoBackend } from '../src/backend/crypto-backend.js';
import { WardError } from '../src/errors.js';

/** The private key of Wycheproof x25519 tcId 32 (any private key gives the same zero secret). */
export const WYCHEPROOF_PRIVATE = '88227494038f2bb811d47805bcdf04a2ac585ada7f2f23389bfd4658f9ddd45e';

/** `[tcId, public key hex]`: every distinct public key of the ZeroSharedSecret cases. */
export const ZERO_SHARED_SECRET_PEERS: readonly (readonly [number, string])[] = [
  [32, '0000000000000000000000000000000000000000000000000000000000000000'], // u = 0
  [33, '0100000000000000000000000000000000000000000000000000000000000000'], // u = 1
  [63, 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'], // order 8
  [64, '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'], // order 8
  [65, 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'], // u = p - 1 (order 2)
  [66, 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880'], // order 8, bit 255 set
  [67, '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7'], // order 8, bit 255 set
  [68, 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'], // p - 1, bit 255 set
  [74, 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'], // u = p (≡ 0)
  [75, 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'], // u = p + 1 (≡ 1)
  [76, '0000000000000000000000000000000000000000000000000000000000000080'], // u = 0, bit 255 set
  [77, '0100000000000000000000000000000000000000000000000000000000000080'], // u = 1, bit 255 set
  [81, 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'], // p, bit 255 set
  [82, 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'], // p + 1, bit 255 set
];

/** Hex to a plain Uint8Array. */
export function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The suite every backend runs: for each ZeroSharedSecret peer key, key agreement refuses with
 * `ERR_KEY_AGREEMENT_FAILED` (whether the import or the derivation refuses), and never
 * returns a secret.
 */
export function runX25519LowOrderSuite(name: string, makeBackend: () => CryptoBackend): void {
  describe(`X25519 low-order peer keys (${name} backend)`, () => {
    test.each(ZERO_SHARED_SECRET_PEERS.map(([tcId, hex]) => [tcId, hex] as const))(
      'Wycheproof tcId %i: key agreement with a low-order peer is refused with ERR_KEY_AGREEMENT_FAILED',
      async (_tcId, hex) => {
        const backend = makeBackend();
        const mine = await backend.importKey('X25519', 'private', fromHex(WYCHEPROOF_PRIVATE));
        let secret: Uint8Array | undefined;
        const error = await (async () => {
          const peer = await backend.importKey('X25519', 'public', fromHex(hex));
          secret = await backend.deriveSharedSecret(mine, peer);
        })().then(() => undefined, (e: unknown) => e);
        expect(secret).toBeUndefined();
        expect(WardError.isInstance(error)).toBe(true);
        expect(error).toMatchObject({ code: 'ERR_KEY_AGREEMENT_FAILED' });
      },
    );
  });
}
