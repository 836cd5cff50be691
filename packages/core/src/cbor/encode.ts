/*
 * Deterministic CBOR encoding (RFC 8949 §4.2.1, "core deterministic encoding") on cbor-x.
 *
 * cbor-x writes the bytes; Ward decides what it is given. Its defaults are not valid COSE and
 * some of its output is not deterministic, so every value first goes through `prepare`, which
 * validates it against Ward's data model and rewrites it into a tree on which cbor-x's output
 * is exactly the deterministic encoding:
 *
 * - Maps are rebuilt with their entries in the bytewise order of their encoded keys (cbor-x
 *   writes insertion order); equal encoded keys are an error.
 * - Integers whose argument fits in 32 bits stay `number`s (cbor-x writes them shortest);
 *   larger ones become `bigint`s, which cbor-x writes with an 8-byte argument, the shortest
 *   for them. cbor-x would write a safe integer above 2^32 as a float64.
 * - Floats, simple values other than false/true/null/undefined, the integer −2^64 and tag
 *   numbers of 2^32 or more are things cbor-x cannot write in preferred form (it has no
 *   half precision at all). They become `Raw` nodes: bytes Ward writes itself, with the
 *   cbor-x-encodable subtrees between them still written by cbor-x.
 * - Byte strings, text strings, arrays, map headers, small integers and tags below 2^32 are
 *   cbor-x's: it writes their heads in the shortest form (RFC 8949 §4.2.1) once configured
 *   with `ENGINE_OPTIONS` below.
 *
 * cbor-x keeps its extension table in module state: a library that calls cbor-x's global
 * `addExtension` for `Uint8Array` would change what it writes for byte strings here too.
 * encode.test.ts and the vector tests pin the bytes.
 */
import { Encoder, Tag } from 'cbor-x';
import { DecodeError } from '../errors.js';
import { CborSimple, CborTag, type CborValue } from './data-model.js';
import { encodeFloat } from './float.js';
import { canonicalKey, identityOf, mayHaveOtherEncoding } from './key-equality.js';
import { compareBytes } from '../bytes.js';
import { isWellFormedOrEmptyText } from '../text.js';

/**
 * cbor-x configuration. Each option turns off a default or an extension that is not plain
 * RFC 8949 or would break determinism; `encode.test.ts` checks the resulting bytes.
 */
const ENGINE_OPTIONS = {
  /** No records: cbor-x's private tags (0xdfff, 0xe000…) around shared object structures. */
  useRecords: false,
  /** Maps are `Map`s, never plain objects. */
  mapsAsObjects: false,
  /** No tag 259 around maps (cbor-x adds it when `mapsAsObjects` is on). */
  useTag259ForMaps: false,
  /** No tag 64 around byte strings (cbor-x's default on Node). */
  tagUint8Array: false,
  /** Shortest map headers (cbor-x may otherwise reserve a 16-bit count for objects). */
  variableMapSize: true,
  /** No shared-value packing (tags 6 and 51), string bundles, value sharing (tags 28/29). */
  pack: false,
  bundleStrings: false,
  structuredClone: false,
  /** No self-described CBOR prefix (tag 55799), no toJSON, no lossy conversions. */
  useSelfDescribedHeader: false,
  useToJSON: false,
  largeBigIntToFloat: false,
  alwaysUseFloat: false,
  useFloat32: 0,
};

/**
 * cbor-x's `RESET_BUFFER_MODE` flag (encode.js, not re-exported by its index): reuse the same
 * region of cbor-x's buffer on every call. Safe because every result is copied out at once.
 */
const RESET_BUFFER_MODE = 1024;

type Engine = { encode(value: unknown, mode: number): Uint8Array };
const engine = new Encoder(ENGINE_OPTIONS as ConstructorParameters<typeof Encoder>[0]) as unknown as Engine;

/**
 * Deepest nesting of arrays, maps and tags `encodeCbor` writes. Guards the recursion (in Ward
 * and in cbor-x) against cyclic values; 64 times the decoder's default `maxDepth`.
 */
