/*
 * The signed trust-store document: the exact format, a round trip, who may sign one, strict
 * decoding of what an anchor signed, limits, rollback and the equal-serial rule, atomic
 * update (the old entries survive every failure), sticky revocation, and hostile input
 * (random bytes, mutations, bit flips, truncations, and mutated payloads signed by a real
 * anchor) that may only ever produce WardErrors and leave the store unchanged.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { caught, errorChain, spying } from '../../test-kit/spying.js';
import { flipBit, toHex } from '../../test-kit/cose-vectors.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import { CborTag, decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { CoseAlgorithm } from '../cose/algorithms.js';
import { HeaderLabel, decodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { createSign1 } from '../cose/sign1.js';
import { ArgumentError, TrustError, WardError } from '../errors.js';
import { coseKeyFromHandle, coseKeyThumbprint } from './cose-key.js';
import {
  DEFAULT_TRUST_DOCUMENT_LIMITS, TRUST_STORE_CONTENT_TYPE, decodeTrustStorePayload, signTrustStoreDocument,
} from './trust-store-document.js';
import { TrustStore } from './trust-store.js';
import type { TrustedKey } from './trust-store-document.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const NOW = 1_767_225_600;
const ADMIN = 'city-trust-admin';
const m = (...entries: [CborValue, CborValue][]): Map<CborValue, CborValue> => new Map(entries);

const adminSigning: SigningKey = backend.generateKey('Ed25519');
const adminPublic: VerifyingKey = backend.publicKey(adminSigning);
const edSigning: SigningKey = backend.generateKey('Ed25519', { extractable: true });
const edPublic: VerifyingKey = backend.publicKey(edSigning);
const esSigning: SigningKey = backend.generateKey('ECDSA-P256', { extractable: true });
const esPublic: VerifyingKey = backend.publicKey(esSigning);
const thirdPublic: VerifyingKey = backend.publicKey(backend.generateKey('Ed25519'));

const clock = { now: NOW };
const options = { backend, now: () => clock.now };
const anchors = new TrustStore(options);
const adminKid = (await anchors.add({ key: adminPublic, issuer: ADMIN, roles: ['trust-store'] })).kid;

/* What the admin publishes: two producers, one of them windowed and revoked. */
const published = new TrustStore(options);
const edEntry = await published.add({ key: edPublic, issuer: 'sensor-a' });
await published.add({ key: esPublic, issuer: 'camera-7', roles: ['producer', 'rewrap'], notBefore: NOW - 1000, notAfter: NOW + 1000 });
const esEntry = published.revoke((await coseKeyThumbprint(await coseKeyFromHandle(backend, esPublic), backend)), { at: NOW - 10, reason: 'lens tampered' });
const edX = (edEntry.coseKey as { x: Uint8Array }).x;

async function sign(serial: number | bigint, entries: readonly TrustedKey[] | TrustStore = published, issuedAt = NOW): Promise<Uint8Array> {
  return signTrustStoreDocument(entries, { backend, signer: { key: adminSigning, kid: adminKid }, issuer: ADMIN, serial, issuedAt });
}

interface CraftOptions {
  readonly protectedHeader?: HeaderMap;
  readonly unprotectedHeader?: HeaderMap;
  readonly key?: SigningKey;
  readonly kid?: Uint8Array;
  readonly issuer?: string;
  readonly issuedAt?: number;
}

/** A document signed by the real anchor around any payload and headers: what a buggy or hostile publisher could send. */
async function craft(payload: CborValue | Uint8Array, o: CraftOptions = {}): Promise<Uint8Array> {
  const bytes = payload instanceof Uint8Array ? payload : encodeCbor(payload);
  const protectedHeader = o.protectedHeader ?? new Map<number | string, CborValue>([
    [HeaderLabel.contentType, TRUST_STORE_CONTENT_TYPE],
    [HeaderLabel.cwtClaims, m([1, o.issuer ?? ADMIN], [6, o.issuedAt ?? NOW])],
  ]);
  return createSign1(bytes, {
    backend, key: o.key ?? adminSigning, kid: o.kid ?? adminKid, protectedHeader,
    ...(o.unprotectedHeader === undefined ? {} : { unprotectedHeader: o.unprotectedHeader }),
  });
}

