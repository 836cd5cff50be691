/*
 * Policy-gated openEnvelope(): the policy decides on verified facts before any key is touched; a deny
 * throws ERR_POLICY_DENIED with the reasons; decisions are recorded; obligations (log, notify,
 * redact) are fulfilled or nothing is released (notify last, once nothing else can refuse);
 * no input outside the allowed set ever yields plaintext (property).
 */
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { spying } from '../../../test-kit/spying.js';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { encodeCbor, decodeCbor } from '../../cbor/index.js';
import type { CborValue } from '../../cbor/index.js';
import { openEnvelope } from '../../envelope/open.js';
import { sealEnvelope } from '../../envelope/seal.js';
import { WardError } from '../../errors.js';
import { Keyset } from '../../keys/keyset.js';
import { MemoryDecisionLog } from '../audit/index.js';
import type { PolicySubject } from '../decision.js';
import { PolicyEngine } from '../evaluation/policy-engine.js';
import { PolicyDeniedError } from './policy-gate.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const WASM = new Uint8Array(readFileSync(new URL('../evaluation/engine-fixtures/policy.wasm', import.meta.url)));
const producerKey = backend.generateKey('Ed25519');
const signer = { key: producerKey, kid: te.encode('counter-17') };
const trust = backend.publicKey(producerKey);
const analyst: PolicySubject = { id: 'ana', roles: ['analyst'], purpose: 'planning' };
const KEY_USE = ['deriveSharedSecret', 'unwrapKey', 'aeadDecrypt'];
const environment = { time: 1_900_000_100 };

async function setup(obligations: unknown[] = [{ type: 'log' }], classification = 'internal', payload: Uint8Array = te.encode('{"count":42,"badge":"0042"}')) {
  const readers = await Keyset.generate(backend, { purpose: 'recipient' });
  const envelope = await sealEnvelope(payload, {
    backend, signer, recipients: [await readers.recipient()],
    claims: { issuer: 'counter-17', subject: 'footfall/market', sequence: 1, issuedAt: 1_900_000_000 },
    attributes: { classification, zone: 'market', purpose: ['planning', 'research'] },
  });
  const policy = await PolicyEngine.load({ wasm: WASM, data: { obligations }, revision: '7' }, { backend });
  return { readers, envelope, policy };
}

