/*
 * COSE_Key for every key Ward handles (RFC 9052 §7, RFC 9053 §7) and the RFC 9679 thumbprint:
 * the RFC's own example, encode/decode and handle round trips for every backend algorithm,
 * thumbprint invariance (private/public, kid/alg/key_ops, map order), strict decoding and
 * import errors, a fast-check round trip, and redaction of d and k.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyAlgorithm } from '../backend/crypto-backend.js';
import { encodeCbor, type CborValue } from '../cbor/index.js';
import { CoseKeyLabel as L } from '../cose/cose-key.js';
import { BACKENDS, expectWardError, fromHex, toHex } from '../../test-kit/cose-vectors.js';
import type { CoseKey } from '../cose/cose-key.js';
import { coseKeyFromHandle, coseKeyThumbprint, createCoseKey, decodeCoseKey, encodeCoseKey, importCoseKey } from './cose-key.js';

const m = (...entries: [CborValue, CborValue][]): Map<CborValue, CborValue> => new Map(entries);
const bytes = (length: number, fill = 7): Uint8Array => new Uint8Array(length).fill(fill);

/* RFC 9679 §6: an EC2 P-256 public key, its canonical required-parameter form and thumbprint. */
const RFC_X = '65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d';
const RFC_Y = '1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c';
const RFC_THUMBPRINT = '496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec';
const RFC_CANONICAL = `a401022001215820${RFC_X}225820${RFC_Y}`;

const ALL_ALGORITHMS: readonly KeyAlgorithm[] = [
  'Ed25519', 'ECDSA-P256', 'X25519', 'ECDH-P256', 'AES-GCM', 'ChaCha20-Poly1305', 'AES-KW', 'HMAC-SHA256',
];

