#!/usr/bin/env node
/*
 * Bundle sizes as a browser app gets them: esbuild bundles three small programs from the BUILT
 * packages (dist/, resolved through each package's `exports` like any consumer; run `npm run build`
 * first), for the browser platform, minified, and this prints minified and gzip (level 9) bytes:
 *
 *   seal       sealEnvelope + createNobleBackend (a sensor that only seals)
 *   envelope   seal, verify and open, no policy
 *   policy     PolicyEngine + openEnvelope with `policy`
 *
 * each through @ward/core, @ward/device and @ward/browser, once as esbuild does it and once with
 * Ward's `"sideEffects": false` ignored (what Ward's modules really do when loaded). Results go
 * to bench/results/bundle-sizes.json. It fails when
 *   - a `seal` or `envelope` bundle, in either mode, contains the policy engine's dependencies
 *     (opa-wasm, yaml, sprintf-js): by the bundle's inputs and by a string only their code
 *     contains, so the flag and Ward's lazy loading of opa-wasm are checked, not assumed;
 *   - evaluating @ward/browser (its whole static module graph, nothing tree-shaken, as a browser's
 *     module loader would) in a fresh vm context with `window` and `self` defines any new global
 *     (sprintf-js, once loaded, sets `window.sprintf` and `window.vsprintf`).
 * Sizes are printed, not judged (budgets come with the device and browser work).
 */
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import vm from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/* Program text both the envelope and the policy programs start with: a producer key, a reader key and one sealed envelope. */
const SEAL_FOR_A_READER = `
const key = await backend.generateKey('Ed25519');
const readerKey = await backend.generateKey('X25519');
const te = new TextEncoder();
const envelope = await sealEnvelope(te.encode('{"count":42}'), {
  backend, signer: { key, kid: te.encode('counter') }, recipients: [{ publicKey: await backend.publicKey(readerKey), kid: te.encode('analysts') }],
  claims: { issuer: 'counter', subject: 'footfall', sequence: 1 }, attributes: { classification: 'internal' },
});
`;

/* The three programs; `@PKG` is the package they import from. Each uses what it imports, so nothing is shaken that an app would keep. */
const PROGRAMS = {
  seal: `
import { sealEnvelope, createNobleBackend } from '@PKG';
const backend = createNobleBackend();
const key = await backend.generateKey('Ed25519');
const reader = await backend.publicKey(await backend.generateKey('X25519'));
const te = new TextEncoder();
globalThis.out = await sealEnvelope(te.encode('{"count":42}'), {
  backend, signer: { key, kid: te.encode('counter') }, recipients: [{ publicKey: reader, kid: te.encode('analysts') }],
  claims: { issuer: 'counter', subject: 'footfall', sequence: 1 }, attributes: { classification: 'internal' },
});
`,
  envelope: `
import { sealEnvelope, verifyEnvelope, openEnvelope, createNobleBackend } from '@PKG';
const backend = createNobleBackend();
${SEAL_FOR_A_READER}const trust = await backend.publicKey(key);
globalThis.out = [await verifyEnvelope(envelope, { backend, trust }),
  await openEnvelope(envelope, { backend, trust, recipient: { privateKey: readerKey, kid: te.encode('analysts') } })];
`,
  policy: `
import { sealEnvelope, openEnvelope, createNobleBackend, PolicyEngine } from '@PKG';
const backend = createNobleBackend();
const policy = await PolicyEngine.load({ wasm: globalThis.policyWasm, data: {}, revision: 'r1' }, { backend });
${SEAL_FOR_A_READER}globalThis.out = await openEnvelope(envelope, {
  backend, trust: await backend.publicKey(key), recipient: { privateKey: readerKey, kid: te.encode('analysts') },
  policy, subject: { id: 'user:alice', roles: ['analyst'], purpose: 'planning' },
});
`,
};
const PACKAGES = ['@ward/core', '@ward/device', '@ward/browser'];

/* The policy engine's dependencies: how a bundle input's path names them, and a string only their code holds (error texts survive minification). */
const POLICY_ONLY = [
  { name: '@open-policy-agent/opa-wasm', path: '/@open-policy-agent/opa-wasm/', text: 'entrypoint value is an invalid type' },
  { name: 'yaml', path: '/node_modules/yaml/', text: 'Excessive alias count indicates a resource exhaustion attack' },
  { name: 'sprintf-js', path: '/node_modules/sprintf-js/', text: '[sprintf] unexpected placeholder' },
];

/*
 * "sideEffects": false must be true in fact, not only declared: this plugin makes esbuild treat
 * every file of Ward's own packages as having side effects (as a bundler that ignores the flag
 * would), so only what Ward's modules really do at load time keeps code alive. Other packages
 * keep their own flags.
 */
const distrustWard = {
  name: 'distrust-ward-side-effects',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'distrust-ward') return undefined;
      const result = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'distrust-ward' });
      if (result.errors.length > 0 || !/[/\\]packages[/\\][a-z]+[/\\]dist[/\\]/.test(result.path)) return undefined;
      return { path: result.path, sideEffects: true };
    });
  },
};

