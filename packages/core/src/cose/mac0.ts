/*
 * COSE_Mac0 (RFC 9052 §6.2): one shared MAC key, HMAC 256/256 (RFC 9053 §3.1) over the
 * MAC_structure (§6.3). For constrained devices that cannot afford a signature.
 */
import { EncodedCbor, encodeFrame } from '../cbor/index.js';
import type { CryptoBackend, MacKey } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { assertBytes, checkBackendOptions, checkKeyHandleOption } from '../backend/validate.js';
import { CoseError, KeyError, UnsupportedAlgorithmError, VerificationError } from '../errors.js';
import { CoseAlgorithm } from './algorithms.js';
import { HeaderLabel, checkHeaders, encodeProtectedHeader, producerProtectedHeader } from './headers.js';
import type { HeaderMap } from './headers.js';
import { checkKeySource, kidOf, resolveKey } from './key-lookup.js';
import type { KeySource } from './key-lookup.js';
import { CoseTag, bytesField, decodeLayer } from './message.js';
import type { CoseDecodeOptions } from './message.js';

const EMPTY = new Uint8Array(0);
const MAC0_UNDERSTOOD: ReadonlySet<number | string> = new Set([HeaderLabel.alg, HeaderLabel.crit, HeaderLabel.contentType, HeaderLabel.kid]);

/** Options of {@link createMac0}. */
export interface CreateMac0Options {
  /** The backend that holds `key`. */
  readonly backend: CryptoBackend;
  /** An HMAC-SHA256 key of at least 32 bytes. */
  readonly key: MacKey;
  /** Key id placed in the protected bucket. */
  readonly kid?: Uint8Array;
  /** Further protected parameters; `alg` is set to HMAC 256/256. */
  readonly protectedHeader?: HeaderMap;
  /** Unprotected parameters. */
  readonly unprotectedHeader?: HeaderMap;
  /** External AAD; empty by default. */
  readonly externalAad?: Uint8Array;
}

/** Options of {@link verifyMac0}. */
export interface VerifyMac0Options extends CoseDecodeOptions {
  /** The backend that holds the key. */
  readonly backend: CryptoBackend;
  /** The MAC key, or a function that picks one from the message's `kid`. */
  readonly key: KeySource<MacKey>;
  /** External AAD the sender used; empty by default. */
  readonly externalAad?: Uint8Array;
}

/** A verified COSE_Mac0. */
export interface VerifiedMac0 {
  /** The authenticated payload. */
  readonly payload: Uint8Array;
  /** The key id, if present. */
  readonly kid: Uint8Array | undefined;
  /** The decoded protected bucket. */
  readonly protectedHeader: HeaderMap;
  /** The unprotected bucket (not authenticated). */
  readonly unprotectedHeader: HeaderMap;
}

function toBeMaced(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeFrame(['MAC0', protectedBytes, externalAad, payload]);
}

/**
 * Authenticates `payload` as a tagged COSE_Mac0 with HMAC 256/256.
 *
 * @param payload - the bytes to authenticate
 * @param options - key, backend, headers, external AAD
 * @returns the encoded COSE_Mac0 (CBOR tag 17)
 * @throws {@link CoseError} `ERR_COSE_ALGORITHM_MISMATCH` when the header names another `alg`
 * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when options, `backend` or `key` is missing or not a key handle
 * @throws {@link KeyError} when `key` is not an HMAC key of `backend`
 * @example
 * ```ts
 * const key = backend.generateKey('HMAC-SHA256');
 * const message = await createMac0(reading, { backend, key, kid });
 * ```
 */
export async function createMac0(payload: Uint8Array, options: CreateMac0Options): Promise<Uint8Array> {
  assertBytes(payload, 'payload');
  checkBackendOptions(options, 'createMac0');
  checkKeyHandleOption(options.key, 'createMac0() options.key');
  const protectedHeader = producerProtectedHeader(options.protectedHeader, CoseAlgorithm.HMAC_256_256, options.kid);
  const unprotectedHeader: HeaderMap = new Map(options.unprotectedHeader);
  checkHeaders(protectedHeader, unprotectedHeader, { understood: MAC0_UNDERSTOOD, alg: 'protected' });
  const protectedBytes = encodeProtectedHeader(protectedHeader);
  const computed = options.backend.hmacSha256(options.key, toBeMaced(protectedBytes, options.externalAad ?? EMPTY, payload));
  const tag = isPromise(computed) ? await computed : computed;
  return encodeFrame([protectedBytes, EncodedCbor.of(unprotectedHeader), payload, tag], CoseTag.Mac0);
}

/**
 * Verifies a COSE_Mac0 (HMAC 256/256) and returns its payload. The tag is compared in constant
 * time; any failure throws and returns nothing.
 *
 * @param message - the encoded COSE_Mac0
 * @param options - backend, key (or resolver), external AAD, limits
 * @returns the authenticated payload and headers
 * @throws {@link DecodeError} for malformed CBOR or exceeded limits
 * @throws {@link CoseError} for a wrong tag, shape or header
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for an `alg` other than HMAC 256/256
 * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when options, `backend` or `key` is missing or not a key
 * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` when no key is found
 * @throws {@link VerificationError} `ERR_MAC_INVALID` when the tag does not verify
 * @example
 * ```ts
 * const { payload } = await verifyMac0(message, { backend, key });
 * ```
 */
export async function verifyMac0(message: Uint8Array, options: VerifyMac0Options): Promise<VerifiedMac0> {
  assertBytes(message, 'message');
  checkBackendOptions(options, 'verifyMac0');
  checkKeySource(options.key, 'verifyMac0() options.key');
  const { fields, protectedBytes, protectedHeader, unprotectedHeader, alg } = decodeLayer(
    message, CoseTag.Mac0, 4, { understood: MAC0_UNDERSTOOD, alg: 'protected' }, options,
  );
  const payload = bytesField(fields[2], 'payload');
  const tag = bytesField(fields[3], 'tag');
  if (alg !== CoseAlgorithm.HMAC_256_256) throw new UnsupportedAlgorithmError(`COSE MAC algorithm ${alg} is not supported`);
  const kid = kidOf(protectedHeader, unprotectedHeader);
  const key = await resolveKey(options.key, { alg, kid, protectedHeader, unprotectedHeader });
  if (key === undefined) throw new KeyError('ERR_KEY_NOT_FOUND', 'no MAC key for this message');
  /* RFC 9052 §8: the algorithm comes from the key, never from the message alone. */
  if (key.algorithm !== 'HMAC-SHA256') throw new CoseError('ERR_COSE_ALGORITHM_MISMATCH', `HMAC 256/256 needs an HMAC-SHA256 key, not ${key.algorithm}`);
  const checked = options.backend.hmacSha256Verify(key, toBeMaced(protectedBytes, options.externalAad ?? EMPTY, payload), tag);
  if (!(isPromise(checked) ? await checked : checked)) throw new VerificationError('ERR_MAC_INVALID', 'MAC does not verify');
  return { payload, kid, protectedHeader, unprotectedHeader };
}
