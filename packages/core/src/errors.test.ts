import * as fc from 'fast-check';
import { describe, expect, expectTypeOf, test, vi } from 'vitest';
import * as errors from './errors.js';
import { ArgumentError, BackendError, DecodeError, DecryptionError, EnvelopeError, KeyError, PolicyError, WardError } from './errors.js';
import type { AnyWardError, WardErrorCode } from './errors.js';
import * as ward from './errors-entry.js';

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
  ERR_POLICY_EVALUATION: true, ERR_POLICY_OBLIGATION: true, ERR_POLICY_TIMEOUT: true,
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
      'ERR_POLICY_OBLIGATION', 'ERR_POLICY_TIMEOUT',
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

/* ------------------------------------------------------------------------------------------ */
/* Every exported error class, from @ward/core/errors (issue 10 item 7a)                       */
/* ------------------------------------------------------------------------------------------ */

type RootModule = typeof import('./errors-entry.js');
type ErrorClassLike = { readonly family: string; isInstance(value: unknown): boolean; readonly prototype: unknown };

/** The WardError classes a copy of @ward/core/errors exports, by export name. */
function exportedErrorClasses(root: Record<string, unknown>): Map<string, ErrorClassLike> {
  const found = new Map<string, ErrorClassLike>();
  const base = root['WardError'] as abstract new (...args: never[]) => unknown;
  for (const [name, value] of Object.entries(root)) {
    if (typeof value === 'function' && (value === base || value.prototype instanceof base)) found.set(name, value as unknown as ErrorClassLike);
  }
  return found;
}

/*
 * One instance of every exported error class, built from a given copy of @ward/core/errors. A class
 * added there without a sample here fails 'every exported error class has a sample'.
 */
function rootSamples(root: RootModule): Record<string, Error> {
  const denied = { allow: false, reasons: ['purpose-not-permitted'], obligations: [] };
  return {
    WardError: new root.WardError('ERR_BACKEND_FAILURE', 'base'),
    ArgumentError: new root.ArgumentError('m'),
    UnsupportedAlgorithmError: new root.UnsupportedAlgorithmError('m'),
    KeyError: new root.KeyError('ERR_KEY_NOT_FOUND', 'm'),
    KeyAgreementError: new root.KeyAgreementError('m'),
    DecryptionError: new root.DecryptionError(),
    DecodeError: new root.DecodeError('ERR_CBOR_MALFORMED', 'm'),
    CoseError: new root.CoseError('ERR_COSE_MALFORMED', 'm'),
    VerificationError: new root.VerificationError('ERR_MAC_INVALID', 'm'),
    EnvelopeError: new root.EnvelopeError(),
    BackendError: new root.BackendError('ERR_BACKEND_FAILURE', 'm'),
    ReplayError: new root.ReplayError('ERR_REPLAY_TOO_OLD', 'm'),
    TrustError: new root.TrustError('ERR_TRUST_ROLE', 'm'),
    KeyStoreError: new root.KeyStoreError('ERR_KEYSTORE_IO', 'm'),
    DecisionLogError: new root.DecisionLogError('ERR_DECISION_LOG_UNAVAILABLE', 'm'),
    PolicyError: new root.PolicyError('ERR_POLICY_EVALUATION', 'm'),
    PolicyDeniedError: new root.PolicyDeniedError(denied),
  };
}

/** A second, complete copy of @ward/core/errors (every module re-evaluated), as a duplicate install loads. */
async function loadDuplicateRoot(): Promise<RootModule> {
  vi.resetModules();
  const specifier = './errors-entry.js';
  return (await import(/* @vite-ignore */ specifier)) as RootModule;
}

/** The classes of the chain from `name` up to WardError, by export name. */
function ancestors(classes: Map<string, ErrorClassLike>, name: string): Set<string> {
  const chain = new Set<string>();
  for (let c: unknown = classes.get(name); typeof c === 'function'; c = Object.getPrototypeOf(c)) {
    for (const [n, k] of classes) if ((k as unknown) === c) chain.add(n);
  }
  return chain;
}

