/*
 * openEnvelope() and the obligations of an allow (SPEC.md §Opening, issue 10 item 5b): every check that
 * can refuse runs before anyone is notified — argument errors, verification, replay, the policy,
 * `authorize`, key resolution, unwrap, key commitment, decryption, redaction — so a notifier is
 * never told of an access that then does not happen. After the notifications only a failing
 * notifier can still refuse, and then nothing is released. Argument errors name the option and
 * come first (issue 10 item 7c).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { caught, errorChain, spying } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import { CborTag, decodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { HeaderLabel, decodeProtectedHeader } from '../cose/headers.js';
import type { HeaderMap } from '../cose/headers.js';
import { createSign1 } from '../cose/sign1.js';
import { ArgumentError, EnvelopeError, WardError } from '../errors.js';
import { Keyset } from '../keys/keyset.js';
import { MemoryDecisionLog } from '../policy/audit/index.js';
import type { Obligation, PolicySubject } from '../policy/decision.js';
import { PolicyEngine } from '../policy/evaluation/policy-engine.js';
import { MemoryReplayStore } from '../replay/memory-replay-store.js';
import { KEY_COMMITMENT_LENGTH } from './commitment.js';
import { openEnvelope } from './open.js';
import type { OpenOptions } from './open.js';
import { WardHeaderLabel } from '../profile/labels.js';
import { sealEnvelope } from './seal.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const td = new TextDecoder();
const WASM = new Uint8Array(readFileSync(new URL('../policy/evaluation/engine-fixtures/policy.wasm', import.meta.url)));
const producerKey = backend.generateKey('Ed25519');
const producerKid = te.encode('counter-17');
const trust = backend.publicKey(producerKey);
const subject: PolicySubject = { id: 'ana', roles: ['analyst'], purpose: 'planning' };
const environment = { time: 1_900_000_100 };
const PAYLOAD = '{"count":42,"people":[{"name":"Ann","seat":1}]}';
const NOTIFY: Obligation = { type: 'notify', to: 'security-desk' };
const shared = { key: backend.generateKey('AES-GCM'), kid: te.encode('market-shared') };

let sequence = 0;
async function sealed(form: 'encrypt' | 'encrypt0', readers: Keyset, payload = PAYLOAD): Promise<Uint8Array> {
  const common = {
    backend, signer: { key: producerKey, kid: producerKid },
    claims: { issuer: 'counter-17', subject: 'footfall/market', sequence: (sequence += 1) },
    attributes: { classification: 'internal', zone: 'market', purpose: ['planning'] },
  };
  return form === 'encrypt0'
    ? sealEnvelope(te.encode(payload), { ...common, key: shared })
    : sealEnvelope(te.encode(payload), { ...common, recipients: [await readers.recipient()] });
}

/** A policy that allows the analyst with `obligations`, a reader keyset, and a notifier spy. */
async function setup(obligations: Obligation[] = [NOTIFY]) {
  const readers = await Keyset.generate(backend, { purpose: 'recipient' });
  const policy = await PolicyEngine.load({ wasm: WASM, data: { obligations }, revision: '1' }, { backend });
  const notified: string[] = [];
  const options = {
    backend, trust, recipient: readers.recipientKey(), key: shared.key, policy, subject, environment,
    notify: (obligation: { to: string }) => { notified.push(obligation.to); },
  } satisfies OpenOptions;
  return { readers, policy, notified, options };
}

/** Signs `envelope`'s inner message again under its own header after `edit` (the producer's key: it verifies). */
async function resignedWith(envelope: Uint8Array, edit: (header: HeaderMap) => void): Promise<Uint8Array> {
  const fields = (decodeCbor(envelope) as CborTag).value as CborValue[];
  const header = decodeProtectedHeader(fields[0] as Uint8Array);
  header.delete(HeaderLabel.alg);
  header.delete(HeaderLabel.kid);
  edit(header);
  return createSign1(fields[2] as Uint8Array, { backend, key: producerKey, kid: producerKid, protectedHeader: header, unprotectedHeader: fields[1] as HeaderMap });
}

