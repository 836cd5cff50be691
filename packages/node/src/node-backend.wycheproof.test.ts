/*
 * The node:crypto backend against Wycheproof (Ed25519, ECDSA P-256 r‖s and DER, X25519,
 * ECDH P-256, AES-GCM, ChaCha20-Poly1305, HKDF-SHA-256) and RFC 3394 §4, through the
 * CryptoBackend API only — the same kit, decisions and counts as the noble backend.
 */
import { runWycheproofSuite } from '../../core/test-kit/wycheproof.js';
import { createNodeBackend } from '@ward/node';

runWycheproofSuite('node', () => createNodeBackend());
