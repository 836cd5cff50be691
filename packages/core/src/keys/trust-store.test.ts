/*
 * TrustStore: adding keys (public only), resolve() with one test per attack each check stops,
 * revocation semantics, keySource() inside verifyEnvelope() and verifySign1(), and redaction of the
 * printed entries. The signed document is tested in trust-store-document.test.ts.
 */
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import { caught, errorChain } from '../../test-kit/spying.js';
import { expectWardError, toHex } from '../../test-kit/cose-vectors.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import type { CborValue } from '../cbor/index.js';
import { CoseAlgorithm } from '../cose/algorithms.js';
import { HeaderLabel } from '../cose/headers.js';
import { createSign1, verifySign1 } from '../cose/sign1.js';
import { sealEnvelope } from '../envelope/seal.js';
import { verifyEnvelope } from '../envelope/verify.js';
import { ArgumentError, CoseError, EnvelopeError, KeyError, TrustError, WardError } from '../errors.js';
import { coseKeyFromHandle, coseKeyThumbprint, createCoseKey } from './cose-key.js';
import { TrustStore } from './trust-store.js';
import type { TrustResolveRequest, TrustStoreOptions } from './trust-store.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z

const edSigning: SigningKey = backend.generateKey('Ed25519', { extractable: true });
const edPublic: VerifyingKey = backend.publicKey(edSigning);
const esSigning: SigningKey = backend.generateKey('ECDSA-P256', { extractable: true });
const esPublic: VerifyingKey = backend.publicKey(esSigning);
const otherSigning: SigningKey = backend.generateKey('Ed25519');
const otherPublic: VerifyingKey = backend.publicKey(otherSigning);

function store(options: Partial<TrustStoreOptions> = {}, clock = { now: NOW }): TrustStore {
  return new TrustStore({ backend, now: () => clock.now, ...options });
}

/** A store trusting edPublic as producer "sensor-a" (kid: its thumbprint) and a matching request. */
async function trusted(options: Partial<TrustStoreOptions> = {}, clock = { now: NOW }) {
  const trust = store(options, clock);
  const entry = await trust.add({ key: edPublic, issuer: 'sensor-a' });
  const request: TrustResolveRequest = { kid: entry.kid, alg: CoseAlgorithm.EdDSA, issuer: 'sensor-a', issuedAt: NOW - 60, role: 'producer' };
  return { trust, entry, request, clock };
}

function trustCode(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(TrustError.isInstance(error)).toBe(true);
    return (error as TrustError).code;
  }
  return expect.unreachable('expected a TrustError') as never;
}

