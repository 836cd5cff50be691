/*
 * The builtins opa-wasm implements in JavaScript (OPA compiles the rest into the wasm itself).
 * Ward runs the OPA ABI with its own bounded loader (wasm-policy.ts), but keeps opa-wasm as the
 * one home of these implementations: opa-wasm exports no table of them, only its loader, so Ward
 * loads a tiny bridge module of its own making through opa-wasm's `loadPolicySync`. The bridge
 * re-exports the builtin dispatchers opa-wasm hands it as imports (`opa_builtin0`…`4`) and
 * implements the few ABI calls opa-wasm makes around them, keeping values as JSON text: a value's
 * address is its text's address (`opa_json_dump` is the identity), `opa_json_parse` records the
 * length, `opa_malloc` bumps a pointer and grows memory. Everything opa-wasm reads from the
 * bridge's memory was written by Ward or by opa-wasm itself, NUL-terminated.
 *
 * opa-wasm is imported dynamically, once, by the first engine whose policy calls one of these
 * builtins (loadOpaWasmBuiltins, awaited by PolicyEngine's async load): a static import would make
 * every module graph that reaches this file evaluate opa-wasm, yaml and sprintf-js (which defines
 * `window.sprintf`), and bundlers keep a side-effectful package's static import even when nothing
 * of it is used, so a seal-only bundle would carry the whole policy engine (issue 13 item 2;
 * scripts/bundle-sizes.mjs checks it).
 */
import { WASM_PAGE_BYTES, wasm, type WasmInstance, type WasmMemory } from './opa-wasm-abi.js';

/** The builtins opa-wasm 1.10.0 implements (`src/builtins/*.js`); the version is pinned exactly. */
export const OPA_WASM_BUILTINS: readonly string[] = Object.freeze([
  'json.is_valid',
  'regex.split',
  'sprintf',
  'yaml.is_valid',
  'yaml.marshal',
  'yaml.unmarshal',
]);

type OpaWasm = typeof import('@open-policy-agent/opa-wasm');
type LoadPolicySync = OpaWasm['loadPolicySync'];

let loadPolicySync: LoadPolicySync | undefined;

/**
 * Loads opa-wasm (a dynamic import, once per process); {@link callOpaWasmBuiltin} needs it done.
 *
 * @throws whatever the import throws (opa-wasm missing or not loadable)
 */
export async function loadOpaWasmBuiltins(): Promise<void> {
  if (loadPolicySync !== undefined) return;
  const opaWasm = await import('@open-policy-agent/opa-wasm');
  /*
   * opa-wasm's ESM entry exports `loadPolicySync` only on its default export, while its type
   * declarations name it directly; the CommonJS entry has both. Take whichever is there.
   */
  loadPolicySync = ((opaWasm as unknown as { default?: OpaWasm }).default ?? opaWasm).loadPolicySync;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/* Where the bridge's static texts sit, and where its heap starts (above them). */
const STATIC_AT = 16;
const HEAP_AT = WASM_PAGE_BYTES;

/* Unsigned LEB128 (WebAssembly core spec §5.2.2). */
function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/* Signed LEB128 of a non-negative value (the immediate of i32.const). */
function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>>= 7;
    if (value === 0 && (byte & 0x40) === 0) return [...out, byte];
    out.push(byte | 0x80);
  }
}

function text(value: string): number[] {
  const bytes = [...encoder.encode(value)];
  return [...leb(bytes.length), ...bytes];
}

function section(id: number, entries: number[][]): number[] {
  const body = [...leb(entries.length), ...entries.flat()];
  return [id, ...leb(body.length), ...body];
}

function body(code: number[]): number[] {
  /* No locals beyond the parameters; the body ends with `end`. */
  const bytes = [0x00, ...code, 0x0b];
  return [...leb(bytes.length), ...bytes];
}

const I32 = 0x7f;
function fnType(params: number, results: number): number[] {
  return [0x60, ...leb(params), ...Array<number>(params).fill(I32), ...leb(results), ...Array<number>(results).fill(I32)];
}

