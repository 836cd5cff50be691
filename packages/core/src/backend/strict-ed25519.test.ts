/*
 * Strict RFC 8032 Ed25519 on the noble backend (`zip215: false`): a small-order public key
 * cannot make the universal signature verify, and S must be below L.
 */
import { runStrictEd25519Suite } from '../../test-kit/strict-ed25519.js';
import { createNobleBackend } from './noble-backend.js';

runStrictEd25519Suite('noble', () => createNobleBackend());
