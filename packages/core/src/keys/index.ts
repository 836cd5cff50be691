/**
 * `@ward/core/keys`: key management: keysets and their lifecycle, key stores and state stores,
 * the trust store and its signed documents, SPKI import, and COSE_Key (RFC 9052 §7) with its
 * RFC 9679 thumbprint. The root `@ward/core` exports the classes most applications use; this
 * subpath adds the constants, codecs and helpers around them.
 *
 * @module @ward/core/keys
 */
export {
  createCoseKey, encodeCoseKey, decodeCoseKey, coseKeyThumbprint, coseKeyFromHandle, importCoseKey,
} from './cose-key.js';
export type { DecodeCoseKeyOptions, CoseKeyFromHandleOptions, ImportCoseKeyOptions } from './cose-key.js';
export type {
  CoseKey, CoseKeyType, CoseCurve, CoseKeyOpValue, CoseKeyCommon, OkpCoseKey, Ec2CoseKey, SymmetricCoseKey,
} from '../cose/cose-key.js';
export { Keyset, RANDOM_NONCE_USE_LIMIT, DEFAULT_RANDOM_NONCE_USE_LIMIT } from './keyset.js';
export { keysetDocumentRevision } from './keyset-document.js';
export type { KeysetPurpose, KeyState, KeysetKeyInfo } from './keyset-document.js';
export type {
  RotationPolicy, GenerateKeysetOptions, KeysetEncryptionKey,
  KeysetFromDocumentOptions, KeysetRecipientKey, KeysetToDocumentOptions,
} from './keyset.js';
export { MemoryKeyStore, checkKeysetName } from './key-store.js';
export type { KeyStore } from './key-store.js';
export { MemoryStateStore } from './state-store.js';
export type { StateStore } from './state-store.js';
export { StoredKeyset, DEFAULT_USE_RESERVATION } from './stored-keyset.js';
export type { StoredKeysetOptions } from './stored-keyset.js';
export { TrustStore } from './trust-store.js';
export type {
  TrustedKeyInput, TrustStoreOptions, TrustResolveRequest, TrustResolution, TrustDocumentOptions, TrustStoreLoadOptions,
  TrustStoreRestoreOptions, TrustRevokeOptions,
} from './trust-store.js';
export {
  TRUST_ROLES, TRUST_STORE_CONTENT_TYPE, TRUST_STORE_DOCUMENT_VERSION, DEFAULT_TRUST_DOCUMENT_LIMITS, signTrustStoreDocument,
} from './trust-store-document.js';
export type { TrustedKey, TrustRole, TrustDocumentLimits, SignTrustStoreDocumentOptions } from './trust-store-document.js';
export { importSpkiPublicKey } from './spki.js';
