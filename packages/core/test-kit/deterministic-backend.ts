/*
 * Test-only: a noble backend whose randomBytes() is a fixed stream (SHA-256 in counter mode
 * over a seed), so that an envelope can be reproduced byte for byte (SPEC.md examples).
 * Never use outside tests: it makes every nonce predictable.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { createNobleBackend } from '../src/index.js';
import type { CryptoBackend } from '../src/index.js';

export function createDeterministicBackend(seed: string): CryptoBackend {
  const inner = createNobleBackend();
  const seedBytes = new TextEncoder().encode(seed);
  let counter = 0;
  const next = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += 32) {
      const block = sha256(new Uint8Array([...seedBytes, ...new TextEncoder().encode(`:${counter++}`)]));
      out.set(block.subarray(0, Math.min(32, length - offset)), offset);
    }
    return out;
  };
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'randomBytes') return next;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as CryptoBackend;
}