describe('openEnvelope(): nobody is notified of an access that is then refused', () => {
  test('control: an allowed open notifies once, then releases', async () => {
    const { readers, notified, options } = await setup();
    const { plaintext } = await openEnvelope(await sealed('encrypt', readers), options);
    expect(td.decode(plaintext)).toBe(PAYLOAD);
    expect(notified).toEqual(['security-desk']);
  });

  test('argument check first: a shared-key envelope opened without key is an ArgumentError, and nobody is notified', async () => {
    const { readers, notified, options } = await setup();
    const { key: _key, ...withoutKey } = options;
    const error = await caught(openEnvelope(await sealed('encrypt0', readers), withoutKey));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: 'options need key for a shared-key envelope' });
    expect(notified).toEqual([]);
  });

  test('argument check first: a multi-recipient envelope opened without recipient is an ArgumentError, and nobody is notified', async () => {
    const { readers, notified, options } = await setup();
    const { recipient: _recipient, ...withoutRecipient } = options;
    const error = await caught(openEnvelope(await sealed('encrypt', readers), withoutRecipient));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: 'options need recipient for a multi-recipient envelope' });
    expect(notified).toEqual([]);
  });

  test('argument check first: the reader key check runs before the replay window records the envelope', async () => {
    const { readers, options } = await setup([]);
    const replay = { store: new MemoryReplayStore() };
    const envelope = await sealed('encrypt0', readers);
    const { key: _key, ...withoutKey } = options;
    expect(ArgumentError.isInstance(await caught(openEnvelope(envelope, { ...withoutKey, replay })))).toBe(true);
    // the corrected call opens: the misuse did not use up the envelope's place in the window
    expect(td.decode((await openEnvelope(envelope, { ...options, replay })).plaintext)).toBe(PAYLOAD);
  });

  test('authorize runs before notification: a denying authorize refuses, and nobody is notified', async () => {
    const { readers, notified, options } = await setup();
    const denial = new Error('outside working hours');
    expect(await caught(openEnvelope(await sealed('encrypt', readers), { ...options, authorize: () => { throw denial; } }))).toBe(denial);
    expect(notified).toEqual([]);
  });

  test('key resolution runs before notification: no key for the envelope refuses, and nobody is notified', async () => {
    const { readers, notified, options } = await setup();
    expect(EnvelopeError.isInstance(await caught(openEnvelope(await sealed('encrypt0', readers), { ...options, key: () => undefined })))).toBe(true);
    const others = await Keyset.generate(backend, { purpose: 'recipient' });
    expect(EnvelopeError.isInstance(await caught(openEnvelope(await sealed('encrypt', readers), { ...options, recipient: others.recipientKey() })))).toBe(true);
    expect(notified).toEqual([]);
  });

  test('decryption runs before notification: a wrong key refuses, and nobody is notified', async () => {
    const { readers, notified, options } = await setup();
    const wrong = { ...options, key: backend.generateKey('AES-GCM') };
    expect(EnvelopeError.isInstance(await caught(openEnvelope(await sealed('encrypt0', readers), wrong)))).toBe(true);
    const kek = { ...options, recipient: { kek: backend.generateKey('AES-KW') } };
    expect(EnvelopeError.isInstance(await caught(openEnvelope(await sealed('encrypt', readers), kek)))).toBe(true);
    expect(notified).toEqual([]);
  });

  test('the key commitment runs before notification: a CEK that does not match the signed commitment refuses, and nobody is notified', async () => {
    const { readers, notified, options } = await setup();
    const forged = await resignedWith(await sealed('encrypt', readers), (header) => {
      header.set(WardHeaderLabel.keyCommitment, new Uint8Array(KEY_COMMITMENT_LENGTH).fill(7));
    });
    const spy = spying(backend);
    const error = await caught(openEnvelope(forged, { ...options, backend: spy.backend }));
    expect(EnvelopeError.isInstance(error)).toBe(true);
    expect(errorChain(error).some((e) => (e as Error).message?.includes('signed commitment'))).toBe(true);
    expect(spy.calls).not.toContain('aeadDecrypt');
    expect(notified).toEqual([]);
  });

  test('redaction runs before notification: a field that cannot be proven gone refuses, and nobody is notified', async () => {
    for (const [fields, payload] of [
      [['people.name'], PAYLOAD], // a plain segment over an array
      [['badge'], 'plain text reading'], // not JSON or CBOR
      [['people[]'], PAYLOAD], // a malformed path
    ] as const) {
      const { readers, notified, options } = await setup([NOTIFY, { type: 'redact', fields }]);
      const error = await caught(openEnvelope(await sealed('encrypt', readers, payload), options));
      expect(error).toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
      expect(JSON.stringify(error)).not.toContain('Ann');
      expect(notified).toEqual([]);
    }
  });

  test('a notify obligation without a notifier refuses before any key is touched', async () => {
    const { readers, options } = await setup([NOTIFY]);
    const { notify: _notify, ...withoutNotifier } = options;
    const spy = spying(backend);
    await expect(openEnvelope(await sealed('encrypt', readers), { ...withoutNotifier, backend: spy.backend })).rejects.toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
    expect(spy.calls.filter((c) => ['deriveSharedSecret', 'unwrapKey', 'aeadDecrypt'].includes(c))).toEqual([]);
  });

  test('a malformed redaction path refuses before any key is touched', async () => {
    const { readers, options } = await setup([{ type: 'redact', fields: ['people..name'] }]);
    const envelope = await sealed('encrypt', readers);
    const spy = spying(backend);
    await expect(openEnvelope(envelope, { ...options, backend: spy.backend })).rejects.toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
    expect(spy.calls.filter((c) => ['deriveSharedSecret', 'unwrapKey', 'aeadDecrypt'].includes(c))).toEqual([]);
  });

  test('redact obligation applied: people[].name is removed before release, and the notifier is called after it', async () => {
    const { readers, notified, options } = await setup([{ type: 'redact', fields: ['people[].name'] }, NOTIFY]);
    const { plaintext, decision } = await openEnvelope(await sealed('encrypt', readers), options);
    expect(JSON.parse(td.decode(plaintext))).toEqual({ count: 42, people: [{ seat: 1 }] });
    expect(td.decode(plaintext)).not.toContain('Ann');
    expect(decision?.obligations).toHaveLength(2);
    expect(notified).toEqual(['security-desk']);
  });

  test('a notifier that throws refuses: nothing is released, and later notifiers are not called', async () => {
    const { readers, options } = await setup([NOTIFY, { type: 'notify', to: 'dpo' }]);
    const calls: string[] = [];
    let released: Uint8Array | undefined;
    const error = await openEnvelope(await sealed('encrypt', readers), {
      ...options,
      notify: (obligation) => { calls.push(obligation.to); throw new Error('smtp down'); },
    }).then((r) => { released = r.plaintext; }, (e: unknown) => e);
    expect(released).toBeUndefined();
    expect(error).toMatchObject({ code: 'ERR_POLICY_OBLIGATION' });
    expect(calls).toEqual(['security-desk']);
  });

  test('the decision record states the policy\'s allow even when the open is then refused (authorize)', async () => {
    const { readers, options } = await setup([]);
    const decisionLog = new MemoryDecisionLog();
    await caught(openEnvelope(await sealed('encrypt', readers), { ...options, decisionLog, authorize: () => { throw new Error('no'); } }));
    expect(decisionLog.records().map((r) => r.decision.allow)).toEqual([true]);
  });
});

