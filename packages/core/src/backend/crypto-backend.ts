/**
 * `CryptoBackend`: the one seam between Ward and cryptography (DESIGN.md principle 4).
 *
 * Everything above this interface (COSE, envelopes, keysets, policy) is platform-free and
 * never touches a primitive directly. Every backend (noble in core, `node:crypto` in
 * `@ward/node`, WebCrypto in `@ward/browser`) passes the same Wycheproof vectors and the same
 * property tests, and what one produces every other accepts.
 *
 * ## Synchronous where possible, asynchronous where necessary
 * WebCrypto and HSMs are asynchronous; noble and `node:crypto` are not. Methods return
 * {@link MaybePromise}: a synchronous backend returns plain values, so callers that `await`
 * pay one microtask at most and callers on a hot path can skip even that with
 * {@link isPromise}. An asynchronous backend returns promises. Methods never mix: a backend
 * whose {@link CryptoBackend.synchronous} is `true` never returns a promise.
 *
 * ## Keys are handles
 * Long-lived keys are {@link KeyHandle}s created by the backend that uses them, so a WebCrypto
 * or HSM backend can keep material non-extractable and `node:crypto` can cache its parsed
 * `KeyObject`s. A handle never exposes its bytes: not through properties, `toString()` or
 * `JSON.stringify()`. Ephemeral secrets that COSE moves as bytes (ECDH shared secrets, HKDF
 * output, wrapped and unwrapped content keys) are plain `Uint8Array`s that the caller wipes.
 *
 * ## Failure
 * Methods throw only {@link WardError}s. Signature and MAC checks return `false` for any
 * invalid signature, including malformed ones, and throw only for misuse (wrong key type).
 * Decryption and unwrap failures are a single uninformative `ERR_DECRYPTION_FAILED`.
 *
 * @module
 */

/** A value, or a promise of one: what every {@link CryptoBackend} method returns. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The version of the `CryptoBackend` contract defined in this file. A backend states the
 * version it implements; core refuses a backend of another version (`ERR_BACKEND_VERSION`).
 */
export const CRYPTO_BACKEND_VERSION = 1 as const;

/** Signature algorithms. `ECDSA-P256` is ECDSA over P-256 with SHA-256 (COSE `ES256`). */
export type SignatureAlgorithm = 'Ed25519' | 'ECDSA-P256';

/** Key agreement algorithms (ECDH). */
export type KeyAgreementAlgorithm = 'X25519' | 'ECDH-P256';

/**
 * AEAD algorithms. `AES-GCM` takes a 16-, 24- or 32-byte key (COSE A128GCM, A192GCM,
 * A256GCM; Ward's profile emits only 32); both take a 12-byte nonce and append a 16-byte tag.
 */
export type AeadAlgorithm = 'AES-GCM' | 'ChaCha20-Poly1305';

/** AES key wrap, RFC 3394, with a 16-, 24- or 32-byte key-encryption key (COSE A*KW). */
export type KeyWrapAlgorithm = 'AES-KW';

/** MAC algorithms. `HMAC-SHA256` is COSE `HMAC 256/256`. */
export type MacAlgorithm = 'HMAC-SHA256';

/** Every algorithm a {@link KeyHandle} can be for. */
export type KeyAlgorithm = SignatureAlgorithm | KeyAgreementAlgorithm | AeadAlgorithm | KeyWrapAlgorithm | MacAlgorithm;

/** Asymmetric algorithms, whose keys come in private/public pairs. */
export type AsymmetricAlgorithm = SignatureAlgorithm | KeyAgreementAlgorithm;

/** Symmetric algorithms, whose keys are secret. */
export type SymmetricAlgorithm = AeadAlgorithm | KeyWrapAlgorithm | MacAlgorithm;

/** Whether a handle holds a private, public or secret (symmetric) key. */
export type KeyKind = 'private' | 'public' | 'secret';

/**
 * An opaque reference to a key held by one backend. It carries only metadata; the material
 * stays with the backend that created it, which refuses handles from any other
 * (`ERR_KEY_FOREIGN`).
 */
export interface KeyHandle<A extends KeyAlgorithm = KeyAlgorithm, K extends KeyKind = KeyKind> {
  /** The one algorithm this key may be used with. */
  readonly algorithm: A;
  /** Private, public or secret. */
  readonly kind: K;
  /** Name of the backend that holds the material. */
  readonly backend: string;
  /** Whether {@link CryptoBackend.exportKey} may return the raw material. */
  readonly extractable: boolean;
  /**
   * Key size in bytes: the raw length for secret keys (16, 24 or 32 for AES; the HMAC key
   * length), 32 for the P-256, Ed25519 and X25519 keys. COSE layers check it against the
   * message's `alg` (A128GCM needs 16, A256GCM 32…).
   */
  readonly size: number;
}

