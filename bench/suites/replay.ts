/**
 * What a replay check adds to verifying a sealed envelope: `verify` of a sealed 256-byte reading
 * on the node backend alone, then followed by `checkReplay` against a `MemoryReplayStore` and
 * against a `RedisReplayStore` (one Lua script round trip per message, to a local Redis).
 *
 * Every check must see a message its store has not accepted yet, so setup seals a pool of
 * envelopes with consecutive sequence numbers (and fresh ids); each timed op takes the next one,
 * and when a row has used the whole pool it starts over with a fresh store (memory: a new
 * instance; Redis: a new key prefix), so every timed check is a real accepted `fresh` message.
 *
 * Redis: WARD_REDIS_URL when set, else a private `redis-server` on a free port with persistence
 * off, killed when the run exits. Without either, the Redis row is left out and a note says why.
 */
import { equal, ok } from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MemoryReplayStore, ReplayError, sealEnvelope, verifyEnvelope } from '@ward/core';
import { checkReplay } from '@ward/core/replay';
import type { AeadKey, EnvelopeFacts, ReplayStore, SigningKey, VerifyingKey } from '@ward/core';
import { RedisReplayStore, createNodeBackend } from '@ward/node';
import type { RedisCommandClient } from '@ward/node';
import { createClient } from 'redis';
import { startRedisServer } from '../../packages/node/test-kit/redis-server.js';
import type { BenchCase, Op, Suite, SuiteSetup } from '../lib/types.js';

const PAYLOAD_BYTES = 256;
/** Envelopes sealed in setup; a row that uses them all starts over with a fresh store. */
const POOL = 4096;
/** The default window; ids kept 10 minutes, so a shared Redis forgets the bench's keys soon. */
const WINDOW = { windowSize: 1024, idTtlSeconds: 600 } as const;
const IMPLEMENTATION = 'ward-node';

const ROW = {
  verify: 'verify (no replay check)',
  memory: 'verify + replay check, memory store',
  redis: 'verify + replay check, Redis store',
} as const;

/** A Redis to talk to, or why there is none. */
type RedisSetup = { readonly client: RedisCommandClient; readonly where: string } | { readonly missing: string };

/** A private redis-server, killed when this process exits; undefined when there is no binary. */
async function privateRedisUrl(): Promise<string | undefined> {
  const server = await startRedisServer();
  if (server === undefined) return undefined;
  /* Neither the server nor its pipes keep the run alive; the server dies with it. */
  server.process.stdout?.destroy();
  server.process.stderr?.destroy();
  server.process.unref();
  process.once('exit', () => server.process.kill('SIGKILL'));
  return server.url;
}

/**
 * A node-redis client behind the store's adapter. Its socket is unref'd except while a command
 * is in flight, so an idle client does not keep the finished run alive (the suite has no teardown).
 */
async function connectRedis(): Promise<RedisSetup> {
  const fromEnv = process.env.WARD_REDIS_URL;
  const url = fromEnv ?? (await privateRedisUrl());
  if (url === undefined) {
    return {
      missing: 'redis-server is not installed and WARD_REDIS_URL is not set (Debian: apt-get install -y redis-server, ' +
        'or `bash scripts/ensure-redis.sh` as root; or set WARD_REDIS_URL=redis://host:port)',
    };
  }
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: false, connectTimeout: 5_000 } });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    return { missing: `could not connect to ${url}: ${error instanceof Error ? error.message : String(error)}` };
  }
  client.unref();
  let inFlight = 0;
  const sendCommand = async (args: readonly string[]) => {
    if (inFlight++ === 0) client.ref();
    try {
      return await client.sendCommand([...args]);
    } finally {
      if (--inFlight === 0) client.unref();
    }
  };
  return { client: { sendCommand }, where: fromEnv === undefined ? `a private redis-server (${url})` : `WARD_REDIS_URL (${url})` };
}

/**
 * An op that verifies the next pooled envelope and checks it against `store()`, which hands out
 * a fresh store each time the pool starts over.
 */
