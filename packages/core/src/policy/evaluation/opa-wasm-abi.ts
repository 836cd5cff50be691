/*
 * OPA's WebAssembly ABI, typed once (https://www.openpolicyagent.org/docs/wasm, "Exports" and
 * "Imports"): what a module compiled by `opa build -t wasm` exports and imports, checked at load
 * so that nothing later calls a missing or mistyped export. Ward runs the ABI itself
 * (wasm-policy.ts) rather than through opa-wasm's LoadedPolicy, whose readers scan memory for a
 * NUL byte with no end bound (a hostile module hangs the process; issue 11 item 4a).
 */
import { PolicyError } from '../../errors.js';

/** The parts of the WebAssembly JS API Ward uses (core never sees DOM or Node types; STYLE.md convention 1). */
export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}
/** A WebAssembly instance: its exports by name. */
export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}
/** A WebAssembly linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: { new (bytes: Uint8Array): WasmModule; imports(module: WasmModule): { module: string; name: string; kind: string }[] };
  readonly Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  readonly Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  readonly Global: abstract new (...args: never[]) => { readonly value: unknown };
}

/*
 * WebAssembly is one of the three platform globals core may use (eslint.config.js); declared
 * here, module-scoped, with only what Ward calls, and handed to the other policy files as `wasm`.
 */
declare const WebAssembly: WasmApi;
export const wasm: WasmApi = WebAssembly;

/** The ABI major version Ward speaks (`opa_wasm_abi_version`). */
export const OPA_ABI_VERSION = 1;

/** The lowest ABI minor version Ward speaks: 1.2 added `opa_eval`, one call per evaluation that resets the heap. */
export const OPA_ABI_MIN_MINOR_VERSION = 2;

/** The bytes of one page of wasm linear memory. */
export const WASM_PAGE_BYTES = 65_536;

/** The exported functions Ward calls, with their signatures (all addresses are i32 offsets into `env.memory`). */
export interface OpaExports {
  /** Allocates `size` bytes on the policy heap; returns the address. */
  opa_malloc(size: number): number;
  /** The current heap pointer. */
  opa_heap_ptr_get(): number;
  /** Sets the heap pointer (frees everything allocated after it). */
  opa_heap_ptr_set(addr: number): void;
  /** Parses `len` bytes of JSON at `addr` into a value; returns its address, 0 on failure. */
  opa_json_parse(addr: number, len: number): number;
  /** Serialises the value at `addr` to NUL-terminated JSON; returns the text's address. */
  opa_json_dump(addr: number): number;
  /** ABI 1.2: evaluates `entrypoint` on `data` and the `inputLen` bytes of JSON at `input`, with the heap reset to `heapPtr`; returns the address of the NUL-terminated JSON result set. */
  opa_eval(reserved: number, entrypoint: number, data: number, input: number, inputLen: number, heapPtr: number, format: number): number;
  /** The address of a value mapping each builtin the module imports to its id. */
  builtins(): number;
  /** The address of a value mapping each entrypoint name to its id. */
  entrypoints(): number;
}

/** The ABI table: every export Ward calls, in one place. */
const OPA_FUNCTION_EXPORTS = [
  'opa_malloc',
  'opa_heap_ptr_get',
  'opa_heap_ptr_set',
  'opa_json_parse',
  'opa_json_dump',
  'opa_eval',
  'builtins',
  'entrypoints',
] as const satisfies readonly (keyof OpaExports)[];

/** The imports a module may ask for, all in module `env`: its one memory, the abort and print hooks, and the builtin dispatchers for 0-4 arguments. */
export const OPA_IMPORTS = {
  memory: 'memory',
  functions: ['opa_abort', 'opa_println', 'opa_builtin0', 'opa_builtin1', 'opa_builtin2', 'opa_builtin3', 'opa_builtin4'],
} as const;

function globalValue(value: unknown): unknown {
  return value instanceof wasm.Global ? value.value : value;
}

/**
 * Checks an instantiated module against the ABI table and the ABI version, and returns its
 * exports typed.
 *
 * @param instance - the instantiated policy module
 * @returns the exports Ward calls
 * @throws {@link PolicyError} `ERR_POLICY_EVALUATION` when an export is missing or the ABI version is not 1.2 or later
 */
export function opaExports(instance: WasmInstance): OpaExports {
  const exports = instance.exports;
  const major = globalValue(exports.opa_wasm_abi_version);
  const minor = globalValue(exports.opa_wasm_abi_minor_version);
  /* Precondition: the module speaks ABI 1.2+; an older or unknown ABI would be driven with calls it does not define. */
  if (major !== OPA_ABI_VERSION || typeof minor !== 'number' || minor < OPA_ABI_MIN_MINOR_VERSION) {
    throw new PolicyError('ERR_POLICY_EVALUATION', `the policy wasm speaks ABI ${String(major)}.${String(minor)}; Ward needs ${OPA_ABI_VERSION}.${OPA_ABI_MIN_MINOR_VERSION} or later`);
  }
  for (const name of OPA_FUNCTION_EXPORTS) {
    if (typeof exports[name] !== 'function') throw new PolicyError('ERR_POLICY_EVALUATION', `the policy wasm does not export the function ${name}`);
  }
  return exports as unknown as OpaExports;
}

function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (let i = at; i < bytes.length && i < at + 5; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  throw new PolicyError('ERR_POLICY_EVALUATION', 'the policy wasm is malformed');
}

/**
 * Checks the module's memories before it is compiled: it imports exactly one, `env.memory`, and
 * defines none of its own, so the bounded memory Ward supplies is the only one it can grow
 * (a module-defined memory, possible with the multi-memory proposal, would escape the limit).
 *
 * @param wasm - the module's bytes
 * @throws {@link PolicyError} `ERR_POLICY_EVALUATION` when the module defines a memory or is malformed
 */
export function assertNoDefinedMemory(wasm: Uint8Array): void {
  /* Sections: magic and version (8 bytes), then id byte, LEB128 size, contents (WebAssembly core spec §5.5.2). */
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at]!;
    const size = readLeb(wasm, at + 1);
    /* Precondition: no memory section (id 5) with any entry: the imported memory is the policy's only memory. */
    if (id === 5 && readLeb(wasm, size.next).value !== 0) {
      throw new PolicyError('ERR_POLICY_EVALUATION', 'the policy wasm defines its own memory; it must import env.memory');
    }
    at = size.next + size.value;
  }
}
