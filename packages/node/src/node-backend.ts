/*
 * The node:crypto backend: every primitive from OpenSSL through Node's synchronous API, with
 * the noble backend's semantics. Keys are parsed once, on import, into KeyObjects that the
 * handle registry keeps; raw keys are imported through JWK, node's cheapest parser (an Ed25519
 * public key takes ~7 µs from JWK against ~95 µs from SPKI DER).
 *
 * Where OpenSSL and noble differ, this file makes OpenSSL agree:
 * - Ed25519 public keys: OpenSSL reduces y mod p and ignores the sign bit of x = 0, and
 *   accepts small-order keys (for which R = identity, S = 0 verifies every message). Import
 *   rejects the first two and verify refuses the third, as noble's strict mode does. (Node 24's
 *   verify refuses small-order A and R itself; Node 20's does not, so the checks stay.)
 * - ECDSA-P256: OpenSSL emits high s half the time; sign normalises to low s.
 * - HKDF: OpenSSL 3.0 caps `info` at 1024 bytes; HKDF is built on HMAC here instead.
 *
 * Differences node:crypto cannot remove (pinned or noted in the tests):
 * - Ed25519 verification is cofactorless in OpenSSL and cofactored in noble: a signature whose
 *   R or A has a small-order component (only its signer can make one) may verify in noble only.
 * - An Ed25519 public key whose y has no x imports here (noble refuses it); it verifies nothing.
 * - ECDSA draws k at random (noble: RFC 6979), so signatures are valid but not noble's bytes.
 */
import {
  ECDH, createCipheriv, createDecipheriv, createECDH, createHash, createHmac, createPrivateKey, createPublicKey,
  createSecretKey, diffieHellman, randomFillSync, sign as opensslSign, verify as opensslVerify,
} from 'node:crypto';
import type { CipherGCMTypes, JsonWebKey, KeyObject, PrivateKeyInput } from 'node:crypto';
import { KeyError } from '@ward/core';
import { DecryptionError, KeyAgreementError } from '@ward/core/errors';
import { CRYPTO_BACKEND_VERSION } from '@ward/core/backend-kit';
import type {
  AeadDecryptInput, AeadEncryptInput, AeadKey, AgreementPrivateKey, AgreementPublicKey,
  AsymmetricAlgorithm, CryptoBackend, HkdfInput, KeyAlgorithm, KeyHandle, KeyKind, KeyOptions, MacKey, SecretKindOf,
  SigningKey, VerifyingKey, WrappingKey,
} from '@ward/core';
import {
  AEAD_TAG_LENGTH, KeyHandleRegistry, SIGNATURE_LENGTH, assertAlgorithm, assertBytes, checkAeadDecryptInput,
  checkAeadEncryptInput, checkExtractable, checkHkdf, checkRandomLength, checkRawKey, checkSharedSecret, checkUnwrapInput,
  checkWrapInput, generatedKind, generatedSecretLength, guarded, isAsymmetric, macTagMatches, toHex,
} from '@ward/core/backend-kit';

const EMPTY = new Uint8Array(0);
const SHA256_LENGTH = 32;
const AEAD_OPTIONS = { authTagLength: AEAD_TAG_LENGTH } as const;

/** OpenSSL cipher names by AES key length in bytes (a handle's `size`, checked on import). */
const AES_GCM = { 16: 'aes-128-gcm', 24: 'aes-192-gcm', 32: 'aes-256-gcm' } as const;
const AES_KW = { 16: 'id-aes128-wrap', 24: 'id-aes192-wrap', 32: 'id-aes256-wrap' } as const;
type AesKeyLength = keyof typeof AES_GCM;
/** RFC 3394 §2.2.3.1 default initial value. */
const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** P-256 group order n and ⌊n/2⌋, big-endian (SEC 2 §2.4.2). */
const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
const P256_HALF_N = Buffer.from('7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8', 'hex');

/** The two Ed25519 encodings of x = 0 with the sign bit set: y = 1 and y = p − 1 (RFC 8032 §5.1.3 step 4). */
const ED25519_NEGATIVE_ZERO_X = new Set([
  '0100000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
]);
/** Canonical encodings of the eight Ed25519 points of small order (the torsion subgroup). */
const ED25519_SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
]);

