/*
 * @ward/core/city-policy: the city policy an installed package ships is the repository's
 * policies/dist, byte for byte, and decides like it: on every scenario and on each scenario
 * varied one field at a time (policies/policy.json "variations"). `npm run policies:check`
 * compares the generated copy with the dist too; this test catches a copy that was edited by
 * hand or generated from another build, without OPA.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createNobleBackend } from '../backend/noble-backend.js';
import { ArgumentError, WardError } from '../errors.js';
import type { PolicyDecision, PolicyInput } from '../policy/decision.js';
import { readPolicyBundle } from '../policy/distribution/bundle.js';
import { PolicyEngine } from '../policy/evaluation/policy-engine.js';
import {
  CITY_POLICY_BUNDLE_SHA256, CITY_POLICY_ENTRYPOINT, CITY_POLICY_INPUT_SCHEMA, CITY_POLICY_REVISION, cityPolicyBundle,
} from './index.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const policies = join(ROOT, 'policies');
const core = join(ROOT, 'packages/core');
const read = (path: string) => readFileSync(join(policies, path));
const json = (path: string) => JSON.parse(read(path).toString('utf8')) as unknown;
type Scenario = { name: string; input: unknown; decision: PolicyDecision };
const scenarios = (json('examples/scenarios.json') as { scenarios: Scenario[] }).scenarios;
type Edit = { set: string[]; values: unknown[] } | { delete: string[][] };
const config = json('policy.json') as { entrypoint: string; variations: { edits: Edit[] } };
const backend = createNobleBackend();

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

/* Each scenario input with one edit applied: every value of every `set`, every `delete`. */
function variedInputs(): unknown[] {
  const inputs: unknown[] = [];
  const apply = (input: unknown, path: readonly string[], change: (parent: Record<string, unknown>, key: string) => void) => {
    const copy = structuredClone(input) as Record<string, unknown>;
    let node: unknown = copy;
    for (const key of path.slice(0, -1)) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    if (typeof node !== 'object' || node === null) return;
    change(node as Record<string, unknown>, path.at(-1)!);
    inputs.push(copy);
  };
  for (const { input } of scenarios) {
    if (typeof input !== 'object' || input === null) continue;
    for (const edit of config.variations.edits) {
      if ('set' in edit) for (const value of edit.values) apply(input, edit.set, (parent, key) => { parent[key] = structuredClone(value); });
      else for (const path of edit.delete) apply(input, path, (parent, key) => { delete parent[key]; });
    }
  }
  return inputs;
}

/* A decision, or the error code that refused the input before the policy ran. */
function outcome(engine: PolicyEngine, input: unknown): unknown {
  try {
    const { decision } = engine.decide(input as PolicyInput);
    return { ...decision, reasons: [...decision.reasons].sort() };
  } catch (error) {
    if (error instanceof ArgumentError) return error.code;
    throw error;
  }
}

