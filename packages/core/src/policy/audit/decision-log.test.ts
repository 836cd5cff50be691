/*
 * Decision logs: the input digest (pinned, key-order and JSON round-trip stable, refusing what
 * JSON cannot hold), the minimal input (a whitelist, property-tested against junk fields),
 * records (made, encoded, decoded, parsed; strict about unknown fields and limits), the memory
 * ring, signed records (round trip, trust, headers, tamper of every field, bit flips) and hash
 * chains (deletion, reordering, insertion, replay, mixing, segments, concurrent appends).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { caught, errorChain } from '../../../test-kit/spying.js';
import { flipBit, toHex } from '../../../test-kit/cose-vectors.js';
import { createNobleBackend } from '../../backend/noble-backend.js';
import type { SigningKey, VerifyingKey } from '../../backend/crypto-backend.js';
import { CborTag, decodeCbor, encodeCbor } from '../../cbor/index.js';
import type { CborValue } from '../../cbor/index.js';
import { HeaderLabel, decodeProtectedHeader } from '../../cose/headers.js';
import type { HeaderMap } from '../../cose/headers.js';
import { createSign1 } from '../../cose/sign1.js';
import { ArgumentError, DecisionLogError, TrustError, VerificationError, WardError } from '../../errors.js';
import { TrustStore } from '../../keys/trust-store.js';
import {
  DECISION_RECORD_CONTENT_TYPE, DecisionChain, DecisionChainVerifier, MemoryDecisionLog, createDecisionRecord, decisionInputDigest,
  decisionRecordDigest, decodeDecisionRecord, encodeDecisionRecord, inspectSignedDecisionRecord, minimalDecisionInput,
  parseDecisionRecord, signDecisionRecord, verifyDecisionChain, verifyDecisionRecord,
} from './index.js';
import type { DecisionRecord } from './index.js';
import type { PolicyDecision, PolicyInput } from '../decision.js';

const backend = createNobleBackend();
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const ISSUER = 'ward-gateway-3';
const BUNDLE = { revision: 'city-policies@2026.03.1', digest: 'cd'.repeat(32) };

const logKey: SigningKey = backend.generateKey('Ed25519');
const logPublic: VerifyingKey = backend.publicKey(logKey);
const otherKey: SigningKey = backend.generateKey('ECDSA-P256');
const trust = new TrustStore({ backend, now: () => NOW + 3600 });
const logKid = (await trust.add({ key: logPublic, issuer: ISSUER, roles: ['decision-log'] })).kid;
const producerOnly = (await trust.add({ key: backend.publicKey(otherKey), issuer: ISSUER, roles: ['producer'] })).kid;
const signer = { key: logKey, kid: logKid };
const SIGN = { backend, signer, issuer: ISSUER } as const;
const keySource = trust.keySource('decision-log');

const INPUT: PolicyInput = {
  action: 'open',
  subject: { id: 'analyst-7', roles: ['analyst', 'planner'], purpose: 'traffic-planning', zones: ['north'], organisation: 'city' },
  resource: {
    issuer: 'footfall-counter-17',
    stream: 'footfall/market-square',
    issuedAt: NOW - 60,
    sequence: '42',
    id: '00112233445566778899aabbccddeeff',
    attributes: { classification: 'personal', zone: 'market-square', purpose: ['traffic-planning'], owner: 'mobility', retention: 86400 },
    signer: { kid: 'ab'.repeat(32), alg: -8 },
    encryption: 'encrypt0',
    rewrap: { issuer: 'rewrap-authority', rewrappedAt: NOW - 30 },
  },
  environment: { time: NOW, emergency: { declared: true, incident: 'INC-2026-001' } },
};
const DECISION: PolicyDecision = {
  allow: true,
  reasons: ['analysts may read personal footfall for traffic planning'],
  obligations: [{ type: 'log' }, { type: 'redact', fields: ['face', 'plate'] }, { type: 'notify', to: 'dpo@city.example' }],
};

async function record(overrides: Partial<{ time: number; allow: boolean; subject: string }> = {}): Promise<DecisionRecord> {
  const input = overrides.subject === undefined ? INPUT : { ...INPUT, subject: { ...INPUT.subject, id: overrides.subject } };
  return createDecisionRecord(input, { ...DECISION, allow: overrides.allow ?? DECISION.allow }, {
    backend, bundle: BUNDLE, keyIds: [INPUT.resource.signer.kid], time: overrides.time ?? NOW,
  });
}

async function records(n: number): Promise<DecisionRecord[]> {
  const out: DecisionRecord[] = [];
  for (let i = 0; i < n; i++) out.push(await record({ time: NOW + i, subject: `analyst-${i}` }));
  return out;
}

function codeOf(error: unknown): string | undefined {
  return WardError.isInstance(error) ? error.code : undefined;
}

/** Expects `action` to throw (or reject with) a DecisionLogError `ERR_DECISION_LOG_INVALID`; returns it. */
async function refused(action: () => unknown): Promise<DecisionLogError> {
  let error: unknown;
  try {
    await action();
  } catch (e) {
    error = e;
  }
  expect(DecisionLogError.isInstance(error), `expected a DecisionLogError, got ${String(error)}`).toBe(true);
  expect(codeOf(error)).toBe('ERR_DECISION_LOG_INVALID');
  return error as DecisionLogError;
}

