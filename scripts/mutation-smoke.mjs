#!/usr/bin/env node
/*
 * Mutation smoke run: proves that every listed security check has a test that notices its
 * removal (STYLE.md: "a check nobody tests is a check nobody has").
 *
 * Each mutant is a one-line edit of a security check, listed in scripts/mutants/*.json:
 *
 *   { "id": "open-commitment",
 *     "check": "openEnvelope() compares the key commitment before decrypting",
 *     "file": "packages/core/src/envelope/open.ts",
 *     "find": "if (!commitmentsEqual(",
 *     "replace": "if (false && !commitmentsEqual(",
 *     "tests": ["packages/core/src/envelope/open.test.ts"] }
 *
 * For each mutant the script checks that `find` occurs exactly once in `file` (a stale mutant
 * is an error, never a silent skip), writes the mutated file, runs only the mutant's test files
 * with vitest, and restores the file. A mutant is killed when at least one test fails; it
 * survives when every test still passes. A run that fails without any failing test (a test
 * file that does not load, a listed file that does not exist, a mutant that breaks the
 * syntax) proves nothing about the check and is reported as an error, never as a kill.
 * Before any mutant, the union of all listed test files runs once unmutated and must pass,
 * so a kill always means the mutation broke a test.
 *
 * Usage: node scripts/mutation-smoke.mjs [--list] [--only <id substring>]
 * Exit code 0 only when every mutant was killed. Prints `mutants: N killed, 0 survived`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mutantsDir = join(root, 'scripts', 'mutants');
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
/** A mutant whose tests do not finish in this time is reported as an error, never as killed. */
const RUN_TIMEOUT_MS = 10 * 60_000;

function usage(message) {
  if (message) console.error(message);
  console.error('usage: node scripts/mutation-smoke.mjs [--list] [--only <id substring>]');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { list: false, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--list') args.list = true;
    else if (argv[i] === '--only') {
      args.only = argv[++i];
      if (!args.only) usage('--only needs an id substring');
    } else usage(`unknown argument ${argv[i]}`);
  }
  return args;
}

const FIELDS = ['id', 'check', 'file', 'find', 'replace', 'tests'];

function loadMutants() {
  const mutants = [];
  const ids = new Set();
  for (const name of readdirSync(mutantsDir).filter((n) => n.endsWith('.json')).sort()) {
    const list = JSON.parse(readFileSync(join(mutantsDir, name), 'utf8'));
    if (!Array.isArray(list)) throw new Error(`${name}: expected an array of mutants`);
    for (const mutant of list) {
      for (const field of FIELDS) {
        if (mutant[field] === undefined) throw new Error(`${name}: mutant ${mutant.id ?? '?'} lacks ${field}`);
      }
      if (!Array.isArray(mutant.tests) || mutant.tests.length === 0) throw new Error(`${name}: mutant ${mutant.id} lists no tests`);
      if (mutant.find === mutant.replace) throw new Error(`${name}: mutant ${mutant.id} changes nothing`);
      if (ids.has(mutant.id)) throw new Error(`${name}: duplicate mutant id ${mutant.id}`);
      ids.add(mutant.id);
      mutants.push({ ...mutant, source: name });
    }
  }
  return mutants;
}

function occurrences(haystack, needle) {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) count++;
  return count;
}

const reportDir = mkdtempSync(join(tmpdir(), 'ward-mutants-'));
process.on('exit', () => rmSync(reportDir, { recursive: true, force: true }));

/**
 * Runs `tests` once. `failed` means at least one test failed; `broken` means the run failed
 * with no failing test (a file that did not load, no tests found), which kills nothing.
 */
function runTests(tests) {
  const report = join(reportDir, 'report.json');
  rmSync(report, { force: true });
  const result = spawnSync(process.execPath, [vitest, 'run', '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`, '--bail=1', ...tests], {
    cwd: root,
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout}${result.stderr}`;
  if (result.error?.code === 'ETIMEDOUT') return { status: 'timeout', output };
  if (result.error) throw result.error;
  let failedTests = 0;
  let loadFailures = 0;
  if (existsSync(report)) {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    failedTests = summary.numFailedTests ?? 0;
    /* A file that failed without any failed assertion did not load (or had no tests). */
    loadFailures = (summary.testResults ?? []).filter((file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')).length;
  }
  if (result.status === 0 && failedTests === 0 && loadFailures === 0) return { status: 'passed', output };
  if (failedTests > 0) return { status: 'failed', output };
  return { status: 'broken', output };
}

/* A file being mutated is restored on any exit, including Ctrl-C. */
let pendingRestore;
function restorePending() {
  if (pendingRestore) {
    writeFileSync(pendingRestore.path, pendingRestore.original);
    pendingRestore = undefined;
  }
}
process.on('exit', restorePending);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    restorePending();
    process.exit(130);
  });
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  let mutants = loadMutants();
  if (args.only) mutants = mutants.filter((m) => m.id.includes(args.only));
  if (args.list) {
    for (const m of mutants) console.log(`${m.id}\t${m.file}\t${m.check}`);
    console.log(`${mutants.length} mutants`);
    return;
  }
  if (mutants.length === 0) usage('no mutants selected');

  /* Every mutant must apply to exactly one place, or the list has gone stale. */
  const stale = [];
  for (const m of mutants) {
    const count = occurrences(readFileSync(join(root, m.file), 'utf8'), m.find);
    if (count !== 1) stale.push(`${m.id}: "${m.find}" occurs ${count} times in ${m.file}`);
  }
  for (const test of new Set(mutants.flatMap((m) => m.tests))) {
    if (!existsSync(join(root, test))) stale.push(`test file ${test} does not exist`);
  }
  if (stale.length > 0) {
    console.error(`stale mutants (fix scripts/mutants/):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }

  const runStarted = Date.now();
  const allTests = [...new Set(mutants.flatMap((m) => m.tests))].sort();
  console.log(`baseline: ${allTests.length} test files, unmutated`);
  const baseline = runTests(allTests);
  if (baseline.status !== 'passed') {
    console.error(baseline.output);
    console.error('baseline failed: the tests must pass before mutants mean anything');
    process.exit(1);
  }

  const survivors = [];
  const errors = [];
  let killed = 0;
  for (const m of mutants) {
    const path = join(root, m.file);
    const original = readFileSync(path, 'utf8');
    pendingRestore = { path, original };
    writeFileSync(path, original.replace(m.find, () => m.replace));
    const started = Date.now();
    let outcome;
    try {
      outcome = runTests(m.tests);
    } finally {
      restorePending();
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (outcome.status === 'failed') {
      killed++;
      console.log(`killed    ${m.id} (${seconds} s)`);
    } else if (outcome.status === 'broken') {
      errors.push(m);
      console.log(`BROKEN    ${m.id}: its run failed without a failing test (a file did not load?):\n${outcome.output.slice(-4000)}`);
    } else if (outcome.status === 'timeout') {
      errors.push(m);
      console.log(`timeout   ${m.id}: its tests did not finish in ${RUN_TIMEOUT_MS / 60_000} min`);
    } else {
      survivors.push(m);
      console.log(`SURVIVED  ${m.id}: ${m.check} (${m.file}; tests ${m.tests.join(', ')})`);
    }
  }
  console.log(`\nmutants: ${killed} killed, ${survivors.length} survived${errors.length > 0 ? `, ${errors.length} broken or timed out` : ''} (${Math.round((Date.now() - runStarted) / 1000)} s)`);
  if (survivors.length > 0 || errors.length > 0) process.exit(1);
}

main();
