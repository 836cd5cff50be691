/*
 * COSE_Key for ECDH ephemeral keys (RFC 9052 §7, RFC 9053 §7.1, §7.2): encoding Ward's raw
 * public keys as COSE_Key maps, reading them back (uncompressed and compressed P-256, X25519),
 * curve identification, and every rejection of agreementPublicKeyFromCose.
 */
import { describe, expect, it } from 'vitest';
import type { CborValue } from '../cbor/index.js';
import { BACKENDS, expectWardError, toHex } from '../../test-kit/cose-vectors.js';
import { CoseKeyLabel as L, agreementAlgorithmOfCose, agreementPublicKeyFromCose, agreementPublicKeyToCose } from './cose-key.js';

const m = (...entries: [CborValue, CborValue][]): Map<CborValue, CborValue> => new Map(entries);

for (const { name, create } of BACKENDS) {
  describe(`COSE_Key ephemeral keys [${name}]`, () => {
    const backend = create();

    for (const algorithm of ['X25519', 'ECDH-P256'] as const) {
      it(`${algorithm}: raw → COSE_Key → handle round trips; the map names its curve`, async () => {
        const pk = await backend.publicKey(await backend.generateKey(algorithm));
        const raw = await backend.exportKey(pk);
        const cose = agreementPublicKeyToCose(algorithm, raw);
        if (algorithm === 'X25519') {
          expect([...cose.keys()]).toEqual([L.kty, L.crv, L.x]);
          expect(cose.get(L.kty)).toBe(L.ktyOKP);
          expect(cose.get(L.crv)).toBe(L.crvX25519);
        } else {
          expect(cose.get(L.kty)).toBe(L.ktyEC2);
          expect(cose.get(L.crv)).toBe(L.crvP256);
          expect(toHex(new Uint8Array([4, ...(cose.get(L.x) as Uint8Array), ...(cose.get(L.y) as Uint8Array)]))).toBe(toHex(raw));
        }
        expect(agreementAlgorithmOfCose(cose)).toBe(algorithm);
        const back = await agreementPublicKeyFromCose(cose, algorithm, backend);
        expect(back.algorithm).toBe(algorithm);
        expect(toHex(await backend.exportKey(back))).toBe(toHex(raw));
      });
    }

    it('P-256 compressed form: y as the sign bit (RFC 9053 §7.1.1) gives the same point', async () => {
      const pk = await backend.publicKey(await backend.generateKey('ECDH-P256'));
      const raw = await backend.exportKey(pk);
      const cose = agreementPublicKeyToCose('ECDH-P256', raw);
      const compressed = m([L.kty, L.ktyEC2], [L.crv, L.crvP256], [L.x, cose.get(L.x)!], [L.y, (raw[64]! & 1) === 1]);
      expect(toHex(await backend.exportKey(await agreementPublicKeyFromCose(compressed, 'ECDH-P256', backend)))).toBe(toHex(raw));
    });

    it('agreementAlgorithmOfCose: undefined for other curves, kty, or a non-map', () => {
      for (const value of [
        m([L.kty, L.ktyOKP], [L.crv, L.crvEd25519]), m([L.kty, L.ktyEC2], [L.crv, 2]), m([L.kty, L.ktyOKP], [L.crv, L.crvP256]),
        m([L.kty, L.ktySymmetric]), new Uint8Array(32), undefined, null,
      ] as CborValue[]) {
        expect(agreementAlgorithmOfCose(value)).toBeUndefined();
      }
    });

    it('ERR_COSE_MALFORMED: not a map; carrying a private part (d); no supported kty; curve other than the reader\'s', async () => {
      const x = agreementPublicKeyToCose('X25519', await backend.exportKey(await backend.publicKey(await backend.generateKey('X25519'))));
      await expectWardError(() => agreementPublicKeyFromCose(undefined, 'X25519', backend), 'ERR_COSE_MALFORMED');
      await expectWardError(() => agreementPublicKeyFromCose(new Uint8Array(32), 'X25519', backend), 'ERR_COSE_MALFORMED');
      await expectWardError(() => agreementPublicKeyFromCose(new Map([...x, [L.d, new Uint8Array(32)]]), 'X25519', backend), 'ERR_COSE_MALFORMED');
      await expectWardError(() => agreementPublicKeyFromCose(m([L.kty, L.ktySymmetric], [L.k, new Uint8Array(32)]), 'X25519', backend), 'ERR_COSE_MALFORMED');
      await expectWardError(() => agreementPublicKeyFromCose(x, 'ECDH-P256', backend), 'ERR_COSE_MALFORMED');
    });

    it('ERR_COSE_MALFORMED: a P-256 key whose y is neither 32 bytes nor a sign bit', async () => {
      for (const y of [new Uint8Array(31), undefined, 1, 'y'] as CborValue[]) {
        const key = m([L.kty, L.ktyEC2], [L.crv, L.crvP256], [L.x, new Uint8Array(32).fill(1)]);
        if (y !== undefined) key.set(L.y, y);
        await expectWardError(() => agreementPublicKeyFromCose(key, 'ECDH-P256', backend), 'ERR_COSE_MALFORMED');
      }
    });

    it('ERR_UNSUPPORTED_ALGORITHM: OKP/EC2 curves Ward does not use (X448, Ed25519, P-384, P-521)', async () => {
      for (const key of [
        m([L.kty, L.ktyOKP], [L.crv, 5], [L.x, new Uint8Array(56)]), m([L.kty, L.ktyOKP], [L.crv, L.crvEd25519], [L.x, new Uint8Array(32)]),
        m([L.kty, L.ktyEC2], [L.crv, 2], [L.x, new Uint8Array(48)], [L.y, new Uint8Array(48)]),
        m([L.kty, L.ktyEC2], [L.crv, 3], [L.x, new Uint8Array(66)], [L.y, new Uint8Array(66)]),
      ]) {
        await expectWardError(() => agreementPublicKeyFromCose(key, 'X25519', backend), 'ERR_UNSUPPORTED_ALGORITHM');
      }
    });

    it('ERR_KEY_INVALID: an X25519 x of the wrong length; a P-256 point not on the curve', async () => {
      await expectWardError(() => agreementPublicKeyFromCose(m([L.kty, L.ktyOKP], [L.crv, L.crvX25519], [L.x, new Uint8Array(31)]), 'X25519', backend), 'ERR_KEY_INVALID');
      const raw = await backend.exportKey(await backend.publicKey(await backend.generateKey('ECDH-P256')));
      const y = raw.slice(33);
      y[31] = y[31]! ^ 1;
      await expectWardError(
        () => agreementPublicKeyFromCose(m([L.kty, L.ktyEC2], [L.crv, L.crvP256], [L.x, raw.slice(1, 33)], [L.y, y]), 'ECDH-P256', backend),
        'ERR_KEY_INVALID',
      );
    });
  });
}
