#!/usr/bin/env node
/*
 * Proves that the tests need nothing beside the repository for their public vectors: copies
 * the tracked files into a fresh temporary directory (so no `../shared` sits beside the copy),
 * links the installed node_modules, and runs there, with WARD_VECTORS_DIR unset and HOME
 * pointing into the temporary directory, every test file that reads vectors. Then it checks that
 * every vector of the repository's `vectors/` ran (the counts each test prints against the counts
 * in the files) and prints how many ran.
 *
 * Usage: node scripts/vectors-offline.mjs   (after npm install; .ci/run runs it)
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();

/* The test files that read vectors: every *.test.ts that uses the vectors resolver or a test-kit reader. */
const READERS = /vectors-dir\.js|runWycheproofSuite\(|loadWycheproof\(|readVectorJson|vectorJsonFiles\(|vectorSubdirs\(/;
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
const testFiles = tracked.filter((f) => /^packages\/[^/]+\/src\/.*\.test\.ts$/.test(f) && READERS.test(readFileSync(join(root, f), 'utf8')));

/* What the repository's vectors/ holds, counted from the files themselves. */
const vectors = join(root, 'vectors');
const json = (p) => JSON.parse(readFileSync(join(vectors, p), 'utf8'));
const jsonFiles = (dir) => readdirSync(join(vectors, dir)).filter((n) => n.endsWith('.json'));
const wycheproofFiles = readdirSync(join(vectors, 'wycheproof/testvectors_v1')).filter((n) => n.endsWith('.json')).sort();
const expected = {
  wycheproof: Object.fromEntries(wycheproofFiles.map((f) => [f, json(`wycheproof/testvectors_v1/${f}`).numberOfTests])),
  'cose-wg': readdirSync(join(vectors, 'cose-wg-examples'), { withFileTypes: true })
    .filter((d) => d.isDirectory()).reduce((n, d) => n + jsonFiles(`cose-wg-examples/${d.name}`).length, 0),
  gluecose: jsonFiles('gluecose-test-vectors').length,
  'go-cose-negative': jsonFiles('go-cose-negative/testdata').length,
  cde: readFileSync(join(vectors, 'cbor-cde-examples/example-table-input.csv'), 'utf8').trim().split('\n').length, // no header row
};

/* The copy: tracked files, plus node_modules as links (workspace links stay relative, so @ward/* resolve inside the copy). */
const tmp = mkdtempSync(join(tmpdir(), 'ward-vectors-offline-'));
const copy = join(tmp, 'ward');
try {
  if (testFiles.length === 0) fail('no test file reads vectors: the reader pattern no longer matches the tests');
  for (const f of tracked) {
    const from = join(root, f);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    cpSync(from, join(copy, f), { verbatimSymlinks: true });
  }
  for (const dir of ['node_modules', ...readdirSync(join(root, 'packages')).map((p) => `packages/${p}/node_modules`)]) {
    if (existsSync(join(root, dir))) linkModules(join(root, dir), join(copy, dir));
  }
  if (existsSync(join(tmp, 'shared')) || existsSync(join(copy, '..', 'shared'))) fail('a shared/ folder sits beside the copy');

  const env = { ...process.env, HOME: join(tmp, 'home'), CI: 'true' };
  delete env.WARD_VECTORS_DIR;
  mkdirSync(env.HOME);
  const vitest = join(copy, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', ...testFiles, '--reporter=dot'], { cwd: copy, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const output = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  if (run.status !== 0) {
    process.stdout.write(output);
    fail(`vitest exited with ${run.status ?? run.signal} in ${copy}`);
  }

  /* Count what ran, from the summary line each vector test prints. */
  const ran = { wycheproof: {}, 'cose-wg': 0, gluecose: 0, 'go-cose-negative': 0, cbor: {}, cde: 0 };
  for (const m of output.matchAll(/^wycheproof (\S+) (\S+): (\d+) run .*, 0 failures$/gm)) (ran.wycheproof[m[1]] ??= {})[m[2]] = Number(m[3]);
  for (const m of output.matchAll(/^cose-wg TOTAL: (\d+) cases/gm)) ran['cose-wg'] = Number(m[1]);
  for (const m of output.matchAll(/^gluecose: (\d+) cases/gm)) ran.gluecose = Number(m[1]);
  for (const m of output.matchAll(/^go-cose-negative: (\d+) cases/gm)) ran['go-cose-negative'] = Number(m[1]);
  for (const m of output.matchAll(/^cbor-wg (.+?): (\d+) cases/gm)) ran.cbor[m[1]] = Number(m[2]);
  for (const m of output.matchAll(/^CDE table .+?: (\d+) rows/gm)) ran.cde += Number(m[1]);

  const problems = [];
  const backends = Object.keys(ran.wycheproof).sort();
  if (backends.length < 2) problems.push(`Wycheproof ran on ${backends.length} backend(s) (${backends.join(', ') || 'none'}), expected noble and node`);
  for (const b of backends) {
    for (const [file, n] of Object.entries(expected.wycheproof)) {
      if (ran.wycheproof[b][file] !== n) problems.push(`wycheproof ${b} ${file}: ${ran.wycheproof[b][file] ?? 'not run'}, file has ${n}`);
    }
  }
  for (const set of ['cose-wg', 'gluecose', 'go-cose-negative', 'cde']) {
    if (ran[set] !== expected[set]) problems.push(`${set}: ${ran[set]} ran, vectors/ has ${expected[set]}`);
  }
  const cborParts = Object.keys(ran.cbor).length;
  const cbor = Object.values(ran.cbor).reduce((a, b) => a + b, 0);
  if (cborParts !== 4 || Object.values(ran.cbor).some((n) => n === 0)) problems.push(`cbor-wg: ${JSON.stringify(ran.cbor)}, expected 4 non-empty parts`);
  if (problems.length > 0) {
    for (const line of output.split('\n')) if (/^(wycheproof|cose-wg TOTAL|gluecose|go-cose-negative|cbor-wg|CDE table) /.test(line)) console.log(line);
    fail(`not every vector in vectors/ ran:\n  ${problems.join('\n  ')}`);
  }

  const tests = /Tests\s+(\d+) passed/.exec(output)?.[1] ?? '?';
  const perBackend = Object.values(expected.wycheproof).reduce((a, b) => a + b, 0);
  const total = perBackend * backends.length + ran['cose-wg'] + ran.gluecose + ran['go-cose-negative'] + cbor + ran.cde;
  const fmt = (n) => n.toLocaleString('en-US');
  console.log(`vectors offline: ${testFiles.length} test files (${tests} tests) passed in a copy at ${copy}, WARD_VECTORS_DIR unset, no ../shared`);
  for (const f of testFiles) console.log(`  ${f}`);
  console.log(`vectors run from the repository's vectors/: ${fmt(total)}`);
  console.log(`  wycheproof     ${fmt(perBackend)} × ${backends.length} backends (${backends.join(', ')}), ${wycheproofFiles.length} files`);
  console.log(`  cose-wg        ${fmt(ran['cose-wg'])}`);
  console.log(`  gluecose       ${fmt(ran.gluecose)}`);
  console.log(`  go-cose        ${fmt(ran['go-cose-negative'])}`);
  console.log(`  cbor-wg        ${fmt(cbor)} (${Object.entries(ran.cbor).map(([k, n]) => `${k} ${fmt(n)}`).join(', ')})`);
  console.log(`  cbor-cde       ${fmt(ran.cde)} rows`);
  console.log(`vectors offline: ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`vectors offline: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

/** Links every installed package of `from` into `to`: workspace symlinks are recreated as they are (relative), the rest point at the original. */
function linkModules(from, to) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    if (name === '.vite' || name === '.vite-temp' || name === '.cache') continue; // caches are written, so the copy gets its own
    const src = join(from, name);
    const stat = lstatSync(src);
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(src), join(to, name));
    else if (name.startsWith('@') && stat.isDirectory()) linkModules(src, join(to, name));
    else symlinkSync(src, join(to, name));
  }
}

function fail(message) {
  throw new Error(message);
}
