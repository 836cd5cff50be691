/**
 * `@ward/node`: Ward for Node.js. Today, the `CryptoBackend` on `node:crypto` (OpenSSL).
 *
 * @module
 */
export { createNodeBackend, NodeBackend } from './node-backend.js';
export { RedisReplayStore } from './replay/redis-replay-store.js';
export type { RedisCommandClient, RedisReplayStoreOptions } from './replay/redis-replay-store.js';
