/**
 * `npm run bench [filter…]`: runs every suite (or only the cases whose name or suite name
 * contains a filter), prints a header and one markdown table per suite to stdout and progress
 * to stderr, and writes the results to `bench/results/`. Settings: see `bench/README.md`.
 */
import { formatHeader, formatSuite } from './lib/format.js';
import { runSuite } from './lib/measure.js';
import { machineInfo, writeReport } from './lib/report.js';
import { isSelected, loadSettings } from './lib/settings.js';
import { startWatchdog } from './lib/watchdog.js';
import type { BenchCase, Suite, SuiteResult, SuiteSetup } from './lib/types.js';
import { cbor } from './suites/cbor.js';
import { envelope } from './suites/envelope.js';
import { keys, rewrapSuite } from './suites/keys.js';
import { keystore } from './suites/keystore.js';
import { policy } from './suites/policy.js';
import { primitives } from './suites/primitives.js';
import { replay } from './suites/replay.js';

/** Every suite, in the order they run and print. */
const SUITES: readonly Suite[] = [primitives, cbor, envelope, keys, rewrapSuite, keystore, policy, replay];

/** A suite's setup result as cases plus optional notes and tables. */
function asSetup(prepared: readonly BenchCase[] | SuiteSetup): SuiteSetup {
  return 'cases' in prepared ? prepared : { cases: prepared };
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

const started = performance.now();
const settings = loadSettings();
const run = { date: new Date().toISOString(), machine: machineInfo(), settings };

console.log(formatHeader(run));
/* A deadlock in the code under test would otherwise hang the run without a word. */
const watchdog = startWatchdog(settings.stallMs);
const suites: SuiteResult[] = [];
for (const suite of SUITES) {
  watchdog.beat(`${suite.name} / setup`);
  const { cases: all, notes, tables, teardown } = asSetup(await suite.setup());
  const cases = all.filter((benchCase) => isSelected(settings.filters, suite.name, benchCase.name));
  if (cases.length === 0) {
    await teardown?.();
    continue;
  }
  const result: SuiteResult = {
    ...(await runSuite(suite, cases, settings, progress, watchdog.beat)),
    ...(notes === undefined ? {} : { notes }),
    ...(tables === undefined ? {} : { tables }),
  };
  await teardown?.();
  console.log(`\n${formatSuite(result)}`);
  suites.push(result);
}

await watchdog.stop();

if (suites.length === 0) {
  progress(`no case matches ${settings.filters.map((filter) => `"${filter}"`).join(' or ')}`);
  process.exitCode = 1;
} else {
  for (const path of await writeReport({ ...run, suites })) progress(`wrote ${path}`);
  progress(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
