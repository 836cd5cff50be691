/*
 * PolicyEngine.activate() under concurrency, and its rollback check (SPEC.md §Policy bundles:
 * a replayed old bundle must not roll a fleet back to a weaker policy). activate() loads the
 * new wasm between its checks and the swap, so two activations can interleave: whatever the
 * order in which they are started, the newest revision must end active, an older one must be
 * refused, two different policies under one revision must never silently replace each other,
 * and the engine must keep deciding.
 */
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import type { PolicyInput } from '../decision.js';
import { PolicyEngine } from './policy-engine.js';

const backend = createNobleBackend();
const fixture = (name: string) => new URL(`./engine-fixtures/${name}`, import.meta.url);
const WASM = new Uint8Array(readFileSync(fixture('policy.wasm')));
const DATA = JSON.parse(readFileSync(fixture('data.json'), 'utf8')) as unknown;

const INPUT: PolicyInput = {
  action: 'open',
  subject: { id: 'ana', roles: ['analyst'], purpose: 'planning' },
  resource: {
    issuer: 'counter-17', stream: 'footfall/market', issuedAt: 1_900_000_000, sequence: '41', id: '00ff',
    attributes: { classification: 'internal', purpose: ['planning'], zone: 'market' },
    signer: { kid: 'aa', alg: -8 }, encryption: 'encrypt',
  },
  environment: { time: 1_900_000_100 },
};

/** A policy source whose contents are told apart by `tag` (the digest a bundle would carry). */
const source = (revision: string, tag = 0) => ({ wasm: WASM, data: DATA, revision, digest: new Uint8Array(32).fill(tag) });

const load = (revision: string) => PolicyEngine.load(source(revision), { backend });

describe('PolicyEngine.activate', () => {
  test('rollback: an older revision is refused before its wasm is even loaded', async () => {
    const engine = await load('10');
    const garbage = new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]);
    await expect(engine.activate({ wasm: garbage, revision: '9' })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    expect(engine.revision).toBe('10');
  });

  test.each([
    ['older first', ['2', '3']],
    ['newer first', ['3', '2']],
  ] as const)('activate race (%s): N and N+1 activated concurrently end with N+1 active and N refused', async (_, order) => {
    const engine = await load('1');
    const results = await Promise.allSettled(order.map((revision) => engine.activate(source(revision, Number(revision)))));
    expect(engine.revision).toBe('3');
    expect(engine.digest).toEqual(new Uint8Array(32).fill(3));
    const byRevision = new Map(order.map((revision, i) => [revision, results[i]!]));
    expect(byRevision.get('3')!.status).toBe('fulfilled');
    const older = byRevision.get('2')!;
    // "older first" may legitimately activate 2 and then 3; "newer first" must refuse 2
    if (older.status === 'rejected') expect(older.reason).toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    else expect(order[0]).toBe('2');
    // the engine is not broken: it still decides, under the newest policy
    expect(engine.decide(INPUT)).toMatchObject({ revision: '3', decision: { allow: true } });
  });

  test.each([
    ['first', 0],
    ['second', 1],
  ] as const)('activate race: two different policies under one revision — one wins (%s started), the other is refused, never a silent swap', async (_, startFirst) => {
    const engine = await load('1');
    const contenders = [source('2', 7), source('2', 8)];
    if (startFirst === 1) contenders.reverse();
    const results = await Promise.allSettled(contenders.map((s) => engine.activate(s)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [contenders[i]!] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    expect(engine.revision).toBe('2');
    expect(engine.digest).toEqual(won[0]!.digest);
  });

  test('property: concurrent activations of any revisions, started in any order, leave the highest active and refuse only older ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 2, max: 60 }), { minLength: 2, maxLength: 6 }), async (revisions) => {
        const engine = await load('1');
        const results = await Promise.allSettled(revisions.map((r) => engine.activate(source(String(r), r))));
        const highest = Math.max(...revisions);
        expect(engine.revision).toBe(String(highest));
        expect(engine.digest).toEqual(new Uint8Array(32).fill(highest));
        results.forEach((result, i) => {
          if (revisions[i] === highest) expect(result.status).toBe('fulfilled');
          if (result.status === 'rejected') {
            expect(result.reason).toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
            expect(revisions[i]!).toBeLessThan(highest);
          }
        });
        expect(engine.decide(INPUT).revision).toBe(String(highest));
      }),
      { numRuns: 25 },
    );
  });
});
