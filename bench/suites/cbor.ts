/**
 * Ward's CBOR codec on the structures COSE envelopes are made of, beside `cbor-x` alone
 * (moved here from the codec's unit tests, which now test behaviour only). The `cbor-x` column
 * is the second pass a validate-then-cbor-x design would add: it decodes without Ward's checks
 * and returns views instead of copies. Inputs are built once in setup; every op is one call.
 */
import { ok } from 'node:assert/strict';
import { CborTag, decodeCbor, encodeCbor } from '@ward/core/cbor';
import type { CborValue } from '@ward/core';
import { Decoder } from 'cbor-x';
import type { BenchCase, Suite } from '../lib/types.js';

/** A COSE_Sign1 of about 300 bytes (RFC 9052 §4.2): ES256 protected header, a kid, a 200-byte payload. */
function sign1(): CborTag {
  return new CborTag(18, [
    encodeCbor(new Map([[1, -7]])),
    new Map<CborValue, CborValue>([[4, new Uint8Array(16).fill(1)], ['reason', 'bench']]),
    new Uint8Array(200).fill(2),
    new Uint8Array(64).fill(3),
  ]);
}

export const cbor: Suite = {
  name: 'cbor',
  title: "Ward's CBOR encoder and strict decoder on COSE-shaped values, cbor-x alone beside the decoder",
  baseline: 'ward',
  figures: ['µs/op', 'spread', 'MB/s'],
  async setup() {
    const protectedHeader = encodeCbor(new Map([[1, -7]]));
    const payload = new Uint8Array(200).fill(7);
    const sigStructure: CborValue = ['Signature1', protectedHeader, new Uint8Array(0), payload];
    const header = new Map<CborValue, CborValue>([
      [1, -7], [4, new Uint8Array(16)], [3, 0], [5, new Uint8Array(12)], [-1, 2], [2, [1, 2]], [6, 'ctx'], [33, 10],
    ]);
    const message = sign1();
    const encoded = encodeCbor(message);
    const mebibyte = encodeCbor(new Uint8Array(1 << 20).fill(4));
    const cborX = new Decoder({ mapsAsObjects: false, useRecords: false });
    /* Decoding gives back what was encoded, once, before anything is timed. */
    ok(decodeCbor(encoded) instanceof CborTag);
    ok((decodeCbor(mebibyte) as Uint8Array).length === 1 << 20);
    const cases: BenchCase[] = [
      { name: 'encode Sig_structure [tstr, bstr, bstr, 200-byte bstr]', ops: { ward: () => encodeCbor(sigStructure) } },
      { name: 'encode protected header {1: -7}', ops: { ward: () => encodeCbor(new Map([[1, -7]])) } },
      { name: 'encode header map, 8 integer labels', ops: { ward: () => encodeCbor(header) } },
      { name: `encode COSE_Sign1 (${encoded.length} bytes)`, bytes: encoded.length, ops: { ward: () => encodeCbor(message) } },
      {
        name: `decode COSE_Sign1 (${encoded.length} bytes)`, bytes: encoded.length,
        ops: { ward: () => decodeCbor(encoded), 'ward-deterministic': () => decodeCbor(encoded, { requireDeterministic: true }), 'cbor-x': () => cborX.decode(encoded) },
      },
      {
        name: 'decode 1 MiB byte string', bytes: mebibyte.length,
        ops: { ward: () => decodeCbor(mebibyte), 'cbor-x': () => cborX.decode(mebibyte) },
      },
    ];
    return {
      cases,
      notes: [
        '`ward-deterministic`: `decodeCbor(…, { requireDeterministic: true })`, which also checks RFC 8949 §4.2.1 deterministic encoding.',
        '`cbor-x`: `new Decoder({ mapsAsObjects: false, useRecords: false })` alone; it returns views into the input, Ward copies byte strings.',
      ],
    };
  },
};
