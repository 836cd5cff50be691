/*
 * Keysets: states and transitions, the rotation policy (including the AES-GCM random-nonce
 * limit), key_ops enforcement, opening by kid, and strict COSE_KeySet documents.
 */
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { errorChain } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { VerifyingKey } from '../backend/crypto-backend.js';
import { decodeCbor, encodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { CoseKeyLabel } from '../cose/cose-key.js';
import { ArgumentError, DecryptionError, KeyError, WardError } from '../errors.js';
import { openEnvelope } from '../envelope/open.js';
import { sealEnvelope } from '../envelope/seal.js';
import { coseKeyFromHandle, coseKeyThumbprint } from './cose-key.js';
import { MemoryKeyStore, checkKeysetName } from './key-store.js';
import { DEFAULT_RANDOM_NONCE_USE_LIMIT, Keyset, RANDOM_NONCE_USE_LIMIT } from './keyset.js';
import type { KeysetPurpose } from './keyset-document.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function clock(start = 1_800_000_000) {
  let now = start;
  return { now: () => now, advance: (seconds: number) => { now += seconds; } };
}

const producerKey = backend.generateKey('Ed25519');
const signer = { key: producerKey, kid: te.encode('producer') };
const trust: VerifyingKey = backend.publicKey(producerKey);
const claims = { issuer: 'air-quality-3', subject: 'air/north', sequence: 1 };
const attributes = { classification: 'internal' };
const PAYLOAD = te.encode('{"pm25":12}');

