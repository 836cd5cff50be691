/*
 * StoredKeyset: no key seals before the store holds it, and no reloaded keyset counts fewer
 * uses than were handed out, whatever the order of uses, rotations, failing saves and crashes.
 */
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../backend/noble-backend.js';
import { ArgumentError, KeyError, KeyStoreError } from '../errors.js';
import { MemoryKeyStore } from './key-store.js';
import type { KeyStore } from './key-store.js';
import { Keyset } from './keyset.js';
import { DEFAULT_USE_RESERVATION, StoredKeyset } from './stored-keyset.js';

const backend = createNobleBackend();
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** A MemoryKeyStore whose saves can be made to fail, and that counts them. */
class FlakyStore implements KeyStore {
  readonly inner = new MemoryKeyStore(backend);
  failing = false;
  saves = 0;
  /** Milliseconds each save waits before writing (to let concurrent calls pile up). */
  delay = 0;

  load(name: string) {
    return this.inner.load(name);
  }

  async save(name: string, keyset: Keyset): Promise<void> {
    if (this.delay > 0) await new Promise((done) => setTimeout(done, this.delay));
    if (this.failing) throw new KeyStoreError('ERR_KEYSTORE_IO', 'disk unplugged');
    await this.inner.save(name, keyset);
    this.saves++;
  }

  delete(name: string) {
    return this.inner.delete(name);
  }

  names() {
    return this.inner.names();
  }

  /** The stored use count of each key, by hex kid, and the stored primary. */
  async stored(name: string): Promise<{ uses: Map<string, number>; primary: string | undefined }> {
    const keyset = (await this.inner.load(name))!;
    const primary = keyset.primaryKid;
    return { uses: new Map(keyset.keys().map((k) => [hex(k.kid), k.uses])), primary: primary === undefined ? undefined : hex(primary) };
  }
}

const shared = () => Keyset.generate(backend, { purpose: 'shared' });

describe('Keyset.reserveUses', () => {
  test('a saved document records the reservation as uses; the keyset itself counts real uses', async () => {
    const store = new MemoryKeyStore(backend);
    const keyset = await shared();
    keyset.sharedKey();
    expect(keyset.reserveUses(10)).toBe(11);
    expect(keyset.keys()[0]!.uses).toBe(1);
    await store.save('zone', keyset);
    expect((await store.load('zone'))!.keys()[0]!.uses).toBe(11);
    /* beyond the reservation, the real count wins */
    for (let i = 0; i < 15; i++) keyset.sharedKey();
    await store.save('zone', keyset);
    expect((await store.load('zone'))!.keys()[0]!.uses).toBe(16);
  });

  test('needs a primary and a positive integer', async () => {
    const keyset = await shared();
    for (const count of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, '3']) {
      expect(() => keyset.reserveUses(count as number)).toThrow(ArgumentError);
    }
    keyset.retire(keyset.primaryKid!);
    expect(() => keyset.reserveUses(1)).toThrow(KeyError);
  });
});

