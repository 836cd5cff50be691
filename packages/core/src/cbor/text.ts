/*
 * Text strings (RFC 8949 §3.1, major type 3) are UTF-8 (RFC 3629). Decoding is strict: invalid
 * UTF-8 makes a data item invalid (RFC 8949 §5.3.1), and Ward rejects it instead of replacing
 * bytes with U+FFFD. A leading U+FEFF is content, not a byte order mark, so it is kept.
 * Encoding needs well-formed UTF-16 (a lone surrogate has no UTF-8 encoding): that rule is
 * core's one text rule, in ../text.ts.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strings up to this many bytes are decoded by hand when they are ASCII (faster than TextDecoder). */
const ASCII_FAST_PATH_BYTES = 32;

/**
 * The string that bytes `start..end` of `input` encode in UTF-8, or `undefined` when they are
 * not well-formed UTF-8 (overlong forms, surrogates, code points above U+10FFFF, truncated
 * sequences).
 */
export function decodeUtf8(input: Uint8Array, start: number, end: number): string | undefined {
  if (end - start <= ASCII_FAST_PATH_BYTES) {
    let ascii = '';
    let i = start;
    for (; i < end; i++) {
      const byte = input[i] as number;
      if (byte >= 0x80) break;
      ascii += String.fromCharCode(byte);
    }
    if (i === end) return ascii;
  }
  try {
    return strictUtf8.decode(input.subarray(start, end));
  } catch {
    return undefined;
  }
}