describe('TrustStore.add', () => {
  test('an Ed25519 verifying key: kid defaults to its RFC 9679 thumbprint, role to producer; the entry is frozen', async () => {
    const trust = store();
    const entry = await trust.add({ key: edPublic, issuer: 'sensor-a' });
    const coseKey = await coseKeyFromHandle(backend, edPublic);
    expect(toHex(entry.kid)).toBe(toHex(await coseKeyThumbprint(coseKey, backend)));
    expect(entry.alg).toBe(CoseAlgorithm.EdDSA);
    expect(entry.roles).toEqual(['producer']);
    expect(entry.issuer).toBe('sensor-a');
    expect(entry.key).toBe(edPublic);
    expect(entry.coseKey).toMatchObject({ kty: 1, crv: 6, alg: CoseAlgorithm.EdDSA });
    expect('d' in entry.coseKey).toBe(false);
    expect('kid' in entry.coseKey).toBe(false);
    expect(Object.isFrozen(entry)).toBe(true);
    expect(Object.isFrozen(entry.roles)).toBe(true);
    expect(trust.get(entry.kid)).toBe(entry);
    expect(trust.entries()).toEqual([entry]);
    expect(trust.serial).toBeUndefined();
  });

  test('an ES256 public COSE_Key, with or without alg, is imported through the backend', async () => {
    const trust = store();
    const cose = await coseKeyFromHandle(backend, esPublic, { alg: null });
    const entry = await trust.add({ key: cose, issuer: 'camera-7', roles: ['producer', 'rewrap'], notBefore: NOW - 10, notAfter: NOW + 10 });
    expect(entry.alg).toBe(CoseAlgorithm.ES256);
    expect(entry.key.algorithm).toBe('ECDSA-P256');
    expect(entry.key.kind).toBe('public');
    expect(entry.coseKey).toMatchObject({ kty: 2, crv: 1, alg: CoseAlgorithm.ES256 });
    expect(entry).toMatchObject({ roles: ['producer', 'rewrap'], notBefore: NOW - 10, notAfter: NOW + 10 });
    const withAlg = await store().add({ key: await coseKeyFromHandle(backend, esPublic), issuer: 'camera-7' });
    expect(toHex(withAlg.kid)).toBe(toHex(entry.kid));
  });

  test('a caller-chosen kid is kept (copied)', async () => {
    const kid = te.encode('sensor-a#1');
    const entry = await store().add({ key: edPublic, issuer: 'sensor-a', kid });
    kid[0] = 0;
    expect(entry.kid).toEqual(te.encode('sensor-a#1'));
  });

  test('a duplicate kid is an ArgumentError, whether given or the thumbprint', async () => {
    const trust = store();
    await trust.add({ key: edPublic, issuer: 'sensor-a' });
    await expectWardError(() => trust.add({ key: edPublic, issuer: 'sensor-b' }), 'ERR_INVALID_ARGUMENT');
    await trust.add({ key: esPublic, issuer: 'camera-7', kid: te.encode('k') });
    await expectWardError(() => trust.add({ key: otherPublic, issuer: 'x', kid: te.encode('k') }), 'ERR_INVALID_ARGUMENT');
    expect(trust.entries()).toHaveLength(2);
  });

  test('private material is refused with ERR_KEY_USAGE: a private COSE_Key, a private handle', async () => {
    const trust = store();
    const privateCose = await coseKeyFromHandle(backend, edSigning);
    expect(privateCose).toHaveProperty('d');
    expect(await expectWardError(() => trust.add({ key: privateCose, issuer: 'a' }))).toBe('ERR_KEY_USAGE');
    expect(await expectWardError(() => trust.add({ key: edSigning as unknown as VerifyingKey, issuer: 'a' }))).toBe('ERR_KEY_USAGE');
    const plainPrivate = { ...(await coseKeyFromHandle(backend, esSigning)) };
    expect(await expectWardError(() => trust.add({ key: plainPrivate, issuer: 'a' }))).toBe('ERR_KEY_USAGE');
    expect(trust.entries()).toEqual([]);
  });

  test('symmetric and non-signature keys are refused with ERR_KEY_USAGE', async () => {
    const trust = store();
    const symmetric = createCoseKey({ kty: 4, alg: CoseAlgorithm.A256GCM, k: new Uint8Array(32).fill(9) });
    const secretHandle = backend.generateKey('AES-GCM');
    const x25519 = await coseKeyFromHandle(backend, backend.publicKey(backend.generateKey('X25519')));
    const ecdhP256 = await coseKeyFromHandle(backend, backend.publicKey(backend.generateKey('ECDH-P256')), { alg: CoseAlgorithm.ECDH_ES_HKDF_256 });
    const verifyless = createCoseKey({ ...(await coseKeyFromHandle(backend, edPublic)), keyOps: [1] });
    for (const key of [symmetric, secretHandle, x25519, ecdhP256, verifyless, backend.publicKey(backend.generateKey('X25519'))]) {
      expect(await expectWardError(() => trust.add({ key: key as unknown as VerifyingKey, issuer: 'a' }))).toBe('ERR_KEY_USAGE');
    }
    expect(trust.entries()).toEqual([]);
  });

  test('bad issuer, roles, times and kid are ArgumentErrors', async () => {
    const trust = store();
    const bad = [
      { issuer: '' }, { issuer: 'x'.repeat(257) }, { issuer: 'a\uD800' }, { issuer: 7 },
      { roles: [] }, { roles: ['admin'] }, { roles: ['producer', 'producer'] },
      { notBefore: -1 }, { notAfter: 1.5 }, { notBefore: NOW, notAfter: NOW }, { kid: new Uint8Array(0) }, { kid: 'k' },
    ];
    for (const change of bad) {
      await expectWardError(() => trust.add({ key: edPublic, issuer: 'sensor-a', ...change } as never), 'ERR_INVALID_ARGUMENT');
    }
    await expectWardError(() => trust.add(null as never), 'ERR_INVALID_ARGUMENT');
    await expectWardError(() => trust.add({ key: 'key', issuer: 'a' } as never), 'ERR_INVALID_ARGUMENT');
    expect(() => new TrustStore({} as never)).toThrow(ArgumentError);
    expect(() => store({ clockSkewSeconds: -1 })).toThrow(ArgumentError);
  });

  test('a malformed COSE_Key is a CoseError', async () => {
    const broken = { kty: 1, crv: 6, x: new Uint8Array(31) } as never;
    await expect(store().add({ key: broken, issuer: 'a' })).rejects.toThrow(CoseError);
  });
});

