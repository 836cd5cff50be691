/*
 * IEEE 754 floating-point conversions for CBOR major type 7 (RFC 8949 §3.3): reading
 * half-precision values (JavaScript has no Float16 reader in ES2022) and choosing the
 * shortest of half, single and double precision that preserves a value, which preferred
 * serialization requires (RFC 8949 §4.1, §4.2.1).
 */

const scratch = new DataView(new ArrayBuffer(8));

/** The canonical NaN: half-precision 0x7e00, the only NaN Ward writes (RFC 8949 §4.2.2). */
export const CANONICAL_NAN_HALF = 0x7e00;

/**
 * The value of IEEE 754 half-precision bits `half` (RFC 8949 Appendix D gives the same
 * algorithm in C).
 */
export function decodeHalf(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/**
 * The half-precision bits that represent `value` exactly, or -1 when half precision cannot
 * hold it. NaN returns -1 too: callers decide how to write NaN.
 */
export function exactHalfBits(value: number): number {
  if (Math.fround(value) !== value) return -1; // not even single precision (or NaN)
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00; // ±Infinity (NaN was excluded above)
  if (exponent === 0) return fraction === 0 ? sign : -1; // ±0; single subnormals are far below half range
  const e = exponent - 127;
  if (e > 15) return -1;
  if (e >= -14) {
    // half normal: 10 fraction bits, so the low 13 of the single fraction must be zero
    return fraction & 0x1fff ? -1 : sign | ((e + 15) << 10) | (fraction >> 13);
  }
  if (e >= -24) {
    // half subnormal: value = m × 2^-24 with m < 1024, so (1.fraction × 2^23) >> shift must be exact
    const significand = fraction | 0x800000;
    const shift = -e - 1;
    return significand & ((1 << shift) - 1) ? -1 : sign | (significand >> shift);
  }
  return -1;
}

/**
 * The shortest encoding (head byte included) of float `value` that preserves it: half, single
 * or double precision, in that order of preference; NaN is always `f9 7e 00`
 * (RFC 8949 §4.1, §4.2.1, §4.2.2).
 */
export function encodeFloat(value: number): Uint8Array {
  if (Number.isNaN(value)) return Uint8Array.of(0xf9, CANONICAL_NAN_HALF >> 8, CANONICAL_NAN_HALF & 0xff);
  const half = exactHalfBits(value);
  if (half >= 0) return Uint8Array.of(0xf9, half >> 8, half & 0xff);
  if (Math.fround(value) === value) {
    const out = new Uint8Array(5);
    out[0] = 0xfa;
    new DataView(out.buffer).setFloat32(1, value);
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = 0xfb;
  new DataView(out.buffer).setFloat64(1, value);
  return out;
}
