/*
 * The policy input document, built from verified envelope facts, and its canonical JSON: one
 * string that is both the decision cache's key and the bytes the policy evaluates, so an input
 * is serialised once per decision.
 */
import { PROFILE_LIMITS, isAttributeValue, isWellFormedText } from '../envelope/profile.js';
import type { AttributeValue } from '../envelope/profile.js';
import type { EnvelopeFacts } from '../envelope/verify.js';
import { ArgumentError } from '../errors.js';
import type { PolicyAction, PolicyEnvironment, PolicyInput, PolicyResource, PolicySubject } from './decision.js';
import { toHex } from '../bytes.js';

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

/**
 * The `resource` of a policy input: the verified facts of an envelope, JSON-friendly (ids in
 * hex, the sequence number as a decimal string so it survives JSON beyond 2^53). Nothing else
 * of the envelope reaches the policy: no payload, no key, nothing unverified.
 *
 * @param facts - facts returned by `verify()` / seen by `open()`'s gate
 * @returns the resource document
 * @example
 * ```ts
 * import { policyResourceOf, verify } from '@ward/core';
 *
 * const resource = policyResourceOf(await verify(envelope, { backend, trust }));
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
  for (const key of Object.keys(merged).sort()) attributeDocument[key] = merged[key]!;
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

/* The caller's texts: empty, or well-formed by the profile's one text rule (no lone surrogate). */
function text(value: unknown, name: string): string {
  if (value !== '' && !isWellFormedText(value, MAX_TEXT)) throw new ArgumentError(`${name} must be a well-formed string of at most ${MAX_TEXT} characters`);
  return value;
}

/*
 * Envelope facts obey the envelope profile's rules (SPEC.md §5, §7), exactly the ones verify()
 * enforces on read: every fact set verify() returns is a valid resource, and a resource the
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

function texts(value: unknown, name: string): readonly string[] {
  if (!Array.isArray(value) || value.length > MAX_LIST) throw new ArgumentError(`${name} must be an array of at most ${MAX_LIST} strings`);
  for (const item of value) text(item, name);
  return value as readonly string[];
}

function seconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new ArgumentError(`${name} must be a non-negative integer`);
  return value;
}

/** The subject with only the contract's fields, in a fixed order. */
function normalSubject(subject: PolicySubject): PolicySubject {
  if (typeof subject !== 'object' || subject === null) throw new ArgumentError('subject must be an object');
  return {
    id: text(subject.id, 'subject.id'),
    roles: texts(subject.roles, 'subject.roles'),
    purpose: text(subject.purpose, 'subject.purpose'),
    ...(subject.zones === undefined ? {} : { zones: texts(subject.zones, 'subject.zones') }),
    ...(subject.organisation === undefined ? {} : { organisation: text(subject.organisation, 'subject.organisation') }),
  };
}

function normalEnvironment(environment: PolicyEnvironment): PolicyEnvironment {
  if (typeof environment !== 'object' || environment === null) throw new ArgumentError('environment must be an object');
  const { emergency } = environment;
  if (emergency !== undefined && (typeof emergency !== 'object' || emergency === null || typeof emergency.declared !== 'boolean')) {
    throw new ArgumentError('environment.emergency must be { declared: boolean, incident?: string }');
  }
  return {
    time: seconds(environment.time, 'environment.time'),
    ...(emergency === undefined ? {} : {
      emergency: { declared: emergency.declared, ...(emergency.incident === undefined ? {} : { incident: text(emergency.incident, 'environment.emergency.incident') }) },
    }),
  };
}

function normalResource(resource: PolicyResource): PolicyResource {
  if (typeof resource !== 'object' || resource === null || typeof resource.attributes !== 'object' || resource.attributes === null) {
    throw new ArgumentError('resource must be an object with attributes');
  }
  const attributes: Record<string, AttributeValue> = {};
  const names = Object.keys(resource.attributes).sort();
  if (names.length > MAX_ATTRIBUTES) throw new ArgumentError(`resource.attributes must hold at most ${MAX_ATTRIBUTES} attributes`);
  for (const key of names) {
    const value: unknown = resource.attributes[key];
    if (!isWellFormedText(key)) throw new ArgumentError(`resource.attributes names must be well-formed strings of 1 to ${PROFILE_LIMITS.text} characters`);
    if (!isAttributeValue(value)) {
      throw new ArgumentError(`resource.attributes.${key} must be a string, safe integer or fractional number, boolean or array of at most ${PROFILE_LIMITS.textList} strings`);
    }
    attributes[key] = value;
  }
  const { signer, rewrap } = resource;
  if (typeof signer !== 'object' || signer === null || !Number.isSafeInteger(signer.alg)) throw new ArgumentError('resource.signer must be { kid, alg }');
  if (resource.encryption !== 'encrypt0' && resource.encryption !== 'encrypt') throw new ArgumentError("resource.encryption must be 'encrypt0' or 'encrypt'");
  if (typeof resource.sequence !== 'string' || !DECIMAL_UINT.test(resource.sequence)) throw new ArgumentError('resource.sequence must be a decimal integer below 2^64');
  const id = hex(resource.id, 'resource.id', PROFILE_LIMITS.id);
  if (id.length === 0) throw new ArgumentError('resource.id must not be empty');
  return {
    issuer: fact(resource.issuer, 'resource.issuer'),
    stream: fact(resource.stream, 'resource.stream'),
    issuedAt: seconds(resource.issuedAt, 'resource.issuedAt'),
    sequence: resource.sequence,
    id,
    attributes,
    /* The kid is bounded by the header limits the envelope was decoded under, not by the profile. */
    signer: { kid: hex(signer.kid, 'resource.signer.kid', Number.MAX_SAFE_INTEGER), alg: signer.alg },
    encryption: resource.encryption,
    ...(rewrap === undefined ? {} : {
      rewrap: { issuer: fact(rewrap.issuer, 'resource.rewrap.issuer'), rewrappedAt: seconds(rewrap.rewrappedAt, 'resource.rewrap.rewrappedAt') },
    }),
  };
}