describe('@ward/core/city-policy', () => {
  afterEach(() => {
    vi.doUnmock('./bundle.js');
    vi.resetModules();
  });

  test('cityPolicyBundle() is policies/dist/bundle.tar.gz byte for byte, with its SHA-256, revision and entrypoint', async () => {
    const bytes = cityPolicyBundle();
    expect(bytes).toEqual(new Uint8Array(read('dist/bundle.tar.gz')));
    expect(CITY_POLICY_BUNDLE_SHA256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(CITY_POLICY_REVISION).toBe(read('REVISION').toString('utf8').trim());
    expect(CITY_POLICY_ENTRYPOINT).toBe(config.entrypoint);
    const bundle = await readPolicyBundle(bytes, { backend, verification: { form: 'none' } });
    expect(bundle.revision).toBe(CITY_POLICY_REVISION);
    expect(Buffer.from(bundle.digest).toString('hex')).toBe(CITY_POLICY_BUNDLE_SHA256);
    expect(bundle.manifest.wasm?.map((w) => w.entrypoint)).toEqual([CITY_POLICY_ENTRYPOINT]);
  });

  test('each call returns a new copy: changing one changes nothing for the next', () => {
    const first = cityPolicyBundle();
    const original = first[0];
    first[0] = original! ^ 0xff;
    expect(cityPolicyBundle()[0]).toBe(original);
  });

  test('the shipped bundle decides like the repository\'s policy.wasm on every scenario and every one-field variation', async () => {
    const shipped = await PolicyEngine.load(await readPolicyBundle(cityPolicyBundle(), { backend, verification: { form: 'none' } }), { backend, cacheSize: 0 });
    const repository = await PolicyEngine.load({
      wasm: new Uint8Array(read('dist/policy.wasm')),
      data: json('dist/data.json'),
      revision: read('REVISION').toString('utf8').trim(),
    }, { backend, cacheSize: 0 });
    for (const scenario of scenarios.filter((s) => !s.name.startsWith('a malformed input'))) {
      expect(outcome(shipped, scenario.input), scenario.name).toEqual({ ...scenario.decision, reasons: [...scenario.decision.reasons].sort() });
    }
    const inputs = [...scenarios.map((s) => s.input), ...variedInputs()];
    const counts = { allowed: 0, denied: 0, refused: 0 };
    for (const input of inputs) {
      const got = outcome(shipped, input);
      expect(got, JSON.stringify(input)).toEqual(outcome(repository, input));
      if (typeof got === 'string') counts.refused++;
      else if ((got as PolicyDecision).allow) counts.allowed++;
      else counts.denied++;
    }
    console.log(`@ward/core/city-policy decides like policies/dist on ${inputs.length} inputs: ${counts.allowed} allowed, ${counts.denied} denied, ${counts.refused} refused before the policy`);
    expect(counts.allowed).toBeGreaterThan(0);
    expect(counts.denied).toBeGreaterThan(0);
  });

  test('CITY_POLICY_INPUT_SCHEMA is policies/input.schema.json, deeply frozen', () => {
    expect(CITY_POLICY_INPUT_SCHEMA).toEqual(json('input.schema.json'));
    expect(Object.isFrozen(CITY_POLICY_INPUT_SCHEMA)).toBe(true);
    expect(Object.isFrozen(CITY_POLICY_INPUT_SCHEMA.definitions)).toBe(true);
  });

  test('the package ships the policy as files: the bundle, data, BUILD.json, the schema and the Rego sources without tests', () => {
    const manifest = JSON.parse(readFileSync(join(core, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(manifest.files).toContain('city-policy');
    expect(manifest.exports['./city-policy/*']).toBe('./city-policy/*');
    const dir = join(core, 'city-policy');
    const regoSources = walk(join(policies, 'ward')).filter((p) => p.endsWith('.rego') && !p.endsWith('_test.rego')).map((p) => relative(policies, p));
    const expected = new Map<string, Buffer>([
      ['bundle.tar.gz', read('dist/bundle.tar.gz')], ['data.json', read('dist/data.json')], ['BUILD.json', read('dist/BUILD.json')],
      ['input.schema.json', read('input.schema.json')], ...regoSources.map((p) => [p, read(p)] as [string, Buffer]),
    ]);
    expect(walk(dir).map((p) => relative(dir, p)).sort()).toEqual([...expected.keys()].sort());
    for (const [name, bytes] of expected) expect(readFileSync(join(dir, name)).equals(bytes), name).toBe(true);
    expect(existsSync(join(dir, 'ward/authz/decision_test.rego'))).toBe(false);
  });

  test('a damaged copy in the package is refused (ERR_POLICY_BUNDLE_INVALID), never read as another policy', async () => {
    const real = await import('./bundle.js');
    for (const damage of [real.BUNDLE_BASE64.slice(0, -4), `${real.BUNDLE_BASE64.slice(0, -8)}!!!!!!!!`]) {
      vi.resetModules();
      vi.doMock('./bundle.js', () => ({ ...real, BUNDLE_BASE64: damage }));
      const { cityPolicyBundle: damaged } = await import('./index.js');
      let caught: unknown;
      try {
        damaged();
      } catch (error) {
        caught = error;
      }
      expect(WardError.isInstance(caught) && caught.code).toBe('ERR_POLICY_BUNDLE_INVALID');
    }
  });

  test('the TSDoc example decides as it says', async () => {
    const policy = await PolicyEngine.load(await readPolicyBundle(cityPolicyBundle(), { backend, verification: { form: 'none' } }), { backend });
    const { decision } = policy.decide({
      action: 'open',
      subject: { id: 'user:alice', roles: ['analyst'], purpose: 'planning' },
      resource: {
        issuer: 'footfall-counter-17', stream: 'footfall/market-square', issuedAt: 1795322502, sequence: '1041',
        id: '6f1c2a0e9d8b7a6f5e4d3c2b1a090807', signer: { kid: '1f6c9a2b3c4d5e6f', alg: -8 }, encryption: 'encrypt',
        attributes: { classification: 'internal', zone: 'market-square', purpose: ['planning'] },
      },
      environment: { time: 1795323102 },
    });
    expect(decision.reasons).toEqual(['allowed:analyst-internal']);
  });
});
