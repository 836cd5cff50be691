/*
 * The typed facts of Ward's envelope profile: access attributes, provenance, the re-wrap
 * authority's facts, freshness, and EnvelopeFacts, which gathers them. verifyEnvelope() returns them, the
 * replay guard and trust store read them, and the policy decides on them. Types only.
 */

/** Data classifications Ward's shipped policies know; any other text is accepted too. */
export type Classification = 'public' | 'internal' | 'personal' | 'special-category' | (string & {});

/** A free-form attribute value. */
export type AttributeValue = string | number | boolean | readonly string[];

/**
 * Access attributes of an envelope: signed, visible to the policy before decryption.
 */
export interface AccessAttributes {
  /** Data classification, e.g. `personal` or `special-category` (CCTV, door-access logs). */
  readonly classification: Classification;
  /** The city zone the data concerns. */
  readonly zone?: string;
  /** Purposes the data may be used for (purpose binding). */
  readonly purpose?: readonly string[];
  /** The data owner (a department or organisation). */
  readonly owner?: string;
  /** Retention period in seconds from `issuedAt`. */
  readonly retention?: number;
  /** Further attributes, by text name. */
  readonly extra?: Readonly<Record<string, AttributeValue>>;
}

/** Provenance the producer states; Ward signs it. */
export interface ProvenanceInput {
  /** Who produced the data (device or service identity). */
  readonly issuer: string;
  /** The stream or subject the record belongs to, e.g. `footfall/market-square`. */
  readonly subject: string;
  /** The producer's sequence number for this stream, a non-negative integer, strictly increasing. */
  readonly sequence: number | bigint;
  /** Seconds since the epoch; default: now. */
  readonly issuedAt?: number;
  /** A unique id; default: 16 random bytes. */
  readonly id?: Uint8Array;
}

/** Provenance as verified from an envelope. */
export interface Provenance {
  /** Producer identity. */
  readonly issuer: string;
  /** Stream or subject. */
  readonly subject: string;
  /** Per-producer sequence number. */
  readonly sequence: number | bigint;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  /** Unique id. */
  readonly id: Uint8Array;
}

/**
 * The outcome of an accepted message. Refusals are thrown as `ReplayError`s.
 *
 * - `fresh`: the next sequence number, or the first message of a stream the store has no
 *   state for (`firstSeen: true`).
 * - `gap`: `missing` sequence numbers were skipped; they stay acceptable while in the window.
 * - `out-of-order`: a late, not-yet-seen message `behind` the highest sequence number.
 * - `unchecked`: the store failed and `onStoreFailure` is `'accept'`; `cause` is the failure.
 */
export type ReplayCheck =
  | { readonly status: 'fresh'; readonly firstSeen: boolean; readonly highest: bigint }
  | { readonly status: 'gap'; readonly missing: bigint; readonly highest: bigint }
  | { readonly status: 'out-of-order'; readonly behind: bigint; readonly highest: bigint }
  | { readonly status: 'unchecked'; readonly cause: unknown };

/** Who re-wrapped an envelope, from its verified re-wrap record. */
export interface RewrapFacts {
  /** The re-wrap authority's identity (its CWT `iss`). */
  readonly issuer: string;
  /** The authority's signing key id and COSE algorithm. */
  readonly kid: Uint8Array;
  readonly alg: number;
  /** When it re-wrapped, seconds since the epoch. */
  readonly rewrappedAt: number;
  /** The re-wrap's own unique id (CWT `cti`). */
  readonly id: Uint8Array;
  /** The producer's original signature, which the authority verified (for audit). */
  readonly originSignature: Uint8Array;
}

/** The signed facts of an envelope, as verified. This is what a policy decides on. */
export interface EnvelopeFacts {
  /** Who produced it, for which stream, when, with which id and sequence number. */
  readonly provenance: Provenance;
  /** Access attributes. */
  readonly attributes: AccessAttributes;
  /** The producer's signing key id and COSE algorithm. */
  readonly signer: { readonly kid: Uint8Array; readonly alg: number };
  /** `encrypt0` (one shared key) or `encrypt` (per-recipient keys). */
  readonly encryption: 'encrypt0' | 'encrypt';
  /**
   * Present on re-wrapped envelopes: the authority that changed the recipients and vouches
   * for the producer's signature, which covered the original recipients.
   */
  readonly rewrap?: RewrapFacts;
  /** Present when a replay window was checked: how the envelope fits its stream. */
  readonly freshness?: ReplayCheck;
}

