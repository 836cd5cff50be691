/*
 * open(): verify, decide, and only then decrypt (DESIGN.md principle 2, "policy before keys").
 */
import type { AeadKey, MaybePromise } from '../backend/crypto-backend.js';
import { isPromise } from '../backend/crypto-backend.js';
import { ArgumentError, CoseError } from '../errors.js';
import { decryptEncrypt } from '../cose/encrypt.js';
import type { RecipientSource } from '../cose/encrypt.js';
import { decryptEncrypt0 } from '../cose/encrypt0.js';
import type { KeySource } from '../cose/key-lookup.js';
import type { PolicyDecision } from '../policy/decision.js';
import { applyRedactions, checkGateOptions, runPolicyGate } from '../policy/policy-gate.js';
import type { GateOutcome, PolicyGateOptions } from '../policy/policy-gate.js';
import { commitToContentKey, commitmentsEqual } from './commitment.js';
import { sealExternalAad } from './seal.js';
import { checkVerifyOptions, refuseOnFailure, verifySealed, withFreshness } from './verify.js';
import type { EnvelopeFacts, VerifyOptions } from './verify.js';

/** Options of {@link open}. */
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
   * Called with the verified facts after the signature checked and before any key is
   * touched; throw to deny. The policy engine plugs in here. Its error propagates unchanged.
   */
  readonly authorize?: (facts: EnvelopeFacts) => MaybePromise<void>;
  /**
   * The policy that decides (a `PolicyEngine`). With it, `open()` builds the policy input from
   * the verified facts, `subject`, `action` and `environment`, refuses a deny with
   * `PolicyDeniedError` (`ERR_POLICY_DENIED`) before any key is touched, records the decision
   * in `decisionLog`, and fulfils the allow's obligations (log, notify, redact).
   */
  readonly policy?: PolicyGateOptions['policy'];
  /** Who asks (required with `policy`). */
  readonly subject?: PolicyGateOptions['subject'];
  /** The action the policy is asked about; default `'open'`. */
  readonly action?: PolicyGateOptions['action'];
  /** The circumstances; `time` defaults to now. */
  readonly environment?: PolicyGateOptions['environment'];
  /** Where decisions are recorded (required when the policy demands a `log` obligation). */
  readonly decisionLog?: PolicyGateOptions['decisionLog'];
  /** Delivers `notify` obligations (required when the policy demands one). */
  readonly notify?: PolicyGateOptions['notify'];
}

/** An opened envelope. */
export interface OpenedEnvelope {
  /** The plaintext, released only after every check passed. */
  readonly plaintext: Uint8Array;
  /** The verified facts it was released under. */
  readonly facts: EnvelopeFacts;
  /** The policy's decision, when `open()` was policy-gated: its reasons and obligations. */
  readonly decision?: PolicyDecision;
}

/**
 * Opens a sealed envelope: verifies the producer's signature and the profile, runs
 * `authorize` on the verified facts, checks the key commitment, and decrypts. Returns the
 * plaintext only when every step passed; otherwise throws and returns nothing.
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
 *   no notifier, a failing sink, an unredactable payload); `ERR_POLICY_EVALUATION` when the policy fails
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` when `options` lack what the envelope needs
 * @example
 * ```ts
 * import { open } from '@ward/core';
 *
 * const { plaintext, facts } = await open(envelope, {
 *   backend,
 *   trust: ({ kid }) => producers.get(hex(kid)),
 *   recipient: { privateKey: analystKey, kid: analystKid },
 * });
 *
 * // Policy-gated: the city's Rego decides on the verified facts before any key is touched.
 * const { plaintext: reading, decision } = await open(envelope, {
 *   backend, trust: trustStore.keySource(), recipient: analysts.recipientKey(),
 *   policy: engine, subject: { id: 'ana', roles: ['analyst'], purpose: 'planning' }, decisionLog,
 * });
 * ```
 */
export async function open(envelope: Uint8Array, options: OpenOptions): Promise<OpenedEnvelope> {
  checkVerifyOptions(envelope, options);
  if (options.key === undefined && options.recipient === undefined) throw new ArgumentError('options need recipient or key');
  if (options.policy !== undefined) checkGateOptions(options as PolicyGateOptions);
  const sealed = await refuseOnFailure(() => verifySealed(envelope, options));
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
  if (facts.encryption === 'encrypt0' && options.key === undefined) throw new ArgumentError('options need key for a shared-key envelope');
  if (facts.encryption === 'encrypt' && options.recipient === undefined) throw new ArgumentError('options need recipient for a multi-recipient envelope');
  const opened = await refuseOnFailure(async () => {
    const externalAad = sealExternalAad(sealed.protectedBytes);
    if (facts.encryption === 'encrypt0') {
      const { plaintext } = await decryptEncrypt0(sealed.inner, { ...options, key: options.key!, externalAad });
      return { plaintext, facts };
    }
    const expected = sealed.keyCommitment!;
    const { plaintext } = await decryptEncrypt(sealed.inner, {
      ...options,
      recipient: options.recipient!,
      externalAad,
      detachedCiphertext: sealed.content!.ciphertext,
      /* SPEC.md §Key commitment: refuse a CEK that is not the one the producer signed for. */
      checkContentKey: async (contentKey) => {
        if (!commitmentsEqual(await commitToContentKey(options.backend, contentKey), expected)) {
          throw new CoseError('ERR_COSE_INVALID_HEADER', 'content key does not match the signed commitment');
        }
      },
    });
    return { plaintext, facts };
  });
  if (gate === undefined) return opened;
  /* Redaction obligations apply before anything is released; an unredactable payload is not released. */
  return { plaintext: applyRedactions(opened.plaintext, gate), facts, decision: gate.decided.decision };
}
