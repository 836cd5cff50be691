/**
 * Unlocking a `FileKeyStore`: `FileKeyStore.open` (read, scrypt, AES-GCM decrypt of the file),
 * at the default scrypt parameters (N = 2^17, r = 8, p = 1: the cost a real passphrase pays)
 * and at the test floor (N = 2^14), on the node backend. Moved here from the keystore's unit
 * test, which logged these times. Each case's keystore is created once in setup, in a
 * temporary directory removed when the process exits.
 */
import { ok } from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileKeyStore, createNodeBackend } from '@ward/node';
import type { BenchCase, Suite } from '../lib/types.js';

const PASSPHRASE = 'correct horse battery staple';

export const keystore: Suite = {
  name: 'keystore',
  title: 'FileKeyStore.open (scrypt + decrypt) at the default and the test-floor scrypt parameters, node backend',
  baseline: 'ward',
  figures: ['µs/op', 'spread'],
  async setup() {
    const backend = createNodeBackend();
    const dir = mkdtempSync(join(tmpdir(), 'ward-bench-keystore-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const cases: BenchCase[] = [];
    for (const [label, logN, insecureTestParameters] of [['default, N = 2^17', 17, false], ['test floor, N = 2^14', 14, true]] as const) {
      const path = join(dir, `keys-${logN}.ward`);
      await (await FileKeyStore.create(path, { passphrase: PASSPHRASE, backend, kdf: { N: 2 ** logN, r: 8, p: 1 }, insecureTestParameters })).close();
      const check = await FileKeyStore.open(path, { passphrase: PASSPHRASE, backend, insecureTestParameters });
      ok(check.kdf.N === 2 ** logN);
      await check.close();
      cases.push({
        name: `open, scrypt ${label}, r = 8, p = 1`,
        ops: { ward: async () => (await FileKeyStore.open(path, { passphrase: PASSPHRASE, backend, insecureTestParameters })).close() },
      });
    }
    return cases;
  },
};
