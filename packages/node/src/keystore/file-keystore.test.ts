/*
 * FileKeyStore: round trips for every purpose, lifecycle across reloads, passphrase and
 * tamper handling, the KDF bounds, file modes and the atomic writer's clean-up. Every test but
 * one uses N = 2^14 (insecureTestParameters); "default parameters end to end" uses N = 2^17.
 */
import { execFileSync } from 'node:child_process';
import { scrypt } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { ArgumentError, EnvelopeError, KeyStoreError, Keyset, WardError, openEnvelope, sealEnvelope } from '@ward/core';
import { CoseTag, HeaderLabel, decodeProtectedHeader, createEncrypt0 } from '@ward/core/cose';
import { CborTag, decodeCbor, encodeCbor } from '@ward/core/cbor';
import type { CborValue, KeysetPurpose, KeyStoreErrorCode, OpenOptions, SealOptions } from '@ward/core';
import { FileKeyStore, createNodeBackend } from '@ward/node';
import type { FileKeyStoreCreateOptions, FileKeyStoreOpenOptions } from '@ward/node';
import { isTempFileOf, writeFileAtomic } from './atomic-file.js';
import type { AtomicFileSystem } from './atomic-file.js';
import { useTempDirs } from '../../test-kit/temp-dirs.js';

/* scrypt, the keystore's key derivation, counted: "refused before deriving" is a call count, not a clock. */
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, scrypt: vi.fn(actual.scrypt) };
});
const derivations = vi.mocked(scrypt);

const backend = createNodeBackend();
const PASSPHRASE = 'correct horse battery staple';
const FAST = { passphrase: PASSPHRASE, backend, kdf: { N: 2 ** 14, r: 8, p: 1 }, insecureTestParameters: true } as const satisfies FileKeyStoreCreateOptions;
const OPEN = { passphrase: PASSPHRASE, backend, insecureTestParameters: true } as const;
const te = new TextEncoder();
const PAYLOAD = te.encode('{"occupancy":17,"room":"B-204"}');
const CLAIMS = { issuer: 'door-controller-4', subject: 'access/b-204', sequence: 1 };
const ATTRIBUTES = { classification: 'personal', zone: 'campus-b' };

const freshDir = useTempDirs('ward-keystore-');

function codeOf(error: unknown): string | undefined {
  return WardError.isInstance(error) ? error.code : undefined;
}
async function keystoreError(promise: Promise<unknown>): Promise<KeyStoreErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (KeyStoreError.isInstance(error)) return error.code;
    throw error;
  }
  throw new Error('expected a KeyStoreError, got success');
}
async function tempFiles(dir: string, target: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => isTempFileOf(target, name));
}

const signing = await Keyset.generate(backend, { purpose: 'sign' });
const signer = signing.signer();
const trust = await backend.publicKey(signer.key);
async function sealWith(keys: Pick<SealOptions, 'key' | 'recipients'>): Promise<Uint8Array> {
  return sealEnvelope(PAYLOAD, { backend, signer, claims: CLAIMS, attributes: ATTRIBUTES, ...keys });
}
async function opened(envelope: Uint8Array, keys: Pick<OpenOptions, 'key' | 'recipient'>): Promise<Uint8Array> {
  return (await openEnvelope(envelope, { backend, trust, ...keys })).plaintext;
}
/** Seals to the keyset's primary in the form its purpose allows. */
async function sealTo(keyset: Keyset): Promise<Uint8Array> {
  return keyset.purpose === 'shared' ? sealWith({ key: keyset.sharedKey() }) : sealWith({ recipients: [await keyset.recipient()] });
}
async function openWith(keyset: Keyset, envelope: Uint8Array): Promise<Uint8Array> {
  return keyset.purpose === 'shared' ? opened(envelope, { key: keyset.openingKey() }) : opened(envelope, { recipient: keyset.recipientKey() });
}
function metadata(keyset: Keyset): unknown {
  return keyset.keys().map(({ uses: _uses, ...info }) => info);
}

