/*
 * PEM / SubjectPublicKeyInfo public keys (keys/spki.ts): what OpenSSL and node:crypto write is
 * read, and nothing else is: every test below is named after the check that refuses it.
 */
import * as fc from 'fast-check';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../backend/noble-backend.js';
import { KeyError } from '../errors.js';
import { fixture } from '../../test-kit/policy-bundle.js';
import { importSpkiPublicKey, spkiPublicKey } from './spki.js';

const backend = createNobleBackend();
const message = new TextEncoder().encode('policy bundle');

const ed = generateKeyPairSync('ed25519');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pemOf = (key: typeof ed.publicKey) => key.export({ type: 'spki', format: 'pem' }) as string;
const derOf = (key: typeof ed.publicKey) => new Uint8Array(key.export({ type: 'spki', format: 'der' }));
const ED_PEM = pemOf(ed.publicKey);
const EC_PEM = pemOf(ec.publicKey);
const ED_DER = derOf(ed.publicKey);
const EC_DER = derOf(ec.publicKey);
const toPem = (der: Uint8Array, label = 'PUBLIC KEY', width = 64) => {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
};

async function rejects(key: string | Uint8Array, code: string, pattern?: RegExp): Promise<KeyError> {
  const error = await importSpkiPublicKey(backend, key).then(() => undefined, (e: unknown) => e);
  expect(KeyError.isInstance(error)).toBe(true);
  expect((error as KeyError).code).toBe(code);
  if (pattern) expect((error as KeyError).message).toMatch(pattern);
  return error as KeyError;
}

