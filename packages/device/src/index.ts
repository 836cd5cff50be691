/**
 * `@ward/device`: Ward for constrained JavaScript runtimes (gateways, embedded JS engines).
 *
 * Today it re-exports the `@ward/core` root on the pure-JS noble backend, where
 * ChaCha20-Poly1305 is the fast AEAD (3x native, against 50x for AES-GCM). Persisted
 * counters, a bounded offline queue and a bundle-size budget are separate, planned work.
 *
 * Convention shared by `@ward/node`, `@ward/browser` and `@ward/device`: each re-exports the
 * `@ward/core` root (`export * from '@ward/core'`) plus its own names, never a core subpath;
 * import `@ward/core/cose`, `/keys`, `/policy` and the other subpaths from `@ward/core` itself.
 *
 * @module @ward/device
 */
export * from '@ward/core';