const edKeyMap = (): Map<CborValue, CborValue> => m([1, 1], [3, -8], [-1, 6], [-2, edX]);
const entryMap = (...extra: [CborValue, CborValue][]): Map<CborValue, CborValue> =>
  m([1, edKeyMap()], [2, 'sensor-a'], [3, ['producer']], ...extra);
const payloadMap = (entries: CborValue[] = [entryMap()], serial: CborValue = 9, issuedAt: CborValue = NOW): Map<CborValue, CborValue> =>
  m([1, 1], [2, serial], [3, issuedAt], [4, entries]);

/** A store holding document serial 1 (the published entries). */
async function loaded(): Promise<TrustStore> {
  return TrustStore.load(await sign(1), { ...options, anchors });
}

/** Asserts `update` is refused with `code` and leaves entries and serial exactly as they were. */
async function refused(trust: TrustStore, document: Uint8Array, code = 'ERR_TRUST_DOCUMENT_INVALID', via = anchors): Promise<TrustError> {
  const before = trust.entries();
  const serial = trust.serial;
  const error = await caught(trust.update(document, { anchors: via }));
  expect(TrustError.isInstance(error), String(error)).toBe(true);
  expect((error as TrustError).code).toBe(code);
  const after = trust.entries();
  expect(after).toHaveLength(before.length);
  after.forEach((entry, i) => expect(entry).toBe(before[i]));
  expect(trust.serial).toBe(serial);
  return error as TrustError;
}

const causeCodes = (error: unknown): string[] => errorChain(error).slice(1).map((e) => (e as WardError).code);

describe('signTrustStoreDocument: the format', () => {
  test('a tagged COSE_Sign1: protected alg, content type, kid and CWT iss/iat; empty unprotected; the documented payload', async () => {
    const document = await sign(5n);
    const outer = decodeCbor(document) as CborTag;
    expect(outer).toBeInstanceOf(CborTag);
    expect(outer.tag).toBe(18);
    const [protectedBytes, unprotected, payload] = outer.value as [Uint8Array, Map<CborValue, CborValue>, Uint8Array, Uint8Array];
    expect(decodeProtectedHeader(protectedBytes)).toEqual(new Map<number | string, CborValue>([
      [1, CoseAlgorithm.EdDSA], [3, 'application/ward-trust-store+cbor'], [4, adminKid], [15, m([1, ADMIN], [6, NOW])],
    ]));
    expect(unprotected).toEqual(new Map());

    const sorted = [edEntry, esEntry].sort((a, b) => (toHex(a.kid) < toHex(b.kid) ? -1 : 1));
    const es = esEntry.coseKey as { x: Uint8Array; y: Uint8Array };
    const expectedEntry = (entry: TrustedKey): Map<CborValue, CborValue> => entry === edEntry
      ? m([1, m([1, 1], [3, -8], [-1, 6], [-2, edX])], [2, 'sensor-a'], [3, ['producer']])
      : m([1, m([1, 2], [3, -7], [-1, 1], [-2, es.x], [-3, es.y])], [2, 'camera-7'], [3, ['producer', 'rewrap']],
        [4, NOW - 1000], [5, NOW + 1000], [6, NOW - 10], [7, 'lens tampered']);
    expect(decodeCbor(payload, { requireDeterministic: true })).toEqual(m([1, 1], [2, 5], [3, NOW], [4, sorted.map(expectedEntry)]));
    expect(toHex(encodeCbor(payloadMap(sorted.map(expectedEntry), 5)))).toBe(toHex(payload));
  });

  test('deterministic: the same entries in another order give the same bytes', async () => {
    expect(toHex(await sign(3, [esEntry, edEntry]))).toBe(toHex(await sign(3, [edEntry, esEntry])));
    expect(toHex(await sign(3, published))).toBe(toHex(await sign(3, [esEntry, edEntry])));
  });

  test('refuses entries whose kid is not their thumbprint (documents carry thumbprint kids only), duplicates and bad options', async () => {
    const custom = await new TrustStore(options).add({ key: thirdPublic, issuer: 'x', kid: te.encode('x#1') });
    await expect(sign(1, [custom])).rejects.toThrow(ArgumentError);
    await expect(sign(1, [edEntry, edEntry])).rejects.toThrow(ArgumentError);
    for (const serial of [-1, 1.5, 1n << 64n, -1n]) await expect(sign(serial)).rejects.toThrow(ArgumentError);
    await expect(sign(1, published, -5)).rejects.toThrow(ArgumentError);
    const base = { backend, signer: { key: adminSigning, kid: adminKid }, serial: 1 };
    await expect(signTrustStoreDocument(published, { ...base, issuer: '' })).rejects.toThrow(ArgumentError);
    await expect(signTrustStoreDocument(published, { ...base, issuer: ADMIN, limits: { maxEntries: 1 } })).rejects.toThrow(ArgumentError);
    await expect(signTrustStoreDocument(published, { ...base, issuer: ADMIN, limits: { maxDocumentBytes: 100 } })).rejects.toThrow(ArgumentError);
  });

  test('the default limits are 4 MiB and 10,000 entries', () => {
    expect(DEFAULT_TRUST_DOCUMENT_LIMITS).toEqual({ maxDocumentBytes: 4 * 1024 * 1024, maxEntries: 10_000 });
  });
});

