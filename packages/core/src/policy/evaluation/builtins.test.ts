/*
 * Ward's host builtins against the real OPA (`opa eval`, the pinned binary): the same answer,
 * or undefined on both sides (a builtin error), on generated timestamps, zones and strings.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { jsonWithBigInts, opaEval } from '../../../test-kit/opa-eval.js';
import { OPA_WASM_HOST_BUILTINS, WARD_BUILTIN_IMPLEMENTATIONS, WARD_BUILTINS, createPolicyBuiltins, isBuiltinError, missingBuiltins } from './builtins.js';

const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;
const RUNS = 300;

/*
 * Zones with odd offsets, DST rules of both hemispheres, a 30-minute DST (Lord Howe), a date-line
 * jump (Apia). Not Africa/Casablanca: its future rules differ between tz database releases (Node 24
 * ships 2026e, Node 20 2025c, OPA its Go build's copy), so a comparison there tests the two
 * databases, not the code. Ward reads zones from the runtime's Intl data (policies/README.md).
 */
const ZONES = [
  '', 'UTC', 'Europe/Paris', 'Europe/London', 'America/New_York', 'America/St_Johns', 'America/Sao_Paulo', 'Asia/Kolkata',
  'Asia/Kathmandu', 'Asia/Tehran', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Pacific/Apia', 'Etc/GMT+5',
  'Europe/Dublin', 'US/Eastern',
];
/* Names OPA refuses (and so must Ward): unknown, wrong case, UTC offsets Intl would accept. */
const BAD_ZONES = ['Not/AZone', 'europe/paris', 'utc', '+01:00', '-05:00', 'Europe/../UTC', 'Europe/Paris '];

const ns = fc.oneof(
  fc.bigInt(MIN_I64, MAX_I64),
  /* 1901-2100: where the zone rules live */
  fc.bigInt(-2_177_452_800n * 10n ** 9n, 4_102_444_800n * 10n ** 9n),
  fc.constantFrom(MIN_I64, MAX_I64, 0n, -1n, 1n),
);
const nsArg = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(ns, fc.constantFrom(...ZONES)).map(([n, z]) => [n, z] as unknown) },
  { weight: 1, arbitrary: ns.map((n) => n as unknown) },
  { weight: 1, arbitrary: fc.tuple(ns, fc.constantFrom(...BAD_ZONES)).map(([n, z]) => [n, z] as unknown) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([], ['x'], [1, 2], 'x', null, 1.5, 2 ** 64, [1e3, 'UTC', 'RFC3339'], [1, 'UTC', 7]) },
);

/* RFC 3339 strings and near misses: every field's width, separators and zone forms varied. */
const digits = (min: number, max: number, width: fc.Arbitrary<number>, likely = fc.integer({ min, max })) =>
  fc.tuple(fc.oneof(likely, fc.integer({ min, max })), width).map(([n, w]) => String(n).padStart(w, '0').slice(-Math.max(w, 1)));
const rfc3339 = fc.tuple(
  digits(0, 9999, fc.constantFrom(4, 4, 4, 3, 5), fc.integer({ min: 1900, max: 2200 })),
  fc.constantFrom('-', '-', '-', '/'),
  digits(0, 13, fc.constantFrom(2, 2, 2, 1), fc.integer({ min: 1, max: 12 })),
  digits(0, 32, fc.constantFrom(2, 2, 2, 1), fc.integer({ min: 1, max: 28 })),
  fc.constantFrom('T', 'T', 'T', 'T', 't', ' '),
  digits(0, 25, fc.constantFrom(2, 2, 1)),
  digits(0, 61, fc.constantFrom(2, 2, 2, 1)),
  digits(0, 61, fc.constantFrom(2, 2, 2, 1)),
  fc.oneof(fc.constant(''), fc.tuple(fc.constantFrom('.', ',', '.'), fc.stringMatching(/^[0-9]{0,12}$/)).map(([s, d]) => s + d)),
  fc.oneof(
    fc.constantFrom('Z', 'Z', 'z', '', 'ZZ', '+00:00'),
    fc.tuple(fc.constantFrom('+', '-'), digits(0, 25, fc.constant(2)), fc.constantFrom(':', ':', ''), digits(0, 61, fc.constant(2))).map((p) => p.join('')),
  ),
).map(([y, s1, mo, d, t, h, mi, se, f, z]) => `${y}${s1}${mo}-${d}${t}${h}:${mi}:${se}${f}${z}`);

