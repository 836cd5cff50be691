/**
 * Ward's error model (STYLE.md, convention 2).
 *
 * Every failure Ward reports is a {@link WardError} with a stable string {@link WardErrorCode}.
 * Callers branch on `code` (or on the family class), never on message text. Messages never
 * contain key material or plaintext; the underlying exception, if any, is kept in `cause`.
 *
 * @module
 */

/**
 * Every code a {@link WardError} can carry. Codes are stable: they are part of the public API
 * and only ever added to.
 *
 * | code | family | meaning |
 * | --- | --- | --- |
 * | `ERR_INVALID_ARGUMENT` | {@link ArgumentError} | a caller passed a value of the wrong type, length or range |
 * | `ERR_UNSUPPORTED_ALGORITHM` | {@link UnsupportedAlgorithmError} | the algorithm is not one this backend or profile implements |
 * | `ERR_KEY_INVALID` | {@link KeyError} | key bytes are malformed (wrong length, point not on the curve, zero scalar…) |
 * | `ERR_KEY_USAGE` | {@link KeyError} | a key was used for an algorithm or operation it is not for |
 * | `ERR_KEY_FOREIGN` | {@link KeyError} | a key handle was created by a different backend |
 * | `ERR_KEY_NOT_EXTRACTABLE` | {@link KeyError} | the key's material cannot leave its backend |
 * | `ERR_KEY_NOT_FOUND` | {@link KeyError} | no key with that id is in the keyset or keystore |
 * | `ERR_KEY_REVOKED` | {@link KeyError} | the key was revoked and is refused for every operation |
 * | `ERR_KEY_DESTROYED` | {@link KeyError} | the key's material was erased; data under it is crypto-shredded |
 * | `ERR_KEY_LIMIT_REACHED` | {@link KeyError} | the rotation policy's use or age limit for the key is reached: rotate |
 * | `ERR_KEYSET_INVALID` | {@link KeyError} | a keyset or its document breaks the keyset rules (no primary, duplicate kid, bad state) |
 * | `ERR_KEY_AGREEMENT_FAILED` | {@link KeyAgreementError} | ECDH produced no usable secret (low-order or invalid peer key) |
 * | `ERR_DECRYPTION_FAILED` | {@link DecryptionError} | authenticated decryption or key unwrap failed; deliberately uninformative |
 * | `ERR_CBOR_MALFORMED` | {@link DecodeError} | bytes are not well-formed CBOR: truncated, reserved values, invalid UTF-8, trailing bytes |
 * | `ERR_CBOR_LIMIT` | {@link DecodeError} | the input exceeds a decoding limit (size, depth, entries); checked before allocating |
 * | `ERR_CBOR_DUPLICATE_KEY` | {@link DecodeError} | a map holds the same key twice (RFC 8949 §5.6) |
 * | `ERR_CBOR_UNSUPPORTED` | {@link DecodeError} | well-formed CBOR that Ward's data model does not accept or cannot encode |
 * | `ERR_COSE_MALFORMED` | {@link CoseError} | a COSE structure has the wrong shape (array length, field types) |
 * | `ERR_COSE_WRONG_TAG` | {@link CoseError} | the CBOR tag is not the COSE structure expected (RFC 9052 §2) |
 * | `ERR_COSE_INVALID_HEADER` | {@link CoseError} | a header bucket breaks RFC 9052 §3 (types, duplicates across buckets, missing alg) |
 * | `ERR_COSE_UNKNOWN_CRITICAL` | {@link CoseError} | a `crit` label is not understood (RFC 9052 §3.1) |
 * | `ERR_COSE_UNPROTECTED_ALG` | {@link CoseError} | `alg` sits in the unprotected bucket of a layer that must authenticate it |
 * | `ERR_COSE_ALGORITHM_MISMATCH` | {@link CoseError} | the message's `alg` is not the algorithm of the key offered for it |
 * | `ERR_SIGNATURE_INVALID` | {@link VerificationError} | a signature does not verify |
 * | `ERR_MAC_INVALID` | {@link VerificationError} | a MAC tag does not verify |
 * | `ERR_ENVELOPE_INVALID` | {@link EnvelopeError} | a sealed envelope failed verification or decryption; which check failed is only in `cause` |
 * | `ERR_BACKEND_VERSION` | {@link BackendError} | a `CryptoBackend` implements an interface version this core does not speak |
 * | `ERR_BACKEND_FAILURE` | {@link BackendError} | the platform's crypto failed in a way no other code describes |
 * | `ERR_REPLAY_DUPLICATE` | {@link ReplayError} | the message's sequence number or id was already accepted on its stream |
 * | `ERR_REPLAY_TOO_OLD` | {@link ReplayError} | the sequence number is below the replay window, or the message is older than the id retention |
 * | `ERR_REPLAY_STORE_UNAVAILABLE` | {@link ReplayError} | the replay store failed, so freshness could not be checked (fail closed) |
 * | `ERR_TRUST_UNKNOWN_SIGNER` | {@link TrustError} | no trusted key has the signer's key id |
 * | `ERR_TRUST_REVOKED` | {@link TrustError} | the signer's key was revoked (and the data is not accepted as signed before it) |
 * | `ERR_TRUST_NOT_VALID` | {@link TrustError} | the signing time lies outside the key's validity window |
 * | `ERR_TRUST_ISSUER_MISMATCH` | {@link TrustError} | the claimed issuer is not the identity the key is trusted for |
 * | `ERR_TRUST_ROLE` | {@link TrustError} | the key is trusted, but not for this role (producer, re-wrap authority, trust-store signer…) |
 * | `ERR_TRUST_DOCUMENT_INVALID` | {@link TrustError} | a signed trust-store document is malformed or its signature does not verify |
 * | `ERR_TRUST_DOCUMENT_ROLLBACK` | {@link TrustError} | a trust-store document is older (lower serial) than the one already loaded |
 * | `ERR_KEYSTORE_CORRUPT` | {@link KeyStoreError} | a keystore's stored bytes are malformed or fail authentication |
 * | `ERR_KEYSTORE_UNLOCK_FAILED` | {@link KeyStoreError} | the keystore could not be decrypted: wrong passphrase or tampered file (deliberately not told apart) |
 * | `ERR_KEYSTORE_IO` | {@link KeyStoreError} | reading or writing the keystore's storage failed |
 * | `ERR_KEYSTORE_ROLLBACK` | {@link KeyStoreError} | a stored keyset document is older (lower revision) than one the store already saw |
 * | `ERR_DECISION_LOG_INVALID` | {@link DecisionLogError} | a decision record or log is malformed, fails its signature check, or breaks its hash chain |
 * | `ERR_DECISION_LOG_UNAVAILABLE` | {@link DecisionLogError} | a decision-log sink could not record or read (I/O failure, closed, or failed earlier) |
 * | `ERR_POLICY_BUNDLE_INVALID` | {@link PolicyError} | a policy bundle is malformed or over a limit (gzip, tar, paths, manifest, data, wasm); nothing of it is used |
 * | `ERR_POLICY_BUNDLE_SIGNATURE` | {@link PolicyError} | a policy bundle's signature is missing, malformed, by an untrusted key, does not verify, or does not cover exactly its files |
 * | `ERR_POLICY_BUNDLE_ROLLBACK` | {@link PolicyError} | a policy bundle's revision is older than the active one |
 * | `ERR_POLICY_DENIED` | {@link PolicyError} | the policy denied the request |
 * | `ERR_POLICY_EVALUATION` | {@link PolicyError} | the policy could not be loaded or failed to evaluate; nothing is allowed |
 * | `ERR_POLICY_OBLIGATION` | {@link PolicyError} | an allow's obligation could not be met (no decision log, no notifier, a payload that cannot be redacted); nothing is released |
 * | `ERR_POLICY_TIMEOUT` | {@link PolicyError} | a decision in an isolated policy worker did not finish within its time budget (the worker is replaced); a deny |
 */
