/*
 * Signed decision records: a record as a COSE_Sign1 (RFC 9052 §4.2) over its canonical
 * encoding, with a closed protected header (content type, kid, CWT iss and iat). Signing
 * (signDecisionRecord), verifying against a trust store (verifyDecisionRecord) and reading
 * without authenticating (inspectSignedDecisionRecord).
 */
import type { CryptoBackend, SigningKey, VerifyingKey } from '../../backend/crypto-backend.js';
import { assertBytes } from '../../backend/validate.js';
import { toHex } from '../../bytes.js';
import type { CborValue } from '../../cbor/index.js';
import { HeaderLabel } from '../../cose/headers.js';
import type { HeaderMap } from '../../cose/headers.js';
import type { KeySource } from '../../cose/key-lookup.js';
import { CoseTag, bytesField, decodeLayer } from '../../cose/message.js';
import { createSign1, verifySign1 } from '../../cose/sign1.js';
import { ArgumentError, DecisionLogError } from '../../errors.js';
import { ClaimKey } from '../../profile/labels.js';
import { isSeconds, isWellFormedText } from '../../text.js';
import { MAX_RECORD_BYTES, decodeDecisionRecord, encodeDecisionRecord } from './encoding.js';
import { describe, invalid } from './record.js';
import type { DecisionRecord } from './record.js';
import { readSignedDocumentHeader } from '../../profile/signed-document.js';

/**
 * The content type (COSE header 3) of a signed decision record: a private text media type, so
 * a record can never be taken for an envelope, a trust-store document or a policy bundle, even
 * when one key signs several of them.
 *
 * @example
 * ```ts
 * import { DECISION_RECORD_CONTENT_TYPE } from '@ward/core/policy';
 *
 * DECISION_RECORD_CONTENT_TYPE; // 'application/ward-decision+cbor'
 * ```
 */
export const DECISION_RECORD_CONTENT_TYPE = 'application/ward-decision+cbor';

/** A signed record: the payload plus headers and a signature (well under 1 KiB). */
const MAX_SIGNED_RECORD_BYTES = MAX_RECORD_BYTES + 4096;

/** Limits for the COSE_Sign1 around a record. */
const SIGNED_DECODE_LIMITS = { maxBytes: MAX_SIGNED_RECORD_BYTES, maxDepth: 4, maxHeaderBytes: 2048 } as const;

const SIGN1_RULES = {
  understood: new Set<number | string>([HeaderLabel.alg, HeaderLabel.crit, HeaderLabel.contentType, HeaderLabel.kid]),
  alg: 'protected',
} as const;

/** A decision-log signing key and its key id. */
export interface DecisionRecordSigner {
  /** The signing key (Ed25519 or ECDSA P-256). */
  readonly key: SigningKey;
  /** The kid verifiers find the key under (in their trust store, with role `decision-log`). */
  readonly kid: Uint8Array;
}

/** Options of {@link signDecisionRecord}. */
export interface SignDecisionRecordOptions {
  /** The backend that holds `signer.key`. */
  readonly backend: CryptoBackend;
  /** The key that signs, and its kid. */
  readonly signer: DecisionRecordSigner;
  /** Who signs (CWT `iss`, 1 to 256 characters): the issuer the verifiers trust the key as. */
  readonly issuer: string;
  /** The CWT `iat`, seconds since the epoch. Default the record's time, rounded down. */
  readonly issuedAt?: number;
}

