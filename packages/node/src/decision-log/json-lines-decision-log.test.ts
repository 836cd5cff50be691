/*
 * JsonLinesDecisionLog: the line format (greppable plain fields, "cose" when signed), file mode
 * 0600 and O_NOFOLLOW, append order under concurrent writes, fsync per record, resuming a log
 * (chain continued, settings that differ refused), torn and corrupt last lines, failure
 * handling (a failed write stops the log; a malformed record does not), close.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { ArgumentError, TrustStore, WardError } from '@ward/core';
import { createDecisionRecord, decisionRecordDigest, verifyDecisionRecord } from '@ward/core/policy';
import { DecisionLogError } from '@ward/core/errors';
import type { DecisionRecord, PolicyDecision, PolicyInput, SigningKey } from '@ward/core';
import { JsonLinesDecisionLog, createNodeBackend, verifyJsonLinesDecisionLog } from '@ward/node';

const backend = createNodeBackend();
const NOW = 1_767_225_600;
const ISSUER = 'ward-gateway-3';
const logKey: SigningKey = backend.generateKey('Ed25519');
const trust = new TrustStore({ backend, now: () => NOW + 3600 });
const logKid = (await trust.add({ key: backend.publicKey(logKey), issuer: ISSUER, roles: ['decision-log'] })).kid;
const SIGN = { backend, signer: { key: logKey, kid: logKid }, issuer: ISSUER } as const;
const VERIFY = { backend, trust: trust.keySource('decision-log') } as const;

const INPUT: PolicyInput = {
  action: 'open',
  subject: { id: 'analyst-7', roles: ['analyst'], purpose: 'traffic-planning', organisation: 'city' },
  resource: {
    issuer: 'footfall-counter-17', stream: 'footfall/market-square', issuedAt: NOW - 60, sequence: '42',
    id: '00112233445566778899aabbccddeeff', attributes: { classification: 'personal', zone: 'market-square', owner: 'mobility' },
    signer: { kid: 'ab'.repeat(32), alg: -8 }, encryption: 'encrypt0',
  },
  environment: { time: NOW },
};
const DECISION: PolicyDecision = { allow: true, reasons: ['planning'], obligations: [{ type: 'log' }] };

let counter = 0;
async function record(allow = true): Promise<DecisionRecord> {
  counter += 1;
  return createDecisionRecord({ ...INPUT, subject: { ...INPUT.subject, id: `analyst-${counter}` } }, { ...DECISION, allow }, {
    backend, bundle: { revision: 'r1', digest: 'cd'.repeat(32) }, keyIds: ['ab'.repeat(32)], time: NOW + counter,
  });
}

let root: string;
let fileCounter = 0;
const open: JsonLinesDecisionLog[] = [];
beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'ward-decision-log-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const log of open.splice(0)) await log.close().catch(() => undefined);
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
function freshPath(): string {
  return join(root, `decisions-${fileCounter++}.jsonl`);
}
async function openLog(path: string, options?: Parameters<typeof JsonLinesDecisionLog.open>[1]): Promise<JsonLinesDecisionLog> {
  const log = await JsonLinesDecisionLog.open(path, options);
  open.push(log);
  return log;
}
async function lines(path: string): Promise<string[]> {
  const text = await fs.readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}
async function errorOf(promise: Promise<unknown>): Promise<DecisionLogError> {
  const error = await promise.then(() => expect.unreachable('expected a rejection'), (e: unknown) => e);
  expect(DecisionLogError.isInstance(error), String(error)).toBe(true);
  return error as DecisionLogError;
}
/** FileHandle.prototype, to spy on the log's writes and syncs. */
async function fileHandlePrototype(): Promise<FileHandle> {
  const handle = await fs.open(join(root, 'probe'), 'w');
  await handle.close();
  return Object.getPrototypeOf(handle) as FileHandle;
}

