/*
 * Issue 10 item 7c/7d: every public function of @ward/core (root and subpaths) checks its options and throws
 * an ArgumentError (ERR_INVALID_ARGUMENT) that names the missing or wrong option, never a raw
 * TypeError; and the common mistakes (a TrustStore where a key source is expected, a keyset
 * where a reader's key is expected, a COSE_Key or raw bytes where a key handle is expected, a
 * public key as a reader's private key) get a message naming the fix. Table-driven: a new
 * public function gets a row here.
 */
import { describe, expect, test } from 'vitest';
import * as root from './index.js';
import * as cose from './cose/index.js';
import * as keys from './keys/index.js';
import type { ArgumentError } from './errors.js';
import type { AgreementPrivateKey, AeadKey, KeyHandle, SigningKey } from './index.js';

/* Every public function, wherever it is exported: the root and the subpaths that hold functions taking options. */
const ward = { ...root, ...cose, ...keys };
const backend = ward.createNobleBackend();
const te = new TextEncoder();
const PAYLOAD = te.encode('{"count":42}');
const KID = te.encode('kid-1');
const CLAIMS = { issuer: 'footfall-counter-17', subject: 'footfall/market-square', sequence: 1 };
const ATTRIBUTES = { classification: 'internal' };

const signingKey = backend.generateKey('Ed25519');
const verifyingKey = backend.publicKey(signingKey);
const readerKey = backend.generateKey('X25519');
const readerPublic = backend.publicKey(readerKey);
const aeadKey = backend.generateKey('AES-GCM');
const macKey = backend.generateKey('HMAC-SHA256');
const coseKey = await ward.coseKeyFromHandle(backend, verifyingKey);
const rawKey = new Uint8Array(32).fill(7);
const readers = await ward.Keyset.generate(backend, { purpose: 'recipient' });
const trustStore = new ward.TrustStore({ backend });
await trustStore.add({ key: verifyingKey, issuer: CLAIMS.issuer, kid: KID });

const SEAL_BASE = { backend, signer: { key: signingKey, kid: KID }, claims: CLAIMS, attributes: ATTRIBUTES };
const envelope = await ward.sealEnvelope(PAYLOAD, { ...SEAL_BASE, recipients: [{ publicKey: readerPublic, kid: KID }] });
const sign1 = await ward.createSign1(PAYLOAD, { backend, key: signingKey });
const mac0 = await ward.createMac0(PAYLOAD, { backend, key: macKey });
const encrypt0 = await ward.createEncrypt0(PAYLOAD, { backend, key: aeadKey });
const encrypt = await ward.createEncrypt(PAYLOAD, { backend, recipients: [{ publicKey: readerPublic, kid: KID }] });

/* Loosely typed entry points: the rows pass what a JavaScript caller (or a cast) could pass. */
type Loose = (...args: unknown[]) => unknown;
const fn = (f: unknown): Loose => f as Loose;