describe('TrustStore.load', () => {
  test('round trip: the loaded store holds the published entries (kids recomputed as thumbprints), with the document serial', async () => {
    const trust = await TrustStore.load(await sign(5n), { ...options, anchors });
    expect(trust.serial).toBe(5n);
    const view = (entry: TrustedKey | undefined) => JSON.parse(JSON.stringify(entry)) as unknown;
    expect(trust.entries()).toHaveLength(2);
    for (const entry of [edEntry, esEntry]) expect(view(trust.get(entry.kid))).toEqual(view(entry));
    /* The loaded keys verify: resolve hands out a working handle of the store's backend. */
    const { key } = trust.resolve({ kid: edEntry.kid, alg: -8, issuer: 'sensor-a', issuedAt: NOW, role: 'producer' });
    const message = te.encode('m');
    expect(backend.verify(key, message, backend.sign(edSigning, message))).toBe(true);
  });

  test('a refused document is a TrustError ERR_TRUST_DOCUMENT_INVALID', async () => {
    const error = await caught(TrustStore.load(await craft(payloadMap([], 1), { issuer: 'someone-else' }), { ...options, anchors }));
    expect((error as TrustError).code).toBe('ERR_TRUST_DOCUMENT_INVALID');
    expect(causeCodes(error)).toContain('ERR_TRUST_ISSUER_MISMATCH');
  });
});

describe('TrustStore.update: who may sign a document', () => {
  test('forgery: a signer that is not an anchor is refused (cause ERR_TRUST_UNKNOWN_SIGNER)', async () => {
    const trust = await loaded();
    const error = await refused(trust, await craft(payloadMap(), { key: edSigning, kid: edEntry.kid }));
    expect(causeCodes(error)).toContain('ERR_TRUST_UNKNOWN_SIGNER');
  });

  test('role confusion: a producer key that is trusted, but not for trust-store, is refused (cause ERR_TRUST_ROLE)', async () => {
    const trust = await loaded();
    /* The store itself as anchors: it trusts edPublic, as a producer only. */
    const error = await refused(trust, await craft(payloadMap(), { key: edSigning, kid: edEntry.kid, issuer: 'sensor-a' }), undefined, trust);
    expect(causeCodes(error)).toContain('ERR_TRUST_ROLE');
  });

  test('impersonation: an anchor signing as another issuer is refused (cause ERR_TRUST_ISSUER_MISMATCH)', async () => {
    const error = await refused(await loaded(), await craft(payloadMap(), { issuer: 'other-admin' }));
    expect(causeCodes(error)).toContain('ERR_TRUST_ISSUER_MISMATCH');
  });

  test('a revoked anchor is refused (cause ERR_TRUST_REVOKED), a future-dated document too (cause ERR_TRUST_NOT_VALID)', async () => {
    const trust = await loaded();
    const revokedAnchors = new TrustStore(options);
    await revokedAnchors.add({ key: adminPublic, issuer: ADMIN, roles: ['trust-store'] });
    revokedAnchors.revoke(adminKid, { at: NOW - 1 });
    expect(causeCodes(await refused(trust, await sign(2), undefined, revokedAnchors))).toContain('ERR_TRUST_REVOKED');
    expect(causeCodes(await refused(trust, await sign(2, published, NOW + 86_400)))).toContain('ERR_TRUST_NOT_VALID');
  });

  test('a bad signature is refused (cause ERR_SIGNATURE_INVALID)', async () => {
    const document = await sign(2);
    const error = await refused(await loaded(), flipBit(document, document.length * 8 - 1));
    expect(causeCodes(error)).toContain('ERR_SIGNATURE_INVALID');
  });
});

