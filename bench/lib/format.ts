/**
 * Plain-text output: a header describing the run, and one markdown table per suite (aligned,
 * so it reads well in a terminal and pastes into a README).
 *
 * @module
 */
import type { Report } from './report.js';
import type { Figure, ImplResult, Settings, SuiteResult } from './types.js';

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

/** The default per-implementation figures (MB/s only when a case processes a payload). */
const DEFAULT_FIGURES: readonly Figure[] = ['µs/op', 'spread', 'ops/s', 'MB/s'];

function figureCell(name: Figure, result: ImplResult | undefined): string {
  if (result === undefined) return MISSING;
  switch (name) {
    case 'µs/op': return figure(result.medianUs);
    case 'spread': return `${fixed(result.spread * 100, result.spread < 0.1 ? 1 : 0)}%`;
    case 'ops/s': return figure(result.opsPerSec);
    case 'MB/s': return result.mbPerSec === undefined ? '' : figure(result.mbPerSec);
  }
}

/**
 * An aligned markdown table: the first column left-aligned, every other one right-aligned.
 *
 * @param header - column titles
 * @param rows - cells, one array per row, as long as `header`
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(3, title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, column) => (column === 0 ? (cells[column] ?? '').padEnd(width) : (cells[column] ?? '').padStart(width))).join(' | ')} |`;
  const rule = `| ${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width - 1)}` : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function bullets(notes: readonly string[] | undefined): string[] {
  return notes === undefined || notes.length === 0 ? [] : ['', ...notes.map((note) => `- ${note}`)];
}

/**
 * One suite as an aligned markdown table: per implementation µs/op, spread, ops/s (and MB/s
 * when a case sets `bytes`), or the suite's own choice of figures; then one ratio column per
 * non-baseline implementation and one per further ratio pair; then the suite's notes and
 * further tables.
 *
 * @param suite - the measured suite
 */
export function formatSuite(suite: SuiteResult): string {
  const withBytes = suite.cases.some((benchCase) => benchCase.bytes !== undefined);
  const figures = (suite.figures ?? DEFAULT_FIGURES).filter((name) => name !== 'MB/s' || withBytes);
  const others = suite.implementations.filter((impl) => impl !== suite.baseline);
  const pairs = suite.ratioPairs ?? [];

  const header = ['case'];
  for (const impl of suite.implementations) header.push(...figures.map((name) => `${impl} ${name}`));
  header.push(...others.map((impl) => `${impl}/${suite.baseline}`), ...pairs);

  const ratioCell = (value: number | undefined) => (value === undefined ? MISSING : ratio(value));
  const rows = suite.cases.map((benchCase) => [
    benchCase.name,
    ...suite.implementations.flatMap((impl) => figures.map((name) => figureCell(name, benchCase.results[impl]))),
    ...others.map((impl) => ratioCell(benchCase.ratios[impl])),
    ...pairs.map((pair) => ratioCell(benchCase.pairRatios?.[pair])),
  ]);

  const parts = [`## ${suite.name}: ${suite.title}`, '', formatTable(header, rows), ...bullets(suite.notes)];
  for (const table of suite.tables ?? []) {
    parts.push('', `### ${table.title}`, '', formatTable(table.header, table.rows), ...bullets(table.notes));
  }
  return parts.join('\n');
}
