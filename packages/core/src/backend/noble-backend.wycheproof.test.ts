/*
 * The noble backend against Wycheproof (Ed25519, ECDSA P-256 r‖s and DER, X25519, ECDH P-256,
 * AES-GCM, ChaCha20-Poly1305, HKDF-SHA-256) and RFC 3394 §4, through the CryptoBackend API only.
 * The runner, the decisions on "acceptable" cases and the strict DER parser live in
 * test-kit/wycheproof.ts and are shared with every other backend.
 */
import { describe, expect, it } from 'vitest';
import { parseStrictDerEcdsaSignature, runWycheproofSuite, toHex, hex } from '../../test-kit/wycheproof.js';
import { createNobleBackend } from './noble-backend.js';

runWycheproofSuite('noble', () => createNobleBackend());

/* The DER parser decides what counts as "rejected" in the DER file, so it is tested on its own. */
describe('test-kit strict DER ECDSA-Sig-Value parser', () => {
  const r = '00' + 'ff'.repeat(32); // 33 bytes: sign byte needed
  const s = '01';
  const seq = (body: string): string => `30${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
  const int = (v: string): string => `02${(v.length / 2).toString(16).padStart(2, '0')}${v}`;
  const good = seq(int(r) + int(s));

  it('decodes the minimal encoding to r‖s', () => {
    expect(toHex(parseStrictDerEcdsaSignature(hex(good))!)).toBe('ff'.repeat(32) + '00'.repeat(31) + '01');
    expect(toHex(parseStrictDerEcdsaSignature(hex(seq(int('00') + int('00'))))!)).toBe('00'.repeat(64));
  });

  it.each([
    ['empty input', ''],
    ['wrong outer tag', `31${good.slice(2)}`],
    ['trailing byte after the SEQUENCE', `${good}00`],
    ['SEQUENCE length too short', `30${(good.length / 2 - 3).toString(16)}${good.slice(4)}`],
    ['long-form length where the short form fits', `3081${good.slice(2)}`],
    ['indefinite length', `3080${good.slice(4)}0000`],
    ['unneeded leading zero', seq(int('0001') + int(s))],
    ['missing sign byte (negative r)', seq(int('ff'.repeat(32)) + int(s))],
    ['negative s', seq(int(r) + int('80'))],
    ['empty INTEGER', seq(int('') + int(s))],
    ['r of 33 significant bytes', seq(int('01' + '00'.repeat(32)) + int(s))],
    ['wrong INTEGER tag', seq(`03${int(r).slice(2)}` + int(s))],
    ['third element', seq(int(r) + int(s) + int('01'))],
    ['one element', seq(int(r))],
    ['long-form INTEGER length', seq(`0281${int(r).slice(2)}` + int(s))],
  ])('rejects %s', (_what, der) => {
    expect(parseStrictDerEcdsaSignature(hex(der))).toBeUndefined();
  });
});