export const MAX_ENCODE_DEPTH = 1024;

const TWO_32 = 4294967296;
const TWO_64 = 1n << 64n;
const MIN_NEGATIVE_64 = -TWO_64;

/** Bytes Ward writes itself (`head`), followed by the encodings of `children` in order. */
class Raw {
  constructor(readonly head: Uint8Array, readonly children: readonly unknown[]) {}
}

/**
 * One map entry on its way to the sorted map: the prepared key and value, and what its key
 * sorts by. Integer keys (COSE labels) compare as numbers; others by their encoding, computed
 * once, on first comparison.
 */
interface Entry {
  readonly key: unknown;
  readonly value: unknown;
  /** The prepared key when it is a `number` (then an integer in [−2^32, 2^32)), else NaN. */
  readonly integer: number;
  /** The key's deterministic encoding (set lazily for integer keys). */
  encoded: Uint8Array | undefined;
}

/**
 * The head of a data item (RFC 8949 §3): major type `major` with argument `argument`, in the
 * shortest form (RFC 8949 §4.2.1). `argument` is below 2^64.
 */
export function encodeHead(major: number, argument: number | bigint): Uint8Array {
  const type = major << 5;
  if (typeof argument === 'bigint' && argument < TWO_32) argument = Number(argument);
  if (typeof argument === 'number') {
    if (argument < 24) return Uint8Array.of(type | argument);
    if (argument < 0x100) return Uint8Array.of(type | 24, argument);
    if (argument < 0x10000) return Uint8Array.of(type | 25, argument >> 8, argument & 0xff);
    if (argument < TWO_32) {
      return Uint8Array.of(type | 26, argument >>> 24, (argument >> 16) & 0xff, (argument >> 8) & 0xff, argument & 0xff);
    }
    argument = BigInt(argument);
  }
  const out = new Uint8Array(9);
  out[0] = type | 27;
  new DataView(out.buffer).setBigUint64(1, argument);
  return out;
}

function unsupported(message: string): DecodeError {
  return new DecodeError('ERR_CBOR_UNSUPPORTED', `cannot encode ${message}`);
}

/**
 * True for a bignum's byte string in preferred serialization (RFC 8949 §3.4.3): no leading
 * zero byte, and a value of 2^64 or more (smaller ones are major type 0/1 integers).
 */
export function isPreferredBignum(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[0] !== 0;
}

/** An integer (number or bigint, already known to be one) prepared for cbor-x. */
function prepareInteger(value: number | bigint): unknown {
  if (typeof value === 'number') return value >= -TWO_32 && value < TWO_32 ? value : BigInt(value);
  if (value >= -TWO_32 && value < TWO_32) return Number(value);
  if (value > MIN_NEGATIVE_64 && value < TWO_64) return value;
  // cbor-x writes −2^64 as a tag 3 bignum; its preferred serialization is 0x3b ff…ff (§3.4.3)
  if (value === MIN_NEGATIVE_64) return new Raw(encodeHead(1, TWO_64 - 1n), []);
  throw unsupported('an integer outside [-2^64, 2^64-1]; write a bignum as CborTag(2 or 3, bytes)');
}

