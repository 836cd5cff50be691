/*
 * SPEC.md's examples are produced here: the test seals two envelopes deterministically
 * (fixed keys, a fixed random stream, a fixed time) and checks that SPEC.md shows exactly
 * these bytes. `UPDATE_SPEC=1 npx vitest run packages/core/src/envelope/spec-examples.test.ts`
 * rewrites the blocks after a deliberate profile change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createDeterministicBackend } from '../../test-kit/deterministic-backend.js';
import { diagnostic, hex } from '../../test-kit/diagnostic.js';
import { openEnvelope, sealEnvelope, verifyEnvelope } from '../index.js';
import { decodeCbor } from '../cbor/index.js';
import type { CryptoBackend } from '../index.js';

const SPEC = fileURLToPath(new URL('../../../../SPEC.md', import.meta.url));
const fill = (byte: number, length = 32): Uint8Array => new Uint8Array(length).fill(byte);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

async function example(kind: 'encrypt0' | 'encrypt'): Promise<{ envelope: Uint8Array; backend: CryptoBackend; text: string }> {
  const backend = createDeterministicBackend(`ward spec example ${kind}`);
  const signingKey = await backend.importKey('Ed25519', 'private', fill(0x01));
  const payload = utf8('{"pm2_5":7.1,"no2":18}');
  const common = {
    backend,
    signer: { key: signingKey, kid: utf8('aq-monitor-3') },
    claims: { issuer: 'aq-monitor-3', subject: 'air-quality/harbour', sequence: 7, issuedAt: 1795300000 },
    attributes: { classification: 'internal', zone: 'harbour', purpose: ['air-quality'], owner: 'environment-dept', retention: 31536000 },
  } as const;
  const envelope = kind === 'encrypt0'
    ? await sealEnvelope(payload, { ...common, key: { key: await backend.importKey('AES-GCM', 'secret', fill(0x02)), kid: utf8('harbour-shared') } })
    : await sealEnvelope(payload, { ...common, recipients: [{ kek: await backend.importKey('AES-KW', 'secret', fill(0x03)), kid: utf8('analysts-kek') }] });
  const embedded = (path: string): boolean => path === '#/0' || path === '#/2' || path.endsWith('#/0') || /#\/3\/\d+\/0$/.test(path);
  const text = [
    `payload (${payload.length} bytes): ${new TextDecoder().decode(payload)}`,
    `envelope (${envelope.length} bytes, ${envelope.length - payload.length} bytes of overhead):`,
    '',
    hex(envelope).replace(/(.{64})/g, '$1\n').trim(),
    '',
    'diagnostic notation (byte strings holding CBOR shown as << >>):',
    '',
    diagnostic(decodeCbor(envelope), { embedded }),
  ].join('\n');
  return { envelope, backend, text };
}

function block(spec: string, name: string): { start: number; end: number } {
  const open = `<!-- spec-example:${name} -->\n\`\`\`\n`;
  const close = `\n\`\`\`\n<!-- /spec-example:${name} -->`;
  const start = spec.indexOf(open);
  const end = spec.indexOf(close);
  if (start < 0 || end < start) throw new Error(`SPEC.md has no block spec-example:${name}`);
  return { start: start + open.length, end };
}

describe('SPEC.md examples are what the code produces', () => {
  it.each(['encrypt0', 'encrypt'] as const)('sealed %s example', async (kind) => {
    const { envelope, backend, text } = await example(kind);
    const signer = await backend.publicKey(await backend.importKey('Ed25519', 'private', fill(0x01)));
    const facts = await verifyEnvelope(envelope, { backend, trust: signer });
    expect(facts.provenance.sequence).toBe(7);
    const opened = kind === 'encrypt0'
      ? await openEnvelope(envelope, { backend, trust: signer, key: await backend.importKey('AES-GCM', 'secret', fill(0x02)) })
      : await openEnvelope(envelope, { backend, trust: signer, recipient: { kek: await backend.importKey('AES-KW', 'secret', fill(0x03)) } });
    expect(new TextDecoder().decode(opened.plaintext)).toBe('{"pm2_5":7.1,"no2":18}');

    if (process.env.UPDATE_SPEC === '1') {
      const current = readFileSync(SPEC, 'utf8');
      const { start, end } = block(current, kind);
      writeFileSync(SPEC, current.slice(0, start) + text + current.slice(end));
    }
    const spec = readFileSync(SPEC, 'utf8');
    const { start, end } = block(spec, kind);
    expect(spec.slice(start, end)).toBe(text);
  });
});
