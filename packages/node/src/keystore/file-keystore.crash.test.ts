/*
 * The keystore under SIGKILL. Each trial starts a child (crash-child.ts) that rotates a shared
 * keyset, saves it, and only then seals an envelope with the new primary and appends it to a
 * log (fsynced). The parent kills the child with SIGKILL 5-150 ms after it reports ready, so
 * kills land inside writes, fsyncs and renames, then checks:
 *
 * - the keystore opens (never corrupt), with the leftover temp file, if any, ignored and removed;
 * - it holds the keyset as of the last complete log record or one rotation newer, never older;
 * - every complete envelope in the log opens with the loaded keyset (no key that sealed data is lost).
 *
 * What SIGKILL does and does not test: the kernel keeps the page cache of a killed process, so
 * this proves the sequence of steps never exposes a torn or half-renamed keystore to the next
 * process; it cannot prove the fsyncs reach the platters (that needs a power cut).
 *
 * WARD_CRASH_TRIALS sets the number of trials (default 300). The child is bundled once with
 * esbuild and run with plain node (tsx would add ~300 ms per start); without esbuild it runs
 * under tsx.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KeyStoreError, Keyset, open } from '@ward/core';
import type { VerifyingKey } from '@ward/core';
import { FileKeyStore, createNodeBackend } from '@ward/node';
import { isTempFileOf } from './atomic-file.js';

const TRIALS = Number(process.env.WARD_CRASH_TRIALS ?? 300);
const CONCURRENCY = 2;
const PASSPHRASE = 'crash test passphrase';
const backend = createNodeBackend();
const td = new TextDecoder();
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const childSource = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

let root: string;
let template: string;
let childCommand: string[];
let trust: VerifyingKey;

beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'ward-crash-'));
  try {
    const esbuild = await import('esbuild');
    const outfile = join(root, 'crash-child.mjs');
    await esbuild.build({
      entryPoints: [childSource], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20',
      conditions: ['@ward/source'], logLevel: 'silent',
      banner: { js: "import { createRequire as __wardRequire } from 'node:module'; const require = __wardRequire(import.meta.url);" },
    });
    childCommand = [outfile];
  } catch {
    childCommand = ['--conditions=@ward/source', '--import', 'tsx', childSource];
  }
  template = join(root, 'template');
  const store = await FileKeyStore.create(template, {
    passphrase: PASSPHRASE, backend, kdf: { N: 2 ** 14, r: 8, p: 1 }, insecureTestParameters: true,
  });
  const signing = await Keyset.generate(backend, { purpose: 'sign' });
  await store.save('signer', signing);
  await store.save('shared', await Keyset.generate(backend, { purpose: 'shared' }));
  trust = await backend.publicKey(signing.signer().key);
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

interface LogRecord {
  readonly keyCount: number;
  readonly sequence: number;
  readonly envelope: Uint8Array;
}

/** The complete records of a log; a record cut short by the kill is dropped (and reported). */
function parseLog(bytes: Uint8Array): { records: LogRecord[]; torn: boolean } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: LogRecord[] = [];
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const length = view.getUint32(offset);
    if (length < 8 || offset + 4 + length > bytes.length) break;
    records.push({ keyCount: view.getUint32(offset + 4), sequence: view.getUint32(offset + 8), envelope: bytes.slice(offset + 12, offset + 4 + length) });
    offset += 4 + length;
  }
  return { records, torn: offset !== bytes.length };
}

interface TrialResult {
  readonly killedMidWrite: boolean;
  readonly tornLogRecord: boolean;
  readonly keystoreAheadOfLog: boolean;
  readonly corrupt: string | undefined;
  readonly envelopes: number;
  readonly rotations: number;
}

async function runChild(dir: string): Promise<void> {
  const child = spawn(process.execPath, [...childCommand, dir, PASSPHRASE], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<boolean>((resolve) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  if (!(await ready)) throw new Error(`the child exited before it was ready: ${stderr}`);
  await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 145));
  child.kill('SIGKILL');
  const { signal } = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the child ended by itself, not by the kill: ${stderr}`);
}

async function trial(index: number): Promise<TrialResult> {
  const dir = join(root, `trial-${index}`);
  await fs.mkdir(dir);
  const path = join(dir, 'keystore');
  await fs.copyFile(template, path);
  await fs.chmod(path, 0o600);
  await runChild(dir);

  // a temp file left behind means the kill landed between creating it and the rename
  const killedMidWrite = (await fs.readdir(dir)).some((name) => isTempFileOf(path, name));
  const { records, torn } = parseLog(new Uint8Array(await fs.readFile(join(dir, 'envelopes.log')).catch(() => Buffer.alloc(0))));
  let store: FileKeyStore;
  try {
    store = await FileKeyStore.open(path, { passphrase: PASSPHRASE, backend, insecureTestParameters: true });
  } catch (error) {
    return { killedMidWrite, tornLogRecord: torn, keystoreAheadOfLog: false, corrupt: KeyStoreError.isInstance(error) ? error.code : String(error), envelopes: 0, rotations: 0 };
  }
  const shared = (await store.load('shared'))!;
  const count = shared.keys().length;
  /* The keyset as of the last complete record (1 key before any) was durable: the file holds it or the next rotation. */
  const durable = records.at(-1)?.keyCount ?? 1;
  expect(count, `trial ${index}: keystore holds ${count} keys, log proves ${durable}`).toBeGreaterThanOrEqual(durable);
  expect(count, `trial ${index}: keystore more than one rotation ahead of the log`).toBeLessThanOrEqual(durable + 1);
  for (const [i, record] of records.entries()) {
    expect(record.sequence).toBe(i + 1);
    const { plaintext } = await open(record.envelope, { backend, trust, key: shared.openingKey() });
    expect(td.decode(plaintext)).toBe(`reading ${record.sequence}`);
  }
  expect((await fs.readdir(dir)).filter((name) => isTempFileOf(path, name)), 'open removes leftover temp files').toEqual([]);
  await store.close();
  await fs.rm(dir, { recursive: true, force: true });
  return { killedMidWrite, tornLogRecord: torn, keystoreAheadOfLog: count > durable, corrupt: undefined, envelopes: records.length, rotations: count - 1 };
}

test(`the keystore survives SIGKILL at random moments (${TRIALS} trials)`, async () => {
  const started = performance.now();
  const results: TrialResult[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < TRIALS) results.push(await trial(next++));
  }));
  const seconds = (performance.now() - started) / 1000;
  const count = (f: (r: TrialResult) => boolean): number => results.filter(f).length;
  const corrupt = results.filter((r) => r.corrupt !== undefined);
  const envelopes = results.reduce((sum, r) => sum + r.envelopes, 0);
  const rotations = results.reduce((sum, r) => sum + r.rotations, 0);
  const line = `crash test: ${results.length} trials, ${count((r) => r.killedMidWrite)} kills mid-write, ${corrupt.length} corrupt keystores, ${envelopes} envelopes reopened`;
  const detail = `  (${rotations} saves survived, ${count((r) => r.keystoreAheadOfLog)} kills between a durable save and its log record, `
    + `${count((r) => r.tornLogRecord)} torn log records dropped, ${seconds.toFixed(1)} s, child ${childCommand.length === 1 ? 'bundled with esbuild' : 'under tsx'})`;
  console.log(`${line}\n${detail}`); // vitest prints it under the test's name
  expect(corrupt.map((r) => r.corrupt)).toEqual([]);
  expect(results).toHaveLength(TRIALS);
}, 1_800_000);