function prepare(value: unknown, depth: number, strictBignums: boolean): unknown {
  switch (typeof value) {
    case 'number':
      // -0 and unsafe integral numbers are floats in Ward's data model (data-model.ts)
      if (Number.isSafeInteger(value) && !Object.is(value, -0)) return prepareInteger(value);
      return new Raw(encodeFloat(value), []);
    case 'bigint':
      return prepareInteger(value);
    case 'string':
      // RFC 8949 §3.1: text is UTF-8 (RFC 3629 §3), which has no form for a lone surrogate
      if (!isWellFormedOrEmptyText(value, Infinity)) throw unsupported('a string with a lone surrogate (it has no UTF-8 form)');
      return value;
    case 'boolean':
    case 'undefined':
      return value;
    case 'object':
      if (value === null) return null;
      if (value instanceof Uint8Array) {
        // a subclass (e.g. Node's Buffer) is written as the plain byte string it views
        return value.constructor === Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      }
      // Stack exhaustion: a cyclic or absurdly deep value fails typed instead of overflowing the stack
      if (depth >= MAX_ENCODE_DEPTH) {
        throw new DecodeError('ERR_CBOR_LIMIT', `cannot encode nesting deeper than ${MAX_ENCODE_DEPTH} (cyclic value?)`);
      }
      if (Array.isArray(value)) return prepareArray(value, depth + 1, strictBignums);
      if (value instanceof Map) return prepareMap(value, depth + 1, strictBignums);
      if (value instanceof CborTag) return prepareTag(value, depth + 1, strictBignums);
      if (value instanceof CborSimple) return new Raw(encodeHead(7, value.value), []);
      throw unsupported(`an object of type ${Object.prototype.toString.call(value).slice(8, -1)} (only Uint8Array, Array, Map, CborTag and CborSimple; use a Map, not a plain object)`);
    default:
      throw unsupported(`a ${typeof value}`);
  }
}

function prepareArray(array: readonly unknown[], depth: number, strictBignums: boolean): unknown {
  const length = array.length;
  const items = new Array<unknown>(length);
  let raw = false;
  for (let i = 0; i < length; i++) {
    const item = prepare(array[i], depth, strictBignums);
    if (item instanceof Raw) raw = true;
    items[i] = item;
  }
  return raw ? new Raw(encodeHead(4, length), items) : items;
}

/** The deterministic encoding of a map entry's key. */
function keyBytes(entry: Entry): Uint8Array {
  if (entry.encoded === undefined) {
    const { integer } = entry;
    entry.encoded = integer >= 0 ? encodeHead(0, integer) : encodeHead(1, -1 - integer);
  }
  return entry.encoded;
}

/**
 * RFC 8949 §4.2.1 order. For two integers this is the bytewise order of their encodings
 * without building them: major type 0 (n ≥ 0) before major type 1, and within a major type
 * the shortest head first, so ascending order of the argument (n, or −1 − n).
 */
function byEncodedKey(a: Entry, b: Entry): number {
  const x = a.integer;
  const y = b.integer;
  if (x === x && y === y) { // neither is NaN: two integers
    if (x >= 0) return y >= 0 ? x - y : -1;
    return y >= 0 ? 1 : y - x;
  }
  const p = keyBytes(a);
  const q = keyBytes(b);
  return compareBytes(p, q);
}

const utf8Encoder = new TextEncoder();
const NON_ASCII = /[^\0-\x7f]/;

/** The encoding of text string `text` (major type 3), building ASCII by hand: small arrays stay on the JS heap. */
function textBytes(text: string): Uint8Array {
  const utf8 = NON_ASCII.test(text) ? utf8Encoder.encode(text) : undefined;
  const length = utf8 === undefined ? text.length : utf8.length;
  const head = encodeHead(3, length);
  const out = new Uint8Array(head.length + length);
  out.set(head);
  if (utf8 !== undefined) out.set(utf8, head.length);
  else for (let i = 0; i < length; i++) out[head.length + i] = text.charCodeAt(i);
  return out;
}

/** Below this many entries an insertion sort beats Array.prototype.sort (whose call overhead dominates). */
const INSERTION_SORT_MAX = 16;

/**
 * Sorts map entries into RFC 8949 §4.2.1 order and rejects equal encoded keys: distinct JS
 * keys (1 and 1n, two equal Uint8Arrays) can be one CBOR key (RFC 8949 §5.6).
 */
function sortEntries(entries: Entry[]): void {
  const n = entries.length;
  if (n > INSERTION_SORT_MAX) {
    entries.sort(byEncodedKey);
  } else {
    for (let i = 1; i < n; i++) {
      const entry = entries[i] as Entry;
      let j = i - 1;
      while (j >= 0 && byEncodedKey(entries[j] as Entry, entry) > 0) {
        entries[j + 1] = entries[j] as Entry;
        j--;
      }
      entries[j + 1] = entry;
    }
  }
  /* RFC 8949 §5.6: a map with a duplicate key is invalid; Ward never writes one for others to misread. */
  for (let i = 1; i < n; i++) {
    if (byEncodedKey(entries[i - 1] as Entry, entries[i] as Entry) === 0) {
      throw new DecodeError('ERR_CBOR_DUPLICATE_KEY', 'cannot encode a map with two keys that have the same encoding');
    }
  }
}

