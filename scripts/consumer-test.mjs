// Consumer test: Ward as a user installs it. Builds and packs the four packages (npm pack), installs
// the tarballs into a new project under the OS temp dir (outside the workspace: no workspace
// links, no @ward/source condition, no repository files), and runs there:
//   (a) an ESM program (.mjs) and (b) a CommonJS program (.cjs) that seal, verify and open an
//       envelope with @ward/core + @ward/node and decide with a PolicyEngine (the shipped city
//       policy when the package has `@ward/core/city-policy`, else a tiny test policy copied from
//       the repository), and load every subpath of @ward/core's exports map;
//   (c) a TypeScript program type-checked by `tsc --strict --noEmit` under node16 (a .mts and a
//       .cts file) and under bundler, importing the root of each package and every @ward/core subpath;
//   (d) every ```ts snippet of README.md, type-checked the same way and run as written.
// One line per check; exits 1 on any failure. `--no-build` reuses dist/ (CI has just built it),
// `--keep` leaves the temporary project in place.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const flags = new Set(process.argv.slice(2));
for (const flag of flags) if (!['--no-build', '--keep'].includes(flag)) throw new Error(`consumer-test: unknown option ${flag}`);
const t0 = performance.now();
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)}s`;
const counts = { pass: 0, fail: 0, skip: 0 };

function report(status, name, detail = '') {
  counts[status] += 1;
  console.log(`${status.toUpperCase().padEnd(4)}  ${name}${detail ? `: ${detail.split('\n')[0]}` : ''}`);
  for (const line of detail.split('\n').slice(1)) if (line.trim()) console.log(`        ${line}`);
}

function run(command, args, { cwd, timeout = 120_000 } = {}) {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, timeout, env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('error', (error) => { output += `${error.message}\n`; });
    child.on('close', (code, signal) => resolve({
      ok: code === 0, stdout, output: `${signal ? `killed by ${signal} after ${seconds(start)}\n` : ''}${output}`.trim(), time: seconds(start),
    }));
  });
}

const tail = (text, lines = 15) => text.split('\n').slice(-lines).join('\n');
// A failed program: the error lines (message, code) first, then the last lines of the output.
function failure(output) {
  const lines = output.split('\n');
  const errors = lines.filter((line) => /^\s*(\w*Error\b|code: )/.test(line)).slice(0, 4);
  return [...errors, ...lines.filter((line) => !errors.includes(line)).slice(-6)].join('\n');
}
function setup(name, result) {
  if (result.ok) return void console.log(`ok    ${name} (${result.time})`);
  report('fail', name, tail(result.output, 30));
  console.log('\nconsumer test: setup failed, nothing else ran');
  process.exit(1);
}

const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'ward-consumer-')));
const project = join(scratch, 'project');
const tarballs = join(scratch, 'tarballs');
mkdirSync(project);
mkdirSync(tarballs);
console.log(`consumer project: ${project} (node ${process.version})`);

// Setup: build, pack, install. Each step stops the test when it fails.
if (!flags.has('--no-build')) setup('npm run build', await run('npm', ['run', 'build'], { cwd: repo, timeout: 600_000 }));
const packed = await run('npm', ['pack', '--workspaces', '--json', '--pack-destination', tarballs], { cwd: repo });
setup('npm pack --workspaces', packed);
const packs = JSON.parse(packed.stdout);
for (const pack of packs) console.log(`      ${pack.name}: ${pack.filename}, ${pack.entryCount} files, ${(pack.size / 1024).toFixed(0)} KiB`);

const repoVersion = (name) => JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
const dependencies = Object.fromEntries(packs.map((pack) => [pack.name, `file:../tarballs/${pack.filename}`]));
const devDependencies = { typescript: repoVersion('typescript'), '@types/node': repoVersion('@types/node') };
writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'ward-consumer', version: '0.0.0', private: true, dependencies, devDependencies }, null, 2)}\n`);
setup(`npm install (4 tarballs, typescript ${devDependencies.typescript}, @types/node ${devDependencies['@types/node']}; --prefer-offline)`,
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, timeout: 300_000 }));

