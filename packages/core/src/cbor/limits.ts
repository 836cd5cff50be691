/*
 * Decoding limits. CBOR input is hostile (RFC 8949 §10: "Security Considerations"), so every
 * quantity an attacker controls has a ceiling, checked when a head declares it and before
 * anything is allocated for it.
 */
import { resolveLimits } from '../limits.js';

/**
 * Ceilings that {@link decodeCbor} enforces, each before allocating anything for the item
 * that would exceed it. Exceeding one throws a `DecodeError` with code `ERR_CBOR_LIMIT`.
 * Every limit is a non-negative integer or `Infinity`.
 *
 * @example
 * ```ts
 * import { decodeCbor, type CborDecodeLimits } from '@ward/core/cbor';
 *
 * const tight: Partial<CborDecodeLimits> = { maxBytes: 4096, maxDepth: 8 };
 * decodeCbor(bytes, tight);
 * ```
 */
export interface CborDecodeLimits {
  /** Largest input, in bytes. Default 16 MiB (16,777,216). */
  readonly maxBytes: number;
  /**
   * Deepest nesting: how many arrays, maps and tags may enclose one another. A top-level
   * scalar has depth 0; `[[1]]` has depth 2. Default 16.
   */
  readonly maxDepth: number;
  /** Most entries in one array. Default 1024. */
  readonly maxArrayEntries: number;
  /** Most key/value pairs in one map. Default 256. */
  readonly maxMapEntries: number;
  /**
   * Longest byte or text string, in bytes (for an indefinite-length string, the sum of its
   * chunks). Default: the value of `maxBytes` (16 MiB unless `maxBytes` is overridden).
   */
  readonly maxStringBytes: number;
  /**
   * Most data items in the whole input: every head counts (each scalar, string chunk, array,
   * map and tag), break codes do not. Default 65,536.
   */
  readonly maxItems: number;
}

/**
 * The default {@link CborDecodeLimits}: sized for COSE messages (a header map has a handful of
 * labels; a payload is one byte string of up to 16 MiB).
 *
 * | limit | default |
 * | --- | --- |
 * | `maxBytes` | 16 MiB (16,777,216) |
 * | `maxDepth` | 16 |
 * | `maxArrayEntries` | 1024 |
 * | `maxMapEntries` | 256 |
 * | `maxStringBytes` | `maxBytes` |
 * | `maxItems` | 65,536 |
 *
 * @example
 * ```ts
 * import { DEFAULT_CBOR_DECODE_LIMITS, decodeCbor } from '@ward/core/cbor';
 *
 * decodeCbor(bytes, { maxDepth: DEFAULT_CBOR_DECODE_LIMITS.maxDepth * 2 });
 * ```
 */
export const DEFAULT_CBOR_DECODE_LIMITS: Readonly<CborDecodeLimits> = Object.freeze({
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 16,
  maxArrayEntries: 1024,
  maxMapEntries: 256,
  maxStringBytes: 16 * 1024 * 1024,
  maxItems: 65536,
});


/**
 * Fills in the defaults for the limits `options` leaves out (`maxStringBytes` defaults to the
 * resolved `maxBytes`) and checks the ones it sets.
 *
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when a limit is not a non-negative
 *   integer or `Infinity`
 */
export function resolveDecodeLimits(options: Partial<CborDecodeLimits> | undefined): CborDecodeLimits {
  if (options === undefined) return DEFAULT_CBOR_DECODE_LIMITS;
  /* resolveLimits returns a fresh object, so an unstated maxStringBytes is set in place (one allocation per decode on the read path). */
  const resolved: { -readonly [K in keyof CborDecodeLimits]: number } = resolveLimits(DEFAULT_CBOR_DECODE_LIMITS, options, { what: 'CBOR decode option', kind: 'non-negative-or-infinity' });
  /* An unstated maxStringBytes follows maxBytes: no string can be longer than its input. */
  if (options.maxStringBytes === undefined) resolved.maxStringBytes = resolved.maxBytes;
  return resolved;
}
