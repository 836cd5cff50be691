/*
 * Rollback of keys and trust (SPEC.md §9): keyset documents carry an authenticated, strictly
 * increasing revision that readers and stores refuse to go back from; a trust store restored
 * from its state after a restart refuses older documents and keeps revocations sticky.
 */
import { describe, expect, test } from 'vitest';
import { caught } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import { decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { ArgumentError, KeyStoreError, TrustError, WardError } from '../errors.js';
import { coseKeyFromHandle, coseKeyThumbprint } from './cose-key.js';
import { MemoryKeyStore } from './key-store.js';
import { Keyset } from './keyset.js';
import { keysetDocumentRevision } from './keyset-document.js';
import { MemoryStateStore } from './state-store.js';
import type { StateStore } from './state-store.js';
import { decodeTrustState, encodeTrustState, signTrustStoreDocument } from './trust-store-document.js';
import { TrustStore } from './trust-store.js';

const backend = createNobleBackend();
const NOW = 1_767_225_600;

function codeOf(error: unknown): string | undefined {
  return WardError.isInstance(error) ? error.code : undefined;
}

describe('keyset revisions', () => {
  test('every document gets a higher revision than the last, and a loaded keyset reports its document revision', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    expect(keyset.revision).toBe(0);
    const first = await keyset.toDocument();
    const second = await keyset.toDocument();
    expect([keysetDocumentRevision(first), keysetDocumentRevision(second)]).toEqual([1, 2]);
    expect((await Keyset.fromDocument(second, { backend })).revision).toBe(2);
    expect(keysetDocumentRevision(await keyset.toDocument({ revisionAbove: 40 }))).toBe(41);
  });

  test('keyset rollback refused: an older document from before a revocation, under the same KEK, is ERR_KEYSTORE_ROLLBACK', async () => {
    const kek = backend.generateKey('AES-GCM');
    const keyset = await Keyset.generate(backend, { purpose: 'recipient' });
    const oldKid = keyset.primaryKid!;
    await keyset.rotate();
    const beforeRevocation = await keyset.toDocument({ kek: { key: kek } });
    keyset.revoke(oldKid, { reason: 'laptop stolen' });
    const afterRevocation = await keyset.toDocument({ kek: { key: kek } });
    const newest = (await Keyset.fromDocument(afterRevocation, { backend, kek })).revision;
    expect((await Keyset.fromDocument(afterRevocation, { backend, kek, minRevision: newest })).get(oldKid)?.state).toBe('revoked');
    // without the mark, the old document still loads and the revoked key is back as decrypt-only
    expect((await Keyset.fromDocument(beforeRevocation, { backend, kek })).get(oldKid)?.state).toBe('decrypt-only');
    const error = await caught(Keyset.fromDocument(beforeRevocation, { backend, kek, minRevision: newest }));
    expect(KeyStoreError.isInstance(error)).toBe(true);
    expect(codeOf(error)).toBe('ERR_KEYSTORE_ROLLBACK');
  });

  test('a document written before revisions existed loads as revision 0, and is refused once a later revision was seen', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'sign' });
    const map = decodeCbor(await keyset.toDocument()) as Map<CborValue, CborValue>;
    map.delete(7);
    const legacy = encodeCbor(map);
    expect(keysetDocumentRevision(legacy)).toBe(0);
    expect((await Keyset.fromDocument(legacy, { backend })).revision).toBe(0);
    expect(codeOf(await caught(Keyset.fromDocument(legacy, { backend, minRevision: 1 })))).toBe('ERR_KEYSTORE_ROLLBACK');
  });

  test('a malformed revision is ERR_KEYSET_INVALID; bad revision options are ERR_INVALID_ARGUMENT', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'sign' });
    const document = await keyset.toDocument();
    for (const bad of [-1, 1.5, 'x', 2 ** 53]) {
      const map = decodeCbor(document) as Map<CborValue, CborValue>;
      map.set(7, bad);
      expect(codeOf(await caught(Keyset.fromDocument(encodeCbor(map), { backend })))).toBe('ERR_KEYSET_INVALID');
    }
    expect(await caught(Keyset.fromDocument(document, { backend, minRevision: -1 }))).toBeInstanceOf(ArgumentError);
    expect(await caught(keyset.toDocument({ revisionAbove: 0.5 }))).toBeInstanceOf(ArgumentError);
  });

  test('MemoryKeyStore writes each save above every revision of the name, also when another keyset replaces it or after delete', async () => {
    const store = new MemoryKeyStore(backend);
    const first = await Keyset.generate(backend, { purpose: 'shared' });
    for (let i = 0; i < 3; i++) await store.save('zone', first);
    const saved = (await store.load('zone'))!.revision;
    expect(saved).toBe(3);
    await store.save('zone', await Keyset.generate(backend, { purpose: 'shared' }));
    expect((await store.load('zone'))!.revision).toBe(4);
    store.delete('zone');
    await store.save('zone', await Keyset.generate(backend, { purpose: 'shared' }));
    expect((await store.load('zone'))!.revision).toBe(5);
  });
});

