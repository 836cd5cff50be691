/**
 * `@ward/browser`: Ward for web pages and workers.
 *
 * Today it re-exports the `@ward/core` API, which runs in browsers on the pure-JS noble
 * backend. The WebCrypto backend (non-extractable keys) and the IndexedDB keystore are
 * separate, planned work; they will be added here without changing the core API.
 *
 * @module
 */
export * from '@ward/core';
