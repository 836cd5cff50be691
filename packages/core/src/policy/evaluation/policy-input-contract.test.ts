/*
 * The policy input contract without silent changes (issue 11, item 2): what the caller sends is
 * what the policy sees, or the call is refused with ArgumentError, the same on the cached and
 * the uncached path. Arrays where objects belong, null and wrong types, lone surrogates and
 * unknown fields are refused; a signed attribute named "__proto__" reaches the policy; the
 * caller's own facts travel in input.context, within stated limits, and reach the decision log
 * only through an explicit allow-list.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { openEnvelope } from '../../envelope/open.js';
import { sealEnvelope } from '../../envelope/seal.js';
import { verifyEnvelope } from '../../envelope/verify.js';
import { ArgumentError } from '../../errors.js';
import { Keyset } from '../../keys/keyset.js';
import { MemoryDecisionLog, createDecisionRecord, minimalDecisionInput, parseDecisionRecord } from '../audit/index.js';
import type { PolicyInput } from '../decision.js';
import { PolicyEngine, validateDecision } from './policy-engine.js';
import { POLICY_CONTEXT_LIMITS, canonicalPolicyInput, policyResourceOf } from './policy-input.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const fixture = (name: string) => new URL(`./engine-fixtures/${name}`, import.meta.url);
const WASM = new Uint8Array(readFileSync(fixture('policy.wasm')));
const DATA = JSON.parse(readFileSync(fixture('data.json'), 'utf8')) as unknown;
/* Echoes what the wasm saw of a "__proto__" attribute and of input.context (contract.rego). */
const CONTRACT = new Uint8Array(readFileSync(fixture('contract.wasm')));

type Loose = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function input(): Loose {
  return {
    action: 'open',
    subject: { id: 'ana', roles: ['analyst'], purpose: 'planning' },
    resource: {
      issuer: 'counter-17', stream: 'footfall/market', issuedAt: 1_900_000_000, sequence: '41', id: '00ff',
      attributes: { classification: 'internal', purpose: ['planning', 'research'], zone: 'market' },
      signer: { kid: 'aa', alg: -8 }, encryption: 'encrypt',
      rewrap: { issuer: 'gateway', rewrappedAt: 1_900_000_050 },
    },
    environment: { time: 1_900_000_100, emergency: { declared: false, incident: 'none' } },
    context: { ticket: 'T-1' },
  };
}

