/**
 * Plain-text output: a header describing the run, and one markdown table per suite (aligned,
 * so it reads well in a terminal and pastes into a README).
 *
 * @module
 */
import type { Report } from './report.js';
import type { Settings, SuiteResult } from './types.js';

const MISSING = '—';

function fixed(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** About three significant digits; whole numbers with thousands separators from 100 up. */
function figure(value: number): string {
  if (value >= 100) return fixed(value, 0);
  if (value >= 10) return fixed(value, 1);
  return fixed(value, value >= 1 ? 2 : 3);
}

function ratio(value: number): string {
  return `${fixed(value, value >= 100 ? 0 : 2)}×`;
}

/**
 * The run's header: date, runtime, machine and method, as markdown.
 *
 * @param report - the run's date, machine and settings
 */
export function formatHeader({ date, machine, settings }: Pick<Report, 'date' | 'machine' | 'settings'>): string {
  return [
    '# Ward benchmarks',
    '',
    `- ${date}, Node ${machine.node} (V8 ${machine.v8}, OpenSSL ${machine.openssl}), ${machine.os}`,
    `- ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB`,
    `- ${describeMethod(settings)}`,
  ].join('\n');
}

function describeMethod(settings: Settings): string {
  const quick = settings.quick ? ' (BENCH_QUICK)' : '';
  return (
    `${settings.rounds} rounds × ${settings.timeMs} ms per implementation after ${settings.warmupMs} ms of warm-up${quick}, ` +
    'tinybench 6, one process. µs/op is the median across rounds of each round\'s mean; spread is (max − min) / median ' +
    'across rounds; MB/s counts 10⁶ bytes; `a/b` is a\'s time over b\'s, i.e. how many times faster b is.'
  );
}

/**
 * One suite as an aligned markdown table: per implementation µs/op, spread, ops/s (and MB/s
 * when a case sets `bytes`), then one ratio column per non-baseline implementation.
 *
 * @param suite - the measured suite
 */
export function formatSuite(suite: SuiteResult): string {
  const withBytes = suite.cases.some((benchCase) => benchCase.bytes !== undefined);
  const others = suite.implementations.filter((impl) => impl !== suite.baseline);

  const header = ['case'];
  for (const impl of suite.implementations) {
    header.push(`${impl} µs/op`, `${impl} spread`, `${impl} ops/s`);
    if (withBytes) header.push(`${impl} MB/s`);
  }
  header.push(...others.map((impl) => `${impl}/${suite.baseline}`));

  const rows = suite.cases.map((benchCase) => {
    const row = [benchCase.name];
    for (const impl of suite.implementations) {
      const result = benchCase.results[impl];
      row.push(
        result === undefined ? MISSING : figure(result.medianUs),
        result === undefined ? MISSING : `${fixed(result.spread * 100, result.spread < 0.1 ? 1 : 0)}%`,
        result === undefined ? MISSING : figure(result.opsPerSec),
      );
      if (withBytes) row.push(result?.mbPerSec === undefined ? '' : figure(result.mbPerSec));
    }
    row.push(...others.map((impl) => {
      const value = benchCase.ratios[impl];
      return value === undefined ? MISSING : ratio(value);
    }));
    return row;
  });

  const widths = header.map((title, column) => Math.max(3, title.length, ...rows.map((row) => row[column]!.length)));
  /* The first column (case names) is left-aligned, every figure right-aligned. */
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width - 1)}` : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;

  return [`## ${suite.name}: ${suite.title}`, '', line(header), rule, ...rows.map(line)].join('\n');
}
