/*
 * Activation admission in a worker (issue 11 item 4d): hostile modules (core's WAT suite) whose
 * start function, builtins table or evaluation loops are refused within the time budget, the
 * thread stays free, and the last good policy stays active. The loops run only inside the
 * admission worker, which the admission terminates: nothing here can hang the test thread.
 */
import { describe, expect, test } from 'vitest';
import { PolicyEngine, PolicyError } from '@ward/core';
import { HOSTILE_ENTRYPOINT, hostileInput, hostileWasm } from '../../../core/test-kit/hostile-policy.js';
import { createNodeBackend } from '../node-backend.js';
import { createWorkerAdmission } from './worker-admission.js';

const backend = createNodeBackend();
const admission = createWorkerAdmission({ timeoutMs: 5_000, probes: [hostileInput('open'), hostileInput('verify')] });

async function guarded(): Promise<PolicyEngine> {
  return PolicyEngine.load({ wasm: await hostileWasm('good'), revision: '1' }, { backend, entrypoint: HOSTILE_ENTRYPOINT, admission });
}

describe('worker admission', () => {
  test('control: a well-behaved policy is admitted, loaded and decides', async () => {
    const engine = await guarded();
    await engine.activate({ wasm: await hostileWasm('good'), revision: '2' });
    expect(engine.revision).toBe('2');
    expect(engine.decide(hostileInput('open')).decision.allow).toBe(true);
  });

  for (const [name, what] of [['start-loop', 'start function'], ['builtins-loop', 'builtins table'], ['eval-loop', 'probe evaluation']] as const) {
    test(`admission refusal: a bundle whose ${what} loops is refused within the time budget and the last good policy stays`, async () => {
      const engine = await guarded();
      const refusal = await engine.activate({ wasm: await hostileWasm(name), revision: '2' }).then(() => undefined, (error: unknown) => error);
      expect(PolicyError.isInstance(refusal)).toBe(true);
      expect((refusal as PolicyError).message).toMatch(/did not finish within 5000 ms/);
      expect(engine.revision).toBe('1');
      expect(engine.decide(hostileInput('verify')).decision.allow).toBe(true);
    }, 30_000);
  }

  test('admission refusal: load() refuses a looping policy too', async () => {
    await expect(PolicyEngine.load({ wasm: await hostileWasm('start-loop') }, { backend, entrypoint: HOSTILE_ENTRYPOINT, admission })).rejects.toMatchObject({ code: 'ERR_POLICY_EVALUATION' });
  }, 30_000);

  test('admission refusal: a probe that fails (a trap) refuses the policy', async () => {
    const engine = await guarded();
    await expect(engine.activate({ wasm: await hostileWasm('trap-poison'), revision: '2' })).rejects.toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/ERR_POLICY_EVALUATION/) });
    expect(engine.revision).toBe('1');
  }, 30_000);

  test('options: a non-positive time budget is an ArgumentError', () => {
    expect(() => createWorkerAdmission({ timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
