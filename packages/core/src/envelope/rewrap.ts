/*
 * rewrapEnvelope(): new recipients for a sealed COSE_Encrypt envelope, payload ciphertext untouched
 * (DESIGN.md principle 3). SPEC.md §Re-wrap has the wire format.
 */
import type { MaybePromise, SigningKey } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { assertBytes, checkKeyHandleOption } from '../backend/validate.js';
import { EncodedCbor, encodeFrame } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { CONTENT_ALGORITHMS } from '../cose/algorithms.js';
import { buildRecipient, recoverEncryptContentKey } from '../cose/encrypt.js';
import type { RecipientSource, RecipientSpec } from '../cose/encrypt.js';
import { HeaderLabel, encodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { CoseTag } from '../cose/message.js';
import { checkRecipientSource, checkRecipientSpecs } from '../cose/key-lookup.js';
import { signSign1Structure, signatureAlgorithmOf } from '../cose/sign1.js';
import { ArgumentError } from '../errors.js';
import { checkCommittedContentKey } from './commitment.js';
import { concatBytes } from '../bytes.js';
import { sealedParts } from './detached.js';
import { ClaimKey, ContentFormat, RewrapRecordKey, WardHeaderLabel } from '../profile/labels.js';
import { PROFILE_LIMITS } from '../profile/limits.js';
import { isSeconds, isWellFormedText } from '../text.js';
import { checkVerifyOptions, refuseOnFailure, verifySealed } from './verify.js';
import type { EnvelopeFacts } from '../profile/facts.js';
import type { VerifyOptions } from './verify.js';

/** The re-wrap authority: who re-issues the outer signature, recorded in the envelope. */
export interface RewrapAuthority {
  /** Its signing key (Ed25519 or ECDSA P-256). */
  readonly key: SigningKey;
  /** Its key id, as verifiers' trust stores know it. */
  readonly kid: Uint8Array;
  /** Its identity, written as the CWT `iss` of the re-wrap and checked by trust stores. */
  readonly issuer: string;
}

/** Options of {@link rewrapEnvelope}. */
export interface RewrapOptions extends VerifyOptions {
  /** The authority's own reader key for the envelope (a key or a resolver, e.g. a keyset's `recipientKey()`). */
  readonly recipient: RecipientSource;
  /** The new recipient set; it replaces the old one entirely. Direct (ECDH-ES+HKDF) recipients cannot carry an existing CEK. */
  readonly recipients: readonly RecipientSpec[];
  /** Who re-wraps. */
  readonly authority: RewrapAuthority;
  /** The re-wrap time, seconds since the epoch; default now. */
  readonly rewrappedAt?: number;
  /** Called with the verified facts before any key is touched; throw to refuse the re-wrap. */
  readonly authorize?: (facts: EnvelopeFacts) => MaybePromise<void>;
}

const REWRAP_ID_LENGTH = 16;

/**
 * Re-wraps a sealed multi-recipient envelope for a new recipient set without touching its
 * payload ciphertext: verifies the envelope (the producer's signature, or a trusted earlier
 * re-wrap), recovers the content key with the authority's own key, checks it against the
 * signed key commitment, wraps it for each new recipient, and re-signs as the authority. The
 * producer's protected header (provenance, attributes, commitment) and signature travel in
 * the re-wrap record, so readers still see the producer's facts and the inner AAD still
 * binds them; verifiers must trust the authority (`rewrapAuthorities`).
 *
 * Cost: the same for any payload size apart from one copy of the ciphertext into the returned
 * buffer ({@link rewrapEnvelopeInParts} avoids even that). The payload is not decrypted, re-encrypted
 * or hashed: both signatures cover the signed digest of the detached ciphertext, not the
 * ciphertext itself (SPEC.md §Detached ciphertext).
 *
 * Use it after a rotation (new reader keys), or to add or remove readers. A shared-key
 * (COSE_Encrypt0) envelope cannot be re-wrapped: it has no recipient layer.
 *
 * @param envelope - a sealed (or already re-wrapped) COSE_Encrypt envelope
 * @param options - verification options, the authority's reader key, the new recipients, the authority
 * @returns the re-wrapped envelope (a tagged COSE_Sign1)
 * @throws {@link EnvelopeError} `ERR_ENVELOPE_INVALID` when the envelope does not verify or
 *   the authority's key does not open it (the reason is in `cause`)
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a shared-key envelope, no
 *   recipients, a direct recipient, or a malformed authority
 * @throws whatever `authorize` throws, unchanged
 * @example
 * ```ts
 * import { rewrapEnvelope } from '@ward/core';
 *
 * await analysts.rotate();
 * const updated = await rewrapEnvelope(envelope, {
 *   backend,
 *   trust: producers.keySource(),
 *   recipient: archive.recipientKey(),                       // the authority can open it
 *   recipients: [await analysts.recipient(), await archive.recipient()],
 *   authority: { key: archiveSigningKey, kid: archiveKid, issuer: 'city-archive' },
 * });
 * ```
 */
export async function rewrapEnvelope(envelope: Uint8Array, options: RewrapOptions): Promise<Uint8Array> {
  return concatBytes(await rewrapEnvelopeInParts(envelope, options));
}

/**
 * {@link rewrapEnvelope}, returning the re-wrapped envelope in parts whose concatenation is the
 * envelope, without copying the payload ciphertext: the middle part is a view into
 * `envelope`. Its cost does not depend on the payload's size at all, so a service that
 * re-wraps large envelopes can write the parts straight out (`writev`, a stream) instead of
 * building one buffer. Do not modify `envelope` while the parts are in use.
 *
 * @param envelope - a sealed (or already re-wrapped) COSE_Encrypt envelope
 * @param options - as for {@link rewrapEnvelope}
 * @returns the parts, in order
 * @throws as {@link rewrapEnvelope}
 * @example
 * ```ts
 * import { rewrapEnvelopeInParts } from '@ward/core';
 * import { open } from 'node:fs/promises'; // or any sink that takes several buffers
 *
 * const parts = await rewrapEnvelopeInParts(envelope, { backend, trust, recipient, recipients, authority });
 * const file = await open('incident-0042.cose', 'w');
 * await file.writev([...parts]); // the ciphertext is written from the input, never copied
 * await file.close();
 * ```
 */
export async function rewrapEnvelopeInParts(envelope: Uint8Array, options: RewrapOptions): Promise<readonly Uint8Array[]> {
  checkVerifyOptions(envelope, options, 'rewrapEnvelope');
  const { backend, authority, recipients } = options;
  if (options.recipient === undefined) checkRecipientSource(undefined, 'rewrapEnvelope() options.recipient');
  /* The issuer obeys the profile's text rule (SPEC.md §5): verifiers refuse any other. */
  if (typeof authority !== 'object' || authority === null || !isWellFormedText(authority.issuer)) {
    throw new ArgumentError(`rewrapEnvelope() options.authority needs key, kid and an issuer of 1 to ${PROFILE_LIMITS.text} characters`);
  }
  checkKeyHandleOption(authority.key, 'rewrapEnvelope() options.authority.key');
  assertBytes(authority.kid, 'rewrapEnvelope() options.authority.kid');
  checkRecipientSpecs(recipients, 'rewrapEnvelope() options.recipients');
  /* RFC 9052 §5.1: a direct recipient derives the CEK; an existing CEK cannot be carried by one. */
  if (recipients.some((r) => 'publicKey' in r && r.mode === 'direct')) throw new ArgumentError('a direct recipient cannot carry an existing content key');
  const rewrappedAt = options.rewrappedAt ?? Math.floor(Date.now() / 1000);
  if (!isSeconds(rewrappedAt)) throw new ArgumentError('rewrappedAt must be a non-negative integer');

  /* Byte strings as views and no ciphertext hashing: nothing here reads or copies the payload
   * ciphertext. The authority vouches for the producer's signed header and digest, not for the
   * ciphertext bytes, which every verifier and reader checks against that digest. */
  const sealed = await refuseOnFailure(() => verifySealed(envelope, { ...options, byteStringViews: true }, { checkCiphertext: false }));
  if (sealed.facts.encryption !== 'encrypt') throw new ArgumentError('only multi-recipient (COSE_Encrypt) envelopes can be re-wrapped');
  /* Policy before keys, as in openEnvelope(). */
  if (options.authorize !== undefined) {
    const decided = options.authorize(sealed.facts);
    if (isPromise(decided)) await decided;
  }
  const ciphertext = sealed.content!.ciphertext;
  const newEncrypt = await refuseOnFailure(async () => {
    const recovered = await recoverEncryptContentKey(sealed.inner, {
      ...options,
      recipient: options.recipient,
      detachedCiphertext: ciphertext,
      /* SPEC.md §Key commitment: carry forward only the CEK the producer committed to (invisible salamanders). */
      checkContentKey: checkCommittedContentKey(backend, sealed.keyCommitment!),
    });
    try {
      const keyLength = CONTENT_ALGORITHMS.get(recovered.contentAlg)!.keyLength;
      const structures: CborValue[] = [];
      for (const spec of recipients) {
        structures.push((await buildRecipient(backend, spec, recovered.cek, recovered.contentAlg, keyLength)).structure);
      }
      /* The content layer's protected bytes, IV and ciphertext digest are carried over unchanged; the ciphertext stays detached. */
      return encodeFrame(
        [recovered.protectedBytes, EncodedCbor.of(recovered.unprotectedHeader), null, EncodedCbor.of(structures)],
        CoseTag.Encrypt,
      );
    } finally {
      recovered.cek.fill(0);
    }
  });

  const random = backend.randomBytes(REWRAP_ID_LENGTH);
  const id = isPromise(random) ? await random : random;
  const header: HeaderMap = new Map<CborValue, CborValue>([
    [HeaderLabel.alg, signatureAlgorithmOf(authority.key)],
    /* RFC 9052 §3.1: verifiers that do not understand the re-wrap record must refuse. */
    [HeaderLabel.crit, [WardHeaderLabel.rewrap]],
    [HeaderLabel.kid, authority.kid],
    [HeaderLabel.contentType, ContentFormat.encrypt],
    [HeaderLabel.cwtClaims, new Map<CborValue, CborValue>([
      [ClaimKey.issuer, authority.issuer], [ClaimKey.issuedAt, rewrappedAt], [ClaimKey.id, id],
    ])],
    [WardHeaderLabel.rewrap, new Map<CborValue, CborValue>([
      [RewrapRecordKey.originProtected, sealed.protectedBytes], [RewrapRecordKey.originSignature, sealed.signature],
    ])],
  ]) as HeaderMap;
  const protectedBytes = encodeProtectedHeader(header);
  const signature = await signSign1Structure(newEncrypt, protectedBytes, { backend, key: authority.key });
  return sealedParts(protectedBytes, ciphertext, newEncrypt, signature);
}
