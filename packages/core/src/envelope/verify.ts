/*
 * verifyEnvelope(): provenance without plaintext (DESIGN.md principle 2). Checks the producer's
 * signature and the envelope profile, and returns the signed facts. Needs no decryption key.
 */
import type { CryptoBackend, VerifyingKey } from '../backend/crypto-backend.js';
import { assertBytes, checkBackendOptions } from '../backend/validate.js';
import { CoseError, EnvelopeError, TrustError } from '../errors.js';
import { SIGNATURE_ALGORITHMS } from '../cose/algorithms.js';
import { HeaderLabel, decodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { checkKeySource, checkRecipientSource, resolveKey } from '../cose/key-lookup.js';
import type { KeySource } from '../cose/key-lookup.js';
import type { CoseDecodeOptions } from '../cose/message.js';
import { verifySign1 } from '../cose/sign1.js';
import type { VerifiedSign1 } from '../cose/sign1.js';
import { checkReplay } from '../replay/replay-guard.js';
import type { CheckReplayOptions } from '../replay/replay-guard.js';
import { KEY_COMMITMENT_LENGTH } from './commitment.js';
import { checkCiphertextDigest, detachedContentOf } from './detached.js';
import type { DetachedContent } from './detached.js';
import { ClaimKey, ContentFormat, RewrapRecordKey, WardHeaderLabel } from '../profile/labels.js';
import { decodeAttributes, decodeClaims, idField, secondsField, textField } from '../profile/claims.js';
import type { EnvelopeFacts } from '../profile/facts.js';

/** Options of {@link verifyEnvelope}. */
export interface VerifyOptions extends CoseDecodeOptions {
  /** The backend for signature verification. */
  readonly backend: CryptoBackend;
  /**
   * The producers you trust: their verifying key, or a function from the envelope's signer
   * `kid` (and algorithm and protected header) to a key, `undefined` for an unknown signer;
   * typically a `TrustStore`'s `keySource()`.
   */
  readonly trust: KeySource<VerifyingKey>;
  /**
   * The re-wrap authorities you trust (typically a `TrustStore`'s `keySource('rewrap')`).
   * Without it, re-wrapped envelopes are refused: a verifier opts in to trusting a re-wrap
   * authority's word for the producer's signature (SPEC.md §Re-wrap).
   */
  readonly rewrapAuthorities?: KeySource<VerifyingKey>;
  /**
   * Replay protection: when given, every verified envelope's sequence number and id are
   * checked and recorded in this replay window (see `checkReplay`); replays are thrown as
   * `ReplayError`, and the outcome is in the facts' `freshness`.
   */
  readonly replay?: CheckReplayOptions;
}

/** Internal: what openEnvelope() and rewrapEnvelope() need beyond the facts. */
export interface VerifiedSealed {
  readonly facts: EnvelopeFacts;
  readonly inner: Uint8Array;
  /** The producer's Sign1 protected bytes: what the inner encryption's external AAD binds. */
  readonly protectedBytes: Uint8Array;
  /** The producer's signature over them. */
  readonly signature: Uint8Array;
  readonly keyCommitment: Uint8Array | undefined;
  /** A COSE_Encrypt envelope's detached ciphertext and its signed digest (SPEC.md §Detached ciphertext). */
  readonly content: DetachedContent | undefined;
}

/** Internal switches of {@link verifySealed}. */
export interface VerifySealedMode {
  /**
   * Whether to hash the detached ciphertext against its signed digest (default true). Only a
   * re-wrap skips it: it carries the ciphertext over without vouching for it, and every
   * verifier and reader downstream checks it.
   */
  readonly checkCiphertext?: boolean;
}

/**
 * Runs `fn`; any failure becomes one uninformative EnvelopeError (STYLE.md convention 2: the
 * caller of openEnvelope() does not learn which check failed; `cause` keeps it for local logs).
 */
export async function refuseOnFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new EnvelopeError({ cause: error });
  }
}

/**
 * Caller misuse is reported as such, naming the option and the fix, before anything about the
 * envelope is looked at (an `ArgumentError`, never an `EnvelopeError`: a TrustStore passed as
 * `trust` is not an envelope that fails to verify). Shared by verifyEnvelope(), openEnvelope() and rewrapEnvelope(),
 * so it also checks their `recipient` and `key` when given; `fn` names the caller.
 */
export function checkVerifyOptions(
  envelope: unknown,
  options: VerifyOptions & { readonly recipient?: unknown; readonly key?: unknown },
  fn = 'openEnvelope',
): void {
  checkBackendOptions(options, fn);
  checkKeySource(options.trust, `${fn}() options.trust`);
  if (options.rewrapAuthorities !== undefined) checkKeySource(options.rewrapAuthorities, `${fn}() options.rewrapAuthorities`);
  if (options.recipient !== undefined) checkRecipientSource(options.recipient, `${fn}() options.recipient`);
  if (options.key !== undefined) checkKeySource(options.key, `${fn}() options.key`);
  assertBytes(envelope, 'envelope');
}