describe('round trip', () => {
  test.each(['sign', 'recipient', 'shared', 'wrap'] as const satisfies readonly KeysetPurpose[])('a %s keyset survives save, reopen and load', async (purpose) => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    const keyset = await Keyset.generate(backend, { purpose, policy: { maxAgeSeconds: 86_400 } });
    await keyset.rotate();
    await store.save(purpose, keyset);

    const reopened = await FileKeyStore.open(path, OPEN);
    const loaded = (await reopened.load(purpose))!;
    expect(loaded.purpose).toBe(purpose);
    expect(loaded.policy).toEqual({ maxAgeSeconds: 86_400 });
    expect(loaded.primaryKid).toEqual(keyset.primaryKid);
    expect(metadata(loaded)).toEqual(metadata(keyset));
    expect(await reopened.load('missing')).toBeUndefined();

    if (purpose === 'sign') {
      // the loaded private key signs what the original's public key verifies
      const key = (await Keyset.generate(backend, { purpose: 'shared' })).sharedKey();
      const envelope = await sealEnvelope(PAYLOAD, { backend, signer: loaded.signer(), claims: CLAIMS, attributes: ATTRIBUTES, key });
      const originalPublic = await backend.publicKey(keyset.signer().key);
      expect((await openEnvelope(envelope, { backend, trust: originalPublic, key: key.key })).plaintext).toEqual(PAYLOAD);
    } else {
      // sealed with the original, opened with the copy from the file, and the reverse
      expect(await openWith(loaded, await sealTo(keyset))).toEqual(PAYLOAD);
      expect(await openWith(keyset, await sealTo(loaded))).toEqual(PAYLOAD);
    }
  });

  test('many keysets with names of every length, saved concurrently, all land (in deterministic order)', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    const names = ['b', 'a', 'aa', 'B', 'zone-9', 'z'.repeat(23), 'y'.repeat(24), 'x'.repeat(128), 'city.readers_2'];
    const keysets = await Promise.all(names.map(() => Keyset.generate(backend, { purpose: 'shared' })));
    await Promise.all(names.map((name, i) => store.save(name, keysets[i]!)));
    expect(await store.names()).toEqual([...names].sort());
    // FileKeyStore.open() decodes the content with requireDeterministic: the hand-written map encoding must be canonical
    const reopened = await FileKeyStore.open(path, OPEN);
    expect(await reopened.names()).toEqual([...names].sort());
    for (const [i, name] of names.entries()) expect((await reopened.load(name))!.primaryKid).toEqual(keysets[i]!.primaryKid);
  });

  test('concurrent saves under one name apply in call order: the last call wins', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    const keysets = await Promise.all([1, 2, 3, 4, 5].map(() => Keyset.generate(backend, { purpose: 'recipient' })));
    await Promise.all(keysets.map((keyset) => store.save('readers', keyset)));
    expect((await store.load('readers'))!.primaryKid).toEqual(keysets[4]!.primaryKid);
    expect((await (await FileKeyStore.open(path, OPEN)).load('readers'))!.primaryKid).toEqual(keysets[4]!.primaryKid);
  });

  test('a snapshot taken while a rotation is in flight is never stored unless it loads', async () => {
    // Keyset.toDocument() interleaved with rotate() can serialise two active keys; save must
    // refuse that (ERR_KEYSET_INVALID) rather than replace a good keyset with one that cannot load
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    await store.save('zone', keyset);
    const outcomes = new Set<string>();
    for (let delay = 0; delay < 60; delay++) {
      const rotation = keyset.rotate();
      for (let i = 0; i < delay; i++) await Promise.resolve();
      const saved = await store.save('zone', keyset).then(() => 'saved', (e: unknown) => codeOf(e) ?? String(e));
      await rotation;
      outcomes.add(saved);
      expect(['saved', 'ERR_KEYSET_INVALID']).toContain(saved);
      expect(await store.load('zone')).toBeInstanceOf(Keyset);
    }
    expect(outcomes).toContain('saved');
    expect(await (await FileKeyStore.open(path, OPEN)).load('zone')).toBeInstanceOf(Keyset);
  });

  test('names() and delete()', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    expect(await store.names()).toEqual([]);
    await store.save('zone-b', await Keyset.generate(backend, { purpose: 'shared' }));
    await store.save('zone-a', await Keyset.generate(backend, { purpose: 'wrap' }));
    expect(await store.names()).toEqual(['zone-a', 'zone-b']);
    const before = await fs.stat(path);
    expect(await store.delete('zone-c')).toBe(false);
    expect((await fs.stat(path)).mtimeMs).toBe(before.mtimeMs); // nothing written for an absent name
    expect(await store.delete('zone-b')).toBe(true);
    expect(await store.names()).toEqual(['zone-a']);
    const reopened = await FileKeyStore.open(path, OPEN);
    expect(await reopened.names()).toEqual(['zone-a']);
    expect(await reopened.load('zone-b')).toBeUndefined();
    await expect(store.save('../escape', await Keyset.generate(backend, { purpose: 'wrap' }))).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
    await expect(store.load('')).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
  });
});

