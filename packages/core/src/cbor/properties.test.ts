/*
 * Property tests (fast-check) over arbitrary values of Ward's CBOR data model and arbitrary or
 * damaged bytes: round trips, determinism, and a decoder that only ever throws DecodeError.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../errors.js';
import { CborSimple, CborTag, type CborValue } from './data-model.js';
import { decodeCbor, type DecodeCborOptions } from './decode.js';
import { encodeCbor } from './encode.js';

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** Generated values nest beyond the default maxDepth and maxItems; the round trips are about values. */
const ROOMY: DecodeCborOptions = { maxDepth: 1024, maxItems: Infinity, maxArrayEntries: Infinity, maxMapEntries: Infinity };
const STRICT: DecodeCborOptions = { ...ROOMY, requireDeterministic: true };
const RUNS = { numRuns: 2000 };

/* ------------------------------------------------------------------------------------------ */
/* Arbitrary data-model values                                                                 */
/* ------------------------------------------------------------------------------------------ */

const integer = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -1, -24, -25, -256, -257, -(2 ** 32), -(2 ** 32) - 1),
  // integers beyond the safe range are bigints in the data model; safe ones are numbers
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }).map((n) => (n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n)),
);
const simple = fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 32, max: 255 })).map((n) => new CborSimple(n));
const leaf: fc.Arbitrary<CborValue> = fc.oneof(
  integer,
  fc.double(), // NaN, ±0, ±Infinity, integral and unsafe values included
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 30 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  simple,
);
const tagNumber = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 32 + 8 }).filter((n) => n !== 2 && n !== 3),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
);
/** Tags 2/3 (bignums) are only encodable in preferred serialization: ≥ 9 bytes, no leading zero. */
const bignum = fc.tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 9, maxLength: 20 }).filter((b) => b[0] !== 0))
  .map(([tag, bytes]) => new CborTag(tag, bytes));

/** Keeps the first of the entries whose keys are one CBOR key (1 and 1.0, equal byte strings…). */
function toMap(entries: [CborValue, CborValue][]): Map<CborValue, CborValue> {
  const seen = new Set<string>();
  const map = new Map<CborValue, CborValue>();
  for (const [key, value] of entries) {
    const identity = hex(encodeCbor(key));
    if (seen.has(identity)) continue;
    seen.add(identity);
    map.set(key, value);
  }
  return map;
}

const { value: cborValue } = fc.letrec<{ value: CborValue; array: CborValue[]; map: Map<CborValue, CborValue>; tag: CborTag }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('map'), tie('tag'), bignum),
  array: fc.array(tie('value'), { maxLength: 5 }),
  map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 5 }).map(toMap),
  tag: fc.tuple(tagNumber, tie('value')).map(([tag, value]) => new CborTag(tag, value)),
}));

/** The same value built anew, with every Map's entries inserted in reverse order. */
function reordered(value: CborValue): CborValue {
  if (Array.isArray(value)) return value.map(reordered);
  if (value instanceof Map) return new Map([...value].reverse().map(([k, v]) => [reordered(k), reordered(v)]));
  if (value instanceof CborTag) return new CborTag(value.tag, reordered(value.value));
  if (value instanceof Uint8Array) return value.slice();
  return value;
}

