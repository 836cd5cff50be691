/*
 * Decision logs: one record per policy decision, written through a sink, so an auditor can see
 * who asked for what data, what was decided and why, under which policy revision and with
 * which keys; and, when records are signed (COSE_Sign1, RFC 9052 §4.2) and hash-chained, check
 * that the log was not altered, reordered or cut in the middle.
 *
 * One canonical encoding serves everything here: the JSON data model mapped onto deterministic
 * CBOR (RFC 8949 §4.2.1; objects become maps with text keys, integral numbers CBOR integers).
 * It defines the input digest, the signed payload of a record and the bytes a chain link hashes.
 */
import type { CryptoBackend, MaybePromise, SigningKey, VerifyingKey } from '../../backend/crypto-backend.js';
import { settle } from '../../backend/crypto-backend.js';
import { assertBytes, checkOptionsObject } from '../../backend/validate.js';
import { decodeCbor, encodeCbor } from '../../cbor/index.js';
import type { CborValue, DecodeCborOptions } from '../../cbor/index.js';
import { HeaderLabel } from '../../cose/headers.js';
import type { HeaderMap } from '../../cose/headers.js';
import type { KeySource } from '../../cose/key-lookup.js';
import { CoseTag, bytesField, decodeLayer } from '../../cose/message.js';
import { createSign1, verifySign1 } from '../../cose/sign1.js';
import { ClaimKey } from '../../profile/labels.js';
import { ArgumentError, DecisionLogError, WardError } from '../../errors.js';
import type { PolicyAction, PolicyDecision, PolicyInput } from '../decision.js';
import { toHex } from '../../bytes.js';
import { deepFreeze } from '../../freeze.js';

/* ------------------------------------------------------------------------------------------ */
/* The record                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** The subject of a decision as recorded: who asked, in which roles, for what purpose. */
export interface DecisionSubject {
  /** The subject's stable id. */
  readonly id: string;
  /** The subject's roles. */
  readonly roles: readonly string[];
  /** The stated purpose of the access. */
  readonly purpose: string;
}

/** The resource of a decision as recorded: which envelope, never its payload. */
export interface DecisionResource {
  /** The producer's identity. */
  readonly issuer: string;
  /** The producer's stream. */
  readonly stream: string;
  /** The envelope id (hex). */
  readonly id: string;
  /** The envelope's sequence number (decimal text). */
  readonly sequence: string;
  /** The access attributes an auditor needs: classification and, when the data has one, zone. */
  readonly attributes: {
    readonly classification: string;
    readonly zone?: string;
  };
}

/** The environment of a decision as recorded. */
export interface DecisionEnvironment {
  /** Seconds since the epoch, as the policy saw it. */
  readonly time: number;
  /** A declared emergency (break-glass), if any. */
  readonly emergency?: { readonly declared: boolean; readonly incident?: string };
}

/**
 * The part of a {@link PolicyInput} a decision record keeps (see {@link minimalDecisionInput}):
 * enough to say who asked for what, never payloads, keys or free-form attributes.
 */
export interface DecisionRecordInput {
  /** What was asked for. */
  readonly action: PolicyAction;
  /** Who asked. */
  readonly subject: DecisionSubject;
  /** For which envelope. */
  readonly resource: DecisionResource;
  /** Under which circumstances. */
  readonly environment: DecisionEnvironment;
  /**
   * The `input.context` fields named by the record maker's explicit allow-list
   * ({@link CreateDecisionRecordOptions.context}), each a text, number or boolean; absent when
   * none is kept. Nothing of the context is recorded by default.
   */
  readonly context?: Readonly<Record<string, string | number | boolean>>;
}

/** The policy bundle a decision was made under. */
export interface DecisionBundle {
  /** The bundle's revision, as its manifest names it (1 to 1024 characters). */
  readonly revision: string;
  /** The bundle's digest, lowercase hex (1 to 64 bytes). */
  readonly digest: string;
}

/**
 * One policy decision, as a decision log keeps it. JSON-friendly: every field is a string,
 * number, boolean, array or object, so a record is the same data as JSON and as CBOR.
 *
 * Limits, checked whenever a record is made, encoded, signed, written or read: texts at most
 * 1024 UTF-16 code units and well-formed (no lone surrogates); lists at most 256 entries;
 * times finite, non-negative numbers of at most 2^53 − 1; the canonical encoding at most
 * 64 KiB. A record read from bytes or JSON must have exactly these fields: unknown ones are
 * refused, not ignored.
 */
export interface DecisionRecord {
  /** A unique id: 16 random bytes, lowercase hex (32 digits). */
  readonly id: string;
  /** When the decision was made, seconds since the epoch. */
  readonly time: number;
  /** Lowercase hex SHA-256 of the canonical encoding of the full input ({@link decisionInputDigest}). */
  readonly inputDigest: string;
  /** The minimal input ({@link minimalDecisionInput}). */
  readonly input: DecisionRecordInput;
  /** What the policy decided, and why. */
  readonly decision: PolicyDecision;
  /** The policy bundle that decided. */
  readonly bundle: DecisionBundle;
  /** Lowercase hex ids of the keys the open would use or used (signer, recipient…). */
  readonly keyIds: readonly string[];
  /** Whether the decision came from a decision cache rather than a fresh evaluation. */
  readonly cached: boolean;
  /**
   * Lowercase hex SHA-256 of the previous record of the log (its COSE_Sign1 bytes when signed,
   * else its canonical encoding): the hash chain. Absent on the first record of a chain and
   * in unchained logs. Set by {@link DecisionChain}.
   */
  readonly previous?: string;
}

/**
 * The content type (COSE header 3) of a signed decision record: a private text media type, so
 * a record can never be taken for an envelope, a trust-store document or a policy bundle, even
 * when one key signs several of them.
 *
 * @example
 * ```ts
 * import { DECISION_RECORD_CONTENT_TYPE } from '@ward/core/policy';
 *
 * DECISION_RECORD_CONTENT_TYPE; // 'application/ward-decision+cbor'
 * ```
 */
export const DECISION_RECORD_CONTENT_TYPE = 'application/ward-decision+cbor';

