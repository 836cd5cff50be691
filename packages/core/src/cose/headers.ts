/*
 * COSE header parameters (RFC 9052 §3): labels, the protected-bucket encoding, and the checks
 * every Ward decoder applies before trusting a header.
 */
import { decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue, DecodeCborOptions } from '../cbor/index.js';
import { CoseError, UnsupportedAlgorithmError } from '../errors.js';

/**
 * Header labels Ward reads or writes (IANA "COSE Header Parameters"; RFC 9052 §3.1, RFC 9053
 * §6.3, RFC 9597 for CWT claims). Labels below -65536 are private use; Ward's own are in
 * {@link WardHeaderLabel}.
 *
 * @example
 * ```ts
 * import { HeaderLabel } from '@ward/core/cose';
 *
 * const protectedHeader = new Map([[HeaderLabel.alg, -8]]);
 * ```
 */
export const HeaderLabel = {
  alg: 1,
  crit: 2,
  contentType: 3,
  kid: 4,
  iv: 5,
  partialIv: 6,
  cwtClaims: 15,
  ephemeralKey: -1,
  staticKey: -2,
  staticKeyId: -3,
  salt: -20,
  partyUIdentity: -21,
  partyUNonce: -22,
  partyUOther: -23,
  partyVIdentity: -24,
  partyVNonce: -25,
  partyVOther: -26,
} as const;

/** A header map: labels are integers or text strings (RFC 9052 §3). */
export type HeaderMap = Map<number | string, CborValue>;

const EMPTY = new Uint8Array(0);

/**
 * Encodes a protected header bucket: the deterministic CBOR map wrapped as a byte string, or
 * the zero-length byte string when the map is empty (RFC 9052 §3).
 *
 * @param header - the protected header parameters
 * @returns the bytes that go, as a bstr, into the message and into the to-be-signed structure
 * @throws {@link CoseError} `ERR_COSE_INVALID_HEADER` for a label that is neither int nor text
 * @example
 * ```ts
 * const bytes = encodeProtectedHeader(new Map([[HeaderLabel.alg, CoseAlgorithm.EdDSA]])); // a1 01 27
 * ```
 */
export function encodeProtectedHeader(header: HeaderMap): Uint8Array {
  if (header.size === 0) return EMPTY;
  checkLabels(header, 'protected');
  return encodeCbor(header);
}

/**
 * The protected bucket a producer writes: the caller's parameters plus `alg` (fixed by the
 * key) and, if given, `kid`. A caller-supplied `alg` that differs from the key's is refused.
 * Internal to the COSE producers.
 */
export function producerProtectedHeader(extra: HeaderMap | undefined, alg: number, kid: Uint8Array | undefined): HeaderMap {
  const header: HeaderMap = new Map(extra);
  const declared = header.get(HeaderLabel.alg);
  /* RFC 9052 §8: the algorithm comes from the key; a caller cannot label a message with another. */
  if (declared !== undefined && declared !== alg) {
    throw new CoseError('ERR_COSE_ALGORITHM_MISMATCH', `protected alg ${String(declared)} is not the key's ${alg}`);
  }
  header.set(HeaderLabel.alg, alg);
  if (kid !== undefined) header.set(HeaderLabel.kid, kid);
  return header;
}

/**
 * Decodes a protected header bucket (a byte string holding a CBOR map, or empty).
 *
 * @param bytes - the content of the protected bstr, as received
 * @param options - CBOR decoding limits
 * @returns the header map (empty for a zero-length bstr)
 * @throws {@link DecodeError} for malformed CBOR or exceeded limits
 * @throws {@link CoseError} `ERR_COSE_INVALID_HEADER` when it is not a map of int/text labels
 * @example
 * ```ts
 * decodeProtectedHeader(new Uint8Array([0xa1, 0x01, 0x27])).get(HeaderLabel.alg); // -8
 * ```
 */
