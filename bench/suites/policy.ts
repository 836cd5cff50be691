/**
 * Policy decisions on the shipped city policy (policies/dist): Ward's PolicyEngine side by side
 * with raw @open-policy-agent/opa-wasm `evaluate` on the same wasm, data and inputs — cold
 * load, uncached decision, cached decision — and a policy-gated open against a plain open of
 * the same sealed reading. A soak table shows memory over many evaluations.
 */
import { readFileSync } from 'node:fs';
import { equal } from 'node:assert/strict';
import * as opaWasm from '@open-policy-agent/opa-wasm';
import { Keyset, PolicyEngine, openEnvelope, sealEnvelope, verifyEnvelope } from '@ward/core';
import { policyResourceOf, validateDecision } from '@ward/core/policy';
import type { PolicyInput, PolicySubject } from '@ward/core';
import { IsolatedPolicyEngine, createNodeBackend, createWorkerAdmission } from '@ward/node';
import type { BenchCase, Suite, SuiteTable } from '../lib/types.js';

const { loadPolicySync } = ((opaWasm as unknown as { default?: typeof opaWasm }).default ?? opaWasm);
const root = new URL('../../policies/dist/', import.meta.url);

interface RawPolicy {
  evaluate(input: unknown, entrypoint?: number | string): unknown;
  setData(data: unknown): void;
  readonly mem: { readonly buffer: ArrayBuffer };
}

/** The analyst of the quickstart asking to open a footfall reading for planning. */
const SUBJECT: PolicySubject = { id: 'analyst-ana', roles: ['analyst'], purpose: 'planning', zones: ['market-square'] };

function soakRow(label: string, count: number, run: (i: number) => void, memory: () => number): string[] {
  for (let i = 0; i < 10_000; i++) run(i);
  (globalThis as { gc?: () => void }).gc?.();
  const wasmBefore = memory();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) run(i);
  (globalThis as { gc?: () => void }).gc?.();
  const wasmAfter = memory();
  const heapAfter = process.memoryUsage().heapUsed;
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  return [label, count.toLocaleString('en-US'), mib(wasmBefore), mib(wasmAfter), mib(heapBefore), mib(heapAfter)];
}