describe('TrustedKey print forms', () => {
  test('String(), JSON.stringify() and util.inspect() show the kid, metadata and public key, never private material', async () => {
    const trust = store();
    /* Built from the COSE_Key of the extractable private key, minus d: the private scalar is known to the test. */
    const privateCose = await coseKeyFromHandle(backend, esSigning);
    const { d, ...publicPart } = privateCose as { d: Uint8Array };
    const entry = await trust.add({ key: createCoseKey(publicPart as never), issuer: 'camera-7' });
    trust.revoke(entry.kid, { at: NOW, reason: 'lens tampered' });
    const revoked = trust.get(entry.kid)!;
    const secretHex = toHex(d);
    for (const printed of [String(revoked), JSON.stringify(revoked), inspect(revoked, { depth: 5 }), JSON.stringify(trust.entries())]) {
      expect(printed).not.toContain(secretHex);
      expect(printed).toContain(toHex(entry.kid));
      expect(printed).toContain(toHex(privateCose.kty === 2 ? privateCose.x : new Uint8Array()));
      expect(printed).toContain('camera-7');
      expect(printed).toContain('lens tampered');
    }
    expect(JSON.parse(JSON.stringify(revoked))).toMatchObject({
      kid: toHex(entry.kid), alg: -7, issuer: 'camera-7', roles: ['producer'], revokedAt: NOW,
      key: { algorithm: 'ECDSA-P256', kind: 'public' }, coseKey: { kty: 'EC2', crv: 'P-256' },
    });
    expect(String(revoked).startsWith('TrustedKey {')).toBe(true);
    expect(Object.keys(revoked)).not.toContain('toJSON');
  });
});

