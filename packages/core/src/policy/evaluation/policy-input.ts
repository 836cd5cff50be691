/*
 * The policy input document, built from verified envelope facts, and its canonical JSON: one
 * string that is both the decision cache's key and the bytes the policy evaluates, so an input
 * is serialised once per decision.
 */
import { PROFILE_LIMITS, isAttributeValue } from '../../profile/limits.js';
import { isSeconds, isWellFormedOrEmptyText, isWellFormedText } from '../../text.js';
import type { AttributeValue } from '../../profile/facts.js';
import type { EnvelopeFacts } from '../../profile/facts.js';
import { ArgumentError } from '../../errors.js';
import type { PolicyAction, PolicyContext, PolicyContextValue, PolicyEnvironment, PolicyInput, PolicyResource, PolicySubject } from '../decision.js';
import { toHex } from '../../bytes.js';

const ACTIONS: ReadonlySet<string> = new Set(['open', 'verify', 'rewrap']);
/* The caller's own fields (subject, environment) have looser limits than envelope facts. */
const MAX_TEXT = 1024;
const MAX_LIST = 64;
/* The standard attributes beside at most PROFILE_LIMITS.extra free-form ones. */
const STANDARD_ATTRIBUTES = ['classification', 'zone', 'purpose', 'owner', 'retention'] as const;
const MAX_ATTRIBUTES = PROFILE_LIMITS.extra + STANDARD_ATTRIBUTES.length;
/* A CBOR uint (< 2^64) in decimal: at most 20 digits. */
const DECIMAL_UINT = /^(?:0|[1-9][0-9]{0,19})$/;
const HEX = /^(?:[0-9a-f]{2})*$/;
const UINT64_LIMIT = 1n << 64n;

/**
 * The `resource` of a policy input: the verified facts of an envelope, JSON-friendly (ids in
 * hex, the sequence number as a decimal string so it survives JSON beyond 2^53). Nothing else
 * of the envelope reaches the policy: no payload, no key, nothing unverified.
 *
 * @param facts - facts returned by `verifyEnvelope()` / seen by `openEnvelope()`'s gate
 * @returns the resource document
 * @example
 * ```ts
 * import { verifyEnvelope } from '@ward/core';
 * import { policyResourceOf } from '@ward/core/policy';
 *
 * const resource = policyResourceOf(await verifyEnvelope(envelope, { backend, trust }));
 * resource.attributes.classification; // 'internal'
 * ```
 */
export function policyResourceOf(facts: EnvelopeFacts): PolicyResource {
  const { provenance, attributes, signer } = facts;
  /* Free-form attributes sit beside the standard ones; a free-form name that equals a standard
   * one never overrides it (the standard attribute is what the producer's profile defines). */
  const merged: Record<string, AttributeValue> = { ...attributes.extra };
  for (const key of STANDARD_ATTRIBUTES) {
    const value = attributes[key];
    if (value !== undefined) merged[key] = value;
    else delete merged[key];
  }
  const attributeDocument: Record<string, AttributeValue> = {};
  for (const key of Object.keys(merged).sort()) put(attributeDocument, key, merged[key]);
  return {
    issuer: provenance.issuer,
    stream: provenance.subject,
    issuedAt: provenance.issuedAt,
    sequence: String(provenance.sequence),
    id: toHex(provenance.id),
    attributes: attributeDocument,
    signer: { kid: toHex(signer.kid), alg: signer.alg },
    encryption: facts.encryption,
    ...(facts.rewrap === undefined ? {} : { rewrap: { issuer: facts.rewrap.issuer, rewrappedAt: facts.rewrap.rewrappedAt } }),
  };
}

/* The caller's texts: empty, or well-formed by core's one text rule (text.ts: no lone surrogate). */
function text(value: unknown, name: string): string {
  if (!isWellFormedOrEmptyText(value, MAX_TEXT)) throw new ArgumentError(`${name} must be a well-formed string of at most ${MAX_TEXT} characters`);
  return value;
}

/*
 * Envelope facts obey the envelope profile's rules (SPEC.md §5, §7), exactly the ones verifyEnvelope()
 * enforces on read: every fact set verifyEnvelope() returns is a valid resource, and a resource the
 * profile could not carry is a caller mistake.
 */
function fact(value: unknown, name: string): string {
  if (!isWellFormedText(value)) throw new ArgumentError(`${name} must be a well-formed string of 1 to ${PROFILE_LIMITS.text} characters`);
  return value;
}