function profileError(what: string): never {
  throw new CoseError('ERR_COSE_INVALID_HEADER', `sealed envelope ${what}`);
}

/** The profile of a producer's protected header (SPEC.md §Sealed envelope). */
function checkProducerHeader(header: HeaderMap): Pick<EnvelopeFacts, 'encryption'> & { kid: Uint8Array; commitment: Uint8Array | undefined } {
  /* The signer's kid is protected, so it is signed, and bound into the inner AEAD through the
   * external AAD (SPEC.md §AAD binding): stripping the signature and re-signing under another
   * key breaks decryption. */
  const kid = header.get(HeaderLabel.kid);
  if (!(kid instanceof Uint8Array)) profileError('has no protected signer kid');
  const contentType = header.get(HeaderLabel.contentType);
  let encryption: 'encrypt0' | 'encrypt';
  if (contentType === ContentFormat.encrypt0) encryption = 'encrypt0';
  else if (contentType === ContentFormat.encrypt) encryption = 'encrypt';
  else profileError('content type is not COSE_Encrypt0 or COSE_Encrypt');
  /* Key commitment (invisible salamanders): a multi-recipient envelope must carry one, so no
   * recipient can be given a CEK the producer did not sign for. */
  const commitment = header.get(WardHeaderLabel.keyCommitment);
  if (encryption === 'encrypt' && !(commitment instanceof Uint8Array && commitment.length === KEY_COMMITMENT_LENGTH)) {
    profileError(`needs a ${KEY_COMMITMENT_LENGTH}-byte key commitment`);
  }
  if (encryption === 'encrypt0' && commitment !== undefined) profileError('with one shared key carries no key commitment');
  /* One re-wrap layer only: a nested record would let an authority restate another's facts. */
  if (header.has(WardHeaderLabel.rewrap)) profileError('nests one re-wrap record in another');
  return { kid, encryption, commitment: commitment instanceof Uint8Array ? commitment : undefined };
}

/** The sealed profile understands its re-wrap record when it is marked critical (it always is). */
const REWRAP_UNDERSTOOD: ReadonlySet<number> = new Set([WardHeaderLabel.rewrap]);

/** Verifies the outer COSE_Sign1 and the profile; returns facts and the inner message. */
export async function verifySealed(envelope: Uint8Array, options: VerifyOptions, mode: VerifySealedMode = {}): Promise<VerifiedSealed> {
  const signed = await verifySignedParts(envelope, options);
  const content = detachedContentOf(signed.unprotectedHeader, signed.facts.encryption, signed.inner, options);
  /* The detached ciphertext sits outside the signed bytes: only its signed SHA-256 digest binds it. */
  if (content !== undefined && mode.checkCiphertext !== false) await checkCiphertextDigest(options.backend, content);
  return { ...signed, content };
}

/** What the signature covers: the outer Sign1 and the profile, the ciphertext aside. */
async function verifySignedParts(envelope: Uint8Array, options: VerifyOptions): Promise<Omit<VerifiedSealed, 'content'> & { unprotectedHeader: HeaderMap }> {
  const { trust, rewrapAuthorities } = options;
  /* RFC 9052 §4.4: the signature is checked over Sig_structure ("Signature1", the protected
   * bytes as received, empty external AAD, the payload), so every fact read below is signed.
   * A re-wrapped envelope is signed by a re-wrap authority, never by a producer key, and only
   * verifiers that name their authorities accept one. */
  const verified = await verifySign1(envelope, {
    ...options,
    understood: REWRAP_UNDERSTOOD,
    key: (lookup) => {
      if (!lookup.protectedHeader.has(WardHeaderLabel.rewrap)) return resolveKey(trust, lookup);
      if (rewrapAuthorities === undefined) throw new TrustError('ERR_TRUST_ROLE', 're-wrapped envelope, and no re-wrap authority is trusted');
      return resolveKey(rewrapAuthorities, lookup);
    },
  });
  const { unprotectedHeader } = verified;
  if (verified.protectedHeader.has(WardHeaderLabel.rewrap)) return { ...(await verifyRewrapped(verified, options)), unprotectedHeader };
  const header = verified.protectedHeader;
  const { kid, encryption, commitment } = checkProducerHeader(header);
  const facts: EnvelopeFacts = {
    provenance: decodeClaims(header),
    attributes: decodeAttributes(header),
    signer: { kid, alg: verified.alg },
    encryption,
  };
  return { facts, inner: verified.payload, protectedBytes: verified.protectedBytes, signature: verified.signature, keyCommitment: commitment, unprotectedHeader };
}

/**
 * SPEC.md §Re-wrap: the authority's signature covers the new COSE_Encrypt and the record of
 * the producer's protected header and signature. The producer must still be trusted (for its
 * issuer, at its signing time), though its signature, which covered the old recipients,
 * cannot be re-checked here.
 */
