/*
 * The invisible-salamanders attack (Dodis, Grubbs, Ristenpart, Woodage, CRYPTO 2018; Len,
 * Grubbs, Ristenpart, USENIX Security 2021) against Ward's multi-recipient sealed envelope.
 *
 * AES-GCM is not key-committing. Its tag is T = E_K(J0) ⊕ GHASH_H(AAD, C) with H = E_K(0^128),
 * and GHASH is a polynomial in H over GF(2^128) whose coefficients are the AAD and ciphertext
 * blocks. A sender who knows two keys K1 and K2 fixes every ciphertext block but one, then
 * solves one linear equation for that free block so that the tags under K1 and K2 coincide:
 * one ciphertext C, one nonce, one AAD, two keys, two plaintexts.
 *
 * Here a malicious producer (holding a valid, trusted signing key) wraps K1 for reader A and
 * K2 for reader B in one COSE_Encrypt, binds it to a correct Ward Sign1 header exactly as
 * sealEnvelope() builds it, and signs. Plain COSE lets A and B read different data under one
 * signature; Ward's signed key commitment (SPEC.md §Key commitment) refuses the reader whose
 * CEK is not the committed one, before any decryption.
 *
 * This is attack code in a test: the AES block function comes from node:crypto (ECB on single
 * blocks) and the GF(2^128) arithmetic is written out below. It runs on both backends.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { EnvelopeError, WardError, createNobleBackend, openEnvelope, verifyEnvelope } from '@ward/core';
import { CoseAlgorithm, CoseTag, HeaderLabel, decryptEncrypt, encodeProtectedHeader } from '@ward/core/cose';
import { CborTag, encodeCbor } from '@ward/core/cbor';
import { isPromise } from '@ward/core/backend-kit';
import { WardHeaderLabel, ContentFormat } from '@ward/core/wire';
import type {
  AgreementPrivateKey, CborValue, CryptoBackend, HeaderMap, RecipientKey, RecipientSpec, SigningKey, VerifyingKey, WrappingKey,
} from '@ward/core';
import { createNodeBackend } from '@ward/node';
import { errorChain, spying } from '../../core/test-kit/spying.js';
/* The producer side of the profile, exactly as sealEnvelope() uses it (internal to @ward/core). */
import { commitToContentKey } from '../../core/src/envelope/commitment.js';
import { encodeAttributes, encodeClaims } from '../../core/src/profile/claims.js';
import { sealExternalAad } from '../../core/src/envelope/seal.js';
import { signEncodedSign1, signatureAlgorithmOf } from '../../core/src/cose/sign1.js';
import { buildRecipient } from '../../core/src/cose/encrypt.js';

/* ------------------------------------------------------------------------------------------ */
/* GF(2^128) in GCM's bit order (NIST SP 800-38D §6.3): bit 0 of a block is its MSB            */
/* ------------------------------------------------------------------------------------------ */

const MASK128 = (1n << 128n) - 1n;
/** x^128 = x^7 + x^2 + x + 1, reflected: 11100001 || 0^120. */
const R = 0xe1n << 120n;

function toBig(block: Uint8Array): bigint {
  let v = 0n;
  for (const byte of block) v = (v << 8n) | BigInt(byte);
  return v;
}
function toBlock(v: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
/** Algorithm 1 of SP 800-38D: X • Y. */
function gfMul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z & MASK128;
}
function gfPow(x: bigint, e: bigint): bigint {
  let result = 1n << 127n; // the field's 1 (the polynomial "1" is the leftmost bit)
  let base = x;
  while (e > 0n) {
    if (e & 1n) result = gfMul(result, base);
    base = gfMul(base, base);
    e >>= 1n;
  }
  return result;
}
/** Inverse by Fermat: x^(2^128 − 2). */
function gfInv(x: bigint): bigint {
  if (x === 0n) throw new Error('0 has no inverse');
  return gfPow(x, (1n << 128n) - 2n);
}

