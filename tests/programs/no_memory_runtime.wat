;; An in-module runtime in a module without a memory: the blog's pure-wasm example with the
;; memory (and the code that fills in the data structure) taken out, since nothing in the
;; module can access a memory it does not have. The transform appends a memory for the
;; asyncify stack and exports it as `asyncify_memory`; the host writes the data structure
;; {pos: 24, end: 1024} at 16 in it before calling `run` (which is why `run` is an export
;; here, not the start function: a start function runs before the host can write anything).
;;
;; Entry point: `run()`. Expected output (spectest.print): 1 2 3.
(module
  (import "spectest" "print" (func $print (param i32)))
  (import "asyncify" "start_unwind" (func $asyncify_start_unwind (param i32)))
  (import "asyncify" "stop_unwind" (func $asyncify_stop_unwind))
  (import "asyncify" "start_rewind" (func $asyncify_start_rewind (param i32)))
  (import "asyncify" "stop_rewind" (func $asyncify_stop_rewind))
  (global $sleeping (mut i32) (i32.const 0))
  (func $main
    (call $print (i32.const 1))
    (call $sleep)
    (call $print (i32.const 3)))
  (func $sleep
    (if (i32.eqz (global.get $sleeping))
      (then
        (global.set $sleeping (i32.const 1))
        (call $asyncify_start_unwind (i32.const 16)))
      (else
        (call $asyncify_stop_rewind)
        (global.set $sleeping (i32.const 0)))))
  (func $runtime (export "run")
    (call $main)
    (call $asyncify_stop_unwind)
    (call $print (i32.const 2))
    (call $asyncify_start_rewind (i32.const 16))
    (call $main))
)
