/*
 * The admission worker (worker-admission.ts): loads a policy and runs the probe decisions in an
 * isolated thread, then reports. The parent terminates this thread when the time budget runs
 * out, which is the only way to stop a wasm loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WardError, type PolicyInput } from '@ward/core';
import { loadWorkerEngine, type WorkerPolicyJob } from './worker-spec.js';

interface Job extends WorkerPolicyJob {
  readonly probes: readonly PolicyInput[];
}

/* No top-level await: the package also builds this entry as CommonJS. */
async function admit(job: Job): Promise<void> {
  try {
    const engine = await loadWorkerEngine(job);
    for (const probe of job.probes) engine.decide(probe);
    parentPort!.postMessage({ admitted: true });
  } catch (error) {
    parentPort!.postMessage({ admitted: false, code: WardError.isInstance(error) ? error.code : undefined, message: error instanceof Error ? error.message : String(error) });
  }
}

void admit(workerData as Job);