// The installed copy is a real directory in the project, not a link back into the workspace.
{
  const installed = join(project, 'node_modules', '@ward', 'core');
  const resolved = createRequire(join(project, 'package.json')).resolve('@ward/core');
  const linked = lstatSync(installed).isSymbolicLink();
  if (!linked && resolved.startsWith(`${installed}/`)) report('pass', 'resolution: @ward/core resolves inside the project', resolved.slice(project.length + 1));
  else report('fail', 'resolution: @ward/core resolves inside the project', `${resolved}${linked ? ' (a symbolic link)' : ''}`);
}

const core = JSON.parse(readFileSync(join(project, 'node_modules', '@ward', 'core', 'package.json'), 'utf8'));
// Module subpaths of the exports map (not ./package.json, not file patterns such as ./x/*).
const subpaths = Object.entries(core.exports)
  .filter(([subpath, entry]) => typeof entry === 'object' && !subpath.includes('*'))
  .map(([subpath]) => (subpath === '.' ? '@ward/core' : `@ward/core/${subpath.slice(2)}`));
const cityPolicy = subpaths.includes('@ward/core/city-policy');
console.log(`      @ward/core exports ${subpaths.length} module entries: ${subpaths.join(', ')}`);
console.log(`      policy: ${cityPolicy ? 'the shipped city policy (@ward/core/city-policy)' : 'no @ward/core/city-policy in the package: a tiny test policy (engine-fixtures/policy.wasm from the repository)'}`);
if (!cityPolicy) {
  mkdirSync(join(project, 'policy'));
  for (const file of ['policy.wasm', 'data.json']) {
    copyFileSync(join(repo, 'packages/core/src/policy/evaluation/engine-fixtures', file), join(project, 'policy', file));
  }
}

