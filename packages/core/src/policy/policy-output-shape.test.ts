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
