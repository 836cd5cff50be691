/**
 * Sealed envelopes end to end, for one 256-byte sensor reading: Ward's `seal`/`open`/`verify`
 * (on the node and the noble backend) against the nearest equivalents in jose 6 (a JWS nested
 * in a JWE) and in the AWS Encryption SDK for JavaScript, and against the floor: the same
 * native primitives called straight on `node:crypto`, with nothing around them.
 *
 * Every implementation carries the same provenance and access attributes (Ward: its signed
 * CBOR header; jose: the JWS protected header, so they are signed too; the AWS SDK: the
 * encryption context, authenticated but not signed by the producer), and draws a fresh
 * timestamp and 16-byte id per message. Keys are imported once in setup; only the calls a
 * producer or reader makes per message are timed. Every implementation's output is opened
 * once in setup and compared with the payload before anything is timed.
 */
import { deepEqual, equal, ok } from 'node:assert/strict';
import {
  createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, diffieHellman,
  generateKeyPairSync, randomFillSync, sign as edSign, verify as edVerify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier, buildClient,
} from '@aws-crypto/client-node';
import { createNobleBackend, openEnvelope, sealEnvelope, verifyEnvelope } from '@ward/core';
import { CoseAlgorithm, HeaderLabel, decodeProtectedHeader, encodeProtectedHeader } from '@ward/core/cose';
import { CborTag, decodeCbor, encodeCbor } from '@ward/core/cbor';
import { WardHeaderLabel } from '@ward/core/wire';
import type {
  AccessAttributes, AeadKey, AgreementPrivateKey, AgreementPublicKey, CborValue, CryptoBackend, HeaderMap, ProvenanceInput,
  RecipientSpec, SigningKey, VerifyingKey,
} from '@ward/core';
import { createNodeBackend } from '@ward/node';
import { CompactEncrypt, CompactSign, GeneralEncrypt, compactDecrypt, compactVerify, generalDecrypt } from 'jose';
import type { GeneralJWE } from 'jose';
import type { BenchCase, Op, Suite, SuiteSetup, SuiteTable } from '../lib/types.js';

const MISSING = '—';
const te = new TextEncoder();

/* ------------------------------------------------------------------------------------------ */
/* Inputs                                                                                      */

/** `length` bytes that look random and are the same on every run (SHA-256 in counter mode). */
function fixedBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0, counter = 0; offset < length; offset += 32, counter++) {
    out.set(createHash('sha256').update(`${label}/${counter}`).digest().subarray(0, length - offset), offset);
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** The reading: 256 fixed random bytes (random, so nothing compresses it). */
const PAYLOAD = fixedBytes('ward bench sensor reading', 256);
/** Recipients in the many-recipient cases; the reader who opens is the last one. */
const MANY = 10;

/* The metadata of SPEC.md §8's examples: what a city air-quality monitor states about a reading. */
const SIGNER_KID = 'aq-monitor-3';
const SHARED_KID = 'harbour-shared';
const readerKid = (index: number) => `reader-${String(index + 1).padStart(2, '0')}`;
const CLAIMS: ProvenanceInput = { issuer: 'aq-monitor-3', subject: 'air-quality/harbour', sequence: 7 };
const ATTRIBUTES: AccessAttributes = {
  classification: 'internal', zone: 'harbour', purpose: ['air-quality'], owner: 'environment-dept', retention: 31_536_000,
};

/** The key material every implementation shares, so they all do the same work. */
interface Material {
  /** Ed25519 producer key. */
  readonly signing: { readonly privateKey: KeyObject; readonly publicKey: KeyObject; readonly seed: Uint8Array };
  /** AES-256 shared content key (Ward, jose `dir`) and wrapping key (AWS SDK keyring). */
  readonly shared: { readonly key: KeyObject; readonly raw: Uint8Array };
  /** X25519 reader keys. */
  readonly readers: readonly { readonly privateKey: KeyObject; readonly publicKey: KeyObject; readonly raw: Uint8Array; readonly rawPublic: Uint8Array }[];
}

function rawOkp(key: KeyObject, member: 'd' | 'x'): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: 'jwk' })[member]!, 'base64url'));
}

function createMaterial(): Material {
  const ed = generateKeyPairSync('ed25519');
  const aes = fixedBytes('ward bench shared key', 32);
  const readers = Array.from({ length: MANY }, () => {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    return { privateKey, publicKey, raw: rawOkp(privateKey, 'd'), rawPublic: rawOkp(publicKey, 'x') };
  });
  return {
    signing: { privateKey: ed.privateKey, publicKey: ed.publicKey, seed: rawOkp(ed.privateKey, 'd') },
    shared: { key: createSecretKey(aes), raw: aes },
    readers,
  };
}