export function decodeProtectedHeader(bytes: Uint8Array, options?: DecodeCborOptions): HeaderMap {
  if (bytes.length === 0) return new Map();
  /* RFC 9052 §3: labels and alg are int / tstr; an integral float must not pass as an int. */
  const value = decodeCbor(bytes, { ...options, rejectIntegralFloats: true });
  /* RFC 9052 §3: the protected bucket is a serialized header_map, nothing else. */
  if (!(value instanceof Map)) throw new CoseError('ERR_COSE_INVALID_HEADER', 'protected header is not a map');
  checkLabels(value as HeaderMap, 'protected');
  return value as HeaderMap;
}

/**
 * Checks an unprotected header bucket decoded from a message: a map of int/text labels.
 *
 * @param value - the decoded bucket
 * @returns the header map
 * @throws {@link CoseError} `ERR_COSE_INVALID_HEADER` otherwise
 * @example
 * ```ts
 * const unprotectedHeader = asUnprotectedHeader(decodedArray[1]);
 * ```
 */
export function asUnprotectedHeader(value: CborValue): HeaderMap {
  /* RFC 9052 §3: the unprotected bucket is a header_map. */
  if (!(value instanceof Map)) throw new CoseError('ERR_COSE_INVALID_HEADER', 'unprotected header is not a map');
  checkLabels(value as HeaderMap, 'unprotected');
  return value as HeaderMap;
}

function checkLabels(header: Map<CborValue, CborValue>, bucket: string): void {
  for (const label of header.keys()) {
    /* RFC 9052 §3: labels are int or tstr. */
    if (!(typeof label === 'string' || (typeof label === 'number' && Number.isSafeInteger(label)))) {
      throw new CoseError('ERR_COSE_INVALID_HEADER', `${bucket} header has a label that is neither int nor text`);
    }
  }
}

/** What {@link checkHeaders} needs to know about the layer it checks. */
export interface HeaderRules {
  /** Labels this layer's processing understands (for `crit`, RFC 9052 §3.1). */
  readonly understood: ReadonlySet<number | string>;
  /**
   * Where `alg` must be: `protected` for content layers (Ward never trusts an unauthenticated
   * algorithm choice), `either` for recipient layers whose algorithm forbids a protected
   * bucket (AES key wrap, RFC 9053 §6.2.1).
   */
  readonly alg: 'protected' | 'either';
}

/**
 * Whether a signed document's headers are closed: its protected bucket holds only `allowed`
 * labels and its unprotected bucket is empty. Ward's own signed formats (trust-store documents,
 * bundle signatures, decision records) define every parameter they carry, so anything else is a
 * different object, or an attempt to smuggle one in (cross-format confusion). Returns which rule
 * failed, or undefined; the caller throws its own typed error. Internal to core.
 */
export function closedHeaderProblem(
  protectedHeader: HeaderMap, unprotectedHeader: HeaderMap, allowed: ReadonlySet<number | string>,
): 'unknown-protected' | 'unprotected' | undefined {
  for (const label of protectedHeader.keys()) if (!allowed.has(label)) return 'unknown-protected';
  return unprotectedHeader.size === 0 ? undefined : 'unprotected';
}

/**
 * Checks a layer's two header buckets together and returns the algorithm.
 *
 * - the buckets are disjoint (RFC 9052 §3: a label in both is an error);
 * - well-known parameters have their registered types (RFC 9052 §3.1);
 * - `crit` is protected, a non-empty array of labels present in the protected bucket, each
 *   understood by this layer (RFC 9052 §3.1);
 * - `alg` is present, an integer, and where `rules.alg` demands.
 *
 * @param protectedHeader - decoded protected bucket
 * @param unprotectedHeader - decoded unprotected bucket
 * @param rules - what this layer understands and where `alg` must be
 * @returns the COSE algorithm identifier
 * @throws {@link CoseError} `ERR_COSE_INVALID_HEADER`, `ERR_COSE_UNKNOWN_CRITICAL` or
 *   `ERR_COSE_UNPROTECTED_ALG`
 * @throws {@link UnsupportedAlgorithmError} `ERR_UNSUPPORTED_ALGORITHM` for a text `alg`
 * @example
 * ```ts
 * const alg = checkHeaders(protectedHeader, unprotectedHeader, {
 *   understood: new Set([HeaderLabel.alg, HeaderLabel.kid]),
 *   alg: 'protected',
 * });
 * ```
 */
