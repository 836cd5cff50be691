import type { MaybePromise } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import type { HeaderMap } from './headers.js';
import { HeaderLabel } from './headers.js';

/** What a verifier or recipient knows about a layer before it has a key: its headers. */
export interface KeyLookup {
  /** The layer's COSE algorithm (already checked to be in the right bucket). */
  readonly alg: number;
  /** The key id, from the protected bucket, else the unprotected one; absent if neither. */
  readonly kid: Uint8Array | undefined;
  /** The decoded protected bucket. */
  readonly protectedHeader: HeaderMap;
  /** The unprotected bucket (unauthenticated: use only to find a key, never to trust one). */
  readonly unprotectedHeader: HeaderMap;
}

/**
 * A key, or a function that picks one from a layer's headers (for example by `kid` from a
 * trust store). Returning `undefined` means "no key for this layer".
 */
export type KeySource<K> = K | ((lookup: KeyLookup) => MaybePromise<K | undefined>);

/** Resolves a {@link KeySource} for one layer. */
export async function resolveKey<K extends object>(source: KeySource<K>, lookup: KeyLookup): Promise<K | undefined> {
  if (typeof source !== 'function') return source;
  const result = source(lookup);
  return isPromise(result) ? await result : result;
}

/** The kid of a layer: protected first (authenticated), then unprotected. */
export function kidOf(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap): Uint8Array | undefined {
  const kid = protectedHeader.get(HeaderLabel.kid) ?? unprotectedHeader.get(HeaderLabel.kid);
  return kid instanceof Uint8Array ? kid : undefined;
}
