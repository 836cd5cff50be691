/*
 * Child of isolated-policy-engine.test.ts: a pool on the hostile eval-loop module times out one
 * decision, decides one more, closes, and must then let the process exit by itself (the parent
 * kills it after a hard timeout otherwise, and the test fails).
 */
import { HOSTILE_ENTRYPOINT, hostileInput, hostileWasm } from '../../../core/test-kit/hostile-policy.js';
import { IsolatedPolicyEngine } from './isolated-policy-engine.js';

async function main(): Promise<void> {
  const pool = await IsolatedPolicyEngine.load({ wasm: await hostileWasm('eval-loop'), revision: '1' }, { entrypoint: HOSTILE_ENTRYPOINT, workers: 2, timeoutMs: 500 });
  const timedOut = await pool.decide(hostileInput('verify')).then(() => 'allowed', (error: { code?: string }) => error.code);
  const allowed = (await pool.decide(hostileInput('open'))).decision.allow;
  await pool.close();
  process.stdout.write(`${JSON.stringify({ timedOut, allowed })}\n`);
}

void main();
