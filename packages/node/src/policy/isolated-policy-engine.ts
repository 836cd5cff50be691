/*
 * Isolation mode for services (issue 11 item 4e): decisions run in a pool of worker_threads
 * Workers, each holding its own uncached PolicyEngine, with a per-decision time budget. A wasm
 * loop cannot be interrupted in the thread that runs it; a worker can be terminated. So a
 * decision that runs over its budget is refused (ERR_POLICY_TIMEOUT, a deny), its worker is
 * terminated and replaced by a fresh one loaded with the active policy and data, and the
 * caller's thread never runs the policy at all.
 *
 * One decision per worker at a time: the budget measures the evaluation (plus one message round
 * trip), never time spent queued behind another decision. The pool keeps no decision cache (a
 * decision costs a round trip either way; the in-process PolicyEngine is the cached path).
 */
import { Worker } from 'node:worker_threads';
import {
  ArgumentError, PolicyError, type EngineDecision, type PolicyDecider, type PolicyDecision, type PolicyErrorCode, type PolicyInput,
  type PolicySource,
} from '@ward/core';
import { canonicalPolicyInput, compareRevisions, validateDecision } from '@ward/core/policy';
import { workerSpec, type WorkerPolicyJob, type WorkerSpec } from './worker-spec.js';

/** Options of {@link IsolatedPolicyEngine.load}. */
export interface IsolatedPolicyEngineOptions {
  /** The decision entrypoint, as `PolicyEngineOptions.entrypoint`. */
  readonly entrypoint?: string;
  /** The maximum of each worker's wasm memory in bytes, as `PolicyEngineOptions.maxMemoryBytes`. */
  readonly maxMemoryBytes?: number;
  /** Workers in the pool (decisions running at once); default 2. */
  readonly workers?: number;
  /** Time budget of one decision in milliseconds; default 1,000. Over it: `ERR_POLICY_TIMEOUT`, and the worker is replaced. */
  readonly timeoutMs?: number;
  /** Time budget for a worker to load the policy in milliseconds; default 10,000. */
  readonly loadTimeoutMs?: number;
  /** Each worker's JS heap limit in MiB (`resourceLimits.maxOldGenerationSizeMb`); default 64. */
  readonly maxHeapMb?: number;
}

interface Pending {
  readonly input: PolicyInput;
  readonly resolve: (decided: EngineDecision) => void;
  readonly reject: (error: unknown) => void;
}

interface Generation {
  readonly job: WorkerPolicyJob;
  revision: string;
  digest: string;
  readonly slots: Set<Slot>;
  retired: boolean;
}

interface Slot {
  readonly worker: Worker;
  readonly generation: Generation;
  ready: boolean;
  dead: boolean;
  busy: Pending | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

type Reply =
  | { readonly ready: true; readonly revision: string; readonly digest: string }
  | { readonly ready: false; readonly code?: string; readonly message: string }
  | { readonly decision: PolicyDecision }
  | { readonly failed: true; readonly code?: string; readonly message: string };

const POLICY_CODES: readonly string[] = ['ERR_POLICY_BUNDLE_INVALID', 'ERR_POLICY_BUNDLE_SIGNATURE', 'ERR_POLICY_BUNDLE_ROLLBACK', 'ERR_POLICY_EVALUATION'];

/* A worker's failure as the error the in-process engine would have thrown (never a raw error). */
function errorFrom(code: string | undefined, message: string): Error {
  if (code === 'ERR_INVALID_ARGUMENT') return new ArgumentError(message);
  return new PolicyError(code !== undefined && POLICY_CODES.includes(code) ? (code as PolicyErrorCode) : 'ERR_POLICY_EVALUATION', message);
}

function positive(value: number | undefined, fallback: number, name: string, least = 1): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < least) throw new ArgumentError(`${name} must be an integer of at least ${least}`);
  return n;
}

/**
 * Decides in a pool of worker threads, each with its own `PolicyEngine` on the same
 * policy: a policy that loops or blows up cannot hang or crash the caller's thread, and each
 * decision has a time budget. A decision over budget is refused with `ERR_POLICY_TIMEOUT` (a
 * deny: `openEnvelope()` refuses it, with no plaintext) and its worker is terminated and replaced.
 * Implements `PolicyDecider`, so it is the `policy` of `openEnvelope()` like an in-process engine.
 * Keeps no decision cache, and answers with a promise (a message round trip per decision:
 * `npm run bench -- policy` measures it against the in-process path). {@link close} it when done:
 * the workers keep the process alive.
 *
 * @example
 * ```ts
 * import { openEnvelope } from '@ward/core';
 * import { IsolatedPolicyEngine } from '@ward/node';
 *
 * const policy = await IsolatedPolicyEngine.load(bundle, { workers: 4, timeoutMs: 250 });
 * const { plaintext } = await openEnvelope(envelope, { backend, trust, recipient, policy, subject }); // ERR_POLICY_TIMEOUT when the policy runs over 250 ms
 * await policy.close();
 * ```
 */
