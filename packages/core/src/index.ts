export {
  WardError, ArgumentError, UnsupportedAlgorithmError, KeyError, KeyAgreementError, DecryptionError, DecodeError,
  CoseError, VerificationError, EnvelopeError, BackendError,
} from './errors.js';
export type { AnyWardError, WardErrorCode, WardErrorOptions, KeyErrorCode, DecodeErrorCode, CoseErrorCode,
  VerificationErrorCode, BackendErrorCode } from './errors.js';
export { CRYPTO_BACKEND_VERSION, isPromise } from './backend/crypto-backend.js';
export type {
  CryptoBackend, MaybePromise, KeyHandle, KeyKind, KeyOptions, KeyAlgorithm, SignatureAlgorithm,
  KeyAgreementAlgorithm, AeadAlgorithm, KeyWrapAlgorithm, MacAlgorithm, AsymmetricAlgorithm, SymmetricAlgorithm,
  SigningKey, VerifyingKey, AgreementPrivateKey, AgreementPublicKey, AeadKey, WrappingKey, MacKey, SecretKindOf,
  RawKeyFormat, AeadEncryptInput, AeadDecryptInput, HkdfInput,
} from './backend/crypto-backend.js';
export { createNobleBackend, NobleBackend } from './backend/noble-backend.js';
export { assertCryptoBackend } from './backend/validate.js';
export { CborSimple, CborTag, DEFAULT_CBOR_DECODE_LIMITS, decodeCbor, encodeCbor } from './cbor/index.js';
export type { CborValue, CborDecodeLimits, DecodeCborOptions } from './cbor/index.js';
export { CoseAlgorithm } from './cose/algorithms.js';
export type { CoseAlgorithmId } from './cose/algorithms.js';
export { HeaderLabel, encodeProtectedHeader, decodeProtectedHeader, asUnprotectedHeader, checkHeaders } from './cose/headers.js';
export type { HeaderMap, HeaderRules } from './cose/headers.js';
export { CoseTag, DEFAULT_MAX_HEADER_BYTES } from './cose/message.js';
export type { CoseDecodeOptions, DecodedHeaders } from './cose/message.js';
export type { KeyLookup, KeySource } from './cose/key-lookup.js';
export { CoseKeyLabel, agreementAlgorithmOfCose, agreementPublicKeyToCose, agreementPublicKeyFromCose } from './cose/cose-key.js';
export { createSign1, verifySign1 } from './cose/sign1.js';
export type { CreateSign1Options, VerifySign1Options, VerifiedSign1 } from './cose/sign1.js';
export { createMac0, verifyMac0 } from './cose/mac0.js';
export type { CreateMac0Options, VerifyMac0Options, VerifiedMac0 } from './cose/mac0.js';
export { createEncrypt0, decryptEncrypt0 } from './cose/encrypt0.js';
export type { CreateEncrypt0Options, DecryptEncrypt0Options, DecryptedEncrypt0 } from './cose/encrypt0.js';
export { DEFAULT_MAX_RECIPIENTS, createEncrypt, decryptEncrypt } from './cose/encrypt.js';
export type {
  CreateEncryptOptions, DecryptEncryptOptions, DecryptedEncrypt, RecipientSpec, RecipientKey, RecipientLookup, RecipientSource,
  KeyWrapRecipient,
  KeyAgreementRecipient,
} from './cose/encrypt.js';
export { sealEnvelope } from './envelope/seal.js';
export type { SealOptions, EnvelopeSigner, SharedContentKey } from './envelope/seal.js';
export { verifyEnvelope } from './envelope/verify.js';
export type { VerifyOptions } from './envelope/verify.js';
export type { EnvelopeFacts, RewrapFacts } from './profile/facts.js';
export { openEnvelope } from './envelope/open.js';
export type { OpenOptions, OpenedEnvelope } from './envelope/open.js';
export { WardHeaderLabel, ClaimKey, AttributeKey, ContentFormat, RewrapRecordKey } from './profile/labels.js';
export type { AccessAttributes, AttributeValue, Classification, Provenance, ProvenanceInput } from './profile/facts.js';
export { CoseKeyOp } from './cose/cose-key.js';
export { createCoseKey, encodeCoseKey, decodeCoseKey, coseKeyThumbprint, coseKeyFromHandle, importCoseKey } from './keys/cose-key.js';
export type {
  CoseKey, CoseKeyType, CoseCurve, CoseKeyOpValue, CoseKeyCommon, OkpCoseKey, Ec2CoseKey, SymmetricCoseKey,
} from './cose/cose-key.js';
export type { DecodeCoseKeyOptions, CoseKeyFromHandleOptions, ImportCoseKeyOptions } from './keys/cose-key.js';
export { DEFAULT_REPLAY_WINDOW, replayStreamKey, resolveReplayWindow } from './replay/replay-store.js';
export type { ReplayStore, ReplayEntry, ReplayVerdict, ReplayWindowOptions } from './replay/replay-store.js';
export { MemoryReplayStore } from './replay/memory-replay-store.js';
export type { MemoryReplayStoreOptions } from './replay/memory-replay-store.js';
export { checkReplay } from './replay/replay-guard.js';
export type { CheckReplayOptions } from './replay/replay-guard.js';
export type { ReplayCheck } from './profile/facts.js';
export { ReplayError, TrustError, KeyStoreError } from './errors.js';
export type { ReplayErrorCode, TrustErrorCode, KeyStoreErrorCode } from './errors.js';
export { Keyset, RANDOM_NONCE_USE_LIMIT, DEFAULT_RANDOM_NONCE_USE_LIMIT } from './keys/keyset.js';
export { keysetDocumentRevision } from './keys/keyset-document.js';
export type {
  RotationPolicy, GenerateKeysetOptions, KeysetEncryptionKey, KeysetFromDocumentOptions, KeysetRecipientKey, KeysetToDocumentOptions,
} from './keys/keyset.js';
export type { KeysetPurpose, KeyState, KeysetKeyInfo } from './keys/keyset-document.js';
export { MemoryKeyStore, checkKeysetName } from './keys/key-store.js';
export type { KeyStore } from './keys/key-store.js';
export { MemoryStateStore } from './keys/state-store.js';
export type { StateStore } from './keys/state-store.js';
export { StoredKeyset, DEFAULT_USE_RESERVATION } from './keys/stored-keyset.js';
export type { StoredKeysetOptions } from './keys/stored-keyset.js';
export { rewrapEnvelope, rewrapEnvelopeInParts } from './envelope/rewrap.js';
export type { RewrapOptions, RewrapAuthority } from './envelope/rewrap.js';
export { TrustStore } from './keys/trust-store.js';
export { importSpkiPublicKey } from './keys/spki.js';
export type { TrustedKeyInput, TrustStoreOptions, TrustResolveRequest, TrustResolution, TrustDocumentOptions, TrustStoreLoadOptions, TrustStoreRestoreOptions, TrustRevokeOptions } from './keys/trust-store.js';
export type { TrustedKey } from './keys/trust-store-document.js';
export {
  TRUST_ROLES, TRUST_STORE_CONTENT_TYPE, TRUST_STORE_DOCUMENT_VERSION, DEFAULT_TRUST_DOCUMENT_LIMITS, signTrustStoreDocument,
} from './keys/trust-store-document.js';
export type { TrustRole, TrustDocumentLimits, SignTrustStoreDocumentOptions } from './keys/trust-store-document.js';
export { DecisionLogError } from './errors.js';
export type { DecisionLogErrorCode } from './errors.js';
export {
  DECISION_RECORD_CONTENT_TYPE, decisionInputDigest, minimalDecisionInput, createDecisionRecord, parseDecisionRecord,
  encodeDecisionRecord, decodeDecisionRecord, decisionRecordDigest, MemoryDecisionLog, signDecisionRecord, verifyDecisionRecord,
  inspectSignedDecisionRecord, DecisionChain, DecisionChainVerifier, verifyDecisionChain,
} from './policy/audit/index.js';
export type {
  DecisionRecord, DecisionRecordInput, DecisionSubject, DecisionResource, DecisionEnvironment, DecisionBundle,
  CreateDecisionRecordOptions, DecisionLogSink, MemoryDecisionLogOptions, DecisionRecordSigner, SignDecisionRecordOptions,
  VerifyDecisionRecordOptions, DecisionRecordSignature, InspectedDecisionRecord, DecisionChainOptions, ChainedDecisionRecord,
  VerifyDecisionChainOptions, DecisionChainVerification,
} from './policy/audit/index.js';
export { PolicyEngine, DEFAULT_POLICY_ENTRYPOINT, compareRevisions, validateDecision } from './policy/evaluation/policy-engine.js';
export type { PolicySource, PolicyEngineOptions, EngineDecision, PolicyAdmission, PolicyDecider } from './policy/evaluation/policy-engine.js';
export { DEFAULT_POLICY_MEMORY_BYTES } from './policy/evaluation/wasm-policy.js';
export { POLICY_CONTEXT_LIMITS, canonicalPolicyInput, policyResourceOf } from './policy/evaluation/policy-input.js';
export { redactPayload } from './policy/enforcement/redact.js';
export { PolicyDeniedError } from './policy/enforcement/policy-gate.js';
export type { PolicyGateOptions } from './policy/enforcement/policy-gate.js';
export type {
  PolicyAction, PolicySubject, PolicyResource, PolicyEnvironment, PolicyInput, PolicyContext, PolicyContextValue, Obligation, PolicyDecision,
} from './policy/decision.js';
export { PolicyError } from './errors.js';
export type { PolicyErrorCode } from './errors.js';
export { DEFAULT_POLICY_BUNDLE_LIMITS, readPolicyBundle, signPolicyBundle } from './policy/distribution/bundle.js';
export type {
  PolicyBundle, PolicyBundleLimits, PolicyBundleSignature, PolicyBundleVerification,
  UnsignedBundleVerification, ReadPolicyBundleOptions, SignPolicyBundleOptions,
} from './policy/distribution/bundle.js';
export type { PolicyBundleManifest, PolicyBundleWasmEntry } from './policy/distribution/bundle-layout.js';
export type { OpaBundleVerification } from './policy/distribution/opa-signature.js';
export { POLICY_BUNDLE_CONTENT_TYPE } from './policy/distribution/ward-signature.js';
export type { WardBundleVerification } from './policy/distribution/ward-signature.js';
