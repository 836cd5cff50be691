/*
 * COSE_Sign1 (RFC 9052 §4.2): one signer, signature over the Sig_structure (§4.4).
 */
import { EncodedCbor, encodeFrame } from '../cbor/index.js';
import type { CryptoBackend, SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { assertBytes, checkBackendOptions, checkKeyHandleOption } from '../backend/validate.js';
import { CoseError, KeyError, UnsupportedAlgorithmError, VerificationError } from '../errors.js';
import { SIGNATURE_ALGORITHMS, sameSignatureAlgorithm, signatureAlgorithmFor } from './algorithms.js';
import { HeaderLabel, checkHeaders, encodeProtectedHeader, producerProtectedHeader } from './headers.js';
import type { HeaderMap } from './headers.js';
import { checkKeySource, kidOf, resolveKey } from './key-lookup.js';
import type { KeySource } from './key-lookup.js';
import { CoseTag, bytesField, decodeLayer } from './message.js';
import type { CoseDecodeOptions } from './message.js';

const EMPTY = new Uint8Array(0);
const SIGNATURE1 = 'Signature1';

/** Header labels a Sign1 layer understands when they are marked critical. */
const SIGN1_UNDERSTOOD: ReadonlySet<number | string> = new Set([HeaderLabel.alg, HeaderLabel.crit, HeaderLabel.contentType, HeaderLabel.kid]);

/** Options of {@link createSign1}. */
export interface CreateSign1Options {
  /** The backend that holds `key`. */
  readonly backend: CryptoBackend;
  /** The signing key; its algorithm fixes `alg` (Ed25519 → EdDSA, ECDSA-P256 → ES256). */
  readonly key: SigningKey;
  /**
   * Which identifier `alg` is written as: `'polymorphic'` (EdDSA -8, ES256 -7; the default,
   * understood by every COSE library) or `'fully-specified'` (Ed25519 -19, ESP256 -9; RFC
   * 9864). Verifiers accept both. A `protectedHeader` that already names either identifier
   * of the key's algorithm keeps it.
   */
  readonly algIdentifier?: 'polymorphic' | 'fully-specified';
  /** Key id placed in the protected bucket, so it is signed. */
  readonly kid?: Uint8Array;
  /** Further protected parameters. `alg` and `kid` are set from `key` and `kid`. */
  readonly protectedHeader?: HeaderMap;
  /** Unprotected parameters. */
  readonly unprotectedHeader?: HeaderMap;
  /** External additional authenticated data (RFC 9052 §4.3); empty by default. */
  readonly externalAad?: Uint8Array;
  /** Leave the payload out of the message (`nil`); the verifier supplies it (RFC 9052 §2). */
  readonly detached?: boolean;
}

/** Options of {@link verifySign1}. */
export interface VerifySign1Options extends CoseDecodeOptions {
  /** The backend that holds the verifying key. */
  readonly backend: CryptoBackend;
  /** The verifying key, or a function that picks one from the message's `kid` and `alg`. */
  readonly key: KeySource<VerifyingKey>;
  /** External AAD the signer used; empty by default. */
  readonly externalAad?: Uint8Array;
  /** The payload of a message signed with `detached: true`. */
  readonly detachedPayload?: Uint8Array;
  /**
   * Further header labels the caller understands when the message marks them critical
   * (RFC 9052 §3.1 `crit`), beyond alg, crit, content type and kid.
   */
  readonly understood?: ReadonlySet<number | string>;
}

/** A verified COSE_Sign1. */
export interface VerifiedSign1 {
  /** The signed payload. */
  readonly payload: Uint8Array;
  /** The COSE algorithm that verified. */
  readonly alg: number;
  /** The signer's key id, if the message names one. */
  readonly kid: Uint8Array | undefined;
  /** The protected bucket exactly as signed. */
  readonly protectedBytes: Uint8Array;
  /** The decoded protected bucket (authenticated). */
  readonly protectedHeader: HeaderMap;
  /** The unprotected bucket (NOT authenticated). */
  readonly unprotectedHeader: HeaderMap;
  /** The signature that verified. */
  readonly signature: Uint8Array;
}

/**
 * The COSE signature algorithm Ward writes for `key`: polymorphic (EdDSA, ES256) by default,
 * fully-specified (Ed25519, ESP256; RFC 9864) on request.
 */
export function signatureAlgorithmOf(key: SigningKey | VerifyingKey, identifier?: 'polymorphic' | 'fully-specified'): number {
  return signatureAlgorithmFor(key.algorithm, identifier);
}

/** Sig_structure for COSE_Sign1 (RFC 9052 §4.4). */
function toBeSigned(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeFrame([SIGNATURE1, protectedBytes, externalAad, payload]);
}

/**
 * Signs `payload` as a tagged COSE_Sign1.
 *
 * @param payload - the bytes to sign
 * @param options - key, backend, headers, external AAD, detached mode, `algIdentifier`
 * @returns the encoded COSE_Sign1 (CBOR tag 18)
 * @throws {@link CoseError} `ERR_COSE_ALGORITHM_MISMATCH` when `protectedHeader` names an
 *   `alg` other than the key's (in the form `algIdentifier` asks for), `ERR_COSE_INVALID_HEADER`
 *   for a bad header
 * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` for an unknown `algIdentifier`, when options,
 *   `backend` or `key` is missing, or `key` is not a key handle (a COSE_Key or raw bytes: import them first)
 * @throws {@link KeyError} when `key` is not a signing key of `backend`
 * @example
 * ```ts
 * import { createNobleBackend } from '@ward/core';
 * import { createSign1, verifySign1 } from '@ward/core/cose';
 *
 * const backend = createNobleBackend();
 * const key = backend.generateKey('Ed25519');
 * const message = await createSign1(new TextEncoder().encode('door 4 opened'), { backend, key });
 * const { payload } = await verifySign1(message, { backend, key: backend.publicKey(key) });
 * ```
 */
export async function createSign1(payload: Uint8Array, options: CreateSign1Options): Promise<Uint8Array> {
  assertBytes(payload, 'payload');
  checkBackendOptions(options, 'createSign1');
  checkKeyHandleOption(options.key, 'createSign1() options.key');
  const { key } = options;
  const declared = options.protectedHeader?.get(HeaderLabel.alg);
  /* A declared alg is kept only if it names the key's own algorithm (RFC 9864 §2: either identifier); anything else is a mismatch below. */
  const alg = options.algIdentifier === undefined && typeof declared === 'number' && sameSignatureAlgorithm(declared, signatureAlgorithmOf(key))
    ? declared
    : signatureAlgorithmOf(key, options.algIdentifier);
  const protectedHeader = producerProtectedHeader(options.protectedHeader, alg, options.kid);
  const unprotectedHeader: HeaderMap = new Map(options.unprotectedHeader);
  checkHeaders(protectedHeader, unprotectedHeader, { understood: SIGN1_UNDERSTOOD, alg: 'protected' });

  const protectedBytes = encodeProtectedHeader(protectedHeader);
  return signEncodedSign1(payload, protectedBytes, unprotectedHeader, options);
}

/**
 * Signs with an already encoded and checked protected bucket (for layers, like the sealed
 * envelope, that must bind those exact bytes elsewhere before signing). Internal.
 */
export async function signEncodedSign1(
  payload: Uint8Array,
  protectedBytes: Uint8Array,
  unprotectedHeader: HeaderMap,
  options: Pick<CreateSign1Options, 'backend' | 'key' | 'externalAad' | 'detached'>,
): Promise<Uint8Array> {
  const signature = await signSign1Structure(payload, protectedBytes, options);
  const unprotected = EncodedCbor.of(unprotectedHeader);
  return encodeFrame([protectedBytes, unprotected, options.detached ? null : payload, signature], CoseTag.Sign1);
}

/**
 * The signature of a COSE_Sign1 (RFC 9052 §4.4) over an already encoded protected bucket, for
 * callers that frame the message themselves (the sealed envelope writes it in parts).
 *
 * @param payload - the payload the signature covers
 * @param protectedBytes - the encoded protected bucket, exactly as it will be sent
 * @param options - backend, key and optional external AAD
 * @returns the signature bytes
 * @example
 * ```ts
 * const signature = await signSign1Structure(inner, protectedBytes, { backend, key });
 * ```
 */
export async function signSign1Structure(
  payload: Uint8Array,
  protectedBytes: Uint8Array,
  options: Pick<CreateSign1Options, 'backend' | 'key' | 'externalAad'>,
): Promise<Uint8Array> {
  const signed = options.backend.sign(options.key, toBeSigned(protectedBytes, options.externalAad ?? EMPTY, payload));
  return isPromise(signed) ? await signed : signed;
}

/**
 * Verifies a COSE_Sign1 and returns its payload and headers. Fails closed: any malformed
 * structure, header rule, algorithm/key mismatch or bad signature throws, and nothing of the
 * payload is returned.
 *
 * Checks, in order: CBOR limits and well-formedness; tag 18; shape; header rules (disjoint
 * buckets, `crit` understood, `alg` protected); the key's algorithm equals `alg`; the
 * signature over the Sig_structure.
 *
 * @param message - the encoded COSE_Sign1
 * @param options - backend, key (or key resolver), external AAD, detached payload, limits
 * @returns the verified payload, algorithm, kid and headers
 * @throws {@link DecodeError} for malformed CBOR or exceeded limits
 * @throws {@link CoseError} `ERR_COSE_WRONG_TAG`, `ERR_COSE_MALFORMED`,
 *   `ERR_COSE_INVALID_HEADER`, `ERR_COSE_UNKNOWN_CRITICAL`, `ERR_COSE_UNPROTECTED_ALG`,
 *   `ERR_COSE_ALGORITHM_MISMATCH`
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for an `alg` Ward does not verify
 * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when options, `backend` or `key` is missing or
 *   not a key (a `TrustStore` itself rather than its `keySource()`, a COSE_Key, raw bytes)
 * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` when no key is found for the message
 * @throws {@link VerificationError} `ERR_SIGNATURE_INVALID` when the signature does not verify
 * @example
 * ```ts
 * const verified = await verifySign1(message, {
 *   backend,
 *   key: ({ kid }) => trustedKeys.get(toHex(kid)),
 * });
 * console.log(verified.payload, verified.kid);
 * ```
 */
export async function verifySign1(message: Uint8Array, options: VerifySign1Options): Promise<VerifiedSign1> {
  assertBytes(message, 'message');
  checkBackendOptions(options, 'verifySign1');
  checkKeySource(options.key, 'verifySign1() options.key');
  const understood = options.understood === undefined ? SIGN1_UNDERSTOOD : new Set([...SIGN1_UNDERSTOOD, ...options.understood]);
  const { fields, protectedBytes, protectedHeader, unprotectedHeader, alg } = decodeLayer(
    message, CoseTag.Sign1, 4, { understood, alg: 'protected' }, options,
  );
  const embedded = fields[2];
  let payload: Uint8Array;
  /* RFC 9052 §2: a nil payload is detached and supplied out of band; given both ways it is ambiguous. */
  if (embedded === null) {
    if (options.detachedPayload === undefined) throw new CoseError('ERR_COSE_MALFORMED', 'payload is detached and none was supplied');
    assertBytes(options.detachedPayload, 'detachedPayload');
    payload = options.detachedPayload;
  } else {
    payload = bytesField(embedded, 'payload');
    if (options.detachedPayload !== undefined) throw new CoseError('ERR_COSE_MALFORMED', 'payload is embedded; a detached one was also supplied');
  }
  const signature = bytesField(fields[3], 'signature');

  const expected = SIGNATURE_ALGORITHMS.get(alg);
  if (expected === undefined) throw new UnsupportedAlgorithmError(`COSE signature algorithm ${alg} is not supported`);
  const kid = kidOf(protectedHeader, unprotectedHeader);
  const key = await resolveKey(options.key, { alg, kid, protectedHeader, unprotectedHeader });
  if (key === undefined) throw new KeyError('ERR_KEY_NOT_FOUND', 'no verifying key for this signer');
  /* RFC 9052 §8: the algorithm comes from the key, never from the message alone. Each key
   * algorithm has two identifiers (RFC 9864 §2: -8/-19 for Ed25519, -7/-9 for P-256), both
   * mapped to it in SIGNATURE_ALGORITHMS; an identifier of the other algorithm never matches. */
  if (key.algorithm !== expected || key.kind !== 'public') {
    throw new CoseError('ERR_COSE_ALGORITHM_MISMATCH', `message alg ${alg} does not match the ${key.algorithm} key`);
  }
  const checked = options.backend.verify(key, toBeSigned(protectedBytes, options.externalAad ?? EMPTY, payload), signature);
  if (!(isPromise(checked) ? await checked : checked)) throw new VerificationError('ERR_SIGNATURE_INVALID', 'signature does not verify');
  return { payload, alg, kid, protectedBytes, protectedHeader, unprotectedHeader, signature };
}
