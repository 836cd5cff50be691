import { describe, expect, it } from 'vitest';
import { ArgumentError, DecodeError, WardError } from '../errors.js';
import type { DecodeErrorCode } from '../errors.js';
import { CborSimple, CborTag, type CborValue } from './data-model.js';
import { decodeCbor, type DecodeCborOptions } from './decode.js';
import { encodeCbor } from './encode.js';

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));
const dec = (text: string, options?: DecodeCborOptions): CborValue => decodeCbor(fromHex(text), options);

function failure(text: string, options?: DecodeCborOptions): DecodeError {
  try {
    dec(text, options);
  } catch (error) {
    if (DecodeError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`${text} decoded`);
}

function expectFailure(text: string, code: DecodeErrorCode, offset: number, options?: DecodeCborOptions): void {
  const error = failure(text, options);
  expect([error.code, error.message]).toEqual([code, expect.stringMatching(new RegExp(`at offset ${offset}$`))]);
}

describe('decodeCbor: the data model', () => {
  it('decodes integers to numbers when safe and to bigints otherwise', () => {
    expect(dec('1b001fffffffffffff')).toBe(Number.MAX_SAFE_INTEGER);
    expect(dec('1b0020000000000000')).toBe(2n ** 53n);
    expect(dec('1bffffffffffffffff')).toBe(2n ** 64n - 1n);
    expect(dec('3b001ffffffffffffe')).toBe(Number.MIN_SAFE_INTEGER);
    expect(dec('3b001fffffffffffff')).toBe(-(2n ** 53n));
    expect(dec('3bffffffffffffffff')).toBe(-(2n ** 64n));
    expect(dec('1a00010000')).toBe(65536);
    expect(dec('3a00010000')).toBe(-65537);
  });

  it('decodes byte strings to copies, never views of the input', () => {
    const input = fromHex('43010203');
    const value = decodeCbor(input) as Uint8Array;
    expect(value).toStrictEqual(Uint8Array.of(1, 2, 3));
    input[1] = 9;
    expect(value[0]).toBe(1);
    expect(value.buffer).not.toBe(input.buffer);
  });

  it('returns plain Uint8Arrays for Node Buffer input', () => {
    const value = decodeCbor(Buffer.from('820141ff', 'hex')) as [number, Uint8Array];
    expect(value[1].constructor).toBe(Uint8Array);
    expect(value[1]).toStrictEqual(Uint8Array.of(0xff));
  });

  it('decodes maps to Maps, whatever their keys', () => {
    expect(dec('a201020304')).toStrictEqual(new Map([[1, 2], [3, 4]]));
    const proto = dec('a1695f5f70726f746f5f5f00') as Map<CborValue, CborValue>;
    expect(proto).toBeInstanceOf(Map);
    expect(proto.get('__proto__')).toBe(0);
    expect(dec('a0')).toStrictEqual(new Map());
  });

  it('decodes tags to CborTags, bignums included', () => {
    expect(dec('d28101')).toStrictEqual(new CborTag(18, [1]));
    expect(dec('c249010000000000000000')).toStrictEqual(new CborTag(2, fromHex('010000000000000000')));
    expect(dec('dbffffffffffffffff00')).toStrictEqual(new CborTag(2n ** 64n - 1n, 0));
    expect(dec('db001fffffffffffff00')).toStrictEqual(new CborTag(Number.MAX_SAFE_INTEGER, 0));
  });

  it('decodes simple values and floats', () => {
    expect(dec('84f4f5f6f7')).toStrictEqual([false, true, null, undefined]);
    expect(dec('e0')).toStrictEqual(new CborSimple(0));
    expect(dec('f3')).toStrictEqual(new CborSimple(19));
    expect(dec('f820')).toStrictEqual(new CborSimple(32));
    expect(dec('f98000')).toBe(-0);
    expect(dec('f97e00')).toBeNaN();
    expect(dec('fa47c35000')).toBe(100000);
    expect(dec('fb3ff199999999999a')).toBe(1.1);
  });

  it('keeps a leading U+FEFF in text (it is content, not a byte order mark)', () => {
    expect(dec('66efbbbf424f4d')).toBe('\ufeffBOM');
  });

  it('concatenates indefinite-length strings and reads indefinite-length arrays and maps', () => {
    expect(dec('5f42010243030405ff')).toStrictEqual(Uint8Array.of(1, 2, 3, 4, 5));
    expect(dec('7f657374726561646d696e67ff')).toBe('streaming');
    expect(dec('5fff')).toStrictEqual(new Uint8Array(0));
    expect(dec('7fff')).toBe('');
    expect(dec('9f018202039f0405ffff')).toStrictEqual([1, [2, 3], [4, 5]]);
    expect(dec('bf61610161629f0203ffff')).toStrictEqual(new Map<CborValue, CborValue>([['a', 1], ['b', [2, 3]]]));
  });
});

describe('decodeCbor: well-formedness (RFC 8949 §3, Appendix F)', () => {
  it.each([
    ['', 0, 'empty input'],
    ['18', 0, 'truncated 1-byte argument'],
    ['1900', 0, 'truncated 2-byte argument'],
    ['1a000000', 0, 'truncated 4-byte argument'],
    ['1b00000000000000', 0, 'truncated 8-byte argument'],
    ['8201', 0, 'array with more items than bytes left'],
    ['a2010203a1', 4, 'nested map with more entries than bytes left'],
    ['a3010203a10102', 7, 'missing key in the outer map after a nested one'],
    ['a16161', 3, 'missing map value'],
    ['c0', 1, 'missing tag content'],
    ['44010203', 0, 'byte string shorter than declared'],
    ['7432303133', 0, 'text string shorter than declared'],
    ['f9', 0, 'truncated half float'],
    ['fa000000', 0, 'truncated single float'],
    ['fb00000000000000', 0, 'truncated double float'],
    ['f8', 0, 'truncated two-byte simple value'],
    ['1c', 0, 'reserved additional information 28'],
    ['3d', 0, 'reserved additional information 29'],
    ['5e', 0, 'reserved additional information 30'],
    ['fc', 0, 'reserved additional information 28 in major type 7'],
    ['821e00', 1, 'reserved additional information inside an array'],
    ['1f', 0, 'indefinite length for major type 0'],
    ['3f', 0, 'indefinite length for major type 1'],
    ['df00', 0, 'indefinite length for major type 6'],
    ['ff', 0, 'break at top level'],
    ['81ff', 1, 'break in a definite-length array'],
    ['a1ff00', 1, 'break in place of a map key'],
    ['c0ff', 1, 'break as tag content'],
    ['bf00ff', 2, 'break after a key in an indefinite-length map'],
    ['9f', 1, 'indefinite-length array without a break'],
    ['bf6161', 3, 'indefinite-length map without a break'],
    ['5f4101', 0, 'indefinite-length byte string without a break'],
    ['5f01ff', 1, 'integer chunk in an indefinite-length byte string'],
    ['5f6161ff', 1, 'text chunk in an indefinite-length byte string'],
    ['7f4161ff', 1, 'byte chunk in an indefinite-length text string'],
    ['5f5fffff', 1, 'indefinite-length chunk in an indefinite-length string'],
    ['5f5cff', 1, 'chunk with reserved additional information'],
    ['5f44ff', 1, 'chunk longer than the input'],
    ['f800', 0, 'two-byte simple value 0'],
    ['f81f', 0, 'two-byte simple value 31'],
    ['62c0ae', 0, 'invalid UTF-8 (overlong)'],
    ['63eda080', 0, 'invalid UTF-8 (UTF-16 surrogate)'],
    ['64f4908080', 0, 'invalid UTF-8 (above U+10FFFF)'],
    ['61c3', 0, 'invalid UTF-8 (truncated sequence)'],
    ['61ff', 0, 'invalid UTF-8 (byte 0xff)'],
    ['7f61c361a9ff', 1, 'UTF-8 sequence split across chunks (each chunk must be valid)'],
    ['0000', 1, 'trailing bytes'],
    ['8100ff', 2, 'trailing break'],
  ])('rejects %s (%s at offset %i)', (text, offset, _description) => {
    expectFailure(text, 'ERR_CBOR_MALFORMED', offset);
  });

  it('reports the offset of the offending head deep inside a structure', () => {
    expectFailure('a2 01 82 00 00 02 83 00 00 1c', 'ERR_CBOR_MALFORMED', 9);
    expectFailure('d2 84 40 a0 f6 58 40 00', 'ERR_CBOR_MALFORMED', 5);
  });

  it('rejects non-Uint8Array input and bad options with ArgumentError', () => {
    expect(() => decodeCbor('00' as unknown as Uint8Array)).toThrow(ArgumentError);
    expect(() => decodeCbor([0] as unknown as Uint8Array)).toThrow(ArgumentError);
    expect(() => decodeCbor(new Uint8Array(1), { requireDeterministic: 'yes' as unknown as boolean })).toThrow(ArgumentError);
    expect(() => decodeCbor(new Uint8Array(1), { maxDepth: -1 })).toThrow(ArgumentError);
  });
});

describe('decodeCbor: duplicate map keys are compared by value (RFC 8949 §5.6)', () => {
  it.each([
    ['a2 01 00 01 00', 3, 'the same bytes'],
    ['a2 01 00 18 01 00', 3, '1 and 1 in a 1-byte argument'],
    ['a2 01 00 1b 00 00 00 00 00 00 00 01 00', 3, '1 and 1 in an 8-byte argument'],
    ['a2 01 00 f9 3c 00 00', 3, 'integer 1 and float 1.0 (one JS number)'],
    ['a2 00 00 f9 80 00 00', 3, '0 and -0.0 (one JS Map key)'],
    ['a2 81 00 00 81 f9 80 00 00', 4, '[0] and [-0.0] (equal items, RFC 8949 §5.6.1)'],
    ['a2 1b 00 20 00 00 00 00 00 00 00 fb 43 40 00 00 00 00 00 00 00', 11, 'integer 2^53 (a bigint) and float 2^53 (a number)'],
    ['a2 01 00 c2 41 01 00', 3, 'integer 1 and the bignum 1'],
    ['a2 f9 7e 00 00 fa 7f c0 00 00 00', 5, 'two NaNs'],
    ['a2 61 61 00 78 01 61 00', 4, 'text keys of different length encodings'],
    ['a2 41 01 00 5f 41 01 ff 00', 4, 'a byte string and the same bytes in chunks'],
    ['a2 81 01 00 9f 01 ff 00', 4, 'an array and the same array of indefinite length'],
    ['a2 a2 01 02 03 04 00 a2 03 04 01 02 00', 7, 'maps as keys with their entries in another order'],
    ['a2 c1 01 00 d8 01 01 00', 4, 'tags written differently'],
    ['bf 01 00 01 00 ff', 3, 'an indefinite-length map'],
  ])('rejects %s (%s)', (text, offset) => {
    expectFailure(text, 'ERR_CBOR_DUPLICATE_KEY', offset);
  });

  it('keeps keys that only look alike', () => {
    expect((dec('a3 01 00 21 00 41 01 00') as Map<CborValue, CborValue>).size).toBe(3);
    expect((dec('a2 61 31 00 01 00') as Map<CborValue, CborValue>).size).toBe(2); // "1" and 1
  });

  it('decodes a lone key -0.0 as the JS Map key 0', () => {
    expect(dec('a1 f9 80 00 00')).toStrictEqual(new Map([[0, 0]]));
  });
});

describe('decodeCbor: requireDeterministic (RFC 8949 §4.2.1)', () => {
  const strict = { requireDeterministic: true };

  it.each([
    ['18 17', 0, 'integer 23 in a 1-byte argument'],
    ['19 00 ff', 0, 'integer 255 in a 2-byte argument'],
    ['3a 00 00 ff ff', 0, 'negative integer in a 4-byte argument'],
    ['1b 00 00 00 00 ff ff ff ff', 0, 'integer 2^32-1 in an 8-byte argument'],
    ['58 01 00', 0, 'byte string length in a 1-byte argument'],
    ['79 00 01 61', 0, 'text string length in a 2-byte argument'],
    ['98 01 00', 0, 'array count in a 1-byte argument'],
    ['b8 01 00 00', 0, 'map count in a 1-byte argument'],
    ['d8 01 00', 0, 'tag number in a 1-byte argument'],
    ['82 00 18 00', 2, 'a non-shortest argument deep inside'],
    ['5f ff', 0, 'indefinite-length byte string'],
    ['7f ff', 0, 'indefinite-length text string'],
    ['9f ff', 0, 'indefinite-length array'],
    ['bf ff', 0, 'indefinite-length map'],
    ['a2 02 00 01 00', 3, 'keys out of order'],
    ['a2 61 61 00 01 00', 4, 'text key before an integer key'],
    ['a2 62 61 61 00 61 62 00', 5, 'longer key before a shorter one (length-first order)'],
    ['a2 20 00 00 00', 3, 'negative integer key before a positive one'],
    ['fa 3f c0 00 00', 0, 'single float that half precision preserves'],
    ['fb 3f f8 00 00 00 00 00 00', 0, 'double float that half precision preserves'],
    ['fb 40 f8 6a 08 00 00 00 00', 0, 'double float that single precision preserves'],
    ['fa 7f 80 00 00', 0, 'Infinity as a single'],
    ['fb 7f f8 00 00 00 00 00 00', 0, 'NaN as a double'],
    ['f9 7e 01', 0, 'NaN with a payload'],
    ['f9 fe 00', 0, 'negative NaN'],
    ['c2 40', 0, 'bignum 0'],
    ['c2 48 ff ff ff ff ff ff ff ff', 0, 'bignum that fits in 64 bits'],
    ['c3 49 00 01 00 00 00 00 00 00 00', 0, 'bignum with a leading zero byte'],
  ])('rejects %s (%s)', (text, offset) => {
    expectFailure(text, 'ERR_CBOR_MALFORMED', offset, strict);
    expect(() => dec(text)).not.toThrow(); // well-formed: accepted without requireDeterministic
  });

  it('rejects duplicate keys in the same bytes as a duplicate, not as misordered', () => {
    expectFailure('a2 01 00 01 00', 'ERR_CBOR_DUPLICATE_KEY', 3, strict);
    expectFailure('a2 01 00 f9 3c 00 00', 'ERR_CBOR_DUPLICATE_KEY', 3, strict); // both deterministic, one JS key
  });

  it.each([
    '00', '17', '1818', '19 01 00', '1a 00 01 00 00', '1b 00 00 00 01 00 00 00 00', '20', '38 18', '40', '58 18' + '00'.repeat(24),
    '60', '80', 'a0', 'c0 00', 'd8 18 00', 'f9 3c 00', 'f9 7e 00', 'f9 7c 00', 'fa 47 c3 50 40', 'fb 3f f1 99 99 99 99 99 9a',
    'a3 0a 00 20 00 61 61 00', 'a2 61 62 00 62 61 61 00', 'c2 49 01 00 00 00 00 00 00 00 00', 'c2 61 61', 'f8 20', 'e0',
  ])('accepts the deterministic encoding %s', (text) => {
    expect(() => dec(text, strict)).not.toThrow();
  });
});

describe('hostile inputs', () => {
  it('never throws anything but WardError on a sample of hostile inputs', () => {
    for (const text of ['5b8000000000000000', '9bffffffffffffffff', 'bb7fffffffffffffff', 'dbffffffffffffffffdbffffffffffffffff00']) {
      try {
        dec(text);
      } catch (error) {
        expect(WardError.isInstance(error)).toBe(true);
      }
    }
  });
});

describe('decodeCbor: byteStringViews', () => {
  const input = encodeCbor([Uint8Array.of(1, 2, 3), new Map([[1, Uint8Array.of(4, 5)]])]);

  it('by default returns copies: a later write to the input changes nothing', () => {
    const bytes = input.slice();
    const [first] = decodeCbor(bytes) as [Uint8Array];
    bytes.fill(0);
    expect(first).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('with byteStringViews returns views into the input, nested ones included', () => {
    const bytes = input.slice();
    const [first, map] = decodeCbor(bytes, { byteStringViews: true }) as [Uint8Array, Map<number, Uint8Array>];
    expect(first.buffer).toBe(bytes.buffer);
    expect(map.get(1)!.buffer).toBe(bytes.buffer);
    expect(first).toEqual(Uint8Array.of(1, 2, 3));
    bytes.fill(0);
    expect(first).toEqual(new Uint8Array(3)); // aliased, as documented
  });

  it('limits still apply before anything is returned', () => {
    const error = (() => { try { decodeCbor(input, { byteStringViews: true, maxStringBytes: 2 }); } catch (e) { return e; } })();
    expect(DecodeError.isInstance(error) && error.code).toBe('ERR_CBOR_LIMIT');
  });

  it('a non-boolean byteStringViews is ERR_INVALID_ARGUMENT', () => {
    expect(() => decodeCbor(input, { byteStringViews: 'yes' } as unknown as DecodeCborOptions)).toThrow(ArgumentError);
  });
});
