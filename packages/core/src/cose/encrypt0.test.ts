/*
 * COSE_Encrypt0 (RFC 9052 §5.2, §5.3; RFC 9053 §4.1, §4.3): round trips for A128GCM, A192GCM,
 * A256GCM and ChaCha20/Poly1305, the Enc_structure, IV handling, every precondition of
 * createEncrypt0/decryptEncrypt0 by name, key resolution, and fast-check properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CborValue } from '../cbor/index.js';
import { CborTag, encodeCbor } from '../cbor/index.js';
import type { AeadKey, CryptoBackend } from '../backend/crypto-backend.js';
import type { WardErrorCode } from '../errors.js';
import {
  BACKENDS, coseFields, coseLikeArbitrary, craftEncrypt0, describeOutcome, encodeCose, expectWardError, outcomeOf,
  recordingBackend, sweepBitFlips, toHex, utf8,
} from '../../test-kit/cose-vectors.js';
import { createNodeBackend } from '@ward/node';
import { CoseAlgorithm } from './algorithms.js';
import { decryptEncrypt0, createEncrypt0 } from './encrypt0.js';
import { HeaderLabel } from './headers.js';
import type { KeyLookup } from './key-lookup.js';

const PLAINTEXT = utf8('pm2.5=17;pm10=31');
const KID = utf8('room-12');
const label = (l: number | string, v: CborValue): [number | string, CborValue] => [l, v];

const CONTENT = [
  { name: 'A128GCM', alg: CoseAlgorithm.A128GCM, aead: 'AES-GCM' as const, size: 16 },
  { name: 'A192GCM', alg: CoseAlgorithm.A192GCM, aead: 'AES-GCM' as const, size: 24 },
  { name: 'A256GCM', alg: CoseAlgorithm.A256GCM, aead: 'AES-GCM' as const, size: 32 },
  { name: 'ChaCha20/Poly1305', alg: CoseAlgorithm.ChaCha20Poly1305, aead: 'ChaCha20-Poly1305' as const, size: 32 },
];

async function aeadKey(backend: CryptoBackend, aead: 'AES-GCM' | 'ChaCha20-Poly1305', size: number): Promise<AeadKey> {
  return backend.importKey(aead, 'secret', await backend.randomBytes(size));
}

for (const { name, create } of BACKENDS) {
  describe(`COSE_Encrypt0 [${name}]`, () => {
    const backend = create();

    describe('round trips', () => {
      for (const c of CONTENT) {
        it(`${c.name}: encrypts and decrypts; alg ${c.alg} protected, 12-byte IV unprotected, Enc_structure "Encrypt0"`, async () => {
          const { backend: rec, log } = recordingBackend(backend);
          const key = await aeadKey(rec, c.aead, c.size);
          const externalAad = utf8('building=7');
          const message = await createEncrypt0(PLAINTEXT, { backend: rec, key, kid: KID, externalAad });
          const d = await decryptEncrypt0(message, { backend: rec, key, externalAad });
          expect(d.plaintext).toEqual(PLAINTEXT);
          expect(d.alg).toBe(c.alg);
          expect(d.kid).toEqual(KID);
          const { tag, fields } = coseFields(message);
          expect(tag).toBe(16);
          const iv = d.unprotectedHeader.get(HeaderLabel.iv) as Uint8Array;
          expect(iv.length).toBe(12);
          expect((fields[2] as Uint8Array).length).toBe(PLAINTEXT.length + 16);
          const encStructure = encodeCbor(['Encrypt0', fields[0]!, externalAad]);
          expect(log.aeadAad.map(toHex)).toEqual([toHex(encStructure), toHex(encStructure)]);
          expect(log.aeadNonces.map(toHex)).toEqual([toHex(iv), toHex(iv)]);
        });
      }

      it('each encryption draws a fresh IV', async () => {
        const key = await aeadKey(backend, 'AES-GCM', 32);
        const ivs = new Set<string>();
        for (let i = 0; i < 16; i++) {
          const d = await decryptEncrypt0(await createEncrypt0(PLAINTEXT, { backend, key }), { backend, key });
          ivs.add(toHex(d.unprotectedHeader.get(HeaderLabel.iv) as Uint8Array));
        }
        expect(ivs.size).toBe(16);
      });

      it('an empty plaintext round trips', async () => {
        const key = await aeadKey(backend, 'ChaCha20-Poly1305', 32);
        expect((await decryptEncrypt0(await createEncrypt0(new Uint8Array(0), { backend, key }), { backend, key })).plaintext).toEqual(new Uint8Array(0));
      });

      it('external AAD mismatch (different, or missing) → ERR_DECRYPTION_FAILED', async () => {
        const key = await aeadKey(backend, 'AES-GCM', 32);
        const message = await createEncrypt0(PLAINTEXT, { backend, key, externalAad: utf8('a') });
        await expectWardError(() => decryptEncrypt0(message, { backend, key, externalAad: utf8('b') }), 'ERR_DECRYPTION_FAILED');
        await expectWardError(() => decryptEncrypt0(message, { backend, key }), 'ERR_DECRYPTION_FAILED');
      });

      it('another key of the same algorithm → ERR_DECRYPTION_FAILED', async () => {
        const message = await createEncrypt0(PLAINTEXT, { backend, key: await aeadKey(backend, 'AES-GCM', 32) });
        const other = await aeadKey(backend, 'AES-GCM', 32);
        await expectWardError(() => decryptEncrypt0(message, { backend, key: other }), 'ERR_DECRYPTION_FAILED');
      });

      it('protected parameters are authenticated: changing an unauthenticated kid leaves the content intact', async () => {
        const key = await aeadKey(backend, 'AES-GCM', 16);
        const message = await createEncrypt0(PLAINTEXT, { backend, key, unprotectedHeader: new Map([label(HeaderLabel.kid, KID)]) });
        const { fields } = coseFields(message);
        const relabelled = encodeCose(16, [fields[0]!, new Map([...(fields[1] as Map<CborValue, CborValue>), [HeaderLabel.kid, utf8('other')]]), fields[2]!]);
        expect((await decryptEncrypt0(relabelled, { backend, key })).kid).toEqual(utf8('other'));
      });
    });

    describe('createEncrypt0 preconditions', () => {
      it('protected alg other than the key\'s → ERR_COSE_ALGORITHM_MISMATCH', async () => {
        const key = await aeadKey(backend, 'AES-GCM', 16);
        await expectWardError(
          () => createEncrypt0(PLAINTEXT, { backend, key, protectedHeader: new Map([label(1, CoseAlgorithm.A256GCM)]) }),
          'ERR_COSE_ALGORITHM_MISMATCH',
        );
      });

      it('a caller IV in the unprotected header is replaced by a fresh one; one in the protected header → ERR_COSE_INVALID_HEADER (label in both buckets)', async () => {
        const key = await aeadKey(backend, 'AES-GCM', 32);
        const fixed = new Uint8Array(12);
        const message = await createEncrypt0(PLAINTEXT, { backend, key, unprotectedHeader: new Map([label(HeaderLabel.iv, fixed)]) });
        const d = await decryptEncrypt0(message, { backend, key });
        expect(toHex(d.unprotectedHeader.get(HeaderLabel.iv) as Uint8Array)).not.toBe(toHex(fixed));
        await expectWardError(
          () => createEncrypt0(PLAINTEXT, { backend, key, protectedHeader: new Map([label(HeaderLabel.iv, fixed)]) }),
          'ERR_COSE_INVALID_HEADER',
        );
      });

      it('an unknown critical label → ERR_COSE_UNKNOWN_CRITICAL', async () => {
        const key = await aeadKey(backend, 'AES-GCM', 32);
        await expectWardError(
          () => createEncrypt0(PLAINTEXT, { backend, key, protectedHeader: new Map([label(2, ['x']), label('x', 1)]) }),
          'ERR_COSE_UNKNOWN_CRITICAL',
        );
      });

      it('a plaintext that is not bytes → ERR_INVALID_ARGUMENT', async () => {
        const key = await aeadKey(backend, 'AES-GCM', 32);
        await expectWardError(() => createEncrypt0('x' as unknown as Uint8Array, { backend, key }), 'ERR_INVALID_ARGUMENT');
      });
    });

    describe('decryptEncrypt0 preconditions', () => {
      const key = aeadKey(backend, 'AES-GCM', 32);
      const alg3 = (): Map<number | string, CborValue> => new Map([label(1, CoseAlgorithm.A256GCM)]);
      const rejects = async (code: WardErrorCode, craft: Parameters<typeof craftEncrypt0>[2], options: { tagged?: 'optional' } = {}): Promise<void> => {
        const k = await key;
        const message = await craftEncrypt0(backend, k, { protectedHeader: alg3(), ...craft });
        await expectWardError(() => decryptEncrypt0(message, { backend, key: k, ...options }), code);
      };

      it('a well-formed crafted message decrypts (control)', async () => {
        const k = await key;
        expect((await decryptEncrypt0(await craftEncrypt0(backend, k, { protectedHeader: alg3() }), { backend, key: k })).plaintext).toEqual(utf8('crafted plaintext'));
      });

      it('ERR_COSE_WRONG_TAG: tag 96, 17; untagged by default', async () => {
        await rejects('ERR_COSE_WRONG_TAG', { tag: 96 });
        await rejects('ERR_COSE_WRONG_TAG', { tag: 17 });
        await rejects('ERR_COSE_WRONG_TAG', { tag: null });
      });

      it('untagged is accepted with tagged: optional', async () => {
        const k = await key;
        const message = await craftEncrypt0(backend, k, { protectedHeader: alg3(), tag: null });
        expect((await decryptEncrypt0(message, { backend, key: k, tagged: 'optional' })).plaintext).toEqual(utf8('crafted plaintext'));
      });

      it('ERR_COSE_MALFORMED: wrong array length; protected not a bstr; ciphertext not a bstr', async () => {
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => f.slice(0, 2) });
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => [...f, []] });
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => [alg3(), f[1]!, f[2]!] });
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => [f[0]!, f[1]!, null] });
      });

      it('ERR_COSE_UNPROTECTED_ALG: alg only in the unprotected bucket', async () => {
        const nonce = new Uint8Array(12).fill(1);
        await rejects('ERR_COSE_UNPROTECTED_ALG', { protectedHeader: new Map(), nonce, unprotectedHeader: new Map([label(1, 3), label(5, nonce)]) });
      });

      it('ERR_COSE_INVALID_HEADER: a label in both buckets', async () => {
        const nonce = new Uint8Array(12).fill(2);
        await rejects('ERR_COSE_INVALID_HEADER', {
          protectedHeader: new Map([label(1, 3), label(HeaderLabel.kid, KID)]), nonce,
          unprotectedHeader: new Map([label(5, nonce), label(HeaderLabel.kid, KID)]),
        });
        await rejects('ERR_COSE_INVALID_HEADER', { nonce, unprotectedHeader: new Map([label(1, 3), label(5, nonce)]) });
      });

      it('ERR_COSE_UNKNOWN_CRITICAL: crit naming a label Encrypt0 does not understand', async () => {
        await rejects('ERR_COSE_UNKNOWN_CRITICAL', { protectedHeader: new Map([label(1, 3), label(2, [-1]), label(-1, 0)]) });
      });

      it('crit naming understood labels (IV, kid) decrypts', async () => {
        const k = await key;
        const nonce = new Uint8Array(12).fill(3);
        const message = await craftEncrypt0(backend, k, {
          protectedHeader: new Map([label(1, 3), label(2, [5, 4]), label(5, nonce), label(4, KID)]), nonce, unprotectedHeader: new Map(),
        });
        const d = await decryptEncrypt0(message, { backend, key: k });
        expect(d.plaintext).toEqual(utf8('crafted plaintext'));
        expect(d.kid).toEqual(KID);
      });

      it('ERR_COSE_INVALID_HEADER: crit in the unprotected bucket', async () => {
        const nonce = new Uint8Array(12).fill(4);
        await rejects('ERR_COSE_INVALID_HEADER', { nonce, unprotectedHeader: new Map([label(5, nonce), label(2, [5])]) });
      });

      it('ERR_UNSUPPORTED_ALGORITHM: Partial IV (label 6), in either bucket', async () => {
        const nonce = new Uint8Array(12).fill(5);
        await rejects('ERR_UNSUPPORTED_ALGORITHM', { nonce, unprotectedHeader: new Map([label(6, utf8('\x61\xa7'))]) });
        await rejects('ERR_UNSUPPORTED_ALGORITHM', { nonce, unprotectedHeader: new Map([label(5, nonce), label(6, utf8('\x01'))]) });
        await rejects('ERR_UNSUPPORTED_ALGORITHM', { protectedHeader: new Map([label(1, 3), label(6, utf8('\x01'))]), nonce, unprotectedHeader: new Map([label(5, nonce)]) });
      });

      it('ERR_COSE_INVALID_HEADER: IV of 11, 13 or 16 bytes; IV missing; IV not a bstr', async () => {
        for (const length of [0, 11, 13, 16]) {
          await rejects('ERR_COSE_INVALID_HEADER', { unprotectedHeader: new Map([label(5, new Uint8Array(length))]) });
        }
        await rejects('ERR_COSE_INVALID_HEADER', { unprotectedHeader: new Map() });
        await rejects('ERR_COSE_INVALID_HEADER', { unprotectedHeader: new Map([label(5, 'iv')]) });
      });

      it('ERR_UNSUPPORTED_ALGORITHM: AES-CCM (10), AES-GCM text alg, unknown -999', async () => {
        const k = await key;
        for (const a of [10, 'A256GCM', -999] as CborValue[]) {
          const message = await craftEncrypt0(backend, k, { protectedHeader: new Map([label(1, a)]) });
          await expectWardError(() => decryptEncrypt0(message, { backend, key: k }), 'ERR_UNSUPPORTED_ALGORITHM');
        }
      });

      it('ERR_UNSUPPORTED_ALGORITHM: AES-CCM (10, 30) with its own 13-byte or 7-byte nonce, or none — the alg is checked before the IV and before any key lookup', async () => {
        const k = await key;
        for (const a of [10, 30]) {
          for (const unprotectedHeader of [new Map([label(5, new Uint8Array(13))]), new Map([label(5, new Uint8Array(7))]), new Map()]) {
            const message = await craftEncrypt0(backend, k, { protectedHeader: new Map([label(1, a)]), unprotectedHeader });
            let called = false;
            await expectWardError(() => decryptEncrypt0(message, { backend, key: () => { called = true; return k; } }), 'ERR_UNSUPPORTED_ALGORITHM');
            expect(called).toBe(false);
          }
        }
      });

      it('ERR_COSE_ALGORITHM_MISMATCH: an A256GCM message with a 16-byte key; ChaCha20/Poly1305 with an AES key; A128GCM with a ChaCha key', async () => {
        const k256 = await key;
        const message = await createEncrypt0(PLAINTEXT, { backend, key: k256 });
        const a128 = await aeadKey(backend, 'AES-GCM', 16);
        await expectWardError(() => decryptEncrypt0(message, { backend, key: a128 }), 'ERR_COSE_ALGORITHM_MISMATCH');
        const chacha = await aeadKey(backend, 'ChaCha20-Poly1305', 32);
        const chachaMessage = await createEncrypt0(PLAINTEXT, { backend, key: chacha });
        await expectWardError(() => decryptEncrypt0(chachaMessage, { backend, key: k256 }), 'ERR_COSE_ALGORITHM_MISMATCH');
        const a128Message = await createEncrypt0(PLAINTEXT, { backend, key: a128 });
        await expectWardError(() => decryptEncrypt0(a128Message, { backend, key: chacha }), 'ERR_COSE_ALGORITHM_MISMATCH');
      });

      it('key resolver: receives alg and kid; undefined → ERR_KEY_NOT_FOUND; async works', async () => {
        const k = await key;
        const message = await createEncrypt0(PLAINTEXT, { backend, key: k, kid: KID });
        const seen: KeyLookup[] = [];
        const d = await decryptEncrypt0(message, { backend, key: (lookup) => { seen.push(lookup); return k; } });
        expect(d.plaintext).toEqual(PLAINTEXT);
        expect(seen.map((s) => [s.alg, toHex(s.kid!)])).toEqual([[3, toHex(KID)]]);
        expect((await decryptEncrypt0(message, { backend, key: async () => k })).plaintext).toEqual(PLAINTEXT);
        await expectWardError(() => decryptEncrypt0(message, { backend, key: () => undefined }), 'ERR_KEY_NOT_FOUND');
        await expectWardError(() => decryptEncrypt0(message, { backend, key: async () => undefined }), 'ERR_KEY_NOT_FOUND');
      });
    });
  });
}

describe('COSE_Encrypt0 properties [node]', () => {
  const backend = createNodeBackend();
  const keys = CONTENT.map((c) => ({ ...c, key: backend.importKey(c.aead, 'secret', backend.randomBytes(c.size)) }));

  it('every single-bit flip of an Encrypt0 (each content algorithm, with kid and AAD) is rejected with a WardError', async () => {
    const externalAad = utf8('aad');
    for (const { key } of keys) {
      const message = await createEncrypt0(PLAINTEXT, { backend, key, kid: KID, externalAad });
      const sweep = await sweepBitFlips(message, (m) => decryptEncrypt0(m, { backend, key, externalAad }));
      expect(sweep.crashes).toEqual([]);
      expect(sweep.accepted.map((a) => a.bit)).toEqual([]);
    }
  });

  it('fast-check: a random bit flip of a random Encrypt0 is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 16 }), fc.nat(), async ({ key }, plaintext, externalAad, seed) => {
        const message = await createEncrypt0(plaintext, { backend, key, externalAad });
        const bit = seed % (message.length * 8);
        const flipped = message.slice();
        flipped[bit >> 3]! ^= 0x80 >> (bit & 7);
        const outcome = await outcomeOf(() => decryptEncrypt0(flipped, { backend, key, externalAad }));
        expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
      }),
      { numRuns: 500 },
    );
  });

  it('fast-check: arbitrary plaintext, AAD and kid round trip for every content algorithm', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 64 }), fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }), async ({ key, alg }, plaintext, externalAad, kid) => {
        const message = await createEncrypt0(plaintext, { backend, key, externalAad, ...(kid === undefined ? {} : { kid }) });
        const d = await decryptEncrypt0(message, { backend, key, externalAad });
        expect(d.plaintext).toEqual(plaintext);
        expect(d.alg).toBe(alg);
        expect(d.kid).toEqual(kid);
      }),
      { numRuns: 300 },
    );
  });

  it('fast-check: decryptEncrypt0 fed arbitrary bytes or COSE-like structures throws only WardErrors', async () => {
    const key = keys[2]!.key;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }), coseLikeArbitrary().map((f) => encodeCbor(new CborTag(16, f)))), async (bytes) => {
        const outcome = await outcomeOf(() => decryptEncrypt0(bytes, { backend, key: () => key, tagged: 'optional' }));
        expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
      }),
      { numRuns: 800 },
    );
  });
});
