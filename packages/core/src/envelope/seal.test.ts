/*
 * sealEnvelope(): round trips through openEnvelope() and verifyEnvelope() for every encryption form, recipient kind
 * and signer Ward's profile supports; the envelope's wire shape; argument validation; and the
 * typed facts (bigint sequence numbers, free-form attributes). Noble backend; the node
 * backend and cross-backend round trips are in packages/node/src/envelope-*.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { AgreementPrivateKey, AeadKey, SigningKey, VerifyingKey, WrappingKey } from '../backend/crypto-backend.js';
import { CborTag, decodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { CoseAlgorithm } from '../cose/algorithms.js';
import type { RecipientKey, RecipientSpec } from '../cose/encrypt.js';
import { HeaderLabel, decodeProtectedHeader } from '../cose/headers.js';
import { CoseTag } from '../cose/message.js';
import { ArgumentError, EnvelopeError, UnsupportedAlgorithmError, WardError } from '../errors.js';
import { KEY_COMMITMENT_LENGTH } from './commitment.js';
import { openEnvelope } from './open.js';
import { ClaimKey, ContentFormat, WardHeaderLabel } from '../profile/labels.js';
import type { AccessAttributes, ProvenanceInput } from '../profile/facts.js';
import { sealEnvelope } from './seal.js';
import type { SealOptions } from './seal.js';
import { verifyEnvelope } from './verify.js';

const backend = createNobleBackend();
const te = new TextEncoder();

const PAYLOAD = te.encode('{"count":42,"sensor":"footfall-counter-17"}');
const CLAIMS: ProvenanceInput = { issuer: 'footfall-counter-17', subject: 'footfall/market-square', sequence: 1041 };
const ATTRIBUTES: AccessAttributes = { classification: 'internal', zone: 'market-square', purpose: ['planning'] };

type SignerKind = 'Ed25519' | 'ECDSA-P256';
interface Producer {
  readonly key: SigningKey;
  readonly kid: Uint8Array;
  readonly trust: VerifyingKey;
}
function producer(kind: SignerKind = 'Ed25519', kid = te.encode(`producer-${kind}`)): Producer {
  const key = backend.generateKey(kind);
  return { key, kid, trust: backend.publicKey(key) };
}

interface Reader {
  readonly spec: RecipientSpec;
  readonly key: RecipientKey;
}
type ReaderKind = 'X25519' | 'P-256' | 'A256KW';
function reader(kind: ReaderKind, index = 0, mode?: 'direct'): Reader {
  const kid = te.encode(`reader-${kind}-${index}`);
  if (kind === 'A256KW') {
    const kek: WrappingKey = backend.generateKey('AES-KW');
    return { spec: { kek, kid }, key: { kek, kid } };
  }
  const privateKey: AgreementPrivateKey = backend.generateKey(kind === 'X25519' ? 'X25519' : 'ECDH-P256');
  const publicKey = backend.publicKey(privateKey);
  return { spec: mode === undefined ? { publicKey, kid } : { publicKey, kid, mode }, key: { privateKey, kid } };
}

function baseOptions(p: Producer): Pick<SealOptions, 'backend' | 'signer' | 'claims' | 'attributes'> {
  return { backend, signer: { key: p.key, kid: p.kid }, claims: CLAIMS, attributes: ATTRIBUTES };
}

/** The envelope's Sign1 fields, and its decoded protected header. */
function anatomy(envelope: Uint8Array): { fields: CborValue[]; header: Map<number | string, CborValue>; inner: CborTag } {
  const outer = decodeCbor(envelope);
  expect(outer).toBeInstanceOf(CborTag);
  expect((outer as CborTag).tag).toBe(CoseTag.Sign1);
  const fields = (outer as CborTag).value as CborValue[];
  expect(fields).toHaveLength(4);
  const inner = decodeCbor(fields[2] as Uint8Array);
  expect(inner).toBeInstanceOf(CborTag);
  return { fields, header: decodeProtectedHeader(fields[0] as Uint8Array), inner: inner as CborTag };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a rejection'), (error: unknown) => error);
}