for (const { name, create } of BACKENDS) {
  describe(`COSE_Key [${name}]`, () => {
    const backend = create();

    it('reproduces the RFC 9679 §6 example thumbprint exactly', async () => {
      const withKid = fromHex(`a501022001215820${RFC_X}225820${RFC_Y}025820${RFC_THUMBPRINT}`);
      const key = decodeCoseKey(withKid, { publicOnly: true });
      expect(key.kty).toBe(2);
      expect(toHex(key.kid ?? new Uint8Array())).toBe(RFC_THUMBPRINT);
      expect(toHex(await coseKeyThumbprint(key, backend))).toBe(RFC_THUMBPRINT);
      /* The canonical input of §6 is the encoding of the required parameters alone. */
      expect(toHex(encodeCoseKey({ kty: 2, crv: 1, x: fromHex(RFC_X), y: fromHex(RFC_Y) }))).toBe(RFC_CANONICAL);
      expect(toHex(await backend.sha256(fromHex(RFC_CANONICAL)))).toBe(RFC_THUMBPRINT);
      /* And the key imports as a valid P-256 point once the caller says what it is for. */
      const handle = await importCoseKey(backend, key, { as: 'ECDSA-P256' });
      expect(handle.kind).toBe('public');
    });

    for (const algorithm of ALL_ALGORITHMS) {
      it(`${algorithm}: handle → COSE_Key → CBOR → COSE_Key → handle round trips`, async () => {
        const secret = await backend.generateKey(algorithm, { extractable: true });
        const cose = await coseKeyFromHandle(backend, secret);
        const decoded = decodeCoseKey(encodeCoseKey(cose));
        expect(toHex(encodeCoseKey(decoded))).toBe(toHex(encodeCoseKey(cose)));
        const asHint = algorithm === 'ECDH-P256' ? { as: 'ECDH-P256' as const } : {};
        const back = await importCoseKey(backend, decoded, { ...asHint, extractable: true });
        expect(back.algorithm).toBe(algorithm);
        expect(back.kind).toBe(secret.kind);
        expect(toHex(await backend.exportKey(back))).toBe(toHex(await backend.exportKey(secret)));

        if (secret.kind === 'private') {
          const pub = await backend.publicKey(secret as never);
          const publicCose = await coseKeyFromHandle(backend, pub);
          expect('d' in publicCose).toBe(false);
          const publicBack = await importCoseKey(backend, decodeCoseKey(encodeCoseKey(publicCose), { publicOnly: true }), asHint);
          expect(publicBack.kind).toBe('public');
          expect(toHex(await backend.exportKey(publicBack))).toBe(toHex(await backend.exportKey(pub)));
          /* The thumbprint of a private key is that of its public key. */
          expect(toHex(await coseKeyThumbprint(cose, backend))).toBe(toHex(await coseKeyThumbprint(publicCose, backend)));
        }
      });
    }

    it('records the alg a handle implies, none for ECDH keys, and validates a given alg', async () => {
      const cases: [KeyAlgorithm, number | undefined][] = [
        ['Ed25519', -8], ['ECDSA-P256', -7], ['X25519', undefined], ['ECDH-P256', undefined],
        ['AES-GCM', 3], ['ChaCha20-Poly1305', 24], ['AES-KW', -5], ['HMAC-SHA256', 5],
      ];
      for (const [algorithm, alg] of cases) {
        const key = await backend.generateKey(algorithm, { extractable: true });
        expect((await coseKeyFromHandle(backend, key)).alg).toBe(alg);
        expect((await coseKeyFromHandle(backend, key, { alg: null })).alg).toBeUndefined();
      }
      const aes128 = await backend.importKey('AES-GCM', 'secret', bytes(16), { extractable: true });
      expect((await coseKeyFromHandle(backend, aes128)).alg).toBe(1);
      await expectWardError(() => coseKeyFromHandle(backend, aes128, { alg: 3 }), 'ERR_COSE_ALGORITHM_MISMATCH');
      const ecdh = await backend.generateKey('ECDH-P256', { extractable: true });
      expect((await coseKeyFromHandle(backend, ecdh, { alg: -29 })).alg).toBe(-29);
      await expectWardError(() => coseKeyFromHandle(backend, ecdh, { alg: -7 }), 'ERR_COSE_ALGORITHM_MISMATCH');
    });

    it('refuses to export a non-extractable private or secret key', async () => {
      for (const algorithm of ['Ed25519', 'ECDH-P256', 'AES-GCM'] as const) {
        const key = await backend.generateKey(algorithm);
        await expectWardError(() => coseKeyFromHandle(backend, key), 'ERR_KEY_NOT_EXTRACTABLE');
      }
      /* Its public key is always available. */
      const pub = await backend.publicKey(await backend.generateKey('Ed25519'));
      expect((await coseKeyFromHandle(backend, pub)).kty).toBe(1);
    });

    it('thumbprint ignores kid, alg, key_ops and the order of the map', async () => {
      const handle = await backend.generateKey('ECDSA-P256', { extractable: true });
      const plain = await coseKeyFromHandle(backend, await backend.publicKey(handle), { alg: null });
      const expected = toHex(await coseKeyThumbprint(plain, backend));
      const decorated = createCoseKey({ ...plain, kid: bytes(5), alg: -7, keyOps: [2] });
      expect(toHex(await coseKeyThumbprint(decorated, backend))).toBe(expected);
      if (plain.kty !== 2) throw new Error('unreachable');
      /* Hand-built, non-deterministic order: -3, -2, 2, -1, 1. */
      const shuffled = new Uint8Array([
        0xa5, 0x22, 0x58, 0x20, ...plain.y, 0x21, 0x58, 0x20, ...plain.x, 0x02, 0x41, 0x09, 0x20, 0x01, 0x01, 0x02,
      ]);
      const decoded = decodeCoseKey(shuffled);
      expect(toHex(await coseKeyThumbprint(decoded, backend))).toBe(expected);
      await expectWardError(() => decodeCoseKey(shuffled, { requireDeterministic: true }), 'ERR_CBOR_MALFORMED');
    });

    it('symmetric thumbprint covers kty and k only', async () => {
      const k = bytes(32, 0x42);
      const expected = toHex(await backend.sha256(encodeCbor(m([1, 4], [-1, k]))));
      expect(toHex(await coseKeyThumbprint({ kty: 4, k }, backend))).toBe(expected);
      expect(toHex(await coseKeyThumbprint({ kty: 4, k, alg: 24, kid: bytes(3) }, backend))).toBe(expected);
    });

    it('import checks alg against the key: kty, size, purpose and the "as" hint', async () => {
      const ec2 = await coseKeyFromHandle(backend, await backend.publicKey(await backend.generateKey('ECDSA-P256')), { alg: null });
      await expectWardError(() => importCoseKey(backend, ec2), 'ERR_INVALID_ARGUMENT');
      expect((await importCoseKey(backend, ec2, { as: 'ECDH-P256' })).algorithm).toBe('ECDH-P256');
      expect((await importCoseKey(backend, createCoseKey({ ...ec2, alg: -7 }))).algorithm).toBe('ECDSA-P256');
      expect((await importCoseKey(backend, createCoseKey({ ...ec2, alg: -31 }))).algorithm).toBe('ECDH-P256');
      await expectWardError(() => importCoseKey(backend, createCoseKey({ ...ec2, alg: -7 }), { as: 'ECDH-P256' }), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, createCoseKey({ ...ec2, alg: 3 })), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, createCoseKey({ ...ec2, alg: -999 })), 'ERR_UNSUPPORTED_ALGORITHM');
      await expectWardError(() => importCoseKey(backend, ec2, { as: 'Ed25519' }), 'ERR_COSE_ALGORITHM_MISMATCH');

      const ed = await coseKeyFromHandle(backend, await backend.publicKey(await backend.generateKey('Ed25519')));
      await expectWardError(() => importCoseKey(backend, createCoseKey({ ...ed, alg: -7 })), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, ed, { as: 'X25519' }), 'ERR_COSE_ALGORITHM_MISMATCH');
      const x = await coseKeyFromHandle(backend, await backend.publicKey(await backend.generateKey('X25519')));
      expect((await importCoseKey(backend, x)).algorithm).toBe('X25519');
      await expectWardError(() => importCoseKey(backend, createCoseKey({ ...x, alg: -8 })), 'ERR_COSE_ALGORITHM_MISMATCH');

      const sym = (length: number, alg?: number): CoseKey => createCoseKey({ kty: 4, k: bytes(length), ...(alg === undefined ? {} : { alg }) });
      expect((await importCoseKey(backend, sym(16, 1))).algorithm).toBe('AES-GCM');
      expect((await importCoseKey(backend, sym(24, 2))).size).toBe(24);
      expect((await importCoseKey(backend, sym(32, 24))).algorithm).toBe('ChaCha20-Poly1305');
      expect((await importCoseKey(backend, sym(16, -3))).algorithm).toBe('AES-KW');
      expect((await importCoseKey(backend, sym(64, 5))).algorithm).toBe('HMAC-SHA256');
      await expectWardError(() => importCoseKey(backend, sym(32, 1)), 'ERR_COSE_ALGORITHM_MISMATCH'); // A128GCM, 32 bytes
      await expectWardError(() => importCoseKey(backend, sym(16, 3)), 'ERR_COSE_ALGORITHM_MISMATCH'); // A256GCM, 16 bytes
      await expectWardError(() => importCoseKey(backend, sym(16, 24)), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, sym(24, -5)), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, sym(16, 5)), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, sym(32, -7)), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, sym(32)), 'ERR_INVALID_ARGUMENT');
      expect((await importCoseKey(backend, sym(32), { as: 'AES-KW' })).algorithm).toBe('AES-KW');
      await expectWardError(() => importCoseKey(backend, sym(32, 3), { as: 'AES-KW' }), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, sym(48), { as: 'AES-GCM' }), 'ERR_COSE_ALGORITHM_MISMATCH');
      await expectWardError(() => importCoseKey(backend, sym(32), { as: 'Ed25519' }), 'ERR_COSE_ALGORITHM_MISMATCH');
    });

    it('import refuses a d that does not belong to x/y, and a point off the curve', async () => {
      const a = await coseKeyFromHandle(backend, await backend.generateKey('Ed25519', { extractable: true }));
      const b = await coseKeyFromHandle(backend, await backend.generateKey('Ed25519', { extractable: true }));
      if (a.kty !== 1 || b.kty !== 1 || !b.d) throw new Error('unreachable');
      const foreignD = b.d;
      await expectWardError(() => importCoseKey(backend, createCoseKey({ ...a, d: foreignD })), 'ERR_KEY_INVALID');
      const p = await coseKeyFromHandle(backend, await backend.generateKey('ECDSA-P256', { extractable: true }));
      if (p.kty !== 2) throw new Error('unreachable');
      const badY = p.y.slice();
      badY[31] = (badY[31] ?? 0) ^ 1;
      await expectWardError(() => importCoseKey(backend, createCoseKey({ ...p, y: badY })), 'ERR_KEY_INVALID');
    });
  });
}