/** Runs `call` and returns what it threw (sync or async), or fails when it did not throw. */
async function thrown(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Asserts an ArgumentError whose message matches `names` (the option, and the fix where there is one). */
async function expectArgumentError(call: () => unknown, names: RegExp): Promise<void> {
  const error = await thrown(call);
  /* Never a raw TypeError: the caller gets a WardError with a stable code. */
  expect(error, String(error)).not.toBeInstanceOf(TypeError);
  expect(ward.ArgumentError.isInstance(error), String(error)).toBe(true);
  expect((error as ArgumentError).code).toBe('ERR_INVALID_ARGUMENT');
  expect((error as Error).message).toMatch(names);
}

type Row = readonly [name: string, call: () => unknown, names: RegExp];

/* Each function with options that are not an object: the message names the function. */
const MISSING_OPTIONS: readonly (readonly [name: string, call: (options: unknown) => unknown, names: RegExp])[] = [
  ['sealEnvelope()', (o) => fn(ward.sealEnvelope)(PAYLOAD, o), /sealEnvelope\(\) needs an options object/],
  ['verifyEnvelope()', (o) => fn(ward.verifyEnvelope)(envelope, o), /verifyEnvelope\(\) needs an options object/],
  ['openEnvelope()', (o) => fn(ward.openEnvelope)(envelope, o), /openEnvelope\(\) needs an options object/],
  ['rewrapEnvelope()', (o) => fn(ward.rewrapEnvelope)(envelope, o), /rewrapEnvelope\(\) needs an options object/],
  ['rewrapEnvelopeInParts()', (o) => fn(ward.rewrapEnvelopeInParts)(envelope, o), /rewrapEnvelope\(\) needs an options object/],
  ['createSign1()', (o) => fn(ward.createSign1)(PAYLOAD, o), /createSign1\(\) needs an options object/],
  ['verifySign1()', (o) => fn(ward.verifySign1)(sign1, o), /verifySign1\(\) needs an options object/],
  ['createMac0()', (o) => fn(ward.createMac0)(PAYLOAD, o), /createMac0\(\) needs an options object/],
  ['verifyMac0()', (o) => fn(ward.verifyMac0)(mac0, o), /verifyMac0\(\) needs an options object/],
  ['createEncrypt0()', (o) => fn(ward.createEncrypt0)(PAYLOAD, o), /createEncrypt0\(\) needs an options object/],
  ['decryptEncrypt0()', (o) => fn(ward.decryptEncrypt0)(encrypt0, o), /decryptEncrypt0\(\) needs an options object/],
  ['createEncrypt()', (o) => fn(ward.createEncrypt)(PAYLOAD, o), /createEncrypt\(\) needs an options object/],
  ['decryptEncrypt()', (o) => fn(ward.decryptEncrypt)(encrypt, o), /decryptEncrypt\(\) needs an options object/],
  ['Keyset.fromDocument()', (o) => fn(ward.Keyset.fromDocument)(new Uint8Array(1), o), /Keyset\.fromDocument\(\) needs an options object/],
];

describe('every public function checks its options: ArgumentError naming what is missing, never a TypeError', () => {
  /* Options that are not an object at all: undefined (forgotten), null, and a wrong type. */
  const NOT_OPTIONS: readonly (readonly [string, unknown])[] = [['undefined', undefined], ['null', null], ['a string', 'backend'], ['a number', 42]];
  const rows = MISSING_OPTIONS.flatMap(([name, call, names]) => NOT_OPTIONS.map(([what, value]) => [name, what, call, names, value] as const));
  test.each(rows)('%s with %s as options', async (_name, _what, call, names, value) => {
    await expectArgumentError(() => call(value), names);
  });

  test('new MemoryReplayStore() takes no options or an object; null or another type is an ArgumentError', async () => {
    expect(new ward.MemoryReplayStore()).toBeInstanceOf(ward.MemoryReplayStore);
    for (const value of [null, 'maxStreams', 42]) {
      await expectArgumentError(() => new ward.MemoryReplayStore(value as never), /new MemoryReplayStore\(\) needs an options object/);
    }
  });

  test('new MemoryDecisionLog() takes no options or an object; null or another type is an ArgumentError', async () => {
    expect(new ward.MemoryDecisionLog()).toBeInstanceOf(ward.MemoryDecisionLog);
    for (const value of [null, 'capacity', 42]) {
      await expectArgumentError(() => new ward.MemoryDecisionLog(value as never), /new MemoryDecisionLog\(\) needs an options object/);
    }
  });

  const backendMissing: readonly Row[] = [
    ['sealEnvelope()', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, backend: undefined, key: { key: aeadKey, kid: KID } }), /sealEnvelope\(\) options\.backend must be a CryptoBackend/],
    ['verifyEnvelope()', () => fn(ward.verifyEnvelope)(envelope, { trust: verifyingKey }), /verifyEnvelope\(\) options\.backend must be a CryptoBackend/],
    ['openEnvelope()', () => fn(ward.openEnvelope)(envelope, { trust: verifyingKey, recipient: { privateKey: readerKey } }), /openEnvelope\(\) options\.backend/],
    ['createSign1()', () => fn(ward.createSign1)(PAYLOAD, { key: signingKey }), /createSign1\(\) options\.backend/],
    ['verifySign1()', () => fn(ward.verifySign1)(sign1, { key: verifyingKey }), /verifySign1\(\) options\.backend/],
    ['createMac0()', () => fn(ward.createMac0)(PAYLOAD, { key: macKey }), /createMac0\(\) options\.backend/],
    ['verifyMac0()', () => fn(ward.verifyMac0)(mac0, { key: macKey }), /verifyMac0\(\) options\.backend/],
    ['createEncrypt0()', () => fn(ward.createEncrypt0)(PAYLOAD, { key: aeadKey }), /createEncrypt0\(\) options\.backend/],
    ['decryptEncrypt0()', () => fn(ward.decryptEncrypt0)(encrypt0, { key: aeadKey }), /decryptEncrypt0\(\) options\.backend/],
    ['createEncrypt()', () => fn(ward.createEncrypt)(PAYLOAD, { recipients: [{ publicKey: readerPublic }] }), /createEncrypt\(\) options\.backend/],
    ['decryptEncrypt()', () => fn(ward.decryptEncrypt)(encrypt, { recipient: { privateKey: readerKey } }), /decryptEncrypt\(\) options\.backend/],
    ['Keyset.generate()', () => fn(ward.Keyset.generate)(undefined, { purpose: 'sign' }), /Keyset\.generate\(\) backend must be a CryptoBackend/],
    ['importCoseKey()', () => fn(ward.importCoseKey)(undefined, coseKey), /importCoseKey\(\) backend must be a CryptoBackend/],
    ['coseKeyFromHandle()', () => fn(ward.coseKeyFromHandle)(undefined, verifyingKey), /coseKeyFromHandle\(\) backend must be a CryptoBackend/],
    ['coseKeyThumbprint()', () => fn(ward.coseKeyThumbprint)(coseKey, undefined), /coseKeyThumbprint\(\) backend must be a CryptoBackend/],
  ];
  test.each(backendMissing)('%s without a backend', async (_name, call, names) => {
    await expectArgumentError(call, names);
  });

  const sealMissing: readonly Row[] = [
    ['no signer', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, signer: undefined, key: { key: aeadKey, kid: KID } }), /sealEnvelope\(\) options\.signer must be \{ key, kid \}/],
    ['signer without key', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, signer: { kid: KID }, key: { key: aeadKey, kid: KID } }), /sealEnvelope\(\) options\.signer\.key is missing/],
    ['signer without kid', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, signer: { key: signingKey }, key: { key: aeadKey, kid: KID } }), /sealEnvelope\(\) options\.signer\.kid must be a Uint8Array/],
    ['no claims', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, claims: undefined, key: { key: aeadKey, kid: KID } }), /sealEnvelope\(\) options\.claims must be/],
    ['no attributes', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, attributes: undefined, key: { key: aeadKey, kid: KID } }), /sealEnvelope\(\) options\.attributes must be/],
    ['key without its key', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, key: { kid: KID } }), /sealEnvelope\(\) options\.key must be \{ key, kid \}/],
    ['key as a bare handle', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, key: aeadKey }), /wrap the handle as \{ key, kid \}/],
    ['recipients not an array', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, recipients: { publicKey: readerPublic } }), /sealEnvelope\(\) options\.recipients must be an array/],
    ['recipients empty', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, recipients: [] }), /sealEnvelope\(\) options\.recipients must name at least one recipient/],
    ['a recipient without a key', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, recipients: [{ kid: KID }] }), /sealEnvelope\(\) options\.recipients\[0\] needs publicKey or kek/],
    ['both recipients and key', () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, recipients: [{ publicKey: readerPublic }], key: { key: aeadKey, kid: KID } }), /exactly one of recipients and key/],
  ];
  test.each(sealMissing)('sealEnvelope(): %s', async (_name, call, names) => {
    await expectArgumentError(call, names);
  });

  const keysMissing: readonly Row[] = [
    ['createSign1() without key', () => fn(ward.createSign1)(PAYLOAD, { backend }), /createSign1\(\) options\.key is missing/],
    ['verifySign1() without key', () => fn(ward.verifySign1)(sign1, { backend }), /verifySign1\(\) options\.key is missing/],
    ['createMac0() without key', () => fn(ward.createMac0)(PAYLOAD, { backend }), /createMac0\(\) options\.key is missing/],
    ['verifyMac0() without key', () => fn(ward.verifyMac0)(mac0, { backend }), /verifyMac0\(\) options\.key is missing/],
    ['createEncrypt0() without key', () => fn(ward.createEncrypt0)(PAYLOAD, { backend }), /createEncrypt0\(\) options\.key is missing/],
    ['decryptEncrypt0() without key', () => fn(ward.decryptEncrypt0)(encrypt0, { backend }), /decryptEncrypt0\(\) options\.key is missing/],
    ['createEncrypt() without recipients', () => fn(ward.createEncrypt)(PAYLOAD, { backend }), /createEncrypt\(\) options\.recipients must be an array/],
    ['decryptEncrypt() without recipient', () => fn(ward.decryptEncrypt)(encrypt, { backend }), /decryptEncrypt\(\) options\.recipient is missing/],
    ['verifyEnvelope() without trust', () => fn(ward.verifyEnvelope)(envelope, { backend }), /verifyEnvelope\(\) options\.trust is missing/],
    ['rewrapEnvelope() without recipient', () => fn(ward.rewrapEnvelope)(envelope, { backend, trust: verifyingKey }), /rewrapEnvelope\(\) options\.recipient is missing/],
    ['rewrapEnvelope() without authority', () => fn(ward.rewrapEnvelope)(envelope, { backend, trust: verifyingKey, recipient: { privateKey: readerKey } }), /rewrapEnvelope\(\) options\.authority needs key, kid/],
    ['rewrapEnvelope() authority without key', () => fn(ward.rewrapEnvelope)(envelope, {
      backend, trust: verifyingKey, recipient: { privateKey: readerKey }, authority: { kid: KID, issuer: 'archive' }, recipients: [{ publicKey: readerPublic }],
    }), /rewrapEnvelope\(\) options\.authority\.key is missing/],
    ['rewrapEnvelope() without recipients', () => fn(ward.rewrapEnvelope)(envelope, {
      backend, trust: verifyingKey, recipient: { privateKey: readerKey }, authority: { key: signingKey, kid: KID, issuer: 'archive' },
    }), /rewrapEnvelope\(\) options\.recipients must be an array/],
  ];
  test.each(keysMissing)('%s', async (_name, call, names) => {
    await expectArgumentError(call, names);
  });
});

