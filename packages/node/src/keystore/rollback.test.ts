/*
 * Rollback across restarts on disk (SPEC.md §9): a FileKeyStore with a state refuses a keyset
 * from an older copy of its file; FileStateStore is crash-safe and turns a torn or damaged
 * file into ERR_KEYSTORE_CORRUPT, never into "no state"; a TrustStore restored from a
 * FileStateStore refuses older documents and keeps revocations sticky.
 */
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Keyset, KeyStoreError, TrustStore, WardError, coseKeyFromHandle, coseKeyThumbprint, signTrustStoreDocument } from '@ward/core';
import type { StateStore } from '@ward/core';
import { FileKeyStore, FileStateStore, createNodeBackend } from '@ward/node';
import type { FileKeyStoreCreateOptions } from '@ward/node';

const backend = createNodeBackend();
const PASSPHRASE = 'correct horse battery staple';
const FAST = { passphrase: PASSPHRASE, backend, kdf: { N: 2 ** 14, r: 8, p: 1 }, insecureTestParameters: true } as const satisfies FileKeyStoreCreateOptions;
const OPEN = { passphrase: PASSPHRASE, backend, insecureTestParameters: true } as const;
const NOW = 1_767_225_600;

let root: string;
let counter = 0;
beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'ward-rollback-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
async function freshDir(): Promise<string> {
  const dir = join(root, `t${counter++}`);
  await fs.mkdir(dir);
  return dir;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(WardError.isInstance(error), String(error)).toBe(true);
    return (error as WardError).code;
  }
  return undefined;
}

describe('FileKeyStore with a state: keyset rollback after a restart', () => {
  test('keystore rollback refused: an older keystore file copied back over the newer one is ERR_KEYSTORE_ROLLBACK on load', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const state = new FileStateStore(join(dir, 'keys.state'));
    const store = await FileKeyStore.create(path, { ...FAST, state });
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const leaked = readers.primaryKid!;
    await readers.rotate();
    await store.save('readers', readers); // v1
    const beforeRevocation = await fs.readFile(path);
    readers.revoke(leaked, { reason: 'laptop stolen' });
    await store.save('readers', readers); // v2
    await store.close();

    await fs.writeFile(path, beforeRevocation); // an attacker or a backup restore puts v1 back
    const reopened = await FileKeyStore.open(path, { ...OPEN, state: new FileStateStore(join(dir, 'keys.state')) });
    const error = await reopened.load('readers').catch((e: unknown) => e);
    expect(KeyStoreError.isInstance(error)).toBe(true);
    expect((error as KeyStoreError).code).toBe('ERR_KEYSTORE_ROLLBACK');
    // without the state the old file still loads, the revoked key back as decrypt-only: what the state stops
    const unguarded = await FileKeyStore.open(path, OPEN);
    expect((await unguarded.load('readers'))!.get(leaked)?.state).toBe('decrypt-only');
  });

  test('a deleted keyset cannot come back from an older file either', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const statePath = join(dir, 'keys.state');
    const store = await FileKeyStore.create(path, { ...FAST, state: new FileStateStore(statePath) });
    await store.save('zone', await Keyset.generate(backend, { purpose: 'shared' }));
    const withZone = await fs.readFile(path);
    await store.save('zone', await Keyset.generate(backend, { purpose: 'shared' }));
    await store.delete('zone');
    await store.close();
    await fs.writeFile(path, withZone);
    const reopened = await FileKeyStore.open(path, { ...OPEN, state: new FileStateStore(statePath) });
    expect(await codeOf(reopened.load('zone'))).toBe('ERR_KEYSTORE_ROLLBACK');
  });

  test('a crash between the file write and the state save: open() catches the marks up to the file', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const statePath = join(dir, 'keys.state');
    const real = new FileStateStore(statePath);
    let crashed = false;
    /* The process "dies" at the state save that follows the revocation's file write. */
    const crashing: StateStore = { load: () => real.load(), save: async (bytes) => { if (crashed) throw new Error('killed'); await real.save(bytes); } };
    const store = await FileKeyStore.create(path, { ...FAST, state: crashing });
    const zone = await Keyset.generate(backend, { purpose: 'shared' });
    await store.save('zone', zone);
    const v1 = await fs.readFile(path);
    zone.revoke(zone.primaryKid!);
    crashed = true;
    await expect(store.save('zone', zone)).rejects.toThrow();
    // restart: the file holds v2, the state still says v1; the store loads v2 and raises the mark
    const reopened = await FileKeyStore.open(path, { ...OPEN, state: new FileStateStore(statePath) });
    expect((await reopened.load('zone'))!.revision).toBe(2);
    await reopened.close();
    await fs.writeFile(path, v1);
    const rolledBack = await FileKeyStore.open(path, { ...OPEN, state: new FileStateStore(statePath) });
    expect(await codeOf(rolledBack.load('zone'))).toBe('ERR_KEYSTORE_ROLLBACK');
  });

  test('a damaged state refuses open (ERR_KEYSTORE_CORRUPT) rather than forgetting its marks', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const statePath = join(dir, 'keys.state');
    const store = await FileKeyStore.create(path, { ...FAST, state: new FileStateStore(statePath) });
    await store.save('zone', await Keyset.generate(backend, { purpose: 'shared' }));
    await store.close();
    const bytes = await fs.readFile(statePath);
    await fs.writeFile(statePath, bytes.subarray(0, bytes.length - 3));
    expect(await codeOf(FileKeyStore.open(path, { ...OPEN, state: new FileStateStore(statePath) }))).toBe('ERR_KEYSTORE_CORRUPT');
  });
});