/** Runs `decode`; returns the value, or undefined after a DecodeError; anything else fails the test. */
function decodeOrDecodeError(bytes: Uint8Array, options?: DecodeCborOptions): { value?: CborValue; error?: DecodeError } {
  try {
    return { value: decodeCbor(bytes, options) };
  } catch (error) {
    if (DecodeError.isInstance(error)) return { error };
    throw error;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Properties                                                                                  */
/* ------------------------------------------------------------------------------------------ */

describe('encode/decode properties', () => {
  it('round-trips every data-model value: decode(encode(x)) equals x', () => {
    fc.assert(fc.property(cborValue, (x) => isDeepStrictEqual(decodeCbor(encodeCbor(x), STRICT), x)), RUNS);
  });

  it('encodes deterministically: equal values, Maps filled in any order, give equal bytes', () => {
    fc.assert(fc.property(cborValue, (x) => hex(encodeCbor(reordered(x))) === hex(encodeCbor(x))), RUNS);
  });

  it('writes only what requireDeterministic accepts, and re-encodes it byte for byte', () => {
    fc.assert(fc.property(cborValue, (x) => {
      const bytes = encodeCbor(x);
      return hex(encodeCbor(decodeCbor(bytes, STRICT))) === hex(bytes);
    }), RUNS);
  });

  it('rejects strings with lone surrogates', () => {
    const lone = fc.tuple(fc.string({ unit: 'binary', maxLength: 80 }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.string({ unit: 'grapheme-ascii', maxLength: 3 }))
      .map(([a, surrogate, b]) => `${a}${String.fromCharCode(surrogate)}${b}`);
    fc.assert(fc.property(lone, (text) => {
      try {
        encodeCbor([text]);
        return false;
      } catch (error) {
        return DecodeError.isInstance(error) && error.code === 'ERR_CBOR_UNSUPPORTED';
      }
    }), RUNS);
  });
});

describe('decoder robustness', () => {
  const limits = fc.record({
    maxDepth: fc.integer({ min: 0, max: 20 }),
    maxArrayEntries: fc.integer({ min: 0, max: 8 }),
    maxMapEntries: fc.integer({ min: 0, max: 8 }),
    maxStringBytes: fc.integer({ min: 0, max: 40 }),
    maxItems: fc.integer({ min: 0, max: 64 }),
    requireDeterministic: fc.boolean(),
  }, { requiredKeys: [] });

  it('on arbitrary bytes, returns a value or throws a DecodeError, nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), limits, (bytes, options) => {
      decodeOrDecodeError(bytes);
      decodeOrDecodeError(bytes, { requireDeterministic: true });
      decodeOrDecodeError(bytes, options);
    }), { numRuns: 20000 });
  });

  it('on arbitrary bytes it accepts, re-encodes to something requireDeterministic accepts again', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
      const { value } = decodeOrDecodeError(bytes, { requireDeterministic: true });
      if (value === undefined) return true;
      return isDeepStrictEqual(decodeCbor(encodeCbor(value), { requireDeterministic: true }), value);
    }), { numRuns: 20000 });
  });

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
  );

  it('on valid encodings with random mutations, returns a value or throws a DecodeError, nothing else', () => {
    fc.assert(fc.property(cborValue, fc.array(mutation, { minLength: 1, maxLength: 4 }), limits, (x, mutations, options) => {
      const bytes = [...encodeCbor(x)];
      for (const { kind, at, byte } of mutations) {
        const i = at % (bytes.length + 1);
        if (kind === 'set') bytes[Math.min(i, bytes.length - 1)] = byte;
        else if (kind === 'insert') bytes.splice(i, 0, byte);
        else bytes.splice(i, 1);
      }
      const damaged = Uint8Array.from(bytes);
      const { value } = decodeOrDecodeError(damaged, ROOMY);
      decodeOrDecodeError(damaged, STRICT);
      decodeOrDecodeError(damaged, options);
      if (value !== undefined) {
        // what decodes can be written again, unless it holds a bignum in non-preferred form
        try {
          encodeCbor(value);
        } catch (error) {
          if (!DecodeError.isInstance(error) || error.code !== 'ERR_CBOR_UNSUPPORTED') throw error;
        }
      }
    }), RUNS);
  });

  it('never returns for a truncated encoding: every proper prefix throws a DecodeError', () => {
    fc.assert(fc.property(cborValue, (x) => {
      const bytes = encodeCbor(x);
      for (let n = 0; n < bytes.length; n++) {
        const { value, error } = decodeOrDecodeError(bytes.subarray(0, n), ROOMY);
        if (value !== undefined || error === undefined) return false;
      }
      return true;
    }), { numRuns: 300 });
  });

  it('rejects trailing bytes after any valid encoding', () => {
    fc.assert(fc.property(cborValue, fc.uint8Array({ minLength: 1, maxLength: 4 }), (x, extra) => {
      const bytes = Uint8Array.from([...encodeCbor(x), ...extra]);
      return decodeOrDecodeError(bytes, ROOMY).error !== undefined;
    }), RUNS);
  });
});

describe('property-test arbitraries', () => {
  it('cover every kind of data-model value', () => {
    const kinds = new Set<string>();
    const kind = (v: CborValue): string => (v instanceof Uint8Array ? 'bytes' : v instanceof Map ? 'map' : Array.isArray(v) ? 'array'
      : v instanceof CborTag ? 'tag' : v instanceof CborSimple ? 'simple' : v === null ? 'null' : typeof v);
    const visit = (v: CborValue): void => {
      kinds.add(kind(v));
      if (Array.isArray(v)) v.forEach(visit);
      else if (v instanceof Map) for (const [k, w] of v) { visit(k); visit(w); }
      else if (v instanceof CborTag) visit(v.value);
    };
    for (const v of fc.sample(cborValue, { numRuns: 2000, seed: 1 })) visit(v);
    expect([...kinds].sort()).toEqual(['array', 'bigint', 'boolean', 'bytes', 'map', 'null', 'number', 'simple', 'string', 'tag', 'undefined']);
  });
});
