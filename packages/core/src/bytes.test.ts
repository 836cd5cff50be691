/*
 * decodeCanonicalBase64: the one strict base64 / base64url decoder (PEM bodies, OPA JWS parts).
 * Node's Buffer is the reference encoder; Ward's decoder must accept exactly its output.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeCanonicalBase64 } from './bytes.js';

describe('decodeCanonicalBase64', () => {
  test('property: decodes exactly what a standard encoder writes, in both forms', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
      const buffer = Buffer.from(bytes);
      if (bytes.length > 0) expect(decodeCanonicalBase64(buffer.toString('base64'), 'base64')).toEqual(bytes);
      expect(decodeCanonicalBase64(buffer.toString('base64url'), 'base64url')).toEqual(bytes);
    }));
  });

  test('canonical: nonzero pad bits are refused, so one byte string has one text', () => {
    expect(decodeCanonicalBase64('QQ==', 'base64')).toEqual(new Uint8Array([0x41]));
    expect(decodeCanonicalBase64('QR==', 'base64')).toBe('non-canonical');
    expect(decodeCanonicalBase64('QUI=', 'base64')).toEqual(new Uint8Array([0x41, 0x42]));
    expect(decodeCanonicalBase64('QUJ=', 'base64')).toBe('non-canonical');
    expect(decodeCanonicalBase64('QQ', 'base64url')).toEqual(new Uint8Array([0x41]));
    expect(decodeCanonicalBase64('QR', 'base64url')).toBe('non-canonical');
  });

  test('malformed: another alphabet, a bad length, misplaced padding, an empty PEM body', () => {
    for (const text of ['', 'QQ=', 'Q===', 'Q=Q=', 'QQ-_', 'QQ\n==', 'QQ==QQ==']) expect(decodeCanonicalBase64(text, 'base64'), text).toBe('malformed');
    for (const text of ['Q', 'QQ==', 'QQ+/', 'Q Q']) expect(decodeCanonicalBase64(text, 'base64url'), text).toBe('malformed');
  });
});
