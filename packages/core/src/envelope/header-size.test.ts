/*
 * What the reader enforces, the writer enforces (SPEC.md §7): each text and count of a sealed
 * header can be within its own limit while the header as a whole is larger than the protected
 * bucket readers decode by default (DEFAULT_MAX_HEADER_BYTES). sealEnvelope() refuses to write such a
 * header instead of producing an envelope no default reader accepts.
 */
import { describe, expect, test } from 'vitest';
import { caught } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import { DEFAULT_MAX_HEADER_BYTES } from '../cose/message.js';
import { ArgumentError, EnvelopeError } from '../errors.js';
import { PROFILE_LIMITS } from '../profile/limits.js';
import type { AccessAttributes } from '../profile/facts.js';
import { sealEnvelope } from './seal.js';
import type { SealOptions } from './seal.js';
import { verifyEnvelope } from './verify.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const signingKey = backend.generateKey('Ed25519');
const trust = backend.publicKey(signingKey);
const sharedKey = backend.generateKey('AES-GCM');

/* 32 purposes of 256 characters: every item within its limit, about 8.3 KiB together. */
const purposes = Array.from({ length: PROFILE_LIMITS.purposes }, (_, i) => `${i}`.padEnd(PROFILE_LIMITS.text, 'p'));
/* 32 free-form attributes with 256-character names and values: about 16.6 KiB together. */
const extra = Object.fromEntries(Array.from({ length: PROFILE_LIMITS.extra }, (_, i) => [`${i}`.padEnd(PROFILE_LIMITS.text, 'n'), 'v'.repeat(PROFILE_LIMITS.text)]));
const oversized: AccessAttributes = { classification: 'internal', purpose: purposes, extra };

function options(attributes: AccessAttributes, maxHeaderBytes?: number): SealOptions {
  return {
    backend,
    signer: { key: signingKey, kid: te.encode('big-header-producer') },
    key: { key: sharedKey, kid: te.encode('shared') },
    claims: { issuer: 'producer', subject: 'stream', sequence: 1 },
    attributes,
    ...(maxHeaderBytes === undefined ? {} : { maxHeaderBytes }),
  };
}

describe('sealEnvelope() header size: the writer enforces the readers\' maxHeaderBytes', () => {
  test('sealEnvelope() refuses a signed header over DEFAULT_MAX_HEADER_BYTES, though each item is within its own limit (ArgumentError naming maxHeaderBytes)', async () => {
    const error = await caught(sealEnvelope(te.encode('{}'), options(oversized)));
    expect(ArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/maxHeaderBytes \(16384\)/);
  });

  test('the same header sealed with a raised maxHeaderBytes is refused by a default reader and accepted by one with the same limit', async () => {
    const raised = 64 * 1024;
    const envelope = await sealEnvelope(te.encode('{}'), options(oversized, raised));
    expect(EnvelopeError.isInstance(await caught(verifyEnvelope(envelope, { backend, trust })))).toBe(true);
    const facts = await verifyEnvelope(envelope, { backend, trust, maxHeaderBytes: raised });
    expect(facts.attributes.purpose).toHaveLength(PROFILE_LIMITS.purposes);
  });

  test('a header just within the default seals and verifies with default limits', async () => {
    const envelope = await sealEnvelope(te.encode('{}'), options({ classification: 'internal', purpose: purposes }));
    const facts = await verifyEnvelope(envelope, { backend, trust });
    expect(facts.attributes.purpose).toEqual(purposes);
    expect(DEFAULT_MAX_HEADER_BYTES).toBe(16384);
  });

  test('a maxHeaderBytes that is not a positive integer is an ArgumentError', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(ArgumentError.isInstance(await caught(sealEnvelope(te.encode('{}'), options({ classification: 'internal' }, bad))))).toBe(true);
    }
  });
});