/** Blocks of `bytes`, the last one zero-padded (GHASH's padding). */
function blocksOf(bytes: Uint8Array): bigint[] {
  const blocks: bigint[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const block = new Uint8Array(16);
    block.set(bytes.subarray(i, i + 16));
    blocks.push(toBig(block));
  }
  return blocks;
}
/** GHASH_H(A, C) = Σ X_i · H^(n−i+1) over the padded AAD, ciphertext and length blocks (Horner). */
function ghash(h: bigint, aad: Uint8Array, ciphertext: Uint8Array): bigint {
  const lengths = (BigInt(aad.length * 8) << 64n) | BigInt(ciphertext.length * 8);
  let y = 0n;
  for (const block of [...blocksOf(aad), ...blocksOf(ciphertext), lengths]) y = gfMul(y ^ block, h);
  return y;
}

/* ------------------------------------------------------------------------------------------ */
/* AES-256-GCM pieces for one key: H, E_K(J0), the CTR keystream                              */
/* ------------------------------------------------------------------------------------------ */

function aesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
}
function counterBlock(nonce: Uint8Array, counter: number): Uint8Array {
  const block = new Uint8Array(16);
  block.set(nonce);
  new DataView(block.buffer).setUint32(12, counter);
  return block;
}
interface GcmKeyParts {
  readonly h: bigint;
  readonly ej0: bigint;
  /** Keystream block i (0-based) = E_K(nonce ‖ (i + 2)): J0 has counter 1. */
  keystream(i: number): Uint8Array;
}
function gcmParts(key: Uint8Array, nonce: Uint8Array): GcmKeyParts {
  return {
    h: toBig(aesBlock(key, new Uint8Array(16))),
    ej0: toBig(aesBlock(key, counterBlock(nonce, 1))),
    keystream: (i) => aesBlock(key, counterBlock(nonce, i + 2)),
  };
}
function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  return a.map((x, i) => x ^ b[i]!);
}

/**
 * One AES-256-GCM ciphertext‖tag that authenticates under both keys with `nonce` and `aad`.
 * Block layout (16-byte blocks): `underK1` is what K1 decrypts blocks 0..k−1 to, `underK2`
 * what K2 decrypts the next blocks to, and one final free block makes the tags equal:
 *
 *   T_K(C) = E_K(J0) ⊕ G_K ⊕ x · H_K^2,  with G_K = GHASH_{H_K} with the free block zeroed
 *   T_K1 = T_K2  ⇔  x = (E_K1(J0) ⊕ G_K1 ⊕ E_K2(J0) ⊕ G_K2) · (H_K1^2 ⊕ H_K2^2)^−1
 *
 * (the last ciphertext block is multiplied by H^2: only the length block follows it).
 */