describe('decodeCoseKey strictness', () => {
  const x = bytes(32, 1);
  const y = bytes(32, 2);
  const d = bytes(32, 3);
  const okp = (...extra: [CborValue, CborValue][]): Map<CborValue, CborValue> => m([L.kty, 1], [L.crv, 6], [L.x, x], ...extra);
  const ec2 = (...extra: [CborValue, CborValue][]): Map<CborValue, CborValue> => m([L.kty, 2], [L.crv, 1], [L.x, x], [L.y, y], ...extra);

  it.each<[string, CborValue, string]>([
    ['not a map', [1, 2], 'ERR_COSE_MALFORMED'],
    ['no kty', m([L.crv, 6], [L.x, x]), 'ERR_COSE_MALFORMED'],
    ['kty of the wrong type', m([L.kty, x]), 'ERR_COSE_MALFORMED'],
    ['kty RSA (3)', m([L.kty, 3], [-1, x], [-2, x]), 'ERR_UNSUPPORTED_ALGORITHM'],
    ['kty as text', m([L.kty, 'OKP']), 'ERR_UNSUPPORTED_ALGORITHM'],
    ['OKP crv Ed448 (7)', m([L.kty, 1], [L.crv, 7], [L.x, x]), 'ERR_UNSUPPORTED_ALGORITHM'],
    ['EC2 crv P-384 (2)', m([L.kty, 2], [L.crv, 2], [L.x, x], [L.y, y]), 'ERR_UNSUPPORTED_ALGORITHM'],
    ['OKP with an EC2 curve', m([L.kty, 1], [L.crv, 1], [L.x, x]), 'ERR_UNSUPPORTED_ALGORITHM'],
    ['crv as bytes', m([L.kty, 1], [L.crv, x], [L.x, x]), 'ERR_COSE_MALFORMED'],
    ['OKP without crv', m([L.kty, 1], [L.x, x]), 'ERR_COSE_MALFORMED'],
    ['OKP without x', m([L.kty, 1], [L.crv, 6], [L.d, d]), 'ERR_COSE_MALFORMED'],
    ['OKP x of 31 bytes', m([L.kty, 1], [L.crv, 6], [L.x, bytes(31)]), 'ERR_COSE_MALFORMED'],
    ['OKP x of 33 bytes', m([L.kty, 1], [L.crv, 4], [L.x, bytes(33)]), 'ERR_COSE_MALFORMED'],
    ['OKP x as text', m([L.kty, 1], [L.crv, 6], [L.x, 'x']), 'ERR_COSE_MALFORMED'],
    ['OKP d of 16 bytes', okp([L.d, bytes(16)]), 'ERR_COSE_MALFORMED'],
    ['OKP with y', okp([L.y, y]), 'ERR_COSE_MALFORMED'],
    ['EC2 without y', m([L.kty, 2], [L.crv, 1], [L.x, x]), 'ERR_COSE_MALFORMED'],
    ['EC2 compressed (y as a sign bit)', m([L.kty, 2], [L.crv, 1], [L.x, x], [L.y, true]), 'ERR_COSE_MALFORMED'],
    ['EC2 y of 64 bytes', m([L.kty, 2], [L.crv, 1], [L.x, x], [L.y, bytes(64)]), 'ERR_COSE_MALFORMED'],
    ['EC2 d as an integer', ec2([L.d, 5]), 'ERR_COSE_MALFORMED'],
    ['Symmetric without k', m([L.kty, 4]), 'ERR_COSE_MALFORMED'],
    ['Symmetric k of 15 bytes', m([L.kty, 4], [L.k, bytes(15)]), 'ERR_COSE_MALFORMED'],
    ['Symmetric k of 129 bytes', m([L.kty, 4], [L.k, bytes(129)]), 'ERR_COSE_MALFORMED'],
    ['Symmetric with x', m([L.kty, 4], [L.k, bytes(32)], [L.x, x]), 'ERR_COSE_MALFORMED'],
    ['an unknown label', okp([99, 1]), 'ERR_COSE_MALFORMED'],
    ['a text label', okp(['use', 'sig']), 'ERR_COSE_MALFORMED'],
    ['base IV', m([L.kty, 4], [L.k, bytes(32)], [L.baseIv, bytes(8)]), 'ERR_COSE_MALFORMED'],
    ['kid as text', okp([L.kid, 'kid']), 'ERR_COSE_MALFORMED'],
    ['alg as bytes', okp([L.alg, x]), 'ERR_COSE_MALFORMED'],
    ['alg as a fraction', okp([L.alg, 1.5]), 'ERR_COSE_MALFORMED'],
    ['alg as text', okp([L.alg, 'EdDSA']), 'ERR_UNSUPPORTED_ALGORITHM'],
    ['key_ops empty', okp([L.keyOps, []]), 'ERR_COSE_MALFORMED'],
    ['key_ops not an array', okp([L.keyOps, 1]), 'ERR_COSE_MALFORMED'],
    ['key_ops with 11', okp([L.keyOps, [1, 11]]), 'ERR_COSE_MALFORMED'],
    ['key_ops with text', okp([L.keyOps, ['sign']]), 'ERR_COSE_MALFORMED'],
    ['key_ops repeated', okp([L.keyOps, [2, 2]]), 'ERR_COSE_MALFORMED'],
    ['a null parameter', okp([L.kid, null]), 'ERR_COSE_MALFORMED'],
  ])('rejects %s', async (_, value, code) => {
    await expectWardError(() => decodeCoseKey(encodeCbor(value)), code as never);
  });

  it('rejects a private part when publicOnly, and accepts it otherwise', async () => {
    await expectWardError(() => decodeCoseKey(encodeCbor(okp([L.d, d])), { publicOnly: true }), 'ERR_COSE_MALFORMED');
    await expectWardError(() => decodeCoseKey(encodeCbor(ec2([L.d, d])), { publicOnly: true }), 'ERR_COSE_MALFORMED');
    await expectWardError(() => decodeCoseKey(encodeCbor(m([L.kty, 4], [L.k, bytes(32)])), { publicOnly: true }), 'ERR_COSE_MALFORMED');
    expect(decodeCoseKey(encodeCbor(ec2([L.d, d]))).kty).toBe(2);
    expect(decodeCoseKey(encodeCbor(okp()), { publicOnly: true }).kty).toBe(1);
  });

  it('applies CBOR limits and rejects integral floats for labels and values', async () => {
    const encoded = encodeCbor(ec2([L.kid, bytes(100)]));
    await expectWardError(() => decodeCoseKey(encoded, { maxBytes: 64 }), 'ERR_CBOR_LIMIT');
    await expectWardError(() => decodeCoseKey(encodeCbor(okp()).subarray(0, 10)), 'ERR_CBOR_MALFORMED');
    /* {1: 1.0 (f9 3c00), ...}: kty as a half float. */
    const floatKty = new Uint8Array([0xa3, 0x01, 0xf9, 0x3c, 0x00, 0x20, 0x06, 0x21, 0x58, 0x20, ...x]);
    await expectWardError(() => decodeCoseKey(floatKty), 'ERR_CBOR_UNSUPPORTED');
    await expectWardError(() => decodeCoseKey(new Uint8Array([...encodeCbor(okp()), 0x00])), 'ERR_CBOR_MALFORMED');
  });

  it('encodeCoseKey validates caller-built keys the same way', async () => {
    await expectWardError(() => encodeCoseKey({ kty: 1, crv: 6, x: bytes(31) }), 'ERR_COSE_MALFORMED');
    await expectWardError(() => encodeCoseKey({ kty: 2, crv: 1, x, y: true } as never), 'ERR_COSE_MALFORMED');
    await expectWardError(() => encodeCoseKey({ kty: 3 } as never), 'ERR_UNSUPPORTED_ALGORITHM');
    await expectWardError(() => encodeCoseKey({ kty: 1, crv: 6, x, keyOps: [0] } as never), 'ERR_COSE_MALFORMED');
    await expectWardError(() => encodeCoseKey({ kty: 4, k: bytes(32), alg: 1.5 }), 'ERR_COSE_MALFORMED');
  });

  it('error messages never contain key material', async () => {
    const secret = bytes(32, 0xab);
    for (const value of [okp([L.d, secret.subarray(0, 31)]), m([L.kty, 4], [L.k, secret], [L.x, secret])]) {
      try {
        decodeCoseKey(encodeCbor(value));
        throw new Error('accepted');
      } catch (error) {
        expect(String(error)).not.toContain('abab');
        expect(String(error)).not.toContain('171,171');
      }
    }
  });
});

