/*
 * Test-only: the published known-answer vectors (FIPS 180-2, RFC 8032 §7.1, RFC 6979 §A.2.5,
 * RFC 7748 §6.1, the GCM spec, RFC 8439 §2.8.2, RFC 3394 §4, RFC 5869 A.1/A.3), run on every
 * backend so that each one is held to the same answers from one copy of the vectors.
 */
import { describe, expect, test } from 'vitest';
import type { CryptoBackend } from '../src/backend/crypto-backend.js';
import { fromHex, toHex } from '../src/bytes.js';

/** P-256 group order n. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function bigIntTo32Bytes(value: bigint): Uint8Array {
  return fromHex(value.toString(16).padStart(64, '0'));
}

/** RFC 6979 §A.2.5, P-256 with SHA-256, message "sample": the key and the RFC's (high-S) signature. */
export const RFC6979_P256_SAMPLE = {
  secret: 'c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721',
  public: '0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299',
  r: 'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716',
  highS: 0xf7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8n,
  /** The signature with s replaced by n − s (low-S), which a low-S signer emits. */
  lowSSignature(): string {
    return this.r + toHex(bigIntTo32Bytes(P256_N - this.highS));
  },
  highSSignature(): string {
    return this.r + toHex(bigIntTo32Bytes(this.highS));
  },
} as const;

/** Runs the known-answer suite on a backend. */
export function runKnownAnswerSuite(name: string, backend: CryptoBackend): void {
  describe(`${name} backend: known answers`, () => {
    test('SHA-256("abc") (FIPS 180-2)', async () => {
      expect(toHex(await backend.sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    });

    test('Ed25519 RFC 8032 §7.1 tests 1 and 2', async () => {
      const vectors = [
        {
          secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
          public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
          message: '',
          signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
        },
        {
          secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
          public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
          message: '72',
          signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
        },
      ];
      for (const v of vectors) {
        const sk = await backend.importKey('Ed25519', 'private', fromHex(v.secret), { extractable: true });
        expect(toHex(await backend.exportKey(sk))).toBe(v.secret);
        expect(toHex(await backend.exportKey(await backend.publicKey(sk)))).toBe(v.public);
        expect(toHex(await backend.sign(sk, fromHex(v.message)))).toBe(v.signature);
        const pk = await backend.importKey('Ed25519', 'public', fromHex(v.public));
        expect(await backend.verify(pk, fromHex(v.message), fromHex(v.signature))).toBe(true);
      }
    });

    test('ECDSA-P256 RFC 6979 §A.2.5 key: the RFC\'s public key; its high-S signature and the low-S twin verify', async () => {
      const v = RFC6979_P256_SAMPLE;
      const pk = await backend.publicKey(await backend.importKey('ECDSA-P256', 'private', fromHex(v.secret)));
      expect(toHex(await backend.exportKey(pk))).toBe(v.public);
      expect(v.highS > P256_N / 2n).toBe(true);
      expect(await backend.verify(pk, utf8('sample'), fromHex(v.highSSignature()))).toBe(true);
      expect(await backend.verify(pk, utf8('sample'), fromHex(v.lowSSignature()))).toBe(true);
      expect(await backend.verify(pk, utf8('sample!'), fromHex(v.highSSignature()))).toBe(false);
    });

    test('X25519 RFC 7748 §6.1', async () => {
      const alice = await backend.importKey('X25519', 'private', fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
      const bob = await backend.importKey('X25519', 'private', fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
      const alicePublic = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
      expect(toHex(await backend.exportKey(await backend.publicKey(alice)))).toBe(alicePublic);
      expect(toHex(await backend.exportKey(await backend.publicKey(bob)))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
      expect(toHex(await backend.deriveSharedSecret(alice, await backend.publicKey(bob)))).toBe(shared);
      expect(toHex(await backend.deriveSharedSecret(bob, await backend.importKey('X25519', 'public', fromHex(alicePublic))))).toBe(shared);
    });

    test('AES-GCM (GCM spec test case 2) and ChaCha20-Poly1305 (RFC 8439 §2.8.2)', async () => {
      const gcmKey = await backend.importKey('AES-GCM', 'secret', new Uint8Array(16));
      expect(toHex(await backend.aeadEncrypt(gcmKey, { nonce: new Uint8Array(12), plaintext: new Uint8Array(16) }))).toBe(
        '0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf',
      );
      const chachaKey = await backend.importKey('ChaCha20-Poly1305', 'secret', fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'));
      const input = {
        nonce: fromHex('070000004041424344454647'),
        aad: fromHex('50515253c0c1c2c3c4c5c6c7'),
        plaintext: utf8("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."),
      };
      const sealed = await backend.aeadEncrypt(chachaKey, input);
      expect(toHex(sealed)).toBe(
        'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116'
        + '1ae10b594f09e26a7e902ecbd0600691',
      );
      expect(await backend.aeadDecrypt(chachaKey, { nonce: input.nonce, aad: input.aad, ciphertext: sealed })).toEqual(input.plaintext);
    });

    test('AES-KW RFC 3394 §4.1, §4.2, §4.6', async () => {
      const vectors = [
        { kek: '000102030405060708090a0b0c0d0e0f', data: '00112233445566778899aabbccddeeff', wrapped: '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5' },
        { kek: '000102030405060708090a0b0c0d0e0f1011121314151617', data: '00112233445566778899aabbccddeeff', wrapped: '96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d' },
        {
          kek: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
          data: '00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f',
          wrapped: '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21',
        },
      ];
      for (const v of vectors) {
        const kek = await backend.importKey('AES-KW', 'secret', fromHex(v.kek));
        expect(toHex(await backend.wrapKey(kek, fromHex(v.data)))).toBe(v.wrapped);
        expect(toHex(await backend.unwrapKey(kek, fromHex(v.wrapped)))).toBe(v.data);
      }
    });

    test('HKDF-SHA-256 RFC 5869 A.1 and A.3; absent, empty and 32-zero-byte salts agree (RFC 5869 §2.2)', async () => {
      const ikm = new Uint8Array(22).fill(0x0b);
      const a1 = await backend.hkdfSha256({ ikm, salt: fromHex('000102030405060708090a0b0c'), info: fromHex('f0f1f2f3f4f5f6f7f8f9'), length: 42 });
      expect(toHex(a1)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
      const a3 = '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8';
      expect(toHex(await backend.hkdfSha256({ ikm, length: 42 }))).toBe(a3);
      expect(toHex(await backend.hkdfSha256({ ikm, salt: new Uint8Array(0), length: 42 }))).toBe(a3);
      expect(toHex(await backend.hkdfSha256({ ikm, salt: new Uint8Array(32), info: new Uint8Array(0), length: 42 }))).toBe(a3);
    });
  });
}
