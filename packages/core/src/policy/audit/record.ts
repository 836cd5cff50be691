/*
 * The decision record: its public types, its limits, and the one set of checking rules every
 * record passes whenever it is made, encoded, signed, written or read (so a record a reader
 * accepts is exactly a record a writer could have made), plus parseDecisionRecord for a record
 * given as JSON. The rules are exported to the other files of this folder only.
 */
import { ArgumentError, DecisionLogError, WardError } from '../../errors.js';
import { deepFreeze } from '../../freeze.js';
import { isWellFormedOrEmptyText } from '../../text.js';
import type { PolicyAction, PolicyDecision } from '../decision.js';

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

/* Resource exhaustion: every text and list of a record is bounded, so a hostile record read from a log stays small. */
const MAX_TEXT = 1024;
/** Entries of a list (roles, reasons, obligations, key ids) in a record. */
export const MAX_LIST = 256;
/** Characters of a hex field (128 bytes). */
const MAX_HEX = 256;
/** Context fields a record keeps at most: as many as a record map may hold (RECORD_DECODE_LIMITS.maxMapEntries). */
export const MAX_RECORDED_CONTEXT = 16;
const ACTIONS: ReadonlySet<unknown> = new Set<unknown>(['open', 'verify', 'rewrap']);
const HEX = /^(?:[0-9a-f]{2})+$/;

/** Throws the error of the caller's side: ArgumentError when Ward makes a record, DecisionLogError when it reads one. */
export type Fail = (message: string) => never;

export const argumentFail: Fail = (message) => {
  throw new ArgumentError(message);
};
export const invalidFail: Fail = (message) => {
  throw new DecisionLogError('ERR_DECISION_LOG_INVALID', message);
};
export const invalid = (message: string, cause?: unknown): DecisionLogError =>
  new DecisionLogError('ERR_DECISION_LOG_INVALID', message, cause === undefined ? undefined : { cause });

/** A name from untrusted input, short enough for a message. */
function shown(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

/** An error as a message, its code included. */
export function describe(error: unknown): string {
  if (WardError.isInstance(error)) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : 'unknown failure';
}

/* ------------------------------------------------------------------------------------------ */
/* Checking: one set of rules for records made, encoded, signed, written and read               */
/* ------------------------------------------------------------------------------------------ */

/** An object's own fields, not yet checked. */
export type Fields = Record<string, unknown>;

/**
 * The object at `path`. With `strict`, every own key must be one of `keys` (unknown fields are
 * refused: a reader never guesses at fields it does not know).
 */
export function object(value: unknown, path: string, keys: readonly string[], fail: Fail, strict: boolean): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${path} must be an object`);
  if (strict) {
    /* Smuggling: a field the format does not define would ride along in a signed record that no reader checks (SPEC.md §Decision record). */
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) fail(`${path} holds a field the record format does not define: ${shown(key)}`);
    }
  }
  return value as Fields;
}

function text(value: unknown, path: string, fail: Fail, nonEmpty = false): string {
  if (typeof value !== 'string') fail(`${path} must be text`);
  if (nonEmpty && value.length === 0) fail(`${path} must not be empty`);
  /*
   * text.ts's rule with the record's own maximum. A lone surrogate has no UTF-8 form (RFC 8949
   * §3.1, RFC 3629 §3): the record could not be encoded, and two different strings would reach
   * the log as one.
   */
  const tooLong = value.length > MAX_TEXT;
  if (!isWellFormedOrEmptyText(value, MAX_TEXT)) {
    fail(tooLong ? `${path} is longer than ${MAX_TEXT} characters` : `${path} holds a lone surrogate (no UTF-8 form)`);
  }
  return value;
}

/* One spelling per value: lowercase hex only, so a digest or key id compares equal exactly when the bytes are equal (a chain link is compared as text). */
export function hexText(value: unknown, path: string, fail: Fail, length?: number): string {
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

/**
 * A time: a finite number in [0, 2^53 − 1] (an integral one is a CBOR integer, −0 is 0). Beyond
 * 2^53 − 1 a number has no exact JavaScript form (RFC 8259 §6), so it would read back as another time.
 */
function time(value: unknown, path: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
    fail(`${path} must be a finite number of seconds in [0, 2^53 - 1]`);
  }
  return value === 0 ? 0 : value;
}

export function list<T>(value: unknown, path: string, fail: Fail, each: (item: unknown, path: string) => T): T[] {
  if (!Array.isArray(value)) fail(`${path} must be an array`);
  /* Resource exhaustion: a list is bounded before any entry is checked. */
  if (value.length > MAX_LIST) fail(`${path} holds more than ${MAX_LIST} entries`);
  const out: T[] = [];
  for (let i = 0; i < value.length; i++) out.push(each((value as unknown[])[i], `${path}[${i}]`));
  return out;
}

function has(fields: Fields, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(fields, key) && fields[key] !== undefined;
}

/*
 * A context value a record can keep: text, boolean, or a number CBOR writes unchanged (a safe
 * integer or a fractional value). An integer beyond 2^53 − 1 has no exact JavaScript form
 * (RFC 8259 §6): the record would read back with another value than the one decided on.
 */
function contextScalar(value: unknown, path: string, fail: Fail): string | number | boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) fail(`${path} must be a finite number (an integer within 2^53 - 1)`);
    return value === 0 ? 0 : value;
  }
  if (typeof value === 'string') return text(value, path, fail);
  return fail(`${path} must be text, a number or a boolean to be recorded`);
}

/*
 * The context a record keeps. Making a record (`keep` given): only the allow-listed fields,
 * whatever else the context holds — a log must not hold more personal data than an audit
 * needs (data minimisation, GDPR Art. 5(1)(c)). Reading a record (`keep` undefined): every
 * field it has, each a scalar.
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
    /* Prototype pollution: defineProperty, not assignment, so a field named "__proto__" is data, never the prototype. */
    Object.defineProperty(kept, text(name, path, fail, true), { value: contextScalar(context[name], path, fail), enumerable: true, writable: true, configurable: true });
    count++;
  }
  return count === 0 ? undefined : kept;
}

/** The minimal input of a record; with `keep`, only those context fields (making a record), else all it has (reading one). */
export function checkInput(value: unknown, fail: Fail, strict: boolean, keep?: readonly string[]): DecisionRecordInput {
  const input = object(value, 'input', ['action', 'subject', 'resource', 'environment', 'context'], fail, strict);
  /* Only the actions the policy contract defines (SPEC.md §Decision record). */
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

/** A copy of a decision: its documented fields only (an obligation of an unknown type is refused). */
export function checkDecision(value: unknown, fail: Fail, strict: boolean): PolicyDecision {
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

export const RECORD_KEYS = ['id', 'time', 'inputDigest', 'input', 'decision', 'bundle', 'keyIds', 'cached', 'previous'] as const;

/**
 * Checks a whole record and returns a fresh, deeply frozen copy with its fields in the
 * documented order (the order of its JSON form).
 */
export function checkRecord(value: unknown, fail: Fail): DecisionRecord {
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
  /* Own what you hand out: the copy is frozen, so no caller changes a record after it was checked. */
  return deepFreeze(checked);
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
