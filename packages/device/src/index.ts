/**
 * `@ward/device`: Ward for constrained JavaScript runtimes (gateways, embedded JS engines).
 *
 * Today it re-exports the `@ward/core` API on the pure-JS noble backend, where
 * ChaCha20-Poly1305 is the fast AEAD (3x native, against 50x for AES-GCM). Persisted
 * counters, a bounded offline queue and a bundle-size budget are separate, planned work.
 *
 * @module
 */
export * from '@ward/core';
