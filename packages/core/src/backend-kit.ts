/**
 * `@ward/core/backend-kit`: what an implementer of a {@link CryptoBackend} needs beyond the
 * interface itself — the interface version, the handle registry, the shared argument checks
 * that make every backend reject the same inputs with the same codes, and the noble backend's
 * class. The subpath platform packages (`@ward/node`, `@ward/browser`, `@ward/device`) use for
 * internals.
 *
 * @module @ward/core/backend-kit
 */
export { CRYPTO_BACKEND_VERSION, isPromise } from './backend/crypto-backend.js';
export { NobleBackend } from './backend/noble-backend.js';
export { KeyHandleRegistry } from './backend/key-handle-registry.js';
export {
  AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, HKDF_SHA256_MAX_LENGTH, KEY_WRAP_MAX_LENGTH, HMAC_KEY_MIN_LENGTH,
  HMAC_KEY_MAX_LENGTH, RANDOM_MAX_LENGTH, SIGNATURE_LENGTH, assertAlgorithm, assertBytes, assertCryptoBackend,
  checkAeadDecryptInput, checkAeadEncryptInput, checkExtractable, checkHkdf, checkNonce, checkSharedSecret,
  checkOptionalBytes, checkRandomLength, checkRawKey, checkUnwrapInput, checkWrapInput, generatedKind,
  generatedSecretLength, guarded, isAllZero, isAsymmetric, isWrappedLength, macTagMatches,
} from './backend/validate.js';
export { toHex } from './bytes.js';
export type { CryptoBackend } from './backend/crypto-backend.js';
/* For platform packages that write CBOR by hand (the node keystore's payload, which holds
 * private keys and so is built in one buffer it wipes). */
export { concatBytes } from './bytes.js';
export { encodeHead } from './cbor/frame.js';
