/*
 * A hostile module inside a correctly signed bundle (issue 11 item 4a): the signature is genuine,
 * so readPolicyBundle verifies it, and it is the engine's bounded readers alone that keep load,
 * activate and decide from hanging on a result outside memory, a result with no terminator or a
 * builtins table outside memory (opa-wasm 1.10's unbounded NUL scan hung on each). A signature
 * says who wrote a policy, not that it is well-behaved. Every case runs in a child process with a
 * hard timeout (test-kit/hostile-policy.ts), so a regression fails here instead of hanging CI.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { runHostileInChild } from '../../../test-kit/hostile-policy.js';
import type { Outcome, SignedForm } from '../../../test-kit/hostile-policy.js';

const FORMS: readonly SignedForm[] = ['ward', 'opa'];

/* Measured, for the summary line .ci/run prints. */
const tally = { bundles: 0, verified: 0, typed: 0, untyped: 0, hung: 0 };
afterAll(() => {
  console.log(`hostile signed bundles: ${tally.bundles} child runs, ${tally.verified} signatures verified, ${tally.typed} refused typed, `
    + `${tally.hung} hung, ${tally.untyped} untyped errors`);
});

function run(form: SignedForm, name: string, steps: readonly string[]): readonly Outcome[] {
  const outcomes = runHostileInChild(name, steps, 30_000, form);
  tally.bundles++;
  if (outcomes === 'hung') tally.hung++;
  /* A child's failed step reports the WardError's code, or 'RAW' for anything else. */
  else for (const { step, code, form: verified } of outcomes) {
    if (step === 'read' && verified === form) tally.verified++;
    if (code === 'RAW') tally.untyped++;
    else if (code !== undefined) tally.typed++;
  }
  expect(outcomes, `${name} in a ${form}-signed bundle hung`).not.toBe('hung');
  return outcomes as readonly Outcome[];
}

describe.each(FORMS)('a hostile module in a correctly %s-signed bundle', (form) => {
  test.each([
    ['result-out-of-range', /outside its memory/],
    ['result-unterminated', /no terminator/],
  ])('signed bundle, result bound: %s verifies, loads, and each decide is ERR_POLICY_EVALUATION (a deny), never a hang', (name, message) => {
    const [read, load, verify, open] = run(form, name, ['read', 'load', 'verify', 'open']);
    expect(read).toEqual({ step: 'read', form, revision: '2' });
    expect(load).toEqual({ step: 'load' });
    expect(verify).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(message) });
    expect(open).toMatchObject({ allow: true });
  });

  test.each([
    ['result-out-of-range', /outside its memory/],
    ['result-unterminated', /no terminator/],
  ])('signed bundle, result bound: %s activated over a good bundle fails its decisions typed, never a hang', (name, message) => {
    const [activate, verify, open] = run(form, name, ['activate', 'verify', 'open']);
    expect(activate).toEqual({ step: 'activate', revision: '2' });
    expect(verify).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(message) });
    expect(open).toMatchObject({ allow: true });
  });

  test('signed bundle, load bound: a builtins table outside memory verifies, then load refuses it (ERR_POLICY_EVALUATION), never a hang', () => {
    const [read, load] = run(form, 'table-out-of-range', ['read', 'load']);
    expect(read).toEqual({ step: 'read', form, revision: '2' });
    expect(load).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/outside its memory/) });
  });

  test('signed bundle, load bound: activate refuses a builtins table outside memory and the good bundle stays active', () => {
    const [activate, verify] = run(form, 'table-out-of-range', ['activate', 'verify']);
    expect(activate).toMatchObject({ code: 'ERR_POLICY_EVALUATION', message: expect.stringMatching(/outside its memory/), revision: '1' });
    expect(verify).toMatchObject({ allow: true });
  });
});
