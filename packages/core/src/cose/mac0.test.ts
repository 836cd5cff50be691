/*
 * COSE_Mac0 with HMAC 256/256 (RFC 9052 §6.2, §6.3; RFC 9053 §3.1): round trips, an
 * independent known answer (node:crypto HMAC over a hand-built MAC_structure), every
 * precondition of createMac0/verifyMac0 by name, key resolution, and fast-check properties.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CborValue } from '../cbor/index.js';
import { CborTag, encodeCbor } from '../cbor/index.js';
import type { CryptoBackend, MacKey } from '../backend/crypto-backend.js';
import type { WardErrorCode } from '../errors.js';
import {
  BACKENDS, coseFields, coseLikeArbitrary, craftMac0, describeOutcome, expectWardError, fromHex, outcomeOf, recordingBackend,
  sweepBitFlips, toHex, utf8,
} from '../../test-kit/cose-vectors.js';
import { createNodeBackend } from '@ward/node';
import { CoseAlgorithm } from './algorithms.js';
import { HeaderLabel } from './headers.js';
import type { KeyLookup } from './key-lookup.js';
import { createMac0, verifyMac0 } from './mac0.js';

const PAYLOAD = utf8('footfall=42');
const KID = utf8('gateway-3');
const label = (l: number | string, v: CborValue): [number | string, CborValue] => [l, v];
const RAW_KEY = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

async function macKey(backend: CryptoBackend, raw: Uint8Array = RAW_KEY): Promise<MacKey> {
  return backend.importKey('HMAC-SHA256', 'secret', raw);
}

for (const { name, create } of BACKENDS) {
  describe(`COSE_Mac0 [${name}]`, () => {
    const backend = create();

    describe('round trips', () => {
      it('MACs and verifies; returns payload, kid and headers; tag is 32 bytes under alg 5', async () => {
        const key = await macKey(backend);
        const message = await createMac0(PAYLOAD, { backend, key, kid: KID });
        const v = await verifyMac0(message, { backend, key });
        expect(v.payload).toEqual(PAYLOAD);
        expect(v.kid).toEqual(KID);
        expect(v.protectedHeader.get(HeaderLabel.alg)).toBe(CoseAlgorithm.HMAC_256_256);
        const { tag, fields } = coseFields(message);
        expect(tag).toBe(17);
        expect((fields[3] as Uint8Array).length).toBe(32);
      });

      it('known answer: the tag is HMAC-SHA-256 (node:crypto) over ["MAC0", protected, external_aad, payload]', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const key = await macKey(rec);
        const externalAad = utf8('aad');
        const message = await createMac0(PAYLOAD, { backend: rec, key, externalAad });
        /* a1 01 05 = {1: 5}; MAC_structure by hand (RFC 9052 §6.3). */
        const protectedBytes = fromHex('a10105');
        const macStructure = encodeCbor(['MAC0', protectedBytes, externalAad, PAYLOAD]);
        expect(toHex(macStructure)).toBe('84644d41433043a1010543616164' + '4b666f6f7466616c6c3d3432');
        expect(log.macInputs.map(toHex)).toEqual([toHex(macStructure)]);
        const expected = createHmac('sha256', RAW_KEY).update(macStructure).digest();
        const { fields } = coseFields(message);
        expect(toHex(fields[0] as Uint8Array)).toBe('a10105');
        expect(toHex(fields[3] as Uint8Array)).toBe(expected.toString('hex'));
      });

      it('external AAD round trips; a different or missing AAD is ERR_MAC_INVALID', async () => {
        const key = await macKey(backend);
        const externalAad = utf8('zone=north');
        const message = await createMac0(PAYLOAD, { backend, key, externalAad });
        expect((await verifyMac0(message, { backend, key, externalAad })).payload).toEqual(PAYLOAD);
        await expectWardError(() => verifyMac0(message, { backend, key, externalAad: utf8('zone=south') }), 'ERR_MAC_INVALID');
        await expectWardError(() => verifyMac0(message, { backend, key }), 'ERR_MAC_INVALID');
      });

      it('another key → ERR_MAC_INVALID', async () => {
        const message = await createMac0(PAYLOAD, { backend, key: await macKey(backend) });
        const other = await backend.generateKey('HMAC-SHA256');
        await expectWardError(() => verifyMac0(message, { backend, key: other }), 'ERR_MAC_INVALID');
      });

      it('a 64-byte key works; a truncated tag → ERR_MAC_INVALID', async () => {
        const key = await macKey(backend, new Uint8Array(64).fill(7));
        const message = await createMac0(PAYLOAD, { backend, key });
        expect((await verifyMac0(message, { backend, key })).payload).toEqual(PAYLOAD);
        const { fields } = coseFields(message);
        const truncated = encodeCbor(new CborTag(17, [fields[0]!, fields[1]!, fields[2]!, (fields[3] as Uint8Array).subarray(0, 8)]));
        await expectWardError(() => verifyMac0(truncated, { backend, key }), 'ERR_MAC_INVALID');
      });
    });

    describe('createMac0 preconditions', () => {
      it('protected alg other than HMAC 256/256 → ERR_COSE_ALGORITHM_MISMATCH', async () => {
        const key = await macKey(backend);
        for (const a of [6, 7, 4, 14]) {
          await expectWardError(() => createMac0(PAYLOAD, { backend, key, protectedHeader: new Map([label(1, a)]) }), 'ERR_COSE_ALGORITHM_MISMATCH');
        }
      });

      it('a label in both buckets → ERR_COSE_INVALID_HEADER', async () => {
        const key = await macKey(backend);
        await expectWardError(() => createMac0(PAYLOAD, { backend, key, kid: KID, unprotectedHeader: new Map([label(4, KID)]) }), 'ERR_COSE_INVALID_HEADER');
      });

      it('an unknown critical label → ERR_COSE_UNKNOWN_CRITICAL', async () => {
        const key = await macKey(backend);
        await expectWardError(
          () => createMac0(PAYLOAD, { backend, key, protectedHeader: new Map([label(2, [-70000]), label(-70000, 1)]) }),
          'ERR_COSE_UNKNOWN_CRITICAL',
        );
      });

      it('a non-HMAC key → KeyError', async () => {
        const aes = await backend.generateKey('AES-GCM');
        const code = await expectWardError(() => createMac0(PAYLOAD, { backend, key: aes as unknown as MacKey }));
        expect(code).toBe('ERR_KEY_USAGE');
      });
    });

    describe('verifyMac0 preconditions', () => {
      const key = macKey(backend);
      const alg5 = (): Map<number | string, CborValue> => new Map([label(1, 5)]);
      const rejects = async (code: WardErrorCode, craft: Parameters<typeof craftMac0>[2], options: { tagged?: 'optional' } = {}): Promise<void> => {
        const k = await key;
        const message = await craftMac0(backend, k, { protectedHeader: alg5(), ...craft });
        await expectWardError(() => verifyMac0(message, { backend, key: k, ...options }), code);
      };

      it('a well-formed crafted message verifies (control)', async () => {
        const k = await key;
        expect((await verifyMac0(await craftMac0(backend, k, { protectedHeader: alg5() }), { backend, key: k })).payload).toEqual(utf8('crafted payload'));
      });

      it('ERR_COSE_WRONG_TAG: tag 18, 97 (COSE_Mac), untagged by default', async () => {
        await rejects('ERR_COSE_WRONG_TAG', { tag: 18 });
        await rejects('ERR_COSE_WRONG_TAG', { tag: 97 });
        await rejects('ERR_COSE_WRONG_TAG', { tag: null });
      });

      it('untagged is accepted with tagged: optional', async () => {
        const k = await key;
        const message = await craftMac0(backend, k, { protectedHeader: alg5(), tag: null });
        expect((await verifyMac0(message, { backend, key: k, tagged: 'optional' })).payload).toEqual(utf8('crafted payload'));
      });

      it('ERR_COSE_MALFORMED: wrong array length; protected not a bstr; payload or tag not a bstr', async () => {
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => f.slice(0, 3) });
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => [...f, new Uint8Array(0)] });
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => [alg5(), f[1]!, f[2]!, f[3]!] });
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => [f[0]!, f[1]!, null, f[3]!] });
        await rejects('ERR_COSE_MALFORMED', { fields: (f) => [f[0]!, f[1]!, f[2]!, 5] });
      });

      it('ERR_COSE_UNPROTECTED_ALG: alg only in the unprotected bucket', async () => {
        await rejects('ERR_COSE_UNPROTECTED_ALG', { protectedHeader: new Map(), unprotectedHeader: alg5() });
      });

      it('ERR_COSE_INVALID_HEADER: label in both buckets; alg missing; crit in unprotected; protected not a map', async () => {
        await rejects('ERR_COSE_INVALID_HEADER', { unprotectedHeader: alg5() });
        await rejects('ERR_COSE_INVALID_HEADER', { protectedHeader: new Map([label(4, KID)]) });
        await rejects('ERR_COSE_INVALID_HEADER', { protectedHeader: new Map([label(1, 5), label(3, 0)]), unprotectedHeader: new Map([label(2, [3])]) });
        await rejects('ERR_COSE_INVALID_HEADER', { protectedBytes: encodeCbor('not a map') });
      });

      it('ERR_COSE_UNKNOWN_CRITICAL: crit naming a label Mac0 does not understand (IV)', async () => {
        await rejects('ERR_COSE_UNKNOWN_CRITICAL', { protectedHeader: new Map([label(1, 5), label(2, [5]), label(5, new Uint8Array(12))]) });
      });

      it('ERR_UNSUPPORTED_ALGORITHM: HMAC 256/64, HMAC 384, HMAC 512, AES-MAC, text alg — before any key lookup', async () => {
        const k = await key;
        for (const a of [4, 6, 7, 14, 25, 'HS256'] as CborValue[]) {
          const message = await craftMac0(backend, k, { protectedHeader: new Map([label(1, a)]) });
          let called = false;
          await expectWardError(() => verifyMac0(message, { backend, key: () => { called = true; return k; } }), 'ERR_UNSUPPORTED_ALGORITHM');
          expect(called).toBe(false);
        }
      });

      it('ERR_COSE_ALGORITHM_MISMATCH: an AES-GCM key offered for HMAC 256/256', async () => {
        const message = await createMac0(PAYLOAD, { backend, key: await key });
        const aes = await backend.generateKey('AES-GCM');
        await expectWardError(() => verifyMac0(message, { backend, key: aes as unknown as MacKey }), 'ERR_COSE_ALGORITHM_MISMATCH');
      });

      it('key resolver: receives alg 5 and the kid; undefined → ERR_KEY_NOT_FOUND; async works', async () => {
        const k = await key;
        const message = await createMac0(PAYLOAD, { backend, key: k, kid: KID });
        const seen: KeyLookup[] = [];
        const v = await verifyMac0(message, { backend, key: (lookup) => { seen.push(lookup); return toHex(lookup.kid!) === toHex(KID) ? k : undefined; } });
        expect(v.kid).toEqual(KID);
        expect(seen.map((s) => s.alg)).toEqual([5]);
        expect((await verifyMac0(message, { backend, key: async () => k })).payload).toEqual(PAYLOAD);
        await expectWardError(() => verifyMac0(message, { backend, key: () => undefined }), 'ERR_KEY_NOT_FOUND');
      });
    });
  });
}