/** A JSON copy with object keys in the reverse order, at every depth. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    Object.defineProperty(out, key, { value: reversedKeys((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A copy with the keys of every object permuted by `seed`. */
function shuffledKeys(value: unknown, seed: readonly number[], depth = 0): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffledKeys(v, seed, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = (seed[(i + depth) % Math.max(seed.length, 1)] ?? 0) % (i + 1);
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    /* defineProperty: a "__proto__" key stays a key, as JSON.parse makes it. */
    Object.defineProperty(out, key, { value: shuffledKeys((value as Record<string, unknown>)[key], seed, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

const noLoneSurrogate = (s: string): boolean => !/\p{Cs}/u.test(s);
const textArb = fc.string({ unit: 'binary', maxLength: 12 }).filter(noLoneSurrogate);
/** JSON numbers the canonical encoding accepts: safe integers and non-integral finite doubles. */
const numberArb = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n) || Number.isSafeInteger(n)),
);
const jsonArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), numberArb, textArb,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(textArb, tie('value'), { maxKeys: 5 }),
  ),
})).value;

const hexArb = (bytes: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map(toHex);
const timeArb = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.double({ min: 0, max: 2 ** 40, noNaN: true, noDefaultInfinity: true }))
  .filter((t) => !Object.is(t, -0));
const obligationArb = fc.oneof(
  fc.constant({ type: 'log' as const }),
  textArb.map((to) => ({ type: 'notify' as const, to })),
  fc.array(textArb, { maxLength: 4 }).map((fields) => ({ type: 'redact' as const, fields })),
);
const recordArb: fc.Arbitrary<DecisionRecord> = fc.record({
  id: hexArb(16),
  time: timeArb,
  inputDigest: hexArb(32),
  input: fc.record({
    action: fc.constantFrom('open' as const, 'verify' as const, 'rewrap' as const),
    subject: fc.record({ id: textArb, roles: fc.array(textArb, { maxLength: 4 }), purpose: textArb }),
    resource: fc.record({
      issuer: textArb, stream: textArb, id: textArb, sequence: textArb,
      attributes: fc.record({ classification: textArb, zone: textArb }, { requiredKeys: ['classification'] }),
    }),
    environment: fc.record({
      time: timeArb,
      emergency: fc.record({ declared: fc.boolean(), incident: textArb }, { requiredKeys: ['declared'] }),
    }, { requiredKeys: ['time'] }),
  }),
  decision: fc.record({ allow: fc.boolean(), reasons: fc.array(textArb, { maxLength: 4 }), obligations: fc.array(obligationArb, { maxLength: 4 }) }),
  bundle: fc.record({ revision: textArb.filter((s) => s.length > 0), digest: hexArb(32) }),
  keyIds: fc.array(fc.integer({ min: 1, max: 64 }).chain(hexArb), { maxLength: 4 }),
  cached: fc.boolean(),
  previous: hexArb(32),
}, { requiredKeys: ['id', 'time', 'inputDigest', 'input', 'decision', 'bundle', 'keyIds', 'cached'] });

describe('decisionInputDigest', () => {
  test('is SHA-256 of deterministic CBOR of the input as JSON: text-keyed maps, integers, -0 as 0 (pinned)', async () => {
    const input = { b: [1, -0, 1.5, 'x', true, null], a: { d: 2, c: 'é' } } as unknown as PolicyInput;
    const expected = encodeCbor(new Map<CborValue, CborValue>([
      ['a', new Map<CborValue, CborValue>([['c', 'é'], ['d', 2]])],
      ['b', [1, 0, 1.5, 'x', true, null]],
    ]));
    expect(toHex(expected)).toBe('a26161a2616362c3a96164026162860100f93e006178f5f6');
    expect(await decisionInputDigest(input, backend)).toBe(toHex(await backend.sha256(expected)));
    expect(await decisionInputDigest(INPUT, backend)).toBe('dc4c15208617d796b119bccd014b3223383e4c703444bf04f9f8840297c409a8');
  });

  test('covers the full input: a field the minimal input drops still changes the digest', async () => {
    const base = await decisionInputDigest(INPUT, backend);
    const organisation = { ...INPUT, subject: { ...INPUT.subject, organisation: 'contractor-ltd' } };
    const owner = { ...INPUT, resource: { ...INPUT.resource, attributes: { ...INPUT.resource.attributes, owner: 'police' } } };
    expect(await decisionInputDigest(organisation, backend)).not.toBe(base);
    expect(await decisionInputDigest(owner, backend)).not.toBe(base);
    expect(minimalDecisionInput(organisation)).toEqual(minimalDecisionInput(INPUT));
  });

  test('leaves out undefined properties, as JSON does', async () => {
    const withUndefined = { ...INPUT, subject: { ...INPUT.subject, organisation: undefined } } as unknown as PolicyInput;
    const without = { ...INPUT, subject: { id: 'analyst-7', roles: ['analyst', 'planner'], purpose: 'traffic-planning', zones: ['north'] } };
    expect(await decisionInputDigest(withUndefined, backend)).toBe(await decisionInputDigest(without, backend));
  });

  test('property: stable under key reordering at every depth', async () => {
    await fc.assert(fc.asyncProperty(jsonArb, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), async (value, seed) => {
      const digest = await decisionInputDigest(value as unknown as PolicyInput, backend);
      expect(await decisionInputDigest(shuffledKeys(value, seed) as PolicyInput, backend)).toBe(digest);
      expect(await decisionInputDigest(reversedKeys(value) as PolicyInput, backend)).toBe(digest);
    }), { numRuns: 300 });
  });

  test('property: stable under a JSON round trip', async () => {
    await fc.assert(fc.asyncProperty(jsonArb, async (value) => {
      expect(await decisionInputDigest(JSON.parse(JSON.stringify(value)) as PolicyInput, backend))
        .toBe(await decisionInputDigest(value as unknown as PolicyInput, backend));
    }), { numRuns: 300 });
  });

  test.each([
    ['NaN', Number.NaN], ['Infinity', Infinity], ['an integer beyond 2^53 - 1', 2 ** 60], ['a bigint', 1n],
    ['a byte array', new Uint8Array(2)], ['a Date', new Date(0)], ['a lone surrogate', '\ud800'], ['a function', () => 1],
    ['an undefined array entry', [undefined]], ['a symbol', Symbol('x')],
  ])('refuses %s, which JSON cannot hold without loss', async (_name, value) => {
    const input = { ...INPUT, environment: { ...INPUT.environment, extra: value } } as unknown as PolicyInput;
    const error = await caught(decisionInputDigest(input, backend));
    expect(ArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^input\.environment\.extra/);
  });

  test('refuses a cyclic input (depth limit) without overflowing the stack', async () => {
    const cyclic: Record<string, unknown> = { action: 'open' };
    cyclic.self = cyclic;
    const error = await caught(decisionInputDigest(cyclic as unknown as PolicyInput, backend));
    expect(ArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/deeper than 32/);
  });
});