describe('COSE_Key encoding round trip (fast-check)', () => {
  const b = (length: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: length, maxLength: length });
  const common = fc.record(
    {
      alg: fc.integer({ min: -65536, max: 65535 }),
      kid: fc.uint8Array({ maxLength: 40 }),
      keyOps: fc.uniqueArray(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 10 }),
    },
    { requiredKeys: [] },
  );
  const key: fc.Arbitrary<CoseKey> = fc.oneof(
    fc.tuple(common, fc.constantFrom(4 as const, 6 as const), b(32), fc.option(b(32), { nil: undefined }))
      .map(([c, crv, x, d]) => ({ ...c, kty: 1, crv, x, ...(d ? { d } : {}) }) as CoseKey),
    fc.tuple(common, b(32), b(32), fc.option(b(32), { nil: undefined }))
      .map(([c, x, y, d]) => ({ ...c, kty: 2, crv: 1, x, y, ...(d ? { d } : {}) }) as CoseKey),
    fc.tuple(common, fc.uint8Array({ minLength: 16, maxLength: 128 })).map(([c, k]) => ({ ...c, kty: 4, k }) as CoseKey),
  );

  it('decode(encode(key)) equals key, and the encoding is deterministic', () => {
    fc.assert(
      fc.property(key, (k) => {
        const encoded = encodeCoseKey(k);
        const decoded = decodeCoseKey(encoded, { requireDeterministic: true });
        expect({ ...decoded }).toEqual({ ...k });
        expect(toHex(encodeCoseKey(decoded))).toBe(toHex(encoded));
      }),
      { numRuns: 300 },
    );
  });
});