/* ------------------------------------------------------------------------------------------ */

const adminSigning: SigningKey = backend.generateKey('Ed25519');
const adminPublic: VerifyingKey = backend.publicKey(adminSigning);
const producerPublic: VerifyingKey = backend.publicKey(backend.generateKey('Ed25519'));
const cameraPublic: VerifyingKey = backend.publicKey(backend.generateKey('Ed25519'));
const options = { backend, now: () => NOW };
const anchors = new TrustStore(options);
const adminKid = (await anchors.add({ key: adminPublic, issuer: 'city-trust-admin', roles: ['trust-store'] })).kid;
const cameraKid = await coseKeyThumbprint(await coseKeyFromHandle(backend, cameraPublic), backend);
const producerKid = await coseKeyThumbprint(await coseKeyFromHandle(backend, producerPublic), backend);

/** A document of `serial` trusting the producer and the camera, the camera revoked when `revoked`. */
async function document(serial: number, revoked: boolean): Promise<Uint8Array> {
  const published = new TrustStore(options);
  await published.add({ key: producerPublic, issuer: 'sensor-a' });
  await published.add({ key: cameraPublic, issuer: 'camera-7' });
  if (revoked) published.revoke(cameraKid, { at: NOW - 10, reason: 'lens tampered' });
  return signTrustStoreDocument(published, {
    backend, signer: { key: adminSigning, kid: adminKid }, issuer: 'city-trust-admin', serial, issuedAt: NOW,
  });
}

const serial1 = await document(1, false);
const serial2 = await document(2, true);
const serial3 = await document(3, false);