/** A private key that signs. */
export type SigningKey = KeyHandle<SignatureAlgorithm, 'private'>;
/** A public key that verifies. */
export type VerifyingKey = KeyHandle<SignatureAlgorithm, 'public'>;
/** A private key for ECDH. */
export type AgreementPrivateKey = KeyHandle<KeyAgreementAlgorithm, 'private'>;
/** A public key for ECDH. */
export type AgreementPublicKey = KeyHandle<KeyAgreementAlgorithm, 'public'>;
/** A secret AEAD key. */
export type AeadKey = KeyHandle<AeadAlgorithm, 'secret'>;
/** A secret key-encryption key for AES key wrap. */
export type WrappingKey = KeyHandle<KeyWrapAlgorithm, 'secret'>;
/** A secret MAC key. */
export type MacKey = KeyHandle<MacAlgorithm, 'secret'>;

/** The kind a freshly generated or imported private/secret key of algorithm `A` has. */
export type SecretKindOf<A extends KeyAlgorithm> = A extends AsymmetricAlgorithm ? 'private' : 'secret';

/** Options for {@link CryptoBackend.importKey} and {@link CryptoBackend.generateKey}. */
export interface KeyOptions {
  /**
   * May the raw material be exported later? Defaults to `false` for private and secret keys
   * (fail closed) and is always `true` for public keys.
   */
  readonly extractable?: boolean;
}

/**
 * Raw key formats accepted by {@link CryptoBackend.importKey} and produced by
 * {@link CryptoBackend.exportKey}:
 *
 * | algorithm | private / secret | public |
 * | --- | --- | --- |
 * | `Ed25519`, `X25519` | 32-byte seed / scalar (RFC 8032 §5.1.5, RFC 7748 §5) | 32 bytes |
 * | `ECDSA-P256`, `ECDH-P256` | 32-byte big-endian scalar in [1, n-1] | SEC1 point: 65 bytes uncompressed (exported), or 33 compressed (accepted) |
 * | `AES-GCM`, `AES-KW` | 16, 24 or 32 bytes | — |
 * | `ChaCha20-Poly1305` | 32 bytes | — |
 * | `HMAC-SHA256` | 32 to 128 bytes | — |
 */
export type RawKeyFormat = 'raw';

/** Input and output of {@link CryptoBackend.aeadEncrypt}. */
export interface AeadEncryptInput {
  /** 12 bytes. Must never repeat under one key; Ward's callers draw it from `randomBytes`. */
  readonly nonce: Uint8Array;
  /** The plaintext. */
  readonly plaintext: Uint8Array;
  /** Additional authenticated data (COSE `Enc_structure`); empty if absent. */
  readonly aad?: Uint8Array;
}

/** Input of {@link CryptoBackend.aeadDecrypt}. */
export interface AeadDecryptInput {
  /** The 12-byte nonce the sender used. */
  readonly nonce: Uint8Array;
  /** Ciphertext with the 16-byte tag appended (COSE layout, RFC 9053 §4). */
  readonly ciphertext: Uint8Array;
  /** The same additional authenticated data the sender used. */
  readonly aad?: Uint8Array;
}

/** Input of {@link CryptoBackend.hkdfSha256} (RFC 5869). */
export interface HkdfInput {
  /** Input keying material (for COSE, the ECDH shared secret). */
  readonly ikm: Uint8Array;
  /** Optional salt; absent means a string of 32 zero bytes (RFC 5869 §2.2). */
  readonly salt?: Uint8Array;
  /** Context and application-specific information (for COSE, the `COSE_KDF_Context`). */
  readonly info?: Uint8Array;
  /** Output length in bytes, 1 to 8160 (255 × 32). */
  readonly length: number;
}

/**
 * The cryptographic primitives Ward's envelope profile needs, version
 * {@link CRYPTO_BACKEND_VERSION}.
 *
 * Implementations: `createNobleBackend()` (this package, pure JS, every runtime) and
 * `createNodeBackend()` (`@ward/node`, OpenSSL through `node:crypto`).
 *
 * @example
 * ```ts
 * import { createNobleBackend } from '@ward/core';
 *
 * const backend = createNobleBackend();
 * const signingKey = await backend.generateKey('Ed25519');
 * const verifyingKey = await backend.publicKey(signingKey);
 * const message = new TextEncoder().encode('footfall=42');
 * const signature = await backend.sign(signingKey, message);
 * console.log(await backend.verify(verifyingKey, message, signature)); // true
 * ```
 */
