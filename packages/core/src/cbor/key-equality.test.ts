/*
 * Map keys are compared by value (RFC 8949 §5.6.1, key-equality.ts): every encoding of one
 * numeric value, as an integer (number or bigint), a float or a tag 2/3 bignum, is one key.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex as bytesOfHex, toHex as hex } from '../bytes.js';
import { DecodeError } from '../errors.js';
import { CborTag, type CborValue } from './data-model.js';
import { decodeCbor } from './decode.js';
import { encodeCbor } from './encode.js';
import { exactHalfBits } from './float.js';

const fromHex = (text: string): Uint8Array => bytesOfHex(text.replace(/\s/g, '').toLowerCase());
const TWO_64 = 2n ** 64n;
const RUNS = { numRuns: 500 };

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (DecodeError.isInstance(error)) return error.code;
    throw error;
  }
  return 'accepted';
}

/** A head of major type `major` with `argument` in each width from the shortest up (RFC 8949 §3). */
function heads(major: number, argument: bigint): string[] {
  const out: string[] = [];
  if (argument < 24n) out.push(((major << 5) | Number(argument)).toString(16).padStart(2, '0'));
  for (const [info, bytes] of [[24, 1], [25, 2], [26, 4], [27, 8]] as const) {
    if (argument < 2n ** BigInt(8 * bytes)) out.push(((major << 5) | info).toString(16) + argument.toString(16).padStart(2 * bytes, '0'));
  }
  return out;
}

/** Every encoding (hex) of the numeric value: integer heads, bignums with 0-1 leading zeros, exact floats. */
function encodingsOf(value: { integer: bigint } | { float: number }): string[] {
  const out: string[] = [];
  const float = 'float' in value ? value.float : Number(value.integer);
  const integer = 'integer' in value ? value.integer : Number.isInteger(value.float) ? BigInt(value.float) : undefined;
  if (integer !== undefined) {
    const negative = integer < 0n;
    const argument = negative ? -1n - integer : integer;
    if (argument < TWO_64) out.push(...heads(negative ? 1 : 0, argument));
    const magnitude = argument === 0n ? '' : argument.toString(16).padStart(Math.ceil(argument.toString(16).length / 2) * 2, '0');
    for (const zeros of ['', '00']) {
      const content = zeros + magnitude;
      out.push((negative ? 'c3' : 'c2') + heads(2, BigInt(content.length / 2))[0]! + content);
    }
  }
  if (integer === undefined || (Number.isFinite(float) && BigInt(float) === integer)) {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, float);
    out.push('fb' + hex(new Uint8Array(view.buffer)));
    if (Math.fround(float) === float) {
      view.setFloat32(0, float);
      out.push('fa' + hex(new Uint8Array(view.buffer, 0, 4)));
    }
    const half = exactHalfBits(float);
    if (half >= 0) out.push('f9' + half.toString(16).padStart(4, '0'));
  }
  return out;
}

/** A map of two keys, each with value 0. */
const twoKeys = (a: string, b: string): Uint8Array => fromHex(`a2 ${a} 00 ${b} 00`);

/** Integers around the boundaries where the data model changes representation, most of them exact floats. */
const integerValue = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, 2n ** 53n, -(2n ** 53n), 2n ** 53n - 1n, 2n ** 53n + 2n, 2n ** 63n, TWO_64 - 2048n, -TWO_64, TWO_64, 2n ** 70n, -(2n ** 70n) - 1n),
  fc.tuple(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), fc.integer({ min: 0, max: 80 })).map(([m, e]) => BigInt(m) << BigInt(e)),
  fc.bigInt({ min: -(2n ** 66n), max: 2n ** 66n }),
).map((integer) => ({ integer }));
const floatValue = fc.double({ noNaN: true }).filter((x) => !Number.isInteger(x)).map((float) => ({ float }));
const numericValue = fc.oneof(integerValue, floatValue);

