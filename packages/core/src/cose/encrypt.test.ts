/*
 * COSE_Encrypt with recipients (RFC 9052 §5.1, §5.3; RFC 9053 §5.2, §6.2.1, §6.3.1, §6.4):
 * round trips for every recipient kind Ward reads (A*KW, ECDH-ES+A*KW, ECDH-ES+HKDF-256 on
 * X25519 and P-256) and every content algorithm, the KDF context, recipient selection (by
 * kid, by curve, by kind, by KEK size, past unsupported recipient algorithms), the reasons a
 * reader with no recipient is given, checkContentKey, every precondition by name, and fast-check
 * properties. Runs on noble and node:crypto; the heavy properties use X25519 on node.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CborValue } from '../cbor/index.js';
import { CborTag, decodeCbor, encodeCbor } from '../cbor/index.js';
import type { AgreementPrivateKey, AgreementPublicKey, CryptoBackend, WrappingKey } from '../backend/crypto-backend.js';
import { DecryptionError, KeyError, WardError } from '../errors.js';
import type { WardErrorCode } from '../errors.js';
import {
  BACKENDS, coseFields, coseLikeArbitrary, describeOutcome, encodeCose, expectIntegralFloatRejected, expectNoRecipient, expectWardError,
  noRecipientReasons, outcomeOf, recordingBackend, sweepBitFlips, toHex, utf8,
} from '../../test-kit/cose-vectors.js';
import { createNodeBackend } from '@ward/node';
import { CoseAlgorithm } from './algorithms.js';
import { CoseKeyLabel } from './cose-key.js';
import { DEFAULT_MAX_RECIPIENTS, decryptEncrypt, createEncrypt } from './encrypt.js';
import type { RecipientKey, RecipientSpec } from './encrypt.js';
import { HeaderLabel } from './headers.js';

const PLAINTEXT = utf8('occupancy=3;co2=612');
const label = (l: number | string, v: CborValue): [number | string, CborValue] => [l, v];

const CONTENT = [
  { name: 'A128GCM', alg: CoseAlgorithm.A128GCM, bytes: 16 },
  { name: 'A192GCM', alg: CoseAlgorithm.A192GCM, bytes: 24 },
  { name: 'A256GCM', alg: CoseAlgorithm.A256GCM, bytes: 32 },
  { name: 'ChaCha20/Poly1305', alg: CoseAlgorithm.ChaCha20Poly1305, bytes: 32 },
];

async function kek(backend: CryptoBackend, size = 32): Promise<WrappingKey> {
  return backend.importKey('AES-KW', 'secret', await backend.randomBytes(size));
}

async function agreementPair(backend: CryptoBackend, algorithm: 'X25519' | 'ECDH-P256'): Promise<{ sk: AgreementPrivateKey; pk: AgreementPublicKey }> {
  const sk = await backend.generateKey(algorithm);
  return { sk, pk: await backend.publicKey(sk) };
}

/** Rewrites the fields of a tagged COSE message. */
function rewrite(message: Uint8Array, f: (fields: CborValue[]) => CborValue[]): Uint8Array {
  const { tag, fields } = coseFields(message);
  return encodeCose(tag, f(fields));
}

/** Rewrites recipient `index` of a COSE_Encrypt. */
function rewriteRecipient(message: Uint8Array, index: number, f: (recipient: CborValue[]) => CborValue): Uint8Array {
  return rewrite(message, (fields) => {
    const recipients = [...(fields[3] as CborValue[][])];
    recipients[index] = f([...recipients[index]!]) as CborValue[];
    return [fields[0]!, fields[1]!, fields[2]!, recipients];
  });
}

const recipientsOf = (message: Uint8Array): CborValue[][] => coseFields(message).fields[3] as CborValue[][];

