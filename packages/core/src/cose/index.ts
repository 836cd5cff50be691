/**
 * `@ward/core/cose`: the COSE structures of RFC 9052 on their own, below the envelope profile:
 * Sign1, Mac0, Encrypt0 and Encrypt (create and verify/decrypt), the header helpers and the
 * COSE_Key parameters of key-agreement recipients. Most applications use the envelope
 * operations of `@ward/core` instead; these are for protocols that need the bare structures.
 *
 * @module @ward/core/cose
 */
export { CoseAlgorithm } from './algorithms.js';
export type { CoseAlgorithmId } from './algorithms.js';
export { HeaderLabel, encodeProtectedHeader, decodeProtectedHeader, asUnprotectedHeader, checkHeaders } from './headers.js';
export type { HeaderMap, HeaderRules } from './headers.js';
export { CoseTag, DEFAULT_MAX_HEADER_BYTES } from './message.js';
export type { CoseDecodeOptions, DecodedHeaders } from './message.js';
export type { KeyLookup, KeySource } from './key-lookup.js';
export { CoseKeyLabel, CoseKeyOp, agreementAlgorithmOfCose, agreementPublicKeyToCose, agreementPublicKeyFromCose } from './cose-key.js';
export type {
  CoseKey, CoseKeyType, CoseCurve, CoseKeyOpValue, CoseKeyCommon, OkpCoseKey, Ec2CoseKey, SymmetricCoseKey,
} from './cose-key.js';
export { createSign1, verifySign1 } from './sign1.js';
export type { CreateSign1Options, VerifySign1Options, VerifiedSign1 } from './sign1.js';
export { createMac0, verifyMac0 } from './mac0.js';
export type { CreateMac0Options, VerifyMac0Options, VerifiedMac0 } from './mac0.js';
export { createEncrypt0, decryptEncrypt0 } from './encrypt0.js';
export type { CreateEncrypt0Options, DecryptEncrypt0Options, DecryptedEncrypt0 } from './encrypt0.js';
export { DEFAULT_MAX_RECIPIENTS, createEncrypt, decryptEncrypt } from './encrypt.js';
export type {
  CreateEncryptOptions, DecryptEncryptOptions, DecryptedEncrypt, RecipientSpec, RecipientKey, RecipientLookup, RecipientSource,
  KeyWrapRecipient, KeyAgreementRecipient,
} from './encrypt.js';