describe('TrustStore.resolve: each check and the attack it stops', () => {
  test('accepts a trusted key signing as its issuer, in its role, inside its window', async () => {
    const { trust, entry, request } = await trusted();
    expect(trust.resolve(request)).toEqual({ key: edPublic, entry });
  });

  test('unknown kid: ERR_TRUST_UNKNOWN_SIGNER (stops a self-made key)', async () => {
    const { trust, request } = await trusted();
    expect(trustCode(() => trust.resolve({ ...request, kid: te.encode('mallory') }))).toBe('ERR_TRUST_UNKNOWN_SIGNER');
  });

  test('algorithm confusion: another alg for a trusted kid is ERR_TRUST_UNKNOWN_SIGNER', async () => {
    const { trust, request } = await trusted();
    expect(trustCode(() => trust.resolve({ ...request, alg: CoseAlgorithm.ES256 }))).toBe('ERR_TRUST_UNKNOWN_SIGNER');
  });

  test('role confusion: a producer key signing a trust-store document is ERR_TRUST_ROLE', async () => {
    const { trust, request } = await trusted();
    for (const role of ['trust-store', 'rewrap', 'policy-bundle', 'decision-log'] as const) {
      expect(trustCode(() => trust.resolve({ ...request, role }))).toBe('ERR_TRUST_ROLE');
    }
  });

  test("impersonation: producer A's key claiming to be producer B is ERR_TRUST_ISSUER_MISMATCH", async () => {
    const { trust, request } = await trusted();
    await trust.add({ key: otherPublic, issuer: 'sensor-b' });
    expect(trustCode(() => trust.resolve({ ...request, issuer: 'sensor-b' }))).toBe('ERR_TRUST_ISSUER_MISMATCH');
    expect(trustCode(() => trust.resolve({ ...request, issuer: 'Sensor-A' }))).toBe('ERR_TRUST_ISSUER_MISMATCH');
  });

  test('validity window: before notBefore (inclusive) or at/after notAfter (exclusive) is ERR_TRUST_NOT_VALID', async () => {
    const trust = store();
    const entry = await trust.add({ key: edPublic, issuer: 'sensor-a', notBefore: NOW - 100, notAfter: NOW - 50 });
    const at = (issuedAt: number) => () => trust.resolve({ kid: entry.kid, alg: -8, issuer: 'sensor-a', issuedAt, role: 'producer' });
    expect(trustCode(at(NOW - 101))).toBe('ERR_TRUST_NOT_VALID');
    expect(at(NOW - 100)().entry).toBe(entry);
    expect(at(NOW - 51)().entry).toBe(entry);
    expect(trustCode(at(NOW - 50))).toBe('ERR_TRUST_NOT_VALID');
    /* The window is about the claimed signing time: an expired key still verifies its old data. */
    expect(at(NOW - 60)().key).toBe(edPublic);
  });

  test('future-dating: a signing time beyond now + clock skew is ERR_TRUST_NOT_VALID', async () => {
    const { trust, request } = await trusted();
    expect(trust.resolve({ ...request, issuedAt: NOW + 300 }).key).toBe(edPublic);
    expect(trustCode(() => trust.resolve({ ...request, issuedAt: NOW + 301 }))).toBe('ERR_TRUST_NOT_VALID');
    const strict = await trusted({ clockSkewSeconds: 0 });
    expect(strict.trust.resolve({ ...strict.request, issuedAt: NOW }).key).toBe(edPublic);
    expect(trustCode(() => strict.trust.resolve({ ...strict.request, issuedAt: NOW + 1 }))).toBe('ERR_TRUST_NOT_VALID');
  });

  test('revocation (default): any use after revocation is ERR_TRUST_REVOKED, backdated data included (stops a key thief backdating)', async () => {
    const { trust, entry, request } = await trusted();
    trust.revoke(entry.kid, { at: NOW - 30 });
    expect(trustCode(() => trust.resolve({ ...request, issuedAt: NOW - 10 }))).toBe('ERR_TRUST_REVOKED');
    expect(trustCode(() => trust.resolve({ ...request, issuedAt: NOW - 3600 }))).toBe('ERR_TRUST_REVOKED');
  });

  test('revocation (default) scheduled in the future: refused for data claiming a time at or after it, and for everything once it is reached', async () => {
    const { trust, entry, request, clock } = await trusted();
    trust.revoke(entry.kid, { at: NOW + 100 });
    expect(trust.resolve({ ...request, issuedAt: NOW }).entry.revokedAt).toBe(NOW + 100);
    expect(trustCode(() => trust.resolve({ ...request, issuedAt: NOW + 100 }))).toBe('ERR_TRUST_REVOKED');
    clock.now = NOW + 100;
    expect(trustCode(() => trust.resolve({ ...request, issuedAt: NOW }))).toBe('ERR_TRUST_REVOKED');
  });

  test('acceptSignedBeforeRevocation: data claiming issuedAt < revokedAt is accepted and the revocation is surfaced; later data is refused', async () => {
    const { trust, entry, request } = await trusted({ acceptSignedBeforeRevocation: true });
    trust.revoke(entry.kid, { at: NOW - 30, reason: 'stolen' });
    const accepted = trust.resolve({ ...request, issuedAt: NOW - 31 });
    expect(accepted.entry).toMatchObject({ revokedAt: NOW - 30, revocationReason: 'stolen' });
    expect(trustCode(() => trust.resolve({ ...request, issuedAt: NOW - 30 }))).toBe('ERR_TRUST_REVOKED');
    expect(trustCode(() => trust.resolve({ ...request, issuedAt: NOW }))).toBe('ERR_TRUST_REVOKED');
  });

  test('malformed requests are ArgumentErrors', async () => {
    const { trust, request } = await trusted();
    for (const change of [{ kid: 'k' }, { alg: '-8' }, { issuer: 1 }, { issuedAt: Number.NaN }, { role: 'admin' }]) {
      expect(() => trust.resolve({ ...request, ...change } as never)).toThrow(ArgumentError);
    }
  });
});