/** The error `fn` throws synchronously (or undefined). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

function codeOf(error: unknown): string | undefined {
  return WardError.isInstance(error) ? error.code : undefined;
}

describe('Keyset.generate', () => {
  test.each<[KeysetPurpose, string]>([
    ['sign', 'Ed25519'], ['recipient', 'X25519'], ['shared', 'AES-GCM'], ['wrap', 'AES-KW'],
  ])('a %s keyset starts with one active %s primary whose kid is its RFC 9679 thumbprint', async (purpose, algorithm) => {
    const keyset = await Keyset.generate(backend, { purpose });
    const [info] = keyset.keys();
    expect(keyset.keys()).toHaveLength(1);
    expect(info).toMatchObject({ algorithm, state: 'active', primary: true, uses: 0 });
    expect(hex(keyset.primaryKid!)).toBe(hex(info!.kid));
    const document = decodeCbor(await keyset.toDocument()) as Map<CborValue, CborValue>;
    const coseKey = (document.get(5) as Map<CborValue, CborValue>[])[0]!;
    expect(hex(coseKey.get(CoseKeyLabel.kid) as Uint8Array)).toBe(hex(info!.kid));
  });

  test('the kid is the thumbprint of the key, recomputed independently', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'sign', algorithm: 'ECDSA-P256' });
    const { key, kid } = keyset.signer();
    const thumbprint = await coseKeyThumbprint(await coseKeyFromHandle(backend, backend.publicKey(key)), backend);
    expect(hex(kid)).toBe(hex(thumbprint));
  });

  test('refuses an algorithm that does not fit the purpose, bad sizes and bad policies', async () => {
    await expect(Keyset.generate(backend, { purpose: 'sign', algorithm: 'X25519' })).rejects.toThrow(ArgumentError);
    await expect(Keyset.generate(backend, { purpose: 'shared', size: 20 })).rejects.toThrow(ArgumentError);
    await expect(Keyset.generate(backend, { purpose: 'bogus' as KeysetPurpose })).rejects.toThrow(ArgumentError);
    await expect(Keyset.generate(backend, { purpose: 'sign', policy: { maxUses: 0 } })).rejects.toThrow(ArgumentError);
    await expect(Keyset.generate(backend, { purpose: 'sign', policy: { maxAgeSeconds: 1.5 } })).rejects.toThrow(ArgumentError);
  });

  test('AES-128 and AES-192 keys are generated at their size', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'wrap', size: 16 });
    expect(keyset.keys()[0]!.size).toBe(16);
    const next = await keyset.rotate({ algorithm: 'AES-KW', size: 24 });
    expect(next.size).toBe(24);
  });
});

describe('transitions', () => {
  test('rotate makes a new primary; the old one steps down to decrypt-only and keeps opening', async () => {
    const { now, advance } = clock();
    const readers = await Keyset.generate(backend, { purpose: 'recipient', now });
    const envelope = await sealEnvelope(PAYLOAD, { backend, signer, recipients: [await readers.recipient()], claims, attributes });
    const first = readers.primaryKid!;
    advance(10);
    const next = await readers.rotate();
    expect(hex(readers.primaryKid!)).toBe(hex(next.kid));
    expect(readers.get(first)).toMatchObject({ state: 'decrypt-only', primary: false, retiredAt: now() });
    expect((await openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey() })).plaintext).toEqual(PAYLOAD);
  });

  test('signing keys step down to verify-only, not decrypt-only', async () => {
    const signing = await Keyset.generate(backend, { purpose: 'sign' });
    const first = signing.primaryKid!;
    await signing.rotate();
    expect(signing.get(first)!.state).toBe('verify-only');
    const published = await signing.publicKeys();
    expect(published.map((k) => hex(k.kid!)).sort()).toEqual(signing.keys().map((k) => hex(k.kid)).sort());
    expect(published.every((k) => (k as { d?: Uint8Array }).d === undefined)).toBe(true);
  });

  test('retire leaves no primary: sealing is refused until the next rotation', async () => {
    const shared = await Keyset.generate(backend, { purpose: 'shared' });
    shared.retire(shared.primaryKid!);
    expect(shared.primaryKid).toBeUndefined();
    expect(shared.rotationDue()).toEqual({ due: true, reason: 'no-primary' });
    expect(codeOf(thrown(() => shared.sharedKey()))).toBe('ERR_KEY_NOT_FOUND');
    await shared.rotate();
    expect(() => shared.sharedKey()).not.toThrow();
  });

  test('revoked keys neither seal nor open; the revocation time and reason are kept; revoking twice keeps the first time', async () => {
    const { now, advance } = clock();
    const shared = await Keyset.generate(backend, { purpose: 'shared', now });
    const sealed = await sealEnvelope(PAYLOAD, { backend, signer, key: shared.sharedKey(), claims, attributes });
    const kid = shared.primaryKid!;
    shared.revoke(kid, { reason: 'zone controller stolen' });
    advance(100);
    expect(shared.revoke(kid, { reason: 'again' })).toMatchObject({ state: 'revoked', revokedAt: now() - 100, revocationReason: 'zone controller stolen' });
    expect(codeOf(thrown(() => shared.sharedKey()))).toBe('ERR_KEY_NOT_FOUND');
    const error = await openEnvelope(sealed, { backend, trust, key: shared.openingKey() }).catch((e: unknown) => e);
    expect(errorChain(error).map(codeOf)).toContain('ERR_KEY_REVOKED');
    expect(codeOf(thrown(() => shared.retire(kid)))).toBe('ERR_KEY_REVOKED');
  });

  test('destroyed keys are erased in the backend, refused with ERR_KEY_DESTROYED, and terminal', async () => {
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const recipient = await readers.recipient();
    const envelope = await sealEnvelope(PAYLOAD, { backend, signer, recipients: [recipient], claims, attributes });
    const kid = readers.primaryKid!;
    /* Another holder of the handle: destroy must stop it too (backend.destroyKey). */
    const handle = (await readers.recipientKey()({ kid, alg: -31 }) as { privateKey: Parameters<typeof backend.exportKey>[0] }).privateKey;
    const tombstone = await readers.destroy(kid);
    expect(tombstone).toMatchObject({ state: 'destroyed', primary: false });
    expect(codeOf(thrown(() => backend.exportKey(handle)))).toBe('ERR_KEY_DESTROYED');
    const error = await openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey() }).catch((e: unknown) => e);
    expect(errorChain(error).some((e) => e instanceof DecryptionError)).toBe(true);
    expect(errorChain(error).map(codeOf)).toContain('ERR_KEY_DESTROYED');
    expect(codeOf(thrown(() => readers.revoke(kid)))).toBe('ERR_KEY_DESTROYED');
    expect((await readers.destroy(kid)).state).toBe('destroyed');
    /* The saved document carries the tombstone and no material. */
    const document = decodeCbor(await readers.toDocument()) as Map<CborValue, CborValue>;
    expect(document.get(5)).toEqual([]);
  });

  test('unknown kids are ERR_KEY_NOT_FOUND for transitions and no key for opening', async () => {
    const shared = await Keyset.generate(backend, { purpose: 'shared' });
    expect(codeOf(thrown(() => shared.retire(new Uint8Array(32))))).toBe('ERR_KEY_NOT_FOUND');
    expect(shared.openingKey()({ kid: new Uint8Array(32), alg: 3, protectedHeader: new Map(), unprotectedHeader: new Map() })).toBeUndefined();
  });

  test('keys are handed out only for their purpose', async () => {
    const shared = await Keyset.generate(backend, { purpose: 'shared' });
    const signing = await Keyset.generate(backend, { purpose: 'sign' });
    expect(codeOf(thrown(() => shared.signer()))).toBe('ERR_KEY_USAGE');
    expect(codeOf(thrown(() => signing.sharedKey()))).toBe('ERR_KEY_USAGE');
    expect(codeOf(thrown(() => signing.recipientKey()))).toBe('ERR_KEY_USAGE');
    expect(codeOf(thrown(() => signing.openingKey()))).toBe('ERR_KEY_USAGE');
    await expect(shared.publicKeys()).rejects.toThrow(KeyError);
    await expect(signing.recipient()).rejects.toThrow(KeyError);
  });
});

