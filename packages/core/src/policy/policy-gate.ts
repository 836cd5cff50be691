/*
 * The policy gate of open(): decide on verified facts before any key is touched, record the
 * decision, refuse a deny with its reasons, and fulfil the obligations of an allow.
 */
import type { CryptoBackend, MaybePromise } from '../backend/crypto-backend.js';
import { settle } from '../backend/crypto-backend.js';
import type { EnvelopeFacts } from '../envelope/verify.js';
import { ArgumentError, PolicyError } from '../errors.js';
import type { Obligation, PolicyAction, PolicyDecision, PolicyEnvironment, PolicySubject } from './decision.js';
import { createDecisionRecord } from './decision-log.js';
import type { DecisionLogSink } from './decision-log.js';
import type { EngineDecision, PolicyEngine } from './policy-engine.js';
import { policyResourceOf } from './policy-input.js';
import { redactPayload } from './redact.js';

/** What `open()` needs to ask the policy. */
export interface PolicyGateOptions {
  /** The loaded policy. */
  readonly policy: PolicyEngine;
  /** Who asks. */
  readonly subject: PolicySubject;
  /** The action; `open()` uses `'open'`. */
  readonly action?: PolicyAction;
  /** The circumstances; `time` defaults to the system clock. */
  readonly environment?: Partial<PolicyEnvironment>;
  /**
   * Where decisions are recorded. Every decision is written when a sink is given; an allow
   * with a `log` obligation is refused without one, and any sink failure refuses the open.
   */
  readonly decisionLog?: DecisionLogSink;
  /**
   * Called for each `notify` obligation before any key is touched; throw to refuse. An allow
   * with a `notify` obligation is refused without it.
   */
  readonly notify?: (obligation: Extract<Obligation, { type: 'notify' }>, context: { readonly facts: EnvelopeFacts; readonly decision: PolicyDecision }) => MaybePromise<void>;
}

/**
 * A policy refused the request. `reasons` are the policy's; no key was touched.
 *
 * @example
 * ```ts
 * try {
 *   await open(envelope, { backend, trust, recipient, policy, subject });
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

/** The outcome of the gate: the decision, and what must happen to the plaintext. */
export interface GateOutcome {
  readonly decided: EngineDecision;
  /** Fields to redact from the payload (from `redact` obligations). */
  readonly redact: readonly string[];
}

/** Checks the gate options before anything is verified. */
export function checkGateOptions(options: PolicyGateOptions): void {
  if (typeof options.policy?.decide !== 'function') throw new ArgumentError('policy must be a PolicyEngine');
  if (typeof options.subject !== 'object' || options.subject === null) throw new ArgumentError('a policy-gated open needs a subject');
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
  });
  try {
    await settle(sink.write(entry));
  } catch (error) {
    throw new PolicyError('ERR_POLICY_OBLIGATION', 'the decision could not be recorded; access refused', { cause: error });
  }
}

/**
 * Runs the policy on verified facts: decides, records, refuses a deny (`PolicyDeniedError`),
 * and fulfils `log` and `notify` obligations of an allow before any key is touched. Returns
 * the fields a `redact` obligation removes after decryption.
 */
export async function runPolicyGate(facts: EnvelopeFacts, options: PolicyGateOptions, backend: CryptoBackend): Promise<GateOutcome> {
  const environment = options.environment ?? {};
  const decided = options.policy.decide({
    action: options.action ?? 'open',
    subject: options.subject,
    resource: policyResourceOf(facts),
    environment: { ...environment, time: environment.time ?? Math.floor(Date.now() / 1000) },
  });
  await record(options, backend, decided, facts);
  const { decision } = decided;
  if (!decision.allow) throw new PolicyDeniedError(decision);
  /* First check that every obligation can be met, so nobody is notified of an access that is then refused. */
  for (const obligation of decision.obligations) {
    if (obligation.type === 'log' && options.decisionLog === undefined) {
      throw new PolicyError('ERR_POLICY_OBLIGATION', 'the policy requires a decision log and none is configured');
    }
    if (obligation.type === 'notify' && options.notify === undefined) {
      throw new PolicyError('ERR_POLICY_OBLIGATION', `the policy requires notifying ${obligation.to} and no notifier is configured`);
    }
  }
  const redact: string[] = [];
  for (const obligation of decision.obligations) {
    switch (obligation.type) {
      case 'log':
        /* Recorded above. */
        break;
      case 'notify':
        try {
          await settle(options.notify!(obligation, { facts, decision }));
        } catch (error) {
          throw new PolicyError('ERR_POLICY_OBLIGATION', `notifying ${obligation.to} failed; access refused`, { cause: error });
        }
        break;
      case 'redact':
        redact.push(...obligation.fields);
        break;
    }
  }
  return { decided, redact };
}

/** Applies the gate's redactions to the plaintext (a no-op without any). */
export function applyRedactions(plaintext: Uint8Array, outcome: GateOutcome): Uint8Array {
  return outcome.redact.length === 0 ? plaintext : redactPayload(plaintext, outcome.redact);
}