describe('TrustStore.revoke', () => {
  test('defaults the time to now(), returns the revoked entry and leaves the old entry object untouched', async () => {
    const { trust, entry } = await trusted();
    const revoked = trust.revoke(entry.kid, { reason: 'decommissioned' });
    expect(revoked).toMatchObject({ revokedAt: NOW, revocationReason: 'decommissioned', issuer: 'sensor-a' });
    expect(trust.get(entry.kid)).toBe(revoked);
    expect(entry.revokedAt).toBeUndefined();
    expect(Object.isFrozen(revoked)).toBe(true);
  });

  test('revoking twice keeps the earliest time (and its reason)', async () => {
    const { trust, entry } = await trusted();
    trust.revoke(entry.kid, { at: NOW - 10, reason: 'first' });
    expect(trust.revoke(entry.kid, { at: NOW - 5, reason: 'later' })).toMatchObject({ revokedAt: NOW - 10, revocationReason: 'first' });
    expect(trust.revoke(entry.kid, { at: NOW - 20 })).toMatchObject({ revokedAt: NOW - 20 });
    expect(trust.get(entry.kid)!.revocationReason).toBeUndefined();
  });

  test('an unknown kid is ERR_TRUST_UNKNOWN_SIGNER; bad options are ArgumentErrors', async () => {
    const { trust, entry } = await trusted();
    expect(trustCode(() => trust.revoke(te.encode('nobody')))).toBe('ERR_TRUST_UNKNOWN_SIGNER');
    expect(() => trust.revoke(entry.kid, { at: -1 })).toThrow(ArgumentError);
    expect(() => trust.revoke(entry.kid, { reason: '' })).toThrow(ArgumentError);
    expect(trust.get(entry.kid)!.revokedAt).toBeUndefined();
  });
});

/* ------------------------------------------------------------------------------------------ */

const PRODUCER_CLAIMS = { issuer: 'parking-sensor-3', subject: 'parking/lot-b', sequence: 7, issuedAt: NOW - 5 };
const ATTRIBUTES = { classification: 'internal', zone: 'lot-b' };
const sharedKey = backend.generateKey('AES-GCM');

async function sealedBy(key: SigningKey, kid: Uint8Array, claims: Partial<typeof PRODUCER_CLAIMS> = {}): Promise<Uint8Array> {
  return sealEnvelope(te.encode('{"free":12}'), {
    backend,
    signer: { key, kid },
    key: { key: sharedKey, kid: te.encode('shared') },
    claims: { ...PRODUCER_CLAIMS, ...claims },
    attributes: ATTRIBUTES,
  });
}

async function refusedWith(envelope: Uint8Array, trust: TrustStore): Promise<string> {
  const error = await caught(verifyEnvelope(envelope, { backend, trust: trust.keySource() }));
  expect(EnvelopeError.isInstance(error)).toBe(true);
  const trustError = errorChain(error).find((e) => TrustError.isInstance(e)) as TrustError | undefined;
  expect(trustError, 'the cause chain holds the TrustError').toBeDefined();
  return trustError!.code;
}

