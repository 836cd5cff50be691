/*
 * The shipped city policy (policies/dist, compiled by the pinned OPA) run by PolicyEngine on
 * every scenario of policies/examples/scenarios.json: the engine decides exactly as `opa eval`
 * decided when the scenarios were written, and malformed inputs are refused before they reach
 * the policy.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../backend/noble-backend.js';
import { ArgumentError } from '../errors.js';
import type { PolicyDecision, PolicyInput } from './decision.js';
import { PolicyEngine } from './policy-engine.js';

const policies = new URL('../../../../policies/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, policies));
const scenarios = (JSON.parse(read('examples/scenarios.json').toString('utf8')) as { scenarios: { name: string; input: unknown; decision: PolicyDecision }[] }).scenarios;

const sorted = (decision: PolicyDecision) => ({
  allow: decision.allow,
  reasons: [...decision.reasons].sort(),
  obligations: [...decision.obligations].map((o) => JSON.stringify(o, Object.keys(o).sort())).sort(),
});

describe('the shipped city policy', async () => {
  const engine = await PolicyEngine.load({
    wasm: new Uint8Array(read('dist/policy.wasm')),
    data: JSON.parse(read('dist/data.json').toString('utf8')) as unknown,
    revision: read('REVISION').toString('utf8').trim(),
  }, { backend: createNobleBackend() });

  test.each(scenarios.filter((s) => !s.name.startsWith('a malformed input')).map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    expect(sorted(engine.decide(scenario.input as PolicyInput).decision)).toEqual(sorted(scenario.decision));
  });

  test.each(scenarios.filter((s) => s.name.startsWith('a malformed input')).map((s) => [s.name, s] as const))('%s is refused before the policy', (_name, scenario) => {
    expect(scenario.decision.allow).toBe(false);
    expect(() => engine.decide(scenario.input as PolicyInput)).toThrow(ArgumentError);
  });
});
