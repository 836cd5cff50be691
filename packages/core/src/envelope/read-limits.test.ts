/*
 * The profile's limits on read (SPEC.md §5, §7): an envelope comes from whoever holds a trusted
 * key, not from sealEnvelope(). Envelopes here are forged with the low-level COSE API (correctly
 * encrypted, bound and signed by a trusted producer or re-wrap authority) and break exactly one
 * stated limit: verifyEnvelope(), openEnvelope() and rewrapEnvelope() must all refuse them with ERR_ENVELOPE_INVALID,
 * before any key is touched and without plaintext. At the limits, everything passes, and every
 * fact set verifyEnvelope() returns is a valid policy input (one rule set: profile.ts).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { caught, spying } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { CryptoBackend, VerifyingKey } from '../backend/crypto-backend.js';
import { CborTag, decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { encryptContentLayer } from '../cose/encrypt.js';
import { createEncrypt0 } from '../cose/encrypt0.js';
import { HeaderLabel, decodeProtectedHeader, encodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { CoseTag } from '../cose/message.js';
import { signEncodedSign1, signatureAlgorithmOf } from '../cose/sign1.js';
import { EnvelopeError, WardError } from '../errors.js';
import { canonicalPolicyInput, policyResourceOf } from '../policy/evaluation/policy-input.js';
import { commitToContentKey } from './commitment.js';
import { ciphertextDigest } from './detached.js';
import { openEnvelope } from './open.js';
import { AttributeKey, ClaimKey, ContentFormat, WardHeaderLabel } from '../profile/labels.js';
import { PROFILE_LIMITS } from '../profile/limits.js';
import type { AccessAttributes, ProvenanceInput } from '../profile/facts.js';
import { rewrapEnvelope } from './rewrap.js';
import type { RewrapOptions } from './rewrap.js';
import { sealEnvelope, sealExternalAad } from './seal.js';
import { verifyEnvelope } from './verify.js';
import type { EnvelopeFacts } from '../profile/facts.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const PAYLOAD = te.encode('{"occupancy":17}');

const producerKey = backend.generateKey('Ed25519');
const producerTrust: VerifyingKey = backend.publicKey(producerKey);
const PRODUCER_KID = te.encode('parking-sensor-3#1');
const authorityKey = backend.generateKey('Ed25519');
const authorityTrust: VerifyingKey = backend.publicKey(authorityKey);
const readerKek = backend.generateKey('AES-KW');
const authorityKek = backend.generateKey('AES-KW');
const sharedKey = backend.generateKey('AES-GCM');
const READER = { kek: readerKek, kid: te.encode('reader') };
const ARCHIVE = { kek: authorityKek, kid: te.encode('archive') };
const AUTHORITY = { key: authorityKey, kid: te.encode('archive-signer'), issuer: 'city-archive' };

const KEY_USE = ['deriveSharedSecret', 'unwrapKey', 'aeadDecrypt', 'importKey', 'hkdfSha256'];
const SUBJECT = { id: 'ana', roles: ['analyst'], purpose: 'planning' };

const text = (length: number): string => 'x'.repeat(length);
const texts = (count: number): string[] => Array.from({ length: count }, (_, i) => `p${i}`);

/* ------------------------------------------------------------------------------------------ */
/* Forging: what a trusted producer can sign without sealEnvelope()'s checks                          */
/* ------------------------------------------------------------------------------------------ */

interface Forgery {
  /** Edits the Sign1 protected header (claims and attributes included) before it is encoded. */
  readonly edit?: (header: HeaderMap) => void;
  /** Replaces the encoding of a placeholder text in the encoded header with raw CBOR bytes. */
  readonly patch?: readonly [placeholder: string, raw: Uint8Array];
}

const claimsOf = (h: HeaderMap): Map<CborValue, CborValue> => h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>;
const attributesOf = (h: HeaderMap): Map<CborValue, CborValue> => h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>;

function replaceBytes(haystack: Uint8Array, needle: Uint8Array, replacement: Uint8Array): Uint8Array {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return new Uint8Array([...haystack.subarray(0, i), ...replacement, ...haystack.subarray(i + needle.length)]);
  }
  throw new Error('placeholder not found');
}