/* Each case edits a fresh valid input; every one must be ArgumentError on both paths. */
const REFUSED: [string, (i: Loose) => void][] = [
  ['an array as resource.attributes (it would become an object keyed by index)', (i) => { i.resource.attributes = ['internal']; }],
  ['an empty array as resource.attributes', (i) => { i.resource.attributes = []; }],
  ['an array as subject', (i) => { i.subject = Object.assign(['x'], i.subject); }],
  ['an array as resource', (i) => { i.resource = Object.assign([], i.resource); }],
  ['an array as environment', (i) => { i.environment = Object.assign([], i.environment); }],
  ['an array as resource.signer', (i) => { i.resource.signer = Object.assign([], i.resource.signer); }],
  ['an array as resource.rewrap', (i) => { i.resource.rewrap = Object.assign([], i.resource.rewrap); }],
  ['an array as environment.emergency', (i) => { i.environment.emergency = Object.assign([], i.environment.emergency); }],
  ['an array as context', (i) => { i.context = ['T-1']; }],
  ['a Map as resource.attributes', (i) => { i.resource.attributes = new Map([['classification', 'internal']]); }],
  ['null resource.rewrap', (i) => { i.resource.rewrap = null; }],
  ['null environment.emergency', (i) => { i.environment.emergency = null; }],
  ['null subject.roles', (i) => { i.subject.roles = null; }],
  ['null subject.zones', (i) => { i.subject.zones = null; }],
  ['null subject.organisation', (i) => { i.subject.organisation = null; }],
  ['null resource.signer', (i) => { i.resource.signer = null; }],
  ['null context', (i) => { i.context = null; }],
  ['a number as subject.id', (i) => { i.subject.id = 7; }],
  ['a string as environment.time', (i) => { i.environment.time = '1900000100'; }],
  ['a string as emergency.declared', (i) => { i.environment.emergency.declared = 'yes'; }],
  ['a hole in subject.roles', (i) => { i.subject.roles = [, 'analyst']; }],
  ['a hole in an attribute list', (i) => { i.resource.attributes.purpose = [, 'planning']; }],
  ['a lone surrogate in subject.id', (i) => { i.subject.id = 'a\ud800'; }],
  ['a lone surrogate in subject.roles', (i) => { i.subject.roles = ['\udc00']; }],
  ['a lone surrogate in an attribute value', (i) => { i.resource.attributes.zone = 'm\ud800'; }],
  ['a lone surrogate in an attribute name', (i) => { i.resource.attributes['z\ud800'] = 'x'; }],
  ['a lone surrogate in rewrap.issuer', (i) => { i.resource.rewrap.issuer = '\ud800'; }],
  ['a lone surrogate in emergency.incident', (i) => { i.environment.emergency.incident = '\udfff'; }],
  ['a lone surrogate in a context string', (i) => { i.context.ticket = 'T\ud800'; }],
  ['a lone surrogate in a context key', (i) => { i.context['k\ud800'] = 1; }],
  ['a sequence of 2^64 (20 digits, beyond a CBOR uint)', (i) => { i.resource.sequence = '18446744073709551616'; }],
  ['an unknown top-level field', (i) => { i.extra = 1; }],
  ['an unknown top-level field holding undefined', (i) => { i.extra = undefined; }],
  ['an unknown subject field', (i) => { i.subject.admin = true; }],
  ['an unknown resource field', (i) => { i.resource.payload = 'secret'; }],
  ['an unknown signer field', (i) => { i.resource.signer.x5c = 'cert'; }],
  ['an unknown rewrap field', (i) => { i.resource.rewrap.by = 'x'; }],
  ['an unknown environment field', (i) => { i.environment.ip = '10.0.0.1'; }],
  ['an unknown emergency field', (i) => { i.environment.emergency.level = 3; }],
  ['an undefined attribute value', (i) => { i.resource.attributes.owner = undefined; }],
  ['NaN in context', (i) => { i.context.n = Number.NaN; }],
  ['Infinity in context', (i) => { i.context.n = Infinity; }],
  ['undefined in context', (i) => { i.context.n = undefined; }],
  ['a function in context', (i) => { i.context.n = () => 1; }],
  ['a bigint in context', (i) => { i.context.n = 1n; }],
  ['a Date in context (it would serialise as a string)', (i) => { i.context.when = new Date(0); }],
  ['an empty context key', (i) => { i.context[''] = 1; }],
];

const engines = async (wasm = WASM, data: unknown = DATA, entrypoint?: string) => ({
  cached: await PolicyEngine.load({ wasm, data, revision: '1' }, { backend, ...(entrypoint === undefined ? {} : { entrypoint }) }),
  uncached: await PolicyEngine.load({ wasm, data, revision: '1' }, { backend, cacheSize: 0, ...(entrypoint === undefined ? {} : { entrypoint }) }),
});

describe('the input contract refuses what it would otherwise change', () => {
  test('control: the valid input is decided on both paths', async () => {
    const { cached, uncached } = await engines();
    expect(cached.decide(input() as PolicyInput).decision.allow).toBe(true);
    expect(cached.decide(input() as PolicyInput).cached).toBe(true);
    expect(uncached.decide(input() as PolicyInput).decision.allow).toBe(true);
  });

  test.each(REFUSED)('refuses %s (ArgumentError), on the uncached and the cached path', async (_, edit) => {
    const { cached, uncached } = await engines();
    /* The cached engine has decided the valid input: an edited one sharing its bucket must not hit. */
    cached.decide(input() as PolicyInput);
    const bad = input();
    edit(bad);
    expect(() => uncached.decide(bad as PolicyInput)).toThrow(ArgumentError);
    expect(() => cached.decide(bad as PolicyInput)).toThrow(ArgumentError);
    expect(() => canonicalPolicyInput(bad as PolicyInput)).toThrow(ArgumentError);
  });

  test('optional fields holding undefined are absent, as in JSON, on both paths', async () => {
    const { cached, uncached } = await engines();
    const plain = input();
    delete plain.context;
    delete plain.resource.rewrap;
    const sparse = { ...input(), context: undefined, resource: { ...input().resource, rewrap: undefined }, subject: { ...input().subject, zones: undefined } };
    const first = cached.decide(plain as PolicyInput);
    const second = cached.decide(sparse as PolicyInput);
    expect(second.cached).toBe(true);
    expect(second.input).toBe(first.input);
    expect(uncached.decide(sparse as PolicyInput).input).toEqual(first.input);
  });

  test('inherited fields never reach the policy: only own properties are read', async () => {
    const { cached } = await engines();
    const subject = Object.create({ zones: ['everywhere'], organisation: 'polluted' }) as Loose;
    Object.assign(subject, input().subject);
    const decided = cached.decide({ ...input(), subject } as PolicyInput);
    expect(decided.input.subject).toEqual({ id: 'ana', roles: ['analyst'], purpose: 'planning' });
  });
});

