/*
 * A compiled Rego policy (OPA wasm) run through OPA's ABI (opa-wasm-abi.ts) inside limits: the
 * policy is code from outside the process (DESIGN.md §Policy), so
 *
 * - every text read from its memory (result, entrypoints, builtins table, builtin arguments,
 *   abort message) is bounded: the address must lie inside memory and a NUL must follow within
 *   a stated number of bytes, else the read fails typed (opa-wasm 1.10 scans for the NUL with no
 *   end bound: an out-of-range pointer or a missing NUL hangs the process, issue 11 item 4a);
 * - its one memory is the imported `env.memory` with a maximum (module-defined memories are
 *   refused), so a policy cannot grow past `maxMemoryBytes` (item 4b);
 * - after any failed evaluation (trap, abort, out of memory, bad result) the instance is
 *   discarded and the next evaluation re-instantiates the compiled module with the active data,
 *   so one bad input does not disable the engine (item 4c).
 *
 * Loops cannot be stopped in-process: a start function or evaluation that never returns is what
 * an admission check in a worker (PolicyEngineOptions.admission) is for.
 */
import { ArgumentError, PolicyError } from '../../errors.js';
import { OPA_IMPORTS, WASM_PAGE_BYTES, assertNoDefinedMemory, opaExports, wasm as webAssembly, type OpaExports, type WasmMemory, type WasmModule } from './opa-wasm-abi.js';
import { OPA_WASM_BUILTINS, callOpaWasmBuiltin } from './opa-wasm-builtins.js';

/** A builtin Ward supplies to policies: JSON values in, a JSON value (or undefined: no result) out. */
export type PolicyBuiltin = (...args: never[]) => unknown;

/** Builtins by their Rego name, e.g. `{ 'time.weekday': (ns) => … }`. */
export type PolicyBuiltins = Readonly<Record<string, PolicyBuiltin>>;

/** Default maximum of a policy's linear memory: 64 MiB (the city policy with its data needs under 2 MiB). */
export const DEFAULT_POLICY_MEMORY_BYTES = 64 * 2 ** 20;

/** Bounds of the `maxMemoryBytes` option: 1 MiB to 4 GiB (wasm32's whole address space). */
export const MIN_POLICY_MEMORY_BYTES = 2 ** 20;
export const MAX_POLICY_MEMORY_BYTES = 2 ** 32;

/*
 * The largest result set Ward reads: above the largest decision validateDecision accepts (64
 * reasons and 32 obligations of 64 fields, 256 characters each, every character escaped).
 */
const MAX_RESULT_BYTES = 4 * 2 ** 20;
/* The entrypoints and builtins tables: names of a compiled policy, far below this. */
const MAX_TABLE_BYTES = 2 ** 20;
const MAX_ABORT_BYTES = 1024;
/* opa-wasm's initial memory: 5 pages. */
const INITIAL_PAGES = 5;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function failed(message: string, cause?: unknown): PolicyError {
  return new PolicyError('ERR_POLICY_EVALUATION', message, cause === undefined ? undefined : { cause });
}

/** Options of {@link WasmPolicy.load}. */
export interface WasmPolicyOptions {
  /** The maximum of the policy's memory in bytes (whole 64 KiB pages are used); default {@link DEFAULT_POLICY_MEMORY_BYTES}. */
  readonly maxMemoryBytes?: number;
  /** Builtins beyond opa-wasm's own, by Rego name (opa-wasm's implementation wins for a name it has). */
  readonly builtins?: PolicyBuiltins;
}

interface Instance {
  readonly memory: WasmMemory;
  readonly exports: OpaExports;
  /* The heap pointer before the data: setData frees back to it. */
  readonly baseHeapPtr: number;
  dataAddr: number;
  dataHeapPtr: number;
}

/**
 * Checks a `maxMemoryBytes` option and returns it in whole 64 KiB pages.
 *
 * @param maxMemoryBytes - the option, or undefined for {@link DEFAULT_POLICY_MEMORY_BYTES}
 * @returns the number of pages
 * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` outside 1 MiB to 4 GiB
 */
