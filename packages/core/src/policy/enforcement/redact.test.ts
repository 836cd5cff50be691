/*
 * The redact obligation (SPEC.md §Obligations), fail closed: every field a path names is
 * provably gone from the released bytes, or nothing is released (ERR_POLICY_OBLIGATION).
 * Arrays are named with `[]`; a path that meets a shape it cannot see through refuses.
 * Properties: over generated JSON and CBOR payloads and paths, no value at a redacted position
 * appears anywhere in the released bytes, every other value does, and the redactor refuses
 * exactly when some path meets a shape it cannot prove the field gone from.
 */
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeCbor, encodeCbor } from '../../cbor/index.js';
import type { CborValue } from '../../cbor/index.js';
import { PolicyError, WardError } from '../../errors.js';
import { redactPayload } from './redact.js';

const te = new TextEncoder();
const td = new TextDecoder();
const json = (value: string): Uint8Array => te.encode(value);
const redactJson = (text: string, fields: string[]): unknown => JSON.parse(td.decode(redactPayload(json(text), fields)));
const cborMap = (entries: [CborValue, CborValue][]): Map<CborValue, CborValue> => new Map(entries);

/** The error `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected a throw');
}
function refusal(text: string | Uint8Array, fields: string[]): PolicyError {
  const error = thrown(() => redactPayload(typeof text === 'string' ? json(text) : text, fields));
  expect(PolicyError.isInstance(error)).toBe(true);
  expect((error as PolicyError).code).toBe('ERR_POLICY_OBLIGATION');
  return error as PolicyError;
}

describe('redactPayload: array paths', () => {
  test('array redaction: people[].name removes name from every element of the array', () => {
    const text = '{"people":[{"name":"Ann","seat":1},{"name":"Bo"},{"seat":3},null],"count":3}';
    expect(redactJson(text, ['people[].name'])).toEqual({ people: [{ seat: 1 }, {}, { seat: 3 }, null], count: 3 });
  });

  test('a plain segment that meets an array refuses: people.name over an array of people is not released', () => {
    const error = refusal('{"people":[{"name":"Ann"}]}', ['people.name']);
    expect(error.message).toContain('people.name');
    expect(error.message).toContain('[]');
  });

  test('nested arrays: rows[][].id goes through an array of arrays', () => {
    expect(redactJson('{"rows":[[{"id":"x1","v":1}],[{"id":"x2"},{"v":2}]]}', ['rows[][].id'])).toEqual({ rows: [[{ v: 1 }], [{}, { v: 2 }]] });
  });

  test('[] that meets an object, or an element that is not an object, refuses', () => {
    refusal('{"people":{"name":"Ann"}}', ['people[].name']);
    refusal('{"people":["Ann"]}', ['people[].name']);
    refusal('{"rows":[{"id":"x"}]}', ['rows[][].id']);
  });

  test('array redaction in CBOR payloads', () => {
    const payload = encodeCbor(cborMap([['people', [cborMap([['name', 'Ann'], ['seat', 1]]), cborMap([[1, 'Bo']])]]]));
    expect(decodeCbor(redactPayload(payload, ['people[].name']))).toEqual(cborMap([['people', [cborMap([['seat', 1]]), cborMap([[1, 'Bo']])]]]));
    refusal(encodeCbor(cborMap([['people', [cborMap([['name', 'Ann']])]]])), ['people.name']);
  });
});

describe('redactPayload: a named field is provably gone, or nothing is released', () => {
  test('a missing field, or null on the way, is already gone: released', () => {
    expect(redactJson('{"count":1,"person":null}', ['badge', 'person.name', 'people[].name'])).toEqual({ count: 1, person: null });
  });

  test('a path through a value that is not an object refuses (location.precise over a location string)', () => {
    const error = refusal('{"location":"51.50123,-0.12345"}', ['location.precise']);
    expect(error.message).not.toContain('51.50123');
    refusal('{"location":7}', ['location.precise']);
    refusal('{"location":true}', ['location.precise']);
  });

  test('a CBOR byte string on the path refuses', () => {
    refusal(encodeCbor(cborMap([['person', new Uint8Array([1, 2])]])), ['person.name']);
  });

  test('a key that itself contains the dots is removed too (every spelling of the named field)', () => {
    const text = '{"person.name":"Ann","person":{"name":"Ann2","age":4},"a.b":{"c":"x","d":1},"a":{"b.c":"y"}}';
    expect(redactJson(text, ['person.name', 'a.b.c'])).toEqual({ person: { age: 4 }, 'a.b': { d: 1 }, a: {} });
  });

  test('a dotted key does not span []: p[].x.y names "x.y" inside each element but never a key "p[].x"', () => {
    expect(redactJson('{"p":[{"x.y":1,"x":{"y":2,"z":3}}],"p[].x":{"y":4}}', ['p[].x.y'])).toEqual({ p: [{ x: { z: 3 } }], 'p[].x': { y: 4 } });
  });

  test('duplicate JSON keys: the released bytes are re-serialised, so the earlier value does not survive', () => {
    const released = td.decode(redactPayload(json('{"name":"FIRST-SECRET","name":"SECOND","n":1}'), ['name']));
    expect(released).toBe('{"n":1}');
    // even when the duplicated key is not the one redacted, only the value JSON.parse kept survives
    expect(td.decode(redactPayload(json('{"k":"EARLIER","k":"LATER","badge":"0042"}'), ['badge']))).toBe('{"k":"LATER"}');
  });

  test('__proto__: redaction removes an own "__proto__" field and never reaches Object.prototype', () => {
    expect(redactJson('{"__proto__":{"secret":"x","keep":1}}', ['__proto__.secret'])).toEqual(JSON.parse('{"__proto__":{"keep":1}}'));
    Object.defineProperty(Object.prototype, 'wardCanary', { value: 1, configurable: true, writable: true });
    try {
      expect(redactJson('{"n":1}', ['__proto__.wardCanary', 'constructor.prototype.wardCanary', 'wardCanary'])).toEqual({ n: 1 });
      expect(Object.hasOwn(Object.prototype, 'wardCanary')).toBe(true);
    } finally {
      delete (Object.prototype as { wardCanary?: number }).wardCanary;
    }
  });

  test('a payload that is not JSON or CBOR, or not an object/map, refuses: nothing can be proven gone', () => {
    refusal('plain text reading', ['x']);
    refusal('{"unterminated":', ['x']);
    refusal(new Uint8Array([0x7b, 0xff, 0x7d]), ['x']); // starts like JSON, invalid UTF-8
    refusal('["a","b"]', ['x']);
    refusal(encodeCbor([cborMap([['x', 1]])]), ['x']);
    refusal(encodeCbor('{"x":1}'), ['x']);
    refusal(encodeCbor(null), ['x']);
  });

  test('whether a payload is refused does not depend on the order of the paths (all are checked before any is removed)', () => {
    refusal('{"c":"x","n":1}', ['c', 'c.a']);
    refusal('{"c":"x","n":1}', ['c.a', 'c']);
    refusal('{"p":[{"name":"Ann"}]}', ['p', 'p.name']);
  });

  test('a refusal carries no payload text, in its message or its cause (V8 quotes JSON text in its SyntaxError)', () => {
    for (const text of ['{"a":SECRETANN}', '{"name":"SECRETANN" x}', '{"location":"SECRETANN"}']) {
      const error = refusal(text, ['location.precise']);
      const chain: unknown[] = [];
      for (let e: unknown = error; e !== undefined && chain.length < 10; e = (e as { cause?: unknown }).cause) chain.push(e);
      for (const e of chain) expect(`${(e as Error).message} ${(e as Error).stack ?? ''}`).not.toContain('SECRETANN');
    }
  });

  test('malformed redaction paths refuse', () => {
    for (const path of ['a..b', '.a', 'a.', 'a[]', 'a[', 'a]b', '[]', '[].a', 'a[x].b', 'a[]b.c', '']) {
      const error = refusal('{"a":{"b":1}}', [path]);
      expect(error.message).toContain('malformed');
    }
  });

  test('the input buffer is wiped, whether the payload is released or refused', () => {
    const released = json('{"badge":"0042","n":1}');
    redactPayload(released, ['badge']);
    expect(released.every((b) => b === 0)).toBe(true);
    const refused = json('{"people":[{"name":"Ann"}]}');
    refusal(refused, ['people.name']);
    expect(refused.every((b) => b === 0)).toBe(true);
    const malformed = json('{"people":1}');
    refusal(malformed, ['people..x']);
    expect(malformed.every((b) => b === 0)).toBe(true);
  });

  test('arguments: payload must be a Uint8Array and fields an array of strings', () => {
    for (const call of [
      () => redactPayload('{"a":1}' as unknown as Uint8Array, ['a']),
      () => redactPayload(json('{"a":1}'), 'a' as unknown as string[]),
      () => redactPayload(json('{"a":1}'), [1] as unknown as string[]),
    ]) {
      expect(thrown(call)).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });
});

/* ---- properties ------------------------------------------------------------------------ */

