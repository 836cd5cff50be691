import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborTag } from './data-model.js';
import type { CborValue } from './data-model.js';
import { decodeCbor } from './decode.js';
import { encodeCbor } from './encode.js';
import { EncodedCbor, encodeFrame } from './frame.js';
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