/** The producer's Sign1 protected bucket with `claims` and `attributes` exactly as given. */
async function producerHeader(
  claims: Map<CborValue, CborValue>, attributes: Map<CborValue, CborValue>, cek: Uint8Array | undefined, forgery: Forgery = {},
): Promise<Uint8Array> {
  const header: HeaderMap = new Map<CborValue, CborValue>([
    [HeaderLabel.alg, signatureAlgorithmOf(producerKey)],
    [HeaderLabel.contentType, cek === undefined ? ContentFormat.encrypt0 : ContentFormat.encrypt],
    [HeaderLabel.kid, PRODUCER_KID],
    [HeaderLabel.cwtClaims, claims],
    [WardHeaderLabel.attributes, attributes],
  ]) as HeaderMap;
  if (cek !== undefined) header.set(WardHeaderLabel.keyCommitment, await commitToContentKey(backend, cek));
  forgery.edit?.(header);
  const bytes = encodeProtectedHeader(header);
  return forgery.patch === undefined ? bytes : replaceBytes(bytes, encodeCbor(forgery.patch[0]), forgery.patch[1]);
}

const baseClaims = (): Map<CborValue, CborValue> => new Map<CborValue, CborValue>([
  [ClaimKey.issuer, 'parking-sensor-3'], [ClaimKey.subject, 'parking/lot-b'], [ClaimKey.issuedAt, 1_700_000_000],
  [ClaimKey.id, te.encode('id-0001')], [ClaimKey.sequence, 99],
]);
const baseAttributes = (): Map<CborValue, CborValue> => new Map<CborValue, CborValue>([
  [AttributeKey.classification, 'internal'], [AttributeKey.zone, 'lot-b'], [AttributeKey.purpose, ['planning']],
  [AttributeKey.owner, 'mobility'], [AttributeKey.retention, 86_400],
]);

/** A COSE_Encrypt envelope (reader and re-wrap authority as recipients), signed by the trusted producer. */
async function forgeSealed(
  forgery: Forgery = {}, claims: Map<CborValue, CborValue> = baseClaims(), attributes: Map<CborValue, CborValue> = baseAttributes(),
): Promise<Uint8Array> {
  let protectedBytes: Uint8Array | undefined;
  const layer = await encryptContentLayer(PAYLOAD, {
    backend,
    recipients: [READER, ARCHIVE],
    externalAad: async (cek) => {
      protectedBytes = await producerHeader(claims, attributes, cek, forgery);
      return sealExternalAad(protectedBytes);
    },
  });
  const contentHeader = new Map<CborValue, CborValue>([...layer.unprotectedHeader, [WardHeaderLabel.ciphertextDigest, await ciphertextDigest(backend, layer.ciphertext)]]);
  const inner = encodeCbor(new CborTag(CoseTag.Encrypt, [layer.protectedBytes, contentHeader, null, layer.recipients]));
  const outside: HeaderMap = new Map([[WardHeaderLabel.detachedCiphertext, layer.ciphertext]]);
  return signEncodedSign1(inner, protectedBytes!, outside, { backend, key: producerKey });
}

/** A COSE_Encrypt0 envelope under the shared key, signed by the trusted producer. */
async function forgeShared(claims: Map<CborValue, CborValue>, attributes: Map<CborValue, CborValue>): Promise<Uint8Array> {
  const protectedBytes = await producerHeader(claims, attributes, undefined);
  const inner = await createEncrypt0(PAYLOAD, { backend, key: sharedKey, kid: te.encode('shared'), externalAad: sealExternalAad(protectedBytes) });
  return signEncodedSign1(inner, protectedBytes, new Map(), { backend, key: producerKey });
}

const rewrapOptions = (b: CryptoBackend = backend): RewrapOptions => ({
  backend: b, trust: producerTrust, rewrapAuthorities: authorityTrust,
  recipient: ARCHIVE, recipients: [READER, ARCHIVE], authority: AUTHORITY, rewrappedAt: 1_800_000_000,
});

/** A valid envelope re-wrapped by the authority, whose CWT claims are then edited and re-signed by the (trusted) authority. */
async function forgeRewrapped(edit: (claims: Map<CborValue, CborValue>) => void): Promise<Uint8Array> {
  const rewrapped = await rewrapEnvelope(await forgeSealed(), rewrapOptions());
  const [protectedBytes, outside, inner] = (decodeCbor(rewrapped) as CborTag).value as CborValue[];
  const header = decodeProtectedHeader(protectedBytes as Uint8Array);
  edit(claimsOf(header));
  return signEncodedSign1(inner as Uint8Array, encodeProtectedHeader(header), outside as HeaderMap, { backend, key: authorityKey });
}

