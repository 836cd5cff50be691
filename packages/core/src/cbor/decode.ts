/*
 * Strict CBOR decoding for hostile input.
 *
 * One iterative pass over the item heads (RFC 8949 §3) checks well-formedness (RFC 8949
 * Appendix C gives the same walk as pseudocode; Appendix F lists the errors), validity
 * (UTF-8, duplicate keys: RFC 8949 §5.3.1) and the decoding limits (RFC 8949 §10), and builds
 * the values as it goes. Nothing is allocated for an item before its head has been checked
 * against the limits and against the input that remains, and nesting lives on an explicit
 * stack, so no input can exhaust memory or the call stack.
 *
 * Values are built here rather than by cbor-x: its decoder converts tags (0/1 to Date, 2/3 to
 * bigint, 258 to Set, 28/29 shared references…) through a process-wide extension table,
 * returns views that alias the input, accepts invalid UTF-8 and duplicate keys, and would need
 * this walk first anyway. A second pass would only add time (see decode.test.ts).
 */
import { ArgumentError, DecodeError } from '../errors.js';
import type { DecodeErrorCode } from '../errors.js';
import { CborSimple, CborTag, type CborValue } from './data-model.js';
import { encodeValue, isPreferredBignum } from './encode.js';
import { CANONICAL_NAN_HALF, decodeHalf, exactHalfBits } from './float.js';
import { canonicalKey, identityOf } from './key-equality.js';
import { compareByteRanges, concatBytes } from '../bytes.js';
import { resolveDecodeLimits, type CborDecodeLimits } from './limits.js';
import { decodeUtf8 } from './text.js';

/**
 * Options of {@link decodeCbor}: any of the {@link CborDecodeLimits} (each defaults to
 * {@link DEFAULT_CBOR_DECODE_LIMITS}) plus `requireDeterministic`.
 *
 * @example
 * ```ts
 * import { decodeCbor, type DecodeCborOptions } from '@ward/core/cbor';
 *
 * const forProtectedHeaders: DecodeCborOptions = { requireDeterministic: true, maxDepth: 4 };
 * const header = decodeCbor(protectedBytes, forProtectedHeaders);
 * ```
 */
export interface DecodeCborOptions extends Partial<CborDecodeLimits> {
  /**
   * Reject input that is not deterministically encoded (RFC 8949 §4.2.1), with code
   * `ERR_CBOR_MALFORMED` and the reason in the message: an argument (integer, length, count,
   * tag number) not in its shortest form, an indefinite length, map keys not in strictly
   * increasing bytewise order of their encodings (a key repeated byte for byte is still
   * `ERR_CBOR_DUPLICATE_KEY`), a float that a shorter precision would preserve, a NaN other
   * than `f9 7e 00`, or a tag 2/3 bignum with a leading zero byte or a value below 2^64
   * (RFC 8949 §3.4.3). Default `false`.
   */
  readonly requireDeterministic?: boolean;
  /**
   * Reject a float whose value is an integer (or −0), with code `ERR_CBOR_UNSUPPORTED`. Such a
   * float decodes to the same JavaScript number as the integer, so a caller that must tell
   * them apart (COSE labels and `alg` are `int / tstr`, RFC 9052 §3) sets this. Default `false`.
   */
  readonly rejectIntegralFloats?: boolean;
  /**
   * Return definite-length byte strings as views into `bytes` instead of copies, so decoding
   * costs the same however long the strings are. The views alias the input: a later write to
   * `bytes` changes them. For callers that only read the result, or copy what they keep (a
   * re-wrap carrying a large ciphertext over unchanged). Default `false`.
   */
  readonly byteStringViews?: boolean;
}

/** `Frame.remaining` of an indefinite-length array or map (RFC 8949 §3.2.2). */
const INDEFINITE = -1;
const TWO_32 = 4294967296;
/** Smallest argument allowed for additional information 24, 25, 26, 27 (RFC 8949 §4.2.1). */
const SHORTEST_ARGUMENT = [24, 0x100, 0x10000, TWO_32] as const;