export type WardErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_UNSUPPORTED_ALGORITHM'
  | 'ERR_KEY_INVALID'
  | 'ERR_KEY_USAGE'
  | 'ERR_KEY_FOREIGN'
  | 'ERR_KEY_NOT_EXTRACTABLE'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_REVOKED'
  | 'ERR_KEY_DESTROYED'
  | 'ERR_KEY_LIMIT_REACHED'
  | 'ERR_KEYSET_INVALID'
  | 'ERR_KEY_AGREEMENT_FAILED'
  | 'ERR_DECRYPTION_FAILED'
  | 'ERR_CBOR_MALFORMED'
  | 'ERR_CBOR_LIMIT'
  | 'ERR_CBOR_DUPLICATE_KEY'
  | 'ERR_CBOR_UNSUPPORTED'
  | 'ERR_COSE_MALFORMED'
  | 'ERR_COSE_WRONG_TAG'
  | 'ERR_COSE_INVALID_HEADER'
  | 'ERR_COSE_UNKNOWN_CRITICAL'
  | 'ERR_COSE_UNPROTECTED_ALG'
  | 'ERR_COSE_ALGORITHM_MISMATCH'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_MAC_INVALID'
  | 'ERR_ENVELOPE_INVALID'
  | 'ERR_BACKEND_VERSION'
  | 'ERR_BACKEND_FAILURE'
  | 'ERR_REPLAY_DUPLICATE'
  | 'ERR_REPLAY_TOO_OLD'
  | 'ERR_REPLAY_STORE_UNAVAILABLE'
  | 'ERR_TRUST_UNKNOWN_SIGNER'
  | 'ERR_TRUST_REVOKED'
  | 'ERR_TRUST_NOT_VALID'
  | 'ERR_TRUST_ISSUER_MISMATCH'
  | 'ERR_TRUST_ROLE'
  | 'ERR_TRUST_DOCUMENT_INVALID'
  | 'ERR_TRUST_DOCUMENT_ROLLBACK'
  | 'ERR_KEYSTORE_CORRUPT'
  | 'ERR_KEYSTORE_UNLOCK_FAILED'
  | 'ERR_KEYSTORE_IO'
  | 'ERR_KEYSTORE_ROLLBACK'
  | 'ERR_DECISION_LOG_INVALID'
  | 'ERR_DECISION_LOG_UNAVAILABLE'
  | 'ERR_POLICY_BUNDLE_INVALID'
  | 'ERR_POLICY_BUNDLE_SIGNATURE'
  | 'ERR_POLICY_BUNDLE_ROLLBACK'
  | 'ERR_POLICY_DENIED'
  | 'ERR_POLICY_EVALUATION'
  | 'ERR_POLICY_OBLIGATION'
  | 'ERR_POLICY_TIMEOUT';

