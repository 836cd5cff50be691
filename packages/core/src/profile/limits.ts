/*
 * The envelope profile's limits (SPEC.md §5 and §7) and the value rules built on them, one table
 * for the writer and every reader: sealEnvelope() refuses beyond them, verifyEnvelope()/openEnvelope()/rewrapEnvelope() refuse to
 * read beyond them, and the policy input accepts exactly what they allow.
 */
import { MAX_SHORT_TEXT, isWellFormedText } from '../text.js';
import type { AttributeValue } from './facts.js';

/**
 * The limits SPEC.md §5 and §7 state for claims and attributes: one table for both sides.
 * sealEnvelope() refuses to write beyond them (`ERR_INVALID_ARGUMENT`); every reader (verifyEnvelope(), openEnvelope(),
 * rewrapEnvelope()) refuses to read beyond them (`ERR_ENVELOPE_INVALID`), because an envelope comes from
 * whoever holds a trusted key, not from Ward's encoder; and the policy input accepts exactly
 * what they allow, so every fact set verifyEnvelope() returns is a valid policy input. Internal to core.
 */
export const PROFILE_LIMITS = {
  /** Characters (UTF-16 code units) of a claim text, an attribute text or an attribute name; at least 1. */
  text: MAX_SHORT_TEXT,
  /** Purposes in the purpose attribute. */
  purposes: 32,
  /** Free-form (text-keyed) attributes. */
  extra: 32,
  /** Texts in one free-form text-array attribute. */
  textList: 32,
  /** Bytes of the unique id (`cti`); at least 1. */
  id: 64,
} as const;

/** Whether `value` is an array of at most `max` profile texts. Internal to core. */
export function isTextList(value: unknown, max: number): value is readonly string[] {
  return Array.isArray(value) && value.length <= max && value.every((v) => isWellFormedText(v));
}

/*
 * Numbers that survive the wire unchanged: safe integers (CBOR integers) and finite fractional
 * values (CBOR floats). An integral float (2^53, -0) would be refused by every COSE reader,
 * which rejects integral floats (SPEC.md §1), and an integer beyond ±(2^53−1) is no JavaScript
 * number, so neither is written or read.
 */
function isWireNumber(value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Object.is(value, -0)) return false;
  return Number.isSafeInteger(value) || !Number.isInteger(value);
}

/**
 * Whether `value` is a free-form attribute value within the profile's limits (SPEC.md §5): a
 * text, a boolean, a safe integer or fractional number, or a list of at most
 * {@link PROFILE_LIMITS}`.textList` texts. Internal to core.
 */
export function isAttributeValue(value: unknown): value is AttributeValue {
  return typeof value === 'boolean' || isWireNumber(value) || isWellFormedText(value) || isTextList(value, PROFILE_LIMITS.textList);
}