/** An array, map or tag whose content is still being read: exactly one of `array` and `map` is set, or neither for a tag. */
class Frame {
  readonly array: CborValue[] | undefined;
  readonly map: Map<CborValue, CborValue> | undefined;
  /** Items still expected (map: pairs), or INDEFINITE. */
  remaining: number;
  /** Map: the key read, waiting for its value. */
  key: CborValue = undefined;
  hasKey = false;
  /** Map: where the key being read starts, and the span of the previous key (deterministic order). */
  keyStart = 0;
  previousKeyStart = -1;
  previousKeyEnd = -1;
  /** Map: deterministic encodings of the keys that are objects, for duplicate detection. */
  objectKeys: Set<string> | undefined;
  /** Map: representatives of the keys stored in `map` as another type (key-equality.ts). */
  numericKeys: Set<CborValue> | undefined;

  constructor(major: number, readonly start: number, remaining: number, readonly tag: number | bigint) {
    if (major === 4) this.array = [];
    else if (major === 5) this.map = new Map();
    this.remaining = remaining;
  }
}

class Reader {
  private pos = 0;
  private items = 0;
  private view: DataView | null = null;
  private readonly end: number;
  private readonly stack: Frame[] = [];

  constructor(
    private readonly input: Uint8Array,
    private readonly limits: CborDecodeLimits,
    private readonly deterministic: boolean,
    private readonly rejectIntegralFloats: boolean,
    private readonly byteStringViews: boolean,
  ) {
    this.end = input.length;
  }

  private fail(code: DecodeErrorCode, message: string, offset: number): never {
    throw new DecodeError(code, `${message} at offset ${offset}`);
  }

