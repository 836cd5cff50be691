/*
 * The policy contract (DESIGN.md §Policy): the input document a Rego policy sees and the
 * decision it returns. policies/input.schema.json is the same contract for Rego authors.
 */

/** What is being asked for. */
export type PolicyAction = 'open' | 'verify' | 'rewrap';

/** Who asks: the caller states it; Ward passes it through unchanged. */
export interface PolicySubject {
  /** A stable id of the person or service. */
  readonly id: string;
  /** Roles, e.g. `['analyst']`. */
  readonly roles: readonly string[];
  /** The purpose of this access, bound against the data's stated purposes. */
  readonly purpose: string;
  /** Zones the subject works in, for zone-bound roles. */
  readonly zones?: readonly string[];
  /** The subject's organisation, e.g. a contractor's company. */
  readonly organisation?: string;
}

/** The verified facts of an envelope as the policy sees them (JSON-friendly: ids are hex, sequence is a decimal string). */
export interface PolicyResource {
  readonly issuer: string;
  readonly stream: string;
  readonly issuedAt: number;
  readonly sequence: string;
  readonly id: string;
  readonly attributes: Readonly<Record<string, string | number | boolean | readonly string[]>>;
  readonly signer: { readonly kid: string; readonly alg: number };
  readonly encryption: 'encrypt0' | 'encrypt';
  readonly rewrap?: { readonly issuer: string; readonly rewrappedAt: number };
}

/** The circumstances of the request. */
export interface PolicyEnvironment {
  /** Seconds since the epoch; Ward fills it from its clock when absent. */
  readonly time: number;
  /** A declared emergency (break-glass). */
  readonly emergency?: { readonly declared: boolean; readonly incident?: string };
}

/** A JSON value of a policy input's `context`. */
export type PolicyContextValue = string | number | boolean | null | readonly PolicyContextValue[] | { readonly [key: string]: PolicyContextValue };

/**
 * The caller's own facts for the policy (`input.context`), for example a warrant id or a
 * ticket number: a plain JSON object within `POLICY_CONTEXT_LIMITS`. Ward passes it to the
 * policy as given and never interprets it; the decision log keeps only the
 * fields its `context` allow-list names.
 */
export type PolicyContext = { readonly [key: string]: PolicyContextValue };

/** The input document: `{ action, subject, resource, environment, context? }`. */
export interface PolicyInput {
  readonly action: PolicyAction;
  readonly subject: PolicySubject;
  readonly resource: PolicyResource;
  readonly environment: PolicyEnvironment;
  /** The caller's own facts (see {@link PolicyContext}); absent when not given. */
  readonly context?: PolicyContext;
}

/**
 * An obligation attached to an allow: what the caller (or Ward) must do when acting on it;
 * `openEnvelope()` fulfils each or releases nothing (SPEC.md §Obligations).
 *
 * - `log`: the decision must be recorded (a decision log is required).
 * - `notify`: `to` must be told; `openEnvelope()` calls its `notify` option last, once every other
 *   check has passed.
 * - `redact`: the `fields` must be gone from the released payload (a JSON object or CBOR map).
 *   Each field is a path: names joined by `.`, a name followed by `[]` for every element of an
 *   array — `person.badge`, `people[].name`, `rows[][].id`. A name is non-empty and has no
 *   `.`, `[` or `]`; a path ends in a name. A dotted path also names a key that contains the
 *   dots. A field that cannot be proven gone (a plain name meeting an array, `[]` meeting a
 *   non-array, a name meeting a string or number, a payload that is not a JSON object or CBOR
 *   map, a malformed path) refuses the open with `ERR_POLICY_OBLIGATION`.
 */
export type Obligation =
  | { readonly type: 'log' }
  | { readonly type: 'notify'; readonly to: string }
  | { readonly type: 'redact'; readonly fields: readonly string[] };

/** A policy decision. Anything the policy returns that is not exactly this shape is a deny. */
export interface PolicyDecision {
  readonly allow: boolean;
  readonly reasons: readonly string[];
  readonly obligations: readonly Obligation[];
}
