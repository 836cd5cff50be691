/*
 * rewrapEnvelope(): the payload ciphertext and the producer's facts are carried over byte for byte,
 * the recipient layer is new, the authority is recorded and must be trusted, and the inner
 * AAD still binds the producer's protected header (SPEC.md §Re-wrap).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { errorChain, spying } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { VerifyingKey } from '../backend/crypto-backend.js';
import { CborTag, decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { CoseAlgorithm } from '../cose/algorithms.js';
import { buildRecipient } from '../cose/encrypt.js';
import { decodeProtectedHeader, encodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { CoseTag } from '../cose/message.js';
import { signEncodedSign1, verifySign1 } from '../cose/sign1.js';
import { ArgumentError, EnvelopeError, ReplayError, WardError } from '../errors.js';
import { Keyset } from '../keys/keyset.js';
import { MemoryReplayStore } from '../replay/memory-replay-store.js';
import { openEnvelope } from './open.js';
import { AttributeKey, RewrapRecordKey, WardHeaderLabel } from '../profile/labels.js';
import { rewrapEnvelope, rewrapEnvelopeInParts } from './rewrap.js';
import type { RewrapOptions } from './rewrap.js';
import { sealEnvelope } from './seal.js';
import { verifyEnvelope } from './verify.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const codes = (error: unknown): (string | undefined)[] => errorChain(error).map((e) => (WardError.isInstance(e) ? e.code : undefined));

const PAYLOAD = te.encode('{"camera":"c-12","event":"person-down","frame":"…"}');
const claims = { issuer: 'cctv-12', subject: 'incidents/market', sequence: 77 };
const attributes = { classification: 'special-category', zone: 'market', purpose: ['emergency'] };

const producerKey = backend.generateKey('Ed25519');
const producer = { key: producerKey, kid: te.encode('cctv-12') };
const producerPublic: VerifyingKey = backend.publicKey(producerKey);
const authorityKey = backend.generateKey('ECDSA-P256');
const authority = { key: authorityKey, kid: te.encode('archive-authority'), issuer: 'city-archive' };
const authorityPublic: VerifyingKey = backend.publicKey(authorityKey);
const trust = ({ kid }: { kid: Uint8Array | undefined }) => (kid !== undefined && hex(kid) === hex(producer.kid) ? producerPublic : undefined);
const rewrapAuthorities = ({ kid }: { kid: Uint8Array | undefined }) => (kid !== undefined && hex(kid) === hex(authority.kid) ? authorityPublic : undefined);

async function setup() {
  const analysts = await Keyset.generate(backend, { purpose: 'recipient' });
  const archive = await Keyset.generate(backend, { purpose: 'recipient', algorithm: 'ECDH-P256' });
  const envelope = await sealEnvelope(PAYLOAD, {
    backend, signer: producer, recipients: [await analysts.recipient(), await archive.recipient()], claims, attributes,
  });
  const options = (extra?: Partial<RewrapOptions>): RewrapOptions => ({
    backend, trust, rewrapAuthorities, recipient: archive.recipientKey(), recipients: [], authority, rewrappedAt: 1_900_000_000, ...extra,
  });
  return { analysts, archive, envelope, options };
}

/** The Sign1 fields and the inner COSE_Encrypt fields of an envelope. */
function layers(envelope: Uint8Array) {
  const sign1 = (decodeCbor(envelope) as CborTag).value as CborValue[];
  const encrypt = (decodeCbor(sign1[2] as Uint8Array) as CborTag).value as CborValue[];
  return { sign1, header: decodeProtectedHeader(sign1[0] as Uint8Array), encrypt };
}