/**
 * `buf` as a plain Uint8Array (a Buffer's `slice()` shares memory, a Uint8Array's copies). A
 * view when the Buffer owns its whole ArrayBuffer, as node:crypto's outputs do; a copy when it
 * is a slice of node's shared pool, so no caller reaches other data through `.buffer`.
 */
function plain(buf: Buffer): Uint8Array {
  return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength
    ? new Uint8Array(buf.buffer, 0, buf.byteLength)
    : new Uint8Array(buf);
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes a JWK member of exactly `length` bytes into `out` at `offset` (never into node's shared pool). */
function decodeJwkMember(text: string | undefined, length: number, out: Uint8Array, offset = 0): Uint8Array {
  if (text === undefined || Buffer.byteLength(text, 'base64url') !== length) throw new Error('unexpected JWK member');
  Buffer.from(out.buffer, out.byteOffset + offset, length).write(text, 'base64url');
  return out;
}

/**
 * RFC 8032 §5.1.3 checks OpenSSL skips when it decodes an Ed25519 public key: it reduces y mod p
 * where step 1 rejects y ≥ p, and ignores the sign bit of x = 0 where step 4 rejects it.
 * Returns whether the point has small order.
 */
function checkEd25519PublicKey(raw: Uint8Array): boolean {
  /* y ≥ p = 2^255 − 19 exactly when bits 8..254 are all ones and the low byte is ≥ 0xed. */
  let yBelowP = (raw[31]! & 0x7f) !== 0x7f || raw[0]! < 0xed;
  for (let i = 1; i < 31 && !yBelowP; i++) yBelowP = raw[i] !== 0xff;
  const encoding = toHex(raw);
  if (!yBelowP || ED25519_NEGATIVE_ZERO_X.has(encoding)) throw new KeyError('ERR_KEY_INVALID', 'invalid Ed25519 public key');
  return ED25519_SMALL_ORDER.has(encoding);
}

/** The JWK for a raw P-256 key; node validates the point (on the curve, coordinates < p) on import. */
function p256Jwk(kind: 'private' | 'public', raw: Uint8Array): JsonWebKey {
  let point: Uint8Array;
  if (kind === 'private') {
    const ecdh = createECDH('prime256v1');
    /* SEC1 §3.2.1: node refuses a scalar outside [1, n-1]. */
    ecdh.setPrivateKey(raw);
    point = ecdh.getPublicKey();
  } else {
    point = raw.length === 65 ? raw : (ECDH.convertKey(raw, 'prime256v1', undefined, undefined, 'uncompressed') as Buffer);
  }
  const jwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: base64url(point.subarray(1, 33)), y: base64url(point.subarray(33)) };
  if (kind === 'private') jwk.d = base64url(raw);
  return jwk;
}

type OkpAlgorithm = 'Ed25519' | 'X25519';

/** RFC 8410 §7 OneAsymmetricKey (PKCS#8) header of a 32-byte OKP private key, by algorithm (OID 1.3.101.112, .110). */
const OKP_PKCS8_PREFIX: Record<OkpAlgorithm, string> = {
  Ed25519: '302e020100300506032b657004220420',
  X25519: '302e020100300506032b656e04220420',
};

/**
 * The ways to import a raw Ed25519/X25519 private key, fastest first; the first one the running
 * Node accepts is used from then on (okpPrivateImport). Every 32-byte string is a valid OKP
 * private key, so a refusal means the Node lacks the way, not that the key is bad.
 * - `raw-private` (Node 24; not in Node 20 or 22.22): the bytes as they are.
 * - JWK with `x: ''`: Node 20 and 22 derive the public key from `d` and only type-check `x`;
 *   Node 24 compares `x` with the derived key and refuses this JWK (ERR_CRYPTO_INVALID_JWK).
 * - PKCS#8 DER: every Node, the slowest (about 20× the JWK on Node 20's OpenSSL 3.0 decoder).
 */
export const OKP_PRIVATE_IMPORTS: readonly ((algorithm: OkpAlgorithm, raw: Uint8Array) => KeyObject)[] = [
  (algorithm, raw) => createPrivateKey({
    key: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), format: 'raw-private', asymmetricKeyType: algorithm.toLowerCase(),
    /* @types/node 20 does not know the raw formats (Node 24); the cast names the one option object it lacks. */
  } as unknown as PrivateKeyInput),
  (algorithm, raw) => createPrivateKey({ key: { kty: 'OKP', crv: algorithm, d: base64url(raw), x: '' }, format: 'jwk' }),
  (algorithm, raw) => {
    const der = new Uint8Array(16 + raw.length);
    der.set(Buffer.from(OKP_PKCS8_PREFIX[algorithm], 'hex'));
    der.set(raw, 16);
    try {
      return createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
    } finally {
      der.fill(0);
    }
  },
];
let okpPrivateImport: number | undefined;

