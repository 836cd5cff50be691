/**
 * Measuring: warm-up and batch calibration, then rounds of short tinybench runs, then the
 * median across rounds.
 *
 * @module
 */
import { Bench } from 'tinybench';
import type { BenchCase, CaseResult, ImplResult, Op, Settings, Suite, SuiteResult } from './types.js';

/**
 * Target length of one timed sample in milliseconds. Fast ops run in batches this long, so the
 * timer's resolution and the cost of reading it (tens of ns) stay far below 0.1 % of a sample.
 */
const SAMPLE_MS = 0.1;

/** An op ready to time: whether it returns promises, and how many calls make one sample. */
interface Timed {
  readonly op: Op;
  readonly async: boolean;
  readonly batch: number;
}

/** What one round of one implementation yields. */
interface Round {
  /** Mean time per op in milliseconds. */
  readonly meanMs: number;
  /** Ops timed. */
  readonly ops: number;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * One tinybench sample: the mean time per op of a batch (`overriddenDuration`), while the
 * whole batch counts against the round's time budget (`overriddenIterationCost`). Returning
 * the last result keeps it observable, so the optimizer cannot drop the calls.
 */
function sample(start: number, batch: number, result: unknown) {
  const elapsed = performance.now() - start;
  return { overriddenDuration: elapsed / batch, overriddenIterationCost: elapsed, result };
}

/** The tinybench task function: `batch` calls of the op, awaited only if the op is async. */
function batchOf({ op, async, batch }: Timed): () => unknown {
  if (async) {
    return async () => {
      const start = performance.now();
      let result: unknown;
      for (let i = 0; i < batch; i++) result = await op();
      return sample(start, batch, result);
    };
  }
  return () => {
    const start = performance.now();
    let result: unknown;
    for (let i = 0; i < batch; i++) result = op();
    return sample(start, batch, result);
  };
}

/** Runs one tinybench run of `timed` for at least `timeMs` (and at least one sample). */
async function runRound(timed: Timed, timeMs: number, warmup: boolean): Promise<Round> {
  /* One sample of warm-up per round brings caches back after the other cases ran. */
  const bench = new Bench({ time: timeMs, iterations: 1, warmup, warmupTime: 0, warmupIterations: 1, throws: true });
  bench.add('op', batchOf(timed), { async: timed.async });
  const [task] = timed.async ? await bench.run() : bench.runSync();
  const result = task?.result;
  if (result?.state !== 'completed') throw new Error(`tinybench round ended in state ${result?.state ?? 'unknown'}`);
  return { meanMs: result.latency.mean, ops: result.latency.samplesCount * timed.batch };
}

/**
 * Calls `op` once to learn whether it is asynchronous, warms it up for `warmupMs` one call per
 * sample, and sizes its batch from the warm-up's mean time per op.
 */
async function prepare(op: Op, warmupMs: number): Promise<Timed> {
  const first = op();
  const async = isThenable(first);
  if (async) await first;
  const { meanMs } = await runRound({ op, async, batch: 1 }, warmupMs, false);
  /* Floor at 1 ns per op so a zero reading from a coarse timer cannot divide by zero. */
  return { op, async, batch: Math.max(1, Math.ceil(SAMPLE_MS / Math.max(meanMs, 1e-6))) };
}

function median(sorted: readonly number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summarize(rounds: readonly Round[], batch: number, bytes: number | undefined): ImplResult {
  const roundsUs = rounds.map((round) => round.meanMs * 1000);
  const sorted = [...roundsUs].sort((a, b) => a - b);
  const medianUs = median(sorted);
  const minUs = sorted[0]!;
  const maxUs = sorted[sorted.length - 1]!;
  const opsPerSec = 1e6 / medianUs;
  return {
    medianUs,
    minUs,
    maxUs,
    spread: (maxUs - minUs) / medianUs,
    opsPerSec,
    ...(bytes === undefined ? {} : { mbPerSec: (bytes * opsPerSec) / 1e6 }),
    batch,
    ops: rounds.reduce((total, round) => total + round.ops, 0),
    roundsUs,
  };
}

/**
 * Measures every implementation of every case: each is probed and warmed up first, then
 * `settings.rounds` rounds run, each a short tinybench run of `settings.timeMs` for every
 * implementation of every case in turn (so slow drift and bursts of noise spread across all
 * rows instead of spoiling one). A round's figure is its mean time per op; an
 * implementation's figure is the median of its rounds.
 *
 * @param suite - the suite, for its name, title and baseline
 * @param cases - the cases to run (already filtered)
 * @param settings - rounds and times
 * @param progress - receives one line per phase (warm-up, each round)
 * @param beat - told what is about to run before every warm-up and every round (for a
 *   stall detector, see `watchdog.ts`)
 * @throws Error when the baseline implements none of the cases, or when an op throws
 */
export async function runSuite(
  suite: Suite,
  cases: readonly BenchCase[],
  settings: Settings,
  progress: (line: string) => void,
  beat: (doing: string) => void = () => {},
): Promise<SuiteResult> {
  const implementations = [...new Set(cases.flatMap((benchCase) => Object.keys(benchCase.ops)))];
  if (!implementations.includes(suite.baseline)) {
    throw new Error(`suite ${suite.name}: baseline "${suite.baseline}" implements none of the selected cases`);
  }

  const entries: { readonly benchCase: BenchCase; readonly impl: string; readonly timed: Timed; readonly rounds: Round[] }[] = [];
  progress(`${suite.name}: probing and warming up ${cases.length} cases`);
  for (const benchCase of cases) {
    for (const impl of implementations) {
      const op = benchCase.ops[impl];
      if (op === undefined) continue;
      beat(`${suite.name} / ${benchCase.name} / ${impl}, warm-up`);
      entries.push({ benchCase, impl, timed: await prepare(op, settings.warmupMs), rounds: [] });
    }
  }

  for (let round = 1; round <= settings.rounds; round++) {
    progress(`${suite.name}: round ${round}/${settings.rounds}`);
    for (const entry of entries) {
      beat(`${suite.name} / ${entry.benchCase.name} / ${entry.impl}, round ${round}`);
      entry.rounds.push(await runRound(entry.timed, settings.timeMs, true));
    }
  }

  const results: CaseResult[] = cases.map((benchCase) => {
    const byImpl: Record<string, ImplResult> = {};
    for (const entry of entries) {
      if (entry.benchCase === benchCase) byImpl[entry.impl] = summarize(entry.rounds, entry.timed.batch, benchCase.bytes);
    }
    const baseline = byImpl[suite.baseline];
    const ratios: Record<string, number> = {};
    for (const [impl, result] of Object.entries(byImpl)) {
      if (baseline !== undefined && impl !== suite.baseline) ratios[impl] = result.medianUs / baseline.medianUs;
    }
    const pairRatios: Record<string, number> = {};
    for (const [a, b] of suite.ratios ?? []) {
      const numerator = byImpl[a];
      const denominator = byImpl[b];
      if (numerator !== undefined && denominator !== undefined) pairRatios[`${a}/${b}`] = numerator.medianUs / denominator.medianUs;
    }
    return {
      name: benchCase.name,
      ...(benchCase.bytes === undefined ? {} : { bytes: benchCase.bytes }),
      results: byImpl,
      ratios,
      ...(suite.ratios === undefined ? {} : { pairRatios }),
    };
  });
  return {
    name: suite.name,
    title: suite.title,
    baseline: suite.baseline,
    implementations,
    ...(suite.ratios === undefined ? {} : { ratioPairs: suite.ratios.map(([a, b]) => `${a}/${b}`) }),
    ...(suite.figures === undefined ? {} : { figures: suite.figures }),
    cases: results,
  };
}