describe('lifecycle across reloads', () => {
  test.each(['recipient', 'shared', 'wrap'] as const)('a rotated %s keyset still opens an envelope sealed before rotation, after a reload', async (purpose) => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    const keyset = await Keyset.generate(backend, { purpose });
    await store.save('k', keyset);
    const before = await sealTo(keyset);
    await keyset.rotate();
    await store.save('k', keyset);
    const after = await sealTo(keyset);

    const loaded = (await (await FileKeyStore.open(path, OPEN)).load('k'))!;
    expect(loaded.keys().map((k) => k.state)).toEqual(['decrypt-only', 'active']);
    expect(await openWith(loaded, before)).toEqual(PAYLOAD);
    expect(await openWith(loaded, after)).toEqual(PAYLOAD);
  });

  test('a destroyed key stays destroyed after a reload; a revoked one stays revoked', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    const first = await sealTo(keyset);
    const firstKid = keyset.primaryKid!;
    await keyset.rotate();
    const second = await sealTo(keyset);
    const secondKid = keyset.primaryKid!;
    await keyset.rotate();
    await keyset.destroy(firstKid);
    keyset.revoke(secondKid, { reason: 'leaked in a log' });
    await store.save('zone', keyset);

    const loaded = (await (await FileKeyStore.open(path, OPEN)).load('zone'))!;
    expect(loaded.get(firstKid)).toMatchObject({ state: 'destroyed' });
    expect(loaded.get(secondKid)).toMatchObject({ state: 'revoked', revocationReason: 'leaked in a log' });
    const refused = async (envelope: Uint8Array): Promise<unknown> => {
      try {
        await openWith(loaded, envelope);
      } catch (error) {
        expect(EnvelopeError.isInstance(error)).toBe(true);
        return codeOf((error as Error).cause);
      }
      throw new Error('opened');
    };
    expect(await refused(first)).toBe('ERR_KEY_DESTROYED');
    expect(await refused(second)).toBe('ERR_KEY_REVOKED');
    // the destroyed key's material is not in the stored document either
    expect(loaded.keys().filter((k) => k.state !== 'destroyed')).toHaveLength(2);
  });
});

