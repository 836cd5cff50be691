/**
 * The key lifecycle: keyset rotation and keyset save/load on the node and noble backends, and
 * re-wrapping a sealed envelope for a new recipient set at 256 B and 10 MiB: `rewrapEnvelope()` (one
 * buffer) and `rewrapEnvelopeInParts()` (the ciphertext not copied), side by side with what a user
 * would do without re-wrap (open, then seal again for the new readers), with the floor of any
 * re-wrap that keeps the producer's provenance verifiable (node:crypto alone: one Ed25519
 * verify and one sign over the header-sized Sig_structures, and the recipient key unwrap and
 * wraps), and with one alloc + copy of the ciphertext (what `rewrapEnvelope()` adds to
 * `rewrapEnvelopeInParts()`).
 */
import { equal, ok } from 'node:assert/strict';
import {
  createCipheriv, createDecipheriv, createHash, createHmac, createPublicKey, diffieHellman, generateKeyPairSync,
  sign as edSign, verify as edVerify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  Keyset, MemoryKeyStore, StoredKeyset, createNobleBackend, openEnvelope, rewrapEnvelope, rewrapEnvelopeInParts, sealEnvelope,
} from '@ward/core';
import { CoseAlgorithm, HeaderLabel } from '@ward/core/cose';
import { CborTag, decodeCbor, encodeCbor } from '@ward/core/cbor';
import { WardHeaderLabel } from '@ward/core/wire';
import type {
  AgreementPrivateKey, AgreementPublicKey, CborValue, CryptoBackend, KeysetPurpose, RecipientSpec, SigningKey, VerifyingKey,
} from '@ward/core';
import { createNodeBackend } from '@ward/node';
import { concatBytes } from '../../packages/core/src/bytes.js';
import type { BenchCase, Suite } from '../lib/types.js';

function fixedBytes(label: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0, counter = 0; offset < length; offset += 32, counter++) {
    out.set(createHash('sha256').update(`${label}/${counter}`).digest().subarray(0, length - offset), offset);
  }
  return out;
}

const CLAIMS = { issuer: 'cctv-12', subject: 'incidents/market', sequence: 1 };
const ATTRIBUTES = { classification: 'special-category', zone: 'market', purpose: ['emergency'] };

async function rotationCases(): Promise<BenchCase[]> {
  const backends: Record<string, CryptoBackend> = { node: createNodeBackend(), noble: createNobleBackend() };
  const cases: BenchCase[] = [];
  const rows: [string, KeysetPurpose][] = [
    ['rotate: signing keyset (Ed25519)', 'sign'],
    ['rotate: recipient keyset (X25519)', 'recipient'],
    ['rotate: shared keyset (AES-256-GCM)', 'shared'],
  ];
  for (const [name, purpose] of rows) {
    const ops: Record<string, () => unknown> = {};
    for (const [label, backend] of Object.entries(backends)) {
      const keyset = await Keyset.generate(backend, { purpose });
      /* Keep the keyset at a realistic size: destroy and forget the oldest key once there are eight. */
      ops[label] = async () => {
        await keyset.rotate();
        const keys = keyset.keys();
        if (keys.length > 8) {
          await keyset.destroy(keys[0]!.kid);
          keyset.forget(keys[0]!.kid);
        }
      };
    }
    cases.push({ name, ops });
  }
  const saveOps: Record<string, () => unknown> = {};
  for (const [label, backend] of Object.entries(backends)) {
    const keyset = await Keyset.generate(backend, { purpose: 'recipient' });
    for (let i = 0; i < 7; i++) await keyset.rotate();
    const store = new MemoryKeyStore(backend);
    saveOps[label] = async () => {
      await store.save('readers', keyset);
      await store.load('readers');
    };
  }
  cases.push({ name: 'save + load: recipient keyset of 8 keys (memory store)', ops: saveOps });
  /* The key for one seal: straight from the keyset, and through a StoredKeyset, which saves a
   * use reservation (65,536 by default) before handing out the uses it covers. */
  const plainOps: Record<string, () => unknown> = {};
  const storedOps: Record<string, () => unknown> = {};
  for (const [label, backend] of Object.entries(backends)) {
    const keyset = await Keyset.generate(backend, { purpose: 'shared' });
    plainOps[label] = () => keyset.sharedKey();
    const stored = await StoredKeyset.create(new MemoryKeyStore(backend), 'zone', await Keyset.generate(backend, { purpose: 'shared' }));
    storedOps[label] = () => stored.sharedKey();
  }
  cases.push({ name: 'shared key for one seal: Keyset.sharedKey()', ops: plainOps });
  cases.push({ name: 'shared key for one seal: StoredKeyset.sharedKey() (memory store)', ops: storedOps });
  return cases;
}

