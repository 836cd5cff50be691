/*
 * The second shipped policy package (policies/door-access, compiled by the pinned OPA into
 * policies/door-access/dist) run by PolicyEngine on its scenarios: a team's own package, built
 * by the same flow as the city policy, decides through Ward exactly as `opa eval` decided when
 * the scenarios were recorded (policies.mjs check compares the wasm with opa eval on 2,000 more).
 *
 * Scenarios that carry `input.context` (the police warrant) are left to policies.mjs until the
 * engine's input contract carries `context` (issue 11, item 2).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { ArgumentError } from '../../errors.js';
import { readPolicyBundle } from '../distribution/bundle.js';
import type { PolicyDecision, PolicyInput } from '../decision.js';
import { PolicyEngine } from './policy-engine.js';

const pkg = new URL('../../../../../policies/door-access/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, pkg));
const config = JSON.parse(read('policy.json').toString('utf8')) as { entrypoint: string; roots: string[] };
type Scenario = { name: string; input: unknown; decision: PolicyDecision };
const scenarios = (JSON.parse(read('scenarios.json').toString('utf8')) as { scenarios: Scenario[] }).scenarios;
const hasContext = (s: Scenario) => typeof s.input === 'object' && s.input !== null && Object.hasOwn(s.input, 'context');
const malformed = (s: Scenario) => s.name.startsWith('a malformed input');
const decidable = scenarios.filter((s) => !malformed(s) && !hasContext(s));
const refused = scenarios.filter((s) => malformed(s) && !hasContext(s));

const sorted = (decision: PolicyDecision) => ({
  allow: decision.allow,
  reasons: [...decision.reasons].sort(),
  obligations: [...decision.obligations].map((o) => JSON.stringify(o, Object.keys(o).sort())).sort(),
});

describe('the door-access policy package (policies/door-access/dist)', async () => {
  const backend = createNobleBackend();
  const revision = read('REVISION').toString('utf8').trim();
  const engine = await PolicyEngine.load({
    wasm: new Uint8Array(read('dist/policy.wasm')),
    data: JSON.parse(read('dist/data.json').toString('utf8')) as unknown,
    revision,
  }, { backend, entrypoint: config.entrypoint });

  test('the scenarios cover every role, an allow with array redaction, and malformed inputs', () => {
    const grants = new Set(decidable.filter((s) => s.decision.allow).flatMap((s) => s.decision.reasons));
    expect(grants).toEqual(new Set(['allowed:tenant-own-events', 'allowed:building-manager', 'allowed:auditor-redacted', 'allowed:verify']));
    const redact = decidable.flatMap((s) => s.decision.obligations).find((o) => o.type === 'redact');
    expect(redact).toEqual({ type: 'redact', fields: ['events[].badge', 'events[].person'] });
    expect(refused.length).toBeGreaterThan(0);
  });

  test.each(decidable.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    expect(sorted(engine.decide(scenario.input as PolicyInput).decision)).toEqual(sorted(scenario.decision));
  });

  test.each(refused.map((s) => [s.name, s] as const))('%s is refused before the policy', (_name, scenario) => {
    expect(scenario.decision.allow).toBe(false);
    expect(() => engine.decide(scenario.input as PolicyInput)).toThrow(ArgumentError);
  });

  test('its bundle reads through readPolicyBundle, with manifest roots covering the data and the entrypoint, and decides as the raw wasm does', async () => {
    const bundle = await readPolicyBundle(new Uint8Array(read('dist/bundle.tar.gz')), { backend, verification: { form: 'none' } });
    expect(bundle.revision).toBe(revision);
    expect(bundle.manifest.roots).toEqual(config.roots);
    expect(bundle.manifest.metadata).toMatchObject({ ward: { policy: 'door-access-records', entrypoint: config.entrypoint } });
    const fromBundle = await PolicyEngine.load(bundle, { backend, entrypoint: config.entrypoint });
    for (const scenario of decidable) {
      expect(sorted(fromBundle.decide(scenario.input as PolicyInput).decision)).toEqual(sorted(scenario.decision));
    }
  });
});
