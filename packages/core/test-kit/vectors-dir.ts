/*
 * Where the tests find the public vector sets (Wycheproof, cose-wg examples, GlueCOSE, go-cose
 * negatives, CBOR WG vectors, the CDE table). One resolver for every reader.
 *
 * Order: env `WARD_VECTORS_DIR` when set (another copy, e.g. a newer upstream checkout), else the
 * repository's own `vectors/` folder. There is no further fallback: a missing file is an error
 * naming the directory that was searched, never a silent switch to some other copy.
 * `vectors/README.md` lists each set's source, commit, date and licence.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository's copy: `<repo>/vectors/` (this file is `<repo>/packages/core/test-kit/`). */
export const REPOSITORY_VECTORS_DIR: URL = new URL('../../../vectors/', import.meta.url);

/** The vectors directory: env `WARD_VECTORS_DIR` if set, else the repository's `vectors/`. */
export function vectorsDir(): URL {
  const override = process.env.WARD_VECTORS_DIR;
  if (override) return pathToFileURL(override.endsWith('/') ? override : `${override}/`);
  return REPOSITORY_VECTORS_DIR;
}

/** How the vectors directory was chosen, for error messages. */
function source(): string {
  return process.env.WARD_VECTORS_DIR ? 'from WARD_VECTORS_DIR' : 'the repository copy; WARD_VECTORS_DIR overrides it';
}

/**
 * The URL of `relative` inside the vectors directory (default {@link vectorsDir}); throws when it
 * is missing, naming the directory searched and how it was chosen.
 */
export function vectorUrl(relative: string, dir: URL = vectorsDir()): URL {
  const url = new URL(relative, dir);
  if (!existsSync(url)) {
    throw new Error(`vector path not found: ${fileURLToPath(url)} (vectors directory ${fileURLToPath(dir)}, ${source()})`);
  }
  return url;
}
