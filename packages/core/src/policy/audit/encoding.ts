/*
 * The canonical encoding: the JSON data model mapped onto deterministic CBOR (RFC 8949 §4.2.1;
 * objects become maps with text keys, integral numbers CBOR integers). It defines the input
 * digest, the bytes of a record (the payload of a signed record) and the link digest a hash
 * chain carries: encodeDecisionRecord, decodeDecisionRecord, decisionInputDigest and
 * decisionRecordDigest.
 */
import type { CryptoBackend } from '../../backend/crypto-backend.js';
import { settle } from '../../backend/crypto-backend.js';
import { assertBytes } from '../../backend/validate.js';
import { toHex } from '../../bytes.js';
import { decodeCbor, encodeCbor } from '../../cbor/index.js';
import type { CborValue, DecodeCborOptions } from '../../cbor/index.js';
import { ArgumentError } from '../../errors.js';
import { isWellFormedOrEmptyText } from '../../text.js';
import type { PolicyInput } from '../decision.js';
import { MAX_LIST, argumentFail, checkRecord, describe, invalid, invalidFail } from './record.js';
import type { DecisionRecord, Fail, Fields } from './record.js';

/* Resource exhaustion: a record's canonical encoding is at most 64 KiB, written or read. */
export const MAX_RECORD_BYTES = 64 * 1024;
/** Deepest nesting of a full policy input the digest accepts (also stops cyclic inputs). */
const MAX_INPUT_DEPTH = 32;
/* The full input's texts have no length limit of their own here (the policy engine bounds them); only their well-formedness matters to the encoding. */
const ANY_LENGTH = Number.POSITIVE_INFINITY;

/** Strict CBOR limits for a record payload: as tight as the format allows. */
const RECORD_DECODE_LIMITS: DecodeCborOptions = {
  /* RFC 8949 §4.2.1: one encoding per record, so a signature and a link digest bind one value, never a re-encoding of it. */
  requireDeterministic: true,
  /* RFC 8949 §4.2.2: an integral number is an integer; 1.0 for 1 would be a second encoding of the same record. */
  rejectIntegralFloats: true,
  maxBytes: MAX_RECORD_BYTES,
  /* record → decision → obligations → obligation → fields */
  maxDepth: 5,
  maxArrayEntries: MAX_LIST,
  maxMapEntries: 16,
  /* 1024 UTF-16 code units are at most 3072 UTF-8 bytes */
  maxStringBytes: 4096,
  maxItems: 65536,
};

/**
 * A JSON value as Ward's CBOR data model: objects become maps with text keys (encodeCbor sorts
 * them, RFC 8949 §4.2.1), integral numbers integers (−0 is 0), others floats. Properties whose
 * value is `undefined` are left out, as JSON leaves them out. Anything JSON cannot hold
 * without loss (NaN, ±Infinity, integers beyond 2^53 − 1, bigints, byte arrays, class
 * instances, functions, lone surrogates) is refused rather than guessed at.
 */
function canonicalValue(value: unknown, path: string, depth: number, fail: Fail): CborValue {
  /* Stack exhaustion: a deep or cyclic input is refused at a fixed depth, never recursed into without end. */
  if (depth > MAX_INPUT_DEPTH) fail(`${path} nests deeper than ${MAX_INPUT_DEPTH} (or is cyclic)`);
  switch (typeof value) {
    case 'string':
      /* RFC 8949 §3.1: CBOR text is UTF-8, and a lone surrogate has none (text.ts's rule). */
      if (!isWellFormedOrEmptyText(value, ANY_LENGTH)) fail(`${path} holds a lone surrogate (no UTF-8 form)`);
      return value;
    case 'boolean':
      return value;
    case 'number':
      /* RFC 8259 §6: JSON has no NaN or Infinity, and an integer beyond 2^53 − 1 has no exact form: the digest would bind another value. */
      if (!Number.isFinite(value)) fail(`${path} must be a finite number`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) fail(`${path} is an integer beyond 2^53 - 1`);
      return value === 0 ? 0 : value;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out: CborValue[] = [];
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) fail(`${path}[${i}] is undefined (no JSON form)`);
          out.push(canonicalValue(item, `${path}[${i}]`, depth + 1, fail));
        }
        return out;
      }
      /* A class instance (a Date, a Uint8Array, a Map) has no single JSON form: refused, not guessed at. */
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) fail(`${path} must be a plain object, array or JSON scalar`);
      const map = new Map<CborValue, CborValue>();
      for (const key of Object.keys(value)) {
        const item = (value as Fields)[key];
        if (item === undefined) continue;
        if (!isWellFormedOrEmptyText(key, ANY_LENGTH)) fail(`${path} has a key with a lone surrogate (no UTF-8 form)`);
        map.set(key, canonicalValue(item, `${path}.${key.length > 64 ? `${key.slice(0, 64)}…` : key}`, depth + 1, fail));
      }
      return map;
    }
    default:
      return fail(`${path} holds a ${typeof value}, which has no JSON form`);
  }
}