describe('TrustStore.update: strict decoding of what an anchor signed', () => {
  const CT = TRUST_STORE_CONTENT_TYPE;
  const claims = m([1, ADMIN], [6, NOW]);
  const header = (...entries: [number | string, CborValue][]): HeaderMap => new Map(entries);
  const cases: [string, () => Promise<Uint8Array>][] = [
    ['another content type', () => craft(payloadMap(), { protectedHeader: header([3, 'application/cbor'], [15, claims]) })],
    ['no content type', () => craft(payloadMap(), { protectedHeader: header([15, claims]) })],
    ['an unknown protected parameter', () => craft(payloadMap(), { protectedHeader: header([3, CT], [15, claims], [-65537, 1]) })],
    ['an unprotected parameter', () => craft(payloadMap(), { unprotectedHeader: header([-65537, 1]) })],
    ['an unknown CWT claim', () => craft(payloadMap(), { protectedHeader: header([3, CT], [15, m([1, ADMIN], [6, NOW], [2, 'sub'])]) })],
    ['payload issuedAt other than the CWT iat', () => craft(payloadMap([entryMap()], 9, NOW - 1))],
    ['a payload that is not a map', () => craft([1, 9, NOW, []])],
    ['an unknown payload field', () => craft(m([1, 1], [2, 9], [3, NOW], [4, []], [5, 0]))],
    ['version 2', () => craft(m([1, 2], [2, 9], [3, NOW], [4, []]))],
    ['no version', () => craft(m([2, 9], [3, NOW], [4, []]))],
    ['a negative serial', () => craft(payloadMap([], -1))],
    ['a text serial', () => craft(payloadMap([], '9'))],
    ['entries not an array', () => craft(payloadMap(m() as never))],
    ['an entry that is not a map', () => craft(payloadMap([[edKeyMap(), 'sensor-a', ['producer']]]))],
    ['an unknown entry field', () => craft(payloadMap([entryMap([8, true])]))],
    ['an entry without issuer', () => craft(payloadMap([m([1, edKeyMap()], [3, ['producer']])]))],
    ['an empty issuer', () => craft(payloadMap([m([1, edKeyMap()], [2, ''], [3, ['producer']])]))],
    ['no roles', () => craft(payloadMap([m([1, edKeyMap()], [2, 'sensor-a'])]))],
    ['an unknown role', () => craft(payloadMap([m([1, edKeyMap()], [2, 'sensor-a'], [3, ['admin']])]))],
    ['a repeated role', () => craft(payloadMap([m([1, edKeyMap()], [2, 'sensor-a'], [3, ['producer', 'producer']])]))],
    ['notBefore not before notAfter', () => craft(payloadMap([entryMap([4, NOW], [5, NOW])]))],
    ['a fractional time', () => craft(payloadMap([entryMap([5, NOW + 0.5])]))],
    ['a reason without revokedAt', () => craft(payloadMap([entryMap([7, 'why'])]))],
    ['a private key (d)', async () => {
      const d = await backend.exportKey(edSigning);
      return craft(payloadMap([m([1, m([1, 1], [3, -8], [-1, 6], [-2, edX], [-4, d])], [2, 'sensor-a'], [3, ['producer']])]));
    }],
    ['a symmetric key', () => craft(payloadMap([m([1, m([1, 4], [3, 3], [-1, new Uint8Array(32)])], [2, 'sensor-a'], [3, ['producer']])]))],
    ['a kid inside the COSE_Key', () => craft(payloadMap([m([1, m([1, 1], [2, te.encode('k')], [3, -8], [-1, 6], [-2, edX])], [2, 'a'], [3, ['producer']])]))],
    ['key_ops inside the COSE_Key', () => craft(payloadMap([m([1, m([1, 1], [3, -8], [4, [2]], [-1, 6], [-2, edX])], [2, 'a'], [3, ['producer']])]))],
    ['a key without alg', () => craft(payloadMap([m([1, m([1, 1], [-1, 6], [-2, edX])], [2, 'a'], [3, ['producer']])]))],
    ['an X25519 key', () => craft(payloadMap([m([1, m([1, 1], [3, -8], [-1, 4], [-2, edX])], [2, 'a'], [3, ['producer']])]))],
    ['an Ed25519 key with alg ES256', () => craft(payloadMap([m([1, m([1, 1], [3, -7], [-1, 6], [-2, edX])], [2, 'a'], [3, ['producer']])]))],
    ['a P-256 point not on the curve', () => craft(payloadMap([m([1, m([1, 2], [3, -7], [-1, 1], [-2, new Uint8Array(32).fill(1)], [-3, new Uint8Array(32).fill(2)])], [2, 'a'], [3, ['producer']])]))],
    ['the same key twice (duplicate kid)', () => craft(payloadMap([entryMap(), m([1, edKeyMap()], [2, 'sensor-b'], [3, ['rewrap']])]))],
    ['a payload that is not deterministically encoded', () => {
      const bytes = encodeCbor(payloadMap());
      expect(toHex(bytes.subarray(0, 3))).toBe('a40101');
      return craft(new Uint8Array([0xa4, 0x01, 0x18, 0x01, ...bytes.subarray(3)]));
    }],
    ['trailing bytes after the payload', () => craft(new Uint8Array([...encodeCbor(payloadMap()), 0x00]))],
  ];
  test.each(cases)('refuses %s, keeping the previous entries', async (_name, make) => {
    const trust = await loaded();
    const error = await refused(trust, await make());
    expect(error.message.length).toBeGreaterThan(0);
  });

  test('the crafting helper itself produces acceptable documents', async () => {
    const trust = await loaded();
    await trust.update(await craft(payloadMap()), { anchors });
    expect(trust.serial).toBe(9n);
    expect(trust.entries().map((e) => e.issuer)).toEqual(['sensor-a']);
  });
});