export class IsolatedPolicyEngine implements PolicyDecider {
  readonly #spec: WorkerSpec;
  readonly #size: number;
  readonly #timeoutMs: number;
  readonly #loadTimeoutMs: number;
  readonly #maxHeapMb: number;
  readonly #queue: Pending[] = [];
  readonly #live = new Set<Slot>();
  #current!: Generation;
  #closed = false;

  private constructor(spec: WorkerSpec, size: number, timeoutMs: number, loadTimeoutMs: number, maxHeapMb: number) {
    this.#spec = spec;
    this.#size = size;
    this.#timeoutMs = timeoutMs;
    this.#loadTimeoutMs = loadTimeoutMs;
    this.#maxHeapMb = maxHeapMb;
  }

  /**
   * Starts the pool: every worker loads the policy (within `loadTimeoutMs`) before this resolves.
   *
   * @param source - the wasm, its data, revision and digest (a verified bundle from `readPolicyBundle`, or raw parts)
   * @param options - pool size, time budgets, heap limit, entrypoint, wasm memory maximum
   * @returns the pool
   * @throws `PolicyError` what `PolicyEngine.load` throws for the policy (`ERR_POLICY_EVALUATION`,
   *   `ERR_POLICY_BUNDLE_INVALID`), and `ERR_POLICY_EVALUATION` when a worker does not load it within `loadTimeoutMs`
   * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` for bad options or a malformed source
   * @example
   * ```ts
   * const policy = await IsolatedPolicyEngine.load({ wasm, data, revision: '42' }, { workers: 2, timeoutMs: 1_000 });
   * ```
   */
  static async load(source: PolicySource, options: IsolatedPolicyEngineOptions = {}): Promise<IsolatedPolicyEngine> {
    if (typeof options !== 'object' || options === null) throw new ArgumentError('options must be an object');
    const entrypoint = options.entrypoint;
    if (entrypoint !== undefined && (typeof entrypoint !== 'string' || entrypoint === '')) throw new ArgumentError('entrypoint must be a non-empty string');
    const pool = new IsolatedPolicyEngine(
      workerSpec('decision-worker'),
      positive(options.workers, 2, 'workers'),
      positive(options.timeoutMs, 1_000, 'timeoutMs'),
      positive(options.loadTimeoutMs, 10_000, 'loadTimeoutMs'),
      positive(options.maxHeapMb, 64, 'maxHeapMb', 8),
    );
    pool.#current = await pool.#start({ source, entrypoint, maxMemoryBytes: options.maxMemoryBytes });
    return pool;
  }

  /** The active policy's revision. */
  get revision(): string {
    return this.#current.revision;
  }

  /** The active policy's digest (hex). */
  get digest(): string {
    return this.#current.digest;
  }

  /* Loads `job` in a full set of workers; all must be ready, or none is kept. */
  async #start(job: WorkerPolicyJob): Promise<Generation> {
    const generation: Generation = { job, revision: '', digest: '', slots: new Set(), retired: false };
    const loads: Promise<{ revision: string; digest: string }>[] = [];
    for (let i = 0; i < this.#size; i++) loads.push(this.#spawn(generation));
    try {
      const [first] = await Promise.all(loads);
      generation.revision = first!.revision;
      generation.digest = first!.digest;
    } catch (error) {
      for (const slot of generation.slots) this.#kill(slot);
      throw error;
    }
    return generation;
  }

