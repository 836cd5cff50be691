/**
 * `@ward/core/replay`: the replay window: the store interface, the in-memory store, the guard
 * that checks an envelope's sequence number and id against its producer stream, and the window
 * settings. `verifyEnvelope` and `openEnvelope` run the guard for you with `replay: { store }`.
 *
 * @module @ward/core/replay
 */
export { DEFAULT_REPLAY_WINDOW, replayStreamKey, resolveReplayWindow } from './replay-store.js';
export type { ReplayStore, ReplayEntry, ReplayVerdict, ReplayWindowOptions } from './replay-store.js';
export { MemoryReplayStore } from './memory-replay-store.js';
export type { MemoryReplayStoreOptions } from './memory-replay-store.js';
export { checkReplay } from './replay-guard.js';
export type { CheckReplayOptions } from './replay-guard.js';
