/*
 * verifyEnvelope(): the signed facts of an envelope without any decryption key; unknown or wrong
 * signers; and the envelope profile (SPEC.md §Sealed envelope), checked with envelopes that
 * are correctly signed and correctly bound but break exactly one profile rule. Every refusal
 * is checked through openEnvelope() too, which runs the same verification first.
 */
import { describe, expect, test } from 'vitest';
import { caught, errorChain, spying } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import { CborTag, decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { CoseAlgorithm } from '../cose/algorithms.js';
import { buildRecipient, encryptContentLayer } from '../cose/encrypt.js';
import { createEncrypt0 } from '../cose/encrypt0.js';
import { HeaderLabel, decodeProtectedHeader, encodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import type { KeyLookup } from '../cose/key-lookup.js';
import { CoseTag } from '../cose/message.js';
import { signEncodedSign1, createSign1, signatureAlgorithmOf } from '../cose/sign1.js';
import { ArgumentError, CoseError, EnvelopeError, KeyError, VerificationError, WardError } from '../errors.js';
import { commitToContentKey } from './commitment.js';
import { openEnvelope } from './open.js';
import { AttributeKey, ClaimKey, ContentFormat, WardHeaderLabel } from '../profile/labels.js';
import { encodeAttributes, encodeClaims } from '../profile/claims.js';
import { sealEnvelope, sealExternalAad } from './seal.js';
import { verifyEnvelope } from './verify.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const PAYLOAD = te.encode('{"occupancy":17}');
const CLAIMS = { issuer: 'parking-sensor-3', subject: 'parking/lot-b', sequence: 99, issuedAt: 1_700_000_000, id: te.encode('id-0001') };
const ATTRIBUTES = { classification: 'internal', zone: 'lot-b', purpose: ['planning', 'billing'], owner: 'mobility', retention: 86_400 };

const producerKey: SigningKey = backend.generateKey('Ed25519');
const producerTrust: VerifyingKey = backend.publicKey(producerKey);
const PRODUCER_KID = te.encode('parking-sensor-3#1');
const sharedKey = backend.generateKey('AES-GCM');
const kek = backend.generateKey('AES-KW');

/** Where `needle` starts in `haystack`, or -1. */
function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const KEY_USE = ['deriveSharedSecret', 'unwrapKey', 'aeadDecrypt', 'importKey', 'hkdfSha256', 'exportKey'];


async function sealed(form: 'encrypt0' | 'encrypt', signer: SigningKey = producerKey): Promise<Uint8Array> {
  const common = { backend, signer: { key: signer, kid: PRODUCER_KID }, claims: CLAIMS, attributes: ATTRIBUTES };
  return form === 'encrypt0'
    ? sealEnvelope(PAYLOAD, { ...common, key: { key: sharedKey, kid: te.encode('shared') } })
    : sealEnvelope(PAYLOAD, { ...common, recipients: [{ kek, kid: te.encode('kek') }] });
}

/* ------------------------------------------------------------------------------------------ */

describe('verifyEnvelope(): provenance without plaintext', () => {
  test.each(['encrypt0', 'encrypt'] as const)('returns provenance, attributes and signer of a %s envelope with no decryption key', async (form) => {
    const envelope = await sealed(form);
    const spy = spying(backend);
    const facts = await verifyEnvelope(envelope, { backend: spy.backend, trust: producerTrust });
    expect(facts).toEqual({
      provenance: CLAIMS,
      attributes: ATTRIBUTES,
      signer: { kid: PRODUCER_KID, alg: CoseAlgorithm.EdDSA },
      encryption: form,
    });
    expect(spy.calls).toContain('verify');
    expect(spy.calls.filter((c) => KEY_USE.includes(c))).toEqual([]);
  });

  test('ES256 producer', async () => {
    const key = backend.generateKey('ECDSA-P256');
    const facts = await verifyEnvelope(await sealed('encrypt', key), { backend, trust: backend.publicKey(key) });
    expect(facts.signer.alg).toBe(CoseAlgorithm.ES256);
  });

  test('a trust resolver is asked with the signed kid and the algorithm', async () => {
    const asked: KeyLookup[] = [];
    await verifyEnvelope(await sealed('encrypt0'), { backend, trust: (lookup) => { asked.push(lookup); return producerTrust; } });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.kid).toEqual(PRODUCER_KID);
    expect(asked[0]!.alg).toBe(CoseAlgorithm.EdDSA);
  });

  test('an async trust resolver works', async () => {
    const facts = await verifyEnvelope(await sealed('encrypt'), { backend, trust: async () => producerTrust });
    expect(facts.provenance.issuer).toBe(CLAIMS.issuer);
  });
});

describe('verifyEnvelope() and openEnvelope() refuse unknown and wrong signers with EnvelopeError', () => {
  const other = backend.generateKey('Ed25519');
  const es256 = backend.generateKey('ECDSA-P256');

  test.each([
    ['an unknown signer (the resolver returns undefined)', (): VerifyingKey | undefined => undefined, KeyError, 'ERR_KEY_NOT_FOUND'],
    ['another producer\'s key', (): VerifyingKey | undefined => backend.publicKey(other), VerificationError, 'ERR_SIGNATURE_INVALID'],
    ['a key of another algorithm', (): VerifyingKey | undefined => backend.publicKey(es256), CoseError, 'ERR_COSE_ALGORITHM_MISMATCH'],
  ] as const)('%s', async (_, resolve, family, code) => {
    const envelope = await sealed('encrypt');
    for (const run of [
      () => verifyEnvelope(envelope, { backend, trust: resolve }),
      () => openEnvelope(envelope, { backend, trust: resolve, recipient: { kek } }),
    ]) {
      const error = await caught(run());
      expect(EnvelopeError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'ERR_ENVELOPE_INVALID', message: 'envelope refused' });
      expect(family.isInstance((error as EnvelopeError).cause)).toBe(true);
      expect((error as EnvelopeError).cause).toMatchObject({ code });
    }
  });

  test('a trust resolver that throws refuses the envelope', async () => {
    const error = await caught(verifyEnvelope(await sealed('encrypt0'), { backend, trust: () => { throw new Error('trust store offline'); } }));
    expect(EnvelopeError.isInstance(error)).toBe(true);
  });
});

