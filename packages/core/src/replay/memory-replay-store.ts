/**
 * An in-process {@link ReplayStore} with bounded memory: per stream, the highest sequence
 * number, an anti-replay bitmap window below it (RFC 4303 §3.4.3) and the ids seen.
 *
 * @module
 */
import { checkOptionsObject } from '../backend/validate.js';
import { ArgumentError } from '../errors.js';
import { resolveLimits } from '../limits.js';
import type { ReplayEntry, ReplayStore, ReplayVerdict, ReplayWindowOptions } from './replay-store.js';
import { toHex } from '../bytes.js';

/** Options of {@link MemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * Streams kept at most; when a new stream would exceed it, the least recently used stream's
   * whole state is dropped. Default 10000.
   */
  readonly maxStreams?: number;
  /**
   * Ids kept per stream at most; when full, expired ids are purged and then the oldest
   * recorded id is dropped. Default 4096.
   */
  readonly maxIdsPerStream?: number;
  /** The clock, in seconds since the epoch. Default: the system clock. Inject one in tests. */
  readonly now?: () => number;
}

interface StreamState {
  highest: bigint;
  windowSize: number;
  /** Ring bitmap: bit `s mod windowSize` is set when sequence `s` (inside the window) was accepted. */
  bits: Uint8Array;
  /** Hex id → expiry (seconds), in insertion order. */
  ids: Map<string, number>;
}

function slot(sequence: bigint, windowSize: number): number {
  return Number(sequence % BigInt(windowSize));
}

