export {
  WardError, ArgumentError, UnsupportedAlgorithmError, KeyError, KeyAgreementError, DecryptionError, BackendError,
} from './errors.js';
export type { WardErrorCode, WardErrorOptions, KeyErrorCode, BackendErrorCode } from './errors.js';
export { CRYPTO_BACKEND_VERSION, isPromise } from './backend/crypto-backend.js';
export type {
  CryptoBackend, MaybePromise, KeyHandle, KeyKind, KeyOptions, KeyAlgorithm, SignatureAlgorithm,
  KeyAgreementAlgorithm, AeadAlgorithm, KeyWrapAlgorithm, MacAlgorithm, AsymmetricAlgorithm, SymmetricAlgorithm,
  SigningKey, VerifyingKey, AgreementPrivateKey, AgreementPublicKey, AeadKey, WrappingKey, MacKey, SecretKindOf,
  RawKeyFormat, AeadEncryptInput, AeadDecryptInput, HkdfInput,
} from './backend/crypto-backend.js';
export { createNobleBackend, NobleBackend } from './backend/noble-backend.js';
export { assertCryptoBackend } from './backend/validate.js';