function checkedVerify(pool: readonly Uint8Array[], verifyOne: (envelope: Uint8Array) => Promise<EnvelopeFacts>, store: (pass: number) => ReplayStore): Op {
  let next = 0;
  let pass = 0;
  let current = store(pass);
  return async () => {
    if (next === pool.length) {
      next = 0;
      current = store(++pass);
    }
    const facts = await verifyOne(pool[next++]!);
    return checkReplay(facts, { store: current, window: WINDOW });
  };
}

/** verify alone, vs verify + checkReplay with a memory and a Redis store. */
export const replay: Suite = {
  name: 'replay',
  title: `verify of a sealed ${PAYLOAD_BYTES}-byte reading (node backend), without and with checkReplay: MemoryReplayStore vs RedisReplayStore`,
  baseline: IMPLEMENTATION,
  figures: ['µs/op', 'spread', 'ops/s'],
  async setup(): Promise<SuiteSetup> {
    const backend = createNodeBackend();
    const te = new TextEncoder();
    const signingKey = (await backend.generateKey('Ed25519')) as SigningKey;
    const trust = (await backend.publicKey(signingKey)) as VerifyingKey;
    const contentKey = (await backend.generateKey('AES-GCM')) as AeadKey;
    const payload = new Uint8Array(PAYLOAD_BYTES).map((_, i) => (i * 151 + 7) & 0xff);
    const subject = `air-quality/bench-${randomUUID()}`;
    const pool = await Promise.all(Array.from({ length: POOL }, (_, sequence) => sealEnvelope(payload, {
      backend,
      signer: { key: signingKey, kid: te.encode('aq-monitor-3') },
      key: { key: contentKey, kid: te.encode('harbour-shared') },
      claims: { issuer: 'aq-monitor-3', subject, sequence },
      attributes: { classification: 'internal', zone: 'harbour' },
    })));
    const verifyOne = (envelope: Uint8Array) => verifyEnvelope(envelope, { backend, trust });

    /* Correctness guard: the pool verifies, a store accepts a message once and refuses it again. */
    const guard = async (store: ReplayStore, name: string) => {
      const facts = await verifyOne(pool[0]!);
      equal((await checkReplay(facts, { store, window: WINDOW })).status, 'fresh', `${name}: first check`);
      const again = await checkReplay(facts, { store, window: WINDOW }).then(() => undefined, (error: unknown) => error);
      ok(ReplayError.isInstance(again) && again.code === 'ERR_REPLAY_DUPLICATE', `${name}: a redelivery is refused`);
    };
    await guard(new MemoryReplayStore(), 'memory');

    let verifyNext = 0;
    const cases: BenchCase[] = [
      { name: ROW.verify, ops: { [IMPLEMENTATION]: () => verifyOne(pool[verifyNext++ % POOL]!) } },
      { name: ROW.memory, ops: { [IMPLEMENTATION]: checkedVerify(pool, verifyOne, () => new MemoryReplayStore()) } },
    ];
    const notes = [
      `Each op verifies one sealed Encrypt0 envelope (Ed25519, AES-256-GCM; not decrypted) and, in the replay rows, ` +
        `runs checkReplay (window ${WINDOW.windowSize}, ids kept ${WINDOW.idTtlSeconds} s) on a never-seen sequence number ` +
        `and id: a pool of ${POOL} envelopes sealed in setup, taken in order, with a fresh store for each pass over the pool.`,
    ];

    const redis = await connectRedis();
    if ('missing' in redis) {
      process.stderr.write(`replay: the Redis row was not run: ${redis.missing}\n`);
      notes.push(`The Redis row was not run: ${redis.missing}.`);
    } else {
      const prefix = `ward:bench:${randomUUID()}:`;
      await guard(new RedisReplayStore(redis.client, { keyPrefix: `${prefix}guard:` }), 'redis');
      cases.push({
        name: ROW.redis,
        ops: { [IMPLEMENTATION]: checkedVerify(pool, verifyOne, (pass) => new RedisReplayStore(redis.client, { keyPrefix: `${prefix}${pass}:` })) },
      });
      notes.push(
        `Redis: ${redis.where}, through node-redis 5 and the store's adapter; one EVALSHA round trip per check over ` +
          'loopback, awaited before the next op, so the row measures latency, not the throughput of many verifiers.',
      );
    }
    return { cases, notes };
  },
};
