/*
 * verifyJsonLinesDecisionLog, the auditor's tool: a signed log verifies and says it is
 * authenticated; an unsigned one verifies for structure only and says so; every kind of
 * alteration (a plain field, the COSE, a deleted, swapped, inserted or repeated line, a
 * stripped signature, a non-canonical line, a torn tail, an untrusted signer) is reported at
 * the first bad line, and a bit flip anywhere in line k is reported at line k (property).
 */
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TrustStore } from '@ward/core';
import { createDecisionRecord } from '@ward/core/policy';
import { DecisionLogError, VerificationError } from '@ward/core/errors';
import type { DecisionRecord, PolicyInput, SigningKey } from '@ward/core';
import type { DecisionLogErrorCode } from '@ward/core/errors';
import { JsonLinesDecisionLog, createNodeBackend, verifyJsonLinesDecisionLog } from '@ward/node';
import type { JsonLinesDecisionLogOptions } from '@ward/node';

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
  subject: { id: 'analyst-7', roles: ['analyst'], purpose: 'traffic-planning' },
  resource: {
    issuer: 'footfall-counter-17', stream: 'footfall/market-square', issuedAt: NOW - 60, sequence: '42',
    id: '00112233445566778899aabbccddeeff', attributes: { classification: 'personal', zone: 'market-square' },
    signer: { kid: 'ab'.repeat(32), alg: -8 }, encryption: 'encrypt0',
  },
  environment: { time: NOW },
};

let counter = 0;
async function record(): Promise<DecisionRecord> {
  counter += 1;
  return createDecisionRecord({ ...INPUT, subject: { ...INPUT.subject, id: `analyst-${counter}` } }, {
    allow: counter % 3 !== 0, reasons: [`rule ${counter}`], obligations: [],
  }, { backend, bundle: { revision: 'r1', digest: 'cd'.repeat(32) }, keyIds: ['ab'.repeat(32)], time: NOW + counter });
}