describe('minimalDecisionInput', () => {
  test('keeps exactly the whitelist: no zones, organisation, other attributes, signer, encryption or rewrap', () => {
    expect(minimalDecisionInput(INPUT)).toEqual({
      action: 'open',
      subject: { id: 'analyst-7', roles: ['analyst', 'planner'], purpose: 'traffic-planning' },
      resource: {
        issuer: 'footfall-counter-17', stream: 'footfall/market-square', id: '00112233445566778899aabbccddeeff', sequence: '42',
        attributes: { classification: 'personal', zone: 'market-square' },
      },
      environment: { time: NOW, emergency: { declared: true, incident: 'INC-2026-001' } },
    });
    expect(Object.isFrozen(minimalDecisionInput(INPUT).subject.roles)).toBe(true);
  });

  test('zone, emergency and incident are optional', () => {
    const input = {
      ...INPUT,
      resource: { ...INPUT.resource, attributes: { classification: 'public' } },
      environment: { time: NOW },
    };
    const minimal = minimalDecisionInput(input);
    expect(minimal.resource.attributes).toEqual({ classification: 'public' });
    expect(minimal.environment).toEqual({ time: NOW });
    expect(minimalDecisionInput({ ...INPUT, environment: { time: NOW, emergency: { declared: false } } }).environment)
      .toEqual({ time: NOW, emergency: { declared: false } });
  });

  const WHITELIST = new Set([
    'action', 'subject', 'subject.id', 'subject.roles', 'subject.purpose', 'resource', 'resource.issuer', 'resource.stream',
    'resource.id', 'resource.sequence', 'resource.attributes', 'resource.attributes.classification', 'resource.attributes.zone',
    'environment', 'environment.time', 'environment.emergency', 'environment.emergency.declared', 'environment.emergency.incident',
  ]);
  function paths(value: unknown, prefix = ''): string[] {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
    return Object.keys(value).flatMap((key) => {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      return [path, ...paths((value as Record<string, unknown>)[key], path)];
    });
  }
  const junk = fc.dictionary(textArb, jsonArb, { maxKeys: 4 });
  const withJunk = <T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    fc.tuple(junk, arb).map(([extra, real]) => {
      const merged: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(extra)) Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
      for (const [key, value] of Object.entries(real)) Object.defineProperty(merged, key, { value, enumerable: true, writable: true, configurable: true });
      return merged as T;
    });
  const inputWithJunk = withJunk(fc.record({
    action: fc.constantFrom('open' as const, 'verify' as const, 'rewrap' as const),
    subject: withJunk(fc.record({ id: textArb, roles: fc.array(textArb, { maxLength: 3 }), purpose: textArb })),
    resource: withJunk(fc.record({
      issuer: textArb, stream: textArb, id: textArb, sequence: textArb, issuedAt: fc.nat(),
      signer: fc.record({ kid: hexArb(8), alg: fc.constantFrom(-7, -8) }),
      encryption: fc.constantFrom('encrypt0' as const, 'encrypt' as const),
      attributes: withJunk(fc.record({ classification: textArb, zone: textArb }, { requiredKeys: ['classification'] })),
    })),
    environment: withJunk(fc.record({
      time: timeArb,
      emergency: withJunk(fc.record({ declared: fc.boolean(), incident: textArb }, { requiredKeys: ['declared'] })),
    }, { requiredKeys: ['time'] })),
  }));

  test('property: never holds a field outside the whitelist, and keeps the whitelisted values', () => {
    fc.assert(fc.property(inputWithJunk, (input) => {
      const minimal = minimalDecisionInput(input as unknown as PolicyInput);
      for (const path of paths(minimal)) expect(WHITELIST.has(path), path).toBe(true);
      expect(minimal.subject.id).toBe(input.subject.id);
      expect(minimal.subject.roles).toEqual(input.subject.roles);
      expect(minimal.resource.attributes.classification).toBe(input.resource.attributes.classification);
      expect(minimal.resource.attributes.zone).toBe(input.resource.attributes.zone);
      expect(minimal.environment.emergency?.incident).toBe(input.environment.emergency?.incident);
      /* What it keeps is a valid record input: a record around it encodes. */
      expect(() => encodeDecisionRecord({
        id: '00'.repeat(16), time: 0, inputDigest: '00'.repeat(32), input: minimal, decision: DECISION, bundle: BUNDLE, keyIds: [], cached: false,
      })).not.toThrow();
    }), { numRuns: 300 });
  });

  test.each([
    ['no classification', { ...INPUT, resource: { ...INPUT.resource, attributes: { zone: 'x' } } }],
    ['a zone that is not text', { ...INPUT, resource: { ...INPUT.resource, attributes: { classification: 'public', zone: 3 } } }],
    ['an unknown action', { ...INPUT, action: 'delete' }],
    ['roles that are not a list', { ...INPUT, subject: { ...INPUT.subject, roles: 'analyst' } }],
    ['a negative time', { ...INPUT, environment: { time: -1 } }],
    ['text over 1024 characters', { ...INPUT, subject: { ...INPUT.subject, purpose: 'x'.repeat(1025) } }],
    ['more than 256 roles', { ...INPUT, subject: { ...INPUT.subject, roles: Array.from({ length: 257 }, () => 'r') } }],
  ])('refuses an input with %s', (_name, input) => {
    expect(() => minimalDecisionInput(input as unknown as PolicyInput)).toThrow(ArgumentError);
  });
});