/** A generated payload: objects with unique keys, arrays, marker strings, nulls. */
type Node =
  | { readonly t: 'obj'; readonly entries: readonly (readonly [string, Node])[] }
  | { readonly t: 'arr'; readonly items: readonly Node[] }
  | { readonly t: 'leaf' }
  | { readonly t: 'null' };

/** Keys from a small alphabet so paths hit; dotted keys and prototype names included. */
const KEYS = ['a', 'b', 'c', 'a.b', 'b.c', '__proto__', 'constructor', 'toString'];
const NAMES = ['a', 'b', 'c', '__proto__', 'constructor', 'toString'];

/** A new object per draw: nodes are told apart by identity. */
const fresh = (node: Node): fc.Arbitrary<Node> => fc.constant(0).map(() => ({ ...node }));

const { node: nodeArb } = fc.letrec<{ node: Node; obj: Node; arr: Node }>((tie) => ({
  node: fc.oneof({ maxDepth: 4, depthIdentifier: 'payload' }, fresh({ t: 'leaf' }), fresh({ t: 'null' }), tie('obj'), tie('arr')),
  obj: fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('node')), { selector: (entry) => entry[0], maxLength: 4 })
    .map((entries): Node => ({ t: 'obj', entries })),
  arr: fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'payload' }).map((items): Node => ({ t: 'arr', items })),
}));
const rootArb = fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), nodeArb), { selector: (entry) => entry[0], minLength: 1, maxLength: 5 })
  .map((entries): Node => ({ t: 'obj', entries }));

