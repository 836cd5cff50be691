/**
 * `npm start`: runs the quickstart (README.md beside this file) and exits non-zero when any
 * expected outcome did not happen, so CI runs it as a test.
 *
 *   npm start              # narrate, then remove the temporary keystore and decision log
 *   npm start -- --keep    # keep them, to look at decisions.jsonl
 */
import { pathToFileURL } from 'node:url';
import { runQuickstart } from './scenario.js';
import type { QuickstartOptions, QuickstartResult } from './scenario.js';

/**
 * The CLI: runs the quickstart, printing to stdout, and returns the process exit code.
 *
 * @param args - command-line arguments (`--keep`)
 * @param run - the scenario (replaceable in tests)
 * @returns 0 when every expected outcome happened, 1 otherwise or when the scenario could not run
 */
export async function main(
  args: readonly string[],
  run: (options: QuickstartOptions) => Promise<Pick<QuickstartResult, 'ok'>> = runQuickstart,
): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--keep');
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown.join(' ')}; usage: npm start [-- --keep]`);
    return 2;
  }
  try {
    const result = await run({ print: (line) => console.log(line), keep: args.includes('--keep') });
    return result.ok ? 0 : 1;
  } catch (error) {
    console.error('the quickstart could not run:', error);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  /* `npm start | head`: a closed pipe must not crash the run before it cleans up its files. */
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  process.exitCode = await main(process.argv.slice(2));
}