for (const { name, create } of BACKENDS) {
  describe(`COSE_Encrypt [${name}]`, () => {
    const backend = create();

    describe('round trips by recipient kind', () => {
      for (const [size, alg] of [[16, CoseAlgorithm.A128KW], [24, CoseAlgorithm.A192KW], [32, CoseAlgorithm.A256KW]] as const) {
        it(`A${size * 8}KW: alg ${alg} in the unprotected bucket, empty protected bucket; reader gets recipientAlg ${alg}`, async () => {
          const k = await kek(backend, size);
          const message = await createEncrypt(PLAINTEXT, { backend, recipients: [{ kek: k, kid: utf8('kw') }] });
          const [r] = recipientsOf(message);
          expect(r![0]).toEqual(new Uint8Array(0));
          expect((r![1] as Map<CborValue, CborValue>).get(HeaderLabel.alg)).toBe(alg);
          expect((r![2] as Uint8Array).length).toBe(40);
          const d = await decryptEncrypt(message, { backend, recipient: { kek: k, kid: utf8('kw') } });
          expect(d.plaintext).toEqual(PLAINTEXT);
          expect(d.alg).toBe(CoseAlgorithm.A256GCM);
          expect(d.recipientAlg).toBe(alg);
        });
      }

      for (const algorithm of ['X25519', 'ECDH-P256'] as const) {
        it(`ECDH-ES+A256KW on ${algorithm}: alg -31 protected, ephemeral COSE_Key unprotected, KDF context [-5, …, [256, protected]]`, async () => {
          const { backend: rec, log } = recordingBackend(backend);
          const { sk, pk } = await agreementPair(rec, algorithm);
          const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ publicKey: pk }] });
          const [r] = recipientsOf(message);
          expect(toHex(r![0] as Uint8Array)).toBe('a101381e');
          const epk = (r![1] as Map<CborValue, CborValue>).get(HeaderLabel.ephemeralKey) as Map<CborValue, CborValue>;
          expect(epk.get(CoseKeyLabel.kty)).toBe(algorithm === 'X25519' ? CoseKeyLabel.ktyOKP : CoseKeyLabel.ktyEC2);
          expect(epk.get(CoseKeyLabel.crv)).toBe(algorithm === 'X25519' ? CoseKeyLabel.crvX25519 : CoseKeyLabel.crvP256);
          expect(epk.has(CoseKeyLabel.d)).toBe(false);
          const d = await decryptEncrypt(message, { backend: rec, recipient: { privateKey: sk } });
          expect(d.plaintext).toEqual(PLAINTEXT);
          expect(d.recipientAlg).toBe(CoseAlgorithm.ECDH_ES_A256KW);
          const context = toHex(encodeCbor([CoseAlgorithm.A256KW, [null, null, null], [null, null, null], [256, r![0]!]]));
          expect(log.hkdfInfo.map(toHex)).toEqual([context, context]);
          expect(log.hkdfSalt).toEqual([undefined, undefined]);
        });

        for (const c of CONTENT) {
          it(`ECDH-ES+HKDF-256 direct on ${algorithm}, ${c.name}: empty recipient ciphertext; KDF context [${c.alg}, …, [${c.bytes * 8}, protected]]`, async () => {
            const { backend: rec, log } = recordingBackend(backend);
            const { sk, pk } = await agreementPair(rec, algorithm);
            const message = await createEncrypt(PLAINTEXT, { backend: rec, contentAlgorithm: c.alg, recipients: [{ publicKey: pk, mode: 'direct', kid: utf8('me') }] });
            const [r] = recipientsOf(message);
            expect(toHex(r![0] as Uint8Array)).toBe('a1013818');
            expect(r![2]).toEqual(new Uint8Array(0));
            let cek: Uint8Array | undefined;
            const d = await decryptEncrypt(message, { backend: rec, recipient: { privateKey: sk, kid: utf8('me') }, checkContentKey: (k) => { cek = k.slice(); } });
            expect(d.plaintext).toEqual(PLAINTEXT);
            expect(d.alg).toBe(c.alg);
            expect(d.recipientAlg).toBe(CoseAlgorithm.ECDH_ES_HKDF_256);
            expect(cek?.length).toBe(c.bytes);
            const context = toHex(encodeCbor([c.alg, [null, null, null], [null, null, null], [c.bytes * 8, r![0]!]]));
            expect(log.hkdfInfo.map(toHex)).toEqual([context, context]);
          });
        }
      }

      for (const c of CONTENT) {
        it(`content ${c.name} with a key wrap recipient; the Enc_structure is ["Encrypt", protected, external_aad]`, async () => {
          const { backend: rec, log } = recordingBackend(backend);
          const k = await kek(rec);
          const externalAad = utf8('aad');
          const message = await createEncrypt(PLAINTEXT, { backend: rec, contentAlgorithm: c.alg, externalAad, recipients: [{ kek: k }] });
          const d = await decryptEncrypt(message, { backend: rec, recipient: { kek: k }, externalAad });
          expect(d.plaintext).toEqual(PLAINTEXT);
          expect(d.alg).toBe(c.alg);
          const aad = toHex(encodeCbor(['Encrypt', coseFields(message).fields[0]!, externalAad]));
          expect(log.aeadAad.map(toHex)).toEqual([aad, aad]);
        });
      }

      it('three readers of different kinds (A128KW, X25519, P-256) each decrypt the same message', async () => {
        const kw = await kek(backend, 16);
        const x = await agreementPair(backend, 'X25519');
        const p = await agreementPair(backend, 'ECDH-P256');
        const message = await createEncrypt(PLAINTEXT, {
          backend, recipients: [{ kek: kw, kid: utf8('kw') }, { publicKey: x.pk, kid: utf8('x') }, { publicKey: p.pk, kid: utf8('p') }],
        });
        expect(recipientsOf(message)).toHaveLength(3);
        for (const recipient of [{ kek: kw }, { privateKey: x.sk }, { privateKey: p.sk }, { kek: kw, kid: utf8('kw') }, { privateKey: p.sk, kid: utf8('p') }] as RecipientKey[]) {
          expect((await decryptEncrypt(message, { backend, recipient })).plaintext).toEqual(PLAINTEXT);
        }
      });

      it('externalAad as a function receives the CEK (the one checkContentKey later sees) and binds what it returns', async () => {
        const k = await kek(backend);
        let given: string | undefined;
        let givenRef: Uint8Array | undefined;
        const message = await createEncrypt(PLAINTEXT, {
          backend, recipients: [{ kek: k }],
          externalAad: (cek) => { givenRef = cek; given = toHex(cek); return utf8(`commit:${toHex(cek)}`); },
        });
        expect(given).toMatch(/^[0-9a-f]{64}$/);
        expect(givenRef!.every((b) => b === 0)).toBe(true); /* wiped after encryption */
        let seen: string | undefined;
        const d = await decryptEncrypt(message, { backend, recipient: { kek: k }, externalAad: utf8(`commit:${given!}`), checkContentKey: (cek) => { seen = toHex(cek); } });
        expect(d.plaintext).toEqual(PLAINTEXT);
        expect(seen).toBe(given);
        await expectWardError(() => decryptEncrypt(message, { backend, recipient: { kek: k } }), 'ERR_DECRYPTION_FAILED');
      });

      it('externalAad as a function: a direct recipient hands it the derived CEK; an async function works', async () => {
        const x = await agreementPair(backend, 'X25519');
        let given: string | undefined;
        const message = await createEncrypt(PLAINTEXT, {
          backend, contentAlgorithm: CoseAlgorithm.A128GCM, recipients: [{ publicKey: x.pk, mode: 'direct' }],
          externalAad: async (cek) => { given = toHex(cek); return new Uint8Array(0); },
        });
        let seen: string | undefined;
        await decryptEncrypt(message, { backend, recipient: { privateKey: x.sk }, checkContentKey: (cek) => { seen = toHex(cek); } });
        expect(given).toMatch(/^[0-9a-f]{32}$/);
        expect(seen).toBe(given);
      });

      it('external AAD mismatch (different or missing) → ERR_DECRYPTION_FAILED', async () => {
        const x = await agreementPair(backend, 'X25519');
        const message = await createEncrypt(PLAINTEXT, { backend, externalAad: utf8('a'), recipients: [{ publicKey: x.pk }] });
        await expectWardError(() => decryptEncrypt(message, { backend, recipient: { privateKey: x.sk }, externalAad: utf8('b') }), 'ERR_DECRYPTION_FAILED');
        await expectWardError(() => decryptEncrypt(message, { backend, recipient: { privateKey: x.sk } }), 'ERR_DECRYPTION_FAILED');
      });

      it('compressed P-256 ephemeral key (y as a sign bit, RFC 9053 §7.1.1) is accepted', async () => {
        const p = await agreementPair(backend, 'ECDH-P256');
        const message = await createEncrypt(PLAINTEXT, { backend, recipients: [{ publicKey: p.pk }] });
        const compressed = rewriteRecipient(message, 0, (r) => {
          const header = new Map(r[1] as Map<CborValue, CborValue>);
          const epk = new Map(header.get(HeaderLabel.ephemeralKey) as Map<CborValue, CborValue>);
          const y = epk.get(CoseKeyLabel.y) as Uint8Array;
          epk.set(CoseKeyLabel.y, (y[31]! & 1) === 1);
          header.set(HeaderLabel.ephemeralKey, epk);
          return [r[0]!, header, r[2]!];
        });
        expect((await decryptEncrypt(compressed, { backend, recipient: { privateKey: p.sk } })).plaintext).toEqual(PLAINTEXT);
        /*
         * The other sign bit names -Q. ECDH keeps only the x-coordinate (SEC1 §3.3.1), and
         * d·(-Q) = -(d·Q) has the same x, so the secret, KEK and plaintext are the same: the
         * sign bit is not security-relevant (and not authenticated: the epk is unprotected).
         */
        const flippedSign = rewriteRecipient(compressed, 0, (r) => {
          const header = new Map(r[1] as Map<CborValue, CborValue>);
          const epk = new Map(header.get(HeaderLabel.ephemeralKey) as Map<CborValue, CborValue>);
          epk.set(CoseKeyLabel.y, !(epk.get(CoseKeyLabel.y) as boolean));
          header.set(HeaderLabel.ephemeralKey, epk);
          return [r[0]!, header, r[2]!];
        });
        expect((await decryptEncrypt(flippedSign, { backend, recipient: { privateKey: p.sk } })).plaintext).toEqual(PLAINTEXT);
      });

      it('a hand-built ECDH-ES+A128KW (-29) recipient with salt and PartyU nonce (RFC 9053 §5.1, §5.2) is read', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const reader = await agreementPair(rec, 'X25519');
        let cek = new Uint8Array(0);
        const base = await createEncrypt(PLAINTEXT, {
          backend: rec, recipients: [{ kek: await kek(rec) }], externalAad: (k) => { cek = k.slice(); return new Uint8Array(0); },
        });
        /* Sender side by hand: ephemeral X25519, HKDF-SHA-256 with salt over the KDF context, A128KW. */
        const ephemeral = await rec.generateKey('X25519', { extractable: true });
        const ephemeralPublic = await rec.exportKey(await rec.publicKey(ephemeral));
        const protectedBytes = encodeCbor(new Map([label(HeaderLabel.alg, CoseAlgorithm.ECDH_ES_A128KW)]));
        const salt = utf8('salt-1234');
        const nonce = utf8('nonce-u');
        const context = encodeCbor([CoseAlgorithm.A128KW, [null, nonce, null], [null, null, null], [128, protectedBytes]]);
        const shared = await rec.deriveSharedSecret(ephemeral, reader.pk);
        const kekBytes = await rec.hkdfSha256({ ikm: shared, salt, info: context, length: 16 });
        const wrapped = await rec.wrapKey(await rec.importKey('AES-KW', 'secret', kekBytes), cek);
        const unprotectedHeader = new Map<CborValue, CborValue>([
          [HeaderLabel.ephemeralKey, new Map<CborValue, CborValue>([[1, 1], [-1, 4], [-2, ephemeralPublic]])],
          [HeaderLabel.salt, salt],
          [HeaderLabel.partyUNonce, nonce],
        ]);
        const message = rewriteRecipient(base, 0, () => [protectedBytes, unprotectedHeader, wrapped]);
        log.hkdfInfo.length = 0;
        const d = await decryptEncrypt(message, { backend: rec, recipient: { privateKey: reader.sk } });
        expect(d.plaintext).toEqual(PLAINTEXT);
        expect(d.recipientAlg).toBe(CoseAlgorithm.ECDH_ES_A128KW);
        expect(log.hkdfInfo.map(toHex)).toEqual([toHex(context)]);
        expect(log.hkdfSalt.at(-1)).toEqual(salt);
      });
    });

    describe('createEncrypt preconditions', () => {
      it('ERR_INVALID_ARGUMENT: no recipients', async () => {
        await expectWardError(() => createEncrypt(PLAINTEXT, { backend, recipients: [] }), 'ERR_INVALID_ARGUMENT');
      });

      it('ERR_INVALID_ARGUMENT: a direct recipient combined with others (either order)', async () => {
        const x = await agreementPair(backend, 'X25519');
        const k = await kek(backend);
        await expectWardError(() => createEncrypt(PLAINTEXT, { backend, recipients: [{ publicKey: x.pk, mode: 'direct' }, { kek: k }] }), 'ERR_INVALID_ARGUMENT');
        await expectWardError(() => createEncrypt(PLAINTEXT, { backend, recipients: [{ kek: k }, { publicKey: x.pk, mode: 'direct' }] }), 'ERR_INVALID_ARGUMENT');
        await expectWardError(
          () => createEncrypt(PLAINTEXT, { backend, recipients: [{ publicKey: x.pk, mode: 'direct' }, { publicKey: x.pk, mode: 'direct' }] }),
          'ERR_INVALID_ARGUMENT',
        );
      });

      it('ERR_UNSUPPORTED_ALGORITHM: content algorithm AES-CCM (10), direct (-6), -999', async () => {
        const k = await kek(backend);
        for (const contentAlgorithm of [10, -6, -999]) {
          await expectWardError(() => createEncrypt(PLAINTEXT, { backend, contentAlgorithm, recipients: [{ kek: k }] }), 'ERR_UNSUPPORTED_ALGORITHM');
        }
      });

      it('ERR_INVALID_ARGUMENT: a plaintext that is not bytes', async () => {
        const k = await kek(backend);
        await expectWardError(() => createEncrypt([1] as unknown as Uint8Array, { backend, recipients: [{ kek: k }] }), 'ERR_INVALID_ARGUMENT');
      });
    });

    describe('decryptEncrypt preconditions', () => {
      const setup = (async () => {
        const k = await kek(backend);
        const x = await agreementPair(backend, 'X25519');
        const kwMessage = await createEncrypt(PLAINTEXT, { backend, recipients: [{ kek: k }] });
        const ecdhMessage = await createEncrypt(PLAINTEXT, { backend, recipients: [{ publicKey: x.pk }] });
        const directMessage = await createEncrypt(PLAINTEXT, { backend, recipients: [{ publicKey: x.pk, mode: 'direct' }] });
        return { k, x, kwMessage, ecdhMessage, directMessage };
      })();
      const kwRejects = async (code: WardErrorCode, f: (fields: CborValue[]) => CborValue[], options: { tagged?: 'optional'; maxRecipients?: number } = {}) => {
        const { k, kwMessage } = await setup;
        return expectWardError(() => decryptEncrypt(rewrite(kwMessage, f), { backend, recipient: { kek: k }, ...options }), code);
      };
      const ecdhRecipientRejects = async (code: WardErrorCode, f: (recipient: CborValue[]) => CborValue, which: 'ecdhMessage' | 'directMessage' = 'ecdhMessage') => {
        const s = await setup;
        return expectWardError(() => decryptEncrypt(rewriteRecipient(s[which], 0, f), { backend, recipient: { privateKey: s.x.sk } }), code);
      };
      /** The no-recipient reasons after rewriting recipient 0 (the only one) of an ECDH-ES message. */
      const ecdhRecipientSkipped = async (f: (recipient: CborValue[]) => CborValue, which: 'ecdhMessage' | 'directMessage' = 'ecdhMessage') => {
        const s = await setup;
        return expectNoRecipient(() => decryptEncrypt(rewriteRecipient(s[which], 0, f), { backend, recipient: { privateKey: s.x.sk } }));
      };
      const content = (fields: CborValue[]): { p: Uint8Array; u: Map<CborValue, CborValue> } => ({ p: fields[0] as Uint8Array, u: new Map(fields[1] as Map<CborValue, CborValue>) });

      /* RFC 9052 §5.1, SPEC.md §2: the decoder refuses the message, whichever recipient the reader holds. */
      it('ERR_COSE_MALFORMED: a direct key agreement recipient beside others, before or after the reader\'s own, and for either reader', async () => {
        const { k, x, kwMessage, directMessage } = await setup;
        const direct = (coseFields(directMessage).fields[3] as CborValue[])[0]!;
        for (const recipients of [(r: CborValue[]) => [...r, direct], (r: CborValue[]) => [direct, ...r]]) {
          const mixed = rewrite(kwMessage, (f) => [f[0]!, f[1]!, f[2]!, recipients(f[3] as CborValue[])]);
          await expectWardError(() => decryptEncrypt(mixed, { backend, recipient: { kek: k } }), 'ERR_COSE_MALFORMED');
          await expectWardError(() => decryptEncrypt(mixed, { backend, recipient: { privateKey: x.sk } }), 'ERR_COSE_MALFORMED');
        }
        /* Alone, the same direct recipient opens. */
        expect((await decryptEncrypt(directMessage, { backend, recipient: { privateKey: x.sk } })).plaintext).toEqual(PLAINTEXT);
      });

      it('ERR_COSE_WRONG_TAG: tag 16 or 97; untagged by default', async () => {
        const { k, kwMessage } = await setup;
        const { fields } = coseFields(kwMessage);
        for (const tag of [16, 97]) {
          await expectWardError(() => decryptEncrypt(encodeCose(tag, fields), { backend, recipient: { kek: k } }), 'ERR_COSE_WRONG_TAG');
        }
        await expectWardError(() => decryptEncrypt(encodeCbor(fields), { backend, recipient: { kek: k } }), 'ERR_COSE_WRONG_TAG');
      });

      it('untagged is accepted with tagged: optional', async () => {
        const { k, kwMessage } = await setup;
        const untagged = encodeCbor(coseFields(kwMessage).fields);
        expect((await decryptEncrypt(untagged, { backend, recipient: { kek: k }, tagged: 'optional' })).plaintext).toEqual(PLAINTEXT);
      });

      it('ERR_COSE_MALFORMED: array of 3 or 5; protected or ciphertext not a bstr', async () => {
        await kwRejects('ERR_COSE_MALFORMED', (f) => f.slice(0, 3));
        await kwRejects('ERR_COSE_MALFORMED', (f) => [...f, null]);
        await kwRejects('ERR_COSE_MALFORMED', (f) => [new Map([[1, 3]]), f[1]!, f[2]!, f[3]!]);
        await kwRejects('ERR_COSE_MALFORMED', (f) => [f[0]!, f[1]!, null, f[3]!]);
      });

      it('ERR_COSE_MALFORMED: recipients not an array, or empty', async () => {
        await kwRejects('ERR_COSE_MALFORMED', (f) => [f[0]!, f[1]!, f[2]!, new Map()]);
        await kwRejects('ERR_COSE_MALFORMED', (f) => [f[0]!, f[1]!, f[2]!, []]);
        await kwRejects('ERR_COSE_MALFORMED', (f) => [f[0]!, f[1]!, f[2]!, (f[3] as CborValue[])[0]!]);
      });

      it('ERR_COSE_MALFORMED: a COSE_recipient that is not an array of 3 (e.g. two-layer, 4 fields)', async () => {
        await kwRejects('ERR_COSE_MALFORMED', (f) => [f[0]!, f[1]!, f[2]!, [[...((f[3] as CborValue[][])[0]!), []]]]);
        await kwRejects('ERR_COSE_MALFORMED', (f) => [f[0]!, f[1]!, f[2]!, [((f[3] as CborValue[][])[0]!).slice(0, 2)]]);
        await kwRejects('ERR_COSE_MALFORMED', (f) => [f[0]!, f[1]!, f[2]!, [new Uint8Array(40)]]);
      });

      it('ERR_COSE_MALFORMED: too many recipients (maxRecipients option), checked before any recipient is processed', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const k = await kek(rec);
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: k }, { kek: k }, { kek: k }] });
        await expectWardError(() => decryptEncrypt(message, { backend: rec, recipient: { kek: k }, maxRecipients: 2 }), 'ERR_COSE_MALFORMED');
        expect(log.unwraps).toEqual([]);
        expect((await decryptEncrypt(message, { backend: rec, recipient: { kek: k }, maxRecipients: 3 })).plaintext).toEqual(PLAINTEXT);
      });

      it(`ERR_COSE_MALFORMED: more than DEFAULT_MAX_RECIPIENTS (${DEFAULT_MAX_RECIPIENTS}) by default`, async () => {
        const k = await kek(backend);
        const message = await createEncrypt(PLAINTEXT, { backend, recipients: Array.from({ length: DEFAULT_MAX_RECIPIENTS + 1 }, () => ({ kek: k })) });
        await expectWardError(() => decryptEncrypt(message, { backend, recipient: { kek: k } }), 'ERR_COSE_MALFORMED');
        expect((await decryptEncrypt(message, { backend, recipient: { kek: k }, maxRecipients: DEFAULT_MAX_RECIPIENTS + 1 })).plaintext).toEqual(PLAINTEXT);
      });

      it('ERR_COSE_UNPROTECTED_ALG: content alg only in the unprotected bucket', async () => {
        await kwRejects('ERR_COSE_UNPROTECTED_ALG', (f) => {
          const { u } = content(f);
          u.set(1, 3);
          return [new Uint8Array(0), u, f[2]!, f[3]!];
        });
      });

      it('ERR_COSE_INVALID_HEADER: content label in both buckets', async () => {
        await kwRejects('ERR_COSE_INVALID_HEADER', (f) => {
          const { p, u } = content(f);
          u.set(1, 3);
          return [p, u, f[2]!, f[3]!];
        });
      });

      it('ERR_COSE_UNKNOWN_CRITICAL: content crit naming an unknown label', async () => {
        await kwRejects('ERR_COSE_UNKNOWN_CRITICAL', (f) => [encodeCbor(new Map<CborValue, CborValue>([[1, 3], [2, [-65537]], [-65537, 1]])), f[1]!, f[2]!, f[3]!]);
      });

      it('ERR_COSE_INVALID_HEADER: content crit in the unprotected bucket', async () => {
        await kwRejects('ERR_COSE_INVALID_HEADER', (f) => {
          const { p, u } = content(f);
          u.set(2, [1]);
          return [p, u, f[2]!, f[3]!];
        });
      });

      it('ERR_UNSUPPORTED_ALGORITHM: content Partial IV', async () => {
        await kwRejects('ERR_UNSUPPORTED_ALGORITHM', (f) => {
          const { p, u } = content(f);
          u.set(6, new Uint8Array([0x61, 0xa7]));
          return [p, u, f[2]!, f[3]!];
        });
      });

      it('ERR_COSE_INVALID_HEADER: content IV of the wrong length or missing', async () => {
        for (const iv of [new Uint8Array(8), new Uint8Array(13), undefined]) {
          await kwRejects('ERR_COSE_INVALID_HEADER', (f) => {
            const { p, u } = content(f);
            if (iv === undefined) u.delete(5);
            else u.set(5, iv);
            return [p, u, f[2]!, f[3]!];
          });
        }
      });

      it('ERR_UNSUPPORTED_ALGORITHM: content alg AES-CCM (10) or text', async () => {
        for (const a of [10, 'A256GCM'] as CborValue[]) {
          await kwRejects('ERR_UNSUPPORTED_ALGORITHM', (f) => [encodeCbor(new Map<CborValue, CborValue>([[1, a]])), f[1]!, f[2]!, f[3]!]);
        }
      });

      it('ERR_UNSUPPORTED_ALGORITHM: AES-CCM (10, 30) with its own 13-byte or 7-byte nonce, or none — the alg is checked before the IV and before any recipient', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const k = await kek(rec);
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: k }] });
        log.unwraps.length = 0;
        for (const a of [10, 30]) {
          for (const iv of [new Uint8Array(13), new Uint8Array(7), undefined]) {
            const ccm = rewrite(message, (f) => {
              const { u } = content(f);
              if (iv === undefined) u.delete(5);
              else u.set(5, iv);
              return [encodeCbor(new Map<CborValue, CborValue>([[1, a]])), u, f[2]!, f[3]!];
            });
            await expectWardError(() => decryptEncrypt(ccm, { backend: rec, recipient: { kek: k } }), 'ERR_UNSUPPORTED_ALGORITHM');
          }
        }
        expect(log.unwraps).toEqual([]);
      });

      it('ERR_DECRYPTION_FAILED: a recovered CEK of the wrong length for the content alg (A128GCM CEK under an A256GCM header)', async () => {
        const k = await kek(backend);
        const message = await createEncrypt(PLAINTEXT, { backend, contentAlgorithm: CoseAlgorithm.A128GCM, recipients: [{ kek: k }] });
        const relabelled = rewrite(message, (f) => [encodeCbor(new Map([[1, CoseAlgorithm.A256GCM]])), f[1]!, f[2]!, f[3]!]);
        await expectWardError(() => decryptEncrypt(relabelled, { backend, recipient: { kek: k } }), 'ERR_DECRYPTION_FAILED');
      });

      it('ERR_COSE_INVALID_HEADER: a key wrap recipient with a non-empty protected header', async () => {
        const { k, kwMessage } = await setup;
        for (const protectedBytes of [encodeCbor(new Map([[1, -5]])), encodeCbor(new Map([[4, utf8('kid')]]))]) {
          const message = rewriteRecipient(kwMessage, 0, (r) => {
            const u = new Map(r[1] as Map<CborValue, CborValue>);
            if (protectedBytes.length === 4) u.delete(1);
            return [protectedBytes, u, r[2]!];
          });
          await expectWardError(() => decryptEncrypt(message, { backend, recipient: { kek: k } }), 'ERR_COSE_INVALID_HEADER');
        }
      });

      it('ERR_DECRYPTION_FAILED: the only key wrap recipient is A256KW and the reader\'s KEK is 128-bit — skipped without an unwrap ("alg -5 for a 32-byte KEK")', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const { kwMessage } = await setup;
        for (const size of [16, 24]) {
          const other = await kek(rec, size);
          expect(await expectNoRecipient(() => decryptEncrypt(kwMessage, { backend: rec, recipient: { kek: other } }))).toEqual(['alg -5 for a 32-byte KEK']);
        }
        expect(log.unwraps).toEqual([]);
      });

      it('ERR_COSE_UNPROTECTED_ALG: an ECDH-ES recipient with alg in the unprotected bucket', async () => {
        await ecdhRecipientRejects('ERR_COSE_UNPROTECTED_ALG', (r) => {
          const u = new Map(r[1] as Map<CborValue, CborValue>);
          u.set(1, CoseAlgorithm.ECDH_ES_A256KW);
          return [new Uint8Array(0), u, r[2]!];
        });
      });

      it('ERR_DECRYPTION_FAILED: a lone recipient in an alg Ward does not implement — direct (-6), HKDF-SHA-256 (-10), ECDH-ES+HKDF-512 (-26), ECDH-SS (-27, -28), ECDH-SS+A128KW (-32), -999 — is skipped: the cause names it', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const s = await setup;
        for (const a of [-6, -10, -26, -27, -28, -32, -999]) {
          const message = rewriteRecipient(s.ecdhMessage, 0, (r) => [encodeCbor(new Map([[1, a]])), r[1]!, r[2]!]);
          /* Whatever key the reader offers: the ECDH-ES private key, or a KEK. */
          for (const recipient of [{ privateKey: s.x.sk }, { kek: s.k }] as RecipientKey[]) {
            expect(await expectNoRecipient(() => decryptEncrypt(message, { backend: rec, recipient }))).toEqual([`unsupported alg ${a}`]);
          }
          /* An unprotected alg does not change that (checkHeaders accepts it for a recipient). */
          const unprotectedAlg = rewriteRecipient(s.ecdhMessage, 0, (r) => [new Uint8Array(0), new Map([...(r[1] as Map<CborValue, CborValue>), [1, a]]), r[2]!]);
          expect(await expectNoRecipient(() => decryptEncrypt(unprotectedAlg, { backend: rec, recipient: { privateKey: s.x.sk } }))).toEqual([`unsupported alg ${a}`]);
        }
        /* Skipped before any key agreement, derivation or unwrap. */
        expect(log.agreements).toEqual([]);
        expect(log.hkdfInfo).toEqual([]);
        expect(log.unwraps).toEqual([]);
      });

      it('ERR_UNSUPPORTED_ALGORITHM: a text recipient alg is still refused (checkHeaders), not skipped', async () => {
        for (const a of ['ECDH-ES', 'direct'] as CborValue[]) {
          await ecdhRecipientRejects('ERR_UNSUPPORTED_ALGORITHM', (r) => [encodeCbor(new Map([[1, a]])), r[1]!, r[2]!]);
        }
      });

      it('ERR_CBOR_UNSUPPORTED: an integral float in a recipient (alg -31.0 in its protected bucket, or -5.0 unprotected) is refused, not skipped', async () => {
        const s = await setup;
        const protectedFloat = rewriteRecipient(s.ecdhMessage, 0, (r) => [new Uint8Array([0xa1, 0x01, 0xf9, 0xcf, 0xc0]), r[1]!, r[2]!]);
        expect(await expectIntegralFloatRejected(() => decryptEncrypt(protectedFloat, { backend, recipient: { privateKey: s.x.sk } }))).toMatch(/at offset 2$/);
        /*
         * encodeCbor writes -5.0 as the integer -5: swap the key wrap recipient's alg for the
         * half-float by hand. The message ends with that recipient: … a1 01 24 58 28 <40 bytes>.
         */
        const plain = Buffer.from(s.kwMessage);
        const at = plain.length - 43;
        expect(toHex(plain.subarray(at - 2, at + 3))).toBe('a101245828');
        const unprotectedFloat = new Uint8Array([...plain.subarray(0, at), 0xf9, 0xc5, 0x00, ...plain.subarray(at + 1)]);
        expect(await expectIntegralFloatRejected(() => decryptEncrypt(unprotectedFloat, { backend, recipient: { kek: s.k } }))).toMatch(new RegExp(`at offset ${at}$`));
      });

      it('ERR_COSE_UNKNOWN_CRITICAL / ERR_COSE_INVALID_HEADER: recipient crit unknown, or crit in its unprotected bucket', async () => {
        await ecdhRecipientRejects('ERR_COSE_UNKNOWN_CRITICAL', (r) => [encodeCbor(new Map<CborValue, CborValue>([[1, -31], [2, [-99]], [-99, 0]])), r[1]!, r[2]!]);
        await ecdhRecipientRejects('ERR_COSE_INVALID_HEADER', (r) => {
          const u = new Map(r[1] as Map<CborValue, CborValue>);
          u.set(2, [1]);
          return [r[0]!, u, r[2]!];
        });
      });

      it('ERR_COSE_MALFORMED: ephemeral key missing, not a map, or carrying a private part; an unknown kty is skipped', async () => {
        const withEpk = (epk: CborValue | undefined) => (r: CborValue[]): CborValue => {
          const u = new Map(r[1] as Map<CborValue, CborValue>);
          if (epk === undefined) u.delete(-1);
          else u.set(-1, epk);
          return [r[0]!, u, r[2]!];
        };
        const { ecdhMessage } = await setup;
        const epk = (recipientsOf(ecdhMessage)[0]![1] as Map<CborValue, CborValue>).get(-1) as Map<CborValue, CborValue>;
        await ecdhRecipientRejects('ERR_COSE_MALFORMED', withEpk(undefined));
        await ecdhRecipientRejects('ERR_COSE_MALFORMED', withEpk(utf8('epk')));
        await ecdhRecipientRejects('ERR_COSE_MALFORMED', withEpk(new Map([...epk, [-4, new Uint8Array(32)]])));
        /* kty 4 (Symmetric) is no curve the reader has: the recipient is not for it. */
        expect(await ecdhRecipientSkipped(withEpk(new Map<CborValue, CborValue>([[1, 4], [-1, new Uint8Array(32)]])))).toEqual(['another curve']);
        /* OKP X448 (crv 5) likewise. */
        expect(await ecdhRecipientSkipped(withEpk(new Map<CborValue, CborValue>([[1, 1], [-1, 5], [-2, new Uint8Array(56)]])))).toEqual(['another curve']);
      });

      it('ERR_COSE_INVALID_HEADER: a salt that is not a bstr', async () => {
        await ecdhRecipientRejects('ERR_COSE_INVALID_HEADER', (r) => {
          const u = new Map(r[1] as Map<CborValue, CborValue>);
          u.set(HeaderLabel.salt, 'salt');
          return [r[0]!, u, r[2]!];
        });
      });

      it('ERR_COSE_MALFORMED: a direct key agreement recipient with a non-empty ciphertext', async () => {
        await ecdhRecipientRejects('ERR_COSE_MALFORMED', (r) => [r[0]!, r[1]!, new Uint8Array(40)], 'directMessage');
      });

      it('ERR_DECRYPTION_FAILED: an all-zero (low-order) X25519 ephemeral key is skipped, not used ("key agreement failed")', async () => {
        expect(await ecdhRecipientSkipped((r) => {
          const u = new Map(r[1] as Map<CborValue, CborValue>);
          u.set(-1, new Map<CborValue, CborValue>([[1, 1], [-1, 4], [-2, new Uint8Array(32)]]));
          return [r[0]!, u, r[2]!];
        })).toEqual(['key agreement failed']);
      });

      it('ERR_KEY_INVALID: a P-256 ephemeral point that is not on the curve', async () => {
        const p = await agreementPair(backend, 'ECDH-P256');
        const message = await createEncrypt(PLAINTEXT, { backend, recipients: [{ publicKey: p.pk }] });
        const offCurve = rewriteRecipient(message, 0, (r) => {
          const u = new Map(r[1] as Map<CborValue, CborValue>);
          const epk = new Map(u.get(-1) as Map<CborValue, CborValue>);
          const y = (epk.get(-3) as Uint8Array).slice();
          y[31] = y[31]! ^ 1;
          epk.set(-3, y);
          u.set(-1, epk);
          return [r[0]!, u, r[2]!];
        });
        await expectWardError(() => decryptEncrypt(offCurve, { backend, recipient: { privateKey: p.sk } }), 'ERR_KEY_INVALID');
      });
    });

    describe('recipient selection', () => {
      it('by kid: only the recipient with the reader\'s kid is tried', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const a = await kek(rec);
        const b = await kek(rec);
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: a, kid: utf8('a') }, { kek: b, kid: utf8('b') }] });
        expect((await decryptEncrypt(message, { backend: rec, recipient: { kek: b, kid: utf8('b') } })).plaintext).toEqual(PLAINTEXT);
        expect(log.unwraps).toEqual([32]);
      });

      it('by kid: a reader whose kid matches no recipient gets ERR_DECRYPTION_FAILED without any unwrap ("another kid" for each)', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const a = await kek(rec);
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: a, kid: utf8('a') }, { kek: a }] });
        expect(await expectNoRecipient(() => decryptEncrypt(message, { backend: rec, recipient: { kek: a, kid: utf8('c') } }))).toEqual(['another kid', 'another kid']);
        expect(log.unwraps).toEqual([]);
      });

      it('without a kid: recipients are tried in order; one that fails to unwrap is skipped', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const a = await kek(rec);
        const b = await kek(rec);
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: a }, { kek: b }] });
        expect((await decryptEncrypt(message, { backend: rec, recipient: { kek: b } })).plaintext).toEqual(PLAINTEXT);
        expect(log.unwraps).toEqual([32, 32]);
      });

      for (const order of ['P-256 first', 'X25519 first'] as const) {
        it(`by curve (${order}): an X25519 reader skips P-256 recipients and vice versa (one ECDH each)`, async () => {
          const { backend: rec, log } = recordingBackend(backend);
          const x = await agreementPair(rec, 'X25519');
          const p = await agreementPair(rec, 'ECDH-P256');
          const specs: RecipientSpec[] = order === 'P-256 first' ? [{ publicKey: p.pk }, { publicKey: x.pk }] : [{ publicKey: x.pk }, { publicKey: p.pk }];
          const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: specs });
          log.agreements.length = 0;
          expect((await decryptEncrypt(message, { backend: rec, recipient: { privateKey: x.sk } })).plaintext).toEqual(PLAINTEXT);
          expect(log.agreements).toEqual([{ privateAlgorithm: 'X25519', publicAlgorithm: 'X25519' }]);
          log.agreements.length = 0;
          expect((await decryptEncrypt(message, { backend: rec, recipient: { privateKey: p.sk } })).plaintext).toEqual(PLAINTEXT);
          expect(log.agreements).toEqual([{ privateAlgorithm: 'ECDH-P256', publicAlgorithm: 'ECDH-P256' }]);
        });
      }

      it('by kind: a KEK reader skips ECDH recipients; an ECDH reader skips key wrap recipients', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const k = await kek(rec);
        const x = await agreementPair(rec, 'X25519');
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ publicKey: x.pk }, { kek: k }] });
        log.agreements.length = 0;
        log.unwraps.length = 0;
        expect((await decryptEncrypt(message, { backend: rec, recipient: { kek: k } })).plaintext).toEqual(PLAINTEXT);
        expect(log.agreements).toEqual([]);
        expect(log.unwraps).toEqual([32]);
        const reversed = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: k }, { publicKey: x.pk }] });
        log.unwraps.length = 0;
        expect((await decryptEncrypt(reversed, { backend: rec, recipient: { privateKey: x.sk } })).plaintext).toEqual(PLAINTEXT);
        expect(log.unwraps).toEqual([32]); /* the ECDH-derived KEK's unwrap only */
      });

      it('a reader with no matching recipient (wrong KEK, wrong X25519 key, wrong curve) gets ERR_DECRYPTION_FAILED caused by ERR_KEY_NOT_FOUND, listing why each recipient was skipped', async () => {
        const k = await kek(backend);
        const x = await agreementPair(backend, 'X25519');
        const message = await createEncrypt(PLAINTEXT, { backend, recipients: [{ kek: k }, { publicKey: x.pk }] });
        const readers: [RecipientKey, string[]][] = [
          [{ kek: await kek(backend) }, ['unwrap failed', 'ECDH-ES (alg -31) for a private-key holder']],
          [{ privateKey: (await agreementPair(backend, 'X25519')).sk }, ['key wrap (alg -5) for a KEK holder', 'unwrap failed']],
          [{ privateKey: (await agreementPair(backend, 'ECDH-P256')).sk }, ['key wrap (alg -5) for a KEK holder', 'another curve']],
          [{ kek: await kek(backend, 16) }, ['alg -5 for a 32-byte KEK', 'ECDH-ES (alg -31) for a private-key holder']],
        ];
        for (const [recipient, reasons] of readers) {
          const outcome = await outcomeOf(() => decryptEncrypt(message, { backend, recipient }));
          expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
          if (outcome.kind === 'ward') {
            expect(DecryptionError.isInstance(outcome.error)).toBe(true);
            expect(outcome.code).toBe('ERR_DECRYPTION_FAILED');
            expect(outcome.error.message).toBe('decryption failed');
            expect(KeyError.isInstance(outcome.error.cause)).toBe(true);
            expect((outcome.error.cause as KeyError).code).toBe('ERR_KEY_NOT_FOUND');
            expect((outcome.error.cause as KeyError).message).toBe(`no recipient structure yielded a content key (${reasons.join('; ')})`);
          }
          expect(noRecipientReasons(outcome)).toEqual(reasons);
        }
      });

      it('past unsupported recipient algorithms: a reader skips direct (-6), ECDH-SS (-27) and -999 recipients ahead of its own (no ECDH for them)', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const x = await agreementPair(rec, 'X25519');
        const k = await kek(rec);
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ publicKey: x.pk }, { publicKey: x.pk }, { publicKey: x.pk }, { publicKey: x.pk }, { kek: k }] });
        let foreign = message;
        for (const [index, a] of [[0, -6], [1, -27], [2, -999]] as const) {
          foreign = rewriteRecipient(foreign, index, (r) => [encodeCbor(new Map([[1, a]])), r[1]!, r[2]!]);
        }
        log.agreements.length = 0;
        log.unwraps.length = 0;
        const d = await decryptEncrypt(foreign, { backend: rec, recipient: { privateKey: x.sk } });
        expect(d.plaintext).toEqual(PLAINTEXT);
        expect(d.recipientAlg).toBe(CoseAlgorithm.ECDH_ES_A256KW);
        expect(log.agreements).toHaveLength(1);
        expect(log.unwraps).toEqual([32]);
        /* A KEK reader skips them too, and the ECDH-ES recipient, and reads the last one. */
        log.unwraps.length = 0;
        expect((await decryptEncrypt(foreign, { backend: rec, recipient: { kek: k } })).recipientAlg).toBe(CoseAlgorithm.A256KW);
        expect(log.unwraps).toEqual([32]);
        /* With its own recipient gone, the reader is told why each was skipped. */
        const without = rewrite(foreign, (f) => [f[0]!, f[1]!, f[2]!, (f[3] as CborValue[]).slice(0, 3)]);
        expect(await expectNoRecipient(() => decryptEncrypt(without, { backend: rec, recipient: { privateKey: x.sk } })))
          .toEqual(['unsupported alg -6', 'unsupported alg -27', 'unsupported alg -999']);
      });

      /*
       * decryptEncrypt's contract: recipients "whose kid or algorithm does not fit the key" are
       * skipped. A key wrap recipient of another size is another reader's, like a recipient on
       * another curve: it is skipped without an unwrap, so a reader without a kid reaches its own.
       */
      it('by key wrap size: a 256-bit KEK reader skips an A128KW recipient for someone else and reads its A256KW one (and vice versa)', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const alice = await kek(rec, 16);
        const bob = await kek(rec, 32);
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: alice }, { kek: bob }] });
        const outcome = await outcomeOf(() => decryptEncrypt(message, { backend: rec, recipient: { kek: bob } }));
        expect(outcome.kind, describeOutcome(outcome)).toBe('value');
        if (outcome.kind === 'value') {
          expect(outcome.value.plaintext).toEqual(PLAINTEXT);
          expect(outcome.value.recipientAlg).toBe(CoseAlgorithm.A256KW);
        }
        expect(log.unwraps).toEqual([32]);
        const reversed = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: bob }, { kek: alice }] });
        log.unwraps.length = 0;
        const d = await decryptEncrypt(reversed, { backend: rec, recipient: { kek: alice } });
        expect(d.plaintext).toEqual(PLAINTEXT);
        expect(d.recipientAlg).toBe(CoseAlgorithm.A128KW);
        expect(log.unwraps).toEqual([16]);
        /* A 192-bit KEK fits neither: both are skipped, each named with its alg and KEK size. */
        log.unwraps.length = 0;
        const carol = await kek(rec, 24);
        expect(await expectNoRecipient(() => decryptEncrypt(message, { backend: rec, recipient: { kek: carol } })))
          .toEqual(['alg -3 for a 16-byte KEK', 'alg -5 for a 32-byte KEK']);
        expect(log.unwraps).toEqual([]);
      });
    });

    describe('checkContentKey', () => {
      it('can refuse: its error propagates unchanged, no content is decrypted, and the CEK it saw is wiped', async () => {
        const { backend: rec, log } = recordingBackend(backend);
        const k = await kek(rec);
        const message = await createEncrypt(PLAINTEXT, { backend: rec, recipients: [{ kek: k }] });
        log.aeadAad.length = 0;
        const refusal = new Error('key commitment mismatch');
        let seen: Uint8Array | undefined;
        let copy = '';
        await expect(decryptEncrypt(message, {
          backend: rec, recipient: { kek: k },
          checkContentKey: (cek) => { seen = cek; copy = toHex(cek); throw refusal; },
        })).rejects.toBe(refusal);
        expect(log.aeadAad).toEqual([]);
        expect(copy).toMatch(/^[0-9a-f]{64}$/);
        expect(seen!.every((b) => b === 0)).toBe(true);
      });

      it('an async refusal and a WardError refusal propagate too (not mistaken for "try the next recipient")', async () => {
        const k = await kek(backend);
        const message = await createEncrypt(PLAINTEXT, { backend, recipients: [{ kek: k }, { kek: k }] });
        const refusal = new DecryptionError();
        let calls = 0;
        await expect(decryptEncrypt(message, { backend, recipient: { kek: k }, checkContentKey: async () => { calls++; throw refusal; } })).rejects.toBe(refusal);
        expect(calls).toBe(1);
      });

      it('accepting returns the plaintext; the CEK is wiped after the call', async () => {
        const k = await kek(backend);
        const message = await createEncrypt(PLAINTEXT, { backend, recipients: [{ kek: k }] });
        let seen: Uint8Array | undefined;
        const d = await decryptEncrypt(message, { backend, recipient: { kek: k }, checkContentKey: (cek) => { seen = cek; } });
        expect(d.plaintext).toEqual(PLAINTEXT);
        expect(seen!.every((b) => b === 0)).toBe(true);
      });
    });
  });
}