function hex(value: unknown, name: string, maxBytes: number): string {
  if (typeof value !== 'string' || !HEX.test(value) || value.length > 2 * maxBytes) throw new ArgumentError(`${name} must be lowercase hex of at most ${maxBytes} bytes`);
  return value;
}

/* A fresh, frozen copy: the caller's array never reaches the cache or the returned input (issue 11). */
function texts(value: unknown, name: string): readonly string[] {
  if (!Array.isArray(value) || value.length > MAX_LIST) throw new ArgumentError(`${name} must be an array of at most ${MAX_LIST} strings`);
  const out: string[] = [];
  /* Index by index: a hole is undefined and refused, never written as null. */
  for (let i = 0; i < value.length; i++) out.push(text(value[i], name));
  return Object.freeze(out);
}

/* Times by core's one time rule (text.ts isSeconds); -0 is written as 0, as JSON would. */
function seconds(value: unknown, name: string): number {
  if (!isSeconds(value)) throw new ArgumentError(`${name} must be a non-negative integer`);
  return value === 0 ? 0 : value;
}

const hasOwn = (target: object, key: string): boolean => Object.prototype.hasOwnProperty.call(target, key);

/* A key "__proto__" is data, never the prototype: defineProperty, not assignment (a signed attribute of that name reaches the policy). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function shown(key: string): string {
  return JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
}

/* The contract's objects, and which of their fields may be absent (or hold undefined). */
const INPUT_FIELDS = ['action', 'subject', 'resource', 'environment', 'context'] as const;
const INPUT_OPTIONAL: readonly string[] = ['context'];
const SUBJECT_FIELDS = ['id', 'roles', 'purpose', 'zones', 'organisation'] as const;
const SUBJECT_OPTIONAL: readonly string[] = ['zones', 'organisation'];
const RESOURCE_FIELDS = ['issuer', 'stream', 'issuedAt', 'sequence', 'id', 'attributes', 'signer', 'encryption', 'rewrap'] as const;
const RESOURCE_OPTIONAL: readonly string[] = ['rewrap'];
const SIGNER_FIELDS = ['kid', 'alg'] as const;
const REWRAP_FIELDS = ['issuer', 'rewrappedAt'] as const;
const ENVIRONMENT_FIELDS = ['time', 'emergency'] as const;
const ENVIRONMENT_OPTIONAL: readonly string[] = ['emergency'];
const EMERGENCY_FIELDS = ['declared', 'incident'] as const;
const EMERGENCY_OPTIONAL: readonly string[] = ['incident'];
const NONE: readonly string[] = [];

/*
 * One object of the contract: not null, not an array (an array would reach the policy as an
 * object keyed by index, and a policy that opa eval denies could allow), and every own field
 * one the contract names. An unknown field is refused, never dropped: Rego tested with
 * opa eval on the richer input would behave differently inside Ward (issue 11). Fields are
 * read as own properties only, so nothing inherited (a polluted Object.prototype) reaches
 * the policy.
 */
function fields<K extends string>(value: unknown, name: string, known: readonly K[]): { readonly [key in K]?: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ArgumentError(`${name} must be an object (not an array or null)`);
  const names: readonly string[] = known;
  for (const key of Object.keys(value)) {
    if (!names.includes(key)) throw new ArgumentError(`${name} has a field the input contract does not define: ${shown(key)}`);
  }
  const out: { [key in K]?: unknown } = {};
  for (const key of known) if (hasOwn(value, key)) out[key] = (value as Record<string, unknown>)[key];
  return out;
}

/* A plain JSON object (prototype Object.prototype or null): a Date, Map or class instance would serialise as something else. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The subject with only the contract's fields, in a fixed order (fresh and frozen). */
function normalSubject(value: unknown): PolicySubject {
  const subject = fields(value, 'subject', SUBJECT_FIELDS);
  const { zones, organisation } = subject;
  return Object.freeze({
    id: text(subject.id, 'subject.id'),
    roles: texts(subject.roles, 'subject.roles'),
    purpose: text(subject.purpose, 'subject.purpose'),
    ...(zones === undefined ? {} : { zones: texts(zones, 'subject.zones') }),
    ...(organisation === undefined ? {} : { organisation: text(organisation, 'subject.organisation') }),
  });
}

function normalEnvironment(value: unknown): PolicyEnvironment {
  const environment = fields(value, 'environment', ENVIRONMENT_FIELDS);
  const time = seconds(environment.time, 'environment.time');
  if (environment.emergency === undefined) return Object.freeze({ time });
  const emergency = fields(environment.emergency, 'environment.emergency', EMERGENCY_FIELDS);
  if (typeof emergency.declared !== 'boolean') throw new ArgumentError('environment.emergency must be { declared: boolean, incident?: string }');
  return Object.freeze({
    time,
    emergency: Object.freeze({
      declared: emergency.declared,
      ...(emergency.incident === undefined ? {} : { incident: text(emergency.incident, 'environment.emergency.incident') }),
    }),
  });
}

