/*
 * PolicyEngine: Rego compiled to WebAssembly (OPA's wasm target), run with
 * @open-policy-agent/opa-wasm, on the decision hot path (DESIGN.md §Policy).
 *
 * Fast path: one loaded instance, reused. A cache hit costs one map lookup by envelope id
 * and an exact comparison with the cached
 * normalised input: nothing is validated, copied or serialised. A miss normalises and serialises the input once, to canonical JSON (the bytes
 * written into the instance's memory); the result is parsed once, validated once, frozen and
 * cached; the normalised input is a fresh, deeply frozen copy, so a cached decision depends on
 * nothing the caller can still change (issue 11). The cache is a bounded LRU cleared on
 * every policy or data change. opa-wasm's ABI 1.2 path resets the wasm heap on every
 * evaluation, so memory stays flat (the soak benchmark and test show it).
 */
import type { CryptoBackend } from '../../backend/crypto-backend.js';
import { assertBytes } from '../../backend/validate.js';
import { ArgumentError, PolicyError } from '../../errors.js';
import type { Obligation, PolicyDecision, PolicyInput } from '../decision.js';
import { canonicalPolicyInput, matchesCanonicalInput, policyCacheBucket } from './policy-input.js';
import { createPolicyBuiltins, missingBuiltins } from './builtins.js';
import { sameBytes, toHex } from '../../bytes.js';
import { isWellFormedText } from '../../text.js';
import { DEFAULT_POLICY_MEMORY_BYTES, WasmPolicy, policyMemoryPages } from './wasm-policy.js';
import { policyDigest } from './policy-digest.js';
import { OPA_WASM_BUILTINS, loadOpaWasmBuiltins } from './opa-wasm-builtins.js';

/** The entrypoint Ward's policies export (`policies/ward/authz`). */
export const DEFAULT_POLICY_ENTRYPOINT = 'ward/authz/decision';

/** A compiled policy to load: raw `policy.wasm` plus its data, or a bundle read by `readPolicyBundle`. */
export interface PolicySource {
  /** The compiled policy (`opa build -t wasm`). */
  readonly wasm: Uint8Array;
  /** The base document (`data.json`); default `{}`. */
  readonly data?: unknown;
  /** The bundle revision; default `''`. Activation refuses a lower one (see {@link compareRevisions}). */
  readonly revision?: string;
  /**
   * The bundle's digest, recorded in decision logs (`readPolicyBundle` gives the SHA-256 of the
   * bundle file). Default: the SHA-256 of a length-prefixed encoding of `wasm` and the canonical
   * JSON of `data`, so it covers both (policies/README.md, "The contract").
   */
  readonly digest?: Uint8Array;
  /** The bundle's manifest (a bundle from `readPolicyBundle` has one): its `wasm` entries name the entrypoints the module serves. */
  readonly manifest?: { readonly wasm?: readonly { readonly entrypoint: string }[] };
}

/** Options of {@link PolicyEngine.load}. */
export interface PolicyEngineOptions {
  /** The backend that hashes digests. */
  readonly backend: CryptoBackend;
  /**
   * The decision entrypoint. Default: the one entrypoint the source's manifest names (with
   * several, {@link DEFAULT_POLICY_ENTRYPOINT} if it is one of them), else
   * {@link DEFAULT_POLICY_ENTRYPOINT}. With a manifest, it must be one the manifest names.
   */
  readonly entrypoint?: string;
  /** Cache buckets at most (LRU; a bucket holds the 8 most recent inputs about one envelope id); default 10,000; 0 turns the cache off. */
  readonly cacheSize?: number;
  /** The maximum of the policy's wasm memory in bytes, 1 MiB to 4 GiB; default 64 MiB ({@link DEFAULT_POLICY_MEMORY_BYTES}). An evaluation that needs more fails (`ERR_POLICY_EVALUATION`, a deny). */
  readonly maxMemoryBytes?: number;
  /**
   * Admits a policy before it is loaded in this thread: runs it where a loop or a memory blow-up
   * cannot hurt (for example `createWorkerAdmission` of `@ward/node`) and throws to refuse it.
   * Called by {@link PolicyEngine.load} and {@link PolicyEngine.activate}; a refused activation
   * keeps the active policy.
   */
  readonly admission?: PolicyAdmission;
}

