/*
 * Key commitment (SPEC.md §Key commitment) in openEnvelope() and rewrapEnvelope(). A producer holding a
 * trusted signing key signs a commitment to one CEK and wraps another (the split-CEK form of
 * the invisible-salamanders attack, Dodis et al. 2018; the full AES-GCM collision is in
 * @ward/node's envelope-key-commitment-attack.test.ts). Without the comparison, the reader
 * would decrypt under a CEK the producer never committed to, and rewrapEnvelope() would carry that
 * CEK forward to new readers under the authority's signature.
 *
 * The lying producer is sealEnvelope() itself on a backend whose HKDF lies only for the commitment
 * info string: everything else in the envelope is exactly what sealEnvelope() writes, so the
 * signature, profile, AAD binding and ciphertext digest all verify.
 */
import { describe, expect, test } from 'vitest';
import { errorChain, spying } from '../../test-kit/spying.js';
import type { CryptoBackend, HkdfInput, VerifyingKey } from '../backend/crypto-backend.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import { EnvelopeError, WardError } from '../errors.js';
import { openEnvelope } from './open.js';
import { rewrapEnvelope } from './rewrap.js';
import { sealEnvelope } from './seal.js';
import { verifyEnvelope } from './verify.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const td = new TextDecoder();
const COMMITMENT_INFO = 'Ward/1 key commitment';

const producerKey = backend.generateKey('Ed25519');
const producerKid = te.encode('meter-7');
const producerPublic: VerifyingKey = backend.publicKey(producerKey);
const trust = () => producerPublic;
const readerKey = backend.generateKey('X25519');
const reader = { privateKey: readerKey, kid: te.encode('reader-1') };
const readerSpec = { publicKey: backend.publicKey(readerKey), kid: reader.kid };
const authorityKey = backend.generateKey('Ed25519');
const authority = { key: authorityKey, kid: te.encode('authority'), issuer: 'city-archive' };
const PAYLOAD = te.encode('{"meter":"7","kWh":12.5}');
const claims = { issuer: 'meter-7', subject: 'energy/district-3', sequence: 1 };
const attributes = { classification: 'internal' };

/** The real backend, except that the key commitment it computes is to a different key. */
function lyingProducerBackend(inner: CryptoBackend): CryptoBackend {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'hkdfSha256') {
        return (input: HkdfInput) => {
          if (input.info !== undefined && td.decode(input.info) === COMMITMENT_INFO) {
            return target.hkdfSha256({ ...input, ikm: new Uint8Array(32).fill(0x5a) });
          }
          return target.hkdfSha256(input);
        };
      }
      return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
}

async function sealed(lying: boolean): Promise<Uint8Array> {
  return sealEnvelope(PAYLOAD, {
    backend: lying ? lyingProducerBackend(backend) : backend,
    signer: { key: producerKey, kid: producerKid },
    recipients: [readerSpec],
    claims,
    attributes,
  });
}

function refusedForCommitment(error: unknown): void {
  expect(EnvelopeError.isInstance(error)).toBe(true);
  expect(error).toMatchObject({ code: 'ERR_ENVELOPE_INVALID' });
  expect(errorChain(error).some((e) => WardError.isInstance(e) && e.message === 'content key does not match the signed commitment')).toBe(true);
}

describe('key commitment', () => {
  test('the lying producer\'s envelope verifies: only the commitment check can see the lie', async () => {
    const envelope = await sealed(true);
    const facts = await verifyEnvelope(envelope, { backend, trust });
    expect(facts.encryption).toBe('encrypt');
    expect(facts.provenance.issuer).toBe('meter-7');
  });

  test('openEnvelope() compares the key commitment: a CEK other than the signed one is refused, no plaintext, no decryption', async () => {
    // the honest envelope opens (the test is not refusing everything)
    expect((await openEnvelope(await sealed(false), { backend, trust, recipient: reader })).plaintext).toEqual(PAYLOAD);
    const envelope = await sealed(true);
    const spy = spying(backend);
    let plaintext: Uint8Array | undefined;
    const error = await openEnvelope(envelope, { backend: spy.backend, trust, recipient: reader })
      .then((opened) => { plaintext = opened.plaintext; }, (e: unknown) => e);
    expect(plaintext).toBeUndefined();
    refusedForCommitment(error);
    // the CEK was recovered and committed to, but the content was never decrypted
    expect(spy.calls).toContain('unwrapKey');
    expect(spy.calls).not.toContain('aeadDecrypt');
  });

  test('rewrapEnvelope() compares the key commitment: an uncommitted CEK is never carried forward to new readers', async () => {
    const newReaderKey = backend.generateKey('X25519');
    const options = {
      backend, trust, recipient: reader, authority, rewrappedAt: 1_900_000_000,
      recipients: [{ publicKey: backend.publicKey(newReaderKey), kid: te.encode('reader-2') }],
    };
    // the honest envelope re-wraps (the test is not refusing everything)
    expect(await rewrapEnvelope(await sealed(false), options)).toBeInstanceOf(Uint8Array);
    let rewrapped: Uint8Array | undefined;
    const error = await rewrapEnvelope(await sealed(true), options).then((bytes) => { rewrapped = bytes; }, (e: unknown) => e);
    expect(rewrapped).toBeUndefined();
    refusedForCommitment(error);
  });
});