/** The bridge module's bytes (WebAssembly core spec §5.5: type, import, function, global, export, code and data sections). */
function bridgeBytes(builtinsJson: string): Uint8Array {
  const statics = [...encoder.encode(`${builtinsJson}\0{}\0`)];
  const builtinsAt = STATIC_AT;
  const entrypointsAt = STATIC_AT + statics.indexOf(0) + 1;
  /* Types 0-4: opa_builtinN (id, ctx, N args) -> i32; 5: (i32) -> (); 6: () -> i32; 7: (i32) -> i32. */
  const types = [fnType(2, 1), fnType(3, 1), fnType(4, 1), fnType(5, 1), fnType(6, 1), fnType(1, 0), fnType(0, 1), fnType(1, 1)];
  const imports = [
    [...text('env'), ...text('memory'), 0x02, 0x00, 0x01],
    ...[0, 1, 2, 3, 4].map((n) => [...text('env'), ...text(`opa_builtin${n}`), 0x00, n]),
  ];
  /* Globals: 0 the heap pointer, 1 the length of the last parsed value, 2-3 the ABI version 1.2 (so opa-wasm takes its one-call path and logs nothing). */
  const globals = [[I32, 0x01, 0x41, ...sleb(HEAP_AT), 0x0b], [I32, 0x01, 0x41, 0, 0x0b], [I32, 0x00, 0x41, 1, 0x0b], [I32, 0x00, 0x41, 2, 0x0b]];
  const pageOf = [0x3f, 0x00, 0x41, 16, 0x74]; // memory.size << 16
  const functions: [string, number, number[]][] = [
    ['builtins', 6, [0x41, ...sleb(builtinsAt)]],
    ['entrypoints', 6, [0x41, ...sleb(entrypointsAt)]],
    ['opa_heap_ptr_get', 6, [0x23, 0]],
    ['opa_heap_ptr_set', 5, [0x20, 0, 0x24, 0]],
    /* old heap; heap += size; if heap > memory bytes, grow by the missing pages; return old heap. */
    ['opa_malloc', 7, [
      0x23, 0, 0x23, 0, 0x20, 0, 0x6a, 0x24, 0,
      0x23, 0, ...pageOf, 0x4b, 0x04, 0x40,
      0x23, 0, ...pageOf, 0x6b, 0x41, ...sleb(WASM_PAGE_BYTES - 1), 0x6a, 0x41, 16, 0x76, 0x40, 0x00, 0x1a,
      0x0b,
    ]],
    ['opa_json_dump', 7, [0x20, 0]],
    ['opa_json_parse', 0, [0x20, 1, 0x24, 1, 0x20, 0]],
  ];
  const exports = [
    ...[0, 1, 2, 3, 4].map((n) => [...text(`b${n}`), 0x00, n]),
    ...functions.map(([name], i) => [...text(name), 0x00, 5 + i]),
    [...text('parsed_length'), 0x03, 1],
    [...text('opa_wasm_abi_version'), 0x03, 2],
    [...text('opa_wasm_abi_minor_version'), 0x03, 3],
  ];
  const data = [[0x00, 0x41, ...sleb(STATIC_AT), 0x0b, ...leb(statics.length), ...statics]];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, functions.map(([, type]) => [type])),
    ...section(6, globals),
    ...section(7, exports),
    ...section(10, functions.map(([, , code]) => body(code))),
    ...section(11, data),
  ]);
}

interface Bridge {
  call(name: string, args: readonly string[]): string | undefined;
}

interface BridgeExports {
  readonly opa_malloc: (size: number) => number;
  readonly opa_heap_ptr_set: (addr: number) => void;
  readonly parsed_length: { readonly value: unknown };
  readonly [dispatcher: string]: unknown;
}

function createBridge(load: LoadPolicySync): Bridge {
  const ids: Record<string, number> = Object.fromEntries(OPA_WASM_BUILTINS.map((name, id) => [name, id]));
  const module = new wasm.Module(bridgeBytes(JSON.stringify(ids)));
  const loaded = load(module, { initial: 2 }, {}) as unknown as { mem: WasmMemory; wasmInstance: WasmInstance };
  const memory = loaded.mem;
  const exports = loaded.wasmInstance.exports as unknown as BridgeExports;
  return {
    call(name, args) {
      exports.opa_heap_ptr_set(HEAP_AT);
      const handles = args.map((arg) => {
        const bytes = encoder.encode(`${arg}\0`);
        const at = exports.opa_malloc(bytes.length);
        new Uint8Array(memory.buffer, at, bytes.length).set(bytes);
        return at;
      });
      const dispatch = exports[`b${args.length}`] as (...values: number[]) => number;
      const at = dispatch(ids[name]!, 0, ...handles);
      return at === 0 ? undefined : decoder.decode(new Uint8Array(memory.buffer, at, exports.parsed_length.value as number));
    },
  };
}

let bridge: Bridge | undefined;

/**
 * Runs one of opa-wasm's JavaScript builtins on JSON-text arguments.
 *
 * @param name - one of {@link OPA_WASM_BUILTINS}
 * @param args - each argument as JSON text (at most 4)
 * @returns the result as JSON text, or undefined when the builtin has no result
 * @throws whatever the builtin throws (the evaluation that called it fails), or an Error when
 *   {@link loadOpaWasmBuiltins} has not completed
 */
export function callOpaWasmBuiltin(name: string, args: readonly string[]): string | undefined {
  if (loadPolicySync === undefined) throw new Error(`opa-wasm is not loaded (loadOpaWasmBuiltins) for builtin ${name}`);
  bridge ??= createBridge(loadPolicySync);
  return bridge.call(name, args);
}
