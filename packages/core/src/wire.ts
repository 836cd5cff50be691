/**
 * `@ward/core/wire`: the wire vocabulary alone: the numbers and strings that appear on the wire
 * (COSE header labels, message tags, algorithm identifiers, COSE_Key labels and operations,
 * Ward's own header labels, claim and attribute keys, content formats and types, the re-wrap
 * record keys, CBOR tags). For code that reads or builds Ward's bytes itself, such as an
 * independent decoder or a test; SPEC.md explains each one. Constants only: no functions.
 *
 * @module @ward/core/wire
 */
export { CborSimple, CborTag } from './cbor/data-model.js';
export { CoseAlgorithm } from './cose/algorithms.js';
export type { CoseAlgorithmId } from './cose/algorithms.js';
export { HeaderLabel } from './cose/headers.js';
export { CoseTag } from './cose/message.js';
export { CoseKeyLabel } from './cose/cose-key.js';
export { CoseKeyOp } from './cose/cose-key.js';
export type { CoseKeyOpValue } from './cose/cose-key.js';
export { WardHeaderLabel, ClaimKey, AttributeKey, ContentFormat, RewrapRecordKey } from './profile/labels.js';
export { TRUST_STORE_CONTENT_TYPE, TRUST_STORE_DOCUMENT_VERSION } from './keys/trust-store-document.js';
export { POLICY_BUNDLE_CONTENT_TYPE } from './policy/distribution/ward-signature.js';
export { DECISION_RECORD_CONTENT_TYPE } from './policy/audit/index.js';
