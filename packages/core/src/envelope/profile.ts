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

/**
 * The limits SPEC.md §5 and §7 state for claims and attributes: one table for both sides.
 * seal() refuses to write beyond them (`ERR_INVALID_ARGUMENT`); every reader (verify(), open(),
 * rewrap()) refuses to read beyond them (`ERR_ENVELOPE_INVALID`), because an envelope comes from
 * whoever holds a trusted key, not from Ward's encoder; and the policy input accepts exactly
 * what they allow, so every fact set verify() returns is a valid policy input. Internal to core.
 */
export const PROFILE_LIMITS = {
  /** Characters (UTF-16 code units) of a claim text, an attribute text or an attribute name; at least 1. */
  text: 256,
  /** Purposes in the purpose attribute. */
  purposes: 32,
  /** Free-form (text-keyed) attributes. */
  extra: 32,
  /** Texts in one free-form text-array attribute. */
  textList: 32,
  /** Bytes of the unique id (`cti`); at least 1. */
  id: 64,
} as const;

/* A lone UTF-16 surrogate has no UTF-8 encoding (RFC 8949 §3.1: text strings are UTF-8). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether `value` is well-formed text of 1 to `max` characters: the one text rule of Ward's
 * profile (claims, attributes, attribute names) and of the policy input. A lone surrogate has no
 * UTF-8 encoding, so a writer cannot emit it and two different strings would reach the policy
 * as one. Internal to core.
 */
export function isWellFormedText(value: unknown, max: number = PROFILE_LIMITS.text): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && !LONE_SURROGATE.test(value);
}

/** Whether `value` is an array of at most `max` profile texts. Internal to core. */
export function isTextList(value: unknown, max: number): value is readonly string[] {
  return Array.isArray(value) && value.length <= max && value.every((v) => isWellFormedText(v));
}

/*
 * Numbers that survive the wire unchanged: safe integers (CBOR integers) and finite fractional
 * values (CBOR floats). An integral float (2^53, -0) would be refused by every COSE reader,
 * which rejects integral floats (SPEC.md §1), and an integer beyond ±(2^53−1) is no JavaScript
 * number, so neither is written or read.
 */
function isWireNumber(value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Object.is(value, -0)) return false;
  return Number.isSafeInteger(value) || !Number.isInteger(value);
}

/**
 * Whether `value` is a free-form attribute value within the profile's limits (SPEC.md §5): a
 * text, a boolean, a safe integer or fractional number, or a list of at most
 * {@link PROFILE_LIMITS}`.textList` texts. Internal to core.
 */
export function isAttributeValue(value: unknown): value is AttributeValue {
  return typeof value === 'boolean' || isWireNumber(value) || isWellFormedText(value) || isTextList(value, PROFILE_LIMITS.textList);
}

function text(value: unknown, name: string): string {
  if (!isWellFormedText(value)) {
    throw new ArgumentError(`${name} must be a non-empty, well-formed string of at most ${PROFILE_LIMITS.text} characters`);
  }
  return value;
}

function uint(value: unknown, name: string): number | bigint {
  const ok = (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
    || (typeof value === 'bigint' && value >= 0n && value < 1n << 64n);
  if (!ok) throw new ArgumentError(`${name} must be a non-negative integer`);
  return value as number | bigint;
}

/* Seconds (issuedAt, retention) are JavaScript numbers on read, so they are safe integers on write. */
function seconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ArgumentError(`${name} must be a non-negative safe integer`);
  return value;
}

/** Encodes provenance as the CWT claims map (RFC 8392 §3 keys, Ward's sequence claim). */
export function encodeClaims(claims: ProvenanceInput, issuedAt: number, id: Uint8Array): Map<CborValue, CborValue> {
  if (!(id instanceof Uint8Array) || id.length === 0 || id.length > PROFILE_LIMITS.id) throw new ArgumentError(`id must be 1 to ${PROFILE_LIMITS.id} bytes`);
  return new Map<CborValue, CborValue>([
    [ClaimKey.issuer, text(claims.issuer, 'issuer')],
    [ClaimKey.subject, text(claims.subject, 'subject')],
    [ClaimKey.issuedAt, seconds(issuedAt, 'issuedAt')],
    [ClaimKey.id, id],
    [ClaimKey.sequence, uint(claims.sequence, 'sequence')],
  ]);
}

