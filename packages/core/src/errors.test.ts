import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as errors from './errors.js';
import { ArgumentError, BackendError, DecodeError, DecryptionError, KeyError, PolicyError, WardError } from './errors.js';
import type { WardErrorCode } from './errors.js';

const BRAND = Symbol.for('@ward/core/WardError');

/* Every code, checked exhaustive at compile time: a new code fails the typecheck until listed. */
const CODES = {
  ERR_INVALID_ARGUMENT: true, ERR_UNSUPPORTED_ALGORITHM: true, ERR_KEY_INVALID: true, ERR_KEY_USAGE: true,
  ERR_KEY_FOREIGN: true, ERR_KEY_NOT_EXTRACTABLE: true, ERR_KEY_AGREEMENT_FAILED: true, ERR_DECRYPTION_FAILED: true,
  ERR_CBOR_MALFORMED: true, ERR_CBOR_LIMIT: true, ERR_CBOR_DUPLICATE_KEY: true, ERR_CBOR_UNSUPPORTED: true,
  ERR_COSE_MALFORMED: true, ERR_COSE_WRONG_TAG: true, ERR_COSE_INVALID_HEADER: true, ERR_COSE_UNKNOWN_CRITICAL: true,
  ERR_COSE_UNPROTECTED_ALG: true, ERR_COSE_ALGORITHM_MISMATCH: true, ERR_SIGNATURE_INVALID: true, ERR_MAC_INVALID: true,
  ERR_ENVELOPE_INVALID: true, ERR_REPLAY_DUPLICATE: true, ERR_REPLAY_TOO_OLD: true, ERR_REPLAY_STORE_UNAVAILABLE: true,
  ERR_BACKEND_VERSION: true, ERR_BACKEND_FAILURE: true, ERR_KEY_NOT_FOUND: true,
  ERR_KEY_REVOKED: true, ERR_KEY_DESTROYED: true, ERR_KEY_LIMIT_REACHED: true, ERR_KEYSET_INVALID: true,
  ERR_TRUST_UNKNOWN_SIGNER: true, ERR_TRUST_REVOKED: true, ERR_TRUST_NOT_VALID: true, ERR_TRUST_ISSUER_MISMATCH: true,
  ERR_TRUST_ROLE: true, ERR_TRUST_DOCUMENT_INVALID: true, ERR_TRUST_DOCUMENT_ROLLBACK: true,
  ERR_KEYSTORE_CORRUPT: true, ERR_KEYSTORE_UNLOCK_FAILED: true, ERR_KEYSTORE_IO: true, ERR_KEYSTORE_ROLLBACK: true,
  ERR_DECISION_LOG_INVALID: true, ERR_DECISION_LOG_UNAVAILABLE: true,
  ERR_POLICY_BUNDLE_INVALID: true, ERR_POLICY_BUNDLE_SIGNATURE: true, ERR_POLICY_BUNDLE_ROLLBACK: true, ERR_POLICY_DENIED: true,
  ERR_POLICY_EVALUATION: true, ERR_POLICY_OBLIGATION: true,
} as const satisfies Record<WardErrorCode, true>;
const ALL_CODES = Object.keys(CODES) as WardErrorCode[];

type Family =
  | 'WardError' | 'ArgumentError' | 'UnsupportedAlgorithmError' | 'KeyError' | 'KeyAgreementError' | 'DecryptionError'
  | 'DecodeError' | 'CoseError' | 'VerificationError' | 'EnvelopeError' | 'ReplayError' | 'BackendError' | 'TrustError'
  | 'KeyStoreError' | 'DecisionLogError' | 'PolicyError';
/** The error classes of one copy of errors.ts. */
type ErrorsModule = Pick<typeof import('./errors.js'), Family>;

