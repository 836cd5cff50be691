/*
 * backend.destroyKey on every backend: the handle is refused for every holder afterwards
 * (ERR_KEY_DESTROYED), for every kind of key; destroying twice is a no-op; foreign handles are
 * refused (ERR_KEY_FOREIGN).
 */
import { describe, expect, test } from 'vitest';
import { WardError, createNobleBackend } from '@ward/core';
import type { CryptoBackend, KeyAlgorithm } from '@ward/core';
import { createNodeBackend } from './node-backend.js';

const BACKENDS: [string, () => CryptoBackend][] = [['noble', createNobleBackend], ['node', createNodeBackend]];
const ALGORITHMS: KeyAlgorithm[] = ['Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256', 'AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256'];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return WardError.isInstance(error) ? error.code : 'not a WardError';
  }
  return undefined;
}

describe.each(BACKENDS)('%s backend destroyKey', (_name, create) => {
  test.each(ALGORITHMS)('a destroyed %s key is refused afterwards, also through copies of the handle', async (algorithm) => {
    const backend = create();
    const key = await backend.generateKey(algorithm, { extractable: true });
    const copy = key;
    expect(codeOf(() => backend.exportKey(copy))).toBeUndefined();
    await backend.destroyKey!(key);
    expect(codeOf(() => backend.exportKey(copy))).toBe('ERR_KEY_DESTROYED');
    await expect(Promise.resolve().then(() => backend.destroyKey!(key))).resolves.toBeUndefined();
  });

  test('a destroyed key cannot sign or decrypt; a public key derived earlier still verifies', async () => {
    const backend = create();
    const signing = await backend.generateKey('Ed25519');
    const verifying = await backend.publicKey(signing);
    const message = new Uint8Array([1, 2, 3]);
    const signature = await backend.sign(signing, message);
    await backend.destroyKey!(signing);
    expect(codeOf(() => backend.sign(signing, message))).toBe('ERR_KEY_DESTROYED');
    expect(await backend.verify(verifying, message, signature)).toBe(true);
    const aead = await backend.generateKey('AES-GCM');
    await backend.destroyKey!(aead);
    expect(codeOf(() => backend.aeadEncrypt(aead, { nonce: new Uint8Array(12), plaintext: message }))).toBe('ERR_KEY_DESTROYED');
  });

  test('another backend instance cannot destroy the key', async () => {
    const backend = create();
    const other = create();
    const key = await backend.generateKey('AES-GCM');
    expect(codeOf(() => other.destroyKey!(key))).toBe('ERR_KEY_FOREIGN');
    expect(codeOf(() => backend.exportKey(key))).toBe('ERR_KEY_NOT_EXTRACTABLE');
  });
});
