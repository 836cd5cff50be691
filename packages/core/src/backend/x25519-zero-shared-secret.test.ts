/*
 * The X25519 all-zero shared-secret check (RFC 7748 §6.1; RFC 9180 §7.1.4): a low-order peer
 * key makes the ECDH output all zeros whatever the private key, so an attacker who picks the
 * peer key knows the "secret". The backend kit's checkSharedSecret() is the one home of the
 * check; every backend runs its ECDH result through it. noble and OpenSSL also refuse these
 * points themselves, so the kit's check is called directly here as well: the contract must
 * not rest on what a library happens to do.
 */
import { describe, expect, test } from 'vitest';
import { runX25519LowOrderSuite } from '../../test-kit/x25519-low-order.js';
import { checkSharedSecret } from '../backend-kit.js';
import { KeyAgreementError } from '../errors.js';
import { createNobleBackend } from './noble-backend.js';

describe('X25519 all-zero shared secret (backend kit)', () => {
  test('checkSharedSecret refuses an all-zero X25519 output with ERR_KEY_AGREEMENT_FAILED', () => {
    let error: unknown;
    try {
      checkSharedSecret('X25519', new Uint8Array(32));
    } catch (e) {
      error = e;
    }
    expect(KeyAgreementError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_KEY_AGREEMENT_FAILED' });
  });

  test('checkSharedSecret keeps a non-zero X25519 output and a zero P-256 x-coordinate (a genuine point)', () => {
    const one = new Uint8Array(32);
    one[31] = 1;
    expect(checkSharedSecret('X25519', one)).toBe(one);
    const zeroX = new Uint8Array(32);
    expect(checkSharedSecret('ECDH-P256', zeroX)).toBe(zeroX);
  });
});

runX25519LowOrderSuite('noble', () => createNobleBackend());