/** Options accepted by every {@link WardError} constructor. */
export interface WardErrorOptions {
  /** The underlying failure, kept for diagnostics. Never shown to a remote party. */
  readonly cause?: unknown;
}

/*
 * A brand that survives duplicate installs: two copies of @ward/core have two WardError
 * classes, so `instanceof` fails across them, but Symbol.for() is one registry per realm.
 * The brand holds the family names of the error's class chain. Every class that adds fields
 * (PolicyDeniedError's `reasons`) must declare its own `family`, or `isInstance` would answer
 * for its parent's family and promise fields an error of the parent does not have;
 * errors.test.ts checks that every exported class has its own.
 */
const BRAND: unique symbol = Symbol.for('@ward/core/WardError') as never;

type ErrorClass = { readonly family: string } & (abstract new (...args: never[]) => WardError);

/*
 * What `C.isInstance` narrows to: `WardError.isInstance` to the code-discriminated union of
 * every concrete error (so a `switch (error.code)` narrows), a subclass to its instances.
 */
type WardInstance<C extends ErrorClass> = C extends typeof WardError
  ? (typeof WardError extends C ? AnyWardError : InstanceType<C>)
  : InstanceType<C>;

/**
 * Base class of every error Ward throws.
 *
 * @example
 * ```ts
 * import { WardError } from '@ward/core';
 *
 * try {
 *   await backend.aeadDecrypt(key, { nonce, ciphertext, aad });
 * } catch (error) {
 *   if (WardError.isInstance(error) && error.code === 'ERR_DECRYPTION_FAILED') {
 *     // reject the message; do not tell the sender why
 *   }
 *   throw error;
 * }
 * ```
 */
