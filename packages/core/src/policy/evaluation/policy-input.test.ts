/*
 * The policy input's resource obeys the envelope profile's rules (SPEC.md §5, §7), the ones
 * verifyEnvelope() enforces on read: a resource no envelope could carry is a caller mistake. The other
 * direction (every fact set verifyEnvelope() returns is a valid input) is a property in
 * envelope/read-limits.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { ArgumentError } from '../../errors.js';
import type { PolicyInput, PolicyResource } from '../decision.js';
import { canonicalPolicyInput } from './policy-input.js';

const RESOURCE: PolicyResource = {
  issuer: 'counter-17', stream: 'footfall/market', issuedAt: 1_900_000_000, sequence: '41', id: '00ff',
  attributes: { classification: 'internal', purpose: ['planning'], zone: 'market' },
  signer: { kid: 'aa', alg: -8 }, encryption: 'encrypt',
};
const input = (resource: Partial<PolicyResource>): PolicyInput => ({
  action: 'open', subject: { id: 'ana', roles: ['analyst'], purpose: 'planning' }, resource: { ...RESOURCE, ...resource }, environment: { time: 1 },
});
const x = (n: number): string => 'x'.repeat(n);

describe('canonicalPolicyInput: the resource obeys the envelope profile', () => {
  test('control: a resource at the limits is accepted', () => {
    const extra = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`a${i}`, i - 15]));
    const resource: Partial<PolicyResource> = {
      issuer: x(256), stream: x(256), sequence: '18446744073709551615', id: 'ab'.repeat(64),
      attributes: { ...RESOURCE.attributes, ...extra, [x(256)]: 0.5, list: Array.from({ length: 32 }, () => x(256)), max: Number.MAX_SAFE_INTEGER },
      rewrap: { issuer: x(256), rewrappedAt: 0 },
    };
    expect(canonicalPolicyInput(input(resource)).input.resource.issuer).toBe(x(256));
  });

  test.each<[string, Partial<PolicyResource>]>([
    ['an issuer of 257 characters', { issuer: x(257) }],
    ['an empty issuer', { issuer: '' }],
    ['a stream of 257 characters', { stream: x(257) }],
    ['a stream with a lone surrogate', { stream: 'a\ud800' }],
    ['a re-wrap issuer of 257 characters', { rewrap: { issuer: x(257), rewrappedAt: 0 } }],
    ['an attribute text of 257 characters', { attributes: { classification: x(257) } }],
    ['an empty attribute name', { attributes: { classification: 'internal', '': 'v' } }],
    ['an attribute list of 33 texts', { attributes: { classification: 'internal', purpose: Array.from({ length: 33 }, () => 'p') } }],
    ['an attribute integer beyond 2^53 − 1', { attributes: { classification: 'internal', n: 2 ** 60 } }],
    ['38 attributes', { attributes: Object.fromEntries(Array.from({ length: 38 }, (_, i) => [`a${i}`, true])) }],
    ['an id of 65 bytes', { id: 'ab'.repeat(65) }],
    ['an id that is not hex', { id: 'zz' }],
    ['a sequence that is not decimal', { sequence: 'seq-1' }],
  ])('refuses %s (ERR_INVALID_ARGUMENT)', (_, resource) => {
    expect(() => canonicalPolicyInput(input(resource))).toThrow(ArgumentError);
  });
});
