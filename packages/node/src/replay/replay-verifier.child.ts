/*
 * A verifier process for redis-replay-store.test.ts (not part of the package's API, and not a
 * test file itself: vitest only collects `*.test.ts`). The test spawns two of these to show that
 * processes sharing one RedisReplayStore share one replay window:
 *
 *   node --conditions=@ward/source --import tsx replay-verifier.child.ts <job.json>
 *
 * The job file (see `VerifierJob`) names the Redis server, the key prefix, the producer's Ed25519
 * public key and the envelope files. The child verifies the envelopes, connects, prints `{"ready":true}` on a line of
 * its own, waits for one line on stdin holding a wall-clock start time in ms
 * (so the parent can start both children's work at the same moment), then runs checkReplay on each verified envelope, one after the other, and prints one
 * line of JSON: `{"results":[{"index":0,"accepted":true,"status":"fresh"} or
 * {"index":1,"accepted":false,"code":"ERR_REPLAY_DUPLICATE"}, …]}`. Anything else that fails
 * exits non-zero with the error on stderr.
 */
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { ReplayError, verifyEnvelope } from '@ward/core';
import { checkReplay } from '@ward/core/replay';
import type { VerifyingKey } from '@ward/core';
import { createClient } from 'redis';
import { createNodeBackend } from '../node-backend.js';
import { RedisReplayStore } from './redis-replay-store.js';

/** What the parent asks of one child. */
export interface VerifierJob {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  /** The producer's raw Ed25519 public key, base64. */
  readonly publicKey: string;
  /** Paths of the sealed envelopes to verify and check. */
  readonly envelopes: readonly string[];
  readonly windowSize: number;
}

/** One envelope's outcome in this process. */
export type VerifierResult =
  | { readonly index: number; readonly accepted: true; readonly status: string }
  | { readonly index: number; readonly accepted: false; readonly code: string };

async function main(jobPath: string): Promise<void> {
  const job = JSON.parse(await readFile(jobPath, 'utf8')) as VerifierJob;
  const backend = createNodeBackend();
  const trust = (await backend.importKey('Ed25519', 'public', Buffer.from(job.publicKey, 'base64'))) as VerifyingKey;
  // Verify first, so that after the go signal the two processes do nothing but race on Redis.
  const verified = await Promise.all(job.envelopes.map(async (path) => verifyEnvelope(new Uint8Array(await readFile(path)), { backend, trust })));

  const redis = createClient({ url: job.redisUrl, disableOfflineQueue: true, socket: { reconnectStrategy: false } });
  redis.on('error', (error: unknown) => process.stderr.write(`redis client error: ${String(error)}\n`));
  await redis.connect();
  // A generous timeout: this child shows the shared window, not the failure path.
  const store = new RedisReplayStore({ sendCommand: (args) => redis.sendCommand([...args]) }, { keyPrefix: job.keyPrefix, timeoutMs: 10_000 });

  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  process.stdin.setEncoding('utf8');
  const [line] = (await once(process.stdin, 'data')) as [string];
  // The go line is a wall-clock start time (ms) shared by both processes: sleep until just
  // before it, then spin to it, so their checks start within a fraction of a millisecond.
  const startAt = Number(line.trim());
  if (!Number.isFinite(startAt)) throw new Error(`bad go line: ${line}`);
  await new Promise((done) => setTimeout(done, Math.max(0, startAt - Date.now() - 5)));
  while (Date.now() < startAt) { /* spin: a timer is too coarse to line the two processes up */ }

  // One at a time, in order: the other process checks the same envelopes in the same order, so
  // each one is contended by two processes at about the same moment.
  const results: VerifierResult[] = [];
  for (const [index, facts] of verified.entries()) {
    try {
      const check = await checkReplay(facts, { store, window: { windowSize: job.windowSize } });
      results.push({ index, accepted: true, status: check.status });
    } catch (error) {
      if (!ReplayError.isInstance(error)) throw error;
      results.push({ index, accepted: false, code: error.code });
    }
  }
  process.stdout.write(`${JSON.stringify({ results })}\n`);
  await redis.close();
  process.stdin.destroy();
}

const jobPath = process.argv[2];
if (jobPath === undefined) {
  process.stderr.write('usage: replay-verifier.child.ts <job.json>\n');
  process.exit(2);
}
main(jobPath).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
