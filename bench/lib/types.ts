/**
 * The shapes a benchmark suite is written in, and the shapes its results come back in.
 *
 * @module
 */

/**
 * One timed operation: a single call is one op. It may return a promise, which the harness
 * then awaits inside the timed window; a synchronous op is called directly, with no microtask.
 */
export type Op = () => unknown;

/** One row of a suite's table: the same operation done by several implementations. */
export interface BenchCase {
  /** The row label, also matched by the command-line filter. */
  readonly name: string;
  /** Bytes processed by one op; when set, the table also shows MB/s for the row. */
  readonly bytes?: number;
  /** The op of each implementation, keyed by implementation name (`noble`, `node`, `jose`, …). */
  readonly ops: Readonly<Record<string, Op>>;
}

/** A group of cases printed as one table and written as `bench/results/<name>.json`. */
export interface Suite {
  /** Short stable name: the JSON file name and a command-line filter target. */
  readonly name: string;
  /** One line describing what is compared, printed above the table. */
  readonly title: string;
  /**
   * The implementation every other one is compared with: the ratio column `x/baseline` is
   * x's time per op divided by the baseline's, i.e. how many times faster the baseline is.
   */
  readonly baseline: string;
  /**
   * Creates keys, inputs and implementations once, outside any timed window, and returns the
   * cases. Table columns follow the order in which implementation names first appear.
   */
  setup(): Promise<readonly BenchCase[]>;
}

/** How long and how often to measure, and what to measure (from env vars and arguments). */
export interface Settings {
  /** Rounds per implementation; the reported figure is the median across rounds. */
  readonly rounds: number;
  /** Time budget of one round of one implementation, in milliseconds. */
  readonly timeMs: number;
  /** Warm-up time of one implementation before its first round, in milliseconds. */
  readonly warmupMs: number;
  /** Whether `BENCH_QUICK` chose the short defaults. */
  readonly quick: boolean;
  /** Lower-case substrings; a case runs when its name or its suite's name contains one. Empty: all. */
  readonly filters: readonly string[];
}

/** The measurement of one implementation of one case. */
export interface ImplResult {
  /** Median across rounds of the per-round mean time per op, in microseconds. */
  readonly medianUs: number;
  /** Fastest round, in microseconds per op. */
  readonly minUs: number;
  /** Slowest round, in microseconds per op. */
  readonly maxUs: number;
  /** Relative spread across rounds: (max − min) / median. */
  readonly spread: number;
  /** 1 / median, in ops per second. */
  readonly opsPerSec: number;
  /** Throughput in MB/s (10⁶ bytes), for cases with {@link BenchCase.bytes}. */
  readonly mbPerSec?: number;
  /** Ops per timed sample (calibrated in warm-up so a sample is well above timer resolution). */
  readonly batch: number;
  /** Ops timed in all rounds together. */
  readonly ops: number;
  /** Per-round mean time per op, in microseconds, in round order. */
  readonly roundsUs: readonly number[];
}

/** The results of one case. */
export interface CaseResult {
  readonly name: string;
  readonly bytes?: number;
  /** Per implementation, in column order. */
  readonly results: Readonly<Record<string, ImplResult>>;
  /** Per non-baseline implementation: its median time / the baseline's (absent if either is missing). */
  readonly ratios: Readonly<Record<string, number>>;
}

/** The results of one suite. */
export interface SuiteResult {
  readonly name: string;
  readonly title: string;
  readonly baseline: string;
  /** Column order. */
  readonly implementations: readonly string[];
  readonly cases: readonly CaseResult[];
}