const MAX_TEXT = 1024;
const MAX_LIST = 256;
const MAX_RECORD_BYTES = 64 * 1024;
/** A signed record: the payload plus headers and a signature (well under 1 KiB). */
const MAX_SIGNED_RECORD_BYTES = MAX_RECORD_BYTES + 4096;
/** Deepest nesting of a full policy input the digest accepts (also stops cyclic inputs). */
const MAX_INPUT_DEPTH = 32;
const MAX_HEX = 256;
const ACTIONS: ReadonlySet<unknown> = new Set<unknown>(['open', 'verify', 'rewrap']);
const HEX = /^(?:[0-9a-f]{2})+$/;
/* A lone UTF-16 surrogate has no UTF-8 encoding (RFC 8949 §3.1: text strings are UTF-8). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Strict CBOR limits for a record payload: as tight as the format allows. */
const RECORD_DECODE_LIMITS: DecodeCborOptions = {
  requireDeterministic: true,
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

/** Limits for the COSE_Sign1 around a record. */
const SIGNED_DECODE_LIMITS = { maxBytes: MAX_SIGNED_RECORD_BYTES, maxDepth: 4, maxHeaderBytes: 2048 } as const;

const PROTECTED_LABELS: ReadonlySet<number | string> = new Set<number | string>([
  HeaderLabel.alg, HeaderLabel.contentType, HeaderLabel.kid, HeaderLabel.cwtClaims,
]);
const SIGN1_RULES = {
  understood: new Set<number | string>([HeaderLabel.alg, HeaderLabel.crit, HeaderLabel.contentType, HeaderLabel.kid]),
  alg: 'protected',
} as const;

type Fail = (message: string) => never;

const argumentFail: Fail = (message) => {
  throw new ArgumentError(message);
};
const invalidFail: Fail = (message) => {
  throw new DecisionLogError('ERR_DECISION_LOG_INVALID', message);
};
const invalid = (message: string, cause?: unknown): DecisionLogError =>
  new DecisionLogError('ERR_DECISION_LOG_INVALID', message, cause === undefined ? undefined : { cause });

/** A name from untrusted input, short enough for a message. */
function shown(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

function describe(error: unknown): string {
  if (WardError.isInstance(error)) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : 'unknown failure';
}

/* ------------------------------------------------------------------------------------------ */
/* Checking: one set of rules for records made, encoded, signed, written and read               */
/* ------------------------------------------------------------------------------------------ */

type Fields = Record<string, unknown>;

/**
 * The object at `path`. With `strict`, every own key must be one of `keys` (unknown fields are
 * refused: a reader never guesses at fields it does not know).
 */
function object(value: unknown, path: string, keys: readonly string[], fail: Fail, strict: boolean): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${path} must be an object`);
  if (strict) {
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) fail(`${path} holds a field the record format does not define: ${shown(key)}`);
    }
  }
  return value as Fields;
}

function text(value: unknown, path: string, fail: Fail, nonEmpty = false): string {
  if (typeof value !== 'string') fail(`${path} must be text`);
  if (value.length > MAX_TEXT) fail(`${path} is longer than ${MAX_TEXT} characters`);
  if (nonEmpty && value.length === 0) fail(`${path} must not be empty`);
  if (LONE_SURROGATE.test(value)) fail(`${path} holds a lone surrogate (no UTF-8 form)`);
  return value;
}

function hexText(value: unknown, path: string, fail: Fail, length?: number): string {
  if (typeof value !== 'string' || value.length > MAX_HEX || !HEX.test(value)) {
    fail(`${path} must be lowercase hex of 1 to ${MAX_HEX / 2} bytes`);
  }
  if (length !== undefined && value.length !== length) fail(`${path} must be ${length} hex digits`);
  return value;
}

function bool(value: unknown, path: string, fail: Fail): boolean {
  if (typeof value !== 'boolean') fail(`${path} must be a boolean`);
  return value;
}

/** A time: a finite number in [0, 2^53 − 1] (an integral one is a CBOR integer, −0 is 0). */
function time(value: unknown, path: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    fail(`${path} must be a finite number of seconds in [0, 2^53 - 1]`);
  }
  return value === 0 ? 0 : value;
}

function list<T>(value: unknown, path: string, fail: Fail, each: (item: unknown, path: string) => T): T[] {
  if (!Array.isArray(value)) fail(`${path} must be an array`);
  if (value.length > MAX_LIST) fail(`${path} holds more than ${MAX_LIST} entries`);
  const out: T[] = [];
  for (let i = 0; i < value.length; i++) out.push(each((value as unknown[])[i], `${path}[${i}]`));
  return out;
}

function has(fields: Fields, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(fields, key) && fields[key] !== undefined;
}

/* A context value a record can keep: text, boolean, or a number CBOR writes unchanged (a safe integer or a fractional value). */
function contextScalar(value: unknown, path: string, fail: Fail): string | number | boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) fail(`${path} must be a finite number (an integer within 2^53 - 1)`);
    return value === 0 ? 0 : value;
  }
  if (typeof value === 'string') return text(value, path, fail);
  return fail(`${path} must be text, a number or a boolean to be recorded`);
}

/* At most as many context fields as a record map may hold (RECORD_DECODE_LIMITS.maxMapEntries). */
const MAX_RECORDED_CONTEXT = 16;

/*
 * The context a record keeps. Making a record (`keep` given): only the allow-listed fields,
 * whatever else the context holds — a log must not hold more personal data than an audit
 * needs. Reading a record (`keep` undefined): every field it has, each a scalar.
 */
function checkContext(value: unknown, keep: readonly string[] | undefined, fail: Fail): Record<string, string | number | boolean> | undefined {
  const context = object(value, 'input.context', [], fail, false);
  const names = keep ?? Object.keys(context);
  if (names.length > MAX_RECORDED_CONTEXT) fail(`a record keeps at most ${MAX_RECORDED_CONTEXT} context fields`);
  const kept: Record<string, string | number | boolean> = {};
  let count = 0;
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(context, name) || context[name] === undefined) continue;
    const path = `input.context.${shown(name)}`;
    /* defineProperty, not assignment: a field named "__proto__" is data, never the prototype. */
    Object.defineProperty(kept, text(name, path, fail, true), { value: contextScalar(context[name], path, fail), enumerable: true, writable: true, configurable: true });
    count++;
  }
  return count === 0 ? undefined : kept;
}

function checkInput(value: unknown, fail: Fail, strict: boolean, keep?: readonly string[]): DecisionRecordInput {
  const input = object(value, 'input', ['action', 'subject', 'resource', 'environment', 'context'], fail, strict);
  if (!ACTIONS.has(input.action)) fail('input.action must be "open", "verify" or "rewrap"');
  const subject = object(input.subject, 'input.subject', ['id', 'roles', 'purpose'], fail, strict);
  const resource = object(input.resource, 'input.resource', ['issuer', 'stream', 'id', 'sequence', 'attributes'], fail, strict);
  const attributes = object(resource.attributes, 'input.resource.attributes', ['classification', 'zone'], fail, strict);
  const environment = object(input.environment, 'input.environment', ['time', 'emergency'], fail, strict);

  const recordedAttributes: { classification: string; zone?: string } = {
    classification: text(attributes.classification, 'input.resource.attributes.classification', fail),
  };
  if (has(attributes, 'zone')) recordedAttributes.zone = text(attributes.zone, 'input.resource.attributes.zone', fail);
  const recordedEnvironment: { time: number; emergency?: { declared: boolean; incident?: string } } = {
    time: time(environment.time, 'input.environment.time', fail),
  };
  if (has(environment, 'emergency')) {
    const emergency = object(environment.emergency, 'input.environment.emergency', ['declared', 'incident'], fail, strict);
    const recorded: { declared: boolean; incident?: string } = {
      declared: bool(emergency.declared, 'input.environment.emergency.declared', fail),
    };
    if (has(emergency, 'incident')) recorded.incident = text(emergency.incident, 'input.environment.emergency.incident', fail);
    recordedEnvironment.emergency = recorded;
  }
  const recordedContext = has(input, 'context') && (strict || keep !== undefined) ? checkContext(input.context, keep, fail) : undefined;
  return {
    action: input.action as PolicyAction,
    subject: {
      id: text(subject.id, 'input.subject.id', fail),
      roles: list(subject.roles, 'input.subject.roles', fail, (role, path) => text(role, path, fail)),
      purpose: text(subject.purpose, 'input.subject.purpose', fail),
    },
    resource: {
      issuer: text(resource.issuer, 'input.resource.issuer', fail),
      stream: text(resource.stream, 'input.resource.stream', fail),
      id: text(resource.id, 'input.resource.id', fail),
      sequence: text(resource.sequence, 'input.resource.sequence', fail),
      attributes: recordedAttributes,
    },
    environment: recordedEnvironment,
    ...(recordedContext === undefined ? {} : { context: recordedContext }),
  };
}

function checkDecision(value: unknown, fail: Fail, strict: boolean): PolicyDecision {
  const decision = object(value, 'decision', ['allow', 'reasons', 'obligations'], fail, strict);
  return {
    allow: bool(decision.allow, 'decision.allow', fail),
    reasons: list(decision.reasons, 'decision.reasons', fail, (reason, path) => text(reason, path, fail)),
    obligations: list(decision.obligations, 'decision.obligations', fail, (item, path) => {
      const type = object(item, path, ['type', 'to', 'fields'], fail, false).type;
      switch (type) {
        case 'log':
          object(item, path, ['type'], fail, strict);
          return { type };
        case 'notify': {
          const fields = object(item, path, ['type', 'to'], fail, strict);
          return { type, to: text(fields.to, `${path}.to`, fail) };
        }
        case 'redact': {
          const fields = object(item, path, ['type', 'fields'], fail, strict);
          return { type, fields: list(fields.fields, `${path}.fields`, fail, (field, p) => text(field, p, fail)) };
        }
        default:
          return fail(`${path}.type must be "log", "notify" or "redact"`);
      }
    }),
  };
}

const RECORD_KEYS = ['id', 'time', 'inputDigest', 'input', 'decision', 'bundle', 'keyIds', 'cached', 'previous'] as const;

/**
 * Checks a whole record and returns a fresh, deeply frozen copy with its fields in the
 * documented order (the order of its JSON form).
 */
function checkRecord(value: unknown, fail: Fail): DecisionRecord {
  const record = object(value, 'record', RECORD_KEYS, fail, true);
  const bundle = object(record.bundle, 'bundle', ['revision', 'digest'], fail, true);
  const checked: { -readonly [K in keyof DecisionRecord]: DecisionRecord[K] } = {
    id: hexText(record.id, 'id', fail, 32),
    time: time(record.time, 'time', fail),
    inputDigest: hexText(record.inputDigest, 'inputDigest', fail, 64),
    input: checkInput(record.input, fail, true),
    decision: checkDecision(record.decision, fail, true),
    bundle: { revision: text(bundle.revision, 'bundle.revision', fail, true), digest: hexText(bundle.digest, 'bundle.digest', fail) },
    keyIds: list(record.keyIds, 'keyIds', fail, (kid, path) => hexText(kid, path, fail)),
    cached: bool(record.cached, 'cached', fail),
  };
  if (has(record, 'previous')) checked.previous = hexText(record.previous, 'previous', fail, 64);
  return deepFreeze(checked);
}


/* ------------------------------------------------------------------------------------------ */
/* The canonical encoding                                                                      */
/* ------------------------------------------------------------------------------------------ */

/**
 * A JSON value as Ward's CBOR data model: objects become maps with text keys (encodeCbor sorts
 * them, RFC 8949 §4.2.1), integral numbers integers (−0 is 0), others floats. Properties whose
 * value is `undefined` are left out, as JSON leaves them out. Anything JSON cannot hold
 * without loss (NaN, ±Infinity, integers beyond 2^53 − 1, bigints, byte arrays, class
 * instances, functions, lone surrogates) is refused rather than guessed at.
 */
function canonicalValue(value: unknown, path: string, depth: number, fail: Fail): CborValue {
  if (depth > MAX_INPUT_DEPTH) fail(`${path} nests deeper than ${MAX_INPUT_DEPTH} (or is cyclic)`);
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) fail(`${path} holds a lone surrogate (no UTF-8 form)`);
      return value;
    case 'boolean':
      return value;
    case 'number':
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
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) fail(`${path} must be a plain object, array or JSON scalar`);
      const map = new Map<CborValue, CborValue>();
      for (const key of Object.keys(value)) {
        const item = (value as Fields)[key];
        if (item === undefined) continue;
        if (LONE_SURROGATE.test(key)) fail(`${path} has a key with a lone surrogate (no UTF-8 form)`);
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
    const out = Object.create(null) as Fields;
    for (const [key, item] of value) {
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
 * The minimal input a decision record keeps: `action`; `subject` `{id, roles, purpose}`;
 * `resource` `{issuer, stream, id, sequence, attributes: {classification, zone?}}`;
 * `environment` `{time, emergency?: {declared, incident?}}`; `context` with only the fields
 * `options.context` names (an explicit allow-list, default none). Everything else (the
 * subject's zones and organisation, other attributes, the signer, rewrap facts, the rest of the
 * context) is left out: a log must never hold payloads, keys or more personal data than an
 * audit needs. The full input is bound by {@link DecisionRecord.inputDigest}.
 *
 * @param input - the full policy input
 * @param options - `context`: the allow-list of context fields to keep
 * @returns a fresh, frozen minimal input
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when a kept field is missing or of the
 *   wrong type (e.g. no text `classification`), text is longer than 1024 characters, or a list
 *   longer than 256
 * @example
 * ```ts
 * import { minimalDecisionInput } from '@ward/core/policy';
 *
 * const kept = minimalDecisionInput(input);
 * kept.resource.attributes; // { classification: 'personal', zone: 'market-square' }
 * ```
 */
export function minimalDecisionInput(input: PolicyInput, options: { readonly context?: readonly string[] } = {}): DecisionRecordInput {
  return deepFreeze(checkInput(input, argumentFail, false, contextAllowList(options.context)));
}

/** Options of {@link createDecisionRecord}. */
export interface CreateDecisionRecordOptions {
  /** Draws the id and hashes the input. */
  readonly backend: CryptoBackend;
  /** The policy bundle that decided. */
  readonly bundle: DecisionBundle;
  /** Ids of the keys the open would use or used: hex text (any case) or bytes. Default none. */
  readonly keyIds?: readonly (string | Uint8Array)[];
  /** Whether the decision came from a cache. Default `false`. */
  readonly cached?: boolean;
  /** Seconds since the epoch. Default now (`Date.now() / 1000`). */
  readonly time?: number;
  /**
   * The explicit allow-list of `input.context` fields the minimal input keeps (at most 16
   * names; each kept value must be text, a number or a boolean). Default none: no context is
   * recorded unless named here.
   */
  readonly context?: readonly string[];
}

/* The allow-list of context fields to record: an array of at most MAX_RECORDED_CONTEXT names. */
function contextAllowList(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_RECORDED_CONTEXT || !value.every((name) => typeof name === 'string' && name.length > 0)) {
    throw new ArgumentError(`the context allow-list must be an array of at most ${MAX_RECORDED_CONTEXT} non-empty names`);
  }
  return [...value] as string[];
}

/**
 * Makes the record of one decision: a fresh random id, the time, the digest of the full input
 * ({@link decisionInputDigest}), the minimal input ({@link minimalDecisionInput}), a copy of
 * the decision (its documented fields only), the bundle and the key ids. Unchained: a
 * {@link DecisionChain} (or a sink that chains) sets `previous`.
 *
 * @param input - the full policy input the decision was made on
 * @param decision - the decision
 * @param options - backend, bundle, key ids, cached, time
 * @returns the frozen record
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for an input, decision or option that
 *   breaks the record's rules (see {@link DecisionRecord})
 * @example
 * ```ts
 * import { createNobleBackend } from '@ward/core';
 * import { createDecisionRecord } from '@ward/core/policy';
 *
 * const record = await createDecisionRecord(input, decision, {
 *   backend: createNobleBackend(),
 *   bundle: { revision: 'city-policies@2026.03.1', digest: bundleDigestHex },
 *   keyIds: [input.resource.signer.kid],
 * });
 * await sink.write(record);
 * ```
 */
export async function createDecisionRecord(
  input: PolicyInput,
  decision: PolicyDecision,
  options: CreateDecisionRecordOptions,
): Promise<DecisionRecord> {
  if (typeof options !== 'object' || options === null || typeof options.backend !== 'object' || options.backend === null) {
    throw new ArgumentError('createDecisionRecord needs options with a backend');
  }
  const { backend } = options;
  const minimal = checkInput(input, argumentFail, false, contextAllowList(options.context));
  const copied = checkDecision(decision, argumentFail, false);
  const bundle = object(options.bundle, 'bundle', [], argumentFail, false);
  const keyIds = list(options.keyIds ?? [], 'keyIds', argumentFail, (kid, path) => {
    if (kid instanceof Uint8Array) return toHex(kid);
    return typeof kid === 'string' ? kid.toLowerCase() : argumentFail(`${path} must be hex text or bytes`);
  });
  const id = await settle(backend.randomBytes(16));
  return checkRecord({
    id: toHex(id),
    time: options.time ?? Date.now() / 1000,
    inputDigest: await decisionInputDigest(input, backend),
    input: minimal,
    decision: copied,
    bundle: { revision: bundle.revision, digest: typeof bundle.digest === 'string' ? bundle.digest.toLowerCase() : bundle.digest },
    keyIds,
    cached: options.cached ?? false,
  }, argumentFail);
}

/**
 * Checks a record given as a JSON value (for example a parsed log line) against the record
 * format, strictly: exactly the documented fields, types and limits.
 *
 * @param value - the parsed JSON
 * @returns a fresh, frozen record with its fields in the documented order
 * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` naming the first field that is
 *   missing, unknown, of the wrong type or out of bounds
 * @example
 * ```ts
 * import { parseDecisionRecord } from '@ward/core/policy';
 *
 * const record = parseDecisionRecord(JSON.parse(line));
 * ```
 */
export function parseDecisionRecord(value: unknown): DecisionRecord {
  return checkRecord(value, invalidFail);
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
    value = decodeCbor(bytes, RECORD_DECODE_LIMITS);
  } catch (error) {
    throw invalid(`the record is not canonical CBOR within its limits: ${describe(error)}`, error);
  }
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

/* ------------------------------------------------------------------------------------------ */
/* Sinks                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/**
 * Where decision records go. `write` resolves once the record is recorded (as durably as the
 * sink promises), and throws or rejects when it could not be: a sink never swallows a failure.
 *
 * The policy engine decides what a failed write means. Its default is fail-closed for allows:
 * an allow whose record could not be written is not acted on (the open fails), so no data is
 * released unrecorded; a deny stays a deny either way. Sinks should report their own failures
 * as {@link DecisionLogError} `ERR_DECISION_LOG_UNAVAILABLE`.
 */
export interface DecisionLogSink {
  /**
   * Records one decision.
   *
   * @param record - the record to keep
   */
  write(record: DecisionRecord): MaybePromise<void>;
}

/** Options of {@link MemoryDecisionLog}. */
export interface MemoryDecisionLogOptions {
  /** How many records to keep; the oldest are dropped first. Default 10,000. */
  readonly capacity?: number;
}

/**
 * A decision log in memory: a bounded ring of the most recent records, for tests and for
 * devices that ship their log elsewhere. Records are checked on write (a malformed record is
 * refused, not kept) and kept frozen.
 *
 * @example
 * ```ts
 * import { MemoryDecisionLog } from '@ward/core';
 *
 * const log = new MemoryDecisionLog({ capacity: 1000 });
 * log.write(record);
 * log.records().at(-1)?.decision.allow;
 * ```
 */
export class MemoryDecisionLog implements DecisionLogSink {
  readonly #capacity: number;
  readonly #ring: DecisionRecord[] = [];
  #start = 0;
  #dropped = 0;

  /**
   * @param options - the capacity
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a capacity that is not a positive safe integer
   */
  constructor(options: MemoryDecisionLogOptions = {}) {
    checkOptionsObject(options, 'new MemoryDecisionLog');
    const capacity = options.capacity ?? 10_000;
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new ArgumentError('capacity must be a positive integer');
    this.#capacity = capacity;
  }

  /** How many records the log keeps at most. */
  get capacity(): number {
    return this.#capacity;
  }

  /** How many records it holds now. */
  get size(): number {
    return this.#ring.length;
  }

  /** How many records were dropped to make room since the log was made. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * Keeps a record, dropping the oldest when the log is full.
   *
   * @param record - the record
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a record that breaks the format
   * @example
   * ```ts
   * log.write(await createDecisionRecord(input, decision, { backend, bundle }));
   * ```
   */
  write(record: DecisionRecord): void {
    const checked = checkRecord(record, argumentFail);
    if (this.#ring.length < this.#capacity) {
      this.#ring.push(checked);
      return;
    }
    this.#ring[this.#start] = checked;
    this.#start = (this.#start + 1) % this.#capacity;
    this.#dropped += 1;
  }

  /**
   * The records held, oldest first.
   *
   * @returns a new array of frozen records
   * @example
   * ```ts
   * const denials = log.records().filter((r) => !r.decision.allow);
   * ```
   */
  records(): DecisionRecord[] {
    return [...this.#ring.slice(this.#start), ...this.#ring.slice(0, this.#start)];
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Signing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** A decision-log signing key and its key id. */
export interface DecisionRecordSigner {
  /** The signing key (Ed25519 or ECDSA P-256). */
  readonly key: SigningKey;
  /** The kid verifiers find the key under (in their trust store, with role `decision-log`). */
  readonly kid: Uint8Array;
}

/** Options of {@link signDecisionRecord}. */
export interface SignDecisionRecordOptions {
  /** The backend that holds `signer.key`. */
  readonly backend: CryptoBackend;
  /** The key that signs, and its kid. */
  readonly signer: DecisionRecordSigner;
  /** Who signs (CWT `iss`, 1 to 256 characters): the issuer the verifiers trust the key as. */
  readonly issuer: string;
  /** The CWT `iat`, seconds since the epoch. Default the record's time, rounded down. */
  readonly issuedAt?: number;
}

/**
 * Signs a decision record as a COSE_Sign1 (RFC 9052 §4.2, tag 18):
 * - protected header: `1` (alg) EdDSA or ES256 from the key, `3` (content type) the text
 *   `"application/ward-decision+cbor"`, `4` (kid), `15` (CWT claims, RFC 9597)
 *   `{1 (iss): issuer, 6 (iat): issuedAt}`; nothing else;
 * - unprotected header: empty;
 * - payload: the record's canonical encoding ({@link encodeDecisionRecord}).
 *
 * @param record - the record (with `previous` set, if it is chained)
 * @param options - backend, signer, issuer, issuedAt
 * @returns the COSE_Sign1 bytes
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a record that breaks the format, or
 *   a bad issuer, kid or issuedAt
 * @throws {@link KeyError} when `signer.key` is not a signing key of `backend`
 * @example
 * ```ts
 * import { signDecisionRecord, verifyDecisionRecord } from '@ward/core/policy';
 *
 * const signed = await signDecisionRecord(record, {
 *   backend,
 *   signer: { key: logKey, kid: logKid },
 *   issuer: 'ward-gateway-3',
 * });
 * const checked = await verifyDecisionRecord(signed, { backend, trust: trust.keySource('decision-log') });
 * ```
 */
export async function signDecisionRecord(record: DecisionRecord, options: SignDecisionRecordOptions): Promise<Uint8Array> {
  if (typeof options !== 'object' || options === null || typeof options.signer !== 'object' || options.signer === null) {
    throw new ArgumentError('signDecisionRecord needs options with a backend, signer and issuer');
  }
  const { backend, signer, issuer } = options;
  assertBytes(signer.kid, 'signer.kid');
  if (signer.kid.length === 0) throw new ArgumentError('signer.kid must not be empty');
  if (typeof issuer !== 'string' || issuer.length === 0 || issuer.length > 256 || LONE_SURROGATE.test(issuer)) {
    throw new ArgumentError('issuer must be well-formed text of 1 to 256 characters');
  }
  const payload = encodeDecisionRecord(record);
  const issuedAt = options.issuedAt ?? Math.floor(record.time);
  if (!Number.isSafeInteger(issuedAt) || issuedAt < 0) throw new ArgumentError('issuedAt must be a non-negative safe integer');
  const protectedHeader: HeaderMap = new Map<number | string, CborValue>([
    [HeaderLabel.contentType, DECISION_RECORD_CONTENT_TYPE],
    [HeaderLabel.cwtClaims, new Map<CborValue, CborValue>([[ClaimKey.issuer, issuer], [ClaimKey.issuedAt, issuedAt]])],
  ]);
  return createSign1(payload, { backend, key: signer.key, kid: signer.kid, protectedHeader });
}

/** Options of {@link verifyDecisionRecord}. */
export interface VerifyDecisionRecordOptions {
  /** The backend that verifies. */
  readonly backend: CryptoBackend;
  /**
   * The verifying key, or a key source: usually `trustStore.keySource('decision-log')`, which
   * also checks the signer's issuer, role, validity window and revocation.
   */
  readonly trust: KeySource<VerifyingKey>;
}

/** What the signed headers of a record say about its signer. */
export interface DecisionRecordSignature {
  /** The signer's kid, lowercase hex. */
  readonly kid: string;
  /** The CWT `iss`. */
  readonly issuer: string;
  /** The CWT `iat`. */
  readonly issuedAt: number;
}

/** Checks the headers of a signed record (the rules of {@link signDecisionRecord}); returns what they say. */
function checkSignedHeaders(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap): DecisionRecordSignature {
  for (const label of protectedHeader.keys()) {
    if (!PROTECTED_LABELS.has(label)) throw invalid('the signed record\'s protected header holds a parameter the format does not define');
  }
  if (unprotectedHeader.size !== 0) throw invalid('a signed record must have an empty unprotected header');
  /* Cross-protocol confusion: only bytes signed as a decision record are one, whatever else the key signs. */
  if (protectedHeader.get(HeaderLabel.contentType) !== DECISION_RECORD_CONTENT_TYPE) {
    throw invalid(`a signed record's content type must be "${DECISION_RECORD_CONTENT_TYPE}"`);
  }
  const kid = protectedHeader.get(HeaderLabel.kid);
  if (!(kid instanceof Uint8Array) || kid.length === 0) throw invalid('a signed record must name its signer with a protected kid');
  const claims = protectedHeader.get(HeaderLabel.cwtClaims);
  if (!(claims instanceof Map)) throw invalid('a signed record carries no CWT claims');
  for (const label of claims.keys()) {
    if (label !== ClaimKey.issuer && label !== ClaimKey.issuedAt) throw invalid('a signed record\'s CWT claims may hold only iss and iat');
  }
  const issuer = claims.get(ClaimKey.issuer);
  const issuedAt = claims.get(ClaimKey.issuedAt);
  if (typeof issuer !== 'string' || issuer.length === 0) throw invalid('a signed record\'s CWT iss must be text');
  if (typeof issuedAt !== 'number' || !Number.isSafeInteger(issuedAt) || issuedAt < 0) {
    throw invalid('a signed record\'s CWT iat must be an unsigned integer');
  }
  return { kid: toHex(kid), issuer, issuedAt };
}

/** A signed record read by {@link inspectSignedDecisionRecord}: unauthenticated. */
export interface InspectedDecisionRecord extends DecisionRecordSignature {
  /** The record the payload holds. */
  readonly record: DecisionRecord;
}

/**
 * Verifies a signed decision record and returns it. Fails closed: the size, the COSE
 * structure, the signature (with the key `trust` gives for the signer's kid, issuer and
 * signing time), the headers and the payload's strict decoding must all pass.
 *
 * @param bytes - the COSE_Sign1 bytes (untrusted)
 * @param options - backend and trust
 * @returns the frozen record
 * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` for any failure, with the
 *   underlying error (a TrustError for an untrusted signer, a VerificationError for a bad
 *   signature, a DecodeError or CoseError for malformed bytes) in `cause`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `bytes` is not a Uint8Array
 * @example
 * ```ts
 * const record = await verifyDecisionRecord(signed, { backend, trust: trust.keySource('decision-log') });
 * ```
 */
export async function verifyDecisionRecord(bytes: Uint8Array, options: VerifyDecisionRecordOptions): Promise<DecisionRecord> {
  assertBytes(bytes, 'bytes');
  if (typeof options !== 'object' || options === null || options.trust === undefined) {
    throw new ArgumentError('verifyDecisionRecord needs options with a backend and trust');
  }
  /* Resource exhaustion: the size is checked before any decoding. */
  if (bytes.length > MAX_SIGNED_RECORD_BYTES) throw invalid(`a signed record is at most ${MAX_SIGNED_RECORD_BYTES} bytes`);
  let payload: Uint8Array;
  try {
    const verified = await verifySign1(bytes, { backend: options.backend, key: options.trust, ...SIGNED_DECODE_LIMITS });
    checkSignedHeaders(verified.protectedHeader, verified.unprotectedHeader);
    payload = verified.payload;
  } catch (error) {
    if (DecisionLogError.isInstance(error)) throw error;
    throw invalid(`the signed record does not verify: ${describe(error)}`, error);
  }
  return decodeDecisionRecord(payload);
}

/**
 * Reads a signed decision record WITHOUT checking its signature: the COSE structure, the
 * headers and the payload are checked as {@link verifyDecisionRecord} checks them, the
 * signature is not. For tools that must read a log they cannot authenticate (and for a writer
 * resuming its own log). Never trust what it returns: only {@link verifyDecisionRecord} says
 * who signed a record.
 *
 * @param bytes - the COSE_Sign1 bytes
 * @returns the record and what its headers claim about the signer
 * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` for malformed bytes
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `bytes` is not a Uint8Array
 * @example
 * ```ts
 * import { inspectSignedDecisionRecord } from '@ward/core/policy';
 *
 * const { record, kid, issuer } = inspectSignedDecisionRecord(signed); // unauthenticated
 * ```
 */
export function inspectSignedDecisionRecord(bytes: Uint8Array): InspectedDecisionRecord {
  assertBytes(bytes, 'bytes');
  if (bytes.length > MAX_SIGNED_RECORD_BYTES) throw invalid(`a signed record is at most ${MAX_SIGNED_RECORD_BYTES} bytes`);
  let payload: Uint8Array;
  let signature: DecisionRecordSignature;
  try {
    const layer = decodeLayer(bytes, CoseTag.Sign1, 4, SIGN1_RULES, SIGNED_DECODE_LIMITS);
    signature = checkSignedHeaders(layer.protectedHeader, layer.unprotectedHeader);
    payload = bytesField(layer.fields[2], 'payload');
    bytesField(layer.fields[3], 'signature');
  } catch (error) {
    if (DecisionLogError.isInstance(error)) throw error;
    throw invalid(`the signed record is malformed: ${describe(error)}`, error);
  }
  return { record: decodeDecisionRecord(payload), ...signature };
}

/* ------------------------------------------------------------------------------------------ */
/* Hash chains                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** Options of {@link DecisionChain}. */
export interface DecisionChainOptions {
  /** The backend that hashes the links. */
  readonly backend: CryptoBackend;
  /** Sign every record with these options (the record's time is the CWT `iat`). Default unsigned. */
  readonly sign?: Omit<SignDecisionRecordOptions, 'issuedAt'>;
  /** The link digest of the record to continue from (e.g. the last one of a log being resumed). */
  readonly head?: string;
}

/** A record as a {@link DecisionChain} appended it. */
export interface ChainedDecisionRecord {
  /** The record, with `previous` set to the chain's head before it (absent for the first). */
  readonly record: DecisionRecord;
  /** Its COSE_Sign1 bytes when the chain signs; `undefined` otherwise. */
  readonly signed: Uint8Array | undefined;
  /** Its link digest ({@link decisionRecordDigest}): the chain's new head. */
  readonly digest: string;
}

/**
 * A hash chain of decision records: each appended record gets `previous` = the link digest of
 * the record before it (SHA-256 of its COSE_Sign1 bytes when signed, of its canonical encoding
 * when not), and is then signed if the chain signs. Deleting, reordering or inserting a record
 * anywhere but at the end breaks a link that {@link verifyDecisionChain} finds; with signed
 * records no one without the key can re-link. Cutting records off the end is not detectable
 * from the log alone: keep the {@link DecisionChain.head} somewhere else now and then (a
 * second system, a transparency log) to detect that too.
 *
 * Appends are serialised in call order.
 *
 * @example
 * ```ts
 * import { DecisionChain } from '@ward/core/policy';
 *
 * const chain = new DecisionChain({ backend, sign: { backend, signer: { key, kid }, issuer: 'ward-gateway-3' } });
 * const { record, signed, digest } = await chain.append(await createDecisionRecord(input, decision, options));
 * ```
 */
export class DecisionChain {
  readonly #backend: CryptoBackend;
  readonly #sign: Omit<SignDecisionRecordOptions, 'issuedAt'> | undefined;
  #head: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param options - backend, signing options, head to continue from
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a missing backend or a head that is not 64 hex digits
   */
  constructor(options: DecisionChainOptions) {
    if (typeof options !== 'object' || options === null || typeof options.backend !== 'object' || options.backend === null) {
      throw new ArgumentError('a DecisionChain needs options with a backend');
    }
    this.#backend = options.backend;
    this.#sign = options.sign;
    this.#head = options.head === undefined ? undefined : hexText(options.head, 'head', argumentFail, 64);
  }

  /** The link digest of the last record appended (or the head given); `undefined` for a new chain. */
  get head(): string | undefined {
    return this.#head;
  }

  /**
   * Links a record to the chain (setting or replacing its `previous`), signs it if the chain
   * signs, and moves the head. A failure leaves the head where it was.
   *
   * @param record - the record
   * @returns the linked record, its signed bytes and its digest
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a record that breaks the format
   * @throws {@link KeyError} when the signing key does not fit the backend
   * @example
   * ```ts
   * const { record, signed } = await chain.append(record);
   * ```
   */
  append(record: DecisionRecord): Promise<ChainedDecisionRecord> {
    const next = this.#queue.then(() => this.#append(record));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #append(record: DecisionRecord): Promise<ChainedDecisionRecord> {
    const fields = object(record, 'record', RECORD_KEYS, argumentFail, true);
    const { previous: _replaced, ...rest } = fields;
    const linked = checkRecord(this.#head === undefined ? rest : { ...rest, previous: this.#head }, argumentFail);
    const signed = this.#sign === undefined ? undefined : await signDecisionRecord(linked, this.#sign);
    const digest = await decisionRecordDigest(signed ?? linked, this.#backend);
    this.#head = digest;
    return { record: linked, signed, digest };
  }
}

/** Options of {@link DecisionChainVerifier} and {@link verifyDecisionChain}. */
export interface VerifyDecisionChainOptions {
  /** The backend that hashes (and verifies signatures). */
  readonly backend: CryptoBackend;
  /**
   * Verifies signed entries: usually `trustStore.keySource('decision-log')`. Without it, signed
   * entries are read with {@link inspectSignedDecisionRecord} (structure only, not authenticated).
   */
  readonly trust?: KeySource<VerifyingKey>;
  /** Refuse unsigned entries. Default `true` when `trust` is given, else `false`. */
  readonly requireSigned?: boolean;
  /**
   * The link digest the first entry must continue from: the head of the log segment before
   * this one (after rotation). Without it, a first entry that has `previous` is refused: the
   * records it follows are missing.
   */
  readonly previous?: string;
}

/** What a verified chain holds. */
export interface DecisionChainVerification {
  /** The records, in order. */
  readonly records: readonly DecisionRecord[];
  /** How many. */
  readonly count: number;
  /** The link digest of the last entry (`previous` when there are none). */
  readonly head: string | undefined;
  /**
   * `true` only when there is at least one entry and every entry's signature verified with
   * `trust`. `false` means the log was checked for structure (and links) only: anyone who
   * could write it could have written it.
   */
  readonly authenticated: boolean;
  /** Whether the entries form a hash chain (`false`: an unchained log; order and completeness unchecked). */
  readonly chained: boolean;
}

/**
 * Verifies a decision log entry by entry, in order: each entry's record (and signature), its
 * link to the entry before it, and that signed and unsigned entries do not mix. For logs too
 * large to hold at once, or whose entries carry positions (line numbers) of their own; errors
 * name no position, so the caller adds its own. {@link verifyDecisionChain} runs it over an array.
 *
 * The chain rules: the first entry has no `previous` (or the given `previous`); whether the
 * log is chained is fixed by the second entry (or by a given `previous`); in a chained log
 * every later entry's `previous` is the link digest of the entry before it, in an unchained
 * one no entry has one. No record id may repeat.
 *
 * @example
 * ```ts
 * import { DecisionChainVerifier } from '@ward/core/policy';
 *
 * const verifier = new DecisionChainVerifier({ backend, trust: trust.keySource('decision-log') });
 * for (const [i, entry] of entries.entries()) {
 *   try {
 *     await verifier.add(entry);
 *   } catch (error) {
 *     throw new Error(`entry ${i} is bad`, { cause: error });
 *   }
 * }
 * const { records, authenticated } = verifier.result();
 * ```
 */
export class DecisionChainVerifier {
  readonly #backend: CryptoBackend;
  readonly #trust: KeySource<VerifyingKey> | undefined;
  readonly #requireSigned: boolean;
  readonly #start: string | undefined;
  readonly #records: DecisionRecord[] = [];
  readonly #ids = new Set<string>();
  #head: string | undefined;
  #signed: boolean | undefined;
  #chained: boolean | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #broken = false;

  /**
   * @param options - backend, trust, requireSigned, previous
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a missing backend or a `previous` that is not 64 hex digits
   */
  constructor(options: VerifyDecisionChainOptions) {
    if (typeof options !== 'object' || options === null || typeof options.backend !== 'object' || options.backend === null) {
      throw new ArgumentError('a DecisionChainVerifier needs options with a backend');
    }
    this.#backend = options.backend;
    this.#trust = options.trust;
    this.#requireSigned = options.requireSigned ?? options.trust !== undefined;
    if (this.#requireSigned && this.#trust === undefined) throw new ArgumentError('requireSigned needs trust to verify the signatures with');
    this.#start = options.previous === undefined ? undefined : hexText(options.previous, 'previous', argumentFail, 64);
    this.#head = this.#start;
    if (this.#start !== undefined) this.#chained = true;
  }

  /**
   * Verifies the next entry. After a refused entry the verifier refuses everything: the
   * chain is broken there.
   *
   * @param entry - the next record, or the COSE_Sign1 bytes of the next signed record
   * @returns the entry's record
   * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` for a malformed record, a
   *   signature that does not verify, a broken link, mixed signed and unsigned entries, an
   *   unsigned entry when signatures are required, or a repeated id
   * @example
   * ```ts
   * const record = await verifier.add(signedBytes);
   * ```
   */
  add(entry: DecisionRecord | Uint8Array): Promise<DecisionRecord> {
    const next = this.#queue.then(() => this.#add(entry));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #add(entry: DecisionRecord | Uint8Array): Promise<DecisionRecord> {
    if (this.#broken) throw invalid('an earlier entry was refused; the chain is broken there');
    try {
      return await this.#check(entry);
    } catch (error) {
      this.#broken = true;
      throw error;
    }
  }

  async #check(entry: DecisionRecord | Uint8Array): Promise<DecisionRecord> {
    const index = this.#records.length;
    const signed = entry instanceof Uint8Array;
    /* Stripping signatures: an unsigned entry is no evidence when the log must be signed. */
    if (!signed && this.#requireSigned) throw invalid('the record is not signed, and signatures are required');
    /* Mixing: an unsigned entry appended to a signed log (or the reverse) is refused, not averaged. */
    if (this.#signed !== undefined && this.#signed !== signed) {
      throw invalid(signed ? 'the record is signed but the records before it are not' : 'the record is not signed but the records before it are');
    }
    let record: DecisionRecord;
    if (!signed) record = checkRecord(entry, invalidFail);
    else if (this.#trust !== undefined) record = await verifyDecisionRecord(entry, { backend: this.#backend, trust: this.#trust });
    else record = inspectSignedDecisionRecord(entry).record;

    /* Deletion, reordering, insertion: each link must be the digest of the entry before it. */
    if (index === 0 && this.#start === undefined) {
      if (record.previous !== undefined) {
        throw invalid('the first record continues a chain whose earlier records are missing (give the previous head to verify a later segment)');
      }
    } else {
      if (this.#chained === undefined) this.#chained = record.previous !== undefined;
      if (this.#chained) {
        if (record.previous === undefined) throw invalid('the record has no link to the record before it (previous) in a chained log');
        if (record.previous !== this.#head) {
          throw invalid(index === 0
            ? 'the first record does not continue the given previous head'
            : 'the record does not follow the record before it (a record was deleted, reordered or inserted)');
        }
      } else if (record.previous !== undefined) {
        throw invalid('the record is chained but the records before it are not');
      }
    }
    /* Replay: a record copied into the log twice. */
    if (this.#ids.has(record.id)) throw invalid(`record id ${record.id} appears twice`);
    const digest = await decisionRecordDigest(signed ? entry : record, this.#backend);
    this.#ids.add(record.id);
    this.#records.push(record);
    this.#signed = signed;
    this.#head = digest;
    return record;
  }

  /**
   * What was verified so far.
   *
   * @returns the records, count, head, and whether they were authenticated and chained
   * @example
   * ```ts
   * const { count, authenticated, head } = verifier.result();
   * ```
   */
  result(): DecisionChainVerification {
    const count = this.#records.length;
    return Object.freeze({
      records: Object.freeze([...this.#records]),
      count,
      head: this.#head,
      authenticated: count > 0 && this.#signed === true && this.#trust !== undefined,
      chained: this.#chained ?? false,
    });
  }
}

/**
 * Verifies a whole decision log given as an array: every record (and, with `trust`, every
 * signature), every link of the hash chain, and that signed and unsigned entries do not mix.
 * The rules are those of {@link DecisionChainVerifier}.
 *
 * @param entries - the records, or the COSE_Sign1 bytes of signed ones, in log order
 * @param options - backend, trust, requireSigned, previous
 * @returns the records and what was checked
 * @throws {@link DecisionLogError} `ERR_DECISION_LOG_INVALID` naming the index of the first
 *   entry that fails ("entry 3: …"), with the precise failure in `cause`
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for bad options
 * @example
 * ```ts
 * import { verifyDecisionChain } from '@ward/core/policy';
 *
 * const { records, authenticated, head } = await verifyDecisionChain(signedEntries, {
 *   backend,
 *   trust: trust.keySource('decision-log'),
 * });
 * ```
 */
export async function verifyDecisionChain(
  entries: readonly (DecisionRecord | Uint8Array)[],
  options: VerifyDecisionChainOptions,
): Promise<DecisionChainVerification> {
  if (!Array.isArray(entries)) throw new ArgumentError('entries must be an array');
  const verifier = new DecisionChainVerifier(options);
  for (let i = 0; i < entries.length; i++) {
    try {
      await verifier.add(entries[i] as DecisionRecord | Uint8Array);
    } catch (error) {
      throw new DecisionLogError('ERR_DECISION_LOG_INVALID', `entry ${i}: ${WardError.isInstance(error) ? error.message : describe(error)}`, { cause: error });
    }
  }
  return verifier.result();
}