describe('TrustStore.update: limits', () => {
  test('more entries than maxEntries are refused by the decoder before they are allocated', async () => {
    const trust = await loaded();
    const limited = await caught(trust.update(await sign(3), { anchors, limits: { maxEntries: 1 } }));
    expect((limited as TrustError).code).toBe('ERR_TRUST_DOCUMENT_INVALID');
    expect(causeCodes(limited)).toContain('ERR_CBOR_LIMIT');
    expect(trust.serial).toBe(1n);
  });

  test('a document above maxDocumentBytes is refused before any byte is decoded or hashed', async () => {
    const spy = spying(backend);
    const trust = new TrustStore({ ...options, backend: spy.backend });
    const error = await caught(trust.update(new Uint8Array(101), { anchors, limits: { maxDocumentBytes: 100 } }));
    expect((error as TrustError).code).toBe('ERR_TRUST_DOCUMENT_INVALID');
    expect(spy.calls).toEqual([]);
    const huge = await caught(trust.update(new Uint8Array(DEFAULT_TRUST_DOCUMENT_LIMITS.maxDocumentBytes + 1), { anchors }));
    expect((huge as TrustError).code).toBe('ERR_TRUST_DOCUMENT_INVALID');
    expect(spy.calls).toEqual([]);
  });

  test('bad limits and options are ArgumentErrors', async () => {
    const trust = await loaded();
    for (const limits of [{ maxEntries: 0 }, { maxDocumentBytes: -1 }, { maxEntries: 1.5 }]) {
      await expect(trust.update(await sign(2), { anchors, limits })).rejects.toThrow(ArgumentError);
    }
    await expect(trust.update(await sign(2), {} as never)).rejects.toThrow(ArgumentError);
    await expect(trust.update('doc' as never, { anchors })).rejects.toThrow(ArgumentError);
  });
});