/** The `keys` suite: rotation and keyset persistence, node vs noble. */
export const keys: Suite = {
  name: 'keys',
  title: 'Key lifecycle: keyset rotation, save/load and handing out the sealing key (µs per operation)',
  baseline: 'node',
  async setup() {
    return {
      cases: await rotationCases(),
      notes: [
        'shared key for one seal: what sealEnvelope() is handed per envelope. StoredKeyset.sharedKey() checks that the primary is the stored one and within the saved use reservation, and saves a new reservation (65,536 uses, the default) when it runs out; in the memory store that save is amortised into the row, with a FileKeyStore each save is one atomic file write and fsync per 65,536 seals.',
      ],
    };
  },
};

/* ------------------------------------------------------------------------------------------ */
/* Re-wrap                                                                                     */

const te = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** Decoding and opening limit, with room for the 10 MiB case. */
const MAX_BYTES = 32 * 1024 * 1024;
/** The RFC 3394 default IV, which node's `id-aes256-wrap` takes explicitly. */
const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const SIGN1_TAG = 18;
const ENCRYPT_TAG = 96;

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function rawOkp(key: KeyObject, member: 'd' | 'x'): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: 'jwk' })[member]!, 'base64url'));
}

/** HKDF-SHA-256 without salt for one 32-byte block, on two HMACs (as the node backend derives a KEK). */
function hkdf32(ikm: Uint8Array, info: Uint8Array): Buffer {
  const prk = createHmac('sha256', Buffer.alloc(0)).update(ikm).digest();
  return createHmac('sha256', prk).update(info).update(Buffer.of(1)).digest();
}

function taggedArray(bytes: Uint8Array, tag: number): CborValue[] {
  const item = decodeCbor(bytes, { maxBytes: MAX_BYTES, byteStringViews: true });
  ok(item instanceof CborTag && item.tag === tag && Array.isArray(item.value), `a tagged (${tag}) CBOR array`);
  return item.value as CborValue[];
}

type CoseRecipient = [Uint8Array, Map<CborValue, CborValue>, Uint8Array];

/** A sealed multi-recipient envelope taken apart (views into it), its detached layout checked. */
interface SealedParts {
  /** The Sign1 protected bucket. */
  readonly protectedBytes: Uint8Array;
  /** The detached content ciphertext (ciphertext || tag), a view into the envelope. */
  readonly ciphertext: Uint8Array;
  /** The signed COSE_Encrypt's fields: protected, unprotected (IV, digest), nil, recipients. */
  readonly inner: readonly CborValue[];
  readonly recipients: readonly CoseRecipient[];
  readonly signature: Uint8Array;
  /** The Sig_structure (RFC 9052 §4.4) the signature is over: the signed COSE_Encrypt, no ciphertext. */
  readonly toBeSigned: Uint8Array;
}

function takeApart(envelope: Uint8Array): SealedParts {
  const [protectedBytes, unprotected, encrypt, signature] = taggedArray(envelope, SIGN1_TAG) as [Uint8Array, unknown, Uint8Array, Uint8Array];
  ok(unprotected instanceof Map && unprotected.size === 1, 'the Sign1 unprotected bucket holds the detached ciphertext alone');
  const ciphertext = unprotected.get(WardHeaderLabel.detachedCiphertext) as unknown;
  ok(ciphertext instanceof Uint8Array, 'a detached ciphertext');
  const inner = taggedArray(encrypt, ENCRYPT_TAG);
  equal(inner[2], null, 'the COSE_Encrypt ciphertext is detached (nil)');
  const digest = (inner[1] as Map<CborValue, CborValue>).get(WardHeaderLabel.ciphertextDigest) as [number, Uint8Array];
  ok(same(digest[1], createHash('sha256').update(ciphertext).digest()), 'the signed digest is SHA-256 of the ciphertext');
  return {
    protectedBytes, ciphertext, inner, recipients: inner[3] as CoseRecipient[], signature,
    toBeSigned: encodeCbor(['Signature1', protectedBytes, EMPTY, encrypt]),
  };
}

