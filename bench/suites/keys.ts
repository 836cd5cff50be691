/**
 * The key lifecycle: keyset rotation and keyset save/load on the node and noble backends, and
 * re-wrapping a sealed envelope for a new recipient set at 256 B and 10 MiB, side by side with
 * what a user would do without re-wrap (open, then seal again for the new readers) and with
 * the floor of any re-wrap that keeps the producer's provenance verifiable: checking one
 * Ed25519 signature over the envelope and making another (node:crypto, nothing else).
 */
import { equal, ok } from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as edSign, verify as edVerify } from 'node:crypto';
import { Keyset, MemoryKeyStore, createNobleBackend, open, rewrap, seal } from '@ward/core';
import type { CryptoBackend, KeysetPurpose, RecipientSpec } from '@ward/core';
import { createNodeBackend } from '@ward/node';
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
  return cases;
}

/** The `keys` suite: rotation and keyset persistence, node vs noble. */
export const keys: Suite = {
  name: 'keys',
  title: 'Key lifecycle: keyset rotation and save/load (µs per operation)',
  baseline: 'node',
  async setup() {
    return rotationCases();
  },
};

async function rewrapCase(size: number, label: string): Promise<BenchCase> {
  const backend = createNodeBackend();
  const payload = fixedBytes(`ward bench rewrap ${size}`, size);
  const producerKey = await backend.generateKey('Ed25519');
  const producerPublic = await backend.publicKey(producerKey);
  const authorityKey = await backend.generateKey('Ed25519');
  const authorityPublic = await backend.publicKey(authorityKey);
  const analysts = await Keyset.generate(backend, { purpose: 'recipient' });
  const archive = await Keyset.generate(backend, { purpose: 'recipient' });
  const envelope = await seal(payload, {
    backend, signer: { key: producerKey, kid: new TextEncoder().encode('cctv-12') },
    recipients: [await analysts.recipient(), await archive.recipient()], claims: CLAIMS, attributes: ATTRIBUTES,
  });
  await analysts.rotate();
  const newRecipients: RecipientSpec[] = [await analysts.recipient(), await archive.recipient()];
  const authority = { key: authorityKey, kid: new TextEncoder().encode('archive'), issuer: 'city-archive' };
  const rewrapOnce = () => rewrap(envelope, {
    backend, trust: producerPublic, rewrapAuthorities: authorityPublic, recipient: archive.recipientKey(), recipients: newRecipients, authority,
    maxBytes: 32 * 1024 * 1024,
  });
  /* Without re-wrap: open the payload, then seal it again for the new readers (signing as the authority). */
  const reseal = async () => {
    const { plaintext } = await open(envelope, { backend, trust: producerPublic, recipient: archive.recipientKey(), maxBytes: 32 * 1024 * 1024 });
    return seal(plaintext, { backend, signer: authority, recipients: newRecipients, claims: CLAIMS, attributes: ATTRIBUTES });
  };
  /* Check every implementation once before timing: the re-wrapped copy opens to the payload. */
  const rewrapped = await rewrapOnce();
  const opened = await open(rewrapped, {
    backend, trust: producerPublic, rewrapAuthorities: authorityPublic, recipient: analysts.recipientKey(), maxBytes: 32 * 1024 * 1024,
  });
  equal(Buffer.compare(opened.plaintext, payload), 0);
  ok((await reseal()).length > size);
  /* The floor: one Ed25519 verify and one Ed25519 sign over an envelope-sized message. */
  const ed = generateKeyPairSync('ed25519');
  const signature = edSign(null, envelope, ed.privateKey);
  const floor = () => {
    if (!edVerify(null, envelope, ed.publicKey, signature)) throw new Error('floor signature');
    return edSign(null, envelope, ed.privateKey);
  };
  return { name: `re-wrap for new readers, ${label} payload`, bytes: size, ops: { 'ward rewrap': rewrapOnce, 'open + re-seal': reseal, floor } };
}

/** The `rewrap` suite: re-wrap cost at 256 B and 10 MiB, against re-encrypting and the signature floor. */
export const rewrapSuite: Suite = {
  name: 'rewrap',
  title: 'Re-wrap a sealed envelope for a new recipient set (node backend, µs per envelope)',
  baseline: 'ward rewrap',
  ratios: [['ward rewrap', 'floor']],
  figures: ['µs/op', 'spread'],
  async setup() {
    return {
      cases: [await rewrapCase(256, '256 B'), await rewrapCase(10 * 1024 * 1024, '10 MiB')],
      notes: [
        're-wrap never decrypts or re-encrypts the payload and makes no new content key; what grows with the payload is hashing it for the two signatures (the producer\'s, verified; the authority\'s, made) and one copy into the output.',
        'floor = node:crypto Ed25519 verify + sign over an envelope-sized message: any re-wrap that verifies the producer and re-signs over the ciphertext pays at least this.',
        'open + re-seal = what a user does without re-wrap: decrypt the payload and seal it again (new content key, new AEAD pass over the payload).',
      ],
    };
  },
};
