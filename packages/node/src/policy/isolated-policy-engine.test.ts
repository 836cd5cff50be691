/*
 * Isolation mode (issue 11 item 4e): IsolatedPolicyEngine decides like the in-process engine on
 * every city scenario, refuses a decision that runs over its time budget (ERR_POLICY_TIMEOUT, a
 * deny) and replaces the worker, refuses through openEnvelope() with no plaintext, and lets the process
 * exit once closed. Every wait is bounded: the hostile loops run only inside pool workers, every
 * decision that could hang is raced against a guard, and every pool is closed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { ArgumentError, Keyset, PolicyEngine, PolicyError, openEnvelope, sealEnvelope, verifyEnvelope, type EngineDecision, type PolicyDecision, type PolicyInput } from '@ward/core';
import { HOSTILE_ENTRYPOINT, hostileInput, hostileWasm } from '../../../core/test-kit/hostile-policy.js';
import { createNodeBackend } from '../node-backend.js';
import { IsolatedPolicyEngine } from './isolated-policy-engine.js';

const backend = createNodeBackend();
const policies = new URL('../../../../policies/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, policies));
const scenarios = (JSON.parse(read('examples/scenarios.json').toString('utf8')) as { scenarios: { name: string; input: unknown; decision: PolicyDecision }[] }).scenarios;
const city = () => ({ wasm: new Uint8Array(read('dist/policy.wasm')), data: JSON.parse(read('dist/data.json').toString('utf8')) as unknown, revision: read('REVISION').toString('utf8').trim() });

const pools: IsolatedPolicyEngine[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

async function pool(...args: Parameters<typeof IsolatedPolicyEngine.load>): Promise<IsolatedPolicyEngine> {
  const loaded = await IsolatedPolicyEngine.load(...args);
  pools.push(loaded);
  return loaded;
}

/* A decision that must settle: a guard fails the test (instead of hanging it) when it does not within `ms`. */
function bounded<T>(promise: Promise<T>, ms = 15_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`hung: no answer within ${ms} ms`)), ms); });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

async function hostilePool(workers = 1): Promise<IsolatedPolicyEngine> {
  return pool({ wasm: await hostileWasm('eval-loop'), revision: '1' }, { entrypoint: HOSTILE_ENTRYPOINT, workers, timeoutMs: 500 });
}