/** One instance of every concrete class, built from a given copy of the module. */
function samples(m: ErrorsModule, cause?: unknown): Record<Family, InstanceType<ErrorsModule['WardError']>> {
  const options = cause === undefined ? undefined : { cause };
  return {
    WardError: new m.WardError('ERR_BACKEND_FAILURE', 'base', options),
    ArgumentError: new m.ArgumentError('nonce must be 12 bytes', options),
    UnsupportedAlgorithmError: new m.UnsupportedAlgorithmError('AES-KW with a 20-byte key', options),
    KeyError: new m.KeyError('ERR_KEY_USAGE', 'an X25519 key cannot sign', options),
    KeyAgreementError: new m.KeyAgreementError('X25519 shared secret is all zeros', options),
    DecryptionError: new m.DecryptionError(options),
    DecodeError: new m.DecodeError('ERR_CBOR_LIMIT', 'nesting deeper than 16 at offset 40', options),
    CoseError: new m.CoseError('ERR_COSE_UNPROTECTED_ALG', 'alg must be protected', options),
    VerificationError: new m.VerificationError('ERR_SIGNATURE_INVALID', 'signature does not verify', options),
    EnvelopeError: new m.EnvelopeError(options),
    ReplayError: new m.ReplayError('ERR_REPLAY_DUPLICATE', 'sequence 7 already accepted', options),
    BackendError: new m.BackendError('ERR_BACKEND_VERSION', 'backend speaks v2', options),
    TrustError: new m.TrustError('ERR_TRUST_REVOKED', 'producer key revoked', options),
    KeyStoreError: new m.KeyStoreError('ERR_KEYSTORE_CORRUPT', 'keystore file is malformed', options),
    DecisionLogError: new m.DecisionLogError('ERR_DECISION_LOG_INVALID', 'line 7 does not follow line 6', options),
    PolicyError: new m.PolicyError('ERR_POLICY_BUNDLE_SIGNATURE', 'policy.wasm does not match its signed hash', options),
  };
}

const FAMILIES: readonly Family[] = [
  'WardError', 'ArgumentError', 'UnsupportedAlgorithmError', 'KeyError', 'KeyAgreementError', 'DecryptionError',
  'DecodeError', 'CoseError', 'VerificationError', 'EnvelopeError', 'ReplayError', 'BackendError', 'TrustError',
  'KeyStoreError', 'DecisionLogError', 'PolicyError',
];

const EXPECTED_CODE: Record<Family, WardErrorCode> = {
  WardError: 'ERR_BACKEND_FAILURE',
  ArgumentError: 'ERR_INVALID_ARGUMENT',
  UnsupportedAlgorithmError: 'ERR_UNSUPPORTED_ALGORITHM',
  KeyError: 'ERR_KEY_USAGE',
  KeyAgreementError: 'ERR_KEY_AGREEMENT_FAILED',
  DecryptionError: 'ERR_DECRYPTION_FAILED',
  DecodeError: 'ERR_CBOR_LIMIT',
  CoseError: 'ERR_COSE_UNPROTECTED_ALG',
  VerificationError: 'ERR_SIGNATURE_INVALID',
  EnvelopeError: 'ERR_ENVELOPE_INVALID',
  ReplayError: 'ERR_REPLAY_DUPLICATE',
  BackendError: 'ERR_BACKEND_VERSION',
  TrustError: 'ERR_TRUST_REVOKED',
  KeyStoreError: 'ERR_KEYSTORE_CORRUPT',
  DecisionLogError: 'ERR_DECISION_LOG_INVALID',
  PolicyError: 'ERR_POLICY_BUNDLE_SIGNATURE',
};

/** `isInstance` of the class named `family` in module `m`. */
function isInstanceOf(m: ErrorsModule, family: Family, value: unknown): boolean {
  return m[family].isInstance(value);
}

/** A second, independent copy of errors.ts, as a duplicate install of @ward/core would load. */
async function loadDuplicate(): Promise<ErrorsModule> {
  /* A distinct URL is a distinct module instance for Vite's module graph. The specifier is a
   * variable so tsc does not try to resolve the query string. */
  const specifier = './errors.js?duplicate';
  return (await import(/* @vite-ignore */ specifier)) as ErrorsModule;
}

