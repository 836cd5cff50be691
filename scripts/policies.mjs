#!/usr/bin/env node
/*
 * Ward's policy toolchain (policies/): test, build and check Rego policy packages with the real,
 * pinned OPA compiler (scripts/ensure-opa.sh installs it with `go install`).
 *
 * A policy package is a directory with a `policy.json` (policies/README.md, "Policy packages"):
 * its entrypoint, Rego sources, data, input schema, scenarios, revision file, dist directory,
 * manifest roots and the variations the differential check draws inputs from. Every command
 * takes package directories (or their policy.json); without any it runs every package:
 * policies/policy.json (the city policy) and policies/<name>/policy.json.
 *
 *   node scripts/policies.mjs test [PKG…]    fmt --list, check --strict (with the input schema),
 *                                     `opa test -v`, coverage (fails under 90% of the policy
 *                                     lines, tests excluded), and the scenarios
 *   node scripts/policies.mjs build [PKG…]   compile to an OPA wasm bundle and write the
 *                                     package's dist (bundle.tar.gz, policy.wasm, data.json,
 *                                     BUILD.json); bumps its REVISION when the sources changed
 *        [--out DIR]                  write there instead (REVISION is left alone; one package)
 *        [--signing-key PEM --signing-key-id ID [--signing-alg ES256] [--claims-file F]]
 *                                     sign the bundle (.signatures.json); needs --out
 *   node scripts/policies.mjs check [PKG…]   rebuild into a temporary directory and fail when
 *                                     the dist does not match the sources (CI); run the
 *                                     committed policy.wasm against opa eval on 2,000 inputs
 *   node scripts/policies.mjs stage DIR [PKG]   write the directory opa build compiles (to run
 *                                     opa build by hand, e.g. with a signing key)
 *   node scripts/policies.mjs ship [PKG…]    write the copy an npm package ships (SHIPPED below)
 *                                     from the committed dist, without OPA; `build` does it too,
 *                                     and `check` fails when the committed copy differs
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
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const policies = join(root, 'policies');
const CONFIG = 'policy.json';
const COVERAGE_MIN = 90;
const VARIED_INPUTS = 2000;
const ARTEFACTS = ['bundle.tar.gz', 'policy.wasm', 'data.json', 'BUILD.json'];

/*
 * Policy packages an npm package ships (issue 13, "the policy ships"), so a gateway, a service
 * or a browser app loads the policy from an installed package without this repository:
 * `module` is a generated TypeScript module holding the committed dist/bundle.tar.gz as base64
 * (no `fs`, no asset loader: it works in Node ESM and CJS and in every bundler) with its
 * revision, entrypoint, SHA-256 and input schema; `files` is a folder of plain files in the
 * tarball (the bundle, its data, BUILD.json, the input schema and the Rego sources without the
 * tests) for tools that read files (`opa run`, `opa eval`). Both are generated from the
 * committed dist and sources, and `check` fails when the committed copy differs.
 */
const SHIPPED = {
  'city-data-abac': {
    module: 'packages/core/src/city-policy/bundle.ts',
    files: 'packages/core/city-policy',
    subpath: '@ward/core/city-policy',
  },
};

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

// ---- packages ---------------------------------------------------------------------------------

const CONFIG_KEYS = new Set(['name', 'description', 'entrypoint', 'sources', 'data', 'schema', 'scenarios', 'revision', 'dist', 'roots', 'variations']);
/* A Rego reference segment OPA compiles into a wasm entrypoint without quoting. */
const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const isPrefix = (prefix, path) => prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);

/** The packages under policies/: policies/policy.json (the city policy) and policies/<name>/policy.json. */
function discoverPackages() {
  const found = [join(policies, CONFIG)];
  for (const entry of readdirSync(policies, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.isDirectory() && existsSync(join(policies, entry.name, CONFIG))) found.push(join(policies, entry.name, CONFIG));
  }
  return found.filter((path) => existsSync(path)).map(loadPackage);
}

/**
 * Reads a package's policy.json (a directory or the file itself). Paths in it are relative to
 * its directory and must stay inside it; the Rego sources keep their path relative to it in
 * the bundle. The manifest roots are given or derived (the entrypoint's first segment and
 * every top-level key of the data), and must cover the entrypoint and every data path.
 */