async function bundle(contents, options = {}) {
  const result = await build({
    stdin: { contents, resolveDir: root, sourcefile: 'program.js', loader: 'js' },
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    logLevel: 'silent',
    ...options,
  });
  const code = result.outputFiles[0].contents;
  /* The files that put bytes into the output (metafile.inputs lists every file parsed, shaken or not). */
  const [output] = Object.values(result.metafile.outputs);
  const inputs = Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path);
  return { code, text: new TextDecoder().decode(code), inputs };
}

const failures = [];
const rows = [];
const policyDepsOf = ({ text, inputs }) => POLICY_ONLY.filter((dep) => inputs.some((input) => input.includes(dep.path)) || text.includes(dep.text));
for (const [program, source] of Object.entries(PROGRAMS)) {
  for (const pkg of PACKAGES) {
    const contents = source.replaceAll('@PKG', pkg);
    const trusted = await bundle(contents);
    const distrusted = await bundle(contents, { plugins: [distrustWard] });
    const row = {
      program,
      package: pkg,
      minifiedBytes: trusted.code.length,
      gzipBytes: gzipSync(trusted.code, { level: 9 }).length,
      policyEngineDependencies: policyDepsOf(trusted).map((dep) => dep.name),
      /* The same program when Ward's "sideEffects": false is not trusted. */
      withoutSideEffectsFlag: {
        minifiedBytes: distrusted.code.length,
        gzipBytes: gzipSync(distrusted.code, { level: 9 }).length,
        policyEngineDependencies: policyDepsOf(distrusted).map((dep) => dep.name),
      },
    };
    rows.push(row);
    if (program !== 'policy') {
      if (row.policyEngineDependencies.length > 0) failures.push(`${program} via ${pkg} carries the policy engine's dependencies: ${row.policyEngineDependencies.join(', ')}`);
      const untrue = row.withoutSideEffectsFlag.policyEngineDependencies;
      if (untrue.length > 0) failures.push(`${program} via ${pkg} carries ${untrue.join(', ')} once Ward's "sideEffects": false is not trusted: a Ward module loads them at top level`);
    } else {
      /* Each marker must be found where the code is, or the checks above could never fail. */
      for (const dep of POLICY_ONLY) {
        if (!trusted.inputs.some((input) => input.includes(dep.path))) failures.push(`policy via ${pkg} has no input from ${dep.name}: the path marker is stale`);
        if (!trusted.text.includes(dep.text)) failures.push(`policy via ${pkg} lacks ${JSON.stringify(dep.text)}: the text marker for ${dep.name} is stale`);
      }
    }
  }
}

/*
 * Globals: bundle all of @ward/browser with tree-shaking off (every statically imported module is
 * evaluated, as a browser evaluates an ES module graph; dynamic imports stay lazy), run it in a new
 * context that looks like a window, and compare the global names before and after.
 */
const whole = await bundle(`import * as ward from '@ward/browser'; export { ward };`, { format: 'iife', globalName: '__wardProbe', treeShaking: false, minify: false });
const context = vm.createContext({ crypto: globalThis.crypto, TextEncoder, TextDecoder, console });
vm.runInContext('globalThis.window = globalThis; globalThis.self = globalThis;', context);
const before = new Set(vm.runInContext('Object.getOwnPropertyNames(globalThis)', context));
vm.runInContext(whole.text, context, { filename: '@ward/browser (bundled, not tree-shaken)' });
const exported = vm.runInContext('Object.keys(globalThis.__wardProbe.ward).length', context);
const added = vm.runInContext('Object.getOwnPropertyNames(globalThis)', context).filter((name) => !before.has(name) && name !== '__wardProbe');
if (exported === 0) failures.push('importing @ward/browser in a vm context gave no exports: the globals probe ran nothing');
if (added.length > 0) failures.push(`importing @ward/browser defines globals: ${added.join(', ')}`);

const kb = (bytes) => (bytes / 1000).toFixed(1);
console.log('bundle sizes (esbuild, platform browser, minified; gzip level 9), from the built packages:\n');
console.log('| program | package | minified (KB) | gzip (KB) | policy engine deps | gzip (KB), Ward\'s sideEffects flag ignored | policy engine deps then |');
console.log('| --- | --- | ---: | ---: | --- | ---: | --- |');
const deps = (list) => (list.length === 0 ? '-' : list.join(', '));
for (const row of rows) {
  const without = row.withoutSideEffectsFlag;
  console.log(`| ${row.program} | ${row.package} | ${kb(row.minifiedBytes)} | ${kb(row.gzipBytes)} | ${deps(row.policyEngineDependencies)} | ${kb(without.gzipBytes)} | ${deps(without.policyEngineDependencies)} |`);
}
console.log(`\nimporting @ward/browser in a fresh vm context: ${exported} exports, new globals: ${added.length === 0 ? 'none' : added.join(', ')}`);

const out = join(root, 'bench/results/bundle-sizes.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ esbuild: (await import('esbuild')).version, platform: 'browser', gzipLevel: 9, bundles: rows, browserImportGlobals: added }, null, 2)}\n`);
console.log(`wrote ${out.slice(root.length + 1)}`);

if (failures.length > 0) {
  for (const failure of failures) console.error(`FAIL: ${failure}`);
  process.exit(1);
}