function normalAttributes(value: unknown): Readonly<Record<string, AttributeValue>> {
  if (!isPlainObject(value)) throw new ArgumentError('resource.attributes must be a plain object (not an array or null)');
  const attributes: Record<string, AttributeValue> = {};
  const names = Object.keys(value).sort();
  if (names.length > MAX_ATTRIBUTES) throw new ArgumentError(`resource.attributes must hold at most ${MAX_ATTRIBUTES} attributes`);
  for (const key of names) {
    if (!isWellFormedText(key)) throw new ArgumentError(`resource.attributes names must be well-formed strings of 1 to ${PROFILE_LIMITS.text} characters`);
    const raw: unknown = value[key];
    /* Copy first (a hole becomes undefined), then check the copy: what is checked is what is kept. */
    const copy: unknown = Array.isArray(raw) ? Object.freeze(Array.from(raw as unknown[])) : raw;
    if (!isAttributeValue(copy)) {
      throw new ArgumentError(`resource.attributes.${key} must be a string, safe integer or fractional number, boolean or array of at most ${PROFILE_LIMITS.textList} strings`);
    }
    put(attributes, key, copy);
  }
  return Object.freeze(attributes);
}

function normalResource(value: unknown): PolicyResource {
  const resource = fields(value, 'resource', RESOURCE_FIELDS);
  const attributes = normalAttributes(resource.attributes);
  const signer = fields(resource.signer, 'resource.signer', SIGNER_FIELDS);
  if (!Number.isSafeInteger(signer.alg)) throw new ArgumentError('resource.signer must be { kid, alg }');
  const { encryption, sequence } = resource;
  if (encryption !== 'encrypt0' && encryption !== 'encrypt') throw new ArgumentError("resource.encryption must be 'encrypt0' or 'encrypt'");
  /* The CWT sequence is a CBOR uint (SPEC.md §5): below 2^64, whatever 20 digits could write. */
  if (typeof sequence !== 'string' || !DECIMAL_UINT.test(sequence) || BigInt(sequence) >= UINT64_LIMIT) throw new ArgumentError('resource.sequence must be a decimal integer below 2^64');
  const id = hex(resource.id, 'resource.id', PROFILE_LIMITS.id);
  if (id.length === 0) throw new ArgumentError('resource.id must not be empty');
  const rewrap = resource.rewrap === undefined ? undefined : fields(resource.rewrap, 'resource.rewrap', REWRAP_FIELDS);
  return Object.freeze({
    issuer: fact(resource.issuer, 'resource.issuer'),
    stream: fact(resource.stream, 'resource.stream'),
    issuedAt: seconds(resource.issuedAt, 'resource.issuedAt'),
    sequence,
    id,
    attributes,
    /* The kid is bounded by the header limits the envelope was decoded under, not by the profile. */
    signer: Object.freeze({ kid: hex(signer.kid, 'resource.signer.kid', Number.MAX_SAFE_INTEGER), alg: signer.alg as number }),
    encryption,
    ...(rewrap === undefined ? {} : {
      rewrap: Object.freeze({ issuer: fact(rewrap.issuer, 'resource.rewrap.issuer'), rewrappedAt: seconds(rewrap.rewrappedAt, 'resource.rewrap.rewrappedAt') }),
    }),
  });
}

/**
 * Limits of a policy input's `context` (the caller's own facts for the policy), counted as
 * the engine counts them: `depth` levels of objects and arrays, `context` itself being level
 * 1; `entries` values in all (every member value and every array element, at every level);
 * `members` per object; `items` per array; `key` UTF-16 code units per member name (1 at
 * least, well-formed); `text` UTF-16 code units per string (well-formed: no lone surrogate);
 * `json` UTF-16 code units of the context's canonical JSON (`JSON.stringify` of the
 * normalised copy, its keys in one deterministic order).
 *
 * @example
 * ```ts
 * import { POLICY_CONTEXT_LIMITS } from '@ward/core/policy';
 *
 * POLICY_CONTEXT_LIMITS.depth; // 8
 * ```
 */
export const POLICY_CONTEXT_LIMITS = Object.freeze({ depth: 8, entries: 256, members: 64, items: 64, key: 256, text: MAX_TEXT, json: 16_384 });

