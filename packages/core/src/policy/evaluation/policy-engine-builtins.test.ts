/*
 * PolicyEngine with host builtins and bundle manifests: the manifest's entrypoint decides,
 * a wasm needing builtins nobody implements is refused at load and activation, Ward's time
 * builtins run inside real OPA wasm (time.now_ns = environment.time), and a builtin error
 * makes a Rego body undefined exactly as `opa eval` does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { buildBuiltinFixtures, opaEval } from '../../../test-kit/opa-eval.js';
import { OPA_WASM_HOST_BUILTINS, WARD_BUILTINS } from './builtins.js';
import { readPolicyBundle } from '../distribution/bundle.js';
import type { PolicyInput } from '../decision.js';
import { PolicyEngine } from './policy-engine.js';

const backend = createNobleBackend();
const FIXTURES = new URL('./builtin-fixtures/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const bundle = () => readPolicyBundle(fixture('builtins.tar.gz'), { backend, verification: { form: 'none' } });

const input = (time: number): PolicyInput => ({
  action: 'open',
  subject: { id: 'u', roles: [], purpose: '' },
  resource: {
    issuer: 'i', stream: 's', issuedAt: 1, sequence: '1', id: '00', attributes: {}, signer: { kid: 'aa', alg: -8 }, encryption: 'encrypt',
  },
  environment: { time },
} as PolicyInput);

describe('manifest entrypoints', () => {
  test('manifest entrypoint: a bundle whose manifest names several entrypoints decides with ward/authz/decision, or the one options name', async () => {
    const read = await bundle();
    expect(read.manifest.wasm?.map((e) => e.entrypoint)).toContain('elsechain/decision');
    const engine = await PolicyEngine.load({ ...read, data: { zone: 'UTC' } }, { backend });
    expect(engine.decide(input(0)).decision.reasons[0]).toBe('Thursday');
    const other = await PolicyEngine.load({ ...read, data: { zone: 'UTC' } }, { backend, entrypoint: 'elsechain/safe' });
    expect(other.decide(input(0)).decision.reasons).toEqual(['default-deny']);
  });

  test('manifest entrypoint: with one entrypoint in the manifest, that one decides (not the default name)', async () => {
    const read = await bundle();
    const one = { ...read, data: { zone: 'UTC' }, manifest: { ...read.manifest, wasm: [{ entrypoint: 'elsechain/decision', module: '/policy.wasm' }] } };
    const engine = await PolicyEngine.load(one, { backend });
    expect(engine.decide(input(0)).decision.reasons).toEqual(['closed-at-night']);
  });

  test('manifest entrypoint: an entrypoint the manifest does not name is refused, listing the manifest\'s', async () => {
    const read = await bundle();
    await expect(PolicyEngine.load(read, { backend, entrypoint: 'nope/nothing' })).rejects.toMatchObject({
      code: 'ERR_POLICY_BUNDLE_INVALID', message: expect.stringMatching(/ward\/authz\/decision, elsechain\/decision/) as unknown,
    });
    const several = { ...read, manifest: { ...read.manifest, wasm: [{ entrypoint: 'a/b', module: '/policy.wasm' }, { entrypoint: 'c/d', module: '/policy.wasm' }] } };
    await expect(PolicyEngine.load(several, { backend })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_INVALID', message: expect.stringMatching(/options.entrypoint/) as unknown });
  });

  test('manifest entrypoint: a manifest entrypoint the wasm does not export is refused, listing what it exports', async () => {
    const read = await bundle();
    const wrong = { ...read, manifest: { ...read.manifest, wasm: [{ entrypoint: 'ghost/decision', module: '/policy.wasm' }] } };
    await expect(PolicyEngine.load(wrong, { backend })).rejects.toMatchObject({
      code: 'ERR_POLICY_BUNDLE_INVALID',
      message: 'the policy has no entrypoint ghost/decision; it exports: cidr/result, elsechain/decision, elsechain/safe, ward/authz/decision',
    });
    await expect(PolicyEngine.load({ wasm: read.wasm }, { backend, entrypoint: 'x/y' })).rejects.toMatchObject({
      code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/it exports: cidr\/result, /) as unknown,
    });
  });
});

describe('builtins at activation', () => {
  test('missing builtin refusal: a wasm needing builtins nobody implements is refused at load, naming them', async () => {
    await expect(PolicyEngine.load({ wasm: fixture('missing.wasm') }, { backend })).rejects.toMatchObject({
      code: 'ERR_POLICY_BUNDLE_INVALID', message: expect.stringMatching(/: time\.diff, time\.format$/) as unknown,
    });
  });

  test('missing builtin refusal: activation keeps the active policy', async () => {
    const engine = await PolicyEngine.load({ ...(await bundle()), data: { zone: 'UTC' }, revision: '1' }, { backend });
    await expect(engine.activate({ wasm: fixture('missing.wasm'), revision: '2' })).rejects.toMatchObject({ code: 'ERR_POLICY_BUNDLE_INVALID' });
    expect(engine.revision).toBe('1');
    expect(engine.decide(input(0)).decision.allow).toBe(true);
  });

  test('opa-wasm host builtins: Ward\'s list is exactly what opa-wasm 1.10 implements', () => {
    const require = createRequire(import.meta.url);
    const path = join(require.resolve('@open-policy-agent/opa-wasm'), '..', 'builtins', 'index.js');
    expect(Object.keys(require(path) as object).sort()).toEqual([...OPA_WASM_HOST_BUILTINS].sort());
  });
});

describe('Ward builtins inside OPA wasm', () => {
  test('time.now_ns is environment.time: the same input decides the same, whatever the host clock', async () => {
    const read = await bundle();
    const engine = await PolicyEngine.load({ ...read, data: { zone: 'Europe/Paris' } }, { backend, cacheSize: 0 });
    const time = 1_774_746_000; // 2026-03-29T01:00:00Z, the morning Paris moves to summer time
    const { decision } = engine.decide(input(time));
    /* opa eval's time.now_ns is the host clock: compute the same reasons from the input's time instead. */
    const expected = opaEval(`[r | now := [input.environment.time * 1000000000, "Europe/Paris"]; c := time.clock(now); d := time.date(now);
      r := [time.weekday(now), concat(":", [format_int(c[0], 10), format_int(c[1], 10), format_int(c[2], 10)]),
        concat("-", [format_int(d[0], 10), format_int(d[1], 10), format_int(d[2], 10)]),
        json.marshal(time.add_date(input.environment.time * 1000000000, 0, 1, 0)), json.marshal(time.parse_rfc3339_ns("2026-03-29T01:30:00+01:00"))]][0]`, input(time));
    expect(decision).toEqual({ allow: true, reasons: expected, obligations: [] });
    expect(engine.decide(input(time + 86400)).decision.reasons[0]).toBe('Monday');
  });

  test('a builtin error makes a branch undefined: an else-chain falls through to its allow, as opa eval does', async () => {
    const read = await bundle();
    const early = input(1_774_746_000 + 3600); // 02:00 UTC
    const late = input(1_774_746_000 + 9 * 3600); // 10:00 UTC
    const load = async (zone: string, entrypoint: string) => PolicyEngine.load({ ...read, data: { zone } }, { backend, entrypoint, cacheSize: 0 });
    /* A zone that works: the night rule denies at 02:00, allows at 10:00, in both forms. */
    expect((await load('UTC', 'elsechain/decision')).decide(early).decision.reasons).toEqual(['closed-at-night']);
    expect((await load('UTC', 'elsechain/decision')).decide(late).decision.allow).toBe(true);
    expect((await load('UTC', 'elsechain/safe')).decide(late).decision.allow).toBe(true);
    for (const zone of ['Not/AZone', 'Local']) {
      /* The clock call errors: the deny body is undefined and the else allows, at night too; the default-deny form denies. */
      expect((await load(zone, 'elsechain/decision')).decide(early).decision).toEqual({ allow: true, reasons: ['open'], obligations: [] });
      expect((await load(zone, 'elsechain/safe')).decide(late).decision).toEqual({ allow: false, reasons: ['default-deny'], obligations: [] });
    }
    /* opa eval does the same with an unknown zone (its time.now_ns is the host clock; the error does not depend on it). */
    expect(opaEvalWithData({ zone: 'Not/AZone' }, early, 'data.elsechain.decision')).toEqual({ allow: true, reasons: ['open'], obligations: [] });
    expect(opaEvalWithData({ zone: 'Not/AZone' }, early, 'data.elsechain.safe')).toEqual({ allow: false, reasons: ['default-deny'], obligations: [] });
  });

  test('net.cidr_contains runs inside the wasm (OPA\'s own code) and differs from opa eval on IPv4-mapped IPv6 addresses', async () => {
    const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as { loadPolicySync: (w: Uint8Array) => { evaluate: (i: unknown, e: string) => unknown } };
    const policy = loadPolicySync((await bundle()).wasm);
    const cases = [['10.0.0.0/8', '10.1.2.3'], ['2001:db8::/32', '2001:db8::1'], ['10.0.0.0/8', '10.0.0.0/16'], ['10.0.0.1', '10.0.0.1'], ['10.0.0.0/8', '::ffff:10.0.0.1'], ['::ffff:0:0/96', '1.2.3.4']];
    const wasm = cases.map(([cidr, ip]) => (policy.evaluate({ cidr, ip }, 'cidr/result') as { result: boolean }[])[0]?.result);
    const opa = cases.map(([cidr, ip]) => opaEval('net.cidr_contains(input.cidr, input.ip)', { cidr, ip }));
    expect(wasm).toEqual([true, true, true, undefined, false, false]);
    expect(opa).toEqual([true, true, true, undefined, true, true]);
  });
});

