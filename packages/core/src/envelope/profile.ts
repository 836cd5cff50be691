/*
 * Ward's sealed-envelope profile: the labels, claim keys and content types that SPEC.md
 * documents byte by byte, and the translation between them and the typed facts the API
 * returns. Everything here is signed: it lives in the COSE_Sign1 protected bucket, except the
 * detached ciphertext, which the signed ciphertext digest binds.
 */
import type { CborValue } from '../cbor/index.js';
import { ArgumentError, CoseError } from '../errors.js';
import { HeaderLabel } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';

/**
 * Ward's private-use COSE header labels (RFC 9052 §3: labels below -65536 are private use).
 *
 * @example
 * ```ts
 * import { WardHeaderLabel } from '@ward/core';
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
 * import { ClaimKey } from '@ward/core';
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
 * import { AttributeKey } from '@ward/core';
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
 * CoAP content formats of the inner message (RFC 9052 §9.? / IANA "CoAP Content-Formats"):
 * `application/cose; cose-type="cose-encrypt0"` is 16, `"cose-encrypt"` is 96.
 */
export const ContentFormat = {
  encrypt0: 16,
  encrypt: 96,
} as const;

/** Data classifications Ward's shipped policies know; any other text is accepted too. */
export type Classification = 'public' | 'internal' | 'personal' | 'special-category' | (string & {});

/** A free-form attribute value. */
export type AttributeValue = string | number | boolean | readonly string[];

/**
 * Access attributes of an envelope: signed, visible to the policy before decryption.
 */
export interface AccessAttributes {
  /** Data classification, e.g. `personal` or `special-category` (CCTV, door-access logs). */
  readonly classification: Classification;
  /** The city zone the data concerns. */
  readonly zone?: string;
  /** Purposes the data may be used for (purpose binding). */
  readonly purpose?: readonly string[];
  /** The data owner (a department or organisation). */
  readonly owner?: string;
  /** Retention period in seconds from `issuedAt`. */
  readonly retention?: number;
  /** Further attributes, by text name. */
  readonly extra?: Readonly<Record<string, AttributeValue>>;
}

/** Provenance the producer states; Ward signs it. */
export interface ProvenanceInput {
  /** Who produced the data (device or service identity). */
  readonly issuer: string;
  /** The stream or subject the record belongs to, e.g. `footfall/market-square`. */
  readonly subject: string;
  /** The producer's sequence number for this stream, a non-negative integer, strictly increasing. */
  readonly sequence: number | bigint;
  /** Seconds since the epoch; default: now. */
  readonly issuedAt?: number;
  /** A unique id; default: 16 random bytes. */
  readonly id?: Uint8Array;
}

/** Provenance as verified from an envelope. */
export interface Provenance {
  /** Producer identity. */
  readonly issuer: string;
  /** Stream or subject. */
  readonly subject: string;
  /** Per-producer sequence number. */
  readonly sequence: number | bigint;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  /** Unique id. */
  readonly id: Uint8Array;
}

const MAX_TEXT = 256;
const MAX_PURPOSES = 32;
const MAX_EXTRA = 32;

/* A lone UTF-16 surrogate has no UTF-8 encoding (RFC 8949 §3.1: text strings are UTF-8). */
const LONE_SURROGATE = /\p{Cs}/u;

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT || LONE_SURROGATE.test(value)) {
    throw new ArgumentError(`${name} must be a non-empty, well-formed string of at most ${MAX_TEXT} characters`);
  }
  return value;
}

function uint(value: unknown, name: string): number | bigint {
  const ok = (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
    || (typeof value === 'bigint' && value >= 0n && value < 1n << 64n);
  if (!ok) throw new ArgumentError(`${name} must be a non-negative integer`);
  return value as number | bigint;
}

/** Encodes provenance as the CWT claims map (RFC 8392 §3 keys, Ward's sequence claim). */
export function encodeClaims(claims: ProvenanceInput, issuedAt: number, id: Uint8Array): Map<CborValue, CborValue> {
  return new Map<CborValue, CborValue>([
    [ClaimKey.issuer, text(claims.issuer, 'issuer')],
    [ClaimKey.subject, text(claims.subject, 'subject')],
    [ClaimKey.issuedAt, uint(issuedAt, 'issuedAt')],
    [ClaimKey.id, id],
    [ClaimKey.sequence, uint(claims.sequence, 'sequence')],
  ]);
}

/*
 * Numbers that survive the wire unchanged: safe integers (CBOR integers) and finite fractional
 * values (CBOR floats). An integral float (2^53, -0) would be refused by every COSE reader,
 * which rejects integral floats (SPEC.md §1), so seal() refuses it up front.
 */
function isWireNumber(value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Object.is(value, -0)) return false;
  return Number.isSafeInteger(value) || !Number.isInteger(value);
}