describe('rotation policy', () => {
  test('maxUses: the limit-th use passes, the next is refused with ERR_KEY_LIMIT_REACHED', async () => {
    const signing = await Keyset.generate(backend, { purpose: 'sign', policy: { maxUses: 3 } });
    for (let i = 0; i < 3; i++) signing.signer();
    expect(signing.rotationDue()).toEqual({ due: true, reason: 'uses' });
    expect(codeOf(thrown(() => signing.signer()))).toBe('ERR_KEY_LIMIT_REACHED');
    expect(signing.keys()[0]!.uses).toBe(3);
    await signing.rotate();
    expect(signing.rotationDue()).toEqual({ due: false });
    expect(() => signing.signer()).not.toThrow();
  });

  test('maxAgeSeconds counts from when the key became primary', async () => {
    const { now, advance } = clock();
    const shared = await Keyset.generate(backend, { purpose: 'shared', policy: { maxAgeSeconds: 60 }, now });
    advance(59);
    expect(() => shared.sharedKey()).not.toThrow();
    advance(1);
    expect(shared.rotationDue()).toEqual({ due: true, reason: 'age' });
    expect(codeOf(thrown(() => shared.sharedKey()))).toBe('ERR_KEY_LIMIT_REACHED');
  });

  test('random-nonce AEAD keys: default limit 2^31, ceiling 2^32 (NIST SP 800-38D §8.3)', async () => {
    expect(DEFAULT_RANDOM_NONCE_USE_LIMIT).toBe(2 ** 31);
    expect(RANDOM_NONCE_USE_LIMIT).toBe(2 ** 32);
    await expect(Keyset.generate(backend, { purpose: 'shared', policy: { maxUses: 2 ** 32 + 1 } })).rejects.toThrow(/2\^32/);
    await expect(Keyset.generate(backend, { purpose: 'shared', policy: { maxUses: 2 ** 32 } })).resolves.toBeInstanceOf(Keyset);
    /* Other purposes have no nonce limit. */
    await expect(Keyset.generate(backend, { purpose: 'sign', policy: { maxUses: 2 ** 40 } })).resolves.toBeInstanceOf(Keyset);
  });

  test('the default limit is enforced for shared keys without a policy (use count restored from a document)', async () => {
    const shared = await Keyset.generate(backend, { purpose: 'shared' });
    const document = decodeCbor(await shared.toDocument()) as Map<CborValue, CborValue>;
    const entry = (document.get(6) as Map<CborValue, CborValue>[])[0]!;
    entry.set(11, DEFAULT_RANDOM_NONCE_USE_LIMIT - 1);
    const nearlySpent = await Keyset.fromDocument(encodeCbor(document), { backend });
    expect(() => nearlySpent.sharedKey()).not.toThrow();
    expect(codeOf(thrown(() => nearlySpent.sharedKey()))).toBe('ERR_KEY_LIMIT_REACHED');
  });
});

