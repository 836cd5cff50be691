/*
 * The policy gate of openEnvelope(): decide on verified facts before any key is touched, record the
 * decision, refuse a deny with its reasons, check that every obligation of an allow can be
 * met, and — only once nothing else can refuse — deliver its notifications (SPEC.md §Opening).
 * It sits above evaluation and audit and below envelope/, which calls it: openEnvelope() hands
 * it verified facts, never bytes or keys.
 */
import type { CryptoBackend, MaybePromise } from '../../backend/crypto-backend.js';
import { isPromise } from '../../backend/crypto-backend.js';
import type { EnvelopeFacts } from '../../profile/facts.js';
import { ArgumentError, PolicyError } from '../../errors.js';
import type { Obligation, PolicyAction, PolicyContext, PolicyDecision, PolicyEnvironment, PolicySubject } from '../decision.js';
import { createDecisionRecord } from '../audit/index.js';
import type { DecisionLogSink } from '../audit/index.js';
import type { EngineDecision, PolicyDecider } from '../evaluation/policy-engine.js';
import { policyResourceOf } from '../evaluation/policy-input.js';
import { parseRedactionPaths, redactPaths } from './redact.js';
import type { RedactionPath } from './redact.js';

/** What `openEnvelope()` needs to ask the policy. */
export interface PolicyGateOptions {
  /** The loaded policy: a `PolicyEngine`, or any {@link PolicyDecider} (an isolated engine answers with a promise). */
  readonly policy: PolicyDecider;
  /** Who asks. */
  readonly subject: PolicySubject;
  /** The action; `openEnvelope()` uses `'open'`. */
  readonly action?: PolicyAction;
  /** The circumstances; `time` defaults to the system clock. */
  readonly environment?: Partial<PolicyEnvironment>;
  /** The caller's own facts for the policy (`input.context`, policies/README.md "The contract"). */
  readonly context?: PolicyContext;
  /** The `context` fields the decision log's minimal input keeps (an explicit allow-list; default none). */
  readonly logContext?: readonly string[];
  /**
   * Where decisions are recorded. Every decision is written when a sink is given; an allow
   * with a `log` obligation is refused without one, and any sink failure refuses the open.
   */
  readonly decisionLog?: DecisionLogSink;
  /**
   * Called for each `notify` obligation after every other check passed (policy, `authorize`,
   * key, decryption, redaction) and before the plaintext is released; throw to refuse. An
   * allow with a `notify` obligation is refused without it, before any key is touched.
   */
  readonly notify?: (obligation: Extract<Obligation, { type: 'notify' }>, context: { readonly facts: EnvelopeFacts; readonly decision: PolicyDecision }) => MaybePromise<void>;
}

/**
 * A policy refused the request. `reasons` are the policy's; no key was touched.
 *
 * @example
 * ```ts
 * try {
 *   await openEnvelope(envelope, { backend, trust, recipient, policy, subject });
 * } catch (error) {
 *   if (PolicyDeniedError.isInstance(error)) console.log(error.reasons); // ['purpose-not-permitted']
 * }
 * ```
 */
export class PolicyDeniedError extends PolicyError {
  /* Its own brand family: PolicyDeniedError.isInstance() is false for other PolicyErrors, which have no reasons. */
  static override readonly family: string = 'PolicyDeniedError';
  declare readonly code: 'ERR_POLICY_DENIED';
  /** The policy's reasons. */
  readonly reasons: readonly string[];
  /** The whole decision. */
  readonly decision: PolicyDecision;
  /** @param decision - the deny */
  constructor(decision: PolicyDecision) {
    super('ERR_POLICY_DENIED', `policy denied: ${decision.reasons.join(', ') || 'no reason given'}`);
    this.reasons = decision.reasons;
    this.decision = decision;
  }
}

/** The outcome of the gate: the decision, and what must still happen before release. */
export interface GateOutcome {
  readonly decided: EngineDecision;
  /** Paths to redact from the payload (from `redact` obligations), already checked to be well-formed. */
  readonly redact: readonly RedactionPath[];
  /** `notify` obligations, delivered by {@link deliverNotifications} once nothing else can refuse. */
  readonly notify: readonly Extract<Obligation, { type: 'notify' }>[];
}

/**
 * Checks the gate options before anything is verified: a misconfigured gate is caller misuse,
 * reported as such before any envelope is read, any key touched or anyone notified (SPEC.md
 * §Opening, step 1). `notify` and `decisionLog` are checked even without `policy`.
 */
export function checkGateOptions(options: { readonly [K in keyof PolicyGateOptions]?: PolicyGateOptions[K] | undefined }): void {
  if (options.notify !== undefined && typeof options.notify !== 'function') throw new ArgumentError('options.notify must be a function');
  const sink = options.decisionLog as { write?: unknown } | undefined;
  if (sink !== undefined && (typeof sink !== 'object' || sink === null || typeof sink.write !== 'function')) {
    throw new ArgumentError('options.decisionLog must be a DecisionLogSink (an object with write())');
  }
  if (options.logContext !== undefined && !Array.isArray(options.logContext)) throw new ArgumentError('options.logContext must be an array of context field names');
  if (options.policy === undefined) return;
  if (typeof options.policy?.decide !== 'function') throw new ArgumentError('options.policy must be a PolicyEngine (or a PolicyDecider)');
  if (typeof options.subject !== 'object' || options.subject === null) throw new ArgumentError('a policy-gated open needs options.subject');
}

