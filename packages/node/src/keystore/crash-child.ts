/*
 * Child process of the keystore crash test (file-keystore.crash.test.ts); not part of the
 * package API. Opens the keystore in <dir>, binds its "shared" keyset as a StoredKeyset with
 * a reservation of <reserveUses> uses per save, prints "ready", then loops until it is killed:
 *
 *   await shared.rotate()          (resolves only once the file holds the new primary, with
 *                                   uses 1..reserveUses of it reserved)
 *   <sealsPerRotation> times:
 *     await shared.sharedKey()     (hands out the next use only within a saved reservation: when
 *                                   the reservation is used up it first saves the next one, so
 *                                   kills also land inside these reservation saves)
 *     seal an envelope with it → append its record to <dir>/envelopes.log and fsync
 *
 * The signer keyset is a plain Keyset loaded from the store (its uses are never saved).
 *
 * Log record: u32 BE length of the rest | u32 BE key count of the shared keyset when it
 * sealed | u32 BE sequence (1, 2, … across all rotations) | the kid of the shared key that
 * sealed it (32 bytes: an RFC 9679 thumbprint) | envelope. A record cut short by the kill is
 * detectable by its length.
 *
 * Usage: node crash-child.mjs <dir> <passphrase> <reserveUses> <sealsPerRotation>
 */
import { fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StoredKeyset, sealEnvelope } from '@ward/core';
import { createNodeBackend } from '../node-backend.js';
import { FileKeyStore } from './file-keystore.js';

const KID_BYTES = 32;

async function main(): Promise<void> {
  const [dir, passphrase, reserveArg, sealsArg] = process.argv.slice(2);
  const reserveUses = Number(reserveArg);
  const sealsPerRotation = Number(sealsArg);
  if (dir === undefined || passphrase === undefined || !Number.isSafeInteger(reserveUses) || !Number.isSafeInteger(sealsPerRotation) || sealsPerRotation < 1) {
    throw new Error('usage: crash-child <dir> <passphrase> <reserveUses> <sealsPerRotation>');
  }
  const backend = createNodeBackend();
  const store = await FileKeyStore.open(join(dir, 'keystore'), { passphrase, backend, insecureTestParameters: true });
  const shared = await StoredKeyset.load(store, 'shared', { reserveUses });
  const signing = await store.load('signer');
  if (signing === undefined) throw new Error('the keystore lacks the signer keyset');
  const log = openSync(join(dir, 'envelopes.log'), 'a', 0o600);
  const te = new TextEncoder();
  process.stdout.write('ready\n');
  for (let sequence = 1; ;) {
    await shared.rotate();
    for (let i = 0; i < sealsPerRotation; i++, sequence++) {
      // handed out only once the file holds the key and a reservation covering this use
      const key = await shared.sharedKey();
      const { kid } = key;
      if (kid.length !== KID_BYTES) throw new Error(`a kid of ${kid.length} bytes, not ${KID_BYTES}`);
      const envelope = await sealEnvelope(te.encode(`reading ${sequence}`), {
        backend, signer: signing.signer(), key,
        claims: { issuer: 'crash-child', subject: 'crash/test', sequence }, attributes: { classification: 'internal' },
      });
      const record = new Uint8Array(12 + KID_BYTES + envelope.length);
      const view = new DataView(record.buffer);
      view.setUint32(0, 8 + KID_BYTES + envelope.length);
      view.setUint32(4, shared.keyset.keys().length);
      view.setUint32(8, sequence);
      record.set(kid, 12);
      record.set(envelope, 12 + KID_BYTES);
      for (let offset = 0; offset < record.length;) offset += writeSync(log, record, offset);
      fsyncSync(log);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`crash-child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