function multiKeyCollision(
  k1: Uint8Array, k2: Uint8Array, nonce: Uint8Array, aad: Uint8Array, underK1: Uint8Array, underK2: Uint8Array,
): Uint8Array {
  expect(underK1.length % 16).toBe(0);
  expect(underK2.length % 16).toBe(0);
  const g1 = gcmParts(k1, nonce);
  const g2 = gcmParts(k2, nonce);
  const n1 = underK1.length / 16;
  const n2 = underK2.length / 16;
  const ciphertext = new Uint8Array((n1 + n2 + 1) * 16);
  for (let i = 0; i < n1; i++) ciphertext.set(xor(underK1.subarray(16 * i, 16 * i + 16), g1.keystream(i)), 16 * i);
  for (let i = 0; i < n2; i++) ciphertext.set(xor(underK2.subarray(16 * i, 16 * i + 16), g2.keystream(n1 + i)), 16 * (n1 + i));
  // the free block is still zero here
  const t1 = g1.ej0 ^ ghash(g1.h, aad, ciphertext);
  const t2 = g2.ej0 ^ ghash(g2.h, aad, ciphertext);
  const x = gfMul(t1 ^ t2, gfInv(gfMul(g1.h, g1.h) ^ gfMul(g2.h, g2.h)));
  ciphertext.set(toBlock(x), 16 * (n1 + n2));
  const tag = t1 ^ gfMul(x, gfMul(g1.h, g1.h));
  expect(tag).toBe(t2 ^ gfMul(x, gfMul(g2.h, g2.h)));
  const out = new Uint8Array(ciphertext.length + 16);
  out.set(ciphertext);
  out.set(toBlock(tag), ciphertext.length);
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Fixtures                                                                                   */
/* ------------------------------------------------------------------------------------------ */

const te = new TextEncoder();
const td = new TextDecoder();
/** 32 bytes of text, space-padded. */
function text32(s: string): Uint8Array {
  expect(s.length).toBeLessThanOrEqual(32);
  return te.encode(s.padEnd(32, ' '));
}
/** What reader A is meant to see (bytes 0..31 of its plaintext) and what B sees (bytes 32..63). */
const FOR_A = text32('{"door":"4","command":"LOCK"}');
const FOR_B = text32('{"door":"4","command":"UNLOCK"}');

const KID_PRODUCER = te.encode('rogue-gateway-key');
const KID_A = te.encode('reader-a');
const KID_B = te.encode('reader-b');

type BackendName = 'noble' | 'node';
const BACKENDS: Record<BackendName, CryptoBackend> = { noble: createNobleBackend(), node: createNodeBackend() };



interface World {
  readonly backend: CryptoBackend;
  readonly producer: SigningKey;
  readonly trust: VerifyingKey;
  /** Reader A: a 256-bit KEK (A256KW). */
  readonly kekA: WrappingKey;
  /** Reader B: an X25519 key (ECDH-ES + A256KW). */
  readonly privateB: AgreementPrivateKey;
  readonly recipientA: RecipientSpec;
  readonly recipientB: RecipientSpec;
  readonly readerA: RecipientKey;
  readonly readerB: RecipientKey;
}

async function world(backend: CryptoBackend): Promise<World> {
  const producer = await backend.generateKey('Ed25519');
  const kekA = await backend.generateKey('AES-KW');
  const privateB = await backend.generateKey('X25519');
  return {
    backend,
    producer,
    trust: await backend.publicKey(producer),
    kekA,
    privateB,
    recipientA: { kek: kekA, kid: KID_A },
    recipientB: { publicKey: await backend.publicKey(privateB), kid: KID_B },
    readerA: { kek: kekA, kid: KID_A },
    readerB: { privateKey: privateB, kid: KID_B },
  };
}

/** The one COSE_recipient Ward's own encoder builds carrying `cek` for `spec`. */
async function recipientCarrying(backend: CryptoBackend, spec: RecipientSpec, cek: Uint8Array, contentAlgorithm: number): Promise<CborValue> {
  return (await buildRecipient(backend, spec, cek, contentAlgorithm, cek.length)).structure;
}

interface Forged {
  /** The signed envelope. */
  readonly envelope: Uint8Array;
  /** Its inner COSE_Encrypt (ciphertext detached) and the external AAD it is bound to (for reading it as plain COSE). */
  readonly inner: Uint8Array;
  readonly externalAad: Uint8Array;
  /** The raw content ciphertext‖tag, nonce and AAD (for checking the collision with the bare AEAD). */
  readonly ciphertext: Uint8Array;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
}

/**
 * The malicious producer: a Ward envelope whose Sign1 protected header is exactly what sealEnvelope()
 * signs (CWT claims, attributes, content type COSE_Encrypt, a commitment to `committed`, alg,
 * kid), whose inner COSE_Encrypt is bound to it by the seal external AAD, but whose content
 * is the multi-key collision and whose recipients carry K1 (for A) and K2 (for B).
 */
async function forgeSalamander(
  w: World, k1: Uint8Array, k2: Uint8Array, committed: Uint8Array, content: (nonce: Uint8Array, aad: Uint8Array) => Uint8Array,
  contentAlgorithm: number = CoseAlgorithm.A256GCM,
): Promise<Forged> {
  const { backend } = w;
  const sign1Header: HeaderMap = new Map();
  sign1Header.set(HeaderLabel.cwtClaims, encodeClaims(
    { issuer: 'door-controller-4', subject: 'doors/building-7', sequence: 7 }, 1_760_000_000, te.encode('salamander-00001'),
  ));
  sign1Header.set(WardHeaderLabel.attributes, encodeAttributes({ classification: 'internal', zone: 'building-7', purpose: ['access-control'] }));
  sign1Header.set(HeaderLabel.contentType, ContentFormat.encrypt);
  sign1Header.set(WardHeaderLabel.keyCommitment, await commitToContentKey(backend, committed));
  sign1Header.set(HeaderLabel.alg, signatureAlgorithmOf(w.producer));
  sign1Header.set(HeaderLabel.kid, KID_PRODUCER);
  const sign1Protected = encodeProtectedHeader(sign1Header);

  const externalAad = sealExternalAad(sign1Protected);
  const contentProtected = encodeProtectedHeader(new Map([[HeaderLabel.alg, contentAlgorithm]]));
  const aad = encodeCbor(['Encrypt', contentProtected, externalAad]);
  const nonce = new Uint8Array(randomBytes(12));
  const ciphertext = content(nonce, aad);

  /* Laid out as sealEnvelope() does (SPEC.md §Detached ciphertext): the signed COSE_Encrypt holds the ciphertext's digest. */
  const digest: CborValue = [-16, await backend.sha256(ciphertext)];
  const inner = encodeCbor(new CborTag(CoseTag.Encrypt, [
    contentProtected,
    new Map<CborValue, CborValue>([[HeaderLabel.iv, nonce], [WardHeaderLabel.ciphertextDigest, digest]]),
    null,
    [
      await recipientCarrying(backend, w.recipientA, k1, contentAlgorithm),
      await recipientCarrying(backend, w.recipientB, k2, contentAlgorithm),
    ],
  ]));
  const envelope = await signEncodedSign1(inner, sign1Protected, new Map([[WardHeaderLabel.detachedCiphertext, ciphertext]]), { backend, key: w.producer });
  return { envelope, inner, externalAad, ciphertext, nonce, aad };
}

/* ------------------------------------------------------------------------------------------ */
/* The attack                                                                                 */
/* ------------------------------------------------------------------------------------------ */

describe.each(['noble', 'node'] as const)('invisible salamanders vs. the sealed envelope (%s backend)', (name) => {
  const backend = BACKENDS[name];
  const k1 = new Uint8Array(randomBytes(32));
  const k2 = new Uint8Array(randomBytes(32));
  const collide = (nonce: Uint8Array, aad: Uint8Array): Uint8Array => multiKeyCollision(k1, k2, nonce, aad, FOR_A, FOR_B);

  test('salamander: one AES-256-GCM ciphertext, nonce and AAD authenticates under two keys to two plaintexts', async () => {
    const nonce = new Uint8Array(randomBytes(12));
    const aad = te.encode('any associated data, of any length: 41 b.');
    const ciphertext = collide(nonce, aad);
    const key1 = await backend.importKey('AES-GCM', 'secret', k1);
    const key2 = await backend.importKey('AES-GCM', 'secret', k2);
    const p1 = await backend.aeadDecrypt(key1, { nonce, ciphertext, aad });
    const p2 = await backend.aeadDecrypt(key2, { nonce, ciphertext, aad });
    expect(p1).not.toEqual(p2);
    expect(p1.subarray(0, 32)).toEqual(FOR_A);
    expect(p2.subarray(32, 64)).toEqual(FOR_B);
    // a third key does not authenticate it: the collision is specific to K1 and K2
    const key3 = await backend.importKey('AES-GCM', 'secret', new Uint8Array(randomBytes(32)));
    await expect(Promise.resolve().then(() => backend.aeadDecrypt(key3, { nonce, ciphertext, aad }))).rejects.toMatchObject({ code: 'ERR_DECRYPTION_FAILED' });
  });

  test('salamander envelope: its signature and profile verify — verifyEnvelope() alone cannot see the attack', async () => {
    const w = await world(backend);
    const forged = await forgeSalamander(w, k1, k2, k1, collide);
    // the collision holds under the exact Enc_structure AAD the envelope binds
    const p1 = await backend.aeadDecrypt(await backend.importKey('AES-GCM', 'secret', k1), forged);
    const p2 = await backend.aeadDecrypt(await backend.importKey('AES-GCM', 'secret', k2), forged);
    expect(p1.subarray(0, 32)).toEqual(FOR_A);
    expect(p2.subarray(32, 64)).toEqual(FOR_B);
    const facts = await verifyEnvelope(forged.envelope, { backend, trust: w.trust });
    expect(facts.encryption).toBe('encrypt');
    expect(facts.signer.kid).toEqual(KID_PRODUCER);
    expect(facts.provenance.issuer).toBe('door-controller-4');
  });

  test('(a) salamander on plain COSE: without the commitment check, A reads P1 and B reads P2 from the same signed bytes', async () => {
    const w = await world(backend);
    const forged = await forgeSalamander(w, k1, k2, k1, collide);
    const common = { backend, externalAad: forged.externalAad, detachedCiphertext: forged.ciphertext };
    const a = await decryptEncrypt(forged.inner, { ...common, recipient: w.readerA });
    const b = await decryptEncrypt(forged.inner, { ...common, recipient: w.readerB });
    expect(a.plaintext).not.toEqual(b.plaintext);
    expect(td.decode(a.plaintext.subarray(0, 32)).trim()).toBe('{"door":"4","command":"LOCK"}');
    expect(td.decode(b.plaintext.subarray(32, 64)).trim()).toBe('{"door":"4","command":"UNLOCK"}');
  });

  test('(b) salamander vs. openEnvelope(): A (holding the committed K1) reads P1; B (handed K2) is refused before any decryption', async () => {
    const w = await world(backend);
    const forged = await forgeSalamander(w, k1, k2, k1, collide);

    const opened = await openEnvelope(forged.envelope, { backend, trust: w.trust, recipient: w.readerA });
    expect(opened.plaintext.subarray(0, 32)).toEqual(FOR_A);
    expect(opened.facts.signer.kid).toEqual(KID_PRODUCER);

    const spy = spying(backend);
    let plaintextForB: Uint8Array | undefined;
    const error = await openEnvelope(forged.envelope, { backend: spy.backend, trust: w.trust, recipient: w.readerB })
      .then((result) => { plaintextForB = result.plaintext; }, (e: unknown) => e);
    expect(plaintextForB).toBeUndefined();
    expect(EnvelopeError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_ENVELOPE_INVALID', message: 'envelope refused' });
    const chain = errorChain(error);
    const mismatch = chain.find((e) => WardError.isInstance(e) && /signed commitment/.test(e.message));
    expect(mismatch).toMatchObject({ code: 'ERR_COSE_INVALID_HEADER', message: 'content key does not match the signed commitment' });
    // B's CEK was recovered (ECDH + unwrap) and committed to, but the content was never decrypted
    expect(spy.calls).toContain('deriveSharedSecret');
    expect(spy.calls).toContain('unwrapKey');
    expect(spy.calls).not.toContain('aeadDecrypt');
  });

  test('(c) salamander with the commitment to K2: B reads P2 and A is refused', async () => {
    const w = await world(backend);
    const forged = await forgeSalamander(w, k1, k2, k2, collide);
    const opened = await openEnvelope(forged.envelope, { backend, trust: w.trust, recipient: w.readerB });
    expect(opened.plaintext.subarray(32, 64)).toEqual(FOR_B);
    const error = await openEnvelope(forged.envelope, { backend, trust: w.trust, recipient: w.readerA }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_ENVELOPE_INVALID' });
    expect(errorChain(error).some((e) => WardError.isInstance(e) && e.message === 'content key does not match the signed commitment')).toBe(true);
  });

  test('salamander cannot be re-pointed: a commitment to a third key refuses both A and B', async () => {
    const w = await world(backend);
    const forged = await forgeSalamander(w, k1, k2, new Uint8Array(randomBytes(32)), collide);
    for (const recipient of [w.readerA, w.readerB]) {
      await expect(openEnvelope(forged.envelope, { backend, trust: w.trust, recipient })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_INVALID' });
    }
  });

  test.each([
    ['A256GCM', CoseAlgorithm.A256GCM, 'AES-GCM'],
    ['ChaCha20/Poly1305', CoseAlgorithm.ChaCha20Poly1305, 'ChaCha20-Poly1305'],
  ] as const)('split CEKs under %s: a sender who wraps another CEK for B gets B refused, whatever the content algorithm', async (_, alg, aead) => {
    // Not a collision: the content authenticates only under K1. B's CEK mismatch is caught by
    // the commitment before B's AEAD would fail on its own.
    const w = await world(backend);
    const contentKey = await backend.importKey(aead, 'secret', k1);
    const forged = await forgeSalamander(w, k1, k2, k1, (nonce, aad) => {
      const sealed = backend.aeadEncrypt(contentKey, { nonce, aad, plaintext: FOR_A });
      if (isPromise(sealed)) throw new Error('both backends are synchronous');
      return sealed;
    }, alg);
    expect((await openEnvelope(forged.envelope, { backend, trust: w.trust, recipient: w.readerA })).plaintext).toEqual(FOR_A);
    const spy = spying(backend);
    await expect(openEnvelope(forged.envelope, { backend: spy.backend, trust: w.trust, recipient: w.readerB })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_INVALID' });
    expect(spy.calls).not.toContain('aeadDecrypt');
  });
});

/*
 * The shared-key form (COSE_Encrypt0) carries no commitment (SPEC.md: "with one shared key
 * carries no key commitment"): every reader is meant to hold the same key. The collision
 * still works if two readers hold DIFFERENT shared keys that the producer both knows and each
 * opens with a fixed key (KeySource given as a key, which ignores the message's kid). A
 * reader that resolves its key by kid is not fooled: the kid is authenticated and names one key.
 */
describe.each(['noble', 'node'] as const)('salamanders vs. the shared-key envelope (%s backend)', (name) => {
  const backend = BACKENDS[name];
  const k1 = new Uint8Array(randomBytes(32));
  const k2 = new Uint8Array(randomBytes(32));
  const KID_1 = te.encode('group-1-key');
  const KID_2 = te.encode('group-2-key');

  async function forgeShared(): Promise<{ envelope: Uint8Array; trust: VerifyingKey }> {
    const producer = await backend.generateKey('Ed25519');
    const sign1Header: HeaderMap = new Map();
    sign1Header.set(HeaderLabel.cwtClaims, encodeClaims({ issuer: 'door-controller-4', subject: 'doors/building-7', sequence: 8 }, 1_760_000_000, te.encode('salamander-00002')));
    sign1Header.set(WardHeaderLabel.attributes, encodeAttributes({ classification: 'internal' }));
    sign1Header.set(HeaderLabel.contentType, ContentFormat.encrypt0);
    sign1Header.set(HeaderLabel.alg, signatureAlgorithmOf(producer));
    sign1Header.set(HeaderLabel.kid, KID_PRODUCER);
    const sign1Protected = encodeProtectedHeader(sign1Header);
    const contentProtected = encodeProtectedHeader(new Map<number, CborValue>([[HeaderLabel.alg, CoseAlgorithm.A256GCM], [HeaderLabel.kid, KID_1]]));
    const aad = encodeCbor(['Encrypt0', contentProtected, sealExternalAad(sign1Protected)]);
    const nonce = new Uint8Array(randomBytes(12));
    const inner = encodeCbor(new CborTag(CoseTag.Encrypt0, [
      contentProtected, new Map([[HeaderLabel.iv, nonce]]), multiKeyCollision(k1, k2, nonce, aad, FOR_A, FOR_B),
    ]));
    return { envelope: await signEncodedSign1(inner, sign1Protected, new Map(), { backend, key: producer }), trust: await backend.publicKey(producer) };
  }

  test('known limitation: salamander on a shared-key envelope fools readers that open with fixed keys of different groups', async () => {
    const { envelope, trust } = await forgeShared();
    const a = await openEnvelope(envelope, { backend, trust, key: await backend.importKey('AES-GCM', 'secret', k1) });
    const b = await openEnvelope(envelope, { backend, trust, key: await backend.importKey('AES-GCM', 'secret', k2) });
    expect(a.plaintext.subarray(0, 32)).toEqual(FOR_A);
    expect(b.plaintext.subarray(32, 64)).toEqual(FOR_B);
  });

  test('salamander on a shared-key envelope: a reader that resolves its key by kid is refused', async () => {
    const { envelope, trust } = await forgeShared();
    const groupTwo = new Map([[Buffer.from(KID_2).toString('hex'), await backend.importKey('AES-GCM', 'secret', k2)]]);
    await expect(openEnvelope(envelope, {
      backend, trust, key: ({ kid }) => (kid === undefined ? undefined : groupTwo.get(Buffer.from(kid).toString('hex'))),
    })).rejects.toMatchObject({ code: 'ERR_ENVELOPE_INVALID' });
  });
});
