/*
 * Making the record of one decision: the minimal input a record keeps of the full policy input
 * (minimalDecisionInput: an allow-list, never payloads, keys or more personal data than an audit
 * needs) and the record itself (createDecisionRecord: a random id, the time, the input digest).
 */
import type { CryptoBackend } from '../../backend/crypto-backend.js';
import { settle } from '../../backend/crypto-backend.js';
import { toHex } from '../../bytes.js';
import { ArgumentError } from '../../errors.js';
import { deepFreeze } from '../../freeze.js';
import type { PolicyDecision, PolicyInput } from '../decision.js';
import { decisionInputDigest } from './encoding.js';
import { MAX_RECORDED_CONTEXT, argumentFail, checkDecision, checkInput, checkRecord, list, object } from './record.js';
import type { DecisionBundle, DecisionRecord, DecisionRecordInput } from './record.js';

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
  /* Data minimisation (GDPR Art. 5(1)(c)): only the fields listed above, and context fields only when named. */
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
  /* Data minimisation (GDPR Art. 5(1)(c)): the record keeps the minimal input; the digest binds the full one. */
  const minimal = checkInput(input, argumentFail, false, contextAllowList(options.context));
  const copied = checkDecision(decision, argumentFail, false);
  const bundle = object(options.bundle, 'bundle', [], argumentFail, false);
  const keyIds = list(options.keyIds ?? [], 'keyIds', argumentFail, (kid, path) => {
    if (kid instanceof Uint8Array) return toHex(kid);
    return typeof kid === 'string' ? kid.toLowerCase() : argumentFail(`${path} must be hex text or bytes`);
  });
  const id = await settle(backend.randomBytes(16));
  /* A record Ward makes passes the rules every reader applies, so the writer never emits what an auditor refuses. */
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