// (a) and (b): the same program as ESM and as CommonJS.
function program(format) {
  const esm = format === 'esm';
  const load = (id) => (esm ? `await import(${JSON.stringify(id)})` : `require(${JSON.stringify(id)})`);
  const head = esm
    ? `import { readFileSync } from 'node:fs';\nimport * as core from '@ward/core';\nimport { createNodeBackend } from '@ward/node';\n`
    : `'use strict';\nconst { readFileSync } = require('node:fs');\nconst core = require('@ward/core');\nconst { createNodeBackend } = require('@ward/node');\n`;
  const policy = cityPolicy
    ? `const { cityPolicyBundle } = ${load('@ward/core/city-policy')};
  const policy = await PolicyEngine.load(await core.readPolicyBundle(cityPolicyBundle(), { backend, verification: { form: 'none' } }), { backend });`
    : `const policy = await PolicyEngine.load({
    wasm: readFileSync('policy/policy.wasm'), data: JSON.parse(readFileSync('policy/data.json', 'utf8')), revision: '1',
  }, { backend });`;
  const body = `
const { EnvelopeError, MemoryDecisionLog, PolicyDeniedError, PolicyEngine, openEnvelope, sealEnvelope, verifyEnvelope } = core;
function check(condition, what) { if (!condition) throw new Error(\`${format}: \${what}\`); }

async function main() {
  const backend = createNodeBackend();
  const te = new TextEncoder();
  const producer = await backend.generateKey('Ed25519');
  const reader = await backend.generateKey('X25519');
  // A producer and zone the city policy knows (its data.json); the tiny test policy ignores them.
  const envelope = await sealEnvelope(te.encode('{"count":42}'), {
    backend,
    signer: { key: producer, kid: te.encode('footfall-counter-17') },
    recipients: [{ publicKey: await backend.publicKey(reader), kid: te.encode('analysts') }],
    claims: { issuer: 'footfall-counter-17', subject: 'footfall/market-square', sequence: 1041 },
    attributes: { classification: 'internal', zone: 'market-square', purpose: ['planning'] },
  });
  const trust = await backend.publicKey(producer);
  const facts = await verifyEnvelope(envelope, { backend, trust });
  check(facts.provenance.sequence === 1041 && facts.attributes.classification === 'internal', 'verify returned other facts');
  const tampered = envelope.slice();
  tampered[tampered.length - 1] ^= 1;
  const refused = await verifyEnvelope(tampered, { backend, trust }).then(() => false, (error) => EnvelopeError.isInstance(error));
  check(refused, 'a tampered envelope was not refused with EnvelopeError');

  ${policy}
  const decisionLog = new MemoryDecisionLog();
  const options = { backend, trust, recipient: { privateKey: reader, kid: te.encode('analysts') }, policy, decisionLog };
  const denied = await openEnvelope(envelope, { ...options, subject: { id: 'user:bob', roles: ['analyst'], purpose: 'marketing' } })
    .then(() => undefined, (error) => { if (PolicyDeniedError.isInstance(error)) return error.reasons; throw error; });
  check(denied !== undefined, 'the policy let an analyst read for marketing');
  const { plaintext, decision } = await openEnvelope(envelope, { ...options, subject: { id: 'user:alice', roles: ['analyst'], purpose: 'planning' } });
  check(new TextDecoder().decode(plaintext) === '{"count":42}', 'open returned other bytes');
  check(decision?.allow === true, 'no allow decision');

  // Every module entry of @ward/core loads and shares the root's classes; the platform packages hand out the root's functions.
  for (const id of ${JSON.stringify(subpaths)}) {
    const mod = ${esm ? 'await import(id)' : 'require(id)'};
    const names = Object.keys(mod).filter((name) => name !== 'default' && name !== '__esModule');
    check(names.length > 0, \`\${id} exports nothing\`);
    for (const name of names) check(!(name in core) || core[name] === mod[name], \`\${id} has its own copy of \${name}\`);
  }
  for (const id of ['@ward/node', '@ward/browser', '@ward/device']) {
    const mod = ${esm ? 'await import(id)' : 'require(id)'};
    check(mod.openEnvelope === openEnvelope && mod.PolicyEngine === PolicyEngine, \`\${id} does not re-export the @ward/core root\`);
  }
  const noble = (${load('@ward/device')}).createNobleBackend();
  const key = await noble.generateKey('Ed25519');
  const message = te.encode('device');
  check(await noble.verify(await noble.publicKey(key), message, await noble.sign(key, message)), 'noble sign/verify failed');

  console.log(\`sealed \${envelope.length} B, verified, tampered copy refused, opened; policy deny [\${denied}], allow [\${decision.reasons}]; ${subpaths.length} @ward/core entries and 3 platform roots loaded\`);
}
`;
  return `${head}${body}${esm ? 'await main();\n' : 'main().catch((error) => { console.error(error); process.exitCode = 1; });\n'}`;
}

// (c) TypeScript: strict type-checks of a program that imports every entry point.
const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
function tsconfig(name, compilerOptions, files) {
  writeFileSync(join(project, name), `${JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', lib: ['es2023'], types: ['node'], skipLibCheck: false, ...compilerOptions },
    files,
  }, null, 2)}\n`);
  return name;
}

