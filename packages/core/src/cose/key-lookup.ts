/*
 * How a COSE reader finds its key: the headers a key source sees (KeyLookup), the key source
 * and reader's-key shapes callers pass, their argument checks, and the kid rule. A key is only
 * ever found from headers, never trusted because of them: the signature, tag or decryption that
 * follows is what authenticates the layer (RFC 9052 §3: the unprotected bucket is not protected).
 */
import type { MaybePromise } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { checkKeyHandleOption, describeValue, notAKeyHandle } from '../backend/validate.js';
import { ArgumentError } from '../errors.js';
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

/**
 * Throws an `ArgumentError` naming `name` and the fix unless `source` is a function or has a
 * key handle's shape: a `TrustStore` passed itself (not its `keySource()`), a keyset, a
 * COSE_Key or raw bytes are caller mistakes, not keys that fail to verify.
 *
 * @param source - the caller's key source (untrusted)
 * @param name - how to name it, e.g. `'verifyEnvelope() options.trust'`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT`
 * @example
 * ```ts
 * checkKeySource(options.trust, 'verifyEnvelope() options.trust'); // a TrustStore: "pass trustStore.keySource()"
 * ```
 */
export function checkKeySource(source: unknown, name: string): void {
  if (typeof source === 'function') return;
  const problem = notAKeyHandle(source);
  if (problem === undefined) return;
  if (typeof (source as { keySource?: unknown } | null)?.keySource === 'function') {
    throw new ArgumentError(`${name} is a TrustStore: pass trustStore.keySource() (keySource('rewrap') for re-wrap authorities)`);
  }
  if (typeof (source as { openingKey?: unknown } | undefined)?.openingKey === 'function') {
    throw new ArgumentError(`${name} is a Keyset: pass keyset.openingKey() (a shared keyset's keys by kid), or one key handle`);
  }
  throw new ArgumentError(`${name} ${problem === 'is missing' ? 'is missing: pass a key handle or a function from the layer\'s kid to one' : problem}`);
}

/**
 * Throws an `ArgumentError` naming `name` and the fix unless `source` is a reader's key
 * (`{ privateKey }` with a private key handle, or `{ kek }`) or a resolver function. Catches a
 * keyset passed itself (not its `recipientKey()`), a bare key handle, and a public key given
 * as the reader's private key.
 *
 * @param source - the caller's `recipient` option (untrusted)
 * @param name - how to name it, e.g. `'openEnvelope() options.recipient'`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT`
 * @example
 * ```ts
 * checkRecipientSource(options.recipient, 'decryptEncrypt() options.recipient');
 * ```
 */
export function checkRecipientSource(source: unknown, name: string): void {
  if (typeof source === 'function') return;
  if (typeof source !== 'object' || source === null) {
    throw new ArgumentError(`${name} is missing: pass the reader's key ({ privateKey, kid } or { kek, kid }) or keyset.recipientKey()`);
  }
  const o = source as Record<string, unknown>;
  if (typeof o['recipientKey'] === 'function') throw new ArgumentError(`${name} is a Keyset: pass keyset.recipientKey()`);
  if (typeof (o['keyset'] as { recipientKey?: unknown } | undefined)?.recipientKey === 'function') {
    throw new ArgumentError(`${name} is a StoredKeyset: pass storedKeyset.keyset.recipientKey()`);
  }
  if ('privateKey' in o) {
    checkKeyHandleOption(o['privateKey'], `${name}.privateKey`);
    if ((o['privateKey'] as { kind: string }).kind !== 'private') {
      throw new ArgumentError(`${name}.privateKey is a ${(o['privateKey'] as { kind: string }).kind} key: a reader needs its private key (the public key is what the sender seals to)`);
    }
  } else if ('kek' in o) {
    checkKeyHandleOption(o['kek'], `${name}.kek`);
  } else if (notAKeyHandle(source) === undefined) {
    throw new ArgumentError(`${name} is a bare key handle: pass { privateKey: key, kid } (or { kek: key, kid } for AES-KW)`);
  } else {
    throw new ArgumentError(`${name} needs privateKey or kek: pass { privateKey, kid }, { kek, kid } or keyset.recipientKey()`);
  }
  if (o['kid'] !== undefined && !(o['kid'] instanceof Uint8Array)) throw new ArgumentError(`${name}.kid must be a Uint8Array`);
}

/**
 * Throws an `ArgumentError` naming `name` and the fix unless `recipients` is a non-empty array
 * of `{ publicKey }` / `{ kek }` recipients: catches a keyset (pass `await keyset.recipient()`),
 * a bare key handle, and a private key given as a recipient's public key.
 *
 * @param recipients - the caller's `recipients` option (untrusted)
 * @param name - how to name it, e.g. `'sealEnvelope() options.recipients'`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT`
 * @example
 * ```ts
 * checkRecipientSpecs(options.recipients, 'createEncrypt() options.recipients');
 * ```
 */
export function checkRecipientSpecs(recipients: unknown, name: string): void {
  if (!Array.isArray(recipients)) {
    const fix = typeof (recipients as { recipient?: unknown } | null)?.recipient === 'function' ? ': pass [await keyset.recipient()]' : '';
    throw new ArgumentError(`${name} must be an array of recipients, got ${describeValue(recipients)}${fix}`);
  }
  if (recipients.length === 0) throw new ArgumentError(`${name} must name at least one recipient`);
  recipients.forEach((spec: unknown, i) => {
    const at = `${name}[${i}]`;
    if (typeof (spec as { recipient?: unknown } | null)?.recipient === 'function') throw new ArgumentError(`${at} is a Keyset: pass await keyset.recipient()`);
    if (typeof spec !== 'object' || spec === null || !('publicKey' in spec || 'kek' in spec)) {
      throw new ArgumentError(`${at} needs publicKey or kek: pass { publicKey, kid }, { kek, kid } or await keyset.recipient()`);
    }
    const o = spec as Record<string, unknown>;
    const part = 'publicKey' in o ? 'publicKey' : 'kek';
    checkKeyHandleOption(o[part], `${at}.${part}`);
    if (part === 'publicKey' && (o[part] as { kind: string }).kind === 'private') {
      throw new ArgumentError(`${at}.publicKey is a private key: pass backend.publicKey(key) (a sender never needs a reader's private key)`);
    }
    if (o['kid'] !== undefined && !(o['kid'] instanceof Uint8Array)) throw new ArgumentError(`${at}.kid must be a Uint8Array`);
  });
}

/**
 * Resolves a {@link KeySource} for one layer. The key it returns is still checked against the
 * layer's algorithm by the caller (RFC 9052 §8: the algorithm comes from the key, never from
 * the message alone), so a resolver that returns a wrong key fails closed.
 */
export async function resolveKey<K extends object>(source: KeySource<K>, lookup: KeyLookup): Promise<K | undefined> {
  if (typeof source !== 'function') return source;
  const result = source(lookup);
  return isPromise(result) ? await result : result;
}

/** The kid of a layer: protected first (authenticated), then unprotected. */
export function kidOf(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap): Uint8Array | undefined {
  /*
   * RFC 9052 §3.1 (kid): a hint to find the key, in either bucket. The protected one wins, so
   * that an attacker who rewrites the unauthenticated bucket cannot steer the lookup away from
   * the key the sender named and bound into the signature or tag; a kid of another type finds
   * no key (RFC 9052 §3.1, Table 3: kid is a bstr).
   */
  const kid = protectedHeader.get(HeaderLabel.kid) ?? unprotectedHeader.get(HeaderLabel.kid);
  return kid instanceof Uint8Array ? kid : undefined;
}
