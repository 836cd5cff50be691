/*
 * Strict RFC 8032 Ed25519 on the node:crypto backend: OpenSSL alone would accept the universal
 * signature under a small-order key; the backend's small-order key check refuses it.
 */
import { runStrictEd25519Suite } from '../../core/test-kit/strict-ed25519.js';
import { createNodeBackend } from './node-backend.js';

runStrictEd25519Suite('node', () => createNodeBackend());