describe('rewrap', () => {
  test('keeps the content layer byte for byte and replaces the recipients', async () => {
    const { analysts, archive, envelope, options } = await setup();
    await analysts.rotate();
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await analysts.recipient(), await archive.recipient()] }));
    const before = layers(envelope).encrypt;
    const after = layers(rewrapped).encrypt;
    expect(after[0]).toEqual(before[0]); // content protected header
    expect(after[1]).toEqual(before[1]); // IV and ciphertext digest
    expect(after[2]).toBeNull(); // the ciphertext stays detached…
    const ciphertext = (layers(rewrapped).sign1[1] as HeaderMap).get(WardHeaderLabel.detachedCiphertext);
    expect(ciphertext).toBeInstanceOf(Uint8Array);
    expect(ciphertext).toEqual((layers(envelope).sign1[1] as HeaderMap).get(WardHeaderLabel.detachedCiphertext)); // …and untouched
    expect(after[3]).not.toEqual(before[3]);
    expect((after[3] as unknown[]).length).toBe(2);
  });

  test('the new recipient opens it with identical plaintext and the producer facts; the authority is recorded', async () => {
    const { analysts, archive, envelope, options } = await setup();
    const before = await verifyEnvelope(envelope, { backend, trust });
    await analysts.rotate();
    const oldKid = analysts.keys()[0]!.kid;
    analysts.retire(oldKid);
    await analysts.destroy(oldKid);
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await analysts.recipient(), await archive.recipient()] }));
    const { plaintext, facts } = await openEnvelope(rewrapped, { backend, trust, rewrapAuthorities, recipient: analysts.recipientKey() });
    expect(plaintext).toEqual(PAYLOAD);
    expect(facts.provenance).toEqual(before.provenance);
    expect(facts.attributes).toEqual(before.attributes);
    expect(facts.signer).toEqual(before.signer);
    expect(facts.rewrap).toMatchObject({ issuer: 'city-archive', kid: authority.kid, alg: -7, rewrappedAt: 1_900_000_000 });
    expect(facts.rewrap!.originSignature).toEqual(layers(envelope).sign1[3]);
    /* The original envelope, sealed to the destroyed key, no longer opens for the analysts. */
    await expect(openEnvelope(envelope, { backend, trust, recipient: analysts.recipientKey() })).rejects.toThrow(EnvelopeError);
  });

  test('a removed recipient cannot open the re-wrapped copy', async () => {
    const { analysts, archive, envelope, options } = await setup();
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()] }));
    await expect(openEnvelope(envelope, { backend, trust, recipient: analysts.recipientKey() })).resolves.toBeDefined();
    const error = await openEnvelope(rewrapped, { backend, trust, rewrapAuthorities, recipient: analysts.recipientKey() }).catch((e: unknown) => e);
    expect(codes(error)).toContain('ERR_DECRYPTION_FAILED');
  });

  test('verifiers that trust no re-wrap authority refuse re-wrapped envelopes (ERR_TRUST_ROLE)', async () => {
    const { archive, envelope, options } = await setup();
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()] }));
    expect(codes(await verifyEnvelope(rewrapped, { backend, trust }).catch((e: unknown) => e))).toEqual(['ERR_ENVELOPE_INVALID', 'ERR_TRUST_ROLE']);
    /* A producer key is not a re-wrap authority, even when it signs a well-formed record. */
    const impostor = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()], authority: { ...producer, issuer: 'cctv-12' } }));
    await expect(verifyEnvelope(impostor, { backend, trust, rewrapAuthorities })).rejects.toThrow(EnvelopeError);
  });

  test('a producer that is no longer trusted is refused even behind a trusted authority', async () => {
    const { archive, envelope, options } = await setup();
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()] }));
    const error = await verifyEnvelope(rewrapped, { backend, trust: () => undefined, rewrapAuthorities }).catch((e: unknown) => e);
    expect(codes(error)).toEqual(['ERR_ENVELOPE_INVALID', 'ERR_TRUST_UNKNOWN_SIGNER']);
  });

  test('the inner AAD still binds the producer header: editing the recorded facts without re-encrypting yields no plaintext', async () => {
    const { archive, envelope, options } = await setup();
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()] }));
    const { sign1, header } = layers(rewrapped);
    const record = header.get(WardHeaderLabel.rewrap) as Map<CborValue, CborValue>;
    const origin = decodeProtectedHeader(record.get(RewrapRecordKey.originProtected) as Uint8Array);
    (origin.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set(AttributeKey.classification, 'public');
    record.set(RewrapRecordKey.originProtected, encodeProtectedHeader(origin));
    const forged = await signEncodedSign1(sign1[2] as Uint8Array, encodeProtectedHeader(header), sign1[1] as HeaderMap, { backend, key: authorityKey });
    const facts = await verifyEnvelope(forged, { backend, trust, rewrapAuthorities });
    expect(facts.attributes.classification).toBe('public'); // the authority's word, verified as its signature
    const error = await openEnvelope(forged, { backend, trust, rewrapAuthorities, recipient: archive.recipientKey() }).catch((e: unknown) => e);
    expect(codes(error)).toContain('ERR_DECRYPTION_FAILED');
  });

  test('any flipped bit of a re-wrapped envelope is refused by open', async () => {
    const { archive, envelope, options } = await setup();
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()] }));
    for (let i = 0; i < rewrapped.length; i += Math.max(1, Math.floor(rewrapped.length / 97))) {
      const flipped = rewrapped.slice();
      flipped[i]! ^= 0x04;
      await expect(openEnvelope(flipped, { backend, trust, rewrapAuthorities, recipient: archive.recipientKey() })).rejects.toThrow(WardError);
    }
  });

  test('re-wrapping a re-wrapped envelope keeps the producer record and names the latest authority', async () => {
    const { analysts, archive, envelope, options } = await setup();
    const once = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()] }));
    const twice = await rewrapEnvelope(once, options({ recipients: [await analysts.recipient()], rewrappedAt: 1_900_000_100 }));
    const { plaintext, facts } = await openEnvelope(twice, { backend, trust, rewrapAuthorities, recipient: analysts.recipientKey() });
    expect(plaintext).toEqual(PAYLOAD);
    expect(facts.rewrap!.rewrappedAt).toBe(1_900_000_100);
    expect(facts.provenance.sequence).toBe(77);
  });

  test('policy before keys: a refusing authorize gate touches no key', async () => {
    const { archive, envelope, options } = await setup();
    const { backend: spy, calls } = spying(backend);
    const denied = new Error('not for re-wrap');
    await expect(rewrapEnvelope(envelope, options({ backend: spy, recipients: [await archive.recipient()], authorize: () => { throw denied; } }))).rejects.toBe(denied);
    expect(calls.filter((c) => ['deriveSharedSecret', 'unwrapKey', 'wrapKey', 'sign'].includes(c))).toEqual([]);
  });

  test('refuses shared-key envelopes, direct recipients, empty recipient sets and a key that does not open it', async () => {
    const { analysts, archive, envelope, options } = await setup();
    const shared = await Keyset.generate(backend, { purpose: 'shared' });
    const single = await sealEnvelope(PAYLOAD, { backend, signer: producer, key: shared.sharedKey(), claims, attributes });
    await expect(rewrapEnvelope(single, options({ recipients: [await archive.recipient()] }))).rejects.toThrow(ArgumentError);
    const direct = { ...(await archive.recipient()), mode: 'direct' as const };
    await expect(rewrapEnvelope(envelope, options({ recipients: [direct] }))).rejects.toThrow(ArgumentError);
    await expect(rewrapEnvelope(envelope, options({ recipients: [] }))).rejects.toThrow(ArgumentError);
    const outsider = await Keyset.generate(backend, { purpose: 'recipient' });
    await expect(rewrapEnvelope(envelope, options({ recipient: outsider.recipientKey(), recipients: [await analysts.recipient()] }))).rejects.toThrow(EnvelopeError);
  });
});