describe('documents', () => {
  async function lifecycleKeyset(purpose: KeysetPurpose): Promise<Keyset> {
    const keyset = await Keyset.generate(backend, { purpose, policy: { maxAgeSeconds: 86_400 } });
    const a = keyset.primaryKid!;
    await keyset.rotate();
    const b = keyset.primaryKid!;
    await keyset.rotate();
    keyset.revoke(b, { at: 1_800_000_000, reason: 'test' });
    await keyset.destroy(a);
    return keyset;
  }

  test.each<KeysetPurpose>(['sign', 'recipient', 'shared', 'wrap'])('a %s keyset round-trips, plain and under a KEK', async (purpose) => {
    const keyset = await lifecycleKeyset(purpose);
    const kek = backend.generateKey('AES-GCM');
    for (const options of [{}, { kek: { key: kek, kid: te.encode('kek-1') } }]) {
      const document = await keyset.toDocument(options);
      const again = await Keyset.fromDocument(document, { backend, ...('kek' in options ? { kek } : {}) });
      expect(again.keys()).toEqual(keyset.keys());
      expect(again.policy).toEqual(keyset.policy);
      expect(hex(again.primaryKid!)).toBe(hex(keyset.primaryKid!));
      /* Deterministic: the same keyset serialises to the same plaintext bytes. */
      expect(await again.toDocument()).toEqual(await keyset.toDocument());
    }
  });

  test('a reloaded recipient keyset opens what the original sealed', async () => {
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const envelope = await sealEnvelope(PAYLOAD, { backend, signer, recipients: [await readers.recipient()], claims, attributes });
    await readers.rotate();
    const store = new MemoryKeyStore(backend);
    await store.save('readers', readers);
    const again = (await store.load('readers'))!;
    expect((await openEnvelope(envelope, { backend, trust, recipient: again.recipientKey() })).plaintext).toEqual(PAYLOAD);
    expect(store.names()).toEqual(['readers']);
    expect(store.delete('readers')).toBe(true);
    expect(await store.load('readers')).toBeUndefined();
  });

  test('a plaintext document is refused where a KEK is expected, and an encrypted one without its KEK', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    const kek = backend.generateKey('AES-GCM');
    expect(codeOf(await Keyset.fromDocument(await keyset.toDocument(), { backend, kek }).catch((e: unknown) => e))).toBe('ERR_KEYSET_INVALID');
    const encrypted = await keyset.toDocument({ kek: { key: kek } });
    expect(codeOf(await Keyset.fromDocument(encrypted, { backend }).catch((e: unknown) => e))).toBe('ERR_KEYSET_INVALID');
    expect(codeOf(await Keyset.fromDocument(encrypted, { backend, kek: backend.generateKey('AES-GCM') }).catch((e: unknown) => e))).toBe('ERR_DECRYPTION_FAILED');
  });

  /** Re-encodes a plaintext document after `edit`. */
  async function edited(keyset: Keyset, edit: (document: Map<CborValue, CborValue>) => void): Promise<unknown> {
    const document = decodeCbor(await keyset.toDocument()) as Map<CborValue, CborValue>;
    edit(document);
    return Keyset.fromDocument(encodeCbor(document), { backend }).catch((e: unknown) => e);
  }
  const keysOf = (d: Map<CborValue, CborValue>) => d.get(5) as Map<CborValue, CborValue>[];
  const entriesOf = (d: Map<CborValue, CborValue>) => d.get(6) as Map<CborValue, CborValue>[];

  test.each<[string, (d: Map<CborValue, CborValue>) => void]>([
    ['a kid that is not the thumbprint (a key posing under another id)', (d) => {
      const kid = new Uint8Array(32).fill(7);
      keysOf(d)[1]!.set(CoseKeyLabel.kid, kid);
      entriesOf(d)[1]!.set(1, kid);
    }],
    ['two active keys', (d) => { entriesOf(d)[0]!.set(4, 'active'); }],
    ['a primary that is not active', (d) => { d.set(3, entriesOf(d)[0]!.get(1)!); }],
    ['a destroyed key that still has material', (d) => { entriesOf(d)[1]!.set(4, 'destroyed'); entriesOf(d)[1]!.set(10, 1); }],
    ['a key with no entry', (d) => { d.set(6, entriesOf(d).slice(1)); }],
    ['an entry whose key is missing', (d) => { d.set(5, keysOf(d).slice(1)); }],
    ['verify-only in a shared keyset', (d) => { entriesOf(d)[1]!.set(4, 'verify-only'); }],
    ['a revoked key with no revocation time', (d) => { entriesOf(d)[1]!.set(4, 'revoked'); }],
    ['an unknown field', (d) => { d.set(99, 1); }],
    ['another version', (d) => { d.set(1, 2); }],
    ['an algorithm of another purpose', (d) => { entriesOf(d)[0]!.set(2, 'Ed25519'); }],
    ['key_ops that forbid what the state needs', (d) => { keysOf(d)[1]!.set(CoseKeyLabel.keyOps, [4]); }],
    ['a policy above the AES-GCM ceiling', (d) => { d.set(4, new Map([[2, 2 ** 33]])); }],
    ['no keys at all', (d) => { d.set(5, []); d.set(6, []); d.set(3, null); }],
  ])('refuses %s with ERR_KEYSET_INVALID', async (_name, edit) => {
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    await keyset.rotate();
    expect(codeOf(await edited(keyset, edit))).toBe('ERR_KEYSET_INVALID');
  });

  test('key_ops are enforced on use: a key stored as decrypt-only by key_ops cannot seal', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    const document = decodeCbor(await keyset.toDocument()) as Map<CborValue, CborValue>;
    keysOf(document)[0]!.set(CoseKeyLabel.keyOps, [3]); // encrypt only
    const encryptOnly = await Keyset.fromDocument(encodeCbor(document), { backend });
    expect(() => encryptOnly.sharedKey()).not.toThrow();
    expect(codeOf(thrown(() => encryptOnly.openingKey()({ kid: encryptOnly.primaryKid, alg: 3, protectedHeader: new Map(), unprotectedHeader: new Map() })))).toBe('ERR_KEY_USAGE');
  });

  test('property: random bytes and bit flips of a document only ever throw WardError', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'recipient' });
    await keyset.rotate();
    const document = await keyset.toDocument();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: document.length * 8 - 1 }), async (bit) => {
        const flipped = document.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const result = await Keyset.fromDocument(flipped, { backend }).catch((e: unknown) => e);
        /* A flip may land in a time or use count and still be a valid keyset; it is never a crash. */
        if (!(result instanceof Keyset)) expect(WardError.isInstance(result)).toBe(true);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (bytes) => {
        const result = await Keyset.fromDocument(bytes, { backend }).catch((e: unknown) => e);
        expect(WardError.isInstance(result)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test('key material never appears in metadata, toString or JSON', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    const raw = backend.exportKey(keyset.sharedKey().key);
    const printed = JSON.stringify(keyset.keys()) + String(keyset) + JSON.stringify(keyset);
    expect(printed).not.toContain(hex(raw));
    expect(printed).not.toContain(Buffer.from(raw).toString('base64'));
  });
});

