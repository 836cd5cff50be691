/*
 * Decision logs: one record per policy decision, written through a sink, so an auditor can see
 * who asked for what data, what was decided and why, under which policy revision and with
 * which keys; and, when records are signed (COSE_Sign1, RFC 9052 §4.2) and hash-chained, check
 * that the log was not altered, reordered or cut in the middle. This file only re-exports the
 * folder's public names: record.ts (the record and its rules), encoding.ts (the canonical
 * encoding and digests), create-record.ts (making a record), memory-log.ts (sinks),
 * signed-record.ts (COSE_Sign1 records) and chain.ts (hash chains).
 */
export { parseDecisionRecord } from './record.js';
export type {
  DecisionRecord, DecisionRecordInput, DecisionSubject, DecisionResource, DecisionEnvironment, DecisionBundle,
} from './record.js';
export { decisionInputDigest, encodeDecisionRecord, decodeDecisionRecord, decisionRecordDigest } from './encoding.js';
export { minimalDecisionInput, createDecisionRecord } from './create-record.js';
export type { CreateDecisionRecordOptions } from './create-record.js';
export { MemoryDecisionLog } from './memory-log.js';
export type { DecisionLogSink, MemoryDecisionLogOptions } from './memory-log.js';
export {
  DECISION_RECORD_CONTENT_TYPE, signDecisionRecord, verifyDecisionRecord, inspectSignedDecisionRecord,
} from './signed-record.js';
export type {
  DecisionRecordSigner, SignDecisionRecordOptions, VerifyDecisionRecordOptions, DecisionRecordSignature, InspectedDecisionRecord,
} from './signed-record.js';
export { DecisionChain, DecisionChainVerifier, verifyDecisionChain } from './chain.js';
export type {
  DecisionChainOptions, ChainedDecisionRecord, VerifyDecisionChainOptions, DecisionChainVerification,
} from './chain.js';
