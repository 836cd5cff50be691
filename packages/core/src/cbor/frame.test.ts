import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborTag } from './data-model.js';
import type { CborValue } from './data-model.js';
import { decodeCbor } from './decode.js';
import { encodeCbor } from './encode.js';
import { EncodedCbor, encodeFrame, encodeHead } from './frame.js';
import type { FrameItem } from './frame.js';

const item: fc.Arbitrary<FrameItem> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 40, unit: 'grapheme' }),
  fc.constant(null),
  fc.oneof(fc.integer(), fc.constant(new Map<CborValue, CborValue>([[5, new Uint8Array(12)]]))).map((v) => EncodedCbor.of(v)),
);

const asValue = (i: FrameItem): CborValue => (i instanceof EncodedCbor ? decodeCbor(i.bytes) : i);

describe('encodeFrame', () => {
  it('is byte-identical to encodeCbor of the same array, tagged or not', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }), (items, tag) => {
        const value: CborValue[] = items.map(asValue);
        const expected = encodeCbor(tag === undefined ? value : new CborTag(tag, value));
        expect(encodeFrame(items, tag)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('writes every head length form: 1, 2, 3 and 5 bytes', () => {
    for (const length of [0, 23, 24, 255, 256, 65535, 65536]) {
      const bytes = new Uint8Array(length);
      expect(encodeFrame([bytes], 18)).toEqual(encodeCbor(new CborTag(18, [bytes])));
    }
  });
});

describe('encodeHead', () => {
  it('with a byte string joined after it, is the encoding of that byte string (every length form)', () => {
    for (const length of [0, 23, 24, 255, 256, 65535, 65536, 2 ** 32]) {
      const head = encodeHead(2, length);
      const expected = length <= 65536 ? encodeCbor(new Uint8Array(length)).subarray(0, head.length) : Uint8Array.of(0x5b, 0, 0, 0, 1, 0, 0, 0, 0);
      expect(head).toEqual(expected);
    }
  });

  it('is the head of any major type and argument', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (n) => {
        const encoded = encodeCbor(n); // major type 0: the head is the whole item
        expect(encodeHead(0, n)).toEqual(encoded);
      }),
      { numRuns: 300 },
    );
  });
});