describe('checkKeysetName', () => {
  test.each(['a', 'city-readers', 'zone_7.keys', 'A'.repeat(128)])('accepts %s', (name) => {
    expect(checkKeysetName(name)).toBe(name);
  });
  test.each(['', '.hidden', '../x', 'a/b', 'a b', 'A'.repeat(129), 7])('refuses %s', (name) => {
    expect(() => checkKeysetName(name)).toThrow(ArgumentError);
  });
});

describe('tombstones', () => {
  test('forget drops only destroyed keys; a forgotten key is unknown afterwards', async () => {
    const shared = await Keyset.generate(backend, { purpose: 'shared' });
    const first = shared.primaryKid!;
    await shared.rotate();
    expect(codeOf(thrown(() => shared.forget(first)))).toBe('ERR_KEY_USAGE');
    await shared.destroy(first);
    expect(shared.forget(first)).toBe(true);
    expect(shared.get(first)).toBeUndefined();
    expect(codeOf(thrown(() => shared.forget(first)))).toBe('ERR_KEY_NOT_FOUND');
    expect(shared.openingKey()({ kid: first, alg: 3, protectedHeader: new Map(), unprotectedHeader: new Map() })).toBeUndefined();
  });
});

describe('snapshots', () => {
  test('toDocument running alongside rotate and destroy always yields a loadable keyset', async () => {
    const backend2 = createNobleBackend();
    const keyset = await Keyset.generate(backend2, { purpose: 'recipient' });
    for (let round = 0; round < 40; round++) {
      const saving = keyset.toDocument();
      const rotating = keyset.rotate();
      const keys = keyset.keys();
      const destroying = keys.length > 3 ? keyset.destroy(keys[0]!.kid) : Promise.resolve();
      const [document] = await Promise.all([saving, rotating, destroying]);
      await expect(Keyset.fromDocument(document, { backend: backend2 })).resolves.toBeInstanceOf(Keyset);
    }
  });
});
