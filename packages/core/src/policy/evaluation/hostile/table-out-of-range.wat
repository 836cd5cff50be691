;; Its builtins table is at an address far outside its memory: opa-wasm 1.10 hangs while loading it.
;; A hand-written module speaking OPA's wasm ABI 1.2 (the exports Ward calls), for the hostile-module suite:
;; it allows action "open"; what it does otherwise is the attack. Compiled by the tests with wabt.
(module
  (import "env" "memory" (memory 2))
  (import "env" "opa_abort" (func $abort (param i32)))
  (global $heap (mut i32) (i32.const 65536))
  (global (export "opa_wasm_abi_version") i32 (i32.const 1))
  (global (export "opa_wasm_abi_minor_version") i32 (i32.const 2))
  (data (i32.const 16) "{\"hostile/decision\":0}\00")
  (data (i32.const 64) "{}\00")
  (data (i32.const 128) "[{\"result\":{\"allow\":true,\"reasons\":[\"ok\"],\"obligations\":[]}}]\00")
  (data (i32.const 256) "opa_malloc: failed\00")
  (func (export "opa_malloc") (param $n i32) (result i32)
    (global.get $heap)
    (global.set $heap (i32.add (global.get $heap) (local.get $n))))
  (func (export "opa_heap_ptr_get") (result i32) (global.get $heap))
  (func (export "opa_heap_ptr_set") (param $p i32) (global.set $heap (local.get $p)))
  (func (export "opa_json_parse") (param i32 i32) (result i32) (i32.const 64))
  (func (export "opa_json_dump") (param $value i32) (result i32) (local.get $value))
  (func (export "entrypoints") (result i32) (i32.const 16))
  ;; The input is Ward's canonical JSON, which starts {"action":" so byte 11 is the action's first letter.
  (func $action (param $input i32) (result i32) (i32.load8_u offset=11 (local.get $input)))
  (func (export "builtins") (result i32) (i32.const 0x7fff0000))
  (func (export "opa_eval") (param $reserved i32) (param $entrypoint i32) (param $data i32) (param $input i32)
    (param $length i32) (param $heapPtr i32) (param $format i32) (result i32)
    (global.set $heap (local.get $heapPtr))
    (i32.const 128))
)
