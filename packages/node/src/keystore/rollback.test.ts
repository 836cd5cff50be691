/*
 * Rollback across restarts on disk (SPEC.md §9): a FileKeyStore refuses a keyset from an older
 * copy of its file, by default through `<path>.revisions` beside it, or through the state it
 * is given; FileStateStore is crash-safe and turns a torn or damaged
 * file into ERR_KEYSTORE_CORRUPT, never into "no state"; a TrustStore restored from a
 * FileStateStore refuses older documents and keeps revocations sticky.
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Keyset, KeyStoreError, MemoryStateStore, TrustStore, WardError, signTrustStoreDocument } from '@ward/core';
import { coseKeyFromHandle, coseKeyThumbprint } from '@ward/core/keys';
import type { StateStore } from '@ward/core';
import { FileKeyStore, FileStateStore, createNodeBackend } from '@ward/node';
import type { FileKeyStoreCreateOptions } from '@ward/node';
import { useTempDirs } from '../../test-kit/temp-dirs.js';

const backend = createNodeBackend();
const PASSPHRASE = 'correct horse battery staple';
const FAST = { passphrase: PASSPHRASE, backend, kdf: { N: 2 ** 14, r: 8, p: 1 }, insecureTestParameters: true } as const satisfies FileKeyStoreCreateOptions;
const OPEN = { passphrase: PASSPHRASE, backend, insecureTestParameters: true } as const;
const NOW = 1_767_225_600;

const freshDir = useTempDirs('ward-rollback-');

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
    // with marks kept in memory only (a fresh process) the old file still loads, the revoked key back as decrypt-only: what the state stops
    const unguarded = await FileKeyStore.open(path, { ...OPEN, state: new MemoryStateStore() });
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

  test('a crash between the file write and the state save: FileKeyStore.open() catches the marks up to the file', async () => {
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

describe('FileKeyStore default state: <path>.revisions beside the file', () => {
  /** v1 of 'readers' (a leaked key still decrypt-only), then v2 with it revoked; the store is closed. */
  async function revokedAfterCopy(path: string, options?: Partial<FileKeyStoreCreateOptions>): Promise<{ v1: Buffer; leaked: Uint8Array }> {
    const store = await FileKeyStore.create(path, { ...FAST, ...options });
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const leaked = readers.primaryKid!;
    await readers.rotate();
    await store.save('readers', readers);
    const v1 = await fs.readFile(path);
    readers.revoke(leaked, { reason: 'laptop stolen' });
    await store.save('readers', readers);
    await store.close();
    return { v1, leaked };
  }

  test('keystore rollback refused by default after a restart: an older keystore file copied back over the newer one, no state option', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const { v1 } = await revokedAfterCopy(path);
    await fs.writeFile(path, v1); // a backup restore, or an attacker, puts v1 back
    const reopened = await FileKeyStore.open(path, OPEN); // a new process: no state option
    expect(await codeOf(reopened.load('readers'))).toBe('ERR_KEYSTORE_ROLLBACK');
  });

  test('the default state file sits beside the keystore as <name>.revisions, mode 0600', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    await revokedAfterCopy(path);
    expect((await fs.readdir(dir)).sort()).toEqual(['keys.ward', 'keys.ward.revisions']);
    if (process.platform !== 'win32') expect((await fs.stat(join(dir, 'keys.ward.revisions'))).mode & 0o777).toBe(0o600);
    // the same record a FileStateStore at that path reads
    expect(await new FileStateStore(join(dir, 'keys.ward.revisions')).load()).toBeInstanceOf(Uint8Array);
  });

  test('create() on a path whose default state has marks keeps them: a new keystore file cannot reset them', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const { v1 } = await revokedAfterCopy(path);
    await fs.rm(path);
    const recreated = await FileKeyStore.create(path, FAST);
    await recreated.close();
    await fs.writeFile(path, v1);
    const reopened = await FileKeyStore.open(path, OPEN);
    expect(await codeOf(reopened.load('readers'))).toBe('ERR_KEYSTORE_ROLLBACK');
  });

  test('a legacy keystore without a state file: the first open takes the marks from the file and writes them', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const { v1 } = await revokedAfterCopy(path, { state: new MemoryStateStore() }); // written with no state file
    expect(await fs.readdir(dir)).toEqual(['keys.ward']);
    const first = await FileKeyStore.open(path, OPEN);
    expect((await first.load('readers'))!.revision).toBe(2);
    await first.close();
    expect((await fs.readdir(dir)).sort()).toEqual(['keys.ward', 'keys.ward.revisions']);
    await fs.writeFile(path, v1);
    expect(await codeOf((await FileKeyStore.open(path, OPEN)).load('readers'))).toBe('ERR_KEYSTORE_ROLLBACK');
  });

  test('deleting the default state file alone is a first start (the documented limit); a state kept elsewhere is not affected', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    const { v1, leaked } = await revokedAfterCopy(path);
    await fs.writeFile(path, v1);
    await fs.rm(join(dir, 'keys.ward.revisions'));
    expect((await (await FileKeyStore.open(path, OPEN)).load('readers'))!.get(leaked)?.state).toBe('decrypt-only');

    const elsewhere = join(await freshDir(), 'keys.revisions'); // another volume, in production
    const guardedPath = join(dir, 'guarded.ward');
    const guarded = await revokedAfterCopy(guardedPath, { state: new FileStateStore(elsewhere) });
    expect(await fs.readdir(dir)).not.toContain('guarded.ward.revisions');
    await fs.writeFile(guardedPath, guarded.v1);
    const reopened = await FileKeyStore.open(guardedPath, { ...OPEN, state: new FileStateStore(elsewhere) });
    expect(await codeOf(reopened.load('readers'))).toBe('ERR_KEYSTORE_ROLLBACK');
  });

  test('a damaged default state file refuses open (ERR_KEYSTORE_CORRUPT); open removes temp files a crashed state save left', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.ward');
    await revokedAfterCopy(path);
    const leftover = join(dir, '.keys.ward.revisions.tmp-0123456789abcdef');
    await fs.writeFile(leftover, new Uint8Array(3), { mode: 0o600 });
    await (await FileKeyStore.open(path, OPEN)).close();
    expect((await fs.readdir(dir)).sort()).toEqual(['keys.ward', 'keys.ward.revisions']);
    const statePath = join(dir, 'keys.ward.revisions');
    const bytes = await fs.readFile(statePath);
    await fs.writeFile(statePath, bytes.subarray(0, bytes.length - 1));
    expect(await codeOf(FileKeyStore.open(path, OPEN))).toBe('ERR_KEYSTORE_CORRUPT');
  });

  test('through a symlink the default state sits beside the target, so every link shares its marks', async () => {
    if (process.platform === 'win32') return;
    const dir = await freshDir();
    const real = join(dir, 'real.ward');
    const { v1 } = await revokedAfterCopy(real);
    const link = join(await freshDir(), 'link.ward');
    await fs.symlink(real, link);
    await fs.writeFile(real, v1);
    expect(await codeOf((await FileKeyStore.open(link, OPEN)).load('readers'))).toBe('ERR_KEYSTORE_ROLLBACK');
    expect((await fs.readdir(dir)).sort()).toEqual(['real.ward', 'real.ward.revisions']);
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
