import { Encoder } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex as hex } from '../bytes.js';
import { DecodeError } from '../errors.js';
import { CborSimple, CborTag, type CborValue } from './data-model.js';
import { decodeCbor } from './decode.js';
import { MAX_ENCODE_DEPTH, encodeCbor, encodeHead } from './encode.js';

const enc = (value: unknown): string => hex(encodeCbor(value as CborValue));

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (DecodeError.isInstance(error)) return error.code;
    throw error;
  }
  throw new Error('expected a DecodeError');
}

describe('cbor-x is configured for plain, deterministic CBOR', () => {
  it('needs the configuration: cbor-x defaults tag byte strings (64) and can tag maps (259)', () => {
    // the traps this module exists to avoid, in the pinned cbor-x version
    expect(hex(new Encoder().encode(Uint8Array.of(1, 2)))).toBe('d840420102');
    expect(hex(new Encoder({ useRecords: false }).encode(new Map([[1, 2]])))).toBe('d90103a10102');
  });

  it('needs Ward in front of cbor-x for integers, floats and key order', () => {
    const plain = new Encoder({ useRecords: false, mapsAsObjects: false });
    expect(hex(plain.encode(2 ** 40))).toBe('fb4270000000000000'); // a safe integer as float64
    expect(hex(plain.encode(5n))).toBe('1b0000000000000005'); // a bigint always in 8 bytes
    expect(hex(plain.encode(-(2n ** 64n)))).toBe('c348ffffffffffffffff'); // -2^64 as a bignum
    expect(hex(plain.encode(1.5))).toBe('fb3ff8000000000000'); // no half precision
    expect(hex(plain.encode(new Map([[2, 0], [1, 0]])))).toBe('a202000100'); // insertion order
    expect(enc(2 ** 40)).toBe('1b0000010000000000');
    expect(enc(5n)).toBe('05');
    expect(enc(-(2n ** 64n))).toBe('3bffffffffffffffff');
    expect(enc(1.5)).toBe('f93e00');
    expect(enc(new Map([[2, 0], [1, 0]]))).toBe('a201000200');
  });

  it('writes byte strings untagged, Node Buffers included', () => {
    expect(enc(Uint8Array.of(1, 2))).toBe('420102');
    expect(enc(Buffer.from([1, 2]))).toBe('420102');
    expect(enc(new Uint8Array(new ArrayBuffer(8), 2, 3))).toBe('43000000');
  });

  it('writes maps untagged, without records, with the shortest header', () => {
    expect(enc(new Map([[1, 2]]))).toBe('a10102');
    expect(enc(new Map([['a', 1]]))).toBe('a1616101');
    const map = (n: number): Map<number, number> => new Map(Array.from({ length: n }, (_, i) => [i, 0]));
    expect(enc(map(23)).slice(0, 2)).toBe('b7');
    expect(enc(map(24)).slice(0, 4)).toBe('b818');
    expect(enc(map(256)).slice(0, 6)).toBe('b90100');
  });

  it.each([
    [0, '40', '60', '80'], [23, '57', '77', '97'], [24, '5818', '7818', '9818'], [255, '58ff', '78ff', '98ff'],
    [256, '590100', '790100', '990100'], [65535, '59ffff', '79ffff', '99ffff'], [65536, '5a00010000', '7a00010000', '9a00010000'],
  ])('writes the shortest length for %i bytes, characters and entries', (n, bytes, text, array) => {
    expect(enc(new Uint8Array(n)).slice(0, bytes.length)).toBe(bytes);
    expect(enc('a'.repeat(n)).slice(0, text.length)).toBe(text);
    expect(enc(new Array(n).fill(0)).slice(0, array.length)).toBe(array);
  });

  it('measures text in UTF-8 bytes', () => {
    expect(enc('ü')).toBe('62c3bc');
    expect(enc('水')).toBe('63e6b0b4');
    expect(enc('\u{10151}')).toBe('64f0908591');
    expect(enc('é'.repeat(12)).slice(0, 4)).toBe('7818'); // 12 characters, 24 bytes
    expect(enc('é'.repeat(40)).slice(0, 4)).toBe('7850'); // long enough for cbor-x's native UTF-8 path
  });

  it('returns a fresh Uint8Array each time, never a view of cbor-x\'s buffer', () => {
    const a = encodeCbor(['Signature1', new Uint8Array(100)]);
    const b = encodeCbor(['Signature1', new Uint8Array(100)]);
    expect(a.constructor).toBe(Uint8Array);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(a.length);
    expect(a.buffer).not.toBe(b.buffer);
    a.fill(0);
    expect(hex(b)).toBe(hex(encodeCbor(['Signature1', new Uint8Array(100)])));
  });
});