function importOkpPrivate(algorithm: OkpAlgorithm, raw: Uint8Array): KeyObject {
  if (okpPrivateImport !== undefined) return OKP_PRIVATE_IMPORTS[okpPrivateImport]!(algorithm, raw);
  for (let i = 0; ; i++) {
    try {
      const key = OKP_PRIVATE_IMPORTS[i]!(algorithm, raw);
      okpPrivateImport = i;
      return key;
    } catch (error) {
      if (i === OKP_PRIVATE_IMPORTS.length - 1) throw error;
    }
  }
}

/** Parses raw asymmetric key material (see `RawKeyFormat`); throws `ERR_KEY_INVALID`. */
function parseAsymmetric(algorithm: AsymmetricAlgorithm, kind: 'private' | 'public', raw: Uint8Array): KeyObject {
  try {
    if (algorithm === 'ECDSA-P256' || algorithm === 'ECDH-P256') {
      const jwk = p256Jwk(kind, raw);
      return kind === 'private' ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: jwk, format: 'jwk' });
    }
    if (kind === 'private') return importOkpPrivate(algorithm, raw);
    return createPublicKey({ key: { kty: 'OKP', crv: algorithm, x: base64url(raw) }, format: 'jwk' });
  } catch (error) {
    throw new KeyError('ERR_KEY_INVALID', `invalid ${algorithm} ${kind} key`, { cause: error });
  }
}

/**
 * A fresh private key, or a secret key of `size` bytes, always from CSPRNG bytes imported like
 * any raw key. Not generateKeyPairSync: on Node 20, exporting a key derived from a
 * generateKeyPairSync job can deadlock the process (the GC finalises the KeyGenJob, which waits
 * on the key's mutex that the export holds); keys that never had a job cannot.
 */
function generate(algorithm: KeyAlgorithm, size: number): KeyObject {
  if (!isAsymmetric(algorithm)) {
    const raw = randomFillSync(new Uint8Array(size));
    try {
      return createSecretKey(raw);
    } finally {
      raw.fill(0);
    }
  }
  for (;;) {
    const raw = randomFillSync(new Uint8Array(32));
    try {
      return parseAsymmetric(algorithm as AsymmetricAlgorithm, 'private', raw);
    } catch (error) {
      /* P-256 only: a scalar outside [1, n-1] (probability < 2^-32) is redrawn (FIPS 186-5 A.4.2). */
      if (!(algorithm === 'ECDSA-P256' || algorithm === 'ECDH-P256') || !KeyError.isInstance(error)) throw error;
    } finally {
      raw.fill(0);
    }
  }
}

/** The raw form (see `RawKeyFormat`) of a key. */
function exportRaw(algorithm: KeyAlgorithm, kind: KeyKind, key: KeyObject): Uint8Array {
  if (kind === 'secret') return plain(key.export());
  const jwk = key.export({ format: 'jwk' });
  if (kind === 'private') return decodeJwkMember(jwk.d, 32, new Uint8Array(32));
  if (algorithm === 'Ed25519' || algorithm === 'X25519') return decodeJwkMember(jwk.x, 32, new Uint8Array(32));
  const point = new Uint8Array(65);
  point[0] = 0x04; // SEC1 §2.3.3 uncompressed
  decodeJwkMember(jwk.x, 32, point, 1);
  return decodeJwkMember(jwk.y, 32, point, 33);
}

/**
 * ECDSA (r, s) and (r, n − s) are both valid: make `signature` low-S in place, so that every
 * signature verifies under low-S-only verifiers and matches noble's output convention.
 */
function normaliseLowS(signature: Uint8Array): void {
  const s = signature.subarray(32);
  if (Buffer.compare(s, P256_HALF_N) <= 0) return;
  let borrow = 0;
  for (let i = 31; i >= 0; i--) {
    const difference = P256_N[i]! - s[i]! - borrow;
    s[i] = difference & 0xff;
    borrow = difference < 0 ? 1 : 0;
  }
}

