/*
 * readPolicyBundle with keys as PEM text (SubjectPublicKeyInfo), as `opa build
 * --verification-key` takes them and `openssl … -pubout` writes them: the committed bundles
 * signed by the real OPA verify, and the key's own algorithm still fixes the JWS alg.
 */
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { KeyError, PolicyError } from '../../errors.js';
import { fixture } from '../../../test-kit/policy-bundle.js';
import { readPolicyBundle, signPolicyBundle } from './bundle.js';
import type { PolicyBundleVerification } from './bundle.js';

const backend = createNobleBackend();
const pem = (name: string) => new TextDecoder().decode(fixture(name));
const ES256_PEM = pem('opa-es256.pub.pem');
const EDDSA_PEM = pem('opa-eddsa.pub.pem');
const read = (bundle: Uint8Array, verification: PolicyBundleVerification) => readPolicyBundle(bundle, { backend, verification });
const toPem = (der: Uint8Array) => `-----BEGIN PUBLIC KEY-----\n${Buffer.from(der).toString('base64')}\n-----END PUBLIC KEY-----\n`;

describe('policy bundle keys as PEM', () => {
  test('an OPA-signed bundle (ES256 and EdDSA) verifies with the PEM public key OPA verifies it with', async () => {
    const es = await read(fixture('opa-es256.tar.gz'), { form: 'opa', keys: { 'city-es256': ES256_PEM } });
    expect(es.signature).toEqual({ form: 'opa', keyId: 'city-es256' });
    const ed = await read(fixture('opa-eddsa.tar.gz'), { form: 'opa', keys: { 'city-eddsa': EDDSA_PEM } });
    expect(ed.signature).toEqual({ form: 'opa', keyId: 'city-eddsa' });
  });

  test('key type: an EdDSA PEM key under the ES256 signature key id is refused (the key fixes the alg)', async () => {
    await expect(read(fixture('opa-es256.tar.gz'), { form: 'opa', keys: { 'city-es256': EDDSA_PEM } }))
      .rejects.toMatchObject({ name: 'PolicyError', code: 'ERR_POLICY_BUNDLE_SIGNATURE', message: expect.stringMatching(/alg "ES256" is not EdDSA/) as unknown });
  });

  test('a malformed PEM key is a KeyError before any byte of the bundle is read', async () => {
    const garbage = Uint8Array.of(1, 2, 3);
    const truncated = ES256_PEM.replace(/\n[^\n]*\n-----END/u, '\n-----END');
    for (const key of [truncated, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', '']) {
      const error = await read(garbage, { form: 'opa', keys: { 'city-es256': key } }).then(() => undefined, (e: unknown) => e);
      expect(KeyError.isInstance(error)).toBe(true);
      expect(PolicyError.isInstance(error)).toBe(false);
    }
  });

  test('a Ward-signed bundle verifies with the signer public key as PEM, and not with another', async () => {
    const signer = await backend.generateKey('Ed25519');
    const raw = await backend.exportKey(await backend.publicKey(signer));
    const spki = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, ...raw);
    const signed = await signPolicyBundle(fixture('unsigned.tar.gz'), { backend, signer: { key: signer, kid: Uint8Array.of(1) }, issuer: 'city-policy-admin' });
    const bundle = await read(signed, { form: 'ward', trust: toPem(spki) });
    expect(bundle.signature.form).toBe('ward');
    await expect(read(signed, { form: 'ward', trust: ES256_PEM })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_SIGNATURE' });
  });
});
