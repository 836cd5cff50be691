/**
 * The {@link ReplayStore} seam: where a verifier keeps the per-stream replay state (highest
 * sequence number, the anti-replay window below it, and recently seen ids).
 *
 * @module
 */
import { ArgumentError } from '../errors.js';
import type { MaybePromise } from '../backend/crypto-backend.js';
import type { ReplayCheck } from '../profile/facts.js';

/**
 * How far back a verifier remembers. The defaults are {@link DEFAULT_REPLAY_WINDOW}.
 */
export interface ReplayWindowOptions {
  /**
   * Sequence numbers tracked per stream, counting the highest one seen (RFC 4303 §3.4.3).
   * A sequence number `s` with `highest - s >= windowSize` is too old; one inside the window
   * is accepted once. An integer in 1..65536; default 1024.
   */
  readonly windowSize: number;
  /**
   * Seconds an id is remembered after the message's `issuedAt`. A message whose
   * `issuedAt + idTtlSeconds` is not after the store's clock is refused as too old, so every
   * message the store accepts has its id still on record. An integer in 1..2^31; default 86400.
   */
  readonly idTtlSeconds: number;
}

/** The defaults: a 1024-message window and ids remembered for 24 hours. */
export const DEFAULT_REPLAY_WINDOW: ReplayWindowOptions = Object.freeze({ windowSize: 1024, idTtlSeconds: 86_400 });

/** What a {@link ReplayStore} is asked to check and record for one message. */
export interface ReplayEntry {
  /** The producer's sequence number, a non-negative integer. */
  readonly sequence: bigint;
  /** The message's unique id (CWT `cti`), 1..64 bytes. */
  readonly id: Uint8Array;
  /** The message's `issuedAt`, seconds since the epoch. */
  readonly issuedAt: number;
}

/**
 * A {@link ReplayStore}'s answer for one message. The first three statuses mean the message
 * was accepted and recorded; the last two mean it was refused and nothing was recorded.
 *
 * - `fresh`: the next sequence number (`highest + 1`), or the first message of a stream the
 *   store has no state for (`firstSeen: true`; after an eviction too).
 * - `gap`: a sequence number above `highest + 1`; `missing` numbers were skipped. They stay
 *   acceptable, as `out-of-order`, while they are inside the window.
 * - `out-of-order`: a not-yet-seen sequence number inside the window, `behind` below the highest.
 * - `duplicate`: the sequence number (`reason: 'sequence'`) or the id (`reason: 'id'`) was
 *   already accepted on this stream.
 * - `too-old`: the sequence number is below the window (`reason: 'sequence'`), or the message is
 *   older than the id retention (`reason: 'expired'`).
 *
 * `highest` is the stream's highest accepted sequence number after the call (absent when the
 * store holds no state for the stream).
 */
export type ReplayVerdict =
  /* The accepted statuses are the ones checkReplay() returns (ReplayCheck, profile/facts.ts), written once. */
  | Exclude<ReplayCheck, { readonly status: 'unchecked' }>
  | { readonly status: 'duplicate'; readonly reason: 'sequence' | 'id'; readonly highest: bigint }
  | { readonly status: 'too-old'; readonly reason: 'sequence' | 'expired'; readonly highest?: bigint };