export function checkHeaders(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap, rules: HeaderRules): number {
  /* RFC 9052 §3: a label in both buckets is an error (a reader could take either value). */
  for (const label of protectedHeader.keys()) {
    if (unprotectedHeader.has(label)) {
      throw new CoseError('ERR_COSE_INVALID_HEADER', `header label ${String(label)} is in both buckets`);
    }
  }
  checkParameterTypes(protectedHeader);
  checkParameterTypes(unprotectedHeader);

  /* RFC 9052 §3.1 (crit): only the protected bucket may hold crit, or an attacker could strip it. */
  if (unprotectedHeader.has(HeaderLabel.crit)) {
    throw new CoseError('ERR_COSE_INVALID_HEADER', 'crit must be a protected header parameter');
  }
  const crit = protectedHeader.get(HeaderLabel.crit);
  if (crit !== undefined) {
    for (const label of crit as (number | string)[]) {
      /* RFC 9052 §3.1 (crit): every label it names is present in the protected bucket. */
      if (!protectedHeader.has(label)) {
        throw new CoseError('ERR_COSE_INVALID_HEADER', `critical label ${String(label)} is not in the protected header`);
      }
      /* RFC 9052 §3.1 (crit): a critical parameter this layer does not understand fails the message. */
      if (!rules.understood.has(label)) {
        throw new CoseError('ERR_COSE_UNKNOWN_CRITICAL', `critical header label ${String(label)} is not understood`);
      }
    }
  }

  const protectedAlg = protectedHeader.get(HeaderLabel.alg);
  const unprotectedAlg = unprotectedHeader.get(HeaderLabel.alg);
  /*
   * RFC 9052 §3.1 (alg): "MUST be authenticated where the ability to do so exists". An
   * unprotected alg can be rewritten in transit (algorithm substitution).
   */
  if (protectedAlg === undefined && unprotectedAlg !== undefined && rules.alg === 'protected') {
    throw new CoseError('ERR_COSE_UNPROTECTED_ALG', 'alg must be a protected header parameter');
  }
  const alg = protectedAlg ?? unprotectedAlg;
  /* RFC 9052 §3.1: every layer names its algorithm; Ward registers integer identifiers only. */
  if (alg === undefined) throw new CoseError('ERR_COSE_INVALID_HEADER', 'alg header parameter is missing');
  if (typeof alg !== 'number') {
    throw new UnsupportedAlgorithmError('text algorithm identifiers are not supported');
  }
  return alg;
}

/* RFC 9052 §3.1, Table 3: value types of the common header parameters. */
function checkParameterTypes(header: HeaderMap): void {
  for (const [label, value] of header) {
    switch (label) {
      case HeaderLabel.alg:
        if (!(typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value)))) invalid('alg');
        break;
      case HeaderLabel.crit:
        if (
          !Array.isArray(value) ||
          value.length === 0 ||
          !value.every((l) => typeof l === 'string' || (typeof l === 'number' && Number.isSafeInteger(l)))
        ) {
          invalid('crit');
        }
        break;
      case HeaderLabel.contentType:
        if (!(typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0))) {
          invalid('content type');
        }
        break;
      case HeaderLabel.kid:
      case HeaderLabel.iv:
      case HeaderLabel.partialIv:
        if (!(value instanceof Uint8Array)) invalid(label === HeaderLabel.kid ? 'kid' : 'IV');
        break;
      default:
        break;
    }
  }
}

function invalid(name: string): never {
  throw new CoseError('ERR_COSE_INVALID_HEADER', `${name} header parameter has the wrong type`);
}