/** Sizes of the messages a case signs and copies, for the notes. */
interface RewrapFacts {
  readonly producerSigned: number;
  readonly authoritySigned: number;
  readonly ciphertext: number;
  /** The re-wrapped envelope, all parts joined. */
  readonly envelope: number;
}

/** An X25519 reader: node:crypto keys (for the floor) and the same keys on Ward's backend. */
async function reader(backend: CryptoBackend, kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const wardKid = te.encode(kid);
  return {
    kid: wardKid,
    privateKey,
    publicKey,
    spec: { publicKey: (await backend.importKey('X25519', 'public', rawOkp(publicKey, 'x'))) as AgreementPublicKey, kid: wardKid } satisfies RecipientSpec,
    key: { privateKey: (await backend.importKey('X25519', 'private', rawOkp(privateKey, 'd'))) as AgreementPrivateKey, kid: wardKid },
  };
}

async function rewrapCase(size: number, label: string): Promise<{ benchCase: BenchCase; facts: RewrapFacts }> {
  const backend = createNodeBackend();
  const payload = fixedBytes(`ward bench rewrap ${size}`, size);
  /* Keys made on node:crypto and imported into Ward's backend, so the floor uses the very same keys. */
  const producer = generateKeyPairSync('ed25519');
  const producerKey = (await backend.importKey('Ed25519', 'private', rawOkp(producer.privateKey, 'd'))) as SigningKey;
  const producerPublic = (await backend.publicKey(producerKey)) as VerifyingKey;
  const authorityPair = generateKeyPairSync('ed25519');
  const authorityKey = (await backend.importKey('Ed25519', 'private', rawOkp(authorityPair.privateKey, 'd'))) as SigningKey;
  const authorityPublic = (await backend.publicKey(authorityKey)) as VerifyingKey;
  /* The analysts' reader key is rotated; the archive (the authority) can open and stays a reader. */
  const analystsBefore = await reader(backend, 'analysts-1');
  const analystsAfter = await reader(backend, 'analysts-2');
  const archive = await reader(backend, 'archive-1');
  const envelope = await sealEnvelope(payload, {
    backend, signer: { key: producerKey, kid: te.encode('cctv-12') },
    recipients: [analystsBefore.spec, archive.spec], claims: CLAIMS, attributes: ATTRIBUTES,
  });
  const newRecipients: RecipientSpec[] = [analystsAfter.spec, archive.spec];
  const authority = { key: authorityKey, kid: te.encode('archive'), issuer: 'city-archive' };
  const options = {
    backend, trust: producerPublic, rewrapAuthorities: authorityPublic, recipient: archive.key, recipients: newRecipients, authority,
    maxBytes: MAX_BYTES,
  };
  const rewrapOne = () => rewrapEnvelope(envelope, options);
  const rewrapParts = () => rewrapEnvelopeInParts(envelope, options);
  /* Without re-wrap: open the payload, then seal it again for the new readers (signing as the authority). */
  const reseal = async () => {
    const { plaintext } = await openEnvelope(envelope, { backend, trust: producerPublic, recipient: archive.key, maxBytes: MAX_BYTES });
    return sealEnvelope(plaintext, { backend, signer: authority, recipients: newRecipients, claims: CLAIMS, attributes: ATTRIBUTES });
  };

  /* Check every implementation once before timing. Both re-wraps open to the payload for the new analysts key. */
  const before = takeApart(envelope);
  const rewrapped = await rewrapOne();
  const parts = await rewrapParts();
  equal(parts.length, 3, 'rewrapEnvelopeInParts: three parts');
  const middle = parts[1]!;
  ok(middle.buffer === envelope.buffer && middle.byteOffset === before.ciphertext.byteOffset && middle.length === before.ciphertext.length,
    'rewrapEnvelopeInParts: the middle part is a view of the input\'s ciphertext');
  for (const copy of [rewrapped, new Uint8Array(Buffer.concat(parts))]) {
    const opened = await openEnvelope(copy, {
      backend, trust: producerPublic, rewrapAuthorities: authorityPublic, recipient: analystsAfter.key, maxBytes: MAX_BYTES,
    });
    ok(same(opened.plaintext, payload), 're-wrapped envelope opens to the payload');
  }
  ok((await reseal()).length > size);

  /*
   * The floor, on node:crypto with the same keys and the actual bytes: verify the producer's
   * signature over its Sig_structure, unwrap the CEK from the archive's recipient (X25519 +
   * HKDF + AES-KW), wrap it for each new reader (X25519 keygen + X25519 + HKDF + AES-KW), sign
   * the authority's Sig_structure. Checked to reproduce the producer's signature check, the
   * content key and the authority's signature (Ed25519 is deterministic).
   */
  const after = takeApart(rewrapped);
  const [recipientProtected] = before.recipients[0]!;
  for (const [protectedBytes] of [...before.recipients, ...after.recipients]) {
    ok(same(protectedBytes, recipientProtected), 'every recipient has the same protected bucket');
  }
  equal((decodeCbor(recipientProtected) as Map<CborValue, CborValue>).get(HeaderLabel.alg), CoseAlgorithm.ECDH_ES_A256KW);
  /* COSE_KDF_Context (RFC 9053 §5.2), as Ward builds it for ECDH-ES+A256KW. */
  const kdfInfo = encodeCbor([CoseAlgorithm.A256KW, [null, null, null], [null, null, null], [256, recipientProtected]]);
  const own = before.recipients.find(([, header]) => same(header.get(HeaderLabel.kid) as Uint8Array, archive.kid));
  ok(own !== undefined, 'the archive is a recipient');
  const ephemeralX = (own[1].get(HeaderLabel.ephemeralKey) as Map<CborValue, CborValue>).get(-2) as Uint8Array;
  const ownEphemeral = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(ephemeralX).toString('base64url') }, format: 'jwk' });
  const ownWrapped = own[2];
  const newReaders = [analystsAfter.publicKey, archive.publicKey];
  const unwrapCek = (): Buffer => {
    const unwrap = createDecipheriv('id-aes256-wrap', hkdf32(diffieHellman({ privateKey: archive.privateKey, publicKey: ownEphemeral }), kdfInfo), AES_KW_IV);
    const cek = unwrap.update(ownWrapped);
    unwrap.final();
    return cek;
  };
  const floor = () => {
    if (!edVerify(null, before.toBeSigned, producer.publicKey, before.signature)) throw new Error('floor: producer signature');
    const cek = unwrapCek();
    for (const publicKey of newReaders) {
      const ephemeral = generateKeyPairSync('x25519');
      const wrap = createCipheriv('id-aes256-wrap', hkdf32(diffieHellman({ privateKey: ephemeral.privateKey, publicKey }), kdfInfo), AES_KW_IV);
      wrap.update(cek);
      wrap.final();
    }
    return edSign(null, after.toBeSigned, authorityPair.privateKey);
  };
  ok(edVerify(null, before.toBeSigned, producer.publicKey, before.signature), 'floor: verifies the producer\'s signature');
  ok(same(floor(), after.signature), 'floor: makes the authority\'s signature');
  /* The floor's CEK decrypts the ciphertext (inner AAD: SPEC.md §AAD binding, the producer's protected bucket). */
  const innerProtected = before.inner[0] as Uint8Array;
  equal((decodeCbor(innerProtected) as Map<CborValue, CborValue>).get(HeaderLabel.alg), CoseAlgorithm.A256GCM);
  const decipher = createDecipheriv('aes-256-gcm', unwrapCek(), (before.inner[1] as Map<CborValue, CborValue>).get(HeaderLabel.iv) as Uint8Array);
  decipher.setAAD(encodeCbor(['Encrypt', innerProtected, encodeCbor(['Ward sealed v1', before.protectedBytes])]));
  decipher.setAuthTag(before.ciphertext.subarray(before.ciphertext.length - 16));
  const plaintext = Buffer.concat([decipher.update(before.ciphertext.subarray(0, before.ciphertext.length - 16)), decipher.final()]);
  ok(same(plaintext, payload), 'floor: unwraps the content key');

  /* What rewrapEnvelope() adds to rewrapEnvelopeInParts(): joining the parts into one new buffer, as rewrapEnvelope()
     does, i.e. one allocation and copy of the ciphertext (and of the small head and tail). */
  const length = parts.reduce((total, part) => total + part.length, 0);
  const copy = () => concatBytes(parts);

  return {
    benchCase: {
      name: `re-wrap for new readers, ${label} payload`,
      bytes: size,
      ops: { 'rewrapEnvelope()': rewrapOne, 'rewrapEnvelopeInParts()': rewrapParts, 'open + re-seal': reseal, floor, 'ciphertext copy': copy },
    },
    facts: { producerSigned: before.toBeSigned.length, authoritySigned: after.toBeSigned.length, ciphertext: middle.length, envelope: length },
  };
}

