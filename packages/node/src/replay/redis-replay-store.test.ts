/*
 * RedisReplayStore against a real Redis: WARD_REDIS_URL when set (CI starts one), else a private
 * `redis-server` this file starts on a free port and stops at the end. A missing redis-server is
 * a failure, never a skip (`bash scripts/ensure-redis.sh` installs it; the root pretest runs it).
 * The Redis client is node-redis (`redis`, a root dev dependency) behind the store's adapter.
 *
 * The verdict table is MemoryReplayStore's (memory-replay-store.test.ts); a fast-check property
 * then checks that random histories get identical verdicts from both stores. Redis keeps time
 * with TIME, so entries use issuedAt near Redis's clock and expiry is tested with issuedAt in the
 * past (or by waiting about a second for a 1-second retention to run out).
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fc from 'fast-check';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, MemoryReplayStore, ReplayError, sealEnvelope, verifyEnvelope } from '@ward/core';
import { checkReplay, replayStreamKey } from '@ward/core/replay';
import type { AeadKey, ReplayVerdict, ReplayWindowOptions, SigningKey } from '@ward/core';
import { createNodeBackend } from '../node-backend.js';
import { freePort, startRedisServer } from '../../test-kit/redis-server.js';
import type { PrivateRedisServer } from '../../test-kit/redis-server.js';
import { RedisReplayStore } from './redis-replay-store.js';
import type { RedisCommandClient } from './redis-replay-store.js';
import type { VerifierJob, VerifierResult } from './replay-verifier.child.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../../..');
const CHILD = join(HERE, 'replay-verifier.child.ts');
const REDIS_MISSING =
  'redis-server was not found. These tests start private Redis servers (one to kill mid-test even when ' +
  'WARD_REDIS_URL names a server for the rest). Install it: Debian/Ubuntu `apt-get install -y redis-server` ' +
  '(or `bash scripts/ensure-redis.sh` as root, which the root pretest runs), macOS `brew install redis`.';

/* ------------------------------------------------------------------------------------------ */
/* Redis: a private server, node-redis clients, the adapter                                    */

type RedisClient = ReturnType<typeof createClient>;

/** A private server for this file; fails with REDIS_MISSING when there is no redis-server. */
async function privateServer(): Promise<PrivateRedisServer> {
  const started = await startRedisServer();
  if (started === undefined) throw new Error(REDIS_MISSING);
  return started;
}

/** A node-redis client that fails at once when disconnected: no offline queue, no reconnects. */
function redisClient(url: string, errors: unknown[] = []): RedisClient {
  const client = createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: false, connectTimeout: 5_000 } });
  client.on('error', (error: unknown) => errors.push(error));
  return client;
}

/** node-redis behind the store's adapter, as the TSDoc shows. */
function adapter(client: RedisClient): RedisCommandClient {
  return { sendCommand: (args) => client.sendCommand([...args]) };
}

let server: PrivateRedisServer | undefined;
let client: RedisClient;
let redis: RedisCommandClient;
/** Every key this file writes starts with it, so a shared WARD_REDIS_URL server is left as it was. */
const PREFIX = `ward:test:${randomUUID()}:`;
let streams = 0;

beforeAll(async () => {
  const url = process.env.WARD_REDIS_URL ?? (server = await privateServer()).url;
  client = redisClient(url);
  await client.connect();
  redis = adapter(client);
});

afterAll(async () => {
  if (client?.isOpen) {
    for await (const keys of client.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.del(keys);
    }
    await client.close();
  }
  await server?.stop();
});

/** Redis's clock (TIME), in seconds. */
async function redisNow(): Promise<number> {
  const [seconds, micros] = (await redis.sendCommand(['TIME'])) as [string, string];
  return Number(seconds) + Number(micros) / 1e6;
}