export const policy: Suite = {
  name: 'policy',
  title: 'Policy decisions on the city policy: Ward PolicyEngine vs raw opa-wasm evaluate (µs per decision)',
  baseline: 'opa-wasm',
  ratios: [['ward', 'opa-wasm'], ['ward-worker', 'ward']],
  async setup() {
    const wasm = new Uint8Array(readFileSync(new URL('policy.wasm', root)));
    const data = JSON.parse(readFileSync(new URL('data.json', root), 'utf8')) as unknown;
    const backend = createNodeBackend();

    /* One realistic input: the facts of a sealed footfall reading. */
    const signing = await Keyset.generate(backend, { purpose: 'sign' });
    const readers = await Keyset.generate(backend, { purpose: 'recipient' });
    const signer = signing.signer();
    const trust = await backend.publicKey(signer.key);
    const now = Math.floor(Date.now() / 1000);
    const reading = new TextEncoder().encode('{"count":42}');
    const envelope = await sealEnvelope(reading, {
      backend, signer, recipients: [await readers.recipient()], claims: { issuer: 'footfall-counter-17', subject: 'footfall/market-square', sequence: 1, issuedAt: now },
      attributes: { classification: 'internal', zone: 'market-square', purpose: ['planning', 'research'], owner: 'mobility-dept', retention: 31_536_000 },
    });
    const facts = await verifyEnvelope(envelope, { backend, trust });
    const input: PolicyInput = { action: 'open', subject: SUBJECT, resource: policyResourceOf(facts), environment: { time: now } };

    const engine = await PolicyEngine.load({ wasm, data, revision: 'bench' }, { backend });
    const uncached = await PolicyEngine.load({ wasm, data, revision: 'bench' }, { backend, cacheSize: 0 });
    const raw = loadPolicySync(wasm) as unknown as RawPolicy;
    raw.setData(data);
    /* Both must agree, and the bench input must be one the policy allows (the interesting path). */
    const expected = validateDecision(raw.evaluate(input, 'ward/authz/decision'));
    equal(uncached.decide(input).decision.allow, true, `the bench input must be allowed: ${JSON.stringify(expected)}`);
    equal(JSON.stringify(uncached.decide(input).decision), JSON.stringify(expected));
    /* The raw caller evaluates the same normalised document Ward builds. */
    const rawInput = uncached.decide(input).input;
    engine.decide(input);

    const recipient = readers.recipientKey();
    const plainOpen = () => openEnvelope(envelope, { backend, trust, recipient });
    const gatedOpen = () => openEnvelope(envelope, { backend, trust, recipient, policy: engine, subject: SUBJECT, environment: { time: now } });
    const gatedUncached = () => openEnvelope(envelope, { backend, trust, recipient, policy: uncached, subject: SUBJECT, environment: { time: now } });
    equal((await gatedOpen()).decision?.allow, true);

    /* Isolation mode: the same uncached decision in a worker pool (a message round trip each), and activation admitted in a worker. */
    const isolated = await IsolatedPolicyEngine.load({ wasm, data, revision: 'bench' }, { workers: 2 });
    equal(JSON.stringify((await isolated.decide(input)).decision), JSON.stringify(expected));
    const plainActivating = await PolicyEngine.load({ wasm, data, revision: '0' }, { backend, cacheSize: 0 });
    const admitted = await PolicyEngine.load({ wasm, data, revision: '0' }, { backend, cacheSize: 0, admission: createWorkerAdmission() });
    let plainRevision = 0;
    let admittedRevision = 0;

    const cases: BenchCase[] = [
      {
        name: 'cold load (compile + instantiate + data)',
        ops: {
          'opa-wasm': () => loadPolicySync(wasm).setData(data as object),
          ward: () => PolicyEngine.load({ wasm, data, revision: 'bench', digest: new Uint8Array(32) }, { backend }),
        },
      },
      { name: 'uncached decision', ops: { 'opa-wasm': () => raw.evaluate(rawInput, 0), ward: () => uncached.decide(input) } },
      { name: 'cached decision', ops: { ward: () => engine.decide(input) } },
      { name: 'isolated (worker pool) decision vs in-process uncached', ops: { ward: () => uncached.decide(input), 'ward-worker': () => isolated.decide(input) } },
      {
        name: 'activation: plain vs with worker admission',
        ops: {
          ward: () => plainActivating.activate({ wasm, data, revision: String(++plainRevision) }),
          'ward-worker': () => admitted.activate({ wasm, data, revision: String(++admittedRevision) }),
        },
      },
      {
        name: 'what the gate adds: facts → input + decision (cached)',
        ops: { ward: () => engine.decide({ action: 'open', subject: SUBJECT, resource: policyResourceOf(facts), environment: { time: now } }) },
      },
      {
        name: 'what the gate adds: facts → input + decision (uncached)',
        ops: { ward: () => uncached.decide({ action: 'open', subject: SUBJECT, resource: policyResourceOf(facts), environment: { time: now } }) },
      },
      { name: 'open, no policy (reference)', ops: { ward: plainOpen } },
      { name: 'policy-gated open (cached decision)', ops: { ward: gatedOpen } },
      { name: 'policy-gated open (uncached decision)', ops: { ward: gatedUncached } },
    ];

    const count = process.env.BENCH_QUICK ? 100_000 : 1_000_000;
    const soak: SuiteTable = {
      title: `memory over ${count.toLocaleString('en-US')} uncached evaluations (inputs vary by time; after 10,000 warm-up)`,
      header: ['path', 'evaluations', 'wasm MiB before', 'wasm MiB after', 'JS heap MiB before', 'JS heap MiB after'],
      rows: [
        soakRow('Ward PolicyEngine.decide (cache off)', count, (i) => uncached.decide({ ...input, environment: { time: now + (i % 86_400) } }), () => uncached.memoryBytes),
        soakRow('raw opa-wasm evaluate', count, (i) => raw.evaluate({ ...rawInput, environment: { time: now + (i % 86_400) } }, 0), () => raw.mem.buffer.byteLength),
      ],
      notes: ['JS heap figures are process-wide (the benchmark harness included), each read after a forced GC: `npm run bench` runs node with --expose-gc.'],
    };
    return {
      cases,
      tables: [soak],
      teardown: () => isolated.close(),
      notes: [
        'uncached: Ward normalises the input to the contract, serialises it once to canonical JSON (the cache key and the wasm input), evaluates, validates the output (deny on anything malformed) and fills the LRU; raw opa-wasm stringifies the same document and evaluates.',
        'isolated = IsolatedPolicyEngine (@ward/node, 2 workers, no cache): the caller checks and normalises the input, posts it to a worker, which decides uncached and posts the decision back; awaited one at a time, so the row is the latency of one decision (the round trip included). activation with worker admission = createWorkerAdmission: a fresh worker loads the policy and decides the default probes before the in-process load; `npm run bench` runs from source, so each worker also starts tsx (the built package starts dist/admission-worker.js).',
        'gated open = openEnvelope() with the policy deciding on the verified facts before any key is touched (no decision log configured here). The "what the gate adds" rows time the gate\'s own work (building the input from the verified facts, then deciding); the end-to-end open rows differ from each other by that plus noise of the same order.',
      ],
    };
  },
};