const bytes = (count: number) => `${count.toLocaleString('en-US')} B`;

/** "N B" when both cases agree, else "N B at 256 B, M B at 10 MiB". */
function perCase(small: number, large: number): string {
  return small === large ? bytes(small) : `${bytes(small)} at 256 B, ${bytes(large)} at 10 MiB`;
}

/** The `rewrap` suite: re-wrap cost at 256 B and 10 MiB, against re-encrypting, the floor and one ciphertext copy. */
export const rewrapSuite: Suite = {
  name: 'rewrap',
  title: 'Re-wrap a sealed envelope for a new recipient set (node backend, µs per envelope)',
  baseline: 'rewrapEnvelope()',
  ratios: [['rewrapEnvelope()', 'floor'], ['rewrapEnvelopeInParts()', 'floor']],
  figures: ['µs/op', 'spread'],
  async setup() {
    const small = await rewrapCase(256, '256 B');
    const large = await rewrapCase(10 * 1024 * 1024, '10 MiB');
    const producerSigned = perCase(small.facts.producerSigned, large.facts.producerSigned);
    const authoritySigned = perCase(small.facts.authoritySigned, large.facts.authoritySigned);
    return {
      cases: [small.benchCase, large.benchCase],
      notes: [
        're-wrap never decrypts, re-encrypts or hashes the payload and makes no new content key: the ciphertext travels ' +
          'detached beside the signed COSE_Encrypt, which holds its SHA-256 digest, so both signatures (the producer\'s, ' +
          `verified; the authority's, made) are over header-sized messages (${producerSigned} and ${authoritySigned}) at any payload size.`,
        'rewrapEnvelopeInParts() returns the envelope as three parts, the middle one a view of the input\'s ciphertext: it costs ' +
          'the same at 256 B and 10 MiB. rewrapEnvelope() joins the parts into one buffer: it adds one allocation and copy of ' +
          'the ciphertext, timed alone in the ciphertext copy column.',
        'ciphertext copy = what rewrapEnvelope() adds to rewrapEnvelopeInParts(), alone: joining a rewrapEnvelopeInParts() result made in setup ' +
          `into one new buffer (new Uint8Array(${bytes(small.facts.envelope)} / ${bytes(large.facts.envelope)}) + set() of ` +
          `the 3 parts, the middle one the ciphertext, payload + 16-byte GCM tag: ${bytes(small.facts.ciphertext)} / ` +
          `${bytes(large.facts.ciphertext)}). Inside rewrapEnvelope() the fresh 10 MiB buffer tends to cost more than in this ` +
          'tight loop (more page faults on new memory, more garbage collection of external memory), so rewrapEnvelope() − ' +
          'rewrapEnvelopeInParts() can exceed this column.',
        'floor = the unavoidable work of a constant-cost re-wrap, on node:crypto with the same keys (KeyObjects made in ' +
          `setup) and the actual bytes: Ed25519 verify of the producer's signature over its Sig_structure (${producerSigned}) + ` +
          'the authority\'s own recipient (X25519 + HKDF-SHA-256 + AES-KW unwrap) + per new reader, 2 here (X25519 keygen + ' +
          'X25519 + HKDF-SHA-256 + AES-KW wrap) + Ed25519 sign over the authority\'s Sig_structure ' +
          `(${authoritySigned}; setup checks it reproduces the re-wrapped envelope's signature). Not in the floor though ` +
          're-wrap needs them: decoding and checking the envelope, the key commitment check (one HKDF), exporting the ' +
          'ephemeral public keys, the 16-byte re-wrap id, encoding the new COSE_Encrypt and header.',
        'open + re-seal = what a user does without re-wrap: check the ciphertext digest and decrypt the payload, then seal ' +
          'it again (new content key, new AEAD pass and digest over the payload).',
      ],
    };
  },
};