describe('map keys are compared by value across integer, bigint, bignum and float forms (RFC 8949 §5.6.1)', () => {
  it.each([
    ['1b 00 20 00 00 00 00 00 00', 'fb 43 40 00 00 00 00 00 00', 'the integer 2^53 (a bigint) and the float 2^53 (a number)'],
    ['fa 5a 00 00 00', '1b 00 20 00 00 00 00 00 00', 'the float 2^53 first, then the integer'],
    ['3b 00 1f ff ff ff ff ff ff', 'fb c3 40 00 00 00 00 00 00', '-2^53 as an integer and as a float'],
    ['3b ff ff ff ff ff ff ff ff', 'fa df 80 00 00', '-2^64 as an integer and as a float'],
    ['c2 49 01 00 00 00 00 00 00 00 00', 'fa 5f 80 00 00', '2^64 as a bignum and as a float'],
    ['1b 00 20 00 00 00 00 00 00', 'c2 47 20 00 00 00 00 00 00', '2^53 as an integer and as a bignum'],
    ['01', 'c2 41 01', '1 as an integer and as a bignum'],
    ['20', 'c3 41 00', '-1 as an integer and as a bignum'],
    ['c2 41 01', 'c2 42 00 01', 'one bignum with and without a leading zero'],
    ['81 1b 00 20 00 00 00 00 00 00', '81 fb 43 40 00 00 00 00 00 00', 'arrays holding 2^53 as an integer and as a float'],
    ['81 00', '81 f9 80 00', '[0] and [-0.0]'],
  ])('duplicate-key detection compares integer and float keys by value: %s / %s (%s)', (a, b) => {
    expect(codeOf(() => decodeCbor(twoKeys(a, b)))).toBe('ERR_CBOR_DUPLICATE_KEY');
    expect(codeOf(() => decodeCbor(twoKeys(b, a)))).toBe('ERR_CBOR_DUPLICATE_KEY');
  });

  it('keeps numerically distinct keys at the boundary', () => {
    const keys = ['1b 00 20 00 00 00 00 00 00', '1b 00 20 00 00 00 00 00 01', '1b 00 1f ff ff ff ff ff ff', 'fb 43 40 00 00 00 00 00 01', 'c2 41 02', 'fb 3f f8 00 00 00 00 00 00'];
    const map = decodeCbor(fromHex(`a6 ${keys.map((k) => `${k} 00`).join(' ')}`)) as Map<CborValue, CborValue>;
    expect(map.size).toBe(keys.length);
  });

  it('property: any two encodings of one numeric value as map keys are a duplicate key', () => {
    fc.assert(fc.property(numericValue, fc.nat(), fc.nat(), (value, i, j) => {
      const encodings = encodingsOf(value);
      const a = encodings[i % encodings.length]!;
      const b = encodings[j % encodings.length]!;
      expect(codeOf(() => decodeCbor(twoKeys(a, b)))).toBe('ERR_CBOR_DUPLICATE_KEY');
    }), RUNS);
  });

  it('property: encodings of distinct numeric values are distinct keys', () => {
    const numeric = (v: { integer: bigint } | { float: number }): number | bigint => ('integer' in v ? v.integer : v.float);
    const equal = (x: number | bigint, y: number | bigint): boolean =>
      typeof x === typeof y ? x === y : typeof x === 'number' ? Number.isInteger(x) && BigInt(x) === y : Number.isInteger(y) && BigInt(y as number) === x;
    fc.assert(fc.property(numericValue, numericValue, fc.nat(), fc.nat(), (x, y, i, j) => {
      fc.pre(!equal(numeric(x), numeric(y)));
      const a = encodingsOf(x)[i % encodingsOf(x).length]!;
      const b = encodingsOf(y)[j % encodingsOf(y).length]!;
      const map = decodeCbor(twoKeys(a, b)) as Map<CborValue, CborValue>;
      expect(map.size).toBe(2);
    }), RUNS);
  });

  it('property: the encoder refuses exactly the maps the decoder would refuse', () => {
    const key = fc.oneof(
      integerValue.filter(({ integer }) => integer >= -TWO_64 && integer < TWO_64)
        .map(({ integer }): CborValue => (integer >= BigInt(Number.MIN_SAFE_INTEGER) && integer <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(integer) : integer)),
      integerValue.map(({ integer }): CborValue => Number(integer)),
      fc.double({ noNaN: true }),
    );
    fc.assert(fc.property(key, key, (a, b) => {
      const map = new Map<CborValue, CborValue>([[a, 0], [b, 1]]);
      fc.pre(map.size === 2);
      const encoded = codeOf(() => encodeCbor(map));
      if (encoded === 'accepted') {
        expect((decodeCbor(encodeCbor(map)) as Map<CborValue, CborValue>).size).toBe(2);
      } else {
        expect(encoded).toBe('ERR_CBOR_DUPLICATE_KEY');
        const bytes = fromHex(`a2 ${hex(encodeCbor(a))} 00 ${hex(encodeCbor(b))} 00`);
        expect(codeOf(() => decodeCbor(bytes))).toBe('ERR_CBOR_DUPLICATE_KEY');
      }
    }), RUNS);
  });

  it('the encoder refuses 2^53 and 2n ** 53n as keys of one map', () => {
    expect(codeOf(() => encodeCbor(new Map<CborValue, CborValue>([[2 ** 53, 0], [2n ** 53n, 1]])))).toBe('ERR_CBOR_DUPLICATE_KEY');
    expect(codeOf(() => encodeCbor(new Map<CborValue, CborValue>([[[2 ** 60], 0], [[2n ** 60n], 1]])))).toBe('ERR_CBOR_DUPLICATE_KEY');
    expect(codeOf(() => encodeCbor(new Map<CborValue, CborValue>([[2 ** 64, 0], [new CborTag(2, fromHex('010000000000000000')), 1]])))).toBe('ERR_CBOR_DUPLICATE_KEY');
  });
});