describe('integers', () => {
  it.each([
    [0, '00'], [23, '17'], [24, '1818'], [255, '18ff'], [256, '190100'], [65535, '19ffff'], [65536, '1a00010000'],
    [2 ** 32 - 1, '1affffffff'], [2 ** 32, '1b0000000100000000'], [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [-1, '20'], [-24, '37'], [-25, '3818'], [-256, '38ff'], [-257, '390100'], [-65536, '39ffff'], [-65537, '3a00010000'],
    [-(2 ** 32), '3affffffff'], [-(2 ** 32) - 1, '3b0000000100000000'], [Number.MIN_SAFE_INTEGER, '3b001ffffffffffffe'],
  ])('writes %d in its shortest form', (value, expected) => {
    expect(enc(value)).toBe(expected);
  });

  it.each([
    [5n, '05'], [-5n, '24'], [2n ** 32n, '1b0000000100000000'], [2n ** 53n, '1b0020000000000000'], [2n ** 64n - 1n, '1bffffffffffffffff'],
    [-(2n ** 53n), '3b001fffffffffffff'], [-(2n ** 64n) + 1n, '3bfffffffffffffffe'], [-(2n ** 64n), '3bffffffffffffffff'],
  ])('writes bigint %s as major type 0/1, never as a bignum tag', (value, expected) => {
    expect(enc(value)).toBe(expected);
  });

  it('rejects integers outside [-2^64, 2^64-1]: they are bignums, which the caller tags', () => {
    expect(codeOf(() => encodeCbor(2n ** 64n))).toBe('ERR_CBOR_UNSUPPORTED');
    expect(codeOf(() => encodeCbor(-(2n ** 64n) - 1n))).toBe('ERR_CBOR_UNSUPPORTED');
  });
});

describe('floats', () => {
  it.each([
    [1.5, 'f93e00'], [-0, 'f98000'], [NaN, 'f97e00'], [Infinity, 'f97c00'], [-Infinity, 'f9fc00'], [-4.1, 'fbc010666666666666'],
    [100000.5, 'fa47c35040'], [1.1, 'fb3ff199999999999a'], [5.960464477539063e-8, 'f90001'], [3.4028234663852886e38, 'fa7f7fffff'],
    [2 ** 53, 'fa5a000000'], [-(2 ** 53), 'fada000000'], [1e300, 'fb7e37e43c8800759c'], [2 ** 68, 'fa61800000'],
  ])('writes %d in the shortest float that preserves it', (value, expected) => {
    expect(enc(value)).toBe(expected);
  });

  it('writes integral safe numbers as integers (JS cannot tell 1.0 from 1)', () => {
    expect(enc(1.0)).toBe('01');
    expect(enc(65504)).toBe('19ffe0');
  });
});

describe('maps', () => {
  it('sorts keys by the bytewise order of their encodings (RFC 8949 §4.2.1)', () => {
    const map = new Map<CborValue, CborValue>([
      ['b', 0], [[1], 0], [10, 0], ['aa', 0], [-1, 0], [100, 0], [Uint8Array.of(1), 0], [false, 0], [-100, 0], [1.5, 0],
      [new CborTag(1, 0), 0], [new Map(), 0], [null, 0], [new CborSimple(0), 0], [2n ** 64n - 1n, 0],
    ]);
    expect(enc(map)).toBe([
      'af', '0a00', '186400', '1bffffffffffffffff00', '2000', '386300', '410100', '616200', '62616100', '810100',
      'a000', 'c10000', 'e000', 'f400', 'f600', 'f93e0000',
    ].join(''));
  });

  it('gives equal maps the same bytes whatever their insertion order', () => {
    const entries: [CborValue, CborValue][] = [[1, -7], [4, Uint8Array.of(1)], [-1, 'x'], ['k', [1, 2]], [33, new Map([[2, 1], [1, 2]])]];
    const forward = enc(new Map(entries));
    expect(enc(new Map([...entries].reverse()))).toBe(forward);
    expect(enc(new Map([entries[3]!, entries[0]!, entries[4]!, entries[2]!, entries[1]!]))).toBe(forward);
  });

  it('sorts large maps too (the Array.prototype.sort path)', () => {
    const keys = Array.from({ length: 300 }, (_, i) => (i % 2 ? -i : i * 1000));
    const map = new Map<CborValue, CborValue>(keys.map((k) => [k, k]));
    const bytes = encodeCbor(map);
    expect(() => decodeCbor(bytes, { requireDeterministic: true, maxMapEntries: 300 })).not.toThrow();
    expect(hex(encodeCbor(new Map([...map].reverse())))).toBe(hex(bytes));
  });

  it.each([
    ['1 and 1n', new Map<CborValue, CborValue>([[1, 0], [1n, 0]])],
    ['two equal byte strings', new Map<CborValue, CborValue>([[Uint8Array.of(1), 0], [Uint8Array.of(1), 1]])],
    ['two equal arrays', new Map<CborValue, CborValue>([[[1], 0], [[1], 1]])],
    ['two equal tags', new Map<CborValue, CborValue>([[new CborTag(1, 1), 0], [new CborTag(1, 1), 1]])],
    ['equal keys among many', new Map<CborValue, CborValue>([...Array.from({ length: 40 }, (_, i): [CborValue, CborValue] => [i, i]), [[7], 0], [[7], 1]])],
  ])('rejects keys with the same encoding: %s', (_, map) => {
    expect(codeOf(() => encodeCbor(map))).toBe('ERR_CBOR_DUPLICATE_KEY');
  });
});

describe('tags and simple values', () => {
  it.each([
    [0, 'c0'], [23, 'd7'], [24, 'd818'], [255, 'd8ff'], [256, 'd90100'], [65535, 'd9ffff'], [65536, 'da00010000'],
    [2 ** 32 - 1, 'daffffffff'], [2 ** 32, 'db0000000100000000'], [2n ** 64n - 1n, 'dbffffffffffffffff'],
  ])('writes tag %s with the shortest head', (tag, head) => {
    expect(enc(new CborTag(tag, 1))).toBe(`${head}01`);
    expect(enc(new CborTag(tag, 1.5))).toBe(`${head}f93e00`);
  });

  it('writes bignums (tags 2/3) only in preferred serialization (RFC 8949 §3.4.3)', () => {
    expect(enc(new CborTag(2, fromHex('010000000000000000')))).toBe('c249010000000000000000');
    expect(enc(new CborTag(3, fromHex('010000000000000000')))).toBe('c349010000000000000000');
    for (const bytes of ['', '01', 'ffffffffffffffff', '00010000000000000000']) {
      expect(codeOf(() => encodeCbor(new CborTag(2, fromHex(bytes))))).toBe('ERR_CBOR_UNSUPPORTED');
      expect(codeOf(() => encodeCbor(new CborTag(3, fromHex(bytes))))).toBe('ERR_CBOR_UNSUPPORTED');
    }
    expect(enc(new CborTag(2, 'not a bignum'))).toBe('c26c6e6f742061206269676e756d'); // opaque unless a byte string
  });

  it('writes simple values', () => {
    expect(enc([false, true, null, undefined])).toBe('84f4f5f6f7');
    expect(enc(new CborSimple(0))).toBe('e0');
    expect(enc(new CborSimple(19))).toBe('f3');
    expect(enc(new CborSimple(32))).toBe('f820');
    expect(enc(new CborSimple(255))).toBe('f8ff');
  });

  it('mixes Ward-written items and cbor-x-written subtrees', () => {
    expect(enc([1.5, 'x', new Map<CborValue, CborValue>([[1, 2.5], [2, 'y']]), 2 ** 40, new CborTag(2 ** 33, [1])]))
      .toBe('85f93e006178a201f94100026179' + '1b0000010000000000' + 'db0000000200000000' + '8101');
  });
});

describe('values outside the data model', () => {
  class Point {
    x = 1;
  }
  it.each([
    ['a plain object', { a: 1 }],
    ['a null-prototype object', Object.create(null) as object],
    ['a class instance', new Point()],
    ['a Date', new Date(0)],
    ['a Set', new Set([1])],
    ['a Uint16Array', new Uint16Array(2)],
    ['an ArrayBuffer', new ArrayBuffer(2)],
    ['a DataView', new DataView(new ArrayBuffer(2))],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a short string with a lone surrogate', 'a\ud800'],
    ['a long string with a lone surrogate', `${'x'.repeat(100)}\udc00`],
    ['a nested plain object', [1, new Map([[1, { a: 1 }]])]],
  ])('rejects %s with ERR_CBOR_UNSUPPORTED', (_, value) => {
    expect(codeOf(() => encodeCbor(value as CborValue))).toBe('ERR_CBOR_UNSUPPORTED');
  });

  it('accepts paired surrogates and writes array holes as undefined', () => {
    expect(enc('\ud83d\ude00')).toBe('64f09f9880');
    expect(enc([1, , 3])).toBe('8301f703');
  });

  it('writes Array and Map subclasses as plain arrays and maps', () => {
    class List extends Array<number> {}
    class Dictionary extends Map<number, number> {}
    expect(enc(List.from([1, 2]))).toBe('820102');
    expect(enc(new Dictionary([[2, 0], [1, 0]]))).toBe('a201000200');
  });

  it(`stops at nesting deeper than ${MAX_ENCODE_DEPTH} (cyclic values included) with ERR_CBOR_LIMIT`, () => {
    const nest = (depth: number): CborValue => {
      let value: CborValue = 0;
      for (let i = 0; i < depth; i++) value = i % 3 === 0 ? [value] : i % 3 === 1 ? new Map([[0, value]]) : new CborTag(1, value);
      return value;
    };
    expect(encodeCbor(nest(MAX_ENCODE_DEPTH)).length).toBeGreaterThan(MAX_ENCODE_DEPTH);
    expect(codeOf(() => encodeCbor(nest(MAX_ENCODE_DEPTH + 1)))).toBe('ERR_CBOR_LIMIT');
    const cyclic: CborValue[] = [];
    cyclic.push(cyclic);
    expect(codeOf(() => encodeCbor(cyclic))).toBe('ERR_CBOR_LIMIT');
    const map = new Map<CborValue, CborValue>();
    map.set(1, map);
    expect(codeOf(() => encodeCbor(map))).toBe('ERR_CBOR_LIMIT');
  });
});

describe('encodeHead', () => {
  it('writes number and bigint arguments in the shortest form', () => {
    expect(hex(encodeHead(0, 23))).toBe('17');
    expect(hex(encodeHead(6, 2n ** 32n - 1n))).toBe('daffffffff');
    expect(hex(encodeHead(6, 2 ** 40))).toBe('db0000010000000000');
    expect(hex(encodeHead(1, 2n ** 64n - 1n))).toBe('3bffffffffffffffff');
  });
});