describe('a direct key agreement recipient only as the single recipient, on read too (SPEC.md §2)', () => {
  test('rewrapEnvelope() and openEnvelope() refuse a producer-signed envelope that has a direct recipient beside the authority\'s, and release nothing', async () => {
    const { archive, envelope, options } = await setup();
    /* The trusted producer adds a direct (ECDH-ES+HKDF-256) recipient and signs again: the AAD binding still holds. */
    const [protectedBytes, outside, inner] = (decodeCbor(envelope) as CborTag).value as CborValue[];
    const fields = (decodeCbor(inner as Uint8Array) as CborTag).value as CborValue[];
    const stranger = backend.publicKey(backend.generateKey('X25519'));
    const { structure } = await buildRecipient(backend, { publicKey: stranger, mode: 'direct' }, undefined, CoseAlgorithm.A256GCM, 32);
    const mixedInner = encodeCbor(new CborTag(CoseTag.Encrypt, [fields[0]!, fields[1]!, fields[2]!, [...(fields[3] as CborValue[]), structure]]));
    const mixed = await signEncodedSign1(mixedInner, protectedBytes as Uint8Array, outside as HeaderMap, { backend, key: producerKey });
    const recipients = [await archive.recipient()];
    for (const run of [
      () => rewrapEnvelope(mixed, options({ recipients })),
      () => openEnvelope(mixed, { backend, trust, recipient: archive.recipientKey() }),
    ]) {
      const error = await run().then(() => expect.unreachable('expected a refusal'), (e: unknown) => e);
      expect(EnvelopeError.isInstance(error)).toBe(true);
      expect(codes(error)).toEqual(['ERR_ENVELOPE_INVALID', 'ERR_COSE_MALFORMED']);
    }
  });
});

