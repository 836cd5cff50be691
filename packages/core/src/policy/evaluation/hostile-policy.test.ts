/*
 * The hostile-module suite (issue 11 item 4): OPA-ABI modules written as WAT (./hostile/*.wat,
 * compiled at test time with wabt) that attack the engine: results outside memory or without a
 * terminator, oversized results, aborts with unreadable messages, memory growth to the maximum,
 * traps that break the instance, their own memory. A module that could hang the thread running
 * it (opa-wasm 1.10's unbounded readers did) runs in a child process with a hard timeout, so a
 * regression fails here instead of hanging CI. Loops in start, eval and builtins cannot be stopped
 * in-process at all: @ward/node's worker admission refuses them (worker-admission.test.ts).
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { hostileInput, hostileWasm, HOSTILE_ENTRYPOINT, messages, runHostileInChild } from '../../../test-kit/hostile-policy.js';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { ArgumentError, PolicyError, WardError } from '../../errors.js';
import { callOpaWasmBuiltin, loadOpaWasmBuiltins, OPA_WASM_BUILTINS } from './opa-wasm-builtins.js';
import { PolicyEngine } from './policy-engine.js';
import { DEFAULT_POLICY_MEMORY_BYTES, WasmPolicy } from './wasm-policy.js';

const backend = createNobleBackend();
const MiB = 2 ** 20;

/* Measured, for the summary line .ci/run prints: modules compiled, refusals by kind, children killed. */
const tally = { modules: new Set<string>(), typed: 0, untyped: 0, hung: 0, children: 0 };
const refusal = (error: unknown): void => {
  if (WardError.isInstance(error)) tally.typed++;
  else tally.untyped++;
};

function wasmOf(name: string): Promise<Uint8Array> {
  tally.modules.add(name);
  return hostileWasm(name);
}

function inChild(name: string, steps: readonly string[]): ReturnType<typeof runHostileInChild> {
  tally.modules.add(name);
  tally.children++;
  const outcomes = runHostileInChild(name, steps);
  if (outcomes === 'hung') tally.hung++;
  /* A child's failed step reports the WardError's code, or 'RAW' for anything else. */
  else for (const { code } of outcomes) if (code === 'RAW') tally.untyped++; else if (code !== undefined) tally.typed++;
  return outcomes;
}

/* Counts a rejection of `promise`, which it passes on unchanged. */
function counted<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    refusal(error);
    throw error;
  });
}

/* Counts a throw of `run`, which it passes on unchanged. */
function countedRun(run: () => unknown): () => unknown {
  return () => {
    try {
      return run();
    } catch (error) {
      refusal(error);
      throw error;
    }
  };
}

afterAll(() => {
  console.log(`hostile policies: ${tally.modules.size} modules, ${tally.typed} refused typed, ${tally.hung} hung, ${tally.untyped} untyped errors `
    + `(${tally.children} run in a child process with a hard timeout)`);
});

async function engineOf(name: string, options: { maxMemoryBytes?: number } = {}): Promise<PolicyEngine> {
  return PolicyEngine.load({ wasm: await wasmOf(name), revision: '1' }, { backend, entrypoint: HOSTILE_ENTRYPOINT, cacheSize: 0, ...options });
}

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    refusal(error);
    expect(PolicyError.isInstance(error)).toBe(true);
    return { code: (error as PolicyError).code, message: messages(error) };
  }
  throw new Error('expected a failure');
}