let root: string;
let fileCounter = 0;
beforeAll(async () => {
  root = await fs.mkdtemp(join(tmpdir(), 'ward-decision-audit-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});
function freshPath(): string {
  return join(root, `audit-${fileCounter++}.jsonl`);
}

/** Writes a log of `n` records and returns its path and lines. */
async function writeLog(n: number, options: JsonLinesDecisionLogOptions = { sign: SIGN }): Promise<{ path: string; lines: string[] }> {
  const path = freshPath();
  const log = await JsonLinesDecisionLog.open(path, options);
  for (let i = 0; i < n; i++) await log.write(await record());
  await log.close();
  const text = await fs.readFile(path, 'utf8');
  return { path, lines: text.slice(0, -1).split('\n') };
}

async function rewrite(lines: readonly string[], ending = '\n'): Promise<string> {
  const path = freshPath();
  await fs.writeFile(path, lines.length === 0 ? '' : lines.join('\n') + ending);
  return path;
}

async function failure(path: string, options: Parameters<typeof verifyJsonLinesDecisionLog>[1] = VERIFY, code: DecisionLogErrorCode = 'ERR_DECISION_LOG_INVALID'): Promise<DecisionLogError> {
  const error = await verifyJsonLinesDecisionLog(path, options).then(() => expect.unreachable('expected the log to be refused'), (e: unknown) => e);
  expect(DecisionLogError.isInstance(error), String(error)).toBe(true);
  expect((error as DecisionLogError).code).toBe(code);
  return error as DecisionLogError;
}

/** The line number a refusal names. */
function lineOf(error: Error): number {
  const match = /: line (\d+): /.exec(error.message);
  expect(match, error.message).not.toBeNull();
  return Number(match![1]);
}

describe('verifyJsonLinesDecisionLog', () => {
  test('a signed log verifies: records, count, head, authenticated and chained', async () => {
    const path = freshPath();
    const log = await JsonLinesDecisionLog.open(path, { sign: SIGN });
    const written: DecisionRecord[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await record();
      written.push(r);
      await log.write(r);
    }
    const head = log.head;
    await log.close();
    const result = await verifyJsonLinesDecisionLog(path, VERIFY);
    expect(result).toMatchObject({ count: 4, authenticated: true, chained: true, head });
    expect(result.records.map((r) => r.id)).toEqual(written.map((r) => r.id));
    expect(result.records[1]!.previous).toMatch(/^[0-9a-f]{64}$/);
  });

  test('an unsigned log verifies for structure only, and says so', async () => {
    const unchained = await writeLog(3, {});
    expect(await verifyJsonLinesDecisionLog(unchained.path, { backend })).toMatchObject({ count: 3, authenticated: false, chained: false });
    const chained = await writeLog(3, { chain: true });
    expect(await verifyJsonLinesDecisionLog(chained.path, { backend })).toMatchObject({ count: 3, authenticated: false, chained: true });
    /* With trust, signatures are required: an unsigned log is refused at its first line. */
    const error = await failure(unchained.path);
    expect(lineOf(error)).toBe(1);
    expect(error.message).toMatch(/not signed, and signatures are required/);
    expect(await verifyJsonLinesDecisionLog(unchained.path, { ...VERIFY, requireSigned: false })).toMatchObject({ authenticated: false });
  });

  test('a signed log read without trust is checked for structure and links, but not authenticated', async () => {
    const { path } = await writeLog(3);
    expect(await verifyJsonLinesDecisionLog(path, { backend })).toMatchObject({ count: 3, authenticated: false, chained: true });
  });

  test('an empty log verifies with nothing in it', async () => {
    expect(await verifyJsonLinesDecisionLog(await rewrite([]), VERIFY)).toMatchObject({ count: 0, authenticated: false, head: undefined });
  });

  test.each([
    ['a plain field edited (the COSE untouched)', (l: string[]) => { l[2] = l[2]!.replace(/"allow":(true|false)/, (_m, v: string) => `"allow":${v === 'true' ? 'false' : 'true'}`); }, 3, /plain fields differ from the signed record/],
    ['a line deleted', (l: string[]) => { l.splice(2, 1); }, 3, /does not follow/],
    ['two lines swapped', (l: string[]) => { [l[1], l[2]] = [l[2]!, l[1]!]; }, 2, /does not follow/],
    ['a line repeated', (l: string[]) => { l.splice(2, 0, l[1]!); }, 3, /does not follow/],
    ['the first line deleted', (l: string[]) => { l.shift(); }, 1, /earlier records are missing/],
    ['the signature stripped from a line', (l: string[]) => { l[3] = l[3]!.replace(/,"cose":"[^"]*"/, ''); }, 4, /not signed/],
    ['whitespace added to a line', (l: string[]) => { l[1] = l[1]!.replace('{"id"', '{ "id"'); }, 2, /canonical form/],
    ['a key duplicated in a line', (l: string[]) => { l[1] = l[1]!.replace('{"id"', '{"cached":false,"id"'); }, 2, /canonical form/],
    ['an empty line', (l: string[]) => { l.splice(1, 0, ''); }, 2, /empty/],
    ['a line that is not JSON', (l: string[]) => { l[4] = 'garbage'; }, 5, /not JSON/],
    ['the COSE re-encoded as padded base64', (l: string[]) => { l[0] = l[0]!.replace(/"cose":"([^"]*)"/, (_m, c: string) => `"cose":"${c}=="`); }, 1, /base64url/],
  ])('%s is reported at the first bad line', async (_name, edit, line, reason) => {
    const { lines } = await writeLog(5);
    edit(lines);
    const error = await failure(await rewrite(lines));
    expect(lineOf(error)).toBe(line);
    expect(error.message).toMatch(reason);
  });

  test('a line from another log, validly signed, inserted is reported where it was inserted', async () => {
    const { lines } = await writeLog(4);
    const other = await writeLog(3);
    lines.splice(2, 0, other.lines[1]!);
    const error = await failure(await rewrite(lines));
    expect(lineOf(error)).toBe(3);
  });

  test('a COSE signature bit flipped is a signature failure at that line', async () => {
    const { lines } = await writeLog(3);
    const parsed = JSON.parse(lines[1]!) as { cose: string };
    const cose = Buffer.from(parsed.cose, 'base64url');
    cose[cose.length - 1]! ^= 1;
    lines[1] = lines[1]!.replace(parsed.cose, cose.toString('base64url'));
    const error = await failure(await rewrite(lines));
    expect(lineOf(error)).toBe(2);
    const chain: unknown[] = [];
    for (let e: unknown = error; e !== undefined; e = (e as { cause?: unknown }).cause) chain.push(e);
    expect(chain.some((e) => VerificationError.isInstance(e))).toBe(true);
  });

  test('a torn last line is reported with its line number', async () => {
    const { lines } = await writeLog(3);
    const path = await rewrite([...lines, lines[2]!.slice(0, 40)], '');
    const error = await failure(path);
    expect(lineOf(error)).toBe(4);
    expect(error.message).toMatch(/torn/);
  });

  test('a log signed by a key the auditor does not trust (or not as decision-log) is refused at line 1', async () => {
    const { path } = await writeLog(2);
    const stranger = new TrustStore({ backend, now: () => NOW + 3600 });
    await stranger.add({ key: backend.publicKey(logKey), issuer: ISSUER, roles: ['producer'] });
    const error = await failure(path, { backend, trust: stranger.keySource('decision-log') });
    expect(lineOf(error)).toBe(1);
    expect(error.message).toMatch(/ERR_TRUST_ROLE/);
    const empty = new TrustStore({ backend });
    expect(lineOf(await failure(path, { backend, trust: empty.keySource('decision-log') }))).toBe(1);
  });

  test('a later segment verifies against the head of the one before it', async () => {
    const { lines } = await writeLog(5);
    const first = await verifyJsonLinesDecisionLog(await rewrite(lines.slice(0, 2)), VERIFY);
    expect(await verifyJsonLinesDecisionLog(await rewrite(lines.slice(2)), { ...VERIFY, previous: first.head! })).toMatchObject({ count: 3 });
  });

  test('a line over 1 MiB is refused without reading on', async () => {
    const path = freshPath();
    await fs.writeFile(path, `${'x'.repeat(1024 * 1024 + 10)}\n`);
    const error = await failure(path, { backend });
    expect(lineOf(error)).toBe(1);
    expect(error.message).toMatch(/longer than/);
  });

  test('a missing file is ERR_DECISION_LOG_UNAVAILABLE', async () => {
    await failure(join(root, 'missing.jsonl'), VERIFY, 'ERR_DECISION_LOG_UNAVAILABLE');
  });

  test('property: a bit flipped anywhere in line k is reported at line k', async () => {
    const { lines } = await writeLog(6);
    const bytes = lines.map((l) => Buffer.from(`${l}\n`));
    const path = freshPath();
    await fc.assert(fc.asyncProperty(
      fc.nat({ max: bytes.length - 1 }).chain((k) => fc.tuple(fc.constant(k), fc.nat({ max: bytes[k]!.length * 8 - 1 }))),
      async ([k, bit]) => {
        const mutated = bytes.map((b) => Buffer.from(b));
        mutated[k]![bit >> 3]! ^= 1 << (bit & 7);
        await fs.writeFile(path, Buffer.concat(mutated));
        const error = await failure(path);
        expect(lineOf(error)).toBe(k + 1);
      },
    ), { numRuns: 150 });
  });
});