/* ------------------------------------------------------------------------------------------ */
/* The rows                                                                                    */

const ROW = {
  seal0: 'sealed Encrypt0 seal',
  open0: 'sealed Encrypt0 open',
  verify0: 'sealed Encrypt0 verify',
  seal1: '1-recipient seal',
  open1: '1-recipient open',
  sealN: `${MANY}-recipient seal`,
  openN: `${MANY}-recipient open (last)`,
} as const;
type RowName = (typeof ROW)[keyof typeof ROW];

/** The three message shapes, for the size table. */
const SHAPE = {
  encrypt0: 'sealed Encrypt0 (shared key)',
  one: '1 X25519 recipient',
  many: `${MANY} X25519 recipients`,
} as const;
type ShapeName = (typeof SHAPE)[keyof typeof SHAPE];

/** What one implementation contributes: timed ops per row and message sizes per shape. */
interface Contender {
  readonly name: string;
  readonly ops: Partial<Record<RowName, Op>>;
  readonly sizes: Partial<Record<ShapeName, number>>;
}

/* ------------------------------------------------------------------------------------------ */
/* Ward                                                                                        */

async function ward(name: string, backend: CryptoBackend, material: Material): Promise<Contender & { readonly samples: Record<ShapeName, Uint8Array> }> {
  const signingKey = (await backend.importKey('Ed25519', 'private', material.signing.seed)) as SigningKey;
  const trust = (await backend.publicKey(signingKey)) as VerifyingKey;
  const signer = { key: signingKey, kid: te.encode(SIGNER_KID) };
  const sharedKey = (await backend.importKey('AES-GCM', 'secret', material.shared.raw)) as AeadKey;
  const shared = { key: sharedKey, kid: te.encode(SHARED_KID) };
  const readers = await Promise.all(material.readers.map(async (reader, index) => {
    const kid = te.encode(readerKid(index));
    const privateKey = (await backend.importKey('X25519', 'private', reader.raw)) as AgreementPrivateKey;
    const publicKey = (await backend.importKey('X25519', 'public', reader.rawPublic)) as AgreementPublicKey;
    return { spec: { publicKey, kid } satisfies RecipientSpec, key: { privateKey, kid } };
  }));
  const one = readers.slice(0, 1).map((reader) => reader.spec);
  const many = readers.map((reader) => reader.spec);
  const last = readers[MANY - 1]!.key;
  const base = { backend, signer, claims: CLAIMS, attributes: ATTRIBUTES };

  const seal0 = () => sealEnvelope(PAYLOAD, { ...base, key: shared });
  const seal1 = () => sealEnvelope(PAYLOAD, { ...base, recipients: one });
  const sealN = () => sealEnvelope(PAYLOAD, { ...base, recipients: many });
  const envelope0 = await seal0();
  const envelope1 = await seal1();
  const envelopeN = await sealN();

  /* Correctness guard: each envelope verifies and opens to the payload, and the first reader of
     the many-recipient envelope can open it too. */
  const facts = await verifyEnvelope(envelope0, { backend, trust });
  equal(facts.provenance.issuer, CLAIMS.issuer);
  deepEqual(facts.attributes.purpose, ATTRIBUTES.purpose);
  ok(same((await openEnvelope(envelope0, { backend, trust, key: sharedKey })).plaintext, PAYLOAD), `${name}: Encrypt0 round trip`);
  ok(same((await openEnvelope(envelope1, { backend, trust, recipient: readers[0]!.key })).plaintext, PAYLOAD), `${name}: 1-recipient round trip`);
  ok(same((await openEnvelope(envelopeN, { backend, trust, recipient: last })).plaintext, PAYLOAD), `${name}: ${MANY}-recipient round trip`);
  ok(same((await openEnvelope(envelopeN, { backend, trust, recipient: readers[0]!.key })).plaintext, PAYLOAD), `${name}: first reader`);

  return {
    name,
    ops: {
      [ROW.seal0]: seal0,
      [ROW.open0]: () => openEnvelope(envelope0, { backend, trust, key: sharedKey }),
      [ROW.verify0]: () => verifyEnvelope(envelope0, { backend, trust }),
      [ROW.seal1]: seal1,
      [ROW.open1]: () => openEnvelope(envelope1, { backend, trust, recipient: readers[0]!.key }),
      [ROW.sealN]: sealN,
      [ROW.openN]: () => openEnvelope(envelopeN, { backend, trust, recipient: last }),
    },
    sizes: { [SHAPE.encrypt0]: envelope0.length, [SHAPE.one]: envelope1.length, [SHAPE.many]: envelopeN.length },
    samples: { [SHAPE.encrypt0]: envelope0, [SHAPE.one]: envelope1, [SHAPE.many]: envelopeN },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* jose 6: a JWS (EdDSA, compact) nested in a JWE                                              */

async function jose(material: Material): Promise<Contender> {
  const { privateKey: signingKey, publicKey: trust } = material.signing;
  const cek = material.shared.key;
  const readers = material.readers.map((reader, index) => ({ ...reader, kid: readerKid(index) }));
  const last = readers[MANY - 1]!;

  /* The same facts Ward signs, in the signed JWS header; fresh iat and jti per message. */
  const sign = () => new CompactSign(PAYLOAD)
    .setProtectedHeader({
      alg: 'EdDSA', kid: SIGNER_KID, iss: CLAIMS.issuer, sub: CLAIMS.subject, iat: Math.floor(Date.now() / 1000),
      jti: b64url(randomFillSync(new Uint8Array(16))), seq: CLAIMS.sequence, attrs: ATTRIBUTES,
    })
    .sign(signingKey);
  /* Decrypt, then verify the nested JWS and return its payload. */
  const verified = async (jws: Uint8Array) => (await compactVerify(jws, trust, { algorithms: ['EdDSA'] })).payload;

  const seal0 = async () => new CompactEncrypt(te.encode(await sign()))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: SHARED_KID, cty: 'JOSE' })
    .encrypt(cek);
  const open0 = async (jwe: string) => verified((await compactDecrypt(jwe, cek)).plaintext);
  const seal1 = async () => new CompactEncrypt(te.encode(await sign()))
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: readers[0]!.kid, cty: 'JOSE' })
    .encrypt(readers[0]!.publicKey);
  const open1 = async (jwe: string) => verified((await compactDecrypt(jwe, readers[0]!.privateKey)).plaintext);
  /* General JSON serialization: the wire form is the JSON text, so seal stringifies and open parses. */
  const sealN = async () => {
    const jwe = new GeneralEncrypt(te.encode(await sign())).setProtectedHeader({ enc: 'A256GCM', cty: 'JOSE' });
    for (const reader of readers) jwe.addRecipient(reader.publicKey).setUnprotectedHeader({ alg: 'ECDH-ES+A256KW', kid: reader.kid });
    return JSON.stringify(await jwe.encrypt());
  };
  /* jose tries recipients in order; a key resolver that refuses other kids skips them cheaply. */
  const openN = async (text: string, reader = last) => verified((await generalDecrypt(JSON.parse(text) as GeneralJWE, (_, jwe) => {
    if (jwe.header?.kid !== reader.kid) throw new Error('not this reader');
    return reader.privateKey;
  })).plaintext);

  const jwe0 = await seal0();
  const jwe1 = await seal1();
  const jweN = await sealN();
  ok(same(await open0(jwe0), PAYLOAD), 'jose: dir round trip');
  ok(same(await open1(jwe1), PAYLOAD), 'jose: ECDH-ES+A256KW round trip');
  ok(same(await openN(jweN), PAYLOAD), `jose: ${MANY}-recipient round trip`);
  ok(same(await openN(jweN, readers[0]!), PAYLOAD), 'jose: first reader');

  return {
    name: 'jose',
    ops: {
      [ROW.seal0]: seal0,
      [ROW.open0]: () => open0(jwe0),
      [ROW.seal1]: seal1,
      [ROW.open1]: () => open1(jwe1),
      [ROW.sealN]: sealN,
      [ROW.openN]: () => openN(jweN),
    },
    sizes: { [SHAPE.encrypt0]: jwe0.length, [SHAPE.one]: jwe1.length, [SHAPE.many]: Buffer.byteLength(jweN) },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* AWS Encryption SDK: raw AES keyring                                                         */

async function awsEsdk(material: Material, suiteId: AlgorithmSuiteIdentifier, name: string): Promise<Contender> {
  const client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyNamespace: 'ward-bench',
    keyName: SHARED_KID,
    unencryptedMasterKey: material.shared.raw.slice(),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  /* The same facts, as the encryption context (string to string). */
  const context = () => ({
    iss: CLAIMS.issuer, sub: CLAIMS.subject, iat: String(Math.floor(Date.now() / 1000)),
    jti: b64url(randomFillSync(new Uint8Array(16))), seq: String(CLAIMS.sequence), classification: ATTRIBUTES.classification,
    zone: ATTRIBUTES.zone!, purpose: ATTRIBUTES.purpose!.join(','), owner: ATTRIBUTES.owner!, retention: String(ATTRIBUTES.retention),
  });
  const encrypt = async () => (await client.encrypt(keyring, PAYLOAD, { suiteId, encryptionContext: context() })).result;
  const decrypt = async (message: Uint8Array) => (await client.decrypt(keyring, message)).plaintext;

  const message = await encrypt();
  ok(same(await decrypt(message), PAYLOAD), `${name}: round trip`);
  return {
    name,
    ops: { [ROW.seal0]: encrypt, [ROW.open0]: () => decrypt(message) },
    sizes: { [SHAPE.encrypt0]: message.length },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* The floor: the native primitives alone                                                      */

const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const TAG_LENGTH = 16;
const SIGNATURE_LENGTH = 64;
const X25519_LENGTH = 32;
const WRAPPED_LENGTH = 40;
const DIGEST_LENGTH = 32;

/**
 * HKDF-SHA-256 on two HMACs, for one 32-byte block: node's fastest way (`hkdfSync` costs about
 * three times as much for short outputs; Ward's node backend does the same).
 */
function hkdf32(ikm: Uint8Array, info: Uint8Array): Buffer {
  const prk = createHmac('sha256', Buffer.alloc(0)).update(ikm).digest();
  return createHmac('sha256', prk).update(info).update(Buffer.of(1)).digest();
}

/** The sizes Ward's envelopes give the signed and the authenticated data, so the floor does equal work. */
interface WardShapes {
  /**
   * Length of the Sig_structure the producer signs: with the ciphertext for the sealed
   * Encrypt0; with only its SHA-256 digest for multi-recipient envelopes (detached ciphertext).
   */
  readonly toBeSigned: Record<ShapeName, number>;
  /** Length of the Enc_structure the content AEAD authenticates. */
  readonly aad: Record<ShapeName, number>;
  /** Length of the COSE_KDF_Context of an ECDH-ES+A256KW recipient. */
  readonly kdfContext: number;
}

/** A floor message: just the bytes a seal must produce, no framing. */
interface FloorMessage {
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  /**
   * The bytes signed: a fixed header-sized prefix, then the ciphertext and tag (Encrypt0), or
   * ending with the SHA-256 of the ciphertext, which stays outside (recipients, as Ward's
   * detached ciphertext).
   */
  readonly toBeSigned: Uint8Array;
  readonly signature: Uint8Array;
  /** Per recipient: the ephemeral public key (parsed, as the brief's floor has no import) and the wrapped CEK. */
  readonly recipients: readonly { readonly ephemeral: KeyObject; readonly ephemeralRaw: number; readonly wrapped: Uint8Array }[];
}

/** AES-256-GCM of the payload, written (ciphertext || tag) at the end of `out`; returns that part of `out`. */
function gcmEncrypt(key: KeyObject | Uint8Array, iv: Uint8Array, aad: Uint8Array, out: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const body = cipher.update(PAYLOAD);
  cipher.final();
  const offset = out.length - body.length - TAG_LENGTH;
  out.set(body, offset);
  out.set(cipher.getAuthTag(), offset + body.length);
  return out.subarray(offset);
}

/** Where the floor's recipient Sig_structure holds the ciphertext digest (the last 32 bytes). */
function digestSlot(toBeSigned: Uint8Array): Uint8Array {
  return toBeSigned.subarray(toBeSigned.length - DIGEST_LENGTH);
}

function gcmDecrypt(key: KeyObject | Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_LENGTH));
  decipher.setAAD(aad);
  const plaintext = decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_LENGTH));
  decipher.final();
  return plaintext;
}

