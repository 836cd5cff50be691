/*
 * The wire vocabulary of Ward's sealed-envelope profile: the private-use header labels, CWT claim
 * keys, attribute keys, re-wrap record keys and content formats that SPEC.md documents byte by
 * byte. Constants only; every layer above the COSE structures reads and writes with these.
 */

/**
 * Ward's private-use COSE header labels (RFC 9052 §3: labels below -65536 are private use).
 *
 * @example
 * ```ts
 * import { WardHeaderLabel } from '@ward/core/wire';
 *
 * sign1.protectedHeader.get(WardHeaderLabel.attributes);
 * ```
 */
export const WardHeaderLabel = {
  /** Access attributes: a map, see {@link AttributeKey}. */
  attributes: -65537,
  /** Commitment to the content-encryption key: 32 bytes, see SPEC.md §Key commitment. */
  keyCommitment: -65538,
  /**
   * Re-wrap record of a re-wrapped envelope: a map holding the producer's original protected
   * header bytes (1) and signature (2), see SPEC.md §Re-wrap.
   */
  rewrap: -65539,
  /**
   * The detached ciphertext of a multi-recipient envelope's COSE_Encrypt, in the Sign1's
   * unprotected bucket (bstr); see SPEC.md §Detached ciphertext.
   */
  detachedCiphertext: -65540,
  /**
   * The digest of that ciphertext, in the COSE_Encrypt's unprotected bucket (which the
   * signature covers): `[hash alg, digest]`, only `[-16 (SHA-256), 32 bytes]`.
   */
  ciphertextDigest: -65541,
} as const;

/** COSE hash algorithm SHA-256 (RFC 9054 §2.1), the only one a ciphertext digest may use. */
export const COSE_SHA_256 = -16;

/** Labels inside the {@link WardHeaderLabel.rewrap} record. */
export const RewrapRecordKey = {
  /** The producer's original Sign1 protected header, exactly as signed (bstr). */
  originProtected: 1,
  /** The producer's original signature (bstr). */
  originSignature: 2,
} as const;

/**
 * CWT claim keys used in the envelope's CWT claims header (label 15, RFC 9597): the
 * registered ones (RFC 8392 §4) and Ward's private-use sequence claim (RFC 8392 §9.1: keys
 * below -65536 are private use).
 *
 * @example
 * ```ts
 * import { ClaimKey } from '@ward/core/wire';
 *
 * claims.get(ClaimKey.sequence);
 * ```
 */
export const ClaimKey = {
  issuer: 1,
  subject: 2,
  issuedAt: 6,
  id: 7,
  sequence: -65537,
} as const;

/**
 * Keys of the access-attribute map (integers keep the wire small; free-form attributes use
 * text keys, so the two can never collide).
 *
 * @example
 * ```ts
 * import { AttributeKey } from '@ward/core/wire';
 *
 * AttributeKey.classification; // 1
 * ```
 */
export const AttributeKey = {
  classification: 1,
  zone: 2,
  purpose: 3,
  owner: 4,
  retention: 5,
} as const;

/**
 * CoAP content formats of the inner message, carried in the content type header (RFC 9052
 * §3.1, label 3) as registered by RFC 9052 in IANA's "CoAP Content-Formats" registry:
 * `application/cose; cose-type="cose-encrypt0"` is 16, `"cose-encrypt"` is 96.
 */
export const ContentFormat = {
  encrypt0: 16,
  encrypt: 96,
} as const;