  /** Reads the one data item that must make up the whole input. */
  read(): CborValue {
    const { input, end, stack, deterministic, limits } = this;
    for (;;) {
      const start = this.pos;
      // RFC 8949 Appendix F, "too little data": the input ends inside an item
      if (start >= end) this.fail('ERR_CBOR_MALFORMED', 'unexpected end of input', start);
      const initial = input[start] as number;
      const major = initial >> 5;
      const info = initial & 0x1f;
      const top = stack[stack.length - 1];
      let value: CborValue;

      if (initial === 0xff) {
        // RFC 8949 §3.2.1: "break" only ends an indefinite-length array or map, and never
        // between a map key and its value
        if (top === undefined || top.remaining !== INDEFINITE) this.fail('ERR_CBOR_MALFORMED', 'unexpected break', start);
        if (top.hasKey) this.fail('ERR_CBOR_MALFORMED', 'break after a map key without its value', start);
        this.pos = start + 1;
        stack.pop();
        value = top.array ?? top.map;
      } else {
        // RFC 8949 §10: bound the total work
        if (++this.items > limits.maxItems) this.fail('ERR_CBOR_LIMIT', `more than maxItems (${limits.maxItems}) data items`, start);
        if (top?.map !== undefined && !top.hasKey) top.keyStart = start;
        this.pos = start + 1;
        if (major === 7) {
          value = this.readSimpleOrFloat(info, start);
        } else if (info === 31) {
          // RFC 8949 §3.2: indefinite length exists for major types 2-5 only
          if (major < 2 || major > 5) this.fail('ERR_CBOR_MALFORMED', `indefinite length for major type ${major}`, start);
          // RFC 8949 §4.2.1: deterministic encoding uses definite lengths only
          if (deterministic) this.fail('ERR_CBOR_MALFORMED', 'indefinite length (not deterministic)', start);
          if (major <= 3) {
            value = this.readIndefiniteString(major, start);
          } else {
            this.push(major, start, INDEFINITE, 0);
            continue;
          }
        } else {
          const argument = this.readArgument(info, start);
          switch (major) {
            case 0:
              value = argument <= Number.MAX_SAFE_INTEGER ? argument : this.readUint64(start + 1);
              break;
            case 1:
              value = argument < Number.MAX_SAFE_INTEGER ? -1 - argument : -1n - this.readUint64(start + 1);
              break;
            case 2:
            case 3:
              value = this.readString(major, argument, start);
              break;
            case 4:
            case 5:
              this.checkCount(major, argument, start);
              if (argument === 0) {
                this.checkDepth(start);
                value = major === 4 ? [] : new Map();
                break;
              }
              this.push(major, start, argument, 0);
              continue;
            default: // 6: RFC 8949 §3.4, a tag encloses exactly one data item
              this.push(major, start, 1, info === 27 && argument > Number.MAX_SAFE_INTEGER ? this.readUint64(start + 1) : argument);
              continue;
          }
        }
      }

      // Hand the finished item to its enclosing containers, closing every one it completes.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) {
          // RFC 8949 Appendix F, "too much data": one data item must be the whole input
          if (this.pos !== end) this.fail('ERR_CBOR_MALFORMED', 'trailing bytes after the data item', this.pos);
          return value;
        }
        const { array, map } = frame;
        if (array !== undefined) {
          if (frame.remaining === INDEFINITE && array.length >= limits.maxArrayEntries) {
            this.fail('ERR_CBOR_LIMIT', `array with more than maxArrayEntries (${limits.maxArrayEntries}) entries`, frame.start);
          }
          array.push(value);
          if (frame.remaining === INDEFINITE || --frame.remaining > 0) break;
          stack.pop();
          value = array;
        } else if (map !== undefined) {
          if (!frame.hasKey) {
            this.checkKey(frame, map, value);
            frame.key = value;
            frame.hasKey = true;
            break;
          }
          map.set(frame.key, value);
          frame.key = undefined;
          frame.hasKey = false;
          if (frame.remaining === INDEFINITE || --frame.remaining > 0) break;
          stack.pop();
          value = map;
        } else {
          stack.pop();
          // RFC 8949 §3.4.3: a bignum in preferred serialization has no leading zero byte and
          // does not fit in major type 0/1
          if (deterministic && (frame.tag === 2 || frame.tag === 3) && value instanceof Uint8Array && !isPreferredBignum(value)) {
            this.fail('ERR_CBOR_MALFORMED', 'bignum not in preferred serialization (not deterministic)', frame.start);
          }
          value = new CborTag(frame.tag, value);
        }
      }
    }
  }

  /** RFC 8949 §10: nesting is bounded; an array, map or tag at `start` would add one level. */
  private checkDepth(start: number): void {
    if (this.stack.length >= this.limits.maxDepth) {
      this.fail('ERR_CBOR_LIMIT', `nesting deeper than maxDepth (${this.limits.maxDepth})`, start);
    }
  }

  /** Opens an array (major type 4), map (5) or tag (6) whose head is at `start`. */
  private push(major: number, start: number, remaining: number, tag: number | bigint): void {
    this.checkDepth(start);
    this.stack.push(new Frame(major, start, remaining, tag));
  }

  /**
   * RFC 8949 §3: the argument of the head at `start`, whose additional information `info` is
   * not 31. Advances past the head. 8-byte arguments above 2^53 are approximate here; callers
   * that need them exactly re-read them with readUint64.
   */
  private readArgument(info: number, start: number): number {
    if (info < 24) return info;
    // RFC 8949 §3: additional information 28-30 is reserved, so not well-formed
    if (info > 27) this.fail('ERR_CBOR_MALFORMED', `reserved additional information ${info}`, start);
    const { input } = this;
    const at = start + 1;
    const size = 1 << (info - 24);
    this.need(start, 1 + size, 'a head');
    this.pos = at + size;
    let argument: number;
    if (info === 24) argument = input[at] as number;
    else if (info === 25) argument = ((input[at] as number) << 8) | (input[at + 1] as number);
    else if (info === 26) argument = this.readUint32(at);
    else argument = this.readUint32(at) * TWO_32 + this.readUint32(at + 4);
    // RFC 8949 §4.2.1: "The arguments ... MUST be as short as possible"
    if (this.deterministic && argument < SHORTEST_ARGUMENT[info - 24]!) {
      this.fail('ERR_CBOR_MALFORMED', 'argument not in its shortest form (not deterministic)', start);
    }
    return argument;
  }

  /** RFC 8949 Appendix F, "too little data": the `length` bytes of a head or float at `start` are all there. */
  private need(start: number, length: number, what: string): void {
    if (start + length > this.end) this.fail('ERR_CBOR_MALFORMED', `unexpected end of input in ${what}`, start);
  }

  private readUint32(at: number): number {
    const { input } = this;
    return (((input[at] as number) << 24) >>> 0) + (((input[at + 1] as number) << 16) | ((input[at + 2] as number) << 8) | (input[at + 3] as number));
  }

  /** The exact 8-byte argument at `at` (already bounds-checked) as a bigint. */
  private readUint64(at: number): bigint {
    return (BigInt(this.readUint32(at)) << 32n) | BigInt(this.readUint32(at + 4));
  }

  private getView(): DataView {
    return (this.view ??= new DataView(this.input.buffer, this.input.byteOffset, this.input.byteLength));
  }

  /** RFC 8949 §3.3: major type 7, except break. */
  private readSimpleOrFloat(info: number, start: number): CborValue {
    const value = this.readMajor7(info, start);
    // Ward's profile: 1.0 and 1 would be two spellings of one JavaScript number (and one map key)
    if (this.rejectIntegralFloats && info >= 25 && Number.isInteger(value)) {
      this.fail('ERR_CBOR_UNSUPPORTED', 'float with an integral value (indistinguishable from an integer)', start);
    }
    return value;
  }

  private readMajor7(info: number, start: number): CborValue {
    if (info < 20) return new CborSimple(info);
    switch (info) {
      case 20: return false;
      case 21: return true;
      case 22: return null;
      case 23: return undefined;
      case 24: {
        this.need(start, 2, 'a head');
        const simple = this.input[start + 1] as number;
        // RFC 8949 §3.3: a two-byte simple value below 32 is not well-formed
        if (simple < 32) this.fail('ERR_CBOR_MALFORMED', `two-byte simple value ${simple} below 32`, start);
        this.pos = start + 2;
        return new CborSimple(simple);
      }
      case 25: {
        this.need(start, 3, 'a float');
        const half = ((this.input[start + 1] as number) << 8) | (this.input[start + 2] as number);
        this.pos = start + 3;
        const value = decodeHalf(half);
        // RFC 8949 §4.2.2: one NaN, 0x7e00 (Ward's data model keeps no NaN payload)
        if (this.deterministic && Number.isNaN(value) && half !== CANONICAL_NAN_HALF) {
          this.fail('ERR_CBOR_MALFORMED', 'NaN other than f9 7e 00 (not deterministic)', start);
        }
        return value;
      }
      case 26: {
        this.need(start, 5, 'a float');
        const value = this.getView().getFloat32(start + 1);
        this.pos = start + 5;
        // RFC 8949 §4.2.1: the shortest float that preserves the value (and §4.2.2 for NaN)
        if (this.deterministic && (Number.isNaN(value) || exactHalfBits(value) >= 0)) {
          this.fail('ERR_CBOR_MALFORMED', 'single-precision float that half precision preserves (not deterministic)', start);
        }
        return value;
      }
      case 27: {
        this.need(start, 9, 'a float');
        const value = this.getView().getFloat64(start + 1);
        this.pos = start + 9;
        // RFC 8949 §4.2.1: the shortest float that preserves the value (and §4.2.2 for NaN)
        if (this.deterministic && (Number.isNaN(value) || Math.fround(value) === value)) {
          this.fail('ERR_CBOR_MALFORMED', 'double-precision float that a shorter float preserves (not deterministic)', start);
        }
        return value;
      }
      default: // 28-30 (31, break, is handled by the caller)
        return this.fail('ERR_CBOR_MALFORMED', `reserved additional information ${info}`, start);
    }
  }

  /** RFC 8949 §3.1: a definite-length string of `length` bytes whose head starts at `start`. */
  private readString(major: number, length: number, start: number): CborValue {
    const { pos, limits } = this;
    // RFC 8949 §10: a declared length is checked against the limit and the remaining input
    // before anything is allocated, so a 9-byte head cannot make the decoder reserve gigabytes
    if (length > limits.maxStringBytes) {
      this.fail('ERR_CBOR_LIMIT', `string longer than maxStringBytes (${limits.maxStringBytes})`, start);
    }
    if (length > this.end - pos) this.fail('ERR_CBOR_MALFORMED', 'string longer than the remaining input', start);
    this.pos = pos + length;
    if (major === 2) return this.byteStringViews ? this.input.subarray(pos, pos + length) : this.input.slice(pos, pos + length);
    const text = decodeUtf8(this.input, pos, pos + length);
    // RFC 8949 §5.3.1: a text string must be valid UTF-8
    if (text === undefined) this.fail('ERR_CBOR_MALFORMED', 'invalid UTF-8 in a text string', start);
    return text;
  }

  /**
   * RFC 8949 §3.2.3: an indefinite-length string is a sequence of definite-length chunks of
   * the same major type, ended by a break; its value is their concatenation. Each text chunk
   * must be valid UTF-8 by itself.
   */
  private readIndefiniteString(major: number, start: number): CborValue {
    const { input, end, limits } = this;
    const chunks: Array<Uint8Array | string> = [];
    let total = 0;
    for (;;) {
      const at = this.pos;
      if (at >= end) this.fail('ERR_CBOR_MALFORMED', 'indefinite-length string without a break', start);
      const initial = input[at] as number;
      if (initial === 0xff) {
        this.pos = at + 1;
        break;
      }
      if (initial >> 5 !== major) this.fail('ERR_CBOR_MALFORMED', 'chunk of another major type in an indefinite-length string', at);
      const info = initial & 0x1f;
      if (info === 31) this.fail('ERR_CBOR_MALFORMED', 'indefinite-length chunk in an indefinite-length string', at);
      if (++this.items > limits.maxItems) this.fail('ERR_CBOR_LIMIT', `more than maxItems (${limits.maxItems}) data items`, at);
      this.pos = at + 1;
      const length = this.readArgument(info, at);
      // RFC 8949 §10: the chunks together, not only each chunk, stay within maxStringBytes
      if (length > limits.maxStringBytes - total) {
        this.fail('ERR_CBOR_LIMIT', `string longer than maxStringBytes (${limits.maxStringBytes})`, start);
      }
      total += length;
      const chunk = this.readString(major, length, at);
      chunks.push(chunk as Uint8Array | string);
    }
    return major === 3 ? (chunks as string[]).join('') : concatBytes(chunks as Uint8Array[]);
  }

  /**
   * RFC 8949 §10: entry counts are bounded, and checked against the remaining input (each
   * array entry takes at least one byte, each map entry two) before anything is allocated.
   */
  private checkCount(major: number, count: number, start: number): void {
    const isArray = major === 4;
    const name = isArray ? 'array' : 'map';
    const limit = isArray ? 'maxArrayEntries' : 'maxMapEntries';
    if (count > this.limits[limit]) this.fail('ERR_CBOR_LIMIT', `${name} with more than ${limit} (${this.limits[limit]}) entries`, start);
    if (count * (isArray ? 1 : 2) > this.end - this.pos) {
      this.fail('ERR_CBOR_MALFORMED', `${name} with more entries than the remaining input can hold`, start);
    }
  }

  /** A map key has been read (it spans `frame.keyStart` to the current position): check it. */
  private checkKey(frame: Frame, map: Map<CborValue, CborValue>, key: CborValue): void {
    const { input, limits } = this;
    const keyEnd = this.pos;
    // RFC 8949 §10: an indefinite-length map declares no count, so its entries are counted here
    if (map.size >= limits.maxMapEntries) {
      this.fail('ERR_CBOR_LIMIT', `map with more than maxMapEntries (${limits.maxMapEntries}) entries`, frame.start);
    }
    if (this.deterministic) {
      // RFC 8949 §4.2.1: keys sorted by the bytewise lexicographic order of their encodings
      if (frame.previousKeyEnd >= 0) {
        const order = compareByteRanges(input, frame.previousKeyStart, frame.previousKeyEnd, input, frame.keyStart, keyEnd);
        if (order === 0) this.fail('ERR_CBOR_DUPLICATE_KEY', 'duplicate map key', frame.keyStart);
        if (order > 0) this.fail('ERR_CBOR_MALFORMED', 'map keys not in bytewise lexicographic order (not deterministic)', frame.keyStart);
      }
      frame.previousKeyStart = frame.keyStart;
      frame.previousKeyEnd = keyEnd;
    }
    // RFC 8949 §5.6, §5.6.1, §5.3.1: keys are compared by value (key-equality.ts), so a key
    // cannot be smuggled past a reader as a second spelling of one it already holds: 1 written
    // as 01, 18 01 or f9 3c 00 is one key; so are 0 and -0.0, and 2^53 as an integer (a
    // bigint), a float (a number) or a tag 2 bignum. Keys that are objects are compared by
    // the deterministic encoding of their representative.
    let canonical: CborValue;
    try {
      canonical = canonicalKey(key);
    } catch (error) {
      throw new DecodeError('ERR_CBOR_LIMIT', `map key nested too deep to compare at offset ${frame.keyStart}`, { cause: error });
    }
    let duplicate: boolean;
    if (typeof canonical === 'object' && canonical !== null) {
      const identity = this.keyIdentity(canonical, frame.keyStart);
      frame.objectKeys ??= new Set();
      duplicate = frame.objectKeys.has(identity);
      frame.objectKeys.add(identity);
    } else {
      // `map` holds the keys as read; a key whose representative is of another type (the float
      // 2^53 is the bigint 2^53n, a bignum is its integer) is also remembered by representative
      duplicate = map.has(canonical) || frame.numericKeys?.has(canonical) === true;
      if (typeof canonical !== typeof key || typeof key === 'object') (frame.numericKeys ??= new Set()).add(canonical);
    }
    // RFC 8949 §5.6: a map with a duplicate key is invalid. Accepting one would let two readers
    // of the same bytes see different values (one keeps the first, another the last).
    if (duplicate) this.fail('ERR_CBOR_DUPLICATE_KEY', 'duplicate map key', frame.keyStart);
  }

  private keyIdentity(key: CborValue, offset: number): string {
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(key, false);
    } catch (error) {
      // A key's representative is always encodable, unless it nests deeper than MAX_ENCODE_DEPTH
      throw new DecodeError('ERR_CBOR_LIMIT', `map key nested too deep to compare at offset ${offset}`, { cause: error });
    }
    return identityOf(bytes);
  }
}

