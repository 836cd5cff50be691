/**
 * `@ward/core/cbor`: strict CBOR (RFC 8949) for COSE: a hostile-input decoder with limits and a
 * deterministic encoder on cbor-x, over Ward's CBOR data model, plus the frame writer COSE's
 * fixed-shape arrays use. Ward's own modules import it too.
 *
 * @module @ward/core/cbor
 */
export { CborSimple, CborTag } from './data-model.js';
export type { CborValue } from './data-model.js';
export { DEFAULT_CBOR_DECODE_LIMITS } from './limits.js';
export type { CborDecodeLimits } from './limits.js';
export { decodeCbor } from './decode.js';
export type { DecodeCborOptions } from './decode.js';
export { encodeCbor } from './encode.js';
export { EncodedCbor, encodeFrame, encodeHead } from './frame.js';
export type { FrameItem } from './frame.js';
