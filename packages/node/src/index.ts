/**
 * `@ward/node`: Ward for Node.js: the `CryptoBackend` on `node:crypto` (OpenSSL), the
 * encrypted file keystore and state store, the Redis replay store, the JSON-lines decision log
 * and worker-isolated policy evaluation.
 *
 * Convention shared by `@ward/node`, `@ward/browser` and `@ward/device`: each re-exports the
 * `@ward/core` root (`export * from '@ward/core'`) plus its own names, never a core subpath;
 * import `@ward/core/cose`, `/keys`, `/policy` and the other subpaths from `@ward/core` itself.
 *
 * @module @ward/node
 */
export * from '@ward/core';
export { createNodeBackend, NodeBackend } from './node-backend.js';
export { FileKeyStore, DEFAULT_KEYSTORE_SCRYPT, MAX_KEYSTORE_BYTES, MAX_KEYSTORE_KEYSETS } from './keystore/file-keystore.js';
export type {
  ScryptParameters, FileKeyStoreUnlockOptions, FileKeyStoreCreateOptions, FileKeyStoreOpenOptions, ChangePassphraseOptions,
} from './keystore/file-keystore.js';
export { FileStateStore, MAX_STATE_FILE_BYTES } from './keystore/file-state-store.js';
export { RedisReplayStore } from './replay/redis-replay-store.js';
export type { RedisCommandClient, RedisReplayStoreOptions } from './replay/redis-replay-store.js';
export { JsonLinesDecisionLog } from './decision-log/json-lines-decision-log.js';
export type { JsonLinesDecisionLogOptions, DecisionLogFsync } from './decision-log/json-lines-decision-log.js';
export { verifyJsonLinesDecisionLog } from './decision-log/verify-json-lines-decision-log.js';
export type { VerifyJsonLinesDecisionLogOptions, JsonLinesDecisionLogVerification } from './decision-log/verify-json-lines-decision-log.js';
export { createWorkerAdmission, DEFAULT_ADMISSION_PROBES } from './policy/worker-admission.js';
export type { WorkerAdmissionOptions } from './policy/worker-admission.js';
export { IsolatedPolicyEngine } from './policy/isolated-policy-engine.js';
export type { IsolatedPolicyEngineOptions } from './policy/isolated-policy-engine.js';
