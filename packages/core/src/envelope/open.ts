/*
 * openEnvelope(): verify, decide, and only then decrypt (DESIGN.md principle 2, "policy before keys");
 * notify last, once nothing but the notifier itself can still refuse (SPEC.md §Opening).
 */
import type { AeadKey, MaybePromise } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { ArgumentError } from '../errors.js';
import { decryptEncrypt } from '../cose/encrypt.js';
import type { RecipientSource } from '../cose/encrypt.js';
import { decryptEncrypt0 } from '../cose/encrypt0.js';
import type { KeySource } from '../cose/key-lookup.js';
import type { PolicyDecision } from '../policy/decision.js';
import { applyRedactions, checkGateOptions, deliverNotifications, runPolicyGate } from '../policy/enforcement/policy-gate.js';
import type { GateOutcome, PolicyGateOptions } from '../policy/enforcement/policy-gate.js';
import { checkCommittedContentKey } from './commitment.js';
import { sealExternalAad } from './seal.js';
import { checkVerifyOptions, refuseOnFailure, verifySealed, withFreshness } from './verify.js';
import type { EnvelopeFacts } from '../profile/facts.js';
import type { VerifyOptions } from './verify.js';

/** Options of {@link openEnvelope}. */
export interface OpenOptions extends VerifyOptions {
  /**
   * The reader's key for envelopes sealed to recipients (COSE_Encrypt), or a resolver by each
   * recipient's kid, such as a keyset's `recipientKey()`.
   */
  readonly recipient?: RecipientSource;
  /**
   * The shared key for envelopes sealed under one key (COSE_Encrypt0). Prefer a resolver by
   * `kid` (`({ kid }) => keys.get(hex(kid))`): shared-key envelopes carry no key commitment,
   * so the signed `kid` is what pins the key (SPEC.md §Key commitment).
   */
  readonly key?: KeySource<AeadKey>;
  /**
   * Called with the verified facts after the signature checked (and after `policy`, when
   * given) and before any key is touched; throw to deny. Its error propagates unchanged.
   */
  readonly authorize?: (facts: EnvelopeFacts) => MaybePromise<void>;
  /**
   * The policy that decides (a `PolicyEngine`, or an isolated one such as `IsolatedPolicyEngine`
   * of `@ward/node`, whose timeout refuses). With it, `openEnvelope()` builds the policy input from
   * the verified facts, `subject`, `action` and `environment`, refuses a deny with
   * `PolicyDeniedError` (`ERR_POLICY_DENIED`) before any key is touched, records the decision
   * in `decisionLog`, and fulfils the allow's obligations (log, notify, redact). Notifications
   * are delivered last, after decryption and redaction, so nobody is notified of an access
   * that is then refused.
   */
  readonly policy?: PolicyGateOptions['policy'];
  /** Who asks (required with `policy`). */
  readonly subject?: PolicyGateOptions['subject'];
  /** The action the policy is asked about; default `'open'`. */
  readonly action?: PolicyGateOptions['action'];
  /** The circumstances; `time` defaults to now. */
  readonly environment?: PolicyGateOptions['environment'];
  /** The caller's own facts for the policy (`input.context`). */
  readonly context?: PolicyGateOptions['context'];
  /** The `context` fields the decision log keeps (an explicit allow-list; default none). */
  readonly logContext?: PolicyGateOptions['logContext'];
  /** Where decisions are recorded (required when the policy demands a `log` obligation). */
  readonly decisionLog?: PolicyGateOptions['decisionLog'];
  /**
   * Delivers `notify` obligations (required when the policy demands one). Called after every
   * other check passed, just before the plaintext is released; throw to refuse.
   */
  readonly notify?: PolicyGateOptions['notify'];
}

/** An opened envelope. */
export interface OpenedEnvelope {
  /** The plaintext, released only after every check passed. */
  readonly plaintext: Uint8Array;
  /** The verified facts it was released under. */
  readonly facts: EnvelopeFacts;
  /** The policy's decision, when `openEnvelope()` was policy-gated: its reasons and obligations. */
  readonly decision?: PolicyDecision;
}