/** verifyEnvelope(), openEnvelope() and rewrapEnvelope() all refuse, with the given cause code, and no key is touched. */
async function expectRefusedOnRead(envelope: Uint8Array, cause: string): Promise<void> {
  const spy = spying(backend);
  for (const run of [
    () => verifyEnvelope(envelope, { backend: spy.backend, trust: producerTrust, rewrapAuthorities: authorityTrust }),
    () => openEnvelope(envelope, { backend: spy.backend, trust: producerTrust, rewrapAuthorities: authorityTrust, recipient: READER }),
    () => rewrapEnvelope(envelope, rewrapOptions(spy.backend)),
  ]) {
    const error = await caught(run());
    expect(EnvelopeError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_ENVELOPE_INVALID', message: 'envelope refused' });
    expect(WardError.isInstance((error as EnvelopeError).cause)).toBe(true);
    expect((error as EnvelopeError).cause).toMatchObject({ code: cause });
  }
  /* Refused while verifying: no key was used, so nothing was decrypted or released. */
  expect(spy.calls.filter((c) => KEY_USE.includes(c))).toEqual([]);
}

/** verifyEnvelope(), openEnvelope() and rewrapEnvelope() all accept it, and the facts are a valid policy input. */
async function expectAcceptedOnRead(envelope: Uint8Array): Promise<EnvelopeFacts> {
  const options = { backend, trust: producerTrust, rewrapAuthorities: authorityTrust };
  const facts = await verifyEnvelope(envelope, options);
  expect((await openEnvelope(envelope, { ...options, recipient: READER })).plaintext).toEqual(PAYLOAD);
  expect((await openEnvelope(await rewrapEnvelope(envelope, rewrapOptions()), { ...options, recipient: READER })).plaintext).toEqual(PAYLOAD);
  expect(() => canonicalPolicyInput({ action: 'open', subject: SUBJECT, resource: policyResourceOf(facts), environment: { time: 1_900_000_000 } })).not.toThrow();
  return facts;
}

/* ------------------------------------------------------------------------------------------ */

describe('the profile limits are enforced on read (SPEC.md §5, §7)', () => {
  test('control: the forging helpers build envelopes that verify, open and re-wrap', async () => {
    await expectAcceptedOnRead(await forgeSealed());
    await expectAcceptedOnRead(await forgeRewrapped(() => undefined));
  });

  const INVALID = 'ERR_COSE_INVALID_HEADER';
  test.each<[string, Forgery, string]>([
    /* claims */
    ['an iss of 257 characters', { edit: (h) => claimsOf(h).set(ClaimKey.issuer, text(257)) }, INVALID],
    ['an empty iss', { edit: (h) => claimsOf(h).set(ClaimKey.issuer, '') }, INVALID],
    ['a sub of 257 characters', { edit: (h) => claimsOf(h).set(ClaimKey.subject, text(257)) }, INVALID],
    ['an empty sub', { edit: (h) => claimsOf(h).set(ClaimKey.subject, '') }, INVALID],
    ['an iss with a lone surrogate (CESU-8 bytes)', { edit: (h) => claimsOf(h).set(ClaimKey.issuer, 'PLACEHOLDER'), patch: ['PLACEHOLDER', Uint8Array.of(0x63, 0xed, 0xa0, 0x80)] }, 'ERR_CBOR_MALFORMED'],
    ['an empty cti', { edit: (h) => claimsOf(h).set(ClaimKey.id, new Uint8Array(0)) }, INVALID],
    ['a cti of 65 bytes', { edit: (h) => claimsOf(h).set(ClaimKey.id, new Uint8Array(65)) }, INVALID],
    ['an iat beyond 2^53 − 1', { edit: (h) => claimsOf(h).set(ClaimKey.issuedAt, 2n ** 53n) }, INVALID],
    /* standard attributes */
    ['a classification of 257 characters', { edit: (h) => attributesOf(h).set(AttributeKey.classification, text(257)) }, INVALID],
    ['an empty classification', { edit: (h) => attributesOf(h).set(AttributeKey.classification, '') }, INVALID],
    ['a zone of 257 characters', { edit: (h) => attributesOf(h).set(AttributeKey.zone, text(257)) }, INVALID],
    ['an empty zone', { edit: (h) => attributesOf(h).set(AttributeKey.zone, '') }, INVALID],
    ['an owner of 257 characters', { edit: (h) => attributesOf(h).set(AttributeKey.owner, text(257)) }, INVALID],
    ['an empty owner', { edit: (h) => attributesOf(h).set(AttributeKey.owner, '') }, INVALID],
    ['33 purposes', { edit: (h) => attributesOf(h).set(AttributeKey.purpose, texts(33)) }, INVALID],
    ['a purpose of 257 characters', { edit: (h) => attributesOf(h).set(AttributeKey.purpose, ['planning', text(257)]) }, INVALID],
    ['an empty purpose', { edit: (h) => attributesOf(h).set(AttributeKey.purpose, ['']) }, INVALID],
    ['a retention beyond 2^53 − 1', { edit: (h) => attributesOf(h).set(AttributeKey.retention, 2n ** 53n) }, INVALID],
    /* free-form attributes */
    ['33 free-form attributes', { edit: (h) => { for (const name of texts(33)) attributesOf(h).set(name, true); } }, INVALID],
    ['a free-form attribute name of 257 characters', { edit: (h) => attributesOf(h).set(text(257), 'v') }, INVALID],
    ['an empty free-form attribute name', { edit: (h) => attributesOf(h).set('', 'v') }, INVALID],
    ['a free-form text of 257 characters', { edit: (h) => attributesOf(h).set('camera', text(257)) }, INVALID],
    ['an empty free-form text', { edit: (h) => attributesOf(h).set('camera', '') }, INVALID],
    ['a free-form text list of 33 entries', { edit: (h) => attributesOf(h).set('cameras', texts(33)) }, INVALID],
    ['a free-form text list with an entry of 257 characters', { edit: (h) => attributesOf(h).set('cameras', ['c1', text(257)]) }, INVALID],
    ['a free-form text list with an empty entry', { edit: (h) => attributesOf(h).set('cameras', ['']) }, INVALID],
    ['a free-form integer 2^53', { edit: (h) => attributesOf(h).set('count', 2n ** 53n) }, INVALID],
    ['a free-form integer −2^53', { edit: (h) => attributesOf(h).set('count', -(2n ** 53n)) }, INVALID],
    ['a free-form integral float (1.0)', { edit: (h) => attributesOf(h).set('count', 'PLACEHOLDER'), patch: ['PLACEHOLDER', Uint8Array.of(0xf9, 0x3c, 0x00)] }, 'ERR_CBOR_UNSUPPORTED'],
    ['a free-form text with a lone surrogate (CESU-8 bytes)', { edit: (h) => attributesOf(h).set('camera', 'PLACEHOLDER'), patch: ['PLACEHOLDER', Uint8Array.of(0x63, 0xed, 0xa0, 0x80)] }, 'ERR_CBOR_MALFORMED'],
  ])('a trusted producer\'s envelope with %s is refused by verifyEnvelope(), openEnvelope() and rewrapEnvelope()', async (_, forgery, cause) => {
    await expectRefusedOnRead(await forgeSealed(forgery), cause);
  });

  test.each<[string, (claims: Map<CborValue, CborValue>) => void]>([
    ['an issuer of 257 characters', (c) => c.set(ClaimKey.issuer, text(257))],
    ['an empty issuer', (c) => c.set(ClaimKey.issuer, '')],
    ['a re-wrap time beyond 2^53 − 1', (c) => c.set(ClaimKey.issuedAt, 2n ** 53n)],
    ['a cti of 65 bytes', (c) => c.set(ClaimKey.id, new Uint8Array(65))],
  ])('a trusted re-wrap authority\'s claims with %s are refused by verifyEnvelope(), openEnvelope() and rewrapEnvelope()', async (_, edit) => {
    await expectRefusedOnRead(await forgeRewrapped(edit), 'ERR_COSE_INVALID_HEADER');
  });

  test.each<[string, Forgery]>([
    ['an iss and sub of 256 characters', { edit: (h) => { claimsOf(h).set(ClaimKey.issuer, text(256)); claimsOf(h).set(ClaimKey.subject, text(256)); } }],
    ['32 purposes of 256 characters', { edit: (h) => attributesOf(h).set(AttributeKey.purpose, texts(32).map((p) => p.padEnd(256, '.'))) }],
    ['32 free-form attributes', { edit: (h) => { for (const name of texts(32)) attributesOf(h).set(name, 1.5); } }],
    ['a free-form name and text of 256 characters', { edit: (h) => attributesOf(h).set(text(256), 'y'.repeat(256)) }],
    ['a free-form text list of 32 entries', { edit: (h) => attributesOf(h).set('cameras', texts(32)) }],
    ['free-form integers ±(2^53 − 1)', { edit: (h) => { attributesOf(h).set('max', Number.MAX_SAFE_INTEGER); attributesOf(h).set('min', -Number.MAX_SAFE_INTEGER); } }],
    ['a cti of 64 bytes and a retention of 2^53 − 1', { edit: (h) => { claimsOf(h).set(ClaimKey.id, new Uint8Array(64).fill(1)); attributesOf(h).set(AttributeKey.retention, Number.MAX_SAFE_INTEGER); } }],
  ])('at the limit: %s verifies, opens, re-wraps and is a valid policy input', async (_, forgery) => {
    await expectAcceptedOnRead(await forgeSealed(forgery));
  });

  test('at the limit: a re-wrap authority issuer of 256 characters verifies, opens, re-wraps and is a valid policy input', async () => {
    const facts = await expectAcceptedOnRead(await forgeRewrapped((c) => c.set(ClaimKey.issuer, text(256))));
    expect(facts.rewrap?.issuer).toBe(text(256));
  });
});

/* ------------------------------------------------------------------------------------------ */
/* Property: one rule set for sealEnvelope(), verifyEnvelope() and the policy input                            */
/* ------------------------------------------------------------------------------------------ */

/* Well-formed text of 1..256 UTF-16 code units, from the whole of Unicode. */
const validText = fc.string({ unit: 'binary', minLength: 1, maxLength: PROFILE_LIMITS.text })
  .filter((s) => s.length <= PROFILE_LIMITS.text);
const safeInteger = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const fractional = fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d));
const attributeValue = fc.oneof(validText, fc.boolean(), safeInteger, fractional, fc.array(validText, { maxLength: PROFILE_LIMITS.textList }));

