/*
 * The pure-JS backend: every primitive from the audited @noble libraries, nothing hand-rolled.
 * Runs in every JS runtime; synchronous throughout.
 */
import { gcm, aeskw } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { DecryptionError, KeyAgreementError, KeyError } from '../errors.js';
import { CRYPTO_BACKEND_VERSION } from './crypto-backend.js';
import type {
  AeadDecryptInput, AeadEncryptInput, AeadKey, AgreementPrivateKey, AgreementPublicKey, AsymmetricAlgorithm,
  CryptoBackend, HkdfInput, KeyAlgorithm, KeyHandle, KeyKind, KeyOptions, MacKey, SecretKindOf, SigningKey,
  VerifyingKey, WrappingKey,
} from './crypto-backend.js';
import { KeyHandleRegistry } from './key-handle-registry.js';
import {
  SIGNATURE_LENGTH, assertAlgorithm, assertBytes, checkAeadDecryptInput, checkAeadEncryptInput, checkExtractable, checkHkdf,
  checkRandomLength, checkRawKey, checkSharedSecret, checkUnwrapInput, checkWrapInput, generatedKind, generatedSecretLength,
  guarded, isAsymmetric, macTagMatches,
} from './validate.js';

const EMPTY = new Uint8Array(0);

/** Fills a fresh array from the platform CSPRNG (getRandomValues caps each call at 64 KiB). */
function random(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

/** The AEAD of `key` (AES-GCM or ChaCha20-Poly1305, RFC 9053 §4.1, §4.3) keyed for `input`'s nonce and AAD. */
function aead(key: AeadKey, secret: Uint8Array, input: AeadEncryptInput | AeadDecryptInput) {
  return (key.algorithm === 'AES-GCM' ? gcm : chacha20poly1305)(secret, input.nonce, input.aad ?? EMPTY);
}

/**
 * Creates the pure-JS backend on `@noble/curves`, `@noble/hashes` and `@noble/ciphers`.
 * Runs in every JavaScript runtime with `crypto.getRandomValues`; every method is synchronous.
 *
 * Decisions on edge cases (shared with every Ward backend):
 * - Ed25519 verification is strict RFC 8032 (`zip215: false`): non-canonical `S` or point
 *   encodings are rejected.
 * - ECDSA P-256 verification accepts high-`s` signatures (other COSE signers emit them);
 *   signing always emits low `s`.
 * - X25519 rejects an all-zero shared secret (RFC 7748 §6.1), i.e. low-order peer keys.
 * - P-256 public keys are validated on import (on the curve, not the identity).
 *
 * @returns a {@link CryptoBackend} named `"noble"`
 * @example
 * ```ts
 * import { createNobleBackend } from '@ward/core';
 *
 * const backend = createNobleBackend();
 * const key = backend.generateKey('ChaCha20-Poly1305');
 * const nonce = backend.randomBytes(12);
 * const sealed = backend.aeadEncrypt(key, { nonce, plaintext: new TextEncoder().encode('pm2.5=7') });
 * ```
 */
export function createNobleBackend(): NobleBackend {
  return new NobleBackend();
}

/**
 * The pure-JS {@link CryptoBackend}. Create it with {@link createNobleBackend}. Its methods
 * are synchronous, so its return types are plain values.
 *
 * @example
 * ```ts
 * const backend: NobleBackend = createNobleBackend();
 * const digest: Uint8Array = backend.sha256(new Uint8Array([1, 2, 3])); // no await needed
 * ```
 */
export class NobleBackend implements CryptoBackend {
  readonly version = CRYPTO_BACKEND_VERSION;
  readonly name = 'noble';
  readonly synchronous = true;
  readonly #keys = new KeyHandleRegistry<Uint8Array>('noble');

  randomBytes(length: number): Uint8Array {
    checkRandomLength(length);
    return random(length);
  }

  sha256(data: Uint8Array): Uint8Array {
    assertBytes(data, 'data');
    return sha256(data);
  }

  generateKey<A extends KeyAlgorithm>(algorithm: A, options?: KeyOptions): KeyHandle<A, SecretKindOf<A>> {
    assertAlgorithm(algorithm);
    let raw: Uint8Array;
    if (algorithm === 'ECDSA-P256' || algorithm === 'ECDH-P256') raw = p256.utils.randomSecretKey();
    else raw = random(isAsymmetric(algorithm) ? 32 : generatedSecretLength(algorithm));
    return this.#keys.create(algorithm, generatedKind(algorithm), raw, { extractable: options?.extractable ?? false, size: raw.length });
  }

  importKey<A extends KeyAlgorithm, K extends KeyKind>(algorithm: A, kind: K, raw: Uint8Array, options?: KeyOptions): KeyHandle<A, K> {
    checkRawKey(algorithm, kind, raw);
    let material = raw.slice();
    if (algorithm === 'ECDSA-P256' || algorithm === 'ECDH-P256') {
      try {
        if (kind === 'private') {
          /* SEC1 §3.2.1: a private scalar is in [1, n-1]. */
          if (!p256.utils.isValidSecretKey(material)) throw new Error('scalar out of range');
        } else {
          /* SEC1 §3.2.2.1 public key validation: on the curve, not the identity; stored uncompressed. */
          material = p256.Point.fromBytes(material).toBytes(false);
        }
      } catch (error) {
        throw new KeyError('ERR_KEY_INVALID', `invalid ${algorithm} ${kind} key`, { cause: error });
      }
    } else if (algorithm === 'Ed25519' && kind === 'public') {
      try {
        /* RFC 8032 §5.1.3: a public key must decode to a point (strict, not ZIP-215). */
        ed25519.Point.fromBytes(material, false);
      } catch (error) {
        throw new KeyError('ERR_KEY_INVALID', 'invalid Ed25519 public key', { cause: error });
      }
    }
    return this.#keys.create(algorithm, kind, material, { extractable: options?.extractable ?? false, size: material.length });
  }

  destroyKey(key: KeyHandle): void {
    /* The registry owns its copy of the bytes (importKey copies), so zeroing them is safe. */
    this.#keys.destroy(key, (material) => material.fill(0));
  }

  exportKey(key: KeyHandle): Uint8Array {
    const material = this.#keys.material(key, [key?.algorithm], key?.kind);
    checkExtractable(key);
    return material.slice();
  }

  publicKey<A extends AsymmetricAlgorithm>(key: KeyHandle<A, 'private'>): KeyHandle<A, 'public'> {
    const secret = this.#keys.material(key, ['Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256'], 'private');
    const raw = guarded('public key derivation', () => {
      switch (key.algorithm) {
        case 'Ed25519': return ed25519.getPublicKey(secret);
        case 'X25519': return x25519.getPublicKey(secret);
        default: return p256.getPublicKey(secret, false);
      }
    });
    return this.#keys.create(key.algorithm, 'public', raw, { extractable: true });
  }

  sign(key: SigningKey, data: Uint8Array): Uint8Array {
    const secret = this.#keys.material(key, ['Ed25519', 'ECDSA-P256'], 'private');
    assertBytes(data, 'data');
    return guarded('signing', () =>
      key.algorithm === 'Ed25519'
        ? ed25519.sign(data, secret)
        : /* RFC 6979 deterministic k; low-S so no verifier can reject it (RFC 9053 §2.1 allows either). */
          p256.sign(data, secret, { lowS: true, prehash: true }),
    );
  }

  verify(key: VerifyingKey, data: Uint8Array, signature: Uint8Array): boolean {
    const publicKey = this.#keys.material(key, ['Ed25519', 'ECDSA-P256'], 'public');
    assertBytes(data, 'data');
    assertBytes(signature, 'signature');
    if (signature.length !== SIGNATURE_LENGTH) return false;
    try {
      if (key.algorithm === 'Ed25519') {
        /* RFC 8032 §5.1.7 strict: reject S ≥ L and non-canonical R/A (ZIP-215 would accept them). */
        return ed25519.verify(signature, data, publicKey, { zip215: false });
      }
      /* Accept high-S: COSE (RFC 9053 §2.1) does not require low-S and OpenSSL signers emit it. */
      return p256.verify(signature, data, publicKey, { lowS: false, prehash: true });
    } catch {
      return false;
    }
  }

  deriveSharedSecret(privateKey: AgreementPrivateKey, publicKey: AgreementPublicKey): Uint8Array {
    const secret = this.#keys.material(privateKey, ['X25519', 'ECDH-P256'], 'private');
    const peer = this.#keys.material(publicKey, [privateKey.algorithm], 'public');
    let shared: Uint8Array;
    try {
      shared = privateKey.algorithm === 'X25519'
        ? x25519.getSharedSecret(secret, peer)
        : p256.getSharedSecret(secret, peer, true).subarray(1); // SEC1 §3.3.1: x-coordinate only
    } catch (error) {
      throw new KeyAgreementError(`${privateKey.algorithm} key agreement failed`, { cause: error });
    }
    return checkSharedSecret(privateKey.algorithm, shared);
  }

  hkdfSha256(input: HkdfInput): Uint8Array {
    checkHkdf(input);
    return hkdf(sha256, input.ikm, input.salt, input.info ?? EMPTY, input.length);
  }

  hmacSha256(key: MacKey, data: Uint8Array): Uint8Array {
    const secret = this.#keys.material(key, ['HMAC-SHA256'], 'secret');
    assertBytes(data, 'data');
    return hmac(sha256, secret, data);
  }

  hmacSha256Verify(key: MacKey, data: Uint8Array, tag: Uint8Array): boolean {
    /* Constant-time comparison: a timing difference would leak how many tag bytes matched. */
    return macTagMatches(this.hmacSha256(key, data), tag);
  }

  aeadEncrypt(key: AeadKey, input: AeadEncryptInput): Uint8Array {
    const secret = this.#keys.material(key, ['AES-GCM', 'ChaCha20-Poly1305'], 'secret');
    checkAeadEncryptInput(input);
    return guarded('encryption', () => aead(key, secret, input).encrypt(input.plaintext));
  }

  aeadDecrypt(key: AeadKey, input: AeadDecryptInput): Uint8Array {
    const secret = this.#keys.material(key, ['AES-GCM', 'ChaCha20-Poly1305'], 'secret');
    checkAeadDecryptInput(input);
    try {
      /* The tag is checked before any plaintext is returned (RFC 5116 §2.2: no unauthenticated output). */
      return aead(key, secret, input).decrypt(input.ciphertext);
    } catch (error) {
      throw new DecryptionError({ cause: error });
    }
  }

  wrapKey(kek: WrappingKey, keyData: Uint8Array): Uint8Array {
    const secret = this.#keys.material(kek, ['AES-KW'], 'secret');
    checkWrapInput(keyData);
    return guarded('key wrap', () => aeskw(secret).encrypt(keyData));
  }

  unwrapKey(kek: WrappingKey, wrapped: Uint8Array): Uint8Array {
    const secret = this.#keys.material(kek, ['AES-KW'], 'secret');
    checkUnwrapInput(wrapped);
    try {
      /* RFC 3394 §2.2.3: the unwrapped IV must equal A6A6A6A6A6A6A6A6, else the key data is refused. */
      return aeskw(secret).decrypt(wrapped);
    } catch (error) {
      throw new DecryptionError({ cause: error });
    }
  }
}