/**
 * HKDF-SHA-256 (RFC 5869 §2.2 extract, §2.3 expand) on node's HMAC. Not `hkdfSync`: OpenSSL 3.0
 * refuses an `info` over 1024 bytes, which noble (and the RFC) allow; this is also faster for
 * the short outputs COSE derives.
 */
function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const okm = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let block: Uint8Array = EMPTY;
  for (let offset = 0; offset < length; offset += SHA256_LENGTH) {
    counter[0]!++;
    block = createHmac('sha256', prk).update(block).update(info).update(counter).digest();
    okm.set(block.subarray(0, length - offset), offset);
  }
  prk.fill(0);
  block.fill(0);
  return okm;
}

/**
 * The OpenSSL cipher name of an AEAD key; AES-GCM by the key's size. Typed as a GCM name so
 * that `createCipheriv` returns a cipher with `setAAD`/`getAuthTag`: ChaCha20-Poly1305's
 * cipher has the same methods, with the same tag length (AEAD_OPTIONS).
 */
function aeadName(key: AeadKey): CipherGCMTypes {
  return key.algorithm === 'AES-GCM' ? AES_GCM[key.size as AesKeyLength] : ('chacha20-poly1305' as CipherGCMTypes);
}

/**
 * Creates the `node:crypto` backend: OpenSSL through Node's synchronous API, with the noble
 * backend's semantics and edge-case decisions, and parsed keys cached in their handles. Every
 * method is synchronous.
 *
 * @returns a {@link CryptoBackend} named `"node"`
 * @example
 * ```ts
 * import { createNodeBackend } from '@ward/node';
 *
 * const backend = createNodeBackend();
 * const key = backend.generateKey('AES-GCM');
 * const nonce = backend.randomBytes(12);
 * const sealed = backend.aeadEncrypt(key, { nonce, plaintext: new TextEncoder().encode('pm2.5=7') });
 * ```
 */
export function createNodeBackend(): NodeBackend {
  return new NodeBackend();
}

/** Size of the random pool, and the largest request served from it. */
const RANDOM_POOL_SIZE = 4096;
const RANDOM_POOL_MAX_REQUEST = 64;

/**
 * The `node:crypto` {@link CryptoBackend}. Create it with {@link createNodeBackend}. Its methods
 * are synchronous, so its return types are plain values; TypeDoc copies their documentation
 * from {@link CryptoBackend}. Its handles are foreign to every other backend instance, so keys
 * move between backends as raw bytes (`exportKey`/`importKey`).
 *
 * @example
 * ```ts
 * import { createNodeBackend } from '@ward/node';
 *
 * const backend = createNodeBackend();
 * const signingKey = backend.generateKey('Ed25519');
 * const message = new TextEncoder().encode('footfall=42');
 * const signature = backend.sign(signingKey, message);
 * console.log(backend.verify(backend.publicKey(signingKey), message, signature)); // true
 * ```
 */
export class NodeBackend implements CryptoBackend {
  readonly version = CRYPTO_BACKEND_VERSION;
  readonly name = 'node';
  readonly synchronous = true;
  readonly #keys = new KeyHandleRegistry<KeyObject>('node');
  /** Ed25519 public keys of small order, which `verify` refuses. */
  readonly #smallOrder = new WeakSet<KeyHandle>();

  /*
   * Small requests (nonces, ids: 12 and 16 bytes on every seal) are served from a pool that
   * one randomFillSync call refills 4 KiB at a time: each call into OpenSSL costs ~3 µs, a
   * copy out of the pool ~0.1 µs. Every pool byte is handed out once and zeroed as it goes.
   */
  #pool = new Uint8Array(0);
  #poolOffset = 0;

  randomBytes(length: number): Uint8Array {
    checkRandomLength(length);
    if (length > RANDOM_POOL_MAX_REQUEST) return guarded('random generation', () => randomFillSync(new Uint8Array(length)));
    if (this.#poolOffset + length > this.#pool.length) {
      this.#pool = guarded('random generation', () => randomFillSync(new Uint8Array(RANDOM_POOL_SIZE)));
      this.#poolOffset = 0;
    }
    const start = this.#poolOffset;
    this.#poolOffset += length;
    const out = this.#pool.slice(start, this.#poolOffset);
    this.#pool.fill(0, start, this.#poolOffset);
    return out;
  }