/**
 * Decodes one CBOR data item (RFC 8949) from hostile input, strictly.
 *
 * The input must be exactly one well-formed, valid data item: truncation, reserved additional
 * information (28–30), misused indefinite lengths and break codes, two-byte simple values
 * below 32, invalid UTF-8, duplicate map keys and trailing bytes are all rejected. Map keys
 * are compared by value in the data model, so `a2 01 00 18 01 00` (key 1 written twice,
 * differently) is a duplicate, and so are the keys 1 and 1.0, 0 and −0.0, and the integer,
 * float and tag 2 bignum forms of 2^53: numerically equal keys are one key. Every limit of
 * {@link CborDecodeLimits} is checked before anything is allocated for the item that would
 * exceed it. The walk is iterative (no recursion, whatever the nesting) and its work is
 * bounded by the limits.
 *
 * Returns a value of Ward's data model ({@link CborValue}): maps are always `Map`s, tags are
 * {@link CborTag}s (bignums included), integers are `number`s when safe and `bigint`s
 * otherwise. Byte strings are copies, never views of `bytes`, unless `byteStringViews` is set.
 * Indefinite-length strings are concatenated.
 *
 * Nothing partial is ever returned, and nothing but {@link WardError}s is thrown.
 *
 * @param bytes - the encoded data item
 * @param options - limits (defaults: {@link DEFAULT_CBOR_DECODE_LIMITS}), `requireDeterministic`,
 *   `rejectIntegralFloats` and `byteStringViews`
 * @returns the decoded value
 * @throws {@link DecodeError} `ERR_CBOR_MALFORMED` for input that is not well-formed or not
 *   valid (invalid UTF-8), and with `requireDeterministic` for input that is not
 *   deterministically encoded; the message gives the reason and the byte offset
 * @throws {@link DecodeError} `ERR_CBOR_LIMIT` when the input exceeds a limit
 * @throws {@link DecodeError} `ERR_CBOR_DUPLICATE_KEY` when a map holds one key twice
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `bytes` is not a `Uint8Array` or an
 *   option is invalid
 *
 * @example
 * ```ts
 * import { decodeCbor } from '@ward/core/cbor';
 * import { DecodeError } from '@ward/core/errors';
 *
 * decodeCbor(Uint8Array.of(0xa1, 0x01, 0x26)); // Map { 1 => -7 }
 * try {
 *   decodeCbor(untrusted, { requireDeterministic: true, maxBytes: 8192 });
 * } catch (error) {
 *   if (DecodeError.isInstance(error)) console.warn(error.code, error.message);
 *   // e.g. ERR_CBOR_MALFORMED "unexpected end of input at offset 57"
 * }
 * ```
 */
export function decodeCbor(bytes: Uint8Array, options?: DecodeCborOptions): CborValue {
  if (!(bytes instanceof Uint8Array)) throw new ArgumentError('CBOR input must be a Uint8Array');
  const limits = resolveDecodeLimits(options);
  const deterministic = options?.requireDeterministic ?? false;
  if (typeof deterministic !== 'boolean') throw new ArgumentError('requireDeterministic must be a boolean');
  const rejectIntegralFloats = options?.rejectIntegralFloats ?? false;
  if (typeof rejectIntegralFloats !== 'boolean') throw new ArgumentError('rejectIntegralFloats must be a boolean');
  const byteStringViews = options?.byteStringViews ?? false;
  if (typeof byteStringViews !== 'boolean') throw new ArgumentError('byteStringViews must be a boolean');
  if (bytes.length > limits.maxBytes) {
    throw new DecodeError('ERR_CBOR_LIMIT', `input of ${bytes.length} bytes exceeds maxBytes (${limits.maxBytes}) at offset 0`);
  }
  // A subclass (Node's Buffer) would make slice() return views; read through a plain view
  const input = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Reader(input, limits, deterministic, rejectIntegralFloats, byteStringViews).read();
}