describe('the output contract', () => {
  test('reasons may be empty, as policies/README.md states: the decision is kept as the policy gave it', () => {
    expect(validateDecision([{ result: { allow: true, reasons: [], obligations: [] } }])).toEqual({ allow: true, reasons: [], obligations: [] });
    expect(validateDecision([{ result: { allow: false, reasons: [], obligations: [] } }]).allow).toBe(false);
  });
});

describe('a signed attribute named "__proto__" reaches the policy', () => {
  test('through seal → verify → policyResourceOf → decide, as an own property of the JSON the wasm sees', async () => {
    const key = backend.generateKey('Ed25519');
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const envelope = await sealEnvelope(te.encode('{}'), {
      backend, signer: { key, kid: te.encode('counter-17') }, recipients: [await readers.recipient()],
      claims: { issuer: 'counter-17', subject: 'footfall/market', sequence: 1, issuedAt: 1_900_000_000 },
      attributes: { classification: 'internal', extra: JSON.parse('{"__proto__":"signed-value"}') as Record<string, string> },
    });
    const facts = await verifyEnvelope(envelope, { backend, trust: backend.publicKey(key) });
    const resource = policyResourceOf(facts);
    expect(Object.prototype.hasOwnProperty.call(resource.attributes, '__proto__')).toBe(true);
    const { cached, uncached } = await engines(CONTRACT, {}, 'ward/contract/decision');
    const asked = { ...input(), resource, context: undefined } as PolicyInput;
    for (const engine of [cached, cached, uncached]) {
      const { decision, input: seen } = engine.decide(asked);
      expect(decision.reasons).toEqual(['proto', 'signed-value']);
      expect(Object.getPrototypeOf(seen.resource.attributes)).toBe(Object.prototype);
      expect(JSON.stringify(seen.resource.attributes)).toContain('"__proto__":"signed-value"');
    }
  });

  test('an own "__proto__" attribute given directly is carried, never set as the prototype', () => {
    const bad = input();
    bad.resource.attributes = JSON.parse('{"classification":"internal","__proto__":["x"]}') as Loose;
    const { input: seen, json } = canonicalPolicyInput(bad as PolicyInput);
    expect(Object.getPrototypeOf(seen.resource.attributes)).toBe(Object.prototype);
    expect(json).toContain('"__proto__":["x"]');
  });
});

