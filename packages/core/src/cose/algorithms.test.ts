/*
 * Fully-specified signature algorithm identifiers (RFC 9864 §2): Ed25519 (-19) and ESP256 (-9)
 * are accepted wherever EdDSA (-8) and ES256 (-7) are, under the same key-match rule: an
 * Ed25519 key verifies -8 or -19 and never -7/-9; a P-256 key verifies -7 or -9 and never
 * -8/-19. Ward emits the polymorphic form unless asked (SPEC.md §2).
 */
import { describe, expect, it } from 'vitest';
import { craftSign1, expectWardError, utf8 } from '../../test-kit/cose-vectors.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import type { SigningKey, VerifyingKey } from '../backend/crypto-backend.js';
import { coseKeyFromHandle, importCoseKey } from '../keys/cose-key.js';
import { TrustStore } from '../keys/trust-store.js';
import { CoseAlgorithm, SIGNATURE_ALGORITHMS, sameSignatureAlgorithm, signatureAlgorithmFor } from './algorithms.js';
import { HeaderLabel, encodeProtectedHeader } from './headers.js';
import { signEncodedSign1, createSign1, verifySign1 } from './sign1.js';

const backend = createNobleBackend();
const PAYLOAD = utf8('gate 3 closed');
const edSigning: SigningKey = backend.generateKey('Ed25519', { extractable: true });
const edPublic: VerifyingKey = backend.publicKey(edSigning);
const p256Signing: SigningKey = backend.generateKey('ECDSA-P256', { extractable: true });
const p256Public: VerifyingKey = backend.publicKey(p256Signing);
const alg = (value: number) => new Map([[HeaderLabel.alg, value]]);

/** A Sign1 whose protected alg is `value`, signed by `key` whatever that alg says (a hostile producer). */
async function signedAs(value: number, key: SigningKey): Promise<Uint8Array> {
  return signEncodedSign1(PAYLOAD, encodeProtectedHeader(alg(value)), new Map(), { backend, key });
}