describe('TrustStore state across a restart', () => {
  test('trust-store serial rollback after restart: a store restored from the state refuses an older document', async () => {
    const state = new MemoryStateStore();
    const a = await TrustStore.restore({ ...options, state });
    await a.update(serial2, { anchors });
    // a dropped; the service restarts from the same state
    const b = await TrustStore.restore({ ...options, state });
    expect(b.serial).toBe(2n);
    const error = await caught(b.update(serial1, { anchors }));
    expect(TrustError.isInstance(error)).toBe(true);
    expect(codeOf(error)).toBe('ERR_TRUST_DOCUMENT_ROLLBACK');
    expect(b.entries()).toEqual([]);
    // a different document claiming the same serial is equivocation, refused too
    expect(codeOf(await caught(b.update(await document(2, false), { anchors })))).toBe('ERR_TRUST_DOCUMENT_ROLLBACK');
  });

  test('sticky revocation after restart: a newer document that omits the revocation leaves the key revoked', async () => {
    const state = new MemoryStateStore();
    const a = await TrustStore.load(serial2, { ...options, anchors, state });
    expect(a.get(cameraKid)?.revokedAt).toBe(NOW - 10);
    const b = await TrustStore.restore({ ...options, state });
    await b.update(serial3, { anchors });
    expect(b.get(cameraKid)).toMatchObject({ revokedAt: NOW - 10, revocationReason: 'lens tampered' });
    expect(codeOf(caught2(() => b.resolve({ kid: cameraKid, alg: -8, issuer: 'camera-7', issuedAt: NOW - 60, role: 'producer' })))).toBe('ERR_TRUST_REVOKED');
    expect(b.get(producerKid)?.revokedAt).toBeUndefined();
  });

  test('a restored store accepts the newest document again, to fill its entries after the restart', async () => {
    const state = new MemoryStateStore();
    await TrustStore.load(serial2, { ...options, anchors, state });
    const b = await TrustStore.restore({ ...options, state });
    await b.update(serial2.slice(), { anchors });
    expect(b.entries()).toHaveLength(2);
    expect(b.get(cameraKid)?.revokedAt).toBe(NOW - 10);
  });

  test('a revocation made by hand outlives the restart once saveState() resolves', async () => {
    const state = new MemoryStateStore();
    const a = await TrustStore.load(serial1, { ...options, anchors, state });
    a.revoke(producerKid, { at: NOW - 5, reason: 'seen on a black market' });
    await a.saveState();
    const b = await TrustStore.restore({ ...options, state });
    await b.update(serial3, { anchors });
    expect(b.get(producerKid)).toMatchObject({ revokedAt: NOW - 5, revocationReason: 'seen on a black market' });
  });

  test('the state is saved before a document takes effect: a failing save refuses the update and keeps the old entries', async () => {
    const inner = new MemoryStateStore();
    let failing = false;
    const state: StateStore = {
      load: () => inner.load(),
      save: (bytes) => {
        if (failing) throw new KeyStoreError('ERR_KEYSTORE_IO', 'disk full');
        inner.save(bytes);
      },
    };
    const trust = await TrustStore.load(serial1, { ...options, anchors, state });
    failing = true;
    expect(codeOf(await caught(trust.update(serial2, { anchors })))).toBe('ERR_KEYSTORE_IO');
    expect(trust.serial).toBe(1n);
    expect(trust.get(cameraKid)?.revokedAt).toBeUndefined();
  });

  test('a damaged state is ERR_KEYSTORE_CORRUPT, never an empty state', async () => {
    const state = new MemoryStateStore();
    await TrustStore.load(serial2, { ...options, anchors, state });
    const good = state.load()!;
    for (const bad of [good.subarray(0, good.length - 1), new Uint8Array(0), encodeCbor(new Map([[1, 2]])), encodeCbor(new Map<CborValue, CborValue>([[1, 1], [4, [[new Uint8Array(0), 1]]]]))]) {
      state.save(bad);
      const error = await caught(TrustStore.restore({ ...options, state }));
      expect(KeyStoreError.isInstance(error)).toBe(true);
      expect(codeOf(error)).toBe('ERR_KEYSTORE_CORRUPT');
    }
  });

  test('the state codec round-trips', () => {
    const state = { document: { serial: (1n << 64n) - 1n, digest: new Uint8Array(32).fill(7) }, revocations: [{ kid: new Uint8Array([2]), at: 5, reason: 'r' }, { kid: new Uint8Array([1]), at: 9, reason: undefined }] };
    const decoded = decodeTrustState(encodeTrustState(state));
    expect(decoded.document).toEqual(state.document);
    expect(decoded.revocations).toEqual([state.revocations[1], state.revocations[0]]);
  });

  test('the constructor refuses a state (it could not read it); restore() needs a StateStore', async () => {
    expect(() => new TrustStore({ ...options, state: new MemoryStateStore() } as never)).toThrow(ArgumentError);
    expect(await caught(TrustStore.restore({ ...options, state: {} as never }))).toBeInstanceOf(ArgumentError);
  });
});

function caught2(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
