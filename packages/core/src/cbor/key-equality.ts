/*
 * Map key equivalence in Ward's data model (RFC 8949 §5.6, §5.6.1).
 *
 * Ward's data model holds every number as a JavaScript `number` or `bigint`, and JavaScript
 * cannot tell the float 1.0 from the integer 1, so Ward's rule is numeric: two keys are the
 * same key when they are numerically equal, whatever their encoding. The integer 2^53
 * (a `bigint`), the float 2^53 (a `number`), and a tag 2 bignum of value 2^53 are one key;
 * so are 0 and −0.0, 1 and 1.0, and every NaN (Ward keeps no NaN payload). A bignum (tags
 * 2/3) counts as its integer value here: RFC 8949 §3.4.3 gives the choice of a bignum over a
 * plain integer no meaning, and peers that decode bignums as integers (cbor2, cbor-x) would
 * otherwise see one key twice. Arrays, maps and other tags are equal when their items are.
 *
 * `canonicalKey` maps a key to one representative of its class: equal keys have equal
 * representatives, and the representative of a primitive key is a primitive (compared with
 * SameValueZero, as `Map` and `Set` do), while that of an object key is an object whose
 * deterministic encoding identifies it.
 */
import { DecodeError } from '../errors.js';
import { CborTag, type CborValue } from './data-model.js';

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TWO_64 = 1n << 64n;
/** Deepest key compared, as deep as the encoder writes (MAX_ENCODE_DEPTH): no input can exhaust the call stack. */
const MAX_KEY_DEPTH = 1024;

/** The value of a tag 2 or 3 bignum's bytes (RFC 8949 §3.4.3), leading zeros allowed. */
function bignumValue(tag: 2 | 3, bytes: Uint8Array): bigint {
  let magnitude = 0n;
  for (const byte of bytes) magnitude = (magnitude << 8n) | BigInt(byte);
  return tag === 2 ? magnitude : -1n - magnitude;
}

/**
 * The representative of integer `value`: a `number` when safe, a `bigint` within the range of
 * major types 0/1 (−2^64 … 2^64 − 1), else a bignum in preferred serialization.
 */
function canonicalInteger(value: bigint): CborValue {
  if (value >= MIN_SAFE && value <= MAX_SAFE) return Number(value);
  if (value >= -TWO_64 && value < TWO_64) return value;
  let magnitude = value >= 0n ? value : -1n - value;
  const bytes: number[] = [];
  while (magnitude > 0n) {
    bytes.unshift(Number(magnitude & 0xffn));
    magnitude >>= 8n;
  }
  return new CborTag(value >= 0n ? 2 : 3, Uint8Array.from(bytes));
}

/**
 * The representative of map key `key` under Ward's key equivalence (see the file comment):
 * `canonicalKey(a)` and `canonicalKey(b)` are SameValueZero-equal primitives, or objects with
 * equal deterministic encodings, exactly when `a` and `b` are the same key.
 */
export function canonicalKey(key: CborValue, depth = 0): CborValue {
  switch (typeof key) {
    case 'number':
      // an integral float beyond 2^53 is that integer (RFC 8949 §5.6.1: numerically equal), −0.0 is 0
      if (Number.isInteger(key) && !Number.isSafeInteger(key)) return canonicalInteger(BigInt(key));
      return key === 0 ? 0 : key;
    case 'bigint':
      return canonicalInteger(key);
    case 'object':
      if (key === null || key instanceof Uint8Array) return key;
      // Stack exhaustion: a hostile key nested deeper than any real one fails typed
      if (depth >= MAX_KEY_DEPTH) throw new DecodeError('ERR_CBOR_LIMIT', `cannot compare map keys nested deeper than ${MAX_KEY_DEPTH}`);
      if (key instanceof CborTag) {
        if ((key.tag === 2 || key.tag === 3) && key.value instanceof Uint8Array) return canonicalInteger(bignumValue(key.tag, key.value));
        return new CborTag(key.tag, canonicalKey(key.value, depth + 1));
      }
      if (Array.isArray(key)) return key.map((item) => canonicalKey(item, depth + 1));
      if (key instanceof Map) {
        const map = new Map<CborValue, CborValue>();
        for (const [k, v] of key) map.set(canonicalKey(k, depth + 1), canonicalKey(v, depth + 1));
        return map;
      }
      return key;
    default:
      return key;
  }
}

/**
 * True when `key` may be equal to a key with another encoding (see {@link canonicalKey}):
 * a `bigint`, an integral float beyond 2^53, or an array, map or tag. Strings, byte strings
 * and other numbers are equal exactly when their deterministic encodings are.
 */
export function mayHaveOtherEncoding(key: unknown): boolean {
  if (typeof key === 'number') return Number.isInteger(key) && !Number.isSafeInteger(key);
  return typeof key === 'bigint' || (typeof key === 'object' && key !== null && !(key instanceof Uint8Array));
}

/** A deterministic encoding as a string, to hold in a `Set`. */
export function identityOf(bytes: Uint8Array): string {
  let identity = '';
  for (let i = 0; i < bytes.length; i += 4096) identity += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return identity;
}