function contextValue(value: unknown, path: string, depth: number, budget: { entries: number }): PolicyContextValue {
  switch (typeof value) {
    case 'string':
      return text(value, path);
    case 'boolean':
      return value;
    case 'number':
      /* JSON has no NaN or Infinity: JSON.stringify would silently write null. */
      if (!Number.isFinite(value)) throw new ArgumentError(`${path} must be a finite number`);
      return value === 0 ? 0 : value;
    case 'object': {
      if (value === null) return null;
      if (depth > POLICY_CONTEXT_LIMITS.depth) throw new ArgumentError(`context nests deeper than ${POLICY_CONTEXT_LIMITS.depth} levels (at ${path})`);
      if (Array.isArray(value)) {
        if (value.length > POLICY_CONTEXT_LIMITS.items) throw new ArgumentError(`${path} must hold at most ${POLICY_CONTEXT_LIMITS.items} items`);
        const out: PolicyContextValue[] = [];
        for (let i = 0; i < value.length; i++) {
          if (++budget.entries > POLICY_CONTEXT_LIMITS.entries) throw new ArgumentError(`context must hold at most ${POLICY_CONTEXT_LIMITS.entries} values`);
          out.push(contextValue(value[i], `${path}[${i}]`, depth + 1, budget));
        }
        return Object.freeze(out);
      }
      if (!isPlainObject(value)) throw new ArgumentError(`${path} must be a plain object, array or JSON scalar`);
      const keys = Object.keys(value).sort();
      if (keys.length > POLICY_CONTEXT_LIMITS.members) throw new ArgumentError(`${path} must hold at most ${POLICY_CONTEXT_LIMITS.members} members`);
      const out: Record<string, PolicyContextValue> = {};
      for (const key of keys) {
        if (!isWellFormedText(key, POLICY_CONTEXT_LIMITS.key)) throw new ArgumentError(`${path} member names must be well-formed strings of 1 to ${POLICY_CONTEXT_LIMITS.key} characters`);
        if (++budget.entries > POLICY_CONTEXT_LIMITS.entries) throw new ArgumentError(`context must hold at most ${POLICY_CONTEXT_LIMITS.entries} values`);
        put(out, key, contextValue(value[key], `${path}.${key.length > 64 ? `${key.slice(0, 64)}…` : key}`, depth + 1, budget));
      }
      return Object.freeze(out);
    }
    default:
      throw new ArgumentError(`${path} must be a JSON value (string, finite number, boolean, null, array or object), not ${typeof value}`);
  }
}

function normalContext(value: unknown): PolicyContext {
  if (!isPlainObject(value)) throw new ArgumentError('context must be a plain JSON object (not an array or null)');
  const context = contextValue(value, 'context', 1, { entries: 0 }) as PolicyContext;
  if (JSON.stringify(context).length > POLICY_CONTEXT_LIMITS.json) throw new ArgumentError(`context must serialise to at most ${POLICY_CONTEXT_LIMITS.json} characters of JSON`);
  return context;
}

/**
 * Checks a policy input and returns a fresh, deeply frozen copy with only the contract's
 * fields, in a fixed order, and its canonical JSON (the same input always gives the same
 * string, whatever the caller's key order). Nothing of the caller's survives in the copy, so
 * changing the input afterwards changes nothing the engine caches. The contract is exact: an
 * unknown field, an array where an object belongs, `null` or a wrong type anywhere, a lone
 * surrogate in any text is refused, never dropped or converted (policies/README.md, "The
 * contract").
 *
 * @param input - the input document
 * @returns the normalised input and its canonical JSON
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a missing, unknown or malformed field
 * @example
 * ```ts
 * import { canonicalPolicyInput } from '@ward/core/policy';
 *
 * const { json } = canonicalPolicyInput({ action: 'open', subject, resource, environment: { time: 1_900_000_000 } });
 * ```
 */
export function canonicalPolicyInput(input: PolicyInput): { readonly input: PolicyInput; readonly json: string } {
  const fieldsOf = fields(input, 'policy input', INPUT_FIELDS);
  const { action, context } = fieldsOf;
  if (typeof action !== 'string' || !ACTIONS.has(action)) throw new ArgumentError("action must be 'open', 'verify' or 'rewrap'");
  const normal: PolicyInput = Object.freeze({
    action: action as PolicyAction,
    subject: normalSubject(fieldsOf.subject),
    resource: normalResource(fieldsOf.resource),
    environment: normalEnvironment(fieldsOf.environment),
    ...(context === undefined ? {} : { context: normalContext(context) }),
  });
  return { input: normal, json: JSON.stringify(normal) };
}