async function verifyRewrapped(verified: VerifiedSign1, options: VerifyOptions): Promise<Omit<VerifiedSealed, 'content'>> {
  const header = verified.protectedHeader;
  const record = header.get(WardHeaderLabel.rewrap);
  if (!(record instanceof Map) || record.size !== 2) profileError('re-wrap record must be a map of 2 entries');
  const originProtected = record.get(RewrapRecordKey.originProtected);
  const originSignature = record.get(RewrapRecordKey.originSignature);
  if (!(originProtected instanceof Uint8Array) || !(originSignature instanceof Uint8Array) || originSignature.length !== 64) {
    profileError('re-wrap record must hold the original protected header and a 64-byte signature');
  }
  /* RFC 9052 §3.1: the record changes how the envelope must be read, so it is marked critical;
   * a COSE verifier that does not know it then refuses instead of misreading the envelope. */
  const crit = header.get(HeaderLabel.crit);
  if (!Array.isArray(crit) || !crit.includes(WardHeaderLabel.rewrap)) profileError('re-wrap record must be marked critical');
  const authorityKid = header.get(HeaderLabel.kid);
  if (!(authorityKid instanceof Uint8Array)) profileError('re-wrap has no protected authority kid');
  if (header.get(HeaderLabel.contentType) !== ContentFormat.encrypt) profileError('re-wrap content type is not COSE_Encrypt');
  const authority = decodeAuthorityClaims(header);

  const originHeader = decodeProtectedHeader(originProtected, options);
  const originAlg = originHeader.get(HeaderLabel.alg);
  const expected = typeof originAlg === 'number' ? SIGNATURE_ALGORITHMS.get(originAlg) : undefined;
  if (expected === undefined) profileError('original alg is not a supported signature algorithm');
  const { kid, encryption, commitment } = checkProducerHeader(originHeader);
  if (encryption !== 'encrypt') profileError('re-wraps only COSE_Encrypt');
  /* The producer must still be trusted (issuer, validity, revocation at its signing time). */
  const producerKey = await resolveKey(options.trust, { alg: originAlg as number, kid, protectedHeader: originHeader, unprotectedHeader: new Map() });
  if (producerKey === undefined) throw new TrustError('ERR_TRUST_UNKNOWN_SIGNER', 'the original producer is not trusted');
  if (producerKey.algorithm !== expected) throw new CoseError('ERR_COSE_ALGORITHM_MISMATCH', 'original alg does not match the producer key');
  const facts: EnvelopeFacts = {
    provenance: decodeClaims(originHeader),
    attributes: decodeAttributes(originHeader),
    signer: { kid, alg: originAlg as number },
    encryption,
    rewrap: { ...authority, kid: authorityKid, alg: verified.alg, originSignature },
  };
  return { facts, inner: verified.payload, protectedBytes: originProtected, signature: originSignature, keyCommitment: commitment };
}

/** The authority's CWT claims on a re-wrap: iss, iat and cti. */
function decodeAuthorityClaims(header: HeaderMap): { issuer: string; rewrappedAt: number; id: Uint8Array } {
  const claims = header.get(HeaderLabel.cwtClaims);
  if (!(claims instanceof Map)) profileError('re-wrap has no CWT claims');
  /* The authority's claims obey the profile's limits (SPEC.md §5, §7) like the producer's: the
   * issuer reaches the policy input. */
  return {
    issuer: textField(claims.get(ClaimKey.issuer), 're-wrap issuer'),
    rewrappedAt: secondsField(claims.get(ClaimKey.issuedAt), 're-wrap time'),
    id: idField(claims.get(ClaimKey.id), 're-wrap id'),
  };
}

/** Checks and records freshness when the caller asked for it; replays throw ReplayError. */
export async function withFreshness(facts: EnvelopeFacts, options: VerifyOptions): Promise<EnvelopeFacts> {
  if (options.replay === undefined) return facts;
  return { ...facts, freshness: await checkReplay(facts, options.replay) };
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
 * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` when `options`, `backend` or `trust` is
 *   missing or wrong (a `TrustStore` itself: pass `trustStore.keySource()`), named in the message
 * @throws {@link ReplayError} `ERR_REPLAY_DUPLICATE`, `ERR_REPLAY_TOO_OLD` or
 *   `ERR_REPLAY_STORE_UNAVAILABLE` when `options.replay` is set and the envelope is a replay,
 *   too old, or the store cannot answer (fail closed)
 * @example
 * ```ts
 * import { verifyEnvelope } from '@ward/core';
 *
 * const facts = await verifyEnvelope(envelope, { backend, trust: ({ kid }) => producers.get(hex(kid)) });
 * console.log(facts.provenance.issuer, facts.provenance.sequence, facts.attributes.classification);
 * ```
 */
export async function verifyEnvelope(envelope: Uint8Array, options: VerifyOptions): Promise<EnvelopeFacts> {
  checkVerifyOptions(envelope, options, 'verifyEnvelope');
  const facts = await refuseOnFailure(async () => (await verifySealed(envelope, options)).facts);
  /* Only verified envelopes reach the replay window, so forgeries cannot move it. */
  return withFreshness(facts, options);
}
