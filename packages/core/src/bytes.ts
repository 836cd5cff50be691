/*
 * The one home of core's byte helpers: hex, constant-time equality, byte order, concatenation
 * and canonical base64. Internal to core, except `toHex`, which `@ward/core/backend-kit`
 * re-exports for backend authors.
 */

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Lowercase hex of `bytes`, for ids in messages, logs and map keys (never for secrets: a table
 * lookup per byte is not constant time).
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([0x0a, 0xff])); // '0aff'
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX_DIGITS[b];
  return out;
}

/** The bytes of a {@link toHex} string (map keys back to kids); `hex` must be lowercase hex of even length. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Whether two byte strings are equal. Runs over the whole length without an early exit, so it
 * is also fit for digests, tags and key material (the length itself is not hidden).
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Compares bytes `aStart..aEnd` of `a` with bytes `bStart..bEnd` of `b` in bytewise
 * lexicographic order: negative when the first sorts first, 0 when equal, positive otherwise.
 * A shorter range that is a prefix of the longer sorts first (RFC 8949 §4.2.1 key order).
 * Not constant time: for ordering public bytes only.
 */
export function compareByteRanges(
  a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number,
): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const common = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < common; i++) {
    const difference = (a[aStart + i] as number) - (b[bStart + i] as number);
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

/** {@link compareByteRanges} over the whole of `a` and `b`. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return compareByteRanges(a, 0, a.length, b, 0, b.length);
}

/**
 * One buffer holding `parts` in order: the only copy made, so a caller can wipe it afterwards.
 *
 * @param parts - the byte strings, in order
 * @returns a new buffer of their total length
 * @example
 * ```ts
 * import { concatBytes, encodeHead } from '@ward/core/backend-kit';
 *
 * const byteString = concatBytes([encodeHead(2, content.length), content]); // CBOR bstr
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Decodes canonical base64 (RFC 4648 §4, padded) or base64url without padding (§5, as JWS uses
 * it). Canonical means one byte string has exactly one accepted text: any other character, a
 * bad length, misplaced padding or nonzero pad bits is refused. Returns the bytes, or why not.
 */
export function decodeCanonicalBase64(text: string, form: 'base64' | 'base64url'): Uint8Array | 'malformed' | 'non-canonical' {
  let body = text;
  if (form === 'base64') {
    if (text.length === 0 || text.length % 4 !== 0) return 'malformed';
    body = text.slice(0, text.length - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0));
    if (!/^[A-Za-z0-9+/]*$/u.test(body)) return 'malformed';
  } else if (!/^[A-Za-z0-9_-]*$/u.test(text) || text.length % 4 === 1) {
    return 'malformed';
  }
  const [c62, c63] = form === 'base64' ? [43, 47] : [45, 95];
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let value = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const sextet = c === c62 ? 62 : c === c63 ? 63 : c >= 97 ? c - 71 : c >= 65 ? c - 65 : c + 4;
    value = ((value << 6) | sextet) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >>> bits) & 0xff;
    }
  }
  /* Nonzero pad bits would give one byte string two encodings. */
  if ((value & ((1 << bits) - 1)) !== 0) return 'non-canonical';
  return out;
}

