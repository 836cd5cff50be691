/*
 * Shared framing of COSE messages (RFC 9052 §2): the tag check, the array shape, and the
 * decoding options every message decoder accepts.
 */
import { CborTag, decodeCbor } from '../cbor/index.js';
import type { CborValue, DecodeCborOptions } from '../cbor/index.js';
import { CoseError, DecodeError } from '../errors.js';
import { asUnprotectedHeader, checkHeaders, decodeProtectedHeader } from './headers.js';
import type { HeaderMap, HeaderRules } from './headers.js';

/**
 * COSE message CBOR tags (RFC 9052 §2, Table 1).
 *
 * @example
 * ```ts
 * import { CoseTag } from '@ward/core/cose';
 *
 * CoseTag.Sign1; // 18
 * ```
 */
export const CoseTag = {
  Encrypt0: 16,
  Mac0: 17,
  Sign1: 18,
  Encrypt: 96,
  Mac: 97,
  Sign: 98,
} as const;

/** Options shared by every COSE decoder: CBOR limits plus tag handling. */
export interface CoseDecodeOptions extends DecodeCborOptions {
  /**
   * Whether the COSE tag must be present. Ward always emits tagged messages; `optional`
   * also accepts the untagged form when the application knows the type (RFC 9052 §2).
   * Default `required`.
   */
  readonly tagged?: 'required' | 'optional';
  /**
   * Largest protected header bucket accepted, in bytes, checked before it is decoded.
   * Default {@link DEFAULT_MAX_HEADER_BYTES}.
   */
  readonly maxHeaderBytes?: number;
}

/**
 * Default ceiling on one protected header bucket: 16 KiB. A sealed header whose texts and
 * counts are each within SPEC.md §5 can still exceed it (32 purposes and 32 attributes of 256
 * characters each), so `sealEnvelope()` refuses to write a header above it (its `maxHeaderBytes`).
 */
export const DEFAULT_MAX_HEADER_BYTES = 16384;

/** The common first two fields of a decoded message: both header buckets. */
export interface DecodedHeaders {
  /** The protected bucket exactly as received (signed and MACed over these bytes). */
  readonly protectedBytes: Uint8Array;
  /** The decoded protected bucket. */
  readonly protectedHeader: HeaderMap;
  /** The unprotected bucket. */
  readonly unprotectedHeader: HeaderMap;
}

/** Decodes a COSE message, checks its tag and length, and returns its array fields. */
export function decodeCoseArray(bytes: Uint8Array, tag: number, length: number, options?: CoseDecodeOptions): CborValue[] {
  const value = decodeCbor(bytes, { ...options, rejectIntegralFloats: true });
  let body: CborValue = value;
  if (value instanceof CborTag) {
    /* RFC 9052 §2: the tag names the structure; a different one is a different message type. */
    if (value.tag !== tag) throw new CoseError('ERR_COSE_WRONG_TAG', `expected COSE tag ${tag}, got ${String(value.tag)}`);
    body = value.value;
  } else if ((options?.tagged ?? 'required') === 'required') {
    throw new CoseError('ERR_COSE_WRONG_TAG', `expected COSE tag ${tag}`);
  }
  /* RFC 9052 §4.2, §5.2, §6.2: each message is an array of a fixed length; anything else is another structure. */
  if (!Array.isArray(body) || body.length !== length) {
    throw new CoseError('ERR_COSE_MALFORMED', `COSE message must be an array of ${length}`);
  }
  return body;
}

/** Decodes the `[protected, unprotected, …]` prefix shared by every COSE layer. */
export function decodeHeaderPair(fields: readonly CborValue[], options?: CoseDecodeOptions): DecodedHeaders {
  const protectedBytes = fields[0];
  /* RFC 9052 §3: the protected bucket is a bstr (the exact bytes the signature or tag covers). */
  if (!(protectedBytes instanceof Uint8Array)) throw new CoseError('ERR_COSE_MALFORMED', 'protected header must be a byte string');
  const maxHeaderBytes = options?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  /* Resource exhaustion: a header is bounded before it is decoded (RFC 8949 §10). */
  if (protectedBytes.length > maxHeaderBytes) {
    throw new DecodeError('ERR_CBOR_LIMIT', `protected header of ${protectedBytes.length} bytes exceeds maxHeaderBytes (${maxHeaderBytes})`);
  }
  return {
    protectedBytes,
    protectedHeader: decodeProtectedHeader(protectedBytes, options),
    unprotectedHeader: asUnprotectedHeader(fields[1] ?? null),
  };
}

/** A decoded COSE layer whose header rules passed: its fields, headers and algorithm. */
export interface DecodedLayer extends DecodedHeaders {
  /** The message's array fields, tag removed. */
  readonly fields: CborValue[];
  /** The layer's `alg`, checked to be in the bucket the rules demand. */
  readonly alg: number;
}

/**
 * Decodes a tagged COSE message of `length` fields and applies the header rules
 * (`checkHeaders`): the common start of every COSE reader.
 */
export function decodeLayer(
  bytes: Uint8Array,
  tag: number,
  length: number,
  rules: HeaderRules,
  options?: CoseDecodeOptions,
): DecodedLayer {
  const fields = decodeCoseArray(bytes, tag, length, options);
  const headers = decodeHeaderPair(fields, options);
  return { fields, ...headers, alg: checkHeaders(headers.protectedHeader, headers.unprotectedHeader, rules) };
}

/** The field as a byte string, or a COSE_MALFORMED error naming it. */
export function bytesField(value: CborValue | undefined, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CoseError('ERR_COSE_MALFORMED', `${name} must be a byte string`);
  return value;
}