/**
 * Where replay state lives. {@link MemoryReplayStore} keeps it in one process; a shared store
 * (for instance Redis, in `@ward/node`) lets a fleet of verifiers share one window per stream.
 *
 * **Atomicity contract.** {@link ReplayStore.record} is one check-and-record: the verdict and
 * the state change it implies happen as a single atomic step with respect to every other
 * `record` call on the same `stream`, so two concurrent deliveries of one message can never
 * both be accepted. A store must not split it into a read and a later write. A Redis store does
 * it in one round trip with one Lua script (`EVALSHA`) over the stream's keys, all under one
 * hash tag so they share a cluster slot: the script reads the clock with `TIME`, refuses an
 * expired `issuedAt`, checks the id with `EXISTS` on an id key (or a sorted set scored by
 * expiry), reads `highest` and the window bitmap (`GETBIT` at `sequence mod windowSize`),
 * and only when accepting clears the slots the window slides over, `SETBIT`s the new slot,
 * stores `highest`, and `SET`s the id with `PXAT`/`EXAT` at `issuedAt + idTtlSeconds`.
 * Sequence numbers travel as decimal strings (Lua numbers are doubles).
 *
 * **Clock.** The store, not the caller, decides "now" (the shared store's clock, so a fleet
 * agrees on expiry).
 *
 * **Rejections are verdicts, not exceptions.** `duplicate` and `too-old` are returned; a
 * store throws (or rejects) only when it cannot answer, and the caller then fails closed
 * (see `checkReplay`'s `onStoreFailure`).
 */
export interface ReplayStore {
  /**
   * Atomically checks `entry` against the state of `stream` and, if it is acceptable,
   * records it (see the atomicity contract on {@link ReplayStore}).
   *
   * @param stream - an unambiguous stream key, normally {@link replayStreamKey}
   * @param entry - the message's sequence number, id and issuedAt
   * @param window - the window to apply; a store may assume it is the same on every call for a stream
   * @returns the verdict; `duplicate` and `too-old` leave the state unchanged
   * @throws anything, when the store cannot answer; callers treat that as store unavailability
   */
  record(stream: string, entry: ReplayEntry, window: ReplayWindowOptions): MaybePromise<ReplayVerdict>;
}

/**
 * The unambiguous key of a producer's stream: issuer and subject, each prefixed by its length,
 * so that no two different pairs share a key (`"a:b" + "c"` and `"a" + "b:c"` differ).
 *
 * @param issuer - the producer identity (provenance `issuer`)
 * @param subject - the stream or subject (provenance `subject`)
 * @returns `"<issuer length>:<issuer><subject length>:<subject>"`
 * @throws ArgumentError `ERR_INVALID_ARGUMENT` when either is not a string
 * @example
 * ```ts
 * import { replayStreamKey } from '@ward/core/replay';
 *
 * replayStreamKey('sensor-7', 'footfall/market-square'); // '8:sensor-722:footfall/market-square'
 * ```
 */
export function replayStreamKey(issuer: string, subject: string): string {
  if (typeof issuer !== 'string' || typeof subject !== 'string') {
    throw new ArgumentError('issuer and subject must be strings');
  }
  return `${issuer.length}:${issuer}${subject.length}:${subject}`;
}

/**
 * Checks a {@link ReplayWindowOptions} and fills in defaults for missing fields.
 *
 * @param window - a partial window, or undefined for {@link DEFAULT_REPLAY_WINDOW}
 * @returns a complete, validated window
 * @throws ArgumentError `ERR_INVALID_ARGUMENT` when `windowSize` is not an integer in
 *   1..65536 or `idTtlSeconds` is not an integer in 1..2^31
 * @example
 * ```ts
 * import { resolveReplayWindow } from '@ward/core/replay';
 *
 * resolveReplayWindow({ windowSize: 64 }); // { windowSize: 64, idTtlSeconds: 86400 }
 * ```
 */
export function resolveReplayWindow(window?: Partial<ReplayWindowOptions>): ReplayWindowOptions {
  const windowSize = window?.windowSize ?? DEFAULT_REPLAY_WINDOW.windowSize;
  const idTtlSeconds = window?.idTtlSeconds ?? DEFAULT_REPLAY_WINDOW.idTtlSeconds;
  if (!Number.isSafeInteger(windowSize) || windowSize < 1 || windowSize > 65_536) {
    throw new ArgumentError('windowSize must be an integer in 1..65536');
  }
  if (!Number.isSafeInteger(idTtlSeconds) || idTtlSeconds < 1 || idTtlSeconds > 2 ** 31) {
    throw new ArgumentError('idTtlSeconds must be an integer in 1..2^31');
  }
  return { windowSize, idTtlSeconds };
}