/** Encodes access attributes as Ward's attribute map. */
export function encodeAttributes(attributes: AccessAttributes): Map<CborValue, CborValue> {
  const map = new Map<CborValue, CborValue>([[AttributeKey.classification, text(attributes.classification, 'classification')]]);
  if (attributes.zone !== undefined) map.set(AttributeKey.zone, text(attributes.zone, 'zone'));
  if (attributes.purpose !== undefined) {
    if (!Array.isArray(attributes.purpose) || attributes.purpose.length > MAX_PURPOSES) {
      throw new ArgumentError(`purpose must be an array of at most ${MAX_PURPOSES} strings`);
    }
    map.set(AttributeKey.purpose, attributes.purpose.map((p) => text(p, 'purpose')));
  }
  if (attributes.owner !== undefined) map.set(AttributeKey.owner, text(attributes.owner, 'owner'));
  if (attributes.retention !== undefined) map.set(AttributeKey.retention, uint(attributes.retention, 'retention'));
  const extra = Object.entries(attributes.extra ?? {});
  if (extra.length > MAX_EXTRA) throw new ArgumentError(`at most ${MAX_EXTRA} extra attributes`);
  for (const [name, value] of extra) {
    text(name, 'attribute name');
    if (Array.isArray(value)) map.set(name, value.map((v) => text(v, name)));
    else if (typeof value === 'string') map.set(name, text(value, name));
    else if (typeof value === 'boolean' || isWireNumber(value)) map.set(name, value);
    else throw new ArgumentError(`attribute ${name} must be a string, boolean, string array, safe integer or fractional number`);
  }
  return map;
}

function malformed(what: string): never {
  throw new CoseError('ERR_COSE_INVALID_HEADER', `sealed envelope ${what}`);
}

function textField(value: CborValue | undefined, what: string): string {
  if (typeof value !== 'string') malformed(`${what} must be text`);
  return value;
}

function uintField(value: CborValue | undefined, what: string): number | bigint {
  if (!((typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'bigint' && value >= 0n))) {
    malformed(`${what} must be a non-negative integer`);
  }
  return value;
}

/** Reads and checks the provenance claims of a verified protected header. */
export function decodeClaims(header: HeaderMap): Provenance {
  const claims = header.get(HeaderLabel.cwtClaims);
  if (!(claims instanceof Map)) malformed('has no CWT claims');
  const id = claims.get(ClaimKey.id);
  if (!(id instanceof Uint8Array) || id.length === 0 || id.length > 64) malformed('id (cti) must be 1..64 bytes');
  const issuedAt = uintField(claims.get(ClaimKey.issuedAt), 'issuedAt');
  if (typeof issuedAt !== 'number') malformed('issuedAt is out of range');
  return {
    issuer: textField(claims.get(ClaimKey.issuer), 'issuer'),
    subject: textField(claims.get(ClaimKey.subject), 'subject'),
    sequence: uintField(claims.get(ClaimKey.sequence), 'sequence'),
    issuedAt,
    id,
  };
}

/** Reads and checks the access attributes of a verified protected header. */
export function decodeAttributes(header: HeaderMap): AccessAttributes {
  const map = header.get(WardHeaderLabel.attributes);
  if (!(map instanceof Map)) malformed('has no access attributes');
  const extra: [string, AttributeValue][] = [];
  let classification: string | undefined;
  const result: { -readonly [K in keyof AccessAttributes]?: AccessAttributes[K] } = {};
  for (const [key, value] of map) {
    switch (key) {
      case AttributeKey.classification: classification = textField(value, 'classification'); break;
      case AttributeKey.zone: result.zone = textField(value, 'zone'); break;
      case AttributeKey.purpose:
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) malformed('purpose must be a text array');
        result.purpose = value as string[];
        break;
      case AttributeKey.owner: result.owner = textField(value, 'owner'); break;
      case AttributeKey.retention: {
        const retention = uintField(value, 'retention');
        if (typeof retention !== 'number') malformed('retention is out of range');
        result.retention = retention;
        break;
      }
      default:
        if (typeof key !== 'string') malformed('has an unknown attribute key');
        if (Array.isArray(value) && value.every((v) => typeof v === 'string')) extra.push([key, value as string[]]);
        else if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) extra.push([key, value]);
        else malformed(`attribute ${key} has an unsupported value`);
    }
  }
  if (classification === undefined) malformed('has no classification');
  /* Object.fromEntries defines own properties, so a signed name like "__proto__" stays data. */
  return { classification, ...result, ...(extra.length > 0 ? { extra: Object.fromEntries(extra) } : {}) };
}
