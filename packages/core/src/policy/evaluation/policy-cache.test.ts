/*
 * The decision cache cannot go stale (issue 11, item 1): a cached decision depends only on
 * values the engine owns. The caller's input is copied on the miss path; the cached input, the
 * returned input and the returned decision are deeply frozen; every cached answer equals an
 * uncached engine's answer on the same current input, whatever the caller mutates in between.
 * And the digest of a policy given as raw parts covers its wasm AND its data.
 */
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { concatBytes, toHex } from '../../bytes.js';
import { openEnvelope } from '../../envelope/open.js';
import { sealEnvelope } from '../../envelope/seal.js';
import { ArgumentError, WardError } from '../../errors.js';
import { Keyset } from '../../keys/keyset.js';
import { opaCanonicalBytes, parseJson } from '../strict-json.js';
import { MemoryDecisionLog } from '../audit/index.js';
import type { PolicyInput } from '../decision.js';
import { PolicyEngine } from './policy-engine.js';
import type { EngineDecision } from './policy-engine.js';

const backend = createNobleBackend();
const fixture = (name: string) => new URL(`./engine-fixtures/${name}`, import.meta.url);
const WASM = new Uint8Array(readFileSync(fixture('policy.wasm')));
const DATA = JSON.parse(readFileSync(fixture('data.json'), 'utf8')) as unknown;

const ROLES = ['analyst', 'public', 'operator'];
const PURPOSES = ['planning', 'marketing', 'research'];
const CLASSES = ['internal', 'public', 'personal'];
const IDS = ['ana', 'echo', 'bo'];

function input(roles: string[] = ['analyst'], purpose = 'planning', classification = 'internal', id = 'ana'): PolicyInput {
  return {
    action: 'open',
    subject: { id, roles, purpose, zones: ['market'] },
    resource: {
      issuer: 'counter-17', stream: 'footfall/market', issuedAt: 1_900_000_000, sequence: '41', id: '00ff',
      attributes: { classification, purpose: ['planning', 'research'], zone: 'market' },
      signer: { kid: 'aa', alg: -8 }, encryption: 'encrypt',
    },
    environment: { time: 1_900_000_100, emergency: { declared: false } },
  };
}

const engines = async () => ({
  cached: await PolicyEngine.load({ wasm: WASM, data: DATA, revision: '1' }, { backend }),
  uncached: await PolicyEngine.load({ wasm: WASM, data: DATA, revision: '1' }, { backend, cacheSize: 0 }),
});

/* Every array and object reachable from `root` (the root included). */
function containers(root: unknown): object[] {
  const out: object[] = [];
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || out.includes(value)) return;
    out.push(value);
    for (const child of Object.values(value)) walk(child);
  };
  walk(root);
  return out;
}

type Outcome = { readonly decision: unknown; readonly input: unknown } | { readonly error: string };

function outcome(run: () => EngineDecision): Outcome {
  try {
    const { decision, input: seen } = run();
    /* A plain copy: what the answer is, not which objects carry it. */
    return JSON.parse(JSON.stringify({ decision, input: seen })) as Outcome;
  } catch (error) {
    /* Both engines must fail the same way (the test policy itself errs on conflicting rules). */
    return { error: WardError.isInstance(error) ? error.code : String(error) };
  }
}

/* Tries to change `target`: frozen, so in strict mode (ES modules) each attempt throws and nothing changes. */
function attemptMutation(target: object, value: unknown): void {
  const before = JSON.stringify(target);
  if (Array.isArray(target)) {
    expect(() => { target[0] = value; }).toThrow(TypeError);
    expect(() => target.push(value)).toThrow(TypeError);
  } else {
    const key = Object.keys(target)[0] ?? 'x';
    expect(() => { (target as Record<string, unknown>)[key] = value; }).toThrow(TypeError);
    expect(() => { (target as Record<string, unknown>).added = value; }).toThrow(TypeError);
  }
  expect(JSON.stringify(target)).toBe(before);
}

