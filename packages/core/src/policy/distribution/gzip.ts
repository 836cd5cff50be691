/*
 * gzip (RFC 1952) for policy bundles: a reader with a hard ceiling on what it inflates, and a
 * deterministic writer.
 *
 * fflate does the DEFLATE work (RFC 1951). This file owns the framing, because fflate's
 * streaming Gunzip is lenient where a verifier must not be: it never checks the CRC-32 or
 * ISIZE trailer, accepts a truncated trailer and up to three bytes of trailing garbage,
 * silently joins concatenated members, and ignores reserved header flags. So the header is
 * parsed here, the trailer is checked here, and where the one member ends is pinned with
 * fflate's public `onmember` callback: an empty gzip member (the sentinel) is pushed after the
 * input, and fflate must report the sentinel, and nothing else, starting exactly at the end of
 * the input.
 */
import { Gunzip, gzipSync } from 'fflate';
import { concatBytes } from '../../bytes.js';
import { PolicyError } from '../../errors.js';
import { bundleInvalid as invalid } from './refusal.js';

/** Input is pushed to the inflater in slices this size, so one push inflates at most ~1032× it (RFC 1951's best ratio). */
const PUSH_BYTES = 4096;
/** An empty gzip member: header (no flags, mtime 0), an empty final fixed-Huffman block, CRC-32 0, ISIZE 0. */
const SENTINEL = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0);
/** Header flags (RFC 1952 §2.3.1). */
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;
const RESERVED_FLAGS = 0xe0;

/** CRC-32 of RFC 1952 §8 (the ISO 3309 / ITU-T V.42 polynomial, reflected), one table. */
const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a CRC-32 (start from 0) over `bytes`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function le32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/** Offset just after the zero that ends the field starting at `offset`, which must end before `end`. */
function skipZeroTerminated(input: Uint8Array, offset: number, end: number, what: string): number {
  const zero = input.subarray(0, end).indexOf(0, offset);
  if (zero < 0) throw invalid(`gzip header ${what} is not terminated`);
  return zero + 1;
}

/** Checks the member header (RFC 1952 §2.3) and returns its length. */
function headerLength(input: Uint8Array): number {
  /* The smallest member: a 10-byte header, 2 bytes of DEFLATE, the 8-byte trailer. */
  if (input.length < 20) throw invalid('too short to be gzip');
  /* RFC 1952 §2.3.1.2: a decompressor must check ID1 ID2 (0x1f 0x8b) and CM (8, deflate, the only method defined). */
  if (input[0] !== 0x1f || input[1] !== 0x8b) throw invalid('not gzip (bad magic number)');
  if (input[2] !== 8) throw invalid('gzip compression method is not DEFLATE');
  const flags = input[3]!;
  /* RFC 1952 §2.3.1.2: a decompressor must refuse reserved flag bits, which could announce fields it would misread. */
  if ((flags & RESERVED_FLAGS) !== 0) throw invalid('gzip header sets reserved flags');
  const end = input.length - 8;
  let offset = 10;
  /* RFC 1952 §2.3.1.1 (FEXTRA: XLEN, then XLEN bytes), FNAME and FCOMMENT (zero-terminated); each must end before the trailer. */
  if (flags & FEXTRA) {
    const length = input[offset]! | (input[offset + 1]! << 8);
    offset += 2 + length;
  }
  if (flags & FNAME) offset = skipZeroTerminated(input, Math.min(offset, end), end, 'file name');
  if (flags & FCOMMENT) offset = skipZeroTerminated(input, Math.min(offset, end), end, 'comment');
  if (flags & FHCRC) {
    if (offset + 2 > end) throw invalid('gzip header is truncated');
    /* RFC 1952 §2.3.1: the header CRC is the low 16 bits of the CRC-32 of the header bytes before it. */
    const expected = input[offset]! | (input[offset + 1]! << 8);
    if ((crc32(input.subarray(0, offset)) & 0xffff) !== expected) throw invalid('gzip header CRC does not match');
    offset += 2;
  }
  /* Truncation: an FEXTRA length or field running into the trailer leaves no room for compressed data. */
  if (offset >= end) throw invalid('gzip header is truncated');
  return offset;
}

/**
 * Inflates a single-member gzip stream, refusing it as soon as the output passes
 * `maxOutputBytes`. Memory stays within about `maxOutputBytes` plus one push's worth of
 * output (~4 MiB), whatever the header's ISIZE claims; a gzip bomb stops after
 * `maxOutputBytes`. Refused, always with `ERR_POLICY_BUNDLE_INVALID`: a bad header, corrupt
 * DEFLATE data, more than one member, trailing bytes, a truncated stream, a CRC-32 or ISIZE
 * that does not match the output.
 */
export function gunzipBounded(input: Uint8Array, maxOutputBytes: number): Uint8Array {
  const header = headerLength(input);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let crc = 0;
  let over = false;
  const members: number[] = [];
  const gunzip = new Gunzip((chunk) => {
    total += chunk.length;
    /* Decompression bombs (RFC 1951 reaches ~1032:1): the output is counted as it is produced, never trusted from ISIZE. */
    if (total > maxOutputBytes) {
      over = true;
      return;
    }
    crc = crc32(chunk, crc);
    chunks.push(chunk);
  });
  gunzip.onmember = (offset): void => {
    members.push(offset);
  };
  const overLimit = (): PolicyError => invalid(`decompressed bundle exceeds maxUncompressedBytes (${maxOutputBytes})`);
  try {
    /* The whole header goes in the first push: fflate reads header fields from whatever it holds. */
    let offset = Math.min(input.length, header + PUSH_BYTES);
    gunzip.push(input.subarray(0, offset), false);
    while (offset < input.length && !over) {
      const next = Math.min(input.length, offset + PUSH_BYTES);
      gunzip.push(input.subarray(offset, next), false);
      offset = next;
    }
    if (over) throw overLimit();
    gunzip.push(SENTINEL, true);
  } catch (error) {
    if (PolicyError.isInstance(error)) throw error;
    throw invalid('gzip data is corrupt', error);
  }
  if (over) throw overLimit();
  /* RFC 1952 §2.2: a file may hold several members; a bundle is exactly one, ending exactly at the end of the input (no appended or trailing data). */
  if (members.length !== 1 || members[0] !== input.length) {
    throw invalid(members.some((m) => m < input.length) ? 'gzip stream holds more than one member' : 'gzip stream does not end where its data ends');
  }
  /* RFC 1952 §2.3.1: CRC32 and ISIZE (the length modulo 2^32) of the uncompressed data; §2.3.1.2 lets a decompressor skip them, a verifier does not (corruption, truncation). */
  if (le32(input, input.length - 8) !== crc) throw invalid('gzip CRC-32 does not match the data');
  if (le32(input, input.length - 4) !== total % 2 ** 32) throw invalid('gzip ISIZE does not match the data');
  return concatBytes(chunks);
}

/**
 * gzips `data` deterministically: maximum compression, modification time 0, no file name, so
 * the same input always gives the same bytes (for one version of fflate).
 */
export function gzipDeterministic(data: Uint8Array): Uint8Array {
  return gzipSync(data, { level: 9, mtime: 0 });
}
