/*
 * Test scratch space outside the source tree: one root under the OS temp directory per test
 * file, removed after the file's tests, with a fresh subdirectory per test.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * Registers the root's creation and removal with vitest and returns a function that makes a
 * fresh, empty directory inside it.
 */
export function useTempDirs(prefix: string): () => Promise<string> {
  let root: string | undefined;
  let counter = 0;
  beforeAll(async () => {
    root = await fs.mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (root !== undefined) await fs.rm(root, { recursive: true, force: true });
  });
  return async () => {
    if (root === undefined) throw new Error('useTempDirs: the root exists only while the file\'s tests run');
    const dir = join(root, `t${counter++}`);
    await fs.mkdir(dir);
    return dir;
  };
}