/**
 * Checks a policy input and returns it with only the contract's fields, in a fixed order, and
 * its canonical JSON (the same input always gives the same string, whatever the caller's key
 * order). Unknown fields are dropped: the policy sees exactly the documented contract.
 *
 * @param input - the input document
 * @returns the normalised input and its canonical JSON
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a field of the wrong type or size
 * @example
 * ```ts
 * import { canonicalPolicyInput } from '@ward/core';
 *
 * const { json } = canonicalPolicyInput({ action: 'open', subject, resource, environment: { time: 1_900_000_000 } });
 * ```
 */
export function canonicalPolicyInput(input: PolicyInput): { readonly input: PolicyInput; readonly json: string } {
  if (typeof input !== 'object' || input === null) throw new ArgumentError('policy input must be an object');
  if (!ACTIONS.has(input.action)) throw new ArgumentError("action must be 'open', 'verify' or 'rewrap'");
  const normal: PolicyInput = {
    action: input.action as PolicyAction,
    subject: normalSubject(input.subject),
    resource: normalResource(input.resource),
    environment: normalEnvironment(input.environment),
  };
  return { input: normal, json: JSON.stringify(normal) };
}

/*
 * The decision cache's lookup: a short bucket key from the fields that tell requests apart
 * fastest (action, subject id, envelope id, time), then an exact field-by-field comparison
 * with the normalised input stored in the entry, so two inputs that share a bucket key can
 * never share a decision. Nothing is validated, copied or serialised on a hit.
 */

/**
 * The cache bucket key of a policy input, or undefined when those fields are not plain
 * strings and numbers (the caller then takes the validating path). Internal to the engine.
 */
export function policyCacheBucket(input: PolicyInput): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { action, subject, resource, environment } = input;
  if (typeof subject !== 'object' || subject === null || typeof resource !== 'object' || resource === null) return undefined;
  if (typeof environment !== 'object' || environment === null) return undefined;
  const { id } = subject;
  const envelopeId = resource.id;
  const { time } = environment;
  if (typeof action !== 'string' || typeof id !== 'string' || typeof envelopeId !== 'string' || typeof time !== 'number') return undefined;
  return `${action}\u0000${id}\u0000${envelopeId}\u0000${time}`;
}

function sameList(a: unknown, b: readonly string[] | undefined): boolean {
  if (b === undefined) return a === undefined;
  if (!Array.isArray(a) || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  return Array.isArray(b) ? sameList(a, b as readonly string[]) : a === b;
}

/**
 * Whether `input` normalises to exactly `normal` (a canonical input from the cache): every
 * field the contract keeps is equal. Internal to the policy engine.
 */
export function matchesCanonicalInput(input: PolicyInput, normal: PolicyInput): boolean {
  const s = input.subject;
  const r = input.resource;
  if (typeof r.attributes !== 'object' || r.attributes === null || typeof r.signer !== 'object' || r.signer === null) return false;
  const n = normal.subject;
  if (input.action !== normal.action || s.id !== n.id || s.purpose !== n.purpose || s.organisation !== n.organisation) return false;
  if (!sameList(s.roles, n.roles) || !sameList(s.zones, n.zones)) return false;
  const m = normal.resource;
  if (r.issuer !== m.issuer || r.stream !== m.stream || r.issuedAt !== m.issuedAt || r.sequence !== m.sequence || r.id !== m.id) return false;
  if (r.signer.kid !== m.signer.kid || r.signer.alg !== m.signer.alg || r.encryption !== m.encryption) return false;
  if ((r.rewrap === undefined) !== (m.rewrap === undefined)) return false;
  if (r.rewrap !== undefined && (r.rewrap.issuer !== m.rewrap!.issuer || r.rewrap.rewrappedAt !== m.rewrap!.rewrappedAt)) return false;
  let count = 0;
  for (const name in r.attributes) {
    if (!Object.prototype.hasOwnProperty.call(r.attributes, name)) continue;
    if (!Object.prototype.hasOwnProperty.call(m.attributes, name) || !sameValue(r.attributes[name], m.attributes[name])) return false;
    count++;
  }
  if (count !== Object.keys(m.attributes).length) return false;
  const e = input.environment;
  const f = normal.environment;
  if (e.time !== f.time || (e.emergency === undefined) !== (f.emergency === undefined)) return false;
  return e.emergency === undefined || (e.emergency.declared === f.emergency!.declared && e.emergency.incident === f.emergency!.incident);
}
