/**
 * `@ward/browser`: Ward for web pages and workers.
 *
 * Today it re-exports the `@ward/core` root, which runs in browsers on the pure-JS noble
 * backend. The WebCrypto backend (non-extractable keys) and the IndexedDB keystore are
 * separate, planned work; they will be added here without changing the core API.
 *
 * Convention shared by `@ward/node`, `@ward/browser` and `@ward/device`: each re-exports the
 * `@ward/core` root (`export * from '@ward/core'`) plus its own names, never a core subpath;
 * import `@ward/core/cose`, `/keys`, `/policy` and the other subpaths from `@ward/core` itself.
 *
 * @module @ward/browser
 */
export * from '@ward/core';