/** Polls Redis's clock until it is past `seconds`: how the tests let a short retention run out. */
async function waitForRedisTime(seconds: number): Promise<void> {
  while ((await redisNow()) <= seconds) await new Promise((done) => setTimeout(done, 50));
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/* ------------------------------------------------------------------------------------------ */
/* The verdict table                                                                           */

const W: ReplayWindowOptions = { windowSize: 8, idTtlSeconds: 100 };

/** A store on the shared server and a stream of its own. */
function setup(options: { maxIdsPerStream?: number; keyPrefix?: string } = {}) {
  return { store: new RedisReplayStore(redis, { keyPrefix: PREFIX, ...options }), stream: `stream-${++streams}` };
}

describe('RedisReplayStore: the MemoryReplayStore verdict table, on a real Redis', () => {
  let T0: number;
  /** An entry whose id is the sequence number's bytes (or `idByte` when given), issued at T0 (now). */
  const entry = (sequence: number | bigint, idByte?: number, issuedAt = T0) => {
    const n = BigInt(sequence);
    const id = idByte === undefined ? new TextEncoder().encode(n.toString(16)) : new Uint8Array([idByte, 0xff, 0xfe]);
    return { sequence: n, id, issuedAt };
  };

  beforeAll(async () => {
    T0 = Math.floor(await redisNow());
  });

  it('accepts the first message of a stream as fresh and first-seen, in three keys under one hash tag with a TTL', async () => {
    const { store, stream } = setup();
    expect(await store.record(stream, entry(5), W)).toEqual({ status: 'fresh', firstSeen: true, highest: 5n });
    const tag = `${PREFIX}{${sha256(stream)}}`;
    const keys = [`${tag}:state`, `${tag}:window`, `${tag}:ids`];
    expect(await redis.sendCommand(['EXISTS', ...keys])).toBe(3);
    for (const key of keys) {
      // Kept until 1 ms after issuedAt + idTtlSeconds (T0 + 100 s), measured from Redis's now.
      const ttl = (await redis.sendCommand(['PTTL', key])) as number;
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(100_001);
    }
    expect(await redis.sendCommand(['HGET', `${tag}:state`, 'h'])).toBe('5');
  });

  it('reports the next sequence number as fresh', async () => {
    const { store, stream } = setup();
    await store.record(stream, entry(5), W);
    expect(await store.record(stream, entry(6), W)).toEqual({ status: 'fresh', firstSeen: false, highest: 6n });
  });

  it('reports a gap with the missing count, then accepts the missing ones as out-of-order', async () => {
    const { store, stream } = setup();
    await store.record(stream, entry(1), W);
    expect(await store.record(stream, entry(5), W)).toEqual({ status: 'gap', missing: 3n, highest: 5n });
    expect(await store.record(stream, entry(3), W)).toEqual({ status: 'out-of-order', behind: 2n, highest: 5n });
    expect(await store.record(stream, entry(3, 99), W)).toEqual({ status: 'duplicate', reason: 'sequence', highest: 5n });
  });

  it('refuses the same sequence number as a duplicate', async () => {
    const { store, stream } = setup();
    await store.record(stream, entry(1), W);
    expect(await store.record(stream, entry(1, 42), W)).toEqual({ status: 'duplicate', reason: 'sequence', highest: 1n });
  });

  it('refuses the same id under a new sequence number as a duplicate id, and records nothing', async () => {
    const { store, stream } = setup();
    await store.record(stream, entry(1, 9), W);
    const sameId = { ...entry(2), id: entry(1, 9).id };
    expect(await store.record(stream, sameId, W)).toEqual({ status: 'duplicate', reason: 'id', highest: 1n });
    expect(await store.record(stream, entry(2), W)).toEqual({ status: 'fresh', firstSeen: false, highest: 2n });
  });

  it('forgets ids after issuedAt + idTtlSeconds (Redis\'s clock) and then refuses the message as expired', async () => {
    const { store, stream } = setup();
    const now = await redisNow();
    // Id 9 expires about a second from now; sequence 2 keeps the stream alive for 100 s.
    const early = { ...entry(1, 9), issuedAt: now - 99 };
    await store.record(stream, early, W);
    await store.record(stream, entry(2, 2, now), W);
    await waitForRedisTime(now + 1);
    expect(await store.record(stream, { ...early, sequence: 20n }, W)).toEqual({ status: 'too-old', reason: 'expired', highest: 2n });
    expect(await store.record(stream, { ...early, sequence: 20n, issuedAt: now }, W)).toEqual({ status: 'gap', missing: 17n, highest: 20n });
  });

  it('refuses an expired message even on an unknown stream, and writes no key', async () => {
    const { store, stream } = setup();
    expect(await store.record(stream, entry(1, 1, T0 - 100), W)).toEqual({ status: 'too-old', reason: 'expired' });
    const tag = `${PREFIX}{${sha256(stream)}}`;
    expect(await redis.sendCommand(['EXISTS', `${tag}:state`, `${tag}:window`, `${tag}:ids`])).toBe(0);
  });

  it('refuses sequence numbers below the window as too old', async () => {
    const { store, stream } = setup();
    await store.record(stream, entry(20), W);
    expect((await store.record(stream, entry(13), W)).status).toBe('out-of-order'); // behind 7 < 8
    expect(await store.record(stream, entry(12), W)).toEqual({ status: 'too-old', reason: 'sequence', highest: 20n });
  });

  it('slides the window: bits of overtaken slots are cleared, a jump past the window clears all', async () => {
    const { store, stream } = setup();
    for (let s = 0; s < 8; s++) await store.record(stream, entry(s), W);
    expect((await store.record(stream, entry(10), W)).status).toBe('gap'); // slots of 8, 9, 10 reused
    expect((await store.record(stream, entry(9), W)).status).toBe('out-of-order');
    expect((await store.record(stream, entry(8), W)).status).toBe('out-of-order');
    expect((await store.record(stream, entry(3), W)).status).toBe('duplicate');
    expect(await store.record(stream, entry(1000), W)).toEqual({ status: 'gap', missing: 989n, highest: 1000n });
    expect((await store.record(stream, entry(995), W)).status).toBe('out-of-order');
  });

  it('clears whole bytes and wrapped ranges of a large window exactly', async () => {
    const { store, stream } = setup();
    const window = { windowSize: 1000, idTtlSeconds: 100 };
    // Fill 0..999, then advance by 37 (a range that wraps past slot 999) and by 500 (whole bytes).
    for (let s = 990; s < 1000; s++) await store.record(stream, entry(s), window);
    for (let s = 0; s < 990; s += 97) await store.record(stream, entry(s), window);
    expect(await store.record(stream, entry(1036), window)).toEqual({ status: 'gap', missing: 36n, highest: 1036n });
    expect(await store.record(stream, entry(1000), window)).toEqual({ status: 'out-of-order', behind: 36n, highest: 1036n });
    expect((await store.record(stream, entry(999), window)).status).toBe('duplicate');
    expect(await store.record(stream, entry(1536), window)).toEqual({ status: 'gap', missing: 499n, highest: 1536n });
    expect((await store.record(stream, entry(1036), window)).status).toBe('duplicate');
    expect((await store.record(stream, entry(1035), window)).status).toBe('out-of-order');
    expect((await store.record(stream, entry(536), window)).status).toBe('too-old');
    expect((await store.record(stream, entry(537), window)).status).toBe('out-of-order');
  });

  it('handles sequence numbers beyond 2^64, across 2^64, and up to 2^128 - 1; refuses larger ones', async () => {
    const { store, stream } = setup();
    const big = 2n ** 70n;
    await store.record(stream, entry(big), W);
    expect((await store.record(stream, entry(big + 1n), W)).status).toBe('fresh');
    expect((await store.record(stream, entry(big - 1n), W)).status).toBe('out-of-order');
    expect((await store.record(stream, entry(big - 1n), W)).status).toBe('duplicate');

    const edge = setup();
    const top64 = 2n ** 64n - 1n;
    expect(await edge.store.record(edge.stream, entry(top64 - 1n), W)).toMatchObject({ status: 'fresh', firstSeen: true });
    expect(await edge.store.record(edge.stream, entry(top64 + 1n), W)).toEqual({ status: 'gap', missing: 1n, highest: 2n ** 64n });
    expect(await edge.store.record(edge.stream, entry(top64), W)).toEqual({ status: 'out-of-order', behind: 1n, highest: 2n ** 64n });
    expect(await edge.store.record(edge.stream, entry(2n ** 64n + 1000n), W)).toEqual({ status: 'gap', missing: 999n, highest: 2n ** 64n + 1000n });
    expect(await edge.store.record(edge.stream, entry(2n ** 64n + 992n), W)).toEqual({ status: 'too-old', reason: 'sequence', highest: 2n ** 64n + 1000n });
    expect(await edge.store.record(edge.stream, entry(2n ** 128n - 1n), W))
      .toEqual({ status: 'gap', missing: 2n ** 128n - 2n ** 64n - 1002n, highest: 2n ** 128n - 1n });
    expect(await edge.store.record(edge.stream, entry(0), W)).toEqual({ status: 'too-old', reason: 'sequence', highest: 2n ** 128n - 1n });
    await expect(edge.store.record(edge.stream, entry(2n ** 128n), W)).rejects.toThrow(ArgumentError);
    expect(RedisReplayStore.maxSequence).toBe(2n ** 128n - 1n);
  });

  it('keeps streams apart, and stores with different key prefixes apart', async () => {
    const { store, stream } = setup();
    await store.record(stream, entry(1), W);
    expect((await store.record(`${stream}-other`, entry(1), W)).status).toBe('fresh');
    const elsewhere = new RedisReplayStore(redis, { keyPrefix: `${PREFIX}elsewhere:` });
    expect(await elsewhere.record(stream, entry(1), W)).toEqual({ status: 'fresh', firstSeen: true, highest: 1n });
    const tag = `${PREFIX}elsewhere:{${sha256(stream)}}`;
    expect(await redis.sendCommand(['EXISTS', `${tag}:state`])).toBe(1);
  });

  it('expires an idle stream with its last id: a replay is then too old, the next message first-seen', async () => {
    const { store, stream } = setup();
    const window = { windowSize: 8, idTtlSeconds: 1 };
    const now = await redisNow();
    const message = entry(1, 1, now);
    expect(await store.record(stream, message, window)).toMatchObject({ status: 'fresh', firstSeen: true });
    const tag = `${PREFIX}{${sha256(stream)}}`;
    const keys = [`${tag}:state`, `${tag}:window`, `${tag}:ids`];
    expect(await redis.sendCommand(['EXISTS', ...keys])).toBe(3);
    await waitForRedisTime(now + 1.002); // the keys live until 1 ms after now + 1 s, rounded up to a ms
    expect(await redis.sendCommand(['EXISTS', ...keys])).toBe(0);
    expect(await store.record(stream, message, window)).toEqual({ status: 'too-old', reason: 'expired' });
    expect(await store.record(stream, entry(2, 2, await redisNow()), window)).toEqual({ status: 'fresh', firstSeen: true, highest: 2n });
  });

  it('bounds ids per stream, dropping the soonest-expiring first', async () => {
    const { store, stream } = setup({ maxIdsPerStream: 2 });
    await store.record(stream, entry(1, 1, T0), W);
    await store.record(stream, entry(2, 2, T0 + 1), W);
    await store.record(stream, entry(3, 3, T0 + 2), W); // drops id 1
    expect(await redis.sendCommand(['ZCARD', `${PREFIX}{${sha256(stream)}}:ids`])).toBe(2);
    expect((await store.record(stream, { ...entry(4), id: entry(2, 2).id }, W)).status).toBe('duplicate');
    expect((await store.record(stream, { ...entry(4), id: entry(1, 1).id }, W)).status).toBe('fresh');
  });

  it('fails closed when the window grows: newly covered sequence numbers count as seen', async () => {
    const { store, stream } = setup();
    await store.record(stream, entry(20), W);
    await store.record(stream, entry(21), { windowSize: 4, idTtlSeconds: 100 });
    expect((await store.record(stream, entry(16), W)).status).toBe('duplicate'); // outside the 4-window before
    expect((await store.record(stream, entry(19), W)).status).toBe('out-of-order'); // kept from the overlap
  });

  it('validates options and input, without sending anything', async () => {
    const sent: string[][] = [];
    const spy: RedisCommandClient = { sendCommand: async (args) => { sent.push([...args]); return redis.sendCommand(args); } };
    expect(() => new RedisReplayStore({} as RedisCommandClient)).toThrow(ArgumentError);
    expect(() => new RedisReplayStore(spy, { keyPrefix: 'app:{replay}:' })).toThrow(ArgumentError);
    expect(() => new RedisReplayStore(spy, { timeoutMs: 0 })).toThrow(ArgumentError);
    expect(() => new RedisReplayStore(spy, { maxIdsPerStream: 1.5 })).toThrow(ArgumentError);
    const store = new RedisReplayStore(spy, { keyPrefix: PREFIX });
    const bad: [string, ReturnType<typeof entry>, ReplayWindowOptions][] = [
      ['s', { ...entry(1), sequence: -1n }, W],
      ['s', { ...entry(1), sequence: 2n ** 128n }, W],
      ['s', { ...entry(1), id: new Uint8Array() }, W],
      ['s', { ...entry(1), id: new Uint8Array(65) }, W],
      ['s', { ...entry(1), issuedAt: Number.NaN }, W],
      ['s', { ...entry(1), issuedAt: 2 ** 43 }, W],
      ['s', entry(1), { windowSize: 0, idTtlSeconds: 1 }],
      ['s', entry(1), { windowSize: 65_537, idTtlSeconds: 1 }],
      ['s', entry(1), { windowSize: 8, idTtlSeconds: 0 }],
      ['lone \ud800 surrogate', entry(1), W],
    ];
    for (const [stream, input, window] of bad) await expect(store.record(stream, input, window)).rejects.toThrow(ArgumentError);
    expect(sent).toEqual([]);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Same verdicts as MemoryReplayStore                                                          */

describe('RedisReplayStore and MemoryReplayStore agree', () => {
  it('gives the same verdict as MemoryReplayStore for every record of a random history', async () => {
    const T = Math.floor(await redisNow());
    // The memory store's clock follows Redis's (they agree to within the round trip).
    const skew = (await redisNow()) - Date.now() / 1000;
    const store = new RedisReplayStore(redis, { keyPrefix: PREFIX });
    const step = fc.record({
      /*
       * Relative to the highest sequence number so far: mostly small steps ahead (fresh, gaps that
       * wrap the ring) and behind (late arrivals, redeliveries, below the window), sometimes a jump.
       */
      delta: fc.oneof({ weight: 12, arbitrary: fc.bigInt({ min: -12n, max: 5n }) }, { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }) }),
      /** undefined: the id follows from the sequence number (a redelivery); else one of 6 shared ids. */
      idByte: fc.option(fc.integer({ min: 0, max: 5 }), { freq: 3 }),
      expired: fc.nat({ max: 9 }).map((n) => n < 2),
      windowSize: fc.constantFrom(8, 8, 8, 8, 8, 1, 3, 13, 64),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(0n, 2n ** 64n - 40n, 2n ** 100n), fc.array(step, { maxLength: 60 }), async (base, steps) => {
        const stream = `property-${++streams}-${++runs}`;
        const memory = new MemoryReplayStore({ now: () => Date.now() / 1000 + skew });
        let cursor = base; // the largest sequence number drawn so far
        for (const { delta, idByte, expired, windowSize } of steps) {
          const sequence = cursor + delta < 0n ? 0n : cursor + delta;
          if (sequence > cursor) cursor = sequence;
          const id = idByte === null ? new TextEncoder().encode(`seq ${sequence}`) : Uint8Array.of(idByte);
          // Expired: 100000 s ago, far past the 3600 s retention; else now, far inside it.
          const input = { sequence, id, issuedAt: expired ? T - 100_000 : T };
          const window = { windowSize, idTtlSeconds: 3600 };
          const expected: ReplayVerdict = memory.record(stream, input, window);
          expect(await store.record(stream, input, window)).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Replies, scripts and failures                                                               */

describe('RedisReplayStore: the Redis round trip', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const input = (sequence: bigint) => ({ sequence, id: new TextEncoder().encode(`id ${sequence}`), issuedAt: now() });

  it('runs the script with EVALSHA, falls back to EVAL once on a real NOSCRIPT reply, then uses EVALSHA', async () => {
    const sent: string[][] = [];
    let first = true;
    const spy: RedisCommandClient = {
      sendCommand: async (args) => {
        sent.push([...args]);
        // The first EVALSHA names a script Redis has never seen, so Redis itself answers NOSCRIPT.
        if (first) {
          first = false;
          return redis.sendCommand([args[0]!, '0'.repeat(40), ...args.slice(2)]);
        }
        return redis.sendCommand(args);
      },
    };
    const { stream } = setup();
    const store = new RedisReplayStore(spy, { keyPrefix: PREFIX });
    expect(await store.record(stream, input(1n), W)).toMatchObject({ status: 'fresh', firstSeen: true });
    expect(sent.map((args) => args[0])).toEqual(['EVALSHA', 'EVAL']);
    const sha = createHash('sha1').update(sent[1]![1]!).digest('hex');
    expect(sent[0]![1]).toBe(sha);
    expect(await redis.sendCommand(['SCRIPT', 'EXISTS', sha])).toEqual([1]);
    expect((await store.record(stream, input(2n), W)).status).toBe('fresh');
    expect(sent.map((args) => args[0])).toEqual(['EVALSHA', 'EVAL', 'EVALSHA']);
    expect(sent[2]!.slice(2, 6)).toEqual(['3', ...['state', 'window', 'ids'].map((name) => `${PREFIX}{${sha256(stream)}}:${name}`)]);
  });

  it('refuses a reply that is not a verdict fitting the question, and accepts Buffer words', async () => {
    const replying = (reply: unknown) => new RedisReplayStore({ sendCommand: async () => reply });
    const malformed: unknown[] = [
      null, 42, 'OK', [], ['fresh'], ['fresh', '6'], ['fresh', '5', 'extra'], ['first', '05'], ['gap', '5', '1'],
      ['gap', '5', '9'], ['out-of-order', '9', '3'], ['out-of-order', '13', '8'], ['duplicate-sequence', '4'],
      ['duplicate-sequence', '13'], ['too-old-sequence', '12'], ['duplicate-id'], ['expired', 'x'], ['accepted', '5'],
      ['fresh', 5], [1, '5'], ['fresh', '5'.repeat(40)],
    ];
    for (const reply of malformed) {
      const rejection = await replying(reply).record('s', input(5n), W).then(() => undefined, (error: unknown) => error);
      expect(ReplayError.isInstance(rejection) && rejection.code, JSON.stringify(reply)).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    }
    expect(await replying([Buffer.from('out-of-order'), Buffer.from('9'), Buffer.from('4')]).record('s', input(5n), W))
      .toEqual({ status: 'out-of-order', behind: 4n, highest: 9n });
    expect(await replying(['too-old-sequence', '13']).record('s', input(5n), W)).toEqual({ status: 'too-old', reason: 'sequence', highest: 13n });
  });

  it('rejects when the stream state in Redis is corrupt (the script refuses to guess)', async () => {
    const { store, stream } = setup();
    await store.record(stream, input(1n), W);
    await redis.sendCommand(['HSET', `${PREFIX}{${sha256(stream)}}:state`, 'h', 'not a number']);
    const rejection = await store.record(stream, input(2n), W).then(() => undefined, (error: unknown) => error);
    expect(ReplayError.isInstance(rejection) && rejection.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(((rejection as Error).cause as Error).message).toMatch(/corrupt stream state/);
  });

  it('rejects when the client never answers, after timeoutMs; checkReplay then fails closed', async () => {
    const hung: RedisCommandClient = { sendCommand: () => new Promise<never>(() => {}) };
    const store = new RedisReplayStore(hung, { timeoutMs: 50 });
    await expect(store.record('s', input(1n), W)).rejects.toThrow(/no reply within 50 ms/);
    const facts = { provenance: { issuer: 'meter-1', subject: 'power', sequence: 1, issuedAt: now(), id: Uint8Array.of(1) } };
    const refusal = await checkReplay(facts, { store }).then(() => undefined, (error: unknown) => error);
    expect(ReplayError.isInstance(refusal) && refusal.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    expect(await checkReplay(facts, { store, onStoreFailure: 'accept' })).toMatchObject({ status: 'unchecked' });
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Redis down                                                                                  */

describe('RedisReplayStore when Redis is down', () => {
  const facts = (sequence: number) => ({
    provenance: { issuer: 'meter-1', subject: `down-${randomUUID()}`, sequence, issuedAt: Math.floor(Date.now() / 1000), id: Uint8Array.of(sequence) },
  });

  /** checkReplay refuses (fail closed) by default, and answers `unchecked` with `onStoreFailure: 'accept'`. */
  async function expectFailClosed(store: RedisReplayStore): Promise<unknown> {
    const refusal = await checkReplay(facts(1), { store }).then(() => undefined, (error: unknown) => error);
    expect(ReplayError.isInstance(refusal) && refusal.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    const storeError = (refusal as Error).cause;
    expect(ReplayError.isInstance(storeError) && storeError.code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    const accepted = await checkReplay(facts(2), { store, onStoreFailure: 'accept' });
    expect(accepted.status).toBe('unchecked');
    return (storeError as Error).cause;
  }

  it('fails closed when nothing listens on the port', async () => {
    const port = await freePort();
    const errors: unknown[] = [];
    const offline = redisClient(`redis://127.0.0.1:${port}`, errors);
    await expect(offline.connect()).rejects.toThrow();
    const cause = await expectFailClosed(new RedisReplayStore(adapter(offline)));
    expect(cause).toBeInstanceOf(Error); // node-redis's own error, kept as the cause
  });

  it('fails closed within the timeout when the server accepts connections but never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => { sockets.push(socket); socket.resume(); });
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const { port } = silent.address() as { port: number };
    // node-redis's defaults here (offline queue on), so its commands wait for a handshake that never ends.
    const stuck = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    stuck.on('error', () => {});
    const connecting = stuck.connect().catch(() => undefined);
    try {
      const cause = await expectFailClosed(new RedisReplayStore(adapter(stuck), { timeoutMs: 200 }));
      expect(cause).toBeUndefined(); // a timeout, not a client error
    } finally {
      stuck.destroy();
      await connecting;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => silent.close(() => done()));
    }
  });

  it('fails closed once its Redis is killed mid-test', async () => {
    const doomed = await privateServer();
    const errors: unknown[] = [];
    const doomedClient = redisClient(doomed.url, errors);
    await doomedClient.connect();
    const store = new RedisReplayStore(adapter(doomedClient));
    try {
      expect((await checkReplay(facts(1), { store })).status).toBe('fresh');
      await doomed.stop();
      await expectFailClosed(store);
    } finally {
      if (doomedClient.isOpen) doomedClient.destroy();
      await doomed.stop();
    }
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Sealed envelopes, and two verifier processes sharing one window                             */

describe('RedisReplayStore with sealed envelopes', () => {
  const backend = createNodeBackend();
  let signer: { key: SigningKey; kid: Uint8Array };
  let content: { key: AeadKey; kid: Uint8Array };
  let publicKey: Uint8Array;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    signer = { key: await backend.generateKey('Ed25519'), kid: new TextEncoder().encode('meter-7') };
    content = { key: await backend.generateKey('AES-GCM'), kid: new TextEncoder().encode('grid-shared') };
    publicKey = await backend.exportKey(await backend.publicKey(signer.key));
    dir = mkdtempSync(join(tmpdir(), 'ward-replay-'));
    url = process.env.WARD_REDIS_URL ?? server!.url;
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Seals one 32-byte reading per sequence number on `subject` and writes each to a file. */
  async function sealAll(subject: string, sequences: readonly number[]): Promise<{ paths: string[]; envelopes: Uint8Array[] }> {
    const envelopes = await Promise.all(sequences.map((sequence) => sealEnvelope(new Uint8Array(32).fill(sequence), {
      backend, signer, key: content, claims: { issuer: 'meter-7', subject, sequence }, attributes: { classification: 'internal' },
    })));
    const paths = envelopes.map((envelope, index) => {
      const path = join(dir, `${subject.replaceAll('/', '_')}-${index}.cose`);
      writeFileSync(path, envelope);
      return path;
    });
    return { paths, envelopes };
  }

  /** Starts one verifier process; `go(startAt)` lets it start checking at that wall-clock ms, `done` is its results. */
  function startVerifier(name: string, envelopes: readonly string[]) {
    const job: VerifierJob = {
      redisUrl: url, keyPrefix: PREFIX, publicKey: Buffer.from(publicKey).toString('base64'), envelopes, windowSize: 1024,
    };
    const jobPath = join(dir, `${name}-${randomUUID()}.json`);
    writeFileSync(jobPath, JSON.stringify(job));
    const child = spawn(process.execPath, ['--conditions=@ward/source', '--import', 'tsx', CHILD, jobPath], {
      cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let onReady: () => void = () => {};
    const ready = new Promise<void>((done) => { onReady = done; });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('{"ready":true}\n')) onReady();
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const done = new Promise<VerifierResult[]>((resolveResults, fail) => {
      child.once('error', fail);
      child.once('exit', (code) => {
        const last = stdout.trim().split('\n').at(-1) ?? '';
        if (code !== 0 || !last.startsWith('{"results"')) fail(new Error(`verifier ${name} exited ${code}:\n${stdout}\n${stderr}`));
        else resolveResults((JSON.parse(last) as { results: VerifierResult[] }).results);
      });
    });
    // A child that dies before it is ready must not leave `ready` pending: surface its error.
    const readyOrDead = Promise.race([ready, done.then(() => { throw new Error(`verifier ${name} ended before ready`); })]);
    return { ready: readyOrDead, done, go: (startAt = Date.now()) => child.stdin.end(`${startAt}\n`) };
  }

  it('checkReplay accepts a verified envelope once and refuses its redelivery', async () => {
    const store = new RedisReplayStore(redis, { keyPrefix: PREFIX });
    const { envelopes } = await sealAll(`power/in-process-${randomUUID()}`, [0]);
    const facts = await verifyEnvelope(envelopes[0]!, { backend, trust: await backend.publicKey(signer.key) });
    expect(await checkReplay(facts, { store })).toEqual({ status: 'fresh', firstSeen: true, highest: 0n });
    const refusal = await checkReplay(facts, { store }).then(() => undefined, (error: unknown) => error);
    expect(ReplayError.isInstance(refusal) && refusal.code).toBe('ERR_REPLAY_DUPLICATE');
  });

  it('process A accepts an envelope; process B, given the same envelope, refuses it as a duplicate', async () => {
    const { paths } = await sealAll(`power/two-verifiers-${randomUUID()}`, [0]);
    const a = startVerifier('a', paths);
    await a.ready;
    a.go();
    expect(await a.done).toEqual([{ index: 0, accepted: true, status: 'fresh' }]);
    const b = startVerifier('b', paths);
    await b.ready;
    b.go();
    expect(await b.done).toEqual([{ index: 0, accepted: false, code: 'ERR_REPLAY_DUPLICATE' }]);
  });

  it('two processes racing over the same 50 envelopes accept each exactly once', async () => {
    const subject = `power/race-${randomUUID()}`;
    const count = 50;
    const { paths } = await sealAll(subject, Array.from({ length: count }, (_, i) => i));
    const a = startVerifier('race-a', paths);
    const b = startVerifier('race-b', paths);
    await Promise.all([a.ready, b.ready]);
    const startAt = Date.now() + 250;
    a.go(startAt);
    b.go(startAt);
    const [fromA, fromB] = await Promise.all([a.done, b.done]);
    for (let index = 0; index < count; index++) {
      const outcomes = [fromA[index], fromB[index]];
      expect(outcomes.filter((result) => result?.accepted === true), `envelope ${index}`).toHaveLength(1);
      expect(outcomes.find((result) => result?.accepted === false), `envelope ${index}`)
        .toEqual({ index, accepted: false, code: 'ERR_REPLAY_DUPLICATE' });
    }
    const accepted = [...fromA, ...fromB].filter((result) => result.accepted);
    expect(accepted).toHaveLength(count);
    const stream = replayStreamKey('meter-7', subject);
    expect(await redis.sendCommand(['HGET', `${PREFIX}{${sha256(stream)}}:state`, 'h'])).toBe(String(count - 1));
  });
});