describe('every exported error class has its own brand', () => {
  const classes = exportedErrorClasses(ward as unknown as Record<string, unknown>);

  test('every exported error class has a sample', () => {
    expect([...classes.keys()].sort()).toEqual(Object.keys(rootSamples(ward)).sort());
  });

  test('every exported error class declares its own family, named after it and distinct', () => {
    const families = new Set<string>();
    for (const [name, cls] of classes) {
      /* Without an own `family`, isInstance answers for the parent's family (the PolicyDeniedError bug). */
      expect(Object.prototype.hasOwnProperty.call(cls, 'family'), name).toBe(true);
      expect(cls.family).toBe(name);
      families.add(cls.family);
    }
    expect(families.size).toBe(classes.size);
  });

  test('isInstance is true exactly for the class and its ancestors, in this copy and across a duplicate install', async () => {
    const duplicate = await loadDuplicateRoot();
    /* Precondition of the test: a real second copy, where instanceof fails. */
    expect(duplicate.WardError).not.toBe(ward.WardError);
    expect(duplicate.PolicyDeniedError).not.toBe(ward.PolicyDeniedError);
    const duplicateClasses = exportedErrorClasses(duplicate as unknown as Record<string, unknown>);
    const local = rootSamples(ward);
    const foreign = rootSamples(duplicate);
    expect(foreign['PolicyDeniedError']).not.toBeInstanceOf(ward.PolicyError);
    for (const [name] of classes) {
      const expected = ancestors(classes, name);
      for (const [other, cls] of classes) {
        expect(cls.isInstance(local[name]), `${other}.isInstance(local ${name})`).toBe(expected.has(other));
        expect(cls.isInstance(foreign[name]), `${other}.isInstance(foreign ${name})`).toBe(expected.has(other));
        expect(duplicateClasses.get(other)!.isInstance(local[name]), `duplicate ${other}.isInstance(local ${name})`).toBe(expected.has(other));
      }
    }
  });

  test('PolicyDeniedError.isInstance is false for a PolicyError that is not a deny, so reasons are never read off one', async () => {
    const duplicate = await loadDuplicateRoot();
    for (const root of [ward, duplicate]) {
      const evaluation = new root.PolicyError('ERR_POLICY_EVALUATION', 'the policy failed to evaluate');
      expect(ward.PolicyDeniedError.isInstance(evaluation)).toBe(false);
      expect(ward.PolicyError.isInstance(evaluation)).toBe(true);
      const denied = new root.PolicyDeniedError({ allow: false, reasons: ['zone-mismatch'], obligations: [] });
      expect(ward.PolicyDeniedError.isInstance(denied)).toBe(true);
      expect(ward.PolicyError.isInstance(denied)).toBe(true);
      if (ward.PolicyDeniedError.isInstance(denied)) expect(denied.reasons).toEqual(['zone-mismatch']);
      expect(denied.name).toBe('PolicyDeniedError');
      expect(denied.code).toBe('ERR_POLICY_DENIED');
    }
  });

  test('AnyWardError: WardError.isInstance narrows to the union, and a switch on code narrows to the class', () => {
    const caught: unknown = new KeyError('ERR_KEY_NOT_FOUND', 'no key');
    if (!WardError.isInstance(caught)) throw new Error('expected a WardError');
    expectTypeOf(caught).toEqualTypeOf<AnyWardError>();
    switch (caught.code) {
      case 'ERR_KEY_NOT_FOUND':
        expectTypeOf(caught).toEqualTypeOf<KeyError>();
        break;
      case 'ERR_ENVELOPE_INVALID':
        expectTypeOf(caught).toEqualTypeOf<EnvelopeError>();
        break;
      case 'ERR_INVALID_ARGUMENT':
        expectTypeOf(caught).toEqualTypeOf<ArgumentError>();
        break;
      default:
        break;
    }
    expect(caught.code).toBe('ERR_KEY_NOT_FOUND');
    /* A subclass' isInstance still narrows to that subclass. */
    const other: unknown = new KeyError('ERR_KEY_INVALID', 'm');
    if (KeyError.isInstance(other)) expectTypeOf(other).toEqualTypeOf<KeyError>();
  });

  test('every code belongs to exactly one class of the union', () => {
    /* A code thrown with two classes could not narrow: each sample's code maps back to one family. */
    const owners = new Map<WardErrorCode, string>();
    const byClass: Record<string, readonly WardErrorCode[]> = {
      ArgumentError: ['ERR_INVALID_ARGUMENT'], UnsupportedAlgorithmError: ['ERR_UNSUPPORTED_ALGORITHM'],
      KeyAgreementError: ['ERR_KEY_AGREEMENT_FAILED'], DecryptionError: ['ERR_DECRYPTION_FAILED'], EnvelopeError: ['ERR_ENVELOPE_INVALID'],
      KeyError: ['ERR_KEY_INVALID', 'ERR_KEY_USAGE', 'ERR_KEY_FOREIGN', 'ERR_KEY_NOT_EXTRACTABLE', 'ERR_KEY_NOT_FOUND', 'ERR_KEY_REVOKED',
        'ERR_KEY_DESTROYED', 'ERR_KEY_LIMIT_REACHED', 'ERR_KEYSET_INVALID'],
      DecodeError: ['ERR_CBOR_MALFORMED', 'ERR_CBOR_LIMIT', 'ERR_CBOR_DUPLICATE_KEY', 'ERR_CBOR_UNSUPPORTED'],
      CoseError: ['ERR_COSE_MALFORMED', 'ERR_COSE_WRONG_TAG', 'ERR_COSE_INVALID_HEADER', 'ERR_COSE_UNKNOWN_CRITICAL', 'ERR_COSE_UNPROTECTED_ALG',
        'ERR_COSE_ALGORITHM_MISMATCH'],
      VerificationError: ['ERR_SIGNATURE_INVALID', 'ERR_MAC_INVALID'],
      BackendError: ['ERR_BACKEND_VERSION', 'ERR_BACKEND_FAILURE'],
      ReplayError: ['ERR_REPLAY_DUPLICATE', 'ERR_REPLAY_TOO_OLD', 'ERR_REPLAY_STORE_UNAVAILABLE'],
      TrustError: ['ERR_TRUST_UNKNOWN_SIGNER', 'ERR_TRUST_REVOKED', 'ERR_TRUST_NOT_VALID', 'ERR_TRUST_ISSUER_MISMATCH', 'ERR_TRUST_ROLE',
        'ERR_TRUST_DOCUMENT_INVALID', 'ERR_TRUST_DOCUMENT_ROLLBACK'],
      KeyStoreError: ['ERR_KEYSTORE_CORRUPT', 'ERR_KEYSTORE_UNLOCK_FAILED', 'ERR_KEYSTORE_IO', 'ERR_KEYSTORE_ROLLBACK'],
      DecisionLogError: ['ERR_DECISION_LOG_INVALID', 'ERR_DECISION_LOG_UNAVAILABLE'],
      PolicyError: ['ERR_POLICY_BUNDLE_INVALID', 'ERR_POLICY_BUNDLE_SIGNATURE', 'ERR_POLICY_BUNDLE_ROLLBACK', 'ERR_POLICY_DENIED',
        'ERR_POLICY_EVALUATION', 'ERR_POLICY_OBLIGATION', 'ERR_POLICY_TIMEOUT'],
    };
    for (const [cls, codes] of Object.entries(byClass)) {
      for (const code of codes) {
        expect(owners.get(code), code).toBeUndefined();
        owners.set(code, cls);
      }
    }
    expect([...owners.keys()].sort()).toEqual([...ALL_CODES].sort());
  });
});