/**
 * Signs a decision record as a COSE_Sign1 (RFC 9052 §4.2, tag 18):
 * - protected header: `1` (alg) EdDSA or ES256 from the key, `3` (content type) the text
 *   `"application/ward-decision+cbor"`, `4` (kid), `15` (CWT claims, RFC 9597)
 *   `{1 (iss): issuer, 6 (iat): issuedAt}`; nothing else;
 * - unprotected header: empty;
 * - payload: the record's canonical encoding ({@link encodeDecisionRecord}).
 *
 * @param record - the record (with `previous` set, if it is chained)
 * @param options - backend, signer, issuer, issuedAt
 * @returns the COSE_Sign1 bytes
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a record that breaks the format, or
 *   a bad issuer, kid or issuedAt
 * @throws {@link KeyError} when `signer.key` is not a signing key of `backend`
 * @example
 * ```ts
 * import { signDecisionRecord, verifyDecisionRecord } from '@ward/core/policy';
 *
 * const signed = await signDecisionRecord(record, {
 *   backend,
 *   signer: { key: logKey, kid: logKid },
 *   issuer: 'ward-gateway-3',
 * });
 * const checked = await verifyDecisionRecord(signed, { backend, trust: trust.keySource('decision-log') });
 * ```
 */
export async function signDecisionRecord(record: DecisionRecord, options: SignDecisionRecordOptions): Promise<Uint8Array> {
  if (typeof options !== 'object' || options === null || typeof options.signer !== 'object' || options.signer === null) {
    throw new ArgumentError('signDecisionRecord needs options with a backend, signer and issuer');
  }
  const { backend, signer, issuer } = options;
  /* RFC 9052 §3.1: the kid is how a verifier finds the key; an empty one names no key. */
  assertBytes(signer.kid, 'signer.kid');
  if (signer.kid.length === 0) throw new ArgumentError('signer.kid must not be empty');
  /* text.ts's rule (1 to 256 characters, no lone surrogate: RFC 8949 §3.1): the issuer a trust store matches must encode as it reads. */
  if (!isWellFormedText(issuer)) {
    throw new ArgumentError('issuer must be well-formed text of 1 to 256 characters');
  }
  const payload = encodeDecisionRecord(record);
  const issuedAt = options.issuedAt ?? Math.floor(record.time);
  /* RFC 8392 §2: iat is a NumericDate; Ward writes whole seconds only (text.ts's time rule). */
  if (!isSeconds(issuedAt)) throw new ArgumentError('issuedAt must be a non-negative safe integer');
  const protectedHeader: HeaderMap = new Map<number | string, CborValue>([
    [HeaderLabel.contentType, DECISION_RECORD_CONTENT_TYPE],
    [HeaderLabel.cwtClaims, new Map<CborValue, CborValue>([[ClaimKey.issuer, issuer], [ClaimKey.issuedAt, issuedAt]])],
  ]);
  return createSign1(payload, { backend, key: signer.key, kid: signer.kid, protectedHeader });
}

/** Options of {@link verifyDecisionRecord}. */
export interface VerifyDecisionRecordOptions {
  /** The backend that verifies. */
  readonly backend: CryptoBackend;
  /**
   * The verifying key, or a key source: usually `trustStore.keySource('decision-log')`, which
   * also checks the signer's issuer, role, validity window and revocation.
   */
  readonly trust: KeySource<VerifyingKey>;
}

/** What the signed headers of a record say about its signer. */
export interface DecisionRecordSignature {
  /** The signer's kid, lowercase hex. */
  readonly kid: string;
  /** The CWT `iss`. */
  readonly issuer: string;
  /** The CWT `iat`. */
  readonly issuedAt: number;
}

/** Checks the headers of a signed record (the rules of {@link signDecisionRecord}, shared by every signed document: profile/signed-document.ts); returns what they say. */
function checkSignedHeaders(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap): DecisionRecordSignature {
  const header = readSignedDocumentHeader(protectedHeader, unprotectedHeader, DECISION_RECORD_CONTENT_TYPE);
  if ('problem' in header) throw invalid(`a signed record ${header.problem}`);
  return { kid: toHex(header.kid), issuer: header.issuer, issuedAt: header.issuedAt };
}

/** A signed record read by {@link inspectSignedDecisionRecord}: unauthenticated. */
export interface InspectedDecisionRecord extends DecisionRecordSignature {
  /** The record the payload holds. */
  readonly record: DecisionRecord;
}