export interface CryptoBackend {
  /** The interface version implemented; core accepts only {@link CRYPTO_BACKEND_VERSION}. */
  readonly version: typeof CRYPTO_BACKEND_VERSION;
  /** A short stable name (`"noble"`, `"node"`, …), recorded in key handles. */
  readonly name: string;
  /** `true` when no method ever returns a promise. */
  readonly synchronous: boolean;

  /**
   * `length` bytes from a CSPRNG.
   *
   * @example
   * ```ts
   * const nonce = await backend.randomBytes(12);
   * ```
   */
  randomBytes(length: number): MaybePromise<Uint8Array>;

  /**
   * SHA-256 of `data`.
   *
   * @example
   * ```ts
   * const digest = await backend.sha256(new TextEncoder().encode('abc'));
   * ```
   */
  sha256(data: Uint8Array): MaybePromise<Uint8Array>;

  /**
   * Generates a fresh private (asymmetric) or secret (symmetric) key. For `AES-GCM` and
   * `AES-KW` the key is 32 bytes; for `HMAC-SHA256`, 32 bytes.
   *
   * @example
   * ```ts
   * const key = await backend.generateKey('AES-GCM'); // 32-byte AES-256-GCM key, not extractable
   * ```
   */
  generateKey<A extends KeyAlgorithm>(algorithm: A, options?: KeyOptions): MaybePromise<KeyHandle<A, SecretKindOf<A>>>;

  /**
   * Imports raw key material (see {@link RawKeyFormat}) as a key for exactly `algorithm`.
   *
   * @example
   * ```ts
   * const publicKey = await backend.importKey('Ed25519', 'public', rawPublicKey);
   * ```
   */
  importKey<A extends KeyAlgorithm, K extends KeyKind>(
    algorithm: A,
    kind: K,
    raw: Uint8Array,
    options?: KeyOptions,
  ): MaybePromise<KeyHandle<A, K>>;

  /**
   * Exports raw material of an extractable key (`ERR_KEY_NOT_EXTRACTABLE` otherwise).
   *
   * @example
   * ```ts
   * const key = await backend.generateKey('X25519', { extractable: true });
   * const raw = await backend.exportKey(key); // 32 bytes
   * ```
   */
  exportKey(key: KeyHandle): MaybePromise<Uint8Array>;

  /**
   * Destroys a private or secret key: the backend erases the material it holds where the
   * platform allows (noble: the bytes are overwritten with zeros; node:crypto cannot wipe a
   * `KeyObject`, so it drops its only reference) and refuses the handle from then on with
   * `ERR_KEY_DESTROYED`, for every holder of it. Keysets call it when a key is destroyed
   * (crypto-shredding). Destroying a destroyed key does nothing. Optional: a backend without
   * it cannot erase keys, and keysets then only drop their own references.
   *
   * @example
   * ```ts
   * const key = await backend.generateKey('AES-GCM');
   * await backend.destroyKey?.(key);
   * await backend.aeadEncrypt(key, input); // throws KeyError ERR_KEY_DESTROYED
   * ```
   */
  destroyKey?(key: KeyHandle): MaybePromise<void>;

  /**
   * The public key of a private key.
   *
   * @example
   * ```ts
   * const verifyingKey = await backend.publicKey(await backend.generateKey('ECDSA-P256'));
   * ```
   */
  publicKey<A extends AsymmetricAlgorithm>(key: KeyHandle<A, 'private'>): MaybePromise<KeyHandle<A, 'public'>>;

  /**
   * Signs `data`. Ed25519 is pure EdDSA (RFC 8032 §5.1.6); ECDSA-P256 hashes with SHA-256 and
   * returns the 64-byte `r ‖ s` form COSE uses (RFC 9053 §2.1), always with low `s`.
   *
   * @example
   * ```ts
   * const signature = await backend.sign(signingKey, message); // 64 bytes
   * ```
   */
  sign(key: SigningKey, data: Uint8Array): MaybePromise<Uint8Array>;

  /**
   * Verifies a signature. Ed25519 is strict RFC 8032 (§5.1.7: canonical `S < L`, canonical
   * point encodings); ECDSA-P256 takes the 64-byte `r ‖ s` form and accepts high `s` from
   * other signers. Any invalid or malformed signature yields `false`.
   *
   * @example
   * ```ts
   * if (!(await backend.verify(verifyingKey, message, signature))) throw new Error('forged');
   * ```
   */
  verify(key: VerifyingKey, data: Uint8Array, signature: Uint8Array): MaybePromise<boolean>;

