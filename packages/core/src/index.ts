/**
 * `@ward/core`: what applications need to seal, verify, open and re-wrap envelopes, manage
 * keys and decide with policy, and the errors they catch. Everything else has a named subpath
 * (README, "Public API"): `@ward/core/cose`, `/cbor`, `/keys`, `/policy`, `/replay`,
 * `/errors`, `/wire` and, for backend authors, `/backend-kit`. The root keeps at most 45
 * runtime names (public-surface.test.ts counts them).
 *
 * @module @ward/core
 */

// Envelopes: seal, verify, open, re-wrap.
export { sealEnvelope } from './envelope/seal.js';
export type { SealOptions, EnvelopeSigner, SharedContentKey } from './envelope/seal.js';
export { verifyEnvelope } from './envelope/verify.js';
export type { VerifyOptions } from './envelope/verify.js';
export { openEnvelope } from './envelope/open.js';
export type { OpenOptions, OpenedEnvelope } from './envelope/open.js';
export { rewrapEnvelope, rewrapEnvelopeInParts } from './envelope/rewrap.js';
export type { RewrapOptions, RewrapAuthority } from './envelope/rewrap.js';
export type {
  EnvelopeFacts, RewrapFacts, ReplayCheck, AccessAttributes, AttributeValue, Classification, Provenance, ProvenanceInput,
} from './profile/facts.js';
export type {
  RecipientSpec, RecipientKey, RecipientLookup, RecipientSource, KeyWrapRecipient, KeyAgreementRecipient, KeyLookup, KeySource, HeaderMap,
} from './cose/index.js';
export type { CborValue } from './cbor/index.js';

// The crypto backend: the interface and the pure-JS backend (the node one is in @ward/node).
export { createNobleBackend } from './backend/noble-backend.js';
export type {
  CryptoBackend, MaybePromise, KeyHandle, KeyKind, KeyOptions, KeyAlgorithm, SignatureAlgorithm,
  KeyAgreementAlgorithm, AeadAlgorithm, KeyWrapAlgorithm, MacAlgorithm, AsymmetricAlgorithm, SymmetricAlgorithm,
  SigningKey, VerifyingKey, AgreementPrivateKey, AgreementPublicKey, AeadKey, WrappingKey, MacKey, SecretKindOf,
  RawKeyFormat, AeadEncryptInput, AeadDecryptInput, HkdfInput,
} from './backend/crypto-backend.js';

// Keys: keysets and their stores, trust (the rest of keys/ is @ward/core/keys).
export {
  Keyset, MemoryKeyStore, MemoryStateStore, StoredKeyset, TrustStore, signTrustStoreDocument, importSpkiPublicKey,
} from './keys/index.js';
export type {
  KeysetPurpose, KeyState, RotationPolicy, KeysetKeyInfo, GenerateKeysetOptions, KeysetEncryptionKey, KeysetFromDocumentOptions,
  KeysetRecipientKey, KeysetToDocumentOptions, KeyStore, StateStore, StoredKeysetOptions, TrustedKeyInput, TrustStoreOptions,
  TrustResolveRequest, TrustResolution, TrustDocumentOptions, TrustStoreLoadOptions, TrustStoreRestoreOptions, TrustRevokeOptions,
  TrustedKey, TrustRole, TrustDocumentLimits, SignTrustStoreDocumentOptions,
} from './keys/index.js';

// Replay (the rest of replay/ is @ward/core/replay).
export { MemoryReplayStore } from './replay/index.js';
export type { MemoryReplayStoreOptions, ReplayStore, ReplayEntry, ReplayVerdict, ReplayWindowOptions } from './replay/index.js';

// Policy: the engine, its bundles and the decision log.
export { PolicyEngine } from './policy/evaluation/policy-engine.js';
export type { PolicySource, PolicyEngineOptions, EngineDecision, PolicyAdmission, PolicyDecider } from './policy/evaluation/policy-engine.js';
export type {
  PolicyAction, PolicySubject, PolicyResource, PolicyEnvironment, PolicyInput, PolicyContext, PolicyContextValue, Obligation, PolicyDecision,
} from './policy/decision.js';
export type { PolicyGateOptions } from './policy/enforcement/policy-gate.js';
export { readPolicyBundle, signPolicyBundle } from './policy/distribution/bundle.js';
export type {
  PolicyBundle, PolicyBundleLimits, PolicyBundleSignature, PolicyBundleVerification,
  UnsignedBundleVerification, ReadPolicyBundleOptions, SignPolicyBundleOptions,
} from './policy/distribution/bundle.js';
export type { OpaBundleVerification } from './policy/distribution/opa-signature.js';
export type { PolicyBundleManifest, PolicyBundleWasmEntry } from './policy/distribution/bundle-layout.js';
export type { WardBundleVerification } from './policy/distribution/ward-signature.js';
export { MemoryDecisionLog } from './policy/audit/index.js';
export type { DecisionLogSink, DecisionRecord, MemoryDecisionLogOptions } from './policy/audit/index.js';

// The errors applications catch (every class and code type: @ward/core/errors).
export {
  WardError, ArgumentError, KeyError, EnvelopeError, ReplayError, TrustError, KeyStoreError, PolicyError,
} from './errors.js';
export type {
  AnyWardError, WardErrorCode, WardErrorOptions, KeyErrorCode, ReplayErrorCode, TrustErrorCode, KeyStoreErrorCode, PolicyErrorCode,
} from './errors.js';
export { PolicyDeniedError } from './policy/enforcement/policy-gate.js';