describe('keySource(): the store inside verifyEnvelope()', () => {
  test('verifyEnvelope() accepts envelopes sealed by trusted Ed25519 and ES256 producers', async () => {
    const trust = store();
    const ed = await trust.add({ key: edPublic, issuer: 'parking-sensor-3' });
    const es = await trust.add({ key: esPublic, issuer: 'camera-7' });
    const facts = await verifyEnvelope(await sealedBy(edSigning, ed.kid), { backend, trust: trust.keySource() });
    expect(facts.provenance.issuer).toBe('parking-sensor-3');
    expect(facts.signer).toEqual({ kid: ed.kid, alg: CoseAlgorithm.EdDSA });
    const esFacts = await verifyEnvelope(await sealedBy(esSigning, es.kid, { issuer: 'camera-7' }), { backend, trust: trust.keySource('producer') });
    expect(esFacts.signer.alg).toBe(CoseAlgorithm.ES256);
  });

  test('verifyEnvelope() refuses a revoked producer: EnvelopeError caused by ERR_TRUST_REVOKED', async () => {
    const trust = store();
    const entry = await trust.add({ key: edPublic, issuer: 'parking-sensor-3' });
    const envelope = await sealedBy(edSigning, entry.kid);
    trust.revoke(entry.kid, { at: NOW - 60, reason: 'sensor stolen' });
    expect(await refusedWith(envelope, trust)).toBe('ERR_TRUST_REVOKED');
  });

  test("verifyEnvelope() refuses producer A's key claiming producer B: EnvelopeError caused by ERR_TRUST_ISSUER_MISMATCH", async () => {
    const trust = store();
    const a = await trust.add({ key: edPublic, issuer: 'parking-sensor-3' });
    await trust.add({ key: otherPublic, issuer: 'parking-sensor-4' });
    expect(await refusedWith(await sealedBy(edSigning, a.kid, { issuer: 'parking-sensor-4' }), trust)).toBe('ERR_TRUST_ISSUER_MISMATCH');
  });

  test('verifyEnvelope() refuses an unknown producer, a key outside its window, a future-dated envelope and a key without the producer role', async () => {
    const trust = store();
    const entry = await trust.add({ key: edPublic, issuer: 'parking-sensor-3', notBefore: NOW - 3600, notAfter: NOW });
    const role = await trust.add({ key: esPublic, issuer: 'rewrap-1', roles: ['rewrap'] });
    expect(await refusedWith(await sealedBy(otherSigning, te.encode('who')), trust)).toBe('ERR_TRUST_UNKNOWN_SIGNER');
    expect(await refusedWith(await sealedBy(edSigning, entry.kid, { issuedAt: NOW - 7200 }), trust)).toBe('ERR_TRUST_NOT_VALID');
    expect(await refusedWith(await sealedBy(edSigning, entry.kid, { issuedAt: NOW + 3600 }), trust)).toBe('ERR_TRUST_NOT_VALID');
    expect(await refusedWith(await sealedBy(esSigning, role.kid, { issuer: 'rewrap-1' }), trust)).toBe('ERR_TRUST_ROLE');
    /* The same envelope passes where the key is asked for in its role. */
    await verifyEnvelope(await sealedBy(esSigning, role.kid, { issuer: 'rewrap-1' }), { backend, trust: trust.keySource('rewrap') });
  });

  test('kid swapping: a kid only in the unprotected header is ERR_TRUST_UNKNOWN_SIGNER', async () => {
    /* One public key trusted twice, under two kids with different roles. */
    const trust = store();
    await trust.add({ key: edPublic, issuer: 'ops', kid: te.encode('low'), roles: ['decision-log'] });
    await trust.add({ key: edPublic, issuer: 'ops', kid: te.encode('high'), roles: ['trust-store'] });
    const claims = new Map<CborValue, CborValue>([[1, 'ops'], [6, NOW]]);
    const message = await createSign1(te.encode('x'), {
      backend, key: edSigning, protectedHeader: new Map([[HeaderLabel.cwtClaims, claims]]), unprotectedHeader: new Map([[HeaderLabel.kid, te.encode('high')]]),
    });
    const error = await caught(verifySign1(message, { backend, key: trust.keySource('trust-store') }));
    expect(error).toBeInstanceOf(TrustError);
    expect((error as TrustError).code).toBe('ERR_TRUST_UNKNOWN_SIGNER');
  });

  test('missing claims: no iss is ERR_TRUST_ISSUER_MISMATCH, no iat is ERR_TRUST_NOT_VALID', async () => {
    const { trust, entry } = await trusted();
    const sign = (claims: Map<CborValue, CborValue> | undefined) => createSign1(te.encode('x'), {
      backend, key: edSigning, kid: entry.kid, protectedHeader: claims === undefined ? new Map() : new Map([[HeaderLabel.cwtClaims, claims]]),
    });
    const code = async (message: Uint8Array) => ((await caught(verifySign1(message, { backend, key: trust.keySource() }))) as WardError).code;
    expect(await code(await sign(undefined))).toBe('ERR_TRUST_ISSUER_MISMATCH');
    expect(await code(await sign(new Map([[6, NOW]])))).toBe('ERR_TRUST_ISSUER_MISMATCH');
    expect(await code(await sign(new Map<CborValue, CborValue>([[1, 'sensor-a']])))).toBe('ERR_TRUST_NOT_VALID');
    expect(await code(await sign(new Map<CborValue, CborValue>([[1, 'sensor-a'], [6, -1]])))).toBe('ERR_TRUST_NOT_VALID');
    const ok = await verifySign1(await sign(new Map<CborValue, CborValue>([[1, 'sensor-a'], [6, NOW]])), { backend, key: trust.keySource() });
    expect(ok.kid).toEqual(entry.kid);
  });

  test('an unknown role is an ArgumentError when the source is made', async () => {
    expect(() => store().keySource('admin' as never)).toThrow(ArgumentError);
  });

  test('KeyError is not used for trust refusals (they are TrustErrors)', async () => {
    const { trust } = await trusted();
    const message = await createSign1(te.encode('x'), { backend, key: otherSigning, kid: te.encode('nope') });
    const error = await caught(verifySign1(message, { backend, key: trust.keySource() }));
    expect(KeyError.isInstance(error)).toBe(false);
    expect(TrustError.isInstance(error)).toBe(true);
  });
});
