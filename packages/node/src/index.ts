/**
 * `@ward/node`: Ward for Node.js. Today, the `CryptoBackend` on `node:crypto` (OpenSSL).
 *
 * @module
 */
export { createNodeBackend, NodeBackend } from './node-backend.js';