function typedProgram(cjs) {
  const imports = subpaths.map((id, i) => `import * as entry${i} from '${id}';`).join('\n');
  return `${imports}
import { PolicyDeniedError, WardError, openEnvelope, sealEnvelope, verifyEnvelope, type PolicyEngine } from '@ward/core';
import { createNodeBackend } from '@ward/node';
import * as browser from '@ward/browser';
import * as device from '@ward/device';

export const entries: Record<string, readonly string[]> = {
${subpaths.map((id, i) => `  '${id}': Object.keys(entry${i}),`).join('\n')}
  '@ward/browser': Object.keys(browser),
  '@ward/device': Object.keys(device),
};

export async function roundTrip(policy: PolicyEngine | undefined): Promise<number> {
  const backend = createNodeBackend();
  const te = new TextEncoder();
  const producer = await backend.generateKey('Ed25519');
  const reader = await backend.generateKey('X25519');
  const envelope: Uint8Array = await sealEnvelope(te.encode('{"count":42}'), {
    backend,
    signer: { key: producer, kid: te.encode('counter-17') },
    recipients: [{ publicKey: await backend.publicKey(reader), kid: te.encode('analysts') }],
    claims: { issuer: 'counter-17', subject: 'footfall/market-square', sequence: 1041 },
    attributes: { classification: 'internal', zone: 'market-square', purpose: ['planning'] },
  });
  const trust = await backend.publicKey(producer);
  const facts = await verifyEnvelope(envelope, { backend, trust });
  // @ts-expect-error sealEnvelope needs its options (fails if the declarations degrade to any)
  void sealEnvelope(envelope);
  try {
    const { plaintext } = await openEnvelope(envelope, {
      backend, trust, policy, recipient: { privateKey: reader, kid: te.encode('analysts') },
      subject: { id: 'user:alice', roles: ['analyst'], purpose: 'planning' },
    });
    return plaintext.length + Number(facts.provenance.sequence);
  } catch (error) {
    if (PolicyDeniedError.isInstance(error)) return error.reasons.length;
    if (WardError.isInstance(error)) return error.code.length;
    throw error;
  }
}
${cjs ? '\nexport const loadedWith: NodeJS.Require = require;\n' : ''}`;
}

writeFileSync(join(project, 'consumer-esm.mts'), typedProgram(false));
writeFileSync(join(project, 'consumer-cjs.cts'), typedProgram(true));
writeFileSync(join(project, 'consumer-bundler.ts'), typedProgram(false));