describe('records', () => {
  test('createDecisionRecord fills id, time, digest, minimal input, decision copy, bundle and key ids', async () => {
    const kid = new Uint8Array([0xab, 0xcd]);
    const made = await createDecisionRecord(INPUT, { ...DECISION, extra: 'dropped' } as PolicyDecision, {
      backend, bundle: { revision: 'r1', digest: 'AB'.repeat(32) }, keyIds: [kid, 'EF01'], cached: true, time: NOW + 0.25,
    });
    expect(made.id).toMatch(/^[0-9a-f]{32}$/);
    expect(made.time).toBe(NOW + 0.25);
    expect(made.inputDigest).toBe(await decisionInputDigest(INPUT, backend));
    expect(made.input).toEqual(minimalDecisionInput(INPUT));
    expect(made.decision).toEqual(DECISION);
    expect(made.bundle).toEqual({ revision: 'r1', digest: 'ab'.repeat(32) });
    expect(made.keyIds).toEqual(['abcd', 'ef01']);
    expect(made.cached).toBe(true);
    expect('previous' in made).toBe(false);
    expect(Object.isFrozen(made) && Object.isFrozen(made.decision.obligations[1])).toBe(true);
    expect(Object.keys(made)).toEqual(['id', 'time', 'inputDigest', 'input', 'decision', 'bundle', 'keyIds', 'cached']);
    expect((await record()).id).not.toBe((await record()).id);
    const now = Date.now() / 1000;
    const defaulted = await createDecisionRecord(INPUT, DECISION, { backend, bundle: BUNDLE });
    expect(Math.abs(defaulted.time - now)).toBeLessThan(5);
    expect(defaulted.cached).toBe(false);
    expect(defaulted.keyIds).toEqual([]);
  });

  test('never holds payloads, keys or fields outside the documented ones', async () => {
    const json = JSON.stringify(await record());
    for (const secret of ['zones', 'organisation', 'signer', 'encryption', 'rewrap', 'owner', 'retention', 'issuedAt', 'contractor']) {
      expect(json).not.toContain(secret);
    }
  });

  test('encode/decode and JSON round trips; the encoding does not depend on key order', async () => {
    const original = await record();
    const bytes = encodeDecisionRecord(original);
    expect(decodeDecisionRecord(bytes)).toEqual(original);
    expect(parseDecisionRecord(JSON.parse(JSON.stringify(original)))).toEqual(original);
    expect(encodeDecisionRecord(reversedKeys(original) as DecisionRecord)).toEqual(bytes);
    /* Plain data: a JSON round trip of the decoded record is the record. */
    expect(JSON.parse(JSON.stringify(decodeDecisionRecord(bytes)))).toEqual(JSON.parse(JSON.stringify(original)));
  });

  test('property: any valid record round-trips through CBOR and JSON with identical bytes', () => {
    fc.assert(fc.property(recordArb, (r) => {
      const bytes = encodeDecisionRecord(r);
      const decoded = decodeDecisionRecord(bytes);
      expect(decoded).toEqual(r);
      expect(encodeDecisionRecord(decoded)).toEqual(bytes);
      const parsed = parseDecisionRecord(JSON.parse(JSON.stringify(r)));
      expect(encodeDecisionRecord(parsed)).toEqual(bytes);
      expect(JSON.stringify(parsed)).toBe(JSON.stringify(decoded));
    }), { numRuns: 300 });
  });

  const mutations: [string, (r: Record<string, unknown>) => void][] = [
    ['an unknown top-level field', (r) => { r.extra = 1; }],
    ['an unknown subject field', (r) => { (r.input as { subject: Record<string, unknown> }).subject.zones = ['x']; }],
    ['an unknown resource field', (r) => { (r.input as { resource: Record<string, unknown> }).resource.signer = 'x'; }],
    ['an unknown attribute', (r) => { (r.input as { resource: { attributes: Record<string, unknown> } }).resource.attributes.owner = 'x'; }],
    ['an unknown environment field', (r) => { (r.input as { environment: Record<string, unknown> }).environment.x = 1; }],
    ['an unknown emergency field', (r) => { (r.input as { environment: { emergency: Record<string, unknown> } }).environment.emergency.x = 1; }],
    ['an unknown decision field', (r) => { (r.decision as Record<string, unknown>).x = 1; }],
    ['a field on a log obligation', (r) => { ((r.decision as { obligations: Record<string, unknown>[] }).obligations[0]!).to = 'x'; }],
    ['an unknown obligation type', (r) => { ((r.decision as { obligations: Record<string, unknown>[] }).obligations[0]!).type = 'erase'; }],
    ['an unknown bundle field', (r) => { (r.bundle as Record<string, unknown>).x = 1; }],
    ['a missing id', (r) => { delete r.id; }],
    ['an id of 15 bytes', (r) => { r.id = '00'.repeat(15); }],
    ['an uppercase digest', (r) => { r.inputDigest = 'AB'.repeat(32); }],
    ['a previous that is not 32 bytes', (r) => { r.previous = 'ab'; }],
    ['an odd-length key id', (r) => { r.keyIds = ['abc']; }],
    ['a negative time', (r) => { r.time = -1; }],
    ['a time of Infinity', (r) => { r.time = Infinity; }],
    ['cached that is not a boolean', (r) => { r.cached = 'no'; }],
    ['an empty bundle revision', (r) => { (r.bundle as Record<string, unknown>).revision = ''; }],
    ['a reason that is not text', (r) => { (r.decision as { reasons: unknown[] }).reasons.push(1); }],
    ['a "__proto__" field', (r) => { Object.defineProperty(r, '__proto__', { value: {}, enumerable: true }); }],
  ];

  test.each(mutations)('refuses a record with %s: parse and decode say ERR_DECISION_LOG_INVALID, encode ERR_INVALID_ARGUMENT', async (_name, mutate) => {
    const r = JSON.parse(JSON.stringify(await record())) as Record<string, unknown>;
    mutate(r);
    await refused(() => parseDecisionRecord(r));
    expect(() => encodeDecisionRecord(r as unknown as DecisionRecord)).toThrow(ArgumentError);
    /* The same record as (otherwise canonical) CBOR, written without Ward's checks. */
    let bytes: Uint8Array;
    try {
      bytes = encodeCbor(toCbor(r));
    } catch {
      return; // not even CBOR (Infinity is; a function would not be)
    }
    await refused(() => decodeDecisionRecord(bytes));
  });

  test('decoding refuses non-canonical CBOR, integral floats, bytes and tags, and oversized input', async () => {
    const r = await record();
    const bytes = encodeDecisionRecord(r);
    /* A map head with a non-shortest length: well-formed, not deterministic (RFC 8949 §4.2.1). */
    const longHead = new Uint8Array([0xb8, bytes[0]! & 0x1f, ...bytes.subarray(1)]);
    expect(decodeCbor(longHead)).toBeInstanceOf(Map);
    await refused(() => decodeDecisionRecord(longHead));
    const map = decodeCbor(bytes) as Map<CborValue, CborValue>;
    const swap = (key: string, value: CborValue): Uint8Array => encodeCbor(new Map([...map, [key, value]]));
    await refused(() => decodeDecisionRecord(swap('time', new CborTag(1, NOW))));
    await refused(() => decodeDecisionRecord(swap('id', new Uint8Array(16))));
    await refused(() => decodeDecisionRecord(swap('time', 2n ** 60n)));
    /* An integral float where an integer belongs: f9 (half) 0x3c00 is 1.0. */
    const withFloat = swap('time', 7);
    const at = withFloat.indexOf(0x07, withFloat.indexOf(0x74) + 4);
    await refused(() => decodeDecisionRecord(new Uint8Array([...withFloat.subarray(0, at), 0xf9, 0x47, 0x00, ...withFloat.subarray(at + 1)])));
    await refused(() => decodeDecisionRecord(new Uint8Array(64 * 1024 + 1)));
    await refused(() => decodeDecisionRecord(encodeCbor(new Map<CborValue, CborValue>([[1, 2]]))));
  });

  test('a record that encodes to more than 64 KiB is refused', async () => {
    const r = await record();
    const big = { ...r, decision: { ...r.decision, reasons: Array.from({ length: 100 }, () => 'x'.repeat(1000)) } };
    expect(() => encodeDecisionRecord(big)).toThrow(/above 65536/);
  });
});