/**
 * RFC 8949 §5.6.1 as the decoder applies it (key-equality.ts): keys with different encodings
 * can still be one key by value (2^53 and 2n ** 53n, [0] and [-0]). The encoder refuses such a
 * map, so that everything it writes decodes.
 */
function checkKeysByValue(map: ReadonlyMap<unknown, unknown>, depth: number): void {
  const primitives = new Set<unknown>();
  const objects = new Set<string>();
  for (const k of map.keys()) {
    const canonical = canonicalKey(k as CborValue, depth);
    let duplicate: boolean;
    if (typeof canonical === 'object' && canonical !== null) {
      const identity = identityOf(emit(prepare(canonical, depth, false)));
      duplicate = objects.has(identity);
      objects.add(identity);
    } else {
      duplicate = primitives.has(canonical);
      primitives.add(canonical);
    }
    if (duplicate) throw new DecodeError('ERR_CBOR_DUPLICATE_KEY', 'cannot encode a map with two keys of equal value (RFC 8949 §5.6.1)');
  }
}

function prepareMap(map: ReadonlyMap<unknown, unknown>, depth: number, strictBignums: boolean): unknown {
  const entries: Entry[] = [];
  let raw = false;
  let byValue = false;
  for (const [k, v] of map) {
    if (!byValue && mayHaveOtherEncoding(k)) byValue = true;
    const key = prepare(k, depth, strictBignums);
    const value = prepare(v, depth, strictBignums);
    if (key instanceof Raw || value instanceof Raw) raw = true;
    const integer = typeof key === 'number' ? key : NaN;
    let encoded: Uint8Array | undefined;
    if (typeof k === 'string') encoded = textBytes(k);
    else if (typeof key !== 'number') encoded = emit(key);
    entries.push({ key, value, integer, encoded });
  }
  sortEntries(entries);
  // not when comparing keys (strictBignums off): the decoder checked them, and re-checking each level would be exponential
  if (byValue && strictBignums) checkKeysByValue(map, depth);
  if (raw) {
    const children: unknown[] = [];
    for (const entry of entries) children.push(entry.key, entry.value);
    return new Raw(encodeHead(5, entries.length), children);
  }
  const sorted = new Map<unknown, unknown>();
  for (const entry of entries) sorted.set(entry.key, entry.value);
  return sorted;
}

function prepareTag(tag: CborTag, depth: number, strictBignums: boolean): unknown {
  const content = prepare(tag.value, depth, strictBignums);
  if (strictBignums && (tag.tag === 2 || tag.tag === 3) && content instanceof Uint8Array && !isPreferredBignum(content)) {
    throw unsupported('a bignum that is not in preferred serialization (leading zero byte, or fits in 64 bits: RFC 8949 §3.4.3)');
  }
  if (typeof tag.tag === 'number' && tag.tag < TWO_32 && !(content instanceof Raw)) return new Tag(content, tag.tag);
  return new Raw(encodeHead(6, tag.tag), [content]);
}

/** Runs cbor-x on a prepared value and copies the result out of cbor-x's reused buffer. */
function engineEncode(prepared: unknown): Uint8Array {
  try {
    return new Uint8Array(engine.encode(prepared, RESET_BUFFER_MODE));
  } catch (error) {
    // on a prepared tree cbor-x fails only on size: its buffer tops out at 4 GiB (2 GiB in browsers)
    throw new DecodeError('ERR_CBOR_LIMIT', 'cannot encode: cbor-x could not write the value', { cause: error });
  }
}