function getBit(bits: Uint8Array, i: number): boolean {
  return ((bits[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
}

function setBit(bits: Uint8Array, i: number, on: boolean): void {
  const byte = bits[i >> 3] ?? 0;
  bits[i >> 3] = on ? byte | (1 << (i & 7)) : byte & ~(1 << (i & 7));
}

/* The memory bounds by default (limits.ts resolveLimits checks a caller's). */
const DEFAULT_BOUNDS = { maxStreams: 10_000, maxIdsPerStream: 4096 } as const;

/**
 * A {@link ReplayStore} in process memory: per stream, the highest sequence number, a ring
 * bitmap of the `windowSize` sequence numbers up to it (the IPsec/DTLS anti-replay window of
 * RFC 4303 §3.4.3 and RFC 6479), and the ids seen, each kept until `issuedAt + idTtlSeconds`.
 *
 * Memory is bounded: at most `maxStreams` streams (least recently used evicted) of at most
 * `maxIdsPerStream` ids and `windowSize / 8` bitmap bytes each.
 *
 * **Eviction fails open, visibly.** An evicted stream's next message is treated as the first of
 * its stream (`fresh` with `firstSeen: true`), so a replay of a message from an evicted stream
 * is accepted once if it is younger than the id retention; the verdict says `firstSeen` so a
 * caller can apply its own policy. Size `maxStreams` above the number of live producers.
 * Likewise an id dropped early because its stream hit `maxIdsPerStream` is then protected only
 * by the sequence window. Failing closed instead would refuse every message of an evicted
 * stream, which a flood of new streams could then force on honest producers.
 *
 * If `windowSize` changes for a stream, the old bits are kept where both windows overlap and
 * every newly covered sequence number is treated as already seen (fail closed).
 *
 * Each `record` call runs synchronously, so it is atomic within one JavaScript realm. Not
 * shared across processes: use a shared store for a fleet.
 *
 * @example
 * ```ts
 * import { MemoryReplayStore, verifyEnvelope } from '@ward/core';
 * import { checkReplay } from '@ward/core/replay';
 *
 * const store = new MemoryReplayStore({ maxStreams: 50_000 });
 * const facts = await verifyEnvelope(envelope, { backend, trust });
 * const verdict = await checkReplay(facts, { store }); // throws ReplayError on a replay
 * if (verdict.status === 'gap') log.warn('messages missing', { missing: verdict.missing });
 * ```
 */
export class MemoryReplayStore implements ReplayStore {
  readonly #streams = new Map<string, StreamState>();
  readonly #maxStreams: number;
  readonly #maxIds: number;
  readonly #now: () => number;

  /**
   * @param options - bounds and clock; see {@link MemoryReplayStoreOptions}
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` when a bound is not a positive integer or `now` is not a function
   */
  constructor(options: MemoryReplayStoreOptions = {}) {
    checkOptionsObject(options, 'new MemoryReplayStore');
    const bounds = resolveLimits<{ maxStreams: number; maxIdsPerStream: number }>(DEFAULT_BOUNDS, options, { what: 'MemoryReplayStore option' });
    this.#maxStreams = bounds.maxStreams;
    this.#maxIds = bounds.maxIdsPerStream;
    const now = options.now ?? (() => Date.now() / 1000);
    if (typeof now !== 'function') throw new ArgumentError('now must be a function');
    this.#now = now;
  }

  /**
   * The number of streams currently held (at most `maxStreams`).
   *
   * @example
   * ```ts
   * const store = new MemoryReplayStore({ maxStreams: 2 });
   * console.log(store.size); // 0
   * ```
   */
  get size(): number {
    return this.#streams.size;
  }

  /**
   * Atomically checks `entry` against `stream`'s state and records it if acceptable.
   *
   * @param stream - the stream key, normally from `replayStreamKey`
   * @param entry - sequence number, id and issuedAt of the message
   * @param window - window size and id retention
   * @returns the verdict; `duplicate` and `too-old` leave the state unchanged
   * @throws ArgumentError `ERR_INVALID_ARGUMENT` when the entry or window is malformed
   * @example
   * ```ts
   * const store = new MemoryReplayStore({ now: () => 1_700_000_000 });
   * const window = { windowSize: 64, idTtlSeconds: 3600 };
   * const entry = { sequence: 1n, id: new Uint8Array([1]), issuedAt: 1_700_000_000 };
   * store.record('1:a1:b', entry, window); // { status: 'fresh', firstSeen: true, highest: 1n }
   * store.record('1:a1:b', entry, window); // { status: 'duplicate', reason: 'sequence', highest: 1n }
   * ```
   */
  record(stream: string, entry: ReplayEntry, window: ReplayWindowOptions): ReplayVerdict {
    const { sequence, id, issuedAt } = entry;
    const { windowSize, idTtlSeconds } = window;
    if (typeof stream !== 'string') throw new ArgumentError('stream must be a string');
    if (typeof sequence !== 'bigint' || sequence < 0n) throw new ArgumentError('sequence must be a non-negative bigint');
    if (!(id instanceof Uint8Array) || id.length === 0) throw new ArgumentError('id must be non-empty bytes');
    if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) throw new ArgumentError('issuedAt must be a finite number');
    if (!Number.isSafeInteger(windowSize) || windowSize < 1) throw new ArgumentError('windowSize must be a positive integer');
    if (typeof idTtlSeconds !== 'number' || !(idTtlSeconds > 0)) throw new ArgumentError('idTtlSeconds must be positive');

    const now = this.#now();
    const expiry = issuedAt + idTtlSeconds;
    let state = this.#streams.get(stream);
    if (expiry <= now) {
      return state === undefined ? { status: 'too-old', reason: 'expired' } : { status: 'too-old', reason: 'expired', highest: state.highest };
    }

    if (state === undefined) {
      state = { highest: sequence, windowSize, bits: new Uint8Array(Math.ceil(windowSize / 8)), ids: new Map() };
      setBit(state.bits, slot(sequence, windowSize), true);
      this.#remember(state, toHex(id), expiry, now);
      this.#streams.set(stream, state);
      while (this.#streams.size > this.#maxStreams) {
        const oldest = this.#streams.keys().next().value as string;
        this.#streams.delete(oldest);
      }
      return { status: 'fresh', firstSeen: true, highest: sequence };
    }

    // Least recently used: move to the end of the insertion order.
    this.#streams.delete(stream);
    this.#streams.set(stream, state);
    if (state.windowSize !== windowSize) resize(state, windowSize);

    const idKey = toHex(id);
    /* Duplicate id: RFC 9052 has no replay protection, so a captured envelope would verify and
     * open again; its cti is remembered until issuedAt + idTtlSeconds (older ones are too-old). */
    const idExpiry = state.ids.get(idKey);
    if (idExpiry !== undefined && idExpiry > now) return { status: 'duplicate', reason: 'id', highest: state.highest };

    const { highest } = state;
    let verdict: ReplayVerdict;
    if (sequence > highest) {
      const advance = sequence - highest;
      if (advance >= BigInt(windowSize)) {
        state.bits.fill(0);
      } else {
        for (let s = highest + 1n; s <= sequence; s++) setBit(state.bits, slot(s, windowSize), false);
      }
      state.highest = sequence;
      verdict = advance === 1n
        ? { status: 'fresh', firstSeen: false, highest: sequence }
        : { status: 'gap', missing: advance - 1n, highest: sequence };
    } else {
      const behind = highest - sequence;
      /* The sliding window of RFC 4303 §3.4.3: below it, nothing is remembered, so refuse; inside
       * it, a set bit means this sequence number was accepted already (a replay). */
      if (behind >= BigInt(windowSize)) return { status: 'too-old', reason: 'sequence', highest };
      if (getBit(state.bits, slot(sequence, windowSize))) return { status: 'duplicate', reason: 'sequence', highest };
      // The highest's own bit is always set, so `behind` is at least 1 here.
      verdict = { status: 'out-of-order', behind, highest };
    }
    setBit(state.bits, slot(sequence, windowSize), true);
    this.#remember(state, idKey, expiry, now);
    return verdict;
  }

  #remember(state: StreamState, idKey: string, expiry: number, now: number): void {
    const { ids } = state;
    ids.delete(idKey);
    if (ids.size >= this.#maxIds) {
      for (const [key, until] of ids) if (until <= now) ids.delete(key);
      while (ids.size >= this.#maxIds) ids.delete(ids.keys().next().value as string);
    }
    ids.set(idKey, expiry);
  }
}

/** Re-lays the window for a new size; sequence numbers the old window did not cover count as seen. */
function resize(state: StreamState, windowSize: number): void {
  const bits = new Uint8Array(Math.ceil(windowSize / 8));
  for (let behind = 0; behind < windowSize && BigInt(behind) <= state.highest; behind++) {
    const s = state.highest - BigInt(behind);
    const seen = behind >= state.windowSize || getBit(state.bits, slot(s, state.windowSize));
    if (seen) setBit(bits, slot(s, windowSize), true);
  }
  state.bits = bits;
  state.windowSize = windowSize;
}