describe('StoredKeyset', () => {
  test('create saves at once; the sealing key is the stored primary', async () => {
    const store = new FlakyStore();
    const zone = await StoredKeyset.create(store, 'zone', await shared());
    expect(store.saves).toBe(1);
    const { kid } = await zone.sharedKey();
    expect((await store.stored('zone')).primary).toBe(hex(kid));
    expect(zone.name).toBe('zone');
  });

  test('a rotation whose save fails hands out no key until a save succeeds, then the new one', async () => {
    const store = new FlakyStore();
    const zone = await StoredKeyset.create(store, 'zone', await shared());
    const before = hex((await zone.sharedKey()).kid);
    store.failing = true;
    await expect(zone.rotate()).rejects.toMatchObject({ code: 'ERR_KEYSTORE_IO' });
    const unsaved = hex(zone.keyset.primaryKid!);
    expect(unsaved).not.toBe(before);
    await expect(zone.sharedKey()).rejects.toMatchObject({ code: 'ERR_KEYSTORE_IO' });
    expect((await store.stored('zone')).primary).toBe(before); // the store still holds the old primary
    store.failing = false;
    const after = await zone.sharedKey();
    expect(hex(after.kid)).toBe(unsaved);
    expect((await store.stored('zone')).primary).toBe(unsaved);
  });

  test('a rotation made on the keyset directly is saved before its key is handed out', async () => {
    const store = new FlakyStore();
    const zone = await StoredKeyset.create(store, 'zone', await shared());
    await zone.keyset.rotate();
    const saves = store.saves;
    const { kid } = await zone.sharedKey();
    expect(store.saves).toBe(saves + 1);
    expect((await store.stored('zone')).primary).toBe(hex(kid));
  });

  test('one save per reservation: with reserveUses 4, twelve seals take three saves after the first', async () => {
    const store = new FlakyStore();
    const zone = await StoredKeyset.create(store, 'zone', await shared(), { reserveUses: 4 });
    for (let i = 0; i < 12; i++) await zone.sharedKey();
    expect(store.saves).toBe(3); // create reserved 1-4, then 5-8, 9-12
    expect((await store.stored('zone')).uses.get(hex(zone.keyset.primaryKid!))).toBe(12);
  });

  test('a reloaded keyset counts the whole reservation as used, and saves a new one before its first use', async () => {
    const store = new FlakyStore();
    const zone = await StoredKeyset.create(store, 'zone', await shared(), { reserveUses: 100 });
    await zone.sharedKey();
    const again = await StoredKeyset.load(store, 'zone', { reserveUses: 100 });
    expect(again.keyset.keys()[0]!.uses).toBe(100);
    const saves = store.saves;
    await again.sharedKey();
    expect(store.saves).toBe(saves + 1);
    expect((await store.stored('zone')).uses.get(hex(again.keyset.primaryKid!))).toBe(200);
  });

  test('concurrent seals across reservation boundaries never get ahead of the store', async () => {
    const store = new FlakyStore();
    store.delay = 1;
    const zone = await StoredKeyset.create(store, 'zone', await shared(), { reserveUses: 7 });
    let handedOut = 0;
    const checks: boolean[] = [];
    await Promise.all(Array.from({ length: 120 }, async (_, i) => {
      if (i === 60) await zone.rotate();
      await zone.sharedKey();
      handedOut++;
      const kid = hex(zone.keyset.primaryKid!);
      const { uses } = await store.stored('zone');
      checks.push((uses.get(kid) ?? 0) >= zone.keyset.get(zone.keyset.primaryKid!)!.uses);
    }));
    expect(handedOut).toBe(120);
    expect(checks.every(Boolean)).toBe(true);
    const total = [...(await store.stored('zone')).uses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(120);
  });

  test('lifecycle operations save before they resolve; destroy removes the key from the store', async () => {
    const store = new FlakyStore();
    const zone = await StoredKeyset.create(store, 'zone', await shared());
    const first = zone.keyset.primaryKid!;
    await zone.rotate();
    await zone.retire(zone.keyset.primaryKid!);
    await zone.rotate();
    await zone.revoke(first, { reason: 'test' });
    await zone.destroy(first);
    expect((await store.inner.load('zone'))!.get(first)!.state).toBe('destroyed');
    expect(await zone.forget(first)).toBe(true);
    expect((await store.inner.load('zone'))!.get(first)).toBeUndefined();
  });

  test('refuses a missing keyset, a bad store, name or reservation', async () => {
    const store = new FlakyStore();
    await expect(StoredKeyset.load(store, 'nowhere')).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
    await expect(StoredKeyset.create({} as KeyStore, 'zone', await shared())).rejects.toThrow(ArgumentError);
    await expect(StoredKeyset.create(store, '../etc', await shared())).rejects.toThrow(ArgumentError);
    for (const reserveUses of [0, -3, 2.5]) {
      await expect(StoredKeyset.create(store, 'zone', await shared(), { reserveUses })).rejects.toThrow(ArgumentError);
    }
    expect(DEFAULT_USE_RESERVATION).toBe(65_536);
  });

  test('property: across uses, rotations, failing saves and crashes, every key handed out is stored, with at least its uses', async () => {
    const op = fc.oneof(
      fc.constant({ kind: 'use' as const }),
      fc.constant({ kind: 'use' as const }),
      fc.constant({ kind: 'use' as const }),
      fc.constant({ kind: 'rotate' as const }),
      fc.constant({ kind: 'rotate-directly' as const }),
      fc.constant({ kind: 'crash' as const }),
      fc.boolean().map((failing) => ({ kind: 'store' as const, failing })),
    );
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 30 }), async (reserveUses, ops) => {
      const store = new FlakyStore();
      let zone = await StoredKeyset.create(store, 'zone', await shared(), { reserveUses });
      /* Uses really handed out (and so possibly sealed with), by kid: they survive crashes. */
      const handed = new Map<string, number>();
      for (const step of ops) {
        try {
          if (step.kind === 'use') {
            const { kid } = await zone.sharedKey();
            handed.set(hex(kid), (handed.get(hex(kid)) ?? 0) + 1);
          } else if (step.kind === 'rotate') await zone.rotate();
          else if (step.kind === 'rotate-directly') await zone.keyset.rotate();
          else if (step.kind === 'store') store.failing = step.failing;
          else {
            const wasFailing = store.failing;
            store.failing = false;
            zone = await StoredKeyset.load(store, 'zone', { reserveUses }); // the process died; memory is gone
            store.failing = wasFailing;
          }
        } catch (error) {
          expect(error).toMatchObject({ code: 'ERR_KEYSTORE_IO' });
          expect(store.failing).toBe(true);
        }
        const { uses } = await store.stored('zone');
        for (const [kid, count] of handed) {
          expect(uses.has(kid), 'a key that sealed is in the store').toBe(true);
          expect(uses.get(kid)!, 'the store never counts fewer uses than were made').toBeGreaterThanOrEqual(count);
        }
      }
    }), { numRuns: 60 });
  });
});
