/*
 * readPolicyBundle and signPolicyBundle end to end: bundles built and signed by the real OPA
 * (fixtures/), each OPA and Ward signature refusal, the layout, manifest, data and wasm rules of
 * bundle-layout.ts, malformed archives, options, and properties over generated bundles.
 */
import * as fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { gunzipSync } from 'fflate';
import { beforeAll, describe, expect, test } from 'vitest';
import type { SigningKey, VerifyingKey } from '../../backend/crypto-backend.js';
import { createNobleBackend } from '../../backend/noble-backend.js';
import { encodeCbor } from '../../cbor/index.js';
import type { CborValue } from '../../cbor/index.js';
import { HeaderLabel } from '../../cose/headers.js';
import { createSign1 } from '../../cose/sign1.js';
import { ClaimKey } from '../../profile/labels.js';
import { ArgumentError, WardError } from '../../errors.js';
import { TrustStore } from '../../keys/trust-store.js';
import {
  fixture, fixtureHex, gzip, packBundle, paxRecords, tarArchive, tarHeader, text, toHex, unpackBundle, utf8,
} from '../../../test-kit/policy-bundle.js';
import { DEFAULT_POLICY_BUNDLE_LIMITS, readPolicyBundle, signPolicyBundle } from './bundle.js';
import type { PolicyBundle, PolicyBundleVerification, ReadPolicyBundleOptions } from './bundle.js';
import { opaCanonicalBytes, parseJson } from '../strict-json.js';
import { readTar } from './tar.js';
import { POLICY_BUNDLE_CONTENT_TYPE, signWardSignature } from './ward-signature.js';

const backend = createNobleBackend();
const UNSIGNED = fixture('unsigned.tar.gz');
const OPA_ES256 = fixture('opa-es256.tar.gz');
const OPA_EDDSA = fixture('opa-eddsa.tar.gz');
const OPA_NESTED = fixture('opa-sign-nested.tar.gz');
const NONE: PolicyBundleVerification = { form: 'none' };
const ISSUER = 'city-policy-admin';

let es256: VerifyingKey;
let eddsa: VerifyingKey;
let opa: PolicyBundleVerification;
/** A P-256 key the tests sign their own JWS with (kid "test-es256"). */
let jwsKey: SigningKey;
let jwsPublic: VerifyingKey;
/** The city's policy signer (Ed25519) and a P-256 one, trusted for policy bundles. */
let adminKey: SigningKey;
let adminKid: Uint8Array;
let p256AdminKey: SigningKey;
let p256AdminKid: Uint8Array;
let trust: TrustStore;
let ward: PolicyBundleVerification;
let WARD_SIGNED: Uint8Array;

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return backend.sha256(data);
}

beforeAll(async () => {
  es256 = await backend.importKey('ECDSA-P256', 'public', fixtureHex('opa-es256.pub.hex'));
  eddsa = await backend.importKey('Ed25519', 'public', fixtureHex('opa-eddsa.pub.hex'));
  opa = { form: 'opa', keys: { 'city-es256': es256, 'city-eddsa': eddsa } };
  jwsKey = await backend.generateKey('ECDSA-P256');
  jwsPublic = await backend.publicKey(jwsKey);
  trust = new TrustStore({ backend });
  adminKey = await backend.generateKey('Ed25519');
  adminKid = (await trust.add({ key: await backend.publicKey(adminKey), issuer: ISSUER, roles: ['policy-bundle'] })).kid;
  p256AdminKey = await backend.generateKey('ECDSA-P256');
  p256AdminKid = (await trust.add({ key: await backend.publicKey(p256AdminKey), issuer: ISSUER, roles: ['policy-bundle'] })).kid;
  ward = { form: 'ward', trust: trust.keySource('policy-bundle') };
  WARD_SIGNED = await signPolicyBundle(UNSIGNED, { backend, signer: { key: adminKey, kid: adminKid }, issuer: ISSUER });
});

function read(bundle: Uint8Array, verification: PolicyBundleVerification, limits?: ReadPolicyBundleOptions['limits']): Promise<PolicyBundle> {
  return readPolicyBundle(bundle, { backend, verification, limits });
}

async function refused(promise: Promise<unknown>, code: string, message?: RegExp): Promise<WardError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(WardError.isInstance(caught), `accepted: ${String(caught)}`).toBe(true);
  const error = caught as WardError;
  expect(error.code, error.message).toBe(code);
  if (message) expect(error.message).toMatch(message);
  return error;
}

/** `bundle` unpacked, changed by `change`, packed again (pax tar, names without a leading "/"). */
function modify(bundle: Uint8Array, change: (files: Map<string, Uint8Array>) => void): Uint8Array {
  const files = unpackBundle(bundle);
  change(files);
  return packBundle(files);
}