describe('IsolatedPolicyEngine', () => {
  test('decides every city scenario exactly as the in-process engine', async () => {
    const isolated = await pool(city(), { workers: 2 });
    const engine = await PolicyEngine.load(city(), { backend, cacheSize: 0 });
    const valid = scenarios.filter((s) => !s.name.startsWith('a malformed input'));
    expect(valid.length).toBeGreaterThan(10);
    const answers = await bounded(Promise.all(valid.map((s) => isolated.decide(s.input as PolicyInput))));
    valid.forEach((s, i) => {
      const inProcess = engine.decide(s.input as PolicyInput);
      const answer: EngineDecision = answers[i]!;
      expect(answer.decision).toEqual(inProcess.decision);
      expect(answer.input).toEqual(inProcess.input);
      expect({ revision: answer.revision, digest: answer.digest, cached: answer.cached }).toEqual({ revision: inProcess.revision, digest: inProcess.digest, cached: false });
      expect(Object.isFrozen(answer.decision) && Object.isFrozen(answer.decision.reasons) && Object.isFrozen(answer.input)).toBe(true);
    });
  }, 60_000);

  test('input validation: a malformed input is an ArgumentError in the caller\'s thread, never a timeout', async () => {
    const isolated = await pool(city(), { workers: 1, timeoutMs: 100 });
    for (const scenario of scenarios.filter((s) => s.name.startsWith('a malformed input'))) {
      await expect(bounded(isolated.decide(scenario.input as PolicyInput))).rejects.toSatisfy((error: unknown) => ArgumentError.isInstance(error));
    }
  }, 30_000);

  test('timeout refusal: a decision whose evaluation loops is refused with ERR_POLICY_TIMEOUT within the budget', async () => {
    const isolated = await hostilePool();
    const refusal = await bounded(isolated.decide(hostileInput('verify'))).then(() => undefined, (error: unknown) => error);
    expect(PolicyError.isInstance(refusal) && refusal.code).toBe('ERR_POLICY_TIMEOUT');
  }, 30_000);

  test('worker replacement: after a timeout, the next decision succeeds on a fresh worker with the active policy', async () => {
    const isolated = await hostilePool(1);
    await expect(bounded(isolated.decide(hostileInput('verify')))).rejects.toMatchObject({ code: 'ERR_POLICY_TIMEOUT' });
    const next = await bounded(isolated.decide(hostileInput('open')));
    expect(next.decision.allow).toBe(true);
    expect(next.revision).toBe('1');
    /* Again: the replacement is itself replaced. */
    await expect(bounded(isolated.decide(hostileInput('verify')))).rejects.toMatchObject({ code: 'ERR_POLICY_TIMEOUT' });
    expect((await bounded(isolated.decide(hostileInput('open')))).decision.allow).toBe(true);
  }, 60_000);

  test('timeout refusal: openEnvelope() with the isolated engine as policy refuses a looping decision, with no plaintext', async () => {
    const isolated = await hostilePool(2);
    const signing = await Keyset.generate(backend, { purpose: 'sign' });
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const signer = signing.signer();
    const trust = await backend.publicKey(signer.key);
    const envelope = await sealEnvelope(new TextEncoder().encode('{"count":42}'), {
      backend, signer, recipients: [await readers.recipient()], claims: { issuer: 'counter-17', subject: 'footfall/market', sequence: 1, issuedAt: 1_900_000_000 },
      attributes: { classification: 'internal' },
    });
    await verifyEnvelope(envelope, { backend, trust });
    const subject = { id: 'ana', roles: ['analyst'], purpose: 'planning' };
    const options = { backend, trust, recipient: readers.recipientKey(), policy: isolated, subject, environment: { time: 1_900_000_100 } };
    /* The eval-loop module loops on "verify" and allows "open". */
    const outcome = await bounded(openEnvelope(envelope, { ...options, action: 'verify' })).then((opened) => opened, (error: unknown) => error);
    expect(PolicyError.isInstance(outcome) && outcome.code).toBe('ERR_POLICY_TIMEOUT');
    expect(outcome).not.toHaveProperty('plaintext');
    const opened = await bounded(openEnvelope(envelope, options));
    expect(new TextDecoder().decode(opened.plaintext)).toBe('{"count":42}');
    expect(opened.decision?.allow).toBe(true);
  }, 60_000);

  test('activation: a new revision takes over, a rollback is refused and the active policy stays', async () => {
    const isolated = await pool({ wasm: await hostileWasm('good'), revision: '2' }, { entrypoint: HOSTILE_ENTRYPOINT, loadTimeoutMs: 10_000 });
    await expect(isolated.activate({ wasm: await hostileWasm('good'), revision: '1' })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    await expect(isolated.activate({ wasm: await hostileWasm('good'), data: { other: true }, revision: '2' })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    await isolated.activate({ wasm: await hostileWasm('eval-loop'), revision: '3' });
    expect(isolated.revision).toBe('3');
    const after = await bounded(isolated.decide(hostileInput('open')));
    expect(after.revision).toBe('3');
    await expect(bounded(isolated.activate({ wasm: await hostileWasm('start-loop'), revision: '4' }))).rejects.toMatchObject({ code: 'ERR_POLICY_EVALUATION' });
    expect(isolated.revision).toBe('3');
  }, 60_000);

  test('setData: decisions use the new data; the digest stays', async () => {
    const source = city();
    const isolated = await pool(source, { workers: 1 });
    const engine = await PolicyEngine.load(source, { backend, cacheSize: 0 });
    const digest = isolated.digest;
    const input = scenarios.find((s) => !s.name.startsWith('a malformed input') && s.decision.allow)!.input as PolicyInput;
    await isolated.setData({});
    engine.setData({});
    expect((await bounded(isolated.decide(input))).decision).toEqual(engine.decide(input).decision);
    expect(isolated.digest).toBe(digest);
  }, 60_000);

  test('close: queued and later decisions are refused; the workers let the process exit', async () => {
    const isolated = await hostilePool(1);
    const running = isolated.decide(hostileInput('verify')).then(() => undefined, (error: unknown) => error);
    await isolated.close();
    expect(await bounded(running)).toMatchObject({ code: 'ERR_POLICY_EVALUATION' });
    await expect(isolated.decide(hostileInput('open'))).rejects.toMatchObject({ code: 'ERR_POLICY_EVALUATION' });
    const child = spawnSync(process.execPath, ['--conditions=@ward/source', '--import', 'tsx', fileURLToPath(new URL('./isolated-policy-engine.child.ts', import.meta.url))], {
      timeout: 30_000, encoding: 'utf8', killSignal: 'SIGKILL',
    });
    expect(child.signal, child.stderr).toBeNull();
    expect(JSON.parse(child.stdout.trim())).toEqual({ timedOut: 'ERR_POLICY_TIMEOUT', allowed: true });
  }, 60_000);

  test('options: bad pool options are ArgumentErrors', async () => {
    await expect(IsolatedPolicyEngine.load(city(), { workers: 0 })).rejects.toSatisfy((error: unknown) => ArgumentError.isInstance(error));
    await expect(IsolatedPolicyEngine.load(city(), { timeoutMs: 1.5 })).rejects.toSatisfy((error: unknown) => ArgumentError.isInstance(error));
  });
});