export class WardError extends Error {
  /** Family name used by {@link WardError.isInstance}; each subclass overrides it. */
  static readonly family: string = 'WardError';

  /** Stable machine-readable code. Branch on this, never on `message`. */
  readonly code: WardErrorCode;

  declare readonly [BRAND]: readonly string[];

  /**
   * @param code - stable error code
   * @param message - human-readable text; must not contain secrets or plaintext
   * @param options - optional `cause`
   */
  constructor(code: WardErrorCode, message: string, options?: WardErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    const families: string[] = [];
    for (let c = new.target as unknown as ErrorClass | null; c; c = Object.getPrototypeOf(c) as ErrorClass | null) {
      if (!Object.prototype.hasOwnProperty.call(c, 'family')) continue;
      families.push(c.family);
      if (c.family === 'WardError') break;
    }
    this.name = families[0] ?? 'WardError';
    Object.defineProperty(this, BRAND, { value: Object.freeze(families), enumerable: false });
  }

  /**
   * True when `value` is an error of this class (or a subclass), even when it was thrown by a
   * different copy of `@ward/core` than the one that imported this class.
   *
   * @example
   * ```ts
   * if (KeyError.isInstance(error)) console.warn(error.code); // e.g. ERR_KEY_USAGE
   * ```
   */
  static isInstance<C extends ErrorClass>(this: C, value: unknown): value is WardInstance<C> {
    if (typeof value !== 'object' || value === null) return false;
    const families = (value as { [BRAND]?: unknown })[BRAND];
    return Array.isArray(families) && families.includes(this.family);
  }
}

/**
 * A caller passed a value of the wrong type, length or range. Code: `ERR_INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * throw new ArgumentError('nonce must be 12 bytes');
 * ```
 */
export class ArgumentError extends WardError {
  static override readonly family: string = 'ArgumentError';
  declare readonly code: 'ERR_INVALID_ARGUMENT';
  /** @param message - what was wrong; @param options - optional cause */
  constructor(message: string, options?: WardErrorOptions) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}

/**
 * The algorithm is not implemented by this backend or allowed by this profile.
 * Code: `ERR_UNSUPPORTED_ALGORITHM`.
 *
 * @example
 * ```ts
 * throw new UnsupportedAlgorithmError('AES-KW with a 20-byte key');
 * ```
 */
export class UnsupportedAlgorithmError extends WardError {
  static override readonly family: string = 'UnsupportedAlgorithmError';
  declare readonly code: 'ERR_UNSUPPORTED_ALGORITHM';
  /** @param message - which algorithm; @param options - optional cause */
  constructor(message: string, options?: WardErrorOptions) {
    super('ERR_UNSUPPORTED_ALGORITHM', message, options);
  }
}

/** Codes of the {@link KeyError} family. */
export type KeyErrorCode =
  | 'ERR_KEY_INVALID'
  | 'ERR_KEY_USAGE'
  | 'ERR_KEY_FOREIGN'
  | 'ERR_KEY_NOT_EXTRACTABLE'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_REVOKED'
  | 'ERR_KEY_DESTROYED'
  | 'ERR_KEY_LIMIT_REACHED'
  | 'ERR_KEYSET_INVALID';

/**
 * A key is malformed, used for the wrong purpose, from another backend, or not extractable;
 * or a keyset refused an operation because of the key's lifecycle state or its rotation
 * policy. Messages name the key's algorithm and id, never its bytes.
 *
 * @example
 * ```ts
 * throw new KeyError('ERR_KEY_USAGE', 'an X25519 key cannot sign');
 * ```
 */