/** Admits or refuses a policy source before it runs in-process: resolves to admit, rejects (a `WardError`) to refuse. */
export type PolicyAdmission = (source: PolicySource, limits: { readonly entrypoint: string; readonly maxMemoryBytes: number }) => Promise<void>;

/** A decision and how it was reached. */
export interface EngineDecision {
  /** The validated decision (deeply frozen, the engine's own: never the policy's or the caller's objects). */
  readonly decision: PolicyDecision;
  /** Whether it came from the cache. */
  readonly cached: boolean;
  /** The normalised input the policy saw (a deeply frozen copy: nothing of the caller's). */
  readonly input: PolicyInput;
  /** The revision of the policy that decided. */
  readonly revision: string;
  /** The digest (hex) of the policy that decided. */
  readonly digest: string;
}

/**
 * What decides for `openEnvelope()`'s policy gate: {@link PolicyEngine} (synchronous, in this thread) or
 * an engine that decides elsewhere and answers with a promise (`IsolatedPolicyEngine` of
 * `@ward/node`, a worker pool with a per-decision timeout). A rejection refuses the open.
 *
 * @example
 * ```ts
 * import type { PolicyDecider } from '@ward/core';
 *
 * const policy: PolicyDecider = engine; // a PolicyEngine, or an IsolatedPolicyEngine
 * const { decision } = await policy.decide(input);
 * ```
 */
export interface PolicyDecider {
  /** Decides one input; throws or rejects (a `WardError`) when it cannot decide, which allows nothing. */
  decide(input: PolicyInput): EngineDecision | Promise<EngineDecision>;
}

/** The parts of opa-wasm's LoadedPolicy Ward uses. */
interface LoadedWasm {
  evaluate(input: Uint8Array, entrypoint: number): unknown;
  setData(data: unknown): void;
  readonly entrypoints: Readonly<Record<string, number>>;
  readonly memoryBytes: number;
  /** The host builtins the module calls out for (its `builtins()` table). */
  readonly builtinNames: readonly string[];
}

const MAX_REASONS = 64;
const MAX_OBLIGATIONS = 32;
const MAX_FIELDS = 64;
const MAX_BUCKET_ENTRIES = 8;

const encoder = new TextEncoder();

function deny(reason: string): PolicyDecision {
  return Object.freeze({ allow: false, reasons: Object.freeze([reason]), obligations: Object.freeze([]) as readonly Obligation[] });
}

/* Reasons, notify targets and redact fields obey core's one text rule (text.ts): 1 to
 * MAX_SHORT_TEXT (256) characters and no lone surrogate, which has no UTF-8 form. A wrapper,
 * not `every(isWellFormedText)`, which would pass the array index as the maximum. */
function isText(value: unknown): value is string {
  return isWellFormedText(value);
}

function obligationOf(value: unknown): Obligation | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entry = value as Record<string, unknown>;
  const keys = Object.keys(entry);
  switch (entry.type) {
    case 'log':
      return keys.length === 1 ? Object.freeze({ type: 'log' }) : undefined;
    case 'notify':
      return keys.length === 2 && isText(entry.to) ? Object.freeze({ type: 'notify', to: entry.to }) : undefined;
    case 'redact': {
      const { fields } = entry;
      if (keys.length !== 2 || !Array.isArray(fields) || fields.length === 0 || fields.length > MAX_FIELDS || !fields.every(isText)) return undefined;
      return Object.freeze({ type: 'redact', fields: Object.freeze([...fields]) });
    }
    default:
      return undefined;
  }
}

/**
 * Validates what the wasm returned: a result set of exactly one `{ result: { allow, reasons,
 * obligations } }`. Anything else — undefined (empty set), several results, a non-boolean
 * `allow`, unknown fields, an obligation Ward cannot enforce — is a deny with a reason
 * (STYLE.md: unknown or empty policy output is never anything but deny).
 *
 * @param resultSet - what opa-wasm's `evaluate` returned
 * @returns the frozen decision; a deny with reason `policy-undefined`, `policy-output-malformed`
 *   or `policy-obligation-unknown` for anything else
 * @example
 * ```ts
 * import { validateDecision } from '@ward/core/policy';
 *
 * validateDecision([{ result: { allow: true, reasons: ['ok'], obligations: [] } }]).allow; // true
 * validateDecision([]).reasons;                                                        // ['policy-undefined']
 * ```
 */