/* Well-formed RFC 3339 (with fractions up to 12 digits and offsets up to Go's +24:00 / 60 minutes). */
const two = (n: number) => String(n).padStart(2, '0');
const wellFormed = fc.tuple(
  fc.date({ min: new Date('1678-01-01T00:00:00Z'), max: new Date('2261-12-31T00:00:00Z'), noInvalidDate: true }),
  fc.stringMatching(/^(\.[0-9]{1,12})?$/),
  fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 })).map(([s, h, m]) => `${s}${two(h)}:${two(m)}`)),
).map(([d, f, z]) => `${d.toISOString().slice(0, 19)}${f}${z}`);

/* Ward's answer as OPA's json.marshal writes it; undefined for a builtin error. */
function ward(name: string, args: unknown[]): string | undefined {
  try {
    return jsonWithBigInts(WARD_BUILTIN_IMPLEMENTATIONS[name]!(...args));
  } catch (error) {
    if (isBuiltinError(error)) return undefined;
    throw error;
  }
}

/* One `opa eval` for all cases: an object of index -> json.marshal(result); a missing index is undefined. */
function opa(call: string, cases: unknown[]): (string | undefined)[] {
  const value = opaEval(`{i: json.marshal(v) | some i; c := input.cases[i]; v := ${call}}`, { cases }) as Record<string, string> | undefined;
  return cases.map((_, i) => value?.[String(i)]);
}

function differential(name: string, call: string, cases: unknown[][], { undefinedToo = true } = {}): void {
  const expected = opa(call, cases.length === 0 ? [] : cases.map((c) => (call.includes('c[') ? c : c[0])));
  /* The sample must exercise both outcomes, or the comparison proves little. */
  expect(expected.filter((e) => e !== undefined).length).toBeGreaterThan(cases.length / 8);
  if (undefinedToo) expect(expected.some((e) => e === undefined)).toBe(true);
  const mismatches = cases.flatMap((args, i) => {
    const got = ward(name, args);
    return got === expected[i] ? [] : [{ args: jsonWithBigInts(args), ward: got, opa: expected[i] }];
  });
  expect(mismatches.slice(0, 5)).toEqual([]);
}

describe('Ward builtins decide like opa eval', () => {
  const sample = <T>(arb: fc.Arbitrary<T>): T[] => fc.sample(arb, { numRuns: RUNS, seed: 20261111 });

  test('time.clock', () => differential('time.clock', 'time.clock(c)', sample(nsArg).map((a) => [a])));
  test('time.date', () => differential('time.date', 'time.date(c)', sample(nsArg).map((a) => [a])));
  test('time.weekday', () => differential('time.weekday', 'time.weekday(c)', sample(nsArg).map((a) => [a])));
  test('time.add_date', () => {
    const amount = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -400, max: 400 }), fc.constantFrom<unknown>(1.5, 'x', 1e6));
    differential('time.add_date', 'time.add_date(c[0], c[1], c[2], c[3])', sample(fc.tuple(nsArg, amount, amount, amount)));
  });
  test('time.add_date across daylight-saving changes (wall times in a gap or an overlap)', () => {
    /* Around the 2026 spring and autumn changes of Europe and North America, and Lord Howe's 30-minute one. */
    const around = fc.constantFrom(1_774_746_000n, 1_792_890_000n, 1_772_953_200n, 1_793_512_800n, 1_775_314_800n, 1_791_043_200n)
      .chain((t) => fc.bigInt(t - 2n * 86400n, t + 2n * 86400n)).map((t) => t * 10n ** 9n);
    const zone = fc.constantFrom('Europe/Paris', 'Europe/London', 'America/New_York', 'Australia/Lord_Howe');
    const cases = sample(fc.tuple(fc.tuple(around, zone), fc.constant(0), fc.integer({ min: -1, max: 1 }), fc.integer({ min: -2, max: 2 })));
    differential('time.add_date', 'time.add_date(c[0], c[1], c[2], c[3])', cases, { undefinedToo: false });
  });
  test('time.parse_rfc3339_ns', () => {
    const value = fc.oneof({ weight: 5, arbitrary: rfc3339 }, { weight: 4, arbitrary: wellFormed }, { weight: 1, arbitrary: fc.constantFrom<unknown>(1, null, '', '2026-01-01T00:00:00Z\u00e9') });
    differential('time.parse_rfc3339_ns', 'time.parse_rfc3339_ns(c)', sample(value).map((a) => [a]));
  });
});