describe('replay window in verifyEnvelope() and openEnvelope()', () => {
  test('a second delivery is refused as ERR_REPLAY_DUPLICATE, before the authorize gate', async () => {
    const { analysts, envelope } = await setup();
    const replay = { store: new MemoryReplayStore() };
    const first = await verifyEnvelope(envelope, { backend, trust, replay });
    expect(first.freshness).toEqual({ status: 'fresh', firstSeen: true, highest: 77n });
    let gateCalls = 0;
    const error = await openEnvelope(envelope, { backend, trust, replay, recipient: analysts.recipientKey(), authorize: () => { gateCalls++; } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayError);
    expect((error as ReplayError).code).toBe('ERR_REPLAY_DUPLICATE');
    expect(gateCalls).toBe(0);
  });

  test('gaps and reordering are reported in the facts; a forged envelope never reaches the window', async () => {
    const { analysts } = await setup();
    const store = new MemoryReplayStore();
    const make = async (sequence: number) => sealEnvelope(PAYLOAD, { backend, signer: producer, recipients: [await analysts.recipient()], claims: { ...claims, sequence }, attributes });
    const e1 = await make(1);
    const e5 = await make(5);
    const e3 = await make(3);
    expect((await verifyEnvelope(e1, { backend, trust, replay: { store } })).freshness?.status).toBe('fresh');
    expect((await verifyEnvelope(e5, { backend, trust, replay: { store } })).freshness).toEqual({ status: 'gap', missing: 3n, highest: 5n });
    expect((await verifyEnvelope(e3, { backend, trust, replay: { store } })).freshness).toEqual({ status: 'out-of-order', behind: 2n, highest: 5n });
    const tampered = (await make(9)).slice();
    tampered[tampered.length - 1]! ^= 1;
    await expect(verifyEnvelope(tampered, { backend, trust, replay: { store } })).rejects.toThrow(EnvelopeError);
    expect((await verifyEnvelope(await make(6), { backend, trust, replay: { store } })).freshness?.status).toBe('fresh');
  });

  test('a failing store fails closed with ERR_REPLAY_STORE_UNAVAILABLE', async () => {
    const { envelope } = await setup();
    const store = { record: () => { throw new Error('connection refused'); } };
    const error = await verifyEnvelope(envelope, { backend, trust, replay: { store } }).catch((e: unknown) => e);
    expect((error as ReplayError).code).toBe('ERR_REPLAY_STORE_UNAVAILABLE');
  });
});

describe('the re-wrap record is critical', () => {
  test('it is marked crit, and a re-wrapped envelope without the mark is refused', async () => {
    const { archive, envelope, options } = await setup();
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()] }));
    const { sign1, header } = layers(rewrapped);
    expect(header.get(2)).toEqual([WardHeaderLabel.rewrap]);
    header.delete(2);
    const unmarked = await signEncodedSign1(sign1[2] as Uint8Array, encodeProtectedHeader(header), sign1[1] as HeaderMap, { backend, key: authorityKey });
    const error = await verifyEnvelope(unmarked, { backend, trust, rewrapAuthorities }).catch((e: unknown) => e);
    expect(codes(error)).toEqual(['ERR_ENVELOPE_INVALID', 'ERR_COSE_INVALID_HEADER']);
  });

  test('a plain COSE verifier that does not know the label refuses it (ERR_COSE_UNKNOWN_CRITICAL)', async () => {
    const { archive, envelope, options } = await setup();
    const rewrapped = await rewrapEnvelope(envelope, options({ recipients: [await archive.recipient()] }));
    await expect(verifySign1(rewrapped, { backend, key: authorityPublic })).rejects.toMatchObject({ code: 'ERR_COSE_UNKNOWN_CRITICAL' });
  });
});

