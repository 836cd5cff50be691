/*
 * Child process of the keystore crash test (file-keystore.crash.test.ts); not part of the
 * package API. Opens the keystore in <dir>, prints "ready", then loops until it is killed:
 *
 *   rotate the "shared" keyset → save → (only after save resolved) seal an envelope with the new
 *   primary → append it to <dir>/envelopes.log and fsync
 *
 * Log record: u32 BE length of the rest | u32 BE key count of the saved keyset | u32 BE
 * sequence | envelope. A record cut short by the kill is detectable by its length.
 *
 * Usage: node crash-child.mjs <dir> <passphrase>
 */
import { fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { seal } from '@ward/core';
import { createNodeBackend } from '../node-backend.js';
import { FileKeyStore } from './file-keystore.js';

async function main(): Promise<void> {
  const [dir, passphrase] = process.argv.slice(2);
  if (dir === undefined || passphrase === undefined) throw new Error('usage: crash-child <dir> <passphrase>');
  const backend = createNodeBackend();
  const store = await FileKeyStore.open(join(dir, 'keystore'), { passphrase, backend, insecureTestParameters: true });
  const shared = await store.load('shared');
  const signing = await store.load('signer');
  if (shared === undefined || signing === undefined) throw new Error('the keystore lacks the shared or signer keyset');
  const log = openSync(join(dir, 'envelopes.log'), 'a', 0o600);
  const te = new TextEncoder();
  process.stdout.write('ready\n');
  for (let sequence = 1; ; sequence++) {
    await shared.rotate();
    await store.save('shared', shared);
    // only now is the new primary durable: seal with it
    const envelope = await seal(te.encode(`reading ${sequence}`), {
      backend, signer: signing.signer(), key: shared.sharedKey(),
      claims: { issuer: 'crash-child', subject: 'crash/test', sequence }, attributes: { classification: 'internal' },
    });
    const record = new Uint8Array(12 + envelope.length);
    const view = new DataView(record.buffer);
    view.setUint32(0, 8 + envelope.length);
    view.setUint32(4, shared.keys().length);
    view.setUint32(8, sequence);
    record.set(envelope, 12);
    for (let offset = 0; offset < record.length;) offset += writeSync(log, record, offset);
    fsyncSync(log);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`crash-child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
