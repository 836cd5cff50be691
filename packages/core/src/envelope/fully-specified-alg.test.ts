/*
 * Sealed envelopes under the fully-specified signature ids (RFC 9864 §2; SPEC.md §2): sealed
 * with `signer.algIdentifier: 'fully-specified'` they carry Ed25519 (-19) / ESP256 (-9),
 * verify, open and re-wrap like the polymorphic ones, and report the wire alg in the facts.
 */
import { describe, expect, test } from 'vitest';
import { errorChain } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import { CborTag, decodeCbor } from '../cbor/index.js';
import type { CborValue } from '../cbor/index.js';
import { HeaderLabel, decodeProtectedHeader } from '../cose/headers.js';
import { WardError } from '../errors.js';
import { Keyset } from '../keys/keyset.js';
import { openEnvelope } from './open.js';
import { rewrapEnvelope } from './rewrap.js';
import { sealEnvelope } from './seal.js';
import { verifyEnvelope } from './verify.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const codes = (error: unknown): (string | undefined)[] => errorChain(error).map((e) => (WardError.isInstance(e) ? e.code : undefined));
const PAYLOAD = te.encode('{"bay":"B7","occupied":true}');
const claims = { issuer: 'bay-sensor-7', subject: 'parking/harbour', sequence: 3 };
const attributes = { classification: 'internal', zone: 'harbour', purpose: ['planning'] };

const ed: SigningKey = backend.generateKey('Ed25519');
const edPublic: VerifyingKey = backend.publicKey(ed);
const p256: SigningKey = backend.generateKey('ECDSA-P256');
const p256Public: VerifyingKey = backend.publicKey(p256);
const kid = te.encode('bay-sensor-7');

const sign1Alg = (envelope: Uint8Array): CborValue =>
  decodeProtectedHeader(((decodeCbor(envelope) as CborTag).value as CborValue[])[0] as Uint8Array).get(HeaderLabel.alg);

async function refusal(run: () => Promise<unknown>): Promise<(string | undefined)[]> {
  try {
    await run();
  } catch (error) {
    return codes(error);
  }
  throw new Error('accepted');
}

describe('sealed envelopes with fully-specified signature ids', () => {
  for (const [name, key, publicKey, otherPublic, polymorphic, specified] of [
    ['Ed25519', ed, edPublic, p256Public, -8, -19],
    ['ECDSA-P256', p256, p256Public, edPublic, -7, -9],
  ] as const) {
    test(`${name}: seal writes ${polymorphic} by default and ${specified} with algIdentifier 'fully-specified'; both verify and open, facts report the wire alg`, async () => {
      const readers = await Keyset.generate(backend, { purpose: 'recipient' });
      for (const [algIdentifier, expected] of [[undefined, polymorphic], ['fully-specified', specified]] as const) {
        const envelope = await sealEnvelope(PAYLOAD, {
          backend, signer: { key, kid, ...(algIdentifier ? { algIdentifier } : {}) }, recipients: [await readers.recipient()], claims, attributes,
        });
        expect(sign1Alg(envelope)).toBe(expected);
        expect((await verifyEnvelope(envelope, { backend, trust: publicKey })).signer.alg).toBe(expected);
        const opened = await openEnvelope(envelope, { backend, trust: publicKey, recipient: readers.recipientKey() });
        expect(opened.plaintext).toEqual(PAYLOAD);
        expect(opened.facts.signer.alg).toBe(expected);
      }
    });

    test(`${name}: an envelope with alg ${specified} offered the other algorithm's key is refused (ERR_COSE_ALGORITHM_MISMATCH in the cause)`, async () => {
      const shared = await Keyset.generate(backend, { purpose: 'shared' });
      const envelope = await sealEnvelope(PAYLOAD, {
        backend, signer: { key, kid, algIdentifier: 'fully-specified' }, key: shared.sharedKey(), claims, attributes,
      });
      const chain = await refusal(() => verifyEnvelope(envelope, { backend, trust: otherPublic }));
      expect(chain).toContain('ERR_ENVELOPE_INVALID');
      expect(chain).toContain('ERR_COSE_ALGORITHM_MISMATCH');
    });

    test(`${name}: a producer's envelope under ${specified} re-wraps; the re-wrap record keeps the original alg and verifies`, async () => {
      const archive = await Keyset.generate(backend, { purpose: 'recipient' });
      const analysts = await Keyset.generate(backend, { purpose: 'recipient' });
      const envelope = await sealEnvelope(PAYLOAD, {
        backend, signer: { key, kid, algIdentifier: 'fully-specified' }, recipients: [await archive.recipient()], claims, attributes,
      });
      const authorityKey = backend.generateKey('Ed25519');
      const authority = { key: authorityKey, kid: te.encode('archive'), issuer: 'city-archive' };
      const rewrapAuthorities = backend.publicKey(authorityKey);
      const rewrapped = await rewrapEnvelope(envelope, {
        backend, trust: publicKey, rewrapAuthorities, recipient: archive.recipientKey(), recipients: [await analysts.recipient()], authority, rewrappedAt: 1_900_000_000,
      });
      const opened = await openEnvelope(rewrapped, { backend, trust: publicKey, rewrapAuthorities, recipient: analysts.recipientKey() });
      expect(opened.plaintext).toEqual(PAYLOAD);
      expect(opened.facts.signer.alg).toBe(specified);
      // the original alg is checked against the producer key: the other algorithm's key is refused
      const chain = await refusal(() => verifyEnvelope(rewrapped, { backend, trust: otherPublic, rewrapAuthorities }));
      expect(chain).toContain('ERR_COSE_ALGORITHM_MISMATCH');
    });
  }

  test('an unknown signer.algIdentifier is refused before any work (ERR_INVALID_ARGUMENT)', async () => {
    const shared = await Keyset.generate(backend, { purpose: 'shared' });
    const chain = await refusal(async () => sealEnvelope(PAYLOAD, {
      backend, signer: { key: ed, kid, algIdentifier: 'full' as 'fully-specified' }, key: shared.sharedKey(), claims, attributes,
    }));
    expect(chain[0]).toBe('ERR_INVALID_ARGUMENT');
  });
});