/** Records a decision; a sink failure refuses (fail closed: an unrecorded access must not happen). */
async function record(
  options: PolicyGateOptions,
  backend: CryptoBackend,
  decided: EngineDecision,
  facts: EnvelopeFacts,
): Promise<void> {
  const sink = options.decisionLog;
  if (sink === undefined) return;
  const entry = await createDecisionRecord(decided.input, decided.decision, {
    backend,
    bundle: { revision: decided.revision, digest: decided.digest },
    keyIds: [facts.signer.kid],
    cached: decided.cached,
    time: decided.input.environment.time,
    ...(options.logContext === undefined ? {} : { context: options.logContext }),
  });
  try {
    const written = sink.write(entry);
    if (isPromise(written)) await written;
  } catch (error) {
    throw new PolicyError('ERR_POLICY_OBLIGATION', 'the decision could not be recorded; access refused', { cause: error });
  }
}

/**
 * Runs the policy on verified facts: decides, records (the record states the policy's decision,
 * not whether the open then succeeds), refuses a deny (`PolicyDeniedError`), and checks that
 * every obligation of an allow can be met — a decision log for `log`, a notifier for `notify`,
 * well-formed paths for `redact` — before any key is touched. Notifies nobody: notifications
 * wait until nothing else can refuse ({@link deliverNotifications}).
 */
export async function runPolicyGate(facts: EnvelopeFacts, options: PolicyGateOptions, backend: CryptoBackend): Promise<GateOutcome> {
  /* Policy before keys (DESIGN.md principle 2): the input is built from verified facts only,
   * and the caller has touched no key yet, so a deny leaks no plaintext and costs no unwrap. */
  const environment = options.environment ?? {};
  const deciding = options.policy.decide({
    action: options.action ?? 'open',
    subject: options.subject,
    resource: policyResourceOf(facts),
    environment: { ...environment, time: environment.time ?? Math.floor(Date.now() / 1000) },
    ...(options.context === undefined ? {} : { context: options.context }),
  });
  /* An isolated engine answers with a promise (its rejection, such as ERR_POLICY_TIMEOUT, refuses); an in-process one adds no await. */
  const decided = isPromise(deciding) ? await deciding : deciding;
  await record(options, backend, decided, facts);
  const { decision } = decided;
  /* Deny unless allowed (STYLE.md: unknown or empty policy output is a deny): PolicyEngine's
   * validateDecision turns such output into a deny, and for any other PolicyDecider only an
   * explicit `allow: true` passes. */
  if (decision.allow !== true) throw new PolicyDeniedError(decision);
  const redact: RedactionPath[] = [];
  const notify: Extract<Obligation, { type: 'notify' }>[] = [];
  for (const obligation of decision.obligations) {
    switch (obligation.type) {
      case 'log':
        /* Recorded above; without a sink the access would go unrecorded (SPEC.md §Obligations). */
        if (options.decisionLog === undefined) throw new PolicyError('ERR_POLICY_OBLIGATION', 'the policy requires a decision log and none is configured');
        break;
      case 'notify':
        /* Checked now, delivered last: nobody is told of an access that is then refused. */
        if (options.notify === undefined) throw new PolicyError('ERR_POLICY_OBLIGATION', `the policy requires notifying ${obligation.to} and no notifier is configured`);
        notify.push(obligation);
        break;
      case 'redact':
        /* A malformed path cannot be proven gone: refuse before any key is touched. */
        redact.push(...parseRedactionPaths(obligation.fields));
        break;
      default:
        /* Fail closed: validateDecision admits only the three types above, but a PolicyDecider of
         * the caller's may not; an obligation Ward cannot fulfil refuses before any key is touched. */
        throw new PolicyError('ERR_POLICY_OBLIGATION', 'the policy demands an obligation Ward cannot fulfil');
    }
  }
  return { decided, redact, notify };
}

/**
 * Applies the gate's redactions to the plaintext (a no-op without any). Fail closed: a named
 * field that cannot be proven gone refuses with `ERR_POLICY_OBLIGATION`, and the plaintext is
 * wiped either way.
 */
export function applyRedactions(plaintext: Uint8Array, outcome: GateOutcome): Uint8Array {
  return outcome.redact.length === 0 ? plaintext : redactPaths(plaintext, outcome.redact);
}

/**
 * Delivers the `notify` obligations, in the policy's order. The last step before release:
 * a notifier that throws refuses the open (`ERR_POLICY_OBLIGATION`); notifications delivered
 * before it stand, for an access that then did not happen.
 */
export async function deliverNotifications(outcome: GateOutcome, options: PolicyGateOptions, facts: EnvelopeFacts): Promise<void> {
  const { decision } = outcome.decided;
  for (const obligation of outcome.notify) {
    try {
      const delivered = options.notify!(obligation, { facts, decision });
      if (isPromise(delivered)) await delivered;
    } catch (error) {
      throw new PolicyError('ERR_POLICY_OBLIGATION', `notifying ${obligation.to} failed; access refused`, { cause: error });
    }
  }
}