function toCbor(value: unknown): CborValue {
  if (Array.isArray(value)) return value.map(toCbor);
  if (typeof value === 'object' && value !== null) {
    return new Map(Object.keys(value).map((k) => [k, toCbor((value as Record<string, unknown>)[k])] as [CborValue, CborValue]));
  }
  return value as CborValue;
}

describe('MemoryDecisionLog', () => {
  test('keeps the most recent records in a bounded ring, oldest first, and counts the dropped', async () => {
    const log = new MemoryDecisionLog({ capacity: 3 });
    const written = await records(5);
    for (const r of written) log.write(r);
    expect(log.records()).toEqual(written.slice(2));
    expect(log.size).toBe(3);
    expect(log.dropped).toBe(2);
    expect(log.capacity).toBe(3);
    log.write(written[0]!);
    expect(log.records().map((r) => r.id)).toEqual([written[3]!.id, written[4]!.id, written[0]!.id]);
    expect(Object.isFrozen(log.records()[0])).toBe(true);
  });

  test('defaults to 10,000 records and refuses a bad capacity or a malformed record', async () => {
    expect(new MemoryDecisionLog().capacity).toBe(10_000);
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new MemoryDecisionLog({ capacity })).toThrow(ArgumentError);
    const log = new MemoryDecisionLog();
    const bad = { ...(await record()), extra: 1 } as DecisionRecord;
    expect(() => log.write(bad)).toThrow(ArgumentError);
    expect(log.size).toBe(0);
  });
});