/** Encodes access attributes as Ward's attribute map. */
export function encodeAttributes(attributes: AccessAttributes): Map<CborValue, CborValue> {
  const map = new Map<CborValue, CborValue>([[AttributeKey.classification, text(attributes.classification, 'classification')]]);
  if (attributes.zone !== undefined) map.set(AttributeKey.zone, text(attributes.zone, 'zone'));
  if (attributes.purpose !== undefined) {
    if (!isTextList(attributes.purpose, PROFILE_LIMITS.purposes)) {
      throw new ArgumentError(`purpose must be an array of at most ${PROFILE_LIMITS.purposes} non-empty, well-formed strings of at most ${PROFILE_LIMITS.text} characters`);
    }
    map.set(AttributeKey.purpose, [...attributes.purpose]);
  }
  if (attributes.owner !== undefined) map.set(AttributeKey.owner, text(attributes.owner, 'owner'));
  if (attributes.retention !== undefined) map.set(AttributeKey.retention, seconds(attributes.retention, 'retention'));
  const extra = Object.entries(attributes.extra ?? {});
  if (extra.length > PROFILE_LIMITS.extra) throw new ArgumentError(`at most ${PROFILE_LIMITS.extra} extra attributes`);
  for (const [name, value] of extra) {
    text(name, 'attribute name');
    if (!isAttributeValue(value)) {
      throw new ArgumentError(`attribute ${name} must be a string, boolean, array of at most ${PROFILE_LIMITS.textList} strings, safe integer or fractional number (strings of 1 to ${PROFILE_LIMITS.text} characters)`);
    }
    map.set(name, Array.isArray(value) ? [...value] : (value as string | number | boolean));
  }
  return map;
}

function malformed(what: string): never {
  throw new CoseError('ERR_COSE_INVALID_HEADER', `sealed envelope ${what}`);
}

/*
 * Reading applies the same rules as writing (SPEC.md §5, §7): an envelope comes from whoever
 * holds a trusted key, not from seal(), and the facts it yields go to the policy as they are.
 */
/** Text of 1 to {@link PROFILE_LIMITS}`.text` characters, or a refusal. Internal to core (the re-wrap issuer too). */
export function textField(value: CborValue | undefined, what: string): string {
  if (!isWellFormedText(value)) malformed(`${what} must be text of 1 to ${PROFILE_LIMITS.text} characters`);
  return value;
}

function uintField(value: CborValue | undefined, what: string): number | bigint {
  if (!((typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'bigint' && value >= 0n))) {
    malformed(`${what} must be a non-negative integer`);
  }
  return value;
}

/** A unique id (cti): 1 to {@link PROFILE_LIMITS}`.id` bytes. Internal to core (re-wrap ids too). */
export function idField(value: CborValue | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length === 0 || value.length > PROFILE_LIMITS.id) malformed(`${what} (cti) must be 1..${PROFILE_LIMITS.id} bytes`);
  return value;
}

/** Seconds since the epoch or a duration: a safe non-negative integer. Internal to core (re-wrap times too). */
export function secondsField(value: CborValue | undefined, what: string): number {
  const seconds = uintField(value, what);
  if (typeof seconds !== 'number') malformed(`${what} is out of range`);
  return seconds;
}

/** Reads and checks the provenance claims of a verified protected header. */
export function decodeClaims(header: HeaderMap): Provenance {
  const claims = header.get(HeaderLabel.cwtClaims);
  if (!(claims instanceof Map)) malformed('has no CWT claims');
  const id = idField(claims.get(ClaimKey.id), 'id');
  const issuedAt = secondsField(claims.get(ClaimKey.issuedAt), 'issuedAt');
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
        if (!isTextList(value, PROFILE_LIMITS.purposes)) malformed(`purpose must be an array of at most ${PROFILE_LIMITS.purposes} texts`);
        result.purpose = value;
        break;
      case AttributeKey.owner: result.owner = textField(value, 'owner'); break;
      case AttributeKey.retention: result.retention = secondsField(value, 'retention'); break;
      default:
        if (typeof key !== 'string') malformed('has an unknown attribute key');
        if (!isWellFormedText(key)) malformed(`attribute names must be text of 1 to ${PROFILE_LIMITS.text} characters`);
        if (!isAttributeValue(value)) malformed(`attribute ${key} has an unsupported value`);
        /* SPEC.md §5: at most 32 free-form attributes; checked before the 33rd is kept. */
        if (extra.length === PROFILE_LIMITS.extra) malformed(`has more than ${PROFILE_LIMITS.extra} free-form attributes`);
        extra.push([key, value]);
    }
  }
  if (classification === undefined) malformed('has no classification');
  /* Object.fromEntries defines own properties, so a signed name like "__proto__" stays data. */
  return { classification, ...result, ...(extra.length > 0 ? { extra: Object.fromEntries(extra) } : {}) };
}
