/*
 * The shipped city policy (policies/dist, compiled by the pinned OPA) run by PolicyEngine on
 * every scenario of policies/examples/scenarios.json: the engine decides exactly as `opa eval`
 * decided when the scenarios were written, and malformed inputs are refused before they reach
 * the policy.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { ArgumentError } from '../../errors.js';
import { TrustStore } from '../../keys/trust-store.js';
import { readPolicyBundle, signPolicyBundle } from '../distribution/bundle.js';
import type { PolicyDecision, PolicyInput } from '../decision.js';
import { PolicyEngine } from './policy-engine.js';

const policies = new URL('../../../../../policies/', import.meta.url);
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

describe('the shipped bundle (policies/dist/bundle.tar.gz)', () => {
  const backend = createNobleBackend();
  const bytes = new Uint8Array(read('dist/bundle.tar.gz'));
  const revision = read('REVISION').toString('utf8').trim();

  test('reads through readPolicyBundle and decides every scenario as the raw wasm does', async () => {
    const bundle = await readPolicyBundle(bytes, { backend, verification: { form: 'none' } });
    expect(bundle.revision).toBe(revision);
    const engine = await PolicyEngine.load(bundle, { backend });
    for (const scenario of scenarios.filter((s) => !s.name.startsWith('a malformed input'))) {
      expect(sorted(engine.decide(scenario.input as PolicyInput).decision)).toEqual(sorted(scenario.decision));
    }
  });

  test('signed by the city with a trust-store key, it activates; an older signed bundle is refused and the active one stays', async () => {
    const signingKey = backend.generateKey('ECDSA-P256');
    const anchors = new TrustStore({ backend });
    const entry = await anchors.add({ key: backend.publicKey(signingKey), issuer: 'city-security-team', roles: ['policy-bundle'] });
    const signed = await signPolicyBundle(bytes, { backend, signer: { key: signingKey, kid: entry.kid }, issuer: 'city-security-team' });
    const verification = { form: 'ward' as const, trust: anchors.keySource('policy-bundle') };
    const bundle = await readPolicyBundle(signed, { backend, verification });
    expect(bundle.signature.form).toBe('ward');
    const engine = await PolicyEngine.load({ ...bundle, revision: '1' }, { backend });
    await engine.activate(bundle);
    expect(engine.revision).toBe(revision);
    await expect(engine.activate({ ...bundle, revision: '2' })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_ROLLBACK' });
    expect(engine.revision).toBe(revision);
    /* Tampering after signing: the bundle is refused before it can reach the engine. */
    const tampered = signed.slice();
    tampered[tampered.length - 40]! ^= 1;
    await expect(readPolicyBundle(tampered, { backend, verification })).rejects.toMatchObject({ name: 'PolicyError' });
  });
});

