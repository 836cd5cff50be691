/**
 * `@ward/core/errors`: every Ward error class and every error code type, in one place:
 * {@link WardError}, its subclasses (one per family of failure, STYLE.md convention 2) and
 * {@link PolicyDeniedError}, the deny that carries the policy's reasons. The root `@ward/core`
 * exports the classes applications usually catch; code that tells every family apart imports
 * them here. An entry point (packages/core/src/layers.test.ts): the classes live in errors.ts,
 * the deny beside the policy gate.
 *
 * @module @ward/core/errors
 */
export {
  WardError, ArgumentError, UnsupportedAlgorithmError, KeyError, KeyAgreementError, DecryptionError, DecodeError,
  CoseError, VerificationError, EnvelopeError, BackendError, ReplayError, TrustError, KeyStoreError, DecisionLogError, PolicyError,
} from './errors.js';
export type {
  AnyWardError, WardErrorCode, WardErrorOptions, KeyErrorCode, DecodeErrorCode, CoseErrorCode, VerificationErrorCode,
  BackendErrorCode, ReplayErrorCode, TrustErrorCode, KeyStoreErrorCode, DecisionLogErrorCode, PolicyErrorCode,
} from './errors.js';
export { PolicyDeniedError } from './policy/enforcement/policy-gate.js';
