/*
 * Decoding limits (RFC 8949 §10): each is enforced at its boundary, before anything is
 * allocated for the item that exceeds it, and hostile declarations fail fast.
 */
import { describe, expect, it } from 'vitest';
import { ArgumentError, DecodeError } from '../errors.js';
import type { DecodeErrorCode } from '../errors.js';
import type { CborValue } from './data-model.js';
import { decodeCbor, type DecodeCborOptions } from './decode.js';
import { encodeCbor } from './encode.js';
import { DEFAULT_CBOR_DECODE_LIMITS, resolveDecodeLimits } from './limits.js';

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s/g, ''), 'hex'));

function codeOf(bytes: Uint8Array, options?: DecodeCborOptions): DecodeErrorCode | 'ok' {
  try {
    decodeCbor(bytes, options);
    return 'ok';
  } catch (error) {
    if (DecodeError.isInstance(error)) return error.code;
    throw error;
  }
}

const repeat = (byte: number, n: number): Uint8Array => new Uint8Array(n).fill(byte);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('limits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_CBOR_DECODE_LIMITS).toEqual({
      maxBytes: 16 * 1024 * 1024, maxDepth: 16, maxArrayEntries: 1024, maxMapEntries: 256,
      maxStringBytes: 16 * 1024 * 1024, maxItems: 65536,
    });
    expect(Object.isFrozen(DEFAULT_CBOR_DECODE_LIMITS)).toBe(true);
  });

  it('defaults maxStringBytes to maxBytes and keeps the other defaults', () => {
    expect(resolveDecodeLimits({ maxBytes: 100 })).toEqual({ ...DEFAULT_CBOR_DECODE_LIMITS, maxBytes: 100, maxStringBytes: 100 });
    expect(resolveDecodeLimits({ maxBytes: 100, maxStringBytes: 10 }).maxStringBytes).toBe(10);
    expect(resolveDecodeLimits({ maxDepth: Infinity }).maxDepth).toBe(Infinity);
  });

  it.each([-1, 1.5, NaN, '16', null, -Infinity])('rejects the limit value %s with ArgumentError', (value) => {
    expect(() => resolveDecodeLimits({ maxItems: value as number })).toThrow(ArgumentError);
    expect(() => decodeCbor(new Uint8Array(1), { maxBytes: value as number })).toThrow(ArgumentError);
  });

  it('maxBytes bounds the input', () => {
    expect(codeOf(repeat(0x40, 1), { maxBytes: 1 })).toBe('ok');
    expect(codeOf(fromHex('4100'), { maxBytes: 1 })).toBe('ERR_CBOR_LIMIT');
  });

  it('maxDepth counts nested arrays, maps and tags, empty ones included', () => {
    const nested = (heads: number[]): Uint8Array => concat(Uint8Array.from(heads), Uint8Array.of(0));
    expect(codeOf(nested(new Array(16).fill(0x81)))).toBe('ok');
    expect(codeOf(nested(new Array(17).fill(0x81)))).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(concat(repeat(0x81, 16), Uint8Array.of(0x80)))).toBe('ERR_CBOR_LIMIT'); // [] is a level
    expect(codeOf(concat(repeat(0x81, 15), Uint8Array.of(0xa0)))).toBe('ok');
    expect(codeOf(nested(new Array(17).fill(0xc1)))).toBe('ERR_CBOR_LIMIT');
    const maps = concat(...new Array(17).fill(Uint8Array.of(0xa1, 0x00)), Uint8Array.of(0));
    expect(codeOf(maps)).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(nested([0x81, 0xc1, 0xa1, 0x00]), { maxDepth: 3 })).toBe('ok');
    expect(codeOf(nested([0x81, 0xc1, 0xa1, 0x00]), { maxDepth: 2 })).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(fromHex('9f9fffff'), { maxDepth: 1 })).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(fromHex('00'), { maxDepth: 0 })).toBe('ok');
    expect(codeOf(fromHex('80'), { maxDepth: 0 })).toBe('ERR_CBOR_LIMIT');
  });

  it('maxArrayEntries bounds definite and indefinite arrays', () => {
    const array = (n: number): Uint8Array => encodeCbor(new Array<CborValue>(n).fill(0));
    expect(codeOf(array(1024))).toBe('ok');
    expect(codeOf(array(1025))).toBe('ERR_CBOR_LIMIT');
    const indefinite = (n: number): Uint8Array => concat(Uint8Array.of(0x9f), repeat(0, n), Uint8Array.of(0xff));
    expect(codeOf(indefinite(1024))).toBe('ok');
    expect(codeOf(indefinite(1025))).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(array(3), { maxArrayEntries: 2 })).toBe('ERR_CBOR_LIMIT');
  });

  it('maxMapEntries bounds definite and indefinite maps', () => {
    const map = (n: number): Uint8Array => encodeCbor(new Map(Array.from({ length: n }, (_, i) => [i, 0])));
    expect(codeOf(map(256))).toBe('ok');
    expect(codeOf(map(257))).toBe('ERR_CBOR_LIMIT');
    const body = map(257).subarray(3); // the 257 entries without the a9 0101 head
    expect(codeOf(concat(Uint8Array.of(0xbf), body.subarray(0, body.length - 4), Uint8Array.of(0xff)))).toBe('ok'); // 256: 19 0100 00 dropped
    expect(codeOf(concat(Uint8Array.of(0xbf), body, Uint8Array.of(0xff)))).toBe('ERR_CBOR_LIMIT');
  });

  it('maxStringBytes bounds byte and text strings, indefinite ones by their total', () => {
    expect(codeOf(encodeCbor(new Uint8Array(10)), { maxStringBytes: 10 })).toBe('ok');
    expect(codeOf(encodeCbor(new Uint8Array(11)), { maxStringBytes: 10 })).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(encodeCbor('x'.repeat(11)), { maxStringBytes: 10 })).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(fromHex('5f 45 0000000000 45 0000000000 ff'), { maxStringBytes: 10 })).toBe('ok');
    expect(codeOf(fromHex('5f 45 0000000000 46 000000000000 ff'), { maxStringBytes: 10 })).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(fromHex('7f 65 6161616161 66 616161616161 ff'), { maxStringBytes: 10 })).toBe('ERR_CBOR_LIMIT');
  });

  it('maxItems counts every head, string chunks included, break codes excluded', () => {
    expect(codeOf(encodeCbor([1, 2, 3]), { maxItems: 4 })).toBe('ok');
    expect(codeOf(encodeCbor([1, 2, 3]), { maxItems: 3 })).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(fromHex('5f 41 00 41 00 ff'), { maxItems: 3 })).toBe('ok');
    expect(codeOf(fromHex('5f 41 00 41 00 ff'), { maxItems: 2 })).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(fromHex('9f 00 ff'), { maxItems: 2 })).toBe('ok');
  });
});