describe('unlocking', () => {
  test('a wrong passphrase is ERR_KEYSTORE_UNLOCK_FAILED', async () => {
    const path = join(await freshDir(), 'keys.ward');
    await FileKeyStore.create(path, FAST);
    expect(await keystoreError(FileKeyStore.open(path, { ...OPEN, passphrase: 'correct horse battery stapler' }))).toBe('ERR_KEYSTORE_UNLOCK_FAILED');
    expect(await keystoreError(FileKeyStore.open(path, { ...OPEN, passphrase: te.encode(PASSPHRASE.toUpperCase()) }))).toBe('ERR_KEYSTORE_UNLOCK_FAILED');
    await expect(FileKeyStore.open(path, { ...OPEN, passphrase: te.encode(PASSPHRASE) })).resolves.toBeInstanceOf(FileKeyStore);
  });

  test('string passphrases are NFC-normalised: composed and decomposed forms unlock alike', async () => {
    const path = join(await freshDir(), 'keys.ward');
    await FileKeyStore.create(path, { ...FAST, passphrase: 'Jos\u00e9 caf\u00e9' });
    await expect(FileKeyStore.open(path, { ...OPEN, passphrase: 'Jose\u0301 cafe\u0301' })).resolves.toBeInstanceOf(FileKeyStore);
  });

  test('empty passphrases and missing backends are refused', async () => {
    const path = join(await freshDir(), 'keys.ward');
    await expect(FileKeyStore.create(path, { ...FAST, passphrase: '' })).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
    await expect(FileKeyStore.create(path, { ...FAST, passphrase: new Uint8Array(0) })).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
    await expect(FileKeyStore.create(path, { ...FAST, backend: undefined as never })).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
    await expect(fs.stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('changePassphrase re-encrypts under a new salt; the old passphrase stops working', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    const keyset = await Keyset.generate(backend, { purpose: 'wrap' });
    await store.save('w', keyset);
    const saltBefore = kdfMap(await fs.readFile(path)).get(2);
    await store.changePassphrase('a new passphrase', { insecureTestParameters: true });
    expect(kdfMap(await fs.readFile(path)).get(2)).not.toEqual(saltBefore);
    await store.save('w2', keyset); // the store keeps working with the new key
    expect(await keystoreError(FileKeyStore.open(path, OPEN))).toBe('ERR_KEYSTORE_UNLOCK_FAILED');
    const reopened = await FileKeyStore.open(path, { ...OPEN, passphrase: 'a new passphrase' });
    expect(await reopened.names()).toEqual(['w', 'w2']);
    // without the test option the change must meet the floor
    await expect(reopened.changePassphrase('x')).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
  });

  test('close() locks the store', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    await store.save('w', await Keyset.generate(backend, { purpose: 'wrap' }));
    await store.close();
    await expect(store.load('w')).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
    await expect(store.names()).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
    await expect(store.save('w', await Keyset.generate(backend, { purpose: 'wrap' }))).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
  });
});

/** The KDF parameter map from a keystore file's protected header. */
function kdfMap(file: Uint8Array): Map<CborValue, CborValue> {
  const message = decodeCbor(file) as CborTag;
  const header = decodeProtectedHeader((message.value as CborValue[])[0] as Uint8Array);
  return header.get(-65600) as Map<CborValue, CborValue>;
}

describe('hostile and damaged files', () => {
  let path: string;
  let pristine: Uint8Array;
  beforeAll(async () => {
    path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    await store.save('readers', await Keyset.generate(backend, { purpose: 'recipient' }));
    await store.save('zone', await Keyset.generate(backend, { purpose: 'shared' }));
    pristine = new Uint8Array(await fs.readFile(path));
  });
  async function openBytes(bytes: Uint8Array, options: Partial<FileKeyStoreOpenOptions> = {}): Promise<FileKeyStore> {
    const target = join(await freshDir(), 'keys.ward');
    await fs.writeFile(target, bytes, { mode: 0o600 });
    return FileKeyStore.open(target, { ...OPEN, ...options });
  }

  test('the file is a COSE_Encrypt0 whose protected header holds the scrypt parameters', () => {
    const message = decodeCbor(pristine);
    expect(message).toBeInstanceOf(CborTag);
    expect((message as CborTag).tag).toBe(CoseTag.Encrypt0);
    const [protectedBytes, unprotected] = (message as CborTag).value as CborValue[];
    const header = decodeProtectedHeader(protectedBytes as Uint8Array);
    expect(header.get(HeaderLabel.alg)).toBe(3); // A256GCM
    expect(header.get(HeaderLabel.contentType)).toBe('application/ward-keystore+cbor');
    const kdf = kdfMap(pristine);
    expect(kdf.get(1)).toBe('scrypt');
    expect((kdf.get(2) as Uint8Array).length).toBe(16);
    expect([kdf.get(3), kdf.get(4), kdf.get(5)]).toEqual([14, 8, 1]);
    expect(((unprotected as Map<CborValue, CborValue>).get(HeaderLabel.iv) as Uint8Array).length).toBe(12);
    // no keyset name or key material in the clear
    expect(Buffer.from(pristine).includes('readers')).toBe(false);
  });

  test('every save draws a fresh nonce; the salt stays', async () => {
    const store = await openBytes(pristine);
    const ivs = new Set<string>();
    for (let i = 0; i < 5; i++) {
      await store.save('zone', await Keyset.generate(backend, { purpose: 'shared' }));
      const file = await fs.readFile(store.path);
      const unprotected = ((decodeCbor(file) as CborTag).value as CborValue[])[1] as Map<CborValue, CborValue>;
      ivs.add(Buffer.from(unprotected.get(HeaderLabel.iv) as Uint8Array).toString('hex'));
      expect(kdfMap(file).get(2)).toEqual(kdfMap(pristine).get(2));
    }
    expect(ivs.size).toBe(5);
  });

  test('every single bit flip is refused (ERR_KEYSTORE_CORRUPT or ERR_KEYSTORE_UNLOCK_FAILED), never a keyset', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: pristine.length * 8 - 1 }), async (bit) => {
        const tampered = pristine.slice();
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        const code = await keystoreError(openBytes(tampered));
        seen.add(code);
        expect(['ERR_KEYSTORE_CORRUPT', 'ERR_KEYSTORE_UNLOCK_FAILED']).toContain(code);
      }),
      { numRuns: 120, examples: [[0], [7], [8 * 20], [pristine.length * 8 - 1]] },
    );
    expect(seen.size).toBeGreaterThan(0);
  });

  test('every bit of the protected header (KDF parameters, salt) is authenticated', async () => {
    // the header is the first ~60 bytes: flip each of its bits deterministically
    const headerEnd = 64;
    for (let bit = 8; bit < headerEnd * 8; bit += 7) {
      const tampered = pristine.slice();
      tampered[bit >> 3]! ^= 1 << (bit & 7);
      expect(['ERR_KEYSTORE_CORRUPT', 'ERR_KEYSTORE_UNLOCK_FAILED']).toContain(await keystoreError(openBytes(tampered)));
    }
  });

  test('truncated and empty files are ERR_KEYSTORE_CORRUPT', async () => {
    for (const length of [0, 1, 31, 32, 60, pristine.length >> 1, pristine.length - 17, pristine.length - 1]) {
      expect(await keystoreError(openBytes(pristine.subarray(0, length)))).toBe('ERR_KEYSTORE_CORRUPT');
    }
    // and appended garbage
    expect(await keystoreError(openBytes(Buffer.concat([pristine, Buffer.from([0])])))).toBe('ERR_KEYSTORE_CORRUPT');
  });

  test('a plaintext keyset document swapped in as the keystore is refused', async () => {
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    expect(await keystoreError(openBytes(await keyset.toDocument()))).toBe('ERR_KEYSTORE_CORRUPT');
    // and so is an encrypted keyset document, and an arbitrary Encrypt0
    const kek = await backend.generateKey('AES-GCM');
    expect(await keystoreError(openBytes(await keyset.toDocument({ kek: { key: kek } })))).toBe('ERR_KEYSTORE_CORRUPT');
    expect(await keystoreError(openBytes(await createEncrypt0(PAYLOAD, { backend, key: kek })))).toBe('ERR_KEYSTORE_CORRUPT');
    // and a plaintext payload map (name → document) without the encryption
    expect(await keystoreError(openBytes(encodeCbor(new Map([['zone', await keyset.toDocument()]]))))).toBe('ERR_KEYSTORE_CORRUPT');
  });

  /** A file like the keystore's, with these KDF values; its tag cannot verify (random key), so only pre-derivation checks are exercised. */
  async function withKdf(logN: unknown, r: unknown, p: unknown, salt: Uint8Array = new Uint8Array(16)): Promise<Uint8Array> {
    return createEncrypt0(new Uint8Array(64), {
      backend, key: await backend.generateKey('AES-GCM'), externalAad: te.encode('Ward keystore v1'),
      protectedHeader: new Map<number | string, CborValue>([
        [HeaderLabel.contentType, 'application/ward-keystore+cbor'],
        [-65600, new Map<CborValue, CborValue>([[1, 'scrypt'], [2, salt], [3, logN as CborValue], [4, r as CborValue], [5, p as CborValue]])],
      ]),
    });
  }

  test('KDF parameters that are too large are refused before deriving (scrypt is never called)', async () => {
    /* The counter sees a derivation: acceptable parameters run scrypt once, then fail at the tag. */
    derivations.mockClear();
    expect(await keystoreError(openBytes(await withKdf(14, 8, 1)))).toBe('ERR_KEYSTORE_UNLOCK_FAILED');
    expect(derivations).toHaveBeenCalledTimes(1);
    for (const [logN, r, p] of [[30, 8, 1], [21, 8, 1], [20, 8, 1], [18, 32, 1], [17, 8, 16], [62, 1, 1], [1024, 1, 1], [17, 1_000_000, 1]]) {
      const file = await withKdf(logN, r, p);
      derivations.mockClear();
      expect(await keystoreError(openBytes(file))).toBe('ERR_KEYSTORE_CORRUPT');
      expect(derivations, `N = 2^${String(logN)}, r = ${String(r)}, p = ${String(p)}: nothing derived`).not.toHaveBeenCalled();
    }
  });

  test('KDF parameters that are too small, malformed or of another KDF are refused', async () => {
    for (const [logN, r, p] of [[9, 8, 1], [0, 8, 1], [-1, 8, 1], [14.5, 8, 1], [14, 0, 1], [14, 8, 0], ['14', 8, 1], [14, 8, null]]) {
      expect(await keystoreError(openBytes(await withKdf(logN, r, p)))).toBe('ERR_KEYSTORE_CORRUPT');
    }
    expect(await keystoreError(openBytes(await withKdf(14, 8, 1, new Uint8Array(8))))).toBe('ERR_KEYSTORE_CORRUPT'); // short salt
    // N = 2^14 is below the production floor: refused unless the caller opts into test parameters
    expect(await keystoreError(openBytes(pristine, { insecureTestParameters: false }))).toBe('ERR_KEYSTORE_CORRUPT');
  });

  test('a file larger than 16 MiB is refused from its size, before it is read', async () => {
    const target = join(await freshDir(), 'keys.ward');
    const handle = await fs.open(target, 'w', 0o600);
    await handle.truncate(16 * 1024 * 1024 + 1); // sparse
    await handle.close();
    expect(await keystoreError(FileKeyStore.open(target, OPEN))).toBe('ERR_KEYSTORE_CORRUPT');
  });
});