export class KeyError extends WardError {
  static override readonly family: string = 'KeyError';
  declare readonly code: KeyErrorCode;
  /** @param code - one of {@link KeyErrorCode}; @param message - text; @param options - cause */
  constructor(code: KeyErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/**
 * Elliptic-curve Diffie-Hellman produced no usable shared secret: the peer's public key was
 * invalid or of low order, so the result would be all zeros (RFC 7748 §6.1) or undefined.
 * Code: `ERR_KEY_AGREEMENT_FAILED`.
 *
 * @example
 * ```ts
 * throw new KeyAgreementError('X25519 shared secret is all zeros');
 * ```
 */
export class KeyAgreementError extends WardError {
  static override readonly family: string = 'KeyAgreementError';
  declare readonly code: 'ERR_KEY_AGREEMENT_FAILED';
  /** @param message - text; @param options - optional cause */
  constructor(message: string, options?: WardErrorOptions) {
    super('ERR_KEY_AGREEMENT_FAILED', message, options);
  }
}

/**
 * Authenticated decryption or key unwrap failed. Deliberately carries the same message for
 * every reason (wrong key, tampered ciphertext, tag, nonce or AAD) so that the error is no
 * oracle. Code: `ERR_DECRYPTION_FAILED`.
 *
 * @example
 * ```ts
 * throw new DecryptionError();
 * ```
 */
export class DecryptionError extends WardError {
  static override readonly family: string = 'DecryptionError';
  declare readonly code: 'ERR_DECRYPTION_FAILED';
  /** @param options - optional cause (kept local; never sent to a peer) */
  constructor(options?: WardErrorOptions) {
    super('ERR_DECRYPTION_FAILED', 'decryption failed', options);
  }
}

/** Codes of the {@link DecodeError} family. */
export type DecodeErrorCode = 'ERR_CBOR_MALFORMED' | 'ERR_CBOR_LIMIT' | 'ERR_CBOR_DUPLICATE_KEY' | 'ERR_CBOR_UNSUPPORTED';

/**
 * Input bytes could not be decoded: malformed, over a limit, ambiguous or unsupported. Thrown
 * before any partial value is returned; messages give the byte offset, never the content.
 *
 * @example
 * ```ts
 * throw new DecodeError('ERR_CBOR_LIMIT', 'nesting deeper than 16 at offset 40');
 * ```
 */
export class DecodeError extends WardError {
  static override readonly family: string = 'DecodeError';
  declare readonly code: DecodeErrorCode;
  /** @param code - one of {@link DecodeErrorCode}; @param message - text; @param options - cause */
  constructor(code: DecodeErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of the {@link CoseError} family. */
export type CoseErrorCode =
  | 'ERR_COSE_MALFORMED'
  | 'ERR_COSE_WRONG_TAG'
  | 'ERR_COSE_INVALID_HEADER'
  | 'ERR_COSE_UNKNOWN_CRITICAL'
  | 'ERR_COSE_UNPROTECTED_ALG'
  | 'ERR_COSE_ALGORITHM_MISMATCH';

/**
 * A COSE message is well-formed CBOR but not an acceptable COSE structure (RFC 9052).
 *
 * @example
 * ```ts
 * throw new CoseError('ERR_COSE_UNPROTECTED_ALG', 'alg must be a protected header parameter');
 * ```
 */
export class CoseError extends WardError {
  static override readonly family: string = 'CoseError';
  declare readonly code: CoseErrorCode;
  /** @param code - one of {@link CoseErrorCode}; @param message - text; @param options - cause */
  constructor(code: CoseErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of the {@link VerificationError} family. */
export type VerificationErrorCode = 'ERR_SIGNATURE_INVALID' | 'ERR_MAC_INVALID';

/**
 * A signature or MAC did not verify. The message never says which byte or check failed.
 *
 * @example
 * ```ts
 * throw new VerificationError('ERR_SIGNATURE_INVALID', 'signature does not verify');
 * ```
 */
export class VerificationError extends WardError {
  static override readonly family: string = 'VerificationError';
  declare readonly code: VerificationErrorCode;
  /** @param code - one of {@link VerificationErrorCode}; @param message - text; @param options - cause */
  constructor(code: VerificationErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/**
 * A sealed envelope was refused by `verifyEnvelope()` or `openEnvelope()`. Every verification and decryption
 * failure carries this one code and message, so the caller (and anyone the caller echoes
 * errors to) learns nothing about which check failed; the precise failure is in `cause` for
 * local diagnostics and decision logs. Code: `ERR_ENVELOPE_INVALID`.
 *
 * @example
 * ```ts
 * try {
 *   await openEnvelope(envelope, { backend, trust, recipient });
 * } catch (error) {
 *   if (EnvelopeError.isInstance(error)) log.warn('envelope refused', { detail: error.cause });
 * }
 * ```
 */
export class EnvelopeError extends WardError {
  static override readonly family: string = 'EnvelopeError';
  declare readonly code: 'ERR_ENVELOPE_INVALID';
  /** @param options - the underlying failure, kept in `cause` */
  constructor(options?: WardErrorOptions) {
    super('ERR_ENVELOPE_INVALID', 'envelope refused', options);
  }
}

/** Codes of the {@link BackendError} family. */
export type BackendErrorCode = 'ERR_BACKEND_VERSION' | 'ERR_BACKEND_FAILURE';

/**
 * A `CryptoBackend` is of an unsupported interface version, or the platform's crypto failed
 * unexpectedly.
 *
 * @example
 * ```ts
 * throw new BackendError('ERR_BACKEND_VERSION', 'backend speaks CryptoBackend v2, core speaks v1');
 * ```
 */
export class BackendError extends WardError {
  static override readonly family: string = 'BackendError';
  declare readonly code: BackendErrorCode;
  /** @param code - one of {@link BackendErrorCode}; @param message - text; @param options - cause */
  constructor(code: BackendErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of the {@link ReplayError} family. */
export type ReplayErrorCode = 'ERR_REPLAY_DUPLICATE' | 'ERR_REPLAY_TOO_OLD' | 'ERR_REPLAY_STORE_UNAVAILABLE';

/**
 * A verified envelope was refused as a replay (its sequence number or id was already accepted),
 * as too old to check (below the sequence window or past the id retention), or because the
 * replay store could not be consulted. Gaps and in-window reordering are not errors.
 *
 * @example
 * ```ts
 * throw new ReplayError('ERR_REPLAY_DUPLICATE', 'sequence 41 was already accepted');
 * ```
 */
export class ReplayError extends WardError {
  static override readonly family: string = 'ReplayError';
  declare readonly code: ReplayErrorCode;
  /** @param code - one of {@link ReplayErrorCode}; @param message - text; @param options - cause */
  constructor(code: ReplayErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of the {@link TrustError} family. */
export type TrustErrorCode =
  | 'ERR_TRUST_UNKNOWN_SIGNER'
  | 'ERR_TRUST_REVOKED'
  | 'ERR_TRUST_NOT_VALID'
  | 'ERR_TRUST_ISSUER_MISMATCH'
  | 'ERR_TRUST_ROLE'
  | 'ERR_TRUST_DOCUMENT_INVALID'
  | 'ERR_TRUST_DOCUMENT_ROLLBACK';

/**
 * A trust store refused a signer (unknown, revoked, outside its validity window, claiming
 * another issuer, or not trusted for the role), or refused a trust-store document.
 *
 * @example
 * ```ts
 * throw new TrustError('ERR_TRUST_REVOKED', 'producer key revoked at 2026-11-01T00:00:00Z');
 * ```
 */
export class TrustError extends WardError {
  static override readonly family: string = 'TrustError';
  declare readonly code: TrustErrorCode;
  /** @param code - one of {@link TrustErrorCode}; @param message - text; @param options - cause */
  constructor(code: TrustErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of the {@link KeyStoreError} family. */
export type KeyStoreErrorCode = 'ERR_KEYSTORE_CORRUPT' | 'ERR_KEYSTORE_UNLOCK_FAILED' | 'ERR_KEYSTORE_IO' | 'ERR_KEYSTORE_ROLLBACK';

/**
 * A keystore could not be read, unlocked or written. A keystore never returns a partly
 * decoded keyset: any failure is one of these codes.
 *
 * @example
 * ```ts
 * throw new KeyStoreError('ERR_KEYSTORE_UNLOCK_FAILED', 'keystore could not be unlocked');
 * ```
 */
export class KeyStoreError extends WardError {
  static override readonly family: string = 'KeyStoreError';
  declare readonly code: KeyStoreErrorCode;
  /** @param code - one of {@link KeyStoreErrorCode}; @param message - text; @param options - cause */
  constructor(code: KeyStoreErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of the {@link DecisionLogError} family. */
export type DecisionLogErrorCode = 'ERR_DECISION_LOG_INVALID' | 'ERR_DECISION_LOG_UNAVAILABLE';

/**
 * A decision record or log was refused (malformed, a signature that does not verify, a
 * broken hash chain: `ERR_DECISION_LOG_INVALID`), or a decision-log sink could not write or
 * read (`ERR_DECISION_LOG_UNAVAILABLE`). Messages name the record or line, never key material.
 *
 * @example
 * ```ts
 * throw new DecisionLogError('ERR_DECISION_LOG_INVALID', 'line 7: the record does not follow the one before it');
 * ```
 */
export class DecisionLogError extends WardError {
  static override readonly family: string = 'DecisionLogError';
  declare readonly code: DecisionLogErrorCode;
  /** @param code - one of {@link DecisionLogErrorCode}; @param message - text; @param options - cause */
  constructor(code: DecisionLogErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of the {@link PolicyError} family. */
export type PolicyErrorCode =
  | 'ERR_POLICY_BUNDLE_INVALID'
  | 'ERR_POLICY_BUNDLE_SIGNATURE'
  | 'ERR_POLICY_BUNDLE_ROLLBACK'
  | 'ERR_POLICY_DENIED'
  | 'ERR_POLICY_EVALUATION'
  | 'ERR_POLICY_OBLIGATION'
  | 'ERR_POLICY_TIMEOUT';

/**
 * A policy bundle was refused (malformed, over a limit, unsigned or badly signed, older than
 * the active one), or the policy denied a request or could not decide. Every refusal fails
 * closed: no partly read bundle is returned, and a policy that cannot decide allows nothing.
 *
 * @example
 * ```ts
 * throw new PolicyError('ERR_POLICY_BUNDLE_SIGNATURE', 'policy bundle: policy.wasm does not match its signed hash');
 * ```
 */
export class PolicyError extends WardError {
  static override readonly family: string = 'PolicyError';
  declare readonly code: PolicyErrorCode;
  /** @param code - one of {@link PolicyErrorCode}; @param message - text; @param options - cause */
  constructor(code: PolicyErrorCode, message: string, options?: WardErrorOptions) {
    super(code, message, options);
  }
}

/**
 * Every concrete error Ward throws, as one union discriminated by `code`: after
 * `WardError.isInstance(error)`, a `switch (error.code)` narrows to the class that carries
 * that code (`ERR_KEY_NOT_FOUND` → {@link KeyError}, `ERR_ENVELOPE_INVALID` →
 * {@link EnvelopeError}…). `PolicyDeniedError` (with the policy's `reasons`) is a
 * {@link PolicyError} with code `ERR_POLICY_DENIED`; tell it apart with
 * `PolicyDeniedError.isInstance(error)`.
 *
 * @example
 * ```ts
 * import { WardError } from '@ward/core';
 *
 * try {
 *   await openEnvelope(envelope, options);
 * } catch (error) {
 *   if (!WardError.isInstance(error)) throw error;
 *   switch (error.code) {
 *     case 'ERR_ENVELOPE_INVALID': return reject(400, error.cause); // EnvelopeError
 *     case 'ERR_POLICY_DENIED': return reject(403);                  // PolicyError
 *     case 'ERR_REPLAY_DUPLICATE': return ignore();                  // ReplayError
 *     default: throw error;
 *   }
 * }
 * ```
 */
export type AnyWardError =
  | ArgumentError
  | UnsupportedAlgorithmError
  | KeyError
  | KeyAgreementError
  | DecryptionError
  | DecodeError
  | CoseError
  | VerificationError
  | EnvelopeError
  | BackendError
  | ReplayError
  | TrustError
  | KeyStoreError
  | DecisionLogError
  | PolicyError;
