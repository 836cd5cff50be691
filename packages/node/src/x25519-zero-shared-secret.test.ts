/*
 * The X25519 all-zero shared-secret check (RFC 7748 §6.1) on the node:crypto backend: every
 * Wycheproof ZeroSharedSecret peer key is refused with ERR_KEY_AGREEMENT_FAILED. OpenSSL
 * refuses most of them itself; the backend kit's checkSharedSecret() (tested directly in
 * core's x25519-zero-shared-secret.test.ts) is what the contract rests on.
 */
import { runX25519LowOrderSuite } from '../../core/test-kit/x25519-low-order.js';
import { createNodeBackend } from './node-backend.js';

runX25519LowOrderSuite('node', () => createNodeBackend());
