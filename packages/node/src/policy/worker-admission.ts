/*
 * Activation admission in a worker (issue 11 item 4d): a policy is code from outside the process,
 * and a wasm loop (in its start function, its tables or an evaluation) cannot be interrupted in
 * the thread that runs it. So before PolicyEngine loads a policy in-process, this admission
 * loads it in a worker_threads Worker with a JS heap limit and the engine's wasm memory maximum,
 * runs probe decisions, and terminates the worker when the time budget runs out.
 */
import { Worker } from 'node:worker_threads';
import { ArgumentError, PolicyError, type PolicyAdmission, type PolicyInput } from '@ward/core';
import { workerSpec } from './worker-spec.js';

/** Options of {@link createWorkerAdmission}. */
export interface WorkerAdmissionOptions {
  /** Time budget for loading the policy and running every probe, in milliseconds; default 5,000. */
  readonly timeoutMs?: number;
  /** The worker's JS heap limit in MiB (`resourceLimits.maxOldGenerationSizeMb`); default 64. The wasm memory is bounded by the engine's `maxMemoryBytes`. */
  readonly maxHeapMb?: number;
  /** Inputs decided as probes; default one valid input per action (`open`, `verify`, `rewrap`). */
  readonly probes?: readonly PolicyInput[];
}

function probe(action: PolicyInput['action']): PolicyInput {
  return {
    action,
    subject: { id: 'ward-admission-probe', roles: ['probe'], purpose: 'admission' },
    resource: {
      issuer: 'ward-admission', stream: 'probe', issuedAt: 0, sequence: '0', id: '00',
      attributes: { classification: 'internal' }, signer: { kid: '00', alg: -8 }, encryption: 'encrypt',
    },
    environment: { time: 0 },
  };
}

/** The default probes: one valid input per action. */
export const DEFAULT_ADMISSION_PROBES: readonly PolicyInput[] = Object.freeze([probe('open'), probe('verify'), probe('rewrap')]);

/**
 * Creates a {@link PolicyAdmission} for `PolicyEngineOptions.admission` that admits a policy only
 * when it loads and decides every probe in a worker within the time and memory budget.
 *
 * @param options - time budget, heap limit, probes
 * @returns the admission function
 * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` for bad options
 * @example
 * ```ts
 * import { PolicyEngine } from '@ward/core';
 * import { createNodeBackend, createWorkerAdmission } from '@ward/node';
 *
 * const engine = await PolicyEngine.load(bundle, { backend: createNodeBackend(), admission: createWorkerAdmission({ timeoutMs: 2_000 }) });
 * await engine.activate(nextBundle); // refused (ERR_POLICY_EVALUATION) when it loops or blows its memory; the active policy stays
 * ```
 */
export function createWorkerAdmission(options: WorkerAdmissionOptions = {}): PolicyAdmission {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxHeapMb = options.maxHeapMb ?? 64;
  const probes = options.probes ?? DEFAULT_ADMISSION_PROBES;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new ArgumentError('timeoutMs must be a positive integer');
  if (!Number.isSafeInteger(maxHeapMb) || maxHeapMb < 8) throw new ArgumentError('maxHeapMb must be an integer of at least 8');
  if (!Array.isArray(probes)) throw new ArgumentError('probes must be an array of policy inputs');
  const spec = workerSpec('admission-worker');
  return (source, limits) =>
    new Promise<void>((resolve, reject) => {
      const refuse = (message: string, cause?: unknown) => reject(new PolicyError('ERR_POLICY_EVALUATION', `policy admission refused: ${message}`, cause === undefined ? undefined : { cause }));
      const worker = new Worker(spec.script, {
        eval: spec.eval,
        workerData: { source, entrypoint: limits.entrypoint, maxMemoryBytes: limits.maxMemoryBytes, probes },
        execArgv: spec.execArgv,
        /* Memory bound: the worker's JS heap is capped (the wasm memory by limits.maxMemoryBytes). */
        resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
        stdout: true,
        stderr: true,
      });
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate();
        fn();
      };
      /* Precondition: the policy finishes loading and every probe within the time budget; a loop is stopped by terminating the worker. */
      const timer = setTimeout(() => settle(() => refuse(`it did not finish within ${timeoutMs} ms`)), timeoutMs);
      worker.once('message', (message: { admitted: boolean; code?: string; message?: string }) =>
        settle(() => (message.admitted ? resolve() : refuse(`${message.code ?? 'error'}: ${message.message ?? ''}`))));
      /* The worker ran out of its heap, or crashed. */
      worker.once('error', (error) => settle(() => refuse('the worker failed', error)));
      worker.once('exit', (code) => settle(() => refuse(`the worker exited (${code}) without an answer`)));
    });
}