function loadPackage(path) {
  const configFile = path.endsWith('.json') ? resolve(path) : join(resolve(path), CONFIG);
  if (!existsSync(configFile)) fail(`${rel(configFile)} not found: a policy package is a directory with a ${CONFIG} (policies/README.md, "Policy packages")`);
  const where = rel(configFile);
  let config;
  try {
    config = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (error) {
    fail(`${where} is not JSON: ${error.message}`);
  }
  if (!isObject(config)) fail(`${where} must hold a JSON object`);
  for (const key of Object.keys(config)) if (!CONFIG_KEYS.has(key)) fail(`${where}: unknown field "${key}" (known: ${[...CONFIG_KEYS].join(', ')})`);
  const dir = dirname(configFile);
  const string = (key, fallback) => {
    const value = config[key] ?? fallback;
    if (typeof value !== 'string' || value === '') fail(`${where}: "${key}" must be a non-empty string`);
    return value;
  };
  const inside = (key, fallback) => {
    const target = resolve(dir, string(key, fallback));
    const within = relative(dir, target);
    if (within === '' || within.startsWith('..') || isAbsolute(within)) fail(`${where}: "${key}" must name a path inside ${rel(dir)}`);
    return target;
  };
  const entrypoint = string('entrypoint');
  const segments = entrypoint.split('/');
  if (segments.length < 2 || !segments.every((segment) => SEGMENT.test(segment))) {
    fail(`${where}: entrypoint "${entrypoint}" must be a Rego rule path of plain identifiers, such as ward/authz/decision`);
  }
  const pkg = {
    configFile,
    dir,
    name: string('name', basename(dir)),
    entrypoint,
    query: `data.${segments.join('.')}`,
    sourceDir: inside('sources'),
    dataFile: inside('data', 'data.json'),
    schemaFile: inside('schema', 'input.schema.json'),
    scenariosFile: inside('scenarios', 'scenarios.json'),
    revisionFile: inside('revision', 'REVISION'),
    distDir: inside('dist', 'dist'),
    variations: config.variations,
  };
  for (const file of ['dataFile', 'schemaFile', 'scenariosFile']) if (!existsSync(pkg[file])) fail(`${where}: ${rel(pkg[file])} does not exist`);
  if (!existsSync(pkg.sourceDir)) fail(`${where}: the sources ${rel(pkg.sourceDir)} do not exist`);
  /* OPA loads every JSON and YAML file under a directory it is given as data: none may sit among the sources. */
  const stray = walk(pkg.sourceDir).filter((file) => /\.(json|ya?ml)$/.test(file));
  if (stray.length > 0) fail(`${where}: ${stray.map(rel).join(', ')} would be loaded by opa as data; keep only .rego files under ${rel(pkg.sourceDir)}`);
  for (const file of ['distDir', 'configFile', 'dataFile', 'schemaFile', 'scenariosFile']) {
    if (isPrefix(pkg.sourceDir.split(sep), pkg[file].split(sep))) fail(`${where}: ${rel(pkg[file])} must not sit under the sources ${rel(pkg.sourceDir)}`);
  }
  pkg.roots = manifestRoots(pkg, config.roots, where);
  checkVariations(pkg.variations, where);
  return pkg;
}

/** The given or derived manifest roots, checked to cover the entrypoint and every data path without overlapping. */
function manifestRoots(pkg, given, where) {
  let data;
  try {
    data = JSON.parse(readFileSync(pkg.dataFile, 'utf8'));
  } catch (error) {
    fail(`${rel(pkg.dataFile)} is not JSON: ${error.message}`);
  }
  if (!isObject(data)) fail(`${rel(pkg.dataFile)} must hold a JSON object`);
  const entrypoint = pkg.entrypoint.split('/');
  const roots = given ?? [...new Set([entrypoint[0], ...Object.keys(data)])].sort();
  if (!Array.isArray(roots) || roots.length === 0 || !roots.every((r) => typeof r === 'string' && r !== '' && r.split('/').every((s) => s !== ''))) {
    fail(`${where}: "roots" must be a non-empty list of paths such as "ward" or "door_access/config"`);
  }
  const paths = roots.map((r) => r.split('/'));
  paths.forEach((a, i) => paths.forEach((b, j) => {
    /* Overlapping roots: OPA refuses them, and Ward's bundle reader too. */
    if (i !== j && isPrefix(a, b)) fail(`${where}: roots "${roots[i]}" and "${roots[j]}" overlap`);
  }));
  const covered = (path) => paths.some((r) => isPrefix(r, path));
  if (!covered(entrypoint)) fail(`${where}: the manifest roots ${JSON.stringify(roots)} do not cover the entrypoint ${pkg.entrypoint}`);
  const walkData = (node, path) => {
    if (path.length > 0 && covered(path)) return;
    if (!isObject(node) || !paths.some((r) => isPrefix(path, r))) fail(`${where}: the manifest roots ${JSON.stringify(roots)} do not cover data at ${path.join('/') || '(the top)'} in ${rel(pkg.dataFile)}`);
    for (const key of Object.keys(node)) walkData(node[key], [...path, key]);
  };
  walkData(data, []);
  return roots;
}

/** The differential check's input variations: { seed, edits: [{ set: path, values } | { delete: [path…] }] }. */
function checkVariations(variations, where) {
  const isPath = (p) => Array.isArray(p) && p.length > 0 && p.every((k) => typeof k === 'string');
  const ok = isObject(variations)
    && Number.isSafeInteger(variations.seed)
    && Array.isArray(variations.edits)
    && variations.edits.length > 0
    && variations.edits.every((edit) => isObject(edit) && (
      (Object.keys(edit).sort().join() === 'set,values' && isPath(edit.set) && Array.isArray(edit.values) && edit.values.length > 0)
      || (Object.keys(edit).join() === 'delete' && Array.isArray(edit.delete) && edit.delete.length > 0 && edit.delete.every(isPath))));
  if (!ok) fail(`${where}: "variations" must be { "seed": integer, "edits": [{ "set": ["path", …], "values": [...] } | { "delete": [["path", …], …] }, …] }`);
}

/** The packages a command runs on: the ones named, or every package. */
function packagesFrom(args) {
  return args.length === 0 ? discoverPackages() : args.map(loadPackage);
}

// ---- sources ----------------------------------------------------------------------------------

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** The policy modules that go into the bundle: every .rego under the sources but the tests. */
function policyModules(pkg) {
  return walk(pkg.sourceDir)
    .filter((path) => path.endsWith('.rego') && !path.endsWith('_test.rego'))
    .sort();
}

/** SHA-256 over the bundle's sources (paths and bytes) and the compiler version. */
function sourceDigest(pkg, version) {
  const hash = createHash('sha256');
  hash.update(`opa ${version}\0`);
  for (const path of [...policyModules(pkg), pkg.dataFile]) {
    hash.update(`${relative(pkg.dir, path).split(sep).join('/')}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readRevision(pkg) {
  const { revisionFile } = pkg;
  if (!existsSync(revisionFile)) return undefined;
  const text = readFileSync(revisionFile, 'utf8').trim();
  if (!/^[0-9]+$/.test(text)) fail(`${rel(revisionFile)} must hold one all-digit revision, not "${text}"`);
  return text;
}

/**
 * The revision to build. Revisions are all-digit and only ever grow (YYYYMMDDNN), because the
 * SDK refuses to activate a bundle whose revision is lower than the active one, or the same
 * revision with different contents. A build to the package's dist bumps its REVISION when the
 * sources differ from what dist/ was built from.
 */
function revisionFor(pkg, digest, bump) {
  const { revisionFile, distDir } = pkg;
  const current = readRevision(pkg);
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
async function loadWasm(wasmBytes, data, entrypointName) {
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
  const entrypoint = entrypoints[entrypointName];

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

function scenarios(pkg) {
  const doc = JSON.parse(readFileSync(pkg.scenariosFile, 'utf8'));
  if (!Array.isArray(doc.scenarios) || doc.scenarios.length === 0) fail(`${rel(pkg.scenariosFile)} has no scenarios`);
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

function compareScenarios(pkg, label, decisions) {
  const cases = scenarios(pkg);
  const wrong = [];
  cases.forEach((scenario, i) => {
    const got = canonical(decisions[i]);
    const want = canonical(scenario.decision);
    if (got !== want) wrong.push(`  ${scenario.name}\n    want ${want}\n    got  ${got}`);
  });
  if (wrong.length > 0) fail(`${label}: ${wrong.length} of ${cases.length} scenarios decide differently from ${rel(pkg.scenariosFile)}:\n${wrong.join('\n')}`);
  say(`${label}: ${cases.length}/${cases.length} scenarios decide as ${rel(pkg.scenariosFile)} says`);
}

/** `opa eval` of the entrypoint on each input (the Rego, not the wasm). */
function evalRego(pkg, inputs, what) {
  const out = opaOrFail(
    ['eval', '--format=json', '--stdin-input', '-d', rel(pkg.sourceDir), '-d', rel(pkg.dataFile), `[d | some s in input; d := ${pkg.query} with input as s]`],
    `opa eval (${what})`,
    { input: JSON.stringify(inputs) },
  );
  const value = JSON.parse(out).result?.[0]?.expressions?.[0]?.value;
  if (!Array.isArray(value) || value.length !== inputs.length) fail(`opa eval returned no decisions for the ${what}:\n${out.slice(0, 2000)}`);
  return value;
}

function scenariosOnRego(pkg) {
  compareScenarios(pkg, 'rego (opa eval)', evalRego(pkg, scenarios(pkg).map((s) => s.input), 'scenarios'));
}

async function scenariosOnWasm(pkg, label, wasm, data) {
  const policy = await loadWasm(wasm, data, pkg.entrypoint);
  const decisions = scenarios(pkg).map((s) => {
    const resultSet = policy.evaluate(s.input);
    if (!Array.isArray(resultSet) || resultSet.length !== 1) fail(`${label}: ${s.name}: result set ${JSON.stringify(resultSet)}`);
    return resultSet[0].result;
  });
  compareScenarios(pkg, label, decisions);
  return policy;
}

/**
 * Inputs around the scenarios: each a scenario input with one to four of the package's
 * variations applied (policy.json "variations": a field set to one of the values the policy
 * distinguishes, malformed ones included, or removed). Deterministic (a fixed-seed PRNG). An
 * edit below a part an earlier edit removed is skipped, as a JavaScript assignment there would
 * throw.
 */
function variedInputs(pkg, count) {
  let seed = pkg.variations.seed;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (list) => list[Math.floor(random() * list.length)];
  const base = scenarios(pkg).map((s) => s.input).filter((i) => i !== null && typeof i === 'object' && i.resource?.attributes);
  if (base.length === 0) fail(`${rel(pkg.scenariosFile)}: no scenario input has resource.attributes to vary`);
  class Skip extends Error {}
  /* The object holding the path's last key; a missing part on the way skips the edit. */
  const parentOf = (input, path) => {
    let node = input;
    for (const key of path.slice(0, -1)) {
      if (node === null || node === undefined) throw new Skip();
      node = node[key];
    }
    return node;
  };
  const apply = (input, edit) => {
    if (edit.set) {
      const parent = parentOf(input, edit.set);
      const value = structuredClone(pick(edit.values));
      if (parent === null || typeof parent !== 'object') throw new Skip();
      parent[edit.set.at(-1)] = value;
    } else {
      const path = edit.delete.length === 1 ? edit.delete[0] : pick(edit.delete);
      const parent = parentOf(input, path);
      if (parent === null || parent === undefined) throw new Skip();
      if (typeof parent === 'object') delete parent[path.at(-1)];
    }
  };
  const inputs = [];
  for (let n = 0; n < count; n++) {
    const input = structuredClone(pick(base));
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      try {
        apply(input, pick(pkg.variations.edits));
      } catch (error) {
        if (!(error instanceof Skip)) throw error;
      }
    }
    inputs.push(input);
  }
  return inputs;
}

/** The compiled wasm and the Rego (opa eval) decide the same on many varied inputs. */
function wasmMatchesRego(pkg, label, policy, count = VARIED_INPUTS) {
  const inputs = variedInputs(pkg, count);
  const rego = evalRego(pkg, inputs, 'varied inputs');
  let allowed = 0;
  const grants = new Map();
  const denials = new Set();
  inputs.forEach((input, i) => {
    const resultSet = policy.evaluate(input);
    const wasm = resultSet?.[0]?.result;
    if (canonical(wasm) !== canonical(rego[i])) {
      fail(`${label}: the wasm and the Rego decide differently on\n  input ${JSON.stringify(input)}\n  wasm  ${canonical(wasm)}\n  rego  ${canonical(rego[i])}`);
    }
    if (wasm.allow === true) {
      allowed++;
      for (const reason of wasm.reasons) grants.set(reason, (grants.get(reason) ?? 0) + 1);
    } else {
      for (const reason of wasm.reasons) denials.add(reason);
    }
  });
  const withContext = inputs.filter((input) => isObject(input) && Object.hasOwn(input, 'context')).length;
  say(`${label}: decides like the Rego on ${inputs.length} varied inputs (${allowed} allowed, ${inputs.length - allowed} denied)`);
  say(`  ${withContext} inputs with a context; ${denials.size} distinct denial reasons`);
  say(`  grants: ${[...grants].sort(([a], [b]) => (a < b ? -1 : 1)).map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none'}`);
}

// ---- test -------------------------------------------------------------------------------------

async function test(pkg) {
  const { sourceDir, dataFile, schemaFile } = pkg;
  say(`\n== ${pkg.name} (${rel(pkg.configFile)}): entrypoint ${pkg.entrypoint}`);

  const unformatted = opaOrFail(['fmt', '--list', rel(sourceDir)], 'opa fmt --list').trim();
  if (unformatted !== '') fail(`not formatted with opa fmt:\n${unformatted}\nrun: ${opa()} fmt -w ${rel(sourceDir)}`);
  say('opa fmt: all files formatted');

  opaOrFail(['check', '--strict', '--schema', rel(schemaFile), rel(sourceDir), rel(dataFile)], 'opa check --strict');
  say(`opa check --strict (input typed by ${rel(schemaFile)}): ok`);

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
  const width = Math.max(40, ...Object.keys(report.files).map((file) => file.length));
  for (const [file, entry] of Object.entries(report.files).sort()) {
    if (file.endsWith('_test.rego')) continue;
    const c = entry.covered_lines ?? 0;
    const n = entry.not_covered_lines ?? 0;
    covered += c;
    total += c + n;
    const missed = (entry.not_covered ?? []).map((r) => (r.start.row === r.end.row ? `${r.start.row}` : `${r.start.row}-${r.end.row}`));
    say(`  ${file.padEnd(width)} ${String(c).padStart(4)}/${String(c + n).padEnd(4)} ${(c + n ? (100 * c) / (c + n) : 100).toFixed(1).padStart(5)}%${missed.length ? `  not covered: line ${[...new Set(missed)].join(', ')}` : ''}`);
  }
  const percent = total === 0 ? 0 : (100 * covered) / total;
  say(`  ${'total'.padEnd(width)} ${String(covered).padStart(4)}/${String(total).padEnd(4)} ${percent.toFixed(1).padStart(5)}%  (with the tests: ${Number(report.coverage).toFixed(1)}%)`);
  if (percent < COVERAGE_MIN) fail(`${pkg.name}: policy coverage ${percent.toFixed(1)}% is below ${COVERAGE_MIN}%: add opa tests for the lines listed above`);

  scenariosOnRego(pkg);
  say(`policies:test passed for ${pkg.name}: ${counted ? `${counted[1]} tests` : 'all tests'}, policy coverage ${percent.toFixed(1)}% (minimum ${COVERAGE_MIN}%)`);
}

// ---- build ------------------------------------------------------------------------------------

function stage(pkg, dir, manifest) {
  for (const path of policyModules(pkg)) {
    const target = join(dir, relative(pkg.dir, path));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(path, target);
  }
  copyFileSync(pkg.dataFile, join(dir, 'data.json'));
  writeFileSync(join(dir, '.manifest'), `${JSON.stringify(manifest)}\n`);
}

function opaBuildArgs(pkg, output, signing) {
  const args = ['build', '--target', 'wasm', '--entrypoint', pkg.entrypoint, '--bundle', '.', '--output', output];
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
async function build(pkg, { out, bump, signing, keepStage }) {
  const { entrypoint } = pkg;
  const version = opaVersion();
  const digest = sourceDigest(pkg, version);
  const revision = revisionFor(pkg, digest, bump);
  const work = mkdtempSync(join(tmpdir(), 'ward-policies-'));
  try {
    let abi = 'unknown';
    let result;
    for (let pass = 1; pass <= 2; pass++) {
      const staged = join(work, `stage-${pass}`);
      mkdirSync(staged);
      const manifest = {
        revision,
        roots: pkg.roots,
        metadata: {
          ward: { policy: pkg.name, entrypoint, opa_version: version, wasm_abi_version: abi, source_sha256: digest },
        },
      };
      stage(pkg, staged, manifest);
      const bundlePath = join(work, `bundle-${pass}.tar.gz`);
      const args = opaBuildArgs(pkg, bundlePath, pass === 2 ? signing : undefined);
      opaOrFail(args, 'opa build', { cwd: staged });
      const bundle = readFileSync(bundlePath);
      const files = readTarGz(bundle);
      const wasm = files.get('policy.wasm');
      const data = files.get('data.json');
      if (!wasm || !data || !files.get('.manifest')) fail(`the bundle lacks policy.wasm, data.json or .manifest: ${[...files.keys()].join(', ')}`);
      const policy = await loadWasm(wasm, JSON.parse(data.toString('utf8')), entrypoint);
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
    if (!(entrypoint in policy.entrypoints)) fail(`the compiled policy has no entrypoint ${entrypoint}`);
    const [major, minor] = policy.abi.split('.').map(Number);
    if (major !== 1 || minor < 2) fail(`wasm ABI ${policy.abi}: the SDK needs ABI 1.2 or later`);

    mkdirSync(out, { recursive: true });
    const info = {
      description: `How ${rel(pkg.distDir)} was built: \`npm run policies:build\`; \`npm run policies:check\` rebuilds and compares.`,
      opa: { version, install: `go install github.com/open-policy-agent/opa@v${version}` },
      command: `opa ${args.map((a) => (a.startsWith('/') ? '<tmp>' : a)).join(' ')}`,
      entrypoint,
      wasm: { abiVersion: policy.abi, entrypoints: policy.entrypoints, hostBuiltins: Object.keys(policy.builtins) },
      revision,
      roots: pkg.roots,
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
    await scenariosOnWasm(pkg, 'wasm (built policy.wasm in Node)', wasm, JSON.parse(data.toString('utf8')));
    return info;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---- ship -------------------------------------------------------------------------------------

/** The files of a package's shipped copy (SHIPPED), path → bytes, from its committed dist and sources. */
function shippedCopy(pkg) {
  const target = SHIPPED[pkg.name];
  if (target === undefined) return undefined;
  const bundle = readFileSync(join(pkg.distDir, 'bundle.tar.gz'));
  const manifest = JSON.parse(readTarGz(bundle).get('.manifest')?.toString('utf8') ?? 'null');
  if (!isObject(manifest) || typeof manifest.revision !== 'string') fail(`${rel(pkg.distDir)}/bundle.tar.gz has no manifest revision: run \`npm run policies:build\``);
  const schema = JSON.parse(readFileSync(pkg.schemaFile, 'utf8'));
  const digest = sha256(bundle);
  const base64 = bundle.toString('base64');
  const module = [
    '/*',
    ` * Generated by \`npm run policies:ship\` (scripts/policies.mjs) from ${rel(pkg.distDir)}/bundle.tar.gz`,
    ` * (${pkg.name}, revision ${manifest.revision}, ${bundle.length} bytes) and ${rel(pkg.schemaFile)}. Do not edit:`,
    ' * `npm run policies:check` fails when this file differs from what the committed dist gives.',
    ' * The public names are in ./index.ts.',
    ' */',
    `export const BUNDLE_BASE64 = '${base64}';`,
    `export const BUNDLE_BYTES = ${bundle.length};`,
    `export const BUNDLE_SHA256 = '${digest}';`,
    `export const REVISION = '${manifest.revision}';`,
    `export const ENTRYPOINT = '${pkg.entrypoint}';`,
    `export const INPUT_SCHEMA: unknown = ${JSON.stringify(schema, null, 2)};`,
    '',
  ].join('\n');
  const files = new Map([[join(root, target.module), Buffer.from(module, 'utf8')]]);
  const dir = join(root, target.files);
  for (const name of ['bundle.tar.gz', 'data.json', 'BUILD.json']) files.set(join(dir, name), readFileSync(join(pkg.distDir, name)));
  files.set(join(dir, 'input.schema.json'), readFileSync(pkg.schemaFile));
  for (const path of policyModules(pkg)) files.set(join(dir, relative(pkg.dir, path)), readFileSync(path));
  return { target, dir, files };
}

/** Writes a package's shipped copy (the files folder is replaced whole, so a removed Rego file goes too). */
function writeShipped(pkg) {
  const copy = shippedCopy(pkg);
  if (copy === undefined) return undefined;
  rmSync(copy.dir, { recursive: true, force: true });
  for (const [path, bytes] of copy.files) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
  return copy;
}

/** Fails when the committed shipped copy is not what the committed dist and sources give. */
function checkShipped(pkg) {
  const copy = shippedCopy(pkg);
  if (copy === undefined) return;
  const problems = [];
  for (const [path, bytes] of copy.files) {
    if (!existsSync(path)) problems.push(`  ${rel(path)}: missing`);
    else if (!readFileSync(path).equals(bytes)) problems.push(`  ${rel(path)}: differs`);
  }
  if (existsSync(copy.dir)) for (const path of walk(copy.dir)) if (!copy.files.has(path)) problems.push(`  ${rel(path)}: not generated (stale)`);
  if (problems.length > 0) {
    fail(`the copy ${copy.target.subpath} ships is not ${rel(pkg.distDir)} and the sources:\n${problems.join('\n')}\nRun \`npm run policies:ship\` and commit ${copy.target.module} and ${copy.target.files}.`);
  }
  say(`shipped copy: ${copy.target.subpath} (${copy.target.module}, ${copy.target.files}/: ${copy.files.size - 1} files) is ${rel(pkg.distDir)}`);
}

// ---- check ------------------------------------------------------------------------------------

async function check(pkg) {
  const { distDir } = pkg;
  say(`\n== ${pkg.name} (${rel(pkg.configFile)}): ${rel(distDir)}`);
  const missing = ARTEFACTS.filter((name) => !existsSync(join(distDir, name)));
  if (missing.length > 0) fail(`${rel(distDir)} lacks ${missing.join(', ')}: run \`npm run policies:build\` and commit ${rel(distDir)}`);
  const fresh = mkdtempSync(join(tmpdir(), 'ward-policies-check-'));
  try {
    await build(pkg, { out: fresh, bump: false });
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
      fail(`${rel(distDir)} does not match the policy sources:\n${lines.join('\n')}\nRun \`npm run policies:build\` and commit ${rel(distDir)} and ${rel(pkg.revisionFile)}.`);
    }
    const wasm = readFileSync(join(distDir, 'policy.wasm'));
    const bundled = readTarGz(readFileSync(join(distDir, 'bundle.tar.gz')));
    if (!bundled.get('policy.wasm')?.equals(wasm)) fail(`${rel(distDir)}/policy.wasm is not the one in bundle.tar.gz`);
    const info = JSON.parse(readFileSync(join(distDir, 'BUILD.json'), 'utf8'));
    const policy = await scenariosOnWasm(pkg, 'wasm (committed policy.wasm in Node)', wasm, JSON.parse(readFileSync(join(distDir, 'data.json'), 'utf8')));
    wasmMatchesRego(pkg, 'wasm (committed policy.wasm in Node)', policy);
    checkShipped(pkg);
    say(`policies:check passed for ${pkg.name}: ${rel(distDir)} is what OPA ${info.opa.version} builds from the sources (revision ${info.revision}, wasm ABI ${info.wasm.abiVersion}, policy.wasm ${info.files['policy.wasm'].bytes} B, bundle ${info.files['bundle.tar.gz'].bytes} B)`);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

// ---- main -------------------------------------------------------------------------------------

/** Splits the arguments into package paths (first) and build options. */
function parseBuildArgs(argv) {
  const packages = [];
  const options = { out: undefined, bump: true, signing: undefined };
  const signing = { alg: 'ES256' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    if (!flag.startsWith('--')) packages.push(flag);
    else if (flag === '--out') options.out = resolve(value());
    else if (flag === '--signing-key') signing.key = resolve(value());
    else if (flag === '--signing-key-id') signing.keyId = value();
    else if (flag === '--signing-alg') signing.alg = value();
    else if (flag === '--claims-file') signing.claimsFile = resolve(value());
    else fail(`unknown option ${flag}`);
  }
  const selected = packagesFrom(packages);
  if (options.out !== undefined) {
    if (selected.length !== 1) fail(`--out writes one package; name it (one of: ${selected.map((p) => rel(p.dir)).join(', ')})`);
    if (options.out !== selected[0].distDir) options.bump = false;
  }
  if (signing.key !== undefined) {
    if (signing.keyId === undefined) fail('--signing-key needs --signing-key-id (the key id the SDK looks the public key up by)');
    if (options.out === undefined || options.out === selected[0].distDir) fail('signed bundles go elsewhere (--out DIR): the dist directory holds the unsigned, reproducible build');
    options.signing = signing;
  }
  return { packages: selected, options };
}

function onlyPackages(argv, command) {
  const flag = argv.find((a) => a.startsWith('--'));
  if (flag !== undefined) fail(`${command} takes package directories only, not ${flag}`);
  return packagesFrom(argv);
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'test': {
      const selected = onlyPackages(rest, 'test');
      say(`opa ${opaVersion()} (${opa()})`);
      for (const pkg of selected) await test(pkg);
      say(`\npolicies:test passed for ${selected.length} package${selected.length === 1 ? '' : 's'}: ${selected.map((p) => p.name).join(', ')}`);
      break;
    }
    case 'build': {
      const { packages: selected, options } = parseBuildArgs(rest);
      for (const pkg of selected) {
        const info = await build(pkg, { ...options, out: options.out ?? pkg.distDir });
        const shipped = (options.out ?? pkg.distDir) === pkg.distDir ? writeShipped(pkg) : undefined;
        if (shipped) say(`policies:build wrote the copy ${shipped.target.subpath} ships (${shipped.target.module}, ${shipped.target.files}/)`);
        say(`policies:build wrote ${rel(options.out ?? pkg.distDir)} (${pkg.name}): revision ${info.revision}, OPA ${info.opa.version}, wasm ABI ${info.wasm.abiVersion}, policy.wasm ${info.files['policy.wasm'].bytes} B, bundle ${info.files['bundle.tar.gz'].bytes} B${info.signed ? `, signed ${info.signed.alg} (key id ${info.signed.keyId})` : ''}`);
      }
      break;
    }
    case 'check': {
      const selected = onlyPackages(rest, 'check');
      for (const pkg of selected) await check(pkg);
      say(`\npolicies:check passed for ${selected.length} package${selected.length === 1 ? '' : 's'}: ${selected.map((p) => p.name).join(', ')}`);
      break;
    }
    case 'ship': {
      const selected = onlyPackages(rest, 'ship').filter((pkg) => SHIPPED[pkg.name] !== undefined);
      if (selected.length === 0) fail(`no package named is shipped by an npm package (shipped: ${Object.keys(SHIPPED).join(', ')})`);
      for (const pkg of selected) {
        const { target, files } = writeShipped(pkg);
        say(`policies:ship wrote ${target.module} and ${target.files}/ (${files.size - 1} files) for ${target.subpath} from ${rel(pkg.distDir)}`);
      }
      break;
    }
    case 'stage': {
      // The exact directory `opa build -b .` compiles (for running opa build by hand, e.g. to sign).
      if (rest.length < 1 || rest.length > 2) fail('usage: node scripts/policies.mjs stage DIR [PACKAGE]');
      const target = resolve(rest[0]);
      const pkg = loadPackage(rest[1] ?? policies);
      const scratch = mkdtempSync(join(tmpdir(), 'ward-policies-stage-'));
      try {
        await build(pkg, { out: scratch, bump: false, keepStage: target });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      say(`policies: staged the bundle sources of ${pkg.name} in ${rel(target)} (${relative(pkg.dir, pkg.sourceDir)}/**/*.rego, data.json, .manifest); build them with:\n  cd ${rel(target)} && opa build --target wasm --entrypoint ${pkg.entrypoint} --bundle . --output bundle.tar.gz`);
      break;
    }
    default:
      fail('usage: node scripts/policies.mjs test [PACKAGE…] | build [PACKAGE…] [--out DIR] [--signing-key PEM --signing-key-id ID] | check [PACKAGE…] | ship [PACKAGE…] | stage DIR [PACKAGE]');
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
