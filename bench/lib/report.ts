/**
 * The run's record: machine description, settings and results, written as JSON.
 *
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { Settings, SuiteResult } from './types.js';

/** What the numbers were measured on. */
export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  readonly openssl: string;
  /** Platform, kernel release and architecture, e.g. `linux 6.8.0 x64`. */
  readonly os: string;
  readonly cpu: string;
  /** Logical cores available to the process. */
  readonly cores: number;
  readonly memoryGiB: number;
}

/** Everything one `npm run bench` measured. */
export interface Report {
  /** ISO 8601 start time. */
  readonly date: string;
  readonly machine: MachineInfo;
  readonly settings: Settings;
  readonly suites: readonly SuiteResult[];
}

/** The results directory, `bench/results/` (gitignored). */
const RESULTS_DIR = new URL('../results/', import.meta.url);

/** Describes the machine and runtime the benchmark runs on. */
export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

/**
 * Writes `bench/results/<suite>.json` for each suite in the report (the same envelope holding
 * that suite alone) and `bench/results/latest.json` with the whole report.
 *
 * @param report - the run to record
 * @returns the paths written
 */
export async function writeReport(report: Report): Promise<string[]> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const files: [URL, Report][] = [
    ...report.suites.map((suite): [URL, Report] => [new URL(`${suite.name}.json`, RESULTS_DIR), { ...report, suites: [suite] }]),
    [new URL('latest.json', RESULTS_DIR), report],
  ];
  for (const [url, content] of files) await writeFile(url, `${JSON.stringify(content, null, 2)}\n`);
  return files.map(([url]) => url.pathname);
}
