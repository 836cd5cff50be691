/**
 * checkReplay(): sequence-number and id replay checks for verified envelopes. RFC 9052 has no
 * replay protection: a captured COSE message verifies, and opens, as often as it is delivered
 * (a replayed door-open or meter reading). Ward's guard keeps, per producer stream, the sliding
 * window of RFC 4303 §3.4.3 (IPsec ESP anti-replay) over the signed sequence number, and the
 * signed ids (CWT `cti`, RFC 8392 §3.1.7) for a retention time.
 *
 * @module
 */
import { ArgumentError, ReplayError } from '../errors.js';
import type { Provenance, ReplayCheck } from '../profile/facts.js';
import { replayStreamKey, resolveReplayWindow } from './replay-store.js';
import type { ReplayStore, ReplayVerdict, ReplayWindowOptions } from './replay-store.js';

/** Options of {@link checkReplay}. */
export interface CheckReplayOptions {
  /** Where the per-stream state lives, e.g. a `MemoryReplayStore`. */
  readonly store: ReplayStore;
  /** Window size and id retention; missing fields default to `DEFAULT_REPLAY_WINDOW` (1024, 86400 s). */
  readonly window?: Partial<ReplayWindowOptions>;
  /**
   * What to do when the store throws or answers nonsense: `'reject'` (default) throws
   * `ERR_REPLAY_STORE_UNAVAILABLE`; `'accept'` returns `{ status: 'unchecked' }`.
   */
  readonly onStoreFailure?: 'reject' | 'accept';
}

const STATUSES = new Set(['fresh', 'gap', 'out-of-order', 'duplicate', 'too-old']);

function isVerdict(value: unknown): value is ReplayVerdict {
  return typeof value === 'object' && value !== null && STATUSES.has((value as { status?: unknown }).status as string);
}

function toBigInt(sequence: unknown): bigint {
  if (typeof sequence === 'bigint' && sequence >= 0n) return sequence;
  if (typeof sequence === 'number' && Number.isSafeInteger(sequence) && sequence >= 0) return BigInt(sequence);
  throw new ArgumentError('provenance.sequence must be a non-negative integer');
}

/**
 * Checks a verified envelope's sequence number and id against its stream's replay window
 * (stream = issuer + subject) and records it. Call it after `verifyEnvelope()` or `openEnvelope()`, only for
 * envelopes whose signature verified, so that forged messages cannot move the window.
 *
 * Duplicates (same sequence number or same id already accepted on the stream) and messages
 * below the window or older than the id retention are thrown; gaps and in-window reordering
 * are accepted and reported in the result. A store failure fails closed unless
 * `onStoreFailure: 'accept'`.
 *
 * @param facts - the verified facts, or anything with their `provenance`
 * @param options - the store, window (default 1024 sequence numbers, ids kept 86400 s) and failure policy
 * @returns how the message fits its stream: `fresh`, `gap`, `out-of-order` or `unchecked`
 * @throws ReplayError `ERR_REPLAY_DUPLICATE` when the sequence number or id was already accepted
 * @throws ReplayError `ERR_REPLAY_TOO_OLD` when the sequence number is below the window or the
 *   message is older than `idTtlSeconds`
 * @throws ReplayError `ERR_REPLAY_STORE_UNAVAILABLE` when the store throws or answers nonsense
 *   and `onStoreFailure` is `'reject'` (the default); the store's error is the `cause`
 * @throws ArgumentError `ERR_INVALID_ARGUMENT` when the options, window or provenance are malformed
 * @example
 * ```ts
 * import { MemoryReplayStore, ReplayError, verifyEnvelope } from '@ward/core';
 * import { checkReplay } from '@ward/core/replay';
 *
 * const store = new MemoryReplayStore();
 * const facts = await verifyEnvelope(envelope, { backend, trust });
 * try {
 *   const check = await checkReplay(facts, { store, window: { windowSize: 256 } });
 *   if (check.status === 'gap') log.warn('missing messages', { missing: check.missing });
 * } catch (error) {
 *   if (ReplayError.isInstance(error)) log.warn('replay refused', { code: error.code });
 *   throw error;
 * }
 * ```
 */
export async function checkReplay(
  facts: { readonly provenance: Provenance },
  options: CheckReplayOptions,
): Promise<ReplayCheck> {
  if (typeof options !== 'object' || options === null) throw new ArgumentError('options must be an object');
  const { store, onStoreFailure = 'reject' } = options;
  if (typeof store !== 'object' || store === null || typeof store.record !== 'function') {
    throw new ArgumentError('options.store must be a ReplayStore');
  }
  if (onStoreFailure !== 'reject' && onStoreFailure !== 'accept') {
    throw new ArgumentError("onStoreFailure must be 'reject' or 'accept'");
  }
  const window = resolveReplayWindow(options.window);
  const provenance = facts?.provenance;
  if (typeof provenance !== 'object' || provenance === null) throw new ArgumentError('facts.provenance is missing');
  const { issuer, subject, id, issuedAt } = provenance;
  const sequence = toBigInt(provenance.sequence);
  const stream = replayStreamKey(issuer, subject);
  if (!(id instanceof Uint8Array) || id.length === 0) throw new ArgumentError('provenance.id must be non-empty bytes');
  if (typeof issuedAt !== 'number' || !Number.isFinite(issuedAt)) throw new ArgumentError('provenance.issuedAt must be a number');

  let verdict: unknown;
  let failure: unknown;
  try {
    verdict = await store.record(stream, { sequence, id, issuedAt }, window);
    if (!isVerdict(verdict)) failure = new TypeError('replay store returned no verdict');
  } catch (error) {
    failure = error ?? new TypeError('replay store failed');
  }
  /* Fail closed: a store that cannot answer cannot say the message is new. */
  if (failure !== undefined || !isVerdict(verdict)) {
    if (onStoreFailure === 'accept') return { status: 'unchecked', cause: failure };
    throw new ReplayError('ERR_REPLAY_STORE_UNAVAILABLE', 'replay store unavailable; message refused', { cause: failure });
  }

  /* Refusals are thrown, never returned: a caller that ignores the result cannot accept a replay. */
  switch (verdict.status) {
    case 'duplicate':
      throw new ReplayError('ERR_REPLAY_DUPLICATE', `${verdict.reason === 'id' ? 'id' : `sequence ${sequence}`} was already accepted`);
    case 'too-old':
      throw new ReplayError(
        'ERR_REPLAY_TOO_OLD',
        verdict.reason === 'expired'
          ? `issuedAt is older than the ${window.idTtlSeconds}-second id retention`
          : `sequence ${sequence} is below the ${window.windowSize}-message window`,
      );
    default:
      return verdict;
  }
}
