/*
 * The decision-log chain link (SPEC.md §Decision record): in a chained log each record's
 * `previous` is the link digest of the record before it, so deleting, reordering or inserting
 * a record breaks the chain at the first entry it touches; a first record that has a link
 * (its predecessors missing), a link missing in a chained log, and a record id seen twice are
 * refused too. Unsigned chains, so each check is tested on its own and fast; the signed forms
 * are in decision-log.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { DecisionLogError } from '../../errors.js';
import { DecisionChain, createDecisionRecord, verifyDecisionChain } from './index.js';
import type { DecisionRecord } from './index.js';
import type { PolicyInput } from '../decision.js';

const backend = createNobleBackend();
const NOW = 1_767_225_600;
const BUNDLE = { revision: '7', digest: 'cd'.repeat(32) };

function input(subject: string): PolicyInput {
  return {
    action: 'open',
    subject: { id: subject, roles: ['analyst'], purpose: 'planning' },
    resource: {
      issuer: 'counter-17', stream: 'footfall/market', issuedAt: NOW - 60, sequence: '42', id: '00ff',
      attributes: { classification: 'internal' }, signer: { kid: 'ab'.repeat(32), alg: -8 }, encryption: 'encrypt',
    },
    environment: { time: NOW },
  };
}

/** `n` records linked by a DecisionChain. */
async function chained(n: number): Promise<DecisionRecord[]> {
  const chain = new DecisionChain({ backend });
  const out: DecisionRecord[] = [];
  for (let i = 0; i < n; i++) {
    const record = await createDecisionRecord(input(`analyst-${i}`), { allow: true, reasons: [], obligations: [] }, { backend, bundle: BUNDLE, time: NOW + i });
    out.push((await chain.append(record)).record);
  }
  return out;
}

async function refusal(entries: DecisionRecord[]): Promise<DecisionLogError> {
  const error = await verifyDecisionChain(entries, { backend }).then(() => undefined, (e: unknown) => e);
  expect(DecisionLogError.isInstance(error)).toBe(true);
  expect(error).toMatchObject({ code: 'ERR_DECISION_LOG_INVALID' });
  return error as DecisionLogError;
}

describe('decision-log chain link', () => {
  test('control: an intact chain verifies as chained', async () => {
    const entries = await chained(4);
    await expect(verifyDecisionChain(entries, { backend })).resolves.toMatchObject({ count: 4, chained: true });
  });

  test.each([
    ['deleting a record in the middle', (e: DecisionRecord[]) => [e[0]!, e[2]!, e[3]!], 1],
    ['swapping two records', (e: DecisionRecord[]) => [e[0]!, e[2]!, e[1]!, e[3]!], 1],
    ['a link to a record that is not the one before it', (e: DecisionRecord[]) => [e[0]!, e[1]!, { ...e[2]!, previous: 'ee'.repeat(32) }, e[3]!], 2],
  ] as const)('decision-log chain link: %s is refused at the first entry it breaks', async (_, edit, index) => {
    const error = await refusal(edit(await chained(4)));
    expect(error.message).toMatch(new RegExp(`^entry ${index}: .*does not follow`));
  });

  test('decision-log chain link: a record without a link in a chained log is refused', async () => {
    const entries = await chained(3);
    const { previous: _dropped, ...unlinked } = entries[2]!;
    const error = await refusal([entries[0]!, entries[1]!, unlinked]);
    expect(error.message).toMatch(/^entry 2: .*no link/);
  });

  test('decision-log chain link: a first record with a link (its predecessors deleted) is refused', async () => {
    const error = await refusal((await chained(3)).slice(1));
    expect(error.message).toMatch(/^entry 0: .*earlier records are missing/);
  });

  test('decision-log chain link: the same record id twice is refused (a replayed record), even when re-linked', async () => {
    const chain = new DecisionChain({ backend });
    const record = await createDecisionRecord(input('ana'), { allow: true, reasons: [], obligations: [] }, { backend, bundle: BUNDLE, time: NOW });
    const other = await createDecisionRecord(input('bo'), { allow: true, reasons: [], obligations: [] }, { backend, bundle: BUNDLE, time: NOW });
    const entries = [(await chain.append(record)).record, (await chain.append(other)).record, (await chain.append(record)).record];
    const error = await refusal(entries);
    expect(error.message).toMatch(/^entry 2: record id [0-9a-f]+ appears twice/);
  });
});
