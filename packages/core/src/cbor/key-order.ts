/*
 * Map key order for deterministic encoding: keys sorted by the bytewise lexicographic order of
 * their deterministic encodings (RFC 8949 §4.2.1). A shorter encoding that is a prefix of a
 * longer one sorts first.
 */

/**
 * Compares bytes `aStart..aEnd` of `a` with bytes `bStart..bEnd` of `b` in bytewise
 * lexicographic order: negative when the first sorts first, 0 when equal, positive otherwise.
 */
export function compareBytes(
  a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number,
): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const common = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < common; i++) {
    const difference = (a[aStart + i] as number) - (b[bStart + i] as number);
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}