function flipByte(data: Uint8Array, at = data.length >> 1): Uint8Array {
  const out = data.slice();
  out[at]! ^= 0x01;
  return out;
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/**
 * `files` with a `.signatures.json` holding one JWS over them, signed with `key` (ES256),
 * with the header and payload `edit` makes (defaults: kid "test-es256", all files at their OPA hash).
 */
async function opaSigned(
  files: Map<string, Uint8Array>,
  edit: {
    header?: (h: Record<string, unknown>) => void;
    payload?: (p: Record<string, unknown> & { files: { name: string; hash: string; algorithm: string }[] }) => void;
    signatures?: (tokens: string[]) => unknown;
    key?: SigningKey;
  } = {},
): Promise<Uint8Array> {
  const list = [];
  for (const [name, data] of files) {
    if (name === '.signatures.json') continue;
    const structured = name.endsWith('data.json') || name === '.manifest';
    const hashed = structured ? opaCanonicalBytes(parseJson(data, name, 64)) : data;
    list.push({ name, hash: toHex(await sha256(hashed)), algorithm: 'SHA-256' });
  }
  const header: Record<string, unknown> = { alg: 'ES256', kid: 'test-es256', typ: 'JWT' };
  const payload = { files: list } as Record<string, unknown> & { files: typeof list };
  edit.header?.(header);
  edit.payload?.(payload);
  const input = `${b64url(utf8(JSON.stringify(header)))}.${b64url(utf8(JSON.stringify(payload)))}`;
  const signature = await backend.sign(edit.key ?? jwsKey, utf8(input));
  const token = `${input}.${b64url(signature)}`;
  const document = edit.signatures ? edit.signatures([token]) : { signatures: [token] };
  const out = new Map(files);
  out.set('.signatures.json', utf8(JSON.stringify(document)));
  return packBundle(out);
}

const withoutSignatures = (bundle: Uint8Array): Map<string, Uint8Array> => {
  const files = unpackBundle(bundle);
  files.delete('.signatures.json');
  files.delete('.signatures.cose');
  return files;
};

const testOpa = (): PolicyBundleVerification => ({ form: 'opa', keys: { 'test-es256': jwsPublic } });

describe('readPolicyBundle: bundles built by OPA', () => {
  test('unsigned (form none): wasm, merged data, manifest, revision, digest', async () => {
    const bundle = await read(UNSIGNED, NONE);
    expect([...bundle.wasm.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
    expect(bundle.data).toEqual({ city: 'Aarhus', limits: { footfall: 1.5 }, zones: { north: { sensors: ['s-1', 's-2'] } } });
    expect(bundle.revision).toBe('2026.11.1');
    expect(bundle.manifest).toEqual({ revision: '2026.11.1', roots: [''], wasm: [{ entrypoint: 'ward/authz/decision', module: '/policy.wasm' }] });
    expect(bundle.digest).toEqual(await sha256(UNSIGNED));
    expect(bundle.signature).toEqual({ form: 'none' });
  });

  test('the result is frozen, data included, and the wasm is a copy', async () => {
    const bundle = await read(UNSIGNED, NONE);
    expect(Object.isFrozen(bundle)).toBe(true);
    expect(Object.isFrozen(bundle.manifest)).toBe(true);
    expect(Object.isFrozen((bundle.data as { zones: { north: object } }).zones.north)).toBe(true);
    expect(bundle.wasm.buffer.byteLength).toBe(bundle.wasm.length);
  });

  test('OPA-signed, ES256 (opa build --signing-key --signing-alg ES256)', async () => {
    const bundle = await read(OPA_ES256, opa);
    expect(bundle.signature).toEqual({ form: 'opa', keyId: 'city-es256' });
    expect(bundle.data).toEqual((await read(UNSIGNED, NONE)).data);
    expect(bundle.digest).toEqual(await sha256(OPA_ES256));
  });

  test('OPA-signed, EdDSA', async () => {
    expect((await read(OPA_EDDSA, opa)).signature).toEqual({ form: 'opa', keyId: 'city-eddsa' });
  });

  test('OPA-signed by opa sign: GNU tar, nested data.json, scope, and data.json written to stress the canonical hash', async () => {
    const bundle = await read(OPA_NESTED, { ...opa, scope: 'city' } as PolicyBundleVerification);
    expect(bundle.signature).toEqual({ form: 'opa', keyId: 'city-es256' });
    expect(bundle.revision).toBe('nested-7');
    expect(bundle.manifest).toEqual({ revision: 'nested-7', roots: ['a', 'strings'], metadata: { owner: 'city-policy' } });
    const data = bundle.data as { a: { b: unknown }; strings: Record<string, unknown> };
    expect(data.a.b).toEqual({ zones: ['north', 'süd'], limit: 1.5, max: 100 });
    expect(data.strings.raw).toBe('süd 東京 😀');
    expect(data.strings.order).toEqual({ z: 1, a: 2, é: 3, ﬀ: 4, '😀': 5, '': 6, A: 7 });
    expect(data.strings.escapes).toBe('tab\there "q" back\\slash / é 😀 \u2028 \u2029 <a&b> \u007f \u0001 \u001f \b \f');
  });

  test('OPA hashes data.json as canonical JSON: reformatted (whitespace, key order, escapes) it still verifies, as in OPA', async () => {
    expect(text(unpackBundle(OPA_ES256).get('data.json')!)).toBe('{"city":"Aarhus","limits":{"footfall":1.50},"zones":{"north":{"sensors":["s-1","s-2"]}}}\n');
    const reformatted = modify(OPA_ES256, (files) => files.set('data.json', utf8(
      '{\n  "zones": {"north": {"sensors": ["s-1", "s-2"]}},\n  "limits": {"footfall": 1.50},\n  "city": "Aar\\u0068us"\n}\n',
    )));
    const bundle = await read(reformatted, opa);
    expect(bundle.data).toEqual((await read(OPA_ES256, opa)).data);
  });

  test('…but a number literal is part of what OPA signs: 1.50 rewritten as 1.5 is refused, as in OPA', async () => {
    const rewritten = modify(OPA_ES256, (files) => files.set('data.json', utf8(text(files.get('data.json')!).replace('1.50', '1.5'))));
    await refused(read(rewritten, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /"data.json" does not match/);
  });

  test('a bundle repacked by Ward (pax tar, no leading "/") still verifies', async () => {
    await expect(read(modify(OPA_ES256, () => undefined), opa)).resolves.toBeDefined();
  });
});

describe('readPolicyBundle: OPA signature refusals', () => {
  test.each([
    ['policy.wasm', 'a flipped byte in policy.wasm'],
    ['policy.rego', 'a flipped byte in the Rego source'],
  ])('tampering: %s (%s) is refused', async (path) => {
    const tampered = modify(OPA_ES256, (files) => files.set(path, flipByte(files.get(path)!)));
    await refused(read(tampered, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', new RegExp(`"${path}" does not match its signed hash`));
  });

  test('tampering: a changed value in data.json is refused', async () => {
    const tampered = modify(OPA_ES256, (files) => files.set('data.json', utf8(text(files.get('data.json')!).replace('Aarhus', 'Aarhuz'))));
    await refused(read(tampered, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /"data.json" does not match/);
  });

  test('tampering: a changed revision in .manifest is refused', async () => {
    const tampered = modify(OPA_ES256, (files) => files.set('.manifest', utf8(text(files.get('.manifest')!).replace('2026.11.1', '2099.1.1'))));
    await refused(read(tampered, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /".manifest" does not match/);
  });

  test('a missing file is refused', async () => {
    const tampered = modify(OPA_ES256, (files) => files.delete('policy.rego'));
    await refused(read(tampered, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /lists "policy.rego", which the bundle does not hold/);
  });

  test('an extra file is refused', async () => {
    const tampered = modify(OPA_ES256, (files) => files.set('zones/south/data.json', utf8('{"sensors":[]}')));
    await refused(read(tampered, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /"zones\/south\/data.json" is not covered/);
  });

  test('a bad signature is refused', async () => {
    const tampered = modify(OPA_ES256, (files) => {
      const document = JSON.parse(text(files.get('.signatures.json')!)) as { signatures: string[] };
      const [h, p, s] = document.signatures[0]!.split('.') as [string, string, string];
      const sig = Buffer.from(s, 'base64url');
      sig[10]! ^= 1;
      document.signatures[0] = `${h}.${p}.${sig.toString('base64url')}`;
      files.set('.signatures.json', utf8(JSON.stringify(document)));
    });
    await refused(read(tampered, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /does not verify/);
  });

  test('a signature by an untrusted key (another key under the same key id) is refused', async () => {
    await refused(read(OPA_ES256, { form: 'opa', keys: { 'city-es256': jwsPublic } }), 'ERR_POLICY_BUNDLE_SIGNATURE', /does not verify/);
  });

  test('a key id the caller does not trust is refused', async () => {
    await refused(read(OPA_ES256, { form: 'opa', keys: { default: es256 } }), 'ERR_POLICY_BUNDLE_SIGNATURE', /no trusted key has key id "city-es256"/);
    await refused(read(OPA_ES256, { form: 'opa', keys: {} }), 'ERR_POLICY_BUNDLE_SIGNATURE', /no trusted key/);
  });

  test('key ids are looked up as own properties only ("constructor", "__proto__")', async () => {
    for (const kid of ['constructor', '__proto__', 'toString']) {
      const bundle = await opaSigned(withoutSignatures(UNSIGNED), { header: (h) => { h.kid = kid; } });
      await refused(read(bundle, { form: 'opa', keys: {} }), 'ERR_POLICY_BUNDLE_SIGNATURE', /no trusted key/);
    }
  });

  test('algorithm confusion: the key fixes the algorithm (an Ed25519 key for an ES256 JWS is refused)', async () => {
    await refused(read(OPA_ES256, { form: 'opa', keys: { 'city-es256': eddsa } }), 'ERR_POLICY_BUNDLE_SIGNATURE', /alg "ES256" is not EdDSA/);
    for (const alg of ['none', 'HS256', 'RS256', 'ES384', 'es256']) {
      const bundle = await opaSigned(withoutSignatures(UNSIGNED), { header: (h) => { h.alg = alg; } });
      await refused(read(bundle, testOpa()), 'ERR_POLICY_BUNDLE_SIGNATURE', /JWS alg/);
    }
  });

  test('unsigned, or with its signature stripped, when an OPA signature is required: refused', async () => {
    await refused(read(UNSIGNED, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /no \.signatures\.json/);
    await refused(read(packBundle(withoutSignatures(OPA_ES256)), opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /no \.signatures\.json/);
    await refused(read(WARD_SIGNED, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /no \.signatures\.json/);
  });

  test('scope must match exactly, as in OPA (absent scope matches only an unscoped signature)', async () => {
    await refused(read(OPA_NESTED, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /scope/);
    await refused(read(OPA_NESTED, { ...opa, scope: 'town' } as PolicyBundleVerification), 'ERR_POLICY_BUNDLE_SIGNATURE', /scope/);
    await refused(read(OPA_ES256, { ...opa, scope: 'city' } as PolicyBundleVerification), 'ERR_POLICY_BUNDLE_SIGNATURE', /scope/);
  });

  test('a JWS Ward signs in OPA form verifies (the test signer below is sound)', async () => {
    const bundle = await opaSigned(withoutSignatures(UNSIGNED));
    expect((await read(bundle, testOpa())).signature).toEqual({ form: 'opa', keyId: 'test-es256' });
    const legacy = await opaSigned(withoutSignatures(UNSIGNED), { header: (h) => { delete h.kid; }, payload: (p) => { p.keyid = 'test-es256'; } });
    expect((await read(legacy, testOpa())).signature.keyId).toBe('test-es256');
    const upper = await opaSigned(withoutSignatures(UNSIGNED), { payload: (p) => { for (const f of p.files) f.hash = f.hash.toUpperCase(); } });
    await expect(read(upper, testOpa())).resolves.toBeDefined();
  });

  test.each([
    ['two JWS', { signatures: (t: string[]) => ({ signatures: [t[0], t[0]] }) }, /exactly one JWS/],
    ['no JWS', { signatures: () => ({ signatures: [] }) }, /exactly one JWS/],
    ['a signing plugin', { signatures: (t: string[]) => ({ signatures: t, plugin: 'hsm-plugin' }) }, /plugin/],
    ['an unknown field', { signatures: (t: string[]) => ({ signatures: t, extra: 1 }) }, /unknown field/],
    ['a crit header', { header: (h: Record<string, unknown>) => { h.crit = ['exp']; } }, /crit or b64/],
    ['an unencoded payload (b64)', { header: (h: Record<string, unknown>) => { h.b64 = false; } }, /crit or b64/],
    ['a kid that differs from the keyid claim', { payload: (p: Record<string, unknown>) => { p.keyid = 'city-es256'; } }, /kid and the payload keyid differ/],
    ['no key id at all', { header: (h: Record<string, unknown>) => { delete h.kid; } }, /names no key id/],
    ['an MD5 file hash', { payload: (p: { files: { algorithm: string }[] }) => { p.files[0]!.algorithm = 'MD5'; } }, /not SHA-256/],
    ['a name listed twice', { payload: (p: { files: unknown[] }) => { p.files.push(p.files[0]); } }, /twice/],
    ['a non-canonical name', { payload: (p: { files: { name: string }[] }) => { p.files[0]!.name = `/${p.files[0]!.name}`; } }, /canonical form/],
    ['a traversal name', { payload: (p: { files: { name: string }[] }) => { p.files[0]!.name = '../x'; } }, /unusable path/],
    ['a short hash', { payload: (p: { files: { hash: string }[] }) => { p.files[0]!.hash = 'abcd'; } }, /64 hex digits/],
    ['an unknown file entry field', { payload: (p: { files: Record<string, unknown>[] }) => { p.files[0]!.size = 1; } }, /unknown field/],
    ['no files list', { payload: (p: Record<string, unknown>) => { delete p.files; } }, /no "files" list/],
    ['a signature by another key', { key: undefined as unknown as SigningKey, other: true }, /does not verify/],
  ])('a JWS with %s is refused', async (_, edit, message) => {
    const options = { ...edit } as Parameters<typeof opaSigned>[1] & { other?: boolean };
    if (options.other) options.key = await backend.generateKey('ECDSA-P256');
    await refused(read(await opaSigned(withoutSignatures(UNSIGNED), options), testOpa()), 'ERR_POLICY_BUNDLE_SIGNATURE', message);
  });

  test('malformed .signatures.json and JWS encodings are refused', async () => {
    const good = unpackBundle(await opaSigned(withoutSignatures(UNSIGNED)));
    const token = (JSON.parse(text(good.get('.signatures.json')!)) as { signatures: string[] }).signatures[0]!;
    const [h, p, s] = token.split('.') as [string, string, string];
    const cases: [string, RegExp][] = [
      ['not json', /malformed/],
      ['{"signatures": ["a.b"]}', /compact form/],
      [JSON.stringify({ signatures: [`${h}=.${p}.${s}`] }), /base64url/],
      [JSON.stringify({ signatures: [`${h}.${p}.${s}A`] }), /base64url|64 bytes/],
      [JSON.stringify({ signatures: [`${h.slice(0, -1)}${h.endsWith('0') ? '1' : '0'}.${p}.${s}`] }), /malformed|canonical|does not verify/],
      [JSON.stringify({ signatures: [`${b64url(utf8('[1]'))}.${p}.${s}`] }), /not a JSON object/],
      [JSON.stringify({ signatures: [`${h}.${p}.${b64url(new Uint8Array(70))}`] }), /64 bytes/],
    ];
    for (const [document, message] of cases) {
      const files = new Map(good);
      files.set('.signatures.json', utf8(document));
      await refused(read(packBundle(files), testOpa()), 'ERR_POLICY_BUNDLE_SIGNATURE', message);
    }
  });

  test('a .signatures.cose next to .signatures.json must be in the OPA-signed list (as in OPA)', async () => {
    const both = await signPolicyBundle(OPA_ES256, { backend, signer: { key: adminKey, kid: adminKid }, issuer: ISSUER });
    await refused(read(both, opa), 'ERR_POLICY_BUNDLE_SIGNATURE', /".signatures.cose" is not covered/);
    expect((await read(both, ward)).signature.form).toBe('ward');
  });
});

describe('signPolicyBundle and readPolicyBundle: Ward-signed bundles', () => {
  test('sign, then read with the trust store: same content, signature facts', async () => {
    const bundle = await read(WARD_SIGNED, ward);
    const plain = await read(UNSIGNED, NONE);
    expect(bundle.signature).toEqual({ form: 'ward', keyId: toHex(adminKid), issuer: ISSUER, issuedAt: expect.any(Number) as number });
    expect(bundle.wasm).toEqual(plain.wasm);
    expect(bundle.data).toEqual(plain.data);
    expect(bundle.manifest).toEqual(plain.manifest);
    expect(bundle.digest).toEqual(await sha256(WARD_SIGNED));
  });

  test('with a P-256 (ES256) signer, and with a bare verifying key as trust', async () => {
    const signed = await signPolicyBundle(UNSIGNED, { backend, signer: { key: p256AdminKey, kid: p256AdminKid }, issuer: ISSUER });
    expect((await read(signed, ward)).signature.keyId).toBe(toHex(p256AdminKid));
    const bare = await read(signed, { form: 'ward', trust: await backend.publicKey(p256AdminKey) });
    expect(bare.signature.issuer).toBe(ISSUER);
  });

  test('deterministic: sorted entries, canonical names, mtime 0; equal bytes for an Ed25519 signer and fixed issuedAt', async () => {
    const options = { backend, signer: { key: adminKey, kid: adminKid }, issuer: ISSUER, issuedAt: 1_767_225_600 };
    const a = await signPolicyBundle(UNSIGNED, options);
    expect(a).toEqual(await signPolicyBundle(UNSIGNED, options));
    expect([...unpackBundle(a).keys()]).toEqual(['.manifest', '.signatures.cose', 'data.json', 'policy.rego', 'policy.wasm']);
    const names = readTar(gunzipSync(a), DEFAULT_POLICY_BUNDLE_LIMITS).length;
    expect(names).toBe(5);
    expect(text(gunzipSync(a).subarray(0, 12))).toBe('/.manifest\0\0');
    expect(text(gunzipSync(a).subarray(136, 147))).toBe('00000000000');
    expect((await read(a, ward)).signature.issuedAt).toBe(1_767_225_600);
  });

  test('re-signing replaces .signatures.cose; .signatures.json is kept byte for byte', async () => {
    const once = await signPolicyBundle(OPA_ES256, { backend, signer: { key: adminKey, kid: adminKid }, issuer: ISSUER });
    const twice = await signPolicyBundle(once, { backend, signer: { key: p256AdminKey, kid: p256AdminKid }, issuer: ISSUER });
    const files = unpackBundle(twice);
    expect([...files.keys()].filter((p) => p === '.signatures.cose')).toHaveLength(1);
    expect(files.get('.signatures.json')).toEqual(unpackBundle(OPA_ES256).get('.signatures.json'));
    expect((await read(twice, ward)).signature.keyId).toBe(toHex(p256AdminKid));
  });

  test.each(['policy.wasm', 'policy.rego', 'data.json', '.manifest'])('tampering: a flipped byte in %s is refused', async (path) => {
    const tampered = modify(WARD_SIGNED, (files) => files.set(path, flipByte(files.get(path)!)));
    const error = await refused(read(tampered, ward), path === 'policy.wasm' || path === 'policy.rego' ? 'ERR_POLICY_BUNDLE_SIGNATURE' : 'ERR_POLICY_BUNDLE_SIGNATURE');
    expect(error.message).toMatch(new RegExp(`"${path.replace('.', '\\.')}" does not match its signed hash`));
  });

  test('Ward hashes raw bytes: even a whitespace change in data.json is refused', async () => {
    const tampered = modify(WARD_SIGNED, (files) => files.set('data.json', utf8(`${text(files.get('data.json')!)} `)));
    await refused(read(tampered, ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /"data.json" does not match/);
  });

  test('a missing file is refused', async () => {
    const tampered = modify(WARD_SIGNED, (files) => files.delete('policy.rego'));
    await refused(read(tampered, ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /lists "policy.rego", which the bundle does not hold/);
  });

  test('an extra file is refused', async () => {
    const tampered = modify(WARD_SIGNED, (files) => files.set('notes.txt', utf8('hi')));
    await refused(read(tampered, ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /"notes.txt" is not covered/);
  });

  test('a bad signature is refused (VerificationError in cause)', async () => {
    const tampered = modify(WARD_SIGNED, (files) => {
      const cose = files.get('.signatures.cose')!;
      files.set('.signatures.cose', flipByte(cose, cose.length - 5));
    });
    const error = await refused(read(tampered, ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /does not verify/);
    expect((error.cause as WardError).code).toBe('ERR_SIGNATURE_INVALID');
  });

  test('trust: an unknown signer, a producer key, a revoked key, another issuer are refused (TrustError in cause)', async () => {
    const strangerKey = await backend.generateKey('Ed25519');
    const stranger = await signPolicyBundle(UNSIGNED, { backend, signer: { key: strangerKey, kid: utf8('stranger') }, issuer: ISSUER });
    expect(((await refused(read(stranger, ward), 'ERR_POLICY_BUNDLE_SIGNATURE')).cause as WardError).code).toBe('ERR_TRUST_UNKNOWN_SIGNER');

    const store = new TrustStore({ backend });
    const producerKey = await backend.generateKey('Ed25519');
    const producer = await store.add({ key: await backend.publicKey(producerKey), issuer: ISSUER, roles: ['producer'] });
    const byProducer = await signPolicyBundle(UNSIGNED, { backend, signer: { key: producerKey, kid: producer.kid }, issuer: ISSUER });
    const roleError = await refused(read(byProducer, { form: 'ward', trust: store.keySource('policy-bundle') }), 'ERR_POLICY_BUNDLE_SIGNATURE');
    expect((roleError.cause as WardError).code).toBe('ERR_TRUST_ROLE');

    const otherIssuer = await signPolicyBundle(UNSIGNED, { backend, signer: { key: adminKey, kid: adminKid }, issuer: 'mallory' });
    expect(((await refused(read(otherIssuer, ward), 'ERR_POLICY_BUNDLE_SIGNATURE')).cause as WardError).code).toBe('ERR_TRUST_ISSUER_MISMATCH');

    const revokedKey = await backend.generateKey('Ed25519');
    const revoked = await store.add({ key: await backend.publicKey(revokedKey), issuer: ISSUER, roles: ['policy-bundle'] });
    const signed = await signPolicyBundle(UNSIGNED, { backend, signer: { key: revokedKey, kid: revoked.kid }, issuer: ISSUER });
    store.revoke(revoked.kid, { reason: 'laptop stolen' });
    expect(((await refused(read(signed, { form: 'ward', trust: store.keySource('policy-bundle') }), 'ERR_POLICY_BUNDLE_SIGNATURE')).cause as WardError).code).toBe('ERR_TRUST_REVOKED');
  });

  test('unsigned, OPA-signed or stripped bundles are refused when a Ward signature is required', async () => {
    await refused(read(UNSIGNED, ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /no \.signatures\.cose/);
    await refused(read(OPA_ES256, ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /no \.signatures\.cose/);
    await refused(read(packBundle(withoutSignatures(WARD_SIGNED)), ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /no \.signatures\.cose/);
  });

  /** A `.signatures.cose` over the digests of `files` as `edit` changes them. */
  async function wardCose(files: Map<string, Uint8Array>, revision: string, edit?: (d: Map<string, Uint8Array>) => void): Promise<Uint8Array> {
    const digests = new Map<string, Uint8Array>();
    for (const [path, data] of files) digests.set(path, await sha256(data));
    edit?.(digests);
    return signWardSignature(digests, revision, { backend, signer: { key: adminKey, kid: adminKid }, issuer: ISSUER, issuedAt: 1_767_225_600 });
  }

  test('revision substitution: a signature over another revision is refused', async () => {
    const files = withoutSignatures(UNSIGNED);
    files.set('.signatures.cose', await wardCose(withoutSignatures(UNSIGNED), '2020.1.1'));
    await refused(read(packBundle(files), ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /signed revision "2020.1.1" is not the manifest's "2026.11.1"/);
  });

  test('a signed path in non-canonical form, or a digest of the wrong size, is refused', async () => {
    const files = withoutSignatures(UNSIGNED);
    files.set('.signatures.cose', await wardCose(withoutSignatures(UNSIGNED), '2026.11.1', (d) => {
      d.set('/policy.wasm', d.get('policy.wasm')!);
      d.delete('policy.wasm');
    }));
    await refused(read(packBundle(files), ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /canonical form/);
    files.set('.signatures.cose', await wardCose(withoutSignatures(UNSIGNED), '2026.11.1', (d) => d.set('policy.wasm', new Uint8Array(31))));
    await refused(read(packBundle(files), ward), 'ERR_POLICY_BUNDLE_SIGNATURE', /32-byte/);
  });

  test('confusion with other signed objects: another content type, a protected parameter the format does not define, unprotected parameters, extra claims are refused', async () => {
    const files = withoutSignatures(UNSIGNED);
    const digests = new Map<CborValue, CborValue>();
    for (const [path, data] of files) digests.set(path, await sha256(data));
    const payload = encodeCbor(new Map<CborValue, CborValue>([[1, '2026.11.1'], [2, digests]]));
    const claims = (extra: [number, CborValue][] = []): Map<CborValue, CborValue> => new Map<CborValue, CborValue>([[ClaimKey.issuer, ISSUER], [ClaimKey.issuedAt, 1_767_225_600], ...extra]);
    const variants: [Parameters<typeof createSign1>[1], RegExp][] = [
      [{ backend, key: adminKey, kid: adminKid, protectedHeader: new Map<number | string, CborValue>([[HeaderLabel.contentType, 'application/ward-trust-store+cbor'], [HeaderLabel.cwtClaims, claims()]]) }, /content type/],
      [{ backend, key: adminKey, kid: adminKid, protectedHeader: new Map<number | string, CborValue>([[HeaderLabel.contentType, POLICY_BUNDLE_CONTENT_TYPE], [HeaderLabel.cwtClaims, claims()], [99, 1]]) }, /protected header parameter the format does not define/],
      [{ backend, key: adminKey, kid: adminKid, protectedHeader: new Map<number | string, CborValue>([[HeaderLabel.contentType, POLICY_BUNDLE_CONTENT_TYPE], [HeaderLabel.cwtClaims, claims()]]), unprotectedHeader: new Map([[99, 1]]) }, /unprotected/],
      [{ backend, key: adminKey, kid: adminKid, protectedHeader: new Map<number | string, CborValue>([[HeaderLabel.contentType, POLICY_BUNDLE_CONTENT_TYPE], [HeaderLabel.cwtClaims, claims([[4, 1]])]]) }, /only iss and iat/],
    ];
    for (const [options, message] of variants) {
      files.set('.signatures.cose', await createSign1(payload, options));
      await refused(read(packBundle(files), ward), 'ERR_POLICY_BUNDLE_SIGNATURE', message);
    }
  });

  test('signPolicyBundle refuses a bundle Ward would not read, and bad options', async () => {
    const signer = { key: adminKey, kid: adminKid };
    await refused(signPolicyBundle(utf8('not a bundle'), { backend, signer, issuer: ISSUER }), 'ERR_POLICY_BUNDLE_INVALID');
    await refused(signPolicyBundle(modify(UNSIGNED, (f) => f.delete('policy.wasm')), { backend, signer, issuer: ISSUER }), 'ERR_POLICY_BUNDLE_INVALID', /no policy.wasm/);
    await refused(signPolicyBundle(UNSIGNED, { backend, signer, issuer: ISSUER, limits: { maxFiles: 4 } }), 'ERR_POLICY_BUNDLE_INVALID', /maxFiles/);
    await expect(signPolicyBundle(UNSIGNED, { backend, signer, issuer: '' })).rejects.toThrow(ArgumentError);
    await expect(signPolicyBundle(UNSIGNED, { backend, signer: { key: adminKey, kid: new Uint8Array(0) }, issuer: ISSUER })).rejects.toThrow(ArgumentError);
    await expect(signPolicyBundle(UNSIGNED, { backend, signer, issuer: ISSUER, issuedAt: -1 })).rejects.toThrow(ArgumentError);
    await expect(signPolicyBundle('x' as unknown as Uint8Array, { backend, signer, issuer: ISSUER })).rejects.toThrow(ArgumentError);
  });
});

describe('readPolicyBundle: layout, manifest, data and wasm', () => {
  const unsignedFiles = (): Map<string, Uint8Array> => withoutSignatures(UNSIGNED);
  const withFiles = (change: (files: Map<string, Uint8Array>) => void): Uint8Array => {
    const files = unsignedFiles();
    change(files);
    return packBundle(files);
  };
  const manifest = (value: unknown): Uint8Array => withFiles((f) => f.set('.manifest', utf8(JSON.stringify(value))));
  const WASM_ENTRY = [{ entrypoint: 'ward/authz/decision', module: '/policy.wasm' }];

  test('data.json files merge at their directory paths; objects merge key by key', async () => {
    const bundle = await read(withFiles((f) => {
      f.set('data.json', utf8('{"zones": {"north": {"open": true}}}'));
      f.set('zones/north/data.json', utf8('{"sensors": ["s-1"]}'));
      f.set('a/b/c/data.json', utf8('[1, 2]'));
      f.set('x/data.json', utf8('"leaf"'));
    }), NONE);
    expect(bundle.data).toEqual({ zones: { north: { open: true, sensors: ['s-1'] } }, a: { b: { c: [1, 2] } }, x: 'leaf' });
  });

  test('conflicting data files are refused; the root data.json must be an object', async () => {
    await refused(read(withFiles((f) => {
      f.set('data.json', utf8('{"zones": {"north": 1}}'));
      f.set('zones/north/data.json', utf8('{"sensors": []}'));
    }), NONE), 'ERR_POLICY_BUNDLE_INVALID', /two data files set data.zones.north/);
    await refused(read(withFiles((f) => f.set('data.json', utf8('[1]'))), NONE), 'ERR_POLICY_BUNDLE_INVALID', /must hold a JSON object/);
  });

  test('data.json is parsed strictly (duplicate keys, depth limit)', async () => {
    await refused(read(withFiles((f) => f.set('data.json', utf8('{"a":1,"a":2}'))), NONE), 'ERR_POLICY_BUNDLE_INVALID', /duplicate key/);
    await refused(read(withFiles((f) => f.set('data.json', utf8('{"a":[[[[1]]]]}'))), NONE, { maxJsonDepth: 4 }), 'ERR_POLICY_BUNDLE_INVALID', /maxJsonDepth/);
  });

  test('no manifest: revision "", /policy.wasm', async () => {
    const bundle = await read(withFiles((f) => f.delete('.manifest')), NONE);
    expect(bundle.revision).toBe('');
    expect(bundle.manifest).toEqual({ revision: '' });
  });

  test('the manifest is read strictly', async () => {
    const cases: [unknown, RegExp][] = [
      [[], /not a JSON object/],
      [{ revision: 7 }, /revision is not a string/],
      [{ revision: 'r', signing: {} }, /unknown field "signing"/],
      [{ roots: 'a' }, /roots must be an array/],
      [{ roots: [1] }, /roots must be an array/],
      [{ wasm: {} }, /wasm is not an array/],
      [{ wasm: [{ entrypoint: 'ward/authz/decision' }] }, /entrypoint and module/],
      [{ wasm: [{ entrypoint: 'ward/authz/decision', module: '/policy.wasm', extra: 1 }] }, /unknown field "extra"/],
      [{ wasm: [{ entrypoint: 'a', module: '/other.wasm' }] }, /"\/other.wasm", which the bundle does not hold/],
      [{ wasm: [...WASM_ENTRY, ...WASM_ENTRY] }, /twice/],
      [{ metadata: [] }, /metadata is not an object/],
      [{ rego_version: 2 }, /rego_version must be 0 or 1/],
      [{ file_rego_versions: { 'a.rego': 3 } }, /file_rego_versions/],
    ];
    for (const [value, message] of cases) await refused(read(manifest(value), NONE), 'ERR_POLICY_BUNDLE_INVALID', message);
    const ok = await read(manifest({ revision: 'r', rego_version: 1, file_rego_versions: { 'a.rego': 0 }, wasm: [{ ...WASM_ENTRY[0], annotations: [] }] }), NONE);
    expect(ok.manifest).toEqual({ revision: 'r', wasm: WASM_ENTRY });
  });

  test('manifest roots: overlapping roots, data outside the roots, entrypoints outside the roots are refused', async () => {
    await refused(read(manifest({ roots: ['zones', 'zones/north'] }), NONE), 'ERR_POLICY_BUNDLE_INVALID', /overlapping roots/);
    await refused(read(manifest({ roots: ['', 'x'] }), NONE), 'ERR_POLICY_BUNDLE_INVALID', /overlapping roots/);
    await refused(read(manifest({ roots: ['zones', 'ward'] }), NONE), 'ERR_POLICY_BUNDLE_INVALID', /do not permit data at "city"/);
    await refused(read(manifest({ roots: ['city', 'limits', 'zones'], wasm: WASM_ENTRY }), NONE), 'ERR_POLICY_BUNDLE_INVALID', /entrypoint "ward\/authz\/decision"/);
    const ok = await read(manifest({ roots: ['city', 'limits', 'zones/north', 'ward'], wasm: WASM_ENTRY }), NONE);
    expect(ok.manifest.roots).toEqual(['city', 'limits', 'zones/north', 'ward']);
  });

  test('wasm: none, two, a nested one the manifest does not name, and non-wasm bytes are refused', async () => {
    await refused(read(withFiles((f) => f.delete('policy.wasm')), NONE), 'ERR_POLICY_BUNDLE_INVALID', /no policy.wasm/);
    await refused(read(withFiles((f) => f.set('other/policy.wasm', f.get('policy.wasm')!)), NONE), 'ERR_POLICY_BUNDLE_INVALID', /more than one policy.wasm/);
    const nested = withFiles((f) => {
      f.set('lib/policy.wasm', f.get('policy.wasm')!);
      f.delete('policy.wasm');
      f.delete('.manifest');
    });
    await refused(read(nested, NONE), 'ERR_POLICY_BUNDLE_INVALID', /no \/policy.wasm/);
    await refused(read(withFiles((f) => f.set('policy.wasm', utf8('not wasm at all'))), NONE), 'ERR_POLICY_BUNDLE_INVALID', /not a WebAssembly/);
    const named = withFiles((f) => {
      f.set('lib/policy.wasm', f.get('policy.wasm')!);
      f.delete('policy.wasm');
      f.set('.manifest', utf8(JSON.stringify({ revision: 'r', wasm: [{ entrypoint: 'ward/authz/decision', module: '/lib/policy.wasm' }] })));
    });
    expect((await read(named, NONE)).wasm).toEqual((await read(UNSIGNED, NONE)).wasm);
  });

  test.each([
    ['zones/data.yaml', /YAML/], ['data.yml', /YAML/], ['patch.json', /delta bundles/], ['.manifest.pb', /protobuf/],
    ['sub/.manifest', /belongs in the bundle root/], ['sub/.signatures.json', /belongs in the bundle root/],
    ['sub/.signatures.cose', /belongs in the bundle root/], ['.hidden/data.json', /may not begin with "."/],
  ])('layout: %s is refused', async (path, message) => {
    await refused(read(withFiles((f) => f.set(path, utf8('{}'))), NONE), 'ERR_POLICY_BUNDLE_INVALID', message);
  });

  test('other files (README, extra .wasm, Rego) are carried and ignored', async () => {
    await expect(read(withFiles((f) => {
      f.set('README.md', utf8('# policy'));
      f.set('extra.wasm', utf8('x'));
      f.set('lib/helpers.rego', utf8('package lib'));
    }), NONE)).resolves.toBeDefined();
  });
});

describe('readPolicyBundle: malformed archives', () => {
  const tarOf = (entries: Parameters<typeof tarArchive>[0]): Uint8Array => gzip(tarArchive(entries));
  const wasm = (): Uint8Array => unpackBundle(UNSIGNED).get('policy.wasm')!;

  test('truncated, corrupt, or not gzip at all', async () => {
    await refused(read(UNSIGNED.subarray(0, UNSIGNED.length - 1), NONE), 'ERR_POLICY_BUNDLE_INVALID');
    await refused(read(UNSIGNED.subarray(0, 1000), NONE), 'ERR_POLICY_BUNDLE_INVALID');
    await refused(read(flipByte(UNSIGNED, 2000), NONE), 'ERR_POLICY_BUNDLE_INVALID');
    await refused(read(new Uint8Array(0), NONE), 'ERR_POLICY_BUNDLE_INVALID', /too short/);
    await refused(read(utf8('{"not": "a bundle", "padding": "xxxxxxxxxxxxxxxx"}'), NONE), 'ERR_POLICY_BUNDLE_INVALID', /not gzip/);
  });

  test('a truncated tar inside a good gzip', async () => {
    const archive = tarArchive([{ header: tarHeader({ name: 'policy.wasm', size: wasm().length }), data: wasm() }]);
    await refused(read(gzip(archive.subarray(0, archive.length - 1024)), NONE), 'ERR_POLICY_BUNDLE_INVALID', /truncated/);
  });

  test('a bad header checksum', async () => {
    await refused(read(tarOf([{ header: tarHeader({ name: 'policy.wasm', size: wasm().length, checksumDelta: -1 }), data: wasm() }]), NONE), 'ERR_POLICY_BUNDLE_INVALID', /checksum/);
  });

  test('a symlink entry (e.g. policy.wasm → /etc/passwd)', async () => {
    await refused(read(tarOf([{ header: tarHeader({ name: 'policy.wasm', type: '2', linkname: '/etc/passwd' }) }]), NONE), 'ERR_POLICY_BUNDLE_INVALID', /symbolic link/);
  });

  test('a "../" path', async () => {
    await refused(read(tarOf([{ header: tarHeader({ name: '../policy.wasm', size: wasm().length }), data: wasm() }]), NONE), 'ERR_POLICY_BUNDLE_INVALID', /"\.\."/);
  });

  test('a duplicate path (a second policy.wasm shadowing the first)', async () => {
    const entry = { header: tarHeader({ name: 'policy.wasm', size: wasm().length }), data: wasm() };
    await refused(read(tarOf([entry, { ...entry, header: tarHeader({ name: '/policy.wasm', size: wasm().length }) }]), NONE), 'ERR_POLICY_BUNDLE_INVALID', /twice/);
  });

  test('too many files, an oversized file, a pax header that smuggles a size', async () => {
    await refused(read(UNSIGNED, NONE, { maxFiles: 3 }), 'ERR_POLICY_BUNDLE_INVALID', /maxFiles \(3\)/);
    await refused(read(UNSIGNED, NONE, { maxFileBytes: 100_000 }), 'ERR_POLICY_BUNDLE_INVALID', /maxFileBytes/);
    await refused(read(UNSIGNED, NONE, { maxUncompressedBytes: 100_000 }), 'ERR_POLICY_BUNDLE_INVALID', /maxUncompressedBytes/);
    const pax = paxRecords([['size', String(2 ** 40)]]);
    await refused(read(tarOf([{ header: tarHeader({ type: 'x', size: pax.length }), data: pax }, { header: tarHeader({ name: 'policy.wasm' }) }]), NONE), 'ERR_POLICY_BUNDLE_INVALID', /maxFileBytes/);
  });

  test('a gzip bomb (64 MiB of zeros in 64 KiB) stops at maxUncompressedBytes', async () => {
    const gzipper = createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gzipper.on('data', (part: Buffer) => parts.push(part));
    const done = new Promise((resolve) => gzipper.on('end', resolve));
    for (let i = 0; i < 64; i++) gzipper.write(Buffer.alloc(1024 * 1024));
    gzipper.end();
    await done;
    const bomb = new Uint8Array(Buffer.concat(parts));
    expect(bomb.length).toBeLessThan(128 * 1024);
    await refused(read(bomb, NONE), 'ERR_POLICY_BUNDLE_INVALID', /maxUncompressedBytes \(33554432\)/);
    /* Stopped at the limit, not at the end: three quarters of the bomb (~48 MiB of output, no
     * trailer) are refused for their size too, not as truncated. */
    await refused(read(bomb.subarray(0, (bomb.length * 3) >> 2), NONE), 'ERR_POLICY_BUNDLE_INVALID', /maxUncompressedBytes \(33554432\)/);
  });
});

describe('readPolicyBundle: options', () => {
  test('verification is required and explicit; bad options are ArgumentErrors', async () => {
    const bad: unknown[] = [
      undefined, null, {}, { verification: undefined }, { verification: { form: 'unsigned' } }, { verification: { form: 'opa' } },
      { verification: { form: 'opa', keys: {}, scope: 1 } }, { verification: { form: 'ward' } },
      { verification: NONE, limits: { maxFiles: 0 } }, { verification: NONE, limits: { maxJsonDepth: 1001 } },
      { verification: NONE, limits: { maxFileBytes: 1.5 } }, { verification: NONE, limits: 'big' },
    ];
    for (const options of bad) {
      const full = options === undefined || options === null ? options : { backend, ...(options as object) };
      await expect(readPolicyBundle(UNSIGNED, full as unknown as ReadPolicyBundleOptions)).rejects.toThrow(ArgumentError);
    }
    await expect(readPolicyBundle([1, 2] as unknown as Uint8Array, { backend, verification: NONE })).rejects.toThrow(ArgumentError);
    await expect(readPolicyBundle(UNSIGNED, { verification: NONE } as unknown as ReadPolicyBundleOptions)).rejects.toThrow(ArgumentError);
  });

  test('DEFAULT_POLICY_BUNDLE_LIMITS', () => {
    expect(DEFAULT_POLICY_BUNDLE_LIMITS).toEqual({ maxUncompressedBytes: 32 * 1024 * 1024, maxFiles: 1024, maxFileBytes: 16 * 1024 * 1024, maxJsonDepth: 64 });
    expect(Object.isFrozen(DEFAULT_POLICY_BUNDLE_LIMITS)).toBe(true);
  });
});

describe('properties', () => {
  const isPolicyRefusal = (error: unknown): boolean => WardError.isInstance(error) && error.code.startsWith('ERR_POLICY_BUNDLE_');

  test('random bytes only ever throw a PolicyError', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, gzipped) => {
      const input = gzipped ? gzip(bytes) : bytes;
      await read(input, NONE).then(
        () => expect.unreachable('random bytes were read as a bundle'),
        (error: unknown) => expect(isPolicyRefusal(error), String(error)).toBe(true),
      );
    }), { numRuns: 200 });
  });

  test('bit flips of an unsigned bundle: read, or refused with a PolicyError', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(UNSIGNED.length * 8 - 1), async (bit) => {
      const flipped = UNSIGNED.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      await read(flipped, NONE).catch((error: unknown) => expect(isPolicyRefusal(error), String(error)).toBe(true));
    }), { numRuns: 150 });
  });

  /** A flip may only ever verify when it changed nothing the policy sees (gzip MTIME/XFL/OS, padding bits). */
  async function neverVerifiesChanged(signed: Uint8Array, verification: () => PolicyBundleVerification): Promise<void> {
    const original = await read(signed, verification());
    await fc.assert(fc.asyncProperty(fc.nat(signed.length * 8 - 1), async (bit) => {
      const flipped = signed.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      let bundle: PolicyBundle;
      try {
        bundle = await read(flipped, verification());
      } catch (error) {
        expect(isPolicyRefusal(error), String(error)).toBe(true);
        return;
      }
      expect(bundle.wasm).toEqual(original.wasm);
      expect(bundle.data).toEqual(original.data);
      expect(bundle.manifest).toEqual(original.manifest);
    }), { numRuns: 150 });
  }

  test('bit flips of a Ward-signed bundle never verify with changed content', async () => {
    await neverVerifiesChanged(WARD_SIGNED, () => ward);
  });

  test('bit flips of an OPA-signed bundle never verify with changed content', async () => {
    await neverVerifiesChanged(OPA_ES256, () => opa);
  });

  test('bit flips inside the files of a Ward-signed bundle (re-packed) are always refused', async () => {
    const files = unpackBundle(WARD_SIGNED);
    const paths = [...files.keys()].filter((p) => p !== '.signatures.cose');
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), fc.nat(), fc.nat(7), async (path, at, bit) => {
      const data = files.get(path)!.slice();
      data[at % data.length]! ^= 1 << bit;
      const tampered = new Map(files);
      tampered.set(path, data);
      await refused(read(packBundle(tampered), ward), 'ERR_POLICY_BUNDLE_SIGNATURE');
    }), { numRuns: 60 });
  });
});

/** The OPA binary, if this machine has one (scripts/ensure-opa.sh installs it); the interop test is skipped otherwise. */
function findOpa(): string | undefined {
  const candidates = [process.env.WARD_OPA, new URL('../../../../../policies/.opa/v1.22.2/opa', import.meta.url).pathname];
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v opa'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const OPA = findOpa();

describe.skipIf(OPA === undefined)('interop with the OPA binary', () => {
  test('OPA reads a bundle signPolicyBundle wrote (pax tar, gzip), and its policy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ward-bundle-'));
    try {
      const path = join(dir, 'signed.tar.gz');
      writeFileSync(path, WARD_SIGNED);
      const output = execFileSync(OPA!, ['inspect', '--format', 'json', path], { encoding: 'utf8' });
      const inspected = JSON.parse(output) as { manifest: { revision: string } };
      expect(inspected.manifest.revision).toBe('2026.11.1');
      execFileSync(OPA!, ['build', '-b', path, '-o', join(dir, 'rebuilt.tar.gz')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