const validFacts = fc.record({
  claims: fc.record({
    issuer: validText,
    subject: validText,
    sequence: fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    issuedAt: fc.nat(),
    id: fc.uint8Array({ minLength: 1, maxLength: PROFILE_LIMITS.id }),
  }),
  attributes: fc.record({
    classification: validText,
    zone: validText,
    purpose: fc.array(validText, { maxLength: PROFILE_LIMITS.purposes }),
    owner: validText,
    retention: fc.nat(),
    extra: fc.dictionary(validText, attributeValue, { maxKeys: PROFILE_LIMITS.extra }),
  }, { requiredKeys: ['classification'] }),
});
type Facts = { claims: ProvenanceInput & { issuedAt: number; id: Uint8Array }; attributes: AccessAttributes };

/** The wire maps of a fact set, written as is: no validation (what any producer can sign). */
function wire(facts: Facts): { claims: Map<CborValue, CborValue>; attributes: Map<CborValue, CborValue> } {
  const { claims, attributes } = facts;
  const map = new Map<CborValue, CborValue>([[AttributeKey.classification, attributes.classification]]);
  if (attributes.zone !== undefined) map.set(AttributeKey.zone, attributes.zone);
  if (attributes.purpose !== undefined) map.set(AttributeKey.purpose, [...attributes.purpose]);
  if (attributes.owner !== undefined) map.set(AttributeKey.owner, attributes.owner);
  if (attributes.retention !== undefined) map.set(AttributeKey.retention, attributes.retention);
  for (const [name, value] of Object.entries(attributes.extra ?? {})) map.set(name, Array.isArray(value) ? [...value] : value as CborValue);
  return {
    claims: new Map<CborValue, CborValue>([
      [ClaimKey.issuer, claims.issuer], [ClaimKey.subject, claims.subject], [ClaimKey.issuedAt, claims.issuedAt],
      [ClaimKey.id, claims.id], [ClaimKey.sequence, claims.sequence],
    ]),
    attributes: map,
  };
}

