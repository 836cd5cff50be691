/*
 * Where Ward's policy workers are, and how a worker loads a policy: shared by the activation
 * admission (worker-admission.ts) and the isolated decision pool (isolated-policy-engine.ts).
 */
import { pathToFileURL } from 'node:url';
import { PolicyEngine, type PolicySource } from '@ward/core';
import { createNodeBackend } from '../node-backend.js';

/** How to start a worker: the script (a file, or code to evaluate) and node options. */
export interface WorkerSpec {
  readonly script: URL | string;
  readonly eval: boolean;
  readonly execArgv: string[];
}

/*
 * Where the worker `name` is: beside this module (dist/<name>.js beside dist/index.js, or
 * index.cjs where import.meta is empty). In the source tree (tests, `--conditions=@ward/source`)
 * it is TypeScript: a small bootstrap registers tsx in the worker and imports it.
 */
export function workerSpec(name: 'admission-worker' | 'decision-worker'): WorkerSpec {
  const here = (import.meta as { url?: string }).url ?? pathToFileURL(typeof __filename === 'string' ? __filename : '').href;
  if (!here.endsWith('.ts')) return { script: new URL(`./${name}.js`, here), eval: false, execArgv: [] };
  const source = new URL(`./${name}.ts`, here).href;
  return {
    script: `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`,
    eval: true,
    execArgv: ['--conditions=@ward/source'],
  };
}

/** What a worker loads: the policy, its entrypoint and memory maximum, and (after `setData`) the replaced data. */
export interface WorkerPolicyJob {
  readonly source: PolicySource;
  readonly entrypoint: string | undefined;
  readonly maxMemoryBytes: number | undefined;
  /** Present when `setData` replaced the source's data: loaded like PolicyEngine.setData, so the digest stays the source's. */
  readonly data?: { readonly value: unknown };
}

/** Loads the job's policy in this (worker) thread: uncached, with the job's limits. */
export async function loadWorkerEngine(job: WorkerPolicyJob): Promise<PolicyEngine> {
  const engine = await PolicyEngine.load(job.source, {
    backend: createNodeBackend(),
    ...(job.entrypoint === undefined ? {} : { entrypoint: job.entrypoint }),
    ...(job.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: job.maxMemoryBytes }),
    cacheSize: 0,
  });
  if (job.data !== undefined) engine.setData(job.data.value);
  return engine;
}