describe('input.context: the caller\'s own facts, validated with limits', () => {
  test('the policy sees the context as given, on both paths; a changed context is a new decision', async () => {
    const { cached, uncached } = await engines(CONTRACT, {}, 'ward/contract/decision');
    const asked = { ...input(), context: { warrant: 'W-17', court: { id: 3, open: true, tags: ['a', null] } } } as PolicyInput;
    /* What the wasm saw, as its json.marshal wrote it (in the wasm's own key order). */
    const seen = (engine: PolicyEngine) => {
      const [tag, json] = engine.decide(asked).decision.reasons;
      return [tag, JSON.parse(json!) as unknown];
    };
    expect(seen(uncached)).toEqual(['context', asked.context]);
    expect(seen(cached)).toEqual(['context', asked.context]);
    expect(cached.decide(asked).cached).toBe(true);
    const changed = { ...asked, context: { warrant: 'W-18', court: { id: 3, open: true, tags: ['a', null] } } } as PolicyInput;
    expect(cached.decide(changed).cached).toBe(false);
    expect(cached.decide(changed).decision.reasons[1]).toContain('W-18');
  });

  const nest = (levels: number): unknown => (levels === 0 ? 1 : { a: nest(levels - 1) });
  const L = POLICY_CONTEXT_LIMITS;
  test.each<[string, unknown, boolean]>([
    [`${L.depth} levels deep`, nest(L.depth), true],
    [`${L.depth + 1} levels deep`, nest(L.depth + 1), false],
    [`${L.members} members`, Object.fromEntries(Array.from({ length: L.members }, (_, i) => [`k${i}`, i])), true],
    [`${L.members + 1} members`, Object.fromEntries(Array.from({ length: L.members + 1 }, (_, i) => [`k${i}`, i])), false],
    [`an array of ${L.items} items`, { a: Array.from({ length: L.items }, () => 0) }, true],
    [`an array of ${L.items + 1} items`, { a: Array.from({ length: L.items + 1 }, () => 0) }, false],
    [`${L.entries} values`, Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`k${i}`, Array.from({ length: L.entries / 4 - 1 }, () => 0)])), true],
    [`${L.entries + 1} values`, Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`k${i}`, Array.from({ length: L.entries / 4 - 1 + (i === 0 ? 1 : 0) }, () => 0)])), false],
    [`a key of ${L.key} characters`, { ['k'.repeat(L.key)]: 1 }, true],
    [`a key of ${L.key + 1} characters`, { ['k'.repeat(L.key + 1)]: 1 }, false],
    [`a string of ${L.text} characters`, { s: 's'.repeat(L.text) }, true],
    [`a string of ${L.text + 1} characters`, { s: 's'.repeat(L.text + 1) }, false],
    [`canonical JSON over ${L.json} characters`, Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 's'.repeat(L.text)])), false],
  ])('context limits: %s', (_, context, accepted) => {
    const asked = { ...input(), context } as PolicyInput;
    if (accepted) expect(canonicalPolicyInput(asked).input.context).toEqual(context);
    else expect(() => canonicalPolicyInput(asked)).toThrow(ArgumentError);
  });

  test('the decision log keeps only the context fields its allow-list names', async () => {
    const asked = { ...input(), context: { warrant: 'W-17', suspect: 'Jane Doe', hops: 2, nested: { a: 1 } } } as PolicyInput;
    const { input: seen } = canonicalPolicyInput(asked);
    const decision = { allow: true, reasons: ['ok'], obligations: [] };
    const bundle = { revision: '1', digest: 'ab' };
    expect((await createDecisionRecord(seen, decision, { backend, bundle })).input.context).toBeUndefined();
    const kept = await createDecisionRecord(seen, decision, { backend, bundle, context: ['warrant', 'hops', 'absent'] });
    expect(kept.input.context).toEqual({ hops: 2, warrant: 'W-17' });
    expect(parseDecisionRecord(JSON.parse(JSON.stringify(kept))).input.context).toEqual({ hops: 2, warrant: 'W-17' });
    expect(minimalDecisionInput(seen, { context: ['warrant'] }).context).toEqual({ warrant: 'W-17' });
    /* Only scalars are recorded: a structured value is refused, never flattened. */
    await expect(createDecisionRecord(seen, decision, { backend, bundle, context: ['nested'] })).rejects.toBeInstanceOf(ArgumentError);
    await expect(createDecisionRecord(seen, decision, { backend, bundle, context: 'warrant' as unknown as string[] })).rejects.toBeInstanceOf(ArgumentError);
  });

  test('openEnvelope() passes context to the policy and logContext to the decision log', async () => {
    const key = backend.generateKey('Ed25519');
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const envelope = await sealEnvelope(te.encode('{}'), {
      backend, signer: { key, kid: te.encode('counter-17') }, recipients: [await readers.recipient()],
      claims: { issuer: 'counter-17', subject: 'footfall/market', sequence: 1, issuedAt: 1_900_000_000 },
      attributes: { classification: 'internal' },
    });
    const policy = await PolicyEngine.load({ wasm: CONTRACT, data: {}, revision: '1' }, { backend, entrypoint: 'ward/contract/decision' });
    const decisionLog = new MemoryDecisionLog();
    const { decision } = await openEnvelope(envelope, {
      backend, trust: backend.publicKey(key), recipient: readers.recipientKey(), policy, decisionLog,
      subject: { id: 'officer', roles: ['police'], purpose: 'investigation' }, environment: { time: 1_900_000_100 },
      context: { warrant: 'W-17', suspect: 'Jane Doe' }, logContext: ['warrant'],
    });
    expect(decision?.reasons[0]).toBe('context');
    expect(JSON.parse(decision!.reasons[1]!)).toEqual({ warrant: 'W-17', suspect: 'Jane Doe' });
    expect(decisionLog.records()[0]!.input.context).toEqual({ warrant: 'W-17' });
    /* A logContext that is not a list is caller misuse, refused before the envelope is read. */
    await expect(openEnvelope(envelope, {
      backend, trust: backend.publicKey(key), recipient: readers.recipientKey(), policy, decisionLog,
      subject: { id: 'officer', roles: ['police'], purpose: 'investigation' }, logContext: 'warrant' as unknown as string[],
    })).rejects.toBeInstanceOf(ArgumentError);
  });
});
