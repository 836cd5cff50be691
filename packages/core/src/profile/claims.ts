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
import { isSeconds, isWellFormedText } from '../text.js';
import { AttributeKey, ClaimKey, WardHeaderLabel } from './labels.js';
import type { AccessAttributes, AttributeValue, Provenance, ProvenanceInput } from './facts.js';
import { PROFILE_LIMITS, isAttributeValue, isTextList } from './limits.js';

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
  if (!isSeconds(value)) throw new ArgumentError(`${name} must be a non-negative safe integer`);
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
 * holds a trusted key, not from sealEnvelope(), and the facts it yields go to the policy as they are.
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