describe('builtin fixtures', () => {
  test('the committed builtin fixtures are what build.sh makes from their sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ward-builtin-fixtures-'));
    try {
      buildBuiltinFixtures(dir);
      for (const name of ['builtins.tar.gz', 'missing.wasm']) expect(readFileSync(join(dir, name)).equals(fixture(name)), name).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every host builtin is in the published table', () => {
    const readme = readFileSync(new URL('../../../../../policies/README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Builtins'));
    const table = section.slice(0, section.indexOf('\n## ', 4) > 0 ? section.indexOf('\n## ', 4) : undefined);
    const rows = [...table.matchAll(/^\| `([a-z0-9_.]+)` \| (Ward|opa-wasm) \|/gm)].map((m) => `${m[1]} ${m[2]}`).sort();
    expect(rows).toEqual([...WARD_BUILTINS.map((b) => `${b} Ward`), ...OPA_WASM_HOST_BUILTINS.map((b) => `${b} opa-wasm`)].sort());
  });
});

/* opa eval on the Rego sources of the fixtures, with data. */
function opaEvalWithData(data: unknown, value: PolicyInput, query: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'ward-opa-data-'));
  try {
    const file = join(dir, 'data.json');
    writeFileSync(file, JSON.stringify(data));
    const source = (name: string) => new URL(name, FIXTURES).pathname;
    return opaEval(query, value, ['-d', source('builtins.rego'), '-d', source('elsechain.rego'), '-d', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
