/*
 * strict-json.ts: the strict RFC 8259 parser's refusals (duplicate keys, depth, lone surrogates,
 * byte-order mark, numbers a JavaScript number would change) and the canonical bytes OPA hashes.
 */
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WardError } from '../errors.js';
import { text, utf8 } from '../../test-kit/policy-bundle.js';
import { compareCodePoints, jsonValue, opaCanonicalBytes, parseJson } from './strict-json.js';

const parse = (source: string, depth = 64): ReturnType<typeof parseJson> => parseJson(utf8(source), 'data.json', depth);
const canonical = (source: string): string => text(opaCanonicalBytes(parse(source)));

function refused(source: string | Uint8Array, message?: RegExp, depth = 64): void {
  let caught: unknown;
  try {
    parseJson(typeof source === 'string' ? utf8(source) : source, 'data.json', depth);
  } catch (error) {
    caught = error;
  }
  expect(WardError.isInstance(caught), `${String(source)} was accepted`).toBe(true);
  expect((caught as WardError).code).toBe('ERR_POLICY_BUNDLE_INVALID');
  if (message) expect((caught as Error).message).toMatch(message);
}

describe('parseJson (strict RFC 8259)', () => {
  test('reads every JSON type, with insignificant whitespace', () => {
    expect(jsonValue(parse(' {"a" : [1, -2.5e3, "x", true, false, null, {}, []]}\r\n\t'))).toEqual({ a: [1, -2500, 'x', true, false, null, {}, []] });
    expect(jsonValue(parse('"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\"\\\\"'))).toBe('é😀/\b\f\n\r\t"\\');
  });

  test.each([
    ['', /unexpected/], ['{', /expected a key/], ['{"a":1,}', /expected a key/], ['[1,]', /unexpected/], ['[1 2]', /expected/],
    ['{"a" 1}', /":"/], ["{'a':1}", /key/], ['{"a":1} x', /after the value/], ['1 2', /after the value/],
    ['tru', /unexpected/], ['nul', /unexpected/], ['NaN', /unexpected/], ['Infinity', /unexpected/], ['+1', /unexpected/],
    ['01', /after the value/], ['1.', /after the value/], ['.5', /unexpected/], ['1e', /after the value/], ['-', /unexpected/],
    ['"\\x"', /escape/], ['"\\u12"', /escape/], ['"a\nb"', /control character/], ['"\t"', /control character/], ['"abc', /unterminated/],
    ['\u00a0{}', /unexpected/], ['\f1', /unexpected/],
  ])('refuses %j', (source, message) => refused(source, message));

  test('duplicate keys are refused (Go would keep the last, others the first)', () => {
    refused('{"a":1,"a":2}', /duplicate key/);
    refused('{"a":{"b":1,"b":1}}', /duplicate key/);
    refused('{"\\u0061":1,"a":2}', /duplicate key/);
  });

  test('lone surrogate escapes are refused; escaped pairs and raw astral characters are read', () => {
    for (const s of ['"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud800x"', '"\\ude00\\ud83d"']) refused(s, /surrogate/);
    expect(jsonValue(parse('["\\ud83d\\ude00", "😀"]'))).toEqual(['😀', '😀']);
  });

  test('invalid UTF-8 and a byte-order mark are refused', () => {
    refused(new Uint8Array([0x22, 0xff, 0x22]), /UTF-8/);
    refused(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), /UTF-8/);
    refused(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), /byte-order mark/);
  });

  test('numbers a JavaScript number would change are refused: integers beyond 2^53, overflow', () => {
    expect(jsonValue(parse('[9007199254740991, -9007199254740991, 1e300, 12345678901234567890.5]'))).toEqual([
      9007199254740991, -9007199254740991, 1e300, 12345678901234567890.5,
    ]);
    refused('9007199254740992', /beyond 2\^53/);
    refused('-9007199254740993', /beyond 2\^53/);
    refused('1e400', /out of range/);
  });

  test('maxJsonDepth bounds nesting before it is entered', () => {
    expect(() => parse('[[[1]]]', 3)).not.toThrow();
    refused('[[[[1]]]]', /maxJsonDepth/, 3);
    refused(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, /maxJsonDepth/, 64);
    refused('{"a":{"b":{"c":{}}}}', /maxJsonDepth/, 3);
  });

  test('jsonValue: "__proto__" is an own data key, never the prototype (prototype pollution)', () => {
    const value = jsonValue(parse('{"__proto__": {"admin": true}, "constructor": 1}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect((value as { admin?: unknown }).admin).toBeUndefined();
    expect(JSON.stringify(value)).toBe('{"__proto__":{"admin":true},"constructor":1}');
  });
});

