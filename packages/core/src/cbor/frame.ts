/*
 * Fast deterministic encoding of COSE's fixed-shape arrays (Sig_structure, MAC_structure,
 * Enc_structure, and the messages themselves): arrays of byte strings, text strings, null and
 * items already encoded by `encodeCbor`. Heads are written in the shortest form
 * (RFC 8949 §4.2.1) straight into one buffer, and each byte string is copied once; the
 * general encoder would validate and rebuild the tree first. Output is byte-identical to
 * `encodeCbor` of the same value (frame.test.ts).
 */
import type { CborValue } from './data-model.js';
import { encodeCbor } from './encode.js';

/**
 * A CBOR data item already in deterministic encoding, spliced into a frame verbatim.
 *
 * @example
 * ```ts
 * const unprotected = new EncodedCbor(encodeCbor(new Map([[5, iv]])));
 * const message = encodeFrame([protectedBytes, unprotected, ciphertext], 16);
 * ```
 */
export class EncodedCbor {
  /** @param bytes - one complete, deterministically encoded data item */
  constructor(readonly bytes: Uint8Array) {}

  /**
   * Encodes `value` with {@link encodeCbor} for splicing.
   *
   * @param value - any value of Ward's CBOR data model
   * @returns the encoded item
   * @example
   * ```ts
   * const emptyMap = EncodedCbor.of(new Map());
   * ```
   */
  static of(value: CborValue): EncodedCbor {
    return new EncodedCbor(encodeCbor(value));
  }
}

/** An item of a frame: a byte string, a text string, `null`, or an already encoded item. */
export type FrameItem = Uint8Array | string | null | EncodedCbor;

const utf8 = new TextEncoder();
const MAX_HEAD = 9;

function writeHead(out: Uint8Array, offset: number, major: number, argument: number): number {
  const type = major << 5;
  if (argument < 24) {
    out[offset] = type | argument;
    return offset + 1;
  }
  if (argument < 0x100) {
    out[offset] = type | 24;
    out[offset + 1] = argument;
    return offset + 2;
  }
  if (argument < 0x10000) {
    out[offset] = type | 25;
    out[offset + 1] = argument >> 8;
    out[offset + 2] = argument & 0xff;
    return offset + 3;
  }
  if (argument < 0x100000000) {
    out[offset] = type | 26;
    out[offset + 1] = argument >>> 24;
    out[offset + 2] = (argument >> 16) & 0xff;
    out[offset + 3] = (argument >> 8) & 0xff;
    out[offset + 4] = argument & 0xff;
    return offset + 5;
  }
  out[offset] = type | 27;
  const high = Math.floor(argument / 0x100000000);
  const view = new DataView(out.buffer, out.byteOffset + offset + 1, 8);
  view.setUint32(0, high);
  view.setUint32(4, argument >>> 0);
  return offset + 9;
}

/**
 * The head of a data item (RFC 8949 §3): major type and argument in the shortest form. With a
 * byte string's head, a caller can emit the string's content as a separate part without
 * copying it (an envelope written with `writev`).
 *
 * @param major - the major type, 0 to 7
 * @param argument - the argument: a length, count, tag number or integer, below 2^53
 * @returns the head's bytes (1 to 9)
 * @example
 * ```ts
 * const parts = [encodeHead(2, ciphertext.length), ciphertext]; // a byte string, in two parts
 * ```
 */
export function encodeHead(major: number, argument: number): Uint8Array {
  const out = new Uint8Array(MAX_HEAD);
  return out.subarray(0, writeHead(out, 0, major, argument));
}

/**
 * Deterministically encodes the array `items`, optionally inside tag `tag`: the same bytes
 * `encodeCbor(new CborTag(tag, items))` gives, without the general encoder's tree rebuild.
 *
 * @param items - byte strings, text strings, `null`, or {@link EncodedCbor} items
 * @param tag - an optional tag number below 2^32 (COSE message tags)
 * @returns the encoding
 * @example
 * ```ts
 * const toBeSigned = encodeFrame(['Signature1', protectedBytes, externalAad, payload]);
 * ```
 */
export function encodeFrame(items: readonly FrameItem[], tag?: number): Uint8Array {
  const texts: (Uint8Array | undefined)[] = [];
  let size = 2 * MAX_HEAD;
  for (const item of items) {
    let encodedText: Uint8Array | undefined;
    if (typeof item === 'string') {
      encodedText = utf8.encode(item);
      size += MAX_HEAD + encodedText.length;
    } else if (item instanceof Uint8Array) size += MAX_HEAD + item.length;
    else if (item instanceof EncodedCbor) size += item.bytes.length;
    else size += 1;
    texts.push(encodedText);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  if (tag !== undefined) offset = writeHead(out, offset, 6, tag);
  offset = writeHead(out, offset, 4, items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const text = texts[i];
    if (text !== undefined) {
      offset = writeHead(out, offset, 3, text.length);
      out.set(text, offset);
      offset += text.length;
    } else if (item instanceof Uint8Array) {
      offset = writeHead(out, offset, 2, item.length);
      out.set(item, offset);
      offset += item.length;
    } else if (item instanceof EncodedCbor) {
      out.set(item.bytes, offset);
      offset += item.bytes.length;
    } else {
      out[offset++] = 0xf6; // null (RFC 8949 §3.3)
    }
  }
  return out.subarray(0, offset);
}