describe('WardError and subclasses', () => {
  const local = samples(errors);

  test.each(FAMILIES)('%s carries its code, name and message, and is an Error', (family) => {
    const error = local[family];
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(WardError);
    expect(error.code).toBe(EXPECTED_CODE[family]);
    expect(error.name).toBe(family);
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
    expect(typeof error.stack).toBe('string');
    expect(String(error)).toBe(`${family}: ${error.message}`);
    expect('cause' in error).toBe(false);
  });

  test('every class keeps the cause it is given', () => {
    const cause = new RangeError('underlying');
    for (const family of FAMILIES) {
      const error = samples(errors, cause)[family];
      expect(error.cause).toBe(cause);
    }
  });

  test('a cause of undefined leaves no cause property; falsy causes are kept', () => {
    expect('cause' in new ArgumentError('x', { cause: undefined })).toBe(false);
    expect('cause' in new ArgumentError('x', {})).toBe(false);
    expect(new ArgumentError('x', { cause: 0 }).cause).toBe(0);
    expect(new ArgumentError('x', { cause: null }).cause).toBe(null);
    expect(new ArgumentError('x', { cause: '' }).cause).toBe('');
  });

  test('KeyError, DecodeError, BackendError and PolicyError take their code; WardError takes any code', () => {
    for (const code of ['ERR_KEY_INVALID', 'ERR_KEY_USAGE', 'ERR_KEY_FOREIGN', 'ERR_KEY_NOT_EXTRACTABLE'] as const) {
      const error = new KeyError(code, 'm');
      expect(error.code).toBe(code);
      expect(error.name).toBe('KeyError');
    }
    for (const code of ['ERR_CBOR_MALFORMED', 'ERR_CBOR_LIMIT', 'ERR_CBOR_DUPLICATE_KEY', 'ERR_CBOR_UNSUPPORTED'] as const) {
      const error = new DecodeError(code, 'm');
      expect(error.code).toBe(code);
      expect(error.name).toBe('DecodeError');
    }
    for (const code of ['ERR_BACKEND_VERSION', 'ERR_BACKEND_FAILURE'] as const) {
      expect(new BackendError(code, 'm').code).toBe(code);
    }
    for (const code of [
      'ERR_POLICY_BUNDLE_INVALID', 'ERR_POLICY_BUNDLE_SIGNATURE', 'ERR_POLICY_BUNDLE_ROLLBACK', 'ERR_POLICY_DENIED', 'ERR_POLICY_EVALUATION',
      'ERR_POLICY_OBLIGATION',
    ] as const) {
      const error = new PolicyError(code, 'm');
      expect(error.code).toBe(code);
      expect(error.name).toBe('PolicyError');
    }
    for (const code of ALL_CODES) {
      const error = new WardError(code, 'm');
      expect(error.code).toBe(code);
      expect(error.name).toBe('WardError');
    }
  });

  test('DecryptionError has the same uninformative message whatever the cause', () => {
    const messages = new Set([
      new DecryptionError().message,
      new DecryptionError({ cause: new Error('bad tag') }).message,
      new DecryptionError({ cause: new Error('wrong key length') }).message,
    ]);
    expect([...messages]).toEqual(['decryption failed']);
  });

  test('property: code and message survive construction for any message text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_CODES), fc.string(), fc.option(fc.anything(), { nil: undefined }), (code, message, cause) => {
        const error = new WardError(code, message, cause === undefined ? undefined : { cause });
        expect(error.code).toBe(code);
        expect(error.message).toBe(message);
        expect(WardError.isInstance(error)).toBe(true);
        if (cause === undefined) expect('cause' in error).toBe(false);
        else expect(error.cause).toBe(cause);
      }),
      { numRuns: 200 },
    );
  });

  test('the brand is a frozen, non-enumerable list of the class chain', () => {
    const error = new KeyError('ERR_KEY_FOREIGN', 'm');
    const brand = (error as unknown as Record<symbol, unknown>)[BRAND];
    expect(brand).toEqual(['KeyError', 'WardError']);
    expect(Object.isFrozen(brand)).toBe(true);
    expect(Object.keys(error)).not.toContain(BRAND);
    expect(Object.getOwnPropertyDescriptor(error, BRAND)?.enumerable).toBe(false);
    expect(JSON.stringify(error)).not.toContain('WardError');
  });

  test('subclasses without their own family take the nearest family name; with one, their own', () => {
    class MyKeyError extends KeyError {}
    class NonceError extends ArgumentError {
      static override readonly family: string = 'NonceError';
    }
    const inherited = new MyKeyError('ERR_KEY_INVALID', 'm');
    expect(inherited.name).toBe('KeyError');
    expect(KeyError.isInstance(inherited)).toBe(true);
    expect(WardError.isInstance(inherited)).toBe(true);

    const own = new NonceError('nonce must be 12 bytes');
    expect(own.name).toBe('NonceError');
    expect(own.code).toBe('ERR_INVALID_ARGUMENT');
    expect((own as unknown as Record<symbol, unknown>)[BRAND]).toEqual(['NonceError', 'ArgumentError', 'WardError']);
    expect(NonceError.isInstance(own)).toBe(true);
    expect(ArgumentError.isInstance(own)).toBe(true);
    expect(WardError.isInstance(own)).toBe(true);
    expect(NonceError.isInstance(new ArgumentError('m'))).toBe(false);
    expect(KeyError.isInstance(own)).toBe(false);
  });
});