/* ------------------------------------------------------------------------------------------ */

describe('seal → open round trips: one shared key (COSE_Encrypt0)', () => {
  test.each([
    ['A256GCM', 'Ed25519', () => backend.generateKey('AES-GCM'), CoseAlgorithm.A256GCM],
    ['A256GCM', 'ECDSA-P256', () => backend.generateKey('AES-GCM'), CoseAlgorithm.A256GCM],
    ['ChaCha20/Poly1305', 'Ed25519', () => backend.generateKey('ChaCha20-Poly1305'), CoseAlgorithm.ChaCha20Poly1305],
    ['ChaCha20/Poly1305', 'ECDSA-P256', () => backend.generateKey('ChaCha20-Poly1305'), CoseAlgorithm.ChaCha20Poly1305],
    ['A128GCM', 'Ed25519', () => backend.importKey('AES-GCM', 'secret', new Uint8Array(16).fill(7)), CoseAlgorithm.A128GCM],
  ] as const)('%s content key, %s signer', async (_, signer, makeKey, alg) => {
    const p = producer(signer);
    const key: AeadKey = makeKey();
    const kid = te.encode('shared-key-1');
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), key: { key, kid } });

    const { header, inner, fields } = anatomy(envelope);
    expect(header.get(HeaderLabel.contentType)).toBe(ContentFormat.encrypt0);
    expect(header.get(HeaderLabel.alg)).toBe(signer === 'Ed25519' ? CoseAlgorithm.EdDSA : CoseAlgorithm.ES256);
    expect(header.get(HeaderLabel.kid)).toEqual(p.kid);
    expect(header.has(WardHeaderLabel.keyCommitment)).toBe(false);
    expect(fields[1]).toEqual(new Map()); // nothing unprotected
    expect(inner.tag).toBe(CoseTag.Encrypt0);
    const innerHeader = decodeProtectedHeader((inner.value as CborValue[])[0] as Uint8Array);
    expect(innerHeader.get(HeaderLabel.alg)).toBe(alg);
    expect(innerHeader.get(HeaderLabel.kid)).toEqual(kid);

    const opened = await openEnvelope(envelope, { backend, trust: p.trust, key });
    expect(opened.plaintext).toEqual(PAYLOAD);
    expect(opened.facts.encryption).toBe('encrypt0');
    expect(opened.facts.signer).toEqual({ kid: p.kid, alg: header.get(HeaderLabel.alg) });
    expect(await verifyEnvelope(envelope, { backend, trust: p.trust })).toEqual(opened.facts);
  });

  test('an empty payload round trips', async () => {
    const p = producer();
    const key = backend.generateKey('AES-GCM');
    const envelope = await sealEnvelope(new Uint8Array(0), { ...baseOptions(p), key: { key, kid: te.encode('k') } });
    expect((await openEnvelope(envelope, { backend, trust: p.trust, key })).plaintext).toEqual(new Uint8Array(0));
  });

  test('a key resolver is offered the inner kid', async () => {
    const p = producer();
    const key = backend.generateKey('AES-GCM');
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), key: { key, kid: te.encode('shared-key-7') } });
    const asked: (Uint8Array | undefined)[] = [];
    const opened = await openEnvelope(envelope, { backend, trust: p.trust, key: ({ kid }) => { asked.push(kid); return key; } });
    expect(opened.plaintext).toEqual(PAYLOAD);
    expect(asked).toEqual([te.encode('shared-key-7')]);
  });
});

