/*
 * PolicyEngine on a real OPA-compiled wasm (engine-fixtures/, built by build.sh with the
 * pinned opa): decisions, the deny-by-default treatment of malformed output, the canonical
 * cache and its invalidation, activation and rollback, and flat memory.
 */
import { readFileSync } from 'node:fs';
import * as opaWasm from '@open-policy-agent/opa-wasm';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { ArgumentError, PolicyError, WardError } from '../../errors.js';
import type { PolicyInput } from '../decision.js';
import { PolicyEngine, compareRevisions, validateDecision } from './policy-engine.js';

const backend = createNobleBackend();
const fixture = (name: string) => new URL(`./engine-fixtures/${name}`, import.meta.url);
const WASM = new Uint8Array(readFileSync(fixture('policy.wasm')));
const DATA = JSON.parse(readFileSync(fixture('data.json'), 'utf8')) as unknown;
const { loadPolicySync } = ((opaWasm as unknown as { default?: typeof opaWasm }).default ?? opaWasm);

function input(overrides: { roles?: string[]; purpose?: string; classification?: string; id?: string; time?: number } = {}): PolicyInput {
  return {
    action: 'open',
    subject: { id: overrides.id ?? 'ana', roles: overrides.roles ?? ['analyst'], purpose: overrides.purpose ?? 'planning' },
    resource: {
      issuer: 'counter-17', stream: 'footfall/market', issuedAt: 1_900_000_000, sequence: '41', id: '00ff',
      attributes: { classification: overrides.classification ?? 'internal', purpose: ['planning', 'research'], zone: 'market' },
      signer: { kid: 'aa', alg: -8 }, encryption: 'encrypt',
    },
    environment: { time: overrides.time ?? 1_900_000_100 },
  };
}

const load = (extra: Partial<Parameters<typeof PolicyEngine.load>[0]> = {}, options: { cacheSize?: number; entrypoint?: string } = {}) =>
  PolicyEngine.load({ wasm: WASM, data: DATA, revision: '1', ...extra }, { backend, ...options });