describe('verifyEnvelope() argument checks (ERR_INVALID_ARGUMENT, before the envelope is looked at)', () => {
  test.each([
    ['no backend', { trust: producerTrust }],
    ['no trust', { backend }],
    ['null options', null],
  ])('%s', async (_, options) => {
    const error = await caught(verifyEnvelope(new Uint8Array([0xff]), options as never));
    expect(ArgumentError.isInstance(error)).toBe(true);
  });

  test('an envelope that is not bytes', async () => {
    for (const envelope of ['text', [1, 2], undefined, Buffer.from([1]).buffer]) {
      expect(ArgumentError.isInstance(await caught(verifyEnvelope(envelope as never, { backend, trust: producerTrust })))).toBe(true);
    }
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Profile: correctly signed and bound envelopes that break one rule                          */
/* ------------------------------------------------------------------------------------------ */

interface Craft {
  /** Edits the Sign1 protected header sealEnvelope() would build. */
  readonly header?: (header: HeaderMap) => void;
  /** Which inner message to build (bound to the final header with the seal external AAD). */
  readonly inner?: 'encrypt0' | 'encrypt';
  /** Signer kid in the unprotected bucket instead. */
  readonly unprotectedKid?: boolean;
  /** Edits what sits outside the signed header: the Sign1 unprotected bucket and, for COSE_Encrypt, its content layer. */
  readonly content?: (content: CraftedContent) => void;
  /** Edits the COSE_Encrypt's recipients array (what takes its place is signed as is). */
  readonly recipients?: (recipients: CborValue[]) => CborValue;
  /** Replaces the signed inner message (the Sign1 payload) wholesale. */
  readonly signedInner?: (inner: Uint8Array) => Uint8Array;
}

/** The parts of a sealed envelope around its ciphertext, as sealEnvelope() lays them out, for editing. */
interface CraftedContent {
  /** The Sign1 unprotected bucket (holds the detached ciphertext of a COSE_Encrypt envelope). */
  readonly sign1Unprotected: HeaderMap;
  /** The COSE_Encrypt's unprotected bucket (IV and ciphertext digest). */
  readonly encryptUnprotected: HeaderMap;
  /** The COSE_Encrypt's ciphertext field: `null` (detached) as sealEnvelope() makes it. */
  attached: Uint8Array | null;
  /** The content ciphertext. */
  readonly ciphertext: Uint8Array;
}

/** An envelope like sealEnvelope() makes, with `craft` applied before signing, inner correctly bound. */
async function crafted(craft: Craft): Promise<Uint8Array> {
  const form = craft.inner ?? 'encrypt';
  const unprotectedHeader: HeaderMap = new Map();
  /* Builds the Sign1 protected header sealEnvelope() would, with `craft` applied; `cek` is the content key to commit to. */
  const buildProtected = async (cek: Uint8Array | undefined): Promise<Uint8Array> => {
    const header: HeaderMap = new Map();
    header.set(HeaderLabel.cwtClaims, encodeClaims(CLAIMS, CLAIMS.issuedAt, CLAIMS.id));
    header.set(WardHeaderLabel.attributes, encodeAttributes(ATTRIBUTES));
    header.set(HeaderLabel.contentType, form === 'encrypt0' ? ContentFormat.encrypt0 : ContentFormat.encrypt);
    if (cek !== undefined) header.set(WardHeaderLabel.keyCommitment, await commitToContentKey(backend, cek));
    header.set(HeaderLabel.alg, signatureAlgorithmOf(producerKey));
    header.set(HeaderLabel.kid, PRODUCER_KID);
    craft.header?.(header);
    if (craft.unprotectedKid) {
      header.delete(HeaderLabel.kid);
      unprotectedHeader.set(HeaderLabel.kid, PRODUCER_KID);
    }
    return encodeProtectedHeader(header);
  };
  let protectedBytes: Uint8Array;
  let inner: Uint8Array;
  if (form === 'encrypt0') {
    protectedBytes = await buildProtected(undefined);
    inner = await createEncrypt0(PAYLOAD, { backend, key: sharedKey, kid: te.encode('shared'), externalAad: sealExternalAad(protectedBytes) });
  } else {
    let bound: Uint8Array | undefined;
    const layer = await encryptContentLayer(PAYLOAD, {
      backend,
      recipients: [{ kek, kid: te.encode('kek') }],
      externalAad: async (cek) => {
        bound = await buildProtected(cek);
        return sealExternalAad(bound);
      },
    });
    protectedBytes = bound!;
    const content: CraftedContent = {
      sign1Unprotected: unprotectedHeader,
      encryptUnprotected: new Map([...layer.unprotectedHeader, [WardHeaderLabel.ciphertextDigest, [-16, backend.sha256(layer.ciphertext)]]]),
      attached: null,
      ciphertext: layer.ciphertext,
    };
    unprotectedHeader.set(WardHeaderLabel.detachedCiphertext, layer.ciphertext);
    craft.content?.(content);
    const recipients = craft.recipients === undefined ? layer.recipients : craft.recipients(layer.recipients);
    inner = encodeCbor(new CborTag(CoseTag.Encrypt, [layer.protectedBytes, content.encryptUnprotected, content.attached, recipients]));
  }
  if (form === 'encrypt0') craft.content?.({ sign1Unprotected: unprotectedHeader, encryptUnprotected: new Map(), attached: null, ciphertext: new Uint8Array(0) });
  if (craft.signedInner !== undefined) inner = craft.signedInner(inner);
  return signEncodedSign1(inner, protectedBytes, unprotectedHeader, { backend, key: producerKey });
}

async function expectProfileRefusal(envelope: Uint8Array, form: 'encrypt0' | 'encrypt'): Promise<void> {
  const reader = form === 'encrypt0' ? { key: sharedKey } : { recipient: { kek } };
  for (const run of [
    () => verifyEnvelope(envelope, { backend, trust: producerTrust }),
    () => openEnvelope(envelope, { backend, trust: producerTrust, ...reader }),
  ]) {
    const error = await caught(run());
    expect(EnvelopeError.isInstance(error)).toBe(true);
    // the signature verified: the refusal is the profile's, not the signature's
    expect(CoseError.isInstance((error as EnvelopeError).cause)).toBe(true);
    expect((error as EnvelopeError).cause).toMatchObject({ code: 'ERR_COSE_INVALID_HEADER' });
  }
}

describe('the envelope profile', () => {
  test.each(['encrypt0', 'encrypt'] as const)('control: the crafting helper builds a valid %s envelope', async (form) => {
    const envelope = await crafted({ inner: form });
    const reader = form === 'encrypt0' ? { key: sharedKey } : { recipient: { kek } };
    expect((await openEnvelope(envelope, { backend, trust: producerTrust, ...reader })).plaintext).toEqual(PAYLOAD);
  });

  test('an Encrypt0 envelope that carries a key commitment is refused', async () => {
    const commitment = await commitToContentKey(backend, backend.randomBytes(32));
    await expectProfileRefusal(await crafted({ inner: 'encrypt0', header: (h) => h.set(WardHeaderLabel.keyCommitment, commitment) }), 'encrypt0');
  });

  test('an Encrypt envelope without a key commitment is refused', async () => {
    await expectProfileRefusal(await crafted({ header: (h) => h.delete(WardHeaderLabel.keyCommitment) }), 'encrypt');
  });

  test.each([
    ['31 bytes', new Uint8Array(31)],
    ['33 bytes', new Uint8Array(33)],
    ['text', 'x'.repeat(32)],
    ['an integer', 7],
  ])('an Encrypt envelope whose key commitment is %s is refused', async (_, commitment) => {
    await expectProfileRefusal(await crafted({ header: (h) => h.set(WardHeaderLabel.keyCommitment, commitment) }), 'encrypt');
  });

  test.each([
    ['missing', undefined],
    ['a Mac0', 17],
    ['text', 'application/cose'],
    ['a Sign1', 18],
  ])('content type %s is refused', async (_, contentType) => {
    await expectProfileRefusal(await crafted({
      header: (h) => (contentType === undefined ? h.delete(HeaderLabel.contentType) : h.set(HeaderLabel.contentType, contentType)),
    }), 'encrypt');
  });

  test('the content type must name the inner message: Encrypt0 declared, COSE_Encrypt inside is refused by verifyEnvelope() and openEnvelope() alike', async () => {
    const envelope = await crafted({
      header: (h) => { h.set(HeaderLabel.contentType, ContentFormat.encrypt0); h.delete(WardHeaderLabel.keyCommitment); },
      content: (c) => { c.attached = c.ciphertext; c.sign1Unprotected.delete(WardHeaderLabel.detachedCiphertext); },
    });
    for (const run of [
      () => verifyEnvelope(envelope, { backend, trust: producerTrust }),
      () => openEnvelope(envelope, { backend, trust: producerTrust, key: sharedKey }),
    ]) {
      const error = await caught(run());
      expect(EnvelopeError.isInstance(error)).toBe(true);
      expect((error as EnvelopeError).cause).toMatchObject({ code: 'ERR_COSE_WRONG_TAG' });
    }
  });

  test('a signer kid only in the unprotected bucket is refused', async () => {
    await expectProfileRefusal(await crafted({ unprotectedKid: true }), 'encrypt');
  });

  test.each<[string, (c: CraftedContent) => void]>([
    ['the ciphertext attached to the COSE_Encrypt instead', (c) => { c.attached = c.ciphertext; c.sign1Unprotected.delete(WardHeaderLabel.detachedCiphertext); }],
    ['the ciphertext both attached and detached', (c) => { c.attached = c.ciphertext; }],
    ['no detached ciphertext', (c) => c.sign1Unprotected.delete(WardHeaderLabel.detachedCiphertext)],
    ['a detached ciphertext that is text', (c) => c.sign1Unprotected.set(WardHeaderLabel.detachedCiphertext, 'x')],
    ['another parameter beside the detached ciphertext', (c) => c.sign1Unprotected.set('note', 'unsigned')],
    ['no ciphertext digest', (c) => c.encryptUnprotected.delete(WardHeaderLabel.ciphertextDigest)],
    ['a digest without its hash algorithm', (c) => c.encryptUnprotected.set(WardHeaderLabel.ciphertextDigest, backend.sha256(c.ciphertext))],
    ['a SHA-384 (-43) digest', (c) => c.encryptUnprotected.set(WardHeaderLabel.ciphertextDigest, [-43, new Uint8Array(48)])],
    ['a 31-byte digest', (c) => c.encryptUnprotected.set(WardHeaderLabel.ciphertextDigest, [-16, backend.sha256(c.ciphertext).subarray(1)])],
    ['a digest of other bytes', (c) => c.encryptUnprotected.set(WardHeaderLabel.ciphertextDigest, [-16, backend.sha256(PAYLOAD)])],
  ])('an Encrypt envelope with %s is refused', async (_, edit) => {
    await expectProfileRefusal(await crafted({ content: edit }), 'encrypt');
  });

  test('an Encrypt0 envelope with anything in its Sign1 unprotected bucket is refused', async () => {
    await expectProfileRefusal(await crafted({ inner: 'encrypt0', content: (c) => c.sign1Unprotected.set(WardHeaderLabel.detachedCiphertext, new Uint8Array(16)) }), 'encrypt0');
  });

  test('verifyEnvelope() alone, with no key, refuses any flipped bit of the detached ciphertext (the signed digest binds it)', async () => {
    const envelope = await sealed('encrypt');
    const [, unprotected] = (decodeCbor(envelope) as CborTag).value as CborValue[];
    const ciphertext = (unprotected as HeaderMap).get(WardHeaderLabel.detachedCiphertext) as Uint8Array;
    const at = indexOfBytes(envelope, ciphertext);
    expect(at).toBeGreaterThan(0);
    for (let bit = 0; bit < ciphertext.length * 8; bit += 7) {
      const tampered = envelope.slice();
      tampered[at + (bit >> 3)]! ^= 1 << (bit & 7);
      const error = await caught(verifyEnvelope(tampered, { backend, trust: producerTrust }));
      expect(EnvelopeError.isInstance(error)).toBe(true);
      expect((error as EnvelopeError).cause).toMatchObject({ code: 'ERR_COSE_INVALID_HEADER', message: 'sealed envelope ciphertext does not match its signed digest' });
    }
  });

  test.each<[string, (h: HeaderMap) => void]>([
    ['no CWT claims', (h) => h.delete(HeaderLabel.cwtClaims)],
    ['claims not a map', (h) => h.set(HeaderLabel.cwtClaims, ['parking-sensor-3'])],
    ['no issuer', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).delete(ClaimKey.issuer)],
    ['a non-text subject', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).set(ClaimKey.subject, 5)],
    ['a negative sequence', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).set(ClaimKey.sequence, -1)],
    ['no sequence', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).delete(ClaimKey.sequence)],
    ['an empty id', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).set(ClaimKey.id, new Uint8Array(0))],
    ['a 65-byte id', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).set(ClaimKey.id, new Uint8Array(65))],
    ['issuedAt beyond 2^53', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).set(ClaimKey.issuedAt, 2n ** 60n)],
    ['no attributes', (h) => h.delete(WardHeaderLabel.attributes)],
    ['attributes not a map', (h) => h.set(WardHeaderLabel.attributes, 'internal')],
    ['no classification', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).delete(AttributeKey.classification)],
    ['an unknown integer attribute key', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set(99, 'x')],
    ['a purpose that is not a text array', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set(AttributeKey.purpose, ['a', 1])],
    ['a map-valued extra attribute', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set('camera', new Map([[1, 2]]))],
    ['a byte-string extra attribute', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set('blob', new Uint8Array(2))],
  ])('%s is refused', async (_, edit) => {
    await expectProfileRefusal(await crafted({ header: edit }), 'encrypt');
  });

  test('a plain COSE_Sign1 (not an envelope) by a trusted key is refused', async () => {
    const message = await createSign1(PAYLOAD, { backend, key: producerKey, kid: PRODUCER_KID });
    const error = await caught(verifyEnvelope(message, { backend, trust: producerTrust }));
    expect(EnvelopeError.isInstance(error)).toBe(true);
  });

  test('unprotected Sign1 parameters cannot change the signed facts', async () => {
    const envelope = await sealed('encrypt');
    const [protectedBytes, , payload, signature] = (decodeCbor(envelope) as CborTag).value as CborValue[];
    const overrides: HeaderMap = new Map<number | string, CborValue>([
      [WardHeaderLabel.attributes, new Map<CborValue, CborValue>([[AttributeKey.classification, 'public']])],
      [HeaderLabel.cwtClaims, new Map<CborValue, CborValue>([[ClaimKey.issuer, 'mallory']])],
    ]);
    const doctored = encodeCbor(new CborTag(CoseTag.Sign1, [protectedBytes!, overrides, payload!, signature!]));
    let facts;
    try {
      facts = await verifyEnvelope(doctored, { backend, trust: producerTrust });
    } catch (error) {
      expect(EnvelopeError.isInstance(error)).toBe(true); // refusing is fine too
      return;
    }
    expect(facts.attributes).toEqual(ATTRIBUTES);
    expect(facts.provenance.issuer).toBe(CLAIMS.issuer);
    expect(decodeProtectedHeader(protectedBytes as Uint8Array).get(HeaderLabel.kid)).toEqual(PRODUCER_KID);
  });

  test('every refusal is an EnvelopeError whose cause is a WardError', async () => {
    const envelope = await sealed('encrypt0');
    const tampered = envelope.slice();
    tampered[tampered.length - 1]! ^= 1;
    const error = await caught(verifyEnvelope(tampered, { backend, trust: producerTrust }));
    expect(EnvelopeError.isInstance(error)).toBe(true);
    expect(errorChain(error).slice(1).every((e) => WardError.isInstance(e))).toBe(true);
  });
});