interface PathSpec { readonly segments: readonly { readonly name: string; readonly arrays: number }[] }
const pathArb = fc.array(fc.record({ name: fc.constantFrom(...NAMES), arrays: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(1), fc.constant(2)) }), { minLength: 1, maxLength: 4 })
  .map((segments): PathSpec => ({ segments: segments.map((s, i) => (i === segments.length - 1 ? { ...s, arrays: 0 } : s)) }));
const pathText = (p: PathSpec): string => p.segments.map((s) => s.name + '[]'.repeat(s.arrays)).join('.');
const pathTokens = (p: PathSpec): string[] => p.segments.flatMap((s) => [s.name, ...Array<string>(s.arrays).fill('[]')]);

/** Every node of a payload, flattened with the tokens that lead to it (keys split at dots, `[]` per element). */
interface Flat { readonly node: Node; readonly tokens: readonly string[]; readonly ancestors: readonly Node[]; readonly marker?: string }
function flatten(root: Node): Flat[] {
  const out: Flat[] = [];
  let next = 0;
  const visit = (node: Node, tokens: string[], ancestors: Node[]): void => {
    const marker = node.t === 'leaf' ? `~${String(next++).padStart(4, '0')}~` : undefined;
    out.push({ node, tokens, ancestors, ...(marker === undefined ? {} : { marker }) });
    if (node.t === 'obj') for (const [key, child] of node.entries) visit(child, [...tokens, ...key.split('.')], [...ancestors, node]);
    if (node.t === 'arr') for (const child of node.items) visit(child, [...tokens, '[]'], [...ancestors, node]);
  };
  visit(root, [], []);
  return out;
}