describe('COSE_Key redaction', () => {
  const d = bytes(32, 0xd1);
  const k = bytes(32, 0xc7);
  const dHex = toHex(d);
  const kHex = toHex(k);
  const forms = (value: unknown): string[] => [String(value), `${value as string}`, JSON.stringify(value), inspect(value), inspect({ nested: value }, { depth: 5 })];

  it('prints d as [redacted] and keeps public parameters readable', () => {
    const key = createCoseKey({ kty: 1, crv: 6, x: bytes(32, 0x11), d, kid: bytes(2, 0xee) });
    for (const text of forms(key)) {
      expect(text).not.toContain(dHex.slice(0, 16));
      expect(text).not.toContain('209, 209');
      expect(text).not.toContain('209,209');
      expect(text).toContain('[redacted]');
    }
    expect(JSON.parse(JSON.stringify(key))).toEqual({ kty: 'OKP', crv: 'Ed25519', kid: 'eeee', x: toHex(bytes(32, 0x11)), d: '[redacted]' });
    /* The material is still there for whoever asks for it by name. */
    expect(key.kty === 1 && key.d !== undefined && toHex(key.d)).toBe(dHex);
  });

  it('prints k as [redacted]', () => {
    const key = decodeCoseKey(encodeCoseKey({ kty: 4, alg: 3, k }));
    for (const text of forms(key)) {
      expect(text).not.toContain(kHex.slice(0, 16));
      expect(text).not.toContain('199, 199');
      expect(text).not.toContain('199,199');
      expect(text).toContain('[redacted]');
    }
    expect(JSON.parse(JSON.stringify(key))).toEqual({ kty: 'Symmetric', alg: 3, k: '[redacted]' });
  });

  it('EC2 private keys from handles are redacted too; keys are frozen copies', async () => {
    const backend = BACKENDS[0]?.create();
    if (!backend) throw new Error('no backend');
    const handle = await backend.generateKey('ECDSA-P256', { extractable: true });
    const key = await coseKeyFromHandle(backend, handle);
    const raw = toHex(await backend.exportKey(handle));
    for (const text of forms(key)) expect(text).not.toContain(raw.slice(0, 16));
    expect(Object.isFrozen(key)).toBe(true);
    expect(Object.keys(key)).not.toContain('toJSON');
    const input = bytes(32, 5);
    const built = createCoseKey({ kty: 4, k: input });
    input.fill(0);
    expect(built.kty === 4 && toHex(built.k)).toBe(toHex(bytes(32, 5)));
  });
});