  sha256(data: Uint8Array): Uint8Array {
    assertBytes(data, 'data');
    return guarded('SHA-256', () => plain(createHash('sha256').update(data).digest()));
  }

  generateKey<A extends KeyAlgorithm>(algorithm: A, options?: KeyOptions): KeyHandle<A, SecretKindOf<A>> {
    assertAlgorithm(algorithm);
    const size = generatedSecretLength(algorithm);
    const key = guarded('key generation', () => generate(algorithm, size));
    return this.#keys.create(algorithm, generatedKind(algorithm), key, { extractable: options?.extractable ?? false, size });
  }

  importKey<A extends KeyAlgorithm, K extends KeyKind>(algorithm: A, kind: K, raw: Uint8Array, options?: KeyOptions): KeyHandle<A, K> {
    checkRawKey(algorithm, kind, raw);
    const smallOrder = algorithm === 'Ed25519' && kind === 'public' && checkEd25519PublicKey(raw);
    const key = kind === 'secret'
      ? guarded('key import', () => createSecretKey(raw))
      : parseAsymmetric(algorithm as AsymmetricAlgorithm, kind as 'private' | 'public', raw);
    const handle = this.#keys.create(algorithm, kind, key, { extractable: options?.extractable ?? false, size: raw.length });
    if (smallOrder) this.#smallOrder.add(handle);
    return handle;
  }

  destroyKey(key: KeyHandle): void {
    /* A KeyObject's memory cannot be overwritten from JavaScript: drop the only reference. */
    this.#keys.destroy(key);
    this.#smallOrder.delete(key);
  }

  exportKey(key: KeyHandle): Uint8Array {
    const material = this.#keys.material(key, [key?.algorithm], key?.kind);
    checkExtractable(key);
    return guarded('key export', () => exportRaw(key.algorithm, key.kind, material));
  }

  publicKey<A extends AsymmetricAlgorithm>(key: KeyHandle<A, 'private'>): KeyHandle<A, 'public'> {
    const material = this.#keys.material(key, ['Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256'], 'private');
    /* Never of small order: it is [a]B for a scalar a, in the prime-order subgroup. */
    const publicKey = guarded('public key derivation', () => createPublicKey(material));
    return this.#keys.create(key.algorithm, 'public', publicKey, { extractable: true });
  }

  sign(key: SigningKey, data: Uint8Array): Uint8Array {
    const material = this.#keys.material(key, ['Ed25519', 'ECDSA-P256'], 'private');
    assertBytes(data, 'data');
    return guarded('signing', () => {
      if (key.algorithm === 'Ed25519') return plain(opensslSign(null, data, material));
      const signature = plain(opensslSign('sha256', data, { key: material, dsaEncoding: 'ieee-p1363' }));
      /* Low-S so no verifier can reject it (RFC 9053 §2.1 allows either). */
      normaliseLowS(signature);
      return signature;
    });
  }

