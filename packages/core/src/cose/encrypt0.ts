/*
 * COSE_Encrypt0 (RFC 9052 §5.2): content encrypted under one shared key known to the
 * recipient out of band (no recipient structures).
 */
import { EncodedCbor, encodeFrame } from '../cbor/index.js';
import type { AeadKey, CryptoBackend } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { assertBytes, checkBackendOptions, checkKeyHandleOption } from '../backend/validate.js';
import { KeyError, UnsupportedAlgorithmError } from '../errors.js';
import { CONTENT_ALGORITHMS } from './algorithms.js';
import { CONTENT_UNDERSTOOD, checkContentKey, contentAlgorithmOf, encStructure, freshIv, ivOf } from './content.js';
import { HeaderLabel, checkHeaders, encodeProtectedHeader, producerProtectedHeader } from './headers.js';
import type { HeaderMap } from './headers.js';
import { checkKeySource, kidOf, resolveKey } from './key-lookup.js';
import type { KeySource } from './key-lookup.js';
import { CoseTag, bytesField, decodeLayer } from './message.js';
import type { CoseDecodeOptions, DecodedLayer } from './message.js';

const EMPTY = new Uint8Array(0);

/** Options of {@link createEncrypt0}. */
export interface CreateEncrypt0Options {
  /** The backend that holds `key`. */
  readonly backend: CryptoBackend;
  /** The content key; its algorithm and size fix `alg` (A128GCM…A256GCM, ChaCha20/Poly1305). */
  readonly key: AeadKey;
  /** Key id, placed in the protected bucket. */
  readonly kid?: Uint8Array;
  /** Further protected parameters. */
  readonly protectedHeader?: HeaderMap;
  /** Further unprotected parameters; the IV is added here. */
  readonly unprotectedHeader?: HeaderMap;
  /** External AAD; empty by default. */
  readonly externalAad?: Uint8Array;
}

/** Options of {@link decryptEncrypt0}. */
export interface DecryptEncrypt0Options extends CoseDecodeOptions {
  /** The backend that holds the key. */
  readonly backend: CryptoBackend;
  /** The content key, or a function that picks one from the message's `kid`. */
  readonly key: KeySource<AeadKey>;
  /** External AAD the sender used; empty by default. */
  readonly externalAad?: Uint8Array;
}

/** A decrypted COSE_Encrypt0. */
export interface DecryptedEncrypt0 {
  /** The plaintext, released only after the tag verified. */
  readonly plaintext: Uint8Array;
  /** The content algorithm. */
  readonly alg: number;
  /** The key id, if present. */
  readonly kid: Uint8Array | undefined;
  /** The decoded protected bucket (authenticated by the AEAD). */
  readonly protectedHeader: HeaderMap;
  /** The unprotected bucket (not authenticated). */
  readonly unprotectedHeader: HeaderMap;
}

/**
 * Encrypts `plaintext` as a tagged COSE_Encrypt0 with a fresh random 96-bit IV.
 *
 * @param plaintext - the bytes to encrypt
 * @param options - key, backend, headers, external AAD
 * @returns the encoded COSE_Encrypt0 (CBOR tag 16)
 * @throws {@link CoseError} `ERR_COSE_ALGORITHM_MISMATCH` when a header names another `alg`
 * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when options, `backend` or `key` is missing or not a key handle
 * @throws {@link KeyError} when `key` is not an AEAD key of `backend`
 * @example
 * ```ts
 * const key = backend.generateKey('AES-GCM');
 * const message = await createEncrypt0(reading, { backend, key });
 * const { plaintext } = await decryptEncrypt0(message, { backend, key });
 * ```
 */
