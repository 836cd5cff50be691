/*
 * Half-precision reading and shortest-float writing (RFC 8949 §3.3, §4.2.1), checked
 * exhaustively over all 65,536 half-precision bit patterns and on random single and double
 * precision values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHalf, encodeFloat, exactHalfBits } from './float.js';

const f32 = (bits: number): number => new DataView(Uint32Array.of(bits).buffer).getFloat32(0, true);
const f64 = (hi: number, lo: number): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, hi);
  view.setUint32(4, lo);
  return view.getFloat64(0);
};
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('half precision', () => {
  it('reads all 65,536 bit patterns and writes each non-NaN value back to the same bits', () => {
    let nans = 0;
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = decodeHalf(bits);
      const exponent = (bits >> 10) & 0x1f;
      const fraction = bits & 0x3ff;
      if (exponent === 0x1f && fraction !== 0) {
        if (!Number.isNaN(value) || hex(encodeFloat(value)) !== 'f97e00') wrong.push(bits);
        nans++;
      } else if (Math.fround(value) !== value // every half is a single
        || exactHalfBits(value) !== bits
        || hex(encodeFloat(value)) !== `f9${bits.toString(16).padStart(4, '0')}`) {
        wrong.push(bits);
      }
    }
    expect(wrong).toEqual([]);
    expect(nans).toBe(2 * 1023);
  });

  it('knows the RFC 8949 Appendix A values', () => {
    expect(decodeHalf(0x3c00)).toBe(1);
    expect(decodeHalf(0x8000)).toBe(-0);
    expect(decodeHalf(0x7bff)).toBe(65504);
    expect(decodeHalf(0x0001)).toBe(5.960464477539063e-8);
    expect(decodeHalf(0x0400)).toBe(0.00006103515625);
    expect(decodeHalf(0xc400)).toBe(-4);
    expect(decodeHalf(0x7c00)).toBe(Infinity);
    expect(decodeHalf(0xfc00)).toBe(-Infinity);
  });
});

describe('shortest float', () => {
  it('writes a single-precision value in half precision exactly when half precision holds it', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
      const value = f32(bits);
      const encoded = encodeFloat(value);
      if (Number.isNaN(value)) return hex(encoded) === 'f97e00';
      const half = exactHalfBits(value);
      if (half >= 0) return decodeHalf(half) === value && encoded.length === 3;
      return hex(encoded) === `fa${bits.toString(16).padStart(8, '0')}`;
    }), { numRuns: 20000 });
  });

  it('writes a double in double precision exactly when single precision loses it', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), (hi, lo) => {
      const value = f64(hi, lo);
      const encoded = encodeFloat(value);
      if (Number.isNaN(value)) return hex(encoded) === 'f97e00';
      if (encoded.length === 9) return Math.fround(value) !== value && Object.is(new DataView(encoded.buffer).getFloat64(1), value);
      return Math.fround(value) === value;
    }), { numRuns: 20000 });
  });

  it('picks half, single or double at the precision boundaries', () => {
    expect(hex(encodeFloat(1.5))).toBe('f93e00');
    expect(hex(encodeFloat(-0))).toBe('f98000');
    expect(hex(encodeFloat(65504.5))).toBe('fa477fe080');
    expect(hex(encodeFloat(100000.5))).toBe('fa47c35040');
    expect(hex(encodeFloat(1.1))).toBe('fb3ff199999999999a');
    expect(hex(encodeFloat(2 ** -24))).toBe('f90001'); // smallest half subnormal
    expect(hex(encodeFloat(2 ** -25))).toBe('fa33000000'); // below half range
    expect(hex(encodeFloat(2 ** -24 * 3))).toBe('f90003');
    expect(hex(encodeFloat(2 ** -24 * 1.5))).toBe('fa33c00000'); // between two half subnormals
    expect(hex(encodeFloat(65536))).toBe('fa47800000'); // above half range
    expect(hex(encodeFloat(2 ** -149))).toBe('fa00000001'); // single subnormal
    expect(hex(encodeFloat(f64(0x36a00000, 1)))).toBe('fb36a0000000000001');
  });
});