// (d) README.md: every ```ts snippet, type-checked with the bundler program and run as written from the project.
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const snippets = [];
for (const match of readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
  const line = readme.slice(0, match.index).split('\n').length;
  const heading = [...readme.slice(0, match.index).matchAll(/^#+ (.*)$/gm)].at(-1)?.[1] ?? 'top';
  snippets.push({ line, heading, code: match[1], file: `readme/readme-${line}.ts` });
}
mkdirSync(join(project, 'readme'));
// `export {}`: a snippet is a module (top-level await) even when it imports nothing.
for (const snippet of snippets) writeFileSync(join(project, snippet.file), `${snippet.code}export {};\n`);

// Two tsc programs (node16: the .mts and .cts files; bundler: the .ts file and the README
// snippets) run side by side while the programs of (a) and (b) run.
const typeChecks = Promise.all([
  run(process.execPath, [tsc, '-p', tsconfig('tsconfig.node16.json', { module: 'node16', moduleResolution: 'node16' }, ['consumer-esm.mts', 'consumer-cjs.cts'])], { cwd: project }),
  run(process.execPath, [tsc, '-p', tsconfig('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler' }, ['consumer-bundler.ts', ...snippets.map((s) => s.file)])], { cwd: project }),
]);

for (const [format, file, label] of [['esm', 'consumer.mjs', '(a) ESM program (.mjs, import)'], ['cjs', 'consumer.cjs', '(b) CommonJS program (.cjs, require)']]) {
  writeFileSync(join(project, file), program(format));
  const result = await run(process.execPath, [file], { cwd: project, timeout: 60_000 });
  report(result.ok ? 'pass' : 'fail', `${label} [${result.time}]`, result.ok ? result.stdout.trim() : failure(result.output));
}


// tsc prints one diagnostic per line (continuations indented); each belongs to the file it names.
const [node16, bundler] = await typeChecks;
const diagnostics = (result) => result.output.split('\n').filter((line) => /^\S.*error TS\d+:/.test(line));
const errorsOf = (result, file) => diagnostics(result).filter((line) => line.startsWith(`${file}(`));
const files = ['consumer-esm.mts', 'consumer-cjs.cts', 'consumer-bundler.ts', ...snippets.map((s) => s.file)];
for (const [label, result, file] of [
  ['(c) tsc --strict, module/moduleResolution node16, ESM file (.mts)', node16, 'consumer-esm.mts'],
  ['(c) tsc --strict, module/moduleResolution node16, CommonJS file (.cts)', node16, 'consumer-cjs.cts'],
  ['(c) tsc --strict, moduleResolution bundler (module esnext, .ts)', bundler, 'consumer-bundler.ts'],
]) {
  const errors = errorsOf(result, file);
  let detail = errors.length === 0 ? `${subpaths.length + 3} entry points type-check` : errors.slice(0, 12).join('\n');
  const esmOnly = errors.filter((line) => line.includes('error TS1479'));
  if (esmOnly.length > 0) {
    const modules = esmOnly.map((line) => /import\("([^"]+)"\)/.exec(line)?.[1]).filter(Boolean);
    detail = [
      `TS1479 on ${esmOnly.length} imports: the exports maps give CommonJS the ESM declarations (one \`types\` for import and require; \`require\` needs .d.cts, issue 13 item 1)`,
      `modules: ${[...new Set(modules)].join(', ')}`,
      ...errors.filter((line) => !line.includes('error TS1479')).slice(0, 8),
    ].join('\n');
  }
  report(errors.length === 0 ? 'pass' : 'fail', `${label} [${result.time}]`, detail);
}
// Anything else tsc reports (the packages' own .d.ts files, a failure to run) fails too.
for (const [mode, result] of [['node16', node16], ['bundler', bundler]]) {
  const other = diagnostics(result).filter((line) => !files.some((file) => line.startsWith(`${file}(`)));
  if (other.length > 0 || (!result.ok && diagnostics(result).length === 0)) {
    report('fail', `(c) tsc --strict (${mode}): the installed declarations`, other.length > 0 ? other.slice(0, 12).join('\n') : tail(result.output, 12));
  }
}

const projectRequire = createRequire(join(project, 'package.json'));
const ts = projectRequire('typescript');
const wardNames = new Set();
for (const id of [...subpaths, '@ward/node', '@ward/browser', '@ward/device']) {
  try {
    for (const name of Object.keys(projectRequire(id))) wardNames.add(name);
  } catch {
    // (b) has reported a module that does not load.
  }
}
for (const snippet of snippets) {
  const label = `(d) README.md:${snippet.line} (${snippet.heading})`;
  const errors = errorsOf(bundler, snippet.file);
  // A snippet that only lacks names defined elsewhere needs context: skipped, with the names. A
  // name Ward exports is a missing import, and fails.
  const missing = [...new Set(errors.map((line) => /error TS2304: Cannot find name '([^']+)'/.exec(line)?.[1]))];
  const unimported = missing.filter((name) => wardNames.has(name));
  if (errors.length > 0 && !missing.includes(undefined) && unimported.length === 0) {
    report('skip', label, `needs context from elsewhere: uses ${missing.join(', ')}, which the snippet does not define`);
    continue;
  }
  if (unimported.length > 0) errors.unshift(`uses ${unimported.join(', ')} without importing it`);
  if (errors.length > 0) {
    report('fail', label, `type errors (tsc --strict, bundler)\n${errors.slice(0, 8).join('\n')}`);
    continue;
  }
  const js = ts.transpileModule(`${snippet.code}export {};\n`, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const file = snippet.file.replace(/\.ts$/, '.mjs');
  writeFileSync(join(project, file), js);
  const result = await run(process.execPath, [file], { cwd: project, timeout: 60_000 });
  if (result.ok) {
    report('pass', `${label} [${result.time}]`, `type-checks and runs${result.stdout.trim() ? `, prints ${result.stdout.trim().split('\n').join(' | ')}` : ''}`);
    continue;
  }
  const enoent = /ENOENT: no such file or directory, open '([^']+)'/.exec(result.output);
  const detail = enoent
    ? `reads ${enoent[1].replace(`${project}/`, '')}, a file of the repository, not of any installed package`
    : failure(result.output);
  report('fail', `${label} [${result.time}]`, detail);
}
if (snippets.length === 0) report('fail', '(d) README.md snippets', 'no ```ts snippet found');

console.log(`\nconsumer test: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped in ${seconds(t0)} (node ${process.version})`);
if (flags.has('--keep') || !existsSync(scratch)) console.log(`kept ${scratch}`);
else rmSync(scratch, { recursive: true, force: true });
process.exit(counts.fail > 0 ? 1 : 0);
