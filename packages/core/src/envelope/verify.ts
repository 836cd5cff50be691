/*
 * verify(): provenance without plaintext (DESIGN.md principle 2). Checks the producer's
 * signature and the envelope profile, and returns the signed facts. Needs no decryption key.
 */
import type { CryptoBackend, VerifyingKey } from '../backend/crypto-backend.js';
import { assertBytes } from '../backend/validate.js';
import { ArgumentError, CoseError, EnvelopeError } from '../errors.js';
import { HeaderLabel } from '../cose/headers.js';
import type { KeySource } from '../cose/key-lookup.js';
import type { CoseDecodeOptions } from '../cose/message.js';
import { verifySign1 } from '../cose/sign1.js';
import { KEY_COMMITMENT_LENGTH } from './commitment.js';
import { ContentFormat, WardHeaderLabel, decodeAttributes, decodeClaims } from './profile.js';
import type { AccessAttributes, Provenance } from './profile.js';

/** Options of {@link verify}. */
export interface VerifyOptions extends CoseDecodeOptions {
  /** The backend for signature verification. */
  readonly backend: CryptoBackend;
  /**
   * The producers you trust: their verifying key, or a function from the envelope's signer
   * `kid` (and algorithm) to a key, `undefined` for an unknown signer.
   */
  readonly trust: KeySource<VerifyingKey>;
}

/** The signed facts of an envelope, as verified. This is what a policy decides on. */
export interface EnvelopeFacts {
  /** Who produced it, for which stream, when, with which id and sequence number. */
  readonly provenance: Provenance;
  /** Access attributes. */
  readonly attributes: AccessAttributes;
  /** The producer's signing key id and COSE algorithm. */
  readonly signer: { readonly kid: Uint8Array; readonly alg: number };
  /** `encrypt0` (one shared key) or `encrypt` (per-recipient keys). */
  readonly encryption: 'encrypt0' | 'encrypt';
}

/** Internal: what open() needs beyond the facts. */
export interface VerifiedSealed {
  readonly facts: EnvelopeFacts;
  readonly inner: Uint8Array;
  readonly protectedBytes: Uint8Array;
  readonly keyCommitment: Uint8Array | undefined;
}

/**
 * Runs `fn`; any failure becomes one uninformative EnvelopeError (STYLE.md convention 2: the
 * caller of open() does not learn which check failed; `cause` keeps it for local logs).
 */
export async function refuseOnFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new EnvelopeError({ cause: error });
  }
}

/** Caller misuse is reported as such, before anything about the envelope is looked at. */
export function checkVerifyOptions(envelope: unknown, options: VerifyOptions): void {
  if (typeof options !== 'object' || options === null || options.backend === undefined || options.trust === undefined) {
    throw new ArgumentError('options need backend and trust');
  }
  assertBytes(envelope, 'envelope');
}

function profileError(what: string): never {
  throw new CoseError('ERR_COSE_INVALID_HEADER', `sealed envelope ${what}`);
}

/** Verifies the outer COSE_Sign1 and the profile; returns facts and the inner message. */
export async function verifySealed(envelope: Uint8Array, options: VerifyOptions): Promise<VerifiedSealed> {
  const verified = await verifySign1(envelope, { ...options, key: options.trust });
  const header = verified.protectedHeader;
  /* SPEC.md §Sealed envelope: the signer's kid is protected, so it is signed and bound. */
  const kid = header.get(HeaderLabel.kid);
  if (!(kid instanceof Uint8Array)) profileError('has no protected signer kid');
  const contentType = header.get(HeaderLabel.contentType);
  let encryption: 'encrypt0' | 'encrypt';
  if (contentType === ContentFormat.encrypt0) encryption = 'encrypt0';
  else if (contentType === ContentFormat.encrypt) encryption = 'encrypt';
  else profileError('content type is not COSE_Encrypt0 or COSE_Encrypt');
  const commitment = header.get(WardHeaderLabel.keyCommitment);
  if (encryption === 'encrypt' && !(commitment instanceof Uint8Array && commitment.length === KEY_COMMITMENT_LENGTH)) {
    profileError(`needs a ${KEY_COMMITMENT_LENGTH}-byte key commitment`);
  }
  if (encryption === 'encrypt0' && commitment !== undefined) profileError('with one shared key carries no key commitment');
  const facts: EnvelopeFacts = {
    provenance: decodeClaims(header),
    attributes: decodeAttributes(header),
    signer: { kid, alg: verified.alg },
    encryption,
  };
  return {
    facts,
    inner: verified.payload,
    protectedBytes: verified.protectedBytes,
    keyCommitment: commitment instanceof Uint8Array ? commitment : undefined,
  };
}

/**
 * Verifies an envelope's origin and returns its signed facts (provenance and access
 * attributes) without decrypting anything: for services that check where data came from but
 * may not read it.
 *
 * @param envelope - a sealed envelope
 * @param options - backend, trusted producer keys, decoding limits
 * @returns the verified facts
 * @throws {@link EnvelopeError} `ERR_ENVELOPE_INVALID` for any failure (malformed, unknown
 *   signer, bad signature, profile violation); the precise reason is in `cause`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `options` lack `backend` or `trust`
 * @example
 * ```ts
 * import { verify } from '@ward/core';
 *
 * const facts = await verify(envelope, { backend, trust: ({ kid }) => producers.get(hex(kid)) });
 * console.log(facts.provenance.issuer, facts.provenance.sequence, facts.attributes.classification);
 * ```
 */
export async function verify(envelope: Uint8Array, options: VerifyOptions): Promise<EnvelopeFacts> {
  checkVerifyOptions(envelope, options);
  return refuseOnFailure(async () => (await verifySealed(envelope, options)).facts);
}