describe('JsonLinesDecisionLog', () => {
  test('an unsigned log: one greppable JSON object per line, unchained by default, mode 0600', async () => {
    const path = freshPath();
    const log = await openLog(path);
    const written = [await record(true), await record(false)];
    for (const r of written) await log.write(r);
    await log.close();
    const text = await lines(path);
    expect(text).toEqual(written.map((r) => JSON.stringify(r)));
    expect(text[1]).toContain('"allow":false');
    expect(text[0]).toContain('"subject":{"id":"analyst-');
    expect(text.join('\n')).not.toMatch(/organisation|owner|signer|"cose"/);
    expect(written.every((r) => r.previous === undefined)).toBe(true);
    if (process.platform !== 'win32') expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    expect(log.head).toBeUndefined();
  });

  test('mode 0600 whatever the umask', async () => {
    if (process.platform === 'win32') return;
    const path = freshPath();
    const script = `import('@ward/node').then(async ({ JsonLinesDecisionLog }) => { process.umask(0); await (await JsonLinesDecisionLog.open(${JSON.stringify(path)})).close(); })`;
    execFileSync(process.execPath, ['--conditions=@ward/source', '--import', 'tsx', '-e', script], { cwd: process.cwd() });
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
  });

  test('a signed log carries "cose" per line and a hash chain; the COSE holds exactly the plain record', async () => {
    const path = freshPath();
    const log = await openLog(path, { sign: SIGN });
    for (let i = 0; i < 3; i++) await log.write(await record());
    const head = log.head;
    await log.close();
    const text = await lines(path);
    const parsed = text.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(parsed[0]!).at(-1)).toBe('cose');
    expect(parsed[0]!.previous).toBeUndefined();
    for (const [i, line] of parsed.entries()) {
      const { cose, ...plain } = line;
      const signed = await verifyDecisionRecord(new Uint8Array(Buffer.from(cose as string, 'base64url')), VERIFY);
      expect(signed).toEqual(plain);
      if (i > 0) expect(plain.previous).toBe(await decisionRecordDigest(new Uint8Array(Buffer.from(parsed[i - 1]!.cose as string, 'base64url')), backend));
    }
    const verified = await verifyJsonLinesDecisionLog(path, VERIFY);
    expect(verified).toMatchObject({ count: 3, authenticated: true, chained: true, head });
  });

  test('an unsigned chained log links canonical encodings', async () => {
    const path = freshPath();
    const log = await openLog(path, { chain: true });
    const first = await record();
    await log.write(first);
    await log.write(await record());
    await log.close();
    const [, second] = (await lines(path)).map((l) => JSON.parse(l) as DecisionRecord);
    expect(second!.previous).toBe(await decisionRecordDigest(first, backend));
    expect(await verifyJsonLinesDecisionLog(path, { backend })).toMatchObject({ count: 2, authenticated: false, chained: true });
  });

  test('concurrent writes are appended in call order and keep the chain', async () => {
    const path = freshPath();
    const log = await openLog(path, { sign: SIGN });
    const batch = await Promise.all(Array.from({ length: 50 }, () => record()));
    await Promise.all(batch.map((r) => log.write(r)));
    await log.close();
    expect((await lines(path)).map((l) => (JSON.parse(l) as DecisionRecord).id)).toEqual(batch.map((r) => r.id));
    expect((await verifyJsonLinesDecisionLog(path, VERIFY)).count).toBe(50);
  });

  test('fsync: every-record syncs each line before write() resolves; none never does', async () => {
    const prototype = await fileHandlePrototype();
    const datasync = vi.spyOn(prototype, 'datasync');
    const synced = await openLog(freshPath());
    await synced.write(await record());
    await synced.write(await record());
    expect(datasync).toHaveBeenCalledTimes(2);
    datasync.mockClear();
    const unsynced = await openLog(freshPath(), { fsync: 'none' });
    await unsynced.write(await record());
    expect(datasync).not.toHaveBeenCalled();
  });

  test('reopening continues the chain; the verifier sees one unbroken log', async () => {
    const path = freshPath();
    const first = await openLog(path, { sign: SIGN });
    for (let i = 0; i < 3; i++) await first.write(await record());
    const head = first.head;
    await first.close();
    const second = await openLog(path, { sign: SIGN });
    expect(second.head).toBe(head);
    for (let i = 0; i < 2; i++) await second.write(await record());
    await second.close();
    const parsed = (await lines(path)).map((l) => JSON.parse(l) as { previous?: string; cose: string });
    expect(parsed[3]!.previous).toBe(await decisionRecordDigest(new Uint8Array(Buffer.from(parsed[2]!.cose, 'base64url')), backend));
    expect(await verifyJsonLinesDecisionLog(path, VERIFY)).toMatchObject({ count: 5, authenticated: true, head: second.head });
  });

  test.each([
    ['a signed log reopened unsigned', { sign: SIGN }, {}, /holds signed records/],
    ['an unsigned log reopened signed', {}, { sign: SIGN }, /holds unsigned records/],
    ['a chained log reopened unchained', { chain: true }, { chain: false }, /is hash-chained/],
    ['an unchained log reopened chained', {}, { chain: true }, /is not hash-chained/],
    ['a signed, unchained log reopened with the default chain', { sign: SIGN, chain: false }, { sign: SIGN }, /is not hash-chained/],
  ])('refuses %s: the verifier would refuse the mixed log', async (_name, before, after, reason) => {
    const path = freshPath();
    const log = await openLog(path, before);
    await log.write(await record());
    await log.write(await record());
    await log.close();
    const error = await errorOf(openLog(path, after));
    expect(error.code).toBe('ERR_DECISION_LOG_INVALID');
    expect(error.message).toMatch(reason);
  });

  test('a one-line unchained log can be continued as a chain (the first record never has a link)', async () => {
    const path = freshPath();
    const log = await openLog(path);
    await log.write(await record());
    await log.close();
    const chained = await openLog(path, { chain: true });
    await chained.write(await record());
    await chained.close();
    expect(await verifyJsonLinesDecisionLog(path, { backend })).toMatchObject({ count: 2, chained: true });
  });

  test('a torn last line is refused, or dropped with repairTornTail, and the chain continues', async () => {
    const path = freshPath();
    const log = await openLog(path, { sign: SIGN });
    for (let i = 0; i < 2; i++) await log.write(await record());
    await log.close();
    const intact = await fs.readFile(path);
    /* A crash mid-append: part of a third line, no newline. */
    await fs.appendFile(path, '{"id":"0011223344556677');
    const torn = await errorOf(openLog(path, { sign: SIGN }));
    expect(torn.code).toBe('ERR_DECISION_LOG_INVALID');
    expect(torn.message).toMatch(/last line of .* is torn .*repairTornTail/);
    expect(await fs.readFile(path)).not.toEqual(intact);
    const repaired = await openLog(path, { sign: SIGN, repairTornTail: true });
    expect(await fs.readFile(path)).toEqual(intact);
    await repaired.write(await record());
    await repaired.close();
    expect(await verifyJsonLinesDecisionLog(path, VERIFY)).toMatchObject({ count: 3, authenticated: true });
  });

  test('repairTornTail on a file that is one torn line leaves an empty log', async () => {
    const path = freshPath();
    await fs.writeFile(path, '{"id":', { mode: 0o600 });
    const log = await openLog(path, { repairTornTail: true });
    expect((await fs.stat(path)).size).toBe(0);
    await log.write(await record());
    await log.close();
    expect((await verifyJsonLinesDecisionLog(path, { backend })).count).toBe(1);
  });

  test('a corrupt complete last line is refused, even with repairTornTail', async () => {
    const path = freshPath();
    const log = await openLog(path, { sign: SIGN });
    await log.write(await record());
    await log.close();
    const text = await fs.readFile(path, 'utf8');
    await fs.writeFile(path, text.replace('"allow":true', '"allow":false'));
    const error = await errorOf(openLog(path, { sign: SIGN, repairTornTail: true }));
    expect(error.message).toMatch(/last line of .* is corrupt .*not a torn append.*plain fields differ/);
    await fs.writeFile(path, `${text}not json\n`);
    expect((await errorOf(openLog(path, { sign: SIGN, repairTornTail: true }))).message).toMatch(/is corrupt .*not JSON/);
  });

  test('a symlink at the path is refused (O_NOFOLLOW); so is a directory', async () => {
    if (process.platform === 'win32') return;
    const target = freshPath();
    await fs.writeFile(target, '');
    const link = freshPath();
    await fs.symlink(target, link);
    const error = await errorOf(openLog(link));
    expect(error.code).toBe('ERR_DECISION_LOG_UNAVAILABLE');
    expect(error.message).toMatch(/symbolic link/);
    expect((await errorOf(openLog(root))).code).toBe('ERR_DECISION_LOG_UNAVAILABLE');
  });

  test('one writer per file in a process; the file can be reopened after close', async () => {
    const path = freshPath();
    const log = await openLog(path);
    const twice = await errorOf(openLog(path));
    expect(twice.code).toBe('ERR_DECISION_LOG_UNAVAILABLE');
    expect(twice.message).toMatch(/already open/);
    await log.close();
    await (await openLog(path)).close();
  });

  test('writes made before close() complete; writes after it are refused; close is idempotent', async () => {
    const path = freshPath();
    const log = await openLog(path);
    const pending = [log.write(await record()), log.write(await record())];
    const closing = log.close();
    const late = await errorOf(log.write(await record()));
    expect(late.code).toBe('ERR_DECISION_LOG_UNAVAILABLE');
    await Promise.all(pending);
    await closing;
    await log.close();
    expect(await lines(path)).toHaveLength(2);
  });

  test('a malformed record is refused without writing and the log stays usable', async () => {
    const path = freshPath();
    const log = await openLog(path, { sign: SIGN });
    const bad = { ...(await record()), extra: true } as DecisionRecord;
    await expect(log.write(bad)).rejects.toThrow(ArgumentError);
    await log.write(await record());
    await log.close();
    expect(await verifyJsonLinesDecisionLog(path, VERIFY)).toMatchObject({ count: 1, authenticated: true });
  });

  test('a failed write is reported as ERR_DECISION_LOG_UNAVAILABLE and stops the log until it is reopened', async () => {
    const path = freshPath();
    const log = await openLog(path, { sign: SIGN });
    await log.write(await record());
    const prototype = await fileHandlePrototype();
    const write = vi.spyOn(prototype, 'write').mockRejectedValueOnce(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    const failed = await errorOf(log.write(await record()));
    expect(failed.code).toBe('ERR_DECISION_LOG_UNAVAILABLE');
    expect((failed.cause as { code?: string }).code).toBe('ENOSPC');
    write.mockRestore();
    const after = await errorOf(log.write(await record()));
    expect(after.message).toMatch(/earlier write .* failed; reopen/);
    await log.close();
    const reopened = await openLog(path, { sign: SIGN, repairTornTail: true });
    await reopened.write(await record());
    await reopened.close();
    expect(await verifyJsonLinesDecisionLog(path, VERIFY)).toMatchObject({ count: 2, authenticated: true });
  });

  test('a failed fsync stops the log too', async () => {
    const log = await openLog(freshPath());
    const prototype = await fileHandlePrototype();
    vi.spyOn(prototype, 'datasync').mockRejectedValueOnce(Object.assign(new Error('I/O error'), { code: 'EIO' }));
    expect((await errorOf(log.write(await record()))).code).toBe('ERR_DECISION_LOG_UNAVAILABLE');
    expect((await errorOf(log.write(await record()))).message).toMatch(/earlier write/);
  });

  test('bad options and a missing directory are refused', async () => {
    await expect(JsonLinesDecisionLog.open('')).rejects.toThrow(ArgumentError);
    await expect(JsonLinesDecisionLog.open(freshPath(), { fsync: 'sometimes' as 'none' })).rejects.toThrow(ArgumentError);
    await expect(JsonLinesDecisionLog.open(freshPath(), { chain: 'yes' as unknown as boolean })).rejects.toThrow(ArgumentError);
    const missing = await errorOf(JsonLinesDecisionLog.open(join(root, 'no-such-dir', 'log.jsonl')));
    expect(missing.code).toBe('ERR_DECISION_LOG_UNAVAILABLE');
    expect(WardError.isInstance(missing)).toBe(true);
  });
});
