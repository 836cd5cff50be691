#!/usr/bin/env node
/*
 * Ward's policy toolchain (policies/): test, build and check the Rego policy set with the real,
 * pinned OPA compiler (scripts/ensure-opa.sh installs it with `go install`).
 *
 *   node scripts/policies.mjs test    fmt --list, check --strict (with the input schema),
 *                                     `opa test -v`, coverage (fails under 90% of the policy
 *                                     lines, tests excluded), and the scenarios
 *   node scripts/policies.mjs build   compile to an OPA wasm bundle and write policies/dist/
 *                                     (bundle.tar.gz, policy.wasm, data.json, BUILD.json);
 *                                     bumps policies/REVISION when the sources changed
 *        [--out DIR]                  write there instead (policies/REVISION is left alone)
 *        [--signing-key PEM --signing-key-id ID [--signing-alg ES256] [--claims-file F]]
 *                                     sign the bundle (.signatures.json); needs --out
 *   node scripts/policies.mjs check   rebuild into a temporary directory and fail when
 *                                     policies/dist does not match the sources (CI); run the
 *                                     committed policy.wasm against opa eval on 2,000 inputs
 *   node scripts/policies.mjs stage DIR   write the directory opa build compiles (to run
 *                                     opa build by hand, e.g. with a signing key)
 *
 * Builds are reproducible: the same sources and OPA version give byte-identical artefacts
 * (OPA writes tar entries with zero times and a gzip header without a time), and BUILD.json
 * holds no timestamp. The compiled policy is also run here, in Node's own WebAssembly engine
 * through OPA's wasm ABI, on the scenarios: the artefact decides exactly like the
 * Rego source, and needs no host builtins (so any opa-wasm loader, device or browser, runs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const policies = join(root, 'policies');
const sourceDir = join(policies, 'ward');
const dataFile = join(policies, 'data.json');
const schemaFile = join(policies, 'input.schema.json');
const scenariosFile = join(policies, 'examples', 'scenarios.json');
const revisionFile = join(policies, 'REVISION');
const distDir = join(policies, 'dist');
const ENTRYPOINT = 'ward/authz/decision';
const ROOTS = ['ward'];
const COVERAGE_MIN = 90;
const ARTEFACTS = ['bundle.tar.gz', 'policy.wasm', 'data.json', 'BUILD.json'];

const rel = (path) => relative(root, path) || '.';
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const say = (text) => process.stdout.write(`${text}\n`);

class Failure extends Error {}
function fail(message) {
  throw new Failure(message);
}

// ---- OPA --------------------------------------------------------------------------------------

let opaBinary;
function opa() {
  if (opaBinary === undefined) {
    const found = spawnSync('bash', [join(root, 'scripts', 'ensure-opa.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (found.status !== 0) fail('scripts/ensure-opa.sh could not provide the pinned OPA (see above)');
    opaBinary = found.stdout.trim().split('\n').pop();
  }
  return opaBinary;
}

function opaVersion() {
  const out = execFileSync(opa(), ['version'], { encoding: 'utf8' });
  const match = /^Version: (\S+)$/m.exec(out);
  if (!match) fail(`cannot read the version from \`opa version\`:\n${out}`);
  return match[1];
}

/** Runs opa; returns { status, stdout, stderr } without throwing. */
function runOpa(args, options = {}) {
  const result = spawnSync(opa(), args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  return result;
}

function opaOrFail(args, what, options = {}) {
  const result = runOpa(args, options);
  if (result.status !== 0) fail(`${what} failed:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

// ---- sources ----------------------------------------------------------------------------------

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** The policy modules that go into the bundle: every .rego under policies/ward but the tests. */
function policyModules() {
  return walk(sourceDir)
    .filter((path) => path.endsWith('.rego') && !path.endsWith('_test.rego'))
    .sort();
}

/** SHA-256 over the bundle's sources (paths and bytes) and the compiler version. */
function sourceDigest(version) {
  const hash = createHash('sha256');
  hash.update(`opa ${version}\0`);
  for (const path of [...policyModules(), dataFile]) {
    hash.update(`${relative(policies, path).split(sep).join('/')}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readRevision() {
  if (!existsSync(revisionFile)) return undefined;
  const text = readFileSync(revisionFile, 'utf8').trim();
  if (!/^[0-9]+$/.test(text)) fail(`${rel(revisionFile)} must hold one all-digit revision, not "${text}"`);
  return text;
}

/**
 * The revision to build. Revisions are all-digit and only ever grow (YYYYMMDDNN), because the
 * SDK refuses to activate a bundle whose revision is lower than the active one, or the same
 * revision with different contents. A build to policies/dist bumps policies/REVISION when the
 * sources differ from what dist/ was built from.
 */
function revisionFor(digest, bump) {
  const current = readRevision();
  if (!bump) {
    if (current === undefined) fail(`${rel(revisionFile)} is missing: run \`npm run policies:build\``);
    return current;
  }
  let built;
  try {
    built = JSON.parse(readFileSync(join(distDir, 'BUILD.json'), 'utf8'));
  } catch {
    built = undefined;
  }
  // Unchanged sources, a first build, or a revision already raised by hand: keep it.
  if (current !== undefined && (built === undefined || built.sourceSha256 === digest || BigInt(current) > BigInt(built.revision))) return current;
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const candidates = [BigInt(`${today}01`)];
  if (current !== undefined) candidates.push(BigInt(current) + 1n);
  if (built?.revision !== undefined) candidates.push(BigInt(built.revision) + 1n);
  const next = candidates.reduce((a, b) => (a > b ? a : b)).toString();
  writeFileSync(revisionFile, `${next}\n`);
  say(`policies: sources changed, ${rel(revisionFile)} ${current ?? '(new)'} -> ${next}`);
  return next;
}

// ---- bundle files -----------------------------------------------------------------------------

/** The entries of a .tar.gz (regular files only), by path without a leading slash. */
function readTarGz(bytes) {
  const tar = gunzipSync(bytes);
  const files = new Map();
  let pending;
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const text = (from, to) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(text(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 0x30);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    let name = text(0, 100);
    const prefix = text(345, 500);
    if (prefix) name = `${prefix}/${name}`;
    if (type === 'x') {
      const path = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      pending = path ? path[1] : undefined;
    } else if (type === '0' || type === '\0') {
      files.set((pending ?? name).replace(/^\/+/, ''), Buffer.from(body));
      pending = undefined;
    } else {
      pending = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

// ---- OPA wasm, run directly through its ABI ---------------------------------------------------

/**
 * Loads an OPA wasm module with no host builtins (the SDK's loaders provide some; this policy
 * must need none) and evaluates inputs through ABI 1.2's one-shot opa_eval.
 */
async function loadWasm(wasmBytes, data) {
  const memory = new WebAssembly.Memory({ initial: 5 });
  const cString = (addr) => {
    const bytes = new Uint8Array(memory.buffer);
    let end = addr;
    while (bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(addr, end)).toString('utf8');
  };
  const noBuiltin = () => {
    throw new Error('the policy called a host builtin');
  };
  const env = {
    memory,
    opa_abort: (addr) => {
      throw new Error(`opa_abort: ${cString(addr)}`);
    },
    opa_println: (addr) => process.stderr.write(`${cString(addr)}\n`),
    opa_builtin0: noBuiltin,
    opa_builtin1: noBuiltin,
    opa_builtin2: noBuiltin,
    opa_builtin3: noBuiltin,
    opa_builtin4: noBuiltin,
  };
  const { instance } = await WebAssembly.instantiate(wasmBytes, { env });
  const x = instance.exports;
  const abi = `${x.opa_wasm_abi_version.value}.${x.opa_wasm_abi_minor_version.value}`;
  const dumpJson = (valueAddr) => JSON.parse(cString(x.opa_json_dump(valueAddr)));
  const builtins = dumpJson(x.builtins());
  const entrypoints = dumpJson(x.entrypoints());

  const write = (text) => {
    const bytes = Buffer.from(text, 'utf8');
    const addr = x.opa_malloc(bytes.length);
    new Uint8Array(memory.buffer).set(bytes, addr);
    return [addr, bytes.length];
  };
  const dataAddr = x.opa_json_parse(...write(JSON.stringify(data)));
  if (dataAddr === 0) fail('the wasm could not parse data.json');
  const heap = x.opa_heap_ptr_get();
  const entrypoint = entrypoints[ENTRYPOINT];

  function evaluate(input) {
    const bytes = Buffer.from(JSON.stringify(input), 'utf8');
    const needed = heap + bytes.length - memory.buffer.byteLength;
    if (needed > 0) memory.grow(Math.ceil(needed / 65536));
    new Uint8Array(memory.buffer).set(bytes, heap);
    const resultAddr = x.opa_eval(0, entrypoint, dataAddr, heap, bytes.length, heap + bytes.length, 0);
    const resultSet = JSON.parse(cString(resultAddr));
    x.opa_heap_ptr_set(heap);
    return resultSet;
  }
  return { abi, builtins, entrypoints, evaluate };
}

// ---- scenarios --------------------------------------------------------------------------------

function scenarios() {
  const doc = JSON.parse(readFileSync(scenariosFile, 'utf8'));
  if (!Array.isArray(doc.scenarios) || doc.scenarios.length === 0) fail(`${rel(scenariosFile)} has no scenarios`);
  return doc.scenarios;
}

/** JSON with object keys sorted, so decisions compare by value. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function compareScenarios(label, decisions) {
  const cases = scenarios();
  const wrong = [];
  cases.forEach((scenario, i) => {
    const got = canonical(decisions[i]);
    const want = canonical(scenario.decision);
    if (got !== want) wrong.push(`  ${scenario.name}\n    want ${want}\n    got  ${got}`);
  });
  if (wrong.length > 0) fail(`${label}: ${wrong.length} of ${cases.length} scenarios decide differently from ${rel(scenariosFile)}:\n${wrong.join('\n')}`);
  say(`${label}: ${cases.length}/${cases.length} scenarios decide as ${rel(scenariosFile)} says`);
}

function scenariosOnRego() {
  const input = JSON.stringify(scenarios().map((s) => s.input));
  const out = opaOrFail(
    ['eval', '--format=json', '--stdin-input', '-d', rel(sourceDir), '-d', rel(dataFile), `[d | some s in input; d := data.ward.authz.decision with input as s]`],
    'opa eval (scenarios)',
    { input },
  );
  const value = JSON.parse(out).result?.[0]?.expressions?.[0]?.value;
  if (!Array.isArray(value)) fail(`opa eval returned no decisions for the scenarios:\n${out}`);
  compareScenarios('rego (opa eval)', value);
}

async function scenariosOnWasm(label, wasm, data) {
  const policy = await loadWasm(wasm, data);
  const decisions = scenarios().map((s) => {
    const resultSet = policy.evaluate(s.input);
    if (!Array.isArray(resultSet) || resultSet.length !== 1) fail(`${label}: ${s.name}: result set ${JSON.stringify(resultSet)}`);
    return resultSet[0].result;
  });
  compareScenarios(label, decisions);
  return policy;
}

/**
 * Inputs around the scenarios: each a scenario input with a few fields changed to other values
 * the policy distinguishes (roles, classifications, zones, purposes, times, emergencies, the
 * action) or to malformed ones. Deterministic (a fixed-seed PRNG).
 */
function variedInputs(count) {
  let seed = 0x5eed1234;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (list) => list[Math.floor(random() * list.length)];
  const base = scenarios().map((s) => s.input).filter((i) => i !== null && typeof i === 'object' && i.resource?.attributes);
  const now = 1795323102;
  const day = 86400;
  const changes = [
    (i) => (i.action = pick(['open', 'open', 'verify', 'rewrap', 'delete', 7])),
    (i) => (i.subject.roles = pick([['analyst'], ['operator'], ['auditor'], ['public'], ['emergency-services'], ['maintenance-contractor'], ['analyst', 'operator'], ['mayor'], [], 'analyst', [1]])),
    (i) => (i.subject.purpose = pick(['planning', 'operations', 'maintenance', 'emergency-response', 'audit', 'key-rotation', 'marketing', 3])),
    (i) => (i.subject.zones = pick([['market-square'], ['harbour'], ['old-town'], [], 'harbour'])),
    (i) => (i.subject.id = pick(['user:alice', 'contractor:metromaint:ravi', 'contractor:brightway:ana', 'contractor:nobody', ''])),
    (i) => (i.subject.organisation = pick(['MetroMaint Services', 'Brightway Lighting', 'Elsewhere Ltd', null])),
    (i) => (i.resource.attributes.classification = pick(['public', 'internal', 'personal', 'special-category', 'secret', 1])),
    (i) => (i.resource.attributes.zone = pick(['market-square', 'harbour', 'old-town', 5])),
    (i) => delete i.resource.attributes.zone,
    (i) => (i.resource.attributes.purpose = pick([['planning'], ['emergency-response', 'audit'], [], 'planning'])),
    (i) => delete i.resource.attributes.purpose,
    (i) => (i.resource.attributes.retention = pick([day, 30 * day, 400 * day, -1, 'long'])),
    (i) => (i.resource.attributes.owner = pick(['cctv-office', '', 9])),
    (i) => (i.resource.issuer = pick(['footfall-counter-17', 'aq-monitor-5', 'cctv-12', 'parking-sensor-31', 'lamp-controller-88', 'citizen-reports', 'unknown-device', ''])),
    (i) => (i.resource.stream = pick(['lighting/faults/lamp-88', 'lighting/energy/lamp-88', 'footfall/market-square'])),
    (i) => (i.resource.issuedAt = pick([now - 600, now - 31 * day, now - 400 * day, now + 60, now + 3600, -5])),
    (i) => (i.resource.rewrap = pick([{ issuer: 'city-archive', rewrappedAt: now }, { issuer: 'elsewhere', rewrappedAt: now }, { issuer: 'x' }])),
    (i) => (i.environment = pick([{ time: now }, { time: 1796166000 }, { time: 1893456000 }, { time: now, emergency: { declared: true } }, { time: now, emergency: { declared: false } }, { time: now, emergency: { declared: 'yes' } }, { time: 'now' }])),
    (i) => delete i[pick(['action', 'subject', 'resource', 'environment'])],
  ];
  const inputs = [];
  for (let n = 0; n < count; n++) {
    const input = structuredClone(pick(base));
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      try {
        pick(changes)(input);
      } catch {
        /* a change to a part an earlier change removed */
      }
    }
    inputs.push(input);
  }
  return inputs;
}

/** The compiled wasm and the Rego (opa eval) decide the same on many varied inputs. */
function wasmMatchesRego(label, policy, count = 2000) {
  const inputs = variedInputs(count);
  const out = opaOrFail(
    ['eval', '--format=json', '--stdin-input', '-d', rel(sourceDir), '-d', rel(dataFile), `[d | some s in input; d := data.ward.authz.decision with input as s]`],
    'opa eval (varied inputs)',
    { input: JSON.stringify(inputs) },
  );
  const rego = JSON.parse(out).result?.[0]?.expressions?.[0]?.value;
  if (!Array.isArray(rego) || rego.length !== inputs.length) fail(`opa eval returned no decisions for the varied inputs:\n${out.slice(0, 2000)}`);
  let allowed = 0;
  inputs.forEach((input, i) => {
    const resultSet = policy.evaluate(input);
    const wasm = resultSet?.[0]?.result;
    if (canonical(wasm) !== canonical(rego[i])) {
      fail(`${label}: the wasm and the Rego decide differently on\n  input ${JSON.stringify(input)}\n  wasm  ${canonical(wasm)}\n  rego  ${canonical(rego[i])}`);
    }
    if (wasm.allow === true) allowed++;
  });
  say(`${label}: decides like the Rego on ${inputs.length} varied inputs (${allowed} allowed, ${inputs.length - allowed} denied)`);
}

// ---- test -------------------------------------------------------------------------------------

async function test() {
  say(`opa ${opaVersion()} (${opa()})`);

  const unformatted = opaOrFail(['fmt', '--list', rel(sourceDir)], 'opa fmt --list').trim();
  if (unformatted !== '') fail(`not formatted with opa fmt:\n${unformatted}\nrun: ${opa()} fmt -w ${rel(sourceDir)}`);
  say('opa fmt: all files formatted');

  opaOrFail(['check', '--strict', '--schema', rel(schemaFile), rel(sourceDir), rel(dataFile)], 'opa check --strict');
  say('opa check --strict (input typed by policies/input.schema.json): ok');

  const verbose = runOpa(['test', '-v', rel(sourceDir), rel(dataFile)]);
  process.stdout.write(verbose.stdout);
  process.stderr.write(verbose.stderr);
  if (verbose.status !== 0) fail('opa test failed');
  const counted = /PASS: (\d+)\/(\d+)/.exec(verbose.stdout);

  const coverage = runOpa(['test', '--coverage', '--format=json', rel(sourceDir), rel(dataFile)]);
  if (coverage.status !== 0) fail(`opa test --coverage failed:\n${coverage.stdout}${coverage.stderr}`);
  const report = JSON.parse(coverage.stdout);
  let covered = 0;
  let total = 0;
  say('\ncoverage of the policy (test files excluded):');
  for (const [file, entry] of Object.entries(report.files).sort()) {
    if (file.endsWith('_test.rego')) continue;
    const c = entry.covered_lines ?? 0;
    const n = entry.not_covered_lines ?? 0;
    covered += c;
    total += c + n;
    const missed = (entry.not_covered ?? []).map((r) => (r.start.row === r.end.row ? `${r.start.row}` : `${r.start.row}-${r.end.row}`));
    say(`  ${file.padEnd(40)} ${String(c).padStart(4)}/${String(c + n).padEnd(4)} ${(c + n ? (100 * c) / (c + n) : 100).toFixed(1).padStart(5)}%${missed.length ? `  not covered: line ${[...new Set(missed)].join(', ')}` : ''}`);
  }
  const percent = total === 0 ? 0 : (100 * covered) / total;
  say(`  ${'total'.padEnd(40)} ${String(covered).padStart(4)}/${String(total).padEnd(4)} ${percent.toFixed(1).padStart(5)}%  (with the tests: ${Number(report.coverage).toFixed(1)}%)`);
  if (percent < COVERAGE_MIN) fail(`policy coverage ${percent.toFixed(1)}% is below ${COVERAGE_MIN}%: add opa tests for the lines listed above`);

  scenariosOnRego();
  say(`\npolicies:test passed: ${counted ? `${counted[1]} tests` : 'all tests'}, policy coverage ${percent.toFixed(1)}% (minimum ${COVERAGE_MIN}%)`);
}

// ---- build ------------------------------------------------------------------------------------

function stage(dir, manifest) {
  for (const path of policyModules()) {
    const target = join(dir, relative(policies, path));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(path, target);
  }
  copyFileSync(dataFile, join(dir, 'data.json'));
  writeFileSync(join(dir, '.manifest'), `${JSON.stringify(manifest)}\n`);
}

function opaBuildArgs(output, signing) {
  const args = ['build', '--target', 'wasm', '--entrypoint', ENTRYPOINT, '--bundle', '.', '--output', output];
  if (signing) {
    args.push('--signing-key', signing.key, '--signing-alg', signing.alg, '--verification-key-id', signing.keyId);
    if (signing.claimsFile) args.push('--claims-file', signing.claimsFile);
  }
  return args;
}

/**
 * Compiles the sources into `out` (bundle.tar.gz, policy.wasm, data.json, BUILD.json). Two
 * passes: the first learns the wasm ABI version this OPA emits, the second records it in the
 * manifest's metadata, which a signature covers.
 */
async function build({ out, bump, signing, keepStage }) {
  const version = opaVersion();
  const digest = sourceDigest(version);
  const revision = revisionFor(digest, bump);
  const work = mkdtempSync(join(tmpdir(), 'ward-policies-'));
  try {
    let abi = 'unknown';
    let result;
    for (let pass = 1; pass <= 2; pass++) {
      const staged = join(work, `stage-${pass}`);
      mkdirSync(staged);
      const manifest = {
        revision,
        roots: ROOTS,
        metadata: {
          ward: { policy: 'city-data-abac', entrypoint: ENTRYPOINT, opa_version: version, wasm_abi_version: abi, source_sha256: digest },
        },
      };
      stage(staged, manifest);
      const bundlePath = join(work, `bundle-${pass}.tar.gz`);
      const args = opaBuildArgs(bundlePath, pass === 2 ? signing : undefined);
      opaOrFail(args, 'opa build', { cwd: staged });
      const bundle = readFileSync(bundlePath);
      const files = readTarGz(bundle);
      const wasm = files.get('policy.wasm');
      const data = files.get('data.json');
      if (!wasm || !data || !files.get('.manifest')) fail(`the bundle lacks policy.wasm, data.json or .manifest: ${[...files.keys()].join(', ')}`);
      const policy = await loadWasm(wasm, JSON.parse(data.toString('utf8')));
      abi = policy.abi;
      result = { bundle, files, wasm, data, policy, args, staged };
    }
    const { bundle, files, wasm, data, policy, args, staged } = result;
    if (keepStage) {
      rmSync(keepStage, { recursive: true, force: true });
      mkdirSync(dirname(keepStage), { recursive: true });
      cpSync(staged, keepStage, { recursive: true });
    }
    if (Object.keys(policy.builtins).length !== 0) {
      fail(`the compiled policy needs host builtins (${Object.keys(policy.builtins).join(', ')}); Ward's loaders provide none: use builtins OPA compiles into wasm`);
    }
    if (!(ENTRYPOINT in policy.entrypoints)) fail(`the compiled policy has no entrypoint ${ENTRYPOINT}`);
    const [major, minor] = policy.abi.split('.').map(Number);
    if (major !== 1 || minor < 2) fail(`wasm ABI ${policy.abi}: the SDK needs ABI 1.2 or later`);

    mkdirSync(out, { recursive: true });
    const info = {
      description: 'How policies/dist was built: `npm run policies:build`; `npm run policies:check` rebuilds and compares.',
      opa: { version, install: `go install github.com/open-policy-agent/opa@v${version}` },
      command: `opa ${args.map((a) => (a.startsWith('/') ? '<tmp>' : a)).join(' ')}`,
      entrypoint: ENTRYPOINT,
      wasm: { abiVersion: policy.abi, entrypoints: policy.entrypoints, hostBuiltins: Object.keys(policy.builtins) },
      revision,
      roots: ROOTS,
      sourceSha256: digest,
      bundleFiles: [...files.keys()],
      files: {},
    };
    const outputs = { 'bundle.tar.gz': bundle, 'policy.wasm': wasm, 'data.json': data };
    for (const [name, bytes] of Object.entries(outputs)) {
      writeFileSync(join(out, name), bytes);
      info.files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
    }
    if (signing) {
      const signatures = files.get('.signatures.json');
      if (!signatures) fail('opa build was asked to sign but wrote no .signatures.json');
      info.signed = { alg: signing.alg, keyId: signing.keyId };
    }
    writeFileSync(join(out, 'BUILD.json'), `${JSON.stringify(info, null, 2)}\n`);
    await scenariosOnWasm('wasm (built policy.wasm in Node)', wasm, JSON.parse(data.toString('utf8')));
    return info;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- check ------------------------------------------------------------------------------------

async function check() {
  const missing = ARTEFACTS.filter((name) => !existsSync(join(distDir, name)));
  if (missing.length > 0) fail(`${rel(distDir)} lacks ${missing.join(', ')}: run \`npm run policies:build\` and commit policies/dist`);
  const fresh = mkdtempSync(join(tmpdir(), 'ward-policies-check-'));
  try {
    await build({ out: fresh, bump: false });
    const diffs = [];
    for (const name of ARTEFACTS) {
      const committed = readFileSync(join(distDir, name));
      const rebuilt = readFileSync(join(fresh, name));
      if (!committed.equals(rebuilt)) diffs.push({ name, committed, rebuilt });
    }
    if (diffs.length > 0) {
      const lines = diffs.map(({ name, committed, rebuilt }) => `  ${rel(join(distDir, name))}: committed sha256 ${sha256(committed).slice(0, 16)}… (${committed.length} B), rebuilt ${sha256(rebuilt).slice(0, 16)}… (${rebuilt.length} B)`);
      const bundleDiff = diffs.find((d) => d.name === 'bundle.tar.gz');
      if (bundleDiff) {
        const a = readTarGz(bundleDiff.committed);
        const b = readTarGz(bundleDiff.rebuilt);
        for (const entry of new Set([...a.keys(), ...b.keys()])) {
          if (!a.has(entry)) lines.push(`    bundle entry ${entry}: only in the rebuilt bundle`);
          else if (!b.has(entry)) lines.push(`    bundle entry ${entry}: only in the committed bundle`);
          else if (!a.get(entry).equals(b.get(entry))) lines.push(`    bundle entry ${entry}: differs`);
        }
      }
      const built = JSON.parse(readFileSync(join(distDir, 'BUILD.json'), 'utf8'));
      const now = JSON.parse(readFileSync(join(fresh, 'BUILD.json'), 'utf8'));
      if (built.opa?.version !== now.opa.version) lines.push(`  built with OPA ${built.opa?.version}, this is OPA ${now.opa.version}`);
      if (built.sourceSha256 !== now.sourceSha256) lines.push(`  the Rego or data.json changed since ${rel(distDir)} was built`);
      fail(`${rel(distDir)} does not match the policy sources:\n${lines.join('\n')}\nRun \`npm run policies:build\` and commit policies/dist and policies/REVISION.`);
    }
    const wasm = readFileSync(join(distDir, 'policy.wasm'));
    const bundled = readTarGz(readFileSync(join(distDir, 'bundle.tar.gz')));
    if (!bundled.get('policy.wasm')?.equals(wasm)) fail(`${rel(distDir)}/policy.wasm is not the one in bundle.tar.gz`);
    const info = JSON.parse(readFileSync(join(distDir, 'BUILD.json'), 'utf8'));
    const policy = await scenariosOnWasm('wasm (committed policy.wasm in Node)', wasm, JSON.parse(readFileSync(join(distDir, 'data.json'), 'utf8')));
    wasmMatchesRego('wasm (committed policy.wasm in Node)', policy);
    say(`policies:check passed: ${rel(distDir)} is what OPA ${info.opa.version} builds from the sources (revision ${info.revision}, wasm ABI ${info.wasm.abiVersion}, policy.wasm ${info.files['policy.wasm'].bytes} B, bundle ${info.files['bundle.tar.gz'].bytes} B)`);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

// ---- main -------------------------------------------------------------------------------------

function parseBuildArgs(argv) {
  const options = { out: distDir, bump: true, signing: undefined };
  const signing = { alg: 'ES256' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    if (flag === '--out') options.out = resolve(value());
    else if (flag === '--signing-key') signing.key = resolve(value());
    else if (flag === '--signing-key-id') signing.keyId = value();
    else if (flag === '--signing-alg') signing.alg = value();
    else if (flag === '--claims-file') signing.claimsFile = resolve(value());
    else fail(`unknown option ${flag}`);
  }
  if (options.out !== distDir) options.bump = false;
  if (signing.key !== undefined) {
    if (signing.keyId === undefined) fail('--signing-key needs --signing-key-id (the key id the SDK looks the public key up by)');
    if (options.out === distDir) fail('signed bundles go elsewhere (--out DIR): policies/dist holds the unsigned, reproducible build');
    options.signing = signing;
  }
  return options;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'test':
      await test();
      break;
    case 'build': {
      const options = parseBuildArgs(rest);
      const info = await build(options);
      say(`policies:build wrote ${rel(options.out)}: revision ${info.revision}, OPA ${info.opa.version}, wasm ABI ${info.wasm.abiVersion}, policy.wasm ${info.files['policy.wasm'].bytes} B, bundle ${info.files['bundle.tar.gz'].bytes} B${info.signed ? `, signed ${info.signed.alg} (key id ${info.signed.keyId})` : ''}`);
      break;
    }
    case 'check':
      await check();
      break;
    case 'stage': {
      // The exact directory `opa build -b .` compiles (for running opa build by hand, e.g. to sign).
      if (rest.length !== 1) fail('usage: node scripts/policies.mjs stage DIR');
      const target = resolve(rest[0]);
      const scratch = mkdtempSync(join(tmpdir(), 'ward-policies-stage-'));
      try {
        await build({ out: scratch, bump: false, keepStage: target });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      say(`policies: staged the bundle sources in ${rel(target)} (ward/**/*.rego, data.json, .manifest); build them with:\n  cd ${rel(target)} && opa build --target wasm --entrypoint ${ENTRYPOINT} --bundle . --output bundle.tar.gz`);
      break;
    }
    default:
      fail('usage: node scripts/policies.mjs test | build [--out DIR] [--signing-key PEM --signing-key-id ID] | check | stage DIR');
  }
}

main().catch((error) => {
  if (error instanceof Failure) {
    process.stderr.write(`\npolicies: ${error.message}\n`);
  } else {
    process.stderr.write(`\npolicies: ${error.stack ?? error}\n`);
  }
  process.exit(1);
});
