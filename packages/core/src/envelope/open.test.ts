/*
 * openEnvelope(): policy before keys (the authorize gate runs on verified facts and before any key is
 * touched), wrong keys, and the AAD binding of the inner message to the signed header
 * (SPEC.md §AAD binding): stripping the producer's signature and re-signing, or moving the
 * inner message under other attributes or claims, never opens.
 */
import { describe, expect, test } from 'vitest';
import { caught, errorChain, spying } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import { CborTag, decodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import type { RecipientKey, RecipientSpec } from '../cose/encrypt.js';
import { HeaderLabel, decodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { createSign1 } from '../cose/sign1.js';
import { ArgumentError, DecryptionError, EnvelopeError, WardError } from '../errors.js';
import { openEnvelope } from './open.js';
import type { OpenOptions } from './open.js';
import { AttributeKey, ClaimKey, WardHeaderLabel } from '../profile/labels.js';
import type { AccessAttributes } from '../profile/facts.js';
import { sealEnvelope } from './seal.js';
import { verifyEnvelope } from './verify.js';
import type { EnvelopeFacts } from '../profile/facts.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

const PAYLOAD = te.encode('{"door":"4","event":"opened","badge":"0042"}');
const CLAIMS = { issuer: 'door-controller-4', subject: 'doors/building-7', sequence: 500 };
const ATTRIBUTES: AccessAttributes = { classification: 'special-category', zone: 'building-7', purpose: ['security'] };

interface Producer { readonly key: SigningKey; readonly kid: Uint8Array; readonly trust: VerifyingKey }
function producer(name: string, kind: 'Ed25519' | 'ECDSA-P256' = 'Ed25519'): Producer {
  const key = backend.generateKey(kind);
  return { key, kid: te.encode(name), trust: backend.publicKey(key) };
}
const victim = producer('door-controller-4');
const attacker = producer('mallory-gateway');
const attackerEs256 = producer('mallory-es256', 'ECDSA-P256');
/** A reader that trusts both producers (the attacker is a legitimate producer of other data). */
const trustBoth: OpenOptions['trust'] = ({ kid }) =>
  [victim, attacker, attackerEs256].find((p) => kid !== undefined && hex(p.kid) === hex(kid))?.trust;

const shared = { key: backend.generateKey('AES-GCM'), kid: te.encode('building-7-key') };
const x25519 = backend.generateKey('X25519');
const p256 = backend.generateKey('ECDH-P256');
const kek = backend.generateKey('AES-KW');
const RECIPIENTS: RecipientSpec[] = [
  { publicKey: backend.publicKey(x25519), kid: te.encode('analyst') },
  { publicKey: backend.publicKey(p256), kid: te.encode('auditor') },
  { kek, kid: te.encode('archive') },
];
const READERS: Record<string, RecipientKey> = {
  'X25519 reader': { privateKey: x25519, kid: te.encode('analyst') },
  'P-256 reader': { privateKey: p256, kid: te.encode('auditor') },
  'KEK reader': { kek, kid: te.encode('archive') },
};

type Form = 'encrypt0' | 'encrypt';
async function sealedBy(p: Producer, form: Form): Promise<Uint8Array> {
  const common = { backend, signer: { key: p.key, kid: p.kid }, claims: CLAIMS, attributes: ATTRIBUTES };
  return form === 'encrypt0' ? sealEnvelope(PAYLOAD, { ...common, key: shared }) : sealEnvelope(PAYLOAD, { ...common, recipients: RECIPIENTS });
}
function readerOf(form: Form, recipient: RecipientKey = READERS['X25519 reader']!): Pick<OpenOptions, 'key' | 'recipient'> {
  return form === 'encrypt0' ? { key: shared.key } : { recipient };
}

/** Every backend method that uses or derives a key for reading. */
const KEY_USE = ['deriveSharedSecret', 'unwrapKey', 'aeadDecrypt', 'importKey', 'hkdfSha256', 'exportKey'];


/** The parts of an envelope's Sign1; `unprotected` carries a COSE_Encrypt envelope's detached ciphertext. */
function partsOf(envelope: Uint8Array): { header: HeaderMap; unprotected: HeaderMap; inner: Uint8Array } {
  const fields = (decodeCbor(envelope) as CborTag).value as CborValue[];
  return { header: decodeProtectedHeader(fields[0] as Uint8Array), unprotected: fields[1] as HeaderMap, inner: fields[2] as Uint8Array };
}

/** Signs `inner` as an envelope by `by`, with the victim's header after `edit`. */
async function resign(envelope: Uint8Array, by: Producer, edit: (header: HeaderMap) => void = () => {}): Promise<Uint8Array> {
  const { header, unprotected, inner } = partsOf(envelope);
  header.delete(HeaderLabel.alg);
  header.delete(HeaderLabel.kid);
  edit(header);
  return createSign1(inner, { backend, key: by.key, kid: by.kid, protectedHeader: header, unprotectedHeader: unprotected });
}

/* ------------------------------------------------------------------------------------------ */

describe('openEnvelope(): authorize runs on verified facts, before any key is used', () => {
  test.each(['encrypt0', 'encrypt'] as const)('%s: authorize sees exactly the verified facts, once, then the plaintext is released', async (form) => {
    const envelope = await sealedBy(victim, form);
    const seen: EnvelopeFacts[] = [];
    const opened = await openEnvelope(envelope, { backend, trust: victim.trust, ...readerOf(form), authorize: (facts) => { seen.push(facts); } });
    expect(opened.plaintext).toEqual(PAYLOAD);
    expect(seen).toEqual([await verifyEnvelope(envelope, { backend, trust: victim.trust })]);
    expect(opened.facts).toEqual(seen[0]);
  });

  test.each([
    ['encrypt0', 'shared key'],
    ...Object.keys(READERS).map((name) => ['encrypt', name] as const),
  ] as const)('%s with a %s: a denying authorize stops openEnvelope() before any key use; its error propagates unchanged', async (form, name) => {
    const envelope = await sealedBy(victim, form as Form);
    const spy = spying(backend);
    const denial = new Error('policy: purpose "marketing" not allowed for special-category');
    let keyLookups = 0;
    let callsWhenAsked: string[] = [];
    const options: OpenOptions = {
      backend: spy.backend,
      trust: victim.trust,
      ...(form === 'encrypt0' ? { key: () => { keyLookups += 1; return shared.key; } } : { recipient: READERS[name]! }),
      authorize: () => {
        callsWhenAsked = [...spy.calls];
        throw denial;
      },
    };
    const error = await caught(openEnvelope(envelope, options));
    expect(error).toBe(denial); // unchanged: not wrapped in EnvelopeError
    expect(callsWhenAsked).toContain('verify'); // the signature was checked first
    expect(spy.calls).toEqual(callsWhenAsked); // and nothing ran after the gate
    expect(spy.calls.filter((c) => KEY_USE.includes(c))).toEqual([]);
    expect(keyLookups).toBe(0);
  });

  test('an async authorize that rejects with a non-Error value: the same value propagates', async () => {
    const envelope = await sealedBy(victim, 'encrypt');
    const spy = spying(backend);
    const denial = { decision: 'deny', rule: 'zone-access' };
    const error = await caught(openEnvelope(envelope, { backend: spy.backend, trust: victim.trust, ...readerOf('encrypt'), authorize: async () => { throw denial; } }));
    expect(error).toBe(denial);
    expect(spy.calls.filter((c) => KEY_USE.includes(c))).toEqual([]);
  });

  test('a WardError thrown by authorize is not re-wrapped either', async () => {
    const envelope = await sealedBy(victim, 'encrypt0');
    const denial = new ArgumentError('policy input incomplete');
    expect(await caught(openEnvelope(envelope, { backend, trust: victim.trust, ...readerOf('encrypt0'), authorize: () => { throw denial; } }))).toBe(denial);
  });

  test('authorize is never called for an envelope that does not verify', async () => {
    const envelope = await sealedBy(victim, 'encrypt');
    const tampered = envelope.slice();
    tampered[tampered.length - 5]! ^= 0x10;
    let called = false;
    for (const [bytes, trust] of [[tampered, victim.trust], [envelope, attacker.trust], [envelope, () => undefined]] as const) {
      const error = await caught(openEnvelope(bytes, { backend, trust, ...readerOf('encrypt'), authorize: () => { called = true; } }));
      expect(EnvelopeError.isInstance(error)).toBe(true);
    }
    expect(called).toBe(false);
  });

  test('an allowing async authorize is awaited before decryption', async () => {
    const envelope = await sealedBy(victim, 'encrypt');
    const spy = spying(backend);
    let decryptedBeforeDecision = false;
    const opened = await openEnvelope(envelope, {
      backend: spy.backend, trust: victim.trust, ...readerOf('encrypt'),
      authorize: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        decryptedBeforeDecision = spy.calls.includes('aeadDecrypt');
      },
    });
    expect(opened.plaintext).toEqual(PAYLOAD);
    expect(decryptedBeforeDecision).toBe(false);
  });
});

describe('openEnvelope(): wrong or missing keys', () => {
  test('a wrong shared key: EnvelopeError, no plaintext', async () => {
    const envelope = await sealedBy(victim, 'encrypt0');
    const error = await caught(openEnvelope(envelope, { backend, trust: victim.trust, key: backend.generateKey('AES-GCM') }));
    expect(EnvelopeError.isInstance(error)).toBe(true);
    expect(errorChain(error).some((e) => DecryptionError.isInstance(e))).toBe(true);
  });

  test('a shared key of another algorithm (ChaCha20/Poly1305 for an A256GCM message): EnvelopeError', async () => {
    const envelope = await sealedBy(victim, 'encrypt0');
    const error = await caught(openEnvelope(envelope, { backend, trust: victim.trust, key: backend.generateKey('ChaCha20-Poly1305') }));
    expect(EnvelopeError.isInstance(error)).toBe(true);
  });

  test('a key resolver that finds no key: EnvelopeError', async () => {
    const envelope = await sealedBy(victim, 'encrypt0');
    expect(EnvelopeError.isInstance(await caught(openEnvelope(envelope, { backend, trust: victim.trust, key: () => undefined })))).toBe(true);
  });

  test.each<[string, () => RecipientKey]>([
    ['an X25519 key not among the recipients', () => ({ privateKey: backend.generateKey('X25519') })],
    ['a P-256 key not among the recipients', () => ({ privateKey: backend.generateKey('ECDH-P256') })],
    ['a wrong KEK', () => ({ kek: backend.generateKey('AES-KW') })],
    ['a wrong X25519 key under a recipient\'s kid', () => ({ privateKey: backend.generateKey('X25519'), kid: te.encode('analyst') })],
    ['a wrong KEK under a recipient\'s kid', () => ({ kek: backend.generateKey('AES-KW'), kid: te.encode('archive') })],
    ['the right key under an unknown kid', () => ({ privateKey: x25519, kid: te.encode('nobody') })],
  ])('%s: EnvelopeError, no plaintext', async (_, makeKey) => {
    const envelope = await sealedBy(victim, 'encrypt');
    const spy = spying(backend);
    let released: Uint8Array | undefined;
    const error = await openEnvelope(envelope, { backend: spy.backend, trust: victim.trust, recipient: makeKey() })
      .then((r) => { released = r.plaintext; }, (e: unknown) => e);
    expect(released).toBeUndefined();
    expect(EnvelopeError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_ENVELOPE_INVALID', message: 'envelope refused' });
    expect(errorChain(error).some((e) => DecryptionError.isInstance(e))).toBe(true);
    expect(spy.calls).not.toContain('aeadDecrypt'); // no CEK was ever recovered
  });

  test('missing reader keys are argument errors: neither (before verifying), or the wrong kind for the envelope', async () => {
    const encrypt0 = await sealedBy(victim, 'encrypt0');
    const encrypt = await sealedBy(victim, 'encrypt');
    const spy = spying(backend);
    expect(ArgumentError.isInstance(await caught(openEnvelope(encrypt, { backend: spy.backend, trust: victim.trust })))).toBe(true);
    expect(spy.calls).toEqual([]);
    expect(ArgumentError.isInstance(await caught(openEnvelope(encrypt0, { backend, trust: victim.trust, recipient: READERS['KEK reader']! })))).toBe(true);
    expect(ArgumentError.isInstance(await caught(openEnvelope(encrypt, { backend, trust: victim.trust, key: shared.key })))).toBe(true);
  });
});

/* ------------------------------------------------------------------------------------------ */

describe('openEnvelope(): the inner message is bound to the signed header', () => {
  test.each(['encrypt0', 'encrypt'] as const)('%s: control — re-signing the inner message with the victim\'s own key and header reproduces it, and it opens', async (form) => {
    const envelope = await sealedBy(victim, form);
    const again = await resign(envelope, victim);
    // Ed25519 and the header encoding are deterministic: the helper reproduces the envelope exactly
    expect(again).toEqual(envelope);
    expect((await openEnvelope(again, { backend, trust: victim.trust, ...readerOf(form) })).plaintext).toEqual(PAYLOAD);
  });

  test.each([
    ['encrypt0', attacker],
    ['encrypt', attacker],
    ['encrypt0', attackerEs256],
    ['encrypt', attackerEs256],
  ] as const)('%s: signature stripping — the inner message re-signed by another trusted producer (%s) with the same attributes is refused', async (form, by) => {
    const envelope = await sealedBy(victim, form);
    const stolen = await resign(envelope, by);
    // the forgery is a validly signed envelope by a producer the reader trusts…
    const facts = await verifyEnvelope(stolen, { backend, trust: trustBoth });
    expect(facts.signer.kid).toEqual(by.kid);
    expect(facts.attributes).toEqual(ATTRIBUTES);
    // …but every reader refuses it: the inner AAD binds the victim's Sign1 protected header
    for (const recipient of form === 'encrypt0' ? [undefined] : Object.values(READERS)) {
      const spy = spying(backend);
      const error = await caught(openEnvelope(stolen, { backend: spy.backend, trust: trustBoth, ...readerOf(form, recipient) }));
      expect(EnvelopeError.isInstance(error)).toBe(true);
      expect(errorChain(error).some((e) => DecryptionError.isInstance(e))).toBe(true);
      expect(spy.calls).toContain('aeadDecrypt'); // refused by the AEAD itself (the key commitment still matches)
    }
  });

  test.each<[string, (h: HeaderMap) => void]>([
    ['downgraded classification', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set(AttributeKey.classification, 'public')],
    ['an added purpose', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set(AttributeKey.purpose, ['security', 'marketing'])],
    ['another zone', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set(AttributeKey.zone, 'lobby')],
    ['an added extra attribute', (h) => (h.get(WardHeaderLabel.attributes) as Map<CborValue, CborValue>).set('consent', true)],
    ['another sequence number (replay as new)', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).set(ClaimKey.sequence, 501)],
    ['another subject', (h) => (h.get(HeaderLabel.cwtClaims) as Map<CborValue, CborValue>).set(ClaimKey.subject, 'doors/building-8')],
  ])('moving the inner message under %s, even signed by its own producer, is refused', async (_, edit) => {
    for (const form of ['encrypt0', 'encrypt'] as const) {
      const envelope = await sealedBy(victim, form);
      const moved = await resign(envelope, victim, edit);
      expect(await verifyEnvelope(moved, { backend, trust: victim.trust })).not.toEqual(await verifyEnvelope(envelope, { backend, trust: victim.trust }));
      const error = await caught(openEnvelope(moved, { backend, trust: victim.trust, ...readerOf(form) }));
      expect(EnvelopeError.isInstance(error)).toBe(true);
      expect(errorChain(error).some((e) => DecryptionError.isInstance(e))).toBe(true);
    }
  });

  test('moving the inner message of one envelope into another envelope of the same producer is refused', async () => {
    for (const form of ['encrypt0', 'encrypt'] as const) {
      const first = await sealedBy(victim, form);
      const second = await sealedBy(victim, form);
      const { header: secondHeader } = partsOf(second);
      // the first inner message under the second envelope's exact header (id, issuedAt, commitment…)
      const { inner, unprotected } = partsOf(first);
      const swapped = await createSign1(inner, { backend, key: victim.key, protectedHeader: secondHeader, unprotectedHeader: unprotected });
      const error = await caught(openEnvelope(swapped, { backend, trust: victim.trust, ...readerOf(form) }));
      expect(EnvelopeError.isInstance(error)).toBe(true);
    }
  });

  test('the refusal of a re-signed envelope carries no plaintext and no detail in its message', async () => {
    const stolen = await resign(await sealedBy(victim, 'encrypt'), attacker);
    const error = await caught(openEnvelope(stolen, { backend, trust: trustBoth, ...readerOf('encrypt') }));
    expect(error).toMatchObject({ name: 'EnvelopeError', code: 'ERR_ENVELOPE_INVALID', message: 'envelope refused' });
    expect(WardError.isInstance((error as EnvelopeError).cause)).toBe(true); // detail only in cause
    expect(JSON.stringify(error)).not.toContain('badge');
  });
});