/* ------------------------------------------------------------------------------------------ */
/* The signed inner message is what the content type says (SPEC.md §5), checked without keys */
/* ------------------------------------------------------------------------------------------ */

/** verifyEnvelope() (no key) and openEnvelope() refuse with the given cause code; verifyEnvelope() touches no key. */
async function expectInnerRefusal(envelope: Uint8Array, form: 'encrypt0' | 'encrypt', code: string): Promise<void> {
  const reader = form === 'encrypt0' ? { key: sharedKey } : { recipient: { kek } };
  const spy = spying(backend);
  for (const run of [
    () => verifyEnvelope(envelope, { backend: spy.backend, trust: producerTrust }),
    () => openEnvelope(envelope, { backend, trust: producerTrust, ...reader }),
  ]) {
    const error = await caught(run());
    expect(EnvelopeError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_ENVELOPE_INVALID' });
    expect(WardError.isInstance((error as EnvelopeError).cause)).toBe(true);
    expect((error as EnvelopeError).cause).toMatchObject({ code });
  }
  expect(spy.calls.filter((c) => KEY_USE.includes(c))).toEqual([]);
}

/** A COSE message with `tag` and `fields`, encoded. */
const tagged = (tag: number, fields: CborValue[]): Uint8Array => encodeCbor(new CborTag(tag, fields));
/** The fields of the inner message sealEnvelope() built. */
const fieldsOf = (inner: Uint8Array): CborValue[] => (decodeCbor(inner) as CborTag).value as CborValue[];
/** Arrays nested `depth` deep around 0: a nesting bomb. */
const nestingBomb = (depth: number): Uint8Array => Uint8Array.from([...new Uint8Array(depth).fill(0x81), 0x00]);

describe('verifyEnvelope() checks the shape of the inner message it signs off, without keys', () => {
  test.each<[string, (inner: Uint8Array) => Uint8Array, string]>([
    ['bytes that are not CBOR', () => Uint8Array.of(0xff, 0xfe, 0xfd), 'ERR_CBOR_MALFORMED'],
    ['a nesting bomb', () => nestingBomb(100_000), 'ERR_CBOR_LIMIT'],
    ['a COSE_Mac0', () => tagged(CoseTag.Mac0, [new Uint8Array(0), new Map(), PAYLOAD, new Uint8Array(32)]), 'ERR_COSE_WRONG_TAG'],
    ['a COSE_Encrypt', (inner) => tagged(CoseTag.Encrypt, [...fieldsOf(inner), []]), 'ERR_COSE_WRONG_TAG'],
    ['an untagged COSE_Encrypt0', (inner) => encodeCbor(fieldsOf(inner)), 'ERR_COSE_WRONG_TAG'],
    ['a COSE_Encrypt0 of 4 fields', (inner) => tagged(CoseTag.Encrypt0, [...fieldsOf(inner), null]), 'ERR_COSE_MALFORMED'],
    ['a COSE_Encrypt0 whose ciphertext is text', (inner) => tagged(CoseTag.Encrypt0, [...fieldsOf(inner).slice(0, 2), 'ciphertext']), 'ERR_COSE_MALFORMED'],
    ['a COSE_Encrypt0 whose protected bucket is not a map', (inner) => tagged(CoseTag.Encrypt0, [encodeCbor([1, 3]), ...fieldsOf(inner).slice(1)]), 'ERR_COSE_INVALID_HEADER'],
  ])('content type 16: a signed inner message that is %s is refused', async (_, replace, code) => {
    await expectInnerRefusal(await crafted({ inner: 'encrypt0', signedInner: replace }), 'encrypt0', code);
  });

  test.each<[string, Craft, string]>([
    ['an empty recipients array', { recipients: () => [] }, 'ERR_COSE_MALFORMED'],
    ['a map in place of the recipients', { recipients: (r) => new Map([[0, r[0]!]]) }, 'ERR_COSE_MALFORMED'],
    ['65 recipients', { recipients: (r) => Array.from({ length: 65 }, () => r[0]!) }, 'ERR_COSE_MALFORMED'],
    ['a recipient that is not an array of 3', { recipients: (r) => [...r, [new Uint8Array(0), new Map()]] }, 'ERR_COSE_MALFORMED'],
    ['a recipient whose wrapped key is text', { recipients: (r) => [...r, [new Uint8Array(0), new Map([[1, -5]]), 'key']] }, 'ERR_COSE_MALFORMED'],
    ['a recipient whose protected bucket is not a byte string', { recipients: (r) => [...r, [new Map(), new Map([[1, -5]]), new Uint8Array(40)]] }, 'ERR_COSE_MALFORMED'],
    ['bytes that are not CBOR', { signedInner: () => Uint8Array.of(0xff) }, 'ERR_CBOR_MALFORMED'],
    ['a nesting bomb', { signedInner: () => nestingBomb(100_000) }, 'ERR_CBOR_LIMIT'],
    ['a COSE_Encrypt0', { signedInner: (inner) => tagged(CoseTag.Encrypt0, fieldsOf(inner).slice(0, 3)) }, 'ERR_COSE_WRONG_TAG'],
  ])('content type 96: a signed COSE_Encrypt with %s is refused', async (_, craft, code) => {
    await expectInnerRefusal(await crafted(craft), 'encrypt', code);
  });

  test('the inner shape is checked within the caller\'s decoding limits', async () => {
    /* An unauthenticated parameter nested 8 deep in the inner message: within the default depth, beyond maxDepth 8. */
    let nested: CborValue = 0;
    for (let i = 0; i < 8; i++) nested = [nested];
    const envelope = await crafted({
      inner: 'encrypt0',
      signedInner: (inner) => {
        const [p, u, c] = fieldsOf(inner);
        return tagged(CoseTag.Encrypt0, [p!, new Map([...(u as HeaderMap), ['note', nested]]), c!]);
      },
    });
    expect((await openEnvelope(envelope, { backend, trust: producerTrust, key: sharedKey })).plaintext).toEqual(PAYLOAD);
    const error = await caught(verifyEnvelope(envelope, { backend, trust: producerTrust, maxDepth: 8 }));
    expect(EnvelopeError.isInstance(error)).toBe(true);
    expect((error as EnvelopeError).cause).toMatchObject({ code: 'ERR_CBOR_LIMIT' });
  });
});

describe('a direct key agreement recipient only as the single recipient, on read too (SPEC.md §2, RFC 9052 §5.1)', () => {
  test.each(['after', 'before'] as const)('a signed COSE_Encrypt with a direct (ECDH-ES+HKDF-256) recipient %s the reader\'s is refused by verifyEnvelope() and openEnvelope()', async (where) => {
    const x25519 = backend.publicKey(backend.generateKey('X25519'));
    const { structure } = await buildRecipient(backend, { publicKey: x25519, mode: 'direct' }, undefined, CoseAlgorithm.A256GCM, 32);
    const envelope = await crafted({ recipients: (r) => (where === 'after' ? [...r, structure] : [structure, ...r]) });
    await expectInnerRefusal(envelope, 'encrypt', 'ERR_COSE_MALFORMED');
  });
});
