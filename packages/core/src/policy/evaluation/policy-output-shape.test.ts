/*
 * The policy output shape (SPEC.md §Policy; STYLE.md: unknown or empty policy output is never
 * anything but deny). The engine accepts exactly one result of exactly `{ allow: boolean,
 * reasons: string[], obligations: [...] }`; a non-boolean or missing allow, a field beyond
 * those three, several results or none are each a deny with a reason, never an allow.
 */
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { validateDecision } from './policy-engine.js';

const ok = { allow: true, reasons: ['allowed:analyst'], obligations: [] };
const resultSet = (result: unknown) => [{ result }];

describe('policy output shape', () => {
  test('control: exactly one well-formed result is the decision', () => {
    expect(validateDecision(resultSet(ok))).toEqual(ok);
  });

  test.each([
    ['allow is the string "true"', { ...ok, allow: 'true' }],
    ['allow is 1', { ...ok, allow: 1 }],
    ['allow is an object', { ...ok, allow: {} }],
    ['allow is missing', { reasons: ok.reasons, obligations: ok.obligations }],
    ['allow is null', { ...ok, allow: null }],
  ])('policy output shape: a non-boolean or missing allow is a deny (%s)', (_, result) => {
    expect(validateDecision(resultSet(result))).toEqual({ allow: false, reasons: ['policy-output-malformed'], obligations: [] });
  });

  test.each([
    ['an extra top-level field', { ...ok, admin: true }],
    ['an extra field that looks harmless', { ...ok, ttl: 60 }],
  ])('policy output shape: output beyond allow, reasons and obligations is a deny (%s)', (_, result) => {
    expect(validateDecision(resultSet(result))).toEqual({ allow: false, reasons: ['policy-output-malformed'], obligations: [] });
  });

  test('policy output shape: several results (a policy that is ambiguous) are a deny, even when each one allows', () => {
    expect(validateDecision([{ result: ok }, { result: ok }])).toEqual({ allow: false, reasons: ['policy-output-malformed'], obligations: [] });
  });

  test('policy output shape: no result (undefined policy) is a deny', () => {
    expect(validateDecision([])).toEqual({ allow: false, reasons: ['policy-undefined'], obligations: [] });
    expect(validateDecision(undefined)).toEqual({ allow: false, reasons: ['policy-undefined'], obligations: [] });
  });

  test('property: whatever the policy returns, the decision allows only when the output is exactly one allow: true result', () => {
    fc.assert(fc.property(fc.anything(), (result) => {
      const decision = validateDecision(resultSet(result));
      if (decision.allow) {
        const { allow, reasons, obligations, ...rest } = result as Record<string, unknown>;
        expect(allow).toBe(true);
        expect(Array.isArray(reasons) && Array.isArray(obligations)).toBe(true);
        expect(Object.keys(rest)).toEqual([]);
      }
    }));
  });
});

/*
 * The output limits as policies/README.md "What comes back" states them, each at its boundary:
 * the limit itself is accepted, one more is a deny (texts counted in UTF-16 code units, as
 * JavaScript's `length` counts them: an astral character counts 2).
 */
describe('policy output limits', () => {
  const malformed = { allow: false, reasons: ['policy-output-malformed'], obligations: [] };
  const unknown = { allow: false, reasons: ['policy-obligation-unknown'], obligations: [] };
  const texts = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);
  /* 256 code units: 128 astral characters (each a surrogate pair). */
  const longest = '\u{1F600}'.repeat(128);
  const decide = (result: unknown) => validateDecision(resultSet(result));

  test('policy output limits: at most 64 reasons; 65 is a deny', () => {
    expect(decide({ ...ok, reasons: texts(64) }).reasons).toHaveLength(64);
    expect(decide({ ...ok, reasons: texts(65) })).toEqual(malformed);
  });

  test('policy output limits: a reason is 1 to 256 UTF-16 code units; 0 or 257 is a deny', () => {
    expect(decide({ ...ok, reasons: [longest] }).reasons).toEqual([longest]);
    expect(decide({ ...ok, reasons: ['a'] }).allow).toBe(true);
    expect(decide({ ...ok, reasons: [`${longest}a`] })).toEqual(malformed);
    expect(decide({ ...ok, reasons: [''] })).toEqual(malformed);
  });

  test('policy output limits: at most 32 obligations; 33 is a deny', () => {
    const logs = (n: number) => Array.from({ length: n }, () => ({ type: 'log' }));
    expect(decide({ ...ok, obligations: logs(32) }).obligations).toHaveLength(32);
    expect(decide({ ...ok, obligations: logs(33) })).toEqual(malformed);
  });

  test('policy output limits: a notify target is 1 to 256 UTF-16 code units; 0 or 257 is a deny', () => {
    expect(decide({ ...ok, obligations: [{ type: 'notify', to: longest }] }).obligations).toEqual([{ type: 'notify', to: longest }]);
    expect(decide({ ...ok, obligations: [{ type: 'notify', to: `${longest}a` }] })).toEqual(unknown);
    expect(decide({ ...ok, obligations: [{ type: 'notify', to: '' }] })).toEqual(unknown);
  });

  test('policy output limits: a redact names 1 to 64 fields, each 1 to 256 UTF-16 code units; 0, 65 or a longer field is a deny', () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `f${i}`);
    expect(decide({ ...ok, obligations: [{ type: 'redact', fields: fields(64) }] }).obligations).toEqual([{ type: 'redact', fields: fields(64) }]);
    expect(decide({ ...ok, obligations: [{ type: 'redact', fields: fields(65) }] })).toEqual(unknown);
    expect(decide({ ...ok, obligations: [{ type: 'redact', fields: [] }] })).toEqual(unknown);
    expect(decide({ ...ok, obligations: [{ type: 'redact', fields: [longest] }] }).allow).toBe(true);
    expect(decide({ ...ok, obligations: [{ type: 'redact', fields: [`${longest}a`] }] })).toEqual(unknown);
  });

  test('policy output limits: an obligation with a field beyond its type\'s is a deny', () => {
    expect(decide({ ...ok, obligations: [{ type: 'log', level: 'high' }] })).toEqual(unknown);
    expect(decide({ ...ok, obligations: [{ type: 'notify', to: 'dpo', cc: 'ciso' }] })).toEqual(unknown);
    expect(decide({ ...ok, obligations: [{ type: 'redact', fields: ['a'], mode: 'hash' }] })).toEqual(unknown);
  });
});
