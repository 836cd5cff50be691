/*
 * Ward's CBOR data model: the JavaScript values that `decodeCbor` returns and `encodeCbor`
 * accepts (the table is in the TSDoc of `CborValue`). It is the RFC 8949 §2 generic data model
 * as far as COSE needs it and JavaScript can hold it, mapped one way only, so that equal
 * values have one encoding.
 */
import { ArgumentError } from '../errors.js';

/**
 * A value in Ward's CBOR data model: what {@link decodeCbor} returns and {@link encodeCbor}
 * accepts.
 *
 * | CBOR (RFC 8949 §3.1) | JavaScript |
 * | --- | --- |
 * | major type 0/1 integer | `number` when a safe integer, else `bigint` (−2^64 … 2^64 − 1) |
 * | major type 2 byte string | `Uint8Array` |
 * | major type 3 text string | `string` |
 * | major type 4 array | `Array` |
 * | major type 5 map | `Map`, never a plain object (COSE labels are integers and strings) |
 * | major type 6 tag | {@link CborTag}, bignums (tags 2/3) included: no tag is interpreted |
 * | simple values 20–23 | `false`, `true`, `null`, `undefined` |
 * | other simple values | {@link CborSimple} |
 * | float (half, single, double) | `number` |
 *
 * A `number` is written as a float when it is not a safe integer or is −0 (a fraction, −0,
 * NaN, ±Infinity, or an integral value beyond 2^53). A float with a safe integral value
 * decodes to a plain `number` and so re-encodes as an integer: JavaScript cannot tell `1.0`
 * from `1`. NaN payloads are not kept. As a `Map` key, −0.0 is +0 (the `Map` stores it so).
 *
 * @example
 * ```ts
 * import type { CborValue } from '@ward/core';
 * import { CborTag } from '@ward/core/cbor';
 *
 * const header: CborValue = new Map<CborValue, CborValue>([[1, -7], [4, new Uint8Array([1, 2])]]);
 * const sign1: CborValue = new CborTag(18, [new Uint8Array(0), header, null, new Uint8Array(64)]);
 * ```
 */
export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | CborValue[]
  | Map<CborValue, CborValue>
  | CborTag
  | CborSimple;

const MAX_TAG = (1n << 64n) - 1n;

/**
 * A tagged data item (RFC 8949 §3.4): tag number plus enclosed value. Ward interprets no tag:
 * bignums (tags 2 and 3), dates and COSE message tags all stay `CborTag`s.
 *
 * The tag number is a `number` when it is a safe integer and a `bigint` otherwise (up to
 * 2^64 − 1); the constructor normalizes, so `new CborTag(18n, x).tag === 18`.
 *
 * @example
 * ```ts
 * import { CborTag, encodeCbor } from '@ward/core/cbor';
 *
 * const sign1 = new CborTag(18, [new Uint8Array(0), new Map(), null, new Uint8Array(64)]);
 * encodeCbor(sign1)[0]; // 0xd2: tag 18
 * ```
 */
export class CborTag {
  /** The tag number, 0 ≤ tag < 2^64: a `number` when safe, else a `bigint`. */
  readonly tag: number | bigint;
  /** The enclosed data item. */
  readonly value: CborValue;

  /**
   * @param tag - tag number, a non-negative integer below 2^64
   * @param value - the enclosed data item
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `tag` is not an integer in
   *   [0, 2^64 − 1]
   */
  constructor(tag: number | bigint, value: CborValue) {
    if (typeof tag === 'number') {
      if (!Number.isSafeInteger(tag) || tag < 0) throw new ArgumentError('CBOR tag number must be an integer in [0, 2^64-1]');
      this.tag = tag;
    } else if (typeof tag === 'bigint' && tag >= 0n && tag <= MAX_TAG) {
      this.tag = tag <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(tag) : tag;
    } else {
      throw new ArgumentError('CBOR tag number must be an integer in [0, 2^64-1]');
    }
    this.value = value;
  }
}

/**
 * A simple value (RFC 8949 §3.3) other than `false`, `true`, `null` and `undefined`, which are
 * the JavaScript primitives. Valid numbers are 0–19 and 32–255: 20–23 are those primitives and
 * 24–31 are reserved (RFC 8949 §3.3, Table 4), so they have no `CborSimple`.
 *
 * @example
 * ```ts
 * import { CborSimple, encodeCbor } from '@ward/core/cbor';
 *
 * encodeCbor(new CborSimple(16)); // Uint8Array [0xf0]
 * encodeCbor(new CborSimple(255)); // Uint8Array [0xf8, 0xff]
 * ```
 */
export class CborSimple {
  /** The simple value number: 0–19 or 32–255. */
  readonly value: number;

  /**
   * @param value - simple value number, 0–19 or 32–255
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for any other number
   */
  constructor(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 255 || (value >= 20 && value <= 31)) {
      throw new ArgumentError('CBOR simple value must be an integer in 0..19 or 32..255');
    }
    this.value = value;
  }
}