describe('policy-gated open', () => {
  test('an allow releases the plaintext with the decision, and the decision is recorded', async () => {
    const { readers, envelope, policy } = await setup();
    const decisionLog = new MemoryDecisionLog();
    const { plaintext, decision } = await openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment, decisionLog });
    expect(new TextDecoder().decode(plaintext)).toBe('{"count":42,"badge":"0042"}');
    expect(decision).toEqual({ allow: true, reasons: ['allowed:analyst-internal'], obligations: [{ type: 'log' }] });
    const [record] = decisionLog.records();
    expect(record).toMatchObject({ decision, bundle: { revision: '7' }, cached: false, input: { action: 'open', subject: { id: 'ana' } } });
    expect(record!.keyIds).toEqual(['636f756e7465722d3137']);
  });

  test('a deny throws ERR_POLICY_DENIED with the reasons, is recorded, and touches no key', async () => {
    const { readers, envelope, policy } = await setup();
    const { backend: spy, calls } = spying(backend);
    const decisionLog = new MemoryDecisionLog();
    const error = await openEnvelope(envelope, {
      backend: spy, trust, recipient: readers.recipientKey(), policy, subject: { ...analyst, purpose: 'marketing' }, environment, decisionLog,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyDeniedError);
    expect((error as PolicyDeniedError).code).toBe('ERR_POLICY_DENIED');
    expect((error as PolicyDeniedError).reasons).toEqual(['default-deny']);
    expect(calls.filter((c) => KEY_USE.includes(c))).toEqual([]);
    expect(decisionLog.records()[0]!.decision.allow).toBe(false);
  });

  test('a decider whose answer is not an explicit allow, or names an unknown obligation, refuses before any key is touched', async () => {
    const { readers, envelope } = await setup();
    const answers = [
      { allow: 'yes', reasons: [], obligations: [] },
      { allow: true, reasons: [], obligations: [{ type: 'audit-somewhere-else' }] },
    ];
    for (const decision of answers) {
      const policy = { decide: () => ({ decision, cached: false, input: {} as never, revision: '1', digest: '' }) } as never;
      const { backend: spy, calls } = spying(backend);
      const error = await openEnvelope(envelope, { backend: spy, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment })
        .catch((e: unknown) => e);
      expect(WardError.isInstance(error)).toBe(true);
      expect(['ERR_POLICY_DENIED', 'ERR_POLICY_OBLIGATION']).toContain((error as WardError).code);
      expect(calls.filter((c) => KEY_USE.includes(c))).toEqual([]);
    }
  });

  test('a log obligation without a decision log refuses before any key is touched', async () => {
    const { readers, envelope, policy } = await setup([{ type: 'log' }]);
    const { backend: spy, calls } = spying(backend);
    await expect(openEnvelope(envelope, { backend: spy, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment }))
      .rejects.toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
    expect(calls.filter((c) => KEY_USE.includes(c))).toEqual([]);
  });

  test('nobody is notified of an access that an unmet obligation then refuses', async () => {
    const { readers, envelope, policy } = await setup([{ type: 'notify', to: 'security-desk' }, { type: 'log' }]);
    const notified: string[] = [];
    await expect(openEnvelope(envelope, {
      backend, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment, notify: (o) => { notified.push(o.to); },
    })).rejects.toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
    expect(notified).toEqual([]);
  });

  test('a failing decision log refuses (an unrecorded access must not happen)', async () => {
    const { readers, envelope, policy } = await setup([]);
    const decisionLog = { write: () => { throw new Error('disk full'); } };
    await expect(openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment, decisionLog }))
      .rejects.toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
  });

  test('notify obligations are delivered last, after decryption; without a notifier, or when it fails, nothing opens', async () => {
    const { readers, envelope, policy } = await setup([{ type: 'notify', to: 'security-desk' }]);
    await expect(openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment }))
      .rejects.toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
    await expect(openEnvelope(envelope, {
      backend, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment, notify: () => { throw new Error('smtp down'); },
    })).rejects.toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
    const { backend: spy, calls } = spying(backend);
    const notified: string[] = [];
    const { plaintext } = await openEnvelope(envelope, {
      backend: spy, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment,
      notify: (obligation) => { notified.push(`${obligation.to} after ${calls.length} backend calls`); },
    });
    // Every backend call (key use, decryption) happened before the notification.
    expect(calls).toContain('aeadDecrypt');
    expect(notified).toEqual([`security-desk after ${calls.length} backend calls`]);
    expect(plaintext.length).toBeGreaterThan(0);
  });

  test('redact obligations remove fields from JSON and CBOR payloads; an unredactable payload is not released', async () => {
    const { readers, envelope, policy } = await setup([{ type: 'redact', fields: ['badge', 'person.name'] }]);
    const { plaintext } = await openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment });
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({ count: 42 });

    const person = new Map<CborValue, CborValue>([['name', 'Ann'], ['age', 40]]);
    const cbor = encodeCbor(new Map<CborValue, CborValue>([['count', 42], ['person', person]]));
    const second = await setup([{ type: 'redact', fields: ['person.name'] }], 'internal', cbor);
    const opened = await openEnvelope(second.envelope, { backend, trust, recipient: second.readers.recipientKey(), policy: second.policy, subject: analyst, environment });
    expect(decodeCbor(opened.plaintext)).toEqual(new Map<CborValue, CborValue>([['count', 42], ['person', new Map<CborValue, CborValue>([['age', 40]])]]));

    const third = await setup([{ type: 'redact', fields: ['x'] }], 'internal', te.encode('plain text reading'));
    await expect(openEnvelope(third.envelope, { backend, trust, recipient: third.readers.recipientKey(), policy: third.policy, subject: analyst, environment }))
      .rejects.toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
  });

  test('an obligation Ward does not understand is a deny', async () => {
    const { readers, envelope, policy } = await setup([{ type: 'teleport' }]);
    const error = await openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey(), policy, subject: analyst, environment }).catch((e: unknown) => e);
    expect((error as PolicyDeniedError).reasons).toEqual(['policy-obligation-unknown']);
  });

  test('a policy-gated open needs a subject', async () => {
    const { readers, envelope, policy } = await setup([]);
    await expect(openEnvelope(envelope, { backend, trust, recipient: readers.recipientKey(), policy })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  test('property: no input outside the allowed set ever yields plaintext', async () => {
    const { readers, policy } = await setup([]);
    const envelopes = new Map<string, Uint8Array>();
    for (const classification of ['public', 'internal', 'personal', 'special-category']) {
      envelopes.set(classification, await sealEnvelope(te.encode('{"v":1}'), {
        backend, signer, recipients: [await readers.recipient()],
        claims: { issuer: 'counter-17', subject: 'footfall/market', sequence: 1 },
        attributes: { classification, zone: 'market', purpose: ['planning', 'research'] },
      }));
    }
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(['analyst', 'operator', 'public', 'auditor', 'emergency-services']),
        fc.constantFrom('planning', 'research', 'marketing', 'emergency'),
        fc.constantFrom('public', 'internal', 'personal', 'special-category'),
        fc.string({ maxLength: 8 }),
        async (roles, purpose, classification, id) => {
          const subject = { id: id === 'echo' ? 'echo-not' : id, roles, purpose };
          const allowed = roles.includes('analyst') && classification === 'internal' && ['planning', 'research'].includes(purpose);
          const result = await openEnvelope(envelopes.get(classification)!, { backend, trust, recipient: readers.recipientKey(), policy, subject, environment })
            .then((r) => r.plaintext, (e: unknown) => e);
          if (allowed) expect(result).toBeInstanceOf(Uint8Array);
          else expect(WardError.isInstance(result) && result.code === 'ERR_POLICY_DENIED').toBe(true);
        },
      ),
      { numRuns: 120 },
    );
  });
});