describe('the identifiers (RFC 9864 §2)', () => {
  it('maps -19 to Ed25519 and -9 to ECDSA-P256, beside -8 and -7', () => {
    expect([CoseAlgorithm.Ed25519, CoseAlgorithm.ESP256]).toEqual([-19, -9]);
    expect([-8, -19, -7, -9].map((a) => SIGNATURE_ALGORITHMS.get(a))).toEqual(['Ed25519', 'Ed25519', 'ECDSA-P256', 'ECDSA-P256']);
  });

  it('sameSignatureAlgorithm pairs each polymorphic id with its fully-specified one and nothing else', () => {
    const ids = [-8, -19, -7, -9, -35, 5];
    const pairs = ids.flatMap((a) => ids.filter((b) => sameSignatureAlgorithm(a, b)).map((b) => `${a}=${b}`));
    expect(pairs).toEqual(['-8=-8', '-8=-19', '-19=-8', '-19=-19', '-7=-7', '-7=-9', '-9=-7', '-9=-9', '-35=-35', '5=5']);
  });

  it('signatureAlgorithmFor emits the polymorphic id by default and refuses an unknown form', () => {
    expect(signatureAlgorithmFor('Ed25519')).toBe(-8);
    expect(signatureAlgorithmFor('ECDSA-P256')).toBe(-7);
    expect(signatureAlgorithmFor('Ed25519', 'fully-specified')).toBe(-19);
    expect(signatureAlgorithmFor('ECDSA-P256', 'fully-specified')).toBe(-9);
    expect(() => signatureAlgorithmFor('Ed25519', 'RFC9864' as 'polymorphic')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
  });
});

describe('COSE_Sign1 with fully-specified identifiers', () => {
  for (const [algorithm, sk, pk, polymorphic, specified] of [
    ['Ed25519', edSigning, edPublic, -8, -19],
    ['ECDSA-P256', p256Signing, p256Public, -7, -9],
  ] as const) {
    it(`${algorithm}: createSign1 writes ${polymorphic} by default and ${specified} with algIdentifier 'fully-specified'; both verify and report the wire alg`, async () => {
      const plain = await verifySign1(await createSign1(PAYLOAD, { backend, key: sk }), { backend, key: pk });
      expect([plain.alg, plain.protectedHeader.get(HeaderLabel.alg)]).toEqual([polymorphic, polymorphic]);
      const full = await verifySign1(await createSign1(PAYLOAD, { backend, key: sk, algIdentifier: 'fully-specified' }), { backend, key: pk });
      expect([full.alg, full.protectedHeader.get(HeaderLabel.alg)]).toEqual([specified, specified]);
      expect(full.payload).toEqual(PAYLOAD);
    });

    it(`${algorithm}: a hand-built message with alg ${specified} verifies, and a declared protected alg ${specified} is kept`, async () => {
      expect((await verifySign1(await signedAs(specified, sk), { backend, key: pk })).alg).toBe(specified);
      const kept = await createSign1(PAYLOAD, { backend, key: sk, protectedHeader: alg(specified) });
      expect((await verifySign1(kept, { backend, key: pk })).alg).toBe(specified);
    });
  }

  it('algorithm from the key: an Ed25519 (-19) message offered a P-256 key → ERR_COSE_ALGORITHM_MISMATCH', async () => {
    await expectWardError(() => (async () => verifySign1(await signedAs(-19, edSigning), { backend, key: p256Public }))(), 'ERR_COSE_ALGORITHM_MISMATCH');
    // the signature is P-256's own: only the key-match rule refuses it
    await expectWardError(() => (async () => verifySign1(await signedAs(-19, p256Signing), { backend, key: p256Public }))(), 'ERR_COSE_ALGORITHM_MISMATCH');
  });

  it('algorithm from the key: an ESP256 (-9) message offered an Ed25519 key → ERR_COSE_ALGORITHM_MISMATCH', async () => {
    await expectWardError(() => (async () => verifySign1(await signedAs(-9, p256Signing), { backend, key: edPublic }))(), 'ERR_COSE_ALGORITHM_MISMATCH');
    await expectWardError(() => (async () => verifySign1(await signedAs(-9, edSigning), { backend, key: edPublic }))(), 'ERR_COSE_ALGORITHM_MISMATCH');
  });

  it('createSign1 refuses a declared alg of the other algorithm, or of the other form than algIdentifier asks', async () => {
    await expectWardError(() => createSign1(PAYLOAD, { backend, key: edSigning, protectedHeader: alg(-9) }), 'ERR_COSE_ALGORITHM_MISMATCH');
    await expectWardError(() => createSign1(PAYLOAD, { backend, key: p256Signing, protectedHeader: alg(-19) }), 'ERR_COSE_ALGORITHM_MISMATCH');
    await expectWardError(() => createSign1(PAYLOAD, { backend, key: edSigning, protectedHeader: alg(-8), algIdentifier: 'fully-specified' }), 'ERR_COSE_ALGORITHM_MISMATCH');
    await expectWardError(() => createSign1(PAYLOAD, { backend, key: edSigning, algIdentifier: 'x' as 'polymorphic' }), 'ERR_INVALID_ARGUMENT');
  });

  it('a crafted -19 message with a P-256 signature is refused by the Ed25519 verifier too (no signature confusion)', async () => {
    const message = await craftSign1(backend, p256Signing, { protectedHeader: alg(-19) });
    await expectWardError(() => verifySign1(message, { backend, key: edPublic }), 'ERR_SIGNATURE_INVALID');
  });
});

describe('COSE_Key alg: -19 and -9 fit their keys, never the other', () => {
  it('imports an Ed25519 COSE_Key with alg -19 and a P-256 one with alg -9 (as ECDSA-P256, no "as" needed)', async () => {
    const ed = await coseKeyFromHandle(backend, edPublic, { alg: -19 });
    const p256 = await coseKeyFromHandle(backend, p256Public, { alg: -9 });
    expect([ed.alg, p256.alg]).toEqual([-19, -9]);
    expect((await importCoseKey(backend, ed)).algorithm).toBe('Ed25519');
    expect((await importCoseKey(backend, p256)).algorithm).toBe('ECDSA-P256');
  });

  it('checkAlgFits: an Ed25519 COSE_Key with alg -9 and a P-256 one with alg -19 → ERR_COSE_ALGORITHM_MISMATCH', async () => {
    const ed = await coseKeyFromHandle(backend, edPublic);
    const p256 = await coseKeyFromHandle(backend, p256Public);
    await expectWardError(() => importCoseKey(backend, { ...ed, alg: -9 }), 'ERR_COSE_ALGORITHM_MISMATCH');
    await expectWardError(() => importCoseKey(backend, { ...p256, alg: -19 }, { as: 'ECDSA-P256' }), 'ERR_COSE_ALGORITHM_MISMATCH');
    await expectWardError(() => coseKeyFromHandle(backend, edPublic, { alg: -9 }), 'ERR_COSE_ALGORITHM_MISMATCH');
    await expectWardError(() => coseKeyFromHandle(backend, p256Public, { alg: -19 }), 'ERR_COSE_ALGORITHM_MISMATCH');
  });
});

describe('trust store: an entry for EdDSA resolves Ed25519 and the other way round', () => {
  const NOW = 1_767_225_600;
  const issuer = 'gate-3';

  it('a key added with COSE_Key alg -19 is trusted for -8 and -19, never -7 or -9', async () => {
    const trust = new TrustStore({ backend, now: () => NOW });
    const entry = await trust.add({ key: await coseKeyFromHandle(backend, edPublic, { alg: -19 }), issuer });
    const request = { kid: entry.kid, issuer, issuedAt: NOW, role: 'producer' as const };
    for (const a of [-8, -19]) expect(trust.resolve({ ...request, alg: a }).key).toBe(trust.resolve({ ...request, alg: -8 }).key);
    for (const a of [-7, -9]) expect(() => trust.resolve({ ...request, alg: a })).toThrow(expect.objectContaining({ code: 'ERR_TRUST_UNKNOWN_SIGNER' }));
  });

  it('a P-256 key is trusted for -7 and -9, never -8 or -19', async () => {
    const trust = new TrustStore({ backend, now: () => NOW });
    const entry = await trust.add({ key: p256Public, issuer });
    const request = { kid: entry.kid, issuer, issuedAt: NOW, role: 'producer' as const };
    for (const a of [-7, -9]) expect(trust.resolve({ ...request, alg: a }).key).toBeDefined();
    for (const a of [-8, -19]) expect(() => trust.resolve({ ...request, alg: a })).toThrow(expect.objectContaining({ code: 'ERR_TRUST_UNKNOWN_SIGNER' }));
  });

  it('refuses to add a COSE_Key whose alg is the other algorithm\'s fully-specified id', async () => {
    const trust = new TrustStore({ backend, now: () => NOW });
    const ed = await coseKeyFromHandle(backend, edPublic);
    await expectWardError(() => trust.add({ key: { ...ed, alg: -9 }, issuer }), 'ERR_KEY_USAGE');
  });
});