describe('COSE_Encrypt across backends', () => {
  it('noble encrypts for node readers (KW, X25519, P-256) and the reverse', async () => {
    const noble = BACKENDS[0]!.create();
    const node = BACKENDS[1]!.create();
    for (const [sender, reader] of [[noble, node], [node, noble]] as const) {
      const rawKek = await sender.randomBytes(32);
      const x = await reader.generateKey('X25519');
      const p = await reader.generateKey('ECDH-P256');
      const toSender = async (sk: AgreementPrivateKey): Promise<AgreementPublicKey> =>
        sender.importKey(sk.algorithm, 'public', await reader.exportKey(await reader.publicKey(sk)));
      const message = await createEncrypt(PLAINTEXT, {
        backend: sender,
        recipients: [{ kek: await sender.importKey('AES-KW', 'secret', rawKek) }, { publicKey: await toSender(x) }, { publicKey: await toSender(p) }],
      });
      for (const recipient of [{ kek: await reader.importKey('AES-KW', 'secret', rawKek) }, { privateKey: x }, { privateKey: p }] as RecipientKey[]) {
        expect((await decryptEncrypt(message, { backend: reader, recipient })).plaintext).toEqual(PLAINTEXT);
      }
    }
  });
});

describe('COSE_Encrypt with a detached ciphertext (RFC 9052 §5.1)', () => {
  const backend = BACKENDS[0]!.create();
  const kek = backend.generateKey('AES-KW') as WrappingKey;

  /** The message with its ciphertext replaced by nil, and the ciphertext. */
  async function detached(): Promise<{ message: Uint8Array; ciphertext: Uint8Array }> {
    const attached = await createEncrypt(PLAINTEXT, { backend, recipients: [{ kek }] });
    const fields = (decodeCbor(attached) as CborTag).value as CborValue[];
    const ciphertext = fields[2] as Uint8Array;
    return { message: encodeCbor(new CborTag(96, [fields[0]!, fields[1]!, null, fields[3]!])), ciphertext };
  }

  it('decrypts with the ciphertext supplied as detachedCiphertext', async () => {
    const { message, ciphertext } = await detached();
    expect((await decryptEncrypt(message, { backend, recipient: { kek }, detachedCiphertext: ciphertext })).plaintext).toEqual(PLAINTEXT);
  });

  it('refuses a detached message without a ciphertext, and an attached one given a second ciphertext (ERR_COSE_MALFORMED)', async () => {
    const { message, ciphertext } = await detached();
    await expect(decryptEncrypt(message, { backend, recipient: { kek } })).rejects.toMatchObject({ code: 'ERR_COSE_MALFORMED' });
    const attached = await createEncrypt(PLAINTEXT, { backend, recipients: [{ kek }] });
    await expect(decryptEncrypt(attached, { backend, recipient: { kek }, detachedCiphertext: ciphertext })).rejects.toMatchObject({ code: 'ERR_COSE_MALFORMED' });
  });

  it('a flipped bit of the detached ciphertext fails authentication', async () => {
    const { message, ciphertext } = await detached();
    const tampered = ciphertext.slice();
    tampered[0]! ^= 1;
    await expect(decryptEncrypt(message, { backend, recipient: { kek }, detachedCiphertext: tampered })).rejects.toMatchObject({ code: 'ERR_DECRYPTION_FAILED' });
  });
});