describe('seal → open round trips: per-recipient keys (COSE_Encrypt)', () => {
  test.each([
    ['X25519', 'Ed25519'],
    ['X25519', 'ECDSA-P256'],
    ['P-256', 'Ed25519'],
    ['P-256', 'ECDSA-P256'],
    ['A256KW', 'Ed25519'],
    ['A256KW', 'ECDSA-P256'],
  ] as const)('one %s recipient (ECDH-ES+A256KW, or AES key wrap), %s signer', async (kind, signer) => {
    const p = producer(signer);
    const r = reader(kind);
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), recipients: [r.spec] });

    const { header, inner } = anatomy(envelope);
    expect(header.get(HeaderLabel.contentType)).toBe(ContentFormat.encrypt);
    const commitment = header.get(WardHeaderLabel.keyCommitment);
    expect(commitment).toBeInstanceOf(Uint8Array);
    expect((commitment as Uint8Array).length).toBe(KEY_COMMITMENT_LENGTH);
    expect(inner.tag).toBe(CoseTag.Encrypt);
    const innerFields = inner.value as CborValue[];
    expect(decodeProtectedHeader(innerFields[0] as Uint8Array).get(HeaderLabel.alg)).toBe(CoseAlgorithm.A256GCM);
    expect(innerFields[3]).toHaveLength(1);

    const opened = await openEnvelope(envelope, { backend, trust: p.trust, recipient: r.key });
    expect(opened.plaintext).toEqual(PAYLOAD);
    expect(opened.facts.encryption).toBe('encrypt');
    expect(await verifyEnvelope(envelope, { backend, trust: p.trust })).toEqual(opened.facts);
  });

  test.each(['X25519', 'P-256', 'A256KW'] as const)('ChaCha20/Poly1305 content for a %s recipient', async (kind) => {
    const p = producer();
    const r = reader(kind);
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), recipients: [r.spec], contentAlgorithm: CoseAlgorithm.ChaCha20Poly1305 });
    const innerFields = anatomy(envelope).inner.value as CborValue[];
    expect(decodeProtectedHeader(innerFields[0] as Uint8Array).get(HeaderLabel.alg)).toBe(CoseAlgorithm.ChaCha20Poly1305);
    expect((await openEnvelope(envelope, { backend, trust: p.trust, recipient: r.key })).plaintext).toEqual(PAYLOAD);
  });

  test('ten mixed recipients (X25519, P-256, A256KW) each open to the same plaintext, with and without kid', async () => {
    const p = producer();
    const kinds: ReaderKind[] = ['X25519', 'P-256', 'A256KW', 'X25519', 'P-256', 'A256KW', 'X25519', 'P-256', 'A256KW', 'X25519'];
    const readers = kinds.map((kind, i) => reader(kind, i));
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), recipients: readers.map((r) => r.spec) });
    expect((anatomy(envelope).inner.value as CborValue[])[3]).toHaveLength(10);
    for (const r of readers) {
      expect((await openEnvelope(envelope, { backend, trust: p.trust, recipient: r.key })).plaintext).toEqual(PAYLOAD);
      // without a kid the reader tries every structure that fits its key kind
      const { kid: _kid, ...anonymous } = r.key;
      expect((await openEnvelope(envelope, { backend, trust: p.trust, recipient: anonymous as RecipientKey })).plaintext).toEqual(PAYLOAD);
    }
  });

  test('a reader not among the recipients is refused', async () => {
    const p = producer();
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), recipients: [reader('X25519', 1).spec, reader('A256KW', 2).spec] });
    for (const outsider of [reader('X25519', 1), reader('A256KW', 2), reader('P-256', 3)]) {
      const error = await caught(openEnvelope(envelope, { backend, trust: p.trust, recipient: outsider.key }));
      expect(EnvelopeError.isInstance(error)).toBe(true);
    }
  });

  /* Direct agreement derives the CEK; sealEnvelope() commits to it once it exists (regression test). */
  test.each(['X25519', 'P-256'] as const)('one direct ECDH-ES+HKDF-256 %s recipient', async (kind) => {
    const p = producer();
    const r = reader(kind, 0, 'direct');
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), recipients: [r.spec] });
    const innerFields = anatomy(envelope).inner.value as CborValue[];
    const recipient = (innerFields[3] as CborValue[])[0] as CborValue[];
    expect(decodeProtectedHeader(recipient[0] as Uint8Array).get(HeaderLabel.alg)).toBe(CoseAlgorithm.ECDH_ES_HKDF_256);
    expect((await openEnvelope(envelope, { backend, trust: p.trust, recipient: r.key })).plaintext).toEqual(PAYLOAD);
  });

  test('a direct recipient among others is refused (RFC 9052 §5.1)', async () => {
    const p = producer();
    const error = await caught(sealEnvelope(PAYLOAD, { ...baseOptions(p), recipients: [reader('X25519', 0, 'direct').spec, reader('A256KW').spec] }));
    expect(ArgumentError.isInstance(error)).toBe(true);
  });

  test('every seal draws a fresh CEK and IV: the same input never gives the same envelope', async () => {
    const p = producer();
    const r = reader('A256KW');
    const options = { ...baseOptions(p), claims: { ...CLAIMS, issuedAt: 1_700_000_000, id: te.encode('fixed-id') }, recipients: [r.spec] };
    const a = anatomy(await sealEnvelope(PAYLOAD, options));
    const b = anatomy(await sealEnvelope(PAYLOAD, options));
    expect(a.header.get(WardHeaderLabel.keyCommitment)).not.toEqual(b.header.get(WardHeaderLabel.keyCommitment));
    expect(a.fields[2]).not.toEqual(b.fields[2]);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('seal argument validation (ERR_INVALID_ARGUMENT)', () => {
  const p = producer();
  const key = backend.generateKey('AES-GCM');
  const shared = { key, kid: te.encode('k') };
  const r = reader('A256KW');

  test('both recipients and key, or neither', async () => {
    for (const options of [
      { ...baseOptions(p), recipients: [r.spec], key: shared },
      { ...baseOptions(p) },
    ]) {
      const error = await caught(sealEnvelope(PAYLOAD, options));
      expect(ArgumentError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });

  test.each<[string, Partial<ProvenanceInput>]>([
    ['empty issuer', { issuer: '' }],
    ['empty subject', { subject: '' }],
    ['issuer over 256 characters', { issuer: 'x'.repeat(257) }],
    ['non-text issuer', { issuer: 42 as unknown as string }],
    ['negative sequence', { sequence: -1 }],
    ['negative bigint sequence', { sequence: -1n }],
    ['fractional sequence', { sequence: 1.5 }],
    ['unsafe integer sequence', { sequence: 2 ** 53 }],
    ['sequence of 2^64', { sequence: 2n ** 64n }],
    ['negative issuedAt', { issuedAt: -1 }],
  ])('claims: %s', async (_, bad) => {
    const error = await caught(sealEnvelope(PAYLOAD, { ...baseOptions(p), key: shared, claims: { ...CLAIMS, ...bad } }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  test.each<[string, Partial<AccessAttributes> | Record<string, unknown>]>([
    ['empty classification', { classification: '' }],
    ['missing classification', { classification: undefined }],
    ['empty zone', { zone: '' }],
    ['33 purposes', { purpose: Array.from({ length: 33 }, (_, i) => `purpose-${i}`) }],
    ['purpose not an array', { purpose: 'planning' }],
    ['an empty purpose', { purpose: ['planning', ''] }],
    ['a non-text purpose', { purpose: [7] }],
    ['negative retention', { retention: -1 }],
    ['fractional retention', { retention: 0.5 }],
    ['extra value an object', { extra: { camera: { id: 4 } } }],
    ['extra value null', { extra: { camera: null } }],
    ['extra value NaN', { extra: { reading: Number.NaN } }],
    ['extra value Infinity', { extra: { reading: Number.POSITIVE_INFINITY } }],
    ['extra value 2^53 (an integral float on the wire)', { extra: { reading: 2 ** 53 } }],
    ['extra value -0 (an integral float on the wire)', { extra: { reading: -0 } }],
    ['extra value 1e300 (an integral float on the wire)', { extra: { reading: 1e300 } }],
    ['extra value a bigint', { extra: { reading: 5n } }],
    ['extra value an array holding a number', { extra: { tags: ['a', 1] } }],
    ['extra value an empty string', { extra: { tag: '' } }],
    ['an empty extra name', { extra: { '': 'x' } }],
    ['33 extra attributes', { extra: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`a${i}`, i])) }],
  ])('attributes: %s', async (_, bad) => {
    const attributes = { ...ATTRIBUTES, ...bad } as AccessAttributes;
    const error = await caught(sealEnvelope(PAYLOAD, { ...baseOptions(p), key: shared, attributes }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  test('limits are inclusive: 32 purposes, 32 extras and 256-character texts are accepted', async () => {
    const attributes: AccessAttributes = {
      classification: 'c'.repeat(256),
      purpose: Array.from({ length: 32 }, (_, i) => `purpose-${i}`),
      extra: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`a${i}`, i])),
    };
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), key: shared, attributes, claims: { ...CLAIMS, issuer: 'i'.repeat(256) } });
    expect((await verifyEnvelope(envelope, { backend, trust: p.trust })).attributes).toEqual(attributes);
  });

  /* A lone UTF-16 surrogate has no UTF-8 encoding: refused as bad input, not by the encoder. */
  test('a lone surrogate in claim or attribute text is ERR_INVALID_ARGUMENT', async () => {
    for (const bad of [
      { claims: { ...CLAIMS, issuer: 'camera-\uD800' } },
      { attributes: { ...ATTRIBUTES, zone: '\uDC00zone' } },
      { attributes: { ...ATTRIBUTES, extra: { 'name\uD800': 'x' } } },
    ]) {
      const error = await caught(sealEnvelope(PAYLOAD, { ...baseOptions(p), key: shared, ...bad }));
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });

  test('non-bytes payload, signer kid or key kid', async () => {
    for (const [payload, options] of [
      ['text' as unknown as Uint8Array, { ...baseOptions(p), key: shared }],
      [PAYLOAD, { ...baseOptions(p), signer: { key: p.key, kid: 'kid' as unknown as Uint8Array }, key: shared }],
      [PAYLOAD, { ...baseOptions(p), key: { key, kid: [1, 2] as unknown as Uint8Array } }],
    ] as const) {
      expect(await caught(sealEnvelope(payload, options))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });

  test('an unknown content algorithm is ERR_UNSUPPORTED_ALGORITHM', async () => {
    const error = await caught(sealEnvelope(PAYLOAD, { ...baseOptions(p), recipients: [r.spec], contentAlgorithm: 999 }));
    expect(UnsupportedAlgorithmError.isInstance(error)).toBe(true);
  });

  test('no recipients at all is refused', async () => {
    const error = await caught(sealEnvelope(PAYLOAD, { ...baseOptions(p), recipients: [] }));
    expect(WardError.isInstance(error) && error.code === 'ERR_INVALID_ARGUMENT').toBe(true);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('facts round trip with their types', () => {
  const p = producer();
  const key = backend.generateKey('AES-GCM');
  async function facts(claims: ProvenanceInput, attributes: AccessAttributes = ATTRIBUTES) {
    const envelope = await sealEnvelope(PAYLOAD, { ...baseOptions(p), key: { key, kid: te.encode('k') }, claims, attributes });
    const verified = await verifyEnvelope(envelope, { backend, trust: p.trust });
    expect((await openEnvelope(envelope, { backend, trust: p.trust, key })).facts).toEqual(verified);
    return verified;
  }

  test.each([
    [2n ** 64n - 1n],
    [2n ** 63n],
    [2n ** 53n],
  ])('a bigint sequence %s comes back as the same bigint', async (sequence) => {
    const { provenance } = await facts({ ...CLAIMS, sequence });
    expect(provenance.sequence).toBe(sequence);
    expect(anatomyClaims(await sealEnvelope(PAYLOAD, { ...baseOptions(p), key: { key, kid: te.encode('k') }, claims: { ...CLAIMS, sequence } })).get(ClaimKey.sequence)).toBe(sequence);
  });

  test('a safe bigint sequence comes back with the same value (as a number: CBOR integers are numbers when safe)', async () => {
    for (const sequence of [0n, 5n, 2n ** 53n - 1n]) {
      const { provenance } = await facts({ ...CLAIMS, sequence });
      expect(BigInt(provenance.sequence)).toBe(sequence);
    }
  });

  test('number sequences 0 and 2^53−1 round trip', async () => {
    expect((await facts({ ...CLAIMS, sequence: 0 })).provenance.sequence).toBe(0);
    expect((await facts({ ...CLAIMS, sequence: Number.MAX_SAFE_INTEGER })).provenance.sequence).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('explicit issuedAt and id are signed as given; defaults are now and 16 fresh random bytes', async () => {
    const id = te.encode('reading-000001');
    const given = await facts({ ...CLAIMS, issuedAt: 1_700_000_123, id });
    expect(given.provenance).toEqual({ ...CLAIMS, issuedAt: 1_700_000_123, id });

    const before = Math.floor(Date.now() / 1000);
    const a = await facts(CLAIMS);
    const b = await facts(CLAIMS);
    const after = Math.floor(Date.now() / 1000);
    expect(a.provenance.issuedAt).toBeGreaterThanOrEqual(before);
    expect(a.provenance.issuedAt).toBeLessThanOrEqual(after);
    expect(a.provenance.id).toHaveLength(16);
    expect(a.provenance.id).not.toEqual(b.provenance.id);
  });

  test('every attribute, extras included, round trips with its type', async () => {
    const attributes: AccessAttributes = {
      classification: 'special-category',
      zone: 'station-north',
      purpose: ['safety', 'planning', 'safety'],
      owner: 'transport-department',
      retention: 2_592_000,
      extra: {
        camera: 'cam-17',
        floor: -2,
        resolution: 0.5,
        big: Number.MAX_SAFE_INTEGER,
        tiny: 5e-324,
        personalData: true,
        anonymised: false,
        tags: ['faces-blurred', 'plates-blurred'],
        none: [],
        'ünïcödé 名前 🚦': 'välue 値 🚥',
      },
    };
    const { attributes: back } = await facts(CLAIMS, attributes);
    expect(back).toEqual(attributes);
    expect(Object.is(back.extra!.floor, -2)).toBe(true);
  });

  /*
   * Regression: a signed extra attribute named "__proto__" must be an own data property of the
   * facts, never the prototype of `extra` (the facts a policy sees must be what was signed).
   */
  test('an extra attribute named "__proto__" round trips as an own property and leaves the prototype alone', async () => {
    for (const value of ['x', ['a', 'b']] as const) {
      const extra = JSON.parse(JSON.stringify({ camera: 'cam-1', ['__proto__']: value })) as Record<string, string | string[]>;
      expect(Object.keys(extra)).toEqual(['camera', '__proto__']);
      const { attributes: back } = await facts(CLAIMS, { classification: 'internal', extra });
      expect(Object.getPrototypeOf(back.extra)).toBe(Object.prototype);
      expect(Object.keys(back.extra!)).toEqual(['camera', '__proto__']);
      expect(Object.getOwnPropertyDescriptor(back.extra, '__proto__')?.value).toEqual(value);
    }
  });

  test('a minimal attribute set has no optional keys at all', async () => {
    const { attributes } = await facts(CLAIMS, { classification: 'public' });
    expect(attributes).toStrictEqual({ classification: 'public' });
  });
});

function anatomyClaims(envelope: Uint8Array): Map<CborValue, CborValue> {
  return anatomy(envelope).header.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>;
}
