/**
 * Vitest global setup: no test run may leave new files in the source tree. Tests write under
 * `os.tmpdir()` and clean up; this notes the untracked and ignored files under the test roots
 * (`packages/<name>/src`, `packages/<name>/test-kit`, `examples`) before the run and fails the
 * run if any new one is there after it. Files a test writes and removes again are not seen; files
 * already present are not blamed. Outside a git checkout (no `git`, or an exported tarball) it
 * does nothing. Edits to tracked files are ignored, so editing sources during a watch run is fine.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/* A trailing `/*`: git matches a wildcard pathspec against whole paths (and its `*` crosses `/`). */
const TEST_ROOTS = ['packages/*/src/*', 'packages/*/test-kit/*', 'examples/*'];

/** Untracked (`??`) and ignored (`!!`) files under the test roots, or undefined without git. */
export function strayFiles(): Set<string> | undefined {
  let status: string;
  try {
    status = execFileSync('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching', '--', ...TEST_ROOTS], {
      cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024,
    });
  } catch {
    return undefined;
  }
  return new Set(status.split('\0').filter((entry) => entry.startsWith('?? ') || entry.startsWith('!! ')).map((entry) => entry.slice(3)));
}

export default function setup(): (() => void) | undefined {
  const before = strayFiles();
  if (before === undefined) return undefined;
  return () => {
    const added = [...(strayFiles() ?? [])].filter((path) => !before.has(path));
    if (added.length > 0) {
      /* Vitest reports an error thrown here but keeps its exit code; this sets it. */
      process.exitCode = 1;
      throw new Error(`the test run left ${added.length} new file(s) in the source tree (tests must write under os.tmpdir() and clean up): ${added.slice(0, 10).join(', ')}`);
    }
  };
}