  /* Starts one worker of `generation`; resolves with its revision and digest once it has loaded the policy. */
  #spawn(generation: Generation): Promise<{ revision: string; digest: string }> {
    return new Promise((resolve, reject) => {
      let worker: Worker;
      try {
        worker = new Worker(this.#spec.script, {
          eval: this.#spec.eval,
          workerData: generation.job,
          execArgv: this.#spec.execArgv,
          /* Memory bound: the worker's JS heap is capped (the wasm memory by the engine's maxMemoryBytes). */
          resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb },
          stdout: true,
          stderr: true,
        });
      } catch (error) {
        /* A source that cannot be sent to a worker (DataCloneError) is caller misuse. */
        reject(new ArgumentError('the policy source cannot be sent to a worker', { cause: error }));
        return;
      }
      const slot: Slot = { worker, generation, ready: false, dead: false, busy: undefined, timer: undefined };
      generation.slots.add(slot);
      this.#live.add(slot);
      /* Precondition: the policy loads within its budget; a start function that loops is stopped by terminating the worker. */
      const loading = setTimeout(() => fail(new PolicyError('ERR_POLICY_EVALUATION', `the policy worker did not load the policy within ${this.#loadTimeoutMs} ms`)), this.#loadTimeoutMs);
      const fail = (error: Error) => {
        clearTimeout(loading);
        if (slot.ready) return this.#lost(slot, error);
        this.#kill(slot);
        reject(error);
      };
      worker.on('message', (reply: Reply) => {
        if ('ready' in reply) {
          clearTimeout(loading);
          if (!reply.ready) return fail(errorFrom(reply.code, reply.message));
          slot.ready = true;
          resolve({ revision: reply.revision, digest: reply.digest });
          return this.#pump();
        }
        this.#answer(slot, reply);
      });
      worker.on('error', (error) => fail(new PolicyError('ERR_POLICY_EVALUATION', 'the policy worker failed', { cause: error })));
      worker.on('exit', (code) => fail(new PolicyError('ERR_POLICY_EVALUATION', `the policy worker exited (${code})`)));
    });
  }

  #kill(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    clearTimeout(slot.timer);
    slot.generation.slots.delete(slot);
    this.#live.delete(slot);
    void slot.worker.terminate();
  }

  /* A loaded worker is gone (timeout, crash, heap limit): its decision is refused and it is replaced. */
  #lost(slot: Slot, error: Error): void {
    if (slot.dead) return;
    const pending = slot.busy;
    slot.busy = undefined;
    this.#kill(slot);
    pending?.reject(error);
    this.#refill();
  }

  /* Keeps the active generation at full strength: a replacement loads the active policy and data. */
  #refill(): void {
    const generation = this.#current;
    if (this.#closed || generation === undefined || generation.retired) return;
    for (let missing = this.#size - generation.slots.size; missing > 0; missing--) {
      this.#spawn(generation).catch((error: unknown) => {
        /* A replacement that cannot load: with no worker left, queued decisions are refused rather than left waiting. */
        if (generation.slots.size === 0) this.#refuseQueue(new PolicyError('ERR_POLICY_EVALUATION', 'no policy worker could be started', { cause: error }));
      });
    }
  }

  #refuseQueue(error: Error): void {
    for (const pending of this.#queue.splice(0)) pending.reject(error);
  }

  /* Hands queued decisions to idle workers of the active generation. */
  #pump(): void {
    const generation = this.#current;
    if (generation === undefined) return;
    for (const slot of generation.slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.dead || slot.busy !== undefined) continue;
      const pending = this.#queue.shift()!;
      slot.busy = pending;
      /* The decision's time budget: a policy that loops is stopped by terminating its worker (issue 11 item 4e). */
      slot.timer = setTimeout(() => this.#lost(slot, new PolicyError('ERR_POLICY_TIMEOUT', `the policy did not decide within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      try {
        slot.worker.postMessage(pending.input);
      } catch (error) {
        /* Unreachable for a normalised input (plain JSON values); never leave the slot busy. */
        clearTimeout(slot.timer);
        slot.busy = undefined;
        pending.reject(new ArgumentError('the policy input cannot be sent to a worker', { cause: error }));
      }
    }
  }

  #answer(slot: Slot, reply: Reply): void {
    const pending = slot.busy;
    if (pending === undefined || slot.dead) return;
    clearTimeout(slot.timer);
    slot.busy = undefined;
    if ('decision' in reply) {
      /* Validated again and frozen here: what crossed the thread boundary is a copy, and only a checked decision leaves the pool. */
      const decision = validateDecision([{ result: reply.decision }]);
      pending.resolve(Object.freeze({ decision, cached: false, input: pending.input, revision: slot.generation.revision, digest: slot.generation.digest }));
    } else {
      pending.reject('failed' in reply ? errorFrom(reply.code, reply.message) : new PolicyError('ERR_POLICY_EVALUATION', 'the policy worker answered out of turn'));
    }
    if (slot.generation.retired) this.#kill(slot);
    else this.#pump();
  }

  /**
   * Decides one input in a worker. The input is checked and normalised in the caller's thread
   * first, so misuse is an `ArgumentError`, never a timeout.
   *
   * @param input - `{ action, subject, resource, environment, context? }`
   * @returns the validated decision (never cached), with the normalised input, revision and digest
   * @throws `ArgumentError` `ERR_INVALID_ARGUMENT` for a malformed input
   * @throws `PolicyError` `ERR_POLICY_TIMEOUT` when the policy runs over `timeoutMs` (its
   *   worker is replaced); `ERR_POLICY_EVALUATION` when the policy fails, its worker dies, or the pool is closed
   * @example
   * ```ts
   * const { decision } = await policy.decide({ action: 'open', subject, resource, environment: { time: nowSeconds } });
   * ```
   */
  async decide(input: PolicyInput): Promise<EngineDecision> {
    const { input: normal } = canonicalPolicyInput(input);
    if (this.#closed) throw new PolicyError('ERR_POLICY_EVALUATION', 'the isolated policy engine is closed');
    return new Promise<EngineDecision>((resolve, reject) => {
      this.#queue.push({ input: normal, resolve, reject });
      this.#refill();
      this.#pump();
    });
  }

  /**
   * Activates a new policy: a fresh set of workers loads it, then takes over; decisions already
   * running finish on the old policy. Refuses a revision lower than the active one, or the same
   * revision with other contents (`ERR_POLICY_BUNDLE_ROLLBACK`); on any failure the active policy stays.
   *
   * @param source - the new policy (verify bundles with `readPolicyBundle` first)
   * @throws `PolicyError` `ERR_POLICY_BUNDLE_ROLLBACK`, or what {@link IsolatedPolicyEngine.load} throws
   * @example
   * ```ts
   * await policy.activate(await readPolicyBundle(next, { backend, verification }));
   * ```
   */
  async activate(source: PolicySource): Promise<void> {
    if (this.#closed) throw new PolicyError('ERR_POLICY_EVALUATION', 'the isolated policy engine is closed');
    const revision = (source as { revision?: unknown } | null)?.revision ?? '';
    if (typeof revision !== 'string') throw new ArgumentError('revision must be a string');
    /* A replayed old bundle must not roll the pool back to a weaker policy. */
    if (compareRevisions(revision, this.#current.revision) < 0) throw new PolicyError('ERR_POLICY_BUNDLE_ROLLBACK', `revision ${revision} is older than the active ${this.#current.revision}`);
    const { entrypoint, maxMemoryBytes } = this.#current.job;
    const next = await this.#start({ source, entrypoint, maxMemoryBytes });
    const latest = this.#current;
    const order = compareRevisions(next.revision, latest.revision);
    if (order < 0 || (order === 0 && next.digest !== latest.digest) || this.#closed) {
      for (const slot of next.slots) this.#kill(slot);
      throw new PolicyError('ERR_POLICY_BUNDLE_ROLLBACK', order < 0 ? `revision ${revision} is older than the active ${latest.revision}` : `revision ${revision} is active with different contents`);
    }
    this.#swap(next);
  }

  /**
   * Replaces the policy's data document (`data`), like `PolicyEngine.setData`: a fresh set of
   * workers loads the active policy with this data, then takes over.
   *
   * @param data - the new base document
   * @throws `PolicyError` `ERR_POLICY_EVALUATION` when the policy refuses the data, or the
   *   active policy changed while it was loading
   * @example
   * ```ts
   * await policy.setData({ ...cityData, contractors: updatedContractors });
   * ```
   */
  async setData(data: unknown): Promise<void> {
    if (this.#closed) throw new PolicyError('ERR_POLICY_EVALUATION', 'the isolated policy engine is closed');
    const base = this.#current;
    const next = await this.#start({ ...base.job, data: { value: data } });
    if (this.#current !== base || this.#closed) {
      for (const slot of next.slots) this.#kill(slot);
      throw new PolicyError('ERR_POLICY_EVALUATION', 'the active policy changed while the data was loading; set the data again');
    }
    this.#swap(next);
  }

  #swap(next: Generation): void {
    const old = this.#current;
    old.retired = true;
    for (const slot of old.slots) if (slot.busy === undefined) this.#kill(slot);
    this.#current = next;
    this.#pump();
  }

  /**
   * Terminates every worker. Queued and running decisions are refused (`ERR_POLICY_EVALUATION`);
   * later calls are refused too.
   *
   * @example
   * ```ts
   * await policy.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new PolicyError('ERR_POLICY_EVALUATION', 'the isolated policy engine is closed');
    this.#refuseQueue(closed);
    const exits: Promise<number>[] = [];
    for (const slot of [...this.#live]) {
      exits.push(slot.worker.terminate());
      this.#lost(slot, closed);
    }
    await Promise.all(exits);
  }
}