export function validateDecision(resultSet: unknown): PolicyDecision {
  if (!Array.isArray(resultSet) || resultSet.length === 0) return deny('policy-undefined');
  if (resultSet.length !== 1) return deny('policy-output-malformed');
  const result = (resultSet[0] as { result?: unknown } | null)?.result;
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return deny('policy-output-malformed');
  const { allow, reasons, obligations, ...rest } = result as Record<string, unknown>;
  if (Object.keys(rest).length !== 0 || typeof allow !== 'boolean') return deny('policy-output-malformed');
  if (!Array.isArray(reasons) || reasons.length > MAX_REASONS || !reasons.every(isText)) return deny('policy-output-malformed');
  if (!Array.isArray(obligations) || obligations.length > MAX_OBLIGATIONS) return deny('policy-output-malformed');
  const checked: Obligation[] = [];
  for (const value of obligations) {
    const obligation = obligationOf(value);
    /* An obligation Ward cannot understand cannot be fulfilled: refuse rather than drop it. */
    if (obligation === undefined) return deny('policy-obligation-unknown');
    checked.push(obligation);
  }
  return Object.freeze({ allow, reasons: Object.freeze([...reasons] as string[]), obligations: Object.freeze(checked) });
}

/**
 * Orders bundle revisions: two all-digit revisions compare as integers; otherwise the strings
 * compare by UTF-16 code units (so use sortable revisions, such as zero-padded numbers or
 * RFC 3339 UTC timestamps).
 *
 * @param a - a revision
 * @param b - another revision
 * @returns negative, zero or positive as `a` is older than, equal to or newer than `b`
 * @example
 * ```ts
 * import { compareRevisions } from '@ward/core/policy';
 *
 * compareRevisions('9', '10');                                   // < 0
 * compareRevisions('2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z'); // > 0
 * ```
 */
