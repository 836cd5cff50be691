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
  RecipientSpec, RecipientKey, RecipientLookup, RecipientSource, KeyWrapRecipient, KeyAgreementRecipient,
} from './cose/encrypt.js';
export type { KeyLookup, KeySource } from './cose/key-lookup.js';
export type { HeaderMap } from './cose/headers.js';
export type { CborValue } from './cbor/data-model.js';

// The crypto backend: the interface and the pure-JS backend (the node one is in @ward/node).
export { createNobleBackend } from './backend/noble-backend.js';
export type {
  CryptoBackend, MaybePromise, KeyHandle, KeyKind, KeyOptions, KeyAlgorithm, SignatureAlgorithm,
  KeyAgreementAlgorithm, AeadAlgorithm, KeyWrapAlgorithm, MacAlgorithm, AsymmetricAlgorithm, SymmetricAlgorithm,
  SigningKey, VerifyingKey, AgreementPrivateKey, AgreementPublicKey, AeadKey, WrappingKey, MacKey, SecretKindOf,
  RawKeyFormat, AeadEncryptInput, AeadDecryptInput, HkdfInput,
} from './backend/crypto-backend.js';

// Keys: keysets and their stores, trust.
export { Keyset } from './keys/keyset.js';
export type {
  KeysetPurpose, KeyState, RotationPolicy, KeysetKeyInfo, GenerateKeysetOptions, KeysetEncryptionKey,
  KeysetFromDocumentOptions, KeysetRecipientKey, KeysetToDocumentOptions,
} from './keys/keyset.js';
export { MemoryKeyStore } from './keys/key-store.js';
export type { KeyStore } from './keys/key-store.js';
export { MemoryStateStore } from './keys/state-store.js';
export type { StateStore } from './keys/state-store.js';
export { StoredKeyset } from './keys/stored-keyset.js';
export type { StoredKeysetOptions } from './keys/stored-keyset.js';
export { TrustStore } from './keys/trust-store.js';
export type {
  TrustedKeyInput, TrustStoreOptions, TrustResolveRequest, TrustResolution, TrustDocumentOptions, TrustStoreLoadOptions,
  TrustStoreRestoreOptions, TrustRevokeOptions,
} from './keys/trust-store.js';
export { signTrustStoreDocument } from './keys/trust-store-document.js';
export type { TrustedKey, TrustRole, TrustDocumentLimits, SignTrustStoreDocumentOptions } from './keys/trust-store-document.js';
export { importSpkiPublicKey } from './keys/spki.js';

// Replay.
export { MemoryReplayStore } from './replay/memory-replay-store.js';
export type { MemoryReplayStoreOptions } from './replay/memory-replay-store.js';
export type { ReplayStore, ReplayEntry, ReplayVerdict, ReplayWindowOptions } from './replay/replay-store.js';

// Policy: the engine, its bundles and the decision log.
export { PolicyEngine } from './policy/evaluation/policy-engine.js';
export type { PolicySource, PolicyEngineOptions, EngineDecision, PolicyAdmission, PolicyDecider } from './policy/evaluation/policy-engine.js';
export type {
  PolicyAction, PolicySubject, PolicyResource, PolicyEnvironment, PolicyInput, PolicyContext, PolicyContextValue, Obligation, PolicyDecision,
} from './policy/decision.js';
export type { PolicyGateOptions } from './policy/enforcement/policy-gate.js';
export { readPolicyBundle, signPolicyBundle } from './policy/distribution/bundle.js';
export type {
  PolicyBundle, PolicyBundleLimits, PolicyBundleManifest, PolicyBundleWasmEntry, PolicyBundleSignature, PolicyBundleVerification,
  UnsignedBundleVerification, ReadPolicyBundleOptions, SignPolicyBundleOptions,
} from './policy/distribution/bundle.js';
export type { OpaBundleVerification } from './policy/distribution/opa-signature.js';
export type { WardBundleVerification } from './policy/distribution/ward-signature.js';
export { MemoryDecisionLog } from './policy/audit/decision-log.js';
export type { DecisionLogSink, DecisionRecord, MemoryDecisionLogOptions } from './policy/audit/decision-log.js';

// The errors applications catch (every class and code type: @ward/core/errors).
export {
  WardError, ArgumentError, KeyError, EnvelopeError, ReplayError, TrustError, KeyStoreError, PolicyError,
} from './errors.js';
export type {
  AnyWardError, WardErrorCode, WardErrorOptions, KeyErrorCode, ReplayErrorCode, TrustErrorCode, KeyStoreErrorCode, PolicyErrorCode,
} from './errors.js';
export { PolicyDeniedError } from './policy/enforcement/policy-gate.js';