/* One limit broken, on a valid fact set. */
const tooLong = fc.string({ minLength: PROFILE_LIMITS.text + 1, maxLength: PROFILE_LIMITS.text + 40 });
const beyondSafe = fc.oneof(fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }), fc.bigInt({ min: -(2n ** 64n), max: -(2n ** 53n) }));
const violation: fc.Arbitrary<(f: Facts) => Facts> = fc.oneof(
  tooLong.map((s) => (f: Facts) => ({ ...f, claims: { ...f.claims, issuer: s } })),
  fc.constant((f: Facts) => ({ ...f, claims: { ...f.claims, subject: '' } })),
  tooLong.map((s) => (f: Facts) => ({ ...f, attributes: { ...f.attributes, zone: s } })),
  fc.array(validText, { minLength: PROFILE_LIMITS.purposes + 1, maxLength: PROFILE_LIMITS.purposes + 8 })
    .map((p) => (f: Facts) => ({ ...f, attributes: { ...f.attributes, purpose: p } })),
  fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: PROFILE_LIMITS.extra + 1, maxLength: PROFILE_LIMITS.extra + 8 })
    .map((names) => (f: Facts) => ({ ...f, attributes: { ...f.attributes, extra: Object.fromEntries(names.map((n) => [n, true])) } })),
  tooLong.map((s) => (f: Facts) => ({ ...f, attributes: { ...f.attributes, extra: { ...f.attributes.extra, [s]: 'v' } } })),
  fc.array(validText, { minLength: PROFILE_LIMITS.textList + 1, maxLength: PROFILE_LIMITS.textList + 8 })
    .map((list) => (f: Facts) => ({ ...f, attributes: { ...f.attributes, extra: { ...f.attributes.extra, list } } })),
  beyondSafe.map((n) => (f: Facts) => ({ ...f, attributes: { ...f.attributes, extra: { ...f.attributes.extra, n: n as unknown as number } } })),
);