function collect(node: unknown, parts: Uint8Array[]): number {
  if (!(node instanceof Raw)) {
    const bytes = engineEncode(node);
    parts.push(bytes);
    return bytes.length;
  }
  parts.push(node.head);
  let length = node.head.length;
  for (const child of node.children) length += collect(child, parts);
  return length;
}

function emit(prepared: unknown): Uint8Array {
  if (!(prepared instanceof Raw)) return engineEncode(prepared);
  const parts: Uint8Array[] = [];
  const out = new Uint8Array(collect(prepared, parts));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The deterministic encoding of `value`; with `strictBignums`, tags 2 and 3 around a byte
 * string must hold a bignum in preferred serialization and map keys must differ by value
 * (key-equality.ts). The decoder calls this without `strictBignums` to compare map keys by
 * value, on keys it has already checked.
 *
 * @throws {@link DecodeError} as {@link encodeCbor} does
 */
export function encodeValue(value: unknown, strictBignums: boolean): Uint8Array {
  return emit(prepare(value, 0, strictBignums));
}

/**
 * Encodes `value` as deterministic CBOR (RFC 8949 §4.2.1, core deterministic encoding), with
 * cbor-x as the engine:
 *
 * - integers and lengths in their shortest form; definite lengths only;
 * - map entries sorted by the bytewise lexicographic order of their encoded keys;
 * - floats in the shortest of half, single and double precision that preserves the value,
 *   NaN as `f9 7e 00`; a `number` is a float when it is not a safe integer or is −0;
 * - no tags but the {@link CborTag}s in `value` (a Uint8Array is never tag 64, a Map never
 *   tag 259).
 *
 * Equal values give equal bytes, and `decodeCbor(encodeCbor(x), { requireDeterministic: true })`
 * accepts every output. The result is a new `Uint8Array` that nothing else references.
 *
 * Only values of Ward's data model ({@link CborValue}) are accepted: a plain object is
 * rejected, not guessed at (use a `Map`); so are functions, symbols, class instances other
 * than `Uint8Array` (and its subclasses, written as the bytes they view), `Array`, `Map`,
 * {@link CborTag} and {@link CborSimple}, and strings with lone surrogates. Misuse is reported
 * as a {@link DecodeError} with code `ERR_CBOR_UNSUPPORTED` ("well-formed CBOR that Ward's data
 * model does not accept or cannot encode"), so one error family covers CBOR in both directions.
 *
 * @param value - the value to encode
 * @returns its deterministic CBOR encoding
 * @throws {@link DecodeError} `ERR_CBOR_UNSUPPORTED` for a value outside the data model, an
 *   integer outside [−2^64, 2^64 − 1], a string with a lone surrogate, or a tag 2/3 bignum
 *   that is not in preferred serialization (RFC 8949 §3.4.3)
 * @throws {@link DecodeError} `ERR_CBOR_DUPLICATE_KEY` when two keys of one `Map` have the
 *   same encoding (e.g. `1` and `1n`, or two equal `Uint8Array`s) or the same value
 *   (`2 ** 53` and `2n ** 53n`: RFC 8949 §5.6.1, as {@link decodeCbor} compares them)
 * @throws {@link DecodeError} `ERR_CBOR_LIMIT` when arrays, maps and tags nest deeper than
 *   1024 (which includes every cyclic value), or the encoding outgrows cbor-x's buffer
 *   (4 GiB on Node)
 *
 * @example
 * ```ts
 * import { CborTag, encodeCbor } from '@ward/core/cbor';
 *
 * const protectedHeader = encodeCbor(new Map([[1, -7]])); // a1 01 26
 * const toBeSigned = encodeCbor(['Signature1', protectedHeader, new Uint8Array(0), payload]);
 * encodeCbor(new Map([['b', 1], [10, 2], [-1, 3]])); // keys written in the order 10, -1, "b"
 * encodeCbor(1.5); // f9 3e 00 (half precision preserves it)
 * encodeCbor(new CborTag(2, bignumBytes)); // tag 2 around the bytes, untouched
 * ```
 */
export function encodeCbor(value: CborValue): Uint8Array {
  return encodeValue(value, true);
}
