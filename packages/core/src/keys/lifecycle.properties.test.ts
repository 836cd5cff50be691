/*
 * Key lifecycle properties over random sequences of seal / rotate / retire / revoke / destroy /
 * re-wrap / open / save-and-reload (DESIGN.md: "rotation never strands a readable envelope"):
 *
 *  (a) an envelope opens if and only if the reader key it was sealed (or re-wrapped) to is
 *      active or decrypt-only;
 *  (b) a destroyed key never opens anything;
 *  (c) a re-wrapped envelope opens with the new key and carries the identical plaintext.
 */
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { errorChain } from '../../test-kit/spying.js';
import { createNobleBackend } from '../backend/noble-backend.js';
import { WardError } from '../errors.js';
import { openEnvelope } from '../envelope/open.js';
import { rewrapEnvelope } from '../envelope/rewrap.js';
import { sealEnvelope } from '../envelope/seal.js';
import { MemoryKeyStore } from './key-store.js';
import { Keyset } from './keyset.js';

const backend = createNobleBackend();
const te = new TextEncoder();
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

const producerKey = backend.generateKey('Ed25519');
const signer = { key: producerKey, kid: te.encode('meter-1') };
const trust = backend.publicKey(producerKey);
const authorityKey = backend.generateKey('Ed25519');
const authority = { key: authorityKey, kid: te.encode('archive'), issuer: 'city-archive' };
const rewrapAuthorities = backend.publicKey(authorityKey);

type Op =
  | { readonly kind: 'seal'; readonly payload: Uint8Array }
  | { readonly kind: 'rotate' }
  | { readonly kind: 'retire' | 'revoke' | 'destroy'; readonly pick: number }
  | { readonly kind: 'rewrap' | 'open'; readonly pick: number }
  | { readonly kind: 'reload' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }).map((payload) => ({ kind: 'seal' as const, payload })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'rotate' as const }) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'retire' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'revoke' as const, pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'destroy' as const, pick })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ kind: 'rewrap' as const, pick })) },
  { weight: 3, arbitrary: fc.nat().map((pick) => ({ kind: 'open' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
);

interface Sealed {
  readonly envelope: Uint8Array;
  readonly payload: Uint8Array;
  /** The reader kid it opens with. */
  readonly readerKid: string;
}

const OPENS = new Set(['active', 'decrypt-only']);

describe('key lifecycle properties', () => {
  test('an envelope opens iff its key state allows it; destroyed keys never open; re-wraps keep the plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        let readers = await Keyset.generate(backend, { purpose: 'recipient' });
        /* The archive is the re-wrap authority's own reader key; it is never rotated here. */
        const archive = await Keyset.generate(backend, { purpose: 'recipient' });
        const store = new MemoryKeyStore(backend);
        const sealed: Sealed[] = [];
        let sequence = 0;
        const pickKid = (pick: number): Uint8Array => {
          const keys = readers.keys();
          return keys[pick % keys.length]!.kid;
        };
        const stateOf = (kid: string): string => readers.keys().find((k) => hex(k.kid) === kid)!.state;

        for (const step of ops) {
          switch (step.kind) {
            case 'seal': {
              if (readers.primaryKid === undefined) {
                await expect(readers.recipient()).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
                break;
              }
              const recipient = await readers.recipient();
              const envelope = await sealEnvelope(step.payload, {
                backend, signer, recipients: [recipient, await archive.recipient()],
                claims: { issuer: 'meter-1', subject: 'power', sequence: sequence++ }, attributes: { classification: 'internal' },
              });
              sealed.push({ envelope, payload: step.payload, readerKid: hex(recipient.kid!) });
              break;
            }
            case 'rotate':
              await readers.rotate();
              break;
            case 'retire':
            case 'revoke':
            case 'destroy': {
              const kid = pickKid(step.pick);
              const before = stateOf(hex(kid));
              try {
                if (step.kind === 'retire') readers.retire(kid);
                else if (step.kind === 'revoke') readers.revoke(kid);
                else await readers.destroy(kid);
              } catch (error) {
                /* Only the lifecycle's one-way doors refuse: nothing comes back from revoked or destroyed. */
                expect(WardError.isInstance(error) && ['ERR_KEY_REVOKED', 'ERR_KEY_DESTROYED'].includes(error.code)).toBe(true);
                expect(['revoked', 'destroyed']).toContain(before);
              }
              if (before === 'destroyed') expect(stateOf(hex(kid))).toBe('destroyed');
              break;
            }
            case 'rewrap': {
              if (sealed.length === 0 || readers.primaryKid === undefined) break;
              const target = sealed[step.pick % sealed.length]!;
              const recipient = await readers.recipient();
              const envelope = await rewrapEnvelope(target.envelope, {
                backend, trust, rewrapAuthorities, recipient: archive.recipientKey(), authority,
                recipients: [recipient, await archive.recipient()],
              });
              sealed.push({ envelope, payload: target.payload, readerKid: hex(recipient.kid!) });
              break;
            }
            case 'open': {
              if (sealed.length === 0) break;
              const target = sealed[step.pick % sealed.length]!;
              const state = stateOf(target.readerKid);
              const result = await openEnvelope(target.envelope, { backend, trust, rewrapAuthorities, recipient: readers.recipientKey() })
                .catch((e: unknown) => e);
              if (OPENS.has(state)) {
                expect(result).toMatchObject({ plaintext: target.payload });
              } else {
                expect(WardError.isInstance(result)).toBe(true);
                const chain = errorChain(result).map((e) => (WardError.isInstance(e) ? e.code : undefined));
                expect(chain).toContain(state === 'destroyed' ? 'ERR_KEY_DESTROYED' : 'ERR_KEY_REVOKED');
              }
              break;
            }
            case 'reload':
              await store.save('readers', readers);
              readers = (await store.load('readers'))!;
              break;
          }
        }
        /* Final sweep: every envelope against the final states. */
        for (const target of sealed) {
          const opened = await openEnvelope(target.envelope, { backend, trust, rewrapAuthorities, recipient: readers.recipientKey() })
            .then((r) => r.plaintext, () => undefined);
          expect(opened !== undefined).toBe(OPENS.has(stateOf(target.readerKid)));
          if (opened !== undefined) expect(opened).toEqual(target.payload);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