describe('COSE_Mac0 properties [node]', () => {
  const backend = createNodeBackend();
  const key = backend.importKey('HMAC-SHA256', 'secret', RAW_KEY);

  it('every single-bit flip of a Mac0 (with kid and AAD) is rejected with a WardError', async () => {
    const externalAad = utf8('aad');
    const message = await createMac0(PAYLOAD, { backend, key, kid: KID, externalAad });
    const sweep = await sweepBitFlips(message, (m) => verifyMac0(m, { backend, key, externalAad }));
    expect(sweep.crashes).toEqual([]);
    expect(sweep.accepted.map((a) => a.bit)).toEqual([]);
  });

  it('fast-check: a random bit flip of a random Mac0 is rejected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 16 }), fc.nat(), async (payload, externalAad, seed) => {
        const message = await createMac0(payload, { backend, key, externalAad });
        const bit = seed % (message.length * 8);
        const flipped = message.slice();
        flipped[bit >> 3]! ^= 0x80 >> (bit & 7);
        const outcome = await outcomeOf(() => verifyMac0(flipped, { backend, key, externalAad }));
        expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
      }),
      { numRuns: 500 },
    );
  });

  it('fast-check: arbitrary payload, AAD and kid round trip', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 64 }), fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }), async (payload, externalAad, kid) => {
        const message = await createMac0(payload, { backend, key, externalAad, ...(kid === undefined ? {} : { kid }) });
        const v = await verifyMac0(message, { backend, key, externalAad });
        expect(v.payload).toEqual(payload);
        expect(v.kid).toEqual(kid);
      }),
      { numRuns: 300 },
    );
  });

  it('fast-check: verifyMac0 fed arbitrary bytes or COSE-like structures throws only WardErrors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 200 }), coseLikeArbitrary().map((f) => encodeCbor(new CborTag(17, f)))), async (bytes) => {
        const outcome = await outcomeOf(() => verifyMac0(bytes, { backend, key, tagged: 'optional' }));
        expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
      }),
      { numRuns: 800 },
    );
  });
});