describe('re-wrap cost does not depend on the payload size', () => {
  /** A backend that records the largest byte input each method received. */
  function measuring() {
    const largest = new Map<string, number>();
    const proxy = new Proxy(backend, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const sizes = args.flatMap((a) => (a instanceof Uint8Array ? [a.length] : typeof a === 'object' && a !== null
            ? Object.values(a).filter((v): v is Uint8Array => v instanceof Uint8Array).map((v) => v.length) : []));
          largest.set(String(property), Math.max(largest.get(String(property)) ?? 0, 0, ...sizes));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return { backend: proxy, largest };
  }

  test('with a 1 MiB payload, no crypto operation of a re-wrap sees more than a few KiB, and nothing is decrypted', async () => {
    const { archive, options } = await setup();
    const big = new Uint8Array(1 << 20).fill(0x5a);
    const envelope = await sealEnvelope(big, { backend, signer: producer, recipients: [await archive.recipient()], claims, attributes });
    const spy = measuring();
    const rewrapped = await rewrapEnvelope(envelope, options({ backend: spy.backend, recipients: [await archive.recipient()] }));
    expect(spy.largest.has('sign')).toBe(true);
    expect(spy.largest.has('verify')).toBe(true);
    expect(spy.largest.has('aeadDecrypt')).toBe(false);
    for (const [method, size] of spy.largest) expect(size, `${method} input`).toBeLessThan(4096);
    /* and the result is whole: it opens to the same 1 MiB */
    expect((await openEnvelope(rewrapped, { backend, trust, rewrapAuthorities, recipient: archive.recipientKey() })).plaintext).toEqual(big);
  });

  test('rewrapEnvelopeInParts hands back the ciphertext as a view into the input, and its parts join into the envelope', async () => {
    const { archive, envelope, options } = await setup();
    const parts = await rewrapEnvelopeInParts(envelope, options({ recipients: [await archive.recipient()] }));
    expect(parts).toHaveLength(3);
    const detached = (layers(envelope).sign1[1] as HeaderMap).get(WardHeaderLabel.detachedCiphertext) as Uint8Array;
    expect(parts[1]!.buffer).toBe(envelope.buffer); // not copied
    expect(parts[1]).toEqual(detached);
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    expect(decodeCbor(joined)).toBeInstanceOf(CborTag); // one well-formed data item
    expect((await openEnvelope(joined, { backend, trust, rewrapAuthorities, recipient: archive.recipientKey() })).plaintext).toEqual(PAYLOAD);
  });

  test('the authority does not vouch for the ciphertext: a corrupted one re-wraps, and every verifier and reader refuses the result', async () => {
    const { archive, envelope, options } = await setup();
    const detached = (layers(envelope).sign1[1] as HeaderMap).get(WardHeaderLabel.detachedCiphertext) as Uint8Array;
    const corrupted = envelope.slice();
    const offset = hex(corrupted).indexOf(hex(detached)) / 2;
    expect(offset).toBeGreaterThan(0);
    corrupted[offset + 3]! ^= 0x40;
    const rewrapped = await rewrapEnvelope(corrupted, options({ recipients: [await archive.recipient()] }));
    for (const run of [
      () => verifyEnvelope(rewrapped, { backend, trust, rewrapAuthorities }),
      () => openEnvelope(rewrapped, { backend, trust, rewrapAuthorities, recipient: archive.recipientKey() }),
    ]) {
      const error = await run().catch((e: unknown) => e);
      expect(codes(error)).toEqual(['ERR_ENVELOPE_INVALID', 'ERR_COSE_INVALID_HEADER']);
      expect((error as EnvelopeError).cause).toMatchObject({ message: 'sealed envelope ciphertext does not match its signed digest' });
    }
  });
});

describe('re-wrap properties', () => {
  test('property: for any payload, the re-wrap carries the ciphertext, content header, IV and digest byte for byte and opens to the same plaintext', async () => {
    const { archive, options } = await setup();
    const reader = await archive.recipient();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (payload) => {
        const envelope = await sealEnvelope(payload, { backend, signer: producer, recipients: [reader], claims, attributes });
        const parts = await rewrapEnvelopeInParts(envelope, options({ recipients: [reader] }));
        const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
        const before = layers(envelope);
        const after = layers(joined);
        expect((after.sign1[1] as HeaderMap).get(WardHeaderLabel.detachedCiphertext)).toEqual((before.sign1[1] as HeaderMap).get(WardHeaderLabel.detachedCiphertext));
        expect(after.encrypt[0]).toEqual(before.encrypt[0]);
        expect(after.encrypt[1]).toEqual(before.encrypt[1]);
        expect((await openEnvelope(joined, { backend, trust, rewrapAuthorities, recipient: archive.recipientKey() })).plaintext).toEqual(payload);
      }),
      { numRuns: 25 },
    );
  });
});