  /**
   * ECDH: the raw shared secret (X25519: 32 bytes, RFC 7748 §6.1; P-256: the 32-byte
   * x-coordinate, SEC1 §3.3.1). Throws `ERR_KEY_AGREEMENT_FAILED` when an X25519 result is all
   * zeros (a low-order peer key) or the peer key is invalid. The caller wipes the result after use.
   *
   * @example
   * ```ts
   * const secret = await backend.deriveSharedSecret(myPrivateKey, theirPublicKey);
   * // … derive keys with HKDF, then:
   * secret.fill(0);
   * ```
   */
  deriveSharedSecret(privateKey: AgreementPrivateKey, publicKey: AgreementPublicKey): MaybePromise<Uint8Array>;

  /**
   * HKDF-SHA-256 (RFC 5869).
   *
   * @example
   * ```ts
   * const kek = await backend.hkdfSha256({ ikm: sharedSecret, info: kdfContext, length: 32 });
   * ```
   */
  hkdfSha256(input: HkdfInput): MaybePromise<Uint8Array>;

  /**
   * HMAC-SHA-256 tag (32 bytes) of `data`.
   *
   * @example
   * ```ts
   * const tag = await backend.hmacSha256(macKey, message);
   * ```
   */
  hmacSha256(key: MacKey, data: Uint8Array): MaybePromise<Uint8Array>;

  /**
   * Checks an HMAC-SHA-256 tag in constant time; a tag of the wrong length yields `false`.
   *
   * @example
   * ```ts
   * const authentic = await backend.hmacSha256Verify(macKey, message, tag);
   * ```
   */
  hmacSha256Verify(key: MacKey, data: Uint8Array, tag: Uint8Array): MaybePromise<boolean>;

  /**
   * AEAD encryption: returns ciphertext ‖ 16-byte tag.
   *
   * @example
   * ```ts
   * const nonce = await backend.randomBytes(12); // fresh random nonce per message
   * const ciphertext = await backend.aeadEncrypt(key, { nonce, plaintext, aad });
   * ```
   */
  aeadEncrypt(key: AeadKey, input: AeadEncryptInput): MaybePromise<Uint8Array>;

  /**
   * AEAD decryption. Returns the plaintext only if the tag verifies; otherwise throws
   * `ERR_DECRYPTION_FAILED` and releases nothing.
   *
   * @example
   * ```ts
   * const plaintext = await backend.aeadDecrypt(key, { nonce, ciphertext, aad });
   * ```
   */
  aeadDecrypt(key: AeadKey, input: AeadDecryptInput): MaybePromise<Uint8Array>;

  /**
   * AES key wrap (RFC 3394 §2.2.1, default IV). `keyData` is 16 to 4096 bytes, a multiple of 8.
   *
   * @example
   * ```ts
   * const wrapped = await backend.wrapKey(kek, contentKeyBytes); // 40 bytes for a 32-byte key
   * ```
   */
  wrapKey(kek: WrappingKey, keyData: Uint8Array): MaybePromise<Uint8Array>;

  /**
   * AES key unwrap (RFC 3394 §2.2.2); integrity failure throws `ERR_DECRYPTION_FAILED`.
   *
   * @example
   * ```ts
   * const contentKeyBytes = await backend.unwrapKey(kek, wrapped);
   * ```
   */
  unwrapKey(kek: WrappingKey, wrapped: Uint8Array): MaybePromise<Uint8Array>;
}

/**
 * True when `value` is a promise (or any thenable). Core's one idiom for consuming a
 * {@link MaybePromise}: `const x = isPromise(r) ? await r : r`. A synchronous backend (noble,
 * `node:crypto`) must not pay a microtask per call on the hot path: `await` on a plain value
 * still yields to the microtask queue, so only the branch that skips the `await` keeps a
 * synchronous backend synchronous. Write it inline at
 * each call (a helper cannot skip its caller's `await`).
 *
 * @example
 * ```ts
 * const result = backend.sha256(data);
 * const digest = isPromise(result) ? await result : result;
 * ```
 */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * A {@link MaybePromise} as a promise, for `await settle(backend.method(...))`. Not core's
 * idiom: it always costs a microtask, even for a synchronous backend's plain value. New code
 * uses {@link isPromise} inline (see there for why). Kept only until the remaining callers
 * (cose/encrypt.ts, keys/, policy/distribution/bundle.ts, policy/audit/decision-log.ts) move
 * to {@link isPromise}; then it goes. Never throws; a value whose `then` throws becomes a
 * rejection. Internal to core.
 */
export function settle<T>(value: MaybePromise<T>): Promise<T> {
  return Promise.resolve(value);
}
