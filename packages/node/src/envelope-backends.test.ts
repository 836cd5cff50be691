/*
 * Sealed envelopes across backends: what one backend seals, the other verifies and opens,
 * for every encryption form, recipient kind and signer. Every key is imported into both
 * backends from the SAME raw bytes (handles never cross backends).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { EnvelopeError, createNobleBackend, openEnvelope, sealEnvelope, verifyEnvelope } from '@ward/core';
import { CoseAlgorithm } from '@ward/core/cose';
import type {
  AeadAlgorithm, CryptoBackend, KeyAgreementAlgorithm, OpenOptions, RecipientKey, RecipientSpec, SealOptions, SignatureAlgorithm,
} from '@ward/core';
import { createNodeBackend } from '@ward/node';

type BackendName = 'noble' | 'node';
const BACKENDS: Record<BackendName, CryptoBackend> = { noble: createNobleBackend(), node: createNodeBackend() };
const PAIRS = [['noble', 'noble'], ['noble', 'node'], ['node', 'noble'], ['node', 'node']] as const;
const te = new TextEncoder();
const PAYLOAD = te.encode('{"pm25":12.5,"station":"air-quality-9"}');
const CLAIMS = { issuer: 'air-quality-9', subject: 'air/harbour', sequence: 2n ** 60n };
const ATTRIBUTES = { classification: 'public', zone: 'harbour', purpose: ['open-data'], extra: { unit: 'µg/m³', calibrated: true } };

/** Raw material generated once (extractable, on noble), imported everywhere. */
const noble = BACKENDS.noble;
async function rawPrivate(algorithm: SignatureAlgorithm | KeyAgreementAlgorithm): Promise<Uint8Array> {
  return noble.exportKey(await noble.generateKey(algorithm, { extractable: true }));
}
const RAW = {
  'Ed25519': await rawPrivate('Ed25519'),
  'ECDSA-P256': await rawPrivate('ECDSA-P256'),
  'X25519': await rawPrivate('X25519'),
  'ECDH-P256': await rawPrivate('ECDH-P256'),
  'AES-GCM': new Uint8Array(randomBytes(32)),
  'ChaCha20-Poly1305': new Uint8Array(randomBytes(32)),
  'AES-KW': new Uint8Array(randomBytes(32)),
};

type Recipe =
  | { readonly form: 'encrypt0'; readonly aead: AeadAlgorithm }
  | { readonly form: 'encrypt'; readonly readers: readonly ('X25519' | 'ECDH-P256' | 'AES-KW')[]; readonly contentAlgorithm?: number };

const RECIPES: readonly [string, Recipe][] = [
  ['Encrypt0, A256GCM', { form: 'encrypt0', aead: 'AES-GCM' }],
  ['Encrypt0, ChaCha20/Poly1305', { form: 'encrypt0', aead: 'ChaCha20-Poly1305' }],
  ['Encrypt, one X25519 recipient', { form: 'encrypt', readers: ['X25519'] }],
  ['Encrypt, one P-256 recipient', { form: 'encrypt', readers: ['ECDH-P256'] }],
  ['Encrypt, one A256KW recipient', { form: 'encrypt', readers: ['AES-KW'] }],
  ['Encrypt, ChaCha20/Poly1305 content, three recipients', { form: 'encrypt', readers: ['X25519', 'ECDH-P256', 'AES-KW'], contentAlgorithm: CoseAlgorithm.ChaCha20Poly1305 }],
  ['Encrypt, ten mixed recipients', { form: 'encrypt', readers: ['X25519', 'ECDH-P256', 'AES-KW', 'X25519', 'ECDH-P256', 'AES-KW', 'X25519', 'ECDH-P256', 'AES-KW', 'X25519'] }],
];

/** The sender's and the reader's view of one recipe, each on its own backend. */
async function sealerSide(backend: CryptoBackend, recipe: Recipe): Promise<Pick<SealOptions, 'key' | 'recipients'>> {
  if (recipe.form === 'encrypt0') return { key: { key: await backend.importKey(recipe.aead, 'secret', RAW[recipe.aead]), kid: te.encode('shared') } };
  const recipients: RecipientSpec[] = [];
  for (const [i, kind] of recipe.readers.entries()) {
    const kid = te.encode(`reader-${i}`);
    if (kind === 'AES-KW') recipients.push({ kek: await backend.importKey('AES-KW', 'secret', RAW['AES-KW']), kid });
    else recipients.push({ publicKey: await backend.publicKey(await backend.importKey(kind, 'private', RAW[kind])), kid });
  }
  return { recipients };
}
async function readerSide(backend: CryptoBackend, recipe: Recipe): Promise<Pick<OpenOptions, 'key' | 'recipient'>[]> {
  if (recipe.form === 'encrypt0') return [{ key: await backend.importKey(recipe.aead, 'secret', RAW[recipe.aead]) }];
  const readers: Pick<OpenOptions, 'recipient'>[] = [];
  for (const [i, kind] of recipe.readers.entries()) {
    const kid = te.encode(`reader-${i}`);
    const recipient: RecipientKey = kind === 'AES-KW'
      ? { kek: await backend.importKey('AES-KW', 'secret', RAW['AES-KW']), kid }
      : { privateKey: await backend.importKey(kind, 'private', RAW[kind]), kid };
    readers.push({ recipient });
  }
  return readers;
}

describe.each(PAIRS)('sealed on %s, verified and opened on %s', (sealerName, readerName) => {
  const sealer = BACKENDS[sealerName];
  const reader = BACKENDS[readerName];

  test.each(RECIPES.flatMap(([name, recipe]) => (['Ed25519', 'ECDSA-P256'] as const).map((signer) => [name, signer, recipe] as const)))(
    '%s, %s signer',
    async (_, signer, recipe) => {
      const signingKey = await sealer.importKey(signer, 'private', RAW[signer]);
      const envelope = await sealEnvelope(PAYLOAD, {
        backend: sealer,
        signer: { key: signingKey, kid: te.encode('air-quality-9#1') },
        claims: CLAIMS,
        attributes: ATTRIBUTES,
        ...(recipe.form === 'encrypt' && recipe.contentAlgorithm !== undefined ? { contentAlgorithm: recipe.contentAlgorithm } : {}),
        ...(await sealerSide(sealer, recipe)),
      });
      const trust = await reader.publicKey(await reader.importKey(signer, 'private', RAW[signer]));
      const facts = await verifyEnvelope(envelope, { backend: reader, trust });
      expect(facts.provenance).toMatchObject(CLAIMS);
      expect(facts.attributes).toEqual(ATTRIBUTES);
      expect(facts.encryption).toBe(recipe.form);
      for (const keys of await readerSide(reader, recipe)) {
        const opened = await openEnvelope(envelope, { backend: reader, trust, ...keys });
        expect(opened.plaintext).toEqual(PAYLOAD);
        expect(opened.facts).toEqual(facts);
      }
      // a flipped signature bit is refused by both operations on this backend too
      const tampered = envelope.slice();
      tampered[tampered.length - 1]! ^= 0x80;
      await expect(verifyEnvelope(tampered, { backend: reader, trust })).rejects.toSatisfy((e: unknown) => EnvelopeError.isInstance(e));
    },
  );
});