describe('opaCanonicalBytes: the form OPA hashes (bundle/hash.go walk, Go encoding/json)', () => {
  test('no whitespace, keys sorted, arrays in order', () => {
    expect(canonical('{ "b": [3, 1, 2], "a": { "d": null, "c": true } }')).toBe('{"a":{"c":true,"d":null},"b":[3,1,2]}');
  });

  test('number literals stay exactly as written (json.Number)', () => {
    expect(canonical('[1.50, 1E+2, -0, 0.0, 1e-7, 100]')).toBe('[1.50,1E+2,-0,0.0,1e-7,100]');
  });

  test('strings: Go escapes, with HTML escaping off', () => {
    expect(canonical('"\\u003c\\u003e\\u0026 <>&"')).toBe('"<>& <>&"');
    expect(canonical('"\\" \\\\ \\/ \\b \\f \\n \\r \\t"')).toBe('"\\" \\\\ / \\b \\f \\n \\r \\t"');
    expect(canonical('"\\u0000 \\u0001 \\u001f \\u007f \\u0080"')).toBe('"\\u0000 \\u0001 \\u001f \u007f \u0080"');
    expect(canonical('"\\u2028 \\u2029 \u2028"')).toBe('"\\u2028 \\u2029 \\u2028"');
    expect(canonical('"\\u00e9 é \\ud83d\\ude00"')).toBe('"é é 😀"');
  });

  test('keys sort by code point (UTF-8 bytes), not UTF-16: U+FB00 before U+1F600', () => {
    expect(canonical('{"😀":1,"ﬀ":2,"é":3,"a":4,"A":5,"":6}')).toBe('{"":6,"A":5,"a":4,"é":3,"ﬀ":2,"😀":1}');
    expect(['😀', 'ﬀ'].sort()).toEqual(['😀', 'ﬀ']); /* what a naive sort would do */
    expect(compareCodePoints('😀', 'ﬀ')).toBeGreaterThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'a')).toBe(0);
  });

  /** An independent reference: JSON.stringify already writes Go's escapes except for U+2028/U+2029. */
  function reference(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
    if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value).sort((a, b) => {
        const x = Buffer.from(a, 'utf8');
        const y = Buffer.from(b, 'utf8');
        return Buffer.compare(x, y);
      });
      return `{${keys.map((k) => `${reference(k)}:${reference((value as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    return JSON.stringify(value).replace(/\u2028/gu, '\\u2028').replace(/\u2029/gu, '\\u2029');
  }

  test('property: parse(JSON.stringify(v)) reads v back, and its canonical form is the reference', () => {
    const value = fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 });
    fc.assert(fc.property(value, (v) => {
      const source = JSON.stringify(v);
      let node: ReturnType<typeof parseJson>;
      try {
        node = parseJson(utf8(source), 'data.json', 64);
      } catch (error) {
        /* The one refusal: integers beyond 2^53 that JSON.stringify writes without exponent. */
        expect((error as Error).message).toMatch(/beyond 2\^53/);
        return;
      }
      expect(jsonValue(node)).toEqual(JSON.parse(source));
      expect(text(opaCanonicalBytes(node))).toBe(reference(JSON.parse(source)));
    }), { numRuns: 500 });
  });

  test('property: any input either parses or is refused with ERR_POLICY_BUNDLE_INVALID', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
      try {
        parseJson(utf8(s), 'data.json', 8);
      } catch (error) {
        expect(WardError.isInstance(error) && error.code === 'ERR_POLICY_BUNDLE_INVALID').toBe(true);
      }
    }), { numRuns: 1000 });
  });
});