describe('hostile policy modules (WAT)', () => {
  test('control: the hand-written ABI module loads and allows', async () => {
    const engine = await engineOf('good');
    expect(engine.decide(hostileInput('open')).decision.allow).toBe(true);
    expect(engine.decide(hostileInput('verify')).decision.allow).toBe(true);
  });

  test('result bound: a result address outside memory is ERR_POLICY_EVALUATION (a deny), never a hang; the next decision succeeds', () => {
    const outcomes = inChild('result-out-of-range', ['load', 'verify', 'open']);
    expect(outcomes).not.toBe('hung');
    const [, verify, open] = outcomes as Exclude<typeof outcomes, 'hung'>;
    expect(verify).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/outside its memory/) });
    expect(open).toMatchObject({ allow: true });
  });

  test('result bound: a result with no NUL terminator before the end of memory is ERR_POLICY_EVALUATION, never a hang', () => {
    const outcomes = inChild('result-unterminated', ['load', 'verify', 'open']);
    expect(outcomes).not.toBe('hung');
    const [, verify, open] = outcomes as Exclude<typeof outcomes, 'hung'>;
    expect(verify).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/no terminator/) });
    expect(open).toMatchObject({ allow: true });
  });

  test('result bound: a result beyond 4 MiB is refused even when it is valid JSON', async () => {
    const engine = await engineOf('result-oversized');
    expect(failure(() => engine.decide(hostileInput('verify')))).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/no terminator within 4194304 bytes/) });
    expect(engine.decide(hostileInput('open')).decision.allow).toBe(true);
  });

  test('abort bound: an opa_abort message outside memory fails the decision typed, never a hang; a readable one is in the cause', () => {
    const outcomes = inChild('abort', ['load', 'verify', 'rewrap', 'open']);
    expect(outcomes).not.toBe('hung');
    const [, verify, rewrap, open] = outcomes as Exclude<typeof outcomes, 'hung'>;
    expect(verify).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/aborted: \(unreadable message\)/) });
    expect(rewrap).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/aborted: opa_malloc: failed/) });
    expect(open).toMatchObject({ allow: true });
  });

  test('load bound: a builtins table outside memory refuses the load (ERR_POLICY_EVALUATION), never a hang', () => {
    const outcomes = inChild('table-out-of-range', ['load']);
    expect(outcomes).not.toBe('hung');
    expect((outcomes as Exclude<typeof outcomes, 'hung'>)[0]).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/outside its memory/) });
  });

  test('load bound: activate() refuses a module whose tables are unreadable and the active policy stays', async () => {
    const engine = await engineOf('good');
    await expect(counted(engine.activate({ wasm: await wasmOf('table-out-of-range'), revision: '2' }))).rejects.toMatchObject({ code: 'ERR_POLICY_EVALUATION' });
    expect(engine.revision).toBe('1');
    expect(engine.decide(hostileInput('open')).decision.allow).toBe(true);
  });

  test('memory maximum: a policy growing its memory stops at maxMemoryBytes, and the decision fails typed', async () => {
    const engine = await engineOf('memory-growth', { maxMemoryBytes: 2 * MiB });
    expect(failure(() => engine.decide(hostileInput('verify')))).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/opa_malloc: failed/) });
    expect(engine.memoryBytes).toBe(2 * MiB);
  });

  test('memory maximum: the default is 64 MiB', async () => {
    const engine = await engineOf('memory-growth');
    expect(countedRun(() => engine.decide(hostileInput('verify')))).toThrow(PolicyError);
    expect(engine.memoryBytes).toBe(DEFAULT_POLICY_MEMORY_BYTES);
    expect(DEFAULT_POLICY_MEMORY_BYTES).toBe(64 * MiB);
  });

  test('memory maximum: maxMemoryBytes outside 1 MiB to 4 GiB, or not an integer, is an ArgumentError', async () => {
    const wasm = await wasmOf('good');
    for (const maxMemoryBytes of [MiB - 1, 2 ** 32 + 1, 1.5 * MiB + 0.5, Number.NaN]) {
      await expect(PolicyEngine.load({ wasm }, { backend, entrypoint: HOSTILE_ENTRYPOINT, maxMemoryBytes })).rejects.toBeInstanceOf(ArgumentError);
    }
  });

  test('memory maximum: a module that defines a memory of its own (which no maximum would bound) is refused at load', async () => {
    const wasm = await wasmOf('defined-memory');
    await expect(counted(PolicyEngine.load({ wasm }, { backend, entrypoint: HOSTILE_ENTRYPOINT }))).rejects.toMatchObject({
      code: 'ERR_POLICY_EVALUATION', cause: expect.objectContaining({ message: expect.stringMatching(/defines its own memory/) }),
    });
  });

  test('recovery: after a trap that breaks the instance, the next decision runs on a fresh instance with the active data', async () => {
    const engine = await engineOf('trap-poison');
    expect(failure(() => engine.decide(hostileInput('verify'))).code).toBe('ERR_POLICY_EVALUATION');
    expect(engine.decide(hostileInput('open')).decision.allow).toBe(true);
    expect(engine.decide(hostileInput('open', 1_900_000_200)).decision.allow).toBe(true);
  });

  test('recovery: after running out of memory, the next decision succeeds and memory is back to its start', async () => {
    const engine = await engineOf('memory-growth', { maxMemoryBytes: 2 * MiB });
    const before = engine.memoryBytes;
    expect(countedRun(() => engine.decide(hostileInput('verify')))).toThrow(PolicyError);
    expect(engine.decide(hostileInput('open')).decision.allow).toBe(true);
    expect(engine.memoryBytes).toBe(before);
  });

  test('recovery: the re-instantiated policy keeps the data set with setData', async () => {
    const wasm = new Uint8Array(readFileSync(new URL('./engine-fixtures/policy.wasm', import.meta.url)));
    const policy = WasmPolicy.load(wasm);
    const entrypoint = policy.entrypoints['ward/authz/decision']!;
    policy.setData({ obligations: [{ type: 'notify', to: 'dpo' }] });
    const input = new TextEncoder().encode(JSON.stringify({ ...hostileInput('open'), resource: { ...hostileInput('open').resource, attributes: { classification: 'internal', purpose: ['planning'] } } }));
    const first = policy.evaluate(input, entrypoint);
    /* Fail an evaluation inside OPA's own code: an entrypoint id the module does not have aborts. */
    expect(countedRun(() => policy.evaluate(input, 9999))).toThrow(PolicyError);
    expect(policy.evaluate(input, entrypoint)).toEqual(first);
    expect(JSON.stringify(first)).toContain('dpo');
  });

  test('builtins: opa-wasm\'s own builtins (here yaml.unmarshal) and Ward\'s map run through the bounded ABI; an unimplemented one fails typed', async () => {
    /* PolicyEngine.load does this for a policy that calls an opa-wasm builtin; a bare WasmPolicy needs it done. */
    await loadOpaWasmBuiltins();
    const policy = WasmPolicy.load(await wasmOf('builtin-call'), { builtins: { 'ward.test.echo': (text: string) => [{ result: { allow: true, reasons: [text], obligations: [] } }] } });
    const entrypoint = policy.entrypoints[HOSTILE_ENTRYPOINT]!;
    const run = (action: 'open' | 'verify' | 'rewrap') => policy.evaluate(new TextEncoder().encode(JSON.stringify(hostileInput(action))), entrypoint);
    expect(run('open')).toEqual([{ result: { allow: true, reasons: ['from-yaml'], obligations: [] } }]);
    expect(run('verify')).toEqual([{ result: { allow: true, reasons: ['from-ward'], obligations: [] } }]);
    expect(failure(() => run('rewrap')).message).toMatch(/time.weekday, which neither Ward nor opa-wasm implements/);
    expect(policy.builtinNames).toEqual(['yaml.unmarshal', 'ward.test.echo', 'time.weekday']);
  });

  test('builtins: every opa-wasm builtin answers through the bridge', async () => {
    await loadOpaWasmBuiltins();
    const call = (name: string, ...args: unknown[]) => {
      const out = callOpaWasmBuiltin(name, args.map((arg) => JSON.stringify(arg)));
      return out === undefined ? undefined : (JSON.parse(out) as unknown);
    };
    expect(call('json.is_valid', '{"a":1}')).toBe(true);
    expect(call('json.is_valid', '{')).toBe(false);
    expect(call('regex.split', ',', 'a,b')).toEqual(['a', 'b']);
    expect(call('sprintf', '%d-%s', [5, 'x'])).toBe('5-x');
    expect(call('yaml.is_valid', 'a: 1')).toBe(true);
    expect(call('yaml.marshal', { a: 1 })).toBe('a: 1\n');
    expect(call('yaml.unmarshal', 'a: [1, 2]')).toEqual({ a: [1, 2] });
    expect(call('yaml.is_valid', 42)).toBeUndefined();
    expect(OPA_WASM_BUILTINS).toHaveLength(6);
  });
});