/**
 * Opens a sealed envelope: verifies the producer's signature and the profile, runs the policy
 * and `authorize` on the verified facts, checks the key commitment, decrypts, applies `redact`
 * obligations and, last, delivers `notify` obligations. Returns the plaintext only when every
 * step passed; otherwise throws and returns nothing.
 *
 * Order (SPEC.md §Opening): argument checks; verification; the reader's key against the
 * envelope's kind (an argument error); replay window; policy decision (recorded), deny, and
 * whether every obligation can be met; `authorize`; key resolution, unwrap, key commitment,
 * decryption; redaction; notifications; release. Every check that can refuse runs before
 * anyone is notified: after the first notification only a failing notifier can still refuse
 * (then nothing is released, and notifications already delivered stand).
 *
 * @param envelope - a sealed envelope
 * @param options - backend, trusted producers, the reader's key, an optional `authorize` gate
 * @returns the plaintext and the facts
 * @throws {@link EnvelopeError} `ERR_ENVELOPE_INVALID` for any verification or decryption
 *   failure (which one is only in `cause`)
 * @throws whatever `authorize` throws, unchanged, when it denies
 * @throws {@link ReplayError} when `options.replay` is set and the envelope is a replay (before `authorize` runs)
 * @throws {@link PolicyDeniedError} `ERR_POLICY_DENIED` when `options.policy` denies (no key touched)
 * @throws {@link PolicyError} `ERR_POLICY_OBLIGATION` when an obligation cannot be met (no log,
 *   no notifier, a failing sink, a malformed redaction path — all before any key is touched —
 *   or, after decryption, a named field that cannot be proven gone, or a failing notifier);
 *   `ERR_POLICY_EVALUATION` when the policy fails
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `options` lack what the envelope needs
 *   or an option has the wrong type (`authorize`, `notify`, `decisionLog`, `policy`, `subject`);
 *   decided before verification, except a reader key of the wrong kind for the envelope,
 *   decided right after it (before the replay window records the envelope)
 * @example
 * ```ts
 * import { openEnvelope } from '@ward/core';
 *
 * const { plaintext, facts } = await openEnvelope(envelope, {
 *   backend,
 *   trust: ({ kid }) => producers.get(hex(kid)),
 *   recipient: { privateKey: analystKey, kid: analystKid },
 * });
 *
 * // Policy-gated: the city's Rego decides on the verified facts before any key is touched.
 * const { plaintext: reading, decision } = await openEnvelope(envelope, {
 *   backend, trust: trustStore.keySource(), recipient: analysts.recipientKey(),
 *   policy: engine, subject: { id: 'ana', roles: ['analyst'], purpose: 'planning' }, decisionLog,
 * });
 * ```
 */
export async function openEnvelope(envelope: Uint8Array, options: OpenOptions): Promise<OpenedEnvelope> {
  /* Caller misuse is decided before anything is read, any key touched or anyone notified. */
  checkVerifyOptions(envelope, options);
  if (options.key === undefined && options.recipient === undefined) throw new ArgumentError('options need recipient or key');
  if (options.authorize !== undefined && typeof options.authorize !== 'function') throw new ArgumentError('options.authorize must be a function');
  checkGateOptions(options);
  const sealed = await refuseOnFailure(() => verifySealed(envelope, options));
  /* The one argument check that needs the envelope: before the replay window records it. */
  if (sealed.facts.encryption === 'encrypt0' && options.key === undefined) throw new ArgumentError('options need key for a shared-key envelope');
  if (sealed.facts.encryption === 'encrypt' && options.recipient === undefined) throw new ArgumentError('options need recipient for a multi-recipient envelope');
  /* Replays are refused before the policy runs and before any key is touched. */
  const facts = await withFreshness(sealed.facts, options);
  /* Policy before keys: the policy and the gate see only verified facts, and no key has been touched yet. */
  const gate: GateOutcome | undefined = options.policy === undefined
    ? undefined
    : await runPolicyGate(facts, options as PolicyGateOptions, options.backend);
  if (options.authorize !== undefined) {
    const decided = options.authorize(facts);
    if (isPromise(decided)) await decided;
  }
  const opened = await refuseOnFailure(async () => {
    /* RFC 9052 §5.3: the Enc_structure's external AAD is the producer's signed header, so the
     * inner message decrypts only under the signature (and signer kid) it was sealed with. */
    const externalAad = sealExternalAad(sealed.protectedBytes);
    if (facts.encryption === 'encrypt0') {
      const { plaintext } = await decryptEncrypt0(sealed.inner, { ...options, key: options.key!, externalAad });
      return { plaintext, facts };
    }
    const { plaintext } = await decryptEncrypt(sealed.inner, {
      ...options,
      recipient: options.recipient!,
      externalAad,
      detachedCiphertext: sealed.content!.ciphertext,
      /* SPEC.md §Key commitment: refuse a CEK that is not the one the producer signed for (invisible salamanders). */
      checkContentKey: checkCommittedContentKey(options.backend, sealed.keyCommitment!),
    });
    return { plaintext, facts };
  });
  if (gate === undefined) return opened;
  /* Redaction obligations apply before anything is released; an unredactable payload is not released. */
  const plaintext = applyRedactions(opened.plaintext, gate);
  /*
   * Notify last (SPEC.md §Opening, step 12): every check that can refuse has passed, so nobody is told
   * of an access that then does not happen. A failing notifier still refuses: wipe, release nothing.
   */
  try {
    await deliverNotifications(gate, options as PolicyGateOptions, facts);
  } catch (error) {
    plaintext.fill(0);
    throw error;
  }
  return { plaintext, facts, decision: gate.decided.decision };
}