describe('signed records', () => {
  test('round trip through a trust store with the decision-log role; exact headers', async () => {
    const r = await record({ time: NOW + 0.75 });
    const signed = await signDecisionRecord(r, SIGN);
    expect(await verifyDecisionRecord(signed, { backend, trust: keySource })).toEqual(r);
    const [protectedBytes, unprotected, payload] = (decodeCbor(signed) as CborTag).value as CborValue[];
    const header = decodeProtectedHeader(protectedBytes as Uint8Array);
    expect([...header.keys()].sort()).toEqual([HeaderLabel.alg, HeaderLabel.contentType, HeaderLabel.kid, HeaderLabel.cwtClaims].sort());
    expect(header.get(HeaderLabel.contentType)).toBe(DECISION_RECORD_CONTENT_TYPE);
    expect(header.get(HeaderLabel.kid)).toEqual(logKid);
    expect(header.get(HeaderLabel.cwtClaims)).toEqual(new Map<CborValue, CborValue>([[1, ISSUER], [6, NOW]]));
    expect((unprotected as Map<CborValue, CborValue>).size).toBe(0);
    expect(payload).toEqual(encodeDecisionRecord(r));
    expect(inspectSignedDecisionRecord(signed)).toEqual({ record: r, kid: toHex(logKid), issuer: ISSUER, issuedAt: NOW });
    /* An explicit key works as well as a key source. */
    expect(await verifyDecisionRecord(signed, { backend, trust: logPublic })).toEqual(r);
  });

  test('a key trusted only as a producer cannot sign decision records (role confusion)', async () => {
    const signed = await signDecisionRecord(await record(), { backend, signer: { key: otherKey, kid: producerOnly }, issuer: ISSUER });
    const error = await refused(() => verifyDecisionRecord(signed, { backend, trust: keySource }));
    expect(errorChain(error).some((e) => TrustError.isInstance(e) && e.code === 'ERR_TRUST_ROLE')).toBe(true);
  });

  test('a record claiming another issuer than its key is trusted as is refused (impersonation)', async () => {
    const signed = await signDecisionRecord(await record(), { ...SIGN, issuer: 'another-gateway' });
    const error = await refused(() => verifyDecisionRecord(signed, { backend, trust: keySource }));
    expect(errorChain(error).some((e) => TrustError.isInstance(e) && e.code === 'ERR_TRUST_ISSUER_MISMATCH')).toBe(true);
  });

  const fieldChanges: [string, (r: DecisionRecord) => DecisionRecord][] = [
    ['id', (r) => ({ ...r, id: 'ff'.repeat(16) })],
    ['time', (r) => ({ ...r, time: r.time + 1 })],
    ['inputDigest', (r) => ({ ...r, inputDigest: '00'.repeat(32) })],
    ['action', (r) => ({ ...r, input: { ...r.input, action: 'rewrap' } })],
    ['subject', (r) => ({ ...r, input: { ...r.input, subject: { ...r.input.subject, id: 'someone-else' } } })],
    ['purpose', (r) => ({ ...r, input: { ...r.input, subject: { ...r.input.subject, purpose: 'marketing' } } })],
    ['resource', (r) => ({ ...r, input: { ...r.input, resource: { ...r.input.resource, sequence: '43' } } })],
    ['classification', (r) => ({ ...r, input: { ...r.input, resource: { ...r.input.resource, attributes: { classification: 'public' } } } })],
    ['environment', (r) => ({ ...r, input: { ...r.input, environment: { time: r.input.environment.time } } })],
    ['allow', (r) => ({ ...r, decision: { ...r.decision, allow: !r.decision.allow } })],
    ['reasons', (r) => ({ ...r, decision: { ...r.decision, reasons: [] } })],
    ['obligations', (r) => ({ ...r, decision: { ...r.decision, obligations: [] } })],
    ['bundle', (r) => ({ ...r, bundle: { ...r.bundle, revision: 'older' } })],
    ['keyIds', (r) => ({ ...r, keyIds: [] })],
    ['cached', (r) => ({ ...r, cached: !r.cached })],
    ['previous', (r) => ({ ...r, previous: 'ee'.repeat(32) })],
  ];

  test.each(fieldChanges)('changing %s under the original signature is detected', async (_name, change) => {
    const r = await record();
    const signed = await signDecisionRecord(r, SIGN);
    const tagged = decodeCbor(signed) as CborTag;
    const fields = [...(tagged.value as CborValue[])];
    fields[2] = encodeDecisionRecord(change(r));
    const forged = encodeCbor(new CborTag(18, fields));
    const error = await refused(() => verifyDecisionRecord(forged, { backend, trust: keySource }));
    expect(errorChain(error).some((e) => VerificationError.isInstance(e))).toBe(true);
  });

  test('property: any bit flip of the COSE bytes makes verification fail with ERR_DECISION_LOG_INVALID', async () => {
    const signed = await signDecisionRecord(await record(), SIGN);
    await fc.assert(fc.asyncProperty(fc.nat({ max: signed.length * 8 - 1 }), async (bit) => {
      const error = await caught(verifyDecisionRecord(flipBit(signed, bit), { backend, trust: keySource }));
      expect(DecisionLogError.isInstance(error)).toBe(true);
      expect(codeOf(error)).toBe('ERR_DECISION_LOG_INVALID');
    }), { numRuns: 400 });
  });

  async function craft(protectedHeader: HeaderMap, unprotectedHeader?: HeaderMap): Promise<Uint8Array> {
    return createSign1(encodeDecisionRecord(await record()), {
      backend, key: logKey, kid: logKid, protectedHeader, ...(unprotectedHeader === undefined ? {} : { unprotectedHeader }),
    });
  }
  const claims = new Map<CborValue, CborValue>([[1, ISSUER], [6, NOW]]);

  test.each([
    ['another content type (cross-protocol confusion)', () => craft(new Map<number | string, CborValue>([[3, 'application/ward-trust-store+cbor'], [15, claims]]))],
    ['no content type', () => craft(new Map<number | string, CborValue>([[15, claims]]))],
    ['an extra protected parameter', () => craft(new Map<number | string, CborValue>([[3, DECISION_RECORD_CONTENT_TYPE], [15, claims], [-70000, 1]]))],
    ['an unprotected parameter', () => craft(new Map<number | string, CborValue>([[3, DECISION_RECORD_CONTENT_TYPE], [15, claims]]), new Map([[-70000, 1]]))],
    ['an extra CWT claim', () => craft(new Map<number | string, CborValue>([[3, DECISION_RECORD_CONTENT_TYPE], [15, new Map([...claims, [2, 'sub']])]]))],
  ])('a validly signed message with %s is refused', async (_name, make) => {
    const bytes = await make();
    await refused(() => verifyDecisionRecord(bytes, { backend, trust: logPublic }));
    await refused(() => inspectSignedDecisionRecord(bytes));
  });

  test('inspect reads without authenticating; verify does not accept what inspect reads', async () => {
    const r = await record();
    const signed = await signDecisionRecord(r, SIGN);
    const badSignature = flipBit(signed, signed.length * 8 - 1);
    expect(inspectSignedDecisionRecord(badSignature).record).toEqual(r);
    await refused(() => verifyDecisionRecord(badSignature, { backend, trust: keySource }));
    await refused(() => inspectSignedDecisionRecord(new Uint8Array(70 * 1024)));
  });

  test('signing refuses a malformed record, a bad issuer, kid or issuedAt', async () => {
    const r = await record();
    await expect(signDecisionRecord({ ...r, extra: 1 } as DecisionRecord, SIGN)).rejects.toThrow(ArgumentError);
    await expect(signDecisionRecord(r, { ...SIGN, issuer: '' })).rejects.toThrow(ArgumentError);
    await expect(signDecisionRecord(r, { ...SIGN, signer: { key: logKey, kid: new Uint8Array(0) } })).rejects.toThrow(ArgumentError);
    await expect(signDecisionRecord(r, { ...SIGN, issuedAt: -1 })).rejects.toThrow(ArgumentError);
  });
});