describe('COSE_Encrypt properties [node]', () => {
  const backend = createNodeBackend();
  const k = backend.importKey('AES-KW', 'secret', backend.randomBytes(32));
  const x = backend.generateKey('X25519');
  const xPub = backend.publicKey(x);
  const p = backend.generateKey('ECDH-P256');
  const pPub = backend.publicKey(p);

  /** Bit index (MSB first) of the most significant bit of an X25519 ephemeral key's last byte. */
  function x25519HighBit(message: Uint8Array): number {
    const epk = (recipientsOf(message)[0]![1] as Map<CborValue, CborValue>).get(-1) as Map<CborValue, CborValue>;
    const xBytes = epk.get(-2) as Uint8Array;
    const at = Buffer.from(message).indexOf(Buffer.from(xBytes));
    expect(at).toBeGreaterThan(0);
    return (at + 31) * 8;
  }

  const singleRecipient: { name: string; spec: RecipientSpec; reader: RecipientKey; x25519: boolean }[] = [
    { name: 'A256KW', spec: { kek: k }, reader: { kek: k }, x25519: false },
    { name: 'ECDH-ES+A256KW X25519', spec: { publicKey: xPub }, reader: { privateKey: x }, x25519: true },
    { name: 'ECDH-ES+HKDF-256 X25519', spec: { publicKey: xPub, mode: 'direct' }, reader: { privateKey: x }, x25519: true },
    { name: 'ECDH-ES+A256KW P-256', spec: { publicKey: pPub }, reader: { privateKey: p }, x25519: false },
  ];

  for (const c of singleRecipient) {
    it(`every single-bit flip of a one-recipient ${c.name} message is rejected with a WardError${c.x25519 ? ', except the ephemeral key\'s masked bit 255 (RFC 7748 §5), which yields the same plaintext' : ''}`, async () => {
      const externalAad = utf8('aad');
      const message = await createEncrypt(PLAINTEXT, { backend, externalAad, recipients: [c.spec] });
      const sweep = await sweepBitFlips(message, (m) => decryptEncrypt(m, { backend, recipient: c.reader, externalAad }).then((d) => d.plaintext));
      expect(sweep.crashes).toEqual([]);
      /*
       * X25519 ignores bit 255 of a public key (RFC 7748 §5: "MUST mask the most significant
       * bit"), and COSE leaves the ephemeral key unauthenticated in the unprotected bucket, so
       * flipping that one bit gives the same shared secret and the same, still authentic,
       * plaintext: an alternative encoding, not a forgery.
       */
      const allowed = c.x25519 ? [x25519HighBit(message)] : [];
      expect(sweep.accepted.map((a) => a.bit)).toEqual(allowed);
      for (const a of sweep.accepted) expect(a.value).toEqual(PLAINTEXT);
    });
  }

  it('fast-check: a random bit flip of a random X25519 or key wrap message is rejected (bar the masked X25519 bit)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...singleRecipient), fc.constantFrom(...CONTENT), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 16 }), fc.nat(),
        async (c, content, plaintext, externalAad, seed) => {
          const message = await createEncrypt(plaintext, { backend, externalAad, contentAlgorithm: content.alg, recipients: [c.spec] });
          const bit = seed % (message.length * 8);
          const flipped = message.slice();
          flipped[bit >> 3]! ^= 0x80 >> (bit & 7);
          const outcome = await outcomeOf(() => decryptEncrypt(flipped, { backend, recipient: c.reader, externalAad }));
          if (c.x25519 && bit === x25519HighBit(message)) {
            expect(outcome.kind === 'value' ? toHex(outcome.value.plaintext) : describeOutcome(outcome)).toBe(toHex(plaintext));
          } else {
            expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('fast-check: arbitrary plaintext, AAD, content algorithm and recipient mix round trip for every reader', async () => {
    const readers: { spec: RecipientSpec; reader: RecipientKey }[] = singleRecipient.filter((c) => !('mode' in c.spec)).map((c) => ({ spec: c.spec, reader: c.reader }));
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 512 }), fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...CONTENT),
        fc.shuffledSubarray(readers, { minLength: 1 }),
        async (plaintext, externalAad, content, chosen) => {
          const message = await createEncrypt(plaintext, { backend, externalAad, contentAlgorithm: content.alg, recipients: chosen.map((r) => r.spec) });
          for (const { reader } of chosen) {
            const d = await decryptEncrypt(message, { backend, recipient: reader, externalAad });
            expect(d.plaintext).toEqual(plaintext);
            expect(d.alg).toBe(content.alg);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('fast-check: decryptEncrypt fed arbitrary bytes or COSE-like structures throws only WardErrors', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uint8Array({ maxLength: 200 }), coseLikeArbitrary().map((f) => encodeCbor(new CborTag(96, f)))),
        fc.constantFrom<RecipientKey>({ kek: k }, { privateKey: x }, { privateKey: p }),
        async (bytes, recipient) => {
          const outcome = await outcomeOf(() => decryptEncrypt(bytes, { backend, recipient, tagged: 'optional' }));
          expect(outcome.kind, describeOutcome(outcome)).toBe('ward');
          if (outcome.kind === 'ward') expect(WardError.isInstance(outcome.error)).toBe(true);
        },
      ),
      { numRuns: 800 },
    );
  });
});