describe('hostile declarations fail fast, before allocating', () => {
  /** The error (code and message, which ends with the offset) decoding `bytes` throws. */
  function failure(bytes: Uint8Array): { code: DecodeErrorCode; message: string } | 'ok' {
    try {
      decodeCbor(bytes);
      return 'ok';
    } catch (error) {
      if (DecodeError.isInstance(error)) return { code: error.code, message: error.message };
      throw error;
    }
  }

  /*
   * "Fast" without a clock: the input's first `length` bytes alone fail exactly as the whole
   * input does. Had the decoder read past them (a well-formedness pass first, or a count taken
   * at the break), the prefix would fail differently: as truncated, ERR_CBOR_MALFORMED.
   */
  function failsFromPrefix(bytes: Uint8Array, length: number): { code: DecodeErrorCode; message: string } | 'ok' {
    const whole = failure(bytes);
    expect(failure(bytes.subarray(0, length)), `the first ${length} of ${bytes.length} bytes fail as the whole input does`).toEqual(whole);
    return whole;
  }

  it('100,000 nested arrays: ERR_CBOR_LIMIT at the 17th level (offset 16), from the first 18 bytes alone, no stack overflow', () => {
    const input = concat(repeat(0x81, 100_000), Uint8Array.of(0));
    /* 17 heads and the one byte the 17th's declared entry needs at least (fewer is truncated: ERR_CBOR_MALFORMED). */
    expect(failsFromPrefix(input, 18)).toEqual({ code: 'ERR_CBOR_LIMIT', message: expect.stringMatching(/maxDepth \(16\) at offset 16$/) });
  });

  it('100,000 nested arrays with maxDepth Infinity: decoded iteratively, no stack overflow', () => {
    let value = decodeCbor(concat(repeat(0x81, 100_000), Uint8Array.of(0)), { maxDepth: Infinity, maxItems: Infinity }) as CborValue;
    let depth = 0;
    while (Array.isArray(value)) {
      value = value[0] as CborValue;
      depth++;
    }
    expect([depth, value]).toEqual([100_000, 0]);
    expect(codeOf(concat(repeat(0x81, 100_000), Uint8Array.of(0xff)), { maxDepth: Infinity, maxItems: Infinity })).toBe('ERR_CBOR_MALFORMED');
  });

  it.each([
    ['a 2^63-byte byte string', '5b 8000000000000000 00'],
    ['a 2^64-1-byte byte string', '5b ffffffffffffffff 00'],
    ['a 2^63-byte text string', '7b 8000000000000000 00'],
    ['a 4 GiB string chunk', '5f 5a ffffffff ff'],
  ])('%s: ERR_CBOR_LIMIT by default, ERR_CBOR_MALFORMED without a string limit', (_, text) => {
    expect(codeOf(fromHex(text))).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(fromHex(text), { maxStringBytes: Infinity })).toBe('ERR_CBOR_MALFORMED');
  });

  it.each([
    ['a map of 10^6 declared entries', 'ba 000f4240 0000'],
    ['a map of 2^64-1 declared entries', 'bb ffffffffffffffff 0000'],
    ['an array of 2^64-1 declared entries', '9b ffffffffffffffff 00'],
  ])('%s: rejected from its head, before any entry is read', (_, text) => {
    expect(codeOf(fromHex(text))).toBe('ERR_CBOR_LIMIT');
    expect(codeOf(fromHex(text), { maxArrayEntries: Infinity, maxMapEntries: Infinity })).toBe('ERR_CBOR_MALFORMED');
  });

  it('a 10^6-entry indefinite-length array stops at maxArrayEntries: its first 1,026 bytes (head and 1,025 entries) fail alike', () => {
    const input = concat(Uint8Array.of(0x9f), repeat(0, 1_000_000), Uint8Array.of(0xff));
    expect(failsFromPrefix(input, 1 + 1025)).toEqual({ code: 'ERR_CBOR_LIMIT', message: expect.stringMatching(/maxArrayEntries \(1024\)/) });
    expect(codeOf(input, { maxArrayEntries: Infinity, maxItems: Infinity })).toBe('ok');
  });
});