describe('TrustStore.update: serials and atomic replacement', () => {
  test('a newer serial replaces every entry', async () => {
    const trust = await loaded();
    const next = new TrustStore(options);
    const third = await next.add({ key: thirdPublic, issuer: 'sensor-c' });
    await trust.update(await sign(2, next), { anchors });
    expect(trust.serial).toBe(2n);
    expect(trust.entries().map((e) => toHex(e.kid))).toEqual([toHex(third.kid)]);
    expect(trust.get(edEntry.kid)).toBeUndefined();
  });

  test('rollback: a lower serial is ERR_TRUST_DOCUMENT_ROLLBACK', async () => {
    const trust = await TrustStore.load(await sign(10), { ...options, anchors });
    await refused(trust, await sign(9), 'ERR_TRUST_DOCUMENT_ROLLBACK');
    await refused(trust, await sign(0), 'ERR_TRUST_DOCUMENT_ROLLBACK');
  });

  test('equal serial: the identical document is a no-op; a different one is ERR_TRUST_DOCUMENT_ROLLBACK', async () => {
    const document = await sign(4);
    const trust = await TrustStore.load(document, { ...options, anchors });
    const before = trust.entries();
    await trust.update(document.slice(), { anchors });
    trust.entries().forEach((entry, i) => expect(entry).toBe(before[i]));
    await refused(trust, await sign(4, [edEntry]), 'ERR_TRUST_DOCUMENT_ROLLBACK');
    await refused(trust, await sign(4, published, NOW - 1), 'ERR_TRUST_DOCUMENT_ROLLBACK');
  });

  test('serials up to 2^64 - 1 are read as bigints', async () => {
    const trust = await TrustStore.load(await sign((1n << 64n) - 1n), { ...options, anchors });
    expect(trust.serial).toBe(18446744073709551615n);
  });

  test('concurrent updates end on the highest serial', async () => {
    const trust = await loaded();
    const [three, two] = [await sign(3), await sign(2)];
    await Promise.allSettled([trust.update(three, { anchors }), trust.update(two, { anchors })]);
    expect(trust.serial).toBe(3n);
  });
});