describe('files and modes', () => {
  test('the keystore is mode 0600 after create and after every save', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    await store.save('z', await Keyset.generate(backend, { purpose: 'shared' }));
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
  });

  test.skipIf(process.platform === 'win32')('a keystore group or others may access is refused unless allowed; the next save restores 0600', async () => {
    const path = join(await freshDir(), 'keys.ward');
    await FileKeyStore.create(path, FAST);
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      await fs.chmod(path, mode);
      expect(await keystoreError(FileKeyStore.open(path, OPEN))).toBe('ERR_KEYSTORE_IO');
    }
    await fs.chmod(path, 0o644);
    const store = await FileKeyStore.open(path, { ...OPEN, allowInsecurePermissions: true });
    await store.save('z', await Keyset.generate(backend, { purpose: 'shared' }));
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
  });

  test('create refuses to overwrite an existing file', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    await store.save('z', await Keyset.generate(backend, { purpose: 'shared' }));
    const before = await fs.readFile(path);
    expect(await keystoreError(FileKeyStore.create(path, FAST))).toBe('ERR_KEYSTORE_IO');
    expect(await fs.readFile(path)).toEqual(before);
    expect(await tempFiles(join(path, '..'), path)).toEqual([]);
    await fs.writeFile(join(path, '..', 'other'), 'not a keystore');
    expect(await keystoreError(FileKeyStore.create(join(path, '..', 'other'), FAST))).toBe('ERR_KEYSTORE_IO');
  });

  test('create refuses KDF parameters outside the bounds', async () => {
    const path = join(await freshDir(), 'keys.ward');
    for (const kdf of [{ N: 2 ** 14, r: 8, p: 1 }, { N: 2 ** 16, r: 1, p: 1 }, { N: 3 ** 10, r: 8, p: 1 }, { N: 2 ** 21, r: 8, p: 1 }, { N: 2 ** 17, r: 8, p: 64 }]) {
      await expect(FileKeyStore.create(path, { passphrase: PASSPHRASE, backend, kdf })).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
    }
    await expect(FileKeyStore.create(path, { ...FAST, kdf: { N: 2 ** 9, r: 8, p: 1 } })).rejects.toSatisfy((e) => ArgumentError.isInstance(e));
    await expect(fs.stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('a missing file or directory is ERR_KEYSTORE_IO', async () => {
    const dir = await freshDir();
    expect(await keystoreError(FileKeyStore.open(join(dir, 'nope'), OPEN))).toBe('ERR_KEYSTORE_IO');
    expect(await keystoreError(FileKeyStore.create(join(dir, 'no-such-dir', 'keys.ward'), FAST))).toBe('ERR_KEYSTORE_IO');
    expect(await keystoreError(FileKeyStore.open(dir, OPEN))).toBe('ERR_KEYSTORE_IO'); // a directory
  });

  test.skipIf(process.platform === 'win32')('a FIFO at the path is refused without hanging', async () => {
    const path = join(await freshDir(), 'keys.ward');
    try {
      execFileSync('mkfifo', ['-m', '600', path]);
    } catch {
      return; // no mkfifo here
    }
    expect(await keystoreError(FileKeyStore.open(path, OPEN))).toBe('ERR_KEYSTORE_IO');
  });

  test.skipIf(process.platform === 'win32')('a symlinked keystore is followed: saves replace the target and the link stays', async () => {
    const dir = await freshDir();
    const real = join(dir, 'real.ward');
    await FileKeyStore.create(real, FAST);
    const link = join(dir, 'link.ward');
    await fs.symlink(real, link);
    const store = await FileKeyStore.open(link, OPEN);
    expect(store.path).toBe(await fs.realpath(real));
    await store.save('z', await Keyset.generate(backend, { purpose: 'shared' }));
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await (await FileKeyStore.open(real, OPEN)).names()).toEqual(['z']);
  });

  test('a failed save removes its temp file and leaves file and store unchanged', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    const first = await Keyset.generate(backend, { purpose: 'shared' });
    await store.save('zone', first);
    const saved = await fs.readFile(path);
    // rename(2) cannot replace a directory with a file: swap one in, so the save fails after
    // the temp file was written and synced (this works as root too, unlike a read-only directory)
    await fs.rename(path, join(dir, 'aside'));
    await fs.mkdir(path);
    expect(await keystoreError(store.save('zone', await Keyset.generate(backend, { purpose: 'shared' })))).toBe('ERR_KEYSTORE_IO');
    expect(await tempFiles(dir, path)).toEqual([]);
    expect((await store.load('zone'))!.primaryKid).toEqual(first.primaryKid); // the store still holds what is on disk
    await fs.rmdir(path);
    await fs.rename(join(dir, 'aside'), path);
    expect(await fs.readFile(path)).toEqual(saved);
    await store.save('other', first); // and keeps working
    expect(await (await FileKeyStore.open(path, OPEN)).names()).toEqual(['other', 'zone']);
  });

  test('leftover temp files from a crash do not confuse open, which removes them', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const store = await FileKeyStore.create(path, FAST);
    await store.save('zone', await Keyset.generate(backend, { purpose: 'shared' }));
    const leftovers = ['.keys.ward.tmp-0123456789abcdef', '.keys.ward.tmp-fedcba9876543210'];
    await fs.writeFile(join(dir, leftovers[0]!), new Uint8Array(0), { mode: 0o600 });
    await fs.writeFile(join(dir, leftovers[1]!), (await fs.readFile(path)).subarray(0, 40), { mode: 0o600 });
    await fs.writeFile(join(dir, '.keys.ward.tmp-notours'), 'x');
    const reopened = await FileKeyStore.open(path, OPEN);
    expect(await reopened.names()).toEqual(['zone']);
    expect(await tempFiles(dir, path)).toEqual([]);
    expect((await fs.readdir(dir)).sort()).toEqual(['.keys.ward.tmp-notours', 'keys.ward', 'keys.ward.revisions']);
  });
});