/** The same payload as JSON text and as a CBOR map, leaves carrying their markers. */
function serialise(root: Node, flat: Flat[]): { json: string; cbor: Uint8Array } {
  const markerOf = new Map(flat.filter((f) => f.marker !== undefined).map((f) => [f.node, f.marker!]));
  const toJson = (n: Node): string => {
    switch (n.t) {
      case 'obj': return `{${n.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
      case 'arr': return `[${n.items.map(toJson).join(',')}]`;
      case 'leaf': return JSON.stringify(markerOf.get(n));
      case 'null': return 'null';
    }
  };
  const toCbor = (n: Node): CborValue => {
    switch (n.t) {
      case 'obj': return new Map(n.entries.map(([k, v]) => [k, toCbor(v)]));
      case 'arr': return n.items.map(toCbor);
      case 'leaf': return markerOf.get(n)!;
      case 'null': return null;
    }
  };
  return { json: toJson(root), cbor: encodeCbor(toCbor(root)) };
}

function pathOfTokens(tokens: readonly string[]): PathSpec {
  const segments: { name: string; arrays: number }[] = [];
  for (const token of tokens) {
    if (token === '[]') segments[segments.length - 1]!.arrays += 1;
    else segments.push({ name: token, arrays: 0 });
  }
  return { segments };
}

const sameTokens = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * The oracle, from the flattened payload rather than a walk: a path cannot be proven gone when
 * a node on its way (tokens equal to a proper prefix of the path's) has the wrong shape for the
 * next token; a leaf is redacted when it or an ancestor sits exactly at a path.
 */
function oracle(flat: Flat[], paths: PathSpec[]): { refuses: boolean; redacted: Set<string>; kept: Set<string> } {
  let refuses = false;
  const at: Node[] = [];
  for (const path of paths) {
    const tokens = pathTokens(path);
    for (const f of flat) {
      if (f.tokens.length < tokens.length && sameTokens(f.tokens, tokens.slice(0, f.tokens.length))) {
        const nextIsArray = tokens[f.tokens.length] === '[]';
        if (f.node.t === 'leaf' || (nextIsArray ? f.node.t === 'obj' : f.node.t === 'arr')) refuses = true;
      }
      if (sameTokens(f.tokens, tokens)) at.push(f.node);
    }
  }
  const redacted = new Set<string>();
  const kept = new Set<string>();
  for (const f of flat) {
    if (f.marker === undefined) continue;
    if (at.includes(f.node) || f.ancestors.some((a) => at.includes(a))) redacted.add(f.marker);
    else kept.add(f.marker);
  }
  return { refuses, redacted, kept };
}

const latin1 = new TextDecoder('latin1');

describe('redactPayload: properties', () => {
  test.each(['JSON', 'CBOR'] as const)('property (%s): no redacted value appears anywhere in the released bytes; refusal exactly when a field cannot be proven gone', (format) => {
    fc.assert(
      fc.property(rootArb, fc.array(pathArb, { maxLength: 3 }), fc.array(fc.nat(), { minLength: 1, maxLength: 2 }), (root, drawn, picks) => {
        const flat = flatten(root);
        /* Paths that hit: the tokens of nodes in this payload (those that end in a name), besides random ones. */
        const hits = flat.filter((f) => f.tokens.length > 0 && f.tokens[f.tokens.length - 1] !== '[]');
        const paths = [...drawn, ...(hits.length === 0 ? [] : picks.map((i) => pathOfTokens(hits[i % hits.length]!.tokens)))];
        fc.pre(paths.length > 0);
        const { json: text, cbor } = serialise(root, flat);
        const expected = oracle(flat, paths);
        const payload = format === 'JSON' ? json(text) : cbor;
        let released: Uint8Array | undefined;
        let error: unknown;
        try {
          released = redactPayload(payload, paths.map(pathText));
        } catch (e) {
          error = e;
        }
        if (expected.refuses) {
          expect(WardError.isInstance(error) && (error as WardError).code === 'ERR_POLICY_OBLIGATION').toBe(true);
          const told = `${(error as Error).message} ${String((error as Error).cause ?? '')}`;
          for (const marker of [...expected.redacted, ...expected.kept]) expect(told).not.toContain(marker);
          return;
        }
        expect(error).toBeUndefined();
        const bytes = latin1.decode(released);
        for (const marker of expected.redacted) expect(bytes).not.toContain(marker);
        for (const marker of expected.kept) expect(bytes).toContain(marker);
      }),
      { numRuns: 600 },
    );
  });
});