function floor(material: Material, shapes: WardShapes): Contender {
  const { privateKey: signingKey, publicKey: trust } = material.signing;
  const sharedKey = material.shared.key;
  const kdfInfo = fixedBytes('floor kdf context', shapes.kdfContext);
  const aad = (shape: ShapeName) => fixedBytes(`floor aad ${shape}`, shapes.aad[shape]);
  const buffer = (shape: ShapeName) => fixedBytes(`floor sig_structure ${shape}`, shapes.toBeSigned[shape]);

  /* Sealed Encrypt0: 12 random bytes + AES-256-GCM(256 B) + Ed25519 sign. The signature covers
     the ciphertext: it is written where the Sig_structure holds it. */
  const aad0 = aad(SHAPE.encrypt0);
  const tbs0 = buffer(SHAPE.encrypt0);
  const seal0 = (): FloorMessage => {
    const iv = randomFillSync(new Uint8Array(12));
    const ciphertext = gcmEncrypt(sharedKey, iv, aad0, tbs0);
    return { iv, ciphertext, toBeSigned: tbs0, signature: edSign(null, tbs0, signingKey), recipients: [] };
  };
  const verify0 = (message: FloorMessage) => edVerify(null, message.toBeSigned, trust, message.signature);
  const open0 = (message: FloorMessage) => {
    if (!verify0(message)) throw new Error('floor: bad signature');
    return gcmDecrypt(sharedKey, message.iv, aad0, message.ciphertext);
  };

  /* ECDH-ES+A256KW: per recipient X25519 keygen + X25519 + HKDF + AES-KW; then AES-GCM, SHA-256
     of the ciphertext and Ed25519 over a Sig_structure that holds the digest, as Ward's
     detached-ciphertext envelopes (SPEC.md §Detached ciphertext) sign. */
  const recipientSeal = (shape: ShapeName, readers: readonly KeyObject[]) => {
    const contentAad = aad(shape);
    const tbs = buffer(shape);
    return (): FloorMessage => {
      /* CEK and IV in one draw. */
      const random = randomFillSync(new Uint8Array(44));
      const cek = random.subarray(0, 32);
      const iv = random.subarray(32);
      const recipients = readers.map((reader) => {
        const ephemeral = generateKeyPairSync('x25519');
        const kek = hkdf32(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: reader }), kdfInfo);
        const wrap = createCipheriv('id-aes256-wrap', kek, AES_KW_IV);
        const wrapped = wrap.update(cek);
        wrap.final();
        return { ephemeral: ephemeral.publicKey, ephemeralRaw: X25519_LENGTH, wrapped };
      });
      const ciphertext = gcmEncrypt(cek, iv, contentAad, new Uint8Array(PAYLOAD.length + TAG_LENGTH));
      digestSlot(tbs).set(createHash('sha256').update(ciphertext).digest());
      return { iv, ciphertext, toBeSigned: tbs, signature: edSign(null, tbs, signingKey), recipients };
    };
  };
  /* SHA-256 check + verify + X25519 + HKDF + AES-KW unwrap + AES-GCM decrypt, for the reader's own recipient. */
  const recipientOpen = (shape: ShapeName, reader: KeyObject, index: number) => {
    const contentAad = aad(shape);
    return (message: FloorMessage) => {
      if (!same(createHash('sha256').update(message.ciphertext).digest(), digestSlot(message.toBeSigned))) throw new Error('floor: bad digest');
      if (!edVerify(null, message.toBeSigned, trust, message.signature)) throw new Error('floor: bad signature');
      const recipient = message.recipients[index]!;
      const kek = hkdf32(diffieHellman({ privateKey: reader, publicKey: recipient.ephemeral }), kdfInfo);
      const unwrap = createDecipheriv('id-aes256-wrap', kek, AES_KW_IV);
      const cek = unwrap.update(recipient.wrapped);
      unwrap.final();
      return gcmDecrypt(cek, message.iv, contentAad, message.ciphertext);
    };
  };
  const publicKeys = material.readers.map((reader) => reader.publicKey);
  const seal1 = recipientSeal(SHAPE.one, publicKeys.slice(0, 1));
  const open1 = recipientOpen(SHAPE.one, material.readers[0]!.privateKey, 0);
  const sealN = recipientSeal(SHAPE.many, publicKeys);
  const openN = recipientOpen(SHAPE.many, material.readers[MANY - 1]!.privateKey, MANY - 1);

  /* Each op's output is a fresh message whose Sig_structure (and, for Encrypt0, ciphertext) lives
     in a buffer shared by every seal, so the timed opens get copies. */
  const copy = (message: FloorMessage): FloorMessage => ({
    ...message, toBeSigned: message.toBeSigned.slice(), ciphertext: message.ciphertext.slice(),
  });
  const message0 = copy(seal0());
  const message1 = copy(seal1());
  const messageN = copy(sealN());
  ok(same(open0(message0), PAYLOAD), 'floor: Encrypt0 round trip');
  ok(same(open1(message1), PAYLOAD), 'floor: 1-recipient round trip');
  ok(same(openN(messageN), PAYLOAD), `floor: ${MANY}-recipient round trip`);
  ok(same(recipientOpen(SHAPE.many, material.readers[0]!.privateKey, 0)(messageN), PAYLOAD), 'floor: first reader');

  const size = (message: FloorMessage) => message.iv.length + message.ciphertext.length + message.signature.length
    + message.recipients.reduce((total, recipient) => total + recipient.ephemeralRaw + recipient.wrapped.length, 0);
  equal(size(message0), PAYLOAD.length + 12 + TAG_LENGTH + SIGNATURE_LENGTH);
  equal(size(message1), size(message0) + X25519_LENGTH + WRAPPED_LENGTH);
  return {
    name: 'floor',
    ops: {
      [ROW.seal0]: seal0,
      [ROW.open0]: () => open0(message0),
      [ROW.verify0]: () => verify0(message0),
      [ROW.seal1]: seal1,
      [ROW.open1]: () => open1(message1),
      [ROW.sealN]: sealN,
      [ROW.openN]: () => openN(messageN),
    },
    sizes: { [SHAPE.encrypt0]: size(message0), [SHAPE.one]: size(message1), [SHAPE.many]: size(messageN) },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Ward's envelopes, taken apart: the floor's input sizes and the overhead breakdown           */

const EMPTY = new Uint8Array(0);

function sign1Fields(envelope: Uint8Array): CborValue[] {
  const outer = decodeCbor(envelope);
  ok(outer instanceof CborTag && outer.tag === 18 && Array.isArray(outer.value), 'a tagged COSE_Sign1');
  return outer.value as CborValue[];
}

function innerOf(envelope: Uint8Array): { tag: number; fields: CborValue[] } {
  const inner = decodeCbor(sign1Fields(envelope)[2] as Uint8Array);
  ok(inner instanceof CborTag && Array.isArray(inner.value), 'a tagged COSE_Encrypt0 or COSE_Encrypt');
  return { tag: Number(inner.tag), fields: inner.value as CborValue[] };
}

/**
 * The Sig_structure and Enc_structure lengths of one Ward envelope (RFC 9052 §4.4, §5.3; SPEC.md
 * §AAD binding). A multi-recipient envelope's ciphertext is detached (SPEC.md §Detached
 * ciphertext): it sits in the Sign1's unprotected bucket, outside the signed COSE_Encrypt.
 */
function structureLengths(envelope: Uint8Array): { toBeSigned: number; aad: number } {
  const [protectedBytes, unprotected, inner] = sign1Fields(envelope) as [Uint8Array, Map<CborValue, CborValue>, Uint8Array];
  const { tag, fields } = innerOf(envelope);
  const ciphertextLength = PAYLOAD.length + TAG_LENGTH;
  if (tag === 16) {
    equal(unprotected.size, 0, 'sealed Encrypt0: empty Sign1 unprotected bucket');
    equal((fields[2] as Uint8Array).length, ciphertextLength, 'sealed Encrypt0: attached ciphertext');
  } else {
    equal(fields[2], null, 'COSE_Encrypt: detached (nil) ciphertext');
    equal((unprotected.get(WardHeaderLabel.detachedCiphertext) as Uint8Array).length, ciphertextLength, 'COSE_Encrypt: ciphertext in the Sign1 unprotected bucket');
  }
  const externalAad = encodeCbor(['Ward sealed v1', protectedBytes]);
  return {
    toBeSigned: encodeCbor(['Signature1', protectedBytes, EMPTY, inner]).length,
    aad: encodeCbor([tag === 16 ? 'Encrypt0' : 'Encrypt', fields[0]!, externalAad]).length,
  };
}

function wardShapes(samples: Record<ShapeName, Uint8Array>): WardShapes {
  const lengths = Object.fromEntries(Object.entries(samples).map(([shape, envelope]) => [shape, structureLengths(envelope)]));
  const pick = (field: 'toBeSigned' | 'aad') =>
    Object.fromEntries(Object.entries(lengths).map(([shape, value]) => [shape, value[field]])) as Record<ShapeName, number>;
  /* SPEC.md §5 / RFC 9053 §5.2: [alg, [nil,nil,nil], [nil,nil,nil], [256, << {1: -31} >>]] */
  const recipientProtected = encodeProtectedHeader(new Map([[HeaderLabel.alg, CoseAlgorithm.ECDH_ES_A256KW]]) as HeaderMap);
  const kdfContext = encodeCbor([CoseAlgorithm.A256KW, [null, null, null], [null, null, null], [256, recipientProtected]]).length;
  return { toBeSigned: pick('toBeSigned'), aad: pick('aad'), kdfContext };
}

/**
 * Ward's sealed Encrypt0 overhead, item by item: the envelope is re-encoded with the
 * attributes removed, then also the claims, then also both kids; each difference is what that
 * item costs on the wire (its value, its label and any length prefix it lengthens).
 */
function encrypt0Breakdown(envelope: Uint8Array): { readonly item: string; readonly bytes: number }[] {
  const [protectedBytes, unprotected, , signature] = sign1Fields(envelope) as [Uint8Array, CborValue, Uint8Array, Uint8Array];
  const { fields: innerFields } = innerOf(envelope);
  const [innerProtected, innerUnprotected, ciphertext] = innerFields as [Uint8Array, CborValue, Uint8Array];
  const iv = (innerUnprotected as Map<CborValue, CborValue>).get(HeaderLabel.iv) as Uint8Array;

  const rebuilt = (drop: readonly (number | string)[], dropInnerKid: boolean) => {
    const header = decodeProtectedHeader(protectedBytes);
    for (const label of drop) header.delete(label);
    const innerHeader = decodeProtectedHeader(innerProtected);
    if (dropInnerKid) innerHeader.delete(HeaderLabel.kid);
    const inner = encodeCbor(new CborTag(16, [encodeProtectedHeader(innerHeader), innerUnprotected, ciphertext]));
    return encodeCbor(new CborTag(18, [encodeProtectedHeader(header), unprotected, inner, signature])).length;
  };
  equal(rebuilt([], false), envelope.length, 'the envelope re-encodes to itself');
  const noAttributes = rebuilt([WardHeaderLabel.attributes], false);
  const noMetadata = rebuilt([WardHeaderLabel.attributes, HeaderLabel.cwtClaims], false);
  const bare = rebuilt([WardHeaderLabel.attributes, HeaderLabel.cwtClaims, HeaderLabel.kid], true);
  const crypto = signature.length + TAG_LENGTH + iv.length;
  return [
    { item: 'Ed25519 signature', bytes: signature.length },
    { item: 'AES-GCM tag', bytes: TAG_LENGTH },
    { item: 'IV', bytes: iv.length },
    { item: `kids: signer "${SIGNER_KID}", content key "${SHARED_KID}"`, bytes: noMetadata - bare },
    { item: 'provenance claims (iss, sub, iat, 16-byte cti, seq)', bytes: noAttributes - noMetadata },
    { item: 'access attributes (classification, zone, purpose, owner, retention)', bytes: envelope.length - noAttributes },
    { item: 'COSE/CBOR framing (tags, arrays, alg, content type, bstr wrappers, IV label)', bytes: bare - PAYLOAD.length - crypto },
    { item: 'total overhead', bytes: envelope.length - PAYLOAD.length },
    { item: 'overhead without claims and attributes', bytes: noMetadata - PAYLOAD.length },
    { item: 'overhead without claims, attributes and kids', bytes: bare - PAYLOAD.length },
  ];
}

/* ------------------------------------------------------------------------------------------ */
/* Tables                                                                                      */

function sizeTable(contenders: readonly Contender[]): SuiteTable {
  const shapes = Object.values(SHAPE);
  const header = ['message', ...contenders.flatMap((c) => [`${c.name} bytes`, `${c.name} overhead`])];
  const rows = shapes.map((shape) => [
    shape,
    ...contenders.flatMap((c) => {
      const total = c.sizes[shape];
      return total === undefined ? [MISSING, MISSING] : [total.toLocaleString('en-US'), `+${(total - PAYLOAD.length).toLocaleString('en-US')}`];
    }),
  ]);
  const data = Object.fromEntries(shapes.map((shape) => [shape, Object.fromEntries(contenders.flatMap((c) => {
    const total = c.sizes[shape];
    return total === undefined ? [] : [[c.name, { bytes: total, overhead: total - PAYLOAD.length }]];
  }))]));
  return {
    title: `bytes on the wire for a ${PAYLOAD.length}-byte payload (overhead = total − ${PAYLOAD.length})`,
    header,
    rows,
    notes: [
      'Ward: the encoded envelope (tagged COSE_Sign1). jose: the compact JWE text (one recipient) or the JSON of the ' +
        'general JWE (many), each holding the base64url compact JWS, so the payload is base64url-encoded twice. ' +
        'AWS SDK: the binary message (framed, 4 KiB frames), whose signing suite carries its ephemeral P-384 ' +
        'public key in the encryption context and a DER signature at the end.',
      'Every implementation carries the same provenance (issuer, subject, iat, 16-byte id, sequence) and access ' +
        'attributes: Ward in its signed CBOR header, jose in the signed JWS header (encrypted with it), the AWS SDK in ' +
        'the encryption context (plaintext, authenticated; signed only by an ephemeral key in the signing suite).',
      'floor: the bare cryptographic material, with no framing, key ids or metadata: IV (12) + GCM tag (16) + Ed25519 ' +
        'signature (64), and per recipient an X25519 ephemeral key (32) and a wrapped CEK (40). Ward\'s recipient ' +
        'envelopes also carry the signed SHA-256 digest of their detached ciphertext (32 bytes and its label), which ' +
        'the floor signs but does not send (its reader recomputes it).',
    ],
    data,
  };
}

function breakdownTable(breakdown: readonly { readonly item: string; readonly bytes: number }[]): SuiteTable {
  return {
    title: 'Ward sealed Encrypt0 overhead, item by item (from the actual envelope, re-encoded without each item)',
    header: ['item', 'bytes'],
    rows: breakdown.map(({ item, bytes }) => [item, String(bytes)]),
    notes: ['Metadata as in SPEC.md §8.1; an item\'s bytes include its label and any length prefix its removal shortens.'],
    data: breakdown,
  };
}

/* ------------------------------------------------------------------------------------------ */

const IMPLEMENTATIONS = ['ward-node', 'ward-noble', 'jose', 'aws-esdk-signing', 'aws-esdk-nosign', 'floor'] as const;

/** Ward (node baseline, noble) vs jose vs the AWS Encryption SDK vs the native floor. */
export const envelope: Suite = {
  name: 'envelope',
  title: `seal / open / verify of a ${PAYLOAD.length}-byte reading: Ward vs jose 6 (JWS in JWE) vs AWS Encryption SDK vs the node:crypto floor`,
  baseline: 'ward-node',
  ratios: [['ward-node', 'floor']],
  figures: ['µs/op', 'spread'],
  async setup(): Promise<SuiteSetup> {
    const material = createMaterial();
    const wardNode = await ward('ward-node', createNodeBackend(), material);
    const wardNoble = await ward('ward-noble', createNobleBackend(), material);
    const contenders: Contender[] = [
      wardNode,
      wardNoble,
      await jose(material),
      await awsEsdk(material, AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, 'aws-esdk-signing'),
      await awsEsdk(material, AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY, 'aws-esdk-nosign'),
      floor(material, wardShapes(wardNode.samples)),
    ];
    deepEqual(contenders.map((c) => c.name), [...IMPLEMENTATIONS]);
    for (const shape of Object.values(SHAPE)) equal(wardNoble.sizes[shape], wardNode.sizes[shape], `ward sizes agree: ${shape}`);

    const cases: BenchCase[] = Object.values(ROW).map((row) => ({
      name: row,
      ops: Object.fromEntries(contenders.flatMap((c) => (c.ops[row] === undefined ? [] : [[c.name, c.ops[row]]]))),
    }));
    return {
      cases,
      notes: [
        'jose has no verify row: its signature is inside the JWE, so checking it needs the decryption key; Ward ' +
          'verifies provenance and attributes with the producer\'s public key alone. The AWS SDK has no producer ' +
          'signature at all (the signing suite signs with a per-message ephemeral key, which proves integrity, not ' +
          'origin) and only the shared-key rows: its raw AES keyring wraps the data key under a shared 256-bit key.',
        `jose: ${MANY} recipients use GeneralEncrypt / generalDecrypt (JSON text on the wire, stringified in seal and ` +
          'parsed in open), with a key resolver that skips other kids, as Ward skips recipients by kid.',
        'floor: the native primitives on node:crypto with KeyObjects imported in setup, over inputs of the sizes Ward ' +
          'uses. Encrypt0 seal = 12 random bytes + AES-256-GCM(256 B) + Ed25519 sign(Sig_structure); open = Ed25519 ' +
          'verify + AES-GCM decrypt; verify = Ed25519 verify. ECDH-ES seal = 44 random bytes (CEK + IV) + per recipient ' +
          '(X25519 keygen + X25519 + HKDF-SHA-256 + AES-KW wrap) + AES-GCM + SHA-256 of the ciphertext + Ed25519 sign ' +
          'over a Sig_structure that holds that digest, not the ciphertext (as Ward\'s multi-recipient envelopes, whose ' +
          'ciphertext travels detached); open = SHA-256 check + verify + X25519 + HKDF + AES-KW unwrap + AES-GCM decrypt. Not in the floor though any real format needs them: encoding the ' +
          'ephemeral public key, parsing it on open, the 16-byte message id, and Ward\'s key commitment (one more HKDF).',
      ],
      tables: [sizeTable(contenders), breakdownTable(encrypt0Breakdown(wardNode.samples[SHAPE.encrypt0]))],
    };
  },
};
