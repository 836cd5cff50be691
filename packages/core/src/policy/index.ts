/**
 * `@ward/core/policy`: policy in all four of its parts: the decision contract (input, decision,
 * obligations), evaluation (the OPA-wasm `PolicyEngine` and its input rules), enforcement
 * (the deny error and payload redaction), distribution (signed OPA bundles) and audit
 * (decision records, signed and hash-chained). An entry point over the policy layers, so it
 * sits above them (packages/core/src/layers.test.ts).
 *
 * @module @ward/core/policy
 */
export type {
  PolicyAction, PolicySubject, PolicyResource, PolicyEnvironment, PolicyInput, PolicyContext, PolicyContextValue, Obligation, PolicyDecision,
} from './decision.js';
export { PolicyEngine, DEFAULT_POLICY_ENTRYPOINT, compareRevisions, validateDecision } from './evaluation/policy-engine.js';
export type { PolicySource, PolicyEngineOptions, EngineDecision, PolicyAdmission, PolicyDecider } from './evaluation/policy-engine.js';
export { DEFAULT_POLICY_MEMORY_BYTES } from './evaluation/wasm-policy.js';
export { POLICY_CONTEXT_LIMITS, canonicalPolicyInput, policyResourceOf } from './evaluation/policy-input.js';
export { redactPayload } from './enforcement/redact.js';
export { PolicyDeniedError } from './enforcement/policy-gate.js';
export type { PolicyGateOptions } from './enforcement/policy-gate.js';
export { DEFAULT_POLICY_BUNDLE_LIMITS, readPolicyBundle, signPolicyBundle } from './distribution/bundle.js';
export type {
  PolicyBundle, PolicyBundleLimits, PolicyBundleSignature, PolicyBundleVerification,
  UnsignedBundleVerification, ReadPolicyBundleOptions, SignPolicyBundleOptions,
} from './distribution/bundle.js';
export type { OpaBundleVerification } from './distribution/opa-signature.js';
export type { PolicyBundleManifest, PolicyBundleWasmEntry } from './distribution/bundle-layout.js';
export { POLICY_BUNDLE_CONTENT_TYPE } from './distribution/ward-signature.js';
export type { WardBundleVerification } from './distribution/ward-signature.js';
export {
  DECISION_RECORD_CONTENT_TYPE, decisionInputDigest, minimalDecisionInput, createDecisionRecord, parseDecisionRecord,
  encodeDecisionRecord, decodeDecisionRecord, decisionRecordDigest, MemoryDecisionLog, signDecisionRecord, verifyDecisionRecord,
  inspectSignedDecisionRecord, DecisionChain, DecisionChainVerifier, verifyDecisionChain,
} from './audit/index.js';
export type {
  DecisionRecord, DecisionRecordInput, DecisionSubject, DecisionResource, DecisionEnvironment, DecisionBundle,
  CreateDecisionRecordOptions, DecisionLogSink, MemoryDecisionLogOptions, DecisionRecordSigner, SignDecisionRecordOptions,
  VerifyDecisionRecordOptions, DecisionRecordSignature, InspectedDecisionRecord, DecisionChainOptions, ChainedDecisionRecord,
  VerifyDecisionChainOptions, DecisionChainVerification,
} from './audit/index.js';