export async function createEncrypt0(plaintext: Uint8Array, options: CreateEncrypt0Options): Promise<Uint8Array> {
  assertBytes(plaintext, 'plaintext');
  checkBackendOptions(options, 'createEncrypt0');
  checkKeyHandleOption(options.key, 'createEncrypt0() options.key');
  const { backend, key } = options;
  const alg = contentAlgorithmOf(key);
  const protectedHeader = producerProtectedHeader(options.protectedHeader, alg, options.kid);
  const unprotectedHeader: HeaderMap = new Map(options.unprotectedHeader);
  const iv = await freshIv(backend);
  unprotectedHeader.set(HeaderLabel.iv, iv);
  checkHeaders(protectedHeader, unprotectedHeader, { understood: CONTENT_UNDERSTOOD, alg: 'protected' });
  const protectedBytes = encodeProtectedHeader(protectedHeader);
  const aad = encStructure('Encrypt0', protectedBytes, options.externalAad ?? EMPTY);
  const sealed = backend.aeadEncrypt(key, { nonce: iv, plaintext, aad });
  const ciphertext = isPromise(sealed) ? await sealed : sealed;
  return encodeFrame([protectedBytes, EncodedCbor.of(unprotectedHeader), ciphertext], CoseTag.Encrypt0);
}

/**
 * Decodes a COSE_Encrypt0 and checks its structure without any key (RFC 9052 §5.2): the tag
 * and shape, the header rules, and a byte-string ciphertext. Internal to core: every reader
 * starts here, and verifyEnvelope() runs it on a sealed envelope's inner message.
 */
export function decodeEncrypt0Structure(message: Uint8Array, options?: CoseDecodeOptions): DecodedLayer & { readonly ciphertext: Uint8Array } {
  const layer = decodeLayer(message, CoseTag.Encrypt0, 3, { understood: CONTENT_UNDERSTOOD, alg: 'protected' }, options);
  return { ...layer, ciphertext: bytesField(layer.fields[2], 'ciphertext') };
}

/**
 * Decrypts a COSE_Encrypt0. The plaintext is returned only after every structural check and
 * the AEAD tag passed; otherwise an error is thrown and nothing is released.
 *
 * @param message - the encoded COSE_Encrypt0
 * @param options - backend, key (or resolver), external AAD, limits
 * @returns the plaintext and headers
 * @throws {@link DecodeError} for malformed CBOR or exceeded limits
 * @throws {@link CoseError} for a wrong tag, shape, header, or a key that does not match `alg`
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for an unsupported `alg` or a Partial IV
 * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when options, `backend` or `key` is missing or not a key
 * @throws {@link KeyError} `ERR_KEY_NOT_FOUND` when no key is found
 * @throws {@link DecryptionError} `ERR_DECRYPTION_FAILED` when authentication fails
 * @example
 * ```ts
 * const { plaintext } = await decryptEncrypt0(message, { backend, key });
 * ```
 */
export async function decryptEncrypt0(message: Uint8Array, options: DecryptEncrypt0Options): Promise<DecryptedEncrypt0> {
  assertBytes(message, 'message');
  checkBackendOptions(options, 'decryptEncrypt0');
  checkKeySource(options.key, 'decryptEncrypt0() options.key');
  const { protectedBytes, protectedHeader, unprotectedHeader, alg, ciphertext } = decodeEncrypt0Structure(message, options);
  if (!CONTENT_ALGORITHMS.has(alg)) throw new UnsupportedAlgorithmError(`COSE content algorithm ${alg} is not supported`);
  const iv = ivOf(protectedHeader, unprotectedHeader);
  const kid = kidOf(protectedHeader, unprotectedHeader);
  const key = await resolveKey(options.key, { alg, kid, protectedHeader, unprotectedHeader });
  if (key === undefined) throw new KeyError('ERR_KEY_NOT_FOUND', 'no content key for this message');
  checkContentKey(alg, key);
  const aad = encStructure('Encrypt0', protectedBytes, options.externalAad ?? EMPTY);
  const opened = options.backend.aeadDecrypt(key, { nonce: iv, ciphertext, aad });
  const plaintext = isPromise(opened) ? await opened : opened;
  return { plaintext, alg, kid, protectedHeader, unprotectedHeader };
}