export function policyMemoryPages(maxMemoryBytes: number | undefined): number {
  const bytes = maxMemoryBytes ?? DEFAULT_POLICY_MEMORY_BYTES;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_POLICY_MEMORY_BYTES || bytes > MAX_POLICY_MEMORY_BYTES) {
    throw new ArgumentError('maxMemoryBytes must be an integer from 1 MiB to 4 GiB');
  }
  return Math.floor(bytes / WASM_PAGE_BYTES);
}

/**
 * One compiled policy module and its live instance. Ward's {@link PolicyEngine} holds one; use
 * it directly only to run OPA wasm outside the engine (for example in an admission worker).
 *
 * @example
 * ```ts
 * import { WasmPolicy } from './wasm-policy.js'; // internal to @ward/core: PolicyEngine holds one
 *
 * const policy = WasmPolicy.load(policyWasm, { maxMemoryBytes: 32 * 2 ** 20 });
 * policy.setData(cityData);
 * const resultSet = policy.evaluate(new TextEncoder().encode(JSON.stringify(input)), policy.entrypoints['ward/authz/decision']!);
 * ```
 */
export class WasmPolicy {
  readonly #module: WasmModule;
  readonly #maxPages: number;
  readonly #builtins: PolicyBuiltins;
  #instance: Instance;
  #builtinNames = new Map<number, string>();
  #entrypoints: Readonly<Record<string, number>> = {};
  #data: Uint8Array = encoder.encode('{}');
  #broken = false;

  private constructor(module: WasmModule, maxPages: number, builtins: PolicyBuiltins) {
    this.#module = module;
    this.#maxPages = maxPages;
    this.#builtins = builtins;
    this.#instance = this.#instantiate();
  }

  /**
   * Compiles and instantiates a policy module with empty data (`{}`).
   *
   * @param wasm - the module (`opa build -t wasm`)
   * @param options - memory maximum and extra builtins
   * @returns the loaded policy
   * @throws {@link PolicyError} `ERR_POLICY_EVALUATION` when the module does not compile, link or
   *   meet the ABI, defines its own memory, or its tables are unreadable
   * @throws {@link ArgumentError} `ERR_INVALID_ARGUMENT` for a `maxMemoryBytes` outside 1 MiB to 4 GiB
   * @example
   * ```ts
   * const policy = WasmPolicy.load(policyWasm);
   * ```
   */
  static load(wasm: Uint8Array, options: WasmPolicyOptions = {}): WasmPolicy {
    const maxPages = policyMemoryPages(options.maxMemoryBytes);
    assertNoDefinedMemory(wasm);
    let module: WasmModule;
    try {
      module = new webAssembly.Module(wasm);
    } catch (error) {
      throw failed('the policy wasm does not compile', error);
    }
    /* Precondition: the module's memory is the imported env.memory, the one Ward bounds. */
    const imports = webAssembly.Module.imports(module);
    if (!imports.some((entry) => entry.module === 'env' && entry.name === OPA_IMPORTS.memory && entry.kind === 'memory')) {
      throw failed('the policy wasm does not import env.memory');
    }
    return new WasmPolicy(module, maxPages, options.builtins ?? {});
  }

  /** Entrypoint ids by name, as the module reports them. */
  get entrypoints(): Readonly<Record<string, number>> {
    return this.#entrypoints;
  }