/* Headers at every limit exceed the default 16 KiB bucket; the property is about the profile's limits. */
const LARGE = { maxHeaderBytes: 1 << 20 };

describe('one rule set: sealEnvelope(), verifyEnvelope() and the policy input', () => {
  test('property: a fact set within the limits seals, verifies to itself and is a valid policy input', async () => {
    await fc.assert(fc.asyncProperty(validFacts, async (facts) => {
      const { claims, attributes } = wire(facts as Facts);
      const verified = await verifyEnvelope(await forgeShared(claims, attributes), { backend, trust: producerTrust, ...LARGE });
      expect(() => canonicalPolicyInput({ action: 'open', subject: SUBJECT, resource: policyResourceOf(verified), environment: { time: 1 } })).not.toThrow();
      /* sealEnvelope() writes exactly what readers accept. */
      const sealed = await sealEnvelope(PAYLOAD, { backend, signer: { key: producerKey, kid: PRODUCER_KID }, key: { key: sharedKey, kid: te.encode('shared') }, ...(facts as Facts) });
      expect((await verifyEnvelope(sealed, { backend, trust: producerTrust, ...LARGE })).attributes).toEqual(verified.attributes);
    }), { numRuns: 40 });
  });

  test('property: a fact set beyond any one limit fails verifyEnvelope() on read (ERR_ENVELOPE_INVALID) and sealEnvelope() on write', async () => {
    await fc.assert(fc.asyncProperty(validFacts, violation, async (facts, breakOne) => {
      const broken = breakOne(facts as Facts);
      const { claims, attributes } = wire(broken);
      const error = await caught(verifyEnvelope(await forgeShared(claims, attributes), { backend, trust: producerTrust, ...LARGE }));
      expect(error).toMatchObject({ code: 'ERR_ENVELOPE_INVALID' });
      const refused = await caught(sealEnvelope(PAYLOAD, { backend, signer: { key: producerKey, kid: PRODUCER_KID }, key: { key: sharedKey, kid: te.encode('shared') }, ...broken }));
      expect(refused).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }), { numRuns: 40 });
  });
});

describe('writers refuse what readers refuse', () => {
  const sealWith = (claims: Partial<ProvenanceInput & { id: Uint8Array; issuedAt: number }>, attributes: Partial<AccessAttributes> = {}) => sealEnvelope(PAYLOAD, {
    backend, signer: { key: producerKey, kid: PRODUCER_KID }, key: { key: sharedKey, kid: te.encode('shared') },
    claims: { issuer: 'parking-sensor-3', subject: 'parking/lot-b', sequence: 1, ...claims }, attributes: { classification: 'internal', ...attributes },
  });

  test.each<[string, () => Promise<unknown>]>([
    ['an empty cti', () => sealWith({ id: new Uint8Array(0) })],
    ['a cti of 65 bytes', () => sealWith({ id: new Uint8Array(65) })],
    ['an iat that is a bigint', () => sealWith({ issuedAt: 2n ** 60n as unknown as number })],
    ['a retention that is a bigint', () => sealWith({}, { retention: 2n ** 60n as unknown as number })],
    ['a free-form text list of 33 entries', () => sealWith({}, { extra: { cameras: texts(33) } })],
    ['a re-wrap authority issuer of 257 characters', async () => rewrapEnvelope(await forgeSealed(), { ...rewrapOptions(), authority: { ...AUTHORITY, issuer: text(257) } })],
  ])('sealEnvelope() and rewrapEnvelope() refuse to write %s (ERR_INVALID_ARGUMENT)', async (_, write) => {
    expect(await caught(write())).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});