  verify(key: VerifyingKey, data: Uint8Array, signature: Uint8Array): boolean {
    const material = this.#keys.material(key, ['Ed25519', 'ECDSA-P256'], 'public');
    assertBytes(data, 'data');
    assertBytes(signature, 'signature');
    if (signature.length !== SIGNATURE_LENGTH) return false;
    try {
      if (key.algorithm === 'Ed25519') {
        /*
         * RFC 8032 §5.1.7 strict: OpenSSL rejects S ≥ L and, comparing R's encoding with the one it
         * recomputes, any non-canonical R; import rejected a non-canonical A. A small-order A
         * would let R = identity, S = 0 verify every message: refuse it (noble's strict mode).
         */
        if (this.#smallOrder.has(key)) return false;
        return opensslVerify(null, data, material, signature);
      }
      /* Accept high-S: COSE (RFC 9053 §2.1) does not require low-S. */
      return opensslVerify('sha256', data, { key: material, dsaEncoding: 'ieee-p1363' }, signature);
    } catch {
      return false;
    }
  }

  deriveSharedSecret(privateKey: AgreementPrivateKey, publicKey: AgreementPublicKey): Uint8Array {
    const mine = this.#keys.material(privateKey, ['X25519', 'ECDH-P256'], 'private');
    const peer = this.#keys.material(publicKey, [privateKey.algorithm], 'public');
    let shared: Uint8Array;
    try {
      /* P-256: OpenSSL returns the x-coordinate only (SEC1 §3.3.1). */
      shared = plain(diffieHellman({ privateKey: mine, publicKey: peer }));
    } catch (error) {
      throw new KeyAgreementError(`${privateKey.algorithm} key agreement failed`, { cause: error });
    }
    /* OpenSSL already fails low-order X25519 peers; checked here so the contract does not rest on that. */
    return checkSharedSecret(privateKey.algorithm, shared);
  }

  hkdfSha256(input: HkdfInput): Uint8Array {
    checkHkdf(input);
    /* RFC 5869 §2.2: an absent salt is 32 zero bytes, which HMAC pads exactly like an empty key. */
    return guarded('HKDF', () => hkdf(input.ikm, input.salt ?? EMPTY, input.info ?? EMPTY, input.length));
  }

  hmacSha256(key: MacKey, data: Uint8Array): Uint8Array {
    const material = this.#keys.material(key, ['HMAC-SHA256'], 'secret');
    assertBytes(data, 'data');
    return guarded('HMAC', () => plain(createHmac('sha256', material).update(data).digest()));
  }

  hmacSha256Verify(key: MacKey, data: Uint8Array, tag: Uint8Array): boolean {
    /* Constant-time comparison: a timing difference would leak how many tag bytes matched. */
    return macTagMatches(this.hmacSha256(key, data), tag);
  }

  aeadEncrypt(key: AeadKey, input: AeadEncryptInput): Uint8Array {
    const material = this.#keys.material(key, ['AES-GCM', 'ChaCha20-Poly1305'], 'secret');
    checkAeadEncryptInput(input);
    return guarded('encryption', () => {
      const cipher = createCipheriv(aeadName(key), material, input.nonce, AEAD_OPTIONS);
      if (input.aad !== undefined) cipher.setAAD(input.aad);
      const body = cipher.update(input.plaintext);
      cipher.final(); // a stream mode: final() only computes the tag
      const sealed = new Uint8Array(body.length + AEAD_TAG_LENGTH);
      sealed.set(body);
      sealed.set(cipher.getAuthTag(), body.length);
      return sealed;
    });
  }

  aeadDecrypt(key: AeadKey, input: AeadDecryptInput): Uint8Array {
    const material = this.#keys.material(key, ['AES-GCM', 'ChaCha20-Poly1305'], 'secret');
    checkAeadDecryptInput(input);
    const { ciphertext } = input;
    /* RFC 5116 §5.1, RFC 8439 §2.8: the 16-byte tag ends the ciphertext; a shorter input cannot authenticate. */
    if (ciphertext.length < AEAD_TAG_LENGTH) throw new DecryptionError();
    const tagStart = ciphertext.length - AEAD_TAG_LENGTH;
    let plaintext: Buffer | undefined;
    try {
      const decipher = createDecipheriv(aeadName(key), material, input.nonce, AEAD_OPTIONS);
      decipher.setAuthTag(ciphertext.subarray(tagStart));
      if (input.aad !== undefined) decipher.setAAD(input.aad);
      plaintext = decipher.update(ciphertext.subarray(0, tagStart));
      decipher.final(); // throws unless the tag verifies
    } catch (error) {
      /* Release nothing: OpenSSL decrypts before it checks the tag, so wipe what it decrypted. */
      plaintext?.fill(0);
      throw new DecryptionError({ cause: error });
    }
    return plain(plaintext);
  }

  wrapKey(kek: WrappingKey, keyData: Uint8Array): Uint8Array {
    const material = this.#keys.material(kek, ['AES-KW'], 'secret');
    checkWrapInput(keyData);
    return guarded('key wrap', () => {
      const cipher = createCipheriv(AES_KW[kek.size as AesKeyLength], material, AES_KW_IV);
      const wrapped = cipher.update(keyData);
      cipher.final(); // wrap mode emits everything from update()
      return plain(wrapped);
    });
  }

  unwrapKey(kek: WrappingKey, wrapped: Uint8Array): Uint8Array {
    const material = this.#keys.material(kek, ['AES-KW'], 'secret');
    checkUnwrapInput(wrapped);
    try {
      const decipher = createDecipheriv(AES_KW[kek.size as AesKeyLength], material, AES_KW_IV);
      const keyData = decipher.update(wrapped); // throws on an integrity failure (RFC 3394 §2.2.3)
      decipher.final();
      return plain(keyData);
    } catch (error) {
      throw new DecryptionError({ cause: error });
    }
  }
}
