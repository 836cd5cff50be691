/*
 * The one text and time rule of core. Every validator that accepts a string or a time from a
 * caller or from the wire (envelope claims and attributes, trust-store and keyset documents,
 * bundle signatures, decision records, the policy input) uses these, so no two of them drift.
 */

/**
 * Characters (UTF-16 code units) of a short text (an identifier, a claim, an attribute, a name)
 * unless a caller states another maximum. Internal to core.
 */
export const MAX_SHORT_TEXT = 256;

/* A lone UTF-16 surrogate has no UTF-8 encoding (RFC 8949 §3.1: text strings are UTF-8). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Whether `value` is well-formed text of 1 to `max` characters. A lone surrogate has no UTF-8
 * encoding, so a writer cannot emit it and two different strings would reach a policy or a log
 * as one (RFC 8949 §3.1, RFC 3629 §3). Internal to core.
 */
export function isWellFormedText(value: unknown, max: number = MAX_SHORT_TEXT): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && !LONE_SURROGATE.test(value);
}

/** Whether `value` is a string without a lone surrogate (empty allowed), of at most `max` characters. Internal to core. */
export function isWellFormedOrEmptyText(value: unknown, max: number = MAX_SHORT_TEXT): value is string {
  return value === '' || isWellFormedText(value, max);
}

/**
 * Whether `value` is a time or duration in whole seconds: a non-negative safe integer, so it is
 * a CBOR unsigned integer on the wire and a JavaScript number on read. Internal to core.
 */
export function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