describe('hash chains', () => {
  async function signedChain(n: number): Promise<{ entries: Uint8Array[]; chain: DecisionChain; records: DecisionRecord[] }> {
    const chain = new DecisionChain({ backend, sign: SIGN });
    const entries: Uint8Array[] = [];
    const linked: DecisionRecord[] = [];
    for (const r of await records(n)) {
      const { signed, record: l } = await chain.append(r);
      entries.push(signed!);
      linked.push(l);
    }
    return { entries, chain, records: linked };
  }

  test('a chain links each record to the digest of the one before it', async () => {
    const chain = new DecisionChain({ backend });
    const [a, b, c] = await records(3);
    const first = await chain.append(a!);
    const second = await chain.append(b!);
    const third = await chain.append({ ...c!, previous: '00'.repeat(32) });
    expect(first.record.previous).toBeUndefined();
    expect(first.signed).toBeUndefined();
    expect(first.digest).toBe(toHex(await backend.sha256(encodeDecisionRecord(first.record))));
    expect(second.record.previous).toBe(first.digest);
    expect(third.record.previous).toBe(second.digest);
    expect(chain.head).toBe(third.digest);
    const verified = await verifyDecisionChain([first.record, second.record, third.record], { backend });
    expect(verified).toMatchObject({ count: 3, head: third.digest, authenticated: false, chained: true });
  });

  test('a signed chain verifies, authenticated, and links the signed bytes', async () => {
    const { entries, chain, records: linked } = await signedChain(4);
    const verified = await verifyDecisionChain(entries, { backend, trust: keySource });
    expect(verified).toMatchObject({ count: 4, authenticated: true, chained: true, head: chain.head });
    expect(verified.records).toEqual(linked);
    expect(linked[1]!.previous).toBe(toHex(await backend.sha256(entries[0]!)));
    expect(await decisionRecordDigest(entries[3]!, backend)).toBe(chain.head);
  });

  test.each([
    ['deleting a record in the middle', (e: Uint8Array[]) => [e[0]!, e[2]!, e[3]!, e[4]!], 1, /does not follow/],
    ['deleting the first record', (e: Uint8Array[]) => e.slice(1), 0, /earlier records are missing/],
    ['swapping two records', (e: Uint8Array[]) => [e[0]!, e[2]!, e[1]!, e[3]!, e[4]!], 1, /does not follow/],
    ['repeating a record', (e: Uint8Array[]) => [e[0]!, e[1]!, e[1]!, e[2]!], 2, /does not follow/],
  ])('%s is detected at the first entry it breaks', async (_name, edit, index, reason) => {
    const { entries } = await signedChain(5);
    const error = await refused(() => verifyDecisionChain(edit(entries), { backend, trust: keySource }));
    expect(error.message).toMatch(new RegExp(`^entry ${index}: `));
    expect(error.message).toMatch(reason);
  });

  test('inserting a record, even one validly signed in another chain, is detected', async () => {
    const { entries } = await signedChain(3);
    const other = await signedChain(2);
    const error = await refused(() => verifyDecisionChain([entries[0]!, other.entries[1]!, entries[1]!, entries[2]!], { backend, trust: keySource }));
    expect(error.message).toMatch(/^entry 1: .*does not follow/);
    /* An unchained record inserted into a chained log. */
    const loose = await signDecisionRecord(await record(), SIGN);
    const looseError = await refused(() => verifyDecisionChain([entries[0]!, entries[1]!, loose, entries[2]!], { backend, trust: keySource }));
    expect(looseError.message).toMatch(/^entry 2: .*no link/);
  });

  test('the same record id twice is refused (replay), even when re-linked', async () => {
    const chain = new DecisionChain({ backend });
    const [a, b] = await records(2);
    const entries = [(await chain.append(a!)).record, (await chain.append(b!)).record, (await chain.append(a!)).record];
    const error = await refused(() => verifyDecisionChain(entries, { backend }));
    expect(error.message).toMatch(/^entry 2: record id [0-9a-f]{32} appears twice/);
  });

  test('in an unsigned chain, an edited record breaks the next link', async () => {
    const chain = new DecisionChain({ backend });
    const linked: DecisionRecord[] = [];
    for (const r of await records(3)) linked.push((await chain.append(r)).record);
    linked[1] = { ...linked[1]!, decision: { ...linked[1]!.decision, allow: false } };
    const error = await refused(() => verifyDecisionChain(linked, { backend }));
    expect(error.message).toMatch(/^entry 2: .*does not follow/);
  });

  test('cutting the tail is only visible against a head kept elsewhere', async () => {
    const { entries, chain } = await signedChain(4);
    const cut = await verifyDecisionChain(entries.slice(0, 3), { backend, trust: keySource });
    expect(cut.count).toBe(3);
    expect(cut.head).not.toBe(chain.head);
  });

  test('a later segment verifies against the head of the one before it', async () => {
    const { entries } = await signedChain(5);
    const first = await verifyDecisionChain(entries.slice(0, 2), { backend, trust: keySource });
    const second = await verifyDecisionChain(entries.slice(2), { backend, trust: keySource, previous: first.head! });
    expect(second.count).toBe(3);
    const wrong = await refused(() => verifyDecisionChain(entries.slice(3), { backend, trust: keySource, previous: first.head! }));
    expect(wrong.message).toMatch(/^entry 0: the first record does not continue the given previous head/);
    /* A chain that continues from a head given to the DecisionChain. */
    const resumed = new DecisionChain({ backend, sign: SIGN, head: second.head! });
    const next = await resumed.append(await record({ subject: 'next' }));
    expect(next.record.previous).toBe(second.head);
  });

  test('signed and unsigned entries never mix; trust requires signatures; no trust means not authenticated', async () => {
    const { entries, records: linked } = await signedChain(3);
    const mixed = await refused(() => verifyDecisionChain([entries[0]!, linked[1]!, entries[2]!], { backend, trust: keySource, requireSigned: false }));
    expect(mixed.message).toMatch(/^entry 1: the record is not signed but the records before it are/);
    const stripped = await refused(() => verifyDecisionChain(linked, { backend, trust: keySource }));
    expect(stripped.message).toMatch(/^entry 0: the record is not signed, and signatures are required/);
    const structural = await verifyDecisionChain(entries, { backend });
    expect(structural).toMatchObject({ count: 3, authenticated: false, chained: true });
    expect(await verifyDecisionChain([], { backend, trust: keySource })).toMatchObject({ count: 0, authenticated: false, chained: false });
    expect(() => new DecisionChainVerifier({ backend, requireSigned: true })).toThrow(ArgumentError);
  });

  test('an unchained log verifies as unchained; a chained record after unchained ones is refused', async () => {
    const plain = await records(3);
    expect(await verifyDecisionChain(plain, { backend })).toMatchObject({ count: 3, chained: false });
    const head = await decisionRecordDigest(plain[1]!, backend);
    const error = await refused(() => verifyDecisionChain([...plain.slice(0, 2), { ...plain[2]!, previous: head }], { backend }));
    expect(error.message).toMatch(/^entry 2: the record is chained but the records before it are not/);
  });

  test('concurrent appends are serialised in call order', async () => {
    const chain = new DecisionChain({ backend, sign: SIGN });
    const input = await records(20);
    const appended = await Promise.all(input.map((r) => chain.append(r)));
    expect(appended.map((a) => a.record.id)).toEqual(input.map((r) => r.id));
    const verified = await verifyDecisionChain(appended.map((a) => a.signed!), { backend, trust: keySource });
    expect(verified.count).toBe(20);
    expect(verified.head).toBe(chain.head);
  });

  test('a failed append leaves the head where it was', async () => {
    const chain = new DecisionChain({ backend });
    await chain.append((await records(1))[0]!);
    const head = chain.head;
    await expect(chain.append({ extra: 1 } as unknown as DecisionRecord)).rejects.toThrow(ArgumentError);
    expect(chain.head).toBe(head);
  });

  test('after a refused entry the verifier refuses everything', async () => {
    const { entries } = await signedChain(3);
    const verifier = new DecisionChainVerifier({ backend, trust: keySource });
    await verifier.add(entries[0]!);
    await refused(() => verifier.add(entries[2]!));
    const after = await refused(() => verifier.add(entries[1]!));
    expect(after.message).toMatch(/chain is broken/);
    expect(verifier.result().count).toBe(1);
  });
});