describe('isInstance', () => {
  const m: ErrorsModule = errors;
  const local = samples(m);

  test.each(FAMILIES)('family checks for a %s', (family) => {
    const error = local[family];
    expect(WardError.isInstance(error)).toBe(true);
    for (const other of FAMILIES) {
      if (other === 'WardError') continue;
      /* A subclass' isInstance is true only for errors of that family. */
      expect(isInstanceOf(m, other, error)).toBe(other === family);
    }
  });

  test('a KeyError is a WardError; a DecryptionError is not a KeyError', () => {
    expect(WardError.isInstance(new KeyError('ERR_KEY_USAGE', 'm'))).toBe(true);
    expect(KeyError.isInstance(new DecryptionError())).toBe(false);
    expect(DecryptionError.isInstance(new KeyError('ERR_KEY_USAGE', 'm'))).toBe(false);
    expect(ArgumentError.isInstance(new WardError('ERR_INVALID_ARGUMENT', 'same code, base class'))).toBe(false);
  });

  test('false for plain errors, strings, null and other non-Ward values', () => {
    const values: unknown[] = [
      new Error('plain'), new TypeError('plain'), 'ERR_KEY_USAGE', 'WardError', null, undefined, 0, 42n, true,
      Symbol('x'), {}, [], () => undefined, { code: 'ERR_KEY_USAGE', name: 'KeyError', message: 'look-alike' },
      Object.assign(new Error('coded'), { code: 'ERR_DECRYPTION_FAILED', name: 'DecryptionError' }),
      /* A brand that is not a list, and a list under a private (non-registry) symbol. */
      { [BRAND]: 'KeyError' }, { [BRAND]: { 0: 'KeyError', length: 1 } }, { [Symbol('@ward/core/WardError')]: ['KeyError', 'WardError'] },
    ];
    for (const family of FAMILIES) {
      for (const value of values) expect(isInstanceOf(m, family, value)).toBe(false);
    }
  });

  test('property: no arbitrary value without the brand is a WardError', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        for (const family of FAMILIES) expect(isInstanceOf(m, family, value)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  test('true across a duplicate install: errors from a second copy of the module', async () => {
    const duplicate = await loadDuplicate();
    /* Precondition of the test: it really is a second copy, so instanceof fails across it. */
    expect(duplicate.WardError).not.toBe(WardError);
    const foreign = samples(duplicate, new Error('cause'));
    expect(foreign.KeyError).not.toBeInstanceOf(WardError);
    expect(foreign.KeyError).not.toBeInstanceOf(KeyError);

    for (const family of FAMILIES) {
      const error = foreign[family];
      expect(WardError.isInstance(error)).toBe(true);
      for (const other of FAMILIES) {
        if (other === 'WardError') continue;
        expect(isInstanceOf(m, other, error)).toBe(other === family);
        /* …and the other way round: the duplicate's classes recognise this copy's errors. */
        expect(isInstanceOf(duplicate, other, local[family])).toBe(other === family);
      }
      expect(duplicate.WardError.isInstance(local[family])).toBe(true);
    }
    expect(KeyError.isInstance(foreign.DecryptionError)).toBe(false);
    expect(DecryptionError.isInstance(foreign.DecryptionError)).toBe(true);
    expect(foreign.DecryptionError.code).toBe('ERR_DECRYPTION_FAILED');
  });

  test('true for an unrelated class carrying the brand the way the constructor sets it', () => {
    class OtherCopyKeyError extends Error {
      readonly code = 'ERR_KEY_FOREIGN';
      constructor() {
        super('from another copy of @ward/core');
        Object.defineProperty(this, BRAND, { value: Object.freeze(['KeyError', 'WardError']), enumerable: false });
      }
    }
    const error = new OtherCopyKeyError();
    expect(error).not.toBeInstanceOf(WardError);
    expect(WardError.isInstance(error)).toBe(true);
    expect(KeyError.isInstance(error)).toBe(true);
    expect(DecryptionError.isInstance(error)).toBe(false);
    expect(ArgumentError.isInstance(error)).toBe(false);
  });
});
