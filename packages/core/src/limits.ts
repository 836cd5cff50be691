/*
 * resolveLimits, the one way core merges a caller's limits over its defaults: every decoder and
 * reader (CBOR, policy bundles, trust-store documents) takes a partial table of ceilings, and a
 * limit that is not a number of the stated kind is a typed ArgumentError, never a silent
 * fallback to the default or an unbounded read.
 */
import { ArgumentError } from './errors.js';

/** How a table's limits may be stated. Internal to core. */
export interface LimitRules {
  /** What the limits bound, for messages: `CBOR decode option`, `policy bundle limit`. */
  readonly what: string;
  /** `positive`: a safe integer ≥ 1 (the default); `non-negative-or-infinity`: an integer ≥ 0 or `Infinity`. */
  readonly kind?: 'positive' | 'non-negative-or-infinity';
}

/**
 * `defaults` with the limits `overrides` states, each checked. Unknown names in `overrides`
 * are ignored (a later version's limit passed to an older reader bounds nothing it reads).
 * Internal to core.
 *
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `overrides` is not an object or a
 *   stated limit is not a number of the rule's kind
 */
export function resolveLimits<T extends { readonly [K in keyof T]: number }>(
  defaults: Readonly<T>, overrides: Partial<T> | undefined, rules: LimitRules,
): T {
  if (overrides === undefined) return { ...defaults };
  if (typeof overrides !== 'object' || overrides === null) throw new ArgumentError(`${rules.what}s must be an object`);
  const resolved = { ...defaults };
  for (const name of Object.keys(defaults) as (keyof T & string)[]) {
    const value = overrides[name];
    if (value === undefined) continue;
    const ok = rules.kind === 'non-negative-or-infinity'
      ? typeof value === 'number' && (value === Infinity || (Number.isInteger(value) && value >= 0))
      : typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
    if (!ok) {
      throw new ArgumentError(`${rules.what} ${name} must be ${rules.kind === 'non-negative-or-infinity' ? 'a non-negative integer or Infinity' : 'a positive integer'}`);
    }
    (resolved as Record<string, number>)[name] = value;
  }
  return resolved;
}