describe('writeFileAtomic', () => {
  const steps = ['open', 'chmod', 'write', 'sync', 'close', 'rename', 'dirsync'] as const;
  /** node:fs/promises with one step failing. */
  function failingAt(step: (typeof steps)[number]): AtomicFileSystem {
    const fail = (): never => {
      throw Object.assign(new Error(`injected ${step} failure`), { code: 'EIO' });
    };
    let opens = 0;
    return {
      async open(path, flags, mode) {
        opens += 1;
        if (step === 'open' && opens === 1) fail();
        const handle = await fs.open(path, flags, mode);
        const isDirectory = opens === 2;
        return new Proxy(handle, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver) as unknown;
            if (typeof value !== 'function') return value;
            const injected = (property === step && !isDirectory) || (step === 'dirsync' && isDirectory && property === 'sync');
            return injected
              ? async (...args: unknown[]) => {
                if (property === 'close') await (value as (...a: unknown[]) => Promise<void>).apply(target, args);
                fail();
              }
              : (value as (...a: unknown[]) => unknown).bind(target);
          },
        });
      },
      rename: (from, to) => (step === 'rename' ? Promise.reject(Object.assign(new Error('injected'), { code: 'EIO' })) : fs.rename(from, to)),
      link: (a, b) => fs.link(a, b),
      unlink: (p) => fs.unlink(p),
      readdir: (p) => fs.readdir(p),
    };
  }

  test.each(steps)('a failure at %s throws ERR_KEYSTORE_IO and leaves no temp file', async (step) => {
    const dir = await freshDir();
    const path = join(dir, 'target');
    await fs.writeFile(path, 'old', { mode: 0o600 });
    const error = await writeFileAtomic(path, te.encode('new content'), { fs: failingAt(step) }).then(() => undefined, (e: unknown) => e);
    expect(codeOf(error)).toBe('ERR_KEYSTORE_IO');
    expect((error as Error).cause).toMatchObject({ code: 'EIO' });
    expect(await tempFiles(dir, path)).toEqual([]);
    // before the rename the old content stays; a failed directory fsync comes after it
    expect(await fs.readFile(path, 'utf8')).toBe(step === 'dirsync' ? 'new content' : 'old');
  });

  test('writes the content, mode 0600, through a rename', async () => {
    const dir = await freshDir();
    const path = join(dir, 'target');
    await fs.writeFile(path, 'old', { mode: 0o644 });
    const data = new Uint8Array(3 * 1024 * 1024).map((_, i) => i * 7);
    await writeFileAtomic(path, data);
    expect(Buffer.compare(await fs.readFile(path), data)).toBe(0); // (toEqual walks 3 MiB element by element)
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual(['target']);
  });

  test('noClobber refuses an existing target atomically', async () => {
    const dir = await freshDir();
    const path = join(dir, 'target');
    await writeFileAtomic(path, te.encode('first'), { noClobber: true });
    const error = await writeFileAtomic(path, te.encode('second'), { noClobber: true }).then(() => undefined, (e: unknown) => e);
    expect(codeOf(error)).toBe('ERR_KEYSTORE_IO');
    expect((error as Error).cause).toMatchObject({ code: 'EEXIST' });
    expect(await fs.readFile(path, 'utf8')).toBe('first');
    expect(await fs.readdir(dir)).toEqual(['target']);
  });

  test('noClobber without hard links (FAT, some network file systems) claims the name with O_EXCL', async () => {
    const dir = await freshDir();
    const path = join(dir, 'target');
    const noLinks: AtomicFileSystem = {
      open: (p, flags, mode) => fs.open(p, flags, mode),
      rename: (a, b) => fs.rename(a, b),
      link: () => Promise.reject(Object.assign(new Error('hard links not supported'), { code: 'EPERM' })),
      unlink: (p) => fs.unlink(p),
      readdir: (p) => fs.readdir(p),
    };
    await writeFileAtomic(path, te.encode('first'), { noClobber: true, fs: noLinks });
    expect(await fs.readFile(path, 'utf8')).toBe('first');
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    const error = await writeFileAtomic(path, te.encode('second'), { noClobber: true, fs: noLinks }).then(() => undefined, (e: unknown) => e);
    expect(codeOf(error)).toBe('ERR_KEYSTORE_IO');
    expect((error as Error).cause).toMatchObject({ code: 'EEXIST' });
    expect(await fs.readFile(path, 'utf8')).toBe('first');
    expect(await fs.readdir(dir)).toEqual(['target']);
  });
});

describe('default parameters end to end', () => {
  test('N = 2^17, r = 8, p = 1: create, save, reopen, load', async () => {
    const path = join(await freshDir(), 'keys.ward');
    const store = await FileKeyStore.create(path, { passphrase: PASSPHRASE, backend });
    expect(store.kdf).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect([kdfMap(await fs.readFile(path)).get(3), kdfMap(await fs.readFile(path)).get(4), kdfMap(await fs.readFile(path)).get(5)]).toEqual([17, 8, 1]);
    const keyset = await Keyset.generate(backend, { purpose: 'recipient' });
    const envelope = await sealTo(keyset);
    await store.save('readers', keyset);
    const reopened = await FileKeyStore.open(path, { passphrase: PASSPHRASE, backend });
    expect(await openWith((await reopened.load('readers'))!, envelope)).toEqual(PAYLOAD);
    expect(await keystoreError(FileKeyStore.open(path, { passphrase: 'wrong', backend }))).toBe('ERR_KEYSTORE_UNLOCK_FAILED');
  });
});