describe('the decision cache cannot go stale', () => {
  test('the cache keeps no caller array: subject.roles[0] changed in place is decided like an uncached engine', async () => {
    const { cached, uncached } = await engines();
    const asked = input(['analyst']);
    expect(cached.decide(asked).decision.allow).toBe(true);
    (asked.subject.roles as string[])[0] = 'public';
    const again = cached.decide(asked);
    expect(again.decision).toEqual(uncached.decide(asked).decision);
    expect(again.decision.allow).toBe(false);
    expect(again.input.subject.roles).toEqual(['public']);
  });

  test('the cache keeps no caller array: an attribute list changed in place is decided like an uncached engine', async () => {
    const { cached, uncached } = await engines();
    const asked = input();
    expect(cached.decide(asked).decision.allow).toBe(true);
    (asked.resource.attributes.purpose as string[])[0] = 'marketing';
    (asked.resource.attributes.purpose as string[])[1] = 'sales';
    expect(cached.decide(asked).decision).toEqual(uncached.decide(asked).decision);
    expect(cached.decide(asked).decision.allow).toBe(false);
  });

  test('the returned decision and input are deeply frozen: changing them throws and cannot alter the cache', async () => {
    const { cached, uncached } = await engines();
    const asked = input();
    const first = cached.decide(asked);
    for (const target of [...containers(first.decision), ...containers(first.input)]) attemptMutation(target, 'public');
    const again = cached.decide(asked);
    expect(again.cached).toBe(true);
    expect(again.decision).toEqual(uncached.decide(asked).decision);
    expect(again.input).toEqual(uncached.decide(asked).input);
  });

  test('the returned input shares no object with the caller', async () => {
    const { cached } = await engines();
    const asked = input();
    const mine = new Set(containers(asked));
    for (const decided of [cached.decide(asked), cached.decide(asked)]) {
      for (const object of containers(decided.input)) expect(mine.has(object)).toBe(false);
    }
  });

  test('property: whatever the caller mutates between calls, every cached answer equals an uncached engine on the same current input', async () => {
    const { cached, uncached } = await engines();
    /* Measured, for the summary line .ci/run prints. */
    const count = { runs: 0, mutations: 0, compared: 0, fromCache: 0, differences: 0 };
    const pool = [...ROLES, ...PURPOSES, ...CLASSES, ...IDS, 7, null, [], {}, ['analyst'], undefined];
    const mutation = fc.record({
      which: fc.nat(),
      op: fc.constantFrom('set', 'push', 'pop', 'delete', 'add'),
      /* A fresh copy each time: the caller's input stays a tree. */
      value: fc.constantFrom(...pool).map((v) => structuredClone(v)),
      /* Some mutations go to the decision and input the engine returned: they must fail. */
      returned: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(ROLES, { minLength: 1 }), fc.constantFrom(...PURPOSES), fc.constantFrom(...CLASSES), fc.constantFrom(...IDS),
        fc.array(mutation, { minLength: 1, maxLength: 8 }),
        async (roles, purpose, classification, id, mutations) => {
          count.runs++;
          const asked = input([...roles], purpose, classification, id);
          let last: EngineDecision | undefined;
          try {
            last = cached.decide(asked);
          } catch {
            /* the test policy errs when two of its rules conflict: nothing returned to mutate yet */
          }
          for (const m of mutations) {
            count.mutations++;
            if (m.returned && last !== undefined) {
              const targets = [...containers(last.decision), ...containers(last.input)];
              attemptMutation(targets[m.which % targets.length]!, m.value);
            } else {
              const targets = containers(asked);
              const target = targets[m.which % targets.length] as Record<string, unknown> & unknown[];
              const keys = Object.keys(target);
              const key = keys.length === 0 ? 'added' : keys[m.which % keys.length]!;
              if (Array.isArray(target) && m.op === 'push') target.push(m.value);
              else if (Array.isArray(target) && m.op === 'pop') target.pop();
              else if (m.op === 'delete') delete target[key];
              else if (m.op === 'add') target[`x${m.which % 3}`] = m.value;
              else target[key] = m.value;
            }
            const hits = cached.stats.hits;
            const fromCache = outcome(() => cached.decide(asked));
            const fromUncached = outcome(() => uncached.decide(asked));
            count.compared++;
            if (cached.stats.hits > hits) count.fromCache++;
            if (JSON.stringify(fromCache) !== JSON.stringify(fromUncached)) count.differences++;
            expect(fromCache).toEqual(fromUncached);
            try {
              last = cached.decide(asked);
            } catch {
              /* a refused input: keep mutating the last decision returned */
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(cached.stats.hits).toBeGreaterThan(0);
    console.log(`policy cache property: ${count.runs} runs, ${count.mutations} mutations, ${count.compared} answers compared with an uncached engine `
      + `(${count.fromCache} served from the cache), ${count.differences} differences`);
  });
});

describe('the digest of raw policy parts covers wasm and data', () => {
  const u64 = (n: number) => {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(n));
    return out;
  };
  /* The construction as policies/README.md states it, computed independently of the engine. */
  const expected = async (wasm: Uint8Array, data: unknown) => {
    const canonical = opaCanonicalBytes(parseJson(new TextEncoder().encode(JSON.stringify(data)), 'data', 100));
    const label = new TextEncoder().encode('ward/policy-digest/v1');
    return toHex(await backend.sha256(concatBytes([label, u64(wasm.length), wasm, u64(canonical.length), canonical])));
  };

  test('the digest is SHA-256 over the length-prefixed wasm and canonical JSON of data, whatever the key order', async () => {
    const engine = await PolicyEngine.load({ wasm: WASM, data: { obligations: [{ type: 'log' }], b: 1, a: 2 }, revision: '1' }, { backend });
    expect(toHex(engine.digest)).toBe(await expected(WASM, { a: 2, b: 1, obligations: [{ type: 'log' }] }));
    const defaults = await PolicyEngine.load({ wasm: WASM }, { backend });
    expect(toHex(defaults.digest)).toBe(await expected(WASM, {}));
    expect(defaults.digest).not.toEqual(engine.digest);
  });

  test('activate refuses the same revision with different data (ERR_POLICY_BUNDLE_ROLLBACK), like different wasm', async () => {
    const engine = await PolicyEngine.load({ wasm: WASM, data: { obligations: [{ type: 'log' }] }, revision: '5' }, { backend });
    await expect(engine.activate({ wasm: WASM, data: { obligations: [] }, revision: '5' })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    /* The same parts again are the same contents: accepted. */
    await engine.activate({ wasm: WASM, data: { obligations: [{ type: 'log' }] }, revision: '5' });
    expect(engine.decide(input()).decision.obligations).toEqual([{ type: 'log' }]);
  });

  test('the decision log records the digest covering wasm and data', async () => {
    const te = new TextEncoder();
    const key = backend.generateKey('Ed25519');
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const envelope = await sealEnvelope(te.encode('{}'), {
      backend, signer: { key, kid: te.encode('counter-17') }, recipients: [await readers.recipient()],
      claims: { issuer: 'counter-17', subject: 'footfall/market', sequence: 1, issuedAt: 1_900_000_000 },
      attributes: { classification: 'internal', zone: 'market', purpose: ['planning'] },
    });
    const data = { obligations: [{ type: 'log' }] };
    const policy = await PolicyEngine.load({ wasm: WASM, data, revision: '3' }, { backend });
    const decisionLog = new MemoryDecisionLog();
    await openEnvelope(envelope, {
      backend, trust: backend.publicKey(key), recipient: readers.recipientKey(), policy, decisionLog,
      subject: { id: 'ana', roles: ['analyst'], purpose: 'planning' }, environment: { time: 1_900_000_100 },
    });
    expect(decisionLog.records()[0]!.bundle).toEqual({ revision: '3', digest: await expected(WASM, data) });
  });

  test('data with no JSON form is refused (ERR_INVALID_ARGUMENT), before anything is loaded', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(PolicyEngine.load({ wasm: WASM, data: cyclic }, { backend })).rejects.toBeInstanceOf(ArgumentError);
    await expect(PolicyEngine.load({ wasm: WASM, data: { n: 10n } }, { backend })).rejects.toBeInstanceOf(ArgumentError);
  });
});