describe('importSpkiPublicKey: keys as teams have them', () => {
  test('an Ed25519 PEM from node:crypto verifies what its private key signed', async () => {
    const key = await importSpkiPublicKey(backend, ED_PEM);
    expect(key.algorithm).toBe('Ed25519');
    expect(key.kind).toBe('public');
    expect(await backend.verify(key, message, new Uint8Array(nodeSign(null, message, ed.privateKey)))).toBe(true);
  });

  test('a P-256 PEM from node:crypto verifies what its private key signed (IEEE P1363 r||s)', async () => {
    const key = await importSpkiPublicKey(backend, EC_PEM);
    expect(key.algorithm).toBe('ECDSA-P256');
    const signature = new Uint8Array(nodeSign('sha256', message, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
    expect(await backend.verify(key, message, signature)).toBe(true);
  });

  test('the OpenSSL-written PEM of the OPA fixtures reads as the same key as its raw hex', async () => {
    const pem = new TextDecoder().decode(fixture('opa-es256.pub.pem'));
    const hex = new TextDecoder().decode(fixture('opa-es256.pub.hex')).trim();
    const { algorithm, raw } = spkiPublicKey(new Uint8Array(Buffer.from(pem.split('\n').filter((l) => !l.startsWith('-----')).join(''), 'base64')));
    expect(algorithm).toBe('ECDSA-P256');
    expect(Buffer.from(raw).toString('hex')).toBe(hex);
    expect((await importSpkiPublicKey(backend, pem)).algorithm).toBe('ECDSA-P256');
  });

  test('DER bytes, CRLF line ends, other line widths and surrounding whitespace are read', async () => {
    expect((await importSpkiPublicKey(backend, ED_DER)).algorithm).toBe('Ed25519');
    expect((await importSpkiPublicKey(backend, EC_PEM.replaceAll('\n', '\r\n'))).algorithm).toBe('ECDSA-P256');
    expect((await importSpkiPublicKey(backend, toPem(EC_DER, 'PUBLIC KEY', 76))).algorithm).toBe('ECDSA-P256');
    expect((await importSpkiPublicKey(backend, `\n  ${ED_PEM}\n\n`)).algorithm).toBe('Ed25519');
  });

  test('a compressed P-256 point (RFC 5480 §2.2) is read as the same key', async () => {
    const point = spkiPublicKey(EC_DER).raw;
    const compressed = p256.Point.fromBytes(point).toBytes(true);
    const der = Uint8Array.of(0x30, 0x39, ...EC_DER.subarray(2, 23), 0x03, 0x22, 0x00, ...compressed);
    const key = await importSpkiPublicKey(backend, toPem(der));
    const signature = new Uint8Array(nodeSign('sha256', message, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
    expect(await backend.verify(key, message, signature)).toBe(true);
  });
});

describe('importSpkiPublicKey: PEM strictness (RFC 7468)', () => {
  test('PEM label: a private key is refused and never echoed', async () => {
    const pem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const error = await rejects(pem, 'ERR_KEY_INVALID', /BEGIN PUBLIC KEY/);
    const body = pem.split('\n')[1]!;
    expect(error.message).not.toContain(body.slice(0, 16));
    expect(JSON.stringify(error)).not.toContain(body.slice(0, 16));
  });

  test('PEM label: RSA PUBLIC KEY, CERTIFICATE and EC PUBLIC KEY labels are refused', async () => {
    for (const label of ['RSA PUBLIC KEY', 'CERTIFICATE', 'EC PUBLIC KEY', 'public key']) {
      await rejects(toPem(EC_DER, label), 'ERR_KEY_INVALID');
    }
  });

  test('PEM framing: text before or after the block, a second block, headers, a missing end line are refused', async () => {
    await rejects(`key for the city\n${EC_PEM}`, 'ERR_KEY_INVALID');
    await rejects(`${EC_PEM}trailing words\n`, 'ERR_KEY_INVALID');
    await rejects(`${EC_PEM}${ED_PEM}`, 'ERR_KEY_INVALID');
    const lines = EC_PEM.trim().split('\n');
    await rejects([lines[0], 'Proc-Type: 4,ENCRYPTED', ...lines.slice(1)].join('\n'), 'ERR_KEY_INVALID');
    await rejects(lines.slice(0, -1).join('\n'), 'ERR_KEY_INVALID');
    await rejects('-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----', 'ERR_KEY_INVALID');
  });

  test('PEM base64: characters outside the alphabet, padding in the middle and missing padding are refused', async () => {
    const lines = EC_PEM.trim().split('\n');
    await rejects([lines[0], `${lines[1]!.slice(0, -1)}*`, ...lines.slice(2)].join('\n'), 'ERR_KEY_INVALID');
    await rejects([lines[0], `${lines[1]!.slice(0, -4)}AA==`, ...lines.slice(2)].join('\n'), 'ERR_KEY_INVALID');
    await rejects(toPem(ED_DER).replace('=', ''), 'ERR_KEY_INVALID');
    await rejects([lines[0], `${lines[1]} `, ...lines.slice(2)].join('\n'), 'ERR_KEY_INVALID');
  });

  test('PEM base64: non-canonical pad bits (a second encoding of one key) are refused', async () => {
    /* 91 bytes: the last quantum carries one byte and 4 pad bits in "xx==", 2 bytes with 2 pad bits in "xxx=". */
    const b64 = Buffer.from(EC_DER).toString('base64');
    expect(b64.endsWith('=')).toBe(true);
    const at = b64.indexOf('=') - 1;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const tweaked = `${b64.slice(0, at)}${alphabet[alphabet.indexOf(b64[at]!) ^ 1]}${b64.slice(at + 1)}`;
    expect(Buffer.from(tweaked, 'base64')).toEqual(Buffer.from(EC_DER));
    await rejects(`-----BEGIN PUBLIC KEY-----\n${tweaked}\n-----END PUBLIC KEY-----`, 'ERR_KEY_INVALID', /canonical/);
  });

  test('PEM size: text longer than 4096 characters is refused before it is parsed', async () => {
    await rejects(`${EC_PEM}${' '.repeat(4096)}`, 'ERR_KEY_INVALID', /longer than/);
  });

  test('neither text nor bytes is refused', async () => {
    await rejects(7 as unknown as string, 'ERR_KEY_INVALID');
  });
});

describe('spkiPublicKey: DER strictness (RFC 5280, 8410, 5480)', () => {
  const refusedDer = (der: Uint8Array) => expect(() => spkiPublicKey(der)).toThrow(KeyError);

  test('DER template: a trailing byte, a missing byte, a BER long-form length are refused', () => {
    refusedDer(Uint8Array.of(...ED_DER, 0));
    refusedDer(ED_DER.subarray(0, -1));
    refusedDer(Uint8Array.of(...EC_DER, 0));
    refusedDer(Uint8Array.of(0x30, 0x81, 0x2a, ...ED_DER.subarray(2)));
  });

  test('DER template: X25519 (1.3.101.110), Ed448, P-384 and an RSA key are refused', () => {
    const x = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' });
    refusedDer(new Uint8Array(x));
    refusedDer(new Uint8Array(generateKeyPairSync('ed448').publicKey.export({ type: 'spki', format: 'der' })));
    refusedDer(new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' })));
    refusedDer(new Uint8Array(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' })));
  });

  test('DER template: a P-256 point under another curve OID, secp256k1, or with nonzero unused bits is refused', () => {
    const otherCurve = EC_DER.slice();
    otherCurve[22] = 0x08; /* 1.2.840.10045.3.1.8: same length, another curve */
    refusedDer(otherCurve);
    refusedDer(new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'der' })));
    const unused = EC_DER.slice();
    unused[25] = 1;
    refusedDer(unused);
  });

  test('DER template: every single-byte change of the prefix is refused (property)', () => {
    fc.assert(fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (useEd, index, flip) => {
      const der = (useEd ? ED_DER : EC_DER).slice();
      const prefix = useEd ? 12 : 26;
      der[index % prefix]! ^= flip;
      expect(() => spkiPublicKey(der)).toThrow(KeyError);
    }));
  });

  test('point check: a P-256 point not on the curve is refused by the backend', async () => {
    const off = EC_DER.slice();
    off[off.length - 1]! ^= 1;
    await rejects(off, 'ERR_KEY_INVALID');
  });
});

describe('importSpkiPublicKey: key type match', () => {
  test('key type: an Ed25519 key where ECDSA-P256 is required is refused (and the reverse)', async () => {
    await expect(importSpkiPublicKey(backend, ED_PEM, 'ECDSA-P256')).rejects.toMatchObject({ code: 'ERR_KEY_USAGE' });
    await expect(importSpkiPublicKey(backend, EC_PEM, 'Ed25519')).rejects.toMatchObject({ code: 'ERR_KEY_USAGE' });
    expect((await importSpkiPublicKey(backend, EC_PEM, 'ECDSA-P256')).algorithm).toBe('ECDSA-P256');
  });
});
