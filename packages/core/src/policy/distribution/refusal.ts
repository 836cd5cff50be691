/*
 * How a policy bundle is refused: the two PolicyError codes every reader in this folder throws
 * (`ERR_POLICY_BUNDLE_INVALID` for a malformed bundle, `ERR_POLICY_BUNDLE_SIGNATURE` for a
 * signature that does not hold), and how a name from the bundle is quoted in their messages.
 * Internal to policy/distribution.
 */
import { PolicyError } from '../../errors.js';

/** A malformed bundle or an exceeded limit: `ERR_POLICY_BUNDLE_INVALID`, the precise failure in `cause`. */
export function bundleInvalid(message: string, cause?: unknown): PolicyError {
  return new PolicyError('ERR_POLICY_BUNDLE_INVALID', `policy bundle: ${message}`, cause === undefined ? undefined : { cause });
}

/** A missing, malformed or failing signature: `ERR_POLICY_BUNDLE_SIGNATURE`, the precise failure in `cause`. */
export function signatureRefused(message: string, cause?: unknown): PolicyError {
  return new PolicyError('ERR_POLICY_BUNDLE_SIGNATURE', `policy bundle: ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * A text from the bundle as a JSON string of at most `max` characters (then `…`): an
 * attacker-chosen name never floods a message or a log, and its control characters are escaped
 * (log injection).
 */
export function quoted(text: string, max = 64): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