describe('FileStateStore', () => {
  test('round trip; a missing file is no state; the file is mode 0600', async () => {
    const path = join(await freshDir(), 'trust.state');
    const state = new FileStateStore(path);
    expect(await state.load()).toBeUndefined();
    await state.save(new Uint8Array([1, 2, 3]));
    expect(await state.load()).toEqual(new Uint8Array([1, 2, 3]));
    if (process.platform !== 'win32') expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
  });

  test('a torn, empty or bit-flipped state file is ERR_KEYSTORE_CORRUPT, never a silent reset', async () => {
    const path = join(await freshDir(), 'trust.state');
    const state = new FileStateStore(path);
    await state.save(new Uint8Array(100).fill(9));
    const good = await fs.readFile(path);
    const flipped = Uint8Array.from(good);
    flipped[40]! ^= 1;
    for (const bad of [good.subarray(0, 50), new Uint8Array(0), flipped, good.subarray(0, good.length - 1)]) {
      await fs.writeFile(path, bad);
      expect(await codeOf(state.load())).toBe('ERR_KEYSTORE_CORRUPT');
    }
  });

  test('a directory at the path is ERR_KEYSTORE_IO', async () => {
    const path = join(await freshDir(), 'trust.state');
    await fs.mkdir(path);
    expect(await codeOf(new FileStateStore(path).load())).toBe('ERR_KEYSTORE_IO');
  });

  test('TrustStore restart from a FileStateStore: an older document is refused, a revocation stays sticky', async () => {
    const path = join(await freshDir(), 'trust.state');
    const admin = backend.generateKey('Ed25519');
    const anchors = new TrustStore({ backend, now: () => NOW });
    const adminKid = (await anchors.add({ key: backend.publicKey(admin), issuer: 'admin', roles: ['trust-store'] })).kid;
    const cameraPublic = backend.publicKey(backend.generateKey('Ed25519'));
    const cameraKid = await coseKeyThumbprint(await coseKeyFromHandle(backend, cameraPublic), backend);
    const sign = async (serial: number, revoked: boolean): Promise<Uint8Array> => {
      const published = new TrustStore({ backend, now: () => NOW });
      await published.add({ key: cameraPublic, issuer: 'camera-7' });
      if (revoked) published.revoke(cameraKid, { at: NOW - 10 });
      return signTrustStoreDocument(published, { backend, signer: { key: admin, kid: adminKid }, issuer: 'admin', serial, issuedAt: NOW });
    };
    await TrustStore.load(await sign(2, true), { backend, now: () => NOW, anchors, state: new FileStateStore(path) });
    const restarted = await TrustStore.restore({ backend, now: () => NOW, state: new FileStateStore(path) });
    expect(await codeOf(restarted.update(await sign(1, false), { anchors }))).toBe('ERR_TRUST_DOCUMENT_ROLLBACK');
    await restarted.update(await sign(3, false), { anchors });
    expect(restarted.get(cameraKid)?.revokedAt).toBe(NOW - 10);
  });
});