/** The canonical JSON value of CBOR bytes: maps with text keys become objects (null prototype, so "__proto__" is only a key). */
function jsonValue(value: CborValue): unknown {
  if (value instanceof Map) {
    /* Prototype pollution: a null-prototype object, so a "__proto__" key read from bytes is only a key. */
    const out = Object.create(null) as Fields;
    for (const [key, item] of value) {
      /* The JSON data model: only text keys (a record read from bytes is the same data as its JSON form). */
      if (typeof key !== 'string') throw invalid('record maps must have text keys');
      out[key] = jsonValue(item);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map(jsonValue);
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  throw invalid('a record holds only text, numbers, booleans, arrays and maps');
}

/**
 * The lowercase hex SHA-256 of the canonical encoding of a policy input: the full input, not
 * the minimal one a record keeps, so an auditor holding the input the engine saw can prove it
 * is the one recorded.
 *
 * The canonical encoding is deterministic CBOR (RFC 8949 §4.2.1) of the input's JSON data
 * model: objects are maps with text keys, sorted bytewise by their encodings (so the digest
 * does not depend on key order); numbers are CBOR integers when integral (−0 is 0), floats
 * otherwise; properties that are `undefined` are left out. It is therefore the same for an
 * input and its `JSON.parse(JSON.stringify(input))` copy. The policy engine computes the same
 * digest with this function.
 *
 * @param input - the full policy input
 * @param backend - the backend that hashes
 * @returns 64 lowercase hex digits
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when the input holds something JSON
 *   cannot (NaN, ±Infinity, an integer beyond 2^53 − 1, a bigint, a byte array, a class
 *   instance, a lone surrogate) or nests deeper than 32
 * @example
 * ```ts
 * import { createNobleBackend } from '@ward/core';
 * import { decisionInputDigest } from '@ward/core/policy';
 *
 * const digest = await decisionInputDigest(input, createNobleBackend());
 * digest === (await decisionInputDigest(JSON.parse(JSON.stringify(input)), backend)); // true
 * ```
 */
export async function decisionInputDigest(input: PolicyInput, backend: CryptoBackend): Promise<string> {
  const bytes = encodeCbor(canonicalValue(input, 'input', 0, argumentFail));
  return toHex(await settle(backend.sha256(bytes)));
}

/**
 * The canonical encoding of a record: deterministic CBOR (RFC 8949 §4.2.1) of its JSON data
 * model (maps with text keys, sorted; integral numbers as integers). It is the payload of a
 * signed record, and, for an unsigned record, what the next record's `previous` hashes.
 *
 * @param record - the record
 * @returns the bytes (at most 64 KiB)
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a record that breaks the format
 *   (unknown or missing fields, bad types, limits; see {@link DecisionRecord})
 * @example
 * ```ts
 * import { encodeDecisionRecord, decodeDecisionRecord } from '@ward/core/policy';
 *
 * const bytes = encodeDecisionRecord(record);
 * decodeDecisionRecord(bytes); // equal to record
 * ```
 */
export function encodeDecisionRecord(record: DecisionRecord): Uint8Array {
  const bytes = encodeCbor(canonicalValue(checkRecord(record, argumentFail), 'record', 0, argumentFail));
  /* Resource exhaustion: a writer never emits a record a reader would refuse as too large. */
  if (bytes.length > MAX_RECORD_BYTES) throw new ArgumentError(`the record encodes to ${bytes.length} bytes, above ${MAX_RECORD_BYTES}`);
  return bytes;
}

/**
 * Decodes the canonical encoding of a record strictly: deterministic CBOR within tight limits
 * (64 KiB, depth 5, 256 entries per array, 16 per map), then the record format, with unknown
 * fields refused.
 *
 * @param bytes - the encoded record
 * @returns the frozen record
 * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` for anything but a well-formed
 *   record in canonical form (the CBOR error, if any, in `cause`)
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `bytes` is not a Uint8Array
 * @example
 * ```ts
 * const record = decodeDecisionRecord(encodeDecisionRecord(original));
 * ```
 */
export function decodeDecisionRecord(bytes: Uint8Array): DecisionRecord {
  assertBytes(bytes, 'bytes');
  let value: CborValue;
  try {
    /* Untrusted bytes: decoded within the limits above (resource exhaustion) and only in canonical form (RFC 8949 §4.2.1). */
    value = decodeCbor(bytes, RECORD_DECODE_LIMITS);
  } catch (error) {
    throw invalid(`the record is not canonical CBOR within its limits: ${describe(error)}`, error);
  }
  /* The read side is the security side: the same record rules as for a record made here, unknown fields refused. */
  return checkRecord(jsonValue(value), invalidFail);
}

/**
 * The link digest of a log entry: lowercase hex SHA-256 of a signed record's COSE_Sign1 bytes,
 * or of an unsigned record's canonical encoding. The next record of the chain carries it as
 * `previous`.
 *
 * @param entry - a record, or the COSE_Sign1 bytes of a signed one
 * @param backend - the backend that hashes
 * @returns 64 lowercase hex digits
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a record that breaks the format
 * @example
 * ```ts
 * import { decisionRecordDigest } from '@ward/core/policy';
 *
 * const head = await decisionRecordDigest(lastSignedRecord, backend);
 * ```
 */
export async function decisionRecordDigest(entry: DecisionRecord | Uint8Array, backend: CryptoBackend): Promise<string> {
  const bytes = entry instanceof Uint8Array ? entry : encodeDecisionRecord(entry);
  return toHex(await settle(backend.sha256(bytes)));
}
