/*
 * COSE header handling (RFC 9052 §3, §3.1): the protected-bucket encoding, label and value
 * type checks, and checkHeaders' rules, tested directly. Every decoder relies on these.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CborValue } from '../cbor/index.js';
import { CborSimple, decodeCbor, encodeCbor } from '../cbor/index.js';
import type { DecodeCborOptions } from '../cbor/index.js';
import type { WardErrorCode } from '../errors.js';
import { expectIntegralFloatRejected, expectWardError, fromHex, outcomeOf, toHex, describeOutcome } from '../../test-kit/cose-vectors.js';
import { HeaderLabel, asUnprotectedHeader, checkHeaders, decodeProtectedHeader, encodeProtectedHeader } from './headers.js';
import type { HeaderMap, HeaderRules } from './headers.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import { createSign1, verifySign1 } from './sign1.js';

const h = (...entries: [number | string, CborValue][]): HeaderMap => new Map(entries);
const RULES: HeaderRules = { understood: new Set([1, 2, 3, 4]), alg: 'protected' };
const EITHER: HeaderRules = { understood: new Set([1, 2, 4]), alg: 'either' };
const throwsCode = (code: WardErrorCode, fn: () => unknown): Promise<WardErrorCode> => expectWardError(fn, code);

describe('encodeProtectedHeader / decodeProtectedHeader', () => {
  it('an empty protected map is the zero-length bstr, and decodes back to an empty map (RFC 9052 §3)', () => {
    expect(encodeProtectedHeader(new Map())).toEqual(new Uint8Array(0));
    expect(decodeProtectedHeader(new Uint8Array(0)).size).toBe(0);
  });

  it('encodes deterministically (RFC 8949 §4.2.1 key order) whatever the insertion order', () => {
    expect(toHex(encodeProtectedHeader(h([1, -8])))).toBe('a10127');
    const a = encodeProtectedHeader(h([4, new Uint8Array([1])], [1, -7], ['x', 1], [-1, 0]));
    const b = encodeProtectedHeader(h(['x', 1], [-1, 0], [1, -7], [4, new Uint8Array([1])]));
    expect(toHex(a)).toBe(toHex(b));
    expect(toHex(a)).toBe('a4012604410120006178' + '01');
  });

  it('ERR_COSE_INVALID_HEADER: encoding a label that is neither int nor text', async () => {
    await throwsCode('ERR_COSE_INVALID_HEADER', () => encodeProtectedHeader(new Map([[1.5 as unknown as number, 1]])));
    await throwsCode('ERR_COSE_INVALID_HEADER', () => encodeProtectedHeader(new Map([[new Uint8Array(1) as unknown as number, 1]])));
  });

  it('decodes a bstr holding a map (the bytes a peer sent, h\'A0\' included)', () => {
    expect(decodeProtectedHeader(fromHex('a10126')).get(1)).toBe(-7);
    expect(decodeProtectedHeader(fromHex('a0')).size).toBe(0);
  });

  it('ERR_COSE_INVALID_HEADER: a protected bstr whose content is not a map', async () => {
    for (const hex of ['820126', '01', '40', 'f6']) await throwsCode('ERR_COSE_INVALID_HEADER', () => decodeProtectedHeader(fromHex(hex)));
  });

  it('ERR_COSE_INVALID_HEADER: a decoded label that is neither int nor text (bstr, fractional float, array, bool, null)', async () => {
    for (const hex of ['a1410101', 'a1f93e0001', 'a18001', 'a1f501', 'a1f601']) await throwsCode('ERR_COSE_INVALID_HEADER', () => decodeProtectedHeader(fromHex(hex)));
  });

  /*
   * RFC 9052 §3: `label = int / tstr`. A float with an integral value decodes to the same JS
   * number as the integer (cbor/data-model.ts: "JavaScript cannot tell 1.0 from 1"), so
   * decodeProtectedHeader decodes with rejectIntegralFloats: the half-float 1.0 (f9 3c00) never
   * reaches checkLabels as the integer label 1 (alg).
   */
  it('ERR_CBOR_UNSUPPORTED: a float label with an integral value (1.0 half, single and double precision; -0.0; after another entry)', async () => {
    for (const [hex, offset] of [['a1f93c0026', 1], ['a1fa3f80000026', 1], ['a1fb3ff000000000000026', 1], ['a1f9800026', 1], ['a2044101f93c0026', 4]] as const) {
      expect(await expectIntegralFloatRejected(() => decodeProtectedHeader(fromHex(hex)))).toMatch(new RegExp(`at offset ${offset}$`));
    }
  });

  it('ERR_CBOR_UNSUPPORTED: an integral float as a parameter value too (-7.0 alg, 2.0 under a private label), even when the caller passes rejectIntegralFloats: false', async () => {
    for (const hex of ['a101f9c700', 'a201263a0001116ff94000']) {
      await expectIntegralFloatRejected(() => decodeProtectedHeader(fromHex(hex)));
      await expectIntegralFloatRejected(() => decodeProtectedHeader(fromHex(hex), { rejectIntegralFloats: false } as DecodeCborOptions));
    }
    /* A fractional float value is not ambiguous: it decodes (the header checks judge it later). */
    expect(decodeProtectedHeader(fromHex('a201263a0001116ff93e00')).get(-70000)).toBe(1.5);
  });

  describe('decodeCbor rejectIntegralFloats (the option COSE decoding sets)', () => {
    const strict: DecodeCborOptions = { rejectIntegralFloats: true };
    const double = (value: number): Uint8Array => {
      const bytes = new Uint8Array(9);
      bytes[0] = 0xfb;
      new DataView(bytes.buffer).setFloat64(1, value);
      return bytes;
    };

    it('off by default: 1.0 (half, single, double) and -0.0 decode to plain numbers', () => {
      expect(decodeCbor(fromHex('f93c00'))).toBe(1);
      expect(decodeCbor(fromHex('fa3f800000'))).toBe(1);
      expect(decodeCbor(fromHex('fb3ff0000000000000'))).toBe(1);
      expect(Object.is(decodeCbor(fromHex('f98000')), -0)).toBe(true);
      expect(decodeCbor(fromHex('a1f93c0026'))).toEqual(new Map([[1, -7]]));
    });

    it('ERR_CBOR_UNSUPPORTED: integral floats in every width — 1.0, -0.0, 0.0, -7.0, 65504.0, 2^53, 1e300 — with the offset', async () => {
      for (const hex of ['f93c00', 'f98000', 'f90000', 'f9c700', 'f97bff', 'fa3f800000', 'fa80000000', 'fb3ff0000000000000', 'fb4340000000000000', 'fb7e37e43c8800759c']) {
        expect(await expectIntegralFloatRejected(() => decodeCbor(fromHex(hex), strict))).toMatch(/at offset 0$/);
      }
      /* Anywhere: inside an array, as a map value, under a tag. */
      expect(await expectIntegralFloatRejected(() => decodeCbor(fromHex('83010282f4f94000'), strict))).toMatch(/at offset 5$/);
      expect(await expectIntegralFloatRejected(() => decodeCbor(fromHex('a10af94000'), strict))).toMatch(/at offset 2$/);
      expect(await expectIntegralFloatRejected(() => decodeCbor(fromHex('d8608240f94000'), strict))).toMatch(/at offset 4$/);
    });

    it('accepts what is not an integral float: 2.5, 1.5, -0.5, 1e-300, NaN, ±Infinity, ints, simple values', () => {
      expect(decodeCbor(fromHex('f94100'), strict)).toBe(2.5);
      expect(decodeCbor(fromHex('fa3fc00000'), strict)).toBe(1.5);
      expect(decodeCbor(fromHex('fbbfe0000000000000'), strict)).toBe(-0.5);
      expect(decodeCbor(double(1e-300), strict)).toBe(1e-300);
      expect(decodeCbor(fromHex('f97e00'), strict)).toBeNaN();
      expect(decodeCbor(fromHex('f97c00'), strict)).toBe(Infinity);
      expect(decodeCbor(fromHex('f9fc00'), strict)).toBe(-Infinity);
      expect(decodeCbor(fromHex('8301203b001ffffffffffffe'), strict)).toEqual([1, -1, -(2 ** 53 - 1)]);
      expect(decodeCbor(fromHex('84f4f5f6f7'), strict)).toEqual([false, true, null, undefined]);
      expect(decodeCbor(fromHex('f0'), strict)).toEqual(new CborSimple(16));
    });

    it('ERR_INVALID_ARGUMENT: a rejectIntegralFloats that is not a boolean', async () => {
      await throwsCode('ERR_INVALID_ARGUMENT', () => decodeCbor(fromHex('01'), { rejectIntegralFloats: 1 } as unknown as DecodeCborOptions));
    });

    it('fast-check: a double is refused exactly when Number.isInteger holds, and otherwise decodes to itself', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.double(), fc.integer().map((i) => i * 1.0), fc.constantFrom(-0, 2 ** 53, 1e300, -1e300)), async (value) => {
          const outcome = await outcomeOf(() => decodeCbor(double(value), strict));
          if (Number.isInteger(value)) {
            expect(outcome.kind === 'ward' ? outcome.code : describeOutcome(outcome)).toBe('ERR_CBOR_UNSUPPORTED');
          } else {
            expect(outcome.kind, describeOutcome(outcome)).toBe('value');
            if (outcome.kind === 'value') expect(Object.is(outcome.value, value)).toBe(true);
          }
        }),
        { numRuns: 500 },
      );
    });
  });

  it('ERR_CBOR_DUPLICATE_KEY / ERR_CBOR_MALFORMED / ERR_CBOR_LIMIT from the CBOR layer', async () => {
    await throwsCode('ERR_CBOR_DUPLICATE_KEY', () => decodeProtectedHeader(fromHex('a201260126')));
    await throwsCode('ERR_CBOR_MALFORMED', () => decodeProtectedHeader(fromHex('a201')));
    await throwsCode('ERR_CBOR_MALFORMED', () => decodeProtectedHeader(fromHex('a1012600')));
    await throwsCode('ERR_CBOR_LIMIT', () => decodeProtectedHeader(fromHex('a101818181818101'), { maxDepth: 3 }));
  });

  it('asUnprotectedHeader: a map passes; anything else → ERR_COSE_INVALID_HEADER', async () => {
    expect(asUnprotectedHeader(new Map([[4, new Uint8Array(1)]])).get(4)).toEqual(new Uint8Array(1));
    for (const value of [null, [], new Uint8Array(0), 'x', 0] as CborValue[]) await throwsCode('ERR_COSE_INVALID_HEADER', () => asUnprotectedHeader(value));
    await throwsCode('ERR_COSE_INVALID_HEADER', () => asUnprotectedHeader(new Map([[null, 1]])));
  });

  it('fast-check: any int/text-labelled header round trips through encode/decode', () => {
    const labelArb = fc.oneof(fc.integer({ min: -70000, max: 70000 }), fc.string({ maxLength: 6 }));
    const valueArb = fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 8 }), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(labelArb, valueArb), { selector: ([l]) => `${typeof l}:${String(l)}`, maxLength: 8 }), (entries) => {
        const header: HeaderMap = new Map(entries);
        const decoded = decodeProtectedHeader(encodeProtectedHeader(header));
        expect(decoded).toEqual(header);
      }),
      { numRuns: 300 },
    );
  });

  it('fast-check: decodeProtectedHeader fed arbitrary bytes throws only WardErrors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        const outcome = await outcomeOf(() => decodeProtectedHeader(bytes));
        if (outcome.kind === 'value') expect(outcome.value).toBeInstanceOf(Map);
        else expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checkHeaders', () => {
  it('returns the alg from the protected bucket', () => {
    expect(checkHeaders(h([1, -8]), h([4, new Uint8Array(1)]), RULES)).toBe(-8);
  });

  it('ERR_COSE_INVALID_HEADER: a label in both buckets (int and text labels alike)', async () => {
    await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8], [4, new Uint8Array(1)]), h([4, new Uint8Array(1)]), RULES));
    await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8], ['x', 1]), h(['x', 2]), RULES));
  });

  it('distinct labels 1 and "1" are not the same label', () => {
    expect(checkHeaders(h([1, -8], ['1', 0]), h(['4', 0]), RULES)).toBe(-8);
  });

  it('ERR_COSE_INVALID_HEADER: alg missing', async () => {
    await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h(), h(), RULES));
    await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h(), h(), EITHER));
  });

  it('ERR_COSE_UNPROTECTED_ALG: alg only unprotected where it must be protected', async () => {
    await throwsCode('ERR_COSE_UNPROTECTED_ALG', () => checkHeaders(h(), h([1, -8]), RULES));
  });

  it('alg: either accepts an unprotected alg (key wrap recipients, RFC 9053 §6.2.1)', () => {
    expect(checkHeaders(h(), h([1, -5]), EITHER)).toBe(-5);
  });

  it('ERR_UNSUPPORTED_ALGORITHM: a text alg', async () => {
    await throwsCode('ERR_UNSUPPORTED_ALGORITHM', () => checkHeaders(h([1, 'EdDSA']), h(), RULES));
  });

  it('ERR_COSE_INVALID_HEADER: alg of the wrong type (bstr, float, array, bool, null)', async () => {
    for (const v of [new Uint8Array([1]), 1.5, [1], true, null] as CborValue[]) await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, v]), h(), RULES));
  });

  /*
   * RFC 9052 §3.1, Table 3: alg is `int / tstr`. A protected bucket {1: -7.0} (a1 01 f9c700,
   * or the double fbc01c000000000000) would decode to alg -7, ES256; other implementations
   * reject the float. The protected-header decoder refuses it before checkHeaders sees it.
   */
  it('ERR_CBOR_UNSUPPORTED: a float alg with an integral value (-7.0) from the wire never reaches checkHeaders', async () => {
    for (const hex of ['a101f9c700', 'a101fac0e00000', 'a101fbc01c000000000000']) {
      expect(await expectIntegralFloatRejected(() => checkHeaders(decodeProtectedHeader(fromHex(hex)), h(), RULES))).toMatch(/at offset 2$/);
    }
    /* A fractional float alg still reaches checkHeaders, which refuses its type. */
    await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(decodeProtectedHeader(fromHex('a101f9be00')), h(), RULES));
  });

  it('ERR_COSE_INVALID_HEADER: kid, IV or Partial IV that is not a bstr, in either bucket', async () => {
    for (const l of [HeaderLabel.kid, HeaderLabel.iv, HeaderLabel.partialIv]) {
      await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8], [l, 'text']), h(), RULES));
      await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8]), h([l, 7]), RULES));
    }
  });

  it('content type: uint or tstr; ERR_COSE_INVALID_HEADER for a negative int, bstr or float', async () => {
    expect(checkHeaders(h([1, -8], [3, 0]), h(), RULES)).toBe(-8);
    expect(checkHeaders(h([1, -8], [3, 'application/cbor']), h(), RULES)).toBe(-8);
    for (const v of [-1, new Uint8Array([1]), 1.5] as CborValue[]) await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8], [3, v]), h(), RULES));
  });

  describe('crit (RFC 9052 §3.1)', () => {
    it('understood labels present in the protected bucket pass', () => {
      expect(checkHeaders(h([1, -8], [2, [3, 4]], [3, 0], [4, new Uint8Array(1)]), h(), RULES)).toBe(-8);
    });

    it('ERR_COSE_UNKNOWN_CRITICAL: a label the layer does not understand (int or text)', async () => {
      await throwsCode('ERR_COSE_UNKNOWN_CRITICAL', () => checkHeaders(h([1, -8], [2, [99]], [99, 0]), h(), RULES));
      await throwsCode('ERR_COSE_UNKNOWN_CRITICAL', () => checkHeaders(h([1, -8], [2, ['reserved']], ['reserved', false]), h(), RULES));
    });

    it('ERR_COSE_INVALID_HEADER: crit in the unprotected bucket', async () => {
      await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8], [3, 0]), h([2, [3]]), RULES));
    });

    it('ERR_COSE_INVALID_HEADER: crit naming a label that is not in the protected bucket', async () => {
      await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8], [2, [3]]), h([3, 0]), RULES));
      await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8], [2, [3]]), h(), RULES));
    });

    it('ERR_COSE_INVALID_HEADER: crit empty, not an array, or listing a non-label', async () => {
      for (const crit of [[], 3, 'x', [new Uint8Array(1)], [1.5], new Map()] as CborValue[]) {
        await throwsCode('ERR_COSE_INVALID_HEADER', () => checkHeaders(h([1, -8], [2, crit]), h(), RULES));
      }
    });
  });

  it('fast-check: checkHeaders on arbitrary decoded buckets returns an int alg or throws a WardError', async () => {
    const value: fc.Arbitrary<CborValue> = fc.oneof(
      fc.integer({ min: -40, max: 40 }), fc.uint8Array({ maxLength: 4 }), fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean(),
      fc.array(fc.oneof(fc.integer({ min: -5, max: 8 }), fc.string({ maxLength: 2 }), fc.uint8Array({ maxLength: 2 })), { maxLength: 3 }),
    );
    const bucket = fc.array(fc.tuple(fc.oneof(fc.integer({ min: -3, max: 8 }), fc.constantFrom('x', '1')), value), { maxLength: 5 })
      .map((entries) => decodeCbor(encodeCbor(new Map<CborValue, CborValue>(entries))) as HeaderMap);
    await fc.assert(
      fc.asyncProperty(bucket, bucket, fc.constantFrom(RULES, EITHER), async (p, u, rules) => {
        const outcome = await outcomeOf(() => checkHeaders(p, u, rules));
        if (outcome.kind === 'value') {
          expect(Number.isSafeInteger(outcome.value)).toBe(true);
          expect(outcome.value).toBe(p.get(1) ?? u.get(1));
          if (rules.alg === 'protected') expect(p.has(1)).toBe(true);
          for (const l of p.keys()) expect(u.has(l)).toBe(false);
        } else {
          expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('maxHeaderBytes', () => {
  const backend = createNobleBackend();
  const key = backend.generateKey('Ed25519');
  const big = new Map<number | string, CborValue>([[-70000, new Uint8Array(20000)]]);

  it('a protected header over the default 16 KiB is ERR_CBOR_LIMIT before it is decoded', async () => {
    const message = await createSign1(new Uint8Array(1), { backend, key, protectedHeader: big });
    await expect(verifySign1(message, { backend, key: backend.publicKey(key) })).rejects.toMatchObject({ code: 'ERR_CBOR_LIMIT' });
  });

  it('the ceiling is configurable, both ways', async () => {
    const message = await createSign1(new Uint8Array(1), { backend, key, protectedHeader: big });
    const verified = await verifySign1(message, { backend, key: backend.publicKey(key), maxHeaderBytes: 32768 });
    expect(verified.payload).toEqual(new Uint8Array(1));
    const small = await createSign1(new Uint8Array(1), { backend, key });
    await expect(verifySign1(small, { backend, key: backend.publicKey(key), maxHeaderBytes: 2 })).rejects.toMatchObject({ code: 'ERR_CBOR_LIMIT' });
  });
});