/*
 * The decision cache's lookup: a bucket per envelope id, then an exact comparison with the
 * normalised input stored in the entry, so two inputs that share a bucket key can never share
 * a decision. Nothing is validated, copied or serialised on a hit. The comparison may say "no"
 * to an input that would normalise to the entry (it then takes the validating path); it never
 * says "yes" to one that would not, or that canonicalPolicyInput would refuse.
 */

/**
 * The cache bucket key of a policy input: the envelope id, or undefined when it is not a string
 * (the caller then takes the validating path). The caller's own string is the key, so its
 * hash is computed once per string and nothing is concatenated on the hot path. Internal to
 * the engine.
 */
export function policyCacheBucket(input: PolicyInput): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { resource } = input;
  if (typeof resource !== 'object' || resource === null) return undefined;
  const envelopeId: unknown = resource.id;
  return typeof envelopeId === 'string' ? envelopeId : undefined;
}

/* Whether `value` holds the JSON value `normal` (frozen, from canonicalPolicyInput): the same arrays, plain objects with the same own keys, equal scalars. */
function sameJson(value: unknown, normal: unknown): boolean {
  if (typeof normal !== 'object' || normal === null) return value === normal;
  if (Array.isArray(normal)) {
    if (!Array.isArray(value) || value.length !== normal.length) return false;
    for (let i = 0; i < normal.length; i++) if (!sameJson(value[i], normal[i])) return false;
    return true;
  }
  if (!isPlainObject(value)) return false;
  let count = 0;
  for (const key in value) {
    if (!hasOwn(value, key) || !hasOwn(normal, key) || !sameJson(value[key], (normal as Record<string, unknown>)[key])) return false;
    count++;
  }
  return count === Object.keys(normal).length;
}

/* Whether `value` is a non-array object whose own keys are exactly the `size` keys of `normal`, plus `optional` ones holding undefined; nothing inherited is enumerable. */
function sameFields(value: unknown, normal: object, size: number, optional: readonly string[]): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let count = 0;
  for (const key in value) {
    if (!hasOwn(value, key)) return false;
    if (hasOwn(normal, key)) count++;
    else if ((value as Record<string, unknown>)[key] !== undefined || !optional.includes(key)) return false;
  }
  return count === size;
}

const present = (value: unknown): number => (value === undefined ? 0 : 1);

/**
 * Whether `input` normalises to exactly `normal` (a canonical input from the cache): the same
 * fields, no others, every value equal. Internal to the policy engine.
 */
export function matchesCanonicalInput(input: PolicyInput, normal: PolicyInput): boolean {
  if (!sameFields(input, normal, 4 + present(normal.context), INPUT_OPTIONAL) || input.action !== normal.action) return false;
  const s = input.subject;
  const n = normal.subject;
  if (!sameFields(s, n, 3 + present(n.zones) + present(n.organisation), SUBJECT_OPTIONAL)) return false;
  if (s.id !== n.id || s.purpose !== n.purpose || s.organisation !== n.organisation || !sameJson(s.roles, n.roles) || !sameJson(s.zones, n.zones)) return false;
  const r = input.resource;
  const m = normal.resource;
  if (!sameFields(r, m, 8 + present(m.rewrap), RESOURCE_OPTIONAL)) return false;
  if (r.issuer !== m.issuer || r.stream !== m.stream || r.issuedAt !== m.issuedAt || r.sequence !== m.sequence || r.id !== m.id || r.encryption !== m.encryption) return false;
  if (!sameFields(r.signer, m.signer, 2, NONE) || r.signer.kid !== m.signer.kid || r.signer.alg !== m.signer.alg) return false;
  if (m.rewrap === undefined ? r.rewrap !== undefined
    : !sameFields(r.rewrap, m.rewrap, 2, NONE) || r.rewrap.issuer !== m.rewrap.issuer || r.rewrap.rewrappedAt !== m.rewrap.rewrappedAt) return false;
  if (!sameJson(r.attributes, m.attributes)) return false;
  const e = input.environment;
  const f = normal.environment;
  if (!sameFields(e, f, 1 + present(f.emergency), ENVIRONMENT_OPTIONAL) || e.time !== f.time) return false;
  if (f.emergency === undefined ? e.emergency !== undefined
    : !sameFields(e.emergency, f.emergency, 1 + present(f.emergency.incident), EMERGENCY_OPTIONAL)
      || e.emergency.declared !== f.emergency.declared || e.emergency.incident !== f.emergency.incident) return false;
  return normal.context === undefined ? input.context === undefined : sameJson(input.context, normal.context);
}
