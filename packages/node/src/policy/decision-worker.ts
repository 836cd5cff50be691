/*
 * A decision worker of IsolatedPolicyEngine (isolated-policy-engine.ts): loads the policy once,
 * reports ready with its revision and digest, then decides each input it is sent, one at a time.
 * The parent terminates this thread when a decision runs over its time budget: the only way to
 * stop a wasm loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WardError, type PolicyInput } from '@ward/core';
import { loadWorkerEngine, type WorkerPolicyJob } from './worker-spec.js';

function failure(error: unknown): { readonly code: string | undefined; readonly message: string } {
  return { code: WardError.isInstance(error) ? error.code : undefined, message: error instanceof Error ? error.message : String(error) };
}

/* No top-level await: the package also builds this entry as CommonJS. */
function serve(job: WorkerPolicyJob): void {
  const port = parentPort!;
  loadWorkerEngine(job).then(
    (engine) => {
      port.on('message', (input: PolicyInput) => {
        try {
          port.postMessage({ decision: engine.decide(input).decision });
        } catch (error) {
          port.postMessage({ failed: true, ...failure(error) });
        }
      });
      port.postMessage({ ready: true, revision: engine.revision, digest: Buffer.from(engine.digest).toString('hex') });
    },
    (error: unknown) => port.postMessage({ ready: false, ...failure(error) }),
  );
}

serve(workerData as WorkerPolicyJob);