describe('keys: methods check their arguments', () => {
  test('Keyset.get() without a kid is an ArgumentError naming kid', async () => {
    await expectArgumentError(() => fn(readers.get.bind(readers))(undefined), /kid must be a Uint8Array/);
  });

  test('StoredKeyset.create() without a keyset is an ArgumentError naming keyset', async () => {
    await expectArgumentError(() => fn(ward.StoredKeyset.create)(new ward.MemoryKeyStore(backend), 'readers', undefined), /StoredKeyset\.create\(\) keyset must be a Keyset/);
  });
});

describe('common mistakes get an error naming the fix', () => {
  test('a TrustStore passed as verifyEnvelope() trust: "pass trustStore.keySource()"', async () => {
    await expectArgumentError(() => fn(ward.verifyEnvelope)(envelope, { backend, trust: trustStore }), /verifyEnvelope\(\) options\.trust is a TrustStore: pass trustStore\.keySource\(\)/);
    /* …and the fix works. */
    expect((await ward.verifyEnvelope(envelope, { backend, trust: trustStore.keySource() })).provenance.issuer).toBe(CLAIMS.issuer);
  });

  test('a TrustStore passed as rewrapAuthorities or as verifySign1 key: "pass trustStore.keySource()"', async () => {
    await expectArgumentError(
      () => fn(ward.verifyEnvelope)(envelope, { backend, trust: trustStore.keySource(), rewrapAuthorities: trustStore }),
      /options\.rewrapAuthorities is a TrustStore: pass trustStore\.keySource\(\) \(keySource\('rewrap'\)/,
    );
    await expectArgumentError(() => fn(ward.verifySign1)(sign1, { backend, key: trustStore }), /verifySign1\(\) options\.key is a TrustStore: pass trustStore\.keySource\(\)/);
  });

  test('a TrustStore passed as openEnvelope() trust is an ArgumentError, not an uninformative EnvelopeError', async () => {
    await expectArgumentError(
      () => fn(ward.openEnvelope)(envelope, { backend, trust: trustStore, recipient: readers.recipientKey() }),
      /openEnvelope\(\) options\.trust is a TrustStore: pass trustStore\.keySource\(\)/,
    );
  });

  test('a COSE_Key where a key handle is expected: "import it with importCoseKey(backend, coseKey)"', async () => {
    await expectArgumentError(() => fn(ward.verifySign1)(sign1, { backend, key: coseKey }), /verifySign1\(\) options\.key is a COSE_Key.*importCoseKey\(backend, coseKey\)/);
    await expectArgumentError(() => fn(ward.createSign1)(PAYLOAD, { backend, key: coseKey }), /createSign1\(\) options\.key is a COSE_Key.*importCoseKey/);
    await expectArgumentError(() => fn(ward.verifyEnvelope)(envelope, { backend, trust: coseKey }), /verifyEnvelope\(\) options\.trust is a COSE_Key.*importCoseKey/);
    await expectArgumentError(
      () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, recipients: [{ publicKey: coseKey, kid: KID }] }),
      /sealEnvelope\(\) options\.recipients\[0\]\.publicKey is a COSE_Key.*importCoseKey/,
    );
    /* The backend itself names the fix too, for every operation that takes a handle. */
    await expectArgumentError(() => backend.verify(coseKey as unknown as typeof verifyingKey, PAYLOAD, new Uint8Array(64)), /the key is a COSE_Key.*importCoseKey/);
  });

  test('raw key bytes where a key handle is expected: "import them with backend.importKey(…)"', async () => {
    await expectArgumentError(
      () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, signer: { key: rawKey, kid: KID }, key: { key: aeadKey, kid: KID } }),
      /sealEnvelope\(\) options\.signer\.key is raw key bytes.*backend\.importKey\(algorithm, kind, bytes\)/,
    );
    await expectArgumentError(() => fn(ward.createEncrypt0)(PAYLOAD, { backend, key: rawKey }), /createEncrypt0\(\) options\.key is raw key bytes.*backend\.importKey/);
    await expectArgumentError(() => backend.sign(rawKey as unknown as SigningKey, PAYLOAD), /the key is raw key bytes.*backend\.importKey/);
    await expectArgumentError(() => backend.aeadEncrypt(rawKey as unknown as AeadKey, { nonce: new Uint8Array(12), plaintext: PAYLOAD }), /raw key bytes/);
  });

  test('a key handle from another backend is still ERR_KEY_FOREIGN, not an ArgumentError', async () => {
    const other = ward.createNobleBackend();
    const error = await thrown(() => backend.sign(other.generateKey('Ed25519'), PAYLOAD));
    expect(ward.KeyError.isInstance(error) && error.code).toBe('ERR_KEY_FOREIGN');
  });

  test('importCoseKey() with encoded bytes or an already imported handle names the fix', async () => {
    await expectArgumentError(() => fn(ward.importCoseKey)(backend, ward.encodeCoseKey(coseKey)), /decode it with decodeCoseKey\(bytes\) first/);
    await expectArgumentError(() => fn(ward.importCoseKey)(backend, verifyingKey), /already a key handle: use it as it is/);
  });

  test('a keyset where recipientKey() is expected: "pass keyset.recipientKey()"', async () => {
    const sealedForReaders = await ward.sealEnvelope(PAYLOAD, { ...SEAL_BASE, recipients: [await readers.recipient()] });
    await expectArgumentError(
      () => fn(ward.openEnvelope)(sealedForReaders, { backend, trust: trustStore.keySource(), recipient: readers }),
      /openEnvelope\(\) options\.recipient is a Keyset: pass keyset\.recipientKey\(\)/,
    );
    await expectArgumentError(() => fn(ward.decryptEncrypt)(encrypt, { backend, recipient: readers }), /decryptEncrypt\(\) options\.recipient is a Keyset: pass keyset\.recipientKey\(\)/);
    await expectArgumentError(
      () => fn(ward.rewrapEnvelope)(sealedForReaders, {
        backend, trust: trustStore.keySource(), recipient: readers, recipients: [{ publicKey: readerPublic }], authority: { key: signingKey, kid: KID, issuer: 'archive' },
      }),
      /rewrapEnvelope\(\) options\.recipient is a Keyset: pass keyset\.recipientKey\(\)/,
    );
    /* …and the fix works. */
    const opened = await ward.openEnvelope(sealedForReaders, { backend, trust: trustStore.keySource(), recipient: readers.recipientKey() });
    expect(opened.plaintext).toEqual(PAYLOAD);
  });

  test('a shared keyset where a key source is expected: "pass keyset.openingKey()"', async () => {
    const shared = await ward.Keyset.generate(backend, { purpose: 'shared' });
    const sealedShared = await ward.sealEnvelope(PAYLOAD, { ...SEAL_BASE, key: shared.sharedKey() });
    await expectArgumentError(
      () => fn(ward.openEnvelope)(sealedShared, { backend, trust: trustStore.keySource(), key: shared }),
      /openEnvelope\(\) options\.key is a Keyset: pass keyset\.openingKey\(\)/,
    );
    const shared0 = await ward.createEncrypt0(PAYLOAD, { backend, ...shared.sharedKey() });
    await expectArgumentError(() => fn(ward.decryptEncrypt0)(shared0, { backend, key: shared }), /decryptEncrypt0\(\) options\.key is a Keyset: pass keyset\.openingKey\(\)/);
    /* …and the fix works. */
    expect((await ward.openEnvelope(sealedShared, { backend, trust: trustStore.keySource(), key: shared.openingKey() })).plaintext).toEqual(PAYLOAD);
  });

  test('a keyset where recipients are expected: "pass await keyset.recipient()"', async () => {
    await expectArgumentError(() => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, recipients: [readers] }), /sealEnvelope\(\) options\.recipients\[0\] is a Keyset: pass await keyset\.recipient\(\)/);
    await expectArgumentError(() => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, recipients: readers }), /sealEnvelope\(\) options\.recipients must be an array.*pass \[await keyset\.recipient\(\)\]/);
    await expectArgumentError(() => fn(ward.createEncrypt)(PAYLOAD, { backend, recipients: [readers] }), /createEncrypt\(\) options\.recipients\[0\] is a Keyset/);
  });

  test('a public key given as the recipient\'s private key: names the private key', async () => {
    await expectArgumentError(
      () => fn(ward.openEnvelope)(envelope, { backend, trust: verifyingKey, recipient: { privateKey: readerPublic, kid: KID } }),
      /openEnvelope\(\) options\.recipient\.privateKey is a public key: a reader needs its private key/,
    );
    await expectArgumentError(
      () => fn(ward.decryptEncrypt)(encrypt, { backend, recipient: { privateKey: readerPublic } }),
      /decryptEncrypt\(\) options\.recipient\.privateKey is a public key/,
    );
  });

  test('a private key given as a recipient\'s public key: "pass backend.publicKey(key)"', async () => {
    await expectArgumentError(
      () => fn(ward.sealEnvelope)(PAYLOAD, { ...SEAL_BASE, recipients: [{ publicKey: readerKey as unknown as KeyHandle, kid: KID }] }),
      /sealEnvelope\(\) options\.recipients\[0\]\.publicKey is a private key: pass backend\.publicKey\(key\)/,
    );
  });

  test('a bare key handle as the recipient: "pass { privateKey: key, kid }"', async () => {
    await expectArgumentError(
      () => fn(ward.decryptEncrypt)(encrypt, { backend, recipient: readerKey as AgreementPrivateKey }),
      /decryptEncrypt\(\) options\.recipient is a bare key handle: pass \{ privateKey: key, kid \}/,
    );
  });

  test('a keyset passed as a signing key names its signer()', async () => {
    const signers = await ward.Keyset.generate(backend, { purpose: 'sign' });
    await expectArgumentError(() => fn(ward.createSign1)(PAYLOAD, { backend, key: signers }), /createSign1\(\) options\.key is a Keyset.*keyset\.signer\(\)\.key/);
  });
});