export function compareRevisions(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/*
 * Which entrypoint decides: the caller's, else the manifest's. A bundle's manifest says which
 * entrypoints its module serves (OPA's `wasm: [{ entrypoint, module }]`); a caller's choice
 * outside that list is a mismatch, not a silent fallback.
 */
function chooseEntrypoint(source: PolicySource, configured: string | undefined): string {
  const named = source?.manifest?.wasm?.map((entry) => entry.entrypoint);
  if (named === undefined || named.length === 0) return configured ?? DEFAULT_POLICY_ENTRYPOINT;
  if (configured !== undefined) {
    if (!named.includes(configured)) {
      throw new PolicyError('ERR_POLICY_BUNDLE_INVALID', `the bundle's manifest names the entrypoints ${named.join(', ')}, not ${configured}`);
    }
    return configured;
  }
  if (named.length === 1) return named[0]!;
  if (named.includes(DEFAULT_POLICY_ENTRYPOINT)) return DEFAULT_POLICY_ENTRYPOINT;
  throw new PolicyError('ERR_POLICY_BUNDLE_INVALID', `the bundle's manifest names several entrypoints (${named.join(', ')}): choose one with options.entrypoint`);
}

/*
 * Every host builtin the module calls out for must be implemented (by opa-wasm or by Ward):
 * otherwise the policy loads and then every decision that reaches the call fails (before this
 * check, `time.weekday` did exactly that). The module lists them in its `builtins()` export,
 * which WasmPolicy reads within bounds at load.
 */
function checkBuiltins(policy: LoadedWasm): void {
  const missing = missingBuiltins(policy.builtinNames);
  if (missing.length > 0) {
    throw new PolicyError('ERR_POLICY_BUNDLE_INVALID', `the policy needs builtins that neither opa-wasm nor Ward implements: ${missing.join(', ')}`);
  }
}

interface EngineLimits {
  readonly maxMemoryBytes: number;
  readonly admission: PolicyAdmission | undefined;
}

interface Active {
  readonly policy: LoadedWasm;
  readonly entrypoint: number;
  /** The current evaluation's environment.time, read by the instance's time.now_ns. */
  readonly clock: { time: number | undefined };
  readonly revision: string;
  readonly digest: Uint8Array;
  readonly digestHex: string;
}

/**
 * Runs a compiled Rego policy (OPA wasm) on policy inputs: `{ action, subject, resource,
 * environment }` in, `{ allow, reasons, obligations }` out, with anything else treated as a
 * deny. Holds one loaded instance and a bounded decision cache; {@link PolicyEngine.activate}
 * swaps in a new policy (refusing rollbacks and keeping the last good one on any failure) and
 * {@link PolicyEngine.setData} replaces the data; both clear the cache.
 *
 * @example
 * ```ts
 * import { PolicyEngine, readPolicyBundle } from '@ward/core';
 *
 * const bundle = await readPolicyBundle(bundleBytes, { backend, verification: { form: 'ward', trust: trust.keySource('policy-bundle') } });
 * const engine = await PolicyEngine.load(bundle, { backend });
 * const { decision } = engine.decide({ action: 'open', subject, resource, environment: { time: nowSeconds } });
 * ```
 */
export class PolicyEngine implements PolicyDecider {
  readonly #backend: CryptoBackend;
  readonly #entrypointName: string | undefined;
  readonly #cacheSize: number;
  readonly #limits: EngineLimits;
  readonly #cache = new Map<string, { readonly decision: PolicyDecision; readonly input: PolicyInput }[]>();
  #active: Active;
  #generation = 0;
  #evaluations = 0;
  #hits = 0;
  /* The bucket at the most recent end of the LRU order. */
  #recent: string | undefined;

  private constructor(backend: CryptoBackend, entrypoint: string | undefined, cacheSize: number, active: Active, limits: EngineLimits) {
    this.#backend = backend;
    this.#entrypointName = entrypoint;
    this.#cacheSize = cacheSize;
    this.#active = active;
    this.#limits = limits;
  }

  /**
   * Loads a compiled policy (raw wasm plus data, or a verified bundle from `readPolicyBundle`).
   *
   * @param source - the wasm, its data, revision and digest
   * @param options - backend, entrypoint, cache size
   * @returns the engine
   * @throws {@link PolicyError} `ERR_POLICY_EVALUATION` when the wasm does not load or lacks
   *   `options.entrypoint` (the message lists what it exports); `ERR_POLICY_BUNDLE_INVALID`
   *   when the wasm needs a builtin neither opa-wasm nor Ward implements (named in the
   *   message), or the manifest's entrypoints do not fit the wasm or `options.entrypoint`
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for bad options
   * @throws whatever `options.admission` throws when it refuses the policy
   * @example
   * ```ts
   * import { PolicyEngine } from '@ward/core';
   *
   * const engine = await PolicyEngine.load({ wasm: policyWasm, data: cityData, revision: '42' }, { backend });
   * ```
   */
  static async load(source: PolicySource, options: PolicyEngineOptions): Promise<PolicyEngine> {
    if (typeof options !== 'object' || options === null || options.backend === undefined) throw new ArgumentError('options need backend');
    const entrypoint = options.entrypoint;
    if (entrypoint !== undefined && (typeof entrypoint !== 'string' || entrypoint === '')) throw new ArgumentError('entrypoint must be a non-empty string');
    const cacheSize = options.cacheSize ?? 10_000;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) throw new ArgumentError('cacheSize must be a non-negative integer');
    const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_POLICY_MEMORY_BYTES;
    policyMemoryPages(maxMemoryBytes);
    if (options.admission !== undefined && typeof options.admission !== 'function') throw new ArgumentError('admission must be a function');
    const limits: EngineLimits = { maxMemoryBytes, admission: options.admission };
    const active = await PolicyEngine.#instantiate(source, entrypoint, options.backend, limits);
    return new PolicyEngine(options.backend, entrypoint, cacheSize, active, limits);
  }

  static async #instantiate(source: PolicySource, configuredEntrypoint: string | undefined, backend: CryptoBackend, limits: EngineLimits): Promise<Active> {
    if (typeof source !== 'object' || source === null) throw new ArgumentError('policy source must be an object');
    assertBytes(source.wasm, 'wasm');
    const revision = source.revision ?? '';
    if (typeof revision !== 'string') throw new ArgumentError('revision must be a string');
    /* The digest covers wasm AND data: the same revision with other data is other contents (issue 11). */
    const digest = source.digest ?? (await policyDigest(source.wasm, source.data, backend));
    const entrypointName = chooseEntrypoint(source, configuredEntrypoint);
    /* A policy that loops or blows up at load must be refused before it runs in this thread (issue 11 item 4d). */
    await limits.admission?.(source, { entrypoint: entrypointName, maxMemoryBytes: limits.maxMemoryBytes });
    const clock: { time: number | undefined } = { time: undefined };
    let policy: LoadedWasm;
    try {
      policy = WasmPolicy.load(source.wasm, { maxMemoryBytes: limits.maxMemoryBytes, builtins: createPolicyBuiltins(() => clock.time) });
      policy.setData(source.data ?? {});
    } catch (error) {
      /* Never let a WebAssembly error escape raw. */
      throw new PolicyError('ERR_POLICY_EVALUATION', 'the policy wasm could not be loaded', { cause: error });
    }
    checkBuiltins(policy);
    /* opa-wasm (with yaml and sprintf-js) loads only for a policy that calls one of its builtins, before the first evaluation. */
    if (policy.builtinNames.some((name) => OPA_WASM_BUILTINS.includes(name))) {
      try {
        await loadOpaWasmBuiltins();
      } catch (error) {
        throw new PolicyError('ERR_POLICY_EVALUATION', 'the policy needs opa-wasm builtins and @open-policy-agent/opa-wasm could not be loaded', { cause: error });
      }
    }
    const entrypoint = policy.entrypoints[entrypointName];
    if (typeof entrypoint !== 'number' || !Object.hasOwn(policy.entrypoints, entrypointName)) {
      const exported = Object.keys(policy.entrypoints).sort().join(', ') || '(none)';
      /* A manifest that names an entrypoint its module does not export is a malformed bundle. */
      const code = configuredEntrypoint === undefined && source.manifest?.wasm !== undefined ? 'ERR_POLICY_BUNDLE_INVALID' : 'ERR_POLICY_EVALUATION';
      throw new PolicyError(code, `the policy has no entrypoint ${entrypointName}; it exports: ${exported}`);
    }
    return { policy, entrypoint, clock, revision, digest: digest.slice(), digestHex: toHex(digest) };
  }

  /** The active policy's revision. */
  get revision(): string {
    return this.#active.revision;
  }

  /** The active policy's digest (a copy). */
  get digest(): Uint8Array {
    return this.#active.digest.slice();
  }

  /** Counts: evaluations run, cache hits, cached entries, and how many times policy or data changed. */
  get stats(): { readonly evaluations: number; readonly hits: number; readonly cached: number; readonly generation: number } {
    return { evaluations: this.#evaluations, hits: this.#hits, cached: this.#cache.size, generation: this.#generation };
  }

  /** Bytes of the policy instance's linear memory (for soak checks: it must stay flat). */
  get memoryBytes(): number {
    return this.#active.policy.memoryBytes;
  }

  /**
   * Activates a new policy. Refuses (`ERR_POLICY_BUNDLE_ROLLBACK`) a revision lower than the
   * active one, or the same revision with different contents; on any failure the active
   * policy stays. Clears the decision cache.
   *
   * @param source - the new policy (verify bundles with `readPolicyBundle` first)
   * @throws {@link PolicyError} `ERR_POLICY_BUNDLE_ROLLBACK`, or `ERR_POLICY_EVALUATION` when it does not load
   * @example
   * ```ts
   * await engine.activate(await readPolicyBundle(next, { backend, verification }));
   * ```
   */
  async activate(source: PolicySource): Promise<void> {
    const revision = source?.revision ?? '';
    const current = this.#active;
    /* A replayed old bundle must not roll a fleet back to a weaker policy. */
    const order = compareRevisions(revision, current.revision);
    if (order < 0) throw new PolicyError('ERR_POLICY_BUNDLE_ROLLBACK', `revision ${revision} is older than the active ${current.revision}`);
    const next = await PolicyEngine.#instantiate(source, this.#entrypointName, this.#backend, this.#limits);
    /* Compare again, with the policy active now: another activation may have completed while this one was loading. */
    const latest = this.#active;
    const orderNow = compareRevisions(revision, latest.revision);
    if (orderNow < 0) {
      throw new PolicyError('ERR_POLICY_BUNDLE_ROLLBACK', `revision ${revision} is older than the active ${latest.revision}`);
    }
    /* One revision, other contents (a swapped bundle, or two policies that raced): the active one stays, no silent swap. */
    if (orderNow === 0 && !sameBytes(next.digest, latest.digest)) {
      throw new PolicyError('ERR_POLICY_BUNDLE_ROLLBACK', `revision ${revision} is active with different contents`);
    }
    this.#active = next;
    this.#invalidate();
  }

  /**
   * Replaces the policy's data document (`data`). Clears the decision cache.
   *
   * @param data - the new base document
   * @throws {@link PolicyError} `ERR_POLICY_EVALUATION` when the instance refuses the data
   * @example
   * ```ts
   * engine.setData({ ...cityData, contractors: updatedContractors });
   * ```
   */
  setData(data: unknown): void {
    try {
      this.#active.policy.setData(data);
    } catch (error) {
      throw new PolicyError('ERR_POLICY_EVALUATION', 'the policy refused the data', { cause: error });
    }
    this.#invalidate();
  }

  #invalidate(): void {
    this.#cache.clear();
    this.#recent = undefined;
    this.#generation++;
  }

  /**
   * Decides one input. Synchronous: the wasm instance runs in this thread. A cached decision
   * is returned when the same canonical input was decided under the same policy and data.
   *
   * @param input - `{ action, subject, resource, environment }`
   * @returns the validated decision (a deny for any malformed, empty or unknown output)
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a malformed input
   * @throws {@link PolicyError} `ERR_POLICY_EVALUATION` when the policy traps or fails
   * @example
   * ```ts
   * const { decision, cached } = engine.decide(input);
   * if (!decision.allow) console.log(decision.reasons);
   * ```
   */
  decide(input: PolicyInput): EngineDecision {
    const active = this.#active;
    const bucket = this.#cacheSize === 0 ? undefined : policyCacheBucket(input);
    const entries = bucket === undefined ? undefined : this.#cache.get(bucket);
    if (entries !== undefined) {
      for (const entry of entries) {
        /* Sharing a bucket is not enough: the stored normalised input must equal this one. */
        if (!matchesCanonicalInput(input, entry.input)) continue;
        this.#hits++;
        /* LRU: move the bucket to the most recent end (it is there already when it was the last one used). */
        if (bucket !== this.#recent) {
          this.#cache.delete(bucket!);
          this.#cache.set(bucket!, entries);
          this.#recent = bucket;
        }
        return { decision: entry.decision, cached: true, input: entry.input, revision: active.revision, digest: active.digestHex };
      }
    }
    const canonical = canonicalPolicyInput(input);
    const bytes = encoder.encode(canonical.json);
    let resultSet: unknown;
    try {
      this.#evaluations++;
      /* time.now_ns is this input's environment.time, never the host clock: decisions stay deterministic and cacheable. */
      active.clock.time = canonical.input.environment.time;
      resultSet = active.policy.evaluate(bytes, active.entrypoint);
    } catch (error) {
      throw new PolicyError('ERR_POLICY_EVALUATION', 'the policy failed to evaluate', { cause: error });
    }
    const decision = validateDecision(resultSet);
    if (bucket !== undefined) {
      const entry = { decision, input: canonical.input };
      if (entries !== undefined) {
        /* A bucket holds a few inputs that differ beyond its key; the oldest goes first. */
        if (entries.length >= MAX_BUCKET_ENTRIES) entries.shift();
        entries.push(entry);
        this.#cache.delete(bucket);
      } else if (this.#cache.size >= this.#cacheSize) {
        this.#cache.delete(this.#cache.keys().next().value!);
      }
      this.#cache.set(bucket, entries ?? [entry]);
      this.#recent = bucket;
    }
    return { decision, cached: false, input: canonical.input, revision: active.revision, digest: active.digestHex };
  }
}