describe('PolicyEngine', () => {
  test('allows what the policy allows, with its reasons and obligations; denies by default', async () => {
    const engine = await load();
    expect(engine.decide(input()).decision).toEqual({ allow: true, reasons: ['allowed:analyst-internal'], obligations: [{ type: 'log' }] });
    expect(engine.decide(input({ roles: ['public'] })).decision).toEqual({ allow: false, reasons: ['default-deny'], obligations: [] });
    expect(engine.decide(input({ purpose: 'marketing' })).decision.allow).toBe(false);
  });

  test('the same input is decided once: a cached decision, whatever the key order of the caller', async () => {
    const engine = await load();
    const first = engine.decide(input());
    const { subject, resource, environment, action } = input();
    const second = engine.decide({ environment, resource: { ...resource, attributes: { zone: 'market', purpose: ['planning', 'research'], classification: 'internal' } }, subject, action });
    expect(first.cached).toBe(false);
    expect(second.cached).toBe(true);
    expect(second.decision).toBe(first.decision);
    expect(Object.isFrozen(first.decision)).toBe(true);
    expect(engine.stats).toMatchObject({ evaluations: 1, hits: 1, cached: 1 });
  });

  test('unknown fields in the input are refused, never dropped (the contract is exact)', async () => {
    const engine = await load();
    const base = input({ id: 'echo', roles: ['public'] });
    expect(engine.decide(base).decision.reasons).toEqual(['allowed:echo']);
    for (const withJunk of [{ ...base, subject: { ...base.subject, admin: true } }, { ...base, extra: 1 }]) {
      expect(() => engine.decide(withJunk as unknown as PolicyInput)).toThrow(ArgumentError);
    }
  });

  test('setData invalidates the cache: the next decision reflects the new data', async () => {
    const engine = await load();
    expect(engine.decide(input()).decision.obligations).toEqual([{ type: 'log' }]);
    engine.setData({ obligations: [{ type: 'notify', to: 'dpo@city.example' }] });
    const after = engine.decide(input());
    expect(after.cached).toBe(false);
    expect(after.decision.obligations).toEqual([{ type: 'notify', to: 'dpo@city.example' }]);
    expect(engine.stats.generation).toBe(1);
  });

  test('activate: newer revisions replace the policy and clear the cache; rollbacks and same-revision swaps are refused', async () => {
    const engine = await load({ revision: '10' });
    engine.decide(input());
    await expect(engine.activate({ wasm: WASM, data: DATA, revision: '9' })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    await expect(engine.activate({ wasm: WASM, data: DATA, revision: '10', digest: new Uint8Array(32) })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    expect(engine.revision).toBe('10');
    expect(engine.stats.cached).toBe(1);
    await engine.activate({ wasm: WASM, data: { obligations: [] }, revision: '11' });
    expect(engine.revision).toBe('11');
    expect(engine.decide(input()).decision.obligations).toEqual([]);
  });

  test('a failing activation keeps the last good policy', async () => {
    const engine = await load({ revision: '1' });
    const broken = WASM.slice();
    broken[100]! ^= 0xff;
    await expect(engine.activate({ wasm: broken, revision: '2' })).rejects.toMatchObject({ code: 'ERR_POLICY_EVALUATION' });
    await expect(engine.activate({ wasm: new Uint8Array([0, 97, 115, 109]), revision: '3' })).rejects.toThrow(PolicyError);
    expect(engine.revision).toBe('1');
    expect(engine.decide(input()).decision.allow).toBe(true);
  });

  test('a missing entrypoint is refused at load', async () => {
    await expect(load({}, { entrypoint: 'nope/nothing' })).rejects.toMatchObject({ code: 'ERR_POLICY_EVALUATION' });
  });

  test.each([
    ['bad/allow_string', 'policy-output-malformed'],
    ['bad/unknown_obligation', 'policy-obligation-unknown'],
    ['bad/extra_field', 'policy-output-malformed'],
    ['bad/reasons_not_strings', 'policy-output-malformed'],
    ['bad/undefined_decision', 'policy-undefined'],
    ['bad/bare_true', 'policy-output-malformed'],
  ])('output of %s is a deny (%s)', async (entrypoint, reason) => {
    const engine = await load({}, { entrypoint });
    expect(engine.decide(input()).decision).toEqual({ allow: false, reasons: [reason], obligations: [] });
  });

  test('a policy that fails at evaluation (conflicting complete rules) is ERR_POLICY_EVALUATION or a deny, never an allow', async () => {
    const engine = await load();
    /* Both decision rules match: OPA reports a conflict. */
    const both = input({ id: 'echo' });
    let outcome: unknown;
    try {
      outcome = engine.decide(both).decision;
    } catch (error) {
      outcome = error;
    }
    if (WardError.isInstance(outcome)) expect(outcome.code).toBe('ERR_POLICY_EVALUATION');
    else expect((outcome as { allow: boolean }).allow).toBe(false);
  });

  test('malformed inputs are argument errors, not decisions', async () => {
    const engine = await load();
    expect(() => engine.decide({ ...input(), action: 'delete' as never })).toThrow(ArgumentError);
    expect(() => engine.decide({ ...input(), environment: { time: -1 } })).toThrow(ArgumentError);
    expect(() => engine.decide({ ...input(), subject: { id: 'x', roles: 'analyst' as never, purpose: 'p' } })).toThrow(ArgumentError);
  });

  test('property: the engine decides exactly as raw opa-wasm evaluate does, cached or not', async () => {
    const engine = await load();
    const raw = loadPolicySync(WASM) as unknown as { setData(d: unknown): void; evaluate(i: unknown, e?: string): unknown };
    raw.setData(DATA);
    const role = fc.constantFrom('analyst', 'operator', 'public', 'auditor');
    await fc.assert(
      fc.property(
        fc.array(role, { maxLength: 3 }), fc.constantFrom('planning', 'research', 'marketing'), fc.constantFrom('internal', 'personal', 'public'),
        fc.constantFrom('ana', 'bob'),
        (roles, purpose, classification, id) => {
          const request = input({ roles, purpose, classification, id });
          const expected = validateDecision(raw.evaluate(engine.decide(request).input, 'ward/authz/decision'));
          expect(engine.decide(request).decision).toEqual(expected);
          expect(engine.decide(request).cached).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('memory stays flat over many uncached evaluations of varying inputs', async () => {
    const engine = await load({}, { cacheSize: 0 });
    for (let i = 0; i < 2_000; i++) engine.decide(input({ time: 1_900_000_000 + i }));
    const before = engine.memoryBytes;
    for (let i = 0; i < 50_000; i++) engine.decide(input({ time: 1_900_000_000 + i, purpose: i % 2 === 0 ? 'planning' : 'research' }));
    expect(engine.memoryBytes).toBe(before);
    expect(engine.stats.evaluations).toBe(52_000);
  });

  test('the cache is bounded (LRU): at most cacheSize envelopes, each with its 8 most recent inputs', async () => {
    const engine = await load({}, { cacheSize: 8 });
    const about = (i: number): PolicyInput => {
      const asked = input({ time: 1_900_000_000 + i });
      return { ...asked, resource: { ...asked.resource, id: i.toString(16).padStart(4, '0') } };
    };
    for (let i = 0; i < 100; i++) engine.decide(about(i));
    expect(engine.stats.cached).toBe(8);
    engine.decide(about(99));
    expect(engine.stats.hits).toBe(1);
    engine.decide(about(0));
    expect(engine.stats.hits).toBe(1);
    /* One envelope, many inputs: its bucket keeps the 8 most recent. */
    for (let i = 0; i < 100; i++) engine.decide(input({ time: 1_900_000_000 + i }));
    engine.decide(input({ time: 1_900_000_099 }));
    engine.decide(input({ time: 1_900_000_092 }));
    expect(engine.stats.hits).toBe(3);
    engine.decide(input({ time: 1_900_000_091 }));
    expect(engine.stats.hits).toBe(3);
  });
});

describe('compareRevisions', () => {
  test.each([
    ['9', '10', -1], ['10', '10', 0], ['0010', '9', 1], ['2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z', 1], ['a', 'b', -1],
  ] as const)('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareRevisions(a, b))).toBe(sign);
  });
});