describe('openEnvelope(): option checks name the option and come before verification', () => {
  test.each<[string, Partial<Record<keyof OpenOptions, unknown>>, string]>([
    ['authorize', { authorize: 'allow' }, 'options.authorize must be a function'],
    ['notify', { notify: 'security-desk@city' }, 'options.notify must be a function'],
    ['decisionLog (no write)', { decisionLog: {} }, 'options.decisionLog must be a DecisionLogSink'],
    ['decisionLog (null)', { decisionLog: null }, 'options.decisionLog must be a DecisionLogSink'],
    ['policy', { policy: {} }, 'options.policy must be a PolicyEngine'],
    ['subject', { subject: undefined }, 'options.subject'],
  ])('a wrong-typed %s is an ArgumentError naming it, before anything is verified or anyone notified', async (_, change, message) => {
    const { readers, notified, options } = await setup();
    const spy = spying(backend);
    const error = await caught(openEnvelope(await sealed('encrypt', readers), { ...options, backend: spy.backend, ...change } as OpenOptions));
    expect(ArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(message);
    expect(spy.calls).toEqual([]);
    expect(notified).toEqual([]);
  });

  test('a wrong-typed notify or decisionLog is refused even without a policy', async () => {
    const { readers, options } = await setup();
    const { policy: _policy, ...ungated } = options;
    for (const change of [{ notify: 1 }, { decisionLog: { write: 'file' } }]) {
      expect(ArgumentError.isInstance(await caught(openEnvelope(await sealed('encrypt', readers), { ...ungated, ...change } as unknown as OpenOptions)))).toBe(true);
    }
  });

  test('options that are not an object are an ArgumentError', async () => {
    const { readers } = await setup();
    const envelope = await sealed('encrypt', readers);
    for (const options of [undefined, null, 'backend', 42]) {
      const error = await caught(openEnvelope(envelope, options as unknown as OpenOptions));
      expect(WardError.isInstance(error) && (error as WardError).code === 'ERR_INVALID_ARGUMENT').toBe(true);
    }
  });
});