describe('TrustStore.update: revocation is sticky', () => {
  test('a local revocation survives a newer document that lists the key unrevoked, or drops and re-adds it', async () => {
    const trust = await loaded();
    trust.revoke(edEntry.kid, { at: NOW - 100, reason: 'seen on a black market' });
    await trust.update(await sign(2), { anchors });
    expect(trust.get(edEntry.kid)).toMatchObject({ revokedAt: NOW - 100, revocationReason: 'seen on a black market' });
    await trust.update(await sign(3, [esEntry]), { anchors });
    expect(trust.get(edEntry.kid)).toBeUndefined();
    await trust.update(await sign(4, [edEntry]), { anchors });
    expect(trust.get(edEntry.kid)).toMatchObject({ revokedAt: NOW - 100 });
  });

  test('a revocation from a document survives a later document without it; the earliest time wins', async () => {
    const trust = await loaded();
    expect(trust.get(esEntry.kid)).toMatchObject({ revokedAt: NOW - 10 });
    const unrevoked = new TrustStore(options);
    await unrevoked.add({ key: esPublic, issuer: 'camera-7' });
    await trust.update(await sign(2, unrevoked), { anchors });
    expect(trust.get(esEntry.kid)).toMatchObject({ revokedAt: NOW - 10, revocationReason: 'lens tampered' });
    unrevoked.revoke(esEntry.kid, { at: NOW - 500, reason: 'earlier' });
    await trust.update(await sign(3, unrevoked), { anchors });
    expect(trust.get(esEntry.kid)).toMatchObject({ revokedAt: NOW - 500, revocationReason: 'earlier' });
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('hostile input', () => {
  /** The store loads serial 1; the candidate documents claim serial 2. */
  async function expectOnlyWardErrors(document: Uint8Array, trust: TrustStore): Promise<void> {
    const before = trust.entries();
    const serial = trust.serial;
    try {
      await trust.update(document, { anchors });
    } catch (error) {
      expect(WardError.isInstance(error), String(error)).toBe(true);
      expect(TrustError.isInstance(error)).toBe(true);
      expect(trust.serial).toBe(serial);
      trust.entries().forEach((entry, i) => expect(entry).toBe(before[i]));
      return;
    }
    expect.unreachable('a hostile document was accepted');
  }

  test('random bytes only ever throw WardErrors and leave the store unchanged', async () => {
    const trust = await loaded();
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), (bytes) => expectOnlyWardErrors(bytes, trust)), { numRuns: 300 });
  });

  test('bit flips in a valid document (sampled over every bit position) are rejected', async () => {
    const trust = await loaded();
    const document = await sign(2);
    const bits = document.length * 8;
    await fc.assert(fc.asyncProperty(fc.nat(bits - 1), (bit) => expectOnlyWardErrors(flipBit(document, bit), trust)), { numRuns: 250 });
  });

  test('mutated and truncated valid documents are rejected', async () => {
    const trust = await loaded();
    const document = await sign(2);
    const mutation = fc.array(fc.tuple(fc.nat(document.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 });
    await fc.assert(fc.asyncProperty(mutation, async (changes) => {
      const copy = document.slice();
      for (const [index, delta] of changes) copy[index] = (copy[index]! + delta) & 0xff;
      fc.pre(toHex(copy) !== toHex(document));
      await expectOnlyWardErrors(copy, trust);
    }), { numRuns: 150 });
    for (let length = 0; length < document.length; length++) await expectOnlyWardErrors(document.subarray(0, length), trust);
  });

  test('mutated payloads signed by a real anchor only ever throw WardErrors (or load as a well-formed document)', async () => {
    const payload = encodeCbor(payloadMap([entryMap([4, NOW - 5], [6, NOW - 1], [7, 'r']), m([1, m([1, 2], [3, -7], [-1, 1],
      [-2, (esEntry.coseKey as { x: Uint8Array }).x], [-3, (esEntry.coseKey as { y: Uint8Array }).y])], [2, 'camera-7'], [3, ['rewrap']])], 2));
    const mutation = fc.array(fc.tuple(fc.nat(payload.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    /* The pure decoder, many times. */
    fc.assert(fc.property(mutation, (changes) => {
      const copy = payload.slice();
      for (const [index, value] of changes) copy[index] = value;
      try {
        decodeTrustStorePayload(copy, DEFAULT_TRUST_DOCUMENT_LIMITS);
      } catch (error) {
        expect(WardError.isInstance(error), String(error)).toBe(true);
      }
    }), { numRuns: 2000 });
    /* The whole update, signed by the anchor, fewer times (a fresh store only after a mutation that still loads). */
    const first = await sign(1);
    let trust = await TrustStore.load(first, { ...options, anchors });
    await fc.assert(fc.asyncProperty(mutation, async (changes) => {
      if (trust.serial !== 1n) trust = await TrustStore.load(first, { ...options, anchors });
      const before = trust.entries();
      const copy = payload.slice();
      for (const [index, value] of changes) copy[index] = value;
      try {
        await trust.update(await craft(copy), { anchors });
        /* Still a valid document (a changed text, a changed time): then it is fully applied. */
        expect(trust.serial).toBeGreaterThan(1n);
      } catch (error) {
        expect(TrustError.isInstance(error), String(error)).toBe(true);
        expect(trust.serial).toBe(1n);
        trust.entries().forEach((entry, i) => expect(entry).toBe(before[i]));
      }
    }), { numRuns: 80 });
  });
});
