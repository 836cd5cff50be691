/*
 * MemoryReplayStore: the RFC 4303 §3.4.3 sliding window (fresh, gap, out-of-order, duplicate,
 * too-old), duplicate ids within their retention, bounded memory (streams and ids evicted), and
 * its options; with properties over random delivery orders.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../errors.js';
import { MemoryReplayStore } from './memory-replay-store.js';
import type { ReplayVerdict, ReplayWindowOptions } from './replay-store.js';

const T0 = 1_700_000_000;
const W: ReplayWindowOptions = { windowSize: 8, idTtlSeconds: 100 };

/** An entry whose id is the sequence number's bytes (or `idByte` when given). */
function entry(sequence: number | bigint, idByte?: number, issuedAt = T0) {
  const n = BigInt(sequence);
  const id = idByte === undefined ? new TextEncoder().encode(n.toString(16)) : new Uint8Array([idByte, 0xff, 0xfe]);
  return { sequence: n, id, issuedAt };
}

function setup(options: { maxStreams?: number; maxIdsPerStream?: number } = {}) {
  let now = T0;
  const store = new MemoryReplayStore({ ...options, now: () => now });
  return { store, advance: (s: number) => { now += s; } };
}

describe('MemoryReplayStore', () => {
  it('accepts the first message of a stream as fresh and first-seen', () => {
    const { store } = setup();
    expect(store.record('s', entry(5), W)).toEqual({ status: 'fresh', firstSeen: true, highest: 5n });
    expect(store.size).toBe(1);
  });

  it('reports the next sequence number as fresh', () => {
    const { store } = setup();
    store.record('s', entry(5), W);
    expect(store.record('s', entry(6), W)).toEqual({ status: 'fresh', firstSeen: false, highest: 6n });
  });

  it('reports a gap with the missing count, then accepts the missing ones as out-of-order', () => {
    const { store } = setup();
    store.record('s', entry(1), W);
    expect(store.record('s', entry(5), W)).toEqual({ status: 'gap', missing: 3n, highest: 5n });
    expect(store.record('s', entry(3), W)).toEqual({ status: 'out-of-order', behind: 2n, highest: 5n });
    expect(store.record('s', entry(3, 99), W)).toEqual({ status: 'duplicate', reason: 'sequence', highest: 5n });
  });

  it('refuses the same sequence number as a duplicate', () => {
    const { store } = setup();
    store.record('s', entry(1), W);
    expect(store.record('s', entry(1, 42), W)).toEqual({ status: 'duplicate', reason: 'sequence', highest: 1n });
  });

  it('refuses the same id under a new sequence number as a duplicate id, and records nothing', () => {
    const { store } = setup();
    store.record('s', entry(1, 9), W);
    const sameId = { ...entry(2), id: entry(1, 9).id };
    expect(store.record('s', sameId, W)).toEqual({ status: 'duplicate', reason: 'id', highest: 1n });
    expect(store.record('s', entry(2), W)).toEqual({ status: 'fresh', firstSeen: false, highest: 2n });
  });

  it('forgets ids after issuedAt + idTtlSeconds and then refuses the message as expired', () => {
    const { store, advance } = setup();
    store.record('s', entry(1, 9), W);
    advance(100);
    const sameId = { ...entry(20), id: entry(1, 9).id };
    expect(store.record('s', sameId, W)).toEqual({ status: 'too-old', reason: 'expired', highest: 1n });
    expect(store.record('s', { ...sameId, issuedAt: T0 + 100 }, W).status).toBe('gap');
  });

  it('refuses an expired message even on an unknown stream', () => {
    const { store } = setup();
    expect(store.record('new', entry(1, 1, T0 - 100), W)).toEqual({ status: 'too-old', reason: 'expired' });
    expect(store.size).toBe(0);
  });

  it('refuses sequence numbers below the window as too old', () => {
    const { store } = setup();
    store.record('s', entry(20), W);
    expect(store.record('s', entry(13), W).status).toBe('out-of-order'); // behind 7 < 8
    expect(store.record('s', entry(12), W)).toEqual({ status: 'too-old', reason: 'sequence', highest: 20n });
  });

  it('slides the window: bits of overtaken slots are cleared, a jump past the window clears all', () => {
    const { store } = setup();
    for (let s = 0; s < 8; s++) store.record('s', entry(s), W);
    expect(store.record('s', entry(10), W).status).toBe('gap'); // slots of 8, 9, 10 reused
    expect(store.record('s', entry(9), W).status).toBe('out-of-order');
    expect(store.record('s', entry(8), W).status).toBe('out-of-order');
    expect(store.record('s', entry(3), W).status).toBe('duplicate');
    expect(store.record('s', entry(1000), W)).toEqual({ status: 'gap', missing: 989n, highest: 1000n });
    expect(store.record('s', entry(995), W).status).toBe('out-of-order');
  });

  it('handles sequence numbers beyond 2^64', () => {
    const { store } = setup();
    const big = 2n ** 70n;
    store.record('s', entry(big), W);
    expect(store.record('s', entry(big + 1n), W).status).toBe('fresh');
    expect(store.record('s', entry(big - 1n), W).status).toBe('out-of-order');
    expect(store.record('s', entry(big - 1n), W).status).toBe('duplicate');
  });

  it('keeps streams apart', () => {
    const { store } = setup();
    store.record('a', entry(1), W);
    expect(store.record('b', entry(1), W).status).toBe('fresh');
  });

  it('evicts the least recently used stream, whose next message is then first-seen', () => {
    const { store } = setup({ maxStreams: 2 });
    store.record('a', entry(1), W);
    store.record('b', entry(1), W);
    store.record('a', entry(2), W); // a is now most recent
    store.record('c', entry(1), W); // evicts b
    expect(store.size).toBe(2);
    expect(store.record('a', entry(2), W).status).toBe('duplicate');
    expect(store.record('b', entry(1), W)).toEqual({ status: 'fresh', firstSeen: true, highest: 1n });
  });

  it('bounds ids per stream, purging expired ones first', () => {
    const { store, advance } = setup({ maxIdsPerStream: 2 });
    store.record('s', entry(1, 1), W);
    store.record('s', entry(2, 2), W);
    store.record('s', entry(3, 3), W); // drops id 1
    expect(store.record('s', { ...entry(4), id: entry(2, 2).id }, W).status).toBe('duplicate');
    expect(store.record('s', { ...entry(4), id: entry(1, 1).id }, W).status).toBe('fresh');
    advance(50);
    expect(store.record('s', entry(5, 5, T0 + 50), W).status).toBe('fresh');
  });

  it('fails closed when the window grows: newly covered sequence numbers count as seen', () => {
    const { store } = setup();
    store.record('s', entry(20), W);
    store.record('s', entry(21), { windowSize: 4, idTtlSeconds: 100 });
    expect(store.record('s', entry(16), W).status).toBe('duplicate'); // outside the 4-window before
    expect(store.record('s', entry(19), W).status).toBe('out-of-order'); // kept from the overlap
  });

  it('validates options and input', () => {
    expect(() => new MemoryReplayStore({ maxStreams: 0 })).toThrow(ArgumentError);
    expect(() => new MemoryReplayStore({ maxIdsPerStream: 1.5 })).toThrow(ArgumentError);
    const { store } = setup();
    expect(() => store.record('s', { ...entry(1), sequence: -1n }, W)).toThrow(ArgumentError);
    expect(() => store.record('s', { ...entry(1), id: new Uint8Array() }, W)).toThrow(ArgumentError);
    expect(() => store.record('s', { ...entry(1), issuedAt: Number.NaN }, W)).toThrow(ArgumentError);
    expect(() => store.record('s', entry(1), { windowSize: 0, idTtlSeconds: 1 })).toThrow(ArgumentError);
  });

  describe('properties', () => {
    const accepted = (v: ReplayVerdict) => v.status === 'fresh' || v.status === 'gap' || v.status === 'out-of-order';

    it('(a) distinct deliveries are never duplicates; a refusal is only ever too-old below the window', () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.bigInt({ min: 0n, max: 200n }), { maxLength: 120 }),
          fc.integer({ min: 1, max: 32 }),
          (sequences, windowSize) => {
            const { store } = setup();
            const window = { windowSize, idTtlSeconds: 1000 };
            let highest = -1n;
            for (const s of sequences) {
              const v = store.record('s', entry(s), window);
              expect(v.status).not.toBe('duplicate');
              if (highest >= 0n && highest - s >= BigInt(windowSize)) expect(v).toMatchObject({ status: 'too-old', reason: 'sequence' });
              else expect(accepted(v)).toBe(true);
              if (s > highest) highest = s;
            }
          },
        ),
      );
    });

    it('(b) redelivering any accepted message is refused as duplicate or too-old', () => {
      fc.assert(
        fc.property(
          fc.array(fc.bigInt({ min: 0n, max: 100n }), { maxLength: 80 }),
          fc.array(fc.nat({ max: 200 }), { maxLength: 40 }),
          fc.integer({ min: 1, max: 16 }),
          (sequences, replays, windowSize) => {
            const { store, advance } = setup();
            const window = { windowSize, idTtlSeconds: 30 };
            const done: ReturnType<typeof entry>[] = [];
            for (const s of sequences) {
              const e = entry(s);
              if (accepted(store.record('s', e, window))) done.push(e);
              advance(1);
            }
            for (const i of replays) {
              if (done.length === 0) break;
              const e = done[i % done.length]!;
              expect(['duplicate', 'too-old']).toContain(store.record('s', e, window).status);
            }
          },
        ),
      );
    });

    it('(c) memory stays bounded: never more than maxStreams streams', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat({ max: 500 }), fc.bigInt({ min: 0n, max: 50n })), { maxLength: 300 }),
          fc.integer({ min: 1, max: 20 }),
          (deliveries, maxStreams) => {
            const { store } = setup({ maxStreams });
            for (const [stream, s] of deliveries) {
              store.record(`stream-${stream}`, entry(s), W);
              expect(store.size).toBeLessThanOrEqual(maxStreams);
            }
          },
        ),
      );
    });
  });
});
