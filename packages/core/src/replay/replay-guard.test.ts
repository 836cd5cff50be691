/*
 * checkReplay(): replays and too-old messages are thrown as ReplayErrors, accepted ones are
 * reported (fresh, gap, out-of-order), a failing or nonsensical store fails closed unless
 * `onStoreFailure: 'accept'`, and malformed options or provenance are argument errors.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ReplayError, WardError } from '../errors.js';
import type { Provenance } from '../profile/facts.js';
import { MemoryReplayStore } from './memory-replay-store.js';
import { checkReplay } from './replay-guard.js';
import type { ReplayStore } from './replay-store.js';

const T0 = 1_700_000_000;

function facts(sequence: number | bigint, over: Partial<Provenance> = {}): { provenance: Provenance } {
  return {
    provenance: {
      issuer: 'sensor-7', subject: 'footfall', sequence, issuedAt: T0,
      id: new TextEncoder().encode(`id-${sequence}`), ...over,
    },
  };
}

function newStore() {
  let now = T0;
  return { store: new MemoryReplayStore({ now: () => now }), advance: (s: number) => { now += s; } };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (WardError.isInstance(error)) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('checkReplay', () => {
  it('reports fresh, gap and out-of-order deliveries distinctly', async () => {
    const { store } = newStore();
    expect(await checkReplay(facts(1), { store })).toEqual({ status: 'fresh', firstSeen: true, highest: 1n });
    expect(await checkReplay(facts(2), { store })).toEqual({ status: 'fresh', firstSeen: false, highest: 2n });
    expect(await checkReplay(facts(6), { store })).toEqual({ status: 'gap', missing: 3n, highest: 6n });
    expect(await checkReplay(facts(4), { store })).toEqual({ status: 'out-of-order', behind: 2n, highest: 6n });
  });

  it('accepts number and bigint sequence numbers alike', async () => {
    const { store } = newStore();
    await checkReplay(facts(1), { store });
    expect(await codeOf(checkReplay(facts(1n), { store }))).toBe('ERR_REPLAY_DUPLICATE');
  });

  it('throws ERR_REPLAY_DUPLICATE for a repeated sequence number', async () => {
    const { store } = newStore();
    await checkReplay(facts(1), { store });
    const error = await checkReplay(facts(1), { store }).catch((e: unknown) => e);
    expect(ReplayError.isInstance(error)).toBe(true);
    expect((error as ReplayError).code).toBe('ERR_REPLAY_DUPLICATE');
    expect((error as ReplayError).name).toBe('ReplayError');
  });

  it('throws ERR_REPLAY_DUPLICATE for a repeated id', async () => {
    const { store } = newStore();
    await checkReplay(facts(1), { store });
    expect(await codeOf(checkReplay(facts(2, { id: facts(1).provenance.id }), { store }))).toBe('ERR_REPLAY_DUPLICATE');
  });

  it('throws ERR_REPLAY_TOO_OLD below the window and past the id retention', async () => {
    const { store, advance } = newStore();
    const window = { windowSize: 4, idTtlSeconds: 60 };
    await checkReplay(facts(10), { store, window });
    expect(await codeOf(checkReplay(facts(6), { store, window }))).toBe('ERR_REPLAY_TOO_OLD');
    expect(await codeOf(checkReplay(facts(7), { store, window }))).toBe('accepted');
    advance(60);
    expect(await codeOf(checkReplay(facts(11), { store, window }))).toBe('ERR_REPLAY_TOO_OLD');
  });

  it('keys streams by issuer and subject unambiguously', async () => {
    const { store } = newStore();
    await checkReplay(facts(1, { issuer: 'a:b', subject: 'c' }), { store });
    expect(await codeOf(checkReplay(facts(1, { issuer: 'a', subject: 'b:c' }), { store }))).toBe('accepted');
  });

  describe('store failure', () => {
    const throwing: ReplayStore = { record: () => { throw new Error('connection refused'); } };
    const rejecting: ReplayStore = { record: () => Promise.reject(new Error('timeout')) };
    const nonsense: ReplayStore = { record: () => ({ status: 'maybe' }) as never };

    it.each([['throws', throwing], ['rejects', rejecting], ['answers nonsense', nonsense]])(
      'fails closed by default when the store %s',
      async (_, store) => {
        const error = await checkReplay(facts(1), { store }).catch((e: unknown) => e);
        expect(ReplayError.isInstance(error)).toBe(true);
        expect((error as ReplayError).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
        expect((error as ReplayError).cause).toBeDefined();
      },
    );

    it('fails open, visibly, with onStoreFailure: accept', async () => {
      const check = await checkReplay(facts(1), { store: throwing, onStoreFailure: 'accept' });
      expect(check.status).toBe('unchecked');
      expect((check as { cause: Error }).cause.message).toBe('connection refused');
    });

    it('keeps a store that throws undefined closed', async () => {
      const store: ReplayStore = { record: () => { throw undefined; } };
      expect(await codeOf(checkReplay(facts(1), { store }))).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
    });

    it('does not treat a refusal verdict as a store failure under accept', async () => {
      const { store } = newStore();
      await checkReplay(facts(1), { store });
      expect(await codeOf(checkReplay(facts(1), { store, onStoreFailure: 'accept' }))).toBe('ERR_REPLAY_DUPLICATE');
    });
  });

  it('passes a validated, defaulted window and a bigint sequence to the store', async () => {
    const calls: unknown[] = [];
    const store: ReplayStore = { record: (...args) => { calls.push(args); return { status: 'fresh', firstSeen: true, highest: 3n }; } };
    await checkReplay(facts(3), { store, window: { idTtlSeconds: 5 } });
    expect(calls[0]).toEqual(['8:sensor-78:footfall', { sequence: 3n, id: facts(3).provenance.id, issuedAt: T0 }, { windowSize: 1024, idTtlSeconds: 5 }]);
  });

  it.each([
    ['negative sequence', facts(-1)],
    ['fractional sequence', facts(1.5)],
    ['empty id', facts(1, { id: new Uint8Array() })],
    ['non-numeric issuedAt', facts(1, { issuedAt: 'now' as never })],
  ])('rejects %s with ERR_INVALID_ARGUMENT before touching the store', async (_, f) => {
    const store: ReplayStore = { record: () => { throw new Error('must not be called'); } };
    await expect(checkReplay(f, { store })).rejects.toThrow(ArgumentError);
  });

  it('rejects malformed options', async () => {
    const { store } = newStore();
    await expect(checkReplay(facts(1), {} as never)).rejects.toThrow(ArgumentError);
    await expect(checkReplay(facts(1), { store, onStoreFailure: 'ignore' as never })).rejects.toThrow(ArgumentError);
    await expect(checkReplay(facts(1), { store, window: { windowSize: 0 } })).rejects.toThrow(ArgumentError);
  });

  it('property: any accepted message delivered again is refused with DUPLICATE or TOO_OLD', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 60 }), { maxLength: 50 }),
        fc.integer({ min: 1, max: 16 }),
        async (sequences, windowSize) => {
          const { store } = newStore();
          const window = { windowSize };
          const accepted: number[] = [];
          for (const s of sequences) {
            if ((await codeOf(checkReplay(facts(s), { store, window }))) === 'accepted') accepted.push(s);
          }
          for (const s of accepted) {
            expect(['ERR_REPLAY_DUPLICATE', 'ERR_REPLAY_TOO_OLD']).toContain(await codeOf(checkReplay(facts(s), { store, window })));
          }
        },
      ),
    );
  });
});