describe('Ward builtins: zones, Local and time.now_ns', () => {
  test('time zone Local is a builtin error in Ward (a decision never depends on the host zone)', () => {
    expect(ward('time.clock', [[0, 'Local']])).toBeUndefined();
    expect(ward('time.clock', [[0, 'UTC']])).toBe('[0,0,0]');
  });

  test('a zone name Intl accepts in another case or as an offset is refused, as Go refuses it', () => {
    for (const zone of ['europe/paris', 'EUROPE/PARIS', '+01:00', 'utc']) expect(ward('time.weekday', [[0, zone]])).toBeUndefined();
    expect(ward('time.weekday', [[0, 'Europe/Paris']])).toBe('"Thursday"');
  });

  test('a UTC offset as a zone name is refused even where Intl accepts it (ES2024 offset zones)', () => {
    const Real = Intl.DateTimeFormat;
    /* A newer runtime: Intl takes "+01:00" as a zone and reports it back unchanged. */
    const Offsets = function (locale: string, options: Intl.DateTimeFormatOptions) {
      const zone = options.timeZone;
      const format = new Real(locale, { ...options, timeZone: zone === '+01:00' ? 'Etc/GMT-1' : zone });
      return Object.assign(Object.create(format) as Intl.DateTimeFormat, {
        formatToParts: format.formatToParts.bind(format),
        resolvedOptions: () => ({ ...format.resolvedOptions(), timeZone: zone ?? 'UTC' }),
      });
    } as unknown as typeof Intl.DateTimeFormat;
    try {
      Intl.DateTimeFormat = Offsets;
      expect(() => WARD_BUILTIN_IMPLEMENTATIONS['time.clock']!([0, '+01:00'])).toThrow(/unknown time zone/);
    } finally {
      Intl.DateTimeFormat = Real;
    }
  });

  test('a runtime without Intl.DateTimeFormat makes a named zone a builtin error, and UTC still works', () => {
    const saved = globalThis.Intl;
    try {
      // @ts-expect-error -- a runtime without ECMA-402
      delete globalThis.Intl;
      expect(() => WARD_BUILTIN_IMPLEMENTATIONS['time.clock']!([0, 'Asia/Tokyo'])).toThrow(/no Intl.DateTimeFormat/);
      expect(WARD_BUILTIN_IMPLEMENTATIONS['time.clock']!([0, 'UTC'])).toEqual([0, 0, 0]);
    } finally {
      globalThis.Intl = saved;
    }
  });

  test('time.now_ns is environment.time in nanoseconds, read at each call; without a time it is undefined', () => {
    let time: number | undefined = 1_900_000_000;
    const builtins = createPolicyBuiltins(() => time);
    expect(builtins['time.now_ns']!()).toBe(1_900_000_000_000_000_000);
    time = 7;
    expect(builtins['time.now_ns']!()).toBe(7_000_000_000);
    time = undefined;
    expect(builtins['time.now_ns']!()).toBeUndefined();
    time = 2 ** 40;
    expect(builtins['time.now_ns']!()).toBeUndefined(); // beyond 2262: outside int64 nanoseconds
  });

  test('a builtin error is an undefined call; a bug in a builtin is not swallowed', () => {
    const builtins = createPolicyBuiltins(() => 0);
    expect(builtins['time.clock']!([0, 'Not/AZone'])).toBeUndefined();
    expect(builtins['time.clock']!([0, 'UTC'])).toEqual([0, 0, 0]);
  });

  test('missing builtins: only names neither opa-wasm nor Ward implements', () => {
    expect(missingBuiltins(['time.weekday', 'sprintf', 'http.send', 'time.diff', 'http.send'])).toEqual(['http.send', 'time.diff']);
    expect(missingBuiltins([...WARD_BUILTINS, ...OPA_WASM_HOST_BUILTINS])).toEqual([]);
  });
});