  /** The builtins the module imports, by Rego name. */
  get builtinNames(): readonly string[] {
    return [...this.#builtinNames.values()];
  }

  /** Bytes of the live instance's linear memory. */
  get memoryBytes(): number {
    return this.#instance.memory.buffer.byteLength;
  }

  #instantiate(): Instance {
    /* Memory bound: the policy's only memory has a maximum, so memory.grow past it fails (a trap, then recovery). */
    const memory = new webAssembly.Memory({ initial: Math.min(INITIAL_PAGES, this.#maxPages), maximum: this.#maxPages });
    const self = { exports: undefined as OpaExports | undefined };
    const builtin = (id: number, args: number[]): number => this.#callBuiltin(memory, self.exports!, id, args);
    const env = {
      [OPA_IMPORTS.memory]: memory,
      opa_abort: (addr: number): never => {
        let message: string;
        try {
          message = readText(memory, addr, MAX_ABORT_BYTES);
        } catch {
          message = '(unreadable message)';
        }
        throw failed(`the policy aborted: ${message}`);
      },
      opa_println: (): void => {},
      opa_builtin0: (id: number) => builtin(id, []),
      opa_builtin1: (id: number, _ctx: number, a: number) => builtin(id, [a]),
      opa_builtin2: (id: number, _ctx: number, a: number, b: number) => builtin(id, [a, b]),
      opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => builtin(id, [a, b, c]),
      opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) => builtin(id, [a, b, c, d]),
    };
    let exports: OpaExports;
    try {
      /* Runs the module's start function, if any. */
      exports = opaExports(new webAssembly.Instance(this.#module, { env }));
    } catch (error) {
      throw PolicyError.isInstance(error) ? error : failed('the policy wasm could not be instantiated', error);
    }
    self.exports = exports;
    try {
      this.#builtinNames = idTable(readJson(memory, exports.opa_json_dump(exports.builtins()), MAX_TABLE_BYTES), 'builtins');
      const entrypoints = idTable(readJson(memory, exports.opa_json_dump(exports.entrypoints()), MAX_TABLE_BYTES), 'entrypoints');
      this.#entrypoints = Object.freeze(Object.fromEntries([...entrypoints].map(([id, name]) => [name, id])));
      const baseHeapPtr = exports.opa_heap_ptr_get();
      const dataAddr = writeJson(memory, exports, this.#data);
      return { memory, exports, baseHeapPtr, dataAddr, dataHeapPtr: exports.opa_heap_ptr_get() };
    } catch (error) {
      throw PolicyError.isInstance(error) ? error : failed('the policy wasm could not be loaded', error);
    }
  }

  /* A failed evaluation may leave the instance in any state: start again from the compiled module. */
  #recover(): void {
    this.#instance = this.#instantiate();
    this.#broken = false;
  }

  /**
   * Replaces the data document. On failure the previous data stays.
   *
   * @param data - the base document (any JSON value)
   * @throws {@link PolicyError} `ERR_POLICY_EVALUATION` when the data is not JSON or does not fit in memory
   */
  setData(data: unknown): void {
    let json: string | undefined;
    try {
      json = JSON.stringify(data) as string | undefined;
    } catch (error) {
      throw failed('the policy data is not JSON', error);
    }
    if (json === undefined) throw failed('the policy data is not JSON');
    const bytes = encoder.encode(json);
    if (this.#broken) this.#recover(); // the data goes into a live instance
    const instance = this.#instance;
    try {
      instance.exports.opa_heap_ptr_set(instance.baseHeapPtr);
      instance.dataAddr = writeJson(instance.memory, instance.exports, bytes);
      instance.dataHeapPtr = instance.exports.opa_heap_ptr_get();
    } catch (error) {
      /* The next evaluation starts a fresh instance with the previous data. */
      this.#broken = true;
      throw PolicyError.isInstance(error) ? error : failed('the policy refused the data', error);
    }
    this.#data = bytes;
  }

  /**
   * Evaluates one entrypoint on one input (JSON bytes) and returns the parsed result set.
   *
   * @param input - the input document as UTF-8 JSON (an ArrayBuffer is read whole)
   * @param entrypoint - an id from {@link WasmPolicy.entrypoints}
   * @returns the result set, as JSON
   * @throws {@link PolicyError} `ERR_POLICY_EVALUATION` when the policy traps, aborts, runs out of
   *   memory or returns an unreadable result; the next call runs on a fresh instance
   */
  evaluate(input: Uint8Array | ArrayBuffer, entrypoint: number): unknown {
    /* Precondition: a failed evaluation (trap, abort, out of memory) left the instance in any state: start again from the compiled module. */
    if (this.#broken) this.#recover();
    const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
    const { memory, exports, dataAddr, dataHeapPtr } = this.#instance;
    try {
      ensureMemory(memory, dataHeapPtr + bytes.length);
      new Uint8Array(memory.buffer, dataHeapPtr, bytes.length).set(bytes);
      /* ABI 1.2: the heap is reset to just past the input on every evaluation. */
      const result = exports.opa_eval(0, entrypoint, dataAddr, dataHeapPtr, bytes.length, dataHeapPtr + bytes.length, 0);
      return readJson(memory, result, MAX_RESULT_BYTES);
    } catch (error) {
      this.#broken = true;
      throw PolicyError.isInstance(error) ? error : failed('the policy failed to evaluate', error);
    }
  }

  #callBuiltin(memory: WasmMemory, exports: OpaExports, id: number, args: number[]): number {
    const name = this.#builtinNames.get(id);
    if (name === undefined) throw failed(`the policy called an unknown builtin id ${id}`);
    /* Builtin arguments are read within memory, like every text (bounded scan, issue 11 item 4a). */
    const texts = args.map((addr) => readText(memory, exports.opa_json_dump(addr), memory.buffer.byteLength));
    let result: string | undefined;
    if (OPA_WASM_BUILTINS.includes(name)) {
      result = callOpaWasmBuiltin(name, texts);
    } else if (Object.hasOwn(this.#builtins, name)) {
      /* Own properties only (hasOwn above): a builtin named `constructor` or `__proto__` never reaches Object.prototype. */
      const value = (this.#builtins[name] as (...values: unknown[]) => unknown)(...texts.map((text) => JSON.parse(text) as unknown));
      result = value === undefined ? undefined : JSON.stringify(value);
    } else {
      throw failed(`the policy calls builtin ${name}, which neither Ward nor opa-wasm implements`);
    }
    return result === undefined ? 0 : writeJson(memory, exports, encoder.encode(result));
  }
}

function idTable(value: unknown, what: string): Map<number, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw failed(`the policy's ${what} table is not an object`);
  const table = new Map<number, string>();
  for (const [name, id] of Object.entries(value)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw failed(`the policy's ${what} table has a bad id for ${name}`);
    table.set(id as number, name);
  }
  return table;
}

function ensureMemory(memory: WasmMemory, end: number): void {
  const missing = end - memory.buffer.byteLength;
  if (missing <= 0) return;
  try {
    memory.grow(Math.ceil(missing / WASM_PAGE_BYTES));
  } catch (error) {
    /* The maximum holds for Ward's own writes too. */
    throw failed('the policy memory limit is reached', error);
  }
}

/**
 * Reads the NUL-terminated text at `addr`, bounded: `addr` must lie inside memory and the NUL
 * within `limit` bytes of it (and inside memory). A policy that returns any other pointer
 * would make an unbounded scan run forever.
 */
function readText(memory: WasmMemory, addr: number, limit: number): string {
  const bytes = new Uint8Array(memory.buffer);
  /* i32 results come back signed: take the address as unsigned. */
  const start = addr >>> 0;
  /* Precondition: the text starts inside memory (0 is OPA's null pointer). */
  if (start === 0 || start >= bytes.length) throw failed(`the policy returned an address outside its memory (${start})`);
  const window = bytes.subarray(start, Math.min(bytes.length, start + limit));
  const end = window.indexOf(0);
  /* Precondition: the NUL terminator comes within the bound. */
  if (end < 0) throw failed(`the policy returned a text with no terminator within ${window.length} bytes`);
  return decoder.decode(window.subarray(0, end));
}

function readJson(memory: WasmMemory, addr: number, limit: number): unknown {
  const text = readText(memory, addr, limit);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw failed('the policy returned malformed JSON', error);
  }
}

function writeJson(memory: WasmMemory, exports: OpaExports, bytes: Uint8Array): number {
  const addr = exports.opa_malloc(bytes.length) >>> 0;
  /* Precondition: the allocation the policy returned lies inside its memory. */
  if (addr === 0 || addr + bytes.length > memory.buffer.byteLength) throw failed('the policy could not allocate memory');
  new Uint8Array(memory.buffer, addr, bytes.length).set(bytes);
  const value = exports.opa_json_parse(addr, bytes.length);
  if (value === 0) throw failed('the policy could not parse a JSON value');
  return value;
}