/**
 * Verifies a signed decision record and returns it. Fails closed: the size, the COSE
 * structure, the signature (with the key `trust` gives for the signer's kid, issuer and
 * signing time), the headers and the payload's strict decoding must all pass.
 *
 * @param bytes - the COSE_Sign1 bytes (untrusted)
 * @param options - backend and trust
 * @returns the frozen record
 * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` for any failure, with the
 *   underlying error (a TrustError for an untrusted signer, a VerificationError for a bad
 *   signature, a DecodeError or CoseError for malformed bytes) in `cause`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `bytes` is not a Uint8Array
 * @example
 * ```ts
 * const record = await verifyDecisionRecord(signed, { backend, trust: trust.keySource('decision-log') });
 * ```
 */
export async function verifyDecisionRecord(bytes: Uint8Array, options: VerifyDecisionRecordOptions): Promise<DecisionRecord> {
  assertBytes(bytes, 'bytes');
  if (typeof options !== 'object' || options === null || options.trust === undefined) {
    throw new ArgumentError('verifyDecisionRecord needs options with a backend and trust');
  }
  /* Resource exhaustion: the size is checked before any decoding. */
  if (bytes.length > MAX_SIGNED_RECORD_BYTES) throw invalid(`a signed record is at most ${MAX_SIGNED_RECORD_BYTES} bytes`);
  let payload: Uint8Array;
  try {
    /* RFC 9052 §4.4: the signature, with the key trust gives for this kid (and, for a trust store, issuer, role and time). */
    const verified = await verifySign1(bytes, { backend: options.backend, key: options.trust, ...SIGNED_DECODE_LIMITS });
    checkSignedHeaders(verified.protectedHeader, verified.unprotectedHeader);
    payload = verified.payload;
  } catch (error) {
    if (DecisionLogError.isInstance(error)) throw error;
    throw invalid(`the signed record does not verify: ${describe(error)}`, error);
  }
  /* The payload is untrusted until here, and strictly decoded even now (canonical CBOR, the record rules). */
  return decodeDecisionRecord(payload);
}

/**
 * Reads a signed decision record WITHOUT checking its signature: the COSE structure, the
 * headers and the payload are checked as {@link verifyDecisionRecord} checks them, the
 * signature is not. For tools that must read a log they cannot authenticate (and for a writer
 * resuming its own log). Never trust what it returns: only {@link verifyDecisionRecord} says
 * who signed a record.
 *
 * @param bytes - the COSE_Sign1 bytes
 * @returns the record and what its headers claim about the signer
 * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` for malformed bytes
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `bytes` is not a Uint8Array
 * @example
 * ```ts
 * import { inspectSignedDecisionRecord } from '@ward/core/policy';
 *
 * const { record, kid, issuer } = inspectSignedDecisionRecord(signed); // unauthenticated
 * ```
 */
export function inspectSignedDecisionRecord(bytes: Uint8Array): InspectedDecisionRecord {
  assertBytes(bytes, 'bytes');
  /* Resource exhaustion: the size is checked before any decoding. */
  if (bytes.length > MAX_SIGNED_RECORD_BYTES) throw invalid(`a signed record is at most ${MAX_SIGNED_RECORD_BYTES} bytes`);
  let payload: Uint8Array;
  let signature: DecisionRecordSignature;
  try {
    /* RFC 9052 §4.2, §3.1: the COSE_Sign1 structure and header rules verifySign1 applies (alg protected, crit understood); only the signature is skipped. */
    const layer = decodeLayer(bytes, CoseTag.Sign1, 4, SIGN1_RULES, SIGNED_DECODE_LIMITS);
    signature = checkSignedHeaders(layer.protectedHeader, layer.unprotectedHeader);
    payload = bytesField(layer.fields[2], 'payload');
    bytesField(layer.fields[3], 'signature');
  } catch (error) {
    if (DecisionLogError.isInstance(error)) throw error;
    throw invalid(`the signed record is malformed: ${describe(error)}`, error);
  }
  return { record: decodeDecisionRecord(payload), ...signature };
}
